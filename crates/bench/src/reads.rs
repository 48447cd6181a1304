//! The read path: each call against the same-payload no-op server, at 1 in flight and at 64 in
//! flight over 4 connections.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use hdrhistogram::Histogram;
use onramp_proto as pb;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::catalog_service_server::{CatalogService, CatalogServiceServer};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::service_key_service_server::{ServiceKeyService, ServiceKeyServiceServer};
use onramp_server::config::TransportSettings;
use prost::Message;
use tokio::time::Instant;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::child::{Role, Server};
use crate::{authorized, channels};

/// The reads measured, in the order printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    ListCountries,
    ListMetros,
    ListOnRamps,
    GetOnRamp,
    SelectOnRamps,
    GetServiceKey,
    ListServiceKeys,
}

const CALLS: [Call; 7] = [
    Call::ListCountries,
    Call::ListMetros,
    Call::ListOnRamps,
    Call::GetOnRamp,
    Call::SelectOnRamps,
    Call::GetServiceKey,
    Call::ListServiceKeys,
];

/// Requests in flight and connections they share.
const LOADS: [(usize, usize); 2] = [(1, 1), (64, 4)];
/// How long a server resumed for its row runs before the row starts.
const SETTLE: Duration = Duration::from_millis(300);

/// The requests, and the answers onramp gave to them (which the no-op server repeats).
#[derive(Clone)]
struct Payloads {
    metros: pb::ListMetrosRequest,
    on_ramps: pb::ListOnRampsRequest,
    on_ramp: pb::GetOnRampRequest,
    select: pb::SelectOnRampsRequest,
    key: pb::GetServiceKeyRequest,
    keys: pb::ListServiceKeysRequest,
    answers: Answers,
}

#[derive(Clone, Default)]
pub(crate) struct Answers {
    countries: pb::ListCountriesResponse,
    metros: pb::ListMetrosResponse,
    on_ramps: pb::ListOnRampsResponse,
    on_ramp: pb::GetOnRampResponse,
    select: pb::SelectOnRampsResponse,
    key: pb::GetServiceKeyResponse,
    keys: pb::ListServiceKeysResponse,
}

impl Answers {
    /// Writes the answers for the no-op child: each message length-delimited, in field order.
    fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        for message in [
            &self.countries as &dyn EncodeDelimited,
            &self.metros,
            &self.on_ramps,
            &self.on_ramp,
            &self.select,
            &self.key,
            &self.keys,
        ] {
            message.append_to(&mut bytes);
        }
        std::fs::write(path, bytes)
    }

    /// Reads what [`Answers::write`] wrote.
    pub(crate) fn read(path: &std::path::Path) -> Result<Self, Box<dyn std::error::Error>> {
        let bytes = std::fs::read(path)?;
        let mut buf = bytes.as_slice();
        Ok(Self {
            countries: Message::decode_length_delimited(&mut buf)?,
            metros: Message::decode_length_delimited(&mut buf)?,
            on_ramps: Message::decode_length_delimited(&mut buf)?,
            on_ramp: Message::decode_length_delimited(&mut buf)?,
            select: Message::decode_length_delimited(&mut buf)?,
            key: Message::decode_length_delimited(&mut buf)?,
            keys: Message::decode_length_delimited(&mut buf)?,
        })
    }
}

/// Messages of different types written into one answers file.
trait EncodeDelimited {
    fn append_to(&self, bytes: &mut Vec<u8>);
}

impl<M: Message> EncodeDelimited for M {
    fn append_to(&self, bytes: &mut Vec<u8>) {
        bytes.extend(self.encode_length_delimited_to_vec());
    }
}

async fn call(call: Call, channel: &Channel, payloads: &Payloads) -> Result<(), Status> {
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    match call {
        Call::ListCountries => catalog
            .list_countries(authorized(pb::ListCountriesRequest {}))
            .await
            .map(drop),
        Call::ListMetros => catalog
            .list_metros(authorized(payloads.metros.clone()))
            .await
            .map(drop),
        Call::ListOnRamps => catalog
            .list_on_ramps(authorized(payloads.on_ramps.clone()))
            .await
            .map(drop),
        Call::GetOnRamp => catalog
            .get_on_ramp(authorized(payloads.on_ramp.clone()))
            .await
            .map(drop),
        Call::SelectOnRamps => catalog
            .select_on_ramps(authorized(payloads.select.clone()))
            .await
            .map(drop),
        Call::GetServiceKey => keys
            .get_service_key(authorized(payloads.key.clone()))
            .await
            .map(drop),
        Call::ListServiceKeys => keys
            .list_service_keys(authorized(payloads.keys.clone()))
            .await
            .map(drop),
    }
}

