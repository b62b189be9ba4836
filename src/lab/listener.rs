//! The lab's loopback HTTP(S) listener: the part of an emulated WinRM service
//! that HTTP.sys and the WinRM service's authentication do on Windows.
//!
//! Each TCP connection has its own authentication state, exactly like a
//! Windows server: NTLM (raw or in Negotiate/SPNEGO) authenticates the
//! connection and seals every later body with that connection's keys; Basic
//! is accepted only when enabled, and over plain HTTP only with
//! `allow_unencrypted`; unsealed SOAP over HTTP is refused unless
//! `allow_unencrypted` is set. The SOAP itself goes to a [`WsmanService`].

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::tls::{CertificateMapping, map_certificate};
use crate::protocol::auth::CERTIFICATE_AUTHORIZATION;
use crate::protocol::auth::credssp_server::CredSspAcceptor;
use crate::protocol::auth::sealing::is_encrypted_content_type;
use crate::protocol::auth::server::{AcceptOutcome, ServerAcceptor, UserTable, initial_challenges};
pub use crate::protocol::http::{Caller, WsmanService};
use crate::protocol::http::{HttpRequest, HttpResponse};

/// What the listener accepts.
#[derive(Clone, Debug)]
pub struct ListenerSettings {
    pub users: UserTable,
    /// `Auth\Basic` (off by default, as on Windows).
    pub allow_basic: bool,
    /// `Service\AllowUnencrypted` (off by default, as on Windows).
    pub allow_unencrypted: bool,
    /// The largest request body accepted (Windows: MaxEnvelopeSizekb plus
    /// sealing overhead); larger requests get HTTP 413.
    pub max_request_bytes: usize,
    /// `Service\Auth\CredSSP` (off by default, as on Windows, where
    /// `Enable-WSManCredSSP -Role Server` turns it on). Off, a CredSSP
    /// handshake gets the plain 401 challenge without the CredSSP scheme.
    pub allow_credssp: bool,
    /// `Service\Auth\Certificate` with its `ClientCertificate` mappings
    /// (HTTPS only; empty = off, as on Windows). A request carrying the
    /// https/mutual `Authorization` value logs on as the user its TLS client
    /// certificate maps to: no certificate → 401, an unmapped one → 403.
    pub certificate_mappings: Vec<CertificateMapping>,
    /// The CA certificates the mappings' issuer thumbprints refer to.
    pub certificate_issuers: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// A hostile server, for tests: answers sealed requests in plain text
    /// (a man in the middle that cannot seal). Never on in `baton lab`.
    pub answer_in_plaintext: bool,
    /// How long a client may take to send a request's headers (or, between
    /// requests, to start the next one), to complete TLS, or between two
    /// parts of a body, before its connection is closed (HTTP.sys closes
    /// idle connections after two minutes).
    pub read_timeout: std::time::Duration,
    /// The most connections served at once; more are closed as they come.
    pub max_connections: usize,
}

impl Default for ListenerSettings {
    fn default() -> Self {
        ListenerSettings {
            users: UserTable::new(),
            allow_basic: false,
            allow_unencrypted: false,
            max_request_bytes: 512_000 + 64 * 1024,
            allow_credssp: false,
            certificate_mappings: Vec::new(),
            certificate_issuers: Vec::new(),
            answer_in_plaintext: false,
            read_timeout: std::time::Duration::from_mins(2),
            max_connections: 256,
        }
    }
}

/// Per-connection state.
struct ConnState {
    acceptor: ServerAcceptor,
    user: Option<String>,
    /// The CredSSP acceptor, when CredSSP authenticates this connection.
    credssp: Option<CredSspAcceptor>,
    /// The certificate the client presented in the TLS handshake.
    client_certificate: Option<rustls::pki_types::CertificateDer<'static>>,
}

/// The TCP connections a listener has accepted, and how many are still open.
#[derive(Debug, Default)]
pub struct ConnectionCount {
    accepted: std::sync::atomic::AtomicU64,
    open: std::sync::atomic::AtomicU64,
}

