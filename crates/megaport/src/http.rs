//! Small helpers shared by the token manager and the client for turning HTTP failures into
//! [`MegaportError`]s without leaking bodies, URLs or credentials.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::error::{ErrorDetail, MegaportError};
use super::models::ErrorBody;
use super::retry::parse_retry_after;

/// Longest upstream message we pass on.
const MAX_MESSAGE: usize = 300;

/// Keeps Megaport's message readable and bounded: no control characters, at most 300 chars.
pub(crate) fn sanitize(message: &str) -> String {
    let cleaned: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    match trimmed.char_indices().nth(MAX_MESSAGE) {
        Some((idx, _)) => format!("{}…", &trimmed[..idx]),
        None => trimmed.to_owned(),
    }
}

/// Reads a non-2xx response: Megaport's `message` (or the OAuth `error` code), the trace id from
/// the body or the `Trace-Id` header, and `Retry-After`. A body that is not Megaport's JSON is
/// dropped, never echoed.
pub(crate) async fn read_error_response(
    resp: reqwest::Response,
) -> (ErrorDetail, Option<Duration>) {
    let status = resp.status();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let header_trace = header("trace-id");
    let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now()));
    let body = resp.bytes().await.ok();
    let parsed: ErrorBody = body
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let message = parsed
        .message
        .or(parsed.error)
        .map(|m| sanitize(&m))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            format!(
                "megaport answered {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned()
        });
    let trace_id = parsed
        .trace_id
        .filter(|t| !t.is_empty())
        .or(header_trace)
        .map(|t| sanitize(&t));
    (
        ErrorDetail::new(message).with_trace_id(trace_id),
        retry_after,
    )
}

/// A transport failure with no response. reqwest's own Display includes the URL (which can carry
/// a service key), so only the kind of failure is described.
pub(crate) fn transport_error(e: &reqwest::Error, deadline: Instant, what: &str) -> MegaportError {
    if e.is_timeout() || Instant::now() >= deadline {
        MegaportError::Timeout(ErrorDetail::new(format!(
            "{what} did not answer before the deadline"
        )))
    } else if e.is_connect() {
        MegaportError::Unavailable(ErrorDetail::new(format!("could not connect to {what}")))
    } else {
        MegaportError::Unavailable(ErrorDetail::new(format!(
            "connection to {what} failed before a response"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_bounds_and_cleans() {
        assert_eq!(sanitize(" a\nb\t "), "a b");
        let long = "x".repeat(1000);
        let s = sanitize(&long);
        assert!(s.chars().count() <= MAX_MESSAGE + 1);
    }
}
