//! Protocol benchmarks: prints figures, asserts nothing about speed.
//!
//! `cargo bench --bench protocol` prints
//! - PSRP + CLIXML decode of a 50 MB output stream of Get-Process-like
//!   objects (one object per message, one message per payload): Baton's
//!   MB/s and objects/s through `ClientPool::handle_stream` (fragments,
//!   messages, CLIXML into `PsValue`s); a bare quick-xml event scan of the
//!   same messages' CLIXML (a reader per message, every event dropped) and
//!   the ratio of the two times (best of 5 alternating rounds each, as the
//!   machine may be busy); and psrpcore 0.3.1 decoding the same
//!   fragments (tests/bench/psrpcore_decode.py, run with the peers'
//!   virtualenv: `$BATON_PEERS/venv`, else the repository's .peers/venv, as
//!   installed by tests/peers.sh; a missing peer is said loudly). MB/s are
//!   of fragment bytes (headers included) unless a line says CLIXML.
//!   `BATON_BENCH_DECODE_ONLY=1` stops after these figures (for profiling).
//! - HTTP round trips per session operation (against the lab, in process),
//! - NTLM handshake legs per new connection and sealed MB/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::lab::{self, LabConfig};
use baton::model::{ConnectionSpec, Credential};
use baton::protocol::auth::client::{ClientAuthenticator, ClientStep};
use baton::protocol::auth::server::{AcceptOutcome, ServerAcceptor, UserTable};
use baton::protocol::auth::{Credentials, Mechanism};
use baton::protocol::clixml::{PsObject, PsValue};
use baton::protocol::psrp::Defragmenter;
use baton::protocol::psrp::client::{ClientEvent, ClientPool};
use baton::protocol::psrp::messages::{InitRunspacePool, PipelineState};
use baton::protocol::psrp::server::ServerPool;
use baton::worker::remote::{Remote, Session};
use uuid::Uuid;

/// PSRP fragments of a Get-Process-like output stream (`target` bytes), as
/// a server sends them, and the client pool that will decode them.
fn output_fragments(target: usize) -> (ClientPool, Vec<Vec<u8>>) {
    let rpid = Uuid::new_v4();
    let mut client = ClientPool::new(rpid, 512_000).unwrap();
    let creation = client
        .creation_payload(&InitRunspacePool::default())
        .unwrap();
    let (mut server, _) = ServerPool::create(rpid, &creation, Vec::new()).unwrap();
    for f in server.take(None, 1 << 20) {
        client.handle_stream(&f).unwrap();
    }
    let pid = Uuid::new_v4();
    let mut produced = 0usize;
    let mut i = 0u32;
    let mut fragments = Vec::new();
    while produced < target {
        let obj = PsObject::with_types(&[
            "System.Diagnostics.Process",
            "System.ComponentModel.Component",
            "System.Object",
        ])
        .with_to_string(format!("System.Diagnostics.Process (svchost{i})"))
        .with_prop("Name", format!("svchost{i}"))
        .with_prop("Id", i as i32)
        .with_prop("Handles", 512 + (i % 100) as i32)
        .with_prop("Path", "C:\\Windows\\System32\\svchost.exe")
        .with_ms("PSComputerName", "Srv1");
        server.output(pid, &PsValue::from(obj));
        for f in server.take(Some(pid), 382_754) {
            produced += f.len();
            fragments.push(f);
        }
        i += 1;
    }
    server.pipeline_state(pid, PipelineState::Completed, None);
    fragments.extend(server.take(Some(pid), 382_754));
    (client, fragments)
}

/// The CLIXML bodies (BOM stripped) of the messages the fragments carry.
fn clixml_bodies(fragments: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut defrag = Defragmenter::new();
    let mut out = Vec::new();
    for f in fragments {
        for m in defrag.push_payload_messages(f).unwrap() {
            out.push(m.body().to_vec());
        }
    }
    out
}

