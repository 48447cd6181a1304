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
//!
//! Replicas behind one IP share one window through a [`BudgetLedger`] (the database), so N
//! replicas send no more than one would.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
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

/// Where the budget's window lives when several processes send from one egress IP (replicas
/// on one database). Every process that shares a ledger must share the budget's config too.
#[async_trait::async_trait]
pub trait BudgetLedger: Send + Sync + std::fmt::Debug {
    /// Under a lock every process of the ledger takes in turn: loads the window of requests
    /// sent in the last `window_ms` by the ledger's clock (their count, the pause and the cut,
    /// then the times of the newest `times_needed(&window)` of them), lets `change` record
    /// requests (appended to `newest_ms` and counted in `count`) and set the pause and the
    /// cut, and stores that. The ledger's clock, not a process's own, places every time, so
    /// processes whose clocks disagree still share one window.
    async fn update(
        &self,
        window_ms: i64,
        times_needed: &(dyn for<'w> Fn(&'w SharedWindow) -> usize + Sync),
        change: &mut (dyn for<'w> FnMut(&'w mut SharedWindow) + Send),
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// The window as a [`BudgetLedger`] stores it, in unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedWindow {
    /// Requests sent in the window, by every process.
    pub count: u64,
    /// When the newest of them were sent, oldest first.
    pub newest_ms: Vec<i64>,
    /// Until when nothing is sent after a 429.
    pub paused_until_ms: Option<i64>,
    /// After a 429: the smaller limit and until when it holds.
    pub cut: Option<(u32, i64)>,
    /// The ledger's clock when the window was loaded, in unix milliseconds.
    pub now_ms: i64,
}

/// The requests sent in the current window, oldest first: all of them in one process; when the
/// window is shared, the count and only the times a decision needs (see
/// [`Window::times_needed`]).
#[derive(Debug, Default)]
struct Sent {
    /// Requests of the window older than the first of `times`, not loaded.
    unloaded: usize,
    /// When `unloaded` was counted: each of them was sent by then.
    counted_at: Option<Instant>,
    times: VecDeque<Instant>,
}

impl Sent {
    fn len(&self) -> usize {
        self.unloaded + self.times.len()
    }

    /// When the `n`th oldest (from 0) was sent, or at the latest, if it was not loaded.
    fn nth_oldest(&self, n: usize) -> Option<Instant> {
        match n.checked_sub(self.unloaded) {
            Some(index) => self.times.get(index).copied(),
            None => self.counted_at,
        }
    }

    fn forget_old(&mut self, window: Duration, now: Instant) {
        if self
            .counted_at
            .is_some_and(|at| now.saturating_duration_since(at) >= window)
        {
            self.unloaded = 0;
        }
        while self
            .times
            .front()
            .is_some_and(|oldest| now.saturating_duration_since(*oldest) >= window)
        {
            self.times.pop_front();
        }
    }
}

/// What the budget decides by: the requests of the window, and the pause and cut after a 429.
#[derive(Debug, Default)]
struct Window {
    sent: Sent,
    paused_until: Option<Instant>,
    /// After a 429: the smaller limit and until when it holds.
    cut: Option<(u32, Instant)>,
}

impl Window {
    fn try_admit(
        &mut self,
        config: &BudgetConfig,
        priority: Priority,
        now: Instant,
    ) -> Result<(), Throttled> {
        if let Some(until) = self.paused_until.filter(|until| *until > now) {
            return Err(Throttled {
                retry_after: until - now,
                by_megaport: true,
            });
        }
        self.sent.forget_old(config.window, now);
        let ceiling = self.ceiling(config, priority, now);
        if self.sent.len() < ceiling {
            self.sent.times.push_back(now);
            return Ok(());
        }
        // The share frees up when enough of the oldest requests have left the window.
        let leaving = self.sent.len() - ceiling;
        let frees_at = self
            .sent
            .nth_oldest(leaving)
            .map_or(now, |sent| sent + config.window);
        Err(Throttled {
            retry_after: frees_at
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
            by_megaport: false,
        })
    }

