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
            io.steps >= STEP_BUDGET
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

    fn exec_stmt<'a>(&'a self, stmt: &'a Stmt, out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
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

    async fn exec_foreach(
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

    async fn range_bounds(&self, a: &Expr, b: &Expr) -> R<(i64, i64)> {
        let av = self.eval(a).await?;
        let bv = self.eval(b).await?;
        let conv = |v: &Value| -> R<i64> {
            v.to_int()
                .ok_or_else(|| Flow::error(invalid_cast(v, "System.Int32")))
        };
        Ok((conv(&av)?, conv(&bv)?))
    }

    async fn assign(&self, target: &Expr, op: AssignOp, v: Value) -> R<()> {
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

    async fn set_member(&self, obj: &Expr, name: &str, v: Value) -> R<()> {
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

    /// Evaluates an expression.
    #[expect(clippy::too_many_lines, reason = "one arm per expression kind")]
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
                Expr::Binary(op, a, b) => {
                    let av = self.eval(a).await?;
                    match op {
                        BinOp::And if !av.is_true() => return Ok(Value::Bool(false)),
                        BinOp::Or if av.is_true() => return Ok(Value::Bool(true)),
                        _ => {}
                    }
                    if let (BinOp::Is { negate }, Expr::TypeLit(t)) = (op, b.as_ref()) {
                        return Ok(Value::Bool(is_type(&av, t) != *negate));
                    }
                    if let (BinOp::As, Expr::TypeLit(t)) = (op, b.as_ref()) {
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
                Expr::Hashtable(entries) => {
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
                Expr::ScriptBlock(b, text) => Ok(Value::ScriptBlock(value::ScriptBlock {
                    text: text.clone(),
                    ast: Some(b.clone()),
                })),
                Expr::Member(obj, member) => {
                    let o = self.eval(obj).await?;
                    let name = self.eval(member).await?.to_ps_string();
                    Ok(match o.property(&name) {
                        Some(v) => v,
                        // PowerShell 3+: every scalar has Count and Length 1, $null has 0.
                        None if name.eq_ignore_ascii_case("Count")
                            || name.eq_ignore_ascii_case("Length") =>
                        {
                            Value::Int(o.count() as i64)
                        }
                        None => Value::Null,
                    })
                }
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
                super::parser::parse_script(&sb.text)
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
    async fn function_body(
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

/// Nothing → `$null`, one item → the item, more → an array.
pub(crate) fn collapse(mut items: Vec<Value>) -> Value {
    match items.len() {
        0 => Value::Null,
        1 => items.pop().unwrap_or(Value::Null),
        _ => Value::Array(items),
    }
}

/// An ErrorRecord as a value (`$Error` entries, `$_` in scripts).
pub(crate) fn error_value(e: &ErrorInfo) -> Value {
    Value::Object {
        type_names: vec![
            "System.Management.Automation.ErrorRecord".into(),
            "System.Object".into(),
        ],
        props: vec![
            (
                "Exception".into(),
                Value::Object {
                    type_names: vec![
                        e.exception_type.clone(),
                        "System.Exception".into(),
                        "System.Object".into(),
                    ],
                    props: vec![("Message".into(), Value::str(e.message.clone()))],
                    to_string: Some(format!("{}: {}", e.exception_type, e.message)),
                },
            ),
            ("TargetObject".into(), e.target.clone()),
            (
                "CategoryInfo".into(),
                Value::Object {
                    type_names: vec![
                        "System.Management.Automation.ErrorCategoryInfo".into(),
                        "System.Object".into(),
                    ],
                    props: vec![
                        (
                            "Category".into(),
                            Value::enumeration(
                                "System.Management.Automation.ErrorCategory",
                                &e.category.name(),
                                e.category.code().into(),
                            ),
                        ),
                        ("Activity".into(), Value::str(e.activity.clone())),
                        ("Reason".into(), Value::str(e.reason())),
                        ("TargetName".into(), Value::str(e.target_name())),
                        ("TargetType".into(), Value::str(e.target_type())),
                    ],
                    to_string: Some(e.category_info()),
                },
            ),
            (
                "FullyQualifiedErrorId".into(),
                Value::str(e.fully_qualified_error_id.clone()),
            ),
        ],
        to_string: Some(e.message.clone()),
    }
}

/// Whether `catch [t]` handles an error with this exception type.
fn catches_type(t: &str, e: &ErrorInfo) -> bool {
    let t = t.trim();
    let full = e.exception_type.as_str();
    let short = full.rsplit('.').next().unwrap_or(full);
    let tl = t.to_ascii_lowercase();
    let tl = tl.trim_start_matches("system.");
    tl == "exception"
        || full.eq_ignore_ascii_case(t)
        || short.eq_ignore_ascii_case(t)
        || ((tl == "management.automation.runtimeexception" || tl == "runtimeexception")
            && full.starts_with("System.Management.Automation."))
        || ((tl == "io.ioexception" || tl == "ioexception") && full.starts_with("System.IO."))
}

fn throw_error(value: Value, pos: Pos) -> ErrorInfo {
    let message = match &value {
        Value::Null => "ScriptHalted".to_string(),
        other => other.to_ps_string(),
    };
    let mut e = ErrorInfo::new(
        message.clone(),
        message,
        ErrorCategory::OperationStopped,
        "System.Management.Automation.RuntimeException",
    );
    e.target = value;
    if e.target == Value::Null {
        e.fully_qualified_error_id = "ScriptHalted".into();
    }
    e.position = Some((pos.line, pos.column));
    e
}

fn not_assignable() -> ErrorInfo {
    ErrorInfo::new(
        "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.",
        "InvalidLeftHandSide",
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    )
}

pub(crate) fn invalid_cast(v: &Value, ty: &str) -> ErrorInfo {
    let mut e = ErrorInfo::new(
        format!(
            "Cannot convert value \"{}\" to type \"{ty}\". Error: \"Input string was not in a correct format.\"",
            v.to_ps_string()
        ),
        "InvalidCastFromStringToInteger",
        ErrorCategory::InvalidArgument,
        "System.Management.Automation.RuntimeException",
    );
    e.target = v.clone();
    e
}

fn runtime_error(message: String, id: &str) -> Flow {
    Flow::error(ErrorInfo::new(
        message,
        id,
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    ))
}

fn index(o: &Value, i: &Value) -> Value {
    match (o, i) {
        (Value::Hashtable(entries), key) => {
            let k = key.to_ps_string();
            entries
                .iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(&k))
                .map_or(Value::Null, |(_, v)| v.clone())
        }
        (_, Value::Array(idxs)) => Value::Array(idxs.iter().map(|x| index(o, x)).collect()),
        (Value::Array(items), idx) => {
            let len = items.len() as i64;
            let Some(k) = idx.to_int() else {
                return Value::Null;
            };
            let k = if k < 0 { k + len } else { k };
            usize::try_from(k)
                .ok()
                .and_then(|k| items.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        }
        (Value::String(s), idx) => {
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let Some(k) = idx.to_int() else {
                return Value::Null;
            };
            let k = if k < 0 { k + len } else { k };
            usize::try_from(k)
                .ok()
                .and_then(|k| chars.get(k))
                .map_or(Value::Null, |c| Value::String(c.to_string()))
        }
        (Value::Null, _) => Value::Null,
        (other, idx) => {
            if idx.to_int() == Some(0) || idx.to_int() == Some(-1) {
                other.clone()
            } else {
                Value::Null
            }
        }
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    match v {
        Value::Null => false,
        Value::Bool(_) => matches!(t, "bool" | "boolean" | "object" | "valuetype"),
        Value::Int(i) => match t {
            "int" | "int32" => i32::try_from(*i).is_ok(),
            "long" | "int64" | "valuetype" | "object" => true,
            _ => false,
        },
        Value::Double(_) => matches!(t, "double" | "valuetype" | "object"),
        Value::String(_) => matches!(t, "string" | "object"),
        Value::SecureString(_) => matches!(t, "security.securestring" | "securestring" | "object"),
        Value::DateTime(_) => matches!(t, "datetime" | "valuetype" | "object"),
        Value::Array(_) => matches!(t, "array" | "object[]" | "object"),
        Value::Hashtable(_) => matches!(t, "hashtable" | "collections.hashtable" | "object"),
        Value::ScriptBlock(_) => matches!(
            t,
            "scriptblock" | "management.automation.scriptblock" | "object"
        ),
        Value::Object { type_names, .. } | Value::Enum { type_names, .. } => {
            t == "object"
                || type_names.iter().any(|n| {
                    let n = n.to_ascii_lowercase();
                    n.trim_start_matches("system.") == t || n.rsplit('.').next() == Some(t)
                })
                || (t == "pscustomobject"
                    && type_names.iter().any(|n| n.ends_with("PSCustomObject")))
        }
    }
}

/// `[type]value`.
#[allow(clippy::result_large_err)]
pub(crate) fn cast(v: &Value, ty: &str) -> Result<Value, ErrorInfo> {
    let t = ty.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    let num_err = || invalid_cast(v, &format!("System.{}", ty.trim_start_matches("System.")));
    match t {
        "int" | "int32" | "long" | "int64" | "byte" | "uint32" | "int16" => {
            let i = v.to_int().ok_or_else(num_err)?;
            if matches!(t, "int" | "int32") && i32::try_from(i).is_err() {
                return Err(num_err());
            }
            Ok(Value::Int(i))
        }
        "double" | "float" | "single" | "decimal" => {
            v.to_f64().map(Value::Double).ok_or_else(num_err)
        }
        "string" => Ok(Value::String(v.to_ps_string())),
        "bool" | "boolean" | "switch" => Ok(Value::Bool(v.is_true())),
        "array" | "object[]" | "string[]" | "int[]" => {
            let items = match v {
                Value::Null => Vec::new(),
                other => other.clone().into_items(),
            };
            Ok(Value::Array(match t {
                "string[]" => items
                    .into_iter()
                    .map(|i| Value::String(i.to_ps_string()))
                    .collect(),
                "int[]" => items
                    .iter()
                    .map(|i| {
                        i.to_int()
                            .map(Value::Int)
                            .ok_or_else(|| invalid_cast(i, "System.Int32"))
                    })
                    .collect::<Result<_, _>>()?,
                _ => items,
            }))
        }
        "pscustomobject" | "psobject" | "management.automation.pscustomobject" => match v {
            Value::Hashtable(entries) => Ok(Value::custom(entries.clone())),
            other => Ok(other.clone()),
        },
        "hashtable" | "collections.hashtable" | "ordered" => match v {
            Value::Hashtable(_) => Ok(v.clone()),
            _ => Err(ErrorInfo::new(
                format!(
                    "Cannot convert the \"{}\" value of type \"{}\" to type \"System.Collections.Hashtable\".",
                    v.to_ps_string(),
                    v.type_name()
                ),
                "ConvertToFinalInvalidCastException",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.RuntimeException",
            )),
        },
        "datetime" => match v {
            Value::DateTime(_) => Ok(v.clone()),
            other => {
                let offset = chrono::Utc.fix();
                value::parse_date(&other.to_ps_string(), &offset)
                    .map(Value::DateTime)
                    .ok_or_else(|| {
                        let mut e = ErrorInfo::new(
                            format!("Cannot convert value \"{}\" to type \"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"", other.to_ps_string()),
                            "InvalidCastParseTargetInvocationWithFormatProvider",
                            ErrorCategory::InvalidArgument,
                            "System.Management.Automation.RuntimeException",
                        );
                        e.target = other.clone();
                        e
                    })
            }
        },
        "void" => Ok(Value::Null),
        "scriptblock" | "management.automation.scriptblock" => Ok(Value::ScriptBlock(
            value::ScriptBlock::new(v.to_ps_string()),
        )),
        "object" => Ok(v.clone()),
        _ => Err(ErrorInfo::new(
            format!("Unable to find type [{ty}]."),
            "TypeNotFound",
            ErrorCategory::InvalidOperation,
            "System.Management.Automation.RuntimeException",
        )),
    }
}

use chrono::Offset;

fn unary(op: UnOp, v: Value) -> R<Value> {
    match op {
        UnOp::Not => Ok(Value::Bool(!v.is_true())),
        UnOp::Neg => match v.to_number() {
            Some(Value::Int(i)) => Ok(i
                .checked_neg()
                .map(Value::Int)
                .unwrap_or(Value::Double(-(i as f64)))),
            Some(Value::Double(d)) => Ok(Value::Double(-d)),
            _ => Err(Flow::error(invalid_cast(&v, "System.Int32"))),
        },
        UnOp::Plus => v
            .to_number()
            .ok_or_else(|| Flow::error(invalid_cast(&v, "System.Int32"))),
        UnOp::Join => Ok(Value::String(match v {
            Value::Array(items) => items.iter().map(Value::to_ps_string).collect(),
            other => other.to_ps_string(),
        })),
        UnOp::Split => Ok(Value::Array(
            v.to_ps_string()
                .split_whitespace()
                .map(Value::str)
                .collect(),
        )),
    }
}

fn divide_by_zero() -> Flow {
    Flow::error(ErrorInfo::new(
        "Attempted to divide by zero.",
        "RuntimeException",
        ErrorCategory::NotSpecified,
        "System.Management.Automation.RuntimeException",
    ))
}

fn op_error(op: &str, a: &Value) -> Flow {
    let mut e = ErrorInfo::new(
        format!(
            "Method invocation failed because [{}] does not contain a method named '{op}'.",
            a.type_name()
        ),
        "MethodNotFound",
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    );
    e.target = Value::Null;
    Flow::error(e)
}

fn arith(op: BinOp, a: &Value, b: &Value) -> R<Value> {
    let an = a
        .to_number()
        .ok_or_else(|| Flow::error(invalid_cast(a, "System.Int32")))?;
    let bn = b
        .to_number()
        .ok_or_else(|| Flow::error(invalid_cast(b, "System.Int32")))?;
    match (an, bn) {
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Div => {
                    if y == 0 {
                        return Err(divide_by_zero());
                    }
                    if x % y == 0 {
                        x.checked_div(y)
                    } else {
                        return Ok(Value::Double(x as f64 / y as f64));
                    }
                }
                BinOp::Rem => {
                    if y == 0 {
                        return Err(divide_by_zero());
                    }
                    x.checked_rem(y)
                }
                _ => None,
            };
            match r {
                Some(v) => Ok(Value::Int(v)),
                None => arith_f(op, x as f64, y as f64),
            }
        }
        (x, y) => {
            let xf = x.to_f64().unwrap_or(0.0);
            let yf = y.to_f64().unwrap_or(0.0);
            arith_f(op, xf, yf)
        }
    }
}

fn arith_f(op: BinOp, x: f64, y: f64) -> R<Value> {
    Ok(Value::Double(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return Err(divide_by_zero());
            }
            x / y
        }
        BinOp::Rem => {
            if y == 0.0 {
                return Err(divide_by_zero());
            }
            x % y
        }
        _ => {
            return Err(runtime_error(
                "unsupported operator".into(),
                "RuntimeException",
            ));
        }
    }))
}

/// Binary operators (except `-match`, which also sets `$Matches`).
#[expect(
    clippy::too_many_lines,
    reason = "a table: PowerShell's binary operators"
)]
pub(crate) fn binary(op: BinOp, a: Value, b: Value) -> R<Value> {
    match op {
        BinOp::Add => match (&a, &b) {
            (Value::String(s), _) => {
                let tail = b.to_ps_string();
                if s.len().saturating_add(tail.len()) > MAX_STRING {
                    return Err(runtime_error(
                        "The string is too long for the lab endpoint.".into(),
                        "StringTooLong",
                    ));
                }
                Ok(Value::String(format!("{s}{tail}")))
            }
            (Value::Array(items), _) => {
                let mut out = items.clone();
                match b {
                    Value::Array(more) => out.extend(more),
                    other => out.push(other),
                }
                if out.len() > MAX_ARRAY {
                    return Err(runtime_error(
                        format!(
                            "The lab endpoint does not build arrays of more than {MAX_ARRAY} elements."
                        ),
                        "ArrayTooLarge",
                    ));
                }
                Ok(Value::Array(out))
            }
            (Value::Hashtable(x), Value::Hashtable(y)) => {
                let mut out = x.clone();
                for (k, v) in y {
                    if out.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)) {
                        return Err(runtime_error(
                            format!(
                                "Item has already been added. Key in dictionary: '{k}'  Key being added: '{k}'"
                            ),
                            "System.ArgumentException",
                        ));
                    }
                    out.push((k.clone(), v.clone()));
                }
                Ok(Value::Hashtable(out))
            }
            (Value::DateTime(_) | Value::Object { .. } | Value::Hashtable(_), _) => {
                Err(op_error("op_Addition", &a))
            }
            (Value::Null, _) => match b {
                Value::Null => Ok(Value::Null),
                other => Ok(other),
            },
            _ => arith(op, &a, &b),
        },
        BinOp::Mul => match (&a, &b) {
            (Value::String(s), _) => {
                let n = b
                    .to_int()
                    .ok_or_else(|| Flow::error(invalid_cast(&b, "System.Int32")))?;
                let n = usize::try_from(n).unwrap_or(0);
                if s.len().saturating_mul(n) > MAX_STRING {
                    return Err(runtime_error(
                        "The string is too long for the lab endpoint.".into(),
                        "StringTooLong",
                    ));
                }
                Ok(Value::String(s.repeat(n)))
            }
            (Value::Array(items), _) => {
                let n = usize::try_from(b.to_int().unwrap_or(0)).unwrap_or(0);
                if items.len().saturating_mul(n) > MAX_ARRAY {
                    return Err(runtime_error(
                        format!(
                            "The lab endpoint does not build arrays of more than {MAX_ARRAY} elements."
                        ),
                        "ArrayTooLarge",
                    ));
                }
                let mut out = Vec::new();
                for _ in 0..n {
                    out.extend(items.iter().cloned());
                }
                Ok(Value::Array(out))
            }
            _ => arith(op, &a, &b),
        },
        BinOp::Sub | BinOp::Div | BinOp::Rem => match (&a, &b) {
            (Value::DateTime(x), Value::DateTime(y)) if op == BinOp::Sub => Ok(timespan(*x - *y)),
            (Value::Null, _) if op == BinOp::Sub => arith(op, &Value::Int(0), &b),
            _ => arith(op, &a, &b),
        },
        BinOp::And => Ok(Value::Bool(a.is_true() && b.is_true())),
        BinOp::Or => Ok(Value::Bool(a.is_true() || b.is_true())),
        BinOp::Xor => Ok(Value::Bool(a.is_true() != b.is_true())),
        BinOp::Format => Ok(Value::String(format_op(&a.to_ps_string(), &b.into_items()))),
        BinOp::Join => {
            let sep = b.to_ps_string();
            Ok(Value::String(
                a.into_items()
                    .iter()
                    .map(Value::to_ps_string)
                    .collect::<Vec<_>>()
                    .join(&sep),
            ))
        }
        BinOp::Split => {
            let pattern = b.to_ps_string();
            let re = regex::RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    runtime_error(
                        format!("The regular expression pattern {pattern} is not valid: {e}"),
                        "InvalidRegularExpression",
                    )
                })?;
            let mut out = Vec::new();
            for item in a.into_items() {
                for part in re.split(&item.to_ps_string()) {
                    out.push(Value::str(part));
                }
            }
            Ok(Value::Array(out))
        }
        BinOp::Replace { case } => {
            let (pattern, replacement) = match b {
                Value::Array(items) => {
                    let p = items.first().map(Value::to_ps_string).unwrap_or_default();
                    let r = items.get(1).map(Value::to_ps_string).unwrap_or_default();
                    (p, r)
                }
                other => (other.to_ps_string(), String::new()),
            };
            let re = regex::RegexBuilder::new(&pattern)
                .case_insensitive(!case)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    runtime_error(
                        format!("The regular expression pattern {pattern} is not valid: {e}"),
                        "InvalidRegularExpression",
                    )
                })?;
            // .NET uses $1 like the regex crate, but ${name} is spelled the same too.
            let apply =
                |s: &str| Value::String(re.replace_all(s, replacement.as_str()).into_owned());
            Ok(match a {
                Value::Array(items) => {
                    Value::Array(items.iter().map(|i| apply(&i.to_ps_string())).collect())
                }
                other => apply(&other.to_ps_string()),
            })
        }
        BinOp::Cmp { op, case, negate } => Ok(compare_op(op, case, negate, a, b)),
        BinOp::Is { negate } => Ok(Value::Bool(is_type(&a, &b.to_ps_string()) != negate)),
        BinOp::As => Ok(cast(&a, &b.to_ps_string()).unwrap_or(Value::Null)),
    }
}

