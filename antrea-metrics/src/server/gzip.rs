//! Gzip for the exposition, from a fixed pool of compressor states: a deflate state is a few
//! hundred KiB, and creating one per compression, on whichever blocking-pool thread runs the
//! collection, left each thread's allocator arena holding megabytes of freed states (issue 15
//! measured 24–48 MiB of RSS at 16 connections that way, against 9 MiB with the pool). The
//! pool is the process', per level: servers in one process share it (issue 22 measured a
//! state kept per server at about 380 KiB of heap per server in a 500-server fleet).

use flate2::{Compress, Compression, FlushCompress, Status};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Compressions at once in a process. More than the cores of a node agent's share would not
/// finish sooner; a third waits for a state (a scrape's compression takes tens of microseconds).
const STATES: usize = 2;

/// The server's gzip level and its compressor states.
pub(crate) struct Gzip {
    level: Compression,
    pool: Mutex<Pool>,
    returned: Condvar,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Compress>,
    created: usize,
}

/// The process' pool for `level` (0–9; higher is taken as 9), shared by every server that
/// compresses at that level.
pub(crate) fn shared(level: u32) -> Arc<Gzip> {
    static POOLS: [OnceLock<Arc<Gzip>>; 10] = [const { OnceLock::new() }; 10];
    let slot = &POOLS[level.min(9) as usize];
    Arc::clone(slot.get_or_init(|| Arc::new(Gzip::new(level.min(9)))))
}

impl Gzip {
    pub(crate) fn new(level: u32) -> Self {
        Self {
            level: Compression::new(level),
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
        }
    }

    /// `text` as one gzip member. Blocks while [`STATES`] compressions run.
    pub(crate) fn compress(&self, text: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut lease = self.take();
        match lease.state.as_mut() {
            Some(state) => deflate(state, text),
            None => Err(std::io::Error::other("no gzip state")),
        }
    }

    /// An idle state, a new one while fewer than [`STATES`] exist, or the next one returned.
    fn take(&self) -> Lease<'_> {
        let mut pool = self.pool();
        // Each wait ends when a running compression returns its state (`Lease::drop`).
        let state = loop {
            if let Some(state) = pool.idle.pop() {
                break state;
            }
            if pool.created < STATES {
                pool.created += 1;
                // 15: the full 32 KiB window, as `GzEncoder` and Go's `compress/gzip` use.
                break Compress::new_gzip(self.level, 15);
            }
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        };
        Lease {
            gzip: self,
            state: Some(state),
        }
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        // Only whole states are pushed and popped: a poisoned pool is still valid.
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A state taken from the pool; reset and returned when dropped, whatever happened to it.
struct Lease<'a> {
    gzip: &'a Gzip,
    /// Always `Some` until dropped.
    state: Option<Compress>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            state.reset();
            self.gzip.pool().idle.push(state);
            self.gzip.returned.notify_one();
        }
    }
}

/// Runs `state` (fresh or reset) over all of `text`, growing the output until the stream ends.
fn deflate(state: &mut Compress, text: &[u8]) -> std::io::Result<Vec<u8>> {
    // Expositions compress 5–10×; a quarter is enough the first time round.
    let mut out = Vec::with_capacity(text.len() / 4 + 64);
    // Bounded: deflate never needs more than about the input size plus a small overhead, and
    // the buffer doubles each round.
    while out.capacity() <= 2 * text.len() + 4096 {
        let consumed = usize::try_from(state.total_in()).unwrap_or(text.len());
        let rest = text.get(consumed..).unwrap_or_default();
        match state.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity()),
            Err(err) => return Err(std::io::Error::other(err)),
        }
    }
    Err(std::io::Error::other(
        "gzip output exceeded twice its input",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    #[test]
    fn kept_states_compress_each_text_on_its_own() {
        let gzip = Gzip::new(1);
        let texts: Vec<Vec<u8>> = (0..4u32)
            .map(|i| {
                (0..2_000)
                    .map(|n| format!("antrea_agent_flows{{table=\"{}\"}} {}\n", n % 40, n * i))
                    .collect::<String>()
                    .into_bytes()
            })
            .collect();
        for text in &texts {
            let gz = gzip.compress(text).expect("compresses");
            assert_eq!(&gunzip(&gz), text);
            assert!(gz.len() < text.len() / 3, "{} of {}", gz.len(), text.len());
        }
        assert_eq!(gzip.pool().created, 1, "one state, reused");
    }

    #[test]
    fn concurrent_compressions_share_a_bounded_pool() {
        let gzip = Gzip::new(1);
        let text = b"antrea_agent_local_pod_count 12\n".repeat(500);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..20).map(|_| gzip.compress(&text)).collect::<Vec<_>>()))
                .collect();
            for worker in workers {
                for gz in worker.join().expect("no panic") {
                    assert_eq!(gunzip(&gz.expect("compresses")), text);
                }
            }
        });
        let pool = gzip.pool();
        assert!(pool.created <= STATES, "{} states", pool.created);
        assert_eq!(pool.idle.len(), pool.created, "every state returned");
    }

    #[test]
    fn servers_at_one_level_share_one_pool() {
        assert!(Arc::ptr_eq(&shared(1), &shared(1)));
        assert!(!Arc::ptr_eq(&shared(1), &shared(6)));
        assert!(Arc::ptr_eq(&shared(9), &shared(200)));
        assert_eq!(shared(6).level, Compression::new(6));
    }

    #[test]
    fn incompressible_and_empty_texts_round_trip() {
        let gzip = Gzip::new(9);
        // A xorshift sequence: deflate cannot shrink it, so the output outgrows the first guess.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(gunzip(&gzip.compress(&noise).expect("compresses")), noise);
        assert_eq!(gunzip(&gzip.compress(b"").expect("compresses")), b"");
    }
}
