//! The executor of the `baton` command line: runs bound PowerShell lines
//! against the worker and prints what the PowerShell console prints.
//!
//! A [`Shell`] is one console: variables (`$s = New-PSSession …`), the local
//! session repository (what `Get-PSSession` without `-ComputerName` shows), a
//! [`WorkerHandle`] to the worker that does the remote work, the saved
//! profiles (so `-ComputerName Srv1` finds its connection settings), and a
//! source of passwords. [`run_cli`] runs the `baton` command line.
//!
//! Cmdlets: New-PSSession, Get-PSSession (this console's sessions, or
//! `-ComputerName`/`-ConnectionUri` enumeration), Disconnect-PSSession,
//! Connect-PSSession, Receive-PSSession, Invoke-Command (`-Session`,
//! `-ComputerName` with temporary sessions, `-InDisconnectedSession`,
//! `{Get-PSSessionConfiguration …}`), Remove-PSSession, New-PSSessionOption,
//! Test-WSMan, Connect-WSMan, Disconnect-WSMan, Format-List, Format-Table.
//! Not supported: background jobs (`-AsJob`, `-OutTarget Job`).
//! `Remove-PSSession -Confirm` asks on the terminal in PowerShell's words
//! and refuses without one; `-WhatIf` works.
//!
//! Passwords never come from arguments: `-Credential DOMAIN\user` takes the
//! secret from the saved credential store (the computer's profile's entry,
//! else any entry saved for that user), else from the `BATON_PASSWORD` environment
//! variable, else from a prompt on the terminal (without echo). The
//! `-ProxyCredential` of `New-PSSessionOption` (or a profile's proxy
//! credential) is found the same way, with `BATON_PROXY_PASSWORD`. They are
//! never printed or logged.

// A command error is built once per failed command and printed at once;
// boxing it would only add noise at every construction site.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::cmdlets::{
    self, Arg, ConnectPSSession, CredentialArg, DisconnectPSSession, GetPSSession, Invocation,
    InvokeCommand, InvokeTarget, NewPSSession, ReceivePSSession, RemoteConnection, RemoteTarget,
    RemovePSSession, ScriptSource, Selection, SessionFilterState, SessionOptionArg, SessionOptions,
    SessionTarget, WsmanConnection,
};
use super::format::{self, SessionRow};
use super::syntax::{Member, StrPart, Value};
use super::{BoundStatement, LineError};
use crate::bridge::{
    Change, Command, ComputerRef, CredentialChoice, Event, KnownSessions, OpId, SessionRef,
    WorkerHandle, merge_session,
};
use crate::model::profile::ProfileTree;
use crate::model::rules::check_disconnect_idle_timeout;
use crate::model::{
    AuthMechanism, Availability, ConnectionSpec, Credential, OutputBufferingMode, OutputItem,
    ScriptValue, SessionInfo, SessionState, UserError,
};
use crate::pslang::wildcard_match_ci as wildcard_match;
use crate::store;

/// The `wsmid` Test-WSMan shows (the WS-Management identity schema).
const WSMID: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
/// The largest script file `Invoke-Command -FilePath` reads.
const MAX_SCRIPT_FILE: u64 = 1024 * 1024;
/// The least time Ctrl+C waits for the stopped remote commands to end
/// before the shell gives them up and returns to the prompt; the wait is
/// the sessions' CancelTimeout (60 s unless set), as PowerShell's.
const STOP_GRACE_MIN: Duration = Duration::from_secs(1);

/// The terminal's width for progress bars: `COLUMNS` when set, else 80.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(80)
}

/// Where passwords for `-Credential DOMAIN\user` come from (after the saved
/// credential store).
pub enum Passwords {
    /// The `BATON_PASSWORD` environment variable, else a prompt when stdin is a terminal.
    Environment,
    /// Fixed (user, password) pairs (tests; no environment, no prompt).
    Given(Vec<(String, String)>),
}

/// A PSSession known to this console, with the connection used to reach it.
#[derive(Clone, Debug)]
struct LocalSession {
    info: SessionInfo,
    computer: ComputerRef,
}

impl LocalSession {
    fn key(&self) -> (String, Uuid) {
        (
            self.info.computer_name.to_ascii_lowercase(),
            self.info.instance_id,
        )
    }

    fn session_ref(&self) -> SessionRef {
        SessionRef {
            computer: self.computer.clone(),
            instance_id: self.info.instance_id,
            name: self.info.name.clone(),
        }
    }
}

