//! The `port_signals` table: per Port and kind, the last value onramp learnt (measured traffic,
//! last known diversity zone), as JSON.

use sqlx::Row;
use time::OffsetDateTime;

use crate::changes::ChangeKind;
use crate::{Store, StoreError, millis};

impl Store {
    /// Replaces the `kind` signal of each (port uid, JSON), in one transaction.
    pub async fn save_port_signals(
        &self,
        kind: &str,
        values: &[(String, String)],
    ) -> Result<(), StoreError> {
        let now = millis(OffsetDateTime::now_utc());
        let mut transaction = self.write_transaction().await?;
        for (port_uid, value_json) in values {
            sqlx::query(
                "INSERT INTO port_signals (port_uid, kind, value_json, update_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (port_uid, kind) DO UPDATE SET \
                 value_json = excluded.value_json, update_ms = excluded.update_ms",
            )
            .bind(port_uid)
            .bind(kind)
            .bind(value_json)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        self.commit_with_change(transaction, ChangeKind::PortSignals, kind)
            .await?;
        Ok(())
    }

    /// Every Port's `kind` signal, as (port uid, JSON).
    pub async fn port_signals(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT port_uid, value_json FROM port_signals WHERE kind = $1 ORDER BY port_uid",
        )
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("port_uid")?, row.try_get("value_json")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_signal_is_replaced_and_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("onramp-signals-{}", uuid::Uuid::new_v4()));
        let store = crate::Store::open(&dir).await.expect("open");
        let one = |uid: &str, json: &str| [(uid.to_owned(), json.to_owned())];
        store
            .save_port_signals("zone", &one("p1", "\"Red\""))
            .await
            .expect("save");
        store
            .save_port_signals("zone", &one("p1", "\"Blue\""))
            .await
            .expect("replace");
        store
            .save_port_signals("traffic", &one("p2", "{}"))
            .await
            .expect("save");
        drop(store);
        let store = crate::Store::open(&dir).await.expect("reopen");
        assert_eq!(
            store.port_signals("zone").await.expect("read"),
            [("p1".to_owned(), "\"Blue\"".to_owned())]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
