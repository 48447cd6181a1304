//! OAuth client-credentials tokens: fetched lazily, one fetch shared by concurrent callers,
//! refreshed ahead of expiry, and dropped when Megaport answers 401.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use tracing::Instrument;

use super::body::{self, BodyError};
use super::config::Credentials;
use super::error::{ErrorDetail, MegaportError};
use super::http::{self, read_error_response};
use super::metrics::{Metrics, Outcome, Route};
use super::models::TokenResponse;
use super::retry::RetryPolicy;

/// Lifetime assumed when the token service omits `expires_in`: short, so a wrong guess costs a
/// refresh rather than a burst of 401s.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A bearer token. Its value never appears in Debug output, logs or errors.
pub(crate) struct Token {
    value: SecretString,
    pub(crate) generation: u64,
    refresh_at: Instant,
    expires_at: Instant,
}

impl Token {
    pub(crate) fn expose(&self) -> &str {
        self.value.expose_secret()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// A token answer is a few hundred bytes; anything much longer is not one.
const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

pub(crate) struct TokenManager {
    http: reqwest::Client,
    token_url: Url,
    credentials: Credentials,
    retry: RetryPolicy,
    metrics: Arc<Metrics>,
    /// Refresh this long before expiry, capped at 10 % of the token's lifetime.
    refresh_margin: Duration,
    cached: StdMutex<Option<Arc<Token>>>,
    /// Held by the one caller fetching; the others wait here and then find the new token.
    fetch_lock: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

impl TokenManager {
    pub(crate) fn new(
        http: reqwest::Client,
        token_url: Url,
        credentials: Credentials,
        retry: RetryPolicy,
        metrics: Arc<Metrics>,
        refresh_margin: Duration,
    ) -> Self {
        Self {
            http,
            token_url,
            credentials,
            retry,
            metrics,
            refresh_margin,
            cached: StdMutex::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Token>> {
        match self.cached.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, token: Option<Arc<Token>>) {
        match self.cached.lock() {
            Ok(mut g) => *g = token,
            Err(poisoned) => *poisoned.into_inner() = token,
        }
    }

    /// A token good for a request now, fetching one if needed.
    pub(crate) async fn token(&self, deadline: Instant) -> Result<Arc<Token>, MegaportError> {
        if let Some(t) = self.current()
            && Instant::now() < t.refresh_at
        {
            return Ok(t);
        }
        let _guard = tokio::time::timeout_at(deadline, self.fetch_lock.lock())
            .await
            .map_err(|_| {
                MegaportError::Timeout(ErrorDetail::new(
                    "deadline passed while waiting for a megaport token",
                ))
            })?;
        // Another caller may have fetched while we waited for the lock.
        let old = self.current();
        if let Some(t) = &old
            && Instant::now() < t.refresh_at
        {
            return Ok(t.clone());
        }
        match self.fetch(deadline).await {
            Ok(t) => {
                let t = Arc::new(t);
                self.store(Some(t.clone()));
                Ok(t)
            }
            // A refresh ahead of expiry failed, but the old token still works: use it.
            Err(e) => match old {
                Some(t) if Instant::now() < t.expires_at => {
                    tracing::warn!(error = %e, "megaport token refresh failed; using the current token");
                    Ok(t)
                }
                _ => Err(e),
            },
        }
    }

    /// Forgets the token of `generation` after Megaport rejected it. A newer token is kept.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut guard = match self.cached.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.as_ref().is_some_and(|t| t.generation == generation) {
            *guard = None;
        }
    }

    async fn fetch(&self, deadline: Instant) -> Result<Token, MegaportError> {
        let mut attempts = 0u32;
        loop {
            let started = Instant::now();
            let remaining = deadline.saturating_duration_since(started);
            if remaining.is_zero() {
                return Err(MegaportError::Timeout(ErrorDetail::new(
                    "deadline passed before a megaport token was fetched",
                )));
            }
            attempts += 1;
            if attempts > 1 {
                self.metrics.record_retry(Route::Token);
            }
            let sent = self
                .http
                .post(self.token_url.clone())
                .timeout(remaining)
                .basic_auth(&self.credentials.client_id, Some(self.credentials.secret()))
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&[("grant_type", "client_credentials")])
                .send()
                .instrument(tracing::info_span!(
                    "megaport",
                    otel.name = "megaport token",
                    otel.kind = "client",
                    megaport.route = Route::Token.as_str(),
                    attempt = attempts,
                ))
                .await;
            self.metrics.record_latency(Route::Token, started.elapsed());
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    let outcome = if e.is_connect() {
                        Outcome::ConnectError
                    } else {
                        Outcome::Transport
                    };
                    self.metrics.record(Route::Token, outcome);
                    // Fetching a token changes nothing upstream, so any transport error may retry.
                    if let Some(delay) = self.retry.next_delay(attempts, None, deadline) {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(http::transport_error(
                        &e,
                        deadline,
                        "megaport token service",
                    ));
                }
            };
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                self.metrics
                    .record(Route::Token, Outcome::from_status(status));
                let (detail, retry_after) = read_error_response(resp).await;
                if matches!(status, 429 | 502 | 503 | 504)
                    && let Some(delay) = self.retry.next_delay(attempts, retry_after, deadline)
                {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(match status {
                    // Cognito answers bad credentials with 400 {"error":"invalid_client"}.
                    400 | 401 | 403 => MegaportError::Unauthorized(
                        ErrorDetail {
                            message: format!("megaport token request rejected: {}", detail.message),
                            ..detail
                        }
                        .with_status(status),
                    ),
                    _ => MegaportError::from_status(status, detail, retry_after),
                });
            }
            let body = match body::read_capped(resp, MAX_TOKEN_RESPONSE).await {
                Ok(b) => b,
                Err(BodyError::TooLarge { .. }) => {
                    self.metrics.record(Route::Token, Outcome::TooLarge);
                    return Err(MegaportError::ResponseTooLarge(ErrorDetail::new(
                        "megaport token response is longer than a token answer can be",
                    )));
                }
                Err(BodyError::Transport(e)) => {
                    self.metrics.record(Route::Token, Outcome::Transport);
                    if let Some(delay) = self.retry.next_delay(attempts, None, deadline) {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(http::transport_error(
                        &e,
                        deadline,
                        "megaport token service",
                    ));
                }
            };
            let parsed: TokenResponse = match serde_json::from_slice(&body) {
                Ok(p) => p,
                Err(_) => {
                    self.metrics.record(Route::Token, Outcome::Malformed);
                    return Err(MegaportError::MalformedResponse(ErrorDetail::new(
                        "megaport token response is not valid json",
                    )));
                }
            };
            if let Some(err) = parsed.error.filter(|e| !e.is_empty()) {
                self.metrics.record(Route::Token, Outcome::Unauthorized);
                return Err(MegaportError::Unauthorized(ErrorDetail::new(format!(
                    "megaport token request rejected: {}",
                    http::sanitize(&err)
                ))));
            }
            let Some(value) = parsed.access_token.filter(|t| !t.is_empty()) else {
                self.metrics.record(Route::Token, Outcome::Malformed);
                return Err(MegaportError::MalformedResponse(ErrorDetail::new(
                    "megaport token response has no access_token",
                )));
            };
            self.metrics.record(Route::Token, Outcome::Ok);
            let lifetime = parsed
                .expires_in
                .filter(|s| *s > 0)
                .and_then(|s| u64::try_from(s).ok())
                .map_or(DEFAULT_LIFETIME, Duration::from_secs);
            let margin = self.refresh_margin.min(lifetime / 10);
            let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::debug!(
                lifetime_secs = lifetime.as_secs(),
                generation,
                "fetched a megaport token"
            );
            return Ok(Token {
                value: SecretString::from(value),
                generation,
                // Counted from when the request was sent, so network time only shortens it.
                refresh_at: started + lifetime - margin,
                expires_at: started + lifetime,
            });
        }
    }
}
