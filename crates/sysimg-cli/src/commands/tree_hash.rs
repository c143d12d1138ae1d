//! `sysimg tree-hash DIR`.

use std::path::Path;

use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn run(ctx: &Context<'_>, dir: &Path) -> Result<ExitCode, Failure> {
    // tree_hash names the real cause: missing, not a directory, unreadable, a special file.
    let hash = julia_env::tree_hash::tree_hash(dir).map_err(Failure::bad_input)?;
    if ctx.json() {
        crate::ui::report::print_json(
            &serde_json::json!({"path": dir.display().to_string(), "git-tree-sha1": hash.to_string()}),
        );
    } else {
        crate::ui::output::print_line(&hash.to_string());
    }
    Ok(ExitCode::Ok)
}
