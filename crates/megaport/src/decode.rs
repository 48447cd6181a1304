//! Turning a 2xx body into what a call returns, and saying what was wrong with one that does not
//! decode in words that quote nothing from it (a body can carry anything: customer text, another
//! tenant's data from a confused proxy).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::models::{Data, Envelope, Listing};

/// What was wrong with a body, as the end of "megaport products response ...".
pub(crate) type Decoded<T> = Result<T, String>;

/// `data`, which must be there and not null.
pub(crate) fn required<T: DeserializeOwned>(body: &[u8]) -> Decoded<T> {
    match envelope::<T>(body)? {
        Data::Present(value) => Ok(value),
        Data::Missing => Err("has no data field".to_owned()),
        Data::Null => Err("has null data".to_owned()),
    }
}

/// `data`, where null means "nothing" (an empty list, a key that is not there).
pub(crate) fn nullable<T: DeserializeOwned>(body: &[u8]) -> Decoded<Option<T>> {
    match envelope::<T>(body)? {
        Data::Present(value) => Ok(Some(value)),
        Data::Null => Ok(None),
        Data::Missing => Err("has no data field".to_owned()),
    }
}

/// A list in `data` (or Megaport's single object in place of a one-item list), each record
/// decoded on its own: one that does not decode is left out and counted, as Megaport's SDK
/// skips product kinds it does not model. No JSON tree is built, so memory holds the body and
/// the records kept. When every record decodes (nearly always) the list is read in one pass,
/// records straight into their type: about half the time of reading each record's text first
/// (a large provider's 18 MB products listing: 28 ms against 65 ms). Otherwise it is read again,
/// record by record.
pub(crate) fn listing<T: DeserializeOwned>(body: &[u8]) -> Decoded<Listing<T>> {
    if let Ok(Some(items)) = nullable::<Vec<T>>(body) {
        return Ok(Listing {
            items,
            ..Listing::default()
        });
    }
    Ok(nullable::<Lenient<T>>(body)?.map_or_else(Listing::default, |list| list.0))
}

/// A body that is not in Megaport's envelope (telemetry), decoded whole.
pub(crate) fn bare<T: DeserializeOwned>(body: &[u8]) -> Decoded<T> {
    check_depth(body)?;
    serde_json::from_slice::<T>(body).map_err(|e| describe(&e))
}

/// Deeper than any answer Megaport gives (they nest about six levels) and than serde_json's own
/// recursion limit.
const MAX_DEPTH: usize = 128;

fn envelope<T: DeserializeOwned>(body: &[u8]) -> Decoded<Data<T>> {
    check_depth(body)?;
    serde_json::from_slice::<Envelope<T>>(body)
        .map(|envelope| envelope.data)
        .map_err(|e| describe(&e))
}

