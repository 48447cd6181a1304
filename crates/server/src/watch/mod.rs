//! The key-state watcher: a poller that lists Megaport's keys, a differ that turns two views
//! into events, an event log persisted one revision per batch, and a fan-out hub whose
//! subscribers each get a snapshot or a replay, then live batches, progress and a clean end.

pub mod events;
pub mod hub;
pub mod live;
mod recent;
pub mod settings;
pub mod stream;
pub mod token;

pub use events::{ChangeKind, KeyEvent};
pub use hub::{Batch, Health, KeyReadRevision, UpstreamHealth, WatchHub};
pub use live::Resync;
pub use settings::WatchSettings;
pub use stream::{WatchEnd, WatchItem, watch};
