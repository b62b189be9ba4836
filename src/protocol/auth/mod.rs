//! Authentication for WinRM over HTTP(S) as sans-IO step machines, and the
//! sealing of WinRM message bodies ([MS-WSMV] §2.2.9.1).
//!
//! * [`client::ClientAuthenticator`]: Basic, Negotiate (SPNEGO with NTLM),
//!   raw NTLM, CredSSP ([`credssp`]) and the client-certificate header.
//!   Given the server's `WWW-Authenticate` values it produces the
//!   next `Authorization` value; once complete it seals and unseals bodies.
//! * [`server::ServerAcceptor`]: the lab endpoint's side, accepting NTLM (raw
//!   or inside SPNEGO) and Basic against a [`server::UserTable`].
//! * [`credssp_server::CredSspAcceptor`]: the lab's CredSSP acceptor.
//! * [`sealing`]: the `multipart/encrypted` framing over a [`sealing::SealingContext`].
//!
//! NTLM, Kerberos and SPNEGO come from the `sspi` crate. The Kerberos
//! client's KDC traffic is not done here: [`kerberos::KdcExchange`] is the
//! transport's part ([`kerberos`] locates KDCs from krb5.conf text and DNS
//! SRV answers).
//!
//! Secrets (passwords, session state) live in zeroizing types and never appear
//! in `Debug` output or error messages.
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv

pub mod client;
pub(crate) mod credssp;
pub(crate) mod credssp_server;
pub(crate) mod handshake_signatures;
pub mod kerberos;
pub mod sealing;
pub mod server;
mod sspi_glue;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::protocol::ProtocolError;

pub use client::{ClientAuthenticator, ClientStep};
pub use sealing::{SealProtocol, Sealed, SealingContext};
pub use server::{AcceptOutcome, ServerAcceptor, UserTable};

/// A user name and password. The password is zeroized on drop and never shown
/// by `Debug`.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: Zeroizing<String>,
    /// The current user's own credentials, held by the system (a Kerberos
    /// credential cache), not a password: `user` is their principal.
    implicit: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Credentials for `DOMAIN\user`, `user@domain` or a bare `user`.
    pub fn new(user: &str, password: impl Into<String>) -> Result<Self, ProtocolError> {
        let password = Zeroizing::new(password.into());
        let user = user.trim();
        if user.is_empty() {
            return Err(ProtocolError::Auth("empty user name".into()));
        }
        if user.chars().any(char::is_control) {
            return Err(ProtocolError::Auth(
                "user name contains control characters".into(),
            ));
        }
        Ok(Credentials {
            user: user.to_owned(),
            password,
            implicit: false,
        })
    }

    /// The current user's credentials, which the system holds (the
    /// transport authenticates with them through GSSAPI); `principal` names
    /// them in messages.
    pub fn implicit(principal: &str) -> Self {
        Credentials {
            user: principal.trim().to_owned(),
            password: Zeroizing::new(String::new()),
            implicit: true,
        }
    }

    /// Whether these are the current user's implicit credentials.
    pub fn is_implicit(&self) -> bool {
        self.implicit
    }

    /// The user name as given.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password (for the code that hands it to the mechanism).
    pub fn password(&self) -> &str {
        &self.password
    }
}

/// Authentication mechanisms, named as PowerShell names them
/// (`-Authentication Basic|Negotiate|NTLM`; `Default` is Negotiate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// `Authorization: Basic` ([MS-WSMV] §2.2.9.1 does not seal it).
    Basic,
    /// SPNEGO offering NTLM, HTTP scheme `Negotiate`.
    Negotiate,
    /// Raw NTLM, HTTP scheme `NTLM`.
    Ntlm,
    /// CredSSP ([MS-CSSP]): TLS inside the tokens, SPNEGO/NTLM inside TLS,
    /// then the user's name and password delegated to the server.
    CredSsp,
    /// Raw Kerberos (RFC 4121 tokens), HTTP scheme `Kerberos`; bodies sealed
    /// as `application/HTTP-Kerberos-session-encrypted`.
    Kerberos,
    /// A client certificate over HTTPS (`-CertificateThumbprint`): TLS
    /// authenticates the user, and every request carries
    /// [`CERTIFICATE_AUTHORIZATION`].
    Certificate,
}

/// The `Authorization` value WinRM expects with client-certificate
/// authentication over HTTPS (the WS-Management "https/mutual" security
/// profile; pypsrp sends the same).
pub const CERTIFICATE_AUTHORIZATION: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual";

