//! The load and soak tools report bad input as a sentence (`error: ...`), never as a `Debug`
//! dump, and exit non-zero.

use std::process::Command;

#[test]
fn perf_serve_names_the_missing_token_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let missing = tmp.path().join("no-such-token");
    let out = Command::new(env!("CARGO_BIN_EXE_perf-serve"))
        .args(["--listen", "127.0.0.1:0", "--seconds", "1"])
        .arg("--token-file")
        .arg(&missing)
        .arg("--write-ca")
        .arg(tmp.path().join("ca.pem"))
        .output()
        .expect("run perf-serve");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "error: reading the static tokens file {} failed: No such file",
        missing.display()
    );
    assert!(stderr.starts_with(&want), "{stderr}");
    for debug in ["{", "Os ", "kind:", "ReadFile"] {
        assert!(
            !stderr.contains(debug),
            "Debug syntax {debug:?} in {stderr}"
        );
    }
}
