//! The maintenance and outage collector: Megaport's feeds of scheduled and running maintenance
//! and ongoing outages, once per `events_interval` (3 requests; 3 per 5 minutes by default), at
//! background priority.

use std::sync::Arc;
use std::time::Duration;

use megaport::budget::Priority;
use megaport::models;
use tokio::time::Instant;

use super::board::{RawEvent, Signals};
use crate::catalog::Catalog;
use onramp_core::signals::NoticeKind;
use tokio_util::sync::CancellationToken;

const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn spawn(
    signals: Arc<Signals>,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(megaport::budget::with_priority(
        Priority::Background,
        async move {
            let interval = signals.settings().events_interval;
            loop {
                let events = read_feeds(&catalog).await;
                if let Err(error) = &events {
                    tracing::warn!(%error, "maintenance and outage feeds not read");
                }
                signals.record_events(events).await;
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = shutdown.cancelled() => break,
                }
            }
        },
    ))
}

async fn read_feeds(catalog: &Catalog) -> Result<Vec<RawEvent>, String> {
    let client = catalog.client();
    let deadline = Instant::now() + CALL_TIMEOUT;
    let mut events = Vec::new();
    for state in ["Scheduled", "Running"] {
        let listed = client
            .maintenance_events(state, deadline)
            .await
            .map_err(|error| error.to_string())?;
        events.extend(
            listed
                .iter()
                .map(|e| raw(NoticeKind::Maintenance, e, state)),
        );
    }
    let listed = client
        .outage_events("Ongoing", deadline)
        .await
        .map_err(|error| error.to_string())?;
    events.extend(listed.iter().map(|e| raw(NoticeKind::Outage, e, "Ongoing")));
    Ok(events)
}

fn raw(kind: NoticeKind, event: &models::StatusEvent, asked_state: &str) -> RawEvent {
    let ms = |t: Option<time::OffsetDateTime>| {
        t.and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
    };
    RawEvent {
        kind,
        event_id: event
            .event_id
            .clone()
            .or_else(|| event.outage_id.clone())
            .unwrap_or_default(),
        state: event
            .state
            .clone()
            .filter(|state| !state.trim().is_empty())
            .unwrap_or_else(|| asked_state.to_owned()),
        start_ms: ms(event.start_time),
        end_ms: ms(event.end_time),
        impact: event.impact.clone().unwrap_or_default(),
        purpose: event.purpose.clone().unwrap_or_default(),
        services: event.services.clone(),
    }
}
