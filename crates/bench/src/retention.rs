//! A big audit log: what a Prometheus scrape costs with a million audit records against an empty
//! store (the table sizes are estimates, not counts), and how the pruner brings the log to its
//! horizon while calls keep writing to it.
//!
//! onramp runs in this process here (on SQLite, as a single node runs it), once per data
//! directory; the figures are ratios within this run.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use onramp_proto::CreateRegionRequest;
use onramp_proto::region_service_client::RegionServiceClient;
use onramp_server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::{authorized, bench_config};

/// How big the log is and how long each measurement runs.
pub(crate) struct Plan {
    pub(crate) records: usize,
    pub(crate) rounds: usize,
    pub(crate) scrapes_per_round: usize,
}

type Error = Box<dyn std::error::Error>;

/// A running onramp: its gRPC and admin addresses, and how to stop it.
struct Running {
    grpc: SocketAddr,
    admin: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(data_dir: &Path, audit_days: u32) -> Result<Self, Error> {
        let mut config: Config = bench_config();
        config.data_dir = data_dir.to_owned();
        config.retention.audit_days = audit_days;
        // The writes below are the measurement, not a caller to hold back.
        config.limits.writes_per_minute = 10_000_000;
        config.limits.write_burst = 10_000_000;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let (grpc, admin) = (listener.local_addr()?, admin_listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = onramp_server::server::run_with_admin(
                listener,
                Some(admin_listener),
                config,
                shutdown,
            )
            .await
            {
                eprintln!("onramp stopped: {error}");
            }
        });
        let running = Self {
            grpc,
            admin,
            stop,
            task,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(running.admin, "/readyz")
            .await
            .ok()
            .map(|(_, status, _)| status)
            != Some(200)
        {
            if Instant::now() > deadline {
                return Err("onramp was not ready within a minute".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(running)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }

    /// The store's estimate of the audit log's rows, from a scrape.
    async fn audit_rows(&self) -> Result<i64, Error> {
        let (_, _, body) = get(self.admin, "/metrics").await?;
        body.lines()
            .find(|line| line.starts_with("onramp_store_rows{table=\"audit_records\"}"))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse::<f64>().ok())
            .map(|rows| rows as i64)
            .ok_or_else(|| "no audit_records row estimate in the scrape".into())
    }
}

/// One HTTP/1.1 GET: how long it took, its status and its body.
async fn get(addr: SocketAddr, path: &str) -> Result<(Duration, u16, String), Error> {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((elapsed, status, body))
}

/// The median and the 99th percentile, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |quantile: f64| {
        let index = ((samples.len() as f64 - 1.0) * quantile).round() as usize;
        samples[index].as_secs_f64() * 1e6
    };
    (at(0.5), at(0.99))
}

async fn scrapes(running: &Running, count: usize) -> Result<Vec<Duration>, Error> {
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let (elapsed, status, _) = get(running.admin, "/metrics").await?;
        if status != 200 {
            return Err(format!("scrape answered {status}").into());
        }
        samples.push(elapsed);
    }
    Ok(samples)
}

/// A mutating call the handler refuses (INVALID_ARGUMENT) after the auth layer admitted it: its
/// cost is one audit append, a write to the table being pruned.
async fn audited_write(client: &mut RegionServiceClient<tonic::transport::Channel>) -> Duration {
    let started = Instant::now();
    let _ = client
        .create_region(authorized(CreateRegionRequest::default()))
        .await;
    started.elapsed()
}

pub(crate) async fn run(plan: Plan) -> Result<(), Error> {
    let root =
        std::env::temp_dir().join(format!("onramp-bench-retention-{}", uuid::Uuid::new_v4()));
    let (empty_dir, full_dir) = (root.join("empty"), root.join("full"));
    let outcome = measure(&plan, &empty_dir, &full_dir).await;
    let _ = std::fs::remove_dir_all(&root);
    outcome
}

