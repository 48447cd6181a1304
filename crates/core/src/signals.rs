//! What onramp knows about a Port beyond Megaport's product record: the traffic measured on it,
//! the maintenance and outages that affect it, and the last diversity zone Megaport gave it.
//! Collected in the background (server crate) and read by on-ramp views and key views.

use std::collections::HashMap;
use std::sync::Arc;

/// Megaport's red/blue diversity zone of a Port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Zone {
    Red,
    Blue,
    /// No zone: such a Port is never half of a diverse pair.
    None,
}

impl Zone {
    /// Megaport writes zones in lower case and sometimes leaves them empty or null.
    pub fn from_megaport(zone: Option<&str>) -> Self {
        match zone.map(str::trim) {
            Some(zone) if zone.eq_ignore_ascii_case("red") => Self::Red,
            Some(zone) if zone.eq_ignore_ascii_case("blue") => Self::Blue,
            _ => Self::None,
        }
    }
}

/// Traffic measured on a Port over a window, from Megaport's telemetry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeasuredTraffic {
    /// The 95th percentile of max(in, out) over the window's samples.
    pub p95_mbps: f64,
    /// The highest max(in, out) sample in the window.
    pub peak_mbps: f64,
    pub window_days: u16,
    pub sample_count: u32,
    /// The newest sample (epoch ms).
    pub last_sample_ms: i64,
    /// When onramp read it from Megaport (epoch ms).
    pub collected_ms: i64,
    /// Whether it is recent enough to rank on (decided when the signals were published).
    #[serde(default)]
    pub fresh: bool,
}

impl MeasuredTraffic {
    /// The figures of a window of (epoch ms, Mbps in, Mbps out) samples; None without samples.
    pub fn from_samples(
        samples: impl IntoIterator<Item = (i64, f64)>,
        window_days: u16,
        collected_ms: i64,
    ) -> Option<Self> {
        let mut values = Vec::new();
        let mut last_sample_ms = i64::MIN;
        for (at, mbps) in samples {
            if mbps.is_finite() && mbps >= 0.0 {
                values.push(mbps);
                last_sample_ms = last_sample_ms.max(at);
            }
        }
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        // Nearest rank: the smallest value with at least 95% of the samples at or below it.
        let rank = (values.len() * 95).div_ceil(100).max(1);
        Some(Self {
            p95_mbps: values[rank - 1],
            peak_mbps: values[values.len() - 1],
            window_days,
            sample_count: u32::try_from(values.len()).unwrap_or(u32::MAX),
            last_sample_ms,
            collected_ms,
            fresh: true,
        })
    }
}

/// Which feed a notice comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NoticeKind {
    Maintenance,
    Outage,
}

/// Where a notice stands relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NoticePhase {
    /// Running maintenance or an ongoing outage.
    Ongoing,
    /// Maintenance that starts within the configured horizon.
    Upcoming,
}

/// A maintenance or outage event that affects a Port now or within the horizon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PortNotice {
    pub kind: NoticeKind,
    pub phase: NoticePhase,
    /// Megaport's event id (the ticket number).
    pub event_id: String,
    /// Megaport's state: Scheduled or Running; Ongoing.
    pub state: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub impact: String,
    pub purpose: String,
}

impl PortNotice {
    /// "maintenance CSM-1 (scheduled, 2026-12-09T02:00:00Z to 2026-12-09T06:00:00Z)".
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            NoticeKind::Maintenance => "maintenance",
            NoticeKind::Outage => "outage",
        };
        let at = |ms: Option<i64>| {
            ms.and_then(|ms| {
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
            })
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
        };
        let window = match (at(self.start_ms), at(self.end_ms)) {
            (Some(start), Some(end)) => format!(", {start} to {end}"),
            (Some(start), None) => format!(", since {start}"),
            _ => String::new(),
        };
        format!(
            "{kind} {} ({}{window})",
            self.event_id,
            self.state.to_lowercase()
        )
    }
}

/// A status event as the feeds give it: the services it names are Megaport's short
/// (8-character) uids, or full ones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusEvent {
    pub notice: PortNotice,
    pub services: Vec<String>,
}

