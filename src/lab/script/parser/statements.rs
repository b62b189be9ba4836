//! Statements: script bodies and blocks, if/function/param/try/foreach/for, pipelines, assignments and command arguments.

use super::*;

impl Parser {
    /// A script or script block body: an optional `param(...)` block (after
    /// attributes such as `[CmdletBinding()]`), then statements until `end`.
    pub(super) fn script_body(&mut self, end: Option<char>) -> PResult<Block> {
        let start = self.i;
        self.skip_ws_nl();
        // Attributes have parentheses; a bare `[int]` is a cast expression.
        let mut attributes = true;
        while attributes && self.at('[') {
            attributes = self.type_name()?.contains('(');
            self.skip_ws_nl();
        }
        if attributes && self.at_keyword("param") {
            self.i += 5;
            self.skip_ws_nl();
            if !self.at('(') {
                return Err(self.error(
                    "ParamBlockMissingParenthesis",
                    "Missing '(' in param block.",
                ));
            }
            let params = self.param_list()?;
            let mut block = self.body_blocks(end)?;
            block.params = params;
            return Ok(block);
        }
        self.i = start;
        self.body_blocks(end)
    }

    /// Named `begin`/`process`/`end` blocks, or plain statements (an end block).
    pub(super) fn body_blocks(&mut self, end: Option<char>) -> PResult<Block> {
        let start = self.i;
        self.skip_ws_nl();
        let named = ["begin", "process", "end"]
            .iter()
            .any(|k| self.at_keyword(k) && self.brace_follows(k.len()));
        if !named {
            self.i = start;
            return self.statements(end);
        }
        let (mut begin, mut process, mut end_block) = (None, None, None);
        loop {
            self.skip_ws_nl();
            let which = ["begin", "process", "end"]
                .into_iter()
                .find(|k| self.at_keyword(k));
            let Some(k) = which else { break };
            self.i += k.len();
            self.skip_ws_nl();
            if !self.at('{') {
                return Err(self.error(
                    "MissingNamedStatementBlock",
                    "Missing statement block after the named block keyword.",
                ));
            }
            let b = Box::new(self.braced_block()?);
            match k {
                "begin" => begin = Some(b),
                "process" => process = Some(b),
                _ => end_block = Some(b),
            }
        }
        self.skip_ws_nl();
        match (self.peek(), end) {
            (None, None) => {}
            (Some(c), Some(e)) if c == e => {}
            (None, Some(e)) => {
                let (id, msg) = missing_close(e);
                return Err(self.error(id, msg));
            }
            _ => return Err(self.unexpected()),
        }
        let mut block = end_block.map_or(
            Block {
                statements: Vec::new(),
                params: Vec::new(),
                begin: None,
                process: None,
            },
            |b| *b,
        );
        block.begin = begin;
        block.process = process;
        Ok(block)
    }

    /// True when `{` follows the next `n` characters (after blanks).
    pub(super) fn brace_follows(&self, n: usize) -> bool {
        let mut j = self.i + n;
        while self.src.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        self.src.get(j) == Some(&'{')
    }

