//! Leases: one row per held name; an expired row is taken over by the next `try_lock`, and the
//! holder's own `try_lock` renews it.

use std::time::Duration;

use crate::{Store, StoreError};

impl Store {
    /// Takes or renews the lease `name` for `ttl`. Expiry is judged by the database's clock,
    /// never the replica's: a replica whose clock runs ahead cannot take a lease early, nor
    /// one running behind hold it late.
    pub async fn try_lock(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        // The clock is read once, into expires_ms; `excluded.expires_ms - ttl` is that reading.
        // (`WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT.)
        let sql = format!(
            "INSERT INTO locks (name, holder, expires_ms) SELECT $1, $2, {now} + $3 WHERE true \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_ms = excluded.expires_ms \
             WHERE locks.expires_ms <= excluded.expires_ms - $3 OR locks.holder = excluded.holder",
            now = self.backend.now_ms_sql(),
        );
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(holder)
            .bind(ttl_ms)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn unlock(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM locks WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    contract_test! {
        async fn a_lease_is_exclusive_until_released_or_expired(store: Store) {
            let long = Duration::from_secs(60);
            assert!(store.try_lock("port:p", "a", long).await.expect("lock"));
            assert!(!store.try_lock("port:p", "b", long).await.expect("held"));
            store
                .unlock("port:p", "b")
                .await
                .expect("not b's to release");
            assert!(
                !store
                    .try_lock("port:p", "b", long)
                    .await
                    .expect("still held")
            );
            assert!(store.try_lock("port:p", "a", long).await.expect("renewed by its holder"));
            store.unlock("port:p", "a").await.expect("release");
            assert!(
                store
                    .try_lock("port:p", "b", Duration::ZERO)
                    .await
                    .expect("free")
            );
            // b's lease has expired at once: c takes it over.
            assert!(store.try_lock("port:p", "c", long).await.expect("expired"));
        }
    }
}
