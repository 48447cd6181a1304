//! One subscriber's stream: a snapshot (or a replay from its resume token, or a resync when the
//! token is too old or unknown), then every batch in revision order, progress at a fixed
//! interval, and an explicit end when it falls behind or the server shuts down.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::batch::{Batch, UpstreamHealth};
use super::hub::WatchHub;
use super::resume::resume_position;
use crate::error::Error;
use crate::watch::events::KeyEvent;
use futures::Stream;
use onramp_core::keys::KeyView;
use onramp_core::service_keys::KeyFilter;
use revision_fanout::{Live, Next, Resync};
use tokio_util::sync::CancellationToken;

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchItem {
    Snapshot {
        revision: i64,
        keys: Vec<KeyView>,
        resync: Option<Resync>,
    },
    /// The batch of one revision, as far as the subscriber's filter takes it: the hub's own
    /// batch when the filter takes all of it (so its encoding is shared), else a new one.
    Changes(Arc<Batch>),
    Progress {
        revision: i64,
        health: UpstreamHealth,
    },
}

impl WatchItem {
    pub fn revision(&self) -> i64 {
        match self {
            Self::Snapshot { revision, .. } | Self::Progress { revision, .. } => *revision,
            Self::Changes(batch) => batch.revision,
        }
    }
}

/// How a stream ends other than by the client leaving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEnd {
    /// The subscriber fell behind its buffer; it resumes from `revision`.
    TooSlow {
        revision: i64,
    },
    ShuttingDown,
    /// The history could not be read.
    Failed(String),
}

struct Subscriber {
    hub: WatchHub,
    filter: KeyFilter,
    pending: VecDeque<WatchItem>,
    live: Live<Batch>,
    ended: bool,
}

/// The stream for one subscriber.
pub async fn watch(
    hub: WatchHub,
    filter: KeyFilter,
    resume_token: &str,
    shutdown: CancellationToken,
) -> Result<impl Stream<Item = Result<WatchItem, WatchEnd>> + Send + 'static, Error> {
    // Subscribe first, so nothing committed after the snapshot or replay is missed.
    let receiver = hub.subscribe();
    let mut pending = VecDeque::new();
    let position = if resume_token.is_empty() {
        push_snapshot(&hub, &filter, None, &mut pending)
    } else {
        match replay_from(&hub, &filter, resume_token).await? {
            Ok((items, position)) => {
                pending.extend(items);
                pending.push_back(WatchItem::Progress {
                    revision: position,
                    health: hub.health(),
                });
                position
            }
            Err(resync) => {
                let counters = hub.counters();
                match resync {
                    Resync::TokenTooOld => &counters.resyncs_too_old,
                    Resync::TokenUnknown => &counters.resyncs_unknown,
                }
                .fetch_add(1, Ordering::Relaxed);
                push_snapshot(&hub, &filter, Some(resync), &mut pending)
            }
        }
    };
    let period = Duration::from_millis(hub.settings().progress_interval_millis);
    let subscriber = Subscriber {
        hub,
        filter,
        pending,
        live: Live::new(receiver, position, period, shutdown),
        ended: false,
    };
    Ok(futures::stream::unfold(
        subscriber,
        |mut subscriber| async move {
            let item = subscriber.next().await?;
            Some((item, subscriber))
        },
    ))
}

fn push_snapshot(
    hub: &WatchHub,
    filter: &KeyFilter,
    resync: Option<Resync>,
    pending: &mut VecDeque<WatchItem>,
) -> i64 {
    let (revision, views) = hub.snapshot();
    pending.push_back(WatchItem::Snapshot {
        revision,
        keys: views
            .into_iter()
            .filter(|view| filter.matches(view))
            .collect(),
        resync,
    });
    revision
}

/// The stored batches after the token's revision, or why a resync is needed instead.
async fn replay_from(
    hub: &WatchHub,
    filter: &KeyFilter,
    resume_token: &str,
) -> Result<Result<(Vec<WatchItem>, i64), Resync>, Error> {
    let latest = hub.revision();
    let revision = match resume_position(hub.instance_id(), resume_token, latest)? {
        Ok(revision) => revision,
        Err(resync) => return Ok(Err(resync)),
    };
    if revision == latest {
        return Ok(Ok((Vec::new(), revision)));
    }
    let batches = hub.store().watch_batches_after(revision).await?;
    // The next revision the client needs must still be retained.
    if batches
        .first()
        .is_none_or(|batch| batch.revision != revision + 1)
    {
        return Ok(Err(Resync::TokenTooOld));
    }
    let mut items = Vec::new();
    let mut position = revision;
    for batch in batches {
        let events: Vec<KeyEvent> = serde_json::from_str(&batch.events_json)
            .map_err(|error| Error::internal(format!("watch history: {error}")))?;
        position = batch.revision;
        let events: Vec<KeyEvent> = events
            .into_iter()
            .filter(|event| filter.matches(&event.key))
            .collect();
        if !events.is_empty() {
            items.push(WatchItem::Changes(Arc::new(Batch::new(
                batch.revision,
                events,
            ))));
        }
    }
    Ok(Ok((items, position)))
}

impl Subscriber {
    async fn next(&mut self) -> Option<Result<WatchItem, WatchEnd>> {
        if self.ended {
            return None;
        }
        if let Some(item) = self.pending.pop_front() {
            return Some(Ok(item));
        }
        loop {
            match self.live.next().await {
                Next::Batch(batch) => {
                    let matching = batch
                        .events
                        .iter()
                        .filter(|event| self.filter.matches(&event.key))
                        .count();
                    if matching == 0 {
                        continue;
                    }
                    if matching == batch.events.len() {
                        return Some(Ok(WatchItem::Changes(batch)));
                    }
                    let events: Vec<KeyEvent> = batch
                        .events
                        .iter()
                        .filter(|event| self.filter.matches(&event.key))
                        .cloned()
                        .collect();
                    return Some(Ok(WatchItem::Changes(Arc::new(Batch::new(
                        batch.revision,
                        events,
                    )))));
                }
                Next::Progress => {
                    return Some(Ok(WatchItem::Progress {
                        revision: self.live.position,
                        health: self.hub.health(),
                    }));
                }
                Next::TooSlow => {
                    self.ended = true;
                    self.hub
                        .counters()
                        .closed_too_slow
                        .fetch_add(1, Ordering::Relaxed);
                    return Some(Err(WatchEnd::TooSlow {
                        revision: self.live.position,
                    }));
                }
                Next::ShuttingDown => {
                    self.ended = true;
                    return Some(Err(WatchEnd::ShuttingDown));
                }
                Next::Closed => return None,
            }
        }
    }
}
