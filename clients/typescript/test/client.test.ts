// The facade against the real onramp binary: health, and the error contract decoded by
// errorDetails().
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Code, createOnrampClient, errorDetails, ServingStatus, violation, type OnrampClient } from "@onramp-dev/onramp-client";
import { startServer, type TestServer } from "./server.js";

const TIMEOUT_MS = 10_000;

describe("onramp server", () => {
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

  test("health is SERVING", async () => {
    assert.equal(await client.checkHealth(), ServingStatus.SERVING);
    assert.equal(await client.checkHealth("onramp.v1.CatalogService"), ServingStatus.SERVING);
  });

  test("a negative page_size is a field violation", async () => {
    const err = await client.catalog.listOnRamps({ pageSize: -1 }, { timeoutMs: TIMEOUT_MS }).then(
      () => assert.fail("expected INVALID_ARGUMENT"),
      (e: unknown) => e,
    );
    const details = errorDetails(err);
    assert.equal(details.code, Code.InvalidArgument);
    assert.equal(details.domain, "onramp");
    assert.equal(details.reason, "INVALID_FIELD");
    const pageSize = violation(details, "page_size");
    assert.ok(pageSize, JSON.stringify(details.fieldViolations));
    assert.ok(pageSize.description, "the violation says what is wrong");
  });
});
