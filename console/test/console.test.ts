// The console in a real browser (Debian's Chromium, driven by puppeteer-core) against
// `onramp serve` on the embedded sandbox: sign in, the overview's metros, a key issued over gRPC
// appearing live, an order approved in the page and followed to LIVE, and a read-only token
// that sees no approve control and is refused when it calls anyway. Screenshots of every page
// go to $CONSOLE_SCREENSHOTS (default target/console-screenshots).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import puppeteer, { type Browser, type Page } from "puppeteer-core";

import { ApprovalStatus } from "../../clients/typescript/src/gen/onramp/v1/approval_service_pb.js";
import { VxcOrderState } from "../../clients/typescript/src/gen/onramp/v1/resources_pb.js";
import { BACKEND_TOKEN, OPERATOR_TOKEN, REPO, VIEWER_TOKEN, startOnramp, type Onramp } from "./server.js";

const ACME_PORT = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";
const QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
/** The guide's metros, where QuantumGPU has Ports. */
const GUIDE_METROS = ["Los Angeles", "New York", "London", "Osaka", "Sydney"];
/** How long the page may take to show something the server already has (events, not a bound on speed). */
const SHOWN_MS = 30_000;

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS || join(process.env.CARGO_TARGET_DIR || join(REPO, "target"), "console-screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/**
 * Polling fast enough that orders move within seconds on the sandbox, and slow enough that the
 * background pollers stay inside their share of Megaport's budget for the whole run.
 */
const FAST_POLLING = {
  ONRAMP_WATCH__POLL_INTERVAL_MILLIS: "2000",
  ONRAMP_WATCH__PROGRESS_INTERVAL_MILLIS: "1000",
  ONRAMP_ORDERS__POLL_INTERVAL_MILLIS: "250",
  ONRAMP_APPROVALS__POLL_INTERVAL_SECONDS: "2",
};

async function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/install-chromium.sh (make chromium-bin)`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    defaultViewport: { width: 1280, height: 900 },
  });
}

async function signIn(page: Page, onramp: Onramp, token: string, caller: string): Promise<void> {
  // The page's own errors, in the test's output when something fails.
  page.on("pageerror", (error) => console.error(`page error: ${String(error)}`));
  await page.goto(`${onramp.url}/`, { waitUntil: "load" });
  assert.equal(new URL(page.url()).pathname, "/console/", "the root redirects to the console");
  await page.waitForSelector('[data-testid="token"]');
  await page.type('[data-testid="token"]', token);
  await page.click('[data-testid="sign-in"]');
  await page.waitForFunction((name) => document.querySelector('[data-testid="caller"]')?.textContent?.startsWith(name), { timeout: SHOWN_MS }, caller);
}

async function view(page: Page, path: string): Promise<void> {
  await page.evaluate((p) => (window.location.hash = p), `#/${path}`);
  await page.waitForSelector(`main[data-view="${path.split("/")[0]}"]`);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A key on LA1 that is not pre-approved, and a VXC Acme buys with it: an order awaiting approval. */
async function pendingOrder(onramp: Onramp, customerRef: string): Promise<{ key: string; orderId: string; vxcUid: string }> {
  const created = await onramp.backend.serviceKeys.createServiceKey({
    portUid: QUANTUMGPU_LA1,
    singleUse: true,
    maxSpeedMbps: 1000n,
    preApproved: false,
    customerRef,
    requestId: randomUUID(),
  });
  const key = created.serviceKey?.key ?? "";
  const bought = await onramp.backend.vxcOrders.createVxcOrder({
    account: "acme",
    spec: { serviceKey: key, aEndPortUid: ACME_PORT, rateLimitMbps: 100n, termMonths: 12, name: `console ${customerRef}` },
    requestId: randomUUID(),
  });
  assert.equal(bought.order?.state, VxcOrderState.AWAITING_APPROVAL);
  return { key, orderId: bought.order?.orderId ?? "", vxcUid: bought.order?.vxcUid ?? "" };
}

describe("operator console", () => {
  let onramp: Onramp;
  let browser: Browser;

  before(async () => {
    onramp = await startOnramp(FAST_POLLING);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    const log = (await onramp?.stop()) ?? "";
    for (const token of [OPERATOR_TOKEN, VIEWER_TOKEN, BACKEND_TOKEN]) {
      assert.ok(!log.includes(token), "a caller token reached onramp's log");
    }
  });

  test("an operator signs in, sees the metros, a key appear live, and approves an order to LIVE", async () => {
    const page = await browser.newPage();
    try {
      await signIn(page, onramp, OPERATOR_TOKEN, "operator");

      // Overview: the metros of every on-ramp, as ListOnRamps has them.
      const listed = await onramp.backend.catalog.listOnRamps({ pageSize: 500 });
      const metros = [...new Set(listed.onRamps.map((o) => o.location?.metro ?? ""))].sort();
      for (const metro of GUIDE_METROS) assert.ok(metros.includes(metro), `the sandbox has no on-ramp in ${metro}`);
      await page.waitForFunction((n) => document.querySelectorAll("[data-metro]").length === n, { timeout: SHOWN_MS }, metros.length);
      const shown = await page.$$eval("[data-metro]", (items) => items.map((i) => i.getAttribute("data-metro")).sort());
      assert.deepEqual(shown, metros);
      await page.waitForSelector('[data-testid="budget-gauge"]');

      // Keys: one issued over gRPC shows up without a reload.
      await view(page, "keys");
      await page.waitForFunction(() => document.querySelector(".live")?.textContent?.includes("live"), { timeout: SHOWN_MS });
      const navigations: string[] = [];
      page.on("framenavigated", (frame) => navigations.push(frame.url()));
      const order = await pendingOrder(onramp, "console-operator");
      await page.waitForSelector(`tr[data-key="${order.key}"]`, { timeout: SHOWN_MS });
      assert.deepEqual(navigations, [], "the key appeared without a reload");
      await shot(page, "keys");

      // Approvals: the order waits; the operator approves it in the page.
      await view(page, "approvals");
      const card = `article[data-vxc="${order.vxcUid}"]`;
      await page.waitForSelector(`${card} [data-testid="approve"]`, { timeout: SHOWN_MS });
      await page.type(`${card} [data-testid="approval-comment"]`, "welcome aboard");
      await shot(page, "approvals");
      await page.click(`${card} [data-testid="approve"]`);
      await page.waitForSelector(card, { hidden: true, timeout: SHOWN_MS });
      const decided = await onramp.backend.approvals.listApprovals({ statuses: [ApprovalStatus.APPROVED] });
      const approval = decided.approvals.find((a) => a.vxcUid === order.vxcUid);
      assert.equal(approval?.status, ApprovalStatus.APPROVED);

      // Orders: the order's timeline, live through WatchVxcOrder, reaches LIVE.
      await view(page, `orders/${order.orderId}`);
      await page.waitForSelector('[data-testid="order-state"][data-state="live"]', { timeout: SHOWN_MS });
      const reached = await page.$$eval('[data-testid="timeline"] .step.reached', (steps) => steps.map((s) => s.getAttribute("data-step")));
      assert.deepEqual(reached.at(-1), "live");
      await shot(page, "order");

      // On-ramps, with a selection tried from the page.
      await view(page, "onramps");
      await page.waitForSelector(`tr[data-port="${QUANTUMGPU_LA1}"]`, { timeout: SHOWN_MS });
      await page.waitForSelector('[data-testid="select-region"] option');
      await page.click('[data-testid="select-run"]');
      await page.waitForSelector('[data-testid="selection-result"]', { timeout: SHOWN_MS });
      await shot(page, "onramps");

      await view(page, "webhooks");
      await page.waitForSelector('[data-testid="webhook-deliveries"]');
      await shot(page, "webhooks");

      // Back on the overview: the key and the order counted by state.
      await view(page, "overview");
      await page.waitForSelector('[data-testid="key-counts"] li[data-name="used"]', { timeout: SHOWN_MS });
      await page.waitForSelector('[data-testid="order-counts"] li[data-name="live"]', { timeout: SHOWN_MS });
      await shot(page, "overview");

      // A phone's width.
      await page.setViewport({ width: 390, height: 844 });
      await view(page, "overview");
      await page.waitForSelector('[data-testid="budget-gauge"]');
      await shot(page, "overview-phone");
    } catch (error) {
      await shot(page, "failure-operator");
      throw error;
    } finally {
      await page.close();
    }
  });

  test("a read-only token sees no approve control, and a forced call is refused", async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const order = await pendingOrder(onramp, "console-viewer");
    try {
      await signIn(page, onramp, VIEWER_TOKEN, "viewer");
      await view(page, "approvals");
      const card = `article[data-vxc="${order.vxcUid}"]`;
      await page.waitForSelector(card, { timeout: SHOWN_MS });
      assert.equal(await page.$(`${card} [data-testid="approve"]`), null, "a read-only caller sees no approve button");
      await view(page, "keys");
      await page.waitForSelector(`tr[data-key="${order.key}"]`, { timeout: SHOWN_MS });
      assert.equal(await page.$('[data-testid="issue"]'), null, "no issue form without keys.write");
      assert.equal(await page.$('[data-testid="deactivate"]'), null, "no deactivate without keys.write");
      await shot(page, "viewer-keys");

      // The page's own origin and token, calling ApproveApproval by hand as gRPC-web.
      const approvalUid = (await onramp.backend.approvals.listApprovals({})).approvals.find((a) => a.vxcUid === order.vxcUid)?.approvalUid ?? "";
      assert.notEqual(approvalUid, "");
      const refused = await page.evaluate(
        async (uid, token) => {
          const field = new TextEncoder().encode(uid);
          const message = new Uint8Array([0x0a, field.length, ...field]);
          const frame = new Uint8Array([0, 0, 0, 0, message.length, ...message]);
          const answer = await fetch("/onramp.v1.ApprovalService/ApproveApproval", {
            method: "POST",
            headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${token}` },
            body: frame,
          });
          return { http: answer.status, grpcStatus: answer.headers.get("grpc-status"), message: answer.headers.get("grpc-message") };
        },
        approvalUid,
        VIEWER_TOKEN,
      );
      assert.equal(refused.http, 200);
      assert.equal(refused.grpcStatus, "7", `PERMISSION_DENIED expected, got ${JSON.stringify(refused)}`);
      const still = (await onramp.backend.approvals.listApprovals({})).approvals.find((a) => a.approvalUid === approvalUid);
      assert.equal(still?.status, ApprovalStatus.PENDING, "the refused call changed nothing");
      await onramp.backend.approvals.rejectApproval({ approvalUid, comment: "test over" });
    } catch (error) {
      await shot(page, "failure-viewer");
      throw error;
    } finally {
      await context.close();
    }
  });

  test("the console is served with a strict content security policy and no inline script", async () => {
    const index = await fetch(`${onramp.url}/console/`);
    assert.equal(index.status, 200);
    const csp = index.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await index.text();
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, "no inline script");
    assert.equal((await fetch(`${onramp.url}/console/nothing-here.js`)).status, 404);
  });
});

describe("console cost", () => {
  test("loading the console and its overview costs no Megaport request beyond the same RPCs over gRPC", async () => {
    // Background polling slowed to hours, so the only requests in the windows are the calls'.
    const onramp = await startOnramp({
      ONRAMP_WATCH__POLL_INTERVAL_MILLIS: "3600000",
      ONRAMP_ORDERS__POLL_INTERVAL_MILLIS: "3600000",
      ONRAMP_APPROVALS__POLL_INTERVAL_SECONDS: "3600",
    });
    const browser = await launch();
    try {
      const total = async () => Object.values(await onramp.sandboxRequests()).reduce((a, b) => a + b, 0);
      const overviewOverGrpc = async () => {
        await onramp.backend.admin.getServerStatus({});
        await onramp.backend.catalog.listOnRamps({ pageSize: 500 });
        await onramp.backend.vxcOrders.listVxcOrders({ pageSize: 500 });
        await onramp.backend.approvals.listApprovals({});
        await onramp.backend.serviceKeys.listServiceKeys({ pageSize: 500 });
      };
      // Whatever the start still had in flight settles first.
      await overviewOverGrpc();
      await new Promise((ok) => setTimeout(ok, 1000));
      const beforeGrpc = await total();
      await overviewOverGrpc();
      const grpcCost = (await total()) - beforeGrpc;

      const page = await browser.newPage();
      const beforePage = await total();
      try {
        await signIn(page, onramp, OPERATOR_TOKEN, "operator");
        await page.waitForSelector("[data-metro]", { timeout: SHOWN_MS });
        await page.waitForSelector('[data-testid="key-counts"]');
        await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="pending-count"]')?.textContent ?? ""), { timeout: SHOWN_MS });
      } catch (error) {
        await shot(page, "failure-cost");
        throw error;
      }
      const pageCost = (await total()) - beforePage;
      console.log(`megaport requests: overview over grpc ${grpcCost}, console load + overview ${pageCost}`);
      assert.ok(pageCost <= grpcCost, `the console cost ${pageCost} requests, the same RPCs over gRPC ${grpcCost}`);
    } finally {
      await browser.close();
      await onramp.stop();
    }
  });
});
