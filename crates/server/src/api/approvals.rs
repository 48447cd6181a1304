//! `onramp.v1.ApprovalService`: the provider's approval inbox. The inbox itself (reading
//! Megaport, naming the key and customer behind each approval, safe retries) is
//! `crate::approval_inbox`.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tonic::{Request, Response, Status};

use super::{ResponseStream, audit_note, caller, convert, watch_common};
use crate::approval_inbox::ApprovalInbox;
use crate::approval_inbox::watch::InboxItem;
use crate::error::{Error, FieldViolation};
use crate::paging;
use crate::watch::WatchSettings;
use onramp_core::approvals::{Approval, ApprovalKind, ApprovalStatus};
use onramp_core::binding::Binding;
use onramp_core::cursor::unix_millis;
use onramp_proto as pb;
use onramp_proto::approval_service_server::ApprovalService;
use tokio_util::sync::CancellationToken;

/// Longest decision comment (Megaport's limit in the sandbox; not documented for Megaport).
const COMMENT_MAX_CHARS: usize = 500;

#[derive(Debug)]
pub struct ApprovalApi {
    inbox: Arc<ApprovalInbox>,
    /// Progress interval and snapshot chunks, as for the key watch.
    watch: WatchSettings,
    shutdown: CancellationToken,
}

