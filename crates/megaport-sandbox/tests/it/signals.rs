//! What the sandbox serves beyond the guide for on-ramp selection: Port telemetry, the
//! maintenance and outage feeds, LAG members and their control endpoints.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const OSA1: &str = "90045cff-cd2e-46ce-b4f0-ba057281c4b5";
const LON1_MEMBER: &str = "b3a0c5d2-6f1e-4d8a-9c47-2e5f8a1b9d30";

#[tokio::test]
async fn telemetry_has_five_minute_samples_per_direction_at_the_ports_level() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let path = format!("v2/product/megaport/{OSA1}/telemetry?type=BITS&days=7");
    let (s, v) = get(&sb, &path, &q).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("terms").is_none(), "telemetry is not enveloped");
    assert_eq!(v["serviceUid"], OSA1);
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["subtype"], "IN");
    assert_eq!(data[0]["unit"]["name"], "Mbps");
    let samples = data[0]["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 7 * 288);
    let t0 = samples[0][0].as_i64().unwrap();
    assert_eq!(samples[1][0].as_i64().unwrap() - t0, 300_000);
    let peak = samples
        .iter()
        .map(|s| s[1].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        (93.0..=95.0).contains(&peak),
        "seeded peak 95 mbps in: {peak}"
    );

    // The control endpoint sets a Port's level; the same window is answered the same way.
    let (s, _, _) = call(
        &sb,
        Method::POST,
        "_sandbox/telemetry",
        None,
        Some(json!({"port_uid": OSA1, "in_mbps": 4000, "out_mbps": 100})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (from, to) = (t0, t0 + 3_600_000);
    let path = format!("v2/product/megaport/{OSA1}/telemetry?type=BITS&from={from}&to={to}");
    let (_, first) = get(&sb, &path, &q).await;
    let (_, again) = get(&sb, &path, &q).await;
    assert_eq!(first["data"], again["data"], "deterministic");
    let peak = first["data"][0]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(peak > 2000.0 && peak <= 4000.0, "{peak}");

    // Megaport's query rules, and only the owner may read.
    for bad in [
        "type=BITS",
        "type=BITS&days=181",
        "type=BITS&days=1&from=1&to=2",
        "days=1",
        "type=NOPE&days=1",
    ] {
        let (s, _) = get(
            &sb,
            &format!("v2/product/megaport/{OSA1}/telemetry?{bad}"),
            &q,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let (s, _) = get(
        &sb,
        &format!("v2/product/megaport/{OSA1}/telemetry?type=BITS&days=1"),
        &acme,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn maintenance_and_outage_feeds_follow_the_clock() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let (s, v) = get(&sb, "ens/v1/status/maintenance?state=scheduled", &q).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let scheduled = v["data"].as_array().unwrap();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0]["eventId"], "CSM-4410");
    assert_eq!(scheduled[0]["services"], json!([&OSA1[..8]]));
    let (_, v) = get(&sb, "ens/v1/status/outage?state=Resolved", &q).await;
    assert_eq!(v["data"][0]["eventId"], "CSO-2207");
    assert!(v["data"][0]["rootCause"].is_string());
    let (s, _) = get(&sb, "ens/v1/status/outage?state=Sideways", &q).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // An outage added now is Ongoing until it is given an end.
    let (s, _, v) = call(
        &sb,
        Method::POST,
        "_sandbox/events",
        None,
        Some(json!({
            "kind": "outage", "event_id": "CSO-1", "services": [EQUINIX_LA1], "starts_in_hours": 0
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = get(&sb, "ens/v1/status/outage?state=Ongoing", &q).await;
    assert_eq!(v["data"][0]["eventId"], "CSO-1");
    assert!(v["data"][0]["endTime"].is_null());

    // Maintenance moves from Scheduled to Running to Completed on the sandbox clock.
    sb.control()
        .upsert_event(megaport_sandbox::SeedEvent {
            kind: megaport_sandbox::EventKind::Maintenance,
            event_id: Some("CSM-2".into()),
            services: vec![CORESITE_LA1.into()],
            starts_in_hours: 1.0,
            duration_hours: Some(1.0),
            impact: None,
            purpose: None,
            cancelled: false,
        })
        .expect("event");
    let state = |v: &serde_json::Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["eventId"] == "CSM-2")
    };
    let (_, v) = get(&sb, "ens/v1/status/maintenance?state=Scheduled", &q).await;
    assert!(state(&v));
    sb.control()
        .advance_clock(std::time::Duration::from_secs(90 * 60));
    let (_, v) = get(&sb, "ens/v1/status/maintenance?state=Running", &q).await;
    assert!(state(&v));
    sb.control()
        .advance_clock(std::time::Duration::from_secs(3600));
    let (_, v) = get(&sb, "ens/v1/status/maintenance?state=Completed", &q).await;
    assert!(state(&v));
}

#[tokio::test]
async fn lag_members_share_an_aggregation_id_and_zones_can_go_blank() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let (_, v) = get(&sb, "v2/products", &q).await;
    let lag: Vec<_> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["aggregationId"] == 7001)
        .collect();
    assert_eq!(lag.len(), 2);
    let primary: Vec<_> = lag.iter().filter(|p| p["lagPrimary"] == true).collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(primary[0]["productUid"], LON1);
    assert!(
        lag.iter()
            .any(|p| p["productUid"] == LON1_MEMBER && p["lagId"] == 7001)
    );

    let (s, _, _) = call(
        &sb,
        Method::POST,
        &format!("_sandbox/ports/{LON1}/zone"),
        None,
        Some(json!({"diversity_zone": null})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = get(&sb, &format!("v2/product/{LON1}"), &q).await;
    assert!(v["data"]["diversityZone"].is_null());
}
