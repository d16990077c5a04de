//! Timing check of static-token comparison (issue #6, part 6): the right token, a wrong token
//! that shares all but its last byte with it, one that differs in its first byte, and wrong
//! tokens of other lengths should take the same time within noise. Figures are recorded in
//! `docs/reliability.md`.
//!
//! The server hashes the presented token (SHA-256) and compares digests in constant time, so
//! only the *presented* token's length can change the time (through the number of SHA-256
//! blocks), never how much of the secret it matches.

use antrea_metrics::server::{Authentication, Authenticator, StaticTokens};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// A 64-character secret, as `openssl rand -hex 32` makes.
const RIGHT: &str = "3f9a1c0d7e2b4a6f8c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b";

/// Authenticates once; `StaticTokens` answers with a ready future, so one poll decides.
fn authenticate(tokens: &StaticTokens, token: &str) -> bool {
    let mut future = pin!(tokens.authenticate(Some(token)));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Ok(Authentication::Authenticated(_))) => true,
        Poll::Ready(_) => false,
        Poll::Pending => unreachable!("static tokens answer at once"),
    }
}

fn token_comparison(c: &mut Criterion) {
    let tokens = StaticTokens::new([RIGHT.to_owned()]);
    let mut last_byte = RIGHT.to_owned();
    last_byte.replace_range(63..64, "c");
    let mut first_byte = RIGHT.to_owned();
    first_byte.replace_range(0..1, "0");
    let cases = [
        ("right", RIGHT.to_owned(), true),
        ("wrong_last_byte", last_byte, false),
        ("wrong_first_byte", first_byte, false),
        ("prefix_63_bytes", RIGHT[..63].to_owned(), false),
        ("short_8_bytes", RIGHT[..8].to_owned(), false),
        ("long_65_bytes", format!("{RIGHT}0"), false),
    ];
    let mut group = c.benchmark_group("token_comparison");
    for (name, token, expected) in &cases {
        assert_eq!(authenticate(&tokens, token), *expected, "{name}");
        group.bench_with_input(BenchmarkId::from_parameter(name), token, |b, token| {
            b.iter(|| authenticate(&tokens, black_box(token)));
        });
    }
    group.finish();
}

criterion_group!(benches, token_comparison);
criterion_main!(benches);
