//! Where onramp's errors meet the wire: [`status`] maps the domain's [`Error`] to `tonic::Status`,
//! and [`upstream`] maps Megaport's errors to the domain's. Both are functions, not `From`
//! impls, because neither type is this crate's.

use std::collections::HashMap;

use megaport::MegaportError;
pub use onramp_core::error::{ERROR_DOMAIN, Error, ErrorReason, FieldViolation};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

fn code(error: &Error) -> Code {
    match error {
        Error::InvalidArgument(_) => Code::InvalidArgument,
        Error::NotFound { .. } => Code::NotFound,
        Error::AlreadyExists { .. } => Code::AlreadyExists,
        Error::FailedPrecondition { .. } => Code::FailedPrecondition,
        Error::Aborted { .. } => Code::Aborted,
        Error::Unavailable { .. } => Code::Unavailable,
        Error::ResourceExhausted { .. } => Code::ResourceExhausted,
        Error::Unauthenticated { .. } => Code::Unauthenticated,
        Error::PermissionDenied { .. } => Code::PermissionDenied,
        Error::NotImplemented { .. } => Code::Unimplemented,
        Error::Internal { .. } | Error::Annotated { .. } => Code::Internal,
    }
}

/// The one mapping from onramp's errors to gRPC: the code follows from the variant, and the
/// details clients decode are attached here: `google.rpc.ErrorInfo` (domain `onramp`, reason
/// from `error_reason.proto`), `BadRequest` field violations and `RetryInfo`.
pub fn status(error: Error) -> Status {
    {
        let (code, reason, message) = (code(error.kind()), error.reason(), error.to_string());
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

/// The one mapping from Megaport's errors to onramp's. Upstream throttling, outages and timeouts
/// are UNAVAILABLE (RESOURCE_EXHAUSTED is kept for our own per-caller quotas); Megaport's own
/// short message and trace id are kept, its raw body never is.
pub fn upstream(error: MegaportError) -> Error {
    {
        let detail = error.detail();
        let mut message = format!("megaport: {}", detail.message.to_lowercase());
        if let Some(trace_id) = &detail.trace_id {
            message.push_str(&format!(" (trace id {trace_id})"));
        }
        // A 403 means the account may not touch that object (someone else's Port): a fact
        // about the request, not an outage, so retrying will not help.
        if error.is_forbidden() {
            return Error::FailedPrecondition {
                reason: ErrorReason::UpstreamRejected,
                message,
            };
        }
        match error {
            MegaportError::NotFound(_) => Error::NotFound {
                reason: ErrorReason::UpstreamNotFound,
                message,
            },
            MegaportError::Invalid(_) | MegaportError::Conflict(_) => Error::FailedPrecondition {
                reason: ErrorReason::UpstreamRejected,
                message,
            },
            // onramp names every client it makes after its configured account.
            MegaportError::Unauthorized(detail) => Error::Unavailable {
                reason: ErrorReason::UpstreamAuthFailed,
                message,
                retry_after: None,
            }
            .with_meta("account", detail.account.unwrap_or_default()),
            MegaportError::RateLimited { retry_after, .. } => Error::Unavailable {
                reason: ErrorReason::UpstreamRateLimited,
                message,
                retry_after,
            },
            MegaportError::Unavailable(_) => Error::Unavailable {
                reason: ErrorReason::UpstreamUnavailable,
                message,
                retry_after: None,
            },
            // DESIGN: an upstream timeout is UNAVAILABLE like any other outage.
            MegaportError::Timeout(_) => Error::Unavailable {
                reason: ErrorReason::UpstreamUnavailable,
                message,
                retry_after: None,
            },
            MegaportError::OutcomeUnknown(_) => Error::Unavailable {
                reason: ErrorReason::UpstreamOutcomeUnknown,
                message,
                retry_after: None,
            },
            // An upstream fault like a 5xx: the caller can retry; the message names the route
            // and what was wrong, never the body.
            MegaportError::MalformedResponse(_) => Error::Unavailable {
                reason: ErrorReason::UpstreamMalformedResponse,
                message,
                retry_after: None,
            },
            MegaportError::ResponseTooLarge(_) => Error::Unavailable {
                reason: ErrorReason::UpstreamResponseTooLarge,
                message,
                retry_after: None,
            },
            // A fact about this service, not an outage: retrying before then cannot work.
            MegaportError::UpdateTooSoon { retry_after, .. } => {
                let at = time::OffsetDateTime::now_utc() + retry_after;
                let at = at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                Error::FailedPrecondition {
                    reason: ErrorReason::ServiceUpdateTooSoon,
                    message,
                }
                .with_meta(
                    "retry_after_seconds",
                    retry_after.as_secs().max(1).to_string(),
                )
                .with_meta("retry_at", at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use std::time::Duration;

    use super::*;

    fn round_trip(error: Error) -> (Status, ErrorDetails) {
        let status = status(error);
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

    #[test]
    fn every_reason_matches_the_proto_enum_by_name_and_number() {
        use prost::Message;
        let descriptors = prost_types::FileDescriptorSet::decode(onramp_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set");
        let proto: Vec<(String, i32)> = descriptors
            .file
            .iter()
            .filter(|file| file.package() == "onramp.v1")
            .flat_map(|file| &file.enum_type)
            .filter(|enumeration| enumeration.name() == "ErrorReason")
            .flat_map(|enumeration| &enumeration.value)
            .map(|value| {
                let name = value
                    .name()
                    .strip_prefix("ERROR_REASON_")
                    .expect("prefixed");
                (name.to_owned(), value.number())
            })
            .collect();
        let ours: Vec<(String, i32)> = ErrorReason::ALL
            .iter()
            .map(|reason| (reason.name().to_owned(), reason.number()))
            .collect();
        assert_eq!(ours, proto);
    }
}
