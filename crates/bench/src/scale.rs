//! How onramp's costs grow with a provider's inventory: a sandbox seeded with a generated large
//! provider (`megaport_sandbox::Scale`), and onramp on it, each in a child process, at several
//! sizes. Per size: time to ready, resident memory, a WatchServiceKeys snapshot, and the CPU
//! and wall time of one key poll with its diff and of one products refresh; at the largest,
//! the warm reads against the same-payload no-op. Printed as a curve, so a cost that grows
//! faster than the inventory shows as a slope.

use std::ffi::OsString;
use std::time::Duration;

use onramp_proto as pb;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::watch_service_keys_response::Kind;
use onramp_server::config::Config;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::child::{Role, Server};
use crate::{authorized, channels};

/// QuantumGPU LA1 in the default scenario, which every generated seed keeps.
const LA1_BLUE: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";

/// One size of provider.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    pub ports: usize,
    pub keys: usize,
    pub vxcs: usize,
}

impl Point {
    fn scale(self) -> megaport_sandbox::Scale {
        megaport_sandbox::Scale {
            ports: self.ports,
            // 1,000 Ports in 200 locations, as the issue has it.
            locations: (self.ports / 5).max(1),
            keys: self.keys,
            vxcs: self.vxcs,
        }
    }

    /// How the child is told (`--scale PORTS,KEYS,VXCS`).
    fn arg(self) -> String {
        format!("{},{},{}", self.ports, self.keys, self.vxcs)
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let numbers: Vec<usize> = text
            .split(',')
            .map(|part| part.trim().parse::<usize>().map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        match numbers[..] {
            [ports, keys, vxcs] => Ok(Point { ports, keys, vxcs }),
            _ => Err(format!("`{text}` is not PORTS,KEYS,VXCS")),
        }
    }
}

/// What an onramp child is set up to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Profile {
    /// The key list polled every second, nothing else in the background.
    Polls,
    /// The products stale after a second, so reads refresh them; no key polls.
    Refreshes,
    /// As deployed (default settings), for the reads against the no-op.
    Reads,
}

/// Settings of an onramp child of `profile`.
pub(crate) fn configure(mut config: Config, profile: Profile) -> Config {
    let hour = 3_600;
    if profile != Profile::Reads {
        config.signals.enabled = false;
        config.approvals.poll_interval_seconds = hour;
    }
    match profile {
        Profile::Polls => config.watch.poll_interval_millis = 1_000,
        Profile::Refreshes => {
            config.watch.poll_interval_millis = hour * 1_000;
            config.catalog.products_soft_ttl_seconds = 1;
        }
        Profile::Reads => {}
    }
    config
}

/// The sandbox child's seed.
pub(crate) fn seed(point: &str) -> Result<megaport_sandbox::Seed, String> {
    Ok(megaport_sandbox::Seed::large_provider(
        Point::parse(point)?.scale(),
    ))
}

/// One row of the curve.
struct Row {
    point: Point,
    ready: Duration,
    resident_mb: f64,
    snapshot: Duration,
    poll_cpu_ms: f64,
    poll_wall_ms: f64,
    refresh_cpu_ms: f64,
    refresh_wall_ms: f64,
}

pub(crate) async fn run(
    points: &[Point],
    rounds: usize,
    seconds: f64,
    window: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for (index, point) in points.iter().enumerate() {
        let sandbox = Server::start_with(Role::Sandbox, &["--scale".into(), point.arg().into()])?;
        rows.push(measure(*point, &sandbox, window).await?);
        if index + 1 == points.len() {
            let (onramp, _) = onramp_child(&sandbox, Profile::Reads)?;
            ready(&onramp, point.keys).await?;
            ratios = crate::reads::ratios_of(&onramp, rounds, seconds).await?;
        }
    }
    println!();
    println!(
        "Cost as the inventory grows (generated provider on a sandbox; {} s windows)",
        window.as_secs()
    );
    println!(
        "| Ports | keys | VXCs | ready s | RSS MB | key snapshot ms | key poll CPU ms | key poll wall ms | products refresh CPU ms | products refresh wall ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            row.point.ports,
            row.point.keys,
            row.point.vxcs,
            row.ready.as_secs_f64(),
            row.resident_mb,
            row.snapshot.as_secs_f64() * 1e3,
            row.poll_cpu_ms,
            row.poll_wall_ms,
            row.refresh_cpu_ms,
            row.refresh_wall_ms,
        );
    }
    if let Some(largest) = points.last() {
        println!();
        println!(
            "Warm reads at {} Ports and {} keys against the same-payload no-op ({rounds} rounds, {seconds} s a row)",
            largest.ports, largest.keys
        );
        println!("| call | load | ratio | p99 ratio |\n|---|---|---|---|");
        for (call, load, ratio, p99) in &ratios {
            println!("| {call} | {load} | {ratio:.2} | {p99:.2} |");
        }
    }
    Ok(())
}

/// An onramp child of `profile` on `sandbox`, and its admin address.
fn onramp_child(
    sandbox: &Server,
    profile: Profile,
) -> Result<(Server, String), Box<dyn std::error::Error>> {
    let admin = free_port()?;
    let profile = clap::ValueEnum::to_possible_value(&profile)
        .ok_or("a profile")?
        .get_name()
        .to_owned();
    let args: Vec<OsString> = vec![
        "--sandbox".into(),
        sandbox.addr.to_string().into(),
        "--profile".into(),
        profile.into(),
        "--admin".into(),
        admin.to_string().into(),
    ];
    Ok((
        Server::start_with(Role::OnrampOnSandbox, &args)?,
        admin.to_string(),
    ))
}

