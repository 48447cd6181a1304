//! A canary caller token and a canary Megaport secret, used on every path the auth layer has
//! (accepted, denied, rate limited, malformed, unknown), appear nowhere in the logs (captured at
//! TRACE, dependencies included), nor in status messages, nor in Debug output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::auth::*;
use crate::support::{SandboxedServer, within};
use onramp_proto::admin_service_client::AdminServiceClient;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_proto::{CreateRegionRequest, ListAuditRecordsRequest, ListCountriesRequest};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures this test's logs at TRACE, dependencies included. The subscriber is the current
/// thread's default rather than the global one, which the other tests in this binary share; the
/// test runs on a current-thread runtime, so the server and sandbox it starts log here too.
fn capture_trace_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (logs, guard)
}

fn assert_clean(text: &str, what: &str) {
    for canary in [CANARY_TOKEN, CANARY_SECRET] {
        assert!(!text.contains(canary), "{what} contains a canary: {text}");
    }
}

#[tokio::test]
async fn canary_token_and_secret_never_appear_in_logs_statuses_or_debug() {
    let (logs, _capturing) = capture_trace_logs();
    let mut config = config_with_tokens();
    config.limits.write_burst = 1;
    config.limits.writes_per_minute = 1;
    assert_clean(&format!("{config:?}"), "Config Debug");

    let sandboxed = SandboxedServer::start_with(sandbox_with_canary_secret(), config).await;
    assert_clean(
        &format!("{:?}", sandboxed.config),
        "Config Debug with the secret set",
    );
    let server = &sandboxed.server;
    let mut statuses = Vec::new();
    let mut catalog = CatalogServiceClient::new(server.channel.clone());
    let mut regions = RegionServiceClient::new(server.channel.clone());
    let mut admin = AdminServiceClient::new(server.channel.clone());

    // Accepted read (it reaches Megaport with the canary secret), an accepted but invalid write,
    // then rate limited, then denied (needs admin).
    let countries =
        within(catalog.list_countries(with_token(ListCountriesRequest::default(), CANARY_TOKEN)))
            .await
            .expect("accepted read")
            .into_inner();
    assert!(
        !countries.countries.is_empty(),
        "the canary secret logged in to the sandbox"
    );
    for _ in 0..2 {
        statuses.push(
            within(regions.create_region(with_token(CreateRegionRequest::default(), CANARY_TOKEN)))
                .await
                .expect_err("invalid or limited"),
        );
    }
    statuses.push(
        within(
            admin.list_audit_records(with_token(ListAuditRecordsRequest::default(), CANARY_TOKEN)),
        )
        .await
        .expect_err("needs admin"),
    );
    // Unknown token that embeds the canary, and a malformed header carrying it.
    let near_miss = format!("{CANARY_TOKEN}x");
    statuses.push(
        within(catalog.list_countries(with_token(ListCountriesRequest::default(), &near_miss)))
            .await
            .expect_err("unknown"),
    );
    let mut malformed = tonic::Request::new(ListCountriesRequest::default());
    malformed.metadata_mut().insert(
        "authorization",
        format!("Token {CANARY_TOKEN}").parse().expect("header"),
    );
    statuses.push(
        within(catalog.list_countries(malformed))
            .await
            .expect_err("malformed"),
    );
    let codes: Vec<_> = statuses.iter().map(tonic::Status::code).collect();
    assert_eq!(
        codes,
        [
            tonic::Code::InvalidArgument,
            tonic::Code::ResourceExhausted,
            tonic::Code::PermissionDenied,
            tonic::Code::Unauthenticated,
            tonic::Code::Unauthenticated,
        ]
    );
    for status in &statuses {
        assert_clean(&format!("{status:?}"), "status");
    }
    let page =
        within(admin.list_audit_records(with_token(ListAuditRecordsRequest::default(), ADMIN)))
            .await
            .expect("admin")
            .into_inner();
    assert_clean(&format!("{page:?}"), "audit records");
    drop(sandboxed);

    let text = String::from_utf8_lossy(&logs.0.lock().expect("log buffer")).into_owned();
    assert!(
        text.contains("write quota exceeded"),
        "the capture works and saw the server's logs"
    );
    assert_clean(&text, "captured logs");
}
