//! What the two resumable watches (WatchServiceKeys, WatchApprovals) send alike: progress, a
//! resync's explanation, and the status a stream ends with.

use std::collections::HashMap;

use tonic::Status;

use super::convert;
use crate::error::{Error, ErrorReason};
use crate::watch::{Health, Resync, UpstreamHealth, WatchEnd};
use onramp_proto as pb;

pub(super) fn progress(health: UpstreamHealth) -> pb::WatchProgress {
    pb::WatchProgress {
        upstream: Some(upstream_health(health)),
    }
}

pub(super) fn upstream_health(health: UpstreamHealth) -> pb::UpstreamHealth {
    pb::UpstreamHealth {
        status: match health.status {
            Health::Healthy => pb::UpstreamStatus::Healthy,
            Health::Degraded => pb::UpstreamStatus::Degraded,
            Health::Unavailable => pb::UpstreamStatus::Unavailable,
        }
        .into(),
        last_successful_poll_time: health.last_success.map(convert::timestamp),
        message: health.message,
    }
}

/// A snapshot's resync fields.
pub(super) struct Resynced {
    pub resync: bool,
    pub reason: pb::ResyncReason,
    pub message: String,
}

impl From<Option<Resync>> for Resynced {
    fn from(resync: Option<Resync>) -> Self {
        let (reason, message) = match resync {
            None => (pb::ResyncReason::Unspecified, ""),
            Some(Resync::TokenTooOld) => (
                pb::ResyncReason::TokenTooOld,
                "the resume token is older than the retained history; this snapshot replaces it",
            ),
            Some(Resync::TokenUnknown) => (
                pb::ResyncReason::TokenUnknown,
                "the resume token is not from this server's history; this snapshot replaces it",
            ),
        };
        Self {
            resync: resync.is_some(),
            reason,
            message: message.to_owned(),
        }
    }
}

/// How a stream ends, as a status carrying the position to resume from.
pub(super) fn watch_end(instance: &str, end: WatchEnd, last_revision: i64) -> Status {
    let (error, revision) = match end {
        WatchEnd::Failed(detail) => return crate::error::status(Error::internal(detail)),
        WatchEnd::ShuttingDown => (
            Error::Unavailable {
                reason: ErrorReason::ShuttingDown,
                message: "the server is shutting down; resume with the token".to_owned(),
                retry_after: None,
            },
            last_revision,
        ),
        WatchEnd::TooSlow { revision } => (
            Error::Aborted {
                reason: ErrorReason::WatchSubscriberTooSlow,
                message: format!(
                    "the watcher fell behind its buffer at revision {revision}; resume with the token"
                ),
                metadata: HashMap::new(),
            },
            revision,
        ),
    };
    crate::error::status(error.with_meta("revision", revision.to_string()).with_meta(
        "resume_token",
        revision_fanout::token::encode(instance, revision),
    ))
}
