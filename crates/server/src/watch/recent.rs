//! Read-your-writes for the key read model: views onramp itself just wrote, held until a poll
//! that began after the write has brought Megaport's own answer into the hub.
//!
//! Writes do not go through the hub's history (that would make a write wait for a poll in
//! flight, and a poll that began before the write would then look like a removal); they sit
//! here, and reads look here first.

use std::collections::HashMap;
use std::sync::Mutex;

use onramp_core::keys::KeyView;

#[derive(Debug, Default)]
pub(crate) struct RecentWrites {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Counts writes; a poll remembers the count it began at.
    sequence: u64,
    /// Counts changes of what reads see here: writes, and writes forgotten.
    changes: u64,
    views: HashMap<String, (u64, KeyView)>,
}

impl RecentWrites {
    /// Remembers views a write returned.
    pub(crate) fn remember(&self, views: &[KeyView]) {
        let mut entries = self.lock();
        for view in views {
            entries.sequence += 1;
            entries.changes += 1;
            let sequence = entries.sequence;
            entries
                .views
                .insert(view.key.clone(), (sequence, view.clone()));
        }
    }

    /// The position a poll begins at: every write remembered so far finished before it.
    pub(crate) fn position(&self) -> u64 {
        self.lock().sequence
    }

    /// Forgets the writes a successful poll that began at `position` has seen.
    pub(crate) fn settle(&self, position: u64) {
        let mut entries = self.lock();
        let before = entries.views.len();
        entries
            .views
            .retain(|_, (sequence, _)| *sequence > position);
        if entries.views.len() != before {
            entries.changes += 1;
        }
    }

    /// Forgets the writes of these keys: another replica's poll has reported them (a replica
    /// that does not poll cannot tell when its own poll began).
    pub(crate) fn settle_keys<'a>(&self, keys: impl Iterator<Item = &'a str>) {
        let mut entries = self.lock();
        for key in keys {
            if entries.views.remove(key).is_some() {
                entries.changes += 1;
            }
        }
    }

    /// Moves with every change of what reads see here (a write remembered or forgotten).
    pub(crate) fn changes(&self) -> u64 {
        self.lock().changes
    }

    /// The remembered view of `key`, mapped by `each`.
    pub(crate) fn get<T>(&self, key: &str, each: impl FnOnce(&KeyView) -> T) -> Option<T> {
        self.lock().views.get(key).map(|(_, view)| each(view))
    }

    /// The remembered views, or `None` when there are none (the common case, read without
    /// copying).
    pub(crate) fn views(&self) -> Option<HashMap<String, KeyView>> {
        let entries = self.lock();
        (!entries.views.is_empty()).then(|| {
            entries
                .views
                .iter()
                .map(|(key, (_, view))| (key.clone(), view.clone()))
                .collect()
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::events::tests::view;
    use onramp_core::keys::KeyState;

    #[test]
    fn a_write_is_kept_until_a_poll_that_began_after_it_succeeds() {
        let recent = RecentWrites::default();
        assert!(recent.views().is_none());
        let before_write = recent.position();
        recent.remember(&[view("a", KeyState::Active)]);
        let after_write = recent.position();
        recent.remember(&[view("b", KeyState::Active)]);

        recent.settle(before_write);
        assert!(
            recent.get("a", KeyView::clone).is_some(),
            "a poll that began before the write has not seen it"
        );
        recent.settle(after_write);
        assert!(
            recent.get("a", KeyView::clone).is_none(),
            "the poll after the write saw it"
        );
        assert_eq!(
            recent.get("b", KeyView::clone).map(|view| view.key),
            Some("b".to_owned()),
            "a later write stays"
        );
    }

    #[test]
    fn every_write_remembered_or_forgotten_is_a_change() {
        let recent = RecentWrites::default();
        let start = recent.changes();
        recent.remember(&[view("a", KeyState::Active)]);
        let written = recent.changes();
        assert_ne!(written, start);
        recent.settle(0);
        assert_eq!(recent.changes(), written, "nothing forgotten");
        recent.settle(recent.position());
        let settled = recent.changes();
        assert_ne!(settled, written, "the write is forgotten");
        recent.settle_keys(["a"].into_iter());
        assert_eq!(recent.changes(), settled, "nothing left to forget");
        recent.remember(&[view("b", KeyState::Active)]);
        let again = recent.changes();
        recent.settle_keys(["b"].into_iter());
        assert_ne!(recent.changes(), again);
    }

    #[test]
    fn the_latest_write_of_a_key_wins() {
        let recent = RecentWrites::default();
        recent.remember(&[view("a", KeyState::Active)]);
        recent.remember(&[view("a", KeyState::Inactive)]);
        assert_eq!(
            recent.get("a", KeyView::clone).map(|v| v.state),
            Some(KeyState::Inactive)
        );
        assert_eq!(recent.views().map(|views| views.len()), Some(1));
    }
}
