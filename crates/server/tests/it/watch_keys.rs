//! WatchServiceKeys through gRPC against a sandbox the test drives: added, used (with the VXC it
//! became), deactivated and expired keys; resuming across a server restart; resync of old
//! tokens; and an upstream outage that keeps the stream open.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::support::{SandboxedServer, TestServer, reason, within};
use megaport::models::{OrderEnd, VxcOrderConfig, VxcOrderItem};
use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxHandle};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::watch_service_keys_response::Kind;
use onramp_proto::{
    CreateServiceKeyRequest, DeactivateServiceKeyRequest, GetServiceKeyRequest, ResyncReason,
    RotateServiceKeyRequest, ServiceKey, ServiceKeyEvent, ServiceKeyEventType, ServiceKeyState,
    UpdateServiceKeyRequest, UpstreamStatus, WatchServiceKeysRequest, WatchServiceKeysResponse,
};
use tonic::transport::Channel;
use tonic::{Code, Streaming};

const EQUINIX_LA1_PORT: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

async fn open(channel: &Channel, resume_token: &str) -> Streaming<WatchServiceKeysResponse> {
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    within(keys.watch_service_keys(WatchServiceKeysRequest {
        resume_token: resume_token.into(),
        ..Default::default()
    }))
    .await
    .expect("watch")
    .into_inner()
}

async fn next(stream: &mut Streaming<WatchServiceKeysResponse>) -> WatchServiceKeysResponse {
    within(stream.message())
        .await
        .expect("stream ok")
        .expect("stream open")
}

/// The next batch of changes, skipping progress messages.
async fn next_changes(
    stream: &mut Streaming<WatchServiceKeysResponse>,
) -> (WatchServiceKeysResponse, Vec<ServiceKeyEvent>) {
    loop {
        let message = next(stream).await;
        if let Some(Kind::Changes(batch)) = &message.kind {
            let events = batch.events.clone();
            return (message, events);
        }
    }
}

/// Reads batches until one has an event for `key`.
async fn event_for(
    stream: &mut Streaming<WatchServiceKeysResponse>,
    key: &str,
) -> (WatchServiceKeysResponse, ServiceKeyEvent) {
    loop {
        let (message, events) = next_changes(stream).await;
        if let Some(event) = events
            .into_iter()
            .find(|event| event.service_key.as_ref().is_some_and(|k| k.key == key))
        {
            return (message, event);
        }
    }
}

async fn create(channel: &Channel, request: CreateServiceKeyRequest) -> ServiceKey {
    within(ServiceKeyServiceClient::new(channel.clone()).create_service_key(request))
        .await
        .expect("create")
        .into_inner()
        .service_key
        .expect("key")
}

fn single_use_on_la1() -> CreateServiceKeyRequest {
    CreateServiceKeyRequest {
        port_uid: EQUINIX_LA1_PORT.into(),
        single_use: true,
        max_speed_mbps: 1000,
        pre_approved: true,
        customer_ref: "acme".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    }
}

fn megaport(sandbox: &SandboxHandle, id: &str, secret: &str) -> MegaportClient {
    MegaportClient::new(ClientConfig::new(
        Environment::sandbox(sandbox.base_url(), sandbox.token_url()),
        Credentials::new(id, secret),
    ))
    .expect("client")
}

fn soon() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(10)
}

/// Acme buys a VXC from its LA Port with `key`, straight on the sandbox.
async fn acme_buys(sandbox: &SandboxHandle, key: &str) -> String {
    let acme = megaport(sandbox, "acme-sandbox", "acme-sandbox-secret");
    let order = VxcOrderItem {
        product_uid: ACME_PORT.into(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: "acme to quantumgpu".into(),
            rate_limit: 100,
            term: 12,
            shutdown: false,
            promo_code: None,
            service_key: Some(key.into()),
            cost_centre: None,
            resource_tags: Vec::new(),
            a_end: OrderEnd {
                product_uid: None,
                vlan: None,
                inner_vlan: None,
                diversity_zone: None,
            },
            b_end: OrderEnd {
                product_uid: Some(EQUINIX_LA1_PORT.into()),
                vlan: None,
                inner_vlan: None,
                diversity_zone: None,
            },
        }],
    };
    let confirmations = within(acme.buy_order(&[order], soon())).await.expect("buy");
    confirmations[0].service_uid().expect("vxc uid").to_owned()
}

