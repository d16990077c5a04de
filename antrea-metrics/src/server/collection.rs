//! One collection shared by coinciding scrapes of the same format: a scrape that arrives while
//! a collection of its format is in progress waits for it and gets the same bytes, per
//! encoding — the identity bytes encoded once, and the gzip bytes compressed once from them for
//! every coinciding scrape that accepts gzip. A hung or slow source therefore blocks one
//! blocking-pool thread per format, however many scrapes come and go meanwhile.

use super::gzip::{self, Gzip};
use crate::format::Format;
use crate::{exposition, Exposition, Histogram};
use bytes::Bytes;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;

/// The response body encodings a scrape can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
}

/// Why a collection produced no bytes; logged once by the collection, answered `500`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A source failed to encode its metrics.
    Encode,
    /// Compressing failed.
    Compress,
    /// A source panicked, or the collection was cancelled (runtime shutting down).
    Aborted,
}

type Body = Result<Bytes, Failure>;

/// What a collection has produced so far.
#[derive(Debug, Clone, Default)]
struct Outcome {
    identity: Option<Body>,
    gzip: Option<Body>,
}

impl Outcome {
    fn get(&self, encoding: Encoding) -> Option<&Body> {
        match encoding {
            Encoding::Identity => self.identity.as_ref(),
            Encoding::Gzip => self.gzip.as_ref(),
        }
    }
}

/// A collection in progress.
struct Flight {
    format: Format,
    /// Set (under [`Collections::current`]'s lock) by a scrape that accepts gzip.
    gzip_wanted: AtomicBool,
    outcome: watch::Sender<Outcome>,
}

/// The collection in progress per format, if any; shared with the collections' own tasks.
type Current = Arc<Mutex<HashMap<Format, Arc<Flight>>>>;

fn lock(current: &Current) -> MutexGuard<'_, HashMap<Format, Arc<Flight>>> {
    // Only whole-value assignments happen under this lock: a poisoned value is still valid.
    current
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The sources, and the collections in progress.
pub(crate) struct Collections {
    sources: Arc<[Arc<dyn Exposition>]>,
    gzip: Arc<Gzip>,
    duration: Histogram,
    current: Current,
    /// The last exposition's size, so the next buffer is allocated once at about the right size.
    last_len: Arc<AtomicUsize>,
}

impl Collections {
    pub(crate) fn new(
        sources: Vec<Arc<dyn Exposition>>,
        gzip_level: u32,
        duration: Histogram,
    ) -> Self {
        Self {
            sources: sources.into(),
            gzip: gzip::shared(gzip_level),
            duration,
            current: Arc::new(Mutex::new(HashMap::new())),
            last_len: Arc::new(AtomicUsize::new(16 * 1024)),
        }
    }

    /// The sources every collection encodes.
    pub(crate) fn sources(&self) -> &[Arc<dyn Exposition>] {
        &self.sources
    }

    /// The exposition in `format` and `encoding`, from the collection of that format in
    /// progress or a new one. Cancel-safe: a scrape that stops waiting (its deadline) leaves
    /// the collection to the others.
    pub(crate) async fn get(&self, format: Format, encoding: Encoding) -> Body {
        let (mut outcome, new) = {
            let mut current = lock(&self.current);
            let (flight, new) = match current.get(&format) {
                Some(flight) => (Arc::clone(flight), None),
                None => {
                    let flight = Arc::new(Flight {
                        format,
                        gzip_wanted: AtomicBool::new(false),
                        outcome: watch::Sender::new(Outcome::default()),
                    });
                    current.insert(format, Arc::clone(&flight));
                    (Arc::clone(&flight), Some(flight))
                }
            };
            if encoding == Encoding::Gzip {
                flight.gzip_wanted.store(true, Ordering::Relaxed);
            }
            (flight.outcome.subscribe(), new)
        };
        // Started outside the lock: spawning may have to start a blocking-pool thread.
        if let Some(flight) = new {
            self.start(flight);
        }
        let ready = match outcome.wait_for(|o| o.get(encoding).is_some()).await {
            Ok(ready) => ready.get(encoding).cloned(),
            Err(_) => None,
        };
        ready.unwrap_or(Err(Failure::Aborted))
    }

