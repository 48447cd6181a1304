//! The `[megaport]` section: which Megaport onramp talks to, as which accounts, within which
//! request budget and timeouts.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::settings::ConfigError;

/// Which Megaport onramp talks to, and as whom.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MegaportConfig {
    /// `sandbox` (embedded, the default), `staging`, `production`, or `custom` (set the URLs).
    pub environment: MegaportEnvironment,
    /// API base URL for `custom`.
    pub base_url: Option<String>,
    /// OAuth2 token URL for `custom`.
    pub token_url: Option<String>,
    /// Name of the account `client_id`/`client_secret` belong to; orders that name no account
    /// run under it. On the sandbox the accounts are named after the seed's companies.
    pub default_account: String,
    /// Client id of the default account (usually from `ONRAMP_MEGAPORT__CLIENT_ID`).
    pub client_id: Option<String>,
    /// Client secret of the default account (usually from `ONRAMP_MEGAPORT__CLIENT_SECRET`).
    #[serde(skip_serializing)]
    pub client_secret: Option<SecretString>,
    /// Further named accounts, e.g. a customer account that buys VXCs.
    #[serde(skip_serializing)]
    pub accounts: Vec<AccountConfig>,
    /// The longest Megaport answer onramp reads; a longer one is refused while it arrives
    /// (UPSTREAM_RESPONSE_TOO_LARGE). A big provider's `/v2/products` is about 1.1 KB a Port.
    pub max_response_bytes: u64,
    /// The request budget every account shares (Megaport counts requests per source IP).
    pub budget: BudgetSettings,
    /// How long one Megaport call may take, retries included, by route.
    pub timeouts: TimeoutSettings,
}

/// Per-route bounds on one Megaport call; a caller's shorter deadline cuts them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutSettings {
    pub default_seconds: u64,
    /// By route name (`products`, `buy`, `service_key_list`, ... as in the metrics' `route`
    /// label), overriding the default.
    pub routes: std::collections::BTreeMap<String, u64>,
}

impl Default for TimeoutSettings {
    fn default() -> Self {
        let timeouts = megaport::RouteTimeouts::default();
        Self {
            default_seconds: timeouts.default.as_secs(),
            routes: timeouts
                .per_route
                .iter()
                .map(|(route, timeout)| (route.as_str().to_owned(), timeout.as_secs()))
                .collect(),
        }
    }
}

impl TimeoutSettings {
    pub fn route_timeouts(&self) -> Result<megaport::RouteTimeouts, ConfigError> {
        let positive = |key: &'static str, seconds: u64| {
            if seconds == 0 {
                Err(ConfigError::Invalid {
                    key,
                    problem: "must be greater than 0".to_owned(),
                })
            } else {
                Ok(Duration::from_secs(seconds))
            }
        };
        let mut per_route = std::collections::HashMap::new();
        for (name, seconds) in &self.routes {
            let route = megaport::Route::from_name(name).ok_or_else(|| ConfigError::Invalid {
                key: "megaport.timeouts.routes",
                problem: format!(
                    "`{name}` is not a Megaport route; routes are {}",
                    megaport::Route::ALL.map(megaport::Route::as_str).join(", ")
                ),
            })?;
            per_route.insert(route, positive("megaport.timeouts.routes", *seconds)?);
        }
        Ok(megaport::RouteTimeouts {
            default: positive("megaport.timeouts.default_seconds", self.default_seconds)?,
            per_route,
        })
    }
}

/// onramp's own limit on Megaport requests, below Megaport's 500 per 5 minutes per IP.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetSettings {
    /// Requests per window, for every account and replica behind one egress IP.
    pub requests: u32,
    pub window_seconds: u64,
    /// Requests of each window only writes (and the reads a write needs) may use.
    pub write_reserve: u32,
    /// Requests of each window background work leaves to interactive reads.
    pub interactive_reserve: u32,
    /// Megaport takes one update per service key or VXC per this long; onramp refuses an
    /// earlier one itself (SERVICE_UPDATE_TOO_SOON). 0 turns the check off.
    pub service_update_interval_seconds: u64,
    /// How long nothing is sent after a 429 from Megaport that carries no Retry-After.
    pub throttled_pause_seconds: u64,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        let budget = megaport::BudgetConfig::default();
        Self {
            requests: budget.requests,
            window_seconds: budget.window.as_secs(),
            write_reserve: budget.write_reserve,
            interactive_reserve: budget.interactive_reserve,
            service_update_interval_seconds: budget.service_update_interval.as_secs(),
            throttled_pause_seconds: budget.throttled_pause.as_secs(),
        }
    }
}

impl BudgetSettings {
    pub fn budget_config(&self) -> megaport::BudgetConfig {
        megaport::BudgetConfig {
            requests: self.requests,
            window: Duration::from_secs(self.window_seconds),
            write_reserve: self.write_reserve,
            interactive_reserve: self.interactive_reserve,
            service_update_interval: Duration::from_secs(self.service_update_interval_seconds),
            throttled_pause: Duration::from_secs(self.throttled_pause_seconds),
        }
    }
}

/// Below this no Megaport answer of a real account fits.
const MIN_RESPONSE_BYTES: u64 = 64 * 1024;

/// A named Megaport API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub name: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MegaportEnvironment {
    Sandbox,
    Staging,
    Production,
    Custom,
}

impl Default for MegaportConfig {
    fn default() -> Self {
        Self {
            environment: MegaportEnvironment::Sandbox,
            base_url: None,
            token_url: None,
            default_account: "default".to_owned(),
            client_id: None,
            client_secret: None,
            accounts: Vec::new(),
            max_response_bytes: megaport::DEFAULT_MAX_RESPONSE_BYTES as u64,
            budget: BudgetSettings::default(),
            timeouts: TimeoutSettings::default(),
        }
    }
}

impl MegaportConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.environment == MegaportEnvironment::Custom
            && (self.base_url.is_none() || self.token_url.is_none())
        {
            return Err(ConfigError::Invalid {
                key: "megaport.base_url",
                problem: "environment `custom` needs both megaport.base_url and megaport.token_url"
                    .to_owned(),
            });
        }
        if self.max_response_bytes < MIN_RESPONSE_BYTES
            || usize::try_from(self.max_response_bytes).is_err()
        {
            return Err(ConfigError::Invalid {
                key: "megaport.max_response_bytes",
                problem: format!(
                    "must be at least {MIN_RESPONSE_BYTES} (64 KiB), got {}",
                    self.max_response_bytes
                ),
            });
        }
        self.timeouts.route_timeouts()?;
        self.budget
            .budget_config()
            .check()
            .map_err(|problem| ConfigError::Invalid {
                key: "megaport.budget",
                problem,
            })?;
        if self.client_id.is_some() != self.client_secret.is_some() {
            return Err(ConfigError::Invalid {
                key: "megaport.client_secret",
                problem: "client_id and client_secret must be given together".to_owned(),
            });
        }
        Ok(())
    }
}
