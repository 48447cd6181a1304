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
use onramp_webhooks::{Destinations, Sealer, Secret, Sender, SenderConfig};
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
    /// Seals endpoint secrets at rest; `None` on PostgreSQL without `webhooks.secret_key`.
    pub(crate) sealer: Option<Sealer>,
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

/// Where onramp keeps the sealing key it made itself (SQLite, no `webhooks.secret_key`).
const KEY_FILE: &str = "webhook-secrets.key";

/// The sealing key: the configured one, else on SQLite the one in the data directory (made
/// there, readable by onramp's user only, on first use); none on PostgreSQL, whose replicas
/// must share one.
fn sealer(
    settings: &WebhookSettings,
    data_dir: &std::path::Path,
    backend: onramp_store::Backend,
) -> Result<Option<Sealer>, String> {
    use secrecy::ExposeSecret;
    if let Some(key) = &settings.secret_key {
        return Sealer::from_key_text(key.expose_secret())
            .map(Some)
            .map_err(|problem| format!("webhooks.secret_key {problem}"));
    }
    if backend == onramp_store::Backend::Postgres {
        return Ok(None);
    }
    let path = data_dir.join(KEY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let text = Sealer::generate_key_text();
            write_private(&path, &text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            text
        }
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    Sealer::from_key_text(&text)
        .map(Some)
        .map_err(|problem| format!("{} {problem}", path.display()))
}

/// Writes a file only its owner may read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

impl Webhooks {
    pub fn new(
        settings: &WebhookSettings,
        data_dir: &std::path::Path,
        backend: onramp_store::Backend,
    ) -> Result<Self, String> {
        let sealer = sealer(settings, data_dir, backend)?;
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
            sealer,
        })
    }

    pub fn destinations(&self) -> &Destinations {
        self.sender.destinations()
    }

    /// A secret as stored: sealed, or refused where no key is set (PostgreSQL without
    /// `webhooks.secret_key`, whose replicas must share one).
    pub(crate) fn seal(&self, secret: &Secret) -> Result<String, onramp_core::Error> {
        match &self.sealer {
            Some(sealer) => Ok(sealer.seal(secret)),
            None => Err(onramp_core::Error::FailedPrecondition {
                reason: onramp_core::ErrorReason::WebhooksNotConfigured,
                message: "set webhooks.secret_key (the same on every replica) to keep webhook \
                          endpoints on PostgreSQL"
                    .to_owned(),
            }),
        }
    }

    /// The secret a [`Webhooks::seal`] stored.
    pub(crate) fn open(&self, stored: &str) -> Result<Secret, String> {
        match &self.sealer {
            Some(sealer) => sealer.open(stored),
            None => Secret::from_text(stored.to_owned()).map_err(|error| error.to_string()),
        }
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
