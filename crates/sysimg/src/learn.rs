//! Learning from use: the compile traces julia writes itself (`--trace-compile=FILE`, one file
//! per `sysimg run` session, kept in the store under the environment's key), merged into the
//! precompile statements a build bakes into the image.
//!
//! ```text
//! <store>/learn/<env key>/sessions/<nanos>-<pid>.jl   one session's trace (julia writes it)
//! <store>/learn/<env key>/checked                     when the launcher last counted new statements
//! <store>/learn/<env key>/background.json             the last background build's outcome
//! <store>/<id>/learned.jl                             the statements an image was built with
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use julia_env::version::VersionNumber;

use crate::model::record::ImageRecord;
use crate::store::Store;

/// The sessions kept per environment; older traces are removed when a new session starts.
pub const MAX_SESSIONS: usize = 100;
/// The bytes of traces kept per environment (the newest sessions that fit), and the most a
/// merge reads.
pub const MAX_TRACE_BYTES: u64 = 64 << 20;
/// A new session reads the sizes of the others (to keep [`MAX_TRACE_BYTES`]) at least once
/// in this many starts, and at every start near [`MAX_SESSIONS`].
pub const PRUNE_EVERY: usize = 8;
/// The bytes of one session's trace a merge reads (the rest of a larger one is ignored).
pub const MAX_SESSION_BYTES: u64 = 16 << 20;
/// The file, in an image's directory, of the statements it was built with.
pub const LEARNED_FILE: &str = "learned.jl";

/// The traces of one environment.
#[derive(Clone, Debug)]
pub struct Traces {
    /// `<store>/learn/<env key>`.
    pub dir: PathBuf,
    /// The environment's key in the store: its background build holds
    /// [`Store::try_lock_background`] of it.
    pub env_key: String,
    /// `<store>/logs/background-<env key>.log`: what the last background build printed.
    pub background_log: PathBuf,
}

impl Traces {
    /// The traces of the environment whose project file is `project`.
    pub fn of(store: &Store, project: &Path) -> Traces {
        let key = store.env_key(project);
        Traces {
            dir: store.learn_dir(&key),
            background_log: store.background_log(&key),
            env_key: key,
        }
    }

    fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    /// The trace file for a new session (made empty here; julia writes it), after making
    /// room: the oldest sessions beyond [`MAX_SESSIONS`], and any that does not fit in
    /// [`MAX_TRACE_BYTES`] with the newer ones kept, are removed. The sizes are read (one
    /// `stat` per session) only when the count is a multiple of [`PRUNE_EVERY`], which it
    /// meets at least every [`PRUNE_EVERY`] starts (at the cap, the oldest go by name down to
    /// `MAX_SESSIONS - PRUNE_EVERY`); the other starts list the names only (this is on the
    /// way to julia, with learning on by default). Also says whether it is the environment's
    /// first traced session (from the same listing).
    pub fn new_session(&self) -> std::io::Result<NewSession> {
        let dir = self.sessions_dir();
        std::fs::create_dir_all(&dir)?;
        let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&dir)?
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| Path::new(n).extension().is_some_and(|x| x == "jl"))
            .collect();
        if names.len().is_multiple_of(PRUNE_EVERY) {
            self.prune();
        } else if names.len() >= MAX_SESSIONS {
            // At the cap, the oldest go by name (no `stat`) down to PRUNE_EVERY below it, so
            // the count cycles and meets a multiple of PRUNE_EVERY (a full prune) every
            // PRUNE_EVERY starts.
            names.sort(); // oldest first: names start with the start time
            let extra = names.len() - (MAX_SESSIONS - PRUNE_EVERY);
            for name in &names[..extra] {
                let _ = std::fs::remove_file(dir.join(name));
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let file = dir.join(format!("{nanos:024}-{}.jl", std::process::id()));
        // Made here, empty: julia opens the trace only at its first compilation, and one it
        // cannot open then is an error inside the session (julia's src/gf.c: `jl_errorf("cannot
        // open precompile statement file ...")`), so a store that takes no file (a shared,
        // read-only one) must be found out before julia is told to trace.
        std::fs::File::create(&file)?;
        Ok(NewSession {
            file,
            first: names.is_empty(),
        })
    }

    /// Removes the oldest sessions beyond [`MAX_SESSIONS`] - 1 (room for a new one), and any
    /// that does not fit in [`MAX_TRACE_BYTES`] with the newer ones kept.
    fn prune(&self) {
        let mut kept = self.sessions();
        kept.reverse(); // newest first
                        // Newest first, each kept while it fits: one huge trace is removed alone, it does not
                        // push every older session out.
        let (mut bytes, mut count) = (0, 0);
        for (path, len) in &kept {
            if count + 1 >= MAX_SESSIONS || bytes + len > MAX_TRACE_BYTES {
                let _ = std::fs::remove_file(path);
            } else {
                bytes += len;
                count += 1;
            }
        }
    }

    /// Every session's trace with its size, oldest first (names sort by start time).
    pub fn sessions(&self) -> Vec<(PathBuf, u64)> {
        let mut out: Vec<(PathBuf, u64)> = std::fs::read_dir(self.sessions_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "jl"))
            .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
            .collect();
        out.sort();
        out
    }

    /// Every session's trace file, oldest first.
    pub fn session_files(&self) -> Vec<PathBuf> {
        self.sessions().into_iter().map(|(p, _)| p).collect()
    }

    /// The sessions that started after `since` (a file's modification time; all of them when
    /// it does not exist).
    pub fn sessions_since(&self, since: &Path) -> Vec<PathBuf> {
        let since = std::fs::metadata(since).and_then(|m| m.modified()).ok();
        self.session_files()
            .into_iter()
            .filter(|p| {
                let modified = std::fs::metadata(p).and_then(|m| m.modified()).ok();
                match (since, modified) {
                    (Some(s), Some(m)) => m > s,
                    _ => true,
                }
            })
            .collect()
    }

    /// The stamp the launcher touches when it has counted the new statements.
    pub fn checked_stamp(&self) -> PathBuf {
        self.dir.join("checked")
    }

    /// The last background build's outcome.
    pub fn background_file(&self) -> PathBuf {
        self.dir.join("background.json")
    }
}

/// A session's trace file, made by [`Traces::new_session`].
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The (empty) trace file julia is told to write.
    pub file: PathBuf,
    /// No other session of the environment was in the store when it was made.
    pub first: bool,
}

/// One line of a compile trace, as Julia writes it: `precompile(SIG)`, on Julia 1.12+ with
/// ` # recompile` after it for code compiled again after an invalidation, and with
/// `--trace-compile-timing` (1.12+) `#= TIME ms =# ` before it (JuliaLang/julia release-1.12
/// src/gf.c `record_precompile_statement`: `jl_printf(s_precompile, "#= %6.1f ms =# ",
/// compilation_time / 1e6)`, then `precompile(`, the signature, `)`, and `" # recompile"`
/// when `is_recompile`). Returns the statement and the compile time in milliseconds, when
/// given; `None` for any other line.
pub fn trace_line(line: &str) -> Option<(&str, Option<f64>)> {
    let mut line = line.trim();
    let mut ms = None;
    if let Some(rest) = line.strip_prefix("#=") {
        let (time, rest) = rest.split_once("=#")?;
        ms = time.trim().strip_suffix("ms")?.trim().parse::<f64>().ok();
        ms?;
        line = rest.trim_start();
    }
    if let Some(stmt) = line.strip_suffix("# recompile") {
        line = stmt.trim_end();
    }
    (line.starts_with("precompile(") && line.ends_with(')')).then_some((line, ms))
}

