//! The WS-Management face of an emulated computer: parses each request as a
//! Windows WinRM service would, calls the [`Computer`], and answers in the
//! shape Windows sends (faults included).
//!
//! Receive is a long poll: with nothing to send, the request waits (woken by
//! input or by the lab's clock) until its OperationTimeout and then answers
//! `w:TimedOut`, which clients re-issue.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use uuid::Uuid;

use super::computer::{Computer, LabError, Received};
use super::listener::{Caller, WsmanService};
use crate::protocol::http::{HttpRequest, HttpResponse};
use crate::protocol::psrp::fragment::payload_budget;
use crate::protocol::wsman::action::Action;
use crate::protocol::wsman::envelope::{RandomIds, ResponseIds};
use crate::protocol::wsman::fault::{WsmanFault, codes};
use crate::protocol::wsman::namespaces::{
    RESOURCE_CONFIG, RESOURCE_POWERSHELL_PREFIX, RESOURCE_SHELL, RESOURCE_SHELL_COMMAND,
};
use crate::protocol::wsman::server::{self, RequestBody, WsmanRequest};
use crate::protocol::wsman::shell::{
    CommandState, CommandStateInfo, ConfigInfo, ConnectResponse, EnumItem, IdentifyInfo,
    ReceiveResult, ResourceCreated, StreamData,
};

/// What an anonymous Identify says of the product (Windows answers so).
pub const ANONYMOUS_PRODUCT_VERSION: &str = "OS: 0.0.0 SP: 0.0 Stack: 3.0";

/// The lab's clock: real time since the lab started, times a scale factor
/// (so idle timeouts of hours can be tested in seconds).
#[derive(Clone, Debug)]
pub struct LabClock {
    start: Instant,
    scale: f64,
}

impl LabClock {
    /// A clock running `scale` times faster than real time.
    pub fn new(scale: f64) -> Self {
        LabClock {
            start: Instant::now(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }

    /// Lab milliseconds since the start.
    pub fn now(&self) -> u64 {
        (self.start.elapsed().as_secs_f64() * 1000.0 * self.scale) as u64
    }

    /// Real time until lab time `t`.
    pub fn real_until(&self, t: u64) -> Duration {
        let now = self.now();
        Duration::from_secs_f64(t.saturating_sub(now) as f64 / 1000.0 / self.scale)
    }

    /// The scale factor.
    pub fn scale(&self) -> f64 {
        self.scale
    }
}

/// One emulated computer's WinRM service.
pub struct LabService {
    computer: Mutex<Computer>,
    clock: LabClock,
    wake: tokio::sync::Notify,
    /// The `OS: … Stack: 3.0` of Identify.
    pub product_version: String,
    /// Upper bound of a Receive's wait (Windows clamps OperationTimeout to MaxTimeoutms).
    pub max_timeout_ms: u64,
    /// `MaxEnvelopeSizekb` × 1024: larger envelopes are refused with HTTP 413.
    pub max_envelope_bytes: usize,
    /// WS-Management requests served (for benchmarks and diagnostics).
    requests: std::sync::atomic::AtomicU64,
    /// The latest requests, oldest first (at most [`WIRE_LOG_LEN`]).
    wire_log: Mutex<std::collections::VecDeque<WireRequest>>,
    /// The lab time at which the ticker next has something to do here (a
    /// sleeping pipeline wakes, a client is detached, a shell expires);
    /// 0 once anything else has held the computer, which may have changed
    /// it. A fleet of 10,000 idle computers is then not locked and walked
    /// twenty times a second.
    due: std::sync::atomic::AtomicU64,
}

/// How many requests [`LabService::wire_log`] keeps.
pub const WIRE_LOG_LEN: usize = 4096;

/// One WS-Management request as the lab received it, after parsing: which
/// operation on which shell and command (tests check what went on the wire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireRequest {
    pub action: Action,
    /// The ShellId selector, when it is a GUID.
    pub shell_id: Option<Uuid>,
    /// The CommandId of the body (Command, Receive, Signal, Reconnect, Connect).
    pub command_id: Option<Uuid>,
    /// The `wsman:OperationTimeout` header, in milliseconds.
    pub operation_timeout_ms: Option<u64>,
}

fn soap(status: u16, body: String) -> HttpResponse {
    let mut r = HttpResponse::new(status, body.into_bytes());
    r.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
    r
}

/// One authenticated request, as its operation's handler needs it.
#[derive(Clone, Copy)]
struct Call<'a> {
    ids: &'a ResponseIds,
    user: &'a str,
    session: Uuid,
    now: u64,
    mid: &'a str,
    resource: &'a str,
    headers: &'a server::RequestHeaders,
    caller: &'a Caller,
    shell_id: Option<Uuid>,
}

