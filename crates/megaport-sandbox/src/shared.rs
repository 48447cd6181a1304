//! The sandbox's world behind its one lock, shared by the server loop, the Megaport routes and
//! the control API.

use std::sync::{Mutex, MutexGuard};

use crate::state::State;

/// The one lock over the sandbox's world.
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Shared {
            state: Mutex::new(state),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters to a test double; keep serving.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Whoever looks next sees approvals expired on the sandbox clock.
        state.expire_approvals();
        state
    }
}
