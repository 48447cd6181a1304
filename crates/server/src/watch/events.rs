//! Events: what changed between two views of the provider's keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use onramp_core::keys::{KeyState, KeyView};

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// Seen for the first time.
    Added,
    /// A field other than the state changed.
    Updated,
    /// The derived state changed (and perhaps other fields with it).
    StateChanged,
    /// Gone from Megaport without having been used (a multi-use key removed).
    Removed,
    /// Only the maintenance and outage notices of the key's Port changed.
    OnRampNotice,
    /// Seen for the first time, as the replacement of another key (`rotated_from`).
    Rotated,
}

/// One change to one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEvent {
    pub kind: ChangeKind,
    /// The key after the change (before it, for a removal).
    pub key: KeyView,
    pub previous_state: Option<KeyState>,
    #[serde(with = "time::serde::rfc3339")]
    pub observe_time: OffsetDateTime,
}

/// The events that turn `previous` into `current`, ordered by key.
pub fn diff(
    previous: &BTreeMap<String, KeyView>,
    current: &BTreeMap<String, KeyView>,
    observe_time: OffsetDateTime,
) -> Vec<KeyEvent> {
    let mut events = Vec::new();
    for (key, view) in current {
        let event = match previous.get(key) {
            None if view.rotated_from.is_empty() => Some((ChangeKind::Added, None)),
            None => Some((ChangeKind::Rotated, None)),
            Some(before) if before.state != view.state => {
                Some((ChangeKind::StateChanged, Some(before.state)))
            }
            Some(before)
                if before.on_ramp_notices != view.on_ramp_notices && {
                    let mut same_otherwise = before.clone();
                    same_otherwise
                        .on_ramp_notices
                        .clone_from(&view.on_ramp_notices);
                    same_otherwise == *view
                } =>
            {
                Some((ChangeKind::OnRampNotice, Some(before.state)))
            }
            Some(before) if before != view => Some((ChangeKind::Updated, Some(before.state))),
            Some(_) => None,
        };
        if let Some((kind, previous_state)) = event {
            events.push(KeyEvent {
                kind,
                key: view.clone(),
                previous_state,
                observe_time,
            });
        }
    }
    for (key, before) in previous {
        if !current.contains_key(key) {
            events.push(KeyEvent {
                kind: ChangeKind::Removed,
                key: before.clone(),
                previous_state: Some(before.state),
                observe_time,
            });
        }
    }
    events
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use onramp_core::onramps::PortRef;

    pub(crate) fn view(key: &str, state: KeyState) -> KeyView {
        KeyView {
            key: key.to_owned(),
            port: PortRef::default(),
            single_use: true,
            vlan: Some(100),
            max_speed_mbps: 500,
            pre_approved: true,
            active: state != KeyState::Inactive,
            description: String::new(),
            valid_from: None,
            valid_until: None,
            state,
            customer_ref: String::new(),
            region: String::new(),
            request_id: String::new(),
            create_time: None,
            last_used_time: None,
            vxc_uid: String::new(),
            upstream_expired: false,
            on_ramp_notices: Vec::new(),
            rotated_from: String::new(),
            rotated_to: String::new(),
            peering: None,
        }
    }

    fn map(views: &[KeyView]) -> BTreeMap<String, KeyView> {
        views.iter().map(|v| (v.key.clone(), v.clone())).collect()
    }

    #[test]
    fn added_updated_state_changed_and_removed() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut described = view("b", KeyState::Active);
        described.description = "new".into();
        let previous = map(&[
            view("a", KeyState::Active),
            view("b", KeyState::Active),
            view("c", KeyState::Active),
        ]);
        let current = map(&[
            view("a", KeyState::Used),
            described,
            view("d", KeyState::Active),
        ]);
        let kinds: Vec<_> = diff(&previous, &current, now)
            .into_iter()
            .map(|event| (event.key.key, event.kind, event.previous_state))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    "a".to_owned(),
                    ChangeKind::StateChanged,
                    Some(KeyState::Active)
                ),
                ("b".to_owned(), ChangeKind::Updated, Some(KeyState::Active)),
                ("d".to_owned(), ChangeKind::Added, None),
                ("c".to_owned(), ChangeKind::Removed, Some(KeyState::Active)),
            ]
        );
        assert!(diff(&current, &current, now).is_empty());
    }
}
