//! One budget for the requests sent to Megaport, shared by every client of one egress.
//!
//! Megaport admits 500 API requests per rolling 5 minutes per source IP and answers 429 past
//! them, to every caller from that IP, buys included. So onramp counts what it sends over the
//! same kind of window and gives each request a share by its priority:
//! - writes (and the reads a write needs) may use the whole budget;
//! - interactive reads may use all but the writes' reserve, and fail at once when it is gone
//!   rather than queue past their caller's deadline;
//! - background work (key polling, order following, catalog refresh) may use what is left once
//!   both reserves are set aside, and waits for the window to move when it is used up.
//!
//! A 429 from Megaport means the IP's budget is smaller than ours (another tool shares the IP,
//! or Megaport counts differently): everyone stops until its Retry-After (or a minute), and for
//! one window the reads' budget is halved, again at the first 429 after each pause (the others
//! of a burst say nothing new), down to a quarter. The reads' shares shrink in proportion, so
//! background work goes on at a slower pace rather than stopping, while writes keep theirs.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::task::futures::TaskLocalFuture;
use tokio::time::Instant;

/// Who a request is for, in the order the budget serves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// A write, or a read a write needs; never starved by the others.
    Write,
    /// A read a caller waits for: a cache miss, a lookup, a validation.
    Interactive,
    /// Work nobody waits for: polling, following, refreshing.
    Background,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Write, Priority::Interactive, Priority::Background];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Write => "write",
            Priority::Interactive => "interactive",
            Priority::Background => "background",
        }
    }
}

tokio::task_local! {
    static PRIORITY: Priority;
}

/// `work` with its Megaport reads at `priority` (writes are always [`Priority::Write`]).
pub fn with_priority<F: Future>(priority: Priority, work: F) -> TaskLocalFuture<Priority, F> {
    PRIORITY.scope(priority, work)
}

/// The priority of reads made now: the innermost [`with_priority`], else interactive.
pub fn current_priority() -> Priority {
    PRIORITY
        .try_with(|priority| *priority)
        .unwrap_or(Priority::Interactive)
}

/// The budget's size and shares. Defaults: 450 requests per 5 minutes (Megaport's 500 less a
/// margin for other tools on the IP), 50 kept for writes, 100 more kept from background work,
/// and a minute's pause after a 429 without Retry-After.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetConfig {
    pub requests: u32,
    pub window: Duration,
    /// Only writes may use the last `write_reserve` requests of a window.
    pub write_reserve: u32,
    /// Background work leaves these (on top of the writes' reserve) to interactive reads.
    pub interactive_reserve: u32,
    /// How long everyone waits after a 429 that does not say.
    pub throttled_pause: Duration,
    /// Megaport takes one update per service (a key, a VXC) per this long; zero turns the
    /// local check off.
    pub service_update_interval: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            requests: 450,
            window: Duration::from_secs(300),
            write_reserve: 50,
            interactive_reserve: 100,
            throttled_pause: Duration::from_secs(60),
            service_update_interval: Duration::from_secs(300),
        }
    }
}

impl BudgetConfig {
    /// What is wrong with these numbers, if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.requests == 0 || self.window.is_zero() {
            return Err("requests and window must be greater than 0".to_owned());
        }
        if self.write_reserve + self.interactive_reserve >= self.requests {
            return Err(format!(
                "the reserves ({} for writes, {} for interactive reads) must leave background \
                 work part of the {} requests",
                self.write_reserve, self.interactive_reserve, self.requests
            ));
        }
        Ok(())
    }
}

/// Why a request was not sent: the budget had no share for it in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// When a share is expected to free up.
    pub retry_after: Duration,
    /// Megaport itself said stop (a recent 429), rather than onramp's own count.
    pub by_megaport: bool,
}

/// The budget as it stands, for metrics and health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetUsage {
    /// Requests sent in the current window.
    pub used: u32,
    /// The window's limit now (cut after a 429).
    pub limit: u32,
    /// Until when nothing is sent after a 429, if that is now.
    pub paused_for: Option<Duration>,
    /// Requests refused or delayed past their deadline, by priority (write, interactive,
    /// background).
    pub throttled: [u64; 3],
}

#[derive(Debug)]
struct State {
    /// When each service (lowercased key or uid) was last updated.
    updated: HashMap<String, Instant>,
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
    /// After a 429: the smaller limit and until when it holds.
    cut: Option<(u32, Instant)>,
    throttled: [u64; 3],
}

/// See the module documentation. Shared behind an `Arc` by every client of one egress.
#[derive(Debug)]
pub struct Budget {
    config: BudgetConfig,
    state: Mutex<State>,
}

