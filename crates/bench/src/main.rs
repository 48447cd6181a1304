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

use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Only the reads, only the fan-out, only the retention part, or only the Megaport requests
    /// per unit of work.
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    All,
    Reads,
    Fanout,
    Retention,
    Requests,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(role) = args.serve {
        return serve(role, args.answers).await;
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
    Ok(())
}

/// In the child: starts the server, prints its address on the first line of stdout, serves.
async fn serve(role: Role, answers: Option<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
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
        Role::Onramp | Role::OnrampWithTracing => start_onramp(config).await?,
        Role::OnrampWithoutMetrics => {
            config.admin.listen = String::new();
            start_onramp(config).await?
        }
        Role::Noop => {
            let path = answers.ok_or("--serve noop needs --answers")?;
            reads::start_noop(reads::Answers::read(&path)?).await?
        }
    };
    println!("{addr}");
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
