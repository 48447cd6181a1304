//! GetServiceKey and ListServiceKeys read the watcher's views: once it has polled, they cost
//! Megaport nothing, and a key made outside onramp is still found by asking Megaport.

use std::time::Duration;

use crate::megaport_sandbox_support::{deadline, provider};
use crate::support::{SandboxedServer, test_config, within};
use megaport::models::CreateServiceKeyRequest as MegaportCreateKey;
use megaport_sandbox::{RouteGroup, SandboxConfig};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::{
    CreateServiceKeyRequest, GetServiceKeyRequest, ListServiceKeysRequest, ServiceKey,
    UpdateServiceKeyRequest, WatchServiceKeysRequest, watch_service_keys_response::Kind,
};
use prost_types::FieldMask;
use tokio_stream::StreamExt;

const CORESITE_LA1_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_reads_cost_megaport_nothing_and_unknown_keys_are_looked_up() {
    let mut config = test_config();
    // Polls only at start and when a write pokes the watcher.
    config.watch.poll_interval_millis = 3_600_000;
    let env = SandboxedServer::start_with(SandboxConfig::default(), config).await;
    let mut keys = ServiceKeyServiceClient::new(env.server.channel.clone());
    let created = within(keys.create_service_key(CreateServiceKeyRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        port_uid: CORESITE_LA1_PORT.to_owned(),
        max_speed_mbps: 100,
        customer_ref: "reads".to_owned(),
        ..Default::default()
    }))
    .await
    .expect("create")
    .into_inner()
    .service_key
    .expect("key");

    // The watcher has polled after the create once a stream shows the key.
    let mut stream = within(keys.watch_service_keys(WatchServiceKeysRequest::default()))
        .await
        .expect("watch")
        .into_inner();
    within(async {
        while let Some(message) = stream.next().await {
            let seen = match message.expect("message").kind.expect("kind") {
                Kind::Snapshot(snapshot) => {
                    snapshot.service_keys.iter().any(|k| k.key == created.key)
                }
                Kind::Changes(batch) => batch.events.iter().any(|event| {
                    event
                        .service_key
                        .as_ref()
                        .is_some_and(|k| k.key == created.key)
                }),
                Kind::Progress(_) => false,
            };
            if seen {
                return;
            }
        }
        panic!("the stream ended before showing the key");
    })
    .await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let control = env.sandbox.control();
    let before = control.requests(RouteGroup::ServiceKey);
    for _ in 0..100 {
        let fetched = within(keys.get_service_key(GetServiceKeyRequest {
            key: created.key.clone(),
        }))
        .await
        .expect("get")
        .into_inner()
        .service_key
        .expect("key");
        assert_eq!(fetched.customer_ref, "reads");
    }
    for _ in 0..20 {
        let listed = within(keys.list_service_keys(ListServiceKeysRequest {
            customer_ref: "reads".to_owned(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner()
        .service_keys;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, created.key);
    }
    assert_eq!(
        control.requests(RouteGroup::ServiceKey),
        before,
        "120 warm reads asked Megaport nothing"
    );

    // A key minted in Megaport's portal since the last poll: one lookup finds it.
    let outside = within(provider(&env.sandbox).create_service_key(
        &MegaportCreateKey {
            product_uid: CORESITE_LA1_PORT.to_owned(),
            single_use: false,
            max_speed: 200,
            vlan: None,
            active: true,
            pre_approved: Some(true),
            description: Some("made in the portal".to_owned()),
            valid_for: None,
        },
        deadline(3000),
    ))
    .await
    .expect("create outside onramp");
    let before = control.requests(RouteGroup::ServiceKey);
    let fetched = within(keys.get_service_key(GetServiceKeyRequest {
        key: outside.key.clone(),
    }))
    .await
    .expect("get")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(fetched.max_speed_mbps, 200);
    assert_eq!(control.requests(RouteGroup::ServiceKey), before + 1);
    // An answer asked of Megaport is not kept (`grpc_plumbing::kept_answers`): asking again asks again.
    within(keys.get_service_key(GetServiceKeyRequest {
        key: outside.key.clone(),
    }))
    .await
    .expect("get again");
    assert_eq!(control.requests(RouteGroup::ServiceKey), before + 2);

    // The answers read a hundred times above follow this server's own write at once.
    within(keys.update_service_key(UpdateServiceKeyRequest {
        service_key: Some(ServiceKey {
            key: created.key.clone(),
            description: "renamed".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["description".into()],
        }),
    }))
    .await
    .expect("update");
    let fetched = within(keys.get_service_key(GetServiceKeyRequest {
        key: created.key.clone(),
    }))
    .await
    .expect("get")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(fetched.description, "renamed");
    let listed = within(keys.list_service_keys(ListServiceKeysRequest {
        customer_ref: "reads".to_owned(),
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner()
    .service_keys;
    assert_eq!(listed[0].description, "renamed");
}
