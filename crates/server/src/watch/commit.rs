//! Committing a revision: the changes between two views, with the Ports' notices applied, stored
//! as one batch and broadcast; and the upstream health the last poll leaves.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::batch::{Batch, Health, UpstreamHealth};
use super::events;
use super::hub::{WatchHub, newest_first};
use crate::error::Error;
use onramp_core::keys::KeyView;
use onramp_store::millis;
use onramp_store::watch::StoredBatch;

impl WatchHub {
    /// Commits the changes between two views as one revision and publishes it.
    pub(crate) async fn apply(
        &self,
        previous: BTreeMap<String, KeyView>,
        current: BTreeMap<String, KeyView>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let current = self.with_notices(current);
        let events = events::diff(&previous, &current, now);
        if events.is_empty() {
            return Ok(());
        }
        let revision = self.revision() + 1;
        let events_json = serde_json::to_string(&events).map_err(Error::internal)?;
        // Queued with the revision, in its transaction: a crash loses neither or both.
        let outbox = match self.inner.webhooks.get() {
            Some(_) => crate::webhooks::events::key_events(&events, revision),
            None => Vec::new(),
        };
        let upserts: Vec<KeyView> = events
            .iter()
            .filter(|event| event.kind != events::ChangeKind::Removed)
            .map(|event| event.key.clone())
            .collect();
        let removals: Vec<String> = events
            .iter()
            .filter(|event| event.kind == events::ChangeKind::Removed)
            .map(|event| event.key.key.clone())
            .collect();
        self.inner
            .store
            .commit_watch_batch(
                &StoredBatch {
                    revision,
                    observe_time_ms: millis(now),
                    events_json,
                },
                &upserts,
                &removals,
                self.inner.settings.history_revisions,
                &outbox,
            )
            .await?;
        if let Some(webhooks) = self.inner.webhooks.get()
            && !outbox.is_empty()
        {
            webhooks.queued();
        }
        {
            let mut state = self.write();
            state.revision = revision;
            state.listing = newest_first(&current);
            state.views = current;
        }
        // No subscriber is fine: the batch is in the store for later resumes.
        let _ = self
            .inner
            .sender
            .send(Arc::new(Batch::new(revision, events)));
        Ok(())
    }

    /// Sets each view's notices from the signals, if the hub follows them.
    fn with_notices(&self, mut views: BTreeMap<String, KeyView>) -> BTreeMap<String, KeyView> {
        if let Some(signals) = self.inner.signals.get() {
            let signals = signals.current();
            for view in views.values_mut() {
                let notices = signals.notices_for(&view.port.uid);
                if view.on_ramp_notices != notices {
                    view.on_ramp_notices = notices;
                }
            }
        }
        views
    }

    pub(super) fn record_success(&self, now: OffsetDateTime) {
        let mut state = self.write();
        state.consecutive_failures = 0;
        state.health = UpstreamHealth {
            status: Health::Healthy,
            last_success: Some(now),
            message: String::new(),
        };
    }

    pub(super) fn record_failure(&self, error: &Error) {
        let mut state = self.write();
        state.consecutive_failures += 1;
        // Throttled (by Megaport or by onramp's own budget) is slow, not down: the views are
        // as fresh as the last poll and the next one is only delayed.
        let throttled = error.reason() == onramp_core::ErrorReason::UpstreamRateLimited;
        let status = if state.health.last_success.is_some()
            && (throttled || state.consecutive_failures < 3)
        {
            Health::Degraded
        } else {
            Health::Unavailable
        };
        state.health = UpstreamHealth {
            status,
            last_success: state.health.last_success,
            message: error.to_string(),
        };
    }
}
