//! Prints the metrics reference that `docs/metrics.md` holds, generated from the catalogue;
//! `scripts/regenerate.sh` writes it there (with the other files the tests compare).

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
