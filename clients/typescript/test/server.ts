// Starts the real onramp binary ($ONRAMP_SERVER_BINARY, set by `make client-test`, else the
// repository's target/debug/onramp) on a free loopback port, with the embedded Megaport sandbox
// and a throwaway data directory, and waits until health answers SERVING.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { createOnrampClient, ServingStatus } from "@onramp-dev/onramp-client";

const STARTUP_TIMEOUT_MS = 60_000;

export interface TestServer {
  address: string;
  dataDir: string;
  /** SIGTERM, then a new process on the same address and data directory, SERVING. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Fast polling, so the suite sees watch events and order progress within a second. The server maps
 * `__` in ONRAMP_* names to config sections (watch.poll_interval_millis, ...).
 */
export const FAST_POLLING: Record<string, string> = {
  ONRAMP_WATCH__POLL_INTERVAL_MILLIS: "100",
  ONRAMP_WATCH__PROGRESS_INTERVAL_MILLIS: "300",
  ONRAMP_ORDERS__POLL_INTERVAL_MILLIS: "100",
  ONRAMP_APPROVALS__POLL_INTERVAL_SECONDS: "1",
  // Servers run side by side: the admin listener on a free port, not the fixed default.
  ONRAMP_ADMIN__LISTEN: "127.0.0.1:0",
};

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
// defaults (embedded sandbox, no credentials) plus FAST_POLLING.
function serverEnv(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ONRAMP_"))),
    ...FAST_POLLING,
  };
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
  const log = openSync(logPath, "a");
  const logTail = () => readFileSync(logPath, "utf8").slice(-4000);

  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let running = false;

  const start = async () => {
    const proc = spawn(binary, ["serve", "--listen", address, "--data-dir", dataDir], {
      stdio: ["ignore", log, log],
      env: serverEnv(),
    });
    child = proc;
    running = true;
    exited = new Promise<number | null>((ok) =>
      proc.once("exit", (code) => {
        running = false;
        ok(code);
      }),
    );
    const client = createOnrampClient({ address });
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    try {
      for (;;) {
        if (!running) {
          throw new Error(`onramp exited: ${logTail()}`);
        }
        try {
          if ((await client.checkHealth("", 1000)) === ServingStatus.SERVING) {
            return;
          }
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          throw new Error(`onramp not SERVING after ${STARTUP_TIMEOUT_MS} ms: ${logTail()}`);
        }
        await new Promise((ok) => setTimeout(ok, 100));
      }
    } finally {
      client.close();
    }
  };

  /** SIGTERM, SIGKILL after 15 s; resolves to the exit code. */
  const terminate = async (): Promise<number | null> => {
    if (!running || !child) {
      return null;
    }
    const proc = child;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const stop = async () => {
    await terminate();
    closeSync(log);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const restart = async () => {
    const code = await terminate();
    if (code !== 0) {
      throw new Error(`onramp exited with ${code} on SIGTERM: ${logTail()}`);
    }
    await start();
  };

  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, dataDir, restart, stop };
}
