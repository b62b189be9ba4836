//! Authentication and sealing: our client against our acceptor, against
//! pyspnego (acceptor and client, a peer no one here wrote), Basic, and the
//! multipart/encrypted framing with pypsrp's vectors.

use baton::protocol::auth::{
    AcceptOutcome, ClientAuthenticator, ClientStep, Credentials, Mechanism, ServerAcceptor,
    UserTable,
};

fn table() -> UserTable {
    UserTable::new()
        .with("LAB\\alice", "Alice-Pa55")
        .unwrap()
        .with("LAB\\bob", "B0b-secret")
        .unwrap()
        .with("OTHER\\carol", "c4rol!")
        .unwrap()
}

/// Runs a handshake between our client and our acceptor; returns both sides.
fn handshake(
    mech: Mechanism,
    user: &str,
    password: &str,
) -> (ClientAuthenticator, ServerAcceptor, Result<String, String>) {
    let creds = Credentials::new(user, password).unwrap();
    let mut client = ClientAuthenticator::new(mech, creds, "lab.example", "WS1");
    let mut server = ServerAcceptor::new(table());
    let mut header = client.start().unwrap().to_string();
    for _ in 0..5 {
        match server.accept(&header).unwrap() {
            AcceptOutcome::Continue { www_authenticate } => {
                match client
                    .on_response(401, [www_authenticate.as_str()])
                    .unwrap()
                {
                    ClientStep::Send(h) => header = h,
                    ClientStep::Done => panic!("client done on a 401"),
                }
            }
            AcceptOutcome::Accepted {
                user,
                www_authenticate,
            } => {
                let step = client
                    .on_response(200, www_authenticate.as_deref())
                    .unwrap();
                assert_eq!(step, ClientStep::Done);
                return (client, server, Ok(user));
            }
            AcceptOutcome::Denied { reason } => {
                let err = client.on_response(401, ["Negotiate", "NTLM"]).unwrap_err();
                assert!(err.to_string().contains("access denied"), "{err}");
                return (client, server, Err(reason));
            }
        }
    }
    panic!("handshake did not finish");
}

fn exchange_both_ways(client: &mut ClientAuthenticator, server: &mut ServerAcceptor) {
    for i in 0..3 {
        let req = format!(
            "<s:Envelope>request {i} {}</s:Envelope>",
            "x".repeat(i * 500)
        );
        let (body, ct) = client.wrap(req.as_bytes()).unwrap();
        assert!(ct.starts_with(
            "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\""
        ));
        assert!(
            !body.windows(req.len()).any(|w| w == req.as_bytes()),
            "body is sealed"
        );
        assert_eq!(server.unwrap(&body, &ct).unwrap(), req.as_bytes());
        let resp = format!("<s:Envelope>response {i}</s:Envelope>");
        let (body, ct) = server.wrap(resp.as_bytes()).unwrap();
        assert_eq!(client.unwrap(&body, &ct).unwrap(), resp.as_bytes());
    }
}

#[test]
fn our_client_and_acceptor_ntlm_and_negotiate() {
    for mech in [Mechanism::Ntlm, Mechanism::Negotiate] {
        for (user, pw, expect) in [
            ("LAB\\alice", "Alice-Pa55", "LAB\\alice"),
            ("lab\\BOB", "B0b-secret", "LAB\\bob"),
            ("carol@OTHER", "c4rol!", "OTHER\\carol"),
        ] {
            let (mut c, mut s, r) = handshake(mech, user, pw);
            assert_eq!(r.as_deref(), Ok(expect), "{mech:?} {user}");
            assert_eq!(s.user(), Some(expect));
            exchange_both_ways(&mut c, &mut s);
        }
    }
}

#[test]
fn our_acceptor_refuses_wrong_password_and_unknown_user() {
    for mech in [Mechanism::Ntlm, Mechanism::Negotiate] {
        // alice's name with bob's password must not authenticate anyone
        for (user, pw) in [
            ("LAB\\alice", "B0b-secret"),
            ("LAB\\alice", "Wr0ng-pw"),
            ("LAB\\mallory", "Mall0ry-pw"),
        ] {
            let (_, mut s, r) = handshake(mech, user, pw);
            let reason = r.unwrap_err();
            assert!(reason.contains("access denied"), "{mech:?}: {reason}");
            assert!(!reason.contains(pw), "no secret in the reason");
            assert!(s.user().is_none());
            assert!(s.wrap(b"x").is_err());
        }
    }
}

#[test]
fn tampered_body_is_rejected() {
    let (mut c, mut s, r) = handshake(Mechanism::Negotiate, "LAB\\alice", "Alice-Pa55");
    r.unwrap();
    let (mut body, ct) = c.wrap(b"<Envelope>hello</Envelope>").unwrap();
    let n = body.len();
    body[n - 30] ^= 1; // inside the ciphertext
    assert!(s.unwrap(&body, &ct).is_err());
}

