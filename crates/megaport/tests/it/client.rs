//! The Megaport client's own rules, driven through the sandbox's faults and request counters:
//! one token fetch for concurrent callers, which requests are retried and which never are,
//! deadlines, error mapping, and the key and VXC calls.

use std::time::Duration;

use crate::sandbox_support::{
    PROVIDER_ID, config, customer, deadline, key_and_order, provider, start, within,
};
use megaport::models::{CreateServiceKeyRequest, UpdateServiceKeyRequest, UpdateVxcRequest};
use megaport::{
    Credentials, Environment, MegaportClient, MegaportError, Outcome, RetryPolicy, Route,
};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxHandle};
use tokio::time::Instant;

/// CoreSite LA1, one of the provider's LIVE Ports in the sandbox's seed.
pub(crate) const PROVIDER_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";

pub(crate) fn fault(sb: &SandboxHandle, route: RouteGroup, kind: FaultKind, count: Option<u32>) {
    let fault = Fault::new(route, kind);
    let fault = match count {
        Some(count) => fault.with_count(count),
        None => fault,
    };
    sb.control().inject_fault(fault).expect("fault");
}

fn status(code: u16) -> FaultKind {
    FaultKind::Status {
        code,
        retry_after: None,
    }
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let sb = start().await;
    fault(&sb, RouteGroup::Token, FaultKind::Latency { ms: 100 }, None);
    let client = provider(&sb);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(5000))
                .await
        }));
    }
    for t in tasks {
        within(10, t).await.unwrap().unwrap();
    }
    assert_eq!(sb.control().requests(RouteGroup::Token), 1);
    assert_eq!(client.metrics().count(Route::Token, Outcome::Ok), 1);
    assert_eq!(client.metrics().count(Route::Product, Outcome::Ok), 50);
}

#[tokio::test]
async fn a_write_is_resent_once_after_a_401_because_it_never_ran() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let order = key_and_order(&p, &c, true).await;
    let before = sb.control().orders().len();
    assert!(sb.control().expire_tokens(Some("Acme")) >= 1);
    let got = within(5, c.buy_order(&order, deadline(3000)))
        .await
        .unwrap();
    assert!(got[0].service_uid().is_some());
    assert_eq!(sb.control().orders().len(), before + 1);
    assert_eq!(
        sb.control().requests(RouteGroup::Buy),
        2,
        "refused, then run"
    );
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let sb = start().await;
    let client = provider(&sb);
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let date = at
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap()
        .replace("+0000", "GMT");
    fault(
        &sb,
        RouteGroup::Products,
        FaultKind::Status {
            code: 503,
            retry_after: Some(date),
        },
        Some(1),
    );
    within(
        10,
        client.list_products::<megaport::models::Vxc>(None, deadline(6000)),
    )
    .await
    .unwrap();
    let arrivals = sb.control().arrivals(RouteGroup::Products);
    assert_eq!(arrivals.len(), 2);
    // Whole-second date resolution: at least 1 s must have passed.
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

/// What an exporter would be told: attempts by outcome, timings, retries, skipped records.
#[derive(Default)]
pub(crate) struct Observed {
    pub(crate) attempts: std::sync::Mutex<Vec<(megaport::Route, megaport::Outcome)>>,
    pub(crate) timings: std::sync::atomic::AtomicUsize,
    pub(crate) retries: std::sync::atomic::AtomicUsize,
    pub(crate) skipped: std::sync::atomic::AtomicU64,
    pub(crate) throttled: std::sync::Mutex<Vec<megaport::Priority>>,
}

impl megaport::RequestObserver for Observed {
    fn attempt(&self, route: megaport::Route, outcome: megaport::Outcome) {
        self.attempts.lock().unwrap().push((route, outcome));
    }
    fn latency(&self, _: megaport::Route, _: Duration) {
        self.timings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn retry(&self, _: megaport::Route) {
        self.retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn throttled(&self, _: megaport::Route, priority: megaport::Priority) {
        self.throttled.lock().unwrap().push(priority);
    }
    fn skipped(&self, _: megaport::Route, records: u64) {
        self.skipped
            .fetch_add(records, std::sync::atomic::Ordering::Relaxed);
    }
}

#[tokio::test]
async fn reads_retry_gateway_errors_then_give_up() {
    let sb = start().await;
    let client = provider(&sb);
    let observed = std::sync::Arc::new(Observed::default());
    client.metrics().observe_with(observed.clone());
    fault(&sb, RouteGroup::Product, status(502), Some(1));
    fault(&sb, RouteGroup::Product, status(504), Some(1));
    within(
        10,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(5000)),
    )
    .await
    .unwrap();
    assert_eq!(sb.control().requests(RouteGroup::Product), 3);
    let product_attempts: Vec<megaport::Outcome> = observed
        .attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|(route, _)| *route == megaport::Route::Product)
        .map(|(_, outcome)| *outcome)
        .collect();
    assert_eq!(
        product_attempts,
        [
            megaport::Outcome::ServerError,
            megaport::Outcome::ServerError,
            megaport::Outcome::Ok
        ],
        "the observer sees every attempt"
    );
    assert_eq!(
        observed.retries.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    assert!(
        observed.timings.load(std::sync::atomic::Ordering::Relaxed) >= 3,
        "each attempt is timed (the token's too)"
    );

    fault(&sb, RouteGroup::Locations, status(503), None);
    let err = within(10, client.list_locations(deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)), "{err:?}");
    assert_eq!(
        sb.control().requests(RouteGroup::Locations),
        4,
        "max_attempts of the default policy"
    );
    // A plain 500 is not retried.
    fault(&sb, RouteGroup::Product, status(500), Some(1));
    let err = within(
        5,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(5000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)));
    assert_eq!(sb.control().requests(RouteGroup::Product), 4);
}

