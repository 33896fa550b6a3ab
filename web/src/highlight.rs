//! Syntax colours for the editor: a scenario line split into tokens by
//! role (statement word, actor, operation, name, number, signal...).
//!
//! The words come from sim-core's own tables (`scenario::keyword`, the
//! signal and errno names, the end suffixes), never from a second list, so
//! a word the parser learns is coloured without a change here. Lines are
//! split the way sim-core's lexer splits them (words, `"..."` strings, a
//! `#` that begins a word starts a comment), so what is coloured as a
//! comment is what the parser skips. Highlighting works one line at a
//! time: the editor colours only the lines on screen.

use sim_core::errno::Errno;
use sim_core::ipc::end_name::Which;
use sim_core::node::literal::VALUE_WORDS;
use sim_core::scenario::keyword::NodeWord;
use sim_core::scenario::keyword::{
    self, CheckWord, Keyword, OpKind, PageWord, Role, StatementWord, StatusWord, BYTE_UNITS,
};
use sim_core::scenario::node_syntax::PROCESS_OBJECT;
use sim_core::scenario::worker_syntax::PARENT_PORT_OBJECT;
use sim_core::scenario::INIT_NAME;
use sim_core::sig::Signal;
use std::str::FromStr;
use std::sync::OnceLock;

/// Past this many bytes a line is shown uncoloured: one 1 MiB line must
/// not become thousands of spans.
pub const MAX_COLOURED_BYTES: usize = 4096;

/// What a piece of a line is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `title`, `say`, `process`, `expect`.
    Statement,
    /// The process before the `:` of an operation.
    Actor,
    /// The operation's keyword (`fork`, `mmap`...).
    Operation,
    /// A process, region, pipe or socketpair name.
    Name,
    /// Any other word of the language (`shared`, `faults`, `handle`...).
    Keyword,
    Signal,
    Errno,
    /// A number, with its unit if it has one.
    Number,
    /// The suffix of an end: the `r` of `p.r`, the `0` of `s.0`.
    End,
    /// `:`, `.`, `..`, `[`, `]`.
    Punct,
    /// The free text of `title` and `say`.
    Text,
    /// A quoted string (closed or not).
    String,
    Comment,
    /// A word that is none of the above (the parser will say why).
    Other,
}

impl Class {
    /// The CSS class the editor gives the span (web/css/editor.css).
    pub fn css(self) -> &'static str {
        match self {
            Class::Statement => "t-stmt",
            Class::Actor => "t-actor",
            Class::Operation => "t-op",
            Class::Name => "t-name",
            Class::Keyword => "t-kw",
            Class::Signal => "t-sig",
            Class::Errno => "t-errno",
            Class::Number => "t-num",
            Class::End => "t-end",
            Class::Punct => "t-punct",
            Class::Text => "t-text",
            Class::String => "t-str",
            Class::Comment => "t-comment",
            Class::Other => "t-other",
        }
    }
}

/// A coloured piece of a line: bytes `start..end` of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub class: Class,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RawKind {
    Word,
    Quoted,
    Comment,
}

#[derive(Clone, Copy, Debug)]
struct Raw {
    start: usize,
    end: usize,
    kind: RawKind,
}

/// Split a line as sim-core's lexer does (scenario/lex.rs `Line::lex`):
/// whitespace separates words; a word that starts with `"` is a string up
/// to its unescaped closing quote (or the end of the line); a `#` that
/// begins a word after whitespace (or at the start) starts a comment.
fn split(text: &str) -> Vec<Raw> {
    let mut raws = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut after_space = true;
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            after_space = true;
            continue;
        }
        if c == '#' && after_space {
            raws.push(Raw {
                start,
                end: text.len(),
                kind: RawKind::Comment,
            });
            break;
        }
        after_space = false;
        chars.next();
        let mut end = text.len();
        if c == '"' {
            let mut escaped = false;
            for (i, c) in chars.by_ref() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            raws.push(Raw {
                start,
                end,
                kind: RawKind::Quoted,
            });
        } else {
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() {
                    end = i;
                    break;
                }
                chars.next();
            }
            raws.push(Raw {
                start,
                end,
                kind: RawKind::Word,
            });
        }
    }
    raws
}

