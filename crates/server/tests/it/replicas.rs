//! Three onramp replicas on one PostgreSQL: exactly once across them while replicas are killed,
//! and VLANs handed out once across them.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::orders::*;
use crate::support::replicas::Replicas;
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig, SandboxLimits};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateServiceKeyRequest, CreateVxcOrderRequest};
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;
use tonic::Code;

const REPLICAS: usize = 3;
const ORDERS: usize = 300;
const CONCURRENCY: usize = 16;
/// Replicas killed during the run, one after another.
const KILLS: usize = 3;

/// A replica chosen at random for each attempt, as a load balancer would.
fn any_replica() -> usize {
    usize::from(uuid::Uuid::new_v4().as_bytes()[0]) % REPLICAS
}

/// Whether a failed attempt may be retried with the same request_id: the replica was killed
/// under it (the stream broke), it could not tell the outcome yet, or it waited on a lease a
/// killed replica held.
fn retryable(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::Cancelled
            | Code::Aborted
            | Code::DeadlineExceeded
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_orders_over_three_replicas_with_kills_are_bought_exactly_once() {
    let sandbox = SandboxConfig {
        limits: SandboxLimits::off(),
        ..fast_sandbox()
    };
    let extra = "[orders]\npoll_interval_millis = 200\nrebuy_grace_millis = 0\n\
                 upstream_timeout_millis = 10000\n";
    let replicas = Arc::new(Mutex::new(Replicas::start(REPLICAS, sandbox, extra).await));
    let (key, control) = {
        let replicas = replicas.lock().await;
        let key = mint_key(
            &replicas.sandbox,
            LA1_BLUE,
            KeyOptions {
                single_use: false,
                vlan: None,
                max_speed: 10_000,
                pre_approved: true,
            },
        )
        .await;
        (key, replicas.sandbox.control().clone())
    };
    // 20 % of buys are committed and their answer dropped; 10 % are refused with 503 before
    // committing (the first terminal fault to fire wins: 1/8 of the other 80 %).
    let drop_id = control
        .inject_fault(Fault::new(RouteGroup::Buy, FaultKind::DropAfterCommit).with_probability(0.2))
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
            .with_probability(0.125),
        )
        .expect("503 fault");
    let channels: Vec<_> = {
        let replicas = replicas.lock().await;
        (0..REPLICAS).map(|index| replicas.channel(index)).collect()
    };

    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let attempts = Arc::new(AtomicUsize::new(0));
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut calls = JoinSet::new();
    for index in 0..ORDERS {
        let (channels, limit, done, attempts) = (
            channels.clone(),
            limit.clone(),
            done.clone(),
            attempts.clone(),
        );
        let order_spec = spec(&key, &format!("replica order {index}"), 1);
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await.expect("semaphore");
            let request_id = request_id();
            loop {
                attempts.fetch_add(1, Ordering::SeqCst);
                let mut client = VxcOrderServiceClient::new(channels[any_replica()].clone());
                let call = client.create_vxc_order(CreateVxcOrderRequest {
                    account: "acme".into(),
                    spec: Some(order_spec.clone()),
                    request_id: request_id.clone(),
                });
                match tokio::time::timeout(Duration::from_secs(60), call).await {
                    Ok(Ok(response)) => {
                        let order = response.into_inner().order.expect("order");
                        assert_eq!(order.request_id, request_id);
                        done.fetch_add(1, Ordering::SeqCst);
                        return (request_id, order.vxc_uid);
                    }
                    Ok(Err(status)) => {
                        assert!(retryable(&status), "{request_id}: {status:?}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(_) => panic!("{request_id}: a create call hung"),
                }
            }
        });
    }
    // Kill a replica each time another quarter of the orders is done, and start it again a
    // moment later.
    let killer = tokio::spawn({
        let (replicas, done) = (replicas.clone(), done.clone());
        async move {
            for kill in 0..KILLS {
                while done.load(Ordering::SeqCst) < ORDERS * (kill + 1) / (KILLS + 1) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let mut replicas = replicas.lock().await;
                replicas.kill(kill % REPLICAS);
                tokio::time::sleep(Duration::from_millis(500)).await;
                replicas.start_replica(kill % REPLICAS).await;
            }
        }
    });
    let mut results = Vec::with_capacity(ORDERS);
    let joined = tokio::time::timeout(Duration::from_secs(400), async {
        while let Some(result) = calls.join_next().await {
            results.push(result.expect("call task"));
        }
    })
    .await;
    if joined.is_err() {
        panic!(
            "the run did not finish: {} of {ORDERS} done\n{}",
            done.load(Ordering::SeqCst),
            replicas.lock().await.logs()
        );
    }
    tokio::time::timeout(Duration::from_secs(30), killer)
        .await
        .expect("kills finished")
        .expect("killer");
    let wall = started.elapsed();

    let fired = |id| {
        control
            .faults()
            .into_iter()
            .find(|fault| fault.id == id)
            .map_or(0, |fault| fault.fired)
    };
    let ledger: Vec<_> = control
        .orders()
        .into_iter()
        .filter(|entry| entry.service_key.as_deref() == Some(key.as_str()))
        .collect();
    println!(
        "replica run: orders={ORDERS} replicas={REPLICAS} kills={KILLS} attempts={} \
         dropped_after_commit={} refused_503={} ledger={} wall={:.1}s",
        attempts.load(Ordering::SeqCst),
        fired(drop_id),
        fired(status_id),
        ledger.len(),
        wall.as_secs_f64()
    );
    let tags: Vec<&str> = ledger
        .iter()
        .map(|entry| {
            entry.resource_tags[0]["value"]
                .as_str()
                .expect("request_id tag")
        })
        .collect();
    let distinct: HashSet<&str> = tags.iter().copied().collect();
    assert_eq!(distinct.len(), tags.len(), "a request_id was bought twice");
    assert_eq!(ledger.len(), ORDERS, "exactly one order per request_id");
    for (request_id, vxc_uid) in &results {
        let entry = ledger
            .iter()
            .zip(&tags)
            .find(|(_, tag)| **tag == request_id.as_str())
            .map(|(entry, _)| entry)
            .unwrap_or_else(|| panic!("{request_id} is not in the ledger"));
        assert_eq!(&entry.vxc_uid, vxc_uid, "{request_id} reported another vxc");
    }
    assert!(
        fired(drop_id) > 0 && fired(status_id) > 0,
        "both faults fired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_single_use_keys_on_one_port_over_three_replicas_get_fifty_vlans() {
    let replicas = Replicas::start(REPLICAS, SandboxConfig::default(), "").await;
    let calls = (0..50).map(|index| {
        let mut keys = ServiceKeyServiceClient::new(replicas.channel(index % REPLICAS));
        tokio::spawn(async move {
            let request = CreateServiceKeyRequest {
                port_uid: LA1_BLUE.into(),
                single_use: true,
                max_speed_mbps: 1000,
                pre_approved: true,
                customer_ref: format!("customer-{index}"),
                request_id: request_id(),
                ..Default::default()
            };
            tokio::time::timeout(Duration::from_secs(60), keys.create_service_key(request))
                .await
                .expect("create hung")
                .map(|response| response.into_inner().service_key.expect("key"))
        })
    });
    let mut vlans = BTreeSet::new();
    for call in futures::future::join_all(calls).await {
        let key = call
            .expect("join")
            .unwrap_or_else(|status| panic!("create: {status:?}\n{}", replicas.logs()));
        let vlan = key.vlan.expect("vlan");
        assert!(vlans.insert(vlan), "vlan {vlan} handed out twice");
    }
    assert_eq!(vlans.len(), 50);
}
