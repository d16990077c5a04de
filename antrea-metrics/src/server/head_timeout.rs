//! The HTTP/1 request-head timeout (slowloris defence), timed from each head's first byte.
//!
//! hyper's own `header_read_timeout` starts when the previous response ends, so on a kept-alive
//! connection it also bounds how long a client may stay quiet between requests: every
//! connection idle for longer than the header timeout (10 s by default, while Prometheus scrapes
//! every 15–60 s) was closed, and the idle timeout never applied. Like Go's
//! `ReadHeaderTimeout`, this wrapper times the first head from the connection's start and each
//! later head from its first byte, and stops at the empty line that ends the head. The idle time
//! between requests is left to [`IdleTimeout`](super::limits::IdleTimeout).

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

/// Fails reads once a request head has taken longer than `timeout` to arrive.
pub(crate) struct HeadTimeout<T> {
    inner: T,
    timeout: Duration,
    state: State,
    sleep: Pin<Box<Sleep>>,
    /// Bytes of [`H2_PREFACE`] matched from the start; `None` once the connection is not h2.
    preface: Option<usize>,
}

impl<T> HeadTimeout<T> {
    /// Times `inner`'s request heads; `http1` is false for a connection that negotiated h2.
    pub(crate) fn new(inner: T, timeout: Duration, http1: bool) -> Self {
        Self {
            inner,
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

impl<T: AsyncRead + Unpin> AsyncRead for HeadTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.state != State::Off {
                    this.saw(&buf.filled()[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if matches!(this.state, State::Head { .. }) => {
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "request head not received in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> HeadTimeout<T> {
    /// A response (or part of one) went out: the request is answered.
    fn wrote(&mut self, poll: &Poll<io::Result<usize>>) {
        if self.state == State::Request && matches!(poll, Poll::Ready(Ok(n)) if *n > 0) {
            self.state = State::Idle;
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&poll);
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&poll);
        poll
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

    async fn read_some<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<usize> {
        let mut buf = [0u8; 256];
        io.read(&mut buf).await
    }

    #[tokio::test(start_paused = true)]
    async fn an_unfinished_head_times_out() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = HeadTimeout::new(client, T, true);
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
        let mut io = HeadTimeout::new(client, T, true);
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
        let mut io = HeadTimeout::new(client, T, true);
        peer.write_all(b"\r\n\r\nGET / HTTP/1.1\r\n").await.unwrap();
        read_some(&mut io).await.unwrap();
        assert!(matches!(io.state, State::Head { .. }));
        assert!(read_some(&mut io).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn http2_is_not_timed() {
        let (client, mut peer) = tokio::io::duplex(1024);
        let mut io = HeadTimeout::new(client, T, true);
        peer.write_all(H2_PREFACE).await.unwrap();
        read_some(&mut io).await.unwrap();
        assert_eq!(io.state, State::Off);
        let quiet = tokio::time::timeout(T * 10, read_some(&mut io)).await;
        assert!(quiet.is_err());
        assert_eq!(HeadTimeout::new(peer, T, false).state, State::Off);
    }
}
