//! The `[auth]`, `[tls]` and `[limits]` sections of the configuration. They live here, beside the
//! code that uses them, and are fields of [`crate::config::Config`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::scopes::Scope;
use crate::settings::ConfigError;

/// Who may call onramp. Bearer tokens are stored as SHA-256 hashes only (`onramp hash-token`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Bearer tokens, each naming a caller.
    pub tokens: Vec<TokenSettings>,
    /// Callers identified by an mTLS client certificate (needs `tls.client_ca_file`); matched on
    /// the certificate's first DNS subject alternative name.
    pub clients: Vec<ClientSettings>,
}

/// One bearer token.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// The caller's name, as the audit log records it.
    pub name: String,
    /// Lowercase hex SHA-256 of the token (64 characters). The token itself is never configured.
    pub sha256: String,
    pub scopes: Vec<Scope>,
    /// A revoked token is refused but stays listed so the name is not reused by mistake.
    #[serde(default)]
    pub revoked: bool,
    /// The Megaport accounts (names from `[megaport]`) the caller may act as; empty = all.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The customer_refs whose keys, orders and approvals the caller may see and act for;
    /// empty = all.
    #[serde(default)]
    pub customer_refs: Vec<String>,
}

/// One mTLS caller.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    /// The DNS name in the client certificate's subject alternative names.
    pub name: String,
    pub scopes: Vec<Scope>,
    /// As for a token.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// As for a token.
    #[serde(default)]
    pub customer_refs: Vec<String>,
}

/// TLS on the gRPC listener (rustls).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// PEM certificate chain of the server; with `key_file`, turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the server.
    pub key_file: Option<PathBuf>,
    /// PEM CA that signs client certificates; turns mTLS on.
    pub client_ca_file: Option<PathBuf>,
    /// With a client CA: also accept connections without a client certificate (those callers
    /// then need a bearer token).
    pub client_auth_optional: bool,
}

/// Resource limits that protect onramp and the Megaport account behind it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Largest accepted request message, in bytes.
    pub max_request_bytes: usize,
    /// Concurrent HTTP/2 streams per connection (calls and watch streams).
    pub max_concurrent_streams: u32,
    /// Requests being handled at once across all connections; more wait for a slot.
    pub max_concurrent_requests: usize,
    /// Mutating calls per caller per minute, sustained.
    pub writes_per_minute: u32,
    /// Mutating calls a caller may make in a burst above the sustained rate.
    pub write_burst: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_request_bytes: 64 * 1024,
            max_concurrent_streams: 256,
            max_concurrent_requests: 1024,
            writes_per_minute: 60,
            write_burst: 20,
        }
    }
}

impl TokenSettings {
    pub fn binding(&self) -> onramp_core::binding::Binding {
        onramp_core::binding::Binding::new(
            self.accounts.iter().cloned(),
            self.customer_refs.iter().cloned(),
        )
    }
}

impl ClientSettings {
    pub fn binding(&self) -> onramp_core::binding::Binding {
        onramp_core::binding::Binding::new(
            self.accounts.iter().cloned(),
            self.customer_refs.iter().cloned(),
        )
    }
}

impl AuthSettings {
    /// Whether caller authentication is configured: any token (even if every one is revoked, so
    /// revoking the last token closes the server rather than opening it) or a client CA.
    pub fn any_configured(&self, tls: &TlsSettings) -> bool {
        !self.tokens.is_empty() || tls.client_ca_file.is_some()
    }
}

