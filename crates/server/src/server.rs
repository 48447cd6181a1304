//! `run(listener, config, shutdown)`: the one entry point for `main` and for tests. It wires the
//! gRPC services, health and reflection, and owns graceful shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::adapters::MegaportKeys;
use crate::api;
use crate::config::Config;
use crate::config::MegaportEnvironment;
use crate::metrics::{GrpcMetricsLayer, Metrics, Sources};
use crate::regions_file;
use crate::upstream::Upstream;
use crate::watch::WatchHub;
use onramp_core::directory::Directory;
use onramp_core::locks::Locks;
use onramp_core::service_keys::ServiceKeys;
use onramp_proto as pb;
use onramp_proto::admin_service_server::AdminServiceServer;
use onramp_proto::approval_service_server::ApprovalServiceServer;
use onramp_proto::catalog_service_server::CatalogServiceServer;
use onramp_proto::region_service_server::RegionServiceServer;
use onramp_proto::service_key_service_server::ServiceKeyServiceServer;
use onramp_proto::vxc_order_service_server::VxcOrderServiceServer;
use onramp_proto::webhook_service_server::WebhookServiceServer;
use std::sync::Arc;

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("store: {0}")]
    Store(#[from] onramp_store::StoreError),
    #[error("{0}")]
    Upstream(#[from] crate::upstream::UpstreamError),
    #[error("regions file {path}: {problem}")]
    RegionsFile { path: String, problem: String },
    #[error("{0}")]
    Auth(#[from] crate::auth::AuthSetupError),
    #[error("watch history: {0}")]
    Watch(#[from] crate::error::Error),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("admin listener on {addr}: {source}")]
    AdminListener {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Serves onramp on `listener` (and the admin listener on `admin.listen`) until `shutdown`
/// resolves, then drains for at most `config.shutdown_grace_seconds` before cutting whatever is
/// still open.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let admin = match config.admin.addr()? {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::AdminListener { addr, source })?,
        ),
        None => None,
    };
    run_with_admin(listener, admin, config, shutdown).await
}

/// [`run`] with the admin listener already bound (tests bind port 0 and read it back); `None`
/// serves no admin listener and collects no metrics.
pub async fn run_with_admin(
    listener: TcpListener,
    admin_listener: Option<TcpListener>,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let store = crate::storage::open_store(&config.store, &config.data_dir).await?;
    let local_addr = listener.local_addr().ok();
    if config.megaport.environment == crate::upstream::settings::MegaportEnvironment::Sandbox {
        crate::embedded_sandbox::check_exposure(&config.sandbox, local_addr)
            .map_err(crate::upstream::UpstreamError::from)?;
    }
    let metrics = Arc::new(Metrics::new());
    // Callers, scopes, quotas and audit: one layer in front of every service (see `auth`). An
    // unknown local address is treated as public, so the insecure check errs on the safe side.
    let public = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let auth = crate::auth::AuthLayer::new(
        &crate::auth::layer::Callers {
            auth: &config.auth,
            tls: &config.tls,
            limits: &config.limits,
            insecure: config.insecure,
        },
        local_addr.unwrap_or(public),
        store.clone(),
        metrics.auth_refusals.clone(),
    )?;
    let upstream = Upstream::connect(
        &config.megaport,
        &config.sandbox,
        &config.catalog,
        config.signal_settings(),
        &store,
    )
    .await?;
    if admin_listener.is_some() {
        for (account, client) in &upstream.accounts {
            metrics.observe_megaport(account, client);
        }
    }
    let orders = crate::order_desk::order_desk(&config.orders, &upstream, &store);
    let signals = upstream.catalog.signals().clone();
    signals.attach_store(store.clone()).await?;
    let rtt = onramp_core::proximity::RttBook::new(
        Arc::new(crate::adapters::MegaportRtt::new(&upstream)),
        config.selection.rtt_overrides(),
    );
    let directory = Directory::new(upstream.catalog.clone(), Arc::new(store.clone()))
        .with_policy(config.selection.policy())
        .with_proximity(Arc::new(rtt), config.selection.proximity());
    apply_declared_regions(&config, &directory).await?;
    // Cancelled when the drain begins: streams end with UNAVAILABLE so clients reconnect
    // elsewhere, and background work stops.
    let shutdown_signal = CancellationToken::new();

    let key_upstream = MegaportKeys::new(upstream.provider.clone(), upstream.catalog.clone());
    let service_keys = Arc::new(ServiceKeys::new(
        Arc::new(key_upstream),
        directory.clone(),
        Arc::new(store.clone()),
        Locks::new(Arc::new(store.clone())),
    ));
    let hub = WatchHub::open(service_keys.clone(), store.clone(), config.watch.clone()).await?;
    let webhooks =
        crate::webhooks::Webhooks::new(&config.webhooks, &config.data_dir, store.backend())
            .map_err(|problem| crate::settings::ConfigError::Invalid {
                key: "webhooks",
                problem,
            })?;
    hub.send_webhooks(webhooks.clone());
    let dispatcher =
        webhooks.spawn_dispatcher(store.clone(), &config.webhooks, shutdown_signal.clone());
    service_keys.use_held_vlans(Arc::new(hub.held_vlans()));
    let inbox_history = crate::approval_inbox::History::open(
        store.clone(),
        config.watch.history_revisions,
        config.watch.subscriber_buffer,
    )
    .await?;
    let peering = Arc::new(crate::peering::PeeringSender::new(
        upstream.provider.clone(),
        store.clone(),
    ));
    orders.use_before_approval(peering.clone());
    let inbox = crate::approval_inbox::ApprovalInbox::new(
        upstream.provider.clone(),
        upstream.catalog.clone(),
        hub.clone(),
        std::time::Duration::from_secs(config.approvals.poll_interval_seconds),
        inbox_history,
        crate::approval_inbox::AutoApprove {
            rules: config.approvals.auto_approve_rules()?,
            audit: crate::auth::audit::AuditLog::new(Arc::new(store.clone())),
        },
        peering.clone(),
    );
    // The work that polls Megaport on nobody's behalf: on the leader only (see `leader`).
    let background_work = {
        let (hub, signals, catalog, inbox, store, retention, shutdown) = (
            hub.clone(),
            signals.clone(),
            upstream.catalog.clone(),
            inbox.clone(),
            store.clone(),
            config.retention.clone(),
            shutdown_signal.clone(),
        );
        move || {
            let mut tasks = crate::signals::spawn(&signals, catalog.clone(), shutdown.clone());
            tasks.push(hub.spawn_poller(shutdown.clone()));
            tasks.push(hub.spawn_notice_follower(signals.clone(), shutdown.clone()));
            tasks.push(inbox.spawn(shutdown.clone()));
            tasks.push(crate::retention::spawn_pruner(
                store.clone(),
                retention.clone(),
                shutdown.clone(),
            ));
            tasks
        }
    };
    let (feed, feed_task) =
        crate::change_feed::ChangeFeed::spawn(store.clone(), shutdown_signal.clone());
    let order_followers = crate::order_followers::OrderFollowers::new(orders.clone());
    let feed_followers = [
        feed_task,
        crate::change_feed::spawn_regions_follower(feed.subscribe(), directory.clone()),
        order_followers.spawn_feed_follower(feed.subscribe()),
        inbox.spawn_feed_follower(feed.subscribe()),
        hub.spawn_feed_follower(feed.subscribe()),
    ];
    let background = match store.backend() {
        onramp_store::Backend::Sqlite => background_work(),
        onramp_store::Backend::Postgres => vec![
            hub.spawn_follower(shutdown_signal.clone()),
            signals.spawn_follower(feed.subscribe(), shutdown_signal.clone()),
            crate::leader::spawn(
                Arc::new(store.clone()),
                Duration::from_secs(config.store.leader_lease_seconds),
                shutdown_signal.clone(),
                background_work,
            ),
        ],
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    set_all(&health, ServingStatus::Serving).await;

    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let reflection_enabled = config.reflection;

    let max_request = config.limits.max_request_bytes;
    let console_enabled = config.console_enabled();
    let mut server = grpc_plumbing::transport::server_builder(&config.transport)
        .max_concurrent_streams(config.limits.max_concurrent_streams)
        // Browsers send gRPC-web (and fetch the console) over HTTP/1.1 unless TLS offers h2.
        .accept_http1(console_enabled);
    if let Some(tls) =
        crate::auth::tls::server_config(&config.tls).map_err(crate::auth::AuthSetupError::from)?
    {
        server = server.tls_config(tls)?;
    }

    let grpc_metrics = admin_listener
        .is_some()
        .then(|| GrpcMetricsLayer::new(Arc::clone(&metrics)));
    let rpc_spans = (!config.otlp.endpoint.is_empty()).then_some(crate::telemetry::RpcSpanLayer);
    let (console, grpc_web) = console_layers(console_enabled);
    if console_enabled {
        tracing::info!(
            path = "/console/",
            "operator console served on the grpc listener"
        );
    }
    let router = server
        .layer(
            tower::ServiceBuilder::new()
                .option_layer(console)
                .option_layer(grpc_web)
                .option_layer(rpc_spans)
                .option_layer(grpc_metrics)
                .layer(crate::call_context::CallContextLayer)
                .layer(auth),
        )
        .add_service(health_service)
        .add_optional_service(reflection_enabled.then_some(reflection_v1))
        .add_optional_service(reflection_enabled.then_some(reflection_v1alpha))
        .add_service(grpc_plumbing::kept_answers::KeptAnswers::new(
            CatalogServiceServer::new(api::catalog::CatalogApi::new(
                directory.clone(),
                orders.clone(),
                service_keys.clone(),
            ))
            .max_decoding_message_size(max_request),
            api::catalog::CatalogViews(directory.clone()),
            api::catalog::KEPT_READS,
            max_request,
        ))
        .add_service(
            RegionServiceServer::new(api::regions::RegionApi::new(directory.clone()))
                .max_decoding_message_size(max_request),
        )
        .add_service(grpc_plumbing::kept_answers::KeptAnswers::new(
            api::watch_route::WatchRoute::new(
                api::service_keys::ServiceKeyApi::new(
                    service_keys.clone(),
                    hub.clone(),
                    shutdown_signal.clone(),
                ),
                max_request,
            ),
            hub.clone(),
            api::service_keys::KEPT_READS,
            max_request,
        ))
        .add_service(
            VxcOrderServiceServer::new(api::orders::VxcOrderApi::new(
                orders.clone(),
                order_followers,
                hub.clone(),
                shutdown_signal.clone(),
                peering,
            ))
            .max_decoding_message_size(max_request),
        )
        .add_service(
            ApprovalServiceServer::new(api::approvals::ApprovalApi::new(
                inbox,
                config.watch.clone(),
                shutdown_signal.clone(),
            ))
            .max_decoding_message_size(max_request),
        )
        .add_service(
            WebhookServiceServer::new(api::webhooks::WebhookApi::new(
                store.clone(),
                webhooks.clone(),
            ))
            .max_decoding_message_size(max_request),
        )
        .add_service(
            AdminServiceServer::new(api::admin::AdminApi::new(
                crate::auth::audit::AuditLog::new(Arc::new(store.clone())),
                upstream.provider.budget().clone(),
                hub.clone(),
            ))
            .max_decoding_message_size(max_request),
        );

    let admin_task = admin_listener.map(|admin_listener| {
        metrics.observe_watch(&hub);
        metrics.observe_store(&store);
        let admin_addr = admin_listener.local_addr().ok();
        tracing::info!(addr = ?admin_addr, "admin listener (/metrics, /healthz, /readyz)");
        tokio::spawn(crate::admin_http::serve(
            admin_listener,
            Arc::new(crate::admin_http::Admin {
                metrics,
                sources: Sources {
                    budget: upstream.provider.budget().clone(),
                    catalog: upstream.catalog.clone(),
                    hub: hub.clone(),
                    store: store.clone(),
                    orders,
                    webhooks: webhooks.clone(),
                },
                draining: shutdown_signal.clone(),
            }),
            config.admin.clone(),
        ))
    });

    tracing::info!(addr = ?local_addr, "onramp listening");
    let incoming = grpc_plumbing::transport::incoming(listener, &config.transport);
    let serve =
        router.serve_with_incoming_shutdown(incoming, shutdown_signal.clone().cancelled_owned());
    let result = serve_until(serve, &config, &health, &shutdown_signal, shutdown).await;
    if let Some(task) = admin_task {
        task.abort();
    }
    for task in background
        .into_iter()
        .chain(feed_followers)
        .chain(dispatcher)
    {
        task.abort();
    }
    upstream.shutdown().await;
    result
}

/// The console's static files, and gRPC-web for every service (the same auth, limits and
/// metrics as gRPC, since the layers inside see an ordinary gRPC call).
#[cfg(feature = "console")]
fn console_layers(
    enabled: bool,
) -> (
    Option<crate::console::ConsoleLayer>,
    Option<tonic_web::GrpcWebLayer>,
) {
    if enabled {
        (
            Some(crate::console::ConsoleLayer),
            Some(tonic_web::GrpcWebLayer::new()),
        )
    } else {
        (None, None)
    }
}

#[cfg(not(feature = "console"))]
fn console_layers(
    _enabled: bool,
) -> (
    Option<tower::layer::util::Identity>,
    Option<tower::layer::util::Identity>,
) {
    (None, None)
}

/// Reflection over every type a caller can meet: onramp's services and messages, health, and the
/// `google.rpc` details inside errors (without those grpcurl prints ErrorInfo as base64).
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pb::GOOGLE_RPC_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Serves until `shutdown`, then drains for at most the grace period.
async fn serve_until(
    serve: impl Future<Output = Result<(), tonic::transport::Error>>,
    config: &Config,
    health: &HealthReporter,
    drain: &CancellationToken,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    tokio::pin!(serve);

    tokio::select! {
        result = &mut serve => return result.map_err(ServeError::from),
        () = shutdown => {}
    }

    tracing::info!(grace = ?config.shutdown_grace(), "shutting down: draining open calls");
    set_all(health, ServingStatus::NotServing).await;
    drain.cancel();
    match tokio::time::timeout(config.shutdown_grace(), &mut serve).await {
        Ok(result) => result.map_err(ServeError::from)?,
        Err(_) => tracing::warn!("drain did not finish in time; closing remaining connections"),
    }
    tracing::info!("onramp stopped");
    Ok(())
}

/// Applies the regions file, or on the sandbox the guide's US-West, so the scenario works
/// from the first call.
/// How long the start waits for Megaport to check the declared regions against.
const REGION_CHECK_BUDGET: Duration = Duration::from_secs(10);

async fn apply_declared_regions(config: &Config, directory: &Directory) -> Result<(), ServeError> {
    let (source, text) = match &config.regions_file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|error| ServeError::RegionsFile {
                path: path.display().to_string(),
                problem: error.to_string(),
            })?,
        ),
        None if config.megaport.environment == MegaportEnvironment::Sandbox => (
            "built-in sandbox regions".to_owned(),
            regions_file::SANDBOX_REGIONS.to_owned(),
        ),
        None => return Ok(()),
    };
    let invalid = |problem: String| ServeError::RegionsFile {
        path: source.clone(),
        problem,
    };
    let drafts = regions_file::parse(&text).map_err(invalid)?;
    // A slow Megaport delays the start by this much at most; past it the regions are applied
    // unchecked, as during an outage.
    let checked_by = tokio::time::Instant::now() + REGION_CHECK_BUDGET;
    let outage =
        crate::call_context::run_until(checked_by, directory.apply_declared_regions(drafts))
            .await
            .map_err(|error| invalid(error.to_string()))?;
    if let Some(error) = outage {
        tracing::warn!(source = %source, %error,
            "megaport is unreachable: declared regions were applied without checking their \
             location ids and port uids");
    }
    Ok(())
}

/// Every onramp service name, as health checks and reflection know it.
const SERVICE_NAMES: [&str; 6] = [
    <CatalogServiceServer<api::catalog::CatalogApi> as NamedService>::NAME,
    <RegionServiceServer<api::regions::RegionApi> as NamedService>::NAME,
    <ServiceKeyServiceServer<api::service_keys::ServiceKeyApi> as NamedService>::NAME,
    <VxcOrderServiceServer<api::orders::VxcOrderApi> as NamedService>::NAME,
    <AdminServiceServer<api::admin::AdminApi> as NamedService>::NAME,
    <ApprovalServiceServer<api::approvals::ApprovalApi> as NamedService>::NAME,
];

/// Sets every onramp service and the overall ("") status, so load balancers see one answer.
async fn set_all(health: &HealthReporter, status: ServingStatus) {
    for name in SERVICE_NAMES.into_iter().chain([""]) {
        health.set_service_status(name, status).await;
    }
}
