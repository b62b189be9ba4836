//! The background worker: a tokio runtime on a named thread that owns all I/O.
//!
//! It receives [`Command`]s from the UI or the CLI, runs each as a task (so
//! one slow computer never holds up another), and reports [`Event`]s: every
//! action ends with exactly one terminal event. Each command variant has one
//! handler ([`Worker::handle`]). The worker owns every held session's
//! lifecycle (`lifecycle`): a session this process holds keeps a pool
//! Receive outstanding once it sits idle, so the server keeps it Connected
//! instead of flipping it to Disconnected after a minute (while an action
//! uses it, that action's requests have the connection to themselves), and
//! when the worker stops it hands each back (closed or disconnected) before
//! its last event, `Stopped`. Who signs in where is `remotes`; listing,
//! receiving and running commands are `commands`; the latest listing, which
//! the Connect and Receive that follow it go by, is `listing`.

mod commands;
pub mod convert;
mod lifecycle;
mod listing;
pub mod remote;
mod remotes;

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
    /// The profile file the console edits (`EditProfiles`).
    pub profiles: Option<crate::store::profiles::ProfileStore>,
    /// The activity file the console's entries go to (`RecordActivity`).
    pub activity: Option<crate::store::activity::ActivityLog>,
    /// Where the sessions held or handed over are kept across runs
    /// (`PreviouslyHeld` at start).
    pub held: Option<crate::store::held::HeldFile>,
}

struct Held {
    session: tokio::sync::Mutex<Session>,
    local_id: u32,
    computer: String,
    name: String,
    /// The pool Receive that keeps the session Connected while it sits idle.
    keepalive: Mutex<KeepAlive>,
    /// Created by this process (New-PSSession), not connected to.
    created_here: bool,
    /// Commands started or attached here that have not been seen to end.
    running: Mutex<HashSet<Uuid>>,
}

/// A held session's keep-alive: a task that waits for the session to sit
/// idle, then keeps a pool Receive outstanding.
#[derive(Default)]
struct KeepAlive {
    task: Option<tokio::task::JoinHandle<()>>,
    /// Its Receive has been sent: it holds a connection until answered.
    polling: bool,
    /// Bumped whenever it is stopped or paused: a task of an older
    /// generation ends before sending anything.
    generation: u64,
}

struct Worker {
    config: WorkerConfig,
    events: EventSender,
    /// One client session per computer and user, as one PowerShell console.
    remotes: Mutex<HashMap<(String, String), Arc<Remote>>>,
    held: Mutex<HashMap<(String, Uuid), Arc<Held>>>,
    /// The latest listing of each computer's sessions, by computer and user.
    listings: Mutex<HashMap<(String, String), listing::Listing>>,
    local_ids: Mutex<HashMap<(String, Uuid), u32>>,
    next_id: AtomicU32,
    ops: Mutex<HashMap<OpId, tokio::task::AbortHandle>>,
    /// Cancelled actions: nothing more is reported for them.
    cancelled: Mutex<HashSet<OpId>>,
    /// Host calls (Read-Host) waiting for an answer, by command.
    pending_calls: Mutex<HashMap<Uuid, HostCall>>,
    /// Creations, connections and reconnections under way ([`Worker::acquire`]).
    acquiring: AtomicU32,
    /// Set when the sessions are being handed back: no new one is taken.
    stopping: std::sync::atomic::AtomicBool,
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
        listings: Mutex::new(HashMap::new()),
        local_ids: Mutex::new(HashMap::new()),
        next_id: AtomicU32::new(1),
        ops: Mutex::new(HashMap::new()),
        cancelled: Mutex::new(HashSet::new()),
        pending_calls: Mutex::new(HashMap::new()),
        acquiring: AtomicU32::new(0),
        stopping: std::sync::atomic::AtomicBool::new(false),
    });
    worker.load_held();
    let activity = start_activity_writer(&worker);
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
            Command::RecordActivity { entries } => record(activity.as_ref(), entries),
            other => {
                let op = other.op().unwrap_or(0);
                let w = worker.clone();
                // Registered before the task can end (and unregister itself).
                let mut ops = lock(&worker.ops);
                let task = tokio::spawn(async move {
                    w.handle(other).await;
                    lock(&w.ops).remove(&op);
                });
                ops.insert(op, task.abort_handle());
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
    // The console records the entries of those last outcomes after it has
    // seen them: keep writing until it lets go of its end.
    if activity.is_some() {
        while let Some(command) = rx.recv().await {
            if let Command::RecordActivity { entries } = command {
                record(activity.as_ref(), entries);
            }
        }
    }
    // Dropping the writer waits for what is queued to reach the file.
    drop(activity);
}

