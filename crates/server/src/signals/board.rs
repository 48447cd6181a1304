//! The board the collectors pin their findings to: one [`PortSignals`] snapshot, persisted, and
//! taken in from the store on replicas that do not collect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use onramp_core::onramps::{Port, Zone};
use onramp_core::signals::{MeasuredTraffic, NoticeKind, NoticePhase, PortSignals, StatusEvent};
use onramp_store::Store;
use onramp_store::changes::ChangeKind;
use tokio_util::sync::CancellationToken;

use super::settings::SignalSettings;
use crate::change_feed::{FeedItem, Subscription};

/// The kinds of signal the store keeps per Port.
const TRAFFIC: &str = "traffic";
const ZONE: &str = "zone";
/// The events are one row, under this key.
const EVENTS: &str = "events";
const FEEDS: &str = "feeds";

/// The feeds as last read, as persisted.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ReadEvents {
    /// When they were read (epoch ms): the newer of two copies wins.
    read_ms: i64,
    events: Vec<RawEvent>,
    error: Option<String>,
}

/// What the collectors have gathered, before freshness and phases are applied.
#[derive(Default)]
struct Collected {
    traffic: HashMap<String, MeasuredTraffic>,
    events: ReadEvents,
    zones: Arc<HashMap<String, Zone>>,
}

/// The signals of the provider's Ports, shared by the catalog, the collectors and the key
/// watcher.
pub struct Signals {
    settings: SignalSettings,
    collected: Mutex<Collected>,
    current: watch::Sender<Arc<PortSignals>>,
    /// Where measurements and zones are persisted, once attached (not in unit tests).
    store: OnceLock<Store>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals").finish_non_exhaustive()
    }
}

impl Signals {
    pub fn new(settings: SignalSettings) -> Self {
        Self {
            settings,
            collected: Mutex::default(),
            current: watch::channel(Arc::default()).0,
            store: OnceLock::new(),
        }
    }

    /// Persists from now on to `store`, and loads what an earlier run persisted there.
    pub async fn attach_store(&self, store: Store) -> Result<(), onramp_store::StoreError> {
        self.store.get_or_init(|| store);
        self.take_in_stored().await
    }

    /// Takes in what the store holds that is newer than what this replica has (another
    /// replica's collection, or an earlier run's), and publishes.
    async fn take_in_stored(&self) -> Result<(), onramp_store::StoreError> {
        let Some(store) = self.store.get() else {
            return Ok(());
        };
        let traffic = store.port_signals(TRAFFIC).await?;
        let zones = store.port_signals(ZONE).await?;
        let events = store.port_signals(EVENTS).await?;
        {
            let mut collected = self.lock();
            for (uid, json) in traffic {
                if let Ok(measured) = serde_json::from_str::<MeasuredTraffic>(&json)
                    && collected
                        .traffic
                        .get(&uid)
                        .is_none_or(|held| held.collected_ms < measured.collected_ms)
                {
                    collected.traffic.insert(uid, measured);
                }
            }
            // This replica's own products conversions are at least as recent as the store's.
            for (uid, json) in zones {
                if let Ok(zone) = serde_json::from_str::<Zone>(&json)
                    && !collected.zones.contains_key(&uid)
                {
                    Arc::make_mut(&mut collected.zones).insert(uid, zone);
                }
            }
            for (_, json) in events {
                if let Ok(read) = serde_json::from_str::<ReadEvents>(&json)
                    && read.read_ms > collected.events.read_ms
                {
                    collected.events = read;
                }
            }
        }
        self.publish();
        Ok(())
    }

    pub fn settings(&self) -> &SignalSettings {
        &self.settings
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<PortSignals> {
        self.current.borrow().clone()
    }

    /// Changes of the snapshot, for the key watcher.
    pub fn subscribe(&self) -> watch::Receiver<Arc<PortSignals>> {
        self.current.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, Collected> {
        // A poisoned lock only means a panic elsewhere; the maps are still valid.
        self.collected.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the zone of every Port that has one (called once per products conversion);
    /// a Port Megaport returns without a zone keeps its last one.
    pub fn record_zones(&self, ports: &[Port]) {
        let changed: Vec<(String, String)> = {
            let mut collected = self.lock();
            let mut changed = Vec::new();
            for port in ports.iter().filter(|port| port.zone != Zone::None) {
                if collected.zones.get(&port.uid) != Some(&port.zone) {
                    Arc::make_mut(&mut collected.zones).insert(port.uid.clone(), port.zone);
                    let json = serde_json::to_string(&port.zone).unwrap_or_default();
                    changed.push((port.uid.clone(), json));
                }
            }
            changed
        };
        if changed.is_empty() {
            return;
        }
        self.publish();
        if let Some(store) = self.store.get().cloned()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(error) = store.save_port_signals(ZONE, &changed).await {
                    tracing::warn!(%error, "could not persist the ports' diversity zones");
                }
            });
        }
    }

