//! The telemetry collector: each LIVE on-ramp's traffic once per `telemetry_interval`, one
//! Megaport request per Port (per member for a LAG), never two closer than
//! `telemetry_min_spacing`, at background priority. With 50 Ports and the defaults (1 hour,
//! 10 s) that is 50 requests an hour, about 4 per 5 minutes, and at most 30 per 5 minutes
//! while a fresh install fills in (or whatever the number of Ports).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use megaport::budget::Priority;
use tokio::time::Instant;

use super::board::{Signals, millis, now_ms};
use crate::catalog::Catalog;
use onramp_core::Inventory;
use onramp_core::onramps::Port;
use onramp_core::signals::MeasuredTraffic;
use tokio_util::sync::CancellationToken;

/// How long one telemetry call may take (7 days of 5-minute samples is about 60 KB).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn spawn(
    signals: Arc<Signals>,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(megaport::budget::with_priority(
        Priority::Background,
        async move {
            // The last attempt per Port, so a Port whose telemetry fails waits its interval
            // like the others instead of being asked again at once.
            let mut attempted: HashMap<String, i64> = HashMap::new();
            loop {
                let pause = collect_next(&signals, &catalog, &mut attempted).await;
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = shutdown.cancelled() => break,
                }
            }
        },
    ))
}

/// Collects the Port most overdue, if any is due; returns how long to wait before the next.
async fn collect_next(
    signals: &Signals,
    catalog: &Catalog,
    attempted: &mut HashMap<String, i64>,
) -> Duration {
    let settings = signals.settings();
    let ports = match Inventory::ports(catalog).await {
        Ok(ports) => ports,
        Err(_) => return settings.telemetry_min_spacing.max(Duration::from_secs(5)),
    };
    let live: Vec<&Port> = ports.iter().filter(|port| port.is_live()).collect();
    if live.is_empty() {
        return Duration::from_secs(30);
    }
    let interval = millis(settings.telemetry_interval);
    let collected = signals.collected_at();
    let now = now_ms();
    let last = |uid: &str| {
        collected
            .get(uid)
            .copied()
            .max(attempted.get(uid).copied())
            .unwrap_or(i64::MIN)
    };
    let Some(port) = live
        .iter()
        .filter(|port| last(&port.uid).saturating_add(interval) <= now)
        .min_by_key(|port| (last(&port.uid), &port.uid))
    else {
        // Nothing due: wait for the next Port that is, looking again at least once a minute
        // for Ports that appeared meanwhile. Ports collected `telemetry_min_spacing` apart
        // stay that far apart, interval after interval.
        let next_due = live
            .iter()
            .map(|port| last(&port.uid).saturating_add(interval))
            .min()
            .unwrap_or(now);
        let wait = u64::try_from(next_due.saturating_sub(now)).unwrap_or(0);
        return Duration::from_millis(wait)
            .clamp(Duration::from_millis(100), Duration::from_secs(60));
    };
    attempted.insert(port.uid.clone(), now);
    match measure(catalog, port, settings.telemetry_window_days).await {
        Ok(Some(measured)) => signals.record_traffic(&port.uid, measured).await,
        Ok(None) => tracing::debug!(port = %port.uid, "megaport returned no traffic samples"),
        Err(error) => tracing::warn!(port = %port.uid, %error, "port telemetry not collected"),
    }
    settings.telemetry_min_spacing
}

/// The Port's traffic (a LAG's members summed per sample instant), max of in and out.
async fn measure(
    catalog: &Catalog,
    port: &Port,
    window_days: u16,
) -> Result<Option<MeasuredTraffic>, megaport::MegaportError> {
    // instant -> (in, out), summed over members.
    let mut by_instant: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for uid in port.member_uids() {
        let telemetry = catalog
            .client()
            .port_traffic(
                crate::adapters::product_kind(&port.kind),
                uid,
                window_days,
                Instant::now() + CALL_TIMEOUT,
            )
            .await?;
        for series in &telemetry.data {
            if !series
                .kind
                .as_deref()
                .is_none_or(|kind| kind.eq_ignore_ascii_case("BITS"))
            {
                continue;
            }
            let inbound = match series.subtype.as_deref().map(str::trim) {
                Some(subtype) if subtype.eq_ignore_ascii_case("in") => true,
                Some(subtype) if subtype.eq_ignore_ascii_case("out") => false,
                _ => continue,
            };
            for (at, value) in &series.samples {
                let Some(value) = value.filter(|v| v.is_finite() && *v >= 0.0) else {
                    continue;
                };
                #[allow(clippy::cast_possible_truncation)] // epoch ms fit an i64
                let entry = by_instant.entry(*at as i64).or_default();
                if inbound {
                    entry.0 += value;
                } else {
                    entry.1 += value;
                }
            }
        }
    }
    Ok(MeasuredTraffic::from_samples(
        by_instant
            .into_iter()
            .map(|(at, (inbound, outbound))| (at, inbound.max(outbound))),
        window_days,
        now_ms(),
    ))
}
