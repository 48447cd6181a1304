//! One WatchApprovals stream: a snapshot of the inbox (or a replay from the resume token, or a
//! resync when the token is too old or unknown), then every revision in order, progress at a
//! fixed interval, and an explicit end when it falls behind or the server shuts down. The
//! rules are those of the key watch (`crate::watch::stream`), over the inbox's history.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::ApprovalInbox;
use super::history::Changes;
use crate::error::{Error, ErrorReason};
use crate::server::ShutdownSignal;
use crate::watch::{Resync, UpstreamHealth, WatchEnd, token};
use onramp_core::approvals::Approval;

impl InboxItem {
    pub fn revision(&self) -> i64 {
        match self {
            Self::Snapshot { revision, .. } | Self::Progress { revision, .. } => *revision,
            Self::Changes(changes) => changes.revision,
        }
    }
}

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

struct Subscriber {
    inbox: Arc<ApprovalInbox>,
    receiver: broadcast::Receiver<Arc<Changes>>,
    pending: VecDeque<InboxItem>,
    position: i64,
    progress: tokio::time::Interval,
    shutdown: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    ended: bool,
}

/// The stream for one subscriber.
pub async fn watch(
    inbox: Arc<ApprovalInbox>,
    resume_token: &str,
    progress_interval: Duration,
    shutdown: ShutdownSignal,
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
    let mut progress = tokio::time::interval_at(
        tokio::time::Instant::now() + progress_interval,
        progress_interval,
    );
    progress.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let subscriber = Subscriber {
        inbox,
        receiver,
        pending,
        position,
        progress,
        shutdown: Box::pin(async move {
            let mut shutdown = shutdown;
            shutdown.fired().await;
        }),
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
    let revision = match token::decode(history.token_id(), resume_token) {
        token::Decoded::Revision(revision) => revision,
        token::Decoded::OtherHistory => return Ok(Err(Resync::TokenUnknown)),
        token::Decoded::Malformed => {
            return Err(Error::invalid(
                "resume_token",
                "is not a token this service issued; pass one from a response unchanged",
            )
            .with_reason(ErrorReason::ResumeTokenInvalid));
        }
    };
    let latest = history.revision();
    if revision > latest || revision < 0 {
        return Ok(Err(Resync::TokenUnknown));
    }
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
        loop {
            tokio::select! {
                biased;
                () = &mut self.shutdown => {
                    self.ended = true;
                    return Some(Err(WatchEnd::ShuttingDown));
                }
                received = self.receiver.recv() => match received {
                    Ok(changes) => {
                        if changes.revision <= self.position {
                            continue; // already in the snapshot or the replay
                        }
                        self.position = changes.revision;
                        return Some(Ok(InboxItem::Changes(changes)));
                    }
                    Err(RecvError::Lagged(_)) => {
                        self.ended = true;
                        return Some(Err(WatchEnd::TooSlow { revision: self.position }));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.progress.tick() => {
                    return Some(Ok(InboxItem::Progress {
                        revision: self.position,
                        health: self.inbox.health(),
                    }));
                }
            }
        }
    }
}
