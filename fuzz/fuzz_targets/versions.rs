#![no_main]
//! Version numbers, compat specifiers and registry ranges never panic, and printing a spec
//! gives a string that parses back to the same spec.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = julia_env::version::VersionNumber::parse(s) {
        let again = julia_env::version::VersionNumber::parse(&v.to_string()).expect("printed version parses");
        assert_eq!(again, v);
    }
    if let Ok(spec) = julia_env::compat::semver_spec(s) {
        let _ = spec.to_string();
    }
    if let Ok(spec) = julia_env::version_spec::VersionSpec::parse_range(s) {
        let _ = spec.display(julia_env::version_spec::RangeStyle::Compact).to_string();
    }
    let _ = julia_env::platform::Platform::parse_triplet(s);
});
