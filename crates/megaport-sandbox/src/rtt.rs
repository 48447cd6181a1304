//! `GET /v2/locations/rtt?srcLocation=N&year=YY&month=M`: Megaport's monthly median round-trip
//! times from one location to the others, in milliseconds. Megaport publishes a month after it
//! ends, so the sandbox answers an empty list for the current month (by its clock) and later
//! ones, as Megaport does; for earlier months, medians derived from the locations' coordinates
//! (great-circle distance over fibre at 200 km per ms, a route 1.4 times the straight line, and
//! half a millisecond of equipment), the same every time, unless the seed gives a measured
//! median for the pair (`[[round_trips]]`). A location without either has no row.

use std::sync::Arc;

use axum::extract::{RawQuery, State as AxState};
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::envelope::{ApiError, ok, query_pairs, query_values};
use crate::seed::SeedLocation;
use crate::shared::Shared;

pub(crate) async fn location_rtt(
    AxState(s): AxState<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let number = |key: &str| -> Result<i64, ApiError> {
        let value = query_values(&pairs, key)
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))?;
        value
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request(format!("{key} must be a number")))
    };
    let (source, year, month) = (number("srcLocation")?, number("year")?, number("month")?);
    if !(0..=99).contains(&year) {
        return Err(ApiError::bad_request(
            "year must be the last two digits of the year (26 for 2026)",
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(ApiError::bad_request("month must be from 1 to 12"));
    }
    let st = s.lock();
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(st.now_ms()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let published =
        (2000 + year, month) < (i64::from(now.year()), i64::from(u8::from(now.month())));
    let from = st.locations.iter().find(|location| location.id == source);
    let data: Vec<Value> = match from {
        Some(from) if published => st
            .locations
            .iter()
            .filter(|to| to.id != source)
            .filter_map(|to| {
                let measured = st.round_trips.iter().find(|trip| {
                    trip.between == [source, to.id] || trip.between == [to.id, source]
                });
                measured
                    .map(|trip| trip.median_ms)
                    .or_else(|| median_rtt_ms(from, to))
                    .map(
                    |rtt| json!({"srcLocation": source, "dstLocation": to.id, "medianRTT": rtt}),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(ok(
        format!("List RTT by location={source} , year={year}, month={month}"),
        Value::Array(data),
    ))
}

/// The sandbox's median round trip between two locations with coordinates.
pub(crate) fn median_rtt_ms(from: &SeedLocation, to: &SeedLocation) -> Option<f64> {
    let (lat1, lon1) = (from.latitude?, from.longitude?);
    let (lat2, lon2) = (to.latitude?, to.longitude?);
    const EARTH_RADIUS_KM: f64 = 6_371.0;
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let (dphi, dlambda) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().asin();
    let rtt = 2.0 * km * 1.4 / 200.0 + 0.5;
    Some((rtt * 1_000.0).round() / 1_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    #[test]
    fn medians_grow_with_distance_and_need_coordinates() {
        let seed = Seed::default_scenario();
        let at = |name: &str| {
            seed.locations
                .iter()
                .find(|location| location.name == name || location.metro == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name} in the seed"))
        };
        let (la1, la2, london) = (at("Equinix LA1"), at("CoreSite LA1"), at("London"));
        let near = median_rtt_ms(&la1, &la2).expect("both have coordinates");
        let far = median_rtt_ms(&la1, &london).expect("both have coordinates");
        assert!(near < 1.0, "two buildings in Los Angeles: {near}");
        assert!(
            (100.0..200.0).contains(&far),
            "Los Angeles to London: {far}"
        );
        let mut nowhere = london.clone();
        nowhere.latitude = None;
        assert_eq!(median_rtt_ms(&la1, &nowhere), None);
    }
}
