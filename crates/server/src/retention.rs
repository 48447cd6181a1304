//! The `[retention]` section and the pruner: how long the audit log, the request-id journals and
//! finished orders are kept, and the background task (on the leader) that forgets what is
//! older, in small batches so that writers never wait long behind it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::settings::ConfigError;
use onramp_store::Store;
use onramp_store::retention::Prunable;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Horizons in days; 0 keeps rows forever.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// The audit log, by when the call ended.
    pub audit_days: u32,
    /// Finished request ids (a create's kept answer, a minted key's request, a VXC change): a
    /// retry with the same request_id is answered as the first call was for this long, and
    /// after it acts anew. Keep it longer than any client retries.
    pub request_ids_days: u32,
    /// Orders that ended (rejected, failed, cancelled, expired, decommissioned), by their last
    /// change. An order is its buy's request-id record too, so this is never shorter than
    /// `request_ids_days`.
    pub terminal_orders_days: u32,
    /// Webhook deliveries that ended (delivered or failed), by when their event occurred:
    /// RecoverWebhookEndpoint can send a failed one again for this long.
    pub webhook_days: u32,
    /// How often the leader prunes.
    pub interval_seconds: u64,
    /// Rows one statement deletes: a writer waits at most for one batch.
    pub batch_rows: u32,
    /// The pause between two batches, which writers use.
    pub batch_pause_millis: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            audit_days: 400,
            request_ids_days: 30,
            terminal_orders_days: 400,
            webhook_days: 30,
            interval_seconds: 600,
            batch_rows: 100,
            batch_pause_millis: 10,
        }
    }
}

impl RetentionSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::settings::positive("retention.interval_seconds", self.interval_seconds)?;
        crate::settings::positive("retention.batch_rows", u64::from(self.batch_rows))?;
        let forever = |days: u32| days == 0;
        let orders_outlive_request_ids = match (
            forever(self.request_ids_days),
            forever(self.terminal_orders_days),
        ) {
            (_, true) => true,
            (true, false) => false,
            (false, false) => self.terminal_orders_days >= self.request_ids_days,
        };
        if !orders_outlive_request_ids {
            return Err(ConfigError::Invalid {
                key: "retention.terminal_orders_days",
                problem: format!(
                    "must be 0 (forever) or at least retention.request_ids_days ({}): an order \
                     is its buy's request-id record, and a retry after it is gone would buy again",
                    self.request_ids_days
                ),
            });
        }
        Ok(())
    }

    /// The horizon of `what` in milliseconds; `None` when it is kept forever.
    fn horizon_ms(&self, what: Prunable) -> Option<i64> {
        let days = match what {
            Prunable::AuditRecords => self.audit_days,
            Prunable::RequestIds => self.request_ids_days,
            Prunable::TerminalOrders => self.terminal_orders_days,
            Prunable::WebhookDeliveries => self.webhook_days,
        };
        (days > 0).then(|| i64::from(days) * DAY_MS)
    }
}

/// Prunes every `interval_seconds` until `shutdown`; run it on the leader only, so replicas do
/// not delete the same rows at once.
pub fn spawn_pruner(
    store: Store,
    settings: RetentionSettings,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval = Duration::from_secs(settings.interval_seconds);
        loop {
            for what in Prunable::ALL {
                if let Some(horizon_ms) = settings.horizon_ms(what) {
                    prune_to_horizon(&store, &settings, what, horizon_ms, &shutdown).await;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shutdown.cancelled() => return,
            }
        }
    })
}

/// Deletes batch after batch until a batch finds fewer rows than it may take.
async fn prune_to_horizon(
    store: &Store,
    settings: &RetentionSettings,
    what: Prunable,
    horizon_ms: i64,
    shutdown: &CancellationToken,
) {
    let batch = settings.batch_rows as usize;
    let mut total = 0;
    loop {
        match store.prune(what, horizon_ms, batch).await {
            Ok(pruned) => {
                total += pruned.deleted;
                if !pruned.more {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, what = what.as_str(), "pruning failed; retrying next round");
                break;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(settings.batch_pause_millis)) => {}
            () = shutdown.cancelled() => break,
        }
    }
    if total > 0 {
        tracing::info!(
            what = what.as_str(),
            rows = total,
            "pruned rows past their horizon"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_kept_at_least_as_long_as_request_ids() {
        let valid = |request_ids_days, terminal_orders_days| {
            RetentionSettings {
                request_ids_days,
                terminal_orders_days,
                ..RetentionSettings::default()
            }
            .validate()
            .is_ok()
        };
        assert!(valid(30, 400));
        assert!(valid(30, 30));
        assert!(valid(30, 0));
        assert!(valid(0, 0));
        assert!(!valid(30, 7));
        assert!(!valid(0, 400), "request ids kept forever, orders not");
        assert!(RetentionSettings::default().validate().is_ok());
    }

    #[tokio::test]
    async fn the_pruner_takes_batch_after_batch_until_the_log_is_at_its_horizon() {
        let store = Store::in_memory().await.expect("store");
        let now_ms = onramp_store::millis(time::OffsetDateTime::now_utc());
        store
            .load_audit_records(1_005, now_ms - 500 * DAY_MS)
            .await
            .expect("old records");
        store
            .load_audit_records(3, now_ms)
            .await
            .expect("new records");
        let settings = RetentionSettings {
            batch_rows: 100,
            batch_pause_millis: 0,
            ..RetentionSettings::default()
        };
        let horizon = settings
            .horizon_ms(Prunable::AuditRecords)
            .expect("audit is pruned by default");
        prune_to_horizon(
            &store,
            &settings,
            Prunable::AuditRecords,
            horizon,
            &CancellationToken::new(),
        )
        .await;
        let left = store.audit_page(i64::MAX, "", "", 100).await.expect("page");
        assert_eq!(
            left.len(),
            3,
            "eleven batches took every old record, and only those"
        );
    }
}
