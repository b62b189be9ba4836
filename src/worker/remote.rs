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

mod session;
pub use session::*;

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

/// How connections to `spec`'s computer are made: timeouts, TLS checks,
/// the proxy and the redirect policy.
fn connect_options(
    spec: &ConnectionSpec,
    extras: &HttpExtras,
    client_certificate: Option<Arc<crate::transport::tls::ClientCertificate>>,
) -> Result<ConnectOptions, RemoteError> {
    Ok(ConnectOptions {
        connect_timeout: Duration::from_millis(spec.open_timeout_ms.clamp(1_000, 180_000)),
        max_response_bytes: 64 << 20,
        tls: TlsOptions {
            danger_skip_ca_check: spec.skip_ca_check,
            danger_skip_cn_check: spec.skip_cn_check,
            danger_skip_revocation_check: spec.skip_revocation_check,
            extra_roots: Vec::new(),
            client_certificate,
        },
        proxy: proxy_settings(spec, extras)?,
        redirect: RedirectPolicy {
            allow: spec.allow_redirection,
            max: spec.maximum_connection_redirection_count,
        },
    })
}

/// `Test-WSMan` without credentials: the anonymous Identify PowerShell
/// sends, on a connection of its own (or to an in-process service). The
/// server answers without signing anyone in, and without its OS version.
pub async fn identify_anonymous(
    spec: &ConnectionSpec,
    in_process: Option<Arc<dyn WsmanService>>,
    extras: &HttpExtras,
) -> Result<IdentifyInfo, RemoteError> {
    let built = shell::identify_request();
    let timeout = Duration::from_millis(spec.operation_timeout_ms.clamp(1_000, 600_000) + 15_000);
    let (status, body) = if let Some(service) = in_process {
        crate::transport::in_process::InProcessLink::anonymous(service)
            .identify_unauthenticated(built.xml.as_bytes(), timeout)
            .await?
    } else {
        let endpoint = Endpoint::parse(&spec.url())?;
        let options = connect_options(spec, extras, None)?;
        crate::transport::http::identify_unauthenticated(
            &endpoint,
            &options,
            built.xml.as_bytes(),
            timeout,
        )
        .await?
    };
    if status == 401 {
        return Err(RemoteError::Refused(
            "the WinRM service does not answer anonymous Identify requests; give -Credential or -Authentication to sign in".into(),
        ));
    }
    Ok(shell::parse_identify_response(&body)?)
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
    /// What the user should hear of (a redirect followed), not yet said.
    notices: Mutex<Vec<String>>,
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
        let options = connect_options(&spec, extras, client_certificate)?;
        Ok(Remote {
            name: name.to_owned(),
            ctx: Self::context(&spec, session_id),
            max_envelope: MAX_ENVELOPE_SIZE.into(),
            notices: Mutex::new(Vec::new()),
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
            notices: Mutex::new(Vec::new()),
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
                let sent = conn.post(xml.as_bytes(), timeout, retry).await;
                self.notices
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(conn.take_notices());
                let resp = sent?;
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

    /// Closes the authenticated connections kept for this computer's next
    /// requests (each holds its HTTP buffers and security context, about
    /// 30 KB); the next request opens and authenticates a new one. A
    /// connection in use by a request is not among them.
    pub fn release_idle(&self) {
        if let Link::Http { idle, .. } = &self.link {
            let released = std::mem::take(
                &mut *idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            drop(released);
        }
    }

    /// What the user should hear of since the last call, said once.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .notices
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
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
    crate::transport::workstation()
}