#[test]
fn basic_header_and_server_check() {
    let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
    let mut c = ClientAuthenticator::new(Mechanism::Basic, creds.clone(), "h", "w");
    let header = c.start().unwrap();
    assert_eq!(header.as_str(), "Basic TEFCXGFsaWNlOkFsaWNlLVBhNTU=");
    assert_eq!(
        table().check_basic(&header).unwrap().qualified(),
        "LAB\\alice"
    );
    let bad = baton::protocol::auth::basic_authorization(
        &Credentials::new("LAB\\alice", "nope").unwrap(),
    );
    assert!(table().check_basic(&bad).is_none());
    assert!(table().check_basic("Basic !!!").is_none());
    assert_eq!(c.on_response(200, []).unwrap(), ClientStep::Done);
    assert!(c.wrap(b"x").is_err(), "basic does not seal");
    // refused over http unless explicitly allowed
    use baton::protocol::auth::check_transport_security as check;
    assert!(check(Mechanism::Basic, false, false).is_err());
    assert!(check(Mechanism::Basic, false, true).is_ok());
    assert!(check(Mechanism::Basic, true, false).is_ok());
    assert!(check(Mechanism::Negotiate, false, false).is_ok());
    // and a 401 is access denied
    let mut c = ClientAuthenticator::new(Mechanism::Basic, creds, "h", "w");
    c.start().unwrap();
    assert!(
        c.on_response(401, ["Basic realm=\"x\""])
            .unwrap_err()
            .to_string()
            .contains("access denied")
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
    assert!(!format!("{creds:?}").contains("Alice-Pa55"));
    let (c, s, _) = handshake(Mechanism::Ntlm, "LAB\\alice", "Alice-Pa55");
    assert!(!format!("{c:?}").contains("Alice-Pa55"));
    assert!(!format!("{s:?}{:?}", table()).contains("Alice-Pa55"));
}

// ---------------------------------------------------------------------------
// Interoperability with pyspnego (and pypsrp's own framing code)
// ---------------------------------------------------------------------------

mod peer {
    use base64::Engine as _;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

    pub fn b64(data: &[u8]) -> String {
        if data.is_empty() {
            "-".into()
        } else {
            base64::engine::general_purpose::STANDARD.encode(data)
        }
    }

    pub fn unb64(text: &str) -> Vec<u8> {
        if text == "-" {
            Vec::new()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        }
    }

    /// The pyspnego helper tests/peers/ntlm_acceptor.py over stdin/stdout.
    pub struct Peer {
        child: Child,
        stdin: ChildStdin,
        stdout: BufReader<ChildStdout>,
        _users: tempfile::NamedTempFile,
    }

    impl Peer {
        pub fn spawn(args: &[&str]) -> Peer {
            let mut users = tempfile::NamedTempFile::new().unwrap();
            writeln!(users, "LAB:alice:Alice-Pa55\nLAB:bob:B0b-secret").unwrap();
            let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/peers/ntlm_acceptor.py");
            let mut child = Command::new(crate::common::peer_python())
                .arg(script)
                .args(args)
                .env("NTLM_USER_FILE", users.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start the pyspnego peer");
            let stdin = child.stdin.take().unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            Peer {
                child,
                stdin,
                stdout,
                _users: users,
            }
        }

        pub fn read(&mut self) -> Vec<String> {
            let mut line = String::new();
            self.stdout.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "the pyspnego peer exited");
            line.split_whitespace().map(str::to_owned).collect()
        }

        pub fn ask(&mut self, words: &[&str]) -> Vec<String> {
            writeln!(self.stdin, "{}", words.join(" ")).unwrap();
            self.stdin.flush().unwrap();
            self.read()
        }

        pub fn error_text(reply: &[String]) -> String {
            assert_eq!(reply[0], "ERROR", "{reply:?}");
            String::from_utf8(unb64(&reply[1])).unwrap()
        }
    }

    impl Drop for Peer {
        fn drop(&mut self) {
            let _ = writeln!(self.stdin, "QUIT");
            let _ = self.child.wait();
        }
    }
}

use peer::{Peer, b64, unb64};

fn token_of(header: &str) -> Vec<u8> {
    let (_, t) = header.split_once(' ').unwrap();
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, t).unwrap()
}

/// Our client authenticates to pyspnego's acceptor; returns the client, the
/// peer and the user the peer saw, or the peer's error.
fn client_against_pyspnego(
    mech: Mechanism,
    user: &str,
    password: &str,
) -> (ClientAuthenticator, Peer, Result<String, String>) {
    client_against_pyspnego_tls(mech, user, password, None, None)
}

/// As [`client_against_pyspnego`], with the acceptor demanding channel
/// bindings for `server_cert` and our client binding to `client_cert`.
fn client_against_pyspnego_tls(
    mech: Mechanism,
    user: &str,
    password: &str,
    server_cert: Option<&[u8]>,
    client_cert: Option<&[u8]>,
) -> (ClientAuthenticator, Peer, Result<String, String>) {
    let protocol = match mech {
        Mechanism::Ntlm => "ntlm",
        Mechanism::CredSsp => "credssp",
        _ => "negotiate",
    };
    let cert_arg = server_cert.map(b64);
    let mut args = vec!["accept", protocol];
    args.extend(cert_arg.as_deref());
    let mut peer = Peer::spawn(&args);
    let creds = Credentials::new(user, password).unwrap();
    let mut client = ClientAuthenticator::new(mech, creds, "lab.example", "WS1");
    if let Some(cert) = client_cert {
        client = client.with_server_certificate(cert).unwrap();
    }
    let mut header = client.start().unwrap().to_string();
    for _ in 0..8 {
        let reply = peer.ask(&["TOKEN", &b64(&token_of(&header))]);
        match reply[0].as_str() {
            "TOKEN" => {
                let www = format!("{} {}", mech.scheme(), reply[1]);
                match client.on_response(401, [www.as_str()]) {
                    Ok(ClientStep::Send(h)) => header = h,
                    Ok(ClientStep::Done) => panic!("done on 401"),
                    // The acceptor answered with a refusal (a CredSSP
                    // TSRequest carrying an error code).
                    Err(e) => return (client, peer, Err(format!("client: {e}"))),
                }
            }
            "DONE" => {
                let www = (reply[1] != "-").then(|| format!("{} {}", mech.scheme(), reply[1]));
                assert_eq!(
                    client.on_response(200, www.as_deref()).unwrap(),
                    ClientStep::Done
                );
                let who = String::from_utf8(unb64(&reply[2])).unwrap();
                return (client, peer, Ok(who));
            }
            _ => {
                let e = Peer::error_text(&reply);
                return (client, peer, Err(e));
            }
        }
    }
    panic!("no completion");
}

