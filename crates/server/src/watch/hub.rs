//! The hub: the one writer of the key history. Each poll (or clock tick during an outage) that
//! finds changes becomes one revision, committed to the store with the new views, then
//! broadcast. Subscribers read the broadcast through bounded queues; one that falls behind is
//! dropped by the channel and never slows the others.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use megaport::Priority;
use time::OffsetDateTime;
use tokio::sync::{Notify, broadcast};

use super::settings::WatchSettings;
use crate::error::Error;
use crate::watch::events::{self, KeyEvent};
use crate::watch::recent::RecentWrites;
use onramp_core::keys::KeyView;
use onramp_core::service_keys::{KeyFilter, ServiceKeys};
use onramp_store::Store;
use onramp_store::millis;
use onramp_store::watch::{StoredBatch, WATCH_CHANNEL};
use tokio_util::sync::CancellationToken;

/// How polling Megaport is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// The last poll failed but an earlier one succeeded recently.
    Degraded,
    Unavailable,
}

/// Upstream health as progress messages report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamHealth {
    pub status: Health,
    pub last_success: Option<OffsetDateTime>,
    /// Why the last poll failed; empty when healthy.
    pub message: String,
}

/// All changes of one revision.
#[derive(Debug, Clone)]
pub struct Batch {
    pub revision: i64,
    pub events: Vec<KeyEvent>,
    /// The batch as the API sends it (one gRPC frame), made by the first stream that sends it
    /// whole, for every other stream that does: 100,000 streams share one frame of each batch.
    pub encoded: std::sync::OnceLock<bytes::Bytes>,
}

impl crate::watch::live::Revisioned for Batch {
    fn revision(&self) -> i64 {
        self.revision
    }
}

impl Batch {
    pub fn new(revision: i64, events: Vec<KeyEvent>) -> Self {
        Self {
            revision,
            events,
            encoded: std::sync::OnceLock::new(),
        }
    }
}

impl PartialEq for Batch {
    /// The same changes; whether they have been encoded yet does not matter.
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.events == other.events
    }
}

struct State {
    revision: i64,
    views: BTreeMap<String, KeyView>,
    /// `views` newest first: the read model ListServiceKeys pages through, built once per
    /// revision.
    listing: Arc<Vec<KeyView>>,
    health: UpstreamHealth,
    consecutive_failures: u32,
}

/// Totals the hub keeps for metrics; they only grow.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) polls_ok: AtomicU64,
    pub(crate) polls_failed: AtomicU64,
    pub(crate) closed_too_slow: AtomicU64,
    pub(crate) resyncs_too_old: AtomicU64,
    pub(crate) resyncs_unknown: AtomicU64,
}

/// The totals of [`Counters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterTotals {
    pub polls_ok: u64,
    pub polls_failed: u64,
    pub closed_too_slow: u64,
    pub resyncs_too_old: u64,
    pub resyncs_unknown: u64,
}

/// Told how long each poll of Megaport's key list took (metrics' histogram).
type PollObserver = Box<dyn Fn(Duration) + Send + Sync>;

struct Inner {
    state: RwLock<State>,
    counters: Counters,
    poll_observer: std::sync::OnceLock<PollObserver>,
    /// Serialises writers (the poll loop and pokes), so revisions are assigned in order.
    writer: tokio::sync::Mutex<()>,
    sender: broadcast::Sender<Arc<Batch>>,
    poke: Notify,
    /// Views onramp wrote that no poll has confirmed yet (read-your-writes).
    recent: RecentWrites,
    /// Keys of the last successful poll's listing that did not decode.
    skipped_upstream_records: std::sync::atomic::AtomicU32,
    store: Store,
    keys: Arc<ServiceKeys>,
    settings: WatchSettings,
    instance_id: String,
    /// The Ports' maintenance and outages, copied onto each key's view (set by
    /// [`WatchHub::spawn_notice_follower`]).
    signals: std::sync::OnceLock<Arc<crate::signals::Signals>>,
}

