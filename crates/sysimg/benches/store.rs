//! Benchmark of issue 4 (`cargo bench -p sysimg --bench store`): store lookup and `ls` with
//! 10, 100 and 1,000 images. Goal: lookup under 1 ms, independent of the number of images.

use std::path::Path;
use std::time::{Duration, Instant};

use julia_env::environment::Environment;
use sysimg::plan::make_plan;
use sysimg::record::{BuildOptions, ImageRecord, JuliaFacts, RecordInputs, SourceEnvironment};
use sysimg::spec::ImageSpec;
use sysimg::store::Store;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/Project.toml");
    let env = Environment::load(&project, None).unwrap();
    let plan = make_plan(&env, &ImageSpec::new()).unwrap();
    println!("store with N images (median of 200 lookups, 5 listings):");
    for n in [10usize, 100, 1000] {
        let t = tempfile::tempdir().unwrap();
        let store = Store {
            root: t.path().to_path_buf(),
        };
        let mut ids = Vec::new();
        for i in 0..n {
            let record = ImageRecord::new(
                &plan,
                RecordInputs {
                    julia: JuliaFacts {
                        version: format!("1.11.{i}"),
                        commit: "c".into(),
                    },
                    platform: "x86_64-linux-gnu".into(),
                    cpu_target: "native".into(),
                    build_cpu: None,
                    source: SourceEnvironment::default(),
                    build: BuildOptions::default(),
                    image_file: "sys.so".into(),
                },
            );
            let dir = store.image_dir(&record.id);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("image.toml"), record.to_toml()).unwrap();
            std::fs::write(dir.join("sys.so"), b"image").unwrap();
            ids.push(record.id);
        }
        let lookups: Vec<Duration> = (0..200)
            .map(|i| {
                let id = &ids[(i * 7919) % n];
                let t = Instant::now();
                assert!(store.lookup(id).is_some());
                t.elapsed()
            })
            .collect();
        let listings: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                assert_eq!(store.list().len(), n);
                t.elapsed()
            })
            .collect();
        println!(
            "  N = {n:5}: lookup {:7.1} µs (goal < 1000 µs), ls {:8.2} ms",
            median(lookups).as_secs_f64() * 1e6,
            median(listings).as_secs_f64() * 1e3
        );
    }
}
