//! Exactly once under faults: the sandbox drops 30 % of buy responses after committing the order
//! and answers 503 to 20 % of buys before committing. 200 CreateVxcOrder calls, each with its own
//! request_id and retried until it succeeds (within a retry budget that makes giving up
//! vanishingly rare, see `RETRIES`), must leave exactly 200 orders in the sandbox ledger (no
//! duplicates, none missing), and every call that reported success must match one of them by
//! request_id tag and VXC uid.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::orders::*;
use crate::support::{SandboxedServer, reason};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig, SandboxLimits};
use onramp_proto::CreateVxcOrderRequest;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tonic::Code;

const CALLS: usize = 200;
/// The retry budget of one call. Only buys are faulted, and an attempt fails only when its buy
/// draws a fault: at most 0.3 + 0.2 = 0.5 (a retry after a dropped answer usually reconciles
/// without buying, so the real rate is lower). A call gives up after RETRIES + 1 failed attempts
/// with probability at most 0.5^(RETRIES + 1), and a run of 200 calls fails spuriously with
/// probability at most 200 * 0.5^41 < 1e-10. With 5 retries that bound was 200 * 0.5^6, and CI
/// saw a call give up about once in a hundred runs. A retry costs nothing when none is needed,
/// and a duplicate or a missing order still fails the ledger checks below.
const RETRIES: usize = 40;
const CONCURRENCY: usize = 16;

struct CallResult {
    request_id: String,
    vxc_uid: Option<String>,
    attempts: usize,
    outcome_unknown_errors: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_orders_under_lost_answers_and_503s_are_bought_exactly_once() {
    // 200 orders take more requests than Megaport allows one client in 5 minutes: this test is
    // about exactly-once, so both Megaport's limit and onramp's budget are lifted.
    let sandbox = SandboxConfig {
        limits: SandboxLimits::off(),
        ..fast_sandbox()
    };
    let mut config = orders_config();
    config.megaport.budget.requests = 100_000;
    let sandboxed = SandboxedServer::start_with(sandbox, config).await;
    // One multi-use key with the Port's full speed: every order gets the next free B-end VLAN,
    // and Megaport picks the A-end VLAN (Acme's Port has 4092).
    let key = mint_key(&sandboxed.sandbox, LA1_BLUE, KeyOptions::SHARED).await;
    let control = sandboxed.sandbox.control();
    // The first terminal fault to fire wins, so 503 is drawn on the 70 % that were not dropped:
    // 2/7 of those is 20 % of all buys.
    let drop_id = control
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropAfterCommit).with_probability(0.3))
        .expect("drop fault");
    let status_id = control
        .inject_fault(
            Fault::new(
                RouteGroup::Buy,
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
            )
            .with_probability(2.0 / 7.0),
        )
        .expect("503 fault");

    let started = Instant::now();
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut calls = JoinSet::new();
    for index in 0..CALLS {
        let channel = sandboxed.server.channel.clone();
        let limit = limit.clone();
        let order_spec = spec(&key, &format!("fault order {index}"), 1);
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await.expect("semaphore");
            let mut client = VxcOrderServiceClient::new(channel);
            let request_id = request_id();
            let mut result = CallResult {
                request_id: request_id.clone(),
                vxc_uid: None,
                attempts: 0,
                outcome_unknown_errors: 0,
            };
            for _ in 0..=RETRIES {
                result.attempts += 1;
                let call = client.create_vxc_order(CreateVxcOrderRequest {
                    account: "acme".into(),
                    spec: Some(order_spec.clone()),
                    request_id: request_id.clone(),
                });
                match tokio::time::timeout(Duration::from_secs(30), call).await {
                    Ok(Ok(response)) => {
                        let order = response.into_inner().order.expect("order");
                        assert_eq!(order.request_id, request_id);
                        result.vxc_uid = Some(order.vxc_uid);
                        break;
                    }
                    Ok(Err(status)) => {
                        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                        if reason(&status) == "UPSTREAM_OUTCOME_UNKNOWN" {
                            result.outcome_unknown_errors += 1;
                            assert!(meta(&status, "order_id").is_some(), "{status:?}");
                        }
                    }
                    Err(_) => panic!("create call hung"),
                }
            }
            result
        });
    }
    let mut results = Vec::with_capacity(CALLS);
    // A guard against a hang, not a speed check: the run takes seconds.
    let joined = tokio::time::timeout(Duration::from_secs(600), async {
        while let Some(result) = calls.join_next().await {
            results.push(result.expect("call task"));
        }
    })
    .await;
    assert!(joined.is_ok(), "fault run did not finish in time");
    let wall = started.elapsed();

    let faults: HashMap<u64, u32> = control
        .faults()
        .into_iter()
        .map(|fault| (fault.id, fault.fired))
        .collect();
    let ledger: Vec<_> = control
        .orders()
        .into_iter()
        .filter(|entry| entry.service_key.as_deref() == Some(key.as_str()))
        .collect();
    let attempts: usize = results.iter().map(|r| r.attempts).sum();
    let retries = attempts - CALLS;
    let unknown: usize = results.iter().map(|r| r.outcome_unknown_errors).sum();
    let succeeded = results.iter().filter(|r| r.vxc_uid.is_some()).count();
    let dropped = faults.get(&drop_id).copied().unwrap_or_default();
    let refused = faults.get(&status_id).copied().unwrap_or_default();
    // Each lost or 503 answer is reconciled once in its call, and every retry of an unknown
    // outcome reconciles again before it may buy.
    let reconciliations = dropped as usize + refused as usize + retries;
    println!(
        "orders fault run: calls={CALLS} attempts={attempts} retries={retries} \
         caller_saw_outcome_unknown={unknown} buys_dropped_after_commit={dropped} \
         buys_503_before_commit={refused} reconciliations={reconciliations} \
         succeeded={succeeded} ledger={} wall={:.1}s",
        ledger.len(),
        wall.as_secs_f64()
    );

    // Exactly one Megaport order per request_id: no duplicates, none missing.
    let tags: Vec<String> = ledger
        .iter()
        .map(|entry| {
            entry.resource_tags[0]["value"]
                .as_str()
                .expect("request_id tag")
                .to_owned()
        })
        .collect();
    let distinct: HashSet<&String> = tags.iter().collect();
    assert_eq!(distinct.len(), tags.len(), "a request_id was bought twice");
    assert_eq!(ledger.len(), CALLS, "exactly one order per call");
    assert_eq!(succeeded, CALLS, "every call succeeded within its retries");

    // Every reported success is the ledger's VXC for its request_id.
    let by_tag: HashMap<&str, &str> = ledger
        .iter()
        .zip(&tags)
        .map(|(entry, tag)| (tag.as_str(), entry.vxc_uid.as_str()))
        .collect();
    for result in &results {
        if let Some(vxc_uid) = &result.vxc_uid {
            assert_eq!(
                by_tag.get(result.request_id.as_str()).copied(),
                Some(vxc_uid.as_str()),
                "{} reported a vxc the ledger does not have for it",
                result.request_id
            );
        }
    }
    assert!(dropped > 0 && refused > 0, "both faults fired");
}