    /// How many of the newest requests' times [`Window::try_admit`] reads: none when it
    /// admits or the pause refuses, else the `ceiling` newest (the oldest of them is the one
    /// whose leaving frees a share).
    fn times_needed(&self, config: &BudgetConfig, priority: Priority, now: Instant) -> usize {
        if self.paused_until.is_some_and(|until| until > now) {
            return 0;
        }
        let ceiling = self.ceiling(config, priority, now);
        if self.sent.len() < ceiling {
            0
        } else {
            ceiling
        }
    }

    /// How many requests of the window `priority` may have used before it is refused.
    fn ceiling(&self, config: &BudgetConfig, priority: Priority, now: Instant) -> usize {
        // A cut after a 429 binds reads only: writes are rare, and the pause already waited
        // for Megaport to take requests again. The reads' shares scale with the cut.
        let share = match priority {
            Priority::Write => return config.requests as usize,
            Priority::Interactive => config.requests.saturating_sub(config.write_reserve),
            Priority::Background => config
                .requests
                .saturating_sub(config.write_reserve + config.interactive_reserve),
        };
        (u64::from(share) * u64::from(self.limit(config, now)) / u64::from(config.requests))
            as usize
    }

    fn throttled_by_megaport(
        &mut self,
        config: &BudgetConfig,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        self.sent.forget_old(config.window, now);
        let pause = retry_after.unwrap_or(config.throttled_pause);
        let until = now + pause;
        // Requests sent before the pause began answer 429 too: one burst, one cut.
        let same_burst = self.paused_until.is_some_and(|paused| paused > now);
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        // Halve, as TCP does when the network says stop: a 429 that was someone else's doing
        // costs a window at half speed, not a window of silence. Never below a quarter, so a
        // long run of 429s leaves background work a pace to recover at.
        let mut limit = self.limit(config, now);
        if !same_burst {
            limit = (limit / 2).max(config.requests / 4).max(1);
        }
        self.cut = Some((limit, now + config.window));
    }

    fn limit(&self, config: &BudgetConfig, now: Instant) -> u32 {
        match self.cut {
            Some((limit, until)) if until > now => limit,
            _ => config.requests,
        }
    }

    /// The shared window as of `now` (`now_ms` on the wall clock).
    fn from_shared(shared: &SharedWindow, now: Instant, now_ms: i64) -> Self {
        let times: VecDeque<Instant> = shared
            .newest_ms
            .iter()
            .map(|ms| instant_at(*ms, now, now_ms))
            .collect();
        Self {
            sent: Sent {
                unloaded: usize::try_from(shared.count)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(times.len()),
                counted_at: Some(now),
                times,
            },
            paused_until: shared.paused_until_ms.map(|ms| instant_at(ms, now, now_ms)),
            cut: shared
                .cut
                .map(|(limit, until)| (limit, instant_at(until, now, now_ms))),
        }
    }

    /// Writes back into `shared` what changed since [`Window::from_shared`] loaded `loaded`
    /// times: the requests recorded since, and the pause and cut. (Nothing loaded leaves the
    /// window before `now`: the ledger loaded only what is in it.)
    fn store_into(&self, shared: &mut SharedWindow, loaded: usize, now: Instant, now_ms: i64) {
        shared.newest_ms.extend(
            self.sent
                .times
                .iter()
                .skip(loaded)
                .map(|at| millis_at(*at, now, now_ms)),
        );
        shared.count = self.sent.len() as u64;
        shared.paused_until_ms = self.paused_until.map(|at| millis_at(at, now, now_ms));
        shared.cut = self
            .cut
            .map(|(limit, until)| (limit, millis_at(until, now, now_ms)));
    }
}

