//! The Megaport client's integration tests: against a scripted fake (exact request counts,
//! lost responses) and against the real sandbox (the client-emulator contract).

mod fake;
mod sandbox_support;

mod against_sandbox;
mod client;
