//! The store's change feed as this replica follows it (`onramp_store::changes`): every write of
//! shared state, this replica's or another's, reaches the read models that subscribe here, in
//! commit order. Woken by PostgreSQL's notifications (and by this process's own commits at
//! once), it reads the revisions after the last one it saw, so a notice missed while the
//! listener connection was down is caught up on reconnecting, and a read every
//! [`CATCH_UP_EVERY`] bounds how late a change can be even if a notice is lost silently.

use std::sync::Arc;
use std::time::Duration;

use onramp_store::Store;
use onramp_store::changes::{CHANGES_CHANNEL, Change, ChangeKind};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How often the feed is read without a notice.
const CATCH_UP_EVERY: Duration = Duration::from_secs(5);
/// Changes read per query while catching up.
const READ_BATCH: i64 = 1_000;
/// Items a slow subscriber may fall behind before it is told to resync.
const SUBSCRIBER_BUFFER: usize = 4_096;

/// What a subscriber hears.
#[derive(Debug, Clone)]
pub enum FeedItem {
    Change(Arc<Change>),
    /// Changes were missed (the feed forgot them before this replica read them, or the
    /// subscriber fell behind): anything may have changed, so reload.
    Resync,
}

/// This replica's follower of the change feed.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<FeedItem>,
}

impl ChangeFeed {
    /// Starts following from the feed's newest revision: what is older is in the stores the
    /// read models load at start.
    pub fn spawn(store: Store, shutdown: CancellationToken) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, _) = broadcast::channel(SUBSCRIBER_BUFFER);
        let feed = Self { sender };
        let task = tokio::spawn(feed.clone().follow(store, shutdown));
        (feed, task)
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription(self.sender.subscribe())
    }

    async fn follow(self, store: Store, shutdown: CancellationToken) {
        let mut revision = loop {
            match store.latest_change().await {
                Ok(revision) => break revision,
                Err(error) => tracing::warn!(%error, "cannot read the change feed; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = shutdown.cancelled() => return,
            }
        };
        let mut own_commits = store.local_changes();
        let shared = store.backend() == onramp_store::Backend::Postgres;
        loop {
            let mut listener = match store.listen(CHANGES_CHANNEL).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for changes; reading the feed meanwhile");
                    None
                }
            };
            // Listening first, then reading, so no change falls between the two.
            loop {
                if let Err(error) = self.catch_up(&store, &mut revision).await {
                    tracing::warn!(%error, "cannot read the change feed");
                }
                let heard = async {
                    match listener.as_mut() {
                        // None: the connection was lost, and the next call reconnects.
                        Some(listener) => listener.try_recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    heard = heard => if heard.is_err() { break },
                    changed = own_commits.changed() => if changed.is_err() { return },
                    () = tokio::time::sleep(CATCH_UP_EVERY) => {
                        // Listening failed: try again.
                        if shared && listener.is_none() { break }
                    }
                    () = shutdown.cancelled() => return,
                }
            }
        }
    }

    /// Publishes the changes after `revision`, oldest first, and moves `revision` past them.
    async fn catch_up(
        &self,
        store: &Store,
        revision: &mut i64,
    ) -> Result<(), onramp_store::StoreError> {
        loop {
            let changes = store.changes_after(*revision, READ_BATCH).await?;
            let Some(last) = changes.last() else {
                return Ok(());
            };
            if changes[0].revision != *revision + 1 {
                tracing::warn!(revision, "changes missed; the read models reload");
                let _ = self.sender.send(FeedItem::Resync);
            }
            *revision = last.revision;
            for change in changes {
                let _ = self.sender.send(FeedItem::Change(Arc::new(change)));
            }
        }
    }
}

/// One subscriber's view of the feed.
#[derive(Debug)]
pub struct Subscription(broadcast::Receiver<FeedItem>);

impl Subscription {
    /// The next item; `None` once the feed has stopped. A subscriber that fell behind hears
    /// [`FeedItem::Resync`].
    pub async fn next(&mut self) -> Option<FeedItem> {
        match self.0.recv().await {
            Ok(item) => Some(item),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(FeedItem::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// Drops this replica's regions whenever any replica changes one: the next read loads them
/// from the store, and the on-ramp view and its kept answers follow.
pub fn spawn_regions_follower(
    mut feed: Subscription,
    directory: onramp_core::directory::Directory,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(item) = feed.next().await {
            let regions = match &item {
                FeedItem::Change(change) => change.kind == ChangeKind::Regions,
                FeedItem::Resync => true,
            };
            if regions {
                directory.regions_changed();
            }
        }
    })
}
