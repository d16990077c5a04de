//! Takes turns between modules: the tests of one module may run together, but never beside a
//! test of another module, as when each module was a test binary of its own.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

struct State {
    /// The module whose tests are running, if any.
    module: Option<&'static str>,
    running: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    module: None,
    running: 0,
});
static FREED: Condvar = Condvar::new();

/// A module's turn, held by one of its tests until dropped.
pub struct Turn;

fn state() -> MutexGuard<'static, State> {
    // A test that panicked while holding the lock left the state consistent (every change is
    // one statement), so its poison is no reason to fail the others.
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits until no test of another module runs, then holds `module`'s turn.
pub fn enter(module: &'static str) -> Turn {
    let mut state = state();
    while state.module.is_some_and(|m| m != module) {
        state = FREED.wait(state).unwrap_or_else(PoisonError::into_inner);
    }
    state.module = Some(module);
    state.running += 1;
    Turn
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = state();
        state.running -= 1;
        if state.running == 0 {
            state.module = None;
            FREED.notify_all();
        }
    }
}