/// The monotonic instant of the wall-clock time `ms`, given that `now` is `now_ms`.
fn instant_at(ms: i64, now: Instant, now_ms: i64) -> Instant {
    let apart = Duration::from_millis(ms.abs_diff(now_ms));
    if ms >= now_ms {
        now + apart
    } else {
        now.checked_sub(apart).unwrap_or(now)
    }
}

/// The wall-clock time of `at`, in unix milliseconds, given that `now` is `now_ms`.
fn millis_at(at: Instant, now: Instant, now_ms: i64) -> i64 {
    let millis = |apart: Duration| i64::try_from(apart.as_millis()).unwrap_or(i64::MAX);
    if at >= now {
        now_ms.saturating_add(millis(at - now))
    } else {
        now_ms.saturating_sub(millis(now - at))
    }
}

#[derive(Debug, Default)]
struct State {
    /// When each service (lowercased key or uid) was last updated.
    updated: HashMap<String, Instant>,
    /// This process's window; with a ledger, a copy of the shared one as of the last request.
    window: Window,
    throttled: [u64; 3],
}

/// See the module documentation. Shared behind an `Arc` by every client of one egress; with a
/// [`BudgetLedger`], by every process of it.
#[derive(Debug)]
pub struct Budget {
    config: BudgetConfig,
    state: Mutex<State>,
    ledger: Option<Arc<dyn BudgetLedger>>,
}

impl Budget {
    pub fn new(config: BudgetConfig) -> Self {
        Self {
            config,
            state: Mutex::default(),
            ledger: None,
        }
    }

