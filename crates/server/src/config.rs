//! One `Config` for the whole process, layered as defaults <- TOML file <- `ONRAMP_*` environment
//! <- command-line flags, and validated once at start so a bad value stops the process with a
//! message that names the key.
//!
//! Environment variables map to keys with `__` as the section separator:
//! `ONRAMP_LISTEN`, `ONRAMP_DATA_DIR`, `ONRAMP_MEGAPORT__ENVIRONMENT`, `ONRAMP_WATCH__POLL_INTERVAL_MILLIS`.
//! Megaport credentials come from the environment (`ONRAMP_MEGAPORT__CLIENT_ID`,
//! `ONRAMP_MEGAPORT__CLIENT_SECRET`) or the file, never from flags, because flags show up in `ps`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Everything onramp can be configured with. Unknown keys are rejected so a typo cannot be
/// silently ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the gRPC server listens on.
    pub listen: String,
    /// Directory for everything onramp stores (the SQLite database), unless `store.url` names
    /// a PostgreSQL database.
    pub data_dir: PathBuf,
    pub store: StoreSettings,
    /// Log output: `human` for terminals, `json` for log shippers.
    pub log_format: LogFormat,
    /// Default `tracing` filter; `RUST_LOG` overrides it.
    pub log_level: String,
    /// How long open RPCs and streams may run after a shutdown signal before they are cut.
    pub shutdown_grace_seconds: u64,
    /// Whether gRPC server reflection is served (grpcurl needs it to work without proto files).
    pub reflection: bool,
    /// Regions declared in a TOML file, applied at every start. On the sandbox without this,
    /// the guide's US-West is applied.
    pub regions_file: Option<PathBuf>,
    pub megaport: MegaportConfig,
    pub sandbox: SandboxSettings,
    pub catalog: CatalogSettings,
    pub watch: WatchSettings,
    pub transport: TransportSettings,
    pub admin: AdminSettings,
    pub otlp: OtlpSettings,
    /// Serve without caller authentication on a non-loopback address (`--insecure`). Never in
    /// production: anyone who reaches the port can spend the Megaport account's money.
    pub insecure: bool,
    /// Callers: bearer token hashes and mTLS client names (see `auth::settings`).
    pub auth: crate::auth::settings::AuthSettings,
    /// TLS and mTLS on the gRPC listener.
    pub tls: crate::auth::settings::TlsSettings,
    /// Request size, stream, concurrency and write-rate limits.
    pub limits: crate::auth::settings::LimitSettings,
    pub orders: OrderSettings,
    pub selection: SelectionSettings,
    pub signals: SignalsSettings,
    pub approvals: ApprovalSettings,
}

/// Output format of the process logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

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
}

/// Caching of Megaport's catalog.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// Locations hardly ever change.
    pub locations_ttl_seconds: u64,
    /// After this, products are refreshed in the background while the old copy is served.
    pub products_soft_ttl_seconds: u64,
    /// During an upstream outage, products older than this are no longer served.
    pub products_max_stale_seconds: u64,
}

/// The admin HTTP listener: `/metrics` (Prometheus), `/healthz` and `/readyz`. Unauthenticated,
/// so it belongs on loopback or a network only the orchestrator and Prometheus reach.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Address of the admin listener, off the gRPC port; empty turns it and metrics off.
    pub listen: String,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".to_owned(),
        }
    }
}

/// OpenTelemetry traces: one span per gRPC call (a child of the caller's W3C trace context)
/// and per Megaport request, exported over OTLP/gRPC. Off unless an endpoint is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpSettings {
    /// OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`; empty turns tracing off.
    pub endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            service_name: "onramp".to_owned(),
        }
    }
}

