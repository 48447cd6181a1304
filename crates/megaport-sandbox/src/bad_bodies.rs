//! 200 answers with bodies a client cannot use as they are: what Megaport, or a proxy or load
//! balancer in front of it during an incident, can send. Each is a fault kind (see `faults`).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::Value;

/// Padding records of an oversized body are sent in chunks of this size.
const PADDING_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BadBody {
    /// The real answer cut in half, in a complete HTTP response.
    Truncated,
    /// An HTML error page.
    NotJson,
    /// An envelope whose `data` nests this many levels.
    Deep(u32),
    /// The real answer with every scalar field of each record of the wrong type.
    WrongTypes,
    /// A JSON list this many bytes long, streamed without Content-Length.
    Oversized(u64),
    /// The real answer, one byte per interval.
    Slow(Duration),
    /// The real `/v2/products` answer plus this many copies of its first Port with new uids,
    /// generated while it is sent.
    ExtraPorts(u32),
}

impl BadBody {
    /// Whether the request is handled (and any write committed) before the body goes wrong.
    pub(crate) fn handles_request(&self) -> bool {
        !matches!(
            self,
            BadBody::NotJson | BadBody::Deep(_) | BadBody::Oversized(_)
        )
    }

    /// The answer, from the handled one when [`BadBody::handles_request`].
    pub(crate) async fn answer(self, handled: Option<Response>) -> Response {
        let real = match handled {
            Some(response) => axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap_or_default(),
            None => Bytes::new(),
        };
        match self {
            BadBody::Truncated => json(Body::from(real.slice(..real.len() / 2))),
            BadBody::NotJson => {
                let mut response = ok(Body::from(
                    "<html><head><title>502 Bad Gateway</title></head>\
                     <body><h1>502 Bad Gateway</h1><p>upstream unavailable</p></body></html>",
                ));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
                response
            }
            BadBody::Deep(depth) => {
                let depth = depth as usize;
                json(Body::from(format!(
                    "{{\"message\":\"deep\",\"data\":{}{}}}",
                    "[".repeat(depth),
                    "]".repeat(depth)
                )))
            }
            BadBody::WrongTypes => {
                let mut envelope: Value = serde_json::from_slice(&real).unwrap_or(Value::Null);
                match envelope.get_mut("data") {
                    Some(Value::Array(records)) => records.iter_mut().for_each(wrong_types),
                    Some(record) => wrong_types(record),
                    None => {}
                }
                json(Body::from(envelope.to_string()))
            }
            BadBody::Oversized(bytes) => json(Body::from_stream(oversized(bytes))),
            BadBody::Slow(interval) => {
                let bytes = futures::stream::iter(real).then(move |byte| async move {
                    tokio::time::sleep(interval).await;
                    Ok::<_, std::convert::Infallible>(Bytes::from(vec![byte]))
                });
                json(Body::from_stream(bytes))
            }
            BadBody::ExtraPorts(count) => json(Body::from_stream(extra_ports(&real, count))),
        }
    }
}

fn ok(body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response
}

fn json(body: Body) -> Response {
    let mut response = ok(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Strings become numbers and numbers and booleans become words, one level deep.
fn wrong_types(record: &mut Value) {
    let Value::Object(fields) = record else {
        return;
    };
    for value in fields.values_mut() {
        *value = match value {
            Value::String(_) => Value::from(0),
            Value::Number(_) | Value::Bool(_) => Value::from("not-a-value"),
            _ => continue,
        };
    }
}

/// `{"message":"","data":[{"pad":"xxx…"},…]}` of about `bytes` bytes, a chunk at a time.
fn oversized(bytes: u64) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let record = format!("{{\"pad\":\"{}\"}},", "x".repeat(PADDING_CHUNK - 11));
    let chunk = Bytes::from(record);
    let chunks = bytes / chunk.len() as u64;
    let head = futures::stream::once(async { Bytes::from_static(b"{\"message\":\"\",\"data\":[") });
    let body = futures::stream::repeat(chunk).take(chunks as usize);
    let tail = futures::stream::once(async { Bytes::from_static(b"{}]}") });
    head.chain(body).chain(tail).map(Ok)
}

/// The answer's own records, then `count` copies of its first Port (`productType` MEGAPORT) with
/// new uids and names and no VXCs, each serialised as it is sent.
fn extra_ports(
    real: &[u8],
    count: u32,
) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> + use<> {
    let envelope: Value = serde_json::from_slice(real).unwrap_or(Value::Null);
    let records: Vec<Value> = envelope
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let template = records
        .iter()
        .find(|record| record.get("productType").and_then(Value::as_str) == Some("MEGAPORT"))
        .cloned();
    let count = if template.is_some() { count } else { 0 };
    let own = records
        .into_iter()
        .map(|record| record.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let head = format!("{{\"message\":\"\",\"data\":[{own}");
    let copies = futures::stream::iter(0..count).map(move |n| {
        let mut port = template.clone().unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut port {
            fields.insert(
                "productUid".into(),
                Value::from(format!("00000000-0000-4000-8000-{n:012}")),
            );
            fields.insert("productId".into(), Value::from(1_000_000 + u64::from(n)));
            fields.insert("productName".into(), Value::from(format!("Bulk Port {n}")));
            fields.insert("associatedVxcs".into(), Value::Array(Vec::new()));
        }
        Bytes::from(format!(",{port}"))
    });
    futures::stream::once(async move { Bytes::from(head) })
        .chain(copies)
        .chain(futures::stream::once(async { Bytes::from_static(b"]}") }))
        .map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Bytes {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
    }

    fn real() -> Response {
        json(Body::from(
            r#"{"message":"ok","data":[{"productUid":"p1","productType":"MEGAPORT","portSpeed":10000,"vxcPermitted":true}]}"#,
        ))
    }

    #[tokio::test]
    async fn each_bad_body_is_what_it_says() {
        let cut = body_of(BadBody::Truncated.answer(Some(real())).await).await;
        assert!(serde_json::from_slice::<Value>(&cut).is_err());
        let html = body_of(BadBody::NotJson.answer(None).await).await;
        assert!(html.starts_with(b"<html>"));
        let deep = body_of(BadBody::Deep(1000).answer(None).await).await;
        assert_eq!(deep.iter().filter(|b| **b == b'[').count(), 1000);
        let wrong: Value =
            serde_json::from_slice(&body_of(BadBody::WrongTypes.answer(Some(real())).await).await)
                .expect("still json");
        assert_eq!(wrong["data"][0]["productUid"], 0);
        assert_eq!(wrong["data"][0]["portSpeed"], "not-a-value");
        let big = body_of(BadBody::Oversized(1_000_000).answer(None).await).await;
        assert!(
            big.len() > 900_000 && big.len() <= 1_000_100,
            "{}",
            big.len()
        );
        assert!(
            serde_json::from_slice::<Value>(&big).is_ok(),
            "valid, only long"
        );
        let many: Value = serde_json::from_slice(
            &body_of(BadBody::ExtraPorts(3).answer(Some(real())).await).await,
        )
        .expect("json");
        let uids: Vec<&str> = many["data"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|port| port["productUid"].as_str())
            .collect();
        assert_eq!(uids.len(), 4);
        assert_eq!(uids[3], "00000000-0000-4000-8000-000000000002");
    }
}
