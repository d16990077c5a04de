//! Gzip for the exposition, with compressor states kept between collections: a deflate state
//! is a few hundred KiB, and allocating one per scrape costs time and, spread over the
//! blocking pool's threads, allocator arenas that keep the freed blocks (issue 15 measured
//! 24–48 MiB of RSS that way at 16 connections).

use flate2::{Compress, Compression, FlushCompress, Status};
use std::sync::Mutex;

/// States kept idle: one per core of a typical node agent's share; more concurrent
/// compressions allocate their own and drop them afterwards.
const SPARE: usize = 2;

/// The server's gzip level and its idle compressor states.
pub(crate) struct Gzip {
    level: Compression,
    spare: Mutex<Vec<Compress>>,
}

impl Gzip {
    pub(crate) fn new(level: u32) -> Self {
        Self {
            level: Compression::new(level),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// `text` as one gzip member.
    pub(crate) fn compress(&self, text: &[u8]) -> std::io::Result<Vec<u8>> {
        let kept = self.spare().pop();
        // 15: the full 32 KiB window, as `GzEncoder` and Go's `compress/gzip` use.
        let mut state = kept.unwrap_or_else(|| Compress::new_gzip(self.level, 15));
        let out = deflate(&mut state, text)?;
        state.reset();
        let mut spare = self.spare();
        if spare.len() < SPARE {
            spare.push(state);
        }
        Ok(out)
    }

    fn spare(&self) -> std::sync::MutexGuard<'_, Vec<Compress>> {
        // Only whole states are pushed and popped: a poisoned list is still valid.
        self.spare
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    Err(std::io::Error::other("gzip output exceeded twice its input"))
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
        assert_eq!(gzip.spare().len(), 1, "one state kept and reused");
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
