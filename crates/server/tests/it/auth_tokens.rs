//! Bearer-token authentication, scopes, the write quota, the request size cap, secure defaults
//! and the audit log, against the real server.

use std::time::Duration;

use crate::support::auth::*;
use crate::support::{TestServer, reason, within};
use onramp_proto::admin_service_client::AdminServiceClient;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_proto::{
    CreateRegionRequest, GetServerStatusRequest, ListAuditRecordsRequest, ListCountriesRequest,
};
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn no_token_is_unauthenticated_and_a_known_one_reaches_the_handler() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());

    let status = within(catalog.list_countries(ListCountriesRequest::default()))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "CALLER_UNAUTHENTICATED");

    let status =
        within(catalog.list_countries(with_token(ListCountriesRequest::default(), "nope")))
            .await
            .expect_err("unknown token");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(!status.message().contains("nope"));

    // A read-only token is let through to a read.
    let countries =
        within(catalog.list_countries(with_token(ListCountriesRequest::default(), READER)))
            .await
            .expect("let through")
            .into_inner();
    assert!(!countries.countries.is_empty());
}

#[tokio::test]
async fn health_stays_open_without_a_token() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel.clone());
    let response = within(health.check(tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    }))
    .await
    .expect("health is open");
    assert_eq!(response.into_inner().status, 1);
}

#[tokio::test]
async fn read_only_token_calling_a_write_is_denied_before_the_handler() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let status = within(regions.create_region(with_token(CreateRegionRequest::default(), READER)))
        .await
        .expect_err("denied");
    // PERMISSION_DENIED, not the handler's INVALID_ARGUMENT for the empty region: it never ran.
    assert_eq!(status.code(), Code::PermissionDenied);
    let details = status.get_error_details();
    let info = details.error_info().expect("error info");
    assert_eq!(info.reason, "SCOPE_MISSING");
    assert_eq!(
        info.metadata.get("scope").map(String::as_str),
        Some("regions.write")
    );

    // Admin RPCs need admin.
    let mut admin = AdminServiceClient::new(server.channel.clone());
    let status = within(
        admin.list_audit_records(with_token(ListAuditRecordsRequest::default(), CANARY_TOKEN)),
    )
    .await
    .expect_err("not admin");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn revoked_token_is_refused() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let status = within(regions.create_region(with_token(CreateRegionRequest::default(), REVOKED)))
        .await
        .expect_err("revoked");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "CALLER_UNAUTHENTICATED");
}

#[tokio::test]
async fn caller_over_its_write_quota_is_limited_and_others_are_not() {
    let mut config = config_with_tokens();
    config.limits.write_burst = 3;
    config.limits.writes_per_minute = 1;
    let server = TestServer::start_with(config).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    for _ in 0..3 {
        let status =
            within(regions.create_region(with_token(CreateRegionRequest::default(), CANARY_TOKEN)))
                .await
                .expect_err("the handler refuses the empty region");
        assert_eq!(status.code(), Code::InvalidArgument, "within the burst");
    }
    let status =
        within(regions.create_region(with_token(CreateRegionRequest::default(), CANARY_TOKEN)))
            .await
            .expect_err("limited");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(&status), "CALLER_RATE_LIMITED");
    let retry = status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .expect("retry info");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(60),
        "{retry:?}"
    );

    // Another caller is unaffected, and reads of the limited caller still pass.
    let status =
        within(regions.create_region(with_token(CreateRegionRequest::default(), OTHER_WRITER)))
            .await
            .expect_err("the handler refuses the empty region");
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    within(catalog.list_countries(with_token(ListCountriesRequest::default(), CANARY_TOKEN)))
        .await
        .expect("reads are not limited");
}

