//! RegionService: create, read, update, delete, idempotency, validation, and persistence across
//! a restart.

use crate::support::{TestServer, reason, test_config, within};
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_proto::{
    CreateRegionRequest, DeleteRegionRequest, GetRegionRequest, ListRegionsRequest, Region,
    RegionSelector, UpdateRegionRequest,
};
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

const EQUINIX_LA1_PORT: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const CORESITE_LA1_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";

fn region(name: &str, location_ids: Vec<i32>) -> Region {
    Region {
        name: name.into(),
        display_name: "Asia Pacific".into(),
        selector: Some(RegionSelector {
            location_ids,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn first_violation(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .bad_request()
        .expect("bad request details")
        .field_violations[0]
        .field
        .clone()
}

#[tokio::test]
async fn regions_survive_a_restart() {
    let config = test_config();
    let server = TestServer::start_with(config.clone()).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    within(regions.create_region(CreateRegionRequest {
        region: Some(region("apac", vec![100, 36])),
        request_id: uuid::Uuid::new_v4().to_string(),
    }))
    .await
    .expect("create");
    server.stop().await.expect("stop");

    let restarted = TestServer::start_with(config).await;
    let mut regions = RegionServiceClient::new(restarted.channel.clone());
    let apac = within(regions.get_region(GetRegionRequest {
        name: "apac".into(),
    }))
    .await
    .expect("region still there")
    .into_inner()
    .region
    .expect("region");
    assert_eq!(apac.display_name, "Asia Pacific");
    assert_eq!(apac.port_uids.len(), 2, "Osaka and Sydney");
}

#[tokio::test]
async fn create_is_idempotent_and_names_are_unique() {
    let server = TestServer::start().await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let request_id = uuid::Uuid::new_v4().to_string();
    let create = |name: &str, request_id: &str| CreateRegionRequest {
        region: Some(region(name, vec![100])),
        request_id: request_id.to_owned(),
    };
    let first = within(regions.create_region(create("osaka", &request_id)))
        .await
        .expect("create")
        .into_inner();
    let replay = within(regions.create_region(create("osaka", &request_id)))
        .await
        .expect("replay returns the first result")
        .into_inner();
    assert_eq!(first, replay);

    let reused = within(regions.create_region(create("osaka-2", &request_id)))
        .await
        .expect_err("same request_id, other parameters");
    assert_eq!(reused.code(), Code::FailedPrecondition);
    assert_eq!(
        reused
            .get_error_details()
            .error_info()
            .expect("info")
            .reason,
        "REQUEST_ID_REUSED"
    );

    let duplicate =
        within(regions.create_region(create("osaka", &uuid::Uuid::new_v4().to_string())))
            .await
            .expect_err("duplicate name");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn invalid_regions_are_refused_with_field_violations() {
    let server = TestServer::start().await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let cases = [
        (region("", vec![59]), "region.name"),
        (region("Bad Name", vec![59]), "region.name"),
        (region("emptysel", vec![]), "region.selector"),
        (
            region("nowhere", vec![987_654]),
            "region.selector.location_ids[0]",
        ),
    ];
    for (proposed, field) in cases {
        let status = within(regions.create_region(CreateRegionRequest {
            region: Some(proposed),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(first_violation(&status), field);
        let expected = if field.contains("location_ids") {
            "UNKNOWN_LOCATION"
        } else {
            "INVALID_FIELD"
        };
        assert_eq!(reason(&status), expected, "{field}");
    }
    // request_id is required, as on every create.
    for request_id in ["", "not-a-uuid"] {
        let status = within(regions.create_region(CreateRegionRequest {
            region: Some(region("needs-id", vec![59])),
            request_id: request_id.into(),
        }))
        .await
        .expect_err("request_id");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(first_violation(&status), "request_id", "{request_id:?}");
    }
    let status = within(regions.list_regions(ListRegionsRequest {
        page_size: -1,
        page_token: String::new(),
    }))
    .await
    .expect_err("negative page size");
    assert_eq!(first_violation(&status), "page_size");
    let status = within(regions.list_regions(ListRegionsRequest {
        page_size: 0,
        page_token: "%%%".into(),
    }))
    .await
    .expect_err("malformed token");
    assert_eq!(first_violation(&status), "page_token");
}

#[tokio::test]
async fn update_applies_only_the_mask_and_delete_removes() {
    let server = TestServer::start().await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    within(regions.create_region(CreateRegionRequest {
        region: Some(region("eu", vec![42])),
        request_id: uuid::Uuid::new_v4().to_string(),
    }))
    .await
    .expect("create");
    let mut change = region("eu", vec![59]);
    change.display_name = "Europe".into();
    let updated = within(regions.update_region(UpdateRegionRequest {
        region: Some(change),
        update_mask: Some(FieldMask {
            paths: vec!["display_name".into()],
        }),
    }))
    .await
    .expect("update")
    .into_inner()
    .region
    .expect("region");
    assert_eq!(updated.display_name, "Europe");
    assert_eq!(
        updated.selector.expect("selector").location_ids,
        [42],
        "selector not in the mask"
    );

    let bad_mask = within(regions.update_region(UpdateRegionRequest {
        region: Some(region("eu", vec![42])),
        update_mask: Some(FieldMask {
            paths: vec!["name".into()],
        }),
    }))
    .await
    .expect_err("name is immutable");
    assert_eq!(first_violation(&bad_mask), "update_mask.paths[0]");

    within(regions.delete_region(DeleteRegionRequest { name: "eu".into() }))
        .await
        .expect("delete");
    let gone = within(regions.get_region(GetRegionRequest { name: "eu".into() }))
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), Code::NotFound);
}

/// A regions file at `path` declaring `us-west` over `location_ids`.
fn declare_us_west(location_ids: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("onramp-regions-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        format!(
            "[[regions]]\nname = \"us-west\"\ndisplay_name = \"US-West\"\nlocation_ids = [{location_ids}]\n"
        ),
    )
    .expect("write regions file");
    path
}

#[tokio::test]
async fn a_declared_region_naming_an_unknown_location_stops_the_start() {
    let mut config = test_config();
    config.regions_file = Some(declare_us_west("59, 999999"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let error = within(onramp_server::server::run(
        listener,
        config,
        std::future::pending(),
    ))
    .await
    .expect_err("the start is refused");
    let message = error.to_string();
    assert!(message.contains("regions[0].selector"), "{message}");
    assert!(message.contains("999999"), "{message}");
}

#[tokio::test]
async fn declared_regions_apply_during_a_megaport_outage() {
    use megaport_sandbox::{Fault, FaultKind, RouteGroup};
    let (sandbox, credentials) =
        crate::support::spawn_sandbox(megaport_sandbox::SandboxConfig::default()).await;
    sandbox
        .control()
        .inject_fault(Fault::new(
            RouteGroup::All,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let mut config = crate::support::on_sandbox(test_config(), &sandbox, &credentials);
    config.regions_file = Some(declare_us_west("59, 60"));

    // Megaport is down, yet onramp starts; a region's Ports cannot be resolved until it is back.
    let server = TestServer::start_with(config).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let during = within(regions.get_region(GetRegionRequest {
        name: "us-west".into(),
    }))
    .await
    .expect_err("megaport is down");
    assert_eq!(during.code(), Code::Unavailable, "{during:?}");

    // Once Megaport is back, the declared selector resolves to the two Los Angeles Ports.
    // Once Megaport is back (and the catalog's one-second failure backoff has passed), the
    // declared selector resolves to the Los Angeles Ports.
    sandbox.control().clear_faults();
    let us_west = within(async {
        loop {
            match regions
                .get_region(GetRegionRequest {
                    name: "us-west".into(),
                })
                .await
            {
                Ok(response) => break response.into_inner().region.expect("region"),
                Err(status) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(us_west.display_name, "US-West");
    for port in [EQUINIX_LA1_PORT, CORESITE_LA1_PORT] {
        assert!(
            us_west.port_uids.iter().any(|uid| uid == port),
            "{us_west:?}"
        );
    }
}

/// Catalog answers are kept per view revision (`grpc_plumbing::kept_answers`): a region write must move
/// what the same question answers next, however often it was asked before.
#[tokio::test]
async fn catalog_answers_asked_again_follow_region_writes() {
    use onramp_proto::catalog_service_client::CatalogServiceClient;
    use onramp_proto::{GetOnRampRequest, ListOnRampsRequest};

    let server = TestServer::start().await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let catalog = CatalogServiceClient::new(server.channel.clone());
    let regions_of_la1 = |mut catalog: CatalogServiceClient<tonic::transport::Channel>| async move {
        within(catalog.get_on_ramp(GetOnRampRequest {
            port_uid: EQUINIX_LA1_PORT.into(),
        }))
        .await
        .expect("on-ramp")
        .into_inner()
        .on_ramp
        .expect("on-ramp")
        .regions
    };
    let in_region = |mut catalog: CatalogServiceClient<tonic::transport::Channel>| async move {
        within(catalog.list_on_ramps(ListOnRampsRequest {
            region: "kept".into(),
            ..Default::default()
        }))
        .await
        .map(|answer| {
            answer
                .into_inner()
                .on_ramps
                .into_iter()
                .map(|on_ramp| on_ramp.port_uid)
                .collect::<Vec<_>>()
        })
    };
    for _ in 0..3 {
        assert!(
            !regions_of_la1(catalog.clone())
                .await
                .contains(&"kept".to_owned())
        );
        let unknown = in_region(catalog.clone())
            .await
            .expect_err("no such region");
        assert_eq!(unknown.code(), Code::NotFound);
    }

    within(regions.create_region(CreateRegionRequest {
        region: Some(region("kept", vec![59])),
        request_id: uuid::Uuid::new_v4().to_string(),
    }))
    .await
    .expect("create");
    for _ in 0..3 {
        assert!(
            regions_of_la1(catalog.clone())
                .await
                .contains(&"kept".to_owned())
        );
        let ports = in_region(catalog.clone())
            .await
            .expect("the region's on-ramps");
        assert!(ports.contains(&EQUINIX_LA1_PORT.to_owned()), "{ports:?}");
    }

    within(regions.update_region(UpdateRegionRequest {
        region: Some(region("kept", vec![42])),
        update_mask: Some(FieldMask {
            paths: vec!["selector".into()],
        }),
    }))
    .await
    .expect("update");
    for _ in 0..3 {
        assert!(
            !regions_of_la1(catalog.clone())
                .await
                .contains(&"kept".to_owned())
        );
        let ports = in_region(catalog.clone())
            .await
            .expect("the region's on-ramps");
        assert!(!ports.contains(&EQUINIX_LA1_PORT.to_owned()), "{ports:?}");
    }
}
