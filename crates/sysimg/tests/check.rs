//! Checking images against environments and hosts: every finding, on hand-made environments,
//! images and fake hosts.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use julia_env::check::{Report, Severity};
use julia_env::depot::{version_slug, Depots};
use julia_env::environment::Environment;
use julia_env::ids::{TreeHash, Uuid};
use sysimg::check::{check_image, Host, Image, Thoroughness};
use sysimg::cpu::{cpu_features, CpuFacts, Isa, JuliaCpus, JuliaRelease};
use sysimg::julia::JuliaInfo;
use sysimg::launch::{decide, decide_by_stamp, julia_args, Verdict};
use sysimg::model::plan::make_plan;
use sysimg::model::record::{
    file_sha256, BuildOptions, ImageRecord, JuliaFacts, RecordArtifact, RecordInputs,
    SourceEnvironment, RECORD_FILE,
};
use sysimg::model::spec::{ImageSpec, Policy};
use sysimg::store::Store;

const A: &str = "00000000-0000-0000-0000-00000000000a";
const B: &str = "00000000-0000-0000-0000-00000000000b";

fn tree(c: char) -> String {
    c.to_string().repeat(40)
}

/// A dev environment: the user's A (public) needs B (internal).
fn write_env(dir: &Path, b_version: &str, a_pinned: bool) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("Project.toml"), format!("[deps]\nA = \"{A}\"\n")).unwrap();
    let pinned = if a_pinned { "pinned = true\n" } else { "" };
    fs::write(
        dir.join("Manifest.toml"),
        format!(
            "julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n\
             [[deps.A]]\ndeps = [\"B\"]\ngit-tree-sha1 = \"{}\"\n{pinned}uuid = \"{A}\"\nversion = \"1.0.0\"\n\n\
             [[deps.B]]\ngit-tree-sha1 = \"{}\"\nuuid = \"{B}\"\nversion = \"{b_version}\"\n",
            tree('a'),
            if b_version == "2.0.0" { tree('b') } else { tree('c') }
        ),
    )
    .unwrap();
}

struct World {
    _t: tempfile::TempDir,
    root: PathBuf,
    env_dir: PathBuf,
    image_dir: PathBuf,
}

impl World {
    fn new() -> World {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_path_buf();
        let env_dir = root.join("env");
        write_env(&env_dir, "2.0.0", true);
        World {
            image_dir: root.join("store/img"),
            root,
            env_dir,
            _t: t,
        }
    }

    fn env(&self) -> Environment {
        Environment::load(&self.env_dir.join("Project.toml"), None).unwrap()
    }

    /// Builds (by hand) the record and image of the environment as it is now.
    fn image(&self, sideload: bool, edit: impl FnOnce(&mut ImageRecord)) -> Image {
        let env = self.env();
        let spec = ImageSpec {
            policy: Policy::Dev,
            sideload,
            ..ImageSpec::new()
        };
        let plan = make_plan(&env, &spec).unwrap();
        let mut record = ImageRecord::new(
            &plan,
            RecordInputs {
                julia: JuliaFacts {
                    version: "1.11.2".into(),
                    commit: "5e9a32e7af2".into(),
                },
                platform: "x86_64-linux-gnu".into(),
                cpu_target: "generic;haswell,clone_all".into(),
                build_cpu: None,
                source: SourceEnvironment::default(),
                build: BuildOptions::default(),
                image_file: "sys.so".into(),
            },
        );
        fs::create_dir_all(&self.image_dir).unwrap();
        let file = self.image_dir.join("sys.so");
        fs::write(&file, "image bytes").unwrap();
        record.image.sha256 = file_sha256(&file).unwrap();
        edit(&mut record);
        fs::write(self.image_dir.join(RECORD_FILE), record.to_toml()).unwrap();
        Image::locate(&file.display().to_string(), None).unwrap()
    }

    fn depot(&self) -> PathBuf {
        self.root.join("depot")
    }

    /// Installs A's and B's sources in the depot.
    fn install_sources(&self) {
        for (name, uuid, t) in [("A", A, tree('a')), ("B", B, tree('b'))] {
            let uuid: Uuid = uuid.parse().unwrap();
            let hash = TreeHash::parse(&t).unwrap();
            let dir = self
                .depot()
                .join("packages")
                .join(name)
                .join(version_slug(&uuid, &hash, 5));
            fs::create_dir_all(dir.join("src")).unwrap();
        }
    }
}