    /// Runs `flight` on the blocking pool: a large registry takes milliseconds of CPU that must
    /// not stall the connections sharing a worker thread (`spawn_blocking`, unlike
    /// `block_in_place`, also works on a current-thread runtime).
    fn start(&self, flight: Arc<Flight>) {
        let sources = Arc::clone(&self.sources);
        let gzip = Arc::clone(&self.gzip);
        let duration = self.duration.clone();
        let last_len = Arc::clone(&self.last_len);
        let current = Arc::clone(&self.current);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let hint = last_len.load(Ordering::Relaxed);
            let encoded = || encode(&sources, flight.format, hint);
            let identity =
                std::panic::catch_unwind(AssertUnwindSafe(encoded)).unwrap_or_else(|_| {
                    tracing::error!("a metrics source panicked during a scrape");
                    Err(Failure::Aborted)
                });
            if let Ok(text) = &identity {
                last_len.store(text.len() + text.len() / 8, Ordering::Relaxed);
            }
            // From here on, new scrapes start a new collection; those already waiting said
            // under this same lock whether they want gzip.
            let gzip_wanted = {
                let mut current = lock(&current);
                if (current.get(&flight.format)).is_some_and(|c| Arc::ptr_eq(c, &flight)) {
                    current.remove(&flight.format);
                }
                flight.gzip_wanted.load(Ordering::Relaxed)
            };
            flight
                .outcome
                .send_modify(|o| o.identity = Some(identity.clone()));
            if gzip_wanted {
                let gzipped = identity.and_then(|text| compress(&gzip, &text));
                flight.outcome.send_modify(|o| o.gzip = Some(gzipped));
            }
            duration.observe_duration(started.elapsed());
        });
    }
}

/// Encodes every source in `format` into one buffer of `hint` bytes' capacity.
fn encode(sources: &[Arc<dyn Exposition>], format: Format, hint: usize) -> Body {
    let mut text = Vec::with_capacity(hint);
    if let Err(err) = exposition::encode_all(sources, format, &mut text) {
        tracing::error!(error = %err, "encoding the metrics failed");
        return Err(Failure::Encode);
    }
    Ok(Bytes::from(text))
}

