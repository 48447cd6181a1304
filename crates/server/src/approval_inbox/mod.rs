//! The provider's approval inbox: Megaport's order approvals of the provider's account, read in
//! the background once per `approvals.poll_interval_seconds` (newest first, pages of 100, at
//! background priority: one request per interval for up to 100 approvals), so ListApprovals
//! does not call Megaport. Each approval is shown with the key and customer_ref behind its VXC,
//! from the key watcher's views, and the provider's Port from the catalog, as of the read.
//! Each read that finds approvals new or changed commits a revision to the inbox's history
//! (`history`), which WatchApprovals streams follow (`watch`).
//!
//! A decision goes to Megaport at once. It is safe to retry: a repeat of a decision that went
//! through returns the approval (`core::approvals::decision`), and after a decision whose outcome
//! is unknown the inbox is read again to see what happened.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use megaport::models;
use megaport::{MegaportClient, Priority};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::auth::audit::{AuditLog, AuditNote};
use crate::catalog::Catalog;
use crate::change_feed::{FeedItem, Subscription};
use crate::error::{Error, ErrorReason};
use crate::watch::{Health, UpstreamHealth, WatchHub};
use onramp_core::Inventory;
use onramp_core::approvals::{
    self, Approval, ApprovalKind, ApprovalStatus, AutoApproveRule, Decision,
};
use onramp_core::binding::Binding;
use onramp_core::onramps::{KindName, PortRef};
use onramp_store::changes::ChangeKind;
use tokio_util::sync::CancellationToken;

mod history;
pub mod settings;
pub mod watch;

pub use history::{Changes, History};

/// Megaport's largest page.
const PAGE_SIZE: u32 = 100;
/// At most this many pages per read (10,000 approvals, newest first).
const MAX_PAGES: u32 = 100;
/// How long one read of the inbox (all its pages) may take.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The method an automatic decision is audited as.
const APPROVE_RPC: &str = "/onramp.v1.ApprovalService/ApproveApproval";
/// Failed reads in a row after which the inbox counts as unavailable rather than degraded.
const FAILURES_UNAVAILABLE: u32 = 3;

/// The inbox as last read, with the key and customer behind each approval as of that read.
struct Snapshot {
    approvals: Arc<Vec<Approval>>,
    read_at: OffsetDateTime,
    /// The history's revision these approvals are at.
    revision: i64,
}

/// The auto-approval policy and where its decisions are recorded.
pub struct AutoApprove {
    pub rules: Vec<AutoApproveRule>,
    pub audit: AuditLog,
}

#[derive(Debug)]
struct ReadHealth {
    health: UpstreamHealth,
    failures: u32,
}

pub struct ApprovalInbox {
    client: MegaportClient,
    /// Configures the provider's end (MCR, MVE) before a new order is approved.
    peering: Arc<crate::peering::PeeringSender>,
    catalog: Arc<Catalog>,
    hub: WatchHub,
    interval: Duration,
    history: History,
    auto: AutoApprove,
    /// Approvals the policy has decided (or tried to): each is decided automatically at most
    /// once per process, so a refusal is left to the provider rather than retried each read.
    auto_decided: Mutex<std::collections::HashSet<String>>,
    snapshot: Mutex<Option<Snapshot>>,
    health: Mutex<ReadHealth>,
    /// One read of Megaport at a time: commits to the history are in read order.
    reading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ApprovalInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalInbox").finish_non_exhaustive()
    }
}

