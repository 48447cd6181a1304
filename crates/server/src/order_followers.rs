//! One follower per moving order, shared by every WatchVxcOrder stream on it: however many
//! customers' dashboards watch an order, onramp reads it from Megaport once per interval.
//!
//! A follower reads the order (its VXC at Megaport) at the order poll interval while anyone
//! watches and the order is not terminal, and publishes each change on a `watch` channel, so a
//! slow stream skips to the latest state rather than holding the others up. An order waiting
//! for the key owner's approval for a while is read less often: approvals take hours or days,
//! and each read spends Megaport's request budget. Followers take the budget's background
//! share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use megaport::Priority;
use time::OffsetDateTime;
use tokio::sync::watch;
use tracing::Instrument;

use onramp_core::orders::{Order, OrderDesk, OrderState};

/// An order awaiting approval longer than this is read at the slow cadence.
const APPROVAL_SETTLED_AFTER: Duration = Duration::from_secs(10 * 60);
/// The slow cadence is this many poll intervals (a minute at the default 5 s), at most
/// [`SLOW_CADENCE_MAX`].
const SLOW_CADENCE_FACTOR: u32 = 12;
const SLOW_CADENCE_MAX: Duration = Duration::from_secs(5 * 60);

/// The followers of the orders being watched now.
#[derive(Debug)]
pub struct OrderFollowers {
    desk: OrderDesk,
    followers: Mutex<HashMap<String, watch::Sender<Order>>>,
}

impl OrderFollowers {
    pub fn new(desk: OrderDesk) -> Arc<Self> {
        Arc::new(Self {
            desk,
            followers: Mutex::new(HashMap::new()),
        })
    }

    /// The order's states from now on, starting with `current` (as the caller just read it)
    /// or with what the order's follower last saw, if one is running.
    pub fn follow(self: &Arc<Self>, current: Order) -> watch::Receiver<Order> {
        let mut followers = self.lock();
        if let Some(sender) = followers.get(&current.order_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(current.clone());
        if !current.state.is_terminal() {
            followers.insert(current.order_id.clone(), sender.clone());
            let work = self.clone().run(sender);
            // Keeps the first stream's span: the follower's Megaport reads trace under it.
            tokio::spawn(
                megaport::budget::with_priority(Priority::Background, work).in_current_span(),
            );
        }
        receiver
    }

    /// How many orders are followed now.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    async fn run(self: Arc<Self>, sender: watch::Sender<Order>) {
        let order_id = sender.borrow().order_id.clone();
        let poll_interval = self.desk.settings().poll_interval;
        loop {
            let order = sender.borrow().clone();
            if order.state.is_terminal() || self.retire_if_unwatched(&sender) {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(cadence(
                    order.state,
                    order.update_time,
                    OffsetDateTime::now_utc(),
                    poll_interval,
                )) => {}
                // Every stream left: nothing more to read for.
                () = sender.closed() => continue,
            }
            // During an outage `current` serves the stored order: nothing changes.
            match self.desk.current(&order_id).await {
                Ok(latest) if latest != order => {
                    sender.send_replace(latest);
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%order_id, %error, "order follower read failed");
                }
            }
        }
        // A terminal order: later watchers read it from the store and need no follower.
        let mut followers = self.lock();
        if followers
            .get(&order_id)
            .is_some_and(|registered| registered.same_channel(&sender))
        {
            followers.remove(&order_id);
        }
    }

    /// Unregisters the follower when no stream watches it, under the lock a new stream takes
    /// to subscribe, so none subscribes to a follower that is leaving.
    fn retire_if_unwatched(&self, sender: &watch::Sender<Order>) -> bool {
        let mut followers = self.lock();
        if sender.receiver_count() > 0 {
            return false;
        }
        let order_id = &sender.borrow().order_id;
        if followers
            .get(order_id)
            .is_some_and(|registered| registered.same_channel(sender))
        {
            followers.remove(order_id);
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<Order>>> {
        self.followers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long until the next read of an order in `state` since `since`.
fn cadence(
    state: OrderState,
    since: OffsetDateTime,
    now: OffsetDateTime,
    poll_interval: Duration,
) -> Duration {
    let settled = now - since > APPROVAL_SETTLED_AFTER;
    if state == OrderState::AwaitingApproval && settled {
        (poll_interval * SLOW_CADENCE_FACTOR).min(SLOW_CADENCE_MAX)
    } else {
        poll_interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_long_awaiting_approval_is_read_less_often() {
        let interval = Duration::from_secs(5);
        let now = OffsetDateTime::now_utc();
        let awaiting = OrderState::AwaitingApproval;
        assert_eq!(cadence(awaiting, now, now, interval), interval);
        let long_ago = now - time::Duration::minutes(11);
        assert_eq!(
            cadence(awaiting, long_ago, now, interval),
            Duration::from_secs(60)
        );
        assert_eq!(
            cadence(awaiting, long_ago, now, Duration::from_secs(60)),
            SLOW_CADENCE_MAX,
            "bounded"
        );
        assert_eq!(
            cadence(OrderState::Deployable, long_ago, now, interval),
            interval
        );
    }
}
