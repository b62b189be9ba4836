//! One emulated Windows computer's remoting service: its shells (runspace
//! pools), their pipelines and the Windows rules the console depends on.
//!
//! Sans-IO and clock-free: every operation takes `now` (lab milliseconds) and
//! the authenticated caller; the WS-Management glue in [`super::service`]
//! turns requests into these calls and results into Windows-shaped responses.
//!
//! Windows semantics kept here:
//! - a shell belongs to its creator; only the creator (or an administrator)
//!   sees it in an enumeration and may use it;
//! - a shell is *Connected* while a client session is attached to it; a
//!   client that has had no Receive outstanding for the keep-alive window
//!   ([`AUTO_DISCONNECT_MS`] unless the lab sets another) is detached (the
//!   shell shows Disconnected, Availability None), and an attached shell is
//!   *Busy* for others;
//! - a disconnected shell is deleted when its idle timeout expires;
//! - output produced while nobody receives is kept in a bounded buffer:
//!   `Block` pauses the pipeline when the buffer is full, `Drop` discards the
//!   oldest output;
//! - quotas: MaxShellsPerUser (disconnected shells count), MaxConcurrentUsers,
//!   and the idle-timeout range 60 s … MaxIdleTimeoutms;
//! - a shell created with `rsp:CompressionType xpress` (what Windows
//!   PowerShell sends) compresses the data of every `rsp:Stream` of its
//!   ReceiveResponses and expects the data of every `rsp:Stream` of a Send
//!   compressed ([MS-WSMV] §3.1.4.1.31.6, §3.2.4.1.19). The unit is one
//!   `rsp:Stream` element: its bytes form one complete sequence of Xpress
//!   blocks (the <134> framing restarts with every element). Command
//!   `rsp:Arguments` are not Send data and stay uncompressed.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

use super::convert;
use super::script::{
    self, HostCall as ScriptHostCall, Job, JobEvent, JobOutcome, ScriptContext,
    SessionConfiguration, SharedSession,
};
use crate::protocol::clixml::records::InformationalKind;
use crate::protocol::clixml::{PsValue, records::ErrorRecord};
use crate::protocol::compression::CompressionMode;
use crate::protocol::psrp::message::MessageType;
use crate::protocol::psrp::messages::{HostCall, PipelineState};
use crate::protocol::psrp::server::{ServerEvent, ServerPool};
use crate::protocol::wsman::shell::{BufferMode, CommandInfo, CommandState, ShellInfo, ShellState};

mod jobs;
use jobs::*;

/// A client that has no Receive outstanding for this long is detached and
/// its shell shows Disconnected with Availability None. Windows documents
/// no figure; what is seen on Windows servers is about a minute: a shell
/// whose client stopped receiving is Connected at 29 s of ShellInactivity
/// and Disconnected at 1 min 55 s (pypsrp issue 21), "after 1 min of
/// ShellInactivity, State is set to Disconnected" (evil-winrm-py issue 3).
/// PowerShell's own four minutes are the client's reconnect attempts
/// (RCNetworkFailureDetected), not the server's window.
pub const AUTO_DISCONNECT_MS: u64 = 60_000;
/// The smallest idle timeout Windows accepts ([MS-WSMV] Quotas: 60000).
pub const MIN_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Bytes of output a pipeline may hold while nobody receives it.
pub const DEFAULT_OUTPUT_BUFFER_BYTES: usize = 256 * 1024;
/// The most bytes one compressed `rsp:Stream` of a Send may expand to.
pub const MAX_SEND_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// A failure Windows reports as a SOAP fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabError {
    /// `w:InvalidSelectors`: no such shell (or not visible to this user).
    ShellNotFound(Uuid),
    /// `w:InvalidSelectors`: no such command in the shell.
    CommandNotFound,
    /// Access denied by the session configuration's permissions.
    AccessDenied,
    /// The shell is disconnected and the operation needs it connected.
    ShellDisconnected,
    /// The shell is attached to another client (Busy).
    ConnectedToDifferentClient,
    /// Reconnect from a client that is not the one that disconnected.
    ClientSessionMismatch,
    /// Disconnect of a shell that is not connected to this client.
    DisconnectNotValid,
    /// IdleTimeOut outside 60 s … MaxIdleTimeoutms.
    IdleTimeoutOutOfBounds { requested_ms: u64, max_ms: u64 },
    /// MaxShellsPerUser reached.
    TooManyShells { max: u64 },
    /// MaxConcurrentUsers reached.
    TooManyUsers { max: u64 },
    /// A shell with this id exists already.
    ShellIdConflict,
    /// A command with this id exists already.
    CommandIdConflict,
    /// No session configuration with this resource URI.
    UnknownConfiguration(String),
    /// The PSRP data was invalid (the message says why).
    Psrp(String),
    /// A bad parameter (signal code, stream name…).
    InvalidParameter(String),
}

