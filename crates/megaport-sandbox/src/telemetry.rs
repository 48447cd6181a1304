//! Port traffic telemetry: `GET /v2/product/megaport/{uid}/telemetry?type=BITS&days=N` (or
//! `from`/`to` in epoch ms), unwrapped (no `{message,terms,data}` envelope), samples every 5
//! minutes as `[epoch_ms, value]`. Traffic is deterministic: a daily curve that peaks at the
//! Port's level (seeded, set through `POST /_sandbox/telemetry`, or a share of its allocated
//! rate limits) with a small fixed jitter per sample.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::caller::Caller;
use super::envelope::{ApiError, json_response, query_first, query_pairs, query_values};
use super::shared::Shared;
use super::state::State;

/// Megaport polls its network every 5 minutes; samples come at that resolution.
pub(crate) const SAMPLE_MS: i64 = 300_000;
const DAY_MS: i64 = 86_400_000;
const PORT_TYPES: [&str; 5] = ["BITS", "PACKETS", "ERRORS", "OPTICAL", "OPTICAL_100G"];

pub(crate) async fn port_telemetry(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path((kind, uid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let types: Vec<String> = query_values(&pairs, "type")
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .collect();
    if types.is_empty() {
        return Err(ApiError::bad_request("At least one type is required"));
    }
    if let Some(bad) = types.iter().find(|t| !PORT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::bad_request(format!(
            "Invalid type {bad}; expected one of {}",
            PORT_TYPES.join(", ")
        )));
    }
    let st = s.lock();
    let now = st.now_ms();
    let (from, to) = time_frame(&pairs, now)?;
    let port = st
        .inv
        .port(&uid)
        .ok_or_else(|| ApiError::service_not_found(&uid))?;
    // Each kind has its own path: megaport (Port), mcr2, mve.
    if !kind.eq_ignore_ascii_case(port.kind.path_segment()) {
        return Err(ApiError::service_not_found(&uid));
    }
    if port.company_uid != caller {
        return Err(ApiError::forbidden(format!(
            "You do not have permission to view service {uid}"
        )));
    }
    let (level_in, level_out) = traffic_level(&st, &uid);
    let mut data = Vec::new();
    for kind in &types {
        let series: Vec<(&str, f64, &str, &str)> = match kind.as_str() {
            "BITS" => vec![
                ("IN", level_in, "Mbps", "Megabits per second"),
                ("OUT", level_out, "Mbps", "Megabits per second"),
            ],
            "PACKETS" => vec![
                ("IN", level_in * 90.0, "pps", "Packets per second"),
                ("OUT", level_out * 90.0, "pps", "Packets per second"),
            ],
            "ERRORS" => vec![
                ("IN", 0.0, "count", "Errors"),
                ("OUT", 0.0, "count", "Errors"),
            ],
            _ => vec![
                ("RX", -2.5, "dBm", "Decibel-milliwatts"),
                ("TX", -1.8, "dBm", "Decibel-milliwatts"),
            ],
        };
        for (subtype, level, unit, full_name) in series {
            let curve = kind == "BITS" || kind == "PACKETS";
            let samples: Vec<Value> = sample_times(from, to)
                .map(|t| {
                    let value = if curve {
                        level * shape(&uid, subtype, t)
                    } else {
                        level
                    };
                    json!([t, (value * 100.0).round() / 100.0])
                })
                .collect();
            data.push(json!({
                "type": kind, "subtype": subtype, "samples": samples,
                "unit": {"name": unit, "fullName": full_name}
            }));
        }
    }
    Ok(json_response(
        StatusCode::OK,
        json!({
            "serviceUid": uid, "type": types[0],
            "timeFrame": {"from": from, "to": to}, "data": data
        }),
    ))
}

/// `days=1..180`, or `from` and `to` (epoch ms) together; never both.
fn time_frame(pairs: &[(String, String)], now: i64) -> Result<(i64, i64), ApiError> {
    let number = |key: &str| -> Result<Option<i64>, ApiError> {
        query_first(pairs, key)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("{key} must be an integer")))
            })
            .transpose()
    };
    match (number("days")?, number("from")?, number("to")?) {
        (Some(days), None, None) if (1..=180).contains(&days) => Ok((now - days * DAY_MS, now)),
        (Some(_), None, None) => Err(ApiError::bad_request("days must be between 1 and 180")),
        (None, Some(from), Some(to)) if from < to && to - from <= 180 * DAY_MS => {
            Ok((from, to.min(now)))
        }
        (None, Some(_), Some(_)) => Err(ApiError::bad_request(
            "from must be before to, at most 180 days apart",
        )),
        (None, None, None) => Err(ApiError::bad_request("days, or from and to, are required")),
        _ => Err(ApiError::bad_request(
            "days cannot be combined with from/to, and from needs to",
        )),
    }
}