/// The writer of the activity file, when the worker keeps one; a writer
/// that cannot start is reported as the file not being saved.
fn start_activity_writer(worker: &Worker) -> Option<crate::store::activity::ActivityWriter> {
    let log = worker.config.activity.clone()?;
    let events = worker.events.clone();
    let report = events.clone();
    match crate::store::activity::ActivityWriter::start(log, move |error| {
        events.send(Event::ActivityNotSaved { error });
    }) {
        Ok(w) => Some(w),
        Err(e) => {
            report.send(Event::ActivityNotSaved {
                error: format!("the activity writer could not start: {e}"),
            });
            None
        }
    }
}

fn record(writer: Option<&crate::store::activity::ActivityWriter>, entries: Vec<ActivityEntry>) {
    if let Some(w) = writer {
        for e in entries {
            w.record(e);
        }
    }
}

/// What a script gets besides its text: `-ArgumentList` and input objects.
#[derive(Default)]
struct ScriptData {
    arguments: Vec<crate::protocol::clixml::PsValue>,
    input: Option<Vec<crate::protocol::clixml::PsValue>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let mut ops = lock(&self.ops);
        if let Some(h) = ops.remove(&op) {
            // Silence the action first: a part that finishes while the
            // abort propagates must not report after the cancellation.
            lock(&self.cancelled).insert(op);
            drop(ops);
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
        // Once the worker is handing sessions back, nothing new is taken:
        // it could be taken after the hand-back looked, and stay held by a
        // client that is gone (the counter first, then the flag, as
        // `release_all` sets the flag, then reads the counter).
        if self.stopping.load(Ordering::SeqCst) {
            self.acquiring.fetch_sub(1, Ordering::SeqCst);
            return Err(plain_error(
                "Baton is closing",
                "the session was not taken: this console is handing its sessions back",
                None,
            ));
        }
        let w = self.clone();
        let task = tokio::spawn(async move {
            let r = work.await;
            w.acquiring.fetch_sub(1, Ordering::SeqCst);
            r
        });
        task.await
            .map_err(|e| plain_error("The session could not be taken", e.to_string(), None))
    }

    /// Sends an event of an action, unless the action was cancelled. An
    /// action's terminal event takes it off the list of actions in flight
    /// first (under the lock `cancel` takes), so a cancellation that comes
    /// later adds no second end.
    fn send(&self, e: Event) {
        // What the connections want said comes before the action's end.
        if e.is_terminal()
            && let Some(op) = e.op()
        {
            self.say_notices(op);
        }
        if let Some(op) = e.op() {
            let mut ops = lock(&self.ops);
            if lock(&self.cancelled).contains(&op) {
                return;
            }
            if e.is_terminal() {
                ops.remove(&op);
            }
        }
        self.events.send(e);
    }

    /// Reads the sessions held or handed over before; tells the console.
    fn load_held(&self) {
        let Some(file) = &self.config.held else {
            return;
        };
        match file.load() {
            Ok(records) => {
                if !records.is_empty() {
                    self.events.send(Event::PreviouslyHeld(records));
                }
            }
            Err(e) => tracing::warn!("the list of held sessions was not read: {e}"),
        }
    }

    /// Records that this console holds `name` (open), or handed it over.
    pub(super) fn note_held(
        &self,
        computer: &str,
        name: &str,
        id: Uuid,
        account: &str,
        handed_over: bool,
    ) {
        let record = crate::model::hand_over::HeldRecord {
            computer: computer.to_owned(),
            session: name.to_owned(),
            instance_id: id,
            account: account.to_owned(),
            since: Utc::now(),
            handed_over,
        };
        self.update_held(move |records| {
            records.retain(|r| !(r.instance_id == id && r.computer.eq_ignore_ascii_case(computer)));
            records.push(record);
            true
        });
    }

    /// Forgets a session removed (it can no longer be reconnected).
    pub(super) fn forget_held(&self, computer: &str, id: Uuid) {
        self.update_held(|records| {
            let before = records.len();
            records.retain(|r| !(r.instance_id == id && r.computer.eq_ignore_ascii_case(computer)));
            records.len() != before
        });
    }

