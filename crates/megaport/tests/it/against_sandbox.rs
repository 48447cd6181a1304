//! The Megaport client against the real sandbox: token expiry, Retry-After, lost order
//! responses, error mapping, and the key-to-VXC flow.

use std::time::Duration;

use crate::sandbox_support::{
    customer, deadline, key_and_order, provider, start, start_with, within,
};
use megaport::models::ResourceTag;
use megaport::{MegaportError, Outcome, Route};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig};
use tokio::time::Instant;

#[tokio::test]
async fn a_token_that_expires_mid_run_is_invisible() {
    let sb = start().await;
    let client = provider(&sb);
    for i in 0..30 {
        if i == 10 {
            assert!(sb.control().expire_tokens(None) >= 1);
        }
        if i == 20 {
            // The sandbox clock jumps past the token's 24 h lifetime; our clock does not.
            sb.control().advance_clock(Duration::from_secs(25 * 3600));
        }
        let ports = within(
            5,
            client.list_products::<megaport::models::Vxc>(None, deadline(3000)),
        )
        .await
        .unwrap();
        assert!(!ports.is_empty());
    }
    let m = client.metrics();
    assert_eq!(m.count(Route::Token, Outcome::Ok), 3);
    assert_eq!(m.count(Route::Products, Outcome::Unauthorized), 2);
    assert_eq!(m.count(Route::Products, Outcome::Ok), 30);
}

