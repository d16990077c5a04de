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
use std::time::Instant;

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

/// Median nanoseconds per authentication of each token, measured in interleaved rounds (the
/// cases take turns, in a rotating order), so that drift in the machine's speed during the run
/// hits every case alike; criterion's cases run one after another and drift between them.
fn interleaved_medians(tokens: &StaticTokens, cases: &[(&str, String)]) -> Vec<f64> {
    const ROUNDS: usize = 400;
    const PER_ROUND: u32 = 2_000;
    let mut samples = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for round in 0..ROUNDS {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                black_box(authenticate(tokens, black_box(&cases[i].1)));
            }
            samples[i].push(started.elapsed().as_nanos() as f64 / f64::from(PER_ROUND));
        }
    }
    samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
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
    let named: Vec<(&str, String)> = cases.iter().map(|(n, t, _)| (*n, t.clone())).collect();
    let medians = interleaved_medians(&tokens, &named);
    println!("interleaved medians (ns per authentication):");
    for ((name, _), median) in named.iter().zip(&medians) {
        println!("  {name:<18} {median:8.1}");
    }
    // The right token also builds the authenticated user (allocations), so compare the wrong
    // tokens of the secret's length with each other.
    let spread = (medians[1] - medians[2]).abs() / medians[1].min(medians[2]);
    println!(
        "  wrong last byte vs wrong first byte: {:.1}% apart",
        spread * 100.0
    );

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
