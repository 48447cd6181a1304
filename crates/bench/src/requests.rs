//! Megaport requests per unit of work: each write RPC repeated on the default seed, and onramp
//! idle with default settings, counted by route at a sandbox of its own (limits off, so that
//! nothing is refused and retried). During the writes, onramp's background reads are slowed to
//! once an hour, so only what the work itself costs is counted; a write's poke of the key
//! watcher is part of its cost.

use std::collections::BTreeMap;
use std::time::Duration;

use megaport_sandbox::{RouteGroup, SandboxConfig, SandboxCredentials, SandboxHandle};
use onramp_proto as pb;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_server::config::Config;
use tonic::transport::Channel;

use crate::{authorized, bench_config, on_sandbox, start_onramp};

/// QuantumGPU LA1 (blue) in the default seed: where single keys are minted.
const LA1_BLUE: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
/// Acme's Port in Equinix LA1: the A-end of every order.
const ACME_PORT: &str = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a";

/// Every route group the sandbox counts, in the order printed.
const GROUPS: [RouteGroup; 16] = [
    RouteGroup::Token,
    RouteGroup::Products,
    RouteGroup::Product,
    RouteGroup::Locations,
    RouteGroup::LocationRtt,
    RouteGroup::ServiceKey,
    RouteGroup::Validate,
    RouteGroup::Buy,
    RouteGroup::VxcUpdate,
    RouteGroup::PortVlan,
    RouteGroup::Telemetry,
    RouteGroup::Events,
    RouteGroup::Approvals,
    RouteGroup::ApprovalDecide,
    RouteGroup::Lifecycle,
    RouteGroup::Pricing,
];

pub(crate) struct Plan {
    /// Times each write is repeated.
    pub units: usize,
    /// Seconds onramp is watched idle (after a settling minute's worth of start-up).
    pub idle_seconds: u64,
}

