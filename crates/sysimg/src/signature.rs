//! The one kind of line a compile trace may contribute to an image: `precompile(Tuple{...})`,
//! a method signature as julia's `--trace-compile` prints it, parsed as such.
//!
//! A trace is input, not code: anyone who can write to the store's `learn/` directory (or
//! make julia trace something odd) chooses its lines, and a build *evaluates* the learned
//! statements inside PackageCompiler. So a line passes only when it is exactly one call of
//! `precompile` whose one argument is a type expression in the small language julia's printer
//! writes (`jl_static_show` in src/rtutils.c, called by the trace in src/gf.c, Julia 1.5 to
//! 1.13):
//!
//! ```text
//! statement := [ "#=" timing "=#" ] "precompile(" signature ")" [ "#" comment ]
//! signature := "Tuple{" [ param { "," param } ] "}" { where }
//! type      := primary { "{" [ param { "," param } ] "}" } { where }
//! primary   := name { "." member }                       Base.Dict, Core.Compiler.eltype
//!            | "typeof(" name { "." member } ")"          typeof(Base.:(+))
//!            | "(" [ param { "," param } [ "," ] ] ")"    tuples of parameters: (:a, 1)
//! member    := name | ":(" operator ")" | ":" operator
//! name      := identifier | var"..."                     no quote, backslash or `$` inside
//! param     := type | ("<:" | ">:") type | literal
//! literal   := integer | float | char | ":" identifier | ":(" operator ")"
//!            | Symbol("...")                              MIME{Symbol("text/plain")}
//! where     := "where" ( bound | "{" bound { "," bound } "}" )
//! bound     := [ type "<:" ] identifier [ ("<:" | ">:") type ]
//! ```
//!
//! Nothing in this language calls a function other than `typeof` of a name and `Symbol` of a
//! string literal: no other call, no string but `Symbol`'s (so no string macro and no `$`
//! interpolation), no `;`, no second statement, no macro. What it cannot express (a call
//! inside a type parameter, `precompile(Base.run(...))`, `precompile(Tuple{...}); run(...)`)
//! is rejected, and so is anything this parser does not know: a rejected line is only not
//! learned.
//!
//! Hand-written rather than a crate: the grammar is twenty lines, a general Julia parser
//! (tree-sitter-julia) would accept far more than it must, and the point is to accept exactly
//! this (the test suite checks with tree-sitter-julia that what passes is one call of
//! `precompile` with one type argument).

use std::collections::BTreeSet;

/// The longest line considered (julia's longest signatures are a few KiB).
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024;
/// The deepest nesting of braces and parentheses accepted (bounds the recursion).
const MAX_DEPTH: usize = 64;

/// A trace line that is a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The statement alone, `precompile(Tuple{...})`: the line without its comments and
    /// surrounding blanks, exactly as julia wrote it.
    pub statement: String,
    /// The first component of every qualified name (`JSON` for `JSON.Parser.parse`).
    pub modules: BTreeSet<String>,
    /// Whether it names a closure, keyword sorter or other generated name (`var"#3#4"`,
    /// `Symbol("#kw")`): such names differ from one session to the next.
    pub generated: bool,
}

