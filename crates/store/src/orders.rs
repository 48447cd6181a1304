//! The `vxc_orders` journal. Every change of state is a guarded update (`WHERE state IN (...)`),
//! so a row never moves from a state its writer did not see; the move to SUBMITTING is the
//! compare-and-set that lets exactly one writer send a buy.

use std::collections::HashSet;

// Every dynamic piece of SQL below is a constant of this module (column lists, column names,
// placeholders); values are always bound.
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

use super::{Store, StoreError};
use super::{from_millis, millis};
use crate::changes::ChangeKind;
use onramp_core::ErrorReason;
use onramp_core::cursor::Cursor;
use onramp_core::orders::{Order, OrderFilter, OrderSpec, OrderState, PortRef, Quote, VxcRequest};

const COLUMNS: &str = "order_id, request_id, account, spec_json, state, vxc_uid, a_end_json, \
     b_end_json, a_end_vlan, b_end_vlan, price_json, approver, state_message, error_reason, \
     buy_attempts, create_time, update_time, vxc_json";

impl Store {
    /// Journals a new order; false when its request_id is already journaled.
    pub async fn insert_order(&self, order: &Order) -> Result<bool, StoreError> {
        let result = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO vxc_orders ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (request_id) DO NOTHING"
        )))
        .bind(&order.order_id)
        .bind(&order.request_id)
        .bind(&order.account)
        .bind(json(&order.spec)?)
        .bind(order.state.as_str())
        .bind(order.vxc_uid.as_deref())
        .bind(json(&order.a_end)?)
        .bind(json(&order.b_end)?)
        .bind(order.a_end_vlan)
        .bind(order.b_end_vlan)
        .bind(json(&order.price)?)
        .bind(&order.approver)
        .bind(&order.state_message)
        .bind(order.error_reason.number())
        .bind(order.buy_attempts)
        .bind(millis(order.create_time))
        .bind(millis(order.update_time))
        .bind(optional_json(&order.vxc)?)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// JOURNALED or OUTCOME_UNKNOWN (the state `from` the caller saw) -> SUBMITTING, counting the
    /// attempt. False when the row was not in `from`: someone else moved it.
    pub async fn claim_for_submit(
        &self,
        order_id: &str,
        from: OrderState,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if !matches!(from, OrderState::Journaled | OrderState::OutcomeUnknown) {
            return Ok(false);
        }
        let mut transaction = self.write_transaction().await?;
        let result = sqlx::query(
            "UPDATE vxc_orders SET state = 'SUBMITTING', buy_attempts = buy_attempts + 1, \
             state_message = 'buy sent to megaport', update_time = $1 \
             WHERE order_id = $2 AND state = $3 AND vxc_uid IS NULL",
        )
        .bind(millis(now))
        .bind(order_id)
        .bind(from.as_str())
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 1 {
            let event = state_changed(
                order_id,
                from.as_str(),
                OrderState::Submitting.as_str(),
                None,
                now,
            );
            crate::webhooks::enqueue_in(&mut transaction, self.backend, &[event]).await?;
        }
        self.commit_order_change(transaction, order_id, result.rows_affected())
            .await
    }

    /// Commits an order's update, with its change in the feed when it changed a row (then
    /// true).
    async fn commit_order_change(
        &self,
        transaction: sqlx::Transaction<'static, sqlx::Any>,
        order_id: &str,
        rows_affected: u64,
    ) -> Result<bool, StoreError> {
        if rows_affected != 1 {
            return Ok(false);
        }
        self.commit_with_change(transaction, ChangeKind::Orders, order_id)
            .await?;
        Ok(true)
    }

    /// Writes the order's mutable fields if the row is still in one of `expected` states. False
    /// when it was not (a concurrent change; the caller's view is stale).
    pub async fn update_order(
        &self,
        order: &Order,
        expected: &[OrderState],
    ) -> Result<bool, StoreError> {
        // The expected states' placeholders follow the nine fixed ones.
        let placeholders = (10..10 + expected.len().max(1))
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE vxc_orders SET state = $1, vxc_uid = COALESCE(vxc_uid, $2), a_end_vlan = $3, \
             b_end_vlan = $4, state_message = $5, error_reason = $6, update_time = $7, \
             vxc_json = COALESCE($8, vxc_json) \
             WHERE order_id = $9 AND state IN ({placeholders})"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(order.state.as_str())
            .bind(order.vxc_uid.as_deref())
            .bind(order.a_end_vlan)
            .bind(order.b_end_vlan)
            .bind(&order.state_message)
            .bind(order.error_reason.number())
            .bind(millis(order.update_time))
            .bind(optional_json(&order.vxc)?)
            .bind(&order.order_id);
        if expected.is_empty() {
            query = query.bind("");
        }
        for state in expected {
            query = query.bind(state.as_str());
        }
        let mut transaction = self.write_transaction().await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT state FROM vxc_orders WHERE order_id = $1")
                .bind(&order.order_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let result = query.execute(&mut *transaction).await?;
        if let Some(before) = before
            .filter(|before| result.rows_affected() == 1 && before.as_str() != order.state.as_str())
        {
            let event = state_changed(
                &order.order_id,
                &before,
                order.state.as_str(),
                order.vxc_uid.as_deref(),
                order.update_time,
            );
            crate::webhooks::enqueue_in(&mut transaction, self.backend, &[event]).await?;
        }
        self.commit_order_change(transaction, &order.order_id, result.rows_affected())
            .await
    }

    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, StoreError> {
        self.one("order_id", order_id).await
    }

    pub async fn order_by_request_id(&self, request_id: &str) -> Result<Option<Order>, StoreError> {
        self.one("request_id", request_id).await
    }

    pub async fn order_by_vxc_uid(&self, vxc_uid: &str) -> Result<Option<Order>, StoreError> {
        self.one("vxc_uid", vxc_uid).await
    }

    async fn one(&self, column: &str, value: &str) -> Result<Option<Order>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM vxc_orders WHERE {column} = $1"
        )))
        .bind(value)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| order_from_row(&row)).transpose()
    }

    /// How many orders are in each state (states with none are absent), for metrics.
    pub async fn order_counts_by_state(&self) -> Result<Vec<(OrderState, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM vxc_orders GROUP BY state")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                let state = OrderState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("order state {state:?}")))?;
                Ok((state, row.try_get("n")?))
            })
            .collect()
    }

    /// When the longest-waiting order in `state` last changed, if any is in it.
    pub async fn oldest_order_update_in(
        &self,
        state: OrderState,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(update_time) FROM vxc_orders WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(self.pool())
                .await?;
        oldest.map(from_millis).transpose()
    }

    /// Every VXC uid some order has recorded: reconciliation never adopts one of these.
    pub async fn claimed_vxc_uids(&self) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query("SELECT vxc_uid FROM vxc_orders WHERE vxc_uid IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                row.try_get::<String, _>("vxc_uid")
                    .map_err(StoreError::from)
            })
            .collect()
    }

    /// Orders matching `filter`, newest first (create_time descending, then order_id), after
    /// `after`: a keyset page, which orders created meanwhile do not shift.
    pub async fn orders_page(
        &self,
        filter: &OrderFilter,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Order>, StoreError> {
        // The accounts go in as parameters after the seven fixed ones.
        let accounts = filter.accounts.as_deref().unwrap_or_default();
        let account_clause = match &filter.accounts {
            None => "1 = 1".to_owned(),
            Some(list) if list.is_empty() => "1 = 0".to_owned(),
            Some(list) => format!(
                "account IN ({})",
                (0..list.len())
                    .map(|index| format!("${}", 8 + index))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM vxc_orders \
             WHERE ($1 IS NULL OR state = $2) \
             AND ($3 IS NULL OR create_time < $4 OR (create_time = $5 AND order_id > $6)) \
             AND {account_clause} \
             ORDER BY create_time DESC, order_id LIMIT $7"
        )))
        .bind(filter.state.map(OrderState::as_str))
        .bind(filter.state.map(OrderState::as_str))
        .bind(after.map(|cursor| cursor.time_ms))
        .bind(after.map(|cursor| cursor.time_ms))
        .bind(after.map(|cursor| cursor.time_ms))
        .bind(after.map(|cursor| cursor.id.as_str()))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        for account in accounts {
            query = query.bind(account.as_str());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(order_from_row).collect()
    }
}