fn timespan(d: chrono::TimeDelta) -> Value {
    let ms = d.num_milliseconds();
    Value::Object {
        type_names: vec![
            "System.TimeSpan".into(),
            "System.ValueType".into(),
            "System.Object".into(),
        ],
        props: vec![
            ("Days".into(), Value::Int(ms / 86_400_000)),
            ("Hours".into(), Value::Int((ms / 3_600_000) % 24)),
            ("Minutes".into(), Value::Int((ms / 60_000) % 60)),
            ("Seconds".into(), Value::Int((ms / 1000) % 60)),
            ("Milliseconds".into(), Value::Int(ms % 1000)),
            ("Ticks".into(), Value::Int(ms.saturating_mul(10_000))),
            ("TotalDays".into(), Value::Double(ms as f64 / 86_400_000.0)),
            ("TotalHours".into(), Value::Double(ms as f64 / 3_600_000.0)),
            ("TotalMinutes".into(), Value::Double(ms as f64 / 60_000.0)),
            ("TotalSeconds".into(), Value::Double(ms as f64 / 1000.0)),
            ("TotalMilliseconds".into(), Value::Double(ms as f64)),
        ],
        to_string: Some(crate::pslang::format_timespan_ms(ms)),
    }
}

fn compare_op(op: CmpOp, case: bool, negate: bool, a: Value, b: Value) -> Value {
    use std::cmp::Ordering::*;
    let scalar = |x: &Value, y: &Value| -> bool {
        let r = match op {
            CmpOp::Eq => value::equals(x, y, case),
            CmpOp::Gt => value::compare(x, y, case) == Some(Greater),
            CmpOp::Lt => value::compare(x, y, case) == Some(Less),
            CmpOp::Ge => matches!(value::compare(x, y, case), Some(Greater | Equal)),
            CmpOp::Le => matches!(value::compare(x, y, case), Some(Less | Equal)),
            CmpOp::Like => value::wildcard_match(&y.to_ps_string(), &x.to_ps_string(), case),
            CmpOp::Match | CmpOp::Contains | CmpOp::In => false,
        };
        r != negate
    };
    match op {
        CmpOp::Contains => {
            let found = a
                .clone()
                .into_items()
                .iter()
                .any(|i| value::equals(i, &b, case));
            Value::Bool(found != negate)
        }
        CmpOp::In => {
            let found = b
                .clone()
                .into_items()
                .iter()
                .any(|i| value::equals(i, &a, case));
            Value::Bool(found != negate)
        }
        _ => match &a {
            Value::Array(items) => {
                Value::Array(items.iter().filter(|i| scalar(i, &b)).cloned().collect())
            }
            _ => Value::Bool(scalar(&a, &b)),
        },
    }
}

