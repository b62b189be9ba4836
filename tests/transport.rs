//! The transport against the lab's listener over real loopback HTTP:
//! NTLM/Negotiate with sealing, Basic rules, re-authentication after a lost
//! connection, and the errors a person sees.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baton::lab::listener::{Caller, ListenerSettings, WsmanService, serve_http};
use baton::protocol::auth::{Credentials, Mechanism, UserTable};
use baton::protocol::http::{HttpRequest, HttpResponse};
use baton::transport::TransportError;
use baton::transport::http::{ConnectOptions, Endpoint};
use baton::transport::session::{AuthSettings, WsmanConnection};

/// Answers every SOAP body with the caller's name and the body, reversed.
struct Echo {
    calls: AtomicUsize,
}

impl WsmanService for Echo {
    fn handle<'a>(
        &'a self,
        caller: Caller,
        request: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = HttpResponse> + Send + 'a>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let mut body = format!("{}|", caller.user).into_bytes();
            body.extend(request.body.iter().rev());
            HttpResponse::new(200, body)
        })
    }
}

fn users() -> UserTable {
    UserTable::new()
        .with("Domain01\\User01", "P@ssw0rd-tech")
        .unwrap()
        .with("Domain01\\Manager", "P@ssw0rd-mgr")
        .unwrap()
}

async fn start(settings: ListenerSettings) -> (baton::lab::listener::ListenerHandle, Arc<Echo>) {
    let echo = Arc::new(Echo {
        calls: AtomicUsize::new(0),
    });
    let h = serve_http("127.0.0.1:0".parse().unwrap(), settings, echo.clone())
        .await
        .unwrap();
    (h, echo)
}

fn connection(
    port: u16,
    mechanism: Mechanism,
    user: &str,
    password: &str,
    allow_unencrypted: bool,
) -> Result<WsmanConnection, TransportError> {
    WsmanConnection::new(
        Endpoint::parse(&format!("http://127.0.0.1:{port}/wsman")).unwrap(),
        ConnectOptions::default(),
        AuthSettings {
            mechanism,
            credentials: Credentials::new(user, password).unwrap(),
            seal_over_http: true,
            allow_unencrypted,
            workstation: "BATON-TEST".into(),
        },
    )
}

/// The technician's connection (sealed over HTTP) to the listener on `port`.
fn tech_connection(port: u16, mechanism: Mechanism) -> WsmanConnection {
    connection(port, mechanism, "Domain01\\User01", "P@ssw0rd-tech", false).unwrap()
}

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn negotiate_seals_both_directions_and_survives_a_lost_connection() {
    let (h, echo) = start(ListenerSettings {
        users: users(),
        ..Default::default()
    })
    .await;
    for mech in [Mechanism::Negotiate, Mechanism::Ntlm] {
        let mut c = tech_connection(h.local_addr.port(), mech);
        let r = c
            .post(b"<s:Envelope>hello</s:Envelope>", T, false)
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "Domain01\\User01|>epolevnE:s/<olleh>epolevnE:s<"
        );
        // Many sealed messages on one connection keep the sequence numbers in step.
        for i in 0..20 {
            let msg = format!("message {i}");
            let r = c.post(msg.as_bytes(), T, false).await.unwrap();
            assert!(
                String::from_utf8(r.body)
                    .unwrap()
                    .ends_with(&msg.chars().rev().collect::<String>())
            );
        }
        assert_eq!(c.handshakes(), 1);
        // The socket goes away: the next request authenticates again on a new one.
        c.reset();
        let r = c.post(b"again", T, true).await.unwrap();
        assert!(String::from_utf8(r.body).unwrap().ends_with("niaga"));
        assert_eq!(c.handshakes(), 2);
    }
    assert!(echo.calls.load(Ordering::SeqCst) >= 44);
    h.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_access_denied_not_a_hang() {
    let (h, echo) = start(ListenerSettings {
        users: users(),
        ..Default::default()
    })
    .await;
    let mut c = connection(
        h.local_addr.port(),
        Mechanism::Negotiate,
        "Domain01\\User01",
        "wrong",
        false,
    )
    .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(20), c.post(b"x", T, false))
        .await
        .expect("no hang")
        .unwrap_err();
    assert!(matches!(err, TransportError::AccessDenied(_)), "{err:?}");
    assert!(err.to_string().contains("Domain01\\User01"), "{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "the password must not appear: {err}"
    );
    assert_eq!(echo.calls.load(Ordering::SeqCst), 0);
    h.stop().await;
}

