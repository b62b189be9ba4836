//! CredSSP, the acceptor's side (the lab's listener with
//! `Service\Auth\CredSSP` turned on): a rustls server connection in memory
//! with a fresh self-signed certificate, sspi's
//! [`sspi::credssp::CredSspServer`] verifying NTLM-in-SPNEGO against the
//! [`UserTable`], and the delegated TSCredentials checked against the same
//! table (a Windows server logs the delegated user on with them).
//!
//! The acceptor's TLS certificate is ECDSA P-256 (what rcgen can generate
//! with ring). Baton's client takes any key type; pyspnego's CredSSP client
//! reads the server key only as RSA, so it cannot use this acceptor.

use std::io::{Read as _, Write as _};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sspi::credssp::{CredSspServer, CredentialsProxy, ServerMode, ServerState, TsRequest};
use sspi::{AuthIdentity, NegotiateConfig, Username};

use super::credssp::{sealed_records, subject_public_key};
use super::sealing::{self, SealProtocol, Sealed, SealingContext};
use super::server::{AcceptOutcome, UserTable, spnego_candidates};
use super::sspi_glue::guarded;
use super::{parse_challenges, token_header};
use crate::protocol::ProtocolError;

/// The candidate identities of the table, offered to sspi's acceptor.
struct TableProxy {
    candidates: Vec<AuthIdentity>,
}

impl CredentialsProxy for TableProxy {
    type AuthenticationData = AuthIdentity;

    fn auth_data_by_user(&mut self, username: &Username) -> std::io::Result<AuthIdentity> {
        self.candidates
            .iter()
            .find(|c| {
                c.username
                    .account_name()
                    .eq_ignore_ascii_case(username.account_name())
            })
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "unknown user"))
    }

    fn auth_data(&mut self) -> std::io::Result<Vec<AuthIdentity>> {
        Ok(self.candidates.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Tls,
    Auth,
    Done,
    Failed,
}

/// The CredSSP acceptor of one connection.
pub struct CredSspAcceptor {
    table: UserTable,
    tls: rustls::ServerConnection,
    server: Option<CredSspServer<TableProxy>>,
    public_key: Vec<u8>,
    phase: Phase,
    user: Option<String>,
}

impl std::fmt::Debug for CredSspAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredSspAcceptor")
            .field("phase", &self.phase)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::Auth(format!("CredSSP: {e}"))
}

