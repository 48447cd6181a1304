//! Order approvals on the sandbox clock: expiry of a NEW_ORDER and of a TERM_CHANGE, who may
//! decide, and what each decision does to the VXC.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

fn approvals(v: &Value) -> Vec<Value> {
    v["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_new_order_left_alone_expires_and_its_vxc_goes() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 160}),
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
    let vxc = v["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();

    let (s, listed) = get(&sb, "v3/order_approvals?status=PENDING", &q).await;
    assert_eq!(s, StatusCode::OK);
    let pending = approvals(&listed);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["type"], "NEW_ORDER");
    assert_eq!(pending[0]["acctName"], "Acme");
    let uid = pending[0]["uid"].as_str().unwrap().to_owned();
    // Acme sees its own request but may not decide it.
    let (_, mine) = get(&sb, "v3/order_approvals", &acme).await;
    assert_eq!(approvals(&mine).len(), 1);
    let (s, _) = post(
        &sb,
        &format!("v3/order_approvals/{uid}/approve"),
        &acme,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Seven days and a minute later it has expired, and so has the VXC.
    sb.control()
        .advance_clock(Duration::from_secs(7 * 86_400 + 60));
    // (Tokens last a day on the sandbox clock.)
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let (_, listed) = get(&sb, "v3/order_approvals?status=expired", &q).await;
    assert_eq!(approvals(&listed).len(), 1);
    let (_, product) = get(&sb, &format!("v2/product/{vxc}"), &acme).await;
    assert_eq!(product["data"]["provisioningStatus"], "DECOMMISSIONED");
    assert_eq!(product["data"]["vxcApproval"]["status"], "EXPIRED");
    let (s, v) = post(
        &sb,
        &format!("v3/order_approvals/{uid}/approve"),
        &q,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().contains("EXPIRED"), "{v}");
}

#[tokio::test]
async fn a_term_change_waits_for_the_provider_and_paging_headers_count() {
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let acme = token(&sb, ACME_ID, ACME_SECRET).await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": EQUINIX_LA1, "singleUse": true, "vlan": 161, "preApproved": true}),
    )
    .await;
    let (_, v) = post(
        &sb,
        "v3/networkdesign/buy",
        &acme,
        order(ACME_PORT, Some(&key), None, 100, None),
    )
    .await;
    let vxc = v["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = put(
        &sb,
        &format!("v3/product/vxc/{vxc}"),
        &acme,
        json!({"term": 24}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["data"]["contractTermMonths"], 12,
        "the term waits for approval"
    );
    assert_eq!(v["data"]["vxcApproval"]["type"], "TERM_CHANGE");
    let (_, listed) = get(&sb, "v3/order_approvals?status=PENDING&pageSize=1", &q).await;
    let change = &approvals(&listed)[0];
    assert_eq!(change["type"], "TERM_CHANGE");
    assert_eq!(change["detail"]["productRequest"][0]["term"], 24);
    let (s, headers, _) = call(
        &sb,
        reqwest::Method::GET,
        "v3/order_approvals?pageSize=1",
        Some(&q),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["Pagination-Total-Count"], "1");
    assert_eq!(headers["Pagination-Total-Page"], "1");
    let uid = change["uid"].as_str().unwrap();
    let (s, v) = post(
        &sb,
        &format!("v3/order_approvals/{uid}/approve"),
        &q,
        json!({"comments": "ok"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "APPROVED");
    assert_eq!(v["data"]["comment"], "ok");
    let (_, product) = get(&sb, &format!("v2/product/{vxc}"), &acme).await;
    assert_eq!(product["data"]["contractTermMonths"], 24);
}
