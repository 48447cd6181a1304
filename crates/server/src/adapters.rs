//! The domain's traits over Megaport: the [`Inventory`] over the cached catalog and
//! [`KeyUpstream`] over the provider's account; `order_upstream` has orders' over any account.
//! Megaport's wire types become domain types here and nowhere else.

use std::sync::Arc;

use tokio::time::Instant;

use crate::catalog::Catalog;
use crate::error::Error;
use megaport::models::{self, ProductKind};
use megaport::{Listing, MegaportClient};
use onramp_core::keys::UpstreamKey;
use onramp_core::onramps::{
    Lag, Location, OnRampKind, Port, PortVxc, ProvisioningStatus, Vnic, Zone,
};
use onramp_core::round_trips::Coordinates;
use onramp_core::service_keys::{KeyUpstream, NewKey};
use onramp_core::signals::PortSignals;
use onramp_core::{Inventory, Listed};

/// The caller's deadline, if any; the client bounds each call by its route's timeout.
fn deadline() -> Instant {
    crate::call_context::deadline()
}

#[tonic::async_trait]
impl Inventory for Catalog {
    async fn ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        let (products, locations) = (
            self.products().await.map_err(crate::error::upstream)?,
            self.locations().await.map_err(crate::error::upstream)?,
        );
        Ok(self.ports_of(&products, &locations))
    }

    async fn fresh_ports(&self) -> Option<Arc<Vec<Port>>> {
        let (products, locations) = (self.fresh_products().await?, self.fresh_locations().await?);
        Some(self.ports_of(&products, &locations))
    }

    async fn cached_ports(&self) -> Option<Arc<Vec<Port>>> {
        let (products, locations) = (
            self.cached_products().await?,
            self.cached_locations().await?,
        );
        Some(self.ports_of(&products, &locations))
    }

    async fn signals(&self) -> Arc<PortSignals> {
        self.signals().current()
    }

    async fn locations(&self) -> Result<Arc<Vec<Location>>, Error> {
        let locations = Catalog::locations(self)
            .await
            .map_err(crate::error::upstream)?;
        Ok(Arc::new(locations.iter().map(location).collect()))
    }

    async fn invalidate_ports(&self) {
        self.invalidate_products().await;
    }

    async fn bought_vxc(&self, port_uid: &str, vxc: PortVxc) {
        self.bought.record(port_uid, vxc);
    }

    async fn skipped_records(&self) -> u32 {
        Catalog::skipped_records(self).await
    }
}

impl Catalog {
    /// The Ports of these products, converted once per products or locations listing.
    fn ports_of(
        &self,
        products: &Arc<Listing<crate::catalog::PortProduct>>,
        locations: &Arc<Listing<models::Location>>,
    ) -> Arc<Vec<Port>> {
        let listed = self.listed_ports(products, locations);
        match self.bought.over(&listed, self.products_max_stale) {
            None => listed,
            Some(bought) => self
                .ports_with_bought
                .get(&listed, &bought, |listed, bought| {
                    crate::bought_vxcs::lay_over(listed, bought)
                }),
        }
    }

    /// The Ports as the products list them.
    fn listed_ports(
        &self,
        products: &Arc<Listing<crate::catalog::PortProduct>>,
        locations: &Arc<Listing<models::Location>>,
    ) -> Arc<Vec<Port>> {
        self.ports.get(products, locations, |products, locations| {
            // Ports, MCRs and MVEs: the kinds a service key can be made for.
            let ports = products.iter().filter(|product| product.kind().is_some());
            // Most providers have no LAG: convert in one pass, as before LAGs were merged.
            let ports = if products.iter().any(|product| lag_id(product).is_some()) {
                merge_lags(
                    ports
                        .map(|product| {
                            let lag = lag_id(product);
                            (port(product, locations), lag, product.lag_primary)
                        })
                        .collect(),
                )
            } else {
                ports.map(|product| port(product, locations)).collect()
            };
            self.signals().record_zones(&ports);
            ports
        })
    }
}

fn location(location: &models::Location) -> Location {
    Location {
        id: i32::try_from(location.id).unwrap_or_default(),
        name: location.name.clone(),
        metro: location.metro.clone().unwrap_or_default(),
        country: location
            .address
            .as_ref()
            .and_then(|address| address.country.clone())
            .unwrap_or_default(),
        market: location.market.clone().unwrap_or_default(),
        status: location.status.clone().unwrap_or_default(),
        ordering_message: location.ordering_message.clone().unwrap_or_default(),
        coordinates: location
            .latitude
            .zip(location.longitude)
            .and_then(|(latitude, longitude)| Coordinates::from_degrees(latitude, longitude)),
    }
}

