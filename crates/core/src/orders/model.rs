//! The order types and limits every part of `orders` shares: the spec, the states, prices, the
//! VXC as an order follows it, and the journal's records.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;
use crate::error::ErrorReason;
use crate::onramps::{PortRef, ProvisioningStatus};

/// Contract terms Megaport sells a VXC for.
pub const TERMS: [i32; 4] = [1, 12, 24, 36];
pub const NAME_MAX_CHARS: usize = 64;
pub const COST_CENTRE_MAX_CHARS: usize = 255;
pub const PROMO_CODE_MAX_CHARS: usize = 100;

/// What a customer orders. The B-end comes from the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    pub service_key: String,
    pub a_end_port_uid: String,
    pub a_end_vlan: i32,
    pub rate_limit_mbps: i64,
    pub term_months: i32,
    pub name: String,
    pub cost_centre: String,
    pub shutdown: bool,
    pub promo_code: String,
}

/// Where an order stands (VxcOrderState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    Journaled,
    Submitting,
    OutcomeUnknown,
    AwaitingApproval,
    Deployable,
    Configured,
    Live,
    Rejected,
    Failed,
    Cancelled,
    /// The key's owner did not decide before the approval expired.
    Expired,
    /// Live, with a change of rate or term waiting for the key's owner.
    ChangeAwaitingApproval,
    /// Cancelled at the end of its term; live until then.
    Cancelling,
    /// A VXC that was live is being taken down.
    Decommissioning,
    /// A VXC that was live has ended.
    Decommissioned,
}

impl OrderState {
    pub const ALL: [OrderState; 15] = [
        Self::Journaled,
        Self::Submitting,
        Self::OutcomeUnknown,
        Self::AwaitingApproval,
        Self::Deployable,
        Self::Configured,
        Self::Live,
        Self::Rejected,
        Self::Failed,
        Self::Cancelled,
        Self::Expired,
        Self::ChangeAwaitingApproval,
        Self::Cancelling,
        Self::Decommissioning,
        Self::Decommissioned,
    ];

    /// The name kept in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Journaled => "JOURNALED",
            Self::Submitting => "SUBMITTING",
            Self::OutcomeUnknown => "OUTCOME_UNKNOWN",
            Self::AwaitingApproval => "AWAITING_APPROVAL",
            Self::Deployable => "DEPLOYABLE",
            Self::Configured => "CONFIGURED",
            Self::Live => "LIVE",
            Self::Rejected => "REJECTED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::ChangeAwaitingApproval => "CHANGE_AWAITING_APPROVAL",
            Self::Cancelling => "CANCELLING",
            Self::Decommissioning => "DECOMMISSIONING",
            Self::Decommissioned => "DECOMMISSIONED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }

    /// An order in a terminal state never changes again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Failed | Self::Cancelled | Self::Expired | Self::Decommissioned
        )
    }

    /// Megaport has the VXC (it accepted the buy).
    pub fn is_accepted(self) -> bool {
        !matches!(
            self,
            Self::Journaled | Self::Submitting | Self::OutcomeUnknown | Self::Failed
        )
    }

    /// The VXC has been live: what happens to it now is its life after LIVE.
    pub fn has_been_live(self) -> bool {
        matches!(
            self,
            Self::Live
                | Self::ChangeAwaitingApproval
                | Self::Cancelling
                | Self::Decommissioning
                | Self::Decommissioned
        )
    }
}

/// Megaport's price, as decimal strings in major units (no binary rounding on the way out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub currency: String,
    pub monthly_rate: String,
    pub monthly_setup: String,
    pub hourly_rate: String,
    pub mbps_rate: String,
}

impl Quote {
    /// No price known (a VXC ordered outside onramp): every amount "0".
    pub fn unknown() -> Self {
        Self {
            currency: String::new(),
            monthly_rate: decimal(None),
            monthly_setup: decimal(None),
            hourly_rate: decimal(None),
            mbps_rate: decimal(None),
        }
    }
}

