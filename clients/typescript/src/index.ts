/**
 * TypeScript client for onramp. The generated messages and service descriptors live in
 * `./gen` (`make generate`; never edited) and are exported as `@onramp-dev/onramp-client/gen/...`;
 * this facade adds one transport with a bearer token, decoded error details and a resuming
 * service-key watcher.
 */
export { bearerToken, createOnrampClient, type OnrampClient, type OnrampClientOptions } from "./client.js";
export { errorDetails, violation, type ErrorDetails, type FieldViolation } from "./errors.js";
export { RESUMABLE_CODES, ServiceKeyWatcher, type OpenWatch, type WatchOptions } from "./watch.js";
export { HealthCheckResponse_ServingStatus as ServingStatus } from "./gen/grpc/health/v1/health_pb.js";
export { Code, ConnectError } from "@connectrpc/connect";
