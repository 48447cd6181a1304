//! The approval inbox's persisted watch history (`approval_batches`) and the digest of every
//! approval as last seen (`approval_view`).

use std::collections::HashMap;

use sqlx::Row;

use super::watch::StoredBatch;
use super::{Store, StoreError};
use crate::changes::ChangeKind;

impl Store {
    /// The digest of every approval as last seen, by approval uid.
    pub async fn approval_digests(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT approval_uid, digest FROM approval_view")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("approval_uid")?, row.try_get("digest")?)))
            .collect()
    }

    /// Appends one revision and the digests of the approvals it changed atomically, with the
    /// webhook events they cause in the outbox, then forgets revisions older than `retain`.
    pub async fn commit_approval_batch(
        &self,
        batch: &StoredBatch,
        digests: &[(String, String)],
        retain: u64,
        outbox: &[crate::webhooks::OutboxEvent],
    ) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        crate::webhooks::enqueue_in(&mut transaction, self.backend, outbox).await?;
        sqlx::query(
            "INSERT INTO approval_batches (revision, observe_time, approvals_json) \
             VALUES ($1, $2, $3)",
        )
        .bind(batch.revision)
        .bind(batch.observe_time_ms)
        .bind(&batch.events_json)
        .execute(&mut *transaction)
        .await?;
        for (uid, digest) in digests {
            sqlx::query(
                "INSERT INTO approval_view (approval_uid, digest) VALUES ($1, $2) \
                 ON CONFLICT (approval_uid) DO UPDATE SET digest = excluded.digest",
            )
            .bind(uid)
            .bind(digest)
            .execute(&mut *transaction)
            .await?;
        }
        let keep_from = batch.revision - i64::try_from(retain).unwrap_or(i64::MAX) + 1;
        sqlx::query("DELETE FROM approval_batches WHERE revision < $1")
            .bind(keep_from)
            .execute(&mut *transaction)
            .await?;
        self.commit_with_change(
            transaction,
            ChangeKind::Approvals,
            &batch.revision.to_string(),
        )
        .await?;
        Ok(())
    }

    /// Batches after `revision`, oldest first.
    pub async fn approval_batches_after(
        &self,
        revision: i64,
    ) -> Result<Vec<StoredBatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT revision, observe_time, approvals_json FROM approval_batches \
             WHERE revision > $1 ORDER BY revision",
        )
        .bind(revision)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| StoredBatch::from_row(row, "approvals_json"))
            .collect()
    }

    /// The newest retained revision; 0 when none was ever committed.
    pub async fn approval_revision(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT MAX(revision) AS high FROM approval_batches")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<Option<i64>, _>("high")?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    contract_test! {
        async fn a_batch_and_its_digests_commit_together_and_old_batches_are_forgotten(store: Store) {
            assert_eq!(store.approval_revision().await.expect("revision"), 0);
            for revision in 1..=3 {
                let batch = StoredBatch {
                    revision,
                    observe_time_ms: revision * 1000,
                    events_json: format!("[{revision}]"),
                };
                let digests = [("a1".to_owned(), format!("d{revision}"))];
                store
                    .commit_approval_batch(&batch, &digests, 2, &[])
                    .await
                    .expect("commit");
            }
            assert_eq!(store.approval_revision().await.expect("revision"), 3);
            let after: Vec<i64> = store
                .approval_batches_after(0)
                .await
                .expect("after")
                .iter()
                .map(|batch| batch.revision)
                .collect();
            assert_eq!(after, [2, 3], "two retained");
            assert_eq!(
                store.approval_digests().await.expect("digests").get("a1"),
                Some(&"d3".to_owned())
            );
        }
    }
}
