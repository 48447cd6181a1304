//! Megaport's order approvals: what a provider must approve before a VXC to its Port is built
//! (NEW_ORDER, for a key that is not pre-approved) or changed (SPEED_CHANGE, TERM_CHANGE, when the
//! buyer raises the rate or changes the term of a VXC whose B-End another company owns).
//! `GET /v3/order_approvals` with Megaport's paging headers, `POST /v3/order_approvals/{uid}/
//! approve|reject|withdraw` with `{"comments": ...}`, in the shapes megaportgo decodes. A pending
//! approval expires `approval_ttl` after it was made (on the sandbox clock; Megaport does not
//! document its TTL, so the sandbox assumes 7 days by default): an expired NEW_ORDER leaves its
//! VXC decommissioned, an expired change leaves the VXC as it was.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::caller::Caller;
use super::envelope::{ApiError, ok, parse_body, query_first, query_pairs};
use super::records::{ApprovalKind, ApprovalStatus, OrderApproval};
use super::shared::Shared;
use super::state::{Approval, State};

impl State {
    /// Records a pending approval for `vxc_uid`; returns its uid.
    pub(crate) fn request_approval(
        &mut self,
        kind: ApprovalKind,
        vxc_uid: &str,
        rate_limit: i64,
        term: i64,
    ) -> String {
        let now = self.now_ms();
        let id = self.inv.fresh_id();
        let (approver, requester) = match self.inv.vxc(vxc_uid) {
            Some(v) => (
                self.inv
                    .port(&v.b_port)
                    .map(|p| p.company_uid.clone())
                    .unwrap_or_default(),
                v.company_uid.clone(),
            ),
            None => (String::new(), String::new()),
        };
        let uid = uuid::Uuid::new_v4().to_string();
        self.approvals.push(OrderApproval {
            uid: uid.clone(),
            id,
            kind,
            status: ApprovalStatus::Pending,
            vxc_uid: vxc_uid.to_owned(),
            approver_company_uid: approver,
            requester_company_uid: requester,
            rate_limit,
            term,
            comment: String::new(),
            create_ms: now,
            expires_ms: now + i64::try_from(self.approval_ttl.as_millis()).unwrap_or(i64::MAX),
            decided_ms: None,
        });
        uid
    }

    /// The pending approval of a VXC, if any (at most one at a time).
    pub(crate) fn pending_approval(&self, vxc_uid: &str) -> Option<&OrderApproval> {
        self.approvals
            .iter()
            .find(|a| a.vxc_uid == vxc_uid && a.status == ApprovalStatus::Pending)
    }

    /// Expires the pending approvals whose time has passed (run on every request, under the
    /// lock, so every answer sees the same clock).
    pub(crate) fn expire_approvals(&mut self) {
        let now = self.now_ms();
        let expired: Vec<usize> = (0..self.approvals.len())
            .filter(|&i| {
                let a = &self.approvals[i];
                a.status == ApprovalStatus::Pending && now >= a.expires_ms
            })
            .collect();
        for i in expired {
            let expires_ms = self.approvals[i].expires_ms;
            self.settle(i, ApprovalStatus::Expired, "", expires_ms);
        }
    }

    /// Ends approval `index` with `status` and applies its effect to the VXC.
    fn settle(&mut self, index: usize, status: ApprovalStatus, comment: &str, at_ms: i64) {
        let approval = &mut self.approvals[index];
        approval.status = status;
        approval.comment = comment.to_owned();
        approval.decided_ms = Some(at_ms);
        let (kind, vxc_uid, rate_limit, term) = (
            approval.kind,
            approval.vxc_uid.clone(),
            approval.rate_limit,
            approval.term,
        );
        let Some(vxc) = self.inv.vxcs.iter_mut().find(|v| v.uid == vxc_uid) else {
            return;
        };
        match (kind, status) {
            (ApprovalKind::NewOrder, ApprovalStatus::Approved) => {
                vxc.approval = Approval::Approved;
                vxc.provisioning_from_ms = at_ms;
            }
            (ApprovalKind::NewOrder, _) => vxc.approval = Approval::Rejected,
            (ApprovalKind::SpeedChange, ApprovalStatus::Approved) => vxc.rate_limit = rate_limit,
            (ApprovalKind::TermChange, ApprovalStatus::Approved) => vxc.term = term,
            _ => {}
        }
    }

