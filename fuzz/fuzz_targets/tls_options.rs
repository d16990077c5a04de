//! The TLS option parsers: a `tlsMinVersion` name on the first line, then a comma-separated
//! `tlsCipherSuites` list, as they come from a configuration file.
#![no_main]

use antrea_metrics::server::fuzzing::cipher_suites;
use antrea_metrics::server::{supported_cipher_suites, TlsVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (version, ciphers) = input.split_once('\n').unwrap_or((input, ""));
    if let Ok(parsed) = version.parse::<TlsVersion>() {
        assert_eq!(parsed.as_str(), version);
    }

    let names: Vec<String> = ciphers.split(',').map(str::to_owned).collect();
    let supported = supported_cipher_suites();
    match cipher_suites(&names) {
        Ok(left) => {
            assert!(names.iter().all(|n| supported.contains(n)));
            assert!(!left.is_empty());
            assert!(left.iter().all(|n| supported.contains(n)));
            // Every TLS 1.2 suite named is kept; none that was not named is.
            for name in left.iter().filter(|n| n.contains("_WITH_")) {
                assert!(names.contains(name), "{name} was not asked for");
            }
        }
        Err(_) => assert!(names.iter().any(|n| !supported.contains(n))),
    }
});
