//! The unified diff of an edit to a Project.toml or Manifest.toml (`strip`/`pin --dry-run`),
//! in time about linear in the files' size.
//!
//! Line-level Myers (what `similar` does, also inside its patience gaps) costs the product of
//! the lines and the lines changed: removing 50,000 entries from a 100,000-package Manifest
//! takes minutes, because the lines Pkg repeats (`version = "1.0.0"`, blank lines) match
//! everywhere. A Pkg file is a sequence of tables, and our edits remove tables or change a few
//! lines of one; so the diff is taken in two levels. First over *tables* (a header line and
//! the lines up to the next): tables whose text occurs once in each file are matched as
//! patience diff does (the longest run increasing in both files). `similar`'s own patience
//! cannot be used for this level: it runs Myers in its gaps, which is the quadratic step.
//! Then within each gap between matched tables: with `similar`'s Myers over the gap's lines
//! when the gap is small, else by pairing tables with the same header line in order (a changed table) and deleting
//! or inserting the rest. The result is always a correct diff; it is a minimal one whenever
//! the gaps are small.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

use similar::{Algorithm, DiffOp};

/// Gaps of at most this many lines (old and new together) are diffed line by line with Myers,
/// whose cost is at most the square of that.
const MYERS_LIMIT: usize = 2_000;

/// Lines of context around each change, as `diff -u` prints.
const CONTEXT: usize = 3;

/// The unified diff turning `before` into `after`, with `name` in both file headers; empty
/// when they are equal.
pub fn unified_diff(name: &str, before: &str, after: &str) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = diff_ops(&old, &new);
    let mut out = String::new();
    let groups = similar::group_diff_ops(ops, CONTEXT);
    if groups.is_empty() {
        return out;
    }
    let _ = write!(out, "--- {name}\n+++ {name}\n");
    for group in groups {
        let _ = writeln!(out, "{}", similar::udiff::UnifiedHunkHeader::new(&group));
        for op in group {
            let (old_lines, new_lines, equal) = match op {
                DiffOp::Equal { .. } => (op.old_range(), 0..0, true),
                _ => (op.old_range(), op.new_range(), false),
            };
            let mut line = |tag: char, text: &str| {
                out.push(tag);
                out.push_str(text);
                if !text.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            };
            for i in old_lines {
                line(if equal { ' ' } else { '-' }, old[i]);
            }
            for i in new_lines {
                line('+', new[i]);
            }
        }
    }
    out
}

/// The line ranges of the tables of a file: a table starts at a line beginning with `[`
/// (Pkg writes headers unindented); the lines before the first header form a table too.
fn tables(lines: &[&str]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with('[') && i > start {
            out.push(start..i);
            start = i;
        }
    }
    if start < lines.len() {
        out.push(start..lines.len());
    }
    out
}

fn diff_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let old_tables = tables(old);
    let new_tables = tables(new);
    let text = |lines: &[&str], r: &Range<usize>| -> String { lines[r.clone()].concat() };
    let old_text: Vec<String> = old_tables.iter().map(|r| text(old, r)).collect();
    let new_text: Vec<String> = new_tables.iter().map(|r| text(new, r)).collect();
    let matched = anchors(&old_text, &new_text);
    let mut ops = Vec::new();
    let (mut ot, mut nt) = (0, 0);
    let line_start =
        |tables: &[Range<usize>], t: usize, total: usize| tables.get(t).map_or(total, |r| r.start);
    for (mo, mn) in matched
        .into_iter()
        .chain([(old_tables.len(), new_tables.len())])
    {
        let old_gap =
            line_start(&old_tables, ot, old.len())..line_start(&old_tables, mo, old.len());
        let new_gap =
            line_start(&new_tables, nt, new.len())..line_start(&new_tables, mn, new.len());
        diff_gap(
            old,
            new,
            &old_tables[ot..mo],
            &new_tables[nt..mn],
            old_gap,
            new_gap,
            &mut ops,
        );
        if mo < old_tables.len() {
            let (o, n) = (&old_tables[mo], &new_tables[mn]);
            push(
                &mut ops,
                DiffOp::Equal {
                    old_index: o.start,
                    new_index: n.start,
                    len: o.len(),
                },
            );
        }
        (ot, nt) = (mo + 1, mn + 1);
    }
    ops
}