/// A cheap-to-clone handle to the watcher.
#[derive(Clone)]
pub struct WatchHub {
    inner: Arc<Inner>,
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
                recent: RecentWrites::default(),
                store,
                keys,
                settings,
                instance_id,
                signals: std::sync::OnceLock::new(),
            }),
        })
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

    /// Polls every `poll_interval` (or sooner when poked) until shutdown.
    pub fn spawn_poller(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        // Nobody waits on a poll: it takes the background share of the Megaport budget.
        tokio::spawn(megaport::budget::with_priority(
            Priority::Background,
            async move {
                let interval = Duration::from_millis(hub.inner.settings.poll_interval_millis);
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

    async fn catch_up_locked(&self) -> Result<(), Error> {
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

    /// Records views a write of onramp's returned, so reads see them at once, and asks the
    /// poller to look at Megaport now.
    pub fn wrote(&self, views: &[KeyView]) {
        self.inner.recent.remember(views);
        self.poke();
    }

    /// Asks the poller to look at Megaport now (after a write that changes keys indirectly).
    pub fn poke(&self) {
        self.inner.poke.notify_one();
    }

    /// The key as the read model holds it, mapped by `each` where it lies (a read converts
    /// without copying the view first). `None` before the first successful poll, or for a key
    /// the model does not know; the caller then asks Megaport.
    pub fn key<T>(&self, key: &str, each: impl Fn(&KeyView) -> T) -> Option<T> {
        if let Some(mapped) = self.inner.recent.get(key, &each) {
            return Some(mapped);
        }
        let state = self.read();
        state.health.last_success?;
        state.views.get(key).map(each)
    }

    /// What the key reads answer from now: the committed revision, this server's writes not yet
    /// polled back, and the records the last listing skipped. `None` before the first
    /// successful poll (reads then ask Megaport).
    pub fn read_revision(&self) -> Option<KeyReadRevision> {
        let writes = self.inner.recent.changes();
        let state = self.read();
        state.health.last_success?;
        Some(KeyReadRevision {
            revision: state.revision,
            writes,
            skipped: self.skipped_upstream_records(),
        })
    }

    /// Keys of Megaport's last listing that did not decode: the views may lack them.
    pub fn skipped_upstream_records(&self) -> u32 {
        self.inner.skipped_upstream_records.load(Ordering::Relaxed)
    }

    /// One page of the keys matching `filter`, newest first, each mapped by `each`, and whether
    /// more follow. `None` before the first successful poll.
    pub fn page<T>(
        &self,
        filter: &KeyFilter,
        offset: usize,
        size: usize,
        each: impl Fn(&KeyView) -> T,
    ) -> Option<(Vec<T>, bool)> {
        let listing = {
            let state = self.read();
            state.health.last_success?;
            Arc::clone(&state.listing)
        };
        let merged;
        let keys: &[KeyView] = match self.inner.recent.views() {
            None => &listing,
            Some(mut written) => {
                let mut views: BTreeMap<String, KeyView> = listing
                    .iter()
                    .filter(|view| !written.contains_key(&view.key))
                    .map(|view| (view.key.clone(), view.clone()))
                    .collect();
                views.extend(written.drain());
                merged = newest_first(&views);
                &merged
            }
        };
        let mut matching = keys.iter().filter(|view| filter.matches(view));
        let page: Vec<T> = matching
            .by_ref()
            .skip(offset)
            .take(size)
            .map(each)
            .collect();
        let more = matching.next().is_some();
        Some((page, more))
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
            )
            .await?;
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

    fn record_success(&self, now: OffsetDateTime) {
        let mut state = self.write();
        state.consecutive_failures = 0;
        state.health = UpstreamHealth {
            status: Health::Healthy,
            last_success: Some(now),
            message: String::new(),
        };
    }

    fn record_failure(&self, error: &Error) {
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

    /// The current views and their revision, read together.
    pub fn snapshot(&self) -> (i64, Vec<KeyView>) {
        let state = self.read();
        (state.revision, state.views.values().cloned().collect())
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

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// See [`WatchHub::read_revision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyReadRevision {
    revision: i64,
    writes: u64,
    skipped: u32,
}

fn newest_first(views: &BTreeMap<String, KeyView>) -> Arc<Vec<KeyView>> {
    let mut listing: Vec<KeyView> = views.values().cloned().collect();
    listing.sort_by(KeyView::newest_first);
    Arc::new(listing)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::StreamExt;

    use super::*;
    use crate::error::ErrorReason;
    use crate::watch::events::tests::view;
    use crate::watch::stream::{WatchEnd, WatchItem, watch};
    use onramp_core::directory::Directory;
    use onramp_core::keys::{KeyState, UpstreamKey};
    use onramp_core::onramps::Port;
    use onramp_core::service_keys::{KeyFilter, KeyUpstream, NewKey};
    use onramp_core::testing::FakeInventory;

    /// Megaport is never reached in these tests: the hub is fed views directly.
    struct Unreachable;

    #[tonic::async_trait]
    impl KeyUpstream for Unreachable {
        async fn port(&self, _: &str) -> Result<Port, Error> {
            Err(Error::internal("unreachable"))
        }
        async fn create_key(&self, _: &NewKey) -> Result<UpstreamKey, Error> {
            Err(Error::internal("unreachable"))
        }
        async fn keys(
            &self,
            _: Option<&str>,
        ) -> Result<onramp_core::Listed<Vec<UpstreamKey>>, Error> {
            Err(Error::internal("unreachable"))
        }
        async fn key(&self, _: &str) -> Result<UpstreamKey, Error> {
            Err(Error::internal("unreachable"))
        }
        async fn update_key(&self, _: &UpstreamKey) -> Result<UpstreamKey, Error> {
            Err(Error::internal("unreachable"))
        }
    }

    async fn hub(buffer: usize) -> WatchHub {
        let store = Store::in_memory().await.expect("store");
        let directory = Directory::new(
            Arc::new(FakeInventory::new(Vec::new())),
            Arc::new(store.clone()),
        );
        let keys = Arc::new(ServiceKeys::new(
            Arc::new(Unreachable),
            directory,
            Arc::new(store.clone()),
            onramp_core::locks::Locks::new(Arc::new(store.clone())),
        ));
        let settings = WatchSettings {
            subscriber_buffer: buffer,
            progress_interval_millis: 60_000,
            ..WatchSettings::default()
        };
        WatchHub::open(keys, store, settings).await.expect("hub")
    }

    /// Adds one key per call, so each call is one revision.
    async fn add_key(hub: &WatchHub, index: usize) {
        let previous = hub.read().views.clone();
        let mut current = previous.clone();
        let key = view(&format!("key-{index:03}"), KeyState::Active);
        current.insert(key.key.clone(), key);
        hub.apply(previous, current, OffsetDateTime::now_utc())
            .await
            .expect("apply");
    }

    #[tokio::test]
    async fn a_stream_ends_once_the_server_shuts_down() {
        let hub = hub(64).await;
        let signal = CancellationToken::new();
        let fire = signal.clone();
        let mut stream = Box::pin(
            watch(hub.clone(), KeyFilter::default(), "", signal)
                .await
                .expect("watch"),
        );
        assert!(matches!(
            stream.next().await,
            Some(Ok(WatchItem::Snapshot { .. }))
        ));
        add_key(&hub, 0).await;
        assert!(matches!(
            stream.next().await,
            Some(Ok(WatchItem::Changes(_)))
        ));
        fire.cancel();
        assert_eq!(stream.next().await, Some(Err(WatchEnd::ShuttingDown)));
        assert_eq!(stream.next().await, None);
    }

    #[tokio::test]
    async fn streams_that_take_a_whole_batch_share_it_and_a_filtered_one_gets_its_part() {
        let hub = hub(64).await;
        let open = |filter: KeyFilter| {
            let hub = hub.clone();
            async move {
                let mut stream = Box::pin(
                    watch(hub, filter, "", CancellationToken::new())
                        .await
                        .expect("watch"),
                );
                assert!(matches!(
                    stream.next().await,
                    Some(Ok(WatchItem::Snapshot { .. }))
                ));
                stream
            }
        };
        let mut first = open(KeyFilter::default()).await;
        let mut second = open(KeyFilter::default()).await;
        let mut acme_only = open(KeyFilter {
            customer_ref: Some("acme".to_owned()),
            ..KeyFilter::default()
        })
        .await;
        // One revision with two keys, one of them Acme's.
        let previous = hub.read().views.clone();
        let mut current = previous.clone();
        let mut acme = view("key-acme", KeyState::Active);
        acme.customer_ref = "acme".to_owned();
        let other = view("key-other", KeyState::Active);
        current.insert(acme.key.clone(), acme);
        current.insert(other.key.clone(), other);
        hub.apply(previous, current, OffsetDateTime::now_utc())
            .await
            .expect("apply");

        let batch = |item: Option<Result<WatchItem, WatchEnd>>| match item {
            Some(Ok(WatchItem::Changes(batch))) => batch,
            other => panic!("expected changes, got {other:?}"),
        };
        let (a, b) = (batch(first.next().await), batch(second.next().await));
        assert!(Arc::ptr_eq(&a, &b), "one batch, so one encoding, for both");
        assert_eq!(a.events.len(), 2);
        let part = batch(acme_only.next().await);
        assert!(!Arc::ptr_eq(&a, &part));
        assert_eq!(part.revision, a.revision);
        let keys: Vec<&str> = part.events.iter().map(|e| e.key.key.as_str()).collect();
        assert_eq!(keys, ["key-acme"]);
    }

    #[tokio::test]
    async fn reads_wait_for_the_first_poll_then_see_writes_before_the_poll_does() {
        let hub = hub(64).await;
        for index in 0..3 {
            add_key(&hub, index).await;
        }
        let all = KeyFilter::default();
        let key_of = |view: &KeyView| view.key.clone();
        assert_eq!(
            hub.key("key-000", KeyView::clone),
            None,
            "not polled yet: ask Megaport"
        );
        assert!(hub.page(&all, 0, 10, key_of).is_none());

        hub.record_success(OffsetDateTime::now_utc());
        assert_eq!(
            hub.page(&all, 0, 2, key_of),
            Some((vec!["key-000".to_owned(), "key-001".to_owned()], true)),
            "same create time, so by key; a third follows"
        );
        assert_eq!(
            hub.page(&all, 2, 2, key_of),
            Some((vec!["key-002".to_owned()], false))
        );

        let written_before = hub.inner.recent.position();
        let mut renamed = view("key-001", KeyState::Inactive);
        renamed.description = "renamed".to_owned();
        let mut newest = view("key-new", KeyState::Active);
        newest.create_time = Some(OffsetDateTime::now_utc());
        hub.wrote(&[renamed.clone(), newest]);
        assert_eq!(
            hub.key("key-001", KeyView::clone),
            Some(renamed.clone()),
            "read your write"
        );
        assert_eq!(
            hub.page(&all, 0, 10, key_of),
            Some((
                vec![
                    "key-new".to_owned(),
                    "key-000".to_owned(),
                    "key-001".to_owned(),
                    "key-002".to_owned()
                ],
                false
            )),
            "the written key joins the listing in its place"
        );
        let inactive = KeyFilter {
            state: Some(KeyState::Inactive),
            ..KeyFilter::default()
        };
        assert_eq!(
            hub.page(&inactive, 0, 10, key_of),
            Some((vec!["key-001".to_owned()], false)),
            "filters see the written state"
        );

        // A poll that began after the writes settles them; the hub's own views answer again.
        hub.inner.recent.settle(written_before + 2);
        assert_eq!(
            hub.key("key-001", KeyView::clone).map(|v| v.state),
            Some(KeyState::Active)
        );
        assert_eq!(hub.key("key-new", KeyView::clone), None);
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_closed_with_its_position_and_never_slows_the_others() {
        let hub = hub(4).await;
        let shutdown = CancellationToken::new();
        let mut fast = Box::pin(
            watch(hub.clone(), KeyFilter::default(), "", shutdown.clone())
                .await
                .expect("fast"),
        );
        let mut slow = Box::pin(
            watch(hub.clone(), KeyFilter::default(), "", shutdown)
                .await
                .expect("slow"),
        );
        let first = |item: Option<Result<WatchItem, WatchEnd>>| match item {
            Some(Ok(WatchItem::Snapshot { revision, .. })) => revision,
            other => panic!("expected a snapshot, got {other:?}"),
        };
        assert_eq!(first(fast.next().await), 0);
        assert_eq!(first(slow.next().await), 0);

        let mut fast_revisions = Vec::new();
        for index in 0..10 {
            add_key(&hub, index).await;
            match fast.next().await {
                Some(Ok(WatchItem::Changes(batch))) => {
                    assert_eq!(batch.events.len(), 1);
                    fast_revisions.push(batch.revision);
                }
                other => panic!("fast subscriber got {other:?}"),
            }
        }
        assert_eq!(fast_revisions, (1..=10).collect::<Vec<i64>>());
        assert_eq!(
            slow.next().await,
            Some(Err(WatchEnd::TooSlow { revision: 0 })),
            "10 batches overflow a buffer of 4; the subscriber resumes from revision 0"
        );
        assert_eq!(slow.next().await, None, "the stream ends after the error");
    }

    #[tokio::test]
    async fn resuming_replays_exactly_what_followed_and_old_tokens_resync() {
        let hub = hub(64).await;
        for index in 0..3 {
            add_key(&hub, index).await;
        }
        let token = crate::watch::token::encode(hub.instance_id(), 1);
        let mut resumed = Box::pin(
            watch(
                hub.clone(),
                KeyFilter::default(),
                &token,
                CancellationToken::new(),
            )
            .await
            .expect("resume"),
        );
        let mut replayed = Vec::new();
        for _ in 0..2 {
            match resumed.next().await {
                Some(Ok(WatchItem::Changes(batch))) => {
                    replayed.push((batch.revision, batch.events[0].key.key.clone()));
                }
                other => panic!("expected a replayed batch, got {other:?}"),
            }
        }
        assert_eq!(
            replayed,
            [(2, "key-001".to_owned()), (3, "key-002".to_owned())]
        );
        assert!(matches!(
            resumed.next().await,
            Some(Ok(WatchItem::Progress { revision: 3, .. }))
        ));

        let other_history = watch(
            hub.clone(),
            KeyFilter::default(),
            &crate::watch::token::encode("another-database", 2),
            CancellationToken::new(),
        )
        .await
        .expect("stream");
        let mut other_history = Box::pin(other_history);
        assert!(matches!(
            other_history.next().await,
            Some(Ok(WatchItem::Snapshot {
                resync: Some(crate::watch::Resync::TokenUnknown),
                ..
            }))
        ));

        let garbage = watch(
            hub.clone(),
            KeyFilter::default(),
            "nope",
            CancellationToken::new(),
        )
        .await;
        assert!(
            matches!(&garbage, Err(error) if error.reason() == ErrorReason::ResumeTokenInvalid),
            "a malformed token is refused"
        );
    }
}
