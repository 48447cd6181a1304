// The console's one way to call onramp: gRPC-web on this page's own origin, with the operator's
// bearer token on every call, through the same generated service types as the TypeScript client.
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { errorDetails } from "../../clients/typescript/src/errors.js";
import { AdminService } from "../../clients/typescript/src/gen/onramp/v1/admin_service_pb.js";
import { ApprovalService } from "../../clients/typescript/src/gen/onramp/v1/approval_service_pb.js";
import { CatalogService } from "../../clients/typescript/src/gen/onramp/v1/catalog_service_pb.js";
import { RegionService } from "../../clients/typescript/src/gen/onramp/v1/region_service_pb.js";
import { ServiceKeyService } from "../../clients/typescript/src/gen/onramp/v1/service_key_service_pb.js";
import { VxcOrderService } from "../../clients/typescript/src/gen/onramp/v1/vxc_order_service_pb.js";
import { WebhookService } from "../../clients/typescript/src/gen/onramp/v1/webhook_service_pb.js";

export interface Api {
  admin: Client<typeof AdminService>;
  approvals: Client<typeof ApprovalService>;
  catalog: Client<typeof CatalogService>;
  regions: Client<typeof RegionService>;
  serviceKeys: Client<typeof ServiceKeyService>;
  vxcOrders: Client<typeof VxcOrderService>;
  webhooks: Client<typeof WebhookService>;
}

/** Clients for every service, signed with `token` (empty: a server running without authentication). */
export function connect(token: string): Api {
  const bearer: Interceptor = (next) => (request) => {
    if (token !== "") request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const transport = createGrpcWebTransport({ baseUrl: window.location.origin, interceptors: [bearer] });
  return {
    admin: createClient(AdminService, transport),
    approvals: createClient(ApprovalService, transport),
    catalog: createClient(CatalogService, transport),
    regions: createClient(RegionService, transport),
    serviceKeys: createClient(ServiceKeyService, transport),
    vxcOrders: createClient(VxcOrderService, transport),
    webhooks: createClient(WebhookService, transport),
  };
}

/** A failed call as an operator should read it: the code, onramp's reason and each bad field. */
export function describeError(error: unknown): string {
  const details = errorDetails(error);
  const reason = details.reason !== "" ? ` (${details.reason})` : "";
  const fields = details.fieldViolations.map((v) => `${v.field}: ${v.description}`);
  return [`${details.message}${reason}`, ...fields].join("; ");
}

/** Every page of a paged list call, up to `limit` items. */
export async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  limit = 5000,
): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  do {
    const got = await page(token);
    items.push(...got.items);
    token = got.nextPageToken;
  } while (token !== "" && items.length < limit);
  return items;
}
