// Live data: each view opens the stream it needs, resumes it after a dropped connection (with
// the stream's resume token where the RPC has one) and closes it when the view goes away.
import { Code, ConnectError } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";

/** How long a dropped stream waits before it reopens. */
const REOPEN_MS = 1000;

/**
 * Runs `follow` until the component unmounts: it gets an AbortSignal and reopens after any
 * error but cancellation. `onError` hears each drop (and `null` once the stream answers again).
 */
export function useFollow(
  follow: (signal: AbortSignal, answered: () => void) => Promise<void>,
  onError: (error: unknown | null) => void,
  deps: unknown[],
): void {
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          await follow(abort.signal, () => onError(null));
        } catch (error) {
          if (abort.signal.aborted || ConnectError.from(error).code === Code.Canceled) return;
          onError(error);
        }
        await new Promise((resolve) => setTimeout(resolve, REOPEN_MS));
      }
    })();
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** Calls `load` now and every `everyMs`, keeping its last answer and error. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): [T | undefined, unknown, () => void] {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (got) => !stopped && (setValue(got), setError(undefined)),
        (err) => !stopped && setError(err),
      );
    void run();
    const timer = setInterval(run, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return [value, error, () => setTick((t) => t + 1)];
}
