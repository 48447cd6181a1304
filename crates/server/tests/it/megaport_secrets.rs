//! The client secret and the bearer tokens never reach a log line, an error or a Debug string.
//! Captures every log record of the run (tracing at TRACE, plus `log` records from reqwest and
//! hyper) and greps for a canary secret.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::megaport_sandbox_support::{deadline, within};
use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use onramp_server::catalog::{Catalog, CatalogConfig};

const CANARY: &str = "canary-5ecret-8d1f0c2b";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_canary_secret_appears_in_no_log_line() {
    // The binary's global subscriber also bridges `log` records into tracing; this test's own
    // TRACE subscriber is the current thread's default, and the current-thread runtime keeps the
    // client's work on this thread.
    crate::support::capture_logs();
    let capture = Capture::default();
    let writer = capture.clone();
    let _capturing = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    );

    // The sandbox, with the canary as QuantumGPU's secret: a token fetch, a 401 and refresh,
    // retries, a lost order, a catalog load, and rejected credentials.
    let mut seed = megaport_sandbox::Seed::default_scenario();
    for c in &mut seed.companies {
        if c.client_id == "quantumgpu-sandbox" {
            c.client_secret = CANARY.to_owned();
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sb = within(
        5,
        megaport_sandbox::spawn(
            listener,
            megaport_sandbox::SandboxConfig {
                seed,
                ..megaport_sandbox::SandboxConfig::default()
            },
        ),
    )
    .await
    .unwrap();
    let config = ClientConfig::new(
        Environment::sandbox(sb.base_url(), sb.token_url()),
        Credentials::new("quantumgpu-sandbox", CANARY),
    );
    tracing::info!(?config, "client config");
    let real = MegaportClient::new(config).unwrap();
    tracing::info!(client = ?real, "client");
    let catalog = Catalog::new(real.clone(), CatalogConfig::default());
    within(5, catalog.products()).await.unwrap();
    within(5, catalog.locations()).await.unwrap();
    sb.control().expire_tokens(None);
    within(5, real.list_service_keys(None, deadline(3000)))
        .await
        .unwrap();
    sb.control()
        .inject_fault(
            megaport_sandbox::Fault::new(
                megaport_sandbox::RouteGroup::Products,
                megaport_sandbox::FaultKind::Status {
                    code: 503,
                    retry_after: Some("0".into()),
                },
            )
            .with_count(1),
        )
        .unwrap();
    within(
        5,
        real.list_products::<megaport::models::Vxc>(None, deadline(3000)),
    )
    .await
    .unwrap();
    tracing::info!(?catalog, "catalog");
    sb.control()
        .inject_fault(megaport_sandbox::Fault::new(
            megaport_sandbox::RouteGroup::Buy,
            megaport_sandbox::FaultKind::DropAfterCommit,
        ))
        .unwrap();
    let err = within(5, real.buy_order(&[], deadline(3000)))
        .await
        .unwrap_err();
    tracing::error!(error = %err, debug = ?err, "sandbox order failed");
    let wrong = MegaportClient::new(ClientConfig {
        account: "quantumgpu".to_owned(),
        ..ClientConfig::new(
            Environment::sandbox(sb.base_url(), sb.token_url()),
            Credentials::new("quantumgpu-sandbox", format!("{CANARY}-wrong")),
        )
    })
    .unwrap();
    let err = within(
        5,
        wrong.list_products::<megaport::models::Vxc>(None, deadline(3000)),
    )
    .await
    .unwrap_err();
    tracing::error!(error = %err, debug = ?err, "sandbox rejected");
    assert!(matches!(err, megaport::MegaportError::Unauthorized(_)));
    // The refusal names the account to fix, and onramp's error carries it as metadata.
    assert_eq!(err.detail().account.as_deref(), Some("quantumgpu"));
    let status = onramp_server::error::status(onramp_server::error::upstream(err));
    assert_eq!(crate::support::reason(&status), "UPSTREAM_AUTH_FAILED");
    assert_eq!(
        crate::support::orders::meta(&status, "account").as_deref(),
        Some("quantumgpu")
    );

    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    eprintln!("captured {} log lines", logs.lines().count());
    assert!(
        logs.lines().count() > 10,
        "the capture saw the run:\n{logs}"
    );
    assert!(
        logs.contains("reqwest") || logs.contains("hyper"),
        "library logs captured"
    );
    assert!(logs.contains("order failed"));
    assert!(logs.contains("sandbox order failed") && logs.contains("sandbox rejected"));
    assert!(!logs.contains(CANARY), "secret leaked into logs");
    assert!(
        !logs.contains("stub-token-"),
        "a bearer token leaked into logs"
    );
    // Basic auth header value of the real credentials.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("acme-sandbox:{CANARY}"));
    assert!(!logs.contains(&basic), "basic auth header leaked into logs");
}
