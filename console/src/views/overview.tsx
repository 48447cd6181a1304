// What an operator checks first: decisions waiting, keys and orders by state, Megaport's budget,
// the upstream's health, and the on-ramps of every metro with their notices.
import { allPages, describeError } from "../api.js";
import { Card, Counts, ErrorLine, Gauge, countBy, label, relative } from "../components.js";
import {
  ApprovalStatus,
  OnRampKind,
  ProvisioningStatus,
  ServiceKeyState,
  UpstreamStatus,
  VxcOrderState,
  type OnRamp,
} from "../gen.js";
import { usePoll } from "../live.js";
import { may, useSession } from "../session.js";
import { useApprovals, useServiceKeys } from "../watches.js";

export function useOnRamps() {
  const { api } = useSession();
  return usePoll(
    () =>
      allPages(async (pageToken) => {
        const got = await api.catalog.listOnRamps({ pageToken, pageSize: 500 });
        return { items: got.onRamps, nextPageToken: got.nextPageToken };
      }),
    30_000,
    [],
  );
}

export function Overview() {
  const session = useSession();
  const { api } = session;
  const [onRamps, onRampsError] = useOnRamps();
  const [status] = usePoll(() => api.admin.getServerStatus({}), 5_000, []);
  const [orders, ordersError] = usePoll(
    () =>
      may(session, "orders.read")
        ? allPages(async (pageToken) => {
            const got = await api.vxcOrders.listVxcOrders({ pageToken, pageSize: 500 });
            return { items: got.orders, nextPageToken: got.nextPageToken };
          })
        : Promise.resolve([]),
    10_000,
    [],
  );
  const budget = (status ?? session.status).megaportBudget;
  const upstream = (status ?? session.status).upstream;
  const byMetro = new Map<string, OnRamp[]>();
  for (const onRamp of onRamps ?? []) {
    const metro = onRamp.location?.metro ?? "unknown";
    byMetro.set(metro, [...(byMetro.get(metro) ?? []), onRamp]);
  }
  const noticed = (onRamps ?? []).filter((o) => o.notices.length > 0);
  return (
    <div class="grid">
      {may(session, "watch") && <Waiting />}
      {may(session, "watch") && <KeysByState />}
      <Card title="Orders by state" testid="orders-by-state">
        <ErrorLine error={ordersError} describe={describeError} />
        <Counts counts={countBy(orders ?? [], (o) => label(VxcOrderState, o.state))} testid="order-counts" />
      </Card>
      <Card title="Megaport requests" testid="budget">
        {budget && (
          <Gauge
            used={budget.used}
            limit={budget.limit}
            caption={`used of ${budget.limit} per ${budget.windowSeconds / 60} min${budget.pausedSeconds > 0 ? `, paused ${budget.pausedSeconds} s after a 429` : ""}`}
          />
        )}
        <p data-testid="upstream" class={upstream?.status === UpstreamStatus.HEALTHY ? "ok" : "warn"}>
          Upstream: {upstream ? label(UpstreamStatus, upstream.status) : "unknown"}
          {upstream?.message ? ` — ${upstream.message}` : ""}
        </p>
      </Card>
      <Card title="On-ramps by metro" testid="metros">
        <ErrorLine error={onRampsError} describe={describeError} />
        <ul class="metros">
          {[...byMetro.entries()].sort().map(([metro, ports]) => (
            <li key={metro} data-metro={metro}>
              <b>{metro}</b> <span class="muted">{ports[0]?.location?.country}</span>
              <ul>
                {ports.map((p) => (
                  <li key={p.portUid}>
                    {p.portName}
                    {p.kind !== OnRampKind.PORT && ` (${label(OnRampKind, p.kind)})`}{" "}
                    <span class="muted">
                      {p.location?.name}
                      {p.provisioningStatus !== ProvisioningStatus.LIVE && `, ${label(ProvisioningStatus, p.provisioningStatus)}`}
                    </span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Ports with notices" testid="notices">
        {noticed.length === 0 ? (
          <p class="muted">No maintenance or outage ahead.</p>
        ) : (
          <ul>
            {noticed.map((p) => (
              <li key={p.portUid}>
                <b>{p.portName}</b>:{" "}
                {p.notices.map((n) => `${n.ongoing ? "ongoing" : "upcoming"} ${n.state.toLowerCase()} ${relative(n.startTime)}`).join("; ")}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function Waiting() {
  const approvals = useApprovals();
  const pending = [...approvals.items.values()]
    .filter((a) => a.status === ApprovalStatus.PENDING)
    .sort((a, b) => Number((a.expireTime?.seconds ?? 0n) - (b.expireTime?.seconds ?? 0n)));
  return (
    <Card title="Approvals waiting" testid="approvals-waiting">
      <p class="big" data-testid="pending-count">
        {approvals.ready ? pending.length : "…"}
      </p>
      {pending[0] && <p class="muted">first expires {relative(pending[0].expireTime)}</p>}
      <ErrorLine error={approvals.error} describe={describeError} />
    </Card>
  );
}

function KeysByState() {
  const keys = useServiceKeys();
  return (
    <Card title="Service keys by state" testid="keys-by-state">
      <Counts counts={countBy([...keys.items.values()], (k) => label(ServiceKeyState, k.state))} testid="key-counts" />
      <ErrorLine error={keys.error} describe={describeError} />
    </Card>
  );
}
