//! Following the orders being watched: one loop per account, fed by one listing of the
//! account's VXCs per interval (Megaport's products listing carries every VXC on the account's
//! Ports), however many orders, WatchVxcOrder streams and GetVxcOrder calls there are.
//!
//! Each watched order has a `watch` channel its streams subscribe to, so a slow stream skips to
//! the latest state rather than holding the others up. An account whose watched orders have
//! all been waiting for the key owner's approval, or in service, unchanged for a while is
//! listed less often: approvals take hours or days, a live VXC changes rarely, and each listing
//! spends Megaport's request budget. A change made through onramp is published at once. The
//! loops take the budget's background share.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use megaport::Priority;
use time::OffsetDateTime;
use tokio::sync::watch;
use tracing::Instrument;

use crate::change_feed::{FeedItem, Subscription};
use onramp_core::orders::{Order, OrderDesk, OrderState};
use onramp_store::changes::ChangeKind;

/// An order unchanged this long while it waits for approval or is in service is read at the
/// slow cadence.
const SETTLED_AFTER: Duration = Duration::from_secs(10 * 60);
/// The slow cadence is this many poll intervals (a minute at the default 5 s), at most
/// [`SLOW_CADENCE_MAX`].
const SLOW_CADENCE_FACTOR: u32 = 12;
const SLOW_CADENCE_MAX: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Default)]
struct Registry {
    /// Every followed order's channel, by order id.
    orders: HashMap<String, watch::Sender<Order>>,
    /// Accounts whose loop is running.
    accounts: HashSet<String>,
}

/// The followers of the orders being watched now.
#[derive(Debug)]
pub struct OrderFollowers {
    desk: OrderDesk,
    registry: Mutex<Registry>,
}

impl OrderFollowers {
    pub fn new(desk: OrderDesk) -> Arc<Self> {
        Arc::new(Self {
            desk,
            registry: Mutex::new(Registry::default()),
        })
    }

