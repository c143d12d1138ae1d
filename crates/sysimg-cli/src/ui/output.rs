//! Human output. Text that comes from a user's files (package names, paths, messages that
//! quote them) is shown with control and bidirectional-formatting characters escaped, so a
//! hostile Manifest cannot move the cursor, recolour the terminal, ring the bell, split a line
//! or reverse the text around it. JSON output is escaped by the JSON encoder instead.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// Whether a character is a Unicode bidirectional formatting character (embeddings,
/// overrides, isolates, marks), which reorders the text displayed around it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (but newline and tab) and every bidirectional formatting
/// character written as `\u{XXXX}`.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    escaped(s, |c| {
        (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
    })
}

/// [`terminal_safe`], newline and tab too: what makes one line of output (a table's row, a
/// plan's package) stay one line whatever the names in it hold.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c.is_control() || is_bidi_control(c))
}

/// `s` with the characters `unsafe_char` picks written as `\u{XXXX}`.
fn escaped(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `text` to stdout. A closed pipe (`sysimg ls | head`) ends the process quietly, with
/// status 0, as a Unix tool ends. (sysimg does not restore SIGPIPE's default action for that:
/// a registry closing its connection mid-upload would then kill the process instead of letting
/// it say what failed.)
pub fn print_text(text: &str) {
    write_stdout(&[text]);
}

/// [`print_text`] with a newline.
pub fn print_line(text: &str) {
    write_stdout(&[text, "\n"]);
}

/// Writes `parts` to stdout, in one lock (without copying a large JSON document to add its
/// newline).
fn write_stdout(parts: &[&str]) {
    let mut out = std::io::stdout().lock();
    let written = parts
        .iter()
        .try_for_each(|p| out.write_all(p.as_bytes()))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            std::process::exit(2)
        }
        Ok(()) => {}
    }
}

/// `text` in lines of at most `width` characters, each after the first indented by `indent`
/// spaces: broken after its clauses (`; `) where it can, so that a clause stays on one line,
/// and a clause longer than a line at spaces (a word longer than that stays whole).
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let len = |s: &str| s.chars().count();
    let clauses: Vec<&str> = text.split("; ").collect();
    for (n, clause) in clauses.iter().enumerate() {
        let clause = match n + 1 < clauses.len() {
            true => format!("{clause};"),
            false => clause.to_string(),
        };
        let sep = usize::from(!line.trim().is_empty());
        if !line.trim().is_empty() && len(&line) + sep + len(&clause) > width {
            lines.push(std::mem::replace(&mut line, pad.clone()));
        }
        for word in clause.split(' ') {
            let blank = line.trim().is_empty();
            if !blank && len(&line) + 1 + len(word) > width {
                lines.push(std::mem::replace(&mut line, pad.clone()));
            } else if !blank {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.push(line);
    lines.join("\n")
}

/// `println!` for human output: one line, made [`one_line`] (a newline or tab in a name it
/// shows is escaped, so a row never splits).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::ui::output::print_line(&$crate::ui::output::one_line(&format!($($arg)*)))
    };
}

/// `eprintln!` for human output: the line is made [`terminal_safe`].
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::ui::output::terminal_safe(&format!($($arg)*)))
    };
}

pub(crate) use {say, say_err};

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_are_wrapped_at_spaces() {
        let text = format!("sysimg: warning: {}", "word ".repeat(40).trim_end());
        let wrapped = super::wrap(&text, 30, 4);
        assert!(wrapped.lines().count() > 1, "{wrapped}");
        for line in wrapped.lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("    word")));
        assert_eq!(
            wrapped.split_whitespace().count(),
            text.split_whitespace().count()
        );
        // Clauses stay whole where they fit.
        let wrapped = super::wrap("sysimg: warning: one two; three four; five", 20, 4);
        assert_eq!(
            wrapped,
            "sysimg: warning: one\n    two; three four;\n    five"
        );
        assert_eq!(super::wrap("short", 30, 4), "short");
    }

    use super::terminal_safe;

    #[test]
    fn escapes_what_could_take_over_a_terminal() {
        assert_eq!(terminal_safe("JSON"), "JSON");
        assert_eq!(terminal_safe("a\u{1b}[31mred"), "a\\u{001b}[31mred");
        assert_eq!(terminal_safe("bell\u{7}"), "bell\\u{0007}");
        assert_eq!(terminal_safe("evil\u{202e}txt.jl"), "evil\\u{202e}txt.jl");
        assert_eq!(terminal_safe("cr\rlf"), "cr\\u{000d}lf");
        assert_eq!(terminal_safe("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(terminal_safe("日本"), "日本");
        assert_eq!(
            super::one_line("two\nlines\tno"),
            "two\\u{000a}lines\\u{0009}no"
        );
        assert_eq!(super::one_line("a\u{1b}\u{202e}"), "a\\u{001b}\\u{202e}");
    }
}
