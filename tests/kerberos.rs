//! Kerberos against a real MIT KDC (Debian's krb5-kdc, started here in a
//! throwaway realm) and MIT GSSAPI as the acceptor (pyspnego with the
//! python-gssapi package): our client gets its tickets from the KDC,
//! authenticates raw Kerberos and SPNEGO-with-Kerberos, and seals/unseals
//! WinRM bodies both ways; refused passwords, unknown realms and dead KDCs
//! are clear errors.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use baton::protocol::auth::kerberos::{KdcAddress, KdcProtocol, Krb5Conf};
use baton::protocol::auth::{ClientAuthenticator, ClientStep, Credentials, Mechanism};
use baton::transport::kdc::{NetworkKdc, locate_kdc_via, locate_kdc_with};

const REALM: &str = "BATON.TEST";
const HOST: &str = "srv1.baton.test";
const USER: &str = "user1";
const PASSWORD: &str = "Us3r-Kerb-Pa55";

/// Finds an MIT Kerberos program (sbin directories are often not on PATH).
fn mit_tool(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{name} is missing: install krb5-kdc and krb5-admin-server (installer/debian-deps.sh test)"
    );
}

/// A throwaway MIT realm: database, principals and keytab in a temp dir,
/// `krb5kdc -n` listening on ephemeral loopback ports. Dropping it stops
/// the KDC.
struct Realm {
    dir: tempfile::TempDir,
    kdc: Child,
    tcp_port: u16,
}

impl Realm {
    fn start() -> Realm {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_listen = 127.0.0.1:0\n kdc_tcp_listen = 127.0.0.1:0\n\
                 [realms]\n {REALM} = {{\n  database_name = {db}\n  key_stash_file = {stash}\n  \
                 acl_file = {acl}\n  kdc_listen = 127.0.0.1:0\n  kdc_tcp_listen = 127.0.0.1:0\n }}\n\
                 [logging]\n kdc = FILE:{log}\n",
                db = d.join("principal").display(),
                stash = d.join("stash").display(),
                acl = d.join("kadm5.acl").display(),
                log = d.join("kdc.log").display(),
            ),
        )
        .unwrap();
        // The KDC's own krb5.conf (no [realms] kdc needed to serve).
        std::fs::write(
            d.join("krb5-kdc.conf"),
            format!("[libdefaults]\n default_realm = {REALM}\n"),
        )
        .unwrap();
        let run = |tool: &str, args: &[&str]| {
            let out = Command::new(mit_tool(tool))
                .args(args)
                .env("KRB5_CONFIG", d.join("krb5-kdc.conf"))
                .env("KRB5_KDC_PROFILE", d.join("kdc.conf"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{tool} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let master = "throwaway-master-key";
        run("kdb5_util", &["create", "-s", "-r", REALM, "-P", master]);
        let addprinc = format!("addprinc +requires_preauth -pw {PASSWORD} {USER}");
        run("kadmin.local", &["-r", REALM, "-q", &addprinc]);
        let spn = format!("addprinc -randkey HTTP/{HOST}");
        run("kadmin.local", &["-r", REALM, "-q", &spn]);
        let ktadd = format!("ktadd -k {} HTTP/{HOST}", d.join("http.keytab").display());
        run("kadmin.local", &["-r", REALM, "-q", &ktadd]);
        // The SPN of the loopback HTTP service (tests/peers/krb_http_server.py): a
        // name, as Negotiate uses NTLM for an IP address (as Windows does).
        run(
            "kadmin.local",
            &["-r", REALM, "-q", "addprinc -randkey HTTP/localhost"],
        );
        let ktadd = format!(
            "ktadd -k {} HTTP/localhost",
            d.join("http.keytab").display()
        );
        run("kadmin.local", &["-r", REALM, "-q", &ktadd]);
        let kdc = Command::new(mit_tool("krb5kdc"))
            .args(["-n", "-r", REALM])
            .env("KRB5_CONFIG", d.join("krb5-kdc.conf"))
            .env("KRB5_KDC_PROFILE", d.join("kdc.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start krb5kdc");
        let mut realm = Realm {
            dir,
            kdc,
            tcp_port: 0,
        };
        realm.tcp_port = realm.wait_for_tcp_port();
        // The clients' krb5.conf: where the KDC is, no DNS, no reverse lookups.
        std::fs::write(
            realm.dir.path().join("krb5.conf"),
            format!(
                "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n \
                 dns_lookup_realm = false\n dns_canonicalize_hostname = false\n rdns = false\n \
                 ignore_acceptor_hostname = true\n\
                 [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{}\n }}\n\
                 [domain_realm]\n .baton.test = {REALM}\n",
                realm.tcp_port
            ),
        )
        .unwrap();
        realm
    }

    /// Waits (generously) until the KDC listens on TCP; returns the port,
    /// read from the kernel's socket table for the KDC's own sockets.
    fn wait_for_tcp_port(&mut self) -> u16 {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(port) = listening_port(self.kdc.id()) {
                return port;
            }
            if let Ok(Some(status)) = self.kdc.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.path().join("kdc.log")).unwrap_or_default();
                panic!("krb5kdc exited with {status}: {log}");
            }
            assert!(Instant::now() < deadline, "krb5kdc did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The KDC's UDP port (it listens on both; read from the socket table).
    fn udp_port(&self) -> u16 {
        listening_port_in(self.kdc.id(), "udp", "07").expect("krb5kdc listens on UDP")
    }

    fn conf(&self) -> Krb5Conf {
        let mut c = Krb5Conf::default();
        c.merge_text(&std::fs::read_to_string(self.dir.path().join("krb5.conf")).unwrap());
        c
    }

    fn kdc_address(&self) -> KdcAddress {
        KdcAddress {
            protocol: KdcProtocol::Tcp,
            host: "127.0.0.1".into(),
            port: self.tcp_port,
        }
    }

    fn kdc_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kdc.log")).unwrap_or_default()
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = self.kdc.kill();
        let _ = self.kdc.wait();
    }
}

/// The loopback TCP port a process listens on, from /proc (its socket
/// inodes matched against /proc/net/tcp rows in LISTEN state).
fn listening_port(pid: u32) -> Option<u16> {
    listening_port_in(pid, "tcp", "0A")
}

/// As [`listening_port`] for `table` (tcp or udp) and the socket state
/// (0A = LISTEN for TCP, 07 = unconnected UDP).
fn listening_port_in(pid: u32, table: &str, state: &str) -> Option<u16> {
    let mut inodes = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()? {
        let link = std::fs::read_link(fd.ok()?.path()).ok()?;
        let link = link.to_string_lossy();
        if let Some(i) = link
            .strip_prefix("socket:[")
            .and_then(|r| r.strip_suffix(']'))
        {
            inodes.push(i.to_owned());
        }
    }
    let rows = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok()?;
    for row in rows.lines().skip(1) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        if cols.len() > 9 && cols[3] == state && inodes.iter().any(|i| i == cols[9]) {
            let port = cols[1].split(':').nth(1)?;
            return u16::from_str_radix(port, 16).ok();
        }
    }
    None
}

