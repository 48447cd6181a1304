//! Megaport's service status feeds: planned maintenance and outages with the services they
//! affect (`GET /ens/v1/status/maintenance?state=`, `GET /ens/v1/status/outage?state=`), in the
//! shapes megaportgo's `GetMaintenanceEvents` and `GetOutageEvents` decode. An event's state
//! follows the sandbox clock.

use std::sync::Arc;

use axum::extract::{RawQuery, State as AxState};
use serde_json::Value;

use super::caller::Caller;
use super::envelope::{ApiError, ApiResult, ok, query_first, query_pairs};
use super::seed::EventKind;
use super::shared::Shared;

const MAINTENANCE_STATES: [&str; 4] = ["Completed", "Scheduled", "Cancelled", "Running"];
const OUTAGE_STATES: [&str; 2] = ["Ongoing", "Resolved"];

fn feed(s: &Shared, kind: EventKind, query: Option<&str>, states: &[&str]) -> ApiResult {
    let wanted = match query_first(&query_pairs(query), "state") {
        None => None,
        Some(asked) => Some(
            states
                .iter()
                .find(|state| state.eq_ignore_ascii_case(asked.trim()))
                .copied()
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Invalid state {asked}; expected one of {}",
                        states.join(", ")
                    ))
                })?,
        ),
    };
    let st = s.lock();
    let now = st.now_ms();
    let data: Vec<Value> = st
        .events
        .iter()
        .filter(|event| event.kind == kind)
        .filter_map(|event| Some((event, event.state(now)?)))
        .filter(|(_, state)| wanted.is_none_or(|wanted| wanted == *state))
        .map(|(event, state)| event.json(state))
        .collect();
    Ok(ok(
        format!("Found {} events", data.len()),
        Value::Array(data),
    ))
}

pub(crate) async fn maintenance(
    AxState(s): AxState<Arc<Shared>>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult {
    feed(
        &s,
        EventKind::Maintenance,
        query.as_deref(),
        &MAINTENANCE_STATES,
    )
}

pub(crate) async fn outages(
    AxState(s): AxState<Arc<Shared>>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult {
    feed(&s, EventKind::Outage, query.as_deref(), &OUTAGE_STATES)
}
