//! Bearer tokens. Only SHA-256 hashes are configured; a presented token is hashed and compared
//! with every configured hash in constant time, so neither the token nor which entry matched
//! leaks through timing, and a stolen config file yields no usable token.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::caller::Caller;
use super::settings::{TokenSettings, parse_sha256_hex};

/// The lowercase hex SHA-256 of `token`, as `[[auth.tokens]] sha256` expects it.
pub fn hash_hex(token: &str) -> String {
    onramp_core::digest::sha256_hex(token)
}

/// Why a presented token was refused. Deliberately carries no part of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Unknown,
    /// Revoked tokens are named so operators can see who still uses one.
    Revoked {
        name: Arc<str>,
    },
}

struct Entry {
    caller: Caller,
    digest: [u8; 32],
    revoked: bool,
}

/// The configured tokens. Its `Debug` shows names and scopes, never hashes.
pub struct TokenTable {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.entries
                    .iter()
                    .map(|entry| (&*entry.caller.name, entry.caller.scopes, entry.revoked)),
            )
            .finish()
    }
}

impl TokenTable {
    /// Builds the table; entries with an unparsable hash were refused by config validation and
    /// are skipped here, so they can never match.
    pub fn new(tokens: &[TokenSettings]) -> Self {
        let entries = tokens
            .iter()
            .filter_map(|token| {
                Some(Entry {
                    caller: Caller {
                        name: Arc::from(token.name.as_str()),
                        scopes: token.scopes.iter().copied().collect(),
                        binding: Arc::new(token.binding()),
                    },
                    digest: parse_sha256_hex(&token.sha256)?,
                    revoked: token.revoked,
                })
            })
            .collect();
        Self { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller `presented` names. Every entry is compared, match or not.
    pub fn verify(&self, presented: &str) -> Result<Caller, TokenRejection> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<&Entry> = None;
        for entry in &self.entries {
            let equal: bool = entry.digest.ct_eq(&digest).into();
            if equal && found.is_none() {
                found = Some(entry);
            }
        }
        match found {
            None => Err(TokenRejection::Unknown),
            Some(entry) if entry.revoked => Err(TokenRejection::Revoked {
                name: entry.caller.name.clone(),
            }),
            Some(entry) => Ok(entry.caller.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scopes::Scope;
    use super::*;

    fn settings(name: &str, token: &str, revoked: bool) -> TokenSettings {
        TokenSettings {
            name: name.to_owned(),
            sha256: hash_hex(token),
            scopes: vec![Scope::CatalogRead],
            revoked,
            accounts: Vec::new(),
            customer_refs: vec!["acme".to_owned()],
        }
    }

    #[test]
    fn hash_is_the_known_sha256() {
        assert_eq!(
            hash_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(parse_sha256_hex(&hash_hex("abc").to_uppercase()).is_some());
        assert!(parse_sha256_hex("abc").is_none());
        assert!(parse_sha256_hex(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn known_token_maps_to_its_name_and_others_are_refused() {
        let table = TokenTable::new(&[
            settings("reader", "tok-reader", false),
            settings("old", "tok-old", true),
        ]);
        let caller = table.verify("tok-reader").expect("known");
        assert_eq!(&*caller.name, "reader");
        assert!(caller.allows(Scope::CatalogRead));
        assert!(caller.binding.sees_customer("acme"));
        assert!(!caller.binding.sees_customer("globex"));
        assert_eq!(
            table.verify("tok-other").err(),
            Some(TokenRejection::Unknown)
        );
        assert_eq!(
            table.verify("tok-old").err(),
            Some(TokenRejection::Revoked { name: "old".into() })
        );
    }

    #[test]
    fn debug_shows_no_hashes() {
        let table = TokenTable::new(&[settings("reader", "tok-reader", false)]);
        let debug = format!("{table:?}");
        assert!(debug.contains("reader"));
        assert!(!debug.contains(&hash_hex("tok-reader")));
    }
}