impl Store {
    pub async fn vxc_request(&self, request_id: &str) -> Result<Option<VxcRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT request_id, fingerprint, after_json FROM vxc_requests WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(VxcRequest {
                request_id: row.try_get("request_id")?,
                fingerprint: row.try_get("fingerprint")?,
                after: parse(&row, "after_json")?,
            })
        })
        .transpose()
    }

    /// False when the request_id is journaled already.
    pub async fn insert_vxc_request(&self, request: &VxcRequest) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO vxc_requests (request_id, fingerprint, vxc_uid, after_json, create_time) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&request.request_id)
        .bind(&request.fingerprint)
        .bind(&request.after.uid)
        .bind(json(&request.after)?)
        .bind(millis(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

fn optional_json<T: serde::Serialize>(value: &Option<T>) -> Result<Option<String>, StoreError> {
    value.as_ref().map(json).transpose()
}

fn parse<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|error| StoreError::Corrupt(format!("vxc_orders.{column}: {error}")))
}

fn order_from_row(row: &sqlx::any::AnyRow) -> Result<Order, StoreError> {
    let state: String = row.try_get("state")?;
    let spec: OrderSpec = parse(row, "spec_json")?;
    let a_end: PortRef = parse(row, "a_end_json")?;
    let b_end: PortRef = parse(row, "b_end_json")?;
    let price: Quote = parse(row, "price_json")?;
    Ok(Order {
        order_id: row.try_get("order_id")?,
        request_id: row.try_get("request_id")?,
        account: row.try_get("account")?,
        spec,
        state: OrderState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("vxc_orders.state `{state}`")))?,
        vxc_uid: row.try_get("vxc_uid")?,
        a_end,
        b_end,
        a_end_vlan: row.try_get("a_end_vlan")?,
        b_end_vlan: row.try_get("b_end_vlan")?,
        price,
        approver: row.try_get("approver")?,
        state_message: row.try_get("state_message")?,
        error_reason: ErrorReason::from_number(row.try_get("error_reason")?)
            .unwrap_or(ErrorReason::Unspecified),
        buy_attempts: row.try_get("buy_attempts")?,
        create_time: from_millis(row.try_get("create_time")?)?,
        update_time: from_millis(row.try_get("update_time")?)?,
        vxc: row
            .try_get::<Option<String>, _>("vxc_json")?
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|error| StoreError::Corrupt(format!("vxc_orders.vxc_json: {error}")))
            })
            .transpose()?,
    })
}

