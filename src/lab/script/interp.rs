//! The resumable evaluator: statements, expressions and pipelines as boxed futures.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use super::ast::*;
use super::cmdlets;
use super::value::{self, Value};
use super::{
    ErrorCategory, ErrorInfo, HostCall, Io, JobEvent, JobOutcome, ScriptContext, SessionState,
    Wake, lock,
};

mod exec;
mod ops;
pub(crate) use ops::*;

/// Work units per poll before the job yields.
pub(crate) const STEP_BUDGET: u32 = 20_000;
/// The most elements an expression may materialise into one array.
pub(crate) const MAX_ARRAY: usize = 1_000_000;
/// The longest string an operator may build, in bytes.
pub(crate) const MAX_STRING: usize = 16 << 20;
/// How deeply script blocks may invoke script blocks (PowerShell's own limit is higher, but
/// every level here costs stack while the job is polled).
pub(crate) const MAX_CALL_DEPTH: usize = 50;

pub(crate) type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub(crate) type R<T> = Result<T, Flow>;

/// Non-local control flow.
#[derive(Debug)]
pub(crate) enum Flow {
    /// A statement-terminating error: reported, then the next statement runs.
    Error(Box<ErrorInfo>),
    /// A script-terminating error (`throw`, `-ErrorAction Stop`): the pipeline fails.
    Terminate(Box<ErrorInfo>),
    /// A downstream command (the stage with this token) needs no more input.
    StopUpstream(u64),
    Break,
    Continue,
    Return,
}

impl Flow {
    pub(crate) fn error(info: ErrorInfo) -> Flow {
        Flow::Error(Box::new(info))
    }
}

/// Where a pipeline's output goes.
pub(crate) trait Sink: Send {
    fn write<'a>(&'a mut self, rt: &'a Rt, v: Value) -> Fut<'a, R<()>>;
}

/// A command in a pipeline.
pub(crate) trait Stage: Send {
    fn token(&self) -> u64;
    fn begin<'a>(&'a mut self, _rt: &'a Rt, _out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async { Ok(()) })
    }
    fn process<'a>(
        &'a mut self,
        rt: &'a Rt,
        input: Option<Value>,
        out: &'a mut dyn Sink,
    ) -> Fut<'a, R<()>>;
    fn end<'a>(&'a mut self, _rt: &'a Rt, _out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// The job's output stream.
pub(crate) struct TopSink;

impl Sink for TopSink {
    fn write<'a>(&'a mut self, rt: &'a Rt, v: Value) -> Fut<'a, R<()>> {
        Box::pin(async move {
            rt.emit(JobEvent::Output(v)).await;
            Ok(())
        })
    }
}

/// Collects output (assignments, sub-expressions).
pub(crate) struct Collect(pub Vec<Value>);

impl Sink for Collect {
    fn write<'a>(&'a mut self, rt: &'a Rt, v: Value) -> Fut<'a, R<()>> {
        Box::pin(async move {
            if self.0.len() >= MAX_ARRAY {
                return Err(Flow::error(rt.too_large()));
            }
            self.0.push(v);
            rt.tick().await;
            Ok(())
        })
    }
}

/// Discards output.
pub(crate) struct Discard;

impl Sink for Discard {
    fn write<'a>(&'a mut self, rt: &'a Rt, _v: Value) -> Fut<'a, R<()>> {
        Box::pin(async move {
            rt.tick().await;
            Ok(())
        })
    }
}

/// The rest of a pipeline: the next stages, then the final sink.
pub(crate) struct Chain<'c> {
    pub stages: &'c mut [Box<dyn Stage>],
    pub next: &'c mut dyn Sink,
}

impl Sink for Chain<'_> {
    fn write<'a>(&'a mut self, rt: &'a Rt, v: Value) -> Fut<'a, R<()>> {
        Box::pin(async move {
            match self.stages.split_first_mut() {
                Some((first, rest)) => {
                    let mut chain = Chain {
                        stages: rest,
                        next: &mut *self.next,
                    };
                    first.process(rt, Some(v), &mut chain).await
                }
                None => self.next.write(rt, v).await,
            }
        })
    }
}

struct YieldNow {
    io: Arc<Mutex<Io>>,
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        lock(&self.io).wake = Wake::Now;
        Poll::Pending
    }
}

