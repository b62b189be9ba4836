//! The client side: an authentication step machine per TCP connection, then
//! sealing of request bodies and unsealing of responses.
//!
//! Handshake ([MS-WSMV] §2.2.9.1.1.1; protocol brief §6.2): the transport
//! sends [`ClientAuthenticator::start`]'s header with an empty body, passes
//! every response's status and `WWW-Authenticate` values to
//! [`ClientAuthenticator::on_response`], and sends the returned header until
//! it answers [`ClientStep::Done`]. The final 200 may carry the acceptor's
//! last SPNEGO token (mechListMIC), which must be fed in before sealing.
//!
//! Kerberos (raw, or chosen by Negotiate when [`ClientAuthenticator::with_kdc`]
//! names the realm's KDC) talks to the KDC during the first step: the
//! transport uses [`ClientAuthenticator::start_with`] and
//! [`ClientAuthenticator::on_response_with`], handing in a [`KdcExchange`].
//! The plain `start`/`on_response` serve mechanisms that never need it.

use zeroize::Zeroizing;

use super::credssp::{CredSspSession, CredSspStep};
use super::kerberos::{KdcAddress, KdcExchange, NoKdc};
use super::sealing::{self, SealingContext};
use super::sspi_glue::{SspiContext, identity};
use super::{Credentials, Mechanism, basic_authorization, parse_challenges, token_header};
use crate::protocol::ProtocolError;

/// What the transport does next.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientStep {
    /// Send another request (empty body) with this `Authorization` value.
    Send(String),
    /// The connection is authenticated.
    Done,
}

impl std::fmt::Debug for ClientStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientStep::Send(h) => {
                let scheme = h.split(' ').next().unwrap_or("");
                write!(f, "Send({scheme} …)")
            }
            ClientStep::Done => f.write_str("Done"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Initial,
    InProgress,
    Complete,
    Failed,
}

/// The client authenticator of one connection.
pub struct ClientAuthenticator {
    mechanism: Mechanism,
    credentials: Credentials,
    context: Option<SspiContext>,
    /// The CredSSP client (TLS channel and TSRequest machine), for CredSSP.
    credssp: Option<Box<CredSspSession>>,
    host: String,
    channel_bindings: Option<Vec<u8>>,
    target: String,
    workstation: String,
    state: State,
    /// Whether sspi reported its context complete (it may still take a final
    /// server token).
    sspi_done: bool,
    /// The user's realm and its KDC, for Kerberos (and Negotiate preferring it).
    kdc: Option<(String, KdcAddress)>,
}

