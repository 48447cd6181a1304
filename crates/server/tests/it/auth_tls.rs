//! TLS on the listener and mTLS callers. Certificates are generated at test time (rcgen); no key
//! material is committed.

use std::path::{Path, PathBuf};

use crate::support::auth::{READER, Running, config_with_tokens, with_token};
use crate::support::within;
use onramp_proto::ListCountriesRequest;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_server::auth::scopes::Scope;
use onramp_server::auth::settings::ClientSettings;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// A CA that can sign leaf certificates.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-signed");
        Self {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// (certificate PEM, key PEM) for `dns_name`.
    fn leaf(&self, dns_name: &str) -> (String, String) {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![dns_name.to_owned()]).expect("params");
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        (cert.pem(), key.serialize_pem())
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write pem");
    path
}

struct Pki {
    server_ca: Ca,
    client_ca: Ca,
    dir: PathBuf,
}

impl Pki {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("onramp-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        Self {
            server_ca: Ca::new("onramp test server ca"),
            client_ca: Ca::new("onramp test client ca"),
            dir,
        }
    }

    /// Tokens plus TLS, with mTLS callers from `client_ca`; certificates are optional so token
    /// callers can still connect when `optional`.
    fn config(&self, optional: bool) -> onramp_server::config::Config {
        let (cert, key) = self.server_ca.leaf("localhost");
        let mut config = config_with_tokens();
        config.tls.cert_file = Some(write(&self.dir, "server.pem", &cert));
        config.tls.key_file = Some(write(&self.dir, "server.key", &key));
        config.tls.client_ca_file = Some(write(&self.dir, "client-ca.pem", &self.client_ca.pem));
        config.tls.client_auth_optional = optional;
        config.auth.clients = vec![ClientSettings {
            name: "billing.clients.test".to_owned(),
            scopes: vec![Scope::CatalogRead],
            accounts: Vec::new(),
            customer_refs: Vec::new(),
        }];
        config
    }

    async fn channel(
        &self,
        addr: std::net::SocketAddr,
        client: Option<(String, String)>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.server_ca.pem))
            .domain_name("localhost");
        if let Some((cert, key)) = client {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        within(
            Endpoint::from_shared(format!("https://{addr}"))
                .expect("endpoint")
                .tls_config(tls)
                .expect("tls config")
                .connect(),
        )
        .await
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The call's status; `Code::Ok` means the caller was let through to the handler.
async fn list_countries(channel: Channel, token: Option<&str>) -> tonic::Status {
    let mut catalog = CatalogServiceClient::new(channel);
    let request = match token {
        Some(token) => with_token(ListCountriesRequest::default(), token),
        None => tonic::Request::new(ListCountriesRequest::default()),
    };
    match within(catalog.list_countries(request)).await {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

/// The call never reached onramp: it failed in the transport, not with an onramp status.
fn assert_refused_by_tls(status: &tonic::Status) {
    assert!(
        matches!(status.code(), Code::Unavailable | Code::Unknown),
        "{status:?}"
    );
    assert!(status.message().contains("transport"), "{status:?}");
}

#[tokio::test]
async fn mtls_accepts_the_right_client_certificate_and_refuses_a_wrong_one() {
    let pki = Pki::new();
    let server = Running::start(pki.config(false)).await;

    let right = pki.client_ca.leaf("billing.clients.test");
    let channel = pki
        .channel(server.addr, Some(right))
        .await
        .expect("handshake");
    assert_eq!(list_countries(channel, None).await.code(), Code::Ok);

    // Signed by a CA the server does not trust: the handshake (or the first call) fails.
    let stranger = Ca::new("somebody else's ca").leaf("billing.clients.test");
    match pki.channel(server.addr, Some(stranger)).await {
        Err(_) => {}
        Ok(channel) => {
            // TLS 1.3 finishes the client's side of the handshake before the server checks the
            // certificate, so the refusal arrives as a transport error on the first call.
            let status = list_countries(channel, None).await;
            assert_refused_by_tls(&status);
        }
    }

    // No client certificate while certificates are required.
    match pki.channel(server.addr, None).await {
        Err(_) => {}
        Ok(channel) => {
            let status = list_countries(channel, Some(READER)).await;
            assert_refused_by_tls(&status);
        }
    }
}

#[tokio::test]
async fn trusted_certificate_of_an_unconfigured_caller_is_unauthenticated() {
    let pki = Pki::new();
    let server = Running::start(pki.config(false)).await;
    let unknown = pki.client_ca.leaf("intruder.clients.test");
    let channel = pki
        .channel(server.addr, Some(unknown))
        .await
        .expect("handshake");
    assert_eq!(
        list_countries(channel, None).await.code(),
        Code::Unauthenticated
    );
}

#[tokio::test]
async fn with_optional_client_auth_a_token_over_tls_works() {
    let pki = Pki::new();
    let server = Running::start(pki.config(true)).await;
    let channel = pki.channel(server.addr, None).await.expect("handshake");
    assert_eq!(
        list_countries(channel.clone(), Some(READER)).await.code(),
        Code::Ok
    );
    assert_eq!(
        list_countries(channel, None).await.code(),
        Code::Unauthenticated
    );
}
