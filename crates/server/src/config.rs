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
use serde::{Deserialize, Serialize};

pub use crate::admin_http::AdminSettings;
pub use crate::approval_inbox::settings::{ApprovalSettings, AutoApproveRuleSetting};
use crate::auth::settings::{AuthSettings, LimitSettings, TlsSettings};
pub use crate::catalog::CatalogSettings;
pub use crate::embedded_sandbox::SandboxSettings;
pub use crate::order_desk::OrderSettings;
pub use crate::retention::RetentionSettings;
pub use crate::selection::{MaintenancePolicySetting, SelectionSettings};
pub use crate::settings::ConfigError;
pub use crate::signals::settings::SignalsSettings;
pub use crate::storage::StoreSettings;
pub use crate::telemetry::{LogFormat, OtlpSettings};
pub use crate::upstream::settings::{
    AccountConfig, BudgetSettings, MegaportConfig, MegaportEnvironment, TimeoutSettings,
};
pub use crate::watch::WatchSettings;
pub use grpc_plumbing::transport::TransportSettings;

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
    pub auth: AuthSettings,
    /// TLS and mTLS on the gRPC listener.
    pub tls: TlsSettings,
    /// Request size, stream, concurrency and write-rate limits.
    pub limits: LimitSettings,
    pub orders: OrderSettings,
    pub selection: SelectionSettings,
    pub signals: SignalsSettings,
    pub approvals: ApprovalSettings,
    /// How long the audit log, request ids and finished orders are kept.
    pub retention: RetentionSettings,
    /// Outbound webhooks: where they may go and how they are retried.
    pub webhooks: crate::webhooks::WebhookSettings,
    /// The operator console at `/console/` on the gRPC listener.
    pub console: ConsoleSettings,
}

/// The operator console: static files and gRPC-web on the gRPC listener.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Serve the console (and gRPC-web, which it calls). Unset: on when `listen` is a loopback
    /// address, off otherwise, so exposing onramp does not expose a page nobody chose to serve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
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
            retention: RetentionSettings::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Config {
    /// How the signals are collected: the `[signals]` section with the selection's maintenance
    /// horizon.
    pub fn signal_settings(&self) -> crate::signals::SignalSettings {
        self.signals
            .runtime(self.selection.maintenance_horizon_hours)
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

    /// Checks the values serde cannot: addresses, ranges and combinations. Each section checks
    /// its own keys; this adds the process-wide ones.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        self.admin.validate()?;
        crate::auth::settings::validate(&self.auth, &self.tls, &self.limits)?;
        self.store.validate()?;
        self.sandbox.validate()?;
        self.megaport.validate()?;
        self.selection.validate()?;
        self.signals.validate()?;
        self.catalog.validate()?;
        self.watch.validate()?;
        self.orders.validate()?;
        self.approvals.validate()?;
        self.retention.validate()?;
        self.webhooks.validate()?;
        self.transport
            .check()
            .map_err(|problem| ConfigError::Invalid {
                key: "transport.http2_connection_window_kib",
                problem,
            })?;
        crate::settings::positive("shutdown_grace_seconds", self.shutdown_grace_seconds)?;
        if self.console.enabled == Some(true) && !cfg!(feature = "console") {
            return Err(ConfigError::Invalid {
                key: "console.enabled",
                problem: "this build has no console (it was built without the `console` feature)"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// Whether the console and gRPC-web are served (see [`ConsoleSettings::enabled`]).
    pub fn console_enabled(&self) -> bool {
        cfg!(feature = "console")
            && self
                .console
                .enabled
                .unwrap_or_else(|| self.listen_addr().is_ok_and(|addr| addr.ip().is_loopback()))
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
    fn the_console_is_on_by_default_on_loopback_only_and_can_be_switched() {
        let on = |toml: &str| {
            load_in_jail(Some(toml), &[], &Overrides::default())
                .expect("load")
                .console_enabled()
        };
        let built = cfg!(feature = "console");
        assert_eq!(on("listen = \"127.0.0.1:7000\"\n"), built);
        assert!(!on("listen = \"0.0.0.0:7000\"\ninsecure = true\n"));
        assert_eq!(
            on("listen = \"0.0.0.0:7000\"\ninsecure = true\n[console]\nenabled = true\n"),
            built
        );
        assert!(!on(
            "listen = \"127.0.0.1:7000\"\n[console]\nenabled = false\n"
        ));
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