impl Budget {
    pub fn new(config: BudgetConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State {
                updated: HashMap::new(),
                sent: VecDeque::new(),
                paused_until: None,
                cut: None,
                throttled: [0; 3],
            }),
        }
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// Takes one request's share for `priority`, waiting for the window to move if the
    /// priority may wait and the wait ends before `deadline`.
    pub async fn admit(&self, priority: Priority, deadline: Instant) -> Result<(), Throttled> {
        loop {
            let wait = match self.try_admit(priority, Instant::now()) {
                Ok(()) => return Ok(()),
                Err(wait) => wait,
            };
            let may_wait =
                priority != Priority::Interactive && Instant::now() + wait.retry_after < deadline;
            if !may_wait {
                self.lock().throttled[priority as usize] += 1;
                return Err(wait);
            }
            tokio::time::sleep(wait.retry_after).await;
        }
    }

    /// Takes the one update `service` may have per interval, or says how long until it may.
    pub fn admit_update(&self, service: &str) -> Result<(), Duration> {
        let interval = self.config.service_update_interval;
        if interval.is_zero() {
            return Ok(());
        }
        let now = Instant::now();
        let mut state = self.lock();
        state
            .updated
            .retain(|_, at| now.saturating_duration_since(*at) < interval);
        let service = service.to_ascii_lowercase();
        if let Some(at) = state.updated.get(&service) {
            return Err(interval.saturating_sub(now.saturating_duration_since(*at)));
        }
        state.updated.insert(service, now);
        Ok(())
    }

    /// Gives back an update taken by [`Budget::admit_update`] that was not sent after all.
    pub fn forget_update(&self, service: &str) {
        self.lock().updated.remove(&service.to_ascii_lowercase());
    }

    /// Megaport answered 429: pause everyone, then run on a smaller budget for a window.
    pub fn throttled_by_megaport(&self, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.lock();
        forget_old(&mut state.sent, self.config.window, now);
        let pause = retry_after.unwrap_or(self.config.throttled_pause);
        let until = now + pause;
        // Requests sent before the pause began answer 429 too: one burst, one cut.
        let same_burst = state.paused_until.is_some_and(|paused| paused > now);
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        // Halve, as TCP does when the network says stop: a 429 that was someone else's doing
        // costs a window at half speed, not a window of silence. Never below a quarter, so a
        // long run of 429s leaves background work a pace to recover at.
        let mut limit = self.limit(&state, now);
        if !same_burst {
            limit = (limit / 2).max(self.config.requests / 4).max(1);
        }
        state.cut = Some((limit, now + self.config.window));
    }

    pub fn usage(&self) -> BudgetUsage {
        let now = Instant::now();
        let mut state = self.lock();
        forget_old(&mut state.sent, self.config.window, now);
        BudgetUsage {
            used: u32::try_from(state.sent.len()).unwrap_or(u32::MAX),
            limit: self.limit(&state, now),
            paused_for: state
                .paused_until
                .filter(|until| *until > now)
                .map(|until| until - now),
            throttled: state.throttled,
        }
    }

    fn try_admit(&self, priority: Priority, now: Instant) -> Result<(), Throttled> {
        let mut state = self.lock();
        if let Some(until) = state.paused_until.filter(|until| *until > now) {
            return Err(Throttled {
                retry_after: until - now,
                by_megaport: true,
            });
        }
        forget_old(&mut state.sent, self.config.window, now);
        // A cut after a 429 binds reads only: writes are rare, and the pause already waited
        // for Megaport to take requests again. The reads' shares scale with the cut.
        let share = match priority {
            Priority::Write => self.config.requests,
            Priority::Interactive => self
                .config
                .requests
                .saturating_sub(self.config.write_reserve),
            Priority::Background => self
                .config
                .requests
                .saturating_sub(self.config.write_reserve + self.config.interactive_reserve),
        };
        let ceiling = if priority == Priority::Write {
            share as usize
        } else {
            (u64::from(share) * u64::from(self.limit(&state, now))
                / u64::from(self.config.requests)) as usize
        };
        if state.sent.len() < ceiling {
            state.sent.push_back(now);
            return Ok(());
        }
        // The share frees up when enough of the oldest requests have left the window.
        let leaving = state.sent.len() - ceiling;
        let frees_at = state
            .sent
            .get(leaving)
            .map_or(now, |sent| *sent + self.config.window);
        Err(Throttled {
            retry_after: frees_at
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
            by_megaport: false,
        })
    }

    fn limit(&self, state: &State, now: Instant) -> u32 {
        match state.cut {
            Some((limit, until)) if until > now => limit,
            _ => self.config.requests,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a count; a panic elsewhere cannot leave it unusable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(BudgetConfig::default())
    }
}