/// The tokens of one line, in order, not overlapping. Whitespace between
/// them is left out (it is drawn uncoloured). Only the first
/// `MAX_COLOURED_BYTES` of a line are coloured.
pub fn line(text: &str) -> Vec<Token> {
    let cut = floor_char_boundary(text, MAX_COLOURED_BYTES);
    let text = &text[..cut];
    let raws = split(text);
    let mut out = Vec::new();
    let (words, comment): (Vec<Raw>, Vec<Raw>) =
        raws.into_iter().partition(|r| r.kind != RawKind::Comment);
    let mut rest = words.as_slice();
    let mut statement = Statement::Other;
    if let Some(first) = rest.first().copied() {
        let word = &text[first.start..first.end];
        match StatementWord::from_keyword(word).filter(|_| first.kind == RawKind::Word) {
            Some(StatementWord::Title | StatementWord::Say) => {
                push(&mut out, first.start, first.end, Class::Statement);
                if let (Some(from), Some(to)) = (rest.get(1), rest.last()) {
                    push(&mut out, from.start, to.end, Class::Text);
                }
                rest = &[];
            }
            Some(StatementWord::Process | StatementWord::Node | StatementWord::Expect) => {
                push(&mut out, first.start, first.end, Class::Statement);
                statement = if word == StatementWord::Expect.keyword() {
                    Statement::Expect
                } else {
                    Statement::Process
                };
                rest = &rest[1..];
            }
            None => {
                let (op, after) = operation(text, rest, &mut out);
                statement = op.map_or(Statement::Other, Statement::Op);
                rest = after;
            }
        }
    }
    let mut prev: Option<&str> = None;
    // `expect P event OBJ NAME ARGS`: the arguments are JavaScript values.
    let event_expect = statement == Statement::Expect
        && rest
            .get(1)
            .is_some_and(|r| &text[r.start..r.end] == CheckWord::Event.keyword());
    // `expect P value ARRAY[I] V`: JavaScript after the word.
    let value_expect = statement == Statement::Expect
        && rest
            .get(1)
            .is_some_and(|r| &text[r.start..r.end] == CheckWord::Value.keyword());
    for (i, raw) in rest.iter().enumerate() {
        let word = &text[raw.start..raw.end];
        if (event_expect && i >= 4) || (value_expect && i >= 2) {
            let end = rest.last().map_or(raw.end, |r| r.end);
            javascript(text, raw.start, end, &mut out);
            break;
        }
        if event_expect && i == 2 && word == PARENT_PORT_OBJECT {
            push(&mut out, raw.start, raw.end, Class::Keyword);
            prev = Some(word);
            continue;
        }
        match raw.kind {
            RawKind::Word => {
                let hint = hint(statement, i, prev);
                argument(text, raw.start, raw.end, hint, &mut out);
            }
            RawKind::Quoted | RawKind::Comment => push(&mut out, raw.start, raw.end, Class::String),
        }
        prev = Some(word);
    }
    for c in comment {
        push(&mut out, c.start, c.end, Class::Comment);
    }
    out
}

/// `ACTOR: OP ...`, with the colon touching either word or neither (the
/// parser's rule, scenario/parse.rs `statement`). Colours the actor, the
/// colon and the operation; returns the words after them.
fn operation<'r>(
    text: &str,
    words: &'r [Raw],
    out: &mut Vec<Token>,
) -> (Option<OpKind>, &'r [Raw]) {
    let first = words[0];
    if first.kind != RawKind::Word {
        return (None, words);
    }
    let word = &text[first.start..first.end];
    // The byte where the operation word begins, if it is in this token.
    let op_at;
    let mut next = 1;
    if let Some(i) = word.find(':') {
        let colon = first.start + i;
        push(out, first.start, colon, Class::Actor);
        push(out, colon, colon + 1, Class::Punct);
        op_at = Some(colon + 1).filter(|&at| at < first.end);
    } else if let Some(second) = words
        .get(1)
        .filter(|w| w.kind == RawKind::Word && text[w.start..w.end].starts_with(':'))
    {
        push(out, first.start, first.end, Class::Actor);
        push(out, second.start, second.start + 1, Class::Punct);
        op_at = Some(second.start + 1).filter(|&at| at < second.end);
        next = 2;
    } else {
        // No colon: not an operation line; the parser says what is missing.
        return (None, words);
    }
    let (op_start, op_end) = match op_at {
        Some(at) => (at, words[next - 1].end),
        None => match words.get(next).filter(|w| w.kind == RawKind::Word) {
            Some(w) => {
                next += 1;
                (w.start, w.end)
            }
            None => return (None, &words[next..]),
        },
    };
    let op = OpKind::from_keyword(&text[op_start..op_end]);
    if op.is_none() && is_node_statement(&text[op_start..]) {
        let end = words.last().map_or(op_end, |w| w.end);
        javascript(text, op_start, end, out);
        return (None, &[]);
    }
    let class = if op.is_some() {
        Class::Operation
    } else {
        Class::Other
    };
    push(out, op_start, op_end, class);
    (op, &words[next..])
}

