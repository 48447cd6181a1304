//! `make bench`: onramp's read path against a no-op tonic server that answers the same
//! payloads from memory, measured in one run on this machine and printed as ratios; then the
//! fan-out of WatchServiceKeys to many streams; then scrapes and pruning over a big audit log.
//!
//! Every server runs in a child process of its own (see `child`), on loopback with the same
//! transport, so the ratio isolates what onramp does per call. onramp runs on its embedded
//! sandbox with a bearer token configured, as a provider would run it. The rounds alternate
//! (onramp, no-op, onramp's variants, onramp, ...) and the medians are reported (of each
//! round's ratio, for the ratios), because a 2-core machine is noisy.

mod child;
mod fanout;
mod otlp_sink;
mod reads;
mod requests;
mod retention;
mod scale;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use onramp_server::auth::scopes::Scope;
use onramp_server::auth::settings::TokenSettings;
use onramp_server::config::Config;
use tonic::Request;
use tonic::transport::{Channel, Endpoint};

use child::Role;

/// The bearer token the benchmark configures and sends (only this process knows it).
const TOKEN: &str = "bench-token-4f1c9e";

#[derive(Debug, Parser)]
#[command(about = "onramp's read path against a same-payload no-op server, then the fan-out")]
struct Args {
    /// Rounds per server; medians over rounds are printed.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds of load per call, load and round.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// WatchServiceKeys streams held open in the fan-out.
    #[arg(long, default_value_t = 100_000)]
    streams: usize,
    /// Connections the fan-out's streams share.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Keys created during the fan-out, one a second.
    #[arg(long, default_value_t = 10)]
    keys: usize,
    /// Audit records in the retention part's log.
    #[arg(long, default_value_t = 1_000_000)]
    audit_records: usize,
    /// Seconds onramp is watched idle in the requests part.
    #[arg(long, default_value_t = 300)]
    idle_seconds: u64,
    /// Only the reads, only the fan-out, only the retention part, only the Megaport requests
    /// per unit of work, or only the cost curve over inventory sizes.
    #[arg(long, value_enum, default_value_t = Part::All)]
    part: Part,
    /// One short round of each part, to check that the benchmark still runs (what `make test`
    /// does).
    #[arg(long)]
    quick: bool,
    /// Run one measured server and print its address (the benchmark starts itself so).
    #[arg(long, hide = true, value_enum)]
    serve: Option<Role>,
    /// The no-op server's answers, recorded from onramp (with `--serve noop`).
    #[arg(long, hide = true)]
    answers: Option<std::path::PathBuf>,
    /// The generated provider's size, PORTS,KEYS,VXCS (with `--serve sandbox`).
    #[arg(long, hide = true)]
    scale: Option<String>,
    /// The sandbox to use (with `--serve onramp-on-sandbox`).
    #[arg(long, hide = true)]
    sandbox: Option<SocketAddr>,
    /// What the onramp child is set up to show (with `--serve onramp-on-sandbox`).
    #[arg(long, hide = true, value_enum)]
    profile: Option<scale::Profile>,
    /// The onramp child's admin listener (with `--serve onramp-on-sandbox`).
    #[arg(long, hide = true)]
    admin: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    All,
    Reads,
    Fanout,
    Retention,
    Requests,
    Scale,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(role) = args.serve {
        return serve(role, &args).await;
    }
    if matches!(args.part, Part::All | Part::Reads) {
        let (rounds, seconds) = if args.quick {
            (1, 0.2)
        } else {
            (args.rounds.max(1), args.seconds)
        };
        reads::run(rounds, seconds).await?;
    }
    if matches!(args.part, Part::All | Part::Fanout) {
        let plan = if args.quick {
            fanout::Plan {
                streams: 200,
                connections: 10,
                keys: 2,
            }
        } else {
            fanout::Plan {
                streams: args.streams.max(1),
                connections: args.connections.max(1),
                keys: args.keys.max(1),
            }
        };
        fanout::run(plan).await?;
    }
    if matches!(args.part, Part::All | Part::Retention) {
        let plan = if args.quick {
            retention::Plan {
                records: 20_000,
                rounds: 1,
                scrapes_per_round: 5,
            }
        } else {
            retention::Plan {
                records: args.audit_records.max(1),
                rounds: args.rounds.max(1),
                scrapes_per_round: 100,
            }
        };
        retention::run(plan).await?;
    }
    if matches!(args.part, Part::All | Part::Requests) {
        let plan = if args.quick {
            requests::Plan {
                units: 2,
                idle_seconds: 2,
            }
        } else {
            requests::Plan {
                units: 20,
                idle_seconds: args.idle_seconds.max(1),
            }
        };
        requests::run(plan).await?;
    }
    if matches!(args.part, Part::All | Part::Scale) {
        let point = |ports, keys, vxcs| scale::Point { ports, keys, vxcs };
        if args.quick {
            scale::run(&[point(10, 200, 100)], 1, 0.2, Duration::from_secs(2)).await?;
        } else {
            let points = [
                point(10, 200, 100),
                point(100, 2_000, 1_000),
                point(1_000, 1_000, 10_000),
                point(1_000, 20_000, 10_000),
            ];
            scale::run(
                &points,
                args.rounds.max(1),
                args.seconds,
                Duration::from_secs(10),
            )
            .await?;
        }
    }
    Ok(())
}

