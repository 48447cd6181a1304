//! Control of a running sandbox, for tests and demos: faults, token expiry, the clock, the
//! order ledger and the inventory. `SandboxControl` is the in-process API; the same operations
//! are served over HTTP under `/_sandbox/` (documented in this crate's `README.md`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::json_response;
use super::faults::{Fault, FaultStatus, RouteGroup};
use super::limits::{RateWindow, SandboxLimits};
use super::seed::{SeedEvent, SeedPort, SeedVxc};
use super::shared::Shared;
use super::state::{OrderRecord, ProvisioningSchedule};

/// Why a control operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ControlError(pub String);

/// In-process access to what the `/_sandbox/` endpoints do.
#[derive(Clone)]
pub struct SandboxControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SandboxControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxControl").finish_non_exhaustive()
    }
}

impl SandboxControl {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        SandboxControl { shared }
    }

    /// Adds a fault; returns its id.
    pub fn inject_fault(&self, fault: Fault) -> Result<u64, ControlError> {
        self.shared.lock().faults.add(fault).map_err(ControlError)
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// When the requests of a route group arrived, oldest first, faulted or not (`All`: every
    /// Megaport route). Control requests are not counted.
    pub fn arrivals(&self, group: RouteGroup) -> Vec<std::time::Instant> {
        self.shared.lock().faults.arrivals(group)
    }

    /// Replaces the request limits the sandbox enforces (windows already counted stay).
    pub fn set_limits(&self, limits: SandboxLimits) {
        self.shared.lock().limits = limits;
    }

    /// Requests answered 429 by the request limits so far (faults not included).
    pub fn refused_by_limits(&self) -> u64 {
        self.shared.lock().limit_state.refused()
    }

    /// How many requests of a route group arrived.
    pub fn requests(&self, group: RouteGroup) -> usize {
        self.arrivals(group).len()
    }

    /// The configured faults and how often each fired.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.shared.lock().faults.list()
    }

    /// Expires every issued token (or those of one company, by name or uid); returns how many.
    pub fn expire_tokens(&self, company: Option<&str>) -> usize {
        let mut st = self.shared.lock();
        let uid = company.map(|c| {
            st.company_by_name(c)
                .map(|x| x.uid.clone())
                .unwrap_or_else(|_| c.to_string())
        });
        let expired_at = st.now_ms() - 1;
        let mut n = 0;
        for t in st.tokens.values_mut() {
            if uid.as_ref().is_none_or(|u| &t.company_uid == u) && t.expires_ms > expired_at {
                t.expires_ms = expired_at;
                n += 1;
            }
        }
        n
    }

    /// Moves the sandbox clock forward (key validity, token expiry and provisioning follow it).
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.shared.lock().clock_offset_ms += ms;
    }

    /// Sets the sandbox clock to an absolute time (epoch ms); it keeps running from there.
    pub fn set_clock_ms(&self, epoch_ms: i64) {
        let mut st = self.shared.lock();
        st.clock_offset_ms = epoch_ms - super::state::system_now_ms();
    }

    /// The sandbox clock (epoch ms).
    pub fn now_ms(&self) -> i64 {
        self.shared.lock().now_ms()
    }

    /// A product or VXC as `GET /v2/product/{uid}` renders it (for its owner), or None.
    pub fn product_json(&self, uid: &str) -> Option<serde_json::Value> {
        let st = self.shared.lock();
        let now = st.now_ms();
        st.inv
            .port(uid)
            .map(|p| st.port_json(p, now))
            .or_else(|| st.inv.vxc(uid).map(|v| st.vxc_json(v, now)))
    }

    /// Every order ever accepted, oldest first.
    pub fn orders(&self) -> Vec<OrderRecord> {
        self.shared.lock().orders.clone()
    }

    /// Changes the provisioning delays for VXCs from now on (and for those in flight).
    pub fn set_provisioning(&self, schedule: ProvisioningSchedule) {
        self.shared.lock().schedule = schedule;
    }

    /// Adds a Port; returns its uid.
    pub fn add_port(&self, port: SeedPort) -> Result<String, ControlError> {
        self.shared.lock().add_port(&port).map_err(ControlError)
    }

    /// Removes a Port and the VXCs on it; false if there was no such Port.
    pub fn remove_port(&self, uid: &str) -> bool {
        self.shared.lock().remove_port(uid)
    }

    /// Adds a VXC between two Ports; returns its uid.
    pub fn add_vxc(&self, vxc: SeedVxc) -> Result<String, ControlError> {
        self.shared.lock().add_vxc(&vxc).map_err(ControlError)
    }

    pub fn remove_vxc(&self, uid: &str) -> bool {
        self.shared.lock().remove_vxc(uid)
    }

    /// Sets the peak traffic (Mbps, per direction) the telemetry route reports for a Port.
    pub fn set_traffic(
        &self,
        port_uid: &str,
        in_mbps: i64,
        out_mbps: i64,
    ) -> Result<(), ControlError> {
        if in_mbps < 0 || out_mbps < 0 {
            return Err(ControlError("traffic cannot be negative".into()));
        }
        self.change_port(port_uid, |port| port.traffic = Some((in_mbps, out_mbps)))
    }

    /// Sets (or, with None, blanks) the diversity zone Megaport reports for a Port, as it
    /// sometimes does for a while.
    pub fn set_port_zone(&self, port_uid: &str, zone: Option<&str>) -> Result<(), ControlError> {
        self.change_port(port_uid, |port| port.zone = zone.map(str::to_owned))
    }

    fn change_port(
        &self,
        port_uid: &str,
        change: impl FnOnce(&mut super::state::Port),
    ) -> Result<(), ControlError> {
        let mut st = self.shared.lock();
        let port = st
            .inv
            .ports
            .iter_mut()
            .find(|p| p.uid == port_uid)
            .ok_or_else(|| ControlError(format!("no port {port_uid}")))?;
        change(port);
        Ok(())
    }

    /// Adds a maintenance or outage event (times relative to the sandbox clock now), or
    /// replaces the one with its event id; returns the event id.
    pub fn upsert_event(&self, event: SeedEvent) -> Result<String, ControlError> {
        self.shared
            .lock()
            .upsert_event(&event)
            .map_err(ControlError)
    }

    /// Removes an event; false if there was none with that id.
    pub fn remove_event(&self, event_id: &str) -> bool {
        let mut st = self.shared.lock();
        let before = st.events.len();
        st.events.retain(|e| e.event_id != event_id);
        st.events.len() != before
    }
}

pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/_sandbox/faults",
            get(faults_list).post(faults_add).delete(faults_clear),
        )
        .route("/_sandbox/requests", get(requests))
        .route("/_sandbox/limits", get(limits_get).post(limits_set))
        .route("/_sandbox/tokens/expire", post(tokens_expire))
        .route("/_sandbox/clock", get(clock_get).post(clock_set))
        .route("/_sandbox/orders", get(orders))
        .route("/_sandbox/credentials", get(credentials))
        .route("/_sandbox/ports", post(port_add))
        .route("/_sandbox/ports/{uid}", delete(port_remove))
        .route("/_sandbox/vxcs", post(vxc_add))
        .route("/_sandbox/vxcs/{uid}", delete(vxc_remove))
        .route("/_sandbox/ports/{uid}/zone", post(port_zone))
        .route("/_sandbox/telemetry", post(telemetry_set))
        .route("/_sandbox/events", post(event_upsert))
        .route("/_sandbox/events/{id}", delete(event_remove))
        .with_state(shared)
}

fn control_error(msg: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": msg.into()}))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid body: {e}"))
}

async fn faults_list(AxState(s): AxState<Arc<Shared>>) -> Response {
    let list = SandboxControl::new(s).faults();
    json_response(StatusCode::OK, json!({ "faults": list }))
}