    /// The order's states from now on, starting with `current` (as the caller just read it)
    /// or with what its account's loop last saw, if the order is followed already.
    pub fn follow(self: &Arc<Self>, current: Order) -> watch::Receiver<Order> {
        let mut registry = self.lock();
        if let Some(sender) = registry.orders.get(&current.order_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(current.clone());
        if current.state.is_terminal() {
            return receiver;
        }
        registry.orders.insert(current.order_id.clone(), sender);
        if registry.accounts.insert(current.account.clone()) {
            let work = self.clone().run(current.account);
            // Keeps the first stream's span: the loop's Megaport reads trace under it.
            tokio::spawn(
                megaport::budget::with_priority(Priority::Background, work).in_current_span(),
            );
        }
        receiver
    }

    /// The latest state of a followed order, with no Megaport read of its own.
    pub fn latest(&self, order_id: &str) -> Option<Order> {
        let registry = self.lock();
        registry
            .orders
            .get(order_id)
            .map(|sender| sender.borrow().clone())
    }

    /// An order as a write through onramp left it, to its streams now rather than at the next
    /// listing.
    pub fn publish(&self, order: Order) {
        deliver(&mut self.lock(), order);
    }

    /// Follows the change feed: an order changed by another replica (its buy, a change, an
    /// approval seen by another replica's listing) reaches this replica's streams of it as soon
    /// as it is committed, from the store, with no Megaport read.
    pub fn spawn_feed_follower(
        self: &Arc<Self>,
        mut feed: Subscription,
    ) -> tokio::task::JoinHandle<()> {
        let followers = self.clone();
        tokio::spawn(async move {
            while let Some(item) = feed.next().await {
                let changed: Vec<String> = match &item {
                    // This replica's own order writes reach its streams directly.
                    FeedItem::Change(change)
                        if change.kind == ChangeKind::Orders && !change.own =>
                    {
                        vec![change.subject.clone()]
                    }
                    FeedItem::Change(_) => continue,
                    FeedItem::Resync => followers.lock().orders.keys().cloned().collect(),
                };
                for order_id in changed {
                    if !followers.lock().orders.contains_key(&order_id) {
                        continue;
                    }
                    match followers.desk.get(&order_id).await {
                        Ok(order) => followers.publish(order),
                        Err(error) => {
                            tracing::warn!(%order_id, %error, "cannot read a changed order");
                        }
                    }
                }
            }
        })
    }

    /// How many orders are followed now.
    pub fn count(&self) -> usize {
        self.lock().orders.len()
    }

    async fn run(self: Arc<Self>, account: String) {
        let poll_interval = self.desk.settings().poll_interval;
        // The first listing at once: a stream starts from the stored order.
        let mut wait = Duration::ZERO;
        loop {
            tokio::time::sleep(wait).await;
            let Some(order_ids) = self.watched(&account) else {
                return;
            };
            // During an outage the stored orders are served: nothing changes, nothing is sent.
            let orders = match self.desk.refresh_listed(&account, &order_ids).await {
                Ok(orders) => orders,
                Err(error) => {
                    tracing::warn!(%account, %error, "order follower listing failed");
                    wait = poll_interval;
                    continue;
                }
            };
            {
                let mut registry = self.lock();
                for order in orders {
                    deliver(&mut registry, order);
                }
            }
            let Some(next) = self.next_wait(&account, poll_interval) else {
                return;
            };
            wait = next;
        }
    }

    /// How long until the account's next listing, from the most urgent of its orders; `None`
    /// (and the loop unregistered) when none is followed any more.
    fn next_wait(&self, account: &str, poll_interval: Duration) -> Option<Duration> {
        let now = OffsetDateTime::now_utc();
        let mut registry = self.lock();
        retire_unwatched(&mut registry, account)?;
        registry
            .orders
            .values()
            .map(|sender| sender.borrow())
            .filter(|order| order.account == account)
            .map(|order| cadence(order.state, order.update_time, now, poll_interval))
            .min()
    }

    /// The account's orders that someone still watches; `None` (and the loop unregistered)
    /// when there are none.
    fn watched(&self, account: &str) -> Option<Vec<String>> {
        let mut registry = self.lock();
        retire_unwatched(&mut registry, account)?;
        Some(
            registry
                .orders
                .iter()
                .filter(|(_, sender)| sender.borrow().account == account)
                .map(|(order_id, _)| order_id.clone())
                .collect(),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sends `order` to its streams if it is followed and changed. Its streams keep a final state;
/// later watchers read it from the store.
fn deliver(registry: &mut Registry, order: Order) {
    let Some(sender) = registry.orders.get(&order.order_id) else {
        return;
    };
    let terminal = order.state.is_terminal();
    sender.send_if_modified(|seen| {
        // An older observation never replaces a newer one.
        let changed = *seen != order && seen.update_time <= order.update_time;
        if changed {
            *seen = order.clone();
        }
        changed
    });
    if terminal {
        registry.orders.remove(&order.order_id);
    }
}

/// Drops the account's orders nobody watches; when none is left, unregisters the account's
/// loop and returns `None`. Runs under the lock `follow` takes, so no stream subscribes to an
/// order or a loop that is leaving.
fn retire_unwatched(registry: &mut Registry, account: &str) -> Option<()> {
    registry
        .orders
        .retain(|_, sender| sender.borrow().account != account || sender.receiver_count() > 0);
    if registry
        .orders
        .values()
        .any(|sender| sender.borrow().account == account)
    {
        Some(())
    } else {
        registry.accounts.remove(account);
        None
    }
}

/// How long until the next read of an order in `state` since `since`: an order that has
/// waited for a decision, or been in service, unchanged for a while is read less often.
fn cadence(
    state: OrderState,
    since: OffsetDateTime,
    now: OffsetDateTime,
    poll_interval: Duration,
) -> Duration {
    let settled = now - since > SETTLED_AFTER;
    let waiting = matches!(
        state,
        OrderState::AwaitingApproval
            | OrderState::Live
            | OrderState::ChangeAwaitingApproval
            | OrderState::Cancelling
    );
    if waiting && settled {
        (poll_interval * SLOW_CADENCE_FACTOR).min(SLOW_CADENCE_MAX)
    } else {
        poll_interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_long_awaiting_approval_or_in_service_is_read_less_often() {
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
        assert_eq!(
            cadence(OrderState::Live, long_ago, now, interval),
            Duration::from_secs(60)
        );
        assert_eq!(
            cadence(OrderState::Decommissioning, long_ago, now, interval),
            interval
        );
    }
}
