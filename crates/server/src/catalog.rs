//! Cached Megaport catalog: locations (constant, long TTL) and products (soft TTL, served stale
//! while one background refresh runs, and through an outage up to a max-stale bound).
//!
//! moka stores the entries and coalesces concurrent misses, but its `init` future is cancelled
//! with the caller that runs it (perf-reliability.md §2), which would cost a second upstream
//! call whenever a gRPC deadline fires. So every load runs in its own spawned task, shared by
//! every waiter, and fills the cache itself even if nobody is left waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use megaport::models::{Location, Product, VxcSummary};

/// The provider's products as the catalog keeps them: each VXC only as much as a Port's
/// capacity and VLANs need.
pub type PortProduct = Product<VxcSummary>;
use megaport::{ErrorDetail, Listing, MegaportClient, MegaportError, Priority};
use onramp_core::derived::Derived;
use serde::{Deserialize, Serialize};

/// Cache lifetimes. Defaults: locations fresh for 24 h and usable for 7 days; products fresh for
/// 30 s and usable for 15 min during an outage; after a failed load, 1 s before the next
/// attempt. Each load's Megaport call is bounded by its route's timeout (`megaport.timeouts`:
/// 120 s for products); `load_timeout` is only an outer bound.
#[derive(Debug, Clone)]
pub struct CatalogConfig {
    pub locations_ttl: Duration,
    pub locations_max_stale: Duration,
    pub products_soft_ttl: Duration,
    pub products_max_stale: Duration,
    /// Deadline of one upstream load, independent of any caller's deadline.
    pub load_timeout: Duration,
    /// After a failed load, reads within this window get the same error (or the stale value)
    /// instead of calling Megaport again.
    pub failure_backoff: Duration,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            locations_ttl: Duration::from_secs(24 * 3600),
            locations_max_stale: Duration::from_secs(7 * 24 * 3600),
            products_soft_ttl: Duration::from_secs(30),
            products_max_stale: Duration::from_secs(15 * 60),
            load_timeout: Duration::from_secs(600),
            failure_backoff: Duration::from_secs(1),
        }
    }
}

/// Counters of one cached list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotStats {
    /// Reads answered from a fresh entry.
    pub hits: u64,
    /// Reads answered from an entry older than the soft TTL.
    pub stale_hits: u64,
    /// Reads that found no usable entry and waited for a load.
    pub misses: u64,
    /// Upstream loads started (foreground and background).
    pub loads: u64,
    /// Loads that failed.
    pub load_failures: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogStats {
    pub locations: SlotStats,
    pub products: SlotStats,
}

/// Cached Megaport locations and products; cheap to share behind an `Arc`.
pub struct Catalog {
    client: MegaportClient,
    locations: Slot<Location>,
    products: Slot<PortProduct>,
    /// The provider's Ports in domain terms, converted once per products or locations load.
    pub(crate) ports:
        Derived<Listing<PortProduct>, Listing<Location>, Vec<onramp_core::onramps::Port>>,
    /// VXCs onramp bought that the products do not show yet, and the Ports with them.
    pub(crate) bought: crate::bought_vxcs::BoughtVxcs,
    pub(crate) ports_with_bought: Derived<
        Vec<onramp_core::onramps::Port>,
        Vec<crate::bought_vxcs::Bought>,
        Vec<onramp_core::onramps::Port>,
    >,
    /// How long a bought VXC is laid over listings that do not show it.
    pub(crate) products_max_stale: Duration,
    /// What is known about the Ports beyond the products (telemetry, events, last zones).
    signals: Arc<crate::signals::Signals>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// A catalog whose signals have the default settings (see [`Catalog::with_signals`]).
    pub fn new(client: MegaportClient, config: CatalogConfig) -> Self {
        let c = client.clone();
        let locations = Slot::new(
            "locations",
            config.locations_ttl,
            config.locations_max_stale,
            &config,
            Arc::new(move |deadline| {
                let c = c.clone();
                async move { c.list_locations(deadline).await }.boxed()
            }),
        );
        let c = client.clone();
        let products = Slot::new(
            "products",
            config.products_soft_ttl,
            config.products_max_stale,
            &config,
            Arc::new(move |deadline| {
                let c = c.clone();
                async move { c.list_products(None, deadline).await }.boxed()
            }),
        );
        Self {
            client,
            locations,
            products,
            ports: Derived::default(),
            bought: Default::default(),
            ports_with_bought: Derived::default(),
            products_max_stale: config.products_max_stale,
            signals: Arc::new(crate::signals::Signals::new(Default::default())),
        }
    }

