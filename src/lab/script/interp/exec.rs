//! Running statements and pipelines: blocks, loops, assignments, script blocks and functions.

use super::*;

impl Rt {
    pub(crate) fn exec_block<'a>(
        &'a self,
        block: &'a Block,
        out: &'a mut dyn Sink,
    ) -> Fut<'a, R<()>> {
        Box::pin(async move {
            for stmt in &block.statements {
                match self.exec_stmt(stmt, &mut *out).await {
                    Ok(()) => {}
                    Err(Flow::Error(e)) if self.try_depth.load(AtomicOrdering::Relaxed) == 0 => {
                        self.record_error(&e);
                        self.emit(JobEvent::Error(*e)).await;
                    }
                    Err(other) => return Err(other),
                }
                self.tick().await;
            }
            Ok(())
        })
    }

    pub(super) fn exec_stmt<'a>(&'a self, stmt: &'a Stmt, out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async move {
            match stmt {
                Stmt::Pipeline(p) => {
                    // `$i++` as a statement writes nothing.
                    if let [PipeElem::Expr(e @ Expr::IncDec { .. })] = p.elements.as_slice() {
                        self.eval(e).await?;
                        return Ok(());
                    }
                    self.run_pipeline(p, out).await
                }
                Stmt::Assign { target, op, value } => {
                    let v = self.stmt_value(value).await?;
                    self.assign(target, *op, v).await
                }
                Stmt::If {
                    clauses,
                    else_block,
                } => {
                    for (cond, body) in clauses {
                        let c = self.pipeline_value(cond).await?;
                        if c.is_true() {
                            return self.exec_block(body, out).await;
                        }
                    }
                    if let Some(b) = else_block {
                        return self.exec_block(b, out).await;
                    }
                    Ok(())
                }
                Stmt::Foreach {
                    var,
                    collection,
                    body,
                } => {
                    let old = self.session().variable(var);
                    let r = self.exec_foreach(var, collection, body, out).await;
                    if var == "_" {
                        restore_var(self, var, old);
                    }
                    r
                }
                Stmt::While { cond, body } => {
                    loop {
                        self.tick().await;
                        if !self.pipeline_value(cond).await?.is_true() {
                            break;
                        }
                        match self.exec_block(body, &mut *out).await {
                            Ok(()) | Err(Flow::Continue) => {}
                            Err(Flow::Break) => break,
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(())
                }
                Stmt::For {
                    init,
                    cond,
                    step,
                    body,
                } => {
                    if let Some(i) = init {
                        self.exec_stmt(i, &mut Discard).await?;
                    }
                    loop {
                        self.tick().await;
                        if let Some(c) = cond
                            && !self.pipeline_value(c).await?.is_true()
                        {
                            break;
                        }
                        match self.exec_block(body, &mut *out).await {
                            Ok(()) | Err(Flow::Continue) => {}
                            Err(Flow::Break) => break,
                            Err(e) => return Err(e),
                        }
                        if let Some(s) = step {
                            self.exec_stmt(s, &mut Discard).await?;
                        }
                    }
                    Ok(())
                }
                Stmt::Try {
                    body,
                    catches,
                    finally,
                } => {
                    self.try_depth.fetch_add(1, AtomicOrdering::Relaxed);
                    let r = self.exec_block(body, &mut *out).await;
                    self.try_depth.fetch_sub(1, AtomicOrdering::Relaxed);
                    let r = match r {
                        Err(Flow::Error(e) | Flow::Terminate(e)) => {
                            let handler = catches.iter().find(|(types, _)| {
                                types.is_empty() || types.iter().any(|t| catches_type(t, &e))
                            });
                            match handler {
                                Some((_, block)) => {
                                    self.record_error(&e);
                                    let old = self.session().variable("_");
                                    self.session().set_variable("_", error_value(&e));
                                    let r2 = self.exec_block(block, &mut *out).await;
                                    restore_var(self, "_", old);
                                    r2
                                }
                                None => Err(Flow::Terminate(e)),
                            }
                        }
                        other => other,
                    };
                    if let Some(f) = finally {
                        self.exec_block(f, &mut *out).await?;
                    }
                    r
                }
                Stmt::Function(def) => {
                    let mut s = self.session();
                    s.functions
                        .retain(|f| !f.name.eq_ignore_ascii_case(&def.name));
                    if s.functions.len() < 1000 {
                        s.functions.push(def.clone());
                    }
                    Ok(())
                }
                Stmt::Break => Err(Flow::Break),
                Stmt::Continue => Err(Flow::Continue),
                Stmt::Return(v) => {
                    if let Some(p) = v {
                        self.run_pipeline(p, out).await?;
                    }
                    Err(Flow::Return)
                }
                Stmt::Throw(v, pos) => {
                    let value = match v {
                        Some(p) => self.pipeline_value(p).await?,
                        None => Value::Null,
                    };
                    Err(Flow::Terminate(Box::new(throw_error(value, *pos))))
                }
            }
        })
    }

    pub(super) async fn exec_foreach(
        &self,
        var: &str,
        collection: &Pipeline,
        body: &Block,
        out: &mut dyn Sink,
    ) -> R<()> {
        // A lone range streams lazily; anything else is evaluated first.
        if let [PipeElem::Expr(Expr::Range(a, b))] = collection.elements.as_slice() {
            let (from, to) = self.range_bounds(a, b).await?;
            let mut i = from;
            loop {
                self.tick().await;
                self.set_var(var, Value::Int(i))?;
                match self.exec_block(body, &mut *out).await {
                    Ok(()) | Err(Flow::Continue) => {}
                    Err(Flow::Break) => break,
                    Err(e) => return Err(e),
                }
                if i == to {
                    break;
                }
                i += if to > from { 1 } else { -1 };
            }
            return Ok(());
        }
        let items = self.pipeline_value(collection).await?;
        let items = match items {
            Value::Null => Vec::new(),
            other => other.into_items(),
        };
        for item in items {
            self.tick().await;
            self.set_var(var, item)?;
            match self.exec_block(body, &mut *out).await {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The value of a statement used as an expression (assignment right-hand side).
    pub(crate) fn stmt_value<'a>(&'a self, stmt: &'a Stmt) -> Fut<'a, R<Value>> {
        Box::pin(async move {
            match stmt {
                Stmt::Pipeline(p) => self.pipeline_value(p).await,
                other => {
                    let mut c = Collect(Vec::new());
                    self.exec_stmt(other, &mut c).await?;
                    Ok(collapse(c.0))
                }
            }
        })
    }

    /// A pipeline's output as one value (nothing → `$null`, one → it, more → array).
    pub(crate) async fn pipeline_value(&self, p: &Pipeline) -> R<Value> {
        // A single expression keeps its value as is (arrays stay arrays).
        if let [PipeElem::Expr(e)] = p.elements.as_slice() {
            return self.eval(e).await;
        }
        let mut c = Collect(Vec::new());
        self.run_pipeline(p, &mut c).await?;
        Ok(collapse(c.0))
    }

    /// Runs a pipeline, streaming into `out`.
    pub(crate) fn run_pipeline<'a>(
        &'a self,
        p: &'a Pipeline,
        out: &'a mut dyn Sink,
    ) -> Fut<'a, R<()>> {
        Box::pin(async move {
            let mut stages: Vec<Box<dyn Stage>> = Vec::new();
            let (first_expr, commands) = match p.elements.split_first() {
                Some((PipeElem::Expr(e), rest)) => (Some(e), rest),
                Some((PipeElem::Command(_), _)) => (None, p.elements.as_slice()),
                None => return Ok(()),
            };
            for el in commands {
                if let PipeElem::Command(c) = el {
                    stages.push(cmdlets::build(self, c).await?);
                }
            }
            if stages.is_empty() {
                if let Some(e) = first_expr {
                    return self.stream_expr(e, out).await;
                }
                return Ok(());
            }
            let tokens: Vec<u64> = stages.iter().map(|s| s.token()).collect();
            let n = stages.len();
            let mut start_end = 0usize;
            // begin
            let mut i = 0;
            let mut phase: R<()> = Ok(());
            while i < n {
                let (head, rest) = stages.split_at_mut(i + 1);
                let Some(cur) = head.last_mut() else { break };
                let mut chain = Chain {
                    stages: rest,
                    next: &mut *out,
                };
                if let Err(e) = cur.begin(self, &mut chain).await {
                    phase = Err(e);
                    break;
                }
                i += 1;
            }
            // process
            if phase.is_ok() {
                phase = match first_expr {
                    Some(e) => {
                        let mut chain = Chain {
                            stages: &mut stages,
                            next: &mut *out,
                        };
                        self.stream_expr(e, &mut chain).await
                    }
                    None => match stages.split_first_mut() {
                        Some((first, rest)) => {
                            let mut chain = Chain {
                                stages: rest,
                                next: &mut *out,
                            };
                            first.process(self, None, &mut chain).await
                        }
                        None => Ok(()),
                    },
                };
            }
            if let Err(Flow::StopUpstream(t)) = &phase {
                match tokens.iter().position(|x| x == t) {
                    Some(k) => {
                        start_end = k;
                        phase = Ok(());
                    }
                    None => return phase,
                }
            }
            phase?;
            // end
            let mut i = start_end;
            while i < n {
                let (head, rest) = stages.split_at_mut(i + 1);
                let Some(cur) = head.last_mut() else { break };
                let mut chain = Chain {
                    stages: rest,
                    next: &mut *out,
                };
                match cur.end(self, &mut chain).await {
                    Ok(()) => i += 1,
                    Err(Flow::StopUpstream(t)) => match tokens.iter().position(|x| *x == t) {
                        Some(k) if k > i => i = k,
                        Some(_) => i += 1,
                        None => return Err(Flow::StopUpstream(t)),
                    },
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }

    /// Writes an expression's value into a pipeline, enumerating arrays and streaming ranges.
    pub(crate) async fn stream_expr(&self, e: &Expr, out: &mut dyn Sink) -> R<()> {
        if let Expr::Range(a, b) = e {
            let (from, to) = self.range_bounds(a, b).await?;
            let mut i = from;
            loop {
                self.tick().await;
                out.write(self, Value::Int(i)).await?;
                if i == to {
                    break;
                }
                i += if to > from { 1 } else { -1 };
            }
            return Ok(());
        }
        let v = self.eval(e).await?;
        match v {
            Value::Array(items) => {
                for item in items {
                    self.tick().await;
                    out.write(self, item).await?;
                }
                Ok(())
            }
            other => out.write(self, other).await,
        }
    }

    pub(super) async fn range_bounds(&self, a: &Expr, b: &Expr) -> R<(i64, i64)> {
        let av = self.eval(a).await?;
        let bv = self.eval(b).await?;
        let conv = |v: &Value| -> R<i64> {
            v.to_int()
                .ok_or_else(|| Flow::error(invalid_cast(v, "System.Int32")))
        };
        Ok((conv(&av)?, conv(&bv)?))
    }

    pub(super) async fn assign(&self, target: &Expr, op: AssignOp, v: Value) -> R<()> {
        let v = if op == AssignOp::Set {
            v
        } else {
            let old = self.eval(target).await?;
            let bop = match op {
                AssignOp::Add => BinOp::Add,
                AssignOp::Sub => BinOp::Sub,
                AssignOp::Mul => BinOp::Mul,
                AssignOp::Div | AssignOp::Set => BinOp::Div,
            };
            binary(bop, old, v)?
        };
        match target {
            Expr::Var(name) => self.set_var(name, v),
            Expr::Member(obj, member) => {
                let name = self.eval(member).await?.to_ps_string();
                self.set_member(obj, &name, v).await
            }
            Expr::Index(obj, idx) => {
                let i = self.eval(idx).await?;
                let Expr::Var(name) = obj.as_ref() else {
                    return Err(Flow::error(not_assignable()));
                };
                let cur = self.get_var(name);
                let updated = match cur {
                    Value::Array(mut items) => {
                        let len = items.len() as i64;
                        let k = i.to_int().unwrap_or(0);
                        let k = if k < 0 { k + len } else { k };
                        match usize::try_from(k).ok().and_then(|k| items.get_mut(k)) {
                            Some(slot) => *slot = v,
                            None => {
                                return Err(Flow::error(ErrorInfo::new(
                                    "Index was outside the bounds of the array.",
                                    "IndexOutOfRange",
                                    ErrorCategory::InvalidOperation,
                                    "System.IndexOutOfRangeException",
                                )));
                            }
                        }
                        Value::Array(items)
                    }
                    Value::Hashtable(mut entries) => {
                        let key = i.to_ps_string();
                        match entries
                            .iter_mut()
                            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                        {
                            Some(slot) => slot.1 = v,
                            None => entries.push((key, v)),
                        }
                        Value::Hashtable(entries)
                    }
                    _ => return Err(Flow::error(not_assignable())),
                };
                self.set_var(name, updated)
            }
            _ => Err(Flow::error(not_assignable())),
        }
    }

    pub(super) async fn set_member(&self, obj: &Expr, name: &str, v: Value) -> R<()> {
        let Expr::Var(var) = obj else {
            return Err(Flow::error(not_assignable()));
        };
        let cur = self.get_var(var);
        let updated = match cur {
            Value::Object {
                type_names,
                mut props,
                to_string,
            } => {
                match props.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    Some(slot) => slot.1 = v,
                    None => {
                        return Err(Flow::error(ErrorInfo::new(
                            format!(
                                "The property '{name}' cannot be found on this object. Verify that the property exists and can be set."
                            ),
                            "PropertyAssignmentException",
                            ErrorCategory::InvalidOperation,
                            "System.Management.Automation.RuntimeException",
                        )));
                    }
                }
                Value::Object {
                    type_names,
                    props,
                    to_string,
                }
            }
            Value::Hashtable(mut entries) => {
                match entries
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                {
                    Some(slot) => slot.1 = v,
                    None => entries.push((name.to_string(), v)),
                }
                Value::Hashtable(entries)
            }
            _ => {
                return Err(Flow::error(ErrorInfo::new(
                    format!(
                        "The property '{name}' cannot be found on this object. Verify that the property exists and can be set."
                    ),
                    "PropertyNotFound",
                    ErrorCategory::InvalidOperation,
                    "System.Management.Automation.RuntimeException",
                )));
            }
        };
        self.set_var(var, updated)
    }

    /// Runs a script block value in the current scope with `$_` bound, writing into `out`.
    pub(crate) async fn invoke_block(
        &self,
        sb: &value::ScriptBlock,
        dollar_under: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let ast = match &sb.ast {
            Some(a) => a.clone(),
            None => Arc::new(
                super::super::parser::parse_script(&sb.text)
                    .map_err(|e| Flow::error(ErrorInfo::from_parse_error(&e)))?,
            ),
        };
        if self.depth.fetch_add(1, AtomicOrdering::Relaxed) >= MAX_CALL_DEPTH {
            self.depth.fetch_sub(1, AtomicOrdering::Relaxed);
            return Err(Flow::Terminate(Box::new(ErrorInfo::new(
                "The script failed due to call depth overflow.",
                "CallDepthOverflow",
                ErrorCategory::InvalidOperation,
                "System.Management.Automation.ScriptCallDepthException",
            ))));
        }
        let old = self.session().variable("_");
        if let Some(v) = dollar_under {
            self.session().set_variable("_", v);
        }
        let r = self.exec_block(&ast, out).await;
        self.depth.fetch_sub(1, AtomicOrdering::Relaxed);
        restore_var(self, "_", old);
        match r {
            Err(Flow::Return) => Ok(()),
            other => other,
        }
    }

    /// Runs a function in a new local scope with its parameters bound.
    /// Runs a function (or a script block with a param or named blocks):
    /// `items` are the pipeline input objects its `process` block runs for
    /// (None: it was first in its pipeline, so `process` runs once).
    pub(crate) async fn call_function(
        &self,
        def: &FunctionDef,
        locals: Vec<(String, Value)>,
        items: Option<Vec<Value>>,
        out: &mut dyn Sink,
    ) -> R<()> {
        if self.depth.fetch_add(1, AtomicOrdering::Relaxed) >= MAX_CALL_DEPTH {
            self.depth.fetch_sub(1, AtomicOrdering::Relaxed);
            return Err(Flow::Terminate(Box::new(ErrorInfo::new(
                "The script failed due to call depth overflow.",
                "CallDepthOverflow",
                ErrorCategory::InvalidOperation,
                "System.Management.Automation.ScriptCallDepthException",
            ))));
        }
        lock(&self.frames).push(Vec::new());
        // Defaults are evaluated inside the new scope, after the bound parameters.
        let mut r = Ok(());
        for (k, v) in locals {
            let _ = self.set_var(&k, v);
        }
        for p in &def.params {
            let bound = lock(&self.frames)
                .last()
                .is_some_and(|f| f.iter().any(|(k, _)| k.eq_ignore_ascii_case(&p.name)));
            if !bound {
                let v = match (&p.default, p.is_switch()) {
                    (Some(e), _) => match self.eval(e).await {
                        Ok(v) => v,
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    },
                    (None, true) => Value::Bool(false),
                    (None, false) => Value::Null,
                };
                let _ = self.set_var(&p.name, v);
            }
        }
        if r.is_ok() {
            r = self.function_body(def, items, out).await;
        }
        lock(&self.frames).pop();
        self.depth.fetch_sub(1, AtomicOrdering::Relaxed);
        r
    }

    /// The body of a function in its scope: begin, process (per input
    /// object, with `$_` and the ValueFromPipeline parameter bound), end.
    pub(super) async fn function_body(
        &self,
        def: &FunctionDef,
        items: Option<Vec<Value>>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let body = &def.body;
        let r = async {
            if let Some(b) = &body.begin {
                self.exec_block(b, out).await?;
            }
            if let Some(p) = &body.process {
                let items = items.unwrap_or_else(|| vec![Value::Null]);
                let by_value = def.params.iter().find(|p| p.from_pipeline);
                for item in items {
                    self.session().set_variable("_", item.clone());
                    if let Some(param) = by_value {
                        self.set_var(&param.name, item)?;
                    }
                    match self.exec_block(p, out).await {
                        Err(Flow::Return) | Ok(()) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            self.exec_block(body, out).await
        }
        .await;
        match r {
            Err(Flow::Return) => Ok(()),
            other => other,
        }
    }

    /// A script block's output as one value.
    pub(crate) async fn invoke_block_value(
        &self,
        sb: &value::ScriptBlock,
        dollar_under: Option<Value>,
    ) -> R<Value> {
        let mut c = Collect(Vec::new());
        self.invoke_block(sb, dollar_under, &mut c).await?;
        Ok(collapse(c.0))
    }
}
