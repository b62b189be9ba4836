//! The lab's `[fleet]`: many computers alike, each with the technician's
//! two disconnected sessions (one still running a command), as
//! `assets/lab/fleet.toml` describes them for the fleet-sweep benchmark
//! (tests/bench/fleet.sh); and Get-PSSession over several of them.

use std::sync::Arc;

use baton::bridge::WorkerHandle;
use baton::cli::exec::{Passwords, Shell};
use baton::lab::LabConfig;
use baton::model::profile::ProfileTree;
use baton::protocol::wsman::shell::{CommandState, ShellState};
use baton::worker::{self, WorkerConfig};

use crate::common::InProcessLab;

const FLEET_TOML: &str = include_str!("../assets/lab/fleet.toml");

/// The fleet lab file with `count` computers.
fn fleet(count: u32) -> LabConfig {
    let text = FLEET_TOML.replace("count = 1000", &format!("count = {count}"));
    LabConfig::from_toml(&text).expect("the fleet lab file loads")
}

#[test]
fn fleet_names_and_addresses_its_computers() {
    let config = fleet(12);
    let names: Vec<&str> = config.computers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 12);
    assert_eq!(names[0], "Fleet01");
    assert_eq!(names[11], "Fleet12");
    let addresses: Vec<&str> = config
        .computers
        .iter()
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(addresses[0], "127.1.0.1");
    assert_eq!(addresses[11], "127.1.0.12");
    assert!(config.computers.iter().all(|c| c.port == 5985));
    // 1,000 computers run past a byte of the address.
    let big = fleet(1000);
    assert_eq!(big.computers[999].name, "Fleet1000");
    assert_eq!(big.computers[999].address, "127.1.3.232");
    assert_eq!(big.sessions.len(), 2000);
}

#[test]
fn fleet_outside_loopback_or_naming_a_computer_is_refused() {
    let outside = FLEET_TOML.replace(
        "first_address = \"127.1.0.1\"",
        "first_address = \"127.255.255.250\"",
    );
    let e = LabConfig::from_toml(&outside).unwrap_err().to_string();
    assert!(e.contains("127.0.0.0/8"), "{e}");
    let named = FLEET_TOML.replace("name = \"Idle\"", "name = \"Idle\"\ncomputer = \"Srv1\"");
    let e = LabConfig::from_toml(&named).unwrap_err().to_string();
    assert!(e.contains("names a computer"), "{e}");
    let none = FLEET_TOML.replace("count = 1000", "count = 0");
    assert!(LabConfig::from_toml(&none).is_err());
}

/// Every computer holds Idle (disconnected, nothing running) and Job
/// (disconnected, its command running), owned by the technician.
#[test]
fn every_fleet_computer_holds_two_disconnected_sessions_one_running() {
    let lab = InProcessLab::start(&fleet(3));
    for name in ["Fleet1", "Fleet2", "Fleet3"] {
        let svc = lab.service(name);
        let now = svc.clock().now();
        let mut computer = svc.computer();
        let shells = computer.enumerate(now, "Domain01\\User01");
        let mut seen: Vec<(String, Option<ShellState>, Vec<CommandState>)> = Vec::new();
        for s in &shells {
            assert_eq!(s.owner.as_deref(), Some("Domain01\\User01"));
            let id = uuid::Uuid::parse_str(&s.shell_id).expect("a shell id");
            let commands = computer
                .commands(now, "Domain01\\User01", id)
                .expect("its commands");
            seen.push((
                s.name.clone().unwrap_or_default(),
                s.state.clone(),
                commands.into_iter().map(|c| c.state).collect(),
            ));
        }
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            seen,
            vec![
                ("Idle".into(), Some(ShellState::Disconnected), vec![]),
                (
                    "Job".into(),
                    Some(ShellState::Disconnected),
                    vec![CommandState::Running]
                ),
            ],
            "{name}"
        );
    }
}

