//! A single-use key onramp's own buy used, shown on the watch at once without asking Megaport:
//! onramp knows the key is used and which VXC it became, so listing Megaport's keys (and then
//! reading the Port to find that VXC) would only tell it what it already knows.

use std::sync::atomic::Ordering;

use time::OffsetDateTime;

use super::hub::WatchHub;
use crate::error::Error;
use onramp_core::keys::KeyState;
use onramp_core::ports::KeyStore;

impl WatchHub {
    /// `key` was used by an order onramp bought, which became `vxc_uid`. On the replica that
    /// polls, a single-use key becomes USED in a revision of its own at once, and the ledger
    /// releases its VLAN (the VXC holds it now); the next poll finds it gone from Megaport and
    /// already used, and reads nothing more for it. A multi-use key stays ACTIVE; Megaport's
    /// `lastUsed` comes with the next poll. Elsewhere (a replica that does not poll, a key the
    /// watcher has not seen yet) the poller is asked to look at Megaport now, as after any
    /// write.
    pub async fn key_used(&self, key: &str, vxc_uid: &str) {
        if self.inner.polling.load(Ordering::Relaxed) {
            match self.commit_used(key, vxc_uid).await {
                Ok(Some(_)) => return,
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, key, "a used key not committed; polling instead");
                }
            }
        }
        self.poke();
        self.announce_keys(key);
    }

    /// Commits `key` as used; `None` when the watcher does not hold it as a single-use key, and
    /// `Some(false)` for a multi-use key (nothing to commit).
    async fn commit_used(&self, key: &str, vxc_uid: &str) -> Result<Option<bool>, Error> {
        let _writer = self.inner.writer.lock().await;
        self.catch_up_locked().await?;
        let previous = self.read().views.clone();
        let Some(view) = previous.get(key) else {
            return Ok(None);
        };
        if !view.single_use {
            return Ok(Some(false));
        }
        if view.state == KeyState::Used {
            return Ok(Some(true));
        }
        let now = OffsetDateTime::now_utc();
        let mut used = view.clone();
        used.mark_used(Some(vxc_uid.to_owned()), now);
        KeyStore::mark_key_used(&self.inner.store, key, Some(vxc_uid), now).await?;
        let mut current = previous.clone();
        current.insert(key.to_owned(), used);
        self.apply(previous, current, now).await?;
        Ok(Some(true))
    }
}