/// The LAG a Port belongs to: Megaport's aggregationId (lagId on some records); 0 is none.
fn lag_id<V>(product: &models::Product<V>) -> Option<i64> {
    product
        .aggregation_id
        .or(product.lag_id)
        .filter(|id| *id > 0)
}

/// One on-ramp per LAG: the primary's record (the lowest uid if none is marked primary) with
/// every member's speed and VXCs; Ports outside a LAG as they are, in their order.
fn merge_lags(ports: Vec<(Port, Option<i64>, bool)>) -> Vec<Port> {
    let mut members: std::collections::BTreeMap<i64, Vec<(Port, bool)>> = Default::default();
    let mut merged = Vec::new();
    for (port, lag, primary) in ports {
        match lag {
            Some(lag) => members.entry(lag).or_default().push((port, primary)),
            None => merged.push(port),
        }
    }
    for (id, mut group) in members {
        group.sort_by(|(a, a_primary), (b, b_primary)| {
            b_primary.cmp(a_primary).then_with(|| a.uid.cmp(&b.uid))
        });
        let mut group = group.into_iter().map(|(port, _)| port);
        let Some(mut lag) = group.next() else {
            continue;
        };
        let mut member_uids = vec![lag.uid.clone()];
        for member in group {
            member_uids.push(member.uid.clone());
            lag.speed_mbps += member.speed_mbps;
            for vxc in member.vxcs {
                if !lag.vxcs.iter().any(|seen| seen.uid == vxc.uid) {
                    lag.vxcs.push(vxc);
                }
            }
        }
        lag.lag = Some(Lag { id, member_uids });
        merged.push(lag);
    }
    merged
}

/// A product's own `locationDetail` wins; Megaport's location list fills what it leaves out.
pub(crate) fn port(product: &crate::catalog::PortProduct, locations: &[models::Location]) -> Port {
    let location_id = product
        .location_id
        .and_then(|id| i32::try_from(id).ok())
        .unwrap_or_default();
    let listed = locations
        .iter()
        .find(|location| location.id == i64::from(location_id))
        .map(location);
    let detail = product.location_detail.clone().unwrap_or_default();
    let pick = |own: Option<String>, fallback: Option<&String>| {
        own.filter(|value| !value.is_empty())
            .or_else(|| fallback.cloned())
            .unwrap_or_default()
    };
    let location = Location {
        id: location_id,
        name: pick(
            detail.name.or_else(|| product.location.clone()),
            listed.as_ref().map(|l| &l.name),
        ),
        metro: pick(detail.metro, listed.as_ref().map(|l| &l.metro)),
        country: pick(detail.country, listed.as_ref().map(|l| &l.country)),
        market: pick(product.market.clone(), listed.as_ref().map(|l| &l.market)),
        status: listed
            .as_ref()
            .map(|l| l.status.clone())
            .unwrap_or_default(),
        ordering_message: listed
            .as_ref()
            .map(|l| l.ordering_message.clone())
            .unwrap_or_default(),
        coordinates: listed.as_ref().and_then(|l| l.coordinates),
    };
    let kind = on_ramp_kind(product);
    // An MVE has no Port speed: its capacity is its maxVxcSpeed.
    let speed_mbps = match kind {
        OnRampKind::Mve { .. } => product.max_vxc_speed.unwrap_or_default(),
        _ => product.port_speed.unwrap_or_default(),
    };
    Port {
        kind,
        uid: product.product_uid.clone(),
        name: product.product_name.clone().unwrap_or_default(),
        company_name: product.company_name.clone().unwrap_or_default(),
        location,
        speed_mbps,
        zone: Zone::from_megaport(product.diversity_zone.as_deref()),
        vxc_permitted: product.vxc_permitted,
        max_vxc_speed_mbps: product.max_vxc_speed.unwrap_or_default(),
        status: ProvisioningStatus::from_megaport(product.provisioning_status.as_deref()),
        vxcs: product
            .associated_vxcs
            .iter()
            .map(|vxc| port_vxc(vxc, &product.product_uid))
            .collect(),
        lag: None,
    }
}

