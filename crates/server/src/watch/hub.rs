//! The hub: the key watcher's shared state and its one writer of the key history. Each poll (or
//! clock tick during an outage) that finds changes becomes one revision, committed to the store
//! with the new views, then broadcast. Subscribers read the broadcast through bounded queues;
//! one that falls behind is dropped by the channel and never slows the others.
//!
//! The work on that state is split by job, each an `impl WatchHub` of its own: `commit` (a
//! revision from two views), `poller` (Megaport's key list and the Ports' notices),
//! `follower` (revisions other replicas committed), `read_model` (the reads) and the write
//! overlay in `recent`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use super::batch::{Batch, CounterTotals, Counters, Health, UpstreamHealth};
use super::recent::RecentWrites;
use super::settings::WatchSettings;
use crate::change_feed::{FeedItem, Subscription};
use crate::error::Error;
use onramp_core::keys::KeyView;
use onramp_core::service_keys::ServiceKeys;
use onramp_store::Store;
use onramp_store::changes::ChangeKind;

pub(super) struct State {
    pub(super) revision: i64,
    pub(super) views: BTreeMap<String, KeyView>,
    /// `views` newest first: the read model ListServiceKeys pages through, built once per
    /// revision.
    pub(super) listing: Arc<Vec<KeyView>>,
    pub(super) health: UpstreamHealth,
    pub(super) consecutive_failures: u32,
}

/// Told how long each poll of Megaport's key list took (metrics' histogram).
type PollObserver = Box<dyn Fn(Duration) + Send + Sync>;

pub(super) struct Inner {
    pub(super) state: RwLock<State>,
    pub(super) counters: Counters,
    pub(super) poll_observer: std::sync::OnceLock<PollObserver>,
    /// Serialises writers (the poll loop and pokes), so revisions are assigned in order.
    pub(super) writer: tokio::sync::Mutex<()>,
    pub(super) sender: broadcast::Sender<Arc<Batch>>,
    pub(super) poke: Notify,
    /// Whether this replica's poller runs (it leads): only it commits revisions of its own.
    pub(super) polling: std::sync::atomic::AtomicBool,
    /// Views onramp wrote that no poll has confirmed yet (read-your-writes).
    pub(super) recent: RecentWrites,
    /// Keys of the last successful poll's listing that did not decode.
    pub(super) skipped_upstream_records: std::sync::atomic::AtomicU32,
    pub(super) store: Store,
    pub(super) keys: Arc<ServiceKeys>,
    pub(super) settings: WatchSettings,
    pub(super) instance_id: String,
    /// The Ports' maintenance and outages, copied onto each key's view (set by
    /// [`WatchHub::spawn_notice_follower`]).
    pub(super) signals: std::sync::OnceLock<Arc<crate::signals::Signals>>,
    /// Told after a revision is committed, with the webhook events it queued (set by
    /// [`WatchHub::send_webhooks`]).
    pub(super) webhooks: std::sync::OnceLock<crate::webhooks::Webhooks>,
}

/// A cheap-to-clone handle to the watcher.
#[derive(Clone)]
pub struct WatchHub {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for WatchHub {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WatchHub")
            .field("revision", &self.revision())
            .finish_non_exhaustive()
    }
}

