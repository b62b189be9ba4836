//! CredSSP for WinRM ([MS-CSSP], [MS-WSMV] §2.2.9.1.1.3): the client side.
//!
//! CredSSP runs a TLS session *inside* the HTTP authentication tokens
//! (`Authorization: CredSSP <base64 TLS records>`), authenticates the user
//! with SPNEGO/NTLM inside that TLS channel (TSRequest `negoTokens`), binds
//! the two with the server's public key (`pubKeyAuth`, with the client nonce
//! of version 5 and later), and finally delegates the user name and password
//! to the server (`TSCredentials` in `authInfo`) so that the remote session
//! can reach a second hop. Afterwards every SOAP body is sealed as TLS
//! application records of that same inner TLS session
//! (`application/HTTP-CredSSP-session-encrypted`, in parts of at most
//! 16 KiB, each one TLS record).
//!
//! The TSRequest state machine (SPNEGO, public-key binding, TSCredentials)
//! is sspi's [`sspi::credssp::CredSspClient`]; the TLS channel is a rustls
//! client connection driven entirely in memory (no socket).
//!
//! The inner TLS is limited to TLS 1.2 with AES-GCM: the versions and suites
//! SChannel speaks for CredSSP, whose WinRM framing needs the record trailer
//! size of the suite (16 bytes for GCM, as pyspnego computes it). As
//! [MS-CSSP] §3.1.5 step 1 says, the inner server certificate is not checked
//! against a trust store: its public key is bound to the NTLM session by
//! `pubKeyAuth`, which a man in the middle cannot forge without the password.
//!
//! [MS-CSSP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-cssp
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv

use std::io::{Read as _, Write as _};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sspi::credssp::{ClientMode, ClientState, CredSspClient, CredSspMode, TsRequest};
use sspi::{AuthIdentity, NegotiateConfig};

use super::der_tlv;
use super::handshake_signatures::HandshakeSignatures;
use super::sealing::{Sealed, SealingContext};
use super::sspi_glue::{guarded, sspi_err};
use crate::protocol::ProtocolError;

/// The TLS record trailer WinRM puts in the part header for AES-GCM suites:
/// the 16-byte authentication tag's worth ([MS-WSMV] §2.2.9.1.1.3; pyspnego's
/// `_tls_trailer_length`).
pub const GCM_TRAILER_LEN: usize = 16;

/// TLS records as one sealed WinRM part ([MS-WSMV] §2.2.9.1.3): the first
/// [`GCM_TRAILER_LEN`] bytes go as the part's header, the rest as its data;
/// None when TLS produced less than that.
pub fn sealed_records(records: &[u8]) -> Option<Sealed> {
    if records.len() < GCM_TRAILER_LEN {
        return None;
    }
    let (header, data) = records.split_at(GCM_TRAILER_LEN);
    Some(Sealed {
        header: header.to_vec(),
        data: data.to_vec(),
        padding: 0,
    })
}

/// The largest plaintext one TLS record carries (RFC 5246 §6.2.1).
const MAX_RECORD_PLAINTEXT: usize = 16 * 1024;

/// The largest TSRequest accepted from the server.
const MAX_TS_REQUEST: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Exchanging TLS handshake records.
    Tls,
    /// Exchanging TSRequests (SPNEGO, then the public-key binding).
    Auth,
    /// TSCredentials sent; waiting for the final 200.
    Delegated,
    /// Authenticated: the TLS channel seals messages.
    Done,
}

/// The CredSSP client of one WinRM connection.
pub struct CredSspSession {
    tls: rustls::ClientConnection,
    credentials: Option<sspi::Credentials>,
    credssp: Option<CredSspClient>,
    target: String,
    workstation: String,
    phase: Phase,
}

impl std::fmt::Debug for CredSspSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredSspSession")
            .field("target", &self.target)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

/// What the client sends next during a CredSSP handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredSspStep {
    /// Send this token (TLS records) in `Authorization: CredSSP`.
    Send(Vec<u8>),
    /// The handshake is complete.
    Done,
}