    /// Decides the pending approval of a VXC as its B-End owner (`PUT /v3/product/vxc` with
    /// `isApproved`, or `approve`/`reject` here).
    pub(crate) fn decide_approval(
        &mut self,
        approval_uid: &str,
        caller: &str,
        action: &str,
        comment: &str,
    ) -> Result<Value, ApiError> {
        let index = self
            .approvals
            .iter()
            .position(|a| a.uid == approval_uid)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("Could not find order approval {approval_uid}"),
                )
            })?;
        let approval = &self.approvals[index];
        let (status, allowed) = match action {
            "approve" => (ApprovalStatus::Approved, &approval.approver_company_uid),
            "reject" => (ApprovalStatus::Rejected, &approval.approver_company_uid),
            "withdraw" => (ApprovalStatus::Withdrawn, &approval.requester_company_uid),
            other => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("Unknown order approval action {other}"),
                ));
            }
        };
        if allowed != caller {
            return Err(ApiError::forbidden(format!(
                "You do not have permission to {action} order approval {approval_uid}"
            )));
        }
        if approval.status != ApprovalStatus::Pending {
            return Err(ApiError::bad_request(format!(
                "Order approval {approval_uid} is not pending: it is {}",
                approval.status.as_str()
            )));
        }
        if comment.chars().count() > 500 {
            return Err(ApiError::bad_request(
                "comments must be at most 500 characters",
            ));
        }
        let now = self.now_ms();
        self.settle(index, status, comment, now);
        Ok(self.approval_json(&self.approvals[index]))
    }

    pub(crate) fn approval_json(&self, a: &OrderApproval) -> Value {
        let requester = self.company(&a.requester_company_uid);
        let approver = self.company(&a.approver_company_uid);
        let vxc = self.inv.vxc(&a.vxc_uid);
        json!({
            "uid": a.uid, "id": a.id,
            "referenceId": format!("ORD-{}-{}", vxc.map_or(0, |v| v.id), a.id),
            "status": a.status.as_str(), "type": a.kind.as_str(),
            "active": a.status == ApprovalStatus::Pending,
            "acctName": requester.map(|c| c.name.clone()),
            "acctRef": requester.map(|c| c.uid.clone()),
            "approverCompanyId": approver.map(|c| c.id),
            "requesterCompanyId": requester.map(|c| c.id),
            "serviceId": vxc.map(|v| v.id),
            "comment": a.comment,
            "createDate": a.create_ms,
            "expiryDate": a.expires_ms,
            "decisionDate": a.decided_ms,
            "detail": {
                "type": a.kind.as_str(), "origin": "API",
                "userName": requester.map(|c| format!("api@{}", c.name.to_lowercase())),
                "requesterCompanyId": requester.map(|c| c.id),
                "productRequest": [{
                    "productUid": a.vxc_uid, "productName": vxc.map(|v| v.name.clone()),
                    "productType": "VXC", "rateLimit": a.rate_limit, "term": a.term,
                    "aEndProductUid": vxc.map(|v| v.a_port.clone()),
                    "bEndProductUid": vxc.map(|v| v.b_port.clone()),
                    "currentRateLimit": vxc.map(|v| v.rate_limit),
                    "currentTerm": vxc.map(|v| v.term)
                }]
            }
        })
    }
}

/// `GET /v3/order_approvals?status=&serviceIds=1,2&pageNumber=&pageSize=&sort=&direction=`:
/// the approvals the caller decides or asked for, newest first by default.
pub(crate) async fn list(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let status = match query_first(&pairs, "status") {
        None => None,
        Some(asked) => Some(
            ApprovalStatus::ALL
                .into_iter()
                .find(|s| s.as_str().eq_ignore_ascii_case(asked.trim()))
                .ok_or_else(|| ApiError::bad_request(format!("Invalid status {asked}")))?,
        ),
    };
    let service_ids: Vec<i64> = match query_first(&pairs, "serviceIds") {
        None => Vec::new(),
        Some(ids) => ids
            .split(',')
            .filter(|id| !id.trim().is_empty())
            .map(|id| {
                id.trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("Invalid service id {id}")))
            })
            .collect::<Result<_, _>>()?,
    };
    let number = |key: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match query_first(&pairs, key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::bad_request(format!("{key} must be from 1 to {max}"))),
        }
    };
    let page = number("pageNumber", 1, usize::MAX)?;
    let size = number("pageSize", 20, 100)?;
    let ascending = match query_first(&pairs, "direction") {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => true,
        Some(d) if d.eq_ignore_ascii_case("desc") => false,
        Some(d) => return Err(ApiError::bad_request(format!("Invalid direction {d}"))),
    };
    let st = s.lock();
    let mut matching: Vec<_> = st
        .approvals
        .iter()
        .filter(|a| a.approver_company_uid == caller || a.requester_company_uid == caller)
        .filter(|a| status.is_none_or(|status| a.status == status))
        .filter(|a| {
            service_ids.is_empty()
                || st
                    .inv
                    .vxc(&a.vxc_uid)
                    .is_some_and(|v| service_ids.contains(&v.id))
        })
        .collect();
    matching.sort_by_key(|a| (a.create_ms, a.id));
    if !ascending {
        matching.reverse();
    }
    let total = matching.len();
    let data: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|a| st.approval_json(a))
        .collect();
    let mut response = ok(format!("Found {total} order approvals"), Value::Array(data));
    let headers = response.headers_mut();
    for (name, value) in [
        ("Pagination-Total-Count", total),
        ("Pagination-Page", page),
        ("Pagination-Limit", size),
        ("Pagination-Total-Page", total.div_ceil(size)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
struct ActionBody {
    #[serde(default)]
    comments: Option<String>,
}

/// `POST /v3/order_approvals/{uid}/approve|reject|withdraw`.
pub(crate) async fn act(
    AxState(s): AxState<Arc<Shared>>,
    Caller(caller): Caller,
    Path((uid, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        parse_body(&body)?
    };
    let action = action.to_ascii_lowercase();
    let mut st = s.lock();
    let data = st.decide_approval(
        &uid,
        &caller,
        &action,
        body.comments.as_deref().unwrap_or(""),
    )?;
    Ok(ok(format!("Order approval {uid}: {action} done"), data))
}
