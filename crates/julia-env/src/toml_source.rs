//! A TOML file held with its text, so that any span in it can be reported as line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{Error, Location, Result};

/// A table as read: keys and values with their spans, in the order they were written.
pub type Table<'i> = DeTable<'i>;
/// A value as read, with its span.
pub type Item<'i> = Spanned<DeValue<'i>>;

type Root<'i> = Spanned<DeTable<'i>>;

self_cell::self_cell!(
    /// The text and the tree that borrows its strings.
    struct Parsed {
        owner: String,
        #[covariant]
        dependent: Root,
    }
);

/// A parsed TOML file that can locate spans. The parser is `toml`'s (the same `toml_parser`
/// as `toml_edit`'s, so it accepts the same files, including the few TOML 1.1 forms Julia's
/// TOML 1.0 parser rejects, such as `\e` escapes), into a tree that borrows its strings from
/// the text: reading a file is not editing it, and keeping its layout costs twice the time.
pub struct TomlSource {
    path: PathBuf,
    parsed: Parsed,
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
        let parsed = Parsed::try_new(text, |text| DeTable::parse(text)).map_err(|e| {
            let location = locate(path, &line_starts, e.span(), None);
            let message = e.message().trim_end().replace('\n', " ");
            Error::invalid(location, format!("Could not parse {what}: {message}"))
        })?;
        Ok(TomlSource {
            path: path.to_path_buf(),
            parsed,
            line_starts,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        self.parsed.borrow_owner()
    }

    /// The top-level table.
    pub fn root(&self) -> &Table<'_> {
        self.parsed.borrow_dependent().get_ref()
    }

    /// The location of a byte span (its start), or of the file when there is no span.
    pub fn locate(&self, span: Option<Range<usize>>) -> Location {
        locate(&self.path, &self.line_starts, span, Some(self.text()))
    }

    /// The location of `key` in `table`: the key itself, else the file.
    pub fn locate_key(&self, table: &Table<'_>, key: &str) -> Location {
        self.locate(table.get_key_value(key).map(|(k, _)| k.span()))
    }

    /// The location of an item.
    pub fn locate_item(&self, item: &Item<'_>) -> Location {
        self.locate(Some(item.span()))
    }

    /// An error at `location` with `message`.
    pub fn error(&self, location: Location, message: impl Into<String>) -> Error {
        Error::invalid(location, message)
    }
}

/// What a read value is, without its span: the accessors `toml_edit`'s `Item` had.
pub trait Value {
    /// The value.
    fn value(&self) -> &DeValue<'_>;
    /// A string's text.
    fn as_str(&self) -> Option<&str> {
        self.value().as_str()
    }
    /// A boolean.
    fn as_bool(&self) -> Option<bool> {
        self.value().as_bool()
    }
    /// A table (written as `[header]` or inline: Julia's `Dict` does not tell them apart).
    fn as_table(&self) -> Option<&Table<'_>> {
        self.value().as_table()
    }
    /// An array's elements (an array of tables included).
    fn as_array(&self) -> Option<&[Item<'_>]> {
        self.value().as_array().map(|a| &a[..])
    }
    /// An integer that fits `i64`.
    fn as_integer(&self) -> Option<i64> {
        let i = self.value().as_integer()?;
        i64::from_str_radix(i.as_str(), i.radix()).ok()
    }
}

impl Value for Item<'_> {
    fn value(&self) -> &DeValue<'_> {
        self.get_ref()
    }
}

/// The entries of a table with plain string keys.
pub fn entries<'t, 'i>(table: &'t Table<'i>) -> impl Iterator<Item = (&'t str, &'t Item<'i>)> {
    table.iter().map(|(k, v)| (k.get_ref().as_ref(), v))
}

/// The elements of an array holding only strings.
pub fn string_array(item: &Item<'_>) -> Option<Vec<String>> {
    item.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A string or an array of strings (the form of extension triggers and 2.1 `registries`),
/// with whether it was a single string.
pub fn one_or_many_strings(item: &Item<'_>) -> Option<(Vec<String>, bool)> {
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
        let t = src.root().get("t").and_then(|t| t.as_table()).unwrap();
        let loc = src.locate_key(t, "yy");
        assert_eq!((loc.line, loc.column), (Some(4), Some(3)));
    }
}
