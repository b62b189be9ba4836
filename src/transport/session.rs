//! An authenticated connection to a WinRM service: one TCP (or TLS) socket,
//! one security context, and message sealing over plain HTTP.
//!
//! The handshake follows [MS-WSMV] §2.2.9.1.1.1: empty-bodied POSTs carry the
//! `Authorization` tokens until the service answers 200, then every SOAP body
//! is sealed with that connection's keys. When the socket is lost, the next
//! request opens a new one and authenticates again from scratch: sealed bytes
//! are never sent with another connection's keys.

use std::time::Duration;

use super::TransportError;
use super::gss::GssClient;
use super::http::{ConnectOptions, Endpoint, HttpConnection};
use super::redirect;
use crate::protocol::ProtocolError;
use crate::protocol::auth::client::{ClientAuthenticator, ClientStep};
use crate::protocol::auth::sealing::{self, SealProtocol};
use crate::protocol::auth::{self, Credentials, Mechanism};
use crate::protocol::http::{HttpRequest, HttpResponse};

/// The SOAP content type of WS-Management.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

/// How a connection authenticates.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub mechanism: Mechanism,
    pub credentials: Credentials,
    /// Seal bodies over plain HTTP (off only with `NoEncryption`, which
    /// Windows refuses unless AllowUnencrypted is set).
    pub seal_over_http: bool,
    /// Allow Basic over plain HTTP (lab and AllowUnencrypted servers).
    pub allow_unencrypted: bool,
    /// Computer name NTLM reports for this client.
    pub workstation: String,
}

/// A WinRM connection that authenticates itself and seals messages.
pub struct WsmanConnection {
    endpoint: Endpoint,
    options: ConnectOptions,
    auth: AuthSettings,
    live: Option<Live>,
    /// Number of times this connection has authenticated (for diagnostics and tests).
    handshakes: u32,
    /// Redirects followed so far (against `MaximumConnectionRedirectionCount`).
    redirects: u32,
    /// What the user should hear of (a redirect followed), not yet taken.
    notices: Vec<String>,
    /// The realm and KDCs Kerberos uses, when given rather than looked up.
    kdc: Option<super::kdc::LocatedKdc>,
}

/// Why a request did not come back: an error, or a redirect to follow.
enum Flow {
    Error(TransportError),
    Redirect {
        status: u16,
        location: Option<String>,
    },
}

impl From<TransportError> for Flow {
    fn from(e: TransportError) -> Self {
        Flow::Error(e)
    }
}

/// The error for a connection lost between two legs of a handshake.
fn mid_handshake(via_proxy: bool) -> TransportError {
    TransportError::Auth(if via_proxy {
        "the proxy server closed the connection in the middle of the authentication handshake: it closes its connections after each request, so NTLM/Negotiate cannot reach the service through it over http; use https (the proxy tunnels it) or Basic".into()
    } else {
        "the service closed the connection in the middle of the authentication handshake".into()
    })
}

fn redirect_of(resp: &HttpResponse) -> Option<Flow> {
    redirect::is_redirect(resp.status).then(|| Flow::Redirect {
        status: resp.status,
        location: resp.header("location").map(str::to_owned),
    })
}

struct Live {
    http: HttpConnection,
    /// `None` for Basic, which sends its header on every request.
    authenticator: Option<Authenticator>,
}

/// The security context of a connection: sspi's with a password, or the
/// system GSSAPI's with the current user's tickets.
enum Authenticator {
    Sspi(Box<ClientAuthenticator>),
    Gss(Box<GssClient>, SealProtocol),
}

impl Authenticator {
    fn wrap(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, String), ProtocolError> {
        match self {
            Authenticator::Sspi(a) => a.wrap(plaintext),
            Authenticator::Gss(g, protocol) => sealing::wrap_body(g.as_mut(), *protocol, plaintext),
        }
    }

    fn unwrap(&mut self, body: &[u8], content_type: &str) -> Result<Vec<u8>, ProtocolError> {
        match self {
            Authenticator::Sspi(a) => a.unwrap(body, content_type),
            Authenticator::Gss(g, _) => sealing::unwrap_body(g.as_mut(), body, content_type),
        }
    }
}