#[tokio::test]
async fn oversize_request_is_refused() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut admin = AdminServiceClient::new(server.channel.clone());
    let status = within(admin.list_audit_records(with_token(
        ListAuditRecordsRequest {
            caller: "x".repeat(100 * 1024),
            ..Default::default()
        },
        ADMIN,
    )))
    .await
    .expect_err("too large");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(
        status.message().contains("too large"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn mutating_calls_are_audited_and_listed_for_admins() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let _ = within(regions.create_region(with_token(CreateRegionRequest::default(), CANARY_TOKEN)))
        .await;
    let _ = within(regions.create_region(with_token(CreateRegionRequest::default(), READER))).await;
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let _ =
        within(catalog.list_countries(with_token(ListCountriesRequest::default(), READER))).await;

    let mut admin = AdminServiceClient::new(server.channel.clone());
    let page =
        within(admin.list_audit_records(with_token(ListAuditRecordsRequest::default(), ADMIN)))
            .await
            .expect("admin lists")
            .into_inner();
    let seen: Vec<_> = page
        .audit_records
        .iter()
        .map(|record| (record.caller.as_str(), record.rpc.as_str(), record.code))
        .collect();
    // Newest first; reads are not audited.
    assert_eq!(
        seen,
        [
            (
                "reader",
                "/onramp.v1.RegionService/CreateRegion",
                Code::PermissionDenied as i32
            ),
            (
                "writer",
                "/onramp.v1.RegionService/CreateRegion",
                Code::InvalidArgument as i32
            ),
        ]
    );
    assert_eq!(
        page.audit_records[0].reason,
        onramp_proto::ErrorReason::ScopeMissing as i32
    );
    assert!(page.audit_records[0].time.is_some());

    let page = within(admin.list_audit_records(with_token(
        ListAuditRecordsRequest {
            caller: "writer".into(),
            page_size: 1,
            ..Default::default()
        },
        ADMIN,
    )))
    .await
    .expect("filtered")
    .into_inner();
    assert_eq!(page.audit_records.len(), 1);
    assert!(page.next_page_token.is_empty());

    let status = within(admin.list_audit_records(with_token(
        ListAuditRecordsRequest {
            page_token: "garbage".into(),
            ..Default::default()
        },
        ADMIN,
    )))
    .await
    .expect_err("bad token");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn server_refuses_a_public_address_without_auth_unless_insecure() {
    let listener = within(tokio::net::TcpListener::bind("0.0.0.0:0"))
        .await
        .expect("bind");
    // The embedded sandbox is allowed beyond loopback here: this test is about callers.
    let public_sandbox = |mut config: onramp_server::config::Config| {
        config.sandbox.allow_non_loopback_listen = true;
        config
    };
    let result = within(onramp_server::server::run(
        listener,
        public_sandbox(crate::support::test_config()),
        std::future::pending(),
    ))
    .await;
    let error = result.expect_err("must refuse");
    assert!(error.to_string().contains("--insecure"), "{error}");

    // With tokens configured it starts; so it does with `insecure`.
    for config in [public_sandbox(config_with_tokens()), {
        let mut config = public_sandbox(crate::support::test_config());
        config.insecure = true;
        config
    }] {
        let listener = within(tokio::net::TcpListener::bind("0.0.0.0:0"))
            .await
            .expect("bind");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(onramp_server::server::run(listener, config, async move {
            let _ = stopped.await;
        }));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!server.is_finished(), "server should be running");
        let _ = stop.send(());
        within(server).await.expect("join").expect("clean stop");
    }
}

#[test]
fn hash_token_prints_the_sha256_of_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_onramp"))
        .arg("hash-token")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"abc\n")
        .expect("write");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("exits")
        .expect("output");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn binary_refuses_a_public_address_unless_given_insecure() {
    use std::process::{Command, Stdio};
    let data_dir = std::env::temp_dir().join(format!("onramp-insecure-{}", uuid::Uuid::new_v4()));
    let serve = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_onramp"));
        for (key, _) in std::env::vars() {
            if key.starts_with("ONRAMP_") {
                command.env_remove(key);
            }
        }
        // The embedded sandbox is allowed beyond loopback here: this test is about callers.
        command
            .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
            .env("ONRAMP_ADMIN__LISTEN", "127.0.0.1:0")
            .env("ONRAMP_SANDBOX__ALLOW_NON_LOOPBACK_LISTEN", "true")
            .arg(&data_dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command.spawn().expect("spawn")
    };

    let refused = serve(&[]);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(refused.wait_with_output());
    });
    let output = receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("exits instead of serving")
        .expect("output");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--insecure"), "{stderr}");

    // Allowed, it serves: wait for its "listening" log line (JSON, so the address is a field)
    // and connect to the port it names, instead of guessing how long a start takes.
    let mut allowed = serve(&["--insecure", "--log-format", "json"]);
    let stderr = allowed.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("onramp listening") {
                let _ = sender.send(line);
            }
        }
    });
    // A guard against a hang, not a speed check.
    let listening = receiver.recv_timeout(Duration::from_secs(120));
    let port = listening.as_deref().ok().and_then(|line| {
        let (_, after) = line.split_once("0.0.0.0:")?;
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u16>().ok()
    });
    let serving = port.map(|port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let _ = allowed.kill();
    let _ = allowed.wait();
    let _ = std::fs::remove_dir_all(&data_dir);
    assert_eq!(
        serving,
        Some(true),
        "--insecure lets it serve on 0.0.0.0 (log line: {listening:?})"
    );
}

