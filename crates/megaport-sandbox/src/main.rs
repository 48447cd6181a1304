//! `megaport-sandbox`: a Megaport-compatible HTTP API with the guide's scenario, for tools other
//! than onramp (Megaport's Go SDK, Terraform, scripts). `onramp sandbox` runs the same thing.

use std::process::ExitCode;

use clap::Parser;
use megaport_sandbox::cli::{self, SandboxArgs};

#[derive(Debug, Parser)]
#[command(
    name = "megaport-sandbox",
    version,
    about = "A Megaport-compatible sandbox API"
)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match cli::run(cli.args, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("megaport-sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}