fn tls_config() -> Result<rustls::ClientConfig, ProtocolError> {
    use rustls::crypto::ring::cipher_suite as cs;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ];
    let provider = Arc::new(provider);
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| ProtocolError::Auth(format!("CredSSP TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(BoundByPubKeyAuth {
            signatures: HandshakeSignatures(provider),
        }))
        .with_no_client_auth();
    // One connection, one session: nothing to resume, no SNI games.
    config.resumption = rustls::client::Resumption::disabled();
    config.enable_sni = false;
    Ok(config)
}

impl CredSspSession {
    /// A CredSSP client for `host` (the SPN is `HTTP/host`) delegating
    /// `user`/`password`; `workstation` is the name NTLM reports.
    pub fn new(
        identity: AuthIdentity,
        host: &str,
        workstation: &str,
    ) -> Result<Self, ProtocolError> {
        let name = ServerName::try_from(host.to_owned())
            .or_else(|_| ServerName::try_from("localhost".to_owned()))
            .map_err(|_| ProtocolError::Auth("invalid host name for CredSSP".into()))?;
        let tls = rustls::ClientConnection::new(Arc::new(tls_config()?), name)
            .map_err(|e| ProtocolError::Auth(format!("CredSSP TLS: {e}")))?;
        Ok(CredSspSession {
            tls,
            credentials: Some(sspi::Credentials::AuthIdentity(identity)),
            credssp: None,
            target: format!("HTTP/{host}"),
            workstation: workstation.to_owned(),
            phase: Phase::Tls,
        })
    }

    /// The first token: the TLS ClientHello.
    pub fn start(&mut self) -> Result<Vec<u8>, ProtocolError> {
        if self.phase != Phase::Tls {
            return Err(ProtocolError::Auth("CredSSP already started".into()));
        }
        self.pending_tls()
    }

    fn pending_tls(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::new();
        while self.tls.wants_write() {
            self.tls
                .write_tls(&mut out)
                .map_err(|e| ProtocolError::Auth(format!("CredSSP TLS: {e}")))?;
        }
        Ok(out)
    }

