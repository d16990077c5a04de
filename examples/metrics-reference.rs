//! Prints the metrics reference that `docs/metrics.md` holds:
//! `cargo run --example metrics-reference > docs/metrics.md`.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let text = antrea_metrics::reference_markdown();
    // A closed pipe or a full disk is reported as a sentence, not a panic.
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing the reference to stdout failed: {e}");
            ExitCode::FAILURE
        }
    }
}