impl StatusEvent {
    /// Whether the event names the product `uid` (by its full uid or its short prefix).
    pub fn affects(&self, uid: &str) -> bool {
        self.services.iter().any(|service| {
            let service = service.trim();
            service.len() >= 8
                && uid
                    .get(..service.len())
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(service))
        })
    }
}

/// Everything known about the Ports beyond their product records, as one snapshot: a new
/// snapshot (a new `Arc`) is published only when something in it changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortSignals {
    /// By Port uid: the last measurement, fresh or not.
    pub traffic: HashMap<String, MeasuredTraffic>,
    /// Ongoing and upcoming events.
    pub events: Vec<StatusEvent>,
    /// By Port uid: the last non-empty diversity zone Megaport gave (shared between snapshots:
    /// it changes rarely and may hold every Port).
    pub last_known_zones: Arc<HashMap<String, Zone>>,
    /// Set when the feeds could not be read: selection says the notices may be incomplete.
    pub events_unavailable: Option<String>,
}

impl PortSignals {
    /// The notices that affect the product `uid`, ongoing first, then by start.
    pub fn notices_for(&self, uid: &str) -> Vec<PortNotice> {
        let mut notices: Vec<PortNotice> = self
            .events
            .iter()
            .filter(|event| event.affects(uid))
            .map(|event| event.notice.clone())
            .collect();
        notices.sort_by(|a, b| {
            (a.phase != NoticePhase::Ongoing, a.start_ms, &a.event_id).cmp(&(
                b.phase != NoticePhase::Ongoing,
                b.start_ms,
                &b.event_id,
            ))
        });
        notices.dedup();
        notices
    }

    /// The notices of any of `uids` (a LAG's members), without repeats.
    pub fn notices_for_any<'a>(&self, uids: impl IntoIterator<Item = &'a str>) -> Vec<PortNotice> {
        let mut notices: Vec<PortNotice> = Vec::new();
        for uid in uids {
            for notice in self.notices_for(uid) {
                if !notices.contains(&notice) {
                    notices.push(notice);
                }
            }
        }
        notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_parsing_tolerates_case_and_blanks() {
        assert_eq!(Zone::from_megaport(Some("Blue")), Zone::Blue);
        assert_eq!(Zone::from_megaport(Some(" red ")), Zone::Red);
        assert_eq!(Zone::from_megaport(Some("")), Zone::None);
        assert_eq!(Zone::from_megaport(None), Zone::None);
    }

    #[test]
    fn p95_is_the_nearest_rank_of_the_samples() {
        let samples = (1..=100).map(|i| (i64::from(i) * 300_000, f64::from(i)));
        let measured = MeasuredTraffic::from_samples(samples, 7, 0).expect("figures");
        assert!((measured.p95_mbps - 95.0).abs() < f64::EPSILON);
        assert!((measured.peak_mbps - 100.0).abs() < f64::EPSILON);
        assert_eq!(measured.sample_count, 100);
        assert_eq!(measured.last_sample_ms, 30_000_000);
        assert!(MeasuredTraffic::from_samples([(1, f64::NAN)], 7, 0).is_none());
    }

    #[test]
    fn events_match_short_and_full_uids_only() {
        let event = StatusEvent {
            notice: PortNotice {
                kind: NoticeKind::Outage,
                phase: NoticePhase::Ongoing,
                event_id: "CSO-1".into(),
                state: "Ongoing".into(),
                start_ms: Some(0),
                end_ms: None,
                impact: String::new(),
                purpose: String::new(),
            },
            services: vec!["CBBCC852".into(), "abc".into()],
        };
        assert!(event.affects("cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"));
        assert!(
            !event.affects("abcdef12-0000"),
            "too short to be a uid prefix"
        );
        let signals = PortSignals {
            events: vec![event],
            ..PortSignals::default()
        };
        assert_eq!(
            signals.notices_for("cbbcc852-ed8a-4a3b-8f00-c192eefb1a88")[0].describe(),
            "outage CSO-1 (ongoing, since 1970-01-01T00:00:00Z)"
        );
    }
}
