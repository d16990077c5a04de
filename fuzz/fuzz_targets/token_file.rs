//! The static-token file parser: whatever bytes end up in the file.
#![no_main]

use antrea_metrics::server::fuzzing::token_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let parsed = token_file(bytes);
    // Refused exactly when the file is not UTF-8 text; never more tokens than lines.
    let Ok(text) = std::str::from_utf8(bytes) else {
        assert_eq!(parsed, None);
        return;
    };
    let tokens = parsed.expect("UTF-8 text is accepted");
    assert!(tokens <= text.lines().count());
    // Comments and blank lines add nothing.
    let padded = format!("# comment\n\n{text}\n   \n");
    assert_eq!(token_file(padded.as_bytes()), Some(tokens));
});