    /// Feeds TLS records from the server; returns the application data they
    /// carried.
    fn feed_tls(&mut self, mut records: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        while !records.is_empty() {
            self.tls
                .read_tls(&mut records)
                .map_err(|e| ProtocolError::Auth(format!("CredSSP TLS: {e}")))?;
            self.tls.process_new_packets().map_err(|e| {
                ProtocolError::Auth(format!("CredSSP TLS with the server failed: {e}"))
            })?;
        }
        let mut plain = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.tls.reader().read(&mut buf) {
                Ok(0) => break,
                // Never more plaintext than the records fed in.
                Ok(n) => plain.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(ProtocolError::Auth(format!("CredSSP TLS: {e}"))),
            }
        }
        Ok(plain)
    }

    fn send_ts_request(&mut self, ts: &TsRequest) -> Result<Vec<u8>, ProtocolError> {
        let mut encoded = Vec::new();
        ts.encode_ts_request(&mut encoded)
            .map_err(|e| ProtocolError::Auth(format!("CredSSP TSRequest: {e}")))?;
        self.tls
            .writer()
            .write_all(&encoded)
            .map_err(|e| ProtocolError::Auth(format!("CredSSP TLS: {e}")))?;
        self.pending_tls()
    }

    fn step_credssp(&mut self, ts: TsRequest) -> Result<Vec<u8>, ProtocolError> {
        if self.credssp.is_none() {
            let cert = self
                .tls
                .peer_certificates()
                .and_then(|c| c.first())
                .ok_or_else(|| ProtocolError::Auth("CredSSP server sent no certificate".into()))?;
            let public_key = subject_public_key(cert.as_ref())?;
            let credentials = self
                .credentials
                .take()
                .ok_or_else(|| ProtocolError::Auth("CredSSP credentials already used".into()))?;
            let ntlm = sspi::ntlm::NtlmConfig::new(self.workstation.clone());
            let mode = ClientMode::Negotiate(NegotiateConfig::new(
                Box::new(ntlm),
                Some("!kerberos,!pku2u,ntlm".to_owned()),
                self.workstation.clone(),
            ));
            let client = CredSspClient::new(
                public_key,
                credentials,
                CredSspMode::WithCredentials,
                mode,
                self.target.clone(),
            )
            .map_err(|e| sspi_err("CredSSP", e))?;
            self.credssp = Some(client);
        }
        let client = self
            .credssp
            .as_mut()
            .ok_or_else(|| ProtocolError::Auth("CredSSP not started".into()))?;
        let state = guarded(|| {
            client
                .process(ts)
                .resolve_to_result()
                .map_err(|e| credssp_error(&e))
        })?;
        let (ts, last) = match state {
            ClientState::ReplyNeeded(ts) => (ts, false),
            ClientState::FinalMessage(ts) => (ts, true),
        };
        if last {
            self.phase = Phase::Delegated;
        }
        self.send_ts_request(&ts)
    }

    /// One handshake step: `token` is the server's `WWW-Authenticate:
    /// CredSSP` token of a 401 (or of the final 200, which may carry none);
    /// `offered` says whether the response named the CredSSP scheme at all.
    pub fn on_response(
        &mut self,
        status: u16,
        token: Option<&[u8]>,
        offered: bool,
    ) -> Result<CredSspStep, ProtocolError> {
        match (status, self.phase) {
            (401, Phase::Tls) if !offered => Err(ProtocolError::Auth(
                "the server does not accept CredSSP: WinRM's Service\\Auth\\CredSSP is off by default (on the server, Enable-WSManCredSSP -Role Server turns it on)".into(),
            )),
            (401, Phase::Tls) => {
                let token = token.ok_or_else(refused)?;
                let early = self.feed_tls(token)?;
                if !early.is_empty() {
                    return Err(ProtocolError::Auth(
                        "CredSSP server sent data during the TLS handshake".into(),
                    ));
                }
                if self.tls.is_handshaking() {
                    let out = self.pending_tls()?;
                    if out.is_empty() {
                        return Err(ProtocolError::Auth("CredSSP TLS handshake stalled".into()));
                    }
                    return Ok(CredSspStep::Send(out));
                }
                // The TLS channel is up: any last handshake records go out
                // together with the first TSRequest.
                self.phase = Phase::Auth;
                let mut out = self.pending_tls()?;
                out.extend(self.step_credssp(TsRequest::default())?);
                Ok(CredSspStep::Send(out))
            }
            (401, Phase::Auth) => {
                let token = token.ok_or_else(refused)?;
                let plain = self.feed_tls(token)?;
                if plain.is_empty() || plain.len() > MAX_TS_REQUEST {
                    return Err(ProtocolError::Auth(
                        "CredSSP server sent no TSRequest".into(),
                    ));
                }
                let ts = guarded(|| {
                    TsRequest::from_buffer(&plain)
                        .map_err(|e| ProtocolError::Auth(format!("CredSSP TSRequest: {e}")))
                })?;
                if let Some(code) = ts.error_code {
                    return Err(ProtocolError::Auth(format!(
                        "access denied: the server refused the CredSSP logon (NTSTATUS 0x{:08X}{})",
                        code.0,
                        code.name().map(|n| format!(" {n}")).unwrap_or_default()
                    )));
                }
                Ok(CredSspStep::Send(self.step_credssp(ts)?))
            }
            (401, Phase::Delegated) => {
                // A TSRequest with an error code says why; otherwise the
                // delegated credentials were refused.
                if let Some(token) = token
                    && let Ok(plain) = self.feed_tls(token)
                    && let Ok(ts) = TsRequest::from_buffer(&plain)
                    && let Err(e) = ts.check_error()
                {
                    return Err(credssp_error(&e));
                }
                Err(ProtocolError::Auth(
                    "access denied: the server refused the delegated CredSSP credentials".into(),
                ))
            }
            (200..=299, Phase::Delegated) => {
                if let Some(token) = token.filter(|t| !t.is_empty()) {
                    let plain = self.feed_tls(token)?;
                    if !plain.is_empty()
                        && let Ok(ts) = TsRequest::from_buffer(&plain)
                    {
                        ts.check_error().map_err(|e| credssp_error(&e))?;
                    }
                }
                self.phase = Phase::Done;
                Ok(CredSspStep::Done)
            }
            (200..=299, _) => Err(ProtocolError::Auth(
                "the server accepted the connection before CredSSP delegated the credentials"
                    .into(),
            )),
            (401, Phase::Done) => Err(refused()),
            (other, _) => Err(ProtocolError::Auth(format!(
                "CredSSP authentication failed with http status {other}"
            ))),
        }
    }
}

