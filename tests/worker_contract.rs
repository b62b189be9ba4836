//! The worker's action-end contract: every action ends with exactly one
//! terminal event (`OpFinished`, `OpFailed` or `OpCancelled`), whatever
//! happens to it: success, failure, cancellation, or a bulk action some of
//! whose parts fail (each such part is a `PartFailed`, never an end).

use std::time::{Duration, Instant};

use baton::bridge::{
    Command, ComputerRef, CredentialChoice, Event, OpId, Release, ReleaseOutcome, SessionRef,
    WorkerHandle,
};
use baton::model::{ConnectionSpec, Credential, OutputBufferingMode};

use crate::common::InProcessLab;
use uuid::Uuid;

struct Rig {
    h: WorkerHandle,
    events: Vec<Event>,
    lab: InProcessLab,
}

impl Rig {
    fn new() -> Rig {
        let lab = InProcessLab::demo(false, 1.0);
        Rig {
            h: lab.worker(),
            events: Vec::new(),
            lab,
        }
    }

    /// Sends `command` and waits for its action to end; returns its terminal event.
    fn act(&mut self, command: Command) -> Event {
        let op = command.op().unwrap();
        assert!(self.h.send(command));
        self.until_end(op)
    }

    fn until_end(&mut self, op: OpId) -> Event {
        let end = Instant::now() + Duration::from_mins(1);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "action {op} never ended");
            if let Some(e) = self.h.recv_timeout(left) {
                let done = e.is_terminal() && e.op() == Some(op);
                self.events.push(e.clone());
                if done {
                    return e;
                }
            }
        }
    }

    /// Waits a little for anything late, then checks every action seen
    /// ended exactly once.
    fn check_one_end_each(&mut self, ops: &[OpId]) {
        while let Some(e) = self.h.recv_timeout(Duration::from_millis(500)) {
            self.events.push(e);
        }
        for op in ops {
            let ends = self
                .events
                .iter()
                .filter(|e| e.is_terminal() && e.op() == Some(*op))
                .count();
            assert_eq!(
                ends, 1,
                "action {op} ended {ends} times: {:#?}",
                self.events
            );
        }
    }

    fn parts_failed(&self, op: OpId) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::PartFailed { op: o, .. } if *o == op))
            .count()
    }

    /// The instance id of the last session reported with this name.
    fn session_id(&self, name: &str) -> Uuid {
        self.events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::SessionChanged(i) if i.name == name => Some(i.instance_id),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no session {name}"))
    }
}

fn computer(name: &str, user: &str, password: &str) -> ComputerRef {
    ComputerRef::new(
        name,
        ConnectionSpec::for_computer(name),
        CredentialChoice::Once(Credential::new(user, password)),
    )
}

fn tech(name: &str) -> ComputerRef {
    computer(name, "Domain01\\User01", "Tech-P@ss1")
}

/// A computer nobody answers for: a closed loopback port.
fn unreachable() -> ComputerRef {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut spec = ConnectionSpec::for_computer("127.0.0.1");
    spec.port = port;
    ComputerRef::new(
        "Gone",
        spec,
        CredentialChoice::Once(Credential::new("Domain01\\User01", "Tech-P@ss1")),
    )
}

fn finished(e: &Event) -> bool {
    matches!(e, Event::OpFinished { .. })
}

fn failed(e: &Event) -> bool {
    matches!(e, Event::OpFailed { .. })
}

