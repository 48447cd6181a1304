//! The crate error type and its one mapping to `tonic::Status`.
//!
//! Every RPC returns `Result<_, Error>`; the conversion below is the only place that picks a gRPC
//! code and attaches the rich details clients decode: `google.rpc.ErrorInfo` (domain `onramp`,
//! reason from `error_reason.proto`), `BadRequest` field violations and `RetryInfo`.
//! Messages are lowercase, name the field or Port, and never carry secrets or upstream bodies.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use megaport::MegaportError;

mod reason;
pub use reason::ErrorReason;

/// The `ErrorInfo.domain` of every onramp error.
pub const ERROR_DOMAIN: &str = "onramp";

/// One invalid request field: the field path (`rate_limit_mbps`, `selector.location_ids[2]`) and
/// what is wrong with it, including the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// What went wrong, by meaning. The gRPC code follows from the variant.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request itself is wrong; nothing was done and nothing was sent upstream.
    #[error("invalid request: {}", describe_violations(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{message}")]
    NotFound {
        reason: ErrorReason,
        message: String,
    },
    #[error("{message}")]
    AlreadyExists {
        reason: ErrorReason,
        message: String,
    },
    /// The request is well-formed but the system is not in a state that allows it.
    #[error("{message}")]
    FailedPrecondition {
        reason: ErrorReason,
        message: String,
    },
    /// The call was cut short and may be retried from `metadata` (e.g. a watch's last revision).
    #[error("{message}")]
    Aborted {
        reason: ErrorReason,
        message: String,
        metadata: HashMap<String, String>,
    },
    /// Megaport (or something else we depend on) is unavailable or throttling us.
    #[error("{message}")]
    Unavailable {
        reason: ErrorReason,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The caller is over its own quota with onramp.
    #[error("{message}")]
    ResourceExhausted {
        reason: ErrorReason,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{message}")]
    Unauthenticated { message: String },
    #[error("{message}")]
    PermissionDenied {
        reason: ErrorReason,
        message: String,
    },
    /// The method or option is part of a newer contract than this server implements.
    #[error("{message}")]
    NotImplemented { message: String },
    /// A bug or an unexpected failure. The detail is logged, never sent to the caller.
    #[error("internal error")]
    Internal { reason: ErrorReason, detail: String },
    /// Another error with `ErrorInfo.metadata` (e.g. "order_id", "port_uid") and, optionally, a
    /// more specific reason (an INVALID_ARGUMENT that is SPEED_ABOVE_LIMIT rather than
    /// INVALID_FIELD). Built with [`Error::with_meta`] and [`Error::with_reason`].
    #[error("{inner}")]
    Annotated {
        inner: Box<Error>,
        reason: Option<ErrorReason>,
        metadata: HashMap<String, String>,
    },
}

fn describe_violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{}: {}", violation.field, violation.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// Wraps an unexpected failure; its text goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal {
            reason: ErrorReason::Internal,
            detail: detail.to_string(),
        }
    }

    /// Adds `ErrorInfo.metadata[key] = value`.
    pub fn with_meta(self, key: &str, value: impl Into<String>) -> Self {
        match self {
            Self::Annotated {
                inner,
                reason,
                mut metadata,
            } => {
                metadata.insert(key.to_owned(), value.into());
                Self::Annotated {
                    inner,
                    reason,
                    metadata,
                }
            }
            other => Self::Annotated {
                inner: Box::new(other),
                reason: None,
                metadata: HashMap::from([(key.to_owned(), value.into())]),
            },
        }
    }

    /// Replaces the `ErrorInfo.reason` (the gRPC code stays the inner error's).
    pub fn with_reason(self, reason: ErrorReason) -> Self {
        match self {
            Self::Annotated {
                inner, metadata, ..
            } => Self::Annotated {
                inner,
                reason: Some(reason),
                metadata,
            },
            other => Self::Annotated {
                inner: Box::new(other),
                reason: Some(reason),
                metadata: HashMap::new(),
            },
        }
    }

    fn code(&self) -> Code {
        match self {
            Self::Annotated { inner, .. } => inner.code(),
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Aborted { .. } => Code::Aborted,
            Self::Unavailable { .. } => Code::Unavailable,
            Self::ResourceExhausted { .. } => Code::ResourceExhausted,
            Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::PermissionDenied { .. } => Code::PermissionDenied,
            Self::NotImplemented { .. } => Code::Unimplemented,
            Self::Internal { .. } => Code::Internal,
        }
    }

    /// The reason a client sees for this error.
    pub fn reason(&self) -> ErrorReason {
        match self {
            Self::Annotated { inner, reason, .. } => reason.unwrap_or_else(|| inner.reason()),
            Self::InvalidArgument(_) => ErrorReason::InvalidField,
            Self::NotFound { reason, .. }
            | Self::AlreadyExists { reason, .. }
            | Self::FailedPrecondition { reason, .. }
            | Self::Aborted { reason, .. }
            | Self::Unavailable { reason, .. }
            | Self::ResourceExhausted { reason, .. }
            | Self::PermissionDenied { reason, .. }
            | Self::Internal { reason, .. } => *reason,
            Self::Unauthenticated { .. } => ErrorReason::CallerUnauthenticated,
            Self::NotImplemented { .. } => ErrorReason::NotImplemented,
        }
    }
}