fn b64(data: &[u8]) -> String {
    if data.is_empty() {
        "-".into()
    } else {
        base64::engine::general_purpose::STANDARD.encode(data)
    }
}

fn unb64(text: &str) -> Vec<u8> {
    if text == "-" {
        Vec::new()
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap()
    }
}

/// tests/peers/krb_acceptor.py: pyspnego over MIT GSSAPI with the realm's keytab.
struct Acceptor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Whether MIT GSSAPI reported the completed context as channel-bound.
    bound: Option<bool>,
}

impl Acceptor {
    fn spawn(realm: &Realm, protocol: &str) -> Acceptor {
        Self::spawn_with(realm, protocol, None)
    }

    /// As [`Acceptor::spawn`], with channel bindings whose application data
    /// is `cb` on the acceptor's side.
    fn spawn_with(realm: &Realm, protocol: &str, cb: Option<&[u8]>) -> Acceptor {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/krb_acceptor.py");
        let d = realm.dir.path();
        let mut child = Command::new(crate::common::peer_python())
            .arg(script)
            .args(["accept", protocol, HOST])
            .args(cb.map(b64))
            .env("KRB5_CONFIG", d.join("krb5.conf"))
            .env(
                "KRB5_KTNAME",
                format!("FILE:{}", d.join("http.keytab").display()),
            )
            .env("KRB5RCACHETYPE", "none")
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", d.join("acceptor.ccache").display()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the pyspnego Kerberos acceptor");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut a = Acceptor {
            child,
            stdin,
            stdout,
            bound: None,
        };
        let ready = a.read();
        assert_eq!(
            ready.first().map(String::as_str),
            Some("READY"),
            "the pyspnego acceptor did not start (is python-gssapi installed? run tests/peers.sh): {ready:?}"
        );
        a
    }

    fn read(&mut self) -> Vec<String> {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the pyspnego acceptor exited");
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn ask(&mut self, words: &[&str]) -> Vec<String> {
        writeln!(self.stdin, "{}", words.join(" ")).unwrap();
        self.stdin.flush().unwrap();
        self.read()
    }

    fn error_text(reply: &[String]) -> String {
        assert_eq!(reply[0], "ERROR", "{reply:?}");
        String::from_utf8(unb64(&reply[1])).unwrap()
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "QUIT");
        let _ = self.child.wait();
    }
}

fn token_of(header: &str) -> Vec<u8> {
    let (_, t) = header.split_once(' ').unwrap();
    base64::engine::general_purpose::STANDARD.decode(t).unwrap()
}