fn julia(version: &str, commit: &str, triplet: &str) -> JuliaInfo {
    common::julia_info(version, commit, triplet)
}

fn cpu(name: &str) -> CpuFacts {
    CpuFacts {
        name: name.into(),
        features: cpu_features(Isa::X86_64, name).unwrap(),
    }
}

fn host(w: &World) -> Host {
    Host {
        julia: Some(julia("1.11.2", "5e9a32e7af2", "x86_64-linux-gnu")),
        cpu: cpu("haswell"),
        julia_cpu: None,
        cpu_raw: String::new(),
        arch: "x86_64".into(),
        depots: Depots::new(vec![w.depot()]),
        vars: sysimg::vars::Vars::default(),
    }
}

fn codes(r: &Report) -> Vec<(Severity, &'static str)> {
    r.findings.iter().map(|f| (f.severity, f.code)).collect()
}

fn message<'a>(r: &'a Report, code: &str) -> &'a str {
    &r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no `{code}` in {:?}", codes(r)))
        .message
}

fn errors(r: &Report) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect()
}

#[test]
fn a_fitting_image_has_no_errors() {
    let w = World::new();
    w.install_sources();
    let image = w.image(false, |_| {});
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::FULL);
    assert!(!r.has_errors(), "{:?}", codes(&r));
    assert_eq!(
        message(&r, "cpu-target"),
        "the host CPU (haswell) can run target 0 (`generic`), 1 (`haswell`) of \
         `generic;haswell,clone_all`; Julia picks the best of them"
    );
    // JSON: severity, code, message, package.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["findings"][0]["severity"], "info");
    assert_eq!(v["findings"][0]["code"], "cpu-target");
}

#[test]
fn the_image_file_missing_or_changed() {
    let w = World::new();
    let image = w.image(false, |_| {});
    fs::write(&image.file, "other bytes").unwrap();
    let r = check_image(&image, None, &host(&w), Thoroughness::FULL);
    assert_eq!(errors(&r), ["image-hash-mismatch"]);
    assert!(message(&r, "image-hash-mismatch").contains("the file was changed or damaged"));
    // The launcher does not hash.
    let r = check_image(&image, None, &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty());
    fs::remove_file(&image.file).unwrap();
    let r = check_image(&image, None, &host(&w), Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["image-missing"]);
}

#[test]
fn another_julia_version_or_commit() {
    let w = World::new();
    let image = w.image(false, |_| {});
    let mut h = host(&w);
    h.julia = Some(julia("1.10.4", "48d4fd4843", "x86_64-linux-gnu"));
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["julia-version"]);
    assert_eq!(
        message(&r, "julia-version"),
        "the image was built by Julia 1.11.2, but /opt/julia/bin/julia is Julia 1.10.4: a \
         sysimage only loads in the Julia build that made it"
    );
    h.julia = Some(julia("1.11.2", "0123456789abcdef", "x86_64-linux-gnu"));
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["julia-commit"]);
    assert!(message(&r, "julia-commit").contains("commit 5e9a32e7af, but"));
    h.julia = None;
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(codes(&r).contains(&(Severity::Info, "julia-unknown")));
}

#[test]
fn another_platform() {
    let w = World::new();
    let image = w.image(false, |_| {});
    let mut h = host(&w);
    h.julia = Some(julia("1.11.2", "5e9a32e7af2", "x86_64-linux-musl"));
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["platform"]);
    assert_eq!(
        message(&r, "platform"),
        "the image is for x86_64-linux-gnu, which this host cannot load: libc glibc (host: musl)"
    );
    h.julia = Some(julia("1.11.2", "5e9a32e7af2", "aarch64-apple-darwin"));
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(message(&r, "platform").contains("os linux (host: macos), arch x86_64 (host: aarch64)"));
}

