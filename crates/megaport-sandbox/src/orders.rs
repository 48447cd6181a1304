//! VXC orders: parsing the v3/v4 network-design bodies and applying Megaport's rules to plan
//! (validate) or place (buy) them. A whole order is planned on a copy of the inventory, so a
//! failing line leaves nothing behind.

use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::{ApiError, opt_bool, opt_i64, parse_body};
use super::state::{
    Approval, Inventory, State, Vxc, check_term, check_vlan_range, next_free_vlan, vlan_taken,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderItem {
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub associated_vxcs: Vec<VxcOrder>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VxcOrder {
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub rate_limit: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub term: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub shutdown: Option<bool>,
    #[serde(default)]
    pub promo_code: Option<String>,
    #[serde(default)]
    pub service_key: Option<String>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    #[serde(default)]
    pub resource_tags: Option<Value>,
    #[serde(default)]
    pub a_end: Option<EndOrder>,
    #[serde(default)]
    pub b_end: Option<EndOrder>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EndOrder {
    #[serde(default)]
    pub product_uid: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub vlan: Option<i64>,
    /// The vNIC of an MVE end (required when the end is an MVE and no key names it).
    #[serde(default, deserialize_with = "opt_i64")]
    pub v_nic_index: Option<i64>,
}

/// Reads an order body: v3 takes an array (or, as in Megaport's Japanese guide, one object); v4
/// takes `{"networkDesign": [...], "discountCodes": []}` (an array is tolerated too).
pub(crate) fn parse_order(body: &[u8], v4: bool) -> Result<Vec<OrderItem>, ApiError> {
    let value: Value = parse_body(body)?;
    let items = match value {
        Value::Object(mut obj) if v4 || obj.contains_key("networkDesign") => {
            match obj.remove("networkDesign") {
                Some(Value::Array(a)) => a,
                Some(one @ Value::Object(_)) => vec![one],
                _ => {
                    return Err(ApiError::bad_request(
                        "networkDesign must be an array of order items",
                    ));
                }
            }
        }
        Value::Array(a) => a,
        one @ Value::Object(_) => vec![one],
        _ => return Err(ApiError::bad_request("The order must be an array of items")),
    };
    if items.is_empty() {
        return Err(ApiError::bad_request("The order contains no items"));
    }
    items
        .into_iter()
        .map(|i| {
            serde_json::from_value::<OrderItem>(i)
                .map_err(|e| ApiError::bad_request(format!("Invalid order item: {e}")))
        })
        .collect()
}

/// One VXC of an order after the rules passed.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub vxc_uid: String,
    pub vxc_id: i64,
    pub name: String,
    pub a_port: String,
    pub b_port: String,
    pub a_vlan: i64,
    pub b_vlan: i64,
    pub rate_limit: i64,
    pub term: i64,
    pub service_key: Option<String>,
    pub approval: Approval,
    pub promo_code: Option<String>,
    pub cost_centre: Option<String>,
    pub resource_tags: Value,
}

/// Applies every rule to every line, adding the VXCs to `draft` (a copy of the inventory).
pub(crate) fn plan(
    draft: &mut Inventory,
    caller_uid: &str,
    items: &[OrderItem],
    now: i64,
) -> Result<Vec<Planned>, ApiError> {
    let mut out = Vec::new();
    for item in items {
        if let Some(t) = &item.product_type
            && !t.eq_ignore_ascii_case("VXC")
        {
            return Err(ApiError::bad_request(format!(
                "The sandbox only orders VXCs, not {t}"
            )));
        }
        if item.associated_vxcs.is_empty() {
            return Err(ApiError::bad_request(
                "The order item has no associatedVxcs",
            ));
        }
        let a_uid = item
            .product_uid
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::bad_request("productUid (the A-End) is required"))?;
        for vo in &item.associated_vxcs {
            let p = plan_one(draft, caller_uid, &a_uid, vo, now)?;
            out.push(p);
        }
    }
    Ok(out)
}

fn plan_one(
    draft: &mut Inventory,
    caller_uid: &str,
    a_uid: &str,
    vo: &VxcOrder,
    now: i64,
) -> Result<Planned, ApiError> {
    let a_port = draft
        .port(a_uid)
        .cloned()
        .ok_or_else(|| ApiError::service_not_found(a_uid))?;
    if a_port.company_uid != caller_uid {
        return Err(ApiError::forbidden(format!(
            "The A-End service {a_uid} does not belong to your company"
        )));
    }
    let rate = vo
        .rate_limit
        .ok_or_else(|| ApiError::bad_request("rateLimit is required"))?;
    if rate < 1 {
        return Err(ApiError::bad_request(format!(
            "rateLimit {rate} is invalid: it must be at least 1 Mbps"
        )));
    }
    let term = vo.term.unwrap_or(1);
    check_term(term)?;
    let b_req = vo.b_end.clone().unwrap_or_default();
    let key_str = vo.service_key.clone().filter(|k| !k.trim().is_empty());

    // The B-End comes from the service key when there is one.
    let (b_uid, key_index, approval) = match &key_str {
        Some(k) => {
            let idx = draft
                .keys
                .iter()
                .position(|x| x.key.eq_ignore_ascii_case(k.trim()))
                .ok_or_else(|| ApiError::bad_request(format!("Could not find service key {k}")))?;
            let key = &draft.keys[idx];
            if !key.active {
                return Err(ApiError::bad_request(format!(
                    "Service key {k} is not active"
                )));
            }
            if now < key.valid_start {
                return Err(ApiError::bad_request(format!(
                    "Service key {k} is not valid yet"
                )));
            }
            if State::key_expired(key, now) {
                return Err(ApiError::bad_request(format!(
                    "Service key {k} has expired"
                )));
            }
            if key.single_use && key.last_used.is_some() {
                return Err(ApiError::bad_request(format!(
                    "Service key {k} has already been used"
                )));
            }
            if let Some(b) = b_req.product_uid.as_deref().filter(|b| !b.is_empty())
                && b != key.product_uid
            {
                return Err(ApiError::bad_request(format!(
                    "The B-End {b} does not match the product of service key {k}"
                )));
            }
            if rate > key.max_speed {
                return Err(ApiError::bad_request(format!(
                    "rateLimit {rate} exceeds the maximum speed {} Mbps of service key {k}",
                    key.max_speed
                )));
            }
            let approval = if key.pre_approved || key.company_uid == caller_uid {
                Approval::Approved
            } else {
                Approval::Pending
            };
            (key.product_uid.clone(), Some(idx), approval)
        }
        None => {
            let b = b_req
                .product_uid
                .clone()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| ApiError::bad_request("bEnd.productUid is required"))?;
            (b, None, Approval::Approved)
        }
    };
    let b_port = draft
        .port(&b_uid)
        .cloned()
        .ok_or_else(|| ApiError::service_not_found(&b_uid))?;
    if key_index.is_none() && b_port.company_uid != caller_uid {
        return Err(ApiError::forbidden(format!(
            "A service key is required to connect to {b_uid}, which belongs to another company"
        )));
    }
    if !b_port.vxc_permitted {
        return Err(ApiError::bad_request(format!(
            "VXCs are not permitted on the B-End service {b_uid}"
        )));
    }
    for port in [&a_port, &b_port] {
        if !matches!(port.status.as_str(), "LIVE" | "CONFIGURED") {
            return Err(ApiError::bad_request(format!(
                "Service {} is {} and cannot take a VXC",
                port.uid, port.status
            )));
        }
        if rate > port.speed {
            return Err(ApiError::bad_request(format!(
                "rateLimit {rate} exceeds the speed {} Mbps of port {}",
                port.speed, port.uid
            )));
        }
        if rate > port.max_vxc_speed {
            return Err(ApiError::bad_request(format!(
                "rateLimit {rate} exceeds the maximum VXC speed {} Mbps of port {}",
                port.max_vxc_speed, port.uid
            )));
        }
    }

    // A-End VLAN: requested and free, or the next free one.
    let a_used = draft.vlans_in_use(&a_port.uid);
    let a_vlan = match b_req_vlan(vo.a_end.as_ref()) {
        Some(v) => {
            check_vlan_range(v)?;
            if a_used.contains(&v) {
                let hint = next_free_vlan(&a_used)
                    .map(|n| format!(" (next available VLAN is {n})"))
                    .unwrap_or_default();
                let mut e = vlan_taken(v, &a_port);
                e.message.push_str(&hint);
                return Err(e);
            }
            v
        }
        None => next_free_vlan(&a_used).ok_or_else(|| vlan_taken(0, &a_port))?,
    };
    let mut b_used = draft.vlans_in_use(&b_port.uid);
    if a_port.uid == b_port.uid {
        b_used.insert(a_vlan);
    }
    let b_vlan = match key_index.map(|i| &draft.keys[i]) {
        Some(k) if k.single_use => {
            let v = k.vlan.ok_or_else(|| {
                ApiError::bad_request(format!("Service key {} has no VLAN", k.key))
            })?;
            if b_used.contains(&v) {
                return Err(vlan_taken(v, &b_port));
            }
            v
        }
        Some(_) => next_free_vlan(&b_used).ok_or_else(|| vlan_taken(0, &b_port))?,
        None => match b_req.vlan.filter(|v| *v != 0) {
            Some(v) => {
                check_vlan_range(v)?;
                if b_used.contains(&v) {
                    return Err(vlan_taken(v, &b_port));
                }
                v
            }
            None => next_free_vlan(&b_used).ok_or_else(|| vlan_taken(0, &b_port))?,
        },
    };

    let a_vnic = draft.vnic_for(
        &a_port,
        vo.a_end.as_ref().and_then(|e| e.v_nic_index),
        "aEnd",
    )?;
    // A key names no vNIC (Megaport's key has no such field): an order with a key on an MVE
    // lands on the lowest vNIC that carries no VXC, and the owner moves it (bVnicIndex).
    let b_vnic = match key_index {
        Some(_) => draft.first_free_vnic(&b_port)?,
        None => draft.vnic_for(&b_port, b_req.v_nic_index, "bEnd")?,
    };
    if let Some(i) = key_index {
        draft.keys[i].last_used = Some(now);
    }
    let vxc_uid = uuid::Uuid::new_v4().to_string();
    let vxc_id = draft.fresh_id();
    let name = vo
        .product_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("from {} to {}", a_port.name, b_port.name));
    let resource_tags = vo.resource_tags.clone().unwrap_or_else(|| json!([]));
    draft.vxcs.push(Vxc {
        uid: vxc_uid.clone(),
        id: vxc_id,
        name: name.clone(),
        company_uid: caller_uid.to_string(),
        a_port: a_port.uid.clone(),
        a_vlan,
        b_port: b_port.uid.clone(),
        b_vlan,
        a_vnic,
        b_vnic,
        b_config: None,
        rate_limit: rate,
        term,
        created_ms: now,
        fixed_status: None,
        approval,
        provisioning_from_ms: now,
        resource_tags: resource_tags.clone(),
        cost_centre: vo.cost_centre.clone(),
        shutdown: vo.shutdown.unwrap_or(false),
        cancellation: None,
    });
    Ok(Planned {
        vxc_uid,
        vxc_id,
        name,
        a_port: a_port.uid,
        b_port: b_port.uid,
        a_vlan,
        b_vlan,
        rate_limit: rate,
        term,
        service_key: key_str,
        approval,
        promo_code: vo.promo_code.clone(),
        cost_centre: vo.cost_centre.clone(),
        resource_tags,
    })
}