/// Our client (tickets from the MIT KDC) against the MIT GSSAPI acceptor;
/// returns both once complete, with the principal the acceptor saw.
async fn authenticate(
    realm: &Realm,
    mech: Mechanism,
    user: &str,
) -> (ClientAuthenticator, Acceptor, String) {
    let client =
        ClientAuthenticator::new(mech, Credentials::new(user, PASSWORD).unwrap(), HOST, "WS1")
            .with_kdc(REALM, realm.kdc_address());
    let acceptor = Acceptor::spawn(realm, protocol_of(mech));
    let (client, acceptor, who) = handshake(realm, mech, client, acceptor).await;
    (
        client,
        acceptor,
        who.unwrap_or_else(|e| panic!("{mech:?}: acceptor refused: {e}")),
    )
}

fn protocol_of(mech: Mechanism) -> &'static str {
    if mech == Mechanism::Kerberos {
        "kerberos"
    } else {
        "negotiate"
    }
}

/// Runs the handshake of `client` with `acceptor`; the principal the
/// acceptor saw, or its refusal.
async fn handshake(
    realm: &Realm,
    mech: Mechanism,
    mut client: ClientAuthenticator,
    mut acceptor: Acceptor,
) -> (ClientAuthenticator, Acceptor, Result<String, String>) {
    let mut kdc = NetworkKdc::new(Duration::from_secs(30));
    let mut header = client
        .start_with(&mut kdc)
        .await
        .unwrap_or_else(|e| panic!("{mech:?} first step: {e}\nKDC log:\n{}", realm.kdc_log()))
        .to_string();
    assert!(
        header.starts_with(&format!("{} ", mech.scheme())),
        "{}",
        header.split(' ').next().unwrap_or("")
    );
    assert!(client.uses_kerberos(), "{mech:?} did not choose Kerberos");
    for _ in 0..4 {
        let reply = acceptor.ask(&["TOKEN", &b64(&token_of(&header))]);
        match reply[0].as_str() {
            "TOKEN" => {
                let www = format!("{} {}", mech.scheme(), reply[1]);
                match client
                    .on_response_with(401, [www.as_str()], &mut kdc)
                    .await
                    .unwrap()
                {
                    ClientStep::Send(h) => header = h,
                    ClientStep::Done => panic!("done on a 401"),
                }
            }
            "DONE" => {
                let www = (reply[1] != "-").then(|| format!("{} {}", mech.scheme(), reply[1]));
                let step = client
                    .on_response_with(200, www.as_deref(), &mut kdc)
                    .await
                    .unwrap_or_else(|e| panic!("{mech:?} final step: {e}"));
                assert_eq!(step, ClientStep::Done);
                let who = String::from_utf8(unb64(&reply[2])).unwrap();
                acceptor.bound = reply.get(4).map(|b| b == "bound");
                assert_eq!(
                    reply.get(3).map(String::as_str),
                    Some("kerberos"),
                    "{reply:?}"
                );
                return (client, acceptor, Ok(who));
            }
            _ => {
                let e = Acceptor::error_text(&reply);
                return (client, acceptor, Err(e));
            }
        }
    }
    panic!("the handshake did not finish");
}

/// Seals with our client, unseals with pyspnego, and back; tampering is
/// detected both ways.
fn seal_both_ways(client: &mut ClientAuthenticator, acceptor: &mut Acceptor, protocol: &str) {
    for i in 0..4 {
        let req = format!("<s:Envelope>req {i} {}</s:Envelope>", "é".repeat(i * 700));
        let (body, ct) = client.wrap(req.as_bytes()).unwrap();
        assert!(ct.contains(protocol), "{ct}");
        assert!(
            !body.windows(10).any(|w| w == &req.as_bytes()[..10]),
            "the body is sealed"
        );
        // The part carries the RFC 4121 wrap token's leading 60 bytes (16-byte
        // header, then with RRC 28: confounder, encrypted header copy, HMAC;
        // AES, EC 0) as the header and the ciphertext as the rest, as Windows
        // and pyspnego's wrap_winrm lay it out; Length= is the plaintext length.
        let marker = b"\tContent-Type: application/octet-stream\r\n";
        let at = body
            .windows(marker.len())
            .position(|w| w == marker)
            .unwrap()
            + marker.len();
        let header_len = u32::from_le_bytes(body[at..at + 4].try_into().unwrap()) as usize;
        assert_eq!(header_len, 60);
        let rest = body.len() - (at + 4 + header_len) - b"--Encrypted Boundary--\r\n".len();
        assert_eq!(rest, req.len());
        assert!(
            String::from_utf8_lossy(&body).contains(&format!("Length={}\r\n", req.len())),
            "OriginalContent Length"
        );
        let reply = acceptor.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
        assert_eq!(
            reply[0],
            "PLAIN",
            "{reply:?} {}",
            if reply[0] == "ERROR" {
                Acceptor::error_text(&reply)
            } else {
                String::new()
            }
        );
        assert_eq!(unb64(&reply[1]), req.as_bytes());
        let resp = format!("<s:Envelope>resp {i} {}</s:Envelope>", "z".repeat(i * 300));
        let reply = acceptor.ask(&["WRAP", &b64(resp.as_bytes())]);
        assert_eq!(reply[0], "BODY", "{reply:?}");
        let ct = String::from_utf8(unb64(&reply[2])).unwrap();
        assert!(ct.contains(protocol), "{ct}");
        assert_eq!(
            client.unwrap(&unb64(&reply[1]), &ct).unwrap(),
            resp.as_bytes()
        );
    }
    let (mut body, ct) = client.wrap(b"<s:Envelope>tamper</s:Envelope>").unwrap();
    let n = body.len();
    body[n - 28] ^= 0x20;
    let reply = acceptor.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
    assert!(!Acceptor::error_text(&reply).is_empty());
    let reply = acceptor.ask(&["WRAP", &b64(b"<s:Envelope>tamper back</s:Envelope>")]);
    let mut body = unb64(&reply[1]);
    let n = body.len();
    body[n - 28] ^= 0x20;
    let ct = String::from_utf8(unb64(&reply[2])).unwrap();
    assert!(client.unwrap(&body, &ct).is_err());
}

