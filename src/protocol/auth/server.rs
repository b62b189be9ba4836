//! The acceptor side, for the lab endpoint: NTLM (raw `NTLM`, or inside
//! `Negotiate` either raw or wrapped in SPNEGO) and Basic, against a table of
//! users; then unsealing of requests and sealing of responses.
//!
//! `sspi` produces the CHALLENGE, derives the session keys, checks the NTLM
//! MIC and the SPNEGO mechListMIC. Before handing it the AUTHENTICATE message
//! the acceptor reads the user name from it, picks that user from the table
//! and verifies the NTLMv2 proof ([MS-NLMP] §3.3.2, NTProofStr) itself: sspi
//! 0.23 would otherwise accept an AUTHENTICATE without a MIC whatever the
//! password, and would match a password to any user of its candidate list.
//!
//! [MS-NLMP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-nlmp

use base64::Engine as _;
use hmac::Mac as _;
use md4::Digest as _;
use zeroize::Zeroizing;

use super::sealing::{self, SealProtocol};
use super::sspi_glue::{SspiContext, identity};
use super::{der_tlv, parse_challenges, token_header};
use crate::protocol::ProtocolError;

type HmacMd5 = hmac::Hmac<md5::Md5>;

/// One account of the lab endpoint.
#[derive(Clone)]
pub struct LabUser {
    pub domain: String,
    pub name: String,
    password: Zeroizing<String>,
}

impl LabUser {
    /// `DOMAIN\name`.
    pub fn qualified(&self) -> String {
        format!("{}\\{}", self.domain, self.name)
    }
}

impl std::fmt::Debug for LabUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabUser")
            .field("domain", &self.domain)
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The accounts an acceptor checks against.
#[derive(Clone, Debug, Default)]
pub struct UserTable {
    users: Vec<LabUser>,
}

impl UserTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `DOMAIN\name` (or `name@domain`) with its password.
    pub fn add(&mut self, user: &str, password: impl Into<String>) -> Result<(), ProtocolError> {
        let (domain, name) = if let Some((d, n)) = user.split_once('\\') {
            (d, n)
        } else if let Some((n, d)) = user.rsplit_once('@') {
            (d, n)
        } else {
            ("", user)
        };
        if name.is_empty() {
            return Err(ProtocolError::Auth("empty user name in user table".into()));
        }
        self.users.push(LabUser {
            domain: domain.to_owned(),
            name: name.to_owned(),
            password: Zeroizing::new(password.into()),
        });
        Ok(())
    }

    /// Builder form of [`UserTable::add`].
    pub fn with(mut self, user: &str, password: impl Into<String>) -> Result<Self, ProtocolError> {
        self.add(user, password)?;
        Ok(self)
    }

    /// The users, in insertion order.
    pub fn users(&self) -> &[LabUser] {
        &self.users
    }

    /// Finds the user an NTLM client named: names compare case-insensitively;
    /// the domain must match unless the client sent none (or the name was a
    /// UPN `name@domain` with an empty domain field).
    pub fn lookup(&self, user: &str, domain: &str) -> Option<&LabUser> {
        let (user, domain) = match (domain.is_empty(), user.rsplit_once('@')) {
            (true, Some((n, d))) => (n, d),
            _ => (user, domain),
        };
        let mut matches = self
            .users
            .iter()
            .filter(|u| u.name.eq_ignore_ascii_case(user))
            .filter(|u| {
                domain.is_empty() || domain == "." || u.domain.eq_ignore_ascii_case(domain)
            });
        let first = matches.next()?;
        // An ambiguous name without a domain identifies nobody.
        if matches.next().is_some() {
            return None;
        }
        Some(first)
    }

    /// Checks an `Authorization: Basic …` value; returns the user.
    pub fn check_basic(&self, authorization: &str) -> Option<&LabUser> {
        let (scheme, rest) = authorization.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("Basic") {
            return None;
        }
        let raw = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()?,
        );
        let text = std::str::from_utf8(&raw).ok()?;
        let (user, password) = text.split_once(':')?;
        let (name, domain) = if let Some((d, n)) = user.split_once('\\') {
            (n, d)
        } else {
            (user, "")
        };
        self.check_password(name, domain, password)
    }

    /// Checks a user name, domain and password (CredSSP's delegated
    /// credentials, Basic); returns the user.
    pub fn check_password(&self, name: &str, domain: &str, password: &str) -> Option<&LabUser> {
        let u = self.lookup(name, domain)?;
        constant_time_eq(u.password.as_bytes(), password.as_bytes()).then_some(u)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The result of one acceptor step, to turn into an HTTP response.
#[derive(Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// Answer 401 with this `WWW-Authenticate` value and wait for the next
    /// `Authorization`.
    Continue { www_authenticate: String },
    /// Authenticated as `user` (`DOMAIN\name`); answer the request and add
    /// `www_authenticate` (SPNEGO's final token) to the response if present.
    Accepted {
        user: String,
        www_authenticate: Option<String>,
    },
    /// Access denied (unknown user, wrong password, broken handshake): answer
    /// 401. The reason is for logs and holds no secret.
    Denied { reason: String },
}

