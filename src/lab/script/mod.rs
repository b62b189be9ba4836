//! A small PowerShell interpreter for the lab endpoint.
//!
//! Pipelines that clients send (script text inside CREATE_PIPELINE) run here as a
//! *step machine*: [`Job::start`] parses the script, then the caller drives it with
//! [`Job::poll`], passing the time elapsed since the job started. The job never sleeps
//! and never reads a clock: `Start-Sleep` only completes when a later `poll` passes a
//! time at or after its deadline ([`Job::next_wakeup`] says when), `Get-Date` returns
//! the `clock` of [`ScriptContext`] plus the time passed in, and `Read-Host` pauses the job with
//! a [`JobEvent::HostCall`] until [`Job::answer_host_call`]. Each `poll` does a bounded
//! amount of work and returns at most about `max_events` events, so a caller that stops
//! polling (a full output buffer in Block mode) pauses the pipeline, and ranges and
//! `ForEach-Object` stream lazily (`1..1000000000 | Select-Object -First 3` finishes at once).
//!
//! Language: statements (`;`/newlines), pipelines, commands with named/positional/switch
//! parameters (unique prefixes, `-Name:value`, common parameters), literals, expandable
//! strings and here-strings, variables (`$env:`, `$global:`), member access and method calls,
//! indexing, ranges, arithmetic, comparison (`-eq -ne -gt -lt -ge -le -like -match -contains
//! -in`, case-sensitive `c` forms), `-and -or -not -f -join -split -replace -is -as`, arrays,
//! hashtables, casts (`[int]`, `[pscustomobject]`...), script blocks, `&`, `if/elseif/else`,
//! `foreach`, `while`, `for`, `break`, `continue`, `return`, `throw`, `try/catch/finally`,
//! functions with `param(...)`. Not supported (a parse error says so): `switch`, `do`,
//! `trap`, `class`, `enum`, `filter`, `workflow`, redirections.
//!
//! Commands: Write-Output/Host/Error/Warning/Verbose/Debug/Information/Progress,
//! Start-Sleep, Get-Date, ForEach-Object, Where-Object, Select-Object, Sort-Object,
//! Measure-Object, Get-Process, Get-Service, Get-PSSessionConfiguration, Read-Host,
//! Get-ChildItem, New-Item, mkdir, Test-Path, Get-/Set-/Add-Content, Remove-Item,
//! Get-/Set-Location, Get-/Set-Variable, Out-Null, Out-String, Out-Default/Out-Host (pass
//! objects through: formatting is left to the client), `hostname`, `whoami`, and their usual
//! aliases. Anything else fails with PowerShell's CommandNotFoundException text.
//!
//! Internally the interpreter is written as `async` Rust and driven by a no-op waker:
//! every place where PowerShell would block (sleep, host call, a full buffer, a spent step
//! budget) is a future that returns `Pending`, so a job is resumable at any point.

mod ast;
mod cmdlets;
mod data;
mod interp;
mod parser;
mod value;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

pub use data::{FileSystem, FsEntry, MAX_FS_ENTRIES, SessionConfiguration};
pub use parser::{MAX_DEPTH, MAX_SCRIPT_CHARS, ParseError};
pub use value::{ScriptBlock, SecureText, Value, format_datetime, format_double, wildcard_match};

/// PowerShell's `System.Management.Automation.ErrorCategory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorCategory {
    NotSpecified = 0,
    OpenError = 1,
    CloseError = 2,
    DeviceError = 3,
    DeadlockDetected = 4,
    InvalidArgument = 5,
    InvalidData = 6,
    InvalidOperation = 7,
    InvalidResult = 8,
    InvalidType = 9,
    MetadataError = 10,
    NotImplemented = 11,
    NotInstalled = 12,
    ObjectNotFound = 13,
    OperationStopped = 14,
    OperationTimeout = 15,
    SyntaxError = 16,
    ParserError = 17,
    PermissionDenied = 18,
    ResourceBusy = 19,
    ResourceExists = 20,
    ResourceUnavailable = 21,
    ReadError = 22,
    WriteError = 23,
    FromStdErr = 24,
    SecurityError = 25,
    ProtocolError = 26,
    ConnectionError = 27,
    AuthenticationError = 28,
    LimitsExceeded = 29,
    QuotaExceeded = 30,
    NotEnabled = 31,
}

