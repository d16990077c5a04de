//! The `Authorization` header parser: any bytes a client sends.
#![no_main]

use antrea_metrics::server::parse_bearer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &[u8]| {
    let Some(token) = parse_bearer(header) else {
        return;
    };
    // A token is a non-empty, space-free piece of the (UTF-8) header after `Bearer `.
    assert!(!token.is_empty());
    assert!(!token.contains(' '));
    let text = std::str::from_utf8(header).expect("only UTF-8 headers yield a token");
    let trimmed = text.trim();
    assert!(trimmed.len() > 7 && trimmed[..7].eq_ignore_ascii_case("bearer "));
    assert!(trimmed[7..].starts_with(token));
    // The canonical form of the token (as the authenticator trims it) parses back to it.
    let canonical = token.trim();
    if !canonical.is_empty() {
        let again = format!("Bearer {canonical}");
        assert_eq!(parse_bearer(again.as_bytes()), Some(canonical));
    }
});