fn refused() -> ProtocolError {
    ProtocolError::Auth("access denied: the server refused the user name or password".into())
}

fn credssp_error(e: &sspi::Error) -> ProtocolError {
    use sspi::ErrorKind as K;
    match e.error_type {
        K::LogonDenied | K::NoCredentials | K::UnknownCredentials => {
            ProtocolError::Auth(format!("access denied: {}", e.description))
        }
        _ => sspi_err("CredSSP", e.clone()),
    }
}

impl SealingContext for CredSspSession {
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        if self.phase != Phase::Done {
            return Err(ProtocolError::Auth("CredSSP not complete".into()));
        }
        if plaintext.len() > MAX_RECORD_PLAINTEXT {
            return Err(ProtocolError::Limit(
                "a CredSSP part holds at most 16 KiB".into(),
            ));
        }
        self.tls
            .writer()
            .write_all(plaintext)
            .map_err(|e| ProtocolError::Auth(format!("CredSSP seal: {e}")))?;
        let records = self.pending_tls()?;
        sealed_records(&records)
            .ok_or_else(|| ProtocolError::Auth("CredSSP seal produced no record".into()))
    }

    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        if self.phase != Phase::Done {
            return Err(ProtocolError::Auth("CredSSP not complete".into()));
        }
        let mut records = Vec::with_capacity(header.len() + ciphertext.len());
        records.extend_from_slice(header);
        records.extend_from_slice(ciphertext);
        self.feed_tls(&records)
            .map_err(|e| ProtocolError::Auth(format!("message rejected: {e}")))
    }
}

/// The `subjectPublicKey` bits of a DER certificate (RFC 5280 §4.1), the
/// value CredSSP binds in `pubKeyAuth` ([MS-CSSP] §3.1.5).
pub fn subject_public_key(cert: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let bad = || ProtocolError::InvalidValue {
        what: "CredSSP server certificate".into(),
        value: "not a DER X.509 certificate".into(),
    };
    let (tag, start, _) = der_tlv(cert, 0).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, mut pos, tbs_end) = der_tlv(cert, start).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    // [0] version (optional), serial, signature, issuer, validity, subject,
    // subjectPublicKeyInfo.
    let mut index = 0;
    loop {
        let (tag, content, end) = der_tlv(cert, pos).ok_or_else(bad)?;
        if end > tbs_end {
            return Err(bad());
        }
        if index == 0 && tag == 0xa0 {
            pos = end;
            continue;
        }
        if index == 5 {
            if tag != 0x30 {
                return Err(bad());
            }
            let (_, _, alg_end) = der_tlv(cert, content).ok_or_else(bad)?;
            let (tag, bits, bits_end) = der_tlv(cert, alg_end).ok_or_else(bad)?;
            if tag != 0x03 || cert.get(bits) != Some(&0) {
                return Err(bad());
            }
            return cert
                .get(bits + 1..bits_end)
                .map(<[u8]>::to_vec)
                .ok_or_else(bad);
        }
        index += 1;
        pos = end;
    }
}

/// Accepts the inner TLS certificate without a trust decision (it is bound
/// by `pubKeyAuth` instead) but still verifies the handshake signatures, so
/// the server must hold that certificate's key.
#[derive(Debug)]
struct BoundByPubKeyAuth {
    signatures: HandshakeSignatures,
}

impl ServerCertVerifier for BoundByPubKeyAuth {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_of_a_generated_certificate() {
        let cert = rcgen::generate_simple_self_signed(vec!["lab.example".into()]).unwrap();
        let key = subject_public_key(cert.cert.der()).unwrap();
        assert_eq!(key, cert.signing_key.public_key_raw());
        assert!(subject_public_key(b"\x30\x03\x02\x01\x00").is_err());
        assert!(subject_public_key(&[]).is_err());
    }
}
