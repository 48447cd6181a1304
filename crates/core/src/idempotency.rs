//! The one idempotency rule every create follows (AIP-155). A `request_id` names one request:
//! the caller chooses it once and reuses it on every retry; a replay with the same parameters
//! gets the first result, and the same id with other parameters is refused as
//! REQUEST_ID_REUSED. Parameters are compared by their [`fingerprint`], the one hash every
//! journal stores (regions, keys, IssueServiceKeys, orders).

use serde::Serialize;

use crate::error::{Error, ErrorReason, FieldViolation};

/// Why `request_id` is not acceptable, if it is not.
pub fn check_request_id(request_id: &str) -> Option<FieldViolation> {
    if request_id.is_empty() {
        return Some(FieldViolation::new(
            "request_id",
            "is required: a UUID chosen by the caller, reused on every retry of the same request",
        ));
    }
    uuid::Uuid::parse_str(request_id).err().map(|_| {
        FieldViolation::new(
            "request_id",
            "must be a UUID (36 characters, e.g. from uuid4)",
        )
    })
}

/// The SHA-256 hex of a request's parameters in canonical JSON (object keys sorted), so the
/// same parameters give the same fingerprint whatever the field order of the type.
pub fn fingerprint(parameters: &impl Serialize) -> Result<String, Error> {
    let canonical = serde_json::to_value(parameters)
        .map_err(|error| Error::internal(format!("request fingerprint: {error}")))?;
    Ok(crate::digest::sha256_hex(canonical.to_string()))
}

/// A replay must carry the parameters of the first request with its id.
pub fn ensure_same_request(request_id: &str, stored: &str, fingerprint: &str) -> Result<(), Error> {
    if stored == fingerprint {
        Ok(())
    } else {
        Err(request_id_reused(request_id))
    }
}

/// The same request id with different parameters.
pub fn request_id_reused(request_id: &str) -> Error {
    Error::FailedPrecondition {
        reason: ErrorReason::RequestIdReused,
        message: "request_id was already used with different parameters".to_owned(),
    }
    .with_meta("request_id", request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_a_required_uuid() {
        assert!(check_request_id("").is_some_and(|v| v.description.contains("required")));
        assert!(check_request_id("abc").is_some_and(|v| v.description.contains("UUID")));
        assert!(check_request_id(&uuid::Uuid::new_v4().to_string()).is_none());
    }

    #[test]
    fn fingerprints_ignore_field_order_and_tell_parameters_apart() {
        #[derive(Serialize)]
        struct Ab {
            a: i32,
            b: &'static str,
        }
        #[derive(Serialize)]
        struct Ba {
            b: &'static str,
            a: i32,
        }
        let ab = fingerprint(&Ab { a: 1, b: "x" }).expect("fingerprint");
        assert_eq!(ab, fingerprint(&Ba { b: "x", a: 1 }).expect("fingerprint"));
        assert_ne!(ab, fingerprint(&Ab { a: 2, b: "x" }).expect("fingerprint"));
        assert!(ensure_same_request("r", &ab, &ab).is_ok());
        let reused = ensure_same_request("r", &ab, "other").expect_err("reuse");
        assert_eq!(reused.reason(), ErrorReason::RequestIdReused);
    }
}
