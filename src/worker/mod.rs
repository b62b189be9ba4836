//! The background worker: a tokio runtime on a named thread that owns all I/O.
//!
//! It receives [`Command`]s from the UI or the CLI, runs each as a task (so
//! one slow computer never holds up another), and reports [`Event`]s. Each
//! command variant has one handler here. Sessions this console opens keep a
//! pool Receive outstanding, so the server keeps them Connected instead of
//! flipping them to Disconnected after a minute.

pub mod convert;
pub mod remote;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::bridge::EventSender;
use crate::bridge::{
    ActivityEntry, Command, ComputerRef, CredentialChoice, Event, OpId, Release, ReleaseOutcome,
    SessionRef, WorkerSide,
};
use crate::model::{
    Availability, ConfigurationQuotas, Credential, OutputBufferingMode, SessionInfo, SessionState,
    UserError,
};
use crate::protocol::auth::UserTable;
use crate::protocol::psrp::client::ClientEvent;
use crate::protocol::psrp::messages::{HostCall, HostResponse, PipelineState};
use crate::protocol::wsman::shell::ShellInfo;
use crate::store::credentials::CredentialStore;
use convert::{plain_error, user_error};
use remote::{Remote, RemoteError, Session};

/// A lab computer the worker reaches in process (tests, and the demo without sockets).
#[derive(Clone)]
pub struct InProcessComputer {
    pub service: Arc<dyn crate::protocol::http::WsmanService>,
    pub users: UserTable,
}

/// What the worker needs from the rest of the program.
#[derive(Clone, Default)]
pub struct WorkerConfig {
    /// Saved credentials (`CredentialChoice::Saved`).
    pub credentials: Option<Arc<dyn CredentialStore>>,
    /// Computers served in process, by lower-case name.
    pub in_process: HashMap<String, InProcessComputer>,
}

struct Held {
    session: tokio::sync::Mutex<Session>,
    local_id: u32,
    computer: String,
    name: String,
    /// The pool Receive that keeps the session Connected.
    keepalive: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Created by this process (New-PSSession), not connected to.
    created_here: bool,
    /// Commands started or attached here that have not been seen to end.
    running: Mutex<HashSet<Uuid>>,
}

struct Worker {
    config: WorkerConfig,
    events: EventSender,
    /// One client session per computer and user, as one PowerShell console.
    remotes: Mutex<HashMap<(String, String), Arc<Remote>>>,
    held: Mutex<HashMap<(String, Uuid), Arc<Held>>>,
    local_ids: Mutex<HashMap<(String, Uuid), u32>>,
    next_id: AtomicU32,
    ops: Mutex<HashMap<OpId, tokio::task::AbortHandle>>,
    /// Cancelled actions: nothing more is reported for them.
    cancelled: Mutex<HashSet<OpId>>,
    /// Host calls (Read-Host) waiting for an answer, by command.
    pending_calls: Mutex<HashMap<Uuid, HostCall>>,
    /// Creations, connections and reconnections under way ([`Worker::acquire`]).
    acquiring: AtomicU32,
}

/// Starts the worker on a named thread; it stops on `Command::Shutdown` or
/// when the UI's end of the channel goes away.
pub fn spawn(
    side: WorkerSide,
    config: WorkerConfig,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("baton-worker".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("baton-io")
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    side.send(Event::OpFailed {
                        op: 0,
                        error: plain_error(
                            "The background worker could not start",
                            e.to_string(),
                            None,
                        ),
                    });
                    return;
                }
            };
            rt.block_on(run(side, config));
        })
}

