//! A small scripted Megaport stand-in for the client and catalog tests: counts requests per
//! route, issues and revokes tokens, injects latency, statuses, lost responses and outages, and
//! keeps a ledger of committed orders.
#![allow(dead_code, clippy::result_large_err)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use serde_json::{Value, json};
use tokio::time::Instant;

pub(crate) const CLIENT_ID: &str = "acme-sandbox";
pub(crate) const CLIENT_SECRET: &str = "acme-sandbox-secret";

pub(crate) const PORT_LA1: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
pub(crate) const PORT_LA2: &str = "9a0c1d2e-0000-4000-8000-000000000060";
pub(crate) const VXC_UID: &str = "399f0fd8-8a69-4e15-abdb-537b0cb8a858";

#[derive(Debug, Clone)]
pub(crate) enum Fault {
    Status(u16, Option<String>),
    /// Commit the order, send the headers, then lose the body.
    DropAfterCommit,
    /// Commit the order, then never answer.
    HangAfterCommit,
}

#[derive(Default)]
pub(crate) struct StubState {
    counts: Mutex<HashMap<&'static str, u64>>,
    arrivals: Mutex<HashMap<&'static str, Vec<Instant>>>,
    faults: Mutex<HashMap<&'static str, VecDeque<Fault>>>,
    latency: Mutex<HashMap<&'static str, Duration>>,
    down: Mutex<HashSet<&'static str>>,
    tokens: Mutex<HashSet<String>>,
    next_token: AtomicU64,
    token_ttl_secs: AtomicU64,
    secret: Mutex<String>,
    ledger: Mutex<Vec<Value>>,
}

#[derive(Clone)]
pub(crate) struct Stub {
    pub base_url: String,
    pub token_url: String,
    pub state: Arc<StubState>,
}

impl Stub {
    pub(crate) async fn start() -> Stub {
        Self::start_with_secret(CLIENT_SECRET).await
    }

    pub(crate) async fn start_with_secret(secret: &str) -> Stub {
        let state = Arc::new(StubState::default());
        state.token_ttl_secs.store(86_400, Ordering::Relaxed);
        *state.secret.lock().unwrap() = secret.to_owned();
        let app = Router::new()
            .route("/oauth2/token", post(token))
            .route("/v2/products", get(products))
            .route("/v2/product/{uid}", get(product))
            .route("/v2/product/port/{uid}/vlan", get(port_vlan))
            .route("/v3/locations", get(locations))
            .route(
                "/v2/service/key",
                get(service_key_get)
                    .post(service_key_create)
                    .put(service_key_update),
            )
            .route("/v3/networkdesign/validate", post(validate))
            .route("/v4/networkdesign/buy", post(buy))
            .route("/v3/networkdesign/buy", post(buy))
            .route("/v3/product/vxc/{uid}", put(vxc_update))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Stub {
            base_url: format!("http://{addr}/"),
            token_url: format!("http://{addr}/oauth2/token"),
            state,
        }
    }

    pub(crate) fn client_config(&self) -> ClientConfig {
        ClientConfig::new(
            Environment::sandbox(self.base_url.clone(), self.token_url.clone()),
            Credentials::new(CLIENT_ID, self.state.secret.lock().unwrap().clone()),
        )
    }

    pub(crate) fn client(&self) -> MegaportClient {
        MegaportClient::new(self.client_config()).unwrap()
    }

    pub(crate) fn count(&self, route: &'static str) -> u64 {
        self.state
            .counts
            .lock()
            .unwrap()
            .get(route)
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn arrivals(&self, route: &'static str) -> Vec<Instant> {
        self.state
            .arrivals
            .lock()
            .unwrap()
            .get(route)
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn push_fault(&self, route: &'static str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .entry(route)
            .or_default()
            .push_back(fault);
    }

    pub(crate) fn set_latency(&self, route: &'static str, latency: Duration) {
        self.state.latency.lock().unwrap().insert(route, latency);
    }

    /// Every request to `route` answers 503 until `set_down(route, false)`.
    pub(crate) fn set_down(&self, route: &'static str, down: bool) {
        let mut d = self.state.down.lock().unwrap();
        if down {
            d.insert(route);
        } else {
            d.remove(route);
        }
    }

    /// Revokes every issued token, as an expiry would.
    pub(crate) fn expire_tokens(&self) {
        self.state.tokens.lock().unwrap().clear();
    }

    pub(crate) fn set_token_ttl(&self, secs: u64) {
        self.state.token_ttl_secs.store(secs, Ordering::Relaxed);
    }

    pub(crate) fn ledger_len(&self) -> usize {
        self.state.ledger.lock().unwrap().len()
    }
}

fn envelope(message: &str, data: Value) -> Response {
    axum::Json(json!({"message": message, "terms": "This data is subject to the Acceptable Use Policy", "data": data}))
        .into_response()
}

fn error(status: u16, message: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"message": message, "terms": "t", "data": null})),
    )
        .into_response();
    r.headers_mut()
        .insert("trace-id", "stub-trace-1".parse().unwrap());
    r
}