/// The shortest decimal that reads back as Megaport's JSON number; "0" when absent.
pub fn decimal(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() && value != 0.0 => format!("{value}"),
        _ => "0".to_owned(),
    }
}

/// One end of a VXC: the Port and the VLAN there (None when untagged or unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VxcEnd {
    pub port: PortRef,
    pub vlan: Option<i32>,
}

/// A VXC as an order follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderVxc {
    pub uid: String,
    pub name: String,
    pub status: ProvisioningStatus,
    /// Waiting for the key owner's approval (a key that is not pre-approved, or a change).
    pub pending_approval: bool,
    /// The rate and term a pending change asks for, when Megaport says.
    pub pending_rate_limit_mbps: Option<i64>,
    pub pending_term_months: Option<i32>,
    /// The approval expired before the key's owner decided.
    pub approval_expired: bool,
    pub rate_limit_mbps: i64,
    pub term_months: i32,
    pub cost_centre: String,
    pub shutdown: bool,
    /// The company that ordered (and pays for) the VXC.
    pub company_name: String,
    pub a_end: VxcEnd,
    pub b_end: VxcEnd,
    pub create_time: Option<OffsetDateTime>,
}

/// A VXC as its order last saw it in Megaport: what may change after LIVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxcSnapshot {
    pub status: ProvisioningStatus,
    pub rate_limit_mbps: i64,
    pub term_months: i32,
    pub shutdown: bool,
    /// Waiting for the key owner's approval (the VXC itself, or a change of it).
    pub pending_approval: bool,
    pub pending_rate_limit_mbps: Option<i64>,
    pub pending_term_months: Option<i32>,
}

impl VxcSnapshot {
    pub fn of(vxc: &OrderVxc) -> Self {
        Self {
            status: vxc.status,
            rate_limit_mbps: vxc.rate_limit_mbps,
            term_months: vxc.term_months,
            shutdown: vxc.shutdown,
            pending_approval: vxc.pending_approval,
            pending_rate_limit_mbps: vxc.pending_rate_limit_mbps,
            pending_term_months: vxc.pending_term_months,
        }
    }
}

/// A VXC as a change, cancellation or un-cancellation left it: what the call answers, and what
/// a replay of its request_id answers again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxcAfter {
    pub uid: String,
    pub name: String,
    pub vxc: VxcSnapshot,
}

impl VxcAfter {
    pub fn of(vxc: &OrderVxc) -> Self {
        Self {
            uid: vxc.uid.clone(),
            name: vxc.name.clone(),
            vxc: VxcSnapshot::of(vxc),
        }
    }
}

/// A change to a VXC's rate, term and/or shutdown; None keeps what the VXC has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VxcChange {
    pub rate_limit_mbps: Option<i64>,
    pub term_months: Option<i32>,
    pub shutdown: Option<bool>,
}

/// A change, cancellation or un-cancellation as journaled by its request_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxcRequest {
    pub request_id: String,
    /// The request's parameters ([`crate::idempotency::fingerprint`]).
    pub fingerprint: String,
    pub after: VxcAfter,
}

/// One order in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Empty for a VXC ordered outside onramp (approval of a foreign VXC).
    pub order_id: String,
    pub request_id: String,
    pub account: String,
    pub spec: OrderSpec,
    pub state: OrderState,
    pub vxc_uid: Option<String>,
    pub a_end: PortRef,
    pub b_end: PortRef,
    pub a_end_vlan: i32,
    pub b_end_vlan: i32,
    pub price: Quote,
    /// The key owner's company: who must approve while AWAITING_APPROVAL.
    pub approver: String,
    pub state_message: String,
    pub error_reason: ErrorReason,
    pub buy_attempts: i64,
    /// The VXC as last observed; None until Megaport reported it.
    pub vxc: Option<VxcSnapshot>,
    pub create_time: OffsetDateTime,
    pub update_time: OffsetDateTime,
}