fn forget_old(sent: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while sent
        .front()
        .is_some_and(|oldest| now.saturating_duration_since(*oldest) >= window)
    {
        sent.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Budget {
        Budget::new(BudgetConfig {
            requests: 10,
            window: Duration::from_secs(10),
            write_reserve: 2,
            interactive_reserve: 3,
            throttled_pause: Duration::from_secs(5),
            service_update_interval: Duration::from_secs(300),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn one_update_per_service_per_interval() {
        let budget = small();
        assert_eq!(budget.admit_update("KEY-1"), Ok(()));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(budget.admit_update("key-1"), Err(Duration::from_secs(240)));
        assert_eq!(budget.admit_update("key-2"), Ok(()));
        tokio::time::advance(Duration::from_secs(240)).await;
        assert_eq!(budget.admit_update("key-1"), Ok(()));
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(1)
    }

    #[tokio::test(start_paused = true)]
    async fn each_priority_stops_at_its_share_and_writes_keep_theirs() {
        let budget = small();
        for _ in 0..5 {
            budget.admit(Priority::Background, soon()).await.unwrap();
        }
        let refused = budget
            .admit(Priority::Background, soon())
            .await
            .unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(10));
        assert!(!refused.by_megaport);
        for _ in 0..3 {
            budget.admit(Priority::Interactive, soon()).await.unwrap();
        }
        assert!(budget.admit(Priority::Interactive, soon()).await.is_err());
        budget.admit(Priority::Write, soon()).await.unwrap();
        budget.admit(Priority::Write, soon()).await.unwrap();
        assert!(budget.admit(Priority::Write, soon()).await.is_err());
        let usage = budget.usage();
        assert_eq!((usage.used, usage.limit), (10, 10));
        assert_eq!(usage.throttled, [1, 1, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn background_waits_for_the_window_and_interactive_does_not() {
        let budget = small();
        for _ in 0..5 {
            budget.admit(Priority::Background, soon()).await.unwrap();
        }
        let started = Instant::now();
        let far = started + Duration::from_secs(60);
        budget.admit(Priority::Background, far).await.unwrap();
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(10),
            "waited for the window"
        );
        for _ in 0..7 {
            budget.admit(Priority::Interactive, far).await.unwrap();
        }
        let started = Instant::now();
        assert!(budget.admit(Priority::Interactive, far).await.is_err());
        assert_eq!(started.elapsed(), Duration::ZERO, "failed at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_then_cuts_the_budget_for_a_window() {
        let budget = small();
        for _ in 0..4 {
            budget.admit(Priority::Interactive, soon()).await.unwrap();
        }
        budget.throttled_by_megaport(Some(Duration::from_secs(3)));
        let refused = budget.admit(Priority::Write, soon()).await.unwrap_err();
        assert!(refused.by_megaport);
        assert_eq!(refused.retry_after, Duration::from_secs(3));
        assert_eq!(budget.usage().limit, 5, "halved");
        // A write waits out the pause when its deadline allows.
        let started = Instant::now();
        budget
            .admit(Priority::Write, started + Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        // Without Retry-After the pause is the configured one; the cut ends a window later.
        budget.throttled_by_megaport(None);
        assert_eq!(budget.usage().paused_for, Some(Duration::from_secs(5)));
        assert_eq!(
            budget.usage().limit,
            2,
            "halved again, to the floor of a quarter"
        );
        // More 429s of the same burst, and after the next pause, cut no further.
        budget.throttled_by_megaport(None);
        tokio::time::advance(Duration::from_secs(6)).await;
        budget.throttled_by_megaport(None);
        assert_eq!(budget.usage().limit, 2);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(budget.usage().limit, 10, "a window after the last 429");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_each_read_share_shrinks_in_proportion() {
        let budget = small();
        budget.throttled_by_megaport(Some(Duration::from_secs(1)));
        tokio::time::advance(Duration::from_secs(1)).await;
        // Limit 5 of 10: background 5 * 5/10 = 2, interactive 8 * 5/10 = 4, writes all 10.
        for _ in 0..2 {
            budget.admit(Priority::Background, soon()).await.unwrap();
        }
        assert!(budget.admit(Priority::Background, soon()).await.is_err());
        for _ in 0..2 {
            budget.admit(Priority::Interactive, soon()).await.unwrap();
        }
        assert!(budget.admit(Priority::Interactive, soon()).await.is_err());
        for _ in 0..6 {
            budget.admit(Priority::Write, soon()).await.unwrap();
        }
        assert!(budget.admit(Priority::Write, soon()).await.is_err());
    }

    #[test]
    fn reserves_must_leave_background_a_share() {
        let config = BudgetConfig {
            requests: 100,
            write_reserve: 50,
            interactive_reserve: 50,
            ..BudgetConfig::default()
        };
        assert!(
            config
                .check()
                .unwrap_err()
                .contains("must leave background")
        );
        assert!(BudgetConfig::default().check().is_ok());
    }

    #[tokio::test]
    async fn priority_comes_from_the_innermost_scope() {
        assert_eq!(current_priority(), Priority::Interactive);
        let inner = with_priority(Priority::Background, async {
            with_priority(Priority::Write, async { current_priority() }).await
        })
        .await;
        assert_eq!(inner, Priority::Write);
    }
}