/// In the child: starts the server, prints its address on the first line of stdout, serves.
async fn serve(role: Role, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    match role {
        Role::Sandbox => return serve_sandbox(args.scale.as_deref().unwrap_or("0,0,0")).await,
        Role::OnrampOnSandbox => return serve_on_sandbox(args).await,
        _ => {}
    }
    let answers = args.answers.clone();
    let mut config = bench_config();
    // The fan-out spreads its streams over few connections; allow them all on one.
    config.limits.max_concurrent_streams = 1_000_000;
    if role != Role::Noop {
        if role == Role::OnrampWithTracing {
            config.otlp.endpoint = format!("http://{}", otlp_sink::start().await?);
        }
        // Logging as deployed (the default level, to stderr, which the parent writes to a file): with
        // no subscriber, every span and event below the level would still be built.
        let telemetry =
            onramp_server::telemetry::init(config.log_format, &config.log_level, &config.otlp)?;
        // Kept for the child's life; the parent kills the child at the end.
        std::mem::forget(telemetry);
    }
    let addr = match role {
        Role::Noop => {
            let path = answers.ok_or("--serve noop needs --answers")?;
            reads::start_noop(reads::Answers::read(&path)?).await?
        }
        Role::OnrampWithoutMetrics => {
            config.admin.listen = String::new();
            start_onramp(config).await?
        }
        _ => start_onramp(config).await?,
    };
    println!("{addr}");
    std::future::pending::<()>().await;
    Ok(())
}

/// The scale part's sandbox: a generated large provider, its limits off.
async fn serve_sandbox(scale: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = megaport_sandbox::SandboxConfig {
        seed: scale::seed(scale)?,
        limits: megaport_sandbox::SandboxLimits::off(),
        ..megaport_sandbox::SandboxConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox = megaport_sandbox::spawn(listener, config).await?;
    println!("{}", sandbox.addr());
    std::future::pending::<()>().await;
    Ok(())
}

/// The scale part's onramp: on the sandbox child, set up for its profile.
async fn serve_on_sandbox(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = args
        .sandbox
        .ok_or("--serve onramp-on-sandbox needs --sandbox")?;
    let profile = args
        .profile
        .ok_or("--serve onramp-on-sandbox needs --profile")?;
    let credentials = megaport_sandbox::Seed::default_scenario().credentials();
    let mut config = on_sandbox(
        bench_config(),
        &format!("http://{sandbox}/"),
        &format!("http://{sandbox}/oauth2/token"),
        &credentials,
    )?;
    config.admin.listen = args
        .admin
        .clone()
        .ok_or("--serve onramp-on-sandbox needs --admin")?;
    let config = scale::configure(config, profile);
    let telemetry =
        onramp_server::telemetry::init(config.log_format, &config.log_level, &config.otlp)?;
    std::mem::forget(telemetry);
    println!("{}", start_onramp(config).await?);
    std::future::pending::<()>().await;
    Ok(())
}

/// onramp as the benchmark runs it: the embedded sandbox, a fresh data directory, and the
/// bearer token every call sends.
fn bench_config() -> Config {
    let mut config = Config {
        data_dir: std::env::temp_dir().join(format!("onramp-bench-{}", uuid::Uuid::new_v4())),
        ..Config::default()
    };
    // Metrics on, as deployed; on a free port, so servers in one run do not collide.
    config.admin.listen = "127.0.0.1:0".to_owned();
    config.auth.tokens = vec![TokenSettings {
        name: "bench".into(),
        sha256: onramp_server::auth::tokens::hash_hex(TOKEN),
        scopes: vec![Scope::Admin],
        revoked: false,
        accounts: Vec::new(),
        customer_refs: Vec::new(),
    }];
    config
}

/// `config` pointed at a sandbox, with the seed's companies as accounts (the first, the
/// provider, the default) and the sandbox's regions, as the embedded sandbox has them.
fn on_sandbox(
    mut config: Config,
    base_url: &str,
    token_url: &str,
    credentials: &[megaport_sandbox::SandboxCredentials],
) -> Result<Config, Box<dyn std::error::Error>> {
    use onramp_server::config::{AccountConfig, MegaportEnvironment};
    let (provider, customers) = credentials.split_first().ok_or("seed has no companies")?;
    config.megaport.environment = MegaportEnvironment::Custom;
    config.megaport.base_url = Some(base_url.to_owned());
    config.megaport.token_url = Some(token_url.to_owned());
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
    let regions = std::env::temp_dir().join(format!(
        "onramp-bench-regions-{}.toml",
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&regions, onramp_server::regions_file::SANDBOX_REGIONS)?;
    config.regions_file = Some(regions);
    // Sandboxes here are the benchmark's own, their limits off: onramp's budget would only pace
    // the work, not change its cost. One update per VXC per 5 minutes would make changes wait.
    config.megaport.budget.requests = 100_000;
    config.megaport.budget.service_update_interval_seconds = 0;
    Ok(config)
}

/// Starts onramp in this process on a free loopback port.
async fn start_onramp(config: Config) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(onramp_server::server::run(
        listener,
        config,
        std::future::pending::<()>(),
    ));
    Ok(addr)
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = format!("Bearer {TOKEN}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// Connections as a tuned client opens them: TCP_NODELAY, and HTTP/2 windows the size of
/// onramp's own (h2's 64 KiB default connection window would make a connection carrying 1,000
/// streams wait for window updates on every change; grpc-go grows its windows by itself).
async fn channels(addr: SocketAddr, count: usize) -> Result<Vec<Channel>, tonic::transport::Error> {
    let mut channels = Vec::new();
    for _ in 0..count {
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
            .tcp_nodelay(true)
            .initial_stream_window_size(1024 * 1024)
            .initial_connection_window_size(4 * 1024 * 1024);
        channels.push(endpoint.connect().await?);
    }
    Ok(channels)
}