/// Sends one leg of a handshake (an empty POST with the `Authorization`
/// token) and returns the answer; a redirect comes back as such, and a
/// connection lost after the first leg is a broken handshake.
async fn handshake_leg(
    http: &mut HttpConnection,
    path: &str,
    authorization: String,
    leg: usize,
    timeout: Duration,
) -> Result<HttpResponse, Flow> {
    let mut req = HttpRequest::post(path, Vec::new());
    req.set_header("Authorization", authorization);
    req.set_header("Content-Type", SOAP_CONTENT_TYPE);
    let resp = match http.send(req, timeout).await {
        Ok(r) => r,
        Err(TransportError::ConnectionClosed | TransportError::ConnectionClosedBeforeSend)
            if leg > 0 =>
        {
            return Err(Flow::Error(mid_handshake(http.via_proxy())));
        }
        Err(e) => return Err(e.into()),
    };
    match redirect_of(&resp) {
        Some(flow) => Err(flow),
        None => Ok(resp),
    }
}

/// One GSSAPI step on tokio's blocking pool (it may wait on the KDC).
async fn gss_step(
    mut gss: Box<GssClient>,
    input: Option<Vec<u8>>,
) -> Result<(Box<GssClient>, Option<Vec<u8>>), TransportError> {
    tokio::task::spawn_blocking(move || {
        let out = gss.step(input.as_deref());
        out.map(|t| (gss, t))
    })
    .await
    .map_err(|e| TransportError::Auth(format!("the GSSAPI step stopped: {e}")))?
    .map_err(|e| TransportError::Auth(e.to_string()))
}

impl std::fmt::Debug for WsmanConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsmanConnection")
            .field("endpoint", &self.endpoint.url())
            .field("mechanism", &self.auth.mechanism)
            .field("user", &self.auth.credentials.user())
            .field("connected", &self.live.is_some())
            .finish()
    }
}

impl WsmanConnection {
    /// A connection to `endpoint`; nothing is dialled until the first request.
    pub fn new(
        endpoint: Endpoint,
        options: ConnectOptions,
        auth: AuthSettings,
    ) -> Result<Self, TransportError> {
        auth::check_transport_security(auth.mechanism, endpoint.https, auth.allow_unencrypted)
            .map_err(|e| TransportError::Auth(e.to_string()))?;
        if auth.credentials.is_implicit()
            && !matches!(auth.mechanism, Mechanism::Negotiate | Mechanism::Kerberos)
        {
            return Err(TransportError::Auth(format!(
                "{} authentication needs a user name and password; only Negotiate and Kerberos sign in as the current user",
                auth.mechanism.scheme()
            )));
        }
        if auth.mechanism == Mechanism::Certificate && options.tls.client_certificate.is_none() {
            return Err(TransportError::Auth(
                "certificate authentication needs a client certificate (-CertificateThumbprint)"
                    .into(),
            ));
        }
        Ok(WsmanConnection {
            endpoint,
            options,
            auth,
            live: None,
            handshakes: 0,
            redirects: 0,
            notices: Vec::new(),
            kdc: None,
        })
    }

