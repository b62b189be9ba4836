//! CredSSP against the lab (which, like a default Windows server, refuses
//! it) and client-certificate authentication over HTTPS against the lab's
//! listener with WinRM-style certificate mappings, both also switched on
//! from a lab file. CredSSP against a real acceptor (pyspnego's) is in
//! `auth.rs`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use baton::lab::listener::{Caller, ListenerSettings, WsmanService, serve_http, serve_https};
use baton::lab::tls::{
    CertificateMapping, certificate_names, self_signed_with_client_certificates,
};
use baton::protocol::auth::{CERTIFICATE_AUTHORIZATION, Credentials, Mechanism, UserTable};
use baton::protocol::http::{HttpRequest, HttpResponse};
use baton::transport::TransportError;
use baton::transport::http::{ConnectOptions, Endpoint, HttpConnection};
use baton::transport::session::{AuthSettings, WsmanConnection};
use baton::transport::tls::{ClientCertificate, TlsOptions, normalize_thumbprint, thumbprint};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use rustls::pki_types::CertificateDer;

const T: Duration = Duration::from_secs(20);

/// Answers every SOAP body with the caller's name.
struct WhoAmI;

impl WsmanService for WhoAmI {
    fn handle<'a>(
        &'a self,
        caller: Caller,
        request: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = HttpResponse> + Send + 'a>> {
        Box::pin(async move {
            let mut body = format!("{}|", caller.user).into_bytes();
            body.extend_from_slice(&request.body);
            HttpResponse::new(200, body)
        })
    }
}

fn users() -> UserTable {
    UserTable::new()
        .with("Domain01\\User01", "P@ssw0rd-tech")
        .unwrap()
        .with("Domain01\\Admin", "P@ssw0rd-adm")
        .unwrap()
}

#[tokio::test]
async fn lab_refuses_credssp_like_a_default_windows_server() {
    let h = serve_http(
        "127.0.0.1:0".parse().unwrap(),
        ListenerSettings {
            users: users(),
            ..Default::default()
        },
        Arc::new(WhoAmI),
    )
    .await
    .unwrap();
    let mut c = WsmanConnection::new(
        Endpoint::parse(&format!("http://127.0.0.1:{}/wsman", h.local_addr.port())).unwrap(),
        ConnectOptions::default(),
        AuthSettings {
            mechanism: Mechanism::CredSsp,
            credentials: Credentials::new("Domain01\\User01", "P@ssw0rd-tech").unwrap(),
            seal_over_http: true,
            allow_unencrypted: false,
            workstation: "BATON-TEST".into(),
        },
    )
    .unwrap();
    let err = c.post(b"<s:Envelope/>", T, false).await.unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("does not accept CredSSP"), "{text}");
    assert!(text.contains("Enable-WSManCredSSP"), "{text}");
    h.stop().await;
}

fn credssp_connection(port: u16, user: &str, password: &str) -> WsmanConnection {
    WsmanConnection::new(
        Endpoint::parse(&format!("http://127.0.0.1:{port}/wsman")).unwrap(),
        ConnectOptions::default(),
        AuthSettings {
            mechanism: Mechanism::CredSsp,
            credentials: Credentials::new(user, password).unwrap(),
            seal_over_http: true,
            allow_unencrypted: false,
            workstation: "BATON-TEST".into(),
        },
    )
    .unwrap()
}