#[test]
fn cpu_targets_the_host_cannot_run() {
    let w = World::new();
    // Every target needs more than an old Core 2 has.
    let image = w.image(false, |r| {
        r.cpu_target = "sandybridge;haswell,base(0)".into()
    });
    let mut h = host(&w);
    h.cpu = cpu("core2");
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["cpu-incompatible"]);
    let m = message(&r, "cpu-incompatible");
    assert!(m.starts_with("the host CPU (core2) may not run any target of `sandybridge;haswell,base(0)`: `sandybridge` needs "), "{m}");
    assert!(
        m.contains("avx") && m.ends_with("\"Unable to find compatible target in system image\""),
        "{m}"
    );
    // Julia's default multi-target string always has `generic`.
    let image = w.image(false, |r| {
        r.cpu_target = "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)".into()
    });
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    // Unknown names are not guessed.
    let image = w.image(false, |r| r.cpu_target = "pentium-mmx".into());
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(codes(&r)[0], (Severity::Warning, "cpu-unknown"));
    let image = w.image(false, |r| r.cpu_target = "generic;haswell,base(3)".into());
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["cpu-target-invalid"]);
}

/// The host and record of one Julia version (so only the CPU check speaks).
fn at_version(w: &World, version: &str, edit: impl FnOnce(&mut ImageRecord)) -> (Image, Host) {
    let image = w.image(false, |r| {
        r.julia.version = version.into();
        edit(r)
    });
    let mut h = host(w);
    h.julia.as_mut().unwrap().version = julia_env::version::VersionNumber::parse(version).unwrap();
    (image, h)
}

fn facts_of(release: JuliaRelease, isa: Isa, name: &str) -> CpuFacts {
    CpuFacts {
        name: name.into(),
        features: JuliaCpus::new(isa, release).cpu_features(name).unwrap(),
    }
}

#[test]
fn cpu_targets_are_read_with_the_images_julia() {
    let w = World::new();
    // JuliaLang/julia release-1.9 08bda040b7 "Remove xsaves from Zen cpuspec (#50186)", first
    // in v1.9.2: a znver1 image of 1.9.1 needs `xsaves` (`znver1 = haswell |
    // get_feature_masks(..., xsavec, xsaves)`), one of 1.9.2 does not.
    let zen = facts_of(JuliaRelease::new(1, 9, 2), Isa::X86_64, "znver1");
    assert!(!zen.features.contains("xsaves"));
    let (image, mut h) = at_version(&w, "1.9.1", |r| r.cpu_target = "znver1".into());
    h.cpu = zen.clone();
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["cpu-incompatible"]);
    assert!(message(&r, "cpu-incompatible").contains("`znver1` needs xsaves"));
    let (image, mut h) = at_version(&w, "1.9.2", |r| r.cpu_target = "znver1".into());
    h.cpu = zen;
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    // v1.11.0 adds {"znver4", ...} (julia#52944): to 1.10 it is an unknown name, which Julia
    // loads unchecked; sysimg says so rather than guess.
    let (image, mut h) = at_version(&w, "1.10.4", |r| r.cpu_target = "znver4".into());
    h.cpu = facts_of(JuliaRelease::new(1, 11, 0), Isa::X86_64, "znver4");
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(codes(&r), [(Severity::Warning, "cpu-unknown")]);
    assert_eq!(
        message(&r, "cpu-unknown"),
        "the host CPU (znver4) may not run any target of `znver4`: `znver4` is not a CPU Julia \
         1.10.4 knows (Julia 1.11.0 and later do): Julia records no CPU features for that \
         target, so nothing checks that this CPU can run its code"
    );
    let (image, h) = at_version(&w, "1.11.0", |r| r.cpu_target = "znver4".into());
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(message(&r, "cpu-incompatible").contains("`znver4` needs "));
    // A name no Julia 1.5-1.13 knows beside one that runs: the image loads, and the unknown
    // target is named.
    let (image, h) = at_version(&w, "1.12.2", |r| {
        r.cpu_target = "generic;skylake-avx".into()
    });
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty());
    assert!(message(&r, "cpu-target").contains("can run target 0 (`generic`)"));
    assert!(message(&r, "cpu-unknown")
        .starts_with("`generic;skylake-avx`: `skylake-avx` is not a CPU Julia 1.12.2 knows:"));
    // Aliases are Julia's: `core-avx2` is haswell (normalize_cpu_name).
    let (image, h) = at_version(&w, "1.12.2", |r| r.cpu_target = "core-avx2".into());
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(codes(&r), [(Severity::Info, "cpu-target")]);
}