async fn measure(plan: &Plan, empty_dir: &Path, full_dir: &Path) -> Result<(), Error> {
    // A log of `records` rows, all older than the 400-day default horizon.
    let day_ms = 24 * 3600 * 1000;
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;
    let loading = Instant::now();
    {
        let store = onramp_store::Store::open(full_dir).await?;
        store
            .load_audit_records(plan.records, now_ms - 500 * day_ms)
            .await?;
    }
    println!(
        "\nretention: {} audit records loaded in {:.1} s",
        plan.records,
        loading.elapsed().as_secs_f64()
    );

    // Scrapes: the empty store against the full one (kept forever: audit_days = 0), rounds
    // alternating, the ratio of medians per round.
    let empty = Running::start(empty_dir, 0).await?;
    let full = Running::start(full_dir, 0).await?;
    let rows = full.audit_rows().await?;
    let mut ratios = Vec::new();
    let (mut empty_samples, mut full_samples) = (Vec::new(), Vec::new());
    for _ in 0..plan.rounds {
        let round_empty = scrapes(&empty, plan.scrapes_per_round).await?;
        let round_full = scrapes(&full, plan.scrapes_per_round).await?;
        ratios.push(percentiles(round_full.clone()).0 / percentiles(round_empty.clone()).0);
        empty_samples.extend(round_empty);
        full_samples.extend(round_full);
    }
    ratios.sort_by(f64::total_cmp);
    let (empty_p50, empty_p99) = percentiles(empty_samples);
    let (full_p50, full_p99) = percentiles(full_samples);
    println!("scrape latency (GET /metrics, µs)   p50       p99   (store_rows estimate)");
    println!("  empty store                  {empty_p50:>8.0}  {empty_p99:>8.0}");
    println!("  {rows:>8} audit records      {full_p50:>8.0}  {full_p99:>8.0}");
    println!(
        "  ratio full/empty, median of {} rounds' medians: {:.2}",
        ratios.len(),
        ratios[ratios.len() / 2]
    );
    empty.stop().await;
    full.stop().await;

    // Pruning: the same log under the default horizon; audited writes go on throughout, and
    // again once the log is at its horizon.
    let pruning = Instant::now();
    let running = Running::start(full_dir, 400).await?;
    let mut client = RegionServiceClient::connect(format!("http://{}", running.grpc)).await?;
    let mut during = Vec::new();
    let mut last_check = Instant::now();
    let pruned_in = loop {
        during.push(audited_write(&mut client).await);
        if last_check.elapsed() >= Duration::from_millis(250) {
            last_check = Instant::now();
            // The writes add rows of their own, which are not past the horizon.
            if running.audit_rows().await? <= during.len() as i64 {
                break pruning.elapsed();
            }
        }
        if pruning.elapsed() > Duration::from_secs(600) {
            return Err("the pruner did not reach the horizon in ten minutes".into());
        }
    };
    let mut after = Vec::with_capacity(during.len().min(5000));
    for _ in 0..during.len().clamp(200, 5000) {
        after.push(audited_write(&mut client).await);
    }
    running.stop().await;
    let (during_p50, during_p99) = percentiles(during.clone());
    let after_max = after.iter().max().copied().unwrap_or_default();
    let (after_p50, after_p99) = percentiles(after);
    println!(
        "pruning {} records to the horizon: {:.1} s from start ({:.0} rows/s), batches of {}",
        plan.records,
        pruned_in.as_secs_f64(),
        plan.records as f64 / pruned_in.as_secs_f64(),
        onramp_server::retention::RetentionSettings::default().batch_rows
    );
    println!("audited write (CreateRegion refused, µs)   p50       p99   max");
    let max = during.iter().max().copied().unwrap_or_default();
    println!(
        "  while pruning ({:>6} calls)      {during_p50:>8.0}  {during_p99:>8.0}  {:>8.0}",
        during.len(),
        max.as_secs_f64() * 1e6
    );
    println!(
        "  after pruning                     {after_p50:>8.0}  {after_p99:>8.0}  {:>8.0}",
        after_max.as_secs_f64() * 1e6
    );
    println!(
        "  ratio while/after: p50 {:.2}, p99 {:.2}",
        during_p50 / after_p50,
        during_p99 / after_p99
    );
    Ok(())
}
