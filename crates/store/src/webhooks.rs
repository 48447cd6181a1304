//! Outbound webhooks: endpoints, the outbox of events, and their deliveries (migration
//! 0018_webhooks.sql says why the tables are shaped so). Events enter the outbox inside the
//! transaction of the change that causes them ([`enqueue_in`]); deliveries are claimed with a
//! lease on the database's clock, so replicas never send one at the same time.

use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Backend, Store, StoreError};

/// An endpoint as stored (the secret as text: the sender needs it to sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEndpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    /// Empty = every type.
    pub event_types: Vec<String>,
    pub secret: String,
    pub disabled: bool,
    pub disabled_reason: String,
    pub create_time_ms: i64,
    /// Until when (unix ms, the database's clock) the secret a rotation replaced still signs;
    /// 0 when none does.
    pub previous_until_ms: i64,
}

/// An event for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub id: String,
    pub event_type: String,
    pub occur_ms: i64,
    /// The JSON body every delivery sends.
    pub payload: String,
}

impl OutboxEvent {
    /// An event with a new id (`msg_` and 32 hex digits: no `.`, as the spec asks) and the thin
    /// Standard Webhooks body `{type, timestamp, data}`: data names the resource, its revision and
    /// customer_ref and little else; the receiver looks the rest up with its own credentials.
    pub fn new(event_type: &str, time: OffsetDateTime, data: serde_json::Value) -> Self {
        let payload = serde_json::json!({
            "type": event_type,
            "timestamp": time.format(&Rfc3339).unwrap_or_default(),
            "data": data,
        });
        Self {
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            event_type: event_type.to_owned(),
            occur_ms: super::millis(time),
            payload: payload.to_string(),
        }
    }
}

/// A delivery claimed for sending, with what sending needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub attempts: i64,
    pub payload: String,
    pub url: String,
    pub secret: String,
    /// The secret a rotation replaced, while its overlap lasts; empty otherwise.
    pub previous_secret: String,
}

/// A delivery as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub last_http_status: i64,
    pub last_error: String,
    pub occur_ms: i64,
    pub next_attempt_ms: i64,
    pub payload: String,
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Try again this many ms from now (the database's now).
    RetryIn(i64),
    /// The schedule is spent, or the endpoint is gone.
    Failed,
    /// The endpoint answered 410: the delivery fails and the endpoint is disabled.
    Gone,
}

/// The deliveries by status, and how late the most overdue pending one is: what the metrics
/// show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookQueue {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
    /// How long ago the most overdue pending delivery to an enabled endpoint came due (database
    /// clock); 0 when none is due. Dispatchers that keep up hold it near 0.
    pub overdue_ms: i64,
    /// How long ago the oldest pending delivery's event occurred; 0 when none is pending. An
    /// endpoint that keeps failing makes it grow while its retries wait.
    pub oldest_pending_ms: i64,
}

/// The filters of a delivery listing.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub id: Option<String>,
    pub endpoint_id: Option<String>,
    pub status: Option<String>,
    pub event_type: Option<String>,
    pub since_ms: Option<i64>,
    /// Where the previous page ended (newest first, then by id): only what sorts after it.
    pub after: Option<onramp_core::cursor::Cursor>,
    pub limit: i64,
}

/// " a b " for types a and b; " " for every type.
fn types_column(types: &[String]) -> String {
    if types.is_empty() {
        " ".to_owned()
    } else {
        format!(" {} ", types.join(" "))
    }
}

fn endpoint_from_row(row: &sqlx::any::AnyRow) -> Result<StoredEndpoint, StoreError> {
    let types: String = row.try_get("event_types")?;
    Ok(StoredEndpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: types.split_whitespace().map(str::to_owned).collect(),
        secret: row.try_get("secret")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        disabled_reason: row.try_get("disabled_reason")?,
        create_time_ms: row.try_get("create_time")?,
        previous_until_ms: row.try_get("previous_until_ms")?,
    })
}

const ENDPOINT_COLUMNS: &str = "id, url, description, event_types, secret, disabled, \
     disabled_reason, create_time, previous_until_ms";

