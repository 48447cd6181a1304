//! Health answers SERVING for every service; reflection (v1 and v1alpha) lists them all.

use crate::support::{TestServer, within};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const ONRAMP_SERVICES: [&str; 5] = [
    "onramp.v1.AdminService",
    "onramp.v1.CatalogService",
    "onramp.v1.RegionService",
    "onramp.v1.ServiceKeyService",
    "onramp.v1.VxcOrderService",
];

#[tokio::test]
async fn every_service_and_the_server_report_serving() {
    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in ONRAMP_SERVICES.into_iter().chain([""]) {
        let response = within(health.check(HealthCheckRequest {
            service: service.to_owned(),
        }))
        .await
        .unwrap_or_else(|status| panic!("health check of {service:?}: {status}"));
        assert_eq!(
            response.into_inner().status,
            ServingStatus::Serving as i32,
            "{service}"
        );
    }
    let unknown = within(health.check(HealthCheckRequest {
        service: "onramp.v1.NoSuchService".to_owned(),
    }))
    .await
    .expect_err("unknown service");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn reflection_v1_lists_every_service_and_resolves_their_files() {
    let server = TestServer::start().await;
    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    let requests = tokio_stream::iter([
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "onramp.v1.ServiceKeyService".to_owned(),
            )),
        },
    ]);
    let mut responses = within(reflection.server_reflection_info(requests))
        .await
        .expect("reflection call")
        .into_inner();

    let first = within(responses.next()).await.expect("first").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = first.message_response else {
        panic!("expected a service list, got {first:?}");
    };
    let names: Vec<_> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    for expected in ONRAMP_SERVICES.into_iter().chain(["grpc.health.v1.Health"]) {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing from {names:?}"
        );
    }

    let second = within(responses.next()).await.expect("second").expect("ok");
    let Some(MessageResponse::FileDescriptorResponse(files)) = second.message_response else {
        panic!("expected file descriptors, got {second:?}");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

/// grpcurl decodes the details of an error only if reflection knows their types: without them it
/// prints "google.rpc.ErrorInfo is not recognized" and base64.
#[tokio::test]
async fn reflection_resolves_the_error_detail_types_onramp_sends() {
    use prost::Message;

    let server = TestServer::start().await;
    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    for symbol in [
        "google.rpc.ErrorInfo",
        "google.rpc.BadRequest",
        "google.rpc.RetryInfo",
        "google.rpc.Status",
    ] {
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(symbol.to_owned())),
        };
        let mut responses =
            within(reflection.server_reflection_info(tokio_stream::iter([request])))
                .await
                .expect("reflection call")
                .into_inner();
        let response = within(responses.next()).await.expect("answer").expect("ok");
        let Some(MessageResponse::FileDescriptorResponse(files)) = response.message_response else {
            panic!("{symbol}: expected its file, got {response:?}");
        };
        let message = symbol.rsplit('.').next().expect("name");
        let declared = files.file_descriptor_proto.iter().any(|bytes| {
            prost_types::FileDescriptorProto::decode(bytes.as_slice())
                .expect("descriptor")
                .message_type
                .iter()
                .any(|declared| declared.name() == message)
        });
        assert!(declared, "{symbol} is declared in the returned files");
    }
}

#[tokio::test]
async fn reflection_v1alpha_is_served_for_older_grpcurl() {
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaMessage;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;

    let server = TestServer::start().await;
    let mut reflection = AlphaClient::new(server.channel.clone());
    let requests = tokio_stream::iter([AlphaMessage {
        host: String::new(),
        message_request: Some(AlphaRequest::ListServices(String::new())),
    }]);
    let mut responses = within(reflection.server_reflection_info(requests))
        .await
        .expect("reflection call")
        .into_inner();
    let first = within(responses.next()).await.expect("first").expect("ok");
    let Some(AlphaResponse::ListServicesResponse(list)) = first.message_response else {
        panic!("expected a service list, got {first:?}");
    };
    assert!(
        list.service
            .iter()
            .any(|service| service.name == "onramp.v1.CatalogService")
    );
}
