//! Hand-over benchmark: what receiving a finished command of someone's
//! disconnected session costs on the wire. Prints figures, asserts nothing
//! about speed.
//!
//! `cargo bench --bench handover` (a few seconds; pypsrp's row needs
//! `tests/peers.sh` to have made `.peers/venv`) starts the lab on loopback
//! sockets, puts a counting relay (`wire_count.rs`) in front of Srv2, and
//! for each flow prepares a disconnected session holding a finished
//! 3-object command (`Invoke-Command -InDisconnectedSession { 1..3 }`), then
//! prints the HTTP round trips (handshake legs included), TCP connections
//! and authentication handshakes the flow took, next to the floor of 7
//! (one handshake of 2 legs, Enumerate shells, Enumerate commands, Connect,
//! Connect the command, Receive), and the requests the lab saw in order:
//!
//! 1. `baton -c 'Receive-PSSession -ComputerName Srv2 -Name RT1'` (the
//!    built binary, a process of its own);
//! 2. `Connect-PSSession` then `Receive-PSSession` in one `baton -c`;
//! 3. the console's Refresh, Connect and Receive, as the UI sends them to a
//!    worker, then its window closed (Shutdown, hand back);
//! 4. pypsrp 0.9.1 doing the same (list, connect the pool, connect and
//!    receive the command, disconnect the pool).
//!
//! Each row also says how many round trips went before the command's last
//! output was received ("to the output") and how many came after (the
//! hand-back: releasing the command, disconnecting the session), and how
//! the session was left for the next person (its `Get-PSSession` row).

mod wire_count;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton::bridge::{
    Command, ComputerRef, CredentialChoice, Event, Release, SessionRef, WorkerHandle,
};
use baton::model::{ConnectionSpec, Credential};
use wire_count::{Counted, Flow, RelayedSrv2, TECH};

const FLOOR: u64 = 7;

struct Bench {
    lab: RelayedSrv2,
}

impl Bench {
    fn baton(&self, line: &str) -> (bool, String, String) {
        self.lab.baton(line)
    }

    /// A disconnected session `name` on Srv2 whose `1..3` has finished.
    fn prepare(&self, name: &str) {
        self.lab.prepare(name);
        std::thread::sleep(Duration::from_millis(300));
    }

