//! The Megaport routes: token, products, locations, service keys, validate/buy and VXC approval.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::caller::Caller;
use super::envelope::{
    ApiError, ApiResult, json_response, ok, opt_bool, opt_i64, opt_ms, parse_body, query_first,
    query_pairs, query_values,
};
use super::orders::{order_element, parse_order, plan};
use super::records::ApprovalKind;
use super::shared::Shared;
use super::state::{
    Approval, OrderRecord, ServiceKey, State, Token, check_term, check_vlan_range, price,
    vlan_taken,
};

pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth2/token", post(token))
        .route("/v2/products", get(products))
        .route("/v2/product/{uid}", get(product))
        .route("/v2/product/{uid}/tags", get(product_tags))
        .route("/v2/product/port/{uid}/vlan", get(port_vlan))
        .route("/v3/locations", get(locations))
        .route("/v2/locations/rtt", get(crate::rtt::location_rtt))
        .route(
            "/v2/service/key",
            get(key_get).post(key_create).put(key_update),
        )
        .route("/v3/networkdesign/validate", post(validate))
        .route("/v3/networkdesign/buy", post(buy_v3))
        .route("/v4/networkdesign/buy", post(buy_v4))
        .route("/v3/product/vxc/{uid}", put(vxc_update))
        .route(
            "/v2/product/{kind}/{uid}/telemetry",
            get(super::telemetry::port_telemetry),
        )
        .route(
            "/ens/v1/status/maintenance",
            get(super::status_events::maintenance),
        )
        .route("/ens/v1/status/outage", get(super::status_events::outages))
        .route("/v3/order_approvals", get(super::approvals::list))
        .route(
            "/v3/product/{uid}/action/{action}",
            post(super::lifecycle::action),
        )
        .route(
            "/v2/product/{uid}/action/CANCEL_NOW/charges",
            get(super::lifecycle::cancel_charges),
        )
        .route("/v4/pricebook/product", post(super::lifecycle::pricebook))
        .route(
            "/v3/order_approvals/{uid}/{action}",
            post(super::approvals::act),
        )
        .with_state(shared)
}

fn oauth_error(code: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": code}))
}

/// OAuth2 client credentials, answered like Megaport's (Cognito) token service: bare JSON,
/// never the Megaport envelope.
async fn token(
    AxState(s): AxState<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut pairs = query_pairs(query.as_deref());
    pairs.extend(query_pairs(std::str::from_utf8(&body).ok()));
    match query_first(&pairs, "grant_type").as_deref() {
        None => return oauth_error("invalid_request"),
        Some("client_credentials") => {}
        Some(_) => return oauth_error("unsupported_grant_type"),
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            let (scheme, rest) = h.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_string())
        })
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (id, secret) = match basic {
        Some(c) => c,
        None => match (
            query_first(&pairs, "client_id"),
            query_first(&pairs, "client_secret"),
        ) {
            (Some(a), Some(b)) => (a, b),
            _ => return oauth_error("invalid_client"),
        },
    };
    let mut st = s.lock();
    let Some(company_uid) = st
        .companies
        .iter()
        .find(|c| c.client_id == id && c.client_secret == secret)
        .map(|c| c.uid.clone())
    else {
        return oauth_error("invalid_client");
    };
    let token = format!(
        "sbx.{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = st.now_ms();
    st.tokens.retain(|_, t| t.expires_ms > now);
    let lifetime = st.token_lifetime;
    let expires_ms = now + i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX / 2);
    st.tokens.insert(
        token.clone(),
        Token {
            company_uid,
            expires_ms,
        },
    );
    json_response(
        StatusCode::OK,
        json!({"access_token": token, "expires_in": lifetime.as_secs(), "token_type": "Bearer"}),
    )
}

async fn products(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let statuses: Vec<String> = query_values(&pairs, "provisioningStatus")
        .into_iter()
        .map(|v| v.to_ascii_uppercase())
        .collect();
    let st = s.lock();
    let now = st.now_ms();
    let data: Vec<Value> = st
        .inv
        .ports
        .iter()
        .filter(|p| p.company_uid == caller)
        .filter(|p| statuses.is_empty() || statuses.contains(&p.status))
        .map(|p| st.port_json(p, now))
        .collect();
    Ok(ok(
        format!("Found [{}] products", data.len()),
        Value::Array(data),
    ))
}

