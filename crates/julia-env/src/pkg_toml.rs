//! The TOML that Pkg writes: a plain value tree and Julia's `TOML.print` in sorted mode.
//!
//! Hand-written on purpose: byte-for-byte agreement with Pkg-written files needs Julia's exact
//! layout rules (plain values before tables, header-less parent tables, 4-space indentation of
//! sub-tables, its escaping), which no general TOML serializer reproduces.

use std::cmp::Ordering;
use std::fmt::Write;

use toml::de::DeValue;

use crate::toml_source::{entries, Item, Value as _};

/// A TOML value as Julia's `TOML.parsefile` returns it (a `Dict` does not remember whether
/// it was written inline).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float, kept as written.
    Float(String),
    /// A boolean.
    Bool(bool),
    /// A date/time, kept as written.
    Datetime(String),
    /// An array.
    Array(Vec<Value>),
    /// A table.
    Table(Table),
}

/// A table: keys in the order they were read or inserted (the printer sorts them). Equality
/// ignores order and inline-ness, like Julia's `Dict`.
#[derive(Clone, Debug, Default)]
pub struct Table {
    entries: Vec<(String, Value)>,
    /// Print as an inline table `{k = v}` (Pkg does this for `[sources]` entries).
    pub inline: bool,
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table::default()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, replacing an existing value in place.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// Sets `key` when `value` is `Some`, removes it otherwise (Pkg's `entry!`).
    pub fn set_or_remove(&mut self, key: &str, value: Option<Value>) {
        match value {
            Some(v) => self.set(key, v),
            None => self.remove(key),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }

    /// Whether the table has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over the entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl FromIterator<(String, Value)> for Table {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Table {
            entries: iter.into_iter().collect(),
            inline: false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

/// Converts a value as read into the plain tree.
pub fn from_item(item: &Item<'_>) -> Value {
    match item.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        // Julia reads integers beyond Int64 as Int128 or BigInt and prints their digits: kept
        // as text, like a float.
        DeValue::Integer(i) => item.as_integer().map_or_else(
            || {
                Value::Float(match i128::from_str_radix(i.as_str(), i.radix()) {
                    Ok(big) => big.to_string(),
                    Err(_) => i.to_string(),
                })
            },
            Value::Integer,
        ),
        DeValue::Float(f) => Value::Float(julia_float(match f.as_str() {
            nan if nan.contains("nan") => f64::NAN,
            text => text.parse().unwrap_or(f64::NAN),
        })),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.iter().map(from_item).collect()),
        DeValue::Table(t) => Value::Table(
            entries(t)
                .map(|(k, v)| (k.to_string(), from_item(v)))
                .collect(),
        ),
    }
}

/// Julia's `print(::Float64)` for the values TOML can hold.
fn julia_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{f:?}")
    }
}

/// How keys are ordered at every level: Pkg's Manifest uses plain byte order, its Project a
/// rank list first.
pub type KeyOrder<'a> = &'a dyn Fn(&str, &str) -> Ordering;

/// Byte-wise key order (Julia's `isless` on `String`).
pub fn byte_order(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// Options of [`print`].
#[derive(Clone, Copy)]
pub struct PrintOptions<'a> {
    /// Key order.
    pub order: KeyOrder<'a>,
    /// Julia 1.11 and later wrap strings that contain a newline in `"""` (still escaped).
    pub triple_quote_multiline: bool,
}

/// Julia's `TOML.print(io, table; sorted = true, by = ...)`.
pub fn print(table: &Table, opts: PrintOptions<'_>) -> String {
    let mut out = String::new();
    let mut path = Vec::new();
    print_table(&mut out, table, &mut path, 0, true, opts);
    out
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Table(t) if !t.inline)
}

fn is_array_of_tables(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(|x| matches!(x, Value::Table(_))))
}

fn is_tabular(v: &Value) -> bool {
    is_table(v) || is_array_of_tables(v)
}

fn sorted<'t>(table: &'t Table, opts: PrintOptions<'_>) -> Vec<&'t (String, Value)> {
    let mut entries: Vec<_> = table.entries.iter().collect();
    entries.sort_by(|a, b| (opts.order)(&a.0, &b.0));
    entries
}