/// The objects a Node statement begins with besides a child's name, and
/// the methods it calls (the forms of scenario/node_syntax.rs, which
/// reads them from the raw text rather than from a keyword table).
const NODE_OBJECTS: [&str; 5] = [
    "child_process",
    PROCESS_OBJECT,
    PARENT_PORT_OBJECT,
    "Atomics",
    "SharedArrayBuffer",
];
const NODE_METHODS: [&str; 11] = [
    "fork",
    "spawn",
    "exec",
    "execFile",
    "send",
    "exit",
    "kill",
    "disconnect",
    "postMessage",
    "store",
    "load",
];

/// Whether the text after an actor's colon is a Node statement: `const`
/// (sim-core's `NodeWord`), `OBJECT.METHOD(` or `ARRAY[I] = V`.
fn is_node_statement(rest: &str) -> bool {
    let first = rest.split(|c: char| !is_ident_char(c)).next().unwrap_or("");
    let after = &rest[first.len()..];
    NodeWord::from_keyword(first).is_some()
        || after.starts_with('.') && rest.contains('(')
        || after.starts_with('[')
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Colour `text[start..end]` as the JavaScript of a Node statement:
/// `const` a statement word, `child_process` and `process` keywords, the
/// method an operation, the value words (sim-core's `VALUE_WORDS`)
/// keywords, strings in either quote, numbers (a BigInt's `n` too), other
/// identifiers names, the rest punctuation.
fn javascript(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    let src = &text[start..end];
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut after_dot = false;
    while i < bytes.len() {
        let c = bytes[i];
        let from = i;
        let class = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'\'' || c == b'"' || c == b'`' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            Class::String
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            Class::Number
        } else if is_ident_char(c as char) {
            while i < bytes.len() && is_ident_char(bytes[i] as char) {
                i += 1;
            }
            let word = &src[from..i];
            if NodeWord::from_keyword(word).is_some() {
                Class::Statement
            } else if after_dot && NODE_METHODS.contains(&word) {
                Class::Operation
            } else if NODE_OBJECTS.contains(&word) || VALUE_WORDS.contains(&word) {
                Class::Keyword
            } else {
                Class::Name
            }
        } else {
            // One character of punctuation (a multi-byte one whole).
            i += src[i..].chars().next().map_or(1, char::len_utf8);
            Class::Punct
        };
        after_dot = class == Class::Punct && &src[from..i] == ".";
        push(out, start + from, start + i, class);
    }
}

/// Which statement a line is, for reading its arguments by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Statement {
    Process,
    Expect,
    Op(OpKind),
    Other,
}

/// What an argument is expected to be where it stands, when its word
/// alone could be two things (`parent` names a process and a check;
/// `term` a process and a signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hint {
    Name,
    Signal,
    /// `exec`'s program: any word, shown as text.
    Program,
    Any,
}

/// The hint for argument `i` (from 0) of a statement, `prev` the word
/// before it. Positions follow docs/scenario-language.md: the first
/// argument of an operation or `process` is a name (a signal for
/// `signal`, `block`, `unblock`; a program, any word, for `exec`); `kill`'s second is a signal; an expect's
/// subject is a name, and so is the word after `parent` or `shared`; a
/// signal follows `handled` and `signaled`.
fn hint(statement: Statement, i: usize, prev: Option<&str>) -> Hint {
    match statement {
        Statement::Process => Hint::Name,
        Statement::Op(OpKind::Signal | OpKind::Block | OpKind::Unblock) if i == 0 => Hint::Signal,
        Statement::Op(OpKind::Kill) if i == 1 => Hint::Signal,
        Statement::Op(OpKind::Exec) if i == 0 => Hint::Program,
        Statement::Op(_) if i == 0 => Hint::Name,
        Statement::Expect if i == 0 => Hint::Name,
        Statement::Expect => match prev {
            Some(w)
                if (i == 2 && w == CheckWord::Parent.keyword())
                    || (i == 3 && w == PageWord::Shared.keyword()) =>
            {
                Hint::Name
            }
            Some(w)
                if i >= 2
                    && (w == CheckWord::Handled.keyword()
                        || w == StatusWord::Signaled.keyword()) =>
            {
                Hint::Signal
            }
            _ => Hint::Any,
        },
        Statement::Op(_) | Statement::Other => Hint::Any,
    }
}

