//! Resume tokens: opaque to clients, they name the database (so a token from another onramp is
//! recognised) and the revision the client has seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes a position in this onramp's history.
pub fn encode(instance_id: &str, revision: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("w1.{instance_id}.{revision}"))
}

/// The revision a token stands for, if it is well-formed and from this database.
pub fn decode(instance_id: &str, token: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("w1"), Some(id), Some(revision)) if id == instance_id => revision.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_databases_and_garbage() {
        let token = encode("db1", 42);
        assert_eq!(decode("db1", &token), Some(42));
        assert_eq!(decode("db2", &token), None);
        assert_eq!(decode("db1", "garbage"), None);
        assert_eq!(decode("db1", ""), None);
    }
}
