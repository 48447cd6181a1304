// The generated types the console uses, from the TypeScript client's generated code (one proto,
// no second API).
export * from "../../clients/typescript/src/gen/onramp/v1/resources_pb.js";
export * from "../../clients/typescript/src/gen/onramp/v1/approval_service_pb.js";
export * from "../../clients/typescript/src/gen/onramp/v1/catalog_service_pb.js";
export * from "../../clients/typescript/src/gen/onramp/v1/events_pb.js";
export * from "../../clients/typescript/src/gen/onramp/v1/admin_service_pb.js";
export * from "../../clients/typescript/src/gen/onramp/v1/webhook_service_pb.js";
export { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
