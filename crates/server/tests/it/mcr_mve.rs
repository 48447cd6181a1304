//! MCR and MVE on-ramps on the default seed, through gRPC: selection ranks an MCR beside the
//! Ports when asked; a key on the MCR (or MVE) carries a peering profile, checked when the key is
//! made; a VXC Acme buys with it waits in the inbox; approving sends the profile, then the
//! approval (one PUT, one approve, in that order, counted at the sandbox); the VXC goes LIVE with
//! Megaport's record of the B-End as the profile said. A PUT Megaport refuses before approval is
//! sent again after LIVE.

use std::time::Duration;

use crate::support::approvals::*;
use crate::support::orders::*;
use crate::support::{SandboxedServer, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::approval_service_client::ApprovalServiceClient;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    ApprovalStatus, ApproveApprovalRequest, BgpSession, CreateServiceKeyRequest,
    DiversityPreference, GetVxcOrderRequest, ListOnRampsRequest, McrPeering, MvePeering,
    OnRampKind, PeeringProfile, PeeringState, SelectOnRampsRequest, VxcOrderState, peering_profile,
    select_on_ramps_request,
};
use serde_json::Value;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const MCR_LA: &str = "5c2e8a41-7d3b-4f0e-9a6c-1b8d2f4e6a90";
const MVE_NY: &str = "9e4f1c27-3a8b-4d6e-8f20-7c5a1e3b9d48";

fn mcr_profile(address: &str, peer_asn: i64, password: &str) -> PeeringProfile {
    PeeringProfile {
        kind: Some(peering_profile::Kind::Mcr(McrPeering {
            interface_addresses: vec![address.to_owned()],
            bgp: Some(BgpSession {
                peer_asn,
                local_ip_address: "169.254.30.1".into(),
                peer_ip_address: "169.254.30.2".into(),
                password: password.to_owned(),
                password_set: false,
                bfd: true,
            }),
        })),
    }
}

fn mve_profile(vnic_index: i32) -> PeeringProfile {
    PeeringProfile {
        kind: Some(peering_profile::Kind::Mve(MvePeering { vnic_index })),
    }
}

fn key_request(on_ramp: &str, vlan: i32, peering: PeeringProfile) -> CreateServiceKeyRequest {
    CreateServiceKeyRequest {
        port_uid: on_ramp.into(),
        single_use: true,
        vlan: Some(vlan),
        max_speed_mbps: 1000,
        pre_approved: false,
        customer_ref: "acme-l3".into(),
        request_id: request_id(),
        peering: Some(peering),
        ..Default::default()
    }
}

/// The field violations of a refused key, by field.
async fn refused_fields(channel: &Channel, request: CreateServiceKeyRequest) -> Vec<String> {
    let status = within(ServiceKeyServiceClient::new(channel.clone()).create_service_key(request))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .field_violations
        .iter()
        .map(|violation| violation.field.clone())
        .collect()
}

/// Records a secret for the log canary check (scripts/check-log-canaries.sh).
fn canary(secret: &str) {
    let canaries = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-logs");
    std::fs::create_dir_all(&canaries).expect("test-logs");
    std::fs::write(
        canaries.join(format!("bgp-{}.canary", uuid::Uuid::new_v4())),
        secret,
    )
    .expect("canary");
}

/// Buys with `key` as Acme, approves in the inbox once it names the key; the approval.
async fn buy_and_approve(
    channel: &Channel,
    key: &str,
    name: &str,
) -> (onramp_proto::VxcOrder, onramp_proto::Approval) {
    let order = acme_buys(channel, key, name).await;
    assert_eq!(order.state(), VxcOrderState::AwaitingApproval);
    let pending = approval_where(channel, &[], |a| {
        a.vxc_uid == order.vxc_uid && a.service_key == key
    })
    .await;
    assert_eq!(pending.status(), ApprovalStatus::Pending);
    let approved = within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(ApproveApprovalRequest {
            approval_uid: pending.approval_uid.clone(),
            comment: "welcome, l3".into(),
        }),
    )
    .await
    .expect("approve")
    .into_inner()
    .approval
    .expect("approval");
    assert_eq!(approved.status(), ApprovalStatus::Approved);
    (order, approved)
}

