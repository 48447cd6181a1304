//! Test doubles and the guide's fixtures, for this crate's unit tests and, with the `testing`
//! feature, for the tests of the crates above it.

use std::sync::Arc;

use crate::error::Error;
use crate::inventory::Inventory;
pub use crate::onramps::fixtures::*;
use crate::onramps::{Location, Port};

/// An inventory that serves fixed data.
pub struct FakeInventory(pub Vec<Port>);

#[async_trait::async_trait]
impl Inventory for FakeInventory {
    async fn ports(&self) -> Result<Arc<Vec<Port>>, Error> {
        Ok(Arc::new(self.0.clone()))
    }
    async fn locations(&self) -> Result<Arc<Vec<Location>>, Error> {
        Ok(Arc::new(
            self.0.iter().map(|port| port.location.clone()).collect(),
        ))
    }
    async fn invalidate_ports(&self) {}
    async fn skipped_records(&self) -> u32 {
        0
    }
}
