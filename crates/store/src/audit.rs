//! The audit table: one row per finished mutating call, in arrival order (`seq`).

use onramp_core::ports::AuditRecord;
use sqlx::Row;

use crate::{Store, StoreError};

impl Store {
    pub async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_records \
             (audit_id, time_ms, caller, rpc, request_id, resource, code, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.audit_id)
        .bind(record.time_ms)
        .bind(&record.caller)
        .bind(&record.rpc)
        .bind(&record.request_id)
        .bind(&record.resource)
        .bind(record.code)
        .bind(record.reason)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Newest first, below `before`, with empty filters matching everything.
    pub async fn audit_page(
        &self,
        before: i64,
        caller: &str,
        rpc: &str,
        limit: usize,
    ) -> Result<Vec<(i64, AuditRecord)>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, audit_id, time_ms, caller, rpc, request_id, resource, code, reason \
             FROM audit_records \
             WHERE seq < $1 AND ($2 = '' OR caller = $3) AND ($4 = '' OR rpc = $5) \
             ORDER BY seq DESC LIMIT $6",
        )
        .bind(before)
        .bind(caller)
        .bind(caller)
        .bind(rpc)
        .bind(rpc)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("seq")?,
                    AuditRecord {
                        audit_id: row.try_get("audit_id")?,
                        time_ms: row.try_get("time_ms")?,
                        caller: row.try_get("caller")?,
                        rpc: row.try_get("rpc")?,
                        request_id: row.try_get("request_id")?,
                        resource: row.try_get("resource")?,
                        code: row.try_get("code")?,
                        reason: row.try_get("reason")?,
                    },
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64, caller: &str, rpc: &str) -> AuditRecord {
        AuditRecord {
            audit_id: format!("audit-{n}"),
            time_ms: 1_700_000_000_000 + n,
            caller: caller.into(),
            rpc: rpc.into(),
            request_id: format!("req-{n}"),
            resource: String::new(),
            code: 0,
            reason: 0,
        }
    }

    contract_test! {
        async fn pages_run_newest_first_below_the_cursor_and_filter(store: Store) {
            for (n, caller, rpc) in [(1, "a", "/x"), (2, "b", "/x"), (3, "a", "/y"), (4, "a", "/x")] {
                store.append_audit(&record(n, caller, rpc)).await.expect("append");
            }
            let all = store.audit_page(i64::MAX, "", "", 10).await.expect("page");
            let ids: Vec<&str> = all.iter().map(|(_, r)| r.audit_id.as_str()).collect();
            assert_eq!(ids, ["audit-4", "audit-3", "audit-2", "audit-1"]);
            assert_eq!(all[0].1, record(4, "a", "/x"));

            let cursor = all[1].0;
            let older = store.audit_page(cursor, "a", "", 10).await.expect("page");
            let ids: Vec<&str> = older.iter().map(|(_, r)| r.audit_id.as_str()).collect();
            assert_eq!(ids, ["audit-1"], "below audit-3, caller a");

            let ax = store.audit_page(i64::MAX, "a", "/x", 1).await.expect("page");
            assert_eq!(ax.len(), 1);
            assert_eq!(ax[0].1.audit_id, "audit-4");
        }
    }
}