fn print_table(
    out: &mut String,
    table: &Table,
    path: &mut Vec<String>,
    indent: usize,
    mut first_block: bool,
    opts: PrintOptions<'_>,
) {
    let entries = sorted(table, opts);
    for (key, value) in &entries {
        if is_tabular(value) {
            continue;
        }
        out.push_str(&" ".repeat(4 * indent.saturating_sub(1)));
        print_key(out, key);
        out.push_str(" = ");
        print_value(out, value, opts);
        out.push('\n');
        first_block = false;
    }
    for (key, value) in &entries {
        match value {
            Value::Table(t) if !t.inline => {
                path.push(key.clone());
                let header = t.is_empty()
                    || !t.entries.iter().all(|(_, v)| is_tabular(v))
                    || t.entries
                        .iter()
                        .any(|(_, v)| matches!(v, Value::Table(x) if x.inline));
                if header {
                    if !first_block {
                        out.push('\n');
                    }
                    first_block = false;
                    out.push_str(&" ".repeat(4 * indent));
                    out.push('[');
                    print_path(out, path);
                    out.push_str("]\n");
                }
                print_table(out, t, path, indent + usize::from(header), header, opts);
                path.pop();
            }
            Value::Array(items) if is_array_of_tables(value) => {
                if !first_block {
                    out.push('\n');
                }
                first_block = false;
                path.push(key.clone());
                for item in items {
                    let Value::Table(t) = item else { continue };
                    out.push_str(&" ".repeat(4 * indent));
                    out.push_str("[[");
                    print_path(out, path);
                    out.push_str("]]\n");
                    print_table(out, t, path, indent + 1, true, opts);
                }
                path.pop();
            }
            _ => {}
        }
    }
}

fn print_path(out: &mut String, path: &[String]) {
    for (i, k) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        print_key(out, k);
    }
}

/// Prints a key bare when it is made of `A-Za-z0-9_-` only, quoted otherwise.
pub fn print_key(out: &mut String, key: &str) {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        out.push_str(key);
    } else {
        out.push('"');
        escape_into(out, key);
        out.push('"');
    }
}

/// Julia's `print_toml_escaped`.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

fn print_value(out: &mut String, value: &Value, opts: PrintOptions<'_>) {
    match value {
        Value::String(s) => {
            let quotes = if opts.triple_quote_multiline && s.contains('\n') {
                "\"\"\""
            } else {
                "\""
            };
            out.push_str(quotes);
            escape_into(out, s);
            out.push_str(quotes);
        }
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) | Value::Datetime(f) => out.push_str(f),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_value(out, v, opts);
            }
            out.push(']');
        }
        Value::Table(t) => {
            out.push('{');
            for (i, (k, v)) in sorted(t, opts).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_key(out, k);
                out.push_str(" = ");
                print_value(out, v, opts);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> PrintOptions<'static> {
        PrintOptions {
            order: &byte_order,
            triple_quote_multiline: false,
        }
    }

    #[test]
    fn layout_matches_julia() {
        let entry: Table = [
            ("uuid".to_string(), Value::from("u")),
            (
                "deps".to_string(),
                Value::Array(vec!["B".into(), "A".into()]),
            ),
            (
                "weakdeps".to_string(),
                Value::Table([("X".to_string(), Value::from("x"))].into_iter().collect()),
            ),
        ]
        .into_iter()
        .collect();
        let deps: Table = [("Pkg".to_string(), Value::Array(vec![Value::Table(entry)]))]
            .into_iter()
            .collect();
        let top: Table = [
            ("manifest_format".to_string(), Value::from("2.0")),
            ("deps".to_string(), Value::Table(deps)),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            print(&top, opts()),
            "manifest_format = \"2.0\"\n\n[[deps.Pkg]]\ndeps = [\"B\", \"A\"]\nuuid = \"u\"\n\n    [deps.Pkg.weakdeps]\n    X = \"x\"\n"
        );
    }

    #[test]
    fn keys_and_strings_are_escaped() {
        let mut out = String::new();
        print_key(&mut out, "a b\"");
        assert_eq!(out, "\"a b\\\"\"");
        let t: Table = [("k".to_string(), Value::from("a\u{1}\n\\é"))]
            .into_iter()
            .collect();
        assert_eq!(print(&t, opts()), "k = \"a\\u0001\\n\\\\é\"\n");
    }

    #[test]
    fn empty_table_gets_a_header() {
        let t: Table = [("deps".to_string(), Value::Table(Table::new()))]
            .into_iter()
            .collect();
        assert_eq!(print(&t, opts()), "[deps]\n");
    }
}
