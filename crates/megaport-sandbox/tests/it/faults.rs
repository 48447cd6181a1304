//! Each fault kind happening: latency, 5xx, 429 with Retry-After, the connection closed before
//! anything is done, closed after the order was committed, probability from the seeded RNG,
//! count limits, and the HTTP control endpoints that set them.

use std::time::{Duration, Instant};

use crate::support::*;
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig};
use reqwest::StatusCode;
use serde_json::json;

/// Sends a raw request and returns the transport outcome (not a status).
async fn send_raw(req: reqwest::RequestBuilder) -> Result<reqwest::Response, reqwest::Error> {
    tokio::time::timeout(T, req.send()).await.expect("no hang")
}

#[tokio::test]
async fn latency_delays_the_response() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    sb.control()
        .inject_fault(Fault::new(
            RouteGroup::Products,
            FaultKind::Latency { ms: 300 },
        ))
        .unwrap();
    let t0 = Instant::now();
    let (s, _) = get(&sb, "v2/products", &q).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(sb.control().faults()[0].fired, 1);
    // Other groups are not delayed: the fault does not fire for them.
    let (s, _, _) = call(&sb, reqwest::Method::GET, "v3/locations", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        sb.control().faults()[0].fired,
        1,
        "locations were not delayed"
    );
}

#[tokio::test]
async fn status_fault_answers_5xx_for_count_requests_then_recovers() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    sb.control()
        .inject_fault(
            Fault::new(
                RouteGroup::Product,
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .with_count(2),
        )
        .unwrap();
    for _ in 0..2 {
        let (s, h, v) = call(
            &sb,
            reqwest::Method::GET,
            &format!("v2/product/{EQUINIX_LA1}"),
            Some(&q),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("Service Unavailable"),
            "{v}"
        );
        assert!(h.get("trace-id").is_some());
    }
    let (s, _) = get(&sb, &format!("v2/product/{EQUINIX_LA1}"), &q).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sb.control().faults()[0].fired, 2);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    sb.control()
        .inject_fault(Fault::new(
            RouteGroup::ServiceKey,
            FaultKind::RateLimit {
                retry_after_seconds: 7,
            },
        ))
        .unwrap();
    let (s, h, v) = call(&sb, reqwest::Method::GET, "v2/service/key", Some(&q), None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(h.get("retry-after").unwrap(), "7");
    // Nothing was created while limited.
    let (s, _) = post(
        &sb,
        "v2/service/key",
        &q,
        json!({"productUid": LON1, "singleUse": false}),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    sb.control().clear_faults();
    let (s, v) = get(&sb, "v2/service/key", &q).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn drop_before_commit_closes_the_connection_and_does_nothing() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 170, "preApproved": true}),
    )
    .await;
    sb.control()
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropBeforeCommit).with_count(1))
        .unwrap();
    let res = send_raw(
        client()
            .post(format!("{}v3/networkdesign/buy", sb.base_url()))
            .bearer_auth(&acme)
            .json(&order(ACME_PORT, Some(&key), None, 100, None)),
    )
    .await;
    let err = res.expect_err("a transport error, not an HTTP status");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(sb.control().orders().is_empty());
    let (_, k) = get(&sb, &format!("v2/service/key?key={key}"), &q).await;
    assert_eq!(
        k["data"]["lastUsed"],
        serde_json::Value::Null,
        "key not consumed"
    );
    // The retry goes through (count was 1).
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(sb.control().orders().len(), 1);
}

