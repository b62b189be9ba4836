//! The client side of PowerShell remoting, as the worker uses it: one
//! [`Remote`] per computer and credential, one [`Session`] per runspace pool
//! this console holds.
//!
//! Each operation builds a WS-Management request with the protocol layer,
//! posts it over the link (real HTTP with an authenticated connection, or the
//! lab in process), and parses the answer. Concurrent operations use
//! separate authenticated connections, as the Windows client does: a Receive
//! long poll never blocks a Disconnect or a Signal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

use crate::model::{AuthMechanism, ConnectionSpec, Credential, ProxyAccessType};
use crate::protocol::ProtocolError;
use crate::protocol::auth::{Credentials, Mechanism, UserTable};
use crate::protocol::compression::CompressionMode;
use crate::protocol::http::WsmanService;
use crate::protocol::psrp::client::{ClientEvent, ClientPool};
use crate::protocol::psrp::messages::{
    CreatePipeline, HostResponse, InitRunspacePool, RunspacePoolState,
};
use crate::protocol::psrp::session_key::ExchangeKey;
use crate::protocol::wsman::envelope::{BuiltRequest, RandomIds, RequestContext};
use crate::protocol::wsman::fault::{WsmanFault, codes};
use crate::protocol::wsman::shell::{
    self, BufferMode, CommandInfo, CommandLine, CreateShell, IdentifyInfo, ReceiveResult, Request,
    ShellInfo, StreamData,
};
use crate::protocol::xml::Element;
use crate::transport::TransportError;
use crate::transport::http::{ConnectOptions, Endpoint};
use crate::transport::in_process::InProcessLink;
use crate::transport::proxy::{ProxyAuthScheme, ProxyMode, ProxySettings, SystemProxy};
use crate::transport::redirect::RedirectPolicy;
use crate::transport::session::{AuthSettings, WsmanConnection};
use crate::transport::tls::TlsOptions;

/// Why a remote operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error("{0}")]
    Fault(Box<WsmanFault>),
    #[error("{0}")]
    Protocol(ProtocolError),
    #[error("{0}")]
    Refused(String),
}

impl From<ProtocolError> for RemoteError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Fault(f) => RemoteError::Fault(f),
            other => RemoteError::Protocol(other),
        }
    }
}

impl RemoteError {
    /// The WSManFault code, when the server answered with a fault.
    pub fn fault_code(&self) -> Option<u32> {
        match self {
            RemoteError::Fault(f) => f.wsman_code,
            _ => None,
        }
    }

    /// A Receive that ended at its OperationTimeout: normal, re-issue it.
    pub fn is_timed_out(&self) -> bool {
        matches!(self, RemoteError::Fault(f) if f.is_timed_out())
    }

    /// The request was larger than the server's MaxEnvelopeSizekb (HTTP 413,
    /// ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS): smaller pieces may pass.
    pub fn is_envelope_too_large(&self) -> bool {
        matches!(
            self,
            RemoteError::Transport(TransportError::RequestTooLarge)
        ) || self.fault_code() == Some(codes::REQUEST_TOO_LARGE)
    }
}

/// The envelope size PowerShell starts with (500 KiB, Windows Server 2012
/// and later).
pub const MAX_ENVELOPE_SIZE: u32 = 512_000;
/// The envelope size PowerShell uses with protocol 2.1 servers (Windows
/// Server 2008 R2, WinRM 2.0: MaxEnvelopeSizekb 150)
/// [PS:WSManTransportManager.cs AdjustForProtocolVariations].
pub const V21_ENVELOPE_SIZE: u32 = 153_600;
/// Below this, no retry: an administrator can lower MaxEnvelopeSizekb to 32.
const MIN_ENVELOPE_SIZE: u32 = 16_384;

/// The next envelope size to try after `failed` was refused as too large:
/// 150 KiB, then halves (76,800, 38,400, 19,200); None below the floor.
pub fn smaller_envelope(failed: u32) -> Option<u32> {
    let next = if failed > V21_ENVELOPE_SIZE {
        V21_ENVELOPE_SIZE
    } else {
        failed / 2
    };
    (next >= MIN_ENVELOPE_SIZE).then_some(next)
}

enum Link {
    Http {
        endpoint: Endpoint,
        options: Box<ConnectOptions>,
        auth: AuthSettings,
        /// Authenticated connections not in use; each request takes one.
        idle: Mutex<Vec<WsmanConnection>>,
    },
    InProcess(InProcessLink),
}

