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

/// A TLS server configuration like [`self_signed`] that also asks clients
/// for a certificate and verifies any it gets against `trusted_issuers` (the
/// CAs in the server's Trusted Root store). Clients without a certificate
/// still connect (they may authenticate otherwise); a certificate from an
/// untrusted issuer fails the TLS handshake, as with HTTP.sys.
pub fn self_signed_with_client_certificates(
    names: &[String],
    trusted_issuers: &[CertificateDer<'static>],
) -> Result<(Arc<rustls::ServerConfig>, CertificateDer<'static>), String> {
    let generated = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| format!("certificate: {e}"))?;
    let cert = CertificateDer::from(generated.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for issuer in trusted_issuers {
        roots
            .add(issuer.clone())
            .map_err(|e| format!("trusted issuer: {e}"))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| format!("client certificate verifier: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert.clone()], key)
        .map_err(|e| format!("certificate: {e}"))?;
    Ok((Arc::new(config), cert))
}

/// One entry of WinRM's `WSMan:\localhost\ClientCertificate`: a client
/// certificate whose subject is `subject` and whose issuer is the CA with
/// thumbprint `issuer_thumbprint` logs on as `user`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateMapping {
    /// Matched (case-insensitively) against the certificate's UPN, e-mail
    /// and DNS subject alternative names and its subject common name.
    pub subject: String,
    /// SHA-1 thumbprint of the issuing CA certificate (40 hex digits).
    pub issuer_thumbprint: String,
    /// The local user, `DOMAIN\name` as in the user table.
    pub user: String,
}

/// What the lab reads from a client certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// The DER content of the issuer and subject names (inside their
    /// SEQUENCE).
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    /// Subject common names, then UPN, e-mail and DNS alternative names.
    pub names: Vec<String>,
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_UPN: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03];

/// The children of the constructed DER value spanning `start..end`.
fn children(buf: &[u8], start: usize, end: usize) -> Option<Vec<(u8, usize, usize)>> {
    use crate::protocol::auth::der_tlv;
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let (tag, s, e) = der_tlv(buf, pos)?;
        if e > end || out.len() > 512 {
            return None;
        }
        out.push((tag, s, e));
        pos = e;
    }
    Some(out)
}

fn text(buf: &[u8], start: usize, end: usize) -> Option<String> {
    buf.get(start..end)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::to_owned)
}

/// Reads the issuer, subject and subject names of a DER certificate;
/// `None` if it is not a well-formed X.509 certificate.
pub fn certificate_names(cert: &[u8]) -> Option<CertificateNames> {
    use crate::protocol::auth::der_tlv;
    let (_, cs, ce) = der_tlv(cert, 0)?;
    let (tag, ts, te) = *children(cert, cs, ce)?.first()?;
    if tag != 0x30 {
        return None;
    }
    let tbs = children(cert, ts, te)?;
    let skip = usize::from(tbs.first()?.0 == 0xa0);
    // serial, signature, issuer, validity, subject, spki, then optional fields.
    let &(_, is, ie) = tbs.get(skip + 2)?;
    let &(_, ss, se) = tbs.get(skip + 4)?;
    let mut out = CertificateNames {
        issuer: cert.get(is..ie)?.to_vec(),
        subject: cert.get(ss..se)?.to_vec(),
        names: Vec::new(),
    };
    for (_, rs, re) in children(cert, ss, se)? {
        for (_, avs, ave) in children(cert, rs, re)? {
            let attr = children(cert, avs, ave)?;
            let (&(_, os, oe), &(_, vs, ve)) = (attr.first()?, attr.get(1)?);
            if cert.get(os..oe)? == OID_CN {
                out.names.extend(text(cert, vs, ve));
            }
        }
    }
    for &(tag, es, ee) in tbs.iter().skip(skip + 6) {
        if tag != 0xa3 {
            continue;
        }
        let (_, ls, le) = *children(cert, es, ee)?.first()?;
        for (_, xs, xe) in children(cert, ls, le)? {
            let ext = children(cert, xs, xe)?;
            let &(_, os, oe) = ext.first()?;
            if cert.get(os..oe)? != OID_SAN {
                continue;
            }
            // extnValue is the last element: OCTET STRING holding GeneralNames.
            let &(_, vs, ve) = ext.last()?;
            let (_, gs, ge) = der_tlv(cert, vs).filter(|&(_, _, e)| e <= ve)?;
            for (gtag, ns, ne) in children(cert, gs, ge)? {
                match gtag {
                    0x81 | 0x82 => out.names.extend(text(cert, ns, ne)),
                    0xa0 => {
                        let other = children(cert, ns, ne)?;
                        let &(_, os, oe) = other.first()?;
                        if cert.get(os..oe)? == OID_UPN
                            && let Some(&(_, xs, xe)) = other.get(1)
                            && let Some((_, us, ue)) = der_tlv(cert, xs).filter(|t| t.2 <= xe)
                        {
                            out.names.extend(text(cert, us, ue));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Some(out)
}

/// The user a client certificate logs on as, if a mapping names its subject
/// and its issuer (found among `issuers` by thumbprint, and matching the
/// certificate's issuer name).
pub fn map_certificate(
    cert: &[u8],
    mappings: &[CertificateMapping],
    issuers: &[CertificateDer<'static>],
) -> Option<String> {
    let names = certificate_names(cert)?;
    mappings.iter().find_map(|m| {
        let issuer = issuers.iter().find(|i| {
            crate::model::certificate::thumbprint(i.as_ref())
                .eq_ignore_ascii_case(m.issuer_thumbprint.trim())
        })?;
        let issuer_names = certificate_names(issuer.as_ref())?;
        (issuer_names.subject == names.issuer
            && names
                .names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&m.subject)))
        .then(|| m.user.clone())
    })
}