/// The one mapping from Megaport's errors to onramp's. Upstream throttling, outages and timeouts
/// are UNAVAILABLE (RESOURCE_EXHAUSTED is kept for our own per-caller quotas); Megaport's own
/// short message and trace id are kept, its raw body never is.
impl From<MegaportError> for Error {
    fn from(error: MegaportError) -> Self {
        let detail = error.detail();
        let mut message = format!("megaport: {}", detail.message.to_lowercase());
        if let Some(trace_id) = &detail.trace_id {
            message.push_str(&format!(" (trace id {trace_id})"));
        }
        // A 403 means the account may not touch that object (someone else's Port): a fact
        // about the request, not an outage, so retrying will not help.
        if error.is_forbidden() {
            return Self::FailedPrecondition {
                reason: ErrorReason::UpstreamRejected,
                message,
            };
        }
        match error {
            MegaportError::NotFound(_) => Self::NotFound {
                reason: ErrorReason::UpstreamNotFound,
                message,
            },
            MegaportError::Invalid(_) | MegaportError::Conflict(_) => Self::FailedPrecondition {
                reason: ErrorReason::UpstreamRejected,
                message,
            },
            MegaportError::Unauthorized(_) => Self::Unavailable {
                reason: ErrorReason::UpstreamAuthFailed,
                message,
                retry_after: None,
            },
            MegaportError::RateLimited { retry_after, .. } => Self::Unavailable {
                reason: ErrorReason::UpstreamRateLimited,
                message,
                retry_after,
            },
            MegaportError::Unavailable(_) => Self::Unavailable {
                reason: ErrorReason::UpstreamUnavailable,
                message,
                retry_after: None,
            },
            // DESIGN: an upstream timeout is UNAVAILABLE like any other outage.
            MegaportError::Timeout(_) => Self::Unavailable {
                reason: ErrorReason::UpstreamUnavailable,
                message,
                retry_after: None,
            },
            MegaportError::OutcomeUnknown(_) => Self::Unavailable {
                reason: ErrorReason::UpstreamOutcomeUnknown,
                message,
                retry_after: None,
            },
            MegaportError::MalformedResponse(_) => Self::Internal {
                reason: ErrorReason::UpstreamMalformedResponse,
                detail: message,
            },
        }
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(error: crate::store::StoreError) -> Self {
        Self::internal(error)
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let (code, reason, message) = (error.code(), error.reason(), error.to_string());
        let (error, mut metadata) = match error {
            Error::Annotated {
                inner, metadata, ..
            } => (*inner, metadata),
            Error::Aborted {
                reason,
                message,
                metadata,
            } => {
                let kept = metadata.clone();
                (
                    Error::Aborted {
                        reason,
                        message,
                        metadata,
                    },
                    kept,
                )
            }
            other => (other, HashMap::new()),
        };
        if let Error::Internal { detail, .. } = &error {
            tracing::error!(error = %detail, "internal error");
        }
        // INVALID_FIELD promises metadata "field" naming the first violation; setting it here
        // keeps the promise for every site that builds an InvalidArgument.
        if let Error::InvalidArgument(violations) = &error
            && let Some(first) = violations.first()
        {
            metadata
                .entry("field".to_owned())
                .or_insert_with(|| first.field.clone());
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(reason.name(), ERROR_DOMAIN, metadata);
        match &error {
            Error::InvalidArgument(violations) => {
                for violation in violations {
                    details.add_bad_request_violation(&violation.field, &violation.description);
                }
            }
            Error::Unavailable {
                retry_after: Some(delay),
                ..
            }
            | Error::ResourceExhausted {
                retry_after: Some(delay),
                ..
            } => {
                details.set_retry_info(Some(*delay));
            }
            _ => {}
        }
        Status::with_error_details(code, message, details)
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn round_trip(error: Error) -> (Status, ErrorDetails) {
        let status = Status::from(error);
        let details = status.get_error_details();
        (status, details)
    }

    #[test]
    fn invalid_argument_carries_every_field_violation() {
        let (status, details) = round_trip(Error::InvalidArgument(vec![
            FieldViolation::new("rate_limit_mbps", "must be between 1 and 10000"),
            FieldViolation::new("term_months", "must be one of 1, 12, 24, 36"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        let bad_request = details.bad_request().expect("bad request details");
        let fields: Vec<_> = bad_request
            .field_violations
            .iter()
            .map(|violation| violation.field.as_str())
            .collect();
        assert_eq!(fields, ["rate_limit_mbps", "term_months"]);
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_FIELD");
        assert_eq!(info.domain, "onramp");
        assert_eq!(
            info.metadata["field"], "rate_limit_mbps",
            "the first violation"
        );
        assert!(status.message().contains("rate_limit_mbps"));
    }

    #[test]
    fn each_variant_maps_to_its_code_and_reason() {
        let cases = [
            (
                Error::NotFound {
                    reason: ErrorReason::RegionNotFound,
                    message: "region `x` not found".into(),
                },
                Code::NotFound,
                "REGION_NOT_FOUND",
            ),
            (
                Error::AlreadyExists {
                    reason: ErrorReason::RegionAlreadyExists,
                    message: "exists".into(),
                },
                Code::AlreadyExists,
                "REGION_ALREADY_EXISTS",
            ),
            (
                Error::FailedPrecondition {
                    reason: ErrorReason::VlanInUse,
                    message: "vlan 100 is in use on port p".into(),
                },
                Code::FailedPrecondition,
                "VLAN_IN_USE",
            ),
            (
                Error::Unavailable {
                    reason: ErrorReason::UpstreamUnavailable,
                    message: "megaport is unavailable".into(),
                    retry_after: None,
                },
                Code::Unavailable,
                "UPSTREAM_UNAVAILABLE",
            ),
            (
                Error::Unauthenticated {
                    message: "missing bearer token".into(),
                },
                Code::Unauthenticated,
                "CALLER_UNAUTHENTICATED",
            ),
        ];
        for (error, code, reason) in cases {
            let (status, details) = round_trip(error);
            assert_eq!(status.code(), code);
            assert_eq!(details.error_info().expect("info").reason, reason);
        }
    }

    #[test]
    fn throttling_attaches_retry_info() {
        let (status, details) = round_trip(Error::Unavailable {
            reason: ErrorReason::UpstreamRateLimited,
            message: "megaport is throttling requests".into(),
            retry_after: Some(Duration::from_secs(7)),
        });
        assert_eq!(status.code(), Code::Unavailable);
        let retry = details.retry_info().expect("retry info");
        assert_eq!(retry.retry_delay, Some(Duration::from_secs(7)));
    }

    #[test]
    fn annotations_add_metadata_and_may_refine_the_reason() {
        let (status, details) = round_trip(
            Error::invalid("spec.rate_limit_mbps", "must be between 1 and 500 mbps")
                .with_reason(ErrorReason::SpeedAboveLimit)
                .with_meta("field", "spec.rate_limit_mbps"),
        );
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = details.error_info().expect("info");
        assert_eq!(info.reason, "SPEED_ABOVE_LIMIT");
        assert_eq!(info.metadata["field"], "spec.rate_limit_mbps");
        assert_eq!(
            details.bad_request().expect("violations").field_violations[0].field,
            "spec.rate_limit_mbps"
        );
    }

    #[test]
    fn internal_detail_is_not_sent_to_the_caller() {
        let (status, _) = round_trip(Error::internal("db password=hunter2 rejected"));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }
}
