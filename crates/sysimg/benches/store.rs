//! Benchmark of issues 4 and 14 (`cargo bench -p sysimg --bench store`): the store with 10,
//! 100 and 1,000 real-size images (records of 468 packages, about 80 KB, like the largest
//! corpus environment's). Goals: looking an id up under 1 ms whatever the number of images;
//! listing them (`ls`), `gc --dry-run` and finding one by a prefix (`inspect PREFIX`) under
//! 100 ms for 1,000 images, and flat per image. Reading every record whole (what `ls` did
//! before) is timed beside, for comparison.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::{Duration, Instant};

use julia_env::environment::Environment;
use sysimg::model::plan::make_plan;
use sysimg::model::record::{
    BuildOptions, ImageRecord, JuliaFacts, RecordInputs, RecordPackage, SourceEnvironment,
    RECORD_FILE,
};
use sysimg::model::spec::ImageSpec;
use sysimg::store::Store;

/// Packages in a real-size record.
const PACKAGES: usize = 468;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/Project.toml");
    let env = Environment::load(&project, None).unwrap();
    let plan = make_plan(&env, &ImageSpec::new()).unwrap();
    let template = plan.baked().next().unwrap();
    let packages: Vec<RecordPackage> = (0..PACKAGES)
        .map(|i| RecordPackage {
            name: format!("Package{i}"),
            uuid: julia_env::ids::Uuid::from_u128(
                0x1234_5678_0000_4000_8000_0000_0000_0000 + i as u128,
            ),
            version: Some(format!("1.{i}.0")),
            tree_hash: Some(format!("{:040x}", i * 7919)),
            ..RecordPackage::baked_by(&plan)
                .into_iter()
                .find(|p| p.uuid == template.uuid)
                .unwrap()
        })
        .collect();
    println!("store with N images of {PACKAGES} packages (medians):");
    for n in [10usize, 100, 1000] {
        let t = tempfile::tempdir().unwrap();
        let store = Store::at(t.path());
        let mut ids = Vec::new();
        let mut size = 0;
        for i in 0..n {
            let mut record = ImageRecord::new(
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
            record.packages = packages.clone();
            record.id = record.compute_id();
            let dir = store.image_dir(&record.id);
            std::fs::create_dir_all(&dir).unwrap();
            let text = record.to_toml();
            size = text.len();
            std::fs::write(dir.join(RECORD_FILE), text).unwrap();
            std::fs::write(dir.join("sys.so"), b"image").unwrap();
            ids.push(record.id);
        }
        let mut i = 0;
        let lookup = time(200, || {
            i += 7919;
            assert!(store.lookup(&ids[i % n]).is_some());
        });
        let runs = if n >= 1000 { 5 } else { 20 };
        let ls = time(runs, || {
            let list = store.list();
            assert_eq!(list.len(), n);
            assert!(list
                .iter()
                .all(|(_, r)| r.as_ref().unwrap().packages == PACKAGES));
        });
        let whole = time(runs.min(5), || {
            for id in &ids {
                ImageRecord::read(&store.image_dir(id).join(RECORD_FILE)).unwrap();
            }
        });
        let gc = time(runs, || {
            let d = store.gc(Duration::ZERO, true).unwrap();
            assert_eq!(d.iter().filter(|d| d.remove).count(), n);
        });
        let find = time(runs, || {
            assert!(store.find(&ids[n / 2][..8]).is_ok());
        });
        let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
        println!(
            "  N = {n:5} ({} KB records): lookup {:6.1} µs; ls {:8.2} ms ({:5.1} µs/image); \
             gc --dry-run {:8.2} ms ({:5.1} µs/image); find by prefix {:6.2} ms; \
             every record read whole {:8.2} ms ({:6.1} µs/image)",
            size / 1024,
            lookup.as_secs_f64() * 1e6,
            ls.as_secs_f64() * 1e3,
            per(ls),
            gc.as_secs_f64() * 1e3,
            per(gc),
            find.as_secs_f64() * 1e3,
            whole.as_secs_f64() * 1e3,
            per(whole),
        );
    }
}
