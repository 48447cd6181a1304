//! The service-provider guide, end to end over HTTP: token, LIVE Ports by country and metro,
//! two single-use keys (blue and red Port in Los Angeles), the customer's lookup, validate with
//! a price, buy, provisioning to LIVE, the key consumed and the VXC on both Ports.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::*;
use megaport_sandbox::{ProvisioningSchedule, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn allocated(port: &Value) -> i64 {
    port["associatedVxcs"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["rateLimit"].as_i64()).sum())
        .unwrap_or(-1)
}

#[tokio::test]
async fn the_whole_guide_flow() {
    // Long delays, stepped with the sandbox clock, so each state is seen on a busy machine too.
    let sb = start_with(SandboxConfig {
        provisioning: ProvisioningSchedule {
            to_configured: Duration::from_secs(60),
            to_live: Duration::from_secs(60),
        },
        ..SandboxConfig::default()
    })
    .await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;

    // Acme gets its token with grant_type in a form body instead of the query.
    let resp = tokio::time::timeout(
        T,
        client()
            .post(sb.token_url())
            .basic_auth(ACME_ID, Some(ACME_SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tv: Value = resp.json().await.unwrap();
    assert_eq!(tv["token_type"], "Bearer");
    assert_eq!(tv["expires_in"], 86_400);
    let acme = tv["access_token"].as_str().unwrap().to_string();

    // 1. Countries with LIVE Ports.
    let (s, v) = get(&sb, "v2/products?provisioningStatus=LIVE", &q).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["terms"]
            .as_str()
            .unwrap()
            .contains("Acceptable Use Policy")
    );
    // The list holds the MCR and the MVE too; the guide's steps are about Ports.
    let ports: Vec<_> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["productType"] == "MEGAPORT")
        .cloned()
        .collect();
    assert_eq!(
        ports.len(),
        7,
        "six LIVE Ports, London's a LAG of two member products"
    );
    assert!(
        ports
            .iter()
            .all(|p| p["provisioningStatus"] == "LIVE" && p["portSpeed"] == 10_000)
    );
    let countries: BTreeSet<&str> = ports
        .iter()
        .map(|p| p["locationDetail"]["country"].as_str().unwrap())
        .collect();
    assert_eq!(
        countries,
        BTreeSet::from(["Australia", "Japan", "UK", "USA"])
    );

    // 2. Metros in the USA.
    let metros: BTreeSet<&str> = ports
        .iter()
        .filter(|p| p["locationDetail"]["country"] == "USA")
        .map(|p| p["locationDetail"]["metro"].as_str().unwrap())
        .collect();
    assert_eq!(metros, BTreeSet::from(["Los Angeles", "New York"]));

    // 3. Los Angeles locations, zones and utilisation.
    let la: Vec<&Value> = ports
        .iter()
        .filter(|p| p["locationDetail"]["metro"] == "Los Angeles")
        .collect();
    let ids: BTreeSet<i64> = la
        .iter()
        .map(|p| p["locationId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([59, 60]));
    let blue = la.iter().find(|p| p["diversityZone"] == "blue").unwrap();
    let red = la.iter().find(|p| p["diversityZone"] == "red").unwrap();
    assert_eq!(blue["productUid"], EQUINIX_LA1);
    assert_eq!(blue["locationId"], 59);
    assert_eq!(red["productUid"], CORESITE_LA1);
    assert_eq!(red["location"], "CoreSite LA1");
    assert_eq!(allocated(blue), 1500);
    assert_eq!(allocated(red), 6000);
    assert_eq!(blue["maxVxcSpeed"], 10_000);
    assert!(blue["vxcPermitted"].as_bool().unwrap());
    let syd = ports.iter().find(|p| p["productUid"] == SYD1).unwrap();
    assert_eq!(syd["vxcPermitted"], false);

    // Without the filter the DEPLOYABLE Port shows up too.
    let (_, all) = get(&sb, "v2/products", &q).await;
    let all = all["data"].as_array().unwrap();
    assert_eq!(all.len(), 10, "eight Ports, the MCR and the MVE");
    assert!(
        all.iter()
            .any(|p| p["productUid"] == LA3_DEPLOYABLE && p["provisioningStatus"] == "DEPLOYABLE")
    );

    // Locations are public.
    let (s, _, locs) = call(&sb, reqwest::Method::GET, "v3/locations", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let l60 = locs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == 60)
        .unwrap()
        .clone();
    assert_eq!(l60["name"], "CoreSite LA1");
    assert_eq!(l60["metro"], "Los Angeles");
    assert_eq!(l60["status"], "Active");
    assert_eq!(l60["address"]["country"], "USA");
    assert!(l60["diversityZones"]["red"].is_object() && l60["diversityZones"]["blue"].is_object());

    // 4. Two single-use keys: blue and red Port. maxSpeed as a string, as in the docs.
    let (s, kb) = post(
        &sb,
        "v2/service/key",
        &q,
        json!({"productUid": EQUINIX_LA1, "description": "cust-42 LA1", "active": true,
               "_set_singleUse_to_false_to_make_service_key_multiUse": true,
               "singleUse": true, "maxSpeed": "500", "preApproved": true, "vlan": 150,
               "ValidFor": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{kb}");
    let blue_key = kb["data"]["key"].as_str().unwrap().to_string();
    assert_eq!(
        kb["message"],
        format!("New service key [{blue_key}] generated")
    );
    assert_eq!(kb["data"]["maxSpeed"], 500);
    assert_eq!(kb["data"]["vlan"], 150);
    assert_eq!(kb["data"]["valid"], true);
    assert_eq!(kb["data"]["productDto"]["productUid"], EQUINIX_LA1);
    let red_key = make_key(
        &sb,
        &q,
        json!({"productUid": CORESITE_LA1, "singleUse": true, "maxSpeed": 500, "preApproved": true, "vlan": 250}),
    )
    .await;

    // 5. Acme looks the key up, with the query form and with the Go SDK's %3F path form.
    let (s, lk) = get(&sb, &format!("v2/service/key?key={blue_key}"), &acme).await;
    assert_eq!(s, StatusCode::OK, "{lk}");
    assert_eq!(lk["data"]["productUid"], EQUINIX_LA1);
    assert_eq!(lk["data"]["maxSpeed"], 500);
    let (s, lk2) = get(&sb, &format!("v2/service/key%3Fkey={blue_key}"), &acme).await;
    assert_eq!(s, StatusCode::OK, "{lk2}");
    assert_eq!(lk2["data"]["key"], blue_key);

    // 6. Validate: price included.
    let body = order(ACME_PORT, Some(&blue_key), Some(EQUINIX_LA1), 100, Some(2));
    let (s, val) = post(&sb, "v3/networkdesign/validate", &acme, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{val}");
    let price = &val["data"][0]["price"];
    assert_eq!(price["monthlyRate"], 45.0);
    assert_eq!(price["currency"], "USD");
    // Validating does not consume the key.
    let (_, still) = get(&sb, &format!("v2/service/key?key={blue_key}"), &q).await;
    assert_eq!(still["data"]["lastUsed"], Value::Null);

    // 7. Buy (v3, single object as in the Japanese guide).
    let (s, bought) = post(&sb, "v3/networkdesign/buy", &acme, body[0].clone()).await;
    assert_eq!(s, StatusCode::OK, "{bought}");
    let el = &bought["data"][0];
    let vxc = el["vxcJTechnicalServiceUid"].as_str().unwrap().to_string();
    assert_eq!(bought["message"], format!("VXC [{vxc}] created. "));
    assert_eq!(el["payerVlanId"], 2);
    assert_eq!(el["nonPayerVlanId"], 150);
    assert_eq!(el["fullyApproved"], true);
    assert_eq!(el["payerCompanyName"], "Acme");
    assert_eq!(el["nonPayerCompanyName"], "QuantumGPU");
    assert_eq!(el["serviceKey"], blue_key);

    // 8. Watch it reach LIVE: DEPLOYABLE, then CONFIGURED and LIVE as the clock moves.
    let status = |v: &Value| {
        v["data"]["provisioningStatus"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (_, p) = get(&sb, &format!("v2/product/{vxc}"), &acme).await;
    assert_eq!(status(&p), "DEPLOYABLE");
    sb.control().advance_clock(Duration::from_secs(61));
    let (_, p) = get(&sb, &format!("v2/product/{vxc}"), &acme).await;
    assert_eq!(status(&p), "CONFIGURED");
    let (_, _, c) = call(
        &sb,
        reqwest::Method::POST,
        "_sandbox/clock",
        None,
        Some(json!({"advance_seconds": 60})),
    )
    .await;
    assert!(c["now_ms"].as_i64().is_some());
    let seen = wait_status(&sb, &acme, &vxc, "LIVE").await;
    assert_eq!(seen, vec!["LIVE".to_string()]);
    assert_eq!(p["data"]["aEnd"]["vlan"], 2);
    assert_eq!(p["data"]["bEnd"]["vlan"], 150);
    assert_eq!(p["data"]["rateLimit"], 100);

    // 9. The key is consumed: gone from listings, lastUsed set on lookup.
    let (_, keys) = get(&sb, "v2/service/key", &q).await;
    let listed: Vec<&str> = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&blue_key.as_str()));
    assert!(listed.contains(&red_key.as_str()));
    let (_, used) = get(&sb, &format!("v2/service/key?key={blue_key}"), &q).await;
    assert!(used["data"]["lastUsed"].as_i64().is_some());
    assert_eq!(used["data"]["valid"], false);
    let (_, by_product) = get(
        &sb,
        &format!("v2/service/key?productIdOrUid={CORESITE_LA1}"),
        &q,
    )
    .await;
    assert_eq!(by_product["data"].as_array().unwrap().len(), 1);

    // 10. The VXC is on both Ports.
    let (_, bp) = get(&sb, &format!("v2/product/{EQUINIX_LA1}"), &q).await;
    let on_blue = bp["data"]["associatedVxcs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["productUid"] == vxc)
        .cloned()
        .unwrap();
    assert_eq!(on_blue["bEnd"]["vlan"], 150);
    assert_eq!(allocated(&bp["data"]), 1600);
    let (_, ap) = get(&sb, &format!("v2/product/{ACME_PORT}"), &acme).await;
    assert!(
        ap["data"]["associatedVxcs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["productUid"] == vxc)
    );

    // The second key with the v4 body and resource tags; the ledger records both orders.
    let mut v4 = order(ACME_PORT, Some(&red_key), None, 200, None);
    v4[0]["associatedVxcs"][0]["resourceTags"] =
        json!([{"key": "onramp-request-id", "value": "req-1"}]);
    let (s, b2) = post(
        &sb,
        "v4/networkdesign/buy",
        &acme,
        json!({"networkDesign": v4, "discountCodes": []}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b2}");
    assert_eq!(b2["data"][0]["nonPayerVlanId"], 250);
    assert_eq!(
        b2["data"][0]["payerVlanId"],
        2 + 1,
        "A-End VLAN auto-assigned to the next free"
    );
    let orders = sb.control().orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].vxc_uid, vxc);
    assert_eq!(orders[0].api_version, "v3");
    assert_eq!(orders[1].api_version, "v4");
    assert_eq!(orders[1].service_key.as_deref(), Some(red_key.as_str()));
    assert_eq!(
        orders[1].resource_tags,
        json!([{"key": "onramp-request-id", "value": "req-1"}])
    );
    let (_, _, ledger) = call(&sb, reqwest::Method::GET, "_sandbox/orders", None, None).await;
    assert_eq!(ledger["orders"].as_array().unwrap().len(), 2);
    assert_eq!(ledger["orders"][1]["resourceTags"][0]["value"], "req-1");

    tokio::time::timeout(Duration::from_secs(5), sb.shutdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn key_lookup_path_form_is_case_insensitive_over_a_raw_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = start().await;
    let q = token(&sb, QGPU_ID, QGPU_SECRET).await;
    let key = make_key(
        &sb,
        &q,
        json!({"productUid": LON1, "singleUse": false, "maxSpeed": 100}),
    )
    .await;
    for form in ["%3F", "%3f"] {
        let mut stream = tokio::time::timeout(T, tokio::net::TcpStream::connect(sb.addr()))
            .await
            .unwrap()
            .unwrap();
        let req = format!(
            "GET /v2/service/key{form}key={key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {q}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        tokio::time::timeout(T, stream.read_to_string(&mut out))
            .await
            .unwrap()
            .unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.contains(&key), "{out}");
        assert!(out.to_ascii_lowercase().contains("trace-id:"), "{out}");
    }
}