#[tokio::test]
async fn reset_fault_closes_a_read() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    sb.control()
        .inject_fault(Fault::new(RouteGroup::Products, FaultKind::Reset).with_count(1))
        .unwrap();
    let res = send_raw(
        client()
            .get(format!("{}v2/products", sb.base_url()))
            .bearer_auth(&q),
    )
    .await;
    assert!(res.is_err(), "{res:?}");
    let (s, _) = get(&sb, "v2/products", &q).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn drop_after_commit_loses_the_response_but_the_order_exists() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": CORESITE_LA1, "singleUse": true, "vlan": 260, "preApproved": true}),
    )
    .await;
    sb.control()
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropAfterCommit).with_count(1))
        .unwrap();
    let mut body = order(ACME_PORT, Some(&key), None, 100, None);
    body[0]["associatedVxcs"][0]["resourceTags"] =
        json!([{"key": "onramp-request-id", "value": "r-77"}]);
    let res = send_raw(
        client()
            .post(format!("{}v4/networkdesign/buy", sb.base_url()))
            .bearer_auth(&acme)
            .json(&json!({"networkDesign": body, "discountCodes": []})),
    )
    .await;
    assert!(res.is_err(), "no response: {res:?}");
    // Committed: the ledger, the consumed key and the Port all show it.
    let orders = sb.control().orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].resource_tags[0]["value"], "r-77");
    let vxc = orders[0].vxc_uid.clone();
    let (_, port) = get(&sb, &format!("v2/product/{CORESITE_LA1}"), &q).await;
    let on_port = port["data"]["associatedVxcs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["productUid"] == vxc)
        .cloned()
        .unwrap();
    assert_eq!(on_port["rateLimit"], 100);
    // Like Megaport, tags are not in the product body but at /v2/product/{uid}/tags.
    assert!(on_port.get("resourceTags").is_none());
    let (s, tags) = get(&sb, &format!("v2/product/{vxc}/tags"), &acme).await;
    assert_eq!(s, StatusCode::OK, "{tags}");
    assert_eq!(
        tags["data"]["resourceTags"],
        json!([{"key": "onramp-request-id", "value": "r-77"}])
    );
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a blind retry is refused: {v}");
}

#[tokio::test]
async fn probability_is_reproducible_for_a_given_rng_seed() {
    async fn run(seed: u64) -> Vec<bool> {
        let sb = start_with(SandboxConfig {
            rng_seed: seed,
            ..fast_config()
        })
        .await;
        sb.control()
            .inject_fault(
                Fault::new(
                    RouteGroup::Locations,
                    FaultKind::Status {
                        code: 502,
                        retry_after: None,
                    },
                )
                .with_probability(0.5),
            )
            .unwrap();
        let mut out = Vec::new();
        for _ in 0..30 {
            let (s, _, _) = call(&sb, reqwest::Method::GET, "v3/locations", None, None).await;
            out.push(s == StatusCode::BAD_GATEWAY);
        }
        out
    }
    let a = run(99).await;
    assert_eq!(a, run(99).await);
    let hits = a.iter().filter(|h| **h).count();
    assert!(hits > 3 && hits < 27, "about half: {hits}");
}

#[tokio::test]
async fn faults_over_http_control_endpoints_and_wildcard() {
    let sb = start().await;
    let http = client();
    let url = format!("{}_sandbox/faults", sb.base_url());
    let r = tokio::time::timeout(
        T,
        http.post(&url)
            .json(&json!([
                {"route": "*", "kind": "status", "code": 500, "count": 1},
                {"route": "token", "kind": "latency", "ms": 1}
            ]))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ids: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 2);
    // The wildcard hits a Megaport route but never the control routes.
    let (s, _, _) = call(&sb, reqwest::Method::GET, "_sandbox/faults", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&sb, reqwest::Method::GET, "v3/locations", None, None).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let (_, _, list) = call(&sb, reqwest::Method::GET, "_sandbox/faults", None, None).await;
    assert_eq!(list["faults"][0]["fired"], 1);
    // Bad fault specs are refused.
    let r = tokio::time::timeout(
        T,
        http.post(&url)
            .json(&json!({"route": "buy", "kind": "status", "code": 200}))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = tokio::time::timeout(
        T,
        http.post(&url)
            .json(&json!({"route": "nowhere", "kind": "reset"}))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = tokio::time::timeout(T, http.delete(&url).send())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(sb.control().faults().is_empty());
    // A fault on the token route.
    sb.control()
        .inject_fault(
            Fault::new(
                RouteGroup::Token,
                FaultKind::Status {
                    code: 502,
                    retry_after: None,
                },
            )
            .with_count(1),
        )
        .unwrap();
    let r = send_raw(
        http.post(sb.token_url())
            .query(&[("grant_type", "client_credentials")])
            .basic_auth(QGPU_ID, Some(QGPU_SECRET)),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
}