/// A bare quick-xml event scan: one reader per message body, every event
/// read and dropped. Returns the events seen (so the loop is not elided).
fn quick_xml_scan(bodies: &[Vec<u8>]) -> usize {
    let mut events = 0usize;
    for b in bodies {
        let mut r = quick_xml::Reader::from_reader(b.as_slice());
        loop {
            match r.read_event().unwrap() {
                quick_xml::events::Event::Eof => break,
                e => {
                    events += 1;
                    std::hint::black_box(e);
                }
            }
        }
    }
    events
}

/// psrpcore on the same fragments, in the peers' virtualenv: `(MB/s,
/// objects/s)`, or why it could not run.
fn psrpcore_decode(fragments: &[Vec<u8>]) -> Result<(String, f64, f64), String> {
    let peers = std::env::var_os("BATON_PEERS").map_or_else(
        || std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.peers")),
        Into::into,
    );
    let python = peers.join("venv/bin/python");
    if !python.exists() {
        return Err(format!(
            "{} is missing (run tests/peers.sh, or set BATON_PEERS)",
            python.display()
        ));
    }
    let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    for f in fragments {
        std::io::Write::write_all(&mut file, f).map_err(|e| e.to_string())?;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bench/psrpcore_decode.py"
    );
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(file.path())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let fields: Vec<&str> = text.split_whitespace().collect();
    match fields.as_slice() {
        ["psrpcore", version, bytes, secs, objects] if out.status.success() => {
            let bytes: f64 = bytes.parse().map_err(|_| text.clone())?;
            let secs: f64 = secs.parse().map_err(|_| text.clone())?;
            let objects: f64 = objects.parse().map_err(|_| text.clone())?;
            Ok(((*version).to_owned(), bytes / 1e6 / secs, objects / secs))
        }
        _ => Err(format!(
            "psrpcore did not run: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

fn clixml_stream() {
    let (mut client, fragments) = output_fragments(50 * 1024 * 1024);
    let bytes: usize = fragments.iter().map(Vec::len).sum();
    let bodies = clixml_bodies(&fragments);
    let clixml_bytes: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "decode stream: {:.1} MB of PSRP fragments in {} payloads, {} messages, {:.1} MB of CLIXML",
        bytes as f64 / 1e6,
        fragments.len(),
        bodies.len(),
        clixml_bytes as f64 / 1e6
    );
    // The machine may be busy: both are timed in alternating rounds and the
    // best round of each is kept.
    let rounds = 5;
    let (mut secs, mut scan) = (f64::INFINITY, f64::INFINITY);
    let (mut outputs, mut events) = (0usize, 0usize);
    for _ in 0..rounds {
        let start = Instant::now();
        outputs = 0;
        for f in &fragments {
            for e in client.handle_stream(f).unwrap() {
                if matches!(e, ClientEvent::Output { .. }) {
                    outputs += 1;
                }
            }
        }
        secs = secs.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        events = quick_xml_scan(&bodies);
        scan = scan.min(start.elapsed().as_secs_f64());
    }
    println!(
        "baton psrp+clixml decode (best of {rounds}): {:.3} s = {:.1} MB/s of fragments ({:.1} MB/s of their CLIXML), {:.0} objects/s ({} objects)",
        secs,
        bytes as f64 / 1e6 / secs,
        clixml_bytes as f64 / 1e6 / secs,
        outputs as f64 / secs,
        outputs
    );
    println!(
        "bare quick-xml event scan of the same CLIXML (best of {rounds}, {events} events): {:.3} s = {:.1} MB/s of CLIXML",
        scan,
        clixml_bytes as f64 / 1e6 / scan
    );
    println!(
        "baton decode time / bare scan time: {:.2}x (Baton's also covers fragments, messages and building the objects)",
        secs / scan
    );
    match psrpcore_decode(&fragments) {
        Ok((version, mbps, objs)) => println!(
            "psrpcore {version} decode of the same fragments: {mbps:.2} MB/s of fragments, {objs:.0} objects/s; Baton is {:.0}x faster",
            (bytes as f64 / 1e6 / secs) / mbps
        ),
        Err(why) => println!("!!! PEER MISSING: psrpcore decode not measured: {why}"),
    }
}

fn round_trips() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cfg = LabConfig::demo();
        cfg.sessions.clear();
        let built = lab::build(&cfg).unwrap();
        let svc = built.computers[0].service.clone();
        let ticker = lab::service::spawn_ticker(vec![svc.clone()], Duration::from_millis(10));
        let cred = Credential::new("Domain01\\User01", "Tech-P@ss1");
        let spec = ConnectionSpec::for_computer("Srv1");
        let tech = Arc::new(
            Remote::in_process(
                "Srv1",
                spec.clone(),
                svc.clone(),
                &built.users,
                &cred,
                Uuid::new_v4(),
            )
            .unwrap(),
        );
        let mgr = Arc::new(
            Remote::in_process(
                "Srv1",
                spec,
                svc.clone(),
                &built.users,
                &cred,
                Uuid::new_v4(),
            )
            .unwrap(),
        );
        let mut last = svc.requests();
        let mut step = |name: &str| {
            let now = svc.requests();
            println!("round trips: {name:<28} {}", now - last);
            last = now;
        };
        let mut s = Session::create(tech.clone(), Some("Bench"), None)
            .await
            .unwrap();
        step("New-PSSession");
        let pid = s.start("1..3").await.unwrap();
        step("Invoke-Command (start)");
        s.disconnect(Some(3_600_000), None).await.unwrap();
        step("Disconnect-PSSession");
        let shells = mgr.enumerate_shells().await.unwrap();
        step("Get-PSSession -ComputerName");
        let cmds = mgr.enumerate_commands(&shells[0].shell_id).await.unwrap();
        step("  + command enumeration");
        let mut m = Session::connect(mgr.clone(), shells[0].clone())
            .await
            .unwrap();
        step("Connect-PSSession");
        m.connect_command(pid).await.unwrap();
        let mut done = false;
        while !done {
            done = m.receive(Some(pid)).await.unwrap().done;
        }
        step("Receive-PSSession (3 objects)");
        m.delete().await.unwrap();
        step("Remove-PSSession");
        assert_eq!(cmds.len(), 1);
        ticker.abort();
    });
}

