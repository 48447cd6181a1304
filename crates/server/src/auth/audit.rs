//! The audit log of mutating calls, appended to the store by the auth layer once a call has
//! ended (whatever its outcome) and read back through `AdminService.ListAuditRecords`.
//!
//! The layer knows the caller, the RPC and the outcome. What the call acted on is only known to
//! the handler after decoding, so the layer puts an [`AuditNote`] in the request extensions and
//! handlers fill in `request_id` and `resource` with it.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use onramp_store::Store;

/// What a handler adds to its call's audit record. Cheap to clone; all clones share one note.
#[derive(Debug, Clone, Default)]
pub struct AuditNote(Arc<Mutex<NoteFields>>);

#[derive(Debug, Clone, Default)]
struct NoteFields {
    request_id: String,
    resource: String,
}

impl AuditNote {
    /// Records the call's `request_id` (create calls).
    pub fn set_request_id(&self, request_id: impl Into<String>) {
        self.with(|fields| fields.request_id = request_id.into());
    }

    /// Records what the call acted on: a region name, port uid, key, order id or VXC uid.
    pub fn set_resource(&self, resource: impl Into<String>) {
        self.with(|fields| fields.resource = resource.into());
    }

    /// Sets both from a handler's `tonic::Request`, if the call is audited.
    pub fn from_request<T>(request: &tonic::Request<T>) -> Option<Self> {
        request.extensions().get::<AuditNote>().cloned()
    }

    fn with(&self, change: impl FnOnce(&mut NoteFields)) {
        let mut fields = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut fields);
    }

    fn take(&self) -> NoteFields {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// One audit record as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub audit_id: String,
    pub time_ms: i64,
    pub caller: String,
    pub rpc: String,
    pub request_id: String,
    pub resource: String,
    pub code: i32,
    pub reason: i32,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    #[sqlx(flatten)]
    record: AuditRecord,
}

/// A page of records and the cursor of the next one.
#[derive(Debug)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_page_token: String,
}

/// Filters of `ListAuditRecords`; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub caller: String,
    pub rpc: String,
}

/// Why a page token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageTokenError {
    #[error("page_token is malformed")]
    Malformed,
    #[error("page_token was issued for different filters")]
    FilterMismatch,
}

/// The audit table.
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: Store,
}

impl AuditLog {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Appends the record of a finished call.
    pub async fn append(
        &self,
        caller: &str,
        rpc: &str,
        note: &AuditNote,
        code: i32,
        reason: i32,
    ) -> Result<(), sqlx::Error> {
        let fields = note.take();
        let time_ms = onramp_store::millis(time::OffsetDateTime::now_utc());
        sqlx::query(
            "INSERT INTO audit_records \
             (audit_id, time_ms, caller, rpc, request_id, resource, code, reason) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(time_ms)
        .bind(caller)
        .bind(rpc)
        .bind(fields.request_id)
        .bind(fields.resource)
        .bind(code)
        .bind(reason)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Newest first, `page_size` at a time, after the cursor in `page_token`.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        page_size: usize,
        page_token: &str,
    ) -> Result<Result<AuditPage, PageTokenError>, sqlx::Error> {
        let before = match decode_token(page_token, filter) {
            Ok(before) => before,
            Err(error) => return Ok(Err(error)),
        };
        let limit = i64::try_from(page_size)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, audit_id, time_ms, caller, rpc, request_id, resource, code, reason \
                 FROM audit_records \
                 WHERE seq < ? AND (? = '' OR caller = ?) AND (? = '' OR rpc = ?) \
                 ORDER BY seq DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(&filter.caller)
        .bind(&filter.caller)
        .bind(&filter.rpc)
        .bind(&filter.rpc)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        let more = rows.len() > page_size;
        let mut rows = rows;
        rows.truncate(page_size);
        let next_page_token = match rows.last() {
            Some(last) if more => encode_token(last.seq, filter),
            _ => String::new(),
        };
        let records = rows.into_iter().map(|row| row.record).collect();
        Ok(Ok(AuditPage {
            records,
            next_page_token,
        }))
    }
}

/// Ties a token to its filters, so reusing it with others is refused rather than skipping rows.
fn filter_tag(filter: &AuditFilter) -> String {
    let digest = Sha256::new()
        .chain_update(filter.caller.as_bytes())
        .chain_update([0])
        .chain_update(filter.rpc.as_bytes())
        .finalize();
    onramp_core::digest::hex(&digest[..6])
}

fn encode_token(seq: i64, filter: &AuditFilter) -> String {
    URL_SAFE_NO_PAD.encode(format!("a1:{seq}:{}", filter_tag(filter)))
}

fn decode_token(token: &str, filter: &AuditFilter) -> Result<Option<i64>, PageTokenError> {
    if token.is_empty() {
        return Ok(None);
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| PageTokenError::Malformed)?;
    let raw = String::from_utf8(raw).map_err(|_| PageTokenError::Malformed)?;
    let mut parts = raw.split(':');
    let (Some("a1"), Some(seq), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PageTokenError::Malformed);
    };
    let seq: i64 = seq.parse().map_err(|_| PageTokenError::Malformed)?;
    if tag != filter_tag(filter) {
        return Err(PageTokenError::FilterMismatch);
    }
    Ok(Some(seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_newest_first_with_filters_and_checked_tokens() {
        let log = AuditLog::new(Store::in_memory().await.expect("store"));
        for index in 0..5 {
            let note = AuditNote::default();
            note.set_resource(format!("r{index}"));
            let caller = if index % 2 == 0 { "even" } else { "odd" };
            log.append(caller, "/onramp.v1.RegionService/CreateRegion", &note, 0, 0)
                .await
                .expect("append");
        }
        let all = AuditFilter::default();
        let first = log.list(&all, 2, "").await.expect("db").expect("page");
        let resources: Vec<_> = first.records.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources, ["r4", "r3"]);
        let second = log
            .list(&all, 2, &first.next_page_token)
            .await
            .expect("db")
            .expect("page");
        let resources: Vec<_> = second.records.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources, ["r2", "r1"]);
        let third = log
            .list(&all, 2, &second.next_page_token)
            .await
            .expect("db")
            .expect("page");
        assert_eq!(third.records.len(), 1);
        assert!(third.next_page_token.is_empty());

        let even = AuditFilter {
            caller: "even".into(),
            ..AuditFilter::default()
        };
        let page = log.list(&even, 10, "").await.expect("db").expect("page");
        assert_eq!(page.records.len(), 3);
        assert_eq!(
            log.list(&even, 10, &first.next_page_token)
                .await
                .expect("db")
                .expect_err("other filters"),
            PageTokenError::FilterMismatch
        );
        assert_eq!(
            log.list(&all, 10, "!!")
                .await
                .expect("db")
                .expect_err("bad"),
            PageTokenError::Malformed
        );
    }
}
