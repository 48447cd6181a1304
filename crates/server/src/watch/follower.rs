//! The follower: takes in the revisions other replicas commit to a shared store, so replicas that
//! do not poll keep their read model and their streams current.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::batch::Batch;
use super::events::{self, KeyEvent};
use super::hub::{WatchHub, newest_first};
use crate::error::Error;
use onramp_store::watch::WATCH_CHANNEL;

impl WatchHub {
    /// Follows the revisions other replicas commit to a shared (PostgreSQL) store, woken by
    /// their notifications rather than by reading the table on a timer: how the replicas that
    /// do not poll Megaport keep their read model and their watchers current. Nothing on
    /// SQLite, where this process is the only writer.
    pub fn spawn_follower(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match hub.inner.store.listen(WATCH_CHANNEL).await {
                    Ok(Some(listener)) => listener,
                    Ok(None) => return,
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for key revisions; retrying");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                            () = shutdown.cancelled() => return,
                        }
                    }
                };
                // Listening first, then reading, so no revision falls between the two.
                loop {
                    if let Err(error) = hub.catch_up().await {
                        tracing::warn!(%error, "cannot read the key revisions of other replicas");
                    }
                    tokio::select! {
                        heard = listener.recv() => if heard.is_err() { break },
                        () = shutdown.cancelled() => return,
                    }
                }
            }
        })
    }

    /// Applies the revisions committed by another replica since this one's, and publishes
    /// them to this replica's watchers.
    pub async fn catch_up(&self) -> Result<(), Error> {
        let _writer = self.inner.writer.lock().await;
        self.catch_up_locked().await
    }

    pub(super) async fn catch_up_locked(&self) -> Result<(), Error> {
        let revision = self.revision();
        let batches = self.inner.store.watch_batches_after(revision).await?;
        if batches
            .first()
            .is_some_and(|first| first.revision != revision + 1)
        {
            // What this replica missed is no longer kept: start over from the stored views.
            // Its watchers resume past the gap, as after a restart.
            tracing::warn!(revision, "key revisions missed; reloading the stored views");
            let views = self.inner.store.watch_views().await?;
            let mut state = self.write();
            state.listing = newest_first(&views);
            state.views = views;
        }
        for batch in batches {
            let events: Vec<KeyEvent> =
                serde_json::from_str(&batch.events_json).map_err(Error::internal)?;
            {
                let mut state = self.write();
                for event in &events {
                    if event.kind == events::ChangeKind::Removed {
                        state.views.remove(&event.key.key);
                    } else {
                        state.views.insert(event.key.key.clone(), event.key.clone());
                    }
                }
                state.revision = batch.revision;
                state.listing = newest_first(&state.views);
            }
            self.inner
                .recent
                .settle_keys(events.iter().map(|event| event.key.key.as_str()));
            if let Ok(observed) = onramp_store::from_millis(batch.observe_time_ms) {
                self.record_success(observed);
            }
            let _ = self
                .inner
                .sender
                .send(Arc::new(Batch::new(batch.revision, events)));
        }
        if self.read().health.last_success.is_none() && self.revision() > 0 {
            // The stored views are another replica's last poll: good to read from.
            self.record_success(OffsetDateTime::now_utc());
        }
        Ok(())
    }
}