/// Asks onramp once for everything the benchmark reads, minting one key to read back.
async fn record(channel: &Channel) -> Result<Payloads, Status> {
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let on_ramps = pb::ListOnRampsRequest {
        metro: "Los Angeles".into(),
        ..Default::default()
    };
    let listed = catalog
        .list_on_ramps(authorized(on_ramps.clone()))
        .await?
        .into_inner();
    let port_uid = listed
        .on_ramps
        .iter()
        .find(|on_ramp| on_ramp.vxc_permitted)
        .map(|on_ramp| on_ramp.port_uid.clone())
        .ok_or_else(|| Status::failed_precondition("no on-ramp in Los Angeles"))?;
    let created = keys
        .create_service_key(authorized(pb::CreateServiceKeyRequest {
            port_uid: port_uid.clone(),
            single_use: true,
            max_speed_mbps: 1000,
            pre_approved: true,
            customer_ref: "bench".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .service_key
        .ok_or_else(|| Status::internal("no key in the answer"))?;
    let mut payloads = Payloads {
        metros: pb::ListMetrosRequest {
            country: "USA".into(),
        },
        on_ramps,
        on_ramp: pb::GetOnRampRequest { port_uid },
        select: pb::SelectOnRampsRequest {
            scope: Some(pb::select_on_ramps_request::Scope::Region("us-west".into())),
            rate_limit_mbps: 1000,
            diversity: pb::DiversityPreference::Required.into(),
            ..Default::default()
        },
        key: pb::GetServiceKeyRequest { key: created.key },
        keys: pb::ListServiceKeysRequest {
            page_size: 100,
            ..Default::default()
        },
        answers: Answers::default(),
    };
    payloads.answers = Answers {
        countries: catalog
            .list_countries(authorized(pb::ListCountriesRequest {}))
            .await?
            .into_inner(),
        metros: catalog
            .list_metros(authorized(payloads.metros.clone()))
            .await?
            .into_inner(),
        on_ramps: listed,
        on_ramp: catalog
            .get_on_ramp(authorized(payloads.on_ramp.clone()))
            .await?
            .into_inner(),
        select: catalog
            .select_on_ramps(authorized(payloads.select.clone()))
            .await?
            .into_inner(),
        key: keys
            .get_service_key(authorized(payloads.key.clone()))
            .await?
            .into_inner(),
        keys: keys
            .list_service_keys(authorized(payloads.keys.clone()))
            .await?
            .into_inner(),
    };
    Ok(payloads)
}

/// The baseline: the same answers from memory, no work per call.
#[derive(Clone)]
struct Noop(Answers);

#[tonic::async_trait]
impl CatalogService for Noop {
    async fn list_countries(
        &self,
        _: Request<pb::ListCountriesRequest>,
    ) -> Result<Response<pb::ListCountriesResponse>, Status> {
        Ok(Response::new(self.0.countries.clone()))
    }
    async fn list_metros(
        &self,
        _: Request<pb::ListMetrosRequest>,
    ) -> Result<Response<pb::ListMetrosResponse>, Status> {
        Ok(Response::new(self.0.metros.clone()))
    }
    async fn list_on_ramps(
        &self,
        _: Request<pb::ListOnRampsRequest>,
    ) -> Result<Response<pb::ListOnRampsResponse>, Status> {
        Ok(Response::new(self.0.on_ramps.clone()))
    }
    async fn get_on_ramp(
        &self,
        _: Request<pb::GetOnRampRequest>,
    ) -> Result<Response<pb::GetOnRampResponse>, Status> {
        Ok(Response::new(self.0.on_ramp.clone()))
    }
    async fn select_on_ramps(
        &self,
        _: Request<pb::SelectOnRampsRequest>,
    ) -> Result<Response<pb::SelectOnRampsResponse>, Status> {
        Ok(Response::new(self.0.select.clone()))
    }
}

type NoStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::WatchServiceKeysResponse, Status>> + Send>,
>;

#[tonic::async_trait]
impl ServiceKeyService for Noop {
    type WatchServiceKeysStream = NoStream;

    async fn create_service_key(
        &self,
        _: Request<pb::CreateServiceKeyRequest>,
    ) -> Result<Response<pb::CreateServiceKeyResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }
    async fn issue_service_keys(
        &self,
        _: Request<pb::IssueServiceKeysRequest>,
    ) -> Result<Response<pb::IssueServiceKeysResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }
    async fn get_service_key(
        &self,
        _: Request<pb::GetServiceKeyRequest>,
    ) -> Result<Response<pb::GetServiceKeyResponse>, Status> {
        Ok(Response::new(self.0.key.clone()))
    }
    async fn list_service_keys(
        &self,
        _: Request<pb::ListServiceKeysRequest>,
    ) -> Result<Response<pb::ListServiceKeysResponse>, Status> {
        Ok(Response::new(self.0.keys.clone()))
    }
    async fn update_service_key(
        &self,
        _: Request<pb::UpdateServiceKeyRequest>,
    ) -> Result<Response<pb::UpdateServiceKeyResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }
    async fn deactivate_service_key(
        &self,
        _: Request<pb::DeactivateServiceKeyRequest>,
    ) -> Result<Response<pb::DeactivateServiceKeyResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }
    async fn rotate_service_key(
        &self,
        _: Request<pb::RotateServiceKeyRequest>,
    ) -> Result<Response<pb::RotateServiceKeyResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }
    async fn watch_service_keys(
        &self,
        _: Request<pb::WatchServiceKeysRequest>,
    ) -> Result<Response<Self::WatchServiceKeysStream>, Status> {
        Err(Status::unimplemented("not measured"))
    }
}

