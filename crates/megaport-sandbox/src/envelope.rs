//! Megaport's response envelope, its error bodies, and the lenient input parsing the real API
//! tolerates (numbers sent as strings, unknown keys, percent-encoded query strings).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

pub(crate) const TERMS: &str = "This data is subject to the Acceptable Use Policy https://www.megaport.com/legal/acceptable-use-policy";

/// A success body: `{message, terms, data}`.
pub(crate) fn ok(message: impl Into<String>, data: Value) -> Response {
    json_response(
        StatusCode::OK,
        json!({"message": message.into(), "terms": TERMS, "data": data}),
    )
}

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An error answered the way Megaport answers: a status and `{message, terms, data: null}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Sent as `Retry-After` (whole seconds, rounded up).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    /// 429, admitted again after `wait`.
    pub(crate) fn too_many_requests(message: impl Into<String>, wait: std::time::Duration) -> Self {
        ApiError {
            retry_after: Some(wait),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    /// Megaport's not-found form, which every client special-cases.
    pub(crate) fn service_not_found(uid: &str) -> Self {
        ApiError::bad_request(format!("Could not find a service with UID {uid}"))
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "Bad session token")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(
            self.status,
            json!({"message": self.message, "terms": TERMS, "data": null}),
        );
        if let Some(wait) = self.retry_after {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// Joins two JSON objects (large literals are split to stay within `json!`'s recursion limit).
pub(crate) fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// Parses a JSON request body leniently: any content type, unknown keys ignored.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // megaportgo sends `null` for an optional body it was given none of (e.g. approving an
    // order without comments): the same as no body.
    let text = if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|e| ApiError::bad_request(format!("Could not parse the request body: {e}")))
}

/// Accepts an integer given as a JSON number (integral float too) or a numeric string; null,
/// an empty string or absence mean "not given".
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    value_to_i64(v.as_ref()).map_err(serde::de::Error::custom)
}

pub(crate) fn value_to_i64(v: Option<&Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| format!("{n} is not an integer")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("\"{s}\" is not an integer")),
        Some(other) => Err(format!("{other} is not an integer")),
    }
}

/// A timestamp in epoch milliseconds, also accepted as a numeric string or an RFC 3339 string
/// (some Megaport environments and the Go SDK's stray `ValidFor` use those).
pub(crate) fn opt_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    if let Some(Value::String(s)) = &v
        && let Ok(t) =
            time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
    {
        return Ok(Some((t.unix_timestamp_nanos() / 1_000_000) as i64));
    }
    value_to_i64(v.as_ref()).map_err(serde::de::Error::custom)
}

/// Accepts a boolean given as a JSON bool or the strings "true"/"false".
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(serde::de::Error::custom(format!(
                "\"{s}\" is not a boolean"
            ))),
        },
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other} is not a boolean"
        ))),
    }
}

/// Decodes `%XX` escapes and `+` (form encoding); invalid escapes are kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string into ordered pairs, keeping repeated keys
/// (`locationStatuses=Active&locationStatuses=New`).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Every value of `key` (case-insensitive), splitting comma-separated lists.
pub(crate) fn query_values(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn query_first(pairs: &[(String, String)], key: &str) -> Option<String> {
    query_values(pairs, key).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_are_accepted() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "opt_i64")]
            n: Option<i64>,
        }
        let t: T = serde_json::from_str(r#"{"n":"500"}"#).unwrap();
        assert_eq!(t.n, Some(500));
        let t: T = serde_json::from_str(r#"{"n":500.0,"unknown":1}"#).unwrap();
        assert_eq!(t.n, Some(500));
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(t.n, None);
        #[derive(Deserialize)]
        struct M {
            #[serde(default, deserialize_with = "opt_ms")]
            m: Option<i64>,
        }
        let m: M = serde_json::from_str(r#"{"m":"2024-04-05T00:34:22Z"}"#).unwrap();
        assert_eq!(m.m, Some(1_712_277_262_000));
        let m: M = serde_json::from_str(r#"{"m":1608506197135}"#).unwrap();
        assert_eq!(m.m, Some(1_608_506_197_135));
        assert!(serde_json::from_str::<T>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn query_parsing_keeps_repeats_and_decodes() {
        let pairs = query_pairs(Some(
            "a=1&locationStatuses=Active&locationStatuses=New%2CExpired&m=Los+Angeles&x=%zz",
        ));
        assert_eq!(
            query_values(&pairs, "locationstatuses"),
            vec!["Active", "New", "Expired"]
        );
        assert_eq!(query_first(&pairs, "m").as_deref(), Some("Los Angeles"));
        assert_eq!(query_first(&pairs, "x").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%3Fkey%3d1"), "?key=1");
        assert_eq!(percent_decode("abc%"), "abc%");
        assert_eq!(percent_decode("abc%4"), "abc%4");
    }
}
