//! Benchmark of issue 13 (`cargo bench -p sysimg-cli --bench share`): `sysimg push` and
//! `sysimg pull` of a 200 MB image over loopback to a real Distribution registry
//! (`docker-registry`, plain HTTP on 127.0.0.1), against `skopeo copy` of the same artifact
//! between an OCI layout directory (`oci:`) and the registry. Goal: within 1.5x of skopeo's
//! time. sysimg pushes twice, as chunked uploads (the default) and as one streamed PUT per
//! blob (`SYSIMG_PUSH_MONOLITHIC=1`). Each round rebuilds the image (new bytes, same id) and pushes it with sysimg to one
//! registry and with skopeo to another, so every blob is really uploaded (skopeo would
//! otherwise mount the blob sysimg pushed); pulls go into empty stores and directories. Skips,
//! saying so, without `docker-registry` or `skopeo`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::registry::{on_path, Registry, Security};

const ROUNDS: usize = 5;
const IMAGE_MB: u64 = 200;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if common::registry::binary().is_none() || !on_path("skopeo") {
        println!("SKIPPED share benchmark: docker-registry or skopeo is not installed");
        return;
    }
    let (Some(reg), Some(other)) = (
        Registry::start(Security::default()),
        Registry::start(Security::default()),
    ) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let julia = common::hello_project(dir);
    let sysimg_with = |store: &str, args: &[&str], monolithic: bool| {
        let o = Command::new(env!("CARGO_BIN_EXE_sysimg"))
            .args(args)
            .current_dir(dir)
            .env_remove("JULIA_PROJECT")
            .env_remove("SYSIMG_REMOTE")
            .env("DOCKER_CONFIG", dir.join("docker"))
            .env("JULIA_DEPOT_PATH", dir.join("depot"))
            .env("SYSIMG_STORE", dir.join(store))
            .env("FAKE_JULIA_LOG", dir.join("julia-log"))
            .env("FAKE_JULIA_IMAGE_MB", IMAGE_MB.to_string())
            .env("SYSIMG_PUSH_MONOLITHIC", if monolithic { "1" } else { "0" })
            .output()
            .unwrap();
        assert!(o.status.success(), "sysimg {args:?}: {}", common::err(&o));
        common::out(&o)
    };
    let sysimg = |store: &str, args: &[&str]| sysimg_with(store, args, false);
    let skopeo = |args: &[&str]| {
        let o = Command::new("skopeo")
            .arg("copy")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "skopeo {args:?}: {}", common::err(&o));
    };
    let build = || {
        let built = sysimg(
            "store",
            &[
                "build",
                "--julia",
                julia.to_str().unwrap(),
                "--force",
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&built).unwrap();
        v["id"].as_str().unwrap().to_string()
    };
    let id = build();
    let image_dir = dir.join("store").join(&id);
    let bytes: u64 = ["sys.so", "image.toml", "build.log"]
        .iter()
        .map(|f| std::fs::metadata(image_dir.join(f)).unwrap().len())
        .sum();
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let (mut push, mut mono, mut pull) = (vec![], vec![], vec![]);
    let (mut s_push, mut s_pull) = (vec![], vec![]);
    for round in 0..ROUNDS {
        let ours = format!("{}/bench/sysimg-{round}", reg.addr);
        let theirs = format!("{}/bench/skopeo-{round}", other.addr);
        let ours_mono = format!("{}/bench/monolithic-{round}", reg.addr);
        if round > 0 {
            assert_eq!(build(), id);
        }
        let layout = dir.join(format!("layout-{round}"));
        let layout_ref = format!("oci:{}:{id}", layout.display());
        push.push(time(&mut || {
            sysimg("store", &["push", &id, &ours, "--insecure"]);
        }));
        assert_eq!(build(), id);
        mono.push(time(&mut || {
            sysimg_with("store", &["push", &id, &ours_mono, "--insecure"], true);
        }));
        pull.push(time(&mut || {
            sysimg(
                &format!("pulled-{round}"),
                &["pull", &format!("{ours_mono}:{id}"), "--insecure"],
            );
        }));
        s_pull.push(time(&mut || {
            skopeo(&[
                "--src-tls-verify=false",
                &format!("docker://{ours_mono}:{id}"),
                &layout_ref,
            ])
        }));
        s_push.push(time(&mut || {
            skopeo(&[
                "--dest-tls-verify=false",
                &layout_ref,
                &format!("docker://{theirs}:{id}"),
            ])
        }));
        let _ = std::fs::remove_dir_all(dir.join(format!("pulled-{round}")));
        let _ = std::fs::remove_dir_all(&layout);
    }
    let mb = bytes as f64 / 1e6;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let rate = |d: Duration| mb / d.as_secs_f64();
    println!(
        "share: a {mb:.0} MB image over loopback, median of {ROUNDS} rounds (plain HTTP, \
         docker-registry {})",
        reg.addr
    );
    let skopeo_push = median(&mut s_push);
    for (what, ours, theirs) in [
        ("push (chunked)", median(&mut push), skopeo_push),
        ("push (monolithic)", median(&mut mono), skopeo_push),
        ("pull", median(&mut pull), median(&mut s_pull)),
    ] {
        println!(
            "  {what}: sysimg {:.2} s ({:.0} MB/s), skopeo copy {:.2} s ({:.0} MB/s): {:.2}x \
             skopeo's time (goal <= 1.5x)",
            ours.as_secs_f64(),
            rate(ours),
            theirs.as_secs_f64(),
            rate(theirs),
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
}
