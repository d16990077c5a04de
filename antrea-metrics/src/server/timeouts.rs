//! The connection I/O timers, in one wrapper ([`Timed`]) so that reads and writes are
//! forwarded once:
//!
//! - The idle timeout fails reads and writes once no byte has moved in either direction for
//!   its duration, which closes idle keep-alive connections of both HTTP versions (HTTP/2 pings
//!   are not sent, so a quiet HTTP/2 connection does not stay open forever).
//! - The HTTP/1 request-head timeout (slowloris defence) is timed from each head's first byte.
//!   hyper's own `header_read_timeout` starts when the previous response ends, so on a
//!   kept-alive connection it also bounds how long a client may stay quiet between requests:
//!   every connection idle for longer than the header timeout (10 s by default, while
//!   Prometheus scrapes every 15–60 s) was closed, and the idle timeout never applied. Like
//!   Go's `ReadHeaderTimeout`, this times the first head from the connection's start and each
//!   later head from its first byte, and stops at the empty line that ends the head; the time
//!   between requests is the idle timeout's.
//! - The send stall timeout fails a write that has waited its duration for the client to make
//!   room (it reads nothing): bytes from the client (an HTTP/2 PING every few seconds) keep
//!   the idle timer off but not this one, so a client that never reads cannot hold its
//!   connection and the response bytes buffered for it forever.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What an HTTP/2 client sends first; an HTTP/2 connection has no request heads to time.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Receiving a head: the clock runs. `line` counts the bytes of the current line (CR
    /// aside); `lines` whether a non-empty line was seen, so leading empty lines do not count
    /// as the end of the head.
    Head { line: usize, lines: bool },
    /// The head has arrived; bytes now are a body or a pipelined request.
    Request,
    /// A response was written: the next byte starts a new head.
    Idle,
    /// HTTP/2, or a connection that is not timed.
    Off,
}

/// A connection's I/O with its idle and request-head timers: a read or write fails with
/// `TimedOut` once either runs out.
pub(crate) struct Timed<T> {
    inner: T,
    idle: Idle,
    head: Head,
    stall: Stall,
}

/// The send stall timer: runs while writes wait for the client to read.
struct Stall {
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    waiting: bool,
}

/// The idle timer: reset whenever a read or write makes progress.
struct Idle {
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

/// The request-head timer and the state of the bytes read.
struct Head {
    timeout: Duration,
    state: State,
    sleep: Pin<Box<Sleep>>,
    /// Bytes of [`H2_PREFACE`] matched from the start; `None` once the connection is not h2.
    preface: Option<usize>,
}

impl<T> Timed<T> {
    /// Times `inner`: idle for at most `idle`, each request head within `head` (`http1` is
    /// false for a connection that negotiated h2, whose heads are not timed), a write blocked
    /// for at most `stall`.
    pub(crate) fn new(
        inner: T,
        idle: Duration,
        head: Duration,
        stall: Duration,
        http1: bool,
    ) -> Self {
        Self {
            inner,
            idle: Idle {
                timeout: idle,
                sleep: Box::pin(tokio::time::sleep(idle)),
            },
            head: Head::new(head, http1),
            stall: Stall {
                timeout: stall,
                sleep: Box::pin(tokio::time::sleep(stall)),
                waiting: false,
            },
        }
    }

    /// What a write that returned `poll` means for the send stall timer, then for the others.
    fn check_write<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let stall = &mut self.stall;
        if poll.is_ready() {
            stall.waiting = false;
        } else {
            if !stall.waiting {
                stall.waiting = true;
                stall.sleep.as_mut().reset(Instant::now() + stall.timeout);
            }
            if stall.sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client took none of the response in time",
                )));
            }
        }
        self.check(cx, poll)
    }

    /// What a read or write that returned `poll` means for the timers: progress resets the
    /// idle timer; waiting is cut short by whichever timer has run out.
    fn check<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if poll.is_ready() {
            let idle = &mut self.idle;
            idle.sleep.as_mut().reset(Instant::now() + idle.timeout);
            return poll;
        }
        if matches!(self.head.state, State::Head { .. })
            && self.head.sleep.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request head not received in time",
            )));
        }
        match self.idle.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Head {
    fn new(timeout: Duration, http1: bool) -> Self {
        Self {
            timeout,
            state: if http1 {
                State::Head {
                    line: 0,
                    lines: false,
                }
            } else {
                State::Off
            },
            sleep: Box::pin(tokio::time::sleep(timeout)),
            preface: Some(0),
        }
    }

    /// A response (or part of one) went out: the request is answered.
    fn wrote(&mut self, poll: &Poll<io::Result<usize>>) {
        if self.state == State::Request && matches!(poll, Poll::Ready(Ok(n)) if *n > 0) {
            self.state = State::Idle;
        }
    }

    /// Follows the bytes just read through the head / request / idle states.
    fn saw(&mut self, data: &[u8]) {
        if let Some(matched) = self.preface {
            let n = data.len().min(H2_PREFACE.len() - matched);
            self.preface = (data[..n] == H2_PREFACE[matched..matched + n]).then_some(matched + n);
            if self.preface == Some(H2_PREFACE.len()) {
                self.state = State::Off;
                return;
            }
        }
        for &byte in data {
            self.state = match self.state {
                State::Idle => {
                    self.sleep.as_mut().reset(Instant::now() + self.timeout);
                    next(0, false, byte)
                }
                State::Head { line, lines } => next(line, lines, byte),
                State::Request | State::Off => return,
            };
        }
    }
}

