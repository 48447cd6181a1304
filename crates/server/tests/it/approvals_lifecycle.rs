//! The connection from purchase to its end, watched on one WatchVxcOrder stream, with every
//! write under the faults used for buys: each step's first request is answered 503 before
//! Megaport acts, its second has its answer dropped after Megaport acted. A customer buys with
//! a key that is not pre-approved, the provider approves it from the inbox, the customer asks
//! for a faster rate, the provider approves the SPEED_CHANGE, the customer shuts the VXC down,
//! quotes the cancellation, cancels at the end of the term, then now. Each step is retried with
//! its request until it succeeds, and each happens once.

use std::time::Duration;

use crate::support::approvals::*;
use crate::support::orders::*;
use crate::support::{SandboxedServer, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig, SandboxLimits};
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    ApprovalStatus, ApprovalType, ApproveApprovalRequest, CancelVxcRequest, ChangeVxcRequest,
    CreateVxcOrderRequest, ListApprovalsRequest, QuoteVxcCancellationRequest, VxcOrder,
    VxcOrderState, WatchVxcOrderRequest,
};
use tonic::transport::Channel;

/// The next request to `group` is answered 503 before Megaport acts; the one after has its
/// answer dropped after Megaport acted.
fn fault_next_two(env: &SandboxedServer, group: RouteGroup) {
    let control = env.sandbox.control();
    let unavailable = FaultKind::Status {
        code: 503,
        retry_after: None,
    };
    control
        .inject_fault(Fault::new(group, unavailable).with_count(1))
        .expect("503 fault");
    control
        .inject_fault(Fault::new(group, FaultKind::DropAfterCommit).with_count(1))
        .expect("drop fault");
}