/// The arguments that make julia write a compile trace to `file`: `--trace-compile=FILE`,
/// and from Julia 1.12 on `--trace-compile-timing` too, so learned statements can be ranked
/// by the compile time they save (older releases refuse the flag and would not start).
pub fn trace_args(
    file: &Path,
    julia_version: &julia_env::version::VersionNumber,
) -> Vec<std::ffi::OsString> {
    let mut arg = std::ffi::OsString::from("--trace-compile=");
    arg.push(file);
    let mut out = vec![arg];
    let timing = (julia_version.major, julia_version.minor) >= (1, 12);
    if timing {
        out.push("--trace-compile-timing".into());
    }
    out
}

/// Whether `--trace-compile` can crash this julia: Julia 1.5.3's trace printer
/// (`jl_static_show`) segfaults on some signatures it prints (a value as a type parameter,
/// e.g. Unitful's `u"km"`), which killed julia in sessions and in PackageCompiler's traced
/// precompile runs (PackageCompiler.jl#466, "segfault on Julia v1.5.3": a regression of 1.5.3,
/// fixed by julia#38399 in 1.5.4 and 1.6; reproduced here on 1.5.3 with the realistic world's
/// workload). Learning is never on by default there; `learn = true` still traces.
pub fn trace_may_crash(julia_version: &julia_env::version::VersionNumber) -> bool {
    (
        julia_version.major,
        julia_version.minor,
        julia_version.patch,
    ) == (1, 5, 3)
}

/// Statements merged from traces: deduplicated, counted, filtered and capped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Learned {
    /// The sessions read.
    pub sessions: usize,
    /// The statements kept, those that cost the most compile time first (Julia 1.12+ traces
    /// say, `--trace-compile-timing`), then the most frequent (ties in text order), with their
    /// counts.
    pub statements: Vec<(String, usize)>,
    /// Distinct statements dropped: they name `Main`, a closure or generated name, or a module
    /// that is not Base, Core, a standard library or a baked package.
    pub dropped: usize,
    /// Distinct lines that are not a `precompile(Tuple{...})` signature
    /// ([`crate::signature`]): code, or what julia does not write. Never learned.
    pub rejected: usize,
    /// Distinct statements beyond the cap.
    pub over_cap: usize,
}

impl Learned {
    /// The file a build bakes: one statement a line, most frequent first.
    pub fn text(&self) -> String {
        let mut s = String::from("# Learned by sysimg from compile traces: most frequent first.\n");
        for (statement, _) in &self.statements {
            s.push_str(statement);
            s.push('\n');
        }
        s
    }

    /// The SHA-256 of [`Learned::text`].
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.text().as_bytes()))
    }
}

