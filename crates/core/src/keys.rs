//! Service keys as onramp sees them: Megaport's key plus the ledger (customer, region, request id,
//! the VXC a key became), a derived state, and the VLAN rules for single-use keys.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::onramps::PortRef;

/// Lowest and highest VLAN Megaport accepts on a Port.
pub const VLAN_MIN: i32 = 2;
pub const VLAN_MAX: i32 = 4093;

/// Where a key stands, derived from Megaport's flags, the ledger and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyState {
    /// Its validity window has not started.
    Pending,
    Active,
    /// Deactivated: no new VXC can be bought with it.
    Inactive,
    /// Its validity window has ended.
    Expired,
    /// A single-use key that became a VXC.
    Used,
}

/// A service key as Megaport reports it, in domain terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamKey {
    pub key: String,
    pub port_uid: String,
    pub port_name: String,
    /// The company that owns the key's Port (the provider).
    pub company_name: String,
    pub single_use: bool,
    pub vlan: Option<i32>,
    pub max_speed_mbps: i64,
    pub pre_approved: bool,
    pub active: bool,
    pub description: String,
    pub valid_from: Option<OffsetDateTime>,
    pub valid_until: Option<OffsetDateTime>,
    /// Megaport's own `expired` flag (its clock, which can differ from ours).
    pub expired: bool,
    /// Megaport reports the key as not valid (`valid: false`) for a reason of its own.
    pub invalid: bool,
    pub last_used: Option<OffsetDateTime>,
    pub create_time: Option<OffsetDateTime>,
}

/// What onramp records about a key it minted or saw used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: String,
    pub port_uid: String,
    pub single_use: bool,
    pub vlan: Option<i32>,
    pub customer_ref: String,
    pub region: String,
    pub request_id: Option<String>,
    pub create_time: Option<OffsetDateTime>,
    pub deactivated: bool,
    pub vxc_uid: Option<String>,
    pub used_time: Option<OffsetDateTime>,
    /// The key this one replaced by a rotation.
    pub rotated_from: Option<String>,
    /// The key that replaced this one by a rotation.
    pub rotated_to: Option<String>,
    /// How the provider's end of a VXC bought with the key is configured (with its password:
    /// the ledger is the one place that keeps it).
    pub peering: Option<crate::peering::PeeringProfile>,
}

/// A key with everything callers see: Megaport's fields, the ledger's, and the derived state.
/// Serialisable because the watcher persists the last view of every key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub key: String,
    pub port: PortRef,
    pub single_use: bool,
    pub vlan: Option<i32>,
    pub max_speed_mbps: i64,
    pub pre_approved: bool,
    pub active: bool,
    pub description: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    pub state: KeyState,
    pub customer_ref: String,
    pub region: String,
    pub request_id: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub create_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_time: Option<OffsetDateTime>,
    pub vxc_uid: String,
    /// Megaport's expired flag, kept so a view can be re-derived later without upstream.
    pub upstream_expired: bool,
    /// Ongoing and upcoming maintenance and outages on the key's Port (set by the watcher).
    #[serde(default)]
    pub on_ramp_notices: Vec<crate::signals::PortNotice>,
    /// The key this one replaced by a rotation; empty otherwise (from the ledger).
    #[serde(default)]
    pub rotated_from: String,
    /// The key that replaced this one by a rotation; empty otherwise (from the ledger).
    #[serde(default)]
    pub rotated_to: String,
    /// The key's peering profile without its password (from the ledger): views are kept in
    /// the watch history and sent in events, where a password must never go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering: Option<crate::peering::PeeringProfile>,
}

impl KeyView {
    /// Megaport's key as this view last saw it.
    pub fn as_upstream(&self) -> UpstreamKey {
        UpstreamKey {
            key: self.key.clone(),
            port_uid: self.port.uid.clone(),
            port_name: self.port.name.clone(),
            company_name: self.port.company_name.clone(),
            single_use: self.single_use,
            vlan: self.vlan,
            max_speed_mbps: self.max_speed_mbps,
            pre_approved: self.pre_approved,
            active: self.active,
            description: self.description.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            expired: self.upstream_expired,
            invalid: false,
            last_used: self.last_used_time,
            create_time: self.create_time,
        }
    }

