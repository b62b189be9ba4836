//! The hand-over's cost on the wire, counted by a relay in front of the lab
//! on loopback sockets (`bench/wire_count.rs`): the built `baton` receiving
//! the finished command of a disconnected session uses one TCP connection
//! and one handshake, and reaches the output within the protocol's floor
//! (handshake, Enumerate shells and commands, Connect, Connect the command,
//! Receive). Counts are behaviour, not timing. The figures, with the other
//! flows and pypsrp's, are printed by `cargo bench --bench handover`.

#[path = "bench/wire_count.rs"]
mod wire_count;

use std::process::{Command, Stdio};

use baton::lab::{self, LabConfig, Ports};
use baton::model::profile::{Computer, Group, ProfileTree};
use wire_count::WireCount;

const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

fn baton(dir: &std::path::Path, line: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["-c", line])
        .env("BATON_PROFILES", dir.join("profiles.toml"))
        .env("BATON_PASSWORD", TECH.1)
        .env("BATON_HELD", dir.join("held.json"))
        .env("BATON_HISTORY", "")
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .stdin(Stdio::null())
        .output()
        .expect("baton runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn receiving_a_handed_over_command_takes_one_connection_and_the_floors_round_trips() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = LabConfig::demo();
    config.sessions.clear();
    let running = rt
        .block_on(lab::start(&config, Ports::Ephemeral))
        .expect("lab listens");
    let (_, url) = running
        .endpoints
        .iter()
        .find(|(n, _)| n == "Srv2")
        .expect("Srv2")
        .clone();
    let srv2 = running
        .built
        .computers
        .iter()
        .find(|c| c.name == "Srv2")
        .expect("Srv2")
        .service
        .clone();
    let target = url
        .trim_start_matches("http://")
        .trim_end_matches("/wsman")
        .parse()
        .expect("Srv2's address");
    let relay = rt.block_on(WireCount::start(target));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = Group::new("Lab");
    let mut c = Computer::new("Srv2");
    c.settings.connection_uri = Some(relay.url());
    group.computers.push(c);
    let mut root = Group::new("");
    root.groups.push(group);
    baton::store::profiles::ProfileStore::new(dir.path().join("profiles.toml"))
        .save(&ProfileTree { root })
        .expect("profiles saved");
    let (ok, _, err) = baton(
        dir.path(),
        &format!(
            "Invoke-Command -ComputerName Srv2 -Credential {} -InDisconnectedSession -SessionName RT1 -ScriptBlock {{ 1..3 }}",
            TECH.0
        ),
    );
    assert!(ok, "{err}");

    let before = relay.counted();
    let logged = srv2.wire_log().len();
    let (ok, out, err) = baton(
        dir.path(),
        &format!(
            "Receive-PSSession -ComputerName Srv2 -Name RT1 -Credential {}",
            TECH.0
        ),
    );
    assert!(ok, "{err}");
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["1", "2", "3"]);
    let counted = relay.counted() - before;
    let log = srv2.wire_log()[logged..].to_vec();
    let actions: Vec<String> = log.iter().map(|r| format!("{:?}", r.action)).collect();
    let is_receive = |i: usize| actions[i].starts_with("Receive");
    // The output comes with the command's Receive (the first Receive: Connect
    // spends none of the pool's).
    let to_output = (0..log.len())
        .find(|&i| is_receive(i) && log[i].command_id.is_some())
        .expect("the command's Receive")
        + 1;
    // A session-level Receive after it is the keep-alive of a session that
    // sat idle for 250 ms: a machine busy enough to hold this process that
    // long before it hands the session back makes the hand-back take a
    // connection of its own, while the keep-alive's long poll holds the first.
    let keep_alive = (to_output..log.len()).any(|i| is_receive(i) && log[i].command_id.is_none());
    let (connections, handshakes) = if keep_alive { (2, 2) } else { (1, 1) };
    assert_eq!(counted.connections, connections, "{counted:?} {actions:?}");
    assert_eq!(counted.handshakes, handshakes, "{counted:?} {actions:?}");
    // Up to the Receive that brought the output: one handshake's legs and
    // the requests, the floor of 7.
    let legs = (counted.round_trips - log.len() as u64) / handshakes;
    assert!(legs + to_output as u64 <= 7, "{counted:?} {actions:?}");
    // Then the hand-back: the command released, the session disconnected.
    let hand_back: Vec<&str> = (to_output..log.len())
        .filter(|&i| !(is_receive(i) && log[i].command_id.is_none()))
        .map(|i| actions[i].as_str())
        .collect();
    assert_eq!(hand_back.len(), 2, "{actions:?}");
    assert!(hand_back[0].starts_with("Signal"), "{actions:?}");
    assert!(hand_back[1].starts_with("Disconnect"), "{actions:?}");
    drop(relay);
    rt.block_on(running.stop());
}