impl ConnectionCount {
    /// Connections accepted since the listener started.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections open now (the server has not seen them close).
    pub fn open(&self) -> u64 {
        self.open.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Counts one open connection while it lives.
struct OpenConnection(Arc<ConnectionCount>);

impl OpenConnection {
    fn new(count: Arc<ConnectionCount>) -> Self {
        count
            .accepted
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        count.open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        OpenConnection(count)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0
            .open
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A running listener; dropping the handle does not stop it, [`ListenerHandle::stop`] does.
pub struct ListenerHandle {
    pub local_addr: SocketAddr,
    /// The connections it accepted (tests see clients open and close them).
    pub connections: Arc<ConnectionCount>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ListenerHandle {
    /// Stops accepting and waits for the accept loop to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves `service` with plain HTTP.
pub async fn serve_http<S: WsmanService>(
    addr: SocketAddr,
    settings: ListenerSettings,
    service: Arc<S>,
) -> std::io::Result<ListenerHandle> {
    serve(addr, settings, service, None).await
}

/// Binds `addr` and serves `service` over TLS with `tls`.
pub async fn serve_https<S: WsmanService>(
    addr: SocketAddr,
    settings: ListenerSettings,
    service: Arc<S>,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<ListenerHandle> {
    serve(addr, settings, service, Some(tls)).await
}

async fn serve<S: WsmanService>(
    addr: SocketAddr,
    settings: ListenerSettings,
    service: Arc<S>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<ListenerHandle> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let settings = Arc::new(settings);
    let https = tls.is_some();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let connections = Arc::new(ConnectionCount::default());
    let count = connections.clone();
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1)));
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop_rx.changed() => break,
            };
            let Ok((tcp, peer)) = accepted else { continue };
            // Over the cap: closed at once, before anything is read.
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                drop(tcp);
                continue;
            };
            let service = service.clone();
            let settings = settings.clone();
            let acceptor = acceptor.clone();
            let mut conn_stop = stop_rx.clone();
            let counted = OpenConnection::new(count.clone());
            tokio::spawn(async move {
                let _counted = counted;
                let _slot = slot;
                let read_timeout = settings.read_timeout;
                let state = Arc::new(Mutex::new(ConnState {
                    acceptor: ServerAcceptor::new(settings.users.clone()),
                    user: None,
                    credssp: None,
                    client_certificate: None,
                }));
                let conn_state = state.clone();
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let service = service.clone();
                    let settings = settings.clone();
                    let state = state.clone();
                    async move {
                        let resp =
                            handle(req, peer.ip(), https, &settings, &state, &*service).await;
                        Ok::<_, Infallible>(resp)
                    }
                });
                let mut builder = http1::Builder::new();
                builder
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(read_timeout);
                if let Some(acc) = acceptor {
                    let Ok(Ok(tls)) = tokio::time::timeout(read_timeout, acc.accept(tcp)).await
                    else {
                        return;
                    };
                    let presented = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .cloned();
                    conn_state
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .client_certificate = presented;
                    let conn = builder.serve_connection(TokioIo::new(tls), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_stop.changed() => {}
                    }
                } else {
                    let conn = builder.serve_connection(TokioIo::new(tcp), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_stop.changed() => {}
                    }
                }
            });
        }
    });
    Ok(ListenerHandle {
        local_addr,
        connections,
        stop: stop_tx,
        task,
    })
}

