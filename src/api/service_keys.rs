//! `onramp.v1.ServiceKeyService`: minting, managing and watching service keys.

use tonic::{Request, Response, Status};

use super::{ResponseStream, not_built};
use crate::pb;
use crate::pb::service_key_service_server::ServiceKeyService;
use crate::server::ShutdownSignal;

const CAPABILITY: &str = "service keys (issue: service keys and the key-state stream)";

/// gRPC adapter for service keys.
#[derive(Debug)]
pub struct ServiceKeyApi {
    /// Ends open watch streams with UNAVAILABLE when the server drains.
    #[allow(dead_code)]
    shutdown: ShutdownSignal,
}

impl ServiceKeyApi {
    pub fn new(shutdown: ShutdownSignal) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl ServiceKeyService for ServiceKeyApi {
    type WatchServiceKeysStream = ResponseStream<pb::WatchServiceKeysResponse>;

    async fn create_service_key(
        &self,
        _request: Request<pb::CreateServiceKeyRequest>,
    ) -> Result<Response<pb::CreateServiceKeyResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn issue_service_keys(
        &self,
        _request: Request<pb::IssueServiceKeysRequest>,
    ) -> Result<Response<pb::IssueServiceKeysResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn get_service_key(
        &self,
        _request: Request<pb::GetServiceKeyRequest>,
    ) -> Result<Response<pb::GetServiceKeyResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn list_service_keys(
        &self,
        _request: Request<pb::ListServiceKeysRequest>,
    ) -> Result<Response<pb::ListServiceKeysResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn update_service_key(
        &self,
        _request: Request<pb::UpdateServiceKeyRequest>,
    ) -> Result<Response<pb::UpdateServiceKeyResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn deactivate_service_key(
        &self,
        _request: Request<pb::DeactivateServiceKeyRequest>,
    ) -> Result<Response<pb::DeactivateServiceKeyResponse>, Status> {
        Err(not_built(CAPABILITY))
    }

    async fn watch_service_keys(
        &self,
        _request: Request<pb::WatchServiceKeysRequest>,
    ) -> Result<Response<Self::WatchServiceKeysStream>, Status> {
        Err(not_built(CAPABILITY))
    }
}