/// One computer reached with one credential, as one client session
/// (`wsmv:SessionId`).
pub struct Remote {
    /// The name the user gave (profile name or host).
    pub name: String,
    pub spec: ConnectionSpec,
    /// The user the requests authenticate as.
    pub user: String,
    ctx: RequestContext,
    /// `wsman:MaxEnvelopeSize`, lowered when the server turns out to take
    /// less ([`Remote::shrink_envelope`], [`Remote::limit_envelope`]).
    max_envelope: std::sync::atomic::AtomicU32,
    link: Link,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .field("url", &self.spec.url())
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// How long a Receive waits on the server before answering TimedOut.
pub const RECEIVE_TIMEOUT_MS: u64 = 20_000;

/// How long a key exchange may take: pypsrp's `session_key_timeout_ms`.
pub const KEY_EXCHANGE_TIMEOUT: Duration = Duration::from_mins(1);

/// The error of a server that never answered PUBLIC_KEY.
pub fn key_exchange_timed_out() -> RemoteError {
    RemoteError::Refused(format!(
        "the server did not answer the session key exchange (PUBLIC_KEY) within {} s",
        KEY_EXCHANGE_TIMEOUT.as_secs()
    ))
}

fn mechanism(spec: &ConnectionSpec) -> Result<Mechanism, RemoteError> {
    match spec.authentication {
        AuthMechanism::Default | AuthMechanism::Negotiate => Ok(Mechanism::Negotiate),
        AuthMechanism::Basic => Ok(Mechanism::Basic),
        AuthMechanism::Kerberos => Ok(Mechanism::Kerberos),
        AuthMechanism::Credssp => Ok(Mechanism::CredSsp),
        AuthMechanism::Digest => Err(RemoteError::Refused(
            "Digest authentication is not supported by WinRM; use Negotiate (the default), Basic over HTTPS, or Kerberos".into(),
        )),
        AuthMechanism::NegotiateWithImplicitCredential => Ok(Mechanism::Negotiate),
    }
}

/// What an HTTP(S) remote needs beyond its [`ConnectionSpec`] and user
/// credential: the proxy credential (its secret is not in the spec) and the
/// system proxy settings.
#[derive(Clone, Debug, Default)]
pub struct HttpExtras {
    /// `-ProxyCredential`.
    pub proxy_credential: Option<Credential>,
    /// The environment's proxy variables, used by the system access types.
    pub system_proxy: SystemProxy,
}

impl HttpExtras {
    /// No proxy credential; the system proxy from this process's environment.
    pub fn from_env() -> Self {
        HttpExtras {
            proxy_credential: None,
            system_proxy: SystemProxy::from_env(),
        }
    }
}

/// The proxy settings of `spec`, checked as `New-PSSessionOption` checks them.
fn proxy_settings(
    spec: &ConnectionSpec,
    extras: &HttpExtras,
) -> Result<ProxySettings, RemoteError> {
    let mode = match spec.proxy_access_type {
        ProxyAccessType::None => ProxyMode::None,
        ProxyAccessType::NoProxyServer => ProxyMode::NoProxyServer,
        ProxyAccessType::IEConfig
        | ProxyAccessType::WinHttpConfig
        | ProxyAccessType::AutoDetect => ProxyMode::System(extras.system_proxy.clone()),
    };
    if extras.proxy_credential.is_some()
        && matches!(
            spec.proxy_access_type,
            ProxyAccessType::None | ProxyAccessType::NoProxyServer
        )
    {
        return Err(RemoteError::Refused(format!(
            "Proxy credentials cannot be specified when using the following proxy access type: {}. Either specify a different access type, or do not specify proxy credentials.",
            spec.proxy_access_type.as_str()
        )));
    }
    let auth = match spec.proxy_authentication {
        AuthMechanism::Basic => ProxyAuthScheme::Basic,
        AuthMechanism::Negotiate | AuthMechanism::Default => ProxyAuthScheme::Negotiate,
        AuthMechanism::Digest => {
            return Err(RemoteError::Refused(
                "Digest proxy authentication is not supported by Baton; use -ProxyAuthentication Basic (over a proxy you trust) or Negotiate".into(),
            ));
        }
        other => {
            return Err(RemoteError::Refused(format!(
                "{} cannot be specified as a proxy authentication mechanism. Only Basic,Digest or Negotiate are supported for proxy authentication.",
                other.as_str()
            )));
        }
    };
    let credentials = extras
        .proxy_credential
        .as_ref()
        .map(|c| Credentials::new(&c.user, c.password.expose()))
        .transpose()
        .map_err(|e| RemoteError::Refused(format!("the proxy credential: {e}")))?;
    Ok(ProxySettings {
        mode,
        auth,
        credentials,
        workstation: hostname(),
    })
}

impl Remote {
    fn context(spec: &ConnectionSpec, session_id: Uuid) -> RequestContext {
        let mut ctx = RequestContext::new(spec.url(), session_id);
        ctx.max_envelope_size = MAX_ENVELOPE_SIZE;
        ctx.operation_timeout_ms = spec.operation_timeout_ms.min(60_000);
        ctx.locale = spec.ui_culture.clone();
        ctx.data_locale = spec.culture.clone();
        ctx
    }

    /// A computer reached over HTTP(S), authenticating as `credential`, with
    /// the system proxy settings of this process's environment.
    pub fn http(
        name: &str,
        spec: ConnectionSpec,
        credential: &Credential,
        session_id: Uuid,
    ) -> Result<Remote, RemoteError> {
        Self::http_with(name, spec, credential, session_id, &HttpExtras::from_env())
    }

    /// A computer reached over HTTP(S) with a proxy credential and system
    /// proxy settings given by the caller.
    pub fn http_with(
        name: &str,
        spec: ConnectionSpec,
        credential: &Credential,
        session_id: Uuid,
        extras: &HttpExtras,
    ) -> Result<Remote, RemoteError> {
        if spec.authentication == AuthMechanism::NegotiateWithImplicitCredential {
            return Err(RemoteError::Refused(
                "NegotiateWithImplicitCredential signs in as the current user: it cannot be used with a user name and password (-Credential); use Negotiate or Default".into(),
            ));
        }
        let credentials = Credentials::new(&credential.user, credential.password.expose())
            .map_err(|e| RemoteError::Refused(e.to_string()))?;
        Self::http_inner(name, spec, credentials, session_id, extras)
    }

    /// A computer reached over HTTP(S) as the current user: Negotiate or
    /// Kerberos with the tickets in the user's Kerberos credential cache
    /// (`kinit`, or a domain logon), through the system's GSSAPI.
    pub fn http_as_current_user(
        name: &str,
        spec: ConnectionSpec,
        session_id: Uuid,
        extras: &HttpExtras,
    ) -> Result<Remote, RemoteError> {
        match spec.authentication {
            AuthMechanism::Default
            | AuthMechanism::Negotiate
            | AuthMechanism::NegotiateWithImplicitCredential
            | AuthMechanism::Kerberos => {}
            other => {
                return Err(RemoteError::Refused(format!(
                    "{} authentication needs a user name and password (-Credential); only Negotiate and Kerberos can sign in as the current user",
                    other.as_str()
                )));
            }
        }
        let principal = crate::transport::gss::current_principal()
            .map_err(|e| RemoteError::Refused(e.to_string()))?;
        Self::http_inner(
            name,
            spec,
            Credentials::implicit(&principal),
            session_id,
            extras,
        )
    }

