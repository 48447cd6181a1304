//! One leader among the replicas sharing a PostgreSQL store: the background work that talks to
//! Megaport on nobody's behalf (key polling, Port signals, the approval inbox) runs on the
//! replica holding the `leader` lease, so three replicas poll as often as one and spend one
//! share of the request budget. The lease is renewed every third of its term; a replica that
//! cannot renew stops its work before the term ends, and a killed leader's lease lapses within
//! its term, when another replica takes it (failover within `store.leader_lease_seconds` plus a
//! third of it). On SQLite the data directory lock already makes this process the only one, so
//! the work simply runs.

use std::sync::Arc;
use std::time::Duration;

use onramp_core::ports::LockStore;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

/// The lease's name in the store.
const LEADER: &str = "leader";

/// Runs `start`'s tasks while this replica leads, aborting them when it stops leading, until
/// shutdown (when it gives the lease up, so the next leader need not wait for it to lapse).
pub fn spawn(
    store: Arc<dyn LockStore>,
    lease: Duration,
    shutdown: CancellationToken,
    start: impl Fn() -> Vec<JoinHandle<()>> + Send + 'static,
) -> JoinHandle<()> {
    let holder = uuid::Uuid::new_v4().to_string();
    tokio::spawn(async move {
        let mut work: Vec<JoinHandle<()>> = Vec::new();
        let mut renewed = Instant::now();
        loop {
            match store.try_lock(LEADER, &holder, lease).await {
                Ok(true) => {
                    renewed = Instant::now();
                    if work.is_empty() {
                        tracing::info!("this replica leads: polling megaport");
                        work = start();
                    }
                }
                Ok(false) => stop(&mut work, "another replica leads"),
                // Stop while the lease surely still holds, so two never work at once.
                Err(error) if renewed.elapsed() >= lease * 2 / 3 => {
                    tracing::warn!(%error, "cannot renew the leader lease");
                    stop(&mut work, "the leader lease could not be renewed");
                }
                Err(error) => tracing::warn!(%error, "cannot renew the leader lease; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(lease / 3) => {}
                () = shutdown.cancelled() => break,
            }
        }
        stop(&mut work, "shutting down");
        if let Err(error) = store.unlock(LEADER, &holder).await {
            tracing::warn!(%error, "cannot give the leader lease up; it will lapse");
        }
    })
}

fn stop(work: &mut Vec<JoinHandle<()>>, why: &str) {
    if work.is_empty() {
        return;
    }
    tracing::info!(why, "this replica stops leading");
    for task in work.drain(..) {
        task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(started: &Arc<AtomicUsize>) -> impl Fn() -> Vec<JoinHandle<()>> + Send + 'static {
        let started = started.clone();
        move || {
            started.fetch_add(1, Ordering::SeqCst);
            vec![tokio::spawn(std::future::pending())]
        }
    }

    #[tokio::test]
    async fn one_of_two_leads_and_the_other_takes_over_when_it_stops() {
        let store: Arc<dyn LockStore> =
            Arc::new(onramp_store::Store::in_memory().await.expect("store"));
        let lease = Duration::from_secs(3);
        let (first_started, second_started) = (Arc::default(), Arc::default());
        let first_signal = CancellationToken::new();
        let stop_first = first_signal.clone();
        let first = spawn(store.clone(), lease, first_signal, counting(&first_started));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let second = spawn(
            store.clone(),
            lease,
            CancellationToken::new(),
            counting(&second_started),
        );
        tokio::time::sleep(lease * 2).await;
        assert_eq!(first_started.load(Ordering::SeqCst), 1, "the first leads");
        assert_eq!(second_started.load(Ordering::SeqCst), 0, "only one leads");

        stop_first.cancel();
        first.await.expect("first ends");
        tokio::time::sleep(lease / 3 + Duration::from_millis(10)).await;
        assert_eq!(
            second_started.load(Ordering::SeqCst),
            1,
            "the second took over"
        );
        second.abort();
    }
}
