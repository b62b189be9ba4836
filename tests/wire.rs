//! The rest of the HTTP(S) transport against the lab endpoint: sessions
//! through a real HTTP proxy (tinyproxy, started here on an ephemeral
//! loopback port), redirects as PowerShell allows them, the client's receive
//! quotas, and the redacted `baton::wire` trace.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton::lab::{self, LabConfig, Ports};
use baton::model::{AuthMechanism, ConnectionSpec, Credential, ProxyAccessType};
use baton::protocol::clixml::records::display;
use baton::protocol::psrp::client::ClientEvent;
use baton::transport::TransportError;
use baton::transport::proxy::SystemProxy;
use baton::worker::remote::{HttpExtras, Remote, RemoteError, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");
/// A Read-Host -AsSecureString answer that must never show on the wire.
const SECURE_ANSWER: &str = "S3cret-PIN wörd";
const PROXY_USER: &str = "proxyuser";
const PROXY_PASSWORD: &str = "ProxyPass42";

fn spec_for(url: &str) -> ConnectionSpec {
    ConnectionSpec {
        connection_uri: Some(url.to_owned()),
        skip_ca_check: url.starts_with("https"),
        ..ConnectionSpec::for_computer("127.0.0.1")
    }
}

fn tech() -> Credential {
    Credential::new(TECH.0, TECH.1)
}

/// Runs `script` in a new session and returns its output lines (or the
/// first error), then removes the session.
async fn run(remote: Arc<Remote>, script: &str) -> Result<Vec<String>, RemoteError> {
    let mut s = Session::create(remote, None, None).await?;
    let result = async {
        let pid = s.start(script).await?;
        let mut out = Vec::new();
        for _ in 0..500 {
            let r = s.receive(Some(pid)).await?;
            for e in &r.events {
                if let ClientEvent::Output { value, .. } = e {
                    out.push(display(value));
                }
            }
            if r.done {
                return Ok(out);
            }
        }
        panic!("the command did not finish");
    }
    .await;
    let _ = s.delete().await;
    result
}

/// Runs `script`, answering its one `Read-Host -AsSecureString` with
/// `answer` as PowerShell does (a SecureString under the session key), and
/// returns its output lines.
async fn run_answering_secure(
    remote: Arc<Remote>,
    script: &str,
    answer: &str,
) -> Result<Vec<String>, RemoteError> {
    use baton::protocol::psrp::messages::{HostCall, HostResponse};
    let mut s = Session::create(remote, None, None).await?;
    let result = async {
        let pid = s.start(script).await?;
        let mut out = Vec::new();
        for _ in 0..500 {
            let r = s.receive(Some(pid)).await?;
            for e in &r.events {
                match e {
                    ClientEvent::Output { value, .. } => out.push(display(value)),
                    ClientEvent::HostCall { call, .. }
                        if call.method_id == HostCall::READ_LINE_AS_SECURE_STRING =>
                    {
                        let result = s.secure_string(answer).await?;
                        let response = HostResponse {
                            call_id: call.call_id,
                            method_id: call.method_id,
                            method_name: call.method_name.clone(),
                            result: Some(result),
                            error: None,
                        };
                        s.answer(pid, &response).await?;
                    }
                    _ => {}
                }
            }
            if r.done {
                return Ok(out);
            }
        }
        panic!("the command did not finish");
    }
    .await;
    let _ = s.delete().await;
    result
}

async fn lab_with(configure: impl FnOnce(&mut LabConfig)) -> (lab::RunningLab, String) {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    configure(&mut config);
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = running.endpoints[0].1.clone();
    (running, url)
}

/// The output lines of pipeline `pid` until it ends.
async fn outputs(s: &mut Session, pid: Uuid) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..500 {
        let r = s.receive(Some(pid)).await.unwrap();
        for e in &r.events {
            if let ClientEvent::Output { value, .. } = e {
                out.push(display(value));
            }
        }
        if r.done {
            return out;
        }
    }
    panic!("the command did not finish");
}

