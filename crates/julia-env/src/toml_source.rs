//! A TOML file held with its text, so that any span in it can be reported as line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, Table};

use crate::error::{Error, Location, Result};

/// A parsed TOML file that can locate spans. (The parser, `toml_edit`, also accepts the few
/// TOML 1.1 forms Julia's TOML 1.0 parser rejects, such as `\e` escapes.)
pub struct TomlSource {
    path: PathBuf,
    doc: Document<String>,
    line_starts: Vec<usize>,
}

impl TomlSource {
    /// Reads and parses `path`. `what` names the file kind in syntax errors, as Pkg does
    /// ("Could not parse project: ...").
    pub fn read(path: &Path, what: &str) -> Result<TomlSource> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        TomlSource::parse(path, text, what)
    }

    /// Parses `text` as if read from `path`.
    pub fn parse(path: &Path, text: String, what: &str) -> Result<TomlSource> {
        let line_starts = line_starts(&text);
        match Document::parse(text) {
            Ok(doc) => Ok(TomlSource {
                path: path.to_path_buf(),
                doc,
                line_starts,
            }),
            Err(e) => {
                let location = locate(path, &line_starts, e.span(), None);
                let message = e.message().trim_end().replace('\n', " ");
                Err(Error::invalid(
                    location,
                    format!("Could not parse {what}: {message}"),
                ))
            }
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        self.doc.raw()
    }

    /// The top-level table.
    pub fn root(&self) -> &Table {
        self.doc.as_table()
    }

    /// The location of a byte span (its start), or of the file when there is no span.
    pub fn locate(&self, span: Option<Range<usize>>) -> Location {
        locate(&self.path, &self.line_starts, span, Some(self.doc.raw()))
    }

    /// The location of `key` in `table`: the key itself when it has a span, else its value,
    /// else the table.
    pub fn locate_key(&self, table: &Table, key: &str) -> Location {
        let span = table
            .get_key_value(key)
            .and_then(|(k, item)| k.span().or_else(|| item.span()))
            .or_else(|| table.span());
        self.locate(span)
    }

    /// The location of an item.
    pub fn locate_item(&self, item: &Item) -> Location {
        self.locate(item.span())
    }

    /// An error at `location` with `message`.
    pub fn error(&self, location: Location, message: impl Into<String>) -> Error {
        Error::invalid(location, message)
    }
}

/// The elements of an array holding only strings.
pub fn string_array(item: &Item) -> Option<Vec<String>> {
    item.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A string or an array of strings (the form of extension triggers and 2.1 `registries`),
/// with whether it was a single string.
pub fn one_or_many_strings(item: &Item) -> Option<(Vec<String>, bool)> {
    match item.as_str() {
        Some(s) => Some((vec![s.to_string()], true)),
        None => string_array(item).map(|v| (v, false)),
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn locate(
    path: &Path,
    starts: &[usize],
    span: Option<Range<usize>>,
    text: Option<&str>,
) -> Location {
    let Some(span) = span else {
        return Location::file(path);
    };
    let line = starts.partition_point(|&s| s <= span.start).max(1);
    let line_start = starts[line - 1];
    let column = match text.and_then(|t| t.get(line_start..span.start)) {
        Some(prefix) => prefix.chars().count() + 1,
        None => span.start - line_start + 1,
    };
    Location {
        path: path.to_path_buf(),
        line: Some(line),
        column: Some(column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = TomlSource::parse(
            Path::new("P.toml"),
            "a = 1\nb = \"x\\q\"\n".into(),
            "project",
        )
        .err()
        .unwrap();
        let loc = err.location().unwrap();
        assert_eq!(loc.line, Some(2));
        assert!(loc.column.unwrap() >= 5, "{loc}");
        assert!(err.to_string().starts_with("P.toml:2:"), "{err}");
        assert!(err.to_string().contains("Could not parse project"), "{err}");
    }

    #[test]
    fn keys_are_located() {
        let src =
            TomlSource::parse(Path::new("M.toml"), "x = 1\n\n[t]\n  yy = 2\n".into(), "m").unwrap();
        let t = src.root()["t"].as_table().unwrap();
        let loc = src.locate_key(t, "yy");
        assert_eq!((loc.line, loc.column), (Some(4), Some(3)));
    }
}