mod worker {
    //! The worker's side of it, against the demo lab in process: a listing
    //! that went stale between Refresh and Connect is asked again, and a
    //! session connected and left idle is kept Connected by its keep-alive.

    use std::time::Duration;

    use baton::bridge::{Command, ComputerRef, CredentialChoice, Event, SessionRef, WorkerHandle};
    use baton::model::{Availability, ConnectionSpec, Credential, SessionInfo, UserError};

    use super::TECH;
    use crate::common::InProcessLab;

    fn srv1() -> ComputerRef {
        ComputerRef::new(
            "Srv1",
            ConnectionSpec::for_computer("Srv1"),
            CredentialChoice::Once(Credential::new(TECH.0, TECH.1)),
        )
    }

    /// Runs one action to its end: Ok(events) or the failure.
    fn run(w: &WorkerHandle, make: impl FnOnce(u64) -> Command) -> Result<Vec<Event>, UserError> {
        let op = w.next_op();
        w.send(make(op));
        let mut seen = Vec::new();
        loop {
            let e = w
                .recv_timeout(Duration::from_secs(30))
                .expect("the worker answers");
            match &e {
                Event::OpFinished { op: o, .. } if *o == op => return Ok(seen),
                Event::OpFailed { op: o, error } if *o == op => return Err(error.clone()),
                _ => seen.push(e),
            }
        }
    }

    fn ittask(w: &WorkerHandle) -> SessionInfo {
        let events = run(w, |op| Command::ListSessions {
            op,
            computers: vec![srv1()],
            names: vec!["ITTask".into()],
            throttle_limit: 0,
        })
        .expect("listed");
        events
            .into_iter()
            .find_map(|e| match e {
                Event::SessionsListed { sessions, .. } => sessions.into_iter().next(),
                _ => None,
            })
            .expect("ITTask is listed")
    }

    fn session(info: &SessionInfo) -> SessionRef {
        SessionRef {
            computer: srv1(),
            instance_id: info.instance_id,
            name: info.name.clone(),
        }
    }

    #[test]
    fn a_stale_listing_is_asked_again_before_connecting() {
        let lab = InProcessLab::demo(true, 1.0);
        let (first, second) = (lab.worker(), lab.worker());
        let listed = ittask(&first);
        assert_eq!(listed.availability, Availability::None);
        // Someone else takes the session after the first console listed it.
        let taken = ittask(&second);
        run(&second, |op| Command::Connect {
            op,
            session: session(&taken),
        })
        .expect("the other console connects");
        let refused = run(&first, |op| Command::Connect {
            op,
            session: session(&listed),
        })
        .expect_err("a Busy session is refused");
        assert!(
            refused
                .detail
                .contains("connected to another client (Availability Busy"),
            "{refused:?}"
        );
        // Let go again, listed by the first console, then removed: the
        // listing of a moment ago shows a session that is no more.
        run(&second, |op| Command::Disconnect {
            op,
            sessions: vec![session(&taken)],
            idle_timeout_sec: None,
            output_buffering_mode: baton::model::OutputBufferingMode::None,
            throttle_limit: 0,
        })
        .expect("the other console disconnects");
        assert_eq!(ittask(&first).availability, Availability::None);
        run(&second, |op| Command::Remove {
            op,
            sessions: vec![session(&taken)],
            force: false,
        })
        .expect("removed");
        let gone = run(&first, |op| Command::Connect {
            op,
            session: session(&listed),
        })
        .expect_err("a removed session is not found");
        assert!(gone.detail.contains("was not found on Srv1"), "{gone:?}");
    }

    #[test]
    fn a_connected_session_left_idle_is_kept_connected() {
        // Lab time 60 times faster: the lab lets a silent client go after a
        // lab minute, one real second.
        let lab = InProcessLab::demo(true, 60.0);
        let (mine, other) = (lab.worker(), lab.worker());
        let info = ittask(&mine);
        run(&mine, |op| Command::Connect {
            op,
            session: session(&info),
        })
        .expect("connected");
        // Three lab minutes with nothing to do: only the keep-alive speaks.
        std::thread::sleep(Duration::from_secs(3));
        let seen = ittask(&other);
        assert_eq!(seen.availability, Availability::Busy, "{seen:?}");
        let seen = ittask(&mine);
        assert_eq!(seen.availability, Availability::Available, "{seen:?}");
    }
}