/// With `Service\Auth\CredSSP` on, the lab accepts CredSSP over HTTP: the
/// handshake over real loopback HTTP, the delegated credentials checked, and
/// sealed bodies both ways, over 16 KiB in several parts.
#[tokio::test]
async fn lab_with_credssp_enabled_accepts_and_seals() {
    let h = serve_http(
        "127.0.0.1:0".parse().unwrap(),
        ListenerSettings {
            users: users(),
            allow_credssp: true,
            ..Default::default()
        },
        Arc::new(WhoAmI),
    )
    .await
    .unwrap();
    let mut c = credssp_connection(h.local_addr.port(), "Domain01\\User01", "P@ssw0rd-tech");
    for len in [10usize, 16 * 1024, 50_000] {
        let body = format!("<s:Envelope>{}</s:Envelope>", "x".repeat(len));
        let r = c.post(body.as_bytes(), T, false).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            format!("Domain01\\User01|{body}")
        );
    }
    assert_eq!(c.handshakes(), 1);
    // A lost connection authenticates again from scratch.
    c.reset();
    let r = c.post(b"again", T, true).await.unwrap();
    assert_eq!(String::from_utf8(r.body).unwrap(), "Domain01\\User01|again");
    assert_eq!(c.handshakes(), 2);

    let mut bad = credssp_connection(h.local_addr.port(), "Domain01\\User01", "wrong");
    let err = bad.post(b"<s:Envelope/>", T, false).await.unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
    assert!(err.to_string().contains("access denied"), "{err}");
    h.stop().await;
}

/// A CA and the certificates it issues, made with rcgen.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: CertificateDer<'static>,
    /// The CA certificate as PEM (for a lab file's `certificate_authorities`).
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let der = cert.der().clone();
        let pem = cert.pem();
        Ca {
            params,
            key,
            der,
            pem,
        }
    }

    fn thumbprint(&self) -> String {
        thumbprint(self.der.as_ref())
    }

    /// A client-authentication certificate for `upn` (UPN and e-mail
    /// alternative names, as Windows user certificates carry); returns PEM
    /// with the certificate and its key.
    fn issue(&self, upn: &str) -> String {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "client");
        params.subject_alt_names = vec![
            SanType::OtherName((
                vec![1, 3, 6, 1, 4, 1, 311, 20, 2, 3],
                rcgen::OtherNameValue::Utf8String(upn.to_owned()),
            )),
            SanType::Rfc822Name(upn.try_into().unwrap()),
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        format!("{}{}", cert.pem(), key.serialize_pem())
    }
}

struct CertLab {
    handle: baton::lab::listener::ListenerHandle,
    server_cert: CertificateDer<'static>,
    ca: Ca,
}

async fn cert_lab() -> CertLab {
    let ca = Ca::new("Baton Test CA");
    let (tls, server_cert) = self_signed_with_client_certificates(
        &["127.0.0.1".to_owned()],
        std::slice::from_ref(&ca.der),
    )
    .unwrap();
    let settings = ListenerSettings {
        users: users(),
        certificate_mappings: vec![CertificateMapping {
            subject: "user01@domain01.example".into(),
            issuer_thumbprint: ca.thumbprint(),
            user: "Domain01\\User01".into(),
        }],
        certificate_issuers: vec![ca.der.clone()],
        ..Default::default()
    };
    let handle = serve_https(
        "127.0.0.1:0".parse().unwrap(),
        settings,
        Arc::new(WhoAmI),
        tls,
    )
    .await
    .unwrap();
    CertLab {
        handle,
        server_cert,
        ca,
    }
}

impl CertLab {
    fn endpoint(&self) -> Endpoint {
        Endpoint::parse(&format!(
            "https://127.0.0.1:{}/wsman",
            self.handle.local_addr.port()
        ))
        .unwrap()
    }