#[tokio::test]
async fn audit_records_carry_the_request_id_and_the_resource() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let request_id = uuid::Uuid::new_v4().to_string();
    within(regions.create_region(with_token(
        CreateRegionRequest {
            region: Some(onramp_proto::Region {
                name: "apac".into(),
                display_name: "Asia Pacific".into(),
                selector: Some(onramp_proto::RegionSelector {
                    location_ids: vec![100],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: request_id.clone(),
        },
        CANARY_TOKEN,
    )))
    .await
    .expect("create");
    let mut admin = AdminServiceClient::new(server.channel.clone());
    let records =
        within(admin.list_audit_records(with_token(ListAuditRecordsRequest::default(), ADMIN)))
            .await
            .expect("admin lists")
            .into_inner()
            .audit_records;
    let record = &records[0];
    assert_eq!(record.rpc, "/onramp.v1.RegionService/CreateRegion");
    assert_eq!(record.caller, "writer");
    assert_eq!(record.request_id, request_id);
    assert_eq!(record.resource, "apac");
    assert_eq!(record.code, Code::Ok as i32);
}

/// What the console asks first: who the caller is and what it may do, and Megaport's budget as
/// this replica counts it.
#[tokio::test]
async fn server_status_names_the_caller_its_scopes_and_the_budget() {
    let server = TestServer::start_with(config_with_tokens()).await;
    let mut admin = AdminServiceClient::new(server.channel.clone());

    let reader = within(admin.get_server_status(with_token(GetServerStatusRequest {}, READER)))
        .await
        .expect("a catalog reader may ask")
        .into_inner();
    assert_eq!(reader.caller, "reader");
    assert_eq!(reader.scopes, ["catalog.read", "keys.read", "orders.read"]);
    let budget = reader.megaport_budget.expect("budget");
    assert_eq!((budget.limit, budget.window_seconds), (450, 300));
    assert!(budget.used > 0, "the start read Megaport's catalog");
    assert!(reader.upstream.is_some());
    assert_eq!(reader.version, env!("CARGO_PKG_VERSION"));

    // admin implies every scope, and the list says so.
    let root = within(admin.get_server_status(with_token(GetServerStatusRequest {}, ADMIN)))
        .await
        .expect("admin")
        .into_inner();
    assert!(root.scopes.len() >= 10 && root.scopes.contains(&"keys.write".to_owned()));

    // Reading the catalog is the scope it needs: a token that writes regions only may not.
    let mut config = config_with_tokens();
    config
        .auth
        .tokens
        .retain(|token| token.name == "old-writer");
    config.auth.tokens[0].revoked = false;
    drop(server);
    let server = TestServer::start_with(config).await;
    let mut admin = AdminServiceClient::new(server.channel.clone());
    let status = within(admin.get_server_status(with_token(GetServerStatusRequest {}, REVOKED)))
        .await
        .expect_err("no catalog.read");
    assert_eq!(status.code(), Code::PermissionDenied);
}