/// How gRPC connections are kept. Accepted sockets always set TCP_NODELAY: without it a small
/// reply waits for the peer's delayed ACK (about 40 ms a call at one request in flight).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransportSettings {
    /// HTTP/2 PING on each connection this often, so a dead peer or a NAT that dropped an idle
    /// watch stream is noticed; 0 turns it off.
    pub http2_keepalive_interval_seconds: u64,
    /// A connection whose PING is not answered within this is closed.
    pub http2_keepalive_timeout_seconds: u64,
    /// Flow-control window per stream, in KiB: large enough that a snapshot chunk of a watch
    /// stream goes out without waiting for window updates.
    pub http2_stream_window_kib: u32,
    /// Flow-control window per connection, in KiB, shared by its streams.
    pub http2_connection_window_kib: u32,
    /// TCP keepalive on accepted sockets, in seconds; 0 turns it off.
    pub tcp_keepalive_seconds: u64,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            http2_keepalive_interval_seconds: 30,
            http2_keepalive_timeout_seconds: 10,
            http2_stream_window_kib: 1024,
            http2_connection_window_kib: 4096,
            tcp_keepalive_seconds: 60,
        }
    }
}

/// The service-key watcher.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// How often Megaport's key list is polled, in milliseconds.
    pub poll_interval_millis: u64,
    /// How long a stream goes without a batch before it gets a progress message, in milliseconds.
    pub progress_interval_millis: u64,
    /// How many revisions of history are kept for resuming.
    pub history_revisions: u64,
    /// Messages buffered per subscriber before it is closed as too slow.
    pub subscriber_buffer: usize,
    /// Keys per snapshot message: a large snapshot goes in chunks so no message nears gRPC's
    /// 4 MiB default limit on the client.
    pub snapshot_chunk_keys: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50051".to_owned(),
            data_dir: PathBuf::from("data"),
            store: StoreSettings::default(),
            log_format: LogFormat::Human,
            log_level: "info".to_owned(),
            shutdown_grace_seconds: 10,
            reflection: true,
            regions_file: None,
            megaport: MegaportConfig::default(),
            sandbox: SandboxSettings::default(),
            catalog: CatalogSettings::default(),
            watch: WatchSettings::default(),
            transport: TransportSettings::default(),
            admin: AdminSettings::default(),
            otlp: OtlpSettings::default(),
            insecure: false,
            auth: Default::default(),
            tls: Default::default(),
            limits: Default::default(),
            orders: OrderSettings::default(),
            selection: SelectionSettings::default(),
            signals: SignalsSettings::default(),
            approvals: ApprovalSettings::default(),
        }
    }
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

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".to_owned(),
            seed_file: None,
            token_lifetime_seconds: 86_400,
            megaport_limits: true,
        }
    }
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            locations_ttl_seconds: 86_400,
            products_soft_ttl_seconds: 30,
            products_max_stale_seconds: 900,
        }
    }
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            poll_interval_millis: 5_000,
            progress_interval_millis: 15_000,
            history_revisions: 10_000,
            subscriber_buffer: 256,
            snapshot_chunk_keys: 500,
        }
    }
}

/// Where onramp keeps its state: the SQLite file in `data_dir` unless `url` names a PostgreSQL
/// database, which several replicas may share.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `postgres://user:password@host:port/database` (usually from `ONRAMP_STORE__URL`, since
    /// it may hold a password: it is never logged or printed).
    #[serde(skip_serializing)]
    pub url: Option<SecretString>,
    /// Connections each replica keeps to PostgreSQL.
    pub connections: u32,
    /// The term of the leader lease on PostgreSQL: a killed leader's background work (key
    /// polling, Port signals, the approval inbox) resumes on another replica within this and a
    /// third of it.
    pub leader_lease_seconds: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            url: None,
            connections: 16,
            leader_lease_seconds: 10,
        }
    }
}

impl StoreSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        use secrecy::ExposeSecret;
        if let Some(url) = &self.url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid {
                    key: "store.url",
                    problem: "must be a postgres:// or postgresql:// URL (leave it unset for \
                              SQLite in data_dir)"
                        .to_owned(),
                });
            }
        }
        if !(1..=1000).contains(&self.connections) {
            return Err(ConfigError::Invalid {
                key: "store.connections",
                problem: format!("must be from 1 to 1000, got {}", self.connections),
            });
        }
        if !(3..=300).contains(&self.leader_lease_seconds) {
            return Err(ConfigError::Invalid {
                key: "store.leader_lease_seconds",
                problem: format!(
                    "must be from 3 to 300 seconds, got {}",
                    self.leader_lease_seconds
                ),
            });
        }
        Ok(())
    }
}