/// What a Receive found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// One encoded fragment per element (one `rsp:Stream` each).
    pub fragments: Vec<Vec<u8>>,
    /// The command is finished and everything was delivered: CommandState Done.
    pub done: bool,
}

impl Received {
    /// True when there is nothing to answer yet (the Receive waits).
    pub fn is_empty(&self) -> bool {
        self.fragments.is_empty() && !self.done
    }
}

#[derive(Debug)]
struct Shell {
    id: Uuid,
    name: Option<String>,
    owner: String,
    config: usize,
    client_ip: String,
    process_id: u32,
    idle_timeout_ms: u64,
    buffer_mode: BufferMode,
    compression: bool,
    no_profile: bool,
    locale: String,
    data_locale: String,
    created_ms: u64,
    /// Last time a client did anything with the shell.
    last_activity_ms: u64,
    /// The client session (`wsmv:SessionId`) attached, if any.
    attached: Option<Uuid>,
    /// The client session that last explicitly disconnected (for Reconnect).
    disconnected_by: Option<Uuid>,
    disconnected_at_ms: Option<u64>,
    receives_pending: u32,
    last_receive_ms: u64,
    pool: ServerPool,
    pipelines: BTreeMap<Uuid, Pipeline>,
    session: SharedSession,
}

/// One emulated computer.
#[derive(Debug)]
pub struct Computer {
    pub name: String,
    pub configurations: Vec<SessionConfiguration>,
    /// Users (`DOMAIN\name`, case-insensitive) who see and may use every shell.
    pub administrators: Vec<String>,
    /// Bytes of output a pipeline may buffer.
    pub output_buffer_bytes: usize,
    /// The keep-alive window: how long an attached client may have no
    /// Receive outstanding before it is detached (lab milliseconds).
    pub keep_alive_window_ms: u64,
    /// Whether a command-level Reconnect is served (else it is refused).
    pub command_reconnect: bool,
    /// The PSRP protocol version its pools announce (SESSION_CAPABILITY).
    pub protocol_version: String,
    /// The computer's clock offset (for Get-Date).
    pub utc_offset: FixedOffset,
    /// Wall-clock time at lab time 0 (for Get-Date).
    pub epoch: DateTime<FixedOffset>,
    shells: HashMap<Uuid, Shell>,
    next_process_id: u32,
}

