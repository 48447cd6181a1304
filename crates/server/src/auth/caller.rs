//! Who is calling (a name, its scopes and its binding), and why auth could not be set up.

use std::net::SocketAddr;
use std::sync::Arc;

use onramp_core::binding::Binding;

use super::scopes::{Scope, ScopeSet};
use super::tls;

/// The authenticated caller of a request, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The configured token name or the client certificate's DNS name; `anonymous` when the
    /// server runs open.
    pub name: Arc<str>,
    pub scopes: ScopeSet,
    /// The accounts and customers it may act for; unbound when the server runs open.
    pub binding: Arc<Binding>,
}

impl Caller {
    /// The caller of a server that runs without authentication.
    pub fn anonymous() -> Self {
        Self {
            name: Arc::from("anonymous"),
            scopes: ScopeSet::all(),
            binding: Arc::default(),
        }
    }

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
