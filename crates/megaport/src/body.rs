//! Reading a 2xx body with a bound on its size, enforced while it arrives.
//!
//! A proxy in trouble can answer with anything, including hundreds of megabytes; onramp keeps at
//! most `limit` bytes of one answer in memory and stops reading past it. The time bound is the
//! request's own timeout (reqwest applies it until the body has finished), so a body that
//! trickles in ends at the caller's deadline.

use reqwest::Response;

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the limit: announced by Content-Length or found while reading.
    TooLarge { limit: usize },
    /// The connection failed or timed out part way.
    Transport(reqwest::Error),
}

/// The most address space reserved up front for a body of unannounced length.
const RESERVE_CAP: usize = 256 << 20;

/// The whole body, or an error as soon as it is known to exceed `limit` bytes.
pub(crate) async fn read_capped(
    mut response: Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    // Sized once, so a large answer is never copied through doubling buffers (which holds the
    // old and the new buffer at once): to the announced length, or else to the limit (up to
    // RESERVE_CAP). A reservation that large is address space only; a page becomes resident
    // when written.
    let mut body = Vec::with_capacity(announced.map_or(limit.min(RESERVE_CAP), |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    if announced.is_none() {
        body.shrink_to_fit();
    }
    Ok(body)
}

/// A limit in words for error messages ("64 MiB", "512 KiB", "100 bytes").
pub(crate) fn describe_limit(limit: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else if limit >= KIB && limit.is_multiple_of(KIB) {
        format!("{} KiB", limit / KIB)
    } else {
        format!("{limit} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_binary_units() {
        assert_eq!(describe_limit(64 * 1024 * 1024), "64 MiB");
        assert_eq!(describe_limit(512 * 1024), "512 KiB");
        assert_eq!(describe_limit(1000), "1000 bytes");
    }
}