const CATEGORIES: [ErrorCategory; 32] = {
    use ErrorCategory::*;
    [
        NotSpecified,
        OpenError,
        CloseError,
        DeviceError,
        DeadlockDetected,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        InvalidResult,
        InvalidType,
        MetadataError,
        NotImplemented,
        NotInstalled,
        ObjectNotFound,
        OperationStopped,
        OperationTimeout,
        SyntaxError,
        ParserError,
        PermissionDenied,
        ResourceBusy,
        ResourceExists,
        ResourceUnavailable,
        ReadError,
        WriteError,
        FromStdErr,
        SecurityError,
        ProtocolError,
        ConnectionError,
        AuthenticationError,
        LimitsExceeded,
        QuotaExceeded,
        NotEnabled,
    ]
};

impl ErrorCategory {
    /// The numeric value (CLIXML `ErrorCategory_Category`).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The member name (e.g. `ObjectNotFound`).
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// Parses a category name (case-insensitive), as `Write-Error -Category` does.
    pub fn from_name(name: &str) -> Option<ErrorCategory> {
        CATEGORIES
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// An error record: what PowerShell puts in an ErrorRecord (ERROR_RECORD message, or the
/// ExceptionAsErrorRecord of a failed pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorInfo {
    /// The exception message (`ErrorRecord.Exception.Message`).
    pub message: String,
    /// `FullyQualifiedErrorId`, e.g. `PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand`.
    pub fully_qualified_error_id: String,
    /// `CategoryInfo.Category`.
    pub category: ErrorCategory,
    /// `TargetObject` (`Value::Null` when there is none).
    pub target: Value,
    /// The exception's full .NET type name, e.g. `System.Management.Automation.ItemNotFoundException`.
    pub exception_type: String,
    /// `CategoryInfo.Activity` (usually the command name, e.g. `Get-ChildItem`; may be empty).
    pub activity: String,
    /// The command that failed (`InvocationInfo.MyCommand`), when there is one.
    pub command_name: Option<String>,
    /// 1-based line and column of the failing command in the script, when known.
    pub position: Option<(usize, usize)>,
}

impl ErrorInfo {
    /// An error record with the given message, id, category and exception type.
    pub fn new(
        message: impl Into<String>,
        fully_qualified_error_id: impl Into<String>,
        category: ErrorCategory,
        exception_type: impl Into<String>,
    ) -> ErrorInfo {
        ErrorInfo {
            message: message.into(),
            fully_qualified_error_id: fully_qualified_error_id.into(),
            category,
            target: Value::Null,
            exception_type: exception_type.into(),
            activity: String::new(),
            command_name: None,
            position: None,
        }
    }

    /// `CategoryInfo.Reason`: the exception's short type name.
    pub fn reason(&self) -> &str {
        self.exception_type
            .rsplit('.')
            .next()
            .unwrap_or(&self.exception_type)
    }

    /// `CategoryInfo.TargetName`.
    pub fn target_name(&self) -> String {
        self.target.to_ps_string()
    }

    /// `CategoryInfo.TargetType` (the target's short type name, empty when there is none).
    pub fn target_type(&self) -> String {
        if self.target == Value::Null {
            return String::new();
        }
        let t = self.target.type_name();
        t.rsplit('.').next().unwrap_or(&t).to_string()
    }

    /// `CategoryInfo.ToString()`, e.g.
    /// `ObjectNotFound: (C:\x:String) [Get-ChildItem], ItemNotFoundException`.
    pub fn category_info(&self) -> String {
        format!(
            "{}: ({}:{}) [{}], {}",
            self.category.name(),
            self.target_name(),
            self.target_type(),
            self.activity,
            self.reason()
        )
    }

    /// The record of a parse error (a failed pipeline with a ParseException).
    pub fn from_parse_error(e: &ParseError) -> ErrorInfo {
        let mut info = ErrorInfo::new(
            e.message.clone(),
            e.error_id,
            ErrorCategory::ParserError,
            "System.Management.Automation.ParseException",
        );
        info.position = Some((e.line, e.column));
        info
    }
}

/// A progress record (PROGRESS_RECORD).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRecord {
    /// `Activity`.
    pub activity: String,
    /// `StatusDescription` (PowerShell's default is "Processing").
    pub status: String,
    /// `PercentComplete` (-1 when not given).
    pub percent: i32,
    /// `ActivityId`.
    pub activity_id: i32,
    /// `ParentActivityId` (-1 when none).
    pub parent_id: i32,
    /// `RecordType` Completed (true) or Processing (false).
    pub completed: bool,
    /// `CurrentOperation`, when given.
    pub current_operation: Option<String>,
    /// `SecondsRemaining` (-1 when not given).
    pub seconds_remaining: i32,
}

