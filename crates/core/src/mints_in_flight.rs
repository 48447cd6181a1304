//! Key creates between their POST to Megaport and their ledger write. A listing waits for the
//! creates that were in flight when it read Megaport, then reads the ledger: every key it saw
//! that onramp minted has its ledger row (customer_ref, region) by then. Creates never wait for
//! listings, and listings never wait for each other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Debug, Default)]
pub struct MintsInFlight {
    next_id: AtomicU64,
    /// Each create holds its own lock until it is done; a waiter locks it to wait.
    mints: Mutex<HashMap<u64, Arc<AsyncMutex<()>>>>,
}

/// Held by a create from just before its POST until its ledger row is written (or it failed).
#[derive(Debug)]
pub struct MintTicket<'a> {
    id: u64,
    registry: &'a MintsInFlight,
    _done_on_drop: OwnedMutexGuard<()>,
}

impl MintsInFlight {
    pub fn start(&self) -> MintTicket<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let lock = Arc::new(AsyncMutex::new(()));
        let held = lock.clone().try_lock_owned().expect("a fresh lock is free");
        self.registry().insert(id, lock);
        MintTicket {
            id,
            registry: self,
            _done_on_drop: held,
        }
    }

    /// Returns once every create in flight when this is first polled has finished.
    pub async fn wait_for_current(&self) {
        let current: Vec<Arc<AsyncMutex<()>>> = self.registry().values().cloned().collect();
        for mint in current {
            drop(mint.lock().await);
        }
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<AsyncMutex<()>>>> {
        self.mints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for MintTicket<'_> {
    fn drop(&mut self) {
        self.registry.registry().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::MintsInFlight;

    #[tokio::test]
    async fn a_waiter_waits_for_creates_in_flight_and_not_for_later_ones() {
        let mints = MintsInFlight::default();
        let earlier = mints.start();
        let waiting = mints.wait_for_current();
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), waiting.as_mut())
                .await
                .is_err(),
            "a create is still in flight"
        );
        let _later = mints.start();
        drop(earlier);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("done once the earlier create finished, whatever started since");
        assert_eq!(mints.registry().len(), 1, "only the later create is left");
    }

    #[tokio::test]
    async fn with_nothing_in_flight_a_waiter_returns_at_once() {
        let mints = MintsInFlight::default();
        drop(mints.start());
        tokio::time::timeout(Duration::from_secs(5), mints.wait_for_current())
            .await
            .expect("nothing to wait for");
    }
}