/// Requests by route group since `since` (a snapshot of the counts).
#[derive(Clone, Default)]
struct Counts(BTreeMap<&'static str, usize>);

impl Counts {
    fn of(sandbox: &SandboxHandle) -> Self {
        let control = sandbox.control();
        Self(
            GROUPS
                .iter()
                .map(|group| (group.name(), control.requests(*group)))
                .collect(),
        )
    }

    fn since(&self, before: &Counts) -> Counts {
        Counts(
            self.0
                .iter()
                .map(|(name, count)| (*name, count - before.0.get(name).copied().unwrap_or(0)))
                .filter(|(_, count)| *count > 0)
                .collect(),
        )
    }

    fn total(&self) -> usize {
        self.0.values().sum()
    }

    /// "buy 1, validate 1" per `units`.
    fn per(&self, units: f64) -> String {
        self.0
            .iter()
            .map(|(name, count)| format!("{name} {}", figure(*count as f64 / units)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn figure(value: f64) -> String {
    if (value - value.round()).abs() < 0.005 {
        format!("{}", value.round())
    } else {
        format!("{value:.2}")
    }
}

pub(crate) async fn run(plan: Plan) -> Result<(), Box<dyn std::error::Error>> {
    println!();
    println!(
        "Megaport requests per unit of work (default seed, counted at the sandbox; {} of each)",
        plan.units
    );
    println!(
        "| unit of work | Megaport requests | by route | the least it could be |\n|---|---|---|---|"
    );
    writes(plan.units).await?;
    idle(plan.idle_seconds).await?;
    Ok(())
}

/// A sandbox with its limits off, on a free loopback port.
async fn sandbox() -> Result<(SandboxHandle, Vec<SandboxCredentials>), Box<dyn std::error::Error>> {
    let config = SandboxConfig {
        limits: megaport_sandbox::SandboxLimits::off(),
        ..SandboxConfig::default()
    };
    let credentials = config.seed.credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok((
        megaport_sandbox::spawn(listener, config).await?,
        credentials,
    ))
}

async fn connect(config: Config) -> Result<Channel, Box<dyn std::error::Error>> {
    let addr = start_onramp(config).await?;
    let channel = crate::channels(addr, 1).await?.remove(0);
    // Ready once the catalog answers.
    let mut catalog = CatalogServiceClient::new(channel.clone());
    for _ in 0..600 {
        if catalog
            .list_on_ramps(authorized(pb::ListOnRampsRequest::default()))
            .await
            .is_ok()
        {
            return Ok(channel);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("onramp did not become ready".into())
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Counts `units` repetitions of `work` (after one warm-up), and prints its row.
async fn measure<F, Fut>(
    sandbox: &SandboxHandle,
    name: &str,
    least: usize,
    units: usize,
    mut work: F,
) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    work().await?;
    settle().await;
    let before = Counts::of(sandbox);
    for _ in 0..units {
        work().await?;
    }
    settle().await;
    let spent = Counts::of(sandbox).since(&before);
    let units = units as f64;
    println!(
        "| {name} | {} | {} | {least} |",
        figure(spent.total() as f64 / units),
        spent.per(units)
    );
    Ok(())
}

/// Lets a write's background consequences (the key watcher's poke) reach Megaport.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn writes(units: usize) -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, credentials) = sandbox().await?;
    let mut config = on_sandbox(
        bench_config(),
        &sandbox.base_url(),
        &sandbox.token_url(),
        &credentials,
    )?;
    let hour = 3_600;
    config.watch.poll_interval_millis = hour * 1_000;
    config.approvals.poll_interval_seconds = hour;
    config.signals.events_interval_seconds = hour;
    config.signals.enabled = false;
    // The caller's write quota (60 a minute) would pace the writes, not change their cost.
    config.limits.writes_per_minute = 100_000;
    let channel = connect(config).await?;
    let keys = ServiceKeyServiceClient::new(channel.clone());
    let orders = VxcOrderServiceClient::new(channel.clone());

    let single_key = || {
        let mut keys = keys.clone();
        async move {
            let created = keys
                .create_service_key(authorized(pb::CreateServiceKeyRequest {
                    port_uid: LA1_BLUE.to_owned(),
                    single_use: true,
                    max_speed_mbps: 1_000,
                    pre_approved: true,
                    customer_ref: "bench".to_owned(),
                    request_id: request_id(),
                    ..Default::default()
                }))
                .await?
                .into_inner();
            Ok::<_, Box<dyn std::error::Error>>(created.service_key.ok_or("no key")?.key)
        }
    };
    measure(&sandbox, "CreateServiceKey (single-use)", 1, units, || {
        let mint = single_key();
        async move {
            mint.await?;
            Ok(())
        }
    })
    .await?;
    measure(
        &sandbox,
        "IssueServiceKeys (a red+blue pair)",
        2,
        units,
        || {
            let mut keys = keys.clone();
            async move {
                keys.issue_service_keys(authorized(pb::IssueServiceKeysRequest {
                    region: "us-west".to_owned(),
                    diversity: pb::DiversityPreference::Required.into(),
                    max_speed_mbps: 500,
                    single_use: true,
                    pre_approved: true,
                    customer_ref: "bench".to_owned(),
                    request_id: request_id(),
                    ..Default::default()
                }))
                .await?;
                Ok(())
            }
        },
    )
    .await?;
    // Changes: on keys minted beforehand, one each.
    for change in ["UpdateServiceKey (description)", "DeactivateServiceKey"] {
        let mut minted = Vec::new();
        for _ in 0..=units {
            minted.push(single_key().await?);
        }
        let pool = std::sync::Arc::new(std::sync::Mutex::new(minted));
        measure(&sandbox, change, 1, units, || {
            let (mut keys, pool) = (keys.clone(), pool.clone());
            async move {
                let key = pool
                    .lock()
                    .map_err(|_| "pool")?
                    .pop()
                    .ok_or("no key left")?;
                if change.starts_with("Update") {
                    let service_key = pb::ServiceKey {
                        key,
                        description: "renamed".to_owned(),
                        ..Default::default()
                    };
                    keys.update_service_key(authorized(pb::UpdateServiceKeyRequest {
                        service_key: Some(service_key),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["description".to_owned()],
                        }),
                    }))
                    .await?;
                } else {
                    keys.deactivate_service_key(authorized(pb::DeactivateServiceKeyRequest {
                        key,
                    }))
                    .await?;
                }
                Ok(())
            }
        })
        .await?;
    }

    // The orders: Acme buys with one multi-use, pre-approved key of the provider's.
    let shared_key = keys
        .clone()
        .create_service_key(authorized(pb::CreateServiceKeyRequest {
            port_uid: LA1_BLUE.to_owned(),
            single_use: false,
            max_speed_mbps: 10_000,
            pre_approved: true,
            customer_ref: "acme".to_owned(),
            request_id: request_id(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .service_key
        .ok_or("no key")?
        .key;
    let spec = move || pb::VxcOrderSpec {
        service_key: shared_key.clone(),
        a_end_port_uid: ACME_PORT.to_owned(),
        rate_limit_mbps: 10,
        term_months: 12,
        name: "bench".to_owned(),
        ..Default::default()
    };
    let spec_for_buy = spec.clone();
    let orders_for_buy = orders.clone();
    let bought = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // And with single-use keys, each minted beforehand, as the guide sells them.
    let mut minted = Vec::new();
    for _ in 0..=units {
        minted.push(single_key().await?);
    }
    let pool = std::sync::Arc::new(std::sync::Mutex::new(minted));
    measure(
        &sandbox,
        "CreateVxcOrder (single-use key)",
        1,
        units,
        || {
            let (mut orders, pool, spec) = (orders.clone(), pool.clone(), spec.clone());
            async move {
                let key = pool
                    .lock()
                    .map_err(|_| "pool")?
                    .pop()
                    .ok_or("no key left")?;
                orders
                    .create_vxc_order(authorized(pb::CreateVxcOrderRequest {
                        account: "acme".to_owned(),
                        spec: Some(pb::VxcOrderSpec {
                            service_key: key,
                            ..spec()
                        }),
                        request_id: request_id(),
                    }))
                    .await?;
                Ok(())
            }
        },
    )
    .await?;
    measure(&sandbox, "CreateVxcOrder (multi-use key)", 1, units, {
        let bought = bought.clone();
        move || {
            let (mut orders, spec) = (orders_for_buy.clone(), spec_for_buy());
            let bought = bought.clone();
            async move {
                let order = orders
                    .create_vxc_order(authorized(pb::CreateVxcOrderRequest {
                        account: "acme".to_owned(),
                        spec: Some(spec),
                        request_id: request_id(),
                    }))
                    .await?
                    .into_inner()
                    .order
                    .ok_or("no order")?;
                bought.lock().map_err(|_| "bought")?.push(order.vxc_uid);
                Ok(())
            }
        }
    })
    .await?;

    // The connection's life after it: each VXC bought above shut down, then cancelled at the
    // end of its term, once it is LIVE (the sandbox's VXCs are in a few seconds).
    tokio::time::sleep(Duration::from_secs(6)).await;
    for (name, shut_down) in [
        ("ChangeVxc (shut down)", true),
        ("CancelVxc (at term end)", false),
    ] {
        let vxcs = bought.lock().map_err(|_| "bought")?.clone();
        let pool = std::sync::Arc::new(std::sync::Mutex::new(vxcs));
        let orders = orders.clone();
        measure(&sandbox, name, 1, units, || {
            let (mut orders, pool) = (orders.clone(), pool.clone());
            async move {
                let vxc_uid = pool
                    .lock()
                    .map_err(|_| "pool")?
                    .pop()
                    .ok_or("no vxc left")?;
                if shut_down {
                    orders
                        .change_vxc(authorized(pb::ChangeVxcRequest {
                            account: "acme".to_owned(),
                            vxc_uid,
                            shutdown: Some(true),
                            request_id: request_id(),
                            ..Default::default()
                        }))
                        .await?;
                } else {
                    orders
                        .cancel_vxc(authorized(pb::CancelVxcRequest {
                            account: "acme".to_owned(),
                            vxc_uid,
                            now: false,
                            request_id: request_id(),
                        }))
                        .await?;
                }
                Ok(())
            }
        })
        .await?;
    }
    Ok(())
}

/// onramp with default settings and nothing to do, watched for `seconds` after it has settled
/// (its first minute fills the caches and the Ports' telemetry).
async fn idle(seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let (sandbox, credentials) = sandbox().await?;
    let config = on_sandbox(
        bench_config(),
        &sandbox.base_url(),
        &sandbox.token_url(),
        &credentials,
    )?;
    let _channel = connect(config).await?;
    tokio::time::sleep(Duration::from_secs(seconds.min(60))).await;
    let before = Counts::of(&sandbox);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let spent = Counts::of(&sandbox).since(&before);
    let windows = seconds as f64 / 300.0;
    println!(
        "| idle, defaults, per 5 minutes (watched {seconds} s) | {} | {} | 0 |",
        figure(spent.total() as f64 / windows),
        spent.per(windows)
    );
    Ok(())
}