/// The state after `byte` while in a head.
fn next(line: usize, lines: bool, byte: u8) -> State {
    match byte {
        b'\n' if line == 0 && lines => State::Request,
        b'\n' => State::Head {
            line: 0,
            lines: lines || line > 0,
        },
        b'\r' => State::Head { line, lines },
        _ => State::Head {
            line: line + 1,
            lines,
        },
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Timed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && this.head.state != State::Off {
            this.head.saw(&buf.filled()[before..]);
        }
        this.check(cx, poll)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Timed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.head.wrote(&poll);
        this.check_write(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check_write(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.head.wrote(&poll);
        this.check_write(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const T: Duration = Duration::from_secs(5);
    /// Longer than any test waits, so only the head timer fires.
    const IDLE: Duration = Duration::from_secs(3600);

    async fn read_some<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<usize> {
        let mut buf = [0u8; 256];
        io.read(&mut buf).await
    }

    #[tokio::test(start_paused = true)]
    async fn an_unfinished_head_times_out() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = Timed::new(client, IDLE, T, IDLE, true);
        peer.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        assert!(read_some(&mut io).await.is_ok());
        let err = read_some(&mut io).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_between_requests_is_not_timed_but_the_next_head_is() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = Timed::new(client, IDLE, T, IDLE, true);
        peer.write_all(b"GET / HTTP/1.1\nHost: x\n\n")
            .await
            .unwrap();
        read_some(&mut io).await.unwrap();
        io.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        // Quiet for far longer than the timeout: still open.
        let quiet = tokio::time::timeout(T * 10, read_some(&mut io)).await;
        assert!(quiet.is_err(), "an idle connection must not time out here");
        peer.write_all(b"GET").await.unwrap();
        read_some(&mut io).await.unwrap();
        let err = read_some(&mut io).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn leading_empty_lines_do_not_end_a_head() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = Timed::new(client, IDLE, T, IDLE, true);
        peer.write_all(b"\r\n\r\nGET / HTTP/1.1\r\n").await.unwrap();
        read_some(&mut io).await.unwrap();
        assert!(matches!(io.head.state, State::Head { .. }));
        assert!(read_some(&mut io).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn http2_is_not_timed() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = Timed::new(client, IDLE, T, IDLE, true);
        peer.write_all(H2_PREFACE).await.unwrap();
        read_some(&mut io).await.unwrap();
        assert_eq!(io.head.state, State::Off);
        let quiet = tokio::time::timeout(T * 10, read_some(&mut io)).await;
        assert!(quiet.is_err());
        assert_eq!(
            Timed::new(peer, IDLE, T, IDLE, false).head.state,
            State::Off
        );
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connection_times_out() {
        let (client, _peer) = tokio::io::duplex(64);
        let mut io = Timed::new(client, T, T * 100, IDLE, false);
        let err = read_some(&mut io).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "connection idle for too long");
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_moving_keep_the_idle_timer_off() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = Timed::new(client, T, T, IDLE, false);
        for _ in 0..5 {
            tokio::time::sleep(T / 2).await;
            peer.write_all(b"x").await.unwrap();
            read_some(&mut io).await.unwrap();
        }
        let err = read_some(&mut io).await.unwrap_err();
        assert_eq!(err.to_string(), "connection idle for too long");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_client_never_reads_fails_after_the_stall_timeout() {
        let (client, mut peer) = tokio::io::duplex(64);
        let mut io = Timed::new(client, IDLE, IDLE, T, false);
        let started = Instant::now();
        // Bytes from the client keep the connection from being idle, not the write going.
        let pinger = tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(T / 5).await;
                if peer.write_all(b"p").await.is_err() {
                    break;
                }
            }
        });
        let err = io.write_all(&[0u8; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            err.to_string(),
            "the client took none of the response in time"
        );
        assert_eq!(started.elapsed(), T);
        pinger.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_not_stalled() {
        let (client, mut peer) = tokio::io::duplex(64);
        let mut io = Timed::new(client, IDLE, IDLE, T, false);
        let reader = tokio::spawn(async move {
            let mut total = 0;
            let mut buf = [0u8; 16];
            while total < 4096 {
                tokio::time::sleep(T / 4).await;
                total += peer.read(&mut buf).await.unwrap();
            }
        });
        // 4 KiB at 16 bytes per T/4: far longer than T in all, never T without progress.
        io.write_all(&[0u8; 4096]).await.unwrap();
        reader.await.unwrap();
    }
}