#[test]
fn our_client_against_pyspnego_acceptor() {
    for mech in [Mechanism::Ntlm, Mechanism::Negotiate] {
        let (mut client, mut peer, who) = client_against_pyspnego(mech, "LAB\\alice", "Alice-Pa55");
        let who = who.unwrap_or_else(|e| panic!("{mech:?}: {e}"));
        assert!(who.eq_ignore_ascii_case("LAB\\alice"), "{who}");
        assert!(client.is_complete());
        for i in 0..4 {
            // client -> pyspnego: pypsrp's unwrap_message with pyspnego's unwrap_winrm
            let req = format!("<s:Envelope>req {i} {}</s:Envelope>", "é".repeat(i * 700));
            let (body, ct) = client.wrap(req.as_bytes()).unwrap();
            let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
            assert_eq!(reply[0], "PLAIN", "{mech:?} {reply:?}");
            assert_eq!(unb64(&reply[1]), req.as_bytes());
            // pyspnego -> client: pyspnego's wrap_winrm with pypsrp's framing
            let resp = format!("<s:Envelope>resp {i} {}</s:Envelope>", "z".repeat(i * 300));
            let reply = peer.ask(&["WRAP", &b64(resp.as_bytes())]);
            assert_eq!(reply[0], "BODY");
            let ct = String::from_utf8(unb64(&reply[2])).unwrap();
            assert_eq!(
                client.unwrap(&unb64(&reply[1]), &ct).unwrap(),
                resp.as_bytes()
            );
        }
        // a tampered byte is rejected in both directions
        let (mut body, ct) = client.wrap(b"<s:Envelope>tamper</s:Envelope>").unwrap();
        let n = body.len();
        body[n - 28] ^= 0x20;
        let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
        assert!(!Peer::error_text(&reply).is_empty());
        let reply = peer.ask(&["WRAP", &b64(b"<s:Envelope>tamper back</s:Envelope>")]);
        let mut body = unb64(&reply[1]);
        let n = body.len();
        body[n - 28] ^= 0x20;
        let ct = String::from_utf8(unb64(&reply[2])).unwrap();
        assert!(client.unwrap(&body, &ct).is_err());
    }
}

/// CredSSP against pyspnego's CredSSP acceptor: TLS inside the tokens,
/// SPNEGO/NTLM inside TLS, the public-key binding, the delegated
/// TSCredentials, then TLS-record sealing in both directions, including
/// bodies over 16 KiB (`multipart/x-multi-encrypted`, one part per 16 KiB).
#[test]
fn our_credssp_client_against_pyspnego_acceptor() {
    let (mut client, mut peer, who) =
        client_against_pyspnego(Mechanism::CredSsp, "LAB\\alice", "Alice-Pa55");
    who.unwrap_or_else(|e| panic!("CredSSP: {e}"));
    assert!(client.is_complete());
    // The server received the delegated user name and password.
    let cred = peer.ask(&["CRED"]);
    assert_eq!(cred[0], "CRED", "{cred:?}");
    assert_eq!(unb64(&cred[1]), b"LAB");
    assert_eq!(unb64(&cred[2]), b"alice");
    assert_eq!(unb64(&cred[3]), b"Alice-Pa55");
    for (i, len) in [10usize, 5_000, 16 * 1024, 16 * 1024 + 1, 40_000]
        .into_iter()
        .enumerate()
    {
        let req = format!("<s:Envelope>{i}{}</s:Envelope>", "q".repeat(len));
        let (body, ct) = client.wrap(req.as_bytes()).unwrap();
        let multi = req.len() > 16 * 1024;
        assert_eq!(
            ct.starts_with("multipart/x-multi-encrypted;"),
            multi,
            "{len}: {ct}"
        );
        assert!(ct.contains("protocol=\"application/HTTP-CredSSP-session-encrypted\""));
        assert!(!body.windows(40).any(|w| w == [b'q'; 40]), "body is sealed");
        let parts = body
            .windows(b"OriginalContent".len())
            .filter(|w| w == b"OriginalContent")
            .count();
        assert_eq!(parts, req.len().div_ceil(16 * 1024), "{len}");
        let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
        assert_eq!(reply[0], "PLAIN", "{len}: {reply:?}");
        assert_eq!(unb64(&reply[1]), req.as_bytes());
        let resp = format!("<s:Envelope>r{i}{}</s:Envelope>", "é".repeat(len / 2));
        let reply = peer.ask(&["WRAP", &b64(resp.as_bytes())]);
        assert_eq!(reply[0], "BODY", "{reply:?}");
        let ct = String::from_utf8(unb64(&reply[2])).unwrap();
        assert_eq!(
            client.unwrap(&unb64(&reply[1]), &ct).unwrap(),
            resp.as_bytes()
        );
    }
    // A tampered record is refused in both directions (a TLS failure ends
    // the channel, so each direction gets its own connection).
    let reply = peer.ask(&["WRAP", &b64(b"<s:Envelope>tamper back</s:Envelope>")]);
    let mut body = unb64(&reply[1]);
    let n = body.len();
    body[n - 30] ^= 0x20;
    let ct = String::from_utf8(unb64(&reply[2])).unwrap();
    assert!(client.unwrap(&body, &ct).is_err());
    let (mut client, mut peer, who) =
        client_against_pyspnego(Mechanism::CredSsp, "LAB\\bob", "B0b-secret");
    who.unwrap_or_else(|e| panic!("CredSSP: {e}"));
    let (mut body, ct) = client.wrap(b"<s:Envelope>tamper</s:Envelope>").unwrap();
    let n = body.len();
    body[n - 30] ^= 0x20;
    let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
    assert!(!Peer::error_text(&reply).is_empty());
}

#[test]
fn pyspnego_credssp_acceptor_refuses_our_wrong_password() {
    let (client, _, who) =
        client_against_pyspnego(Mechanism::CredSsp, "LAB\\alice", "not-the-password");
    let err = who.expect_err("CredSSP accepted a wrong password");
    // pyspnego answers CredSSP version 6 refusals with a TSRequest errorCode.
    assert!(err.contains("access denied"), "{err}");
    assert!(!client.is_complete());
}

#[test]
fn digest_is_refused_as_not_supported_by_winrm() {
    let err = Mechanism::parse("Digest").unwrap_err().to_string();
    assert!(err.contains("not supported by WinRM"), "{err}");
    assert_eq!(Mechanism::parse("credssp").unwrap(), Mechanism::CredSsp);
    assert_eq!(Mechanism::CredSsp.scheme(), "CredSSP");
}

