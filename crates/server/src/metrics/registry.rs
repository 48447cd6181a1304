//! The registry and every series onramp exports, and what is read at scrape time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use megaport::{Budget, MegaportClient, Outcome, Priority, RequestObserver, Route};
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::catalog::{Catalog, SlotStats};
use crate::watch::{Health, WatchHub};
use onramp_core::orders::{OrderDesk, OrderState};
use onramp_store::Store;

/// Buckets for request latencies, in seconds: sub-millisecond cached reads up to Megaport's
/// slowest listings.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// Every metric onramp exports.
pub struct Metrics {
    registry: Registry,
    pub(crate) grpc_requests: IntCounterVec,
    pub(crate) grpc_duration: HistogramVec,
    pub(crate) grpc_in_flight: IntGauge,
    pub(crate) grpc_streams_open: IntGaugeVec,
    pub(crate) auth_refusals: IntCounterVec,
    megaport_requests: IntCounterVec,
    megaport_duration: HistogramVec,
    megaport_retries: IntCounterVec,
    megaport_records_skipped: IntCounterVec,
    megaport_budget_throttled: IntCounterVec,
    megaport_budget_used: IntGauge,
    megaport_budget_limit: IntGauge,
    megaport_budget_paused: Gauge,
    catalog_reads: IntCounterVec,
    catalog_loads: IntCounterVec,
    catalog_age: GaugeVec,
    watch_subscribers: IntGauge,
    watch_revision: IntGauge,
    watch_upstream: IntGaugeVec,
    watch_last_success_age: Gauge,
    watch_polls: IntCounterVec,
    watch_closed_too_slow: IntCounter,
    watch_resyncs: IntCounterVec,
    watch_poll_duration: Histogram,
    orders: IntGaugeVec,
    orders_outcome_unknown_oldest: Gauge,
    order_buys: IntCounterVec,
    order_reconciliations: IntCounterVec,
    store_rows: IntGaugeVec,
    store_query_duration: HistogramVec,
    webhook_attempts: IntCounterVec,
    webhook_deliveries: IntGaugeVec,
    webhook_overdue: Gauge,
    webhook_oldest_pending: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// What a scrape reads besides the counters: the components that keep their own state.
#[derive(Debug, Clone)]
pub(crate) struct Sources {
    pub(crate) budget: Arc<Budget>,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) hub: WatchHub,
    pub(crate) store: Store,
    pub(crate) orders: OrderDesk,
    pub(crate) webhooks: crate::webhooks::Webhooks,
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("onramp".to_owned()), None).expect("a valid metric prefix");
        // Names and label sets are constants of this file, so building them cannot fail.
        let add = |collector: Box<dyn prometheus::core::Collector>| {
            registry
                .register(collector)
                .expect("each metric is registered once");
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let family = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            add(Box::new(family.clone()));
            family
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            let family = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
            add(Box::new(family.clone()));
            family
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
            let family = HistogramVec::new(opts, labels).expect("valid metric");
            add(Box::new(family.clone()));
            family
        };
        let gauge = |name: &str, help: &str| {
            let gauge = Gauge::new(name, help).expect("valid metric");
            add(Box::new(gauge.clone()));
            gauge
        };
        let int_gauge = |name: &str, help: &str| {
            let gauge = IntGauge::new(name, help).expect("valid metric");
            add(Box::new(gauge.clone()));
            gauge
        };
        let catalog_age = GaugeVec::new(
            Opts::new(
                "catalog_age_seconds",
                "Age of the cached Megaport data, by list.",
            ),
            &["data"],
        )
        .expect("valid metric");
        add(Box::new(catalog_age.clone()));
        let watch_closed_too_slow = IntCounter::new(
            "watch_subscribers_closed_too_slow_total",
            "WatchServiceKeys streams closed because the reader fell behind its buffer.",
        )
        .expect("valid metric");
        add(Box::new(watch_closed_too_slow.clone()));
        Self {
            grpc_requests: counter(
                "grpc_server_requests_total",
                "gRPC calls finished, by service, method and status code.",
                &["service", "method", "code"],
            ),
            grpc_duration: histogram(
                "grpc_server_request_duration_seconds",
                "Time to answer unary gRPC calls, by service and method.",
                &["service", "method"],
            ),
            grpc_in_flight: int_gauge(
                "grpc_server_requests_in_flight",
                "Unary gRPC calls being answered.",
            ),
            grpc_streams_open: gauges(
                "grpc_server_streams_open",
                "Server-streaming gRPC calls open, by service and method.",
                &["service", "method"],
            ),
            auth_refusals: counter(
                "auth_refusals_total",
                "Calls refused before reaching a handler, by reason.",
                &["reason"],
            ),
            megaport_requests: counter(
                "megaport_requests_total",
                "HTTP attempts to Megaport (retries included), by route, account and outcome.",
                &["route", "account", "outcome"],
            ),
            megaport_duration: histogram(
                "megaport_request_duration_seconds",
                "Time from sending a Megaport request to its response headers, by route and account.",
                &["route", "account"],
            ),
            megaport_retries: counter(
                "megaport_retries_total",
                "Megaport attempts after the first of one call, by route and account.",
                &["route", "account"],
            ),
            megaport_records_skipped: counter(
                "megaport_records_skipped_total",
                "Records of Megaport list answers that did not decode and were left out, by route \
                 and account.",
                &["route", "account"],
            ),
            megaport_budget_throttled: counter(
                "megaport_budget_throttled_total",
                "Megaport requests not sent because the request budget had no share for their \
                 priority (write, interactive, background), by route and priority.",
                &["route", "priority"],
            ),
            megaport_budget_used: int_gauge(
                "megaport_budget_used",
                "Megaport requests sent in the budget's current window (all accounts of the egress).",
            ),
            megaport_budget_limit: int_gauge(
                "megaport_budget_limit",
                "The request budget's limit per window now (smaller for a window after a 429).",
            ),
            megaport_budget_paused: gauge(
                "megaport_budget_paused_seconds",
                "Seconds until Megaport requests are sent again after a 429 (0 when not paused).",
            ),
            catalog_reads: counter(
                "catalog_reads_total",
                "Reads of the cached Megaport data, by list and result (hit, stale, miss).",
                &["data", "result"],
            ),
            catalog_loads: counter(
                "catalog_loads_total",
                "Loads of Megaport data into the cache, by list and result.",
                &["data", "result"],
            ),
            catalog_age,
            watch_subscribers: int_gauge(
                "watch_subscribers",
                "WatchServiceKeys streams subscribed to the key watcher.",
            ),
            watch_revision: int_gauge("watch_revision", "The key watcher's latest revision."),
            watch_upstream: gauges(
                "watch_upstream_status",
                "1 for the key watcher's current view of Megaport (healthy, degraded, unavailable), 0 for the others.",
                &["status"],
            ),
            watch_last_success_age: gauge(
                "watch_last_successful_poll_age_seconds",
                "Seconds since the key watcher last listed Megaport's keys; -1 before the first success.",
            ),
            watch_polls: counter(
                "watch_polls_total",
                "Polls of Megaport's key list, by result.",
                &["result"],
            ),
            watch_closed_too_slow,
            watch_resyncs: counter(
                "watch_resyncs_total",
                "Resume tokens answered with a fresh snapshot, by reason.",
                &["reason"],
            ),
            watch_poll_duration: {
                let histogram = Histogram::with_opts(
                    HistogramOpts::new(
                        "watch_poll_duration_seconds",
                        "Time one poll of Megaport's key list took.",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                )
                .expect("valid metric");
                add(Box::new(histogram.clone()));
                histogram
            },
            order_buys: counter(
                "order_buys_total",
                "Buys sent to Megaport, by result (accepted, refused, not_sent, outcome_unknown).",
                &["result"],
            ),
            order_reconciliations: counter(
                "order_reconciliations_total",
                "Unknown buy outcomes looked up at Megaport, by result (found, absent, failed).",
                &["result"],
            ),
            store_query_duration: histogram(
                "store_query_duration_seconds",
                "Time of the domain's store queries, by operation.",
                &["operation"],
            ),
            store_rows: gauges(
                "store_rows",
                "Rows in each journal and log of the store, estimated without reading the table \
                 (PostgreSQL's live-tuple statistics; SQLite's rowid span).",
                &["table"],
            ),
            orders: gauges("orders", "VXC orders by state.", &["state"]),
            webhook_attempts: counter(
                "webhook_attempts_total",
                "Webhook deliveries this replica attempted, by outcome (delivered, retried, \
                 failed: the schedule is spent, gone: the endpoint answered 410).",
                &["outcome"],
            ),
            webhook_deliveries: gauges(
                "webhook_deliveries",
                "Webhook deliveries in the outbox, by status (pending, delivered, failed).",
                &["status"],
            ),
            webhook_oldest_pending: gauge(
                "webhook_oldest_pending_age_seconds",
                "Age of the oldest pending webhook delivery's event; 0 when none is pending.",
            ),
            webhook_overdue: gauge(
                "webhook_overdue_seconds",
                "How long ago the most overdue pending webhook delivery came due; near 0 while \
                 the dispatchers keep up.",
            ),
            orders_outcome_unknown_oldest: gauge(
                "orders_outcome_unknown_oldest_age_seconds",
                "Age of the oldest order in OUTCOME_UNKNOWN (awaiting reconciliation); 0 when none.",
            ),
            registry,
        }
    }

    /// Counts and times every request `client` makes, labelled with `account`.
    pub(crate) fn observe_megaport(self: &Arc<Self>, account: &str, client: &MegaportClient) {
        client.metrics().observe_with(Arc::new(MegaportObserver {
            metrics: Arc::clone(self),
            account: account.to_owned(),
        }));
    }

    /// Times every query the domain makes of the store.
    pub(crate) fn observe_store(self: &Arc<Self>, store: &Store) {
        let metrics = Arc::clone(self);
        store.observe_queries(Arc::new(move |operation, elapsed| {
            metrics
                .store_query_duration
                .with_label_values(&[operation])
                .observe(elapsed.as_secs_f64());
        }));
    }

    /// Times every poll of the key watcher.
    pub(crate) fn observe_watch(self: &Arc<Self>, hub: &WatchHub) {
        let metrics = Arc::clone(self);
        hub.observe_polls(move |elapsed| {
            metrics.watch_poll_duration.observe(elapsed.as_secs_f64());
        });
    }

    /// The text exposition of every metric, after reading the state `sources` keep.
    pub(crate) async fn render(&self, sources: &Sources) -> String {
        self.read_budget(&sources.budget);
        self.read_catalog(&sources.catalog).await;
        self.read_watch(&sources.hub);
        self.read_order_totals(&sources.orders);
        self.read_webhook_totals(&sources.webhooks);
        if let Err(error) = self.read_store(&sources.store).await {
            tracing::warn!(%error, "metrics: could not read the store");
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!(%error, "metrics: could not encode");
        }
        String::from_utf8(text).unwrap_or_default()
    }

    fn read_budget(&self, budget: &Budget) {
        let usage = budget.usage();
        self.megaport_budget_used.set(i64::from(usage.used));
        self.megaport_budget_limit.set(i64::from(usage.limit));
        self.megaport_budget_paused
            .set(usage.paused_for.map_or(0.0, |paused| paused.as_secs_f64()));
    }

    async fn read_catalog(&self, catalog: &Catalog) {
        let stats = catalog.stats();
        for (data, slot) in [("products", stats.products), ("locations", stats.locations)] {
            self.mirror_slot(data, slot);
        }
        if let Some(age) = catalog.products_age().await {
            self.catalog_age
                .with_label_values(&["products"])
                .set(age.as_secs_f64());
        }
        if let Some(age) = catalog.locations_age().await {
            self.catalog_age
                .with_label_values(&["locations"])
                .set(age.as_secs_f64());
        }
    }

    fn mirror_slot(&self, data: &str, slot: SlotStats) {
        let reads = |result: &str| self.catalog_reads.with_label_values(&[data, result]);
        mirror(&reads("hit"), slot.hits);
        mirror(&reads("stale"), slot.stale_hits);
        mirror(&reads("miss"), slot.misses);
        let loads = |result: &str| self.catalog_loads.with_label_values(&[data, result]);
        mirror(&loads("ok"), slot.loads.saturating_sub(slot.load_failures));
        mirror(&loads("failed"), slot.load_failures);
    }

    fn read_watch(&self, hub: &WatchHub) {
        self.watch_subscribers
            .set(i64::try_from(hub.subscriber_count()).unwrap_or(i64::MAX));
        self.watch_revision.set(hub.revision());
        let health = hub.health();
        for (status, name) in [
            (Health::Healthy, "healthy"),
            (Health::Degraded, "degraded"),
            (Health::Unavailable, "unavailable"),
        ] {
            self.watch_upstream
                .with_label_values(&[name])
                .set(i64::from(health.status == status));
        }
        let age = health.last_success.map_or(-1.0, |at| {
            (time::OffsetDateTime::now_utc() - at).as_seconds_f64()
        });
        self.watch_last_success_age.set(age);
        let counters = hub.counter_totals();
        mirror(
            &self.watch_polls.with_label_values(&["ok"]),
            counters.polls_ok,
        );
        mirror(
            &self.watch_polls.with_label_values(&["failed"]),
            counters.polls_failed,
        );
        mirror(&self.watch_closed_too_slow, counters.closed_too_slow);
        mirror(
            &self.watch_resyncs.with_label_values(&["token_too_old"]),
            counters.resyncs_too_old,
        );
        mirror(
            &self.watch_resyncs.with_label_values(&["token_unknown"]),
            counters.resyncs_unknown,
        );
    }

    fn read_order_totals(&self, orders: &OrderDesk) {
        let totals = orders.totals();
        let buys = |result: &str| self.order_buys.with_label_values(&[result]);
        mirror(&buys("accepted"), totals.buys_accepted);
        mirror(&buys("refused"), totals.buys_refused);
        mirror(&buys("not_sent"), totals.buys_not_sent);
        mirror(&buys("outcome_unknown"), totals.buys_outcome_unknown);
        let runs = |result: &str| self.order_reconciliations.with_label_values(&[result]);
        mirror(&runs("found"), totals.reconciliations_found);
        mirror(&runs("absent"), totals.reconciliations_absent);
        mirror(&runs("failed"), totals.reconciliations_failed);
    }

    fn read_webhook_totals(&self, webhooks: &crate::webhooks::Webhooks) {
        use std::sync::atomic::Ordering::Relaxed;
        let totals = &webhooks.totals;
        for (outcome, total) in [
            ("delivered", &totals.delivered),
            ("retried", &totals.retried),
            ("failed", &totals.failed),
            ("gone", &totals.gone),
        ] {
            mirror(
                &self.webhook_attempts.with_label_values(&[outcome]),
                total.load(Relaxed),
            );
        }
    }

    async fn read_store(&self, store: &Store) -> Result<(), onramp_store::StoreError> {
        for (table, rows) in store.table_size_estimates().await? {
            self.store_rows.with_label_values(&[table]).set(rows);
        }
        let counts = store.order_counts_by_state().await?;
        let by_state: BTreeMap<&str, i64> = counts
            .iter()
            .map(|(state, count)| (state.as_str(), *count))
            .collect();
        for state in OrderState::ALL {
            let name = state.as_str();
            self.orders
                .with_label_values(&[name])
                .set(by_state.get(name).copied().unwrap_or(0));
        }
        let oldest = store
            .oldest_order_update_in(OrderState::OutcomeUnknown)
            .await?;
        self.orders_outcome_unknown_oldest
            .set(oldest.map_or(0.0, |at| {
                (time::OffsetDateTime::now_utc() - at).as_seconds_f64()
            }));
        let queue = store.webhook_queue().await?;
        for (status, count) in [
            ("pending", queue.pending),
            ("delivered", queue.delivered),
            ("failed", queue.failed),
        ] {
            self.webhook_deliveries
                .with_label_values(&[status])
                .set(count);
        }
        #[allow(clippy::cast_precision_loss)] // milliseconds far below 2^52
        self.webhook_overdue.set(queue.overdue_ms as f64 / 1_000.0);
        #[allow(clippy::cast_precision_loss)]
        self.webhook_oldest_pending
            .set(queue.oldest_pending_ms as f64 / 1_000.0);
        Ok(())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Brings a Prometheus counter up to a total kept elsewhere (totals only grow).
fn mirror(counter: &IntCounter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

struct MegaportObserver {
    metrics: Arc<Metrics>,
    account: String,
}

impl RequestObserver for MegaportObserver {
    fn attempt(&self, route: Route, outcome: Outcome) {
        self.metrics
            .megaport_requests
            .with_label_values(&[route.as_str(), &self.account, outcome.as_str()])
            .inc();
    }

    fn latency(&self, route: Route, elapsed: Duration) {
        self.metrics
            .megaport_duration
            .with_label_values(&[route.as_str(), &self.account])
            .observe(elapsed.as_secs_f64());
    }

    fn retry(&self, route: Route) {
        self.metrics
            .megaport_retries
            .with_label_values(&[route.as_str(), &self.account])
            .inc();
    }

    fn throttled(&self, route: Route, priority: Priority) {
        self.metrics
            .megaport_budget_throttled
            .with_label_values(&[route.as_str(), priority.as_str()])
            .inc();
    }

    fn skipped(&self, route: Route, records: u64) {
        self.metrics
            .megaport_records_skipped
            .with_label_values(&[route.as_str(), &self.account])
            .inc_by(records);
    }
}
