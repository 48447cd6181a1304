//! A VXC after purchase: cancellation (`POST /v3/product/{uid}/action/CANCEL|CANCEL_NOW|
//! UN_CANCEL`), the charges of cancelling now (`GET /v2/product/{uid}/action/CANCEL_NOW/charges`)
//! and prices without an order (`POST /v4/pricebook/product`).
//!
//! Assumed where Megaport does not document it (see the README): only the VXC's buyer may cancel
//! it; CANCEL takes effect at the end of the contract term (CANCELLED until then, UN_CANCEL
//! restores it), CANCEL_NOW at once (DECOMMISSIONING, then DECOMMISSIONED); cancelling now
//! charges the monthly rate for each whole month left of the term.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use serde::Deserialize;
use serde_json::{Value, json};

use super::caller::Caller;
use super::envelope::{ApiError, ApiResult, ok, opt_i64, parse_body};
use super::shared::Shared;
use super::state::{Cancellation, State, check_term, price};

/// A contract month on the sandbox clock.
pub(crate) const MONTH_MS: i64 = 30 * 86_400_000;

impl State {
    /// The VXC's buyer's index, or why the caller may not act on it.
    fn own_vxc(&self, uid: &str, caller: &str) -> Result<usize, ApiError> {
        let index = self
            .inv
            .vxcs
            .iter()
            .position(|v| v.uid == uid)
            .ok_or_else(|| ApiError::service_not_found(uid))?;
        if self.inv.vxcs[index].company_uid != caller {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to cancel service {uid}"
            )));
        }
        Ok(index)
    }

    /// Whole months left of a VXC's term at `now`.
    fn months_left(&self, index: usize, now: i64) -> i64 {
        let v = &self.inv.vxcs[index];
        let end = v.created_ms + v.term * MONTH_MS;
        (end - now).max(0) / MONTH_MS
    }
}

/// `POST /v3/product/{uid}/action/{CANCEL|CANCEL_NOW|UN_CANCEL}`.
pub(crate) async fn action(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path((uid, action)): Path<(String, String)>,
) -> ApiResult {
    let mut st = s.lock();
    let now = st.now_ms();
    let index = st.own_vxc(&uid, &caller)?;
    let status = st.vxc_status(&st.inv.vxcs[index], now);
    let action = action.to_ascii_uppercase();
    match action.as_str() {
        "CANCEL" | "CANCEL_NOW" => {
            if matches!(status.as_str(), "DECOMMISSIONING" | "DECOMMISSIONED") {
                return Err(ApiError::bad_request(format!(
                    "Service {uid} is already {status}"
                )));
            }
            if action == "CANCEL" && status == "CANCELLED" {
                return Err(ApiError::bad_request(format!(
                    "Service {uid} is already cancelled"
                )));
            }
            st.admit_update(&uid)?;
            let v = &mut st.inv.vxcs[index];
            v.cancellation = Some(if action == "CANCEL" {
                Cancellation::AtTermEnd(v.created_ms + v.term * MONTH_MS)
            } else {
                Cancellation::Now(now)
            });
        }
        "UN_CANCEL" => {
            if status != "CANCELLED" {
                return Err(ApiError::bad_request(format!(
                    "Service {uid} is {status}: only a CANCELLED service can be restored"
                )));
            }
            st.admit_update(&uid)?;
            st.inv.vxcs[index].cancellation = None;
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "Unknown action {other}: expected CANCEL, CANCEL_NOW or UN_CANCEL"
            )));
        }
    }
    let data = st.vxc_json(&st.inv.vxcs[index], now);
    Ok(ok(
        format!("Action [{action}] Service [{uid}] has been done."),
        data,
    ))
}

/// `GET /v2/product/{uid}/action/CANCEL_NOW/charges`.
pub(crate) async fn cancel_charges(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path(uid): Path<String>,
) -> ApiResult {
    let st = s.lock();
    let now = st.now_ms();
    let index = st.own_vxc(&uid, &caller)?;
    let v = &st.inv.vxcs[index];
    let monthly = price(v.rate_limit, v.term)["monthlyRate"]
        .as_f64()
        .unwrap_or_default();
    let months = st.months_left(index, now);
    #[allow(clippy::cast_precision_loss)] // months of a term
    let total = (monthly * months as f64 * 100.0).round() / 100.0;
    Ok(ok(
        format!("Charges for cancelling {uid} now"),
        json!({
            "productUid": uid, "currency": "USD", "monthlyRate": monthly,
            "remainingMonths": months, "totalCharge": total,
            "contractEndDate": v.created_ms + v.term * MONTH_MS
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceBookBody {
    product_type: String,
    #[serde(default, deserialize_with = "opt_i64")]
    a_location_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    b_location_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    speed: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    term: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

/// `POST /v4/pricebook/product` for a VXC: the same price validate gives for that speed and
/// term, wherever its ends are (the sandbox's prices do not depend on the locations).
pub(crate) async fn pricebook(
    AxState(s): AxState<Arc<Shared>>,
    Caller(_caller): Caller,
    body: Bytes,
) -> ApiResult {
    let b: PriceBookBody = parse_body(&body)?;
    if !b.product_type.eq_ignore_ascii_case("VXC") {
        return Err(ApiError::bad_request(format!(
            "The sandbox prices VXCs only, not {}",
            b.product_type
        )));
    }
    if let Some(currency) = b
        .currency
        .as_deref()
        .filter(|c| !c.eq_ignore_ascii_case("USD"))
    {
        return Err(ApiError::bad_request(format!(
            "Currency {currency} is not available: the sandbox prices in USD"
        )));
    }
    let st = s.lock();
    for (field, id) in [
        ("aLocationId", b.a_location_id),
        ("bLocationId", b.b_location_id),
    ] {
        let id = id.ok_or_else(|| ApiError::bad_request(format!("{field} is required")))?;
        if st.location(id).is_none() {
            return Err(ApiError::bad_request(format!(
                "Unknown location {id} ({field})"
            )));
        }
    }
    let speed = b
        .speed
        .filter(|s| (1..=100_000).contains(s))
        .ok_or_else(|| ApiError::bad_request("speed must be from 1 to 100000 Mbps"))?;
    let term = b.term.unwrap_or(1);
    check_term(term)?;
    let rated = price(speed, term);
    let monthly = rated["monthlyRate"].as_f64().unwrap_or_default();
    let rack = price(speed, 1)["monthlyRate"].as_f64().unwrap_or_default();
    let discount = ((rack - monthly) * 100.0).round() / 100.0;
    let discounts: Vec<Value> = if discount > 0.0 {
        vec![json!({"discountReason": "TERM", "amount": discount})]
    } else {
        Vec::new()
    };
    Ok(ok(
        "Product pricing",
        json!({
            "productType": "VXC", "currency": "USD",
            "monthlyRate": monthly, "monthlyRackRate": rack,
            "prices": [{"chargeReason": "CORE", "frequency": "MONTHLY", "amount": rack}],
            "discounts": discounts
        }),
    ))
}
