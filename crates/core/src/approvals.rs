//! The provider's approval inbox: what Megaport holds for the provider's decision (a VXC bought
//! with a key that is not pre-approved, a buyer's speed or term change), and the rule for a
//! decision that may be a retry.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, ErrorReason};
use crate::onramps::PortRef;

/// What an approval decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApprovalKind {
    NewOrder,
    SpeedChange,
    TermChange,
    /// A type this version does not know.
    Other,
}

impl ApprovalKind {
    pub fn from_megaport(kind: Option<&str>) -> Self {
        match kind.map(|k| k.trim().to_ascii_uppercase()).as_deref() {
            Some("NEW_ORDER") => Self::NewOrder,
            Some("SPEED_CHANGE") => Self::SpeedChange,
            Some("TERM_CHANGE") => Self::TermChange,
            _ => Self::Other,
        }
    }

    /// Megaport's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewOrder => "NEW_ORDER",
            Self::SpeedChange => "SPEED_CHANGE",
            Self::TermChange => "TERM_CHANGE",
            Self::Other => "OTHER",
        }
    }
}

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Expired,
    Failed,
    /// A status this version does not know.
    Other,
}

impl ApprovalStatus {
    pub fn from_megaport(status: Option<&str>) -> Self {
        match status.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
            Some("PENDING") => Self::Pending,
            Some("APPROVED") => Self::Approved,
            Some("REJECTED") => Self::Rejected,
            Some("WITHDRAWN") => Self::Withdrawn,
            Some("EXPIRED") => Self::Expired,
            Some("FAILED") => Self::Failed,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Withdrawn => "WITHDRAWN",
            Self::Expired => "EXPIRED",
            Self::Failed => "FAILED",
            Self::Other => "OTHER",
        }
    }
}

/// One approval, with what onramp knows of the key and customer behind it. Serialised into the
/// inbox's watch history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub uid: String,
    pub kind: ApprovalKind,
    pub status: ApprovalStatus,
    /// The buyer's company name.
    pub requester: String,
    pub vxc_uid: String,
    pub vxc_name: String,
    /// The provider's Port the VXC ends on (uid only when not in the inventory).
    pub port: Option<PortRef>,
    pub service_key: String,
    pub customer_ref: String,
    pub requested_rate_limit_mbps: Option<i64>,
    pub current_rate_limit_mbps: Option<i64>,
    pub requested_term_months: Option<i64>,
    pub current_term_months: Option<i64>,
    pub comment: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub create_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expire_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decide_time: Option<OffsetDateTime>,
}

/// What to do with a decision, given the approval's status now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pending: send it to Megaport.
    Send,
    /// Already decided this way (a retry after the first went through): nothing to send.
    AlreadyDone,
}

/// Whether to approve (`approve`) or reject an approval now `status`: a retry of a decision
/// that went through is done already; any other status is final and refuses the decision.
pub fn decision(uid: &str, status: ApprovalStatus, approve: bool) -> Result<Decision, Error> {
    match (status, approve) {
        (ApprovalStatus::Pending, _) => Ok(Decision::Send),
        (ApprovalStatus::Approved, true) | (ApprovalStatus::Rejected, false) => {
            Ok(Decision::AlreadyDone)
        }
        (status, _) => Err(Error::FailedPrecondition {
            reason: ErrorReason::ApprovalNotPending,
            message: format!(
                "approval {uid} is {}, not pending: it cannot be {}",
                status.as_str().to_lowercase(),
                if approve { "approved" } else { "rejected" }
            ),
        }
        .with_meta("approval_uid", uid)
        .with_meta("status", status.as_str())),
    }
}

/// The customer_refs entry that takes any key onramp knows with a customer_ref.
pub const ANY_KNOWN_CUSTOMER: &str = "*";

/// A rule of the auto-approval policy (config `approvals.auto_approve`): the approvals it takes
/// are approved without waiting for the provider, and each such decision is audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoApproveRule {
    pub name: String,
    pub kinds: Vec<ApprovalKind>,
    /// The customer_refs it takes; [`ANY_KNOWN_CUSTOMER`] takes every non-empty one.
    pub customer_refs: Vec<String>,
    /// The highest rate it approves; None: the key's max speed. Never above the key's max
    /// speed.
    pub max_rate_limit_mbps: Option<i64>,
}