/// A server with a lowered MaxEnvelopeSizekb answers a larger request with
/// HTTP 413 (ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS): the client steps
/// its envelope size down (150 KiB, then halves) and sends the same command
/// or input again in smaller fragments. A protocol 2.1 server gets 150 KiB
/// envelopes from the start, as PowerShell sends them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelopes_shrink_to_what_the_server_takes() {
    use baton::protocol::clixml::PsValue;

    // MaxEnvelopeSizekb 150 and a 300,000-character argument: the Command
    // is refused at 512,000 and taken at 153,600.
    let (running, url) = lab_with(|c| {
        for k in &mut c.computers {
            k.max_envelope_size_kb = 150;
        }
    })
    .await;
    let remote = remote_with(spec_for(&url), &HttpExtras::default()).unwrap();
    let mut s = Session::create(remote.clone(), None, None).await.unwrap();
    assert_eq!(remote.max_envelope_size(), 512_000);
    let big = PsValue::str("x".repeat(300_000));
    let pid = s
        .start_with("param($a) $a.Length", &[big], None)
        .await
        .unwrap();
    assert_eq!(outputs(&mut s, pid).await, ["300000"]);
    assert_eq!(remote.max_envelope_size(), 153_600);
    s.delete().await.unwrap();
    running.stop().await;

    // MaxEnvelopeSizekb 32 (the least Windows allows) and 100,000
    // characters of pipeline input: the small Command passes, the input's
    // first Send is refused until its fragments fit 19,200-byte envelopes.
    let (running, url) = lab_with(|c| {
        for k in &mut c.computers {
            k.max_envelope_size_kb = 32;
        }
    })
    .await;
    let remote = remote_with(spec_for(&url), &HttpExtras::default()).unwrap();
    let mut s = Session::create(remote.clone(), None, None).await.unwrap();
    let input = [PsValue::str("y".repeat(100_000)), PsValue::str("zz")];
    let pid = s
        .start_with("$input | ForEach-Object { $_.Length }", &[], Some(&input))
        .await
        .unwrap();
    assert_eq!(outputs(&mut s, pid).await, ["100000", "2"]);
    assert_eq!(remote.max_envelope_size(), 19_200);
    s.delete().await.unwrap();
    running.stop().await;

    // A Windows Server 2008 R2 (PSRP 2.1).
    let (running, url) = lab_with(|c| {
        for k in &mut c.computers {
            k.protocol_version = "2.1".into();
            k.max_envelope_size_kb = 150;
        }
    })
    .await;
    let remote = remote_with(spec_for(&url), &HttpExtras::default()).unwrap();
    let mut s = Session::create(remote.clone(), None, None).await.unwrap();
    assert_eq!(remote.max_envelope_size(), 153_600);
    let pid = s
        .start_with(
            "param($a) $a.Length",
            &[PsValue::str("w".repeat(120_000))],
            None,
        )
        .await
        .unwrap();
    assert_eq!(outputs(&mut s, pid).await, ["120000"]);
    s.delete().await.unwrap();
    running.stop().await;
}

// ---------------------------------------------------------------- tinyproxy

/// A tinyproxy with `BasicAuth`, on an ephemeral loopback port, logging to a
/// file the test reads.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn tinyproxy_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|d| d.join("tinyproxy"))
        .find(|p| p.is_file())
        .expect("tinyproxy is not installed: run `installer/debian-deps.sh test`")
}