fn respond(resp: HttpResponse) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.header("Server", "Microsoft-HTTPAPI/2.0")
        .body(Full::new(Bytes::from(resp.body)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

fn challenge(settings: &ListenerSettings, https: bool) -> HttpResponse {
    let mut r = HttpResponse::new(401, Vec::new());
    for c in initial_challenges(settings.allow_basic && (https || settings.allow_unencrypted)) {
        r.headers.push(("WWW-Authenticate".into(), c));
    }
    if settings.allow_credssp {
        r.headers
            .push(("WWW-Authenticate".into(), "CredSSP".into()));
    }
    r
}

/// Steps the connection's handshake (Negotiate/NTLM/Kerberos, CredSSP), or
/// identifies a Basic or client-certificate caller. The user, when the
/// request may go on (None: not authenticated yet), or the answer to give
/// instead (a challenge, a handshake leg, a refusal).
fn authenticate(
    request: &HttpRequest,
    authorization: Option<&str>,
    https: bool,
    settings: &ListenerSettings,
    state: &Mutex<ConnState>,
) -> Result<Option<String>, HttpResponse> {
    let user = {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(auth) = authorization {
            if auth.trim().eq_ignore_ascii_case(CERTIFICATE_AUTHORIZATION) {
                if !https || settings.certificate_mappings.is_empty() {
                    return Err(challenge(settings, https));
                }
                let Some(cert) = st.client_certificate.clone() else {
                    return Err(challenge(settings, https));
                };
                let user = map_certificate(
                    cert.as_ref(),
                    &settings.certificate_mappings,
                    &settings.certificate_issuers,
                )
                .and_then(|name| {
                    settings
                        .users
                        .users()
                        .iter()
                        .find(|u| u.qualified().eq_ignore_ascii_case(&name))
                        .map(super::super::protocol::auth::server::LabUser::qualified)
                });
                match user {
                    Some(u) => Some(u),
                    None => return Err(HttpResponse::new(403, Vec::new())),
                }
            } else if auth
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("credssp ")
            {
                if !settings.allow_credssp {
                    return Err(challenge(settings, https));
                }
                if st.user.is_some() || st.credssp.is_none() {
                    // A new handshake (on a new or an authenticated connection).
                    st.user = None;
                    st.acceptor = ServerAcceptor::new(settings.users.clone());
                    match CredSspAcceptor::new(settings.users.clone()) {
                        Ok(a) => st.credssp = Some(a),
                        Err(_) => return Err(HttpResponse::new(500, Vec::new())),
                    }
                }
                let outcome = match st.credssp.as_mut() {
                    Some(a) => a.accept(auth),
                    None => return Err(challenge(settings, https)),
                };
                match outcome {
                    Ok(AcceptOutcome::Continue { www_authenticate }) => {
                        let mut r = HttpResponse::new(401, Vec::new());
                        r.headers
                            .push(("WWW-Authenticate".into(), www_authenticate));
                        return Err(r);
                    }
                    Ok(AcceptOutcome::Accepted { user, .. }) => {
                        st.user = Some(user.clone());
                        if request.body.is_empty() {
                            return Err(HttpResponse::new(200, Vec::new()));
                        }
                        Some(user)
                    }
                    Ok(AcceptOutcome::Denied { .. }) | Err(_) => {
                        st.credssp = None;
                        return Err(challenge(settings, https));
                    }
                }
            } else if auth.trim_start().to_ascii_lowercase().starts_with("basic ") {
                if !(settings.allow_basic && (https || settings.allow_unencrypted)) {
                    return Err(challenge(settings, https));
                }
                match settings.users.check_basic(auth) {
                    Some(u) => Some(u.qualified()),
                    None => return Err(challenge(settings, https)),
                }
            } else {
                st.credssp = None;
                if st.user.is_some() {
                    // A new handshake on an authenticated connection restarts it.
                    st.acceptor = ServerAcceptor::new(settings.users.clone());
                    st.user = None;
                }
                match st.acceptor.accept(auth) {
                    Ok(AcceptOutcome::Continue { www_authenticate }) => {
                        let mut r = HttpResponse::new(401, Vec::new());
                        r.headers
                            .push(("WWW-Authenticate".into(), www_authenticate));
                        return Err(r);
                    }
                    Ok(AcceptOutcome::Accepted {
                        user,
                        www_authenticate,
                    }) => {
                        st.user = Some(user.clone());
                        if request.body.is_empty() {
                            let mut r = HttpResponse::new(200, Vec::new());
                            if let Some(w) = www_authenticate {
                                r.headers.push(("WWW-Authenticate".into(), w));
                            }
                            return Err(r);
                        }
                        Some(user)
                    }
                    Ok(AcceptOutcome::Denied { .. }) | Err(_) => {
                        st.acceptor = ServerAcceptor::new(settings.users.clone());
                        st.user = None;
                        return Err(challenge(settings, https));
                    }
                }
            }
        } else {
            st.user.clone()
        }
    };
    Ok(user)
}

async fn handle<S: WsmanService>(
    req: hyper::Request<hyper::body::Incoming>,
    client_ip: IpAddr,
    https: bool,
    settings: &ListenerSettings,
    state: &Mutex<ConnState>,
    service: &S,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match read_body(body, settings.max_request_bytes, settings.read_timeout).await {
        Body::Read(b) => b,
        Body::TooLarge => {
            // The body was dropped unread, sealed with the connection's next
            // sequence number: the seal state is out of step, so the
            // connection ends here (as HTTP.sys ends it) and the client
            // authenticates again on a new one.
            let mut r = HttpResponse::new(413, Vec::new());
            r.headers.push(("Connection".into(), "close".into()));
            return respond(r);
        }
        Body::Broken => {
            let mut r = HttpResponse::new(400, Vec::new());
            r.headers.push(("Connection".into(), "close".into()));
            return respond(r);
        }
    };
    let request = HttpRequest {
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned(),
        headers,
        body,
    };
    if request.method != "POST" {
        return respond(HttpResponse::new(405, Vec::new()));
    }
    // Test-WSMan without credentials ([MS-WSMV] §3.1.4.1.23).
    if request
        .header("WSMANIDENTIFY")
        .is_some_and(|v| v.eq_ignore_ascii_case("unauthenticated"))
    {
        let caller = Caller {
            user: String::new(),
            client_ip,
        };
        let resp = service.handle(caller, request).await;
        // Anything but Identify needs credentials: the service says 401 and
        // the client gets the usual challenges.
        if resp.status == 401 {
            return respond(challenge(settings, https));
        }
        return respond(resp);
    }
    let authorization = request.header("authorization").map(str::to_owned);
    // Step the handshake, or identify a Basic caller.
    let user = match authenticate(&request, authorization.as_deref(), https, settings, state) {
        Ok(user) => user,
        Err(refusal) => return respond(refusal),
    };
    let Some(user) = user else {
        return respond(challenge(settings, https));
    };
    let content_type = request.header("content-type").unwrap_or("").to_owned();
    let sealed = is_encrypted_content_type(&content_type);
    let mut plain = request.clone();
    if sealed {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let unsealed = match st.credssp.as_mut() {
            Some(c) => c.unwrap(&request.body, &content_type),
            None => st.acceptor.unwrap(&request.body, &content_type),
        };
        match unsealed {
            Ok(b) => plain.body = b,
            // A body sealed with keys this connection does not have: what
            // Windows answers a stale connection with.
            Err(_) => return respond(HttpResponse::new(400, Vec::new())),
        }
        plain.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
    } else if !https
        && !settings.allow_unencrypted
        && authorization
            .as_deref()
            .is_none_or(|a| !a.to_ascii_lowercase().starts_with("basic "))
    {
        // AllowUnencrypted=false: the service refuses clear SOAP on HTTP.
        return respond(challenge(settings, https));
    }
    let caller = Caller { user, client_ip };
    let mut resp = service.handle(caller, plain).await;
    if sealed && !resp.body.is_empty() && !settings.answer_in_plaintext {
        let mut st = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sealed = match st.credssp.as_mut() {
            Some(c) => c.wrap(&resp.body),
            None => st.acceptor.wrap(&resp.body),
        };
        match sealed {
            Ok((body, ct)) => {
                resp.body = body;
                resp.set_header("Content-Type", ct);
            }
            Err(_) => return respond(HttpResponse::new(500, Vec::new())),
        }
    }
    respond(resp)
}

/// How much of an over-long body is read and dropped so that the client,
/// still sending, reads the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

enum Body {
    Read(Vec<u8>),
    /// Longer than the limit.
    TooLarge,
    /// The body could not be read (bad framing, connection lost).
    Broken,
}

/// Reads a request body of at most `limit` bytes. A longer one is read on
/// (up to [`DRAIN_LIMIT`]) and dropped, so the client, still sending, sees
/// the 413 rather than a reset connection.
async fn read_body(
    mut body: hyper::body::Incoming,
    limit: usize,
    read_timeout: std::time::Duration,
) -> Body {
    let mut data = Vec::new();
    let mut seen = 0usize;
    loop {
        // A client that stops sending halfway is not waited for forever.
        let Ok(next) = tokio::time::timeout(read_timeout, body.frame()).await else {
            return Body::Broken;
        };
        let Some(frame) = next else {
            break;
        };
        let Ok(frame) = frame else {
            return if seen > limit {
                Body::TooLarge
            } else {
                Body::Broken
            };
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            data.extend_from_slice(&chunk);
        } else {
            data = Vec::new();
            if seen > DRAIN_LIMIT {
                return Body::TooLarge;
            }
        }
    }
    if seen > limit {
        Body::TooLarge
    } else {
        Body::Read(data)
    }
}