impl std::fmt::Debug for ClientAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuthenticator")
            .field("mechanism", &self.mechanism)
            .field("user", &self.credentials.user())
            .field("target", &self.target)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ClientAuthenticator {
    /// A fresh authenticator for one connection to `host`. `workstation` is
    /// the client computer name NTLM reports.
    pub fn new(
        mechanism: Mechanism,
        credentials: Credentials,
        host: &str,
        workstation: &str,
    ) -> Self {
        ClientAuthenticator {
            mechanism,
            credentials,
            context: None,
            credssp: None,
            host: host.to_owned(),
            channel_bindings: None,
            target: format!("HTTP/{host}"),
            workstation: workstation.to_owned(),
            state: State::Initial,
            sspi_done: false,
            kdc: None,
        }
    }

    /// Sets the user's realm and its KDC: Kerberos uses them, and Negotiate
    /// then offers Kerberos first (falling back to NTLM when the KDC cannot be
    /// reached or does not know the user).
    pub fn with_kdc(mut self, realm: &str, kdc: KdcAddress) -> Self {
        self.kdc = Some((realm.to_owned(), kdc));
        self
    }

    /// Whether the established (or attempted) mechanism is Kerberos.
    pub fn uses_kerberos(&self) -> bool {
        self.context.as_ref().is_some_and(SspiContext::is_kerberos)
    }

    /// Adds TLS channel bindings (`tls-server-end-point`) from the server's
    /// DER certificate, for HTTPS (protocol brief §6.2, RFC 5929).
    pub fn with_server_certificate(
        mut self,
        certificate_der: &[u8],
    ) -> Result<Self, ProtocolError> {
        let app = super::tls_server_end_point(certificate_der)?;
        self.channel_bindings = Some(super::sec_channel_bindings(&app));
        Ok(self)
    }

    /// The mechanism in use.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Whether the handshake finished.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The `Authorization` value of the first request, for mechanisms that
    /// need no KDC (Basic, NTLM, Negotiate without [`Self::with_kdc`]).
    pub fn start(&mut self) -> Result<Zeroizing<String>, ProtocolError> {
        ready_now(self.start_with(&mut NoKdc))?
    }

    /// The `Authorization` value of the first request; Kerberos sends its
    /// AS and TGS requests through `kdc` first.
    pub async fn start_with(
        &mut self,
        kdc: &mut dyn KdcExchange,
    ) -> Result<Zeroizing<String>, ProtocolError> {
        if self.state != State::Initial {
            return Err(ProtocolError::Auth("authentication already started".into()));
        }
        self.state = State::InProgress;
        match self.mechanism {
            Mechanism::Basic => Ok(basic_authorization(&self.credentials)),
            Mechanism::Certificate => {
                Ok(Zeroizing::new(super::CERTIFICATE_AUTHORIZATION.to_owned()))
            }
            Mechanism::CredSsp => {
                let id = identity(self.credentials.user(), self.credentials.password())?;
                let mut session = Box::new(
                    CredSspSession::new(id, &self.host, &self.workstation)
                        .inspect_err(|_| self.state = State::Failed)?,
                );
                let token = session
                    .start()
                    .inspect_err(|_| self.state = State::Failed)?;
                self.credssp = Some(session);
                Ok(Zeroizing::new(token_header(
                    self.mechanism.scheme(),
                    &token,
                )))
            }
            Mechanism::Negotiate | Mechanism::Ntlm | Mechanism::Kerberos => {
                let id = identity(self.credentials.user(), self.credentials.password())
                    .inspect_err(|_| self.state = State::Failed)?;
                let negotiate = self.mechanism == Mechanism::Negotiate;
                let ctx = match (&self.kdc, self.mechanism) {
                    (None, Mechanism::Kerberos) => Err(ProtocolError::Auth(
                        "kerberos needs the KDC of the user's realm, and none was found".into(),
                    )),
                    (Some((realm, kdc)), Mechanism::Negotiate | Mechanism::Kerberos) => identity(
                        &kerberos_principal(self.credentials.user(), realm),
                        self.credentials.password(),
                    )
                    .and_then(|kid| {
                        SspiContext::new_kerberos_client(negotiate, &kid, &self.workstation, kdc)
                    }),
                    _ => SspiContext::new_client(negotiate, &id, &self.workstation),
                };
                let mut ctx = ctx.inspect_err(|_| self.state = State::Failed)?;
                let cb = self.channel_bindings.clone();
                let (_, token) = ctx
                    .initialize(None, cb.as_deref(), &self.target, kdc)
                    .await
                    .inspect_err(|_| self.state = State::Failed)?;
                self.context = Some(ctx);
                Ok(Zeroizing::new(token_header(
                    self.mechanism.scheme(),
                    &token,
                )))
            }
        }
    }

    /// Feeds a response to an authentication request: its status and every
    /// `WWW-Authenticate` value. A 401 without a token for our scheme means
    /// the credentials were refused.
    pub fn on_response<'a>(
        &mut self,
        status: u16,
        www_authenticate: impl IntoIterator<Item = &'a str>,
    ) -> Result<ClientStep, ProtocolError> {
        ready_now(self.on_response_with(status, www_authenticate, &mut NoKdc))?
    }

    /// As [`Self::on_response`], with a KDC connection for mechanisms that
    /// may need one.
    pub async fn on_response_with<'a>(
        &mut self,
        status: u16,
        www_authenticate: impl IntoIterator<Item = &'a str>,
        kdc: &mut dyn KdcExchange,
    ) -> Result<ClientStep, ProtocolError> {
        if self.state != State::InProgress {
            return Err(ProtocolError::Auth(
                "authentication response outside a handshake".into(),
            ));
        }
        let challenges = parse_challenges(www_authenticate);
        let result = match challenges {
            Ok(c) => self.on_response_inner(status, c, kdc).await,
            Err(e) => Err(e),
        };
        match &result {
            Ok(ClientStep::Done) => self.state = State::Complete,
            Ok(ClientStep::Send(_)) => {}
            Err(_) => self.state = State::Failed,
        }
        result
    }

    async fn on_response_inner(
        &mut self,
        status: u16,
        challenges: Vec<super::Challenge>,
        kdc: &mut dyn KdcExchange,
    ) -> Result<ClientStep, ProtocolError> {
        let scheme = self.mechanism.scheme();
        let offered = challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case(scheme));
        let token = challenges
            .into_iter()
            .filter(|c| c.scheme.eq_ignore_ascii_case(scheme))
            .find_map(|c| c.token);
        if let Some(session) = self.credssp.as_mut() {
            return match session.on_response(status, token.as_deref(), offered)? {
                CredSspStep::Send(out) => Ok(ClientStep::Send(token_header(scheme, &out))),
                CredSspStep::Done => Ok(ClientStep::Done),
            };
        }
        if matches!(self.mechanism, Mechanism::Basic | Mechanism::Certificate) {
            return if status == 401 {
                Err(ProtocolError::Auth(
                    "access denied: the server refused the user name or password".into(),
                ))
            } else {
                Ok(ClientStep::Done)
            };
        }
        let ctx = self
            .context
            .as_mut()
            .ok_or_else(|| ProtocolError::Auth("authentication not started".into()))?;
        if status == 401 {
            let Some(token) = token else {
                return Err(ProtocolError::Auth(
                    "access denied: the server refused the user name or password".into(),
                ));
            };
            if self.sspi_done {
                return Err(ProtocolError::Auth(
                    "access denied: the server rejected the completed authentication".into(),
                ));
            }
            let (status, out) = ctx
                .initialize(
                    Some(&token),
                    self.channel_bindings.as_deref(),
                    &self.target,
                    kdc,
                )
                .await?;
            self.sspi_done = status != sspi::SecurityStatus::ContinueNeeded;
            if out.is_empty() {
                return Err(ProtocolError::Auth(
                    "authentication produced no token to send".into(),
                ));
            }
            return Ok(ClientStep::Send(token_header(scheme, &out)));
        }
        if !(200..300).contains(&status) {
            return Err(ProtocolError::Auth(format!(
                "authentication failed with http status {status}"
            )));
        }
        // The final token (SPNEGO accept-completed + mechListMIC) must reach
        // the context, or the first unseal fails (stack notes, "mechListMIC trap").
        if let Some(token) = token
            && !self.sspi_done
        {
            let (status, _) = ctx
                .initialize(
                    Some(&token),
                    self.channel_bindings.as_deref(),
                    &self.target,
                    kdc,
                )
                .await?;
            self.sspi_done = status != sspi::SecurityStatus::ContinueNeeded;
        }
        if !self.sspi_done && matches!(self.mechanism, Mechanism::Negotiate | Mechanism::Kerberos) {
            return Err(ProtocolError::Auth(
                "the server accepted the connection before the negotiation completed".into(),
            ));
        }
        Ok(ClientStep::Done)
    }

    fn sealer(&mut self) -> Result<&mut dyn SealingContext, ProtocolError> {
        if self.state != State::Complete {
            return Err(ProtocolError::Auth("connection not authenticated".into()));
        }
        if let Some(session) = self.credssp.as_mut() {
            return Ok(session.as_mut());
        }
        self.context
            .as_mut()
            .map(|c| c as &mut dyn SealingContext)
            .ok_or_else(|| ProtocolError::Auth("this mechanism does not seal messages".into()))
    }

    /// Seals a SOAP request: returns the body and the `Content-Type` value
    /// ([MS-WSMV] §2.2.9.1.1).
    pub fn wrap(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, String), ProtocolError> {
        let protocol = self.mechanism.seal_protocol();
        let ctx = self.sealer()?;
        sealing::wrap_body(ctx, protocol, plaintext)
    }

    /// Unseals a response body given its `Content-Type` value.
    pub fn unwrap(&mut self, body: &[u8], content_type: &str) -> Result<Vec<u8>, ProtocolError> {
        let ctx = self.sealer()?;
        sealing::unwrap_body(ctx, body, content_type)
    }
}

/// The logon name sspi gets for Kerberos: `REALM\user`, so the AS-REQ
/// carries an NT-PRINCIPAL `user@REALM` (what MIT and AD KDCs both know,
/// and the default salt `REALMuser`). A UPN whose suffix is not the realm
/// (an AD alternate UPN suffix) stays an enterprise name.
fn kerberos_principal(user: &str, realm: &str) -> String {
    if let Some((name, suffix)) = user.rsplit_once('@') {
        if suffix.eq_ignore_ascii_case(realm) {
            return format!("{realm}\\{name}");
        }
        return user.to_owned();
    }
    match user.split_once('\\') {
        Some((_, name)) => format!("{realm}\\{name}"),
        None => format!("{realm}\\{user}"),
    }
}

/// Runs a step that cannot wait (no KDC traffic) to completion.
fn ready_now<F: std::future::Future>(f: F) -> Result<F::Output, ProtocolError> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Ok(v),
        std::task::Poll::Pending => Err(ProtocolError::Auth(
            "this authentication step needs the KDC; use start_with/on_response_with".into(),
        )),
    }
}