/// An information record (INFORMATION_RECORD): `Write-Information` and `Write-Host`.
#[derive(Debug, Clone, PartialEq)]
pub struct InformationRecord {
    /// `MessageData`: for `Write-Host` a `System.Management.Automation.HostInformationMessage`
    /// object (Message, ForegroundColor, BackgroundColor, NoNewLine).
    pub message_data: Value,
    /// `Tags` (`PSHOST` for `Write-Host`).
    pub tags: Vec<String>,
    /// `Source` (the command that wrote it).
    pub source: String,
    /// `TimeGenerated`, from the caller's clock.
    pub time_generated: DateTime<FixedOffset>,
    /// `User` (DOMAIN\user).
    pub user: String,
    /// `Computer`.
    pub computer: String,
    /// `ProcessId` of the emulated host process.
    pub process_id: u32,
}

impl InformationRecord {
    /// The text PowerShell prints for this record (`MessageData.ToString()`; for Write-Host
    /// the message).
    pub fn text(&self) -> String {
        match self.message_data.property("Message") {
            Some(m) if self.tags.iter().any(|t| t == "PSHOST") => m.to_ps_string(),
            _ => self.message_data.to_ps_string(),
        }
    }
}

/// A call to the client's host that the pipeline waits on.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCall {
    /// `Read-Host`: with a prompt PowerShell calls `Prompt` (one field named after the
    /// prompt), without one `ReadLine` / `ReadLineAsSecureString`.
    ReadHost {
        /// The `-Prompt` text, if any.
        prompt: Option<String>,
        /// `-AsSecureString`.
        as_secure: bool,
    },
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum JobOutcome {
    /// PipelineState Completed.
    Completed,
    /// PipelineState Failed, with the terminating error.
    Failed(ErrorInfo),
    /// PipelineState Stopped (after [`Job::stop`]).
    Stopped,
}

/// What a job produces.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum JobEvent {
    /// An output object (PIPELINE_OUTPUT).
    Output(Value),
    /// A non-terminating error (ERROR_RECORD).
    Error(ErrorInfo),
    /// WARNING_RECORD.
    Warning(String),
    /// VERBOSE_RECORD.
    Verbose(String),
    /// DEBUG_RECORD.
    Debug(String),
    /// INFORMATION_RECORD.
    Information(InformationRecord),
    /// PROGRESS_RECORD.
    Progress(ProgressRecord),
    /// PIPELINE_HOST_CALL: the job pauses until [`Job::answer_host_call`].
    HostCall(HostCall),
    /// The last event: PIPELINE_STATE.
    Finished(JobOutcome),
}

/// The state of one runspace that survives between its pipelines: variables, environment
/// variables, the current location and an in-memory file system.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) location: String,
    /// The in-memory file system (`C:` drive) of this runspace.
    pub fs: FileSystem,
    pub(crate) initialized: bool,
    pub(crate) functions: Vec<Arc<ast::FunctionDef>>,
}

/// A session state shared by the pipelines of one runspace.
pub type SharedSession = Arc<Mutex<SessionState>>;

impl SessionState {
    /// A fresh runspace for `user_name` (home `C:\Users\<user>`, location its Documents).
    pub fn new(user_name: &str) -> SessionState {
        let home = format!(r"C:\Users\{user_name}");
        SessionState {
            vars: Vec::new(),
            env: Vec::new(),
            location: format!(r"{home}\Documents"),
            fs: FileSystem::new(user_name),
            initialized: false,
            functions: Vec::new(),
        }
    }

    /// A fresh runspace, ready to share between pipelines.
    pub fn shared(user_name: &str) -> SharedSession {
        Arc::new(Mutex::new(SessionState::new(user_name)))
    }

