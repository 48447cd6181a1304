//! The records the sandbox's world keeps of order approvals and of status events. They sit below
//! `state`, which stores them, so that `state` and the routes that serve them (`approvals`,
//! `status_events`) depend on these types and not on each other.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;
use time::format_description::well_known::iso8601::{Config, EncodedConfig, TimePrecision};

use super::seed::{EventKind, SeedEvent};

const HOUR_MS: f64 = 3_600_000.0;

/// What an approval decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalKind {
    NewOrder,
    SpeedChange,
    TermChange,
}

impl ApprovalKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::NewOrder => "NEW_ORDER",
            ApprovalKind::SpeedChange => "SPEED_CHANGE",
            ApprovalKind::TermChange => "TERM_CHANGE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Expired,
}

impl ApprovalStatus {
    pub(crate) const ALL: [ApprovalStatus; 5] = [
        ApprovalStatus::Pending,
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Withdrawn,
        ApprovalStatus::Expired,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "PENDING",
            ApprovalStatus::Approved => "APPROVED",
            ApprovalStatus::Rejected => "REJECTED",
            ApprovalStatus::Withdrawn => "WITHDRAWN",
            ApprovalStatus::Expired => "EXPIRED",
        }
    }
}

/// One approval request.
#[derive(Debug, Clone)]
pub(crate) struct OrderApproval {
    pub uid: String,
    pub id: i64,
    pub kind: ApprovalKind,
    pub status: ApprovalStatus,
    pub vxc_uid: String,
    /// The B-End owner, who decides.
    pub approver_company_uid: String,
    /// The buyer, who asked.
    pub requester_company_uid: String,
    /// The rate (NEW_ORDER, SPEED_CHANGE) and term (NEW_ORDER, TERM_CHANGE) asked for.
    pub rate_limit: i64,
    pub term: i64,
    /// The decision's comment, once decided.
    pub comment: String,
    pub create_ms: i64,
    pub expires_ms: i64,
    pub decided_ms: Option<i64>,
}

/// One maintenance or outage event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusEvent {
    pub kind: EventKind,
    pub event_id: String,
    /// Full product uids; served as Megaport's short (8-character) uids.
    pub services: Vec<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub impact: String,
    pub purpose: String,
    pub cancelled: bool,
    pub created_ms: i64,
}

impl StatusEvent {
    pub(crate) fn from_seed(e: &SeedEvent, now_ms: i64, fresh_id: i64) -> Result<Self, String> {
        if !e.starts_in_hours.is_finite()
            || e.duration_hours.is_some_and(|d| !d.is_finite() || d <= 0.0)
        {
            return Err("starts_in_hours and duration_hours must be finite, duration > 0".into());
        }
        if e.kind == EventKind::Maintenance && e.duration_hours.is_none() {
            return Err("a maintenance event needs duration_hours".into());
        }
        #[allow(clippy::cast_possible_truncation)] // hours in a seed are far inside i64 ms
        let start_ms = now_ms + (e.starts_in_hours * HOUR_MS) as i64;
        #[allow(clippy::cast_possible_truncation)]
        let end_ms = e.duration_hours.map(|d| start_ms + (d * HOUR_MS) as i64);
        let prefix = match e.kind {
            EventKind::Maintenance => "CSM",
            EventKind::Outage => "CSO",
        };
        Ok(StatusEvent {
            kind: e.kind,
            event_id: e
                .event_id
                .clone()
                .unwrap_or_else(|| format!("{prefix}-{fresh_id}")),
            services: e.services.clone(),
            start_ms,
            end_ms,
            impact: e.impact.clone().unwrap_or_default(),
            purpose: e.purpose.clone().unwrap_or_default(),
            cancelled: e.cancelled,
            created_ms: now_ms,
        })
    }

    /// The state Megaport would report at `now_ms`; None while an outage has not begun.
    pub(crate) fn state(&self, now_ms: i64) -> Option<&'static str> {
        let ended = self.end_ms.is_some_and(|end| now_ms >= end);
        match self.kind {
            EventKind::Maintenance if self.cancelled => Some("Cancelled"),
            EventKind::Maintenance if now_ms < self.start_ms => Some("Scheduled"),
            EventKind::Maintenance if ended => Some("Completed"),
            EventKind::Maintenance => Some("Running"),
            EventKind::Outage if now_ms < self.start_ms => None,
            EventKind::Outage if ended => Some("Resolved"),
            EventKind::Outage => Some("Ongoing"),
        }
    }

    pub(crate) fn json(&self, state: &str) -> Value {
        let services: Vec<String> = self
            .services
            .iter()
            .map(|uid| uid.chars().take(8).collect())
            .collect();
        let start = iso(self.start_ms);
        let end = self.end_ms.map(iso);
        match self.kind {
            EventKind::Maintenance => json!({
                "eventId": self.event_id, "state": state, "startTime": start, "endTime": end,
                "impact": self.impact, "purpose": self.purpose,
                "cancelReason": if self.cancelled { Some("Rescheduled") } else { None },
                "eventType": "Planned", "services": services
            }),
            EventKind::Outage => json!({
                "outageId": format!("{}-outage", self.event_id), "eventId": self.event_id,
                "state": state, "startTime": start, "endTime": end, "purpose": self.purpose,
                "services": services,
                "rootCause": if state == "Resolved" { Some("Fibre cut") } else { None },
                "resolution": if state == "Resolved" { Some("Fibre spliced") } else { None },
                "mitigationActions": null, "createdBy": "Megaport NOC",
                "createdDate": iso(self.created_ms), "updatedDate": iso(self.created_ms),
                "notices": []
            }),
        }
    }
}

/// ISO 8601 UTC with milliseconds (`yyyy-MM-dd'T'HH:mm:ss.SSSX`), as Megaport writes these feeds.
const MILLIS: EncodedConfig = Config::DEFAULT
    .set_time_precision(TimePrecision::Second {
        decimal_digits: std::num::NonZeroU8::new(3),
    })
    .encode();

fn iso(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Iso8601::<MILLIS>).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, starts_in_hours: f64, duration_hours: Option<f64>) -> StatusEvent {
        let seed = SeedEvent {
            kind,
            event_id: None,
            services: vec!["cbbcc852-ed8a-4a3b-8f00-c192eefb1a88".into()],
            starts_in_hours,
            duration_hours,
            impact: None,
            purpose: None,
            cancelled: false,
        };
        StatusEvent::from_seed(&seed, 0, 7).expect("valid")
    }

    #[test]
    fn states_follow_the_clock() {
        let hour = 3_600_000;
        let maintenance = event(EventKind::Maintenance, 1.0, Some(2.0));
        assert_eq!(maintenance.event_id, "CSM-7");
        assert_eq!(maintenance.state(0), Some("Scheduled"));
        assert_eq!(maintenance.state(hour), Some("Running"));
        assert_eq!(maintenance.state(3 * hour), Some("Completed"));
        let outage = event(EventKind::Outage, -1.0, None);
        assert_eq!(outage.state(0), Some("Ongoing"));
        assert_eq!(event(EventKind::Outage, 1.0, None).state(0), None);
        assert_eq!(
            event(EventKind::Outage, -2.0, Some(1.0)).state(0),
            Some("Resolved")
        );
    }

    #[test]
    fn services_are_short_uids_and_times_iso() {
        let maintenance = event(EventKind::Maintenance, 1.0, Some(2.0));
        let body = maintenance.json("Scheduled");
        assert_eq!(body["services"], json!(["cbbcc852"]));
        assert_eq!(body["startTime"], "1970-01-01T01:00:00.000Z");
    }
}
