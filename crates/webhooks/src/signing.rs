//! Secrets and signatures: `whsec_` + base64 of 32 random bytes, and the `webhook-signature`
//! header value, `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per secret, space-separated.

use base64::Engine;
use rand::RngCore;

/// An endpoint's signing secret. Its `Debug` shows nothing of it: secrets never reach logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Secret(redacted)")
    }
}

impl Secret {
    /// A new secret: 32 bytes from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// A secret as stored or as shown to the operator (`whsec_...`).
    pub fn from_text(text: String) -> Result<Self, SigningError> {
        standardwebhooks::Webhook::new(&text).map_err(|_| SigningError::BadSecret)?;
        Ok(Self(text))
    }

    /// The `whsec_...` text: to store, or to show once to the operator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningError {
    #[error("the secret is not whsec_ followed by base64")]
    BadSecret,
    #[error("the body is not utf-8")]
    BodyNotUtf8,
}

/// The `webhook-signature` value for a message: one `v1,` signature per secret (the current one
/// first), so a receiver holding either secret accepts it during a rotation.
pub fn signature_header(
    secrets: &[&Secret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SigningError> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let webhook =
            standardwebhooks::Webhook::new(&secret.0).map_err(|_| SigningError::BadSecret)?;
        signatures.push(
            webhook
                .sign(id, timestamp, body)
                .map_err(|_| SigningError::BodyNotUtf8)?,
        );
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two vectors of the Standard Webhooks libraries.
    #[test]
    fn the_specs_test_vectors_sign_as_published() {
        let first =
            Secret::from_text("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into()).expect("secret");
        assert_eq!(
            signature_header(
                &[&first],
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            Ok("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=".to_owned())
        );
        let second =
            Secret::from_text("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()).expect("secret");
        assert_eq!(
            signature_header(
                &[&second],
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())
        );
        // During a rotation both sign, the new one first.
        let both = signature_header(&[&second, &first], "msg_1", 1, b"{}").expect("sign");
        assert_eq!(both.split(' ').count(), 2);
        assert!(both.split(' ').all(|one| one.starts_with("v1,")));
    }

    #[test]
    fn generated_secrets_are_fresh_and_never_printed() {
        let (a, b) = (Secret::generate(), Secret::generate());
        assert_ne!(a, b);
        assert!(a.expose().starts_with("whsec_"));
        // 32 bytes in base64: 44 characters.
        assert_eq!(a.expose().len(), "whsec_".len() + 44);
        assert_eq!(format!("{a:?}"), "Secret(redacted)");
        assert_eq!(
            Secret::from_text("whsec_!!".into()),
            Err(SigningError::BadSecret)
        );
    }
}
