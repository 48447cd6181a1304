//! Sends what the outbox holds: claims due deliveries (a lease on the database's clock, so with
//! several replicas each delivery is sent by one), signs each with its endpoint's secret, sends
//! it, and records the answer: delivered on a 2xx; on anything else the next attempt after the
//! schedule's wait (or the endpoint's `retry-after`, when longer), failed once the schedule is
//! spent; a 410 disables the endpoint.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::Webhooks;
use super::settings::WebhookSettings;
use onramp_store::Store;
use onramp_store::webhooks::{AttemptOutcome, ClaimedDelivery, OutboxEvent};
use onramp_webhooks::{Answer, signature_header};

/// Deliveries claimed per round.
const CLAIM_BATCH: i64 = 32;

pub(crate) struct Dispatcher {
    store: Store,
    webhooks: Webhooks,
    schedule: Vec<Duration>,
    lease: Duration,
    poll: Duration,
    disable_after: Duration,
    in_flight_per_endpoint: usize,
}

/// How long a claim holds its deliveries: the configured lease, or longer when one round's
/// deliveries to a single endpoint could take longer, queued behind its in-flight limit (each
/// attempt up to the timeout), so no other replica takes over a delivery still waiting its turn.
fn lease(settings: &WebhookSettings) -> Duration {
    let in_flight = u64::try_from(settings.max_in_flight_per_endpoint.max(1)).unwrap_or(1);
    let turns = u64::try_from(CLAIM_BATCH).unwrap_or(1).div_ceil(in_flight);
    let queued = settings.timeout() * u32::try_from(turns).unwrap_or(u32::MAX);
    Duration::from_secs(settings.lease_seconds).max(queued + Duration::from_secs(5))
}

impl Dispatcher {
    pub(crate) fn new(store: Store, webhooks: Webhooks, settings: &WebhookSettings) -> Self {
        Self {
            store,
            webhooks,
            schedule: settings
                .retry_schedule_seconds
                .iter()
                .map(|seconds| Duration::from_secs(*seconds))
                .collect(),
            lease: lease(settings),
            poll: Duration::from_millis(settings.poll_interval_millis),
            disable_after: Duration::from_secs(settings.disable_after_seconds),
            in_flight_per_endpoint: settings.max_in_flight_per_endpoint.max(1),
        }
    }

    /// Runs until `shutdown`: a round whenever woken (a commit with events, a test event) or
    /// every poll interval (another replica's events, retries coming due).
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        loop {
            let full = match self.round().await {
                Ok(claimed) => claimed == usize::try_from(CLAIM_BATCH).unwrap_or(usize::MAX),
                Err(error) => {
                    tracing::warn!(error = %error, "webhook deliveries could not be claimed");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.webhooks.wake.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Sends every delivery one claim returns, side by side; how many there were.
    async fn round(&self) -> Result<usize, onramp_store::StoreError> {
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let claimed = self
            .store
            .claim_webhook_deliveries(lease_ms, CLAIM_BATCH)
            .await?;
        let count = claimed.len();
        // Endpoints side by side; to each at most `in_flight_per_endpoint` at a time, so one
        // event burst does not become a burst of connections to one receiver.
        let mut by_endpoint: std::collections::BTreeMap<String, Vec<ClaimedDelivery>> =
            Default::default();
        for delivery in claimed {
            by_endpoint
                .entry(delivery.endpoint_id.clone())
                .or_default()
                .push(delivery);
        }
        let mut sends = Vec::with_capacity(count);
        for deliveries in by_endpoint.into_values() {
            let permits = Arc::new(Semaphore::new(self.in_flight_per_endpoint));
            for delivery in deliveries {
                let permits = permits.clone();
                sends.push(async move {
                    let _permit = permits.acquire().await;
                    self.deliver(delivery).await;
                });
            }
        }
        futures::future::join_all(sends).await;
        Ok(count)
    }

    async fn deliver(&self, delivery: ClaimedDelivery) {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        // During a rotation's overlap both secrets sign, the new one first.
        let signed = [&delivery.secret, &delivery.previous_secret]
            .into_iter()
            .filter(|secret| !secret.is_empty())
            .map(|secret| self.webhooks.open(secret))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|secrets| {
                signature_header(
                    &secrets.iter().collect::<Vec<_>>(),
                    &delivery.event_id,
                    timestamp,
                    delivery.payload.as_bytes(),
                )
                .map_err(|error| error.to_string())
            });
        let answer = match signed {
            Ok(signature) => {
                self.webhooks
                    .sender
                    .send(
                        &delivery.url,
                        &delivery.event_id,
                        timestamp,
                        &signature,
                        delivery.payload.clone(),
                    )
                    .await
            }
            Err(error) => Answer {
                status: None,
                retry_after: None,
                error: format!("could not sign: {error}"),
            },
        };
        let outcome = self.outcome(&answer, delivery.attempts);
        let totals = &self.webhooks.totals;
        match outcome {
            AttemptOutcome::Delivered => &totals.delivered,
            AttemptOutcome::RetryIn(_) => &totals.retried,
            AttemptOutcome::Failed => &totals.failed,
            AttemptOutcome::Gone => &totals.gone,
        }
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(delivery = %delivery.id, status = ?answer.status, outcome = ?outcome,
            "webhook attempt");
        let disable_after_ms = i64::try_from(self.disable_after.as_millis()).unwrap_or(i64::MAX);
        let disabled_event = |endpoint_id: &str, reason: &str| {
            OutboxEvent::new(
                "webhook_endpoint.disabled",
                time::OffsetDateTime::now_utc(),
                serde_json::json!({ "endpoint_id": endpoint_id, "reason": reason }),
            )
        };
        match self
            .store
            .record_webhook_attempt(
                &delivery.id,
                &outcome,
                answer.status,
                &answer.error,
                disable_after_ms,
                disabled_event,
            )
            .await
        {
            Ok(Some(reason)) => {
                tracing::warn!(endpoint = %delivery.endpoint_id, %reason,
                    "webhook endpoint disabled");
            }
            Ok(None) => {}
            // The lease runs out and the delivery is sent again: at least once, never lost.
            Err(error) => tracing::warn!(delivery = %delivery.id, error = %error,
                "a webhook attempt could not be recorded"),
        }
    }

    /// What an answer means for a delivery that had `attempts` attempts before this one.
    fn outcome(&self, answer: &Answer, attempts: i64) -> AttemptOutcome {
        if answer.delivered() {
            return AttemptOutcome::Delivered;
        }
        if answer.status == Some(410) {
            return AttemptOutcome::Gone;
        }
        let Some(wait) = usize::try_from(attempts)
            .ok()
            .and_then(|attempts| self.schedule.get(attempts))
        else {
            return AttemptOutcome::Failed;
        };
        let jitter = wait.mul_f64(rand::rng().random_range(0.0..0.1));
        let wait = (*wait + jitter).max(answer.retry_after.unwrap_or_default());
        AttemptOutcome::RetryIn(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_outlasts_a_rounds_queue_to_one_endpoint() {
        let defaults = WebhookSettings::default();
        // 32 claimed, 4 at a time: 8 turns of up to 15 s.
        assert_eq!(lease(&defaults), Duration::from_secs(125));
        let quick = WebhookSettings {
            timeout_seconds: 1,
            lease_seconds: 60,
            ..WebhookSettings::default()
        };
        assert_eq!(
            lease(&quick),
            Duration::from_secs(60),
            "the configured lease suffices"
        );
    }
}
