// Service keys, live through WatchServiceKeys: a key a customer just used changes here without
// a reload. Issue a key (or a red+blue pair) and deactivate one, when the caller holds keys.write.
import { useState } from "preact/hooks";

import { describeError } from "../api.js";
import { Card, ErrorLine, label, mbps, relative, when } from "../components.js";
import { DiversityPreference, ServiceKeyState, type ServiceKey } from "../gen.js";
import { usePoll } from "../live.js";
import { may, useSession } from "../session.js";
import { useServiceKeys } from "../watches.js";

export function Keys() {
  const session = useSession();
  const keys = useServiceKeys();
  const [state, setState] = useState(ServiceKeyState.UNSPECIFIED);
  const [text, setText] = useState("");
  const shown = [...keys.items.values()]
    .filter((k) => state === ServiceKeyState.UNSPECIFIED || k.state === state)
    .filter((k) => text === "" || [k.key, k.customerRef, k.onRamp?.portName ?? "", k.region, k.description].some((f) => f.includes(text)))
    .sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
  return (
    <div>
      {may(session, "keys.write") && <IssueForm />}
      <Card title={`Service keys (${shown.length} of ${keys.items.size})`} testid="keys">
        <div class="row">
          <label>
            State
            <select value={String(state)} onChange={(e) => setState(Number((e.target as HTMLSelectElement).value))} data-testid="key-state-filter">
              {[0, 1, 2, 3, 4, 5].map((s) => (
                <option value={String(s)} key={s}>
                  {s === 0 ? "any" : label(ServiceKeyState, s)}
                </option>
              ))}
            </select>
          </label>
          <label>
            Search
            <input value={text} placeholder="key, customer, port, region" onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="key-search" />
          </label>
          <span class={keys.ready ? "live" : "muted"}>{keys.ready ? "● live" : "connecting…"}</span>
        </div>
        <ErrorLine error={keys.error} describe={describeError} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Key</th>
                <th>State</th>
                <th>Port</th>
                <th>Use</th>
                <th>Speed</th>
                <th>Customer</th>
                <th>Valid until</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((k) => (
                <KeyRow serviceKey={k} key={k.key} canWrite={may(session, "keys.write")} />
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

function KeyRow({ serviceKey: k, canWrite }: { serviceKey: ServiceKey; canWrite: boolean }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const deactivate = async () => {
    setError(undefined);
    try {
      await api.serviceKeys.deactivateServiceKey({ key: k.key });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <tr data-key={k.key} data-state={label(ServiceKeyState, k.state)}>
      <td>
        <code>{k.key}</code>
        {k.rotatedTo && <div class="muted">rotated to {k.rotatedTo}</div>}
      </td>
      <td>
        <span class={`pill state-${label(ServiceKeyState, k.state)}`}>{label(ServiceKeyState, k.state)}</span>
      </td>
      <td>{k.onRamp?.portName}</td>
      <td>{k.singleUse ? `single${k.vlan !== undefined ? `, vlan ${k.vlan}` : ""}` : "multi"}</td>
      <td>{mbps(k.maxSpeedMbps)}</td>
      <td>{k.customerRef || "—"}</td>
      <td title={when(k.validUntil)}>{k.validUntil ? relative(k.validUntil) : "no end"}</td>
      <td>{k.lastUsedTime ? relative(k.lastUsedTime) : "—"}</td>
      <td>
        {canWrite && k.active && (
          <button class="small" onClick={deactivate} data-testid="deactivate">
            Deactivate
          </button>
        )}
        <ErrorLine error={error} describe={describeError} />
      </td>
    </tr>
  );
}

function IssueForm() {
  const { api } = useSession();
  const [regions] = usePoll(() => api.regions.listRegions({ pageSize: 500 }).then((r) => r.regions), 60_000, []);
  const [region, setRegion] = useState("");
  const [speed, setSpeed] = useState("1000");
  const [pair, setPair] = useState(false);
  const [singleUse, setSingleUse] = useState(true);
  const [preApproved, setPreApproved] = useState(false);
  const [customerRef, setCustomerRef] = useState("");
  const [issued, setIssued] = useState<ServiceKey[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const chosenRegion = region || regions?.[0]?.name || "";
  const issue = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const got = await api.serviceKeys.issueServiceKeys({
        region: chosenRegion,
        diversity: pair ? DiversityPreference.REQUIRED : DiversityPreference.NONE,
        maxSpeedMbps: BigInt(speed || "0"),
        singleUse,
        preApproved,
        customerRef,
        requestId: crypto.randomUUID(),
      });
      setIssued(got.serviceKeys);
    } catch (e) {
      setIssued([]);
      setError(e);
    }
  };
  return (
    <Card title="Issue a key" testid="issue">
      <form onSubmit={issue} class="row">
        <label>
          Region
          <select value={chosenRegion} onChange={(e) => setRegion((e.target as HTMLSelectElement).value)}>
            {(regions ?? []).map((r) => (
              <option value={r.name} key={r.name}>
                {r.displayName || r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Max speed (Mbps)
          <input type="number" min="1" value={speed} onInput={(e) => setSpeed((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Customer ref
          <input value={customerRef} onInput={(e) => setCustomerRef((e.target as HTMLInputElement).value)} data-testid="issue-customer" />
        </label>
        <label class="check">
          <input type="checkbox" checked={singleUse} onChange={(e) => setSingleUse((e.target as HTMLInputElement).checked)} /> single use
        </label>
        <label class="check">
          <input type="checkbox" checked={preApproved} onChange={(e) => setPreApproved((e.target as HTMLInputElement).checked)} /> pre-approved
        </label>
        <label class="check">
          <input type="checkbox" checked={pair} onChange={(e) => setPair((e.target as HTMLInputElement).checked)} data-testid="issue-pair" /> red+blue pair
        </label>
        <button type="submit" data-testid="issue-run">
          Issue
        </button>
      </form>
      <ErrorLine error={error} describe={describeError} />
      {issued.length > 0 && (
        <p data-testid="issued">
          Issued: {issued.map((k) => <code key={k.key}>{k.key} </code>)} on {issued.map((k) => k.onRamp?.portName).join(" + ")}
        </p>
      )}
    </Card>
  );
}