/// The requested VLAN of an end; 0 (or absent) asks for auto-assignment.
fn b_req_vlan(end: Option<&EndOrder>) -> Option<i64> {
    end.and_then(|e| e.vlan).filter(|v| *v != 0)
}

/// One element of the buy response, in the shape of Megaport's Japanese guide.
pub(crate) fn order_element(st: &State, p: &Planned, order_id: i64, now: i64) -> Value {
    let a = st.inv.port(&p.a_port);
    let b = st.inv.port(&p.b_port);
    let payer = a.and_then(|x| st.company(&x.company_uid));
    let non_payer = b.and_then(|x| st.company(&x.company_uid));
    let approved = p.approval == Approval::Approved;
    let mut head = json!({
        "createDate": now, "vxcOrderId": order_id,
        "payerMegaPortId": a.map(|x| x.id), "nonPayerMegaPortId": b.map(|x| x.id),
        "payerMegaPortName": a.map(|x| x.name.clone()),
        "nonPayerMegaPortName": b.map(|x| x.name.clone()),
        "payerCompanyId": payer.map(|c| c.id), "nonPayerCompanyId": non_payer.map(|c| c.id),
        "payerLocationId": a.map(|x| x.location_id), "nonPayerLocationId": b.map(|x| x.location_id),
        "salesId": null,
        "payerCompanyName": payer.map(|c| c.name.clone()),
        "nonPayerCompanyName": non_payer.map(|c| c.name.clone()),
        "payerMegaPortNsId": a.map(|x| x.id), "nonPayerMegaPortNsId": b.map(|x| x.id),
        "payerVlanId": p.a_vlan, "nonPayerVlanId": p.b_vlan,
        "payerInnerVlanId": null, "nonPayerInnerVlanId": null,
        "payerApproverName": payer.map(|c| c.name.clone()), "payerApproverId": payer.map(|c| c.id),
        "nonPayerApproverName": if approved { non_payer.map(|c| c.name.clone()) } else { None },
        "nonPayerApproverId": if approved { non_payer.map(|c| c.id) } else { None },
        "payerApproval": now, "nonPayerApproval": if approved { Some(now) } else { None },
        "fixedTerm": p.term > 1, "duration": p.term, "rollover": true
    });
    let rest = json!({
        "serviceName": p.name,
        "payerStatus": "APPROVED",
        "nonPayerStatus": if approved { "APPROVED" } else { "PENDING" },
        "speed": p.rate_limit, "distanceBand": "ZONE", "intercapPath": "", "awsId": null,
        "promoCode": p.promo_code, "rateType": "MONTHLY",
        "vxcJTechnicalServiceId": p.vxc_id, "vxcJTechnicalServiceUid": p.vxc_uid,
        "provisionDate": now, "orderType": "NEW",
        "monthlyDiscountAmount": null, "discountMonths": null,
        "amazonDirectConnectConfigDto": null, "amsixConnectConfigDto": null,
        "webAirProvItem": null, "sdrcProvItem": null, "rate": null, "setup": null,
        "asn": null, "bgpPassword": null,
        "usageAlgorithm": "POST_PAID_HOURLY_SPEED_LONG_HAUL_VXC",
        "costCentre": p.cost_centre, "azureServiceKey": null, "oracleVirtualCircuitId": null,
        "serviceKey": p.service_key, "connectType": "DEFAULT",
        "payerConfig": {}, "nonPayerConfig": {}, "attributeTags": {},
        "fullyApproved": approved
    });
    if let (Some(h), Value::Object(r)) = (head.as_object_mut(), rest) {
        h.extend(r);
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_bodies_v3_array_single_object_and_v4() {
        let one = br#"{"productUid":"a","associatedVxcs":[{"rateLimit":"100","term":12}]}"#;
        let items = parse_order(one, false).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].associated_vxcs[0].rate_limit, Some(100));
        let arr = br#"[{"productUid":"a","associatedVxcs":[{"rateLimit":1}]},{"productUid":"b","associatedVxcs":[{"rateLimit":2}]}]"#;
        assert_eq!(parse_order(arr, false).unwrap().len(), 2);
        let v4 = br#"{"networkDesign":[{"productUid":"a","associatedVxcs":[{"rateLimit":1,"aEnd":{"vlan":"7"}}]}],"discountCodes":[]}"#;
        let items = parse_order(v4, true).unwrap();
        assert_eq!(
            items[0].associated_vxcs[0].a_end.as_ref().unwrap().vlan,
            Some(7)
        );
        assert!(parse_order(b"[]", false).is_err());
        assert!(parse_order(br#"{"discountCodes":[]}"#, true).is_err());
        assert!(parse_order(b"not json", false).is_err());
    }
}
