//! The Megaport client's integration tests, all against the real sandbox: its faults and
//! request counters script every case (retries, deadlines, lost answers), and the same runs are
//! the client-emulator contract.

mod sandbox_support;

mod against_sandbox;
mod bad_bodies;
mod budget;
mod client;