/// One object in a pipeline or a variable.
#[derive(Clone, Debug)]
enum Obj {
    Session(Box<LocalSession>),
    Options(Box<SessionOptions>),
    Text(String),
    Int(i64),
    /// A property bag (configuration quotas, Test-WSMan, ConnectionInfo).
    Record(Vec<(String, String)>),
    /// Already formatted text (the output of Format-List / Format-Table).
    Formatted(String),
}

/// A command's error, shaped like PowerShell's error record.
struct CmdError {
    command: String,
    message: String,
    category: &'static str,
    target: String,
    reason: &'static str,
    error_id: String,
}

impl CmdError {
    fn new(command: &str, message: impl Into<String>) -> Self {
        CmdError {
            command: command.to_owned(),
            message: message.into(),
            category: "InvalidOperation",
            target: ":".into(),
            reason: "RuntimeException",
            error_id: String::new(),
        }
    }

    /// The same error with PowerShell's category, exception and error id.
    fn classified(mut self, category: &'static str, reason: &'static str, id: &str) -> Self {
        self.category = category;
        self.reason = reason;
        self.error_id = id.to_owned();
        self
    }

    fn from_user(command: &str, target: &str, e: &UserError) -> Self {
        let mut message = if e.detail.is_empty() {
            e.summary.clone()
        } else {
            e.detail.clone()
        };
        if let Some(a) = &e.advice
            && !message.contains(a.as_str())
        {
            // A sentence, then its hint.
            let trimmed = message.trim_end().len();
            message.truncate(trimmed);
            if !message.ends_with(['.', '!', '?', ':']) {
                message.push('.');
            }
            message.push(' ');
            message.push_str(a);
        }
        CmdError {
            command: command.to_owned(),
            message,
            category: "OpenError",
            target: if target.is_empty() {
                ":".into()
            } else {
                format!("{target}:PSSession")
            },
            reason: "PSRemotingTransportException",
            error_id: e.error_id.clone().unwrap_or_default(),
        }
    }
}

/// What the worker reported for the actions waited on.
#[derive(Default)]
struct Collected {
    failures: Vec<UserError>,
    listed: Vec<(String, Vec<SessionInfo>)>,
    changed: Vec<SessionInfo>,
    gone: Vec<(String, Uuid)>,
    identified: Vec<(String, String, String, String)>,
    quotas: Vec<(String, crate::model::ConfigurationQuotas)>,
    remote_errors: usize,
}

/// A PowerShell-console-like state that runs lines of cmdlet syntax.
pub struct Shell {
    worker: WorkerHandle,
    profiles: ProfileTree,
    passwords: Passwords,
    /// Print one JSON document per result object per line instead of tables.
    pub json: bool,
    /// How long to wait for the worker without hearing anything (default 10 minutes).
    pub silence_limit: Duration,
    vars: HashMap<String, Vec<Obj>>,
    repo: Vec<LocalSession>,
    /// Computers connected with Connect-WSMan: the name given (lower
    /// case) → the worker's computer name.
    wsman: BTreeMap<String, String>,
    prompted: HashMap<String, Credential>,
    /// Answers for Read-Host in remote commands given in advance (None: ask the terminal when there is one).
    host_answers: Option<std::collections::VecDeque<String>>,
    /// Commands stopped while waiting for input: once the stop is through,
    /// an empty answer wakes them so they can end.
    stopping: HashMap<OpId, (SessionRef, Uuid)>,
    /// Answers in flight: true for the empty answer that wakes a command
    /// stopped while it waited for input (its failure is no news).
    answering: HashMap<OpId, bool>,
    /// Set by a Ctrl+C handler: the action being waited on is stopped.
    interrupt: Option<Arc<AtomicBool>>,
    /// Set (to the exit code) when the process is ending: SIGTERM, SIGHUP,
    /// or a second Ctrl+C. The action being waited on is abandoned, not
    /// stopped: what runs remotely goes on in sessions that are handed back.
    ending: Option<Arc<std::sync::atomic::AtomicI32>>,
    /// Saved credentials (entry id, user).
    saved: Vec<(String, String)>,
    /// What the worker's session events say (the fold the console uses too).
    known: KnownSessions,
    failed: bool,
    /// Where remote progress records go.
    pub progress_mode: ProgressMode,
    progress: crate::cli::progress::ProgressBars,
    /// The table remote objects are being written into.
    views: crate::cli::remote_view::ViewWriter,
    /// The operating system whose rules apply (`std::env::consts::OS`).
    platform: &'static str,
    /// WARNING lines met while waiting with nowhere to print them yet
    /// (printed when the line's statement is done).
    pending_warnings: Vec<String>,
}