/// The statements of trace files, merged: counted over `files`, kept when
/// [`statement_allowed`] with `modules`, most frequent first, at most `cap`.
///
/// Bounded: the newest files first, at most [`MAX_SESSION_BYTES`] of each and
/// [`MAX_TRACE_BYTES`] in all; a last line without its newline (julia still writing, or the
/// cut) is not read. Only regular files are read (a FIFO would block).
pub fn merge(files: &[PathBuf], modules: &HashSet<String>, cap: usize) -> Learned {
    // Per statement: sessions seen in, and compile time spent on it (ms, summed).
    let mut counts: HashMap<String, (usize, f64)> = HashMap::new();
    let mut rejected: HashSet<String> = HashSet::new();
    let mut sessions = 0;
    let mut budget = MAX_TRACE_BYTES;
    for f in files.iter().rev() {
        if budget == 0 {
            break;
        }
        let Some(text) = read_bounded(f, budget.min(MAX_SESSION_BYTES)) else {
            continue;
        };
        budget = budget.saturating_sub(text.len() as u64);
        sessions += 1;
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in complete.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            match crate::signature::parse(line) {
                Some(sig) => {
                    let entry = counts.entry(sig.statement).or_default();
                    entry.0 += 1;
                    entry.1 += trace_line(line).and_then(|(_, ms)| ms).unwrap_or(0.0);
                }
                // A comment is inert (julia writes none but timing ones).
                None if trimmed.starts_with('#') && !trimmed.starts_with("#=") => {}
                None => {
                    rejected.insert(trimmed.to_string());
                }
            }
        }
    }
    let (mut kept, mut dropped) = (Vec::new(), 0);
    for (statement, (count, ms)) in counts {
        if statement_allowed(&statement, modules) {
            kept.push((statement, count, ms));
        } else {
            dropped += 1;
        }
    }
    kept.sort_by(|a, b| {
        b.2.total_cmp(&a.2)
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    let over_cap = kept.len().saturating_sub(cap);
    kept.truncate(cap);
    Learned {
        sessions,
        statements: kept.into_iter().map(|(s, c, _)| (s, c)).collect(),
        dropped,
        rejected: rejected.len(),
        over_cap,
    }
}

/// At most `limit` bytes of a regular file (as text), `None` when it is not one or cannot be
/// read.
fn read_bounded(path: &Path, limit: u64) -> Option<String> {
    if !std::fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The statements of a learned file (an image's `learned.jl`).
pub fn statements_of(file: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| trace_line(l).map(|(s, _)| s.to_string()))
        .collect()
}

/// Whether a traced statement may be baked: it is a signature ([`crate::signature::parse`]:
/// one `precompile(Tuple{...})` and nothing else, so nothing of it runs but type lookups),
/// every module it names at the top (`JSON` in `JSON.Parser.parse`) is Base, Core, or in
/// `modules`, and it names no closure or generated function (`Symbol("#...")` on Julia 1.5,
/// `var"#..."` later) and nothing of `Main`.
pub fn statement_allowed(statement: &str, modules: &HashSet<String>) -> bool {
    let Some(s) = crate::signature::parse(statement) else {
        return false;
    };
    s.statement == statement.trim()
        && !s.generated
        && s.modules
            .iter()
            .all(|m| m == "Base" || m == "Core" || (m != "Main" && modules.contains(m)))
}

/// Whether a learned file (an earlier image's `learned.jl`) holds only comments and statements
/// [`statement_allowed`] would pass, by syntax: a file from before the filter parsed, or one
/// edited in the store, is not baked again.
pub fn learned_file_is_clean(text: &str) -> bool {
    text.lines().all(|l| {
        (l.starts_with('#') && !l.starts_with("#="))
            || crate::signature::parse(l).is_some_and(|s| s.statement == l && !s.generated)
    })
}

/// How a background build ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackgroundStatus {
    /// It built the image.
    Built,
    /// The store already held the image.
    Reused,
    /// It failed (its log says why).
    Failed,
}

/// The outcome of a background build, as the build leaves it for the next start.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackgroundOutcome {
    /// How it ended.
    pub status: BackgroundStatus,
    /// The image id built (or that failed).
    pub id: Option<String>,
    /// The log to read when it failed.
    pub log: Option<String>,
    /// The Manifest's SHA-256 at the time: a failed build is not retried until it changes.
    pub manifest_sha256: Option<String>,
    /// Whether a start has told the user of the failure.
    pub reported: bool,
}

impl BackgroundOutcome {
    /// Reads the outcome the last background build left, if any.
    pub fn read(path: &Path) -> Option<BackgroundOutcome> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// Writes it (atomically).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        julia_env::edit::write_atomic(path, &text).map_err(std::io::Error::other)
    }
}

/// The SHA-256 of the environment's Manifest (a failed background build is retried only
/// when it changes).
pub fn manifest_sha256(project_file: &Path) -> Option<String> {
    let env = julia_env::environment::Environment::load(project_file, None).ok()?;
    crate::model::record::file_sha256(&env.manifest_file).ok()
}

