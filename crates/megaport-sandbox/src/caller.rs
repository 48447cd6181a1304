//! Who is calling: the bearer-token check every authenticated Megaport route shares.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::envelope::ApiError;
use super::shared::Shared;

/// The company a valid, unexpired bearer token belongs to.
pub(crate) struct Caller(pub String);

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<Shared>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let (scheme, token) = header.split_once(' ').unwrap_or(("", ""));
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(ApiError::unauthorized());
        }
        let st = s.lock();
        match st.tokens.get(token.trim()) {
            Some(t) if t.expires_ms > st.now_ms() => Ok(Caller(t.company_uid.clone())),
            _ => Err(ApiError::unauthorized()),
        }
    }
}
