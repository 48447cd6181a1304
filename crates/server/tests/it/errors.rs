//! The error contract as a client sees it: codes, `ErrorInfo` and `BadRequest` decoded from the
//! status details.

use crate::support::{TestServer, within};
use onramp_proto::ListOnRampsRequest;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn invalid_fields_come_back_as_field_violations() {
    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let status = within(catalog.list_on_ramps(ListOnRampsRequest {
        page_size: -3,
        location_id: -5,
        ..Default::default()
    }))
    .await
    .expect_err("invalid request");

    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let info = details.error_info().expect("ErrorInfo attached");
    assert_eq!(info.domain, "onramp");
    assert_eq!(info.reason, "INVALID_FIELD");
    let violations = &details
        .bad_request()
        .expect("BadRequest attached")
        .field_violations;
    let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["page_size", "location_id"]);
    assert!(violations[0].description.contains("500"), "names the limit");
}

/// INVALID_FIELD promises metadata "field" naming the first violation, whichever RPC refused.
#[tokio::test]
async fn every_invalid_field_error_names_its_first_field_in_metadata() {
    use onramp_proto::region_service_client::RegionServiceClient;
    use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
    use onramp_proto::{CreateRegionRequest, CreateServiceKeyRequest, SelectOnRampsRequest};

    let server = TestServer::start().await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let statuses = [
        within(catalog.list_on_ramps(ListOnRampsRequest {
            page_size: -3,
            ..Default::default()
        }))
        .await
        .expect_err("page size"),
        within(catalog.select_on_ramps(SelectOnRampsRequest {
            scope: Some(onramp_proto::select_on_ramps_request::Scope::Region(
                "us-west".into(),
            )),
            rate_limit_mbps: 0,
            ..Default::default()
        }))
        .await
        .expect_err("rate"),
        within(regions.create_region(CreateRegionRequest {
            region: None,
            request_id: String::new(),
        }))
        .await
        .expect_err("region"),
        within(keys.create_service_key(CreateServiceKeyRequest {
            port_uid: String::new(),
            request_id: "not-a-uuid".into(),
            ..Default::default()
        }))
        .await
        .expect_err("key"),
    ];
    for status in statuses {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        let first = &details.bad_request().expect("BadRequest").field_violations[0];
        assert_eq!(info.metadata.get("field"), Some(&first.field), "{status:?}");
    }
}

/// A method this server does not have (a client built against a newer contract) is
/// UNIMPLEMENTED / NOT_IMPLEMENTED, not a permission problem.
#[tokio::test]
async fn a_method_this_version_lacks_is_not_implemented() {
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel.clone());
    within(grpc.ready()).await.expect("ready");
    let path = http::uri::PathAndQuery::from_static("/onramp.v1.CatalogService/ListGalaxies");
    let status = within(
        grpc.unary::<ListOnRampsRequest, onramp_proto::ListOnRampsResponse, _>(
            tonic::Request::new(ListOnRampsRequest::default()),
            path,
            tonic_prost::ProstCodec::default(),
        ),
    )
    .await
    .expect_err("no such method");
    assert_eq!(status.code(), Code::Unimplemented);
    let details = status.get_error_details();
    assert_eq!(
        details.error_info().expect("ErrorInfo").reason,
        "NOT_IMPLEMENTED"
    );
    assert!(status.message().contains("ListGalaxies"), "{status:?}");
}
