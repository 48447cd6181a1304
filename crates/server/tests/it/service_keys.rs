//! ServiceKeyService on the sandbox: the guide's diverse issue, the VLAN allocator under
//! concurrency, clashes, limits, idempotency, update and deactivation.

use std::collections::BTreeSet;

use crate::support::{TestServer, reason, test_config, within};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::{
    CreateServiceKeyRequest, DeactivateServiceKeyRequest, DiversityPreference, DiversityZone,
    GetOnRampRequest, GetServiceKeyRequest, IssueServiceKeysRequest, ListServiceKeysRequest,
    ServiceKey, ServiceKeyState, UpdateServiceKeyRequest,
};
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const EQUINIX_LA1_PORT: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const CORESITE_LA1_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn single_use(port_uid: &str) -> CreateServiceKeyRequest {
    CreateServiceKeyRequest {
        port_uid: port_uid.into(),
        single_use: true,
        max_speed_mbps: 1000,
        pre_approved: true,
        description: "cust-42".into(),
        customer_ref: "acme".into(),
        request_id: request_id(),
        ..Default::default()
    }
}

async fn vlans_in_use(channel: &Channel, port_uid: &str) -> BTreeSet<i32> {
    let on_ramp = within(CatalogServiceClient::new(channel.clone()).get_on_ramp(
        GetOnRampRequest {
            port_uid: port_uid.into(),
        },
    ))
    .await
    .expect("on-ramp")
    .into_inner()
    .on_ramp
    .expect("on-ramp");
    on_ramp.vlans_in_use.into_iter().collect()
}

#[tokio::test]
async fn us_west_with_diversity_gives_a_blue_and_a_red_key_with_distinct_vlans() {
    let server = TestServer::start().await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let request = IssueServiceKeysRequest {
        region: "us-west".into(),
        diversity: DiversityPreference::Required.into(),
        max_speed_mbps: 1000,
        single_use: true,
        pre_approved: true,
        customer_ref: "acme".into(),
        description: "acme us-west".into(),
        request_id: request_id(),
        ..Default::default()
    };
    let issued = within(keys.issue_service_keys(request.clone()))
        .await
        .expect("issue")
        .into_inner();
    let on_ramps: Vec<_> = issued
        .service_keys
        .iter()
        .map(|key| {
            let on_ramp = key.on_ramp.as_ref().expect("on-ramp");
            (
                on_ramp.location.as_ref().expect("location").name.as_str(),
                on_ramp.port_uid.as_str(),
            )
        })
        .collect();
    assert_eq!(
        on_ramps,
        [
            ("Equinix LA1", EQUINIX_LA1_PORT),
            ("CoreSite LA1", CORESITE_LA1_PORT)
        ]
    );
    let selection = issued.selection.as_ref().expect("selection");
    let zones: Vec<_> = selection
        .chosen
        .iter()
        .map(|o| o.diversity_zone())
        .collect();
    assert_eq!(zones, [DiversityZone::Blue, DiversityZone::Red]);
    let vlans: BTreeSet<i32> = issued
        .service_keys
        .iter()
        .filter_map(|key| key.vlan)
        .collect();
    assert_eq!(vlans.len(), 2, "the pair never shares a vlan");
    for key in &issued.service_keys {
        let vlan = key.vlan.expect("single-use keys carry a vlan");
        let port = &key.on_ramp.as_ref().expect("on-ramp").port_uid;
        assert!(!vlans_in_use(&server.channel, port).await.contains(&vlan));
        assert_eq!(key.state(), ServiceKeyState::Active);
        assert_eq!(key.customer_ref, "acme");
        assert_eq!(key.region, "us-west");
        assert_eq!(
            key.description, "acme us-west",
            "the request stamp is not shown"
        );
    }

    let replay = within(keys.issue_service_keys(request.clone()))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replay, issued, "a replay returns the first result");
    let mut changed = request;
    changed.max_speed_mbps = 500;
    let reused = within(keys.issue_service_keys(changed))
        .await
        .expect_err("same id, other parameters");
    assert_eq!(reused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&reused), "REQUEST_ID_REUSED");
}