/// Takes one fault object or an array of them.
async fn faults_add(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return control_error(e),
    };
    let faults: Vec<Fault> = match value {
        Value::Array(a) => match a.into_iter().map(serde_json::from_value).collect() {
            Ok(f) => f,
            Err(e) => return control_error(format!("invalid fault: {e}")),
        },
        one => match serde_json::from_value(one) {
            Ok(f) => vec![f],
            Err(e) => return control_error(format!("invalid fault: {e}")),
        },
    };
    if let Some(e) = faults.iter().find_map(|f| f.check().err()) {
        return control_error(e);
    }
    let control = SandboxControl::new(s);
    let mut ids = Vec::new();
    for f in faults {
        match control.inject_fault(f) {
            Ok(id) => ids.push(id),
            Err(e) => return control_error(e.0),
        }
    }
    json_response(StatusCode::OK, json!({ "ids": ids }))
}

async fn faults_clear(AxState(s): AxState<Arc<Shared>>) -> Response {
    SandboxControl::new(s).clear_faults();
    json_response(StatusCode::OK, json!({ "cleared": true }))
}

#[derive(Deserialize, Default)]
struct ExpireBody {
    #[serde(default)]
    company: Option<String>,
}

async fn tokens_expire(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let b: ExpireBody = if body.iter().all(u8::is_ascii_whitespace) {
        ExpireBody::default()
    } else {
        match parse(&body) {
            Ok(b) => b,
            Err(e) => return control_error(e),
        }
    };
    let n = SandboxControl::new(s).expire_tokens(b.company.as_deref());
    json_response(StatusCode::OK, json!({ "expired": n }))
}

async fn clock_get(AxState(s): AxState<Arc<Shared>>) -> Response {
    let now = SandboxControl::new(s).now_ms();
    json_response(StatusCode::OK, json!({ "now_ms": now }))
}

#[derive(Deserialize)]
struct ClockBody {
    #[serde(default)]
    advance_seconds: Option<f64>,
    #[serde(default)]
    set_ms: Option<i64>,
}

async fn clock_set(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let b: ClockBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return control_error(e),
    };
    let control = SandboxControl::new(s);
    match (b.advance_seconds, b.set_ms) {
        (Some(secs), None) if secs >= 0.0 && secs.is_finite() => {
            control.advance_clock(Duration::from_secs_f64(secs))
        }
        (Some(secs), None) => {
            // Going back in time is allowed too (e.g. to make a key not yet valid).
            let ms = (secs * 1000.0) as i64;
            control.shared.lock().clock_offset_ms += ms;
        }
        (None, Some(ms)) => control.set_clock_ms(ms),
        _ => return control_error("send exactly one of advance_seconds or set_ms"),
    }
    json_response(StatusCode::OK, json!({ "now_ms": control.now_ms() }))
}

async fn orders(AxState(s): AxState<Arc<Shared>>) -> Response {
    let orders = SandboxControl::new(s).orders();
    json_response(StatusCode::OK, json!({ "orders": orders }))
}

async fn requests(AxState(s): AxState<Arc<Shared>>) -> Response {
    let counts = s.lock().faults.request_counts();
    json_response(StatusCode::OK, json!({ "requests": counts }))
}

fn window_json(window: Option<RateWindow>) -> Value {
    window.map_or(
        Value::Null,
        |w| json!({"requests": w.requests, "window_seconds": w.window.as_secs()}),
    )
}

async fn limits_get(AxState(s): AxState<Arc<Shared>>) -> Response {
    let st = s.lock();
    json_response(
        StatusCode::OK,
        json!({
            "per_client": window_json(st.limits.per_client),
            "per_service_update": window_json(st.limits.per_service_update),
            "refused": st.limit_state.refused(),
        }),
    )
}