/// Adds `events` to the outbox in `transaction`, each with a delivery to every enabled endpoint
/// that wants its type.
pub(crate) async fn enqueue_in(
    transaction: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    for event in events {
        // Only an event some endpoint wants is kept: with no endpoints the outbox stays empty.
        sqlx::query(
            "INSERT INTO webhook_events (id, type, occur_ms, payload) SELECT $1, $2, $3, $4 \
             WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE disabled = 0 \
             AND (event_types = ' ' OR event_types LIKE $5)) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(event.occur_ms)
        .bind(&event.payload)
        .bind(format!("% {} %", event.event_type))
        .execute(&mut **transaction)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, next_attempt_ms, \
             occur_ms) SELECT $1 || '.' || id, $1, id, 'pending', {now}, $2 FROM webhook_endpoints \
             WHERE disabled = 0 AND (event_types = ' ' OR event_types LIKE $3) \
             ON CONFLICT (event_id, endpoint_id) DO NOTHING",
            now = backend.now_ms_sql()
        )))
        .bind(&event.id)
        .bind(event.occur_ms)
        .bind(format!("% {} %", event.event_type))
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Inserts an endpoint, unless `request_id` made one already: then that one.
    /// Returns the stored endpoint with the request hash it was created with.
    pub async fn insert_webhook_endpoint(
        &self,
        endpoint: &StoredEndpoint,
        request_id: &str,
        request_hash: &str,
    ) -> Result<(StoredEndpoint, String), StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}, request_id, request_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) ON CONFLICT (request_id) DO NOTHING"
        )))
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(types_column(&endpoint.event_types))
        .bind(&endpoint.secret)
        .bind(i64::from(endpoint.disabled))
        .bind(&endpoint.disabled_reason)
        .bind(endpoint.create_time_ms)
        .bind(request_id)
        .bind(request_hash)
        .execute(&mut *transaction)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS}, request_hash FROM webhook_endpoints WHERE request_id = $1"
        )))
        .bind(request_id)
        .fetch_one(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok((endpoint_from_row(&row)?, row.try_get("request_hash")?))
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<StoredEndpoint>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(endpoint_from_row).transpose()
    }

    /// Every endpoint, oldest first (an operator has a handful).
    pub async fn webhook_endpoints(&self) -> Result<Vec<StoredEndpoint>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY create_time, id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Writes an endpoint's changeable fields (url, description, event types, disabled and
    /// why); `None` when there is no such endpoint.
    pub async fn update_webhook_endpoint(
        &self,
        endpoint: &StoredEndpoint,
    ) -> Result<Option<StoredEndpoint>, StoreError> {
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, \
             disabled = $5, disabled_reason = $6 WHERE id = $1",
        )
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(types_column(&endpoint.event_types))
        .bind(i64::from(endpoint.disabled))
        .bind(&endpoint.disabled_reason)
        .execute(self.pool())
        .await?;
        self.webhook_endpoint(&endpoint.id).await
    }

    /// Replaces an endpoint's secret; the old one keeps signing beside it for `overlap_ms` (on
    /// the database's clock). `None` when there is no such endpoint.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &str,
        overlap_ms: i64,
    ) -> Result<Option<StoredEndpoint>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_endpoints SET previous_secret = secret, \
             previous_until_ms = CASE WHEN $3 > 0 THEN {now} + $3 ELSE 0 END, secret = $2 \
             WHERE id = $1",
            now = self.backend.now_ms_sql()
        )))
        .bind(id)
        .bind(secret)
        .bind(overlap_ms)
        .execute(self.pool())
        .await?;
        self.webhook_endpoint(id).await
    }

    /// Deletes an endpoint and its deliveries; false when there was none.
    pub async fn delete_webhook_endpoint(&self, id: &str) -> Result<bool, StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// Adds events to the outbox on their own (an event whose cause is not a store write, such
    /// as a test event).
    pub async fn enqueue_webhook_events(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        let mut transaction = self.write_transaction().await?;
        enqueue_in(&mut transaction, self.backend, events).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Adds one event for one endpoint only (SendTestWebhook); returns the delivery's id.
    pub async fn enqueue_webhook_event_for(
        &self,
        event: &OutboxEvent,
        endpoint_id: &str,
    ) -> Result<String, StoreError> {
        let mut transaction = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO webhook_events (id, type, occur_ms, payload) VALUES ($1, $2, $3, $4)",
        )
        .bind(&event.id)
        .bind(&event.event_type)
        .bind(event.occur_ms)
        .bind(&event.payload)
        .execute(&mut *transaction)
        .await?;
        let id = format!("{}.{endpoint_id}", event.id);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, next_attempt_ms, \
             occur_ms) VALUES ($1, $2, $3, 'pending', {now}, $4)",
            now = self.backend.now_ms_sql()
        )))
        .bind(&id)
        .bind(&event.id)
        .bind(endpoint_id)
        .bind(event.occur_ms)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due deliveries to enabled endpoints for `lease_ms` (on the
    /// database's clock): no other claim returns them until the lease ends, so a replica that
    /// dies mid-send leaves them to the others after it. Deliveries to a disabled endpoint wait
    /// until it is enabled again.
    pub async fn claim_webhook_deliveries(
        &self,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = self.backend.now_ms_sql();
        let skip_locked = match self.backend {
            Backend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            // One writer at a time: the write transaction is the lock.
            Backend::Sqlite => "",
        };
        let mut transaction = self.write_transaction().await?;
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id \
             WHERE d.status = 'pending' AND p.disabled = 0 AND d.next_attempt_ms <= {now} \
             AND d.lease_until_ms <= {now} ORDER BY d.next_attempt_ms, d.id LIMIT $1{skip_locked}"
        )))
        .bind(limit)
        .fetch_all(&mut *transaction)
        .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE webhook_deliveries SET lease_until_ms = {now} + $1 WHERE id = $2"
            )))
            .bind(lease_ms)
            .bind(&id)
            .execute(&mut *transaction)
            .await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT d.id, d.endpoint_id, d.event_id, d.attempts, e.payload, p.url, p.secret, \
                 CASE WHEN p.previous_until_ms > {now} THEN p.previous_secret ELSE '' END \
                 AS previous_secret \
                 FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
                 JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE d.id = $1"
            )))
            .bind(&id)
            .fetch_one(&mut *transaction)
            .await?;
            claimed.push(ClaimedDelivery {
                id: row.try_get("id")?,
                endpoint_id: row.try_get("endpoint_id")?,
                event_id: row.try_get("event_id")?,
                attempts: row.try_get("attempts")?,
                payload: row.try_get("payload")?,
                url: row.try_get("url")?,
                secret: row.try_get("secret")?,
                previous_secret: row.try_get("previous_secret")?,
            });
        }
        transaction.commit().await?;
        Ok(claimed)
    }

    /// Records one attempt of a claimed delivery and releases its lease. A failed attempt
    /// (an answer other than 2xx, or none) to an endpoint whose every attempt has failed for
    /// `disable_after_ms` disables it, and queues `disabled_event` (made with the reason) for
    /// the other endpoints: then the reason. A 410 disables it at once.
    pub async fn record_webhook_attempt(
        &self,
        id: &str,
        outcome: &AttemptOutcome,
        http_status: Option<u16>,
        error: &str,
        disable_after_ms: i64,
        disabled_event: impl FnOnce(&str, &str) -> OutboxEvent,
    ) -> Result<Option<String>, StoreError> {
        let now = self.backend.now_ms_sql();
        let (status, next) = match outcome {
            AttemptOutcome::Delivered => ("delivered", "next_attempt_ms".to_owned()),
            AttemptOutcome::RetryIn(ms) => ("pending", format!("{now} + {ms}")),
            AttemptOutcome::Failed | AttemptOutcome::Gone => {
                ("failed", "next_attempt_ms".to_owned())
            }
        };
        let mut transaction = self.write_transaction().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
             next_attempt_ms = {next}, lease_until_ms = 0, last_http_status = $2, last_error = $3 \
             WHERE id = $4"
        )))
        .bind(status)
        .bind(i64::from(http_status.unwrap_or(0)))
        .bind(error)
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        let endpoint_id: Option<String> =
            sqlx::query_scalar("SELECT endpoint_id FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await?;
        let Some(endpoint_id) = endpoint_id else {
            // Deleted with its endpoint meanwhile.
            transaction.commit().await?;
            return Ok(None);
        };
        let reason = match outcome {
            AttemptOutcome::Delivered => {
                sqlx::query("UPDATE webhook_endpoints SET failing_since_ms = 0 WHERE id = $1")
                    .bind(&endpoint_id)
                    .execute(&mut *transaction)
                    .await?;
                None
            }
            AttemptOutcome::Gone => Some("the endpoint answered 410 gone".to_owned()),
            AttemptOutcome::RetryIn(_) | AttemptOutcome::Failed => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE webhook_endpoints SET failing_since_ms = \
                     CASE WHEN failing_since_ms = 0 THEN {now} ELSE failing_since_ms END \
                     WHERE id = $1"
                )))
                .bind(&endpoint_id)
                .execute(&mut *transaction)
                .await?;
                let failing_for_ms: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT {now} - failing_since_ms FROM webhook_endpoints WHERE id = $1"
                )))
                .bind(&endpoint_id)
                .fetch_one(&mut *transaction)
                .await?;
                (failing_for_ms >= disable_after_ms).then(|| {
                    format!(
                        "every attempt failed for {} s (webhooks.disable_after_seconds); the last: {error}",
                        failing_for_ms / 1_000
                    )
                })
            }
        };
        let mut disabled = None;
        if let Some(reason) = reason {
            let changed = sqlx::query(
                "UPDATE webhook_endpoints SET disabled = 1, disabled_reason = $2 \
                 WHERE id = $1 AND disabled = 0",
            )
            .bind(&endpoint_id)
            .bind(&reason)
            .execute(&mut *transaction)
            .await?;
            if changed.rows_affected() == 1 {
                // The endpoint is disabled now, so the event goes to the others only.
                enqueue_in(
                    &mut transaction,
                    self.backend,
                    &[disabled_event(&endpoint_id, &reason)],
                )
                .await?;
                disabled = Some(reason);
            }
        }
        transaction.commit().await?;
        Ok(disabled)
    }

    /// Queues a delivery again now, with a fresh schedule (its attempts count from zero);
    /// false when there is no such delivery.
    pub async fn requeue_webhook_delivery(&self, id: &str) -> Result<bool, StoreError> {
        let requeued = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, \
             next_attempt_ms = {now}, lease_until_ms = 0 WHERE id = $1",
            now = self.backend.now_ms_sql()
        )))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(requeued.rows_affected() == 1)
    }

    /// Queues again every failed delivery to `endpoint_id` whose event occurred in
    /// [`since_ms`, `until_ms`); how many.
    pub async fn requeue_failed_webhook_deliveries(
        &self,
        endpoint_id: &str,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<u64, StoreError> {
        let requeued = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, \
             next_attempt_ms = {now}, lease_until_ms = 0 \
             WHERE endpoint_id = $1 AND status = 'failed' AND occur_ms >= $2 AND occur_ms < $3",
            now = self.backend.now_ms_sql()
        )))
        .bind(endpoint_id)
        .bind(since_ms)
        .bind(until_ms)
        .execute(self.pool())
        .await?;
        Ok(requeued.rows_affected())
    }

    /// The queue's size by status and its most overdue delivery.
    pub async fn webhook_queue(&self) -> Result<WebhookQueue, StoreError> {
        let mut queue = WebhookQueue::default();
        let counts =
            sqlx::query("SELECT status, COUNT(*) AS count FROM webhook_deliveries GROUP BY status")
                .fetch_all(self.pool())
                .await?;
        for row in counts {
            let count: i64 = row.try_get("count")?;
            match row.try_get::<String, _>("status")?.as_str() {
                "pending" => queue.pending = count,
                "delivered" => queue.delivered = count,
                _ => queue.failed += count,
            }
        }
        let now = self.backend.now_ms_sql();
        queue.overdue_ms = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COALESCE({now} - MIN(d.next_attempt_ms), 0) FROM webhook_deliveries d \
             JOIN webhook_endpoints p ON p.id = d.endpoint_id \
             WHERE d.status = 'pending' AND p.disabled = 0 AND d.next_attempt_ms <= {now}"
        )))
        .fetch_one(self.pool())
        .await?;
        queue.oldest_pending_ms = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COALESCE({now} - MIN(occur_ms), 0) FROM webhook_deliveries \
             WHERE status = 'pending'"
        )))
        .fetch_one(self.pool())
        .await?;
        Ok(queue)
    }

    /// Deliveries matching `filter`, newest first.
    pub async fn webhook_deliveries(
        &self,
        filter: &DeliveryFilter,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        let (after_ms, after_id) = filter
            .after
            .as_ref()
            .map_or((i64::MAX, String::new()), |cursor| {
                (cursor.time_ms, cursor.id.clone())
            });
        let rows = sqlx::query(
            "SELECT d.id, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, \
             d.last_http_status, d.last_error, d.occur_ms, d.next_attempt_ms, e.payload \
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE ($1 = '' OR d.endpoint_id = $1) AND ($2 = '' OR d.status = $2) \
             AND ($3 = '' OR e.type = $3) AND d.occur_ms >= $4 \
             AND (d.occur_ms < $5 OR (d.occur_ms = $5 AND d.id > $6)) AND ($8 = '' OR d.id = $8) \
             ORDER BY d.occur_ms DESC, d.id LIMIT $7",
        )
        .bind(filter.endpoint_id.clone().unwrap_or_default())
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.event_type.clone().unwrap_or_default())
        .bind(filter.since_ms.unwrap_or(i64::MIN))
        .bind(after_ms)
        .bind(after_id)
        .bind(filter.limit)
        .bind(filter.id.clone().unwrap_or_default())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredDelivery {
                    id: row.try_get("id")?,
                    endpoint_id: row.try_get("endpoint_id")?,
                    event_id: row.try_get("event_id")?,
                    event_type: row.try_get("type")?,
                    status: row.try_get("status")?,
                    attempts: row.try_get("attempts")?,
                    last_http_status: row.try_get("last_http_status")?,
                    last_error: row.try_get("last_error")?,
                    occur_ms: row.try_get("occur_ms")?,
                    next_attempt_ms: row.try_get("next_attempt_ms")?,
                    payload: row.try_get("payload")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: &str, types: &[&str]) -> StoredEndpoint {
        StoredEndpoint {
            id: id.into(),
            url: format!("https://example.com/{id}"),
            description: String::new(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            secret: "whsec_x".into(),
            disabled: false,
            disabled_reason: String::new(),
            create_time_ms: 1,
            previous_until_ms: 0,
        }
    }

    fn disabled_event(endpoint_id: &str, reason: &str) -> OutboxEvent {
        OutboxEvent::new(
            "webhook_endpoint.disabled",
            time::OffsetDateTime::now_utc(),
            serde_json::json!({ "endpoint_id": endpoint_id, "reason": reason }),
        )
    }

    fn event(id: &str, event_type: &str) -> OutboxEvent {
        OutboxEvent {
            id: id.into(),
            event_type: event_type.into(),
            occur_ms: 10,
            payload: format!("{{\"type\":\"{event_type}\"}}"),
        }
    }

    contract_test! {
        async fn events_fan_out_to_the_endpoints_that_want_them_and_leases_keep_claims_apart(store: Store) {
            assert!(store.enqueue_webhook_events(&[event("evt_0", "service_key.used")]).await.is_ok());
            assert!(store.claim_webhook_deliveries(60_000, 10).await.expect("claim").is_empty(), "nobody listens");

            let (all, _) = store.insert_webhook_endpoint(&endpoint("ep_all", &[]), "r1", "h1").await.expect("insert");
            assert_eq!(all.event_types, Vec::<String>::new());
            let (replay, hash) = store.insert_webhook_endpoint(&endpoint("ep_other", &[]), "r1", "h9").await.expect("replay");
            assert_eq!((replay.id.as_str(), hash.as_str()), ("ep_all", "h1"), "the request id's endpoint");
            store.insert_webhook_endpoint(&endpoint("ep_used", &["service_key.used"]), "r2", "h2").await.expect("insert");

            store
                .enqueue_webhook_events(&[event("evt_1", "service_key.used"), event("evt_2", "service_key.created")])
                .await
                .expect("enqueue");
            let claimed = store.claim_webhook_deliveries(60_000, 10).await.expect("claim");
            let mut ids: Vec<_> = claimed.iter().map(|d| d.id.as_str()).collect();
            ids.sort_unstable();
            assert_eq!(ids, ["evt_1.ep_all", "evt_1.ep_used", "evt_2.ep_all"]);
            assert!(store.claim_webhook_deliveries(60_000, 10).await.expect("claim").is_empty(), "leased");

            // A failed attempt comes back when due; a delivered one never.
            store.record_webhook_attempt("evt_1.ep_all", &AttemptOutcome::RetryIn(0), Some(503), "the endpoint answered 503", i64::MAX, disabled_event).await.expect("record");
            store.record_webhook_attempt("evt_1.ep_used", &AttemptOutcome::Delivered, Some(200), "", i64::MAX, disabled_event).await.expect("record");
            store.record_webhook_attempt("evt_2.ep_all", &AttemptOutcome::Failed, Some(500), "spent", i64::MAX, disabled_event).await.expect("record");
            let again = store.claim_webhook_deliveries(60_000, 10).await.expect("claim");
            assert_eq!(again.len(), 1);
            assert_eq!((again[0].id.as_str(), again[0].attempts), ("evt_1.ep_all", 1));

            // 410: the delivery fails, the endpoint is disabled, and nothing more is sent to it.
            store.record_webhook_attempt("evt_1.ep_all", &AttemptOutcome::Gone, Some(410), "gone", i64::MAX, disabled_event).await.expect("record");
            assert!(store.webhook_endpoint("ep_all").await.expect("get").expect("endpoint").disabled);
            store.enqueue_webhook_events(&[event("evt_3", "service_key.created")]).await.expect("enqueue");
            assert!(store.claim_webhook_deliveries(60_000, 10).await.expect("claim").is_empty());

            let failed = store
                .webhook_deliveries(&DeliveryFilter { status: Some("failed".into()), limit: 10, ..DeliveryFilter::default() })
                .await
                .expect("list");
            assert_eq!(failed.len(), 2);
            assert_eq!((failed[0].last_http_status, failed[0].event_type.as_str()), (410, "service_key.used"));
            assert_eq!((failed[1].last_http_status, failed[1].event_type.as_str()), (500, "service_key.created"));

            // A rotation: both secrets sign during the overlap, the new one alone without.
            let rotated = store.rotate_webhook_secret("ep_used", "whsec_new", 60_000).await.expect("rotate").expect("endpoint");
            assert_eq!(rotated.secret, "whsec_new");
            assert!(rotated.previous_until_ms > 0);
            store.enqueue_webhook_events(&[event("evt_4", "service_key.used")]).await.expect("enqueue");
            let claimed = store.claim_webhook_deliveries(60_000, 10).await.expect("claim");
            let to_used = claimed.iter().find(|d| d.id == "evt_4.ep_used").expect("claimed");
            assert_eq!((to_used.secret.as_str(), to_used.previous_secret.as_str()), ("whsec_new", "whsec_x"));
            store.rotate_webhook_secret("ep_used", "whsec_newer", 0).await.expect("rotate");
            store.record_webhook_attempt("evt_4.ep_used", &AttemptOutcome::RetryIn(0), None, "x", i64::MAX, disabled_event).await.expect("record");
            let claimed = store.claim_webhook_deliveries(60_000, 10).await.expect("claim");
            let to_used = claimed.iter().find(|d| d.id == "evt_4.ep_used").expect("claimed");
            assert_eq!((to_used.secret.as_str(), to_used.previous_secret.as_str()), ("whsec_newer", ""));

            // Sent again by hand: one delivery, or every failed one of a time range.
            assert!(store.requeue_webhook_delivery("evt_2.ep_all").await.expect("requeue"));
            assert!(!store.requeue_webhook_delivery("nothing").await.expect("requeue"));
            let one = store
                .webhook_deliveries(&DeliveryFilter { id: Some("evt_2.ep_all".into()), limit: 10, ..DeliveryFilter::default() })
                .await
                .expect("get");
            assert_eq!((one[0].status.as_str(), one[0].attempts), ("pending", 0));
            assert_eq!(store.requeue_failed_webhook_deliveries("ep_all", 0, 10).await.expect("recover"), 0, "until is exclusive");
            assert_eq!(store.requeue_failed_webhook_deliveries("ep_all", 10, 11).await.expect("recover"), 1);

            // Failing for the whole window (0 here): disabled, and the reason says why.
            let disabled = store.record_webhook_attempt("evt_4.ep_used", &AttemptOutcome::RetryIn(0), Some(500), "the endpoint answered 500", 0, disabled_event).await.expect("record");
            assert!(disabled.is_some_and(|reason| reason.starts_with("every attempt failed for 0 s")));
            assert!(store.webhook_endpoint("ep_used").await.expect("get").expect("endpoint").disabled);

            let queue = store.webhook_queue().await.expect("queue");
            assert_eq!((queue.pending, queue.delivered, queue.failed), (3, 1, 0));

            assert!(store.delete_webhook_endpoint("ep_used").await.expect("delete"));
            assert!(!store.delete_webhook_endpoint("ep_used").await.expect("delete"));
            let left = store.webhook_deliveries(&DeliveryFilter { limit: 10, ..DeliveryFilter::default() }).await.expect("list");
            assert!(left.iter().all(|d| d.endpoint_id == "ep_all"));

            // Retention: ended deliveries past the horizon go, then events nothing refers to;
            // pending ones stay however old.
            store.record_webhook_attempt("evt_2.ep_all", &AttemptOutcome::Delivered, Some(200), "", i64::MAX, disabled_event).await.expect("record");
            let pruned = store.prune(crate::retention::Prunable::WebhookDeliveries, 0, 100).await.expect("prune");
            assert_eq!(pruned.deleted, 3, "evt_2's delivery, then evt_2 and evt_4 (its endpoint is gone)");

            let left = store.webhook_deliveries(&DeliveryFilter { limit: 10, ..DeliveryFilter::default() }).await.expect("list");
            assert_eq!(left.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["evt_1.ep_all"]);
        }
    }
}
