//! Protocol benchmarks: prints figures, asserts nothing about speed.
//!
//! `cargo bench --bench protocol` prints
//! - CLIXML decode MB/s and fragments/s on a 50 MB output stream,
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
use baton::protocol::psrp::client::{ClientEvent, ClientPool};
use baton::protocol::psrp::messages::{InitRunspacePool, PipelineState};
use baton::protocol::psrp::server::ServerPool;
use baton::worker::remote::{Remote, Session};
use uuid::Uuid;

fn clixml_stream() {
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
    // A Get-Process-like object per message.
    let target = 50 * 1024 * 1024;
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
    let start = Instant::now();
    let mut outputs = 0usize;
    for f in &fragments {
        for e in client.handle_stream(f).unwrap() {
            if matches!(e, ClientEvent::Output { .. }) {
                outputs += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes: usize = fragments.iter().map(Vec::len).sum();
    println!(
        "psrp+clixml decode: {:.1} MB in {:.2} s = {:.1} MB/s, {:.0} fragments/s, {:.0} objects/s ({} objects)",
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        fragments.len() as f64 / secs,
        outputs as f64 / secs,
        outputs
    );
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
        round_trips();
        sealing();
    } else {
        println!("run with `cargo bench --bench protocol` to measure");
    }
}