/// Where a shell shows remote commands' progress records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// Not shown: stderr is not a terminal (PowerShell shows none there either).
    #[default]
    Off,
    /// Bars on the terminal, redrawn in place.
    Terminal,
    /// One JSON object per record on stderr (`--json`).
    Json,
}

impl Shell {
    /// A console that drives `worker`, resolves computer names through
    /// `profiles` and takes passwords from `passwords`.
    pub fn new(worker: WorkerHandle, profiles: ProfileTree, passwords: Passwords) -> Self {
        Shell {
            worker,
            profiles,
            passwords,
            json: false,
            silence_limit: Duration::from_mins(10),
            vars: HashMap::new(),
            repo: Vec::new(),
            wsman: BTreeMap::new(),
            prompted: HashMap::new(),
            host_answers: None,
            stopping: HashMap::new(),
            answering: HashMap::new(),
            interrupt: None,
            ending: None,
            saved: Vec::new(),
            known: KnownSessions::default(),
            failed: false,
            progress_mode: ProgressMode::Off,
            progress: crate::cli::progress::ProgressBars::new(terminal_width()),
            views: crate::cli::remote_view::ViewWriter::default(),
            platform: std::env::consts::OS,
            pending_warnings: Vec::new(),
        }
    }

    /// Answers to give, in order, when remote commands ask for input
    /// (`Read-Host`), instead of asking the terminal; when they run out, a
    /// command that asks is stopped.
    pub fn set_host_answers(&mut self, answers: Vec<String>) {
        self.host_answers = Some(answers.into());
    }

    /// A flag a Ctrl+C handler sets: the remote commands being waited on are
    /// stopped, the actions cancelled, and the line returns (failed).
    pub fn set_interrupt_flag(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// A flag set (to the exit code) when the process must end: waits are
    /// abandoned and the line returns.
    pub fn set_ending_flag(&mut self, flag: Arc<std::sync::atomic::AtomicI32>) {
        self.ending = Some(flag);
    }

    /// Applies `os`'s rules (`linux`, `windows`, `macos`) instead of this
    /// computer's: for tests of what users on other platforms meet.
    pub fn set_platform(&mut self, os: &'static str) {
        self.platform = os;
    }

    /// What Tab completes besides the command table: this shell's
    /// variables and sessions, and the profiles' computers.
    pub fn known_words(&self) -> crate::cli::complete::KnownWords {
        crate::cli::complete::KnownWords {
            variables: self.vars.keys().cloned().collect(),
            sessions: self
                .repo
                .iter()
                .map(|s| (s.info.name.clone(), s.info.id))
                .collect(),
            computers: self
                .profiles
                .computers()
                .into_iter()
                .map(|e| e.computer.name.clone())
                .collect(),
        }
    }

    fn is_ending(&self) -> bool {
        self.ending
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst) != 0)
    }

    /// Ends this console as PowerShell's host does, without stranding
    /// anyone: the worker hands back every session it holds (a session
    /// created here with nothing running is closed; one connected to here,
    /// or with a command still running, is disconnected so the next person
    /// can connect to it), one line per session goes to `err`, and the
    /// worker stops. Returns false when a session could not be handed back.
    pub fn finish(&mut self, err: &mut dyn Write) -> bool {
        let mut ok = true;
        if !self.worker.send(Command::Shutdown {
            release: crate::bridge::Release::HandBack,
        }) {
            return ok;
        }
        // Each session is bounded by the worker's own release timeout; this
        // only guards against a worker that never answers.
        let deadline = Instant::now() + Duration::from_mins(1);
        while let Some(ev) = self
            .worker
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            match ev {
                Event::SessionReleased {
                    ref computer,
                    ref name,
                    ref outcome,
                    ..
                } => {
                    ok &= !matches!(outcome, crate::bridge::ReleaseOutcome::Failed(_));
                    let line = release_line(name, computer, outcome);
                    let _ = err.write_all(format::terminal_safe(&line).as_bytes());
                    self.absorb(&ev);
                }
                Event::Stopped => break,
                other => self.absorb(&other),
            }
        }
        let _ = err.flush();
        ok
    }

    /// Parses, binds and runs one line; output goes to `out`, errors,
    /// warnings and verbose messages to `err`. Returns false when anything
    /// failed (as PowerShell's `$?`).
    pub fn run_line(&mut self, line: &str, out: &mut dyn Write, err: &mut dyn Write) -> bool {
        self.drain_events();
        self.failed = false;
        // A syntax error stops the whole line; binding happens per statement
        // when it is reached, as in PowerShell.
        let statements = match super::syntax::parse(line) {
            Ok(s) => s,
            Err(e) => {
                let e = LineError::Parse(e);
                let _ = err.write_all(super::render_line_error(line, &e).as_bytes());
                return false;
            }
        };
        for parsed in &statements {
            let st = match super::bind_statement(parsed) {
                Ok(st) => st,
                Err(e) => {
                    let e = LineError::Bind(e);
                    let _ = err.write_all(super::render_line_error(line, &e).as_bytes());
                    self.failed = true;
                    continue;
                }
            };
            let st = &st;
            let result = self.run_statement(st, out, err);
            // Warnings met on the way come before the statement's output.
            for w in std::mem::take(&mut self.pending_warnings) {
                let _ = err.write_all(w.as_bytes());
            }
            match result {
                Ok(objs) => match &st.assign_to {
                    Some(var) => {
                        self.vars.insert(var.to_ascii_lowercase(), objs);
                    }
                    None => self.render(&objs, out),
                },
                Err(e) => {
                    self.print_error(&e, err);
                }
            }
        }
        let _ = out.flush();
        let _ = err.flush();
        !self.failed
    }

    fn print_error(&mut self, e: &CmdError, err: &mut dyn Write) {
        self.failed = true;
        let class = cmdlet_class(&e.command);
        let fqid = if e.error_id.is_empty() {
            format!("{}Failed,{class}", e.command.replace('-', ""))
        } else if e.error_id.contains(',') {
            e.error_id.clone()
        } else {
            format!("{},{class}", e.error_id)
        };
        // A message can carry a server's fault text, a target its names.
        let view = format::ErrorView {
            command: e.command.clone(),
            message: format::terminal_safe(&e.message).into_owned(),
            category: e.category.into(),
            target: format::terminal_safe(&e.target).into_owned(),
            reason: e.reason.into(),
            fully_qualified_error_id: fqid,
        };
        if self.json {
            let record = serde_json::json!({ "Error": {
                "Message": e.message,
                "FullyQualifiedErrorId": view.fully_qualified_error_id,
                "Category": e.category,
                "Reason": e.reason,
                "TargetObject": e.target,
                "Command": e.command,
            }});
            let _ = err.write_all(format::json_line(&record).as_bytes());
            return;
        }
        let _ = err.write_all(format::format_error(&view, None).as_bytes());
    }
}