async fn product(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path(uid): Path<String>,
) -> ApiResult {
    let st = s.lock();
    let now = st.now_ms();
    if let Some(p) = st.inv.port(&uid) {
        if p.company_uid != caller {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to view service {uid}"
            )));
        }
        return Ok(ok(format!("Found Product {uid}"), st.port_json(p, now)));
    }
    if let Some(v) = st.inv.vxc(&uid) {
        let owns_end = |port: &str| st.inv.port(port).is_some_and(|p| p.company_uid == caller);
        if v.company_uid != caller && !owns_end(&v.a_port) && !owns_end(&v.b_port) {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to view service {uid}"
            )));
        }
        return Ok(ok(format!("Found Product {uid}"), st.vxc_json(v, now)));
    }
    Err(ApiError::service_not_found(&uid))
}

/// GET /v2/product/{uid}/tags: `data.resourceTags` as stamped at order time (Ports have none).
async fn product_tags(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path(uid): Path<String>,
) -> ApiResult {
    let st = s.lock();
    let owns = |port: &str| st.inv.port(port).is_some_and(|p| p.company_uid == caller);
    let tags = if st.inv.port(&uid).is_some() {
        if !owns(&uid) {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to view service {uid}"
            )));
        }
        json!([])
    } else if let Some(v) = st.inv.vxc(&uid) {
        if v.company_uid != caller && !owns(&v.a_port) && !owns(&v.b_port) {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to view service {uid}"
            )));
        }
        v.resource_tags.clone()
    } else {
        return Err(ApiError::service_not_found(&uid));
    };
    Ok(ok(
        format!("Found tags for product {uid}"),
        json!({ "resourceTags": tags }),
    ))
}

/// `data` lists the free VLANs asked about (just `vlan` when given); the SDK treats a VLAN as
/// free iff it is in the list.
async fn port_vlan(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path(uid): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let asked = match query_first(&pairs, "vlan") {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("VLAN {v} is not a number")))?,
        ),
        None => None,
    };
    let st = s.lock();
    let port = st
        .inv
        .port(&uid)
        .ok_or_else(|| ApiError::service_not_found(&uid))?;
    if port.company_uid != caller {
        return Err(ApiError::forbidden(format!(
            "You do not have permission to view service {uid}"
        )));
    }
    let used = st.inv.vlans_in_use(&uid);
    let free: Vec<i64> = match asked {
        Some(v) if check_vlan_range(v).is_ok() && !used.contains(&v) => vec![v],
        Some(_) => vec![],
        None => (2..=4093).filter(|v| !used.contains(v)).collect(),
    };
    Ok(ok(format!("VLANs available on {uid}"), json!(free)))
}

