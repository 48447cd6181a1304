//! Outbound webhook delivery as Standard Webhooks v1: an endpoint's secret, the signature
//! header (several during a secret rotation), and an HTTP sender that resolves a destination's
//! host itself and connects only to addresses the operator allows, so neither a URL nor a DNS
//! answer can point onramp at its own network. What to send and when (the outbox, the retry
//! schedule) is the server's; this crate sends one request well, and seals the secrets at rest.

mod destinations;
mod sealing;
mod sender;
mod signing;

pub use destinations::{AddressError, Destinations};
pub use sealing::Sealer;
pub use sender::{Answer, Sender, SenderConfig};
pub use signing::{Secret, SigningError, signature_header};