#[test]
fn pyspnego_acceptor_refuses_our_wrong_password() {
    for mech in [Mechanism::Ntlm, Mechanism::Negotiate] {
        let (_, _, who) = client_against_pyspnego(mech, "LAB\\alice", "not-the-password");
        assert!(who.is_err(), "{mech:?} accepted a wrong password");
    }
}

/// pyspnego's client authenticates to our acceptor; returns the acceptor and
/// the peer once done, or the acceptor's refusal.
fn pyspnego_against_our_acceptor(
    protocol: &str,
    user: &str,
    password: &str,
) -> (ServerAcceptor, Peer, Result<String, String>) {
    pyspnego_against_our_acceptor_tls(protocol, user, password, None, None)
}

/// As [`pyspnego_against_our_acceptor`], the peer binding to `client_cert`
/// and our acceptor demanding bindings for `server_cert`.
fn pyspnego_against_our_acceptor_tls(
    protocol: &str,
    user: &str,
    password: &str,
    client_cert: Option<&[u8]>,
    server_cert: Option<&[u8]>,
) -> (ServerAcceptor, Peer, Result<String, String>) {
    let scheme = if protocol == "ntlm" {
        "NTLM"
    } else {
        "Negotiate"
    };
    let cert_arg = client_cert.map(b64);
    let mut args = vec!["client", protocol, user, password];
    args.extend(cert_arg.as_deref());
    let mut peer = Peer::spawn(&args);
    let mut server = ServerAcceptor::new(table());
    if let Some(cert) = server_cert {
        let app = baton::protocol::auth::tls_server_end_point(cert).unwrap();
        server = server.with_channel_bindings(app);
    }
    let mut reply = peer.read();
    for _ in 0..5 {
        // pyspnego's NTLM client is complete once it has sent AUTHENTICATE
        assert!(
            reply[0] == "TOKEN" || reply[0] == "DONE" && reply[1] != "-",
            "{reply:?}"
        );
        let header = format!("{scheme} {}", reply[1]);
        match server.accept(&header).unwrap() {
            AcceptOutcome::Continue { www_authenticate } => {
                reply = peer.ask(&["TOKEN", &b64(&token_of(&www_authenticate))]);
            }
            AcceptOutcome::Accepted {
                user,
                www_authenticate,
            } => {
                let fin = www_authenticate.map_or("-".into(), |h| b64(&token_of(&h)));
                let done = peer.ask(&["FINAL", &fin]);
                assert_eq!(done[0], "DONE", "{done:?}");
                return (server, peer, Ok(user));
            }
            AcceptOutcome::Denied { reason } => return (server, peer, Err(reason)),
        }
    }
    panic!("no completion");
}

#[test]
fn pyspnego_client_against_our_acceptor() {
    for protocol in ["ntlm", "negotiate"] {
        for (user, pw, expect) in [
            ("LAB\\alice", "Alice-Pa55", "LAB\\alice"),
            ("lab\\bob", "B0b-secret", "LAB\\bob"),
        ] {
            let (mut server, mut peer, who) = pyspnego_against_our_acceptor(protocol, user, pw);
            assert_eq!(who.as_deref(), Ok(expect), "{protocol} {user}");
            for i in 0..3 {
                let req = format!(
                    "<s:Envelope>from pyspnego {i}{}</s:Envelope>",
                    "q".repeat(i * 999)
                );
                let reply = peer.ask(&["WRAP", &b64(req.as_bytes())]);
                let ct = String::from_utf8(unb64(&reply[2])).unwrap();
                assert_eq!(
                    server.unwrap(&unb64(&reply[1]), &ct).unwrap(),
                    req.as_bytes()
                );
                let resp = format!("<s:Envelope>from baton {i}</s:Envelope>");
                let (body, ct) = server.wrap(resp.as_bytes()).unwrap();
                let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
                assert_eq!(reply[0], "PLAIN", "{protocol}: {reply:?}");
                assert_eq!(unb64(&reply[1]), resp.as_bytes());
            }
            // tampered request
            let reply = peer.ask(&["WRAP", &b64(b"<s:Envelope>x</s:Envelope>")]);
            let mut body = unb64(&reply[1]);
            let n = body.len();
            body[n - 26] ^= 1;
            let ct = String::from_utf8(unb64(&reply[2])).unwrap();
            assert!(server.unwrap(&body, &ct).is_err());
        }
    }
}

#[test]
fn our_acceptor_refuses_pyspnego_wrong_password() {
    for protocol in ["ntlm", "negotiate"] {
        for (user, pw) in [
            ("LAB\\alice", "B0b-secret"),
            ("LAB\\alice", "Wr0ng-pw"),
            ("LAB\\nobody", "Alice-Pa55"),
        ] {
            let (server, _, who) = pyspnego_against_our_acceptor(protocol, user, pw);
            let reason = who.unwrap_err();
            assert!(reason.contains("access denied"), "{protocol}: {reason}");
            assert!(!server.is_complete());
        }
    }
}

// ---------------------------------------------------------------------------
// multipart/encrypted framing: pypsrp 0.9.1 tests/tests_pypsrp/test_encryption.py
// (its vectors use a mock context, so these check the framing bytes it asserts)
// ---------------------------------------------------------------------------

use baton::protocol::ProtocolError;
use baton::protocol::auth::sealing::{self, SealProtocol, Sealed, SealingContext};

/// pypsrp's MockAuth: header "reallylongheader", data + "-encrypted".
struct MockAuth {
    padding: bool,
}

impl SealingContext for MockAuth {
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        let mut data = plaintext.to_vec();
        data.extend_from_slice(b"-encrypted");
        Ok(Sealed {
            header: b"reallylongheader".to_vec(),
            data,
            padding: usize::from(self.padding),
        })
    }
    fn unseal(&mut self, _h: &[u8], data: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        Ok(data[..data.len().saturating_sub(10)].to_vec())
    }
}