async fn locations(AxState(s): AxState<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref());
    let statuses = query_values(&pairs, "locationStatuses");
    let st = s.lock();
    let data: Vec<Value> = st
        .locations
        .iter()
        .filter(|l| {
            statuses.is_empty() || statuses.iter().any(|x| x.eq_ignore_ascii_case(&l.status))
        })
        .map(State::location_json)
        .collect();
    ok("List public locations", Value::Array(data))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidFor {
    #[serde(default, deserialize_with = "opt_ms")]
    start: Option<i64>,
    #[serde(default, deserialize_with = "opt_ms")]
    end: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyBody {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    product_uid: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    product_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    single_use: Option<bool>,
    #[serde(default, deserialize_with = "opt_i64")]
    max_speed: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    vlan: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pre_approved: Option<bool>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    valid_for: Option<ValidFor>,
}

/// GET /v2/service/key: one key by `key` (any company may look a key up), else the caller's
/// keys (optionally of one product), without consumed single-use keys.
async fn key_get(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let st = s.lock();
    let now = st.now_ms();
    if let Some(k) = query_first(&pairs, "key") {
        let key = st.inv.key(&k).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("Could not find service key {k}"),
            )
        })?;
        return Ok(ok(
            format!("Found service key [{}]", key.key),
            st.key_json(key, now, false),
        ));
    }
    let product = match query_first(&pairs, "productIdOrUid") {
        Some(p) => {
            let port = st
                .inv
                .port_by_id_or_uid(&p)
                .ok_or_else(|| ApiError::service_not_found(&p))?;
            if port.company_uid != caller {
                return Err(ApiError::forbidden(format!(
                    "You do not have permission to view service {p}"
                )));
            }
            Some(port.uid.clone())
        }
        None => None,
    };
    let data: Vec<Value> = st
        .inv
        .keys
        .iter()
        .filter(|k| k.company_uid == caller)
        .filter(|k| product.as_ref().is_none_or(|p| &k.product_uid == p))
        .filter(|k| !(k.single_use && k.last_used.is_some()))
        .map(|k| st.key_json(k, now, false))
        .collect();
    let company_id = st.company(&caller).map(|c| c.id).unwrap_or_default();
    Ok(ok(
        format!(
            "Found [{}] service keys for company [{company_id}]",
            data.len()
        ),
        Value::Array(data),
    ))
}

/// The shared checks of create and update: the key's VLAN and maxSpeed against its Port.
fn key_limits(
    st: &State,
    product_uid: &str,
    single_use: bool,
    vlan: Option<i64>,
    max_speed: Option<i64>,
) -> Result<(Option<i64>, i64), ApiError> {
    let port = st
        .inv
        .port(product_uid)
        .ok_or_else(|| ApiError::service_not_found(product_uid))?;
    let vlan = if single_use {
        let v = vlan.filter(|v| *v != 0).ok_or_else(|| {
            ApiError::bad_request("A VLAN is required for a single-use service key")
        })?;
        check_vlan_range(v)?;
        if st.inv.vlans_in_use(product_uid).contains(&v) {
            return Err(vlan_taken(v, port));
        }
        Some(v)
    } else {
        None
    };
    let max_speed = match max_speed.filter(|m| *m != 0) {
        None => port.speed,
        Some(m) if m < 0 => {
            return Err(ApiError::bad_request(format!(
                "maxSpeed {m} is invalid: it must be a positive number of Mbps"
            )));
        }
        Some(m) if m > port.speed => {
            return Err(ApiError::bad_request(format!(
                "maxSpeed {m} exceeds the speed {} Mbps of port {product_uid}",
                port.speed
            )));
        }
        Some(m) => m,
    };
    Ok((vlan, max_speed))
}

async fn key_create(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let b: KeyBody = parse_body(&body)?;
    let mut st = s.lock();
    let now = st.now_ms();
    let port = match (&b.product_uid, b.product_id) {
        (Some(uid), _) if !uid.is_empty() => st.inv.port(uid),
        (_, Some(id)) => st.inv.port_by_id_or_uid(&id.to_string()),
        _ => return Err(ApiError::bad_request("productUid is required")),
    }
    .cloned()
    .ok_or_else(|| {
        ApiError::service_not_found(
            &b.product_uid
                .clone()
                .or(b.product_id.map(|i| i.to_string()))
                .unwrap_or_default(),
        )
    })?;
    if port.company_uid != caller {
        return Err(ApiError::forbidden(format!(
            "You do not have permission to create a service key for service {}",
            port.uid
        )));
    }
    let single_use = b.single_use.unwrap_or(false);
    let (vlan, max_speed) = key_limits(&st, &port.uid, single_use, b.vlan, b.max_speed)?;
    let vf = b.valid_for.unwrap_or_default();
    let start = vf.start.unwrap_or(now);
    if let Some(end) = vf.end
        && end < start
    {
        return Err(ApiError::bad_request(
            "validFor.end must not be before validFor.start",
        ));
    }
    let key = ServiceKey {
        key: uuid::Uuid::new_v4().to_string(),
        create_ms: now,
        company_uid: caller,
        product_uid: port.uid.clone(),
        vlan,
        max_speed,
        pre_approved: b.pre_approved.unwrap_or(false),
        single_use,
        last_used: None,
        active: b.active.unwrap_or(true),
        valid_start: start,
        valid_end: vf.end,
        description: b.description,
    };
    let data = st.key_json(&key, now, true);
    let msg = format!("New service key [{}] generated", key.key);
    st.inv.keys.push(key);
    Ok(ok(msg, data))
}

