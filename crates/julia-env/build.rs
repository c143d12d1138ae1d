//! Generates the standard-library table (`data/stdlibs.toml`) as Rust data
//! (`$OUT_DIR/stdlibs.rs`), so that no program parses it at run time: `env check` and `plan`
//! read one release's set, and parsing the whole table cost more than a millisecond.

use std::fmt::Write;

fn main() {
    println!("cargo::rerun-if-changed=data/stdlibs.toml");
    let text = std::fs::read_to_string("data/stdlibs.toml").expect("data/stdlibs.toml is readable");
    let doc: toml_edit::DocumentMut = text.parse().expect("data/stdlibs.toml is valid TOML");
    let uuids = doc["uuids"].as_table().expect("[uuids] is a table");
    let names: Vec<&str> = uuids.iter().map(|(name, _)| name).collect();
    let mut out = String::new();
    out.push_str("/// Every known stdlib: its name and UUID, in the table's order.\n");
    writeln!(out, "static STDLIBS: [(&str, Uuid); {}] = [", names.len()).unwrap();
    for (name, v) in uuids.iter() {
        let uuid = v.as_str().expect("a UUID string").replace('-', "");
        assert_eq!(uuid.len(), 32, "{name}: a UUID");
        u128::from_str_radix(&uuid, 16).expect("a hexadecimal UUID");
        writeln!(out, "    ({name:?}, Uuid::from_u128(0x{uuid})),").unwrap();
    }
    out.push_str("];\n\n");
    let releases = doc["releases"].as_table().expect("[releases] is a table");
    let mut rows: Vec<((u32, u32, u32), String)> = Vec::new();
    for (release, v) in releases.iter() {
        let triple: Vec<u32> = release
            .split('.')
            .map(|n| n.parse().expect("a plain major.minor.patch release"))
            .collect();
        let [major, minor, patch] = triple[..] else {
            panic!("release {release}: not major.minor.patch");
        };
        let mut row = String::new();
        for (name, version) in v.as_inline_table().expect("an inline table").iter() {
            let index = names
                .iter()
                .position(|n| *n == name)
                .unwrap_or_else(|| panic!("release {release}: {name} is not in [uuids]"));
            let version = version.as_str().expect("a version string");
            write!(row, "({index}, {version:?}), ").unwrap();
        }
        rows.push(((major, minor, patch), row));
    }
    rows.sort();
    out.push_str(
        "/// Each release's first version and its stdlibs (index into `STDLIBS`, version or \"\"),\n\
         /// oldest first.\n",
    );
    writeln!(
        out,
        "static RELEASES: [(Release, &[(usize, &str)]); {}] = [",
        rows.len()
    )
    .unwrap();
    for ((major, minor, patch), row) in &rows {
        writeln!(out, "    (({major}, {minor}, {patch}), &[{row}]),").unwrap();
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("stdlibs.rs");
    std::fs::write(path, out).expect("OUT_DIR is writable");
}