impl CredSspAcceptor {
    /// A fresh acceptor with its own self-signed TLS certificate.
    pub fn new(table: UserTable) -> Result<Self, ProtocolError> {
        use rustls::crypto::ring::cipher_suite as cs;
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .map_err(|e| err(format!("certificate: {e}")))?;
        let cert = CertificateDer::from(generated.cert.der().to_vec());
        let public_key = subject_public_key(cert.as_ref())?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            generated.signing_key.serialize_der(),
        ));
        let mut provider = rustls::crypto::ring::default_provider();
        provider.cipher_suites = vec![
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ];
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(err)?;
        let tls = rustls::ServerConnection::new(Arc::new(config)).map_err(err)?;
        Ok(CredSspAcceptor {
            table,
            tls,
            server: None,
            public_key,
            phase: Phase::Tls,
            user: None,
        })
    }

    fn pending(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::new();
        while self.tls.wants_write() {
            self.tls.write_tls(&mut out).map_err(err)?;
        }
        Ok(out)
    }

    fn feed(&mut self, mut records: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        while !records.is_empty() {
            self.tls.read_tls(&mut records).map_err(err)?;
            self.tls.process_new_packets().map_err(err)?;
        }
        let mut plain = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.tls.reader().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => plain.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(err(e)),
            }
        }
        Ok(plain)
    }

    fn send(&mut self, ts: &TsRequest) -> Result<String, ProtocolError> {
        let mut encoded = Vec::new();
        ts.encode_ts_request(&mut encoded).map_err(err)?;
        self.tls.writer().write_all(&encoded).map_err(err)?;
        let out = self.pending()?;
        Ok(token_header("CredSSP", &out))
    }

    /// Steps the handshake with one `Authorization: CredSSP …` value.
    pub fn accept(&mut self, authorization: &str) -> Result<AcceptOutcome, ProtocolError> {
        let result = self.step(authorization);
        if !matches!(
            result,
            Ok(AcceptOutcome::Continue { .. } | AcceptOutcome::Accepted { .. })
        ) {
            self.phase = Phase::Failed;
        }
        result
    }

    fn step(&mut self, authorization: &str) -> Result<AcceptOutcome, ProtocolError> {
        let token = parse_challenges([authorization])?
            .into_iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("CredSSP"))
            .and_then(|c| c.token)
            .ok_or_else(|| ProtocolError::Missing("CredSSP token".into()))?;
        match self.phase {
            Phase::Tls => {
                let early = self.feed(&token)?;
                if !early.is_empty() {
                    return Err(err("data before the TLS handshake ended"));
                }
                let out = self.pending()?;
                if !self.tls.is_handshaking() {
                    self.phase = Phase::Auth;
                }
                Ok(AcceptOutcome::Continue {
                    www_authenticate: token_header("CredSSP", &out),
                })
            }
            Phase::Auth => {
                let plain = self.feed(&token)?;
                let ts = guarded(|| TsRequest::from_buffer(&plain).map_err(err))?;
                if self.server.is_none() {
                    let proxy = TableProxy {
                        candidates: spnego_candidates(&self.table)?,
                    };
                    let mode = ServerMode::Negotiate(NegotiateConfig::new(
                        Box::new(sspi::ntlm::NtlmConfig::default()),
                        Some("!kerberos,!pku2u,ntlm".to_owned()),
                        String::new(),
                    ));
                    self.server = Some(
                        CredSspServer::new(self.public_key.clone(), proxy, mode).map_err(err)?,
                    );
                }
                let server = self
                    .server
                    .as_mut()
                    .ok_or_else(|| err("no CredSSP server"))?;
                let state =
                    guarded(|| Ok(server.process(ts).resolve_to_result().map_err(|e| e.error)))?;
                match state {
                    Ok(ServerState::ReplyNeeded(ts)) => Ok(AcceptOutcome::Continue {
                        www_authenticate: self.send(&ts)?,
                    }),
                    Ok(ServerState::Finished(identity)) => {
                        let (name, domain) = match identity.username.parts() {
                            sspi::UsernameParts::UserPrincipalName(p) => {
                                (p.account_name().to_owned(), p.suffix().to_owned())
                            }
                            sspi::UsernameParts::DownLevelLogonName(p) => (
                                p.account_name().to_owned(),
                                p.netbios_domain().unwrap_or_default().to_owned(),
                            ),
                        };
                        let Some(user) = self
                            .table
                            .check_password(&name, &domain, identity.password.as_ref())
                            .map(super::server::LabUser::qualified)
                        else {
                            return Ok(AcceptOutcome::Denied {
                                reason: "the delegated credentials are not valid".into(),
                            });
                        };
                        self.user = Some(user.clone());
                        self.phase = Phase::Done;
                        Ok(AcceptOutcome::Accepted {
                            user,
                            www_authenticate: None,
                        })
                    }
                    // The listener answers a plain 401, which the client
                    // reports as refused credentials.
                    Err(error) => Ok(AcceptOutcome::Denied {
                        reason: format!("CredSSP: {:?}", error.error_type),
                    }),
                }
            }
            Phase::Done | Phase::Failed => Err(err("handshake already ended")),
        }
    }

    /// Unseals a request body given its `Content-Type` value.
    pub fn unwrap(&mut self, body: &[u8], content_type: &str) -> Result<Vec<u8>, ProtocolError> {
        sealing::unwrap_body(self, body, content_type)
    }

    /// Seals a response: returns the body and its `Content-Type` value.
    pub fn wrap(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, String), ProtocolError> {
        sealing::wrap_body(self, SealProtocol::CredSsp, plaintext)
    }
}

impl SealingContext for CredSspAcceptor {
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        if self.phase != Phase::Done {
            return Err(err("not authenticated"));
        }
        self.tls.writer().write_all(plaintext).map_err(err)?;
        let records = self.pending()?;
        sealed_records(&records).ok_or_else(|| err("seal produced no record"))
    }

    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        if self.phase != Phase::Done {
            return Err(err("not authenticated"));
        }
        let mut records = header.to_vec();
        records.extend_from_slice(ciphertext);
        self.feed(&records)
    }
}
