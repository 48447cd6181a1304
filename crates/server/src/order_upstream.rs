//! [`OrderUpstream`] over the Megaport client, for any configured account: Megaport's order,
//! VXC, key and price bodies become the domain's order types, and its errors become
//! [`UpstreamFailure`]s that say whether a buy may have happened. The request id travels on the
//! VXC as a resource tag, and Megaport's refusal messages are read here, where their wording is
//! known. Every call is cut to the gRPC caller's deadline when it runs for one (see
//! `call_context`).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::adapters::{port, upstream_key};
use crate::call_context::cap;
use megaport::models::{self, OrderEnd, ResourceTag, VxcOrderConfig, VxcOrderItem};
use megaport::{MegaportClient, MegaportError, Priority};
use onramp_core::keys::UpstreamKey;
use onramp_core::onramps::{PortRef, ProvisioningStatus};
use onramp_core::orders::{
    AccountPort, BuyAccepted, CancelQuote, LifecycleAction, OrderUpstream, OrderVxc, Quote,
    Refusal, UpstreamFailure, VxcBuy, VxcChange, VxcEnd, decimal,
};

/// The resource tag key onramp stamps the request_id under.
pub(crate) const REQUEST_ID_TAG: &str = "onramp-request-id";

/// One Megaport account, as the orders domain calls it.
#[derive(Debug, Clone)]
pub(crate) struct MegaportOrders {
    client: MegaportClient,
    /// The budget priority of every call, when this is the account as a write uses it; else
    /// each call's own (see `call_context`).
    priority: Option<Priority>,
}

impl MegaportOrders {
    pub(crate) fn new(client: MegaportClient) -> Self {
        Self {
            client,
            priority: None,
        }
    }

    fn scoped<F: std::future::Future>(
        &self,
        call: F,
    ) -> tokio::task::futures::TaskLocalFuture<Priority, F> {
        let priority = self
            .priority
            .unwrap_or_else(megaport::budget::current_priority);
        megaport::budget::with_priority(priority, call)
    }
}

#[async_trait]
impl OrderUpstream for MegaportOrders {
    fn for_write(self: Arc<Self>) -> Arc<dyn OrderUpstream> {
        Arc::new(Self {
            priority: Some(Priority::Write),
            client: self.client.clone(),
        })
    }

    async fn price(
        &self,
        a_location_id: i32,
        b_location_id: i32,
        rate_limit_mbps: i64,
        term_months: i32,
        deadline: Instant,
    ) -> Result<(Quote, String), UpstreamFailure> {
        let price = self
            .scoped(self.client.price_vxc(
                i64::from(a_location_id),
                i64::from(b_location_id),
                rate_limit_mbps,
                i64::from(term_months),
                cap(deadline),
            ))
            .await
            .map_err(failure)?;
        Ok((quote(&price), decimal(price.monthly_rack_rate)))
    }

