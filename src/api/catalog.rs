//! `onramp.v1.CatalogService`: the provider's live on-ramps.

use tonic::{Request, Response, Status};

use super::{not_built, paging};
use crate::error::{Error, FieldViolation};
use crate::pb;
use crate::pb::catalog_service_server::CatalogService;

const CAPABILITY: &str = "the on-ramp catalog (issue: catalog, regions and on-ramp selection)";

/// gRPC adapter for the catalog.
#[derive(Debug, Default)]
pub struct CatalogApi {}

impl CatalogApi {
    pub fn new() -> Self {
        Self {}
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_countries(
        &self,
        _request: Request<pb::ListCountriesRequest>,
    ) -> Result<Response<pb::ListCountriesResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn list_metros(
        &self,
        _request: Request<pb::ListMetrosRequest>,
    ) -> Result<Response<pb::ListMetrosResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn list_on_ramps(
        &self,
        request: Request<pb::ListOnRampsRequest>,
    ) -> Result<Response<pb::ListOnRampsResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        if let Err(violation) = paging::page_size(request.page_size) {
            violations.push(violation);
        }
        if request.location_id < 0 {
            violations.push(FieldViolation::new(
                "location_id",
                format!(
                    "must be a Megaport location id (> 0), got {}",
                    request.location_id
                ),
            ));
        }
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations).into());
        }
        Err(not_built(CAPABILITY))
    }

    async fn get_on_ramp(
        &self,
        _request: Request<pb::GetOnRampRequest>,
    ) -> Result<Response<pb::GetOnRampResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn select_on_ramps(
        &self,
        _request: Request<pb::SelectOnRampsRequest>,
    ) -> Result<Response<pb::SelectOnRampsResponse>, Status> {
        Err(not_built(CAPABILITY))
    }
}
