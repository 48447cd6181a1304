//! The key reads: one key, a page of keys, the snapshot a stream starts from, and the revision
//! they answer from, with onramp's own writes laid over the last poll (read-your-writes).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::batch::KeyReadRevision;
use super::hub::{WatchHub, newest_first};
use crate::paging::{self, Cursor};
use onramp_core::cursor::unix_millis;
use onramp_core::keys::KeyView;
use onramp_core::service_keys::KeyFilter;

impl WatchHub {
    /// The key as the read model holds it, mapped by `each` where it lies (a read converts
    /// without copying the view first). `None` before the first successful poll, or for a key
    /// the model does not know; the caller then asks Megaport.
    pub fn key<T>(&self, key: &str, each: impl Fn(&KeyView) -> T) -> Option<T> {
        if let Some(mapped) = self.inner.recent.get(key, &each) {
            return Some(mapped);
        }
        let state = self.read();
        state.health.last_success?;
        state.views.get(key).map(each)
    }

    /// What the key reads answer from now: the committed revision, this server's writes not yet
    /// polled back, and the records the last listing skipped. `None` before the first
    /// successful poll (reads then ask Megaport).
    pub fn read_revision(&self) -> Option<KeyReadRevision> {
        let writes = self.inner.recent.changes();
        let state = self.read();
        state.health.last_success?;
        Some(KeyReadRevision {
            revision: state.revision,
            writes,
            skipped: self.skipped_upstream_records(),
        })
    }

    /// Keys of Megaport's last listing that did not decode: the views may lack them.
    pub fn skipped_upstream_records(&self) -> u32 {
        self.inner.skipped_upstream_records.load(Ordering::Relaxed)
    }

    /// One page of the keys matching `filter`, newest first, each mapped by `each`, and whether
    /// more follow. `None` before the first successful poll.
    pub fn page<T>(
        &self,
        filter: &KeyFilter,
        after: Option<&Cursor>,
        size: usize,
        each: impl Fn(&KeyView) -> T,
    ) -> Option<(Vec<T>, String)> {
        let listing = {
            let state = self.read();
            state.health.last_success?;
            Arc::clone(&state.listing)
        };
        let merged;
        let keys: &[KeyView] = match self.inner.recent.views() {
            None => &listing,
            Some(mut written) => {
                let mut views: BTreeMap<String, KeyView> = listing
                    .iter()
                    .filter(|view| !written.contains_key(&view.key))
                    .map(|view| (view.key.clone(), view.clone()))
                    .collect();
                views.extend(written.drain());
                merged = newest_first(&views);
                &merged
            }
        };
        let (page, next_page_token) = paging::newest_first_page(
            keys.iter().filter(|view| filter.matches(view)),
            &key_filter_spelling(filter),
            after,
            size,
            key_position,
        );
        Some((page.into_iter().map(each).collect(), next_page_token))
    }

    /// The current views and their revision, read together.
    pub fn snapshot(&self) -> (i64, Vec<KeyView>) {
        let state = self.read();
        (state.revision, state.views.values().cloned().collect())
    }
}

/// A key's place in the newest-first listing, for keyset page tokens.
pub fn key_position(view: &KeyView) -> (i64, &str) {
    let time_ms = view.create_time.map_or(i64::MIN, unix_millis);
    (time_ms, &view.key)
}

/// The filter a key page token is bound to.
pub fn key_filter_spelling(filter: &KeyFilter) -> String {
    format!("keys {filter:?}")
}

/// The VLANs keys hold on a Port, from the hub's views in memory, for VLAN allocation. Holds the
/// hub weakly: the hub holds the key service that asks.
pub(crate) struct HeldVlansOf(std::sync::Weak<super::hub::Inner>);

impl WatchHub {
    pub(crate) fn held_vlans(&self) -> HeldVlansOf {
        HeldVlansOf(Arc::downgrade(&self.inner))
    }
}

impl onramp_core::service_keys::HeldVlans for HeldVlansOf {
    fn held_on(&self, port_uid: &str) -> Vec<i32> {
        let Some(inner) = self.0.upgrade() else {
            return Vec::new();
        };
        let hub = WatchHub { inner };
        let state = hub.read();
        state
            .views
            .values()
            .filter(|view| view.port.uid == port_uid && view.holds_vlan())
            .filter_map(|view| view.vlan)
            .collect()
    }
}
