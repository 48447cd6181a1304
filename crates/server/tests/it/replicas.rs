//! Three onramp replicas on one PostgreSQL: exactly once across them while the leader is
//! killed, VLANs handed out once across them, one poller at a time with failover, a watch
//! resumed on another replica, one Megaport budget for all, and the leader's Port signals in
//! every replica's selection.

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
        let key = mint_key(&replicas.sandbox, LA1_BLUE, KeyOptions::SHARED).await;
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
    // Kill the leader each time another quarter of the orders is done, and start it again a
    // moment later.
    let killer = tokio::spawn({
        let (replicas, done) = (replicas.clone(), done.clone());
        async move {
            for kill in 0..KILLS {
                while done.load(Ordering::SeqCst) < ORDERS * (kill + 1) / (KILLS + 1) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let mut replicas = replicas.lock().await;
                let leader = replicas.leader().await;
                replicas.kill(leader);
                tokio::time::sleep(Duration::from_millis(500)).await;
                replicas.start_replica(leader).await;
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
         dropped_after_commit={} refused_503={} ledger={} wall={:.1}s megaport_requests={}",
        attempts.load(Ordering::SeqCst),
        fired(drop_id),
        fired(status_id),
        ledger.len(),
        wall.as_secs_f64(),
        control.requests(RouteGroup::All) - control.requests(RouteGroup::Token)
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

/// The leases and the VLANs are judged by the database, not by a replica's own clock: one
/// replica a minute ahead of the others neither takes the leader's lease (a Port's, while
/// another replica chooses a VLAN on it) early, nor hands out a VLAN another replica holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_single_use_keys_on_one_port_over_three_replicas_get_fifty_vlans() {
    let mut replicas = Replicas::start(REPLICAS, SandboxConfig::default(), "").await;
    let leader = replicas.leader().await;
    let ahead = (leader + 1) % REPLICAS;
    replicas.restart_with_clock_ahead(ahead, 60).await;
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
    // The leader renewed its lease all along (every second, for 3 s): the replica ahead would
    // have taken it at its first try had its own clock judged the lease expired.
    assert_eq!(replicas.leader().await, leader, "{}", replicas.logs());
    let log_of_ahead = replicas.log(ahead);
    assert!(
        !log_of_ahead.contains("this replica leads"),
        "the replica a minute ahead took the lease:\n{log_of_ahead}"
    );
}

/// Key polls the sandbox saw in the next `window`.
async fn polls_in(control: &megaport_sandbox::SandboxControl, window: Duration) -> usize {
    let from = Instant::now();
    tokio::time::sleep(window).await;
    control
        .arrivals(RouteGroup::ServiceKey)
        .into_iter()
        .filter(|arrival| *arrival >= from)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_polls_and_another_takes_over_within_the_lease_when_it_is_killed() {
    // Polls every 200 ms: one poller makes about 5 key listings a second, three would make 15.
    let extra = "[watch]\npoll_interval_millis = 200\n";
    let mut replicas = Replicas::start(REPLICAS, SandboxConfig::default(), extra).await;
    let control = replicas.sandbox.control().clone();
    let leader = replicas.leader().await;
    let window = Duration::from_secs(3);
    let one_poller = polls_in(&control, window).await;
    // One poller makes about 15 (every 200 ms); three would make about 45. A slow machine
    // makes fewer, never more.
    assert!(
        (1..=20).contains(&one_poller),
        "{one_poller} polls in {window:?}: one poller makes about 15"
    );

    let killed = Instant::now();
    replicas.kill(leader);
    let failover = loop {
        let polled_since = control
            .arrivals(RouteGroup::ServiceKey)
            .into_iter()
            .any(|arrival| arrival > killed + Duration::from_millis(300));
        if polled_since {
            break killed.elapsed();
        }
        // A guard against a hang, not the failover bound: the lease is 3 s.
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "nobody polled after the leader was killed\n{}",
            replicas.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let new_leader = replicas.leader().await;
    assert_ne!(new_leader, leader);
    // The lease is 3 s, checked every second: the next leader polls within about 3 + 1 s.
    // Printed below, not asserted: on real processes that figure is the machine's speed too.
    replicas.start_replica(leader).await;
    let after = polls_in(&control, window).await;
    println!(
        "leader failover: polls in {window:?} with one leader {one_poller}, after failover and \
         restart {after}; next poll {failover:?} after the kill"
    );
    assert!((1..=20).contains(&after), "{after} polls: still one poller");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_cut_off_on_one_replica_resumes_on_another_exactly_once_in_order() {
    use onramp_proto::WatchServiceKeysRequest;
    use onramp_proto::watch_service_keys_response::Kind;

    let replicas = Replicas::start(REPLICAS, SandboxConfig::default(), "").await;
    let leader = replicas.leader().await;
    let (first, second) = ((leader + 1) % REPLICAS, (leader + 2) % REPLICAS);
    let watch = |index: usize, resume_token: String| {
        let mut keys = ServiceKeyServiceClient::new(replicas.channel(index));
        async move {
            keys.watch_service_keys(WatchServiceKeysRequest {
                resume_token,
                ..Default::default()
            })
            .await
            .expect("watch")
            .into_inner()
        }
    };
    let create = |index: usize| {
        let mut keys = ServiceKeyServiceClient::new(replicas.channel(index));
        async move {
            keys.create_service_key(CreateServiceKeyRequest {
                port_uid: LA1_BLUE.into(),
                single_use: true,
                max_speed_mbps: 1000,
                pre_approved: true,
                customer_ref: "acme".into(),
                request_id: request_id(),
                ..Default::default()
            })
            .await
            .expect("create")
            .into_inner()
            .service_key
            .expect("key")
            .key
        }
    };
    // Changes in order, as (revision, key, resume token, event type), until `want` keys were
    // seen. The type is there so a failure says what a repeated key's second event was.
    async fn changes(
        stream: &mut tonic::Streaming<onramp_proto::WatchServiceKeysResponse>,
        want: &[String],
    ) -> Vec<(i64, String, String, String)> {
        let mut seen = Vec::new();
        while !want.iter().all(|key| {
            seen.iter()
                .any(|(_, k, _, _): &(i64, String, String, String)| k == key)
        }) {
            let message = tokio::time::timeout(Duration::from_secs(20), stream.message())
                .await
                .expect("a change in time")
                .expect("stream ok")
                .expect("stream open");
            if let Some(Kind::Changes(batch)) = &message.kind {
                for event in &batch.events {
                    let key = event.service_key.as_ref().expect("key").key.clone();
                    let kind = format!("{:?}", event.r#type());
                    seen.push((message.revision, key, message.resume_token.clone(), kind));
                }
            }
        }
        seen
    }

    // A watcher on a replica that does not poll hears the leader's revisions.
    let mut stream = watch(first, String::new()).await;
    let created = create(leader).await;
    let before_cut = changes(&mut stream, std::slice::from_ref(&created)).await;
    let token = before_cut.last().expect("a change").2.clone();
    let cut_at = before_cut.last().expect("a change").0;
    drop(stream);

    // While it is cut off: keys minted through both other replicas.
    let mut missed = Vec::new();
    for index in [second, leader, second] {
        missed.push(create(index).await);
    }
    let mut resumed = watch(second, token).await;
    let after = changes(&mut resumed, &missed).await;
    let revisions: Vec<i64> = after.iter().map(|(revision, _, _, _)| *revision).collect();
    assert!(
        revisions.first().is_some_and(|first| *first == cut_at + 1),
        "resumed right after the cut: {revisions:?} after {cut_at}"
    );
    assert!(
        revisions.windows(2).all(|pair| pair[0] <= pair[1]),
        "{revisions:?}"
    );
    let keys: Vec<&String> = after.iter().map(|(_, key, _, _)| key).collect();
    let events: Vec<_> = after.iter().map(|(_, key, _, kind)| (key, kind)).collect();
    for key in &missed {
        assert_eq!(
            keys.iter().filter(|seen| **seen == key).count(),
            1,
            "{key} exactly once in {events:?}"
        );
    }
    assert!(
        !keys.contains(&&created),
        "nothing from before the cut is repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_send_no_more_than_one_budget_allows() {
    use onramp_proto::GetServiceKeyRequest;

    // The leader's key poller alone would send 50 requests a second; the budget allows 60 in
    // 5 minutes for all three, 40 of them for reads (20 are the writes' reserve). Megaport's
    // limit is set just above it (70), so replicas counting alone (40 reads each) would meet
    // 429s.
    let budget = "[watch]\npoll_interval_millis = 20\n\
                  [megaport.budget]\nrequests = 60\nwindow_seconds = 300\nwrite_reserve = 20\n\
                  interactive_reserve = 15\n";
    let sandbox = SandboxConfig {
        limits: SandboxLimits {
            per_client: Some(megaport_sandbox::RateWindow {
                requests: 70,
                window: Duration::from_secs(300),
            }),
            ..SandboxLimits::default()
        },
        ..fast_sandbox()
    };
    let replicas = Replicas::start(REPLICAS, sandbox, budget).await;
    let control = replicas.sandbox.control().clone();
    let key = mint_key(&replicas.sandbox, LA1_BLUE, KeyOptions::SHARED).await;
    // What onramp sent: every Megaport route but the token's, less the key the test minted.
    let megaport_requests =
        || control.requests(RouteGroup::All) - control.requests(RouteGroup::Token) - 1;

    // Interactive reads on every replica (keys nobody has seen, so each one asks Megaport)
    // until each replica finds the reads' share used up.
    for index in 0..REPLICAS {
        let mut keys = ServiceKeyServiceClient::new(replicas.channel(index));
        let refused = loop {
            let lookup = keys
                .get_service_key(GetServiceKeyRequest {
                    key: uuid::Uuid::new_v4().to_string(),
                })
                .await;
            match lookup {
                Err(status) if status.code() == Code::Unavailable => break status,
                Err(status) => assert_eq!(status.code(), Code::NotFound, "{status:?}"),
                Ok(found) => panic!("a random key was found: {found:?}"),
            }
            assert!(
                megaport_requests() <= 40,
                "replica {index} read past the shared share\n{}",
                replicas.logs()
            );
        };
        assert_eq!(
            crate::support::reason(&refused),
            "UPSTREAM_RATE_LIMITED",
            "{refused:?}"
        );
    }
    let reads = megaport_requests();
    assert!(reads <= 40, "{reads} reads: one budget's 40 for all three");

    // The writes' reserve is shared too, and intact: a buy through a follower goes through.
    let leader = replicas.leader().await;
    let follower = (leader + 1) % REPLICAS;
    let order = VxcOrderServiceClient::new(replicas.channel(follower))
        .create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(spec(&key, "shared budget", 100)),
            request_id: request_id(),
        })
        .await
        .unwrap_or_else(|status| panic!("buy: {status:?}\n{}", replicas.logs()));
    assert!(order.into_inner().order.is_some());
    println!(
        "shared budget: {reads} reads by three replicas before every one was refused, {} \
         Megaport requests in all with the buy",
        megaport_requests()
    );
    assert!(megaport_requests() <= 60);
    assert_eq!(control.refused_by_limits(), 0, "Megaport never said 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_the_leader_reads_reaches_every_replica_selection() {
    use megaport_sandbox::{EventKind, SeedEvent};
    use onramp_proto::catalog_service_client::CatalogServiceClient;
    use onramp_proto::select_on_ramps_request::Scope;
    use onramp_proto::{DiversityPreference, MaintenancePolicy, SelectOnRampsRequest};

    let extra = "[signals]\nevents_interval_seconds = 1\n";
    let replicas = Replicas::start(REPLICAS, SandboxConfig::default(), extra).await;
    let first_choice = |index: usize| {
        let mut catalog = CatalogServiceClient::new(replicas.channel(index));
        async move {
            let selection = catalog
                .select_on_ramps(SelectOnRampsRequest {
                    scope: Some(Scope::Region("us-west".into())),
                    rate_limit_mbps: 100,
                    diversity: DiversityPreference::None.into(),
                    maintenance: MaintenancePolicy::Unspecified.into(),
                    ..Default::default()
                })
                .await
                .expect("selection")
                .into_inner();
            selection.chosen[0].port_uid.clone()
        }
    };
    for index in 0..REPLICAS {
        assert_eq!(first_choice(index).await, LA1_BLUE, "replica {index}");
    }

    // Maintenance on LA1 in two hours: only the leader reads the feed, every replica ranks
    // LA1 last.
    replicas
        .sandbox
        .control()
        .upsert_event(SeedEvent {
            kind: EventKind::Maintenance,
            event_id: Some("CSM-90".into()),
            services: vec![LA1_BLUE.into()],
            starts_in_hours: 2.0,
            duration_hours: Some(4.0),
            impact: None,
            purpose: Some("line card swap".into()),
            cancelled: false,
        })
        .expect("maintenance");
    let seen = Instant::now();
    for index in 0..REPLICAS {
        while first_choice(index).await != LA2_RED {
            assert!(
                seen.elapsed() < Duration::from_secs(60),
                "replica {index} (leader {}) never saw the maintenance",
                replicas.leader().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!(
        "maintenance seen by all three replicas {:?} after it was announced",
        seen.elapsed()
    );
}
