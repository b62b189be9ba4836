//! HTTPS for the lab: a self-signed certificate generated at start, as a
//! test server would have. Clients must either trust it or skip the CA check.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS server configuration with a fresh self-signed certificate for
/// `names` (host names or IP addresses), and that certificate.
pub fn self_signed(
    names: &[String],
) -> Result<(Arc<rustls::ServerConfig>, CertificateDer<'static>), String> {
    let generated = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| format!("certificate: {e}"))?;
    let cert = CertificateDer::from(generated.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(|e| format!("certificate: {e}"))?;
    Ok((Arc::new(config), cert))
}