impl std::fmt::Debug for AcceptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AcceptOutcome::Continue { .. } => f.write_str("Continue"),
            AcceptOutcome::Accepted { user, .. } => write!(f, "Accepted({user})"),
            AcceptOutcome::Denied { reason } => write!(f, "Denied({reason})"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Raw NTLM tokens under the HTTP scheme named.
    RawNtlm { negotiate_scheme: bool },
    /// SPNEGO under `Negotiate`.
    Spnego,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Initial,
    /// SPNEGO picked NTLM though the client preferred another mechanism:
    /// the client's next token carries the NTLM NEGOTIATE (RFC 4178 §5).
    Negotiating,
    Challenged,
    Complete,
    Failed,
}

/// The acceptor of one connection.
pub struct ServerAcceptor {
    table: UserTable,
    kind: Option<Kind>,
    context: Option<SspiContext>,
    /// The CHALLENGE message sent, for the NTLMv2 proof check.
    server_challenge: Option<[u8; 8]>,
    /// Required `tls-server-end-point` application data (HTTPS).
    channel_bindings: Option<Vec<u8>>,
    state: State,
    user: Option<String>,
}

impl std::fmt::Debug for ServerAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAcceptor")
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The `WWW-Authenticate` values of an unauthenticated 401 from the lab.
pub fn initial_challenges(allow_basic: bool) -> Vec<String> {
    let mut v = vec!["Negotiate".to_owned(), "NTLM".to_owned()];
    if allow_basic {
        v.push("Basic realm=\"WSMAN\"".to_owned());
    }
    v
}

impl ServerAcceptor {
    /// A fresh acceptor for one connection.
    pub fn new(table: UserTable) -> Self {
        ServerAcceptor {
            table,
            kind: None,
            context: None,
            server_challenge: None,
            channel_bindings: None,
            state: State::Initial,
            user: None,
        }
    }

    /// Requires channel bindings: the client's NTLMv2 response must carry
    /// MsvAvChannelBindings equal to the MD5 of these application data
    /// (`tls-server-end-point:` + certificate hash, see
    /// [`super::tls_server_end_point`]) ([MS-NLMP] §2.2.2.1;
    /// CbtHardeningLevel Strict, [MS-WSMV] §2.2.4.36).
    pub fn with_channel_bindings(mut self, application_data: Vec<u8>) -> Self {
        self.channel_bindings = Some(application_data);
        self
    }

