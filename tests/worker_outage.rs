//! The worker through network trouble: a cancelled action stops every part
//! and reports nothing late; a held session whose computer goes away is
//! shown as it is, and after the outage a Refresh shows the server's truth.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::bridge::{Command, ComputerRef, CredentialChoice, Event, SessionRef, WorkerHandle};
use baton::lab::listener::{self, ListenerSettings};
use baton::lab::{self, LabConfig};
use baton::model::{Availability, ConnectionSpec, Credential, OutputBufferingMode, SessionState};
use baton::protocol::wsman::shell::ShellState;

const TECH: &str = "Domain01\\User01";
const TECH_PW: &str = "Tech-P@ss1";
const ADMIN: &str = "Domain01\\Admin";

fn computer(name: &str, url: String) -> ComputerRef {
    ComputerRef::new(
        name,
        ConnectionSpec {
            connection_uri: Some(url),
            ..ConnectionSpec::for_computer(name)
        },
        CredentialChoice::Once(Credential::new(TECH, TECH_PW)),
    )
}

fn start_worker() -> WorkerHandle {
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    baton::worker::spawn(side, baton::worker::WorkerConfig::default()).unwrap();
    handle
}

/// Waits up to `secs` for an event `pick` accepts; every event seen is kept in `seen`.
fn wait_event<T>(
    h: &WorkerHandle,
    secs: u64,
    what: &str,
    seen: &mut Vec<Event>,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "timed out waiting for {what}; saw {seen:#?}"
        );
        if let Some(e) = h.recv_timeout(left) {
            let got = pick(&e);
            seen.push(e);
            if let Some(t) = got {
                return t;
            }
        }
    }
}

#[test]
fn cancelling_a_refresh_of_a_hung_computer_stops_its_part_and_reports_nothing_late() {
    // A computer that accepts the connection and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/wsman", hung.local_addr().unwrap());
    // The server side sees the request arrive, and when the client gives up
    // its connection.
    let (arrived_tx, arrived) = std::sync::mpsc::channel();
    let watcher = std::thread::spawn(move || {
        hung.set_nonblocking(false).unwrap();
        let (mut conn, _) = hung.accept().unwrap();
        // A deadline far below the client's read timeout (about 75 s).
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut request = 0;
        loop {
            match conn.read(&mut buf) {
                Ok(0) => return Ok(request),
                Ok(n) => {
                    if request == 0 {
                        let _ = arrived_tx.send(());
                    }
                    request += n;
                }
                Err(e) => return Err(e.kind()),
            }
        }
    });

    let h = start_worker();
    let op = h.next_op();
    assert!(h.send(Command::ListSessions {
        op,
        computers: vec![computer("Srv10", url)],
        names: vec![],
        throttle_limit: 0,
    }));
    let mut seen = Vec::new();
    // The part for Srv10 has sent its request and waits for an answer.
    arrived
        .recv_timeout(Duration::from_mins(1))
        .expect("the worker sent no request to the hung computer");
    assert!(h.send(Command::Cancel { op }));
    wait_event(&h, 10, "the refresh to end cancelled", &mut seen, |e| {
        matches!(e, Event::OpCancelled { op: o } if *o == op).then_some(())
    });

    // The per-computer part was aborted: it closed its connection at once
    // instead of waiting out the read timeout.
    let sent = watcher.join().unwrap();
    assert!(
        matches!(sent, Ok(n) if n > 0),
        "the client should have sent a request, then closed the connection: {sent:?}"
    );
    // A later action completes, and nothing more came for the cancelled one.
    let probe = h.next_op();
    assert!(h.send(Command::DisconnectWsman {
        op: probe,
        computer: "Srv10".into(),
    }));
    wait_event(&h, 30, "a later action", &mut seen, |e| {
        matches!(e, Event::OpFinished { op: o, .. } | Event::OpFailed { op: o, .. } if *o == probe)
            .then_some(())
    });
    let after: Vec<&Event> = seen
        .iter()
        .skip_while(|e| !matches!(e, Event::OpCancelled { op: o } if *o == op))
        .skip(1)
        .filter(|e| e.op() == Some(op))
        .collect();
    assert!(
        after.is_empty(),
        "late events for the cancelled op: {after:#?}"
    );
    h.send(Command::Shutdown {
        release: baton::bridge::Release::HandBack,
    });
}

