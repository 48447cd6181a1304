//! Persistence: a SQLite file in the data directory, created and migrated at start, implementing
//! the domain's ports (`onramp_core::ports`). Schema migrations are the numbered files in
//! `migrations/`, embedded into the binary at build time.
//!
//! Each feature keeps its queries in its own submodule so the SQL for a table lives in one place;
//! `ports` implements the domain's traits over them.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use time::OffsetDateTime;

mod approval_history;
mod audit;
pub mod keys;
mod locks;
pub mod orders;
mod ports;
pub mod regions;
mod signals;
pub mod watch;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl From<StoreError> for onramp_core::Error {
    fn from(error: StoreError) -> Self {
        Self::internal(error)
    }
}

/// Timestamps are stored as unix milliseconds.
pub fn millis(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_millis(millis: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .map_err(|error| StoreError::Corrupt(format!("timestamp {millis}: {error}")))
}

/// The file name of the database inside the data directory.
pub const DATABASE_FILE: &str = "onramp.sqlite3";

/// Told how long each of the domain's queries took, by the port method's name (a bounded set):
/// what the server's `store_query_duration_seconds` histogram records.
pub type QueryObserver = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Shared by every clone, so one installed observer sees every query.
    observer: Arc<OnceLock<QueryObserver>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/onramp.sqlite3` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            // WAL lets readers proceed while a writer commits; NORMAL sync is durable in WAL mode
            // across process crashes, which is the failure that matters for the order journal.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        Self::connect(options, 4).await
    }

    /// A private in-memory database, for unit tests of code that needs a store.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // Every in-memory connection is its own database, so the pool must hold exactly one.
        Self::connect(options, 1).await
    }

    /// One writer at a time is SQLite's model; a small pool serves concurrent readers.
    async fn connect(options: SqliteConnectOptions, connections: u32) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self {
            pool,
            observer: Arc::default(),
        })
    }

    /// Rows in each journal and log, for metrics: they grow with use, and an operator watches
    /// that pruning keeps up.
    pub async fn journal_sizes(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        const TABLES: [&str; 6] = [
            "audit_records",
            "service_keys",
            "service_key_requests",
            "idempotent_responses",
            "watch_batches",
            "vxc_orders",
        ];
        let mut sizes = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let rows: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&self.pool)
                    .await?;
            sizes.push((table, rows));
        }
        Ok(sizes)
    }

    /// A transaction that writes. It takes SQLite's write lock at BEGIN (IMMEDIATE), waiting up to
    /// the busy timeout for another writer: a deferred transaction that reads first and then
    /// writes fails at once with SQLITE_BUSY if another connection committed in between.
    pub(crate) async fn write_transaction(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Installs the observer of every later query made through the domain's ports; the first
    /// one installed stays.
    pub fn observe_queries(&self, observer: QueryObserver) {
        let _ = self.observer.set(observer);
    }

    /// Runs one port query, timing it for the observer and turning its error into the domain's.
    pub(crate) async fn timed<T>(
        &self,
        operation: &'static str,
        query: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, onramp_core::Error> {
        let started = tokio::time::Instant::now();
        let result = query.await;
        if let Some(observe) = self.observer.get() {
            observe(operation, started.elapsed());
        }
        Ok(result?)
    }

    /// Whether the database answers: what `/readyz` checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The connection pool, for the feature submodules' queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_creates_and_migrates_and_reopens() {
        let dir = std::env::temp_dir().join(format!("onramp-store-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir).await.expect("open");
        let created: (String,) =
            sqlx::query_as("SELECT value FROM store_meta WHERE key = 'created_at'")
                .fetch_one(store.pool())
                .await
                .expect("meta row");
        drop(store);
        let reopened = Store::open(&dir).await.expect("reopen is idempotent");
        let again: (String,) =
            sqlx::query_as("SELECT value FROM store_meta WHERE key = 'created_at'")
                .fetch_one(reopened.pool())
                .await
                .expect("meta row");
        assert_eq!(created, again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
