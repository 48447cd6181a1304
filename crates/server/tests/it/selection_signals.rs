//! On-ramp selection on Megaport's real signals, on the default seed through gRPC: measured
//! traffic (and the fall-back to allocation when telemetry is faulted away), outages and
//! maintenance (with the watch event of a key on such a Port), LAGs as one on-ramp, last known
//! diversity zones across a restart, and the telemetry collector's share of the budget.

use std::time::Duration;

use crate::support::{SandboxedServer, test_config, within};
use megaport_sandbox::{EventKind, Fault, FaultKind, RouteGroup, SandboxConfig, SeedEvent};
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::select_on_ramps_request::Scope;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::watch_service_keys_response::Kind;
use onramp_proto::{
    CreateServiceKeyRequest, DiversityPreference, DiversityZone, GetOnRampRequest,
    ListOnRampsRequest, MaintenancePolicy, OnRamp, OnRampNoticeKind, RankingBasis, RegionSelector,
    RejectedOnRamp, RejectionReason, SelectOnRampsRequest, SelectOnRampsResponse,
    ServiceKeyEventType, WatchServiceKeysRequest,
};
use tonic::transport::Channel;

const EQUINIX_LA1: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";
const CORESITE_LA1: &str = "8611b645-ea50-46eb-b400-1c2fb858a303";
const NYC1: &str = "dbb45454-23da-4112-b353-17c20ce9a0f5";
const LON1: &str = "72cdae91-cd69-4cef-842c-0e164dee1d9c";
const LON1_MEMBER: &str = "b3a0c5d2-6f1e-4d8a-9c47-2e5f8a1b9d30";
const OSA1: &str = "90045cff-cd2e-46ce-b4f0-ba057281c4b5";

/// Collectors that finish the default seed's seven Ports in a second or two.
fn fast_signals() -> onramp_server::config::Config {
    let mut config = test_config();
    config.signals.telemetry_interval_seconds = 1;
    config.signals.telemetry_min_spacing_millis = 50;
    config.signals.events_interval_seconds = 1;
    config.catalog.products_soft_ttl_seconds = 1;
    config
}

async fn on_ramp(channel: &Channel, port_uid: &str) -> OnRamp {
    within(
        CatalogServiceClient::new(channel.clone()).get_on_ramp(GetOnRampRequest {
            port_uid: port_uid.into(),
        }),
    )
    .await
    .expect("on-ramp")
    .into_inner()
    .on_ramp
    .expect("on_ramp")
}

async fn select(
    channel: &Channel,
    scope: Scope,
    maintenance: MaintenancePolicy,
) -> SelectOnRampsResponse {
    within(
        CatalogServiceClient::new(channel.clone()).select_on_ramps(SelectOnRampsRequest {
            scope: Some(scope),
            rate_limit_mbps: 100,
            diversity: DiversityPreference::None.into(),
            maintenance: maintenance.into(),
            ..Default::default()
        }),
    )
    .await
    .expect("selection")
    .into_inner()
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn osaka_and_new_york() -> Scope {
    Scope::Selector(RegionSelector {
        port_uids: vec![OSA1.into(), NYC1.into()],
        ..Default::default()
    })
}

/// The rejection of `port_uid` in a selection.
fn rejection_of<'a>(selection: &'a SelectOnRampsResponse, port_uid: &str) -> &'a RejectedOnRamp {
    selection
        .rejected
        .iter()
        .find(|r| r.on_ramp.as_ref().is_some_and(|o| o.port_uid == port_uid))
        .unwrap_or_else(|| panic!("{port_uid} not among the rejected"))
}

