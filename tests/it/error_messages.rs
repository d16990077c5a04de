//! Binaries report bad input as a sentence (`error: ...`, the cause included), never as a
//! `Debug` dump, and exit non-zero.

use std::process::Command;

/// Marks of a `Debug` dump of an error: struct braces, `Os { code: .. }`, `kind:`.
fn assert_sentence(stderr: &str, starts: &str) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no `error: ` line in:\n{stderr}"));
    assert!(line.starts_with(starts), "{line}");
    for debug in ["{", "}", "Os ", "kind:", "code:", "ReadFile"] {
        assert!(!line.contains(debug), "Debug syntax {debug:?} in {line}");
    }
}

#[test]
fn a_simulator_names_the_missing_certificate_file() {
    let dir = suite::sims::examples_dir().expect("simulators");
    let out = Command::new(dir.join("sim-agent"))
        .args(["--listen", "127.0.0.1:0", "--duration", "1"])
        .args([
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .env("RUST_LOG", "off")
        .output()
        .expect("run sim-agent");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_sentence(
        &String::from_utf8_lossy(&out.stderr),
        "error: reading the tls cert file /nonexistent/cert.pem failed: No such file",
    );
}
