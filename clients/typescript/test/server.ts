// Starts the real onramp binary ($ONRAMP_SERVER_BINARY, set by `make client-test`, else the
// repository's target/debug/onramp) on a free loopback port, with the embedded Megaport sandbox
// and a throwaway data directory, and waits until health answers SERVING.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { createOnrampClient, ServingStatus } from "../src/index.js";

const STARTUP_TIMEOUT_MS = 60_000;

export interface TestServer {
  address: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

// The server reads ONRAMP_* variables as config (and rejects unknown ones); the suite wants the
// defaults: embedded sandbox, no credentials.
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ONRAMP_")));
}

export async function startServer(): Promise<TestServer> {
  const repo = resolve(fileURLToPath(import.meta.url), "../../../..");
  const binary = process.env.ONRAMP_SERVER_BINARY || join(repo, "target", "debug", "onramp");
  if (!existsSync(binary)) {
    throw new Error(`${binary} not found: run \`make onramp-bin\` or set ONRAMP_SERVER_BINARY`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "onramp-ts-"));
  const logPath = join(dataDir, "server.log");
  const address = `127.0.0.1:${await freePort()}`;
  const log = openSync(logPath, "w");
  const child: ChildProcess = spawn(binary, ["serve", "--listen", address, "--data-dir", dataDir], {
    stdio: ["ignore", log, log],
    env: serverEnv(),
  });
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  let running = true;
  void exited.then(() => (running = false));
  const stop = async () => {
    if (running) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const client = createOnrampClient({ address });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (!running) {
        throw new Error(`onramp exited: ${readFileSync(logPath, "utf8").slice(-4000)}`);
      }
      try {
        if ((await client.checkHealth("", 1000)) === ServingStatus.SERVING) {
          return { address, stop };
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`onramp not SERVING after ${STARTUP_TIMEOUT_MS} ms: ${readFileSync(logPath, "utf8").slice(-4000)}`);
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
}
