//! The guide's table, reproduced through gRPC on the embedded sandbox: countries, metros, the
//! Los Angeles Ports, region US-West, the diverse pair and the rejections with their reasons.

use crate::support::{TestServer, within};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_proto::select_on_ramps_request::Scope;
use onramp_proto::{
    DiversityPreference, DiversityZone, GetRegionRequest, ListCountriesRequest, ListMetrosRequest,
    ListOnRampsRequest, OnRampKind, RegionSelector, RejectionReason, SelectOnRampsRequest,
};
use tonic::Code;
use tonic_types::StatusExt;

const EQUINIX_LA1_PORT: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const CORESITE_LA1_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
const SYDNEY_PORT: &str = "e766c284-08eb-45b8-bf55-6e74a82e185e";

#[tokio::test]
async fn countries_then_metros_then_los_angeles_ports() {
    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());

    let countries = within(catalog.list_countries(ListCountriesRequest {}))
        .await
        .expect("countries")
        .into_inner()
        .countries;
    let names: Vec<_> = countries.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Australia", "Japan", "UK", "USA"],
        "ascending by name, as documented, not by Port count"
    );
    assert_eq!(
        countries[3].on_ramp_count, 5,
        "LA1, LA2, NYC1, the LA MCR and the NY MVE; LA3 is not LIVE"
    );

    let metros = within(catalog.list_metros(ListMetrosRequest {
        country: "USA".into(),
    }))
    .await
    .expect("metros")
    .into_inner()
    .metros;
    let metro_names: Vec<_> = metros.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(metro_names, ["Los Angeles", "New York"]);

    let on_ramps = within(catalog.list_on_ramps(ListOnRampsRequest {
        metro: "Los Angeles".into(),
        live_only: true,
        kinds: vec![OnRampKind::Port.into()],
        ..Default::default()
    }))
    .await
    .expect("on-ramps")
    .into_inner()
    .on_ramps;
    let mut locations: Vec<_> = on_ramps
        .iter()
        .map(|o| o.location.as_ref().expect("location").id)
        .collect();
    locations.sort_unstable();
    assert_eq!(locations, [59, 60]);
    let la1 = on_ramps
        .iter()
        .find(|o| o.port_uid == EQUINIX_LA1_PORT)
        .expect("Equinix LA1 Port listed");
    assert_eq!(la1.diversity_zone(), DiversityZone::Blue);
    assert_eq!(la1.allocated_mbps, 1500);
    assert_eq!(la1.headroom_mbps, 8500);
    assert_eq!(la1.vxc_count, 2);
    assert_eq!(la1.regions, ["us-west"]);
    assert!(!la1.vlans_in_use.is_empty());
}

#[tokio::test]
async fn us_west_is_declared_and_gives_the_diverse_pair() {
    let server = TestServer::start().await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let region = within(regions.get_region(GetRegionRequest {
        name: "us-west".into(),
    }))
    .await
    .expect("us-west")
    .into_inner()
    .region
    .expect("region");
    assert_eq!(region.display_name, "US-West");
    assert_eq!(region.selector.expect("selector").location_ids, [59, 60]);
    assert!(region.port_uids.contains(&EQUINIX_LA1_PORT.to_owned()));
    assert!(region.port_uids.contains(&CORESITE_LA1_PORT.to_owned()));

    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let selection = within(catalog.select_on_ramps(SelectOnRampsRequest {
        scope: Some(Scope::Region("us-west".into())),
        rate_limit_mbps: 1000,
        diversity: DiversityPreference::Required.into(),
        ..Default::default()
    }))
    .await
    .expect("selection")
    .into_inner();
    assert!(selection.diversity_satisfied);
    let chosen: Vec<_> = selection
        .chosen
        .iter()
        .map(|o| {
            (
                o.location.as_ref().expect("location").name.as_str(),
                o.diversity_zone(),
            )
        })
        .collect();
    assert_eq!(
        chosen,
        [
            ("Equinix LA1", DiversityZone::Blue),
            ("CoreSite LA1", DiversityZone::Red)
        ],
        "least used first"
    );
    let not_live = selection
        .rejected
        .iter()
        .find(|r| r.reason() == RejectionReason::NotLive)
        .expect("LA3 rejected as not live");
    assert_eq!(
        not_live.on_ramp.as_ref().expect("on-ramp").port_name,
        "QuantumGPU LA3"
    );
}