#[test]
fn aarch64_images_are_checked_with_julias_tables() {
    // v1.10.0 src/processor_arm.cpp: `cavium_thunderx2t99 = armv8_1a_crypto`, `arm_neoverse_n1
    // = armv8_2a | get_feature_masks(dotprod, rcpc, fullfp16, ssbs)`: a ThunderX2 (v8.1 with
    // aes/sha2) cannot run a neoverse-n1 target; the host from Julia's table runs its own.
    let w = World::new();
    let v = JuliaRelease::new(1, 10, 0);
    let (image, mut h) = at_version(&w, "1.10.0", |r| {
        r.platform = "aarch64-linux-gnu".into();
        r.cpu_target = "neoverse-n1;thunderx2t99".into();
    });
    h.arch = "aarch64".into();
    h.julia.as_mut().unwrap().arch = "aarch64".into();
    h.julia.as_mut().unwrap().triplet = "aarch64-linux-gnu".into();
    h.cpu = facts_of(v, Isa::Aarch64, "thunderx2t99");
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    assert!(message(&r, "cpu-target").contains("can run target 1 (`thunderx2t99`)"));
    let (image, _) = at_version(&w, "1.10.0", |r| {
        r.platform = "aarch64-linux-gnu".into();
        r.cpu_target = "neoverse-n1".into();
    });
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    let m = message(&r, "cpu-incompatible");
    assert!(
        m.contains("`neoverse-n1` needs ccpp, dotprod, fullfp16, rcpc, ssbs, v8_2a"),
        "{m}"
    );
}

#[test]
fn the_sysimage_keyword_is_the_default_images_target() {
    // JuliaLang/julia src/processor.cpp at abd8457ca8 (1.13), parse_cmdline: a cpu_target
    // starting with `sysimage` is the stored target of the sysimage in use (julia#58970).
    // sysimg expands it at build time; a record holding it is read with the host julia's
    // `Sys.sysimage_target()` when that julia is the image's own.
    let w = World::new();
    let (image, mut h) = at_version(&w, "1.13.0", |r| r.cpu_target = "sysimage;skylake".into());
    h.cpu = cpu("haswell");
    h.julia.as_mut().unwrap().sysimage_target = "generic;haswell,clone_all".into();
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(codes(&r), [(Severity::Info, "cpu-target")]);
    assert!(message(&r, "cpu-target").contains(
        "can run target 0 (`generic`), 1 (`haswell`) of `sysimage;skylake` = \
         `generic;haswell,clone_all;skylake`"
    ));
    h.julia.as_mut().unwrap().sysimage_target = String::new();
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert_eq!(codes(&r), [(Severity::Warning, "cpu-unknown")]);
    // Before 1.13 `sysimage` is just a name Julia does not know.
    let (image, h) = at_version(&w, "1.12.2", |r| r.cpu_target = "sysimage".into());
    let r = check_image(&image, None, &h, Thoroughness::LAUNCH);
    assert!(message(&r, "cpu-unknown").contains("`sysimage` is not a CPU Julia 1.12.2 knows"));
}

#[test]
fn native_images_need_the_build_machines_features() {
    let w = World::new();
    let image = w.image(false, |r| {
        r.cpu_target = "native".into();
        r.build_cpu = Some(cpu("skylake-avx512"));
    });
    let r = check_image(&image, None, &host(&w), Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["cpu-native"]);
    let m = message(&r, "cpu-native");
    assert!(
        m.contains("(built for `native` on a skylake-avx512)") && m.contains("avx512f"),
        "{m}"
    );
    let mut h = host(&w);
    h.cpu = cpu("icelake-server");
    assert!(!check_image(&image, None, &h, Thoroughness::LAUNCH).has_errors());
}

#[test]
fn baked_packages_that_differ_from_the_manifest() {
    let w = World::new();
    let image = w.image(false, |_| {});
    // The user moves the internal B to another version; A is unpinned.
    write_env(&w.env_dir, "2.1.0", false);
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert_eq!(errors(&r), ["internal-shadowed"]);
    assert_eq!(
        message(&r, "internal-shadowed"),
        "`B`: the image holds 2.0.0, the Manifest asks for 2.1.0; the image's 2.0.0 wins \
         (Julia loads baked packages from the image whatever the Manifest says); rebuild with \
         `sideload = true` to let the Manifest's version load"
    );
    assert_eq!(r.findings[0].package.as_deref(), Some("B"));
    assert_eq!(
        message(&r, "public-not-pinned"),
        "`A` (public) is not pinned at the image's version 1.0.0: a Pkg update would move the \
         Manifest away from the image (`sysimg pin` pins it)"
    );
    // A public package at another tree hash.
    let image = w.image(false, |r| {
        r.packages
            .iter_mut()
            .find(|p| p.name == "A")
            .unwrap()
            .tree_hash = Some(tree('f'))
    });
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(message(&r, "package-shadowed").starts_with(
        "`A`: the image holds 1.0.0 (tree ffffffffff), the Manifest asks for 1.0.0 (tree aaaaaaaaaa)"
    ));
}