    /// The authenticated user (`DOMAIN\name`), once accepted.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Whether the connection is authenticated.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// Feeds one `Authorization` value. Malformed headers are errors; failed
    /// authentication is [`AcceptOutcome::Denied`].
    pub fn accept(&mut self, authorization: &str) -> Result<AcceptOutcome, ProtocolError> {
        let challenges = parse_challenges([authorization])?;
        let challenge = challenges
            .into_iter()
            .next()
            .ok_or_else(|| ProtocolError::Missing("authorization scheme".into()))?;
        let token = challenge
            .token
            .ok_or_else(|| ProtocolError::Missing("authorization token".into()))?;
        let negotiate_scheme = if challenge.scheme.eq_ignore_ascii_case("Negotiate") {
            true
        } else if challenge.scheme.eq_ignore_ascii_case("NTLM") {
            false
        } else {
            return Err(ProtocolError::Auth(format!(
                "unsupported authorization scheme {}",
                challenge.scheme.chars().take(30).collect::<String>()
            )));
        };
        let result = self.step(negotiate_scheme, &token);
        match &result {
            Ok(AcceptOutcome::Denied { .. }) | Err(_) => {
                self.state = State::Failed;
                self.context = None;
            }
            _ => {}
        }
        result
    }

    /// One handshake token, by the acceptor's state.
    fn step(
        &mut self,
        negotiate_scheme: bool,
        token: &[u8],
    ) -> Result<AcceptOutcome, ProtocolError> {
        let scheme = if negotiate_scheme {
            "Negotiate"
        } else {
            "NTLM"
        };
        match self.state {
            State::Initial | State::Negotiating => self.negotiate(negotiate_scheme, scheme, token),
            State::Challenged => self.authenticate(negotiate_scheme, scheme, token),
            State::Complete => Ok(AcceptOutcome::Denied {
                reason: "authorization on an already authenticated connection".into(),
            }),
            State::Failed => Ok(AcceptOutcome::Denied {
                reason: "the handshake on this connection failed".into(),
            }),
        }
    }

    /// The NEGOTIATE message (or SPNEGO's first tokens): answered with the
    /// NTLM challenge.
    fn negotiate(
        &mut self,
        negotiate_scheme: bool,
        scheme: &str,
        token: &[u8],
    ) -> Result<AcceptOutcome, ProtocolError> {
        let mut ctx = if self.state == State::Initial {
            let kind = if token.starts_with(b"NTLMSSP\0") {
                Kind::RawNtlm { negotiate_scheme }
            } else if negotiate_scheme {
                Kind::Spnego
            } else {
                return Err(ProtocolError::Auth(
                    "NTLM token without NTLMSSP signature".into(),
                ));
            };
            let candidates = if kind == Kind::Spnego {
                spnego_candidates(&self.table)?
            } else {
                Vec::new()
            };
            self.kind = Some(kind);
            SspiContext::new_server(kind == Kind::Spnego, candidates)?
        } else {
            self.context
                .take()
                .ok_or_else(|| ProtocolError::Auth("no handshake".into()))?
        };
        let kind = self
            .kind
            .ok_or_else(|| ProtocolError::Auth("no handshake".into()))?;
        if self.state == State::Negotiating && !negotiate_scheme {
            return Ok(AcceptOutcome::Denied {
                reason: "authorization scheme changed during the handshake".into(),
            });
        }
        let input = if self.state == State::Negotiating {
            with_neg_state(token)
        } else {
            token.to_vec()
        };
        let (_, out) = match ctx.accept(&input) {
            Ok(r) => r,
            Err(e) => {
                return Ok(AcceptOutcome::Denied {
                    reason: e.to_string(),
                });
            }
        };
        let ntlm_challenge = if kind == Kind::Spnego {
            spnego_inner_token(&out)
        } else {
            Some(out.as_slice())
        };
        self.server_challenge = ntlm_challenge.and_then(challenge_of);
        self.state = match (self.server_challenge, self.state, kind) {
            (Some(_), _, _) => State::Challenged,
            // one extra round, when SPNEGO had to switch to NTLM
            (None, State::Initial, Kind::Spnego) if !out.is_empty() => State::Negotiating,
            _ => {
                return Ok(AcceptOutcome::Denied {
                    reason: "negotiation did not produce an NTLM challenge".into(),
                });
            }
        };
        self.context = Some(ctx);
        Ok(AcceptOutcome::Continue {
            www_authenticate: token_header(scheme, &out),
        })
    }