/// Every message of the order's watch until the stream ends.
fn watch(channel: &Channel, order_id: &str) -> tokio::task::JoinHandle<Vec<VxcOrder>> {
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    let request = WatchVxcOrderRequest {
        order_id: order_id.to_owned(),
    };
    tokio::spawn(async move {
        let mut stream = within(orders.watch_vxc_order(request))
            .await
            .expect("watch")
            .into_inner();
        let mut seen = Vec::new();
        while let Some(message) = tokio::time::timeout(Duration::from_secs(60), stream.message())
            .await
            .expect("the watch goes quiet")
            .expect("watch message")
        {
            seen.push(message.order.expect("order"));
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_of_a_connection_shows_on_its_watch_once_under_faults() {
    // Megaport's one update per VXC per 5 minutes would space these steps 5 minutes apart.
    let sandbox = SandboxConfig {
        limits: SandboxLimits {
            per_service_update: None,
            ..SandboxLimits::default()
        },
        ..fast_sandbox()
    };
    let mut config = inbox_config();
    config.megaport.budget.service_update_interval_seconds = 0;
    let env = SandboxedServer::start_with(sandbox, config).await;
    let channel = env.server.channel.clone();
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    let mut inbox = ApprovalServiceClient::new(channel.clone());
    let key = key_for(&channel, "acme-e2e", 394).await;
    let mut attempts = Vec::new();

    // The buy.
    fault_next_two(&env, RouteGroup::Buy);
    let buy = CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "acme e2e", 100)),
        request_id: request_id(),
    };
    let (bought, tries) = retried("buy", ("request_id", &buy.request_id), || {
        let (mut client, request) = (orders.clone(), buy.clone());
        async move { client.create_vxc_order(request).await }
    })
    .await;
    attempts.push(("buy", tries));
    let order = bought.order.expect("order");
    let vxc_uid = order.vxc_uid.clone();
    let watched = watch(&channel, &order.order_id);

    // The provider approves the new order from its inbox.
    let new_order = approval_of(&channel, &vxc_uid, &[ApprovalStatus::Pending]).await;
    assert_eq!(new_order.r#type(), ApprovalType::NewOrder);
    fault_next_two(&env, RouteGroup::ApprovalDecide);
    let approve = ApproveApprovalRequest {
        approval_uid: new_order.approval_uid,
        comment: "welcome".into(),
    };
    let (_, tries) = retried(
        "approve order",
        ("approval_uid", &approve.approval_uid),
        || {
            let (mut client, request) = (inbox.clone(), approve.clone());
            async move { client.approve_approval(request).await }
        },
    )
    .await;
    attempts.push(("approve order", tries));
    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;

    // 100 -> 500 Mbps: a SPEED_CHANGE for the provider, approved.
    fault_next_two(&env, RouteGroup::VxcUpdate);
    let faster = ChangeVxcRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        rate_limit_mbps: 500,
        request_id: request_id(),
        ..Default::default()
    };
    let (_, tries) = retried("change", ("request_id", &faster.request_id), || {
        let (mut client, request) = (orders.clone(), faster.clone());
        async move { client.change_vxc(request).await }
    })
    .await;
    attempts.push(("change", tries));
    let speed_change = approval_of(&channel, &vxc_uid, &[ApprovalStatus::Pending]).await;
    assert_eq!(speed_change.r#type(), ApprovalType::SpeedChange);
    fault_next_two(&env, RouteGroup::ApprovalDecide);
    let approve = ApproveApprovalRequest {
        approval_uid: speed_change.approval_uid,
        comment: String::new(),
    };
    let (_, tries) = retried(
        "approve change",
        ("approval_uid", &approve.approval_uid),
        || {
            let (mut client, request) = (inbox.clone(), approve.clone());
            async move { client.approve_approval(request).await }
        },
    )
    .await;
    attempts.push(("approve change", tries));
    within(async {
        while wait_for_rate(&channel, &order.order_id).await != 500 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;

    // Shut down, then priced and cancelled at the end of the term, then now.
    fault_next_two(&env, RouteGroup::VxcUpdate);
    let shut = ChangeVxcRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
        shutdown: Some(true),
        request_id: request_id(),
        ..Default::default()
    };
    let (after, tries) = retried("shutdown", ("request_id", &shut.request_id), || {
        let (mut client, request) = (orders.clone(), shut.clone());
        async move { client.change_vxc(request).await }
    })
    .await;
    attempts.push(("shutdown", tries));
    assert!(after.vxc.expect("vxc").shutdown);
    let charges = within(orders.quote_vxc_cancellation(QuoteVxcCancellationRequest {
        account: "acme".into(),
        vxc_uid: vxc_uid.clone(),
    }))
    .await
    .expect("charges")
    .into_inner();
    assert_eq!(charges.total_charge, "1683", "11 months of 153");
    for now in [false, true] {
        fault_next_two(&env, RouteGroup::Lifecycle);
        let cancel = CancelVxcRequest {
            account: "acme".into(),
            vxc_uid: vxc_uid.clone(),
            now,
            request_id: request_id(),
        };
        let (_, tries) = retried("cancel", ("request_id", &cancel.request_id), || {
            let (mut client, request) = (orders.clone(), cancel.clone());
            async move { client.cancel_vxc(request).await }
        })
        .await;
        attempts.push((if now { "cancel now" } else { "cancel later" }, tries));
    }

    // The watch saw every step, in order, and ended with the VXC.
    let seen = within(async { watched.await.expect("watch task") }).await;
    let mut states: Vec<VxcOrderState> = seen.iter().map(VxcOrder::state).collect();
    states.dedup();
    let after_live: Vec<VxcOrderState> = states
        .iter()
        .copied()
        .skip_while(|state| *state != VxcOrderState::Live)
        .collect();
    assert_eq!(states[0], VxcOrderState::AwaitingApproval, "{states:?}");
    assert_eq!(
        after_live,
        [
            VxcOrderState::Live,
            VxcOrderState::ChangeAwaitingApproval,
            VxcOrderState::Live,
            VxcOrderState::Cancelling,
            VxcOrderState::Decommissioning,
            VxcOrderState::Decommissioned,
        ],
        "{states:?}"
    );
    let waiting = seen
        .iter()
        .find(|o| o.state() == VxcOrderState::ChangeAwaitingApproval)
        .expect("waiting");
    assert_eq!(waiting.awaiting_approval_from, "QuantumGPU");
    let pending = waiting.vxc.as_ref().expect("vxc");
    assert_eq!(
        (pending.rate_limit_mbps, pending.pending_rate_limit_mbps),
        (100, 500)
    );
    let approved = seen
        .iter()
        .skip_while(|o| o.state() != VxcOrderState::ChangeAwaitingApproval)
        .find(|o| o.state() == VxcOrderState::Live)
        .expect("live again");
    assert_eq!(approved.vxc.as_ref().expect("vxc").rate_limit_mbps, 500);
    assert!(
        approved.state_message.contains("approved the change"),
        "{}",
        approved.state_message
    );
    assert!(
        seen.iter().any(|o| o.state() == VxcOrderState::Live
            && o.vxc.as_ref().is_some_and(|vxc| vxc.shutdown)
            && o.state_message.contains("shut down")),
        "the shutdown shows"
    );
    assert!(
        seen.windows(2).all(|pair| {
            let t = |o: &VxcOrder| o.update_time.as_ref().map(|t| (t.seconds, t.nanos));
            t(&pair[0]) <= t(&pair[1])
        }),
        "update_time never goes backwards"
    );

    // Every step met both faults, and happened once.
    for (step, tried) in &attempts {
        assert!(tried.tries >= 2, "{step} was not faulted: {tried:?}");
        // Megaport's 503 to a write says nothing of whether it acted; onramp's read-back shows
        // it did not, and the caller hears the outcome is unknown, naming what to retry.
        assert!(
            tried.unknown >= 1,
            "{step} never reported an unknown outcome: {tried:?}"
        );
    }
    for fault in env.sandbox.control().faults() {
        assert_eq!(fault.fired, 1, "{fault:?}");
    }
    let ledger = env.sandbox.control().orders();
    assert_eq!(ledger.len(), 1, "one buy");
    let decided = within(inbox.list_approvals(ListApprovalsRequest {
        statuses: vec![
            ApprovalStatus::Pending.into(),
            ApprovalStatus::Approved.into(),
            ApprovalStatus::Rejected.into(),
        ],
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner()
    .approvals;
    let mine: Vec<(ApprovalType, ApprovalStatus)> = decided
        .iter()
        .filter(|a| a.vxc_uid == vxc_uid)
        .map(|a| (a.r#type(), a.status()))
        .collect();
    assert_eq!(mine.len(), 2, "one approval per request: {mine:?}");
    assert!(mine.contains(&(ApprovalType::NewOrder, ApprovalStatus::Approved)));
    assert!(mine.contains(&(ApprovalType::SpeedChange, ApprovalStatus::Approved)));
    eprintln!("attempts per step: {attempts:?}");
}

/// The order's VXC rate as onramp shows it now.
async fn wait_for_rate(channel: &Channel, order_id: &str) -> i64 {
    within(VxcOrderServiceClient::new(channel.clone()).get_vxc_order(
        onramp_proto::GetVxcOrderRequest {
            order_id: order_id.to_owned(),
        },
    ))
    .await
    .expect("get")
    .into_inner()
    .order
    .and_then(|order| order.vxc)
    .map_or(0, |vxc| vxc.rate_limit_mbps)
}
