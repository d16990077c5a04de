//! HTTP/2 rapid reset (CVE-2023-44487) against the real server (issue #6, part 2): a client
//! that opens streams and cancels them at once must have its connection closed, with bounded
//! CPU and memory, and the server must go on serving.
//!
//! The frames are written by hand (RFC 9113 framing, RFC 7541 literal header fields), so the
//! test controls exactly what reaches the server, as an attacker would.

use crate::gate::Runtime;
use std::time::{Duration, Instant};
use suite::client;
use suite::hostile::{assert_serves, cpu_time, read_all_until_closed, rss_kib};
use suite::serve::{self, Running, TOKEN};
use suite::BoxError;
use tokio::io::AsyncWriteExt;
use tokio_rustls::rustls::ClientConfig;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const CANCEL: u32 = 0x8;
const ENHANCE_YOUR_CALM: u32 = 0xb;

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = u32::try_from(payload.len()).expect("a small frame");
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// A `GET /metrics` header block: indexed `:method GET` and `:scheme https`, then literals
/// without indexing (static-table names), so the server's HPACK table never grows.
fn get_metrics_block() -> Vec<u8> {
    let mut block = vec![0x82, 0x87];
    let mut literal = |name_index: &[u8], value: &str| {
        block.extend_from_slice(name_index);
        block.push(u8::try_from(value.len()).expect("a short value"));
        block.extend_from_slice(value.as_bytes());
    };
    literal(&[0x04], "/metrics"); // :path (index 4)
    literal(&[0x01], "localhost"); // :authority (index 1)
    literal(&[0x0f, 0x08], &format!("Bearer {TOKEN}")); // authorization (index 23 = 15 + 8)
    block
}

/// The GOAWAY error codes in a server's byte stream (frames after the server's preface).
fn goaway_codes(mut bytes: &[u8]) -> Vec<u32> {
    let mut codes = Vec::new();
    while bytes.len() >= 9 {
        let len = usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        let Some(payload) = bytes.get(9..9 + len) else {
            break;
        };
        if bytes[3] == GOAWAY && payload.len() >= 8 {
            let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
            codes.push(code);
        }
        bytes = &bytes[9 + len..];
    }
    codes
}

fn h2_config(ca_pem: &str) -> Result<std::sync::Arc<ClientConfig>, BoxError> {
    let mut config = (*client::config(ca_pem)?).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(std::sync::Arc::new(config))
}

/// Opens an HTTP/2 connection and sends `streams` HEADERS + RST_STREAM pairs in `batches`
/// writes; returns the GOAWAY codes the server sent before closing.
async fn rapid_reset(server: &Running, streams: u32, batches: u32) -> Result<Vec<u32>, BoxError> {
    let mut tls = client::connect(server.addr, h2_config(server.ca()?)?).await?;
    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    assert_eq!(
        alpn.as_deref(),
        Some(&b"h2"[..]),
        "the server must offer h2"
    );
    let mut start = PREFACE.to_vec();
    frame(&mut start, SETTINGS, 0, 0, &[]);
    tls.write_all(&start).await?;
    let block = get_metrics_block();
    let per_batch = streams / batches;
    'batches: for batch in 0..batches {
        let mut bytes = Vec::new();
        for i in 0..per_batch {
            let stream = 2 * (batch * per_batch + i) + 1;
            frame(
                &mut bytes,
                HEADERS,
                END_HEADERS | END_STREAM,
                stream,
                &block,
            );
            frame(&mut bytes, RST_STREAM, 0, stream, &CANCEL.to_be_bytes());
        }
        // The server may close the connection part-way: that is the outcome we want.
        if tls.write_all(&bytes).await.is_err() || tls.flush().await.is_err() {
            break 'batches;
        }
    }
    let answer = read_all_until_closed(&mut tls, Duration::from_secs(3)).await?;
    Ok(goaway_codes(&answer))
}

#[test]
fn rapid_reset_closes_the_connection_with_bounded_cost() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::MultiThread(2), async {
        let server = Running::start(serve::builder()?).await?;
        // Warm up (first handshake, first scrape) so the figures below measure the attack only.
        assert_serves(&server).await?;
        let (cpu_before, rss_before, started) = (cpu_time()?, rss_kib()?, Instant::now());

        // One burst (all resets arrive before the server accepts any stream), then a trickle.
        for (streams, batches) in [(2_000, 1), (2_000, 40)] {
            let codes = rapid_reset(&server, streams, batches).await?;
            eprintln!("{streams} streams in {batches} writes: GOAWAY codes {codes:?}");
            assert!(
                codes.contains(&ENHANCE_YOUR_CALM),
                "{streams} streams in {batches} writes: GOAWAY codes {codes:?}"
            );
        }

        let cpu = cpu_time()?.saturating_sub(cpu_before);
        let rss_growth = rss_kib()?.saturating_sub(rss_before);
        // Shown with `--nocapture`; docs/reliability.md records these figures.
        eprintln!(
            "rapid reset: {:?}, CPU {cpu:?}, RSS +{rss_growth} KiB",
            started.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        assert!(cpu < Duration::from_secs(3), "CPU {cpu:?}");
        assert!(rss_growth < 32 * 1024, "RSS grew by {rss_growth} KiB");
        assert_serves(&server).await?;
        server.stop().await
    })
}

/// A header list far over `max_header_bytes`, sent as HEADERS and many CONTINUATION frames (the
/// 2024 CONTINUATION-flood class): the connection is closed with GOAWAY, never answered.
#[test]
fn header_list_over_the_limit_in_continuation_frames_is_refused() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::CurrentThread, async {
        let server = Running::start(serve::builder()?).await?;
        let mut tls = client::connect(server.addr, h2_config(server.ca()?)?).await?;
        let mut bytes = PREFACE.to_vec();
        frame(&mut bytes, SETTINGS, 0, 0, &[]);
        frame(&mut bytes, HEADERS, END_STREAM, 1, &get_metrics_block());
        // 400 literal fields of 100 bytes: about 44 KB against the 16 KiB default limit.
        let field = [&[0x00, 0x05][..], b"x-pad", &[100], &[b'a'; 100]].concat();
        for i in 0..400 {
            let flags = if i == 399 { END_HEADERS } else { 0 };
            frame(&mut bytes, CONTINUATION, flags, 1, &field);
        }
        // The server may give up part-way and close, failing the rest of the write.
        let _ = tls.write_all(&bytes).await;
        let _ = tls.flush().await;
        let answer = read_all_until_closed(&mut tls, Duration::from_secs(3)).await?;
        let codes = goaway_codes(&answer);
        eprintln!("CONTINUATION flood: GOAWAY codes {codes:?}");
        assert!(!codes.is_empty(), "closed without GOAWAY");
        assert_serves(&server).await?;
        server.stop().await
    })
}
