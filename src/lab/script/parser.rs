//! A recursive-descent parser for the PowerShell subset, working directly on characters
//! because PowerShell tokenizes differently in expression mode and in argument mode.

use std::sync::Arc;

use super::ast::*;
use super::value::Value;

pub use crate::pslang::{
    MAX_NESTING as MAX_DEPTH, MAX_SOURCE_CHARS as MAX_SCRIPT_CHARS, ParseError,
};
use crate::pslang::{backtick_escape, is_dash, is_double_quote, is_single_quote};

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

    // ---------------------------------------------------------------- statements

    /// A script or script block body: an optional `param(...)` block (after
    /// attributes such as `[CmdletBinding()]`), then statements until `end`.
    fn script_body(&mut self, end: Option<char>) -> PResult<Block> {
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
    fn body_blocks(&mut self, end: Option<char>) -> PResult<Block> {
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
    fn brace_follows(&self, n: usize) -> bool {
        let mut j = self.i + n;
        while self.src.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        self.src.get(j) == Some(&'{')
    }

    /// Parses statements until `end` (not consumed) or end of input.
    fn statements(&mut self, end: Option<char>) -> PResult<Block> {
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

    fn statement(&mut self) -> PResult<Stmt> {
        self.enter()?;
        let r = self.statement_inner();
        self.leave();
        r
    }

    fn statement_inner(&mut self) -> PResult<Stmt> {
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

    fn at_statement_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n' | ';' | '}' | ')' | '\r'))
    }

    fn paren_condition(&mut self, kw: &str) -> PResult<Pipeline> {
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

    fn block_after(&mut self, what: &str) -> PResult<Block> {
        self.skip_ws_nl();
        if !self.at('{') {
            return Err(self.error(
                "MissingStatementBlock",
                &format!("Missing statement block after {what} ( condition )."),
            ));
        }
        self.braced_block()
    }

    fn braced_block(&mut self) -> PResult<Block> {
        self.i += 1;
        let block = self.statements(Some('}'))?;
        self.i += 1;
        Ok(block)
    }

    fn if_statement(&mut self) -> PResult<Stmt> {
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

    fn function_statement(&mut self) -> PResult<Stmt> {
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
    fn param_list(&mut self) -> PResult<Vec<ParamDef>> {
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

    fn try_statement(&mut self) -> PResult<Stmt> {
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

    fn foreach_statement(&mut self) -> PResult<Stmt> {
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

    fn for_statement(&mut self) -> PResult<Stmt> {
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

    fn pipeline_or_assignment(&mut self) -> PResult<Stmt> {
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

    fn assign_op(&mut self) -> Option<AssignOp> {
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

    fn starts_expression(&self) -> bool {
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

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let pos = self.pos();
        let mut elements = Vec::new();
        let first = self.pipe_element()?;
        elements.push(first);
        self.rest_of_pipeline(&mut elements)?;
        Ok(Pipeline { elements, pos })
    }

    fn rest_of_pipeline(&mut self, elements: &mut Vec<PipeElem>) -> PResult<()> {
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

    fn pipe_element(&mut self) -> PResult<PipeElem> {
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

    fn at_arg_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => matches!(c, '\n' | '\r' | '|' | ';' | ')' | '}'),
        }
    }

    fn command(&mut self) -> PResult<Command> {
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
    fn arg_value(&mut self) -> PResult<Expr> {
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

    fn at_arg_boundary(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => c.is_whitespace() || matches!(c, '|' | ';' | ')' | '}' | ',' | '\r'),
        }
    }

    fn single_arg(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.single_arg_inner();
        self.leave();
        r
    }

    fn single_arg_inner(&mut self) -> PResult<Expr> {
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
    fn bareword(&mut self) -> PResult<Expr> {
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

    fn expression(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.logical();
        self.leave();
        r
    }

    /// Reads a dash operator word (`-eq`) at the cursor without consuming it.
    fn dash_word(&self) -> Option<(String, usize)> {
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

    fn after_binary_op(&mut self, len: usize, op_text: &str) -> PResult<()> {
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

    fn logical(&mut self) -> PResult<Expr> {
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

    fn comparison(&mut self) -> PResult<Expr> {
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

    fn additive(&mut self) -> PResult<Expr> {
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

    fn multiplicative(&mut self) -> PResult<Expr> {
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

    fn format(&mut self) -> PResult<Expr> {
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

    fn range(&mut self) -> PResult<Expr> {
        let left = self.comma()?;
        self.skip_ws();
        if self.at('.') && self.peek_at(1) == Some('.') {
            self.after_binary_op(2, "..")?;
            let right = self.comma()?;
            return Ok(Expr::Range(Box::new(left), Box::new(right)));
        }
        Ok(left)
    }

    fn comma(&mut self) -> PResult<Expr> {
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

    fn unary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> PResult<Expr> {
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

    fn type_name(&mut self) -> PResult<String> {
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

    fn postfix(&mut self) -> PResult<Expr> {
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

    fn member_name(&mut self) -> PResult<Expr> {
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

    fn method_args(&mut self) -> PResult<Vec<Expr>> {
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

    fn primary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.primary_inner();
        self.leave();
        r
    }

    fn primary_inner(&mut self) -> PResult<Expr> {
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

    fn variable(&mut self) -> PResult<Expr> {
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

    fn number(&mut self) -> PResult<Value> {
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

    fn single_quoted(&mut self) -> PResult<Expr> {
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

    fn double_quoted(&mut self) -> PResult<Expr> {
        let start = self.i;
        self.i += 1;
        let parts = self.expandable_until(start, false)?;
        Ok(make_expandable(parts))
    }

    fn here_string(&mut self) -> PResult<Expr> {
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
    fn expandable_until(&mut self, start: usize, here: bool) -> PResult<Vec<StrPart>> {
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

    fn hashtable(&mut self) -> PResult<Expr> {
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

fn missing_close(c: char) -> (&'static str, &'static str) {
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

fn comparison_op(w: &str) -> Option<BinOp> {
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

fn comparison_base(w: &str, case: bool) -> Option<BinOp> {
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

fn negate_const(v: Value, neg: bool) -> Value {
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

fn make_expandable(parts: Vec<StrPart>) -> Expr {
    match parts.as_slice() {
        [] => Expr::Const(Value::String(String::new())),
        [StrPart::Lit(s)] => Expr::Const(Value::String(s.clone())),
        _ => Expr::Expandable(parts),
    }
}

fn stmt_as_pipeline(stmt: Stmt, pos: Pos) -> Pipeline {
    match stmt {
        Stmt::Pipeline(p) => p,
        other => Pipeline {
            elements: vec![PipeElem::Expr(Expr::Paren(Box::new(other)))],
            pos,
        },
    }
}

#[cfg(test)]
mod tests;
