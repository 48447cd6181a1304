//! Shared helpers for the sandbox integration tests: start a sandbox on 127.0.0.1:0, get
//! tokens, and send requests with a bounded wait.
#![allow(dead_code)]

use std::time::Duration;

use megaport_sandbox::{ProvisioningSchedule, SandboxConfig, SandboxHandle, spawn};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub(crate) const T: Duration = Duration::from_secs(10);

pub(crate) const QGPU_ID: &str = "quantumgpu-sandbox";
pub(crate) const QGPU_SECRET: &str = "quantumgpu-sandbox-secret";
pub(crate) const ACME_ID: &str = "acme-sandbox";
pub(crate) const ACME_SECRET: &str = "acme-sandbox-secret";

/// QuantumGPU's Ports in the default seed.
pub(crate) const EQUINIX_LA1: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
pub(crate) const CORESITE_LA1: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
pub(crate) const NYC1: &str = "dbb45454-23da-4112-b353-17c20ce9a0f5";
pub(crate) const LON1: &str = "72cdae91-cd69-4cef-842c-0e164dee1d9c";
pub(crate) const SYD1: &str = "e766c284-08eb-45b8-bf55-6e74a82e185e";
pub(crate) const LA3_DEPLOYABLE: &str = "e2a3b575-5ce8-4291-894e-485ab9952e51";
/// Acme's Port (Equinix LA1); its VXC to QuantumGPU uses A-End VLAN 10.
pub(crate) const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

pub(crate) fn fast_config() -> SandboxConfig {
    SandboxConfig {
        provisioning: ProvisioningSchedule {
            to_configured: Duration::from_millis(150),
            to_live: Duration::from_millis(150),
        },
        ..SandboxConfig::default()
    }
}

pub(crate) async fn start() -> SandboxHandle {
    start_with(fast_config()).await
}

pub(crate) async fn start_with(config: SandboxConfig) -> SandboxHandle {
    let listener = tokio::time::timeout(T, tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .expect("bind in time")
        .expect("bind");
    tokio::time::timeout(T, spawn(listener, config))
        .await
        .expect("spawn in time")
        .expect("spawn")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(T)
        .build()
        .expect("client")
}

pub(crate) async fn token(sb: &SandboxHandle, id: &str, secret: &str) -> String {
    let resp = tokio::time::timeout(
        T,
        client()
            .post(sb.token_url())
            .query(&[("grant_type", "client_credentials")])
            .basic_auth(id, Some(secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(),
    )
    .await
    .expect("token in time")
    .expect("token request");
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.expect("token json");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Sends a request; returns status, headers and the JSON body (Null if not JSON).
pub(crate) async fn call(
    sb: &SandboxHandle,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let url = format!("{}{}", sb.base_url(), path.trim_start_matches('/'));
    let mut req = client().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = tokio::time::timeout(T, req.send())
        .await
        .expect("response in time")
        .expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = tokio::time::timeout(T, resp.text())
        .await
        .expect("body in time")
        .expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, json)
}

pub(crate) async fn get(sb: &SandboxHandle, path: &str, token: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(sb, Method::GET, path, Some(token), None).await;
    (s, v)
}

pub(crate) async fn post(
    sb: &SandboxHandle,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let (s, _, v) = call(sb, Method::POST, path, Some(token), Some(body)).await;
    (s, v)
}

pub(crate) async fn put(
    sb: &SandboxHandle,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let (s, _, v) = call(sb, Method::PUT, path, Some(token), Some(body)).await;
    (s, v)
}

/// Creates a service key as the provider and returns the key string.
pub(crate) async fn make_key(sb: &SandboxHandle, tok: &str, body: Value) -> String {
    let (s, v) = post(sb, "v2/service/key", tok, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"]["key"].as_str().expect("key").to_string()
}

/// A v3 buy body ordering one VXC from `a_port` with `key`.
pub(crate) fn order(
    a_port: &str,
    key: Option<&str>,
    b_port: Option<&str>,
    rate: i64,
    a_vlan: Option<i64>,
) -> Value {
    let mut vxc = serde_json::json!({
        "productName": "cust-42 to QuantumGPU", "rateLimit": rate, "term": 12, "shutdown": false,
        "aEnd": {}, "bEnd": {}
    });
    if let Some(k) = key {
        vxc["serviceKey"] = Value::from(k);
    }
    if let Some(b) = b_port {
        vxc["bEnd"]["productUid"] = Value::from(b);
    }
    if let Some(v) = a_vlan {
        vxc["aEnd"]["vlan"] = Value::from(v);
    }
    serde_json::json!([{"productUid": a_port, "associatedVxcs": [vxc]}])
}

/// Polls a VXC until it reaches `want` (or fails the test after T).
pub(crate) async fn wait_status(
    sb: &SandboxHandle,
    tok: &str,
    uid: &str,
    want: &str,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let (s, v) = get(sb, &format!("v2/product/{uid}"), tok).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let st = v["data"]["provisioningStatus"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if seen.last() != Some(&st) {
            seen.push(st.clone());
        }
        if st == want {
            return seen;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never reached {want}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
