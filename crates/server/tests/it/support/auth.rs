//! Shared by the `auth_*` tests: a configuration with named tokens, a way to call with a token,
//! and a server started without the plaintext channel `crate::support::TestServer` opens (for TLS).

#![allow(dead_code)]

use std::net::SocketAddr;

use onramp_server::auth::scopes::Scope;
use onramp_server::auth::settings::TokenSettings;
use onramp_server::auth::tokens::hash_hex;
use onramp_server::config::Config;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The canary caller token: it must never show up in logs or status messages.
pub(crate) const CANARY_TOKEN: &str = "canary-caller-token-5e1f0c9a77";
/// The canary Megaport secret, configured for the same reason.
pub(crate) const CANARY_SECRET: &str = "canary-megaport-secret-b41d2e";

pub(crate) const READER: &str = "reader-token-1";
pub(crate) const ADMIN: &str = "admin-token-1";
pub(crate) const REVOKED: &str = "revoked-token-1";
pub(crate) const OTHER_WRITER: &str = "other-writer-token-1";

fn token(name: &str, secret: &str, scopes: &[Scope], revoked: bool) -> TokenSettings {
    TokenSettings {
        name: name.to_owned(),
        sha256: hash_hex(secret),
        scopes: scopes.to_vec(),
        revoked,
        accounts: Vec::new(),
        customer_refs: Vec::new(),
    }
}

/// Test defaults plus tokens: `writer` (the canary), `other-writer`, `reader`, `admin`, and a
/// revoked `old-writer`.
pub(crate) fn config_with_tokens() -> Config {
    let mut config = crate::support::test_config();
    config.auth.tokens = vec![
        token(
            "writer",
            CANARY_TOKEN,
            &[Scope::CatalogRead, Scope::RegionsWrite, Scope::KeysWrite],
            false,
        ),
        token(
            "other-writer",
            OTHER_WRITER,
            &[Scope::CatalogRead, Scope::RegionsWrite],
            false,
        ),
        token(
            "reader",
            READER,
            &[Scope::CatalogRead, Scope::KeysRead, Scope::OrdersRead],
            false,
        ),
        token("admin", ADMIN, &[Scope::Admin], false),
        token("old-writer", REVOKED, &[Scope::RegionsWrite], true),
    ];
    config
}

/// A sandbox whose provider (QuantumGPU) authenticates with the canary Megaport secret, so the
/// secret really travels through onramp's Megaport client.
pub(crate) fn sandbox_with_canary_secret() -> megaport_sandbox::SandboxConfig {
    let mut config = megaport_sandbox::SandboxConfig::default();
    config.seed.companies[0].client_secret = CANARY_SECRET.to_owned();
    config
}

/// `message` with `authorization: Bearer <token>`.
pub(crate) fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header value"),
    );
    request
}

/// A server on `127.0.0.1:0` that the caller connects to itself.
pub(crate) struct Running {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), onramp_server::server::ServeError>>,
}

impl Running {
    pub(crate) async fn start(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(onramp_server::server::run(listener, config, async move {
            let _ = signal.await;
        }));
        Self {
            addr,
            shutdown: Some(shutdown),
            task,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}
