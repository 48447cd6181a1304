//! Connects onramp to Megaport: the embedded sandbox when `megaport.environment = "sandbox"`,
//! otherwise staging, production or explicit URLs with the configured API keys. Builds one client
//! per named account and the catalog cache over the default (provider) account.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::ExposeSecret;

pub mod settings;

use crate::catalog::{Catalog, CatalogSettings};
use crate::embedded_sandbox::{self, SandboxSettings};
use crate::settings::ConfigError;
use crate::signals::{SignalSettings, Signals};
use megaport::{
    BudgetLedger, ClientConfig, Credentials, Environment, MegaportClient, MegaportError,
    SharedWindow,
};
use onramp_store::budget::RequestWindow;
use onramp_store::{Backend, Store};
use settings::{MegaportConfig, MegaportEnvironment};

/// Why onramp could not set up its Megaport connection.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("config key `{key}`: {problem}")]
    Config { key: &'static str, problem: String },
    #[error(transparent)]
    Sandbox(#[from] embedded_sandbox::SandboxError),
    #[error("megaport client: {0}")]
    Client(#[from] MegaportError),
}

/// Megaport, as onramp reaches it.
#[derive(Debug)]
pub struct Upstream {
    /// The provider's account: Ports, keys and the catalog are read with it.
    pub provider: MegaportClient,
    /// The provider account's name: what an order's empty `account` means.
    pub provider_account: String,
    /// Every account by name, the provider's included; orders name the one they run under.
    pub accounts: BTreeMap<String, MegaportClient>,
    /// The cached Ports and locations of the provider's account.
    pub catalog: Arc<Catalog>,
    /// Kept alive for as long as onramp runs when the sandbox is embedded.
    sandbox: Option<embedded_sandbox::Handle>,
}

impl Upstream {
    /// Starts the embedded sandbox if configured, then builds the clients and the catalog. On
    /// PostgreSQL the request budget is kept in `store`, shared with the other replicas.
    /// The configured accounts (or the embedded sandbox's), one request budget for them all,
    /// and the catalog over the provider's account.
    pub async fn connect(
        megaport: &MegaportConfig,
        sandbox_settings: &SandboxSettings,
        catalog_settings: &CatalogSettings,
        signal_settings: SignalSettings,
        store: &Store,
    ) -> Result<Self, UpstreamError> {
        let default_credentials = match (&megaport.client_id, &megaport.client_secret) {
            (Some(id), Some(secret)) => Some(Credentials::new(id, secret.expose_secret())),
            _ => None,
        };
        let mut named: Vec<(String, Credentials)> = Vec::new();
        let (environment, sandbox) = match megaport.environment {
            MegaportEnvironment::Sandbox => {
                if default_credentials.is_some() || !megaport.accounts.is_empty() {
                    return Err(UpstreamError::Config {
                        key: "megaport.environment",
                        problem: "megaport credentials are configured but the environment is \
                                  `sandbox`; set `staging`, `production` or `custom`"
                            .to_owned(),
                    });
                }
                let started = embedded_sandbox::start(sandbox_settings).await?;
                // The first company in the seed is the provider; the rest are its customers.
                named.extend(started.accounts);
                (started.environment, Some(started.handle))
            }
            MegaportEnvironment::Staging => (Environment::Staging, None),
            MegaportEnvironment::Production => (Environment::Production, None),
            MegaportEnvironment::Custom => {
                let (Some(base_url), Some(token_url)) = (&megaport.base_url, &megaport.token_url)
                else {
                    return Err(UpstreamError::Config {
                        key: "megaport.base_url",
                        problem: "environment `custom` needs base_url and token_url".to_owned(),
                    });
                };
                (Environment::sandbox(base_url, token_url), None)
            }
        };
        if sandbox.is_none() {
            let Some(credentials) = default_credentials else {
                return Err(UpstreamError::Config {
                    key: "megaport.client_id",
                    problem: "a Megaport API key is needed outside the sandbox: set \
                              ONRAMP_MEGAPORT__CLIENT_ID and ONRAMP_MEGAPORT__CLIENT_SECRET"
                        .to_owned(),
                });
            };
            named.push((megaport.default_account.clone(), credentials));
            for account in &megaport.accounts {
                named.push((
                    account.name.clone(),
                    Credentials::new(&account.client_id, account.client_secret.expose_secret()),
                ));
            }
        }

        // One budget for every account, and every replica: they all leave by the same IP.
        let budget_config = megaport.budget.budget_config();
        let budget = Arc::new(match store.backend() {
            Backend::Sqlite => megaport::Budget::new(budget_config),
            Backend::Postgres => {
                megaport::Budget::shared(budget_config, Arc::new(SharedBudget(store.clone())))
            }
        });
        let timeouts = megaport
            .timeouts
            .route_timeouts()
            .map_err(|error| match error {
                ConfigError::Invalid { key, problem } => UpstreamError::Config { key, problem },
                ConfigError::Parse(problem) => UpstreamError::Config {
                    key: "megaport.timeouts",
                    problem,
                },
            })?;
        let mut accounts = BTreeMap::new();
        let mut provider = None;
        for (name, credentials) in named {
            let client = MegaportClient::new(ClientConfig {
                max_response_bytes: usize::try_from(megaport.max_response_bytes)
                    .unwrap_or(usize::MAX),
                budget: budget.clone(),
                timeouts: timeouts.clone(),
                account: name.clone(),
                ..ClientConfig::new(environment.clone(), credentials)
            })?;
            provider.get_or_insert_with(|| (name.clone(), client.clone()));
            if accounts.insert(name.clone(), client).is_some() {
                return Err(UpstreamError::Config {
                    key: "megaport.accounts",
                    problem: format!("account name `{name}` is used twice"),
                });
            }
        }
        let (provider_account, provider) = provider.ok_or(UpstreamError::Config {
            key: "megaport.client_id",
            problem: "no Megaport account is configured".to_owned(),
        })?;
        let signals = Arc::new(Signals::new(signal_settings));
        let catalog = Arc::new(
            Catalog::new(provider.clone(), catalog_settings.catalog_config()).with_signals(signals),
        );
        Ok(Self {
            provider,
            provider_account,
            accounts,
            catalog,
            sandbox,
        })
    }

    /// Stops the embedded sandbox, if any.
    pub async fn shutdown(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// The Megaport budget's window in the database, for replicas that share one egress IP.
#[derive(Debug)]
struct SharedBudget(Store);

#[async_trait::async_trait]
impl BudgetLedger for SharedBudget {
    async fn update(
        &self,
        window_ms: i64,
        times_needed: &(dyn for<'w> Fn(&'w SharedWindow) -> usize + Sync),
        change: &mut (dyn for<'w> FnMut(&'w mut SharedWindow) + Send),
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let times_needed = |stored: &RequestWindow| times_needed(&shared_window(stored.clone()));
        let mut change = |stored: &mut RequestWindow| {
            let mut shared = shared_window(std::mem::take(stored));
            change(&mut shared);
            *stored = RequestWindow {
                count: shared.count,
                newest_ms: shared.newest_ms,
                paused_until_ms: shared.paused_until_ms,
                cut: shared.cut,
                now_ms: shared.now_ms,
            };
        };
        Ok(self
            .0
            .update_request_window(window_ms, &times_needed, &mut change)
            .await?)
    }
}

fn shared_window(stored: RequestWindow) -> SharedWindow {
    SharedWindow {
        count: stored.count,
        newest_ms: stored.newest_ms,
        paused_until_ms: stored.paused_until_ms,
        cut: stored.cut,
        now_ms: stored.now_ms,
    }
}
