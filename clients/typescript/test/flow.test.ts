// The guide's flow against the real onramp binary and its embedded Megaport sandbox, and the
// watcher resuming across a server restart. Every wait is bounded: a pump reads the watcher into
// a buffer and the test waits on it with a deadline.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { ServiceKeyEventType, type ServiceKeyEvent } from "@onramp-dev/onramp-client/gen/onramp/v1/events_pb";
import {
  DiversityPreference,
  DiversityZone,
  RttSource,
  ServiceKeyState,
  type ServiceKey,
} from "@onramp-dev/onramp-client/gen/onramp/v1/resources_pb";
import type { WatchServiceKeysRequest, WatchServiceKeysResponse } from "@onramp-dev/onramp-client/gen/onramp/v1/service_key_service_pb";
import { createOnrampClient, ServiceKeyWatcher, type OnrampClient } from "@onramp-dev/onramp-client";
import { startServer, type TestServer } from "./server.js";

const TIMEOUT_MS = 10_000;
/** Bounds every wait for a watch message; the suite's server polls every 100 ms. */
const EVENT_TIMEOUT_MS = 10_000;
const ACME_PORT = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";
const QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";

/** A watch message with the watcher's counters right after it was yielded. */
interface Seen {
  message: WatchServiceKeysResponse;
  reconnects: number;
  resumeToken: string;
}

/** Reads a ServiceKeyWatcher into a buffer; the test waits on the buffer with deadlines. */
class Reader {
  readonly seen: Seen[] = [];
  private readonly buffer: Seen[] = [];
  private failure: unknown = undefined;
  private ended = false;
  private wake: () => void = () => {};
  private readonly pump: Promise<void>;

  constructor(readonly watcher: ServiceKeyWatcher) {
    this.pump = (async () => {
      try {
        for await (const message of watcher) {
          this.buffer.push({ message, reconnects: watcher.reconnects, resumeToken: watcher.resumeToken });
          this.wake();
        }
      } catch (err) {
        this.failure = err;
      } finally {
        this.ended = true;
        this.wake();
      }
    })();
  }

  /** Reads messages until `done` holds for one, which it returns; rejects after `timeoutMs`. */
  async until(what: string, done: (m: WatchServiceKeysResponse) => boolean, timeoutMs = EVENT_TIMEOUT_MS): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.buffer.shift();
      if (next) {
        this.seen.push(next);
        if (done(next.message)) return next;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) throw new Error(`the watcher ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${what} within ${timeoutMs} ms; read ${this.seen.length} messages`);
      }
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
    }
  }

  /** Reads the (possibly chunked) snapshot a stream without a token opens with. */
  async snapshot(): Promise<ServiceKey[]> {
    const keys: ServiceKey[] = [];
    await this.until("snapshot", (m) => {
      assert.equal(m.kind.case, "snapshot", "the stream opens with a snapshot");
      keys.push(...m.kind.value.serviceKeys);
      return m.kind.value.lastChunk;
    });
    return keys;
  }

  /** Change events read so far (progress skipped). */
  events(): ServiceKeyEvent[] {
    return this.seen.flatMap((s) => (s.message.kind.case === "changes" ? s.message.kind.value.events : []));
  }

  /** The first event read so far that matches, else reads until one arrives. */
  async event(what: string, match: (e: ServiceKeyEvent) => boolean, timeoutMs = EVENT_TIMEOUT_MS): Promise<ServiceKeyEvent> {
    const found = () => this.events().find(match);
    if (!found()) {
      await this.until(what, (m) => m.kind.case === "changes" && m.kind.value.events.some(match), timeoutMs);
    }
    return found()!;
  }

  async close(): Promise<void> {
    this.watcher.close();
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.pump.then(() => true),
      new Promise<boolean>((ok) => (timer = setTimeout(() => ok(false), 5000))),
    ]);
    clearTimeout(timer);
    assert.ok(stopped, "the watcher stops within 5 s of close()");
  }
}

const added = (key: string) => (e: ServiceKeyEvent) => e.type === ServiceKeyEventType.ADDED && e.serviceKey?.key === key;

