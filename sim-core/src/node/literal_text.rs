//! The lexical pieces of a value literal, for the parser in literal.rs:
//! quoted strings with JavaScript's escapes (surrogate pairs joined, a lone
//! one refused), regular expression literals (the pattern taken as
//! written, the flags checked), and functions with an empty body (kept as
//! their source text, which is what V8's error quotes).

use super::literal::{is_ident_start, Parsed, Parser};
use super::literal_error::{LiteralError, LiteralErrorKind};
use super::value::{JsFunction, JsRegExp, JsValue};
use crate::scenario::ast::Pos;

impl Parser<'_> {
    pub(super) fn optional_string(&mut self) -> Parsed<Option<String>> {
        self.skip_space();
        match self.peek() {
            Some('\'' | '"') => Ok(Some(self.string()?)),
            _ => Ok(None),
        }
    }

    pub(super) fn string_arg(&mut self, what: &str) -> Parsed<String> {
        self.skip_space();
        match self.peek() {
            Some('\'' | '"') => self.string(),
            _ => Err(self.expected(what)),
        }
    }

    /// A quoted string with JavaScript's escapes.
    pub(super) fn string(&mut self) -> Parsed<String> {
        let open_pos = self.pos();
        let quote = self.bump().unwrap_or('"');
        let mut out = String::new();
        // A high surrogate from \uD83D waits for its low half.
        let mut high: Option<(u16, Pos)> = None;
        loop {
            let pos = self.pos();
            let Some(c) = self.bump() else {
                return Err(LiteralError {
                    pos: open_pos,
                    kind: LiteralErrorKind::UnterminatedString { quote },
                });
            };
            let unit = match c {
                c if c == quote => None,
                '\n' | '\r' => {
                    return Err(LiteralError {
                        pos,
                        kind: LiteralErrorKind::LineBreakInString,
                    })
                }
                '\\' => self.escape(pos)?,
                c => Some(Unit::Char(c)),
            };
            match (high.take(), unit) {
                (Some((h, _)), Some(Unit::Code(l))) if (0xDC00..0xE000).contains(&l) => {
                    let cp = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(l) - 0xDC00);
                    out.extend(char::from_u32(cp));
                    continue;
                }
                (Some((h, hpos)), _) => {
                    return Err(LiteralError {
                        pos: hpos,
                        kind: LiteralErrorKind::LoneSurrogate { unit: h },
                    });
                }
                (None, _) => {}
            }
            match unit {
                None => return Ok(out),
                Some(Unit::Char(c)) => out.push(c),
                Some(Unit::Skip) => {}
                Some(Unit::Code(u)) if (0xD800..0xDC00).contains(&u) => high = Some((u, pos)),
                Some(Unit::Code(u)) => match char::from_u32(u32::from(u)) {
                    Some(c) => out.push(c),
                    None => {
                        return Err(LiteralError {
                            pos,
                            kind: LiteralErrorKind::LoneSurrogate { unit: u },
                        })
                    }
                },
            }
        }
    }

    /// The escape after a `\` (at `pos`).
    fn escape(&mut self, pos: Pos) -> Parsed<Option<Unit>> {
        let bad = |escape: String, why: &str| LiteralError {
            pos,
            kind: LiteralErrorKind::BadEscape {
                escape,
                why: why.into(),
            },
        };
        let Some(c) = self.bump() else {
            return Err(bad("\\".into(), "nothing follows the backslash"));
        };
        Ok(Some(match c {
            'n' => Unit::Char('\n'),
            't' => Unit::Char('\t'),
            'r' => Unit::Char('\r'),
            'b' => Unit::Char('\u{8}'),
            'f' => Unit::Char('\u{c}'),
            'v' => Unit::Char('\u{b}'),
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => Unit::Char('\0'),
            '0'..='9' => {
                return Err(bad(
                    format!("\\{c}"),
                    "octal escapes are legacy JavaScript; write \\x or \\u",
                ));
            }
            '\n' | '\u{2028}' | '\u{2029}' => Unit::Skip,
            '\r' => {
                if self.peek() == Some('\n') {
                    self.bump();
                }
                Unit::Skip
            }
            'x' => {
                let hex = self.hex_digits(2);
                let v = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| bad(format!("\\x{hex}"), "\\x takes two hex digits"))?;
                Unit::Code(v)
            }
            'u' if self.peek() == Some('{') => {
                self.bump();
                let hex = self.hex_digits(8);
                let closed = self.peek() == Some('}');
                if closed {
                    self.bump();
                }
                let cp = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|&v| closed && v <= 0x10FFFF);
                let Some(cp) = cp else {
                    return Err(bad(
                        format!("\\u{{{hex}"),
                        "\\u{...} takes hex digits up to 10FFFF and a closing }",
                    ));
                };
                match u16::try_from(cp) {
                    Ok(u) => Unit::Code(u),
                    Err(_) => Unit::Char(char::from_u32(cp).unwrap_or('\u{FFFD}')),
                }
            }
            'u' => {
                let hex = self.hex_digits(4);
                let v = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .ok_or_else(|| {
                        bad(format!("\\u{hex}"), "\\u takes four hex digits, or {...}")
                    })?;
                Unit::Code(v)
            }
            c => Unit::Char(c),
        }))
    }

    fn hex_digits(&mut self, max: usize) -> String {
        let mut hex = String::new();
        while hex.len() < max && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
            hex.extend(self.bump());
        }
        hex
    }

    /// `/source/flags`.
    pub(super) fn regexp(&mut self) -> Parsed<JsValue> {
        let pos = self.pos();
        self.bump();
        let start = self.at;
        let mut in_class = false;
        loop {
            let bad = |why: &str| LiteralError {
                pos,
                kind: LiteralErrorKind::BadRegExp { why: why.into() },
            };
            match self.peek() {
                None | Some('\n' | '\r' | '\u{2028}' | '\u{2029}') => {
                    return Err(bad("it has no closing \"/\" on its line"))
                }
                Some('\\') => {
                    self.bump();
                    if matches!(self.peek(), None | Some('\n' | '\r')) {
                        return Err(bad("it ends in a backslash"));
                    }
                    self.bump();
                }
                Some('[') => {
                    in_class = true;
                    self.bump();
                }
                Some(']') => {
                    in_class = false;
                    self.bump();
                }
                Some('/') if !in_class => break,
                Some(_) => {
                    self.bump();
                }
            }
        }
        let source = self.src[start..self.at].to_string();
        self.bump(); // the closing /
        if source.is_empty() {
            return Err(LiteralError {
                pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: "// begins a comment in JavaScript; an empty pattern is /(?:)/".into(),
                },
            });
        }
        let flags_pos = self.pos();
        let written = self.word();
        let mut flags = String::new();
        for flag in "dgimsuvy".chars() {
            match written.matches(flag).count() {
                0 => {}
                1 => flags.push(flag),
                _ => {
                    return Err(LiteralError {
                        pos: flags_pos,
                        kind: LiteralErrorKind::BadRegExp {
                            why: format!("the flag \"{flag}\" is given twice"),
                        },
                    })
                }
            }
        }
        if let Some(c) = written.chars().find(|c| !"dgimsuvy".contains(*c)) {
            return Err(LiteralError {
                pos: flags_pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: format!("\"{c}\" is not a flag (they are d, g, i, m, s, u, v, y)"),
                },
            });
        }
        if flags.contains('u') && flags.contains('v') {
            return Err(LiteralError {
                pos: flags_pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: "the flags u and v cannot go together".into(),
                },
            });
        }
        Ok(JsValue::RegExp(JsRegExp { source, flags }))
    }

    /// `function name(params) {}`, `function` already read from `start`.
    pub(super) fn function(&mut self, start: usize) -> Parsed<JsValue> {
        self.skip_space();
        let name = if self.peek().is_some_and(is_ident_start) {
            self.word().to_string()
        } else {
            String::new()
        };
        self.expect('(', "\"(\" and the parameters")?;
        self.params()?;
        self.body()?;
        Ok(JsValue::Function(JsFunction {
            source: self.src[start..self.at].to_string(),
            name,
        }))
    }

    /// `(params) => {}`.
    pub(super) fn arrow(&mut self) -> Parsed<JsValue> {
        let start = self.at;
        self.bump(); // (
        self.params()?;
        self.skip_space();
        if !self.rest().starts_with("=>") {
            return Err(self.expected("\"=>\" (a value in parentheses must be an arrow function)"));
        }
        self.arrow_body(start)
    }

    /// `=> {}` of an arrow function that began at `start`.
    pub(super) fn arrow_body(&mut self, start: usize) -> Parsed<JsValue> {
        self.bump();
        self.bump(); // =>
        self.body()?;
        Ok(JsValue::Function(JsFunction {
            source: self.src[start..self.at].to_string(),
            name: String::new(),
        }))
    }

    /// Parameter names up to `)`, the `(` taken.
    fn params(&mut self) -> Parsed<()> {
        loop {
            self.skip_space();
            if self.eat(')') {
                return Ok(());
            }
            if !self.peek().is_some_and(is_ident_start) {
                return Err(self.expected("a parameter name or \")\""));
            }
            self.word();
            if !self.eat(',') {
                return self.expect(')', "\",\" or \")\" after a parameter");
            }
        }
    }

    fn body(&mut self) -> Parsed<()> {
        self.expect('{', "\"{\" and the function's body")?;
        self.skip_space();
        if self.peek() == Some('}') {
            self.bump();
            Ok(())
        } else {
            Err(self.err(LiteralErrorKind::FunctionBody))
        }
    }
}

/// One UTF-16 unit of a string as its escapes give it, or a whole char.
#[derive(Clone, Copy)]
enum Unit {
    Char(char),
    Code(u16),
    /// A line continuation: a backslash before a line break adds nothing.
    Skip,
}