/// PUT /v2/service/key replaces: omitted description/vlan/maxSpeed/preApproved/active/singleUse
/// are reset (as Megaport does), validFor is kept unless sent.
async fn key_update(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let b: KeyBody = parse_body(&body)?;
    let k = b
        .key
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::bad_request("key is required"))?;
    let mut st = s.lock();
    let now = st.now_ms();
    let idx = st
        .inv
        .keys
        .iter()
        .position(|x| x.key.eq_ignore_ascii_case(&k))
        .ok_or_else(|| ApiError::bad_request(format!("Could not find service key {k}")))?;
    let current = st.inv.keys[idx].clone();
    if current.company_uid != caller {
        return Err(ApiError::forbidden(format!(
            "You do not have permission to update service key {k}"
        )));
    }
    let single_use = b.single_use.unwrap_or(false);
    let vlan_in = if single_use && b.vlan.is_none() {
        // Keeping the VLAN of a single-use key avoids a key no one can use.
        current.vlan
    } else {
        b.vlan
    };
    let (vlan, max_speed) =
        key_limits(&st, &current.product_uid, single_use, vlan_in, b.max_speed)?;
    let (start, end) = match b.valid_for {
        Some(vf) => (vf.start.unwrap_or(current.valid_start), vf.end),
        None => (current.valid_start, current.valid_end),
    };
    let key = ServiceKey {
        single_use,
        vlan,
        max_speed,
        pre_approved: b.pre_approved.unwrap_or(false),
        active: b.active.unwrap_or(false),
        description: b.description,
        valid_start: start,
        valid_end: end,
        ..current
    };
    // Only an update that would be made counts against the limit.
    st.admit_update(&k)?;
    let data = st.key_json(&key, now, true);
    st.inv.keys[idx] = key;
    Ok(ok(format!("Service key [{k}] updated"), data))
}

async fn validate(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    body: Bytes,
) -> ApiResult {
    let items = parse_order(&body, false)?;
    let st = s.lock();
    let now = st.now_ms();
    let mut draft = st.inv.clone();
    let planned = plan(&mut draft, &caller, &items, now)?;
    let data: Vec<Value> = planned
        .iter()
        .map(|p| {
            let metro = st
                .inv
                .port(&p.a_port)
                .and_then(|port| st.location(port.location_id))
                .map(|l| l.metro.clone());
            json!({
                "productType": "VXC", "productUid": null, "serviceName": p.name,
                "metro": metro, "string": metro, "market": null,
                "rateLimit": p.rate_limit, "term": p.term,
                "aEndVlan": p.a_vlan, "bEndVlan": p.b_vlan,
                "price": price(p.rate_limit, p.term), "error": null
            })
        })
        .collect();
    Ok(ok("Validation passed", Value::Array(data)))
}

async fn buy_v3(s: AxState<Arc<Shared>>, caller: Caller, body: Bytes) -> ApiResult {
    buy(s, caller, body, false)
}

async fn buy_v4(s: AxState<Arc<Shared>>, caller: Caller, body: Bytes) -> ApiResult {
    buy(s, caller, body, true)
}

