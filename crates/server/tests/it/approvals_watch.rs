//! WatchApprovals: the inbox as a resumable stream. A snapshot first; a new order's approval
//! arrives as a change; a watcher cut off after it resumes with its token, across an onramp
//! restart, and receives the decision exactly once and in order; tokens that do not fit get a
//! resync or INVALID_ARGUMENT.

use std::time::Duration;

use crate::support::approvals::*;
use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::watch_approvals_response::Kind;
use onramp_proto::{
    ApprovalStatus, ApprovalType, ApproveApprovalRequest, ResyncReason, WatchApprovalsRequest,
    WatchApprovalsResponse, WatchServiceKeysRequest,
};
use tonic::Code;
use tonic::transport::Channel;

type Stream = tonic::Streaming<WatchApprovalsResponse>;

async fn open(channel: &Channel, resume_token: &str) -> Stream {
    within(
        ApprovalServiceClient::new(channel.clone()).watch_approvals(WatchApprovalsRequest {
            resume_token: resume_token.to_owned(),
        }),
    )
    .await
    .expect("watch")
    .into_inner()
}

async fn next(stream: &mut Stream) -> WatchApprovalsResponse {
    within(stream.message())
        .await
        .expect("message")
        .expect("stream open")
}

/// Messages until one whose changes include `vxc_uid`'s approval in `status` (progress skipped).
async fn until_change(
    stream: &mut Stream,
    vxc_uid: &str,
    status: ApprovalStatus,
) -> WatchApprovalsResponse {
    loop {
        let message = next(stream).await;
        if let Some(Kind::Changes(changes)) = &message.kind
            && changes
                .approvals
                .iter()
                .any(|a| a.vxc_uid == vxc_uid && a.status() == status)
        {
            return message;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_resumes_after_a_restart_and_gets_the_decision_once() {
    let mut config = inbox_config();
    config.watch.progress_interval_millis = 300;
    let env = SandboxedServer::start_with(fast_sandbox(), config).await;
    let channel = env.server.channel.clone();

    let mut stream = open(&channel, "").await;
    let first = next(&mut stream).await;
    let Some(Kind::Snapshot(snapshot)) = &first.kind else {
        panic!("a snapshot first: {first:?}");
    };
    assert!(snapshot.last_chunk && !snapshot.resync);
    assert!(!first.resume_token.is_empty());

    // A customer buys with a key that is not pre-approved: the approval arrives as a change.
    let key = key_for(&channel, "acme-watch", 395).await;
    let order = acme_buys(&channel, &key, "watched approval").await;
    let pending = until_change(&mut stream, &order.vxc_uid, ApprovalStatus::Pending).await;
    assert!(pending.revision > first.revision);
    let Some(Kind::Changes(changes)) = &pending.kind else {
        unreachable!()
    };
    let approval = changes
        .approvals
        .iter()
        .find(|a| a.vxc_uid == order.vxc_uid)
        .expect("the approval");
    assert_eq!(approval.r#type(), ApprovalType::NewOrder);
    assert_eq!(approval.customer_ref, "acme-watch");
    let token = pending.resume_token.clone();
    drop(stream);

    // Decided while nobody watches, then onramp restarts.
    within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(ApproveApprovalRequest {
            approval_uid: approval.approval_uid.clone(),
            comment: String::new(),
        }),
    )
    .await
    .expect("approve");
    let env = env.restart().await;
    let channel = env.server.channel.clone();

    // The replay: exactly the revisions after the token, in order, the decision once.
    let mut resumed = open(&channel, &token).await;
    let mut replayed = Vec::new();
    loop {
        let message = next(&mut resumed).await;
        match message.kind {
            Some(Kind::Changes(changes)) => replayed.push((message.revision, changes)),
            Some(Kind::Progress(_)) => break,
            other => panic!("a replay, not {other:?}"),
        }
    }
    let revisions: Vec<i64> = replayed.iter().map(|(revision, _)| *revision).collect();
    assert_eq!(
        revisions,
        (pending.revision + 1..=pending.revision + revisions.len() as i64).collect::<Vec<_>>(),
        "contiguous, after the token"
    );
    let decided: Vec<ApprovalStatus> = replayed
        .iter()
        .flat_map(|(_, changes)| changes.approvals.iter())
        .filter(|a| a.approval_uid == approval.approval_uid)
        .map(|a| a.status())
        .collect();
    assert_eq!(decided, [ApprovalStatus::Approved], "the decision, once");

    // A token from the latest message: progress, nothing replayed.
    let caught_up = next(&mut open(&channel, &progress_token(&mut resumed).await).await).await;
    assert!(
        matches!(caught_up.kind, Some(Kind::Progress(_))),
        "{caught_up:?}"
    );

    // A key watch's token is another history's: a resync; garbage is refused.
    let mut keys = within(
        ServiceKeyServiceClient::new(channel.clone())
            .watch_service_keys(WatchServiceKeysRequest::default()),
    )
    .await
    .expect("key watch")
    .into_inner();
    let key_token = within(keys.message())
        .await
        .expect("key message")
        .expect("open")
        .resume_token;
    let resynced = next(&mut open(&channel, &key_token).await).await;
    let Some(Kind::Snapshot(snapshot)) = resynced.kind else {
        panic!("a resync snapshot");
    };
    assert!(snapshot.resync);
    assert_eq!(snapshot.resync_reason(), ResyncReason::TokenUnknown);
    assert!(
        snapshot
            .approvals
            .iter()
            .any(|a| a.approval_uid == approval.approval_uid
                && a.status() == ApprovalStatus::Approved)
    );
    let refused = within(ApprovalServiceClient::new(channel.clone()).watch_approvals(
        WatchApprovalsRequest {
            resume_token: "not-a-token".into(),
        },
    ))
    .await
    .expect_err("malformed");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(reason(&refused), "RESUME_TOKEN_INVALID");
}

/// The token of the stream's next progress message.
async fn progress_token(stream: &mut Stream) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = next(stream).await;
        if matches!(message.kind, Some(Kind::Progress(_))) {
            return message.resume_token;
        }
        assert!(tokio::time::Instant::now() < deadline, "no progress");
    }
}