/// VXC orders.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderSettings {
    /// How often WatchVxcOrder polls Megaport for the order's VXC.
    pub poll_interval_millis: u64,
    /// Budget for the Megaport calls of one order RPC.
    pub upstream_timeout_millis: u64,
    /// After a buy with an unknown outcome, how long to wait since that buy before a VXC missing
    /// upstream counts as proof that it was not placed (and a retry may buy again).
    pub rebuy_grace_millis: u64,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            poll_interval_millis: 5_000,
            upstream_timeout_millis: 30_000,
            rebuy_grace_millis: 5_000,
        }
    }
}

/// How SelectOnRamps chooses (README, "How SelectOnRamps ranks").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectionSettings {
    /// How far allocated rate limits may exceed a Port's speed: 1.0 sells at most the speed.
    pub oversubscription: f64,
    /// What to do with a Port whose maintenance starts within the horizon, when a request does
    /// not say: `rank_last` or `reject`.
    pub maintenance_policy: MaintenancePolicySetting,
    /// Maintenance starting within this many hours counts as upcoming.
    pub maintenance_horizon_hours: u64,
}

impl Default for SelectionSettings {
    fn default() -> Self {
        Self {
            oversubscription: 1.0,
            maintenance_policy: MaintenancePolicySetting::RankLast,
            maintenance_horizon_hours: 7 * 24,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenancePolicySetting {
    RankLast,
    Reject,
}

/// Collection of Megaport's telemetry and maintenance/outage feeds (background work inside the
/// request budget; see `signals`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsSettings {
    /// Off: no telemetry or event requests; selection ranks on allocation alone.
    pub enabled: bool,
    /// Each Port's telemetry is read once per interval.
    pub telemetry_interval_seconds: u64,
    /// The window of the measured figures, 1-180 days.
    pub telemetry_window_days: u16,
    /// Older measurements are stale: ranking falls back to allocation and says so.
    pub telemetry_max_age_seconds: u64,
    /// The least time between two telemetry requests, whatever the number of Ports.
    pub telemetry_min_spacing_millis: u64,
    /// The maintenance and outage feeds are read once per interval (3 requests).
    pub events_interval_seconds: u64,
}

impl Default for SignalsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            telemetry_interval_seconds: 3600,
            telemetry_window_days: 7,
            telemetry_max_age_seconds: 3 * 3600,
            telemetry_min_spacing_millis: 10_000,
            events_interval_seconds: 300,
        }
    }
}

/// The provider's approval inbox (ApprovalService).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalSettings {
    /// Megaport's approvals are read once per interval (one request per 100 approvals).
    pub poll_interval_seconds: u64,
    /// Rules under which a pending approval is approved without the provider; none by default.
    pub auto_approve: Vec<AutoApproveRuleSetting>,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            poll_interval_seconds: 60,
            auto_approve: Vec::new(),
        }
    }
}

/// One `[[approvals.auto_approve]]` rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoApproveRuleSetting {
    /// Names the rule in the audit log and in the comment the requester sees.
    pub name: String,
    /// The approval types it takes: NEW_ORDER, SPEED_CHANGE, TERM_CHANGE.
    pub types: Vec<String>,
    /// The customer_refs it takes (keys minted with one); "*" takes any key with one.
    pub customer_refs: Vec<String>,
    /// The highest rate it approves; 0 (the default) is the key's max speed, which no rule
    /// exceeds.
    #[serde(default)]
    pub max_rate_limit_mbps: i64,
}