#[test]
fn side_loaded_packages_may_differ() {
    let w = World::new();
    let image = w.image(true, |_| {});
    write_env(&w.env_dir, "2.1.0", true);
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    assert!(message(&r, "sideloaded-differs").contains("the Manifest's 2.1.0 loads as usual"));
}

/// Issue 21: a side-loaded package the environment would load under its real UUID (the
/// project lists it, or a package the image does not hold needs it) means two copies: a
/// warning, never an error, at the image's version as at another.
#[test]
fn a_side_loaded_package_the_environment_loads_too_is_a_two_copies_warning() {
    let w = World::new();
    let image = w.image(true, |_| {});
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(
        !codes(&r).iter().any(|(_, c)| *c == "sideloaded-two-copies"),
        "{:?}",
        codes(&r)
    );
    // The user adds B to the project (same version): two copies.
    let project = w.env_dir.join("Project.toml");
    fs::write(&project, format!("[deps]\nA = \"{A}\"\nB = \"{B}\"\n")).unwrap();
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    let twice = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| f.code == "sideloaded-two-copies")
            .map(|f| (f.severity, f.package.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(twice(&r), [(Severity::Warning, Some("B".to_string()))]);
    let m = message(&r, "sideloaded-two-copies");
    assert!(
        m.starts_with("`B` is side-loaded in the image (2.0.0 under a derived UUID) and ")
            && m.contains(
                "Project.toml lists it directly: loading it loads 2.0.0 under its real UUID"
            )
            && m.contains("values of one are not values of the other"),
        "{m}"
    );
    // Not listed, but a package the image does not hold (C) depends on it, at another version.
    fs::write(&project, format!("[deps]\nA = \"{A}\"\n")).unwrap();
    let manifest = w.env_dir.join("Manifest.toml");
    let text = fs::read_to_string(&manifest).unwrap().replace(
        "version = \"2.0.0\"\n",
        "version = \"2.1.0\"\n\n[[deps.C]]\ndeps = [\"B\"]\ngit-tree-sha1 = \"dddddddddddddddddddddddddddddddddddddddd\"\nuuid = \"00000000-0000-0000-0000-00000000000c\"\nversion = \"0.1.0\"\n",
    );
    fs::write(&manifest, text).unwrap();
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    assert_eq!(twice(&r), [(Severity::Warning, Some("B".to_string()))]);
    let m = message(&r, "sideloaded-two-copies");
    assert!(
        m.contains("and `C`, which the image does not hold, depends on it: loading it loads 2.1.0"),
        "{m}"
    );
}

#[test]
fn a_stale_manifest_is_reported() {
    let w = World::new();
    let image = w.image(false, |_| {});
    let m = w.env_dir.join("Manifest.toml");
    let text = fs::read_to_string(&m).unwrap();
    fs::write(
        &m,
        text.replace(
            "manifest_format = \"2.0\"\n",
            "manifest_format = \"2.0\"\nproject_hash = \"0000000000000000000000000000000000000000\"\n",
        ),
    )
    .unwrap();
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::FULL);
    assert_eq!(errors(&r), ["stale-project-hash"]);
}

#[test]
fn sources_and_artifacts_missing_from_the_depots() {
    let w = World::new();
    let image = w.image(false, |r| {
        for (name, lazy) in [("libfoo", false), ("bigdata", true)] {
            r.artifacts.push(RecordArtifact {
                package: "B".into(),
                name: name.into(),
                tree_hash: tree('d'),
                lazy,
            });
        }
    });
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::FULL);
    assert_eq!(errors(&r), ["artifact-missing"]);
    assert!(message(&r, "artifact-missing").starts_with("artifact `libfoo` (dddd"));
    let warnings: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| (f.code, f.package.as_deref().unwrap()))
        .collect();
    assert_eq!(
        warnings,
        [
            ("source-missing", "A"),
            ("source-missing", "B"),
            ("artifact-missing", "B")
        ]
    );
    w.install_sources();
    fs::create_dir_all(w.depot().join("artifacts").join(tree('d'))).unwrap();
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::FULL);
    assert!(
        !codes(&r).iter().any(|(_, c)| c.ends_with("-missing")),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn images_without_a_record_are_checked_as_far_as_possible() {
    let w = World::new();
    let file = w.root.join("hand-made.so");
    fs::write(&file, "bytes").unwrap();
    let image = Image::locate(&file.display().to_string(), None).unwrap();
    assert!(image.record.is_none());
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::FULL);
    assert_eq!(codes(&r), [(Severity::Info, "no-record")]);
    assert!(message(&r, "no-record")
        .contains("Julia version and commit, platform, CPU target and packages are unknown"));
}

