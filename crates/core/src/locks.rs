//! Mutual exclusion through the store ([`LockStore`]): what must not run twice at once, in one
//! process or across several on one database, takes a named lease here.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorReason};
use crate::ports::LockStore;

/// How long a lease lasts unless renewed. A live holder renews it every [`RENEW`] for as long as
/// it holds it, however long its Megaport calls take; a crashed one (a killed replica) frees it
/// within this, so the others wait no longer for it.
const LEASE: Duration = Duration::from_secs(15);
/// How often a holder renews its lease: a third of it, so two renewals may fail in a row.
const RENEW: Duration = Duration::from_secs(5);
/// How long a caller waits for a lease before giving up with UNAVAILABLE.
const WAIT: Duration = Duration::from_secs(60);
/// How often a waiter asks again.
const POLL: Duration = Duration::from_millis(20);

/// Takes named leases from the store.
#[derive(Clone)]
pub struct Locks {
    store: Arc<dyn LockStore>,
}

impl Locks {
    pub fn new(store: Arc<dyn LockStore>) -> Self {
        Self { store }
    }

    /// Waits for the lease on `name`. It is released when the guard drops.
    pub async fn lock(&self, name: &str) -> Result<LockGuard, Error> {
        let holder = uuid::Uuid::new_v4().to_string();
        let waited = tokio::time::Instant::now();
        while !self.store.try_lock(name, &holder, LEASE).await? {
            if waited.elapsed() > WAIT {
                // A concurrency conflict, in gRPC's terms: the caller may retry.
                return Err(Error::Aborted {
                    reason: ErrorReason::Internal,
                    message: format!("{name} stayed busy for {WAIT:?}; retry the same request"),
                    metadata: std::collections::HashMap::new(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
        let renewal = tokio::spawn(renew(self.store.clone(), name.to_owned(), holder.clone()));
        Ok(LockGuard {
            store: self.store.clone(),
            name: name.to_owned(),
            holder,
            renewal,
        })
    }
}

/// Keeps a held lease alive until aborted. A renewal that finds the lease taken over (this
/// holder stalled past [`LEASE`]) is logged: the compare-and-set writes behind every lease keep
/// such an overlap from acting twice.
async fn renew(store: Arc<dyn LockStore>, name: String, holder: String) {
    loop {
        tokio::time::sleep(RENEW).await;
        match store.try_lock(&name, &holder, LEASE).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(lock = %name, "a held lease was taken over"),
            Err(error) => tracing::warn!(lock = %name, %error, "cannot renew a lease"),
        }
    }
}

/// A held lease; dropping it gives the lease up (in a task of its own, since a drop cannot wait).
pub struct LockGuard {
    store: Arc<dyn LockStore>,
    name: String,
    holder: String,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.renewal.abort();
        let (store, name, holder) = (
            self.store.clone(),
            std::mem::take(&mut self.name),
            std::mem::take(&mut self.holder),
        );
        // Outside a runtime (a test tearing down) the lease simply expires.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = store.unlock(&name, &holder).await {
                    tracing::warn!(lock = %name, %error, "cannot release a lease; it will expire");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_store::MemoryStore;

    // The waits below run on the paused clock: no wall time passes.
    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_and_the_next_gets_it_on_release() {
        let locks = Locks::new(Arc::new(MemoryStore::default()));
        let first = locks.lock("port:la1").await.expect("first");
        let other = locks.lock("port:la2").await.expect("another name is free");
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move { locks.lock("port:la1").await.map(|_| ()) }
        });
        tokio::time::sleep(POLL * 5).await;
        assert!(
            !waiting.is_finished(),
            "the second waits while the first holds"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .expect("join")
            .expect("taken");
        drop(other);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_lease_outlives_its_term_and_a_dead_holders_expires() {
        let store = Arc::new(MemoryStore::default());
        let locks = Locks::new(store.clone());
        let held = locks.lock("order:r").await.expect("held");
        tokio::time::sleep(LEASE * 3).await;
        assert!(
            !store
                .try_lock("order:r", "other", LEASE)
                .await
                .expect("try"),
            "renewed while held"
        );
        // A holder that dies renews nothing: its lease ends within LEASE.
        held.renewal.abort();
        std::mem::forget(held);
        tokio::time::sleep(LEASE + RENEW).await;
        assert!(
            store
                .try_lock("order:r", "other", LEASE)
                .await
                .expect("expired")
        );
    }
}
