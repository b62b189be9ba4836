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
use crate::model::pslang::wildcard_match_ci as wildcard_match;
use crate::model::rules::check_disconnect_idle_timeout;
use crate::model::{
    AuthMechanism, Availability, ConnectionSpec, Credential, OutputBufferingMode, OutputItem,
    ScriptValue, SessionInfo, SessionState, UserError,
};
use crate::store;

/// The `wsmid` Test-WSMan shows (the WS-Management identity schema).
const WSMID: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
/// The largest script file `Invoke-Command -FilePath` reads.
const MAX_SCRIPT_FILE: u64 = 1024 * 1024;
/// The least time Ctrl+C waits for the stopped remote commands to end
/// before the shell gives them up and returns to the prompt; the wait is
/// the sessions' CancelTimeout (60 s unless set), as PowerShell's.
const STOP_GRACE_MIN: Duration = Duration::from_secs(1);

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
            silence_limit: Duration::from_secs(600),
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
        let deadline = Instant::now() + Duration::from_secs(60);
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
                    let _ = err.write_all(release_line(name, computer, outcome).as_bytes());
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
            match self.run_statement(st, out, err) {
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
        let view = format::ErrorView {
            command: e.command.clone(),
            message: e.message.clone(),
            category: e.category.into(),
            target: e.target.clone(),
            reason: e.reason.into(),
            fully_qualified_error_id: fqid,
        };
        let _ = err.write_all(format::format_error(&view, None).as_bytes());
    }

    // -----------------------------------------------------------------
    // Events.

    fn drain_events(&mut self) {
        for e in self.worker.drain() {
            self.absorb(&e);
        }
    }

    /// Keeps the repository in step with what the worker reports, through
    /// the fold the console uses too ([`KnownSessions`]): a session of the
    /// repository takes what the fold knows of it, and leaves the
    /// repository when the fold drops it (removed, gone, closed at exit).
    /// Listings are read by the cmdlets that asked for them.
    fn absorb(&mut self, e: &Event) {
        if matches!(e, Event::SessionsListed { .. }) {
            return;
        }
        match self.known.apply(e) {
            Change::Updated {
                computer,
                instance_id,
            } => {
                let k = (computer.to_ascii_lowercase(), instance_id);
                if let (Some(s), Some(info)) = (
                    self.repo.iter_mut().find(|s| s.key() == k),
                    self.known.get(&computer, instance_id),
                ) {
                    s.info = info.clone();
                }
            }
            Change::Removed {
                computer,
                instance_id,
                ..
            } => {
                let k = (computer.to_ascii_lowercase(), instance_id);
                self.repo.retain(|s| s.key() != k);
            }
            Change::Listed { .. } | Change::None => {}
        }
    }

    /// Waits until every action in `ops` has ended (each ends with exactly
    /// one terminal event); streams command output when `stream` is given.
    fn wait(
        &mut self,
        ops: &[OpId],
        mut stream: Option<(&mut dyn Write, &mut dyn Write)>,
    ) -> Collected {
        let mut c = Collected::default();
        let mut open: std::collections::HashSet<OpId> = ops.iter().copied().collect();
        // Actions whose failed parts were reported: their terminal failure
        // only sums those up, and is not printed again.
        let mut had_parts: std::collections::HashSet<OpId> = Default::default();
        let mut last = Instant::now();
        // Commands that produced output and have not finished (for Ctrl+C).
        let mut running: HashMap<Uuid, (String, Uuid)> = HashMap::new();
        // Set by Ctrl+C: until then, the stopped commands are drained (their
        // "pipeline has been stopped" endings are not news to the user, and
        // must not leak into the next line's output).
        let mut stopping_until: Option<Instant> = None;
        while !open.is_empty() {
            if self.is_ending() {
                // The process is ending (SIGTERM, SIGHUP): stop waiting;
                // whatever runs goes on, and the sessions are handed back.
                self.failed = true;
                for op in &open {
                    self.worker.send(Command::Cancel { op: *op });
                }
                break;
            }
            if let Some(until) = stopping_until {
                if Instant::now() >= until {
                    for op in &open {
                        self.worker.send(Command::Cancel { op: *op });
                    }
                    break;
                }
                if let Some(ev) = self.worker.recv_timeout(Duration::from_millis(50)) {
                    self.absorb(&ev);
                    if ev.is_terminal()
                        && let Some(op) = ev.op()
                    {
                        open.remove(&op);
                    }
                }
                continue;
            }
            let left = self.silence_limit.saturating_sub(last.elapsed());
            let slice = left.min(Duration::from_millis(200));
            let got = self.worker.recv_timeout(slice);
            if self
                .interrupt
                .as_ref()
                .is_some_and(|f| f.swap(false, Ordering::SeqCst))
            {
                // Ctrl+C: stop the remote commands and wait (briefly) for them
                // to end; actions with nothing running are cancelled at once.
                self.failed = true;
                if !running.is_empty() {
                    let mut grace = STOP_GRACE_MIN;
                    for (command_id, (computer, instance_id)) in &running {
                        let k = (computer.to_ascii_lowercase(), *instance_id);
                        if let Some(s) = self.repo.iter().find(|s| s.key() == k) {
                            let cancel = s.computer.spec.cancel_timeout_ms;
                            grace = grace.max(Duration::from_millis(cancel));
                            let op = self.worker.next_op();
                            self.worker.send(Command::StopCommand {
                                op,
                                session: s.session_ref(),
                                command_id: *command_id,
                            });
                        }
                    }
                    stopping_until = Some(Instant::now() + grace);
                    continue;
                }
                for op in &open {
                    self.worker.send(Command::Cancel { op: *op });
                }
                break;
            }
            let Some(ev) = got else {
                if !left.is_zero() && slice < left {
                    continue;
                }
                c.failures.push(UserError {
                    summary: "No answer".into(),
                    detail: format!(
                        "The worker reported nothing for {} seconds; the action was abandoned.",
                        self.silence_limit.as_secs()
                    ),
                    advice: None,
                    error_id: Some("OperationTimeout".into()),
                });
                for op in &open {
                    self.worker.send(Command::Cancel { op: *op });
                }
                break;
            };
            last = Instant::now();
            self.absorb(&ev);
            match ev {
                Event::OpFinished { op, .. } => {
                    open.remove(&op);
                    self.answering.remove(&op);
                    if let Some((session, command_id)) = self.stopping.remove(&op) {
                        self.send_answer(session, command_id, String::new(), true);
                    }
                }
                Event::OpCancelled { op } => {
                    open.remove(&op);
                    self.answering.remove(&op);
                    self.stopping.remove(&op);
                }
                Event::OpFailed { op, error } => {
                    if let Some(wake) = self.answering.remove(&op) {
                        if !wake {
                            c.failures.push(error);
                        }
                        continue;
                    }
                    self.stopping.remove(&op);
                    if open.remove(&op) {
                        if !had_parts.contains(&op) {
                            c.failures.push(error);
                        }
                    } else if stream.is_some() {
                        c.failures.push(error);
                    }
                }
                Event::PartFailed { op, error } if open.contains(&op) => {
                    had_parts.insert(op);
                    c.failures.push(error);
                }
                Event::SessionsListed {
                    op,
                    computer,
                    sessions,
                } if open.contains(&op) => c.listed.push((computer, sessions)),
                Event::SessionChanged(info) => c.changed.push(info),
                Event::SessionGone {
                    computer,
                    instance_id,
                    ..
                } => c.gone.push((computer, instance_id)),
                Event::ComputerIdentified {
                    op,
                    computer,
                    product_vendor,
                    product_version,
                    protocol_version,
                } if open.contains(&op) => {
                    c.identified
                        .push((computer, product_vendor, product_version, protocol_version))
                }
                Event::Configuration {
                    op,
                    computer,
                    quotas,
                } if open.contains(&op) => c.quotas.push((computer, quotas)),
                Event::PromptRequested {
                    computer,
                    instance_id,
                    command_id,
                    prompt,
                    secure,
                } => {
                    if let Some(f) =
                        self.answer_prompt(&computer, instance_id, command_id, &prompt, secure)
                    {
                        c.failures.push(f);
                    }
                }
                Event::CommandFinished { command_id, .. } => {
                    running.remove(&command_id);
                }
                Event::Output {
                    computer,
                    instance_id,
                    command_id,
                    items,
                } => {
                    running.insert(command_id, (computer.clone(), instance_id));
                    if let Some((out, err)) = stream.as_mut() {
                        for item in &items {
                            if self.print_item(&computer, item, &mut **out, &mut **err) {
                                c.remote_errors += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        c
    }

    /// Answers a remote `Read-Host` from the given answers or the terminal;
    /// without either, stops the command and says why.
    fn answer_prompt(
        &mut self,
        computer: &str,
        instance_id: Uuid,
        command_id: Uuid,
        prompt: &str,
        secure: bool,
    ) -> Option<UserError> {
        let k = (computer.to_ascii_lowercase(), instance_id);
        let session = self.repo.iter().find(|s| s.key() == k)?.session_ref();
        let answer = match &mut self.host_answers {
            Some(q) => q.pop_front(),
            None if matches!(self.passwords, Passwords::Environment) => read_host(prompt, secure),
            None => None,
        };
        match answer {
            Some(answer) => {
                self.send_answer(session, command_id, answer, false);
                None
            }
            None => {
                let op = self.worker.next_op();
                let name = session.name.clone();
                self.stopping.insert(op, (session.clone(), command_id));
                self.worker.send(Command::StopCommand {
                    op,
                    session,
                    command_id,
                });
                let asked = if prompt.is_empty() {
                    String::new()
                } else {
                    format!(" ({prompt})")
                };
                Some(UserError {
                    summary: format!("The command in {name} was stopped"),
                    detail: format!(
                        "The command in {name} on {computer} asked for input{asked}, but baton is not reading from a terminal, so it was stopped."
                    ),
                    advice: None,
                    error_id: Some("HostInputUnavailable".into()),
                })
            }
        }
    }

    fn send_answer(&mut self, session: SessionRef, command_id: Uuid, answer: String, wake: bool) {
        let op = self.worker.next_op();
        self.answering.insert(op, wake);
        self.worker.send(Command::AnswerPrompt {
            op,
            session,
            command_id,
            answer,
        });
    }

    /// Prints one item of a remote command's output; true for an error record.
    fn print_item(
        &self,
        computer: &str,
        item: &OutputItem,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> bool {
        let r = match item {
            OutputItem::Output(s) => {
                if self.json {
                    out.write_all(format::json_line(s).as_bytes())
                } else {
                    writeln!(out, "{s}")
                }
            }
            OutputItem::Error(e) => {
                let mut text = String::new();
                text.push_str(&e.message);
                text.push('\n');
                if !e.category.is_empty() {
                    text.push_str(&format!("    + CategoryInfo          : {}\n", e.category));
                }
                if !e.fully_qualified_error_id.is_empty() {
                    text.push_str(&format!(
                        "    + FullyQualifiedErrorId : {}\n",
                        e.fully_qualified_error_id
                    ));
                }
                text.push_str(&format!("    + PSComputerName        : {computer}\n"));
                let _ = err.write_all(text.as_bytes());
                return true;
            }
            OutputItem::Warning(s) => writeln!(err, "WARNING: {s}"),
            OutputItem::Verbose(s) => writeln!(err, "VERBOSE: {s}"),
            OutputItem::Debug(s) => writeln!(err, "DEBUG: {s}"),
            OutputItem::Information(s) | OutputItem::HostPrompt(s) => writeln!(out, "{s}"),
            OutputItem::Progress(_) => Ok(()),
        };
        let _ = r;
        false
    }

    // -----------------------------------------------------------------
    // Statements and values.

    fn run_statement(
        &mut self,
        st: &BoundStatement,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let mut objs = match &st.input {
            Some(v) => self.eval(v, out, err)?,
            None => Vec::new(),
        };
        for cmd in &st.commands {
            objs = self.run_command(&cmd.invocation, cmd.cmdlet, objs, out, err)?;
        }
        Ok(objs)
    }

    fn eval(
        &mut self,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        Ok(match v {
            Value::Null => Vec::new(),
            Value::Bool(b) => vec![Obj::Text(if *b { "True" } else { "False" }.into())],
            Value::Int(i) => vec![Obj::Int(*i)],
            Value::Double(d) => vec![Obj::Text(d.to_string())],
            Value::String(s) | Value::ScriptBlock(s) => vec![Obj::Text(s.clone())],
            Value::Expandable(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Literal(l) => s.push_str(l),
                        StrPart::Variable(v) => {
                            let objs = self.eval(&Value::Variable(v.clone()), out, err)?;
                            s.push_str(&objs.iter().map(obj_text).collect::<Vec<_>>().join(" "));
                        }
                        StrPart::SubExpression(stmts) => {
                            let objs = self.eval(&Value::SubExpression(stmts.clone()), out, err)?;
                            s.push_str(&objs.iter().map(obj_text).collect::<Vec<_>>().join(" "));
                        }
                    }
                }
                vec![Obj::Text(s)]
            }
            Value::Variable(var) => {
                let base = self.variable(&var.name)?;
                let mut cur = base;
                for m in &var.members {
                    cur = self.member(cur, m)?;
                }
                cur
            }
            Value::List(items) => {
                let mut all = Vec::new();
                for i in items {
                    all.extend(self.eval(i, out, err)?);
                }
                all
            }
            Value::Hashtable(entries) => {
                let mut rec = Vec::new();
                for (k, v) in entries {
                    let objs = self.eval(v, out, err)?;
                    rec.push((
                        k.clone(),
                        objs.iter().map(obj_text).collect::<Vec<_>>().join(", "),
                    ));
                }
                vec![Obj::Record(rec)]
            }
            Value::SubPipeline(p) => {
                let st = super::bind_statement(&super::syntax::Statement::Pipeline((**p).clone()))
                    .map_err(|e| {
                        let mut c = CmdError::new(e.command.as_str(), e.message.clone());
                        c.category = "InvalidArgument";
                        c.reason = "ParameterBindingException";
                        c.error_id = e.fully_qualified_error_id.clone();
                        c
                    })?;
                self.run_statement(&st, out, err)?
            }
            Value::SubExpression(stmts) => {
                let mut all = Vec::new();
                for s in stmts {
                    let st = super::bind_statement(s)
                        .map_err(|e| CmdError::new(e.command.as_str(), e.message.clone()))?;
                    let objs = self.run_statement(&st, out, err)?;
                    match &st.assign_to {
                        Some(var) => {
                            self.vars.insert(var.to_ascii_lowercase(), objs);
                        }
                        None => all.extend(objs),
                    }
                }
                all
            }
        })
    }

    fn variable(&self, name: &str) -> Result<Vec<Obj>, CmdError> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "null" => return Ok(Vec::new()),
            "true" => return Ok(vec![Obj::Text("True".into())]),
            "false" => return Ok(vec![Obj::Text("False".into())]),
            _ => {}
        }
        Ok(self
            .vars
            .get(&lower)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|o| self.refresh(o))
            .collect())
    }

    /// A session object as the repository knows it now (removed ones are Closed).
    fn refresh(&self, o: Obj) -> Obj {
        match o {
            Obj::Session(s) => {
                let k = s.key();
                match self.repo.iter().find(|r| r.key() == k) {
                    Some(r) => Obj::Session(Box::new(r.clone())),
                    None => {
                        let mut s = s;
                        s.info.state = SessionState::Closed;
                        s.info.availability = Availability::None;
                        Obj::Session(s)
                    }
                }
            }
            other => other,
        }
    }

    fn member(&self, objs: Vec<Obj>, m: &Member) -> Result<Vec<Obj>, CmdError> {
        match m {
            Member::Index(i) => {
                let n = objs.len() as i64;
                let idx = if *i < 0 { n + *i } else { *i };
                Ok(usize::try_from(idx)
                    .ok()
                    .and_then(|i| objs.get(i).cloned())
                    .into_iter()
                    .collect())
            }
            Member::Property(p) | Member::Key(p) => {
                let mut res = Vec::new();
                for o in objs {
                    if let Some(v) = property(&o, p) {
                        res.push(v);
                    }
                }
                Ok(res)
            }
        }
    }

    /// A deferred argument resolved to a syntax value for the `coerce_*` functions.
    fn resolve_value(
        &mut self,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Value, CmdError> {
        let objs = self.eval(v, out, err)?;
        let vals: Vec<Value> = objs
            .iter()
            .map(|o| match o {
                Obj::Int(i) => Value::Int(*i),
                other => Value::String(obj_text(other)),
            })
            .collect();
        Ok(match vals.len() {
            0 => Value::Null,
            1 => vals.into_iter().next().unwrap_or(Value::Null),
            _ => Value::List(vals),
        })
    }

    fn arg<T: Clone>(
        &mut self,
        command: &str,
        param: &str,
        a: &Option<Arg<T>>,
        conv: fn(&str, &Value) -> Result<T, String>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<T>, CmdError> {
        match a {
            None => Ok(None),
            Some(Arg::Value(v)) => Ok(Some(v.clone())),
            Some(Arg::Deferred(v)) => {
                let val = self.resolve_value(v, out, err)?;
                if val == Value::Null {
                    return Err(bind_error(
                        command,
                        format!("Cannot bind argument to parameter '{param}' because it is null."),
                    ));
                }
                conv(param, &val)
                    .map(Some)
                    .map_err(|m| bind_error(command, m))
            }
        }
    }

    fn sessions_of(
        &mut self,
        command: &str,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let objs = self.eval(v, out, err)?;
        if objs.is_empty() {
            return Err(bind_error(
                command,
                "Cannot bind argument to parameter 'Session' because it is null.".to_owned(),
            ));
        }
        to_sessions(command, objs)
    }

    fn target_sessions(
        &mut self,
        command: &str,
        t: &SessionTarget,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        match t {
            SessionTarget::Sessions(v) => self.sessions_of(command, v, out, err),
            SessionTarget::Pipeline => to_sessions(command, input),
            SessionTarget::Name(n) => {
                let names = self
                    .arg(
                        command,
                        "Name",
                        &Some(n.clone()),
                        cmdlets::coerce_string_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| names.iter().any(|p| wildcard_match(p, &s.info.name)))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the name {} is not available.",
                            names.join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::InstanceId(i) => {
                let ids = self
                    .arg(
                        command,
                        "InstanceId",
                        &Some(i.clone()),
                        cmdlets::coerce_guid_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| ids.contains(&s.info.instance_id))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the instance ID {} is not available.",
                            ids.iter()
                                .map(Uuid::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::Id(i) => {
                let ids = self
                    .arg(
                        command,
                        "Id",
                        &Some(i.clone()),
                        cmdlets::coerce_int_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| ids.iter().any(|i| i64::from(*i) == i64::from(s.info.id)))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the session ID {} is not available.",
                            ids.iter()
                                .map(i32::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::ComputerName(c) => {
                let names = self
                    .arg(
                        command,
                        "ComputerName",
                        &Some(c.clone()),
                        cmdlets::coerce_string_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                Ok(self
                    .repo
                    .iter()
                    .filter(|s| {
                        names.iter().any(|p| {
                            wildcard_match(p, &s.info.computer_name)
                                || wildcard_match(p, &s.computer.name)
                        })
                    })
                    .cloned()
                    .collect())
            }
        }
    }

    // -----------------------------------------------------------------
    // Computers and credentials.

    fn options_of(
        &mut self,
        command: &str,
        o: &Option<SessionOptionArg>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<SessionOptions>, CmdError> {
        match o {
            None => Ok(None),
            Some(SessionOptionArg::Options(o)) => Ok(Some((**o).clone())),
            Some(SessionOptionArg::Deferred(v)) => {
                let objs = self.eval(v, out, err)?;
                match objs.into_iter().next() {
                    Some(Obj::Options(o)) => Ok(Some(*o)),
                    Some(other) => Err(bind_error(
                        command,
                        format!(
                            "Cannot bind parameter 'SessionOption'. Cannot convert the \"{}\" value of type \"System.String\" to type \"System.Management.Automation.Remoting.PSSessionOption\".",
                            obj_text(&other)
                        ),
                    )),
                    None => Err(bind_error(
                        command,
                        "Cannot bind argument to parameter 'SessionOption' because it is null."
                            .into(),
                    )),
                }
            }
        }
    }

    fn credential_user(
        &mut self,
        command: &str,
        c: &Option<CredentialArg>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<String>, CmdError> {
        match c {
            None => Ok(None),
            Some(CredentialArg::UserName(u)) => Ok(Some(u.clone())),
            Some(CredentialArg::Deferred(v)) => {
                let objs = self.eval(v, out, err)?;
                match objs.first() {
                    Some(o) => Ok(Some(obj_text(o))),
                    None => Err(bind_error(
                        command,
                        "Cannot bind argument to parameter 'Credential' because it is null.".into(),
                    )),
                }
            }
        }
    }

    /// The user of `-ProxyCredential` in the session option, if any.
    fn proxy_user(
        &mut self,
        command: &str,
        options: &Option<SessionOptions>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<String>, CmdError> {
        let arg = options.as_ref().and_then(|o| o.proxy_credential.clone());
        self.credential_user(command, &arg, out, err)
    }

    /// ShouldProcess with `-Confirm`: asks on the terminal, in PowerShell's
    /// words, whether to perform `operation` on `target`. `all` keeps a
    /// "Yes to All"/"No to All" for the rest of the command. Without a
    /// terminal to ask on it refuses: it never goes ahead unasked.
    fn should_process(
        &mut self,
        cmdlet: &str,
        operation: &str,
        target: &str,
        confirm: Option<bool>,
        all: &mut Option<bool>,
        err: &mut dyn Write,
    ) -> Result<bool, CmdError> {
        if confirm != Some(true) {
            return Ok(true);
        }
        if let Some(v) = *all {
            return Ok(v);
        }
        loop {
            let _ = err
                .write_all(format!("\n{}", format::confirm_prompt(operation, target)).as_bytes());
            let _ = err.flush();
            let answer = match &mut self.host_answers {
                Some(q) => q.pop_front(),
                None if matches!(self.passwords, Passwords::Environment)
                    && std::io::stdin().is_terminal() =>
                {
                    let mut line = String::new();
                    match std::io::stdin().lock().read_line(&mut line) {
                        Ok(n) if n > 0 => Some(line),
                        _ => None,
                    }
                }
                None => None,
            };
            let Some(answer) = answer else {
                let _ = writeln!(err);
                return Err(CmdError::new(
                    cmdlet,
                    format!(
                        "{cmdlet} -Confirm must ask before it performs the operation \"{operation}\" on target \"{target}\", and there is no terminal to ask on; nothing was done. Run it in a terminal, or leave out -Confirm."
                    ),
                )
                .classified("InvalidOperation", "HostException", "HostException"));
            };
            match answer.trim().to_ascii_lowercase().as_str() {
                "" | "y" | "yes" => return Ok(true),
                "a" => {
                    *all = Some(true);
                    return Ok(true);
                }
                "n" | "no" => return Ok(false),
                "l" => {
                    *all = Some(false);
                    return Ok(false);
                }
                "?" => {
                    let _ = err.write_all(
                        b"Y - Continue with only the next step of the operation.\nA - Continue with all the steps of the operation.\nN - Skip this operation and proceed with the next operation.\nL - Skip this operation and all subsequent operations.\n",
                    );
                }
                _ => {}
            }
        }
    }

    /// The sessions `-Confirm` lets through (all of them without it).
    fn confirmed(
        &mut self,
        cmdlet: &str,
        operation: &str,
        sessions: Vec<LocalSession>,
        confirm: Option<bool>,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let mut all = None;
        let mut kept = Vec::new();
        for s in sessions {
            let target = format!(
                "Name: {}, ComputerName: {}",
                s.info.name, s.info.computer_name
            );
            if self.should_process(cmdlet, operation, &target, confirm, &mut all, err)? {
                kept.push(s);
            }
        }
        Ok(kept)
    }

    /// The saved credential of `user` (case-insensitive), by entry id.
    fn saved_entry(&self, user: &str) -> Option<String> {
        self.saved
            .iter()
            .find(|(_, u)| u.eq_ignore_ascii_case(user))
            .map(|(id, _)| id.clone())
    }

    /// The credentials saved in the store (entry id, user), looked up by
    /// user name for `-Credential DOMAIN\user` before `BATON_PASSWORD`.
    pub fn set_saved_credentials(&mut self, saved: Vec<(String, String)>) {
        self.saved = saved;
    }

    fn password_for(&mut self, command: &str, user: &str) -> Result<Credential, CmdError> {
        self.password_from(command, user, "BATON_PASSWORD", "")
    }

    /// The password of a `-ProxyCredential` user: `BATON_PROXY_PASSWORD`,
    /// else a prompt on the terminal.
    fn proxy_password_for(&mut self, command: &str, user: &str) -> Result<Credential, CmdError> {
        self.password_from(command, user, "BATON_PROXY_PASSWORD", "proxy user ")
    }

    fn password_from(
        &mut self,
        command: &str,
        user: &str,
        variable: &str,
        kind: &str,
    ) -> Result<Credential, CmdError> {
        let k = format!("{kind}{}", user.to_ascii_lowercase());
        if let Some(c) = self.prompted.get(&k) {
            return Ok(c.clone());
        }
        let pw = match &self.passwords {
            Passwords::Given(list) => list
                .iter()
                .find(|(u, _)| u.eq_ignore_ascii_case(user))
                .map(|(_, p)| p.clone()),
            Passwords::Environment => match std::env::var(variable) {
                Ok(p) if !p.is_empty() => Some(p),
                _ => prompt_password(&format!(
                    "{}{user}",
                    if kind.is_empty() { "user " } else { kind }
                )),
            },
        };
        match pw {
            Some(p) => {
                let c = Credential::new(user, p);
                self.prompted.insert(k, c.clone());
                Ok(c)
            }
            None => Err(CmdError {
                command: command.to_owned(),
                message: format!(
                    "No password for {kind}{user}: set the {variable} environment variable, or run baton in a terminal to be asked for it (a password is never taken from the command line)."
                ),
                category: "InvalidArgument",
                target: ":".into(),
                reason: "PSArgumentException",
                error_id: "CredentialUnavailable".into(),
            }),
        }
    }

    /// `-ComputerName name` with the connection parameters given, as a worker `ComputerRef`.
    fn computer_ref(
        &mut self,
        command: &str,
        name: &str,
        uri: Option<&str>,
        conn: &ConnParams,
    ) -> Result<ComputerRef, CmdError> {
        let resolved = store::resolve::computer(&self.profiles, name);
        let mut spec = resolved.spec.clone();
        spec.allow_redirection |= conn.allow_redirection;
        if let Some(u) = uri {
            spec.connection_uri = Some(u.to_owned());
            if let Some(host) = uri_host(u) {
                spec.computer_name = host;
            }
        }
        if conn.use_ssl {
            spec.scheme = "https".into();
            if conn.port.is_none() && spec.port == 5985 {
                spec.port = 5986;
            }
        }
        if let Some(p) = conn.port {
            spec.port = p;
        }
        if let Some(a) = &conn.application_name {
            spec.app_name = a.trim_start_matches('/').to_owned();
        }
        if let Some(c) = &conn.configuration_name {
            spec.configuration_name = c.clone();
        }
        if let Some(a) = conn.authentication {
            spec.authentication = a;
        }
        if let Some(t) = &conn.certificate_thumbprint {
            spec.certificate_thumbprint = Some(t.clone());
        }
        if let Some(o) = &conn.options {
            apply_options(&mut spec, o);
        }
        let credential = match (&conn.user, &resolved.credential) {
            (Some(u), Some(r)) if r.user.eq_ignore_ascii_case(u) && r.entry.is_some() => {
                CredentialChoice::Saved {
                    entry_id: r.entry.clone().unwrap_or_default(),
                    user: r.user.clone(),
                }
            }
            // A password saved for this user (`baton credential add`) comes
            // before BATON_PASSWORD and the prompt.
            (Some(u), _) => match self.saved_entry(u) {
                Some(entry_id) => CredentialChoice::Saved {
                    entry_id,
                    user: u.clone(),
                },
                None => CredentialChoice::Once(self.password_for(command, u)?),
            },
            (None, Some(r)) => match &r.entry {
                Some(e) => CredentialChoice::Saved {
                    entry_id: e.clone(),
                    user: r.user.clone(),
                },
                None => CredentialChoice::Once(self.password_for(command, &r.user.clone())?),
            },
            (None, None) => CredentialChoice::Implicit,
        };
        // -ProxyCredential: the saved entry when the profile's proxy
        // credential names the same user, else a password as for -Credential.
        let proxy_credential = match (&conn.proxy_user, &resolved.proxy_credential) {
            (Some(u), Some(r)) if r.user.eq_ignore_ascii_case(u) && r.entry.is_some() => {
                Some(CredentialChoice::Saved {
                    entry_id: r.entry.clone().unwrap_or_default(),
                    user: r.user.clone(),
                })
            }
            (Some(u), _) => {
                spec.proxy_user = Some(u.clone());
                Some(CredentialChoice::Once(self.proxy_password_for(command, u)?))
            }
            (None, Some(r)) => match &r.entry {
                Some(e) => Some(CredentialChoice::Saved {
                    entry_id: e.clone(),
                    user: r.user.clone(),
                }),
                None => Some(CredentialChoice::Once(
                    self.proxy_password_for(command, &r.user.clone())?,
                )),
            },
            (None, None) => None,
        };
        let shown = if uri.is_some() && resolved.group_path.is_empty() {
            spec.computer_name.clone()
        } else {
            resolved.name.clone()
        };
        Ok(ComputerRef::new(&shown, spec, credential).with_proxy_credential(proxy_credential))
    }

    fn conn_params(
        &mut self,
        command: &str,
        c: &RemoteConnection,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(Targets, ConnParams), CmdError> {
        let mut p = ConnParams {
            configuration_name: self.arg(
                command,
                "ConfigurationName",
                &c.configuration_name,
                cmdlets::coerce_string,
                out,
                err,
            )?,
            authentication: self
                .arg(
                    command,
                    "Authentication",
                    &c.authentication,
                    cmdlets::coerce_authentication,
                    out,
                    err,
                )?
                .and_then(|a| AuthMechanism::parse(&format!("{a:?}"))),
            certificate_thumbprint: self.arg(
                command,
                "CertificateThumbprint",
                &c.certificate_thumbprint,
                cmdlets::coerce_string,
                out,
                err,
            )?,
            options: self.options_of(command, &c.session_option, out, err)?,
            user: self.credential_user(command, &c.credential, out, err)?,
            ..ConnParams::default()
        };
        p.proxy_user = self.proxy_user(command, &p.options, out, err)?;
        let targets = match &c.target {
            RemoteTarget::ComputerName {
                names,
                port,
                use_ssl,
                application_name,
            } => {
                let port = self.arg(command, "Port", port, cmdlets::coerce_int, out, err)?;
                p.port = port.and_then(|x| u16::try_from(x).ok());
                p.use_ssl = *use_ssl;
                p.application_name = self.arg(
                    command,
                    "ApplicationName",
                    application_name,
                    cmdlets::coerce_string,
                    out,
                    err,
                )?;
                self.arg(
                    command,
                    "ComputerName",
                    &Some(names.clone()),
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?
                .unwrap_or_default()
                .into_iter()
                .map(|n| (n, None))
                .collect()
            }
            RemoteTarget::ConnectionUri {
                uris,
                allow_redirection,
            } => {
                p.allow_redirection = *allow_redirection;
                self.arg(
                    command,
                    "ConnectionUri",
                    &Some(uris.clone()),
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?
                .unwrap_or_default()
                .into_iter()
                .map(|u| (uri_host(&u).unwrap_or_else(|| u.clone()), Some(u)))
                .collect()
            }
        };
        Ok((targets, p))
    }

    fn computers(
        &mut self,
        command: &str,
        c: &RemoteConnection,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(Vec<ComputerRef>, ConnParams), CmdError> {
        let (targets, p) = self.conn_params(command, c, out, err)?;
        let mut refs = Vec::new();
        for (name, uri) in targets {
            refs.push(self.computer_ref(command, &name, uri.as_deref(), &p)?);
        }
        Ok((refs, p))
    }

    fn remember(&mut self, s: LocalSession) -> LocalSession {
        self.known.upsert(&s.info);
        let k = s.key();
        match self.repo.iter_mut().find(|r| r.key() == k) {
            Some(r) => {
                r.info = s.info.clone();
                r.computer = s.computer.clone();
                r.clone()
            }
            None => {
                self.repo.push(s.clone());
                s
            }
        }
    }

    fn report(&mut self, command: &str, failures: &[UserError], err: &mut dyn Write) {
        for f in failures {
            // "Cannot <verb> <session> on <computer>" names the session.
            let words: Vec<&str> = f.summary.split_whitespace().collect();
            let target = match words.as_slice() {
                ["Cannot", _, name, "on", _] => *name,
                _ => "",
            };
            let e = CmdError::from_user(command, target, f);
            self.print_error(&e, err);
        }
    }

    // -----------------------------------------------------------------
    // Cmdlets.

    fn run_command(
        &mut self,
        inv: &Invocation,
        cmdlet: &str,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        match inv {
            Invocation::NewPSSession(n) => self.new_pssession(cmdlet, n, input, out, err),
            Invocation::GetPSSession(g) => self.get_pssession(cmdlet, g, out, err),
            Invocation::DisconnectPSSession(d) => self.disconnect(cmdlet, d, input, out, err),
            Invocation::ConnectPSSession(c) => self.connect(cmdlet, c, input, out, err),
            Invocation::ReceivePSSession(r) => self.receive(cmdlet, r, input, out, err),
            Invocation::InvokeCommand(i) => self.invoke(cmdlet, i, input, out, err),
            Invocation::RemovePSSession(r) => self.remove(cmdlet, r, input, out, err),
            Invocation::NewPSSessionOption(o) => Ok(vec![Obj::Options(Box::new(o.clone()))]),
            Invocation::GetPSSessionConfiguration(_) => Err(CmdError::new(
                cmdlet,
                "Get-PSSessionConfiguration reads the session configurations of a remote computer here: run it with Invoke-Command -ComputerName <name> { Get-PSSessionConfiguration <name> }.",
            )),
            Invocation::TestWSMan(w) => self.test_wsman(cmdlet, w, false, out, err),
            Invocation::ConnectWSMan(w) => self.test_wsman(cmdlet, w, true, out, err),
            Invocation::DisconnectWSMan { computer_name } => {
                let name = self
                    .arg(
                        cmdlet,
                        "ComputerName",
                        computer_name,
                        cmdlets::coerce_string,
                        out,
                        err,
                    )?
                    .unwrap_or_else(|| "localhost".into());
                if let Some(computer) = self.wsman.remove(&name.to_ascii_lowercase()) {
                    // Every name that led to the same computer goes with it.
                    self.wsman.retain(|_, c| !c.eq_ignore_ascii_case(&computer));
                    let op = self.worker.next_op();
                    self.worker.send(Command::DisconnectWsman { op, computer });
                    let got = self.wait(&[op], None);
                    self.report(cmdlet, &got.failures, err);
                    Ok(Vec::new())
                } else {
                    Err(CmdError::new(
                        cmdlet,
                        format!(
                            "The client is not connected to the computer {name}. Use Connect-WSMan to connect to it first."
                        ),
                    )
                    .classified("InvalidArgument", "ArgumentException", "WsManError"))
                }
            }
            // With --json, formatting selects properties and stays data.
            Invocation::FormatList { property } | Invocation::FormatTable { property, .. }
                if self.json =>
            {
                Ok(input
                    .iter()
                    .map(|o| Obj::Record(select(obj_properties(o), property.as_deref())))
                    .collect())
            }
            Invocation::FormatList { property } => {
                Ok(format_list_objs(&input, property.as_deref()))
            }
            Invocation::FormatTable { property, .. } => {
                Ok(format_table_objs(&input, property.as_deref()))
            }
        }
    }

    fn new_pssession(
        &mut self,
        cmdlet: &str,
        n: &NewPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let names = self.arg(
            cmdlet,
            "Name",
            &n.name,
            cmdlets::coerce_string_array,
            out,
            err,
        )?;
        let (computers, opts) = match (&n.connection, &n.sessions) {
            (Some(c), _) => {
                let (refs, p) = self.computers(cmdlet, c, out, err)?;
                (refs, p.options)
            }
            (None, Some(t)) => {
                let sessions = self.target_sessions(cmdlet, t, input, out, err)?;
                (sessions.into_iter().map(|s| s.computer).collect(), None)
            }
            (None, None) => (Vec::new(), None),
        };
        check_option_idle_timeout(cmdlet, opts.as_ref())?;
        let idle = opts
            .as_ref()
            .and_then(|o| o.idle_timeout_ms)
            .filter(|v| *v >= 0)
            .and_then(|v| u64::try_from(v).ok());
        let mode = opts
            .as_ref()
            .and_then(|o| o.output_buffering_mode)
            .map(model_mode)
            .unwrap_or(OutputBufferingMode::None);
        let items: Vec<(ComputerRef, Option<String>)> = computers
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let name = names.as_ref().and_then(|n| n.get(i).or(n.first()).cloned());
                (c, name)
            })
            .collect();
        self.create_sessions(cmdlet, items, idle, mode, n.throttle_limit, err)
            .map(|v| v.into_iter().map(|s| Obj::Session(Box::new(s))).collect())
    }

    fn create_sessions(
        &mut self,
        cmdlet: &str,
        items: Vec<(ComputerRef, Option<String>)>,
        idle: Option<u64>,
        mode: OutputBufferingMode,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut created = Vec::new();
        for chunk in items.chunks(limit) {
            let mut ops = Vec::new();
            for (c, name) in chunk {
                let op = self.worker.next_op();
                self.worker.send(Command::NewSession {
                    op,
                    computer: c.clone(),
                    name: name.clone(),
                    idle_timeout_ms: idle.or(c.spec.idle_timeout_ms),
                    output_buffering_mode: mode,
                });
                ops.push(op);
            }
            let got = self.wait(&ops, None);
            for (c, _) in chunk {
                if let Some(info) = got
                    .changed
                    .iter()
                    .rev()
                    .find(|i| i.computer_name.eq_ignore_ascii_case(&c.name))
                {
                    let mut info = info.clone();
                    if info.idle_timeout_ms.is_none() {
                        info.idle_timeout_ms = idle;
                    }
                    created.push(self.remember(LocalSession {
                        info,
                        computer: c.clone(),
                    }));
                }
            }
            self.report(cmdlet, &got.failures, err);
        }
        Ok(created)
    }

    fn list_remote(
        &mut self,
        cmdlet: &str,
        computers: Vec<ComputerRef>,
        names: Vec<String>,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Vec<LocalSession> {
        let op = self.worker.next_op();
        self.worker.send(Command::ListSessions {
            op,
            computers: computers.clone(),
            names,
            throttle_limit: throttle,
        });
        let got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        let mut res = Vec::new();
        for c in &computers {
            for (comp, sessions) in &got.listed {
                if comp.eq_ignore_ascii_case(&c.name) {
                    for info in sessions {
                        res.push(LocalSession {
                            info: info.clone(),
                            computer: c.clone(),
                        });
                    }
                }
            }
        }
        res
    }

    fn get_pssession(
        &mut self,
        cmdlet: &str,
        g: &GetPSSession,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let names = self.arg(
            cmdlet,
            "Name",
            &g.name,
            cmdlets::coerce_string_array,
            out,
            err,
        )?;
        let ids = self.arg(
            cmdlet,
            "InstanceId",
            &g.instance_id,
            cmdlets::coerce_guid_array,
            out,
            err,
        )?;
        let local_ids = self.arg(cmdlet, "Id", &g.id, cmdlets::coerce_int_array, out, err)?;
        let sessions: Vec<LocalSession> = match &g.remote {
            Some(c) => {
                let (computers, _) = self.computers(cmdlet, c, out, err)?;
                let listed = self.list_remote(
                    cmdlet,
                    computers,
                    names.clone().unwrap_or_default(),
                    g.throttle_limit,
                    err,
                );
                listed.into_iter().map(|s| self.remember(s)).collect()
            }
            None => self.repo.clone(),
        };
        let state = g.state;
        Ok(sessions
            .into_iter()
            .filter(|s| {
                names
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|p| wildcard_match(p, &s.info.name)))
                    && ids.as_ref().is_none_or(|i| i.contains(&s.info.instance_id))
                    && local_ids
                        .as_ref()
                        .is_none_or(|i| i.iter().any(|x| i64::from(*x) == i64::from(s.info.id)))
                    && state_matches(state, s.info.state)
            })
            .map(|s| Obj::Session(Box::new(s)))
            .collect())
    }

    fn disconnect(
        &mut self,
        cmdlet: &str,
        d: &DisconnectPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.target_sessions(cmdlet, &d.target, input, out, err)?;
        let idle_sec = self.arg(
            cmdlet,
            "IdleTimeoutSec",
            &d.idle_timeout_sec,
            cmdlets::coerce_int,
            out,
            err,
        )?;
        let mode = self
            .arg(
                cmdlet,
                "OutputBufferingMode",
                &d.output_buffering_mode,
                cmdlets::coerce_output_buffering_mode,
                out,
                err,
            )?
            .map(model_mode)
            .unwrap_or(OutputBufferingMode::None);
        if d.what_if {
            for s in &sessions {
                let _ = out.write_all(
                    format::what_if_line(
                        "Disconnect-PSSession",
                        &format!(
                            "Name: {}, ComputerName: {}",
                            s.info.name, s.info.computer_name
                        ),
                    )
                    .as_bytes(),
                );
            }
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Disconnect-PSSession", sessions, d.confirm, err)?;
        // PowerShell checks the idle timeout against the server's maximum
        // before it sends anything ([PS] DisconnectPSSession ValidateIdleTimeout).
        let mut send = Vec::new();
        for s in sessions {
            let sec = match idle_sec {
                Some(t) => Some(i64::from(t)),
                None => s
                    .info
                    .idle_timeout_ms
                    .and_then(|ms| i64::try_from(ms / 1000).ok()),
            };
            if let Some(sec) = sec {
                let checked = check_disconnect_idle_timeout(
                    &s.info.name,
                    u64::try_from(sec).unwrap_or(0),
                    s.info.max_idle_timeout_ms,
                );
                if let Err(refused) = checked {
                    let e = CmdError {
                        command: cmdlet.to_owned(),
                        message: refused.detail,
                        category: "InvalidArgument",
                        target: format!("{}:PSSession", s.info.name),
                        reason: "RuntimeException",
                        error_id: "CannotDisconnectSessionWithInvalidIdleTimeout".into(),
                    };
                    self.print_error(&e, err);
                    continue;
                }
            }
            send.push(s);
        }
        if send.is_empty() {
            return Ok(Vec::new());
        }
        let op = self.worker.next_op();
        let idle_u32 = idle_sec.and_then(|t| u32::try_from(t).ok());
        self.worker.send(Command::Disconnect {
            op,
            sessions: send.iter().map(LocalSession::session_ref).collect(),
            idle_timeout_sec: idle_u32,
            output_buffering_mode: mode,
            throttle_limit: d.throttle_limit,
        });
        let got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        let mut res = Vec::new();
        for s in send {
            let k = s.key();
            let Some(info) = got
                .changed
                .iter()
                .rev()
                .find(|i| (i.computer_name.to_ascii_lowercase(), i.instance_id) == k)
            else {
                continue;
            };
            if info.state != SessionState::Disconnected {
                continue;
            }
            let mut info = info.clone();
            if let Some(t) = idle_u32 {
                info.idle_timeout_ms = Some(u64::from(t) * 1000);
            } else if info.idle_timeout_ms.is_none() {
                info.idle_timeout_ms = s.info.idle_timeout_ms;
            }
            if mode != OutputBufferingMode::None {
                info.output_buffering_mode = mode;
            }
            let kept = self.remember(LocalSession {
                info,
                computer: s.computer.clone(),
            });
            res.push(Obj::Session(Box::new(kept)));
        }
        Ok(res)
    }

    /// Sessions a Connect-/Receive-PSSession selection names.
    fn selected(
        &mut self,
        cmdlet: &str,
        sel: &Selection,
        input: Vec<Obj>,
        throttle: u32,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        match sel {
            Selection::Local(t) => self.target_sessions(cmdlet, t, input, out, err),
            Selection::Remote {
                connection,
                name,
                instance_id,
            } => {
                let names =
                    self.arg(cmdlet, "Name", name, cmdlets::coerce_string_array, out, err)?;
                let ids = self.arg(
                    cmdlet,
                    "InstanceId",
                    instance_id,
                    cmdlets::coerce_guid_array,
                    out,
                    err,
                )?;
                let (computers, _) = self.computers(cmdlet, connection, out, err)?;
                let listed = self.list_remote(
                    cmdlet,
                    computers,
                    names.clone().unwrap_or_default(),
                    throttle,
                    err,
                );
                let found: Vec<LocalSession> = listed
                    .into_iter()
                    .filter(|s| ids.as_ref().is_none_or(|i| i.contains(&s.info.instance_id)))
                    .collect();
                if found.is_empty() {
                    let what = names
                        .map(|n| format!("the name {}", n.join(", ")))
                        .or(ids.map(|i| {
                            format!(
                                "the instance ID {}",
                                i.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
                            )
                        }))
                        .unwrap_or_else(|| "the given filter".into());
                    return Err(not_found(
                        cmdlet,
                        format!("No disconnected sessions were found with {what}."),
                    ));
                }
                Ok(found)
            }
        }
    }

    fn connect_sessions(
        &mut self,
        cmdlet: &str,
        sessions: Vec<LocalSession>,
        throttle: u32,
        err: &mut dyn Write,
    ) -> Vec<LocalSession> {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut res = Vec::new();
        for chunk in sessions.chunks(limit) {
            let mut ops = Vec::new();
            for s in chunk {
                let op = self.worker.next_op();
                self.worker.send(Command::Connect {
                    op,
                    session: s.session_ref(),
                });
                ops.push(op);
            }
            let got = self.wait(&ops, None);
            self.report(cmdlet, &got.failures, err);
            for s in chunk {
                let k = s.key();
                let failed = got.failures.iter().any(|f| {
                    f.summary == format!("Cannot connect {} on {}", s.info.name, s.computer.name)
                });
                if failed {
                    continue;
                }
                let info = got
                    .changed
                    .iter()
                    .rev()
                    .find(|i| (i.computer_name.to_ascii_lowercase(), i.instance_id) == k)
                    .cloned()
                    .unwrap_or_else(|| s.info.clone());
                let mut merged = s.info.clone();
                merge_session(&mut merged, &info);
                res.push(self.remember(LocalSession {
                    info: merged,
                    computer: s.computer.clone(),
                }));
            }
        }
        res
    }

    fn connect(
        &mut self,
        cmdlet: &str,
        c: &ConnectPSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.selected(cmdlet, &c.selection, input, c.throttle_limit, out, err)?;
        if c.what_if {
            for s in &sessions {
                let _ = out.write_all(
                    format::what_if_line(
                        "Connect-PSSession",
                        &format!(
                            "Name: {}, ComputerName: {}",
                            s.info.name, s.info.computer_name
                        ),
                    )
                    .as_bytes(),
                );
            }
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Connect-PSSession", sessions, c.confirm, err)?;
        Ok(self
            .connect_sessions(cmdlet, sessions, c.throttle_limit, err)
            .into_iter()
            .map(|s| Obj::Session(Box::new(s)))
            .collect())
    }

    fn receive(
        &mut self,
        cmdlet: &str,
        r: &ReceivePSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if r.out_target == Some(cmdlets::OutTarget::Job) || r.job_name.is_some() {
            return Err(CmdError::new(
                cmdlet,
                "baton does not run background jobs (-OutTarget Job, -JobName): the output is written to the console.",
            ));
        }
        let sessions = self.selected(cmdlet, &r.selection, input, 0, out, err)?;
        if r.what_if {
            for s in &sessions {
                let _ = out.write_all(
                    format::what_if_line(
                        "Receive-PSSession",
                        &format!(
                            "Name: {}, ComputerName: {}",
                            s.info.name, s.info.computer_name
                        ),
                    )
                    .as_bytes(),
                );
            }
            return Ok(Vec::new());
        }
        let sessions = self.confirmed(cmdlet, "Receive-PSSession", sessions, r.confirm, err)?;
        let connected = self.connect_sessions(cmdlet, sessions, 0, err);
        for s in connected {
            let op = self.worker.next_op();
            self.worker.send(Command::Receive {
                op,
                session: s.session_ref(),
            });
            let got = self.wait(&[op], Some((&mut *out, &mut *err)));
            if got.remote_errors > 0 {
                self.failed = true;
            }
            self.report(cmdlet, &got.failures, err);
        }
        Ok(Vec::new())
    }

    fn script_text(
        &mut self,
        cmdlet: &str,
        s: &ScriptSource,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<String, CmdError> {
        match s {
            ScriptSource::Block(t) => Ok(t.clone()),
            ScriptSource::Deferred(v) => {
                let objs = self.eval(v, out, err)?;
                Ok(objs.iter().map(obj_text).collect::<Vec<_>>().join("\n"))
            }
            ScriptSource::FilePath(p) => {
                let path = self
                    .arg(
                        cmdlet,
                        "FilePath",
                        &Some(p.clone()),
                        cmdlets::coerce_string,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let meta = std::fs::metadata(&path)
                    .map_err(|e| not_found(cmdlet, format!("Cannot find path '{path}': {e}.")))?;
                if meta.len() > MAX_SCRIPT_FILE {
                    return Err(CmdError::new(
                        cmdlet,
                        format!("The script file '{path}' is larger than {MAX_SCRIPT_FILE} bytes."),
                    ));
                }
                std::fs::read_to_string(&path)
                    .map_err(|e| not_found(cmdlet, format!("Cannot read '{path}': {e}.")))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_in(
        &mut self,
        cmdlet: &str,
        sessions: &[LocalSession],
        script: &str,
        data: &ScriptArgs,
        disconnected: bool,
        throttle: u32,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Collected {
        let limit = if throttle == 0 { 32 } else { throttle as usize };
        let mut all = Collected::default();
        for chunk in sessions.chunks(limit) {
            let mut ops = Vec::new();
            for s in chunk {
                let op = self.worker.next_op();
                self.worker.send(match data {
                    ScriptArgs {
                        arguments,
                        input: None,
                    } if arguments.is_empty() => Command::Invoke {
                        op,
                        session: s.session_ref(),
                        script: script.to_owned(),
                        in_disconnected_session: disconnected,
                    },
                    ScriptArgs { arguments, input } => Command::InvokeWithData {
                        op,
                        session: s.session_ref(),
                        script: script.to_owned(),
                        arguments: arguments.clone(),
                        input: input.clone(),
                        in_disconnected_session: disconnected,
                    },
                });
                ops.push(op);
            }
            let got = self.wait(&ops, Some((&mut *out, &mut *err)));
            if got.remote_errors > 0 {
                self.failed = true;
            }
            self.report(cmdlet, &got.failures, err);
            all.changed.extend(got.changed);
            all.failures.extend(got.failures);
        }
        all
    }

    fn invoke(
        &mut self,
        cmdlet: &str,
        i: &InvokeCommand,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if i.as_job {
            return Err(CmdError::new(
                cmdlet,
                "baton does not run background jobs (-AsJob): use -InDisconnectedSession, then Receive-PSSession.",
            ));
        }
        let script = self.script_text(cmdlet, &i.script, out, err)?;
        // Input objects for the remote pipeline: -InputObject (one object,
        // an array when given a list, as PowerShell binds it), or what was
        // piped in when it binds to InputObject.
        let values: Option<Vec<ScriptValue>> = match &i.input_object {
            Some(v) => {
                let objs = self.eval(v, out, err)?;
                Some(vec![if matches!(v, Value::List(_)) || objs.len() > 1 {
                    ScriptValue::List(objs.iter().map(obj_to_ps).collect())
                } else {
                    objs.first().map(obj_to_ps).unwrap_or(ScriptValue::Null)
                }])
            }
            None if i.input_from_pipeline => Some(input.iter().map(obj_to_ps).collect()),
            None => None,
        };
        let arguments = match &i.argument_list {
            Some(v) => self.eval(v, out, err)?.iter().map(obj_to_ps).collect(),
            None => Vec::new(),
        };
        let values = &ScriptArgs {
            arguments,
            input: values,
        };
        match &i.target {
            InvokeTarget::Local => {
                if input.iter().any(|o| matches!(o, Obj::Session(_))) && !i.input_from_pipeline {
                    let sessions = to_sessions(cmdlet, input)?;
                    return self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                }
                Err(CmdError::new(
                    cmdlet,
                    "baton runs commands on remote computers only: give -Session or -ComputerName.",
                ))
            }
            InvokeTarget::Sessions(v) => {
                let sessions = self.sessions_of(cmdlet, v, out, err)?;
                self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err)
            }
            InvokeTarget::Remote(conn) => {
                // `Invoke-Command $s {…} -InDisconnectedSession`: PSSession
                // objects given where computer names go run in those sessions.
                if let RemoteTarget::ComputerName {
                    names: Arg::Deferred(v),
                    ..
                } = &conn.target
                {
                    let objs = self.eval(v, out, err)?;
                    if !objs.is_empty() && objs.iter().all(|o| matches!(o, Obj::Session(_))) {
                        let sessions = to_sessions(cmdlet, objs)?;
                        return self
                            .invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                    }
                }
                let (computers, p) = self.computers(cmdlet, conn, out, err)?;
                check_option_idle_timeout(cmdlet, p.options.as_ref())?;
                if let Some(name) = configuration_query(&script) {
                    return Ok(self.configurations(cmdlet, computers, &name, err));
                }
                let names = self.arg(
                    cmdlet,
                    "SessionName",
                    &i.session_name,
                    cmdlets::coerce_string_array,
                    out,
                    err,
                )?;
                let idle = p
                    .options
                    .as_ref()
                    .and_then(|o| o.idle_timeout_ms)
                    .filter(|v| *v >= 0)
                    .and_then(|v| u64::try_from(v).ok());
                let items = computers
                    .into_iter()
                    .enumerate()
                    .map(|(k, c)| {
                        let n = names.as_ref().and_then(|n| n.get(k).or(n.first()).cloned());
                        (c, n)
                    })
                    .collect();
                let mode = p
                    .options
                    .as_ref()
                    .and_then(|o| o.output_buffering_mode)
                    .map(model_mode)
                    .unwrap_or(OutputBufferingMode::None);
                let sessions =
                    self.create_sessions(cmdlet, items, idle, mode, i.throttle_limit, err)?;
                if i.in_disconnected_session {
                    return self.invoke_sessions(cmdlet, i, &sessions, &script, values, out, err);
                }
                self.run_in(
                    cmdlet,
                    &sessions,
                    &script,
                    values,
                    false,
                    i.throttle_limit,
                    out,
                    err,
                );
                // Temporary sessions end with the command, as in PowerShell,
                // whether it succeeded or not.
                let op = self.worker.next_op();
                self.worker.send(Command::Remove {
                    op,
                    sessions: sessions.iter().map(LocalSession::session_ref).collect(),
                    force: false,
                });
                let got = self.wait(&[op], None);
                self.report(cmdlet, &got.failures, err);
                Ok(Vec::new())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn invoke_sessions(
        &mut self,
        cmdlet: &str,
        i: &InvokeCommand,
        sessions: &[LocalSession],
        script: &str,
        data: &ScriptArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let got = self.run_in(
            cmdlet,
            sessions,
            script,
            data,
            i.in_disconnected_session,
            i.throttle_limit,
            out,
            err,
        );
        if !i.in_disconnected_session {
            return Ok(Vec::new());
        }
        let mut res = Vec::new();
        for s in sessions {
            let k = s.key();
            if let Some(info) = got
                .changed
                .iter()
                .rev()
                .find(|x| (x.computer_name.to_ascii_lowercase(), x.instance_id) == k)
            {
                let mut merged = s.info.clone();
                merge_session(&mut merged, info);
                res.push(Obj::Session(Box::new(self.remember(LocalSession {
                    info: merged,
                    computer: s.computer.clone(),
                }))));
            }
        }
        Ok(res)
    }

    fn configurations(
        &mut self,
        cmdlet: &str,
        computers: Vec<ComputerRef>,
        name: &str,
        err: &mut dyn Write,
    ) -> Vec<Obj> {
        let mut ops = Vec::new();
        for c in &computers {
            let op = self.worker.next_op();
            self.worker.send(Command::GetConfiguration {
                op,
                computer: c.clone(),
                configuration_name: name.to_owned(),
            });
            ops.push(op);
        }
        let got = self.wait(&ops, None);
        self.report(cmdlet, &got.failures, err);
        let mut res = Vec::new();
        for c in &computers {
            for (comp, q) in &got.quotas {
                if comp.eq_ignore_ascii_case(&c.name) {
                    let mut props = q.properties.clone();
                    if !props.iter().any(|(k, _)| k == "PSComputerName") {
                        props.push(("PSComputerName".into(), c.name.clone()));
                    }
                    res.push(Obj::Record(props));
                }
            }
        }
        res
    }

    fn remove(
        &mut self,
        cmdlet: &str,
        r: &RemovePSSession,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let sessions = self.target_sessions(cmdlet, &r.target, input, out, err)?;
        if !r.what_if && r.confirm == Some(true) {
            // Remove-PSSession's ShouldProcess: operation "Remove", target
            // the computer name (PowerShell's RemovePSSessionCommand).
            let mut all = None;
            let mut kept = Vec::new();
            for s in sessions {
                let target = s.info.computer_name.clone();
                if self.should_process(cmdlet, "Remove", &target, r.confirm, &mut all, err)? {
                    kept.push(s);
                }
            }
            return self.remove_now(cmdlet, kept, r.force, err);
        }
        if r.what_if {
            for s in &sessions {
                let _ = out.write_all(
                    format::what_if_line(
                        "Remove-PSSession",
                        &format!(
                            "Name: {}, ComputerName: {}",
                            s.info.name, s.info.computer_name
                        ),
                    )
                    .as_bytes(),
                );
            }
            return Ok(Vec::new());
        }
        self.remove_now(cmdlet, sessions, r.force, err)
    }

    fn remove_now(
        &mut self,
        cmdlet: &str,
        sessions: Vec<LocalSession>,
        force: bool,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        if sessions.is_empty() {
            return Ok(Vec::new());
        }
        let op = self.worker.next_op();
        self.worker.send(Command::Remove {
            op,
            sessions: sessions.iter().map(LocalSession::session_ref).collect(),
            force,
        });
        let got = self.wait(&[op], None);
        self.report(cmdlet, &got.failures, err);
        Ok(Vec::new())
    }

    fn test_wsman(
        &mut self,
        cmdlet: &str,
        w: &WsmanConnection,
        remember: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let name = self.arg(
            cmdlet,
            "ComputerName",
            &w.computer_name,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let uri = self.arg(
            cmdlet,
            "ConnectionURI",
            &w.connection_uri,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let port = self.arg(cmdlet, "Port", &w.port, cmdlets::coerce_int, out, err)?;
        let app = self.arg(
            cmdlet,
            "ApplicationName",
            &w.application_name,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let thumb = self.arg(
            cmdlet,
            "CertificateThumbprint",
            &w.certificate_thumbprint,
            cmdlets::coerce_string,
            out,
            err,
        )?;
        let options = self.options_of(cmdlet, &w.session_option, out, err)?;
        let user = self.credential_user(cmdlet, &w.credential, out, err)?;
        let proxy_user = self.proxy_user(cmdlet, &options, out, err)?;
        let p = ConnParams {
            port: port.and_then(|x| u16::try_from(x).ok()),
            use_ssl: w.use_ssl,
            application_name: app,
            certificate_thumbprint: thumb,
            options,
            user,
            proxy_user,
            ..ConnParams::default()
        };
        let target = name
            .clone()
            .or_else(|| uri.as_deref().and_then(uri_host))
            .unwrap_or_else(|| "localhost".into());
        let c = self.computer_ref(cmdlet, &target, uri.as_deref(), &p)?;
        let op = self.worker.next_op();
        self.worker.send(if remember {
            Command::ConnectWsman {
                op,
                computer: c.clone(),
            }
        } else {
            Command::TestConnection {
                op,
                computer: c.clone(),
            }
        });
        let got = self.wait(&[op], None);
        if let Some(f) = got.failures.first() {
            let mut e = CmdError::from_user(cmdlet, "", f);
            e.category = "InvalidOperation";
            e.reason = "InvalidOperationException";
            e.error_id = "WsManError".into();
            return Err(e);
        }
        if remember {
            self.wsman
                .insert(target.to_ascii_lowercase(), c.name.clone());
            self.wsman
                .insert(c.name.to_ascii_lowercase(), c.name.clone());
            return Ok(Vec::new());
        }
        Ok(got
            .identified
            .into_iter()
            .map(|(_, vendor, version, protocol)| {
                Obj::Record(vec![
                    ("wsmid".into(), WSMID.into()),
                    ("ProtocolVersion".into(), protocol),
                    ("ProductVendor".into(), vendor),
                    ("ProductVersion".into(), version),
                ])
            })
            .collect())
    }

    // -----------------------------------------------------------------
    // Display.

    fn render(&self, objs: &[Obj], out: &mut dyn Write) {
        let mut text = String::new();
        let mut i = 0;
        while i < objs.len() {
            match &objs[i] {
                Obj::Session(_) => {
                    let mut rows = Vec::new();
                    while let Some(Obj::Session(s)) = objs.get(i) {
                        rows.push(session_row(s));
                        i += 1;
                    }
                    if self.json {
                        text.push_str(&format::sessions_json_lines(&rows));
                    } else {
                        text.push('\n');
                        text.push_str(&format::session_table(&rows));
                        text.push('\n');
                    }
                    continue;
                }
                Obj::Record(r) => {
                    if self.json {
                        let map: serde_json::Map<String, serde_json::Value> = r
                            .iter()
                            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                            .collect();
                        text.push_str(&format::json_line(&map));
                    } else {
                        text.push('\n');
                        text.push_str(&format::format_list(r));
                        text.push('\n');
                    }
                }
                Obj::Options(o) => {
                    if self.json {
                        text.push_str(&format::json_line(o));
                    } else {
                        text.push('\n');
                        text.push_str(&format::format_list(&options_properties(o)));
                        text.push('\n');
                    }
                }
                Obj::Text(s) => {
                    if self.json {
                        text.push_str(&format::json_line(s));
                    } else {
                        text.push_str(s);
                        text.push('\n');
                    }
                }
                Obj::Int(n) => {
                    if self.json {
                        text.push_str(&format::json_line(n));
                    } else {
                        text.push_str(&format!("{n}\n"));
                    }
                }
                Obj::Formatted(s) => text.push_str(s),
            }
            i += 1;
        }
        let _ = out.write_all(text.as_bytes());
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

/// A session option's IdleTimeout, checked as PowerShell's New-PSSession and
/// Invoke-Command do before anything is sent ([`crate::model::rules`]).
fn check_option_idle_timeout(cmdlet: &str, o: Option<&SessionOptions>) -> Result<(), CmdError> {
    let Some(ms) = o.and_then(|o| o.idle_timeout_ms) else {
        return Ok(());
    };
    crate::model::rules::check_option_idle_timeout(i64::from(ms)).map_err(|message| {
        CmdError::new(cmdlet, message).classified(
            "InvalidArgument",
            "PSArgumentException",
            "Argument",
        )
    })
}

/// The line the CLI prints on stderr for a session handed back at exit.
fn release_line(name: &str, computer: &str, outcome: &crate::bridge::ReleaseOutcome) -> String {
    use crate::bridge::ReleaseOutcome;
    match outcome {
        ReleaseOutcome::Closed => {
            format!("baton: closed {name} on {computer} (created here, nothing running in it).\n")
        }
        ReleaseOutcome::Disconnected {
            idle_timeout_ms,
            output_buffering_mode,
            running,
        } => {
            let idle = idle_timeout_ms
                .map(|ms| format!(", IdleTimeout {} s", ms / 1000))
                .unwrap_or_default();
            let mode = if *output_buffering_mode == OutputBufferingMode::None {
                String::new()
            } else {
                format!(", OutputBufferingMode {output_buffering_mode}")
            };
            let what = if *running {
                "its command goes on; "
            } else {
                ""
            };
            format!(
                "baton: disconnected {name} on {computer}{idle}{mode}: {what}anyone with its credentials can connect to it (Connect-PSSession, Receive-PSSession).\n"
            )
        }
        ReleaseOutcome::Failed(e) => {
            let mut line = format!("baton: {}: {}.", e.summary, e.detail.trim_end_matches('.'));
            if let Some(a) = &e.advice {
                line.push(' ');
                line.push_str(a);
            }
            line.push('\n');
            line
        }
    }
}

fn model_mode(m: cmdlets::OutputBufferingMode) -> OutputBufferingMode {
    match m {
        cmdlets::OutputBufferingMode::None => OutputBufferingMode::None,
        cmdlets::OutputBufferingMode::Drop => OutputBufferingMode::Drop,
        cmdlets::OutputBufferingMode::Block => OutputBufferingMode::Block,
    }
}

fn apply_options(spec: &mut ConnectionSpec, o: &SessionOptions) {
    let pos = |v: Option<i32>| v.filter(|x| *x >= 0).and_then(|x| u64::try_from(x).ok());
    if let Some(v) = o.maximum_redirection.and_then(|x| u32::try_from(x).ok()) {
        spec.maximum_connection_redirection_count = v;
    }
    if o.no_compression {
        spec.use_compression = false;
    }
    if o.no_machine_profile {
        spec.no_machine_profile = true;
    }
    if let Some(c) = &o.culture {
        spec.culture = c.clone();
    }
    if let Some(c) = &o.ui_culture {
        spec.ui_culture = c.clone();
    }
    if let Some(v) = pos(o.maximum_received_data_size_per_command) {
        spec.maximum_received_data_size_per_command = Some(v);
    }
    if let Some(v) = pos(o.maximum_received_object_size) {
        spec.maximum_received_object_size = Some(v);
    }
    if let Some(m) = o.output_buffering_mode {
        spec.output_buffering_mode = model_mode(m);
    }
    if let Some(v) = pos(o.open_timeout_ms) {
        spec.open_timeout_ms = v;
    }
    if let Some(v) = pos(o.cancel_timeout_ms) {
        spec.cancel_timeout_ms = v;
    }
    if let Some(v) = pos(o.operation_timeout_ms) {
        spec.operation_timeout_ms = v;
    }
    // The idle timeout goes with each New-PSSession (the worker keeps one
    // connection per computer and user, so it must not stick to the spec).
    if let Some(a) = o.proxy_access_type {
        spec.proxy_access_type = match a {
            cmdlets::ProxyAccessType::None => crate::model::ProxyAccessType::None,
            cmdlets::ProxyAccessType::IEConfig => crate::model::ProxyAccessType::IEConfig,
            cmdlets::ProxyAccessType::WinHttpConfig => crate::model::ProxyAccessType::WinHttpConfig,
            cmdlets::ProxyAccessType::AutoDetect => crate::model::ProxyAccessType::AutoDetect,
            cmdlets::ProxyAccessType::NoProxyServer => crate::model::ProxyAccessType::NoProxyServer,
        };
    }
    if let Some(a) = o
        .proxy_authentication
        .and_then(|a| AuthMechanism::parse(&format!("{a:?}")))
    {
        spec.proxy_authentication = a;
    }
    spec.skip_ca_check |= o.skip_ca_check;
    spec.skip_cn_check |= o.skip_cn_check;
    spec.skip_revocation_check |= o.skip_revocation_check;
    spec.no_encryption |= o.no_encryption;
    spec.use_utf16 |= o.use_utf16;
    spec.include_port_in_spn |= o.include_port_in_spn;
}

fn options_properties(o: &SessionOptions) -> Vec<(String, String)> {
    let ms = |v: Option<i32>, d: &str| v.map(|x| x.to_string()).unwrap_or_else(|| d.into());
    vec![
        (
            "MaximumConnectionRedirectionCount".into(),
            ms(o.maximum_redirection, "5"),
        ),
        ("NoCompression".into(), tf(o.no_compression)),
        ("NoMachineProfile".into(), tf(o.no_machine_profile)),
        (
            "ProxyAccessType".into(),
            o.proxy_access_type
                .map(|p| format!("{p:?}"))
                .unwrap_or_else(|| "None".into()),
        ),
        ("SkipCACheck".into(), tf(o.skip_ca_check)),
        ("SkipCNCheck".into(), tf(o.skip_cn_check)),
        ("SkipRevocationCheck".into(), tf(o.skip_revocation_check)),
        (
            "OperationTimeout".into(),
            ms_span(o.operation_timeout_ms, 180_000),
        ),
        ("NoEncryption".into(), tf(o.no_encryption)),
        ("UseUTF16".into(), tf(o.use_utf16)),
        ("IncludePortInSPN".into(), tf(o.include_port_in_spn)),
        (
            "OutputBufferingMode".into(),
            o.output_buffering_mode
                .map(|m| format!("{m:?}"))
                .unwrap_or_else(|| "None".into()),
        ),
        ("Culture".into(), o.culture.clone().unwrap_or_default()),
        ("UICulture".into(), o.ui_culture.clone().unwrap_or_default()),
        ("OpenTimeout".into(), ms_span(o.open_timeout_ms, 180_000)),
        ("CancelTimeout".into(), ms_span(o.cancel_timeout_ms, 60_000)),
        (
            "IdleTimeout".into(),
            match o.idle_timeout_ms {
                Some(v) if v >= 0 => ms_span(Some(v), 0),
                _ => "-00:00:00.0010000".into(),
            },
        ),
    ]
}

fn tf(b: bool) -> String {
    if b { "True" } else { "False" }.into()
}

/// A millisecond count as .NET prints a TimeSpan (`00:03:00`, `2.00:00:00`).
fn ms_span(v: Option<i32>, default: i64) -> String {
    let ms = v.map(i64::from).unwrap_or(default).max(0);
    let (d, rem) = (ms / 86_400_000, ms % 86_400_000);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, frac) = (rem / 1000, rem % 1000);
    let mut t = if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    };
    if frac > 0 {
        t.push_str(&format!(".{:07}", frac * 10_000));
    }
    t
}

/// Updates a known session with a fresher report, keeping what the report lacks.
fn state_matches(f: SessionFilterState, s: SessionState) -> bool {
    match f {
        SessionFilterState::All => true,
        SessionFilterState::Opened => s == SessionState::Opened,
        SessionFilterState::Disconnected => s == SessionState::Disconnected,
        SessionFilterState::Closed => s == SessionState::Closed,
        SessionFilterState::Broken => s == SessionState::Broken,
    }
}

fn session_row(s: &LocalSession) -> SessionRow {
    let i = &s.info;
    SessionRow {
        id: i32::try_from(i.id).unwrap_or(i32::MAX),
        name: i.name.clone(),
        instance_id: i.instance_id.to_string(),
        computer_name: i.computer_name.clone(),
        state: i.state.to_string(),
        configuration_name: i.configuration_name.clone(),
        availability: i.availability.to_string(),
        idle_timeout: Some(
            i.idle_timeout_ms
                .and_then(|v| i64::try_from(v).ok())
                .unwrap_or(-1),
        ),
        output_buffering_mode: Some(i.output_buffering_mode.to_string()),
        disconnected_on: i.disconnected_on.map(|d| d.to_rfc3339()),
        expires_on: i.expires_on.map(|d| d.to_rfc3339()),
        transport: Some("WSMan".into()),
    }
}

fn connection_info(s: &LocalSession) -> Vec<(String, String)> {
    let spec = &s.computer.spec;
    let user = match &s.computer.credential {
        CredentialChoice::Implicit => String::new(),
        CredentialChoice::Saved { user, .. } => user.clone(),
        CredentialChoice::Once(c) => c.user.clone(),
    };
    vec![
        ("ConnectionUri".into(), spec.url()),
        ("ComputerName".into(), spec.computer_name.clone()),
        ("Scheme".into(), spec.scheme.clone()),
        ("Port".into(), spec.port.to_string()),
        ("AppName".into(), format!("/{}", spec.app_name)),
        ("Credential".into(), user),
        ("ShellUri".into(), spec.shell_uri()),
        (
            "AuthenticationMechanism".into(),
            spec.authentication.as_str().into(),
        ),
        (
            "CertificateThumbprint".into(),
            spec.certificate_thumbprint.clone().unwrap_or_default(),
        ),
        (
            "MaximumConnectionRedirectionCount".into(),
            spec.maximum_connection_redirection_count.to_string(),
        ),
        (
            "MaximumReceivedDataSizePerCommand".into(),
            spec.maximum_received_data_size_per_command
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        (
            "MaximumReceivedObjectSize".into(),
            spec.maximum_received_object_size
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("UseCompression".into(), tf(spec.use_compression)),
        ("NoMachineProfile".into(), tf(spec.no_machine_profile)),
        (
            "ProxyAccessType".into(),
            spec.proxy_access_type.as_str().into(),
        ),
        (
            "ProxyAuthentication".into(),
            spec.proxy_authentication.as_str().into(),
        ),
        (
            "ProxyCredential".into(),
            spec.proxy_user.clone().unwrap_or_default(),
        ),
        ("SkipCACheck".into(), tf(spec.skip_ca_check)),
        ("SkipCNCheck".into(), tf(spec.skip_cn_check)),
        ("SkipRevocationCheck".into(), tf(spec.skip_revocation_check)),
        ("NoEncryption".into(), tf(spec.no_encryption)),
        ("UseUTF16".into(), tf(spec.use_utf16)),
        (
            "OutputBufferingMode".into(),
            s.info.output_buffering_mode.to_string(),
        ),
        ("IncludePortInSPN".into(), tf(spec.include_port_in_spn)),
        ("Culture".into(), spec.culture.clone()),
        ("UICulture".into(), spec.ui_culture.clone()),
        ("OpenTimeout".into(), spec.open_timeout_ms.to_string()),
        ("CancelTimeout".into(), spec.cancel_timeout_ms.to_string()),
        (
            "OperationTimeout".into(),
            spec.operation_timeout_ms.to_string(),
        ),
        (
            "IdleTimeout".into(),
            s.info
                .idle_timeout_ms
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-1".into()),
        ),
    ]
}

/// One property of an object (`$s.Name`, `$s.Runspace.ConnectionInfo.IdleTimeout`).
fn property(o: &Obj, name: &str) -> Option<Obj> {
    let n = name.to_ascii_lowercase();
    match o {
        Obj::Session(s) => {
            let row = session_row(s);
            if n == "runspace" {
                let mut r = vec![
                    ("ConnectionInfo".into(), String::new()),
                    ("InstanceId".into(), row.instance_id.clone()),
                    ("RunspaceStateInfo".into(), row.state.clone()),
                    ("RunspaceAvailability".into(), row.availability.clone()),
                ];
                r.extend(
                    connection_info(s)
                        .into_iter()
                        .map(|(k, v)| (format!("ConnectionInfo.{k}"), v)),
                );
                return Some(Obj::Record(r));
            }
            if n == "connectioninfo" {
                return Some(Obj::Record(connection_info(s)));
            }
            if n == "id" {
                return Some(Obj::Int(i64::from(row.id)));
            }
            format::session_properties(&row)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v.parse::<i64>() {
                    Ok(i) if n == "idletimeout" => Obj::Int(i),
                    _ => Obj::Text(v),
                })
        }
        Obj::Record(r) => {
            if n == "connectioninfo" {
                let sub: Vec<(String, String)> = r
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("ConnectionInfo.")
                            .map(|k| (k.to_owned(), v.clone()))
                    })
                    .collect();
                if !sub.is_empty() {
                    return Some(Obj::Record(sub));
                }
            }
            r.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v.parse::<i64>() {
                    Ok(i) => Obj::Int(i),
                    Err(_) => Obj::Text(v.clone()),
                })
        }
        Obj::Options(opts) => options_properties(opts)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Obj::Text(v)),
        Obj::Text(s) if n == "length" => Some(Obj::Int(s.chars().count() as i64)),
        _ => None,
    }
}

/// What Invoke-Command passes to its script besides the text.
struct ScriptArgs {
    /// `-ArgumentList` values, positional.
    arguments: Vec<ScriptValue>,
    /// Input objects; None when the pipeline takes none.
    input: Option<Vec<ScriptValue>>,
}

/// An object as it travels to a remote pipeline (PIPELINE_INPUT): numbers
/// as Int32 when they fit, text as strings, property bags as
/// PSCustomObjects, anything else as its text.
fn obj_to_ps(o: &Obj) -> ScriptValue {
    match o {
        Obj::Int(i) => ScriptValue::Int(*i),
        Obj::Text(s) | Obj::Formatted(s) => ScriptValue::String(s.clone()),
        Obj::Record(r) => ScriptValue::Record(r.clone()),
        other => ScriptValue::String(obj_text(other)),
    }
}

fn obj_text(o: &Obj) -> String {
    match o {
        Obj::Text(s) | Obj::Formatted(s) => s.clone(),
        Obj::Int(i) => i.to_string(),
        Obj::Session(_) => "[PSSession]".into(),
        Obj::Options(_) => "System.Management.Automation.Remoting.PSSessionOption".into(),
        Obj::Record(r) => format!(
            "@{{{}}}",
            r.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

fn obj_properties(o: &Obj) -> Vec<(String, String)> {
    match o {
        Obj::Session(s) => format::session_properties(&session_row(s)),
        Obj::Record(r) => r.clone(),
        Obj::Options(o) => options_properties(o),
        Obj::Text(s) => vec![("Length".into(), s.chars().count().to_string())],
        Obj::Int(_) | Obj::Formatted(_) => Vec::new(),
    }
}

fn select(props: Vec<(String, String)>, wanted: Option<&[String]>) -> Vec<(String, String)> {
    match wanted {
        None => props,
        Some(w) => props
            .into_iter()
            .filter(|(k, _)| w.iter().any(|p| wildcard_match(p, k)))
            .collect(),
    }
}

fn format_list_objs(input: &[Obj], property: Option<&[String]>) -> Vec<Obj> {
    let lists: Vec<Vec<(String, String)>> = input
        .iter()
        .map(|o| select(obj_properties(o), property))
        .collect();
    if lists.is_empty() {
        return Vec::new();
    }
    vec![Obj::Formatted(format!(
        "\n{}\n",
        format::format_list_many(&lists)
    ))]
}

fn format_table_objs(input: &[Obj], property: Option<&[String]>) -> Vec<Obj> {
    if property.is_none() && input.iter().all(|o| matches!(o, Obj::Session(_))) {
        let rows: Vec<SessionRow> = input
            .iter()
            .filter_map(|o| match o {
                Obj::Session(s) => Some(session_row(s)),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return Vec::new();
        }
        return vec![Obj::Formatted(format!(
            "\n{}\n",
            format::session_table(&rows)
        ))];
    }
    let lists: Vec<Vec<(String, String)>> = input
        .iter()
        .map(|o| select(obj_properties(o), property))
        .collect();
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    let labels: Vec<String> = first.iter().map(|(k, _)| k.clone()).collect();
    let rows: Vec<Vec<String>> = lists
        .iter()
        .map(|l| l.iter().map(|(_, v)| v.clone()).collect())
        .collect();
    vec![Obj::Formatted(format!(
        "\n{}\n",
        plain_table(&labels, &rows)
    ))]
}

/// Format-Table for property bags: header, dashes, rows; columns sized to fit.
fn plain_table(labels: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|v| v.chars().count())
                .chain(std::iter::once(l.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let mut s = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count())))
            })
            .collect::<Vec<_>>()
            .join(" ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(labels.to_vec());
    out.push_str(&line(
        labels
            .iter()
            .map(|l| "-".repeat(l.chars().count()))
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

fn to_sessions(command: &str, objs: Vec<Obj>) -> Result<Vec<LocalSession>, CmdError> {
    let mut res = Vec::new();
    for o in objs {
        match o {
            Obj::Session(s) => res.push(*s),
            other => {
                return Err(bind_error(
                    command,
                    format!(
                        "Cannot bind parameter 'Session'. Cannot convert the \"{}\" value of type \"System.String\" to type \"System.Management.Automation.Runspaces.PSSession\".",
                        obj_text(&other)
                    ),
                ));
            }
        }
    }
    Ok(res)
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

/// The host of a URI (`http://srv1:5985/wsman` → `srv1`).
fn uri_host(u: &str) -> Option<String> {
    let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
    let authority = rest.split('/').next()?;
    let host = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| h.trim_start_matches('['))?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// `Get-PSSessionConfiguration [-Name] <name>` as the whole remote script:
/// the configuration's name (default `Microsoft.PowerShell`).
fn configuration_query(script: &str) -> Option<String> {
    let stmts = super::parse_line(script.trim()).ok()?;
    let [st] = stmts.as_slice() else {
        return None;
    };
    let [cmd] = st.commands.as_slice() else {
        return None;
    };
    match &cmd.invocation {
        Invocation::GetPSSessionConfiguration(g) => Some(match &g.name {
            Some(Arg::Value(n)) => n.first().cloned().unwrap_or_default(),
            _ => "Microsoft.PowerShell".into(),
        }),
        _ => None,
    }
}

/// Asks on the terminal for the password of `whom` (`user DOMAIN\name`, `proxy user name`)
/// without echo; None when stdin is not a terminal.
fn prompt_password(whom: &str) -> Option<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "Password for {whom}: ");
    let _ = err.flush();
    let echo_off = set_echo(false);
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        set_echo(true);
    }
    let _ = writeln!(err);
    read.ok()?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    (!pw.is_empty()).then_some(pw)
}

/// Reads one line for a remote `Read-Host` from the terminal (without echo
/// for secure strings); None when stdin is not a terminal.
fn read_host(prompt: &str, secure: bool) -> Option<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}: ");
    let _ = err.flush();
    let echo_off = secure && set_echo(false);
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        set_echo(true);
        let _ = writeln!(err);
    }
    read.ok()?;
    Some(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Turns terminal echo off or on; false when that is not possible here.
#[cfg(unix)]
fn set_echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(not(unix))]
fn set_echo(_on: bool) -> bool {
    false
}

/// Where the profiles are read from: `BATON_PROFILES` when set, else the
/// default profile file.
pub fn profiles_path(env_value: Option<std::ffi::OsString>) -> Option<PathBuf> {
    match env_value {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => store::profiles::ProfileStore::open_default()
            .ok()
            .map(|s| s.path().to_owned()),
    }
}

/// Loads the profile tree at `path`: a missing file is an empty tree; a
/// corrupt one is reported on `err` and gives an empty tree.
pub fn load_profiles(path: Option<PathBuf>, err: &mut dyn Write) -> ProfileTree {
    let Some(path) = path else {
        return ProfileTree::default();
    };
    match store::profiles::ProfileStore::new(&path).load() {
        Ok(l) => l.tree,
        Err(e) => {
            let _ = writeln!(
                err,
                "baton: the profile file cannot be used ({e}); continuing without saved computers."
            );
            ProfileTree::default()
        }
    }
}

/// The `baton` command line: runs `command` (`baton -c "<line>"`) and/or a
/// shell (`baton shell`: lines from stdin, with the prompt `PS baton> ` only
/// when stdin is a terminal, keeping variables across lines) against the
/// worker behind `handle`, resolving computer names through `tree` and
/// taking passwords from the `saved` credentials (entry id, user),
/// `BATON_PASSWORD` or a prompt. The executable's `main` composes these.
///
/// Returns the process exit code: 0 when every line succeeded, 1 otherwise,
/// 128 + the signal's number when a signal ended it. Whatever ends it, the
/// sessions held are handed back first ([`Shell::finish`]).
pub fn run_cli(
    handle: WorkerHandle,
    tree: ProfileTree,
    saved: Vec<(String, String)>,
    json: bool,
    command: Option<String>,
    shell: bool,
) -> i32 {
    let mut stderr = std::io::stderr();
    let mut sh = Shell::new(handle, tree, Passwords::Environment);
    sh.set_saved_credentials(saved);
    sh.json = json;
    let signals = Signals::install();
    sh.set_interrupt_flag(signals.interrupt.clone());
    sh.set_ending_flag(signals.ending.clone());
    let mut stdout = std::io::stdout();
    let mut ok = true;
    if let Some(line) = command {
        ok = sh.run_line(&line, &mut stdout, &mut stderr);
    }
    if shell && !sh.is_ending() {
        ok &= run_shell(&mut sh, &signals, &mut stdout, &mut stderr);
    }
    // However the process ends (the line done, end of input, `exit`, a
    // signal), the sessions it holds are handed back before it goes.
    ok &= sh.finish(&mut stderr);
    drop(sh);
    match signals.ending.load(Ordering::SeqCst) {
        0 => i32::from(!ok),
        code => code,
    }
}

/// The banner `baton shell` prints on a terminal.
pub const SHELL_BANNER: &str = "Baton shell: PowerShell remoting cmdlets against remote computers. Type exit (or Ctrl+D) to leave.\nOn exit, sessions created here with nothing running are closed; sessions you connected to, or with a command still running, are disconnected so the next person can connect to them.\n";

/// `baton shell`: reads lines (on a thread of its own, so a signal is
/// seen while it waits for input) and runs them until end of input, `exit`
/// or a signal that ends the process.
fn run_shell(
    sh: &mut Shell,
    signals: &Signals,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> bool {
    let tty = std::io::stdin().is_terminal();
    // The reader reads one line when asked, so that while a line runs,
    // stdin is free for its prompts (Read-Host, -Confirm, passwords).
    let (want_tx, want_rx) = std::sync::mpsc::channel::<()>();
    let (tx, rx) = std::sync::mpsc::channel::<Option<String>>();
    let _ = std::thread::Builder::new()
        .name("baton-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            while want_rx.recv().is_ok() {
                let mut line = String::new();
                let got = match stdin.lock().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line),
                };
                let end = got.is_none();
                if tx.send(got).is_err() || end {
                    return;
                }
            }
        });
    if tty {
        let _ = stdout.write_all(SHELL_BANNER.as_bytes());
    }
    let mut ok = true;
    let mut pending = String::new();
    loop {
        if tty {
            let _ = write!(
                stdout,
                "{}",
                if pending.is_empty() {
                    "PS baton> "
                } else {
                    ">> "
                }
            );
            let _ = stdout.flush();
        }
        if want_tx.send(()).is_err() {
            return ok;
        }
        let line = loop {
            if sh.is_ending() {
                return ok;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => break l,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    // Ctrl+C at the prompt: the line being typed is dropped.
                    if signals.interrupt.swap(false, Ordering::SeqCst) && tty {
                        pending.clear();
                        let _ = write!(stdout, "\nPS baton> ");
                        let _ = stdout.flush();
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break None,
            }
        };
        let Some(line) = line else {
            return ok;
        };
        let line = line.trim_end_matches(['\r', '\n']);
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        if let Err(LineError::Parse(p)) = super::syntax::parse(&pending).map_err(LineError::Parse)
            && p.is_incomplete_input(&pending)
        {
            continue;
        }
        let text = std::mem::take(&mut pending);
        let t = text.trim();
        if t.eq_ignore_ascii_case("exit") || t.eq_ignore_ascii_case("quit") {
            return ok;
        }
        ok &= sh.run_line(&text, stdout, stderr);
    }
}

/// The flags the CLI's signal handlers set: `interrupt` on Ctrl+C (the
/// action waited on is stopped), `ending` (to the exit code) on SIGTERM,
/// SIGHUP or a second Ctrl+C before the first was handled. Ending never
/// exits on the spot: the main thread hands the sessions back first.
struct Signals {
    interrupt: Arc<AtomicBool>,
    ending: Arc<std::sync::atomic::AtomicI32>,
}

impl Signals {
    fn install() -> Signals {
        let interrupt = Arc::new(AtomicBool::new(false));
        let ending = Arc::new(std::sync::atomic::AtomicI32::new(0));
        let (i, e) = (interrupt.clone(), ending.clone());
        super::signals::watch(move |signal| match signal {
            // A second Ctrl+C before the first was handled ends the process.
            super::signals::Signal::Interrupt => {
                if i.swap(true, Ordering::SeqCst) {
                    e.store(signal.exit_code(), Ordering::SeqCst);
                }
            }
            _ => e.store(signal.exit_code(), Ordering::SeqCst),
        });
        Signals { interrupt, ending }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::FakeWorker;

    fn shell() -> (Shell, FakeWorker) {
        let (h, fake) = WorkerHandle::fake();
        let mut sh = Shell::new(
            h,
            ProfileTree::default(),
            Passwords::Given(vec![("Domain01\\User01".into(), "pw".into())]),
        );
        // Nothing answers: bound every wait.
        sh.silence_limit = Duration::from_millis(50);
        (sh, fake)
    }

    fn opened(sh: &mut Shell, name: &str, computer: &str, max_ms: Option<u64>) -> Uuid {
        let id = Uuid::new_v4();
        let info = SessionInfo {
            id: u32::try_from(sh.repo.len() + 1).unwrap_or(0),
            name: name.into(),
            instance_id: id,
            computer_name: computer.into(),
            state: SessionState::Opened,
            configuration_name: "Microsoft.PowerShell".into(),
            availability: Availability::Available,
            idle_timeout_ms: Some(7_200_000),
            max_idle_timeout_ms: max_ms,
            output_buffering_mode: OutputBufferingMode::Block,
            disconnected_on: None,
            expires_on: None,
            details: Default::default(),
            commands: Vec::new(),
            protocol_version: Some("2.3".into()),
        };
        sh.repo.push(LocalSession {
            info,
            computer: ComputerRef::new(
                computer,
                ConnectionSpec::for_computer(computer),
                CredentialChoice::Implicit,
            ),
        });
        id
    }

    fn run(sh: &mut Shell, line: &str) -> (bool, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let ok = sh.run_line(line, &mut out, &mut err);
        (
            ok,
            String::from_utf8(out).unwrap_or_default(),
            String::from_utf8(err).unwrap_or_default(),
        )
    }

    #[test]
    fn what_if_and_invalid_idle_timeouts_send_nothing() {
        let (mut sh, fake) = shell();
        opened(&mut sh, "ITTask", "Srv1", Some(43_200_000));
        let (ok, out, _) = run(&mut sh, "Disconnect-PSSession -Name ITTask -WhatIf");
        assert!(ok);
        assert_eq!(
            out,
            "What if: Performing the operation \"Disconnect-PSSession\" on target \"Name: ITTask, ComputerName: Srv1\".\n"
        );
        let (ok, _, err) = run(
            &mut sh,
            "Disconnect-PSSession -Name ITTask -IdleTimeoutSec 86400",
        );
        assert!(!ok && err.contains("86400(seconds)"), "{err}");
        let (ok, _, _) = run(&mut sh, "Remove-PSSession -Name IT* -WhatIf");
        assert!(ok);
        assert!(fake.commands().is_empty());
        // Each statement is bound when reached: the first one runs.
        let (ok, out, err) = run(
            &mut sh,
            "Remove-PSSession -Name ITTask -WhatIf; Get-PSSession -Bogus",
        );
        assert!(!ok);
        assert!(out.starts_with("What if: "), "{out}");
        assert!(err.contains("'Bogus'"), "{err}");
    }

    #[test]
    fn disconnect_sends_the_options_and_throttle_limit() {
        let (mut sh, fake) = shell();
        let a = opened(&mut sh, "ITTask", "Srv1", Some(43_200_000));
        let b = opened(&mut sh, "ITTask", "Srv2", Some(43_200_000));
        let (ok, _, err) = run(
            &mut sh,
            "Get-PSSession -Name ITTask | Disconnect-PSSession -IdleTimeoutSec 43200 -OutputBufferingMode Drop -ThrottleLimit 1",
        );
        // Nobody answers, so the line fails after the silence limit.
        assert!(!ok && err.contains("reported nothing"), "{err}");
        let cmds = fake.commands();
        match cmds.first() {
            Some(Command::Disconnect {
                sessions,
                idle_timeout_sec,
                output_buffering_mode,
                throttle_limit,
                ..
            }) => {
                let ids: Vec<Uuid> = sessions.iter().map(|s| s.instance_id).collect();
                assert_eq!(ids, [a, b]);
                assert_eq!(*idle_timeout_sec, Some(43_200));
                assert_eq!(*output_buffering_mode, OutputBufferingMode::Drop);
                assert_eq!(*throttle_limit, 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(cmds.get(1), Some(Command::Cancel { .. })));
    }

    #[test]
    fn remote_listing_carries_names_credentials_and_throttle_limit() {
        let (mut sh, fake) = shell();
        let (ok, _, _) = run(
            &mut sh,
            "Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name IT* -Credential Domain01\\User01 -ThrottleLimit 1",
        );
        assert!(!ok);
        match fake.commands().first() {
            Some(Command::ListSessions {
                computers,
                names,
                throttle_limit,
                ..
            }) => {
                let n: Vec<&str> = computers.iter().map(|c| c.name.as_str()).collect();
                assert_eq!(n, ["Srv1", "Srv2", "Srv30"]);
                assert_eq!(names, &["IT*".to_owned()]);
                assert_eq!(*throttle_limit, 1);
                assert!(computers.iter().all(|c| matches!(
                    &c.credential,
                    CredentialChoice::Once(cr) if cr.user == "Domain01\\User01"
                )));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn session_options_become_connection_settings() {
        let (mut sh, fake) = shell();
        run(
            &mut sh,
            "$o = New-PSSessionOption -IdleTimeout 600000 -SkipCACheck -OperationTimeout 5000",
        );
        run(
            &mut sh,
            "New-PSSession -ComputerName Srv1 -Port 15985 -UseSSL -ConfigurationName ITTasks -SessionOption $o -Credential Domain01\\User01 -Name Job",
        );
        match fake.commands().first() {
            Some(Command::NewSession {
                computer,
                name,
                idle_timeout_ms,
                ..
            }) => {
                assert_eq!(computer.spec.url(), "https://Srv1:15985/wsman");
                assert_eq!(computer.spec.configuration_name, "ITTasks");
                assert!(computer.spec.skip_ca_check);
                assert_eq!(computer.spec.operation_timeout_ms, 5000);
                assert_eq!(name.as_deref(), Some("Job"));
                assert_eq!(*idle_timeout_ms, Some(600_000));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_session_idle_timeout_above_the_maximum_is_refused_without_idle_timeout_sec() {
        // Example 4: the session was created with New-PSSessionOption -IdleTimeout 172800000.
        let (mut sh, fake) = shell();
        opened(&mut sh, "ITTask", "Server01", Some(43_200_000));
        if let Some(s) = sh.repo.first_mut() {
            s.info.idle_timeout_ms = Some(172_800_000);
        }
        let (ok, out, err) = run(&mut sh, "Disconnect-PSSession -Name ITTask");
        assert!(!ok && out.is_empty());
        assert!(err.starts_with("Disconnect-PSSession : The session ITTask cannot be disconnected because the specified idle timeout value 172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or less that the minimum allowed60(seconds).  Choose an idle time out value that is within the allowed range and try again.\n"), "{err}");
        assert!(fake.commands().is_empty());
    }

    /// The credential of the first computer of the listing sent last.
    fn credential_of(fake: &FakeWorker) -> Option<CredentialChoice> {
        match fake.commands().first() {
            Some(Command::ListSessions { computers, .. }) => {
                computers.first().map(|c| c.credential.clone())
            }
            _ => None,
        }
    }

    #[test]
    fn saved_profile_credentials_are_used_for_their_user_only() {
        use crate::model::profile::{Computer, CredentialRef, Group};
        let (h, fake) = WorkerHandle::fake();
        let mut srv1 = Computer::new("Srv1");
        srv1.settings.credential = Some(CredentialRef {
            user: "Domain01\\User01".into(),
            entry: Some("entry-1".into()),
        });
        let mut root = Group::new("");
        root.computers.push(srv1);
        let mut sh = Shell::new(
            h,
            ProfileTree { root },
            Passwords::Given(vec![("Domain01\\Manager01".into(), "pw".into())]),
        );
        sh.silence_limit = Duration::from_millis(20);
        run(
            &mut sh,
            "Get-PSSession -ComputerName Srv1 -Credential domain01\\user01",
        );
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Saved { entry_id, .. }) if entry_id == "entry-1"
        ));
        run(&mut sh, "Get-PSSession -ComputerName Srv1");
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Saved { .. })
        ));
        run(
            &mut sh,
            "Get-PSSession -ComputerName Srv1 -Credential Domain01\\Manager01",
        );
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Once(c)) if c.user == "Domain01\\Manager01"
        ));
        run(&mut sh, "Get-PSSession -ComputerName Srv2");
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Implicit)
        ));
    }

    /// `-Credential LAB\tech` finds the password saved for that user
    /// (`baton credential add`) before BATON_PASSWORD and the prompt, even
    /// when no profile names it.
    #[test]
    fn a_password_saved_for_the_user_comes_first() {
        let (h, fake) = WorkerHandle::fake();
        let mut sh = Shell::new(
            h,
            ProfileTree::default(),
            Passwords::Given(vec![("LAB\\other".into(), "pw".into())]),
        );
        sh.set_saved_credentials(vec![("entry-7".into(), "LAB\\tech".into())]);
        sh.silence_limit = Duration::from_millis(20);
        run(
            &mut sh,
            "Get-PSSession -ComputerName Srv9 -Credential lab\\TECH",
        );
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Saved { entry_id, user }) if entry_id == "entry-7" && user == "lab\\TECH"
        ));
        // Another user: the given password, as before.
        run(
            &mut sh,
            "Get-PSSession -ComputerName Srv9 -Credential LAB\\other",
        );
        assert!(matches!(
            credential_of(&fake),
            Some(CredentialChoice::Once(c)) if c.user == "LAB\\other"
        ));
        // Nothing saved and no password: a clear error, nothing sent.
        let (ok, _, err) = run(
            &mut sh,
            "Get-PSSession -ComputerName Srv9 -Credential LAB\\nobody",
        );
        assert!(!ok);
        assert!(err.contains("No password for LAB\\nobody"), "{err}");
        assert!(fake.commands().is_empty());
    }

    #[test]
    fn ctrl_c_cancels_the_action_being_waited_on() {
        let (mut sh, fake) = shell();
        sh.silence_limit = Duration::from_secs(600);
        let flag = Arc::new(AtomicBool::new(true));
        sh.set_interrupt_flag(flag.clone());
        let (ok, _, _) = run(
            &mut sh,
            "Get-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
        );
        assert!(!ok);
        assert!(!flag.load(Ordering::SeqCst));
        let cmds = fake.commands();
        let listed = match cmds.first() {
            Some(Command::ListSessions { op, .. }) => *op,
            other => panic!("{other:?}"),
        };
        assert!(matches!(cmds.get(1), Some(Command::Cancel { op }) if *op == listed));
    }

    #[test]
    fn uri_hosts_and_timespans() {
        assert_eq!(uri_host("http://srv1:5985/wsman").as_deref(), Some("srv1"));
        assert_eq!(uri_host("https://[::1]:5986/wsman").as_deref(), Some("::1"));
        assert_eq!(ms_span(Some(172_800_000), 0), "2.00:00:00");
        assert_eq!(ms_span(None, 180_000), "00:03:00");
        assert_eq!(
            configuration_query("Get-PSSessionConfiguration Microsoft.PowerShell").as_deref(),
            Some("Microsoft.PowerShell")
        );
        assert_eq!(configuration_query("Get-Process"), None);
    }
}