struct SleepUntil {
    io: Arc<Mutex<Io>>,
    deadline: Duration,
}

impl Future for SleepUntil {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let mut io = lock(&self.io);
        if io.now >= self.deadline {
            Poll::Ready(())
        } else {
            io.wake = Wake::At(self.deadline);
            Poll::Pending
        }
    }
}

struct HostAnswer {
    io: Arc<Mutex<Io>>,
}

impl Future for HostAnswer {
    type Output = Value;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Value> {
        let mut io = lock(&self.io);
        if let Some(v) = io.host_answer.take() {
            Poll::Ready(v)
        } else {
            io.wake = Wake::Host;
            Poll::Pending
        }
    }
}

/// The interpreter's runtime: context, session and the channel to the job handle.
pub(crate) struct Rt {
    pub ctx: ScriptContext,
    io: Arc<Mutex<Io>>,
    tokens: AtomicU64,
    depth: AtomicUsize,
    /// Local scopes of running functions (innermost last); the session holds the global one.
    frames: Mutex<Vec<Vec<(String, Value)>>>,
    /// How many `try` blocks enclose the running statement (errors then propagate to them).
    try_depth: AtomicUsize,
}

/// The `foreach` loop variable's saved value.
fn restore_var(rt: &Rt, name: &str, old: Option<Value>) {
    let mut s = rt.session();
    match old {
        Some(v) => s.set_variable(name, v),
        None => s.vars.retain(|(k, _)| !k.eq_ignore_ascii_case(name)),
    }
}

