//! Which gzip backend and level the server should use (issue 15): the realistic agent's
//! exposition compressed by miniz_oxide (flate2's default backend) and by zlib-rs (flate2's
//! `zlib-rs` feature), each at levels 1, 2, 4 and 6, as gzip streams. Prints each variant's
//! compressed size before the timings; every output is inflated and compared with the input.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::io::Read as _;
use std::time::Duration;

const LEVELS: [u8; 4] = [1, 2, 4, 6];

/// A gzip member around miniz_oxide's raw deflate stream: RFC 1952's 10-byte header (no name,
/// no time, OS unknown), then CRC-32 and length, as flate2's `GzEncoder` writes them.
fn miniz(text: &[u8], level: u8) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend(miniz_oxide::deflate::compress_to_vec(text, level));
    out.extend(crc32fast::hash(text).to_le_bytes());
    out.extend((text.len() as u32).to_le_bytes());
    out
}

/// zlib-rs' one-shot gzip (window bits 16 + 15) into a buffer of its compress bound.
fn zlib_rs(text: &[u8], level: u8) -> Vec<u8> {
    let mut out = vec![0; zlib_rs::compress_bound(text.len()) + 18];
    let config = zlib_rs::DeflateConfig {
        window_bits: 31,
        ..zlib_rs::DeflateConfig::new(i32::from(level))
    };
    let (written, rc) = zlib_rs::compress_slice(&mut out, text, config);
    assert_eq!(rc, zlib_rs::ReturnCode::Ok, "zlib-rs compress");
    let n = written.len();
    out.truncate(n);
    out
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut text)
        .unwrap_or_else(|e| panic!("{e}"));
    text
}

type Backend = (&'static str, fn(&[u8], u8) -> Vec<u8>);

const BACKENDS: [Backend; 2] = [("miniz_oxide", miniz), ("zlib-rs", zlib_rs)];

fn gzip(c: &mut Criterion) {
    let agent = suite::realistic::agent();
    let mut text = Vec::new();
    antrea_metrics::Exposition::encode(&agent, antrea_metrics::format::Format::Text, &mut text)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("gzip input: {} bytes", text.len());
    let mut g = c.benchmark_group("gzip");
    for (name, f) in BACKENDS {
        for level in LEVELS {
            let gz = f(&text, level);
            assert_eq!(gunzip(&gz), text, "{name} level {level} round trip");
            println!(
                "gzip size: {name} level {level}: {} bytes ({:.1} %)",
                gz.len(),
                gz.len() as f64 * 100.0 / text.len() as f64
            );
            g.bench_function(format!("{name} level {level}"), |b| {
                b.iter(|| f(black_box(&text), level))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = gzip
}
criterion_main!(benches);