    fn http_inner(
        name: &str,
        spec: ConnectionSpec,
        credentials: Credentials,
        session_id: Uuid,
        extras: &HttpExtras,
    ) -> Result<Remote, RemoteError> {
        let endpoint = Endpoint::parse(&spec.url())?;
        // -CertificateThumbprint: a PEM file in Baton's certs folder (or a
        // path) stands in for the Windows certificate store.
        let client_certificate = match spec
            .certificate_thumbprint
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            Some(reference) => {
                let dir = crate::transport::tls::default_certificate_dir().unwrap_or_default();
                Some(Arc::new(
                    crate::transport::tls::ClientCertificate::resolve(reference, &dir)
                        .map_err(|e| RemoteError::Refused(e.to_string()))?,
                ))
            }
            None => None,
        };
        let mechanism = if client_certificate.is_some() {
            Mechanism::Certificate
        } else {
            mechanism(&spec)?
        };
        let user = credentials.user().to_owned();
        let auth = AuthSettings {
            mechanism,
            credentials,
            seal_over_http: !spec.no_encryption,
            allow_unencrypted: spec.allow_unencrypted,
            workstation: hostname(),
        };
        crate::protocol::auth::check_transport_security(
            mechanism,
            endpoint.https,
            spec.allow_unencrypted,
        )
        .map_err(|e| RemoteError::Refused(e.to_string()))?;
        let options = ConnectOptions {
            connect_timeout: Duration::from_millis(spec.open_timeout_ms.clamp(1_000, 180_000)),
            max_response_bytes: 64 << 20,
            tls: TlsOptions {
                danger_skip_ca_check: spec.skip_ca_check,
                danger_skip_cn_check: spec.skip_cn_check,
                danger_skip_revocation_check: spec.skip_revocation_check,
                extra_roots: Vec::new(),
                client_certificate,
            },
            proxy: proxy_settings(&spec, extras)?,
            redirect: RedirectPolicy {
                allow: spec.allow_redirection,
                max: spec.maximum_connection_redirection_count,
            },
        };
        Ok(Remote {
            name: name.to_owned(),
            ctx: Self::context(&spec, session_id),
            max_envelope: MAX_ENVELOPE_SIZE.into(),
            user,
            spec,
            link: Link::Http {
                endpoint,
                options: Box::new(options),
                auth,
                idle: Mutex::new(Vec::new()),
            },
        })
    }

    /// A WS-Management service called in process (the lab without
    /// sockets): the credential is checked against its users as its
    /// listener would.
    pub fn in_process(
        name: &str,
        spec: ConnectionSpec,
        service: Arc<dyn WsmanService>,
        users: &UserTable,
        credential: &Credential,
        session_id: Uuid,
    ) -> Result<Remote, RemoteError> {
        let link = InProcessLink::sign_in(name, service, users, credential)?;
        Ok(Remote {
            name: name.to_owned(),
            ctx: Self::context(&spec, session_id),
            max_envelope: MAX_ENVELOPE_SIZE.into(),
            user: link.user().to_owned(),
            spec,
            link: Link::InProcess(link),
        })
    }

    /// The client session id (`wsmv:SessionId`).
    pub fn session_id(&self) -> Uuid {
        self.ctx.session_id
    }