#[tokio::test]
async fn basic_over_http_is_refused_unless_allowed() {
    // The client refuses to send a password in clear by itself.
    let err = connection(
        5985,
        Mechanism::Basic,
        "Domain01\\User01",
        "P@ssw0rd-tech",
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("clear"), "{err}");

    // A server with Basic off answers 401 even when the client allows it.
    let (h, _) = start(ListenerSettings {
        users: users(),
        ..Default::default()
    })
    .await;
    let mut c = connection(
        h.local_addr.port(),
        Mechanism::Basic,
        "Domain01\\User01",
        "P@ssw0rd-tech",
        true,
    )
    .unwrap();
    assert!(matches!(
        c.post(b"x", T, false).await,
        Err(TransportError::AccessDenied(_))
    ));
    h.stop().await;

    // Basic and AllowUnencrypted both on: it works, unsealed.
    let (h, _) = start(ListenerSettings {
        users: users(),
        allow_basic: true,
        allow_unencrypted: true,
        ..Default::default()
    })
    .await;
    let mut c = connection(
        h.local_addr.port(),
        Mechanism::Basic,
        "Domain01\\Manager",
        "P@ssw0rd-mgr",
        true,
    )
    .unwrap();
    let r = c.post(b"abc", T, false).await.unwrap();
    assert_eq!(String::from_utf8(r.body).unwrap(), "Domain01\\Manager|cba");
    h.stop().await;
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    // Bind and drop to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = connection(port, Mechanism::Negotiate, "u", "p", false).unwrap();
    let err = c.post(b"x", T, false).await.unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&port.to_string()));
}

/// A server (or a man in the middle) that answers a sealed request in plain
/// text: the answer is refused, never read as the server's.
#[tokio::test]
async fn a_plaintext_answer_on_a_sealed_connection_is_refused() {
    let (h, echo) = start(ListenerSettings {
        users: users(),
        answer_in_plaintext: true,
        ..Default::default()
    })
    .await;
    for mech in [Mechanism::Negotiate, Mechanism::Ntlm] {
        let mut c = tech_connection(h.local_addr.port(), mech);
        let err = c
            .post(b"<s:Envelope>hello</s:Envelope>", T, false)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::Auth(m) if m.contains("answered in plain text") && m.contains("refused")),
            "{err}"
        );
    }
    assert!(
        echo.calls.load(Ordering::SeqCst) >= 2,
        "the server did answer"
    );
    h.stop().await;
}

/// The lab's listener does not let a client hold it: a header or a body
/// sent halfway is given up after the read timeout, and connections beyond
/// the cap are closed as they come; afterwards it serves as before.
#[tokio::test]
async fn the_listener_bounds_slow_clients_and_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (h, _echo) = start(ListenerSettings {
        users: users(),
        read_timeout: Duration::from_millis(500),
        max_connections: 2,
        ..Default::default()
    })
    .await;
    let addr = h.local_addr;
    // Two clients that stop halfway: one in its headers, one in its body.
    let mut half_header = tokio::net::TcpStream::connect(addr).await.unwrap();
    half_header
        .write_all(b"POST /wsman HTTP/1.1\r\nHost: lab\r\nContent-Le")
        .await
        .unwrap();
    let mut half_body = tokio::net::TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(b"POST /wsman HTTP/1.1\r\nHost: lab\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A third connection is over the cap: closed without an answer.
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(T, third.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "over the cap: {n:?}");
    // Both slow clients are let go after the read timeout.
    for (what, s) in [("header", &mut half_header), ("body", &mut half_body)] {
        let mut rest = Vec::new();
        let r = tokio::time::timeout(T, s.read_to_end(&mut rest)).await;
        assert!(r.is_ok(), "the half-sent {what} was still held");
    }
    // And the listener serves as before.
    let mut c = tech_connection(addr.port(), Mechanism::Ntlm);
    let r = c.post(b"after", T, false).await.unwrap();
    assert!(String::from_utf8(r.body).unwrap().ends_with("retfa"));
    h.stop().await;
}
