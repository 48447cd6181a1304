//! The fan-out: many WatchServiceKeys streams over a few connections, keys created at one a
//! second, and what every stream received: delivery, gaps, duplicates, latency from the
//! event's observe_time to receipt, and the server's memory per idle stream.
//!
//! onramp runs in a child process (see `child`) so its resident memory, read from `/proc`, is
//! its own and not the clients'.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use hdrhistogram::Histogram;
use onramp_proto as pb;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::child::{Role, Server, own_cpu_time};
use crate::{authorized, channels};

/// The customer_ref of the keys the fan-out creates, so streams count only those.
const CUSTOMER_REF: &str = "fanout-bench";
/// Streams being opened at once.
const OPENING: usize = 1_000;
/// How long after the last key every stream must have it.
const DELIVERY_WAIT: Duration = Duration::from_secs(20);

/// What one fan-out run does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) streams: usize,
    pub(crate) connections: usize,
    pub(crate) keys: usize,
}

/// What the streams of one connection saw, counted as it happens (so a stream still open at the
/// stop has its counts in).
#[derive(Default)]
struct Tally {
    /// The fan-out's keys announced as added (each once per stream, if nothing is duplicated).
    added: AtomicUsize,
    duplicates: AtomicUsize,
    /// Revisions skipped between a stream's snapshot and its last batch.
    gaps: AtomicUsize,
    /// Streams that ended before the run did (an error or the server's end).
    ended: AtomicUsize,
}

struct Shared {
    ready: AtomicUsize,
    complete: AtomicUsize,
    keys: usize,
    /// Streams being opened: at most [`OPENING`] between the request and the snapshot's end.
    opening: Arc<Semaphore>,
}

impl Tally {
    /// Adds `other`'s counts to these.
    fn add(&self, other: Self) {
        for (total, part) in [
            (&self.added, other.added),
            (&self.duplicates, other.duplicates),
            (&self.gaps, other.gaps),
            (&self.ended, other.ended),
        ] {
            total.fetch_add(part.into_inner(), Ordering::Relaxed);
        }
    }
}

