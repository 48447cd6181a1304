//! Shared test harness: the real onramp server on `127.0.0.1:0`, a connected channel, and a guard
//! that shuts the server down. Every await that could hang is wrapped in a timeout.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use onramp::config::Config;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// Upper bound for any single step of a test.
pub const STEP: Duration = Duration::from_secs(10);

/// Awaits `future` or fails the test after [`STEP`].
pub async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .expect("step timed out")
}

/// A running onramp server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), onramp::server::ServeError>>>,
}

impl TestServer {
    /// Starts onramp with test defaults (short drain, temporary data directory).
    pub async fn start() -> Self {
        Self::start_with(test_config()).await
    }

    pub async fn start_with(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(onramp::server::run(listener, config, async move {
            let _ = signal.await;
        }));
        let channel = within(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect(),
        )
        .await
        .expect("connect");
        Self {
            addr,
            channel,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Sends the shutdown signal and returns the server's own result once it has stopped.
    pub async fn stop(mut self) -> Result<(), onramp::server::ServeError> {
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

/// Defaults for tests: a fresh data directory and a short drain.
pub fn test_config() -> Config {
    Config {
        listen: "127.0.0.1:0".to_owned(),
        data_dir: std::env::temp_dir().join(format!("onramp-test-{}", uuid::Uuid::new_v4())),
        shutdown_grace_seconds: 1,
        ..Config::default()
    }
}