#[test]
#[expect(clippy::too_many_lines, reason = "one case per command")]
fn every_command_ends_with_exactly_one_terminal_event() {
    let mut r = Rig::new();
    let mut ops = Vec::new();
    let mut next = |r: &Rig| {
        let op = r.h.next_op();
        ops.push(op);
        op
    };

    // ListSessions: success, partial failure, total failure.
    let op = next(&r);
    let e = r.act(Command::ListSessions {
        op,
        computers: vec![tech("Srv1"), tech("Srv2")],
        names: vec![],
        throttle_limit: 0,
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::ListSessions {
        op,
        computers: vec![tech("Srv1"), unreachable()],
        names: vec![],
        throttle_limit: 0,
    });
    assert!(finished(&e), "one of two listed: {e:?}");
    assert_eq!(r.parts_failed(op), 1);
    let op = next(&r);
    let e = r.act(Command::ListSessions {
        op,
        computers: vec![unreachable(), unreachable()],
        names: vec![],
        throttle_limit: 0,
    });
    assert!(failed(&e), "{e:?}");
    assert_eq!(r.parts_failed(op), 2);

    // NewSession: success and failure (a wrong password).
    for name in ["C1", "C2"] {
        let op = next(&r);
        let e = r.act(Command::NewSession {
            op,
            computer: tech("Srv1"),
            name: Some(name.into()),
            idle_timeout_ms: None,
            output_buffering_mode: OutputBufferingMode::None,
        });
        assert!(finished(&e), "{e:?}");
    }
    let op = next(&r);
    let e = r.act(Command::NewSession {
        op,
        computer: computer("Srv1", "Domain01\\Manager01", "wrong"),
        name: None,
        idle_timeout_ms: None,
        output_buffering_mode: OutputBufferingMode::None,
    });
    assert!(failed(&e), "{e:?}");
    let c1 = SessionRef {
        computer: tech("Srv1"),
        instance_id: r.session_id("C1"),
        name: "C1".into(),
    };
    let c2 = SessionRef {
        computer: tech("Srv1"),
        instance_id: r.session_id("C2"),
        name: "C2".into(),
    };
    let ghost = SessionRef {
        computer: tech("Srv1"),
        instance_id: Uuid::new_v4(),
        name: "Ghost".into(),
    };

    // Invoke and InvokeWithData: success; a session not held: failure.
    let op = next(&r);
    let e = r.act(Command::Invoke {
        op,
        session: c1.clone(),
        script: "'hello'".into(),
        in_disconnected_session: false,
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::InvokeWithData {
        op,
        session: c1.clone(),
        script: "$input".into(),
        arguments: vec![],
        input: Some(vec![baton::model::ScriptValue::String("x".to_owned())]),
        in_disconnected_session: false,
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::Invoke {
        op,
        session: ghost.clone(),
        script: "'x'".into(),
        in_disconnected_session: false,
    });
    assert!(failed(&e), "{e:?}");

    // StopCommand and AnswerPrompt with nothing to act on: failures.
    let op = next(&r);
    let e = r.act(Command::StopCommand {
        op,
        session: ghost.clone(),
        command_id: Uuid::new_v4(),
    });
    assert!(failed(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::AnswerPrompt {
        op,
        session: c1.clone(),
        command_id: Uuid::new_v4(),
        answer: "x".into(),
    });
    assert!(failed(&e), "{e:?}");

    // Cancel: a command that would run for ten minutes.
    let op = next(&r);
    assert!(r.h.send(Command::Invoke {
        op,
        session: c1.clone(),
        script: "Start-Sleep -Seconds 600".into(),
        in_disconnected_session: false,
    }));
    std::thread::sleep(Duration::from_millis(500));
    assert!(r.h.send(Command::Cancel { op }));
    let e = r.until_end(op);
    assert!(matches!(e, Event::OpCancelled { .. }), "{e:?}");

    // Disconnect: partial failure (one held, one not), then Connect back.
    let op = next(&r);
    let e = r.act(Command::Disconnect {
        op,
        sessions: vec![c2.clone(), ghost.clone()],
        idle_timeout_sec: None,
        output_buffering_mode: OutputBufferingMode::None,
        throttle_limit: 0,
    });
    assert!(finished(&e), "{e:?}");
    assert_eq!(r.parts_failed(op), 1);
    let op = next(&r);
    let e = r.act(Command::Connect {
        op,
        session: c2.clone(),
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::Connect {
        op,
        session: ghost.clone(),
    });
    assert!(failed(&e), "{e:?}");

    // Receive: success on a held session, failure on a missing one.
    let op = next(&r);
    let e = r.act(Command::Receive {
        op,
        session: c2.clone(),
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::Receive {
        op,
        session: ghost.clone(),
    });
    assert!(failed(&e), "{e:?}");

    // Test-WSMan, Connect-WSMan, Disconnect-WSMan, the configuration.
    let op = next(&r);
    assert!(finished(&r.act(Command::TestConnection {
        op,
        computer: tech("Srv1"),
        anonymous: false,
    })));
    let op = next(&r);
    assert!(finished(&r.act(Command::TestConnection {
        op,
        computer: tech("Srv1"),
        anonymous: true,
    })));
    let op = next(&r);
    assert!(failed(&r.act(Command::TestConnection {
        op,
        computer: unreachable(),
        anonymous: true,
    })));
    let op = next(&r);
    assert!(finished(&r.act(Command::ConnectWsman {
        op,
        computer: tech("Srv2"),
    })));
    let op = next(&r);
    assert!(finished(&r.act(Command::DisconnectWsman {
        op,
        computer: "Srv2".into(),
    })));
    let op = next(&r);
    let e = r.act(Command::GetConfiguration {
        op,
        computer: computer("Srv1", "Domain01\\Admin", "Admin-P@ss1"),
        configuration_name: "Microsoft.PowerShell".into(),
    });
    assert!(finished(&e), "{e:?}");
    let op = next(&r);
    let e = r.act(Command::GetConfiguration {
        op,
        computer: tech("Srv1"),
        configuration_name: "NoSuchConfiguration".into(),
    });
    assert!(failed(&e), "{e:?}");

    // Remove: partial failure (one exists, one does not).
    let op = next(&r);
    let e = r.act(Command::Remove {
        op,
        sessions: vec![c1.clone(), ghost.clone()],
        force: false,
    });
    assert!(finished(&e), "{e:?}");
    assert_eq!(r.parts_failed(op), 1);
    r.check_one_end_each(&ops);

    // Shutdown: C2 (created here, nothing running) is closed and reported;
    // Stopped is the last event, once.
    assert!(r.h.send(Command::Shutdown {
        release: Release::HandBack,
    }));
    let mut released = Vec::new();
    let mut stopped = 0;
    while let Some(e) = r.h.recv_timeout(Duration::from_secs(10)) {
        match e {
            Event::SessionReleased { name, outcome, .. } => released.push((name, outcome)),
            Event::Stopped => stopped += 1,
            _ => {}
        }
    }
    assert_eq!(stopped, 1);
    assert_eq!(released, vec![("C2".to_owned(), ReleaseOutcome::Closed)]);
}

/// A Connect still on its way when the worker is told to stop is not lost:
/// the session it attaches on the server is handed back like any other, so
/// it never stays Busy for a client that is gone, whatever the timing.
#[test]
fn a_connect_under_way_at_shutdown_is_handed_back() {
    use baton::protocol::wsman::shell::ShellState;
    for delay_ms in [0, 1, 3, 10] {
        let mut r = Rig::new();
        let op = r.h.next_op();
        let e = r.act(Command::NewSession {
            op,
            computer: tech("Srv1"),
            name: Some("Race".into()),
            idle_timeout_ms: None,
            output_buffering_mode: OutputBufferingMode::None,
        });
        assert!(finished(&e), "{e:?}");
        let race = SessionRef {
            computer: tech("Srv1"),
            instance_id: r.session_id("Race"),
            name: "Race".into(),
        };
        let op = r.h.next_op();
        let e = r.act(Command::Disconnect {
            op,
            sessions: vec![race.clone()],
            idle_timeout_sec: None,
            output_buffering_mode: OutputBufferingMode::None,
            throttle_limit: 0,
        });
        assert!(finished(&e), "{e:?}");
        // Reconnect (this worker disconnected it), then stop at once.
        assert!(r.h.send(Command::Connect {
            op: r.h.next_op(),
            session: race.clone(),
        }));
        std::thread::sleep(Duration::from_millis(delay_ms));
        assert!(r.h.send(Command::Shutdown {
            release: Release::DisconnectAll,
        }));
        let end = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            match r.h.recv_timeout(Duration::from_secs(1)) {
                Some(Event::Stopped) => break,
                Some(e) => seen.push(e),
                None => assert!(Instant::now() < end, "the worker did not stop"),
            }
        }
        // Actions that had ended before the stop are not cancelled again.
        let mut ends: std::collections::HashMap<OpId, usize> = Default::default();
        for e in r.events.iter().chain(&seen).filter(|e| e.is_terminal()) {
            *ends.entry(e.op().unwrap()).or_default() += 1;
        }
        assert!(ends.values().all(|n| *n == 1), "{ends:?}: {seen:#?}");
        let state = r.lab.shell("Srv1", "Race").and_then(|s| s.state);
        assert_eq!(
            state,
            Some(ShellState::Disconnected),
            "after {delay_ms} ms: {seen:#?}"
        );
    }
}

/// The console's "Save in keyring" and the profile editor's passwords go
/// to the worker as SaveCredential: the password lands in the worker's
/// keyring under a new entry or the one named, CredentialSaved says where,
/// and the action ends once; with no keyring it fails and says why.
#[test]
fn save_credential_keeps_the_password_in_the_workers_keyring() {
    use baton::model::Credential;
    use baton::store::credentials::{CredentialStore, MemoryStore};
    let lab = InProcessLab::demo(false, 1.0);
    let store = std::sync::Arc::new(MemoryStore::new());
    let h = lab.worker_with(Some(store.clone()));
    let save = |entry: Option<&str>, password: &str| -> Vec<Event> {
        let op = h.next_op();
        assert!(h.send(Command::SaveCredential {
            op,
            entry: entry.map(str::to_owned),
            credential: Credential::new("Domain01\\User01", password),
        }));
        let mut seen = Vec::new();
        while let Some(e) = h.recv() {
            let end = e.op() == Some(op) && e.is_terminal();
            if e.op() == Some(op) {
                seen.push(e);
            }
            if end {
                break;
            }
        }
        seen
    };
    let events = save(None, "Tech-P@ss1");
    let [
        Event::CredentialSaved { entry, user, .. },
        Event::OpFinished { .. },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(user, "Domain01\\User01");
    assert_eq!(store.get(entry).unwrap().secret.expose(), "Tech-P@ss1");
    let events = save(Some("baton/named"), "Other-P@ss2");
    assert!(
        matches!(events.as_slice(), [Event::CredentialSaved { entry, .. }, Event::OpFinished { .. }] if entry == "baton/named"),
        "{events:?}"
    );
    assert_eq!(
        store.get("baton/named").unwrap().secret.expose(),
        "Other-P@ss2"
    );

    // No keyring: refused, once, with the reason.
    let h = lab.worker();
    let op = h.next_op();
    assert!(h.send(Command::SaveCredential {
        op,
        entry: None,
        credential: Credential::new("Domain01\\User01", "x"),
    }));
    let end = loop {
        let e = h.recv().expect("an event");
        if e.op() == Some(op) && e.is_terminal() {
            break e;
        }
    };
    match end {
        Event::OpFailed { error, .. } => assert!(error.detail.contains("No keyring"), "{error:?}"),
        other => panic!("{other:?}"),
    }
}

/// The console's profile changes run in the worker: EditProfiles changes
/// the file under its lock and answers with the tree as saved; a worker
/// with no profile file refuses, once, with the reason.
#[test]
fn edit_profiles_changes_the_file_in_the_worker() {
    use baton::model::profile::ProfileTree;
    use baton::model::profile_edit::{NodeChange, ProfileJob, TreeEdit};
    use baton::store::profiles::ProfileStore;
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    store.save(&ProfileTree::default()).unwrap();
    let root = store.load().unwrap().tree.root.id;
    let run = |h: &WorkerHandle, job: ProfileJob| -> Vec<Event> {
        let op = h.next_op();
        assert!(h.send(Command::EditProfiles { op, job }));
        let mut seen = Vec::new();
        while let Some(e) = h.recv() {
            let end = e.op() == Some(op) && e.is_terminal();
            if e.op() == Some(op) {
                seen.push(e);
            }
            if end {
                break;
            }
        }
        seen
    };
    let (h, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    baton::worker::spawn(
        side,
        baton::worker::WorkerConfig {
            profiles: Some(store.clone()),
            ..baton::worker::WorkerConfig::default()
        },
    )
    .unwrap();
    let add = ProfileJob::Tree(TreeEdit {
        change: NodeChange::AddGroup,
        node: root,
        name: "Datacenter".into(),
        host: None,
    });
    let events = run(&h, add.clone());
    let [
        Event::ProfilesChanged { tree, .. },
        Event::OpFinished { .. },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(tree.root.groups[0].name, "Datacenter");
    assert_eq!(store.load().unwrap().tree.root.groups[0].name, "Datacenter");
    // The same group again: refused with the reason, nothing written.
    let events = run(&h, add.clone());
    assert!(
        matches!(events.as_slice(), [Event::OpFailed { .. }]),
        "{events:?}"
    );
    assert_eq!(store.load().unwrap().tree.root.groups.len(), 1);

    let (h, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    baton::worker::spawn(side, baton::worker::WorkerConfig::default()).unwrap();
    match run(&h, add).as_slice() {
        [Event::OpFailed { error, .. }] => {
            assert!(error.detail.contains("no profile file"), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// The worker owns the activity file: it appends what the console records,
/// still does after `Stopped` (the entries of the last outcomes), writes
/// everything queued before its thread ends, and reports a file it cannot
/// write once, as an event.
#[test]
fn the_worker_appends_recorded_activity_even_after_it_stopped() {
    use baton::bridge::{ActivityEntry, Command, Event, Release, WorkerHandle};
    use baton::store::activity::ActivityLog;
    let entry = |result: &str| ActivityEntry {
        time: chrono::Utc::now(),
        user: "helpdesk1".into(),
        computer: "Srv1".into(),
        session: None,
        action: "Refresh".into(),
        options: String::new(),
        result: result.into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let log = ActivityLog::new(dir.path().join("data/activity.jsonl"));
    let (h, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    let thread = baton::worker::spawn(
        side,
        baton::worker::WorkerConfig {
            activity: Some(log.clone()),
            ..baton::worker::WorkerConfig::default()
        },
    )
    .unwrap();
    h.send(Command::RecordActivity {
        entries: vec![entry("ok: first"), entry("ok: second")],
    });
    h.send(Command::Shutdown {
        release: Release::HandBack,
    });
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        assert!(std::time::Instant::now() < end, "no Stopped");
        if let Some(Event::Stopped) = h.recv_timeout(std::time::Duration::from_millis(100)) {
            break;
        }
    }
    h.send(Command::RecordActivity {
        entries: vec![entry("cancelled before it finished")],
    });
    drop(h);
    thread.join().unwrap();
    let results: Vec<String> = log
        .load()
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.result)
        .collect();
    assert_eq!(
        results,
        ["ok: first", "ok: second", "cancelled before it finished"]
    );

    // A folder where the file should be: one event, however many entries.
    let blocked = dir.path().join("blocked.jsonl");
    std::fs::create_dir(&blocked).unwrap();
    let (h, side) = WorkerHandle::pair(std::sync::Arc::new(|| {}));
    let thread = baton::worker::spawn(
        side,
        baton::worker::WorkerConfig {
            activity: Some(ActivityLog::new(&blocked)),
            ..baton::worker::WorkerConfig::default()
        },
    )
    .unwrap();
    for i in 0..3 {
        h.send(Command::RecordActivity {
            entries: vec![entry(&format!("ok: {i}"))],
        });
    }
    h.send(Command::Shutdown {
        release: Release::HandBack,
    });
    // The writer reports as it writes, before or after Stopped.
    let mut failures = Vec::new();
    let mut stopped = false;
    while !stopped || failures.is_empty() {
        assert!(std::time::Instant::now() < end, "no Stopped or no failure");
        match h.recv_timeout(std::time::Duration::from_millis(100)) {
            Some(Event::Stopped) => stopped = true,
            Some(Event::ActivityNotSaved { error }) => failures.push(error),
            _ => {}
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    while let Some(e) = h.recv_timeout(std::time::Duration::from_millis(10)) {
        if let Event::ActivityNotSaved { error } = e {
            failures.push(error);
        }
    }
    drop(h);
    thread.join().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("blocked.jsonl"), "{failures:?}");
}

/// The sessions a console holds or hands over are kept across runs (no
/// secret in the file): created → held open, disconnected → handed over,
/// removed → forgotten; the next worker tells its console what it held.
#[test]
fn held_sessions_are_kept_for_the_next_run() {
    use baton::model::hand_over::HeldRecord;
    let dir = tempfile::tempdir().unwrap();
    let file = baton::store::held::HeldFile::new(dir.path().join("held.json"));
    // A session kept from an earlier run that its server no longer has.
    let stale = HeldRecord {
        computer: "Srv1".into(),
        session: "Expired".into(),
        instance_id: Uuid::new_v4(),
        account: "Domain01\\User01".into(),
        since: chrono::Utc::now(),
        handed_over: true,
    };
    file.save(std::slice::from_ref(&stale)).unwrap();
    let lab = InProcessLab::demo(false, 1.0);
    let config = || baton::worker::WorkerConfig {
        held: Some(file.clone()),
        ..baton::worker::WorkerConfig::default()
    };
    let mut r = Rig {
        h: lab.worker_configured(config()),
        events: Vec::new(),
        lab,
    };
    let op = r.h.next_op();
    assert!(finished(&r.act(Command::NewSession {
        op,
        computer: tech("Srv1"),
        name: Some("Kept".into()),
        idle_timeout_ms: None,
        output_buffering_mode: OutputBufferingMode::None,
    })));
    let id = r.session_id("Kept");
    let kept = |f: &baton::store::held::HeldFile| -> Vec<HeldRecord> { f.load().unwrap() };
    assert_eq!(kept(&file).len(), 2, "the stale one and the new one");
    // Listing the computer as that account forgets what its server no longer has.
    let op = r.h.next_op();
    assert!(finished(&r.act(Command::ListSessions {
        op,
        computers: vec![tech("Srv1")],
        names: Vec::new(),
        throttle_limit: 0,
    })));
    let records = kept(&file);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        (
            records[0].session.as_str(),
            records[0].instance_id,
            records[0].account.as_str(),
            records[0].handed_over
        ),
        ("Kept", id, "Domain01\\User01", false)
    );
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(!text.contains("Tech-P@ss1"), "no secret in the file");
    let session = SessionRef {
        computer: tech("Srv1"),
        instance_id: id,
        name: "Kept".into(),
    };
    let op = r.h.next_op();
    assert!(finished(&r.act(Command::Disconnect {
        op,
        sessions: vec![session.clone()],
        idle_timeout_sec: None,
        output_buffering_mode: OutputBufferingMode::None,
        throttle_limit: 0,
    })));
    assert!(kept(&file)[0].handed_over, "handed over");

    // The next console's worker says what was held before it started.
    let h2 = r.lab.worker_configured(config());
    let first = h2.recv_timeout(Duration::from_secs(10));
    let Some(Event::PreviouslyHeld(before)) = first else {
        panic!("expected PreviouslyHeld, got {first:?}");
    };
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].instance_id, id);

    // Removed: nothing left to reconnect.
    let op = r.h.next_op();
    assert!(finished(&r.act(Command::Remove {
        op,
        sessions: vec![session],
        force: false,
    })));
    assert!(kept(&file).is_empty());
}