/// The `vxc_order.state_changed` event of an order moving `from` -> `to` (the update time,
/// in ms, is its revision: it grows with every change of the order).
fn state_changed(
    order_id: &str,
    from: &str,
    to: &str,
    vxc_uid: Option<&str>,
    time: OffsetDateTime,
) -> crate::webhooks::OutboxEvent {
    crate::webhooks::OutboxEvent::new(
        "vxc_order.state_changed",
        time,
        serde_json::json!({
            "order_id": order_id,
            "revision": millis(time),
            "from": from,
            "to": to,
            "vxc_uid": vxc_uid,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(request_id: &str) -> Order {
        let now = from_millis(millis(OffsetDateTime::now_utc())).expect("now");
        Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            request_id: request_id.to_owned(),
            account: "acme".into(),
            spec: OrderSpec {
                name: "v".into(),
                ..OrderSpec::default()
            },
            state: OrderState::Journaled,
            vxc_uid: None,
            a_end: PortRef::default(),
            b_end: PortRef::default(),
            a_end_vlan: 0,
            b_end_vlan: 0,
            price: Quote::default(),
            approver: "QuantumGPU".into(),
            state_message: String::new(),
            error_reason: ErrorReason::Unspecified,
            buy_attempts: 0,
            vxc: None,
            create_time: now,
            update_time: now,
        }
    }

    contract_test! {
        async fn pages_hold_still_while_orders_are_added(store: Store) {
            // A thousand orders, three to a millisecond, so the cursor's tie-break by id counts.
            let base = order("base").create_time;
            let mut existing = Vec::new();
            for n in 0..1_000_i64 {
                let mut placed = order(&format!("r{n}"));
                placed.create_time = base + time::Duration::milliseconds(n / 3);
                assert!(store.insert_order(&placed).await.expect("insert"));
                existing.push(placed.order_id);
            }
            let all = OrderFilter::default();
            let mut seen = Vec::new();
            let mut after: Option<Cursor> = None;
            for page_number in 0.. {
                let page = store.orders_page(&all, after.as_ref(), 50).await.expect("page");
                let Some(last) = page.last() else { break };
                after = Some(Cursor {
                    time_ms: millis(last.create_time),
                    id: last.order_id.clone(),
                });
                seen.extend(page.iter().map(|order| order.order_id.clone()));
                // Two hundred newer orders arrive between pages, at the front of the listing.
                for n in 0..10 {
                    if page_number < 20 {
                        let mut newer = order(&format!("new{page_number}-{n}"));
                        newer.create_time = base + time::Duration::seconds(10 + page_number);
                        assert!(store.insert_order(&newer).await.expect("insert newer"));
                    }
                }
            }
            existing.sort();
            let mut first_seen: Vec<String> =
                seen.iter().filter(|id| existing.contains(id)).cloned().collect();
            let listed = first_seen.len();
            first_seen.sort();
            first_seen.dedup();
            assert_eq!(first_seen.len(), listed, "no order twice");
            assert_eq!(first_seen, existing, "every order that existed, once");
        }
    }

    contract_test! {
        async fn one_row_per_request_id_and_one_claim_per_state(store: Store) {
            let first = order("r1");
            assert!(store.insert_order(&first).await.expect("insert"));
            assert!(!store.insert_order(&order("r1")).await.expect("dup"));
            assert_eq!(
                store.order_by_request_id("r1").await.expect("get"),
                Some(first.clone())
            );
            let now = OffsetDateTime::now_utc();
            assert!(
                store
                    .claim_for_submit(&first.order_id, OrderState::Journaled, now)
                    .await
                    .expect("claim")
            );
            assert!(
                !store
                    .claim_for_submit(&first.order_id, OrderState::Journaled, now)
                    .await
                    .expect("second claim"),
                "a second writer cannot claim the same row"
            );
            let stored = store
                .order(&first.order_id)
                .await
                .expect("get")
                .expect("row");
            assert_eq!(stored.state, OrderState::Submitting);
            assert_eq!(stored.buy_attempts, 1);

            let mut accepted = stored.clone();
            accepted.state = OrderState::Deployable;
            accepted.vxc_uid = Some("vxc-1".into());
            accepted.vxc = Some(onramp_core::orders::VxcSnapshot {
                status: onramp_core::onramps::ProvisioningStatus::Deployable,
                rate_limit_mbps: 100,
                term_months: 12,
                shutdown: false,
                pending_approval: true,
                pending_rate_limit_mbps: Some(500),
                pending_term_months: None,
            });
            assert!(
                !store
                    .update_order(&accepted, &[OrderState::Journaled])
                    .await
                    .expect("guarded"),
                "a stale writer changes nothing"
            );
            assert!(
                store
                    .update_order(&accepted, &[OrderState::Submitting])
                    .await
                    .expect("update")
            );
            let by_vxc = store.order_by_vxc_uid("vxc-1").await.expect("by vxc");
            assert_eq!(
                by_vxc.as_ref().map(|o| o.state),
                Some(OrderState::Deployable)
            );
            assert_eq!(
                by_vxc.and_then(|o| o.vxc),
                accepted.vxc,
                "the vxc is kept whole"
            );
            assert_eq!(
                store.claimed_vxc_uids().await.expect("claimed"),
                HashSet::from(["vxc-1".to_owned()])
            );
            let page = store
                .orders_page(
                    &OrderFilter {
                        accounts: Some(vec!["acme".into()]),
                        state: Some(OrderState::Deployable),
                    },
                    None,
                    10,
                )
                .await
                .expect("page");
            assert_eq!(page.len(), 1);
            let none = store
                .orders_page(
                    &OrderFilter {
                        accounts: Some(vec!["globex".into(), "initech".into()]),
                        state: None,
                    },
                    None,
                    10,
                )
                .await
                .expect("page");
            assert!(none.is_empty());
        }
    }

    /// Replicas are stores on one database: of many racing to claim one journaled order for
    /// its buy, exactly one wins.
    #[tokio::test]
    async fn of_replicas_racing_for_one_order_one_claims_it() {
        let url = crate::testing::TempPostgres::shared()
            .fresh_database()
            .await;
        let mut replicas = Vec::new();
        for _ in 0..3 {
            replicas.push(Store::connect_postgres(&url, 4).await.expect("replica"));
        }
        let journaled = order("race");
        assert!(replicas[0].insert_order(&journaled).await.expect("insert"));
        let claims = replicas.iter().cycle().take(12).map(|replica| {
            let (replica, order_id) = (replica.clone(), journaled.order_id.clone());
            tokio::spawn(async move {
                replica
                    .claim_for_submit(&order_id, OrderState::Journaled, OffsetDateTime::now_utc())
                    .await
                    .expect("claim")
            })
        });
        let mut won = 0;
        for claim in claims.collect::<Vec<_>>() {
            won += usize::from(claim.await.expect("task"));
        }
        assert_eq!(won, 1);
        for replica in &replicas {
            let stored = replica
                .order(&journaled.order_id)
                .await
                .expect("get")
                .expect("row");
            assert_eq!(
                (stored.state, stored.buy_attempts),
                (OrderState::Submitting, 1)
            );
        }
    }
}
