//! Concurrent CreateVxcOrder calls with one request_id buy once: the journal row is unique per
//! request_id and every call for it runs under one lock, so all callers get the same order.

use std::collections::HashSet;

use crate::support::SandboxedServer;
use crate::support::orders::*;
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::CreateVxcOrderRequest;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_one_request_id_buy_once() {
    let sandboxed = SandboxedServer::start_with(fast_sandbox(), orders_config()).await;
    let key = mint_key(&sandboxed.sandbox, LA1_BLUE, KeyOptions::SHARED).await;
    // A slow buy widens the window in which the calls overlap.
    sandboxed
        .sandbox
        .control()
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::Latency { ms: 300 }))
        .expect("latency");
    let id = request_id();
    let order_spec = spec(&key, "raced", 10);
    let mut calls = JoinSet::new();
    for _ in 0..8 {
        let mut client = VxcOrderServiceClient::new(sandboxed.server.channel.clone());
        let request = CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(order_spec.clone()),
            request_id: id.clone(),
        };
        calls.spawn(async move {
            crate::support::within(client.create_vxc_order(request))
                .await
                .expect("create")
                .into_inner()
                .order
                .expect("order")
        });
    }
    let mut seen = HashSet::new();
    while let Some(order) = crate::support::within(calls.join_next()).await {
        let order = order.expect("task");
        seen.insert((order.order_id, order.vxc_uid));
    }
    assert_eq!(seen.len(), 1, "every caller got the same order: {seen:?}");
    assert_eq!(sandboxed.sandbox.control().orders().len(), 1, "one buy");
}
