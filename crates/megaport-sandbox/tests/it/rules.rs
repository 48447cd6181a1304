//! Each Megaport rule the sandbox enforces, shown rejected with its status and message, plus
//! the rules that assign (multi-use VLANs) and hold (approval) rather than reject.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use megaport_sandbox::{SeedPort, SeedVxc};

fn msg(v: &Value) -> &str {
    v["message"].as_str().unwrap_or("")
}

async fn setup() -> (megaport_sandbox::SandboxHandle, String, String) {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let a = token(&sb, ACME_ID, ACME_SECRET).await;
    (sb, q, a)
}

#[tokio::test]
async fn service_key_creation_rules() {
    let (sb, q, acme) = setup().await;
    let cases = [
        (
            json!({"productUid": EQUINIX_LA1, "singleUse": true, "maxSpeed": 500}),
            StatusCode::BAD_REQUEST,
            "A VLAN is required for a single-use service key",
        ),
        (
            json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 1}),
            StatusCode::BAD_REQUEST,
            "VLAN 1 is invalid: VLAN must be between 2 and 4093",
        ),
        (
            json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 4094}),
            StatusCode::BAD_REQUEST,
            "VLAN 4094 is invalid: VLAN must be between 2 and 4093",
        ),
        (
            json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 100}),
            StatusCode::BAD_REQUEST,
            "VLAN 100 not available on MEGAPORT service 193075",
        ),
        (
            json!({"productUid": EQUINIX_LA1, "singleUse": false, "maxSpeed": 20000}),
            StatusCode::BAD_REQUEST,
            "maxSpeed 20000 exceeds the speed 10000 Mbps of port",
        ),
        (
            json!({"productUid": "00000000-0000-0000-0000-000000000000", "singleUse": false}),
            StatusCode::BAD_REQUEST,
            "Could not find a service with UID 00000000-0000-0000-0000-000000000000",
        ),
        (
            json!({"singleUse": false}),
            StatusCode::BAD_REQUEST,
            "productUid is required",
        ),
    ];
    for (body, status, text) in cases {
        let (s, v) = post(&sb, "v2/service/key", &q, body.clone()).await;
        assert_eq!(s, status, "{body} -> {v}");
        assert!(msg(&v).contains(text), "{body}: {v}");
        assert!(
            v.get("data").is_some() && v.get("terms").is_some(),
            "Megaport error body: {v}"
        );
    }
    // A key on someone else's Port.
    let (s, v) = post(
        &sb,
        "v2/service/key",
        &acme,
        json!({"productUid": EQUINIX_LA1, "singleUse": false}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Two single-use keys may share a VLAN (Megaport checks VXCs, not keys).
    for _ in 0..2 {
        let (s, v) = post(
            &sb,
            "v2/service/key",
            &q,
            json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 3}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // maxSpeed omitted defaults to the Port speed; numbers as strings are accepted.
    let (s, v) = post(
        &sb,
        "v2/service/key",
        &q,
        json!({"productUid": EQUINIX_LA1, "singleUse": "false"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["maxSpeed"], 10_000);
    assert_eq!(v["data"]["vlan"], Value::Null);
    assert_eq!(v["data"]["active"], true);
    // Unknown product in a lookup.
    let (s, v) = get(&sb, "v2/product/7fba50bb-0000-0000-0000-000000000000", &q).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        msg(&v),
        "Could not find a service with UID 7fba50bb-0000-0000-0000-000000000000"
    );
}

#[tokio::test]
async fn buy_rules_each_rejected() {
    let (sb, q, acme) = setup().await;
    let key = make_key(&sb, &q, json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 160, "maxSpeed": 500, "preApproved": true})).await;
    let syd_key = make_key(
        &sb,
        &q,
        json!({"productUid": SYD1, "singleUse": false, "preApproved": true}),
    )
    .await;
    let past = sb.control().now_ms() - 10_000;
    let expired = make_key(&sb, &q, json!({"productUid": LON1, "singleUse": false, "validFor": {"start": past - 1000, "end": past}})).await;
    let future = sb.control().now_ms() + 86_400_000;
    let not_yet = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": false, "validFor": {"start": future}}),
    )
    .await;
    let inactive = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": false, "active": true}),
    )
    .await;
    let (s, v) = put(
        &sb,
        "v2/service/key",
        &q,
        json!({"key": inactive, "productUid": LON1, "singleUse": false, "active": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["active"], false);

    let mut bad_term = order(ACME_PORT, Some(&key), None, 100, None);
    bad_term[0]["associatedVxcs"][0]["term"] = json!(48);
    let cases: Vec<(Value, StatusCode, String)> = vec![
        (
            order(ACME_PORT, Some(&key), None, 100, Some(10)),
            StatusCode::BAD_REQUEST,
            "VLAN 10 not available on MEGAPORT service 74841".into(),
        ),
        (
            order(ACME_PORT, Some(&key), None, 100, Some(4094)),
            StatusCode::BAD_REQUEST,
            "VLAN 4094 is invalid".into(),
        ),
        (
            order(ACME_PORT, Some(&key), None, 600, None),
            StatusCode::BAD_REQUEST,
            format!("rateLimit 600 exceeds the maximum speed 500 Mbps of service key {key}"),
        ),
        (bad_term, StatusCode::BAD_REQUEST, "Invalid term 48".into()),
        (
            order(ACME_PORT, Some(&expired), None, 100, None),
            StatusCode::BAD_REQUEST,
            format!("Service key {expired} has expired"),
        ),
        (
            order(ACME_PORT, Some(&not_yet), None, 100, None),
            StatusCode::BAD_REQUEST,
            format!("Service key {not_yet} is not valid yet"),
        ),
        (
            order(ACME_PORT, Some(&inactive), None, 100, None),
            StatusCode::BAD_REQUEST,
            format!("Service key {inactive} is not active"),
        ),
        (
            order(ACME_PORT, Some(&syd_key), None, 100, None),
            StatusCode::BAD_REQUEST,
            format!("VXCs are not permitted on the B-End service {SYD1}"),
        ),
        (
            order(EQUINIX_LA1, Some(&key), None, 100, None),
            StatusCode::FORBIDDEN,
            format!("The A-End service {EQUINIX_LA1} does not belong to your company"),
        ),
        (
            order(ACME_PORT, Some("no-such-key"), None, 100, None),
            StatusCode::BAD_REQUEST,
            "Could not find service key no-such-key".into(),
        ),
        (
            order(ACME_PORT, Some(&key), Some(CORESITE_LA1), 100, None),
            StatusCode::BAD_REQUEST,
            "does not match the product of service key".into(),
        ),
        (
            order(ACME_PORT, None, Some(CORESITE_LA1), 100, None),
            StatusCode::FORBIDDEN,
            "A service key is required".into(),
        ),
        (
            order(
                "00000000-0000-0000-0000-00000000000a",
                Some(&key),
                None,
                100,
                None,
            ),
            StatusCode::BAD_REQUEST,
            "Could not find a service with UID 00000000-0000-0000-0000-00000000000a".into(),
        ),
    ];
    for (body, status, text) in &cases {
        for path in ["v3/networkdesign/validate", "v3/networkdesign/buy"] {
            let (s, v) = post(&sb, path, &acme, body.clone()).await;
            assert_eq!(s, *status, "{path} {body} -> {v}");
            assert!(
                msg(&v).contains(text.as_str()),
                "{path}: want {text:?}, got {v}"
            );
        }
    }
    assert!(
        sb.control().orders().is_empty(),
        "no rejected order reaches the ledger"
    );

    // The key still works after all those rejections, once; then it is used up.
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 500, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(msg(&v), format!("Service key {key} has already been used"));

    // A key expires when the sandbox clock passes its end.
    let soon = sb.control().now_ms() + 60_000;
    let k2 = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": false, "validFor": {"end": soon}}),
    )
    .await;
    sb.control()
        .advance_clock(std::time::Duration::from_secs(120));
    let (s, v) = post(
        &sb,
        "v3/networkdesign/validate",
        &acme,
        order(ACME_PORT, Some(&k2), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(msg(&v).contains("has expired"), "{v}");
}

#[tokio::test]
async fn rate_limit_is_bounded_by_both_port_speeds() {
    let (sb, q, acme) = setup().await;
    let small = sb
        .control()
        .add_port(SeedPort {
            speed: 1000,
            ..SeedPort::new("Acme 1G", "Acme", 59)
        })
        .unwrap();
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": NYC1, "singleUse": false, "preApproved": true}),
    )
    .await;
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(&small, Some(&key), None, 5000, None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        msg(&v),
        format!("rateLimit 5000 exceeds the speed 1000 Mbps of port {small}")
    );
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(&small, Some(&key), None, 1000, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn multi_use_keys_take_the_next_free_b_end_vlan_and_single_use_vlans_are_rechecked() {
    let (sb, q, acme) = setup().await;
    let multi = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": false, "preApproved": true}),
    )
    .await;
    let mut b_vlans = Vec::new();
    for _ in 0..3 {
        let (s, v) = post(
            &sb,
            "v3/networkdesign/buy",
            &acme,
            order(ACME_PORT, Some(&multi), None, 100, None),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        b_vlans.push(v["data"][0]["nonPayerVlanId"].as_i64().unwrap());
    }
    assert_eq!(b_vlans, vec![2, 3, 4]);
    let (_, keys) = get(&sb, "v2/service/key", &q).await;
    assert!(
        keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["key"] == multi),
        "multi-use keys stay listed"
    );

    // A single-use key's VLAN taken by a VXC created after the key: the buy is refused.
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": NYC1, "singleUse": true, "vlan": 777, "preApproved": true}),
    )
    .await;
    sb.control()
        .add_vxc(SeedVxc::new(
            "squatter",
            "Globex",
            ("705fc802-b856-4cd0-86f4-ff71d34d8de3", 700),
            (NYC1, 777),
            10,
        ))
        .unwrap();
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(msg(&v), "VLAN 777 not available on MEGAPORT service 193077");

    // Port VLAN check endpoint agrees.
    let (s, v) = get(&sb, &format!("v2/product/port/{NYC1}/vlan?vlan=777"), &q).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"], json!([]));
    let (_, v) = get(&sb, &format!("v2/product/port/{NYC1}/vlan?vlan=778"), &q).await;
    assert_eq!(v["data"], json!([778]));
}

#[tokio::test]
async fn vxc_of_a_key_not_pre_approved_waits_for_the_owner() {
    let (sb, q, acme) = setup().await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": CORESITE_LA1, "singleUse": false, "preApproved": false}),
    )
    .await;
    let (s, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"][0]["fullyApproved"], false);
    assert_eq!(v["data"][0]["nonPayerStatus"], "PENDING");
    let uid = v["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_string();

    // Held: still DEPLOYABLE well after the schedule would have made it LIVE.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (_, p) = get(&sb, &format!("v2/product/{uid}"), &acme).await;
    assert_eq!(p["data"]["provisioningStatus"], "DEPLOYABLE");
    assert_eq!(p["data"]["vxcApproval"]["status"], "PENDING");

    // Only the key owner may decide.
    let (s, v) = put(
        &sb,
        &format!("v3/product/vxc/{uid}"),
        &acme,
        json!({"isApproved": true}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = put(
        &sb,
        &format!("v3/product/vxc/{uid}"),
        &q,
        json!({"isApproved": "true"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let seen = wait_status(&sb, &acme, &uid, "LIVE").await;
    assert!(seen.contains(&"LIVE".to_string()));
    let (s, v) = put(
        &sb,
        &format!("v3/product/vxc/{uid}"),
        &q,
        json!({"isApproved": true}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(msg(&v), format!("VXC {uid} is not awaiting approval"));

    // A rejected VXC is decommissioned and frees its VLANs.
    let (_, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, Some(900)),
    )
    .await;
    let rej = v["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = put(
        &sb,
        &format!("v3/product/vxc/{rej}"),
        &q,
        json!({"isApproved": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, p) = get(&sb, &format!("v2/product/{rej}"), &acme).await;
    assert_eq!(p["data"]["provisioningStatus"], "DECOMMISSIONED");
    let (_, port) = get(&sb, &format!("v2/product/{CORESITE_LA1}"), &q).await;
    assert!(
        !port["data"]["associatedVxcs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["productUid"] == rej)
    );
    let (_, v) = get(
        &sb,
        &format!("v2/product/port/{ACME_PORT}/vlan?vlan=900"),
        &acme,
    )
    .await;
    assert_eq!(v["data"], json!([900]));
}

#[tokio::test]
async fn concurrent_buys_with_one_single_use_key_succeed_exactly_once() {
    let (sb, q, acme) = setup().await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": true, "vlan": 42, "preApproved": true}),
    )
    .await;
    let sb = std::sync::Arc::new(sb);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (sb, acme, key) = (sb.clone(), acme.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            post(
                &sb,
                "v3/networkdesign/buy",
                &acme,
                order(ACME_PORT, Some(&key), None, 100, None),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (s, v) = tokio::time::timeout(T, t).await.unwrap().unwrap();
        if s == StatusCode::OK {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::BAD_REQUEST);
            assert_eq!(msg(&v), format!("Service key {key} has already been used"));
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(sb.control().orders().len(), 1);
}

#[tokio::test]
async fn timestamps_as_rfc3339_strings_and_wrong_methods() {
    let (sb, q, _) = setup().await;
    let (s, v) = post(
        &sb,
        "v2/service/key",
        &q,
        json!({"productUid": LON1, "singleUse": false,
        "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2020-02-01T00:00:00Z"}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["validFor"]["start"], 1_577_836_800_000i64);
    assert_eq!(v["data"]["expired"], true);
    assert_eq!(v["data"]["valid"], false);
    let (s, _, v) = call(&sb, reqwest::Method::DELETE, "v2/products", Some(&q), None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(msg(&v).contains("not supported"), "{v}");
}
