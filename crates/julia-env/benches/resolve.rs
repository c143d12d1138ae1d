//! Benchmark of the resolver (run with `cargo bench -p julia-env --bench resolve`): adding one
//! package to the largest corpus environment, every Manifest package fixed, against the General
//! snapshot in Pkg's compressed form.
//!
//! - cold: opening `General.toml` + `General.tar.gz` and a fresh [`RegistryIndex`], then the
//!   resolve (goal: under 1 s);
//! - warm: the same resolve again with the registry open and the index's caches filled
//!   (goal: under 100 ms).
//!
//! Most of that environment's versions are newer than the snapshot, so they are fixed with the
//! dependencies their Manifest lists. For the same workload on registry data only, the bench
//! also resolves the environment's direct dependencies afresh against the snapshot, fixes that
//! solution (every package with the registry's own compat) and adds each package to it, cold
//! and warm. Also `newest_fit` for each added package. Uses `../shared` beside the repository
//! (`SYSIMG_SHARED_DIR` overrides) and skips, saying so, without it.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use julia_env::registry::Registry;
use julia_env::resolve::{
    newest_fit, resolve, Fit, FixedPackage, RegistryIndex, Request, Resolution,
};
use julia_env::version_spec::VersionSpec;

/// Packages to add, none of them in the environment.
const ADDED: &[&str] = &["DataFrames", "CSV", "Flux", "JuMP"];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn outcome(r: &Resolution) -> String {
    match r {
        Resolution::Solved(s) => format!("solved, {} packages", s.packages.len()),
        Resolution::Unsatisfiable(c) => format!(
            "unsatisfiable, {} facts, blocked by {}",
            c.facts.len(),
            c.blocked_by.len()
        ),
    }
}

/// The corpus environment with the most Manifest entries.
fn largest_environment(shared: &Path) -> PathBuf {
    common::corpus_environments(shared)
        .into_iter()
        .max_by_key(|d| {
            let text = std::fs::read_to_string(d.join("Manifest.toml")).unwrap();
            text.matches("[[deps.").count()
        })
        .unwrap()
}

fn with_added(index: &RegistryIndex, base: &Request, name: &str) -> Request {
    let uuid = index.uuids_named(name)[0];
    let mut r = base.clone();
    r.requirements.push((uuid, VersionSpec::any()));
    r
}

/// Adds each of [`ADDED`] to `base`, cold (a fresh registry and index, as a new process would
/// have) and warm (the same index again, median of 15), and prints the times.
fn add_each(general: &Path, base: &Request) {
    println!("  {:12} {:>10} {:>10}   outcome", "added", "cold", "warm");
    for name in ADDED {
        let t = Instant::now();
        let index = RegistryIndex::new(vec![Registry::open_compressed(general).unwrap()]);
        let request = with_added(&index, base, name);
        let r = resolve(&index, &request).unwrap();
        let cold = t.elapsed();
        let warm = median(
            (0..15)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(resolve(&index, &request).unwrap());
                    t.elapsed()
                })
                .collect(),
        );
        println!(
            "  {:12} {:>10} {:>10}   {}",
            name,
            ms(cold),
            ms(warm),
            outcome(&r)
        );
    }
}

fn main() {
    let Some(shared) = common::shared_dir("resolve bench") else {
        return;
    };
    let general = shared.join("registries/General.toml");
    let env = largest_environment(&shared);
    let t = Instant::now();
    let registry = Registry::open_compressed(&general).unwrap();
    let open = t.elapsed();
    let index = RegistryIndex::new(vec![registry]);
    let (base, _, counts) = common::manifest_request(&index, &env).unwrap();
    println!(
        "environment {} (julia {}): {} fixed ({} with registry data), {} direct dependencies",
        env.file_name().unwrap().to_string_lossy(),
        base.julia_version.as_ref().unwrap(),
        base.fixed.len(),
        counts.from_registry,
        base.requirements.len()
    );
    println!("opening General.tar.gz alone: {}", ms(open));
    add_each(&general, &base);

    println!("newest_fit with the environment fixed (warm index):");
    for name in ADDED {
        let uuid = index.uuids_named(name)[0];
        let _ = newest_fit(&index, &base, &uuid, &VersionSpec::any()).unwrap();
        let t = Instant::now();
        let fit = newest_fit(&index, &base, &uuid, &VersionSpec::any()).unwrap();
        let d = t.elapsed();
        let what = match fit {
            Fit::Newest { version, .. } => format!("{name} {version}"),
            Fit::None(c) => format!("{name}: none fits ({} facts)", c.facts.len()),
        };
        println!("  {:12} {:>10}   {what}", name, ms(d));
    }

    // A fresh resolve of the direct dependencies alone, as `Pkg.resolve` on an empty Manifest
    // would do, with a fresh index (every package parsed on the way).
    let fresh = Request {
        julia_version: Some(julia_env::version::VersionNumber::new(1, 10, 2)),
        requirements: base.requirements.clone(),
        ..Request::default()
    };
    let cold_index = RegistryIndex::new(vec![Registry::open_compressed(&general).unwrap()]);
    let t = Instant::now();
    let r = resolve(&cold_index, &fresh).unwrap();
    let first = t.elapsed();
    let t = Instant::now();
    let _ = resolve(&cold_index, &fresh).unwrap();
    println!(
        "fresh resolve of its {} direct dependencies for julia 1.10.2, registry open: {} \
         (index cold), {} (warm): {}",
        fresh.requirements.len(),
        ms(first),
        ms(t.elapsed()),
        outcome(&r)
    );

    // The same environment as the snapshot would have it: that solution, every package fixed
    // with the registry's own compat, plus one added package.
    let Resolution::Solved(solution) = r else {
        return;
    };
    let mut snapshot_env = Request {
        julia_version: fresh.julia_version.clone(),
        requirements: fresh.requirements.clone(),
        ..Request::default()
    };
    for p in solution.packages.values() {
        if !julia_env::stdlib::is_fixed_stdlib(
            &p.uuid,
            snapshot_env.julia_version.as_ref().unwrap(),
        ) {
            snapshot_env
                .fixed
                .push(FixedPackage::registered(p.uuid, p.version.clone()));
        }
    }
    println!(
        "that solution fixed ({} packages, all with registry data), plus one package:",
        snapshot_env.fixed.len()
    );
    add_each(&general, &snapshot_env);
}
