//! A resumable fan-out of revisioned batches, as onramp's watch streams (service keys,
//! approvals) use it; it knows nothing of what the batches hold.
//!
//! A history commits one batch per revision and broadcasts it. A stream starts from a snapshot
//! or from a replay after the revision its resume token names, then follows the broadcast live.
//! What this crate guarantees:
//! - [`token`]: resume tokens are opaque to clients and name the history they came from, so a
//!   token from another history is told apart from a malformed one ([`resume_from`]).
//! - [`Live`]: a stream never gets a batch at or below its position twice (the snapshot or replay
//!   already had it), gets every later batch in revision order while it keeps up with the
//!   broadcast's buffer, and is told when it fell behind ([`Next::TooSlow`]) instead of silently
//!   missing batches; an idle stream gets a progress tick after one to two intervals, a busy one
//!   none; shutdown ends every stream.

mod live;
pub mod token;

pub use live::{Live, MalformedToken, Next, Resync, Revisioned, resume_from};