fn part(protocol: &str, len: usize, payload: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "--Encrypted Boundary\r\n\tContent-Type: {protocol}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len}\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00reallylongheader"
    )
    .into_bytes();
    v.extend_from_slice(payload);
    v.extend_from_slice(b"-encrypted");
    v
}

const SPNEGO: &str = "application/HTTP-SPNEGO-session-encrypted";
const KERBEROS: &str = "application/HTTP-Kerberos-session-encrypted";
const CREDSSP: &str = "application/HTTP-CredSSP-session-encrypted";

#[test]
fn pypsrp_wrap_vectors() {
    for (proto, name, padding, expected_len) in [
        (SealProtocol::Spnego, SPNEGO, false, 9),
        (SealProtocol::Spnego, SPNEGO, true, 10),
        (SealProtocol::Kerberos, KERBEROS, false, 9),
        (SealProtocol::CredSsp, CREDSSP, false, 9),
    ] {
        let (body, ct) =
            sealing::wrap_body(&mut MockAuth { padding }, proto, b"plaintext").unwrap();
        let mut expected = part(name, expected_len, b"plaintext");
        expected.extend_from_slice(b"--Encrypted Boundary--\r\n");
        assert_eq!(body, expected, "{name} padding={padding}");
        assert_eq!(
            ct,
            format!("multipart/encrypted;protocol=\"{name}\";boundary=\"Encrypted Boundary\"")
        );
    }
    // large: one part for SPNEGO/Kerberos, 16 KiB chunks for CredSSP
    let big = vec![b'a'; 20000];
    for (proto, name) in [
        (SealProtocol::Spnego, SPNEGO),
        (SealProtocol::Kerberos, KERBEROS),
    ] {
        let (body, ct) = sealing::wrap_body(&mut MockAuth { padding: false }, proto, &big).unwrap();
        let mut expected = part(name, 20000, &big);
        expected.extend_from_slice(b"--Encrypted Boundary--\r\n");
        assert_eq!(body, expected);
        assert!(ct.starts_with("multipart/encrypted;"));
    }
    let (body, ct) = sealing::wrap_body(
        &mut MockAuth { padding: false },
        SealProtocol::CredSsp,
        &big,
    )
    .unwrap();
    let mut expected = part(CREDSSP, 16384, &big[..16384]);
    expected.extend_from_slice(&part(CREDSSP, 3616, &big[16384..]));
    expected.extend_from_slice(b"--Encrypted Boundary--\r\n");
    assert_eq!(body, expected);
    assert!(ct.starts_with(
        "multipart/x-multi-encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\""
    ));
    // and it reads back
    assert_eq!(
        sealing::unwrap_body(&mut MockAuth { padding: false }, &body, &ct).unwrap(),
        big
    );
}

fn ct(proto: &str, boundary: &str) -> String {
    format!("multipart/encrypted;protocol=\"{proto}\";boundary=\"{boundary}\"")
}

#[test]
fn pypsrp_unwrap_vectors() {
    let mut m = MockAuth { padding: false };
    // small spnego, with and without the closing hyphens
    let mut body = part(SPNEGO, 9, b"plaintext");
    body.extend_from_slice(b"--Encrypted Boundary--\r\n");
    assert_eq!(
        sealing::unwrap_body(&mut m, &body, &ct(SPNEGO, "Encrypted Boundary")).unwrap(),
        b"plaintext"
    );
    let mut body = part(SPNEGO, 9, b"plaintext");
    body.extend_from_slice(b"--Encrypted Boundary\r\n");
    assert_eq!(
        sealing::unwrap_body(&mut m, &body, &ct(SPNEGO, "Encrypted Boundary")).unwrap(),
        b"plaintext"
    );
    // Kerberos with "-- Encrypted Boundary" (space after the dashes)
    let body = b"-- Encrypted Boundary\r\n\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=9\r\n-- Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00reallylongheaderplaintext-encrypted-- Encrypted Boundary--\r\n";
    assert_eq!(
        sealing::unwrap_body(&mut m, body, &ct(KERBEROS, "Encrypted Boundary")).unwrap(),
        b"plaintext"
    );
    // a different boundary, taken from the Content-Type
    let body = b"--Encrypted Boundary2\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=9\r\n--Encrypted Boundary2\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00reallylongheaderplaintext-encrypted--Encrypted Boundary2--\r\n";
    assert_eq!(
        sealing::unwrap_body(&mut m, body, &ct(CREDSSP, "Encrypted Boundary2")).unwrap(),
        b"plaintext"
    );
    assert!(sealing::unwrap_body(&mut m, body, &ct(CREDSSP, "Encrypted Boundary")).is_err());
    // large CredSSP in two parts
    let big = vec![b'a'; 20000];
    let mut body = part(CREDSSP, 16384, &big[..16384]);
    body.extend_from_slice(&part(CREDSSP, 3616, &big[16384..]));
    body.extend_from_slice(b"--Encrypted Boundary--\r\n");
    let multi = "multipart/x-multi-encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\";boundary=\"Encrypted Boundary\"";
    assert_eq!(sealing::unwrap_body(&mut m, &body, multi).unwrap(), big);
    // length mismatch: Length=9 but "plain" decrypts to 5 bytes
    let mut body = part(SPNEGO, 9, b"plain");
    body.extend_from_slice(b"--Encrypted Boundary--\r\n");
    let e = sealing::unwrap_body(&mut m, &body, &ct(SPNEGO, "Encrypted Boundary")).unwrap_err();
    assert!(
        e.to_string()
            .contains("decrypted length 5 does not match the announced length 9"),
        "{e}"
    );
}

