//! Where a stream's resume token puts it, with a token no onramp issued refused as the API says.

use revision_fanout::{MalformedToken, Resync};

use crate::error::{Error, ErrorReason};

/// Where `resume_token` puts a new stream in the history `history_id` whose newest revision is
/// `latest`: the revision to replay after, a resync, or INVALID_ARGUMENT (RESUME_TOKEN_INVALID).
pub fn resume_position(
    history_id: &str,
    resume_token: &str,
    latest: i64,
) -> Result<Result<i64, Resync>, Error> {
    revision_fanout::resume_from(history_id, resume_token, latest).map_err(|MalformedToken| {
        Error::invalid(
            "resume_token",
            "is not a token this service issued; pass one from a response unchanged",
        )
        .with_reason(ErrorReason::ResumeTokenInvalid)
    })
}
