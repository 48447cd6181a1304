//! The exactly-once VXC buy over Megaport.
//!
//! Exactly once, per `request_id`:
//! 1. Local checks, then Megaport's validate. A request refused there is not journaled.
//! 2. The journal row is inserted (JOURNALED) and moved to SUBMITTING by a compare-and-set update,
//!    both committed before the buy POST; the request_id travels on the VXC as a resource tag.
//! 3. A definite answer records the VXC (or FAILED). An unknown outcome (reset, timeout, 5xx after
//!    send, or a crash that leaves SUBMITTING behind) is reconciled by reading the A-end Port's
//!    `associatedVxcs` fresh and each unclaimed VXC's tags, looking for the stamped request_id.
//! 4. Only a later retry of the same request_id may buy again, and only once reconciliation has
//!    shown that no stamped VXC exists and `rebuy_grace` has passed since the last attempt.
//!
//! All work for one request_id runs under a per-request_id lock in a spawned task, so a client that
//! hangs up cannot cancel it halfway and two concurrent calls cannot both buy.
//!
//! # Layout
//! - `rules`: the pure checks and mappings (spec, key, VXC state, Megaport's refusals).
//! - `desk`: [`OrderDesk`]: accounts, key lookup, validate, follow an order, approval.
//! - `buy`: steps 1-3 above: journal, claim, send the buy once, record the answer.
//! - `reconcile`: steps 3-4 for an unknown outcome: find the stamped VXC, or buy again.
//! - `upstream`: [`OrderUpstream`], the Megaport calls all of the above make.
//! - this file: the mapping of Megaport's bodies to the order types of `onramp_core::orders`.

mod buy;
mod desk;
mod reconcile;
mod rules;
mod upstream;

#[cfg(test)]
mod exactly_once;

use megaport::models::{Price, Product, VxcEnd};
pub use onramp_core::orders::*;

pub use desk::OrderDesk;
pub use rules::{check_spec, key_unusable, observe};
pub use upstream::OrderUpstream;

/// Ports as Megaport's order and VXC bodies name them.
pub(crate) fn port_ref_of_product(product: &Product) -> PortRef {
    let detail = product.location_detail.clone().unwrap_or_default();
    PortRef {
        uid: product.product_uid.clone(),
        name: product.product_name.clone().unwrap_or_default(),
        company_name: product.company_name.clone().unwrap_or_default(),
        location_id: product
            .location_id
            .and_then(|id| i32::try_from(id).ok())
            .unwrap_or_default(),
        location_name: detail
            .name
            .or_else(|| product.location.clone())
            .unwrap_or_default(),
        metro: detail.metro.unwrap_or_default(),
        country: detail.country.unwrap_or_default(),
        market: product.market.clone().unwrap_or_default(),
    }
}

pub(crate) fn port_ref_of_vxc_end(end: &VxcEnd) -> PortRef {
    let detail = end.location_detail.clone().unwrap_or_default();
    PortRef {
        uid: end.product_uid.clone().unwrap_or_default(),
        name: end.product_name.clone().unwrap_or_default(),
        company_name: String::new(),
        location_id: end
            .location_id
            .and_then(|id| i32::try_from(id).ok())
            .unwrap_or_default(),
        location_name: detail
            .name
            .or_else(|| end.location.clone())
            .unwrap_or_default(),
        metro: detail.metro.unwrap_or_default(),
        country: detail.country.unwrap_or_default(),
        market: String::new(),
    }
}

pub(crate) fn quote_of_price(price: &Price) -> Quote {
    Quote {
        currency: price.currency.clone().unwrap_or_default(),
        monthly_rate: decimal(price.monthly_rate),
        monthly_setup: decimal(price.monthly_setup),
        hourly_rate: decimal(price.hourly_rate),
        mbps_rate: decimal(price.mbps_rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec every local rule accepts; the submodules' tests build their cases from it.
    pub(super) fn spec() -> OrderSpec {
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
}
