//! The Megaport client against a scripted stand-in: tokens, retries, deadlines, never-twice
//! writes, error mapping.

use std::time::Duration;

use crate::fake::{Fault, PORT_LA1, Stub, VXC_UID, deadline, within};
use megaport::models::{
    CreateServiceKeyRequest, OrderEnd, UpdateServiceKeyRequest, UpdateVxcRequest, VxcOrderConfig,
    VxcOrderItem,
};
use megaport::{
    Credentials, Environment, MegaportClient, MegaportError, Outcome, RetryPolicy, Route,
};
use tokio::time::Instant;

fn order() -> Vec<VxcOrderItem> {
    vec![VxcOrderItem {
        product_uid: "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a".into(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: "cust-42 to QuantumGPU".into(),
            rate_limit: 100,
            term: 12,
            service_key: Some("106e38ae-eb59-415f-ac81-526a5299851d".into()),
            a_end: OrderEnd {
                vlan: Some(2),
                ..OrderEnd::default()
            },
            b_end: OrderEnd {
                product_uid: Some(PORT_LA1.into()),
                ..OrderEnd::default()
            },
            ..VxcOrderConfig::default()
        }],
    }]
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let stub = Stub::start().await;
    stub.set_latency("token", Duration::from_millis(100));
    let client = stub.client();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_product(PORT_LA1, deadline(5000)).await
        }));
    }
    for t in tasks {
        within(10, t).await.unwrap().unwrap();
    }
    assert_eq!(stub.count("token"), 1);
    assert_eq!(client.metrics().count(Route::Token, Outcome::Ok), 1);
    assert_eq!(client.metrics().count(Route::Product, Outcome::Ok), 50);
}

#[tokio::test]
async fn token_expiring_mid_run_is_invisible() {
    let stub = Stub::start().await;
    let client = stub.client();
    for i in 0..20 {
        if i == 7 || i == 13 {
            stub.expire_tokens();
        }
        let products = within(5, client.list_products(None, deadline(3000)))
            .await
            .unwrap();
        assert_eq!(products.len(), 2, "the undecodable MCR item is skipped");
    }
    assert_eq!(stub.count("token"), 3);
    assert_eq!(
        client
            .metrics()
            .count(Route::Products, Outcome::Unauthorized),
        2
    );
    assert_eq!(client.metrics().count(Route::Products, Outcome::Ok), 20);
}

#[tokio::test]
async fn a_write_is_resent_once_after_a_401_because_it_never_ran() {
    let stub = Stub::start().await;
    let client = stub.client();
    within(5, client.list_products(None, deadline(3000)))
        .await
        .unwrap();
    stub.expire_tokens();
    let got = within(5, client.buy_order(&order(), deadline(3000)))
        .await
        .unwrap();
    assert_eq!(got[0].service_uid(), Some(VXC_UID));
    assert_eq!(stub.ledger_len(), 1);
    assert_eq!(stub.count("buy"), 2);
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_ahead_of_expiry() {
    let stub = Stub::start().await;
    // 2 s tokens: refreshed after 1.8 s (10 % margin), never used once expired.
    stub.set_token_ttl(2);
    let client = stub.client();
    within(5, client.list_locations(deadline(1000)))
        .await
        .unwrap();
    within(5, client.get_product(PORT_LA1, deadline(1000)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1900)).await;
    within(5, client.get_product(PORT_LA1, deadline(1000)))
        .await
        .unwrap();
    assert_eq!(stub.count("token"), 2);
    assert_eq!(
        client
            .metrics()
            .count(Route::Product, Outcome::Unauthorized),
        0
    );
    assert_eq!(
        stub.count("locations"),
        1,
        "locations are public: no token needed"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_for_reads() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.push_fault("products", Fault::Status(429, Some("1".into())));
    within(10, client.list_products(None, deadline(5000)))
        .await
        .unwrap();
    let arrivals = stub.arrivals("products");
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert_eq!(
        client
            .metrics()
            .count(Route::Products, Outcome::RateLimited),
        1
    );
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let stub = Stub::start().await;
    let client = stub.client();
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let date = at
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap()
        .replace("+0000", "GMT");
    stub.push_fault("products", Fault::Status(503, Some(date)));
    within(10, client.list_products(None, deadline(6000)))
        .await
        .unwrap();
    let arrivals = stub.arrivals("products");
    assert_eq!(arrivals.len(), 2);
    // Whole-second date resolution: at least 1 s must have passed.
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_fails_fast() {
    let stub = Stub::start().await;
    let client = stub.client();
    // Megaport asks for 120 s, the caller allows 60 s: failing at once is the only answer that
    // fits. Sleeping until the deadline would trip the 5 s guard long before it.
    stub.push_fault("products", Fault::Status(429, Some("120".into())));
    let err = within(5, client.list_products(None, deadline(60_000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(stub.count("products"), 1);
}

#[tokio::test]
async fn reads_retry_gateway_errors_then_give_up() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.push_fault("product", Fault::Status(502, None));
    stub.push_fault("product", Fault::Status(504, None));
    within(10, client.get_product(PORT_LA1, deadline(5000)))
        .await
        .unwrap();
    assert_eq!(stub.count("product"), 3);

    stub.set_down("locations", true);
    let err = within(10, client.list_locations(deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)), "{err:?}");
    assert_eq!(
        stub.count("locations"),
        4,
        "max_attempts of the default policy"
    );
    // A plain 500 is not retried.
    stub.push_fault("product", Fault::Status(500, None));
    let err = within(5, client.get_product(PORT_LA1, deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)));
    assert_eq!(stub.count("product"), 4);
}

#[tokio::test]
async fn every_request_is_bounded_by_the_callers_deadline() {
    let stub = Stub::start().await;
    let client = stub.client();
    within(5, client.get_product(PORT_LA1, deadline(2000)))
        .await
        .unwrap();
    stub.set_latency("product", Duration::from_secs(3));
    let started = Instant::now();
    let err = within(5, client.get_product(PORT_LA1, deadline(300)))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, MegaportError::Timeout(_)), "{err:?}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // A deadline already passed sends nothing.
    let before = stub.count("product");
    let err = client
        .get_product(PORT_LA1, Instant::now())
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Timeout(_)));
    assert_eq!(stub.count("product"), before);
}

