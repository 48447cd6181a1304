//! Mutual exclusion through the store ([`LockStore`]): what must not run twice at once, in one
//! process or across several on one database, takes a named lease here.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorReason};
use crate::ports::LockStore;

/// How long a lease lasts. Longer than any section that holds one (a few Megaport calls, each
/// bounded by the upstream timeout), so a live holder never loses it; a crashed one frees it
/// by then.
const LEASE: Duration = Duration::from_secs(120);
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
        Ok(LockGuard {
            store: self.store.clone(),
            name: name.to_owned(),
            holder,
        })
    }
}

/// A held lease; dropping it gives the lease up (in a task of its own, since a drop cannot wait).
pub struct LockGuard {
    store: Arc<dyn LockStore>,
    name: String,
    holder: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
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
}