#[test]
fn malformed_framing_is_an_error() {
    let mut m = MockAuth { padding: false };
    let good_ct = ct(SPNEGO, "Encrypted Boundary");
    let mut good = part(SPNEGO, 9, b"plaintext");
    good.extend_from_slice(b"--Encrypted Boundary--\r\n");
    assert!(sealing::unwrap_body(&mut m, &good, &good_ct).is_ok());
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("empty body", Vec::new(), good_ct.clone()),
        (
            "no closing boundary",
            part(SPNEGO, 9, b"plaintext"),
            good_ct.clone(),
        ),
        ("no leading boundary", good[2..].to_vec(), good_ct.clone()),
        (
            "header length beyond the body",
            {
                let mut b = good.clone();
                let at = b.windows(4).position(|w| w == b"\x10\x00\x00\x00").unwrap();
                b[at..at + 4].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
                b
            },
            good_ct.clone(),
        ),
        (
            "truncated length prefix",
            {
                let at = good
                    .windows(4)
                    .position(|w| w == b"\x10\x00\x00\x00")
                    .unwrap();
                let mut b = good[..at + 2].to_vec();
                b.extend_from_slice(b"--Encrypted Boundary--\r\n");
                b
            },
            good_ct.clone(),
        ),
        (
            "missing octet-stream header",
            {
                String::from_utf8_lossy(&good)
                    .replace("\tContent-Type: application/octet-stream\r\n", "")
                    .into_bytes()
            },
            good_ct.clone(),
        ),
        (
            "bad Length",
            String::from_utf8_lossy(&good)
                .replace("Length=9", "Length=nine")
                .into_bytes(),
            good_ct.clone(),
        ),
        (
            "missing Length",
            String::from_utf8_lossy(&good)
                .replace(";Length=9", "")
                .into_bytes(),
            good_ct.clone(),
        ),
        (
            "protocol mismatch",
            good.clone(),
            ct(KERBEROS, "Encrypted Boundary"),
        ),
        (
            "no boundary parameter",
            good.clone(),
            format!("multipart/encrypted;protocol=\"{SPNEGO}\""),
        ),
        (
            "not multipart",
            good.clone(),
            "application/soap+xml;charset=UTF-8".into(),
        ),
        (
            "unknown protocol",
            good.clone(),
            ct("application/foo", "Encrypted Boundary"),
        ),
    ];
    for (name, body, content_type) in cases {
        assert!(
            sealing::unwrap_body(&mut m, &body, &content_type).is_err(),
            "{name} was accepted"
        );
    }
}

/// A keyed XOR "cipher" with a 16-byte header carrying a checksum, so framing
/// round trips can be property-tested without NTLM.
struct Xor(u8);

impl SealingContext for Xor {
    fn seal(&mut self, p: &[u8]) -> Result<Sealed, ProtocolError> {
        let sum = p
            .iter()
            .fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        let mut header = vec![0u8; 16];
        header[..4].copy_from_slice(&sum.to_le_bytes());
        Ok(Sealed {
            header,
            data: p.iter().map(|b| b ^ self.0).collect(),
            padding: 0,
        })
    }
    fn unseal(&mut self, h: &[u8], d: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let p: Vec<u8> = d.iter().map(|b| b ^ self.0).collect();
        let sum = p
            .iter()
            .fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        if h.len() != 16 || h[..4] != sum.to_le_bytes() {
            return Err(ProtocolError::Auth("checksum".into()));
        }
        Ok(p)
    }
}

proptest::proptest! {
    #[test]
    fn framing_round_trips(
        plain in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40000),
        key in proptest::prelude::any::<u8>(),
        proto in proptest::sample::select(vec![SealProtocol::Spnego, SealProtocol::Kerberos, SealProtocol::CredSsp]),
        with_boundary_text in proptest::prelude::any::<bool>(),
    ) {
        let mut plain = plain;
        if with_boundary_text {
            // ciphertext that contains the delimiter itself
            let delim: Vec<u8> = b"--Encrypted Boundary\r\n".iter().map(|b| b ^ key).collect();
            plain.splice(0..0, delim);
        }
        let (body, ct) = sealing::wrap_body(&mut Xor(key), proto, &plain).unwrap();
        proptest::prop_assert_eq!(sealing::unwrap_body(&mut Xor(key), &body, &ct).unwrap(), plain);
    }

    #[test]
    fn unwrap_never_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let mut b = b"--Encrypted Boundary\r\n".to_vec();
        b.extend_from_slice(&body);
        let _ = sealing::unwrap_body(&mut Xor(7), &b, &ct(SPNEGO, "Encrypted Boundary"));
        let _ = sealing::unwrap_body(&mut Xor(7), &body, &ct(SPNEGO, "Encrypted Boundary"));
    }
}

// ---------------------------------------------------------------------------
// Channel bindings (tls-server-end-point, RFC 5929 §4.1) against pypsrp/pyspnego
// ---------------------------------------------------------------------------

fn certificate(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let params = rcgen::CertificateParams::new(vec!["lab.example".to_owned()]).unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

#[test]
fn channel_binding_hash_matches_pypsrp() {
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ] {
        let cert = certificate(alg);
        let ours = baton::protocol::auth::tls_server_end_point(&cert).unwrap();
        let mut peer = Peer::spawn(&["cbt", &b64(&cert)]);
        let reply = peer.read();
        assert_eq!(reply[0], "CBT");
        assert_eq!(ours, unb64(&reply[1]), "{alg:?}");
    }
    assert!(baton::protocol::auth::tls_server_end_point(b"not a certificate").is_err());
}

#[test]
fn channel_bindings_accepted_and_mismatch_refused_by_pyspnego() {
    let cert = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let other = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    for mech in [Mechanism::Ntlm, Mechanism::Negotiate] {
        let (mut client, mut peer, who) =
            client_against_pyspnego_tls(mech, "LAB\\alice", "Alice-Pa55", Some(&cert), Some(&cert));
        who.unwrap_or_else(|e| panic!("{mech:?} with matching bindings: {e}"));
        let (body, ct) = client.wrap(b"<s:Envelope/>").unwrap();
        let reply = peer.ask(&["UNWRAP", &b64(&body), &b64(ct.as_bytes())]);
        assert_eq!(unb64(&reply[1]), b"<s:Envelope/>");
        let (_, _, who) = client_against_pyspnego_tls(
            mech,
            "LAB\\alice",
            "Alice-Pa55",
            Some(&cert),
            Some(&other),
        );
        assert!(
            who.is_err(),
            "{mech:?}: bindings of another certificate were accepted"
        );
    }
}

