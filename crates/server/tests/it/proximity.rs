//! Selection that knows where the customer is, and the diverse leg of a connection, on the
//! default seed: Seattle (94) and San Diego (136) customers asking for US-West, Megaport's
//! medians (and the fall-back to geography when the RTT route fails), what the medians cost in
//! requests, and a complement of Acme's LIVE VXC on the blue LA Port.

use crate::support::orders::request_id;
use crate::support::{SandboxedServer, reason, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::select_on_ramps_request::{Customer, Scope};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::{
    DiversityPreference, DiversityZone, IssueServiceKeysRequest, ProximityPolicy, RttSource,
    SelectOnRampsRequest, SelectOnRampsResponse, issue_service_keys_request,
};
use tonic::transport::Channel;

const EQUINIX_LA1: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const CORESITE_LA1: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";
/// Acme's LIVE 500 Mbps VXC to QuantumGPU LA1 (blue).
const ACME_VXC: &str = "c95584c5-ac46-4e05-babf-134de71890bc";
const SEATTLE: i32 = 94;
const SAN_DIEGO: i32 = 136;

fn us_west_from(customer: Customer) -> SelectOnRampsRequest {
    SelectOnRampsRequest {
        scope: Some(Scope::Region("us-west".into())),
        rate_limit_mbps: 500,
        customer: Some(customer),
        ..Default::default()
    }
}

async fn select(channel: &Channel, request: SelectOnRampsRequest) -> SelectOnRampsResponse {
    within(CatalogServiceClient::new(channel.clone()).select_on_ramps(request))
        .await
        .expect("selection")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seattle_and_san_diego_get_their_nearest_port_for_one_medians_request_each() {
    let env = SandboxedServer::start().await;
    let channel = env.server.channel.clone();
    let control = env.sandbox.control();

    let seattle = select(
        &channel,
        us_west_from(Customer::CustomerLocationId(SEATTLE)),
    )
    .await;
    assert_eq!(seattle.chosen[0].port_uid, CORESITE_LA1, "{seattle:#?}");
    let rtt = seattle.chosen[0].expected_rtt.clone().expect("rtt");
    assert_eq!(rtt.milliseconds, 24.6);
    assert_eq!(rtt.source(), RttSource::MegaportMedian);
    assert_eq!(rtt.month.len(), "2026-11".len());
    assert!(
        seattle
            .proximity_message
            .starts_with("expected round trips from Equinix SE2 (94) are megaport's medians for "),
        "{}",
        seattle.proximity_message
    );
    // The Port passed over says why: farther, with its figure and source.
    let la1 = seattle
        .rejected
        .iter()
        .find(|rejected| rejected.on_ramp.as_ref().expect("on-ramp").port_uid == EQUINIX_LA1)
        .expect("LA1 rejected");
    assert!(
        la1.detail
            .starts_with("eligible, but ranked lower (expected rtt 27.9 ms (megaport median "),
        "{}",
        la1.detail
    );

    let san_diego = select(
        &channel,
        us_west_from(Customer::CustomerLocationId(SAN_DIEGO)),
    )
    .await;
    assert_eq!(san_diego.chosen[0].port_uid, EQUINIX_LA1);
    assert_eq!(
        san_diego.chosen[0]
            .expected_rtt
            .as_ref()
            .map(|rtt| rtt.milliseconds),
        Some(3.4)
    );

    // Capacity first: the least used Port (LA1) for both, nearness only between equals.
    let capacity = select(
        &channel,
        SelectOnRampsRequest {
            proximity: ProximityPolicy::CapacityFirst.into(),
            ..us_west_from(Customer::CustomerLocationId(SEATTLE))
        },
    )
    .await;
    assert_eq!(capacity.chosen[0].port_uid, EQUINIX_LA1);

    // The customer's own Port: onramp finds its location (Acme's account may read it).
    let from_port = select(
        &channel,
        us_west_from(Customer::CustomerPortUid(ACME_PORT.into())),
    )
    .await;
    assert!(
        from_port.proximity_message.contains("Equinix LA1 (59)"),
        "{}",
        from_port.proximity_message
    );

    // A hundred selections from the two locations: one medians request per location.
    for round in 0..50 {
        for from in [SEATTLE, SAN_DIEGO] {
            let answer = select(
                &channel,
                SelectOnRampsRequest {
                    rate_limit_mbps: 100 + round,
                    ..us_west_from(Customer::CustomerLocationId(from))
                },
            )
            .await;
            assert_eq!(answer.chosen.len(), 1);
        }
    }
    assert_eq!(
        control.requests(RouteGroup::LocationRtt),
        3,
        "Seattle, San Diego and Equinix LA1, once each for the month"
    );

    // A location Megaport does not have is refused with the field named.
    let status = within(
        CatalogServiceClient::new(channel.clone())
            .select_on_ramps(us_west_from(Customer::CustomerLocationId(4242))),
    )
    .await
    .expect_err("unknown location");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("customer_location_id"),
        "{status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_medians_route_down_the_answer_is_a_geographic_estimate_and_says_so() {
    let env = SandboxedServer::start().await;
    let control = env.sandbox.control();
    control
        .inject_fault(Fault::new(
            RouteGroup::LocationRtt,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let channel = env.server.channel.clone();
    for _ in 0..3 {
        let seattle = select(
            &channel,
            us_west_from(Customer::CustomerLocationId(SEATTLE)),
        )
        .await;
        let rtt = seattle.chosen[0].expected_rtt.clone().expect("estimate");
        assert_eq!(rtt.source(), RttSource::GeoEstimate);
        assert!((20.0..30.0).contains(&rtt.milliseconds), "{rtt:?}");
        assert_eq!(rtt.month, "");
        // By distance the two LA buildings are equally near: usage decides (LA1).
        assert_eq!(seattle.chosen[0].port_uid, EQUINIX_LA1);
        assert!(
            seattle.proximity_message.contains("unavailable")
                && seattle
                    .proximity_message
                    .ends_with("expected round trips are geographic estimates"),
            "{}",
            seattle.proximity_message
        );
    }
    // The failed month is not asked again at once (the client's own retries aside).
    let asked = control.requests(RouteGroup::LocationRtt);
    select(
        &channel,
        us_west_from(Customer::CustomerLocationId(SEATTLE)),
    )
    .await;
    assert_eq!(control.requests(RouteGroup::LocationRtt), asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_complement_of_a_vxc_on_the_blue_la_port_is_the_red_one_and_gets_a_key() {
    let env = SandboxedServer::start().await;
    let channel = env.server.channel.clone();
    let complement = select(
        &channel,
        SelectOnRampsRequest {
            rate_limit_mbps: 500,
            complement_of: ACME_VXC.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(complement.chosen.len(), 1);
    assert_eq!(complement.chosen[0].port_uid, CORESITE_LA1);
    assert_eq!(
        complement.chosen[0].diversity_zone(),
        DiversityZone::Red,
        "the other zone"
    );

    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let issued = within(keys.issue_service_keys(IssueServiceKeysRequest {
        region: "us-west".into(),
        max_speed_mbps: 500,
        single_use: true,
        customer_ref: "acme".into(),
        complement_of: ACME_VXC.into(),
        customer: Some(issue_service_keys_request::Customer::CustomerLocationId(
            SAN_DIEGO,
        )),
        request_id: request_id(),
        ..Default::default()
    }))
    .await
    .expect("issue")
    .into_inner();
    assert_eq!(issued.service_keys.len(), 1);
    let key = &issued.service_keys[0];
    assert_eq!(
        key.on_ramp.as_ref().expect("port").port_uid,
        CORESITE_LA1,
        "the red Port, though San Diego is nearer the blue one"
    );
    assert_eq!(key.customer_ref, "acme");

    // LA2 has 4000 Mbps of headroom: a 5000 Mbps leg is refused, naming it.
    let status = within(CatalogServiceClient::new(channel.clone()).select_on_ramps(
        SelectOnRampsRequest {
            rate_limit_mbps: 5000,
            diversity: DiversityPreference::None.into(),
            complement_of: ACME_VXC.into(),
            ..Default::default()
        },
    ))
    .await
    .expect_err("red port full");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reason(&status), "NO_ELIGIBLE_ON_RAMP");
    assert_eq!(
        status.message(),
        "no red port beside QuantumGPU LA1 (Los Angeles) can take a 5000 mbps vxc: \
         QuantumGPU LA2: headroom 4000 mbps below rate 5000 mbps; \
         QuantumGPU LA3: port is deployable, not live"
    );
}
