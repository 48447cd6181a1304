//! The `[webhooks]` section: where webhooks may go and how deliveries are retried.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::settings::{ConfigError, positive};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Send webhooks (the dispatcher runs); off, events still queue for when it is on.
    pub enabled: bool,
    /// Networks (CIDR) a destination may be in besides the public internet, e.g. a receiver on
    /// the provider's own network. Nothing by default: loopback, private, link-local and metadata
    /// addresses are refused. A host in these may also be reached over plain http.
    pub allow_networks: Vec<String>,
    /// Seconds to wait after each failed attempt; after the last, the delivery fails (Standard
    /// Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). Each wait gets up to a
    /// tenth more at random so retries of many events spread out.
    pub retry_schedule_seconds: Vec<u64>,
    /// The whole request, connection included (1 to 30).
    pub timeout_seconds: u64,
    /// How often due deliveries are looked for when nothing wakes the dispatcher (another
    /// replica's events, retries coming due).
    pub poll_interval_millis: u64,
    /// How long a claimed delivery is kept from the other replicas while it is sent; raised to
    /// cover a round's deliveries queued behind one endpoint's in-flight limit (32 claimed, 4 at
    /// a time, 15 s each: 125 s).
    pub lease_seconds: u64,
    /// An endpoint whose every attempt has failed for this long is disabled, and
    /// `webhook_endpoint.disabled` goes to the other endpoints (5 days).
    pub disable_after_seconds: u64,
    /// Deliveries sent to one endpoint at the same time, at most.
    pub max_in_flight_per_endpoint: usize,
    /// `service_key.expiring` is sent once per threshold (seconds before a key's validity
    /// end): 7 days and 1 day.
    pub expiring_thresholds_seconds: Vec<u64>,
    /// The key endpoint secrets are sealed with at rest: base64 of 32 random bytes
    /// (`head -c 32 /dev/urandom | base64`), the same on every replica (usually from
    /// `ONRAMP_WEBHOOKS__SECRET_KEY`). Unset on SQLite, onramp keeps one in the data directory;
    /// unset on PostgreSQL, endpoints cannot be created.
    #[serde(skip_serializing)]
    pub secret_key: Option<SecretString>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_networks: Vec::new(),
            retry_schedule_seconds: vec![5, 300, 1_800, 7_200, 18_000, 36_000, 36_000],
            timeout_seconds: 15,
            poll_interval_millis: 1_000,
            lease_seconds: 60,
            disable_after_seconds: 5 * 86_400,
            max_in_flight_per_endpoint: 4,
            expiring_thresholds_seconds: vec![7 * 86_400, 86_400],
            secret_key: None,
        }
    }
}

impl WebhookSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        onramp_webhooks::Destinations::new(&self.allow_networks).map_err(|problem| {
            ConfigError::Invalid {
                key: "webhooks.allow_networks",
                problem,
            }
        })?;
        if !(1..=30).contains(&self.timeout_seconds) {
            return Err(ConfigError::Invalid {
                key: "webhooks.timeout_seconds",
                problem: format!("must be from 1 to 30, got {}", self.timeout_seconds),
            });
        }
        positive("webhooks.poll_interval_millis", self.poll_interval_millis)?;
        positive(
            "webhooks.max_in_flight_per_endpoint",
            self.max_in_flight_per_endpoint as u64,
        )?;
        if let Some(key) = &self.secret_key {
            onramp_webhooks::Sealer::from_key_text(key.expose_secret()).map_err(|problem| {
                ConfigError::Invalid {
                    key: "webhooks.secret_key",
                    problem,
                }
            })?;
        }
        if self.lease_seconds <= self.timeout_seconds {
            return Err(ConfigError::Invalid {
                key: "webhooks.lease_seconds",
                problem: format!(
                    "must exceed webhooks.timeout_seconds ({}), got {}",
                    self.timeout_seconds, self.lease_seconds
                ),
            });
        }
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }
}
