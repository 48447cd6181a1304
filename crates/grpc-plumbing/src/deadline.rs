//! A gRPC call's deadline, from its `grpc-timeout` header.
//!
//! A server that waits on something slower than itself on the caller's behalf should stop a
//! little before the caller gives up, so the caller gets the server's own answer (with its reason)
//! rather than a bare CANCELLED or DEADLINE_EXCEEDED: [`reply_by`] keeps a tenth of the timeout,
//! at most [`MAX_REPLY_MARGIN`], for sending the answer.

use std::time::Duration;

use tokio::time::Instant;

/// Time kept back from the caller's deadline to send the answer: a tenth of the timeout, at
/// most this much.
pub const MAX_REPLY_MARGIN: Duration = Duration::from_millis(250);

/// A `grpc-timeout` value (1 to 8 digits and a unit: H, M, S, m, u, n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// When the work for `request`, which arrived at `arrived`, must end so its answer still
/// reaches the caller in time; `None` when the caller set no (valid) deadline.
pub fn reply_by<B>(request: &http::Request<B>, arrived: Instant) -> Option<Instant> {
    let timeout = request
        .headers()
        .get("grpc-timeout")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_grpc_timeout)?;
    let margin = (timeout / 10).min(MAX_REPLY_MARGIN);
    Some(arrived + timeout - margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_grpc_timeout("1500m"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_grpc_timeout("99999999u"),
            Some(Duration::from_micros(99_999_999))
        );
        assert_eq!(parse_grpc_timeout("123456789S"), None, "more than 8 digits");
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
    }

    #[test]
    fn the_answer_has_a_tenth_of_the_timeout_at_most_the_margin() {
        let arrived = Instant::now();
        let with = |timeout: &str| {
            let request = http::Request::builder()
                .header("grpc-timeout", timeout)
                .body(())
                .expect("request");
            reply_by(&request, arrived)
        };
        assert_eq!(with("2S"), Some(arrived + Duration::from_millis(1800)));
        assert_eq!(with("60S"), Some(arrived + Duration::from_millis(59_750)));
        assert_eq!(with("nonsense"), None);
        let bare = http::Request::builder().body(()).expect("request");
        assert_eq!(reply_by(&bare, arrived), None);
    }
}
