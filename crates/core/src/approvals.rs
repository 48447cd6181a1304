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

#[cfg(test)]
mod tests {
    use super::*;

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
