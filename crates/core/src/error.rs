//! The domain's error: what went wrong by meaning, with the reason clients see. The server maps
//! it to `tonic::Status` in one place (`onramp-server`'s `error.rs`); the gRPC code follows from
//! the variant. Messages are lowercase, name the field or Port, and never carry secrets or
//! upstream bodies.

use std::collections::HashMap;
use std::time::Duration;

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
    /// NOT_FOUND / ON_RAMP_NOT_FOUND: `port_uid` is not one of the provider's Ports.
    pub fn on_ramp_not_found(port_uid: &str) -> Self {
        Self::NotFound {
            reason: ErrorReason::OnRampNotFound,
            message: format!("port `{port_uid}` is not one of the provider's ports"),
        }
        .with_meta("port_uid", port_uid)
    }

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

    /// Names what a write whose outcome is unknown concerned (`request_id`, `approval_uid`,
    /// `key`), as error_reason.proto promises: the mapping of Megaport's error has no call, so
    /// each write adds its own. Any other error is returned as it is.
    pub fn naming_write(self, key: &str, value: impl Into<String>) -> Self {
        if self.reason() == ErrorReason::UpstreamOutcomeUnknown {
            self.with_meta(key, value)
        } else {
            self
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

    /// The variant under any annotation: what decides the gRPC code.
    pub fn kind(&self) -> &Error {
        match self {
            Self::Annotated { inner, .. } => inner.kind(),
            other => other,
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