/// Sample instants in `[from, to]`, on the 5-minute grid.
fn sample_times(from: i64, to: i64) -> impl Iterator<Item = i64> {
    let first = from.div_euclid(SAMPLE_MS) * SAMPLE_MS + SAMPLE_MS;
    (0..)
        .map(move |i| first + i * SAMPLE_MS)
        .take_while(move |t| *t <= to)
}

/// The peak Mbps per direction of a Port: set, seeded, or a third (in) and a quarter (out) of
/// the rate limits of the VXCs on it.
pub(crate) fn traffic_level(st: &State, uid: &str) -> (f64, f64) {
    if let Some((inbound, outbound)) = st.inv.port(uid).and_then(|p| p.traffic) {
        #[allow(clippy::cast_precision_loss)] // Mbps figures are far below 2^52
        return (inbound as f64, outbound as f64);
    }
    let now = st.now_ms();
    let allocated: i64 = st
        .inv
        .vxcs
        .iter()
        .filter(|v| (v.a_port == uid || v.b_port == uid) && st.vxc_counts(v, now))
        .map(|v| v.rate_limit)
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let allocated = allocated as f64;
    (allocated / 3.0, allocated / 4.0)
}

/// A daily curve from 0.6 at midnight to 1.0 at midday (UTC), times a fixed jitter of up to
/// -2% that depends only on the Port, the direction and the instant.
fn shape(uid: &str, subtype: &str, t: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let day_fraction = t.rem_euclid(DAY_MS) as f64 / DAY_MS as f64;
    let curve = 0.6 + 0.4 * (std::f64::consts::PI * day_fraction).sin().powi(2);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in uid.bytes().chain(subtype.bytes()).chain(t.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    #[allow(clippy::cast_precision_loss)]
    let jitter = (hash % 1000) as f64 / 1000.0;
    curve * (1.0 - 0.02 * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_sit_on_the_five_minute_grid() {
        let times: Vec<i64> = sample_times(1, 900_000).collect();
        assert_eq!(times, [300_000, 600_000, 900_000]);
    }

    #[test]
    fn the_curve_peaks_at_the_level_and_is_deterministic() {
        let values: Vec<f64> = sample_times(0, DAY_MS)
            .map(|t| shape("p", "IN", t))
            .collect();
        let peak = values.iter().copied().fold(0.0, f64::max);
        assert!(peak > 0.97 && peak <= 1.0, "{peak}");
        assert!(values.iter().all(|v| *v >= 0.58));
        assert_eq!(shape("p", "IN", 600_000), shape("p", "IN", 600_000));
        assert_ne!(shape("p", "IN", 600_000), shape("q", "IN", 600_000));
    }

    #[test]
    fn time_frame_rules() {
        let pairs = |q: &str| query_pairs(Some(q));
        assert_eq!(
            time_frame(&pairs("days=7"), DAY_MS * 10),
            Ok((DAY_MS * 3, DAY_MS * 10))
        );
        assert!(time_frame(&pairs("days=181"), 0).is_err());
        assert!(time_frame(&pairs("days=1&from=1&to=2"), 0).is_err());
        assert!(time_frame(&pairs("from=5"), 0).is_err());
        assert_eq!(time_frame(&pairs("from=1&to=500"), 100), Ok((1, 100)));
    }
}
