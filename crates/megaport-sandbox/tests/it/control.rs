//! The `/_sandbox/` control endpoints: clock, inventory (Ports, VXCs), ledger and credentials.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn clock_moves_and_sets() {
    let sb = start().await;
    let (s, _, v) = call(&sb, Method::GET, "_sandbox/clock", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let now = v["now_ms"].as_i64().unwrap();
    let (_, _, v) = call(
        &sb,
        Method::POST,
        "_sandbox/clock",
        None,
        Some(json!({"advance_seconds": 3600})),
    )
    .await;
    let later = v["now_ms"].as_i64().unwrap();
    assert!(
        later - now >= 3_600_000 && later - now < 3_660_000,
        "{now} {later}"
    );
    let (_, _, v) = call(
        &sb,
        Method::POST,
        "_sandbox/clock",
        None,
        Some(json!({"set_ms": 1_700_000_000_000i64})),
    )
    .await;
    let set = v["now_ms"].as_i64().unwrap();
    assert!(
        (1_700_000_000_000..1_700_000_060_000).contains(&set),
        "{set}"
    );
    let (s, _, _) = call(&sb, Method::POST, "_sandbox/clock", None, Some(json!({}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ports_and_vxcs_can_be_added_and_removed() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let (s, _, v) = call(
        &sb,
        Method::POST,
        "_sandbox/ports",
        None,
        Some(json!({
            "name": "QuantumGPU LA4", "company": "QuantumGPU", "location_id": 60, "speed": 100000,
            "diversity_zone": "blue"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let uid = v["uid"].as_str().unwrap().to_string();
    let (_, p) = get(&sb, &format!("v2/product/{uid}"), &q).await;
    assert_eq!(p["data"]["portSpeed"], 100_000);
    assert_eq!(p["data"]["maxVxcSpeed"], 100_000);
    assert_eq!(p["data"]["provisioningStatus"], "LIVE");
    let (_, live) = get(&sb, "v2/products?provisioningStatus=LIVE", &q).await;
    // Eight Ports with the new one, and the MCR and the MVE.
    assert_eq!(live["data"].as_array().unwrap().len(), 10);

    let (s, _, v) = call(&sb, Method::POST, "_sandbox/vxcs", None, Some(json!({
        "name": "Initech to LA4", "company": "Initech", "a_port": "39a4c6c0-70db-4567-beb8-27b69a00d63e",
        "a_vlan": 40, "b_port": uid, "b_vlan": 40, "rate_limit": 2500
    }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let vxc = v["uid"].as_str().unwrap().to_string();
    let (_, p) = get(&sb, &format!("v2/product/{uid}"), &q).await;
    assert_eq!(p["data"]["associatedVxcs"][0]["rateLimit"], 2500);
    // VLAN clash and unknown references are refused.
    let (s, _, v) = call(
        &sb,
        Method::POST,
        "_sandbox/vxcs",
        None,
        Some(json!({
            "name": "clash", "company": "Initech", "a_port": "39a4c6c0-70db-4567-beb8-27b69a00d63e",
            "a_vlan": 41, "b_port": uid, "b_vlan": 40, "rate_limit": 1
        })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _, _) = call(
        &sb,
        Method::POST,
        "_sandbox/ports",
        None,
        Some(json!({"name": "x", "company": "Nobody", "location_id": 60})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, _, _) = call(
        &sb,
        Method::DELETE,
        &format!("_sandbox/vxcs/{vxc}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, p) = get(&sb, &format!("v2/product/{uid}"), &q).await;
    assert_eq!(p["data"]["associatedVxcs"], json!([]));
    let (s, _, _) = call(
        &sb,
        Method::DELETE,
        &format!("_sandbox/ports/{uid}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = get(&sb, &format!("v2/product/{uid}"), &q).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["message"],
        format!("Could not find a service with UID {uid}")
    );
    let (s, _, _) = call(
        &sb,
        Method::DELETE,
        &format!("_sandbox/ports/{uid}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Removing a Port takes its VXCs with it.
    assert!(sb.control().remove_port(EQUINIX_LA1));
    let (_, p) = get(
        &sb,
        &format!("v2/product/{ACME_PORT}"),
        &token(&sb, ACME_ID, ACME_SECRET).await,
    )
    .await;
    assert_eq!(p["data"]["associatedVxcs"], json!([]));
}

#[tokio::test]
async fn credentials_and_empty_ledger() {
    let sb = start().await;
    let (s, _, v) = call(&sb, Method::GET, "_sandbox/credentials", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let creds = v["credentials"].as_array().unwrap();
    assert!(creds.iter().any(|c| c["company"] == "QuantumGPU"
        && c["client_id"] == QGPU_ID
        && c["client_secret"] == QGPU_SECRET));
    assert!(
        creds
            .iter()
            .any(|c| c["company"] == "Acme" && c["client_id"] == ACME_ID)
    );
    let (_, _, v) = call(&sb, Method::GET, "_sandbox/orders", None, None).await;
    assert_eq!(v["orders"], json!([]));
    let seeded = megaport_sandbox::Seed::default_scenario().credentials();
    assert_eq!(seeded.len(), creds.len());
    assert!(sb.base_url().starts_with("http://127.0.0.1:") && sb.base_url().ends_with('/'));
    assert_eq!(sb.token_url(), format!("{}oauth2/token", sb.base_url()));
}
