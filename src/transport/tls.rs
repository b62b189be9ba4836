//! TLS with rustls and the platform's root certificates.
//!
//! PowerShell's `-SessionOption` switches `SkipCACheck`, `SkipCNCheck` and
//! `SkipRevocationCheck` are honoured only as explicit, loudly named options
//! ([`TlsOptions::danger_skip_ca_check`] …); the UI marks them unsafe. With
//! them off, a certificate problem is an error that names the problem.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::TransportError;
use crate::protocol::auth::handshake_signatures::HandshakeSignatures;

/// Certificate checks for one connection.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Accept a certificate whose issuer is not trusted (`SkipCACheck`). Unsafe.
    pub danger_skip_ca_check: bool,
    /// Accept a certificate issued for another name (`SkipCNCheck`). Unsafe.
    pub danger_skip_cn_check: bool,
    /// `SkipRevocationCheck`: rustls checks revocation only against CRLs it is
    /// given and Baton gives none, so this is recorded and shown, not applied.
    pub danger_skip_revocation_check: bool,
    /// Extra trusted roots (PEM or DER), e.g. the lab's self-signed certificate.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// The certificate this client presents (`-CertificateThumbprint`).
    pub client_certificate: Option<Arc<ClientCertificate>>,
}

pub use crate::protocol::auth::CERTIFICATE_AUTHORIZATION;

/// A client certificate (with its chain) and private key, read from a PEM
/// file. The key never appears in `Debug` output.
pub struct ClientCertificate {
    chain: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint())
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Clone for ClientCertificate {
    fn clone(&self) -> Self {
        ClientCertificate {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

pub use crate::model::certificate::{normalize_thumbprint, thumbprint};

impl ClientCertificate {
    /// From PEM text holding the certificate (first), any intermediate
    /// certificates, and an unencrypted private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(pem: &[u8]) -> Result<Self, TransportError> {
        use rustls::pki_types::PrivateKeyDer;
        use rustls::pki_types::pem::PemObject as _;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| TransportError::Tls(format!("client certificate file: {e}")))?;
        if chain.is_empty() {
            return Err(TransportError::Tls(
                "the client certificate file holds no CERTIFICATE section".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| {
            TransportError::Tls(
                "the client certificate file holds no unencrypted private key (PKCS#8, RSA or EC PEM); a .pfx/.p12 file must be converted first: openssl pkcs12 -in cert.pfx -out cert.pem -nodes".into(),
            )
        })?;
        // The key must belong to the certificate.
        let provider = provider();
        let signing = provider
            .key_provider
            .load_private_key(key.clone_key())
            .map_err(|e| TransportError::Tls(format!("client certificate key: {e}")))?;
        let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing);
        certified.keys_match().map_err(|_| {
            TransportError::Tls(
                "the private key in the client certificate file does not belong to its certificate"
                    .into(),
            )
        })?;
        Ok(ClientCertificate { chain, key })
    }

    /// Reads a PEM file (see [`ClientCertificate::from_pem`]). As ssh does
    /// with its keys, a file that other users can read is refused: the
    /// private key in it is no longer the user's alone.
    pub fn from_file(path: &std::path::Path) -> Result<Self, TransportError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            if let Ok(m) = std::fs::metadata(path) {
                let mode = m.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(TransportError::Tls(format!(
                        "the client certificate {} holds a private key that other users can read (mode {mode:04o}); it was not used. Make it private: chmod 600 {}",
                        path.display(),
                        path.display()
                    )));
                }
            }
        }
        let data = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| {
            TransportError::Tls(format!(
                "cannot read the client certificate {}: {e}",
                path.display()
            ))
        })?);
        Self::from_pem(&data)
    }

    /// Resolves `-CertificateThumbprint` on a system without a Windows
    /// certificate store: a 40-digit thumbprint names the PEM file in
    /// `cert_dir` whose certificate has that thumbprint (`<THUMBPRINT>.pem`
    /// is looked at first, then every `*.pem`); anything else is a path to a
    /// PEM file.
    pub fn resolve(reference: &str, cert_dir: &std::path::Path) -> Result<Self, TransportError> {
        let Some(thumb) = normalize_thumbprint(reference) else {
            return Self::from_file(std::path::Path::new(reference.trim()));
        };
        prepare_certificate_dir(cert_dir)?;
        let named = cert_dir.join(format!("{thumb}.pem"));
        let mut candidates = vec![named.clone()];
        if let Ok(entries) = std::fs::read_dir(cert_dir) {
            let mut others: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p != &named && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pem"))
                })
                .collect();
            others.sort();
            candidates.extend(others);
        }
        for path in candidates {
            if !path.is_file() {
                continue;
            }
            if let Ok(cert) = Self::from_file(&path)
                && cert.thumbprint() == thumb
            {
                return Ok(cert);
            }
        }
        Err(TransportError::Tls(format!(
            "no client certificate with thumbprint {thumb} in {} (put the certificate and its key there as one PEM file, e.g. {thumb}.pem)",
            cert_dir.display()
        )))
    }

    /// The SHA-1 thumbprint of the certificate.
    pub fn thumbprint(&self) -> String {
        self.chain
            .first()
            .map(|c| thumbprint(c.as_ref()))
            .unwrap_or_default()
    }

    /// The certificate (DER).
    pub fn certificate(&self) -> Option<&CertificateDer<'static>> {
        self.chain.first()
    }
}