impl Mechanism {
    /// The HTTP authentication scheme token.
    pub fn scheme(self) -> &'static str {
        match self {
            Mechanism::Basic => "Basic",
            Mechanism::Negotiate => "Negotiate",
            Mechanism::Ntlm => "NTLM",
            Mechanism::CredSsp => "CredSSP",
            Mechanism::Kerberos => "Kerberos",
            Mechanism::Certificate => CERTIFICATE_AUTHORIZATION,
        }
    }

    /// Parses a PowerShell mechanism name (case-insensitive); `Default` maps
    /// to Negotiate. Digest is refused (WinRM does not implement it), as are
    /// implicit credentials.
    pub fn parse(name: &str) -> Result<Self, ProtocolError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "basic" => Ok(Mechanism::Basic),
            "negotiate" | "default" => Ok(Mechanism::Negotiate),
            "ntlm" => Ok(Mechanism::Ntlm),
            "credssp" => Ok(Mechanism::CredSsp),
            "kerberos" => Ok(Mechanism::Kerberos),
            "certificate" => Ok(Mechanism::Certificate),
            "digest" => Err(ProtocolError::Auth(
                "Digest authentication is not supported by WinRM; use Negotiate, Kerberos, CredSSP, or Basic over HTTPS".into(),
            )),
            "negotiatewithimplicitcredential" => Err(ProtocolError::Auth(format!(
                "authentication mechanism {name} is not supported"
            ))),
            _ => Err(ProtocolError::InvalidValue {
                what: "authentication mechanism".into(),
                value: name.chars().take(40).collect(),
            }),
        }
    }

    /// Whether message bodies are sealed over plain HTTP with this mechanism.
    pub fn seals(self) -> bool {
        !matches!(self, Mechanism::Basic | Mechanism::Certificate)
    }

    /// The session-encryption protocol of sealed bodies.
    pub fn seal_protocol(self) -> SealProtocol {
        match self {
            Mechanism::CredSsp => SealProtocol::CredSsp,
            Mechanism::Kerberos => SealProtocol::Kerberos,
            _ => SealProtocol::Spnego,
        }
    }
}

/// Refuses Basic authentication over plain HTTP unless the caller explicitly
/// allows unencrypted traffic: the password and every SOAP body would travel
/// in clear ([MS-WSMV] §3.1.4.1.29.1: the service refuses unencrypted
/// traffic unless AllowUnencrypted is set). Mechanisms that seal always pass.
pub fn check_transport_security(
    mechanism: Mechanism,
    https: bool,
    allow_unencrypted: bool,
) -> Result<(), ProtocolError> {
    if mechanism == Mechanism::Certificate && !https {
        return Err(ProtocolError::Auth(
            "client certificate authentication works only over https (port 5986, -UseSSL)".into(),
        ));
    }
    if mechanism == Mechanism::Basic && !https && !allow_unencrypted {
        return Err(ProtocolError::Auth(
            "basic authentication over plain http sends the password in clear; use https or explicitly allow unencrypted traffic".into(),
        ));
    }
    Ok(())
}

/// The `Authorization` value for Basic: `Basic base64(user:password)`.
pub fn basic_authorization(credentials: &Credentials) -> Zeroizing<String> {
    let raw = Zeroizing::new(format!("{}:{}", credentials.user(), credentials.password()));
    Zeroizing::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    ))
}

/// One challenge of a `WWW-Authenticate` header: the scheme and its optional
/// base64 token (already decoded).
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub token: Option<Vec<u8>>,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("scheme", &self.scheme)
            .field("token_len", &self.token.as_ref().map(Vec::len))
            .finish()
    }
}

/// The largest authentication token accepted in a header (decoded bytes).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Parses `WWW-Authenticate` (or `Authorization`) values into challenges.
/// Each value may hold several comma-separated challenges (`Negotiate,
/// Basic realm="x"`); a token-bearing scheme is `Scheme <base64>`. Parameters
/// such as `realm=` are kept out of the token.
pub fn parse_challenges<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Challenge>, ProtocolError> {
    let mut out = Vec::new();
    for value in values {
        for piece in value.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let (first, rest) = match piece.split_once(char::is_whitespace) {
                Some((a, b)) => (a, b.trim()),
                None => (piece, ""),
            };
            if first.contains('=') {
                // An auth-param continuing the previous challenge (realm=…).
                continue;
            }
            let token = if rest.is_empty() || rest.contains('=') && !looks_base64(rest) {
                None
            } else {
                if rest.len() > MAX_TOKEN_LEN * 2 {
                    return Err(ProtocolError::Limit("authentication token too long".into()));
                }
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(rest)
                        .map_err(|_| ProtocolError::Base64(format!("{first} token")))?,
                )
            };
            out.push(Challenge {
                scheme: first.to_owned(),
                token,
            });
        }
    }
    Ok(out)
}

