//! The response body that keeps its connection marked busy until hyper has taken it all.

use super::admission::Busy;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A whole response body and, for a request that was counted, its [`Busy`] mark: hyper drops
/// the body once the last frame is written, which makes the connection evictable again.
pub(crate) struct TrackedBody {
    inner: Full<Bytes>,
    _busy: Option<Busy>,
}

impl TrackedBody {
    pub(crate) fn new(inner: Full<Bytes>, busy: Option<Busy>) -> Self {
        Self { inner, _busy: busy }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
