//! `onramp.v1.VxcOrderService`: the customer side — look up a key, price a VXC, buy it once.

use tonic::{Request, Response, Status};

use super::{ResponseStream, not_built};
use crate::pb;
use crate::pb::vxc_order_service_server::VxcOrderService;
use crate::server::ShutdownSignal;

const CAPABILITY: &str = "VXC orders (issue: VXC orders with a service key)";

/// gRPC adapter for VXC orders.
#[derive(Debug)]
pub struct VxcOrderApi {
    /// Ends open order watches with UNAVAILABLE when the server drains.
    #[allow(dead_code)]
    shutdown: ShutdownSignal,
}

impl VxcOrderApi {
    pub fn new(shutdown: ShutdownSignal) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl VxcOrderService for VxcOrderApi {
    type WatchVxcOrderStream = ResponseStream<pb::WatchVxcOrderResponse>;

    async fn lookup_service_key(
        &self,
        _request: Request<pb::LookupServiceKeyRequest>,
    ) -> Result<Response<pb::LookupServiceKeyResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn validate_vxc_order(
        &self,
        _request: Request<pb::ValidateVxcOrderRequest>,
    ) -> Result<Response<pb::ValidateVxcOrderResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn create_vxc_order(
        &self,
        _request: Request<pb::CreateVxcOrderRequest>,
    ) -> Result<Response<pb::CreateVxcOrderResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn get_vxc_order(
        &self,
        _request: Request<pb::GetVxcOrderRequest>,
    ) -> Result<Response<pb::GetVxcOrderResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn list_vxc_orders(
        &self,
        _request: Request<pb::ListVxcOrdersRequest>,
    ) -> Result<Response<pb::ListVxcOrdersResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn watch_vxc_order(
        &self,
        _request: Request<pb::WatchVxcOrderRequest>,
    ) -> Result<Response<Self::WatchVxcOrderStream>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn approve_vxc_order(
        &self,
        _request: Request<pb::ApproveVxcOrderRequest>,
    ) -> Result<Response<pb::ApproveVxcOrderResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn reject_vxc_order(
        &self,
        _request: Request<pb::RejectVxcOrderRequest>,
    ) -> Result<Response<pb::RejectVxcOrderResponse>, Status> {
        Err(not_built(CAPABILITY))
    }
}
