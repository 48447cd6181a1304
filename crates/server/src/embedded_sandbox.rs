//! The embedded Megaport sandbox that `onramp serve` talks to when `megaport.environment` is
//! `sandbox` (the default). It is the cargo feature `embedded-sandbox`, on by default; a build for
//! production can leave it out, and with it the sandbox's unauthenticated control endpoints.

use megaport::{Credentials, Environment};

/// Why the embedded sandbox did not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("embedded sandbox: {0}")]
    Start(String),
    #[error(
        "config key `megaport.environment`: this onramp was built without the embedded sandbox \
         (cargo feature `embedded-sandbox`); set `staging`, `production` or `custom` with API keys"
    )]
    NotBuilt,
    #[error(
        "refusing to serve on {listen} on the embedded Megaport sandbox: every key, price and \
         order there is fake, and no Megaport is configured. Configure Megaport \
         (megaport.environment with API keys), or, to offer the sandbox beyond this host on \
         purpose, set sandbox.allow_non_loopback_listen = true \
         (ONRAMP_SANDBOX__ALLOW_NON_LOOPBACK_LISTEN=true)"
    )]
    Exposed { listen: std::net::SocketAddr },
}

/// onramp on the embedded sandbox hands out keys and takes orders that exist nowhere. Said
/// loudly in every case, and refused on an address beyond this host unless the operator asks
/// for it: a production deployment that forgot its Megaport configuration would otherwise
/// start, and sell fake connectivity, without a word. (An unknown address counts as beyond.)
pub(crate) fn check_exposure(
    settings: &SandboxSettings,
    listen: Option<std::net::SocketAddr>,
) -> Result<(), SandboxError> {
    tracing::warn!(
        listen = ?listen,
        "onramp is on the embedded Megaport sandbox: its keys, prices and orders are not \
         Megaport's; configure megaport.environment and API keys to reach Megaport"
    );
    let exposed = listen.is_none_or(|addr| !addr.ip().is_loopback());
    if exposed && !settings.allow_non_loopback_listen {
        return Err(SandboxError::Exposed {
            listen: listen.unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
        });
    }
    Ok(())
}
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
pub(crate) async fn start(settings: &SandboxSettings) -> Result<Started, SandboxError> {
    use megaport_sandbox::{SandboxConfig, Seed};

    let seed = match &settings.seed_file {
        Some(path) => Seed::load(path).map_err(|error| SandboxError::Start(error.to_string()))?,
        None => Seed::default_scenario(),
    };
    let listener = tokio::net::TcpListener::bind(settings.listen.as_str())
        .await
        .map_err(|error| SandboxError::Start(error.to_string()))?;
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
            token_lifetime: std::time::Duration::from_secs(settings.token_lifetime_seconds),
            limits: if settings.megaport_limits {
                megaport_sandbox::SandboxLimits::default()
            } else {
                megaport_sandbox::SandboxLimits::off()
            },
            ..SandboxConfig::default()
        },
    )
    .await
    .map_err(|error| SandboxError::Start(error.to_string()))?;
    tracing::info!(base_url = %handle.base_url(), "embedded megaport sandbox started");
    Ok(Started {
        environment: Environment::sandbox(handle.base_url(), handle.token_url()),
        accounts,
        handle,
    })
}

#[cfg(not(feature = "embedded-sandbox"))]
pub(crate) async fn start(_settings: &SandboxSettings) -> Result<Started, SandboxError> {
    Err(SandboxError::NotBuilt)
}

/// The embedded sandbox, started when `megaport.environment = "sandbox"`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    /// Where the embedded sandbox listens. Always a loopback address: its control endpoints
    /// can shift the clock and inject faults.
    pub listen: String,
    /// A seed file describing the sandbox inventory; the built-in guide scenario when absent.
    pub seed_file: Option<PathBuf>,
    /// Lifetime of sandbox access tokens.
    pub token_lifetime_seconds: u64,
    /// Whether the sandbox enforces Megaport's request limits (500 requests per 5 minutes per
    /// client, one update per service per 5 minutes), answering 429 past them.
    pub megaport_limits: bool,
    /// Whether onramp may serve on a non-loopback address while it talks to the embedded
    /// sandbox (a demonstration on a shared host). Off: such a start is refused.
    pub allow_non_loopback_listen: bool,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".to_owned(),
            seed_file: None,
            token_lifetime_seconds: 86_400,
            megaport_limits: true,
            allow_non_loopback_listen: false,
        }
    }
}

impl SandboxSettings {
    pub fn validate(&self) -> Result<(), crate::settings::ConfigError> {
        use crate::settings::ConfigError;
        let listen: std::net::SocketAddr =
            self.listen.parse().map_err(|error| ConfigError::Invalid {
                key: "sandbox.listen",
                problem: format!("`{}` is not a socket address: {error}", self.listen),
            })?;
        if !listen.ip().is_loopback() {
            return Err(ConfigError::Invalid {
                key: "sandbox.listen",
                problem: "the sandbox must listen on a loopback address".to_owned(),
            });
        }
        crate::settings::positive(
            "sandbox.token_lifetime_seconds",
            self.token_lifetime_seconds,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_is_served_beyond_loopback_only_when_allowed() {
        let loopback = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 50051)));
        let public = Some(std::net::SocketAddr::from(([0, 0, 0, 0], 50051)));
        let mut settings = SandboxSettings::default();
        assert!(check_exposure(&settings, loopback).is_ok());
        assert!(matches!(
            check_exposure(&settings, public),
            Err(SandboxError::Exposed { .. })
        ));
        assert!(
            check_exposure(&settings, None).is_err(),
            "an unknown address counts as beyond"
        );
        settings.allow_non_loopback_listen = true;
        assert!(check_exposure(&settings, public).is_ok());
    }
}
