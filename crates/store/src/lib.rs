//! Persistence: a SQLite file in the data directory (the default) or a PostgreSQL database shared
//! by several onramp replicas, created and migrated at start, implementing the domain's ports
//! (`onramp_core::ports`). The queries are the same on both (portable SQL through sqlx's `Any`
//! driver); the schema migrations are the numbered files in `migrations/` (SQLite) and
//! `migrations-postgres/`, embedded into the binary at build time.
//!
//! Each feature keeps its queries in its own submodule so the SQL for a table lives in one place;
//! `ports` implements the domain's traits over them.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use time::OffsetDateTime;

/// The contract suite: a test written with this runs on both backends, as `<name>::sqlite` (in
/// memory) and `<name>::postgres` (a fresh database on a throwaway cluster), so the two
/// implement the domain's ports alike. Every store test that is not about the SQLite file itself
/// is one.
#[cfg(test)]
macro_rules! contract_test {
    (async fn $name:ident($store:ident: Store) $body:block) => {
        mod $name {
            #[allow(unused_imports)] // a test may need nothing of its module's helpers
            use super::*;

            async fn run($store: crate::Store) $body

            #[tokio::test]
            async fn sqlite() {
                run(crate::Store::in_memory().await.expect("sqlite store")).await
            }

            #[tokio::test]
            async fn postgres() {
                run(crate::testing::TempPostgres::shared().fresh_store().await).await
            }
        }
    };
}

mod approval_history;
mod audit;
pub mod budget;
pub mod changes;
pub mod keys;
mod locks;
pub mod orders;
mod peering;
mod ports;
pub mod regions;
pub mod retention;
mod signals;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod watch;
pub mod webhooks;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions};

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "data directory {path} is in use by another onramp process{holder} (it holds {path}/onramp.lock); \
         run one onramp per data directory"
    )]
    DataDirInUse { path: String, holder: String },
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

pub fn from_millis(millis: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .map_err(|error| StoreError::Corrupt(format!("timestamp {millis}: {error}")))
}

/// The file name of the database inside the data directory.
pub const DATABASE_FILE: &str = "onramp.sqlite3";

/// The lock file in the data directory. A store holds it (an exclusive `flock`) while open, so
/// a second onramp on the same directory refuses to start: its request locks, VLAN choices and
/// key poller would otherwise run beside the first one's.
pub const LOCK_FILE: &str = "onramp.lock";

