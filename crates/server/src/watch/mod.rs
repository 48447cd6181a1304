//! The key-state watcher: a poller that lists Megaport's keys (`poller`), a differ that turns
//! two views into events (`events`), each change committed as one revision and broadcast
//! (`commit`), the revisions other replicas commit taken in (`follower`), the reads over the
//! views with onramp's own writes laid over them (`read_model`, `recent`), and streams that
//! each get a snapshot or a replay, then live batches, progress and a clean end (`stream`, over
//! the `revision-fanout` crate), and keys onramp's own buys used (`used`). `hub` holds the
//! state they share.

mod batch;
mod commit;
pub mod events;
mod follower;
pub mod hub;
#[cfg(test)]
mod hub_tests;
mod poller;
mod read_model;
mod recent;
mod resume;
pub mod settings;
pub mod stream;
mod used;

pub use batch::{Batch, CounterTotals, Health, KeyReadRevision, UpstreamHealth};
pub use events::{ChangeKind, KeyEvent};
pub use hub::WatchHub;
pub use read_model::{key_filter_spelling, key_position};
pub use resume::resume_position;
pub use revision_fanout::Resync;
pub use settings::WatchSettings;
pub use stream::{WatchEnd, WatchItem, watch};