/// A world for the launcher: its store, project file, host, and a julia binary (the stamp
/// covers it, so it must exist).
fn launcher_world() -> (World, Store, PathBuf, Host, PathBuf) {
    let w = World::new();
    let store = Store::at(w.root.join("store"));
    let project = w.env_dir.join("Project.toml");
    let mut h = host(&w);
    let julia_bin = w.root.join("julia");
    fs::write(&julia_bin, "").unwrap();
    h.julia.as_mut().unwrap().path = julia_bin.clone();
    (w, store, project, h, julia_bin)
}

#[test]
fn the_launchers_shortcut_needs_this_cpu_this_julia_and_unchanged_files() {
    let (w, store, project, mut h, julia_bin) = launcher_world();
    w.image(false, |r| {
        r.id = "img".into();
        r.cpu_target = "generic".into();
    });
    store.register(&project, "img").unwrap();
    // Another CPU than this machine's (as a caller describes it): fresh, but no raw
    // fingerprint is stamped, so the shortcut does not take it. A name no machine reports
    // makes it another CPU on every machine the test runs on.
    h.cpu.name = "not-this-machine".into();
    assert_ne!(h.cpu, sysimg::cpu::host_cpu(None));
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Fresh { .. }
    ));
    let stamp = store.registered(&project).unwrap().verified.unwrap();
    assert!(stamp.cpu_raw.is_empty(), "{stamp:?}");
    // This machine's CPU: stamped with its fingerprint, and the shortcut decides.
    let raw = sysimg::cpu::host_fingerprint(None);
    (h.cpu, h.cpu_raw) = (sysimg::cpu::host_cpu(None), raw.clone());
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Fresh { .. }
    ));
    let stamp = store.registered(&project).unwrap().verified.unwrap();
    assert_eq!(stamp.cpu_raw, raw);
    assert!(matches!(
        decide_by_stamp(&project, &store, &julia_bin, &raw),
        Some(Verdict::Fresh { .. })
    ));
    // Another julia than the one stamped, or a changed Manifest: decide fully.
    assert!(decide_by_stamp(&project, &store, &julia_bin, "another-cpu").is_none());
    assert!(decide_by_stamp(&project, &store, &w.root.join("other-julia"), &raw).is_none());
    write_env(&w.env_dir, "2.0.1", true);
    assert!(decide_by_stamp(&project, &store, &julia_bin, &raw).is_none());
}

#[test]
fn the_launcher_decides_from_the_index_and_remembers_fresh_verdicts() {
    let (w, store, project, h, _) = launcher_world();
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Missing { .. }
    ));
    let image = w.image(false, |r| {
        r.id = "img".into();
        r.cpu_target = "haswell".into();
    });
    store.register(&project, "img").unwrap();
    let Verdict::Fresh { id, image: file } = decide(&project, &store, &h) else {
        panic!("not fresh")
    };
    assert_eq!((id.as_str(), file.as_path()), ("img", image.file.as_path()));
    assert!(store.registered(&project).unwrap().verified.is_some());
    // Unchanged files: the stamp decides without reading the Manifest (a broken Manifest with
    // the same size and time would not be noticed, which is what makes the launcher fast).
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Fresh { .. }
    ));
    // The Manifest changed: a full decision, which finds the shadowed package.
    write_env(&w.env_dir, "2.1.0", true);
    match decide(&project, &store, &h) {
        Verdict::Stale { reasons, .. } => assert_eq!(reasons[0].code, "internal-shadowed"),
        other => panic!("{other:?}"),
    }
    // Another CPU invalidates the stamp too.
    write_env(&w.env_dir, "2.0.0", true);
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Fresh { .. }
    ));
    let mut old = h.clone();
    old.cpu = cpu("core2");
    assert!(matches!(
        decide(&project, &store, &old),
        Verdict::Stale { .. }
    ));
    // The image gone from the store.
    fs::remove_dir_all(&w.image_dir).unwrap();
    assert!(matches!(
        decide(&project, &store, &h),
        Verdict::Missing { .. }
    ));
    let args = julia_args(Some(Path::new("/s/sys.so")), &project);
    assert_eq!(args[0], "-J");
    assert_eq!(
        args[2],
        format!("--project={}", w.env_dir.display()).as_str()
    );
}

