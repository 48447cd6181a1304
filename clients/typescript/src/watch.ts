import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

import {
  WatchServiceKeysRequestSchema,
  type WatchServiceKeysRequest,
  type WatchServiceKeysResponse,
} from "./gen/onramp/v1/service_key_service_pb.js";

/** Opens one WatchServiceKeys stream; the watcher aborts `signal` to cancel it. */
export type OpenWatch = (request: WatchServiceKeysRequest, signal: AbortSignal) => AsyncIterable<WatchServiceKeysResponse>;

/** Tuning for {@link ServiceKeyWatcher}. */
export interface WatchOptions {
  /** First backoff between failed attempts, ms (default 100); doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  /** Longest backoff, ms (default 5000). */
  maxBackoffMs?: number;
  /** Consecutive failed attempts retried before the error is thrown; default forever. */
  maxAttempts?: number;
  /** Ends the watch. */
  signal?: AbortSignal;
  /** Waits between attempts (tests replace it). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Codes after which the watcher reconnects with its last resume token. */
export const RESUMABLE_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.Aborted]);

/**
 * Follows WatchServiceKeys across disconnects, as an async iterable of messages.
 *
 * The stream's contract (service_key_service.proto): every message but a non-final snapshot chunk
 * carries a resume token, and reconnecting with the last one received replays exactly what
 * followed it, across server restarts. The server ends streams with UNAVAILABLE on shutdown and
 * ABORTED when a reader falls behind; both mean "reconnect with your token", and a stream that
 * simply ends is treated the same. So the watcher keeps the token of the last message it yielded
 * and reconnects with it, backing off between failed attempts. Other errors are thrown.
 *
 * A stream that drops in the middle of a snapshot starts the snapshot again on reconnect; a client
 * replaces its cache only on lastChunk, so it loses nothing.
 */
export class ServiceKeyWatcher implements AsyncIterable<WatchServiceKeysResponse> {
  /** Token of the last message yielded: store it to continue elsewhere. */
  resumeToken: string;
  /** Streams opened after the first. */
  reconnects = 0;
  private readonly request: WatchServiceKeysRequest;
  private readonly controller = new AbortController();
  private readonly options: WatchOptions;

  constructor(
    private readonly open: OpenWatch,
    request: MessageInitShape<typeof WatchServiceKeysRequestSchema> = {},
    options: WatchOptions = {},
  ) {
    this.request = create(WatchServiceKeysRequestSchema, request);
    this.resumeToken = this.request.resumeToken;
    this.options = options;
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Cancels the stream in flight and ends the iteration. */
  close(): void {
    this.controller.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchServiceKeysResponse> {
    const signal = this.controller.signal;
    const initial = this.options.initialBackoffMs ?? 100;
    const max = this.options.maxBackoffMs ?? 5000;
    const sleep = this.options.sleep ?? abortableSleep;
    let failures = 0;
    while (!signal.aborted) {
      const request = create(WatchServiceKeysRequestSchema, { ...this.request, resumeToken: this.resumeToken });
      let failure: unknown = undefined;
      try {
        for await (const message of this.open(request, signal)) {
          failures = 0;
          if (message.resumeToken !== "") {
            this.resumeToken = message.resumeToken;
          }
          yield message;
          if (signal.aborted) {
            return;
          }
        }
      } catch (err) {
        if (signal.aborted) {
          return;
        }
        if (!RESUMABLE_CODES.has(ConnectError.from(err).code)) {
          throw err;
        }
        failure = err;
      }
      if (signal.aborted) {
        return;
      }
      // A failed stream, or one that simply ended (the contract says it never does on its own).
      failures++;
      if (this.options.maxAttempts !== undefined && failures > this.options.maxAttempts) {
        throw failure ?? new ConnectError("watch stream keeps ending", Code.Unavailable);
      }
      this.reconnects++;
      const backoff = Math.min(max, initial * 2 ** (failures - 1));
      await sleep(backoff * (0.5 + Math.random() / 2), signal);
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
