//! The webhook events a watch revision or an approval inbox revision causes (see
//! [`OutboxEvent::new`] for their body). Orders' events are the store's: it writes them where it
//! sees an order's state change.

use serde_json::json;

use crate::watch::{ChangeKind, KeyEvent};
use onramp_core::approvals::{Approval, ApprovalStatus};
use onramp_core::keys::KeyState;
use onramp_core::signals::{NoticeKind, NoticePhase};
use onramp_store::webhooks::OutboxEvent;

/// Every event type onramp sends, for validating an endpoint's filter.
pub(crate) const EVENT_TYPES: &[&str] = &[
    "service_key.created",
    "service_key.used",
    "service_key.deactivated",
    "service_key.expired",
    "service_key.rotated",
    "service_key.expiring",
    "on_ramp.notice",
    "vxc_order.state_changed",
    "order_approval.pending",
    "order_approval.resolved",
    "webhook_endpoint.disabled",
    "webhook.test",
];

/// The event type a key change is, if webhooks carry it.
fn key_event_type(event: &KeyEvent) -> Option<&'static str> {
    match (event.kind, event.key.state) {
        (ChangeKind::Added, _) => Some("service_key.created"),
        (ChangeKind::Rotated, _) => Some("service_key.rotated"),
        (ChangeKind::StateChanged, KeyState::Used) => Some("service_key.used"),
        (ChangeKind::StateChanged, KeyState::Inactive) => Some("service_key.deactivated"),
        (ChangeKind::StateChanged, KeyState::Expired) => Some("service_key.expired"),
        _ => None,
    }
}

/// The outbox events of one watch revision's key events: one per key change webhooks carry, and
/// one `on_ramp.notice` per maintenance or outage that reached a Port holding keys.
pub(crate) fn key_events(events: &[KeyEvent], revision: i64) -> Vec<OutboxEvent> {
    let mut outbox: Vec<OutboxEvent> = events
        .iter()
        .filter_map(|event| {
            let event_type = key_event_type(event)?;
            let key = &event.key;
            let mut data = json!({
                "key": key.key,
                "revision": revision,
                "customer_ref": key.customer_ref,
                "port_uid": key.port.uid,
                "state": format!("{:?}", key.state).to_uppercase(),
            });
            if let Some(previous) = event.previous_state {
                data["previous_state"] = json!(format!("{previous:?}").to_uppercase());
            }
            if !key.vxc_uid.is_empty() {
                data["vxc_uid"] = json!(key.vxc_uid);
            }
            if !key.rotated_from.is_empty() {
                data["rotated_from"] = json!(key.rotated_from);
            }
            Some(OutboxEvent::new(event_type, event.observe_time, data))
        })
        .collect();
    outbox.extend(notice_events(events, revision));
    outbox
}

/// `on_ramp.notice` for each notice a key's Port gained: once per Port, notice and phase (the
/// id is made of them, so the outbox takes each once however many keys the Port holds and
/// however often the notices are re-applied).
fn notice_events(events: &[KeyEvent], revision: i64) -> Vec<OutboxEvent> {
    let mut seen = std::collections::HashSet::new();
    let mut outbox = Vec::new();
    for event in events
        .iter()
        .filter(|event| event.kind == ChangeKind::OnRampNotice)
    {
        let port = &event.key.port;
        for notice in &event.key.on_ramp_notices {
            let phase = match notice.phase {
                NoticePhase::Ongoing => "ongoing",
                NoticePhase::Upcoming => "upcoming",
            };
            let id = format!(
                "msg_notice_{}_{}_{phase}",
                port.uid.replace('-', ""),
                notice
                    .event_id
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect::<String>()
            );
            if !seen.insert(id.clone()) {
                continue;
            }
            let mut outbox_event = OutboxEvent::new(
                "on_ramp.notice",
                event.observe_time,
                json!({
                    "port_uid": port.uid,
                    "port_name": port.name,
                    "revision": revision,
                    "kind": match notice.kind {
                        NoticeKind::Maintenance => "MAINTENANCE",
                        NoticeKind::Outage => "OUTAGE",
                    },
                    "phase": phase.to_uppercase(),
                    "event_id": notice.event_id,
                    "description": notice.describe(),
                }),
            );
            outbox_event.id = id;
            outbox.push(outbox_event);
        }
    }
    outbox
}

/// The outbox events of one approval inbox revision: `order_approval.pending` for an approval
/// seen for the first time while pending, `order_approval.resolved` for one that left pending.
/// `is_new` says whether an approval was never seen before.
pub(crate) fn approval_events(
    changed: &[(Approval, bool)],
    revision: i64,
    now: time::OffsetDateTime,
) -> Vec<OutboxEvent> {
    changed
        .iter()
        .filter_map(|(approval, is_new)| {
            let event_type = match approval.status {
                ApprovalStatus::Pending if *is_new => "order_approval.pending",
                ApprovalStatus::Pending => return None,
                _ => "order_approval.resolved",
            };
            Some(OutboxEvent::new(
                event_type,
                now,
                json!({
                    "approval_uid": approval.uid,
                    "revision": revision,
                    "customer_ref": approval.customer_ref,
                    "vxc_uid": approval.vxc_uid,
                    "service_key": approval.service_key,
                    "kind": approval.kind.as_str(),
                    "status": approval.status.as_str(),
                }),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::events::tests::view;
    use time::OffsetDateTime;

    #[test]
    fn key_changes_become_thin_typed_events() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut used = view("k1", KeyState::Used);
        used.vxc_uid = "vxc-1".into();
        used.customer_ref = "acme".into();
        let events = [
            KeyEvent {
                kind: ChangeKind::Added,
                key: view("k0", KeyState::Active),
                previous_state: None,
                observe_time: now,
            },
            KeyEvent {
                kind: ChangeKind::StateChanged,
                key: used,
                previous_state: Some(KeyState::Active),
                observe_time: now,
            },
            KeyEvent {
                kind: ChangeKind::Updated,
                key: view("k2", KeyState::Active),
                previous_state: Some(KeyState::Active),
                observe_time: now,
            },
        ];
        let outbox = key_events(&events, 7);
        assert_eq!(outbox.len(), 2, "an update of other fields is not an event");
        assert_eq!(outbox[0].event_type, "service_key.created");
        let body: serde_json::Value = serde_json::from_str(&outbox[1].payload).expect("json");
        assert_eq!(body["type"], "service_key.used");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(
            body["data"],
            json!({"key": "k1", "revision": 7, "customer_ref": "acme", "port_uid": "",
                   "state": "USED", "previous_state": "ACTIVE", "vxc_uid": "vxc-1"})
        );
        assert!(outbox[0].id.starts_with("msg_") && !outbox[0].id.contains('.'));
        assert_ne!(outbox[0].id, outbox[1].id);
    }
}
