//! Keys that are not pre-approved: the order waits in AWAITING_APPROVAL (a normal state, with who
//! must approve), WatchVxcOrder stays open, the provider approves (then LIVE) or rejects (then
//! REJECTED with the reason), and a server shutdown ends open watches with
//! UNAVAILABLE / SHUTTING_DOWN.

use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    ApproveVxcOrderRequest, GetVxcOrderRequest, RejectVxcOrderRequest, VxcOrderState,
    WatchVxcOrderRequest, approve_vxc_order_request, reject_vxc_order_request,
};
use tonic::Code;

async fn key_needing_approval(sandboxed: &SandboxedServer, vlan: i64) -> String {
    mint_key(
        &sandboxed.sandbox,
        LA1_BLUE,
        KeyOptions {
            single_use: true,
            vlan: Some(vlan),
            max_speed: 1000,
            pre_approved: false,
        },
    )
    .await
}

#[tokio::test]
async fn the_provider_approves_and_the_watch_follows_the_order_to_live() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = key_needing_approval(&sandboxed, 380).await;
    let order = acme_buys(&sandboxed.server.channel, &key, "needs approval").await;
    assert_eq!(order.state(), VxcOrderState::AwaitingApproval);
    assert_eq!(order.awaiting_approval_from, "QuantumGPU");

    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: order.order_id.clone(),
    }))
    .await
    .expect("watch")
    .into_inner();
    let first = within(stream.message())
        .await
        .expect("first")
        .expect("message")
        .order
        .expect("order");
    assert_eq!(first.state(), VxcOrderState::AwaitingApproval);
    assert_eq!(first.awaiting_approval_from, "QuantumGPU");
    // Waiting is a normal state: nothing more arrives while nobody acts.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), stream.message())
            .await
            .is_err(),
        "the stream stays open and quiet while the order waits"
    );

    // The provider (the default account) approves.
    let approved = within(orders.approve_vxc_order(ApproveVxcOrderRequest {
        target: Some(approve_vxc_order_request::Target::OrderId(
            order.order_id.clone(),
        )),
        account: String::new(),
    }))
    .await
    .expect("approve")
    .into_inner()
    .order
    .expect("order");
    assert_eq!(approved.state(), VxcOrderState::Deployable);
    assert!(approved.awaiting_approval_from.is_empty());

    let mut states = vec![first.state()];
    while states.last() != Some(&VxcOrderState::Live) {
        let message = within(stream.message()).await.expect("message");
        states.push(
            message
                .expect("open until live")
                .order
                .expect("order")
                .state(),
        );
    }
    assert!(
        states[1..].iter().all(|state| matches!(
            state,
            VxcOrderState::Deployable | VxcOrderState::Configured | VxcOrderState::Live
        )),
        "{states:?}"
    );

    // Approving again: it is no longer waiting.
    let status = within(orders.approve_vxc_order(ApproveVxcOrderRequest {
        target: Some(approve_vxc_order_request::Target::OrderId(
            order.order_id.clone(),
        )),
        account: String::new(),
    }))
    .await
    .expect_err("not waiting");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "ORDER_NOT_AWAITING_APPROVAL");

    // Unknown orders and a missing target.
    let status = within(orders.approve_vxc_order(ApproveVxcOrderRequest {
        target: Some(approve_vxc_order_request::Target::OrderId(request_id())),
        account: String::new(),
    }))
    .await
    .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "ORDER_NOT_FOUND");
    let status = within(orders.approve_vxc_order(ApproveVxcOrderRequest {
        target: None,
        account: String::new(),
    }))
    .await
    .expect_err("no target");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn the_provider_rejects_by_vxc_uid_with_a_reason() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = key_needing_approval(&sandboxed, 390).await;
    let order = acme_buys(&sandboxed.server.channel, &key, "to be rejected").await;
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    let rejected = within(orders.reject_vxc_order(RejectVxcOrderRequest {
        target: Some(reject_vxc_order_request::Target::VxcUid(
            order.vxc_uid.clone(),
        )),
        account: "quantumgpu".into(),
        reason: "capacity reserved for another customer".into(),
    }))
    .await
    .expect("reject")
    .into_inner()
    .order
    .expect("order");
    assert_eq!(rejected.order_id, order.order_id, "found by its vxc uid");
    assert_eq!(rejected.state(), VxcOrderState::Rejected);
    assert!(
        rejected
            .state_message
            .contains("capacity reserved for another customer")
    );
    let got = within(orders.get_vxc_order(GetVxcOrderRequest {
        order_id: order.order_id.clone(),
    }))
    .await
    .expect("get")
    .into_inner()
    .order
    .expect("order");
    assert_eq!(got.state(), VxcOrderState::Rejected);

    // A terminal order: the watch sends it once and ends with OK.
    let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: order.order_id.clone(),
    }))
    .await
    .expect("watch")
    .into_inner();
    let only = within(stream.message())
        .await
        .expect("message")
        .expect("one");
    assert_eq!(only.order.expect("order").state(), VxcOrderState::Rejected);
    assert!(within(stream.message()).await.expect("end").is_none());

    let status = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: request_id(),
    }))
    .await
    .expect_err("unknown order");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "ORDER_NOT_FOUND");
}

