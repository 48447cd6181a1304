// Webhook endpoints and their recent deliveries; a failed delivery can be sent again.
import { useState } from "preact/hooks";

import { describeError } from "../api.js";
import { Card, ErrorLine, label, when } from "../components.js";
import { WebhookDeliveryStatus } from "../gen.js";
import { usePoll } from "../live.js";
import { may, useSession } from "../session.js";

export function Webhooks() {
  const session = useSession();
  const { api } = session;
  const [endpoints, endpointsError] = usePoll(() => api.webhooks.listWebhookEndpoints({ pageSize: 100 }).then((r) => r.endpoints), 10_000, []);
  const [deliveries, deliveriesError, reload] = usePoll(
    () => api.webhooks.listWebhookDeliveries({ pageSize: 100 }).then((r) => r.deliveries),
    5_000,
    [],
  );
  const [error, setError] = useState<unknown>(undefined);
  const retry = async (id: string) => {
    setError(undefined);
    try {
      await api.webhooks.retryWebhookDelivery({ id });
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div>
      <Card title="Endpoints" testid="webhook-endpoints">
        <ErrorLine error={endpointsError} describe={describeError} />
        {endpoints?.length === 0 && <p class="muted">No endpoint yet: create one with WebhookService.CreateWebhookEndpoint.</p>}
        <ul>
          {(endpoints ?? []).map((e) => (
            <li key={e.id}>
              <code>{e.url}</code> {e.disabled ? <span class="pill warn">disabled: {e.disabledReason}</span> : <span class="pill">enabled</span>}{" "}
              <span class="muted">{e.eventTypes.join(", ") || "every event"}</span>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Recent deliveries" testid="webhook-deliveries">
        <ErrorLine error={deliveriesError ?? error} describe={describeError} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last answer</th>
                <th>Next attempt</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(deliveries ?? []).map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.eventType}
                    <div class="muted">{when(d.occurTime)}</div>
                  </td>
                  <td>{label(WebhookDeliveryStatus, d.status)}</td>
                  <td>{d.attempts}</td>
                  <td>{d.lastHttpStatus ? `HTTP ${d.lastHttpStatus}` : d.lastError || "—"}</td>
                  <td>{when(d.nextAttemptTime)}</td>
                  <td>
                    {may(session, "webhooks.write") && d.status === WebhookDeliveryStatus.FAILED && (
                      <button class="small" onClick={() => retry(d.id)}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}