#[tokio::test]
async fn kerberos_and_negotiate_against_mit_kdc_and_gssapi_acceptor() {
    let realm = Realm::start();
    // The KDC is found from the realm's krb5.conf, for both name forms.
    let conf = realm.conf();
    for user in [format!("{USER}@{REALM}"), format!("{USER}@baton.test")] {
        let found = locate_kdc_with(&conf, &user, Some(false)).await.unwrap();
        assert_eq!(found.realm, REALM);
        assert_eq!(found.kdcs, vec![realm.kdc_address()]);
    }

    let user = format!("{USER}@{REALM}");
    let (mut client, mut acceptor, who) = authenticate(&realm, Mechanism::Kerberos, &user).await;
    assert_eq!(who, format!("{USER}@{REALM}"));
    assert!(client.is_complete());
    seal_both_ways(
        &mut client,
        &mut acceptor,
        "application/HTTP-Kerberos-session-encrypted",
    );
    drop(acceptor);

    let (mut client, mut acceptor, who) = authenticate(&realm, Mechanism::Negotiate, &user).await;
    assert_eq!(who, format!("{USER}@{REALM}"));
    seal_both_ways(
        &mut client,
        &mut acceptor,
        "application/HTTP-SPNEGO-session-encrypted",
    );
    // The KDC really issued the tickets.
    let log = realm.kdc_log();
    assert!(log.contains("AS_REQ") && log.contains("TGS_REQ"), "{log}");
    assert!(log.contains(&format!("HTTP/{HOST}@{REALM}")), "{log}");
}

#[tokio::test]
async fn wrong_password_is_access_denied() {
    let realm = Realm::start();
    let mut client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new(&format!("{USER}@{REALM}"), "not-the-password").unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(REALM, realm.kdc_address());
    let mut kdc = NetworkKdc::new(Duration::from_secs(30));
    let err = client.start_with(&mut kdc).await.unwrap_err().to_string();
    assert!(err.contains("access denied"), "{err}");
    assert!(err.contains("logon failure"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    let mapped = baton::transport::kdc::auth_error(
        baton::protocol::ProtocolError::Auth(err.replace("authentication: ", "")),
        "user1",
    );
    assert!(
        matches!(mapped, baton::transport::TransportError::AccessDenied(_)),
        "{mapped:?}"
    );

    // An unknown user is a logon failure too.
    let mut client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new(&format!("nobody@{REALM}"), PASSWORD).unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(REALM, realm.kdc_address());
    let err = client.start_with(&mut kdc).await.unwrap_err().to_string();
    assert!(err.contains("access denied"), "{err}");
}

#[tokio::test]
async fn unknown_realm_and_dead_kdc_are_clear_errors() {
    let realm = Realm::start();
    // No KDC configured for the realm, DNS not asked: an error naming it.
    let err = locate_kdc_with(&realm.conf(), "someone@NOWHERE.TEST", Some(false))
        .await
        .unwrap_err();
    assert!(err.contains("no KDC found for realm NOWHERE.TEST"), "{err}");
    // Kerberos without a KDC refuses to start.
    let mut client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new("someone@NOWHERE.TEST", "pw").unwrap(),
        HOST,
        "WS1",
    );
    let err = client.start().unwrap_err().to_string();
    assert!(err.contains("KDC"), "{err}");

    // A port nobody listens on: refused at once, named in the error.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = KdcAddress {
        protocol: KdcProtocol::Tcp,
        host: "127.0.0.1".into(),
        port: closed,
    };
    let mut client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(REALM, dead.clone());
    let mut kdc = NetworkKdc::new(Duration::from_secs(30));
    let err = client.start_with(&mut kdc).await.unwrap_err().to_string();
    assert!(err.contains("no KDC could be reached"), "{err}");
    assert!(err.contains(&closed.to_string()), "{err}");

    // A KDC that accepts and never answers: the exchange deadline ends it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let mut client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(
        REALM,
        KdcAddress {
            protocol: KdcProtocol::Tcp,
            host: "127.0.0.1".into(),
            port,
        },
    );
    let mut kdc = NetworkKdc::new(Duration::from_millis(500));
    let err = tokio::time::timeout(Duration::from_mins(2), client.start_with(&mut kdc))
        .await
        .expect("a silent KDC must not hang the client")
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not answer"), "{err}");
    hold.abort();

    // Negotiate with a dead KDC falls back to NTLM (its first token is an
    // SPNEGO init offering NTLM), as Windows does.
    let mut client = ClientAuthenticator::new(
        Mechanism::Negotiate,
        Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(REALM, dead);
    let header = client.start_with(&mut kdc).await.unwrap();
    assert!(header.starts_with("Negotiate "));
    assert!(!client.uses_kerberos());
    let token = token_of(&header);
    // NTLMSSP inside the SPNEGO init.
    assert!(token.windows(8).any(|w| w == b"NTLMSSP\0"));
}

