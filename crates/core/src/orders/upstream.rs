//! What an order needs of Megaport under one account, in the domain's own terms. The server
//! implements it over the Megaport client, turning wire models into these types and Megaport's
//! errors into [`UpstreamFailure`]; unit tests implement it with fakes.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::{OrderSpec, OrderVxc, Quote, VxcChange};
use crate::error::Error;
use crate::keys::UpstreamKey;
use crate::onramps::Port;

/// A cancellation or its undoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleAction {
    /// At the end of the contract term.
    CancelAtTermEnd,
    CancelNow,
    Uncancel,
}

impl LifecycleAction {
    /// Megaport's action name.
    pub fn as_megaport(self) -> &'static str {
        match self {
            Self::CancelAtTermEnd => "CANCEL",
            Self::CancelNow => "CANCEL_NOW",
            Self::Uncancel => "UN_CANCEL",
        }
    }
}

/// What cancelling a VXC now costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelQuote {
    pub currency: String,
    /// A decimal string, like a [`Quote`]'s amounts.
    pub total_charge: String,
    pub remaining_months: i64,
    pub contract_end_time: Option<OffsetDateTime>,
}

/// A Port of the ordering account, with Megaport's numeric id for it (`nServiceId`), which its
/// refusal messages use instead of the uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPort {
    pub port: Port,
    pub service_id: Option<i64>,
}

/// An order as Megaport takes it: the spec, the key, the B-end Port the key names, and, for a
/// buy, the request id to stamp on the VXC.
#[derive(Debug, Clone, Copy)]
pub struct VxcBuy<'a> {
    pub spec: &'a OrderSpec,
    pub service_key: &'a str,
    pub b_end_port_uid: &'a str,
    pub request_id: Option<&'a str>,
}

/// Megaport's answer to a buy it accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuyAccepted {
    /// The new VXC; None when the answer did not say (the outcome is then unknown).
    pub vxc_uid: Option<String>,
    pub awaiting_approval: bool,
    pub a_end_vlan: Option<i32>,
    pub b_end_vlan: Option<i32>,
}

/// What Megaport's refusal of an order named, when it named something onramp maps to a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A VLAN is taken on one end; `service_id` is the Port's numeric id (Megaport's
    /// `nServiceId`) when the message gave it.
    VlanInUse {
        vlan: i64,
        service_id: Option<i64>,
    },
    KeyNotFound,
    KeyExpired,
    KeyInactive,
    KeyNotYetValid,
    KeyUsed,
    /// Anything else: the error is the upstream's own.
    Other,
}

/// Why a call failed, as far as the exactly-once buy needs to know. Each carries the domain
/// error a caller would see.
#[derive(Debug)]
pub enum UpstreamFailure {
    /// Megaport refused the request (4xx): nothing was done.
    Refused { error: Error, refusal: Refusal },
    /// The object is not there, or not visible to this account.
    NotFound(Error),
    /// Not acted on, provably: throttled, unavailable, timed out before sending, unauthorised.
    NotSent(Error),
    /// The request may have reached Megaport and its answer was lost or unreadable.
    OutcomeUnknown(Error),
}

impl UpstreamFailure {
    /// The error a caller sees.
    pub fn into_error(self) -> Error {
        match self {
            Self::Refused { error, .. }
            | Self::NotFound(error)
            | Self::NotSent(error)
            | Self::OutcomeUnknown(error) => error,
        }
    }
}

impl From<UpstreamFailure> for Error {
    fn from(failure: UpstreamFailure) -> Self {
        failure.into_error()
    }
}

/// The Megaport calls an order makes, under one account.
#[async_trait]
pub trait OrderUpstream: Send + Sync + 'static {
    /// This account as a write uses it: every call, reads included, is part of the write, so an
    /// adapter may send them ahead of other work (onramp's Megaport budget does). A buy runs in
    /// a task of its own, which inherits nothing from the caller's, hence the explicit handle.
    fn for_write(self: Arc<Self>) -> Arc<dyn OrderUpstream>;
    /// The account's Ports (an order's A-end must be one of them).
    async fn ports(&self, deadline: Instant) -> Result<Vec<AccountPort>, UpstreamFailure>;
    /// One Port read fresh (not from a cache), with the VXCs on it.
    async fn port(&self, uid: &str, deadline: Instant) -> Result<AccountPort, UpstreamFailure>;
    async fn vxc(&self, uid: &str, deadline: Instant) -> Result<OrderVxc, UpstreamFailure>;
    /// Every VXC on the account's Ports, from one listing (Megaport's products listing carries
    /// them), so many orders are followed for the price of one request. A VXC that has ended
    /// is not listed.
    async fn vxcs(&self, deadline: Instant) -> Result<Vec<OrderVxc>, UpstreamFailure>;
    /// The request id stamped on a VXC at order time, if any.
    async fn stamped_request_id(
        &self,
        vxc_uid: &str,
        deadline: Instant,
    ) -> Result<Option<String>, UpstreamFailure>;
    async fn service_key(
        &self,
        key: &str,
        deadline: Instant,
    ) -> Result<UpstreamKey, UpstreamFailure>;
    /// Megaport's validate: its price for the order.
    async fn validate(
        &self,
        order: VxcBuy<'_>,
        deadline: Instant,
    ) -> Result<Quote, UpstreamFailure>;
    /// Sent at most once per call: an answer that may have been lost is `OutcomeUnknown`.
    async fn buy(
        &self,
        order: VxcBuy<'_>,
        deadline: Instant,
    ) -> Result<BuyAccepted, UpstreamFailure>;
    /// Megaport's pricebook for a VXC between two locations, with no Port or key: the price,
    /// and the monthly rate before discounts.
    async fn price(
        &self,
        a_location_id: i32,
        b_location_id: i32,
        rate_limit_mbps: i64,
        term_months: i32,
        deadline: Instant,
    ) -> Result<(Quote, String), UpstreamFailure>;
    /// Changes a VXC's rate, term and/or shutdown (an update: one per service per 5 minutes);
    /// the VXC after it (a faster rate or another term on another company's Port waits for its
    /// approval).
    async fn change(
        &self,
        vxc_uid: &str,
        change: VxcChange,
        deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure>;
    /// Cancels (at the end of the term, or now) or un-cancels a VXC.
    async fn lifecycle(
        &self,
        vxc_uid: &str,
        action: LifecycleAction,
        deadline: Instant,
    ) -> Result<(), UpstreamFailure>;
    /// What cancelling a VXC now would cost.
    async fn cancel_charges(
        &self,
        vxc_uid: &str,
        deadline: Instant,
    ) -> Result<CancelQuote, UpstreamFailure>;
    /// The key owner's decision on a VXC waiting for approval; returns the VXC after it.
    async fn decide(
        &self,
        vxc_uid: &str,
        approve: bool,
        deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure>;
}
