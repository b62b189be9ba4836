//! The lexer: argument-mode and expression-mode tokens, strings with their escapes and expansions, numbers and ranges.

use super::*;

pub(super) fn is_param_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '?'
}

pub(super) fn is_var_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub(super) fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{a0}' || c == '\u{feff}' || c == '\u{b}' || c == '\u{c}'
}

/// Characters that end a generic (bare-word) token in argument mode.
pub(super) fn ends_word(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '\n' | '\r' | ',' | ';' | '|' | '(' | ')' | '{' | '}' | '&'
        )
}

pub(super) struct Lexer {
    pub(super) chars: Vec<char>,
    pub(super) pos: usize,
    pub(super) depth: usize,
    /// Elements that the line's ranges have expanded into so far.
    pub(super) expanded: i64,
}

impl Lexer {
    pub(super) fn new(source: &str) -> Result<Self, ParseError> {
        let chars: Vec<char> = source.chars().take(MAX_INPUT_CHARS + 1).collect();
        if chars.len() > MAX_INPUT_CHARS {
            return Err(ParseError::too_long());
        }
        Ok(Self {
            chars,
            pos: 0,
            depth: 0,
            expanded: 0,
        })
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    pub(super) fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to.min(self.chars.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    pub(super) fn unexpected(&self, at: usize) -> ParseError {
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
    pub(super) fn skip_space(&mut self, newlines: bool) -> Result<(), ParseError> {
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

    pub(super) fn block_comment(&mut self) -> Result<(), ParseError> {
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
    pub(super) fn parameter(&mut self) -> (String, bool) {
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
    pub(super) fn single_quoted(&mut self) -> Result<String, ParseError> {
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
    pub(super) fn escape(&mut self) -> Option<char> {
        self.pos += 1;
        let c = self.peek()?;
        self.pos += 1;
        Some(backtick_escape(c))
    }

    /// A double-quoted string; cursor on the opening quote.
    pub(super) fn double_quoted(&mut self) -> Result<Vec<StrPart>, ParseError> {
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
    pub(super) fn dollar_in_string(&mut self) -> Result<Option<StrPart>, ParseError> {
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
    pub(super) fn braced_var_name(&mut self) -> Result<String, ParseError> {
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
    pub(super) fn nested_statements(
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
                    expanded: 0,
                },
            ),
        };
        let result = p.statements_closed(open_at, term, subexpr);
        *self = p.lx;
        self.depth -= 1;
        result
    }

    /// Capture a script block; cursor on `{`. Returns the verbatim inner text.
    pub(super) fn script_block(&mut self) -> Result<String, ParseError> {
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
    pub(super) fn skip_double_quoted_raw(&mut self) -> Result<(), ParseError> {
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
    pub(super) fn here_string(&mut self) -> Result<(), ParseError> {
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
    pub(super) fn variable(&mut self) -> Result<Value, ParseError> {
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
    pub(super) fn index(&mut self) -> Result<Member, ParseError> {
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
    pub(super) fn argument_word(&mut self) -> Result<Value, ParseError> {
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
    pub(super) fn number(&mut self) -> Result<Value, ParseError> {
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

pub(super) fn collapse(parts: Vec<StrPart>) -> Value {
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

pub(super) fn number_or_range(text: &str) -> Option<Value> {
    if let Some(v) = parse_number(text) {
        return Some(v);
    }
    let (a, b) = text.split_once("..")?;
    match (parse_number(a)?, parse_number(b)?) {
        (Value::Int(a), Value::Int(b)) => expand_range(a, b),
        _ => None,
    }
}

pub(super) fn expand_range(a: i64, b: i64) -> Option<Value> {
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