fn compress(gzip: &Gzip, text: &[u8]) -> Body {
    gzip.compress(text).map(Bytes::from).map_err(|source| {
        let err = super::ServeError::Compress { source };
        tracing::error!(error = %err, "compressing the metrics failed");
        Failure::Compress
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Counts its collections; each waits for a message (or its sender's drop) first.
    struct Held {
        calls: AtomicUsize,
        entered: tokio::sync::mpsc::UnboundedSender<()>,
        release: Mutex<mpsc::Receiver<()>>,
        panic: AtomicBool,
    }

    impl Held {
        fn text(&self, out: &mut Vec<u8>) {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            let _ = self.entered.send(());
            if let Ok(release) = self.release.lock() {
                let _ = release.recv_timeout(Duration::from_secs(5));
            }
            assert!(!self.panic.load(Ordering::SeqCst), "a source failing hard");
            out.extend_from_slice(format!("held_collections_total {}\n", call + 1).as_bytes());
        }
    }

    impl Exposition for Held {
        fn supports(&self, _format: Format) -> bool {
            true
        }

        /// The text, then the name of any other format, so each collection's format shows.
        fn encode(&self, format: Format, out: &mut Vec<u8>) -> Result<(), crate::MetricsError> {
            self.text(out);
            if format != Format::Text {
                out.extend_from_slice(format.as_str().as_bytes());
            }
            Ok(())
        }
    }

    fn held() -> (
        Arc<Held>,
        Collections,
        tokio::sync::mpsc::UnboundedReceiver<()>,
        mpsc::Sender<()>,
    ) {
        let (entered, entered_rx) = tokio::sync::mpsc::unbounded_channel();
        let (release, release_rx) = mpsc::channel();
        let source = Arc::new(Held {
            calls: AtomicUsize::new(0),
            entered,
            release: Mutex::new(release_rx),
            panic: AtomicBool::new(false),
        });
        let histogram = Histogram::new(&crate::catalogue::DEFAULT_BUCKETS, crate::Unit::Seconds);
        let sources: Vec<Arc<dyn Exposition>> = vec![source.clone()];
        let collections = Collections::new(sources, 1, histogram);
        (source, collections, entered_rx, release)
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut text)
            .expect("valid gzip");
        text
    }

    #[tokio::test]
    async fn coinciding_scrapes_share_one_collection_and_one_compression() {
        let (source, collections, mut entered, release) = held();
        let collections = Arc::new(collections);
        let get = |encoding| {
            let collections = Arc::clone(&collections);
            tokio::spawn(async move { collections.get(Format::Text, encoding).await })
        };
        let first = get(Encoding::Identity);
        entered.recv().await.expect("the collection started");
        let others = [
            get(Encoding::Gzip),
            get(Encoding::Identity),
            get(Encoding::Gzip),
        ];
        // Let the joiners subscribe before the collection ends.
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).expect("the source waits");
        let identity = first.await.expect("no panic").expect("bytes");
        let mut gzips = Vec::new();
        for (index, other) in others.into_iter().enumerate() {
            let body = other.await.expect("no panic").expect("bytes");
            if index == 1 {
                assert_eq!(body.as_ptr(), identity.as_ptr(), "the same identity bytes");
            } else {
                gzips.push(body);
            }
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert_eq!(gzips[0].as_ptr(), gzips[1].as_ptr(), "compressed once");
        assert_eq!(gunzip(&gzips[0]), identity.as_ref());
        assert_eq!(&identity[..], b"held_collections_total 1\n");

        // The collection is over: the next scrape starts a new one.
        release.send(()).expect("the source waits");
        let next = collections
            .get(Format::Text, Encoding::Gzip)
            .await
            .expect("bytes");
        assert_eq!(gunzip(&next), b"held_collections_total 2\n");
    }

    #[tokio::test]
    async fn coinciding_scrapes_of_another_format_get_a_collection_of_their_own() {
        let (source, collections, mut entered, release) = held();
        let collections = Arc::new(collections);
        let get = |format, encoding| {
            let collections = Arc::clone(&collections);
            tokio::spawn(async move { collections.get(format, encoding).await })
        };
        let text = get(Format::Text, Encoding::Identity);
        entered.recv().await.expect("the text collection started");
        let protobuf = get(Format::Protobuf, Encoding::Gzip);
        // Not joined to the text collection in progress: a second one starts.
        let second = tokio::time::timeout(Duration::from_secs(5), entered.recv()).await;
        assert!(matches!(second, Ok(Some(()))), "no collection of its own");
        release.send(()).expect("the source waits");
        release.send(()).expect("the source waits");
        let text = text.await.expect("no panic").expect("bytes");
        let protobuf = protobuf.await.expect("no panic").expect("bytes");
        assert_eq!(&text[..], b"held_collections_total 1\n");
        assert_eq!(gunzip(&protobuf), b"held_collections_total 2\nprotobuf");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panicking_source_fails_its_collection_only() {
        let (source, collections, _entered, release) = held();
        source.panic.store(true, Ordering::SeqCst);
        release.send(()).expect("the source waits");
        assert_eq!(
            collections.get(Format::Text, Encoding::Gzip).await,
            Err(Failure::Aborted)
        );
        source.panic.store(false, Ordering::SeqCst);
        release.send(()).expect("the source waits");
        assert_eq!(
            collections
                .get(Format::Text, Encoding::Identity)
                .await
                .as_deref(),
            Ok(&b"held_collections_total 2\n"[..])
        );
    }
}