/// Makes the certificate folder ready to hold private keys: created, with
/// its parents, private to the user (0700 on Unix) when missing; refused
/// when other users can write to it (they could plant a certificate), as
/// ssh refuses such a folder.
pub fn prepare_certificate_dir(dir: &std::path::Path) -> Result<(), TransportError> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        return builder.create(dir).map_err(|e| {
            TransportError::Tls(format!(
                "cannot create the certificate folder {}: {e}",
                dir.display()
            ))
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(m) = std::fs::metadata(dir) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o022 != 0 {
                return Err(TransportError::Tls(format!(
                    "the certificate folder {} can be written by other users (mode {mode:04o}); no certificate was taken from it. Make it private: chmod 700 {}",
                    dir.display(),
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

/// Where `-CertificateThumbprint` looks for certificate files: `certs` in
/// Baton's configuration folder (`~/.config/baton/certs` on Linux,
/// `~/Library/Application Support/baton/certs` on macOS).
pub fn default_certificate_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("", "", "baton").map(|d| d.config_dir().join("certs"))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client configuration for `options`.
pub fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig, TransportError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    for cert in &options.extra_roots {
        roots.add(cert.clone()).map_err(|e| {
            TransportError::Tls(format!("an extra trusted certificate is invalid: {e}"))
        })?;
    }
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?;
    let config = if roots.is_empty() && !options.danger_skip_ca_check {
        return Err(TransportError::Tls(
            "no trusted root certificates were found on this system; install the ca-certificates package or use SkipCACheck for a lab".into(),
        ));
    } else if options.danger_skip_ca_check || options.danger_skip_cn_check {
        let inner = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TransportError::Tls(e.to_string()))?,
            )
        };
        let verifier = LenientVerifier {
            inner,
            signatures: HandshakeSignatures(provider.clone()),
            skip_ca: options.danger_skip_ca_check,
            skip_cn: options.danger_skip_cn_check,
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        with_client_certificate(builder, options)?
    } else {
        with_client_certificate(builder.with_root_certificates(roots), options)?
    };
    Ok(config)
}

fn with_client_certificate(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    options: &TlsOptions,
) -> Result<rustls::ClientConfig, TransportError> {
    match &options.client_certificate {
        Some(c) => builder
            .with_client_auth_cert(c.chain.clone(), c.key.clone_key())
            .map_err(|e| TransportError::Tls(format!("client certificate: {e}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// Turns a TLS handshake failure into an error naming the certificate problem
/// and what to do.
pub fn describe_tls_error(host: &str, e: &std::io::Error) -> TransportError {
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
        .cloned();
    let msg = match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => format!(
                "the certificate of {host} was not issued by a trusted certification authority (self-signed?); trust its issuer on this computer, or use -SessionOption (New-PSSessionOption -SkipCACheck) only for a test lab"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the certificate of {host} was issued for another name; connect with the name in the certificate, or use -SkipCNCheck only for a test lab"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the certificate of {host} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet (check both computers' clocks)")
            }
            CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
            CertificateError::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                format!(
                    "the certificate of {host} is a certification authority's certificate (CA:TRUE) used as the server's own, which is how a quick self-signed lab certificate is often made; issue a server certificate from that authority, or use -SkipCACheck only for a test lab"
                )
            }
            other => format!("the certificate of {host} was refused: {other}"),
        },
        Some(rustls::Error::AlertReceived(alert)) if is_certificate_alert(alert) => {
            client_certificate_refused(host, alert)
        }
        Some(other) => format!("TLS with {host} failed: {other}"),
        None => format!("TLS with {host} failed: {e}"),
    };
    TransportError::Tls(msg)
}

fn is_certificate_alert(alert: rustls::AlertDescription) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        alert,
        A::UnknownCA
            | A::BadCertificate
            | A::CertificateUnknown
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::CertificateRequired
            | A::AccessDenied
    )
}

fn client_certificate_refused(host: &str, alert: rustls::AlertDescription) -> String {
    format!(
        "{host} refused this computer's client certificate during TLS ({alert:?}): the server does not trust its issuer, or it has expired"
    )
}

/// A TLS alert refusing this client's certificate, found anywhere in an
/// error chain. With TLS 1.3 the server checks a client certificate after
/// the client's side of the handshake has ended, so its refusal arrives with
/// the first request rather than from the handshake.
pub fn certificate_alert_in(
    error: &(dyn std::error::Error + 'static),
    host: &str,
) -> Option<TransportError> {
    let mut current = Some(error);
    while let Some(e) = current {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::AlertReceived(alert)) = tls
            && is_certificate_alert(*alert)
        {
            return Some(TransportError::Tls(client_certificate_refused(
                host, *alert,
            )));
        }
        current = e.source();
    }
    None
}

/// A verifier that forgives exactly the checks the user chose to skip.
#[derive(Debug)]
struct LenientVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    signatures: HandshakeSignatures,
    skip_ca: bool,
    skip_cn: bool,
}

impl ServerCertVerifier for LenientVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = match &self.inner {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        match chain {
            Ok(ok) => Ok(ok),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.skip_cn => Ok(ServerCertVerified::assertion()),
            // SkipCACheck skips the chain's validation, as on Windows: an
            // unknown issuer, a self-signed CA certificate serving as the
            // server's own (openssl's usual lab certificate, CA:TRUE), any
            // other chain problem. Dates and revocation still count, and the
            // name has to match unless SkipCNCheck is also set.
            Err(rustls::Error::InvalidCertificate(e))
                if self.skip_ca
                    && !matches!(
                        e,
                        CertificateError::Expired
                            | CertificateError::ExpiredContext { .. }
                            | CertificateError::NotValidYet
                            | CertificateError::NotValidYetContext { .. }
                            | CertificateError::Revoked
                            | CertificateError::NotValidForName
                            | CertificateError::NotValidForNameContext { .. }
                    ) =>
            {
                if !self.skip_cn {
                    let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                    rustls::client::verify_server_name(&parsed, server_name)?;
                }
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
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

    /// A self-signed certificate for `name`, made as `openssl req -x509`
    /// makes one: a CA certificate (CA:TRUE) serving as the server's own.
    fn lab_certificate(name: &str) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    fn verifier(skip_ca: bool, skip_cn: bool) -> LenientVerifier {
        // Some trusted root, not the lab's: the chain check runs and fails.
        let other = lab_certificate("some-ca.example");
        let mut roots = RootCertStore::empty();
        roots.add(other).unwrap();
        LenientVerifier {
            inner: Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                    .build()
                    .unwrap(),
            ),
            signatures: HandshakeSignatures(provider()),
            skip_ca,
            skip_cn,
        }
    }

    fn check(
        v: &LenientVerifier,
        cert: &CertificateDer<'_>,
        name: &str,
    ) -> Result<(), rustls::Error> {
        let server = ServerName::try_from(name.to_owned()).unwrap();
        v.verify_server_cert(cert, &[], &server, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn skip_ca_check_accepts_the_usual_self_signed_lab_certificate() {
        let cert = lab_certificate("lab.example");
        // SkipCACheck: the chain is not validated; the name still is.
        assert!(check(&verifier(true, false), &cert, "lab.example").is_ok());
        let wrong = check(&verifier(true, false), &cert, "other.example").unwrap_err();
        assert!(
            matches!(
                wrong,
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            ),
            "{wrong:?}"
        );
        assert!(check(&verifier(true, true), &cert, "other.example").is_ok());
        // Without it the certificate is refused, in words that name the problem.
        let refused = check(&verifier(false, true), &cert, "lab.example").unwrap_err();
        let text = describe_tls_error("lab.example", &std::io::Error::other(refused)).to_string();
        assert!(
            !text.contains("Other(") && !text.contains("OtherError"),
            "{text}"
        );
        assert!(text.contains("lab.example"), "{text}");
    }
}
