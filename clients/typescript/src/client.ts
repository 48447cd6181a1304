import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type * as http2 from "node:http2";

import { AdminService } from "./gen/onramp/v1/admin_service_pb.js";
import { ApprovalService } from "./gen/onramp/v1/approval_service_pb.js";
import { WebhookService } from "./gen/onramp/v1/webhook_service_pb.js";
import { CatalogService } from "./gen/onramp/v1/catalog_service_pb.js";
import { RegionService } from "./gen/onramp/v1/region_service_pb.js";
import { ServiceKeyService, type WatchServiceKeysRequest } from "./gen/onramp/v1/service_key_service_pb.js";
import { VxcOrderService } from "./gen/onramp/v1/vxc_order_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "./gen/grpc/health/v1/health_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WatchServiceKeysRequestSchema } from "./gen/onramp/v1/service_key_service_pb.js";
import { ServiceKeyWatcher, type WatchOptions } from "./watch.js";

/** Options for {@link createOnrampClient}. */
export interface OnrampClientOptions {
  /** `host:port` of the onramp server. */
  address: string;
  /** Connect with TLS (`https`); default false, plaintext HTTP/2. */
  tls?: boolean;
  /** Sent as `authorization: Bearer <token>` on every call that does not set its own header. */
  token?: string;
  /** Node TLS / HTTP/2 session options, e.g. `ca` for a private CA. */
  sessionOptions?: http2.SecureClientSessionOptions;
  /** More interceptors, run after the auth one. */
  interceptors?: Interceptor[];
}

/** One HTTP/2 connection to onramp with a typed Connect client per service. */
export interface OnrampClient {
  catalog: Client<typeof CatalogService>;
  regions: Client<typeof RegionService>;
  serviceKeys: Client<typeof ServiceKeyService>;
  vxcOrders: Client<typeof VxcOrderService>;
  approvals: Client<typeof ApprovalService>;
  webhooks: Client<typeof WebhookService>;
  admin: Client<typeof AdminService>;
  health: Client<typeof Health>;
  transport: Transport;
  /** Serving status of `service` ("" = the whole server). */
  checkHealth(service?: string, timeoutMs?: number): Promise<HealthCheckResponse_ServingStatus>;
  /** Follows service keys, resuming after disconnects; see {@link ServiceKeyWatcher}. */
  watchServiceKeys(
    request?: MessageInitShape<typeof WatchServiceKeysRequestSchema>,
    options?: WatchOptions,
  ): ServiceKeyWatcher;
  /** Closes the connection; calls in flight fail. */
  close(): void;
}

/** An interceptor adding `authorization: Bearer <token>` unless the call set its own. */
export function bearerToken(token: string): Interceptor {
  return (next) => async (req) => {
    if (!req.header.has("authorization")) {
      req.header.set("authorization", `Bearer ${token}`);
    }
    return next(req);
  };
}

/**
 * Creates the clients over one gRPC (HTTP/2) transport. The connection opens lazily, on the first
 * call. Per-call deadlines: pass `{ timeoutMs }` (or `{ signal }`) as the call options.
 */
export function createOnrampClient(options: OnrampClientOptions): OnrampClient {
  const baseUrl = `${options.tls ? "https" : "http"}://${options.address}`;
  const sessionManager = new Http2SessionManager(baseUrl, undefined, options.sessionOptions);
  const interceptors = [...(options.token ? [bearerToken(options.token)] : []), ...(options.interceptors ?? [])];
  const transport = createGrpcTransport({ baseUrl, sessionManager, interceptors });
  const serviceKeys = createClient(ServiceKeyService, transport);
  const health = createClient(Health, transport);
  return {
    catalog: createClient(CatalogService, transport),
    regions: createClient(RegionService, transport),
    serviceKeys,
    vxcOrders: createClient(VxcOrderService, transport),
    approvals: createClient(ApprovalService, transport),
    webhooks: createClient(WebhookService, transport),
    admin: createClient(AdminService, transport),
    health,
    transport,
    async checkHealth(service = "", timeoutMs = 5000) {
      const response = await health.check({ service }, { timeoutMs });
      return response.status;
    },
    watchServiceKeys(request, watchOptions) {
      return new ServiceKeyWatcher(
        (req: WatchServiceKeysRequest, signal: AbortSignal) => serviceKeys.watchServiceKeys(req, { signal }),
        request,
        watchOptions,
      );
    },
    close() {
      sessionManager.abort();
    },
  };
}