/// The `-f` operator: `{index[,alignment][:format]}`.
pub(crate) fn format_op(fmt: &str, args: &[Value]) -> String {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '{' && chars.get(i + 1) == Some(&'{') {
            out.push('{');
            i += 2;
            continue;
        }
        if c == '}' && chars.get(i + 1) == Some(&'}') {
            out.push('}');
            i += 2;
            continue;
        }
        if c == '{' {
            let mut j = i + 1;
            let mut spec = String::new();
            while let Some(&d) = chars.get(j) {
                if d == '}' {
                    break;
                }
                spec.push(d);
                j += 1;
            }
            if chars.get(j) != Some(&'}') {
                out.push(c);
                i += 1;
                continue;
            }
            let (head, format) = match spec.split_once(':') {
                Some((h, f)) => (h.to_string(), Some(f.to_string())),
                None => (spec.clone(), None),
            };
            let (idx, align) = match head.split_once(',') {
                Some((x, a)) => (x.trim().to_string(), a.trim().parse::<i64>().ok()),
                None => (head.trim().to_string(), None),
            };
            let arg = idx
                .parse::<usize>()
                .ok()
                .and_then(|k| args.get(k))
                .cloned()
                .unwrap_or(Value::Null);
            let mut text = match (&arg, format.as_deref()) {
                (Value::DateTime(d), Some(f)) => value::format_datetime(d, f),
                (_, Some(f)) => format_number(&arg, f),
                _ => arg.to_ps_string(),
            };
            if let Some(a) = align {
                let w = usize::try_from(a.unsigned_abs()).unwrap_or(0).min(1024);
                let len = text.chars().count();
                if len < w {
                    let pad = " ".repeat(w - len);
                    text = if a < 0 {
                        format!("{text}{pad}")
                    } else {
                        format!("{pad}{text}")
                    };
                }
            }
            out.push_str(&text);
            i = j + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Standard numeric formats: N, F, D, P, X (en-US).
pub(crate) fn format_number(v: &Value, f: &str) -> String {
    let kind = f.chars().next().unwrap_or('G').to_ascii_uppercase();
    let prec: Option<usize> = f
        .get(1..)
        .and_then(|p| p.parse().ok())
        .map(|p: usize| p.min(30));
    let Some(x) = v.to_f64() else {
        return v.to_ps_string();
    };
    // .NET rounds half away from zero when formatting.
    let away = |x: f64, p: usize| -> f64 {
        let m = 10f64.powi(i32::try_from(p).unwrap_or(0));
        let r = (x * m).round() / m;
        if r.is_finite() { r } else { x }
    };
    let x = match kind {
        'N' | 'F' => away(x, prec.unwrap_or(2)),
        'P' => away(x * 100.0, prec.unwrap_or(2)) / 100.0,
        _ => x,
    };
    match kind {
        'N' => group_thousands(&format!("{:.*}", prec.unwrap_or(2), x)),
        'F' => format!("{:.*}", prec.unwrap_or(2), x),
        'P' => format!("{:.*} %", prec.unwrap_or(2), x * 100.0),
        'D' => format!("{:0w$}", x as i64, w = prec.unwrap_or(1)),
        'X' => format!("{:0w$X}", x as i64, w = prec.unwrap_or(1)),
        _ => v.to_ps_string(),
    }
}

fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}