#[test]
fn a_held_session_whose_computer_goes_away_is_not_shown_opened_and_refresh_shows_the_truth() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = LabConfig::demo();
    // A lab minute (the server's wait for a silent client) is a real second.
    cfg.time_scale = 60.0;
    let built = lab::build(&cfg).unwrap();
    let srv1 = built
        .computers
        .iter()
        .find(|c| c.name == "Srv1")
        .unwrap()
        .service
        .clone();
    let settings = ListenerSettings {
        users: built.users.clone(),
        allow_basic: cfg.basic,
        allow_unencrypted: cfg.allow_unencrypted,
        ..ListenerSettings::default()
    };
    let _ticker = {
        let _in_runtime = rt.enter();
        lab::service::spawn_ticker(vec![srv1.clone()], Duration::from_millis(20))
    };
    let up = rt
        .block_on(listener::serve_http(
            "127.0.0.1:0".parse().unwrap(),
            settings.clone(),
            srv1.clone(),
        ))
        .unwrap();
    let addr = up.local_addr;
    let srv1_ref = computer("Srv1", format!("http://{addr}/wsman"));
    let h = start_worker();
    let mut seen = Vec::new();

    // This console opens a session and holds it (keep-alive Receive pending).
    let op = h.next_op();
    assert!(h.send(Command::NewSession {
        op,
        computer: srv1_ref.clone(),
        name: Some("Outage".into()),
        idle_timeout_ms: None,
        output_buffering_mode: OutputBufferingMode::None,
    }));
    let opened = wait_event(&h, 60, "the session to open", &mut seen, |e| match e {
        Event::SessionChanged(i) if i.name == "Outage" => Some(i.clone()),
        _ => None,
    });
    assert_eq!(opened.state, SessionState::Opened);
    assert_eq!(opened.availability, Availability::Available);
    let id = opened.instance_id;

    // The computer goes away: the console stops showing the session Opened.
    rt.block_on(up.stop());
    let lost = wait_event(
        &h,
        60,
        "the lost session reported",
        &mut seen,
        |e| match e {
            Event::SessionChanged(i) if i.instance_id == id => Some(i.clone()),
            _ => None,
        },
    );
    assert_eq!(lost.state, SessionState::Disconnected);
    assert_eq!(lost.availability, Availability::None);
    assert!(seen.iter().any(|e| matches!(e,
        Event::Activity(a) if a.session.as_deref() == Some("Outage") && a.result.starts_with("connection lost"))));

    // A Refresh during the outage is a message, not a claim about the session.
    let op = h.next_op();
    assert!(h.send(Command::ListSessions {
        op,
        computers: vec![srv1_ref.clone()],
        names: vec![],
        throttle_limit: 0,
    }));
    let error = wait_event(&h, 60, "the refresh to fail", &mut seen, |e| match e {
        Event::PartFailed { op: o, error, .. } if *o == op => Some(error.clone()),
        Event::SessionsListed { op: o, .. } if *o == op => panic!("listed during the outage"),
        _ => None,
    });
    assert_eq!(error.summary, "Cannot list the sessions of Srv1");

    // The computer comes back on the same address; the server detaches the
    // client that went silent after its keep-alive minute.
    let up = rt
        .block_on(listener::serve_http(addr, settings, srv1.clone()))
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let state = {
            let now = srv1.clock().now();
            srv1.computer()
                .enumerate(now, ADMIN)
                .into_iter()
                .find(|s| s.name.as_deref() == Some("Outage"))
                .and_then(|s| s.state)
        };
        if state == Some(ShellState::Disconnected) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the lab kept the shell {state:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Refresh shows the server's truth: Disconnected and connectable.
    let op = h.next_op();
    assert!(h.send(Command::ListSessions {
        op,
        computers: vec![srv1_ref.clone()],
        names: vec![],
        throttle_limit: 0,
    }));
    let listed = wait_event(&h, 60, "the refresh", &mut seen, |e| match e {
        Event::SessionsListed {
            op: o, sessions, ..
        } if *o == op => Some(sessions.clone()),
        Event::OpFailed { op: o, error } | Event::PartFailed { op: o, error, .. } if *o == op => {
            panic!("refresh failed: {error:?}")
        }
        _ => None,
    });
    let shown = listed.iter().find(|s| s.instance_id == id).unwrap();
    assert_eq!(shown.state, SessionState::Disconnected);
    assert_eq!(shown.availability, Availability::None);

    // And Connect works again.
    let op = h.next_op();
    assert!(h.send(Command::Connect {
        op,
        session: SessionRef {
            computer: srv1_ref.clone(),
            instance_id: id,
            name: "Outage".into(),
        },
    }));
    let back = wait_event(&h, 60, "the session reconnected", &mut seen, |e| match e {
        Event::SessionChanged(i) if i.instance_id == id => Some(i.clone()),
        Event::OpFailed { op: o, error } if *o == op => panic!("connect failed: {error:?}"),
        _ => None,
    });
    assert_eq!(back.state, SessionState::Opened);
    assert_eq!(back.availability, Availability::Available);
    h.send(Command::Shutdown {
        release: baton::bridge::Release::HandBack,
    });
    rt.block_on(up.stop());
}