#[tokio::test]
async fn shutdown_ends_open_watches_with_shutting_down() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = key_needing_approval(&sandboxed, 400).await;
    let order = acme_buys(&sandboxed.server.channel, &key, "waits through shutdown").await;
    let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
    let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
        order_id: order.order_id.clone(),
    }))
    .await
    .expect("watch")
    .into_inner();
    within(stream.message())
        .await
        .expect("first")
        .expect("message");

    let SandboxedServer { server, .. } = sandboxed;
    let stopping = tokio::spawn(server.stop());
    let status = within(stream.message())
        .await
        .expect_err("the stream ends with an error");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(reason(&status), "SHUTTING_DOWN");
    assert_eq!(
        meta(&status, "order_id").as_deref(),
        Some(order.order_id.as_str())
    );
    within(stopping)
        .await
        .expect("stop task")
        .expect("clean stop");
}

/// Requests that read VXCs (`GET /v2/products`, the account listing the follower uses, and
/// `GET /v2/product/{uid}`) that reached the sandbox in `window`.
async fn product_reads_during(sandboxed: &SandboxedServer, window: std::time::Duration) -> usize {
    use megaport_sandbox::RouteGroup;
    let control = sandboxed.sandbox.control();
    let reads = || control.requests(RouteGroup::Products) + control.requests(RouteGroup::Product);
    let before = reads();
    tokio::time::sleep(window).await;
    reads() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_watches_of_one_order_and_ten_orders_cost_megaport_what_one_does() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    // A multi-use key: no used key sends the watcher to read Ports while we count.
    let key = mint_key(
        &sandboxed.sandbox,
        LA1_BLUE,
        KeyOptions {
            single_use: false,
            vlan: None,
            max_speed: 1000,
            pre_approved: false,
        },
    )
    .await;
    let order = acme_buys(&sandboxed.server.channel, &key, "watched by many").await;
    assert_eq!(order.state(), VxcOrderState::AwaitingApproval);
    let open = |count: usize| {
        let channel = sandboxed.server.channel.clone();
        let order_id = order.order_id.clone();
        async move {
            let mut streams = Vec::new();
            for _ in 0..count {
                let mut orders = VxcOrderServiceClient::new(channel.clone());
                let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
                    order_id: order_id.clone(),
                }))
                .await
                .expect("watch")
                .into_inner();
                within(stream.message())
                    .await
                    .expect("first")
                    .expect("message");
                streams.push(stream);
            }
            streams
        }
    };
    let window = std::time::Duration::from_secs(2);
    let one = open(1).await;
    let with_one = product_reads_during(&sandboxed, window).await;
    drop(one);
    let twenty = open(20).await;
    let with_twenty = product_reads_during(&sandboxed, window).await;
    eprintln!("VXC reads in {window:?}: {with_one} with 1 stream, {with_twenty} with 20");
    // At a 50 ms interval each window holds about 40 reads (each takes a few ms as well).
    assert!(with_one >= 10, "the order is followed: {with_one} reads");
    assert!(
        with_twenty as f64 <= with_one as f64 * 1.1 + 2.0,
        "20 streams made {with_twenty} reads in {window:?}, 1 stream {with_one}"
    );
    drop(twenty);

    // Ten orders of the account, two streams each: still one listing per interval.
    let mut streams = Vec::new();
    for n in 0..10 {
        let another = acme_buys(&sandboxed.server.channel, &key, &format!("one of ten {n}")).await;
        for _ in 0..2 {
            let mut orders = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
            let mut stream = within(orders.watch_vxc_order(WatchVxcOrderRequest {
                order_id: another.order_id.clone(),
            }))
            .await
            .expect("watch")
            .into_inner();
            within(stream.message())
                .await
                .expect("first")
                .expect("message");
            streams.push(stream);
        }
    }
    let with_ten_orders = product_reads_during(&sandboxed, window).await;
    eprintln!("VXC reads in {window:?} with 10 orders watched twice each: {with_ten_orders}");
    assert!(
        with_ten_orders as f64 <= with_one as f64 * 1.1 + 2.0,
        "10 orders made {with_ten_orders} reads in {window:?}, 1 order {with_one}"
    );
}