fn same_user(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Computer {
    /// A computer with these session configurations (the first is the default).
    pub fn new(
        name: &str,
        configurations: Vec<SessionConfiguration>,
        epoch: DateTime<FixedOffset>,
    ) -> Self {
        Computer {
            name: name.to_owned(),
            configurations,
            administrators: Vec::new(),
            output_buffer_bytes: DEFAULT_OUTPUT_BUFFER_BYTES,
            keep_alive_window_ms: AUTO_DISCONNECT_MS,
            command_reconnect: true,
            protocol_version: crate::protocol::psrp::messages::PROTOCOL_VERSION.into(),
            utc_offset: *epoch.offset(),
            epoch,
            shells: HashMap::new(),
            next_process_id: 2792,
        }
    }

    fn is_admin(&self, user: &str) -> bool {
        self.administrators.iter().any(|a| same_user(a, user))
    }

    fn config_for(&self, resource_uri: &str) -> Result<usize, LabError> {
        self.configurations
            .iter()
            .position(|c| c.resource_uri.eq_ignore_ascii_case(resource_uri))
            .ok_or_else(|| LabError::UnknownConfiguration(resource_uri.to_owned()))
    }

    /// The configuration with this resource URI.
    pub fn configuration(&self, resource_uri: &str) -> Option<&SessionConfiguration> {
        self.config_for(resource_uri)
            .ok()
            .map(|i| &self.configurations[i])
    }

    fn permitted(&self, config: usize, user: &str) -> bool {
        if self.is_admin(user) {
            return true;
        }
        let perm = &self.configurations[config].permission;
        let name = user.rsplit('\\').next().unwrap_or(user);
        perm.split(',').any(|entry| {
            let who = entry.trim().trim_end_matches("AccessAllowed").trim();
            who.eq_ignore_ascii_case("Everyone")
                || who.eq_ignore_ascii_case(r"BUILTIN\Remote Management Users")
                || same_user(who, user)
                || who.eq_ignore_ascii_case(name)
        })
    }

    fn visible(&self, shell: &Shell, user: &str) -> bool {
        same_user(&shell.owner, user) || self.is_admin(user)
    }

    fn shell(&self, id: Uuid, user: &str) -> Result<&Shell, LabError> {
        match self.shells.get(&id) {
            Some(s) if self.visible(s, user) => Ok(s),
            _ => Err(LabError::ShellNotFound(id)),
        }
    }

    fn shell_mut(&mut self, id: Uuid, user: &str) -> Result<&mut Shell, LabError> {
        let admin = self.is_admin(user);
        match self.shells.get_mut(&id) {
            Some(s) if admin || same_user(&s.owner, user) => Ok(s),
            _ => Err(LabError::ShellNotFound(id)),
        }
    }

    /// Shell ids, for the lab's own use (ticks, listings).
    pub fn shell_ids(&self) -> Vec<Uuid> {
        self.shells.keys().copied().collect()
    }

    /// Number of shells.
    pub fn shell_count(&self) -> usize {
        self.shells.len()
    }

    /// `Create`: a new runspace pool ([MS-PSRP] §3.2.5.3.1).
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        now: u64,
        user: &str,
        client_session: Uuid,
        client_ip: &str,
        resource_uri: &str,
        shell_id: Uuid,
        name: Option<String>,
        idle_timeout_ms: Option<u64>,
        compression: bool,
        no_profile: bool,
        locale: &str,
        data_locale: &str,
        creation_payload: &[u8],
        buffer_mode: Option<BufferMode>,
    ) -> Result<ShellInfo, LabError> {
        self.expire(now);
        let config = self.config_for(resource_uri)?;
        if !self.permitted(config, user) {
            return Err(LabError::AccessDenied);
        }
        if self.shells.contains_key(&shell_id) {
            return Err(LabError::ShellIdConflict);
        }
        let cfg = &self.configurations[config];
        let max_idle = u64::try_from(cfg.max_idle_timeout_ms).unwrap_or(u64::MAX);
        // Windows takes an IdleTimeOut above MaxIdleTimeoutms at Create and
        // reports it back unchanged; the quota bites only when the shell is
        // disconnected (Disconnect-PSSession example 4: New-PSSession with
        // 172800000 succeeds, ConnectionInfo.IdleTimeout reads 172800000,
        // Disconnect-PSSession then fails). Below the 60 s minimum is refused.
        let idle = match idle_timeout_ms {
            Some(ms) if ms < MIN_IDLE_TIMEOUT_MS => {
                return Err(LabError::IdleTimeoutOutOfBounds {
                    requested_ms: ms,
                    max_ms: max_idle,
                });
            }
            Some(ms) => ms,
            None => u64::try_from(cfg.idle_timeout_ms).unwrap_or(7_200_000),
        };
        let mine = self
            .shells
            .values()
            .filter(|s| same_user(&s.owner, user) && s.config == config)
            .count() as u64;
        let max_shells = u64::try_from(cfg.max_shells_per_user).unwrap_or(u64::MAX);
        if mine >= max_shells {
            return Err(LabError::TooManyShells { max: max_shells });
        }
        let mut users: Vec<&str> = self
            .shells
            .values()
            .filter(|s| s.config == config)
            .map(|s| s.owner.as_str())
            .collect();
        users.sort_unstable_by_key(|u| u.to_ascii_lowercase());
        users.dedup_by(|a, b| same_user(a, b));
        let max_users = u64::try_from(cfg.max_concurrent_users).unwrap_or(u64::MAX);
        if !users.iter().any(|u| same_user(u, user)) && users.len() as u64 >= max_users {
            return Err(LabError::TooManyUsers { max: max_users });
        }
        // The client's BufferMode at Create, else the configuration's.
        let buffer_mode =
            buffer_mode.unwrap_or(if cfg.output_buffering_mode.eq_ignore_ascii_case("Drop") {
                BufferMode::Drop
            } else {
                BufferMode::Block
            });
        let table = ps_version_table();
        let ours = crate::protocol::psrp::messages::SessionCapability {
            protocol_version: self.protocol_version.clone(),
            ..Default::default()
        };
        let (pool, _init) = ServerPool::create_as(shell_id, creation_payload, table, ours)
            .map_err(|e| LabError::Psrp(e.to_string()))?;
        let process_id = self.next_process_id;
        self.next_process_id += 4;
        let short = user.rsplit('\\').next().unwrap_or(user).to_owned();
        let shell = Shell {
            id: shell_id,
            name,
            owner: user.to_owned(),
            config,
            client_ip: client_ip.to_owned(),
            process_id,
            idle_timeout_ms: idle,
            buffer_mode,
            compression,
            no_profile,
            locale: locale.to_owned(),
            data_locale: data_locale.to_owned(),
            created_ms: now,
            last_activity_ms: now,
            attached: Some(client_session),
            disconnected_by: None,
            disconnected_at_ms: None,
            receives_pending: 0,
            last_receive_ms: now,
            pool,
            pipelines: BTreeMap::new(),
            session: script::SessionState::shared(&short),
        };
        self.shells.insert(shell_id, shell);
        Ok(self.info(shell_id, now))
    }

    /// The `rsp:Shell` description Windows gives (Create, Get, Enumerate).
    fn info(&self, id: Uuid, now: u64) -> ShellInfo {
        let Some(s) = self.shells.get(&id) else {
            return ShellInfo::default();
        };
        let cfg = &self.configurations[s.config];
        ShellInfo {
            shell_id: id.to_string().to_uppercase(),
            name: s.name.clone(),
            resource_uri: Some(cfg.resource_uri.clone()),
            owner: Some(s.owner.clone()),
            client_ip: Some(s.client_ip.clone()),
            process_id: Some(s.process_id),
            idle_timeout_ms: Some(s.idle_timeout_ms),
            input_streams: Some("stdin pr".into()),
            output_streams: Some("stdout".into()),
            max_idle_timeout_ms: Some(u64::try_from(cfg.max_idle_timeout_ms).unwrap_or(u64::MAX)),
            locale: Some(s.locale.clone()),
            data_locale: Some(s.data_locale.clone()),
            compression_mode: Some(
                if s.compression {
                    "XpressCompression"
                } else {
                    "NoCompression"
                }
                .into(),
            ),
            profile_loaded: Some(!s.no_profile),
            encoding: Some("UTF8".into()),
            buffer_mode: Some(s.buffer_mode),
            state: Some(if s.attached.is_some() {
                ShellState::Connected
            } else {
                ShellState::Disconnected
            }),
            shell_run_time_ms: Some(now.saturating_sub(s.created_ms) / 1000 * 1000),
            shell_inactivity_ms: Some(now.saturating_sub(s.last_activity_ms) / 1000 * 1000),
            memory_used: Some(format!("{}MB", 38 + s.pipelines.len() * 2)),
            child_processes: Some(0),
            ..ShellInfo::default()
        }
    }

    /// `Enumerate` of shells: the caller's (all of them for an administrator).
    pub fn enumerate(&mut self, now: u64, user: &str) -> Vec<ShellInfo> {
        self.tick(now);
        let mut ids: Vec<Uuid> = self
            .shells
            .values()
            .filter(|s| self.visible(s, user))
            .map(|s| s.id)
            .collect();
        ids.sort();
        ids.into_iter().map(|id| self.info(id, now)).collect()
    }

    /// `Get` of one shell.
    pub fn get(&mut self, now: u64, user: &str, id: Uuid) -> Result<ShellInfo, LabError> {
        self.tick(now);
        self.shell(id, user)?;
        Ok(self.info(id, now))
    }

    /// `Enumerate` of a shell's commands.
    pub fn commands(
        &mut self,
        now: u64,
        user: &str,
        id: Uuid,
    ) -> Result<Vec<CommandInfo>, LabError> {
        self.tick(now);
        let s = self.shell(id, user)?;
        Ok(s.pipelines
            .iter()
            .map(|(pid, p)| CommandInfo {
                command_id: pid.to_string().to_uppercase(),
                command_line: p.command_line.clone(),
                state: if p.finished {
                    CommandState::Done
                } else {
                    CommandState::Running
                },
            })
            .collect())
    }

    fn attached_shell(
        &mut self,
        id: Uuid,
        user: &str,
        session: Uuid,
    ) -> Result<&mut Shell, LabError> {
        let s = self.shell_mut(id, user)?;
        match s.attached {
            Some(a) if a == session => Ok(s),
            // A client that was detached for inactivity and comes back with
            // the same session is re-attached, as Windows' robust connection does.
            None if s.disconnected_by.is_none() => {
                s.attached = Some(session);
                s.disconnected_at_ms = None;
                Ok(s)
            }
            None => Err(LabError::ShellDisconnected),
            Some(_) => Err(LabError::ConnectedToDifferentClient),
        }
    }

    #[allow(clippy::too_many_arguments)]
    /// `Command`: start a pipeline whose first CREATE_PIPELINE fragment is in `arguments`.
    pub fn command(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        command_id: Uuid,
        command_line: &str,
        arguments: &[u8],
    ) -> Result<(), LabError> {
        self.tick(now);
        let s = self.attached_shell(id, user, session)?;
        if s.pipelines.contains_key(&command_id) {
            return Err(LabError::CommandIdConflict);
        }
        s.last_activity_ms = now;
        s.pipelines.insert(
            command_id,
            Pipeline {
                command_line: command_line.trim().to_owned(),
                job: None,
                started_ms: now,
                finished: false,
                next_call_id: 1,
                waiting_call: None,
                stopped: false,
                awaiting_input: None,
                held: Vec::new(),
            },
        );
        self.input(now, id, arguments)
    }

    /// `Send` on `stdin` or `pr`.
    pub fn send(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        data: &[u8],
    ) -> Result<(), LabError> {
        self.tick(now);
        let s = self.attached_shell(id, user, session)?;
        s.last_activity_ms = now;
        if s.compression {
            // [MS-WSMV] §3.2.4.1.19: the client MUST compress Send data of
            // a shell created with compression.
            let plain = CompressionMode::XpressCompression
                .decode(data, MAX_SEND_STREAM_BYTES)
                .map_err(|e| LabError::Psrp(format!("compressed Send data: {e}")))?;
            return self.input(now, id, &plain);
        }
        self.input(now, id, data)
    }

    /// The compression of a shell's stream data (`None`: no such shell).
    pub fn compression(&self, id: Uuid) -> Option<CompressionMode> {
        self.shells.get(&id).map(|s| {
            if s.compression {
                CompressionMode::XpressCompression
            } else {
                CompressionMode::NoCompression
            }
        })
    }

    fn input(&mut self, now: u64, id: Uuid, data: &[u8]) -> Result<(), LabError> {
        let limit = self.output_buffer_bytes;
        let computer_name = self.name.clone();
        let configurations = self.configurations.clone();
        let clock = self.clock(now);
        let Some(s) = self.shells.get_mut(&id) else {
            return Err(LabError::ShellNotFound(id));
        };
        let events = s
            .pool
            .handle_input(data)
            .map_err(|e| LabError::Psrp(e.to_string()))?;
        for e in events {
            let key = s.pool.session_key().cloned();
            let key = key.as_ref();
            match e {
                ServerEvent::CreatePipeline { pid, pipeline } => {
                    let Some(p) = s.pipelines.get_mut(&pid) else {
                        return Err(LabError::CommandNotFound);
                    };
                    if p.command_line.is_empty() {
                        p.command_line = pipeline.display_text().chars().take(255).collect();
                    }
                    let mut ctx = ScriptContext::new(
                        &computer_name,
                        s.owner.rsplit('\\').next().unwrap_or(&s.owner),
                        clock,
                        s.session.clone(),
                    );
                    ctx.session_configurations = configurations.clone();
                    ctx.process_id = s.process_id;
                    // The interpreter runs the commands with their typed arguments,
                    // as PowerShell binds them; no round trip through text.
                    let commands = pipeline
                        .commands
                        .iter()
                        .map(|c| {
                            Ok(script::PipelineCommand {
                                name: c.cmd.clone(),
                                is_script: c.is_script,
                                args: c
                                    .args
                                    .iter()
                                    .map(|(n, v)| Ok((n.clone(), convert::from_ps(v, key)?)))
                                    .collect::<Result<_, String>>()?,
                            })
                        })
                        .collect::<Result<Vec<_>, String>>()
                        .map_err(LabError::Psrp)?;
                    if pipeline.no_input {
                        start_job(&mut s.pool, pid, p, &commands, None, ctx, now);
                    } else {
                        p.awaiting_input = Some(AwaitingInput {
                            commands,
                            ctx,
                            input: Vec::new(),
                        });
                    }
                }
                ServerEvent::Input { pid, value } => {
                    let Some(w) = s
                        .pipelines
                        .get_mut(&pid)
                        .and_then(|p| p.awaiting_input.as_mut())
                    else {
                        return Err(LabError::Psrp(
                            "PIPELINE_INPUT for a pipeline that takes no input".into(),
                        ));
                    };
                    if w.input.len() >= MAX_PIPELINE_INPUT {
                        return Err(LabError::Psrp(format!(
                            "a pipeline takes at most {MAX_PIPELINE_INPUT} input objects"
                        )));
                    }
                    w.input
                        .push(convert::from_ps(&value, key).map_err(LabError::Psrp)?);
                }
                ServerEvent::EndOfInput { pid } => {
                    let Some(p) = s.pipelines.get_mut(&pid) else {
                        return Err(LabError::CommandNotFound);
                    };
                    if let Some(w) = p.awaiting_input.take() {
                        start_job(&mut s.pool, pid, p, &w.commands, Some(w.input), w.ctx, now);
                    }
                }
                ServerEvent::HostResponse { pid, response } => {
                    if let Some(p) = s.pipelines.get_mut(&pid)
                        && p.waiting_call == Some(response.call_id)
                        && let Some(job) = p.job.as_mut()
                    {
                        let answer = response
                            .result
                            .as_ref()
                            .map(|v| convert::from_ps(v, key))
                            .transpose()
                            .map_err(LabError::Psrp)?
                            .unwrap_or_default();
                        job.answer_host_call(answer);
                        p.waiting_call = None;
                    }
                }
                ServerEvent::PublicKey { blob } => {
                    let mut rng = rsa::rand_core::UnwrapErr(getrandom::SysRng);
                    s.pool
                        .accept_public_key(&mut rng, &blob)
                        .map_err(|e| LabError::Psrp(e.to_string()))?;
                }
                ServerEvent::Init(_) => {}
                ServerEvent::Other { .. } => {}
            }
        }
        // A new pipeline starts at once, as on Windows.
        run_pipelines(s, now, limit);
        Ok(())
    }

    fn clock(&self, now: u64) -> DateTime<FixedOffset> {
        self.epoch + chrono::TimeDelta::milliseconds(i64::try_from(now).unwrap_or(i64::MAX))
    }

    /// `Receive` on the pool (`command_id` None) or a command. An empty
    /// result means "nothing yet": the caller waits and asks again until its
    /// OperationTimeout, then answers `w:TimedOut`.
    pub fn receive(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        command_id: Option<Uuid>,
        budget: usize,
    ) -> Result<Received, LabError> {
        self.tick(now);
        let s = self.attached_shell(id, user, session)?;
        s.last_receive_ms = now;
        if let Some(pid) = command_id
            && !s.pipelines.contains_key(&pid)
        {
            return Err(LabError::CommandNotFound);
        }
        // A stored Xpress block adds 4 bytes per element and per 64 KiB; a
        // PSRP fragment is at least 22 bytes, so keeping a fifth of the
        // budget free bounds the worst case (18.2 %) of compressed data.
        let budget = if s.compression {
            budget - budget / 5
        } else {
            budget
        };
        let mut fragments = s.pool.take(command_id, budget);
        if s.compression {
            // [MS-WSMV] §3.1.4.1.31.6: the service MUST compress all
            // ReceiveResponse data of such a shell; one sequence of blocks
            // per `rsp:Stream` element.
            for f in &mut fragments {
                *f = CompressionMode::XpressCompression.encode(f);
            }
        }
        let done = match command_id {
            Some(pid) => {
                let finished = s.pipelines.get(&pid).is_some_and(|p| p.finished);
                finished && s.pool.buffered(Some(pid)) == 0
            }
            None => false,
        };
        if !fragments.is_empty() {
            s.last_activity_ms = now;
        }
        Ok(Received { fragments, done })
    }

    /// Marks the start and end of a Receive long poll (a shell with a
    /// Receive outstanding is never auto-detached).
    pub fn receive_pending(&mut self, id: Uuid, pending: bool, now: u64) {
        if let Some(s) = self.shells.get_mut(&id) {
            if pending {
                s.receives_pending += 1;
            } else {
                s.receives_pending = s.receives_pending.saturating_sub(1);
            }
            s.last_receive_ms = now;
        }
    }

    /// `Signal`: `powershell/signal/crtl_c` stops the pipeline; any other code
    /// (Terminate) releases the command ([MS-PSRP] §3.1.5.3.9).
    pub fn signal(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        command_id: Uuid,
        code: &str,
    ) -> Result<(), LabError> {
        self.tick(now);
        let s = self.attached_shell(id, user, session)?;
        s.last_activity_ms = now;
        let Some(p) = s.pipelines.get_mut(&command_id) else {
            return Err(LabError::CommandNotFound);
        };
        if code == "powershell/signal/crtl_c" {
            if let Some(job) = p.job.as_mut() {
                job.stop();
            }
            if p.awaiting_input.take().is_some() && !p.finished {
                // Stopped before its input ended: it never ran.
                queue_event(
                    &mut s.pool,
                    command_id,
                    p,
                    JobEvent::Finished(JobOutcome::Stopped),
                );
            }
            p.stopped = true;
        } else {
            s.pipelines.remove(&command_id);
            s.pool.forget(command_id);
        }
        self.tick(now);
        Ok(())
    }

    /// `Delete`: the owner (any of their client sessions, attached or not) or
    /// an administrator removes the shell.
    pub fn delete(&mut self, now: u64, user: &str, id: Uuid) -> Result<(), LabError> {
        self.tick(now);
        self.shell_mut(id, user)?;
        self.shells.remove(&id);
        Ok(())
    }

    /// `Disconnect` with optional IdleTimeOut and BufferMode ([MS-WSMV] §3.1.4.15).
    pub fn disconnect(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        idle_timeout_ms: Option<u64>,
        buffer_mode: Option<BufferMode>,
    ) -> Result<(), LabError> {
        self.tick(now);
        let max_idle = {
            let s = self.shell(id, user)?;
            u64::try_from(self.configurations[s.config].max_idle_timeout_ms).unwrap_or(u64::MAX)
        };
        let s = self.shell_mut(id, user)?;
        match s.attached {
            Some(a) if a == session => {}
            Some(_) => return Err(LabError::ConnectedToDifferentClient),
            None => return Err(LabError::DisconnectNotValid),
        }
        // The idle timeout that will run while disconnected: the one asked
        // for now, else the shell's own (which Create let exceed the maximum).
        let effective = idle_timeout_ms.unwrap_or(s.idle_timeout_ms);
        if !(MIN_IDLE_TIMEOUT_MS..=max_idle).contains(&effective) {
            return Err(LabError::IdleTimeoutOutOfBounds {
                requested_ms: effective,
                max_ms: max_idle,
            });
        }
        if let Some(ms) = idle_timeout_ms {
            s.idle_timeout_ms = ms;
        }
        if let Some(b) = buffer_mode {
            s.buffer_mode = b;
        }
        s.attached = None;
        s.disconnected_by = Some(session);
        s.disconnected_at_ms = Some(now);
        s.last_activity_ms = now;
        Ok(())
    }

    /// `Reconnect` from the client session that disconnected ([MS-WSMV]
    /// §3.1.4.16), with the BufferMode for the next disconnection when given
    /// ([MS-PSRP] §3.1.5.3.18).
    pub fn reconnect(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        buffer_mode: Option<BufferMode>,
    ) -> Result<(), LabError> {
        self.tick(now);
        let s = self.shell_mut(id, user)?;
        match s.attached {
            // Reconnecting a shell connected to the same client is a no-op.
            Some(a) if a == session => Ok(()),
            Some(_) => Err(LabError::ConnectedToDifferentClient),
            None => {
                if s.disconnected_by.is_some_and(|d| d != session) {
                    return Err(LabError::ClientSessionMismatch);
                }
                s.attached = Some(session);
                s.disconnected_by = None;
                s.disconnected_at_ms = None;
                s.last_activity_ms = now;
                s.last_receive_ms = now;
                if let Some(b) = buffer_mode {
                    s.buffer_mode = b;
                }
                Ok(())
            }
        }
    }

    /// `Connect` of the pool from a new client: returns `connectResponseXml`.
    pub fn connect(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        connect_payload: &[u8],
    ) -> Result<Vec<u8>, LabError> {
        self.tick(now);
        let s = self.shell_mut(id, user)?;
        if s.attached.is_some() {
            // [MS-WSMV] §3.1.4.17: a shell connected to a client cannot be connected again.
            return Err(LabError::ConnectedToDifferentClient);
        }
        let response = s
            .pool
            .connect(connect_payload)
            .map_err(|e| LabError::Psrp(e.to_string()))?;
        s.attached = Some(session);
        s.disconnected_by = None;
        s.disconnected_at_ms = None;
        s.last_activity_ms = now;
        s.last_receive_ms = now;
        Ok(response)
    }

    /// `Connect` of one command after the pool is connected.
    pub fn connect_command(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        command_id: Uuid,
    ) -> Result<(), LabError> {
        self.tick(now);
        let s = self.attached_shell(id, user, session)?;
        if !s.pipelines.contains_key(&command_id) {
            return Err(LabError::CommandNotFound);
        }
        s.last_activity_ms = now;
        Ok(())
    }

    /// `Reconnect` of one command, by the client session that reconnected
    /// its shell: the shell must be attached to that client again first.
    pub fn reconnect_command(
        &mut self,
        now: u64,
        user: &str,
        session: Uuid,
        id: Uuid,
        command_id: Uuid,
    ) -> Result<(), LabError> {
        self.tick(now);
        if !self.command_reconnect {
            return Err(LabError::InvalidParameter(
                "The Reconnect of one command is not supported by this service. ".into(),
            ));
        }
        let s = self.shell_mut(id, user)?;
        match s.attached {
            Some(a) if a == session => {}
            Some(_) => return Err(LabError::ConnectedToDifferentClient),
            None => return Err(LabError::ShellDisconnected),
        }
        if !s.pipelines.contains_key(&command_id) {
            return Err(LabError::CommandNotFound);
        }
        s.last_activity_ms = now;
        Ok(())
    }

    /// Advances time: runs pipelines within their buffer limits, detaches
    /// silent clients, and deletes expired disconnected shells.
    pub fn tick(&mut self, now: u64) {
        let limit = self.output_buffer_bytes;
        let window = self.keep_alive_window_ms;
        for s in self.shells.values_mut() {
            run_pipelines(s, now, limit);
            if s.attached.is_some()
                && s.receives_pending == 0
                && now.saturating_sub(s.last_receive_ms) >= window
            {
                s.attached = None;
                s.disconnected_at_ms = Some(now);
            }
        }
        self.expire(now);
    }

    fn expire(&mut self, now: u64) {
        self.shells.retain(|_, s| match s.disconnected_at_ms {
            Some(at) if s.attached.is_none() => now.saturating_sub(at) < s.idle_timeout_ms,
            _ => true,
        });
    }

    /// The earliest lab time at which something will happen by itself (a
    /// sleeping pipeline wakes, a client is detached, a shell expires).
    pub fn next_deadline(&self, now: u64) -> Option<u64> {
        let mut best: Option<u64> = None;
        let mut note = |t: u64| best = Some(best.map_or(t, |b: u64| b.min(t)));
        for s in self.shells.values() {
            for p in s.pipelines.values() {
                if let Some(job) = &p.job
                    && let Some(w) = job.next_wakeup()
                {
                    note(p.started_ms + u64::try_from(w.as_millis()).unwrap_or(u64::MAX));
                }
            }
            if s.attached.is_some() && s.receives_pending == 0 {
                note(s.last_receive_ms + self.keep_alive_window_ms);
            }
            if let Some(at) = s.disconnected_at_ms {
                note(at + s.idle_timeout_ms);
            }
        }
        best.map(|b| b.max(now))
    }

    /// Output bytes waiting in a pipeline's buffer (tests and the UI of the lab).
    pub fn buffered(&self, id: Uuid, command_id: Uuid) -> usize {
        self.shells
            .get(&id)
            .map_or(0, |s| s.pool.buffered(Some(command_id)))
    }
}

/// The PSVersionTable of an emulated Windows Server 2019 with PowerShell 5.1.
pub fn ps_version_table() -> Vec<(String, PsValue)> {
    let v = PsValue::version;
    vec![
        ("PSVersion".into(), v("5.1.17763.1432")),
        ("PSEdition".into(), PsValue::str("Desktop")),
        ("BuildVersion".into(), v("10.0.17763.1432")),
        ("CLRVersion".into(), v("4.0.30319.42000")),
        ("WSManStackVersion".into(), v("3.0")),
        ("PSRemotingProtocolVersion".into(), v("2.3")),
        ("SerializationVersion".into(), v("1.1.0.1")),
    ]
}

#[cfg(test)]
mod tests;