fn buy(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    body: Bytes,
    v4: bool,
) -> ApiResult {
    let items = parse_order(&body, v4)?;
    let mut st = s.lock();
    let now = st.now_ms();
    let mut draft = st.inv.clone();
    let planned = plan(&mut draft, &caller, &items, now)?;
    st.inv = draft;
    for p in planned.iter().filter(|p| p.approval == Approval::Pending) {
        st.request_approval(ApprovalKind::NewOrder, &p.vxc_uid, p.rate_limit, p.term);
    }
    let company_name = st
        .company(&caller)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut data = Vec::new();
    let mut message = String::new();
    for p in &planned {
        let order_id = 55_791 + st.orders.len() as i64;
        data.push(order_element(&st, p, order_id, now));
        message.push_str(&format!("VXC [{}] created. ", p.vxc_uid));
        st.orders.push(OrderRecord {
            vxc_order_id: order_id,
            accepted_ms: now,
            api_version: if v4 { "v4" } else { "v3" }.to_string(),
            company: company_name.clone(),
            company_uid: caller.clone(),
            vxc_uid: p.vxc_uid.clone(),
            vxc_name: p.name.clone(),
            a_product_uid: p.a_port.clone(),
            b_product_uid: p.b_port.clone(),
            a_vlan: p.a_vlan,
            b_vlan: p.b_vlan,
            rate_limit: p.rate_limit,
            term: p.term,
            service_key: p.service_key.clone(),
            resource_tags: p.resource_tags.clone(),
        });
    }
    tracing::info!(company = %company_name, vxcs = planned.len(), "sandbox order accepted");
    Ok(ok(message, Value::Array(data)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VxcUpdateBody {
    #[serde(default, deserialize_with = "opt_bool")]
    is_approved: Option<bool>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    rate_limit: Option<i64>,
    #[serde(default)]
    cost_centre: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    shutdown: Option<bool>,
    #[serde(default, deserialize_with = "opt_i64")]
    term: Option<i64>,
    /// The B-End owner's configuration of an MCR end (vrouter interfaces and BGP).
    #[serde(default)]
    b_end_config: Option<Value>,
    /// The B-End owner moves an MVE end to another vNIC.
    #[serde(default, deserialize_with = "opt_i64")]
    b_vnic_index: Option<i64>,
}

/// The B-End owner's configuration of its end (`bEndConfig` on an MCR, `bVnicIndex` on an
/// MVE), applied to `updated`. Accepted while the VXC awaits approval, so the owner configures
/// its end before approving (Megaport: the provider "can make configuration changes for their
/// end of the VXC before granting approval"), and after.
fn configure_b_end(
    st: &State,
    caller: &str,
    b: &VxcUpdateBody,
    updated: &mut crate::state::Vxc,
) -> Result<(), ApiError> {
    if b.b_end_config.is_none() && b.b_vnic_index.is_none() {
        return Ok(());
    }
    let b_end = st
        .inv
        .port(&updated.b_port)
        .ok_or_else(|| ApiError::service_not_found(&updated.b_port))?;
    if b_end.company_uid != caller {
        return Err(ApiError::forbidden(format!(
            "Only the B-End owner can configure the B-End of VXC {}",
            updated.uid
        )));
    }
    if let Some(config) = b.b_end_config.as_ref().filter(|c| !c.is_null()) {
        if !matches!(b_end.kind, crate::state::Kind::Mcr { .. }) {
            return Err(ApiError::bad_request(format!(
                "bEndConfig is a vrouter config, for an MCR B-End; {} is not an MCR",
                b_end.uid
            )));
        }
        updated.b_config = Some(crate::vrouter::check(config)?);
    }
    if let Some(index) = b.b_vnic_index {
        let crate::state::Kind::Mve { vnics, .. } = &b_end.kind else {
            return Err(ApiError::bad_request(format!(
                "bVnicIndex is for an MVE B-End; {} is not an MVE",
                b_end.uid
            )));
        };
        st.inv
            .check_vnic(b_end, vnics.len(), index, Some(&updated.uid))?;
        updated.b_vnic = Some(index);
    }
    Ok(())
}

/// PUT /v3/product/vxc/{uid}: the B-End owner approves or rejects a pending VXC and configures
/// its end; the VXC's owner may rename it, change its rate or shut it down.
async fn vxc_update(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult {
    let b: VxcUpdateBody = parse_body(&body)?;
    let mut st = s.lock();
    let now = st.now_ms();
    let idx = st
        .inv
        .vxcs
        .iter()
        .position(|v| v.uid == uid)
        .ok_or_else(|| ApiError::service_not_found(&uid))?;
    let vxc = st.inv.vxcs[idx].clone();
    let b_owner = st.inv.port(&vxc.b_port).map(|p| p.company_uid.clone());
    let mut updated = vxc.clone();
    configure_b_end(&st, &caller, &b, &mut updated)?;
    if let Some(approve) = b.is_approved {
        if b_owner.as_deref() != Some(caller.as_str()) {
            return Err(ApiError::forbidden(format!(
                "Only the B-End owner can approve or reject VXC {uid}"
            )));
        }
        let pending = st
            .pending_approval(&uid)
            .map(|a| a.uid.clone())
            .ok_or_else(|| ApiError::bad_request(format!("VXC {uid} is not awaiting approval")))?;
        st.admit_update(&uid)?;
        // The end is configured first, then approved, as one update.
        st.inv.vxcs[idx] = updated;
        let action = if approve { "approve" } else { "reject" };
        st.decide_approval(&pending, &caller, action, "")?;
        let data = st.vxc_json(&st.inv.vxcs[idx], now);
        return Ok(ok(format!("VXC [{uid}] has been updated"), data));
    }
    let changes_other = b.name.is_some()
        || b.rate_limit.is_some()
        || b.cost_centre.is_some()
        || b.shutdown.is_some()
        || b.term.is_some();
    // A faster rate or another term on a VXC to someone else's Port waits for its approval.
    let mut approval_needed = None;
    if changes_other {
        if vxc.company_uid != caller {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to update VXC {uid}"
            )));
        }
        let needs_owner = b_owner.as_deref() != Some(caller.as_str());
        let changes_deal = b.rate_limit.is_some_and(|r| r > vxc.rate_limit)
            || b.term.is_some_and(|t| t != vxc.term);
        if let Some(pending) = st.pending_approval(&uid).filter(|_| changes_deal) {
            return Err(ApiError::bad_request(format!(
                "VXC {uid} has a pending {} approval",
                match pending.kind {
                    ApprovalKind::NewOrder => "NEW_ORDER",
                    ApprovalKind::SpeedChange => "SPEED_CHANGE",
                    ApprovalKind::TermChange => "TERM_CHANGE",
                }
            )));
        }
        if let Some(n) = b.name.filter(|n| !n.is_empty()) {
            updated.name = n;
        }
        if let Some(c) = b.cost_centre {
            updated.cost_centre = Some(c);
        }
        if let Some(sd) = b.shutdown {
            updated.shutdown = sd;
        }
        if let Some(t) = b.term.filter(|t| *t != vxc.term) {
            check_term(t)?;
            if needs_owner {
                approval_needed = Some((ApprovalKind::TermChange, vxc.rate_limit, t));
            } else {
                updated.term = t;
            }
        }
        if let Some(r) = b.rate_limit {
            if r < 1 {
                return Err(ApiError::bad_request(format!(
                    "rateLimit {r} is invalid: it must be at least 1 Mbps"
                )));
            }
            for port_uid in [&vxc.a_port, &vxc.b_port] {
                if let Some(p) = st.inv.port(port_uid)
                    && (r > p.speed || r > p.max_vxc_speed)
                {
                    return Err(ApiError::bad_request(format!(
                        "rateLimit {r} exceeds the speed {} Mbps of port {}",
                        p.speed.min(p.max_vxc_speed),
                        p.uid
                    )));
                }
            }
            if r > vxc.rate_limit && needs_owner {
                if approval_needed.is_some() {
                    return Err(ApiError::bad_request(
                        "change the rate and the term in separate updates: each needs its own approval",
                    ));
                }
                approval_needed = Some((ApprovalKind::SpeedChange, r, vxc.term));
            } else {
                updated.rate_limit = r;
            }
        }
    }
    st.admit_update(&uid)?;
    st.inv.vxcs[idx] = updated;
    if let Some((kind, rate_limit, term)) = approval_needed {
        st.request_approval(kind, &uid, rate_limit, term);
    }
    let data = st.vxc_json(&st.inv.vxcs[idx], now);
    Ok(ok(format!("VXC [{uid}] has been updated"), data))
}
