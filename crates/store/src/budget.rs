//! The Megaport request budget that replicas behind one egress IP share: the requests sent in
//! the window and the pause and cut after a 429, updated under a lock every replica takes in
//! turn (the row of `megaport_budget`), so N replicas send no more than one would.

use crate::{Backend, Store, StoreError};

/// The shared window as an update sees it, in unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestWindow {
    /// Requests sent in the window.
    pub count: u64,
    /// When the newest of them were sent, oldest first.
    pub newest_ms: Vec<i64>,
    /// Until when nothing is sent after a 429.
    pub paused_until_ms: Option<i64>,
    /// After a 429: the smaller limit and until when it holds.
    pub cut: Option<(u32, i64)>,
    /// The database's clock when the window was loaded: the times above are on it.
    pub now_ms: i64,
}

/// Requests that have left the window are deleted this often, not on every update: the
/// queries skip them by time anyway.
const PRUNE_EVERY_MS: i64 = 60_000;

impl Store {
    /// Under the budget's lock: loads the window of requests sent in the last `window_ms` by
    /// the database's clock (their count, then the times of the newest
    /// `times_needed(&window)` of them), lets `change` append the requests it sends (counting
    /// them, at times on that clock) and set the pause and the cut, and stores that. The
    /// common update, a request admitted, loads no times: it reads two rows and writes one.
    pub async fn update_request_window(
        &self,
        window_ms: i64,
        times_needed: &(dyn for<'w> Fn(&'w RequestWindow) -> usize + Sync),
        change: &mut (dyn for<'w> FnMut(&'w mut RequestWindow) + Send),
    ) -> Result<(), StoreError> {
        self.update_request_window_at(None, window_ms, times_needed, change)
            .await
    }

    /// [`Store::update_request_window`] with the clock read from `now_ms` when given (tests).
    async fn update_request_window_at(
        &self,
        now_ms: Option<i64>,
        window_ms: i64,
        times_needed: &(dyn for<'w> Fn(&'w RequestWindow) -> usize + Sync),
        change: &mut (dyn for<'w> FnMut(&'w mut RequestWindow) + Send),
    ) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        // SQLite's BEGIN IMMEDIATE has locked the database already. The count is read after
        // the lock is taken, in its own statement, so it sees every earlier holder's requests.
        let read_state = match self.backend {
            Backend::Sqlite => {
                "SELECT paused_until_ms, cut_limit, cut_until_ms, pruned_ms FROM megaport_budget \
                 WHERE id = 1"
            }
            Backend::Postgres => {
                "SELECT paused_until_ms, cut_limit, cut_until_ms, pruned_ms FROM megaport_budget \
                 WHERE id = 1 FOR UPDATE"
            }
        };
        let (paused_until_ms, cut_limit, cut_until_ms, pruned_ms): (
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
        ) = sqlx::query_as(read_state)
            .fetch_one(&mut *transaction)
            .await?;
        // The clock is read once, after the lock is taken (a CTE with a volatile function is
        // evaluated once on PostgreSQL; SQLite's 'now' is fixed for a statement).
        let (now_ms, count): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH clock AS (SELECT COALESCE($1, {now}) AS now_ms) \
             SELECT clock.now_ms, (SELECT COUNT(*) FROM megaport_requests \
             WHERE sent_ms > clock.now_ms - $2) FROM clock",
            now = self.backend.now_ms_sql()
        )))
        .bind(now_ms)
        .bind(window_ms)
        .fetch_one(&mut *transaction)
        .await?;
        let since_ms = now_ms.saturating_sub(window_ms);
        let mut window = RequestWindow {
            now_ms,
            count: u64::try_from(count).unwrap_or(0),
            newest_ms: Vec::new(),
            paused_until_ms,
            cut: cut_limit
                .zip(cut_until_ms)
                .map(|(limit, until)| (u32::try_from(limit).unwrap_or(u32::MAX), until)),
        };
        let needed = times_needed(&window);
        if needed > 0 {
            window.newest_ms = sqlx::query_scalar(
                "SELECT sent_ms FROM megaport_requests WHERE sent_ms > $1 \
                 ORDER BY sent_ms DESC, id DESC LIMIT $2",
            )
            .bind(since_ms)
            .bind(i64::try_from(needed).unwrap_or(i64::MAX))
            .fetch_all(&mut *transaction)
            .await?;
            window.newest_ms.reverse();
        }
        let (loaded, before) = (window.newest_ms.len(), (window.paused_until_ms, window.cut));
        change(&mut window);
        for sent_ms in window.newest_ms.iter().skip(loaded) {
            sqlx::query("INSERT INTO megaport_requests (sent_ms) VALUES ($1)")
                .bind(*sent_ms)
                .execute(&mut *transaction)
                .await?;
        }
        let prune = since_ms - pruned_ms >= PRUNE_EVERY_MS;
        if prune {
            sqlx::query("DELETE FROM megaport_requests WHERE sent_ms <= $1")
                .bind(since_ms)
                .execute(&mut *transaction)
                .await?;
        }
        if prune || (window.paused_until_ms, window.cut) != before {
            sqlx::query(
                "UPDATE megaport_budget SET paused_until_ms = $1, cut_limit = $2, \
                 cut_until_ms = $3, pruned_ms = $4 WHERE id = 1",
            )
            .bind(window.paused_until_ms)
            .bind(window.cut.map(|(limit, _)| i64::from(limit)))
            .bind(window.cut.map(|(_, until)| until))
            .bind(if prune { since_ms } else { pruned_ms })
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Requests stored, in the window or not: what pruning bounds.
    #[cfg(test)]
    async fn stored_requests(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM megaport_requests")
            .fetch_one(self.pool())
            .await
            .expect("count")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Records one request at `at` if fewer than `ceiling` are in the window since `since`
    /// (the clock at `since`, the window empty).
    async fn send_if_under(store: &Store, since: i64, ceiling: u64, at: i64) -> bool {
        let mut sent = false;
        store
            .update_request_window_at(Some(since), 0, &|_| 0, &mut |window| {
                if window.count < ceiling {
                    window.newest_ms.push(at);
                    window.count += 1;
                    sent = true;
                }
            })
            .await
            .expect("update");
        sent
    }

    /// The window since `since`, with the times of its newest `times` requests.
    async fn window(store: &Store, since: i64, times: usize) -> RequestWindow {
        let mut seen = RequestWindow::default();
        store
            .update_request_window_at(Some(since), 0, &|_| times, &mut |window| {
                seen = window.clone();
            })
            .await
            .expect("read");
        seen
    }

    contract_test! {
        async fn the_window_counts_what_is_recent_and_keeps_the_pause(store: Store) {
            for at in [100, 200, 300, 400] {
                assert!(send_if_under(&store, 0, 10, at).await);
            }
            let seen = window(&store, 150, 2).await;
            assert_eq!(seen.count, 3, "the request at 100 has left the window");
            assert_eq!(seen.newest_ms, vec![300, 400], "the newest two, oldest first");
            assert_eq!(window(&store, 150, 0).await.newest_ms, Vec::<i64>::new());
            assert_eq!(window(&store, 0, 10).await.newest_ms, vec![100, 200, 300, 400]);

            store
                .update_request_window_at(Some(0), 0, &|_| 0, &mut |window| {
                    window.paused_until_ms = Some(5_000);
                    window.cut = Some((225, 9_000));
                })
                .await
                .expect("pause");
            let seen = window(&store, 0, 0).await;
            assert_eq!((seen.paused_until_ms, seen.cut), (Some(5_000), Some((225, 9_000))));
        }
    }

    contract_test! {
        async fn requests_that_left_the_window_are_deleted_once_a_minute(store: Store) {
            for at in [61_000, 62_000, 63_000] {
                assert!(send_if_under(&store, 0, 10, at).await);
            }
            assert_eq!(store.stored_requests().await, 3);
            // A minute since the last prune (none yet, at 0): the one before 61 500 goes.
            assert!(send_if_under(&store, 61_500, 10, 70_000).await);
            assert_eq!(store.stored_requests().await, 3);
            // Not a minute since: what left the window stays stored, and is not counted.
            assert!(send_if_under(&store, 65_000, 10, 80_000).await);
            assert_eq!(store.stored_requests().await, 4);
            assert_eq!(window(&store, 65_000, 0).await.count, 2);
            assert!(send_if_under(&store, 121_500, 10, 130_000).await);
            assert_eq!(store.stored_requests().await, 1);
        }
    }

    contract_test! {
        async fn concurrent_updates_never_pass_the_ceiling(store: Store) {
            // Twenty senders race for ten places, as replicas do for one budget.
            let store = Arc::new(store);
            let sends: Vec<_> = (0..20)
                .map(|at| {
                    let store = store.clone();
                    tokio::spawn(async move { send_if_under(&store, 0, 10, 1_000 + at).await })
                })
                .collect();
            let mut sent = 0;
            for send in sends {
                sent += usize::from(send.await.expect("sender"));
            }
            assert_eq!(sent, 10);
            assert_eq!(window(&store, 0, 0).await.count, 10);
        }
    }
}
