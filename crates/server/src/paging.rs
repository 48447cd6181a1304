//! `page_size` / `page_token` handling shared by every List RPC.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::FieldViolation;

/// Page size used when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Larger requested page sizes are capped to this.
pub const MAX_PAGE_SIZE: usize = 500;

/// Resolves `page_size`: 0 means the default, values above the maximum are capped, negative values
/// are refused.
pub fn page_size(requested: i32) -> Result<usize, FieldViolation> {
    match usize::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(FieldViolation::new(
            "page_size",
            format!("must be between 0 and {MAX_PAGE_SIZE}, got {requested}"),
        )),
    }
}

/// `page_size` and an offset `page_token` together: `None` when either is wrong, with the
/// violation added to `violations` so the caller can report it alongside its own.
pub fn offset_paging(
    page_size: i32,
    page_token: &str,
    violations: &mut Vec<FieldViolation>,
) -> Option<(usize, usize)> {
    let size = self::page_size(page_size).map_err(|v| violations.push(v));
    let offset = decode_offset(page_token).map_err(|v| violations.push(v));
    size.ok().zip(offset.ok())
}

/// Page tokens are opaque to callers: base64url of a tagged position, so a tampered or
/// hand-written token is recognised as malformed instead of silently restarting the listing.
pub fn offset_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

/// The offset a token from [`offset_token`] stands for; empty means the first page.
pub fn decode_offset(token: &str) -> Result<usize, FieldViolation> {
    if token.is_empty() {
        return Ok(0);
    }
    decode(token)
        .and_then(|text| text.strip_prefix('o').and_then(|n| n.parse().ok()))
        .ok_or_else(malformed)
}

/// A token that resumes after the given key (keyset paging by name).
pub fn after_token(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("a{key}"))
}

/// The key a token from [`after_token`] stands for; `None` for the first page.
pub fn decode_after(token: &str) -> Result<Option<String>, FieldViolation> {
    if token.is_empty() {
        return Ok(None);
    }
    decode(token)
        .and_then(|text| text.strip_prefix('a').map(str::to_owned))
        .map(Some)
        .ok_or_else(malformed)
}

/// The token for the page starting at `next`, or none when nothing more follows.
pub fn next_offset_token(next: usize, more: bool) -> String {
    if more {
        offset_token(next)
    } else {
        String::new()
    }
}

/// One page of an in-memory listing plus the token for the next one.
pub fn page_of<T>(items: Vec<T>, offset: usize, size: usize) -> (Vec<T>, String) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = offset + page.len();
    (page, next_offset_token(next, next < total))
}

fn decode(token: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

fn malformed() -> FieldViolation {
    FieldViolation::new(
        "page_token",
        "is malformed; pass next_page_token from the previous page unchanged",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_the_default_and_large_values_are_capped() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(10_000), Ok(MAX_PAGE_SIZE));
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_malformed() {
        assert_eq!(decode_offset(&offset_token(120)), Ok(120));
        assert_eq!(
            decode_after(&after_token("us-west")),
            Ok(Some("us-west".into()))
        );
        assert_eq!(decode_offset(""), Ok(0));
        assert!(decode_offset("not a token!").is_err());
        assert!(
            decode_offset(&after_token("x")).is_err(),
            "kinds do not mix"
        );
        let (page, next) = page_of(vec![1, 2, 3], 1, 1);
        assert_eq!(page, [2]);
        assert_eq!(decode_offset(&next), Ok(2));
        assert_eq!(page_of(vec![1, 2, 3], 2, 5).1, "");
    }

    #[test]
    fn negative_is_refused_naming_the_field() {
        let violation = page_size(-1).expect_err("negative");
        assert_eq!(violation.field, "page_size");
        assert!(violation.description.contains("-1"));
    }
}
