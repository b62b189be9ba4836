//! Expressions, by precedence: logical, comparison, additive, multiplicative, format, range, comma, unary, postfix, primary, variables.

use super::*;

pub(super) fn missing_close(c: char) -> (&'static str, &'static str) {
    match c {
        '}' => (
            "MissingEndCurlyBrace",
            "Missing closing '}' in statement block or type definition.",
        ),
        _ => (
            "MissingEndParenthesisInSubexpression",
            "Missing closing ')' in subexpression.",
        ),
    }
}

pub(super) fn comparison_op(w: &str) -> Option<BinOp> {
    if let Some(op) = comparison_base(w, false) {
        return Some(op);
    }
    if let Some(rest) = w.strip_prefix('c') {
        return comparison_base(rest, true);
    }
    if let Some(rest) = w.strip_prefix('i') {
        return comparison_base(rest, false);
    }
    None
}

pub(super) fn comparison_base(w: &str, case: bool) -> Option<BinOp> {
    let base = w;
    let cmp = |op, negate| Some(BinOp::Cmp { op, case, negate });
    match base {
        "eq" => cmp(CmpOp::Eq, false),
        "ne" => cmp(CmpOp::Eq, true),
        "gt" => cmp(CmpOp::Gt, false),
        "lt" => cmp(CmpOp::Lt, false),
        "ge" => cmp(CmpOp::Ge, false),
        "le" => cmp(CmpOp::Le, false),
        "like" => cmp(CmpOp::Like, false),
        "notlike" => cmp(CmpOp::Like, true),
        "match" => cmp(CmpOp::Match, false),
        "notmatch" => cmp(CmpOp::Match, true),
        "contains" => cmp(CmpOp::Contains, false),
        "notcontains" => cmp(CmpOp::Contains, true),
        "in" => cmp(CmpOp::In, false),
        "notin" => cmp(CmpOp::In, true),
        "replace" => Some(BinOp::Replace { case }),
        "split" => Some(BinOp::Split),
        "join" if !case => Some(BinOp::Join),
        "is" if !case => Some(BinOp::Is { negate: false }),
        "isnot" if !case => Some(BinOp::Is { negate: true }),
        "as" if !case => Some(BinOp::As),
        _ => None,
    }
}

pub(super) fn negate_const(v: Value, neg: bool) -> Value {
    if !neg {
        return v;
    }
    match v {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .unwrap_or(Value::Double(-(i as f64))),
        Value::Double(d) => Value::Double(-d),
        other => other,
    }
}

pub(super) fn make_expandable(parts: Vec<StrPart>) -> Expr {
    match parts.as_slice() {
        [] => Expr::Const(Value::String(String::new())),
        [StrPart::Lit(s)] => Expr::Const(Value::String(s.clone())),
        _ => Expr::Expandable(parts),
    }
}

pub(super) fn stmt_as_pipeline(stmt: Stmt, pos: Pos) -> Pipeline {
    match stmt {
        Stmt::Pipeline(p) => p,
        other => Pipeline {
            elements: vec![PipeElem::Expr(Expr::Paren(Box::new(other)))],
            pos,
        },
    }
}

impl Parser {
    pub(super) fn expression(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.logical();
        self.leave();
        r
    }

    /// Reads a dash operator word (`-eq`) at the cursor without consuming it.
    pub(super) fn dash_word(&self) -> Option<(String, usize)> {
        let c = self.peek()?;
        if !is_dash(c) {
            return None;
        }
        let word: String = self
            .src
            .iter()
            .skip(self.i + 1)
            .take_while(|c| c.is_alphabetic())
            .collect();
        if word.is_empty() {
            return None;
        }
        let n = word.chars().count() + 1;
        Some((word.to_ascii_lowercase(), n))
    }

    pub(super) fn after_binary_op(&mut self, len: usize, op_text: &str) -> PResult<()> {
        self.i += len;
        self.skip_ws_nl();
        if matches!(self.peek(), None | Some(')' | '}' | ';' | '|')) {
            return Err(self.error(
                "ExpectedValueExpression",
                &format!("You must provide a value expression following the '{op_text}' operator."),
            ));
        }
        Ok(())
    }

