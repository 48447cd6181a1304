// ServiceKeyWatcher resume logic, against a fake stream opener.
import assert from "node:assert/strict";
import { test } from "node:test";

import { create } from "@bufbuild/protobuf";

import {
  WatchServiceKeysResponseSchema,
  type WatchServiceKeysRequest,
  type WatchServiceKeysResponse,
} from "@onramp-dev/onramp-client/gen/onramp/v1/service_key_service_pb";
import { Code, ConnectError, ServiceKeyWatcher, type OpenWatch } from "@onramp-dev/onramp-client";

/** One thing a fake stream does: deliver a message, fail with a code, or (null) end cleanly. */
type Step = WatchServiceKeysResponse | Code | null;

function fakeServer(scripts: Step[][]): { open: OpenWatch; requests: WatchServiceKeysRequest[] } {
  const requests: WatchServiceKeysRequest[] = [];
  const open: OpenWatch = (request) => {
    requests.push(request);
    const script = scripts.shift() ?? [];
    return (async function* () {
      for (const step of script) {
        if (step === null) return;
        if (typeof step === "number") throw new ConnectError("fake", step);
        yield step;
      }
    })();
  };
  return { open, requests };
}

const snapshot = (revision: number, resumeToken: string, lastChunk = true) =>
  create(WatchServiceKeysResponseSchema, {
    revision: BigInt(revision),
    resumeToken,
    kind: { case: "snapshot", value: { lastChunk } },
  });

const changes = (revision: number) =>
  create(WatchServiceKeysResponseSchema, {
    revision: BigInt(revision),
    resumeToken: `t${revision}`,
    kind: { case: "changes", value: {} },
  });

const noSleep = async () => {};

async function take(watcher: ServiceKeyWatcher, n: number): Promise<number[]> {
  const out: number[] = [];
  if (n === 0) return out;
  for await (const message of watcher) {
    out.push(Number(message.revision));
    if (out.length === n) break;
  }
  return out;
}

test("resumes from the last token after UNAVAILABLE without loss", async () => {
  const fake = fakeServer([
    [snapshot(1, "t1"), changes(2), Code.Unavailable],
    [changes(3), changes(4)],
  ]);
  const watcher = new ServiceKeyWatcher(fake.open, { portUid: "port-1", customerRef: "acme" }, { sleep: noSleep });
  assert.deepEqual(await take(watcher, 4), [1, 2, 3, 4]);
  assert.deepEqual(
    fake.requests.map((r) => r.resumeToken),
    ["", "t2"],
  );
  assert.ok(fake.requests.every((r) => r.portUid === "port-1" && r.customerRef === "acme"), "filters kept");
  assert.equal(watcher.resumeToken, "t4");
  assert.equal(watcher.reconnects, 1);
});

test("reconnects when the stream just ends", async () => {
  const fake = fakeServer([[snapshot(5, "t5"), null], [changes(6)]]);
  const watcher = new ServiceKeyWatcher(fake.open, {}, { sleep: noSleep });
  assert.deepEqual(await take(watcher, 2), [5, 6]);
  assert.equal(fake.requests[1]?.resumeToken, "t5");
});

test("resumes after ABORTED (slow reader) from a given token", async () => {
  const fake = fakeServer([[changes(7), Code.Aborted], [changes(8)]]);
  const watcher = new ServiceKeyWatcher(fake.open, { resumeToken: "t6" }, { sleep: noSleep });
  assert.deepEqual(await take(watcher, 2), [7, 8]);
  assert.deepEqual(
    fake.requests.map((r) => r.resumeToken),
    ["t6", "t7"],
  );
});

test("a snapshot chunk without a token does not move the token", async () => {
  const fake = fakeServer([
    [snapshot(9, "", false), Code.Unavailable],
    [snapshot(9, "", false), snapshot(9, "t9")],
  ]);
  const watcher = new ServiceKeyWatcher(fake.open, {}, { sleep: noSleep });
  assert.deepEqual(await take(watcher, 3), [9, 9, 9]);
  assert.deepEqual(
    fake.requests.map((r) => r.resumeToken),
    ["", ""],
  );
  assert.equal(watcher.resumeToken, "t9");
});

test("other errors are thrown without reconnecting", async () => {
  const fake = fakeServer([[Code.InvalidArgument]]);
  const watcher = new ServiceKeyWatcher(fake.open, { resumeToken: "garbage" }, { sleep: noSleep });
  await assert.rejects(take(watcher, 1), (err: unknown) => ConnectError.from(err).code === Code.InvalidArgument);
  assert.equal(fake.requests.length, 1);
});

test("gives up after maxAttempts, backing off", async () => {
  const slept: number[] = [];
  const fake = fakeServer([[Code.Unavailable], [Code.Unavailable], [Code.Unavailable], [Code.Unavailable]]);
  const watcher = new ServiceKeyWatcher(
    fake.open,
    {},
    { maxAttempts: 3, initialBackoffMs: 1000, maxBackoffMs: 2000, sleep: async (ms) => void slept.push(ms) },
  );
  await assert.rejects(take(watcher, 1), (err: unknown) => ConnectError.from(err).code === Code.Unavailable);
  assert.equal(fake.requests.length, 4);
  assert.equal(slept.length, 3);
  assert.ok(slept[0]! >= 500 && slept[0]! <= 1000 && slept[1]! >= 1000 && slept[2]! <= 2000, String(slept));
});

test("close() ends the iteration", async () => {
  const fake = fakeServer([[changes(1), changes(2)]]);
  const watcher = new ServiceKeyWatcher(fake.open, {}, { sleep: noSleep });
  const seen: number[] = [];
  for await (const message of watcher) {
    seen.push(Number(message.revision));
    watcher.close();
  }
  assert.deepEqual(seen, [1]);
});
