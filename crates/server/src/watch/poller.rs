//! The poller, on the replica that leads: Megaport's key list every interval (or at once when a
//! write pokes it), diffed against the views and committed; and the Ports' maintenance and
//! outage notices copied onto the keys' views whenever the signals change.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use megaport::Priority;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::hub::WatchHub;
use crate::error::Error;

/// Clears the hub's `polling` when the poll loop ends, however it ends (leadership lost).
struct StoppedPolling<'a>(&'a WatchHub);

impl Drop for StoppedPolling<'_> {
    fn drop(&mut self) {
        self.0.inner.polling.store(false, Ordering::Relaxed);
    }
}

impl WatchHub {
    /// Polls every `poll_interval` (or sooner when poked) until shutdown.
    pub fn spawn_poller(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        // Nobody waits on a poll: it takes the background share of the Megaport budget.
        tokio::spawn(megaport::budget::with_priority(
            Priority::Background,
            async move {
                let interval = Duration::from_millis(hub.inner.settings.poll_interval_millis);
                hub.inner.polling.store(true, Ordering::Relaxed);
                let _stopped = StoppedPolling(&hub);
                loop {
                    if let Err(error) = hub.poll_once().await {
                        tracing::warn!(%error, "service key poll failed");
                    }
                    tokio::select! {
                        () = tokio::time::sleep(interval) => {}
                        () = hub.inner.poke.notified() => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            },
        ))
    }

    /// One poll: list keys, diff, commit and publish. During an outage the last views are
    /// re-derived with the clock so time-driven transitions still happen; nothing is invented.
    pub async fn poll_once(&self) -> Result<(), Error> {
        let _writer = self.inner.writer.lock().await;
        // A replica that has just become the poller first takes in what the last one wrote.
        self.catch_up_locked().await?;
        let previous = self.read().views.clone();
        let written_before = self.inner.recent.position();
        let now = OffsetDateTime::now_utc();
        let started = tokio::time::Instant::now();
        let polled = self.inner.keys.current_views(&previous, now).await;
        if let Some(observe) = self.inner.poll_observer.get() {
            observe(started.elapsed());
        }
        match polled {
            Ok(current) => {
                self.inner
                    .skipped_upstream_records
                    .store(current.skipped_upstream_records, Ordering::Relaxed);
                self.apply(previous, current.items, now).await?;
                self.queue_expiring(now).await;
                self.record_success(now);
                self.inner.counters.polls_ok.fetch_add(1, Ordering::Relaxed);
                self.inner.recent.settle(written_before);
                Ok(())
            }
            Err(error) => {
                self.record_failure(&error);
                self.inner
                    .counters
                    .polls_failed
                    .fetch_add(1, Ordering::Relaxed);
                let current = previous
                    .iter()
                    .map(|(key, view)| {
                        let mut view = view.clone();
                        view.state = view.derive_state(now);
                        (key.clone(), view)
                    })
                    .collect();
                self.apply(previous, current, now).await?;
                Err(error)
            }
        }
    }

    /// Queues the webhook events of expiry thresholds the keys crossed by `now`.
    async fn queue_expiring(&self, now: OffsetDateTime) {
        let Some(webhooks) = self.inner.webhooks.get() else {
            return;
        };
        let events = {
            let state = self.read();
            webhooks.expiring.due(&state.views, state.revision, now)
        };
        if let Err(error) = webhooks.queue(&self.inner.store, &events).await {
            tracing::warn!(%error, "service_key.expiring events not queued; the next poll tries again");
            // Not queued: forget that they were, so the next poll asks again.
            webhooks.expiring.forget_all();
        }
    }

    /// Puts the maintenance and outages of each key's Port on its view from now on, and commits
    /// a revision (SERVICE_KEY_EVENT_TYPE_ON_RAMP_NOTICE events) whenever they change, without
    /// a Megaport call.
    pub fn spawn_notice_follower(
        &self,
        signals: Arc<crate::signals::Signals>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let mut changes = signals.subscribe();
        let _ = self.inner.signals.set(signals);
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = hub.refresh_notices().await {
                    tracing::warn!(%error, "key views not updated with port notices");
                }
                tokio::select! {
                    changed = changes.changed() => if changed.is_err() { break },
                    () = shutdown.cancelled() => break,
                }
            }
        })
    }

    /// Re-applies the current notices to the current views.
    async fn refresh_notices(&self) -> Result<(), Error> {
        let _writer = self.inner.writer.lock().await;
        let previous = self.read().views.clone();
        let current = previous.clone();
        self.apply(previous, current, OffsetDateTime::now_utc())
            .await
    }
}
