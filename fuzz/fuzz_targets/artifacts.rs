#![no_main]
//! Artifacts.toml reading and platform selection never panic.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(f) = julia_env::artifacts::ArtifactsFile::parse(Path::new("Artifacts.toml"), text) {
        let host = julia_env::platform::Platform::parse_triplet("x86_64-linux-gnu-libgfortran5-cxx11-julia_version+1.11.0")
            .expect("valid host");
        let _ = f.downloadable(&host, true);
    }
});
