//! The TLS handshake-signature checks every certificate verifier of Baton's
//! makes the same way, whatever it decides about trust: the transport's
//! verifier (which can forgive SkipCACheck/SkipCNCheck) and CredSSP's inner
//! TLS (which binds the server's key through pubKeyAuth instead). Either way
//! the peer must prove it holds the certificate's key.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Signature checks with one crypto provider's algorithms.
#[derive(Debug, Clone)]
pub struct HandshakeSignatures(pub Arc<CryptoProvider>);

impl HandshakeSignatures {
    /// `ServerCertVerifier::verify_tls12_signature`.
    pub fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    /// `ServerCertVerifier::verify_tls13_signature`.
    pub fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    /// `ServerCertVerifier::supported_verify_schemes`.
    pub fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
