//! Running `curl` and `openssl s_client` against a test server, with a time bound.

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::BoxError;

/// Runs a program with no input, killing it after 10 s.
pub async fn run(program: &str, args: &[&str]) -> Result<Output, BoxError> {
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    Ok(tokio::time::timeout(Duration::from_secs(10), child.wait_with_output()).await??)
}

/// `curl` against `https://localhost:<port><path>`, resolved to the server's loopback address.
pub async fn curl(addr: SocketAddr, path: &str, args: &[&str]) -> Result<Output, BoxError> {
    let resolve = format!("localhost:{}:{}", addr.port(), addr.ip());
    let url = format!("https://localhost:{}{path}", addr.port());
    let mut all = vec![
        "--silent",
        "--show-error",
        "--max-time",
        "5",
        "--resolve",
        &resolve,
    ];
    all.extend_from_slice(args);
    all.push(&url);
    run("curl", &all).await
}

/// Whether `openssl s_client` with `args` completes a handshake with the server.
pub async fn s_client_handshakes(addr: SocketAddr, args: &[&str]) -> Result<bool, BoxError> {
    let connect = addr.to_string();
    let mut all = vec!["s_client", "-connect", &connect, "-servername", "localhost"];
    all.extend_from_slice(args);
    let out = run("openssl", &all).await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A finished handshake prints the negotiated cipher; a failed one prints `Cipher is (NONE)`.
    Ok(out.status.success() && stdout.contains("Cipher is ") && !stdout.contains("(NONE)"))
}
