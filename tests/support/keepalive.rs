//! A keep-alive HTTPS/1.1 client: many requests over one TLS connection, as Prometheus scrapes.
//!
//! [`crate::client::request`] opens a connection per request; the reliability tests and the soak
//! need connections that stay open between scrapes (and that can be left idle on purpose).

use crate::client::{self, Response, CLIENT_TIMEOUT};
use crate::BoxError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

/// One TLS connection that sends HTTP/1.1 requests one after another.
pub struct KeepAlive {
    tls: TlsStream<TcpStream>,
    /// Bytes read past the end of the previous response (none with a well-behaved server).
    buf: Vec<u8>,
}

impl KeepAlive {
    /// Connects and completes the TLS handshake (bounded by [`CLIENT_TIMEOUT`]).
    pub async fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> Result<Self, BoxError> {
        Ok(Self {
            tls: client::connect(addr, config).await?,
            buf: Vec::new(),
        })
    }

    /// Like [`KeepAlive::connect`], from the loopback address `source`.
    pub async fn connect_from(
        source: IpAddr,
        addr: SocketAddr,
        config: Arc<ClientConfig>,
    ) -> Result<Self, BoxError> {
        Ok(Self {
            tls: client::connect_from(source, addr, config).await?,
            buf: Vec::new(),
        })
    }

    /// `GET path`, with a bearer token when given; the connection stays open afterwards.
    pub async fn get(&mut self, path: &str, token: Option<&str>) -> Result<Response, BoxError> {
        let mut head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n");
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        tokio::time::timeout(CLIENT_TIMEOUT, self.tls.write_all(head.as_bytes())).await??;
        tokio::time::timeout(CLIENT_TIMEOUT, self.read_response()).await?
    }

    /// Reads one `Content-Length` response (the server never sends chunked bodies).
    async fn read_response(&mut self) -> Result<Response, BoxError> {
        let head_end = loop {
            if let Some(pos) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos;
            }
            self.fill().await?;
        };
        let (status, headers) = parse_head(&self.buf[..head_end])?;
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map(|(_, value)| value.parse())
            .transpose()?
            .ok_or("response without Content-Length")?;
        let body_start = head_end + 4;
        while self.buf.len() < body_start + length {
            self.fill().await?;
        }
        let body = self.buf[body_start..body_start + length].to_vec();
        self.buf.drain(..body_start + length);
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> Result<(), BoxError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.tls.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed before a whole response".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// The TLS stream, to go on with hand-written bytes.
    pub fn into_inner(self) -> TlsStream<TcpStream> {
        self.tls
    }

    /// Sends nothing and waits until the server closes the connection; returns how long that
    /// took, or fails after `limit`.
    pub async fn closed_within(mut self, limit: Duration) -> Result<Duration, BoxError> {
        crate::hostile::wait_closed(&mut self.tls, limit).await
    }
}

fn parse_head(head: &[u8]) -> Result<(u16, Vec<(String, String)>), BoxError> {
    let head = std::str::from_utf8(head)?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .ok_or("no status line")?
        .parse()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers))
}
