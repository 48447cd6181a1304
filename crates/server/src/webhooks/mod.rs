//! Outbound webhooks: the events a change causes (`events`), written to the store's outbox in
//! the change's own transaction, and the dispatcher that sends them (`dispatcher`). The HTTP
//! sending and signing are the `onramp-webhooks` crate's; the endpoints' RPCs are in
//! `api/webhooks.rs`.

mod dispatcher;
pub(crate) mod events;
mod expiring;
pub mod settings;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use onramp_store::Store;
use onramp_webhooks::{Destinations, Sender, SenderConfig};
pub use settings::WebhookSettings;

/// What the endpoints' RPCs and the watch need of webhooks: the destination rules and a way to
/// wake the dispatcher when events were queued.
#[derive(Clone)]
pub struct Webhooks {
    pub(crate) sender: Sender,
    pub(crate) wake: Arc<Notify>,
    /// This replica's attempts by outcome, for the metrics.
    pub(crate) totals: Arc<AttemptTotals>,
    /// Which expiry thresholds this process has queued events for.
    pub(crate) expiring: Arc<expiring::Expiring>,
}

/// Attempts this replica made, by outcome (totals only grow).
#[derive(Debug, Default)]
pub(crate) struct AttemptTotals {
    pub(crate) delivered: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) gone: AtomicU64,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(settings: &WebhookSettings) -> Result<Self, String> {
        let destinations = Destinations::new(&settings.allow_networks)?;
        let sender = Sender::new(
            destinations,
            &SenderConfig {
                timeout: settings.timeout(),
                user_agent: format!("onramp-webhooks/{}", env!("CARGO_PKG_VERSION")),
            },
        )?;
        Ok(Self {
            sender,
            wake: Arc::new(Notify::new()),
            totals: Arc::default(),
            expiring: Arc::new(expiring::Expiring::new(
                settings.expiring_thresholds_seconds.clone(),
            )),
        })
    }

    pub fn destinations(&self) -> &Destinations {
        self.sender.destinations()
    }

    /// Tells this replica's dispatcher that events were queued.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    /// Queues events time caused (no change to commit them with), and wakes the dispatcher.
    pub(crate) async fn queue(
        &self,
        store: &Store,
        events: &[onramp_store::webhooks::OutboxEvent],
    ) -> Result<(), onramp_store::StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        store.enqueue_webhook_events(events).await?;
        self.queued();
        Ok(())
    }

    /// Starts the dispatcher, when webhooks are enabled; it runs on every replica (the leases
    /// keep them from sending one delivery twice at once).
    pub fn spawn_dispatcher(
        &self,
        store: Store,
        settings: &WebhookSettings,
        shutdown: CancellationToken,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if !settings.enabled {
            return None;
        }
        let dispatcher = dispatcher::Dispatcher::new(store, self.clone(), settings);
        Some(tokio::spawn(dispatcher.run(shutdown)))
    }
}
