// The provider's approval inbox: a customer buys with a key that is not pre-approved, the inbox
// lists it with the key and customer_ref, and the provider approves it; once LIVE, the customer
// cancels it at the end of its term (one lifecycle change).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { ApprovalStatus, ApprovalType, type Approval } from "@onramp-dev/onramp-client/gen/onramp/v1/approval_service_pb";
import {
  OnRampKind,
  PeeringState,
  ProvisioningStatus,
  VxcOrderState,
} from "@onramp-dev/onramp-client/gen/onramp/v1/resources_pb";
import { createOnrampClient, type OnrampClient } from "@onramp-dev/onramp-client";
import { startServer, type TestServer } from "./server.js";

const TIMEOUT_MS = 10_000;
const ACME_PORT = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";
const QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const QUANTUMGPU_LA_MCR = "5c2e8a41-7d3b-4f0e-9a6c-1b8d2f4e6a90";

describe("approval inbox", () => {
  let server: TestServer;
  let client: OnrampClient;

  before(async () => {
    server = await startServer();
    client = createOnrampClient({ address: server.address, token: "test-token" });
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  test("a key that is not pre-approved -> the inbox lists the order -> the provider approves", async () => {
    const opts = { timeoutMs: TIMEOUT_MS };
    const created = await client.serviceKeys.createServiceKey(
      {
        portUid: QUANTUMGPU_LA1,
        singleUse: true,
        maxSpeedMbps: 1000n,
        preApproved: false,
        customerRef: "acme-ts",
        requestId: randomUUID(),
      },
      opts,
    );
    const key = created.serviceKey?.key ?? "";
    const bought = await client.vxcOrders.createVxcOrder(
      {
        account: "acme",
        spec: { serviceKey: key, aEndPortUid: ACME_PORT, rateLimitMbps: 100n, termMonths: 12, name: "ts inbox" },
        requestId: randomUUID(),
      },
      opts,
    );
    assert.equal(bought.order?.state, VxcOrderState.AWAITING_APPROVAL);

    let pending: Approval | undefined;
    const deadline = Date.now() + 20_000;
    while (!pending) {
      const listed = await client.approvals.listApprovals({}, opts);
      // The inbox names an approval's key once the key watcher has seen the VXC on it (a read
      // of the inbox just before that lists it without, and the next read adds it).
      pending = listed.approvals.find((a) => a.vxcUid === bought.order?.vxcUid && a.serviceKey !== "");
      if (!pending) {
        assert.ok(Date.now() < deadline, "the inbox never listed the order with its key");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.equal(pending.type, ApprovalType.NEW_ORDER);
    assert.equal(pending.status, ApprovalStatus.PENDING);
    assert.deepEqual([pending.serviceKey, pending.customerRef, pending.requester], [key, "acme-ts", "Acme"]);
    assert.equal(pending.onRamp?.portUid, QUANTUMGPU_LA1);

    const approved = await client.approvals.approveApproval({ approvalUid: pending.approvalUid, comment: "welcome" }, opts);
    assert.equal(approved.approval?.status, ApprovalStatus.APPROVED);

    const live = Date.now() + 30_000;
    for (;;) {
      const got = await client.vxcOrders.getVxcOrder({ orderId: bought.order?.orderId ?? "" }, opts);
      if (got.order?.state === VxcOrderState.LIVE) break;
      assert.ok(Date.now() < live, `order still ${got.order?.state}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const cancelled = await client.vxcOrders.cancelVxc(
      { account: "acme", vxcUid: bought.order?.vxcUid ?? "", now: false, requestId: randomUUID() },
      opts,
    );
    assert.equal(cancelled.vxc?.provisioningStatus, ProvisioningStatus.CANCELLED);
  });

  // The provider's MCR: a key with a peering profile (interface and BGP session); onramp sends
  // the profile to Megaport before it approves the order bought with the key.
  test("a key on the MCR configures the BGP session before approval", async () => {
    const opts = { timeoutMs: TIMEOUT_MS };
    const mcrs = await client.catalog.listOnRamps({ kinds: [OnRampKind.MCR] }, opts);
    assert.deepEqual(
      mcrs.onRamps.map((o) => [o.portUid, o.kind, o.mcrAsn]),
      [[QUANTUMGPU_LA_MCR, OnRampKind.MCR, 133937n]],
    );
    const created = await client.serviceKeys.createServiceKey(
      {
        portUid: QUANTUMGPU_LA_MCR,
        singleUse: true,
        maxSpeedMbps: 1000n,
        preApproved: false,
        customerRef: "acme-ts-l3",
        requestId: randomUUID(),
        peering: {
          kind: {
            case: "mcr",
            value: {
              interfaceAddresses: ["169.254.60.1/30"],
              bgp: { peerAsn: 65000n, localIpAddress: "169.254.60.1", peerIpAddress: "169.254.60.2", password: "ts-bgp-secret", bfd: true },
            },
          },
        },
      },
      opts,
    );
    const key = created.serviceKey?.key ?? "";
    const kept = created.serviceKey?.peering?.kind;
    assert.ok(kept?.case === "mcr" && kept.value.bgp?.passwordSet && kept.value.bgp.password === "");
    const bought = await client.vxcOrders.createVxcOrder(
      {
        account: "acme",
        spec: { serviceKey: key, aEndPortUid: ACME_PORT, rateLimitMbps: 100n, termMonths: 12, name: "ts mcr" },
        requestId: randomUUID(),
      },
      opts,
    );
    let pending: Approval | undefined;
    const deadline = Date.now() + 20_000;
    while (!pending) {
      const listed = await client.approvals.listApprovals({}, opts);
      pending = listed.approvals.find((a) => a.vxcUid === bought.order?.vxcUid && a.serviceKey === key);
      if (!pending) {
        assert.ok(Date.now() < deadline, "the inbox never listed the order with its key");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    const approved = await client.approvals.approveApproval({ approvalUid: pending.approvalUid }, opts);
    assert.equal(approved.approval?.status, ApprovalStatus.APPROVED);
    assert.equal(approved.approval?.peering?.state, PeeringState.SENT_BEFORE_APPROVAL);
  });
});