#[tokio::test]
async fn an_order_whose_response_is_dropped_is_outcome_unknown_and_not_resent() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.push_fault("buy", Fault::DropAfterCommit);
    let err = within(10, client.buy_order(&order(), deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    // Give a (wrong) retry every chance to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stub.ledger_len(), 1);
    assert_eq!(stub.count("buy"), 1);
    assert_eq!(client.metrics().total(Route::Buy), 1);
}

#[tokio::test]
async fn an_order_that_times_out_after_sending_is_outcome_unknown() {
    let stub = Stub::start().await;
    let client = stub.client();
    within(5, client.list_products(None, deadline(2000)))
        .await
        .unwrap();
    stub.push_fault("buy", Fault::HangAfterCommit);
    let err = within(5, client.buy_order(&order(), deadline(500)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stub.ledger_len(), 1);
    assert_eq!(stub.count("buy"), 1);
}

#[tokio::test]
async fn orders_are_never_retried_on_5xx_or_429() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.push_fault("buy", Fault::Status(503, None));
    let err = within(5, client.buy_order(&order(), deadline(3000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    stub.push_fault("buy", Fault::Status(429, Some("1".into())));
    let err = within(5, client.buy_order(&order(), deadline(3000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::RateLimited { .. }), "{err:?}");
    assert_eq!(stub.count("buy"), 2);
    // Validate changes nothing, so it retries like a read.
    stub.push_fault("validate", Fault::Status(503, None));
    let lines = within(5, client.validate_order(&order(), deadline(3000)))
        .await
        .unwrap();
    assert_eq!(lines[0].price.as_ref().unwrap().monthly_rate, Some(145.0));
    assert_eq!(stub.count("validate"), 2);
}

#[tokio::test]
async fn an_order_that_provably_was_not_sent_may_be_retried() {
    let stub = Stub::start().await;
    // Megaport's API host refuses connections; the token host works.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let mut config = stub.client_config();
    config.environment =
        Environment::sandbox(format!("http://{dead_addr}/"), stub.token_url.clone());
    let client = MegaportClient::new(config).unwrap();
    let err = within(10, client.buy_order(&order(), deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)), "{err:?}");
    assert_eq!(client.metrics().count(Route::Buy, Outcome::ConnectError), 4);
}

#[tokio::test]
async fn errors_carry_megaports_message_and_trace_id() {
    let stub = Stub::start().await;
    let client = stub.client();
    let err = within(
        5,
        client.get_product("7fba50bb-0000-0000-0000-000000000000", deadline(2000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::NotFound(_)), "{err:?}");
    assert!(err.message().contains("Could not find a service with UID"));
    assert_eq!(err.trace_id(), Some("stub-trace-1"));

    let bad = MegaportClient::new(megaport::ClientConfig::new(
        Environment::sandbox(stub.base_url.clone(), stub.token_url.clone()),
        Credentials::new("acme-sandbox", "wrong"),
    ))
    .unwrap();
    let err = within(5, bad.list_products(None, deadline(2000)))
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
    let stub = Stub::start().await;
    let client = stub.client();
    let d = || deadline(3000);
    let key = within(
        5,
        client.create_service_key(
            &CreateServiceKeyRequest {
                product_uid: PORT_LA1.into(),
                single_use: true,
                max_speed: 500,
                vlan: Some(100),
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
    let got = within(5, client.get_service_key(&key.key, d()))
        .await
        .unwrap();
    assert_eq!(got.key, key.key);
    let listed = within(5, client.list_service_keys(Some(PORT_LA1), d()))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let mut update = UpdateServiceKeyRequest::from_key(&got);
    update.active = false;
    let updated = within(5, client.update_service_key(&update, d()))
        .await
        .unwrap();
    assert!(!updated.active);
    assert!(
        !within(5, client.port_vlan_available(PORT_LA1, 100, d()))
            .await
            .unwrap()
    );
    assert!(
        within(5, client.port_vlan_available(PORT_LA1, 101, d()))
            .await
            .unwrap()
    );
    let vxc = within(5, client.get_vxc(VXC_UID, d())).await.unwrap();
    assert_eq!(vxc.rate_limit, Some(100));
    let approved = within(
        5,
        client.update_vxc(VXC_UID, &UpdateVxcRequest::approval(true), d()),
    )
    .await
    .unwrap();
    assert_eq!(
        approved.vxc_approval.unwrap().status.as_deref(),
        Some("APPROVED")
    );
}

#[tokio::test]
async fn no_retry_policy_makes_one_attempt() {
    let stub = Stub::start().await;
    let mut config = stub.client_config();
    config.retry = RetryPolicy::none();
    let client = MegaportClient::new(config).unwrap();
    stub.push_fault("products", Fault::Status(503, None));
    let err = within(5, client.list_products(None, deadline(2000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::Unavailable(_)));
    assert_eq!(stub.count("products"), 1);
}