async fn peering_state(channel: &Channel, order_id: &str) -> PeeringState {
    within(
        VxcOrderServiceClient::new(channel.clone()).get_vxc_order(GetVxcOrderRequest {
            order_id: order_id.to_owned(),
        }),
    )
    .await
    .expect("get")
    .into_inner()
    .order
    .expect("order")
    .peering
    .expect("peering")
    .state()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcr_is_ranked_beside_ports_and_its_key_configures_the_end_before_approval() {
    let env = SandboxedServer::start_with(fast_sandbox(), inbox_config()).await;
    let channel = env.server.channel.clone();
    let mut catalog = CatalogServiceClient::new(channel.clone());

    // US-West holds two LIVE Ports and the MCR: asked for both kinds, all three are ranked.
    let select = |kinds: Vec<OnRampKind>| SelectOnRampsRequest {
        scope: Some(select_on_ramps_request::Scope::Region("us-west".into())),
        rate_limit_mbps: 1000,
        diversity: DiversityPreference::Preferred.into(),
        kinds: kinds.into_iter().map(Into::into).collect(),
        ..Default::default()
    };
    let both = within(catalog.select_on_ramps(select(vec![OnRampKind::Port, OnRampKind::Mcr])))
        .await
        .expect("select")
        .into_inner();
    let ranked: Vec<_> = both
        .chosen
        .iter()
        .chain(both.rejected.iter().filter_map(|r| r.on_ramp.as_ref()))
        .collect();
    let mcr = ranked
        .iter()
        .find(|o| o.port_uid == MCR_LA)
        .expect("the MCR is ranked");
    assert_eq!(mcr.kind(), OnRampKind::Mcr);
    assert_eq!((mcr.speed_mbps, mcr.mcr_asn), (5000, 133_937));
    assert_eq!(mcr.headroom_mbps, 5000, "an empty MCR: its whole speed");
    assert!(
        ranked
            .iter()
            .any(|o| o.port_uid == LA1_BLUE && o.kind() == OnRampKind::Port)
    );
    // Asked for nothing in particular, a selection stays on Ports.
    let ports = within(catalog.select_on_ramps(select(Vec::new())))
        .await
        .expect("select")
        .into_inner();
    assert!(
        ports
            .chosen
            .iter()
            .chain(ports.rejected.iter().filter_map(|r| r.on_ramp.as_ref()))
            .all(|o| o.kind() == OnRampKind::Port)
    );
    // The catalog lists the MVE with its vNICs, all free.
    let mves = within(catalog.list_on_ramps(ListOnRampsRequest {
        kinds: vec![OnRampKind::Mve.into()],
        ..Default::default()
    }))
    .await
    .expect("list")
    .into_inner()
    .on_ramps;
    assert_eq!(mves.len(), 1);
    assert_eq!(mves[0].port_uid, MVE_NY);
    assert_eq!(
        mves[0].speed_mbps, 2000,
        "an MVE's capacity is its maxVxcSpeed"
    );
    assert_eq!(mves[0].vnics.len(), 3);
    assert!(mves[0].vnics.iter().all(|v| v.vxc_uid.is_empty()));

    // A bad profile is refused when the key is made, naming the field.
    let password = format!("bgp-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    canary(&password);
    for (request, field) in [
        (
            key_request(MCR_LA, 171, mcr_profile("169.254.30.1", 64700, &password)),
            "peering.mcr.interface_addresses[0]",
        ),
        (
            key_request(MCR_LA, 171, mcr_profile("169.254.30.1/30", 0, &password)),
            "peering.mcr.bgp.peer_asn",
        ),
        (key_request(MCR_LA, 171, mve_profile(1)), "peering.mve"),
        (
            key_request(MVE_NY, 171, mve_profile(7)),
            "peering.mve.vnic_index",
        ),
        (
            key_request(
                LA1_BLUE,
                171,
                mcr_profile("169.254.30.1/30", 64700, &password),
            ),
            "peering.mcr",
        ),
    ] {
        let fields = refused_fields(&channel, request).await;
        assert_eq!(fields, [field]);
    }

    // The key keeps the profile; its password is never returned.
    let created = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(key_request(
            MCR_LA,
            170,
            mcr_profile("169.254.30.1/30", 64700, &password),
        )),
    )
    .await
    .expect("key on the MCR")
    .into_inner()
    .service_key
    .expect("service_key");
    let Some(peering_profile::Kind::Mcr(kept)) = created.peering.and_then(|p| p.kind) else {
        panic!("the key shows its mcr profile");
    };
    let bgp = kept.bgp.expect("bgp");
    assert!(bgp.password.is_empty() && bgp.password_set);
    assert_eq!(created.on_ramp.expect("on_ramp").kind(), OnRampKind::Mcr);

    let (order, approved) = buy_and_approve(&channel, &created.key, "acme to the mcr").await;
    assert_eq!(
        approved.peering.expect("peering").state(),
        PeeringState::SentBeforeApproval
    );
    // One PUT (the profile), then one approval.
    let puts = env.sandbox.control().arrivals(RouteGroup::VxcUpdate);
    let decisions = env.sandbox.control().arrivals(RouteGroup::ApprovalDecide);
    assert_eq!((puts.len(), decisions.len()), (1, 1));
    assert!(
        puts[0] < decisions[0],
        "the profile goes before the approval"
    );

    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;
    assert_eq!(
        peering_state(&channel, &order.order_id).await,
        PeeringState::SentBeforeApproval
    );
    // Megaport's record of the B-End: the interface and the session as the profile said.
    let vxc = env
        .sandbox
        .control()
        .product_json(&order.vxc_uid)
        .expect("the vxc");
    assert_eq!(vxc["provisioningStatus"], "LIVE");
    assert_eq!(vxc["bEnd"]["productUid"], MCR_LA);
    assert_eq!(vxc["bEnd"]["vlan"], 170);
    let router = &vxc["resources"]["csp_connection"];
    assert_eq!(router["connectType"], "VROUTER");
    let interface = &router["interfaces"][0];
    assert_eq!(
        interface["ipAddresses"],
        serde_json::json!(["169.254.30.1/30"])
    );
    let session = &interface["bgpConnections"][0];
    assert_eq!(session["peerAsn"], 64700);
    assert_eq!(session["localIpAddress"], "169.254.30.1");
    assert_eq!(session["peerIpAddress"], "169.254.30.2");
    assert_eq!(session["bfdEnabled"], true);
    assert_eq!(session.get("password"), None::<&Value>);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mve_key_lands_on_its_vnic_and_a_refused_profile_is_sent_after_live() {
    let env = SandboxedServer::start_with(fast_sandbox(), inbox_config()).await;
    let channel = env.server.channel.clone();

    let key = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(key_request(
            MVE_NY,
            180,
            mve_profile(2),
        )),
    )
    .await
    .expect("key on the MVE")
    .into_inner()
    .service_key
    .expect("service_key")
    .key;
    let (order, approved) = buy_and_approve(&channel, &key, "acme to the mve").await;
    assert_eq!(
        approved.peering.expect("peering").state(),
        PeeringState::SentBeforeApproval
    );
    // One PUT (bVnicIndex), then one approval.
    let puts = env.sandbox.control().arrivals(RouteGroup::VxcUpdate);
    let decisions = env.sandbox.control().arrivals(RouteGroup::ApprovalDecide);
    assert_eq!((puts.len(), decisions.len()), (1, 1));
    assert!(
        puts[0] < decisions[0],
        "the profile goes before the approval"
    );
    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;
    let vxc = env
        .sandbox
        .control()
        .product_json(&order.vxc_uid)
        .expect("the vxc");
    assert_eq!(vxc["bEnd"]["productUid"], MVE_NY);
    assert_eq!(vxc["bEnd"]["vNicIndex"], 2, "moved to the profile's vNIC");

    // vNIC 2 carries a VXC now: a key naming it is refused when it is made.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let request = key_request(MVE_NY, 181, mve_profile(2));
        match within(ServiceKeyServiceClient::new(channel.clone()).create_service_key(request))
            .await
        {
            Err(status) if status.code() == Code::InvalidArgument => {
                assert!(
                    status.message().contains("already carries vxc"),
                    "{status:?}"
                );
                break;
            }
            // The catalog's copy of the MVE is a refresh old at most.
            other => {
                assert!(tokio::time::Instant::now() < deadline, "{other:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }

    // Megaport refuses the profile before approval: onramp approves, then sends it after LIVE.
    let key = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(key_request(
            MVE_NY,
            182,
            mve_profile(1),
        )),
    )
    .await
    .expect("second key")
    .into_inner()
    .service_key
    .expect("service_key")
    .key;
    env.sandbox
        .control()
        .inject_fault(
            Fault::new(
                RouteGroup::VxcUpdate,
                FaultKind::Status {
                    code: 400,
                    retry_after: None,
                },
            )
            .with_count(1),
        )
        .expect("fault");
    let (order, approved) = buy_and_approve(&channel, &key, "acme to the mve, later").await;
    assert_eq!(
        approved.peering.expect("peering").state(),
        PeeringState::AwaitingLive
    );
    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while peering_state(&channel, &order.order_id).await != PeeringState::SentAfterLive {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent after live"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let vxc = env
        .sandbox
        .control()
        .product_json(&order.vxc_uid)
        .expect("the vxc");
    // The order landed on the lowest free vNIC (0); the late profile moved it.
    assert_eq!(vxc["bEnd"]["vNicIndex"], 1);
}
