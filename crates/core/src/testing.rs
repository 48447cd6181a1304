//! Test doubles and the guide's fixtures, for this crate's unit tests and, with the `testing`
//! feature, for the tests of the crates above it.

use std::sync::Arc;

use crate::error::Error;
use crate::inventory::Inventory;
pub use crate::onramps::fixtures::*;
use crate::onramps::{Location, Port, PortVxc};
use crate::signals::PortSignals;

/// An inventory that serves fixed data, the same `Arc`s every time (as the catalog's cache
/// does between refreshes).
pub struct FakeInventory {
    ports: Arc<Vec<Port>>,
    locations: Arc<Vec<Location>>,
    signals: Arc<PortSignals>,
}

impl FakeInventory {
    pub fn new(ports: Vec<Port>) -> Self {
        let locations = ports.iter().map(|port| port.location.clone()).collect();
        Self {
            ports: Arc::new(ports),
            locations: Arc::new(locations),
            signals: Arc::default(),
        }
    }

    /// The same inventory with these signals (measured traffic, events, zones).
    #[must_use]
    pub fn with_signals(mut self, signals: PortSignals) -> Self {
        self.signals = Arc::new(signals);
        self
    }
}

#[async_trait::async_trait]
impl Inventory for FakeInventory {
    async fn ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        Ok(self.ports.clone())
    }
    async fn fresh_ports(&self) -> Option<Arc<Vec<Port>>> {
        Some(self.ports.clone())
    }
    async fn cached_ports(&self) -> Option<Arc<Vec<Port>>> {
        Some(self.ports.clone())
    }
    async fn locations(&self) -> Result<Arc<Vec<Location>>, Error> {
        Ok(self.locations.clone())
    }
    async fn signals(&self) -> Arc<PortSignals> {
        self.signals.clone()
    }
    async fn invalidate_ports(&self) {}
    async fn bought_vxc(&self, _: &str, _: PortVxc) {}
    async fn skipped_records(&self) -> u32 {
        0
    }
}