    /// A variable's value (name without `$`, case-insensitive).
    pub fn variable(&self, name: &str) -> Option<Value> {
        self.vars
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// Sets a variable.
    pub fn set_variable(&mut self, name: &str, value: Value) {
        match self
            .vars
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.vars.push((name.to_string(), value)),
        }
    }

    /// The current location (`$PWD`).
    pub fn location(&self) -> &str {
        &self.location
    }
}

/// What a job knows about the emulated computer and its caller.
#[derive(Debug, Clone)]
pub struct ScriptContext {
    /// `$env:COMPUTERNAME`, `hostname`; also seeds Get-Process/Get-Service.
    pub computer_name: String,
    /// `$env:USERNAME`.
    pub user_name: String,
    /// `$env:USERDOMAIN` (`whoami` prints `domain\user` in lower case).
    pub user_domain: String,
    /// The wall-clock time at job time zero, in the computer's local offset: `Get-Date`
    /// returns this plus the time passed to [`Job::poll`].
    pub clock: DateTime<FixedOffset>,
    /// `$PSVersionTable` entries (values are strings, numbers or `System.Version` objects).
    pub ps_version_table: Vec<(String, Value)>,
    /// What `Get-PSSessionConfiguration` returns.
    pub session_configurations: Vec<SessionConfiguration>,
    /// `$PID` of the emulated host process (wsmprovhost).
    pub process_id: u32,
    /// The runspace's state, shared with the other pipelines of the same session.
    pub session: SharedSession,
}

/// A `System.Version` value as an object (CLIXML `Version`).
pub fn version_value(text: &str) -> Value {
    let parts: Vec<i64> = text.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let get = |i: usize| Value::Int(parts.get(i).copied().unwrap_or(-1));
    Value::Object {
        type_names: vec!["System.Version".into(), "System.Object".into()],
        props: vec![
            ("Major".into(), get(0)),
            ("Minor".into(), get(1)),
            ("Build".into(), get(2)),
            ("Revision".into(), get(3)),
        ],
        to_string: Some(text.to_string()),
    }
}

impl ScriptContext {
    /// A context with Windows PowerShell 5.1 defaults and the default
    /// `microsoft.powershell` session configuration.
    pub fn new(
        computer_name: &str,
        user_name: &str,
        clock: DateTime<FixedOffset>,
        session: SharedSession,
    ) -> ScriptContext {
        let ps_version_table = vec![
            ("PSVersion".into(), version_value("5.1.17763.1432")),
            ("PSEdition".into(), Value::str("Desktop")),
            (
                "PSCompatibleVersions".into(),
                Value::Array(
                    ["1.0", "2.0", "3.0", "4.0", "5.0", "5.1.17763.1432"]
                        .iter()
                        .map(|v| version_value(v))
                        .collect(),
                ),
            ),
            ("BuildVersion".into(), version_value("10.0.17763.1432")),
            ("CLRVersion".into(), version_value("4.0.30319.42000")),
            ("WSManStackVersion".into(), version_value("3.0")),
            ("PSRemotingProtocolVersion".into(), version_value("2.3")),
            ("SerializationVersion".into(), version_value("1.1.0.1")),
        ];
        ScriptContext {
            computer_name: computer_name.to_string(),
            user_name: user_name.to_string(),
            user_domain: computer_name.to_ascii_uppercase(),
            clock,
            ps_version_table,
            session_configurations: vec![SessionConfiguration::default()],
            process_id: 4000 + (data::seed(computer_name) % 1000) as u32 * 4,
            session,
        }
    }
}

/// One command of a CREATE_PIPELINE message.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineCommand {
    /// The command name, or the script text when `is_script`.
    pub name: String,
    /// `IsScript`.
    pub is_script: bool,
    /// Arguments: `(Some(name), value)` for `-name value` (a switch takes `Value::Bool`),
    /// `(None, value)` for a positional argument.
    pub args: Vec<(Option<String>, Value)>,
}

/// The most events a single poll returns when the caller passes 0.
const MIN_EVENTS: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wake {
    Now,
    At(Duration),
    Host,
}

/// State shared between the job handle and its running future.
#[derive(Debug)]
pub(crate) struct Io {
    now: Duration,
    events: Vec<JobEvent>,
    max_events: usize,
    steps: u32,
    /// Steps this poll may spend before the job yields.
    budget: u32,
    wake: Wake,
    pending_host: Option<HostCall>,
    host_answer: Option<Value>,
}