#[tokio::test]
async fn a_watcher_sees_added_used_deactivated_and_expired() {
    let sandboxed = SandboxedServer::start().await;
    let channel = sandboxed.server.channel.clone();
    let mut stream = open(&channel, "").await;
    let snapshot = next(&mut stream).await;
    assert!(
        matches!(snapshot.kind, Some(Kind::Snapshot(_))),
        "snapshot first"
    );
    assert!(!snapshot.resume_token.is_empty());

    // Added.
    let used_key = create(&channel, single_use_on_la1()).await;
    let (batch, added) = event_for(&mut stream, &used_key.key).await;
    assert_eq!(added.r#type(), ServiceKeyEventType::Added);
    assert!(batch.revision > snapshot.revision);

    // Used, with the VXC it became.
    let vxc_uid = acme_buys(&sandboxed.sandbox, &used_key.key).await;
    let (_, used) = event_for(&mut stream, &used_key.key).await;
    let after = used.service_key.as_ref().expect("key");
    assert_eq!(used.r#type(), ServiceKeyEventType::StateChanged);
    assert_eq!(used.previous_state(), ServiceKeyState::Active);
    assert_eq!(after.state(), ServiceKeyState::Used);
    assert_eq!(after.vxc_uid, vxc_uid, "matched by port and vlan");

    // A used key (gone from Megaport's list) cannot be updated; an unknown one is not found.
    let renamed = |key: &str| UpdateServiceKeyRequest {
        service_key: Some(ServiceKey {
            key: key.to_owned(),
            description: "renamed".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["description".into()],
        }),
    };
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let refused = within(keys.update_service_key(renamed(&used_key.key)))
        .await
        .expect_err("used");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "KEY_USED");
    let unknown = within(keys.update_service_key(renamed(&uuid::Uuid::new_v4().to_string())))
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "KEY_NOT_FOUND");

    // Deactivated.
    let other = create(&channel, single_use_on_la1()).await;
    let _ = event_for(&mut stream, &other.key).await;
    within(
        ServiceKeyServiceClient::new(channel.clone()).deactivate_service_key(
            DeactivateServiceKeyRequest {
                key: other.key.clone(),
            },
        ),
    )
    .await
    .expect("deactivate");
    let (_, deactivated) = event_for(&mut stream, &other.key).await;
    assert_eq!(
        deactivated.service_key.expect("key").state(),
        ServiceKeyState::Inactive
    );

    // Expired, when the sandbox clock passes validFor.end.
    let mut expiring = single_use_on_la1();
    let in_an_hour = std::time::SystemTime::now() + Duration::from_secs(3600);
    expiring.valid_until = Some(prost_types::Timestamp::from(in_an_hour));
    let expiring = create(&channel, expiring).await;
    let _ = event_for(&mut stream, &expiring.key).await;
    sandboxed
        .sandbox
        .control()
        .advance_clock(Duration::from_secs(2 * 3600));
    let (_, expired) = event_for(&mut stream, &expiring.key).await;
    assert_eq!(
        expired.service_key.as_ref().expect("key").state(),
        ServiceKeyState::Expired
    );
    assert_eq!(expired.previous_state(), ServiceKeyState::Active);
}