pub(crate) async fn run(plan: Plan) -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::start(Role::Onramp, None)?;
    let pool = channels(server.addr, plan.connections).await?;
    let writer = channels(server.addr, 1).await?.remove(0);
    let port_uid = los_angeles_port(&writer).await?;
    let baseline = server.resident_bytes()?;

    let shared = Arc::new(Shared {
        ready: AtomicUsize::new(0),
        complete: AtomicUsize::new(0),
        keys: plan.keys,
        opening: Arc::new(Semaphore::new(OPENING)),
    });
    let (stop, stopped) = watch::channel(false);
    let open_started = Instant::now();
    let connections = pool.len();
    let tasks: Vec<_> = pool
        .into_iter()
        .enumerate()
        .map(|(index, channel)| {
            // The streams spread evenly; the first connections take the remainder.
            let streams =
                plan.streams / connections + usize::from(index < plan.streams % connections);
            tokio::spawn(connection(
                channel,
                streams,
                Arc::clone(&shared),
                stopped.clone(),
            ))
        })
        .collect();
    wait_until(
        || shared.ready.load(Ordering::Relaxed) >= plan.streams,
        Duration::from_secs(300),
    )
    .await;
    let opened_in = open_started.elapsed();
    let ready = shared.ready.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.resident_bytes()?;

    // CPU from the first key to the last delivery, of both processes sharing the cores: what
    // the latency is made of, and steadier than it from run to run.
    let cpu_before = (server.cpu_time()?, own_cpu_time()?);
    let mut keys = ServiceKeyServiceClient::new(writer);
    for _ in 0..plan.keys {
        let tick = Instant::now();
        keys.create_service_key(authorized(pb::CreateServiceKeyRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            port_uid: port_uid.clone(),
            max_speed_mbps: 100,
            customer_ref: CUSTOMER_REF.to_owned(),
            ..Default::default()
        }))
        .await?;
        tokio::time::sleep_until(tick + Duration::from_secs(1)).await;
    }
    wait_until(
        || shared.complete.load(Ordering::Relaxed) >= plan.streams,
        DELIVERY_WAIT,
    )
    .await;
    let cpu = (
        server.cpu_time()? - cpu_before.0,
        own_cpu_time()? - cpu_before.1,
    );
    let _ = stop.send(true);
    let seen = Tally::default();
    let mut latency = Histogram::<u64>::new(3)?;
    for task in tasks {
        let (tally, connection_latency) = task.await?;
        seen.add(tally);
        latency.add(&connection_latency)?;
    }
    let (added, duplicates, gaps, ended) = (
        seen.added.into_inner(),
        seen.duplicates.into_inner(),
        seen.gaps.into_inner(),
        seen.ended.into_inner(),
    );
    #[allow(clippy::cast_precision_loss)] // counts and bytes far below 2^52
    let (delivered, per_stream_kib) = (
        100.0 * added as f64 / (plan.streams * plan.keys) as f64,
        idle.saturating_sub(baseline) as f64 / plan.streams as f64 / 1024.0,
    );
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let micros_per_event = |cpu: Duration| cpu.as_secs_f64() * 1e6 / added.max(1) as f64;
    println!();
    println!(
        "fan-out: {} WatchServiceKeys streams over {} connections, {} keys created 1 a second",
        plan.streams, plan.connections, plan.keys
    );
    println!(
        "| streams | opened | open s | delivered | gaps | duplicates | ended early | p50 ms | p99 ms | max ms | server RSS per idle stream | server CPU per event | load generator CPU per event |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    #[allow(clippy::cast_precision_loss)] // microseconds far below 2^52
    let ms = |quantile: f64| latency.value_at_quantile(quantile) as f64 / 1000.0;
    println!(
        "| {} | {ready} | {:.1} | {delivered:.2}% | {} | {} | {ended} | {:.1} | {:.1} | {:.1} | {per_stream_kib:.2} KiB | {:.1} µs | {:.1} µs |",
        plan.streams,
        opened_in.as_secs_f64(),
        gaps,
        duplicates,
        ms(0.5),
        ms(0.99),
        ms(1.0),
        micros_per_event(cpu.0),
        micros_per_event(cpu.1),
    );
    if ready < plan.streams || added < plan.streams * plan.keys || ended > 0 {
        return Err(format!(
            "the fan-out lost streams or events: {ready} of {} opened, {} of {} events, {ended} ended early; the server's log: {}",
            plan.streams,
            added,
            plan.streams * plan.keys,
            server.keep_log()
        )
        .into());
    }
    Ok(())
}