#[tokio::test]
async fn tickets_over_udp_kdc() {
    let realm = Realm::start();
    // The KDC's UDP port, as krb5.conf would say `kdc = udp/127.0.0.1:<port>`.
    let udp = KdcAddress::parse(&format!("udp/127.0.0.1:{}", realm.udp_port())).unwrap();
    assert_eq!(udp.protocol, KdcProtocol::Udp);
    for mech in [Mechanism::Kerberos, Mechanism::Negotiate] {
        let client = ClientAuthenticator::new(
            mech,
            Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
            HOST,
            "WS1",
        )
        .with_kdc(REALM, udp.clone());
        let acceptor = Acceptor::spawn(&realm, protocol_of(mech));
        let (mut ours, mut acceptor, who) = handshake(&realm, mech, client, acceptor).await;
        let who = who.unwrap_or_else(|e| panic!("{mech:?} over UDP: {e}"));
        assert_eq!(who, format!("{USER}@{REALM}"));
        let (body, ct) = ours.wrap(b"<s:Envelope/>").unwrap();
        let reply = acceptor.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
        assert_eq!(unb64(&reply[1]), b"<s:Envelope/>");
    }
    let log = realm.kdc_log();
    assert!(log.contains("AS_REQ") && log.contains("TGS_REQ"), "{log}");
}

/// A one-question DNS responder on loopback (test scaffolding standing in for
/// the site's DNS): answers SRV queries for `name` with `127.0.0.1:port`
/// (target `localhost`-style name `127.0.0.1`), NXDOMAIN for anything else.
async fn fake_dns(
    name: &'static str,
    port: u16,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let q = &buf[..n];
            // The question name, as labels, to compare.
            let mut pos = 12;
            let mut labels = Vec::new();
            while pos < q.len() && q[pos] != 0 {
                let l = q[pos] as usize;
                labels.push(String::from_utf8_lossy(&q[pos + 1..pos + 1 + l]).into_owned());
                pos += 1 + l;
            }
            let question_end = pos + 5;
            let asked = labels.join(".");
            let mut r = q[..question_end].to_vec();
            r[2] = 0x81;
            if asked.eq_ignore_ascii_case(name) {
                r[3] = 0x80;
                r[7] = 1;
                r.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60]);
                let mut rdata = vec![0, 0, 0, 0];
                rdata.extend_from_slice(&port.to_be_bytes());
                for label in ["127", "0", "0", "1"] {
                    rdata.push(label.len() as u8);
                    rdata.extend_from_slice(label.as_bytes());
                }
                rdata.push(0);
                r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                r.extend_from_slice(&rdata);
            } else {
                r[3] = 0x83;
            }
            let _ = sock.send_to(&r, from).await;
        }
    });
    (addr, task)
}

#[tokio::test]
async fn kdc_found_by_dns_srv() {
    let realm = Realm::start();
    // krb5.conf knows the realm's name but not its KDC: DNS must say.
    let mut conf = Krb5Conf::default();
    conf.merge_text(&format!("[libdefaults]\n default_realm = {REALM}\n"));
    let (dns, task) = fake_dns("_kerberos._tcp.BATON.TEST", realm.tcp_port).await;
    let found = locate_kdc_via(&conf, &format!("{USER}@baton.test"), None, &[dns])
        .await
        .unwrap();
    assert_eq!(found.realm, REALM);
    assert_eq!(found.kdcs[0], realm.kdc_address());
    // The located KDC issues the tickets.
    let client = ClientAuthenticator::new(
        Mechanism::Kerberos,
        Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
        HOST,
        "WS1",
    )
    .with_kdc(&found.realm, found.kdcs[0].clone());
    let acceptor = Acceptor::spawn(&realm, "kerberos");
    let (_, _, who) = handshake(&realm, Mechanism::Kerberos, client, acceptor).await;
    assert_eq!(who.unwrap(), format!("{USER}@{REALM}"));
    // krb5.conf's dns_lookup_kdc = false keeps DNS out; so does Some(false).
    conf.merge_text("[libdefaults]\n dns_lookup_kdc = false\n");
    let err = locate_kdc_via(&conf, &format!("{USER}@{REALM}"), None, &[dns])
        .await
        .unwrap_err();
    assert!(err.contains("no KDC found"), "{err}");
    // A realm DNS does not know: an error naming the SRV name.
    let conf = Krb5Conf::default();
    let err = locate_kdc_via(&conf, "x@OTHER.TEST", Some(true), &[dns])
        .await
        .unwrap_err();
    assert!(err.contains("_kerberos._tcp.OTHER.TEST"), "{err}");
    task.abort();
}