impl Order {
    pub fn awaiting_approval_from(&self) -> &str {
        if matches!(
            self.state,
            OrderState::AwaitingApproval | OrderState::ChangeAwaitingApproval
        ) {
            &self.approver
        } else {
            ""
        }
    }

    /// The error a replay of a FAILED order returns: the stored failure, as the first call saw it.
    pub fn stored_failure(&self) -> Error {
        Error::FailedPrecondition {
            reason: self.error_reason,
            message: self.state_message.clone(),
        }
        .with_meta("order_id", &self.order_id)
    }
}

/// Tunables of the order desk (config `orders.*`).
#[derive(Debug, Clone)]
pub struct OrderSettings {
    /// How often WatchVxcOrder polls Megaport for the VXC.
    pub poll_interval: Duration,
    /// Budget for the Megaport calls of one RPC.
    pub upstream_timeout: Duration,
    /// After an unknown outcome, how long reconciliation must wait since the last buy before an
    /// absent VXC counts as proof that the buy did not happen (Megaport may list a new VXC late).
    pub rebuy_grace: Duration,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            upstream_timeout: Duration::from_secs(30),
            rebuy_grace: Duration::from_secs(5),
        }
    }
}

/// What ValidateVxcOrder answers, and what CreateVxcOrder journals.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub price: Quote,
    pub a_end: PortRef,
    pub b_end: PortRef,
    pub a_end_vlan: i32,
    pub b_end_vlan: i32,
    pub approval_required: bool,
    pub approver: String,
}

/// A price for a prospect: a VXC from a location to one of the provider's on-ramps.
#[derive(Debug, Clone, PartialEq)]
pub struct ProspectQuote {
    pub price: Quote,
    /// The monthly rate before discounts.
    pub monthly_rack_rate: String,
    pub on_ramp: PortRef,
}

/// What a customer may see of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLookup {
    pub key: String,
    pub on_ramp: PortRef,
    pub max_speed_mbps: i64,
    pub single_use: bool,
    pub pre_approved: bool,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
    pub unusable: Option<Unusable>,
}

/// A filter of ListVxcOrders.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Orders of these accounts only (a request's filter, narrowed to the caller's binding);
    /// `None`: every account.
    pub accounts: Option<Vec<String>>,
    pub state: Option<OrderState>,
}

/// Which VXC an approval is about.
#[derive(Debug, Clone)]
pub enum ApprovalTarget {
    OrderId(String),
    VxcUid(String),
}

/// Why a key cannot be used now, if it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub reason: ErrorReason,
    pub message: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A spec every local rule accepts; the submodules' tests build their cases from it.
    pub(crate) fn spec() -> OrderSpec {
        OrderSpec {
            service_key: "106e38ae-eb59-415f-ac81-526a5299851d".into(),
            a_end_port_uid: "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a".into(),
            a_end_vlan: 0,
            rate_limit_mbps: 100,
            term_months: 12,
            name: "acme to quantumgpu".into(),
            ..OrderSpec::default()
        }
    }

    /// A journaled order of [`spec`].
    pub(crate) fn order() -> Order {
        let now = OffsetDateTime::now_utc();
        Order {
            order_id: "o".into(),
            request_id: "r".into(),
            account: "acme".into(),
            spec: spec(),
            state: OrderState::Journaled,
            vxc_uid: None,
            a_end: PortRef::default(),
            b_end: PortRef::default(),
            a_end_vlan: 0,
            b_end_vlan: 0,
            price: Quote::unknown(),
            approver: "QuantumGPU".into(),
            state_message: String::new(),
            error_reason: ErrorReason::Unspecified,
            buy_attempts: 0,
            vxc: None,
            create_time: now,
            update_time: now,
        }
    }

    #[test]
    fn prices_are_shortest_decimals() {
        assert_eq!(decimal(Some(45.0)), "45");
        assert_eq!(decimal(Some(0.2)), "0.2");
        assert_eq!(decimal(Some(1.45)), "1.45");
        assert_eq!(decimal(None), "0");
        assert_eq!(decimal(Some(f64::NAN)), "0");
    }
}
