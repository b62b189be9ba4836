//! The parser: statements, pipelines, command arguments and the constant expressions the command line evaluates itself.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Terminator {
    Eof,
    Paren,
}

pub(super) struct Parser {
    pub(super) lx: Lexer,
}

impl Parser {
    pub(super) fn new(source: &str) -> Result<Self, ParseError> {
        Ok(Self {
            lx: Lexer::new(source)?,
        })
    }

    /// Statements until end of input.
    pub(super) fn statements(&mut self, term: Terminator) -> Result<Vec<Statement>, ParseError> {
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
    pub(super) fn statements_closed(
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

    pub(super) fn skip_separators(&mut self) -> Result<(), ParseError> {
        loop {
            self.lx.skip_space(true)?;
            if self.lx.peek() == Some(';') {
                self.lx.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    pub(super) fn statement(&mut self, term: Terminator) -> Result<Statement, ParseError> {
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

    pub(super) fn at_statement_end(&self, term: Terminator) -> bool {
        match self.lx.peek() {
            None | Some(';' | '\n' | '\r') => true,
            Some(')') => term == Terminator::Paren,
            _ => false,
        }
    }

    pub(super) fn pipeline(&mut self, term: Terminator) -> Result<Pipeline, ParseError> {
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

    pub(super) fn pipeline_element(
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

    pub(super) fn command(&mut self, term: Terminator) -> Result<CommandCall, ParseError> {
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
    pub(super) fn argument_value(&mut self) -> Result<Value, ParseError> {
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

    pub(super) fn argument_primary(&mut self) -> Result<Value, ParseError> {
        match self.lx.peek() {
            Some('(' | '{') => self.primary(),
            Some('@') if matches!(self.lx.peek_at(1), Some('(' | '{')) => self.primary(),
            Some('$') if self.lx.peek_at(1) == Some('(') => self.primary(),
            _ => self.lx.argument_word(),
        }
    }

    /// Expression mode: additive over multiplicative over ranges over comma lists over unary.
    pub(super) fn expression(&mut self) -> Result<Value, ParseError> {
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
            self.operand_follows(op, at)?;
            let rhs = self.multiplicative()?;
            lhs = arith(op, lhs, rhs, at)?;
        }
    }

    pub(super) fn multiplicative(&mut self) -> Result<Value, ParseError> {
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
            self.operand_follows(op, at)?;
            let rhs = self.range()?;
            lhs = arith(op, lhs, rhs, at)?;
        }
    }

    /// An operator at the end of the input (or of its statement) waits for
    /// its right operand: at the end of a line, the line goes on, as in
    /// PowerShell.
    fn operand_follows(&mut self, op: char, at: usize) -> Result<(), ParseError> {
        if self
            .lx
            .peek()
            .is_none_or(|c| matches!(c, ';' | ')' | '}' | '|'))
        {
            return Err(ParseError::new(
                "ExpectedValueExpression",
                format!("You must provide a value expression following the '{op}' operator."),
                at + 1,
            ));
        }
        Ok(())
    }

    pub(super) fn range(&mut self) -> Result<Value, ParseError> {
        let lhs = self.comma_list()?;
        self.lx.skip_space(false)?;
        if self.lx.peek() == Some('.') && self.lx.peek_at(1) == Some('.') {
            let at = self.lx.pos;
            self.lx.pos += 2;
            self.lx.skip_space(true)?;
            let rhs = self.comma_list()?;
            return match (&lhs, &rhs) {
                (Value::Int(a), Value::Int(b)) => {
                    let len = (i128::from(*a) - i128::from(*b)).unsigned_abs() + 1;
                    let total = i128::from(self.lx.expanded) + len as i128;
                    if len <= MAX_RANGE_LEN as u128 && total > i128::from(MAX_RANGE_TOTAL) {
                        return Err(ParseError::new(
                            "RangeTooBig",
                            format!(
                                "The ranges of this line make more than {MAX_RANGE_TOTAL} elements in all."
                            ),
                            at,
                        ));
                    }
                    let list = expand_range(*a, *b).ok_or_else(|| {
                        ParseError::new(
                            "RangeTooBig",
                            format!("The range is larger than {MAX_RANGE_LEN} elements."),
                            at,
                        )
                    })?;
                    self.lx.expanded = total as i64;
                    Ok(list)
                }
                _ => Err(unsupported_operator("..", at)),
            };
        }
        Ok(lhs)
    }

    pub(super) fn comma_list(&mut self) -> Result<Value, ParseError> {
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

    pub(super) fn unary(&mut self) -> Result<Value, ParseError> {
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

    pub(super) fn primary(&mut self) -> Result<Value, ParseError> {
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
    pub(super) fn hashtable(&mut self) -> Result<Value, ParseError> {
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

    pub(super) fn pipeline_in_hash(&mut self) -> Result<Pipeline, ParseError> {
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

pub(super) fn missing_bracket(at: usize) -> ParseError {
    ParseError::new(
        "MissingEndSquareBracket",
        "Missing ']' after array index expression.",
        at,
    )
}

pub(super) fn unsupported_index(at: usize) -> ParseError {
    ParseError::new(
        "UnsupportedIndex",
        "Only a constant number or quoted key is supported as an index here.",
        at,
    )
}

pub(super) fn empty_pipe(at: usize) -> ParseError {
    ParseError::new(
        "EmptyPipeElement",
        "An empty pipe element is not allowed.",
        at,
    )
}

pub(super) fn unsupported_operator(op: &str, at: usize) -> ParseError {
    ParseError::new(
        "OperatorNotSupported",
        format!("The '{op}' operator is supported here only between constant numbers."),
        at,
    )
}

pub(super) fn arith(op: char, lhs: Value, rhs: Value, at: usize) -> Result<Value, ParseError> {
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
pub(super) fn pipeline_value(p: Pipeline) -> Value {
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

pub(super) fn paren_value(mut stmts: Vec<Statement>, at: usize) -> Result<Value, ParseError> {
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

pub(super) fn array_value(stmts: Vec<Statement>) -> Value {
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