impl ApprovalApi {
    pub fn new(
        inbox: Arc<ApprovalInbox>,
        watch: WatchSettings,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inbox,
            watch,
            shutdown,
        }
    }

    async fn decide(
        &self,
        uid: &str,
        comment: &str,
        approve: bool,
        binding: &Binding,
    ) -> Result<pb::Approval, Error> {
        let mut violations = Vec::new();
        if uid.trim().is_empty() {
            violations.push(FieldViolation::new("approval_uid", "is required"));
        }
        if comment.chars().count() > COMMENT_MAX_CHARS {
            violations.push(FieldViolation::new(
                "comment",
                format!("must be at most {COMMENT_MAX_CHARS} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let decided = approval(&self.inbox.decide(uid, approve, comment, binding).await?);
        self.with_peering(decided).await
    }

    /// The approval with what became of its key's peering profile (a read of the store).
    async fn with_peering(&self, mut approval: pb::Approval) -> Result<pb::Approval, Error> {
        if !approval.service_key.is_empty() {
            approval.peering = self
                .inbox
                .peering()
                .delivery(&approval.vxc_uid)
                .await?
                .as_ref()
                .map(convert::delivery);
        }
        Ok(approval)
    }
}

#[tonic::async_trait]
impl ApprovalService for ApprovalApi {
    type WatchApprovalsStream = ResponseStream<pb::WatchApprovalsResponse>;

    async fn watch_approvals(
        &self,
        request: Request<pb::WatchApprovalsRequest>,
    ) -> Result<Response<Self::WatchApprovalsStream>, Status> {
        let binding = caller(&request).binding;
        let request = request.into_inner();
        let token_id = self.inbox.token_id().to_owned();
        let stream = crate::approval_inbox::watch::watch(
            self.inbox.clone(),
            &request.resume_token,
            Duration::from_millis(self.watch.progress_interval_millis.max(1)),
            self.shutdown.clone(),
        )
        .await
        .map_err(crate::error::status)?;
        let chunk = self.watch.snapshot_chunk_keys.max(1);
        let mut last_revision = 0;
        let stream = stream.flat_map(move |item| {
            let messages = match item {
                Ok(item) => {
                    last_revision = item.revision();
                    responses(&token_id, item, chunk, &binding)
                        .into_iter()
                        .map(Ok)
                        .collect()
                }
                Err(end) => vec![Err(watch_common::watch_end(&token_id, end, last_revision))],
            };
            futures::stream::iter(messages)
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_approvals(
        &self,
        request: Request<pb::ListApprovalsRequest>,
    ) -> Result<Response<pb::ListApprovalsResponse>, Status> {
        let binding = caller(&request).binding;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let size = paging::page_size(request.page_size).map_err(|v| violations.push(v));
        let mut statuses = Vec::new();
        for (index, value) in request.statuses.iter().enumerate() {
            match pb::ApprovalStatus::try_from(*value)
                .ok()
                .and_then(status_from)
            {
                Some(status) => statuses.push(status),
                None => violations.push(FieldViolation::new(
                    format!("statuses[{index}]"),
                    format!("unknown approval status {value}"),
                )),
            }
        }
        if statuses.is_empty() {
            statuses.push(ApprovalStatus::Pending);
        }
        let spelling = format!("approvals {statuses:?} {binding:?}");
        let after =
            paging::decode_cursor(&request.page_token, &spelling).map_err(|v| violations.push(v));
        let (Ok(size), Ok(after), true) = (size, after, violations.is_empty()) else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        let (mut approvals, read_at) = self
            .inbox
            .list(&statuses)
            .await
            .map_err(crate::error::status)?;
        approvals.retain(|approval| binding.sees_customer(&approval.customer_ref));
        let (page, next_page_token) = paging::newest_first_page(
            &approvals,
            &spelling,
            after.as_ref(),
            size,
            approval_position,
        );
        let mut listed = Vec::with_capacity(page.len());
        for each in page {
            listed.push(
                self.with_peering(approval(each))
                    .await
                    .map_err(crate::error::status)?,
            );
        }
        Ok(Response::new(pb::ListApprovalsResponse {
            approvals: listed,
            next_page_token,
            refresh_time: Some(convert::timestamp(read_at)),
        }))
    }

    async fn approve_approval(
        &self,
        request: Request<pb::ApproveApprovalRequest>,
    ) -> Result<Response<pb::ApproveApprovalResponse>, Status> {
        let note = audit_note(&request);
        let binding = caller(&request).binding;
        let request = request.into_inner();
        note.set_resource(format!("approvals/{}", request.approval_uid));
        let approval = self
            .decide(&request.approval_uid, &request.comment, true, &binding)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::ApproveApprovalResponse {
            approval: Some(approval),
        }))
    }

    async fn reject_approval(
        &self,
        request: Request<pb::RejectApprovalRequest>,
    ) -> Result<Response<pb::RejectApprovalResponse>, Status> {
        let note = audit_note(&request);
        let binding = caller(&request).binding;
        let request = request.into_inner();
        note.set_resource(format!("approvals/{}", request.approval_uid));
        let approval = self
            .decide(&request.approval_uid, &request.comment, false, &binding)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::RejectApprovalResponse {
            approval: Some(approval),
        }))
    }
}

/// The messages of one item: a snapshot in chunks of `chunk` approvals (the last carries the
/// token), changes, or progress; of the approvals the caller's `binding` lets it see (changes
/// that are all another customer's send nothing).
fn responses(
    token_id: &str,
    item: InboxItem,
    chunk: usize,
    binding: &Binding,
) -> Vec<pb::WatchApprovalsResponse> {
    use pb::watch_approvals_response::Kind;
    let revision = item.revision();
    let token = revision_fanout::token::encode(token_id, revision);
    let message = |kind, resume_token| pb::WatchApprovalsResponse {
        revision,
        resume_token,
        kind: Some(kind),
    };
    match item {
        InboxItem::Snapshot {
            approvals, resync, ..
        } => {
            let approvals: Vec<&Approval> = approvals
                .iter()
                .filter(|approval| binding.sees_customer(&approval.customer_ref))
                .collect();
            let chunks: Vec<&[&Approval]> = if approvals.is_empty() {
                vec![&[]]
            } else {
                approvals.chunks(chunk).collect()
            };
            let last = chunks.len() - 1;
            chunks
                .into_iter()
                .enumerate()
                .map(|(index, approvals)| {
                    let resynced = watch_common::Resynced::from(resync);
                    let snapshot = pb::ApprovalSnapshot {
                        approvals: approvals.iter().map(|each| approval(each)).collect(),
                        last_chunk: index == last,
                        resync: resynced.resync,
                        resync_reason: resynced.reason.into(),
                        resync_message: resynced.message,
                    };
                    let resume_token = if index == last {
                        token.clone()
                    } else {
                        String::new()
                    };
                    message(Kind::Snapshot(snapshot), resume_token)
                })
                .collect()
        }
        InboxItem::Changes(changes) => {
            let approvals: Vec<pb::Approval> = changes
                .approvals
                .iter()
                .filter(|approval| binding.sees_customer(&approval.customer_ref))
                .map(approval)
                .collect();
            if approvals.is_empty() {
                return Vec::new();
            }
            vec![message(
                Kind::Changes(pb::ApprovalChanges { approvals }),
                token,
            )]
        }
        InboxItem::Progress { health, .. } => {
            vec![message(
                Kind::Progress(watch_common::progress(health)),
                token,
            )]
        }
    }
}

/// UNSPECIFIED is not a status one can ask for.
fn status_from(status: pb::ApprovalStatus) -> Option<ApprovalStatus> {
    Some(match status {
        pb::ApprovalStatus::Unspecified => return None,
        pb::ApprovalStatus::Pending => ApprovalStatus::Pending,
        pb::ApprovalStatus::Approved => ApprovalStatus::Approved,
        pb::ApprovalStatus::Rejected => ApprovalStatus::Rejected,
        pb::ApprovalStatus::Withdrawn => ApprovalStatus::Withdrawn,
        pb::ApprovalStatus::Expired => ApprovalStatus::Expired,
        pb::ApprovalStatus::Failed => ApprovalStatus::Failed,
    })
}

fn approval(approval: &Approval) -> pb::Approval {
    let months = |m: Option<i64>| m.and_then(|m| i32::try_from(m).ok()).unwrap_or_default();
    pb::Approval {
        approval_uid: approval.uid.clone(),
        r#type: match approval.kind {
            ApprovalKind::NewOrder => pb::ApprovalType::NewOrder,
            ApprovalKind::SpeedChange => pb::ApprovalType::SpeedChange,
            ApprovalKind::TermChange => pb::ApprovalType::TermChange,
            ApprovalKind::Other => pb::ApprovalType::Unspecified,
        }
        .into(),
        status: match approval.status {
            ApprovalStatus::Pending => pb::ApprovalStatus::Pending,
            ApprovalStatus::Approved => pb::ApprovalStatus::Approved,
            ApprovalStatus::Rejected => pb::ApprovalStatus::Rejected,
            ApprovalStatus::Withdrawn => pb::ApprovalStatus::Withdrawn,
            ApprovalStatus::Expired => pb::ApprovalStatus::Expired,
            ApprovalStatus::Failed => pb::ApprovalStatus::Failed,
            ApprovalStatus::Other => pb::ApprovalStatus::Unspecified,
        }
        .into(),
        requester: approval.requester.clone(),
        vxc_uid: approval.vxc_uid.clone(),
        vxc_name: approval.vxc_name.clone(),
        on_ramp: approval.port.as_ref().map(convert::port_summary),
        service_key: approval.service_key.clone(),
        customer_ref: approval.customer_ref.clone(),
        requested_rate_limit_mbps: approval.requested_rate_limit_mbps.unwrap_or_default(),
        current_rate_limit_mbps: approval.current_rate_limit_mbps.unwrap_or_default(),
        requested_term_months: months(approval.requested_term_months),
        current_term_months: months(approval.current_term_months),
        comment: approval.comment.clone(),
        create_time: approval.create_time.map(convert::timestamp),
        expire_time: approval.expire_time.map(convert::timestamp),
        decide_time: approval.decide_time.map(convert::timestamp),
        // Filled in by `with_peering`, which reads the store.
        peering: None,
    }
}

/// An approval's place in the inbox's newest-first listing, for keyset page tokens.
fn approval_position(approval: &Approval) -> (i64, &str) {
    let time_ms = approval.create_time.map_or(i64::MIN, unix_millis);
    (time_ms, &approval.uid)
}
