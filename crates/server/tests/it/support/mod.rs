//! Shared test harness: the real onramp server on `127.0.0.1:0`, a connected channel, and a guard
//! that shuts the server down. Every await that could hang is wrapped in a timeout.

#![allow(dead_code)]

pub(crate) mod approvals;
pub(crate) mod auth;
pub(crate) mod binary;
pub(crate) mod http;
pub(crate) mod orders;
pub(crate) mod replicas;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use onramp_server::config::Config;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// Upper bound for any single step of a test.
pub(crate) const STEP: Duration = Duration::from_secs(10);

/// Whether this is `make soak` (`ONRAMP_SOAK=1`): the minute-scale runs at full length and load,
/// with their latency figures asserted. `make test` runs the short version of each, which checks
/// the same behaviour (budgets kept, every change delivered once) and prints the figures.
pub(crate) fn soak() -> bool {
    std::env::var_os("ONRAMP_SOAK").is_some_and(|value| value == "1")
}

/// Awaits `future` or fails the test after [`STEP`].
pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .expect("step timed out")
}

/// A running onramp server.
pub(crate) struct TestServer {
    pub addr: SocketAddr,
    /// The admin listener (/metrics, /healthz, /readyz), unless the config turned it off.
    pub admin_addr: Option<SocketAddr>,
    pub channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), onramp_server::server::ServeError>>>,
}

impl TestServer {
    /// Starts onramp with test defaults (short drain, temporary data directory).
    pub(crate) async fn start() -> Self {
        Self::start_with(test_config()).await
    }

    pub(crate) async fn start_with(config: Config) -> Self {
        capture_logs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let admin = match config.admin.addr().expect("admin address") {
            Some(admin_addr) => Some(
                tokio::net::TcpListener::bind(admin_addr)
                    .await
                    .expect("bind admin"),
            ),
            None => None,
        };
        let admin_addr = admin
            .as_ref()
            .map(|admin| admin.local_addr().expect("admin addr"));
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(onramp_server::server::run_with_admin(
            listener,
            admin,
            config,
            async move {
                let _ = signal.await;
            },
        ));
        let channel = within(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect(),
        )
        .await
        .expect("connect");
        Self {
            addr,
            admin_addr,
            channel,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Sends the shutdown signal without waiting: the server drains.
    pub(crate) fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Sends the shutdown signal and returns the server's own result once it has stopped.
    pub(crate) async fn stop(mut self) -> Result<(), onramp_server::server::ServeError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let task = self.task.take().expect("task present");
        within(task).await.expect("server task panicked")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Defaults for tests: a fresh data directory, a short drain, a fast key watcher, and write
/// quotas high enough for load tests (the quota tests set their own).
pub(crate) fn test_config() -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".to_owned(),
        data_dir: std::env::temp_dir().join(format!("onramp-test-{}", uuid::Uuid::new_v4())),
        shutdown_grace_seconds: 1,
        ..Config::default()
    };
    config.limits.write_burst = 10_000;
    config.limits.writes_per_minute = 100_000;
    config.watch.poll_interval_millis = 100;
    // On a free port: tests that read it find it in `TestServer::admin_addr`.
    config.admin.listen = "127.0.0.1:0".to_owned();
    config.watch.progress_interval_millis = 300;
    config
}

/// onramp pointed at a sandbox the test owns, so the test can drive the sandbox's clock, faults
/// and ledger. Accounts are named as on the embedded sandbox: `quantumgpu` (default), `acme`, ...
pub(crate) struct SandboxedServer {
    pub server: TestServer,
    pub sandbox: megaport_sandbox::SandboxHandle,
    pub config: Config,
}

impl SandboxedServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(megaport_sandbox::SandboxConfig::default(), test_config()).await
    }

    /// Starts a sandbox with `sandbox_config`, then onramp (`config` adjusted to use it).
    pub(crate) async fn start_with(
        sandbox_config: megaport_sandbox::SandboxConfig,
        config: Config,
    ) -> Self {
        let (sandbox, credentials) = spawn_sandbox(sandbox_config).await;
        let config = on_sandbox(config, &sandbox, &credentials);
        let server = TestServer::start_with(config.clone()).await;
        Self {
            server,
            sandbox,
            config,
        }
    }

    /// Restarts onramp (not the sandbox) on the same data directory.
    pub(crate) async fn restart(self) -> Self {
        let Self {
            server,
            sandbox,
            config,
        } = self;
        server.stop().await.expect("clean stop");
        let server = TestServer::start_with(config.clone()).await;
        Self {
            server,
            sandbox,
            config,
        }
    }
}

/// A sandbox on a free loopback port, and the credentials of its seed's companies.
pub(crate) async fn spawn_sandbox(
    sandbox_config: megaport_sandbox::SandboxConfig,
) -> (
    megaport_sandbox::SandboxHandle,
    Vec<megaport_sandbox::SandboxCredentials>,
) {
    let credentials = sandbox_config.seed.credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sandbox");
    let sandbox = megaport_sandbox::spawn(listener, sandbox_config)
        .await
        .expect("sandbox");
    (sandbox, credentials)
}

/// The `ErrorInfo.reason` of a status (`VLAN_IN_USE`), or empty when it has none.
pub(crate) fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// `config` with Megaport pointed at `sandbox` and the seed's companies as accounts, named as
/// on the embedded sandbox: the first (the provider) is the default account.
pub(crate) fn on_sandbox(
    mut config: Config,
    sandbox: &megaport_sandbox::SandboxHandle,
    credentials: &[megaport_sandbox::SandboxCredentials],
) -> Config {
    use onramp_server::config::{AccountConfig, MegaportEnvironment};
    let (provider, customers) = credentials.split_first().expect("seed has companies");
    config.megaport.environment = MegaportEnvironment::Custom;
    config.megaport.base_url = Some(sandbox.base_url());
    config.megaport.token_url = Some(sandbox.token_url());
    config.megaport.default_account = provider.company.to_ascii_lowercase();
    config.megaport.client_id = Some(provider.client_id.clone());
    config.megaport.client_secret = Some(provider.client_secret.clone().into());
    config.megaport.accounts = customers
        .iter()
        .map(|customer| AccountConfig {
            name: customer.company.to_ascii_lowercase(),
            client_id: customer.client_id.clone(),
            client_secret: customer.client_secret.clone().into(),
        })
        .collect();
    config.regions_file = Some(sandbox_regions_file());
    config
}

/// The sandbox's region file (US-West), which onramp applies by itself only when it embeds the
/// sandbox.
pub(crate) fn sandbox_regions_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox-regions.toml")
}

/// Sends every test binary's logs (debug level, onramp at trace) to a file under the target
/// directory, so `make test` can check afterwards that no secret the run used was ever logged
/// (`scripts/check-log-canaries.sh`). A test that installs its own subscriber first keeps it.
pub(crate) fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-logs");
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        let binary = std::env::current_exe()
            .ok()
            .and_then(|path| {
                path.file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "tests".to_owned());
        let path = dir.join(format!("{binary}-{}.log", std::process::id()));
        let Ok(file) = std::fs::File::create(path) else {
            return;
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,onramp_server=trace,megaport=trace,megaport_sandbox=trace",
            ))
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    });
}