/// tests/peers/krb_http_server.py: a WinRM-shaped HTTP service whose
/// authentication and sealing are pyspnego/MIT GSSAPI and pypsrp's.
struct HttpService {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl HttpService {
    fn start(realm: &Realm) -> HttpService {
        Self::start_with(realm, &[])
    }

    /// HTTPS with the certificate and key (PEM files), the acceptor bound
    /// to `bound_to`'s certificate (the served one when `None`).
    fn start_tls(realm: &Realm, cert: &Path, key: &Path, bound_to: Option<&Path>) -> HttpService {
        let mut args = vec![cert, key];
        args.extend(bound_to);
        Self::start_with(realm, &args)
    }

    fn start_with(realm: &Realm, tls_args: &[&Path]) -> HttpService {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/krb_http_server.py");
        let d = realm.dir.path();
        let mut child = Command::new(crate::common::peer_python())
            .arg(script)
            .arg("localhost")
            .args(tls_args)
            .env("KRB5_CONFIG", d.join("krb5.conf"))
            .env(
                "KRB5_KTNAME",
                format!("FILE:{}", d.join("http.keytab").display()),
            )
            .env("KRB5RCACHETYPE", "none")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the Kerberos HTTP service");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the Kerberos HTTP service did not start: {line:?}"));
        HttpService { child, stdin, port }
    }
}

impl Drop for HttpService {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn wsman_connection_authenticates_and_seals_with_kerberos() {
    use baton::transport::TransportError;
    use baton::transport::http::{ConnectOptions, Endpoint};
    use baton::transport::session::{AuthSettings, WsmanConnection};
    let realm = Realm::start();
    let service = HttpService::start(&realm);
    let endpoint = Endpoint::parse(&format!("http://localhost:{}/wsman", service.port)).unwrap();
    // The service has no NTLM user file: pyspnego can only accept Kerberos,
    // so Negotiate succeeding means SPNEGO chose Kerberos.
    for mech in [Mechanism::Kerberos, Mechanism::Negotiate] {
        let auth = AuthSettings {
            mechanism: mech,
            credentials: Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
            seal_over_http: true,
            allow_unencrypted: false,
            workstation: "WS1".into(),
        };
        let mut conn = WsmanConnection::new(endpoint.clone(), ConnectOptions::default(), auth)
            .unwrap()
            .with_kdc(REALM, vec![realm.kdc_address()]);
        for i in 0..3 {
            let soap = format!("<s:Envelope>{mech:?} {i}</s:Envelope>");
            let resp = conn
                .post(soap.as_bytes(), Duration::from_mins(1), false)
                .await
                .unwrap_or_else(|e| panic!("{mech:?}: {e}\nKDC log:\n{}", realm.kdc_log()));
            assert_eq!(resp.status, 200);
            assert_eq!(resp.body, format!("echo:{soap}").as_bytes());
        }
        assert_eq!(
            conn.handshakes(),
            1,
            "{mech:?}: one handshake per connection"
        );
    }
    // A refused password is access denied, not a generic failure.
    let auth = AuthSettings {
        mechanism: Mechanism::Kerberos,
        credentials: Credentials::new(&format!("{USER}@{REALM}"), "wrong-password").unwrap(),
        seal_over_http: true,
        allow_unencrypted: false,
        workstation: "WS1".into(),
    };
    let mut conn = WsmanConnection::new(endpoint, ConnectOptions::default(), auth)
        .unwrap()
        .with_kdc(REALM, vec![realm.kdc_address()]);
    let err = conn
        .post(b"<s:Envelope/>", Duration::from_mins(1), false)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
    assert!(err.to_string().contains("logon failure"), "{err}");
}

/// A certificate for `name` with its key, written as PEM files into `dir`;
/// returns the two paths and the certificate's DER.
fn certificate(dir: &Path, stem: &str, name: &str) -> (PathBuf, PathBuf, Vec<u8>) {
    let cert = rcgen::generate_simple_self_signed(vec![name.into()]).unwrap();
    let (crt, key) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&crt, cert.cert.pem()).unwrap();
    std::fs::write(&key, cert.signing_key.serialize_pem()).unwrap();
    (crt, key, cert.cert.der().to_vec())
}

