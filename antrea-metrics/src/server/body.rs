//! The response body that tells admission when the client has taken it (the send stall watch).

use super::admission::Sending;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A whole response body and, for a request that was counted, its [`Sending`] mark: hyper
/// drops the body once it has taken the last frame (for HTTP/2, once the client's window let
/// it), which tells the connection's send stall watch that the client is taking its responses.
pub(crate) struct TrackedBody {
    inner: Full<Bytes>,
    _sending: Option<Sending>,
}

impl TrackedBody {
    pub(crate) fn new(inner: Full<Bytes>, sending: Option<Sending>) -> Self {
        Self {
            inner,
            _sending: sending,
        }
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