    /// The same catalog over these signals.
    #[must_use]
    pub fn with_signals(mut self, signals: Arc<crate::signals::Signals>) -> Self {
        self.signals = signals;
        self
    }

    /// The signals of the provider's Ports.
    pub fn signals(&self) -> &Arc<crate::signals::Signals> {
        &self.signals
    }

    /// Every Megaport location (all statuses).
    pub async fn locations(&self) -> Result<Arc<Listing<Location>>, MegaportError> {
        self.locations.get().await
    }

    /// Every product of the account, LIVE or not; callers filter.
    pub async fn products(&self) -> Result<Arc<Listing<PortProduct>>, MegaportError> {
        self.products.get().await
    }

    /// The products now cached, if younger than the soft TTL: what [`Catalog::products`] would
    /// return without a load or a refresh. Never loads.
    pub async fn fresh_products(&self) -> Option<Arc<Listing<PortProduct>>> {
        self.products.fresh().await
    }

    /// The products now cached, however old (up to their limit of staleness). Never loads nor
    /// refreshes.
    pub async fn cached_products(&self) -> Option<Arc<Listing<PortProduct>>> {
        self.products.cached().await
    }

    /// The locations now cached, however old (up to their limit of staleness). Never loads nor
    /// refreshes.
    pub async fn cached_locations(&self) -> Option<Arc<Listing<Location>>> {
        self.locations.cached().await
    }

    /// The locations now cached, if younger than their TTL. Never loads.
    pub async fn fresh_locations(&self) -> Option<Arc<Listing<Location>>> {
        self.locations.fresh().await
    }

    /// Records left out of the products and locations now cached because they did not decode.
    pub async fn skipped_records(&self) -> u32 {
        self.products.skipped().await + self.locations.skipped().await
    }

    /// Forget products after a write changed them (a key created, a VXC bought): the next read
    /// loads afresh, and a load already in flight is not reused.
    pub async fn invalidate_products(&self) {
        self.products.invalidate().await;
    }

    pub async fn invalidate_locations(&self) {
        self.locations.invalidate().await;
    }

    /// Age of the products now cached, if any: health reporting compares it with max-stale.
    pub async fn products_age(&self) -> Option<Duration> {
        self.products.age().await
    }

    /// Age of the locations now cached, if any.
    pub async fn locations_age(&self) -> Option<Duration> {
        self.locations.age().await
    }

    pub fn stats(&self) -> CatalogStats {
        CatalogStats {
            locations: self.locations.counters.snapshot(),
            products: self.products.counters.snapshot(),
        }
    }

    /// The client behind the cache (its `metrics()` count upstream calls).
    pub fn client(&self) -> &MegaportClient {
        &self.client
    }
}

type Loader<T> =
    Arc<dyn Fn(Instant) -> BoxFuture<'static, Result<Listing<T>, MegaportError>> + Send + Sync>;
type Loaded<T> = Result<Arc<Listing<T>>, MegaportError>;
type SharedLoad<T> = Shared<BoxFuture<'static, Loaded<T>>>;

struct Entry<T> {
    value: Arc<Listing<T>>,
    fetched_at: Instant,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            fetched_at: self.fetched_at,
        }
    }
}

struct InFlight<T> {
    id: u64,
    epoch: u64,
    load: SharedLoad<T>,
}

struct SlotState<T> {
    /// Bumped by invalidation; a load started in an older epoch neither fills the cache nor is
    /// joined by new readers.
    epoch: u64,
    next_id: u64,
    inflight: Option<InFlight<T>>,
    last_failure: Option<(Instant, MegaportError)>,
}

#[derive(Default)]
struct SlotCounters {
    hits: AtomicU64,
    stale_hits: AtomicU64,
    misses: AtomicU64,
    loads: AtomicU64,
    load_failures: AtomicU64,
}

impl SlotCounters {
    fn snapshot(&self) -> SlotStats {
        SlotStats {
            hits: self.hits.load(Ordering::Relaxed),
            stale_hits: self.stale_hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            load_failures: self.load_failures.load(Ordering::Relaxed),
        }
    }
}