    /// The order listings use: newest first (create time descending), then by key.
    pub fn newest_first(a: &Self, b: &Self) -> std::cmp::Ordering {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| a.key.cmp(&b.key))
    }

    /// Combines Megaport's key with the ledger and derives the state at `now`.
    pub fn new(
        upstream: &UpstreamKey,
        port: PortRef,
        ledger: Option<&LedgerEntry>,
        now: OffsetDateTime,
    ) -> Self {
        let mut view = Self {
            key: upstream.key.clone(),
            port,
            single_use: upstream.single_use,
            vlan: upstream.vlan,
            max_speed_mbps: upstream.max_speed_mbps,
            pre_approved: upstream.pre_approved,
            active: upstream.active,
            description: strip_stamp(&upstream.description),
            valid_from: upstream.valid_from,
            valid_until: upstream.valid_until,
            state: KeyState::Active,
            customer_ref: ledger.map(|l| l.customer_ref.clone()).unwrap_or_default(),
            region: ledger.map(|l| l.region.clone()).unwrap_or_default(),
            request_id: ledger
                .and_then(|l| l.request_id.clone())
                .unwrap_or_default(),
            create_time: upstream.create_time.or(ledger.and_then(|l| l.create_time)),
            last_used_time: upstream.last_used.or(ledger.and_then(|l| l.used_time)),
            vxc_uid: ledger.and_then(|l| l.vxc_uid.clone()).unwrap_or_default(),
            upstream_expired: upstream.expired,
            on_ramp_notices: Vec::new(),
            rotated_from: ledger
                .and_then(|l| l.rotated_from.clone())
                .unwrap_or_default(),
            rotated_to: ledger
                .and_then(|l| l.rotated_to.clone())
                .unwrap_or_default(),
            peering: ledger
                .and_then(|l| l.peering.as_ref())
                .map(crate::peering::PeeringProfile::redacted),
        };
        view.state = view.derive_state(now);
        view
    }

    /// A single-use key that vanished from Megaport's list after being used.
    pub fn mark_used(&mut self, vxc_uid: Option<String>, used_time: OffsetDateTime) {
        if let Some(vxc_uid) = vxc_uid {
            self.vxc_uid = vxc_uid;
        }
        self.last_used_time.get_or_insert(used_time);
        self.state = KeyState::Used;
    }

    /// The state at `now`. Order matters: used beats inactive beats expired beats pending.
    pub fn derive_state(&self, now: OffsetDateTime) -> KeyState {
        if self.state == KeyState::Used
            || !self.vxc_uid.is_empty()
            || (self.single_use && self.last_used_time.is_some())
        {
            KeyState::Used
        } else if !self.active {
            KeyState::Inactive
        } else if self.upstream_expired || self.valid_until.is_some_and(|end| end <= now) {
            KeyState::Expired
        } else if self.valid_from.is_some_and(|start| start > now) {
            KeyState::Pending
        } else {
            KeyState::Active
        }
    }

    /// Whether the key still holds its VLAN on the Port.
    pub fn holds_vlan(&self) -> bool {
        self.single_use && matches!(self.state, KeyState::Active | KeyState::Pending)
    }
}

/// Why `key` is not a service key (Megaport's keys are UUIDs), if it is not; `field` names it.
pub fn check_key(field: &str, key: &str) -> Option<crate::error::FieldViolation> {
    uuid::Uuid::parse_str(key.trim()).is_err().then(|| {
        crate::error::FieldViolation::new(
            field,
            "must be a service key: a UUID of 36 characters, e.g. 106e38ae-eb59-415f-ac81-526a5299851d",
        )
    })
}