/// Whether a 401's `WWW-Authenticate` values offer this mechanism's scheme
/// (pypsrp looks for Negotiate, then Kerberos, then NTLM; protocol brief §6.1).
pub fn server_offers<'a>(
    www_authenticate: impl IntoIterator<Item = &'a str>,
    mechanism: Mechanism,
) -> Result<bool, ProtocolError> {
    Ok(parse_challenges(www_authenticate)?
        .iter()
        .any(|c| c.scheme.eq_ignore_ascii_case(mechanism.scheme())))
}

fn looks_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `Scheme base64(token)`.
pub fn token_header(scheme: &str, token: &[u8]) -> String {
    format!(
        "{scheme} {}",
        base64::engine::general_purpose::STANDARD.encode(token)
    )
}

/// The channel-binding application data for TLS, `tls-server-end-point:`
/// followed by the hash of the server's DER certificate, using the hash of the
/// certificate's signature algorithm, with MD5 and SHA-1 (and anything
/// unknown) replaced by SHA-256 (RFC 5929 §4.1).
pub fn tls_server_end_point(certificate_der: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    use sha2::Digest as _;
    let oid = signature_algorithm_oid(certificate_der)?;
    // 1.2.840.113549.1.1.12 / .13 (RSA SHA-384/512), 1.2.840.10045.4.3.3 / .4 (ECDSA).
    const SHA384: [&[u8]; 2] = [
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
    ];
    const SHA512: [&[u8]; 2] = [
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
    ];
    let hash: Vec<u8> = if SHA384.contains(&oid) {
        sha2::Sha384::digest(certificate_der).to_vec()
    } else if SHA512.contains(&oid) {
        sha2::Sha512::digest(certificate_der).to_vec()
    } else {
        sha2::Sha256::digest(certificate_der).to_vec()
    };
    let mut out = b"tls-server-end-point:".to_vec();
    out.extend_from_slice(&hash);
    Ok(out)
}

/// Reads one DER TLV at `pos`: (tag, content start, content end).
pub(crate) fn der_tlv(buf: &[u8], pos: usize) -> Option<(u8, usize, usize)> {
    let tag = *buf.get(pos)?;
    let first = *buf.get(pos + 1)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), pos + 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*buf.get(pos + 2 + i)?);
        }
        (len, pos + 2 + n)
    };
    let end = start.checked_add(len)?;
    (end <= buf.len()).then_some((tag, start, end))
}

/// The OID bytes of `Certificate.signatureAlgorithm` (RFC 5280 §4.1).
fn signature_algorithm_oid(cert: &[u8]) -> Result<&[u8], ProtocolError> {
    let bad = || ProtocolError::InvalidValue {
        what: "server certificate".into(),
        value: "not a DER X.509 certificate".into(),
    };
    let (tag, start, _) = der_tlv(cert, 0).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, _, tbs_end) = der_tlv(cert, start).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, alg_start, _) = der_tlv(cert, tbs_end).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, oid_start, oid_end) = der_tlv(cert, alg_start).ok_or_else(bad)?;
    if tag != 0x06 {
        return Err(bad());
    }
    cert.get(oid_start..oid_end).ok_or_else(bad)
}

/// Builds a `SEC_CHANNEL_BINDINGS` structure carrying only application data
/// (the form SSPI and sspi-rs take for `tls-server-end-point`).
pub fn sec_channel_bindings(application_data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + application_data.len());
    for v in [0u32, 0, 0, 0, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(application_data.len() as u32).to_le_bytes());
    out.extend_from_slice(&32u32.to_le_bytes());
    out.extend_from_slice(application_data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_redacts() {
        let c = Credentials::new("DOM\\u", "s3cret-pw").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret-pw"));
        assert!(shown.contains("DOM\\\\u"));
    }

    #[test]
    fn challenges_parse() {
        let c =
            parse_challenges(["Negotiate, Basic realm=\"WSMAN\"", "NTLM TlRMTVNTUAAB"]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].scheme, "Negotiate");
        assert!(c[0].token.is_none());
        assert_eq!(c[1].scheme, "Basic");
        assert!(c[1].token.is_none());
        assert_eq!(c[2].token.as_deref(), Some(&b"NTLMSSP\0\x01"[..]));
    }

    #[test]
    fn channel_bindings_layout() {
        let b = sec_channel_bindings(b"abc");
        assert_eq!(b.len(), 35);
        assert_eq!(&b[24..28], &3u32.to_le_bytes());
        assert_eq!(&b[28..32], &32u32.to_le_bytes());
    }
}