/// Refuses a body nested deeper than [`MAX_DEPTH`] wherever the nesting is. serde_json stops
/// at its limit only where it builds values; a record it skips over as raw text could otherwise
/// hide any depth and be counted as one record of another kind instead of a broken body.
fn check_depth(body: &[u8]) -> Decoded<()> {
    let mut depth = 0_usize;
    let mut offset = 0;
    while let Some(byte) = body.get(offset) {
        match byte {
            // Strings are most of a body: jump from quote or backslash to the next (memchr
            // reads many bytes at a time), stepping over each escaped character.
            b'"' => loop {
                offset += 1;
                let Some(found) = body
                    .get(offset..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                else {
                    // Unterminated: the parser says so.
                    return Ok(());
                };
                offset += found;
                if body[offset] == b'"' {
                    break;
                }
                offset += 1;
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "is nested too deeply (more than {MAX_DEPTH} levels at byte {offset})"
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += 1;
    }
    Ok(())
}

/// Why a body or record did not decode, with its position but without the values serde_json
/// would quote (`invalid type: string "…"`).
pub(crate) fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("at line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => format!("is cut off ({at})"),
        Category::Syntax if error.to_string().starts_with("recursion limit exceeded") => {
            format!("is nested too deeply ({at})")
        }
        Category::Syntax => format!("is not JSON ({at})"),
        Category::Data => format!(
            "does not have the expected shape: {} ({at})",
            unquoted(error)
        ),
        Category::Io => "could not be read".to_owned(),
    }
}

/// serde_json's message up to the first quoted value or colon-introduced detail, without its
/// own position suffix: "missing field `productUid`", "invalid type", "expected a number, got
/// string".
fn unquoted(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let message = match full.rfind(" at line ") {
        Some(cut) if error.line() > 0 => &full[..cut],
        _ => full.as_str(),
    };
    let end = message.find(['"', ':']).unwrap_or(message.len());
    message[..end].trim_end_matches([' ', ',']).to_owned()
}

/// A list decoded record by record; see [`listing`].
struct Lenient<T>(Listing<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<T> LenientVisitor<T> {
    fn keep(listing: &mut Listing<T>, decoded: Result<T, serde_json::Error>) {
        match decoded {
            Ok(item) => listing.items.push(item),
            Err(e) => {
                listing.skipped += 1;
                listing
                    .first_skip_reason
                    .get_or_insert_with(|| describe(&e));
            }
        }
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut listing = Listing {
            items: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096)),
            ..Listing::default()
        };
        // Each record is borrowed from the body as raw text, then decoded on its own, so one
        // bad record costs only itself.
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            Self::keep(&mut listing, serde_json::from_str(raw.get()));
        }
        Ok(Lenient(listing))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let one = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        let mut listing = Listing::default();
        Self::keep(&mut listing, serde_json::from_value(one));
        Ok(Lenient(listing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: u32,
    }

    #[test]
    fn a_list_keeps_what_decodes_and_counts_the_rest() {
        let listing: Listing<Item> =
            listing(br#"{"data":[{"id":1},{"id":"secret-text"},{"id":3},{}]}"#).unwrap();
        assert_eq!(listing.items, [Item { id: 1 }, Item { id: 3 }]);
        assert_eq!(listing.skipped, 2);
        let why = listing.first_skip_reason.unwrap();
        assert!(
            why.starts_with("does not have the expected shape: invalid type"),
            "{why}"
        );
        assert!(!why.contains("secret-text"), "{why}");
    }

    #[test]
    fn null_data_is_empty_and_missing_data_is_an_error() {
        let empty: Listing<Item> = listing(br#"{"message":"ok","data":null}"#).unwrap();
        assert!(empty.items.is_empty() && empty.skipped == 0);
        assert_eq!(
            listing::<Item>(br#"{"message":"ok"}"#).unwrap_err(),
            "has no data field"
        );
        let one: Listing<Item> = listing(br#"{"data":{"id":7}}"#).unwrap();
        assert_eq!(one.items, [Item { id: 7 }]);
    }

    #[test]
    fn each_broken_body_is_named_without_quoting_it() {
        let cut = listing::<Item>(br#"{"data":[{"id":1},{"id":"#).unwrap_err();
        assert!(cut.starts_with("is cut off (at line 1"), "{cut}");
        let html = required::<Item>(b"<html>502 secret-page</html>").unwrap_err();
        assert!(
            html.starts_with("is not JSON (at line 1 column 1)"),
            "{html}"
        );
        assert!(!html.contains("secret"), "{html}");
        let deep = format!(
            "{{\"data\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let deep = listing::<Item>(deep.as_bytes()).unwrap_err();
        assert!(deep.starts_with("is nested too deeply"), "{deep}");
        let quoted = format!(
            "{{\"data\":[{{\"id\":1,\"x\":\"{}\\\"\"}}]}}",
            "[".repeat(500)
        );
        assert_eq!(
            listing::<Item>(quoted.as_bytes()).unwrap().items,
            [Item { id: 1 }]
        );
        // A string ending in an escaped backslash ends there; the brackets after it count.
        let backslash = format!(
            "{{\"data\":[{{\"id\":1,\"x\":\"\\\\\",\"y\":{}{}}}]}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        let backslash = listing::<Item>(backslash.as_bytes()).unwrap_err();
        assert!(backslash.starts_with("is nested too deeply"), "{backslash}");
        let null = required::<Item>(br#"{"data":null}"#).unwrap_err();
        assert_eq!(null, "has null data");
        let shape = required::<Item>(br#"{"data":{"id":"secret"}}"#).unwrap_err();
        assert!(!shape.contains("secret"), "{shape}");
    }
}
