//! The image record: `image.toml` round-trips, and the id depends on the build inputs only.

use std::path::Path;

use julia_env::environment::Environment;
use sysimg::model::plan::make_plan;
use sysimg::model::record::{
    BuildOptions, ImageRecord, InputFile, JuliaFacts, RecordInputs, SourceEnvironment,
};
use sysimg::model::spec::{ImageSpec, Policy};

fn example_plan() -> sysimg::model::plan::Plan {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/Project.toml");
    let env = Environment::load(&project, None).unwrap();
    make_plan(
        &env,
        &ImageSpec {
            policy: Policy::App,
            ..ImageSpec::new()
        },
    )
    .unwrap()
}

fn inputs(version: &str) -> RecordInputs {
    RecordInputs {
        julia: JuliaFacts {
            version: version.into(),
            commit: "abc123".into(),
        },
        platform: "x86_64-linux-gnu".into(),
        cpu_target: "native".into(),
        build_cpu: None,
        source: SourceEnvironment {
            manifest_sha256: "00".repeat(32),
            project_hash: Some("11".repeat(20)),
        },
        build: BuildOptions {
            incremental: true,
            precompile_execution_files: vec![InputFile {
                path: "precompile.jl".into(),
                sha256: "22".repeat(32),
            }],
            ..BuildOptions::default()
        },
        image_file: "sys.so".into(),
    }
}

#[test]
fn record_round_trips_and_ids_are_deterministic() {
    let plan = example_plan();
    let a = ImageRecord::new(&plan, inputs("1.11.2"));
    assert_eq!(a.id.len(), 32);
    assert_eq!(
        a.packages
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Dates", "Example", "Printf", "Unicode"]
    );
    let text = a.to_toml();
    let back = ImageRecord::parse(Path::new("image.toml"), &text).unwrap();
    assert_eq!(back, a);
    // Same inputs, another moment: same id. Another Julia: another id.
    let b = ImageRecord::new(&plan, inputs("1.11.2"));
    assert_eq!(a.id, b.id);
    assert_ne!(a.id, ImageRecord::new(&plan, inputs("1.11.3")).id);
    let mut other_file = inputs("1.11.2");
    other_file.build.precompile_execution_files[0].sha256 = "33".repeat(32);
    assert_ne!(a.id, ImageRecord::new(&plan, other_file).id);
}

#[test]
fn bad_records_are_refused() {
    let e = ImageRecord::parse(Path::new("image.toml"), "schema = 1\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("image.toml: not a valid image record"),
        "{e}"
    );
    let plan = example_plan();
    let text = ImageRecord::new(&plan, inputs("1.11.2"))
        .to_toml()
        .replace("schema = 1", "schema = 99");
    let e = ImageRecord::parse(Path::new("image.toml"), &text).unwrap_err();
    assert!(e.to_string().contains("schema 99 is not supported"), "{e}");
    // The image file is named beside the record, never elsewhere (a pulled record comes from
    // a registry): a path is refused, by the summary too.
    let good = ImageRecord::new(&plan, inputs("1.11.2")).to_toml();
    let file = ImageRecord::parse(Path::new("image.toml"), &good)
        .unwrap()
        .image
        .file;
    for evil in ["../../evil.so", "/tmp/evil.so", "..", "a\\b.so", ""] {
        let text = good.replace(
            &format!("file = \"{file}\""),
            &format!("file = {}", toml_edit::value(evil)),
        );
        assert_ne!(text, good);
        let e = ImageRecord::parse(Path::new("image.toml"), &text).unwrap_err();
        assert!(e.to_string().contains("is not a plain file name"), "{e}");
        let e = sysimg::model::record::RecordSummary::parse(Path::new("image.toml"), &text)
            .unwrap_err();
        assert!(e.to_string().contains("is not a plain file name"), "{e}");
    }
}

#[test]
fn the_summary_reads_the_header_and_counts_packages() {
    use sysimg::model::record::{RecordArtifact, RecordSummary};
    let mut record = ImageRecord::new(&example_plan(), inputs("1.11.2"));
    // Artifacts follow the packages in the file; they are not packages.
    record.artifacts = vec![RecordArtifact {
        package: "JSON".into(),
        name: "data".into(),
        tree_hash: "22".repeat(20),
        lazy: true,
    }];
    let text = record.to_toml();
    assert!(text.contains("[[artifacts]]"), "{text}");
    let path = Path::new("image.toml");
    let summary = RecordSummary::parse(path, &text).unwrap();
    assert_eq!(summary, RecordSummary::of(&record));
    assert!(summary.packages > 1, "{summary:?}");
    // A record that does not read is reported as reading it whole reports it.
    for bad in [
        "",
        "schema = [[[",
        "schema = 2\n",
        &text.replace("schema = 1", "schema = 7"),
    ] {
        assert_eq!(
            RecordSummary::parse(path, bad).unwrap_err().to_string(),
            ImageRecord::parse(path, bad).unwrap_err().to_string(),
            "{bad:.40}"
        );
    }
    // One whose tables come after its packages (written by hand) is read whole, and
    // summarized alike.
    let (head, list) = text.split_once("\n[[packages]]\n").unwrap();
    let (list, artifacts) = list.split_once("\n[[artifacts]]\n").unwrap();
    let (top, tables) = head.split_once("\n[").unwrap();
    let reordered = format!("{top}\n[[packages]]\n{list}\n[{tables}\n[[artifacts]]\n{artifacts}");
    assert!(ImageRecord::parse(path, &reordered).is_ok());
    assert_eq!(
        RecordSummary::parse(path, &reordered).unwrap(),
        RecordSummary::of(&record)
    );
}
