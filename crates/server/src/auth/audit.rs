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

use onramp_core::Error;
use onramp_core::error::FieldViolation;
pub use onramp_core::ports::AuditRecord;
use onramp_core::ports::AuditStore;

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
#[derive(Clone)]
pub struct AuditLog {
    store: Arc<dyn AuditStore>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    pub fn new(store: Arc<dyn AuditStore>) -> Self {
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
    ) -> Result<(), Error> {
        let fields = note.take();
        self.store
            .append_audit(&AuditRecord {
                audit_id: uuid::Uuid::new_v4().to_string(),
                time_ms: onramp_store::millis(time::OffsetDateTime::now_utc()),
                caller: caller.to_owned(),
                rpc: rpc.to_owned(),
                request_id: fields.request_id,
                resource: fields.resource,
                code,
                reason,
            })
            .await
    }

    /// Newest first, `page_size` at a time, after the cursor in `page_token`. A token that
    /// is malformed or from other filters is INVALID_ARGUMENT on `page_token`.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        page_size: usize,
        page_token: &str,
    ) -> Result<AuditPage, Error> {
        let before = decode_token(page_token, filter).map_err(|error| {
            Error::InvalidArgument(vec![FieldViolation::new("page_token", error.to_string())])
        })?;
        let mut rows = self
            .store
            .audit_page(
                before.unwrap_or(i64::MAX),
                &filter.caller,
                &filter.rpc,
                page_size.saturating_add(1),
            )
            .await?;
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next_page_token = match rows.last() {
            Some((last, _)) if more => encode_token(*last, filter),
            _ => String::new(),
        };
        Ok(AuditPage {
            records: rows.into_iter().map(|(_, record)| record).collect(),
            next_page_token,
        })
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
        let log = AuditLog::new(Arc::new(
            onramp_store::Store::in_memory().await.expect("store"),
        ));
        for index in 0..5 {
            let note = AuditNote::default();
            note.set_resource(format!("r{index}"));
            let caller = if index % 2 == 0 { "even" } else { "odd" };
            log.append(caller, "/onramp.v1.RegionService/CreateRegion", &note, 0, 0)
                .await
                .expect("append");
        }
        let all = AuditFilter::default();
        let first = log.list(&all, 2, "").await.expect("page");
        let resources: Vec<_> = first.records.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources, ["r4", "r3"]);
        let second = log
            .list(&all, 2, &first.next_page_token)
            .await
            .expect("page");
        let resources: Vec<_> = second.records.iter().map(|r| r.resource.as_str()).collect();
        assert_eq!(resources, ["r2", "r1"]);
        let third = log
            .list(&all, 2, &second.next_page_token)
            .await
            .expect("page");
        assert_eq!(third.records.len(), 1);
        assert!(third.next_page_token.is_empty());

        let even = AuditFilter {
            caller: "even".into(),
            ..AuditFilter::default()
        };
        let page = log.list(&even, 10, "").await.expect("page");
        assert_eq!(page.records.len(), 3);
        for (token, filter, problem) in [
            (
                first.next_page_token.as_str(),
                &even,
                PageTokenError::FilterMismatch,
            ),
            ("!!", &all, PageTokenError::Malformed),
        ] {
            let Err(Error::InvalidArgument(violations)) = log.list(filter, 10, token).await else {
                panic!("{token}: expected INVALID_ARGUMENT");
            };
            assert_eq!(violations[0].field, "page_token");
            assert_eq!(violations[0].description, problem.to_string());
        }
    }
}
