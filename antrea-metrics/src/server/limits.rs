//! Limits and timeouts, and the idle timeout applied to every connection's I/O.

use crate::{Error, Result};
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Limits and timeouts; every field has a builder setter on
/// [`MetricsServerBuilder`](super::MetricsServerBuilder).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) handshake_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_header_bytes: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_client: usize,
    pub(crate) max_inflight_scrapes: usize,
    pub(crate) scrape_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) h2_max_concurrent_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_header_bytes: 16 * 1024,
            max_connections: 256,
            max_connections_per_client: 64,
            max_inflight_scrapes: 4,
            scrape_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(10),
            h2_max_concurrent_streams: 16,
        }
    }
}

/// hyper refuses an HTTP/1 buffer smaller than this (it panics).
pub(crate) const MIN_HEADER_BYTES: usize = 8192;

impl Limits {
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        let durations = [
            ("handshake timeout", self.handshake_timeout),
            ("header read timeout", self.header_read_timeout),
            ("idle timeout", self.idle_timeout),
            ("scrape timeout", self.scrape_timeout),
        ];
        for (field, value) in durations {
            if value.is_zero() {
                return bad(field, "must be more than zero");
            }
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return bad("max header bytes", "must be at least 8192");
        }
        if self.max_connections == 0
            || self.max_connections_per_client == 0
            || self.max_inflight_scrapes == 0
        {
            return bad(
                "max connections / max connections per client / max in-flight scrapes",
                "must be at least 1",
            );
        }
        if self.h2_max_concurrent_streams == 0 {
            return bad("h2 max concurrent streams", "must be at least 1");
        }
        // No bytes flow while a scrape is being encoded: a longer scrape would look idle.
        if self.scrape_timeout >= self.idle_timeout {
            return bad("scrape timeout", "must be shorter than the idle timeout");
        }
        Ok(())
    }
}

/// Fails reads and writes once no byte has moved in either direction for `timeout`, which
/// closes idle keep-alive connections of both HTTP versions (HTTP/2 pings are not sent, so a
/// quiet HTTP/2 connection does not stay open forever).
pub(crate) struct IdleTimeout<T> {
    inner: T,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    pub(crate) fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn touch(&mut self) {
        self.sleep.as_mut().reset(Instant::now() + self.timeout);
    }

    fn check<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match poll {
            Poll::Ready(result) => {
                self.touch();
                Poll::Ready(result)
            }
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.check(cx, poll)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check(cx, poll)
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
        this.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_is_refused() {
        assert!(Limits::default().validate().is_ok());
        let zero = Limits {
            handshake_timeout: Duration::ZERO,
            ..Limits::default()
        };
        assert!(zero.validate().is_err());
        let small = Limits {
            max_header_bytes: 100,
            ..Limits::default()
        };
        assert!(small.validate().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connection_times_out() {
        use tokio::io::AsyncReadExt;
        let (client, _server) = tokio::io::duplex(64);
        let mut io = IdleTimeout::new(client, Duration::from_secs(5));
        let mut buf = [0u8; 8];
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
