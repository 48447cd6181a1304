//! A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, `pg_ctl start` on a free
//! loopback port, a fresh database per test, and the cluster stopped and deleted when the test
//! process ends (a watchdog does it even when the process is killed). Run as root, the cluster
//! runs as Debian's unprivileged `postgres` user, since `initdb` refuses root.
//! `scripts/install-postgresql.sh` installs the server when it is missing (`make test` runs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::Store;

/// A running cluster; stopped and deleted on drop.
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Run the server's tools as `postgres` (the test runs as root).
    as_postgres: bool,
    databases: AtomicU32,
}

impl TempPostgres {
    /// The cluster every test of this process shares (each test takes a fresh database).
    pub fn shared() -> &'static TempPostgres {
        static SHARED: OnceLock<TempPostgres> = OnceLock::new();
        SHARED.get_or_init(TempPostgres::start)
    }

    /// Starts a new cluster, or panics saying what is missing.
    pub fn start() -> Self {
        let bin = server_bin_dir();
        let as_postgres = running_as_root();
        let dir = std::env::temp_dir().join(format!(
            "onramp-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        if as_postgres {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&dir));
        }
        let mut cluster = Self {
            dir,
            bin,
            port: 0,
            as_postgres,
            databases: AtomicU32::new(0),
        };
        run(cluster
            .tool("initdb")
            .args(["-U", "onramp", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .args(["--no-sync", "--no-instructions", "-D"])
            .arg(cluster.data()));
        cluster.watch_parent();
        // A free port can be taken between the probe and the server's bind: try a few.
        for _ in 0..5 {
            cluster.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=400 -c shared_buffers=32MB",
                cluster.port,
                cluster.dir.display()
            );
            let started = cluster
                .tool("pg_ctl")
                .args(["-w", "-t", "30", "-D"])
                .arg(cluster.data())
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-o", &options, "start"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if started {
                return cluster;
            }
        }
        let log = std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default();
        panic!("the test PostgreSQL cluster did not start:\n{log}");
    }

    /// A URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://onramp@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            self.databases.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::new_v4().simple()
        );
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test cluster");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        self.url(&name)
    }

    /// A migrated store on a fresh database.
    pub async fn fresh_store(&self) -> Store {
        Store::connect_postgres(&self.fresh_database().await, 8)
            .await
            .expect("postgres store")
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// One of the server's tools, as the user that owns the cluster.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Stops the cluster and deletes it once this process is gone, however it ends: statics
    /// are never dropped, and a killed test drops nothing.
    // The watchdog is never waited for: it ends only after this process has.
    #[allow(clippy::zombie_processes)]
    fn watch_parent(&self) {
        let stop = format!(
            "{runuser}{pg_ctl} -D {data} -m immediate stop",
            runuser = if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data().display(),
        );
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; \
             rm -rf {dir}",
            parent = std::process::id(),
            dir = self.dir.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cluster watchdog");
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed server's binaries (Debian keeps them per version, off the PATH).
fn server_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    match on_path {
        Some(initdb) => Path::new(&initdb)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        None => panic!(
            "PostgreSQL's server is not installed: run scripts/install-postgresql.sh \
             (make test does)"
        ),
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("free port")
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL tool");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Store {
    /// Appends `count` audit records at `time_ms` in one transaction, a hundred to a statement:
    /// a benchmark's big log in seconds, where one call's append at a time would take minutes.
    pub async fn load_audit_records(
        &self,
        count: usize,
        time_ms: i64,
    ) -> Result<(), crate::StoreError> {
        const ROWS: usize = 100;
        let mut transaction = self.write_transaction().await?;
        let mut left = count;
        while left > 0 {
            let rows = left.min(ROWS);
            let values: Vec<String> = (0..rows)
                .map(|row| {
                    let first = row * 3 + 1;
                    format!(
                        "(${first}, ${}, ${}, 'bench', '', '', 3, 1)",
                        first + 1,
                        first + 2
                    )
                })
                .collect();
            let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO audit_records \
                 (audit_id, time_ms, rpc, caller, request_id, resource, code, reason) VALUES {}",
                values.join(", ")
            )));
            for _ in 0..rows {
                query = query
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(time_ms)
                    .bind("/onramp.v1.RegionService/CreateRegion");
            }
            query.execute(&mut *transaction).await?;
            left -= rows;
        }
        transaction.commit().await?;
        Ok(())
    }
}
