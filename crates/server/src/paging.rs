//! `page_size` / `page_token` handling shared by every List RPC.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::FieldViolation;
pub use onramp_core::cursor::Cursor;

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

/// A keyset page token: the cursor, bound to the listing's filter (`filter` spells it out,
/// in any fixed form the listing chooses), so a token is never read under another filter.
fn cursor_token(filter: &str, cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "c{}:{}:{}",
        filter_digest(filter),
        cursor.time_ms,
        cursor.id
    ))
}

/// The cursor a token from [`cursor_token`] holds; `None` for the first page. A token made
/// under another filter is refused, naming the field.
pub fn decode_cursor(token: &str, filter: &str) -> Result<Option<Cursor>, FieldViolation> {
    if token.is_empty() {
        return Ok(None);
    }
    let text = decode(token).ok_or_else(malformed)?;
    let mut parts = text.strip_prefix('c').ok_or_else(malformed)?.splitn(3, ':');
    let (Some(digest), Some(time_ms), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let time_ms = time_ms.parse().map_err(|_| malformed())?;
    if digest != filter_digest(filter) {
        return Err(FieldViolation::new(
            "page_token",
            "was issued for a different filter; send the filter of the first page with its tokens, or start again without a token",
        ));
    }
    Ok(Some(Cursor {
        time_ms,
        id: id.to_owned(),
    }))
}

/// A page of a newest-first listing held in memory (sorted newest first, then by id), after
/// `after`, and the token of the next page. `position` gives an item's (time, id).
pub fn newest_first_page<'a, T>(
    sorted: impl IntoIterator<Item = &'a T>,
    filter: &str,
    after: Option<&Cursor>,
    size: usize,
    position: impl Fn(&T) -> (i64, &str),
) -> (Vec<&'a T>, String)
where
    T: 'a,
{
    let mut rest = sorted.into_iter().filter(|item| {
        let (time_ms, id) = position(item);
        after.is_none_or(|cursor| cursor.precedes(time_ms, id))
    });
    let page: Vec<&T> = rest.by_ref().take(size).collect();
    (
        page.clone(),
        next_cursor_token(filter, &page, rest.next().is_some(), position),
    )
}

/// The token after the last item of `page`, or none when nothing more follows.
pub fn next_cursor_token<T>(
    filter: &str,
    page: &[&T],
    more: bool,
    position: impl Fn(&T) -> (i64, &str),
) -> String {
    match page.last() {
        Some(last) if more => {
            let (time_ms, id) = position(last);
            cursor_token(
                filter,
                &Cursor {
                    time_ms,
                    id: id.to_owned(),
                },
            )
        }
        _ => String::new(),
    }
}

/// A short digest of a filter's spelling: enough to tell filters apart in a token.
fn filter_digest(filter: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(filter.as_bytes());
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
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

    fn position(item: &(i64, String)) -> (i64, &str) {
        (item.0, item.1.as_str())
    }

    /// Newest first, then by id, as every keyset listing is sorted.
    fn sort(items: &mut [(i64, String)]) {
        items.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    }

    /// What ListApprovals pages with (the others page the same way in their read model or
    /// the store): 1,000 items, 50 a page, while 200 newer ones arrive.
    #[test]
    fn paging_a_thousand_items_while_two_hundred_arrive_lists_each_once() {
        // Four items to a millisecond: the tie-break by id counts.
        let mut items: Vec<(i64, String)> = (0..1_000)
            .map(|n| (10_000 - n / 4, format!("i{n:04}")))
            .collect();
        sort(&mut items);
        let existing: std::collections::BTreeSet<String> =
            items.iter().map(|item| item.1.clone()).collect();
        let mut seen = Vec::new();
        let mut token = String::new();
        for page in 0..100 {
            let after = decode_cursor(&token, "f").expect("token");
            let (listed, next) = newest_first_page(&items, "f", after.as_ref(), 50, position);
            seen.extend(listed.iter().map(|item| item.1.clone()));
            if page < 50 {
                for n in 0..4 {
                    items.push((20_000 + page, format!("new{page:02}-{n}")));
                }
                sort(&mut items);
            }
            if next.is_empty() {
                break;
            }
            token = next;
        }
        let first_seen: Vec<&String> = seen.iter().filter(|id| existing.contains(*id)).collect();
        let distinct: std::collections::BTreeSet<&String> = first_seen.iter().copied().collect();
        assert_eq!(first_seen.len(), distinct.len(), "none twice");
        assert_eq!(
            distinct.len(),
            1_000,
            "every item that existed at the first page"
        );

        let other = decode_cursor(&next_token(&items), "g").expect_err("another filter");
        assert_eq!(other.field, "page_token");
        assert!(other.description.contains("different filter"));
        assert!(
            decode_cursor(&offset_token(3), "f").is_err(),
            "kinds do not mix"
        );
    }

    fn next_token(items: &[(i64, String)]) -> String {
        newest_first_page(items, "f", None, 1, position).1
    }

    #[test]
    fn negative_is_refused_naming_the_field() {
        let violation = page_size(-1).expect_err("negative");
        assert_eq!(violation.field, "page_size");
        assert!(violation.description.contains("-1"));
    }
}
