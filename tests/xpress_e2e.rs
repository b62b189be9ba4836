//! Shells created as Windows PowerShell creates them (`rsp:CompressionType
//! xpress`): the lab compresses their stream data, and another client finds,
//! connects to and reads them, over loopback HTTP with NTLM sealing.

use std::sync::Arc;

use baton::lab::computer::LabError;
use baton::lab::{self, LabConfig, Ports};
use baton::model::{ConnectionSpec, Credential};
use baton::protocol::clixml::records::display;
use baton::protocol::compression::{self, CompressionMode};
use baton::protocol::psrp::client::{ClientEvent, ClientPool};
use baton::protocol::psrp::messages::{InitRunspacePool, PipelineState};
use baton::protocol::wsman::shell::{BufferMode, ReceiveResult, ShellState, StreamData};
use baton::worker::remote::{Remote, RemoteError, Session};
use uuid::Uuid;

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");
const XPRESS: Option<&str> = Some("XpressCompression");

fn spec_for(url: &str) -> ConnectionSpec {
    ConnectionSpec {
        connection_uri: Some(url.to_owned()),
        ..ConnectionSpec::for_computer("127.0.0.1")
    }
}

fn remote(url: &str) -> Arc<Remote> {
    let cred = Credential::new(TECH.0, TECH.1);
    Arc::new(Remote::http("Srv1", spec_for(url), &cred, Uuid::new_v4()).unwrap())
}

fn outputs(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Output { value, .. } => Some(display(value)),
            _ => None,
        })
        .collect()
}

/// What a command produced, read with raw Receives so the wire data can be
/// inspected: (output lines, final state, largest decompressed element,
/// number of elements whose wire bytes differ from their decoded bytes).
struct Drained {
    lines: Vec<String>,
    state: Option<PipelineState>,
    largest_element: usize,
    compressed_elements: usize,
}