async fn run(side: WorkerSide, config: WorkerConfig) {
    let worker = Arc::new(Worker {
        config,
        events: side.sender(),
        remotes: Mutex::new(HashMap::new()),
        held: Mutex::new(HashMap::new()),
        local_ids: Mutex::new(HashMap::new()),
        next_id: AtomicU32::new(1),
        ops: Mutex::new(HashMap::new()),
        cancelled: Mutex::new(HashSet::new()),
        pending_calls: Mutex::new(HashMap::new()),
        acquiring: AtomicU32::new(0),
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let commands = side.commands;
    // std's receiver blocks: read it on a blocking thread and forward.
    tokio::task::spawn_blocking(move || {
        while let Ok(c) = commands.recv() {
            if tx.send(c).is_err() {
                break;
            }
        }
    });
    // The UI's or CLI's end going away (a crash, a closed pipe) releases
    // the sessions as a Shutdown would: no exit leaves a ghost.
    let mut release = Release::HandBack;
    while let Some(command) = rx.recv().await {
        match command {
            Command::Shutdown { release: r } => {
                release = r;
                break;
            }
            Command::Cancel { op } => worker.cancel(op),
            other => {
                let op = other.op().unwrap_or(0);
                let w = worker.clone();
                let task = tokio::spawn(async move {
                    w.handle(other).await;
                    lock(&w.ops).remove(&op);
                });
                lock(&worker.ops).insert(op, task.abort_handle());
            }
        }
    }
    // Every action still in flight ends as cancelled, then the sessions are
    // handed back.
    let in_flight: Vec<OpId> = lock(&worker.ops).keys().copied().collect();
    for op in in_flight {
        worker.cancel(op);
    }
    worker.release_all(release).await;
    worker.events.send(Event::Stopped);
}

/// What a script gets besides its text: `-ArgumentList` and input objects.
#[derive(Default)]
struct ScriptData {
    arguments: Vec<crate::protocol::clixml::PsValue>,
    input: Option<Vec<crate::protocol::clixml::PsValue>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn key(computer: &str) -> String {
    computer.to_ascii_lowercase()
}

/// How long the worker, as it stops, waits for one session to be handed back.
const RELEASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn throttle(limit: u32) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(if limit == 0 { 32 } else { limit as usize }))
}

impl Worker {
    /// Cancels an action: its task (and every part of it) is aborted and
    /// `OpCancelled` is its one terminal event.
    fn cancel(&self, op: OpId) {
        let handle = lock(&self.ops).remove(&op);
        if let Some(h) = handle {
            // Silence the action first: a part that finishes while the
            // abort propagates must not report after the cancellation.
            lock(&self.cancelled).insert(op);
            // Aborting the action's task drops its JoinSet of
            // per-computer parts, which aborts every one of them.
            h.abort();
            self.events.send(Event::OpCancelled { op });
        }
    }

    /// Runs `work`, which takes hold of a session on a server (a Create, a
    /// Connect, a Reconnect) and records it in `held`, to its end even when
    /// the action waiting for it is cancelled: a session attached on the
    /// server must be known here, or nobody could hand it back. The worker,
    /// as it stops, waits for these before it releases the sessions.
    async fn acquire<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, UserError> {
        self.acquiring.fetch_add(1, Ordering::SeqCst);
        let w = self.clone();
        let task = tokio::spawn(async move {
            let r = work.await;
            w.acquiring.fetch_sub(1, Ordering::SeqCst);
            r
        });
        task.await
            .map_err(|e| plain_error("The session could not be taken", e.to_string(), None))
    }

    fn send(&self, e: Event) {
        if let Some(op) = e.op()
            && lock(&self.cancelled).contains(&op)
        {
            return;
        }
        self.events.send(e);
    }

    fn fail(&self, op: OpId, error: UserError) {
        self.send(Event::OpFailed { op, error });
    }

    /// Waits for the parts of a bulk action (cancelling the action drops the
    /// set, which aborts every part still running), reporting each failed
    /// part (`PartFailed`) and progress, then ends the action with one
    /// terminal event: `OpFinished` "`verb` N of M `what`" when at least one
    /// part succeeded (or there were none), else `OpFailed`.
    async fn settle(
        &self,
        op: OpId,
        mut tasks: JoinSet<Result<(), UserError>>,
        verb: &str,
        what: &str,
    ) {
        let total = tasks.len();
        let mut ok = 0;
        let mut done = 0;
        while let Some(r) = tasks.join_next().await {
            match r {
                Ok(Ok(())) => ok += 1,
                Ok(Err(error)) => self.send(Event::PartFailed { op, error }),
                Err(e) => self.send(Event::PartFailed {
                    op,
                    error: plain_error("A part of the action stopped", e.to_string(), None),
                }),
            }
            done += 1;
            self.send(Event::OpProgress {
                op,
                done,
                total,
                message: String::new(),
            });
        }
        if ok > 0 || total == 0 {
            self.send(Event::OpFinished {
                op,
                message: format!("{verb} {ok} of {total} {what}"),
            });
        } else {
            self.fail(
                op,
                plain_error(
                    format!("{verb} 0 of {total} {what}"),
                    if total == 1 {
                        "it failed (the reason is above)".to_owned()
                    } else {
                        format!("all {total} failed (each reason is above)")
                    },
                    None,
                ),
            );
        }
    }

    fn activity(
        &self,
        user: &str,
        computer: &str,
        session: Option<&str>,
        action: &str,
        options: String,
        result: &str,
    ) {
        self.send(Event::Activity(ActivityEntry {
            time: Utc::now(),
            user: user.to_owned(),
            computer: computer.to_owned(),
            session: session.map(str::to_owned),
            action: action.to_owned(),
            options,
            result: result.to_owned(),
        }));
    }

    fn local_id(&self, computer: &str, id: Uuid) -> u32 {
        *lock(&self.local_ids)
            .entry((key(computer), id))
            .or_insert_with(|| self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn credential(&self, computer: &ComputerRef) -> Result<Credential, UserError> {
        match &computer.credential {
            CredentialChoice::Once(c) => Ok(c.clone()),
            CredentialChoice::Saved { entry_id, user } => self.saved_credential(entry_id, user),
            // -CertificateThumbprint: the client certificate is the credential.
            CredentialChoice::Implicit
                if computer
                    .spec
                    .certificate_thumbprint
                    .as_deref()
                    .is_some_and(|t| !t.trim().is_empty()) =>
            {
                Ok(Credential::new("certificate".to_owned(), ""))
            }
            CredentialChoice::Implicit => Err(plain_error(
                format!("No credential for {}", computer.name),
                "the lab endpoint has no Kerberos realm, so it cannot sign in the current user",
                Some(
                    "Give a user name and password (-Credential DOMAIN\\user), or save one for this computer.",
                ),
            )),
        }
    }

    /// A credential from the saved credential store.
    fn saved_credential(&self, entry_id: &str, user: &str) -> Result<Credential, UserError> {
        let store = self.config.credentials.as_ref().ok_or_else(|| {
            plain_error(
                format!("No password for {user}"),
                "no credential store is available",
                Some("Enter the password for this action."),
            )
        })?;
        let stored = store.get(entry_id).map_err(|e| {
            plain_error(
                format!("The saved credential of {user} cannot be read"),
                e.to_string(),
                Some("Save the credential again, or enter the password for this action."),
            )
        })?;
        Ok(Credential::new(stored.user.clone(), stored.secret.expose()))
    }

    /// The proxy credential of `computer`, looked up as its user credential.
    fn proxy_credential(&self, computer: &ComputerRef) -> Result<Option<Credential>, UserError> {
        match &computer.proxy_credential {
            None | Some(CredentialChoice::Implicit) => Ok(None),
            Some(CredentialChoice::Once(c)) => Ok(Some(c.clone())),
            Some(CredentialChoice::Saved { entry_id, user }) => {
                self.saved_credential(entry_id, user).map(Some)
            }
        }
    }

    /// Whether `computer` is reached as the current user (no credential
    /// given and no client certificate).
    fn as_current_user(computer: &ComputerRef) -> bool {
        matches!(computer.credential, CredentialChoice::Implicit)
            && computer
                .spec
                .certificate_thumbprint
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
    }

    fn remote(&self, computer: &ComputerRef) -> Result<Arc<Remote>, UserError> {
        if Self::as_current_user(computer)
            && !self.config.in_process.contains_key(&key(&computer.name))
        {
            return self.remote_as_current_user(computer);
        }
        let cred = self.credential(computer)?;
        let proxy = self.proxy_credential(computer)?;
        // One client session per computer, user and proxy user.
        let mut who = cred.user.to_ascii_lowercase();
        if let Some(p) = &proxy {
            who.push('\n');
            who.push_str(&p.user.to_ascii_lowercase());
        }
        let k = (key(&computer.name), who);
        if let Some(r) = lock(&self.remotes).get(&k) {
            return Ok(r.clone());
        }
        let session_id = Uuid::new_v4();
        let r = match self.config.in_process.get(&key(&computer.name)) {
            Some(lab) => Remote::in_process(
                &computer.name,
                computer.spec.clone(),
                lab.service.clone(),
                &lab.users,
                &cred,
                session_id,
            ),
            None => Remote::http_with(
                &computer.name,
                computer.spec.clone(),
                &cred,
                session_id,
                &crate::worker::remote::HttpExtras {
                    proxy_credential: proxy,
                    ..crate::worker::remote::HttpExtras::from_env()
                },
            ),
        }
        .map_err(|e| user_error(format!("Cannot connect to {}", computer.name), &e))?;
        let r = Arc::new(r);
        lock(&self.remotes).insert(k, r.clone());
        Ok(r)
    }

    /// A remote signed in with the current user's Kerberos tickets (one
    /// client session per computer and principal, as for a credential).
    fn remote_as_current_user(&self, computer: &ComputerRef) -> Result<Arc<Remote>, UserError> {
        let proxy = self.proxy_credential(computer)?;
        let r = Remote::http_as_current_user(
            &computer.name,
            computer.spec.clone(),
            Uuid::new_v4(),
            &crate::worker::remote::HttpExtras {
                proxy_credential: proxy.clone(),
                ..crate::worker::remote::HttpExtras::from_env()
            },
        )
        .map_err(|e| user_error(format!("Cannot connect to {}", computer.name), &e))?;
        let mut who = r.user.to_ascii_lowercase();
        if let Some(p) = &proxy {
            who.push('\n');
            who.push_str(&p.user.to_ascii_lowercase());
        }
        let k = (key(&computer.name), who);
        let mut remotes = lock(&self.remotes);
        let r = remotes.entry(k).or_insert_with(|| Arc::new(r)).clone();
        Ok(r)
    }

    fn held(&self, computer: &str, id: Uuid) -> Option<Arc<Held>> {
        lock(&self.held).get(&(key(computer), id)).cloned()
    }

    async fn info_of(&self, h: &Held) -> SessionInfo {
        let s = h.session.lock().await;
        let opened = s.pool.state() == crate::protocol::psrp::messages::RunspacePoolState::Opened;
        let mut info = convert::session_info(
            h.local_id,
            &h.computer,
            &s.info,
            &[],
            Some(opened),
            Some(s.pool.protocol_version()),
            Utc::now(),
        );
        if opened {
            info.availability = Availability::Available;
        } else {
            info.availability = Availability::None;
        }
        info.name = h.name.clone();
        info
    }

    /// Dispatches one command to its handler.
    async fn handle(self: &Arc<Self>, command: Command) {
        match command {
            Command::ListSessions {
                op,
                computers,
                names,
                throttle_limit,
            } => {
                self.list_sessions(op, computers, names, throttle_limit)
                    .await
            }
            Command::NewSession {
                op,
                computer,
                name,
                idle_timeout_ms,
                output_buffering_mode,
            } => {
                self.new_session(op, computer, name, idle_timeout_ms, output_buffering_mode)
                    .await
            }
            Command::Disconnect {
                op,
                sessions,
                idle_timeout_sec,
                output_buffering_mode,
                throttle_limit,
            } => {
                self.disconnect(
                    op,
                    sessions,
                    idle_timeout_sec,
                    output_buffering_mode,
                    throttle_limit,
                )
                .await
            }
            Command::Connect { op, session } => match self.connect(op, &session).await {
                Ok(_) => self.send(Event::OpFinished {
                    op,
                    message: format!("Connected to {} on {}", session.name, session.computer.name),
                }),
                Err(e) => self.fail(op, e),
            },
            Command::Receive { op, session } => self.receive(op, session).await,
            Command::Invoke {
                op,
                session,
                script,
                in_disconnected_session,
            } => {
                self.invoke(
                    op,
                    session,
                    script,
                    in_disconnected_session,
                    ScriptData::default(),
                )
                .await
            }
            Command::InvokeWithData {
                op,
                session,
                script,
                arguments,
                input,
                in_disconnected_session,
            } => {
                self.invoke(
                    op,
                    session,
                    script,
                    in_disconnected_session,
                    ScriptData {
                        arguments: arguments.iter().map(convert::script_value).collect(),
                        input: input.map(|i| i.iter().map(convert::script_value).collect()),
                    },
                )
                .await
            }
            Command::StopCommand {
                op,
                session,
                command_id,
            } => self.stop(op, session, command_id).await,
            Command::Remove {
                op,
                sessions,
                force,
            } => self.remove(op, sessions, force).await,
            Command::TestConnection { op, computer } => self.test(op, computer).await,
            Command::ConnectWsman { op, computer } => self.connect_wsman(op, computer).await,
            Command::DisconnectWsman { op, computer } => self.disconnect_wsman(op, &computer),
            Command::GetConfiguration {
                op,
                computer,
                configuration_name,
            } => self.configuration(op, computer, configuration_name).await,
            Command::AnswerPrompt {
                op,
                session,
                command_id,
                answer,
            } => self.answer(op, session, command_id, answer).await,
            Command::Cancel { .. } | Command::Shutdown { .. } => {}
        }
    }

    async fn list_sessions(
        self: &Arc<Self>,
        op: OpId,
        computers: Vec<ComputerRef>,
        names: Vec<String>,
        limit: u32,
    ) {
        let total = computers.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Listing sessions on {total} computer(s)"),
        });
        let gate = throttle(limit);
        let mut tasks = JoinSet::new();
        for c in computers {
            let w = self.clone();
            let gate = gate.clone();
            let names = names.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                w.list_one(op, &c, &names).await
            });
        }
        self.settle(op, tasks, "Listed sessions on", "computer(s)")
            .await;
    }

    async fn list_one(&self, op: OpId, c: &ComputerRef, names: &[String]) -> Result<(), UserError> {
        let remote = self.remote(c)?;
        let shells = remote
            .enumerate_shells()
            .await
            .map_err(|e| user_error(format!("Cannot list the sessions of {}", c.name), &e))?;
        let mut sessions = Vec::new();
        for shell in shells {
            let name = shell.name.clone().unwrap_or_default();
            if !names.is_empty()
                && !names
                    .iter()
                    .any(|p| crate::model::pslang::wildcard_match_ci(p, &name))
            {
                continue;
            }
            let id = Uuid::parse_str(&shell.shell_id).unwrap_or_default();
            let commands = remote
                .enumerate_commands(&shell.shell_id)
                .await
                .unwrap_or_default();
            let held = self.held(&c.name, id);
            let mut info = match &held {
                Some(h) => {
                    let mut info = self.info_of(h).await;
                    // The server's fresh view of the shell, our view of the state.
                    let fresh = convert::session_info(
                        h.local_id,
                        &c.name,
                        &shell,
                        &commands,
                        None,
                        None,
                        Utc::now(),
                    );
                    info.details = fresh.details;
                    info.commands = fresh.commands;
                    info.idle_timeout_ms = fresh.idle_timeout_ms;
                    info.max_idle_timeout_ms = fresh.max_idle_timeout_ms;
                    info.output_buffering_mode = fresh.output_buffering_mode;
                    if info.state != SessionState::Opened {
                        info.availability = fresh.availability;
                        info.disconnected_on = fresh.disconnected_on;
                        info.expires_on = fresh.expires_on;
                    }
                    info
                }
                None => convert::session_info(
                    self.local_id(&c.name, id),
                    &c.name,
                    &shell,
                    &commands,
                    None,
                    None,
                    Utc::now(),
                ),
            };
            if info.name.is_empty() {
                info.name = format!("Session{}", info.id);
            }
            sessions.push(info);
        }
        sessions.sort_by_key(|s| s.id);
        self.send(Event::SessionsListed {
            op,
            computer: c.name.clone(),
            sessions,
        });
        Ok(())
    }

    fn start_keepalive(self: &Arc<Self>, h: &Arc<Held>) {
        let w = self.clone();
        let held = h.clone();
        let task = tokio::spawn(async move {
            loop {
                let (remote, uri, id) = {
                    let s = held.session.lock().await;
                    (s.remote.clone(), s.resource_uri.clone(), s.shell_id)
                };
                match remote.receive(&uri, id, None).await {
                    Ok(r) => {
                        let mut s = held.session.lock().await;
                        if let Ok(rec) = s.handle(&r) {
                            for e in rec.events {
                                if let ClientEvent::PoolState { state, .. } = e
                                    && matches!(
                                        state,
                                        crate::protocol::psrp::messages::RunspacePoolState::Broken
                                            | crate::protocol::psrp::messages::RunspacePoolState::Closed
                                    )
                                {
                                    drop(s);
                                    let mut info = w.info_of(&held).await;
                                    info.state = SessionState::Broken;
                                    w.send(Event::SessionChanged(info));
                                    return;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        // The session was disconnected, removed, or the network
                        // failed: whatever the cause, this console no longer holds
                        // it open. Never leave it shown Opened/Available; the next
                        // Refresh shows the server's view (Disconnected, Busy or gone).
                        {
                            let mut s = held.session.lock().await;
                            if s.pool.state()
                                == crate::protocol::psrp::messages::RunspacePoolState::Opened
                            {
                                s.pool.set_state(crate::protocol::psrp::messages::RunspacePoolState::Disconnected);
                                s.disconnected_by_me = false;
                            }
                        }
                        let mut info = w.info_of(&held).await;
                        info.state = SessionState::Disconnected;
                        info.availability = Availability::None;
                        w.activity(
                            &remote.user,
                            &held.computer,
                            Some(&held.name),
                            "Receive (keep-alive)",
                            String::new(),
                            &format!("connection lost: {e}"),
                        );
                        w.send(Event::SessionChanged(info));
                        return;
                    }
                }
            }
        });
        if let Some(old) = lock(&h.keepalive).replace(task) {
            old.abort();
        }
    }

    fn stop_keepalive(h: &Held) {
        if let Some(k) = lock(&h.keepalive).take() {
            k.abort();
        }
    }

    fn hold(
        self: &Arc<Self>,
        computer: &str,
        name: &str,
        session: Session,
        created_here: bool,
    ) -> Arc<Held> {
        let id = session.shell_id;
        let held = Arc::new(Held {
            local_id: self.local_id(computer, id),
            computer: computer.to_owned(),
            name: name.to_owned(),
            session: tokio::sync::Mutex::new(session),
            keepalive: Mutex::new(None),
            created_here,
            running: Mutex::new(HashSet::new()),
        });
        lock(&self.held).insert((key(computer), id), held.clone());
        held
    }

    async fn new_session(
        self: &Arc<Self>,
        op: OpId,
        computer: ComputerRef,
        name: Option<String>,
        idle_timeout_ms: Option<u64>,
        mode: OutputBufferingMode,
    ) {
        self.send(Event::OpStarted {
            op,
            what: format!("Creating a session on {}", computer.name),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        // The mode the command names (the session option), else the
        // computer's (its profile): the cached client session for this
        // computer may have been opened with other options.
        let mode = if mode == OutputBufferingMode::None {
            computer.spec.output_buffering_mode
        } else {
            mode
        };
        let created = {
            let (w, remote, name, computer_name) = (
                self.clone(),
                remote.clone(),
                name.clone(),
                computer.name.clone(),
            );
            self.acquire(async move {
                let session =
                    Session::create_with(remote, name.as_deref(), idle_timeout_ms, mode).await?;
                let shown = session.info.name.clone().or(name).unwrap_or_else(|| {
                    format!("Session{}", w.local_id(&computer_name, session.shell_id))
                });
                let held = w.hold(&computer_name, &shown, session, true);
                w.start_keepalive(&held);
                Ok::<_, RemoteError>((held, shown))
            })
            .await
        };
        let created = match created {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        match created {
            Ok((held, shown)) => {
                let mut info = self.info_of(&held).await;
                if mode != OutputBufferingMode::None {
                    info.output_buffering_mode = mode;
                }
                self.activity(
                    &remote.user,
                    &computer.name,
                    Some(&shown),
                    "New-PSSession",
                    format!("-Name {shown}"),
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                self.send(Event::OpFinished {
                    op,
                    message: format!("Created {shown} on {}", computer.name),
                });
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &computer.name,
                    name.as_deref(),
                    "New-PSSession",
                    String::new(),
                    &e.to_string(),
                );
                self.fail(
                    op,
                    user_error(format!("Cannot create a session on {}", computer.name), &e),
                );
            }
        }
    }

    async fn disconnect(
        self: &Arc<Self>,
        op: OpId,
        sessions: Vec<SessionRef>,
        idle_timeout_sec: Option<u32>,
        mode: OutputBufferingMode,
        limit: u32,
    ) {
        let total = sessions.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Disconnecting {total} session(s)"),
        });
        let gate = throttle(limit);
        let mut tasks = JoinSet::new();
        for s in sessions {
            let w = self.clone();
            let gate = gate.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                w.disconnect_one(&s, idle_timeout_sec, mode).await
            });
        }
        self.settle(op, tasks, "Disconnected", "session(s)").await;
    }

    async fn disconnect_one(
        self: &Arc<Self>,
        s: &SessionRef,
        idle_sec: Option<u32>,
        mode: OutputBufferingMode,
    ) -> Result<(), UserError> {
        let summary = format!("Cannot disconnect {} on {}", s.name, s.computer.name);
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return Err(plain_error(
                summary,
                format!(
                    "Cannot disconnect PSSession \"{}\" because it is not in the Opened state.",
                    s.name
                ),
                Some(
                    "Only a session open in this console can be disconnected; connect to it first.",
                ),
            ));
        };
        let mut session = h.session.lock().await;
        if session.pool.state() != crate::protocol::psrp::messages::RunspacePoolState::Opened {
            return Err(plain_error(
                summary,
                format!(
                    "Cannot disconnect PSSession \"{}\" because it is not in the Opened state.",
                    s.name
                ),
                None,
            ));
        }
        let idle_ms = match idle_sec {
            Some(sec) => {
                crate::model::rules::check_disconnect_idle_timeout(
                    &s.name,
                    u64::from(sec),
                    session.info.max_idle_timeout_ms,
                )?;
                Some(u64::from(sec) * 1000)
            }
            None => None,
        };
        // A Disconnect that names no mode carries the session option's
        // (New-PSSessionOption -OutputBufferingMode, or the profile's), as
        // PowerShell's does; with neither, the server keeps the shell's own.
        let mode = if mode == OutputBufferingMode::None {
            session.buffer_mode
        } else {
            mode
        };
        let options = format!(
            "{}{}",
            idle_sec
                .map(|t| format!("-IdleTimeoutSec {t} "))
                .unwrap_or_default(),
            if mode == OutputBufferingMode::None {
                String::new()
            } else {
                format!("-OutputBufferingMode {mode}")
            }
        );
        Self::stop_keepalive(&h);
        let user = session.remote.user.clone();
        match session
            .disconnect(idle_ms, convert::wire_buffer_mode(mode))
            .await
        {
            Ok(()) => {
                drop(session);
                let mut info = self.info_of(&h).await;
                info.state = SessionState::Disconnected;
                info.availability = Availability::None;
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Disconnect-PSSession",
                    options,
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                Ok(())
            }
            Err(e) => {
                drop(session);
                self.start_keepalive(&h);
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Disconnect-PSSession",
                    options,
                    &e.to_string(),
                );
                Err(user_error(summary, &e))
            }
        }
    }

    async fn find_shell(
        &self,
        remote: &Remote,
        id: Uuid,
    ) -> Result<Option<ShellInfo>, RemoteError> {
        Ok(remote
            .enumerate_shells()
            .await?
            .into_iter()
            .find(|s| Uuid::parse_str(&s.shell_id).ok() == Some(id)))
    }

    /// Connect-PSSession: Reconnect when this console disconnected the
    /// session, otherwise Connect as a new client. Busy sessions are refused
    /// with PowerShell's explanation before anything is sent. The caller
    /// ends the action.
    async fn connect(self: &Arc<Self>, op: OpId, s: &SessionRef) -> Result<Arc<Held>, UserError> {
        self.send(Event::OpStarted {
            op,
            what: format!("Connecting to {} on {}", s.name, s.computer.name),
        });
        let remote = self.remote(&s.computer)?;
        let summary = format!("Cannot connect {} on {}", s.name, s.computer.name);
        if let Some(h) = self.held(&s.computer.name, s.instance_id) {
            let session = h.session.lock().await;
            if session.pool.state() == crate::protocol::psrp::messages::RunspacePoolState::Opened {
                drop(session);
                return Ok(h);
            }
            // The client session that disconnected it reconnects (its own
            // SessionId), even when Disconnect-WSMan dropped it from the cache.
            if session.disconnected_by_me && session.remote.user.eq_ignore_ascii_case(&remote.user)
            {
                drop(session);
                let (w, hh) = (self.clone(), h.clone());
                let reconnected = self
                    .acquire(async move {
                        let r = hh.session.lock().await.reconnect().await;
                        if r.is_ok() {
                            w.start_keepalive(&hh);
                        }
                        r
                    })
                    .await?;
                return match reconnected {
                    Ok(()) => {
                        let info = self.info_of(&h).await;
                        self.activity(
                            &remote.user,
                            &s.computer.name,
                            Some(&s.name),
                            "Connect-PSSession",
                            "reconnect".into(),
                            "ok",
                        );
                        self.send(Event::SessionChanged(info));
                        Ok(h)
                    }
                    Err(e) => Err(user_error(summary, &e)),
                };
            }
            drop(session);
            lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
        }
        let shell = match self.find_shell(&remote, s.instance_id).await {
            Ok(Some(shell)) => shell,
            Ok(None) => {
                return Err(plain_error(
                    summary,
                    format!(
                        "The session {} was not found on {} for {}: it was removed, its idle timeout expired, or it belongs to another user.",
                        s.name, s.computer.name, remote.user
                    ),
                    Some("Connect with the credentials of the user who created the session."),
                ));
            }
            Err(e) => return Err(user_error(summary, &e)),
        };
        if shell.state == Some(crate::protocol::wsman::shell::ShellState::Connected) {
            return Err(plain_error(
                summary,
                crate::model::rules::busy_connect_refusal(&s.name, &holder_text(&shell)),
                Some(crate::model::rules::BUSY_CONNECT_ADVICE),
            ));
        }
        let connected = {
            let (w, remote, computer, name, mode) = (
                self.clone(),
                remote.clone(),
                s.computer.name.clone(),
                s.name.clone(),
                s.computer.spec.output_buffering_mode,
            );
            self.acquire(async move {
                let mut session = Session::connect(remote, shell).await?;
                // This connection's session option decides how it is next
                // disconnected (the cached client session may carry another).
                session.buffer_mode = mode;
                let h = w.hold(&computer, &name, session, false);
                w.start_keepalive(&h);
                Ok::<_, RemoteError>(h)
            })
            .await?
        };
        match connected {
            Ok(h) => {
                let info = self.info_of(&h).await;
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Connect-PSSession",
                    String::new(),
                    "ok",
                );
                self.send(Event::SessionChanged(info));
                Ok(h)
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Connect-PSSession",
                    String::new(),
                    &e.to_string(),
                );
                Err(user_error(summary, &e))
            }
        }
    }

    /// Receive-PSSession: connect if needed, attach to every command still on
    /// the server and stream what it produced. A command that cannot be
    /// attached or read is a failed part; the action goes on with the others.
    async fn receive(self: &Arc<Self>, op: OpId, s: SessionRef) {
        let h = match self.connect(op, &s).await {
            Ok(h) => h,
            Err(e) => return self.fail(op, e),
        };
        self.send(Event::OpStarted {
            op,
            what: format!("Receiving the output of {} on {}", s.name, s.computer.name),
        });
        let (remote, id) = {
            let session = h.session.lock().await;
            (session.remote.clone(), session.shell_id)
        };
        let commands = match remote
            .enumerate_commands(&id.to_string().to_uppercase())
            .await
        {
            Ok(c) => c,
            Err(e) => {
                return self.fail(
                    op,
                    user_error(format!("Cannot receive from {}", s.name), &e),
                );
            }
        };
        let mut count = 0;
        let mut failed = 0;
        for c in commands {
            let Ok(pid) = Uuid::parse_str(&c.command_id) else {
                continue;
            };
            {
                let mut session = h.session.lock().await;
                if let Err(e) = session.attach_command(pid).await {
                    failed += 1;
                    self.send(Event::PartFailed {
                        op,
                        error: user_error(format!("Cannot receive from {}", s.name), &e),
                    });
                    continue;
                }
            }
            count += 1;
            if let Err(error) = self.pump(&h, &s, pid).await {
                failed += 1;
                self.send(Event::PartFailed { op, error });
            }
        }
        self.activity(
            &remote.user,
            &s.computer.name,
            Some(&s.name),
            "Receive-PSSession",
            String::new(),
            if failed == 0 { "ok" } else { "partly failed" },
        );
        if failed > 0 && count == 0 {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot receive from {}", s.name),
                    "no command's output could be read (each reason is above)",
                    None,
                ),
            );
        }
        self.send(Event::OpFinished {
            op,
            message: format!("Received the output of {count} command(s) of {}", s.name),
        });
    }

    /// Streams a command's output until it is done. While it streams, the
    /// command counts as running in the session (a session handed back with
    /// a running command is disconnected, never closed).
    async fn pump(
        self: &Arc<Self>,
        h: &Arc<Held>,
        s: &SessionRef,
        pid: Uuid,
    ) -> Result<Option<PipelineState>, UserError> {
        lock(&h.running).insert(pid);
        let (remote, uri, id) = {
            let session = h.session.lock().await;
            (
                session.remote.clone(),
                session.resource_uri.clone(),
                session.shell_id,
            )
        };
        let mut last = None;
        loop {
            let r = remote.receive(&uri, id, Some(pid)).await.map_err(|e| {
                user_error(format!("Receiving the output of {} stopped", s.name), &e)
            })?;
            let rec = {
                let mut session = h.session.lock().await;
                session.handle(&r).map_err(|e| {
                    user_error(format!("The output of {} could not be read", s.name), &e)
                })?
            };
            let mut items = Vec::new();
            for e in &rec.events {
                if let Some(item) = convert::output_item(e) {
                    items.push(item);
                }
                match e {
                    ClientEvent::PipelineState { state, .. } => last = Some(*state),
                    ClientEvent::HostCall { call, .. } if call.expects_answer() => {
                        // Register the call before anyone can answer it.
                        lock(&self.pending_calls).insert(pid, call.clone());
                        self.send(Event::PromptRequested {
                            computer: s.computer.name.clone(),
                            instance_id: s.instance_id,
                            command_id: pid,
                            prompt: call.prompt_text(),
                            secure: call.method_id == HostCall::READ_LINE_AS_SECURE_STRING,
                        });
                    }
                    ClientEvent::HostCall { call, .. } => {
                        let text = call.prompt_text();
                        if !text.is_empty() {
                            items.push(crate::model::OutputItem::HostPrompt(text));
                        }
                    }
                    _ => {}
                }
            }
            if !items.is_empty() {
                self.send(Event::Output {
                    computer: s.computer.name.clone(),
                    instance_id: s.instance_id,
                    command_id: pid,
                    items,
                });
            }
            if rec.done || last.is_some_and(PipelineState::is_terminal) {
                break;
            }
        }
        lock(&h.running).remove(&pid);
        self.send(Event::CommandFinished {
            computer: s.computer.name.clone(),
            instance_id: s.instance_id,
            command_id: pid,
            state: last
                .map(PipelineState::as_str)
                .unwrap_or("Completed")
                .to_owned(),
        });
        let mut session = h.session.lock().await;
        let _ = session.terminate(pid).await;
        Ok(last)
    }

    async fn invoke(
        self: &Arc<Self>,
        op: OpId,
        s: SessionRef,
        script: String,
        in_disconnected: bool,
        data: ScriptData,
    ) {
        self.send(Event::OpStarted {
            op,
            what: format!("Running a command in {} on {}", s.name, s.computer.name),
        });
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot run a command in {}", s.name),
                    format!("The session {} is not open in this console.", s.name),
                    Some("Connect to it first (Connect-PSSession)."),
                ),
            );
        };
        let started = {
            let mut session = h.session.lock().await;
            if session.pool.state() != crate::protocol::psrp::messages::RunspacePoolState::Opened {
                Err(RemoteError::Refused(format!(
                    "The session {} is in the Disconnected state; connect to it first.",
                    s.name
                )))
            } else {
                session
                    .start_with(&script, &data.arguments, data.input.as_deref())
                    .await
            }
        };
        let user = h.session.lock().await.remote.user.clone();
        let pid = match started {
            Ok(pid) => pid,
            Err(e) => {
                self.activity(
                    &user,
                    &s.computer.name,
                    Some(&s.name),
                    "Invoke-Command",
                    String::new(),
                    &e.to_string(),
                );
                return self.fail(
                    op,
                    user_error(format!("Cannot run a command in {}", s.name), &e),
                );
            }
        };
        self.activity(
            &user,
            &s.computer.name,
            Some(&s.name),
            "Invoke-Command",
            if in_disconnected {
                "-InDisconnectedSession".into()
            } else {
                String::new()
            },
            "started",
        );
        if in_disconnected {
            return match self
                .disconnect_one(&s, None, OutputBufferingMode::None)
                .await
            {
                Ok(()) => self.send(Event::OpFinished {
                    op,
                    message: format!("Started the command in {} and disconnected", s.name),
                }),
                Err(e) => self.fail(op, e),
            };
        }
        match self.pump(&h, &s, pid).await {
            Ok(state) => self.send(Event::OpFinished {
                op,
                message: format!(
                    "The command in {} ended: {}",
                    s.name,
                    state.map(PipelineState::as_str).unwrap_or("Completed")
                ),
            }),
            Err(e) => self.fail(op, e),
        }
    }

    async fn stop(self: &Arc<Self>, op: OpId, s: SessionRef, pid: Uuid) {
        let Some(h) = self.held(&s.computer.name, s.instance_id) else {
            return self.fail(
                op,
                plain_error(
                    format!("Cannot stop the command in {}", s.name),
                    "the session is not open here",
                    None,
                ),
            );
        };
        let r = h.session.lock().await.stop(pid).await;
        match r {
            Ok(()) => self.send(Event::OpFinished {
                op,
                message: format!("Stopping the command in {}", s.name),
            }),
            Err(e) => self.fail(
                op,
                user_error(format!("Cannot stop the command in {}", s.name), &e),
            ),
        }
    }

    async fn answer(self: &Arc<Self>, op: OpId, s: SessionRef, pid: Uuid, answer: String) {
        let call = lock(&self.pending_calls).remove(&pid);
        let (Some(h), Some(call)) = (self.held(&s.computer.name, s.instance_id), call) else {
            return self.fail(
                op,
                plain_error(
                    "Nothing to answer",
                    "the command is not waiting for input",
                    None,
                ),
            );
        };
        let response = HostResponse {
            call_id: call.call_id,
            method_id: call.method_id,
            method_name: call.method_name.clone(),
            result: Some(crate::protocol::clixml::PsValue::str(answer)),
            error: None,
        };
        let r = h.session.lock().await.answer(pid, &response).await;
        match r {
            Ok(()) => self.send(Event::OpFinished {
                op,
                message: "Answer sent".into(),
            }),
            Err(e) => self.fail(op, user_error("The answer could not be sent".into(), &e)),
        }
    }

    async fn remove(self: &Arc<Self>, op: OpId, sessions: Vec<SessionRef>, force: bool) {
        let total = sessions.len();
        self.send(Event::OpStarted {
            op,
            what: format!("Removing {total} session(s)"),
        });
        let gate = throttle(0);
        let mut tasks = JoinSet::new();
        for s in sessions {
            let w = self.clone();
            let gate = gate.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                w.remove_one(&s, force).await
            });
        }
        self.settle(op, tasks, "Removed", "session(s)").await;
    }

    /// Deletes one session: as its holder when it is open here; otherwise
    /// as its owner, which Windows allows even while another client holds
    /// it, so a Busy session is refused unless `force` says the user means
    /// it (the holder may be gone: a crash, a lost laptop).
    async fn remove_one(self: &Arc<Self>, s: &SessionRef, force: bool) -> Result<(), UserError> {
        let summary = format!("Cannot remove {} on {}", s.name, s.computer.name);
        let remote = self.remote(&s.computer)?;
        let mut options = String::new();
        let result = if let Some(h) = self.held(&s.computer.name, s.instance_id) {
            Self::stop_keepalive(&h);
            let r = h.session.lock().await.delete().await;
            if r.is_ok() {
                lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
            }
            r
        } else {
            match self.find_shell(&remote, s.instance_id).await {
                Ok(Some(shell))
                    if shell.state
                        == Some(crate::protocol::wsman::shell::ShellState::Connected)
                        && !force =>
                {
                    return Err(plain_error(
                        summary,
                        crate::model::rules::busy_remove_refusal(&s.name, &holder_text(&shell)),
                        Some(crate::model::rules::BUSY_REMOVE_ADVICE),
                    ));
                }
                Ok(Some(shell)) => {
                    if shell.state == Some(crate::protocol::wsman::shell::ShellState::Connected) {
                        options = "-Force".into();
                    }
                    let uri = shell
                        .resource_uri
                        .clone()
                        .unwrap_or_else(|| remote.spec.shell_uri());
                    let r = remote.delete(&uri, s.instance_id).await;
                    if r.is_ok() {
                        lock(&self.held).remove(&(key(&s.computer.name), s.instance_id));
                    }
                    r
                }
                Ok(None) => Err(RemoteError::Refused(format!(
                    "The session {} no longer exists.",
                    s.name
                ))),
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(()) => {
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Remove-PSSession",
                    options,
                    "ok",
                );
                self.send(Event::SessionGone {
                    computer: s.computer.name.clone(),
                    instance_id: s.instance_id,
                    reason: "removed".into(),
                });
                Ok(())
            }
            Err(e) => {
                self.activity(
                    &remote.user,
                    &s.computer.name,
                    Some(&s.name),
                    "Remove-PSSession",
                    options,
                    &e.to_string(),
                );
                let mut error = user_error(summary, &e);
                if force && error.advice.is_none() {
                    error.advice = Some(
                        "The server refused the owner's Delete. Wait for the session's holder to time out (it then shows Disconnected) and remove it again, or ask the computer's administrator to end it.".into(),
                    );
                }
                Err(error)
            }
        }
    }

    /// Hands back every session held open here, as the worker stops
    /// ([`Release`]): each is closed or disconnected, in parallel, each
    /// bounded by [`RELEASE_TIMEOUT`], and each outcome is reported.
    async fn release_all(self: &Arc<Self>, release: Release) {
        // Sessions still being created or connected are waited for: once
        // attached on the server they are held, and must be handed back.
        let deadline = tokio::time::Instant::now() + RELEASE_TIMEOUT;
        while self.acquiring.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let held: Vec<Arc<Held>> = lock(&self.held).drain().map(|(_, h)| h).collect();
        let mut tasks = JoinSet::new();
        for h in held {
            Self::stop_keepalive(&h);
            let w = self.clone();
            tasks.spawn(async move {
                let Some(outcome) = (match tokio::time::timeout(RELEASE_TIMEOUT, w.release_one(&h, release)).await {
                    Ok(o) => o,
                    Err(_) => Some(ReleaseOutcome::Failed(plain_error(
                        format!("{} on {} was not handed back", h.name, h.computer),
                        format!("the server did not answer within {} seconds", RELEASE_TIMEOUT.as_secs()),
                        Some("It shows Busy until the server notices this client is gone; Remove-PSSession -Force removes it sooner."),
                    ))),
                }) else {
                    return;
                };
                let (user, id) = {
                    let s = h.session.lock().await;
                    (s.remote.user.clone(), s.shell_id)
                };
                let (action, result) = match &outcome {
                    ReleaseOutcome::Closed => ("Remove-PSSession", "ok".to_owned()),
                    ReleaseOutcome::Disconnected { .. } => ("Disconnect-PSSession", "ok".to_owned()),
                    ReleaseOutcome::Failed(e) => ("Release", e.to_string()),
                };
                w.activity(&user, &h.computer, Some(&h.name), action, "(on exit)".into(), &result);
                w.events.send(Event::SessionReleased {
                    computer: h.computer.clone(),
                    instance_id: id,
                    name: h.name.clone(),
                    outcome,
                });
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Closes or disconnects one held session; None when it is not open here
    /// (disconnected already, or lost), so there is nothing to hand back.
    async fn release_one(&self, h: &Held, release: Release) -> Option<ReleaseOutcome> {
        let mut session = h.session.lock().await;
        if session.pool.state() != crate::protocol::psrp::messages::RunspacePoolState::Opened {
            return None;
        }
        let running = !lock(&h.running).is_empty();
        let close = match release {
            Release::CloseAll => true,
            Release::DisconnectAll => false,
            Release::HandBack => h.created_here && !running,
        };
        if close {
            return Some(match session.delete().await {
                Ok(()) => ReleaseOutcome::Closed,
                Err(e) => ReleaseOutcome::Failed(user_error(
                    format!("{} on {} was not closed", h.name, h.computer),
                    &e,
                )),
            });
        }
        // Handed back with its own idle timeout, brought within the
        // server's maximum (a Disconnect beyond it is refused), and the
        // session option's output buffering mode.
        let own = session.info.idle_timeout_ms;
        let idle = match (own, session.info.max_idle_timeout_ms) {
            (Some(o), Some(max)) if o > max => Some(max),
            _ => None,
        };
        let mode = session.buffer_mode;
        match session
            .disconnect(idle, convert::wire_buffer_mode(mode))
            .await
        {
            Ok(()) => Some(ReleaseOutcome::Disconnected {
                idle_timeout_ms: idle.or(own),
                output_buffering_mode: session
                    .info
                    .buffer_mode
                    .map(|b| match b {
                        crate::protocol::wsman::shell::BufferMode::Block => {
                            OutputBufferingMode::Block
                        }
                        crate::protocol::wsman::shell::BufferMode::Drop => {
                            OutputBufferingMode::Drop
                        }
                    })
                    .unwrap_or(mode),
                running,
            }),
            Err(e) => Some(ReleaseOutcome::Failed(user_error(
                format!("{} on {} was not disconnected", h.name, h.computer),
                &e,
            ))),
        }
    }

    async fn test(self: &Arc<Self>, op: OpId, computer: ComputerRef) {
        self.send(Event::OpStarted {
            op,
            what: format!("Testing {}", computer.name),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        match remote.identify().await {
            Ok(info) => {
                self.send(Event::ComputerIdentified {
                    op,
                    computer: computer.name.clone(),
                    product_vendor: info.product_vendor.clone(),
                    product_version: info.product_version.clone(),
                    protocol_version: info.protocol_version.clone(),
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("{} answers: {}", computer.name, info.product_version),
                });
            }
            Err(e) => self.fail(
                op,
                user_error(
                    format!("{} does not answer WS-Management", computer.name),
                    &e,
                ),
            ),
        }
    }

    /// Connect-WSMan: an Identify over an authenticated connection of this
    /// computer's client session, which keeps the connection for later requests.
    async fn connect_wsman(self: &Arc<Self>, op: OpId, computer: ComputerRef) {
        self.send(Event::OpStarted {
            op,
            what: format!("Connecting to the WinRM service of {}", computer.name),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        match remote.identify().await {
            Ok(info) => {
                self.activity(
                    &remote.user,
                    &computer.name,
                    None,
                    "Connect-WSMan",
                    String::new(),
                    "ok",
                );
                self.send(Event::OpFinished {
                    op,
                    message: format!(
                        "Connected to the WinRM service of {} ({})",
                        computer.name, info.product_version
                    ),
                });
            }
            Err(e) => {
                // A client session that never worked is not kept.
                lock(&self.remotes).retain(|_, r| !Arc::ptr_eq(r, &remote));
                self.fail(
                    op,
                    user_error(
                        format!("Cannot connect to the WinRM service of {}", computer.name),
                        &e,
                    ),
                );
            }
        }
    }

    /// Disconnect-WSMan: forgets the computer's client sessions and closes
    /// their idle connections. Nothing is sent: the server keeps its shells.
    fn disconnect_wsman(self: &Arc<Self>, op: OpId, computer: &str) {
        let k = key(computer);
        let dropped: Vec<Arc<Remote>> = {
            let mut remotes = lock(&self.remotes);
            let keys: Vec<(String, String)> =
                remotes.keys().filter(|(c, _)| *c == k).cloned().collect();
            keys.iter().filter_map(|kk| remotes.remove(kk)).collect()
        };
        let mut closed = 0;
        for r in &dropped {
            closed += r.close_connections();
            self.activity(
                &r.user,
                &r.name,
                None,
                "Disconnect-WSMan",
                String::new(),
                "ok",
            );
        }
        self.send(Event::OpFinished {
            op,
            message: format!(
                "Disconnected from the WinRM service of {computer} ({closed} connection(s) closed)"
            ),
        });
    }

    /// Get-PSSessionConfiguration, run in a short-lived session.
    async fn configuration(self: &Arc<Self>, op: OpId, computer: ComputerRef, name: String) {
        self.send(Event::OpStarted {
            op,
            what: format!(
                "Reading the session configuration {name} of {}",
                computer.name
            ),
        });
        let remote = match self.remote(&computer) {
            Ok(r) => r,
            Err(e) => return self.fail(op, e),
        };
        let summary = format!("Cannot read the session configuration of {}", computer.name);
        let mut session = match Session::create(remote, None, None).await {
            Ok(s) => s,
            Err(e) => return self.fail(op, user_error(summary, &e)),
        };
        let script = format!(
            "Get-PSSessionConfiguration -Name '{}'",
            name.replace('\'', "''")
        );
        let result = async {
            let pid = session.start(&script).await?;
            let mut props = Vec::new();
            let mut error = None;
            for _ in 0..100 {
                let r = session.receive(Some(pid)).await?;
                for e in &r.events {
                    match e {
                        ClientEvent::Output { value, .. } => {
                            if let Some(o) = value.as_object() {
                                props = o
                                    .properties()
                                    .map(|(k, v)| {
                                        (k.to_owned(), crate::protocol::clixml::records::display(v))
                                    })
                                    .collect();
                            }
                        }
                        ClientEvent::Record { value, .. }
                        | ClientEvent::PipelineState {
                            error: Some(value), ..
                        } => {
                            error.get_or_insert_with(|| convert::error_view(value).message);
                        }
                        _ => {}
                    }
                }
                if r.done {
                    break;
                }
            }
            Ok::<_, RemoteError>((props, error))
        }
        .await;
        let _ = session.delete().await;
        match result {
            Ok((props, _)) if !props.is_empty() => {
                self.send(Event::Configuration {
                    op,
                    computer: computer.name.clone(),
                    quotas: ConfigurationQuotas {
                        name,
                        properties: props,
                    },
                });
                self.send(Event::OpFinished {
                    op,
                    message: format!("Read the session configuration of {}", computer.name),
                });
            }
            Ok((_, error)) => self.fail(
                op,
                plain_error(
                    summary,
                    error.unwrap_or_else(|| "the configuration was not found".into()),
                    Some("Reading session configurations needs an administrator of that computer."),
                ),
            ),
            Err(e) => self.fail(op, user_error(summary, &e)),
        }
    }
}

/// What a shell's description tells of the client holding it, for messages:
/// `; held from 10.0.0.5, connected for 3 min`.
fn holder_text(shell: &ShellInfo) -> String {
    let mut t = String::new();
    if let Some(ip) = shell.client_ip.as_deref().filter(|s| !s.is_empty()) {
        t.push_str(&format!("; held from {ip}"));
    }
    if let Some(ms) = shell.shell_inactivity_ms {
        t.push_str(&format!(", idle for {} s", ms / 1000));
    }
    t
}