    pub(super) fn logical(&mut self) -> PResult<Expr> {
        let mut left = self.comparison()?;
        loop {
            self.skip_ws();
            let Some((w, n)) = self.dash_word() else {
                break;
            };
            let op = match w.as_str() {
                "and" => BinOp::And,
                "or" => BinOp::Or,
                "xor" => BinOp::Xor,
                _ => break,
            };
            self.after_binary_op(n, &format!("-{w}"))?;
            let right = self.comparison()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn comparison(&mut self) -> PResult<Expr> {
        let mut left = self.additive()?;
        loop {
            self.skip_ws();
            let Some((w, n)) = self.dash_word() else {
                break;
            };
            let Some(op) = comparison_op(&w) else { break };
            self.after_binary_op(n, &format!("-{w}"))?;
            let right = self.additive()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            self.skip_ws();
            let op = match self.peek() {
                Some('+') if self.peek_at(1) != Some('=') && self.peek_at(1) != Some('+') => {
                    BinOp::Add
                }
                Some(c)
                    if is_dash(c)
                        && self
                            .peek_at(1)
                            .is_none_or(|n| !n.is_alphabetic() && n != '=' && !is_dash(n)) =>
                {
                    BinOp::Sub
                }
                _ => break,
            };
            let t = if op == BinOp::Add { "+" } else { "-" };
            self.after_binary_op(1, t)?;
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.format()?;
        loop {
            self.skip_ws();
            let op = match (self.peek(), self.peek_at(1)) {
                (Some('*'), n) if n != Some('=') => BinOp::Mul,
                (Some('/'), n) if n != Some('=') => BinOp::Div,
                (Some('%'), n) if n != Some('=') => BinOp::Rem,
                _ => break,
            };
            self.after_binary_op(1, "*")?;
            let right = self.format()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    pub(super) fn format(&mut self) -> PResult<Expr> {
        let mut left = self.range()?;
        loop {
            self.skip_ws();
            match self.dash_word() {
                Some((w, n)) if w == "f" => {
                    self.after_binary_op(n, "-f")?;
                    let right = self.range()?;
                    left = Expr::Binary(BinOp::Format, Box::new(left), Box::new(right));
                }
                _ => break,
            }
        }
        Ok(left)
    }

    pub(super) fn range(&mut self) -> PResult<Expr> {
        let left = self.comma()?;
        self.skip_ws();
        if self.at('.') && self.peek_at(1) == Some('.') {
            self.after_binary_op(2, "..")?;
            let right = self.comma()?;
            return Ok(Expr::Range(Box::new(left), Box::new(right)));
        }
        Ok(left)
    }

    pub(super) fn comma(&mut self) -> PResult<Expr> {
        if self.at(',') && !self.no_comma {
            // Unary comma: a one-element array.
            self.i += 1;
            self.skip_ws_nl();
            let item = self.unary()?;
            return Ok(Expr::List(vec![item]));
        }
        let first = self.unary()?;
        if self.no_comma {
            return Ok(first);
        }
        let mut items = vec![first];
        loop {
            self.skip_ws();
            if self.at(',') {
                self.i += 1;
                self.skip_ws_nl();
                if matches!(self.peek(), None | Some(')' | '}' | ';' | '|')) {
                    return Err(self.error(
                        "MissingExpressionAfterToken",
                        "Missing expression after ','.",
                    ));
                }
                items.push(self.unary()?);
            } else {
                break;
            }
        }
        if items.len() == 1 {
            Ok(items.pop().unwrap_or(Expr::Const(Value::Null)))
        } else {
            Ok(Expr::List(items))
        }
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    pub(super) fn unary_inner(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.i;
        if self.at('!') {
            self.i += 1;
            self.skip_ws_nl();
            let e = self.unary()?;
            return Ok(Expr::Unary(UnOp::Not, Box::new(e)));
        }
        if let Some((w, n)) = self.dash_word() {
            let op = match w.as_str() {
                "not" => Some(UnOp::Not),
                "join" => Some(UnOp::Join),
                "split" => Some(UnOp::Split),
                _ => None,
            };
            if let Some(op) = op {
                self.i += n;
                self.skip_ws_nl();
                if matches!(self.peek(), None | Some(')' | '}' | ';')) {
                    return Err(self.error(
                        "MissingExpressionAfterOperator",
                        &format!("Missing expression after unary operator '-{w}'."),
                    ));
                }
                let e = self.unary()?;
                return Ok(Expr::Unary(op, Box::new(e)));
            }
            return Err(self.unexpected());
        }
        if let Some(c) = self.peek() {
            if (is_dash(c) || c == '+') && self.peek_at(1) == Some(c) {
                self.i += 2;
                let target = self.unary()?;
                return Ok(Expr::IncDec {
                    target: Box::new(target),
                    delta: if c == '+' { 1 } else { -1 },
                    prefix: true,
                });
            }
            if is_dash(c) || c == '+' {
                self.i += 1;
                self.skip_ws();
                if self.peek().is_none() {
                    return Err(self.error_at(
                        start,
                        "MissingExpressionAfterOperator",
                        &format!("Missing expression after unary operator '{c}'."),
                    ));
                }
                let e = self.unary()?;
                if is_dash(c) {
                    if let Expr::Const(v @ (Value::Int(_) | Value::Double(_))) = &e {
                        return Ok(Expr::Const(negate_const(v.clone(), true)));
                    }
                    return Ok(Expr::Unary(UnOp::Neg, Box::new(e)));
                }
                return Ok(Expr::Unary(UnOp::Plus, Box::new(e)));
            }
            if c == '[' {
                // Cast or type literal.
                let ty = self.type_name()?;
                if self.at(':') && self.peek_at(1) == Some(':') {
                    self.i = start;
                    return self.postfix();
                }
                self.skip_ws();
                let castable = match self.peek() {
                    Some(c) => {
                        c == '$'
                            || c == '('
                            || c == '@'
                            || c == '['
                            || c.is_ascii_digit()
                            || is_single_quote(c)
                            || is_double_quote(c)
                            || c == '{'
                            || (is_dash(c) && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
                    }
                    None => false,
                };
                if castable {
                    let e = self.unary()?;
                    return Ok(Expr::Cast(ty, Box::new(e)));
                }
                self.i = start;
                return self.postfix();
            }
        }
        self.postfix()
    }

    pub(super) fn type_name(&mut self) -> PResult<String> {
        let open = self.i;
        self.i += 1;
        let mut depth = 1;
        let mut name = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        let t = name.trim().to_string();
                        if t.is_empty() {
                            return Err(self.error_at(
                                open,
                                "MissingTypename",
                                "Missing type name after '['.",
                            ));
                        }
                        return Ok(t);
                    }
                }
                '\n' => break,
                _ => {}
            }
            name.push(c);
        }
        Err(self.error_at(
            open,
            "EndSquareBracketExpectedAtEndOfAttribute",
            "Missing ] at end of type token.",
        ))
    }

    pub(super) fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some('.'), Some(n))
                    if n != '.'
                        && (is_name_char(n)
                            || n == '$'
                            || is_single_quote(n)
                            || is_double_quote(n)) =>
                {
                    self.i += 1;
                    let member = self.member_name()?;
                    if self.at('(') {
                        let name = match &member {
                            Expr::Const(Value::String(s)) => s.clone(),
                            _ => return Err(self.unexpected()),
                        };
                        let args = self.method_args()?;
                        e = Expr::Method(Box::new(e), name, args);
                    } else {
                        e = Expr::Member(Box::new(e), Box::new(member));
                    }
                }
                (Some(':'), Some(':')) => {
                    let Expr::TypeLit(ty) = &e else {
                        return Err(self.unexpected());
                    };
                    let ty = ty.clone();
                    self.i += 2;
                    let member = match self.member_name()? {
                        Expr::Const(Value::String(s)) => s,
                        _ => return Err(self.unexpected()),
                    };
                    if self.at('(') {
                        let args = self.method_args()?;
                        e = Expr::StaticMethod(ty, member, args);
                    } else {
                        e = Expr::StaticMember(ty, member);
                    }
                }
                (Some('['), _) if !matches!(e, Expr::TypeLit(_)) => {
                    self.i += 1;
                    self.skip_ws_nl();
                    let save_nc = self.no_comma;
                    self.no_comma = false;
                    let idx = self.expression();
                    self.no_comma = save_nc;
                    let idx = idx?;
                    self.skip_ws_nl();
                    self.expect(
                        ']',
                        "MissingEndSquareBracket",
                        "Array index expression is missing or not valid.",
                    )?;
                    e = Expr::Index(Box::new(e), Box::new(idx));
                }
                (Some(c), Some(n)) if (c == '+' && n == '+') || (is_dash(c) && is_dash(n)) => {
                    if !matches!(e, Expr::Var(_) | Expr::Member(..) | Expr::Index(..)) {
                        break;
                    }
                    self.i += 2;
                    e = Expr::IncDec {
                        target: Box::new(e),
                        delta: if c == '+' { 1 } else { -1 },
                        prefix: false,
                    };
                }
                _ => break,
            }
        }
        Ok(e)
    }

    pub(super) fn member_name(&mut self) -> PResult<Expr> {
        match self.peek() {
            Some('$') => self.variable(),
            Some(c) if is_single_quote(c) || is_double_quote(c) => self.primary(),
            _ => {
                let mut name = String::new();
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || c == '_' {
                        name.push(c);
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                if name.is_empty() {
                    return Err(self.error(
                        "MissingPropertyName",
                        "Missing property name after reference operator.",
                    ));
                }
                Ok(Expr::Const(Value::String(name)))
            }
        }
    }

    pub(super) fn method_args(&mut self) -> PResult<Vec<Expr>> {
        let open = self.i;
        self.i += 1;
        let mut args = Vec::new();
        let save_nc = self.no_comma;
        self.no_comma = true;
        self.skip_ws_nl();
        if self.at(')') {
            self.i += 1;
            self.no_comma = save_nc;
            return Ok(args);
        }
        loop {
            self.skip_ws_nl();
            let a = self.expression();
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    self.no_comma = save_nc;
                    return Err(e);
                }
            };
            args.push(a);
            self.skip_ws_nl();
            if self.at(',') {
                self.i += 1;
                continue;
            }
            if self.at(')') {
                self.i += 1;
                break;
            }
            self.no_comma = save_nc;
            return Err(self.error_at(
                open,
                "MissingEndParenthesisInMethodCall",
                "Missing ')' in method call.",
            ));
        }
        self.no_comma = save_nc;
        Ok(args)
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.primary_inner();
        self.leave();
        r
    }

    pub(super) fn primary_inner(&mut self) -> PResult<Expr> {
        let start = self.i;
        let Some(c) = self.peek() else {
            return Err(self.error(
                "ExpectedExpression",
                "An expression was expected after '('.",
            ));
        };
        match c {
            '$' if self.peek_at(1) == Some('(') => {
                self.i += 2;
                let save_nc = self.no_comma;
                self.no_comma = false;
                let b = self.statements(Some(')'));
                self.no_comma = save_nc;
                let b = b?;
                self.i += 1;
                Ok(Expr::SubExpression(b))
            }
            '$' => self.variable(),
            '@' => match self.peek_at(1) {
                Some('(') => {
                    self.i += 2;
                    let save_nc = self.no_comma;
                    self.no_comma = false;
                    let b = self.statements(Some(')'));
                    self.no_comma = save_nc;
                    let b = b?;
                    self.i += 1;
                    Ok(Expr::ArraySub(b))
                }
                Some('{') => self.hashtable(),
                Some(q) if is_double_quote(q) || is_single_quote(q) => self.here_string(),
                _ => Err(self.unexpected()),
            },
            '(' => {
                self.i += 1;
                self.skip_ws_nl();
                if self.at(')') {
                    return Err(self.error(
                        "ExpectedExpression",
                        "An expression was expected after '('.",
                    ));
                }
                let save_nc = self.no_comma;
                self.no_comma = false;
                let s = self.statement();
                self.no_comma = save_nc;
                let s = s?;
                self.skip_ws_nl();
                if !self.at(')') {
                    if self.peek().is_none() {
                        return Err(self.error_at(
                            start,
                            "MissingEndParenthesisInExpression",
                            "Missing closing ')' in expression.",
                        ));
                    }
                    return Err(self.unexpected());
                }
                self.i += 1;
                Ok(Expr::Paren(Box::new(s)))
            }
            '{' => {
                self.i += 1;
                let body_start = self.i;
                let save_nc = self.no_comma;
                self.no_comma = false;
                let b = self.script_body(Some('}'));
                self.no_comma = save_nc;
                let b = b?;
                let text = self.text(body_start, self.i);
                self.i += 1;
                Ok(Expr::ScriptBlock(Arc::new(b), text))
            }
            '[' => {
                let ty = self.type_name()?;
                Ok(Expr::TypeLit(ty))
            }
            c if is_single_quote(c) => self.single_quoted(),
            c if is_double_quote(c) => self.double_quoted(),
            c if c.is_ascii_digit() || c == '.' => {
                let v = self.number()?;
                Ok(Expr::Const(v))
            }
            _ => Err(self.unexpected()),
        }
    }

    pub(super) fn variable(&mut self) -> PResult<Expr> {
        let start = self.i;
        self.i += 1; // '$'
        if self.at('{') {
            self.i += 1;
            let mut name = String::new();
            while let Some(c) = self.peek() {
                self.i += 1;
                if c == '}' {
                    return Ok(Expr::Var(name));
                }
                if c == '`' {
                    if let Some(n) = self.peek() {
                        name.push(n);
                        self.i += 1;
                    }
                    continue;
                }
                name.push(c);
            }
            return Err(self.error_at(
                start,
                "IncompleteDollarVariableReference",
                "Missing '}' in variable reference.",
            ));
        }
        match self.peek() {
            Some(c @ ('$' | '^')) => {
                self.i += 1;
                return Ok(Expr::Var(c.to_string()));
            }
            Some('?') => {
                self.i += 1;
                return Ok(Expr::Var("?".into()));
            }
            _ => {}
        }
        let mut name = String::new();
        while let Some(c) = self.peek() {
            let scope_colon = c == ':'
                && !name.is_empty()
                && self
                    .peek_at(1)
                    .is_some_and(|n| n.is_alphanumeric() || n == '_')
                && !name.contains(':');
            if c.is_alphanumeric() || c == '_' || scope_colon {
                name.push(c);
                self.i += 1;
            } else {
                break;
            }
        }
        if name.is_empty() {
            return Err(self.error_at(
                start,
                "InvalidVariableReference",
                "Invalid variable reference. '$' was not followed by a valid variable name character. Consider using ${} to delimit the name.",
            ));
        }
        Ok(Expr::Var(name))
    }
}