/// The marker onramp appends to a key's description so a create whose outcome was lost can be
/// found again (Megaport keeps no idempotency key).
pub fn stamp(description: &str, request_id: &str) -> String {
    let marker = format!("[onramp:{request_id}]");
    if description.is_empty() {
        marker
    } else {
        format!("{description} {marker}")
    }
}

/// The request id stamped in a description, if any.
pub fn stamped_request_id(description: &str) -> Option<&str> {
    let start = description.rfind("[onramp:")? + "[onramp:".len();
    let end = description[start..].find(']')? + start;
    Some(&description[start..end])
}

/// The description without onramp's stamp, as the caller wrote it.
pub fn strip_stamp(description: &str) -> String {
    match description.rfind("[onramp:") {
        Some(index) if description.ends_with(']') => description[..index].trim_end().to_owned(),
        _ => description.to_owned(),
    }
}

/// The lowest VLAN in 2..=4093 not in `taken`.
pub fn lowest_free_vlan(taken: &BTreeSet<i32>) -> Option<i32> {
    (VLAN_MIN..=VLAN_MAX).find(|vlan| !taken.contains(vlan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(single_use: bool) -> UpstreamKey {
        UpstreamKey {
            key: "k".into(),
            port_uid: "p".into(),
            port_name: "P".into(),
            single_use,
            vlan: single_use.then_some(100),
            max_speed_mbps: 500,
            pre_approved: true,
            active: true,
            description: "cust-42 [onramp:abc]".into(),
            valid_from: None,
            valid_until: None,
            expired: false,
            last_used: None,
            create_time: None,
            ..UpstreamKey::default()
        }
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).expect("time")
    }

    #[test]
    fn state_follows_flags_and_clock_in_priority_order() {
        let now = at(1_000);
        let mut key = upstream(true);
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, now).state,
            KeyState::Active
        );
        key.valid_from = Some(at(2_000));
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, now).state,
            KeyState::Pending
        );
        key.valid_from = None;
        key.valid_until = Some(at(1_000));
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, now).state,
            KeyState::Expired
        );
        key.active = false;
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, now).state,
            KeyState::Inactive
        );
        key.last_used = Some(at(900));
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, now).state,
            KeyState::Used
        );
    }

    #[test]
    fn time_moves_a_pending_key_to_active_then_expired() {
        let mut key = upstream(false);
        key.valid_from = Some(at(100));
        key.valid_until = Some(at(200));
        let view = KeyView::new(&key, PortRef::default(), None, at(50));
        assert_eq!(view.state, KeyState::Pending);
        assert_eq!(view.derive_state(at(150)), KeyState::Active);
        assert_eq!(view.derive_state(at(250)), KeyState::Expired);
    }

    #[test]
    fn multi_use_keys_stay_usable_after_use() {
        let mut key = upstream(false);
        key.last_used = Some(at(10));
        assert_eq!(
            KeyView::new(&key, PortRef::default(), None, at(20)).state,
            KeyState::Active
        );
    }

    #[test]
    fn stamps_round_trip_and_are_hidden_from_callers() {
        let stamped = stamp("cust-42", "0d9e");
        assert_eq!(stamped, "cust-42 [onramp:0d9e]");
        assert_eq!(stamped_request_id(&stamped), Some("0d9e"));
        assert_eq!(strip_stamp(&stamped), "cust-42");
        assert_eq!(strip_stamp("plain"), "plain");
        assert_eq!(stamped_request_id("plain"), None);
        assert_eq!(stamped_request_id(&stamp("", "x")), Some("x"));
    }

    #[test]
    fn lowest_free_vlan_skips_taken_ones() {
        let taken: BTreeSet<i32> = [2, 3, 5].into_iter().collect();
        assert_eq!(lowest_free_vlan(&taken), Some(4));
        let all: BTreeSet<i32> = (VLAN_MIN..=VLAN_MAX).collect();
        assert_eq!(lowest_free_vlan(&all), None);
    }
}
