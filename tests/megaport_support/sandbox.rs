//! Starting the real sandbox for integration tests, and clients for its two seeded companies.
#![allow(dead_code)]

use std::time::Duration;

use onramp::megaport::{ClientConfig, Credentials, Environment, MegaportClient};
use onramp::sandbox::{self, SandboxConfig, SandboxHandle};
use tokio::time::Instant;

pub const PROVIDER_ID: &str = "quantumgpu-sandbox";
pub const PROVIDER_SECRET: &str = "quantumgpu-sandbox-secret";
pub const CUSTOMER_ID: &str = "acme-sandbox";
pub const CUSTOMER_SECRET: &str = "acme-sandbox-secret";

pub async fn start() -> SandboxHandle {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> SandboxHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    within(5, sandbox::spawn(listener, config)).await.unwrap()
}

pub fn config(sb: &SandboxHandle, id: &str, secret: &str) -> ClientConfig {
    ClientConfig::new(
        Environment::sandbox(sb.base_url(), sb.token_url()),
        Credentials::new(id, secret),
    )
}

pub fn provider(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, PROVIDER_ID, PROVIDER_SECRET)).unwrap()
}

pub fn customer(sb: &SandboxHandle) -> MegaportClient {
    MegaportClient::new(config(sb, CUSTOMER_ID, CUSTOMER_SECRET)).unwrap()
}

/// Wraps an await that could hang.
pub async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("test step timed out")
}

pub fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