#[tokio::test]
async fn a_watcher_resumes_across_a_restart_exactly_once_and_old_tokens_resync() {
    let mut config = crate::support::test_config();
    config.watch.history_revisions = 3;
    let sandboxed =
        SandboxedServer::start_with(megaport_sandbox::SandboxConfig::default(), config).await;
    let SandboxedServer {
        server,
        sandbox,
        config,
    } = sandboxed;
    let mut stream = open(&server.channel, "").await;
    let snapshot = next(&mut stream).await;
    let first = create(&server.channel, single_use_on_la1()).await;
    let (seen, _) = event_for(&mut stream, &first.key).await;
    drop(stream);
    server.stop().await.expect("stop");

    // A key minted while onramp is down, straight on Megaport.
    let provider = megaport(&sandbox, "quantumgpu-sandbox", "quantumgpu-sandbox-secret");
    let while_down = within(provider.create_service_key(
        &megaport::models::CreateServiceKeyRequest {
            product_uid: EQUINIX_LA1_PORT.into(),
            single_use: false,
            max_speed: 100,
            vlan: None,
            active: true,
            pre_approved: Some(true),
            description: Some("minted elsewhere".into()),
            valid_for: None,
        },
        soon(),
    ))
    .await
    .expect("mint while down");

    let server = TestServer::start_with(config.clone()).await;
    let mut resumed = open(&server.channel, &seen.resume_token).await;
    let (batch, events) = next_changes(&mut resumed).await;
    assert_eq!(batch.revision, seen.revision + 1, "no gap");
    let keys: Vec<_> = events
        .iter()
        .map(|event| event.service_key.as_ref().expect("key").key.clone())
        .collect();
    assert_eq!(keys, [while_down.key], "only what followed the token");
    // Nothing else is replayed: the next messages are progress only.
    for _ in 0..3 {
        let message = next(&mut resumed).await;
        assert!(
            matches!(message.kind, Some(Kind::Progress(_))),
            "{message:?}"
        );
    }

    // Push the first revisions out of the retained history (3 revisions).
    for _ in 0..3 {
        let key = create(&server.channel, single_use_on_la1()).await;
        let _ = event_for(&mut resumed, &key.key).await;
    }
    let mut stale = open(&server.channel, &snapshot.resume_token).await;
    let message = next(&mut stale).await;
    let Some(Kind::Snapshot(snapshot)) = message.kind else {
        panic!("expected a resync snapshot, got {message:?}");
    };
    assert!(snapshot.resync);
    assert_eq!(snapshot.resync_reason(), ResyncReason::TokenTooOld);
    assert!(snapshot.service_keys.iter().any(|k| k.key == first.key));

    // A well-formed token from another onramp's history: its cache may be from there, so resync.
    let other_history = URL_SAFE_NO_PAD.encode("w1.another-database.3");
    let mut unknown = open(&server.channel, &other_history).await;
    let message = next(&mut unknown).await;
    let Some(Kind::Snapshot(snapshot)) = message.kind else {
        panic!("expected a resync snapshot, got {message:?}");
    };
    assert_eq!(snapshot.resync_reason(), ResyncReason::TokenUnknown);

    // Not a token at all ("not-a-token" in base64, then not even base64): a client bug, refused
    // as the contract says rather than papered over with a resync.
    for malformed in ["bm90LWEtdG9rZW4", "%%%"] {
        let status = within(
            ServiceKeyServiceClient::new(server.channel.clone()).watch_service_keys(
                WatchServiceKeysRequest {
                    resume_token: malformed.into(),
                    ..Default::default()
                },
            ),
        )
        .await
        .expect_err("a malformed token is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{malformed}");
        assert_eq!(reason(&status), "RESUME_TOKEN_INVALID", "{malformed}");
    }
}