#[test]
fn app_images_are_bound_to_their_packages() {
    let w = World::new();
    let manifest = w.env_dir.join("Manifest.toml");
    let image = w.image(false, |r| {
        r.policy = Policy::App;
        r.source.manifest_sha256 = file_sha256(&manifest).unwrap();
    });
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    // A Manifest that changed but holds the same packages still fits (what `sysimg pin` and a
    // reformat do): the image id, which `build` looks up, is the same too.
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        format!(
            "{text}
"
        ),
    )
    .unwrap();
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    write_env(&w.env_dir, "2.0.0", false);
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(errors(&r).is_empty(), "{:?}", codes(&r));
    // Another version of a baked package does not.
    write_env(&w.env_dir, "1.5.0", true);
    let r = check_image(&image, Some(&w.env()), &host(&w), Thoroughness::LAUNCH);
    assert!(
        errors(&r).contains(&"app-manifest-changed"),
        "{:?}",
        codes(&r)
    );
}

/// Official Julia 1.13 (and current 1.12) binaries are built with
/// `JULIA_CPU_TARGET="generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1);x86-64-v4,-rdrnd,base(1)"`
/// (JuliaCI/julia-buildkite utilities/build_envs.sh). Julia's tables have no `x86-64-v4`
/// (`arg_target_data` in src/processor_x86.cpp sets `JL_TARGET_UNKNOWN_NAME` and adds no CPU
/// features), LLVM compiles its code for the level, and `match_sysimg_targets`
/// (src/processor.cpp: largest vector register, then `if (new_feature_size < feature_size)
/// continue;`) picks among the targets whose recorded features the host has.
#[test]
fn x86_64_levels_are_modelled_as_julia_loads_them() {
    let w = World::new();
    let official =
        "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1);x86-64-v4,-rdrnd,base(1)";
    let at = |host: &str, target: &str| {
        let (image, mut h) = at_version(&w, "1.13.1", |r| r.cpu_target = target.into());
        h.cpu = facts_of(JuliaRelease::new(1, 13, 0), Isa::X86_64, host);
        check_image(&image, None, &h, Thoroughness::LAUNCH)
    };
    // A name Julia itself wrote is no typo: no `cpu-unknown` on an AVX-512 machine or an
    // AVX2 one (Julia picks haswell: 32-byte registers beat the level's recorded none).
    for host in ["skylake-avx512", "haswell", "znver4"] {
        let r = at(host, official);
        assert_eq!(codes(&r), [(Severity::Info, "cpu-target")], "{host}: {r:?}");
        assert!(message(&r, "cpu-target").contains("3 (`x86-64-v4`)") == (host != "haswell"));
    }
    // Beside `generic` (which records `cx16`: one feature more than the level's none) Julia
    // picks `generic` on a CPU without AVX-512: that loads.
    let r = at("haswell", "generic;x86-64-v4");
    assert_eq!(codes(&r), [(Severity::Info, "cpu-target")], "{r:?}");
    assert!(message(&r, "cpu-target").contains("target 0 (`generic`)"));
    // Alone, Julia loads it anywhere (it checks none of its features): AVX-512 code on a CPU
    // without AVX-512.
    let r = at("haswell", "x86-64-v4");
    assert_eq!(errors(&r), ["cpu-incompatible"], "{r:?}");
    assert!(message(&r, "cpu-incompatible").contains("target 0 (`x86-64-v4`)"));
    assert!(message(&r, "cpu-incompatible").contains("avx512f"));
    // ... and runs where the CPU has the level.
    assert!(errors(&at("skylake-avx512", "x86-64-v4")).is_empty());
    // A level alone on a CPU that has it: it runs, no warning.
    assert_eq!(
        codes(&at("haswell", "x86-64-v3")),
        [(Severity::Info, "cpu-target")]
    );
}