/// DER length bytes.
fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else if n < 0x100 {
        vec![0x81, n as u8]
    } else {
        vec![0x82, (n >> 8) as u8, n as u8]
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(content.len()));
    v.extend_from_slice(content);
    v
}

/// A client preferring Kerberos (as Windows does) gets NTLM selected with
/// no challenge yet; its next token, the NTLM NEGOTIATE, is then challenged.
#[test]
fn our_acceptor_selects_ntlm_when_kerberos_is_preferred() {
    const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const NTLM: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    let mech_types = der(0x30, &[der(0x06, KRB5), der(0x06, NTLM)].concat());
    let init = der(0xa0, &der(0x30, &der(0xa0, &mech_types)));
    let token = der(0x60, &[der(0x06, SPNEGO), init].concat());
    let header = baton::protocol::auth::token_header("Negotiate", &token);
    let mut server = ServerAcceptor::new(table());
    let AcceptOutcome::Continue { www_authenticate } = server.accept(&header).unwrap() else {
        panic!("not continued");
    };
    // negResult accept-incomplete, supportedMech NTLM, no challenge yet
    let out = token_of(&www_authenticate);
    assert!(out.windows(NTLM.len()).any(|w| w == NTLM), "NTLM selected");
    assert!(!out.windows(8).any(|w| w == b"NTLMSSP\0"));
    // the client's NegTokenResp with the NTLM NEGOTIATE from our raw NTLM client
    let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
    let mut ntlm = ClientAuthenticator::new(Mechanism::Ntlm, creds, "lab.example", "WS1");
    let negotiate = token_of(&ntlm.start().unwrap());
    // without negState, as Windows sends it (sspi 0.23 alone misreads this)
    let resp = der(0xa1, &der(0x30, &der(0xa2, &der(0x04, &negotiate))));
    let header = baton::protocol::auth::token_header("Negotiate", &resp);
    let outcome = server.accept(&header).unwrap();
    let AcceptOutcome::Continue { www_authenticate } = outcome else {
        panic!("not challenged: {outcome:?}");
    };
    let out = token_of(&www_authenticate);
    let at = out
        .windows(8)
        .position(|w| w == b"NTLMSSP\0")
        .expect("an NTLM challenge");
    assert_eq!(&out[at + 8..at + 12], &[2, 0, 0, 0]);
    // and a third round that is not AUTHENTICATE is refused
    let AcceptOutcome::Denied { .. } = server.accept(&header).unwrap() else {
        panic!("a second NEGOTIATE was not refused");
    };
}

#[test]
fn offered_schemes() {
    use baton::protocol::auth::server_offers;
    let www = ["Negotiate", "Kerberos", "Basic realm=\"WSMAN\""];
    assert!(server_offers(www, Mechanism::Negotiate).unwrap());
    assert!(server_offers(www, Mechanism::Basic).unwrap());
    assert!(!server_offers(www, Mechanism::Ntlm).unwrap());
    assert!(server_offers(www, Mechanism::Kerberos).unwrap());
    assert_eq!(Mechanism::parse("Kerberos").unwrap(), Mechanism::Kerberos);
    assert!(Mechanism::parse("Digest").is_err());
    assert_eq!(Mechanism::parse("default").unwrap(), Mechanism::Negotiate);
}

