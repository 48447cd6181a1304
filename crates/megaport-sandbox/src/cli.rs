//! The sandbox's command line, shared by the `megaport-sandbox` binary and `onramp sandbox`, so
//! both take the same flags and behave alike.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{SandboxConfig, Seed, SeedError};

/// Flags of a standalone sandbox.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on. Keep it on loopback: the control endpoints are unauthenticated.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Seed file with the inventory; the guide's scenario when absent.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub token_lifetime_seconds: u64,
    /// Serve without Megaport's request limits (500 requests per 5 minutes per client, one
    /// update per service per 5 minutes), for load tests.
    #[arg(long)]
    pub no_limits: bool,
}

/// Why a standalone sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Runs a sandbox on `args.listen` until `shutdown` resolves.
pub async fn run(args: SandboxArgs, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let seed = match &args.seed {
        Some(path) => Seed::load(path)?,
        None => Seed::default_scenario(),
    };
    let config = SandboxConfig {
        seed,
        token_lifetime: Duration::from_secs(args.token_lifetime_seconds),
        limits: if args.no_limits {
            crate::SandboxLimits::off()
        } else {
            crate::SandboxLimits::default()
        },
        ..SandboxConfig::default()
    };
    let listen = |source| StartError::Listen {
        addr: args.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(listen)?;
    let handle = crate::spawn(listener, config).await.map_err(listen)?;
    tracing::info!(
        base_url = %handle.base_url(),
        token_url = %handle.token_url(),
        "megaport sandbox listening"
    );
    shutdown.await;
    handle.shutdown().await;
    Ok(())
}
