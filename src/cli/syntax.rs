//! Tokenizer and parser for the subset of PowerShell a console user types
//! for the remoting cmdlets.
//!
//! The grammar follows the PowerShell language specification (chapter 2,
//! lexical structure, and chapter 8, statements): statements are separated by
//! `;` or newlines; a statement is an assignment `$var = <pipeline>` or a
//! pipeline `a | b | c`; a pipeline element is a command (name followed by
//! parameters and arguments, parsed in *argument mode*) or, first in the
//! pipeline only, an expression (parsed in *expression mode*).
//!
//! Script blocks are captured verbatim (the text between the outer braces)
//! because they are sent to the remote computer as script text.
//!
//! Everything here is pure: no I/O, no variable lookup. Variables, member
//! access and sub-pipelines stay symbolic in [`Value`] for the executor.

use std::fmt;

pub use crate::pslang::{MAX_NESTING, MAX_SOURCE_CHARS as MAX_INPUT_CHARS, ParseError};
use crate::pslang::{backtick_escape, is_double_quote as is_dq, is_single_quote as is_sq};

mod lexer;
mod parser;
pub use lexer::*;
use parser::*;

/// Largest range (`a..b`) that is expanded into a list.
pub const MAX_RANGE_LEN: i64 = 100_000;

/// The most elements all the ranges of one line expand into: a few
/// kilobytes of `1..99999,` would otherwise take gigabytes.
pub const MAX_RANGE_TOTAL: i64 = 1_000_000;

/// One step of access after a variable name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Member {
    /// `.Name`: a property.
    Property(String),
    /// `[0]`, `[-1]`: an array index (negative counts from the end).
    Index(i64),
    /// `['key']`: a hashtable key or property by name.
    Key(String),
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Member::Property(p) => write!(f, ".{p}"),
            Member::Index(i) => write!(f, "[{i}]"),
            Member::Key(k) => write!(f, "['{}']", k.replace('\'', "''")),
        }
    }
}

/// A variable reference with optional member access and indexing:
/// `$s.Runspace.ConnectionInfo`, `$s[0].Name`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VarRef {
    /// Variable name without `$` (as typed; PowerShell names are case-insensitive).
    pub name: String,
    /// Members and indexes accessed in order.
    pub members: Vec<Member>,
}

impl VarRef {
    /// A plain variable reference without member access.
    #[must_use]
    pub fn plain(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            members: Vec::new(),
        }
    }
}

impl fmt::Display for VarRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.name)?;
        for m in &self.members {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

/// A piece of an expandable string (`"..."` or a bare word containing `$var`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StrPart {
    /// Literal text (escapes already applied).
    Literal(String),
    /// `$name` or `${name}`: replaced by the variable's string form.
    Variable(VarRef),
    /// `$( ... )`: replaced by the string form of the statements' output.
    SubExpression(Vec<Statement>),
}

/// A parsed argument or expression value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// `$null`.
    Null,
    /// `$true` / `$false`.
    Bool(bool),
    /// An integer literal (with any `KB`/`MB`/`GB`/`TB`/`PB` multiplier applied).
    Int(i64),
    /// A real literal.
    Double(f64),
    /// A string: bare word, single-quoted string, or double-quoted string without expansions.
    String(String),
    /// A string that needs variable expansion by the executor.
    Expandable(Vec<StrPart>),
    /// A variable, possibly with member access.
    Variable(VarRef),
    /// A list: `a, b, c`, a range `1..3`, or a constant `@( ... )`.
    List(Vec<Value>),
    /// A hashtable literal `@{ Key = value; ... }` (keys in source order).
    Hashtable(Vec<(String, Value)>),
    /// A script block's text between its outer braces, verbatim.
    ScriptBlock(String),
    /// A parenthesised pipeline `( ... )` that runs a command.
    SubPipeline(Box<Pipeline>),
    /// `$( ... )` or a non-constant `@( ... )`.
    SubExpression(Vec<Statement>),
}

impl Value {
    /// True when the value can be known only by running something or
    /// looking up a variable (the executor resolves it).
    #[must_use]
    pub fn is_dynamic(&self) -> bool {
        match self {
            Value::Expandable(_)
            | Value::Variable(_)
            | Value::SubPipeline(_)
            | Value::SubExpression(_) => true,
            Value::List(items) => items.iter().any(Value::is_dynamic),
            Value::Hashtable(entries) => entries.iter().any(|(_, v)| v.is_dynamic()),
            _ => false,
        }
    }

