//! What a test that compares the catalogue with a file prints when they differ: the one command
//! that regenerates those files (`scripts/regenerate.sh`), and what it does.

/// The command, from the repository root.
pub const COMMAND: &str = "scripts/regenerate.sh";

/// Held by a comparing test; if the test fails (panics) while holding it, says how to
/// regenerate the files it compares.
pub struct Hint;

/// The hint for the current test: `let _hint = suite::regen::hint();` first in the test.
pub fn hint() -> Hint {
    Hint
}

impl Drop for Hint {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "hint: `{COMMAND}` regenerates docs/metrics.md from the catalogue and refreshes \
                 the reference copies in tests/data/ (Antrea's facts and startup expositions) \
                 from the reference folder; if the test still fails after that, the catalogue \
                 or the code under test is what differs from Antrea"
            );
        }
    }
}
