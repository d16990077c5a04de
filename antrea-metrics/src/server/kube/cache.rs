//! A bounded TTL cache of review answers, like the apiserver's delegating authenticator and
//! authorizer caches.
//!
//! - Keys are HMAC-SHA256 digests, under a random per-process key, of a length-delimited
//!   encoding of the review's fields: a raw token is never stored, and fields cannot be shifted
//!   between each other to forge a key (exporter-toolkit's CVE-2022-46146).
//! - Allowed and denied answers live for the TTL; errors are never cached.
//! - Concurrent identical reviews share one request: the first caller starts it in a task and
//!   everyone (including itself) waits on a `watch` channel. The task is detached, so a client
//!   that hangs up does not cancel a review other callers wait for; the review timeout bounds it.
//! - Size is bounded: past the capacity, expired answers go first, then the oldest. Pending
//!   reviews are not evicted; their number is bounded by the server's in-flight requests.

use super::error::{ConfigError, KubeError};
use crate::Counter;
use ring::hmac;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// A cache key: a keyed digest, never the credential itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey([u8; 32]);

/// Derives [`CacheKey`]s with a key drawn at random when the cache is made.
pub(crate) struct KeyHasher(hmac::Key);

impl KeyHasher {
    pub(crate) fn random() -> Result<Self, ConfigError> {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
            .map_err(|_| ConfigError::Random)?;
        Ok(Self(key))
    }

    /// The key of `fields`: their count, then each field's length and bytes.
    pub(crate) fn key(&self, fields: &[&[u8]]) -> CacheKey {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(&(fields.len() as u64).to_be_bytes());
        for field in fields {
            ctx.update(&(field.len() as u64).to_be_bytes());
            ctx.update(field);
        }
        let mut key = [0; 32];
        key.copy_from_slice(ctx.sign().as_ref());
        CacheKey(key)
    }
}

/// A review answer, or the error shared by everyone who waited for it.
pub(crate) type Shared<V> = Result<V, Arc<KubeError>>;

enum Entry<V> {
    Ready { value: V, expires: Instant },
    Pending(watch::Receiver<Option<Shared<V>>>),
}

enum Lookup<V> {
    Hit(V),
    Wait(watch::Receiver<Option<Shared<V>>>),
}

/// Review answers by key; see the module docs.
pub(crate) struct ReviewCache<V> {
    entries: Mutex<HashMap<CacheKey, Entry<V>>>,
    ttl: Duration,
    capacity: usize,
    hits: Counter,
}

impl<V: Clone + Send + Sync + 'static> ReviewCache<V> {
    pub(crate) fn new(ttl: Duration, capacity: usize, hits: Counter) -> Arc<Self> {
        Arc::new(Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
            hits,
        })
    }

    /// The cached answer for `key`, or the answer of a review (shared with concurrent callers).
    pub(crate) async fn get_or_fetch<F, Fut>(self: &Arc<Self>, key: CacheKey, fetch: F) -> Shared<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<V, KubeError>> + Send + 'static,
    {
        // Bounded: another turn only follows a review task that vanished without answering.
        for _ in 0..3 {
            let mut answer = match self.lookup(key, &fetch) {
                Lookup::Hit(value) => return Ok(value),
                Lookup::Wait(answer) => answer,
            };
            let settled = answer.wait_for(Option::is_some).await.ok();
            if let Some(Some(answer)) = settled.as_deref() {
                return answer.clone();
            }
        }
        Err(Arc::new(KubeError::Abandoned))
    }

    fn lookup<F, Fut>(self: &Arc<Self>, key: CacheKey, fetch: &F) -> Lookup<V>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<V, KubeError>> + Send + 'static,
    {
        let mut entries = self.lock();
        match entries.get(&key) {
            Some(Entry::Ready { value, expires }) if *expires > Instant::now() => {
                self.hits.inc();
                return Lookup::Hit(value.clone());
            }
            // A sender that is gone (its task panicked) leaves a stale entry: replace it.
            Some(Entry::Pending(answer)) if answer.has_changed().is_ok() => {
                return Lookup::Wait(answer.clone());
            }
            _ => {}
        }
        let (send, answer) = watch::channel(None);
        entries.insert(key, Entry::Pending(answer.clone()));
        let review = fetch();
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let result = review.await.map_err(Arc::new);
            cache.settle(key, &result);
            // No receiver left is fine: the answer is cached for the next caller.
            let _ = send.send(Some(result));
        });
        Lookup::Wait(answer)
    }

    fn settle(&self, key: CacheKey, result: &Shared<V>) {
        let mut entries = self.lock();
        match result {
            Ok(value) if !self.ttl.is_zero() => {
                let expires = Instant::now() + self.ttl;
                let value = value.clone();
                entries.insert(key, Entry::Ready { value, expires });
                self.evict(&mut entries);
            }
            // Errors are not cached: the next request asks the API server again.
            _ => {
                entries.remove(&key);
            }
        }
    }

    fn evict(&self, entries: &mut HashMap<CacheKey, Entry<V>>) {
        if entries.len() <= self.capacity {
            return;
        }
        let now = Instant::now();
        entries.retain(|_, e| !matches!(e, Entry::Ready { expires, .. } if *expires <= now));
        // Bounded: each turn removes one entry or stops.
        while entries.len() > self.capacity {
            let oldest = entries
                .iter()
                .filter_map(|(key, e)| match e {
                    Entry::Ready { expires, .. } => Some((*expires, *key)),
                    Entry::Pending(_) => None,
                })
                .min_by_key(|(expires, _)| *expires);
            let Some((_, key)) = oldest else { break };
            entries.remove(&key);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<CacheKey, Entry<V>>> {
        // The map stays consistent under every panic point, so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests;