    /// The AUTHENTICATE message: the user, the NTLMv2 proof and the channel
    /// bindings checked, then the context completed.
    fn authenticate(
        &mut self,
        negotiate_scheme: bool,
        scheme: &str,
        token: &[u8],
    ) -> Result<AcceptOutcome, ProtocolError> {
        let kind = self
            .kind
            .ok_or_else(|| ProtocolError::Auth("no handshake".into()))?;
        let wants_negotiate = matches!(
            kind,
            Kind::Spnego
                | Kind::RawNtlm {
                    negotiate_scheme: true
                }
        );
        if wants_negotiate != negotiate_scheme {
            return Ok(AcceptOutcome::Denied {
                reason: "authorization scheme changed during the handshake".into(),
            });
        }
        let ntlm = if kind == Kind::Spnego {
            spnego_inner_token(token)
        } else {
            Some(token)
        };
        let Some(ntlm) = ntlm else {
            return Ok(AcceptOutcome::Denied {
                reason: "no NTLM AUTHENTICATE message in the token".into(),
            });
        };
        let auth = match parse_authenticate(ntlm) {
            Ok(a) => a,
            Err(e) => {
                return Ok(AcceptOutcome::Denied {
                    reason: e.to_string(),
                });
            }
        };
        let Some(user) = self.table.lookup(&auth.user, &auth.domain).cloned() else {
            return Ok(AcceptOutcome::Denied {
                reason: "access denied: unknown user".into(),
            });
        };
        let challenge = self.server_challenge.unwrap_or_default();
        if !verify_ntlmv2(&auth, &user.password, &challenge) {
            return Ok(AcceptOutcome::Denied {
                reason: format!("access denied: wrong password for {}", user.qualified()),
            });
        }
        if let Some(app) = &self.channel_bindings
            && !channel_bindings_match(&auth, app)
        {
            return Ok(AcceptOutcome::Denied {
                reason:
                    "access denied: channel bindings missing or not matching the tls certificate"
                        .into(),
            });
        }
        let ctx = self
            .context
            .as_mut()
            .ok_or_else(|| ProtocolError::Auth("no handshake".into()))?;
        let input = if kind == Kind::Spnego {
            with_neg_state(token)
        } else {
            token.to_vec()
        };
        let (status, out) = match ctx.accept(&input) {
            Ok(r) => r,
            Err(e) => {
                return Ok(AcceptOutcome::Denied {
                    reason: format!("access denied: {e}"),
                });
            }
        };
        if kind != Kind::Spnego {
            let wire = format!("{}\\{}", auth.domain, auth.user);
            let wire = if auth.domain.is_empty() {
                auth.user.clone()
            } else {
                wire
            };
            let finish = ctx
                .set_candidate(identity(&wire, &user.password)?)
                .and_then(|()| ctx.complete());
            if let Err(e) = finish {
                return Ok(AcceptOutcome::Denied {
                    reason: format!("access denied: {e}"),
                });
            }
        } else if status == sspi::SecurityStatus::ContinueNeeded {
            return Ok(AcceptOutcome::Denied {
                reason:
                    "access denied: the client did not complete the SPNEGO exchange (mechListMIC)"
                        .into(),
            });
        }
        self.state = State::Complete;
        self.user = Some(user.qualified());
        Ok(AcceptOutcome::Accepted {
            user: user.qualified(),
            www_authenticate: (!out.is_empty()).then(|| token_header(scheme, &out)),
        })
    }

    fn sealer(&mut self) -> Result<&mut SspiContext, ProtocolError> {
        if self.state != State::Complete {
            return Err(ProtocolError::Auth("connection not authenticated".into()));
        }
        self.context
            .as_mut()
            .ok_or_else(|| ProtocolError::Auth("connection not authenticated".into()))
    }

