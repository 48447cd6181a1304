//! onramp's Megaport request budget through gRPC: with the key watcher alone wanting far more
//! than the budget, background work stops at its share, an interactive read that finds no
//! share left fails at once with UNAVAILABLE and RetryInfo, and a buy still reaches Megaport
//! without waiting.

use std::time::Duration;

use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateVxcOrderRequest, GetServiceKeyRequest};
use onramp_server::config::BudgetSettings;
use tokio::time::Instant;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::http::{get, sample};
use crate::support::orders::*;
use crate::support::{STEP, SandboxedServer, reason, soak, within};

async fn scrape(env: &SandboxedServer, name: &str, labels: &[(&str, &str)]) -> f64 {
    let admin = env.server.admin_addr.expect("admin listener");
    let (status, body) = get(admin, "/metrics").await;
    assert_eq!(status, 200);
    sample(&body, name, labels).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buy_reaches_megaport_while_background_work_saturates_the_budget() {
    let mut config = orders_config();
    // The key watcher alone would send 50 requests a second.
    config.watch.poll_interval_millis = 20;
    config.megaport.budget = BudgetSettings {
        requests: 60,
        window_seconds: 300,
        write_reserve: 20,
        interactive_reserve: 15,
        ..BudgetSettings::default()
    };
    let env = SandboxedServer::start_with(fast_sandbox(), config).await;
    let key = guide_key(&env.sandbox, LA2_RED, 3001).await;

    // Background work stops at its share (60 - 20 - 15 = 25) and is refused beyond it.
    within(async {
        while scrape(
            &env,
            "onramp_megaport_budget_throttled_total",
            &[("priority", "background")],
        )
        .await
            == 0.0
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let used = scrape(&env, "onramp_megaport_budget_used", &[]).await;
    assert!(
        used <= 60.0 - 20.0,
        "background and interactive stay out of the writes' reserve: {used}"
    );

    // Interactive reads (keys the watcher has not seen) use what is left, then fail at once: one
    // that waited for a share would wait for the 300 s window to move, past `within`.
    let mut keys = ServiceKeyServiceClient::new(env.server.channel.clone());
    let refused = within(async {
        loop {
            let started = Instant::now();
            match keys
                .get_service_key(GetServiceKeyRequest {
                    key: uuid::Uuid::new_v4().to_string(),
                })
                .await
            {
                Err(status) if status.code() == Code::Unavailable => {
                    return (status, started.elapsed());
                }
                Err(status) => assert_eq!(status.code(), Code::NotFound, "{status:?}"),
                Ok(found) => panic!("a random key was found: {found:?}"),
            }
        }
    })
    .await;
    let (status, took) = refused;
    assert_eq!(
        reason(&status),
        "UPSTREAM_RATE_LIMITED",
        "{status:?} after {took:?}"
    );
    let retry = status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .expect("retry info");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(300),
        "{retry:?}"
    );

    // The writes' reserve is intact: the buy and the reads it needs go through now. Had they
    // waited for a share, they would have waited for the 300 s window to move, far past the
    // guard of `within`: that the call returns at all shows it did not wait.
    let buys_before = env.sandbox.control().orders().len();
    let order = within(
        VxcOrderServiceClient::new(env.server.channel.clone()).create_vxc_order(
            CreateVxcOrderRequest {
                account: "acme".into(),
                spec: Some(spec(&key, "budget", 100)),
                request_id: request_id(),
            },
        ),
    )
    .await
    .expect("the buy goes through")
    .into_inner();
    assert!(order.order.is_some());
    assert_eq!(env.sandbox.control().orders().len(), buys_before + 1);
    assert_eq!(
        env.sandbox.control().refused_by_limits(),
        0,
        "Megaport never said 429"
    );
    assert!(scrape(&env, "onramp_megaport_budget_used", &[]).await <= 60.0);
}

/// Megaport's limit scaled down 10x: 50 per 30 s at the sandbox, and onramp's budget a margin
/// below it.
const WINDOW: Duration = Duration::from_secs(30);
const SANDBOX_LIMIT: u32 = 50;
const BUDGET: u32 = 45;
/// How often the account's orders are listed.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(2);
/// Provisioning of an approved VXC, so its changes fall inside the measured run.
const TO_CONFIGURED: Duration = Duration::from_secs(40);

/// The most requests in any `window` of `arrivals` (sorted).
fn busiest_window(arrivals: &[std::time::Instant], window: Duration) -> usize {
    let mut start = 0;
    let mut busiest = 0;
    for end in 0..arrivals.len() {
        while arrivals[end] - arrivals[start] >= window {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    busiest
}

/// Megaport requests (every route but the token endpoint) since `since`.
fn api_arrivals(env: &SandboxedServer, since: std::time::Instant) -> Vec<std::time::Instant> {
    use megaport_sandbox::RouteGroup::*;
    let control = env.sandbox.control();
    let mut arrivals: Vec<_> = [
        Products, Product, Locations, ServiceKey, Validate, Buy, VxcUpdate, PortVlan,
    ]
    .into_iter()
    .flat_map(|group| control.arrivals(group))
    .filter(|at| *at >= since)
    .collect();
    arrivals.sort();
    arrivals
}

fn millis_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// The load of the budget run: `make soak` watches every order with ten streams over four windows
/// and asserts how late changes arrive; `make test` watches each with three over two windows
/// (every order's change still falls inside the run) and prints it.
struct BudgetRun {
    streams_per_order: usize,
    windows: u32,
    approve_after: Duration,
    buy_after: Duration,
}

impl BudgetRun {
    fn now() -> Self {
        if soak() {
            Self {
                streams_per_order: 10,
                windows: 4,
                approve_after: Duration::from_secs(20),
                buy_after: Duration::from_secs(40),
            }
        } else {
            Self {
                streams_per_order: 3,
                windows: 2,
                approve_after: Duration::from_secs(5),
                buy_after: Duration::from_secs(10),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_order_watches_the_key_watcher_and_fifty_readers_stay_inside_the_budget() {
    let load = BudgetRun::now();
    use megaport_sandbox::{ProvisioningSchedule, RateWindow, SandboxConfig, SandboxLimits};
    use onramp_proto::catalog_service_client::CatalogServiceClient;
    use onramp_proto::{
        ApproveVxcOrderRequest, ListOnRampsRequest, VxcOrderState, WatchVxcOrderRequest,
        approve_vxc_order_request,
    };
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    // Setting up: 100 orders, half on a key that is not pre-approved, bought with no limits.
    let sandbox = SandboxConfig {
        limits: SandboxLimits::off(),
        provisioning: ProvisioningSchedule {
            to_configured: TO_CONFIGURED,
            to_live: Duration::from_secs(600),
        },
        ..SandboxConfig::default()
    };
    let mut config = orders_config();
    config.megaport.budget.requests = 100_000;
    let mut env = SandboxedServer::start_with(sandbox, config).await;
    let mut keys = Vec::new();
    for pre_approved in [false, true] {
        let key = mint_key(
            &env.sandbox,
            LA1_BLUE,
            KeyOptions {
                single_use: false,
                vlan: None,
                max_speed: 1000,
                pre_approved,
            },
        )
        .await;
        keys.push(key);
    }
    let mut buys = VxcOrderServiceClient::new(env.server.channel.clone());
    let mut orders = Vec::new();
    for n in 0..100 {
        let order = within(buys.create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(spec(&keys[n % 2], &format!("load {n}"), 1)),
            request_id: request_id(),
        }))
        .await
        .expect("buy")
        .into_inner()
        .order
        .expect("order");
        orders.push(order);
    }
    let awaiting: Vec<String> = orders
        .iter()
        .filter(|order| order.state() == VxcOrderState::AwaitingApproval)
        .map(|order| order.order_id.clone())
        .collect();
    assert_eq!(awaiting.len(), 50);

    // The run: Megaport's limit and onramp's budget scaled down on both sides.
    env.config.megaport.budget = BudgetSettings {
        requests: BUDGET,
        window_seconds: WINDOW.as_secs(),
        // Background work (the key watcher every 5 s, the followers every 2 s, catalog
        // refreshes) wants about 25 a window; reserves of 8 and 10 left it 27, so the writes'
        // windows delayed the followers by seconds. 5 and 5 leave it 35.
        write_reserve: 5,
        interactive_reserve: 5,
        ..BudgetSettings::default()
    };
    env.config.orders.poll_interval_millis = FOLLOW_INTERVAL.as_millis() as u64;
    env.config.watch.poll_interval_millis = 5000;
    env.config.catalog.products_soft_ttl_seconds = 30;
    let env = env.restart().await;
    env.sandbox.control().set_limits(SandboxLimits {
        per_client: Some(RateWindow {
            requests: SANDBOX_LIMIT,
            window: WINDOW,
        }),
        ..SandboxLimits::default()
    });
    let run_started = std::time::Instant::now();

    // 1,000 streams (soak; 300 in make test), 10 (3) per order, each noting when it saw which
    // state.
    // Per order: each state a stream saw after its first message, and when (ms).
    type Seen = HashMap<String, Vec<(VxcOrderState, i64)>>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut streams = tokio::task::JoinSet::new();
    // A connection carries at most limits.max_concurrent_streams (256): ten of them.
    let mut channels = Vec::new();
    for _ in 0..10 {
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", env.server.addr))
                .expect("endpoint")
                .connect()
                .await
                .expect("connect");
        channels.push(channel);
    }
    for (n, order) in orders.iter().enumerate() {
        for _ in 0..load.streams_per_order {
            let channel = channels[n % channels.len()].clone();
            let order_id = order.order_id.clone();
            let seen = seen.clone();
            let mut stream = within(VxcOrderServiceClient::new(channel).watch_vxc_order(
                WatchVxcOrderRequest {
                    order_id: order_id.clone(),
                },
            ))
            .await
            .expect("watch")
            .into_inner();
            streams.spawn(async move {
                let mut first = true;
                while let Ok(Some(message)) = stream.message().await {
                    let state = message.order.expect("order").state();
                    if !std::mem::take(&mut first) {
                        seen.lock()
                            .unwrap()
                            .entry(order_id.clone())
                            .or_default()
                            .push((state, millis_now()));
                    }
                }
            });
        }
    }
    // 50 callers reading the catalog all along.
    let readers_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let mut catalog = CatalogServiceClient::new(env.server.channel.clone());
        let stop = readers_stop.clone();
        readers.spawn(async move {
            let mut answered = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if catalog
                    .list_on_ramps(ListOnRampsRequest::default())
                    .await
                    .is_ok()
                {
                    answered += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answered
        });
    }

    // The provider approves three orders, and Acme buys once more later. (Writes go first: a
    // burst of them would hold background work, the followers included, until the window
    // moves.)
    tokio::time::sleep(load.approve_after).await;
    let mut decisions = VxcOrderServiceClient::new(env.server.channel.clone());
    let mut approved_at = HashMap::new();
    for order_id in awaiting.iter().take(3) {
        within(decisions.approve_vxc_order(ApproveVxcOrderRequest {
            target: Some(approve_vxc_order_request::Target::OrderId(order_id.clone())),
            account: String::new(),
        }))
        .await
        .expect("approve");
        approved_at.insert(order_id.clone(), millis_now());
    }
    tokio::time::sleep(load.buy_after).await;
    // A buy that waited for a share would wait for the 30 s window to move, past `within`.
    let started = Instant::now();
    within(buys_during_load(&env, &keys[1])).await;
    let buy_took = started.elapsed();
    tokio::time::sleep((WINDOW * load.windows).saturating_sub(run_started.elapsed())).await;
    readers_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut reads = 0;
    while let Some(answered) = readers.join_next().await {
        reads += answered.expect("reader");
    }
    let run = run_started.elapsed();
    let arrivals = api_arrivals(&env, run_started);
    streams.abort_all();

    // Inside the budget in every window, and Megaport never said 429.
    let busiest = busiest_window(&arrivals, WINDOW);
    println!(
        "budget run: {} Megaport requests in {:.0} s ({:.0} per 5 minutes), busiest {WINDOW:?} \
         window {busiest}, {reads} catalog reads, buy {buy_took:?}",
        arrivals.len(),
        run.as_secs_f64(),
        arrivals.len() as f64 * 300.0 / run.as_secs_f64()
    );
    assert!(
        busiest <= BUDGET as usize,
        "{busiest} requests in one window"
    );
    assert_eq!(
        env.sandbox.control().refused_by_limits(),
        0,
        "no 429 from Megaport"
    );
    // Every reader was answered all along (about ten times a second; at least one in two).
    let least = 50 * run.as_secs() as u32 / 2;
    assert!(reads > least, "the catalog kept answering: {reads}");

    // Every change reached all streams of its order, once (and in soak, within two follow
    // intervals).
    let seen = seen.lock().unwrap();
    let late_by = |order_id: &str, state: VxcOrderState, changed_at: i64| -> Vec<i64> {
        let deliveries: Vec<i64> = seen
            .get(order_id)
            .map(|states| {
                states
                    .iter()
                    .filter(|(seen_state, _)| *seen_state == state)
                    .map(|(_, at)| at - changed_at)
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            deliveries.len(),
            load.streams_per_order,
            "{order_id} {state:?} reached every stream once"
        );
        deliveries
    };
    let bound = 2 * FOLLOW_INTERVAL.as_millis() as i64 + 500;
    let mut worst = 0;
    for (order_id, at) in &approved_at {
        for late in late_by(order_id, VxcOrderState::Deployable, *at)
            .into_iter()
            .chain(late_by(
                order_id,
                VxcOrderState::Configured,
                at + TO_CONFIGURED.as_millis() as i64,
            ))
        {
            worst = worst.max(late);
        }
    }
    let accepted: HashMap<String, i64> = env
        .sandbox
        .control()
        .orders()
        .into_iter()
        .map(|record| (record.vxc_uid, record.accepted_ms))
        .collect();
    for order in orders
        .iter()
        .filter(|order| order.state() != VxcOrderState::AwaitingApproval)
    {
        let configured_at = accepted[&order.vxc_uid] + TO_CONFIGURED.as_millis() as i64;
        for late in late_by(&order.order_id, VxcOrderState::Configured, configured_at) {
            worst = worst.max(late);
        }
    }
    println!(
        "budget run: the latest order change reached its streams {worst} ms after it happened"
    );
    if soak() {
        assert!(
            worst <= bound,
            "a change took {worst} ms (bound {bound} ms)"
        );
    }
}

/// One more buy by Acme, while everything else runs.
async fn buys_during_load(env: &SandboxedServer, key: &str) {
    VxcOrderServiceClient::new(env.server.channel.clone())
        .create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(spec(key, "during load", 1)),
            request_id: request_id(),
        })
        .await
        .expect("the buy goes through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megaport_answering_429_for_a_minute_leaves_reads_and_streams_served_and_onramp_recovers() {
    use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig, SandboxLimits};
    use onramp_proto::catalog_service_client::CatalogServiceClient;
    use onramp_proto::watch_service_keys_response::Kind;
    use onramp_proto::{
        ApproveVxcOrderRequest, ListOnRampsRequest, UpstreamStatus, VxcOrderState,
        WatchServiceKeysRequest, WatchVxcOrderRequest, approve_vxc_order_request,
    };
    use std::sync::{Arc, Mutex};

    // A minute: the key poller, whose share is paused after each 429, waits for it until its
    // own deadline runs out, which then reports DEGRADED; with half a minute that came too
    // late in one run of five.
    let throttled_for = Duration::from_secs(60);
    const THROTTLED_PAUSE: Duration = Duration::from_secs(10);
    let mut config = orders_config();
    config.watch.poll_interval_millis = 1000;
    config.orders.poll_interval_millis = 1000;
    config.megaport.budget.throttled_pause_seconds = THROTTLED_PAUSE.as_secs();
    // The 429s come from a fault; Megaport's real limits would only blur the count.
    let sandbox = SandboxConfig {
        limits: SandboxLimits::off(),
        ..fast_sandbox()
    };
    let env = SandboxedServer::start_with(sandbox, config).await;
    let channel = env.server.channel.clone();
    let pre_approved = guide_key(&env.sandbox, LA2_RED, 3001).await;
    let awaiting_key = mint_key(
        &env.sandbox,
        LA1_BLUE,
        KeyOptions {
            single_use: true,
            vlan: Some(3002),
            max_speed: 1000,
            pre_approved: false,
        },
    )
    .await;

    // Warm: the catalog read once, a keys stream healthy, an order awaiting approval watched.
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let on_ramps = within(catalog.list_on_ramps(ListOnRampsRequest::default()))
        .await
        .expect("catalog")
        .into_inner()
        .on_ramps;
    assert!(!on_ramps.is_empty());
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let mut key_stream = within(keys.watch_service_keys(WatchServiceKeysRequest::default()))
        .await
        .expect("watch keys")
        .into_inner();
    let statuses: Arc<Mutex<Vec<(Instant, UpstreamStatus)>>> = Arc::default();
    let watching = {
        let statuses = statuses.clone();
        tokio::spawn(async move {
            while let Ok(Some(message)) = key_stream.message().await {
                if let Some(Kind::Progress(progress)) = message.kind
                    && let Some(upstream) = progress.upstream
                {
                    statuses
                        .lock()
                        .unwrap()
                        .push((Instant::now(), upstream.status()));
                }
            }
        })
    };
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    let waiting = within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&awaiting_key, "awaits approval", 100)),
        request_id: request_id(),
    }))
    .await
    .expect("buy")
    .into_inner()
    .order
    .expect("order");
    assert_eq!(waiting.state(), VxcOrderState::AwaitingApproval);
    let mut order_stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: waiting.order_id.clone(),
    }))
    .await
    .expect("watch order")
    .into_inner();
    within(async {
        while !statuses
            .lock()
            .unwrap()
            .iter()
            .any(|(_, status)| *status == UpstreamStatus::Healthy)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let ledger_before = env.sandbox.control().orders().len();

    // Megaport answers 429, without Retry-After, to everything for a minute.
    env.sandbox
        .control()
        .inject_fault(Fault::new(
            RouteGroup::All,
            FaultKind::Status {
                code: 429,
                retry_after: None,
            },
        ))
        .expect("fault");
    let throttled_at = Instant::now();
    let arrivals_since = std::time::Instant::now();

    // Meanwhile the cached reads answer, and every time at once.
    let mut slowest_read = Duration::ZERO;
    let mut reads = 0;
    let mut refused_buy = None;
    let buy_request_id = request_id();
    while throttled_at.elapsed() < throttled_for {
        let started = Instant::now();
        let listed = within(catalog.list_on_ramps(ListOnRampsRequest::default()))
            .await
            .expect("cached on-ramps")
            .into_inner()
            .on_ramps;
        assert_eq!(listed.len(), on_ramps.len());
        within(keys.get_service_key(GetServiceKeyRequest {
            key: pre_approved.clone(),
        }))
        .await
        .expect("a key the watcher holds");
        slowest_read = slowest_read.max(started.elapsed());
        reads += 1;
        // A buy half way through is refused, not queued or retried behind the caller's back.
        if refused_buy.is_none() && throttled_at.elapsed() > Duration::from_secs(25) {
            let started = Instant::now();
            let buys_before = env.sandbox.control().requests(RouteGroup::Buy);
            let status = within(orders.create_vxc_order(CreateVxcOrderRequest {
                account: "acme".into(),
                spec: Some(spec(&pre_approved, "during the 429s", 100)),
                request_id: buy_request_id.clone(),
            }))
            .await
            .expect_err("Megaport refuses everything");
            let sent = env.sandbox.control().requests(RouteGroup::Buy) - buys_before;
            refused_buy = Some((status, started.elapsed(), sent));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let throttled_requests = api_arrivals(&env, arrivals_since).len();
    env.sandbox.control().clear_faults();
    let cleared_at = Instant::now();

    let (status, took, buys_sent) = refused_buy.expect("a buy was tried");
    println!(
        "429 run: {reads} rounds of cached reads, slowest {slowest_read:?}; {throttled_requests} \
         Megaport requests in {throttled_for:?} of 429s; the buy refused in {took:?} with {buys_sent} \
         buy requests sent: {status:?}"
    );
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(reason(&status), "UPSTREAM_RATE_LIMITED", "{status:?}");
    assert!(status.get_error_details().retry_info().is_some());
    assert!(buys_sent <= 1, "a refused buy is not sent again");
    assert_eq!(env.sandbox.control().orders().len(), ledger_before);
    // Paused 10 s after each 429: a few probes a pause, not a request a second per loop.
    assert!(
        throttled_requests <= 30,
        "{throttled_requests} requests into {throttled_for:?} of 429s"
    );
    {
        let statuses = statuses.lock().unwrap();
        let during: Vec<_> = statuses
            .iter()
            .filter(|(at, _)| *at > throttled_at + Duration::from_secs(2) && *at < cleared_at)
            .map(|(_, status)| *status)
            .collect();
        assert!(
            during.contains(&UpstreamStatus::Degraded),
            "the key watcher reports DEGRADED: {during:?}"
        );
        assert!(
            !during.contains(&UpstreamStatus::Unavailable),
            "throttled is slow, not down: {during:?}"
        );
    }

    // Once Megaport takes requests again onramp goes on by itself: the watcher is healthy, the
    // buy goes through when its caller retries it, once, and the watched order moves on. A probe
    // answered 429 just before the fault cleared paused the budget for its whole 10 s, so the
    // watcher's first good poll may come that late: the bound is the pause plus a step.
    tokio::time::timeout(THROTTLED_PAUSE + STEP, async {
        loop {
            let healthy = statuses
                .lock()
                .unwrap()
                .iter()
                .any(|(at, status)| *at > cleared_at && *status == UpstreamStatus::Healthy);
            if healthy {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the key watcher healthy again within the pause and a step");
    let recovered_in = cleared_at.elapsed();
    let retry = || {
        let mut orders = orders.clone();
        let spec = spec(&pre_approved, "during the 429s", 100);
        let request_id = buy_request_id.clone();
        async move {
            within(orders.create_vxc_order(CreateVxcOrderRequest {
                account: "acme".into(),
                spec: Some(spec),
                request_id,
            }))
            .await
        }
    };
    let bought = loop {
        // The budget may still be paused for the rest of its 10 s.
        match retry().await {
            Ok(bought) => break bought.into_inner().order.expect("order"),
            Err(status) if reason(&status) == "UPSTREAM_RATE_LIMITED" => {
                assert!(cleared_at.elapsed() < Duration::from_secs(30), "{status:?}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(status) => panic!("{status:?}"),
        }
    };
    let again = retry().await.expect("the same buy").into_inner();
    assert_eq!(again.order.expect("order").order_id, bought.order_id);
    assert_eq!(env.sandbox.control().orders().len(), ledger_before + 1);
    within(orders.approve_vxc_order(ApproveVxcOrderRequest {
        target: Some(approve_vxc_order_request::Target::OrderId(
            waiting.order_id.clone(),
        )),
        account: String::new(),
    }))
    .await
    .expect("approve");
    within(async {
        loop {
            let message = order_stream
                .message()
                .await
                .expect("the order stream")
                .expect("still open");
            if message.order.expect("order").state() != VxcOrderState::AwaitingApproval {
                break;
            }
        }
    })
    .await;
    println!("429 run: the key watcher was healthy {recovered_in:?} after the 429s stopped");
    watching.abort();
}