#[tokio::test]
async fn fifty_concurrent_single_use_keys_on_one_port_get_fifty_free_vlans() {
    let server = TestServer::start().await;
    let in_use = vlans_in_use(&server.channel, EQUINIX_LA1_PORT).await;
    let calls = (0..50).map(|_| {
        let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
        tokio::spawn(async move {
            within(keys.create_service_key(single_use(EQUINIX_LA1_PORT)))
                .await
                .map(|response| response.into_inner().service_key.expect("key"))
        })
    });
    let mut vlans = BTreeSet::new();
    for call in futures::future::join_all(calls).await {
        let key: ServiceKey = call.expect("join").expect("create");
        let vlan = key.vlan.expect("vlan");
        assert!(!in_use.contains(&vlan), "vlan {vlan} is used by a vxc");
        assert!(vlans.insert(vlan), "vlan {vlan} handed out twice");
    }
    assert_eq!(vlans.len(), 50);
}

#[tokio::test]
async fn a_vlan_clash_names_the_port_and_the_vlan() {
    let server = TestServer::start().await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let taken = *vlans_in_use(&server.channel, EQUINIX_LA1_PORT)
        .await
        .first()
        .expect("the seed has vxcs on LA1");
    let mut request = single_use(EQUINIX_LA1_PORT);
    request.vlan = Some(taken);
    let status = within(keys.create_service_key(request))
        .await
        .expect_err("clash");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "VLAN_IN_USE");
    assert!(
        status.message().contains(&format!("vlan {taken}")),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains(EQUINIX_LA1_PORT),
        "{}",
        status.message()
    );

    // A vlan held by an outstanding single-use key is not handed out again either.
    let first = within(keys.create_service_key(single_use(EQUINIX_LA1_PORT)))
        .await
        .expect("first")
        .into_inner()
        .service_key
        .expect("key");
    let mut again = single_use(EQUINIX_LA1_PORT);
    again.vlan = first.vlan;
    let status = within(keys.create_service_key(again))
        .await
        .expect_err("held");
    assert_eq!(reason(&status), "VLAN_IN_USE");
    assert!(
        status.message().contains("single-use key"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn invalid_key_requests_name_the_field_and_limit() {
    let server = TestServer::start().await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let mut too_fast = single_use(EQUINIX_LA1_PORT);
    too_fast.max_speed_mbps = 20_000;
    let status = within(keys.create_service_key(too_fast))
        .await
        .expect_err("speed");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "SPEED_ABOVE_LIMIT");
    let details = status.get_error_details();
    let violation = &details.bad_request().expect("violations").field_violations[0];
    assert_eq!(violation.field, "max_speed_mbps");
    assert!(
        violation.description.contains("10000"),
        "{}",
        violation.description
    );

    let cases = [
        (
            CreateServiceKeyRequest {
                request_id: String::new(),
                ..single_use(EQUINIX_LA1_PORT)
            },
            "request_id",
        ),
        (
            CreateServiceKeyRequest {
                vlan: Some(4094),
                ..single_use(EQUINIX_LA1_PORT)
            },
            "vlan",
        ),
        (
            CreateServiceKeyRequest {
                single_use: false,
                vlan: Some(100),
                ..single_use(EQUINIX_LA1_PORT)
            },
            "vlan",
        ),
        (
            CreateServiceKeyRequest {
                port_uid: String::new(),
                ..single_use(EQUINIX_LA1_PORT)
            },
            "port_uid",
        ),
    ];
    for (request, field) in cases {
        let status = within(keys.create_service_key(request))
            .await
            .expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        let details = status.get_error_details();
        assert_eq!(
            details.bad_request().expect("violations").field_violations[0].field,
            field
        );
    }
    let sydney =
        within(keys.create_service_key(single_use("e766c284-08eb-45b8-bf55-6e74a82e185e")))
            .await
            .expect_err("no vxcs permitted");
    assert_eq!(reason(&sydney), "ON_RAMP_NOT_USABLE");
}

#[tokio::test]
async fn create_is_idempotent_per_request_id() {
    let server = TestServer::start().await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let request = single_use(CORESITE_LA1_PORT);
    let first = within(keys.create_service_key(request.clone()))
        .await
        .expect("create")
        .into_inner()
        .service_key
        .expect("key");
    let replay = within(keys.create_service_key(request.clone()))
        .await
        .expect("replay")
        .into_inner()
        .service_key
        .expect("key");
    assert_eq!(first.key, replay.key);
    assert_eq!(first.vlan, replay.vlan);
    let mut other = request;
    other.max_speed_mbps = 200;
    let status = within(keys.create_service_key(other))
        .await
        .expect_err("reused");
    assert_eq!(reason(&status), "REQUEST_ID_REUSED");
}

#[tokio::test]
async fn update_changes_only_the_mask_and_deactivate_is_final_for_new_vxcs() {
    // Two updates of one key in a row: more than Megaport's one per 5 minutes (which onramp
    // enforces too; see `a_second_update_within_five_minutes_is_refused_before_megaport`).
    let mut config = test_config();
    config.sandbox.megaport_limits = false;
    config.megaport.budget.service_update_interval_seconds = 0;
    let server = TestServer::start_with(config).await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let mut request = single_use(CORESITE_LA1_PORT);
    request.max_speed_mbps = 700;
    let key = within(keys.create_service_key(request))
        .await
        .expect("create")
        .into_inner()
        .service_key
        .expect("key");

    let updated = within(keys.update_service_key(UpdateServiceKeyRequest {
        service_key: Some(ServiceKey {
            key: key.key.clone(),
            description: "renamed".into(),
            max_speed_mbps: 1,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["description".into()],
        }),
    }))
    .await
    .expect("update")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(updated.description, "renamed");
    assert_eq!(updated.max_speed_mbps, 700, "not in the mask, so kept");
    assert_eq!(
        updated.vlan, key.vlan,
        "megaport's put resets what it is not sent"
    );
    assert!(updated.pre_approved);

    let deactivated = within(keys.deactivate_service_key(DeactivateServiceKeyRequest {
        key: key.key.clone(),
    }))
    .await
    .expect("deactivate")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(deactivated.state(), ServiceKeyState::Inactive);
    let fetched = within(keys.get_service_key(GetServiceKeyRequest {
        key: key.key.clone(),
    }))
    .await
    .expect("get")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(fetched.state(), ServiceKeyState::Inactive);
    assert_eq!(fetched.customer_ref, "acme");

    let inactive = within(keys.list_service_keys(ListServiceKeysRequest {
        state: ServiceKeyState::Inactive.into(),
        customer_ref: "acme".into(),
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner()
    .service_keys;
    assert!(inactive.iter().any(|k| k.key == key.key));
    assert!(
        inactive
            .iter()
            .all(|k| k.state() == ServiceKeyState::Inactive)
    );

    let unknown = within(keys.get_service_key(GetServiceKeyRequest {
        key: uuid::Uuid::new_v4().to_string(),
    }))
    .await
    .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn a_second_update_within_five_minutes_is_refused_before_megaport() {
    let server = TestServer::start().await;
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let key = within(keys.create_service_key(single_use(CORESITE_LA1_PORT)))
        .await
        .expect("create")
        .into_inner()
        .service_key
        .expect("key");
    let rename = |description: &str| UpdateServiceKeyRequest {
        service_key: Some(ServiceKey {
            key: key.key.clone(),
            description: description.into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["description".into()],
        }),
    };
    within(keys.update_service_key(rename("first")))
        .await
        .expect("the first update of the window");
    let status = within(keys.update_service_key(rename("second")))
        .await
        .expect_err("megaport would refuse it");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "SERVICE_UPDATE_TOO_SOON");
    let info = status
        .get_error_details()
        .error_info()
        .expect("error info")
        .clone();
    let wait: u64 = info.metadata["retry_after_seconds"]
        .parse()
        .expect("seconds");
    assert!((295..=300).contains(&wait), "{wait}");
    assert!(
        info.metadata["retry_at"].ends_with('Z'),
        "{:?}",
        info.metadata
    );
    assert!(
        status
            .message()
            .contains("one update per service every 300 s"),
        "{}",
        status.message()
    );
    // Nothing was sent, so the sandbox (which enforces the same limit) never answered 429, and
    // the key still has its first new description.
    let fetched = within(keys.get_service_key(GetServiceKeyRequest {
        key: key.key.clone(),
    }))
    .await
    .expect("get")
    .into_inner()
    .service_key
    .expect("key");
    assert_eq!(fetched.description, "first");
}

/// A single-use key's VLAN is chosen from the catalog's copy of the Port, without reading the
/// Port or its keys from Megaport. When a VXC made outside onramp took that VLAN since the copy
/// was read, Megaport refuses it: onramp reads the Port once, fresh, and chooses again (or, for
/// a VLAN the caller asked for, says it is in use).
#[tokio::test]
async fn a_vlan_a_vxc_took_after_the_catalog_was_read_is_chosen_again() {
    use crate::support::SandboxedServer;
    use megaport_sandbox::{RouteGroup, SeedVxc};
    const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

    let env = SandboxedServer::start().await;
    let channel = env.server.channel.clone();
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let control = env.sandbox.control();
    // What onramp knows is taken on the Port: its VXCs' VLANs (catalog) and its keys' (watcher).
    let listed = within(keys.list_service_keys(ListServiceKeysRequest {
        port_uid: EQUINIX_LA1_PORT.into(),
        page_size: 500,
        ..Default::default()
    }))
    .await
    .expect("keys")
    .into_inner()
    .service_keys;
    let mut taken = vlans_in_use(&channel, EQUINIX_LA1_PORT).await;
    taken.extend(listed.iter().filter_map(|key| key.vlan));
    let next = (2..)
        .find(|vlan| !taken.contains(vlan))
        .expect("a free vlan");
    let asked = (3000..)
        .find(|vlan| !taken.contains(vlan) && *vlan != next)
        .expect("free");
    let outside = |vlan: i32, a_vlan: i64| {
        SeedVxc::new(
            &format!("made outside onramp on {vlan}"),
            "Acme",
            (ACME_PORT, a_vlan),
            (EQUINIX_LA1_PORT, i64::from(vlan)),
            100,
        )
    };
    control.add_vxc(outside(next, 4001)).expect("vxc");
    control.add_vxc(outside(asked, 4002)).expect("vxc");

    let port_reads = control.requests(RouteGroup::Product);
    let key_calls = control.requests(RouteGroup::ServiceKey);
    let minted = within(keys.create_service_key(single_use(EQUINIX_LA1_PORT)))
        .await
        .expect("a key on another vlan")
        .into_inner()
        .service_key
        .expect("key");
    let vlan = minted.vlan.expect("a single-use key has a vlan");
    assert_ne!(vlan, next, "the vlan the vxc took");
    assert_eq!(
        control.requests(RouteGroup::Product) - port_reads,
        1,
        "one fresh read of the port, after megaport refused"
    );
    // The refused create, the one that took, and the key watcher's poll the write asks for
    // (which may not have run yet); no listing of the Port's keys.
    let key_requests = control.requests(RouteGroup::ServiceKey) - key_calls;
    assert!((2..=3).contains(&key_requests), "{key_requests}");

    let status = within(keys.create_service_key(CreateServiceKeyRequest {
        vlan: Some(asked),
        ..single_use(EQUINIX_LA1_PORT)
    }))
    .await
    .expect_err("the asked vlan is in use");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "VLAN_IN_USE");
}