    fn options(&self, cert: Option<ClientCertificate>) -> ConnectOptions {
        ConnectOptions {
            tls: TlsOptions {
                extra_roots: vec![self.server_cert.clone()],
                client_certificate: cert.map(Arc::new),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn connection(&self, cert: ClientCertificate) -> WsmanConnection {
        WsmanConnection::new(self.endpoint(), self.options(Some(cert)), cert_auth()).unwrap()
    }
}

fn cert_auth() -> AuthSettings {
    AuthSettings {
        mechanism: Mechanism::Certificate,
        // Certificate authentication sends no password; the name is only shown.
        credentials: Credentials::new("certificate", "").unwrap(),
        seal_over_http: false,
        allow_unencrypted: false,
        workstation: "BATON-TEST".into(),
    }
}

#[tokio::test]
async fn mapped_client_certificate_logs_on_as_its_user() {
    let lab = cert_lab().await;
    let pem = lab.ca.issue("user01@domain01.example");
    let mut c = lab.connection(ClientCertificate::from_pem(pem.as_bytes()).unwrap());
    for i in 0..3 {
        let r = c
            .post(format!("<s:Envelope>{i}</s:Envelope>").as_bytes(), T, false)
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            format!("Domain01\\User01|<s:Envelope>{i}</s:Envelope>")
        );
    }
    assert_eq!(c.handshakes(), 1);
    lab.handle.stop().await;
}

#[tokio::test]
async fn unmapped_client_certificate_is_refused_with_403() {
    let lab = cert_lab().await;
    // Trusted issuer, but no mapping names this subject.
    let pem = lab.ca.issue("intruder@domain01.example");
    let mut c = lab.connection(ClientCertificate::from_pem(pem.as_bytes()).unwrap());
    let err = c.post(b"<s:Envelope/>", T, false).await.unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
    assert!(err.to_string().contains("maps it to no user"), "{err}");
    assert!(err.to_string().contains("HTTP 403"), "{err}");
    lab.handle.stop().await;
}

#[tokio::test]
async fn client_certificate_from_an_untrusted_issuer_fails_tls() {
    let lab = cert_lab().await;
    // Same subject as the mapping, but issued by a CA the server does not trust.
    let rogue = Ca::new("Rogue CA");
    let pem = rogue.issue("user01@domain01.example");
    let mut c = lab.connection(ClientCertificate::from_pem(pem.as_bytes()).unwrap());
    let err = c.post(b"<s:Envelope/>", T, false).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("refused this computer's client certificate"),
        "{err:?}"
    );
    lab.handle.stop().await;
}

#[tokio::test]
async fn no_client_certificate_is_refused() {
    let lab = cert_lab().await;
    // Baton will not try certificate authentication without a certificate.
    let err = WsmanConnection::new(lab.endpoint(), lab.options(None), cert_auth()).unwrap_err();
    assert!(
        err.to_string().contains("needs a client certificate"),
        "{err}"
    );
    // A client that sends the https/mutual header without a certificate gets 401.
    let mut http = HttpConnection::connect(&lab.endpoint(), &lab.options(None))
        .await
        .unwrap();
    let mut req = HttpRequest::post("/wsman", b"<s:Envelope/>".to_vec());
    req.set_header("Authorization", CERTIFICATE_AUTHORIZATION);
    req.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
    let resp = http.send(req, T).await.unwrap();
    assert_eq!(resp.status, 401);
    lab.handle.stop().await;
}

#[tokio::test]
async fn certificate_authentication_needs_https() {
    let err = WsmanConnection::new(
        Endpoint::parse("http://127.0.0.1:5985/wsman").unwrap(),
        ConnectOptions::default(),
        cert_auth(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("only over https"), "{err}");
}

#[test]
fn certificate_thumbprint_resolves_to_a_pem_file() {
    let ca = Ca::new("Baton Test CA");
    let pem = ca.issue("user01@domain01.example");
    let cert = ClientCertificate::from_pem(pem.as_bytes()).unwrap();
    let thumb = cert.thumbprint();
    assert_eq!(thumb.len(), 40);
    let shown = format!("{cert:?}");
    assert!(
        shown.contains(&thumb) && !shown.contains("PRIVATE"),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    // Found by content under any *.pem name, with the thumbprint typed as
    // Windows shows it (spaced, lower case).
    write_private(&dir.path().join("mine.pem"), pem.as_bytes());
    let typed: String = thumb
        .to_ascii_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        normalize_thumbprint(&typed).as_deref(),
        Some(thumb.as_str())
    );
    let found = ClientCertificate::resolve(&typed, dir.path()).unwrap();
    assert_eq!(found.thumbprint(), thumb);
    // A path works too.
    let by_path =
        ClientCertificate::resolve(dir.path().join("mine.pem").to_str().unwrap(), dir.path())
            .unwrap();
    assert_eq!(by_path.thumbprint(), thumb);
    // An unknown thumbprint names the folder it looked in.
    let err = ClientCertificate::resolve(&"AB".repeat(20), dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("no client certificate with thumbprint"),
        "{err}"
    );

    // A file without a key, or with another certificate's key, is refused.
    let cert_only = pem.split("-----BEGIN PRIVATE KEY").next().unwrap();
    let err = ClientCertificate::from_pem(cert_only.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("no unencrypted private key"),
        "{err}"
    );
    let other = ca.issue("other@domain01.example");
    let other_key = &other[other.find("-----BEGIN PRIVATE KEY").unwrap()..];
    let mixed = format!("{cert_only}{other_key}");
    let err = ClientCertificate::from_pem(mixed.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("does not belong"), "{err}");
}

#[test]
fn certificate_names_reads_upn_email_and_common_name() {
    let ca = Ca::new("Baton Test CA");
    let pem = ca.issue("user01@domain01.example");
    let cert = ClientCertificate::from_pem(pem.as_bytes()).unwrap();
    let names = certificate_names(cert.certificate().unwrap().as_ref()).unwrap();
    assert_eq!(
        names.names,
        [
            "client",
            "user01@domain01.example",
            "user01@domain01.example"
        ]
    );
    let ca_names = certificate_names(ca.der.as_ref()).unwrap();
    assert_eq!(names.issuer, ca_names.subject);
    assert!(certificate_names(b"\x30\x00").is_none());
    assert!(certificate_names(&[]).is_none());
}

/// A lab file's `credssp = true` and `[[computers.certificate_mappings]]`
/// reach the listeners: Srv1 accepts CredSSP and the mapped certificate,
/// Srv2 (defaults) refuses both, and bad mappings are refused at load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_file_switches_credssp_and_certificate_mappings_on() {
    use baton::lab::{self, LabConfig, Ports};
    use baton::model::{AuthMechanism, ConnectionSpec, Credential};
    use baton::worker::remote::{HttpExtras, Remote, RemoteError, Session};
    use uuid::Uuid;

    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Baton Lab CA");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca.pem).unwrap();
    let cert_path = dir.path().join("user01.pem");
    write_private(&cert_path, ca.issue("user01@domain01.example").as_bytes());
    let lab_toml = |mapping_user: &str, thumb: &str, https: bool| {
        format!(
            r#"https = {https}
[[users]]
name = 'Domain01\User01'
password = 'Tech-P@ss1'

[[computers]]
name = "Srv1"
credssp = true
certificate_authorities = [{ca:?}]
[[computers.certificate_mappings]]
subject = "user01@domain01.example"
issuer_thumbprint = "{thumb}"
user = '{mapping_user}'

[[computers]]
name = "Srv2"

[[configurations]]
name = "Microsoft.PowerShell"
"#,
            ca = ca_path.display().to_string()
        )
    };
    let thumb = ca.thumbprint();

    // Bad mappings are refused when the file loads, each with its reason.
    for (text, reason) in [
        (lab_toml("Domain01\\Nobody", &thumb, true), "unknown user"),
        (lab_toml("Domain01\\User01", "12AB", true), "40 hex digits"),
        (lab_toml("Domain01\\User01", &thumb, false), "https = true"),
    ] {
        let e = LabConfig::from_toml(&text).unwrap_err().to_string();
        assert!(e.contains(reason), "{e}");
    }

    let config = LabConfig::from_toml(&lab_toml("Domain01\\User01", &thumb, true)).unwrap();
    assert!(config.computers[0].credssp && !config.computers[1].credssp);
    assert_eq!(config.computers[0].certificate_mappings.len(), 1);
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = |name: &str| {
        running
            .endpoints
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.clone())
            .unwrap()
    };
    let spec = |name: &str, auth: AuthMechanism, cert: Option<&std::path::Path>| ConnectionSpec {
        connection_uri: Some(url(name)),
        skip_ca_check: true,
        skip_cn_check: true,
        authentication: auth,
        certificate_thumbprint: cert.map(|p| p.display().to_string()),
        ..ConnectionSpec::for_computer("127.0.0.1")
    };
    let tech = Credential::new("Domain01\\User01", "Tech-P@ss1");
    let open = |spec: ConnectionSpec, cred: Credential| async move {
        let remote = Arc::new(
            Remote::http_with("Srv", spec, &cred, Uuid::new_v4(), &HttpExtras::default()).unwrap(),
        );
        let mut s = Session::create(remote, None, None).await?;
        let user = s.info.owner.clone().unwrap_or_default();
        s.delete().await?;
        Ok::<String, RemoteError>(user)
    };

