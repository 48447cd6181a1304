//! Sends one signed request: POST, JSON body, the three `webhook-` headers, no redirects
//! followed (a 3xx is an answer like any other), a timeout, and connections only to allowed
//! addresses (the client resolves through [`Destinations`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::destinations::Destinations;

/// How the sender behaves.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// The whole request, connection included.
    pub timeout: Duration,
    pub user_agent: String,
}

/// An endpoint's answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, when one came back.
    pub status: Option<u16>,
    /// The `retry-after` the endpoint asked for (seconds form).
    pub retry_after: Option<Duration>,
    /// What went wrong, lowercase; empty on a 2xx.
    pub error: String,
}

impl Answer {
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    fn failed(error: String) -> Self {
        Self {
            status: None,
            retry_after: None,
            error,
        }
    }
}

/// The HTTP client of every delivery.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    destinations: Arc<Destinations>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// reqwest's resolver, through the destination rules: a host that resolves to a refused address
/// fails to connect.
struct CheckedResolver(Arc<Destinations>);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let destinations = self.0.clone();
        Box::pin(async move {
            let addresses = destinations
                .resolve(name.as_str(), 0)
                .await
                .map_err(|error| -> Box<dyn std::error::Error + Send + Sync> { Box::new(error) })?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

impl Sender {
    pub fn new(destinations: Destinations, config: &SenderConfig) -> Result<Self, String> {
        let destinations = Arc::new(destinations);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .dns_resolver(Arc::new(CheckedResolver(destinations.clone())))
            .build()
            .map_err(|error| error.to_string())?;
        Ok(Self {
            client,
            destinations,
        })
    }

    pub fn destinations(&self) -> &Destinations {
        &self.destinations
    }

    /// POSTs `body` to `url` with the Standard Webhooks headers.
    pub async fn send(
        &self,
        url: &str,
        id: &str,
        timestamp: i64,
        signature: &str,
        body: String,
    ) -> Answer {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Answer::failed("the endpoint's url does not parse".to_owned());
        };
        // A literal address is not resolved, so the resolver never sees it: check it here.
        if let Some(host) = parsed.host_str()
            && let Ok(address) = host.trim_matches(['[', ']']).parse::<IpAddr>()
            && let Some(refusal) = self.destinations.refusal(host, address)
        {
            return Answer::failed(refusal.to_string());
        }
        let sent = self
            .client
            .post(parsed)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Answer {
                    status: Some(status.as_u16()),
                    retry_after,
                    error: if status.is_success() {
                        String::new()
                    } else {
                        format!("the endpoint answered {}", status.as_u16())
                    },
                }
            }
            Err(error) => Answer::failed(describe(&error)),
        }
    }
}

/// A failed request in a few words, with the cause (a refused address names it).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut deepest = None;
    while let Some(inner) = cause {
        deepest = Some(inner.to_string());
        cause = inner.source();
    }
    match deepest {
        Some(deepest) => format!("{what}: {deepest}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(allowed: &[&str]) -> Sender {
        let allowed: Vec<String> = allowed
            .iter()
            .map(|network| (*network).to_owned())
            .collect();
        Sender::new(
            Destinations::new(&allowed).expect("networks"),
            &SenderConfig {
                timeout: Duration::from_secs(5),
                user_agent: "test".into(),
            },
        )
        .expect("sender")
    }

    /// At delivery time too: a literal address is checked before sending, and a name through
    /// the resolver at connection time (what DNS rebinding would change after creation).
    #[tokio::test]
    async fn refused_addresses_are_not_connected_to_at_delivery_time() {
        let none = sender(&[]);
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://169.254.169.254/latest",
        ] {
            let answer = none.send(url, "msg_1", 1, "v1,x", "{}".into()).await;
            assert_eq!(answer.status, None, "{url}");
            assert!(
                answer.error.contains("which webhooks may not reach"),
                "{url}: {}",
                answer.error
            );
        }
        // Allowed, the same loopback address is connected to (nothing listens on port 9).
        let loopback = sender(&["127.0.0.0/8"]);
        let answer = loopback
            .send("http://127.0.0.1:9/hook", "msg_1", 1, "v1,x", "{}".into())
            .await;
        assert!(
            answer.error.starts_with("could not connect"),
            "{}",
            answer.error
        );
    }
}