impl AutoApproveRule {
    /// Whether this rule approves `approval`, whose key (if onramp knows it) allows at most
    /// `key_max_speed_mbps`: a pending approval of a kind the rule takes, on a key onramp knows,
    /// for a customer_ref it names, at a rate within the rule's and the key's maximum.
    pub fn takes(&self, approval: &Approval, key_max_speed_mbps: Option<i64>) -> bool {
        let Some(key_max) = key_max_speed_mbps else {
            return false;
        };
        let customer = !approval.customer_ref.is_empty()
            && self
                .customer_refs
                .iter()
                .any(|taken| taken == ANY_KNOWN_CUSTOMER || *taken == approval.customer_ref);
        let limit = self
            .max_rate_limit_mbps
            .map_or(key_max, |max| max.min(key_max));
        let rate = approval
            .requested_rate_limit_mbps
            .or(approval.current_rate_limit_mbps);
        let within = match rate {
            Some(rate) => rate <= limit,
            // A term change keeps the rate; anything else must say what it asks for.
            None => approval.kind == ApprovalKind::TermChange,
        };
        approval.status == ApprovalStatus::Pending
            && self.kinds.contains(&approval.kind)
            && customer
            && within
    }
}

/// The first rule that approves `approval`, if any.
pub fn auto_approval<'a>(
    rules: &'a [AutoApproveRule],
    approval: &Approval,
    key_max_speed_mbps: Option<i64>,
) -> Option<&'a AutoApproveRule> {
    rules
        .iter()
        .find(|rule| rule.takes(approval, key_max_speed_mbps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speed_change(customer_ref: &str, rate: i64) -> Approval {
        Approval {
            uid: "a1".into(),
            kind: ApprovalKind::SpeedChange,
            status: ApprovalStatus::Pending,
            requester: "Acme".into(),
            vxc_uid: "v1".into(),
            vxc_name: "acme".into(),
            port: None,
            service_key: "k1".into(),
            customer_ref: customer_ref.into(),
            requested_rate_limit_mbps: Some(rate),
            current_rate_limit_mbps: Some(100),
            requested_term_months: None,
            current_term_months: Some(12),
            comment: String::new(),
            create_time: None,
            expire_time: None,
            decide_time: None,
        }
    }

    #[test]
    fn a_rule_approves_speed_changes_within_the_keys_max_speed_for_known_customers() {
        let rules = [AutoApproveRule {
            name: "upgrades".into(),
            kinds: vec![ApprovalKind::SpeedChange],
            customer_refs: vec!["acme".into()],
            max_rate_limit_mbps: None,
        }];
        let within = speed_change("acme", 500);
        assert_eq!(
            auto_approval(&rules, &within, Some(1000)).map(|r| r.name.as_str()),
            Some("upgrades")
        );
        assert!(
            auto_approval(&rules, &speed_change("acme", 2000), Some(1000)).is_none(),
            "above the key's max speed"
        );
        assert!(
            auto_approval(&rules, &within, None).is_none(),
            "a key onramp does not know"
        );
        assert!(auto_approval(&rules, &speed_change("globex", 500), Some(1000)).is_none());
        let mut new_order = within.clone();
        new_order.kind = ApprovalKind::NewOrder;
        assert!(
            auto_approval(&rules, &new_order, Some(1000)).is_none(),
            "another kind"
        );
        let mut decided = within.clone();
        decided.status = ApprovalStatus::Approved;
        assert!(
            auto_approval(&rules, &decided, Some(1000)).is_none(),
            "not pending"
        );

        let any = [AutoApproveRule {
            customer_refs: vec![ANY_KNOWN_CUSTOMER.into()],
            max_rate_limit_mbps: Some(200),
            ..rules[0].clone()
        }];
        assert!(auto_approval(&any, &speed_change("globex", 200), Some(1000)).is_some());
        assert!(
            auto_approval(&any, &speed_change("globex", 500), Some(1000)).is_none(),
            "above the rule's maximum"
        );
        assert!(
            auto_approval(&any, &speed_change("", 100), Some(1000)).is_none(),
            "a key without a customer_ref"
        );
    }

    #[test]
    fn a_decision_on_a_pending_approval_is_sent_and_a_repeat_is_done() {
        assert_eq!(
            decision("a", ApprovalStatus::Pending, true).expect("ok"),
            Decision::Send
        );
        assert_eq!(
            decision("a", ApprovalStatus::Approved, true).expect("ok"),
            Decision::AlreadyDone
        );
        assert_eq!(
            decision("a", ApprovalStatus::Rejected, false).expect("ok"),
            Decision::AlreadyDone
        );
        let refused = decision("a", ApprovalStatus::Expired, true).expect_err("final");
        assert_eq!(refused.reason(), ErrorReason::ApprovalNotPending);
        assert_eq!(
            refused.to_string(),
            "approval a is expired, not pending: it cannot be approved"
        );
        assert!(decision("a", ApprovalStatus::Approved, false).is_err());
    }

    #[test]
    fn megaport_words_parse_without_case() {
        assert_eq!(
            ApprovalKind::from_megaport(Some("speed_change")),
            ApprovalKind::SpeedChange
        );
        assert_eq!(
            ApprovalKind::from_megaport(Some("MOVE")),
            ApprovalKind::Other
        );
        assert_eq!(
            ApprovalStatus::from_megaport(Some("Expired")),
            ApprovalStatus::Expired
        );
    }
}
