// VXC orders: the list, and one order's timeline live through WatchVxcOrder.
import { useState } from "preact/hooks";

import { allPages, describeError } from "../api.js";
import { Card, ErrorLine, Timeline, clock, label, mbps, when } from "../components.js";
import { VxcOrderState, type VxcOrder } from "../gen.js";
import { useFollow, usePoll } from "../live.js";
import { useSession } from "../session.js";

/** The path an order takes to LIVE, in order. */
const PATH = [
  VxcOrderState.JOURNALED,
  VxcOrderState.SUBMITTING,
  VxcOrderState.AWAITING_APPROVAL,
  VxcOrderState.DEPLOYABLE,
  VxcOrderState.CONFIGURED,
  VxcOrderState.LIVE,
];

/** Ends off the path, shown after the last step reached. */
const ENDS = new Set([
  VxcOrderState.REJECTED,
  VxcOrderState.FAILED,
  VxcOrderState.CANCELLED,
  VxcOrderState.EXPIRED,
  VxcOrderState.CANCELLING,
  VxcOrderState.OUTCOME_UNKNOWN,
  VxcOrderState.CHANGE_AWAITING_APPROVAL,
]);

export function Orders(props: { selected: string }) {
  const { api } = useSession();
  const [orders, error, reload] = usePoll(
    () =>
      allPages(async (pageToken) => {
        const got = await api.vxcOrders.listVxcOrders({ pageToken, pageSize: 500 });
        return { items: got.orders, nextPageToken: got.nextPageToken };
      }),
    5_000,
    [],
  );
  return (
    <div>
      {props.selected && <OrderTimeline orderId={props.selected} onChange={reload} key={props.selected} />}
      <Card title="VXC orders" testid="orders">
        <ErrorLine error={error} describe={describeError} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Order</th>
                <th>State</th>
                <th>Account</th>
                <th>B-end</th>
                <th>Rate</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {(orders ?? []).map((o) => (
                <tr key={o.orderId} data-order={o.orderId} data-vxc={o.vxcUid}>
                  <td>
                    <a href={`#/orders/${encodeURIComponent(o.orderId)}`}>{o.spec?.name || o.orderId}</a>
                  </td>
                  <td>
                    <span class="pill">{label(VxcOrderState, o.state)}</span>
                  </td>
                  <td>{o.account}</td>
                  <td>{o.bEnd?.portName}</td>
                  <td>{o.spec ? mbps(o.spec.rateLimitMbps) : ""}</td>
                  <td>{when(o.updateTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

/** One order followed through WatchVxcOrder; `onChange` hears each new state (the list reloads). */
function OrderTimeline({ orderId, onChange }: { orderId: string; onChange: () => void }) {
  const { api } = useSession();
  const [order, setOrder] = useState<VxcOrder | undefined>(undefined);
  const [seen, setSeen] = useState<Map<VxcOrderState, string>>(new Map());
  const [error, setError] = useState<unknown>(undefined);
  useFollow(
    async (signal, answered) => {
      for await (const message of api.vxcOrders.watchVxcOrder({ orderId }, { signal })) {
        answered();
        const got = message.order;
        if (!got) continue;
        setOrder(got);
        setSeen((old) => (old.has(got.state) ? old : new Map(old).set(got.state, clock(got.updateTime))));
        onChange();
      }
    },
    (e) => setError(e ?? undefined),
    [orderId],
  );
  const state = order?.state ?? VxcOrderState.UNSPECIFIED;
  const reachedIndex = Math.max(PATH.indexOf(state), ...[...seen.keys()].map((s) => PATH.indexOf(s)));
  const steps = PATH.map((s, i) => ({ name: label(VxcOrderState, s), reached: i <= reachedIndex, at: seen.get(s) }));
  const ended = ENDS.has(state) ? [{ name: label(VxcOrderState, state), reached: true, at: seen.get(state), failed: true }] : [];
  return (
    <Card title={`Order ${order?.spec?.name || orderId}`} testid="order-detail">
      <ErrorLine error={error} describe={describeError} />
      {order && (
        <>
          <p data-testid="order-state" data-state={label(VxcOrderState, state)}>
            <b>{label(VxcOrderState, state)}</b> — {order.stateMessage || "no message"}
          </p>
          <Timeline steps={[...steps, ...ended]} />
          <p class="muted">
            VXC {order.vxcUid || "not yet known"}; {order.aEnd?.portName} → {order.bEnd?.portName}; bought by {order.account}
          </p>
        </>
      )}
    </Card>
  );
}
