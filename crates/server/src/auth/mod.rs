//! Who may call onramp, and how much.
//!
//! One tower layer ([`layer::AuthLayer`], applied to the whole router in `server::run`) sees every
//! request before any handler: it identifies the caller (bearer token, or mTLS client
//! certificate), looks the method up in THE scope table ([`scopes::TABLE`]; unknown methods are
//! denied), applies the per-caller write quota and the global concurrency limit, and appends
//! every mutating call to the audit log once it has ended. Request size and per-connection
//! stream caps are set on the tonic server itself.
//!
//! - [`tokens`]: SHA-256 hashed bearer tokens, compared in constant time.
//! - [`scopes`]: the RPC -> scope table.
//! - [`limits`]: the per-caller write quota.
//! - [`audit`]: the audit log and the [`audit::AuditNote`] handlers fill in.
//! - [`tls`]: rustls server config and the caller name of a client certificate.
//! - [`settings`]: the `[auth]`, `[tls]` and `[limits]` config sections.

pub mod audit;
mod caller;
pub mod layer;
pub mod limits;
pub mod scopes;
pub mod settings;
pub mod tls;
pub mod tokens;

pub use caller::{AuthSetupError, Caller};
pub use layer::AuthLayer;
