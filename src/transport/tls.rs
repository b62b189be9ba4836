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
            provider: provider.clone(),
            skip_ca: options.danger_skip_ca_check,
            skip_cn: options.danger_skip_cn_check,
        };
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
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
            other => format!("the certificate of {host} was refused: {other:?}"),
        },
        Some(other) => format!("TLS with {host} failed: {other}"),
        None => format!("TLS with {host} failed: {e}"),
    };
    TransportError::Tls(msg)
}

/// A verifier that forgives exactly the checks the user chose to skip.
#[derive(Debug)]
struct LenientVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
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
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
                if self.skip_ca =>
            {
                // The issuer is forgiven; the name still has to match unless
                // SkipCNCheck is also set.
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
