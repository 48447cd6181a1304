//! Megaport's request limits as the sandbox enforces them: per client over a rolling window,
//! one update per service, 429 with Retry-After past either, and switchable at run time.

use std::time::Duration;

use megaport_sandbox::{RateWindow, SandboxConfig, SandboxLimits};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

fn limited(requests: u32, window: Duration) -> SandboxConfig {
    SandboxConfig {
        limits: SandboxLimits {
            per_client: Some(RateWindow { requests, window }),
            ..SandboxLimits::default()
        },
        ..fast_config()
    }
}

#[tokio::test]
async fn past_the_request_limit_every_route_answers_429_until_the_window_moves() {
    let sb = start_with(limited(5, Duration::from_secs(2))).await;
    let tok = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let tok2 = token(&sb, ACME_ID, ACME_SECRET).await;
    for _ in 0..5 {
        let (s, _) = get(&sb, "v2/products", &tok).await;
        assert_eq!(s, StatusCode::OK, "tokens are not counted");
    }
    // Per source IP, not per account: the other company shares the budget.
    let (s, headers, body) = call(&sb, Method::GET, "v3/locations", Some(&tok2), None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "retry after {wait}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Too many requests")
    );
    assert_eq!(sb.control().refused_by_limits(), 1);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (s, _) = get(&sb, "v2/products", &tok).await;
    assert_eq!(s, StatusCode::OK, "admitted once the window moved");

    sb.control().set_limits(SandboxLimits::off());
    for _ in 0..20 {
        let (s, _) = get(&sb, "v2/products", &tok).await;
        assert_eq!(s, StatusCode::OK);
    }
}

#[tokio::test]
async fn one_update_per_service_key_per_five_minutes() {
    let sb = start().await;
    let tok = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let key = make_key(
        &sb,
        &tok,
        json!({"productUid": CORESITE_LA1, "singleUse": false, "maxSpeed": 100, "active": true}),
    )
    .await;
    let update = json!({"key": key, "productUid": CORESITE_LA1, "singleUse": false,
        "maxSpeed": 200, "active": true});
    let (s, v) = put(&sb, "v2/service/key", &tok, update.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, headers, v) = call(&sb, Method::PUT, "v2/service/key", Some(&tok), Some(update)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((299..=300).contains(&wait), "retry after {wait}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("updated too recently"),
        "{v}"
    );
}

#[tokio::test]
async fn limits_are_read_and_set_over_http() {
    let sb = start().await;
    let url = format!("{}_sandbox/limits", sb.base_url());
    let current: serde_json::Value = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        current["per_client"],
        json!({"requests": 500, "window_seconds": 300})
    );
    assert_eq!(
        current["per_service_update"],
        json!({"requests": 1, "window_seconds": 300})
    );
    let set: serde_json::Value = client()
        .post(&url)
        .json(&json!({"per_client": {"requests": 50, "window_seconds": 30}, "per_service_update": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        set["per_client"],
        json!({"requests": 50, "window_seconds": 30})
    );
    assert_eq!(set["per_service_update"], serde_json::Value::Null);
    let refused = client()
        .post(&url)
        .json(&json!({"per_client": {"requests": 0, "window_seconds": 30}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}
