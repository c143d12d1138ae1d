//! `sysimg tree-hash DIR`.

use std::path::Path;

use crate::cli::Cli;
use crate::exit::{ExitCode, Failure};

pub fn run(cli: &Cli, dir: &Path) -> Result<ExitCode, Failure> {
    if !dir.is_dir() {
        return Err(Failure::bad_input(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let hash = julia_env::tree_hash::tree_hash(dir).map_err(Failure::bad_input)?;
    if cli.json {
        super::print_json(
            &serde_json::json!({"path": dir.display().to_string(), "git-tree-sha1": hash.to_string()}),
        );
    } else {
        println!("{hash}");
    }
    Ok(ExitCode::Ok)
}
