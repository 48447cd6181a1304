//! The `onramp` binary: `onramp serve` runs the gRPC service (on the embedded Megaport sandbox
//! unless Megaport credentials are configured); `onramp sandbox` runs the sandbox alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use onramp_server::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "onramp",
    version,
    about = "Sell private connectivity over Megaport"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC service.
    Serve(ServeArgs),
    /// Run the Megaport sandbox alone (a Megaport-compatible HTTP API for other tools).
    #[cfg(feature = "embedded-sandbox")]
    Sandbox(SandboxCommand),
    /// Load and validate the configuration (defaults <- `--config` file <- `ONRAMP_*`
    /// environment) as `serve` would, without serving: a check for a config map or an
    /// environment before a rollout. Exits non-zero naming the offending key.
    CheckConfig(CheckConfigArgs),
    /// Read a bearer token from stdin and print the SHA-256 hex for `[[auth.tokens]] sha256`.
    /// The token is read from stdin, not an argument, so it stays out of `ps` and shell history.
    HashToken,
}

#[cfg(feature = "embedded-sandbox")]
#[derive(Debug, Args)]
struct SandboxCommand {
    #[command(flatten)]
    args: megaport_sandbox::cli::SandboxArgs,
    /// Log format.
    #[arg(long, value_enum, default_value = "human")]
    log_format: LogFormatArg,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on [config: listen; default 127.0.0.1:50051].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Directory for everything onramp stores [config: data_dir; default ./data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// TOML configuration file; `ONRAMP_*` variables and flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format [config: log_format; default human].
    #[arg(long, value_enum)]
    log_format: Option<LogFormatArg>,
    /// Serve without caller authentication even on a non-loopback address [config: insecure].
    #[arg(long)]
    insecure: bool,
}

#[derive(Debug, Args)]
struct CheckConfigArgs {
    /// TOML configuration file; `ONRAMP_*` variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(arg: LogFormatArg) -> Self {
        match arg {
            LogFormatArg::Human => LogFormat::Human,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("onramp: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("onramp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        #[cfg(feature = "embedded-sandbox")]
        Command::Sandbox(args) => sandbox(args).await,
        Command::CheckConfig(args) => check_config(&args),
        Command::HashToken => hash_token(),
    }
}

/// Loads the configuration as `serve` does and says whether it holds; nothing is started.
fn check_config(args: &CheckConfigArgs) -> anyhow::Result<()> {
    Config::load(args.config.as_deref(), &Overrides::default())?;
    println!("configuration ok");
    Ok(())
}

#[cfg(feature = "embedded-sandbox")]
async fn sandbox(command: SandboxCommand) -> anyhow::Result<()> {
    let telemetry = onramp_server::telemetry::init(
        command.log_format.into(),
        "info",
        &onramp_server::config::OtlpSettings::default(),
    )?;
    let served = megaport_sandbox::cli::run(command.args, shutdown_signal()).await;
    telemetry.shutdown();
    served?;
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        log_format: args.log_format.map(LogFormat::from),
        insecure: args.insecure.then_some(true),
    };
    let config = Config::load(args.config.as_deref(), &overrides)?;
    let telemetry =
        onramp_server::telemetry::init(config.log_format, &config.log_level, &config.otlp)?;
    let addr = config.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let served = onramp_server::server::run(listener, config, shutdown_signal()).await;
    telemetry.shutdown();
    served?;
    Ok(())
}

/// Prints the hash of the token on stdin. Surrounding whitespace (the newline of `echo`) is not
/// part of the token.
fn hash_token() -> anyhow::Result<()> {
    use std::io::Read;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the token from stdin")?;
    let token = input.trim();
    anyhow::ensure!(!token.is_empty(), "no token on stdin");
    println!("{}", onramp_server::auth::tokens::hash_hex(token));
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
