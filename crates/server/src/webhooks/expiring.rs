//! `service_key.expiring`: once per configured threshold before a key's `validFor.end` (7 days
//! and 1 day by default). Time, not a change, causes it, so the key poller asks after each poll
//! which thresholds were crossed. The event's id is made of the key and the threshold, so the
//! outbox takes each one once, whichever replica polls and however often it asks; this process
//! remembers what it queued, to ask the store no more than once per key and threshold.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use serde_json::json;
use time::OffsetDateTime;

use onramp_core::keys::{KeyState, KeyView};
use onramp_store::webhooks::OutboxEvent;

pub(crate) struct Expiring {
    /// Seconds before the end, longest first.
    thresholds: Vec<u64>,
    queued: Mutex<HashSet<(String, u64)>>,
}

impl Expiring {
    pub(crate) fn new(mut thresholds: Vec<u64>) -> Self {
        thresholds.sort_unstable_by(|a, b| b.cmp(a));
        thresholds.dedup();
        Self {
            thresholds,
            queued: Mutex::default(),
        }
    }

    /// Forgets what was queued (after a failed enqueue), so it is asked again.
    pub(crate) fn forget_all(&self) {
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The events of thresholds crossed by `now` and not queued by this process yet, for keys
    /// still usable (active or pending) before their end.
    pub(crate) fn due(
        &self,
        views: &BTreeMap<String, KeyView>,
        revision: i64,
        now: OffsetDateTime,
    ) -> Vec<OutboxEvent> {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        let mut events = Vec::new();
        for view in views.values() {
            let Some(end) = view.valid_until else {
                continue;
            };
            if !matches!(view.state, KeyState::Active | KeyState::Pending) || end <= now {
                continue;
            }
            let left = (end - now).whole_seconds();
            for threshold in &self.thresholds {
                let crossed = u64::try_from(left).is_ok_and(|left| left <= *threshold);
                if !crossed || !queued.insert((view.key.clone(), *threshold)) {
                    continue;
                }
                let mut event = OutboxEvent::new(
                    "service_key.expiring",
                    now,
                    json!({
                        "key": view.key,
                        "revision": revision,
                        "customer_ref": view.customer_ref,
                        "port_uid": view.port.uid,
                        "valid_until": end.format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default(),
                        "threshold_seconds": threshold,
                    }),
                );
                event.id = format!("msg_expiring_{}_{threshold}", view.key.replace('-', ""));
                events.push(event);
            }
        }
        // Keys come and go; a bound keeps a long-running process from keeping them all.
        if queued.len() > 100_000 {
            queued.clear();
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::events::tests::view;

    #[test]
    fn each_threshold_is_crossed_once_and_only_before_the_end() {
        let expiring = Expiring::new(vec![86_400, 604_800]);
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(100);
        let mut soon = view("k-1", KeyState::Active);
        soon.valid_until = Some(now + time::Duration::hours(20));
        let mut later = view("k-2", KeyState::Active);
        later.valid_until = Some(now + time::Duration::days(3));
        let mut used = view("k-3", KeyState::Used);
        used.valid_until = Some(now + time::Duration::hours(1));
        let views: BTreeMap<String, KeyView> = [soon, later, used]
            .into_iter()
            .map(|view| (view.key.clone(), view))
            .collect();
        let first = expiring.due(&views, 9, now);
        let mut ids: Vec<&str> = first.iter().map(|event| event.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "msg_expiring_k1_604800",
                "msg_expiring_k1_86400",
                "msg_expiring_k2_604800"
            ]
        );
        assert!(expiring.due(&views, 10, now).is_empty(), "queued once");
        let body: serde_json::Value = serde_json::from_str(&first[0].payload).expect("json");
        assert_eq!(body["type"], "service_key.expiring");
        assert_eq!(body["data"]["revision"], 9);
    }
}
