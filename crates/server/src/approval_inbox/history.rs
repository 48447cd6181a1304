//! The inbox's watch history: each read of Megaport's inbox that finds approvals new or changed
//! commits one revision (persisted, then broadcast), so WatchApprovals streams resume across
//! reconnects and restarts. What changed is told by a digest of each approval as onramp shows
//! it, kept in the store with the revisions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::error::Error;
use onramp_core::approvals::Approval;
use onramp_store::Store;
use onramp_store::watch::StoredBatch;

/// The approvals one read found new or changed, at one revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    pub revision: i64,
    pub approvals: Vec<Approval>,
}

impl revision_fanout::Revisioned for Changes {
    fn revision(&self) -> i64 {
        self.revision
    }
}

#[derive(Debug)]
struct Seen {
    revision: i64,
    digests: HashMap<String, String>,
}

#[derive(Debug)]
pub struct History {
    store: Store,
    /// Names this history in resume tokens: the database's id, marked as the inbox's, so a
    /// key watch's token is recognised as another history's.
    token_id: String,
    retain: u64,
    seen: Mutex<Seen>,
    sender: broadcast::Sender<Arc<Changes>>,
}

impl History {
    pub async fn open(store: Store, retain: u64, buffer: usize) -> Result<Self, Error> {
        let seen = Seen {
            revision: store.approval_revision().await?,
            digests: store.approval_digests().await?,
        };
        Ok(Self {
            token_id: format!("{}-approvals", store.instance_id().await?),
            store,
            retain: retain.max(1),
            seen: Mutex::new(seen),
            sender: broadcast::channel(buffer.max(1)).0,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commits the approvals of `read` that are new or changed since the last commit as one
    /// revision; the changes, if any. Its caller serialises commits (one inbox read at a time)
    /// and broadcasts the changes once its snapshot shows them.
    pub async fn commit(
        &self,
        read: &[Approval],
        now: OffsetDateTime,
    ) -> Result<Option<Arc<Changes>>, Error> {
        // Replicas share the history: take in what another one committed since.
        let stored = self.store.approval_revision().await?;
        if stored > self.lock().revision {
            let digests = self.store.approval_digests().await?;
            *self.lock() = Seen {
                revision: stored,
                digests,
            };
        }
        let (revision, changed) = {
            let seen = self.lock();
            let changed: Vec<(Approval, String, bool)> = read
                .iter()
                .map(|approval| {
                    let is_new = !seen.digests.contains_key(&approval.uid);
                    (approval.clone(), digest(approval), is_new)
                })
                .filter(|(approval, digest, _)| seen.digests.get(&approval.uid) != Some(digest))
                .collect();
            (seen.revision + 1, changed)
        };
        if changed.is_empty() {
            return Ok(None);
        }
        let outbox = crate::webhooks::events::approval_events(
            &changed
                .iter()
                .map(|(approval, _, is_new)| (approval.clone(), *is_new))
                .collect::<Vec<_>>(),
            revision,
            now,
        );
        let approvals: Vec<Approval> = changed.iter().map(|(a, _, _)| a.clone()).collect();
        let digests: Vec<(String, String)> = changed
            .into_iter()
            .map(|(approval, digest, _)| (approval.uid, digest))
            .collect();
        let batch = StoredBatch {
            revision,
            observe_time_ms: onramp_store::millis(now),
            events_json: serde_json::to_string(&approvals).map_err(Error::internal)?,
        };
        self.store
            .commit_approval_batch(&batch, &digests, self.retain, &outbox)
            .await?;
        let mut seen = self.lock();
        seen.revision = revision;
        seen.digests.extend(digests);
        Ok(Some(Arc::new(Changes {
            revision,
            approvals,
        })))
    }

    /// Records that `changes`, committed by another replica, are taken in.
    pub fn took_in(&self, changes: &Changes) {
        let mut seen = self.lock();
        seen.revision = seen.revision.max(changes.revision);
        for approval in &changes.approvals {
            seen.digests.insert(approval.uid.clone(), digest(approval));
        }
    }

    /// Forgets what was seen and loads it from the store again.
    pub async fn reload(&self) -> Result<(), Error> {
        let seen = Seen {
            revision: self.store.approval_revision().await?,
            digests: self.store.approval_digests().await?,
        };
        *self.lock() = seen;
        Ok(())
    }

    /// Sends committed changes to every stream.
    pub fn broadcast(&self, changes: Arc<Changes>) {
        // No receivers is fine: nobody watches.
        let _ = self.sender.send(changes);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Changes>> {
        self.sender.subscribe()
    }

    pub fn revision(&self) -> i64 {
        self.lock().revision
    }

    pub fn token_id(&self) -> &str {
        &self.token_id
    }

    /// The stored revisions after `revision`, oldest first.
    pub async fn after(&self, revision: i64) -> Result<Vec<Changes>, Error> {
        self.store
            .approval_batches_after(revision)
            .await?
            .into_iter()
            .map(|batch| {
                Ok(Changes {
                    revision: batch.revision,
                    approvals: serde_json::from_str(&batch.events_json)
                        .map_err(|error| Error::internal(format!("approval history: {error}")))?,
                })
            })
            .collect()
    }
}

/// What identifies an approval's state as onramp shows it.
fn digest(approval: &Approval) -> String {
    onramp_core::digest::sha256_hex(serde_json::to_vec(approval).unwrap_or_default())
}