    async fn ports(&self, deadline: Instant) -> Result<Vec<AccountPort>, UpstreamFailure> {
        let products = self
            .scoped(self.client.list_products(None, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(products.iter().map(account_port).collect())
    }

    async fn port(&self, uid: &str, deadline: Instant) -> Result<AccountPort, UpstreamFailure> {
        let product = self
            .scoped(self.client.get_product(uid, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(account_port(&product))
    }

    async fn vxc(&self, uid: &str, deadline: Instant) -> Result<OrderVxc, UpstreamFailure> {
        match self.scoped(self.client.get_vxc(uid, cap(deadline))).await {
            Ok(vxc) => Ok(order_vxc(&vxc)),
            // Megaport answers 401 for a VXC this account may not see: for the account, it is
            // not there.
            Err(error @ MegaportError::Unauthorized(_)) => {
                Err(UpstreamFailure::NotFound(crate::error::upstream(error)))
            }
            Err(error) => Err(failure(error)),
        }
    }

    async fn vxcs(&self, deadline: Instant) -> Result<Vec<OrderVxc>, UpstreamFailure> {
        let products = self
            .scoped(
                self.client
                    .list_products::<models::Vxc>(None, cap(deadline)),
            )
            .await
            .map_err(failure)?;
        // A VXC between two of the account's Ports is listed on both.
        let mut seen = std::collections::HashSet::new();
        Ok(products
            .iter()
            .flat_map(|product| &product.associated_vxcs)
            .filter(|vxc| seen.insert(vxc.product_uid.clone()))
            .map(order_vxc)
            .collect())
    }

    async fn stamped_request_id(
        &self,
        vxc_uid: &str,
        deadline: Instant,
    ) -> Result<Option<String>, UpstreamFailure> {
        let tags = self
            .scoped(self.client.get_product_tags(vxc_uid, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(tags
            .into_iter()
            .find(|tag| tag.key == REQUEST_ID_TAG)
            .map(|tag| tag.value))
    }

    async fn service_key(
        &self,
        key: &str,
        deadline: Instant,
    ) -> Result<UpstreamKey, UpstreamFailure> {
        let key = self
            .scoped(self.client.get_service_key(key, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(upstream_key(&key))
    }

    async fn validate(
        &self,
        order: VxcBuy<'_>,
        deadline: Instant,
    ) -> Result<Quote, UpstreamFailure> {
        let lines = self
            .scoped(
                self.client
                    .validate_order(&order_items(order), cap(deadline)),
            )
            .await
            .map_err(failure)?;
        let price = lines.iter().find_map(|line| line.price.as_ref());
        Ok(price.map_or_else(Quote::unknown, quote))
    }

    async fn buy(
        &self,
        order: VxcBuy<'_>,
        deadline: Instant,
    ) -> Result<BuyAccepted, UpstreamFailure> {
        let confirmations = self
            .scoped(self.client.buy_order(&order_items(order), cap(deadline)))
            .await
            .map_err(failure)?;
        let Some(confirmation) = confirmations.first() else {
            return Ok(BuyAccepted::default());
        };
        let vlan = |vlan: Option<i64>| vlan.and_then(|vlan| i32::try_from(vlan).ok());
        Ok(BuyAccepted {
            vxc_uid: confirmation.service_uid().map(str::to_owned),
            awaiting_approval: confirmation.fully_approved == Some(false),
            a_end_vlan: vlan(confirmation.payer_vlan_id),
            b_end_vlan: vlan(confirmation.non_payer_vlan_id),
        })
    }

    async fn change(
        &self,
        vxc_uid: &str,
        change: VxcChange,
        deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure> {
        let request = models::UpdateVxcRequest {
            rate_limit: change.rate_limit_mbps,
            term: change.term_months.map(i64::from),
            shutdown: change.shutdown,
            ..models::UpdateVxcRequest::default()
        };
        let vxc = self
            .scoped(self.client.update_vxc(vxc_uid, &request, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(order_vxc(&vxc))
    }

    async fn lifecycle(
        &self,
        vxc_uid: &str,
        action: LifecycleAction,
        deadline: Instant,
    ) -> Result<(), UpstreamFailure> {
        self.scoped(
            self.client
                .product_action(vxc_uid, action.as_megaport(), cap(deadline)),
        )
        .await
        .map_err(failure)
    }

    async fn cancel_charges(
        &self,
        vxc_uid: &str,
        deadline: Instant,
    ) -> Result<CancelQuote, UpstreamFailure> {
        let charges = self
            .scoped(self.client.cancel_charges(vxc_uid, cap(deadline)))
            .await
            .map_err(failure)?;
        Ok(CancelQuote {
            currency: charges.currency.unwrap_or_default(),
            total_charge: decimal(charges.total_charge),
            remaining_months: charges.remaining_months.unwrap_or_default(),
            contract_end_time: charges.contract_end_date,
        })
    }

    async fn decide(
        &self,
        vxc_uid: &str,
        approve: bool,
        deadline: Instant,
    ) -> Result<OrderVxc, UpstreamFailure> {
        let vxc = self
            .scoped(self.client.update_vxc(
                vxc_uid,
                &models::UpdateVxcRequest::approval(approve),
                cap(deadline),
            ))
            .await
            .map_err(failure)?;
        Ok(order_vxc(&vxc))
    }
}

/// What a Megaport error means for an order, with the error a caller sees.
fn failure(error: MegaportError) -> UpstreamFailure {
    match error {
        MegaportError::OutcomeUnknown(_)
        | MegaportError::MalformedResponse(_)
        | MegaportError::ResponseTooLarge(_) => {
            UpstreamFailure::OutcomeUnknown(crate::error::upstream(error))
        }
        MegaportError::Unavailable(_)
        | MegaportError::Timeout(_)
        | MegaportError::RateLimited { .. }
        | MegaportError::UpdateTooSoon { .. }
        | MegaportError::Unauthorized(_) => UpstreamFailure::NotSent(crate::error::upstream(error)),
        MegaportError::Invalid(_) | MegaportError::Conflict(_) | MegaportError::NotFound(_) => {
            let refusal = refusal_of(error.message());
            // A 404 naming nothing onramp knows is "not there"; one naming the key is a refusal.
            let not_found =
                matches!(error, MegaportError::NotFound(_)) && refusal == Refusal::Other;
            let error = crate::error::upstream(error);
            if not_found {
                UpstreamFailure::NotFound(error)
            } else {
                UpstreamFailure::Refused { error, refusal }
            }
        }
    }
}

/// Reads Megaport's wording of a refused order.
fn refusal_of(message: &str) -> Refusal {
    let lower = message.to_ascii_lowercase();
    if let Some((vlan, service_id)) = parse_vlan_clash(&lower) {
        return Refusal::VlanInUse { vlan, service_id };
    }
    if lower.contains("could not find service key") {
        Refusal::KeyNotFound
    } else if lower.contains("has expired") {
        Refusal::KeyExpired
    } else if lower.contains("not active") {
        Refusal::KeyInactive
    } else if lower.contains("not valid yet") {
        Refusal::KeyNotYetValid
    } else if lower.contains("already been used") {
        Refusal::KeyUsed
    } else {
        Refusal::Other
    }
}

/// Reads "vlan 10 not available on megaport service 74841 ..." into (vlan, nServiceId).
fn parse_vlan_clash(lower: &str) -> Option<(i64, Option<i64>)> {
    if !(lower.contains("vlan") && lower.contains("not available")) {
        return None;
    }
    let number_after = |marker: &str| {
        lower.find(marker).and_then(|at| {
            lower[at + marker.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse::<i64>().ok())
        })
    };
    Some((number_after("vlan")?, number_after("service")))
}

fn account_port(product: &crate::catalog::PortProduct) -> AccountPort {
    AccountPort {
        port: port(product, &[]),
        service_id: product.n_service_id,
    }
}

fn order_vxc(vxc: &models::Vxc) -> OrderVxc {
    OrderVxc {
        uid: vxc.product_uid.clone(),
        name: vxc.product_name.clone().unwrap_or_default(),
        status: ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref()),
        pending_approval: vxc.is_pending_approval(),
        approval_expired: vxc.approval_expired(),
        pending_rate_limit_mbps: vxc
            .vxc_approval
            .as_ref()
            .filter(|_| vxc.is_pending_approval())
            .and_then(|a| a.new_speed),
        pending_term_months: vxc
            .vxc_approval
            .as_ref()
            .filter(|_| vxc.is_pending_approval())
            .and_then(|a| a.new_term)
            .and_then(|term| i32::try_from(term).ok()),
        rate_limit_mbps: vxc.rate_limit.unwrap_or_default(),
        term_months: vxc
            .contract_term_months
            .and_then(|term| i32::try_from(term).ok())
            .unwrap_or_default(),
        cost_centre: vxc.cost_centre.clone().unwrap_or_default(),
        shutdown: vxc.shutdown,
        company_name: vxc.company_name.clone().unwrap_or_default(),
        a_end: vxc_end(&vxc.a_end),
        b_end: vxc_end(&vxc.b_end),
        create_time: vxc.create_date,
    }
}

fn vxc_end(end: &models::VxcEnd) -> VxcEnd {
    let detail = end.location_detail.clone().unwrap_or_default();
    VxcEnd {
        port: PortRef {
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
            kind: None,
        },
        vlan: end
            .vlan
            .and_then(|vlan| i32::try_from(vlan).ok())
            .filter(|vlan| *vlan > 0),
    }
}

/// Megaport's price, as decimal strings in major units (no binary rounding on the way out).
fn quote(price: &models::Price) -> Quote {
    Quote {
        currency: price.currency.clone().unwrap_or_default(),
        monthly_rate: decimal(price.monthly_rate),
        monthly_setup: decimal(price.monthly_setup),
        hourly_rate: decimal(price.hourly_rate),
        mbps_rate: decimal(price.mbps_rate),
    }
}

/// The order as Megaport takes it: the A-end Port, the key, the B-end from the key, and for a buy
/// the request_id as a resource tag.
fn order_items(order: VxcBuy<'_>) -> Vec<VxcOrderItem> {
    let spec = order.spec;
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    vec![VxcOrderItem {
        product_uid: spec.a_end_port_uid.clone(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: spec.name.clone(),
            rate_limit: spec.rate_limit_mbps,
            term: i64::from(spec.term_months),
            shutdown: spec.shutdown,
            promo_code: non_empty(&spec.promo_code),
            service_key: Some(order.service_key.to_owned()),
            cost_centre: non_empty(&spec.cost_centre),
            resource_tags: order
                .request_id
                .map(|id| {
                    vec![ResourceTag {
                        key: REQUEST_ID_TAG.to_owned(),
                        value: id.to_owned(),
                    }]
                })
                .unwrap_or_default(),
            a_end: OrderEnd {
                vlan: (spec.a_end_vlan != 0).then_some(i64::from(spec.a_end_vlan)),
                ..OrderEnd::default()
            },
            b_end: OrderEnd {
                product_uid: non_empty(order.b_end_port_uid),
                ..OrderEnd::default()
            },
        }],
    }]
}

#[cfg(test)]
mod tests {
    use onramp_core::orders::OrderSpec;

    use super::*;

    fn spec() -> OrderSpec {
        OrderSpec {
            service_key: "106e38ae-eb59-415f-ac81-526a5299851d".into(),
            a_end_port_uid: "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a".into(),
            rate_limit_mbps: 100,
            term_months: 12,
            name: "acme to quantumgpu".into(),
            ..OrderSpec::default()
        }
    }

    #[test]
    fn buy_items_stamp_the_request_id_and_take_the_b_end_from_the_key() {
        let spec = spec();
        let buy = |request_id| VxcBuy {
            spec: &spec,
            service_key: "k",
            b_end_port_uid: "b-port",
            request_id,
        };
        let items = order_items(buy(Some("r-1")));
        let vxc = &items[0].associated_vxcs[0];
        assert_eq!(
            vxc.resource_tags,
            [ResourceTag {
                key: REQUEST_ID_TAG.into(),
                value: "r-1".into()
            }]
        );
        assert_eq!(vxc.b_end.product_uid.as_deref(), Some("b-port"));
        assert_eq!(vxc.a_end.vlan, None, "0 = let megaport choose");
        assert!(
            order_items(buy(None))[0].associated_vxcs[0]
                .resource_tags
                .is_empty()
        );
    }

    #[test]
    fn vlan_clash_messages_name_the_vlan_and_service() {
        assert_eq!(
            refusal_of(
                "VLAN 10 not available on MEGAPORT service 74841 (next available VLAN is 2)"
            ),
            Refusal::VlanInUse {
                vlan: 10,
                service_id: Some(74841)
            }
        );
        assert_eq!(refusal_of("Invalid term 48"), Refusal::Other);
        assert_eq!(
            refusal_of("This service key has already been used"),
            Refusal::KeyUsed
        );
    }
}