impl ApprovalSettings {
    /// The auto-approval rules, checked.
    pub fn auto_approve_rules(
        &self,
    ) -> Result<Vec<onramp_core::approvals::AutoApproveRule>, ConfigError> {
        use onramp_core::approvals::{ApprovalKind, AutoApproveRule};
        let invalid = |problem: String| ConfigError::Invalid {
            key: "approvals.auto_approve",
            problem,
        };
        let mut names = std::collections::HashSet::new();
        self.auto_approve
            .iter()
            .map(|rule| {
                if rule.name.trim().is_empty() || !names.insert(rule.name.as_str()) {
                    return Err(invalid(format!(
                        "every rule needs a name of its own, got `{}`",
                        rule.name
                    )));
                }
                let kinds = rule
                    .types
                    .iter()
                    .map(|kind| match ApprovalKind::from_megaport(Some(kind)) {
                        ApprovalKind::Other => Err(invalid(format!(
                            "rule `{}`: type `{kind}` is not NEW_ORDER, SPEED_CHANGE or \
                             TERM_CHANGE",
                            rule.name
                        ))),
                        known => Ok(known),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if kinds.is_empty() || rule.customer_refs.is_empty() {
                    return Err(invalid(format!(
                        "rule `{}` needs types and customer_refs (\"*\" for any key with one)",
                        rule.name
                    )));
                }
                if rule.max_rate_limit_mbps < 0 {
                    return Err(invalid(format!(
                        "rule `{}`: max_rate_limit_mbps must be 0 (the key's max speed) or more",
                        rule.name
                    )));
                }
                Ok(AutoApproveRule {
                    name: rule.name.clone(),
                    kinds,
                    customer_refs: rule.customer_refs.clone(),
                    max_rate_limit_mbps: (rule.max_rate_limit_mbps > 0)
                        .then_some(rule.max_rate_limit_mbps),
                })
            })
            .collect()
    }
}

impl Config {
    /// The selection rules the directory applies.
    pub fn selection_policy(&self) -> onramp_core::selection::Policy {
        onramp_core::selection::Policy {
            oversubscription: self.selection.oversubscription,
            maintenance: match self.selection.maintenance_policy {
                MaintenancePolicySetting::RankLast => {
                    onramp_core::selection::MaintenancePolicy::RankLast
                }
                MaintenancePolicySetting::Reject => {
                    onramp_core::selection::MaintenancePolicy::Reject
                }
            },
        }
    }

    /// How the signals are collected.
    pub fn signal_settings(&self) -> crate::signals::SignalSettings {
        let signals = &self.signals;
        crate::signals::SignalSettings {
            enabled: signals.enabled,
            telemetry_interval: Duration::from_secs(signals.telemetry_interval_seconds),
            telemetry_window_days: signals.telemetry_window_days,
            telemetry_max_age: Duration::from_secs(signals.telemetry_max_age_seconds),
            telemetry_min_spacing: Duration::from_millis(signals.telemetry_min_spacing_millis),
            events_interval: Duration::from_secs(signals.events_interval_seconds),
            maintenance_horizon: Duration::from_secs(
                self.selection
                    .maintenance_horizon_hours
                    .saturating_mul(3600),
            ),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

/// Why the configuration was refused. The message always names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Parse(String),
    #[error("config key `{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
}

impl Config {
    /// Layers defaults, the optional TOML file, `ONRAMP_*` variables and the flags, then validates.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Invalid {
                    key: "--config",
                    problem: format!("file {} does not exist", path.display()),
                });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("ONRAMP_").split("__"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|error| ConfigError::Parse(describe_figment_error(error)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values serde cannot: addresses, ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        self.admin_addr()?;
        crate::auth::settings::validate(&self.auth, &self.tls, &self.limits)?;
        self.store.validate()?;
        let sandbox: SocketAddr =
            self.sandbox
                .listen
                .parse()
                .map_err(|error| ConfigError::Invalid {
                    key: "sandbox.listen",
                    problem: format!("`{}` is not a socket address: {error}", self.sandbox.listen),
                })?;
        if !sandbox.ip().is_loopback() {
            return Err(ConfigError::Invalid {
                key: "sandbox.listen",
                problem: "the sandbox must listen on a loopback address".to_owned(),
            });
        }
        if self.megaport.environment == MegaportEnvironment::Custom
            && (self.megaport.base_url.is_none() || self.megaport.token_url.is_none())
        {
            return Err(ConfigError::Invalid {
                key: "megaport.base_url",
                problem: "environment `custom` needs both megaport.base_url and megaport.token_url"
                    .to_owned(),
            });
        }
        if self.megaport.max_response_bytes < MIN_RESPONSE_BYTES
            || usize::try_from(self.megaport.max_response_bytes).is_err()
        {
            return Err(ConfigError::Invalid {
                key: "megaport.max_response_bytes",
                problem: format!(
                    "must be at least {MIN_RESPONSE_BYTES} (64 KiB), got {}",
                    self.megaport.max_response_bytes
                ),
            });
        }
        self.megaport.timeouts.route_timeouts()?;
        let oversubscription = self.selection.oversubscription;
        if !(1.0..=100.0).contains(&oversubscription) {
            return Err(ConfigError::Invalid {
                key: "selection.oversubscription",
                problem: format!("must be from 1.0 to 100.0, got {oversubscription}"),
            });
        }
        if !(1..=180).contains(&self.signals.telemetry_window_days) {
            return Err(ConfigError::Invalid {
                key: "signals.telemetry_window_days",
                problem: format!(
                    "must be from 1 to 180 (Megaport's limit), got {}",
                    self.signals.telemetry_window_days
                ),
            });
        }
        self.megaport
            .budget
            .budget_config()
            .check()
            .map_err(|problem| ConfigError::Invalid {
                key: "megaport.budget",
                problem,
            })?;
        if self.megaport.client_id.is_some() != self.megaport.client_secret.is_some() {
            return Err(ConfigError::Invalid {
                key: "megaport.client_secret",
                problem: "client_id and client_secret must be given together".to_owned(),
            });
        }
        let positive = [
            ("shutdown_grace_seconds", self.shutdown_grace_seconds),
            (
                "sandbox.token_lifetime_seconds",
                self.sandbox.token_lifetime_seconds,
            ),
            (
                "catalog.locations_ttl_seconds",
                self.catalog.locations_ttl_seconds,
            ),
            (
                "catalog.products_soft_ttl_seconds",
                self.catalog.products_soft_ttl_seconds,
            ),
            (
                "watch.poll_interval_millis",
                self.watch.poll_interval_millis,
            ),
            (
                "watch.progress_interval_millis",
                self.watch.progress_interval_millis,
            ),
            ("watch.history_revisions", self.watch.history_revisions),
            (
                "orders.poll_interval_millis",
                self.orders.poll_interval_millis,
            ),
            (
                "orders.upstream_timeout_millis",
                self.orders.upstream_timeout_millis,
            ),
            (
                "signals.telemetry_interval_seconds",
                self.signals.telemetry_interval_seconds,
            ),
            (
                "signals.telemetry_max_age_seconds",
                self.signals.telemetry_max_age_seconds,
            ),
            (
                "signals.telemetry_min_spacing_millis",
                self.signals.telemetry_min_spacing_millis,
            ),
            (
                "signals.events_interval_seconds",
                self.signals.events_interval_seconds,
            ),
            (
                "approvals.poll_interval_seconds",
                self.approvals.poll_interval_seconds,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    key,
                    problem: "must be greater than 0".to_owned(),
                });
            }
        }
        if self.catalog.products_max_stale_seconds < self.catalog.products_soft_ttl_seconds {
            return Err(ConfigError::Invalid {
                key: "catalog.products_max_stale_seconds",
                problem: "must not be below catalog.products_soft_ttl_seconds".to_owned(),
            });
        }
        self.approvals.auto_approve_rules()?;
        if self.watch.subscriber_buffer == 0 {
            return Err(ConfigError::Invalid {
                key: "watch.subscriber_buffer",
                problem: "must be greater than 0".to_owned(),
            });
        }
        let transport = &self.transport;
        if transport.http2_stream_window_kib == 0
            || transport.http2_connection_window_kib < transport.http2_stream_window_kib
        {
            return Err(ConfigError::Invalid {
                key: "transport.http2_connection_window_kib",
                problem: "windows must be above 0, the connection's at least the stream's"
                    .to_owned(),
            });
        }
        if self.watch.snapshot_chunk_keys == 0 {
            return Err(ConfigError::Invalid {
                key: "watch.snapshot_chunk_keys",
                problem: "must be greater than 0".to_owned(),
            });
        }
        Ok(())
    }

    /// The parsed `admin.listen` address; `None` when the admin listener is off.
    pub fn admin_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        if self.admin.listen.is_empty() {
            return Ok(None);
        }
        self.admin
            .listen
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid {
                key: "admin.listen",
                problem: format!("`{}` is not an ip:port address", self.admin.listen),
            })
    }

    /// The parsed `listen` address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|error| ConfigError::Invalid {
            key: "listen",
            problem: format!("`{}` is not a socket address: {error}", self.listen),
        })
    }

    /// Grace period for draining at shutdown.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }
}