    /// Records a Port's new measurement and persists it.
    pub(super) async fn record_traffic(&self, port_uid: &str, measured: MeasuredTraffic) {
        let json = serde_json::to_string(&measured).unwrap_or_default();
        self.lock().traffic.insert(port_uid.to_owned(), measured);
        self.publish();
        if let Some(store) = self.store.get()
            && let Err(error) = store
                .save_port_signals(TRAFFIC, &[(port_uid.to_owned(), json)])
                .await
        {
            tracing::warn!(%error, "could not persist a port's measured traffic");
        }
    }

    /// Records a read of the feeds and persists it.
    pub(super) async fn record_events(&self, events: Result<Vec<RawEvent>, String>) {
        let json = {
            let mut collected = self.lock();
            collected.events.read_ms = now_ms();
            match events {
                Ok(events) => {
                    collected.events.events = events;
                    collected.events.error = None;
                }
                // The last good list stays: an event does not end because the feed failed.
                Err(error) => collected.events.error = Some(error),
            }
            serde_json::to_string(&collected.events).unwrap_or_default()
        };
        self.publish();
        if let Some(store) = self.store.get()
            && let Err(error) = store
                .save_port_signals(EVENTS, &[(FEEDS.to_owned(), json)])
                .await
        {
            tracing::warn!(%error, "could not persist the maintenance and outage events");
        }
    }

    /// When each Port's telemetry was last collected (epoch ms).
    pub(super) fn collected_at(&self) -> HashMap<String, i64> {
        self.lock()
            .traffic
            .iter()
            .map(|(uid, measured)| (uid.clone(), measured.collected_ms))
            .collect()
    }

    /// Applies the clock (freshness, maintenance phases) and publishes if anything changed.
    fn publish(&self) {
        let now = now_ms();
        let snapshot = {
            let collected = self.lock();
            let max_age = millis(self.settings.telemetry_max_age);
            PortSignals {
                traffic: collected
                    .traffic
                    .iter()
                    .map(|(uid, measured)| {
                        let mut measured = measured.clone();
                        measured.fresh = now.saturating_sub(measured.collected_ms) <= max_age;
                        (uid.clone(), measured)
                    })
                    .collect(),
                events: collected
                    .events
                    .events
                    .iter()
                    .filter_map(|event| event.at(now, millis(self.settings.maintenance_horizon)))
                    .collect(),
                last_known_zones: collected.zones.clone(),
                events_unavailable: collected.events.error.clone(),
            }
        };
        self.current.send_if_modified(|current| {
            if **current == snapshot {
                return false;
            }
            *current = Arc::new(snapshot);
            true
        });
    }

    /// On a replica sharing a PostgreSQL store: takes in what the leader collected as soon as
    /// the change feed says it was stored, and at least as often as the feeds are read (at
    /// most a minute apart), which also re-publishes for the clock. Harmless on the leader,
    /// whose own copy is the newest.
    pub fn spawn_follower(
        self: &Arc<Self>,
        mut feed: Subscription,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let signals = self.clone();
        let interval = signals
            .settings
            .events_interval
            .min(Duration::from_secs(60));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    item = feed.next() => match item {
                        Some(FeedItem::Change(change)) if change.kind != ChangeKind::PortSignals => continue,
                        Some(_) => {}
                        None => break,
                    },
                    () = shutdown.cancelled() => break,
                }
                if let Err(error) = signals.take_in_stored().await {
                    tracing::warn!(%error, "cannot read the ports' signals other replicas collected");
                }
            }
        })
    }
}