/// The launcher's stamp lost-update race: `run` verified the image registered when it read
/// the index entry, and wrote its stamp (with that image's id) over whatever the entry said by
/// then, so a build's registration of another image made meanwhile was reverted. The stamp
/// is now written under the entry's lock, and only while the entry still names the image it
/// verified. Many iterations, racing a registration against a stamp; bounded in time.
#[test]
fn a_launchers_stamp_never_reverts_a_registration_made_meanwhile() {
    use sysimg::model::stamp::Stamp;
    let t = tempfile::tempdir().unwrap();
    let store = Store::at(t.path().join("store"));
    let project = t.path().join("Project.toml");
    fs::write(&project, "").unwrap();
    let (old, new) = ("a".repeat(32), "b".repeat(32));
    for id in [&old, &new] {
        let dir = t.path().join("store").join(id);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(RECORD_FILE), "").unwrap();
    }
    let stamp = Stamp {
        files: Vec::new(),
        cpu: "haswell".into(),
        cpu_raw: String::new(),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let (mut runs, mut reverted) = (0, 0);
    while runs < 300 && std::time::Instant::now() < deadline {
        store.register(&project, &old).unwrap();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                barrier.wait();
                store.register(&project, &new).unwrap();
            });
            barrier.wait();
            store.mark_verified(&project, &old, stamp.clone());
        });
        let entry = store.registered(&project).unwrap();
        if entry.image != new {
            reverted += 1;
        } else if entry.verified.is_some() {
            panic!("a stamp of {old} was written on the registration of {new}");
        }
        runs += 1;
    }
    assert!(runs >= 50, "only {runs} runs in the time allowed");
    assert_eq!(reverted, 0, "{reverted} of {runs} registrations reverted");
}

/// Issue 25 item 3: the store keeps one stable path per environment (`current/`) that names
/// the image it is registered to: the same path after a rebuild names the new image; it goes
/// with its image (`rm`) and, by gc, with its environment.
#[cfg(unix)]
#[test]
fn the_current_link_follows_registrations_and_goes_with_the_image_or_the_environment() {
    let (w, store, project, _, _) = launcher_world();
    let (a, b) = ("a".repeat(32), "b".repeat(32));
    for id in [&a, &b] {
        w.image(false, |r| r.id = id.clone());
        fs::rename(&w.image_dir, w.root.join("store").join(id)).unwrap();
    }
    assert_eq!(store.current_image(&project), None);
    store.register(&project, &a).unwrap();
    let link = store.current_image(&project).unwrap();
    assert!(link.starts_with(w.root.join("store/current")), "{link:?}");
    assert!(link.display().to_string().ends_with("-sys.so"), "{link:?}");
    let canon = |p: &Path| fs::canonicalize(p).unwrap();
    assert_eq!(
        canon(&link),
        canon(&w.root.join("store").join(&a).join("sys.so"))
    );
    // A rebuild registers another image: the same path names the new one.
    store.register(&project, &b).unwrap();
    assert_eq!(store.current_image(&project).as_ref(), Some(&link));
    assert_eq!(
        canon(&link),
        canon(&w.root.join("store").join(&b).join("sys.so"))
    );
    assert_eq!(store.current_image_of(&project, &b), Some(link.clone()));
    // No temporary link is left behind.
    let names: Vec<_> = fs::read_dir(w.root.join("store/current"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // Removing the image removes its link.
    store.remove(&b).unwrap();
    assert_eq!(store.current_image(&project), None);
    assert!(fs::symlink_metadata(&link).is_err());
    // An environment registered before links existed gets one when a tool's path is asked.
    store.register(&project, &a).unwrap();
    fs::remove_file(&link).unwrap();
    assert_eq!(store.current_image_of(&project, &a), Some(link.clone()));
    // gc keeps the link while its environment is there, removes it once it is gone.
    let keep = std::time::Duration::from_secs(365 * 86_400);
    let gc = store.gc(keep, false).unwrap();
    assert!(gc.iter().all(|d| !d.id.starts_with("current/")), "{gc:?}");
    assert!(store.current_image(&project).is_some());
    fs::remove_file(&project).unwrap();
    let gc = store.gc(keep, false).unwrap();
    assert!(
        gc.iter()
            .any(|d| d.remove && d.id.starts_with("current/") && d.reason.contains("gone")),
        "{gc:?}"
    );
    assert!(fs::symlink_metadata(&link).is_err());
}