#[derive(Deserialize)]
struct WindowBody {
    requests: u32,
    window_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsBody {
    per_client: Option<WindowBody>,
    per_service_update: Option<WindowBody>,
}

/// `{"per_client": {"requests": 50, "window_seconds": 30} | null, "per_service_update": ...}`;
/// null (or absent) turns that limit off.
async fn limits_set(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let body: LimitsBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return control_error(e),
    };
    let window = |w: Option<WindowBody>| -> Result<Option<RateWindow>, String> {
        match w {
            None => Ok(None),
            Some(w) if w.requests == 0 || w.window_seconds == 0 => {
                Err("requests and window_seconds must be greater than 0".to_owned())
            }
            Some(w) => Ok(Some(RateWindow {
                requests: w.requests,
                window: Duration::from_secs(w.window_seconds),
            })),
        }
    };
    let limits = match (window(body.per_client), window(body.per_service_update)) {
        (Ok(per_client), Ok(per_service_update)) => SandboxLimits {
            per_client,
            per_service_update,
        },
        (Err(e), _) | (_, Err(e)) => return control_error(e),
    };
    SandboxControl::new(s.clone()).set_limits(limits);
    limits_get(AxState(s)).await
}

async fn credentials(AxState(s): AxState<Arc<Shared>>) -> Response {
    let st = s.lock();
    let list: Vec<Value> = st
        .companies
        .iter()
        .map(|c| json!({"company": c.name, "companyUid": c.uid, "client_id": c.client_id, "client_secret": c.client_secret}))
        .collect();
    json_response(StatusCode::OK, json!({ "credentials": list }))
}

async fn port_add(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let p: SeedPort = match parse(&body) {
        Ok(p) => p,
        Err(e) => return control_error(e),
    };
    match SandboxControl::new(s).add_port(p) {
        Ok(uid) => json_response(StatusCode::OK, json!({ "uid": uid })),
        Err(e) => control_error(e.0),
    }
}

async fn port_remove(AxState(s): AxState<Arc<Shared>>, Path(uid): Path<String>) -> Response {
    if SandboxControl::new(s).remove_port(&uid) {
        json_response(StatusCode::OK, json!({ "removed": uid }))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no port {uid}")}),
        )
    }
}

async fn vxc_add(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let v: SeedVxc = match parse(&body) {
        Ok(v) => v,
        Err(e) => return control_error(e),
    };
    match SandboxControl::new(s).add_vxc(v) {
        Ok(uid) => json_response(StatusCode::OK, json!({ "uid": uid })),
        Err(e) => control_error(e.0),
    }
}

async fn vxc_remove(AxState(s): AxState<Arc<Shared>>, Path(uid): Path<String>) -> Response {
    if SandboxControl::new(s).remove_vxc(&uid) {
        json_response(StatusCode::OK, json!({ "removed": uid }))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no vxc {uid}")}),
        )
    }
}

fn done(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => control_error(e.0),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneBody {
    /// null or "" blanks the zone.
    diversity_zone: Option<String>,
}

async fn port_zone(
    AxState(s): AxState<Arc<Shared>>,
    Path(uid): Path<String>,
    body: Bytes,
) -> Response {
    let body: ZoneBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return control_error(e),
    };
    let zone = body.diversity_zone.filter(|z| !z.is_empty());
    done(
        SandboxControl::new(s)
            .set_port_zone(&uid, zone.as_deref())
            .map(|()| json!({ "uid": uid, "diversityZone": zone })),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrafficBody {
    port_uid: String,
    in_mbps: i64,
    out_mbps: i64,
}

async fn telemetry_set(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let body: TrafficBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return control_error(e),
    };
    done(
        SandboxControl::new(s)
            .set_traffic(&body.port_uid, body.in_mbps, body.out_mbps)
            .map(|()| json!({ "portUid": body.port_uid })),
    )
}

async fn event_upsert(AxState(s): AxState<Arc<Shared>>, body: Bytes) -> Response {
    let event: SeedEvent = match parse(&body) {
        Ok(e) => e,
        Err(e) => return control_error(e),
    };
    done(
        SandboxControl::new(s)
            .upsert_event(event)
            .map(|id| json!({ "eventId": id })),
    )
}

async fn event_remove(AxState(s): AxState<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if SandboxControl::new(s).remove_event(&id) {
        json_response(StatusCode::OK, json!({ "removed": id }))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no event {id}")}),
        )
    }
}
