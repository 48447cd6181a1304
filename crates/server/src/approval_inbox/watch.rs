//! One WatchApprovals stream: a snapshot of the inbox (or a replay from the resume token, or a
//! resync when the token is too old or unknown), then every revision in order, progress at a
//! fixed interval, and an explicit end when it falls behind or the server shuts down: the rules
//! of the key watch, over the inbox's history, with the same live part (the `revision-fanout` crate).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;

use super::ApprovalInbox;
use super::history::Changes;
use crate::error::Error;
use crate::watch::{Resync, UpstreamHealth, WatchEnd, resume_position};
use onramp_core::approvals::Approval;
use revision_fanout::{Live, Next};
use tokio_util::sync::CancellationToken;

/// What a WatchApprovals subscriber receives.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxItem {
    Snapshot {
        revision: i64,
        approvals: Arc<Vec<Approval>>,
        resync: Option<Resync>,
    },
    Changes(Arc<Changes>),
    Progress {
        revision: i64,
        health: UpstreamHealth,
    },
}

impl InboxItem {
    pub fn revision(&self) -> i64 {
        match self {
            Self::Snapshot { revision, .. } | Self::Progress { revision, .. } => *revision,
            Self::Changes(changes) => changes.revision,
        }
    }
}

struct Subscriber {
    inbox: Arc<ApprovalInbox>,
    pending: VecDeque<InboxItem>,
    live: Live<Changes>,
    ended: bool,
}

/// The stream for one subscriber.
pub async fn watch(
    inbox: Arc<ApprovalInbox>,
    resume_token: &str,
    progress_interval: Duration,
    shutdown: CancellationToken,
) -> Result<impl Stream<Item = Result<InboxItem, WatchEnd>> + Send + 'static, Error> {
    // Subscribe first, so nothing committed after the snapshot or replay is missed.
    let receiver = inbox.history.subscribe();
    let mut pending = VecDeque::new();
    let replayed = if resume_token.is_empty() {
        None
    } else {
        Some(replay_from(&inbox, resume_token).await?)
    };
    let position = match replayed {
        Some(Ok((changes, position))) => {
            pending.extend(changes.into_iter().map(InboxItem::Changes));
            pending.push_back(InboxItem::Progress {
                revision: position,
                health: inbox.health(),
            });
            position
        }
        Some(Err(resync)) => push_snapshot(&inbox, Some(resync), &mut pending).await?,
        None => push_snapshot(&inbox, None, &mut pending).await?,
    };
    let subscriber = Subscriber {
        inbox,
        pending,
        live: Live::new(receiver, position, progress_interval, shutdown),
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

async fn push_snapshot(
    inbox: &ApprovalInbox,
    resync: Option<Resync>,
    pending: &mut VecDeque<InboxItem>,
) -> Result<i64, Error> {
    let (approvals, revision) = inbox.snapshot().await?;
    pending.push_back(InboxItem::Snapshot {
        revision,
        approvals,
        resync,
    });
    Ok(revision)
}

/// The stored revisions after the token's, or why a resync is needed instead.
async fn replay_from(
    inbox: &ApprovalInbox,
    resume_token: &str,
) -> Result<Result<(Vec<Arc<Changes>>, i64), Resync>, Error> {
    let history = &inbox.history;
    let latest = history.revision();
    let revision = match resume_position(history.token_id(), resume_token, latest)? {
        Ok(revision) => revision,
        Err(resync) => return Ok(Err(resync)),
    };
    if revision == latest {
        return Ok(Ok((Vec::new(), revision)));
    }
    let changes = history.after(revision).await?;
    // The next revision the client needs must still be retained.
    if changes
        .first()
        .is_none_or(|changes| changes.revision != revision + 1)
    {
        return Ok(Err(Resync::TokenTooOld));
    }
    let position = changes.last().map_or(revision, |changes| changes.revision);
    Ok(Ok((changes.into_iter().map(Arc::new).collect(), position)))
}

impl Subscriber {
    async fn next(&mut self) -> Option<Result<InboxItem, WatchEnd>> {
        if self.ended {
            return None;
        }
        if let Some(item) = self.pending.pop_front() {
            return Some(Ok(item));
        }
        Some(match self.live.next().await {
            Next::Batch(changes) => Ok(InboxItem::Changes(changes)),
            Next::Progress => Ok(InboxItem::Progress {
                revision: self.live.position,
                health: self.inbox.health(),
            }),
            Next::TooSlow => {
                self.ended = true;
                Err(WatchEnd::TooSlow {
                    revision: self.live.position,
                })
            }
            Next::ShuttingDown => {
                self.ended = true;
                Err(WatchEnd::ShuttingDown)
            }
            Next::Closed => return None,
        })
    }
}