fn sealing() {
    let users = UserTable::new()
        .with("Domain01\\User01", "Tech-P@ss1")
        .unwrap();
    let creds = Credentials::new("Domain01\\User01", "Tech-P@ss1").unwrap();
    let mut client = ClientAuthenticator::new(Mechanism::Negotiate, creds, "srv1", "BENCH");
    let mut server = ServerAcceptor::new(users);
    let mut header = client.start().unwrap().to_string();
    let mut legs = 1;
    loop {
        match server.accept(&header).unwrap() {
            AcceptOutcome::Continue { www_authenticate } => match client
                .on_response(401, [www_authenticate.as_str()])
                .unwrap()
            {
                ClientStep::Send(h) => {
                    header = h;
                    legs += 1;
                }
                ClientStep::Done => break,
            },
            AcceptOutcome::Accepted {
                www_authenticate, ..
            } => {
                assert_eq!(
                    client
                        .on_response(200, www_authenticate.as_deref())
                        .unwrap(),
                    ClientStep::Done
                );
                break;
            }
            AcceptOutcome::Denied { reason } => panic!("{reason}"),
        }
    }
    println!(
        "ntlm (negotiate) handshake: {legs} HTTP round trips per new connection (empty-bodied POSTs)"
    );
    let body = vec![b'x'; 256 * 1024];
    let n = 200;
    let start = Instant::now();
    for _ in 0..n {
        let (sealed, ct) = client.wrap(&body).unwrap();
        let plain = server.unwrap(&sealed, &ct).unwrap();
        assert_eq!(plain.len(), body.len());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sealing: wrap+unwrap of {} x 256 KiB = {:.1} MB/s",
        n,
        (n * body.len()) as f64 / 1e6 / secs
    );
}

fn main() {
    // `cargo test --benches` runs benches in test mode: keep that quick.
    if std::env::args().any(|a| a == "--bench") {
        clixml_stream();
        if std::env::var_os("BATON_BENCH_DECODE_ONLY").is_none() {
            round_trips();
            sealing();
        }
    } else {
        println!("run with `cargo bench --bench protocol` to measure");
    }
}