    /// Forgets the sessions kept for `account` on `computer` that its server
    /// no longer lists (`present`: every session it listed for that account).
    pub(super) fn prune_held(&self, computer: &str, account: &str, present: &HashSet<Uuid>) {
        self.update_held(|records| {
            let before = records.len();
            records.retain(|r| {
                !(r.computer.eq_ignore_ascii_case(computer)
                    && r.account.eq_ignore_ascii_case(account)
                    && !present.contains(&r.instance_id))
            });
            records.len() != before
        });
    }

    /// Changes the kept records under the file's lock, merging what other
    /// Baton processes wrote meanwhile.
    fn update_held(
        &self,
        change: impl FnOnce(&mut Vec<crate::model::hand_over::HeldRecord>) -> bool,
    ) {
        let Some(file) = &self.config.held else {
            return;
        };
        if let Err(e) = file.update(change) {
            tracing::warn!("the list of held sessions was not saved: {e}");
        }
    }

    /// Says what the connections want the user to hear of (a redirect
    /// followed), once, as warnings of the action that met it.
    fn say_notices(&self, op: OpId) {
        let remotes: Vec<Arc<Remote>> = lock(&self.remotes).values().cloned().collect();
        for r in remotes {
            for message in r.take_notices() {
                self.send(Event::Warning {
                    op,
                    computer: r.name.clone(),
                    message,
                });
            }
        }
    }

    fn fail(&self, op: OpId, error: UserError) {
        self.send(Event::OpFailed { op, error });
    }

    /// Starts one part of a bulk action per item, at most `limit` at a time
    /// (0: 32, as PowerShell's ThrottleLimit), for [`Worker::settle`].
    fn parts<T, F, Fut>(
        self: &Arc<Self>,
        items: Vec<T>,
        limit: u32,
        computer_of: fn(&T) -> String,
        part: F,
    ) -> JoinSet<(String, Result<(), UserError>)>
    where
        T: Send + 'static,
        F: Fn(Arc<Self>, T) -> Fut + Clone + Send + 'static,
        Fut: std::future::Future<Output = Result<(), UserError>> + Send + 'static,
    {
        let gate = throttle(limit);
        let mut tasks = JoinSet::new();
        for item in items {
            let (w, gate, part) = (self.clone(), gate.clone(), part.clone());
            let computer = computer_of(&item);
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                // The part's state is made only once it may run: a task
                // waiting for its turn holds its item, not the whole
                // future of a part (tens of KB), for each of thousands of
                // computers.
                let part = Box::pin(part(w, item));
                (computer, part.await)
            });
        }
        tasks
    }

    /// Waits for the parts of a bulk action (cancelling the action drops the
    /// set, which aborts every part still running), reporting each failed
    /// part (`PartFailed`) and progress, then ends the action with one
    /// terminal event: `OpFinished` "`verb` N of M `what`" when at least one
    /// part succeeded (or there were none), else `OpFailed`.
    async fn settle(
        &self,
        op: OpId,
        mut tasks: JoinSet<(String, Result<(), UserError>)>,
        verb: &str,
        what: &str,
    ) {
        let total = tasks.len();
        let mut ok = 0;
        let mut done = 0;
        while let Some(r) = tasks.join_next().await {
            match r {
                Ok((_, Ok(()))) => ok += 1,
                Ok((computer, Err(error))) => self.send(Event::PartFailed {
                    op,
                    computer,
                    error,
                }),
                Err(e) => self.send(Event::PartFailed {
                    op,
                    computer: String::new(),
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
                    .await;
            }
            Command::NewSession {
                op,
                computer,
                name,
                idle_timeout_ms,
                output_buffering_mode,
            } => {
                self.new_session(op, computer, name, idle_timeout_ms, output_buffering_mode)
                    .await;
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
                .await;
            }
            Command::Connect { op, session } => match self.connect(op, &session).await {
                Ok(_) => self.send(Event::OpFinished {
                    op,
                    message: format!("Connected to {} on {}", session.name, session.computer.name),
                }),
                Err(e) => self.fail(op, e),
            },
            Command::ConnectMany {
                op,
                sessions,
                throttle_limit,
            } => self.connect_many(op, sessions, throttle_limit).await,
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
                .await;
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
                .await;
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
            Command::TestConnection {
                op,
                computer,
                anonymous,
            } => self.test(op, computer, anonymous).await,
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
            Command::SaveCredential {
                op,
                entry,
                credential,
            } => self.save_credential(op, entry, credential).await,
            Command::EditProfiles { op, job } => self.edit_profiles(op, job).await,
            Command::Cancel { .. } | Command::Shutdown { .. } | Command::RecordActivity { .. } => {}
        }
    }
}
