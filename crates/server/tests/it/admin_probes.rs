//! The admin listener: liveness, readiness (before the first catalog load, and while draining),
//! and the gRPC metrics it exposes.

use std::time::Duration;

use crate::support::http::{get, sample};
use crate::support::{TestServer, on_sandbox, spawn_sandbox, test_config, within};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxConfig};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::{GetServiceKeyRequest, ListCountriesRequest};

const CORESITE_LA1_PORT: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";

/// Polls `/readyz` until it answers `status`.
async fn readyz_becomes(server: &TestServer, status: u16) -> String {
    let admin = server.admin_addr.expect("admin listener");
    within(async {
        loop {
            let (code, body) = get(admin, "/readyz").await;
            if code == status {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_until_the_catalog_has_loaded_and_again_while_draining() {
    let (sandbox, credentials) = spawn_sandbox(SandboxConfig::default()).await;
    // Megaport cannot list products when onramp starts: the catalog has nothing loaded.
    sandbox
        .control()
        .inject_fault(Fault::new(
            RouteGroup::Products,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let mut config = on_sandbox(test_config(), &sandbox, &credentials);
    config.shutdown_grace_seconds = 5;
    let mut server = TestServer::start_with(config).await;
    let admin = server.admin_addr.expect("admin listener");

    assert_eq!(get(admin, "/healthz").await.0, 200, "alive from the start");
    let (code, body) = get(admin, "/readyz").await;
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("catalog"), "{body}");
    sandbox.control().clear_faults();
    readyz_becomes(&server, 200).await;
    assert_eq!(get(admin, "/nope").await.0, 404);

    // A create that Megaport answers slowly keeps the server draining after the signal.
    sandbox
        .control()
        .inject_fault(Fault::new(
            RouteGroup::ServiceKey,
            FaultKind::Latency { ms: 2000 },
        ))
        .expect("fault");
    let mut keys = ServiceKeyServiceClient::new(server.channel.clone());
    let slow_create = tokio::spawn(async move {
        keys.create_service_key(onramp_proto::CreateServiceKeyRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            port_uid: CORESITE_LA1_PORT.to_owned(),
            max_speed_mbps: 100,
            ..Default::default()
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.begin_shutdown();
    let body = readyz_becomes(&server, 503).await;
    assert!(body.contains("draining"), "{body}");
    assert_eq!(get(admin, "/healthz").await.0, 200, "alive while draining");
    within(slow_create)
        .await
        .expect("task")
        .expect("the call in flight finishes during the drain");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_code() {
    let server = TestServer::start().await;
    let admin = server.admin_addr.expect("admin listener");
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    for _ in 0..3 {
        within(catalog.list_countries(ListCountriesRequest {}))
            .await
            .expect("list countries");
    }
    let refused = within(
        ServiceKeyServiceClient::new(server.channel.clone())
            .get_service_key(GetServiceKeyRequest { key: "nope".into() }),
    )
    .await
    .expect_err("not a key");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    let (code, text) = get(admin, "/metrics").await;
    assert_eq!(code, 200);
    let calls = |method: &str, code: &str| {
        sample(
            &text,
            "onramp_grpc_server_requests_total",
            &[("method", method), ("code", code)],
        )
    };
    assert_eq!(calls("ListCountries", "Ok"), Some(3.0), "{text}");
    assert_eq!(calls("GetServiceKey", "InvalidArgument"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "onramp_grpc_server_request_duration_seconds_count",
            &[("method", "ListCountries")]
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "onramp_grpc_server_requests_in_flight", &[]),
        Some(0.0)
    );
    assert!(
        sample(
            &text,
            "onramp_megaport_requests_total",
            &[("route", "products"), ("outcome", "ok")]
        )
        .is_some_and(|count| count >= 1.0),
        "the catalog's loads are counted: {text}"
    );
}

#[tokio::test]
async fn refusals_are_counted_by_reason_without_the_caller() {
    use crate::support::auth::{REVOKED, config_with_tokens, with_token};
    let server = TestServer::start_with(config_with_tokens()).await;
    let admin = server.admin_addr.expect("admin listener");
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let anonymous = within(catalog.list_countries(ListCountriesRequest {}))
        .await
        .expect_err("no token");
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let revoked = within(catalog.list_countries(with_token(ListCountriesRequest {}, REVOKED)))
        .await
        .expect_err("revoked token");
    assert_eq!(revoked.code(), tonic::Code::Unauthenticated);

    let (_, text) = get(admin, "/metrics").await;
    let refusals: f64 = text
        .lines()
        .filter(|line| line.starts_with("onramp_auth_refusals_total{"))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert_eq!(refusals, 2.0, "{text}");
    assert!(
        !text.contains(REVOKED),
        "a caller's token never becomes a label"
    );
    assert_eq!(
        sample(
            &text,
            "onramp_grpc_server_requests_total",
            &[("method", "ListCountries"), ("code", "Unauthenticated")]
        ),
        Some(2.0)
    );
}

/// A client holding 500 admin connections open without sending a byte does not keep a scrape
/// or a probe waiting: they are answered while all 500 are still open (the header timeout is
/// a minute here, so none of them was closed to make room). Past the cap, a new connection is
/// closed at once; one that sends no headers is closed after the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_do_not_starve_scrapes_and_probes() {
    let mut config = test_config();
    config.admin.max_connections = 510;
    config.admin.header_read_timeout_millis = 60_000;
    let server = TestServer::start_with(config).await;
    let admin = server.admin_addr.expect("admin listener");
    raise_open_file_limit();
    let mut idle = Vec::new();
    for _ in 0..500 {
        idle.push(
            tokio::net::TcpStream::connect(admin)
                .await
                .expect("connect"),
        );
    }
    let (code, body) = get(admin, "/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("onramp_"), "a scrape");
    assert_eq!(get(admin, "/healthz").await.0, 200);
    for (index, stream) in idle.iter().enumerate() {
        let mut byte = [0_u8; 1];
        match stream.try_read(&mut byte) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("idle connection {index} was closed: {other:?}"),
        }
    }
    // The cap: ten more fill it, and the next is closed without an answer.
    for _ in 0..10 {
        idle.push(
            tokio::net::TcpStream::connect(admin)
                .await
                .expect("connect"),
        );
    }
    let mut over = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    let mut buffer = Vec::new();
    // Closed by the server long before its header timeout (a minute), or `within` fails.
    let _ = within(tokio::io::AsyncReadExt::read_to_end(&mut over, &mut buffer)).await;
    assert!(buffer.is_empty(), "a connection past the cap was answered");
    drop(idle);
}

/// A connection that never sends its request headers is closed after the header timeout.
#[tokio::test]
async fn a_connection_without_headers_is_closed_after_the_header_timeout() {
    let mut config = test_config();
    config.admin.header_read_timeout_millis = 200;
    let server = TestServer::start_with(config).await;
    let admin = server.admin_addr.expect("admin listener");
    let mut silent = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    let mut buffer = Vec::new();
    // Closed by the server (with a 408 or nothing): the read ends, or `within` fails.
    let _ = within(tokio::io::AsyncReadExt::read_to_end(
        &mut silent,
        &mut buffer,
    ))
    .await;
    assert!(
        buffer.is_empty() || String::from_utf8_lossy(&buffer).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buffer)
    );
    assert_eq!(get(admin, "/healthz").await.0, 200);
}

/// Both ends of 510 connections live in this process: past a soft limit of 1,024 open files
/// (a common default), so it is raised to the hard limit.
fn raise_open_file_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < 4_096) {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        setrlimit(Resource::Nofile, raised).expect("raise the open-file limit");
    }
}