#[tokio::test]
async fn rejections_carry_their_reasons() {
    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    // 5000 Mbps: CoreSite LA1 has 6000 of 10000 allocated; Sydney permits no VXCs.
    let selection = within(catalog.select_on_ramps(SelectOnRampsRequest {
        scope: Some(Scope::Selector(RegionSelector {
            metros: vec!["Los Angeles".into(), "Sydney".into()],
            ..Default::default()
        })),
        rate_limit_mbps: 5000,
        diversity: DiversityPreference::Preferred.into(),
        ..Default::default()
    }))
    .await
    .expect("selection")
    .into_inner();
    assert!(!selection.diversity_satisfied);
    assert!(selection.diversity_message.contains("no red+blue pair"));
    assert_eq!(selection.chosen.len(), 1);
    assert_eq!(selection.chosen[0].port_uid, EQUINIX_LA1_PORT);
    let reason_of = |uid: &str| {
        let rejected = selection
            .rejected
            .iter()
            .find(|r| r.on_ramp.as_ref().is_some_and(|o| o.port_uid == uid))
            .unwrap_or_else(|| panic!("{uid} not among the rejected"));
        (rejected.reason(), rejected.detail.clone())
    };
    assert_eq!(
        reason_of(CORESITE_LA1_PORT),
        (
            RejectionReason::HeadroomBelowRate,
            "headroom 4000 mbps below rate 5000 mbps".to_owned()
        )
    );
    assert_eq!(reason_of(SYDNEY_PORT).0, RejectionReason::VxcNotPermitted);

    let required = within(catalog.select_on_ramps(SelectOnRampsRequest {
        scope: Some(Scope::Region("us-west".into())),
        rate_limit_mbps: 5000,
        diversity: DiversityPreference::Required.into(),
        ..Default::default()
    }))
    .await
    .expect_err("no pair can take 5000 mbps");
    assert_eq!(required.code(), Code::FailedPrecondition);
    assert_eq!(
        required
            .get_error_details()
            .error_info()
            .expect("info")
            .reason,
        "NO_DIVERSE_PAIR"
    );
}

#[tokio::test]
async fn invalid_catalog_requests_name_the_field() {
    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let cases = [
        (
            SelectOnRampsRequest {
                scope: Some(Scope::Region("us-west".into())),
                rate_limit_mbps: 0,
                diversity: 0,
                ..Default::default()
            },
            "rate_limit_mbps",
        ),
        (
            SelectOnRampsRequest {
                scope: None,
                rate_limit_mbps: 100,
                diversity: 0,
                ..Default::default()
            },
            "region",
        ),
        (
            SelectOnRampsRequest {
                scope: Some(Scope::Selector(RegionSelector {
                    location_ids: vec![424_242],
                    ..Default::default()
                })),
                rate_limit_mbps: 100,
                diversity: 0,
                ..Default::default()
            },
            "selector.location_ids[0]",
        ),
    ];
    for (request, field) in cases {
        let status = within(catalog.select_on_ramps(request))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("violations").field_violations;
        assert_eq!(violations[0].field, field);
    }
    let status = within(catalog.list_on_ramps(ListOnRampsRequest {
        page_token: "bm90LWEtdG9rZW4".into(),
        ..Default::default()
    }))
    .await
    .expect_err("malformed token");
    let details = status.get_error_details();
    assert_eq!(
        details.bad_request().expect("violations").field_violations[0].field,
        "page_token"
    );
}

#[tokio::test]
async fn on_ramps_page_through_without_gaps() {
    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = within(catalog.list_on_ramps(ListOnRampsRequest {
            page_size: 2,
            page_token: token.clone(),
            ..Default::default()
        }))
        .await
        .expect("page")
        .into_inner();
        assert!(page.on_ramps.len() <= 2);
        seen.extend(page.on_ramps.into_iter().map(|o| o.port_uid));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        seen.len(),
        9,
        "the provider's seven Ports, its MCR and its MVE, each once"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 9);
}

#[tokio::test]
async fn an_external_sandbox_with_a_regions_file_serves_the_same_catalog() {
    let sandboxed = crate::support::SandboxedServer::start().await;
    let mut catalog = CatalogServiceClient::new(sandboxed.server.channel.clone());
    let before = within(catalog.list_on_ramps(ListOnRampsRequest::default()))
        .await
        .expect("list")
        .into_inner()
        .on_ramps
        .len();
    assert_eq!(before, 9, "seven Ports, the MCR and the MVE");
    let regions = within(
        RegionServiceClient::new(sandboxed.server.channel.clone()).get_region(GetRegionRequest {
            name: "us-west".into(),
        }),
    )
    .await
    .expect("us-west declared from the regions file");
    assert_eq!(
        regions.into_inner().region.expect("region").display_name,
        "US-West"
    );
}
