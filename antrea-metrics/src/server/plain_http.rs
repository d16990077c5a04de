//! Plain HTTP sent to the HTTPS port, answered as Go's `net/http` answers it: a readable `400`
//! ("Client sent an HTTP request to an HTTPS server."), then the connection closes. The attempt
//! counts as a failed TLS handshake, as it does in Go.
//!
//! Go recognizes it by the first five bytes, where a TLS record header would be
//! (`tlsRecordHeaderLooksLikeHTTP` in `net/http/server.go`); so does this, by peeking at them
//! before the handshake reads anything.

use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Go's answer, byte for byte.
pub(crate) const ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// The starts of an HTTP/1 request Go recognizes in place of a TLS record header.
const HTTP_STARTS: [&[u8; 5]; 5] = [b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO"];

/// How long to wait between two looks at a request start that has only partly arrived.
const PEEK_PAUSE: Duration = Duration::from_millis(10);

/// The most of a request head read before answering: reading it first means closing does not
/// reset the connection (unread data would) before the client has read the answer.
const MAX_HEAD: usize = 16 * 1024;

/// Whether `start` (the first bytes a client sent, at most five) can still be, or is, one of
/// Go's HTTP request starts.
fn may_be_http(start: &[u8]) -> bool {
    HTTP_STARTS.iter().any(|s| s.starts_with(start))
}

/// Looks at the first bytes on `tcp` without consuming them. When they are an HTTP request's,
/// answers Go's `400`, closes, and returns an error for the caller to count as a failed
/// handshake; otherwise returns `Ok` and the TLS handshake reads the same bytes.
///
/// Bounded by the caller's handshake timeout: a client that stops after a partial request
/// start is looked at every 10 ms until then, one that stops within its head is read until then.
pub(crate) async fn refuse_plain_http(tcp: &mut TcpStream) -> io::Result<()> {
    let mut start = [0u8; 5];
    loop {
        let n = tcp.peek(&mut start).await?;
        if n == 0 || !may_be_http(&start[..n]) {
            // Closed before a byte (the handshake reports it), or TLS (or other garbage, which
            // the handshake refuses).
            return Ok(());
        }
        if n == start.len() {
            break;
        }
        tokio::time::sleep(PEEK_PAUSE).await;
    }
    read_head(tcp).await;
    tcp.write_all(ANSWER).await?;
    tcp.shutdown().await?;
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "client sent an HTTP request to an HTTPS server",
    ))
}

/// Reads (and drops) the request head: up to its blank line, [`MAX_HEAD`] bytes, the client's
/// close or an error, whichever comes first.
async fn read_head(tcp: &mut TcpStream) {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    while head.len() < MAX_HEAD {
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_s_request_starts_are_http_and_a_tls_record_is_not() {
        for start in HTTP_STARTS {
            assert!(may_be_http(start));
            assert!(may_be_http(&start[..2]));
        }
        // A TLS handshake record: content type 22, version 3.1.
        assert!(!may_be_http(&[0x16, 0x03, 0x01, 0x02, 0x00]));
        // Methods Go does not recognize go to the handshake, as in Go.
        assert!(!may_be_http(b"DELET"));
        assert!(!may_be_http(b"GET  "));
    }
}
