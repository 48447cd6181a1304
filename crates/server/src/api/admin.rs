//! `onramp.v1.AdminService`: operator-only views such as the audit log.

use tonic::{Request, Response, Status};

use crate::auth::audit::{AuditFilter, AuditLog, AuditRecord};
use crate::error::Error;
use crate::paging;
use onramp_proto as pb;
use onramp_proto::admin_service_server::AdminService;

/// gRPC adapter for admin RPCs.
#[derive(Debug)]
pub struct AdminApi {
    audit: AuditLog,
}

impl AdminApi {
    pub fn new(audit: AuditLog) -> Self {
        Self { audit }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let request = request.into_inner();
        let page_size = paging::page_size(request.page_size)
            .map_err(|violation| Error::InvalidArgument(vec![violation]))
            .map_err(crate::error::status)?;
        let filter = AuditFilter {
            caller: request.caller,
            rpc: request.rpc,
        };
        let page = self
            .audit
            .list(&filter, page_size, &request.page_token)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::ListAuditRecordsResponse {
            audit_records: page.records.into_iter().map(audit_record).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}

fn audit_record(record: AuditRecord) -> pb::AuditRecord {
    pb::AuditRecord {
        audit_id: record.audit_id,
        caller: record.caller,
        rpc: record.rpc,
        request_id: record.request_id,
        resource: record.resource,
        code: record.code,
        reason: record.reason,
        time: Some(prost_types::Timestamp {
            seconds: record.time_ms.div_euclid(1000),
            nanos: i32::try_from(record.time_ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
        }),
    }
}
