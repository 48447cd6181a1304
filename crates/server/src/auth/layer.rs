//! The tower layer that authenticates, authorizes, rate-limits and audits every request before
//! it reaches a handler. It sits outside tonic's router, so a refused call never decodes its
//! message, never reaches a handler and never causes an upstream call.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use grpc_plumbing::kept_answers::Audience;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic_types::StatusExt;
use tower::{Layer, Service};

use prometheus::IntCounterVec;

use super::audit::{AuditLog, AuditNote};
use super::caller::{AuthSetupError, Caller};
use super::limits::WriteLimiter;
use super::scopes::{Policy, Scope, policy};
use super::settings::{AuthSettings, LimitSettings, TlsSettings};
use super::tls;
use super::tokens::{TokenRejection, TokenTable};
use crate::error::ErrorReason;
use crate::error::{Error, status};
use onramp_store::Store;

/// Shared by every connection: the credentials, the quota buckets, the in-flight semaphore.
struct Gate {
    /// No caller authentication is configured: every caller is `anonymous` with every scope.
    open: bool,
    tokens: TokenTable,
    /// mTLS callers by certificate name.
    clients: HashMap<String, Caller>,
    limiter: WriteLimiter,
    in_flight: Arc<Semaphore>,
    audit: AuditLog,
    refusals: IntCounterVec,
}

/// The sections of the configuration the caller policy is made of.
#[derive(Debug, Clone, Copy)]
pub struct Callers<'a> {
    pub auth: &'a AuthSettings,
    pub tls: &'a TlsSettings,
    pub limits: &'a LimitSettings,
    /// Serve without authentication on a non-loopback address.
    pub insecure: bool,
}

/// Applies onramp's caller policy to every request. Build it with [`AuthLayer::new`].
#[derive(Clone)]
pub struct AuthLayer {
    gate: Arc<Gate>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("open", &self.gate.open)
            .field("tokens", &self.gate.tokens)
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// Builds the layer for a server listening on `addr`, refusing the insecure combination of a
    /// non-loopback address and no caller authentication (unless `insecure`). Refusals are
    /// counted in `refusals` by reason.
    pub fn new(
        callers: &Callers<'_>,
        addr: SocketAddr,
        store: Store,
        refusals: IntCounterVec,
    ) -> Result<Self, AuthSetupError> {
        let Callers {
            auth,
            tls,
            limits,
            insecure,
        } = *callers;
        let authenticated = auth.any_configured(tls);
        if !authenticated {
            if !addr.ip().is_loopback() && !insecure {
                return Err(AuthSetupError::Unauthenticated { addr });
            }
            tracing::warn!(
                %addr,
                "no caller authentication configured: every caller has every scope \
                 (configure [[auth.tokens]] or mTLS before exposing onramp)"
            );
        } else if tls.cert_file.is_none() && !addr.ip().is_loopback() {
            tracing::warn!(
                %addr,
                "bearer tokens travel in clear text: configure [tls] unless a proxy terminates tls"
            );
        }
        let clients = auth
            .clients
            .iter()
            .map(|client| {
                let caller = Caller {
                    name: Arc::from(client.name.as_str()),
                    scopes: client.scopes.iter().copied().collect(),
                    binding: Arc::new(client.binding()),
                };
                (client.name.clone(), caller)
            })
            .collect();
        Ok(Self {
            gate: Arc::new(Gate {
                open: !authenticated,
                tokens: TokenTable::new(&auth.tokens),
                clients,
                limiter: WriteLimiter::new(limits),
                in_flight: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
                audit: AuditLog::new(Arc::new(store)),
                refusals,
            }),
        })
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            gate: self.gate.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the router.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    gate: Arc<Gate>,
}

/// What the gate decided before the handler runs.
enum Admission {
    /// Health or reflection: no identity needed.
    Open,
    Refused(Status),
    /// A mutating call refused after the caller was known: audited.
    RefusedAudited {
        caller: Caller,
        status: Status,
    },
    Allowed {
        caller: Caller,
        mutating: bool,
    },
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for AuthService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The readied service goes into the future; a fresh clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        Box::pin(async move {
            let rpc = request.uri().path().to_owned();
            let (caller, mutating) = match gate.admit(&rpc, &request) {
                Admission::Open => return inner.call(request).await,
                Admission::Refused(status) => {
                    gate.count_refusal(&status);
                    return Ok(status.into_http());
                }
                Admission::RefusedAudited { caller, status } => {
                    gate.count_refusal(&status);
                    gate.record(&caller, &rpc, &AuditNote::default(), &status)
                        .await;
                    return Ok(status.into_http());
                }
                Admission::Allowed { caller, mutating } => (caller, mutating),
            };
            // The semaphore is never closed, so acquiring only waits.
            let _permit = gate.in_flight.clone().acquire_owned().await.ok();
            let note = mutating.then(AuditNote::default);
            if let Some(note) = &note {
                request.extensions_mut().insert(note.clone());
            }
            if !caller.binding.is_unbound() {
                // Kept answers are shared only by callers that see the same things.
                let audience = format!("{:?}", caller.binding);
                request
                    .extensions_mut()
                    .insert(Audience(Arc::from(audience)));
            }
            request.extensions_mut().insert(caller.clone());
            let response = inner.call(request).await?;
            if let Some(note) = note {
                // Unary handlers' errors are trailers-only responses, so the status is in the
                // headers; no grpc-status header means the handler answered OK.
                let status =
                    Status::from_header_map(response.headers()).unwrap_or_else(|| Status::ok(""));
                gate.record(&caller, &rpc, &note, &status).await;
            }
            Ok(response)
        })
    }
}