/// Counts the request, applies latency and outages, and pops a scripted fault.
async fn enter(st: &StubState, route: &'static str) -> Result<Option<Fault>, Response> {
    *st.counts.lock().unwrap().entry(route).or_default() += 1;
    st.arrivals
        .lock()
        .unwrap()
        .entry(route)
        .or_default()
        .push(Instant::now());
    let latency = st.latency.lock().unwrap().get(route).copied();
    if let Some(l) = latency {
        tokio::time::sleep(l).await;
    }
    if st.down.lock().unwrap().contains(route) {
        return Err(error(503, "Service Unavailable"));
    }
    let fault = st
        .faults
        .lock()
        .unwrap()
        .get_mut(route)
        .and_then(VecDeque::pop_front);
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let mut r = error(code, "injected fault");
            if let Some(ra) = retry_after {
                r.headers_mut().insert("retry-after", ra.parse().unwrap());
            }
            Err(r)
        }
        other => Ok(other),
    }
}

fn authorized(st: &StubState, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(t) if st.tokens.lock().unwrap().contains(t) => Ok(()),
        _ => Err(error(401, "Bad session token")),
    }
}

async fn token(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: String,
) -> Response {
    if let Err(r) = enter(&st, "token").await {
        return r;
    }
    let grant = body.contains("grant_type=client_credentials")
        || q.as_deref()
            .is_some_and(|q| q.contains("grant_type=client_credentials"));
    let expected = format!("{CLIENT_ID}:{}", st.secret.lock().unwrap());
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    if !grant || basic.as_deref() != Some(expected.as_bytes()) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let n = st.next_token.fetch_add(1, Ordering::Relaxed);
    let t = format!("stub-token-{n}-{}", uuid::Uuid::new_v4());
    st.tokens.lock().unwrap().insert(t.clone());
    axum::Json(json!({"access_token": t, "expires_in": st.token_ttl_secs.load(Ordering::Relaxed), "token_type": "Bearer"}))
        .into_response()
}

pub(crate) fn port_json(uid: &str, location: i64, zone: &str) -> Value {
    json!({
        "productId": 193076, "productUid": uid, "productName": format!("QuantumGPU {zone}"),
        "productType": "MEGAPORT", "provisioningStatus": "LIVE", "createDate": 1712268634020i64,
        "portSpeed": 10000, "maxVxcSpeed": "10000", "locationId": location,
        "locationDetail": {"name": "CoreSite LA1", "city": "Los Angeles", "metro": "Los Angeles", "country": "USA"},
        "vxcpermitted": true, "diversityZone": zone, "nserviceId": 521477,
        "associatedVxcs": [{"productUid": VXC_UID, "productType": "VXC", "rateLimit": 500,
            "aEnd": {"productUid": "a", "vlan": 2}, "bEnd": {"productUid": uid, "vlan": 100}}],
        "associatedIxs": null, "futureField": {"x": 1}
    })
}

async fn products(State(st): State<Arc<StubState>>, headers: HeaderMap) -> Response {
    if let Err(r) = enter(&st, "products").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    envelope(
        "Products",
        json!([port_json(PORT_LA1, 60, "red"), port_json(PORT_LA2, 59, "blue"), {"productType": "MCR2"}]),
    )
}

async fn product(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    Path(uid): Path<String>,
) -> Response {
    if let Err(r) = enter(&st, "product").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    if uid == PORT_LA1 {
        envelope(
            &format!("Found Product {uid}"),
            port_json(PORT_LA1, 60, "red"),
        )
    } else if uid == VXC_UID {
        envelope(
            &format!("Found Product {uid}"),
            json!({"productUid": VXC_UID, "productType": "VXC", "rateLimit": 100, "provisioningStatus": "LIVE",
                   "vxcApproval": {"status": null}, "aEnd": {"vlan": 2}, "bEnd": {"vlan": 100}}),
        )
    } else {
        error(400, &format!("Could not find a service with UID {uid}"))
    }
}