/// Figment's own message already names the key and the source ("for key `x` in ONRAMP_ env").
/// Values are left out of the message on purpose: the offending value could be a secret.
fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|error| {
            let key = error.path.join(".");
            let source = error
                .metadata
                .as_ref()
                .map(|metadata| format!(" (from {})", metadata.name))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", error.kind)
            } else {
                format!("key `{key}`: {}{source}", error.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    /// `figment::Jail` gives each test its own working directory and environment, so tests that
    /// set `ONRAMP_*` variables cannot see each other.
    #[allow(clippy::result_large_err)] // the closure's error type is figment's, not ours
    fn load_in_jail(
        toml: Option<&str>,
        env: &[(&str, &str)],
        overrides: &Overrides,
    ) -> Result<Config, Box<ConfigError>> {
        let mut outcome = None;
        figment::Jail::expect_with(|jail| {
            for (key, value) in env {
                jail.set_env(key, value);
            }
            let file = match toml {
                Some(contents) => {
                    jail.create_file("onramp.toml", contents)?;
                    Some(PathBuf::from("onramp.toml"))
                }
                None => None,
            };
            outcome = Some(Config::load(file.as_deref(), overrides).map_err(Box::new));
            Ok(())
        });
        outcome.expect("jail ran")
    }

    #[test]
    fn defaults_are_valid_and_use_the_sandbox() {
        let config = load_in_jail(None, &[], &Overrides::default()).expect("load");
        assert_eq!(config.listen, "127.0.0.1:50051");
        assert_eq!(config.megaport.environment, MegaportEnvironment::Sandbox);
    }

    #[test]
    fn layers_apply_in_order_file_then_env_then_flags() {
        let overrides = Overrides {
            listen: Some("127.0.0.1:7001".to_owned()),
            ..Overrides::default()
        };
        let config = load_in_jail(
            Some("listen = \"127.0.0.1:7000\"\ndata_dir = \"/from-file\"\n[watch]\npoll_interval_millis = 9\nprogress_interval_millis = 4\n"),
            &[
                ("ONRAMP_DATA_DIR", "/from-env"),
                ("ONRAMP_WATCH__POLL_INTERVAL_MILLIS", "3"),
            ],
            &overrides,
        )
        .expect("load");
        assert_eq!(config.listen, "127.0.0.1:7001");
        assert_eq!(config.data_dir, PathBuf::from("/from-env"));
        assert_eq!(config.watch.poll_interval_millis, 3);
        assert_eq!(config.watch.progress_interval_millis, 4);
    }

    #[test]
    fn auto_approval_rules_load_from_the_file_and_bad_ones_are_named() {
        let rules = "[[approvals.auto_approve]]\nname = \"upgrades\"\ntypes = [\"SPEED_CHANGE\"]\n\
                     customer_refs = [\"acme\"]\nmax_rate_limit_mbps = 500\n";
        let config = load_in_jail(Some(rules), &[], &Overrides::default()).expect("load");
        let loaded = config.approvals.auto_approve_rules().expect("rules");
        assert_eq!(loaded[0].name, "upgrades");
        assert_eq!(loaded[0].max_rate_limit_mbps, Some(500));
        let unknown = load_in_jail(
            Some(&rules.replace("SPEED_CHANGE", "PORT_CHANGE")),
            &[],
            &Overrides::default(),
        )
        .expect_err("unknown type");
        assert!(unknown.to_string().contains("PORT_CHANGE"), "{unknown}");
        let nobody = load_in_jail(
            Some(&rules.replace("[\"acme\"]", "[]")),
            &[],
            &Overrides::default(),
        )
        .expect_err("no customer_refs");
        assert!(nobody.to_string().contains("customer_refs"), "{nobody}");
    }

    #[test]
    fn unknown_key_in_file_is_named() {
        let error = load_in_jail(
            Some("[catalog]\nlocation_ttl = 5\n"),
            &[],
            &Overrides::default(),
        )
        .expect_err("unknown key must be refused");
        assert!(error.to_string().contains("location_ttl"), "{error}");
    }

    #[test]
    fn missing_config_file_is_named() {
        let error = Config::load(
            Some(Path::new("/nonexistent/onramp.toml")),
            &Overrides::default(),
        )
        .expect_err("missing file");
        assert!(error.to_string().contains("--config"), "{error}");
    }

    #[test]
    fn unparsable_listen_address_is_named() {
        let overrides = Overrides {
            listen: Some("localhost-ish".to_owned()),
            ..Overrides::default()
        };
        let error = load_in_jail(None, &[], &overrides).expect_err("bad address");
        assert!(error.to_string().contains("`listen`"), "{error}");
    }

    #[test]
    fn sandbox_must_stay_on_loopback() {
        let error = load_in_jail(
            Some("[sandbox]\nlisten = \"0.0.0.0:9999\"\n"),
            &[],
            &Overrides::default(),
        )
        .expect_err("non-loopback sandbox");
        assert!(error.to_string().contains("sandbox.listen"), "{error}");
    }

    #[test]
    fn secrets_from_env_are_not_printed_by_debug() {
        let config = load_in_jail(
            None,
            &[
                ("ONRAMP_MEGAPORT__CLIENT_ID", "id-1"),
                ("ONRAMP_MEGAPORT__CLIENT_SECRET", "canary-secret-value"),
            ],
            &Overrides::default(),
        )
        .expect("load");
        let secret = config.megaport.client_secret.as_ref().expect("secret set");
        assert_eq!(secret.expose_secret(), "canary-secret-value");
        assert!(!format!("{config:?}").contains("canary-secret-value"));
    }

    #[test]
    fn wrong_type_names_key_without_echoing_value() {
        let error = load_in_jail(
            None,
            &[("ONRAMP_WATCH__POLL_INTERVAL_MILLIS", "soon")],
            &Overrides::default(),
        )
        .expect_err("bad type");
        assert!(
            error.to_string().contains("watch.poll_interval_millis"),
            "{error}"
        );
    }

    #[test]
    fn transport_windows_are_checked_and_named() {
        let config = load_in_jail(
            Some("[transport]\nhttp2_stream_window_kib = 256\nhttp2_keepalive_interval_seconds = 0\n"),
            &[],
            &Overrides::default(),
        )
        .expect("load");
        assert_eq!(config.transport.http2_stream_window_kib, 256);
        assert_eq!(config.transport.http2_keepalive_interval_seconds, 0);
        let error = load_in_jail(
            None,
            &[("ONRAMP_TRANSPORT__HTTP2_CONNECTION_WINDOW_KIB", "512")],
            &Overrides::default(),
        )
        .expect_err("below the stream window");
        assert!(
            error
                .to_string()
                .contains("transport.http2_connection_window_kib"),
            "{error}"
        );
    }
}
