//! A Megaport-compatible HTTP server with a seeded inventory, Megaport's rules and fault
//! injection. `onramp sandbox` runs it alone; `onramp serve` embeds it on loopback when no
//! Megaport credentials are configured; integration tests start it on `127.0.0.1:0`.
//!
//! Connections are served with hyper directly (not `axum::serve`) so that a fault can close a
//! connection without writing any response, as a crashed or partitioned upstream would.

mod api;
mod approvals;
mod bad_bodies;
mod caller;
pub mod cli;
mod control;
mod envelope;
mod faults;
mod generated;
mod lifecycle;
mod limits;
mod orders;
mod records;
mod rtt;
mod seed;
mod shared;
mod state;
mod status_events;
mod telemetry;
mod vrouter;

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

pub use control::{ControlError, SandboxControl};
pub use faults::{Fault, FaultKind, FaultStatus, RouteGroup};
pub use generated::Scale;
pub use limits::{RateWindow, SandboxLimits};
pub use seed::{
    EventKind, MAX_VNICS, ProductType, SandboxCredentials, Seed, SeedCompany, SeedError, SeedEvent,
    SeedLocation, SeedPort, SeedServiceKey, SeedVnic, SeedVxc,
};
pub use state::{OrderRecord, ProvisioningSchedule};

use envelope::ApiError;
use faults::Terminal;
use shared::Shared;
use state::State;

/// How a sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub seed: Seed,
    /// `expires_in` of issued tokens (Megaport: 5 minutes to 24 hours).
    pub token_lifetime: Duration,
    pub provisioning: ProvisioningSchedule,
    /// Seeds the RNG behind probabilistic faults, so runs are reproducible.
    pub rng_seed: u64,
    /// Megaport's request limits, enforced unless turned off.
    pub limits: SandboxLimits,
    /// How long an order approval stays pending before it expires (Megaport does not document
    /// it; 7 days by default).
    pub approval_ttl: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: Seed::default_scenario(),
            token_lifetime: Duration::from_secs(86_400),
            provisioning: ProvisioningSchedule::default(),
            rng_seed: 0x5eed,
            limits: SandboxLimits::default(),
            approval_ttl: Duration::from_secs(7 * 86_400),
        }
    }
}

/// A running sandbox. Dropping the handle stops it, as does `shutdown`.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    join: JoinHandle<()>,
    control: SandboxControl,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, with a trailing slash (`http://127.0.0.1:PORT/`).
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.connect_addr())
    }

    /// The OAuth2 token URL.
    pub fn token_url(&self) -> String {
        format!("http://{}/oauth2/token", self.connect_addr())
    }

    pub fn control(&self) -> &SandboxControl {
        &self.control
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.join.await;
    }

    /// Where a client should connect: a wildcard bind is reached over loopback.
    fn connect_addr(&self) -> SocketAddr {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.addr.port())
    }
}

/// Starts the sandbox on `listener` and returns at once.
pub async fn spawn(listener: TcpListener, config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let addr = listener.local_addr()?;
    let mut state = State::from_seed(
        &config.seed,
        config.provisioning,
        config.token_lifetime,
        config.rng_seed,
    )
    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    state.limits = config.limits;
    state.approval_ttl = config.approval_ttl;
    let shared = Arc::new(Shared::new(state));
    let router = api::routes(shared.clone())
        .merge(control::routes(shared.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let (tx, rx) = watch::channel(false);
    let join = tokio::spawn(serve(listener, shared.clone(), router, rx));
    tracing::info!(%addr, "sandbox listening");
    Ok(SandboxHandle {
        addr,
        shutdown: tx,
        join,
        control: SandboxControl::new(shared),
    })
}

async fn not_found(uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("No such endpoint: {}", uri.path()),
    )
    .into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {method} is not supported on {}", uri.path()),
    )
    .into_response()
}

async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, shared.clone(), router.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
    tracing::info!("sandbox stopped");
}

/// Serves one connection; a handler notifies `kill` to have it closed with no response.
async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, router: Router) {
    let _ = stream.set_nodelay(true);
    // Megaport counts requests per source IP.
    let client = stream
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |peer| peer.ip());
    let kill = Arc::new(Notify::new());
    let kill_in = kill.clone();
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        let router = router.clone();
        let kill = kill_in.clone();
        async move { Ok::<_, Infallible>(handle(shared, router, kill, client, req).await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        res = conn => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "sandbox connection ended with an error");
            }
        }
        _ = kill.notified() => {
            tracing::debug!("sandbox fault: connection closed without a response");
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    router: Router,
    kill: Arc<Notify>,
    client: IpAddr,
    mut req: Request<Incoming>,
) -> Response {
    rewrite_key_lookup_path(&mut req);
    let group = RouteGroup::classify(req.method(), req.uri().path());
    let (decision, admitted) = match group {
        Some(g) => {
            let mut st = shared.lock();
            // Counted as an arrival whether or not the limit admits it.
            let decision = st.faults.decide(g);
            let limits = st.limits;
            let admitted = match g {
                RouteGroup::Token => Ok(()),
                _ => st
                    .limit_state
                    .admit_request(&limits, client, std::time::Instant::now()),
            };
            (decision, admitted)
        }
        None => (Default::default(), Ok(())),
    };
    if let Err(wait) = admitted {
        return ApiError::too_many_requests("Too many requests (sandbox request limit)", wait)
            .into_response();
    }
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let mut resp = match decision.terminal {
        Some(Terminal::Status(code, retry_after)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut r = ApiError::new(
                status,
                format!(
                    "{} (sandbox fault)",
                    status.canonical_reason().unwrap_or("error")
                ),
            )
            .into_response();
            if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(&value).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, value);
            }
            r
        }
        Some(Terminal::RateLimit(secs)) => {
            let mut r =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r
        }
        Some(Terminal::DropBeforeCommit) => {
            kill.notify_one();
            return std::future::pending().await;
        }
        Some(Terminal::DropAfterCommit) => {
            let _committed = call(router, req).await;
            kill.notify_one();
            return std::future::pending().await;
        }
        Some(Terminal::HangAfterCommit) => {
            let _committed = call(router, req).await;
            return std::future::pending().await;
        }
        Some(Terminal::Body(bad)) => {
            let handled = if bad.handles_request() {
                Some(call(router, req).await)
            } else {
                None
            };
            bad.answer(handled).await
        }
        None => call(router, req).await,
    };
    let trace_id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&trace_id) {
        resp.headers_mut().insert("trace-id", v);
    }
    resp
}

async fn call(router: Router, req: Request<Incoming>) -> Response {
    match router.oneshot(req.map(Body::new)).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Megaport's Go SDK percent-encodes the `?` of `/v2/service/key?key=<k>` into the path, and
/// Megaport's edge serves it as the query form; so does the sandbox (`%3F`, any case).
fn rewrite_key_lookup_path(req: &mut Request<Incoming>) {
    const PREFIX: &str = "/v2/service/key%3f";
    let path = req.uri().path();
    if path.len() < PREFIX.len() || !path[..PREFIX.len()].eq_ignore_ascii_case(PREFIX) {
        return;
    }
    let rest = &path[PREFIX.len()..];
    let rest = rest
        .replace("%3D", "=")
        .replace("%3d", "=")
        .replace("%26", "&");
    let mut target = format!("/v2/service/key?{rest}");
    if let Some(q) = req.uri().query() {
        target.push('&');
        target.push_str(q);
    }
    if let Ok(uri) = target.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}
