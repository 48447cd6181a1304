//! 2xx answers the client cannot use as they are, from the sandbox's body faults: each is an
//! upstream fault with its own error, named without quoting the body; reads retry it like a 5xx,
//! writes never; a body past the limit is refused as it arrives; a slow body ends at the
//! caller's deadline.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::client::{Observed, PROVIDER_PORT, fault};
use crate::sandbox_support::{
    PROVIDER_ID, PROVIDER_SECRET, config, deadline, provider, start, within,
};
use megaport::models::CreateServiceKeyRequest;
use megaport::{MegaportClient, MegaportError, Outcome, Route};
use megaport_sandbox::{FaultKind, RouteGroup};
use tokio::time::Instant;

fn malformed_message(error: MegaportError) -> String {
    match error {
        MegaportError::MalformedResponse(detail) => detail.message,
        other => panic!("expected a malformed response, got {other:?}"),
    }
}

#[tokio::test]
async fn a_cut_off_read_is_retried_like_a_5xx() {
    let sb = start().await;
    let client = provider(&sb);
    fault(&sb, RouteGroup::Products, FaultKind::TruncatedBody, Some(1));
    let products = within(
        10,
        client.list_products::<megaport::models::Vxc>(None, deadline(5000)),
    )
    .await
    .expect("the retry reads it whole");
    assert!(!products.is_empty());
    assert_eq!(sb.control().requests(RouteGroup::Products), 2);
    assert_eq!(
        client.metrics().count(Route::Products, Outcome::Malformed),
        1
    );
    assert_eq!(client.metrics().count(Route::Products, Outcome::Ok), 1);
}

#[tokio::test]
async fn each_undecodable_body_is_named_after_the_retries() {
    let cases = [
        (
            FaultKind::TruncatedBody,
            "megaport products response is cut off",
        ),
        (FaultKind::NotJson, "megaport products response is not JSON"),
        (
            FaultKind::DeepJson { depth: 100_000 },
            "megaport products response is nested too deeply",
        ),
    ];
    for (kind, expected) in cases {
        let sb = start().await;
        let client = provider(&sb);
        fault(&sb, RouteGroup::Products, kind.clone(), None);
        let error = within(
            10,
            client.list_products::<megaport::models::Vxc>(None, deadline(5000)),
        )
        .await
        .expect_err("never readable");
        let message = malformed_message(error);
        assert!(message.starts_with(expected), "{kind:?}: {message}");
        assert!(
            !message.contains("html") && !message.contains("[["),
            "{message}"
        );
        assert_eq!(
            sb.control().requests(RouteGroup::Products),
            4,
            "{kind:?}: every attempt of the retry policy"
        );
    }
}

#[tokio::test]
async fn records_of_the_wrong_types_are_left_out_and_counted() {
    let sb = start().await;
    let client = provider(&sb);
    let observed = Arc::new(Observed::default());
    client.metrics().observe_with(observed.clone());
    let whole = within(
        5,
        client.list_products::<megaport::models::Vxc>(None, deadline(3000)),
    )
    .await
    .expect("products");
    assert_eq!(whole.skipped, 0);
    fault(&sb, RouteGroup::Products, FaultKind::WrongTypes, Some(1));
    let broken = within(
        5,
        client.list_products::<megaport::models::Vxc>(None, deadline(3000)),
    )
    .await
    .expect("the envelope is fine; its records are not");
    assert!(broken.is_empty());
    assert_eq!(broken.skipped as usize, whole.len());
    assert_eq!(
        client.metrics().skipped(Route::Products),
        whole.len() as u64
    );
    assert_eq!(
        observed.skipped.load(Ordering::Relaxed),
        whole.len() as u64,
        "the exporter is told"
    );
}

#[tokio::test]
async fn a_body_past_the_limit_is_refused_once_without_a_retry() {
    let sb = start().await;
    let client = MegaportClient::new(megaport::ClientConfig {
        max_response_bytes: 1024 * 1024,
        ..config(&sb, PROVIDER_ID, PROVIDER_SECRET)
    })
    .expect("client");
    fault(
        &sb,
        RouteGroup::Products,
        FaultKind::OversizedBody { bytes: 20 << 20 },
        None,
    );
    let error = within(
        10,
        client.list_products::<megaport::models::Vxc>(None, deadline(5000)),
    )
    .await
    .expect_err("too long");
    let MegaportError::ResponseTooLarge(detail) = error else {
        panic!("expected too large, got {error:?}");
    };
    assert_eq!(
        detail.message,
        "megaport products response is longer than the 1 MiB limit (megaport.max_response_bytes)"
    );
    assert_eq!(sb.control().requests(RouteGroup::Products), 1);
    assert_eq!(
        client.metrics().count(Route::Products, Outcome::TooLarge),
        1
    );
}

#[tokio::test]
async fn a_trickling_body_ends_at_the_callers_deadline() {
    let sb = start().await;
    let client = provider(&sb);
    fault(
        &sb,
        RouteGroup::Product,
        FaultKind::SlowBody {
            interval_ms: 30_000,
        },
        None,
    );
    // The body's next bytes come after 30 s: a call that waited for them instead of ending at
    // its 1.5 s deadline would outlast `within`'s 10 s.
    let started = Instant::now();
    let error = within(
        10,
        client.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(1500)),
    )
    .await
    .expect_err("never finishes");
    let took = started.elapsed();
    assert!(matches!(error, MegaportError::Timeout(_)), "{error:?}");
    assert!(
        took >= Duration::from_millis(1400),
        "ended at the deadline, not before: {took:?}"
    );
}

#[tokio::test]
async fn a_write_whose_answer_does_not_decode_has_an_unknown_outcome() {
    let sb = start().await;
    let client = provider(&sb);
    fault(
        &sb,
        RouteGroup::ServiceKey,
        FaultKind::TruncatedBody,
        Some(1),
    );
    let request = CreateServiceKeyRequest {
        product_uid: PROVIDER_PORT.to_owned(),
        single_use: true,
        max_speed: 1000,
        active: true,
        ..CreateServiceKeyRequest::default()
    };
    let error = within(5, client.create_service_key(&request, deadline(3000)))
        .await
        .expect_err("unreadable");
    assert!(
        matches!(error, MegaportError::OutcomeUnknown(_)),
        "{error:?}"
    );
    assert!(error.message().contains("cut off"), "{}", error.message());
    assert_eq!(
        sb.control().requests(RouteGroup::ServiceKey),
        1,
        "never sent twice"
    );
}