/// Get-PSSession -ComputerName over several fleet computers lists exactly
/// their two sessions each, Disconnected with Availability None.
#[test]
fn get_pssession_over_a_fleet_lists_exactly_its_sessions() {
    let lab = InProcessLab::start(&fleet(5));
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    worker::spawn(
        side,
        WorkerConfig {
            profiles: None,
            credentials: None,
            in_process: lab.computers(),
            activity: None,
            held: None,
        },
    )
    .expect("worker starts");
    let mut sh = Shell::new(
        handle,
        ProfileTree::default(),
        Passwords::Given(vec![("Domain01\\User01".into(), "Tech-P@ss1".into())]),
    );
    sh.silence_limit = std::time::Duration::from_mins(1);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let ok = sh.run_line(
        "Get-PSSession -ComputerName Fleet1, Fleet2, Fleet3, Fleet4, Fleet5 -Credential Domain01\\User01 -ThrottleLimit 2",
        &mut out,
        &mut err,
    );
    let out = String::from_utf8(out).expect("utf-8");
    let err = String::from_utf8(err).expect("utf-8");
    assert!(ok, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    // Rows: Id Name ComputerName State ConfigurationName Availability.
    let mut rows: Vec<Vec<String>> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().skip(1).map(str::to_owned).collect())
        .collect();
    rows.sort();
    let mut expected = Vec::new();
    for n in 1..=5 {
        for name in ["Idle", "Job"] {
            expected.push(
                [
                    name,
                    &format!("Fleet{n}"),
                    "Disconnected",
                    "Microsoft.PowerShell",
                    "None",
                ]
                .map(str::to_owned)
                .to_vec(),
            );
        }
    }
    expected.sort();
    assert_eq!(rows, expected, "{out}");
    sh.finish(&mut std::io::sink());
}

/// Lists `computers` through a worker of its own; the sessions listed.
fn list(
    h: &WorkerHandle,
    computers: Vec<baton::bridge::ComputerRef>,
) -> Vec<baton::model::SessionInfo> {
    use baton::bridge::{Command, Event};
    let op = h.next_op();
    h.send(Command::ListSessions {
        op,
        computers,
        names: Vec::new(),
        throttle_limit: 8,
    });
    let mut listed = Vec::new();
    loop {
        match h.recv_timeout(std::time::Duration::from_mins(2)) {
            Some(Event::SessionsListed { sessions, .. }) => listed.extend(sessions),
            Some(Event::OpFinished { op: o, .. }) if o == op => return listed,
            Some(Event::OpFailed { error, .. } | Event::PartFailed { error, .. }) => {
                panic!("{error:?}")
            }
            Some(_) => {}
            None => panic!("the listing did not finish"),
        }
    }
}

/// A listing of many computers closes each one's connection once listed
/// (as PowerShell's Get-PSSession -ComputerName does), so a sweep does not
/// keep a thousand authenticated connections; a listing of a few keeps
/// them for the Connect or Receive that follows.
#[test]
fn a_sweep_of_many_computers_keeps_no_connection_open() {
    use baton::bridge::{ComputerRef, CredentialChoice};
    use baton::model::{ConnectionSpec, Credential};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let running = rt
        .block_on(baton::lab::start(&fleet(70), baton::lab::Ports::Ephemeral))
        .expect("lab listens");
    let refs: Vec<ComputerRef> = running
        .endpoints
        .iter()
        .map(|(name, url)| {
            ComputerRef::new(
                name,
                ConnectionSpec {
                    connection_uri: Some(url.clone()),
                    ..ConnectionSpec::for_computer(name)
                },
                CredentialChoice::Once(Credential::new("Domain01\\User01", "Tech-P@ss1")),
            )
        })
        .collect();
    let open = |names: &[String]| -> u64 {
        names
            .iter()
            .map(|n| running.connections(n).expect("a listener").open())
            .sum()
    };
    let names: Vec<String> = running.endpoints.iter().map(|(n, _)| n.clone()).collect();
    let (h, side) = WorkerHandle::pair(Arc::new(|| {}));
    worker::spawn(side, WorkerConfig::default()).expect("worker starts");

    // Three computers: their connections stay, ready for what follows.
    let few = list(&h, refs[..3].to_vec());
    assert_eq!(few.len(), 6);
    assert_eq!(open(&names[..3]), 3);

    // All 70: every session listed, and no connection left open (the server
    // sees each close shortly after the client drops it).
    let all = list(&h, refs.clone());
    assert_eq!(all.len(), 140);
    assert_eq!(all.iter().filter(|s| s.name == "Job").count(), 70);
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while open(&names) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(open(&names), 0, "connections still open after the sweep");
    rt.block_on(running.stop());
}