/// What the product is, with an MCR's ASN and an MVE's vNICs (and which VXC each carries).
fn on_ramp_kind(product: &crate::catalog::PortProduct) -> OnRampKind {
    match product.kind() {
        Some(ProductKind::Mcr) => OnRampKind::Mcr {
            asn: product
                .resources
                .as_ref()
                .and_then(|resources| resources.virtual_router.as_ref())
                .and_then(|router| router.mcr_asn)
                .unwrap_or_default(),
        },
        Some(ProductKind::Mve) => OnRampKind::Mve {
            vendor: product.vendor.clone().unwrap_or_default(),
            size: product.mve_size.clone().unwrap_or_default(),
            vnics: product
                .vnics
                .iter()
                .enumerate()
                .map(|(index, vnic)| {
                    let index = i32::try_from(index).unwrap_or(i32::MAX);
                    Vnic {
                        index,
                        description: vnic.description.clone().unwrap_or_default(),
                        vlan: vnic
                            .vlan
                            .and_then(|vlan| i32::try_from(vlan).ok())
                            .unwrap_or_default(),
                        vxc_uid: vxc_on_vnic(product, index),
                    }
                })
                .collect(),
        },
        Some(ProductKind::Port) | None => OnRampKind::Port,
    }
}

/// The Megaport kind of an on-ramp, for the routes that differ by kind (telemetry).
pub(crate) fn product_kind(kind: &OnRampKind) -> ProductKind {
    match kind {
        OnRampKind::Port => ProductKind::Port,
        OnRampKind::Mcr { .. } => ProductKind::Mcr,
        OnRampKind::Mve { .. } => ProductKind::Mve,
    }
}

/// The VXC that holds an MVE's vNIC `index`, if one does.
fn vxc_on_vnic(product: &crate::catalog::PortProduct, index: i32) -> Option<String> {
    product
        .associated_vxcs
        .iter()
        .filter(|vxc| {
            !ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref()).is_gone()
        })
        .find(|vxc| {
            [&vxc.a_end, &vxc.b_end].into_iter().any(|end| {
                end.product_uid.as_deref() == Some(product.product_uid.as_str())
                    && end.v_nic_index == Some(i64::from(index))
            })
        })
        .map(|vxc| vxc.product_uid.clone())
}

/// The VXC as seen from `port_uid`: its VLAN is the one of the end that sits on this Port.
fn port_vxc(vxc: &models::VxcSummary, port_uid: &str) -> PortVxc {
    let end = if vxc.a_end.product_uid.as_deref() == Some(port_uid) {
        &vxc.a_end
    } else {
        &vxc.b_end
    };
    PortVxc {
        uid: vxc.product_uid.clone(),
        name: vxc.product_name.clone().unwrap_or_default(),
        rate_limit_mbps: vxc.rate_limit.unwrap_or_default(),
        vlan: end
            .vlan
            .and_then(|vlan| i32::try_from(vlan).ok())
            .filter(|vlan| *vlan > 0),
        status: ProvisioningStatus::from_megaport(vxc.provisioning_status.as_deref()),
        create_time: vxc.create_date,
    }
}

/// Service keys on the provider's account. Ports are read fresh (not from the cache) because
/// VLAN allocation must see the VXCs of a moment ago.
pub struct MegaportKeys {
    client: MegaportClient,
    catalog: Arc<Catalog>,
}

impl MegaportKeys {
    pub fn new(client: MegaportClient, catalog: Arc<Catalog>) -> Self {
        Self { client, catalog }
    }
}

#[tonic::async_trait]
impl KeyUpstream for MegaportKeys {
    async fn port(&self, port_uid: &str) -> Result<Port, Error> {
        let product = self
            .client
            .get_product(port_uid, deadline())
            .await
            .map_err(crate::error::upstream)?;
        let locations = self
            .catalog
            .locations()
            .await
            .map_err(crate::error::upstream)?;
        Ok(port(&product, &locations))
    }

    async fn create_key(&self, key: &NewKey) -> Result<UpstreamKey, Error> {
        let request = models::CreateServiceKeyRequest {
            product_uid: key.port_uid.clone(),
            single_use: key.single_use,
            max_speed: key.max_speed_mbps,
            vlan: key.vlan.map(i64::from),
            active: key.active,
            pre_approved: Some(key.pre_approved),
            description: Some(key.description.clone()),
            valid_for: valid_for(key.valid_from, key.valid_until),
        };
        let created = self
            .client
            .create_service_key(&request, deadline())
            .await
            .map_err(crate::error::upstream)?;
        Ok(upstream_key(&created))
    }

