//! Starting the real sandbox for integration tests, and clients for its two seeded companies.
#![allow(dead_code)]

use std::time::Duration;

use megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use megaport_sandbox::{SandboxConfig, SandboxHandle};
use tokio::time::Instant;

pub(crate) const PROVIDER_ID: &str = "quantumgpu-sandbox";
pub(crate) const PROVIDER_SECRET: &str = "quantumgpu-sandbox-secret";
pub(crate) const CUSTOMER_ID: &str = "acme-sandbox";
pub(crate) const CUSTOMER_SECRET: &str = "acme-sandbox-secret";

pub(crate) async fn start() -> SandboxHandle {
    start_with(SandboxConfig::default()).await
}

pub(crate) async fn start_with(config: SandboxConfig) -> SandboxHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    within(5, megaport_sandbox::spawn(listener, config))
        .await
        .unwrap()
}

pub(crate) fn config(sb: &SandboxHandle, id: &str, secret: &str) -> ClientConfig {
    ClientConfig::new(
        Environment::sandbox(sb.base_url(), sb.token_url()),
        Credentials::new(id, secret),
    )
}

pub(crate) fn provider(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, PROVIDER_ID, PROVIDER_SECRET)).unwrap()
}

pub(crate) fn customer(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, CUSTOMER_ID, CUSTOMER_SECRET)).unwrap()
}

/// Wraps an await that could hang.
pub(crate) async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("test step timed out")
}

pub(crate) fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
