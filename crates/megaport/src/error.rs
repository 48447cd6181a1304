//! The errors of the Megaport client, small enough for one exhaustive mapping to gRPC codes.
//!
//! Every variant carries Megaport's own `message` (never a raw body, never a token or secret) and
//! the `trace_id` Megaport support asks for.

use std::fmt;
use std::time::Duration;

/// What Megaport said, trimmed to what is safe to show a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Megaport's `message`, or a short description written by this client.
    pub message: String,
    /// From the body's `trace_id` or the `Trace-Id` response header.
    pub trace_id: Option<String>,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The account (`ClientConfig::account`) whose credentials Megaport refused, on
    /// `Unauthorized`; `None` otherwise or when the client was given no name.
    pub account: Option<String>,
}

impl ErrorDetail {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            trace_id: None,
            status: None,
            account: None,
        }
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.trace_id = trace_id;
        self
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(status) = self.status {
            write!(f, " (http {status})")?;
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " [trace id {trace}]")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MegaportError {
    /// 404, or Megaport's 400 "Could not find a service with UID ...".
    #[error("megaport: not found: {0}")]
    NotFound(ErrorDetail),
    /// 400 and other 4xx: Megaport rejected the request as given.
    #[error("megaport: invalid request: {0}")]
    Invalid(ErrorDetail),
    /// 409.
    #[error("megaport: conflict: {0}")]
    Conflict(ErrorDetail),
    /// 401 after one retry with a fresh token, rejected credentials, or 403 (see
    /// [`MegaportError::is_forbidden`]).
    #[error("megaport: unauthorized: {0}")]
    Unauthorized(ErrorDetail),
    /// 429 that retries could not outwait within the caller's deadline.
    #[error("megaport: rate limited: {detail}")]
    RateLimited {
        retry_after: Option<Duration>,
        detail: ErrorDetail,
    },
    /// 5xx, or Megaport unreachable, for a request that provably changed nothing.
    #[error("megaport: unavailable: {0}")]
    Unavailable(ErrorDetail),
    /// The caller's deadline passed before Megaport answered a read, or before a write was sent.
    #[error("megaport: timeout: {0}")]
    Timeout(ErrorDetail),
    /// A write may or may not have taken effect (timeout, reset or 5xx after sending). It is never
    /// re-sent: the caller must look upstream for the object before trying again.
    #[error("megaport: outcome unknown: {0}")]
    OutcomeUnknown(ErrorDetail),
    /// A 2xx whose body this client could not understand (cut off, not JSON, nested too deeply,
    /// without `data`, or of the wrong shape), after the read's retries.
    #[error("megaport: malformed response: {0}")]
    MalformedResponse(ErrorDetail),
    /// A 2xx whose body was longer than the client's limit; reading stopped at the limit.
    #[error("megaport: response too large: {0}")]
    ResponseTooLarge(ErrorDetail),
    /// Not sent: the service was updated less than Megaport's interval ago (one update per
    /// service per 5 minutes), and Megaport would refuse it.
    #[error("megaport: update too soon: {detail}")]
    UpdateTooSoon {
        retry_after: Duration,
        detail: ErrorDetail,
    },
}

impl MegaportError {
    pub fn detail(&self) -> &ErrorDetail {
        match self {
            Self::NotFound(d)
            | Self::Invalid(d)
            | Self::Conflict(d)
            | Self::Unauthorized(d)
            | Self::Unavailable(d)
            | Self::Timeout(d)
            | Self::OutcomeUnknown(d)
            | Self::MalformedResponse(d)
            | Self::ResponseTooLarge(d) => d,
            Self::RateLimited { detail, .. } | Self::UpdateTooSoon { detail, .. } => detail,
        }
    }

    /// Megaport's message (or this client's description).
    pub fn message(&self) -> &str {
        &self.detail().message
    }

    pub fn trace_id(&self) -> Option<&str> {
        self.detail().trace_id.as_deref()
    }

    /// How long Megaport asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            Self::UpdateTooSoon { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Megaport's 403: the token is fine but this account may not touch the object (map to
    /// PERMISSION_DENIED, not UNAUTHENTICATED).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Unauthorized(d) if d.status == Some(403))
    }

    /// True for errors that say nothing about the request itself: trying again later may work.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable(_) | Self::Timeout(_)
        )
    }

    /// Names `account` on a refusal of its credentials.
    pub(crate) fn of_account(self, account: &str) -> Self {
        match self {
            Self::Unauthorized(mut detail) if !account.is_empty() => {
                detail.account = Some(account.to_owned());
                Self::Unauthorized(detail)
            }
            other => other,
        }
    }

    /// Classifies a non-2xx response. `message` is Megaport's message (already sanitised).
    pub(crate) fn from_status(
        status: u16,
        detail: ErrorDetail,
        retry_after: Option<Duration>,
    ) -> Self {
        let detail = detail.with_status(status);
        match status {
            400 if is_not_found_message(&detail.message) => Self::NotFound(detail),
            401 | 403 => Self::Unauthorized(detail),
            404 | 410 => Self::NotFound(detail),
            408 => Self::Timeout(detail),
            409 => Self::Conflict(detail),
            429 => Self::RateLimited {
                retry_after,
                detail,
            },
            500..=599 => Self::Unavailable(detail),
            _ => Self::Invalid(detail),
        }
    }
}

/// Megaport answers an unknown product with 400 and this text; every official client treats it as
/// not-found (megaport-api.md §3.3).
fn is_not_found_message(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("could not find a service with uid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(msg: &str) -> ErrorDetail {
        ErrorDetail::new(msg)
    }

    #[test]
    fn classifies_statuses() {
        let e = MegaportError::from_status(
            400,
            d("Could not find a service with UID 7fba50bb-ac35-465b-9b8b-9a6d7335ec7a"),
            None,
        );
        assert!(matches!(e, MegaportError::NotFound(_)), "{e:?}");
        assert!(matches!(
            MegaportError::from_status(400, d("Invalid ASN"), None),
            MegaportError::Invalid(_)
        ));
        assert!(matches!(
            MegaportError::from_status(404, d("x"), None),
            MegaportError::NotFound(_)
        ));
        assert!(matches!(
            MegaportError::from_status(409, d("x"), None),
            MegaportError::Conflict(_)
        ));
        assert!(matches!(
            MegaportError::from_status(401, d("Bad session token"), None),
            MegaportError::Unauthorized(_)
        ));
        let rl = MegaportError::from_status(429, d("slow down"), Some(Duration::from_secs(2)));
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(2)));
        assert!(rl.is_transient());
        assert!(matches!(
            MegaportError::from_status(503, d("x"), None),
            MegaportError::Unavailable(_)
        ));
    }

    #[test]
    fn display_carries_message_and_trace_id() {
        let e = MegaportError::from_status(
            400,
            d("VLAN 100 not available").with_trace_id(Some("abc-123".into())),
            None,
        );
        let s = e.to_string();
        assert!(s.contains("VLAN 100 not available"), "{s}");
        assert!(s.contains("abc-123"), "{s}");
        assert_eq!(e.trace_id(), Some("abc-123"));
    }
}