/// A loopback address free a moment ago, for a child's admin listener.
fn free_port() -> std::io::Result<std::net::SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

async fn measure(
    point: Point,
    sandbox: &Server,
    window: Duration,
) -> Result<Row, Box<dyn std::error::Error>> {
    // Keys: ready (the catalog loaded and the first poll's keys in a snapshot), memory, and
    // polls every second over the window.
    let started = Instant::now();
    let (onramp, admin) = onramp_child(sandbox, Profile::Polls)?;
    let channel = ready(&onramp, point.keys).await?;
    let ready_after = started.elapsed();
    let snapshot_started = Instant::now();
    snapshot_keys(&channel).await?;
    let snapshot = snapshot_started.elapsed();
    let resident_mb = onramp.resident_bytes()? as f64 / (1024.0 * 1024.0);
    let (cpu, polls) = (
        onramp.cpu_time()?,
        histogram(&admin, "watch_poll_duration_seconds").await?,
    );
    tokio::time::sleep(window).await;
    let (cpu_after, polls_after) = (
        onramp.cpu_time()?,
        histogram(&admin, "watch_poll_duration_seconds").await?,
    );
    let poll_count = (polls_after.count - polls.count).max(1.0);
    let poll_cpu_ms = (cpu_after - cpu).as_secs_f64() * 1e3 / poll_count;
    let poll_wall_ms = (polls_after.sum - polls.sum) * 1e3 / poll_count;
    drop(onramp);

    // Products: stale after a second, read every 100 ms, so refreshed about once a second.
    let (onramp, admin) = onramp_child(sandbox, Profile::Refreshes)?;
    let channel = ready(&onramp, point.keys).await?;
    let products = "megaport_request_duration_seconds";
    let route = "route=\"products\"";
    let (cpu, loads) = (
        onramp.cpu_time()?,
        histogram_of(&admin, products, route).await?,
    );
    let mut catalog = CatalogServiceClient::new(channel);
    let until = Instant::now() + window;
    while Instant::now() < until {
        catalog
            .get_on_ramp(authorized(pb::GetOnRampRequest {
                port_uid: LA1_BLUE.to_owned(),
            }))
            .await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The last refresh started may still be on its way.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu_after, loads_after) = (
        onramp.cpu_time()?,
        histogram_of(&admin, products, route).await?,
    );
    let refreshes = (loads_after.count - loads.count).max(1.0);
    Ok(Row {
        point,
        ready: ready_after,
        resident_mb,
        snapshot,
        poll_cpu_ms,
        poll_wall_ms,
        refresh_cpu_ms: (cpu_after - cpu).as_secs_f64() * 1e3 / refreshes,
        refresh_wall_ms: (loads_after.sum - loads.sum) * 1e3 / refreshes,
    })
}

/// Waits until onramp answers from a loaded catalog and its first key poll is in, and returns
/// a channel to it.
async fn ready(onramp: &Server, keys: usize) -> Result<Channel, Box<dyn std::error::Error>> {
    let channel = channels(onramp.addr, 1).await?.remove(0);
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if Instant::now() > deadline {
            return Err(format!("onramp was not ready; its log: {}", onramp.keep_log()).into());
        }
        let loaded = catalog
            .list_on_ramps(authorized(pb::ListOnRampsRequest::default()))
            .await
            .is_ok_and(|answer| !answer.into_inner().on_ramps.is_empty());
        if loaded && snapshot_keys(&channel).await? >= keys {
            return Ok(channel);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads one WatchServiceKeys snapshot to its end; how many keys it held.
async fn snapshot_keys(channel: &Channel) -> Result<usize, Box<dyn std::error::Error>> {
    let mut stream = ServiceKeyServiceClient::new(channel.clone())
        .watch_service_keys(authorized(pb::WatchServiceKeysRequest::default()))
        .await?
        .into_inner();
    let mut keys = 0;
    while let Some(message) = stream.message().await? {
        if let Some(Kind::Snapshot(snapshot)) = message.kind {
            keys += snapshot.service_keys.len();
            if !message.resume_token.is_empty() {
                break;
            }
        }
    }
    Ok(keys)
}

/// A histogram's sum and count in a Prometheus scrape.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    sum: f64,
    count: f64,
}

async fn histogram(admin: &str, name: &str) -> Result<Totals, Box<dyn std::error::Error>> {
    histogram_of(admin, name, "").await
}

/// The sum and count of `name` over the series whose labels contain `label`.
async fn histogram_of(
    admin: &str,
    name: &str,
    label: &str,
) -> Result<Totals, Box<dyn std::error::Error>> {
    let text = reqwest::get(format!("http://{admin}/metrics"))
        .await?
        .text()
        .await?;
    let mut totals = Totals::default();
    for line in text.lines().filter(|line| line.contains(label)) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let value: f64 = value.parse().unwrap_or(0.0);
        let metric = series.split('{').next().unwrap_or(series);
        if metric.ends_with(&format!("{name}_sum")) {
            totals.sum += value;
        } else if metric.ends_with(&format!("{name}_count")) {
            totals.count += value;
        }
    }
    Ok(totals)
}