    /// A budget whose window every process of `ledger` shares: what one sends, the others
    /// count, and a 429 to one pauses them all.
    pub fn shared(config: BudgetConfig, ledger: Arc<dyn BudgetLedger>) -> Self {
        Self {
            ledger: Some(ledger),
            ..Self::new(config)
        }
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// Takes one request's share for `priority`, waiting for the window to move if the
    /// priority may wait and the wait ends before `deadline`.
    pub async fn admit(&self, priority: Priority, deadline: Instant) -> Result<(), Throttled> {
        loop {
            let admitted = self
                .on_window(
                    |window, now| window.times_needed(&self.config, priority, now),
                    |window, now| window.try_admit(&self.config, priority, now),
                )
                .await;
            let wait = match admitted {
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

    /// Gives back an update taken by [`Budget::admit_update`] that was not sent after all, or
    /// that Megaport refused (it changed nothing).
    pub fn forget_update(&self, service: &str) {
        self.lock().updated.remove(&service.to_ascii_lowercase());
    }

    /// Megaport answered 429: pause everyone, then run on a smaller budget for a window.
    pub async fn throttled_by_megaport(&self, retry_after: Option<Duration>) {
        self.on_window(
            |_, _| 0,
            |window, now| window.throttled_by_megaport(&self.config, retry_after, now),
        )
        .await;
    }

    /// The budget as this process last saw it (with a ledger: as of its last request).
    pub fn usage(&self) -> BudgetUsage {
        let now = Instant::now();
        let mut state = self.lock();
        state.window.sent.forget_old(self.config.window, now);
        BudgetUsage {
            used: u32::try_from(state.window.sent.len()).unwrap_or(u32::MAX),
            limit: state.window.limit(&self.config, now),
            paused_for: state
                .window
                .paused_until
                .filter(|until| *until > now)
                .map(|until| until - now),
            throttled: state.throttled,
        }
    }

    /// Runs `decide` on the window: this process's own, or under the ledger's lock on the one
    /// every process shares, loaded with the times `times_needed` says `decide` reads.
    async fn on_window<T: Send>(
        &self,
        times_needed: impl Fn(&Window, Instant) -> usize + Sync,
        mut decide: impl FnMut(&mut Window, Instant) -> T + Send,
    ) -> T {
        let Some(ledger) = &self.ledger else {
            return decide(&mut self.lock().window, Instant::now());
        };
        let now = Instant::now();
        let window_ms = i64::try_from(self.config.window.as_millis()).unwrap_or(i64::MAX);
        let mut decided = None;
        let stored = ledger
            .update(
                window_ms,
                &|shared| times_needed(&Window::from_shared(shared, now, shared.now_ms), now),
                &mut |shared| {
                    let mut window = Window::from_shared(shared, now, shared.now_ms);
                    let loaded = window.sent.times.len();
                    let outcome = decide(&mut window, now);
                    let now_ms = shared.now_ms;
                    window.store_into(shared, loaded, now, now_ms);
                    decided = Some((outcome, window));
                },
            )
            .await;
        match (stored, decided) {
            (Ok(()), Some((outcome, window))) => {
                self.lock().window = window;
                outcome
            }
            (stored, _) => {
                // Rather than stop talking to Megaport while the database is away, count on
                // this process's copy of the window (the shared one as last seen, plus its
                // own requests since).
                if let Err(error) = stored {
                    tracing::warn!(%error, "the shared megaport budget is unreachable; counting locally");
                }
                decide(&mut self.lock().window, now)
            }
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
        budget
            .throttled_by_megaport(Some(Duration::from_secs(3)))
            .await;
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
        budget.throttled_by_megaport(None).await;
        assert_eq!(budget.usage().paused_for, Some(Duration::from_secs(5)));
        assert_eq!(
            budget.usage().limit,
            2,
            "halved again, to the floor of a quarter"
        );
        // More 429s of the same burst, and after the next pause, cut no further.
        budget.throttled_by_megaport(None).await;
        tokio::time::advance(Duration::from_secs(6)).await;
        budget.throttled_by_megaport(None).await;
        assert_eq!(budget.usage().limit, 2);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(budget.usage().limit, 10, "a window after the last 429");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_each_read_share_shrinks_in_proportion() {
        let budget = small();
        budget
            .throttled_by_megaport(Some(Duration::from_secs(1)))
            .await;
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

    /// A ledger in memory, as the database keeps one for replicas.
    #[derive(Debug, Default)]
    struct MemoryLedger {
        window: Mutex<SharedWindow>,
        /// Fail every update while set, as an unreachable database does.
        down: std::sync::atomic::AtomicBool,
        /// How far the ledger's clock is ahead of this machine's.
        ahead_ms: std::sync::atomic::AtomicI64,
    }

    impl MemoryLedger {
        fn clock_ms(&self) -> i64 {
            let since_epoch = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            since_epoch.as_millis() as i64 + self.ahead_ms.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl BudgetLedger for MemoryLedger {
        async fn update(
            &self,
            window_ms: i64,
            times_needed: &(dyn for<'w> Fn(&'w SharedWindow) -> usize + Sync),
            change: &mut (dyn for<'w> FnMut(&'w mut SharedWindow) + Send),
        ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("the database is down".into());
            }
            let mut stored = self.window.lock().unwrap();
            let now_ms = self.clock_ms();
            stored.newest_ms.retain(|sent| *sent > now_ms - window_ms);
            let mut loaded = SharedWindow {
                count: stored.newest_ms.len() as u64,
                newest_ms: Vec::new(),
                now_ms,
                ..stored.clone()
            };
            let needed = times_needed(&loaded);
            loaded.newest_ms =
                stored.newest_ms[stored.newest_ms.len().saturating_sub(needed)..].to_vec();
            let before = loaded.newest_ms.len();
            change(&mut loaded);
            assert_eq!(
                loaded.count as usize - stored.newest_ms.len(),
                loaded.newest_ms.len() - before,
                "what is counted is what is appended"
            );
            stored
                .newest_ms
                .extend_from_slice(&loaded.newest_ms[before..]);
            stored.paused_until_ms = loaded.paused_until_ms;
            stored.cut = loaded.cut;
            Ok(())
        }
    }

    fn replicas(ledger: &Arc<MemoryLedger>) -> [Budget; 2] {
        [(); 2].map(|()| Budget::shared(small().config, ledger.clone()))
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(1)
    }

    #[tokio::test]
    async fn replicas_on_one_ledger_share_one_window() {
        let ledger = Arc::new(MemoryLedger::default());
        let [one, two] = replicas(&ledger);
        for _ in 0..3 {
            one.admit(Priority::Background, later()).await.unwrap();
        }
        two.admit(Priority::Background, later()).await.unwrap();
        one.admit(Priority::Background, later()).await.unwrap();
        // Background's share is 5 of 10 in all, not per replica.
        let refused = two.admit(Priority::Background, later()).await.unwrap_err();
        assert!(!refused.by_megaport);
        assert!(
            refused.retry_after > Duration::from_secs(9)
                && refused.retry_after <= Duration::from_secs(10),
            "frees up when the first request leaves the window: {:?}",
            refused.retry_after
        );
        for _ in 0..3 {
            one.admit(Priority::Interactive, later()).await.unwrap();
        }
        assert!(two.admit(Priority::Interactive, later()).await.is_err());
        assert_eq!(two.usage().used, 8, "as of its last request");
        assert_eq!(ledger.window.lock().unwrap().newest_ms.len(), 8);
    }

    #[tokio::test]
    async fn a_429_to_one_replica_pauses_and_cuts_them_all() {
        let ledger = Arc::new(MemoryLedger::default());
        let [one, two] = replicas(&ledger);
        one.throttled_by_megaport(Some(Duration::from_secs(3)))
            .await;
        let refused = two.admit(Priority::Write, later()).await.unwrap_err();
        assert!(refused.by_megaport);
        assert!(refused.retry_after > Duration::from_secs(2), "{refused:?}");
        assert_eq!(two.usage().limit, 5, "halved for every replica");
        // The second 429 of the same pause, at the other replica, cuts no further.
        two.throttled_by_megaport(Some(Duration::from_secs(3)))
            .await;
        assert_eq!(
            ledger.window.lock().unwrap().cut.map(|(limit, _)| limit),
            Some(5)
        );
        assert!(one.admit(Priority::Write, later()).await.is_err());
        assert_eq!(one.usage().limit, 5);
    }

    #[tokio::test]
    async fn without_its_ledger_a_replica_counts_on_its_last_copy() {
        let ledger = Arc::new(MemoryLedger::default());
        let [one, two] = replicas(&ledger);
        for _ in 0..4 {
            one.admit(Priority::Background, later()).await.unwrap();
        }
        ledger.down.store(true, std::sync::atomic::Ordering::SeqCst);
        // One saw 4 of background's 5; two saw none and has the whole share locally.
        one.admit(Priority::Background, later()).await.unwrap();
        let refused = one.admit(Priority::Background, later()).await.unwrap_err();
        assert!(
            refused.retry_after > Duration::from_secs(9),
            "the requests it counted but did not load leave a window after it counted them: \
             {refused:?}"
        );
        for _ in 0..5 {
            two.admit(Priority::Background, later()).await.unwrap();
        }
        ledger
            .down
            .store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            ledger.window.lock().unwrap().newest_ms.len(),
            4,
            "nothing stored while down"
        );
        assert!(two.admit(Priority::Interactive, later()).await.is_ok());
        assert_eq!(two.usage().used, 5, "back on the shared window");
    }

    #[tokio::test]
    async fn the_ledgers_clock_places_the_window_not_the_replicas() {
        let ledger = Arc::new(MemoryLedger::default());
        let [one, two] = replicas(&ledger);
        for _ in 0..5 {
            one.admit(Priority::Background, later()).await.unwrap();
        }
        assert!(two.admit(Priority::Background, later()).await.is_err());
        // The window has passed on the ledger's clock, though not on the replicas' own.
        ledger.ahead_ms.store(
            small().config.window.as_millis() as i64,
            std::sync::atomic::Ordering::SeqCst,
        );
        two.admit(Priority::Background, later()).await.unwrap();
        assert_eq!(two.usage().used, 1, "the five have left the window");
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
