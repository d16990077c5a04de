//! A minimal HTTPS/1.1 test client on tokio-rustls (ring), for talking to the metrics server.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// Every client operation gives up after this long, so a hung server fails a test quickly.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

use crate::BoxError;

/// A client configuration that trusts only `ca_pem`, for any TLS version.
pub fn config(ca_pem: &str) -> Result<Arc<ClientConfig>, BoxError> {
    config_with(ca_pem, &[&rustls::version::TLS13, &rustls::version::TLS12])
}

/// A client configuration that trusts only `ca_pem` and offers only `versions`.
pub fn config_with(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Arc<ClientConfig>, BoxError> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(versions)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The raw body (the server sends `Content-Length` bodies; the connection is closed after).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Connects with SNI `localhost` and completes the TLS handshake.
pub async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    connect_as(addr, config, "localhost").await
}

/// Connects and verifies the server as `name` (a DNS name or an IP address).
pub async fn connect_as(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    name: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    let tcp = tokio::time::timeout(CLIENT_TIMEOUT, TcpStream::connect(addr)).await??;
    handshake(tcp, config, name).await
}

/// Completes a TLS handshake on `tcp`, verifying the server as `name`.
async fn handshake(
    tcp: TcpStream,
    config: Arc<ClientConfig>,
    name: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    let name = ServerName::try_from(name.to_owned())?;
    let connect = TlsConnector::from(config).connect(name, tcp);
    Ok(tokio::time::timeout(CLIENT_TIMEOUT, connect).await??)
}

/// Opens a TCP connection from the loopback address `source` (`127.0.0.2`, ...), so that tests
/// can stand for several clients; port chosen by the kernel.
pub async fn tcp_from(source: IpAddr, addr: SocketAddr) -> Result<TcpStream, BoxError> {
    let socket = match source {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(source, 0))?;
    Ok(tokio::time::timeout(CLIENT_TIMEOUT, socket.connect(addr)).await??)
}

/// Like [`connect`], from the loopback address `source`.
pub async fn connect_from(
    source: IpAddr,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    handshake(tcp_from(source, addr).await?, config, "localhost").await
}

/// `GET path` with a bearer token on a new connection from the loopback address `source`.
pub async fn get_from(
    source: IpAddr,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    path: &str,
    token: &str,
) -> Result<Response, BoxError> {
    let tls = connect_from(source, addr, config).await?;
    let auth = format!("Authorization: Bearer {token}");
    exchange(tls, "GET", path, &[&auth]).await
}

/// The DER of the certificate the server presents.
pub async fn peer_certificate(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<Vec<u8>, BoxError> {
    let tls = connect(addr, config).await?;
    let (_, conn) = tls.get_ref();
    let certs = conn.peer_certificates().ok_or("no peer certificate")?;
    Ok(certs.first().ok_or("empty chain")?.to_vec())
}

/// Sends `method path` with `extra` header lines (e.g. `"Authorization: Bearer x"`).
pub async fn request(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    method: &str,
    path: &str,
    extra: &[&str],
) -> Result<Response, BoxError> {
    let tls = connect(addr, config).await?;
    exchange(tls, method, path, extra).await
}

/// Sends one `Connection: close` request on `tls` and reads the whole response.
async fn exchange(
    mut tls: tokio_rustls::client::TlsStream<TcpStream>,
    method: &str,
    path: &str,
    extra: &[&str],
) -> Result<Response, BoxError> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    tls.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    // The server may close without close_notify after `Connection: close`; keep what arrived.
    let read = tokio::time::timeout(CLIENT_TIMEOUT, tls.read_to_end(&mut raw)).await?;
    if let Err(err) = read {
        if raw.is_empty() {
            return Err(err.into());
        }
    }
    parse(&raw)
}

/// `GET path` with a bearer token.
pub async fn get_with_token(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    path: &str,
    token: &str,
) -> Result<Response, BoxError> {
    let auth = format!("Authorization: Bearer {token}");
    request(addr, config, "GET", path, &[&auth]).await
}

fn parse(raw: &[u8]) -> Result<Response, BoxError> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end])?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .ok_or("no status code")?
        .parse()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

/// A client configuration that trusts `ca_pem` and presents `cert_pem`/`key_pem` (mTLS).
pub fn config_with_client_cert(
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<Arc<ClientConfig>, BoxError> {
    use tokio_rustls::rustls::pki_types::PrivateKeyDer;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes()).collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// Like [`config`], offering only `h2` through ALPN.
pub fn config_h2(ca_pem: &str) -> Result<Arc<ClientConfig>, BoxError> {
    let mut config = (*config(ca_pem)?).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}