/// The modules a learned statement may name besides Base and Core: the baked packages and
/// the standard libraries of the Julia version.
pub fn modules(
    baked: impl IntoIterator<Item = String>,
    julia_version: Option<&VersionNumber>,
) -> HashSet<String> {
    let mut modules: HashSet<String> = baked.into_iter().collect();
    if let Some(stdlibs) = julia_version.and_then(julia_env::stdlib::stdlibs_for) {
        modules.extend(stdlibs.iter().map(|s| s.name.to_string()));
    }
    modules
}

/// [`modules`] of an image, from its record.
pub fn modules_of(record: &ImageRecord) -> HashSet<String> {
    modules(
        record.packages.iter().map(|p| p.name.clone()),
        VersionNumber::parse(&record.julia.version).ok().as_ref(),
    )
}

/// [`summarize`] for the environment of `project` against image `id` of the store (its
/// record gives the modules; without an image, or with a record that cannot be read, only
/// Base and Core statements count).
pub fn summary_for(store: &Store, project: &Path, id: Option<&str>) -> Summary {
    let dir = id.map(|id| store.image_dir(id));
    let modules = dir
        .as_ref()
        .and_then(|d| ImageRecord::read(&d.join(crate::model::record::RECORD_FILE)).ok())
        .map(|r| modules_of(&r))
        .unwrap_or_default();
    summarize(&Traces::of(store, project), dir.as_deref(), &modules)
}

/// What learning holds for an environment, against its image.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Sessions traced.
    pub sessions: usize,
    /// Distinct statements the image could bake (filtered, before the cap).
    pub statements: usize,
    /// Distinct statements dropped by the filter.
    pub dropped: usize,
    /// Distinct lines that are not a signature (never learned).
    pub rejected: usize,
    /// How many of `statements` the image already holds.
    pub held: usize,
    /// How many it does not.
    pub new: usize,
}

