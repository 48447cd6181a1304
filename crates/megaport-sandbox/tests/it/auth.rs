//! The token endpoint, bearer checks, token expiry (lifetime, clock, control) and ownership.

use std::time::Duration;

use crate::support::*;
use megaport_sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn token_resp(
    sb: &megaport_sandbox::SandboxHandle,
    req: reqwest::RequestBuilder,
) -> (StatusCode, Value) {
    let _ = sb;
    let r = tokio::time::timeout(T, req.send()).await.unwrap().unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_endpoint_answers_like_the_token_service() {
    let sb = start().await;
    let c = client();
    let url = sb.token_url();
    let grant = [("grant_type", "client_credentials")];
    let (s, v) = token_resp(
        &sb,
        c.post(&url)
            .query(&grant)
            .basic_auth(QGPU_ID, Some("wrong")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v, json!({"error": "invalid_client"}));
    let (s, v) = token_resp(&sb, c.post(&url).query(&grant)).await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_client"}))
    );
    let (s, v) = token_resp(&sb, c.post(&url).basic_auth(QGPU_ID, Some(QGPU_SECRET))).await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_request"}))
    );
    let (s, v) = token_resp(
        &sb,
        c.post(&url)
            .query(&[("grant_type", "password")])
            .basic_auth(QGPU_ID, Some(QGPU_SECRET)),
    )
    .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"})
        )
    );
    let (s, v) = token_resp(
        &sb,
        c.post(&url)
            .query(&grant)
            .basic_auth(QGPU_ID, Some(QGPU_SECRET)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["access_token"].as_str().unwrap().len() > 20);
    assert!(
        v.get("message").is_none(),
        "no Megaport envelope on the token service"
    );
}

#[tokio::test]
async fn api_routes_need_a_valid_bearer_token_except_locations() {
    let sb = start().await;
    for path in [
        "v2/products",
        &format!("v2/product/{EQUINIX_LA1}"),
        "v2/service/key",
        &format!("v2/product/port/{EQUINIX_LA1}/vlan"),
    ] {
        let (s, h, v) = call(&sb, Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(v["message"], "Bad session token");
        assert!(h.get("trace-id").is_some());
        let (s, _, _) = call(&sb, Method::GET, path, Some("not-a-token"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in [
        "v3/networkdesign/validate",
        "v3/networkdesign/buy",
        "v4/networkdesign/buy",
    ] {
        let (s, _, _) = call(&sb, Method::POST, path, None, Some(json!([]))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (s, _, _) = call(
        &sb,
        Method::PUT,
        &format!("v3/product/vxc/{EQUINIX_LA1}"),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, v) = call(
        &sb,
        Method::GET,
        "v3/locations?locationStatuses=Active",
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get("trace-id").is_some());
    let locs = v["data"].as_array().unwrap();
    assert_eq!(locs.len(), 8);
    assert!(locs.iter().all(|l| l["status"] == "Active"));
    let (_, _, all) = call(&sb, Method::GET, "v3/locations", None, None).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 9);
    let (s, _, v) = call(&sb, Method::GET, "v9/nothing", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["message"].as_str().is_some());
}

#[tokio::test]
async fn tokens_expire_by_lifetime_clock_and_control() {
    let sb = start_with(SandboxConfig {
        token_lifetime: Duration::from_secs(300),
        ..fast_config()
    })
    .await;
    let r = tokio::time::timeout(
        T,
        client()
            .post(sb.token_url())
            .query(&[("grant_type", "client_credentials")])
            .basic_auth(ACME_ID, Some(ACME_SECRET))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["expires_in"], 300);
    let t = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(get(&sb, "v2/products", &t).await.0, StatusCode::OK);
    sb.control().advance_clock(Duration::from_secs(301));
    assert_eq!(
        get(&sb, "v2/products", &t).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Control: expire one company's tokens, then everyone's over HTTP.
    let a = token(&sb, ACME_ID, ACME_SECRET).await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    assert_eq!(sb.control().expire_tokens(Some("Acme")), 1);
    assert_eq!(
        get(&sb, "v2/products", &a).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&sb, "v2/products", &q).await.0, StatusCode::OK);
    let (s, _, v) = call(&sb, Method::POST, "_sandbox/tokens/expire", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["expired"], 1);
    assert_eq!(
        get(&sb, "v2/products", &q).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A fresh token works again.
    let q2 = token(&sb, QGPU_ID, QGPU_SECRET).await;
    assert_eq!(get(&sb, "v2/products", &q2).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_token_decides_what_a_company_sees() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let a = token(&sb, ACME_ID, ACME_SECRET).await;
    let (_, v) = get(&sb, "v2/products", &a).await;
    let mine = v["data"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["productUid"], ACME_PORT);
    assert_eq!(mine[0]["companyName"], "Acme");
    let (s, _) = get(&sb, &format!("v2/product/{EQUINIX_LA1}"), &a).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A VXC is visible to both ends' owners.
    let vxc = "c95584c5-ac46-4e05-babf-134de71890bc";
    assert_eq!(
        get(&sb, &format!("v2/product/{vxc}"), &a).await.0,
        StatusCode::OK
    );
    let (s, v) = get(&sb, &format!("v2/product/{vxc}"), &q).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["message"], format!("Found Product {vxc}"));
    assert_eq!(v["data"]["aEnd"]["vlan"], 10);
    assert_eq!(v["data"]["bEnd"]["vlan"], 100);
    let g = token(&sb, "globex-sandbox", "globex-sandbox-secret").await;
    assert_eq!(
        get(&sb, &format!("v2/product/{vxc}"), &g).await.0,
        StatusCode::FORBIDDEN
    );
    // Keys are listed for their owner only; the lookup by key works for anyone.
    let key = make_key(&sb, &q, json!({"productUid": LON1, "singleUse": false})).await;
    let (_, v) = get(&sb, "v2/service/key", &a).await;
    assert_eq!(v["data"], json!([]));
    let (_, v) = get(&sb, "v2/service/key", &q).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["message"], "Found [1] service keys for company [1153]");
    let (s, v) = get(&sb, &format!("v2/service/key?key={key}"), &a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["productUid"], LON1);
    let (s, _) = get(&sb, &format!("v2/service/key?productIdOrUid={LON1}"), &a).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put(
        &sb,
        "v2/service/key",
        &a,
        json!({"key": key, "active": false}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = get(
        &sb,
        "v2/service/key?key=6e1f0000-0000-0000-0000-000000000000",
        &a,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}
