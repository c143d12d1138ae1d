//! `cargo run -p house-check [WORKSPACE_DIR]`: prints every module cycle, crate cycle and use
//! between independent modules in the workspace (default: the one this tool is part of);
//! exit status 1 when there is one, 2 when the sources cannot be read.
//!
//! `cargo run -p house-check -- --uses FILE`: prints which module uses which in the crate
//! whose root is FILE (`crates/sysimg/src/lib.rs`), one line per pair of siblings.

use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "--uses") {
        let Some(file) = args.get(1) else {
            eprintln!("house-check: --uses needs a crate root file");
            std::process::exit(2);
        };
        match house_check::sibling_uses(Path::new(file)) {
            Ok(scopes) => {
                for (scope, edges) in scopes {
                    for (from, tos) in edges {
                        for (to, at) in tos {
                            let scope = scope.join("::");
                            let file = at.file.display();
                            println!("{scope}: {from} -> {to} ({file}:{})", at.line);
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("house-check: {e}");
                std::process::exit(2);
            }
        }
        return;
    }
    let root = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    match house_check::check_workspace(&root) {
        Ok(problems) if problems.is_empty() => {
            println!("house-check: no module cycles, no crate cycles");
        }
        Ok(problems) => {
            for p in &problems {
                print!("{p}");
            }
            eprintln!("house-check: {} problem(s)", problems.len());
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("house-check: {e}");
            std::process::exit(2);
        }
    }
}