    /// Uses these KDCs of `realm` for Kerberos (and Negotiate) instead of
    /// looking them up in krb5.conf and DNS.
    pub fn with_kdc(
        mut self,
        realm: &str,
        kdcs: Vec<crate::protocol::auth::kerberos::KdcAddress>,
    ) -> Self {
        self.kdc = Some(super::kdc::LocatedKdc {
            realm: realm.to_owned(),
            kdcs,
        });
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// How many times this connection authenticated (a new socket each time).
    pub fn handshakes(&self) -> u32 {
        self.handshakes
    }

    /// What the user should hear of since the last call (a redirect followed).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// How many redirects this connection followed.
    pub fn redirects(&self) -> u32 {
        self.redirects
    }

    /// Drops the socket; the next request dials and authenticates again.
    pub fn reset(&mut self) {
        self.live = None;
    }

    fn seals(&self) -> bool {
        self.auth.mechanism.seals() && !self.endpoint.https && self.auth.seal_over_http
    }

    async fn establish(&mut self, timeout: Duration) -> Result<(), Flow> {
        if let Some(live) = &self.live
            && !live.http.is_closed()
        {
            return Ok(());
        }
        self.live = None;
        let mut http = HttpConnection::connect(&self.endpoint, &self.options).await?;
        self.handshakes += 1;
        if matches!(
            self.auth.mechanism,
            Mechanism::Basic | Mechanism::Certificate
        ) {
            self.live = Some(Live {
                http,
                authenticator: None,
            });
            return Ok(());
        }
        if self.auth.credentials.is_implicit() {
            return self.establish_implicit(http, timeout).await;
        }
        let mut authenticator = ClientAuthenticator::new(
            self.auth.mechanism,
            self.auth.credentials.clone(),
            &self.endpoint.host,
            &self.auth.workstation,
        );
        if let Some(cert) = http.peer_certificate() {
            authenticator = authenticator
                .with_server_certificate(cert.as_ref())
                .map_err(|e| TransportError::Auth(e.to_string()))?;
        }
        let (authenticator_kdc, mut kdc) = super::kdc::prepare(
            self.auth.mechanism,
            self.auth.credentials.user(),
            timeout,
            self.kdc.as_ref(),
        )
        .await?;
        if let Some((realm, address)) = authenticator_kdc {
            authenticator = authenticator.with_kdc(&realm, address);
        }
        let first = authenticator
            .start_with(&mut kdc)
            .await
            .map_err(|e| super::kdc::auth_error(e, self.auth.credentials.user()))?;
        let mut header = first.to_string();
        // A handshake takes two or three legs; more means a confused peer.
        for leg in 0..6 {
            let resp =
                handshake_leg(&mut http, &self.endpoint.path, header.clone(), leg, timeout).await?;
            let www: Vec<&str> = resp.headers_named("www-authenticate").collect();
            match authenticator
                .on_response_with(resp.status, www, &mut kdc)
                .await
            {
                Ok(ClientStep::Send(next)) => {
                    if http.is_closed() {
                        return Err(Flow::Error(mid_handshake(http.via_proxy())));
                    }
                    header = next;
                }
                Ok(ClientStep::Done) => {
                    self.live = Some(Live {
                        http,
                        authenticator: Some(Authenticator::Sspi(Box::new(authenticator))),
                    });
                    return Ok(());
                }
                Err(e) => {
                    return Err(Flow::Error(if resp.status == 401 {
                        TransportError::AccessDenied(format!(
                            "{} was refused by {}: {e}",
                            self.auth.credentials.user(),
                            self.endpoint.host
                        ))
                    } else {
                        TransportError::Auth(e.to_string())
                    }));
                }
            }
        }
        Err(Flow::Error(TransportError::Auth(
            "the authentication handshake did not finish".into(),
        )))
    }

    /// The handshake with the current user's credentials, through GSSAPI:
    /// the same legs as with a password ([MS-WSMV] §2.2.9.1.1.1).
    async fn establish_implicit(
        &mut self,
        mut http: HttpConnection,
        timeout: Duration,
    ) -> Result<(), Flow> {
        let scheme = self.auth.mechanism.scheme();
        let refused = |detail: String| {
            Flow::Error(TransportError::AccessDenied(format!(
                "{} was refused by {}: {detail}",
                self.auth.credentials.user(),
                self.endpoint.host
            )))
        };
        let mut gss = GssClient::new(
            &self.endpoint.host,
            self.auth.mechanism != Mechanism::Kerberos,
        )
        .map_err(|e| TransportError::Auth(e.to_string()))?;
        if let Some(cert) = http.peer_certificate() {
            let app = auth::tls_server_end_point(cert.as_ref())
                .map_err(|e| TransportError::Auth(e.to_string()))?;
            gss = gss.with_channel_bindings(app);
        }
        let (mut gss, first) = gss_step(Box::new(gss), None).await?;
        let mut token =
            first.ok_or_else(|| TransportError::Auth("GSSAPI produced no initial token".into()))?;
        for leg in 0..6 {
            let header = format!(
                "{scheme} {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &token)
            );
            let resp = handshake_leg(&mut http, &self.endpoint.path, header, leg, timeout).await?;
            let challenges = auth::parse_challenges(resp.headers_named("www-authenticate"))
                .map_err(|e| TransportError::Auth(e.to_string()))?;
            let answer = challenges
                .into_iter()
                .find(|c| c.scheme.eq_ignore_ascii_case(scheme))
                .and_then(|c| c.token);
            match (resp.status, answer) {
                (200, answer) => {
                    // The final token carries the server's mutual authentication.
                    if !gss.is_complete() {
                        let (done, _) = gss_step(gss, answer)
                            .await
                            .map_err(|e| refused(e.to_string()))?;
                        gss = done;
                    }
                    if !gss.is_complete() {
                        return Err(refused(
                            "the service accepted an unfinished handshake".into(),
                        ));
                    }
                    self.live = Some(Live {
                        http,
                        authenticator: Some(Authenticator::Gss(
                            gss,
                            self.auth.mechanism.seal_protocol(),
                        )),
                    });
                    return Ok(());
                }
                (401, Some(answer)) if !gss.is_complete() => {
                    let (next, out) = gss_step(gss, Some(answer))
                        .await
                        .map_err(|e| refused(e.to_string()))?;
                    gss = next;
                    token =
                        out.ok_or_else(|| refused("the handshake stopped without a token".into()))?;
                    if http.is_closed() {
                        return Err(Flow::Error(mid_handshake(http.via_proxy())));
                    }
                }
                (401, _) => {
                    return Err(refused(format!(
                        "the service did not accept the {scheme} token"
                    )));
                }
                (status, _) => {
                    return Err(Flow::Error(TransportError::Http(format!(
                        "unexpected HTTP status {status} during the {scheme} handshake"
                    ))));
                }
            }
        }
        Err(Flow::Error(TransportError::Auth(
            "the authentication handshake did not finish".into(),
        )))
    }

    /// Posts one SOAP envelope and returns the (unsealed) response. When
    /// `retry_on_lost_connection` is set and the socket turns out to be dead,
    /// re-authenticates on a new socket and sends again once (only for
    /// requests that are safe to repeat, such as Receive, Get, Enumerate).
    pub async fn post(
        &mut self,
        soap: &[u8],
        timeout: Duration,
        retry_on_lost_connection: bool,
    ) -> Result<HttpResponse, TransportError> {
        let mut retried = false;
        loop {
            match self.post_once(soap, timeout).await {
                Ok(resp) => return Ok(resp),
                Err(Flow::Redirect { status, location }) => {
                    self.live = None;
                    let next = redirect::next_endpoint(
                        self.options.redirect,
                        self.redirects,
                        &self.endpoint,
                        status,
                        location.as_deref(),
                    )?;
                    auth::check_transport_security(
                        self.auth.mechanism,
                        next.https,
                        self.auth.allow_unencrypted,
                    )
                    .map_err(|e| {
                        TransportError::Redirect(format!(
                            "the redirect to {} was not followed: {e}",
                            next.url()
                        ))
                    })?;
                    // PowerShell's warning, said once by the worker.
                    self.notices.push(format!(
                        "Your connection has been redirected to the following URI: \"{}\"",
                        next.url()
                    ));
                    self.redirects += 1;
                    self.endpoint = next;
                }
                Err(Flow::Error(TransportError::ConnectionClosed))
                    if retry_on_lost_connection && !retried =>
                {
                    retried = true;
                    self.live = None;
                }
                // Never written: safe to send on a new connection whatever
                // the request is.
                Err(Flow::Error(TransportError::ConnectionClosedBeforeSend)) if !retried => {
                    retried = true;
                    self.live = None;
                }
                Err(Flow::Error(e)) => return Err(e),
            }
        }
    }

    async fn post_once(&mut self, soap: &[u8], timeout: Duration) -> Result<HttpResponse, Flow> {
        self.establish(timeout).await?;
        let seals = self.seals();
        let path = self.endpoint.path.clone();
        let basic = match self.auth.mechanism {
            Mechanism::Basic => Some(auth::basic_authorization(&self.auth.credentials)),
            Mechanism::Certificate => Some(zeroize::Zeroizing::new(
                auth::CERTIFICATE_AUTHORIZATION.to_owned(),
            )),
            _ => None,
        };
        let live = self.live.as_mut().ok_or(TransportError::ConnectionClosed)?;
        let mut req = if seals {
            super::trace::log_unsealed("> POST", &self.endpoint.url(), soap);
            let authenticator = live
                .authenticator
                .as_mut()
                .ok_or_else(|| TransportError::Auth("no security context to seal with".into()))?;
            let (body, content_type) = authenticator
                .wrap(soap)
                .map_err(|e| TransportError::Auth(e.to_string()))?;
            let mut r = HttpRequest::post(&path, body);
            r.set_header("Content-Type", content_type);
            r
        } else {
            let mut r = HttpRequest::post(&path, soap.to_vec());
            r.set_header("Content-Type", SOAP_CONTENT_TYPE);
            r
        };
        if let Some(b) = &basic {
            req.set_header("Authorization", b.as_str());
        }
        let result = live.http.send(req, timeout).await;
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                // A request that failed midway leaves the connection unusable:
                // a late answer must not be read as the next one's.
                self.live = None;
                return Err(Flow::Error(e));
            }
        };
        let content_type = resp.header("content-type").unwrap_or("").to_owned();
        if auth::sealing::is_encrypted_content_type(&content_type) {
            let authenticator = live.authenticator.as_mut().ok_or_else(|| {
                TransportError::Auth("a sealed response on an unsealed connection".into())
            })?;
            resp.body = authenticator
                .unwrap(&resp.body, &content_type)
                .map_err(|e| TransportError::Auth(e.to_string()))?;
            resp.set_header("Content-Type", SOAP_CONTENT_TYPE);
            super::trace::log_unsealed(
                &format!("< {}", resp.status),
                &self.endpoint.url(),
                &resp.body,
            );
        } else if seals && matches!(resp.status, 200 | 500) {
            // Messages on this connection are encrypted: an answer in plain
            // text did not come from the server that holds the keys (or the
            // server dropped encryption). It is refused, never read.
            self.live = None;
            return Err(Flow::Error(TransportError::Auth(format!(
                "{} answered in plain text (HTTP {}, Content-Type {:?}) on a connection whose messages are encrypted; the answer was refused",
                self.endpoint.host, resp.status, content_type
            ))));
        }
        if let Some(flow) = redirect_of(&resp) {
            return Err(flow);
        }
        match resp.status {
            200 | 500 => Ok(resp),
            401 | 403 if self.auth.mechanism == Mechanism::Certificate => {
                self.live = None;
                Err(Flow::Error(TransportError::AccessDenied(
                    certificate_refusal(resp.status, &self.endpoint.host, &self.options),
                )))
            }
            401 => {
                self.live = None;
                Err(Flow::Error(TransportError::AccessDenied(format!(
                    "{} is not allowed on {} (HTTP 401)",
                    self.auth.credentials.user(),
                    self.endpoint.host
                ))))
            }
            400 => {
                self.live = None;
                Err(Flow::Error(TransportError::Http(
                    "the service refused the request (HTTP 400); the connection was reset and will authenticate again".into(),
                )))
            }
            413 => Err(Flow::Error(TransportError::RequestTooLarge)),
            other => Err(Flow::Error(TransportError::Http(format!(
                "unexpected HTTP status {other} from {}",
                self.endpoint.host
            )))),
        }
    }
}

/// Why a server answered 401/403 to client-certificate authentication.
fn certificate_refusal(status: u16, host: &str, options: &ConnectOptions) -> String {
    let thumb = options
        .tls
        .client_certificate
        .as_ref()
        .map(|c| c.thumbprint())
        .unwrap_or_default();
    if status == 403 {
        format!(
            "{host} accepted the client certificate {thumb} in TLS but maps it to no user (HTTP 403): on the server, New-Item WSMan:\\localhost\\ClientCertificate -Subject <the certificate's subject> -Issuer <its CA's thumbprint> -Credential <local user>"
        )
    } else {
        format!(
            "{host} did not receive a client certificate it accepts (HTTP 401): certificate authentication must be enabled there (Service\\Auth\\Certificate) and the HTTPS listener must ask for client certificates"
        )
    }
}
