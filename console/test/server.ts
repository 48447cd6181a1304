// Starts the real onramp binary ($ONRAMP_SERVER_BINARY, else the repository's
// target/debug/onramp) on a free loopback port with the embedded sandbox (also on a port we
// choose, so the test can count its requests) and three tokens, and waits until it serves.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { createOnrampClient, ServingStatus, type OnrampClient } from "../../clients/typescript/src/index.js";

export const REPO = resolve(fileURLToPath(import.meta.url), "../../..");

/** The operator: everything but admin. */
export const OPERATOR_TOKEN = "console-operator-token-3f9a";
/** Reads and watches only. */
export const VIEWER_TOKEN = "console-viewer-token-77c1";
/** The provider's backend, which issues keys and (as the storefront) buys for Acme. */
export const BACKEND_TOKEN = "console-backend-token-c2d8";

const READ = ["catalog.read", "keys.read", "orders.read", "watch", "webhooks.read"];

function tokenToml(name: string, token: string, scopes: string[]): string {
  const sha256 = createHash("sha256").update(token).digest("hex");
  return `[[auth.tokens]]\nname = "${name}"\nsha256 = "${sha256}"\nscopes = [${scopes.map((s) => `"${s}"`).join(", ")}]\n\n`;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

export interface Onramp {
  /** http://127.0.0.1:<port>: the console and gRPC-web. */
  url: string;
  /** The provider's backend over gRPC. */
  backend: OnrampClient;
  /** Requests the embedded sandbox has answered, by route group. */
  sandboxRequests(): Promise<Record<string, number>>;
  /** Stops onramp; resolves to everything it logged. */
  stop(): Promise<string>;
}

/** `polling` are ONRAMP_* variables on top of the defaults. */
export async function startOnramp(polling: Record<string, string>): Promise<Onramp> {
  const binary = process.env.ONRAMP_SERVER_BINARY || join(REPO, "target", "debug", "onramp");
  if (!existsSync(binary)) throw new Error(`${binary} not found: run \`make onramp-bin\` or set ONRAMP_SERVER_BINARY`);
  const dataDir = mkdtempSync(join(tmpdir(), "onramp-console-"));
  const config = join(dataDir, "onramp.toml");
  writeFileSync(
    config,
    tokenToml("operator", OPERATOR_TOKEN, [...READ, "keys.write", "webhooks.write"]) +
      tokenToml("viewer", VIEWER_TOKEN, READ) +
      tokenToml("backend", BACKEND_TOKEN, ["admin"]),
  );
  const address = `127.0.0.1:${await freePort()}`;
  const sandbox = `127.0.0.1:${await freePort()}`;
  const logPath = join(dataDir, "server.log");
  const log = openSync(logPath, "a");
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ONRAMP_"))),
    ONRAMP_ADMIN__LISTEN: "127.0.0.1:0",
    ONRAMP_SANDBOX__LISTEN: sandbox,
    ...polling,
  };
  const child: ChildProcess = spawn(binary, ["serve", "--listen", address, "--data-dir", dataDir, "--config", config], {
    stdio: ["ignore", log, log],
    env,
  });
  let running = true;
  const exited = new Promise<void>((ok) => child.once("exit", () => ((running = false), ok())));
  const backend = createOnrampClient({ address, token: BACKEND_TOKEN });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running) throw new Error(`onramp exited: ${readFileSync(logPath, "utf8").slice(-4000)}`);
    try {
      if ((await backend.checkHealth("", 1000)) === ServingStatus.SERVING) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`onramp not serving: ${readFileSync(logPath, "utf8").slice(-4000)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    url: `http://${address}`,
    backend,
    async sandboxRequests() {
      const got = (await (await fetch(`http://${sandbox}/_sandbox/requests`)).json()) as { requests: Record<string, number> };
      return got.requests;
    },
    async stop() {
      backend.close();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
      closeSync(log);
      const text = readFileSync(logPath, "utf8");
      rmSync(dataDir, { recursive: true, force: true });
      return text;
    },
  };
}