impl ApprovalInbox {
    pub fn new(
        client: MegaportClient,
        catalog: Arc<Catalog>,
        hub: WatchHub,
        interval: Duration,
        history: History,
        auto: AutoApprove,
        peering: Arc<crate::peering::PeeringSender>,
    ) -> Arc<Self> {
        Arc::new(Self {
            peering,
            client,
            catalog,
            hub,
            interval,
            history,
            auto,
            auto_decided: Mutex::new(std::collections::HashSet::new()),
            snapshot: Mutex::new(None),
            health: Mutex::new(ReadHealth {
                health: UpstreamHealth {
                    status: Health::Unavailable,
                    last_success: None,
                    message: "not read yet".to_owned(),
                },
                failures: 0,
            }),
            reading: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Snapshot>> {
        self.snapshot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn health_lock(&self) -> MutexGuard<'_, ReadHealth> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What became of the peering profiles of the orders it approved.
    pub fn peering(&self) -> &Arc<crate::peering::PeeringSender> {
        &self.peering
    }

    /// Names the inbox's history in resume tokens.
    pub fn token_id(&self) -> &str {
        self.history.token_id()
    }

    /// How the inbox reads are going, as watch progress reports it.
    pub fn health(&self) -> UpstreamHealth {
        self.health_lock().health.clone()
    }

    /// Reads the inbox once per interval until shutdown.
    pub fn spawn(self: &Arc<Self>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let inbox = self.clone();
        tokio::spawn(megaport::budget::with_priority(
            Priority::Background,
            async move {
                loop {
                    match inbox.read().await {
                        Ok(()) => inbox.auto_approve().await,
                        Err(error) => tracing::warn!(%error, "approval inbox not read"),
                    }
                    inbox.peering.after_live().await;
                    tokio::select! {
                        () = tokio::time::sleep(inbox.interval) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            },
        ))
    }

    /// Follows the change feed: what another replica's read of the inbox committed (a
    /// decision made through it, a new approval) reaches this replica's snapshot and its
    /// WatchApprovals streams as soon as it is committed, with no Megaport read.
    pub fn spawn_feed_follower(
        self: &Arc<Self>,
        mut feed: Subscription,
    ) -> tokio::task::JoinHandle<()> {
        let inbox = self.clone();
        tokio::spawn(async move {
            while let Some(item) = feed.next().await {
                if let FeedItem::Change(change) = &item
                    && change.kind != ChangeKind::Approvals
                {
                    continue;
                }
                if let Err(error) = inbox.take_in_committed().await {
                    tracing::warn!(%error, "cannot take in the approvals another replica read");
                }
            }
        })
    }

    /// Applies the history revisions committed since this replica's to its snapshot, and
    /// sends them to its streams.
    async fn take_in_committed(&self) -> Result<(), Error> {
        let _reading = self.reading.lock().await;
        let since = self.history.revision();
        let committed = self.history.after(since).await?;
        if committed
            .first()
            .is_some_and(|first| first.revision != since + 1)
        {
            // Missed revisions are no longer kept: the next read starts afresh.
            self.history.reload().await?;
            *self.lock() = None;
            return Ok(());
        }
        for changes in committed {
            self.history.took_in(&changes);
            if let Some(snapshot) = self.lock().as_mut() {
                let mut approvals = snapshot.approvals.as_ref().clone();
                for approval in &changes.approvals {
                    match approvals.iter_mut().find(|seen| seen.uid == approval.uid) {
                        Some(seen) => *seen = approval.clone(),
                        None => approvals.push(approval.clone()),
                    }
                }
                snapshot.approvals = Arc::new(approvals);
                snapshot.revision = changes.revision;
            }
            self.history.broadcast(Arc::new(changes));
        }
        Ok(())
    }

    /// Reads every page from Megaport, keeps the result and commits what changed to the
    /// history.
    async fn read(&self) -> Result<(), Error> {
        let _reading = self.reading.lock().await;
        let listed = self.read_pages().await;
        let raw = match listed {
            Ok(raw) => raw,
            Err(error) => {
                let mut state = self.health_lock();
                state.failures += 1;
                let status = if state.health.last_success.is_some()
                    && state.failures < FAILURES_UNAVAILABLE
                {
                    Health::Degraded
                } else {
                    Health::Unavailable
                };
                state.health = UpstreamHealth {
                    status,
                    last_success: state.health.last_success,
                    message: error.to_string(),
                };
                return Err(error);
            }
        };
        let read_at = OffsetDateTime::now_utc();
        let context = self.context().await;
        let approvals: Vec<Approval> = raw.iter().map(|a| context.approval(a)).collect();
        let changes = self.history.commit(&approvals, read_at).await?;
        *self.lock() = Some(Snapshot {
            approvals: Arc::new(approvals),
            read_at,
            revision: self.history.revision(),
        });
        // After the snapshot: a stream that subscribed and then took the snapshot skips it.
        if let Some(changes) = changes {
            self.history.broadcast(changes);
        }
        *self.health_lock() = ReadHealth {
            health: UpstreamHealth {
                status: Health::Healthy,
                last_success: Some(read_at),
                message: String::new(),
            },
            failures: 0,
        };
        Ok(())
    }

    async fn read_pages(&self) -> Result<Vec<models::OrderApproval>, Error> {
        let deadline = Instant::now() + READ_TIMEOUT;
        let mut approvals = Vec::new();
        for page in 1..=MAX_PAGES {
            let listed = self
                .client
                .order_approvals(page, PAGE_SIZE, deadline)
                .await
                .map_err(crate::error::upstream)?;
            let full = listed.len() + listed.skipped as usize >= PAGE_SIZE as usize;
            approvals.extend(listed.items);
            if !full {
                break;
            }
        }
        Ok(approvals)
    }

    /// The inbox as last read (reading it first if it never was) and its revision.
    async fn current(&self) -> Result<(Arc<Vec<Approval>>, OffsetDateTime, i64), Error> {
        // The leader reads the inbox every interval; another replica (on a shared store) reads
        // it when asked and its last read is two intervals old.
        let fresh_after = OffsetDateTime::now_utc() - self.interval * 2;
        if let Some(snapshot) = self.lock().as_ref().filter(|s| s.read_at > fresh_after) {
            return Ok((
                snapshot.approvals.clone(),
                snapshot.read_at,
                snapshot.revision,
            ));
        }
        self.read().await?;
        let snapshot = self.lock();
        let snapshot = snapshot.as_ref().ok_or_else(|| {
            Error::internal(std::io::Error::other("approval inbox read but not kept"))
        })?;
        Ok((
            snapshot.approvals.clone(),
            snapshot.read_at,
            snapshot.revision,
        ))
    }

    /// Every approval in the inbox and the revision they are at, for a watch's snapshot.
    pub async fn snapshot(&self) -> Result<(Arc<Vec<Approval>>, i64), Error> {
        let (approvals, _, revision) = self.current().await?;
        Ok((approvals, revision))
    }

    /// Approvals in any of `statuses`, newest first (create time, then uid), and when the
    /// inbox was read.
    pub async fn list(
        &self,
        statuses: &[ApprovalStatus],
    ) -> Result<(Vec<Approval>, OffsetDateTime), Error> {
        let (approvals, read_at, _) = self.current().await?;
        let mut listed: Vec<Approval> = approvals
            .iter()
            .filter(|approval| statuses.contains(&approval.status))
            .cloned()
            .collect();
        listed.sort_by(|a, b| {
            b.create_time
                .cmp(&a.create_time)
                .then_with(|| a.uid.cmp(&b.uid))
        });
        Ok((listed, read_at))
    }

    /// Approves or rejects approval `uid` with `comment`, for a caller bound by `binding`: an
    /// approval of a customer it may not see is not found, as one Megaport does not list.
    pub async fn decide(
        &self,
        uid: &str,
        approve: bool,
        comment: &str,
        binding: &Binding,
    ) -> Result<Approval, Error> {
        let found = match self.find(uid).await? {
            Some(found) => Some(found),
            // Newer than the last read, perhaps.
            None => {
                self.read().await?;
                self.find(uid).await?
            }
        };
        let Some(found) = found.filter(|found| binding.sees_customer(&found.customer_ref)) else {
            return Err(Error::NotFound {
                reason: ErrorReason::ApprovalNotFound,
                message: format!("megaport lists no approval {uid} for the provider"),
            }
            .with_meta("approval_uid", uid));
        };
        if approvals::decision(uid, found.status, approve)? == Decision::AlreadyDone {
            return Ok(found);
        }
        if approve && found.kind == ApprovalKind::NewOrder && !found.service_key.is_empty() {
            // The provider's end first, then the approval (Megaport: the provider "can make
            // configuration changes for their end of the VXC before granting approval").
            self.peering
                .before_approval(&found.service_key, &found.vxc_uid)
                .await?;
        }
        let sent = self
            .client
            .decide_order_approval(uid, approve, comment, crate::call_context::deadline())
            .await
            .map_err(crate::error::upstream);
        // Whatever happened, Megaport's word is read back: after a lost answer it says whether
        // the decision went through.
        let read = self.read().await;
        self.catalog.invalidate_ports().await;
        self.hub.poke();
        let after = self.find(uid).await?;
        match (sent, after) {
            (Ok(()), Some(after)) => Ok(after),
            (Err(error), Some(after))
                if error.reason() == ErrorReason::UpstreamOutcomeUnknown
                    && matches!(
                        approvals::decision(uid, after.status, approve),
                        Ok(Decision::AlreadyDone)
                    ) =>
            {
                Ok(after)
            }
            (Err(error), _) => Err(error.naming_write("approval_uid", uid)),
            (Ok(()), None) => Err(read.err().unwrap_or_else(|| {
                Error::internal(std::io::Error::other(format!(
                    "approval {uid} vanished from megaport's list after the decision"
                )))
            })),
        }
    }

    /// Approves the pending approvals a rule of the policy takes, each audited under the rule's
    /// name: two Megaport requests per decision (the decision, and the read that confirms it).
    async fn auto_approve(&self) {
        if self.auto.rules.is_empty() {
            return;
        }
        let Ok((approvals, _, _)) = self.current().await else {
            return;
        };
        for approval in approvals.iter() {
            // An order on an MCR or MVE waits until the key watcher names its key: the key's
            // peering profile is sent before the approval.
            let configured_end = approval
                .port
                .as_ref()
                .and_then(|port| port.kind)
                .is_some_and(|kind| kind != KindName::Port);
            if configured_end && approval.service_key.is_empty() {
                continue;
            }
            let key_max_speed = (!approval.service_key.is_empty())
                .then(|| {
                    self.hub
                        .key(&approval.service_key, |key| key.max_speed_mbps)
                })
                .flatten();
            let Some(rule) = approvals::auto_approval(&self.auto.rules, approval, key_max_speed)
            else {
                continue;
            };
            let first_time = self
                .auto_decided
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(approval.uid.clone());
            if !first_time {
                continue;
            }
            let comment = format!("approved automatically by onramp rule {}", rule.name);
            let (code, reason) = match self
                .decide(&approval.uid, true, &comment, &Binding::default())
                .await
            {
                Ok(_) => {
                    tracing::info!(approval_uid = %approval.uid, rule = %rule.name, "auto-approved");
                    (0, 0)
                }
                Err(error) => {
                    tracing::warn!(approval_uid = %approval.uid, rule = %rule.name, %error,
                        "auto-approval failed; left to the provider");
                    let reason = error.reason().number();
                    (crate::error::status(error).code() as i32, reason)
                }
            };
            let note = AuditNote::default();
            note.set_resource(format!("approvals/{}", approval.uid));
            let caller = format!("auto-approve:{}", rule.name);
            if let Err(error) = self
                .auto
                .audit
                .append(&caller, APPROVE_RPC, &note, code, reason)
                .await
            {
                tracing::error!(%error, "automatic decision not audited");
            }
        }
    }

    async fn find(&self, uid: &str) -> Result<Option<Approval>, Error> {
        let (approvals, _, _) = self.current().await?;
        Ok(approvals
            .iter()
            .find(|approval| approval.uid == uid)
            .cloned())
    }

    /// What the inbox adds to Megaport's records, as of now.
    async fn context(&self) -> Context {
        Context {
            ports: Inventory::ports(&*self.catalog).await.ok(),
            keys: self.hub.snapshot().1,
        }
    }
}

/// The provider's Ports and keys, to name what an approval is about.
struct Context {
    ports: Option<Arc<Vec<onramp_core::onramps::Port>>>,
    keys: Vec<onramp_core::keys::KeyView>,
}

impl Context {
    fn approval(&self, approval: &models::OrderApproval) -> Approval {
        let request = approval
            .detail
            .as_ref()
            .and_then(|detail| detail.product_request.first())
            .cloned()
            .unwrap_or_default();
        let vxc_uid = request.product_uid.clone().unwrap_or_default();
        let key = self
            .keys
            .iter()
            .find(|key| !vxc_uid.is_empty() && key.vxc_uid == vxc_uid);
        let port_uid = request
            .b_end_product_uid
            .clone()
            .or_else(|| key.map(|key| key.port.uid.clone()));
        let port = port_uid.map(|uid| {
            self.ports
                .as_ref()
                .and_then(|ports| ports.iter().find(|port| port.uid == uid))
                .map_or_else(|| PortRef::bare(&uid, ""), PortRef::from_port)
        });
        Approval {
            uid: approval.uid.clone().unwrap_or_default(),
            kind: ApprovalKind::from_megaport(approval.kind.as_deref()),
            status: ApprovalStatus::from_megaport(approval.status.as_deref()),
            requester: approval.acct_name.clone().unwrap_or_default(),
            vxc_uid,
            vxc_name: request.product_name.clone().unwrap_or_default(),
            port,
            service_key: key.map(|key| key.key.clone()).unwrap_or_default(),
            customer_ref: key.map(|key| key.customer_ref.clone()).unwrap_or_default(),
            requested_rate_limit_mbps: request.rate_limit,
            current_rate_limit_mbps: request.current_rate_limit,
            requested_term_months: request.term,
            current_term_months: request.current_term,
            comment: approval.comment.clone().unwrap_or_default(),
            create_time: approval.create_date,
            expire_time: approval.expiry_date,
            decide_time: approval.decision_date,
        }
    }
}
