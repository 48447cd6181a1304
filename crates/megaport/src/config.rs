//! Where onramp finds Megaport and with which credentials.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Base and token URLs of one Megaport environment (megaport-api.md §1).
#[derive(Clone, PartialEq, Eq)]
pub enum Environment {
    /// Megaport's staging copy: orders are accepted but nothing is built.
    Staging,
    /// The real thing: orders cost money.
    Production,
    /// Explicit URLs: the embedded sandbox, or any other Megaport-compatible server.
    Custom { base_url: String, token_url: String },
}

impl Environment {
    pub const PRODUCTION_BASE_URL: &'static str = "https://api.megaport.com/";
    pub const PRODUCTION_TOKEN_URL: &'static str = "https://auth-m2m.megaport.com/oauth2/token";
    pub const STAGING_BASE_URL: &'static str = "https://api-staging.megaport.com/";
    pub const STAGING_TOKEN_URL: &'static str =
        "https://auth-m2m-staging.megaport.com/oauth2/token";

    /// The embedded sandbox (or any local server) at explicit URLs.
    pub fn sandbox(base_url: impl Into<String>, token_url: impl Into<String>) -> Self {
        Self::Custom {
            base_url: base_url.into(),
            token_url: token_url.into(),
        }
    }

    /// Parses a configured environment name. Unlike Megaport's CLI, an unknown name is an error
    /// rather than a silent fall-back to production, where orders cost money.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "staging" => Some(Self::Staging),
            "production" | "prod" => Some(Self::Production),
            _ => None,
        }
    }

    pub fn base_url(&self) -> &str {
        match self {
            Self::Staging => Self::STAGING_BASE_URL,
            Self::Production => Self::PRODUCTION_BASE_URL,
            Self::Custom { base_url, .. } => base_url,
        }
    }

    pub fn token_url(&self) -> &str {
        match self {
            Self::Staging => Self::STAGING_TOKEN_URL,
            Self::Production => Self::PRODUCTION_TOKEN_URL,
            Self::Custom { token_url, .. } => token_url,
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Staging => f.write_str("Staging"),
            Self::Production => f.write_str("Production"),
            Self::Custom {
                base_url,
                token_url,
            } => f
                .debug_struct("Custom")
                .field("base_url", base_url)
                .field("token_url", token_url)
                .finish(),
        }
    }
}

/// A Megaport API key: client id ("access key") and client secret ("secret key").
///
/// The secret stays inside [`SecretString`]: no Display, no Serialize, and Debug redacts it, so a
/// stray `{:?}` in a log line cannot leak it.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    /// Reads the two values from environment variables (never from flags, which show up in `ps`).
    /// Returns `None` unless both are set and non-empty.
    pub fn from_env(id_var: &str, secret_var: &str) -> Option<Self> {
        let id = std::env::var(id_var)
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        let secret = std::env::var(secret_var)
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        Some(Self::new(id.trim(), secret.trim()))
    }

    pub(crate) fn secret(&self) -> &str {
        self.client_secret.expose_secret()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let creds = Credentials::new("acme-sandbox", "canary-7f3e-secret");
        let dbg = format!("{creds:?} {creds:#?}");
        assert!(!dbg.contains("canary-7f3e-secret"), "{dbg}");
        assert!(dbg.contains("acme-sandbox"));
        assert!(dbg.contains("REDACTED"));
    }

    #[test]
    fn environments_have_megaport_urls() {
        assert_eq!(
            Environment::from_name("Staging").map(|e| e.token_url().to_owned()),
            Some(Environment::STAGING_TOKEN_URL.to_owned())
        );
        assert_eq!(
            Environment::from_name("prod").map(|e| e.base_url().to_owned()),
            Some("https://api.megaport.com/".to_owned())
        );
        assert!(Environment::from_name("dev").is_none());
        let sb = Environment::sandbox("http://127.0.0.1:1/", "http://127.0.0.1:1/oauth2/token");
        assert_eq!(sb.base_url(), "http://127.0.0.1:1/");
    }
}
