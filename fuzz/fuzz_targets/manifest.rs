#![no_main]
//! Manifest.toml reading, graph walks and Pkg-style writing never panic.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(src) = julia_env::toml_source::TomlSource::parse(Path::new("Manifest.toml"), text.to_string(), "manifest") else {
        return;
    };
    if let Ok(m) = julia_env::manifest::Manifest::from_source_lenient(&src) {
        let _ = m.problems();
        let g = julia_env::graph::PackageGraph::new(&m);
        let all: Vec<_> = g.uuids().collect();
        let closure = g.closure(all.iter().copied());
        let _ = g.reverse_closure(all.iter().copied().take(1));
        let _ = g.find_cycle();
        let _ = g.active_extensions(&closure);
        let _ = m.to_pkg_toml();
    }
});
