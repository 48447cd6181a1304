//! The domain's [`Inventory`] over the cached Megaport catalog: Megaport products and locations
//! become domain Ports and Locations here, so `domain/` never sees Megaport's wire types.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::domain::Inventory;
use crate::domain::onramps::{Location, Port, PortVxc, ProvisioningStatus, Zone};
use crate::error::Error;
use crate::megaport::models;

#[tonic::async_trait]
impl Inventory for Catalog {
    async fn ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        let (products, locations) = (self.products().await?, self.locations().await?);
        Ok(Arc::new(
            products
                .iter()
                .filter(|product| product.is_port())
                .map(|product| port(product, &locations))
                .collect(),
        ))
    }

    async fn locations(&self) -> Result<Arc<Vec<Location>>, Error> {
        let locations = Catalog::locations(self).await?;
        Ok(Arc::new(locations.iter().map(location).collect()))
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
    }
}

/// A product's own `locationDetail` wins; Megaport's location list fills what it leaves out.
fn port(product: &models::Product, locations: &[models::Location]) -> Port {
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
    };
    Port {
        uid: product.product_uid.clone(),
        name: product.product_name.clone().unwrap_or_default(),
        company_name: product.company_name.clone().unwrap_or_default(),
        location,
        speed_mbps: product.port_speed.unwrap_or_default(),
        zone: Zone::from_megaport(product.diversity_zone.as_deref()),
        vxc_permitted: product.vxc_permitted,
        max_vxc_speed_mbps: product.max_vxc_speed.unwrap_or_default(),
        status: ProvisioningStatus::from_megaport(product.provisioning_status.as_deref()),
        vxcs: product
            .associated_vxcs
            .iter()
            .map(|vxc| port_vxc(vxc, &product.product_uid))
            .collect(),
    }
}

/// The VXC as seen from `port_uid`: its VLAN is the one of the end that sits on this Port.
fn port_vxc(vxc: &models::Vxc, port_uid: &str) -> PortVxc {
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
    }
}