    /// Unseals a request body given its `Content-Type` value.
    pub fn unwrap(&mut self, body: &[u8], content_type: &str) -> Result<Vec<u8>, ProtocolError> {
        let ctx = self.sealer()?;
        sealing::unwrap_body(ctx, body, content_type)
    }

    /// Seals a response: returns the body and its `Content-Type` value.
    pub fn wrap(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, String), ProtocolError> {
        let ctx = self.sealer()?;
        sealing::wrap_body(ctx, SealProtocol::Spnego, plaintext)
    }
}

/// sspi's SPNEGO acceptor matches the wire name format-aware, so each user
/// is offered as `DOMAIN\\name`, as `name@DOMAIN`, and as a bare `name` when
/// that name is unique in the table (the acceptor has already verified the
/// NTLMv2 proof for the user it looked up).
pub(crate) fn spnego_candidates(
    table: &UserTable,
) -> Result<Vec<sspi::AuthIdentity>, ProtocolError> {
    let mut out = Vec::new();
    for u in table.users() {
        let mut forms = Vec::new();
        if u.domain.is_empty() {
            forms.push(u.name.clone());
        } else {
            forms.push(u.qualified());
            forms.push(format!("{}@{}", u.name, u.domain));
            let unique = table
                .users()
                .iter()
                .filter(|o| o.name.eq_ignore_ascii_case(&u.name))
                .count()
                == 1;
            if unique {
                forms.push(u.name.clone());
            }
        }
        for f in forms {
            out.push(identity(&f, &u.password)?);
        }
    }
    Ok(out)
}

/// The mechanism token inside an SPNEGO NegTokenInit (`[0]`, mechToken
/// `[2]`) or NegTokenResp (`[1]`, responseToken `[2]`) (RFC 4178 §4.2),
/// optionally behind the GSS-API InitialContextToken header.
fn spnego_inner_token(token: &[u8]) -> Option<&[u8]> {
    let (mut tag, mut start, mut end) = der_tlv(token, 0)?;
    if tag == 0x60 {
        // [APPLICATION 0] { OID spnego, NegotiationToken }
        let (t, _, oid_end) = der_tlv(token, start)?;
        if t != 0x06 {
            return None;
        }
        (tag, start, end) = der_tlv(token, oid_end)?;
    }
    if tag != 0xa0 && tag != 0xa1 {
        return None;
    }
    let (seq, seq_start, seq_end) = der_tlv(token, start)?;
    if seq != 0x30 || seq_end > end {
        return None;
    }
    let mut pos = seq_start;
    while pos < seq_end {
        let (t, s, e) = der_tlv(token, pos)?;
        if t == 0xa2 {
            let (ot, os, oe) = der_tlv(token, s)?;
            return (ot == 0x04 && oe <= e).then(|| token.get(os..oe)).flatten();
        }
        pos = e;
    }
    None
}

fn der_encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        v.push(0x80 | (bytes.len() - skip) as u8);
        v.extend_from_slice(&bytes[skip..]);
    }
    v.extend_from_slice(content);
    v
}

/// sspi 0.23 misreads a NegTokenResp whose first field is not `negState`
/// (its `Asn1RawDer` negState swallows the next field), yet initiators such
/// as Windows omit negState after the first leg (RFC 4178 §4.2.2 makes it
/// optional). This re-encodes such a token with `negState accept-incomplete`
/// in front; other tokens are returned unchanged.
fn with_neg_state(token: &[u8]) -> Vec<u8> {
    let Some((0xa1, start, end)) = der_tlv(token, 0) else {
        return token.to_vec();
    };
    let Some((0x30, seq_start, seq_end)) = der_tlv(token, start) else {
        return token.to_vec();
    };
    if seq_end != end || end != token.len() {
        return token.to_vec();
    }
    match der_tlv(token, seq_start) {
        Some((0xa0, _, _)) | None => token.to_vec(),
        Some(_) => {
            let mut fields = der_encode(0xa0, &der_encode(0x0a, &[1]));
            fields.extend_from_slice(token.get(seq_start..seq_end).unwrap_or_default());
            der_encode(0xa1, &der_encode(0x30, &fields))
        }
    }
}

