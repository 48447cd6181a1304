//! `onramp.v1.AdminService`: operator-only views such as the audit log.

use tonic::{Request, Response, Status};

use super::not_built;
use crate::pb;
use crate::pb::admin_service_server::AdminService;

const CAPABILITY: &str = "the audit log (issue: authentication, authorization and hardening)";

/// gRPC adapter for admin RPCs.
#[derive(Debug, Default)]
pub struct AdminApi {}

impl AdminApi {
    pub fn new() -> Self {
        Self {}
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn list_audit_records(
        &self,
        _request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        Err(not_built(CAPABILITY))
    }
}