    /// How PowerShell would echo this value in an error message (`"abc"`, `1`, ...).
    #[must_use]
    pub fn display_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::String(s) => s.clone(),
            Value::Expandable(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Literal(l) => s.push_str(l),
                        StrPart::Variable(v) => s.push_str(&v.to_string()),
                        StrPart::SubExpression(_) => s.push_str("$(...)"),
                    }
                }
                s
            }
            Value::Variable(v) => v.to_string(),
            Value::List(items) => items
                .iter()
                .map(Value::display_text)
                .collect::<Vec<_>>()
                .join(" "),
            Value::Hashtable(_) => "System.Collections.Hashtable".into(),
            Value::ScriptBlock(text) => text.clone(),
            Value::SubPipeline(_) | Value::SubExpression(_) => "(...)".into(),
        }
    }
}

/// One argument of a command, as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Argument {
    /// `-Name` (then `value` is `None`) or `-Name:value`.
    Parameter {
        /// The name as typed, without the dash (may be a prefix or an alias).
        name: String,
        /// The value given after a colon, if any.
        value: Option<Value>,
        /// Character offset of the dash.
        offset: usize,
    },
    /// A value that is not introduced by `-Name:` (positional, or the value of the preceding parameter).
    Value {
        /// The value.
        value: Value,
        /// Character offset where the value starts.
        offset: usize,
    },
}

/// A command invocation: `Name arg arg ...`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommandCall {
    /// The command name as typed.
    pub name: String,
    /// Arguments in source order.
    pub args: Vec<Argument>,
    /// Character offset of the command name.
    pub offset: usize,
}

/// One element of a pipeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PipelineElement {
    /// A command.
    Command(CommandCall),
    /// An expression (only allowed first in a pipeline), e.g. `$s` in `$s | Remove-PSSession`.
    Expression(Value),
}

/// `a | b | c`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pipeline {
    /// The elements, at least one.
    pub elements: Vec<PipelineElement>,
}

/// A statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Statement {
    /// A pipeline whose output is displayed.
    Pipeline(Pipeline),
    /// `$name = pipeline`: output is stored, not displayed.
    Assignment {
        /// Variable name without `$`.
        variable: String,
        /// The right-hand side.
        pipeline: Pipeline,
    },
}

/// Parse a whole line (or several lines) into statements.
///
/// # Errors
/// A [`ParseError`] with PowerShell's message and error id.
pub fn parse(source: &str) -> Result<Vec<Statement>, ParseError> {
    let parsed = Parser::new(source).and_then(|mut p| p.statements(Terminator::Eof));
    parsed.map_err(|e| e.located(source))
}

/// A lexical token (argument-mode tokenization), for tests and highlighting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Token {
    /// A bare word (command name or generic argument).
    Word(String),
    /// `-Name` or `-Name:` (`colon` true).
    Parameter {
        /// Parameter name without the dash.
        name: String,
        /// Whether a colon followed the name.
        colon: bool,
    },
    /// A variable reference.
    Variable(VarRef),
    /// A string or other literal value.
    Literal(Value),
    /// A script block's verbatim inner text.
    ScriptBlock(String),
    /// One of `, ; | ( ) @( @{ $( } = ..` or a newline (`"\n"`).
    Punct(&'static str),
}

/// Split `source` into tokens using argument-mode rules (bare words are
/// generic tokens). Comments are dropped.
///
/// # Errors
/// Unterminated strings, comments, script blocks, or bad characters.
pub fn tokenize(source: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let mut lx = Lexer::new(source)?;
    let mut out = Vec::new();
    loop {
        lx.skip_space(true)?;
        let start = lx.pos;
        let Some(c) = lx.peek() else { break };
        let tok = match c {
            '\n' | '\r' => {
                lx.pos += 1;
                Token::Punct("\n")
            }
            ',' | ';' | '|' | '(' | ')' | '}' | '=' => {
                lx.pos += 1;
                Token::Punct(match c {
                    ',' => ",",
                    ';' => ";",
                    '|' => "|",
                    '(' => "(",
                    ')' => ")",
                    '}' => "}",
                    _ => "=",
                })
            }
            '@' if lx.peek_at(1) == Some('(') => {
                lx.pos += 2;
                Token::Punct("@(")
            }
            '@' if lx.peek_at(1) == Some('{') => {
                lx.pos += 2;
                Token::Punct("@{")
            }
            '$' if lx.peek_at(1) == Some('(') => {
                lx.pos += 2;
                Token::Punct("$(")
            }
            '{' => Token::ScriptBlock(lx.script_block()?),
            '-' if lx.peek_at(1).is_some_and(is_param_start) => {
                let (name, colon) = lx.parameter();
                Token::Parameter { name, colon }
            }
            _ => match lx.argument_word()? {
                Value::Variable(v) => Token::Variable(v),
                Value::String(s) if !matches!(c, '\'' | '"') && !s.is_empty() => Token::Word(s),
                v => Token::Literal(v),
            },
        };
        if lx.pos == start {
            // Defensive: never loop without progress.
            return Err(lx.unexpected(start));
        }
        out.push((start, tok));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
