//! A VXC after purchase, on the buying side: its price at another speed or term, the change,
//! the charges of cancelling it, the cancellation and its undoing.
//!
//! Each is idempotent by its request_id (AIP-155, the rule of `crate::idempotency`): a finished
//! call is journaled with its answer, a replay returns that answer with nothing sent (so a late
//! retry never undoes a later change), and the same request_id with other parameters is
//! REQUEST_ID_REUSED. Under that, each says what the VXC should become (this rate, this term,
//! cancelled, not cancelled), so a retry whose first attempt failed is safe too: a VXC that
//! already is (or already waits for approval to be) what was asked is returned as it is, with
//! nothing sent, and after an answer that may have been lost the VXC is read back to see
//! whether the change happened. Megaport's limit of one update per service per 5 minutes
//! applies (SERVICE_UPDATE_TOO_SOON).

use serde::Serialize;

use super::desk::OrderDesk;
use super::rules::check_rate_and_term;
use super::upstream::{CancelQuote, LifecycleAction, UpstreamFailure};
use super::{Order, OrderVxc, Quote, TERMS, VxcAfter, VxcChange, VxcRequest};
use crate::error::{Error, ErrorReason, FieldViolation};
use crate::idempotency::{ensure_same_request, fingerprint};
use crate::onramps::ProvisioningStatus;

/// What a change, cancellation or un-cancellation answers: the VXC after it, and the order that
/// bought it when onramp did and the call moved it (None on a replay).
#[derive(Debug, Clone, PartialEq)]
pub struct VxcOutcome {
    pub after: VxcAfter,
    pub order: Option<Order>,
}

/// The price of a VXC now and after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeQuote {
    pub current: Quote,
    pub changed: Quote,
    pub rate_limit_mbps: i64,
    pub term_months: i32,
}

// The checks of a change live with the calls that make it: `VxcChange` itself is in `model`,
// below `upstream` (which takes it) and `rules` (which these checks use).
impl VxcChange {
    fn check(self) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        if self == Self::default() {
            violations.push(FieldViolation::new(
                "rate_limit_mbps",
                "set a new rate_limit_mbps, term_months or shutdown (0 or unset keeps the \
                 current one)",
            ));
        }
        // The rules every order follows, for what is changed.
        let rate = self.rate_limit_mbps.unwrap_or(1);
        let term = self.term_months.unwrap_or(TERMS[0]);
        violations.extend(check_rate_and_term(rate, term));
        violations
    }

    /// Whether `vxc` has (or waits for approval of) everything this change asks.
    fn reached_by(self, vxc: &OrderVxc) -> bool {
        self.rate_limit_mbps.is_none_or(|rate| {
            vxc.rate_limit_mbps == rate || vxc.pending_rate_limit_mbps == Some(rate)
        }) && self
            .term_months
            .is_none_or(|term| vxc.term_months == term || vxc.pending_term_months == Some(term))
            && self
                .shutdown
                .is_none_or(|shutdown| vxc.shutdown == shutdown)
    }
}

/// A VXC that is being or has been decommissioned.
fn ended(vxc: &OrderVxc) -> bool {
    matches!(
        vxc.status,
        ProvisioningStatus::Decommissioning | ProvisioningStatus::Decommissioned
    )
}

fn vxc_ended(vxc: &OrderVxc) -> Error {
    Error::FailedPrecondition {
        reason: ErrorReason::VxcEnded,
        message: format!(
            "vxc {} is {}: it can no longer be changed",
            vxc.uid,
            format!("{:?}", vxc.status).to_lowercase()
        ),
    }
    .with_meta("vxc_uid", &vxc.uid)
}

impl OrderDesk {
    /// The VXC's monthly price now, and at the rate and term `change` asks for.
    pub async fn quote_change(
        &self,
        account: &str,
        vxc_uid: &str,
        change: VxcChange,
    ) -> Result<ChangeQuote, Error> {
        let violations = change.check();
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (_, client) = self.account(account)?;
        let deadline = self.deadline();
        let vxc = client.vxc(vxc_uid, deadline).await?;
        let (a, b) = (vxc.a_end.port.location_id, vxc.b_end.port.location_id);
        let rate = change.rate_limit_mbps.unwrap_or(vxc.rate_limit_mbps);
        let term = change.term_months.unwrap_or(vxc.term_months);
        let (current, _) = client
            .price(a, b, vxc.rate_limit_mbps, vxc.term_months.max(1), deadline)
            .await?;
        let (changed, _) = client.price(a, b, rate, term, deadline).await?;
        Ok(ChangeQuote {
            current,
            changed,
            rate_limit_mbps: rate,
            term_months: term,
        })
    }

