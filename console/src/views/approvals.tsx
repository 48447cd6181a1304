// The approval inbox, live through WatchApprovals: the one place a person must decide. Approve
// or reject with a comment, when the caller holds keys.write (the key owner's scope).
import { useState } from "preact/hooks";

import { describeError } from "../api.js";
import { Card, ErrorLine, label, mbps, relative } from "../components.js";
import { ApprovalStatus, ApprovalType, PeeringState, type Approval } from "../gen.js";
import { may, useSession } from "../session.js";
import { useApprovals } from "../watches.js";

export function Approvals() {
  const session = useSession();
  const approvals = useApprovals();
  const all = [...approvals.items.values()].sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
  const pending = all.filter((a) => a.status === ApprovalStatus.PENDING);
  const decided = all.filter((a) => a.status !== ApprovalStatus.PENDING);
  return (
    <div>
      <Card title={`Waiting for a decision (${pending.length})`} testid="pending">
        <span class={approvals.ready ? "live" : "muted"}>{approvals.ready ? "● live" : "connecting…"}</span>
        <ErrorLine error={approvals.error} describe={describeError} />
        {pending.length === 0 && approvals.ready && <p class="muted">Nothing waits.</p>}
        {pending.map((a) => (
          <Pending approval={a} canDecide={may(session, "keys.write")} key={a.approvalUid} />
        ))}
      </Card>
      <Card title="Decided" testid="decided">
        <ul>
          {decided.slice(0, 50).map((a) => (
            <li key={a.approvalUid} data-vxc={a.vxcUid}>
              <b>{a.vxcName}</b> from {a.requester}: {label(ApprovalStatus, a.status)} {relative(a.decideTime)}
              {a.comment && <span class="muted"> — “{a.comment}”</span>}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

function Pending({ approval: a, canDecide }: { approval: Approval; canDecide: boolean }) {
  const { api } = useSession();
  const [comment, setComment] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const request = { approvalUid: a.approvalUid, comment };
      await (approve ? api.approvals.approveApproval(request) : api.approvals.rejectApproval(request));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article class="approval" data-vxc={a.vxcUid} data-testid="approval">
      <h3>
        {a.vxcName || a.vxcUid} <span class="pill">{label(ApprovalType, a.type)}</span>
      </h3>
      <p>
        {a.requester} asks for {mbps(a.requestedRateLimitMbps)}, {a.requestedTermMonths} months, on <b>{a.onRamp?.portName}</b>
        {a.serviceKey && (
          <>
            {" "}
            with key <code>{a.serviceKey}</code>
          </>
        )}
        {a.customerRef && <> for {a.customerRef}</>}.
      </p>
      <p class="muted">
        Asked {relative(a.createTime)}; expires {relative(a.expireTime)}.
        {a.peering && ` Peering profile: ${label(PeeringState, a.peering.state)}.`}
      </p>
      {canDecide && (
        <div class="row">
          <input placeholder="comment" value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} data-testid="approval-comment" />
          <button disabled={busy} onClick={() => decide(true)} data-testid="approve">
            Approve
          </button>
          <button disabled={busy} class="danger" onClick={() => decide(false)} data-testid="reject">
            Reject
          </button>
        </div>
      )}
      <ErrorLine error={error} describe={describeError} />
    </article>
  );
}
