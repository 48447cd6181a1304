//! The one rule for `request_id` (AIP-155), which every create RPC takes: required, a UUID the
//! caller chooses once and reuses on every retry of the same request.

use crate::error::FieldViolation;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_is_a_required_uuid() {
        assert!(check_request_id("").is_some_and(|v| v.description.contains("required")));
        assert!(check_request_id("abc").is_some_and(|v| v.description.contains("UUID")));
        assert!(check_request_id(&uuid::Uuid::new_v4().to_string()).is_none());
    }
}
