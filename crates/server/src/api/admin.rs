//! `onramp.v1.AdminService`: operator views: the audit log, and the server's status as the
//! console's overview shows it.

use std::sync::Arc;

use megaport::Budget;
use tonic::{Request, Response, Status};

use crate::auth::Caller;
use crate::auth::audit::{AuditFilter, AuditLog, AuditRecord};
use crate::auth::scopes::Scope;
use crate::error::Error;
use crate::paging;
use crate::watch::WatchHub;
use onramp_proto as pb;
use onramp_proto::admin_service_server::AdminService;

/// gRPC adapter for admin RPCs.
#[derive(Debug)]
pub struct AdminApi {
    audit: AuditLog,
    budget: Arc<Budget>,
    hub: WatchHub,
}

impl AdminApi {
    pub fn new(audit: AuditLog, budget: Arc<Budget>, hub: WatchHub) -> Self {
        Self { audit, budget, hub }
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

    async fn get_server_status(
        &self,
        request: Request<pb::GetServerStatusRequest>,
    ) -> Result<Response<pb::GetServerStatusResponse>, Status> {
        // The auth layer puts the caller on every request it admits.
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(Caller::anonymous);
        let usage = self.budget.usage();
        let window = self.budget.config().window;
        Ok(Response::new(pb::GetServerStatusResponse {
            caller: caller.name.to_string(),
            scopes: Scope::ALL
                .into_iter()
                .filter(|scope| caller.scopes.allows(*scope))
                .map(|scope| scope.as_str().to_owned())
                .collect(),
            megaport_budget: Some(pb::MegaportBudget {
                used: usage.used,
                limit: usage.limit,
                window_seconds: u32::try_from(window.as_secs()).unwrap_or(u32::MAX),
                paused_seconds: usage.paused_for.map_or(0, |pause| {
                    u32::try_from(pause.as_secs_f64().ceil() as u64).unwrap_or(u32::MAX)
                }),
            }),
            upstream: Some(super::watch_common::upstream_health(self.hub.health())),
            version: env!("CARGO_PKG_VERSION").to_owned(),
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
