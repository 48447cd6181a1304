//! Three replicas on one PostgreSQL are one system: every write RPC through one replica is read
//! on the other two (and reaches their open watch streams) through the store's change feed,
//! also after the replicas' listener connections are cut. What the replicas read on their own
//! schedule (keys, orders, the approval inbox) is slowed to a minute here, so whatever reaches
//! another replica within the test came by the feed.

use std::future::Future;
use std::time::Duration;

use crate::support::approvals::key_for;
use crate::support::orders::*;
use crate::support::replicas::Replicas;
use crate::support::{soak, within};
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::*;
use prost_types::FieldMask;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;

const REPLICAS: usize = 3;

/// How long `check` took to hold on `channel` (checked every 10 ms; the test fails after
/// 30 s, far past any schedule a replica could have reached it by instead of the feed).
async fn reached<F, Fut>(channel: &Channel, check: F) -> Duration
where
    F: Fn(Channel) -> Fut,
    Fut: Future<Output = bool>,
{
    let started = tokio::time::Instant::now();
    while !check(channel.clone()).await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a write never reached another replica"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// The propagation delays measured, by kind of state.
#[derive(Default)]
struct Delays(Vec<(&'static str, Duration)>);

impl Delays {
    async fn on_others<F, Fut>(
        &mut self,
        kind: &'static str,
        replicas: &Replicas,
        from: usize,
        check: F,
    ) where
        F: Fn(Channel) -> Fut,
        Fut: Future<Output = bool>,
    {
        for other in (0..REPLICAS).filter(|index| *index != from) {
            let delay = reached(&replicas.channel(other), &check).await;
            self.0.push((kind, delay));
        }
    }

    fn report(&self) {
        for kind in ["regions", "keys", "orders", "approvals"] {
            let mut delays: Vec<Duration> = self
                .0
                .iter()
                .filter(|(seen, _)| *seen == kind)
                .map(|(_, delay)| *delay)
                .collect();
            delays.sort();
            if let (Some(p50), Some(max)) = (delays.get(delays.len() / 2), delays.last()) {
                println!("{kind}: {} reads, p50 {p50:?}, max {max:?}", delays.len());
                if soak() {
                    assert!(*max <= Duration::from_secs(1), "{kind}: {max:?}");
                }
            }
        }
    }
}

fn region(name: &str, port_uids: &[&str]) -> Region {
    Region {
        name: name.into(),
        display_name: name.into(),
        selector: Some(RegionSelector {
            port_uids: port_uids.iter().map(|uid| (*uid).to_owned()).collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// How many on-ramps `region` has on the replica, or None when it does not know the region.
async fn on_ramps_in(channel: Channel, region: &str) -> Option<usize> {
    let listed = CatalogServiceClient::new(channel)
        .list_on_ramps(ListOnRampsRequest {
            region: region.into(),
            ..Default::default()
        })
        .await;
    match listed {
        Ok(listed) => Some(listed.into_inner().on_ramps.len()),
        Err(status) if status.code() == Code::NotFound => None,
        Err(status) => panic!("list on-ramps: {status:?}"),
    }
}

/// The key as the replica lists it (its read model), if it does.
async fn listed_key(channel: Channel, key: &str, customer_ref: &str) -> Option<ServiceKey> {
    let listed = ServiceKeyServiceClient::new(channel)
        .list_service_keys(ListServiceKeysRequest {
            customer_ref: customer_ref.into(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list keys")
        .into_inner();
    listed
        .service_keys
        .into_iter()
        .find(|listed| listed.key == key)
}

async fn approval_status(channel: Channel, approval_uid: &str) -> Option<ApprovalStatus> {
    let listed = ApprovalServiceClient::new(channel)
        .list_approvals(ListApprovalsRequest {
            statuses: vec![
                ApprovalStatus::Pending.into(),
                ApprovalStatus::Approved.into(),
                ApprovalStatus::Rejected.into(),
            ],
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list approvals")
        .into_inner();
    listed
        .approvals
        .iter()
        .find(|approval| approval.approval_uid == approval_uid)
        .map(|approval| approval.status())
}

/// Every region write through one replica is read on the others.
async fn regions_spread(replicas: &Replicas, delays: &mut Delays, name: &str) {
    // Each replica has read the regions before: what it holds must be dropped by the feed.
    for index in 0..REPLICAS {
        assert_eq!(on_ramps_in(replicas.channel(index), name).await, None);
    }
    within(
        RegionServiceClient::new(replicas.channel(0)).create_region(CreateRegionRequest {
            region: Some(region(name, &[LA1_BLUE, LA2_RED])),
            request_id: request_id(),
        }),
    )
    .await
    .expect("create region");
    delays
        .on_others("regions", replicas, 0, |channel| async move {
            on_ramps_in(channel, name).await == Some(2)
        })
        .await;
    within(
        RegionServiceClient::new(replicas.channel(1)).update_region(UpdateRegionRequest {
            region: Some(region(name, &[LA1_BLUE])),
            update_mask: Some(FieldMask {
                paths: vec!["selector".into()],
            }),
        }),
    )
    .await
    .expect("update region");
    delays
        .on_others("regions", replicas, 1, |channel| async move {
            on_ramps_in(channel, name).await == Some(1)
        })
        .await;
    within(
        RegionServiceClient::new(replicas.channel(2))
            .delete_region(DeleteRegionRequest { name: name.into() }),
    )
    .await
    .expect("delete region");
    delays
        .on_others("regions", replicas, 2, |channel| async move {
            on_ramps_in(channel, name).await.is_none()
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_through_one_replica_is_read_on_the_others() {
    let extra = "[watch]\npoll_interval_millis = 60000\n\
                 [orders]\npoll_interval_millis = 60000\nrebuy_grace_millis = 0\n\
                 upstream_timeout_millis = 10000\n\
                 [approvals]\npoll_interval_seconds = 60\n";
    let replicas = Replicas::start(REPLICAS, fast_sandbox(), extra).await;
    let mut delays = Delays::default();

    regions_spread(&replicas, &mut delays, "feed-west").await;

    // Keys: minted, issued, updated and deactivated through one replica each; the others list
    // them from their read models (the leader polls at once when the feed tells it).
    let mut keys = ServiceKeyServiceClient::new(replicas.channel(0));
    let created = within(keys.create_service_key(CreateServiceKeyRequest {
        port_uid: LA1_BLUE.into(),
        single_use: true,
        max_speed_mbps: 1000,
        pre_approved: true,
        customer_ref: "feed-keys".into(),
        request_id: request_id(),
        ..Default::default()
    }))
    .await
    .expect("create key")
    .into_inner()
    .service_key
    .expect("key");
    let key = created.key.clone();
    delays
        .on_others("keys", &replicas, 0, |channel| {
            let key = key.clone();
            async move { listed_key(channel, &key, "feed-keys").await.is_some() }
        })
        .await;
    let issued = within(
        ServiceKeyServiceClient::new(replicas.channel(1)).issue_service_keys(
            IssueServiceKeysRequest {
                region: "us-west".into(),
                max_speed_mbps: 1000,
                pre_approved: true,
                customer_ref: "feed-issued".into(),
                request_id: request_id(),
                ..Default::default()
            },
        ),
    )
    .await
    .expect("issue keys")
    .into_inner();
    let first_issued = issued
        .service_keys
        .first()
        .expect("an issued key")
        .key
        .clone();
    delays
        .on_others("keys", &replicas, 1, |channel| {
            let key = first_issued.clone();
            async move { listed_key(channel, &key, "feed-issued").await.is_some() }
        })
        .await;
    within(
        ServiceKeyServiceClient::new(replicas.channel(2)).update_service_key(
            UpdateServiceKeyRequest {
                service_key: Some(ServiceKey {
                    key: key.clone(),
                    description: "renamed through replica 2".into(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["description".into()],
                }),
            },
        ),
    )
    .await
    .expect("update key");
    delays
        .on_others("keys", &replicas, 2, |channel| {
            let key = key.clone();
            async move {
                listed_key(channel, &key, "feed-keys")
                    .await
                    .is_some_and(|listed| listed.description == "renamed through replica 2")
            }
        })
        .await;
    // (Another key: Megaport takes one update per service at a time.)
    within(keys.deactivate_service_key(DeactivateServiceKeyRequest {
        key: first_issued.clone(),
    }))
    .await
    .expect("deactivate key");
    delays
        .on_others("keys", &replicas, 0, |channel| {
            let key = first_issued.clone();
            async move {
                listed_key(channel, &key, "feed-issued")
                    .await
                    .is_some_and(|listed| listed.state() == ServiceKeyState::Inactive)
            }
        })
        .await;

    // Orders and approvals: acme buys through replica 0 with a key that needs the provider's
    // approval; replicas 1 and 2 watch the order and list the inbox.
    let key = key_for(&replicas.channel(0), "feed-orders", 3_500).await;
    let order = acme_buys(&replicas.channel(0), &key, "feed order").await;
    // Bought: the approval is in Megaport's inbox before any replica reads the inbox.
    let mut orders = VxcOrderServiceClient::new(replicas.channel(0));
    let order = wait_for_order(
        &mut orders,
        &order.order_id,
        VxcOrderState::AwaitingApproval,
    )
    .await;
    let mut streams = watch_on_others(&replicas, &order.order_id).await;
    // The replicas read the inbox once a minute here; the one the decision goes through reads
    // it then, and the others hear of what it read from the feed.
    let new_order = pending_approval(&replicas).await;
    within(
        ApprovalServiceClient::new(replicas.channel(0)).approve_approval(ApproveApprovalRequest {
            approval_uid: new_order.clone(),
            comment: String::new(),
        }),
    )
    .await
    .expect("approve");
    delays
        .on_others("approvals", &replicas, 0, |channel| {
            let uid = new_order.clone();
            async move { approval_status(channel, &uid).await == Some(ApprovalStatus::Approved) }
        })
        .await;
    // Replica 0 reads the order (from Megaport: nobody follows it there) and stores it LIVE;
    // the streams on the others hear it from the feed.
    wait_for_order(&mut orders, &order.order_id, VxcOrderState::Live).await;
    let live_at = tokio::time::Instant::now();
    for stream in &mut streams {
        loop {
            let seen = within(stream.next()).await.expect("a state").expect("ok");
            if seen.order.expect("order").state() == VxcOrderState::Live {
                break;
            }
        }
        delays.0.push(("orders", live_at.elapsed()));
    }

    // A speed change waits for the provider, who rejects it through replica 1.
    within(orders.change_vxc(ChangeVxcRequest {
        account: "acme".into(),
        vxc_uid: order.vxc_uid.clone(),
        rate_limit_mbps: 500,
        request_id: request_id(),
        ..Default::default()
    }))
    .await
    .expect("change");
    let changed_at = tokio::time::Instant::now();
    for stream in &mut streams {
        loop {
            let seen = within(stream.next()).await.expect("a state").expect("ok");
            let vxc = seen.order.expect("order").vxc.expect("vxc");
            if vxc.approval_pending && vxc.pending_rate_limit_mbps == 500 {
                break;
            }
        }
        delays.0.push(("orders", changed_at.elapsed()));
    }
    let speed_change = pending_approval(&replicas).await;
    within(
        ApprovalServiceClient::new(replicas.channel(1)).reject_approval(RejectApprovalRequest {
            approval_uid: speed_change.clone(),
            comment: "not now".into(),
        }),
    )
    .await
    .expect("reject");
    delays
        .on_others("approvals", &replicas, 1, |channel| {
            let uid = speed_change.clone();
            async move { approval_status(channel, &uid).await == Some(ApprovalStatus::Rejected) }
        })
        .await;

    // Another VXC (Megaport takes one update per service at a time), bought with a key that
    // needs no approval, is cancelled through replica 0: the streams on the others see it
    // leave LIVE.
    let shared = mint_key(&replicas.sandbox, LA1_BLUE, KeyOptions::SHARED).await;
    let second = acme_buys(&replicas.channel(0), &shared, "feed order 2").await;
    let second = wait_for_order(&mut orders, &second.order_id, VxcOrderState::Live).await;
    let mut streams = watch_on_others(&replicas, &second.order_id).await;
    within(orders.cancel_vxc(CancelVxcRequest {
        account: "acme".into(),
        vxc_uid: second.vxc_uid.clone(),
        now: true,
        request_id: request_id(),
    }))
    .await
    .expect("cancel");
    let cancelled_at = tokio::time::Instant::now();
    for stream in &mut streams {
        loop {
            let seen = within(stream.next()).await.expect("a state").expect("ok");
            if seen.order.expect("order").state() != VxcOrderState::Live {
                break;
            }
        }
        delays.0.push(("orders", cancelled_at.elapsed()));
    }

    // Every replica's listener connection cut (as a database failover or a network blip
    // would): the next writes still reach the others once they listen again.
    cut_listeners(&replicas.database_url).await;
    regions_spread(&replicas, &mut delays, "feed-after-cut").await;

    delays.report();
}

/// WatchVxcOrder streams of the order on replicas 1 and 2, past their first state.
async fn watch_on_others(
    replicas: &Replicas,
    order_id: &str,
) -> Vec<tonic::Streaming<WatchVxcOrderResponse>> {
    let mut streams = Vec::new();
    for index in 1..REPLICAS {
        let mut stream = within(
            VxcOrderServiceClient::new(replicas.channel(index)).watch_vxc_order(
                WatchVxcOrderRequest {
                    order_id: order_id.to_owned(),
                },
            ),
        )
        .await
        .expect("watch order")
        .into_inner();
        within(stream.next())
            .await
            .expect("first state")
            .expect("ok");
        streams.push(stream);
    }
    streams
}

/// The uid of the provider's one pending approval, as Megaport lists it.
async fn pending_approval(replicas: &Replicas) -> String {
    let provider = provider_client(&replicas.sandbox);
    let started = tokio::time::Instant::now();
    loop {
        let listed = provider
            .order_approvals(
                1,
                100,
                tokio::time::Instant::now() + Duration::from_secs(10),
            )
            .await
            .expect("megaport's inbox");
        let pending = listed
            .items
            .into_iter()
            .find(|approval| approval.status.as_deref() == Some("PENDING"));
        if let Some(uid) = pending.and_then(|approval| approval.uid) {
            return uid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no pending approval"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads the order through `orders` until it is in `state`.
async fn wait_for_order(
    orders: &mut VxcOrderServiceClient<Channel>,
    order_id: &str,
    state: VxcOrderState,
) -> VxcOrder {
    let started = tokio::time::Instant::now();
    loop {
        let now = within(orders.get_vxc_order(GetVxcOrderRequest {
            order_id: order_id.to_owned(),
        }))
        .await
        .expect("get order")
        .into_inner()
        .order
        .expect("order");
        if now.state() == state {
            return now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}, not {state:?}",
            now.state()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ends every LISTEN connection to the database (PostgreSQL's `pg_terminate_backend`).
async fn cut_listeners(database_url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.expect("connect");
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    )
    .fetch_all(&pool)
    .await
    .expect("terminate listeners");
    assert!(!cut.is_empty(), "no listener connection to cut");
}
