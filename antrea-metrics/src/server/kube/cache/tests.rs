//! Cache behaviour under paused tokio time: TTL, coalescing, errors, bounds and keys.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn cache(ttl_ms: u64, capacity: usize) -> Arc<ReviewCache<u32>> {
    let hits = crate::Counter::with_mode(crate::CounterMode::Plain);
    ReviewCache::new(Duration::from_millis(ttl_ms), capacity, hits)
}

/// A fetch that counts its calls, takes 100 ms, and answers `value` (or fails when 0).
fn counting(
    calls: &Arc<AtomicUsize>,
    value: u32,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<u32, KubeError>> + Send>> {
    let calls = Arc::clone(calls);
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if value == 0 {
                Err(KubeError::Timeout {
                    review: "TokenReview",
                    timeout: Duration::from_millis(100),
                })
            } else {
                Ok(value)
            }
        })
    }
}

fn key(n: u8) -> CacheKey {
    CacheKey([n; 32])
}

#[tokio::test(start_paused = true)]
async fn answers_live_for_the_ttl() {
    let cache = cache(10_000, 8);
    let calls = Arc::new(AtomicUsize::new(0));
    let fetch = counting(&calls, 7);
    assert_eq!(cache.get_or_fetch(key(1), &fetch).await.ok(), Some(7));
    tokio::time::advance(Duration::from_secs(9)).await;
    assert_eq!(cache.get_or_fetch(key(1), &fetch).await.ok(), Some(7));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a hit within the TTL");
    assert_eq!(cache.hits.get(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(cache.get_or_fetch(key(1), &fetch).await.ok(), Some(7));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again after the TTL");
}

#[tokio::test(start_paused = true)]
async fn concurrent_identical_reviews_make_one_request() {
    // A zero TTL caches nothing, so only coalescing can explain a single call.
    let cache = cache(0, 8);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (cache, fetch) = (Arc::clone(&cache), counting(&calls, 3));
        tasks.spawn(async move { cache.get_or_fetch(key(2), fetch).await.ok() });
    }
    let mut answers = 0;
    while let Some(answer) = tasks.join_next().await {
        assert_eq!(answer.expect("task ran"), Some(3));
        answers += 1;
    }
    assert_eq!(answers, 50);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.len(), 0, "a zero TTL keeps nothing");
}

#[tokio::test(start_paused = true)]
async fn errors_are_shared_but_not_cached() {
    let cache = cache(10_000, 8);
    let calls = Arc::new(AtomicUsize::new(0));
    let (a, b) = tokio::join!(
        cache.get_or_fetch(key(3), counting(&calls, 0)),
        cache.get_or_fetch(key(3), counting(&calls, 0)),
    );
    assert!(a.is_err() && b.is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "concurrent callers share the error"
    );
    assert_eq!(cache.len(), 0);
    let again = cache.get_or_fetch(key(3), counting(&calls, 5)).await;
    assert_eq!(again.ok(), Some(5));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the error was not cached");
}

#[tokio::test(start_paused = true)]
async fn size_is_bounded_and_the_oldest_goes_first() {
    let cache = cache(10_000, 3);
    let calls = Arc::new(AtomicUsize::new(0));
    for n in 0..10 {
        let _ = cache.get_or_fetch(key(n), counting(&calls, 1)).await;
        tokio::time::advance(Duration::from_millis(10)).await;
    }
    assert_eq!(cache.len(), 3);
    // The newest are kept: key 9 is a hit, key 0 needs a new request.
    let before = calls.load(Ordering::SeqCst);
    let _ = cache.get_or_fetch(key(9), counting(&calls, 1)).await;
    assert_eq!(calls.load(Ordering::SeqCst), before);
    let _ = cache.get_or_fetch(key(0), counting(&calls, 1)).await;
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
}

#[test]
fn keys_are_keyed_length_delimited_digests() {
    let token = b"secret-token-value-0123456789abcdef";
    let hasher = KeyHasher::random().expect("random key");
    let other = KeyHasher::random().expect("random key");
    let k = hasher.key(&[b"TokenReview", token]);
    assert_eq!(
        k,
        hasher.key(&[b"TokenReview", token]),
        "stable in one process"
    );
    assert_ne!(
        k,
        other.key(&[b"TokenReview", token]),
        "depends on the random key"
    );
    assert_ne!(hasher.key(&[b"ab", b"c"]), hasher.key(&[b"a", b"bc"]));
    assert_ne!(hasher.key(&[b"a", b""]), hasher.key(&[b"a"]));
    let printed = format!("{k:?}");
    assert!(!printed.contains("secret-token"));
    assert!(!k.0.windows(8).any(|w| token.windows(8).any(|t| t == w)));
}