#[tokio::test]
async fn every_request_is_bounded_by_the_callers_deadline() {
    let sb = start().await;
    let client = provider(&sb);
    within(
        5,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(2000)),
    )
    .await
    .unwrap();
    // Megaport takes 10 s, the caller allows 300 ms: only honouring the deadline ends the call
    // inside the 3 s guard.
    fault(
        &sb,
        RouteGroup::Product,
        FaultKind::Latency { ms: 10_000 },
        None,
    );
    let err = within(
        3,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(300)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::Timeout(_)), "{err:?}");
    // A deadline already passed sends nothing.
    let before = sb.control().requests(RouteGroup::Product);
    let err = client
        .get_product::<megaport::models::Vxc>(PROVIDER_PORT, Instant::now())
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Timeout(_)));
    assert_eq!(sb.control().requests(RouteGroup::Product), before);
}

#[tokio::test]
async fn an_order_that_times_out_after_sending_is_outcome_unknown() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let order = key_and_order(&p, &c, true).await;
    let before = sb.control().orders().len();
    fault(&sb, RouteGroup::Buy, FaultKind::HangAfterCommit, Some(1));
    let err = within(5, c.buy_order(&order, deadline(500)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sb.control().orders().len(), before + 1, "it was committed");
    assert_eq!(
        sb.control().requests(RouteGroup::Buy),
        1,
        "and not sent again"
    );
}

