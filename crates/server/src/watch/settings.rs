//! The `[watch]` section: how the key watcher polls and how its streams are fed.

use serde::{Deserialize, Serialize};

use crate::settings::{ConfigError, positive};

/// The service-key watcher.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// How often Megaport's key list is polled, in milliseconds.
    pub poll_interval_millis: u64,
    /// How long a stream goes without a batch before it gets a progress message, in milliseconds.
    pub progress_interval_millis: u64,
    /// How many revisions of history are kept for resuming.
    pub history_revisions: u64,
    /// Messages buffered per subscriber before it is closed as too slow.
    pub subscriber_buffer: usize,
    /// Keys per snapshot message: a large snapshot goes in chunks so no message nears gRPC's
    /// 4 MiB default limit on the client.
    pub snapshot_chunk_keys: usize,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            // 30 listings per 5 minutes: with the inbox, the events and telemetry, idle onramp
            // stays under 60 of Megaport's 500. onramp's own writes are polled for at once.
            poll_interval_millis: 10_000,
            progress_interval_millis: 15_000,
            history_revisions: 10_000,
            subscriber_buffer: 256,
            snapshot_chunk_keys: 500,
        }
    }
}

impl WatchSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("watch.poll_interval_millis", self.poll_interval_millis)?;
        positive(
            "watch.progress_interval_millis",
            self.progress_interval_millis,
        )?;
        positive("watch.history_revisions", self.history_revisions)?;
        positive("watch.subscriber_buffer", self.subscriber_buffer as u64)?;
        positive("watch.snapshot_chunk_keys", self.snapshot_chunk_keys as u64)?;
        Ok(())
    }
}