/// One argument word: a number or a range, a page `REGION[I]`, an end
/// `P.r`, an errno, a signal, a word of the language, or a name.
fn argument(text: &str, start: usize, end: usize, hint: Hint, out: &mut Vec<Token>) {
    let word = &text[start..end];
    match hint {
        Hint::Name if is_name(word) => {
            let class = if word == INIT_NAME {
                Class::Keyword
            } else {
                Class::Name
            };
            return push(out, start, end, class);
        }
        Hint::Signal if !is_number(word) && Signal::from_str(word).is_ok() => {
            return push(out, start, end, Class::Signal);
        }
        Hint::Program => return push(out, start, end, Class::String),
        _ => {}
    }
    if let Some(open) = word.find('[').filter(|_| word.ends_with(']')) {
        let close = start + word.len() - 1;
        push(out, start, start + open, name_class(&word[..open]));
        push(out, start + open, start + open + 1, Class::Punct);
        argument(text, start + open + 1, close, Hint::Any, out);
        push(out, close, close + 1, Class::Punct);
        return;
    }
    if let Some((a, b)) = word.split_once("..") {
        if is_number(a) && is_number(b) {
            push(out, start, start + a.len(), Class::Number);
            push(out, start + a.len(), start + a.len() + 2, Class::Punct);
            push(out, end - b.len(), end, Class::Number);
            return;
        }
    }
    if let Some((object, suffix)) = word.rsplit_once('.') {
        if Which::from_suffix(suffix).is_some() && is_name(object) {
            let dot = start + object.len();
            push(out, start, dot, Class::Name);
            push(out, dot, dot + 1, Class::Punct);
            push(out, dot + 1, end, Class::End);
            return;
        }
    }
    push(out, start, end, word_class(word));
}

/// The class of a word on its own.
fn word_class(word: &str) -> Class {
    if is_number(word) {
        return Class::Number;
    }
    if Errno::from_str(word).is_ok() {
        return Class::Errno;
    }
    if is_signal(word) {
        return Class::Signal;
    }
    static WORDS: OnceLock<Vec<Keyword>> = OnceLock::new();
    let is_keyword = WORDS
        .get_or_init(keyword::all)
        .iter()
        .any(|k| k.word == word && !matches!(k.role, Role::Statement | Role::Operation));
    if is_keyword {
        return Class::Keyword;
    }
    name_class(word)
}

fn name_class(word: &str) -> Class {
    if is_name(word) {
        Class::Name
    } else {
        Class::Other
    }
}

/// A signal as a scenario writes it, told apart from a name: names are
/// lowercase, so a signal is a word that begins with `SIG` (any case) or
/// has no lowercase letter (`TERM`, `RTMIN+2`), and that sim-core reads as
/// a signal. (Bare numbers are numbers.)
fn is_signal(word: &str) -> bool {
    let sig_prefix = word.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("sig"));
    let shouting = !word.chars().any(|c| c.is_ascii_lowercase());
    (sig_prefix || shouting) && Signal::from_str(word).is_ok()
}