#[tokio::test]
async fn an_upstream_outage_keeps_the_stream_open_and_reports_it() {
    let sandboxed = SandboxedServer::start().await;
    let mut stream = open(&sandboxed.server.channel, "").await;
    let _snapshot = next(&mut stream).await;
    let progress_status = |message: &WatchServiceKeysResponse| match &message.kind {
        Some(Kind::Progress(progress)) => progress.upstream.as_ref().map(|u| u.status()),
        _ => None,
    };
    // Healthy first.
    loop {
        if progress_status(&next(&mut stream).await) == Some(UpstreamStatus::Healthy) {
            break;
        }
    }
    sandboxed
        .sandbox
        .control()
        .inject_fault(Fault::new(
            RouteGroup::ServiceKey,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let mut outage_reports = 0;
    while outage_reports < 3 {
        let message = next(&mut stream).await;
        if let Some(UpstreamStatus::Degraded | UpstreamStatus::Unavailable) =
            progress_status(&message)
        {
            outage_reports += 1;
        }
        assert!(
            !matches!(message.kind, Some(Kind::Changes(_))),
            "nothing is invented during an outage"
        );
    }
    sandboxed.sandbox.control().clear_faults();
    loop {
        if progress_status(&next(&mut stream).await) == Some(UpstreamStatus::Healthy) {
            break;
        }
    }
}

#[tokio::test]
async fn a_large_snapshot_comes_in_chunks_and_only_the_last_carries_the_token() {
    let mut config = crate::support::test_config();
    config.watch.snapshot_chunk_keys = 2;
    let sandboxed =
        SandboxedServer::start_with(megaport_sandbox::SandboxConfig::default(), config).await;
    let channel = sandboxed.server.channel.clone();
    let mut created = Vec::new();
    for _ in 0..4 {
        created.push(create(&channel, single_use_on_la1()).await.key);
    }
    // A snapshot is the watcher's last poll; keys written a moment ago arrive with the next.
    let chunks = within(async {
        loop {
            let mut stream = open(&channel, "").await;
            let mut chunks = Vec::new();
            loop {
                let message = next(&mut stream).await;
                let Some(Kind::Snapshot(chunk)) = message.kind else {
                    panic!("a snapshot chunk, got {message:?}");
                };
                let last = chunk.last_chunk;
                chunks.push((message.revision, message.resume_token, chunk));
                if last {
                    break;
                }
            }
            let has_ours = created.iter().all(|key| {
                chunks
                    .iter()
                    .any(|(_, _, chunk)| chunk.service_keys.iter().any(|k| &k.key == key))
            });
            if has_ours {
                return chunks;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    let listed: std::collections::BTreeSet<String> = within(
        ServiceKeyServiceClient::new(channel.clone()).list_service_keys(
            onramp_proto::ListServiceKeysRequest {
                page_size: 1000,
                ..Default::default()
            },
        ),
    )
    .await
    .expect("list")
    .into_inner()
    .service_keys
    .into_iter()
    .map(|key| key.key)
    .collect();
    assert!(listed.len() >= 4, "at least ours: {listed:?}");
    assert_eq!(chunks.len(), listed.len().div_ceil(2), "2 keys a chunk");
    let revision = chunks[0].0;
    for (index, (chunk_revision, token, chunk)) in chunks.iter().enumerate() {
        assert_eq!(*chunk_revision, revision, "one revision for every chunk");
        assert!(chunk.service_keys.len() <= 2);
        assert_eq!(
            token.is_empty(),
            index + 1 < chunks.len(),
            "token on the last only"
        );
    }
    let snapshot: std::collections::BTreeSet<String> = chunks
        .iter()
        .flat_map(|(_, _, chunk)| chunk.service_keys.iter().map(|key| key.key.clone()))
        .collect();
    assert_eq!(snapshot, listed);
    assert!(created.iter().all(|key| snapshot.contains(key)));
}

/// A single-use key bought with through onramp shows USED on the watch, with the VXC it became,
/// without onramp asking Megaport anything beyond the order's own validate and buy (the key
/// poll is slowed to an hour, so no poll can be what shows it); and the Port's capacity counts
/// the VXC at once, without a products reload. The next poll finds the key gone and already
/// used, and reads no Port for it.
#[tokio::test]
async fn a_key_used_by_an_order_of_onramps_shows_at_once_without_asking_megaport() {
    use onramp_proto::catalog_service_client::CatalogServiceClient;
    use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
    use onramp_proto::{CreateVxcOrderRequest, GetOnRampRequest, VxcOrderSpec};

    let mut config = crate::support::test_config();
    config.watch.poll_interval_millis = 3_600_000;
    let env = SandboxedServer::start_with(Default::default(), config).await;
    let channel = env.server.channel.clone();
    let control = env.sandbox.control();
    // Valid from a minute ago: a key valid from "now" by Megaport's clock can be PENDING by
    // onramp's for a moment, and with polls an hour apart would stay so.
    let minute_ago = std::time::SystemTime::now() - Duration::from_secs(60);
    // Watching from before the key exists (the snapshot read), so it comes as a change.
    let mut stream = open(&channel, "").await;
    let snapshot = next(&mut stream).await;
    assert!(!snapshot.resume_token.is_empty(), "a one-chunk snapshot");
    let key = create(
        &channel,
        CreateServiceKeyRequest {
            valid_from: Some(prost_types::Timestamp::from(minute_ago)),
            ..single_use_on_la1()
        },
    )
    .await;
    // The create's own poll brings the key in.
    let (_, added) = event_for(&mut stream, &key.key).await;
    assert_eq!(
        added.service_key.as_ref().map(ServiceKey::state),
        Some(ServiceKeyState::Active)
    );
    let allocated = || async {
        within(
            CatalogServiceClient::new(channel.clone()).get_on_ramp(GetOnRampRequest {
                port_uid: EQUINIX_LA1_PORT.into(),
            }),
        )
        .await
        .expect("on-ramp")
        .into_inner()
        .on_ramp
        .expect("on-ramp")
        .allocated_mbps
    };
    let before = allocated().await;
    let counts = |group| control.requests(group);
    let (keys_before, ports_before, products_before) = (
        counts(RouteGroup::ServiceKey),
        counts(RouteGroup::Product),
        counts(RouteGroup::Products),
    );

    let order = within(
        VxcOrderServiceClient::new(channel.clone()).create_vxc_order(CreateVxcOrderRequest {
            account: "acme".into(),
            spec: Some(VxcOrderSpec {
                service_key: key.key.clone(),
                a_end_port_uid: ACME_PORT.into(),
                rate_limit_mbps: 300,
                term_months: 12,
                name: "used at once".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }),
    )
    .await
    .expect("order")
    .into_inner()
    .order
    .expect("order");
    let (_, used) = event_for(&mut stream, &key.key).await;
    let used_key = used.service_key.expect("key");
    assert_eq!(used_key.state(), ServiceKeyState::Used);
    assert_eq!(used_key.vxc_uid, order.vxc_uid);
    assert_eq!(allocated().await, before + 300, "the vxc's capacity counts");
    assert_eq!(
        (
            counts(RouteGroup::ServiceKey) - keys_before,
            counts(RouteGroup::Product) - ports_before,
        ),
        (0, 0),
        "no key listing or read, no port read"
    );
    // The customer's Port listing is the order's; the provider's products are not reloaded.
    assert!(counts(RouteGroup::Products) - products_before <= 1);
}

fn rotate(key: &str, grace_seconds: i64, request_id: &str) -> RotateServiceKeyRequest {
    RotateServiceKeyRequest {
        key: key.to_owned(),
        grace_period: Some(prost_types::Duration {
            seconds: grace_seconds,
            nanos: 0,
        }),
        vlan: 0,
        request_id: request_id.to_owned(),
    }
}

async fn key_state(channel: &Channel, key: &str) -> ServiceKey {
    within(
        ServiceKeyServiceClient::new(channel.clone()).get_service_key(GetServiceKeyRequest {
            key: key.to_owned(),
        }),
    )
    .await
    .expect("get")
    .into_inner()
    .service_key
    .expect("key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_overlaps_its_replacement_for_the_grace_then_expires() {
    let sandboxed = SandboxedServer::start().await;
    let channel = sandboxed.server.channel.clone();
    let mut stream = open(&channel, "").await;
    next(&mut stream).await;
    let old = create(
        &channel,
        CreateServiceKeyRequest {
            description: "acme us-west".into(),
            ..single_use_on_la1()
        },
    )
    .await;
    let _ = event_for(&mut stream, &old.key).await;

    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let request_id = uuid::Uuid::new_v4().to_string();
    let rotated = within(keys.rotate_service_key(rotate(&old.key, 3600, &request_id)))
        .await
        .expect("rotate")
        .into_inner();
    let new = rotated.new_service_key.clone().expect("new key");
    let retired = rotated.old_service_key.clone().expect("old key");
    assert_eq!(new.state(), ServiceKeyState::Active);
    assert_ne!(new.key, old.key);
    assert_ne!(new.vlan, old.vlan, "a fresh vlan");
    assert!(new.vlan.is_some());
    assert_eq!(
        (new.single_use, new.max_speed_mbps, new.pre_approved),
        (old.single_use, old.max_speed_mbps, old.pre_approved)
    );
    assert_eq!(
        (new.description.as_str(), new.customer_ref.as_str()),
        ("acme us-west", "acme")
    );
    assert_eq!(new.rotated_from, old.key);
    assert_eq!(retired.rotated_to, new.key);
    assert_eq!(
        retired.state(),
        ServiceKeyState::Active,
        "usable in the grace"
    );
    let grace_end = rotated.old_key_valid_until.expect("end").seconds;
    let in_an_hour = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    assert!((in_an_hour - 60..=in_an_hour).contains(&grace_end));

    // One rotation event, naming both keys.
    let (_, event) = event_for(&mut stream, &new.key).await;
    assert_eq!(event.r#type(), ServiceKeyEventType::Rotated);
    assert_eq!(event.service_key.expect("key").rotated_from, old.key);

    // The same request id again: the same pair, nothing minted.
    let replay = within(keys.rotate_service_key(rotate(&old.key, 3600, &request_id)))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(
        replay.new_service_key.expect("new").key,
        new.key,
        "the same replacement"
    );

    // A second rotation while the first is in its grace supersedes it, keeping the same
    // replacement; within Megaport's five minutes between updates of one key it is refused with
    // when to try again, and nothing new is minted.
    let leaked = create(&channel, single_use_on_la1()).await;
    within(keys.rotate_service_key(rotate(&leaked.key, 3600, &uuid::Uuid::new_v4().to_string())))
        .await
        .expect("first");
    let too_soon =
        within(keys.rotate_service_key(rotate(&leaked.key, 0, &uuid::Uuid::new_v4().to_string())))
            .await
            .expect_err("second within five minutes");
    assert_eq!(too_soon.code(), Code::FailedPrecondition);
    assert_eq!(reason(&too_soon), "SERVICE_UPDATE_TOO_SOON");

    // Past the grace on Megaport's clock, the old key expires (the watch says so); the new one
    // does not.
    sandboxed
        .sandbox
        .control()
        .advance_clock(Duration::from_secs(3601));
    loop {
        let (_, event) = event_for(&mut stream, &old.key).await;
        if event.service_key.expect("key").state() == ServiceKeyState::Expired {
            break;
        }
    }
    assert_eq!(
        key_state(&channel, &old.key).await.state(),
        ServiceKeyState::Expired
    );
    assert_eq!(
        key_state(&channel, &new.key).await.state(),
        ServiceKeyState::Active
    );

    // A used single-use key is refused, with the reason.
    acme_buys(&sandboxed.sandbox, &new.key).await;
    let refused =
        within(keys.rotate_service_key(rotate(&new.key, 0, &uuid::Uuid::new_v4().to_string())))
            .await
            .expect_err("used");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "KEY_USED");
}