/// TLS channel bindings (`tls-server-end-point`, RFC 5929) in the Kerberos
/// authenticator: MIT GSSAPI, given the same bindings, reports the context
/// as channel-bound; given another certificate's (a relay), it refuses.
/// Without the 4-byte KERB_AP_OPTIONS_CBT (src/vendor/picky-krb) MIT
/// refused every bound AP-REQ with "Invalid message type".
#[tokio::test]
async fn channel_bindings_bind_the_kerberos_context() {
    let realm = Realm::start();
    let (_, _, der) = certificate(realm.dir.path(), "served", HOST);
    let (_, _, other) = certificate(realm.dir.path(), "relay", HOST);
    let ours = baton::protocol::auth::tls_server_end_point(&der).unwrap();
    let relay = baton::protocol::auth::tls_server_end_point(&other).unwrap();
    for mech in [Mechanism::Kerberos, Mechanism::Negotiate] {
        let client = || {
            ClientAuthenticator::new(mech, Credentials::new(USER, PASSWORD).unwrap(), HOST, "WS1")
                .with_kdc(REALM, realm.kdc_address())
                .with_server_certificate(&der)
                .unwrap()
        };
        let acceptor = Acceptor::spawn_with(&realm, protocol_of(mech), Some(&ours));
        let (_, acceptor, who) = handshake(&realm, mech, client(), acceptor).await;
        assert_eq!(who.as_deref(), Ok("user1@BATON.TEST"), "{mech:?}");
        assert_eq!(
            acceptor.bound,
            Some(true),
            "{mech:?}: the context is channel-bound"
        );

        let acceptor = Acceptor::spawn_with(&realm, protocol_of(mech), Some(&relay));
        let (_, _, refused) = handshake(&realm, mech, client(), acceptor).await;
        let e = refused.expect_err("bindings of another certificate are refused");
        assert!(
            e.to_lowercase().contains("channel binding"),
            "{mech:?}: {e}"
        );
    }
}

/// End to end over HTTPS: the transport takes the bindings from the
/// certificate the TLS handshake presented, and the Kerberos context of a
/// WinRM-shaped HTTPS service (pyspnego on MIT GSSAPI, Python's ssl) is
/// bound to it; a service whose bindings are another certificate's refuses
/// the logon.
#[tokio::test]
async fn wsman_connection_binds_kerberos_to_the_tls_channel() {
    use baton::transport::TransportError;
    use baton::transport::http::{ConnectOptions, Endpoint};
    use baton::transport::session::{AuthSettings, WsmanConnection};
    let realm = Realm::start();
    let (crt, key, der) = certificate(realm.dir.path(), "served", "localhost");
    let (relay, _, _) = certificate(realm.dir.path(), "relay", "localhost");
    let mut options = ConnectOptions::default();
    options.tls.extra_roots = vec![der.into()];
    let settings = |mech| AuthSettings {
        mechanism: mech,
        credentials: Credentials::new(&format!("{USER}@{REALM}"), PASSWORD).unwrap(),
        seal_over_http: true,
        allow_unencrypted: false,
        workstation: "WS1".into(),
    };
    let service = HttpService::start_tls(&realm, &crt, &key, None);
    let endpoint = Endpoint::parse(&format!("https://localhost:{}/wsman", service.port)).unwrap();
    for mech in [Mechanism::Kerberos, Mechanism::Negotiate] {
        let mut conn = WsmanConnection::new(endpoint.clone(), options.clone(), settings(mech))
            .unwrap()
            .with_kdc(REALM, vec![realm.kdc_address()]);
        let soap = format!("<s:Envelope>{mech:?} over TLS</s:Envelope>");
        let bound = echo(&mut conn, &soap, &format!("{mech:?} over TLS")).await;
        assert_eq!(bound, "bound", "{mech:?}");
    }
    drop(service);

    let service = HttpService::start_tls(&realm, &crt, &key, Some(&relay));
    let endpoint = Endpoint::parse(&format!("https://localhost:{}/wsman", service.port)).unwrap();
    let mut conn = WsmanConnection::new(endpoint, options.clone(), settings(Mechanism::Kerberos))
        .unwrap()
        .with_kdc(REALM, vec![realm.kdc_address()]);
    let err = conn
        .post(b"<s:Envelope/>", Duration::from_mins(1), false)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
}

/// The environment variable that turns [`current_user_child`] on, with the
/// HTTP and HTTPS service ports and the HTTPS certificate's path.
const CURRENT_USER_ENV: &str = "BATON_TEST_CURRENT_USER";

