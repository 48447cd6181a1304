//! What onramp learns about the provider's Ports beyond Megaport's products, collected in the
//! background inside the Megaport budget: measured traffic (`telemetry`), maintenance and
//! outages (`events`), and the last non-empty diversity zone of each Port (recorded as the
//! catalog converts products). Published as one [`PortSignals`] snapshot: a new `Arc` only
//! when something in it changed, so the on-ramp views are derived again only then.
//!
//! Freshness and the maintenance horizon depend on the clock, so [`spawn`] also
//! re-publishes once a minute (no Megaport call).
//!
//! Everything collected is persisted; replicas that do not lead (on PostgreSQL) take in what
//! the leader collected with [`Signals::spawn_follower`], so every replica ranks alike.

mod board;
mod events;
pub mod settings;
mod telemetry;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;

pub use board::{RawEvent, Signals};
pub use settings::SignalSettings;

/// Starts the collectors and the once-a-minute re-publish, until shutdown.
pub fn spawn(
    signals: &Arc<Signals>,
    catalog: Arc<Catalog>,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![tokio::spawn(board::republish(
        signals.clone(),
        shutdown.clone(),
    ))];
    if signals.settings().enabled {
        tasks.push(telemetry::spawn(
            signals.clone(),
            catalog.clone(),
            shutdown.clone(),
        ));
        tasks.push(events::spawn(signals.clone(), catalog, shutdown));
    }
    tasks
}
