// The two resumable watches as live maps: every service key (WatchServiceKeys) and every
// approval (WatchApprovals). A snapshot replaces the map once its last chunk arrives; changes
// update it; a reopened stream resumes from the last resume token.
import { useRef, useState } from "preact/hooks";

import { useFollow } from "./live.js";
import { useSession } from "./session.js";
import type { Approval, ServiceKey, UpstreamHealth } from "./gen.js";

export interface Live<T> {
  items: Map<string, T>;
  /** The first snapshot has arrived. */
  ready: boolean;
  upstream?: UpstreamHealth;
  error: unknown;
}

interface Watched<T> {
  resumeToken: string;
  kind:
    | { case: "snapshot"; value: { lastChunk: boolean; items: T[] } }
    | { case: "changes"; value: T[] }
    | { case: "progress"; value: { upstream?: UpstreamHealth } }
    | { case: undefined };
}

function useWatch<T>(open: (resumeToken: string, signal: AbortSignal) => AsyncIterable<Watched<T>>, id: (item: T) => string): Live<T> {
  const [live, setLive] = useState<Live<T>>({ items: new Map(), ready: false, error: undefined });
  const resume = useRef("");
  useFollow(
    async (signal, answered) => {
      let building: Map<string, T> | null = null;
      for await (const message of open(resume.current, signal)) {
        answered();
        resume.current = message.resumeToken;
        const kind = message.kind;
        if (kind.case === "snapshot") {
          building ??= new Map();
          for (const item of kind.value.items) building.set(id(item), item);
          if (kind.value.lastChunk) {
            const done: Map<string, T> = building;
            building = null;
            setLive((old) => ({ ...old, items: done, ready: true, error: undefined }));
          }
        } else if (kind.case === "changes") {
          const changed = kind.value;
          setLive((old) => {
            const items = new Map(old.items);
            for (const item of changed) items.set(id(item), item);
            return { ...old, items };
          });
        } else if (kind.case === "progress") {
          const upstream = kind.value.upstream;
          setLive((old) => ({ ...old, upstream }));
        }
      }
    },
    (error) => setLive((old) => ({ ...old, error: error ?? undefined })),
    [],
  );
  return live;
}

export function useServiceKeys(): Live<ServiceKey> {
  const { api } = useSession();
  return useWatch<ServiceKey>(
    (resumeToken, signal) =>
      (async function* () {
        for await (const m of api.serviceKeys.watchServiceKeys({ resumeToken }, { signal })) {
          const k = m.kind;
          yield {
            resumeToken: m.resumeToken,
            kind:
              k.case === "snapshot"
                ? { case: "snapshot", value: { lastChunk: k.value.lastChunk, items: k.value.serviceKeys } }
                : k.case === "changes"
                  ? { case: "changes", value: k.value.events.flatMap((e) => (e.serviceKey ? [e.serviceKey] : [])) }
                  : k.case === "progress"
                    ? { case: "progress", value: { upstream: k.value.upstream } }
                    : { case: undefined },
          } satisfies Watched<ServiceKey>;
        }
      })(),
    (key) => key.key,
  );
}

export function useApprovals(): Live<Approval> {
  const { api } = useSession();
  return useWatch<Approval>(
    (resumeToken, signal) =>
      (async function* () {
        for await (const m of api.approvals.watchApprovals({ resumeToken }, { signal })) {
          const k = m.kind;
          yield {
            resumeToken: m.resumeToken,
            kind:
              k.case === "snapshot"
                ? { case: "snapshot", value: { lastChunk: k.value.lastChunk, items: k.value.approvals } }
                : k.case === "changes"
                  ? { case: "changes", value: k.value.approvals }
                  : k.case === "progress"
                    ? { case: "progress", value: { upstream: k.value.upstream } }
                    : { case: undefined },
          } satisfies Watched<Approval>;
        }
      })(),
    (approval) => approval.approvalUid,
  );
}
