//! A recursive-descent parser for the PowerShell subset, working directly on characters
//! because PowerShell tokenizes differently in expression mode and in argument mode.

use std::sync::Arc;

use super::ast::*;
use super::value::Value;

pub use crate::pslang::{
    MAX_NESTING as MAX_DEPTH, MAX_SOURCE_CHARS as MAX_SCRIPT_CHARS, ParseError,
};
use crate::pslang::{backtick_escape, is_dash, is_double_quote, is_single_quote};

mod expressions;
mod literals;
mod statements;
use expressions::*;

type PResult<T> = Result<T, ParseError>;

/// Parses a whole script.
pub fn parse_script(text: &str) -> PResult<Block> {
    let mut p = Parser::new(text)?;
    let block = p.script_body(None)?;
    Ok(block)
}

struct Parser {
    src: Vec<char>,
    i: usize,
    depth: usize,
    line_starts: Vec<usize>,
    no_comma: bool,
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '?'
}

impl Parser {
    fn new(text: &str) -> PResult<Parser> {
        let src: Vec<char> = text.chars().collect();
        let mut line_starts = vec![0];
        for (i, c) in src.iter().enumerate() {
            if *c == '\n' {
                line_starts.push(i + 1);
            }
        }
        let p = Parser {
            src,
            i: 0,
            depth: 0,
            line_starts,
            no_comma: false,
        };
        if p.src.len() > MAX_SCRIPT_CHARS {
            return Err(ParseError::too_long().located(text));
        }
        Ok(p)
    }

    // ---------------------------------------------------------------- helpers

    fn pos_at(&self, offset: usize) -> Pos {
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        Pos {
            line: line_idx + 1,
            column: offset.saturating_sub(start) + 1,
            offset,
        }
    }

    fn pos(&self) -> Pos {
        self.pos_at(self.i)
    }

    fn error_at(&self, offset: usize, id: &'static str, message: &str) -> ParseError {
        let p = self.pos_at(offset);
        ParseError {
            message: message.to_string(),
            error_id: id,
            line: p.line,
            column: p.column,
            offset,
        }
    }

    fn error(&self, id: &'static str, message: &str) -> ParseError {
        self.error_at(self.i, id, message)
    }

    fn unexpected(&self) -> ParseError {
        let tok = self.token_text_here();
        self.error(
            "UnexpectedToken",
            &format!("Unexpected token '{tok}' in expression or statement."),
        )
    }

    fn token_text_here(&self) -> String {
        let mut s = String::new();
        let mut j = self.i;
        while let Some(&c) = self.src.get(j) {
            if c.is_whitespace() || (j > self.i && "|;(){},".contains(c)) {
                break;
            }
            s.push(c);
            j += 1;
            if s.chars().count() >= 40 {
                break;
            }
        }
        s
    }

    fn peek(&self) -> Option<char> {
        self.src.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src.get(self.i + n).copied()
    }

    fn at(&self, c: char) -> bool {
        self.peek() == Some(c)
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.src
            .get(from..to.min(self.src.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let e = ParseError::too_deep(self.i);
            let p = self.pos();
            return Err(ParseError {
                line: p.line,
                column: p.column,
                ..e
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skips spaces, tabs, comments and line continuations (not newlines).
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            if c.is_whitespace() {
                self.i += 1;
            } else if c == '`' && matches!(self.peek_at(1), Some('\n' | '\r')) {
                self.i += 2;
                if self.at('\n') {
                    self.i += 1;
                }
            } else if c == '<' && self.peek_at(1) == Some('#') {
                self.i += 2;
                while self.i < self.src.len() && !(self.at('#') && self.peek_at(1) == Some('>')) {
                    self.i += 1;
                }
                self.i = (self.i + 2).min(self.src.len());
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips whitespace including newlines.
    fn skip_ws_nl(&mut self) {
        loop {
            self.skip_ws();
            if self.at('\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The keyword at the cursor (case-insensitive), if `word` is followed by a non-name char.
    fn at_keyword(&self, word: &str) -> bool {
        let n = word.chars().count();
        let slice: String = self.text(self.i, self.i + n);
        slice.eq_ignore_ascii_case(word)
            && !self
                .src
                .get(self.i + n)
                .is_some_and(|c| is_name_char(*c) || *c == '-')
    }

    fn expect(&mut self, c: char, id: &'static str, message: &str) -> PResult<()> {
        if self.at(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(id, message))
        }
    }
}

#[cfg(test)]
mod tests;
