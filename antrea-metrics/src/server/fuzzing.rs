//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the parsers of untrusted
//! input that are not public on their own. Not a stable API.

/// Parses a token file's bytes as a reload would; the number of tokens, `None` when refused.
#[must_use]
pub fn token_file(bytes: &[u8]) -> Option<usize> {
    super::tokens::parse_tokens(bytes).map(|digests| digests.len())
}

/// Limits the cipher suites to `names` as the builder does; the IANA names of the suites left.
///
/// # Errors
/// As [`MetricsServerBuilder::tls_cipher_suites`](super::MetricsServerBuilder::tls_cipher_suites)
/// makes `build` fail: an empty list or an unknown name.
pub fn cipher_suites(names: &[String]) -> Result<Vec<String>, super::BuildError> {
    let provider = super::tls::provider(Some(names))?;
    Ok(provider
        .cipher_suites
        .iter()
        .map(super::tls::iana_name)
        .collect())
}
