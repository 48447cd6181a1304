//! `onramp.v1.RegionService`: provider-defined regions.

use tonic::{Request, Response, Status};

use super::not_built;
use crate::pb;
use crate::pb::region_service_server::RegionService;

const CAPABILITY: &str = "regions (issue: catalog, regions and on-ramp selection)";

/// gRPC adapter for regions.
#[derive(Debug, Default)]
pub struct RegionApi {}

impl RegionApi {
    pub fn new() -> Self {
        Self {}
    }
}

#[tonic::async_trait]
impl RegionService for RegionApi {
    async fn create_region(
        &self,
        _request: Request<pb::CreateRegionRequest>,
    ) -> Result<Response<pb::CreateRegionResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn get_region(
        &self,
        _request: Request<pb::GetRegionRequest>,
    ) -> Result<Response<pb::GetRegionResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn list_regions(
        &self,
        _request: Request<pb::ListRegionsRequest>,
    ) -> Result<Response<pb::ListRegionsResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn update_region(
        &self,
        _request: Request<pb::UpdateRegionRequest>,
    ) -> Result<Response<pb::UpdateRegionResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn delete_region(
        &self,
        _request: Request<pb::DeleteRegionRequest>,
    ) -> Result<Response<pb::DeleteRegionResponse>, Status> {
        Err(not_built(CAPABILITY))
    }
}