/// One cached list: a single-key moka cache plus the shared in-flight load.
struct Slot<T> {
    name: &'static str,
    cache: moka::future::Cache<(), Entry<T>>,
    state: Arc<StdMutex<SlotState<T>>>,
    counters: Arc<SlotCounters>,
    loader: Loader<T>,
    soft_ttl: Duration,
    max_stale: Duration,
    load_timeout: Duration,
    failure_backoff: Duration,
}

fn lock<S>(m: &StdMutex<S>) -> MutexGuard<'_, S> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl<T: Send + Sync + 'static> Slot<T> {
    fn new(
        name: &'static str,
        soft_ttl: Duration,
        max_stale: Duration,
        config: &CatalogConfig,
        loader: Loader<T>,
    ) -> Self {
        let max_stale = max_stale.max(soft_ttl);
        Self {
            name,
            // moka's TTL is only memory hygiene; staleness is judged on `fetched_at`.
            cache: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(max_stale)
                .build(),
            state: Arc::new(StdMutex::new(SlotState {
                epoch: 0,
                next_id: 0,
                inflight: None,
                last_failure: None,
            })),
            counters: Arc::new(SlotCounters::default()),
            loader,
            soft_ttl,
            max_stale,
            load_timeout: config.load_timeout,
            failure_backoff: config.failure_backoff,
        }
    }

    async fn skipped(&self) -> u32 {
        self.cache
            .get(&())
            .await
            .map_or(0, |entry| entry.value.skipped)
    }

    async fn age(&self) -> Option<Duration> {
        let e = self.cache.get(&()).await?;
        Some(Instant::now().saturating_duration_since(e.fetched_at))
    }

    /// The cached value if younger than the soft TTL, counted as a hit; never loads.
    async fn fresh(&self) -> Option<Arc<Listing<T>>> {
        let entry = self.cache.get(&()).await?;
        let age = Instant::now().saturating_duration_since(entry.fetched_at);
        (age < self.soft_ttl).then(|| {
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            entry.value
        })
    }

    /// The cached value if younger than the limit of staleness; never loads nor refreshes.
    async fn cached(&self) -> Option<Arc<Listing<T>>> {
        let entry = self.cache.get(&()).await?;
        let age = Instant::now().saturating_duration_since(entry.fetched_at);
        (age < self.max_stale).then_some(entry.value)
    }

    async fn get(&self) -> Loaded<T> {
        if let Some(e) = self.cache.get(&()).await {
            let age = Instant::now().saturating_duration_since(e.fetched_at);
            if age < self.soft_ttl {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(e.value);
            }
            if age < self.max_stale {
                self.counters.stale_hits.fetch_add(1, Ordering::Relaxed);
                self.refresh_in_background();
                return Ok(e.value);
            }
            // Too old to serve, even through an outage.
            self.cache.invalidate(&()).await;
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        if let Some(err) = self.recent_failure() {
            return Err(err);
        }
        // moka coalesces the waiters and re-checks the cache (a load may have just finished);
        // the init only joins the spawned load, so cancelling any caller cancels no load.
        let (load, epoch) = self.join_or_start();
        let waiting = self.cache.try_get_with((), async move {
            let fetched_at = Instant::now();
            load.await.map(|value| Entry { value, fetched_at })
        });
        // A caller with a shorter deadline stops waiting at it; the load goes on for the others
        // and fills the cache.
        let waited = match crate::call_context::current() {
            Some(deadline) => tokio::time::timeout_at(deadline, waiting)
                .await
                .map_err(|_| {
                    MegaportError::Timeout(ErrorDetail::new(format!(
                        "megaport {} did not answer before the caller's deadline",
                        self.name
                    )))
                })?,
            None => waiting.await,
        };
        let entry = waited.map_err(|e| (*e).clone())?;
        if lock(&self.state).epoch != epoch {
            // Invalidated while we waited: moka stored a value from before the write; this
            // caller may still use it, but the next one must not.
            self.cache.invalidate(&()).await;
        }
        Ok(entry.value)
    }

    fn recent_failure(&self) -> Option<MegaportError> {
        let st = lock(&self.state);
        match &st.last_failure {
            Some((at, err)) if at.elapsed() < self.failure_backoff => Some(err.clone()),
            _ => None,
        }
    }

    fn refresh_in_background(&self) {
        let mut st = lock(&self.state);
        if st.inflight.as_ref().is_some_and(|f| f.epoch == st.epoch) {
            return;
        }
        if st
            .last_failure
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < self.failure_backoff)
        {
            return;
        }
        tracing::debug!(
            cache = self.name,
            "refreshing stale catalog entry in the background"
        );
        // The task runs on its own; nobody needs to await it.
        drop(self.start_locked(&mut st, Priority::Background));
    }

    fn join_or_start(&self) -> (SharedLoad<T>, u64) {
        let mut st = lock(&self.state);
        let epoch = st.epoch;
        if let Some(f) = &st.inflight
            && f.epoch == epoch
        {
            return (f.load.clone(), epoch);
        }
        // A load callers wait for has their priority, though it outlives them.
        (
            self.start_locked(&mut st, megaport::budget::current_priority()),
            epoch,
        )
    }

    /// Spawns a load (caller holds the state lock) and records it as in flight.
    fn start_locked(&self, st: &mut SlotState<T>, priority: Priority) -> SharedLoad<T> {
        st.next_id += 1;
        let id = st.next_id;
        let epoch = st.epoch;
        self.counters.loads.fetch_add(1, Ordering::Relaxed);

        let loader = self.loader.clone();
        let cache = self.cache.clone();
        let state = self.state.clone();
        let counters = self.counters.clone();
        let deadline = Instant::now() + self.load_timeout;
        let name = self.name;
        let task = tokio::spawn(megaport::budget::with_priority(priority, async move {
            let started = Instant::now();
            let result = loader(deadline).await.map(Arc::new);
            match &result {
                Ok(value) => {
                    let current = lock(&state).epoch == epoch;
                    if current {
                        let entry = Entry {
                            value: value.clone(),
                            fetched_at: started,
                        };
                        cache.insert((), entry).await;
                        // Invalidated while inserting: do not let the old load win.
                        if lock(&state).epoch != epoch {
                            cache.invalidate(&()).await;
                        }
                    }
                    lock(&state).last_failure = None;
                }
                Err(e) => {
                    counters.load_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(cache = name, error = %e, "catalog load failed");
                    lock(&state).last_failure = Some((Instant::now(), e.clone()));
                }
            }
            let mut st = lock(&state);
            if st.inflight.as_ref().is_some_and(|f| f.id == id) {
                st.inflight = None;
            }
            result
        }));
        let load: SharedLoad<T> = async move {
            task.await.unwrap_or_else(|_| {
                Err(MegaportError::Unavailable(ErrorDetail::new(
                    "catalog load task ended unexpectedly",
                )))
            })
        }
        .boxed()
        .shared();
        st.inflight = Some(InFlight {
            id,
            epoch,
            load: load.clone(),
        });
        load
    }

    async fn invalidate(&self) {
        {
            let mut st = lock(&self.state);
            st.epoch += 1;
            st.last_failure = None;
        }
        self.cache.invalidate(&()).await;
    }
}