/// The units (tables or lines) matched as equal, in order of both files: those whose text
/// occurs exactly once in each file, along the longest run increasing in both (patience diff's anchors; the run is
/// found by patience sorting, O(n log n)).
fn anchors<T: AsRef<str>>(old: &[T], new: &[T]) -> Vec<(usize, usize)> {
    let mut count: HashMap<&str, (usize, usize, usize)> = HashMap::new();
    for (i, t) in old.iter().enumerate() {
        let c = count.entry(t.as_ref()).or_insert((0, 0, i));
        c.0 += 1;
    }
    let mut pairs = Vec::new();
    for (j, t) in new.iter().enumerate() {
        if let Some(c) = count.get_mut(t.as_ref()) {
            c.1 += 1;
            if c.0 == 1 {
                pairs.push((c.2, j));
            }
        }
    }
    pairs.retain(|(i, _)| count[old[*i].as_ref()].1 == 1);
    // `pairs` is in new order; the longest run increasing in old order: `tops[k]` is the
    // index (into `pairs`) of the smallest old position ending a run of length k + 1.
    let mut tops: Vec<usize> = Vec::new();
    let mut back: Vec<Option<usize>> = vec![None; pairs.len()];
    for (p, &(i, _)) in pairs.iter().enumerate() {
        let k = tops.partition_point(|&t| pairs[t].0 < i);
        back[p] = k.checked_sub(1).map(|k| tops[k]);
        if k == tops.len() {
            tops.push(p);
        } else {
            tops[k] = p;
        }
    }
    let mut run = Vec::with_capacity(tops.len());
    let mut cur = tops.last().copied();
    while let Some(p) = cur {
        run.push(pairs[p]);
        cur = back[p];
    }
    run.reverse();
    run
}

/// Diffs the lines between two matched tables.
fn diff_gap(
    old: &[&str],
    new: &[&str],
    old_tables: &[Range<usize>],
    new_tables: &[Range<usize>],
    old_gap: Range<usize>,
    new_gap: Range<usize>,
    ops: &mut Vec<DiffOp>,
) {
    if old_gap.is_empty() && new_gap.is_empty() {
        return;
    }
    if old_gap.len() + new_gap.len() <= MYERS_LIMIT {
        lines_diff(old, new, old_gap, new_gap, ops);
        return;
    }
    // A large gap: pair tables by header line, in order; the rest leave or arrive whole.
    let mut by_header: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, r) in old_tables.iter().enumerate().rev() {
        by_header.entry(old[r.start]).or_default().push(k);
    }
    let mut next_old = 0;
    for n in new_tables {
        let partner = by_header.get_mut(new[n.start]).and_then(|ks| {
            while ks.last().is_some_and(|&k| k < next_old) {
                ks.pop();
            }
            ks.pop()
        });
        match partner {
            Some(k) => {
                for o in &old_tables[next_old..k] {
                    delete(ops, o.clone(), n.start);
                }
                lines_diff(old, new, old_tables[k].clone(), n.clone(), ops);
                next_old = k + 1;
            }
            None => {
                let at = old_tables.get(next_old).map_or(old_gap.end, |o| o.start);
                push(
                    ops,
                    DiffOp::Insert {
                        old_index: at,
                        new_index: n.start,
                        new_len: n.len(),
                    },
                );
            }
        }
    }
    for o in &old_tables[next_old..] {
        delete(ops, o.clone(), new_gap.end);
    }
}

/// Diffs two line ranges: with Myers when they are small; else anchored on the lines that
/// occur once in each (a large `[deps]` table of a Project.toml), with Myers between anchors
/// that are close and whole deletion and insertion between anchors that are not.
fn lines_diff(old: &[&str], new: &[&str], o: Range<usize>, n: Range<usize>, ops: &mut Vec<DiffOp>) {
    if o.len() + n.len() <= MYERS_LIMIT {
        for op in similar::capture_diff(Algorithm::Myers, old, o, new, n) {
            push(ops, op);
        }
        return;
    }
    let matched = anchors(&old[o.clone()], &new[n.clone()]);
    let (mut oi, mut ni) = (o.start, n.start);
    for (mo, mn) in matched
        .into_iter()
        .map(|(a, b)| (a + o.start, b + n.start))
        .chain([(o.end, n.end)])
    {
        if (mo - oi) + (mn - ni) <= MYERS_LIMIT {
            for op in similar::capture_diff(Algorithm::Myers, old, oi..mo, new, ni..mn) {
                push(ops, op);
            }
        } else {
            delete(ops, oi..mo, ni);
            if mn > ni {
                push(
                    ops,
                    DiffOp::Insert {
                        old_index: mo,
                        new_index: ni,
                        new_len: mn - ni,
                    },
                );
            }
        }
        if mo < o.end {
            push(
                ops,
                DiffOp::Equal {
                    old_index: mo,
                    new_index: mn,
                    len: 1,
                },
            );
        }
        (oi, ni) = (mo + 1, mn + 1);
    }
}

fn delete(ops: &mut Vec<DiffOp>, o: Range<usize>, new_index: usize) {
    if o.is_empty() {
        return;
    }
    push(
        ops,
        DiffOp::Delete {
            old_index: o.start,
            old_len: o.len(),
            new_index,
        },
    );
}

