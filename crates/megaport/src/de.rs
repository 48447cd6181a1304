//! Lenient field decoders for Megaport's JSON: numbers as strings, nulls for lists and flags,
//! epoch-millisecond or ISO-8601 timestamps.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

fn number_from_value(v: &Value) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            t.parse::<f64>()
                .map(Some)
                .map_err(|_| format!("expected a number, got string {t:?}"))
        }
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err("expected a number".to_owned()),
    }
}

pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    if let Value::Number(n) = &v
        && let Some(i) = n.as_i64()
    {
        return Ok(Some(i));
    }
    if let Value::String(s) = &v
        && let Ok(i) = s.trim().parse::<i64>()
    {
        return Ok(Some(i));
    }
    match number_from_value(&v).map_err(D::Error::custom)? {
        None => Ok(None),
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        Some(f) => Err(D::Error::custom(format!("expected an integer, got {f}"))),
    }
}

pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    number_from_value(&v).map_err(D::Error::custom)
}

fn bool_from_value(v: &Value) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(format!("expected a boolean, got {n}")),
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            "" | "null" => Ok(None),
            other => Err(format!("expected a boolean, got {other:?}")),
        },
        Value::Array(_) | Value::Object(_) => Err("expected a boolean".to_owned()),
    }
}

/// A flag where null or absent means false.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(bool_from_value(&v)
        .map_err(D::Error::custom)?
        .unwrap_or(false))
}

/// A flag where null is a meaningful third state (e.g. a service key's `preApproved`).
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    bool_from_value(&v).map_err(D::Error::custom)
}

/// A list that Megaport sometimes sends as `null`.
pub(crate) fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A string that may arrive as a number (ids) or null.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err(D::Error::custom("expected a string")),
    }
}

/// Parses a Megaport timestamp: epoch milliseconds (number or digit string) or ISO-8601.
pub fn parse_timestamp(v: &Value) -> Result<Option<OffsetDateTime>, String> {
    let from_ms = |ms: i128| {
        OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000)
            .map(Some)
            .map_err(|e| format!("timestamp out of range: {e}"))
    };
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                from_ms(i128::from(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                from_ms(f as i128)
            } else {
                Err("timestamp is not a finite number".to_owned())
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            if let Ok(i) = t.parse::<i64>() {
                return from_ms(i128::from(i));
            }
            OffsetDateTime::parse(t, &Rfc3339)
                .or_else(|_| OffsetDateTime::parse(t, &Iso8601::DEFAULT))
                .map(Some)
                .map_err(|_| format!("unrecognised timestamp {t:?}"))
        }
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            Err("expected a timestamp".to_owned())
        }
    }
}

pub(crate) fn opt_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    let v = Value::deserialize(d)?;
    parse_timestamp(&v).map_err(D::Error::custom)
}

/// Serialises a timestamp as Megaport expects it in requests: epoch milliseconds.
pub(crate) fn ser_opt_ts_ms<S: serde::Serializer>(
    v: &Option<OffsetDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_i64(epoch_ms(*t)),
        None => s.serialize_none(),
    }
}

pub(crate) fn epoch_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
