//! What the store forgets, and how it tells how big it is without counting.
//!
//! The audit log, the request-id journals and finished orders grow with every call. Pruning
//! removes rows older than a horizon in small batches, each its own short statement, so a writer
//! waits at most one batch; the horizon is measured on the database's clock, the one every
//! replica shares. Sizes for metrics are estimates a scrape can afford on a table of millions:
//! PostgreSQL's live-tuple statistics, SQLite's rowid span.

use onramp_core::orders::OrderState;
use sqlx::AssertSqlSafe;

use crate::{Backend, Store, StoreError};

/// Rows that can be forgotten once they are older than their horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prunable {
    /// The audit log, by the time the call ended.
    AuditRecords,
    /// Finished request-id journals (kept answers of creates, minted keys' requests, VXC
    /// changes), by when the request was made. A key request still waiting for its key is
    /// recovery state and stays.
    RequestIds,
    /// Orders in a terminal state, by their last update. An order is also its buy's request-id
    /// record, so its horizon is never shorter than the request ids'.
    TerminalOrders,
    /// Webhook deliveries that ended (delivered or failed), by when their event occurred, and
    /// then the events no delivery refers to. A pending delivery stays however old.
    WebhookDeliveries,
}

impl Prunable {
    pub const ALL: [Prunable; 4] = [
        Prunable::AuditRecords,
        Prunable::RequestIds,
        Prunable::TerminalOrders,
        Prunable::WebhookDeliveries,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuditRecords => "audit_records",
            Self::RequestIds => "request_ids",
            Self::TerminalOrders => "terminal_orders",
            Self::WebhookDeliveries => "webhook_deliveries",
        }
    }

    /// `(table, key column, which rows are old)`: the statements a batch runs. `$1` is the
    /// cutoff in Unix milliseconds.
    fn statements(self) -> Vec<(&'static str, &'static str, String)> {
        match self {
            // By seq, the primary key: the oldest rows come first, so the batch's scan stops
            // after `limit` rows without an index on time.
            Self::AuditRecords => vec![(
                "audit_records",
                "seq",
                "time_ms < $1 ORDER BY seq".to_owned(),
            )],
            Self::RequestIds => vec![
                (
                    "idempotent_responses",
                    "request_id",
                    "create_time < $1 ORDER BY create_time".to_owned(),
                ),
                (
                    "service_key_requests",
                    "request_id",
                    "key IS NOT NULL AND create_time < $1 ORDER BY create_time".to_owned(),
                ),
                (
                    "vxc_requests",
                    "request_id",
                    "create_time < $1 ORDER BY create_time".to_owned(),
                ),
            ],
            Self::TerminalOrders => {
                let terminal: Vec<String> = OrderState::ALL
                    .iter()
                    .filter(|state| state.is_terminal())
                    .map(|state| format!("'{}'", state.as_str()))
                    .collect();
                vec![(
                    "vxc_orders",
                    "order_id",
                    format!(
                        "state IN ({}) AND update_time < $1 ORDER BY update_time",
                        terminal.join(", ")
                    ),
                )]
            }
            Self::WebhookDeliveries => vec![
                (
                    "webhook_deliveries",
                    "id",
                    "status <> 'pending' AND occur_ms < $1 ORDER BY occur_ms".to_owned(),
                ),
                (
                    "webhook_events",
                    "id",
                    "occur_ms < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                     WHERE d.event_id = webhook_events.id) ORDER BY occur_ms"
                        .to_owned(),
                ),
            ],
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub deleted: u64,
    /// A table gave all the batch could take: there may be more past the horizon.
    pub more: bool,
}

/// The tables whose sizes the metrics show: they grow with use, and an operator watches that
/// pruning keeps up.
pub const SIZED_TABLES: [&str; 8] = [
    "audit_records",
    "service_keys",
    "service_key_requests",
    "idempotent_responses",
    "vxc_requests",
    "watch_batches",
    "vxc_orders",
    "change_feed",
];

impl Store {
    /// Deletes up to `limit` rows of `what` older than `horizon_ms` before the database's now,
    /// per table.
    pub async fn prune(
        &self,
        what: Prunable,
        horizon_ms: i64,
        limit: usize,
    ) -> Result<Pruned, StoreError> {
        let now = self.backend.now_ms_sql();
        let cutoff: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT {now}")))
            .fetch_one(self.pool())
            .await?;
        let cutoff = cutoff.saturating_sub(horizon_ms);
        let mut pruned = Pruned::default();
        for (table, key, old) in what.statements() {
            let result = sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE {key} IN \
                 (SELECT {key} FROM {table} WHERE {old} LIMIT $2)"
            )))
            .bind(cutoff)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .execute(self.pool())
            .await?;
            pruned.deleted += result.rows_affected();
            pruned.more |= result.rows_affected() >= limit as u64;
        }
        Ok(pruned)
    }

    /// Estimated rows of each of [`SIZED_TABLES`], without reading the tables: PostgreSQL's
    /// statistics (`n_live_tup`, kept current by every commit, shared by the replicas), and on
    /// SQLite the span of rowids (exact while rows go oldest first, an upper bound otherwise).
    pub async fn table_size_estimates(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        let mut sizes = Vec::with_capacity(SIZED_TABLES.len());
        match self.backend {
            Backend::Postgres => {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT relname::TEXT, n_live_tup FROM pg_stat_user_tables \
                     WHERE schemaname = current_schema()",
                )
                .fetch_all(self.pool())
                .await?;
                for table in SIZED_TABLES {
                    let rows = rows
                        .iter()
                        .find(|(name, _)| name == table)
                        .map_or(0, |(_, rows)| *rows);
                    sizes.push((table, rows));
                }
            }
            Backend::Sqlite => {
                for table in SIZED_TABLES {
                    let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                        // Two subqueries: SQLite reads a lone MIN or MAX from the end of
                        // the b-tree, but both in one SELECT scan the whole table.
                        "SELECT COALESCE((SELECT MAX(rowid) FROM {table}) \
                         - (SELECT MIN(rowid) FROM {table}) + 1, 0)"
                    )))
                    .fetch_one(self.pool())
                    .await?;
                    sizes.push((table, rows));
                }
            }
        }
        Ok(sizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::millis;
    use onramp_core::ErrorReason;
    use onramp_core::orders::{Order, OrderSpec, PortRef, Quote};
    use onramp_core::ports::AuditRecord;
    use time::OffsetDateTime;

    const DAY_MS: i64 = 24 * 3600 * 1000;

    fn audit(time_ms: i64) -> AuditRecord {
        AuditRecord {
            audit_id: uuid::Uuid::new_v4().to_string(),
            time_ms,
            caller: "ci".into(),
            rpc: "/onramp.v1.RegionService/CreateRegion".into(),
            request_id: String::new(),
            resource: String::new(),
            code: 3,
            reason: 1,
        }
    }

    fn order(state: OrderState, days_ago: i64) -> Order {
        let at = OffsetDateTime::now_utc() - time::Duration::days(days_ago);
        let at = crate::from_millis(millis(at)).expect("time");
        Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
            account: "acme".into(),
            spec: OrderSpec::default(),
            state,
            vxc_uid: None,
            a_end: PortRef::default(),
            b_end: PortRef::default(),
            a_end_vlan: 0,
            b_end_vlan: 0,
            price: Quote::default(),
            approver: String::new(),
            state_message: String::new(),
            error_reason: ErrorReason::Unspecified,
            buy_attempts: 0,
            vxc: None,
            create_time: at,
            update_time: at,
        }
    }

    async fn prune_all(store: &Store, what: Prunable, horizon_ms: i64) -> Vec<u64> {
        let mut batches = Vec::new();
        loop {
            let pruned = store.prune(what, horizon_ms, 8).await.expect("prune");
            batches.push(pruned.deleted);
            if !pruned.more {
                return batches;
            }
        }
    }

    async fn estimate(store: &Store, table: &str) -> i64 {
        let sizes = store.table_size_estimates().await.expect("estimates");
        assert_eq!(sizes.len(), SIZED_TABLES.len());
        sizes
            .into_iter()
            .find(|(name, _)| *name == table)
            .map(|(_, rows)| rows)
            .expect("a sized table")
    }

    contract_test! {
        async fn old_rows_go_in_batches_and_the_rest_stay(store: Store) {
            let now = millis(OffsetDateTime::now_utc());
            for _ in 0..20 {
                store.append_audit(&audit(now - 10 * DAY_MS)).await.expect("old");
            }
            for _ in 0..5 {
                store.append_audit(&audit(now)).await.expect("new");
            }
            assert_eq!(
                prune_all(&store, Prunable::AuditRecords, 5 * DAY_MS).await,
                [8, 8, 4],
                "batches of at most 8, ending with a short one"
            );
            assert!(prune_all(&store, Prunable::AuditRecords, 5 * DAY_MS).await == [0]);
            let left = store.audit_page(i64::MAX, "", "", 100).await.expect("page");
            assert_eq!(left.len(), 5);
            assert!(left.iter().all(|(_, record)| record.time_ms == now));

            let old_rejected = order(OrderState::Rejected, 10);
            let old_live = order(OrderState::Live, 10);
            let new_rejected = order(OrderState::Rejected, 1);
            for placed in [&old_rejected, &old_live, &new_rejected] {
                assert!(store.insert_order(placed).await.expect("insert"));
            }
            assert_eq!(
                prune_all(&store, Prunable::TerminalOrders, 5 * DAY_MS).await,
                [1]
            );
            assert!(store.order(&old_rejected.order_id).await.expect("read").is_none());
            assert!(store.order(&old_live.order_id).await.expect("read").is_some());
            assert!(store.order(&new_rejected.order_id).await.expect("read").is_some());

            // The estimates: SQLite's is exact here (the oldest went first). PostgreSQL's
            // statistics reach the shared counters when each pooled connection flushes them,
            // which on a busy cluster can take long; ANALYZE publishes the tables' counts at once.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                if store.backend() == Backend::Postgres {
                    sqlx::query("ANALYZE audit_records, vxc_orders")
                        .execute(store.pool())
                        .await
                        .expect("analyze");
                }
                let sizes = (
                    estimate(&store, "audit_records").await,
                    estimate(&store, "vxc_orders").await,
                );
                if sizes == (5, 2) {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "estimates never reached the table sizes"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}