/// Appends an op, merging it into the previous one when both are equal runs or deletions
/// that continue each other (so that hunks are grouped as for one diff).
fn push(ops: &mut Vec<DiffOp>, op: DiffOp) {
    match (ops.last_mut(), op) {
        (
            Some(DiffOp::Equal {
                old_index,
                new_index,
                len,
            }),
            DiffOp::Equal {
                old_index: o,
                new_index: n,
                len: l,
            },
        ) if *old_index + *len == o && *new_index + *len == n => *len += l,
        (
            Some(DiffOp::Delete {
                old_index, old_len, ..
            }),
            DiffOp::Delete {
                old_index: o,
                old_len: l,
                ..
            },
        ) if *old_index + *old_len == o => *old_len += l,
        _ => ops.push(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diff applied to `before` gives `after`.
    fn apply(before: &str, diff: &str) -> String {
        let old: Vec<&str> = before.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut at = 0;
        for l in diff.lines().skip(2) {
            if let Some(h) = l.strip_prefix("@@ -") {
                let start: usize = h.split([',', ' ']).next().unwrap().parse().unwrap();
                let start = if h.split(' ').next().unwrap().ends_with(",0") {
                    start
                } else {
                    start - 1
                };
                for x in &old[at..start] {
                    out.push_str(x);
                }
                at = start;
            } else if let Some(x) = l.strip_prefix(' ') {
                out.push_str(x);
                out.push('\n');
                at += 1;
            } else if l.starts_with('-') {
                at += 1;
            } else if let Some(x) = l.strip_prefix('+') {
                out.push_str(x);
                out.push('\n');
            }
        }
        for x in &old[at..] {
            out.push_str(x);
        }
        out
    }

    fn manifest(names: impl Iterator<Item = usize>, hash: &str) -> String {
        let mut s = format!("julia_version = \"1.11.2\"\nproject_hash = \"{hash}\"\n");
        for i in names {
            let _ = write!(s, "\n[[deps.P{i}]]\nuuid = \"{i}\"\nversion = \"1.0.0\"\n");
        }
        s
    }

    #[test]
    fn removed_tables_show_whole() {
        let before = manifest(0..6, "a");
        let after = manifest([0, 2, 3, 5].into_iter(), "b");
        let d = unified_diff("M", &before, &after);
        assert_eq!(apply(&before, &d), after);
        assert!(d.starts_with("--- M\n+++ M\n@@ -1,14 +1,10 @@\n"), "{d}");
        assert!(
            d.contains("\n \n-[[deps.P1]]\n-uuid = \"1\"\n-version = \"1.0.0\"\n-\n [[deps.P2]]\n")
        );
        assert!(d.contains("-[[deps.P4]]\n"));
    }

    #[test]
    fn large_removals_are_correct_diffs() {
        // Big enough for the table-pairing path: 20,000 tables, the second half removed, the
        // first table changed.
        let before = manifest(0..20_000, "a");
        let after = manifest(0..10_000, "b");
        let d = unified_diff("M", &before, &after);
        assert_eq!(apply(&before, &d), after);
        assert!(d.contains("-project_hash = \"a\"\n+project_hash = \"b\"\n"));
        assert!(d.contains("-[[deps.P19999]]\n"));
        assert!(!d.contains("-[[deps.P9999]]\n"));
        // Everything removed but the header table, which changed.
        let after = "julia_version = \"1.11.2\"\nproject_hash = \"b\"\n";
        let d = unified_diff("M", &before, after);
        assert_eq!(apply(&before, &d), after);
    }

    #[test]
    fn a_large_table_losing_half_its_lines_is_a_correct_diff() {
        let line = |i: usize| format!("P{i} = \"{i}\"\n");
        let before: String = "[deps]\n".to_string() + &(0..20_000).map(line).collect::<String>();
        let after: String =
            "[deps]\n".to_string() + &(0..20_000).step_by(2).map(line).collect::<String>();
        let d = unified_diff("Project.toml", &before, &after);
        assert_eq!(apply(&before, &d), after);
        assert!(d.contains("-P1 = \"1\"\n"));
        assert!(!d.contains("-P2 = \"2\"\n"));
    }

    #[test]
    fn equal_files_give_no_diff_and_a_missing_newline_is_marked() {
        assert_eq!(unified_diff("M", "a\n", "a\n"), "");
        let d = unified_diff("M", "a\nb", "a\nc");
        assert_eq!(
            d,
            similar::TextDiff::from_lines("a\nb", "a\nc")
                .unified_diff()
                .header("M", "M")
                .to_string()
        );
    }
}
