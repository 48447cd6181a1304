//! TLS on the listener (rustls with aws-lc-rs, through tonic) and the identity of an mTLS caller.

use std::path::Path;

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::settings::TlsSettings;

/// Why TLS could not be set up. Names the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {key} file {path}: {source}")]
    Read {
        key: &'static str,
        path: String,
        source: std::io::Error,
    },
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        key,
        path: path.display().to_string(),
        source,
    })
}

/// The server TLS configuration, or `None` when `[tls]` names no certificate.
pub fn server_config(settings: &TlsSettings) -> Result<Option<ServerTlsConfig>, TlsError> {
    let (Some(cert_file), Some(key_file)) = (&settings.cert_file, &settings.key_file) else {
        return Ok(None);
    };
    let identity = Identity::from_pem(
        read("tls.cert_file", cert_file)?,
        read("tls.key_file", key_file)?,
    );
    let mut config = ServerTlsConfig::new().identity(identity);
    if let Some(ca_file) = &settings.client_ca_file {
        config = config
            .client_ca_root(Certificate::from_pem(read("tls.client_ca_file", ca_file)?))
            .client_auth_optional(settings.client_auth_optional);
    }
    Ok(Some(config))
}

/// The caller name a verified client certificate carries: its first DNS subject alternative
/// name. rustls has already checked the chain against the client CA before any request arrives.
pub fn certificate_name(leaf: &rustls_pki_types::CertificateDer<'_>) -> Option<String> {
    let cert = webpki::EndEntityCert::try_from(leaf).ok()?;
    cert.valid_dns_names().next().map(str::to_owned)
}