/// What a stream reads of each WatchServiceKeysResponse. The load generator shares the two
/// cores with the server, so it decodes only the fields it checks: prost skips the others
/// without allocating them, where the full message allocates every string of every key.
mod lite {
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Response {
        #[prost(int64, tag = "1")]
        pub(super) revision: i64,
        /// The `snapshot` of the `kind` oneof.
        #[prost(message, optional, tag = "3")]
        pub(super) snapshot: Option<Snapshot>,
        /// The `changes` of the `kind` oneof.
        #[prost(message, optional, tag = "4")]
        pub(super) changes: Option<Changes>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Snapshot {
        #[prost(bool, tag = "2")]
        pub(super) last_chunk: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Changes {
        #[prost(message, repeated, tag = "1")]
        pub(super) events: Vec<Event>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Event {
        #[prost(int32, tag = "1")]
        pub(super) r#type: i32,
        #[prost(message, optional, tag = "2")]
        pub(super) service_key: Option<Key>,
        #[prost(message, optional, tag = "4")]
        pub(super) observe_time: Option<prost_types::Timestamp>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Key {
        #[prost(string, tag = "12")]
        pub(super) customer_ref: String,
    }
}

/// Opens one WatchServiceKeys stream that decodes into [`lite::Response`].
async fn watch_lite(
    channel: Channel,
) -> Result<tonic::Streaming<lite::Response>, Box<dyn std::error::Error + Send + Sync>> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/onramp.v1.ServiceKeyService/WatchServiceKeys",
    );
    // The generated clients' codec (small buffers), decoding into the lite message.
    let codec =
        onramp_proto::codec::OnrampCodec::<pb::WatchServiceKeysRequest, lite::Response>::default();
    let response = grpc
        .server_streaming(
            authorized(pb::WatchServiceKeysRequest::default()),
            path,
            codec,
        )
        .await?;
    Ok(response.into_inner())
}

/// One connection's streams, all read by this one task: a message wakes the stream it is for
/// inside this task, not a task of its own. With a task per stream the load generator ran
/// 100,000 tasks through tokio's scheduler per key, on the two cores the server measured needs.
async fn connection(
    channel: Channel,
    streams: usize,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) -> (Tally, Histogram<u64>) {
    let tally = Tally::default();
    let latency = Mutex::new(Histogram::new(3).expect("3 significant digits is valid"));
    let mut readers = FuturesUnordered::new();
    let mut to_open = streams;
    let stop = stopped.wait_for(|stop| *stop);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            // A stream ended before the stop: `follow` counted it.
            Some(()) = readers.next() => {}
            permit = Arc::clone(&shared.opening).acquire_owned(), if to_open > 0 => {
                to_open -= 1;
                let Ok(permit) = permit else { break };
                readers.push(follow(channel.clone(), permit, &shared, &tally, &latency));
            }
        }
    }
    drop(readers);
    (
        tally,
        latency.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

/// One stream: opens, waits for its snapshot, then counts the fan-out's keys as they come, until
/// it ends (counted as ended early) or the connection's task stops polling it.
async fn follow(
    channel: Channel,
    opening: OwnedSemaphorePermit,
    shared: &Shared,
    tally: &Tally,
    latency: &Mutex<Histogram<u64>>,
) {
    let Ok(mut stream) = watch_lite(channel).await else {
        tally.ended.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let mut opening = Some(opening);
    let mut revision = None::<i64>;
    let mut added_here = 0;
    let added = pb::ServiceKeyEventType::Added as i32;
    while let Ok(Some(message)) = stream.message().await {
        if message.snapshot.is_some_and(|snapshot| snapshot.last_chunk) {
            revision = Some(message.revision);
            if opening.take().is_some() {
                shared.ready.fetch_add(1, Ordering::Relaxed);
            }
        } else if let Some(batch) = message.changes {
            let received = SystemTime::now();
            if let Some(last) = revision {
                if message.revision <= last {
                    tally.duplicates.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let skipped = usize::try_from(message.revision - last - 1).unwrap_or(0);
                tally.gaps.fetch_add(skipped, Ordering::Relaxed);
            }
            revision = Some(message.revision);
            for event in batch.events {
                let ours = event.r#type == added
                    && event
                        .service_key
                        .is_some_and(|key| key.customer_ref == CUSTOMER_REF);
                if !ours {
                    continue;
                }
                added_here += 1;
                tally.added.fetch_add(1, Ordering::Relaxed);
                if let Some(observed) = event.observe_time.and_then(system_time) {
                    let micros = received
                        .duration_since(observed)
                        .map_or(0, |latency| latency.as_micros());
                    let micros = u64::try_from(micros).unwrap_or(u64::MAX).max(1);
                    let _ = latency
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .record(micros);
                }
                if added_here == shared.keys {
                    shared.complete.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    tally.ended.fetch_add(1, Ordering::Relaxed);
}

fn system_time(timestamp: prost_types::Timestamp) -> Option<SystemTime> {
    let seconds = u64::try_from(timestamp.seconds).ok()?;
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

async fn wait_until(done: impl Fn() -> bool, limit: Duration) {
    let until = Instant::now() + limit;
    while !done() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Port in Los Angeles that takes VXCs, for the keys the fan-out creates.
async fn los_angeles_port(channel: &Channel) -> Result<String, Box<dyn std::error::Error>> {
    let listed = CatalogServiceClient::new(channel.clone())
        .list_on_ramps(authorized(pb::ListOnRampsRequest {
            metro: "Los Angeles".into(),
            ..Default::default()
        }))
        .await?
        .into_inner();
    listed
        .on_ramps
        .into_iter()
        .find(|on_ramp| on_ramp.vxc_permitted)
        .map(|on_ramp| on_ramp.port_uid)
        .ok_or_else(|| "no on-ramp in Los Angeles".into())
}
