//! Literals: numbers, single- and double-quoted strings, here-strings, expandable strings and hashtables.

use super::*;

impl Parser {
    pub(super) fn number(&mut self) -> PResult<Value> {
        let start = self.i;
        if self.at('0') && matches!(self.peek_at(1), Some('x' | 'X')) {
            self.i += 2;
            let mut digits = String::new();
            while let Some(c) = self.peek() {
                if c.is_ascii_hexdigit() {
                    digits.push(c);
                    self.i += 1;
                } else {
                    break;
                }
            }
            let v = i64::from_str_radix(&digits, 16).map_err(|_| {
                self.error_at(
                    start,
                    "BadNumericConstant",
                    "The numeric constant is not valid.",
                )
            })?;
            return Ok(Value::Int(v));
        }
        let mut s = String::new();
        let mut is_float = false;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                s.push(c);
                self.i += 1;
            } else if c == '.' && !is_float && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
                is_float = true;
                s.push(c);
                self.i += 1;
            } else {
                break;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.i;
            let mut exp = String::from("e");
            self.i += 1;
            if let Some(sign @ ('+' | '-')) = self.peek() {
                exp.push(sign);
                self.i += 1;
            }
            let mut any = false;
            while let Some(c) = self.peek() {
                if c.is_ascii_digit() {
                    exp.push(c);
                    self.i += 1;
                    any = true;
                } else {
                    break;
                }
            }
            if any {
                is_float = true;
                s.push_str(&exp);
            } else {
                self.i = save;
            }
        }
        if s.is_empty() {
            return Err(self.unexpected());
        }
        let bad = || ParseError {
            message: "The numeric constant is not valid.".into(),
            error_id: "BadNumericConstant",
            line: 0,
            column: 0,
            offset: start,
        };
        let mut value = if is_float {
            Value::Double(s.parse::<f64>().map_err(|_| bad())?)
        } else {
            match s.parse::<i64>() {
                Ok(v) => Value::Int(v),
                Err(_) => Value::Double(s.parse::<f64>().map_err(|_| bad())?),
            }
        };
        // Suffixes: d (decimal, kept as double), l (long), kb mb gb tb pb.
        let suffix: String = self
            .src
            .iter()
            .skip(self.i)
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_lowercase();
        let mult: Option<i64> = match suffix.as_str() {
            "kb" => Some(1 << 10),
            "mb" => Some(1 << 20),
            "gb" => Some(1 << 30),
            "tb" => Some(1 << 40),
            "pb" => Some(1 << 50),
            "l" | "d" => Some(1),
            _ => None,
        };
        if let Some(m) = mult {
            self.i += suffix.len();
            value = match value {
                Value::Int(i) => i
                    .checked_mul(m)
                    .map(Value::Int)
                    .unwrap_or(Value::Double(i as f64 * m as f64)),
                Value::Double(d) => Value::Double(d * m as f64),
                other => other,
            };
        }
        if self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            let mut e = bad();
            let p = self.pos_at(start);
            e.line = p.line;
            e.column = p.column;
            return Err(e);
        }
        Ok(value)
    }

    pub(super) fn single_quoted(&mut self) -> PResult<Expr> {
        let start = self.i;
        self.i += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at(
                    start,
                    "TerminatorExpectedAtEndOfString",
                    "The string is missing the terminator: '.",
                ));
            };
            self.i += 1;
            if is_single_quote(c) {
                if self.peek().is_some_and(is_single_quote) {
                    s.push('\'');
                    self.i += 1;
                    continue;
                }
                return Ok(Expr::Const(Value::String(s)));
            }
            s.push(c);
        }
    }

    pub(super) fn double_quoted(&mut self) -> PResult<Expr> {
        let start = self.i;
        self.i += 1;
        let parts = self.expandable_until(start, false)?;
        Ok(make_expandable(parts))
    }

    pub(super) fn here_string(&mut self) -> PResult<Expr> {
        let start = self.i;
        let q = self.peek_at(1).unwrap_or('"');
        self.i += 2;
        self.skip_ws();
        if self.at('\r') {
            self.i += 1;
        }
        if !self.at('\n') {
            return Err(self.error("UnexpectedCharactersAfterHereStringHeader", "No characters are allowed after a here-string header but before the end of the line."));
        }
        self.i += 1;
        if is_single_quote(q) {
            let mut s = String::new();
            loop {
                let Some(c) = self.peek() else {
                    return Err(self.error_at(
                        start,
                        "TerminatorExpectedAtEndOfString",
                        "The string is missing the terminator: '@.",
                    ));
                };
                if c == '\n'
                    && self.peek_at(1).is_some_and(is_single_quote)
                    && self.peek_at(2) == Some('@')
                {
                    self.i += 3;
                    if s.ends_with('\r') {
                        s.pop();
                    }
                    return Ok(Expr::Const(Value::String(s)));
                }
                s.push(c);
                self.i += 1;
            }
        }
        let parts = self.expandable_until(start, true)?;
        Ok(make_expandable(parts))
    }

    /// Parses the body of a double-quoted string (or here-string) after the opening quote.
    pub(super) fn expandable_until(&mut self, start: usize, here: bool) -> PResult<Vec<StrPart>> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        loop {
            let Some(c) = self.peek() else {
                let t = if here { "\"@" } else { "\"" };
                return Err(self.error_at(
                    start,
                    "TerminatorExpectedAtEndOfString",
                    &format!("The string is missing the terminator: {t}."),
                ));
            };
            if here {
                if c == '\n'
                    && self.peek_at(1).is_some_and(is_double_quote)
                    && self.peek_at(2) == Some('@')
                {
                    self.i += 3;
                    if lit.ends_with('\r') {
                        lit.pop();
                    }
                    break;
                }
            } else if is_double_quote(c) {
                self.i += 1;
                if self.peek().is_some_and(is_double_quote) {
                    lit.push('"');
                    self.i += 1;
                    continue;
                }
                break;
            }
            if c == '`' {
                self.i += 1;
                if let Some(n) = self.peek() {
                    self.i += 1;
                    if n == 'u' && self.at('{') {
                        let mut hex = String::new();
                        self.i += 1;
                        while let Some(h) = self.peek() {
                            self.i += 1;
                            if h == '}' {
                                break;
                            }
                            hex.push(h);
                        }
                        if let Some(ch) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            lit.push(ch);
                        }
                        continue;
                    }
                    lit.push(backtick_escape(n));
                }
                continue;
            }
            if c == '$' {
                match self.peek_at(1) {
                    Some('(') => {
                        if !lit.is_empty() {
                            parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                        }
                        self.i += 2;
                        let save_nc = self.no_comma;
                        self.no_comma = false;
                        let b = self.statements(Some(')'));
                        self.no_comma = save_nc;
                        let b = b?;
                        self.i += 1;
                        parts.push(StrPart::Expr(Expr::SubExpression(b)));
                        continue;
                    }
                    Some(n)
                        if n.is_alphanumeric()
                            || n == '_'
                            || n == '{'
                            || n == '$'
                            || n == '?'
                            || n == '^' =>
                    {
                        if !lit.is_empty() {
                            parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                        }
                        let v = self.variable()?;
                        parts.push(StrPart::Expr(v));
                        continue;
                    }
                    _ => {}
                }
            }
            lit.push(c);
            self.i += 1;
        }
        if !lit.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Ok(parts)
    }

    pub(super) fn hashtable(&mut self) -> PResult<Expr> {
        let start = self.i;
        self.i += 2;
        let mut entries = Vec::new();
        loop {
            loop {
                self.skip_ws_nl();
                if self.at(';') {
                    self.i += 1;
                } else {
                    break;
                }
            }
            match self.peek() {
                None => {
                    return Err(self.error_at(
                        start,
                        "MissingEndCurlyBrace",
                        "Missing closing '}' in statement block or type definition.",
                    ));
                }
                Some('}') => {
                    self.i += 1;
                    break;
                }
                _ => {}
            }
            // Key: bareword, string, number or parenthesised expression.
            let key = match self.peek() {
                Some(c)
                    if is_single_quote(c)
                        || is_double_quote(c)
                        || c == '('
                        || c == '$'
                        || c.is_ascii_digit() =>
                {
                    let save_nc = self.no_comma;
                    self.no_comma = true;
                    let k = self.postfix();
                    self.no_comma = save_nc;
                    k?
                }
                _ => {
                    let mut name = String::new();
                    while let Some(c) = self.peek() {
                        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
                            name.push(c);
                            self.i += 1;
                        } else {
                            break;
                        }
                    }
                    if name.is_empty() {
                        return Err(self.error(
                            "MissingEqualsInHashLiteral",
                            "Missing '=' operator after key in hash literal.",
                        ));
                    }
                    Expr::Const(Value::String(name))
                }
            };
            self.skip_ws_nl();
            if !self.at('=') {
                return Err(self.error(
                    "MissingEqualsInHashLiteral",
                    "Missing '=' operator after key in hash literal.",
                ));
            }
            self.i += 1;
            self.skip_ws_nl();
            if matches!(self.peek(), None | Some('}' | ';')) {
                return Err(self.error(
                    "MissingStatementInHashLiteral",
                    "Missing statement after '=' in hash literal.",
                ));
            }
            let save_nc = self.no_comma;
            self.no_comma = false;
            let value = self.statement();
            self.no_comma = save_nc;
            entries.push((key, value?));
            self.skip_ws();
            match self.peek() {
                Some('\n' | ';' | '}' | '\r') => {}
                None => {
                    return Err(self.error_at(
                        start,
                        "MissingEndCurlyBrace",
                        "Missing closing '}' in statement block or type definition.",
                    ));
                }
                _ => {
                    return Err(self.error(
                        "MissingEndCurlyBrace",
                        "Missing closing '}' in statement block or type definition.",
                    ));
                }
            }
        }
        Ok(Expr::Hashtable(entries))
    }
}