    async fn keys(&self, port_uid: Option<&str>) -> Result<Listed<Vec<UpstreamKey>>, Error> {
        let keys = self
            .client
            .list_service_keys(port_uid, deadline())
            .await
            .map_err(crate::error::upstream)?;
        Ok(Listed {
            items: keys.iter().map(upstream_key).collect(),
            skipped_upstream_records: keys.skipped,
        })
    }

    async fn key(&self, key: &str) -> Result<UpstreamKey, Error> {
        Ok(upstream_key(
            &self
                .client
                .get_service_key(key, deadline())
                .await
                .map_err(crate::error::upstream)?,
        ))
    }

    async fn update_key(&self, key: &UpstreamKey) -> Result<UpstreamKey, Error> {
        let request = models::UpdateServiceKeyRequest {
            key: key.key.clone(),
            product_uid: key.port_uid.clone(),
            single_use: key.single_use,
            active: key.active,
            description: Some(key.description.clone()),
            max_speed: Some(key.max_speed_mbps),
            vlan: key.vlan.map(i64::from),
            pre_approved: Some(key.pre_approved),
            valid_for: valid_for(key.valid_from, key.valid_until),
        };
        let updated = self
            .client
            .update_service_key(&request, deadline())
            .await
            .map_err(crate::error::upstream)?;
        Ok(upstream_key(&updated))
    }
}

/// Megaport takes a window with a start; an end alone starts now.
fn valid_for(
    start: Option<time::OffsetDateTime>,
    end: Option<time::OffsetDateTime>,
) -> Option<models::ValidForRequest> {
    (start.is_some() || end.is_some()).then(|| models::ValidForRequest {
        start: Some(start.unwrap_or_else(time::OffsetDateTime::now_utc)),
        end,
    })
}

pub(crate) fn upstream_key(key: &models::ServiceKey) -> UpstreamKey {
    let valid_for = key.valid_for.as_ref();
    UpstreamKey {
        key: key.key.clone(),
        port_uid: key.product_uid.clone().unwrap_or_default(),
        port_name: key.product_name.clone().unwrap_or_default(),
        company_name: key.company_name.clone().unwrap_or_default(),
        single_use: key.single_use,
        vlan: key.vlan.and_then(|vlan| i32::try_from(vlan).ok()),
        max_speed_mbps: key.max_speed.unwrap_or_default(),
        pre_approved: key.pre_approved.unwrap_or(false),
        active: key.active,
        description: key.description.clone().unwrap_or_default(),
        valid_from: valid_for.and_then(|window| window.start),
        valid_until: valid_for.and_then(|window| window.end),
        expired: key.expired.unwrap_or(false),
        invalid: key.valid == Some(false),
        last_used: key.last_used,
        create_time: key.create_date,
    }
}

/// Megaport's monthly round-trip medians (read with the provider's account) and where a
/// customer's Port is (asked of every configured account in turn, the provider's first: only
/// a Port's owner may read it).
pub(crate) struct MegaportRtt {
    /// The provider's client first.
    clients: Vec<MegaportClient>,
}

impl MegaportRtt {
    pub(crate) fn new(upstream: &crate::upstream::Upstream) -> Self {
        let mut clients = vec![upstream.provider.clone()];
        clients.extend(
            upstream
                .accounts
                .iter()
                .filter(|(name, _)| **name != upstream.provider_account)
                .map(|(_, client)| client.clone()),
        );
        Self { clients }
    }
}

#[tonic::async_trait]
impl onramp_core::proximity::RttUpstream for MegaportRtt {
    async fn monthly_medians(
        &self,
        from: i32,
        year: i32,
        month: time::Month,
    ) -> Result<Vec<(i32, f64)>, Error> {
        let rows = self.clients[0]
            .location_rtt(i64::from(from), year, u8::from(month), deadline())
            .await
            .map_err(crate::error::upstream)?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let to = i32::try_from(row.dst_location?).ok()?;
                Some((to, row.median_rtt_ms))
            })
            .collect())
    }

    async fn port_location(&self, port_uid: &str) -> Result<Option<i32>, Error> {
        for client in &self.clients {
            match client
                .get_product::<serde::de::IgnoredAny>(port_uid, deadline())
                .await
            {
                Ok(product) => {
                    return Ok(product.location_id.and_then(|id| i32::try_from(id).ok()));
                }
                // Another company's Port: the next account may own it.
                Err(
                    megaport::MegaportError::NotFound(_) | megaport::MegaportError::Unauthorized(_),
                ) => {}
                Err(error) => return Err(crate::error::upstream(error)),
            }
        }
        Ok(None)
    }
}