/// Caching of Megaport's catalog.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// Locations hardly ever change.
    pub locations_ttl_seconds: u64,
    /// After this, products are refreshed in the background while the old copy is served.
    pub products_soft_ttl_seconds: u64,
    /// During an upstream outage, products older than this are no longer served.
    pub products_max_stale_seconds: u64,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            locations_ttl_seconds: 86_400,
            products_soft_ttl_seconds: 30,
            products_max_stale_seconds: 900,
        }
    }
}

impl CatalogSettings {
    pub fn validate(&self) -> Result<(), crate::settings::ConfigError> {
        use crate::settings::positive;
        positive("catalog.locations_ttl_seconds", self.locations_ttl_seconds)?;
        positive(
            "catalog.products_soft_ttl_seconds",
            self.products_soft_ttl_seconds,
        )?;
        if self.products_max_stale_seconds < self.products_soft_ttl_seconds {
            return Err(crate::settings::ConfigError::Invalid {
                key: "catalog.products_max_stale_seconds",
                problem: "must not be below catalog.products_soft_ttl_seconds".to_owned(),
            });
        }
        Ok(())
    }

    /// The cache's timings.
    pub fn catalog_config(&self) -> CatalogConfig {
        CatalogConfig {
            locations_ttl: Duration::from_secs(self.locations_ttl_seconds),
            products_soft_ttl: Duration::from_secs(self.products_soft_ttl_seconds),
            products_max_stale: Duration::from_secs(self.products_max_stale_seconds),
            ..CatalogConfig::default()
        }
    }
}