    /// Parses statements until `end` (not consumed) or end of input.
    pub(super) fn statements(&mut self, end: Option<char>) -> PResult<Block> {
        self.enter()?;
        let mut statements = Vec::new();
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
                    if let Some(e) = end {
                        let (id, msg) = missing_close(e);
                        return Err(self.error(id, msg));
                    }
                    break;
                }
                Some(c) if Some(c) == end => break,
                Some(c) if end.is_none() && (c == ')' || c == '}') => {
                    return Err(self.unexpected());
                }
                _ => {}
            }
            let stmt = self.statement()?;
            statements.push(stmt);
            self.skip_ws();
            match self.peek() {
                None | Some('\n' | ';') => {}
                Some(c) if Some(c) == end => {}
                Some('\r') => {}
                _ => return Err(self.unexpected()),
            }
        }
        self.leave();
        Ok(Block {
            statements,
            params: Vec::new(),
            begin: None,
            process: None,
        })
    }

    pub(super) fn statement(&mut self) -> PResult<Stmt> {
        self.enter()?;
        let r = self.statement_inner();
        self.leave();
        r
    }

    pub(super) fn statement_inner(&mut self) -> PResult<Stmt> {
        if self.at_keyword("if") {
            return self.if_statement();
        }
        if self.at_keyword("foreach") {
            return self.foreach_statement();
        }
        if self.at_keyword("while") {
            self.i += 5;
            let cond = self.paren_condition("while")?;
            let body = self.block_after("while")?;
            return Ok(Stmt::While { cond, body });
        }
        if self.at_keyword("for") {
            return self.for_statement();
        }
        if self.at_keyword("break") {
            self.i += 5;
            return Ok(Stmt::Break);
        }
        if self.at_keyword("continue") {
            self.i += 8;
            return Ok(Stmt::Continue);
        }
        if self.at_keyword("throw") {
            let pos = self.pos();
            self.i += 5;
            self.skip_ws();
            let value = if self.at_statement_end() {
                None
            } else {
                Some(self.pipeline()?)
            };
            return Ok(Stmt::Throw(value, pos));
        }
        if self.at_keyword("function") {
            return self.function_statement();
        }
        if self.at_keyword("try") {
            return self.try_statement();
        }
        if self.at_keyword("return") {
            self.i += 6;
            self.skip_ws();
            let value = if self.at_statement_end() {
                None
            } else {
                Some(self.pipeline()?)
            };
            return Ok(Stmt::Return(value));
        }
        for kw in [
            "filter", "workflow", "class", "enum", "trap", "switch", "do",
        ] {
            if self.at_keyword(kw) {
                return Err(self.error(
                    "NotSupportedInLab",
                    &format!("The '{kw}' keyword is not supported by the lab endpoint."),
                ));
            }
        }
        self.pipeline_or_assignment()
    }

    pub(super) fn at_statement_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n' | ';' | '}' | ')' | '\r'))
    }

    pub(super) fn paren_condition(&mut self, kw: &str) -> PResult<Pipeline> {
        self.skip_ws();
        if !self.at('(') {
            return Err(self.error(
                "MissingOpenParenthesisAfterKeyword",
                &format!("Missing opening '(' after keyword '{kw}'."),
            ));
        }
        self.i += 1;
        self.skip_ws_nl();
        if self.at(')') {
            return Err(self.error(
                "IfStatementMissingCondition",
                &format!("Missing condition in {kw} statement after '{kw} ('."),
            ));
        }
        let pos = self.pos();
        let stmt = self.statement()?;
        self.skip_ws_nl();
        self.expect(
            ')',
            "MissingEndParenthesisAfterStatement",
            &format!("Missing closing ')' after expression in '{kw}' statement."),
        )?;
        Ok(stmt_as_pipeline(stmt, pos))
    }

    pub(super) fn block_after(&mut self, what: &str) -> PResult<Block> {
        self.skip_ws_nl();
        if !self.at('{') {
            return Err(self.error(
                "MissingStatementBlock",
                &format!("Missing statement block after {what} ( condition )."),
            ));
        }
        self.braced_block()
    }

    pub(super) fn braced_block(&mut self) -> PResult<Block> {
        self.i += 1;
        let block = self.statements(Some('}'))?;
        self.i += 1;
        Ok(block)
    }

    pub(super) fn if_statement(&mut self) -> PResult<Stmt> {
        self.i += 2;
        let mut clauses = Vec::new();
        let cond = self.paren_condition("if")?;
        let body = self.block_after("if")?;
        clauses.push((cond, body));
        let mut else_block = None;
        loop {
            let save = self.i;
            self.skip_ws_nl();
            if self.at_keyword("elseif") {
                self.i += 6;
                let cond = self.paren_condition("elseif")?;
                let body = self.block_after("elseif")?;
                clauses.push((cond, body));
            } else if self.at_keyword("else") {
                self.i += 4;
                self.skip_ws_nl();
                if !self.at('{') {
                    return Err(self.error(
                        "MissingStatementBlockAfterElse",
                        "Missing statement block after 'else' keyword.",
                    ));
                }
                else_block = Some(self.braced_block()?);
                break;
            } else {
                self.i = save;
                break;
            }
        }
        Ok(Stmt::If {
            clauses,
            else_block,
        })
    }

    pub(super) fn function_statement(&mut self) -> PResult<Stmt> {
        self.i += 8;
        self.skip_ws();
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || "(){};|".contains(c) {
                break;
            }
            name.push(c);
            self.i += 1;
        }
        if name.is_empty() {
            return Err(self.error(
                "MissingNameAfterKeyword",
                "Missing name after function keyword.",
            ));
        }
        self.skip_ws();
        let mut params = Vec::new();
        if self.at('(') {
            params = self.param_list()?;
        }
        self.skip_ws_nl();
        if !self.at('{') {
            return Err(self.error(
                "MissingFunctionBody",
                "Missing function body in function declaration.",
            ));
        }
        self.i += 1;
        // Attributes such as [CmdletBinding()] and a param(...) block open the body.
        loop {
            self.skip_ws_nl();
            if self.at('[') {
                self.type_name()?;
                continue;
            }
            break;
        }
        if self.at_keyword("param") {
            self.i += 5;
            self.skip_ws_nl();
            if !self.at('(') {
                return Err(self.error(
                    "ParamBlockMissingParenthesis",
                    "Missing '(' in param block.",
                ));
            }
            params = self.param_list()?;
        }
        let body = self.body_blocks(Some('}'))?;
        self.i += 1;
        Ok(Stmt::Function(Arc::new(FunctionDef { name, params, body })))
    }

    /// `( [attr][type]$name = default, ... )`, cursor on '('.
    pub(super) fn param_list(&mut self) -> PResult<Vec<ParamDef>> {
        let open = self.i;
        self.i += 1;
        let mut params = Vec::new();
        loop {
            self.skip_ws_nl();
            if self.at(')') {
                self.i += 1;
                return Ok(params);
            }
            let mut ty = None;
            let mut from_pipeline = false;
            while self.at('[') {
                let t = self.type_name()?;
                if !t.contains('(') {
                    ty = Some(t);
                } else if t
                    .to_ascii_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "valuefrompipeline")
                {
                    from_pipeline = true;
                }
                self.skip_ws_nl();
            }
            if !self.at('$') {
                if self.peek().is_none() {
                    return Err(self.error_at(
                        open,
                        "MissingEndParenthesisInFunctionParameterList",
                        "Missing ')' in function parameter list.",
                    ));
                }
                return Err(self.unexpected());
            }
            let name = match self.variable()? {
                Expr::Var(v) => v,
                _ => return Err(self.unexpected()),
            };
            self.skip_ws_nl();
            let default = if self.at('=') {
                self.i += 1;
                self.skip_ws_nl();
                let save_nc = self.no_comma;
                self.no_comma = true;
                let e = self.expression();
                self.no_comma = save_nc;
                Some(e?)
            } else {
                None
            };
            params.push(ParamDef {
                name,
                ty,
                default,
                from_pipeline,
            });
            self.skip_ws_nl();
            if self.at(',') {
                self.i += 1;
            } else if !self.at(')') {
                if self.peek().is_none() {
                    return Err(self.error_at(
                        open,
                        "MissingEndParenthesisInFunctionParameterList",
                        "Missing ')' in function parameter list.",
                    ));
                }
                return Err(self.unexpected());
            }
        }
    }

    pub(super) fn try_statement(&mut self) -> PResult<Stmt> {
        self.i += 3;
        self.skip_ws_nl();
        if !self.at('{') {
            return Err(self.error(
                "MissingTryStatementBlock",
                "The Try statement is missing its statement block.",
            ));
        }
        let body = self.braced_block()?;
        let mut catches = Vec::new();
        let mut finally = None;
        loop {
            let save = self.i;
            self.skip_ws_nl();
            if self.at_keyword("catch") {
                self.i += 5;
                let mut types = Vec::new();
                loop {
                    self.skip_ws_nl();
                    if self.at('[') {
                        types.push(self.type_name()?);
                        self.skip_ws_nl();
                        if self.at(',') {
                            self.i += 1;
                            continue;
                        }
                    }
                    break;
                }
                if !self.at('{') {
                    return Err(self.error(
                        "MissingCatchHandlerBlock",
                        "The Catch block is missing its statement block.",
                    ));
                }
                catches.push((types, self.braced_block()?));
            } else if self.at_keyword("finally") {
                self.i += 7;
                self.skip_ws_nl();
                if !self.at('{') {
                    return Err(self.error(
                        "MissingFinallyStatementBlock",
                        "The Finally block is missing its statement block.",
                    ));
                }
                finally = Some(self.braced_block()?);
                break;
            } else {
                self.i = save;
                break;
            }
        }
        if catches.is_empty() && finally.is_none() {
            return Err(self.error(
                "MissingCatchOrFinally",
                "The Try statement is missing its Catch or Finally block.",
            ));
        }
        Ok(Stmt::Try {
            body,
            catches,
            finally,
        })
    }

    pub(super) fn foreach_statement(&mut self) -> PResult<Stmt> {
        self.i += 7;
        self.skip_ws();
        if !self.at('(') {
            return Err(self.error(
                "MissingOpenParenthesisAfterKeyword",
                "Missing opening '(' after keyword 'foreach'.",
            ));
        }
        self.i += 1;
        self.skip_ws_nl();
        if !self.at('$') {
            return Err(self.error(
                "MissingVariableNameAfterForeach",
                "Missing variable name after foreach.",
            ));
        }
        let var = match self.variable()? {
            Expr::Var(v) => v,
            _ => return Err(self.unexpected()),
        };
        self.skip_ws_nl();
        if !self.at_keyword("in") {
            return Err(self.error(
                "MissingInInForeach",
                "Missing 'in' after variable in foreach loop.",
            ));
        }
        self.i += 2;
        self.skip_ws_nl();
        if self.at(')') {
            return Err(self.error(
                "MissingForeachExpression",
                "Missing foreach loop expression after 'in'.",
            ));
        }
        let collection = self.pipeline()?;
        self.skip_ws_nl();
        self.expect(
            ')',
            "MissingEndParenthesisAfterForeach",
            "Missing closing ')' after expression in 'foreach' statement.",
        )?;
        let body = self.block_after("foreach")?;
        Ok(Stmt::Foreach {
            var,
            collection,
            body,
        })
    }

    pub(super) fn for_statement(&mut self) -> PResult<Stmt> {
        self.i += 3;
        self.skip_ws();
        if !self.at('(') {
            return Err(self.error(
                "MissingOpenParenthesisAfterKeyword",
                "Missing opening '(' after keyword 'for'.",
            ));
        }
        self.i += 1;
        let mut parts: Vec<Option<Stmt>> = Vec::new();
        for k in 0..3 {
            self.skip_ws_nl();
            let pos = self.pos();
            let _ = pos;
            if self.at(';') || self.at(')') {
                parts.push(None);
            } else {
                parts.push(Some(self.statement()?));
            }
            self.skip_ws_nl();
            if k < 2 {
                if self.at(';') {
                    self.i += 1;
                } else if !self.at(')') {
                    return Err(self.error(
                        "MissingEndParenthesisAfterStatement",
                        "Missing closing ')' after expression in 'for' statement.",
                    ));
                }
            }
        }
        self.expect(
            ')',
            "MissingEndParenthesisAfterStatement",
            "Missing closing ')' after expression in 'for' statement.",
        )?;
        let body = self.block_after("for")?;
        let mut it = parts.into_iter();
        let init = it.next().flatten().map(Box::new);
        let pos = self.pos();
        let cond = it.next().flatten().map(|s| stmt_as_pipeline(s, pos));
        let step = it.next().flatten().map(Box::new);
        Ok(Stmt::For {
            init,
            cond,
            step,
            body,
        })
    }

    pub(super) fn pipeline_or_assignment(&mut self) -> PResult<Stmt> {
        let start = self.i;
        let pos = self.pos();
        if self.starts_expression() {
            let save_nc = self.no_comma;
            self.no_comma = false;
            let target = self.expression()?;
            self.no_comma = save_nc;
            self.skip_ws();
            if let Some(op) = self.assign_op() {
                if !matches!(target, Expr::Var(_) | Expr::Member(..) | Expr::Index(..)) {
                    return Err(self.error_at(
                        start,
                        "InvalidLeftHandSide",
                        "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.",
                    ));
                }
                self.skip_ws_nl();
                if self.at_statement_end() {
                    return Err(self.error(
                        "ExpectedValueExpression",
                        "You must provide a value expression following the '=' operator.",
                    ));
                }
                let value = self.statement()?;
                return Ok(Stmt::Assign {
                    target,
                    op,
                    value: Box::new(value),
                });
            }
            let mut elements = vec![PipeElem::Expr(target)];
            self.rest_of_pipeline(&mut elements)?;
            return Ok(Stmt::Pipeline(Pipeline { elements, pos }));
        }
        self.i = start;
        Ok(Stmt::Pipeline(self.pipeline()?))
    }

    pub(super) fn assign_op(&mut self) -> Option<AssignOp> {
        let c = self.peek()?;
        let n = self.peek_at(1);
        let (op, len) = match (c, n) {
            ('=', _) => (AssignOp::Set, 1),
            ('+', Some('=')) => (AssignOp::Add, 2),
            ('-', Some('=')) => (AssignOp::Sub, 2),
            ('*', Some('=')) => (AssignOp::Mul, 2),
            ('/', Some('=')) => (AssignOp::Div, 2),
            _ => return None,
        };
        self.i += len;
        Some(op)
    }

    pub(super) fn starts_expression(&self) -> bool {
        let Some(c) = self.peek() else { return false };
        let n = self.peek_at(1);
        match c {
            '$' | '(' | '@' | '[' | '{' | '!' | ',' => true,
            c if is_single_quote(c) || is_double_quote(c) => true,
            c if c.is_ascii_digit() => true,
            '.' => n.is_some_and(|d| d.is_ascii_digit()),
            '+' => n.is_some_and(|d| d.is_ascii_digit() || d == '+'),
            c if is_dash(c) => {
                if n.is_some_and(|d| d.is_ascii_digit() || d == '.' || is_dash(d)) {
                    return true;
                }
                let word: String = self
                    .src
                    .iter()
                    .skip(self.i + 1)
                    .take_while(|c| c.is_alphabetic())
                    .collect::<String>()
                    .to_ascii_lowercase();
                matches!(word.as_str(), "not" | "bnot" | "join" | "split")
            }
            _ => false,
        }
    }

    pub(super) fn pipeline(&mut self) -> PResult<Pipeline> {
        let pos = self.pos();
        let mut elements = Vec::new();
        let first = self.pipe_element()?;
        elements.push(first);
        self.rest_of_pipeline(&mut elements)?;
        Ok(Pipeline { elements, pos })
    }

    pub(super) fn rest_of_pipeline(&mut self, elements: &mut Vec<PipeElem>) -> PResult<()> {
        loop {
            self.skip_ws();
            if self.at('|') && self.peek_at(1) != Some('|') {
                self.i += 1;
                self.skip_ws_nl();
                if matches!(self.peek(), None | Some('|' | ';' | ')' | '}')) {
                    return Err(
                        self.error("EmptyPipeElement", "An empty pipe element is not allowed.")
                    );
                }
                let e = self.pipe_element()?;
                if matches!(e, PipeElem::Expr(_)) {
                    return Err(self.error(
                        "ExpressionsMustBeFirstElementOfPipeline",
                        "Expressions are only allowed as the first element of a pipeline.",
                    ));
                }
                elements.push(e);
            } else {
                return Ok(());
            }
        }
    }

    pub(super) fn pipe_element(&mut self) -> PResult<PipeElem> {
        self.skip_ws();
        if self.at('|') {
            return Err(self.error("EmptyPipeElement", "An empty pipe element is not allowed."));
        }
        if self.starts_expression() {
            let save_nc = self.no_comma;
            self.no_comma = false;
            let e = self.expression();
            self.no_comma = save_nc;
            return Ok(PipeElem::Expr(e?));
        }
        Ok(PipeElem::Command(self.command()?))
    }

    pub(super) fn at_arg_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => matches!(c, '\n' | '\r' | '|' | ';' | ')' | '}'),
        }
    }

    pub(super) fn command(&mut self) -> PResult<Command> {
        let start = self.i;
        let pos = self.pos();
        let mut args = Vec::new();
        let name = if (self.at('&') || self.at('.'))
            && self.peek_at(1).is_some_and(|c| {
                c.is_whitespace()
                    || c == '{'
                    || c == '$'
                    || is_single_quote(c)
                    || is_double_quote(c)
                    || c == '('
            }) {
            let op = if self.at('&') { "&" } else { "." };
            self.i += 1;
            self.skip_ws();
            let target = self.single_arg()?;
            args.push(CmdArg::Value(target));
            op.to_string()
        } else if self
            .peek()
            .is_some_and(|c| is_single_quote(c) || is_double_quote(c))
        {
            return Err(self.unexpected());
        } else {
            let mut name = String::new();
            while let Some(c) = self.peek() {
                if c.is_whitespace() || "|;(){},&".contains(c) {
                    break;
                }
                name.push(c);
                self.i += 1;
            }
            if name.is_empty() {
                return Err(self.unexpected());
            }
            name
        };
        loop {
            self.skip_ws();
            if self.at_arg_terminator() {
                break;
            }
            if self.at('&') && self.peek_at(1) == Some('&') {
                return Err(self.error(
                    "InvalidEndOfLine",
                    "The token '&&' is not a valid statement separator in this version.",
                ));
            }
            if self.at('>')
                || (self.peek().is_some_and(|c| c.is_ascii_digit() || c == '*')
                    && self.peek_at(1) == Some('>'))
            {
                return Err(self.error(
                    "RedirectionNotSupported",
                    "Redirection operators are not supported by the lab endpoint.",
                ));
            }
            let c = self.peek().unwrap_or(' ');
            if is_dash(c)
                && self
                    .peek_at(1)
                    .is_some_and(|n| n.is_alphabetic() || n == '_' || n == '?')
            {
                self.i += 1;
                let mut pname = String::new();
                while let Some(c) = self.peek() {
                    if c.is_whitespace() || "|;(){},:".contains(c) {
                        break;
                    }
                    pname.push(c);
                    self.i += 1;
                }
                let value = if self.at(':') {
                    self.i += 1;
                    self.skip_ws();
                    Some(self.arg_value()?)
                } else {
                    None
                };
                args.push(CmdArg::Param { name: pname, value });
                continue;
            }
            if is_dash(c)
                && self.peek_at(1).is_some_and(is_dash)
                && self.peek_at(2).is_some_and(char::is_whitespace)
            {
                self.i += 2;
                continue;
            }
            let v = self.arg_value()?;
            args.push(CmdArg::Value(v));
        }
        let text = self.text(start, self.i).trim_end().to_string();
        Ok(Command {
            name,
            args,
            pos,
            text,
        })
    }

    /// One argument value, with `,` building an array.
    pub(super) fn arg_value(&mut self) -> PResult<Expr> {
        let first = self.single_arg()?;
        let mut items = vec![first];
        loop {
            self.skip_ws();
            if self.at(',') {
                self.i += 1;
                self.skip_ws_nl();
                if self.at_arg_terminator() {
                    return Err(self.error(
                        "MissingExpressionAfterToken",
                        "Missing argument in parameter list.",
                    ));
                }
                items.push(self.single_arg()?);
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

    pub(super) fn at_arg_boundary(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => c.is_whitespace() || matches!(c, '|' | ';' | ')' | '}' | ',' | '\r'),
        }
    }

    pub(super) fn single_arg(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.single_arg_inner();
        self.leave();
        r
    }

    pub(super) fn single_arg_inner(&mut self) -> PResult<Expr> {
        let start = self.i;
        let c = self.peek().unwrap_or(' ');
        if c == '$' || c == '(' || c == '@' || c == '{' || is_single_quote(c) || is_double_quote(c)
        {
            let save_nc = self.no_comma;
            self.no_comma = true;
            let e = self.postfix();
            self.no_comma = save_nc;
            let e = e?;
            if self.at_arg_boundary() {
                return Ok(e);
            }
            if c == '$' {
                self.i = start;
                return self.bareword();
            }
            return Ok(e);
        }
        if c.is_ascii_digit()
            || (is_dash(c) && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            let neg = is_dash(c);
            if neg {
                self.i += 1;
            }
            if let Ok(v) = self.number()
                && self.at_arg_boundary()
            {
                return Ok(Expr::Const(negate_const(v, neg)));
            }
            self.i = start;
        }
        self.bareword()
    }

    /// A generic token in argument mode: a literal string, or an expandable one when it
    /// contains `$`.
    pub(super) fn bareword(&mut self) -> PResult<Expr> {
        let mut parts: Vec<StrPart> = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, '|' | ';' | ')' | '}' | ',' | '(' | '{') {
                break;
            }
            if c == '`' {
                self.i += 1;
                if let Some(n) = self.peek() {
                    lit.push(backtick_escape(n));
                    self.i += 1;
                }
                continue;
            }
            if c == '$'
                && self
                    .peek_at(1)
                    .is_some_and(|n| is_name_char(n) || n == '(' || n == '{' || n == '_')
            {
                if !lit.is_empty() {
                    parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                }
                let e = if self.peek_at(1) == Some('(') {
                    self.i += 2;
                    let b = self.statements(Some(')'))?;
                    self.i += 1;
                    Expr::SubExpression(b)
                } else {
                    self.variable()?
                };
                parts.push(StrPart::Expr(e));
                continue;
            }
            lit.push(c);
            self.i += 1;
        }
        if parts.is_empty() {
            if lit.is_empty() {
                return Err(self.unexpected());
            }
            return Ok(Expr::Const(Value::String(lit)));
        }
        if !lit.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Ok(Expr::Expandable(parts))
    }

    // ---------------------------------------------------------------- expressions
}