    /// Changes the VXC's rate, term and/or shutdown; the VXC after it. On another company's
    /// Port a faster rate or another term waits for that company's approval (the VXC then shows
    /// it pending).
    pub async fn change_vxc(
        &self,
        account: &str,
        vxc_uid: &str,
        change: VxcChange,
        request_id: &str,
    ) -> Result<VxcOutcome, Error> {
        let violations = change.check();
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (account, _) = self.account(account)?;
        let parameters = ("change", &account, vxc_uid, change);
        self.once(
            request_id,
            &parameters,
            self.apply_change(&account, vxc_uid, change),
        )
        .await
    }

    async fn apply_change(
        &self,
        account: &str,
        vxc_uid: &str,
        change: VxcChange,
    ) -> Result<OrderVxc, Error> {
        let (_, client) = self.account(account)?;
        let client = client.for_write();
        let deadline = self.deadline();
        let vxc = client.vxc(vxc_uid, deadline).await?;
        if ended(&vxc) {
            return Err(vxc_ended(&vxc));
        }
        if change.reached_by(&vxc) {
            return Ok(vxc);
        }
        if vxc.pending_approval {
            return Err(Error::FailedPrecondition {
                reason: ErrorReason::VxcChangePending,
                message: format!(
                    "vxc {vxc_uid} has a change waiting for the provider's approval; it can \
                     change again once that is decided"
                ),
            }
            .with_meta("vxc_uid", vxc_uid));
        }
        let sent = client.change(vxc_uid, change, deadline).await;
        self.inner.inventory.invalidate_ports().await;
        match sent {
            Ok(after) => Ok(after),
            Err(UpstreamFailure::OutcomeUnknown(error)) => {
                let after = client.vxc(vxc_uid, self.deadline()).await?;
                if change.reached_by(&after) {
                    Ok(after)
                } else {
                    Err(error)
                }
            }
            Err(other) => Err(other.into_error()),
        }
    }

    /// What cancelling the VXC now would cost.
    pub async fn quote_cancellation(
        &self,
        account: &str,
        vxc_uid: &str,
    ) -> Result<CancelQuote, Error> {
        let (_, client) = self.account(account)?;
        Ok(client.cancel_charges(vxc_uid, self.deadline()).await?)
    }

    /// Cancels the VXC at the end of its term (`now` false: CANCELLED until then) or now; the
    /// VXC after it.
    pub async fn cancel_vxc(
        &self,
        account: &str,
        vxc_uid: &str,
        now: bool,
        request_id: &str,
    ) -> Result<VxcOutcome, Error> {
        let (account, _) = self.account(account)?;
        let parameters = ("cancel", &account, vxc_uid, now);
        self.once(request_id, &parameters, self.cancel(&account, vxc_uid, now))
            .await
    }

    async fn cancel(&self, account: &str, vxc_uid: &str, now: bool) -> Result<OrderVxc, Error> {
        let reached =
            |vxc: &OrderVxc| ended(vxc) || (!now && vxc.status == ProvisioningStatus::Cancelled);
        let action = if now {
            LifecycleAction::CancelNow
        } else {
            LifecycleAction::CancelAtTermEnd
        };
        self.lifecycle(account, vxc_uid, action, reached, |_| None)
            .await
    }

    /// Takes back a cancellation at the end of the term; the VXC after it.
    pub async fn uncancel_vxc(
        &self,
        account: &str,
        vxc_uid: &str,
        request_id: &str,
    ) -> Result<VxcOutcome, Error> {
        let (account, _) = self.account(account)?;
        let parameters = ("uncancel", &account, vxc_uid);
        self.once(request_id, &parameters, self.uncancel(&account, vxc_uid))
            .await
    }

    async fn uncancel(&self, account: &str, vxc_uid: &str) -> Result<OrderVxc, Error> {
        let reached = |vxc: &OrderVxc| vxc.status != ProvisioningStatus::Cancelled && !ended(vxc);
        let refused = |vxc: &OrderVxc| ended(vxc).then(|| vxc_ended(vxc));
        self.lifecycle(
            account,
            vxc_uid,
            LifecycleAction::Uncancel,
            reached,
            refused,
        )
        .await
    }