/// Digits, with a leading `-` and a unit from sim-core's table allowed (the
/// parser decides which are in range and where units are allowed).
fn is_number(word: &str) -> bool {
    let unsigned = word.strip_prefix('-').unwrap_or(word);
    let digits = BYTE_UNITS
        .iter()
        .find_map(|(unit, _)| unsigned.strip_suffix(unit))
        .unwrap_or(unsigned);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A name as the language spells one: a lowercase ASCII letter, then
/// lowercase letters, digits, `_` or `-` (docs/scenario-language.md, Names).
fn is_name(word: &str) -> bool {
    let mut bytes = word.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn push(out: &mut Vec<Token>, start: usize, end: usize, class: Class) {
    if start < end {
        out.push(Token { start, end, class });
    }
}

/// The largest char boundary of `text` at or before `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// A piece of a line as the editor draws it: coloured or not, and marked
/// when it is where the parse error points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub class: Option<Class>,
    pub error: bool,
}

/// A line cut into segments that cover all of it, for drawing: the
/// tokens, the text between them, and (when `error_col` is given, the
/// 1-based character column of a parse error on this line) the piece the
/// error points at, from that column to the end of its token, marked.
/// Returns also whether the error lies past the line's end (then the
/// editor marks the end of the line).
pub fn segments(text: &str, error_col: Option<u32>) -> (Vec<Segment>, bool) {
    let tokens = line(text);
    let mut cuts: Vec<(usize, usize, Option<Class>)> = Vec::with_capacity(tokens.len() * 2 + 1);
    let mut at = 0;
    for t in &tokens {
        if t.start > at {
            cuts.push((at, t.start, None));
        }
        cuts.push((t.start, t.end, Some(t.class)));
        at = t.end;
    }
    if at < text.len() {
        cuts.push((at, text.len(), None));
    }
    // The error's byte range: from its column to the end of the token it
    // falls in (or one character, if it falls between tokens).
    let error = error_col.and_then(|col| {
        let at = text.char_indices().nth(col.saturating_sub(1) as usize)?.0;
        let end = match tokens.iter().find(|t| t.start <= at && at < t.end) {
            Some(t) => t.end,
            None => at + text[at..].chars().next().map_or(1, char::len_utf8),
        };
        Some((at, end))
    });
    let past_end = error_col.is_some() && error.is_none();
    let mut out = Vec::with_capacity(cuts.len() + 2);
    for (start, end, class) in cuts {
        let Some((es, ee)) = error.filter(|&(es, ee)| es < end && start < ee) else {
            out.push(Segment {
                start,
                end,
                class,
                error: false,
            });
            continue;
        };
        let pieces = [
            (start, es.max(start), false),
            (es.max(start), ee.min(end), true),
            (ee.min(end), end, false),
        ];
        for (s, e, error) in pieces {
            if s < e {
                out.push(Segment {
                    start: s,
                    end: e,
                    class,
                    error,
                });
            }
        }
    }
    (out, past_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line's tokens as (text, class) pairs.
    fn classes(text: &str) -> Vec<(&str, Class)> {
        line(text)
            .into_iter()
            .map(|t| (&text[t.start..t.end], t.class))
            .collect()
    }

    #[test]
    fn an_operation_line_colours_actor_colon_operation_and_arguments() {
        assert_eq!(
            classes("parent: mmap heap 8 shared"),
            vec![
                ("parent", Class::Actor),
                (":", Class::Punct),
                ("mmap", Class::Operation),
                ("heap", Class::Name),
                ("8", Class::Number),
                ("shared", Class::Keyword),
            ]
        );
    }

    #[test]
    fn the_colon_may_touch_either_word_or_neither() {
        let want = vec![
            ("p", Class::Actor),
            (":", Class::Punct),
            ("fork", Class::Operation),
            ("c", Class::Name),
        ];
        assert_eq!(classes("p:fork c"), want);
        assert_eq!(classes("p : fork c"), want);
        assert_eq!(classes("p :fork c"), want);
        assert_eq!(classes("p: fork c"), want);
    }

    #[test]
    fn a_node_statement_is_coloured_as_its_javascript() {
        assert_eq!(
            classes("main: const w = child_process.fork('./worker.js') # go"),
            vec![
                ("main", Class::Actor),
                (":", Class::Punct),
                ("const", Class::Statement),
                ("w", Class::Name),
                ("=", Class::Punct),
                ("child_process", Class::Keyword),
                (".", Class::Punct),
                ("fork", Class::Operation),
                ("(", Class::Punct),
                ("'./worker.js'", Class::String),
                (")", Class::Punct),
                ("# go", Class::Comment),
            ]
        );
        let send = classes("main: w.send({n: 10n, ok: true, s: \"é\", v: [1, -2.5, null]})");
        assert!(send.contains(&("send", Class::Operation)), "{send:?}");
        for (word, class) in [
            ("10n", Class::Number),
            ("true", Class::Keyword),
            ("\"é\"", Class::String),
            ("-2.5", Class::Number),
            ("null", Class::Keyword),
            ("n", Class::Name),
        ] {
            assert!(send.contains(&(word, class)), "{word}: {send:?}");
        }
        assert_eq!(
            classes("w: process.exit(0)")[2..5],
            [
                ("process", Class::Keyword),
                (".", Class::Punct),
                ("exit", Class::Operation)
            ]
        );
        // `node NAME` is a statement like `process NAME`.
        assert_eq!(
            classes("node main"),
            vec![("node", Class::Statement), ("main", Class::Name)]
        );
    }

    #[test]
    fn an_unknown_operation_is_not_coloured_as_one() {
        assert_eq!(
            classes("p: mpam heap 8")[2],
            ("mpam", Class::Other),
            "the parser will say it is unknown; the colour must not say it is fine"
        );
    }

    #[test]
    fn pages_ranges_and_ends_are_split_into_their_parts() {
        assert_eq!(
            classes("expect child heap[2] shared parent"),
            vec![
                ("expect", Class::Statement),
                ("child", Class::Name),
                ("heap", Class::Name),
                ("[", Class::Punct),
                ("2", Class::Number),
                ("]", Class::Punct),
                ("shared", Class::Keyword),
                ("parent", Class::Name),
            ]
        );
        assert_eq!(
            classes("p: write heap 0..8"),
            vec![
                ("p", Class::Actor),
                (":", Class::Punct),
                ("write", Class::Operation),
                ("heap", Class::Name),
                ("0", Class::Number),
                ("..", Class::Punct),
                ("8", Class::Number),
            ]
        );
        assert_eq!(
            classes("expect s.1 queued 3K")[1..],
            [
                ("s", Class::Name),
                (".", Class::Punct),
                ("1", Class::End),
                ("queued", Class::Keyword),
                ("3K", Class::Number),
            ]
        );
    }

    #[test]
    fn signals_and_errnos_are_told_apart_from_names() {
        assert_eq!(
            classes("p: kill c SIGTERM")[3..],
            [("c", Class::Name), ("SIGTERM", Class::Signal)]
        );
        assert_eq!(classes("p: kill c sigusr1")[4], ("sigusr1", Class::Signal));
        assert_eq!(
            classes("p: signal RTMIN+2 handle")[3],
            ("RTMIN+2", Class::Signal)
        );
        assert_eq!(
            classes("p: signal RTMIN+2 handle")[4],
            ("handle", Class::Keyword)
        );
        // A lowercase word that sim-core would read as a signal ("term")
        // is also a valid name, and a name is what it is where names go.
        assert_eq!(classes("p: fork term")[3], ("term", Class::Name));
        assert_eq!(classes("p: signal term ignore")[3], ("term", Class::Signal));
        assert_eq!(
            classes("expect c status signaled term")[4],
            ("term", Class::Signal)
        );
        assert_eq!(
            classes("expect p result EAGAIN")[3],
            ("EAGAIN", Class::Errno)
        );
        assert_eq!(classes("expect p result -1")[3], ("-1", Class::Number));
    }

    #[test]
    fn a_name_that_is_also_a_word_of_the_language_is_a_name_where_names_go() {
        assert_eq!(classes("process parent")[1], ("parent", Class::Name));
        assert_eq!(
            classes("expect parent parent init")[1..],
            [
                ("parent", Class::Name),
                ("parent", Class::Keyword),
                ("init", Class::Keyword),
            ]
        );
        assert_eq!(
            classes("expect c heap[0] shared zero")[7],
            ("zero", Class::Name)
        );
        assert_eq!(
            classes("expect c heap[0] zero")[6],
            ("zero", Class::Keyword)
        );
        assert_eq!(classes("p: fork shared")[3], ("shared", Class::Name));
        assert_eq!(
            classes("p: exec /bin/true")[3],
            ("/bin/true", Class::String)
        );
    }

    #[test]
    fn title_and_say_keep_their_text_whole_up_to_a_comment() {
        assert_eq!(
            classes("say Two processes share \"one\" page   # why"),
            vec![
                ("say", Class::Statement),
                ("Two processes share \"one\" page", Class::Text),
                ("# why", Class::Comment),
            ]
        );
        assert_eq!(
            classes("title Copy-on-write"),
            vec![("title", Class::Statement), ("Copy-on-write", Class::Text)]
        );
    }

    #[test]
    fn comments_start_only_where_the_lexer_starts_them() {
        assert_eq!(
            classes("p: send s.0 \"a # b\" # sent"),
            vec![
                ("p", Class::Actor),
                (":", Class::Punct),
                ("send", Class::Operation),
                ("s", Class::Name),
                (".", Class::Punct),
                ("0", Class::End),
                ("\"a # b\"", Class::String),
                ("# sent", Class::Comment),
            ]
        );
        // `a#b` is one word, and `#` right after a string begins no comment.
        assert_eq!(
            classes("process a#b"),
            vec![("process", Class::Statement), ("a#b", Class::Other)]
        );
        assert_eq!(
            classes("# only a comment"),
            vec![("# only a comment", Class::Comment)]
        );
    }

    #[test]
    fn an_unclosed_string_runs_to_the_end_of_the_line() {
        assert_eq!(
            classes("p: send s.0 \"abc # d")[6],
            ("\"abc # d", Class::String)
        );
    }

    #[test]
    fn every_operation_of_the_language_is_coloured_as_an_operation() {
        for op in OpKind::keywords() {
            let text = format!("p: {op}");
            assert_eq!(classes(&text)[2], (op, Class::Operation), "{text}");
        }
    }

    #[test]
    fn segments_cover_the_whole_line_and_mark_the_error_token() {
        let text = "p: mmap heap 8 shraed";
        // The parser's error for this line is at column 16, "shraed".
        let (segs, past_end) = segments(text, Some(16));
        assert!(!past_end);
        let mut at = 0;
        for s in &segs {
            assert_eq!(s.start, at, "segments are contiguous");
            at = s.end;
        }
        assert_eq!(at, text.len());
        let marked: Vec<&str> = segs
            .iter()
            .filter(|s| s.error)
            .map(|s| &text[s.start..s.end])
            .collect();
        assert_eq!(marked, vec!["shraed"]);
    }

    #[test]
    fn an_error_column_counts_characters_not_bytes() {
        let text = "expect é\tx";
        // Column 10 is "x" (é is one column, the tab another).
        let (segs, _) = segments(text, Some(10));
        let marked: Vec<&str> = segs
            .iter()
            .filter(|s| s.error)
            .map(|s| &text[s.start..s.end])
            .collect();
        assert_eq!(marked, vec!["x"]);
    }

    #[test]
    fn an_error_past_the_end_of_the_line_is_reported_as_such() {
        let (segs, past_end) = segments("p: mmap", Some(8));
        assert!(past_end);
        assert!(segs.iter().all(|s| !s.error));
    }

    #[test]
    fn a_huge_line_is_coloured_only_at_its_start_and_drawn_whole() {
        let text = format!("say {}", "é".repeat(100_000));
        let tokens = line(&text);
        assert!(tokens.iter().all(|t| t.end <= MAX_COLOURED_BYTES));
        let (segs, _) = segments(&text, None);
        assert_eq!(segs.last().map(|s| s.end), Some(text.len()));
    }
}

#[cfg(test)]
mod corpus {
    //! The highlighter against every scenario the project ships: a line
    //! that parses has no word left uncoloured as unknown.
    use super::*;

    fn unknown_words(source: &str) -> Vec<String> {
        source
            .lines()
            .flat_map(|l| {
                line(l)
                    .into_iter()
                    .filter(|t| t.class == Class::Other)
                    .map(move |t| l[t.start..t.end].to_string())
            })
            .collect()
    }

    #[test]
    fn every_word_of_every_lesson_is_coloured_as_a_word_of_the_language() {
        for lesson in sim_core::lessons::all() {
            assert_eq!(
                unknown_words(lesson.source),
                Vec::<String>::new(),
                "{}",
                lesson.name
            );
        }
    }

    #[test]
    fn every_word_of_every_kernel_fact_is_coloured_as_a_word_of_the_language() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/facts");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("the facts directory") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "scn") {
                let source = std::fs::read_to_string(&path).expect("a fact file");
                assert_eq!(
                    unknown_words(&source),
                    Vec::<String>::new(),
                    "{}",
                    path.display()
                );
                seen += 1;
            }
        }
        assert!(seen > 10, "only {seen} facts found in {}", dir.display());
    }
}
