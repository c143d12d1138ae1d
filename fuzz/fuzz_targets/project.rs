#![no_main]
//! Project.toml reading and Pkg-style writing never panic; what is written reads back.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = julia_env::project::Project::parse(Path::new("Project.toml"), text) {
        let written = p.to_pkg_toml(julia_env::flavor::PkgFlavor::LATEST);
        let again = julia_env::project::Project::parse(Path::new("Project.toml"), &written)
            .expect("a project sysimg wrote must read back");
        assert_eq!(again.all_deps(), p.all_deps());
        let _ = julia_env::project_hash::project_hash(&p, &[], julia_env::flavor::PkgFlavor::V1_10, None);
        let _ = julia_env::project_hash::project_hash(&p, &[], julia_env::flavor::PkgFlavor::V1_13, None);
    }
});
