//! What every resumable stream (WatchServiceKeys, WatchApprovals) does alike once it has sent
//! its snapshot or replay: where its resume token puts it, then the live part: batches past its
//! position from the broadcast, a progress tick when idle, and an end when it falls behind the
//! broadcast or the server shuts down.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::stream::Resync;
use super::token;
use crate::error::{Error, ErrorReason};
use crate::server::ShutdownSignal;

/// A batch of one revision.
pub trait Revisioned {
    fn revision(&self) -> i64;
}

/// Where a resume token puts a new stream in a history whose newest revision is `latest`: the
/// revision to replay after, a resync, or INVALID_ARGUMENT for a token no onramp issued.
pub fn resume_from(
    token_id: &str,
    resume_token: &str,
    latest: i64,
) -> Result<Result<i64, Resync>, Error> {
    match token::decode(token_id, resume_token) {
        token::Decoded::Revision(revision) if (0..=latest).contains(&revision) => Ok(Ok(revision)),
        token::Decoded::Revision(_) | token::Decoded::OtherHistory => Ok(Err(Resync::TokenUnknown)),
        token::Decoded::Malformed => Err(Error::invalid(
            "resume_token",
            "is not a token this service issued; pass one from a response unchanged",
        )
        .with_reason(ErrorReason::ResumeTokenInvalid)),
    }
}

/// What the live part of a stream yields next.
pub enum Next<B> {
    /// A batch past the stream's position, which has moved to it.
    Batch(Arc<B>),
    /// Nothing for a progress interval.
    Progress,
    /// The stream fell behind the broadcast's buffer.
    TooSlow,
    ShuttingDown,
    /// The broadcast ended.
    Closed,
}

pub struct Live<B> {
    receiver: broadcast::Receiver<Arc<B>>,
    /// The revision the stream has been brought to.
    pub position: i64,
    progress: tokio::time::Interval,
    /// Made once: a new wait per delivery would join and leave the signal's waiters (shared by
    /// every stream) each time.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl<B: Revisioned> Live<B> {
    /// `receiver` was subscribed before the stream's snapshot or replay was read, which brought
    /// it to `position`.
    pub fn new(
        receiver: broadcast::Receiver<Arc<B>>,
        position: i64,
        progress_interval: Duration,
        shutdown: ShutdownSignal,
    ) -> Self {
        let mut progress = tokio::time::interval_at(
            tokio::time::Instant::now() + progress_interval,
            progress_interval,
        );
        progress.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            receiver,
            position,
            progress,
            shutdown: Box::pin(async move {
                let mut shutdown = shutdown;
                shutdown.fired().await;
            }),
        }
    }

    pub async fn next(&mut self) -> Next<B> {
        loop {
            tokio::select! {
                biased;
                () = &mut self.shutdown => return Next::ShuttingDown,
                received = self.receiver.recv() => match received {
                    // Already in the snapshot or the replay.
                    Ok(batch) if batch.revision() <= self.position => {}
                    Ok(batch) => {
                        self.position = batch.revision();
                        return Next::Batch(batch);
                    }
                    Err(RecvError::Lagged(_)) => return Next::TooSlow,
                    Err(RecvError::Closed) => return Next::Closed,
                },
                _ = self.progress.tick() => return Next::Progress,
            }
        }
    }
}
