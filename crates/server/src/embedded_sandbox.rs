//! The embedded Megaport sandbox that `onramp serve` talks to when `megaport.environment` is
//! `sandbox` (the default). It is the cargo feature `embedded-sandbox`, on by default; a build for
//! production can leave it out, and with it the sandbox's unauthenticated control endpoints.

use megaport::{Credentials, Environment};

use crate::config::Config;
use crate::upstream::UpstreamError;

/// A started sandbox: where it is, and the API keys of its companies by account name (the
/// first is the provider, the rest its customers).
pub(crate) struct Started {
    pub(crate) environment: Environment,
    pub(crate) accounts: Vec<(String, Credentials)>,
    pub(crate) handle: Handle,
}

#[cfg(feature = "embedded-sandbox")]
pub(crate) type Handle = megaport_sandbox::SandboxHandle;

/// Without the feature there is never a sandbox to hold.
#[cfg(not(feature = "embedded-sandbox"))]
#[derive(Debug)]
pub(crate) enum Handle {}

#[cfg(not(feature = "embedded-sandbox"))]
impl Handle {
    pub(crate) async fn shutdown(self) {
        match self {}
    }
}

/// Starts the sandbox on `sandbox.listen` with the configured seed.
#[cfg(feature = "embedded-sandbox")]
pub(crate) async fn start(config: &Config) -> Result<Started, UpstreamError> {
    use megaport_sandbox::{SandboxConfig, Seed};

    let seed = match &config.sandbox.seed_file {
        Some(path) => {
            Seed::load(path).map_err(|error| UpstreamError::Sandbox(error.to_string()))?
        }
        None => Seed::default_scenario(),
    };
    let listener = tokio::net::TcpListener::bind(config.sandbox.listen.as_str())
        .await
        .map_err(|error| UpstreamError::Sandbox(error.to_string()))?;
    let accounts = seed
        .credentials()
        .into_iter()
        .map(|company| {
            (
                company.company.to_ascii_lowercase(),
                Credentials::new(company.client_id, company.client_secret),
            )
        })
        .collect();
    let handle = megaport_sandbox::spawn(
        listener,
        SandboxConfig {
            seed,
            token_lifetime: std::time::Duration::from_secs(config.sandbox.token_lifetime_seconds),
            limits: if config.sandbox.megaport_limits {
                megaport_sandbox::SandboxLimits::default()
            } else {
                megaport_sandbox::SandboxLimits::off()
            },
            ..SandboxConfig::default()
        },
    )
    .await
    .map_err(|error| UpstreamError::Sandbox(error.to_string()))?;
    tracing::info!(base_url = %handle.base_url(), "embedded megaport sandbox started");
    Ok(Started {
        environment: Environment::sandbox(handle.base_url(), handle.token_url()),
        accounts,
        handle,
    })
}

#[cfg(not(feature = "embedded-sandbox"))]
pub(crate) async fn start(_config: &Config) -> Result<Started, UpstreamError> {
    Err(UpstreamError::Config {
        key: "megaport.environment",
        problem: "this onramp was built without the embedded sandbox (cargo feature \
                  `embedded-sandbox`); set `staging`, `production` or `custom` with API keys"
            .to_owned(),
    })
}