/// Reads a DER TLV: (tag, content start, end).
fn tlv(b: &[u8], pos: usize) -> (u8, usize, usize) {
    let first = b[pos + 1];
    if first < 0x80 {
        (b[pos], pos + 2, pos + 2 + first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        let len = b[pos + 2..pos + 2 + n]
            .iter()
            .fold(0usize, |a, &x| a << 8 | x as usize);
        (b[pos], pos + 2 + n, pos + 2 + n + len)
    }
}

/// Drops negState from a NegTokenResp, as Windows initiators omit it.
fn strip_neg_state(token: &[u8]) -> Vec<u8> {
    let (t, s, _) = tlv(token, 0);
    if t != 0xa1 {
        return token.to_vec();
    }
    let (_, ss, se) = tlv(token, s);
    let mut fields = Vec::new();
    let mut pos = ss;
    while pos < se {
        let (t, _, e) = tlv(token, pos);
        if t != 0xa0 {
            fields.extend_from_slice(&token[pos..e]);
        }
        pos = e;
    }
    der(0xa1, &der(0x30, &fields))
}

/// A full SPNEGO handshake whose client tokens lack negState after the first
/// leg (pyspnego's client, tokens rewritten), then sealed traffic.
#[test]
fn our_acceptor_takes_neg_token_resp_without_neg_state() {
    let mut peer = Peer::spawn(&["client", "negotiate", "LAB\\alice", "Alice-Pa55"]);
    let mut server = ServerAcceptor::new(table());
    let mut reply = peer.read();
    let mut first = true;
    loop {
        let mut token = unb64(&reply[1]);
        if !first {
            let stripped = strip_neg_state(&token);
            assert!(
                stripped.len() < token.len(),
                "negState was present and removed"
            );
            token = stripped;
        }
        first = false;
        let header = baton::protocol::auth::token_header("Negotiate", &token);
        match server.accept(&header).unwrap() {
            AcceptOutcome::Continue { www_authenticate } => {
                reply = peer.ask(&["TOKEN", &b64(&token_of(&www_authenticate))]);
            }
            AcceptOutcome::Accepted {
                user,
                www_authenticate,
            } => {
                assert_eq!(user, "LAB\\alice");
                let fin = www_authenticate.map_or("-".into(), |h| b64(&token_of(&h)));
                assert_eq!(peer.ask(&["FINAL", &fin])[0], "DONE");
                break;
            }
            AcceptOutcome::Denied { reason } => panic!("{reason}"),
        }
    }
    let reply = peer.ask(&["WRAP", &b64(b"<s:Envelope>hi</s:Envelope>")]);
    let ct = String::from_utf8(unb64(&reply[2])).unwrap();
    assert_eq!(
        server.unwrap(&unb64(&reply[1]), &ct).unwrap(),
        b"<s:Envelope>hi</s:Envelope>"
    );
}

#[test]
fn our_acceptor_enforces_channel_bindings() {
    let cert = certificate(&rcgen::PKCS_ECDSA_P384_SHA384);
    let other = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    for protocol in ["ntlm", "negotiate"] {
        let (mut server, mut peer, who) = pyspnego_against_our_acceptor_tls(
            protocol,
            "LAB\\alice",
            "Alice-Pa55",
            Some(&cert),
            Some(&cert),
        );
        assert_eq!(who.as_deref(), Ok("LAB\\alice"), "{protocol}");
        let reply = peer.ask(&["WRAP", &b64(b"<x/>")]);
        let ct = String::from_utf8(unb64(&reply[2])).unwrap();
        assert_eq!(server.unwrap(&unb64(&reply[1]), &ct).unwrap(), b"<x/>");
        for client_cert in [Some(&other[..]), None] {
            let (_, _, who) = pyspnego_against_our_acceptor_tls(
                protocol,
                "LAB\\alice",
                "Alice-Pa55",
                client_cert,
                Some(&cert),
            );
            let reason = who.unwrap_err();
            assert!(reason.contains("channel bindings"), "{protocol}: {reason}");
        }
    }
    // our own client, too
    let creds = Credentials::new("LAB\\bob", "B0b-secret").unwrap();
    let mut client = ClientAuthenticator::new(Mechanism::Negotiate, creds, "lab.example", "WS1")
        .with_server_certificate(&cert)
        .unwrap();
    let app = baton::protocol::auth::tls_server_end_point(&cert).unwrap();
    let mut server = ServerAcceptor::new(table()).with_channel_bindings(app);
    let mut header = client.start().unwrap().to_string();
    loop {
        match server.accept(&header).unwrap() {
            AcceptOutcome::Continue { www_authenticate } => {
                let ClientStep::Send(h) = client
                    .on_response(401, [www_authenticate.as_str()])
                    .unwrap()
                else {
                    panic!()
                };
                header = h;
            }
            AcceptOutcome::Accepted {
                user,
                www_authenticate,
            } => {
                assert_eq!(user, "LAB\\bob");
                client
                    .on_response(200, www_authenticate.as_deref())
                    .unwrap();
                break;
            }
            AcceptOutcome::Denied { reason } => panic!("{reason}"),
        }
    }
    let (body, ct) = client.wrap(b"<y/>").unwrap();
    assert_eq!(server.unwrap(&body, &ct).unwrap(), b"<y/>");
}

/// Prefixes that steer random bytes into the NTLM and SPNEGO parsers.
fn fuzz_token(kind: u8, tail: &[u8]) -> Vec<u8> {
    let mut t = match kind % 4 {
        0 => b"NTLMSSP\0\x01\0\0\0".to_vec(),
        1 => b"NTLMSSP\0\x02\0\0\0".to_vec(),
        2 => b"NTLMSSP\0\x03\0\0\0".to_vec(),
        _ => vec![0xa1, 0x81, 0x80, 0x30, 0x7e],
    };
    t.extend_from_slice(tail);
    t
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn acceptor_never_panics_on_garbage(
        kind in 0u8..4,
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        negotiate in proptest::prelude::any::<bool>(),
        after_valid_start in proptest::prelude::any::<bool>(),
    ) {
        let scheme = if negotiate { "Negotiate" } else { "NTLM" };
        let mut server = ServerAcceptor::new(table());
        if after_valid_start {
            let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
            let mech = if negotiate { Mechanism::Negotiate } else { Mechanism::Ntlm };
            let mut c = ClientAuthenticator::new(mech, creds, "h", "w");
            let h = c.start().unwrap();
            let _ = server.accept(&h);
        }
        let header = baton::protocol::auth::token_header(scheme, &fuzz_token(kind, &tail));
        if let Ok(AcceptOutcome::Accepted { .. }) = server.accept(&header) {
            proptest::prop_assert!(false, "garbage was accepted");
        }
        proptest::prop_assert!(!server.is_complete());
    }

    #[test]
    fn client_never_panics_on_garbage(
        kind in 0u8..4,
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        negotiate in proptest::prelude::any::<bool>(),
    ) {
        let mech = if negotiate { Mechanism::Negotiate } else { Mechanism::Ntlm };
        let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
        let mut c = ClientAuthenticator::new(mech, creds, "h", "w");
        c.start().unwrap();
        let header = baton::protocol::auth::token_header(mech.scheme(), &fuzz_token(kind, &tail));
        let _ = c.on_response(401, [header.as_str()]);
        proptest::prop_assert!(!c.is_complete());
    }
}

/// Well-formed DER that is not a NegTokenInit made picky-krb 0.13 panic
/// inside sspi; both sides must answer with an error instead.
#[test]
fn malformed_spnego_is_refused_not_a_panic() {
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    let bad = der(
        0x60,
        &[der(0x06, SPNEGO), der(0xa0, &der(0x30, &der(0x02, &[0])))].concat(),
    );
    let header = baton::protocol::auth::token_header("Negotiate", &bad);
    let mut server = ServerAcceptor::new(table());
    match server.accept(&header) {
        Ok(AcceptOutcome::Denied { .. }) | Err(_) => {}
        other => panic!("{other:?}"),
    }
    let creds = Credentials::new("LAB\\alice", "Alice-Pa55").unwrap();
    let mut c = ClientAuthenticator::new(Mechanism::Negotiate, creds, "h", "w");
    c.start().unwrap();
    let resp = der(0xa1, &der(0x30, &der(0xa0, &der(0x02, &[0]))));
    let header = baton::protocol::auth::token_header("Negotiate", &resp);
    assert!(c.on_response(401, [header.as_str()]).is_err());
    assert!(c.wrap(b"x").is_err());
}