    /// Closes the authenticated connections not in use (Disconnect-WSMan):
    /// dropping one ends its TCP connection. Returns how many were closed.
    /// A request still in flight keeps its connection until it ends; a later
    /// request opens and authenticates a new one.
    pub fn close_connections(&self) -> usize {
        match &self.link {
            Link::Http { idle, .. } => {
                let closed: Vec<WsmanConnection> = std::mem::take(
                    &mut *idle
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                closed.len()
            }
            Link::InProcess(_) => 0,
        }
    }

    /// The largest envelope this client sends and accepts.
    pub fn max_envelope_size(&self) -> usize {
        self.max_envelope.load(std::sync::atomic::Ordering::Relaxed) as usize
    }

    /// Caps the envelope size at `bytes` (a protocol 2.1 server).
    pub fn limit_envelope(&self, bytes: u32) {
        self.max_envelope
            .fetch_min(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// After a request built for envelopes of `failed` bytes was refused as
    /// too large: the next smaller size. False when there is none to try.
    pub fn shrink_envelope(&self, failed: u32) -> bool {
        let Some(next) = smaller_envelope(failed) else {
            return false;
        };
        let before = self
            .max_envelope
            .fetch_min(next, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            "{} refused a {failed}-byte envelope as too large; sending envelopes of at most {} bytes",
            self.name,
            before.min(next)
        );
        true
    }

    /// The request context with the envelope size as it stands.
    fn request_ctx(&self) -> RequestContext {
        let mut ctx = self.ctx.clone();
        ctx.max_envelope_size = self.max_envelope_size() as u32;
        ctx
    }

    async fn post_xml(
        &self,
        xml: &str,
        timeout: Duration,
        retry: bool,
    ) -> Result<(u16, Vec<u8>), RemoteError> {
        match &self.link {
            Link::Http {
                endpoint,
                options,
                auth,
                idle,
            } => {
                let conn = idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .pop();
                let mut conn = match conn {
                    Some(c) => c,
                    None => {
                        WsmanConnection::new(endpoint.clone(), (**options).clone(), auth.clone())?
                    }
                };
                let resp = conn.post(xml.as_bytes(), timeout, retry).await?;
                idle.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(conn);
                Ok((resp.status, resp.body))
            }
            Link::InProcess(link) => Ok(link.post(xml.as_bytes(), timeout).await?),
        }
    }

    async fn call_with(
        &self,
        ctx: &RequestContext,
        req: &Request,
        retry: bool,
    ) -> Result<(BuiltRequest, Vec<u8>), RemoteError> {
        let built = req.build(ctx, &mut RandomIds);
        // The HTTP read timeout outlives the WS-Management OperationTimeout.
        let timeout = Duration::from_millis(ctx.operation_timeout_ms + 15_000);
        let (status, body) = self.post_xml(&built.xml, timeout, retry).await?;
        if status == 413 {
            return Err(RemoteError::Transport(TransportError::RequestTooLarge));
        }
        if status == 500 || status == 200 {
            if status == 500 {
                let env = Element::parse(&body).map_err(RemoteError::from)?;
                if let Some(f) = WsmanFault::from_envelope(&env) {
                    return Err(RemoteError::Fault(Box::new(f?)));
                }
            }
            return Ok((built, body));
        }
        Err(RemoteError::Transport(TransportError::Http(format!(
            "unexpected HTTP status {status}"
        ))))
    }

    async fn call(
        &self,
        req: &Request,
        retry: bool,
    ) -> Result<(BuiltRequest, Vec<u8>), RemoteError> {
        self.call_with(&self.request_ctx(), req, retry).await
    }

    /// `Test-WSMan`: Identify.
    pub async fn identify(&self) -> Result<IdentifyInfo, RemoteError> {
        let built = shell::identify_request();
        let timeout = Duration::from_millis(self.ctx.operation_timeout_ms + 15_000);
        let (_, body) = self.post_xml(&built.xml, timeout, true).await?;
        Ok(shell::parse_identify_response(&body)?)
    }

    /// The PowerShell shells of this user on the computer (Enumerate, then
    /// Pull until the end of the sequence).
    pub async fn enumerate_shells(&self) -> Result<Vec<ShellInfo>, RemoteError> {
        let req = Request::EnumerateShells {
            max_elements: 32_000,
        };
        let (built, body) = self.call(&req, true).await?;
        let mut page = shell::parse_enumerate_response(&built, &body)?;
        let mut shells: Vec<ShellInfo> = page.shells().cloned().collect();
        let mut guard = 0;
        while page.needs_pull() && guard < 1000 {
            guard += 1;
            let req = Request::Pull {
                resource_uri: crate::protocol::wsman::namespaces::RESOURCE_SHELL.into(),
                context: page.context.clone().unwrap_or_default(),
                max_elements: 32_000,
            };
            let (built, body) = self.call(&req, true).await?;
            page = shell::parse_pull_response(&built, &body)?;
            shells.extend(page.shells().cloned());
        }
        shells.retain(|s| {
            s.resource_uri.as_deref().is_some_and(|u| {
                u.to_ascii_lowercase()
                    .starts_with(crate::model::connection::SHELL_URI_PREFIX)
            })
        });
        Ok(shells)
    }

    /// The commands that still exist in a shell.
    pub async fn enumerate_commands(
        &self,
        shell_id: &str,
    ) -> Result<Vec<CommandInfo>, RemoteError> {
        let req = Request::EnumerateCommands {
            shell_id: shell_id.to_owned(),
            max_elements: 32_000,
        };
        let (built, body) = self.call(&req, true).await?;
        Ok(shell::parse_enumerate_response(&built, &body)?
            .commands()
            .cloned()
            .collect())
    }

    /// A Receive on a shell (pool stream when `command_id` is None). A
    /// TimedOut fault comes back as an empty result.
    pub async fn receive(
        &self,
        resource_uri: &str,
        shell_id: Uuid,
        command_id: Option<Uuid>,
    ) -> Result<ReceiveResult, RemoteError> {
        let mut ctx = self.request_ctx();
        ctx.operation_timeout_ms = RECEIVE_TIMEOUT_MS.min(self.ctx.operation_timeout_ms.max(1_000));
        let req = Request::Receive {
            resource_uri: resource_uri.to_owned(),
            shell_id: upper(shell_id),
            command_id: command_id.map(upper),
            streams: "stdout".into(),
            keep_alive: true,
        };
        match self.call_with(&ctx, &req, true).await {
            Ok((built, body)) => Ok(shell::parse_receive_response(&built, &body)?),
            Err(e) if e.is_timed_out() => Ok(ReceiveResult::default()),
            Err(e) => Err(e),
        }
    }

    /// Deletes a shell (Remove-PSSession of a session not held here).
    pub async fn delete(&self, resource_uri: &str, shell_id: Uuid) -> Result<(), RemoteError> {
        let req = Request::Delete {
            resource_uri: resource_uri.to_owned(),
            shell_id: upper(shell_id),
        };
        let (built, body) = self.call_with(&self.cancel_context(), &req, false).await?;
        Ok(shell::parse_empty_response(&built, &body)?)
    }

    /// The request settings of a Signal or a Delete: their OperationTimeout
    /// is the connection's CancelTimeout, how long PowerShell waits for a
    /// stop or a close to finish (at least a second).
    fn cancel_context(&self) -> RequestContext {
        let mut ctx = self.request_ctx();
        ctx.operation_timeout_ms = self.spec.cancel_timeout_ms.max(1_000);
        ctx
    }
}

fn upper(id: Uuid) -> String {
    id.to_string().to_uppercase()
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "BATON".into())
        .chars()
        .take(15)
        .collect::<String>()
        .to_uppercase()
}

/// A runspace pool held by this console.
pub struct Session {
    pub remote: Arc<Remote>,
    pub shell_id: Uuid,
    pub resource_uri: String,
    pub pool: ClientPool,
    /// What the server last said about the shell.
    pub info: ShellInfo,
    /// True when this client disconnected it (so Reconnect, not Connect).
    pub disconnected_by_me: bool,
    /// Pipelines this client started and has not released yet.
    started: std::collections::HashSet<Uuid>,
    /// Pipelines that were running here when this client disconnected: after
    /// the shell's Reconnect each needs its own command-level Reconnect.
    to_reconnect: std::collections::HashSet<Uuid>,
    /// How the shell's stream data travels: Xpress for shells created with
    /// `rsp:CompressionType xpress` (Windows PowerShell's default). Each
    /// `rsp:Stream` element's data is one complete sequence of Xpress blocks.
    pub compression: CompressionMode,
    /// What was received so far, against the connection's client quotas.
    quota: ReceiveQuota,
    /// The session option's OutputBufferingMode (New-PSSessionOption, a
    /// profile, the New session dialog): sent at Create, at a Disconnect
    /// that names no mode, and at Reconnect. None = the server's.
    pub buffer_mode: crate::model::OutputBufferingMode,
}

/// PowerShell's client-side receive quotas: `MaximumReceivedDataSizePerCommand`
/// (all data received for one command) and `MaximumReceivedObjectSize` (one
/// reassembled PSRP object).
#[derive(Debug, Default)]
struct ReceiveQuota {
    per_command: HashMap<Uuid, u64>,
    /// Sizes of objects still being reassembled, by ObjectId.
    objects: HashMap<u64, u64>,
}

impl ReceiveQuota {
    fn check(
        &mut self,
        spec: &ConnectionSpec,
        command_id: Option<&str>,
        data: &[u8],
    ) -> Result<(), RemoteError> {
        let exceeded = |text: String| RemoteError::Transport(TransportError::Quota(text));
        if let (Some(max), Some(pid)) = (
            spec.maximum_received_data_size_per_command,
            command_id.and_then(|c| Uuid::parse_str(c).ok()),
        ) {
            let total = self.per_command.entry(pid).or_insert(0);
            *total = total.saturating_add(data.len() as u64);
            if *total > max {
                return Err(exceeded(format!(
                    "The total data received from the remote server exceeded the allowed maximum. The allowed maximum is {max}."
                )));
            }
        }
        if let Some(max) = spec.maximum_received_object_size {
            // Malformed fragments are the pool's to report.
            let Ok(fragments) = crate::protocol::psrp::fragment::Fragment::decode_all(data) else {
                return Ok(());
            };
            for f in fragments {
                let size = if f.start {
                    f.data.len() as u64
                } else {
                    self.objects
                        .get(&f.object_id)
                        .copied()
                        .unwrap_or(0)
                        .saturating_add(f.data.len() as u64)
                };
                if size > max {
                    self.objects.remove(&f.object_id);
                    return Err(exceeded(format!(
                        "The current deserialized object size of the data received from the remote server exceeded the allowed maximum object size. The current deserialized object size is {size}. The allowed maximum object size is {max}."
                    )));
                }
                if f.end {
                    self.objects.remove(&f.object_id);
                } else {
                    self.objects.insert(f.object_id, size);
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("computer", &self.remote.name)
            .field("shell_id", &self.shell_id)
            .field("state", &self.pool.state())
            .finish()
    }
}

/// Events from one Receive, and whether the command is done.
#[derive(Debug, Default)]
pub struct Received {
    pub events: Vec<ClientEvent>,
    pub done: bool,
}

/// The compression a shell reports (`CompressionMode` of Create/Enumerate);
/// a shell that reports nothing, or a value we do not know, is taken as
/// uncompressed (what every WinRM before compression did).
pub fn shell_compression(info: &ShellInfo) -> CompressionMode {
    info.compression_mode
        .as_deref()
        .and_then(|m| CompressionMode::parse(m).ok())
        .unwrap_or_default()
}

/// The most bytes one received `rsp:Stream` element may expand to: the
/// `MaximumReceivedObjectSize` of the connection (a Receive never carries
/// more than one object's worth per element), at least 1 MiB.
fn stream_limit(spec: &ConnectionSpec) -> usize {
    spec.maximum_received_object_size
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(crate::protocol::psrp::fragment::DEFAULT_MAX_OBJECT_SIZE)
        .max(1 << 20)
}

/// A session that did not open within the connection's OpenTimeout.
fn open_timed_out(computer: &str, open: Duration) -> RemoteError {
    RemoteError::Refused(format!(
        "The session on {computer} did not open within the OpenTimeout of {} ms (New-PSSessionOption -OpenTimeout): the computer accepted the connection but did not answer in time.",
        open.as_millis()
    ))
}

impl Session {
    /// `New-PSSession`: creates a shell and opens its runspace pool. Baton's
    /// own shells are uncompressed; see [`Session::create_with_compression`].
    pub async fn create(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
    ) -> Result<Session, RemoteError> {
        let mode = remote.spec.output_buffering_mode;
        Self::create_with(remote, name, idle_timeout_ms, mode).await
    }

    /// `New-PSSession` with the session option's OutputBufferingMode
    /// `buffer_mode` (None: the server's default).
    pub async fn create_with(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        buffer_mode: crate::model::OutputBufferingMode,
    ) -> Result<Session, RemoteError> {
        Self::create_full(
            remote,
            name,
            idle_timeout_ms,
            CompressionMode::NoCompression,
            buffer_mode,
        )
        .await
    }

    /// `New-PSSession` asking for `compression` at Create
    /// (`rsp:CompressionType xpress`, as Windows PowerShell does). The
    /// shell's mode is what the server then reports, or what we asked for
    /// when the CreateResponse carries no `rsp:Shell`.
    pub async fn create_with_compression(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        compression: CompressionMode,
    ) -> Result<Session, RemoteError> {
        let mode = remote.spec.output_buffering_mode;
        Self::create_full(remote, name, idle_timeout_ms, compression, mode).await
    }

    async fn create_full(
        remote: Arc<Remote>,
        name: Option<&str>,
        idle_timeout_ms: Option<u64>,
        compression: CompressionMode,
        buffer_mode: crate::model::OutputBufferingMode,
    ) -> Result<Session, RemoteError> {
        let shell_id = Uuid::new_v4();
        let resource_uri = remote.spec.shell_uri();
        let mut pool = ClientPool::new(shell_id, remote.max_envelope_size())?;
        if let Some(limit) = remote.spec.maximum_received_object_size {
            pool.set_max_received_object_size(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        let creation = pool.creation_payload(&InitRunspacePool::default())?;
        let mut create = CreateShell::powershell(&resource_uri, &upper(shell_id), creation);
        create.name = name.map(str::to_owned);
        create.idle_timeout_ms = idle_timeout_ms.or(remote.spec.idle_timeout_ms);
        create.no_profile = remote.spec.no_machine_profile;
        create.compression_xpress = compression == CompressionMode::XpressCompression;
        create.buffer_mode = crate::worker::convert::wire_buffer_mode(buffer_mode);
        // OpenTimeout bounds the whole opening, as PowerShell's does: the
        // connection, TLS, authentication, the Create, and the pool opened.
        let open = Duration::from_millis(remote.spec.open_timeout_ms.max(1));
        let deadline = tokio::time::Instant::now() + open;
        let (built, body) =
            tokio::time::timeout_at(deadline, remote.call(&Request::Create(create), false))
                .await
                .map_err(|_| open_timed_out(&remote.name, open))??;
        let created = shell::parse_create_response(&built, &body)?;
        let info = created.shell.clone().unwrap_or_else(|| ShellInfo {
            shell_id: upper(shell_id),
            name: name.map(str::to_owned),
            resource_uri: Some(resource_uri.clone()),
            compression_mode: Some(compression.as_str().into()),
            ..ShellInfo::default()
        });
        let compression = info
            .compression_mode
            .as_deref()
            .and_then(|m| CompressionMode::parse(m).ok())
            .unwrap_or(compression);
        let mut session = Session {
            remote,
            shell_id,
            resource_uri,
            pool,
            info,
            disconnected_by_me: false,
            started: Default::default(),
            to_reconnect: Default::default(),
            compression,
            quota: ReceiveQuota::default(),
            buffer_mode,
        };
        let opened = tokio::time::timeout_at(deadline, session.wait_opened())
            .await
            .unwrap_or_else(|_| Err(open_timed_out(&session.remote.name, open)));
        if let Err(e) = opened {
            // The shell exists on the server though its pool never opened
            // here: delete it rather than leave it behind, attached to a
            // client that will never use it (within the CancelTimeout: a
            // server that stopped answering is not waited for again).
            let cancel = Duration::from_millis(session.remote.spec.cancel_timeout_ms.max(1_000));
            let _ = tokio::time::timeout(
                cancel,
                session
                    .remote
                    .delete(&session.resource_uri, session.shell_id),
            )
            .await;
            return Err(e);
        }
        session.adapt_to_server()?;
        Ok(session)
    }

    /// `Connect-PSSession` from a client that did not create or disconnect
    /// the session ([MS-PSRP] §3.1.4.10): Connect with connectXml, then the
    /// pool Receive.
    pub async fn connect(remote: Arc<Remote>, info: ShellInfo) -> Result<Session, RemoteError> {
        let shell_id = Uuid::parse_str(&info.shell_id).map_err(|_| {
            RemoteError::Refused(format!("the shell id {} is not a GUID", info.shell_id))
        })?;
        let resource_uri = info
            .resource_uri
            .clone()
            .unwrap_or_else(|| remote.spec.shell_uri());
        let mut pool = ClientPool::new(shell_id, remote.max_envelope_size())?;
        if let Some(limit) = remote.spec.maximum_received_object_size {
            pool.set_max_received_object_size(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        // Compression is a property of the shell (Connect carries no flag):
        // the mode Enumerate reported decides how its streams are read.
        let compression = shell_compression(&info);
        let remote_mode = remote.spec.output_buffering_mode;
        let payload = pool.connect_payload()?;
        let req = Request::ConnectShell {
            resource_uri: resource_uri.clone(),
            shell_id: upper(shell_id),
            connect_xml: payload,
            protocol_version: crate::protocol::psrp::messages::PROTOCOL_VERSION.into(),
        };
        // OpenTimeout bounds the connecting, as it does the creating.
        let open = Duration::from_millis(remote.spec.open_timeout_ms.max(1));
        let deadline = tokio::time::Instant::now() + open;
        let (built, body) = tokio::time::timeout_at(deadline, remote.call(&req, false))
            .await
            .map_err(|_| open_timed_out(&remote.name, open))??;
        let resp = shell::parse_connect_response(&built, &body)?;
        let xml = resp.connect_response_xml.ok_or_else(|| {
            RemoteError::Protocol(ProtocolError::Missing("connectResponseXml".into()))
        })?;
        pool.handle_connect_response(&xml)?;
        let mut session = Session {
            remote,
            shell_id,
            resource_uri,
            pool,
            info,
            disconnected_by_me: false,
            started: Default::default(),
            to_reconnect: Default::default(),
            compression,
            quota: ReceiveQuota::default(),
            buffer_mode: remote_mode,
        };
        // The server pushes APPLICATION_PRIVATE_DATA (or the pool state) next.
        let r = tokio::time::timeout_at(deadline, session.receive(None))
            .await
            .map_err(|_| open_timed_out(&session.remote.name, open))??;
        drop(r);
        session.adapt_to_server()?;
        Ok(session)
    }

    async fn wait_opened(&mut self) -> Result<(), RemoteError> {
        for _ in 0..30 {
            let r = self.receive(None).await?;
            for e in &r.events {
                if let ClientEvent::PoolState { state, error } = e {
                    match state {
                        RunspacePoolState::Opened => return Ok(()),
                        RunspacePoolState::Broken | RunspacePoolState::Closed => {
                            let why = error
                                .as_ref()
                                .and_then(|e| {
                                    crate::protocol::clixml::records::ErrorRecord::from_value(e)
                                        .ok()
                                })
                                .map_or_else(
                                    || "the remote runspace pool could not be opened".into(),
                                    |r| r.message,
                                );
                            return Err(RemoteError::Refused(why));
                        }
                        _ => {}
                    }
                }
            }
            if self.pool.state() == RunspacePoolState::Opened {
                return Ok(());
            }
        }
        Err(RemoteError::Refused(
            "the runspace pool did not open".into(),
        ))
    }

    /// One Receive on the pool (`None`) or a command, handled by the pool.
    pub async fn receive(&mut self, command_id: Option<Uuid>) -> Result<Received, RemoteError> {
        let result = self
            .remote
            .receive(&self.resource_uri, self.shell_id, command_id)
            .await?;
        self.handle(&result)
    }

    /// Handles a ReceiveResponse obtained elsewhere (a long poll run without
    /// holding this session).
    pub fn handle(&mut self, result: &ReceiveResult) -> Result<Received, RemoteError> {
        let mut out = Received {
            events: Vec::new(),
            done: result.is_done(),
        };
        let limit = stream_limit(&self.remote.spec);
        for s in &result.streams {
            // [MS-WSMV] §3.1.4.1.31.6: a compressed shell's ReceiveResponse
            // data is compressed, element by element.
            let data = self.compression.decode(&s.data, limit)?;
            self.quota
                .check(&self.remote.spec, s.command_id.as_deref(), &data)?;
            out.events.extend(self.pool.handle_stream(&data)?);
        }
        Ok(out)
    }

    /// `Invoke-Command -Session`: starts a pipeline running `script`.
    pub async fn start(&mut self, script: &str) -> Result<Uuid, RemoteError> {
        self.start_with(script, &[], None).await
    }

    /// Starts a pipeline running `script` with `arguments` as its positional
    /// arguments (`-ArgumentList`: `Args` of the script command, no names).
    /// With `input`, the pipeline is created with `NoInput` false and the
    /// objects follow on `stdin` as PIPELINE_INPUT messages, then
    /// END_OF_PIPELINE_INPUT ([MS-PSRP] §3.1.4.5), as Invoke-Command sends
    /// its `-InputObject`.
    pub async fn start_with(
        &mut self,
        script: &str,
        arguments: &[crate::protocol::clixml::PsValue],
        input: Option<&[crate::protocol::clixml::PsValue]>,
    ) -> Result<Uuid, RemoteError> {
        let pid = Uuid::new_v4();
        let mut pipeline = CreatePipeline::script(script);
        pipeline.no_input = input.is_none();
        if let Some(cmd) = pipeline.commands.first_mut() {
            cmd.args = arguments.iter().map(|a| (None, a.clone())).collect();
        }
        let display: String = script.trim().chars().take(255).collect();
        let rest = loop {
            let size = self.remote.max_envelope_size();
            self.pool.set_max_envelope_size(size)?;
            let payloads = self.pool.create_pipeline(pid, &pipeline)?;
            let mut iter = payloads.into_iter();
            let first = iter.next().ok_or_else(|| {
                RemoteError::Protocol(ProtocolError::Psrp("empty CREATE_PIPELINE".into()))
            })?;
            let cmd = CommandLine::psrp(
                &self.resource_uri,
                &upper(self.shell_id),
                &upper(pid),
                &display,
                &first,
            );
            match self.remote.call(&Request::Command(cmd), false).await {
                Ok((built, body)) => {
                    shell::parse_command_response(&built, &body)?;
                    break iter;
                }
                // Refused before anything was created: smaller fragments.
                Err(e) if e.is_envelope_too_large() && self.remote.shrink_envelope(size as u32) => {
                }
                Err(e) => return Err(e),
            }
        };
        self.started.insert(pid);
        for rest in rest {
            self.send(Some(pid), "stdin", rest).await?;
        }
        if let Some(values) = input {
            self.send_messages(Some(pid), "stdin", |pool| {
                pool.pipeline_input(pid, values, true)
            })
            .await?;
        }
        Ok(pid)
    }

    /// Builds messages with `build` for the envelope size as it stands and
    /// sends them on `stream`. When the server refuses the first Send as too
    /// large (nothing of them was taken), builds them again for the next
    /// smaller size and starts over.
    async fn send_messages(
        &mut self,
        command_id: Option<Uuid>,
        stream: &str,
        mut build: impl FnMut(&mut ClientPool) -> Result<Vec<Vec<u8>>, ProtocolError>,
    ) -> Result<(), RemoteError> {
        'sizes: loop {
            let size = self.remote.max_envelope_size();
            self.pool.set_max_envelope_size(size)?;
            for (i, p) in build(&mut self.pool)?.into_iter().enumerate() {
                match self.send(command_id, stream, p).await {
                    Ok(()) => {}
                    Err(e)
                        if i == 0
                            && e.is_envelope_too_large()
                            && self.remote.shrink_envelope(size as u32) =>
                    {
                        continue 'sizes;
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
    }

    /// Protocol 2.1 servers (Windows Server 2008 R2) take envelopes of
    /// 150 KiB at most: PowerShell lowers its size for them, and so does
    /// Baton, once the server's SESSION_CAPABILITY is known.
    fn adapt_to_server(&mut self) -> Result<(), RemoteError> {
        if !self.pool.supports_disconnect() {
            self.remote.limit_envelope(V21_ENVELOPE_SIZE);
        }
        Ok(self
            .pool
            .set_max_envelope_size(self.remote.max_envelope_size())?)
    }

    async fn send(
        &mut self,
        command_id: Option<Uuid>,
        stream: &str,
        data: Vec<u8>,
    ) -> Result<(), RemoteError> {
        let req = Request::Send {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            stream: StreamData {
                name: stream.into(),
                command_id: command_id.map(upper),
                // [MS-WSMV] §3.2.4.1.19: Send data of a compressed shell
                // MUST be compressed.
                data: self.compression.encode(&data),
                end: false,
            },
        };
        let (built, body) = self.remote.call(&req, false).await?;
        Ok(shell::parse_empty_response(&built, &body)?)
    }

    /// Starts the session key exchange ([MS-PSRP] §3.1.4.4) unless a key is
    /// known or an exchange is under way: a new 2048-bit exchange key goes
    /// out in PUBLIC_KEY on the pool's `stdin`. The answer,
    /// ENCRYPTED_SESSION_KEY, arrives on the pool's stream, whoever reads it
    /// (the keep-alive Receive of a held session, or
    /// [`Session::ensure_session_key`]).
    pub async fn start_key_exchange(&mut self) -> Result<(), RemoteError> {
        if self.pool.has_session_key() || self.pool.key_exchange_pending() {
            return Ok(());
        }
        // RSA key generation is CPU work: off the I/O threads.
        let key = tokio::task::spawn_blocking(|| {
            ExchangeKey::generate(&mut rsa::rand_core::UnwrapErr(getrandom::SysRng))
        })
        .await
        .map_err(|e| RemoteError::Refused(format!("the exchange key was not made: {e}")))??;
        for p in self.pool.start_key_exchange(key)? {
            self.send(None, "stdin", p).await?;
        }
        Ok(())
    }

    /// Makes sure the session key is known, reading the pool's stream itself
    /// until ENCRYPTED_SESSION_KEY, within [`KEY_EXCHANGE_TIMEOUT`]: for a
    /// session with no keep-alive Receive running. Whatever else the pool's
    /// stream carries meanwhile is returned.
    pub async fn ensure_session_key(&mut self) -> Result<Vec<ClientEvent>, RemoteError> {
        let mut seen = Vec::new();
        self.start_key_exchange().await?;
        let deadline = tokio::time::Instant::now() + KEY_EXCHANGE_TIMEOUT;
        while !self.pool.has_session_key() {
            if tokio::time::Instant::now() >= deadline {
                return Err(key_exchange_timed_out());
            }
            let got = self.receive(None).await?;
            seen.extend(
                got.events
                    .into_iter()
                    .filter(|e| !matches!(e, ClientEvent::SessionKeyReady)),
            );
        }
        Ok(seen)
    }

    /// `text` as a SecureString for the server, exchanging the session key
    /// first if need be (reading the pool's stream itself).
    pub async fn secure_string(
        &mut self,
        text: &str,
    ) -> Result<crate::protocol::clixml::PsValue, RemoteError> {
        self.ensure_session_key().await?;
        Ok(self.pool.secure_string(text)?)
    }

    /// Answers a host call (Read-Host) on stream `pr`.
    pub async fn answer(&mut self, pid: Uuid, response: &HostResponse) -> Result<(), RemoteError> {
        self.send_messages(Some(pid), "pr", |pool| pool.host_response(pid, response))
            .await
    }

    /// Stops a running pipeline (`powershell/signal/crtl_c`, the protocol's spelling).
    pub async fn stop(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        self.signal(pid, shell::SIGNAL_PS_CRTL_C).await
    }

    /// Releases a finished pipeline on the server.
    pub async fn terminate(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        self.started.remove(&pid);
        self.to_reconnect.remove(&pid);
        self.signal(pid, shell::SIGNAL_TERMINATE).await
    }

    async fn signal(&mut self, pid: Uuid, code: &str) -> Result<(), RemoteError> {
        let req = Request::Signal {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: upper(pid),
            code: code.into(),
        };
        let ctx = self.remote.cancel_context();
        let (built, body) = self.remote.call_with(&ctx, &req, false).await?;
        Ok(shell::parse_empty_response(&built, &body)?)
    }

    /// `Disconnect-PSSession` ([MS-WSMV] §3.1.4.15).
    pub async fn disconnect(
        &mut self,
        idle_timeout_ms: Option<u64>,
        buffer_mode: Option<BufferMode>,
    ) -> Result<(), RemoteError> {
        if !self.pool.supports_disconnect() {
            return Err(RemoteError::Refused(
                "The disconnection operation is not supported on the remote computer. To support disconnecting, the remote computer must be running Windows PowerShell 3.0 or a later version of Windows PowerShell.".into(),
            ));
        }
        let req = Request::Disconnect {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            idle_timeout_ms,
            buffer_mode,
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_empty_response(&built, &body)?;
        self.pool.set_state(RunspacePoolState::Disconnected);
        self.disconnected_by_me = true;
        self.to_reconnect = self.started.clone();
        if let Some(ms) = idle_timeout_ms {
            self.info.idle_timeout_ms = Some(ms);
        }
        if let Some(b) = buffer_mode {
            self.info.buffer_mode = Some(b);
        }
        Ok(())
    }

    /// `Connect-PSSession` on a session this client disconnected ([MS-WSMV] §3.1.4.16).
    pub async fn reconnect(&mut self) -> Result<(), RemoteError> {
        // The session option's mode rides along, as [MS-PSRP] §3.1.5.3.18
        // allows. A Connect from a new client carries none: its body
        // ([MS-WSMV] §2.2.4.12 ConnectType) takes only elements of other
        // namespaces (connectXml), and the next Disconnect names the mode.
        let req = Request::Reconnect {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: None,
            buffer_mode: crate::worker::convert::wire_buffer_mode(self.buffer_mode),
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_empty_response(&built, &body)?;
        self.pool.set_state(RunspacePoolState::Opened);
        self.disconnected_by_me = false;
        Ok(())
    }

    /// Attaches to a command that ran while disconnected, so its output can
    /// be received: a command-level Reconnect for one this client started
    /// before it disconnected (after the shell's own Reconnect, [MS-PSRP]
    /// §3.1.5.3.18), Connect(CommandId) for any other. Returns the action sent.
    pub async fn attach_command(&mut self, pid: Uuid) -> Result<&'static str, RemoteError> {
        if self.to_reconnect.contains(&pid) && !self.disconnected_by_me {
            let req = Request::Reconnect {
                resource_uri: self.resource_uri.clone(),
                shell_id: upper(self.shell_id),
                command_id: Some(upper(pid)),
                buffer_mode: None,
            };
            // No recorded Windows exchange shows a command-level Reconnect;
            // a server that faults on it gets the Connect(CommandId) that
            // pypsrp's recordings show Windows answering.
            let reconnected = match self.remote.call(&req, false).await {
                Ok((built, body)) => {
                    shell::parse_empty_response(&built, &body).map_err(RemoteError::from)
                }
                Err(e) => Err(e),
            };
            self.to_reconnect.remove(&pid);
            return match reconnected {
                Ok(()) => Ok("Reconnect"),
                Err(RemoteError::Fault(_)) => {
                    self.connect_command(pid).await?;
                    Ok("Connect")
                }
                Err(e) => Err(e),
            };
        }
        self.connect_command(pid).await?;
        Ok("Connect")
    }

    /// Attaches to a command that ran while disconnected, so its output can be received.
    pub async fn connect_command(&mut self, pid: Uuid) -> Result<(), RemoteError> {
        let req = Request::ConnectCommand {
            resource_uri: self.resource_uri.clone(),
            shell_id: upper(self.shell_id),
            command_id: upper(pid),
        };
        let (built, body) = self.remote.call(&req, false).await?;
        shell::parse_connect_response(&built, &body)?;
        Ok(())
    }

    /// `Remove-PSSession`: deletes the shell.
    pub async fn delete(&mut self) -> Result<(), RemoteError> {
        self.remote
            .delete(&self.resource_uri, self.shell_id)
            .await?;
        self.pool.set_state(RunspacePoolState::Closed);
        Ok(())
    }
}