#[tokio::test]
async fn short_lived_tokens_refresh_ahead_of_expiry() {
    let sb = start_with(SandboxConfig {
        token_lifetime: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await;
    let client = provider(&sb);
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(4500) {
        within(
            5,
            client.list_products::<megaport::models::Vxc>(None, deadline(3000)),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let m = client.metrics();
    assert!(m.count(Route::Token, Outcome::Ok) >= 3);
    assert_eq!(
        m.count(Route::Products, Outcome::Unauthorized),
        0,
        "refreshed before expiry"
    );
}

#[tokio::test]
async fn a_429_is_not_retried_before_its_retry_after() {
    let sb = start().await;
    let client = provider(&sb);
    within(
        5,
        client.list_products::<megaport::models::Vxc>(None, deadline(3000)),
    )
    .await
    .unwrap();
    sb.control()
        .inject_fault(
            Fault::new(
                RouteGroup::Products,
                FaultKind::RateLimit {
                    retry_after_seconds: 1,
                },
            )
            .with_count(1),
        )
        .unwrap();
    let started = Instant::now();
    within(
        10,
        client.list_products::<megaport::models::Vxc>(None, deadline(5000)),
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "retried after {took:?}");
    let m = client.metrics();
    assert_eq!(m.count(Route::Products, Outcome::RateLimited), 1);
    assert_eq!(m.count(Route::Products, Outcome::Ok), 2);
    eprintln!("429 with Retry-After: 1 answered after {took:?}");

    // A Retry-After past the caller's deadline ends the call at once.
    sb.control()
        .inject_fault(
            Fault::new(
                RouteGroup::Products,
                FaultKind::RateLimit {
                    retry_after_seconds: 120,
                },
            )
            .with_count(1),
        )
        .unwrap();
    // 120 s asked, 60 s allowed: fail at once (sleeping to the deadline would trip the guard).
    let err = within(
        5,
        client.list_products::<megaport::models::Vxc>(None, deadline(60_000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn an_order_whose_response_is_dropped_is_outcome_unknown_and_sent_once() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let order = key_and_order(&p, &c, true).await;
    let before = sb.control().orders().len();
    sb.control()
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropAfterCommit).with_count(1))
        .unwrap();
    let err = within(10, c.buy_order(&order, deadline(5000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sb.control().orders().len(),
        before + 1,
        "the sandbox ledger holds exactly one order"
    );
    assert_eq!(
        c.metrics().total(Route::Buy),
        1,
        "the order was not sent again"
    );
}

#[tokio::test]
async fn an_order_goes_through_once_and_rejected_orders_change_nothing() {
    let sb = start().await;
    let (p, c) = (provider(&sb), customer(&sb));
    let mut order = key_and_order(&p, &c, true).await;
    order[0].associated_vxcs[0].resource_tags = vec![ResourceTag {
        key: "onramp-request-id".into(),
        value: "req-42".into(),
    }];
    let lines = within(5, c.validate_order(&order, deadline(3000)))
        .await
        .unwrap();
    assert!(!lines.is_empty());
    let before = sb.control().orders().len();
    // 503 before anything is done: still outcome unknown to a client, and not re-sent.
    sb.control()
        .inject_fault(
            Fault::new(
                RouteGroup::Buy,
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .with_count(1),
        )
        .unwrap();
    let err = within(5, c.buy_order(&order, deadline(3000)))
        .await
        .unwrap_err();
    assert!(matches!(err, MegaportError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(sb.control().orders().len(), before);
    let done = within(5, c.buy_order(&order, deadline(3000)))
        .await
        .unwrap();
    let uid = done[0].service_uid().expect("a vxc uid").to_owned();
    assert_eq!(sb.control().orders().len(), before + 1);
    let vxc = within(5, c.get_vxc(&uid, deadline(3000))).await.unwrap();
    assert_eq!(vxc.rate_limit, Some(100));
    assert_eq!(c.metrics().total(Route::Buy), 2);
    // The stamped request id is how an unknown outcome is reconciled.
    let tags = within(5, c.get_product_tags(&uid, deadline(3000)))
        .await
        .unwrap();
    assert!(
        tags.iter()
            .any(|t| t.key == "onramp-request-id" && t.value == "req-42"),
        "{tags:?}"
    );
}

#[tokio::test]
async fn unknown_products_are_not_found_and_others_products_are_forbidden() {
    let sb = start().await;
    let client = provider(&sb);
    let unknown = uuid::Uuid::new_v4().to_string();
    let err = within(
        5,
        client.get_product::<megaport::models::Vxc>(&unknown, deadline(3000)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MegaportError::NotFound(_)), "{err:?}");
    assert!(!err.message().is_empty());
    assert!(err.trace_id().is_some());
    // Someone else's Port: 403, which stays distinguishable from a rejected token.
    let theirs = within(
        5,
        customer(&sb).list_products::<megaport::models::Vxc>(Some("LIVE"), deadline(3000)),
    )
    .await
    .unwrap();
    let err = within(
        5,
        client.get_product::<megaport::models::Vxc>(&theirs[0].product_uid, deadline(3000)),
    )
    .await
    .unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
}

/// Megaport's monthly median round trips: last month's for Equinix LA1 (59) to every other
/// location with coordinates, near for CoreSite LA1 (60) and far for London (42); nothing yet
/// for the current month, as Megaport publishes a month after it ends; and a month out of
/// range refused.
#[tokio::test]
async fn location_rtt_has_last_months_medians_and_none_for_this_month() {
    let sb = start().await;
    let client = provider(&sb);
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(sb.control().now_ms()) * 1_000_000,
    )
    .expect("sandbox clock");
    let this_month = (now.year(), u8::from(now.month()));
    let last_month = if this_month.1 == 1 {
        (this_month.0 - 1, 12)
    } else {
        (this_month.0, this_month.1 - 1)
    };
    let rtt = |(year, month): (i32, u8)| client.location_rtt(59, year, month, deadline(3000));
    let rows = within(5, rtt(last_month)).await.unwrap();
    let to = |location: i64| {
        rows.iter()
            .find(|row| row.dst_location == Some(location))
            .map(|row| row.median_rtt_ms)
            .unwrap_or_else(|| panic!("a row to {location}: {rows:?}"))
    };
    assert!(rows.iter().all(|row| row.src_location == Some(59)));
    assert!(to(60) < 1.0, "{}", to(60));
    assert!(to(42) > 100.0, "{}", to(42));
    assert!(within(5, rtt(this_month)).await.unwrap().is_empty());
    let error = within(5, rtt((this_month.0, 13))).await.unwrap_err();
    assert!(matches!(error, MegaportError::Invalid(_)), "{error:?}");
}
