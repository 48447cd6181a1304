//! What every resumable stream does alike once it has sent
//! its snapshot or replay: where its resume token puts it, then the live part: batches past its
//! position from the broadcast, a progress tick when idle, and an end when it falls behind the
//! broadcast or the server shuts down.
//!
//! Progress is for idle streams only: a tick finding that the stream sent a batch since the
//! tick before sends nothing, since that batch already moved the watcher's token forward. A
//! stream so is idle at least one interval and at most two before its progress; 100,000 busy
//! streams send no progress at all rather than 100,000 messages per interval on top of their
//! changes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use tokio_util::sync::CancellationToken;

use crate::token;

/// Why a snapshot was sent instead of the replay a token asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resync {
    /// The token's revision is older than the retained history.
    TokenTooOld,
    /// The token is from another history, or ahead of this one.
    TokenUnknown,
}

/// A batch of one revision.
pub trait Revisioned {
    fn revision(&self) -> i64;
}

/// A resume token that no history issued: a client bug, to be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedToken;

/// Where a resume token puts a new stream in the history `history_id` whose newest revision is
/// `latest`: the revision to replay after, a resync, or [`MalformedToken`].
pub fn resume_from(
    history_id: &str,
    resume_token: &str,
    latest: i64,
) -> Result<Result<i64, Resync>, MalformedToken> {
    match token::decode(history_id, resume_token) {
        token::Decoded::Revision(revision) if (0..=latest).contains(&revision) => Ok(Ok(revision)),
        token::Decoded::Revision(_) | token::Decoded::OtherHistory => Ok(Err(Resync::TokenUnknown)),
        token::Decoded::Malformed => Err(MalformedToken),
    }
}

/// What the live part of a stream yields next.
pub enum Next<B> {
    /// A batch past the stream's position, which has moved to it.
    Batch(Arc<B>),
    /// Nothing for a progress interval (one to two intervals, see the module's comment).
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
    /// Whether a batch was returned since the last progress tick.
    busy: bool,
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
        shutdown: CancellationToken,
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
            busy: false,
            shutdown: Box::pin(shutdown.cancelled_owned()),
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
                        self.busy = true;
                        return Next::Batch(batch);
                    }
                    Err(RecvError::Lagged(_)) => return Next::TooSlow,
                    Err(RecvError::Closed) => return Next::Closed,
                },
                _ = self.progress.tick() => {
                    if !std::mem::take(&mut self.busy) {
                        return Next::Progress;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct At(i64);

    impl Revisioned for At {
        fn revision(&self) -> i64 {
            self.0
        }
    }

    fn revision(next: &Next<At>) -> Option<i64> {
        match next {
            Next::Batch(batch) => Some(batch.0),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn progress_comes_only_after_an_interval_without_a_batch() {
        let (sender, receiver) = broadcast::channel(8);
        let interval = Duration::from_secs(10);
        let mut live = Live::new(receiver, 0, interval, CancellationToken::new());
        let started = tokio::time::Instant::now();

        // Idle from the start: progress after one interval.
        assert!(matches!(live.next().await, Next::Progress));
        assert_eq!(started.elapsed(), interval);

        // A batch at 15 s: the tick at 20 s finds the stream busy, the one at 30 s idle.
        tokio::time::sleep(Duration::from_secs(5)).await;
        sender.send(Arc::new(At(1))).ok();
        assert_eq!(revision(&live.next().await), Some(1));
        assert!(matches!(live.next().await, Next::Progress));
        assert_eq!(started.elapsed(), 3 * interval);

        // A batch every 5 s: no progress at all.
        for at in 2..8 {
            tokio::time::sleep(Duration::from_secs(5)).await;
            sender.send(Arc::new(At(at))).ok();
            assert_eq!(revision(&live.next().await), Some(at));
        }
        // Then idle again: the tick after the last batch is skipped, the next one is sent.
        let last_batch = started.elapsed();
        assert!(matches!(live.next().await, Next::Progress));
        assert!(started.elapsed() - last_batch >= interval);
        assert!(started.elapsed() - last_batch <= 2 * interval);
    }
}