type JobFuture = Pin<Box<dyn Future<Output = JobOutcome> + Send>>;

/// A running pipeline: a resumable step machine over the script.
pub struct Job {
    fut: Option<JobFuture>,
    io: Arc<Mutex<Io>>,
    stop_requested: bool,
    /// The most steps the whole job may spend ([`Job::with_step_limit`]).
    step_limit: Option<u64>,
    /// Steps spent by every poll so far.
    steps_spent: u64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("finished", &self.fut.is_none())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Job {
    /// Parses `script` and prepares a job; nothing runs until [`Job::poll`].
    pub fn start(script: &str, ctx: ScriptContext) -> Result<Job, ParseError> {
        let block = parser::parse_script(script)?;
        Ok(Job::from_block(block, ctx))
    }

    /// Prepares a job from the commands of a CREATE_PIPELINE message ([MS-PSRP] §2.2.3.11
    /// `Cmds`): each is a script (`IsScript` true: `name` is script text, run as `& { … }`)
    /// or a command name with its arguments as values (`None` name = positional). The
    /// commands form one pipeline, in order.
    pub fn start_commands(
        commands: &[PipelineCommand],
        ctx: ScriptContext,
    ) -> Result<Job, ParseError> {
        Self::start_commands_with_input(commands, None, ctx)
    }

    /// [`Job::start_commands`] with pipeline input (PIPELINE_INPUT objects):
    /// `input` flows into the first command, one object at a time, as
    /// `$values | <commands>` would (a script gets it as `$input`).
    pub fn start_commands_with_input(
        commands: &[PipelineCommand],
        input: Option<Vec<Value>>,
        ctx: ScriptContext,
    ) -> Result<Job, ParseError> {
        let mut elements = Vec::new();
        if let Some(values) = input {
            elements.push(ast::PipeElem::Expr(ast::Expr::Const(Value::Array(values))));
        }
        for c in commands {
            let pos = ast::Pos {
                line: 1,
                column: 1,
                offset: 0,
            };
            let mut args = Vec::new();
            let name = if c.is_script {
                let block = parser::parse_script(&c.name)?;
                args.push(ast::CmdArg::Value(ast::Expr::ScriptBlock(
                    Arc::new(block),
                    c.name.clone(),
                )));
                "&".to_string()
            } else {
                c.name.clone()
            };
            for (n, v) in &c.args {
                match n {
                    Some(n) => {
                        let n = n.trim_start_matches('-').to_string();
                        args.push(ast::CmdArg::Param {
                            name: n,
                            value: Some(ast::Expr::Const(v.clone())),
                        });
                    }
                    None => args.push(ast::CmdArg::Value(ast::Expr::Const(v.clone()))),
                }
            }
            elements.push(ast::PipeElem::Command(ast::Command {
                name,
                args,
                pos,
                text: c.name.clone(),
            }));
        }
        let block = ast::Block {
            params: Vec::new(),
            begin: None,
            process: None,
            statements: if elements.is_empty() {
                Vec::new()
            } else {
                vec![ast::Stmt::Pipeline(ast::Pipeline {
                    elements,
                    pos: ast::Pos {
                        line: 1,
                        column: 1,
                        offset: 0,
                    },
                })]
            },
        };
        Ok(Job::from_block(block, ctx))
    }

    fn from_block(block: ast::Block, ctx: ScriptContext) -> Job {
        let io = Arc::new(Mutex::new(Io {
            now: Duration::ZERO,
            events: Vec::new(),
            max_events: 64,
            steps: 0,
            budget: interp::STEP_BUDGET,
            wake: Wake::Now,
            pending_host: None,
            host_answer: None,
        }));
        let rt = interp::Rt::new(ctx, io.clone());
        let fut: JobFuture = Box::pin(async move {
            let rt = rt;
            let block = block;
            rt.run_script(&block).await
        });
        Job {
            fut: Some(fut),
            io,
            stop_requested: false,
            step_limit: None,
            steps_spent: 0,
        }
    }

    /// Limits the whole job to `steps` units of work (loop iterations,
    /// pipeline objects, commands): a job that has spent them ends with a
    /// `ScriptStepLimitExceeded` failure instead of running on, so a script
    /// such as `while (1) {}` stops. Without a limit a job runs until it
    /// ends or is stopped, a bounded amount of work per [`Job::poll`].
    #[must_use]
    pub fn with_step_limit(mut self, steps: u64) -> Job {
        self.step_limit = Some(steps);
        self
    }

    /// The steps the job has spent so far, over all its polls.
    pub fn steps_spent(&self) -> u64 {
        self.steps_spent
    }

    /// The failure of a job that spent its step limit.
    fn step_limit_error(limit: u64) -> ErrorInfo {
        ErrorInfo::new(
            format!(
                "The script was stopped because it ran more than {limit} steps, the limit set for it."
            ),
            "ScriptStepLimitExceeded",
            ErrorCategory::LimitsExceeded,
            "System.Management.Automation.PipelineStoppedException",
        )
    }

    /// Runs the job at time `now` (time since the job started, from the caller's clock)
    /// until it blocks (sleep, host call), has produced about `max_events` events, has spent
    /// its step budget, or finishes. The last event of a job is [`JobEvent::Finished`].
    pub fn poll(&mut self, now: Duration, max_events: usize) -> Vec<JobEvent> {
        let Some(fut) = self.fut.as_mut() else {
            return Vec::new();
        };
        if self.stop_requested {
            self.fut = None;
            let mut io = lock(&self.io);
            let mut events = std::mem::take(&mut io.events);
            io.pending_host = None;
            events.push(JobEvent::Finished(JobOutcome::Stopped));
            return events;
        }
        {
            let mut io = lock(&self.io);
            if io.now < now {
                io.now = now;
            }
            io.max_events = max_events.max(MIN_EVENTS);
            io.steps = 0;
            io.budget = match self.step_limit {
                Some(limit) => {
                    let left = limit.saturating_sub(self.steps_spent);
                    u32::try_from(left).map_or(interp::STEP_BUDGET, |l| l.min(interp::STEP_BUDGET))
                }
                None => interp::STEP_BUDGET,
            };
            io.wake = Wake::Now;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        // A job whose limit is spent is not resumed: it fails at once.
        let result = match self.step_limit {
            Some(limit) if self.steps_spent >= limit => {
                Poll::Ready(JobOutcome::Failed(Self::step_limit_error(limit)))
            }
            _ => fut.as_mut().poll(&mut cx),
        };
        let mut io = lock(&self.io);
        self.steps_spent = self.steps_spent.saturating_add(u64::from(io.steps));
        let mut events = std::mem::take(&mut io.events);
        let result = match (result, self.step_limit) {
            (Poll::Pending, Some(limit)) if self.steps_spent >= limit => {
                Poll::Ready(JobOutcome::Failed(Self::step_limit_error(limit)))
            }
            (result, _) => result,
        };
        if let Poll::Ready(outcome) = result {
            io.pending_host = None;
            drop(io);
            self.fut = None;
            events.push(JobEvent::Finished(outcome));
        }
        events
    }

    /// When the job next wants to be polled: `Some(t)` (job time; `t` at or before the last
    /// `now` means "poll again now"), `None` when it waits on a host call or has finished.
    pub fn next_wakeup(&self) -> Option<Duration> {
        self.fut.as_ref()?;
        let io = lock(&self.io);
        if self.stop_requested {
            return Some(io.now);
        }
        match io.wake {
            Wake::Now => Some(io.now),
            Wake::At(t) => Some(t),
            Wake::Host => None,
        }
    }

    /// The host call the job is waiting on, if any.
    pub fn pending_host_call(&self) -> Option<HostCall> {
        lock(&self.io).pending_host.clone()
    }

    /// Answers the pending host call (for `Read-Host` the line read, a string). Returns
    /// false when no host call is pending.
    pub fn answer_host_call(&mut self, value: Value) -> bool {
        let mut io = lock(&self.io);
        if io.pending_host.is_none() || self.fut.is_none() {
            return false;
        }
        io.pending_host = None;
        io.host_answer = Some(value);
        io.wake = Wake::Now;
        true
    }

    /// Stops the job (Ctrl+C): the next [`Job::poll`] returns `Finished(Stopped)`.
    pub fn stop(&mut self) {
        if self.fut.is_some() {
            self.stop_requested = true;
        }
    }

    /// Whether the job has delivered its `Finished` event.
    pub fn is_finished(&self) -> bool {
        self.fut.is_none()
    }
}
