//! gRPC plumbing that knows nothing of onramp's domain or of Megaport: what a tonic server
//! needs between its sockets and its generated services to be fast and to keep its promises.
//!
//! - [`transport`]: the listener (TCP_NODELAY, keepalive) and the HTTP/2 settings, over
//!   [`coalesced_writes`]: one write system call per HTTP/2 flush instead of one per message.
//! - [`frames`]: a message encoded once as a gRPC frame and shared as bytes by every stream
//!   that sends it.
//! - [`kept_answers`]: unary reads answered from the frames kept per revision of the view they
//!   read. Guarantee: an answer is kept only when the handler marked it as the view's
//!   ([`kept_answers::view_answer`]) and only while the view's revision is unchanged; a
//!   compressed request, a non-OK or multi-message answer, or a missing revision goes to the
//!   service untouched.
//! - [`deadline`]: a call's deadline from `grpc-timeout`, less a margin to send the answer.

pub mod coalesced_writes;
pub mod deadline;
pub mod frames;
pub mod kept_answers;
pub mod transport;
