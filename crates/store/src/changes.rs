//! The change feed (`change_feed`): every write of state the replicas share records a change in
//! its own transaction, numbered in commit order, and announces it (NOTIFY on PostgreSQL; a
//! watch channel in this process on both backends). A replica's read models follow the feed
//! instead of guessing when what they hold is stale, and one that missed announcements (a cut
//! listener connection, a restart) reads the revisions it missed.

use sqlx::Row;

use crate::{Backend, Store, StoreError};

/// The channel [`Store::listen`] hears new change revisions on (the payload is the revision).
pub const CHANGES_CHANNEL: &str = "onramp_changes";

/// Revisions kept: a replica that falls further behind reloads everything instead.
const CHANGES_KEPT: i64 = 10_000;

/// What kind of shared state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Regions,
    Orders,
    Approvals,
    Keys,
    PortSignals,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regions => "regions",
            Self::Orders => "orders",
            Self::Approvals => "approvals",
            Self::Keys => "keys",
            Self::PortSignals => "port_signals",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Regions,
            Self::Orders,
            Self::Approvals,
            Self::Keys,
            Self::PortSignals,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub revision: i64,
    pub kind: ChangeKind,
    /// What changed within the kind; empty for all of it.
    pub subject: String,
    /// The database's clock at the change, in unix milliseconds.
    pub time_ms: i64,
    /// Whether this process wrote it (its own writes reach its read models directly, so a
    /// subscriber may skip them).
    pub own: bool,
}

/// An advisory lock's key: feed writers take it so revisions commit in the order they are
/// numbered (a reader that saw revision N never later finds an N - 1 committed behind it).
const FEED_LOCK: i64 = 0x6f6e_7261_6d70;

impl Store {
    /// Commits `transaction` with a change of `kind` (`subject`) recorded in it, and announces
    /// the change once committed. Returns its revision.
    pub(crate) async fn commit_with_change(
        &self,
        mut transaction: sqlx::Transaction<'static, sqlx::Any>,
        kind: ChangeKind,
        subject: &str,
    ) -> Result<i64, StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(FEED_LOCK)
                .execute(&mut *transaction)
                .await?;
        }
        let revision: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "INSERT INTO change_feed (revision, kind, subject, time_ms, origin) \
             SELECT COALESCE(MAX(revision), 0) + 1, $1, $2, {now}, $3 FROM change_feed \
             RETURNING revision",
            now = self.backend.now_ms_sql()
        )))
        .bind(kind.as_str())
        .bind(subject)
        .bind(self.origin.as_ref())
        .fetch_one(&mut *transaction)
        .await?;
        if revision % 1_000 == 0 {
            sqlx::query("DELETE FROM change_feed WHERE revision <= $1")
                .bind(revision - CHANGES_KEPT)
                .execute(&mut *transaction)
                .await?;
        }
        self.notify(&mut transaction, CHANGES_CHANNEL, &revision.to_string())
            .await?;
        transaction.commit().await?;
        self.local_changes
            .send_if_modified(|latest| std::mem::replace(latest, revision.max(*latest)) < revision);
        Ok(revision)
    }

    /// Records and announces a change whose state is kept elsewhere (a key's, in Megaport).
    pub async fn announce_change(
        &self,
        kind: ChangeKind,
        subject: &str,
    ) -> Result<i64, StoreError> {
        let transaction = self.write_transaction().await?;
        self.commit_with_change(transaction, kind, subject).await
    }

    /// Changes after `revision`, oldest first, at most `limit`.
    pub async fn changes_after(
        &self,
        revision: i64,
        limit: i64,
    ) -> Result<Vec<Change>, StoreError> {
        let rows = sqlx::query(
            "SELECT revision, kind, subject, time_ms, origin FROM change_feed \
             WHERE revision > $1 ORDER BY revision LIMIT $2",
        )
        .bind(revision)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(Change {
                    revision: row.try_get("revision")?,
                    kind: ChangeKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("change kind {kind}")))?,
                    subject: row.try_get("subject")?,
                    time_ms: row.try_get("time_ms")?,
                    own: row.try_get::<String, _>("origin")? == *self.origin,
                })
            })
            .collect()
    }

    /// The newest revision of the feed (0 when empty).
    pub async fn latest_change(&self) -> Result<i64, StoreError> {
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(revision) FROM change_feed")
            .fetch_one(self.pool())
            .await?;
        Ok(latest.unwrap_or(0))
    }

    /// The newest revision this process committed, as it commits them: how the feed of this
    /// process hears its own writes at once, on both backends.
    pub fn local_changes(&self) -> tokio::sync::watch::Receiver<i64> {
        self.local_changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    contract_test! {
        async fn changes_are_numbered_in_commit_order_and_announced(store: Store) {
            let mut local = store.local_changes();
            assert_eq!(store.latest_change().await.expect("latest"), 0);
            for (kind, subject) in [(ChangeKind::Regions, "west"), (ChangeKind::Orders, "o1")] {
                let transaction = store.write_transaction().await.expect("begin");
                store.commit_with_change(transaction, kind, subject).await.expect("commit");
            }
            assert!(local.has_changed().expect("open"));
            assert_eq!(*local.borrow_and_update(), 2);
            let changes = store.changes_after(0, 10).await.expect("changes");
            assert_eq!(
                changes.iter().map(|c| (c.revision, c.kind, c.subject.as_str())).collect::<Vec<_>>(),
                [(1, ChangeKind::Regions, "west"), (2, ChangeKind::Orders, "o1")]
            );
            assert_eq!(store.changes_after(1, 10).await.expect("after 1").len(), 1);
            assert_eq!(store.latest_change().await.expect("latest"), 2);
            assert!(changes.iter().all(|change| change.own), "this process wrote them");
        }
    }

    contract_test! {
        async fn concurrent_writers_commit_revisions_in_order(store: Store) {
            let store = std::sync::Arc::new(store);
            let writers: Vec<_> = (0..20)
                .map(|n| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let transaction = store.write_transaction().await.expect("begin");
                        store
                            .commit_with_change(transaction, ChangeKind::Orders, &format!("o{n}"))
                            .await
                            .expect("commit")
                    })
                })
                .collect();
            for writer in writers {
                writer.await.expect("writer");
            }
            let revisions: Vec<i64> = store
                .changes_after(0, 100)
                .await
                .expect("changes")
                .iter()
                .map(|change| change.revision)
                .collect();
            assert_eq!(revisions, (1..=20).collect::<Vec<_>>());
        }
    }
}
