//! Resume tokens: opaque to clients, they name the history (so a token from another history, such
//! as another onramp's database, is recognised) and the revision the client has seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes a position in the history `history_id`.
pub fn encode(history_id: &str, revision: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("w1.{history_id}.{revision}"))
}

/// What a resume token says, as far as this history can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A position in this history.
    Revision(i64),
    /// A well-formed token from another history (another database, or a data directory since
    /// replaced): the client gets a resync, since its cache may be from that history.
    OtherHistory,
    /// Not a token any history issued: a client bug, to be refused.
    Malformed,
}

/// Reads a token issued by [`encode`].
pub fn decode(history_id: &str, token: &str) -> Decoded {
    let Some(text) = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return Decoded::Malformed;
    };
    let mut parts = text.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("w1"), Some(id), Some(revision)) => match revision.parse() {
            Ok(revision) if id == history_id => Decoded::Revision(revision),
            Ok(_) => Decoded::OtherHistory,
            Err(_) => Decoded::Malformed,
        },
        _ => Decoded::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_databases_and_garbage() {
        let token = encode("db1", 42);
        assert_eq!(decode("db1", &token), Decoded::Revision(42));
        assert_eq!(decode("db2", &token), Decoded::OtherHistory);
        assert_eq!(decode("db1", "garbage!"), Decoded::Malformed);
        assert_eq!(
            decode("db1", "garbage"),
            Decoded::Malformed,
            "base64, but not a token"
        );
        assert_eq!(
            decode("db1", &URL_SAFE_NO_PAD.encode("w1.db1.x")),
            Decoded::Malformed
        );
    }
}
