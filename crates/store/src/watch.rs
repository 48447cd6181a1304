//! The watcher's persisted history (`watch_batches`) and last view of every key (`watch_view`).

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Store, StoreError};
use onramp_core::keys::KeyView;

/// The channel [`Store::listen`] hears new key-watch revisions on (the payload is the revision).
pub const WATCH_CHANNEL: &str = "onramp_watch";

/// One revision as stored: the batch's events, serialised by the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    pub revision: i64,
    pub observe_time_ms: i64,
    pub events_json: String,
}

impl StoredBatch {
    /// A row of a history table (`watch_batches`, `approval_batches`) whose batch is in
    /// `json_column`.
    pub(crate) fn from_row(row: &sqlx::any::AnyRow, json_column: &str) -> Result<Self, StoreError> {
        Ok(Self {
            revision: row.try_get("revision")?,
            observe_time_ms: row.try_get("observe_time")?,
            events_json: row.try_get(json_column)?,
        })
    }
}

impl Store {
    /// The last view of every key the watcher saw.
    pub async fn watch_views(&self) -> Result<BTreeMap<String, KeyView>, StoreError> {
        let rows = sqlx::query("SELECT key, view_json FROM watch_view")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let key: String = row.try_get("key")?;
                let view = parse_view(&row.try_get::<String, _>("view_json")?)?;
                Ok((key, view))
            })
            .collect()
    }

    pub async fn watch_view(&self, key: &str) -> Result<Option<KeyView>, StoreError> {
        let row = sqlx::query("SELECT view_json FROM watch_view WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| parse_view(&row.try_get::<String, _>("view_json")?))
            .transpose()
    }

    /// Appends one revision and applies its view changes atomically, with the webhook events
    /// they cause in the outbox, then forgets revisions older than `retain`. A crash leaves either both or neither, so a restart never replays a
    /// change twice nor loses one.
    pub async fn commit_watch_batch(
        &self,
        batch: &StoredBatch,
        upserts: &[KeyView],
        removals: &[String],
        retain: u64,
        outbox: &[crate::webhooks::OutboxEvent],
    ) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        crate::webhooks::enqueue_in(&mut transaction, self.backend, outbox).await?;
        sqlx::query(
            "INSERT INTO watch_batches (revision, observe_time, events_json) VALUES ($1, $2, $3)",
        )
        .bind(batch.revision)
        .bind(batch.observe_time_ms)
        .bind(&batch.events_json)
        .execute(&mut *transaction)
        .await?;
        for view in upserts {
            let json = serde_json::to_string(view)
                .map_err(|error| StoreError::Corrupt(error.to_string()))?;
            sqlx::query(
                "INSERT INTO watch_view (key, view_json) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET view_json = excluded.view_json",
            )
            .bind(&view.key)
            .bind(json)
            .execute(&mut *transaction)
            .await?;
        }
        for key in removals {
            sqlx::query("DELETE FROM watch_view WHERE key = $1")
                .bind(key)
                .execute(&mut *transaction)
                .await?;
        }
        let keep_from = batch.revision - i64::try_from(retain).unwrap_or(i64::MAX) + 1;
        self.notify(&mut transaction, WATCH_CHANNEL, &batch.revision.to_string())
            .await?;
        sqlx::query("DELETE FROM watch_batches WHERE revision < $1")
            .bind(keep_from)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Batches after `revision`, oldest first.
    pub async fn watch_batches_after(&self, revision: i64) -> Result<Vec<StoredBatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT revision, observe_time, events_json FROM watch_batches \
             WHERE revision > $1 ORDER BY revision",
        )
        .bind(revision)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| StoredBatch::from_row(row, "events_json"))
            .collect()
    }

    /// The oldest and newest retained revisions, if any.
    pub async fn watch_revision_range(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT MIN(revision) AS low, MAX(revision) AS high FROM watch_batches")
                .fetch_one(self.pool())
                .await?;
        let low: Option<i64> = row.try_get("low")?;
        let high: Option<i64> = row.try_get("high")?;
        Ok(low.zip(high))
    }

    /// Identifies this database, so a resume token from another onramp is recognised as
    /// unknown rather than misread.
    pub async fn instance_id(&self) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO store_meta (key, value) VALUES ('instance_id', $1) ON CONFLICT (key) DO NOTHING")
            .bind(uuid::Uuid::new_v4().simple().to_string())
            .execute(self.pool())
            .await?;
        let row = sqlx::query("SELECT value FROM store_meta WHERE key = 'instance_id'")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("value")?)
    }
}

fn parse_view(json: &str) -> Result<KeyView, StoreError> {
    serde_json::from_str(json).map_err(|error| StoreError::Corrupt(format!("key view: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use onramp_core::keys::UpstreamKey;
    use onramp_core::onramps::PortRef;

    fn view(key: &str) -> KeyView {
        let upstream = UpstreamKey {
            key: key.into(),
            port_uid: "port".into(),
            ..UpstreamKey::default()
        };
        KeyView::new(
            &upstream,
            PortRef::default(),
            None,
            time::OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn batch(revision: i64) -> StoredBatch {
        StoredBatch {
            revision,
            observe_time_ms: 1_000 * revision,
            events_json: format!("[{revision}]"),
        }
    }

    contract_test! {
        async fn batches_and_views_commit_together_and_old_revisions_are_forgotten(store: Store) {
            assert_eq!(store.watch_revision_range().await.expect("range"), None);
            store
                .commit_watch_batch(&batch(1), &[view("k1"), view("k2")], &[], 2, &[])
                .await
                .expect("commit 1");
            store
                .commit_watch_batch(&batch(2), &[], &["k1".to_owned()], 2, &[])
                .await
                .expect("commit 2");
            store.commit_watch_batch(&batch(3), &[view("k3")], &[], 2, &[]).await.expect("commit 3");

            assert_eq!(store.watch_revision_range().await.expect("range"), Some((2, 3)));
            assert_eq!(store.watch_batches_after(1).await.expect("after"), [batch(2), batch(3)]);
            assert_eq!(store.watch_batches_after(3).await.expect("after"), []);
            let views = store.watch_views().await.expect("views");
            assert_eq!(views.keys().collect::<Vec<_>>(), ["k2", "k3"]);
            assert_eq!(store.watch_view("k2").await.expect("view"), Some(view("k2")));
            assert_eq!(store.watch_view("k1").await.expect("view"), None);

            // A revision is written once: a second writer of the same revision fails whole.
            let again = store.commit_watch_batch(&batch(3), &[view("k9")], &[], 2, &[]).await;
            assert!(again.is_err(), "revision 3 twice");
            assert_eq!(store.watch_view("k9").await.expect("view"), None);

            // Every replica hears a committed revision (PostgreSQL); SQLite has nobody to tell.
            if let Some(mut listener) = store.listen(WATCH_CHANNEL).await.expect("listen") {
                store.commit_watch_batch(&batch(4), &[], &[], 2, &[]).await.expect("commit 4");
                let heard = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv())
                    .await
                    .expect("notified")
                    .expect("notification");
                assert_eq!(heard.payload(), "4");
            }

            let instance = store.instance_id().await.expect("instance");
            assert_eq!(store.instance_id().await.expect("instance"), instance);
        }
    }
}
