//! Takes turns between modules: the tests of one module may run together, but never beside a
//! test of another module, as when each module was a test binary of its own.
//!
//! A test takes its turn with [`run`] *before* its runtime exists and gives it back after the
//! runtime is gone: a runtime's threads and descriptors are part of what another module's test
//! counts (`fds`) or takes away (`emfile`), so none may be built or torn down beside it.

use std::future::Future;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use suite::BoxError;

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

/// The runtime a test's body runs on: `#[tokio::test]`'s two flavours.
pub enum Runtime {
    CurrentThread,
    MultiThread(usize),
}

/// Runs one test of `module`: waits for the module's turn, then builds the runtime, runs the
/// test on it and drops the runtime, all within the turn.
pub fn run(
    module: &'static str,
    runtime: Runtime,
    test: impl Future<Output = Result<(), BoxError>>,
) -> Result<(), BoxError> {
    let _turn = enter(module);
    let mut builder = match runtime {
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Runtime::MultiThread(workers) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    let runtime = builder.enable_all().build()?;
    let result = runtime.block_on(test);
    // Before the turn ends: its worker threads and descriptors go with it.
    drop(runtime);
    result
}

/// Waits until no test of another module runs, then holds `module`'s turn (for the tests that
/// need no runtime; the others use [`run`]).
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