fn uids(on_ramps: &[OnRamp]) -> Vec<&str> {
    on_ramps.iter().map(|o| o.port_uid.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_traffic_outranks_allocation_and_faulted_telemetry_falls_back() {
    let env = SandboxedServer::start_with(SandboxConfig::default(), fast_signals()).await;
    let control = env.sandbox.control();
    control
        .inject_fault(Fault::new(
            RouteGroup::Telemetry,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let channel = env.server.channel.clone();

    // Telemetry faulted away: Osaka's 100 allocated Mbps beat New York's 200, and the answer
    // says it ranked on allocation.
    let fallback = select(
        &channel,
        osaka_and_new_york(),
        MaintenancePolicy::Unspecified,
    )
    .await;
    assert_eq!(uids(&fallback.chosen), [OSA1]);
    assert_eq!(
        fallback.ranking_message,
        "telemetry missing or stale for 2 of 2 live ports, ranked on allocated figures instead: \
         QuantumGPU NYC1 (missing), QuantumGPU OSA1 (missing)"
    );
    assert_eq!(fallback.chosen[0].ranking_basis(), RankingBasis::Allocated);
    assert!(
        control.requests(RouteGroup::Telemetry) > 0,
        "the collector did ask"
    );

    // Telemetry back: Osaka's one VXC runs flat out (95 Mbps peak in), New York idles (10), so
    // New York ranks first, and the detail shows both figures.
    control.clear_faults();
    let measured = eventually("both ports measured", async || {
        let answer = select(
            &channel,
            osaka_and_new_york(),
            MaintenancePolicy::Unspecified,
        )
        .await;
        answer.ranking_message.is_empty().then_some(answer)
    })
    .await;
    assert_eq!(uids(&measured.chosen), [NYC1]);
    let osaka = &measured.rejected[0];
    assert_eq!(osaka.reason(), RejectionReason::RankedLower);
    let figures = osaka.on_ramp.as_ref().expect("on_ramp");
    let traffic = figures.measured.as_ref().expect("measured");
    assert!(
        (85.0..=95.0).contains(&traffic.p95_mbps),
        "p95 {}",
        traffic.p95_mbps
    );
    assert_eq!(traffic.window_days, 7);
    assert_eq!(traffic.sample_count, 7 * 288);
    assert!(traffic.fresh);
    assert_eq!(figures.allocated_mbps, 100);
    assert!(
        osaka.detail.starts_with(&format!(
            "eligible, but ranked lower (measured p95 {:.0} mbps (0.9%) over 7 days, allocated \
             100 mbps (1.0%), 1 vxcs)",
            traffic.p95_mbps
        )),
        "{}",
        osaka.detail
    );
    assert_eq!(figures.ranking_basis(), RankingBasis::Measured);
    assert!(figures.estimated_utilisation < figures.utilisation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_reject_maintenance_ranks_last_or_rejects_and_watchers_hear_of_it() {
    let env = SandboxedServer::start_with(SandboxConfig::default(), fast_signals()).await;
    let channel = env.server.channel.clone();
    let control = env.sandbox.control();
    let mut keys = ServiceKeyServiceClient::new(channel.clone());
    let key = within(keys.create_service_key(CreateServiceKeyRequest {
        port_uid: EQUINIX_LA1.into(),
        single_use: true,
        max_speed_mbps: 1000,
        pre_approved: true,
        customer_ref: "acme".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    }))
    .await
    .expect("key")
    .into_inner()
    .service_key
    .expect("service_key");
    let mut watch = within(keys.watch_service_keys(WatchServiceKeysRequest::default()))
        .await
        .expect("watch")
        .into_inner();

    // Maintenance on LA1 (the guide's best LA Port) in two hours, inside the 7-day horizon.
    control
        .upsert_event(SeedEvent {
            kind: EventKind::Maintenance,
            event_id: Some("CSM-77".into()),
            services: vec![EQUINIX_LA1.into()],
            starts_in_hours: 2.0,
            duration_hours: Some(4.0),
            impact: Some("up to 30 minutes of outage".into()),
            purpose: Some("line card swap".into()),
            cancelled: false,
        })
        .expect("maintenance");
    let us_west = || Scope::Region("us-west".into());
    let ranked_last = eventually("maintenance seen", async || {
        let answer = select(&channel, us_west(), MaintenancePolicy::Unspecified).await;
        (answer.chosen[0].port_uid == CORESITE_LA1).then_some(answer)
    })
    .await;
    let la1 = rejection_of(&ranked_last, EQUINIX_LA1);
    assert_eq!(la1.reason(), RejectionReason::RankedLower);
    assert!(
        la1.detail
            .starts_with("eligible, but ranked last for maintenance CSM-77 (scheduled, "),
        "{}",
        la1.detail
    );
    let rejected = select(&channel, us_west(), MaintenancePolicy::Reject).await;
    let la1 = rejection_of(&rejected, EQUINIX_LA1);
    assert_eq!(la1.reason(), RejectionReason::Maintenance);
    assert!(la1.detail.contains("CSM-77"), "{}", la1.detail);

    // The watcher of the key on LA1 hears of it, with the event id and window.
    let event = within(async {
        loop {
            let message = watch.message().await.expect("ok").expect("open");
            if let Some(Kind::Changes(batch)) = message.kind
                && let Some(event) = batch.events.into_iter().find(|e| {
                    e.r#type() == ServiceKeyEventType::OnRampNotice
                        && e.service_key.as_ref().is_some_and(|k| k.key == key.key)
                })
            {
                return event;
            }
        }
    })
    .await;
    let notice = &event.service_key.expect("key").on_ramp_notices[0];
    assert_eq!(notice.event_id, "CSM-77");
    assert_eq!(notice.kind(), OnRampNoticeKind::Maintenance);
    assert!(!notice.ongoing);
    assert_eq!(notice.impact, "up to 30 minutes of outage");
    assert!(notice.start_time.is_some() && notice.end_time.is_some());

    // An outage on LA2: rejected with the outage's id, whatever the maintenance policy.
    control
        .upsert_event(SeedEvent {
            kind: EventKind::Outage,
            event_id: Some("CSO-78".into()),
            services: vec![CORESITE_LA1.into()],
            starts_in_hours: -0.5,
            duration_hours: None,
            impact: None,
            purpose: Some("loss of light".into()),
            cancelled: false,
        })
        .expect("outage");
    let outage = eventually("outage seen", async || {
        let answer = select(&channel, us_west(), MaintenancePolicy::Unspecified).await;
        (answer.chosen[0].port_uid == EQUINIX_LA1).then_some(answer)
    })
    .await;
    let la2 = rejection_of(&outage, CORESITE_LA1);
    assert_eq!(la2.reason(), RejectionReason::Outage);
    assert!(
        la2.detail
            .starts_with("port is in outage CSO-78 (ongoing, since "),
        "{}",
        la2.detail
    );
    let on_ramp = on_ramp(&channel, CORESITE_LA1).await;
    assert_eq!(on_ramp.notices[0].kind(), OnRampNoticeKind::Outage);
    assert!(on_ramp.notices[0].ongoing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lag_is_one_on_ramp_a_site_not_taking_orders_is_refused_and_a_blank_zone_is_kept() {
    let env = SandboxedServer::start_with(SandboxConfig::default(), fast_signals()).await;
    let channel = env.server.channel.clone();
    let london = within(CatalogServiceClient::new(channel.clone()).list_on_ramps(
        ListOnRampsRequest {
            metro: "London".into(),
            ..Default::default()
        },
    ))
    .await
    .expect("london")
    .into_inner()
    .on_ramps;
    assert_eq!(london.len(), 1, "two LAG members, one on-ramp");
    assert_eq!(london[0].port_uid, LON1);
    assert_eq!(london[0].speed_mbps, 20_000, "2 x 10G");
    assert_eq!(london[0].lag_member_uids, [LON1, LON1_MEMBER]);
    assert_eq!(london[0].diversity_zone(), DiversityZone::Blue);
    assert!(!london[0].diversity_zone_last_known);

    // A Port at a site Megaport does not take orders at yet is refused, with the status.
    let lax12 = env
        .sandbox
        .control()
        .add_port(megaport_sandbox::SeedPort::new(
            "QuantumGPU LAX12",
            "QuantumGPU",
            990,
        ))
        .expect("port at 990");
    let not_orderable = eventually("the new port listed", async || {
        let on_ramps = within(CatalogServiceClient::new(channel.clone()).list_on_ramps(
            ListOnRampsRequest {
                location_id: 990,
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner()
        .on_ramps;
        on_ramps.into_iter().next()
    })
    .await;
    let site = not_orderable.location.as_ref().expect("location");
    assert_eq!(
        (site.status.as_str(), site.orderable),
        ("Deployment", false)
    );
    let selection = select(
        &channel,
        Scope::Selector(RegionSelector {
            port_uids: vec![lax12.clone(), EQUINIX_LA1.into()],
            ..Default::default()
        }),
        MaintenancePolicy::Unspecified,
    )
    .await;
    assert_eq!(uids(&selection.chosen), [EQUINIX_LA1]);
    let refused = rejection_of(&selection, &lax12);
    assert_eq!(refused.reason(), RejectionReason::LocationNotOrderable);
    assert_eq!(
        refused.detail,
        "location Digital Realty LAX12 is deployment, not orderable"
    );

    // Megaport stops returning LON1's zone for a while: onramp keeps blue and says so.
    env.sandbox
        .control()
        .set_port_zone(LON1, None)
        .expect("blank zone");
    let kept = eventually("zone blanked upstream", async || {
        let lon = on_ramp(&channel, LON1).await;
        lon.diversity_zone_last_known.then_some(lon)
    })
    .await;
    assert_eq!(kept.diversity_zone(), DiversityZone::Blue);

    // Persisted: a restart that has never seen the zone still knows it.
    let env = env.restart().await;
    let lon = on_ramp(&env.server.channel, LON1).await;
    assert_eq!(lon.diversity_zone(), DiversityZone::Blue);
    assert!(lon.diversity_zone_last_known);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_of_fifty_ports_stays_inside_the_budget_and_survives_a_restart() {
    // Megaport's limits and onramp's defaults, scaled by 10 in time: 50 requests per 30 s at
    // the sandbox, 45 for onramp; telemetry at most one request per second (10 s by default).
    let sandbox = SandboxConfig {
        limits: megaport_sandbox::SandboxLimits {
            per_client: Some(megaport_sandbox::RateWindow {
                requests: 50,
                window: Duration::from_secs(30),
            }),
            ..megaport_sandbox::SandboxLimits::default()
        },
        ..SandboxConfig::default()
    };
    let mut config = test_config();
    config.megaport.budget.requests = 45;
    config.megaport.budget.window_seconds = 30;
    config.megaport.budget.write_reserve = 5;
    config.megaport.budget.interactive_reserve = 5;
    config.watch.poll_interval_millis = 5_000;
    config.signals.telemetry_interval_seconds = 360;
    config.signals.telemetry_min_spacing_millis = 1_000;
    // The 44 Ports added below show within 10 s.
    config.catalog.products_soft_ttl_seconds = 10;
    let env = SandboxedServer::start_with(sandbox, config).await;
    let control = env.sandbox.control();
    for n in 0..44 {
        let port =
            megaport_sandbox::SeedPort::new(&format!("QuantumGPU extra {n}"), "QuantumGPU", 59);
        control.add_port(port).expect("port");
    }
    let started = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(35)).await;
    let busiest = |arrivals: &[std::time::Instant]| {
        arrivals
            .iter()
            .map(|start| {
                arrivals
                    .iter()
                    .filter(|at| {
                        **at >= *start && at.duration_since(*start) < Duration::from_secs(30)
                    })
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    let arrivals = control.arrivals(RouteGroup::Telemetry);
    let telemetry = busiest(&arrivals);
    assert!(
        (15..=31).contains(&telemetry),
        "at most one telemetry request a second, and progress: {telemetry} in the busiest 30 s"
    );
    let everything = busiest(&control.arrivals(RouteGroup::All));
    assert!(
        everything <= 45,
        "all of onramp's requests inside its budget: {everything} in the busiest 30 s"
    );
    assert_eq!(
        control.refused_by_limits(),
        0,
        "never past Megaport's limit"
    );
    let elapsed = started.elapsed();
    let all = control.requests(RouteGroup::All);
    eprintln!(
        "50 ports: {} telemetry requests ({telemetry} in the busiest 30 s), {all} megaport \
         requests in all ({everything} in the busiest 30 s), in {:.0} s",
        arrivals.len(),
        elapsed.as_secs_f64()
    );

    // What was measured is kept: with collection off after a restart, it is still there.
    let list = async |channel: &Channel| {
        within(
            CatalogServiceClient::new(channel.clone()).list_on_ramps(ListOnRampsRequest {
                page_size: 100,
                ..Default::default()
            }),
        )
        .await
        .expect("on-ramps")
        .into_inner()
        .on_ramps
    };
    let before = list(&env.server.channel).await;
    let measured = before.iter().filter(|o| o.measured.is_some()).count();
    assert!(measured >= 25, "{measured} of 50 measured in 35 s");
    let mut env = env;
    env.config.signals.enabled = false;
    let env = env.restart().await;
    let after = list(&env.server.channel).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(after.port_uid, before.port_uid);
        assert_eq!(after.measured, before.measured, "{}", before.port_uid);
    }
}