describe("guide flow", () => {
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

  test("countries -> US-West -> red+blue keys -> Acme buys -> the watcher sees it USED", async () => {
    const opts = { timeoutMs: TIMEOUT_MS };
    // The customer browses: countries, metros, the provider's region.
    const countries = (await client.catalog.listCountries({}, opts)).countries.map((c) => c.name);
    assert.deepEqual(countries, ["Australia", "Japan", "UK", "USA"], "ascending by name");
    const metros = await client.catalog.listMetros({ country: "USA" }, opts);
    assert.deepEqual(
      metros.metros.map((m) => m.name),
      ["Los Angeles", "New York"],
    );
    const region = await client.regions.getRegion({ name: "us-west" }, opts);
    assert.equal(region.region?.displayName, "US-West");

    // "US-West with diversity": one blue and one red on-ramp.
    const selection = await client.catalog.selectOnRamps(
      { scope: { case: "region", value: "us-west" }, rateLimitMbps: 1000n, diversity: DiversityPreference.REQUIRED },
      opts,
    );
    assert.ok(selection.diversitySatisfied);
    assert.deepEqual(
      selection.chosen.map((o) => o.diversityZone),
      [DiversityZone.BLUE, DiversityZone.RED],
    );
    assert.deepEqual(
      selection.chosen.map((o) => o.location?.name),
      ["Equinix LA1", "CoreSite LA1"],
    );

    const reader = new Reader(client.watchServiceKeys());
    try {
      const before = new Set((await reader.snapshot()).map((k) => k.key));

      const issued = await client.serviceKeys.issueServiceKeys(
        {
          region: "us-west",
          diversity: DiversityPreference.REQUIRED,
          maxSpeedMbps: 1000n,
          singleUse: true,
          preApproved: true,
          customerRef: "acme",
          requestId: randomUUID(),
        },
        opts,
      );
      const keys = issued.serviceKeys;
      assert.equal(keys.length, 2);
      assert.deepEqual(
        keys.map((k) => k.onRamp?.portUid),
        selection.chosen.map((o) => o.portUid),
      );
      // VLANs are allocated per Port: the two keys sit on different Ports, each with its own VLAN.
      for (const k of keys) {
        assert.ok(k.vlan !== undefined && k.vlan >= 2 && k.vlan <= 4093, `vlan ${k.vlan}`);
        assert.ok(!before.has(k.key));
      }
      assert.equal(new Set(keys.map((k) => `${k.onRamp?.portUid}/${k.vlan}`)).size, 2);

      for (const k of keys) {
        const event = await reader.event(`ADDED ${k.key}`, added(k.key));
        assert.equal(event.serviceKey?.customerRef, "acme");
      }

      // Acme buys a VXC with the blue key.
      const key = keys[0]!.key;
      const lookup = await client.vxcOrders.lookupServiceKey({ key, account: "acme" }, opts);
      assert.ok(lookup.lookup?.usable, lookup.lookup?.unusableReason);
      const spec = {
        serviceKey: key,
        aEndPortUid: ACME_PORT,
        rateLimitMbps: 100n,
        termMonths: 12,
        name: "acme to quantumgpu",
      };
      const validated = await client.vxcOrders.validateVxcOrder({ account: "acme", spec }, opts);
      assert.ok(validated.price?.currency, "a price quote");
      const created = await client.vxcOrders.createVxcOrder({ account: "acme", spec, requestId: randomUUID() }, opts);
      const vxcUid = created.order?.vxcUid;
      assert.ok(vxcUid, "the order has a vxc_uid");

      const used = await reader.event(
        `USED ${key}`,
        (e) => e.type === ServiceKeyEventType.STATE_CHANGED && e.serviceKey?.key === key,
      );
      assert.equal(used.serviceKey?.state, ServiceKeyState.USED);
      assert.equal(used.previousState, ServiceKeyState.ACTIVE);
      assert.equal(used.serviceKey?.vxcUid, vxcUid);
    } finally {
      await reader.close();
    }
  });

  test("Seattle and San Diego get their nearest LA Port; a rotated key overlaps its replacement", async () => {
    const opts = { timeoutMs: TIMEOUT_MS };
    const firstChoice = async (locationId: number) => {
      const selection = await client.catalog.selectOnRamps(
        {
          scope: { case: "region", value: "us-west" },
          rateLimitMbps: 500n,
          customer: { case: "customerLocationId", value: locationId },
        },
        opts,
      );
      assert.match(selection.proximityMessage, /megaport's medians/);
      return selection.chosen[0];
    };
    const seattle = await firstChoice(94);
    const sanDiego = await firstChoice(136);
    assert.equal(seattle?.location?.name, "CoreSite LA1");
    assert.equal(sanDiego?.location?.name, "Equinix LA1");
    assert.equal(seattle?.expectedRtt?.source, RttSource.MEGAPORT_MEDIAN);
    assert.equal(seattle?.expectedRtt?.milliseconds, 24.6);

    const created = await client.serviceKeys.createServiceKey(
      { portUid: QUANTUMGPU_LA1, singleUse: true, maxSpeedMbps: 1000n, customerRef: "acme", requestId: randomUUID() },
      opts,
    );
    const key = created.serviceKey!;
    const rotate = { key: key.key, gracePeriod: { seconds: 3600n }, requestId: randomUUID() };
    const rotated = await client.serviceKeys.rotateServiceKey(rotate, opts);
    const fresh = rotated.newServiceKey!;
    const old = rotated.oldServiceKey!;
    assert.equal(fresh.rotatedFrom, key.key);
    assert.equal(old.rotatedTo, fresh.key);
    assert.notEqual(fresh.vlan, key.vlan, "a fresh vlan");
    assert.equal(old.state, ServiceKeyState.ACTIVE, "usable during the grace");
    const replay = await client.serviceKeys.rotateServiceKey(rotate, opts);
    assert.equal(replay.newServiceKey?.key, fresh.key);
  });
});

describe("server restart", () => {
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

  test("the watcher resumes from its last token: no second snapshot, nothing lost or twice", async () => {
    const createKey = async () => {
      const response = await client.serviceKeys.createServiceKey(
        { portUid: QUANTUMGPU_LA1, singleUse: true, requestId: randomUUID() },
        { timeoutMs: TIMEOUT_MS },
      );
      return response.serviceKey!.key;
    };
    // The facade's watcher over the real client, recording the token of every stream it opens.
    const tokens: string[] = [];
    const watcher = new ServiceKeyWatcher(
      (request: WatchServiceKeysRequest, signal: AbortSignal) => {
        tokens.push(request.resumeToken);
        return client.serviceKeys.watchServiceKeys(request, { signal });
      },
      {},
      { initialBackoffMs: 100, maxBackoffMs: 500 },
    );
    const reader = new Reader(watcher);
    try {
      await reader.snapshot();
      const first = await createKey();
      await reader.event(`ADDED ${first}`, added(first));
      assert.equal(watcher.reconnects, 0);

      await server.restart(); // SIGTERM, then a new process on the same port and data dir

      const second = await createKey();
      await reader.event(`ADDED ${second} after the restart`, added(second), 20_000);
      // Progress promises everything up to its revision was delivered: a duplicate would show by then.
      const last = reader.seen.at(-1)!.message.revision;
      await reader.until("progress", (m) => m.kind.case === "progress" && m.revision >= last);

      assert.ok(watcher.reconnects >= 1, `reconnects ${watcher.reconnects}`);
      const lastBefore = reader.seen.filter((s) => s.reconnects === 0).at(-1)!.resumeToken;
      assert.equal(tokens[0], "");
      assert.ok(tokens.length >= 2, `streams opened: ${tokens.length}`);
      assert.deepEqual(new Set(tokens.slice(1)), new Set([lastBefore]), "every reconnect used the last token");
      const kinds = reader.seen.map((s) => s.message.kind.case);
      assert.equal(kinds.filter((k) => k === "snapshot").length, 1, `${kinds}`);
      const revisions = reader.seen.filter((s) => s.message.kind.case === "changes").map((s) => s.message.revision);
      assert.ok(
        revisions.every((r, i) => i === 0 || r > revisions[i - 1]!),
        `change revisions strictly increase: ${revisions}`,
      );
      assert.equal(reader.events().filter(added(first)).length, 1);
      assert.equal(reader.events().filter(added(second)).length, 1);
    } finally {
      await reader.close();
    }
  });
});
