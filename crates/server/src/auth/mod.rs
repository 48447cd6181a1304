//! Who may call onramp, and how much.
//!
//! One tower layer ([`layer::AuthLayer`], applied to the whole router in `server::run`) sees every
//! request before any handler: it identifies the caller (bearer token, or mTLS client
//! certificate), looks the method up in THE scope table ([`scopes::TABLE`]; unknown methods are
//! denied), applies the per-caller write quota and the global concurrency limit, and appends
//! every mutating call to the audit log once it has ended. Request size and per-connection
//! stream caps are set on the tonic server itself.
//!
//! - [`tokens`]: SHA-256 hashed bearer tokens, compared in constant time.
//! - [`scopes`]: the RPC -> scope table.
//! - [`limits`]: the per-caller write quota.
//! - [`audit`]: the audit log and the [`audit::AuditNote`] handlers fill in.
//! - [`tls`]: rustls server config and the caller name of a client certificate.
//! - [`settings`]: the `[auth]`, `[tls]` and `[limits]` config sections.

pub mod audit;
pub mod layer;
pub mod limits;
pub mod scopes;
pub mod settings;
pub mod tls;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

pub use layer::AuthLayer;
use scopes::{Scope, ScopeSet};

/// The authenticated caller of a request, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The configured token name or the client certificate's DNS name; `anonymous` when the
    /// server runs open.
    pub name: Arc<str>,
    pub scopes: ScopeSet,
}

impl Caller {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.allows(scope)
    }
}

/// Why the server refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(
        "refusing to serve on non-loopback address {addr} without caller authentication: \
         configure [[auth.tokens]] or tls.client_ca_file, or start with --insecure \
         (config `insecure = true`)"
    )]
    Unauthenticated { addr: SocketAddr },
    #[error("tls: {0}")]
    Tls(#[from] tls::TlsError),
}
