//! The Megaport calls an order needs, under one account. The server implements it over the
//! Megaport client (`adapters.rs`); unit tests implement it with fakes. The payloads are
//! Megaport's own models: an order is a Megaport order, and its rules are Megaport's.

use tokio::time::Instant;

use megaport::MegaportError;
use megaport::models::{
    BuyConfirmation, Product, ResourceTag, ServiceKey, UpdateVxcRequest, ValidateLine, Vxc,
    VxcOrderItem,
};

#[tonic::async_trait]
pub trait OrderUpstream: Send + Sync + 'static {
    /// The account's products (its Ports among them).
    async fn list_products(
        &self,
        provisioning_status: Option<&str>,
        deadline: Instant,
    ) -> Result<Vec<Product>, MegaportError>;
    /// One Port, read fresh, with its `associatedVxcs`.
    async fn get_product(&self, uid: &str, deadline: Instant) -> Result<Product, MegaportError>;
    async fn get_vxc(&self, uid: &str, deadline: Instant) -> Result<Vxc, MegaportError>;
    /// The resource tags stamped on a product at order time.
    async fn get_product_tags(
        &self,
        uid: &str,
        deadline: Instant,
    ) -> Result<Vec<ResourceTag>, MegaportError>;
    async fn get_service_key(
        &self,
        key: &str,
        deadline: Instant,
    ) -> Result<ServiceKey, MegaportError>;
    async fn validate_order(
        &self,
        items: &[VxcOrderItem],
        deadline: Instant,
    ) -> Result<Vec<ValidateLine>, MegaportError>;
    /// Sent at most once per call: an answer that may have been lost is `OutcomeUnknown`.
    async fn buy_order(
        &self,
        items: &[VxcOrderItem],
        deadline: Instant,
    ) -> Result<Vec<BuyConfirmation>, MegaportError>;
    async fn update_vxc(
        &self,
        uid: &str,
        request: &UpdateVxcRequest,
        deadline: Instant,
    ) -> Result<Vxc, MegaportError>;
}