pub(super) async fn republish(signals: Arc<Signals>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(60)) => signals.publish(),
            () = shutdown.cancelled() => break,
        }
    }
}

/// The wall clock in epoch milliseconds (what Megaport's timestamps are in).
pub(super) fn now_ms() -> i64 {
    onramp_store::millis(time::OffsetDateTime::now_utc())
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// An event as read from a feed, before the clock and horizon are applied.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawEvent {
    pub kind: NoticeKind,
    pub event_id: String,
    pub state: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub impact: String,
    pub purpose: String,
    /// Short (8-character) or full service uids.
    pub services: Vec<String>,
}

impl RawEvent {
    /// The event as it stands at `now`: None once it no longer matters (maintenance beyond the
    /// horizon or over).
    fn at(&self, now: i64, horizon_ms: i64) -> Option<StatusEvent> {
        let ended = self.end_ms.is_some_and(|end| end <= now);
        let phase = match self.kind {
            NoticeKind::Outage => NoticePhase::Ongoing,
            NoticeKind::Maintenance if ended => return None,
            NoticeKind::Maintenance if self.state.eq_ignore_ascii_case("running") => {
                NoticePhase::Ongoing
            }
            NoticeKind::Maintenance => match self.start_ms {
                Some(start) if start <= now => NoticePhase::Ongoing,
                Some(start) if start <= now.saturating_add(horizon_ms) => NoticePhase::Upcoming,
                // Without a start time it cannot be placed; treat it as upcoming.
                None => NoticePhase::Upcoming,
                Some(_) => return None,
            },
        };
        Some(StatusEvent {
            notice: onramp_core::signals::PortNotice {
                kind: self.kind,
                phase,
                event_id: self.event_id.clone(),
                state: self.state.clone(),
                start_ms: self.start_ms,
                end_ms: self.end_ms,
                impact: self.impact.clone(),
                purpose: self.purpose.clone(),
            },
            services: self.services.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maintenance(start_ms: i64, state: &str) -> RawEvent {
        RawEvent {
            kind: NoticeKind::Maintenance,
            event_id: "CSM-1".into(),
            state: state.into(),
            start_ms: Some(start_ms),
            end_ms: Some(start_ms + 3_600_000),
            impact: String::new(),
            purpose: String::new(),
            services: vec!["cbbcc852".into()],
        }
    }

    #[test]
    fn maintenance_is_upcoming_within_the_horizon_and_ongoing_once_started() {
        let hour = 3_600_000;
        let horizon = 24 * hour;
        assert!(maintenance(48 * hour, "Scheduled").at(0, horizon).is_none());
        let soon = maintenance(2 * hour, "Scheduled")
            .at(0, horizon)
            .expect("in horizon");
        assert_eq!(soon.notice.phase, NoticePhase::Upcoming);
        let started = maintenance(0, "Scheduled").at(1, horizon).expect("started");
        assert_eq!(started.notice.phase, NoticePhase::Ongoing);
        assert!(
            maintenance(0, "Running").at(2 * hour, horizon).is_none(),
            "over"
        );
    }

    #[tokio::test]
    async fn stale_measurements_are_published_as_not_fresh_and_zones_are_kept() {
        let signals = Signals::new(SignalSettings {
            telemetry_max_age: Duration::from_secs(60),
            ..SignalSettings::default()
        });
        let old =
            MeasuredTraffic::from_samples([(0, 5.0)], 7, now_ms() - 120_000).expect("figures");
        signals.record_traffic("old", old).await;
        let new = MeasuredTraffic::from_samples([(0, 5.0)], 7, now_ms()).expect("figures");
        signals.record_traffic("new", new).await;
        let current = signals.current();
        assert!(!current.traffic["old"].fresh);
        assert!(current.traffic["new"].fresh);

        let mut port = onramp_core::testing::port(
            "p",
            onramp_core::testing::location(1, "x", "m", "c"),
            Zone::Red,
        );
        signals.record_zones(std::slice::from_ref(&port));
        let first = signals.current();
        signals.record_zones(std::slice::from_ref(&port));
        assert!(
            Arc::ptr_eq(&first, &signals.current()),
            "unchanged: same snapshot"
        );
        port.zone = Zone::None;
        signals.record_zones(&[port]);
        assert_eq!(signals.current().last_known_zones["p"], Zone::Red);
    }
}