    // CredSSP: accepted by Srv1, refused by Srv2 as by a default server.
    let user = open(spec("Srv1", AuthMechanism::Credssp, None), tech.clone())
        .await
        .unwrap();
    assert!(user.eq_ignore_ascii_case("Domain01\\User01"), "{user}");
    let e = open(spec("Srv2", AuthMechanism::Credssp, None), tech.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not accept CredSSP"), "{e}");

    // The mapped client certificate logs on as its user on Srv1 only.
    let certificate = Credential::new("certificate", "");
    let user = open(
        spec("Srv1", AuthMechanism::Default, Some(&cert_path)),
        certificate.clone(),
    )
    .await
    .unwrap();
    assert!(user.eq_ignore_ascii_case("Domain01\\User01"), "{user}");
    let refused = open(
        spec("Srv2", AuthMechanism::Default, Some(&cert_path)),
        certificate,
    )
    .await;
    let e = refused.unwrap_err().to_string();
    assert!(e.contains("Service\\Auth\\Certificate"), "{e}");
    running.stop().await;
}

/// Writes a file only its owner can read, as a private key must be.
fn write_private(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// A client certificate file whose private key other users can read is
/// refused, as ssh refuses such a key, and the message says how to fix it.
#[cfg(unix)]
#[test]
fn a_private_key_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let ca = Ca::new("Baton Lab CA");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.pem");
    write_private(&path, ca.issue("user01@domain01.example").as_bytes());
    assert!(ClientCertificate::from_file(&path).is_ok());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = ClientCertificate::from_file(&path).unwrap_err().to_string();
    assert!(
        e.contains("other users can read (mode 0644)") && e.contains("chmod 600"),
        "{e}"
    );
}

/// The certificate folder `-CertificateThumbprint` reads is made private when
/// Baton creates it (0700), and one that other users can write to is
/// refused, as ssh refuses it.
#[cfg(unix)]
#[test]
fn the_certificate_folder_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let ca = Ca::new("Baton Lab CA");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/baton/certs");
    let pem = ca.issue("user01@domain01.example");
    let thumb = {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.pem");
        write_private(&p, pem.as_bytes());
        ClientCertificate::from_file(&p).unwrap().thumbprint()
    };
    // Missing: created private, and the message says where to put the file.
    let e = ClientCertificate::resolve(&thumb, &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{thumb}.pem")), "{e}");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    write_private(&dir.join(format!("{thumb}.pem")), pem.as_bytes());
    assert_eq!(
        ClientCertificate::resolve(&thumb, &dir)
            .unwrap()
            .thumbprint(),
        thumb
    );
    // Writable by others: refused, with the fix.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = ClientCertificate::resolve(&thumb, &dir)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("can be written by other users (mode 0777)") && e.contains("chmod 700"),
        "{e}"
    );
}
