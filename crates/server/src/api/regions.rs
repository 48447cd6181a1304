//! `onramp.v1.RegionService`: provider-defined regions.

use tonic::{Request, Response, Status};

use super::{audit_note, convert, update_mask};
use crate::error::Error;
use crate::paging;
use onramp_core::directory::{Directory, RegionChanges, RegionDraft};
use onramp_core::idempotency::check_request_id;
use onramp_core::regions;
use onramp_proto as pb;
use onramp_proto::region_service_server::RegionService;

/// The paths UpdateRegion accepts in its update_mask.
const UPDATABLE: [&str; 3] = ["display_name", "description", "selector"];

/// gRPC adapter for regions.
#[derive(Debug, Clone)]
pub struct RegionApi {
    directory: Directory,
}

impl RegionApi {
    pub fn new(directory: Directory) -> Self {
        Self { directory }
    }

    async fn region(&self, region: &regions::Region) -> Result<pb::Region, Error> {
        let port_uids = self.directory.region_port_uids(region).await?;
        Ok(convert::region(region, port_uids))
    }
}

#[tonic::async_trait]
impl RegionService for RegionApi {
    async fn create_region(
        &self,
        request: Request<pb::CreateRegionRequest>,
    ) -> Result<Response<pb::CreateRegionResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        note.set_request_id(&request.request_id);
        let region = request
            .region
            .ok_or_else(|| Error::invalid("region", "is required"))
            .map_err(crate::error::status)?;
        if let Some(violation) = check_request_id(&request.request_id) {
            return Err(crate::error::status(Error::InvalidArgument(vec![
                violation,
            ])));
        }
        note.set_resource(&region.name);
        let created = self
            .directory
            .create_region(draft(region), &request.request_id)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::CreateRegionResponse {
            region: Some(self.region(&created).await.map_err(crate::error::status)?),
        }))
    }

    async fn get_region(
        &self,
        request: Request<pb::GetRegionRequest>,
    ) -> Result<Response<pb::GetRegionResponse>, Status> {
        let name = request.into_inner().name;
        if let Some(violation) = regions::validate_name("name", &name) {
            return Err(crate::error::status(Error::InvalidArgument(vec![
                violation,
            ])));
        }
        let region = self
            .directory
            .region(&name)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::GetRegionResponse {
            region: Some(self.region(&region).await.map_err(crate::error::status)?),
        }))
    }

    async fn list_regions(
        &self,
        request: Request<pb::ListRegionsRequest>,
    ) -> Result<Response<pb::ListRegionsResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let size = paging::page_size(request.page_size).map_err(|v| violations.push(v));
        let after = paging::decode_after(&request.page_token).map_err(|v| violations.push(v));
        let (Ok(size), Ok(after)) = (size, after) else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        // One extra row tells whether another page exists without a count query.
        let mut page = self
            .directory
            .regions_page(after.as_deref(), size + 1)
            .await
            .map_err(crate::error::status)?;
        let next_page_token = if page.len() > size {
            page.truncate(size);
            page.last()
                .map(|region| paging::after_token(&region.name))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let mut regions = Vec::with_capacity(page.len());
        for region in &page {
            regions.push(self.region(region).await.map_err(crate::error::status)?);
        }
        Ok(Response::new(pb::ListRegionsResponse {
            regions,
            next_page_token,
        }))
    }

    async fn update_region(
        &self,
        request: Request<pb::UpdateRegionRequest>,
    ) -> Result<Response<pb::UpdateRegionResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        let region = request
            .region
            .ok_or_else(|| Error::invalid("region", "is required"))
            .map_err(crate::error::status)?;
        note.set_resource(&region.name);
        let mut violations = Vec::new();
        let paths = update_mask::checked_paths(request.update_mask, &UPDATABLE, &mut violations);
        violations.extend(regions::validate_name("region.name", &region.name));
        if !violations.is_empty() {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        }
        let changes = RegionChanges {
            display_name: paths.iter().any(|path| path == "display_name"),
            description: paths.iter().any(|path| path == "description"),
            selector: paths.iter().any(|path| path == "selector"),
        };
        let updated = self
            .directory
            .update_region(draft(region), changes)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::UpdateRegionResponse {
            region: Some(self.region(&updated).await.map_err(crate::error::status)?),
        }))
    }

    async fn delete_region(
        &self,
        request: Request<pb::DeleteRegionRequest>,
    ) -> Result<Response<pb::DeleteRegionResponse>, Status> {
        let note = audit_note(&request);
        let name = request.into_inner().name;
        note.set_resource(&name);
        if let Some(violation) = regions::validate_name("name", &name) {
            return Err(crate::error::status(Error::InvalidArgument(vec![
                violation,
            ])));
        }
        self.directory
            .delete_region(&name)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::DeleteRegionResponse {}))
    }
}

fn draft(region: pb::Region) -> RegionDraft {
    RegionDraft {
        name: region.name,
        display_name: region.display_name,
        description: region.description,
        selector: convert::selector_from(region.selector.unwrap_or_default()),
    }
}
