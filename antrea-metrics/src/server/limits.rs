//! Limits and timeouts, and their validation.

use super::error::{BuildError, BuildResult};
use std::time::Duration;

/// Limits and timeouts; every field has a builder setter on
/// [`MetricsServerBuilder`](super::MetricsServerBuilder).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) handshake_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) fresh_connection_grace: Duration,
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
            send_timeout: Duration::from_secs(10),
            fresh_connection_grace: Duration::from_secs(1),
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
    pub(crate) fn validate(&self) -> BuildResult<()> {
        let nonzero = [
            ("handshake timeout", self.handshake_timeout.is_zero()),
            ("header read timeout", self.header_read_timeout.is_zero()),
            ("idle timeout", self.idle_timeout.is_zero()),
            ("send timeout", self.send_timeout.is_zero()),
            ("scrape timeout", self.scrape_timeout.is_zero()),
            ("max connections", self.max_connections == 0),
            (
                "max connections per client",
                self.max_connections_per_client == 0,
            ),
            ("max in-flight scrapes", self.max_inflight_scrapes == 0),
            (
                "h2 max concurrent streams",
                self.h2_max_concurrent_streams == 0,
            ),
        ];
        if let Some((setting, _)) = nonzero.into_iter().find(|(_, zero)| *zero) {
            return Err(BuildError::Zero { setting });
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return Err(BuildError::MaxHeaderBytes(self.max_header_bytes));
        }
        // No bytes flow while a scrape is being encoded: a longer scrape would look idle.
        if self.scrape_timeout >= self.idle_timeout {
            return Err(BuildError::ScrapeTimeout {
                scrape: self.scrape_timeout,
                idle: self.idle_timeout,
            });
        }
        Ok(())
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
}
