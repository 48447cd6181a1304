//! VXC orders bought with a service key: the local rules (checked before anything is sent), the
//! order state machine, and the exactly-once buy.
//!
//! Exactly once, per `request_id`:
//! 1. Local checks, then Megaport's validate. A request refused there is not journaled.
//! 2. The journal row is inserted (JOURNALED) and moved to SUBMITTING by a compare-and-set update,
//!    both committed before the buy POST; the request_id travels on the VXC as a resource tag.
//! 3. A definite answer records the VXC (or FAILED). An unknown outcome (reset, timeout, 5xx after
//!    send, or a crash that leaves SUBMITTING behind) is reconciled by reading the A-end Port's
//!    VXCs fresh and each unclaimed VXC's stamp, looking for the request_id.
//! 4. Only a later retry of the same request_id may buy again, and only once reconciliation has
//!    shown that no stamped VXC exists and `rebuy_grace` has passed since the last attempt.
//!
//! All work for one request_id runs under a per-request_id lock in a spawned task, so a client that
//! hangs up cannot cancel it halfway and two concurrent calls cannot both buy.
//!
//! # Layout
//! - `model`: the order types and limits every part shares (this file only re-exports, so that
//!   the parts depend on `model` and not on each other through here).
//! - `rules`: the pure checks and mappings (spec, key, VXC state, Megaport's refusals).
//! - `desk`: [`OrderDesk`]: accounts, key lookup, validate, follow an order, approval.
//! - `buy`: steps 1-3 above: journal, claim, send the buy once, record the answer.
//! - `reconcile`: steps 3-4 for an unknown outcome: find the stamped VXC, or buy again.
//! - `upstream`: [`OrderUpstream`], the Megaport calls all of the above make, in domain terms.

mod buy;
mod desk;
mod lifecycle;
mod model;
mod reconcile;
mod rules;
mod upstream;

pub use desk::{OrderDesk, OrderTotals, order_not_found};
pub use lifecycle::{ChangeQuote, VxcOutcome};
pub use model::{
    ApprovalTarget, COST_CENTRE_MAX_CHARS, KeyLookup, NAME_MAX_CHARS, Order, OrderFilter,
    OrderSettings, OrderSpec, OrderState, OrderVxc, PROMO_CODE_MAX_CHARS, ProspectQuote, Quote,
    TERMS, Unusable, Validated, VxcAfter, VxcChange, VxcEnd, VxcRequest, VxcSnapshot, decimal,
};
pub use rules::{check_spec, key_unusable, observe, transition_message};
pub use upstream::{
    AccountPort, BuyAccepted, CancelQuote, LifecycleAction, OrderUpstream, Refusal,
    UpstreamFailure, VxcBuy,
};

pub use crate::onramps::PortRef;
