//! The sandbox's integration tests: the guide over plain HTTP, Megaport's rules and messages,
//! authentication, the control endpoints and every fault kind.

mod support;

mod approvals;
mod auth;
mod cli;
mod control;
mod faults;
mod guide;
mod limits;
mod rules;
mod signals;