async fn drain(s: &mut Session, pid: Uuid) -> Drained {
    let mut d = Drained {
        lines: Vec::new(),
        state: None,
        largest_element: 0,
        compressed_elements: 0,
    };
    for _ in 0..2000 {
        let raw = match s
            .remote
            .receive(&s.resource_uri, s.shell_id, Some(pid))
            .await
        {
            Ok(r) => r,
            Err(e) if e.is_timed_out() => continue,
            Err(e) => panic!("receive failed: {e}"),
        };
        for st in &raw.streams {
            // Every element is one complete sequence of Xpress blocks.
            let plain = compression::decompress_stream(&st.data, 1 << 26).unwrap();
            d.largest_element = d.largest_element.max(plain.len());
            if plain != st.data {
                d.compressed_elements += 1;
            }
        }
        let r = s.handle(&raw).unwrap();
        d.lines.extend(outputs(&r.events));
        for e in &r.events {
            if let ClientEvent::PipelineState { state, .. } = e {
                d.state = Some(*state);
            }
        }
        if r.done {
            break;
        }
    }
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpress_session_is_handed_over_with_every_line_over_http_ntlm() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    config.output_buffer_bytes = 8 << 20;
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = running.endpoints[0].1.clone();
    let tech = remote(&url);
    let mgr = remote(&url);

    // Baton's own sessions stay uncompressed unless asked.
    let mut plain = Session::create(tech.clone(), Some("Plain"), None)
        .await
        .unwrap();
    assert_eq!(plain.compression, CompressionMode::NoCompression);

    // The technician's session, created as Windows PowerShell creates it.
    let mut s = Session::create_with_compression(
        tech.clone(),
        Some("WinPS"),
        None,
        CompressionMode::XpressCompression,
    )
    .await
    .unwrap();
    assert_eq!(s.compression, CompressionMode::XpressCompression);
    assert_eq!(s.info.compression_mode.as_deref(), XPRESS);
    // The session works for its creator (Send data compressed, output read).
    let pid0 = s.start("'hello'; 'x' * 3").await.unwrap();
    let first = drain(&mut s, pid0).await;
    assert_eq!(first.lines, ["hello", "xxx"]);
    // A job with well over 64 KiB of output, still running at the disconnect.
    let script = "'y' * 100000\n1..400 | ForEach-Object { Start-Sleep -Milliseconds 5; \"line $_ \" + ('z' * 300) }";
    let pid = s.start(script).await.unwrap();
    s.disconnect(Some(43_200_000), Some(BufferMode::Block))
        .await
        .unwrap();

    // Another client enumerates: XpressCompression, Disconnected, one command.
    let shells = mgr.enumerate_shells().await.unwrap();
    let found = shells
        .iter()
        .find(|sh| sh.name.as_deref() == Some("WinPS"))
        .expect("WinPS listed");
    assert_eq!(found.compression_mode.as_deref(), XPRESS);
    assert_eq!(found.state, Some(ShellState::Disconnected));
    let other = shells
        .iter()
        .find(|sh| sh.name.as_deref() == Some("Plain"))
        .expect("Plain listed");
    assert_eq!(other.compression_mode.as_deref(), Some("NoCompression"));
    let cmds = mgr.enumerate_commands(&found.shell_id).await.unwrap();
    assert!(
        cmds.iter()
            .any(|c| Uuid::parse_str(&c.command_id).ok() == Some(pid)),
        "the running job is listed"
    );

    // It connects, and receives every line.
    let mut m = Session::connect(mgr.clone(), found.clone()).await.unwrap();
    assert_eq!(m.compression, CompressionMode::XpressCompression);
    m.connect_command(pid).await.unwrap();
    let d = drain(&mut m, pid).await;
    let mut expected = vec!["y".repeat(100_000)];
    expected.extend((1..=400).map(|i| format!("line {i} {}", "z".repeat(300))));
    assert_eq!(d.lines.len(), expected.len());
    assert!(d.lines == expected, "the received lines differ");
    assert_eq!(d.state, Some(PipelineState::Completed));
    // The data really travelled compressed, in elements spanning several
    // 64 KiB blocks.
    assert!(d.compressed_elements > 0);
    assert!(
        d.largest_element > compression::MAX_CHUNK,
        "largest element {} bytes",
        d.largest_element
    );

    // The manager can still run commands (Send data compressed both ways).
    let pid2 = m
        .start("1..3 | ForEach-Object { \"after $_\" }")
        .await
        .unwrap();
    let after = drain(&mut m, pid2).await;
    assert_eq!(after.lines, ["after 1", "after 2", "after 3"]);

    // A script too large for the Command's Arguments goes on in Sends,
    // compressed; the lab decompresses and runs it.
    let big = format!("$a = '{}'; $a.Length", "q".repeat(300_000));
    let pid3 = m.start(&big).await.unwrap();
    let sent = drain(&mut m, pid3).await;
    assert_eq!(sent.lines, ["300000"]);

    // A corrupted compressed element is an error, not a panic.
    let mut bad = Vec::new();
    bad.extend_from_slice(&999u16.to_le_bytes());
    bad.extend_from_slice(&499u16.to_le_bytes());
    bad.extend((0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let corrupt = ReceiveResult {
        streams: vec![StreamData {
            name: "stdout".into(),
            command_id: None,
            data: bad,
            end: false,
        }],
        command_state: None,
    };
    let err = m.handle(&corrupt).unwrap_err();
    assert!(matches!(err, RemoteError::Protocol(_)), "{err:?}");
    // A truncated one too (header says more than follows).
    let mut truncated = compression::compress_stream(&vec![b'a'; 5000]);
    truncated.truncate(truncated.len() - 3);
    let err = m
        .handle(&ReceiveResult {
            streams: vec![StreamData {
                name: "stdout".into(),
                command_id: None,
                data: truncated,
                end: false,
            }],
            command_state: None,
        })
        .unwrap_err();
    assert!(matches!(err, RemoteError::Protocol(_)), "{err:?}");

    m.delete().await.unwrap();
    plain.delete().await.unwrap();
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_windows_powershell_session_is_read_by_another_client() {
    let mut config = LabConfig::demo();
    // The demo's Srv1 ITTask is the Windows-PowerShell-created session.
    let seeded = config
        .sessions
        .iter()
        .find(|s| s.computer == "Srv1" && s.name == "ITTask")
        .cloned()
        .expect("demo seeds Srv1 ITTask");
    assert!(seeded.compression);
    config.sessions = vec![baton::lab::config::SeedSession {
        script: Some(
            "1..30 | ForEach-Object { Start-Sleep -Milliseconds 20; \"Patch $_ of 30\" }".into(),
        ),
        ..seeded
    }];
    let running = lab::start(&config, Ports::Ephemeral).await.unwrap();
    let url = running.endpoints[0].1.clone();
    let mgr = remote(&url);
    let shells = mgr.enumerate_shells().await.unwrap();
    let found = shells
        .iter()
        .find(|sh| sh.name.as_deref() == Some("ITTask"))
        .expect("ITTask listed");
    assert_eq!(found.compression_mode.as_deref(), XPRESS);
    let cmds = mgr.enumerate_commands(&found.shell_id).await.unwrap();
    assert_eq!(cmds.len(), 1);
    let pid = Uuid::parse_str(&cmds[0].command_id).unwrap();
    let mut m = Session::connect(mgr.clone(), found.clone()).await.unwrap();
    assert_eq!(m.compression, CompressionMode::XpressCompression);
    m.connect_command(pid).await.unwrap();
    let d = drain(&mut m, pid).await;
    let expected: Vec<String> = (1..=30).map(|i| format!("Patch {i} of 30")).collect();
    assert_eq!(d.lines, expected);
    assert_eq!(d.state, Some(PipelineState::Completed));
    assert!(d.compressed_elements > 0 || d.largest_element < compression::MIN_COMPRESSED_CHUNK);
    running.stop().await;
}

#[test]
fn the_lab_refuses_corrupt_compressed_send_data() {
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let built = lab::build(&config).unwrap();
    let svc = built.computers[0].service.clone();
    let mut c = svc.computer();
    let id = Uuid::new_v4();
    let session = Uuid::new_v4();
    let mut pool = ClientPool::new(id, 512_000).unwrap();
    let payload = pool.creation_payload(&InitRunspacePool::default()).unwrap();
    let info = c
        .create(
            0,
            TECH.0,
            session,
            "10.0.0.21",
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
            id,
            Some("WinPS".into()),
            None,
            true,
            false,
            "en-US",
            "en-US",
            &payload,
            None,
        )
        .unwrap();
    assert_eq!(info.compression_mode.as_deref(), XPRESS);
    assert_eq!(c.compression(id), Some(CompressionMode::XpressCompression));
    // The pool's opening messages come back compressed and decode.
    let opened = c.receive(0, TECH.0, session, id, None, 1 << 20).unwrap();
    assert!(!opened.fragments.is_empty());
    for f in &opened.fragments {
        let plain = compression::decompress_stream(f, 1 << 20).unwrap();
        pool.handle_stream(&plain).unwrap();
    }
    // Uncompressed (raw PSRP) Send data is not valid Xpress framing here.
    let garbage = vec![0xFFu8, 0xFF, 0x10, 0x00, 1, 2, 3];
    let err = c.send(0, TECH.0, session, id, &garbage).unwrap_err();
    assert!(
        matches!(&err, LabError::Psrp(m) if m.contains("compressed")),
        "{err:?}"
    );
}