/// Computer names, each with the `-ConnectionUri` it came from.
type Targets = Vec<(String, Option<String>)>;

/// Connection parameters shared by the computers of one command.
#[derive(Default)]
struct ConnParams {
    port: Option<u16>,
    use_ssl: bool,
    application_name: Option<String>,
    configuration_name: Option<String>,
    authentication: Option<AuthMechanism>,
    certificate_thumbprint: Option<String>,
    options: Option<SessionOptions>,
    user: Option<String>,
    /// The user of the session option's `-ProxyCredential`.
    proxy_user: Option<String>,
    /// `-AllowRedirection` (with `-ConnectionUri`).
    allow_redirection: bool,
}

/// What Invoke-Command passes to its script besides the text.
struct ScriptArgs {
    /// `-ArgumentList` values, positional.
    arguments: Vec<ScriptValue>,
    /// Input objects; None when the pipeline takes none.
    input: Option<Vec<ScriptValue>>,
}

fn bind_error(command: &str, message: String) -> CmdError {
    CmdError {
        command: command.to_owned(),
        message,
        category: "InvalidArgument",
        target: ":".into(),
        reason: "ParameterBindingException",
        error_id: "CannotConvertArgumentNoMessage".into(),
    }
}

fn not_found(command: &str, message: String) -> CmdError {
    CmdError {
        command: command.to_owned(),
        message,
        category: "InvalidArgument",
        target: ":".into(),
        reason: "ArgumentException",
        error_id: "RemotePSSessionNotFound".into(),
    }
}

fn cmdlet_class(command: &str) -> String {
    match command {
        "Test-WSMan" | "Connect-WSMan" | "Disconnect-WSMan" => format!(
            "Microsoft.WSMan.Management.{}Command",
            command.replace('-', "")
        ),
        _ => format!(
            "Microsoft.PowerShell.Commands.{}Command",
            command.replace('-', "")
        ),
    }
}

mod console;
mod editor;
mod events;
mod invoke;
mod objects;
mod sessions;
mod targets;
#[cfg(test)]
mod tests;
mod values;

use console::*;
pub use console::{SHELL_BANNER, history_path, load_profiles, profiles_path, run_cli};
pub use editor::keep_out_of_history;
use objects::*;
use targets::*;
