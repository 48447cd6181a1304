//! Endpoint secrets at rest: sealed with XChaCha20-Poly1305 under the operator's key, so a copy
//! of the database (a backup, a replica's disk) does not hold usable signing secrets. HMAC needs
//! the secret itself, so it is encrypted rather than hashed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::signing::Secret;

/// What a sealed secret starts with (the version lets the scheme change later).
const SEALED: &str = "sealed:v1:";
/// XChaCha20's nonce: random, 24 bytes.
const NONCE_BYTES: usize = 24;

/// Seals and opens secrets with one 32-byte key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Sealer(key redacted)")
    }
}

impl Sealer {
    /// A key as configured: base64 of 32 bytes. The error says what is wrong, never the key.
    pub fn from_key_text(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "is not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| format!("must be 32 bytes in base64, got {}", bytes.len()))?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
        })
    }

    /// A new key, as [`Sealer::from_key_text`] reads it.
    pub fn generate_key_text() -> String {
        STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// `sealed:v1:` + base64 of nonce and ciphertext.
    pub fn seal(&self, secret: &Secret) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce cannot fail.
        let sealed = self
            .cipher
            .encrypt(&nonce, secret.expose().as_bytes())
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{SEALED}{}", STANDARD.encode(bytes))
    }

    /// The secret a [`Sealer::seal`] stored. A stored secret that is not sealed (written before
    /// secrets were) is taken as it is.
    pub fn open(&self, stored: &str) -> Result<Secret, String> {
        let Some(sealed) = stored.strip_prefix(SEALED) else {
            return Secret::from_text(stored.to_owned()).map_err(|error| error.to_string());
        };
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| "the sealed secret is not base64".to_owned())?;
        if bytes.len() <= NONCE_BYTES {
            return Err("the sealed secret is cut short".to_owned());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().unwrap_or([0; NONCE_BYTES]);
        let opened = self
            .cipher
            .decrypt(&XNonce::from(nonce), ciphertext)
            .map_err(|_| {
                "the secret does not open with this key (was webhooks.secret_key changed?)"
                    .to_owned()
            })?;
        let text = String::from_utf8(opened).map_err(|_| "the secret is not text".to_owned())?;
        Secret::from_text(text).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only_and_shows_nothing_of_it() {
        let sealer = Sealer::from_key_text(&Sealer::generate_key_text()).expect("key");
        let secret = Secret::generate();
        let sealed = sealer.seal(&secret);
        assert!(sealed.starts_with("sealed:v1:"));
        assert!(!sealed.contains(&secret.expose()["whsec_".len()..]));
        assert_ne!(sealed, sealer.seal(&secret), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed), Ok(secret.clone()));

        let other = Sealer::from_key_text(&Sealer::generate_key_text()).expect("key");
        assert!(
            other
                .open(&sealed)
                .expect_err("other key")
                .contains("does not open")
        );
        // Written before secrets were sealed: read as it is.
        assert_eq!(sealer.open(secret.expose()), Ok(secret));
        assert!(
            Sealer::from_key_text("c2hvcnQ=")
                .expect_err("short")
                .contains("32 bytes")
        );
    }
}