impl Rt {
    pub(crate) fn new(ctx: ScriptContext, io: Arc<Mutex<Io>>) -> Rt {
        Rt {
            ctx,
            io,
            tokens: AtomicU64::new(1),
            depth: AtomicUsize::new(0),
            try_depth: AtomicUsize::new(0),
            frames: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn session(&self) -> MutexGuard<'_, SessionState> {
        lock(&self.ctx.session)
    }

    pub(crate) fn next_token(&self) -> u64 {
        self.tokens.fetch_add(1, AtomicOrdering::Relaxed)
    }

    /// The job's current time.
    pub(crate) fn now(&self) -> Duration {
        lock(&self.io).now
    }

    /// The emulated wall clock (`Get-Date`).
    pub(crate) fn wall_clock(&self) -> DateTime<FixedOffset> {
        let now = self.now();
        let d = chrono::Duration::from_std(now).unwrap_or_default();
        self.ctx
            .clock
            .checked_add_signed(d)
            .unwrap_or(self.ctx.clock)
    }

    /// Queues an event; yields when the caller's per-poll budget is reached.
    pub(crate) async fn emit(&self, ev: JobEvent) {
        let full = {
            let mut io = lock(&self.io);
            io.events.push(ev);
            io.events.len() >= io.max_events
        };
        if full {
            YieldNow {
                io: self.io.clone(),
                yielded: false,
            }
            .await;
        }
    }

    /// Counts a unit of work; yields when the step budget of this poll is spent.
    pub(crate) async fn tick(&self) {
        let spent = {
            let mut io = lock(&self.io);
            io.steps += 1;
            io.steps >= io.budget
        };
        if spent {
            YieldNow {
                io: self.io.clone(),
                yielded: false,
            }
            .await;
        }
    }

    pub(crate) async fn sleep(&self, d: Duration) {
        let deadline = self.now().saturating_add(d);
        SleepUntil {
            io: self.io.clone(),
            deadline,
        }
        .await;
    }

    pub(crate) async fn host_call(&self, call: HostCall) -> Value {
        {
            let mut io = lock(&self.io);
            io.pending_host = Some(call.clone());
            io.host_answer = None;
            io.events.push(JobEvent::HostCall(call));
        }
        HostAnswer {
            io: self.io.clone(),
        }
        .await
    }

    pub(crate) fn too_large(&self) -> ErrorInfo {
        ErrorInfo::new(
            format!("The lab endpoint does not build arrays of more than {MAX_ARRAY} elements."),
            "ArrayTooLarge",
            ErrorCategory::LimitsExceeded,
            "System.Management.Automation.RuntimeException",
        )
    }

    pub(crate) fn get_var(&self, name: &str) -> Value {
        let lname = name.to_ascii_lowercase();
        if let Some(env) = lname.strip_prefix("env:") {
            return self.env_var(env).map_or(Value::Null, Value::String);
        }
        let bare = lname
            .strip_prefix("global:")
            .or_else(|| lname.strip_prefix("script:"))
            .or_else(|| lname.strip_prefix("local:"))
            .unwrap_or(&lname);
        match bare {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            "null" => return Value::Null,
            "psitem" => return self.session().variable("_").unwrap_or(Value::Null),
            "pwd" => {
                let loc = self.session().location.clone();
                return Value::Object {
                    type_names: vec![
                        "System.Management.Automation.PathInfo".into(),
                        "System.Object".into(),
                    ],
                    props: vec![
                        ("Drive".into(), Value::str("C")),
                        (
                            "Provider".into(),
                            Value::str("Microsoft.PowerShell.Core\\FileSystem"),
                        ),
                        ("ProviderPath".into(), Value::str(loc.clone())),
                        ("Path".into(), Value::str(loc.clone())),
                    ],
                    to_string: Some(loc),
                };
            }
            _ => {}
        }
        if !lname.starts_with("global:") && !lname.starts_with("script:") {
            let frames = lock(&self.frames);
            for f in frames.iter().rev() {
                if let Some((_, v)) = f.iter().find(|(k, _)| k.eq_ignore_ascii_case(bare)) {
                    return v.clone();
                }
            }
        }
        self.session().variable(bare).unwrap_or(Value::Null)
    }

    pub(crate) fn env_var(&self, name: &str) -> Option<String> {
        let s = self.session();
        s.env
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn set_var(&self, name: &str, v: Value) -> R<()> {
        let lname = name.to_ascii_lowercase();
        if let Some(env) = name.get(4..).filter(|_| lname.starts_with("env:")) {
            let mut s = self.session();
            let text = v.to_ps_string();
            match s.env.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(env)) {
                Some(slot) => slot.1 = text,
                None => s.env.push((env.to_string(), text)),
            }
            return Ok(());
        }
        let bare = ["global:", "script:", "local:"]
            .iter()
            .find_map(|p| {
                lname
                    .strip_prefix(p)
                    .map(|_| name.get(p.len()..).unwrap_or(name))
            })
            .unwrap_or(name);
        let lb = bare.to_ascii_lowercase();
        if matches!(
            lb.as_str(),
            "true" | "false" | "null" | "home" | "host" | "pid" | "psversiontable"
        ) {
            if lb == "null" {
                return Ok(());
            }
            return Err(Flow::error(ErrorInfo {
                target: Value::str(bare),
                ..ErrorInfo::new(
                    format!(
                        "Cannot overwrite variable {bare} because it is read-only or constant."
                    ),
                    "VariableNotWritable",
                    ErrorCategory::WriteError,
                    "System.Management.Automation.SessionStateUnauthorizedAccessException",
                )
            }));
        }
        let name = if lb == "psitem" { "_" } else { bare };
        if !lname.starts_with("global:") && !lname.starts_with("script:") && name != "_" {
            let mut frames = lock(&self.frames);
            if let Some(top) = frames.last_mut() {
                match top.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    Some(slot) => slot.1 = v,
                    None => top.push((name.to_string(), v)),
                }
                return Ok(());
            }
        }
        self.session().set_variable(name, v);
        Ok(())
    }