/// The child half of [`current_user_signs_in_with_the_ticket_cache`]: runs
/// with KRB5_CONFIG and KRB5CCNAME set by the parent (the system GSSAPI
/// library reads them from the process environment).
#[tokio::test]
#[ignore = "started by current_user_signs_in_with_the_ticket_cache"]
async fn current_user_child() {
    use baton::transport::gss;
    use baton::transport::http::{ConnectOptions, Endpoint};
    use baton::transport::session::{AuthSettings, WsmanConnection};
    let spec = std::env::var(CURRENT_USER_ENV).expect("started by the parent test");
    let mut parts = spec.split('|');
    let mode = parts.next().unwrap();
    if mode == "no-cache" {
        let e = gss::current_principal().unwrap_err().to_string();
        println!("NO-CACHE: {e}");
        return;
    }
    let http_port = parts.next().unwrap();
    let https_port = parts.next().unwrap();
    let ca = std::fs::read(parts.next().unwrap()).unwrap();
    let principal = gss::current_principal().unwrap();
    println!("PRINCIPAL {principal}");
    let settings = |mech| AuthSettings {
        mechanism: mech,
        credentials: Credentials::implicit(&principal),
        seal_over_http: true,
        allow_unencrypted: false,
        workstation: "WS1".into(),
    };
    let mut options = ConnectOptions::default();
    options.tls.extra_roots = rustls_pemfile_roots(&ca);
    for (scheme, port) in [("http", http_port), ("https", https_port)] {
        let endpoint = Endpoint::parse(&format!("{scheme}://localhost:{port}/wsman")).unwrap();
        for mech in [Mechanism::Negotiate, Mechanism::Kerberos] {
            let mut conn =
                WsmanConnection::new(endpoint.clone(), options.clone(), settings(mech)).unwrap();
            for i in 0..3 {
                let soap = format!(
                    "<s:Envelope>{scheme} {mech:?} {i} {}</s:Envelope>",
                    "x".repeat(i * 900)
                );
                let bound = echo(&mut conn, &soap, &format!("{scheme} {mech:?}")).await;
                println!("OK {scheme} {mech:?} {i} {bound}");
            }
            assert_eq!(conn.handshakes(), 1);
        }
    }
}

/// PEM certificates as rustls roots.
fn rustls_pemfile_roots(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .map(Result::unwrap)
        .collect()
}

/// `-Authentication NegotiateWithImplicitCredential` (or no -Credential):
/// the current user's ticket from `kinit` (MIT's, into a throwaway cache)
/// signs in through the system GSSAPI library, with SPNEGO and raw
/// Kerberos, sealed over HTTP and channel-bound over HTTPS, against
/// pyspnego on MIT GSSAPI; with no ticket the error says to run kinit.
#[test]
fn current_user_signs_in_with_the_ticket_cache() {
    let realm = Realm::start();
    let d = realm.dir.path();
    // MIT's own clients (kinit, and GSSAPI in the child) reach the KDC over TCP.
    let client_conf = d.join("krb5-client.conf");
    std::fs::write(
        &client_conf,
        format!(
            "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n \
             dns_lookup_realm = false\n dns_canonicalize_hostname = false\n rdns = false\n \
             udp_preference_limit = 1\n\
             [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{}\n }}\n\
             [domain_realm]\n .baton.test = {REALM}\n localhost = {REALM}\n",
            realm.tcp_port
        ),
    )
    .unwrap();
    let ccache = d.join("user.ccache");
    let mut kinit = Command::new(mit_tool("kinit"))
        .arg(format!("{USER}@{REALM}"))
        .env("KRB5_CONFIG", &client_conf)
        .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kinit");
    writeln!(kinit.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = kinit.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kinit: {}{}\nKDC log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        realm.kdc_log()
    );
    let http = HttpService::start(&realm);
    let (crt, key, _) = certificate(d, "served", "localhost");
    let https = HttpService::start_tls(&realm, &crt, &key, None);
    let child = |spec: String, cache: &Path| {
        let mut cmd = crate::common::child_test("kerberos::current_user_child");
        cmd.env(CURRENT_USER_ENV, spec)
            .env("KRB5_CONFIG", &client_conf)
            .env("KRB5CCNAME", format!("FILE:{}", cache.display()));
        crate::common::child_stdout(cmd, || format!("KDC log:\n{}", realm.kdc_log()))
    };
    let stdout = child(
        format!("ok|{}|{}|{}", http.port, https.port, crt.display()),
        &ccache,
    );
    assert!(
        stdout.contains(&format!("PRINCIPAL {USER}@{REALM}")),
        "{stdout}"
    );
    for mech in ["Negotiate", "Kerberos"] {
        for i in 0..3 {
            assert!(
                stdout.contains(&format!("OK http {mech} {i} unbound")),
                "{stdout}"
            );
            assert!(
                stdout.contains(&format!("OK https {mech} {i} bound")),
                "{stdout}"
            );
        }
    }
    // No ticket: a clear error that says what to do.
    let stdout = child("no-cache".into(), &d.join("no-such.ccache"));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("NO-CACHE: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("no Kerberos credentials"), "{line}");
    assert!(line.contains("kinit"), "{line}");
}

/// Posts `soap` to the echo service (tests/peers/krb_http_server.py),
/// checks that it came back, and returns how MIT GSSAPI reported the
/// context ("bound" or "unbound" to the TLS channel).
async fn echo(
    conn: &mut baton::transport::session::WsmanConnection,
    soap: &str,
    what: &str,
) -> String {
    let resp = conn
        .post(soap.as_bytes(), Duration::from_mins(1), false)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(resp.status, 200, "{what}");
    assert_eq!(resp.body, format!("echo:{soap}").as_bytes(), "{what}");
    resp.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-channel-bound"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}