/// What an operation's handler ends with: its result (a response body or
/// a lab error), or the response to give at once.
type Outcome = Result<Result<String, LabError>, HttpResponse>;

impl LabService {
    /// A service for `computer` on `clock`.
    pub fn new(computer: Computer, clock: LabClock) -> Self {
        LabService {
            computer: Mutex::new(computer),
            clock,
            wake: tokio::sync::Notify::new(),
            product_version: "OS: 10.0.17763 SP: 0.0 Stack: 3.0".into(),
            max_timeout_ms: 60_000,
            max_envelope_bytes: server::DEFAULT_MAX_REQUEST,
            requests: std::sync::atomic::AtomicU64::new(0),
            wire_log: Mutex::new(std::collections::VecDeque::new()),
            due: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The latest requests this computer parsed, oldest first.
    pub fn wire_log(&self) -> Vec<WireRequest> {
        self.wire_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn log_request(
        &self,
        action: Action,
        shell_id: Option<Uuid>,
        operation_timeout_ms: Option<u64>,
        body: &RequestBody,
    ) {
        let command_id = match body {
            RequestBody::Command { command_id, .. }
            | RequestBody::Receive { command_id, .. }
            | RequestBody::Signal { command_id, .. }
            | RequestBody::Reconnect { command_id, .. }
            | RequestBody::Connect { command_id, .. } => command_id.as_deref(),
            _ => None,
        }
        .and_then(|c| Uuid::parse_str(c).ok());
        let mut log = self
            .wire_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.len() >= WIRE_LOG_LEN {
            log.pop_front();
        }
        log.push_back(WireRequest {
            action,
            shell_id,
            command_id,
            operation_timeout_ms,
        });
    }

    /// The computer, locked (for seeding and tests). Whoever holds it may
    /// change it, so the ticker looks at it again at its next round.
    pub fn computer(&self) -> MutexGuard<'_, Computer> {
        let guard = self
            .computer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.due.store(0, std::sync::atomic::Ordering::SeqCst);
        guard
    }

    /// The lab clock.
    pub fn clock(&self) -> &LabClock {
        &self.clock
    }

    /// Advances the computer's pipelines and timers (called by the lab's ticker).
    pub fn tick(&self) {
        let now = self.clock.now();
        if now < self.due.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        {
            let mut c = self
                .computer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.tick(now);
            // Stored under the lock: a change made after it resets it to 0.
            let next = c.next_deadline(now).unwrap_or(u64::MAX);
            self.due.store(next, std::sync::atomic::Ordering::SeqCst);
        }
        self.wake.notify_waiters();
    }

    fn machine(&self) -> String {
        self.computer().name.clone()
    }

    fn fault(&self, relates_to: &str, code: u32, message: Option<&str>) -> HttpResponse {
        let ids = ResponseIds::new(relates_to, &mut RandomIds);
        let f = WsmanFault::windows(code, message, &self.machine());
        soap(500, server::fault_response(&ids, &f))
    }

    fn lab_fault(&self, relates_to: &str, e: &LabError) -> HttpResponse {
        let (code, msg): (u32, String) = match e {
            LabError::ShellNotFound(id) => (
                codes::INVALID_SELECTORS,
                format!(
                    "The request for the Windows Remote Shell with ShellId {} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. ",
                    id.to_string().to_uppercase()
                ),
            ),
            LabError::CommandNotFound => (
                codes::INVALID_SELECTORS,
                "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. Provide the correct command identifier and try again. ".into(),
            ),
            LabError::AccessDenied => (codes::ACCESS_DENIED, "Access is denied. ".into()),
            LabError::ShellDisconnected => (
                codes::SHELL_DISCONNECTED,
                "The WS-Management service cannot process the request because the WinRS shell instance is currently disconnected. ".into(),
            ),
            LabError::ConnectedToDifferentClient => (
                codes::SHELL_CONNECTED_TO_DIFFERENT_CLIENT,
                "The WinRM service cannot process the request. The WinRS shell instance is currently connected to a different client. ".into(),
            ),
            LabError::ClientSessionMismatch => (
                codes::SHELL_CLIENTSESSIONID_MISMATCH,
                "The WinRM service cannot process the request because the client session id does not match the session that disconnected the shell. Use Connect instead of Reconnect. ".into(),
            ),
            LabError::DisconnectNotValid => (
                codes::SHELL_DISCONNECT_OPERATION_NOT_VALID,
                "The WinRM service cannot process the request because the shell is not connected to this client. ".into(),
            ),
            // ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS carries Windows' fixed text
            // ([wsmerror]); the requested and allowed values are not in it.
            LabError::IdleTimeoutOutOfBounds { .. } => (
                codes::IDLETIMEOUT_OUTOFBOUNDS,
                "The WS-Management service cannot process the request. The requested IdleTimeout is outside the allowed range. ".into(),
            ),
            LabError::TooManyShells { max } => (
                codes::QUOTA_MAX_SHELLS_PPQ,
                format!(
                    "The WS-Management service cannot process the request. This user is allowed a maximum number of {max} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
                ),
            ),
            LabError::TooManyUsers { max } => (
                codes::QUOTA_MAX_USERS_PPQ,
                format!(
                    "The WS-Management service cannot process the request. The maximum number of concurrent users for this plugin ({max}) has been exceeded. Close existing shells or raise the quota for this plugin. "
                ),
            ),
            LabError::ShellIdConflict => (
                codes::SHELL_CLIENTID_RESOURCE_CONFLICT,
                "The WinRM service cannot process the request because a shell with the requested ShellId already exists. ".into(),
            ),
            LabError::CommandIdConflict => (
                codes::SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT,
                "The WinRM service cannot process the request because a command with the requested CommandId already exists. ".into(),
            ),
            LabError::UnknownConfiguration(uri) => (
                codes::INVALID_SELECTORS,
                format!("The WS-Management service cannot process the request. The resource URI ({uri}) was not found in the WS-Management catalog. "),
            ),
            LabError::Psrp(m) => (codes::INVALID_PARAMETER, m.clone()),
            LabError::InvalidParameter(m) => (codes::INVALID_PARAMETER, m.clone()),
        };
        self.fault(relates_to, code, Some(&msg))
    }

    /// How many WS-Management requests this computer has served.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The request parsed, or the answer to give at once: HTTP 413 over
    /// MaxEnvelopeSizekb, a fault for what does not parse, and Identify's
    /// answer ([MS-WSMV] §3.1.4.1.23), which needs no operation.
    fn parse_or_identify(
        &self,
        caller: &Caller,
        request: &HttpRequest,
    ) -> Result<(Action, server::RequestHeaders, RequestBody), HttpResponse> {
        // An envelope over MaxEnvelopeSizekb is refused at the HTTP level
        // (ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS = HTTP 413), before any parsing.
        if request.body.len() > self.max_envelope_bytes {
            return Err(HttpResponse::new(413, Vec::new()));
        }
        let parsed = match server::parse_request(&request.body, self.max_envelope_bytes) {
            Ok(p) => p,
            Err(mut e) => {
                // Within the size limit, the only "limit" left is the XML
                // nesting depth: a document the parser refuses, like bad XML.
                if e.code == codes::REQUEST_TOO_LARGE {
                    e.code = codes::SCHEMA_VALIDATION_ERROR;
                }
                let relates = e.message_id.clone().unwrap_or_default();
                let ids = ResponseIds::new(&relates, &mut RandomIds);
                return Err(soap(
                    500,
                    server::fault_response(&ids, &e.to_fault(&self.machine())),
                ));
            }
        };
        let WsmanRequest {
            action,
            headers,
            body,
        } = parsed;
        let Some(action) = action else {
            let info = IdentifyInfo {
                protocol_version: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd".into(),
                product_vendor: "Microsoft Corporation".into(),
                // Windows leaves its OS version out of an anonymous answer
                // (the Win32 "Detecting Whether a Remote Computer Supports
                // WS-Management Protocol" page: no product version without
                // authentication); the stack version stays.
                product_version: if caller.user.is_empty() {
                    ANONYMOUS_PRODUCT_VERSION.into()
                } else {
                    self.product_version.clone()
                },
                security_profiles: if caller.user.is_empty() {
                    Vec::new()
                } else {
                    vec!["http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos".into()]
                },
            };
            return Err(soap(200, server::identify_response(&info)));
        };
        Ok((action, headers, body))
    }

    /// Reconnect and Connect, of a shell or of one of its commands
    /// ([MS-PSRP] §3.1.5.3.18, §3.1.4.10).
    fn reattach(&self, ctx: &Call<'_>, action: Action, body: RequestBody) -> Outcome {
        let Call {
            ids,
            user,
            session,
            now,
            ..
        } = *ctx;
        let result: Result<String, LabError> = match (action, body) {
            (
                Action::Reconnect,
                RequestBody::Reconnect {
                    command_id: Some(c),
                    ..
                },
            ) => {
                // [MS-PSRP] §3.1.5.3.18: a command is reconnected by a second
                // Reconnect, once its shell is; its output stayed queued.
                let id = self.need_shell(ctx)?;
                let Ok(pid) = Uuid::parse_str(&c) else {
                    return Err(self.lab_fault(ctx.mid, &LabError::CommandNotFound));
                };
                self.computer()
                    .reconnect_command(now, user, session, id, pid)
                    .map(|()| server::reconnect_response(ids))
            }
            (Action::Reconnect, body) => {
                let id = self.need_shell(ctx)?;
                let mode = match body {
                    RequestBody::Reconnect { buffer_mode, .. } => buffer_mode,
                    _ => None,
                };
                self.computer()
                    .reconnect(now, user, session, id, mode)
                    .map(|()| server::reconnect_response(ids))
            }
            (
                Action::Connect,
                RequestBody::Connect {
                    command_id: Some(c),
                    ..
                },
            ) => {
                let id = self.need_shell(ctx)?;
                let Ok(pid) = Uuid::parse_str(&c) else {
                    return Err(self.lab_fault(ctx.mid, &LabError::CommandNotFound));
                };
                self.computer()
                    .connect_command(now, user, session, id, pid)
                    .map(|()| server::connect_response(ids, &ConnectResponse::default()))
            }
            (Action::Connect, RequestBody::Connect { connect_xml, .. }) => {
                let id = self.need_shell(ctx)?;
                let Some(payload) = connect_xml else {
                    return Err(self.fault(
                        ctx.mid,
                        codes::SCHEMA_VALIDATION_ERROR,
                        Some("The connectXml element is missing. "),
                    ));
                };
                self.computer()
                    .connect(now, user, session, id, &payload)
                    .map(|resp| {
                        server::connect_response(
                            ids,
                            &ConnectResponse {
                                input_streams: Some("stdin pr".into()),
                                output_streams: Some("stdout".into()),
                                connect_response_xml: Some(resp),
                            },
                        )
                    })
            }
            _ => return Err(self.fault(ctx.mid, codes::ACTION_NOT_SUPPORTED, None)),
        };
        Ok(result)
    }

    /// The ShellId selector of the request, or the fault Windows answers
    /// when it is missing or not a GUID.
    fn need_shell(&self, ctx: &Call<'_>) -> Result<Uuid, HttpResponse> {
        ctx.shell_id.ok_or_else(|| {
            self.fault(
                ctx.mid,
                codes::INVALID_SELECTORS,
                Some("The WS-Management service cannot process the request because the ShellId selector is missing or not a GUID. "),
            )
        })
    }

    /// Create: a new shell and its runspace pool (PowerShell configurations only).
    fn create(&self, ctx: &Call<'_>, c: server::CreateBody) -> Outcome {
        let Call {
            ids,
            user,
            session,
            now,
            mid,
            resource,
            headers,
            caller,
            ..
        } = *ctx;
        let result: Result<String, LabError> = {
            if !resource
                .to_ascii_lowercase()
                .starts_with(RESOURCE_POWERSHELL_PREFIX)
            {
                return Err(self.fault(mid, codes::ACTION_NOT_SUPPORTED, Some("The lab endpoint emulates PowerShell session configurations only; cmd.exe shells are not available. ")));
            }
            let Some(creation) = c.creation_xml else {
                return Err(self.fault(
                    mid,
                    codes::SCHEMA_VALIDATION_ERROR,
                    Some("The creationXml element is missing. "),
                ));
            };
            let id = c
                .shell_id
                .as_deref()
                .map(|s| Uuid::parse_str(s).map_err(|_| ()))
                .transpose();
            let Ok(id) = id else {
                return Err(self.fault(
                    mid,
                    codes::SHELL_CLIENTID_NOT_VALID,
                    Some("The ShellId is not a valid GUID. "),
                ));
            };
            let id = id.unwrap_or_else(Uuid::new_v4);
            let compression = headers
                .compression_type
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("xpress"));
            let no_profile = headers
                .option("WINRS_NOPROFILE")
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let r = self.computer().create(
                now,
                user,
                session,
                &caller.client_ip.to_string(),
                resource,
                id,
                c.name,
                c.idle_timeout_ms,
                compression,
                no_profile,
                headers.locale.as_deref().unwrap_or("en-US"),
                headers.data_locale.as_deref().unwrap_or("en-US"),
                &creation,
                c.buffer_mode,
            );
            r.map(|info| {
                let created = ResourceCreated {
                    address: headers.to.clone().unwrap_or_default(),
                    resource_uri: resource.to_owned(),
                    selectors: vec![("ShellId".into(), info.shell_id.clone())],
                };
                server::create_response(ids, &created, Some(&info))
            })
        };
        Ok(result)
    }

    /// Get on the service configuration: MaxEnvelopeSizekb, MaxTimeoutms, the WinRS quotas.
    fn config(&self, ctx: &Call<'_>) -> Outcome {
        let Call { ids, .. } = *ctx;
        let result: Result<String, LabError> = {
            let c = self.computer();
            let cfg = c.configurations.first().cloned().unwrap_or_default();
            drop(c);
            let config = ConfigInfo {
                values: vec![
                    (
                        "MaxEnvelopeSizekb".into(),
                        (self.max_envelope_bytes / 1024).to_string(),
                    ),
                    ("MaxTimeoutms".into(), self.max_timeout_ms.to_string()),
                    ("MaxBatchItems".into(), "32000".into()),
                    ("Service/AllowUnencrypted".into(), "false".into()),
                    ("Winrs/IdleTimeout".into(), cfg.idle_timeout_ms.to_string()),
                    ("Winrs/MaxShellsPerUser".into(), "2147483647".into()),
                    ("Winrs/MaxConcurrentUsers".into(), "2147483647".into()),
                ]
                .into_iter()
                .collect(),
            };
            Ok(server::get_config_response(ids, &config))
        };
        Ok(result)
    }

    /// Enumerate: the caller's shells, or one shell's commands.
    fn enumerate(&self, ctx: &Call<'_>, filter_shell_id: Option<String>) -> Outcome {
        let Call {
            ids,
            user,
            now,
            mid,
            resource,
            ..
        } = *ctx;
        let result: Result<String, LabError> = {
            if resource.eq_ignore_ascii_case(RESOURCE_SHELL_COMMAND) {
                let Some(f) = filter_shell_id.and_then(|s| Uuid::parse_str(&s).ok()) else {
                    return Err(self.fault(
                        mid,
                        codes::ENUMERATE_SHELLCOMMANDS_FILTER_EXPECTED,
                        None,
                    ));
                };
                self.computer().commands(now, user, f).map(|cmds| {
                    let items: Vec<EnumItem> = cmds.into_iter().map(EnumItem::Command).collect();
                    server::enumerate_response(ids, &items, None, true)
                })
            } else if resource.eq_ignore_ascii_case(RESOURCE_SHELL) {
                let shells = self.computer().enumerate(now, user);
                let items: Vec<EnumItem> = shells
                    .into_iter()
                    .map(|s| EnumItem::Shell(Box::new(s)))
                    .collect();
                Ok(server::enumerate_response(ids, &items, None, true))
            } else {
                // [MS-WSMV] <114>: shells are enumerated only on …/windows/shell.
                return Err(self.fault(mid, codes::ACTION_NOT_SUPPORTED, None));
            }
        };
        Ok(result)
    }

    /// Command: a pipeline whose CREATE_PIPELINE starts in the Arguments.
    fn command(
        &self,
        ctx: &Call<'_>,
        command_id: Option<String>,
        command: &str,
        arguments: &[String],
    ) -> Outcome {
        let Call {
            ids,
            user,
            session,
            now,
            mid,
            ..
        } = *ctx;
        let result: Result<String, LabError> = {
            let id = self.need_shell(ctx)?;
            let pid = command_id
                .as_deref()
                .and_then(|c| Uuid::parse_str(c).ok())
                .unwrap_or_else(Uuid::new_v4);
            let mut args = Vec::new();
            for a in arguments {
                match base64::engine::general_purpose::STANDARD.decode(a.trim()) {
                    Ok(b) => args.extend(b),
                    Err(_) => {
                        return Err(self.fault(
                            mid,
                            codes::SCHEMA_VALIDATION_ERROR,
                            Some("The Arguments element is not valid base64. "),
                        ));
                    }
                }
            }
            let r = self
                .computer()
                .command(now, user, session, id, pid, command, &args);
            self.wake.notify_waiters();
            r.map(|()| server::command_response(ids, &pid.to_string().to_uppercase()))
        };
        Ok(result)
    }

    /// Receive: a long poll for a pool's or a command's output.
    async fn receive_op(&self, ctx: &Call<'_>, command_id: Option<String>) -> Outcome {
        let Call {
            ids,
            user,
            session,
            mid,
            headers,
            ..
        } = *ctx;
        let result: Result<String, LabError> = {
            let id = self.need_shell(ctx)?;
            let cmd = command_id.as_deref().and_then(|c| Uuid::parse_str(c).ok());
            // The service answers within the smaller of the client's
            // MaxEnvelopeSize and its own MaxEnvelopeSizekb.
            let envelope = (headers.max_envelope_size.unwrap_or(153_600) as usize)
                .min(self.max_envelope_bytes);
            let budget = payload_budget(envelope);
            let timeout = headers
                .operation_timeout_ms
                .unwrap_or(60_000)
                .min(self.max_timeout_ms);
            match self.receive(user, session, id, cmd, budget, timeout).await {
                Ok(Some(r)) => {
                    let result = ReceiveResult {
                        streams: r
                            .fragments
                            .into_iter()
                            .map(|data| StreamData {
                                name: "stdout".into(),
                                command_id: cmd.map(|c| c.to_string().to_uppercase()),
                                data,
                                end: false,
                            })
                            .collect(),
                        command_state: r.done.then(|| CommandStateInfo {
                            command_id: cmd.map(|c| c.to_string().to_uppercase()),
                            state: CommandState::Done,
                            exit_code: Some(0),
                        }),
                    };
                    Ok(server::receive_response(ids, &result))
                }
                Ok(None) => return Err(self.fault(mid, codes::TIMED_OUT, None)),
                Err(e) => Err(e),
            }
        };
        Ok(result)
    }

    async fn dispatch(&self, caller: Caller, request: HttpRequest) -> HttpResponse {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (action, headers, body) = match self.parse_or_identify(&caller, &request) {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
        let mid = headers.message_id.clone();
        if caller.user.is_empty() {
            // Only Identify may be anonymous ([MS-WSMV] §3.1.4.1.23): the
            // listener turns this into its authentication challenge.
            return HttpResponse::new(401, Vec::new());
        }
        let ids = ResponseIds::new(&mid, &mut RandomIds);
        let user = caller.user.as_str();
        let session = headers
            .session_id
            .as_deref()
            .and_then(|s| Uuid::parse_str(s.trim_start_matches("uuid:")).ok())
            .unwrap_or_default();
        let resource = headers.resource_uri.clone().unwrap_or_default();
        let shell_id = headers.shell_id().and_then(|s| Uuid::parse_str(s).ok());
        self.log_request(action, shell_id, headers.operation_timeout_ms, &body);
        let now = self.clock.now();
        let ctx = Call {
            ids: &ids,
            user,
            session,
            now,
            mid: &mid,
            resource: &resource,
            headers: &headers,
            caller: &caller,
            shell_id,
        };
        macro_rules! shell {
            () => {
                match self.need_shell(&ctx) {
                    Ok(id) => id,
                    Err(r) => return r,
                }
            };
        }
        // An operation's handler answers with a result, or with the
        // response to give at once (a fault).
        macro_rules! run {
            ($e:expr) => {
                match $e {
                    Ok(r) => r,
                    Err(response) => return response,
                }
            };
        }
        let result: Result<String, LabError> = match (action, body) {
            (Action::Create, RequestBody::Create(c)) => run!(self.create(&ctx, c)),
            (Action::Get, _) if resource.eq_ignore_ascii_case(RESOURCE_CONFIG) => {
                run!(self.config(&ctx))
            }
            (Action::Get, _) => {
                let id = shell!();
                self.computer()
                    .get(now, user, id)
                    .map(|info| server::get_shell_response(&ids, &info))
            }
            (
                Action::Enumerate,
                RequestBody::Enumerate {
                    filter_shell_id, ..
                },
            ) => run!(self.enumerate(&ctx, filter_shell_id)),
            (Action::Pull, _) => {
                return self.fault(&mid, codes::INVALID_ENUMERATION_CONTEXT, None);
            }
            (
                Action::Command,
                RequestBody::Command {
                    command_id,
                    command,
                    arguments,
                },
            ) => run!(self.command(&ctx, command_id, &command, &arguments)),
            (Action::Send, RequestBody::Send { streams }) => {
                let id = shell!();
                let mut result = Ok(());
                for s in &streams {
                    result = self.computer().send(now, user, session, id, &s.data);
                    if result.is_err() {
                        break;
                    }
                }
                self.wake.notify_waiters();
                result.map(|()| server::send_response(&ids))
            }
            (Action::Receive, RequestBody::Receive { command_id, .. }) => {
                run!(self.receive_op(&ctx, command_id).await)
            }
            (Action::Signal, RequestBody::Signal { command_id, code }) => {
                let id = shell!();
                let Some(pid) = command_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()) else {
                    return self.lab_fault(&mid, &LabError::CommandNotFound);
                };
                let r = self.computer().signal(now, user, session, id, pid, &code);
                self.wake.notify_waiters();
                r.map(|()| server::signal_response(&ids))
            }
            (Action::Delete, _) => {
                let id = shell!();
                let r = self.computer().delete(now, user, id);
                self.wake.notify_waiters();
                r.map(|()| server::delete_response(&ids))
            }
            (
                Action::Disconnect,
                RequestBody::Disconnect {
                    idle_timeout_ms,
                    buffer_mode,
                },
            ) => {
                let id = shell!();
                let r = self.computer().disconnect(
                    now,
                    user,
                    session,
                    id,
                    idle_timeout_ms,
                    buffer_mode,
                );
                // Outstanding Receives return when the shell disconnects.
                self.wake.notify_waiters();
                r.map(|()| server::disconnect_response(&ids))
            }
            (Action::Reconnect | Action::Connect, body) => {
                run!(self.reattach(&ctx, action, body))
            }
            _ => return self.fault(&mid, codes::ACTION_NOT_SUPPORTED, None),
        };
        match result {
            Ok(xml) => soap(200, xml),
            Err(e) => self.lab_fault(&mid, &e),
        }
    }

    /// Waits for data on a stream until `timeout_ms` of real time.
    async fn receive(
        &self,
        user: &str,
        session: Uuid,
        id: Uuid,
        cmd: Option<Uuid>,
        budget: usize,
        timeout_ms: u64,
    ) -> Result<Option<Received>, LabError> {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        self.computer().receive_pending(id, true, self.clock.now());
        // Ends the long poll even when the client goes away mid-poll (a closed
        // connection drops this future): the shell must not stay "receiving".
        let _pending = PendingReceive { service: self, id };
        loop {
            let notified = self.wake.notified();
            let now = self.clock.now();
            let (r, next) = {
                let mut c = self.computer();
                (
                    c.receive(now, user, session, id, cmd, budget),
                    c.next_deadline(now),
                )
            };
            match r {
                Ok(r) if !r.is_empty() => break Ok(Some(r)),
                Ok(_) => {}
                Err(e) => break Err(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Ok(None);
            }
            let wait = next
                .map_or(left, |t| self.clock.real_until(t))
                .min(left)
                .max(Duration::from_millis(1))
                .min(Duration::from_millis(250));
            let _ = tokio::time::timeout(wait, notified).await;
        }
    }
}

/// A Receive long poll in progress; dropping it marks the poll ended.
struct PendingReceive<'a> {
    service: &'a LabService,
    id: Uuid,
}

impl Drop for PendingReceive<'_> {
    fn drop(&mut self) {
        let now = self.service.clock.now();
        self.service.computer().receive_pending(self.id, false, now);
    }
}

impl WsmanService for LabService {
    fn handle<'a>(
        &'a self,
        caller: Caller,
        request: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = HttpResponse> + Send + 'a>> {
        Box::pin(self.dispatch(caller, request))
    }
}

/// Runs `tick` on every service every `period` until the returned handle is aborted.
pub fn spawn_ticker(
    services: Vec<Arc<LabService>>,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            for s in &services {
                s.tick();
            }
        }
    })
}