#[tokio::test]
async fn orders_are_never_retried_on_5xx_or_429() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let order = key_and_order(&p, &c, true).await;
    fault(&sb, RouteGroup::Buy, status(503), Some(1));
    let err = within(5, c.buy_order(&order, deadline(3000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    fault(
        &sb,
        RouteGroup::Buy,
        FaultKind::RateLimit {
            retry_after_seconds: 1,
        },
        Some(1),
    );
    let err = within(5, c.buy_order(&order, deadline(3000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::RateLimited { .. }), "{err:?}");
    assert_eq!(sb.control().requests(RouteGroup::Buy), 2);
    // The 429 paused the client's budget for its Retry-After.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Validate changes nothing, so it retries like a read.
    fault(&sb, RouteGroup::Validate, status(503), Some(1));
    let lines = within(5, c.validate_order(&order, deadline(3000)))
        .await
        .unwrap();
    let price = lines[0].price.as_ref().expect("a price");
    assert!(
        price.monthly_rate.is_some_and(|rate| rate > 0.0),
        "{price:?}"
    );
    assert_eq!(sb.control().requests(RouteGroup::Validate), 2);
}

#[tokio::test]
async fn an_order_that_provably_was_not_sent_may_be_retried() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let order = key_and_order(&p, &c, true).await;
    // Megaport's API host refuses connections; the token host works.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let mut config = config(&sb, "acme-sandbox", "acme-sandbox-secret");
    config.environment = Environment::sandbox(format!("http://{dead_addr}/"), sb.token_url());
    let client = MegaportClient::new(config).unwrap();
    let err = within(10, client.buy_order(&order, deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)), "{err:?}");
    assert_eq!(client.metrics().count(Route::Buy, Outcome::ConnectError), 4);
}

#[tokio::test]
async fn a_bad_api_key_is_unauthorized_with_megaports_reason() {
    let sb = start().await;
    let bad = MegaportClient::new(megaport::ClientConfig::new(
        Environment::sandbox(sb.base_url(), sb.token_url()),
        Credentials::new(PROVIDER_ID, "wrong"),
    ))
    .unwrap();
    let err = within(
        5,
        bad.list_products::<megaport::models::Vxc>(None, deadline(2000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::Unauthorized(_)), "{err:?}");
    assert!(
        err.message().contains("invalid_client"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn service_keys_vlans_and_vxcs_round_trip() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let d = || deadline(3000);
    let port = within(
        5,
        p.get_product::<megaport::models::Vxc>(PROVIDER_PORT, d()),
    )
    .await
    .unwrap();
    let taken = port
        .associated_vxcs
        .iter()
        .flat_map(|vxc| [&vxc.a_end, &vxc.b_end])
        .find(|end| end.product_uid.as_deref() == Some(PROVIDER_PORT))
        .and_then(|end| end.vlan)
        .expect("a vxc on the port has a vlan");
    assert!(
        !within(
            5,
            p.port_vlan_available(PROVIDER_PORT, u16::try_from(taken).expect("a vlan"), d())
        )
        .await
        .unwrap()
    );
    assert!(
        within(5, p.port_vlan_available(PROVIDER_PORT, 4001, d()))
            .await
            .unwrap()
    );

    let key = within(
        5,
        p.create_service_key(
            &CreateServiceKeyRequest {
                product_uid: PROVIDER_PORT.into(),
                single_use: true,
                max_speed: 500,
                vlan: Some(4001),
                active: true,
                pre_approved: Some(true),
                description: Some("onramp:req-1".into()),
                valid_for: None,
            },
            d(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(key.description.as_deref(), Some("onramp:req-1"));
    assert_eq!(key.max_speed, Some(500));
    let got = within(5, p.get_service_key(&key.key, d())).await.unwrap();
    assert_eq!(got.key, key.key);
    let listed = within(5, p.list_service_keys(Some(PROVIDER_PORT), d()))
        .await
        .unwrap();
    assert!(listed.iter().any(|listed| listed.key == key.key));
    let mut update = UpdateServiceKeyRequest::from_key(&got);
    update.active = false;
    let updated = within(5, p.update_service_key(&update, d())).await.unwrap();
    assert!(!updated.active);

    // A key that is not pre-approved: the VXC waits for the provider, who approves it.
    let order = key_and_order(&p, &c, false).await;
    let bought = within(5, c.buy_order(&order, d())).await.unwrap();
    let uid = bought[0].service_uid().expect("vxc uid").to_owned();
    let vxc = within(5, p.get_vxc(&uid, d())).await.unwrap();
    assert_eq!(vxc.rate_limit, Some(100));
    assert!(vxc.is_pending_approval());
    let approved = within(
        5,
        p.update_vxc(&uid, &UpdateVxcRequest::approval(true), d()),
    )
    .await
    .unwrap();
    assert!(
        !approved.is_pending_approval(),
        "{:?}",
        approved.vxc_approval
    );
}

#[tokio::test]
async fn no_retry_policy_makes_one_attempt() {
    let sb = start().await;
    let mut config = config(&sb, PROVIDER_ID, "quantumgpu-sandbox-secret");
    config.retry = RetryPolicy::none();
    let client = MegaportClient::new(config).unwrap();
    fault(&sb, RouteGroup::Products, status(503), Some(1));
    let err = within(
        5,
        client.list_products::<megaport::models::Vxc>(None, deadline(2000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)));
    assert_eq!(sb.control().requests(RouteGroup::Products), 1);
}

#[tokio::test]
async fn each_route_has_its_own_timeout_within_the_callers_deadline() {
    let sb = start().await;
    let client = MegaportClient::new(megaport::ClientConfig {
        timeouts: megaport::RouteTimeouts {
            default: Duration::from_secs(30),
            per_route: std::collections::HashMap::from([(
                Route::Product,
                Duration::from_millis(500),
            )]),
        },
        ..config(&sb, PROVIDER_ID, "quantumgpu-sandbox-secret")
    })
    .unwrap();
    fault(
        &sb,
        RouteGroup::Product,
        FaultKind::Latency { ms: 2000 },
        None,
    );
    fault(
        &sb,
        RouteGroup::Products,
        FaultKind::Latency { ms: 700 },
        None,
    );
    // The answer comes after 2 s and the caller allows 10 s: only the route's 500 ms can end the
    // call with a timeout.
    let err = within(
        10,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(10_000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::Timeout(_)), "{err:?}");
    // Another route keeps the default.
    within(
        10,
        client.list_products::<megaport::models::Vxc>(None, deadline(10_000)),
    )
    .await
    .expect("700 ms is within the default");
}

#[tokio::test]
async fn a_refused_update_leaves_the_services_update_window_free() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let d = || deadline(5000);
    let order = key_and_order(&p, &c, false).await;
    let bought = within(5, c.buy_order(&order, d())).await.unwrap();
    let uid = bought[0].service_uid().expect("vxc uid").to_owned();
    // Megaport refuses a vrouter config on a Port's end: nothing was updated ...
    let refused = UpdateVxcRequest {
        b_end_config: Some(
            serde_json::json!({"interfaces": [{"ipAddresses": ["169.254.1.1/30"]}]}),
        ),
        ..UpdateVxcRequest::default()
    };
    let error = within(5, p.update_vxc(&uid, &refused, d()))
        .await
        .expect_err("refused");
    assert!(matches!(error, MegaportError::Invalid(_)), "{error:?}");
    // ... so the approval right after is not held back by the 5-minute update rule ...
    within(
        5,
        p.update_vxc(&uid, &UpdateVxcRequest::approval(true), d()),
    )
    .await
    .expect("approved");
    // ... which still holds for an update that went through.
    let again = within(
        5,
        p.update_vxc(&uid, &UpdateVxcRequest::approval(true), d()),
    )
    .await
    .expect_err("too soon");
    assert!(
        matches!(again, MegaportError::UpdateTooSoon { .. }),
        "{again:?}"
    );
}