/// Told how long each of the domain's queries took, by the port method's name (a bounded set):
/// what the server's `store_query_duration_seconds` histogram records.
pub type QueryObserver = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Shared by every clone, so one installed observer sees every query.
    observer: Arc<OnceLock<QueryObserver>>,
    /// The data directory's lock, shared by every store of it in this process and released
    /// with the last; None in memory.
    _lock: Option<Arc<std::fs::File>>,
    /// The PostgreSQL URL, for the LISTEN connection of [`Store::listen`]; it may hold a
    /// password, so it is never printed.
    postgres_url: Option<Arc<str>>,
    /// The newest change-feed revision this process committed (see `changes`).
    local_changes: Arc<tokio::sync::watch::Sender<i64>>,
    /// Names this process's changes in the feed.
    origin: Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Which database a store runs on: the SQL is the same (portable SQL, `$N` placeholders, read
/// through sqlx's `Any` driver); transactions and migrations differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database's clock, in unix milliseconds, as an SQL expression: what every lease,
    /// window and expiry that replicas share is judged by, so that no replica's own clock
    /// decides for the others. (On SQLite there is one process, and its clock is the
    /// machine's.)
    pub(crate) fn now_ms_sql(self) -> &'static str {
        match self {
            Self::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            Self::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/onramp.sqlite3` and applies pending migrations.
    /// Refuses with [`StoreError::DataDirInUse`] while another process has it open.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let lock = lock_data_dir(data_dir)?;
        let url = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .to_url_lossy();
        let mut store = Self::connect(url.as_str(), 4).await?;
        store._lock = Some(lock);
        Ok(store)
    }

    /// A private in-memory database, for unit tests of code that needs a store.
    pub async fn in_memory() -> Result<Self, StoreError> {
        // Every in-memory connection is its own database, so the pool must hold exactly one.
        Self::connect("sqlite::memory:", 1).await
    }

    /// Connects to a PostgreSQL database (`postgres://...`) and applies its pending migrations.
    /// Several onramp processes may share one.
    pub async fn connect_postgres(url: &str, connections: u32) -> Result<Self, StoreError> {
        Self::connect(url, connections).await
    }

    async fn connect(url: &str, connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed while a writer commits; NORMAL sync is durable
                        // in WAL mode across process crashes, which is the failure that matters
                        // for the order journal. An in-memory database ignores WAL.
                        sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .execute(connection)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations-postgres").run(&pool).await?,
        }
        Ok(Self {
            pool,
            backend,
            observer: Arc::default(),
            _lock: None,
            postgres_url: (backend == Backend::Postgres).then(|| Arc::from(url)),
            local_changes: Arc::new(tokio::sync::watch::Sender::new(0)),
            origin: Arc::from(uuid::Uuid::new_v4().to_string()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that writes. On SQLite it takes the write lock at BEGIN (IMMEDIATE), waiting
    /// up to the busy timeout for another writer: a deferred transaction that reads first and
    /// then writes fails at once with SQLITE_BUSY if another connection committed in between.
    /// PostgreSQL's row locks and unique constraints serialise writers by themselves.
    pub(crate) async fn write_transaction(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Tells every replica's [`Store::listen`] on `channel` about `payload` once the
    /// transaction commits (PostgreSQL's NOTIFY); nothing on SQLite, which has one process.
    pub(crate) async fn notify(
        &self,
        transaction: &mut sqlx::Transaction<'static, sqlx::Any>,
        channel: &str,
        payload: &str,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(&mut **transaction)
                .await?;
        }
        Ok(())
    }

    /// A connection that hears the notifications of `channel` from every replica; `None` on
    /// SQLite. Resolves each `recv` with the payload; after an error, listen again.
    pub async fn listen(
        &self,
        channel: &str,
    ) -> Result<Option<sqlx::postgres::PgListener>, StoreError> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(channel).await?;
        Ok(Some(listener))
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
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// The data directories this process holds the lock of: a second store of one in the same
/// process (a restart within a test, or a tool) shares its lock; only other processes are kept
/// out.
static HELD: std::sync::Mutex<Vec<(std::path::PathBuf, std::sync::Weak<std::fs::File>)>> =
    std::sync::Mutex::new(Vec::new());

/// The data directory's lock: this process's, if it holds it already, else taken.
fn lock_data_dir(data_dir: &Path) -> Result<Arc<std::fs::File>, StoreError> {
    let key = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
    held.retain(|(_, lock)| lock.strong_count() > 0);
    if let Some(lock) = held
        .iter()
        .find(|(path, _)| *path == key)
        .and_then(|(_, lock)| lock.upgrade())
    {
        return Ok(lock);
    }
    let lock = Arc::new(take_lock(data_dir)?);
    held.push((key, Arc::downgrade(&lock)));
    Ok(lock)
}

/// Takes the lock file's exclusive lock, writing this process's id into it for whoever finds
/// it held.
fn take_lock(data_dir: &Path) -> Result<std::fs::File, StoreError> {
    use std::io::Write;
    let path = data_dir.join(LOCK_FILE);
    let io_error = |source| StoreError::DataDir {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(io_error)?;
            write!(file, "{}", std::process::id()).map_err(io_error)?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            Err(StoreError::DataDirInUse {
                path: data_dir.display().to_string(),
                holder: match pid.trim() {
                    "" => String::new(),
                    pid => format!(" (pid {pid})"),
                },
            })
        }
        Err(std::fs::TryLockError::Error(source)) => Err(io_error(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_data_directory_locked_by_another_process_is_refused() {
        let dir = std::env::temp_dir().join(format!("onramp-lock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        // Another process's lock: an exclusive flock on a file description of its own.
        let other = std::fs::File::create(dir.join(LOCK_FILE)).expect("lock file");
        other.try_lock().expect("the other process locks it");
        std::fs::write(dir.join(LOCK_FILE), "4242").expect("its pid");
        let refused = Store::open(&dir).await.expect_err("in use");
        assert!(
            matches!(refused, StoreError::DataDirInUse { .. }),
            "{refused}"
        );
        let message = refused.to_string();
        assert!(
            message.contains("in use by another onramp process (pid 4242)"),
            "{message}"
        );
        drop(other);

        let first = Store::open(&dir)
            .await
            .expect("free once the other is gone");
        let pid = std::fs::read_to_string(dir.join(LOCK_FILE)).expect("pid");
        assert_eq!(pid, std::process::id().to_string());
        let again = Store::open(&dir)
            .await
            .expect("this process shares its own lock");
        drop((first, again));
        let probe = std::fs::File::open(dir.join(LOCK_FILE)).expect("lock file");
        probe.try_lock().expect("released with the last store");
        let _ = std::fs::remove_dir_all(&dir);
    }

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
