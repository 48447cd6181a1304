// Every Port onramp sells on: capacity as bars (allocated, measured), headroom, VXCs, zone and
// notices; and a selection tried from the page, with every rejection's reason.
import { useState } from "preact/hooks";

import { describeError } from "../api.js";
import { Bar, Card, ErrorLine, label, mbps, relative } from "../components.js";
import {
  DiversityPreference,
  DiversityZone,
  OnRampKind,
  RejectionReason,
  type OnRamp,
  type SelectOnRampsResponse,
} from "../gen.js";
import { usePoll } from "../live.js";
import { useSession } from "../session.js";
import { useOnRamps } from "./overview.js";

export function OnRamps() {
  const [onRamps, error] = useOnRamps();
  return (
    <div>
      <Card title="On-ramps" testid="onramps">
        <ErrorLine error={error} describe={describeError} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>On-ramp</th>
                <th>Kind</th>
                <th>Metro</th>
                <th>Zone</th>
                <th>Speed</th>
                <th>Allocated</th>
                <th>Measured p95</th>
                <th>Headroom</th>
                <th>VXCs</th>
                <th>Regions</th>
                <th>Notices</th>
              </tr>
            </thead>
            <tbody>
              {(onRamps ?? []).map((o) => (
                <OnRampRow onRamp={o} key={o.portUid} />
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <RegionTotals onRamps={onRamps ?? []} />
      <SelectionForm />
    </div>
  );
}

/** Each region's on-ramps together: capacity, allocation and headroom. */
function RegionTotals({ onRamps }: { onRamps: OnRamp[] }) {
  const regions = new Map<string, OnRamp[]>();
  for (const o of onRamps) for (const name of o.regions) regions.set(name, [...(regions.get(name) ?? []), o]);
  const sum = (list: OnRamp[], figure: (o: OnRamp) => bigint) => list.reduce((total, o) => total + Number(figure(o)), 0);
  return (
    <Card title="Regions" testid="regions">
      {regions.size === 0 && <p class="muted">No region holds an on-ramp.</p>}
      <table>
        <tbody>
          {[...regions.entries()].sort().map(([name, list]) => {
            const speed = sum(list, (o) => o.speedMbps);
            const allocated = sum(list, (o) => o.allocatedMbps);
            return (
              <tr key={name} data-region={name}>
                <td>
                  <b>{name}</b>
                  <div class="muted">{list.length} on-ramps</div>
                </td>
                <td>
                  <Bar fraction={allocated / speed} title={`${mbps(allocated)} of ${mbps(speed)} allocated`} />
                </td>
                <td>{mbps(sum(list, (o) => o.headroomMbps))} headroom</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

function OnRampRow({ onRamp: o }: { onRamp: OnRamp }) {
  const speed = Number(o.speedMbps);
  const measured = o.measured?.p95Mbps ?? 0;
  return (
    <tr data-port={o.portUid}>
      <td>
        <b>{o.portName}</b>
        <div class="muted">{o.location?.name}</div>
      </td>
      <td>
        {label(OnRampKind, o.kind)}
        {o.kind === OnRampKind.MCR && <div class="muted">asn {String(o.mcrAsn)}</div>}
        {o.kind === OnRampKind.MVE && (
          <div class="muted">
            {o.mveSize}, vnics free {o.vnics.filter((v) => v.vxcUid === "").length}/{o.vnics.length}
          </div>
        )}
      </td>
      <td>{o.location?.metro}</td>
      <td>
        <span class={`zone zone-${label(DiversityZone, o.diversityZone)}`}>{label(DiversityZone, o.diversityZone)}</span>
      </td>
      <td>{mbps(o.speedMbps)}</td>
      <td>
        <Bar fraction={Number(o.allocatedMbps) / speed} title={`${mbps(o.allocatedMbps)} (${Math.round(o.utilisation * 100)} %)`} />
      </td>
      <td>
        {o.measured ? (
          <Bar fraction={measured / speed} title={`${measured.toFixed(0)} Mbps${o.measured.fresh ? "" : " (stale)"}`} />
        ) : (
          <span class="muted">not measured</span>
        )}
      </td>
      <td>{mbps(o.headroomMbps)}</td>
      <td>{o.vxcCount}</td>
      <td>{o.regions.join(", ")}</td>
      <td>{o.notices.map((n) => `${n.state.toLowerCase()} ${relative(n.startTime)}`).join("; ") || "—"}</td>
    </tr>
  );
}

function SelectionForm() {
  const { api } = useSession();
  const [regions] = usePoll(() => api.regions.listRegions({ pageSize: 500 }).then((r) => r.regions), 60_000, []);
  const [region, setRegion] = useState("");
  const [rate, setRate] = useState("1000");
  const [diversity, setDiversity] = useState(DiversityPreference.PREFERRED);
  const [answer, setAnswer] = useState<SelectOnRampsResponse | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const chosenRegion = region || regions?.[0]?.name || "";
  const select = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      setAnswer(
        await api.catalog.selectOnRamps({
          scope: { case: "region", value: chosenRegion },
          rateLimitMbps: BigInt(rate || "0"),
          diversity,
        }),
      );
    } catch (e) {
      setAnswer(undefined);
      setError(e);
    }
  };
  return (
    <Card title="Try a selection" testid="selection">
      <form onSubmit={select} class="row">
        <label>
          Region
          <select value={chosenRegion} onChange={(e) => setRegion((e.target as HTMLSelectElement).value)} data-testid="select-region">
            {(regions ?? []).map((r) => (
              <option value={r.name} key={r.name}>
                {r.displayName || r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rate (Mbps)
          <input type="number" min="1" value={rate} onInput={(e) => setRate((e.target as HTMLInputElement).value)} data-testid="select-rate" />
        </label>
        <label>
          Diversity
          <select value={String(diversity)} onChange={(e) => setDiversity(Number((e.target as HTMLSelectElement).value))}>
            {[DiversityPreference.NONE, DiversityPreference.PREFERRED, DiversityPreference.REQUIRED].map((d) => (
              <option value={String(d)} key={d}>
                {label(DiversityPreference, d)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="select-run">
          Select
        </button>
      </form>
      <ErrorLine error={error} describe={describeError} />
      {answer && (
        <div data-testid="selection-result">
          <p>
            Chosen: <b>{answer.chosen.map((o) => `${o.portName} (${label(DiversityZone, o.diversityZone)})`).join(" + ") || "none"}</b>
            {answer.diversityMessage && <span class="muted"> — {answer.diversityMessage}</span>}
          </p>
          <p class="muted">{answer.rankingMessage}</p>
          {answer.rejected.length > 0 && (
            <ul data-testid="rejections">
              {answer.rejected.map((r) => (
                <li key={r.onRamp?.portUid}>
                  <b>{r.onRamp?.portName}</b>: {label(RejectionReason, r.reason)} — {r.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Card>
  );
}
