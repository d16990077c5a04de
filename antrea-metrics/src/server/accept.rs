//! The accept loop's back-off after a failed `accept` (e.g. `EMFILE`/`ENFILE` when descriptors
//! run out), as Go's `net/http` does: 5 ms, doubling up to 1 s, reset by the next success.

use std::time::Duration;

const FIRST: Duration = Duration::from_millis(5);
const MAX: Duration = Duration::from_secs(1);

/// The pause before the next `accept` after consecutive failures.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    last: Option<Duration>,
}

impl Backoff {
    /// The pause after one more failure.
    pub(crate) fn next(&mut self) -> Duration {
        let pause = self.last.map_or(FIRST, |last| (last * 2).min(MAX));
        self.last = Some(pause);
        pause
    }

    /// An `accept` succeeded.
    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_a_second_and_starts_over_after_a_success() {
        let mut backoff = Backoff::default();
        let pauses: Vec<_> = (0..10).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next(), FIRST);
    }
}