/// The ServerChallenge of a CHALLENGE_MESSAGE ([MS-NLMP] §2.2.1.2).
fn challenge_of(message: &[u8]) -> Option<[u8; 8]> {
    if !message.starts_with(b"NTLMSSP\0") || message.get(8..12)? != [2, 0, 0, 0] {
        return None;
    }
    message.get(24..32)?.try_into().ok()
}

/// What the acceptor reads from an AUTHENTICATE_MESSAGE ([MS-NLMP] §2.2.1.3).
struct Authenticate {
    user: String,
    domain: String,
    nt_response: Vec<u8>,
}

fn field(message: &[u8], at: usize) -> Result<&[u8], ProtocolError> {
    let bad = || ProtocolError::Auth("malformed NTLM AUTHENTICATE message".into());
    let len = u16::from_le_bytes(
        message
            .get(at..at + 2)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    );
    let off = u32::from_le_bytes(
        message
            .get(at + 4..at + 8)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?,
    );
    let off = usize::try_from(off).map_err(|_| bad())?;
    let end = off.checked_add(usize::from(len)).ok_or_else(bad)?;
    message.get(off..end).ok_or_else(bad)
}

fn parse_authenticate(message: &[u8]) -> Result<Authenticate, ProtocolError> {
    if !message.starts_with(b"NTLMSSP\0") || message.get(8..12) != Some(&[3, 0, 0, 0][..]) {
        return Err(ProtocolError::Auth(
            "not an NTLM AUTHENTICATE message".into(),
        ));
    }
    let flags = u32::from_le_bytes(
        message
            .get(60..64)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ProtocolError::Auth("malformed NTLM AUTHENTICATE message".into()))?,
    );
    let unicode = flags & 1 != 0;
    let text = |b: &[u8]| -> String {
        if unicode {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            b.iter().map(|&c| char::from(c)).collect()
        }
    };
    let nt_response = field(message, 20)?.to_vec();
    let domain = text(field(message, 28)?);
    let user = text(field(message, 36)?);
    // [MS-NLMP] §3.3.2: an NTLMv2 response is NTProofStr (16) + a blob of at
    // least 28 bytes; anything shorter is NTLMv1 or anonymous, refused here.
    if nt_response.len() < 16 + 28 {
        return Err(ProtocolError::Auth(
            "access denied: NTLMv2 response required (anonymous and NTLMv1 are refused)".into(),
        ));
    }
    if user.is_empty() {
        return Err(ProtocolError::Auth(
            "access denied: anonymous logon refused".into(),
        ));
    }
    Ok(Authenticate {
        user,
        domain,
        nt_response,
    })
}

fn utf16le(s: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(s.encode_utf16().flat_map(u16::to_le_bytes).collect())
}