impl Tinyproxy {
    fn start() -> Tinyproxy {
        let binary = tinyproxy_binary();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("tinyproxy.log");
        // tinyproxy cannot listen on port 0: take a free port and retry if
        // someone else grabs it first.
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let conf = dir.path().join("tinyproxy.conf");
            let mut f = std::fs::File::create(&conf).unwrap();
            write!(
                f,
                "Port {port}\nListen 127.0.0.1\nTimeout 120\nLogFile \"{}\"\nLogLevel Connect\nMaxClients 100\nBasicAuth {PROXY_USER} {PROXY_PASSWORD}\n",
                log.display()
            )
            .unwrap();
            drop(f);
            let mut child = Command::new(&binary)
                .arg("-d")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tinyproxy starts");
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Tinyproxy {
                        child,
                        port,
                        log,
                        _dir: dir,
                    };
                }
                if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("tinyproxy did not start");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Lines of its log containing `needle`.
    fn log_lines(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn via(proxy: &Tinyproxy, password: Option<&str>) -> HttpExtras {
    HttpExtras {
        proxy_credential: password.map(|p| Credential::new(PROXY_USER, p)),
        system_proxy: SystemProxy {
            https: Some(proxy.url()),
            http: Some(proxy.url()),
            no_proxy: None,
        },
    }
}

fn remote_with(spec: ConnectionSpec, extras: &HttpExtras) -> Result<Arc<Remote>, RemoteError> {
    Remote::http_with("Srv1", spec, &tech(), Uuid::new_v4(), extras).map(Arc::new)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_session_through_tinyproxy_and_its_refusals() {
    let proxy = Tinyproxy::start();
    let (running, url) = lab_with(|c| c.https = true).await;
    let lab_port = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches("/wsman")
        .to_owned();
    let mut spec = spec_for(&url);
    spec.proxy_access_type = ProxyAccessType::IEConfig;
    spec.proxy_authentication = AuthMechanism::Basic;

    // Through the CONNECT tunnel, NTLM end to end over TLS: a session works.
    let remote = remote_with(spec.clone(), &via(&proxy, Some(PROXY_PASSWORD))).unwrap();
    let out = run(remote, "'through the proxy'").await.unwrap();
    assert_eq!(out, ["through the proxy"]);
    let tunnels = proxy.log_lines(&format!("CONNECT 127.0.0.1:{lab_port}"));
    assert!(tunnels >= 1, "tinyproxy logged no CONNECT to the lab");

    // A wrong proxy password: the proxy's refusal, naming the proxy user.
    // (tinyproxy 1.11.1 answers 401 to a CONNECT with a wrong credential.)
    let wrong = remote_with(spec.clone(), &via(&proxy, Some("wrong-password"))).unwrap();
    let err = Session::create(wrong, None, None).await.unwrap_err();
    match &err {
        RemoteError::Transport(TransportError::ProxyAuthentication { status, .. }) => {
            assert!(matches!(status, 401 | 407), "{err}");
        }
        other => panic!("not a proxy authentication error: {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("proxy credential of proxyuser") && text.contains(&proxy.url()[7..]),
        "{text}"
    );
    assert!(!text.contains("wrong-password"), "{text}");

    // No proxy credential at all: 407 Proxy Authentication Required.
    let none = remote_with(spec.clone(), &via(&proxy, None)).unwrap();
    let err = Session::create(none, None, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            RemoteError::Transport(TransportError::ProxyAuthentication { status: 407, .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("HTTP 407 Proxy Authentication Required"),
        "{err}"
    );

    // NoProxyServer bypasses the proxy the system settings name.
    let before = proxy.log_lines("CONNECT 127.0.0.1");
    let mut direct = spec.clone();
    direct.proxy_access_type = ProxyAccessType::NoProxyServer;
    let remote = remote_with(direct.clone(), &via(&proxy, None)).unwrap();
    assert_eq!(run(remote, "'direct'").await.unwrap(), ["direct"]);
    // So does NO_PROXY for the system kinds.
    let mut extras = via(&proxy, None);
    extras.system_proxy.no_proxy = Some("localhost,127.0.0.1".into());
    let remote = remote_with(spec.clone(), &extras).unwrap();
    assert_eq!(run(remote, "'not proxied'").await.unwrap(), ["not proxied"]);
    assert_eq!(proxy.log_lines("CONNECT 127.0.0.1"), before);

    // PowerShell refuses a proxy credential without a proxy access type.
    let e = remote_with(direct, &via(&proxy, Some(PROXY_PASSWORD))).unwrap_err();
    assert!(
        e.to_string().contains(
            "Proxy credentials cannot be specified when using the following proxy access type: NoProxyServer"
        ),
        "{e}"
    );
    let mut digest = spec;
    digest.proxy_authentication = AuthMechanism::Digest;
    let e = remote_with(digest, &via(&proxy, Some(PROXY_PASSWORD))).unwrap_err();
    assert!(e.to_string().contains("Digest proxy authentication"), "{e}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_session_through_tinyproxy_in_absolute_form() {
    let proxy = Tinyproxy::start();
    let (running, url) = lab_with(|c| {
        c.basic = true;
        c.allow_unencrypted = true;
    })
    .await;
    let mut spec = spec_for(&url);
    spec.authentication = AuthMechanism::Basic;
    spec.allow_unencrypted = true;
    spec.proxy_access_type = ProxyAccessType::WinHttpConfig;
    spec.proxy_authentication = AuthMechanism::Basic;
    let remote = remote_with(spec.clone(), &via(&proxy, Some(PROXY_PASSWORD))).unwrap();
    assert_eq!(
        remote.identify().await.unwrap().product_vendor,
        "Microsoft Corporation"
    );
    assert_eq!(run(remote, "'plain http'").await.unwrap(), ["plain http"]);
    assert!(proxy.log_lines(&format!("POST {url}")) >= 2);

    // tinyproxy closes its connection after each request, so an NTLM
    // handshake cannot continue through it over plain http: said plainly.
    spec.authentication = AuthMechanism::Negotiate;
    let remote = remote_with(spec, &via(&proxy, Some(PROXY_PASSWORD))).unwrap();
    let err = run(remote, "'x'").await.unwrap_err().to_string();
    assert!(
        err.contains("closes its connections after each request"),
        "{err}"
    );
    running.stop().await;
}

// ---------------------------------------------------------------- redirects

/// A listener that answers every request with `status` and `Location`.
async fn redirector(status: u16, location: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/wsman", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counter = counter.clone();
            let location = location.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    buf.drain(..end + 4 + len);
                    counter.fetch_add(1, Ordering::SeqCst);
                    let answer = format!(
                        "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                    );
                    if sock.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_only_when_allowed_and_up_to_the_count() {
    let (running, lab_url) = lab_with(|_| {}).await;
    let (second, _) = redirector(307, lab_url.clone()).await;
    let (first, hits) = redirector(302, second.clone()).await;

    // Not allowed: PowerShell's text, and nothing reaches the lab.
    let remote = remote_with(spec_for(&first), &HttpExtras::default()).unwrap();
    let err = run(remote, "'x'").await.unwrap_err().to_string();
    assert!(
        err.contains("The WinRM client received an HTTP status code of 302 from the remote WS-Management service."),
        "{err}"
    );
    assert!(
        err.contains("verify the \"MaximumConnectionRedirectionCount\" property of the session preference variable \"PSSessionOption\", and use the \"AllowRedirection\" parameter"),
        "{err}"
    );
    assert!(err.contains(&second), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Allowed with room for two hops: the session reaches the lab.
    let mut spec = spec_for(&first);
    spec.allow_redirection = true;
    spec.maximum_connection_redirection_count = 2;
    let remote = remote_with(spec.clone(), &HttpExtras::default()).unwrap();
    assert_eq!(
        run(remote.clone(), "'redirected'").await.unwrap(),
        ["redirected"]
    );
    // Each hop is PowerShell's warning, said once (the worker sends them as
    // Warning events; the CLI prints WARNING: lines, the console a notice).
    let said = remote.take_notices();
    assert_eq!(
        said,
        [
            format!("Your connection has been redirected to the following URI: \"{second}\""),
            format!("Your connection has been redirected to the following URI: \"{lab_url}\""),
        ]
    );
    assert!(remote.take_notices().is_empty(), "said once");

    // Allowed, but only one hop: the second redirect is refused.
    spec.maximum_connection_redirection_count = 1;
    let remote = remote_with(spec, &HttpExtras::default()).unwrap();
    let err = run(remote, "'x'").await.unwrap_err().to_string();
    assert!(err.contains("status code of 307"), "{err}");
    assert!(err.contains("MaximumConnectionRedirectionCount"), "{err}");
    running.stop().await;
}

// ---------------------------------------------------------------- quotas

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_quotas_stop_a_command_with_powershells_errors() {
    let (running, url) = lab_with(|_| {}).await;

    // Enough output for a small command is fine…
    let mut spec = spec_for(&url);
    spec.maximum_received_data_size_per_command = Some(20_000);
    let remote = remote_with(spec.clone(), &HttpExtras::default()).unwrap();
    assert_eq!(run(remote.clone(), "1..3").await.unwrap(), ["1", "2", "3"]);
    // …too much is refused.
    let err = run(
        remote,
        "1..2000 | ForEach-Object { \"line $_ of a long listing\" }",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, RemoteError::Transport(TransportError::Quota(_))),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "The total data received from the remote server exceeded the allowed maximum. The allowed maximum is 20000."
    );

    // One object larger than MaximumReceivedObjectSize.
    let mut spec = spec_for(&url);
    spec.maximum_received_object_size = Some(20_000);
    let remote = remote_with(spec, &HttpExtras::default()).unwrap();
    assert_eq!(run(remote.clone(), "'small'").await.unwrap(), ["small"]);
    let err = run(remote, "'x' * 30000").await.unwrap_err().to_string();
    assert!(
        err.starts_with("The current deserialized object size of the data received from the remote server exceeded the allowed maximum object size. The current deserialized object size is "),
        "{err}"
    );
    assert!(
        err.ends_with("The allowed maximum object size is 20000."),
        "{err}"
    );
    running.stop().await;
}

// ---------------------------------------------------------------- trace

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `body` on a current-thread runtime with a subscriber capturing the
/// `baton::wire` trace, and returns the trace.
fn traced<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) -> String {
    // tracing computes a callsite's interest with only the registering
    // thread's subscriber while a single scoped subscriber exists: other
    // tests' threads hitting the wire callsites would then cache "never".
    // A second, idle subscriber kept for the whole run makes every
    // registration consult all live subscribers.
    static IDLE: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    IDLE.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("baton::wire=trace"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        // Callsites other threads registered before this subscriber
        // existed cached "not interested": recompute with it in place.
        tracing::callsite::rebuild_interest_cache();
        rt.block_on(body());
    });
    let bytes = captured.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

/// Every `scheme ` in the trace is followed by `<redacted>`.
fn tokens_redacted(trace: &str, scheme: &str) {
    let needle = format!("{scheme} ");
    for (i, _) in trace.match_indices(&needle) {
        let after = &trace[i + needle.len()..];
        let next = after.split_whitespace().next().unwrap_or("");
        // Prose such as "Basic authentication" is not a header value.
        if next.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        assert!(
            next.starts_with("<redacted>"),
            "{scheme} token in the trace: {}",
            &after[..after.len().min(80)]
        );
    }
}

fn assert_no_secrets(trace: &str) {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", TECH.0, TECH.1));
    assert!(!trace.contains(TECH.1), "the password is in the trace");
    assert!(
        !trace.contains(&basic),
        "the Basic credential is in the trace"
    );
    assert!(!trace.contains("TlRMTVNT"), "an NTLM token is in the trace");
    tokens_redacted(trace, "Basic");
    tokens_redacted(trace, "Negotiate");
}

const TRACE_CHILD_ENV: &str = "BATON_TEST_WIRE_TRACE_CHILD";

/// Runs `wire_trace_child` alone in its own process: tracing caches per call
/// site whether anyone listens, and other tests' threads could make it miss
/// events of a capture that shares the process with them.
#[test]
fn wire_trace_shows_exchanges_without_secrets_over_basic_and_ntlm() {
    let mut child = crate::common::child_test("wire::wire_trace_child");
    child.env(TRACE_CHILD_ENV, "1");
    crate::common::child_stdout(child, String::new);
}

/// Helper run by `wire_trace_shows_exchanges_without_secrets_over_basic_and_ntlm`.
#[test]
#[ignore = "helper process for wire_trace_shows_exchanges_without_secrets_over_basic_and_ntlm"]
fn wire_trace_child() {
    assert_eq!(std::env::var(TRACE_CHILD_ENV).as_deref(), Ok("1"));
    let basic = traced(|| async {
        let (running, url) = lab_with(|c| {
            c.basic = true;
            c.allow_unencrypted = true;
        })
        .await;
        let mut spec = spec_for(&url);
        spec.authentication = AuthMechanism::Basic;
        spec.allow_unencrypted = true;
        let remote = remote_with(spec, &HttpExtras::default()).unwrap();
        assert_eq!(run(remote, "'traced'").await.unwrap(), ["traced"]);
        running.stop().await;
    });
    assert!(basic.contains("> POST http://127.0.0.1:"), "{basic}");
    assert!(basic.contains("authorization: Basic <redacted>"), "{basic}");
    assert!(basic.contains("< 200 from http://127.0.0.1:"), "{basic}");
    assert!(
        basic.contains("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"),
        "the SOAP body is not in the trace"
    );
    assert_no_secrets(&basic);

    let ntlm = traced(|| async {
        let (running, url) = lab_with(|_| {}).await;
        let remote = remote_with(spec_for(&url), &HttpExtras::default()).unwrap();
        assert_eq!(run(remote.clone(), "'sealed'").await.unwrap(), ["sealed"]);
        // Read-Host -AsSecureString: the answer crosses as <SS> under the
        // session key the lab sent for this client's RSA key; the lab
        // decrypts it to the same text (compared there, so the text itself
        // is never output).
        let out = run_answering_secure(
            remote,
            "$p = Read-Host -AsSecureString -Prompt PIN; $p.GetType().FullName; $p.Length; \
             (ConvertFrom-SecureString $p -AsPlainText) -ceq ('S3cret' + '-PIN wörd')",
            SECURE_ANSWER,
        )
        .await
        .unwrap();
        assert_eq!(out, ["System.Security.SecureString", "15", "True"]);
        running.stop().await;
    });
    assert!(ntlm.contains("[PSRP PublicKey"), "{ntlm}");
    assert!(ntlm.contains("[PSRP EncryptedSessionKey"), "{ntlm}");
    assert!(ntlm.contains(r#"<SS N="mr"><redacted></SS>"#), "{ntlm}");
    assert!(
        !ntlm.contains(SECURE_ANSWER),
        "the SecureString's text is in the trace"
    );
    assert!(
        ntlm.contains("authorization: Negotiate <redacted>"),
        "{ntlm}"
    );
    assert!(
        ntlm.contains("www-authenticate: Negotiate <redacted>"),
        "{ntlm}"
    );
    assert!(ntlm.contains("(sealed; plaintext)"), "{ntlm}");
    // PSRP payloads are shown decoded.
    assert!(ntlm.contains("[PSRP SessionCapability"), "{ntlm}");
    assert!(ntlm.contains("[PSRP CreatePipeline"), "{ntlm}");
    assert!(
        ntlm.contains("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"),
        "the unsealed SOAP body is not in the trace"
    );
    assert_no_secrets(&ntlm);
}

// ---------------------------------------------------------------- Negotiate proxy

/// A small CONNECT proxy that demands Negotiate/NTLM proxy authentication,
/// accepted with Baton's own server-side NTLM (no packaged proxy here does
/// NTLM): one handshake per client connection, then a byte tunnel. Records
/// the users it let through.
async fn negotiate_proxy(
    users: baton::protocol::auth::UserTable,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    use baton::protocol::auth::{AcceptOutcome, ServerAcceptor};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let passed = Arc::new(Mutex::new(Vec::new()));
    let record = passed.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let users = users.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let mut acceptor = ServerAcceptor::new(users);
                let mut buf = Vec::new();
                loop {
                    let end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                        let mut chunk = [0u8; 4096];
                        match client.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    let mut lines = head.split("\r\n");
                    let target = lines
                        .next()
                        .and_then(|l| l.strip_prefix("CONNECT "))
                        .and_then(|l| l.split(' ').next())
                        .unwrap_or("")
                        .to_owned();
                    let authorization = lines.find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("proxy-authorization")
                            .then(|| v.trim().to_owned())
                    });
                    let answer = match authorization.map(|a| acceptor.accept(&a)) {
                        None => "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n".to_owned(),
                        Some(Ok(AcceptOutcome::Continue { www_authenticate })) => format!(
                            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: {www_authenticate}\r\nContent-Length: 0\r\n\r\n"
                        ),
                        Some(Ok(AcceptOutcome::Accepted { user, www_authenticate })) => {
                            record.lock().unwrap().push(user);
                            let mut a = "HTTP/1.1 200 Connection established\r\n".to_owned();
                            if let Some(w) = www_authenticate {
                                a.push_str(&format!("Proxy-Authenticate: {w}\r\n"));
                            }
                            a.push_str("\r\n");
                            if client.write_all(a.as_bytes()).await.is_err() {
                                return;
                            }
                            let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await
                            else {
                                return;
                            };
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                            return;
                        }
                        Some(Ok(AcceptOutcome::Denied { .. }) | Err(_)) => {
                            let _ = client
                                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .await;
                            return;
                        }
                    };
                    if client.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, passed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_proxy_authentication_once_per_tunnel() {
    let users = baton::protocol::auth::UserTable::new()
        .with("Corp\\ProxyUser", "Proxy-P@ss1")
        .unwrap();
    let (port, passed) = negotiate_proxy(users).await;
    let (running, url) = lab_with(|c| c.https = true).await;
    let mut spec = spec_for(&url);
    spec.proxy_access_type = ProxyAccessType::AutoDetect;
    spec.proxy_authentication = AuthMechanism::Negotiate;
    let extras = |password: &str| HttpExtras {
        proxy_credential: Some(Credential::new("Corp\\ProxyUser", password)),
        system_proxy: SystemProxy {
            https: Some(format!("127.0.0.1:{port}")),
            ..SystemProxy::default()
        },
    };
    let remote = remote_with(spec.clone(), &extras("Proxy-P@ss1")).unwrap();
    assert_eq!(run(remote, "'negotiated'").await.unwrap(), ["negotiated"]);
    let through = passed.lock().unwrap().clone();
    assert!(!through.is_empty());
    assert!(
        through.iter().all(|u| u == "Corp\\ProxyUser"),
        "{through:?}"
    );

    let remote = remote_with(spec, &extras("wrong")).unwrap();
    let err = run(remote, "'x'").await.unwrap_err();
    assert!(
        matches!(
            err,
            RemoteError::Transport(TransportError::ProxyAuthentication { status: 407, .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Corp\\ProxyUser"), "{err}");
    running.stop().await;
}

/// Runs `baton -c line` with the system proxy `proxy` and the passwords in
/// the environment; (exit status success, stdout, stderr).
async fn baton_cli(
    line: String,
    proxy: &Tinyproxy,
    proxy_password: &str,
) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("-c")
        .arg(&line)
        .env("BATON_PROFILES", dir.path().join("profiles.toml"))
        .env("BATON_HELD", dir.path().join("held.json"))
        .env("HTTPS_PROXY", proxy.url())
        .env("BATON_PASSWORD", TECH.1)
        .env("BATON_PROXY_PASSWORD", proxy_password)
        .env_remove("https_proxy")
        .env_remove("no_proxy")
        .env_remove("NO_PROXY")
        .stdin(Stdio::null());
    // A generous deadline turns a hang into a failure.
    let out = tokio::time::timeout(
        Duration::from_mins(5),
        tokio::task::spawn_blocking(move || cmd.output()),
    )
    .await
    .expect("baton -c finishes")
    .expect("the waiting task ends")
    .expect("baton runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("PS> {line}\n{stdout}{stderr}");
    (out.status.success(), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_proxy_credential_reaches_the_proxy() {
    let proxy = Tinyproxy::start();
    let (running, url) = lab_with(|c| c.https = true).await;
    let lab_port = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches("/wsman")
        .to_owned();
    let line = format!(
        "Invoke-Command -ConnectionUri {url} -Credential {} -SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck -ProxyAccessType IEConfig -ProxyAuthentication Basic -ProxyCredential {PROXY_USER}) -ScriptBlock {{ 'through the proxy' }}",
        TECH.0
    );

    // The right proxy password (BATON_PROXY_PASSWORD): through the tunnel.
    let before = proxy.log_lines(&format!("CONNECT 127.0.0.1:{lab_port}"));
    let (ok, out, err) = baton_cli(line.clone(), &proxy, PROXY_PASSWORD).await;
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "through the proxy", "{err}");
    assert!(proxy.log_lines(&format!("CONNECT 127.0.0.1:{lab_port}")) > before);
    for text in [&out, &err] {
        assert!(
            !text.contains(PROXY_PASSWORD) && !text.contains(TECH.1),
            "{text}"
        );
    }

    // A wrong proxy password: the proxy's refusal, naming the proxy user.
    let (ok, out, err) = baton_cli(line.clone(), &proxy, "wrong-password").await;
    assert!(!ok, "{out}{err}");
    assert!(!out.contains("through the proxy"), "{out}");
    assert!(err.contains("proxy credential of proxyuser"), "{err}");
    for text in [&out, &err] {
        assert!(
            !text.contains("wrong-password") && !text.contains(TECH.1),
            "{text}"
        );
    }

    // No proxy password anywhere (and no terminal to ask on): said so,
    // naming the variable, before anything is sent.
    let (ok, _, err) = baton_cli(line, &proxy, "").await;
    assert!(!ok);
    assert!(
        err.contains("No password for proxy user proxyuser")
            && err.contains("BATON_PROXY_PASSWORD"),
        "{err}"
    );
    running.stop().await;
}

/// A redirect followed is PowerShell's WARNING line on the command line,
/// through the worker, before the command's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_redirect_is_a_warning_on_the_command_line() {
    let (running, lab_url) = lab_with(|_| {}).await;
    let (first, _) = redirector(302, lab_url.clone()).await;
    let line = format!(
        "Get-PSSession -ConnectionUri {first} -AllowRedirection -Credential {}",
        TECH.0
    );
    let (out, err) = tokio::task::spawn_blocking(move || {
        let (handle, side) = baton::bridge::WorkerHandle::pair(std::sync::Arc::new(|| {}));
        baton::worker::spawn(side, baton::worker::WorkerConfig::default()).unwrap();
        let mut sh = baton::cli::Shell::new(
            handle,
            baton::model::profile::ProfileTree::default(),
            baton::cli::Passwords::Given(vec![(TECH.0.into(), TECH.1.into())]),
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let ok = sh.run_line(&line, &mut out, &mut err);
        sh.finish(&mut err);
        assert!(ok, "{}", String::from_utf8_lossy(&err));
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    })
    .await
    .unwrap();
    assert!(
        err.contains(&format!(
            "WARNING: Your connection has been redirected to the following URI: \"{lab_url}\""
        )),
        "{err}"
    );
    assert_eq!(
        err.matches("WARNING: Your connection").count(),
        1,
        "once: {err}"
    );
    let _ = out;
    running.stop().await;
}