/// The no-op server on exactly onramp's transport (TCP options, coalesced writes, HTTP/2
/// settings), so the ratio measures what onramp does per call.
pub(crate) async fn start_noop(answers: Answers) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let settings = TransportSettings::default();
    let incoming = grpc_plumbing::transport::incoming(listener, &settings);
    let noop = Noop(answers);
    tokio::spawn(
        grpc_plumbing::transport::server_builder(&settings)
            .add_service(CatalogServiceServer::new(noop.clone()))
            .add_service(ServiceKeyServiceServer::new(noop))
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

/// What one load of one call measured.
#[derive(Debug, Clone, Copy)]
struct Measured {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// The server's CPU time (user and system) per call answered: its own cost, which the
    /// machine's noise moves less than throughput.
    cpu_micros_per_call: f64,
    errors: u64,
}

async fn measure(
    call_kind: Call,
    channels: &[Channel],
    in_flight: usize,
    payloads: &Payloads,
    seconds: f64,
) -> Measured {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut workers = Vec::new();
    for worker in 0..in_flight {
        let channel = channels[worker % channels.len()].clone();
        let payloads = payloads.clone();
        workers.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).expect("3 significant digits is valid");
            let mut errors = 0_u64;
            let mut first_error = None;
            while Instant::now() < until {
                let started = Instant::now();
                if let Err(status) = call(call_kind, &channel, &payloads).await {
                    errors += 1;
                    first_error.get_or_insert(status);
                }
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                let _ = histogram.record(micros.max(1));
            }
            (histogram, errors, first_error)
        }));
    }
    let mut histogram = Histogram::<u64>::new(3).expect("3 significant digits is valid");
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        if let Ok((worker_histogram, worker_errors, worker_error)) = worker.await {
            let _ = histogram.add(worker_histogram);
            errors += worker_errors;
            first_error = first_error.or(worker_error);
        }
    }
    if let Some(status) = first_error {
        eprintln!(
            "{call_kind:?} at {in_flight} in flight: {errors} calls failed, the first with {status}"
        );
    }
    #[allow(clippy::cast_precision_loss)] // counts and microseconds far below 2^52
    Measured {
        per_second: histogram.len() as f64 / seconds,
        p50_ms: histogram.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        cpu_micros_per_call: 0.0,
        errors,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

type Key = (Call, usize);

/// onramp's throughput and p99 as fractions of the no-op's.
struct Ratios {
    per_second: f64,
    p99: f64,
}

/// Per call and load, the median over the rounds of onramp's figure divided by the no-op's in
/// the same round: each round's pair ran seconds apart, so a drift of this noisy machine over
/// the run moves both sides of a ratio, where it would move a median of one side alone.
fn paired_ratios(
    onramp: &BTreeMap<Key, Vec<Measured>>,
    noop: &BTreeMap<Key, Vec<Measured>>,
) -> BTreeMap<Key, Ratios> {
    let ratio = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
    onramp
        .iter()
        .filter_map(|(key, ours)| {
            let base = noop.get(key)?;
            let each = |field: fn(&Measured) -> f64| {
                median(
                    ours.iter()
                        .zip(base)
                        .map(|(ours, base)| ratio(field(ours), field(base)))
                        .collect(),
                )
            };
            Some((
                *key,
                Ratios {
                    per_second: each(|m| m.per_second),
                    p99: each(|m| m.p99_ms),
                },
            ))
        })
        .collect()
}

/// Medians over the rounds, per call and load.
fn medians(samples: &BTreeMap<Key, Vec<Measured>>) -> BTreeMap<Key, Measured> {
    samples
        .iter()
        .map(|(key, runs)| {
            let pick = |field: fn(&Measured) -> f64| median(runs.iter().map(field).collect());
            (
                *key,
                Measured {
                    per_second: pick(|m| m.per_second),
                    p50_ms: pick(|m| m.p50_ms),
                    p99_ms: pick(|m| m.p99_ms),
                    cpu_micros_per_call: pick(|m| m.cpu_micros_per_call),
                    errors: runs.iter().map(|m| m.errors).sum(),
                },
            )
        })
        .collect()
}

/// Measures every read at both loads, alternating servers, and prints the medians.
pub(crate) async fn run(rounds: usize, seconds: f64) -> Result<(), Box<dyn std::error::Error>> {
    // onramp as deployed (metrics collected for the admin listener), onramp without the admin
    // listener and its metrics, onramp with tracing on too, and the no-op baseline with
    // onramp's answers: each a child process.
    let onramp = Server::start(Role::Onramp, None)?;
    let onramp_channels = channels(onramp.addr, 4).await?;
    let payloads = record(&onramp_channels[0]).await?;
    let bare = Server::start(Role::OnrampWithoutMetrics, None)?;
    let bare_channels = channels(bare.addr, 4).await?;
    let bare_payloads = record(&bare_channels[0]).await?;
    let traced = Server::start(Role::OnrampWithTracing, None)?;
    let traced_channels = channels(traced.addr, 4).await?;
    let traced_payloads = record(&traced_channels[0]).await?;
    let answers = std::env::temp_dir().join(format!("onramp-bench-answers-{}", std::process::id()));
    payloads.answers.write(&answers)?;
    let noop = Server::start(Role::Noop, Some(&answers))?;
    let noop_channels = channels(noop.addr, 4).await?;

    // onramp and the no-op go first and one after the other, so that the ratio of each round
    // compares rows seconds apart.
    let servers = [
        (&onramp, &onramp_channels, &payloads),
        (&noop, &noop_channels, &payloads),
        (&bare, &bare_channels, &bare_payloads),
        (&traced, &traced_channels, &traced_payloads),
    ];
    let samples = alternate(&servers, rounds, seconds).await?;
    let samples: [BTreeMap<Key, Vec<Measured>>; 4] = samples
        .try_into()
        .map_err(|_| "one sample set per server")?;
    let _ = std::fs::remove_file(&answers);
    let ratios = paired_ratios(&samples[0], &samples[1]);
    let [onramp, noop, bare, traced] = samples.map(|runs| medians(&runs));

    println!(
        "onramp vs a same-payload no-op server: medians of {rounds} alternating rounds, {seconds} s a row; the ratios are the medians of each round's ratio"
    );
    println!(
        "| call | load | onramp req/s | p50 ms | p99 ms | no-op req/s | p50 ms | p99 ms | ratio | p99 ratio | onramp CPU µs/call | no-op CPU µs/call | without metrics req/s | metrics CPU cost | with tracing req/s | tracing CPU cost |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let ratio = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
    let mut errors = 0;
    for (key, ours) in &onramp {
        let (Some(base), Some(plain), Some(spans), Some(paired)) = (
            noop.get(key),
            bare.get(key),
            traced.get(key),
            ratios.get(key),
        ) else {
            continue;
        };
        let (call_kind, in_flight) = key;
        let load = load_name(*in_flight);
        println!(
            "| {call_kind:?} | {load} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.0} | {:+.1}% | {:.0} | {:+.1}% |",
            ours.per_second,
            ours.p50_ms,
            ours.p99_ms,
            base.per_second,
            base.p50_ms,
            base.p99_ms,
            paired.per_second,
            paired.p99,
            ours.cpu_micros_per_call,
            base.cpu_micros_per_call,
            plain.per_second,
            100.0 * (ratio(ours.cpu_micros_per_call, plain.cpu_micros_per_call) - 1.0),
            spans.per_second,
            100.0 * (ratio(spans.cpu_micros_per_call, ours.cpu_micros_per_call) - 1.0),
        );
        errors += ours.errors + base.errors + plain.errors + spans.errors;
    }
    if errors > 0 {
        let logs = servers.map(|(server, _, _)| server.keep_log());
        return Err(format!(
            "{errors} calls failed during the benchmark; the servers' logs: {}",
            logs.join(", ")
        )
        .into());
    }
    Ok(())
}

/// Each row on every server in turn, `rounds` times: what each server measured, in the order
/// given. A drift of the machine moves every server alike, since their rows run seconds apart;
/// the servers not being measured are stopped, so their background work does not land in
/// another server's row.
async fn alternate(
    servers: &[(&Server, &Vec<Channel>, &Payloads)],
    rounds: usize,
    seconds: f64,
) -> Result<Vec<BTreeMap<Key, Vec<Measured>>>, Box<dyn std::error::Error>> {
    for (server, _, _) in servers {
        server.pause()?;
    }
    let mut samples: Vec<BTreeMap<Key, Vec<Measured>>> = vec![BTreeMap::new(); servers.len()];
    for _ in 0..rounds {
        for call_kind in CALLS {
            for (in_flight, connections) in LOADS {
                for (index, (server, pool, payloads)) in servers.iter().enumerate() {
                    server.resume()?;
                    // What came due while it was stopped (a key poll) runs before the row.
                    tokio::time::sleep(SETTLE).await;
                    let cpu_before = server.cpu_time()?;
                    let mut measured = measure(
                        call_kind,
                        &pool[..connections],
                        in_flight,
                        payloads,
                        seconds,
                    )
                    .await;
                    let cpu = server.cpu_time()? - cpu_before;
                    server.pause()?;
                    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                    let calls = (measured.per_second * seconds).max(1.0);
                    measured.cpu_micros_per_call = cpu.as_secs_f64() * 1e6 / calls;
                    samples[index]
                        .entry((call_kind, in_flight))
                        .or_default()
                        .push(measured);
                }
            }
        }
    }
    for (server, _, _) in servers {
        server.resume()?;
    }
    Ok(samples)
}

/// The warm reads of `onramp` (a running child) against a no-op answering its payloads: per
/// call and load, the median of each round's throughput ratio and p99 ratio.
pub(crate) async fn ratios_of(
    onramp: &Server,
    rounds: usize,
    seconds: f64,
) -> Result<Vec<(String, String, f64, f64)>, Box<dyn std::error::Error>> {
    let onramp_channels = channels(onramp.addr, 4).await?;
    let payloads = record(&onramp_channels[0]).await?;
    let answers =
        std::env::temp_dir().join(format!("onramp-bench-answers-scale-{}", std::process::id()));
    payloads.answers.write(&answers)?;
    let noop = Server::start(Role::Noop, Some(&answers))?;
    let noop_channels = channels(noop.addr, 4).await?;
    let servers = [
        (onramp, &onramp_channels, &payloads),
        (&noop, &noop_channels, &payloads),
    ];
    let samples = alternate(&servers, rounds.max(1), seconds).await;
    let _ = std::fs::remove_file(&answers);
    let samples = samples?;
    Ok(paired_ratios(&samples[0], &samples[1])
        .into_iter()
        .map(|((call_kind, in_flight), ratios)| {
            (
                format!("{call_kind:?}"),
                load_name(in_flight),
                ratios.per_second,
                ratios.p99,
            )
        })
        .collect())
}

fn load_name(in_flight: usize) -> String {
    if in_flight == 1 {
        "1 in flight".to_owned()
    } else {
        format!("{in_flight} in flight, 4 conns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(per_second: &[f64]) -> Vec<Measured> {
        per_second
            .iter()
            .map(|&per_second| Measured {
                per_second,
                p50_ms: 0.1,
                p99_ms: 1000.0 / per_second,
                cpu_micros_per_call: 0.0,
                errors: 0,
            })
            .collect()
    }

    #[test]
    fn a_ratio_is_the_median_of_each_rounds_ratio() {
        // The machine slowed down in the middle round: each round's pair moved together.
        let key = (Call::GetOnRamp, 1);
        let onramp = BTreeMap::from([(key, rounds(&[100.0, 50.0, 80.0]))]);
        let noop = BTreeMap::from([(key, rounds(&[110.0, 55.0, 100.0]))]);
        let ratios = paired_ratios(&onramp, &noop);
        let paired = &ratios[&key];
        assert!(
            (paired.per_second - 100.0 / 110.0).abs() < 1e-9,
            "{}",
            paired.per_second
        );
        assert!((paired.p99 - 1.1).abs() < 1e-9, "{}", paired.p99);
        // The ratio of the medians would have been 80 / 100.
        let medians = (
            medians(&onramp)[&key].per_second,
            medians(&noop)[&key].per_second,
        );
        assert!((medians.0 / medians.1 - 0.8).abs() < 1e-9);
    }
}
