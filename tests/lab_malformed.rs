//! The lab endpoint against malformed and hostile requests, over real
//! loopback HTTP: each one gets the SOAP fault or HTTP status a Windows
//! WinRM service gives (protocol.md §4.2-4.3, §6.4, §8.9), and the lab keeps
//! serving normal requests afterwards, on the same connection and on a new one.

use std::time::Duration;

use baton::lab::{self, LabConfig, Ports, RunningLab};
use baton::protocol::auth::{Credentials, Mechanism};
use baton::protocol::http::HttpResponse;
use baton::protocol::wsman::envelope::{IdSource, RequestContext};
use baton::protocol::wsman::fault::{WsmanFault, codes};
use baton::protocol::wsman::shell::{self, EnumItem, Request, ShellInfo};
use baton::protocol::xml::Element;
use baton::transport::TransportError;
use baton::transport::http::{ConnectOptions, Endpoint};
use baton::transport::session::{AuthSettings, WsmanConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const T: Duration = Duration::from_secs(20);
const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");
const MANAGER: (&str, &str) = ("Domain01\\Manager01", "Mgr-P@ss1");
const PS: &str = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell";

struct Ids;

impl IdSource for Ids {
    fn next_id(&mut self) -> Uuid {
        Uuid::new_v4()
    }
}

async fn start() -> (RunningLab, String) {
    let lab = lab::start(&LabConfig::demo(), Ports::Ephemeral)
        .await
        .unwrap();
    let url = lab.endpoints[0].1.clone();
    (lab, url)
}

fn connection(url: &str, (user, password): (&str, &str), seal: bool) -> WsmanConnection {
    WsmanConnection::new(
        Endpoint::parse(url).unwrap(),
        ConnectOptions::default(),
        AuthSettings {
            mechanism: Mechanism::Negotiate,
            credentials: Credentials::new(user, password).unwrap(),
            seal_over_http: seal,
            allow_unencrypted: false,
            workstation: "BATON-TEST".into(),
        },
    )
    .unwrap()
}

fn ctx(url: &str) -> RequestContext {
    RequestContext::new(url, Uuid::new_v4())
}

/// A normal Enumerate of shells succeeds; returns the shells.
async fn enumerate_ok(c: &mut WsmanConnection, url: &str) -> Vec<ShellInfo> {
    let req = Request::EnumerateShells { max_elements: 100 }.build(&ctx(url), &mut Ids);
    let r = c.post(req.xml.as_bytes(), T, true).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    shell::parse_enumerate_response(&req, &r.body)
        .unwrap()
        .items
        .into_iter()
        .filter_map(|i| match i {
            EnumItem::Shell(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// The lab still serves: on the same connection and on a fresh one.
async fn still_serves(c: &mut WsmanConnection, url: &str) {
    enumerate_ok(c, url).await;
    enumerate_ok(&mut connection(url, TECH, true), url).await;
}

/// Asserts HTTP 500 with a WS-Management fault and returns it.
fn fault(r: &HttpResponse) -> WsmanFault {
    assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
    let env = Element::parse(&r.body).unwrap();
    WsmanFault::from_envelope(&env)
        .expect("a s:Fault in the body")
        .unwrap()
}

fn assert_fault(r: &HttpResponse, code: u32, subcode: &str) -> WsmanFault {
    let f = fault(r);
    assert_eq!(f.wsman_code, Some(code), "{f:?}");
    assert_eq!(f.subcode.as_deref(), Some(subcode), "{f:?}");
    f
}

/// A well-formed request whose envelope is then edited by `edit`.
fn edited(req: &Request, url: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let built = req.build(&ctx(url), &mut Ids);
    let xml = edit(&built.xml);
    assert_ne!(xml, built.xml, "the edit changed the request");
    xml.into_bytes()
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one malformed request after another against the same listener"
)]
async fn malformed_soap_gets_windows_faults_and_the_lab_keeps_serving() {
    let (lab, url) = start().await;
    let mut c = connection(&url, TECH, true);
    let shells = enumerate_ok(&mut c, &url).await;
    let mine = shells
        .first()
        .expect("the demo gives the technician a shell")
        .shell_id
        .clone();

    // Not XML at all.
    let r = c
        .post(b"<s:Envelope xmlns:s='x'><s:Body>", T, false)
        .await
        .unwrap();
    assert_fault(&r, codes::SCHEMA_VALIDATION_ERROR, "SchemaValidationError");
    still_serves(&mut c, &url).await;

    // A DTD with an external entity: refused, never expanded.
    let xxe = edited(&Request::EnumerateShells { max_elements: 10 }, &url, |x| {
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
            x.trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        )
    });
    let r = c.post(&xxe, T, false).await.unwrap();
    let f = assert_fault(&r, codes::SCHEMA_VALIDATION_ERROR, "SchemaValidationError");
    assert!(!format!("{f:?}").contains("root:"), "{f:?}");
    still_serves(&mut c, &url).await;

    // An action no WinRM service knows.
    let unknown = edited(&Request::EnumerateShells { max_elements: 10 }, &url, |x| {
        x.replace(
            "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
            "http://schemas.example.com/NoSuchAction",
        )
    });
    let r = c.post(&unknown, T, false).await.unwrap();
    assert_fault(&r, codes::ACTION_NOT_SUPPORTED, "ActionNotSupported");
    still_serves(&mut c, &url).await;

    // Receive and Delete on a ShellId that does not exist.
    let ghost = Uuid::new_v4().to_string().to_uppercase();
    let receive = Request::Receive {
        resource_uri: PS.into(),
        shell_id: ghost.clone(),
        command_id: None,
        streams: "stdout".into(),
        keep_alive: true,
    }
    .build(&ctx(&url), &mut Ids);
    let r = c.post(receive.xml.as_bytes(), T, false).await.unwrap();
    let f = assert_fault(&r, codes::INVALID_SELECTORS, "InvalidSelectors");
    assert!(f.message.unwrap_or_default().contains(&ghost));
    let delete = Request::Delete {
        resource_uri: PS.into(),
        shell_id: ghost.clone(),
    }
    .build(&ctx(&url), &mut Ids);
    let r = c.post(delete.xml.as_bytes(), T, false).await.unwrap();
    assert_fault(&r, codes::INVALID_SELECTORS, "InvalidSelectors");
    still_serves(&mut c, &url).await;

    // A Command on the technician's shell, sent by the manager: another
    // user's shells are invisible to a non-administrator, so the shell is
    // "not found" for them (the lookup is per owner), not merely denied.
    let mut other = connection(&url, MANAGER, true);
    let command = Request::Command(shell::CommandLine::psrp(
        PS,
        &mine,
        &Uuid::new_v4().to_string().to_uppercase(),
        "",
        b"\0",
    ))
    .build(&ctx(&url), &mut Ids);
    let r = other.post(command.xml.as_bytes(), T, false).await.unwrap();
    let f = assert_fault(&r, codes::INVALID_SELECTORS, "InvalidSelectors");
    assert!(f.message.unwrap_or_default().contains(&mine));
    assert!(
        !enumerate_ok(&mut other, &url)
            .await
            .iter()
            .any(|s| s.shell_id == mine)
    );
    still_serves(&mut other, &url).await;
    // …and the technician's shell is untouched.
    assert!(
        enumerate_ok(&mut c, &url)
            .await
            .iter()
            .any(|s| s.shell_id == mine)
    );

    // A Pull with a context the service never handed out.
    let pull = Request::Pull {
        resource_uri: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell".into(),
        context: "uuid:6F6C1B8D-0000-4000-8000-000000000000".into(),
        max_elements: 10,
    }
    .build(&ctx(&url), &mut Ids);
    let r = c.post(pull.xml.as_bytes(), T, false).await.unwrap();
    assert_fault(
        &r,
        codes::INVALID_ENUMERATION_CONTEXT,
        "InvalidEnumerationContext",
    );
    still_serves(&mut c, &url).await;

    // OperationTimeout PT-1S (recorded: a:InvalidMessageInformationHeader).
    let negative = edited(
        &Request::GetShell {
            shell_id: mine.clone(),
        },
        &url,
        |x| {
            let start = x.find("OperationTimeout>").unwrap() + "OperationTimeout>".len();
            let end = start + x[start..].find('<').unwrap();
            format!("{}PT-1S{}", &x[..start], &x[end..])
        },
    );
    let r = c.post(&negative, T, false).await.unwrap();
    assert_fault(
        &r,
        codes::INVALID_MESSAGE_INFORMATION_HEADER,
        "InvalidMessageInformationHeader",
    );
    still_serves(&mut c, &url).await;

    // A command enumeration without the ShellId filter.
    let no_filter = edited(
        &Request::EnumerateCommands {
            shell_id: mine.clone(),
            max_elements: 10,
        },
        &url,
        |x| {
            let start = x.find("<wsman:Filter").unwrap();
            let end = x.find("</wsman:Filter>").unwrap() + "</wsman:Filter>".len();
            format!("{}{}", &x[..start], &x[end..])
        },
    );
    let r = c.post(&no_filter, T, false).await.unwrap();
    let f = fault(&r);
    assert_eq!(
        f.wsman_code,
        Some(codes::ENUMERATE_SHELLCOMMANDS_FILTER_EXPECTED),
        "{f:?}"
    );
    still_serves(&mut c, &url).await;

    // A body larger than the service's limit: HTTP 413, and the connection
    // (or a new one) serves again.
    let huge = edited(&Request::EnumerateShells { max_elements: 10 }, &url, |x| {
        x.replace(
            "</s:Header>",
            &format!("<!-- {} --></s:Header>", "x".repeat(2 * 1024 * 1024)),
        )
    });
    let err = c.post(&huge, T, false).await.unwrap_err();
    assert!(matches!(&err, TransportError::RequestTooLarge), "{err:?}");
    still_serves(&mut c, &url).await;
    // Over MaxEnvelopeSizekb (500 KiB) but small enough for the listener
    // to read and unseal: still HTTP 413, not a SOAP fault.
    let over = edited(&Request::EnumerateShells { max_elements: 10 }, &url, |x| {
        x.replace(
            "</s:Header>",
            &format!("<!-- {} --></s:Header>", "y".repeat(520 * 1024)),
        )
    });
    let err = c.post(&over, T, false).await.unwrap_err();
    assert!(matches!(&err, TransportError::RequestTooLarge), "{err:?}");
    still_serves(&mut c, &url).await;

    // Elements nested deeper than any envelope needs: refused like bad XML.
    let deep = edited(&Request::EnumerateShells { max_elements: 10 }, &url, |x| {
        x.replace(
            "</s:Header>",
            &format!("{}{}</s:Header>", "<a>".repeat(5000), "</a>".repeat(5000)),
        )
    });
    let r = c.post(&deep, T, false).await.unwrap();
    assert_fault(&r, codes::SCHEMA_VALIDATION_ERROR, "SchemaValidationError");
    still_serves(&mut c, &url).await;

    lab.stop().await;
}

/// Sends raw HTTP/1.1 on a new socket and returns the status code.
async fn raw_status(url: &str, request: String) -> u16 {
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/wsman")
        .to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(T, s.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the lab closed the connection without an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"))
}

fn post_with(authorization: &str, body: &str) -> String {
    format!(
        "POST /wsman HTTP/1.1\r\nHost: lab\r\nAuthorization: {authorization}\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn bad_http_gets_windows_statuses_and_the_lab_keeps_serving() {
    let (lab, url) = start().await;
    let envelope = Request::EnumerateShells { max_elements: 10 }
        .build(&ctx(&url), &mut Ids)
        .xml;

    // Garbage tokens and unknown schemes: 401 with the service's challenges.
    for auth in [
        "Negotiate !!!not base64!!!",
        "NTLM AAAA",
        "Negotiate",
        "Bearer abc.def.ghi",
        "Digest username=\"x\"",
        "Basic %%%",
    ] {
        assert_eq!(
            raw_status(&url, post_with(auth, &envelope)).await,
            401,
            "{auth}"
        );
        enumerate_ok(&mut connection(&url, TECH, true), &url).await;
    }

    // The anonymous Identify header on anything but Identify: 401.
    let anonymous = format!(
        "POST /wsman HTTP/1.1\r\nHost: lab\r\nWSMANIDENTIFY: unauthenticated\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{envelope}",
        envelope.len()
    );
    assert_eq!(raw_status(&url, anonymous).await, 401);
    // …while Identify itself answers.
    let identify = shell::identify_request().xml;
    let anonymous = format!(
        "POST /wsman HTTP/1.1\r\nHost: lab\r\nWSMANIDENTIFY: unauthenticated\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{identify}",
        identify.len()
    );
    assert_eq!(raw_status(&url, anonymous).await, 200);

    // GET instead of POST: 405.
    assert_eq!(
        raw_status(
            &url,
            "GET /wsman HTTP/1.1\r\nHost: lab\r\nContent-Length: 0\r\n\r\n".into()
        )
        .await,
        405
    );
    enumerate_ok(&mut connection(&url, TECH, true), &url).await;

    // An authenticated connection that sends clear SOAP over HTTP while
    // AllowUnencrypted is false: refused with 401 ([MS-WSMV] §3.1.4.1.29.1).
    let mut clear = connection(&url, TECH, false);
    let err = clear.post(envelope.as_bytes(), T, false).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::AccessDenied(m) if m.contains("401")),
        "{err:?}"
    );
    enumerate_ok(&mut connection(&url, TECH, true), &url).await;

    lab.stop().await;
}

/// The lab's passwords are public, so it binds only loopback addresses
/// unless told otherwise (`baton lab --allow-remote`); nothing is bound when
/// it refuses.
#[tokio::test]
async fn the_lab_binds_only_loopback_unless_allowed() {
    let mut config = LabConfig::demo();
    config.computers[0].address = "192.0.2.10".into();
    let e = match lab::start(&config, Ports::Configured).await {
        Err(e) => e,
        Ok(_) => panic!("a non-loopback address was bound"),
    };
    assert!(
        e.contains("192.0.2.10 is not a loopback address") && e.contains("--allow-remote"),
        "{e}"
    );
}
