//! Reports: a check's findings and counts, JSON documents, counted nouns.

use julia_env::check::{Report, Severity};

use crate::exit::{ExitCode, Failure};
use crate::ui::output::{say, say_err};

/// `n` with the singular or plural noun: "1 error", "2 errors".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prints a report's findings and counts (or the JSON object `head` extended with them);
/// exit 1 when there is an error.
pub fn print_report(
    json: bool,
    subject: &str,
    mut head: serde_json::Value,
    report: &Report,
) -> ExitCode {
    if json {
        head["ok"] = (!report.has_errors()).into();
        head["errors"] = report.count(Severity::Error).into();
        head["warnings"] = report.count(Severity::Warning).into();
        head["infos"] = report.count(Severity::Info).into();
        head["findings"] = serde_json::to_value(&report.findings).unwrap_or_default();
        print_json(&head);
    } else {
        for f in &report.findings {
            say!("{f}");
        }
        say!(
            "{subject}: {}, {}, {}",
            counted(report.count(Severity::Error), "error", "errors"),
            counted(report.count(Severity::Warning), "warning", "warnings"),
            counted(report.count(Severity::Info), "note", "notes")
        );
    }
    if report.has_errors() {
        ExitCode::Problems
    } else {
        ExitCode::Ok
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => crate::ui::output::print_line(&s),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

/// Prints a failure on stderr (as JSON on stdout with `--json`).
pub fn print_failure(failure: &Failure, json: bool) {
    if json {
        let v = serde_json::json!({"error": {"message": failure.message, "exit_code": failure.code as i32}});
        crate::ui::output::print_line(&serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        say_err!("error: {}", failure.message);
    }
}