    /// A preference variable's value (e.g. `VerbosePreference`), lower-cased.
    pub(crate) fn preference(&self, name: &str) -> String {
        self.session()
            .variable(name)
            .map(|v| v.to_ps_string().to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn init_session(&self) {
        let ctx = &self.ctx;
        let mut s = self.session();
        if s.initialized {
            return;
        }
        s.initialized = true;
        let home = format!(r"C:\Users\{}", ctx.user_name);
        let env: Vec<(String, String)> = vec![
            ("ALLUSERSPROFILE".into(), r"C:\ProgramData".into()),
            ("APPDATA".into(), format!(r"{home}\AppData\Roaming")),
            ("COMPUTERNAME".into(), ctx.computer_name.to_ascii_uppercase()),
            ("ComSpec".into(), r"C:\Windows\system32\cmd.exe".into()),
            ("LOCALAPPDATA".into(), format!(r"{home}\AppData\Local")),
            ("NUMBER_OF_PROCESSORS".into(), "4".into()),
            ("OS".into(), "Windows_NT".into()),
            (
                "Path".into(),
                r"C:\Windows\system32;C:\Windows;C:\Windows\System32\Wbem;C:\Windows\System32\WindowsPowerShell\v1.0\".into(),
            ),
            ("PROCESSOR_ARCHITECTURE".into(), "AMD64".into()),
            ("ProgramData".into(), r"C:\ProgramData".into()),
            ("ProgramFiles".into(), r"C:\Program Files".into()),
            ("PSModulePath".into(), format!(r"{home}\Documents\WindowsPowerShell\Modules;C:\Program Files\WindowsPowerShell\Modules;C:\Windows\system32\WindowsPowerShell\v1.0\Modules")),
            ("PUBLIC".into(), r"C:\Users\Public".into()),
            ("SystemDrive".into(), "C:".into()),
            ("SystemRoot".into(), r"C:\Windows".into()),
            ("TEMP".into(), format!(r"{home}\AppData\Local\Temp")),
            ("TMP".into(), format!(r"{home}\AppData\Local\Temp")),
            ("USERDOMAIN".into(), ctx.user_domain.clone()),
            ("USERNAME".into(), ctx.user_name.clone()),
            ("USERPROFILE".into(), home.clone()),
            ("windir".into(), r"C:\Windows".into()),
        ];
        for (k, v) in env {
            if !s.env.iter().any(|(e, _)| e.eq_ignore_ascii_case(&k)) {
                s.env.push((k, v));
            }
        }
        let defaults: Vec<(&str, Value)> = vec![
            ("HOME", Value::str(home)),
            ("PID", Value::Int(ctx.process_id.into())),
            (
                "PSVersionTable",
                Value::Hashtable(ctx.ps_version_table.clone()),
            ),
            ("ErrorActionPreference", Value::str("Continue")),
            ("WarningPreference", Value::str("Continue")),
            ("VerbosePreference", Value::str("SilentlyContinue")),
            ("DebugPreference", Value::str("SilentlyContinue")),
            ("InformationPreference", Value::str("SilentlyContinue")),
            ("ProgressPreference", Value::str("Continue")),
            ("ConfirmPreference", Value::str("High")),
            ("PSCulture", Value::str("en-US")),
            ("PSUICulture", Value::str("en-US")),
            ("OFS", Value::str(" ")),
            ("Error", Value::Array(Vec::new())),
            ("LASTEXITCODE", Value::Int(0)),
            ("MaximumHistoryCount", Value::Int(4096)),
            (
                "PSSessionConfigurationName",
                Value::str("http://schemas.microsoft.com/powershell/Microsoft.PowerShell"),
            ),
        ];
        for (k, v) in defaults {
            if s.variable(k).is_none() {
                s.set_variable(k, v);
            }
        }
    }

    /// Records an error in `$Error` (most recent first, at most 256).
    pub(crate) fn record_error(&self, e: &ErrorInfo) {
        let mut s = self.session();
        let mut list = match s.variable("Error") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        list.insert(0, error_value(e));
        list.truncate(256);
        s.set_variable("Error", Value::Array(list));
    }

    /// Reports a non-terminating error according to the error action.
    pub(crate) async fn write_error(&self, e: ErrorInfo, action: Option<&str>) -> R<()> {
        let pref = match action {
            Some(a) => a.to_ascii_lowercase(),
            None => self.preference("ErrorActionPreference"),
        };
        match pref.as_str() {
            "ignore" => Ok(()),
            "silentlycontinue" => {
                self.record_error(&e);
                Ok(())
            }
            "stop" => {
                self.record_error(&e);
                Err(Flow::Terminate(Box::new(e)))
            }
            _ => {
                self.record_error(&e);
                self.emit(JobEvent::Error(e)).await;
                Ok(())
            }
        }
    }

    /// Runs a whole script: statement-terminating errors are reported and execution goes on;
    /// a script-terminating error fails the job.
    pub(crate) async fn run_script(&self, block: &Block) -> JobOutcome {
        self.init_session();
        let mut sink = TopSink;
        match self.exec_block(block, &mut sink).await {
            Ok(()) | Err(Flow::Break | Flow::Continue | Flow::Return | Flow::StopUpstream(_)) => {
                JobOutcome::Completed
            }
            Err(Flow::Terminate(e) | Flow::Error(e)) => {
                self.record_error(&e);
                JobOutcome::Failed(*e)
            }
        }
    }

    /// Evaluates an expression.
    pub(crate) fn eval<'a>(&'a self, e: &'a Expr) -> Fut<'a, R<Value>> {
        Box::pin(async move {
            match e {
                Expr::Const(v) => Ok(v.clone()),
                Expr::Expandable(parts) => {
                    let mut s = String::new();
                    for p in parts {
                        match p {
                            StrPart::Lit(l) => s.push_str(l),
                            StrPart::Expr(e) => {
                                let v = self.eval(e).await?;
                                s.push_str(&self.expand_value(&v));
                            }
                        }
                    }
                    Ok(Value::String(s))
                }
                Expr::Var(name) => Ok(self.get_var(name)),
                Expr::Range(a, b) => {
                    let (from, to) = self.range_bounds(a, b).await?;
                    let len = from.abs_diff(to).saturating_add(1);
                    if len > MAX_ARRAY as u64 {
                        return Err(Flow::error(self.too_large()));
                    }
                    let items: Vec<Value> = if from <= to {
                        (from..=to).map(Value::Int).collect()
                    } else {
                        (to..=from).rev().map(Value::Int).collect()
                    };
                    Ok(Value::Array(items))
                }
                Expr::Binary(op, a, b) => self.eval_binary(op, a, b).await,
                Expr::Unary(op, a) => {
                    let v = self.eval(a).await?;
                    unary(*op, v)
                }
                Expr::List(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for i in items {
                        out.push(self.eval(i).await?);
                    }
                    Ok(Value::Array(out))
                }
                Expr::ArraySub(b) => {
                    let mut c = Collect(Vec::new());
                    self.exec_block(b, &mut c).await?;
                    Ok(Value::Array(c.0))
                }
                Expr::SubExpression(b) => {
                    let mut c = Collect(Vec::new());
                    self.exec_block(b, &mut c).await?;
                    Ok(collapse(c.0))
                }
                Expr::Paren(s) => match s.as_ref() {
                    Stmt::Assign { target, .. } => {
                        self.exec_stmt(s, &mut Discard).await?;
                        self.eval(target).await
                    }
                    other => self.stmt_value(other).await,
                },
                Expr::Hashtable(entries) => self.eval_hashtable(entries).await,
                Expr::ScriptBlock(b, text) => Ok(Value::ScriptBlock(value::ScriptBlock {
                    text: text.clone(),
                    ast: Some(b.clone()),
                })),
                Expr::Member(obj, member) => self.eval_member(obj, member).await,
                Expr::Method(obj, name, args) => {
                    let o = self.eval(obj).await?;
                    let mut av = Vec::new();
                    for a in args {
                        av.push(self.eval(a).await?);
                    }
                    if name.eq_ignore_ascii_case("Invoke")
                        && let Value::ScriptBlock(sb) = &o
                    {
                        return self.invoke_block_value(sb, None).await;
                    }
                    cmdlets::call_method(self, o, name, av)
                }
                Expr::StaticMember(ty, name) => cmdlets::static_member(self, ty, name),
                Expr::StaticMethod(ty, name, args) => {
                    let mut av = Vec::new();
                    for a in args {
                        av.push(self.eval(a).await?);
                    }
                    cmdlets::static_method(ty, name, av)
                }
                Expr::Index(obj, idx) => {
                    let o = self.eval(obj).await?;
                    let i = self.eval(idx).await?;
                    Ok(index(&o, &i))
                }
                Expr::Cast(ty, inner) => {
                    let v = self.eval(inner).await?;
                    cast(&v, ty).map_err(Flow::error)
                }
                Expr::TypeLit(t) => Ok(Value::Object {
                    type_names: vec![
                        "System.RuntimeType".into(),
                        "System.Type".into(),
                        "System.Object".into(),
                    ],
                    props: vec![
                        ("Name".into(), Value::str(t.clone())),
                        ("FullName".into(), Value::str(t.clone())),
                    ],
                    to_string: Some(t.clone()),
                }),
                Expr::IncDec {
                    target,
                    delta,
                    prefix,
                } => {
                    let old = self.eval(target).await?;
                    let new = binary(BinOp::Add, old.clone(), Value::Int(*delta))?;
                    self.assign(target, AssignOp::Set, new.clone()).await?;
                    Ok(if *prefix { new } else { old })
                }
            }
        })
    }

    /// A binary operator; `-and`/`-or` short-circuit, `-is`/`-as` take a type.
    async fn eval_binary(&self, op: &BinOp, a: &Expr, b: &Expr) -> R<Value> {
        let av = self.eval(a).await?;
        match op {
            BinOp::And if !av.is_true() => return Ok(Value::Bool(false)),
            BinOp::Or if av.is_true() => return Ok(Value::Bool(true)),
            _ => {}
        }
        if let (BinOp::Is { negate }, Expr::TypeLit(t)) = (op, b) {
            return Ok(Value::Bool(is_type(&av, t) != *negate));
        }
        if let (BinOp::As, Expr::TypeLit(t)) = (op, b) {
            return Ok(cast(&av, t).unwrap_or(Value::Null));
        }
        let bv = self.eval(b).await?;
        if let BinOp::Cmp {
            op: CmpOp::Match,
            case,
            negate,
        } = op
        {
            return self.match_op(av, bv, *case, *negate);
        }
        binary(*op, av, bv)
    }

    /// A hash literal; a repeated key is an error, as in PowerShell.
    async fn eval_hashtable(&self, entries: &[(Expr, Stmt)]) -> R<Value> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for (k, v) in entries {
            let key = self.eval(k).await?.to_ps_string();
            let val = self.stmt_value(v).await?;
            if out.iter().any(|(x, _)| x.eq_ignore_ascii_case(&key)) {
                return Err(Flow::error(ErrorInfo::new(
                    format!("Duplicate keys '{key}' are not allowed in hash literals."),
                    "DuplicateKeyInHashLiteral",
                    ErrorCategory::ParserError,
                    "System.Management.Automation.RuntimeException",
                )));
            }
            out.push((key, val));
        }
        Ok(Value::Hashtable(out))
    }

    /// `$o.Name`; every scalar has Count and Length 1, $null 0 (PowerShell 3+).
    async fn eval_member(&self, obj: &Expr, member: &Expr) -> R<Value> {
        let o = self.eval(obj).await?;
        let name = self.eval(member).await?.to_ps_string();
        Ok(match o.property(&name) {
            Some(v) => v,
            // PowerShell 3+: every scalar has Count and Length 1, $null has 0.
            None if name.eq_ignore_ascii_case("Count") || name.eq_ignore_ascii_case("Length") => {
                Value::Int(o.count() as i64)
            }
            None => Value::Null,
        })
    }

    fn match_op(&self, left: Value, right: Value, case: bool, negate: bool) -> R<Value> {
        let pattern = right.to_ps_string();
        let re = regex::RegexBuilder::new(&pattern)
            .case_insensitive(!case)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                Flow::error(ErrorInfo {
                    target: Value::str(pattern.clone()),
                    ..ErrorInfo::new(
                        format!("The regular expression pattern {pattern} is not valid: {e}"),
                        "InvalidRegularExpression",
                        ErrorCategory::InvalidOperation,
                        "System.Management.Automation.RuntimeException",
                    )
                })
            })?;
        if let Value::Array(items) = left {
            let kept: Vec<Value> = items
                .into_iter()
                .filter(|i| re.is_match(&i.to_ps_string()) != negate)
                .collect();
            return Ok(Value::Array(kept));
        }
        let text = left.to_ps_string();
        match re.captures(&text) {
            Some(caps) => {
                let mut entries = Vec::new();
                for (idx, name) in re.capture_names().enumerate() {
                    if let Some(m) = caps.get(idx) {
                        let key = name.map_or_else(|| idx.to_string(), str::to_string);
                        entries.push((key, Value::str(m.as_str())));
                    }
                }
                if !negate {
                    let _ = self.set_var("Matches", Value::Hashtable(entries));
                }
                Ok(Value::Bool(!negate))
            }
            None => Ok(Value::Bool(negate)),
        }
    }

    /// A value as it appears inside an expandable string (`$OFS` between array items).
    pub(crate) fn expand_value(&self, v: &Value) -> String {
        match v {
            Value::Array(items) => {
                let ofs = self
                    .session()
                    .variable("OFS")
                    .map_or_else(|| " ".into(), |v| v.to_ps_string());
                items
                    .iter()
                    .map(|i| self.expand_value(i))
                    .collect::<Vec<_>>()
                    .join(&ofs)
            }
            other => other.to_ps_string(),
        }
    }
}
