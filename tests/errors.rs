//! The error contract as a client sees it: codes, `ErrorInfo` and `BadRequest` decoded from the
//! status details.

mod common;

use common::{TestServer, within};
use onramp::pb::ListOnRampsRequest;
use onramp::pb::catalog_service_client::CatalogServiceClient;
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
