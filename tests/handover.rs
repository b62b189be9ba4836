//! The hand-over's cost on the wire, counted by a relay in front of the lab
//! on loopback sockets (`bench/wire_count.rs`): the built `baton` receiving
//! the finished command of a disconnected session uses one TCP connection
//! and one handshake, and reaches the output within the protocol's floor
//! (handshake, Enumerate shells and commands, Connect, Connect the command,
//! Receive). Counts are behaviour, not timing. The figures, with the other
//! flows and pypsrp's, are printed by `cargo bench --bench handover`.

#[path = "bench/wire_count.rs"]
mod wire_count;

use wire_count::{Flow, RelayedSrv2, TECH};

#[test]
fn receiving_a_handed_over_command_takes_one_connection_and_the_floors_round_trips() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let lab = RelayedSrv2::start(&rt);
    lab.prepare("RT1");

    let before = lab.relay.counted();
    let logged = lab.srv2.wire_log().len();
    let (ok, out, err) = lab.baton(&format!(
        "Receive-PSSession -ComputerName Srv2 -Name RT1 -Credential {}",
        TECH.0
    ));
    assert!(ok, "{err}");
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["1", "2", "3"]);
    let counted = lab.relay.counted() - before;
    let log = lab.srv2.wire_log()[logged..].to_vec();
    let flow = Flow::of(&log);
    assert!(
        flow.actions[..flow.to_output]
            .last()
            .is_some_and(|a| a.starts_with("Receive")),
        "the command's Receive: {flow:?}"
    );
    // A keep-alive after the output means the session sat idle for 250 ms
    // before the process handed it back: a machine busy enough to hold it
    // that long makes the hand-back take a connection of its own, while the
    // keep-alive's long poll holds the first.
    let (connections, handshakes) = if flow.keep_alive { (2, 2) } else { (1, 1) };
    assert_eq!(counted.connections, connections, "{counted:?} {flow:?}");
    assert_eq!(counted.handshakes, handshakes, "{counted:?} {flow:?}");
    // Up to the Receive that brought the output: one handshake's legs and
    // the requests, the floor of 7.
    let legs = (counted.round_trips - log.len() as u64) / handshakes;
    assert!(legs + flow.to_output as u64 <= 7, "{counted:?} {flow:?}");
    // Then the hand-back: the command released, the session disconnected.
    assert_eq!(flow.hand_back.len(), 2, "{flow:?}");
    assert!(flow.hand_back[0].starts_with("Signal"), "{flow:?}");
    assert!(flow.hand_back[1].starts_with("Disconnect"), "{flow:?}");
    lab.stop(&rt);
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