/// Parses one trace line: `Some` when it is a signature (see the module's grammar), `None`
/// for anything else.
pub fn parse(line: &str) -> Option<Signature> {
    if line.len() > MAX_STATEMENT_BYTES {
        return None;
    }
    let mut p = Parser {
        s: line.as_bytes(),
        text: line,
        i: 0,
        depth: 0,
        modules: BTreeSet::new(),
        generated: false,
    };
    p.blanks();
    if p.eat("#=") {
        // julia's `--trace-compile-timing` prefix: `#=   39.1 ms =# `.
        let end = line[p.i..].find("=#")?;
        if line[p.i..p.i + end].contains('#') || line[p.i..p.i + end].contains('\n') {
            return None;
        }
        p.i += end + 2;
        p.blanks();
    }
    let start = p.i;
    if !p.eat("precompile(") {
        return None;
    }
    p.blanks();
    if !p.eat("Tuple{") {
        return None;
    }
    p.i -= 1;
    p.depth += 1;
    p.params(b'{', b'}')?;
    p.wheres()?;
    p.blanks();
    if !p.eat(")") {
        return None;
    }
    let end = p.i;
    p.blanks();
    // A trailing comment (`# recompile`) is inert; nothing else may follow.
    if p.i < p.s.len() && p.s[p.i] != b'#' {
        return None;
    }
    if line[p.i..].contains(['\n', '\r']) {
        return None;
    }
    Some(Signature {
        statement: line[start..end].to_string(),
        modules: p.modules,
        generated: p.generated,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
    modules: BTreeSet<String>,
    generated: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// `open` already current: `open [param {, param} [,]] close`, the trailing comma only in
    /// a tuple.
    fn params(&mut self, open: u8, close: u8) -> Option<()> {
        if self.peek() != Some(open) {
            return None;
        }
        self.i += 1;
        self.blanks();
        if self.peek() == Some(close) {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            self.param()?;
            self.blanks();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.blanks();
                    if close == b')' && self.peek() == Some(b')') {
                        self.i += 1;
                        break;
                    }
                }
                c if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn param(&mut self) -> Option<()> {
        self.blanks();
        if self.eat("<:") || self.eat(">:") {
            self.blanks();
            return self.type_expr();
        }
        match self.peek()? {
            b'0'..=b'9' | b'-' => self.number(),
            b'\'' => self.char_literal(),
            b':' => {
                self.i += 1;
                if self.peek() == Some(b'(') {
                    self.operator_in_parens()
                } else {
                    self.identifier().map(|_| ())
                }
            }
            _ => self.type_expr(),
        }
    }

    fn type_expr(&mut self) -> Option<()> {
        self.primary()?;
        while self.peek() == Some(b'{') {
            self.enter()?;
            self.params(b'{', b'}')?;
        }
        self.wheres()
    }

    fn primary(&mut self) -> Option<()> {
        if self.peek() == Some(b'(') {
            self.enter()?;
            return self.params(b'(', b')');
        }
        if self.eat("typeof(") {
            self.blanks();
            self.qualified_name()?;
            self.blanks();
            return self.eat(")").then_some(());
        }
        if self.eat("Symbol(\"") {
            let start = self.i;
            self.string_body()?;
            if self.text[start..].starts_with('#') {
                self.generated = true;
            }
            return self.eat(")").then_some(());
        }
        self.qualified_name()
    }

    /// `name {. member}`; records the first component of a qualified one.
    fn qualified_name(&mut self) -> Option<()> {
        let first = self.name()?;
        let mut qualified = false;
        while self.peek() == Some(b'.') {
            self.i += 1;
            qualified = true;
            if self.peek() == Some(b':') {
                self.i += 1;
                if self.peek() == Some(b'(') {
                    self.operator_in_parens()?;
                } else {
                    self.operator()?;
                }
            } else {
                self.name()?;
            }
        }
        if qualified {
            self.modules.insert(first);
        }
        Some(())
    }

    /// An identifier or `var"..."`.
    fn name(&mut self) -> Option<String> {
        if self.eat("var\"") {
            let start = self.i;
            self.string_body()?;
            let name = &self.text[start..self.i - 1];
            if name.starts_with('#') {
                self.generated = true;
            }
            return Some(name.to_string());
        }
        self.identifier()
    }

    /// After the opening quote: up to the closing one, which it consumes. No escapes, no `$`,
    /// no control characters.
    fn string_body(&mut self) -> Option<()> {
        let start = self.i;
        let len = self.text[start..].find('"')?;
        let body = &self.text[start..start + len];
        if body.contains(['\\', '$']) || body.chars().any(char::is_control) {
            return None;
        }
        self.i = start + len + 1;
        Some(())
    }

    /// A Julia identifier: a letter, `_` or non-ASCII letter, then those, digits, `!` or `′`.
    fn identifier(&mut self) -> Option<String> {
        let rest = &self.text[self.i..];
        let mut end = 0;
        for (k, c) in rest.char_indices() {
            let ok = if k == 0 {
                c == '_' || c.is_alphabetic()
            } else {
                c == '_' || c == '!' || c == '′' || c.is_alphanumeric()
            };
            if !ok {
                break;
            }
            end = k + c.len_utf8();
        }
        if end == 0 {
            return None;
        }
        let name = &rest[..end];
        self.i += end;
        // Keywords are not names (`where` is handled by the caller).
        if matches!(
            name,
            "begin"
                | "end"
                | "function"
                | "macro"
                | "quote"
                | "let"
                | "do"
                | "for"
                | "while"
                | "if"
                | "try"
                | "module"
                | "baremodule"
                | "import"
                | "using"
                | "export"
                | "return"
                | "global"
                | "local"
                | "const"
                | "struct"
                | "where"
        ) {
            return None;
        }
        Some(name.to_string())
    }

    /// `(op)` after `:` — an operator's name, as in `Base.:(+)`.
    fn operator_in_parens(&mut self) -> Option<()> {
        if !self.eat("(") {
            return None;
        }
        self.operator()?;
        self.eat(")").then_some(())
    }

    /// A run of operator characters: punctuation and symbols, nothing that opens or closes,
    /// quotes, separates, comments or interpolates.
    fn operator(&mut self) -> Option<()> {
        let rest = &self.text[self.i..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                c.is_alphanumeric()
                    || c.is_whitespace()
                    || c.is_control()
                    || "()[]{},;\"'`$#@\\.".contains(c)
            })
            .map_or(rest.len(), |(k, _)| k);
        if end == 0 {
            return None;
        }
        self.i += end;
        Some(())
    }

    /// An integer or float literal (`-1`, `0x01`, `1.5`, `1.0f0`, `2.5e-3`).
    fn number(&mut self) -> Option<()> {
        self.eat("-");
        if self.eat("0x") {
            return self.digits(|c| c.is_ascii_hexdigit());
        }
        self.digits(|c| c.is_ascii_digit())?;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits(|c| c.is_ascii_digit())?;
        }
        if matches!(self.peek(), Some(b'e' | b'E' | b'f')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits(|c| c.is_ascii_digit())?;
        }
        // A number runs into nothing (`1x` is multiplication in Julia).
        match self.peek() {
            Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'(' => None,
            _ => Some(()),
        }
    }

    fn digits(&mut self, digit: impl Fn(u8) -> bool) -> Option<()> {
        let start = self.i;
        while self.peek().is_some_and(&digit) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// `'c'` or an escape (`'\n'`, `'\x01'`, `'\u2200'`).
    fn char_literal(&mut self) -> Option<()> {
        self.i += 1;
        if self.eat("\\") {
            let rest = &self.text[self.i..];
            let len = rest.find('\'')?;
            let body = &rest[..len];
            if len == 0 && rest[1..].starts_with('\'') {
                self.i += 2; // '\''
                return Some(());
            }
            if len == 0
                || len > 10
                || !body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '\\' || c == '{' || c == '}')
            {
                return None;
            }
            self.i += len + 1;
            return Some(());
        }
        let c = self.text[self.i..].chars().next()?;
        if c.is_control() || c == '\'' {
            return None;
        }
        self.i += c.len_utf8();
        self.eat("'").then_some(())
    }

    /// `{ where (bound | {bound, ...}) }`.
    fn wheres(&mut self) -> Option<()> {
        loop {
            let save = self.i;
            self.blanks();
            if !self.eat("where") || !matches!(self.peek(), Some(b' ' | b'{')) {
                self.i = save;
                return Some(());
            }
            self.blanks();
            if self.peek() == Some(b'{') {
                self.i += 1;
                self.enter()?;
                loop {
                    self.blanks();
                    self.bound()?;
                    self.blanks();
                    if self.eat("}") {
                        break;
                    }
                    if !self.eat(",") {
                        return None;
                    }
                }
                self.depth -= 1;
            } else {
                self.bound()?;
            }
        }
    }

    /// `T`, `T<:Real`, `T>:Int64`, `Int64<:T<:Real`.
    fn bound(&mut self) -> Option<()> {
        self.enter()?;
        // The bounds are types without their own `where` (julia parenthesizes those).
        let start = self.i;
        self.bounded_type()?;
        let simple = self.text[start..self.i]
            .chars()
            .all(|c| c == '_' || c == '!' || c.is_alphanumeric());
        if self.eat("<:") {
            let mid = self.i;
            self.bounded_type()?;
            if self.eat("<:") {
                // `lower<:T<:upper`: the middle is the variable.
                let var = &self.text[mid..self.i - 2];
                if !var
                    .chars()
                    .all(|c| c == '_' || c == '!' || c.is_alphanumeric())
                {
                    return None;
                }
                self.bounded_type()?;
            } else if !simple {
                return None;
            }
        } else if self.eat(">:") {
            if !simple {
                return None;
            }
            self.bounded_type()?;
        } else if !simple {
            return None;
        }
        self.depth -= 1;
        Some(())
    }

    fn bounded_type(&mut self) -> Option<()> {
        self.primary()?;
        while self.peek() == Some(b'{') {
            self.enter()?;
            self.params(b'{', b'}')?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julia_15_trace_lines_parse() {
        // Lines of a real Julia 1.5.3 `--trace-compile` of a stdlib workload.
        for line in [
            "precompile(Tuple{Type{Base.Multimedia.TextDisplay}, Base.PipeEndpoint})",
            "precompile(Tuple{Type{Base.Val{x} where x}, Bool})",
            "precompile(Tuple{Printf.var\"#@printf\", LineNumberNode, Module, Vararg{Any, N} where N})",
            "precompile(Tuple{Type{Base.Dict{K, V} where V where K}, Base.Pair{Symbol, Int64}, Vararg{Base.Pair{A, B} where B where A, N} where N})",
            "precompile(Tuple{typeof(Base.println), Base.Val{(:a, 1)}})",
            "precompile(Tuple{Type{NamedTuple{(:a, :b), T} where T<:Tuple}, Tuple{Int64, Int64}})",
            "precompile(Tuple{Type{Base.Broadcast.Broadcasted{Base.Broadcast.DefaultArrayStyle{1}, Axes, F, Args} where Args<:Tuple where F where Axes}, typeof(Base.:(*)), Tuple{Array{Int64, 1}, Int64}})",
            "precompile(Tuple{typeof(Base._mapreduce_dim), Function, Function, NamedTuple{(), Tuple{}}, Array{Float64, 2}, Base.Colon})",
            "precompile(Tuple{typeof(Base._mapreduce), Main.var\"#1#2\", typeof(Base.add_sum), Base.IndexLinear, Array{Float64, 2}})",
            "precompile(Tuple{typeof(Base.show), Base.PipeEndpoint, Base.Multimedia.MIME{Symbol(\"text/plain\")}, Array{Float64, 2}})",
            "precompile(Tuple{Base.var\"##sprint#355\", Nothing, Int64, typeof(Base.sprint), Function, Tuple{String, String}, Vararg{Any, N} where N})",
            "precompile(Tuple{typeof(Base.setindex!), Base.Dict{Symbol, Int64}, Int64, Symbol})",
            "precompile(Tuple{typeof(Base.:(==)), Int64, Int64})",
            "precompile(Tuple{typeof(Base.fill), Char, Base.Val{'x'}, Base.Val{'\\n'}, Base.Val{-1}, Base.Val{1.5f0}, Base.Val{0x01}})",
            "precompile(Tuple{typeof(Base.f), Type{T} where {T<:Real, N}, Type{<:Integer}, Type{S} where Int64<:S<:Real})",
            "precompile(Tuple{typeof(Base.f), Val{()}, Val{(1,)}, Val{:(+)}})",
            "precompile(Tuple{typeof(Base.f), Union{}, Union{Int64, Nothing}})",
            // 1.12's timing prefix and recompile suffix.
            "#=   39.1 ms =# precompile(Tuple{typeof(Base.rand), Int64, Int64})",
            "precompile(Tuple{typeof(Base.rand), Int64, Int64}) # recompile",
        ] {
            assert!(parse(line).is_some(), "{line}");
        }
        let s = parse("#= 1 ms =# precompile(Tuple{typeof(JSON.Parser.parse), Base.Dict{String, Main.X}}) # recompile").unwrap();
        assert_eq!(
            s.statement,
            "precompile(Tuple{typeof(JSON.Parser.parse), Base.Dict{String, Main.X}})"
        );
        assert_eq!(
            s.modules.into_iter().collect::<Vec<_>>(),
            ["Base", "JSON", "Main"]
        );
        assert!(!s.generated);
        assert!(
            parse("precompile(Tuple{Base.var\"#f#3\", Int64})")
                .unwrap()
                .generated
        );
        assert!(
            parse("precompile(Tuple{Base.MIME{Symbol(\"#x\")}})")
                .unwrap()
                .generated
        );
    }

    #[test]
    fn anything_that_could_run_code_is_rejected() {
        for line in [
            "precompile(Base.run(Base.Cmd([\"touch\", \"/tmp/x\"])))",
            "precompile(run(`touch /tmp/x`))",
            "precompile(Tuple{Int64}); Base.run(`touch /tmp/x`)",
            "precompile(Tuple{Int64});Base.run(`touch /tmp/x`)",
            "precompile(Tuple{Int64}) ; x",
            "precompile(Tuple{Int64}), run(`x`)",
            "precompile(Tuple{Base.Val{Base.run(`touch /tmp/x`)}})",
            "precompile(Tuple{Base.Val{run(`x`)}})",
            "precompile(Tuple{Base.Val{Base.Order.ForwardOrdering()}})",
            "precompile(Tuple{typeof(Base.run(`x`))})",
            "precompile(Tuple{typeof(sin(1))})",
            "precompile(Tuple{Base.Val{r\"x\"}})",
            "precompile(Tuple{Base.Val{cmd\"touch /tmp/x\"}})",
            "precompile(Tuple{Base.Val{\"$(run(`x`))\"}})",
            "precompile(Tuple{Base.Val{Symbol(\"$(run(`x`))\")}})",
            "precompile(Tuple{Base.Val{Symbol(\"a\\\" * run(`x`) * \\\"\")}})",
            "precompile(Tuple{Base.MIME{Symbol(x)}})",
            "precompile(Tuple{var\"$(run(`x`))\"})",
            "precompile(Tuple{Base.Val{:($(run(`x`)))}})",
            "precompile(Tuple{Base.Val{:(run(`x`))}})",
            "precompile(Tuple{Base.:(run(`x`))})",
            "precompile(Tuple{Base.Val{@eval run(`x`)}})",
            "precompile(Tuple{Base.Val{begin run(`x`) end}})",
            "precompile(Tuple{Base.Val{let x = run(`x`); x end}})",
            "precompile(Tuple{Base.Val{x -> run(`x`)}})",
            "precompile(Tuple{Base.Val{[run(`x`)]}})",
            "precompile(Tuple{Base.Val{1 + 2}})",
            "precompile(Tuple{Base.Val{Int64 <: run(`x`)}})",
            "precompile(Tuple{Base.Val{T} where T<:run(`x`)})",
            "precompile(Tuple{Int64}) where T",
            "precompile(Tuple{Int64}, Tuple{Int64})",
            "precompile(Tuple{Int64}) precompile(Tuple{Int64})",
            "precompile(Tuple{Int64})\rBase.run(`x`)",
            "precompile(Tuple{Int64} # comment\n)",
            "precompile(Tuple{Int64}\n)",
            "#= =# run(`x`) #= =# precompile(Tuple{Int64})",
            "#= x =# =# precompile(Tuple{Int64})",
            "precompile(Tuple{Int64}",
            "precompile(Tuple{Int64}}",
            "precompile(Tuple{Base.Val{1x}})",
            "precompile(Tuple{Base.Val{1(run(`x`))}})",
            "precompile(Tuple{Base.Val{'\\x'(run)}})",
            "precompile((Tuple{Int64}))",
            "precompile(Base.Tuple{Int64})",
            "precompile(Tuple{Int64}...)",
            "precompile(Tuple{Int64}; kw = run(`x`))",
            "Base.run(`touch /tmp/x`)",
            "",
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
        // Bounded: deep nesting and long lines are rejected, not overflowed.
        let deep = format!(
            "precompile(Tuple{{{}Int64{}}})",
            "Base.Val{".repeat(10_000),
            "}".repeat(10_000)
        );
        assert!(parse(&deep).is_none());
        let long = format!("precompile(Tuple{{{}}})", "Int64, ".repeat(20_000));
        assert!(parse(&long).is_none());
    }
}
