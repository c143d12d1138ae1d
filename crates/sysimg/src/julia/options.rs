//! julia's own command-line options, read as julia reads them, to find the ones that would
//! replace what `sysimg run` chose (`--project`, `-J`/`--sysimage`).
//!
//! julia parses its options with `getopt_long` (src/jloptions.c, `jl_parse_opts`): short
//! options `"+vhqH:e:E:L:J:C:it:p:O:g:m:"` (Julia 1.11-1.13; 1.5-1.10 lack `m:`), which may be
//! combined and take their value attached or as the next argument (`-qJ/img`, `-qJ /img`,
//! `-J/img`); long options that may be abbreviated to any prefix that is unambiguous, or
//! exact (`--proj=/dir` is `--project=/dir`), taking a required value attached with `=` or as
//! the next argument and an optional one only attached. The leading `+` stops at the first
//! argument that is not an option (the program file), and `--` ends the options; `-m NAME`
//! (1.11+) ends them too.

/// An option among julia's arguments that would replace what sysimg chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Override {
    /// `--project` (or an abbreviation of it), as written.
    Project(String),
    /// `-J`, `--sysimage` (or an abbreviation of it), as written.
    Sysimage(String),
}

/// Short options that take a value (attached, or the next argument).
const SHORT_WITH_VALUE: &str = "HeELCtpOgm";
/// Short options without a value.
const SHORT_FLAGS: &str = "vhqi";

/// Long options, over Julia 1.5 to 1.13, whose value is required (attached with `=`, or the
/// next argument). The others take none or only an attached one.
const LONG_WITH_VALUE: &[&str] = &[
    "banner",
    "bind-to",
    "bug-report",
    "check-bounds",
    "color",
    "compile",
    "compiled-modules",
    "cpu-target",
    "depwarn",
    "eval",
    "gcthreads",
    "handle-signals",
    "heap-size-hint",
    "history-file",
    "home",
    "inline",
    "load",
    "machine-file",
    "math-mode",
    "module",
    "output-asm",
    "output-bc",
    "output-incremental",
    "output-ji",
    "output-o",
    "output-unopt-bc",
    "permalloc-pkgimg",
    "pkgimages",
    "polly",
    "print",
    "procs",
    "startup-file",
    "sysimage",
    "sysimage-native-code",
    "task-metrics",
    "threads",
    "timeout-for-safepoint-straggler",
    "trace-compile",
    "trace-dispatch",
    "warn-overwrite",
    "warn-scope",
];

/// The first option among `args` (julia's arguments, before the program file) that would
/// replace the environment or image sysimg chose. An abbreviation that could be `--project`
/// or `--sysimage` counts even when julia would find it ambiguous (julia then refuses to
/// start anyway).
pub fn find_override<S: AsRef<str>>(args: &[S]) -> Option<Override> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_ref();
        i += 1;
        if a == "--" || a == "-" || !a.starts_with('-') {
            return None;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if "project".starts_with(name) {
                return Some(Override::Project(a.to_string()));
            }
            if "sysimage".starts_with(name) {
                return Some(Override::Sysimage(a.to_string()));
            }
            if !attached && takes_value(name) {
                i += 1;
            }
            if "module".starts_with(name) && name.len() >= 2 {
                return None;
            }
            continue;
        }
        // A cluster of short options: flags, then at most one that takes a value.
        for (k, c) in a.char_indices().skip(1) {
            if c == 'J' {
                return Some(Override::Sysimage(a.to_string()));
            }
            if SHORT_FLAGS.contains(c) {
                continue;
            }
            if SHORT_WITH_VALUE.contains(c) {
                if k + 1 == a.len() {
                    i += 1; // the value is the next argument
                }
                if c == 'm' {
                    return None; // the module's own arguments follow
                }
            }
            break; // the rest is the value (or julia rejects the option)
        }
    }
    None
}

/// Long options, over Julia 1.5 to 1.13, that take no value or only an attached one.
const LONG_WITHOUT_VALUE: &[&str] = &[
    "code-coverage",
    "debug-info",
    "experimental",
    "help",
    "help-hidden",
    "image-codegen",
    "interactive",
    "lisp",
    "min-optlevel",
    "optimize",
    "project",
    "quiet",
    "rr-detach",
    "strip-ir",
    "strip-metadata",
    "trace-compile-timing",
    "track-allocation",
    "trim",
    "version",
    "worker",
];

/// Whether a long option `name` (perhaps abbreviated) takes the next argument as its value:
/// it is one that requires a value, or abbreviates only such ones.
fn takes_value(name: &str) -> bool {
    LONG_WITH_VALUE.contains(&name)
        || (LONG_WITH_VALUE.iter().any(|o| o.starts_with(name))
            && !LONG_WITHOUT_VALUE.iter().any(|o| o.starts_with(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(args: &[&str]) -> Option<Override> {
        find_override(args)
    }

    #[test]
    fn abbreviations_and_clusters_are_found() {
        for a in [
            "--project",
            "--project=/x",
            "--proj=/x",
            "--proje",
            "--pro=/x",
            "--p=/x",
        ] {
            assert_eq!(find(&[a]), Some(Override::Project(a.into())), "{a}");
        }
        for a in [
            "-J/x",
            "-Jx",
            "-qJ/x",
            "-iqJ/x",
            "--sysimage=/x",
            "--sysim=/x",
            "--sys",
        ] {
            assert_eq!(find(&[a]), Some(Override::Sysimage(a.into())), "{a}");
        }
        assert_eq!(
            find(&["-q", "-J", "/x"]),
            Some(Override::Sysimage("-J".into()))
        );
        // After a value taken from the next argument.
        assert!(find(&["-O", "-J/x"]).is_none()); // -J/x is -O's (bad) value
        assert!(find(&["-g", "-J/x"]).is_none());
        assert_eq!(
            find(&["-O3", "-J/x"]),
            Some(Override::Sysimage("-J/x".into()))
        );
        assert_eq!(
            find(&["--optimize", "-J/x"]),
            Some(Override::Sysimage("-J/x".into()))
        );
        assert_eq!(
            find(&["--thr", "2", "--proj=/x"]),
            Some(Override::Project("--proj=/x".into()))
        );
        assert!(find(&["--ev", "-J/x"]).is_none());
        assert!(find(&["-e", "--project"]).is_none());
        assert!(find(&["-qe", "-J/x"]).is_none());
        assert!(find(&["-qe-J/x"]).is_none());
        // Where julia's options end.
        assert!(find(&["script.jl", "-J/x"]).is_none());
        assert!(find(&["--", "-J/x"]).is_none());
        assert!(find(&["-", "-J/x"]).is_none());
        assert!(find(&["-m", "Pkg", "-J/x"]).is_none());
        assert!(find(&["--startup-file=no", "--sysimage-native-code=yes", "-i"]).is_none());
        assert!(find(&["--trace-compile", "-J.jl", "--print", "--project"]).is_none());
    }
}