/// Checks what serde cannot: hash format, unique names, file combinations, positive limits.
pub fn validate(
    auth: &AuthSettings,
    tls: &TlsSettings,
    limits: &LimitSettings,
) -> Result<(), ConfigError> {
    let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
    let mut names = std::collections::HashSet::new();
    for token in &auth.tokens {
        if token.name.trim().is_empty() {
            return Err(invalid("auth.tokens.name", "must not be empty".to_owned()));
        }
        if !names.insert(token.name.as_str()) {
            return Err(invalid(
                "auth.tokens.name",
                format!("`{}` is configured twice", token.name),
            ));
        }
        if parse_sha256_hex(&token.sha256).is_none() {
            // The value is not echoed: someone may have pasted the token instead of its hash.
            return Err(invalid(
                "auth.tokens.sha256",
                format!(
                    "token `{}`: must be 64 hex characters (make it with `onramp hash-token`)",
                    token.name
                ),
            ));
        }
    }
    for client in &auth.clients {
        if client.name.trim().is_empty() {
            return Err(invalid("auth.clients.name", "must not be empty".to_owned()));
        }
    }
    if !auth.clients.is_empty() && tls.client_ca_file.is_none() {
        return Err(invalid(
            "auth.clients",
            "certificate callers need tls.client_ca_file".to_owned(),
        ));
    }
    if tls.cert_file.is_some() != tls.key_file.is_some() {
        return Err(invalid(
            "tls.key_file",
            "tls.cert_file and tls.key_file must be given together".to_owned(),
        ));
    }
    if tls.client_ca_file.is_some() && tls.cert_file.is_none() {
        return Err(invalid(
            "tls.client_ca_file",
            "mTLS needs the server's own tls.cert_file and tls.key_file".to_owned(),
        ));
    }
    let positive = [
        ("limits.max_request_bytes", limits.max_request_bytes as u64),
        (
            "limits.max_concurrent_streams",
            u64::from(limits.max_concurrent_streams),
        ),
        (
            "limits.max_concurrent_requests",
            limits.max_concurrent_requests as u64,
        ),
        (
            "limits.writes_per_minute",
            u64::from(limits.writes_per_minute),
        ),
        ("limits.write_burst", u64::from(limits.write_burst)),
    ];
    for (key, value) in positive {
        if value == 0 {
            return Err(invalid(key, "must be greater than 0".to_owned()));
        }
    }
    Ok(())
}

/// Parses 64 hex characters (either case) into the 32-byte digest.
pub fn parse_sha256_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, Overrides};

    #[allow(clippy::result_large_err)] // the closure's error type is figment's, not ours
    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, String> {
        let mut outcome = None;
        figment::Jail::expect_with(|jail| {
            jail.create_file("onramp.toml", toml)?;
            for (key, value) in env {
                jail.set_env(key, value);
            }
            outcome = Some(
                Config::load(Some(Path::new("onramp.toml")), &Overrides::default())
                    .map_err(|error| error.to_string()),
            );
            Ok(())
        });
        outcome.expect("jail ran")
    }

    const HASH: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn tokens_limits_and_insecure_load_from_file_and_env() {
        let config = load(
            &format!(
                "insecure = true\n[[auth.tokens]]\nname = \"ci\"\nsha256 = \"{HASH}\"\n\
                 scopes = [\"catalog.read\", \"orders.write\"]\n[limits]\nwrite_burst = 5\n"
            ),
            &[("ONRAMP_LIMITS__WRITES_PER_MINUTE", "7")],
        )
        .expect("load");
        assert!(config.insecure);
        assert_eq!(config.auth.tokens[0].name, "ci");
        assert_eq!(config.limits.write_burst, 5);
        assert_eq!(config.limits.writes_per_minute, 7);
    }

    #[test]
    fn unknown_scope_and_pasted_token_are_refused_without_echoing_the_value() {
        let error = load(
            &format!(
                "[[auth.tokens]]\nname = \"ci\"\nsha256 = \"{HASH}\"\nscopes = [\"orders.buy\"]\n"
            ),
            &[],
        )
        .expect_err("unknown scope");
        assert!(error.contains("auth.tokens"), "{error}");

        let error = load(
            "[[auth.tokens]]\nname = \"ci\"\nsha256 = \"my-secret-token\"\nscopes = []\n",
            &[],
        )
        .expect_err("not a hash");
        assert!(error.contains("auth.tokens.sha256"), "{error}");
        assert!(!error.contains("my-secret-token"), "{error}");
    }

    #[test]
    fn tokens_can_come_from_the_environment() {
        let value = format!("[{{name=\"ci\",sha256=\"{HASH}\",scopes=[\"admin\"]}}]");
        let config = load("", &[("ONRAMP_AUTH__TOKENS", &value)]).expect("load");
        assert_eq!(config.auth.tokens.len(), 1);
        assert_eq!(config.auth.tokens[0].name, "ci");
    }

    #[test]
    fn mtls_needs_a_server_certificate() {
        let error = load("[tls]\nclient_ca_file = \"ca.pem\"\n", &[]).expect_err("no cert");
        assert!(error.contains("tls.client_ca_file"), "{error}");
    }
}