impl WatchHub {
    /// Loads the history from the store; call [`WatchHub::spawn_poller`] to start polling.
    pub async fn open(
        keys: Arc<ServiceKeys>,
        store: Store,
        settings: WatchSettings,
    ) -> Result<Self, Error> {
        let views = store.watch_views().await?;
        let revision = store
            .watch_revision_range()
            .await?
            .map_or(0, |(_, high)| high);
        let instance_id = store.instance_id().await?;
        let (sender, _) = broadcast::channel(settings.subscriber_buffer.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                state: RwLock::new(State {
                    revision,
                    listing: newest_first(&views),
                    views,
                    health: UpstreamHealth {
                        status: Health::Unavailable,
                        last_success: None,
                        message: "not polled yet".to_owned(),
                    },
                    consecutive_failures: 0,
                }),
                writer: tokio::sync::Mutex::new(()),
                counters: Counters::default(),
                skipped_upstream_records: Default::default(),
                poll_observer: std::sync::OnceLock::new(),
                sender,
                poke: Notify::new(),
                polling: Default::default(),
                recent: RecentWrites::default(),
                store,
                keys,
                settings,
                instance_id,
                signals: std::sync::OnceLock::new(),
                webhooks: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Queues the webhook events of every revision this replica commits, and wakes `webhooks`'
    /// dispatcher when it has.
    pub fn send_webhooks(&self, webhooks: crate::webhooks::Webhooks) {
        let _ = self.inner.webhooks.set(webhooks);
    }

    /// Records views a write of onramp's returned, so reads see them at once, asks this
    /// replica's poller to look at Megaport now, and announces the write on the change feed,
    /// so that the leader's poller does the same when another replica leads; every replica
    /// then reads the write from that revision.
    pub fn wrote(&self, views: &[KeyView]) {
        self.inner.recent.remember(views);
        self.poke();
        if let Some(view) = views.first() {
            self.announce_keys(&view.key);
        }
    }

    /// Tells the other replicas that `key` changed through this one, off the caller's path.
    pub(super) fn announce_keys(&self, key: &str) {
        let (store, key) = (self.inner.store.clone(), key.to_owned());
        tokio::spawn(async move {
            if let Err(error) = store.announce_change(ChangeKind::Keys, &key).await {
                tracing::warn!(%error, "a key write not announced to the other replicas");
            }
        });
    }

    /// Follows the change feed: a key written through another replica makes this replica's
    /// poller (if it leads) look at Megaport at once. (This replica's own writes poked it
    /// already.)
    pub fn spawn_feed_follower(&self, mut feed: Subscription) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            while let Some(item) = feed.next().await {
                if let FeedItem::Change(change) = item
                    && change.kind == ChangeKind::Keys
                    && !change.own
                {
                    hub.poke();
                }
            }
        })
    }

    /// Asks the poller to look at Megaport now (after a write that changes keys indirectly).
    pub fn poke(&self) {
        self.inner.poke.notify_one();
    }

    /// Installs the observer of every later poll's duration; the first one installed stays.
    pub fn observe_polls(&self, observer: impl Fn(Duration) + Send + Sync + 'static) {
        let _ = self.inner.poll_observer.set(Box::new(observer));
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// The metrics totals as of now.
    pub fn counter_totals(&self) -> CounterTotals {
        let counters = &self.inner.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CounterTotals {
            polls_ok: load(&counters.polls_ok),
            polls_failed: load(&counters.polls_failed),
            closed_too_slow: load(&counters.closed_too_slow),
            resyncs_too_old: load(&counters.resyncs_too_old),
            resyncs_unknown: load(&counters.resyncs_unknown),
        }
    }

    /// Streams subscribed now.
    pub fn subscriber_count(&self) -> usize {
        self.inner.sender.receiver_count()
    }

    /// The latest revision.
    pub fn revision(&self) -> i64 {
        self.read().revision
    }

    pub fn health(&self) -> UpstreamHealth {
        self.read().health.clone()
    }

    /// A receiver of future batches. Subscribe before reading a snapshot or replaying, so no
    /// batch falls between the two.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.inner.sender.subscribe()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    pub fn settings(&self) -> &WatchSettings {
        &self.inner.settings
    }

    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The views newest first: the listing ListServiceKeys pages through.
pub(super) fn newest_first(views: &BTreeMap<String, KeyView>) -> Arc<Vec<KeyView>> {
    let mut listing: Vec<KeyView> = views.values().cloned().collect();
    listing.sort_by(KeyView::newest_first);
    Arc::new(listing)
}
