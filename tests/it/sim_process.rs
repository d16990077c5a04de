//! The simulators as processes: exit codes, files they write, and clean stops.

use std::time::Duration;
use suite::sims::{Sim, TempDir};

fn start(name: &str, dir: &TempDir, extra: &[&str]) -> Sim {
    let (token, ca) = (dir.file("run/sim.token"), dir.file("run/sim-ca.pem"));
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        &token,
        "--write-ca",
        &ca,
    ];
    args.extend_from_slice(extra);
    Sim::start(name, &args).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `exe` to completion, killing it if it takes more than 20 s.
fn run_bounded(exe: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(exe)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn bad_flags_and_unreadable_files_exit_2() {
    let dir = TempDir::new("sim-flags").unwrap();
    let exe = suite::sims::examples_dir().unwrap();
    let missing = dir.file("missing/cert.pem");
    let token = dir.file("token");
    let unwritable_ca = dir.file("token/ca.pem");
    for (name, args) in [
        ("sim-agent", vec!["--profile", "v9"]),
        ("sim-agent", vec!["--flow-error-rate", "2"]),
        ("sim-controller", vec!["--tick-ms", "0"]),
        (
            "sim-controller",
            vec![
                "--tls-cert",
                missing.as_str(),
                "--tls-key",
                missing.as_str(),
                "--listen",
                "127.0.0.1:0",
                "--token-file",
                token.as_str(),
            ],
        ),
        // An explicit --write-ca that cannot be written (its directory is a file).
        (
            "sim-agent",
            vec![
                "--listen",
                "127.0.0.1:0",
                "--token-file",
                token.as_str(),
                "--write-ca",
                unwritable_ca.as_str(),
            ],
        ),
    ] {
        let out = run_bounded(&exe.join(name), &args);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{name} {args:?} says why");
    }
}

#[test]
fn banner_names_the_files_and_a_curl_command_and_duration_stops_it() {
    let dir = TempDir::new("sim-banner").unwrap();
    let mut sim = start("sim-agent", &dir, &["--duration", "1s", "--seed", "1"]);
    let token = dir.file("run/sim.token");
    assert!(sim.banner.contains(&token), "{}", sim.banner);
    let curl = format!(
        "curl --cacert {} -H \"Authorization: Bearer $(cat {token})\" https://{}/metrics",
        dir.file("run/sim-ca.pem"),
        sim.addr
    );
    assert!(sim.banner.contains(&curl), "{}\nwant: {curl}", sim.banner);
    assert_eq!(sim.wait(Duration::from_secs(20)), Ok(Some(0)));
    let written = std::fs::read_to_string(&token).unwrap();
    assert_eq!(written.trim().len(), 64, "a 32-byte hex token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_stop_both_cleanly() {
    for (name, signal) in [
        ("sim-agent", "-TERM"),
        ("sim-controller", "-TERM"),
        ("sim-agent", "-INT"),
    ] {
        let dir = TempDir::new("sim-term").unwrap();
        let mut sim = start(name, &dir, &["--tick-ms", "50", "--duration", "120"]);
        assert!(sim.running());
        let kill = std::process::Command::new("kill")
            .args([signal, &sim.pid().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        assert_eq!(
            sim.wait(Duration::from_secs(20)),
            Ok(Some(0)),
            "{name} {signal}"
        );
    }
}

#[cfg(unix)]
#[test]
fn the_soft_open_file_limit_is_raised_to_the_hard_limit() {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let low = hard.map_or(256, |hard| hard.min(512) / 2).to_string();
    let dir = TempDir::new("sim-nofile").unwrap();
    let exe = suite::sims::examples_dir().unwrap().join("sim-agent");
    let (exe, token, ca) = (exe.display().to_string(), dir.file("t"), dir.file("ca.pem"));
    // Start it with a low soft limit, as a shell with `ulimit -Sn` would.
    let script = "ulimit -Sn \"$0\" && export RUST_LOG=info && exec \"$@\"";
    let args = [
        "-c",
        script,
        &low,
        &exe,
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        &token,
        "--write-ca",
        &ca,
        "--duration",
        "1",
    ];
    let out = run_bounded(std::path::Path::new("sh"), &args);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let expected = format!("before=Some({low}) after={hard:?}");
    assert!(
        log.contains("raised the open-file limit") && log.contains(&expected),
        "{expected} not in:\n{log}"
    );
}
