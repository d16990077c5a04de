//! Running out of file descriptors at accept (`EMFILE`) neither spins nor stops the accept loop
//! (issue #12).
//!
//! Alone (`tests/alone/`): it lowers this process's soft `RLIMIT_NOFILE` and fills the
//! descriptor table, which would break any test running beside it.

use crate::gate::Runtime;
use rustix::process::{getrlimit, setrlimit, Resource};
use std::fs::File;
use std::time::Duration;
use suite::hostile::{assert_serves, open_fds};
use suite::serve::{self, Running};
use suite::BoxError;
use tokio::net::TcpSocket;

const FAILED: &str = "accepting a connection failed";
/// How long the server is left without descriptors.
const STARVED: Duration = Duration::from_millis(600);

/// The highest descriptor number open in this process.
fn highest_fd() -> Result<u64, BoxError> {
    let mut highest = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let name = entry?.file_name();
        highest = highest.max(name.to_string_lossy().parse::<u64>().unwrap_or(0));
    }
    Ok(highest)
}

// A current-thread runtime, so that the log capture sees the server's events. Tests of other
// modules wait at the gate without a runtime (`gate::run`), so none needs a descriptor while
// this one holds them all.
#[test]
fn the_accept_loop_backs_off_on_emfile_and_recovers() -> Result<(), BoxError> {
    crate::gate::run(module_path!(), Runtime::CurrentThread, async {
        let (logs, _guard) = suite::logs::capture();
        let server = Running::start(serve::builder()?).await?;
        assert_serves(&server).await?;

        // Lower the soft limit to a little above what is open, then take every descriptor left
        // but one, so that the next connection gets the client's end and the server none.
        let original = getrlimit(Resource::Nofile);
        let mut low = original;
        low.current = Some(highest_fd()? + 32);
        setrlimit(Resource::Nofile, low)?;
        let mut filler = Vec::new();
        let mut full = false;
        for _ in 0..4096 {
            match File::open("/dev/null") {
                Ok(file) => filler.push(file),
                Err(_) => {
                    full = true;
                    break;
                }
            }
        }
        assert!(full, "the lowered limit was not reached");
        filler.pop();
        let socket = TcpSocket::new_v4()?;
        let _waiting =
            tokio::time::timeout(Duration::from_secs(5), socket.connect(server.addr)).await??;

        // The connection waits in the backlog while the server retries with growing pauses.
        tokio::time::sleep(STARVED).await;
        let failures = logs.text().matches(FAILED).count();
        println!("accept failures logged while starved for {STARVED:?}: {failures}");
        assert!(
            failures >= 1,
            "the server never hit EMFILE:\n{}",
            logs.text()
        );
        // The first failure, then pauses of 5, 10, 20, ... 320 ms (635 ms in all) fit at most 7
        // retries in 600 ms (sleeps only ever run late); a spinning loop would log thousands, and
        // a fixed 50 ms pause 12.
        assert!(failures <= 8, "{failures} accept failures in {STARVED:?}");

        // Descriptors come back: the accept loop is still there and serves again.
        drop(filler);
        setrlimit(Resource::Nofile, original)?;
        let mut last = Err::<(), BoxError>("not tried".into());
        for _ in 0..30 {
            last = assert_serves(&server).await;
            if last.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        last?;
        println!("served again; {} descriptors open", open_fds()?);
        assert!(logs.text().contains("Too many open files") || logs.text().contains("os error 24"));
        server.stop().await
    })
}
