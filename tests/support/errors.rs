//! Errors as sentences at a binary's top level: `error: <message>: caused by <source>: ...`,
//! never a `Debug` dump, and a non-zero exit.

use std::error::Error;
use std::fmt::Write as _;
use std::process::ExitCode;

/// `err`'s message followed by each source that it does not already quote. The library's
/// errors embed their source in the message; other errors (I/O wrapped by `?`) do not.
pub fn sentence(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(source) = next {
        let said = source.to_string();
        if !text.contains(&said) {
            let _ = write!(text, ": caused by {said}");
        }
        next = source.source();
    }
    text
}

/// Prints `error: ...` (see [`sentence`]) for a failure and turns the outcome into an exit code.
pub fn exit_code<E: Error + 'static>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", sentence(&e));
            ExitCode::FAILURE
        }
    }
}

/// [`exit_code`] for the boxed errors that the tools propagate with `?`.
pub fn exit_code_boxed(result: Result<(), crate::BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", sentence(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error, bool);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            if self.1 {
                write!(f, "reading the token file t failed: {}", self.0)
            } else {
                f.write_str("reading the token file t failed")
            }
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    fn missing() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
    }

    #[test]
    fn sources_are_appended_once() {
        assert_eq!(
            sentence(&Outer(missing(), false)),
            "reading the token file t failed: caused by no such file"
        );
        assert_eq!(
            sentence(&Outer(missing(), true)),
            "reading the token file t failed: no such file"
        );
    }
}
