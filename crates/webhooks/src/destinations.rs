//! Which addresses a webhook may reach. Only public unicast addresses, unless the operator
//! allows a network (`webhooks.allow_networks`); and only `https`, unless the host is a literal
//! address in an allowed network. The host is resolved here and every address checked, at
//! creation and again at each connection (the sender's resolver), so a DNS answer that changes
//! after the check (DNS rebinding) still cannot reach loopback, the private networks, link-local
//! (169.254.169.254, the cloud metadata service) or the like.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

/// The networks the operator allows besides the public internet.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<IpNet>,
}

/// Why a destination is refused; the message names the address or the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "{host} resolves to {address}, a {kind} address, which webhooks may not reach (allow its network in webhooks.allow_networks)"
    )]
    NotPublic {
        host: String,
        address: IpAddr,
        kind: &'static str,
    },
    #[error("{host} does not resolve: {reason}")]
    Unresolved { host: String, reason: String },
}

impl Destinations {
    /// Parses `allowed` CIDR networks ("127.0.0.0/8", "10.1.0.0/16"); the error names the bad one.
    pub fn new(allowed: &[String]) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .map(|network| {
                network
                    .parse::<IpNet>()
                    .map_err(|_| format!("`{network}` is not a network in CIDR form (10.0.0.0/8)"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    fn allows(&self, address: IpAddr) -> bool {
        self.allowed
            .iter()
            .any(|network| network.contains(&address))
    }

    /// Why `address` may not be reached, if it may not.
    pub fn refusal(&self, host: &str, address: IpAddr) -> Option<AddressError> {
        if self.allows(address) {
            return None;
        }
        not_public(address).map(|kind| AddressError::NotPublic {
            host: host.to_owned(),
            address,
            kind,
        })
    }

    /// Checks a URL as an operator gives it: absolute http(s), no user info, https unless the
    /// host is an allowed literal address, and every address the host resolves to allowed.
    pub async fn check_url(&self, url: &str) -> Result<reqwest::Url, AddressError> {
        let bad = |why: &str| Err(AddressError::BadUrl(why.to_owned()));
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return bad("is not an absolute url");
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return bad("must not carry a user name or password");
        }
        let Some(host) = parsed.host_str().map(str::to_owned) else {
            return bad("has no host");
        };
        match parsed.scheme() {
            "https" => {}
            "http" => {
                let literal = host
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .ok()
                    .filter(|address| self.allows(*address));
                if literal.is_none() {
                    return bad(
                        "must be https (http only for an address in webhooks.allow_networks)",
                    );
                }
            }
            _ => return bad("must be https"),
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        self.resolve(&host, port).await?;
        Ok(parsed)
    }

    /// Every address of `host`, when all are allowed.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, AddressError> {
        let bare = host.trim_matches(['[', ']']);
        let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(address) => vec![SocketAddr::new(address, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|error| AddressError::Unresolved {
                    host: host.to_owned(),
                    reason: error.to_string(),
                })?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(AddressError::Unresolved {
                host: host.to_owned(),
                reason: "no addresses".to_owned(),
            });
        }
        if let Some(refusal) = addresses
            .iter()
            .find_map(|address| self.refusal(host, address.ip()))
        {
            return Err(refusal);
        }
        Ok(addresses)
    }
}

/// What kind of non-public address this is, if it is one.
fn not_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => not_public_v4(v4),
            None => not_public_v6(v6),
        },
    }
}

fn not_public_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = address.octets();
    Some(if address.is_loopback() {
        "loopback"
    } else if address.is_private() {
        "private"
    } else if address.is_link_local() {
        "link-local (cloud metadata)"
    } else if address.is_unspecified() || a == 0 {
        "unspecified"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier-grade NAT)"
    } else if address.is_multicast() || address.is_broadcast() || a >= 240 {
        "multicast, broadcast or reserved"
    } else if address.is_documentation() || (a == 198 && (18..20).contains(&b)) {
        "documentation or benchmarking"
    } else {
        return None;
    })
}

fn not_public_v6(address: Ipv6Addr) -> Option<&'static str> {
    let first = address.segments()[0];
    Some(if address.is_loopback() {
        "loopback"
    } else if address.is_unspecified() {
        "unspecified"
    } else if first & 0xfe00 == 0xfc00 {
        "private (unique local)"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local"
    } else if address.is_multicast() {
        "multicast"
    } else if first == 0x2001 && address.segments()[1] == 0x0db8 {
        "documentation"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_unless_allowed() {
        let none = Destinations::default();
        for (address, kind) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("0.0.0.0", "unspecified"),
            ("::1", "loopback"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            let address: IpAddr = address.parse().expect("address");
            assert!(
                matches!(none.refusal("h", address), Some(AddressError::NotPublic { kind: found, .. }) if found == kind),
                "{address}"
            );
        }
        for public in ["93.184.215.14", "2606:4700::6810:84e5"] {
            assert_eq!(none.refusal("h", public.parse().expect("address")), None);
        }
        let loopback = Destinations::new(&["127.0.0.0/8".to_owned()]).expect("networks");
        assert_eq!(
            loopback.refusal("h", "127.0.0.1".parse().expect("ip")),
            None
        );
        assert!(
            loopback
                .refusal("h", "169.254.169.254".parse().expect("ip"))
                .is_some()
        );
        assert!(Destinations::new(&["localhost".to_owned()]).is_err());
    }

    #[tokio::test]
    async fn urls_need_https_and_an_allowed_host() {
        let none = Destinations::default();
        let refused = none.check_url("https://127.0.0.1:8443/hook").await;
        assert!(
            matches!(refused, Err(AddressError::NotPublic { .. })),
            "{refused:?}"
        );
        let metadata = none.check_url("https://169.254.169.254/latest").await;
        assert!(matches!(metadata, Err(AddressError::NotPublic { .. })));
        let localhost = none.check_url("https://localhost/hook").await;
        assert!(
            matches!(localhost, Err(AddressError::NotPublic { .. })),
            "{localhost:?}"
        );
        assert!(matches!(
            none.check_url("http://93.184.215.14/").await,
            Err(AddressError::BadUrl(_))
        ));
        assert!(matches!(
            none.check_url("https://user:pw@93.184.215.14/").await,
            Err(AddressError::BadUrl(_))
        ));
        let loopback = Destinations::new(&["127.0.0.0/8".to_owned()]).expect("networks");
        assert!(loopback.check_url("http://127.0.0.1:9/hook").await.is_ok());
    }
}
