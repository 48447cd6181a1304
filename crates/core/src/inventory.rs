//! The one thing the domain needs from Megaport for the catalog: the provider's Ports (with their
//! VXCs) and Megaport's locations, as domain types.

use std::sync::Arc;

use crate::error::Error;
use crate::onramps::{Location, Port, PortVxc};
use crate::signals::PortSignals;

/// Read access to the provider's inventory. Implemented over the cached Megaport catalog in
/// production and by fakes in unit tests.
#[async_trait::async_trait]
pub trait Inventory: Send + Sync + 'static {
    /// Every Port the provider owns, in any provisioning status.
    async fn ports(&self) -> Result<Arc<Vec<Port>>, Error>;
    /// The Ports as cached now, if fresh enough that [`Inventory::ports`] would return them
    /// without a load or a refresh; never loads. `None` otherwise (a read then goes through
    /// `ports`, which loads or refreshes them).
    async fn fresh_ports(&self) -> Option<Arc<Vec<Port>>>;
    /// The Ports as cached now however old (up to the cache's limit of staleness); never loads
    /// nor refreshes. For what changes rarely (a Port's name and place), so that background work
    /// does not keep the Ports fresh for nobody.
    async fn cached_ports(&self) -> Option<Arc<Vec<Port>>>;
    /// What is known about the Ports beyond Megaport's products (measured traffic, events, last
    /// known zones): the same `Arc` until something in it changes.
    async fn signals(&self) -> Arc<PortSignals>;
    /// Every Megaport location.
    async fn locations(&self) -> Result<Arc<Vec<Location>>, Error>;
    /// Forgets cached Ports after onramp changed them (bought or approved a VXC), so the next
    /// read shows the change.
    async fn invalidate_ports(&self);
    /// Shows a VXC onramp just bought on `port_uid` at once, until the Ports are listed with
    /// it: the capacity it takes counts from now, without reloading the Ports.
    async fn bought_vxc(&self, port_uid: &str, vxc: PortVxc);
    /// Records of the upstream lists behind the current Ports and locations that could not be
    /// read and were left out (0 when the inventory is complete).
    async fn skipped_records(&self) -> u32;
}