impl Gate {
    /// Counts a refusal by its ErrorInfo reason (a bounded enum; never the caller).
    fn count_refusal(&self, status: &tonic::Status) {
        use tonic_types::StatusExt;
        let reason = status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_else(|| format!("{:?}", status.code()));
        self.refusals.with_label_values(&[reason.as_str()]).inc();
    }

    fn admit<B>(&self, rpc: &str, request: &http::Request<B>) -> Admission {
        let policy = policy(rpc);
        if policy == Some(Policy::Open) {
            return Admission::Open;
        }
        let caller = match self.authenticate(request) {
            Ok(caller) => caller,
            Err(status) => {
                tracing::info!(
                    rpc,
                    reason = status.message(),
                    "unauthenticated call refused"
                );
                return Admission::Refused(status);
            }
        };
        let Some(Policy::Requires { scope, mutating }) = policy else {
            // Every method this server has is in the table (a test walks the descriptor set), so
            // this is a client built against a newer contract, or a typo.
            tracing::warn!(caller = %caller.name, rpc, "call to a method this server does not have");
            return Admission::Refused(status(Error::NotImplemented {
                message: format!("{rpc} is not a method of this onramp version"),
            }));
        };
        if !caller.allows(scope) {
            tracing::info!(caller = %caller.name, rpc, scope = scope.as_str(), "call without the needed scope refused");
            let status = scope_missing(scope, rpc);
            return if mutating {
                Admission::RefusedAudited { caller, status }
            } else {
                Admission::Refused(status)
            };
        }
        if mutating && let Err(retry_after) = self.limiter.check(&caller.name, Instant::now()) {
            tracing::info!(caller = %caller.name, rpc, ?retry_after, "write quota exceeded");
            let status = rate_limited(&caller.name, retry_after);
            return Admission::RefusedAudited { caller, status };
        }
        Admission::Allowed { caller, mutating }
    }

    /// A bearer token wins over a client certificate when both are presented: the token is the
    /// more specific identity (a person or tool on a shared machine).
    fn authenticate<B>(&self, request: &http::Request<B>) -> Result<Caller, Status> {
        if self.open {
            return Ok(Caller::anonymous());
        }
        if let Some(header) = request.headers().get(http::header::AUTHORIZATION) {
            let token =
                header.to_str().ok().and_then(bearer_token).ok_or_else(|| {
                    unauthenticated("authorization header is not `Bearer <token>`")
                })?;
            return match self.tokens.verify(token) {
                Ok(caller) => Ok(caller),
                Err(TokenRejection::Unknown) => {
                    Err(unauthenticated("bearer token is unknown or revoked"))
                }
                Err(TokenRejection::Revoked { name }) => {
                    tracing::warn!(caller = %name, "revoked bearer token presented");
                    Err(unauthenticated("bearer token is unknown or revoked"))
                }
            };
        }
        let leaf = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs)
            .and_then(|certs| certs.first().cloned());
        if let Some(leaf) = leaf {
            let name = tls::certificate_name(&leaf).ok_or_else(|| {
                unauthenticated("client certificate carries no DNS subject alternative name")
            })?;
            return match self.clients.get(&name) {
                Some(caller) => Ok(caller.clone()),
                None => {
                    tracing::warn!(certificate = %name, "client certificate of an unconfigured caller");
                    Err(unauthenticated(
                        "client certificate names no configured caller",
                    ))
                }
            };
        }
        Err(unauthenticated(
            "missing bearer token or client certificate",
        ))
    }

    async fn record(&self, caller: &Caller, rpc: &str, note: &AuditNote, status: &Status) {
        let reason = status
            .get_error_details()
            .error_info()
            .and_then(|info| ErrorReason::from_name(&info.reason))
            .map_or(0, ErrorReason::number);
        if let Err(error) = self
            .audit
            .append(&caller.name, rpc, note, status.code() as i32, reason)
            .await
        {
            tracing::error!(%error, caller = %caller.name, rpc, "cannot append audit record");
        }
    }
}

/// The token of an `authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthenticated(message: &str) -> Status {
    status(Error::Unauthenticated {
        message: message.to_owned(),
    })
}

/// PERMISSION_DENIED / SCOPE_MISSING with the needed scope in `ErrorInfo.metadata["scope"]`,
/// which the crate `Error` has no field for.
fn scope_missing(scope: Scope, rpc: &str) -> Status {
    status(
        Error::PermissionDenied {
            reason: ErrorReason::ScopeMissing,
            message: format!("{rpc} needs scope {}", scope.as_str()),
        }
        .with_meta("scope", scope.as_str()),
    )
}

fn rate_limited(caller: &str, retry_after: Duration) -> Status {
    // Whole milliseconds keep RetryInfo readable; never zero, or clients would spin.
    let retry_after =
        Duration::from_millis(retry_after.as_millis().clamp(1, u64::MAX as u128) as u64);
    status(Error::ResourceExhausted {
        reason: ErrorReason::CallerRateLimited,
        message: format!("caller `{caller}` is over its write quota; retry after {retry_after:?}"),
        retry_after: Some(retry_after),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn scope_missing_names_the_scope_in_metadata() {
        let status = scope_missing(Scope::OrdersWrite, "/x/Y");
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        let details = status.get_error_details();
        let info = details.error_info().expect("info");
        assert_eq!(info.reason, "SCOPE_MISSING");
        assert_eq!(
            info.metadata.get("scope").map(String::as_str),
            Some("orders.write")
        );
    }
}