/// Merges the environment's traces and compares them with what the image in `image_dir`
/// holds (its [`LEARNED_FILE`]).
pub fn summarize(traces: &Traces, image_dir: Option<&Path>, modules: &HashSet<String>) -> Summary {
    let learned = merge(&traces.session_files(), modules, usize::MAX);
    let held_set = image_dir
        .map(|d| statements_of(&d.join(LEARNED_FILE)))
        .unwrap_or_default();
    let held = learned
        .statements
        .iter()
        .filter(|(s, _)| held_set.contains(s))
        .count();
    Summary {
        sessions: learned.sessions,
        statements: learned.statements.len(),
        dropped: learned.dropped,
        rejected: learned.rejected,
        held,
        new: learned.statements.len() - held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(names: &[&str]) -> HashSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn statements_naming_only_known_modules_are_kept() {
        // As Julia 1.5.3's --trace-compile writes them.
        let m = modules(&["JSON", "DataStructures", "Dates"]);
        for ok in [
            "precompile(Tuple{typeof(JSON.Parser.parse), String})",
            "precompile(Tuple{Type{DataStructures.OrderedDict{String, Int64}}})",
            "precompile(Tuple{typeof(Base.getindex), Array{Float64, 1}, Int64})",
            "precompile(Tuple{typeof(Dates.now)})",
            "precompile(Tuple{typeof(Base.:(+)), Int64, Float64})",
            "precompile(Tuple{typeof(Core.Compiler.eltype), Type{Array{Int64, 1}}})",
            "precompile(Tuple{typeof(Base.show), Base.GenericIOBuffer{Array{UInt8, 1}}, Float64})",
        ] {
            assert!(statement_allowed(ok, &m), "{ok}");
        }
        for no in [
            "precompile(Tuple{typeof(Main.work)})",
            "precompile(Tuple{typeof(Base.map), Main.Foo, Array{Int64, 1}})",
            "precompile(Tuple{getfield(JSON.Writer, Symbol(\"#show_json##kw\")), Int64})",
            "precompile(Tuple{var\"#3#4\", Int64})",
            "precompile(Tuple{typeof(Plots.plot), Int64})",
            "precompile(Tuple{typeof(JSON.Parser.parse), Revise.Tracked})",
        ] {
            assert!(!statement_allowed(no, &m), "{no}");
        }
    }

    /// JuliaLang/julia release-1.12 src/gf.c `record_precompile_statement`: with
    /// `--trace-compile-timing`, `jl_printf(s_precompile, "#= %6.1f ms =# ", ...)` before
    /// `precompile(` and the signature; `if (is_recompile) jl_printf(s_precompile, " #
    /// recompile")` after the `)`. Both are learned; the time ranks them.
    #[test]
    fn julia_1_12_trace_lines_are_learned_and_ranked_by_compile_time() {
        let a = "precompile(Tuple{typeof(JSON.json), Int64})";
        let b = "precompile(Tuple{typeof(Base.sum), Array{Int64, 1}})";
        let c = "precompile(Tuple{typeof(Base.show), Base.IOStream, Float64})";
        assert_eq!(trace_line(&format!("{a} # recompile")), Some((a, None)));
        assert_eq!(
            trace_line(&format!("#=   39.1 ms =# {b}")),
            Some((b, Some(39.1)))
        );
        assert_eq!(
            trace_line(&format!("#= 1102.0 ms =# {c} # recompile")),
            Some((c, Some(1102.0)))
        );
        assert_eq!(trace_line("#= oops =# precompile(x)"), None);
        assert_eq!(trace_line("# recompile"), None);
        let t = tempfile::tempdir().unwrap();
        let file = |name: &str, text: String| {
            let p = t.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        // `b` is seen most often, `c` (a recompile) cost the most: the cap keeps `c`.
        let files = vec![
            file(
                "1.jl",
                format!("#=    2.0 ms =# {b}\n#=  900.0 ms =# {c} # recompile\n"),
            ),
            file(
                "2.jl",
                format!("#=    1.5 ms =# {b}\n#=    3.0 ms =# {a} # recompile\n"),
            ),
            file("3.jl", format!("#=    2.5 ms =# {b}\n")),
        ];
        let m = modules(&["JSON"]);
        let learned = merge(&files, &m, 10);
        assert_eq!(
            learned.statements,
            vec![(c.to_string(), 1), (b.to_string(), 3), (a.to_string(), 1)]
        );
        assert_eq!(merge(&files, &m, 1).statements, vec![(c.to_string(), 1)]);
        let baked = file("learned.jl", learned.text());
        assert_eq!(statements_of(&baked).len(), 3);
        // Only Julia 1.12+ gets the timing flag (older ones refuse it).
        let trace = Path::new("/t/1.jl");
        assert_eq!(
            trace_args(
                trace,
                &julia_env::version::VersionNumber::parse("1.11.5").unwrap()
            ),
            ["--trace-compile=/t/1.jl"]
        );
        assert_eq!(
            trace_args(
                trace,
                &julia_env::version::VersionNumber::parse("1.12.0").unwrap()
            ),
            ["--trace-compile=/t/1.jl", "--trace-compile-timing"]
        );
        assert_eq!(
            trace_args(
                trace,
                &julia_env::version::VersionNumber::parse("1.13.0-rc1").unwrap()
            ),
            ["--trace-compile=/t/1.jl", "--trace-compile-timing"]
        );
    }

    #[test]
    fn merging_counts_deduplicates_filters_and_caps() {
        let t = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = t.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let a = "precompile(Tuple{typeof(JSON.json), Int64})";
        let b = "precompile(Tuple{typeof(Base.sum), Array{Int64, 1}})";
        let c = "precompile(Tuple{typeof(Main.f)})";
        let files = vec![
            write("1.jl", &format!("{a}\n{b}\n{c}\n")),
            write("2.jl", &format!("{b}\n")),
            write("3.jl", &format!("{b}\n{a}\nnot a statement\n")),
            t.path().join("missing.jl"),
        ];
        let m = modules(&["JSON"]);
        let learned = merge(&files, &m, 10);
        assert_eq!(learned.sessions, 3);
        assert_eq!(
            learned.statements,
            vec![(b.to_string(), 3), (a.to_string(), 2)]
        );
        assert_eq!(learned.dropped, 1);
        let capped = merge(&files, &m, 1);
        assert_eq!(capped.statements, vec![(b.to_string(), 3)]);
        assert_eq!(capped.over_cap, 1);
        // The file a build bakes, and what an image's file holds.
        let file = write("learned.jl", &learned.text());
        assert_eq!(
            statements_of(&file),
            [a.to_string(), b.to_string()].into_iter().collect()
        );
        assert_eq!(learned.sha256().len(), 64);
    }

    fn traces_in(dir: &Path) -> Traces {
        Traces {
            dir: dir.to_path_buf(),
            env_key: "test".into(),
            background_log: dir.join("background.log"),
        }
    }

    /// Issue 26 item 2: a sessions directory that takes no file is found out before julia is
    /// told to trace (julia would raise an error at its first compilation).
    #[test]
    fn a_store_that_takes_no_trace_is_found_out_before_julia() {
        // A directory that exists and lists, but where no one (root included) makes a file.
        let t = tempfile::tempdir().unwrap();
        let traces = traces_in(t.path());
        let sessions = t.path().join("sessions");
        std::os::unix::fs::symlink("/proc", &sessions).unwrap();
        if std::fs::File::create(sessions.join("probe.jl")).is_ok() {
            testkit::skip("/proc takes files here");
            return;
        }
        assert!(traces.new_session().is_err());
    }

    /// The bytes budget is kept at least every [`PRUNE_EVERY`] starts, though a start reads
    /// the sizes only then.
    #[test]
    fn a_trace_over_the_budget_goes_within_prune_every_starts() {
        let t = tempfile::tempdir().unwrap();
        let traces = traces_in(t.path());
        traces.new_session().unwrap();
        let huge = t.path().join("sessions/000000000000000000000001-1.jl");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_TRACE_BYTES + 1)
            .unwrap();
        for _ in 0..PRUNE_EVERY {
            traces.new_session().unwrap();
        }
        assert!(!huge.exists());
    }

    #[test]
    fn sessions_rotate() {
        let t = tempfile::tempdir().unwrap();
        let traces = traces_in(t.path());
        for i in 0..MAX_SESSIONS + 5 {
            let f = traces.new_session().unwrap().file;
            std::fs::write(
                &f,
                format!("precompile(Tuple{{typeof(Base.sum), Val{{{i}}}}})\n"),
            )
            .unwrap();
        }
        let kept = traces.sessions();
        assert!(
            kept.len() <= MAX_SESSIONS && kept.len() > MAX_SESSIONS - PRUNE_EVERY,
            "{}",
            kept.len()
        );
        // A trace larger than the budget is removed alone, within PRUNE_EVERY starts; the
        // older sessions stay.
        let huge = kept
            .last()
            .unwrap()
            .0
            .with_file_name("999999999999999999999999-1.jl");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_TRACE_BYTES + 1)
            .unwrap();
        let mut started = PathBuf::new();
        for _ in 0..PRUNE_EVERY {
            started = traces.new_session().unwrap().file;
        }
        assert!(!huge.exists());
        let count = traces.sessions().len();
        assert!(count > MAX_SESSIONS - PRUNE_EVERY, "{count}");
        // The new session's file is made, empty, before julia starts.
        assert_eq!(std::fs::metadata(&started).unwrap().len(), 0);
        // The newest is kept.
        let newest = std::fs::read_to_string(&kept.last().unwrap().0).unwrap();
        assert!(
            newest.contains(&format!("Val{{{}}}", MAX_SESSIONS + 4)),
            "{newest}"
        );
    }
}