    /// The journaled answer to `request_id`, or `work`'s, journaled. The order that bought the
    /// VXC, if onramp did, shows what `work` did at once.
    async fn once(
        &self,
        request_id: &str,
        parameters: &impl Serialize,
        work: impl std::future::Future<Output = Result<OrderVxc, Error>>,
    ) -> Result<VxcOutcome, Error> {
        let fingerprint = fingerprint(parameters)?;
        if let Some(journaled) = self.store().vxc_request(request_id).await? {
            ensure_same_request(request_id, &journaled.fingerprint, &fingerprint)?;
            return Ok(VxcOutcome {
                after: journaled.after,
                order: None,
            });
        }
        let vxc = work
            .await
            .map_err(|error| error.naming_write("request_id", request_id))?;
        // The change went through whether or not the order could be updated: log, go on.
        let order = self.record_vxc(&vxc).await.unwrap_or_else(|error| {
            tracing::warn!(vxc_uid = %vxc.uid, %error, "order not updated");
            None
        });
        let after = VxcAfter::of(&vxc);
        let journaled = VxcRequest {
            request_id: request_id.to_owned(),
            fingerprint,
            after: after.clone(),
        };
        self.store().insert_vxc_request(&journaled).await?;
        Ok(VxcOutcome { after, order })
    }

    /// Sends `action` unless the VXC has `reached` its goal already, or is `refused`; reads
    /// the VXC back after it (and to settle a lost answer).
    async fn lifecycle(
        &self,
        account: &str,
        vxc_uid: &str,
        action: LifecycleAction,
        reached: impl Fn(&OrderVxc) -> bool,
        refused: impl Fn(&OrderVxc) -> Option<Error>,
    ) -> Result<OrderVxc, Error> {
        let (_, client) = self.account(account)?;
        let client = client.for_write();
        let vxc = client.vxc(vxc_uid, self.deadline()).await?;
        if reached(&vxc) {
            return Ok(vxc);
        }
        if let Some(error) = refused(&vxc) {
            return Err(error);
        }
        let sent = client.lifecycle(vxc_uid, action, self.deadline()).await;
        self.inner.inventory.invalidate_ports().await;
        let after = client.vxc(vxc_uid, self.deadline()).await;
        match (sent, after) {
            (Ok(()), after) => after.map_err(UpstreamFailure::into_error),
            (Err(UpstreamFailure::OutcomeUnknown(error)), Ok(after)) => {
                if reached(&after) {
                    Ok(after)
                } else {
                    Err(error)
                }
            }
            (Err(failure), _) => Err(failure.into_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vxc(rate: i64, term: i32) -> OrderVxc {
        OrderVxc {
            uid: "v".into(),
            name: String::new(),
            status: ProvisioningStatus::Live,
            pending_approval: false,
            pending_rate_limit_mbps: None,
            pending_term_months: None,
            approval_expired: false,
            rate_limit_mbps: rate,
            term_months: term,
            cost_centre: String::new(),
            shutdown: false,
            company_name: String::new(),
            a_end: Default::default(),
            b_end: Default::default(),
            create_time: None,
        }
    }

    #[test]
    fn a_change_is_reached_by_the_vxc_or_its_pending_approval() {
        let faster = VxcChange {
            rate_limit_mbps: Some(500),
            ..VxcChange::default()
        };
        assert!(!faster.reached_by(&vxc(100, 12)));
        assert!(faster.reached_by(&vxc(500, 12)));
        let mut waiting = vxc(100, 12);
        waiting.pending_approval = true;
        waiting.pending_rate_limit_mbps = Some(500);
        assert!(
            faster.reached_by(&waiting),
            "a retry after the change was sent"
        );
        let both = VxcChange {
            rate_limit_mbps: Some(500),
            term_months: Some(24),
            shutdown: None,
        };
        assert!(!both.reached_by(&vxc(500, 12)));
        let shut = VxcChange {
            shutdown: Some(true),
            ..VxcChange::default()
        };
        assert!(!shut.reached_by(&vxc(500, 12)));
    }

    #[test]
    fn a_change_needs_something_valid_to_change() {
        let nothing = VxcChange::default();
        assert_eq!(nothing.check()[0].field, "rate_limit_mbps");
        let bad_term = VxcChange {
            term_months: Some(7),
            ..VxcChange::default()
        };
        assert_eq!(bad_term.check()[0].field, "term_months");
    }
}