    /// How the flow left the session `name`, as the next person lists it
    /// (its row of `Get-PSSession`; not counted).
    fn left(&self, name: &str) {
        let (_, out, _) = self.baton(&format!(
            "Get-PSSession -ComputerName Srv2 -Name {name} -Credential {}",
            TECH.0
        ));
        let row = out
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or("(not listed)");
        println!(
            "          left for the next person: {}",
            row.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    /// Removes the session `name` of Srv2 (after its flow).
    fn remove(&self, name: &str) {
        let (ok, _, err) = self.baton(&format!(
            "Get-PSSession -ComputerName Srv2 -Name {name} -Credential {} | Remove-PSSession",
            TECH.0
        ));
        assert!(ok, "{err}");
    }

    /// Runs `flow`, and prints what crossed the wire meanwhile.
    fn measure(&self, label: &str, flow: impl FnOnce() -> String) -> Counted {
        let before = self.lab.relay.counted();
        let log_before = self.lab.srv2.wire_log().len();
        let output = flow();
        let counted = self.lab.relay.counted() - before;
        let log = self.lab.srv2.wire_log();
        let flow = Flow::of(&log[log_before.min(log.len())..]);
        let legs = counted.round_trips - flow.actions.len() as u64;
        println!(
            "handover: {label:<58} round trips {:>2} (floor {FLOOR}; to the output {}, after it {})  TCP connections {}  handshakes {}",
            counted.round_trips,
            legs + flow.to_output as u64,
            flow.actions.len() - flow.to_output,
            counted.connections,
            counted.handshakes,
        );
        println!("          requests: {}", flow.actions.join(" "));
        println!("          hand-back: {}", flow.hand_back.join(" "));
        if flow.keep_alive {
            println!(
                "          (the session sat idle before the hand-back: its keep-alive started)"
            );
        }
        println!(
            "          output: {}",
            output.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        counted
    }
}

/// The console: Refresh (list), Connect, Receive, then the window closed.
fn console(url: &str) -> String {
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    let thread =
        baton::worker::spawn(side, baton::worker::WorkerConfig::default()).expect("worker");
    let mut spec = ConnectionSpec::for_computer("Srv2");
    spec.connection_uri = Some(url.to_owned());
    let computer = ComputerRef::new(
        "Srv2",
        spec,
        CredentialChoice::Once(Credential::new(TECH.0, TECH.1)),
    );
    let mut text = String::new();
    let mut wait = |handle: &WorkerHandle, op: u64| -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let e = handle
                .recv_timeout(Duration::from_secs(30))
                .expect("the worker answers");
            let end = matches!(&e, Event::OpFinished { op: o, .. } | Event::OpFailed { op: o, .. } if *o == op);
            if let Event::OpFailed { error, .. } = &e {
                panic!("{error:?}");
            }
            if let Event::Output { items, .. } = &e {
                for i in items {
                    if let baton::model::OutputItem::Output(o) = i {
                        text.push_str(&o.text);
                        text.push(' ');
                    }
                }
            }
            seen.push(e);
            if end {
                return seen;
            }
        }
    };
    let op = handle.next_op();
    handle.send(Command::ListSessions {
        op,
        computers: vec![computer.clone()],
        names: vec!["RT3".into()],
        throttle_limit: 0,
    });
    let listed = wait(&handle, op);
    let info = listed
        .iter()
        .find_map(|e| match e {
            Event::SessionsListed { sessions, .. } => sessions.first().cloned(),
            _ => None,
        })
        .expect("RT3 is listed");
    let session = SessionRef {
        computer,
        instance_id: info.instance_id,
        name: info.name.clone(),
    };
    let op = handle.next_op();
    handle.send(Command::Connect {
        op,
        session: session.clone(),
    });
    wait(&handle, op);
    let op = handle.next_op();
    handle.send(Command::Receive { op, session });
    wait(&handle, op);
    handle.send(Command::Shutdown {
        release: Release::HandBack,
    });
    while let Some(e) = handle.recv_timeout(Duration::from_secs(30)) {
        if matches!(e, Event::Stopped) {
            break;
        }
    }
    drop(handle);
    let _ = thread.join();
    text
}

fn pypsrp(addr: SocketAddr) -> Option<String> {
    let peers = std::env::var_os("BATON_PEERS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers"),
        PathBuf::from,
    );
    let python = peers.join("venv/bin/python");
    if !python.exists() {
        println!("handover: pypsrp skipped: run tests/peers.sh first");
        return None;
    }
    let script = r#"
import sys
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan
host, port, user, password = sys.argv[1:5]
conn = WSMan(host, port=int(port), username=user, password=password, ssl=False,
             auth="ntlm", encryption="auto", operation_timeout=5, read_timeout=15)
# Only RT4 is left on Srv2: the other flows' sessions were removed.
pool = RunspacePool.get_runspace_pools(conn)[0]
pool.connect()
out = []
for ps in pool.create_disconnected_power_shells():
    ps.connect()
    out.extend(str(o) for o in ps.output)
# A no-op in pypsrp 0.9.1 when the pool it connected still says Disconnected.
pool.disconnect()
print(" ".join(out))
"#;
    let out = std::process::Command::new(python)
        .args([
            "-c",
            script,
            &addr.ip().to_string(),
            &addr.port().to_string(),
            TECH.0,
            TECH.1,
        ])
        .output()
        .expect("python runs");
    if !out.status.success() {
        println!(
            "handover: pypsrp failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bench = Bench {
        lab: RelayedSrv2::start(&rt),
    };
    let cred = TECH.0;
    bench.prepare("RT1");
    bench.measure(
        "baton -c 'Receive-PSSession -ComputerName Srv2 -Name RT1'",
        || {
            let (ok, out, err) = bench.baton(&format!(
                "Receive-PSSession -ComputerName Srv2 -Name RT1 -Credential {cred}"
            ));
            assert!(ok, "{err}");
            out
        },
    );
    bench.left("RT1");
    bench.remove("RT1");
    bench.prepare("RT2");
    bench.measure("baton -c '$s = Connect-PSSession …; Receive-PSSession $s'", || {
        let (ok, out, err) = bench.baton(&format!(
            "$s = Connect-PSSession -ComputerName Srv2 -Name RT2 -Credential {cred}; Receive-PSSession -Session $s"
        ));
        assert!(ok, "{err}");
        out
    });
    bench.left("RT2");
    bench.remove("RT2");
    bench.prepare("RT3");
    let url = bench.lab.relay.url();
    bench.measure("console: Refresh, Connect, Receive, close", || {
        console(&url)
    });
    bench.left("RT3");
    bench.remove("RT3");
    bench.prepare("RT4");
    let addr = bench.lab.relay.addr;
    bench.measure("pypsrp 0.9.1: list, connect, receive, disconnect", || {
        pypsrp(addr).unwrap_or_default()
    });
    bench.left("RT4");
    bench.lab.stop(&rt);
}