async fn port_vlan(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = enter(&st, "port_vlan").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let vlan: i64 = q
        .as_deref()
        .and_then(|q| q.strip_prefix("vlan="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if vlan == 100 {
        envelope("VLANs", json!([]))
    } else {
        envelope("VLANs", json!([vlan]))
    }
}

async fn locations(State(st): State<Arc<StubState>>) -> Response {
    if let Err(r) = enter(&st, "locations").await {
        return r;
    }
    envelope(
        "List public locations",
        json!([
            {"id": 60, "name": "CoreSite LA1", "metro": "Los Angeles", "market": "US", "status": "Active",
             "address": {"country": "USA"}, "diversityZones": {"red": {"megaportSpeedMbps": [1000, 10000]}}},
            {"id": 59, "name": "Equinix LA1", "metro": "Los Angeles", "market": "US", "status": "Active"}
        ]),
    )
}

fn key_json(key: &str) -> Value {
    json!({"key": key, "createDate": 1712277262872i64, "companyId": 1153, "productUid": PORT_LA1,
           "vlan": 100, "maxSpeed": "500", "preApproved": true, "singleUse": true, "active": true,
           "validFor": {"start": 1735689600000i64, "end": null}, "expired": false, "valid": true})
}

async fn service_key_get(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let q = q.unwrap_or_default();
    let route = if q.contains("key=") && !q.contains("productIdOrUid") {
        "service_key_get"
    } else {
        "service_key_list"
    };
    if let Err(r) = enter(&st, route).await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    if route == "service_key_get" {
        envelope("Found key", key_json(q.trim_start_matches("key=")))
    } else {
        envelope(
            "Found [1] service keys for company [1153]",
            json!([key_json("k1")]),
        )
    }
}

async fn service_key_create(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = enter(&st, "service_key").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let req: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut k = key_json("106e38ae-eb59-415f-ac81-526a5299851d");
    k["description"] = req["description"].clone();
    envelope(
        "New service key [106e38ae-eb59-415f-ac81-526a5299851d] generated",
        k,
    )
}

async fn service_key_update(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = enter(&st, "service_key_update").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let req: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut k = key_json(req["key"].as_str().unwrap_or(""));
    k["active"] = req["active"].clone();
    envelope("Service key updated", k)
}

async fn validate(State(st): State<Arc<StubState>>, headers: HeaderMap) -> Response {
    if let Err(r) = enter(&st, "validate").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    envelope(
        "Validation passed",
        json!([{"productType": "VXC", "metro": "Los Angeles", "price": {"monthlyRate": 145.0, "currency": "USD"}}]),
    )
}

async fn buy(State(st): State<Arc<StubState>>, headers: HeaderMap, body: String) -> Response {
    let fault = match enter(&st, "buy").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let order: Value = serde_json::from_str(&body).unwrap_or_default();
    st.ledger.lock().unwrap().push(order);
    let body = json!({"message": format!("VXC [{VXC_UID}] created. "), "terms": "t",
        "data": [{"vxcJTechnicalServiceUid": VXC_UID, "vxcJTechnicalServiceId": 74842, "fullyApproved": true}]});
    match fault {
        Some(Fault::DropAfterCommit) => {
            let head = futures::stream::iter(vec![
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"message\":\"VXC [")),
                Err(std::io::Error::other("connection lost")),
            ]);
            Response::builder()
                .header("content-type", "application/json")
                .header("content-length", "4096")
                .body(Body::from_stream(head))
                .unwrap()
        }
        Some(Fault::HangAfterCommit) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            axum::Json(body).into_response()
        }
        _ => axum::Json(body).into_response(),
    }
}

async fn vxc_update(
    State(st): State<Arc<StubState>>,
    headers: HeaderMap,
    Path(uid): Path<String>,
    body: String,
) -> Response {
    if let Err(r) = enter(&st, "vxc_update").await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let req: Value = serde_json::from_str(&body).unwrap_or_default();
    let status = if req["isApproved"] == json!(true) {
        "APPROVED"
    } else {
        "REJECTED"
    };
    envelope(
        "updated",
        json!({"productUid": uid, "productType": "VXC", "vxcApproval": {"status": status}}),
    )
}

/// Wraps an await that could hang.
pub(crate) async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("test step timed out")
}

pub(crate) fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
