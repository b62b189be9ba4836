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
