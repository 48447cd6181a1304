// createOnrampClient({ token }) sends `authorization: Bearer <token>`; a call's own header wins.
// Checked against an in-process Connect health server that records what it receives, so the test
// sees exactly what the client sent (onramp itself only says whether a token was accepted).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { test } from "node:test";

import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus } from "@onramp-dev/onramp-client/gen/grpc/health/v1/health_pb";
import { createOnrampClient, ServingStatus } from "@onramp-dev/onramp-client";

test("token is sent as bearer, and a call's own authorization header wins", async () => {
  const seen: (string | null)[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(Health, {
      check(_req, ctx) {
        seen.push(ctx.requestHeader.get("authorization"));
        return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
      },
      async *watch() {},
    });
  const server = http2.createServer(connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  const client = createOnrampClient({ address: `127.0.0.1:${port}`, token: "s3cret" });
  try {
    assert.equal(await client.checkHealth(), ServingStatus.SERVING);
    await client.health.check({}, { headers: { authorization: "Bearer other" }, timeoutMs: 5000 });
    const anonymous = createOnrampClient({ address: `127.0.0.1:${port}` });
    await anonymous.checkHealth();
    anonymous.close();
    assert.deepEqual(seen, ["Bearer s3cret", "Bearer other", null]);
  } finally {
    client.close();
    await new Promise((ok) => server.close(ok));
  }
});
