//! Where onramp keeps its state: the `[store]` section and opening the store it names.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::settings::ConfigError;
use onramp_store::Store;

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
    pub fn validate(&self) -> Result<(), ConfigError> {
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

/// PostgreSQL when `store.url` names it, else the SQLite file in the data directory.
pub async fn open_store(
    settings: &StoreSettings,
    data_dir: &std::path::Path,
) -> Result<Store, onramp_store::StoreError> {
    use secrecy::ExposeSecret;
    match &settings.url {
        Some(url) => Store::connect_postgres(url.expose_secret(), settings.connections).await,
        None => Store::open(data_dir).await,
    }
}