/// NTOWFv2 ([MS-NLMP] §3.3.2): HMAC_MD5(MD4(UNICODE(password)),
/// UNICODE(Uppercase(user) + domain)).
fn ntowf_v2(password: &str, user: &str, domain: &str) -> Zeroizing<[u8; 16]> {
    let nt_hash = Zeroizing::new(<[u8; 16]>::from(md4::Md4::digest(
        utf16le(password).as_slice(),
    )));
    let mut mac = <HmacMd5 as hmac::KeyInit>::new_from_slice(nt_hash.as_slice())
        .unwrap_or_else(|_| unreachable_hmac());
    mac.update(&utf16le(&format!("{}{}", user.to_uppercase(), domain)));
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// HMAC accepts keys of any length; this is never reached.
fn unreachable_hmac() -> HmacMd5 {
    <HmacMd5 as hmac::KeyInit>::new(&Default::default())
}

/// Verifies NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || blob)
/// ([MS-NLMP] §3.3.2) with the wire user and domain, as the client computed it.
fn verify_ntlmv2(auth: &Authenticate, password: &str, server_challenge: &[u8; 8]) -> bool {
    let key = ntowf_v2(password, &auth.user, &auth.domain);
    let (proof, blob) = auth.nt_response.split_at(16);
    let Ok(mut mac) = <HmacMd5 as hmac::KeyInit>::new_from_slice(key.as_slice()) else {
        return false;
    };
    mac.update(server_challenge);
    mac.update(blob);
    mac.verify_slice(proof).is_ok()
}

/// The AV pairs of an NTLMv2 response: after NTProofStr (16) and the blob's
/// fixed 28 bytes ([MS-NLMP] §2.2.2.7).
fn av_pair(nt_response: &[u8], wanted: u16) -> Option<&[u8]> {
    let mut pos = 16 + 28;
    loop {
        let id = u16::from_le_bytes(nt_response.get(pos..pos + 2)?.try_into().ok()?);
        let len = usize::from(u16::from_le_bytes(
            nt_response.get(pos + 2..pos + 4)?.try_into().ok()?,
        ));
        let value = nt_response.get(pos + 4..pos + 4 + len)?;
        if id == wanted {
            return Some(value);
        }
        if id == 0 {
            return None;
        }
        pos += 4 + len;
    }
}

/// MsvAvChannelBindings (AvId 0x000A) = MD5 of the flattened
/// gss_channel_bindings_struct with empty addresses ([MS-NLMP] §2.2.2.1).
fn channel_bindings_match(auth: &Authenticate, application_data: &[u8]) -> bool {
    let Some(got) = av_pair(&auth.nt_response, 0x000a) else {
        return false;
    };
    let mut flat = vec![0u8; 16];
    flat.extend_from_slice(&(application_data.len() as u32).to_le_bytes());
    flat.extend_from_slice(application_data);
    let expected = md5::Md5::digest(&flat);
    constant_time_eq(got, expected.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-NLMP] §4.2.4.1.1: NTOWFv2("Password", "User", "Domain").
    #[test]
    fn ntowfv2_matches_spec_vector() {
        let k = ntowf_v2("Password", "User", "Domain");
        assert_eq!(
            k.as_slice(),
            &[
                0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93, 0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0,
                0x2e, 0x3f
            ]
        );
    }

    /// [MS-NLMP] §4.2.4.2.2: NTProofStr of the spec's NTLMv2 example.
    #[test]
    fn ntproofstr_matches_spec_vector() {
        let server_challenge = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        let client_challenge = [0xaa; 8];
        let av = [
            0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00,
            0x6e, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00,
            0x65, 0x00, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
        blob.extend_from_slice(&[0; 8]); // time
        blob.extend_from_slice(&client_challenge);
        blob.extend_from_slice(&[0; 4]);
        blob.extend_from_slice(&av);
        blob.extend_from_slice(&[0; 4]);
        let proof = [
            0x68, 0xcd, 0x0a, 0xb8, 0x51, 0xe5, 0x1c, 0x96, 0xaa, 0xbc, 0x92, 0x7b, 0xeb, 0xef,
            0x6a, 0x1c,
        ];
        let mut nt_response = proof.to_vec();
        nt_response.extend_from_slice(&blob);
        let auth = Authenticate {
            user: "User".into(),
            domain: "Domain".into(),
            nt_response,
        };
        assert!(verify_ntlmv2(&auth, "Password", &server_challenge));
        assert!(!verify_ntlmv2(&auth, "password", &server_challenge));
    }

    #[test]
    fn lookup_rules() {
        let t = UserTable::new()
            .with("LAB\\alice", "a")
            .unwrap()
            .with("OTHER\\alice", "b")
            .unwrap()
            .with("bob@lab", "c")
            .unwrap();
        assert_eq!(t.lookup("ALICE", "lab").unwrap().qualified(), "LAB\\alice");
        assert!(
            t.lookup("alice", "").is_none(),
            "ambiguous without a domain"
        );
        assert_eq!(t.lookup("bob@lab", "").unwrap().qualified(), "lab\\bob");
        assert!(t.lookup("carol", "LAB").is_none());
    }
}
