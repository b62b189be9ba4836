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

/// Largest range (`a..b`) that is expanded into a list.
pub const MAX_RANGE_LEN: i64 = 100_000;

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

fn is_param_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '?'
}

fn is_var_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{a0}' || c == '\u{feff}' || c == '\u{b}' || c == '\u{c}'
}

/// Characters that end a generic (bare-word) token in argument mode.
fn ends_word(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '\n' | '\r' | ',' | ';' | '|' | '(' | ')' | '{' | '}' | '&'
        )
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Lexer {
    fn new(source: &str) -> Result<Self, ParseError> {
        let chars: Vec<char> = source.chars().take(MAX_INPUT_CHARS + 1).collect();
        if chars.len() > MAX_INPUT_CHARS {
            return Err(ParseError::too_long());
        }
        Ok(Self {
            chars,
            pos: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to.min(self.chars.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    fn unexpected(&self, at: usize) -> ParseError {
        // PowerShell quotes the offending token; take the run of non-space characters.
        let mut end = at;
        while let Some(&c) = self.chars.get(end) {
            if is_space(c) || c == '\n' || c == '\r' {
                break;
            }
            end += 1;
            if end > at && matches!(c, ')' | '}' | ',' | ';' | '|' | '=') {
                break;
            }
        }
        let tok = self.text(at, end.max(at + 1));
        ParseError::new(
            "UnexpectedToken",
            format!("Unexpected token '{tok}' in expression or statement."),
            at,
        )
    }

    /// Skip spaces, line continuations and comments; newlines too if `newlines`.
    fn skip_space(&mut self, newlines: bool) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            if is_space(c) {
                self.pos += 1;
            } else if c == '`' && matches!(self.peek_at(1), Some('\n' | '\r')) {
                self.pos += 2;
                if self.peek() == Some('\n') && self.chars.get(self.pos - 1) == Some(&'\r') {
                    self.pos += 1;
                }
            } else if newlines && (c == '\n' || c == '\r') {
                self.pos += 1;
            } else if c == '<' && self.peek_at(1) == Some('#') {
                self.block_comment()?;
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn block_comment(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 2;
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        "MissingTerminatorMultiLineComment",
                        "The terminator '#>' is missing from the multiline comment.",
                        start,
                    ));
                }
                Some('#') if self.peek_at(1) == Some('>') => {
                    self.pos += 2;
                    return Ok(());
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `-Name` or `-Name:`; the cursor is on the dash.
    fn parameter(&mut self) -> (String, bool) {
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == ':' || ends_word(c) || is_dq(c) || is_sq(c) {
                break;
            }
            self.pos += 1;
        }
        let name = self.text(start, self.pos);
        if self.peek() == Some(':') {
            self.pos += 1;
            (name, true)
        } else {
            (name, false)
        }
    }

    /// A single-quoted string; cursor on the opening quote.
    fn single_quoted(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        "TerminatorExpectedAtEndOfString",
                        "The string is missing the terminator: '.",
                        start,
                    ));
                }
                Some(c) if is_sq(c) => {
                    if self.peek_at(1).is_some_and(is_sq) {
                        s.push(c);
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        return Ok(s);
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A backtick escape; cursor on the backtick. Returns the character it stands for.
    fn escape(&mut self) -> Option<char> {
        self.pos += 1;
        let c = self.peek()?;
        self.pos += 1;
        Some(backtick_escape(c))
    }

    /// A double-quoted string; cursor on the opening quote.
    fn double_quoted(&mut self) -> Result<Vec<StrPart>, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut lit = String::new();
        let missing = || {
            ParseError::new(
                "TerminatorExpectedAtEndOfString",
                "The string is missing the terminator: \".",
                start,
            )
        };
        loop {
            let Some(c) = self.peek() else {
                return Err(missing());
            };
            if is_dq(c) {
                if self.peek_at(1).is_some_and(is_dq) {
                    lit.push(c);
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                break;
            }
            if c == '`' {
                match self.escape() {
                    Some(e) => lit.push(e),
                    None => return Err(missing()),
                }
                continue;
            }
            if c == '$'
                && let Some(part) = self.dollar_in_string()?
            {
                if !lit.is_empty() {
                    parts.push(StrPart::Literal(std::mem::take(&mut lit)));
                }
                parts.push(part);
                continue;
            }
            lit.push(c);
            self.pos += 1;
        }
        if !lit.is_empty() || parts.is_empty() {
            parts.push(StrPart::Literal(lit));
        }
        Ok(parts)
    }

    /// `$name`, `${name}` or `$( ... )` inside an expandable string or bare
    /// word. Returns None (cursor unchanged) when `$` is literal.
    fn dollar_in_string(&mut self) -> Result<Option<StrPart>, ParseError> {
        match self.peek_at(1) {
            Some('(') => {
                let start = self.pos;
                self.pos += 2;
                let stmts = self.nested_statements(start, Terminator::Paren, true)?;
                Ok(Some(StrPart::SubExpression(stmts)))
            }
            Some('{') => {
                let name = self.braced_var_name()?;
                Ok(Some(StrPart::Variable(VarRef::plain(&name))))
            }
            Some(c) if is_var_name_char(c) || c == '_' => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(is_var_name_char) {
                    self.pos += 1;
                }
                // Scope qualifiers like $env:NAME.
                if self.peek() == Some(':') && self.peek_at(1).is_some_and(is_var_name_char) {
                    self.pos += 1;
                    while self.peek().is_some_and(is_var_name_char) {
                        self.pos += 1;
                    }
                }
                Ok(Some(StrPart::Variable(VarRef::plain(
                    &self.text(start, self.pos),
                ))))
            }
            _ => Ok(None),
        }
    }

    /// `${any name}`; cursor on `$`.
    fn braced_var_name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 2;
        let name_start = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        "IncompleteDollarVariableReference",
                        "Missing '}' at end of variable name.",
                        start,
                    ));
                }
                Some('}') => {
                    let name = self.text(name_start, self.pos);
                    self.pos += 1;
                    if name.is_empty() {
                        return Err(ParseError::new(
                            "EmptyVariableReference",
                            "Empty ${} variable reference, there should be a name between the braces.",
                            start,
                        ));
                    }
                    return Ok(name);
                }
                Some('`') => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Parse statements after an opening delimiter until the matching closer,
    /// using a sub-parser that shares this lexer's cursor.
    fn nested_statements(
        &mut self,
        open_at: usize,
        term: Terminator,
        subexpr: bool,
    ) -> Result<Vec<Statement>, ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::too_deep(open_at));
        }
        self.depth += 1;
        let mut p = Parser {
            lx: std::mem::replace(
                self,
                Lexer {
                    chars: Vec::new(),
                    pos: 0,
                    depth: 0,
                },
            ),
        };
        let result = p.statements_closed(open_at, term, subexpr);
        *self = p.lx;
        self.depth -= 1;
        result
    }

    /// Capture a script block; cursor on `{`. Returns the verbatim inner text.
    fn script_block(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let inner_start = self.pos;
        let mut depth = 1usize;
        let mut at_token_start = true;
        while let Some(c) = self.peek() {
            match c {
                '{' => {
                    depth += 1;
                    self.pos += 1;
                    at_token_start = true;
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let text = self.text(inner_start, self.pos);
                        self.pos += 1;
                        return Ok(text);
                    }
                    self.pos += 1;
                    at_token_start = true;
                }
                '`' => {
                    self.pos += 2;
                    at_token_start = false;
                }
                c if is_sq(c) => {
                    self.single_quoted()?;
                    at_token_start = false;
                }
                c if is_dq(c) => {
                    self.skip_double_quoted_raw()?;
                    at_token_start = false;
                }
                '@' if self.peek_at(1).is_some_and(|q| is_sq(q) || is_dq(q))
                    && matches!(self.peek_at(2), Some('\n' | '\r')) =>
                {
                    self.here_string()?;
                    at_token_start = false;
                }
                '<' if self.peek_at(1) == Some('#') => {
                    self.block_comment()?;
                    at_token_start = true;
                }
                '#' if at_token_start => {
                    while let Some(c) = self.peek() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                c => {
                    self.pos += 1;
                    at_token_start = is_space(c) || matches!(c, '\n' | '\r' | ';' | '(' | '|');
                }
            }
        }
        self.pos = self.pos.min(self.chars.len());
        Err(ParseError::new(
            "MissingEndCurlyBrace",
            "Missing closing '}' in statement block or type definition.",
            open,
        ))
    }

    /// Skip a double-quoted string without interpreting it (inside script blocks).
    fn skip_double_quoted_raw(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut paren_depth = 0usize;
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        "TerminatorExpectedAtEndOfString",
                        "The string is missing the terminator: \".",
                        start,
                    ));
                }
                Some('`') => self.pos += 2,
                Some('$') if self.peek_at(1) == Some('(') => {
                    paren_depth += 1;
                    self.pos += 2;
                }
                Some(')') if paren_depth > 0 => {
                    paren_depth -= 1;
                    self.pos += 1;
                }
                Some(c) if is_sq(c) && paren_depth > 0 => {
                    self.single_quoted()?;
                }
                Some(c) if is_dq(c) => {
                    if paren_depth > 0 {
                        self.skip_double_quoted_raw()?;
                    } else if self.peek_at(1).is_some_and(is_dq) {
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Skip a here-string `@'`/`@"` ... newline `'@`/`"@`; cursor on `@`.
    fn here_string(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        let quote = self.peek_at(1).unwrap_or('\'');
        let double = is_dq(quote);
        self.pos += 2;
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        "TerminatorExpectedAtEndOfString",
                        if double {
                            "The string is missing the terminator: \"@."
                        } else {
                            "The string is missing the terminator: '@."
                        },
                        start,
                    ));
                }
                Some('\n' | '\r') => {
                    self.pos += 1;
                    let q = self.peek();
                    if q.is_some_and(|q| if double { is_dq(q) } else { is_sq(q) })
                        && self.peek_at(1) == Some('@')
                    {
                        self.pos += 2;
                        return Ok(());
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// A variable with member access; cursor on `$`. `$true`/`$false`/`$null` become constants.
    fn variable(&mut self) -> Result<Value, ParseError> {
        let name = if self.peek_at(1) == Some('{') {
            self.braced_var_name()?
        } else {
            self.pos += 1;
            let start = self.pos;
            match self.peek() {
                Some('$' | '?' | '^' | '_') if !self.peek_at(1).is_some_and(is_var_name_char) => {
                    self.pos += 1;
                }
                _ => {
                    while self.peek().is_some_and(is_var_name_char) {
                        self.pos += 1;
                    }
                    if self.peek() == Some(':') && self.peek_at(1).is_some_and(is_var_name_char) {
                        self.pos += 1;
                        while self.peek().is_some_and(is_var_name_char) {
                            self.pos += 1;
                        }
                    }
                }
            }
            self.text(start, self.pos)
        };
        let mut members = Vec::new();
        loop {
            if self.peek() == Some('.')
                && self
                    .peek_at(1)
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
            {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(is_var_name_char) {
                    self.pos += 1;
                }
                members.push(Member::Property(self.text(start, self.pos)));
            } else if self.peek() == Some('[') {
                members.push(self.index()?);
            } else {
                break;
            }
        }
        if members.is_empty() {
            match name.to_ascii_lowercase().as_str() {
                "true" => return Ok(Value::Bool(true)),
                "false" => return Ok(Value::Bool(false)),
                "null" => return Ok(Value::Null),
                _ => {}
            }
        }
        Ok(Value::Variable(VarRef { name, members }))
    }

    /// `[n]` or `['key']` after a variable; cursor on `[`.
    fn index(&mut self) -> Result<Member, ParseError> {
        let open = self.pos;
        self.pos += 1;
        self.skip_space(false)?;
        let member = match self.peek() {
            Some(c) if is_sq(c) => Member::Key(self.single_quoted()?),
            Some(c) if is_dq(c) => match collapse(self.double_quoted()?) {
                Value::String(k) => Member::Key(k),
                _ => return Err(unsupported_index(open)),
            },
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.pos;
                self.pos += 1;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                match parse_number(&self.text(start, self.pos)) {
                    Some(Value::Int(i)) => Member::Index(i),
                    _ => return Err(unsupported_index(open)),
                }
            }
            None => return Err(missing_bracket(open)),
            Some(_) => return Err(unsupported_index(open)),
        };
        self.skip_space(false)?;
        if self.peek() != Some(']') {
            return Err(missing_bracket(open));
        }
        self.pos += 1;
        Ok(member)
    }

    /// An argument-mode word: a generic token with quotes, escapes and
    /// `$var` expansion, then classified (number, range, string, variable).
    fn argument_word(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        let Some(first) = self.peek() else {
            return Err(self.unexpected(start));
        };
        // A lone variable (with member access) as the whole token.
        if first == '$' && self.peek_at(1) != Some('(') {
            let save = self.pos;
            let v = self.variable()?;
            if self.peek().is_none_or(ends_word) {
                return Ok(v);
            }
            self.pos = save;
        }
        // A lone quoted string as the whole token.
        if is_sq(first) {
            let s = self.single_quoted()?;
            if self.peek().is_none_or(ends_word) {
                return Ok(Value::String(s));
            }
            self.pos = start;
        } else if is_dq(first) {
            let parts = self.double_quoted()?;
            if self.peek().is_none_or(ends_word) {
                return Ok(collapse(parts));
            }
            self.pos = start;
        }
        let mut parts: Vec<StrPart> = Vec::new();
        let mut lit = String::new();
        let mut raw_only = true;
        while let Some(c) = self.peek() {
            if ends_word(c) {
                break;
            }
            if is_sq(c) {
                raw_only = false;
                lit.push_str(&self.single_quoted()?);
            } else if is_dq(c) {
                raw_only = false;
                for p in self.double_quoted()? {
                    match p {
                        StrPart::Literal(l) => lit.push_str(&l),
                        other => {
                            if !lit.is_empty() {
                                parts.push(StrPart::Literal(std::mem::take(&mut lit)));
                            }
                            parts.push(other);
                        }
                    }
                }
            } else if c == '`' {
                raw_only = false;
                if let Some(e) = self.escape() {
                    lit.push(e);
                }
            } else if c == '$' {
                if let Some(part) = self.dollar_in_string()? {
                    raw_only = false;
                    if !lit.is_empty() {
                        parts.push(StrPart::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(part);
                } else {
                    lit.push(c);
                    self.pos += 1;
                }
            } else {
                lit.push(c);
                self.pos += 1;
            }
        }
        if self.pos == start {
            return Err(self.unexpected(start));
        }
        if parts.is_empty() {
            if raw_only && let Some(v) = number_or_range(&lit) {
                return Ok(v);
            }
            return Ok(Value::String(lit));
        }
        if !lit.is_empty() {
            parts.push(StrPart::Literal(lit));
        }
        Ok(Value::Expandable(parts))
    }

    /// An expression-mode number literal; cursor on a digit or `.`.
    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '.' && self.peek_at(1) != Some('.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = self.text(start, self.pos);
        parse_number(&text).ok_or_else(|| {
            ParseError::new(
                "BadNumericConstant",
                format!("The numeric constant {text} is not valid."),
                start,
            )
        })
    }
}

fn collapse(parts: Vec<StrPart>) -> Value {
    if parts.iter().all(|p| matches!(p, StrPart::Literal(_))) {
        let mut s = String::new();
        for p in parts {
            if let StrPart::Literal(l) = p {
                s.push_str(&l);
            }
        }
        Value::String(s)
    } else {
        Value::Expandable(parts)
    }
}

/// Parse a PowerShell numeric literal: decimal or `0x` hex integer, or a real,
/// with an optional `KB`/`MB`/`GB`/`TB`/`PB` multiplier.
#[must_use]
pub fn parse_number(text: &str) -> Option<Value> {
    let lower = text.to_ascii_lowercase();
    let (body, mult): (&str, i64) = [
        ("kb", 1i64 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("tb", 1 << 40),
        ("pb", 1 << 50),
    ]
    .iter()
    .find_map(|(suf, m)| lower.strip_suffix(suf).map(|b| (b, *m)))
    .unwrap_or((lower.as_str(), 1));
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    if body.is_empty() {
        return None;
    }
    let sign = if neg { -1 } else { 1 };
    if let Some(hex) = body.strip_prefix("0x") {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let v = i64::from_str_radix(hex, 16).ok()?;
        return v.checked_mul(mult)?.checked_mul(sign).map(Value::Int);
    }
    if body.chars().all(|c| c.is_ascii_digit()) {
        return match body.parse::<i64>() {
            Ok(v) => match v.checked_mul(mult) {
                Some(m) => Some(Value::Int(m * sign)),
                None => Some(Value::Double(v as f64 * mult as f64 * sign as f64)),
            },
            Err(_) => body
                .parse::<f64>()
                .ok()
                .map(|d| Value::Double(d * mult as f64 * sign as f64)),
        };
    }
    let valid_real = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
        && body.chars().any(|c| c.is_ascii_digit())
        && !body.starts_with('e');
    if valid_real
        && let Ok(d) = body.parse::<f64>()
        && d.is_finite()
    {
        return Some(Value::Double(d * mult as f64 * sign as f64));
    }
    None
}

fn number_or_range(text: &str) -> Option<Value> {
    if let Some(v) = parse_number(text) {
        return Some(v);
    }
    let (a, b) = text.split_once("..")?;
    match (parse_number(a)?, parse_number(b)?) {
        (Value::Int(a), Value::Int(b)) => expand_range(a, b),
        _ => None,
    }
}

fn expand_range(a: i64, b: i64) -> Option<Value> {
    if (i128::from(a) - i128::from(b)).abs() >= i128::from(MAX_RANGE_LEN) {
        return None;
    }
    let items: Vec<Value> = if a <= b {
        (a..=b).map(Value::Int).collect()
    } else {
        (b..=a).rev().map(Value::Int).collect()
    };
    Some(Value::List(items))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Terminator {
    Eof,
    Paren,
}

struct Parser {
    lx: Lexer,
}

impl Parser {
    fn new(source: &str) -> Result<Self, ParseError> {
        Ok(Self {
            lx: Lexer::new(source)?,
        })
    }

    /// Statements until end of input.
    fn statements(&mut self, term: Terminator) -> Result<Vec<Statement>, ParseError> {
        let mut out = Vec::new();
        loop {
            self.skip_separators()?;
            match self.lx.peek() {
                None => return Ok(out),
                Some(')') if term == Terminator::Paren => return Ok(out),
                Some(_) => {}
            }
            out.push(self.statement(term)?);
            self.lx.skip_space(false)?;
            match self.lx.peek() {
                None | Some('\n' | '\r' | ';') => {}
                Some(')') if term == Terminator::Paren => {}
                Some(_) => return Err(self.lx.unexpected(self.lx.pos)),
            }
        }
    }

    /// Statements inside `( )`, `$( )`, `@( )`; consumes the closing paren.
    fn statements_closed(
        &mut self,
        open_at: usize,
        term: Terminator,
        subexpr: bool,
    ) -> Result<Vec<Statement>, ParseError> {
        let stmts = self.statements(term)?;
        if self.lx.peek() == Some(')') {
            self.lx.pos += 1;
            Ok(stmts)
        } else if subexpr {
            Err(ParseError::new(
                "MissingEndParenthesisInSubexpression",
                "Missing closing ')' in subexpression.",
                open_at,
            ))
        } else {
            Err(ParseError::new(
                "MissingEndParenthesisInExpression",
                "Missing closing ')' in expression.",
                open_at,
            ))
        }
    }

    fn skip_separators(&mut self) -> Result<(), ParseError> {
        loop {
            self.lx.skip_space(true)?;
            if self.lx.peek() == Some(';') {
                self.lx.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    fn statement(&mut self, term: Terminator) -> Result<Statement, ParseError> {
        // Assignment: $name = ...
        if self.lx.peek() == Some('$') {
            let save = self.lx.pos;
            if let Ok(Value::Variable(v)) = self.lx.variable() {
                self.lx.skip_space(false)?;
                if v.members.is_empty()
                    && self.lx.peek() == Some('=')
                    && self.lx.peek_at(1) != Some('=')
                {
                    let eq = self.lx.pos;
                    self.lx.pos += 1;
                    self.lx.skip_space(true)?;
                    if self.at_statement_end(term) {
                        return Err(ParseError::new(
                            "ExpectedValueExpression",
                            "You must provide a value expression following the '=' operator.",
                            eq + 1,
                        ));
                    }
                    let pipeline = self.pipeline(term)?;
                    return Ok(Statement::Assignment {
                        variable: v.name,
                        pipeline,
                    });
                }
            }
            self.lx.pos = save;
        }
        Ok(Statement::Pipeline(self.pipeline(term)?))
    }

    fn at_statement_end(&self, term: Terminator) -> bool {
        match self.lx.peek() {
            None | Some(';' | '\n' | '\r') => true,
            Some(')') => term == Terminator::Paren,
            _ => false,
        }
    }

    fn pipeline(&mut self, term: Terminator) -> Result<Pipeline, ParseError> {
        let mut elements = Vec::new();
        let first_at = self.lx.pos;
        if self.lx.peek() == Some('|') {
            return Err(empty_pipe(first_at));
        }
        elements.push(self.pipeline_element(true, term)?);
        loop {
            self.lx.skip_space(false)?;
            if self.lx.peek() != Some('|') {
                break;
            }
            let bar = self.lx.pos;
            self.lx.pos += 1;
            if self.lx.peek() == Some('|') {
                return Err(ParseError::new(
                    "InvalidEndOfLine",
                    "The token '||' is not a valid statement separator in this version.",
                    bar,
                ));
            }
            self.lx.skip_space(true)?;
            if self.at_statement_end(term) || self.lx.peek() == Some('|') {
                return Err(empty_pipe(bar + 1));
            }
            let at = self.lx.pos;
            match self.pipeline_element(false, term)? {
                PipelineElement::Expression(_) => {
                    return Err(ParseError::new(
                        "ExpressionsMustBeFirstInPipeline",
                        "Expressions are only allowed as the first element of a pipeline.",
                        at,
                    ));
                }
                cmd => elements.push(cmd),
            }
        }
        Ok(Pipeline { elements })
    }

    fn pipeline_element(
        &mut self,
        first: bool,
        term: Terminator,
    ) -> Result<PipelineElement, ParseError> {
        let Some(c) = self.lx.peek() else {
            return Err(empty_pipe(self.lx.pos));
        };
        let starts_expression = c == '$'
            || is_sq(c)
            || is_dq(c)
            || matches!(c, '(' | '@' | '{' | '[')
            || c.is_ascii_digit()
            || (c == '-' || c == '.') && self.lx.peek_at(1).is_some_and(|d| d.is_ascii_digit());
        if starts_expression && (first || c != '{') {
            let v = self.expression()?;
            return Ok(PipelineElement::Expression(v));
        }
        if matches!(c, '}' | ')' | ',' | '=' | '&') {
            return Err(self.lx.unexpected(self.lx.pos));
        }
        self.command(term).map(PipelineElement::Command)
    }

    fn command(&mut self, term: Terminator) -> Result<CommandCall, ParseError> {
        let offset = self.lx.pos;
        let name = match self.lx.argument_word()? {
            Value::String(s) => s,
            other => other.display_text(),
        };
        let mut args = Vec::new();
        loop {
            self.lx.skip_space(false)?;
            let Some(c) = self.lx.peek() else { break };
            if matches!(c, '\n' | '\r' | ';' | '|') || c == ')' && term == Terminator::Paren {
                break;
            }
            if c == ')' || c == '}' {
                return Err(self.lx.unexpected(self.lx.pos));
            }
            let at = self.lx.pos;
            if c == '-' && self.lx.peek_at(1).is_some_and(is_param_start) {
                let (pname, colon) = self.lx.parameter();
                let value = if colon {
                    self.lx.skip_space(false)?;
                    if self
                        .lx
                        .peek()
                        .is_none_or(|c| matches!(c, '\n' | '\r' | ';' | '|' | ')'))
                    {
                        return Err(ParseError::new(
                            "ParameterRequiresArgument",
                            format!(
                                "Missing an argument for parameter '{pname}'. Specify a parameter of type 'System.Object' and try again."
                            ),
                            at,
                        ));
                    }
                    Some(self.argument_value()?)
                } else {
                    None
                };
                args.push(Argument::Parameter {
                    name: pname,
                    value,
                    offset: at,
                });
            } else if c == '-'
                && self.lx.peek_at(1) == Some('-')
                && self.lx.peek_at(2).is_none_or(ends_word)
            {
                // `--` ends parameter parsing in PowerShell; everything after is positional.
                self.lx.pos += 2;
            } else {
                let value = self.argument_value()?;
                args.push(Argument::Value { value, offset: at });
            }
        }
        Ok(CommandCall { name, args, offset })
    }

    /// One argument-mode primary, then an optional comma list.
    fn argument_value(&mut self) -> Result<Value, ParseError> {
        let first = self.argument_primary()?;
        self.lx.skip_space(false)?;
        if self.lx.peek() != Some(',') {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.lx.peek() == Some(',') {
            let comma = self.lx.pos;
            self.lx.pos += 1;
            self.lx.skip_space(true)?;
            match self.lx.peek() {
                None | Some(';' | '|' | ')' | '}' | ',') => {
                    return Err(ParseError::new(
                        "MissingArgument",
                        "Missing argument in parameter list.",
                        comma + 1,
                    ));
                }
                _ => {}
            }
            items.push(self.argument_primary()?);
            self.lx.skip_space(false)?;
        }
        Ok(Value::List(items))
    }

    fn argument_primary(&mut self) -> Result<Value, ParseError> {
        match self.lx.peek() {
            Some('(' | '{') => self.primary(),
            Some('@') if matches!(self.lx.peek_at(1), Some('(' | '{')) => self.primary(),
            Some('$') if self.lx.peek_at(1) == Some('(') => self.primary(),
            _ => self.lx.argument_word(),
        }
    }

    /// Expression mode: additive over multiplicative over ranges over comma lists over unary.
    fn expression(&mut self) -> Result<Value, ParseError> {
        let mut lhs = self.multiplicative()?;
        loop {
            self.lx.skip_space(false)?;
            let op = match self.lx.peek() {
                Some(c @ ('+' | '-')) if !self.lx.peek_at(1).is_some_and(is_param_start) => c,
                _ => return Ok(lhs),
            };
            let at = self.lx.pos;
            self.lx.pos += 1;
            self.lx.skip_space(true)?;
            let rhs = self.multiplicative()?;
            lhs = arith(op, lhs, rhs, at)?;
        }
    }

    fn multiplicative(&mut self) -> Result<Value, ParseError> {
        let mut lhs = self.range()?;
        loop {
            self.lx.skip_space(false)?;
            let op = match self.lx.peek() {
                Some(c @ ('*' | '/' | '%')) => c,
                _ => return Ok(lhs),
            };
            let at = self.lx.pos;
            self.lx.pos += 1;
            self.lx.skip_space(true)?;
            let rhs = self.range()?;
            lhs = arith(op, lhs, rhs, at)?;
        }
    }

    fn range(&mut self) -> Result<Value, ParseError> {
        let lhs = self.comma_list()?;
        self.lx.skip_space(false)?;
        if self.lx.peek() == Some('.') && self.lx.peek_at(1) == Some('.') {
            let at = self.lx.pos;
            self.lx.pos += 2;
            self.lx.skip_space(true)?;
            let rhs = self.comma_list()?;
            return match (&lhs, &rhs) {
                (Value::Int(a), Value::Int(b)) => expand_range(*a, *b).ok_or_else(|| {
                    ParseError::new(
                        "RangeTooBig",
                        format!("The range is larger than {MAX_RANGE_LEN} elements."),
                        at,
                    )
                }),
                _ => Err(unsupported_operator("..", at)),
            };
        }
        Ok(lhs)
    }

    fn comma_list(&mut self) -> Result<Value, ParseError> {
        let first = self.unary()?;
        self.lx.skip_space(false)?;
        if self.lx.peek() != Some(',') {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.lx.peek() == Some(',') {
            let comma = self.lx.pos;
            self.lx.pos += 1;
            self.lx.skip_space(true)?;
            if self
                .lx
                .peek()
                .is_none_or(|c| matches!(c, ';' | ')' | '}' | '|' | ','))
            {
                return Err(ParseError::new(
                    "MissingExpressionAfterToken",
                    "Missing expression after ','.",
                    comma + 1,
                ));
            }
            items.push(self.unary()?);
            self.lx.skip_space(false)?;
        }
        Ok(Value::List(items))
    }

    fn unary(&mut self) -> Result<Value, ParseError> {
        let at = self.lx.pos;
        let mut negate = false;
        let mut signs = 0usize;
        while self.lx.peek() == Some('-') && !self.lx.peek_at(1).is_some_and(is_param_start) {
            self.lx.pos += 1;
            negate = !negate;
            signs += 1;
            self.lx.skip_space(false)?;
        }
        let v = self.primary()?;
        if signs == 0 {
            return Ok(v);
        }
        match v {
            Value::Int(i) if negate => i
                .checked_neg()
                .map(Value::Int)
                .ok_or_else(|| unsupported_operator("-", at)),
            Value::Double(d) if negate => Ok(Value::Double(-d)),
            v @ (Value::Int(_) | Value::Double(_)) => Ok(v),
            _ => Err(unsupported_operator("-", at)),
        }
    }

    fn primary(&mut self) -> Result<Value, ParseError> {
        let at = self.lx.pos;
        let Some(c) = self.lx.peek() else {
            return Err(ParseError::new(
                "ExpectedExpression",
                "An expression was expected after '('.",
                at,
            ));
        };
        match c {
            '$' if self.lx.peek_at(1) == Some('(') => {
                self.lx.pos += 2;
                let stmts = self.lx.nested_statements(at, Terminator::Paren, true)?;
                Ok(Value::SubExpression(stmts))
            }
            '$' => self.lx.variable(),
            c if is_sq(c) => Ok(Value::String(self.lx.single_quoted()?)),
            c if is_dq(c) => Ok(collapse(self.lx.double_quoted()?)),
            '{' => Ok(Value::ScriptBlock(self.lx.script_block()?)),
            '(' => {
                self.lx.pos += 1;
                let stmts = self.lx.nested_statements(at, Terminator::Paren, false)?;
                paren_value(stmts, at)
            }
            '@' if self.lx.peek_at(1) == Some('(') => {
                self.lx.pos += 2;
                let stmts = self.lx.nested_statements(at, Terminator::Paren, true)?;
                Ok(array_value(stmts))
            }
            '@' if self.lx.peek_at(1) == Some('{') => self.hashtable(),
            c if c.is_ascii_digit()
                || c == '.' && self.lx.peek_at(1).is_some_and(|d| d.is_ascii_digit()) =>
            {
                self.lx.number()
            }
            _ => Err(self.lx.unexpected(at)),
        }
    }

    /// `@{ key = value; ... }`; cursor on `@`.
    fn hashtable(&mut self) -> Result<Value, ParseError> {
        let open = self.lx.pos;
        if self.lx.depth >= MAX_NESTING {
            return Err(ParseError::too_deep(open));
        }
        self.lx.pos += 2;
        let incomplete = || {
            ParseError::new(
                "IncompleteHashLiteral",
                "The hash literal was incomplete.",
                open,
            )
        };
        let mut entries = Vec::new();
        loop {
            self.skip_separators()?;
            let key_at = self.lx.pos;
            let key = match self.lx.peek() {
                None => return Err(incomplete()),
                Some('}') => {
                    self.lx.pos += 1;
                    return Ok(Value::Hashtable(entries));
                }
                Some(c) if is_sq(c) => self.lx.single_quoted()?,
                Some(c) if is_dq(c) => collapse(self.lx.double_quoted()?).display_text(),
                Some(c) if is_var_name_char(c) || c == '-' => {
                    let start = self.lx.pos;
                    self.lx.pos += 1;
                    while self
                        .lx
                        .peek()
                        .is_some_and(|c| is_var_name_char(c) || c == '-' || c == '.')
                    {
                        self.lx.pos += 1;
                    }
                    self.lx.text(start, self.lx.pos)
                }
                Some(_) => return Err(self.lx.unexpected(key_at)),
            };
            self.lx.skip_space(false)?;
            if self.lx.peek() != Some('=') {
                return Err(ParseError::new(
                    "MissingEqualsInHashLiteral",
                    "Missing '=' operator after key in hash literal.",
                    self.lx.pos,
                ));
            }
            self.lx.pos += 1;
            self.lx.skip_space(true)?;
            if matches!(self.lx.peek(), None | Some('}' | ';')) {
                return Err(ParseError::new(
                    "MissingStatementInHashLiteral",
                    "Missing statement after '=' in hash literal.",
                    self.lx.pos,
                ));
            }
            self.lx.depth += 1;
            let p = self.pipeline_in_hash();
            self.lx.depth -= 1;
            let pipeline = p?;
            entries.push((key, pipeline_value(pipeline)));
            self.lx.skip_space(false)?;
            match self.lx.peek() {
                None => return Err(incomplete()),
                Some('}' | ';' | '\n' | '\r') => {}
                Some(_) => return Err(self.lx.unexpected(self.lx.pos)),
            }
        }
    }

    fn pipeline_in_hash(&mut self) -> Result<Pipeline, ParseError> {
        // Inside a hashtable a value ends at `;`, newline or `}`; `}` is not
        // an error there, so parse with the paren terminator semantics off and
        // let the command loop stop at `}`.
        let c = self.lx.peek().unwrap_or(' ');
        let starts_expression = c == '$'
            || is_sq(c)
            || is_dq(c)
            || matches!(c, '(' | '@' | '{' | '[')
            || c.is_ascii_digit()
            || (c == '-' || c == '.') && self.lx.peek_at(1).is_some_and(|d| d.is_ascii_digit());
        if starts_expression {
            return Ok(Pipeline {
                elements: vec![PipelineElement::Expression(self.expression()?)],
            });
        }
        // A bare command inside a hash literal: read its arguments until `}`/`;`/newline.
        let offset = self.lx.pos;
        let name = match self.lx.argument_word()? {
            Value::String(s) => s,
            other => other.display_text(),
        };
        let mut args = Vec::new();
        loop {
            self.lx.skip_space(false)?;
            match self.lx.peek() {
                None | Some('}' | ';' | '\n' | '\r' | '|' | ')') => break,
                _ => {}
            }
            let at = self.lx.pos;
            if self.lx.peek() == Some('-') && self.lx.peek_at(1).is_some_and(is_param_start) {
                let (pname, colon) = self.lx.parameter();
                let value = if colon {
                    Some(self.argument_value()?)
                } else {
                    None
                };
                args.push(Argument::Parameter {
                    name: pname,
                    value,
                    offset: at,
                });
            } else {
                let value = self.argument_value()?;
                args.push(Argument::Value { value, offset: at });
            }
        }
        Ok(Pipeline {
            elements: vec![PipelineElement::Command(CommandCall { name, args, offset })],
        })
    }
}

fn missing_bracket(at: usize) -> ParseError {
    ParseError::new(
        "MissingEndSquareBracket",
        "Missing ']' after array index expression.",
        at,
    )
}

fn unsupported_index(at: usize) -> ParseError {
    ParseError::new(
        "UnsupportedIndex",
        "Only a constant number or quoted key is supported as an index here.",
        at,
    )
}

fn empty_pipe(at: usize) -> ParseError {
    ParseError::new(
        "EmptyPipeElement",
        "An empty pipe element is not allowed.",
        at,
    )
}

fn unsupported_operator(op: &str, at: usize) -> ParseError {
    ParseError::new(
        "OperatorNotSupported",
        format!("The '{op}' operator is supported here only between constant numbers."),
        at,
    )
}

fn arith(op: char, lhs: Value, rhs: Value, at: usize) -> Result<Value, ParseError> {
    let overflow = || {
        ParseError::new(
            "ArithmeticOverflow",
            "The result of the arithmetic operation is out of range.",
            at,
        )
    };
    match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) => {
            let r = match op {
                '+' => a.checked_add(b),
                '-' => a.checked_sub(b),
                '*' => a.checked_mul(b),
                '%' => {
                    if b == 0 {
                        return Err(ParseError::new(
                            "RuntimeException",
                            "Attempted to divide by zero.",
                            at,
                        ));
                    }
                    a.checked_rem(b)
                }
                _ => {
                    if b == 0 {
                        return Err(ParseError::new(
                            "RuntimeException",
                            "Attempted to divide by zero.",
                            at,
                        ));
                    }
                    if a % b == 0 {
                        a.checked_div(b)
                    } else {
                        return Ok(Value::Double(a as f64 / b as f64));
                    }
                }
            };
            r.map(Value::Int).ok_or_else(overflow)
        }
        (Value::String(a), Value::String(b)) if op == '+' => Ok(Value::String(a + &b)),
        (Value::List(mut a), b) if op == '+' && !b.is_dynamic() => {
            match b {
                Value::List(bs) => a.extend(bs),
                other => a.push(other),
            }
            Ok(Value::List(a))
        }
        _ => Err(unsupported_operator(&op.to_string(), at)),
    }
}

/// The value of a single-expression pipeline, or the pipeline itself.
fn pipeline_value(p: Pipeline) -> Value {
    if p.elements.len() == 1
        && let Some(PipelineElement::Expression(_)) = p.elements.first()
    {
        if let Some(PipelineElement::Expression(v)) = p.elements.into_iter().next() {
            return v;
        }
        return Value::Null;
    }
    Value::SubPipeline(Box::new(p))
}

fn paren_value(mut stmts: Vec<Statement>, at: usize) -> Result<Value, ParseError> {
    match stmts.len() {
        0 => Err(ParseError::new(
            "ExpectedExpression",
            "An expression was expected after '('.",
            at + 1,
        )),
        1 => match stmts.pop() {
            Some(Statement::Pipeline(p)) => Ok(pipeline_value(p)),
            // `($x = 1)` — PowerShell outputs the assigned value; keep it symbolic.
            Some(other) => Ok(Value::SubExpression(vec![other])),
            None => Ok(Value::Null),
        },
        _ => Err(ParseError::new(
            "MissingEndParenthesisInExpression",
            "Missing closing ')' in expression.",
            at,
        )),
    }
}

fn array_value(stmts: Vec<Statement>) -> Value {
    let mut items = Vec::new();
    for s in &stmts {
        match s {
            Statement::Pipeline(p) if p.elements.len() == 1 => match p.elements.first() {
                Some(PipelineElement::Expression(v)) if !v.is_dynamic() => match v {
                    Value::List(l) => items.extend(l.iter().cloned()),
                    other => items.push(other.clone()),
                },
                _ => return Value::SubExpression(stmts),
            },
            _ => return Value::SubExpression(stmts),
        }
    }
    Value::List(items)
}

#[cfg(test)]
mod tests;
