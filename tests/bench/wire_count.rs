//! A loopback relay that counts what crosses it, on the wire: TCP
//! connections, HTTP requests (round trips, the empty-bodied handshake legs
//! included) and authentication handshakes (each NTLM/Negotiate handshake is
//! answered by exactly one 401 carrying a challenge token; the 401 offering
//! the schemes to an anonymous first request is not one).
//!
//! Shared by the hand-over benchmark (`tests/bench/handover.rs`) and its
//! test (`tests/handover.rs`), with what both stand it in front of
//! ([`RelayedSrv2`]: the lab's Srv2, and `baton -c` pointed at the relay)
//! and how both read the requests of a flow ([`Flow`]). Bytes are passed on
//! untouched as they come; a copy is framed by its HTTP headers
//! (Content-Length) to count messages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What crossed the relay so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    pub connections: u64,
    pub round_trips: u64,
    pub handshakes: u64,
}

impl std::ops::Sub for Counted {
    type Output = Counted;
    fn sub(self, o: Counted) -> Counted {
        Counted {
            connections: self.connections - o.connections,
            round_trips: self.round_trips - o.round_trips,
            handshakes: self.handshakes - o.handshakes,
        }
    }
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    unauthorized: AtomicU64,
}

/// A relay listening on 127.0.0.1 that passes each connection on to `target`.
pub struct WireCount {
    pub addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl WireCount {
    pub async fn start(target: SocketAddr) -> WireCount {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay binds");
        let addr = listener.local_addr().expect("relay address");
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::SeqCst);
                let c = c.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = relay(cr, sw, c.clone(), false);
                    let down = relay(sr, cw, c, true);
                    let _ = tokio::join!(up, down);
                });
            }
        });
        WireCount {
            addr,
            counters,
            task,
        }
    }

    /// The relay's URL for a WinRM endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/wsman", self.addr)
    }

    pub fn counted(&self) -> Counted {
        Counted {
            connections: self.counters.connections.load(Ordering::SeqCst),
            round_trips: self.counters.requests.load(Ordering::SeqCst),
            handshakes: self.counters.unauthorized.load(Ordering::SeqCst),
        }
    }
}

impl Drop for WireCount {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counters: Arc<Counters>,
    responses: bool,
) {
    let mut framer = Framer::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for (status, challenge) in framer.push(&buf[..n]) {
            if responses {
                if status == 401 && challenge {
                    counters.unauthorized.fetch_add(1, Ordering::SeqCst);
                }
            } else {
                counters.requests.fetch_add(1, Ordering::SeqCst);
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Splits a byte stream into HTTP/1.1 messages by their headers.
#[derive(Default)]
struct Framer {
    pending: Vec<u8>,
    /// Body bytes still to come of the current message.
    body_left: usize,
}

impl Framer {
    /// Takes bytes; returns the status code (responses) or 0 (requests) of
    /// each message whose headers were completed by them, and whether it
    /// carries a challenge (a `WWW-Authenticate` with a token: the middle
    /// of a handshake, not the offer of schemes an anonymous request gets).
    fn push(&mut self, data: &[u8]) -> Vec<(u16, bool)> {
        self.pending.extend_from_slice(data);
        let mut seen = Vec::new();
        loop {
            if self.body_left > 0 {
                let take = self.body_left.min(self.pending.len());
                self.pending.drain(..take);
                self.body_left -= take;
                if self.body_left > 0 {
                    break;
                }
            }
            let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                break;
            };
            let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
            self.pending.drain(..end + 4);
            let first = head.lines().next().unwrap_or_default();
            let status = if first.starts_with("HTTP/") {
                first
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0)
            } else {
                0
            };
            let challenge = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .any(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("www-authenticate") && v.trim().contains(' ')
                });
            seen.push((status, challenge));
            self.body_left = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
        }
        seen
    }
}

/// The technician of the lab's demo, whose sessions are handed over.
pub const TECH: (&str, &str) = ("Domain01\\User01", "Tech-P@ss1");

/// The lab's demo computers with no sessions on ephemeral loopback ports,
/// Srv2 behind a counting relay, and a profile file that sends `baton -c` to
/// the relay.
pub struct RelayedSrv2 {
    pub relay: WireCount,
    pub srv2: Arc<baton::lab::service::LabService>,
    pub dir: tempfile::TempDir,
    lab: baton::lab::RunningLab,
}

impl RelayedSrv2 {
    pub fn start(rt: &tokio::runtime::Runtime) -> RelayedSrv2 {
        use baton::model::profile::{Computer, Group, ProfileTree};
        let mut config = baton::lab::LabConfig::demo();
        config.sessions.clear();
        let lab = rt
            .block_on(baton::lab::start(&config, baton::lab::Ports::Ephemeral))
            .expect("lab listens");
        let (_, url) = lab
            .endpoints
            .iter()
            .find(|(n, _)| n == "Srv2")
            .expect("Srv2");
        let target: SocketAddr = url
            .trim_start_matches("http://")
            .trim_end_matches("/wsman")
            .parse()
            .expect("Srv2's address");
        let srv2 = lab
            .built
            .computers
            .iter()
            .find(|c| c.name == "Srv2")
            .expect("Srv2")
            .service
            .clone();
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
        RelayedSrv2 {
            relay,
            srv2,
            dir,
            lab,
        }
    }

    /// Runs the built `baton -c LINE` as the technician, in a process of its
    /// own with this fixture's profiles and no keyring: (success, stdout,
    /// stderr).
    pub fn baton(&self, line: &str) -> (bool, String, String) {
        let dir = self.dir.path();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["-c", line])
            .env("BATON_PROFILES", dir.join("profiles.toml"))
            .env("BATON_PASSWORD", TECH.1)
            .env("BATON_HELD", dir.join("held.json"))
            .env("BATON_HISTORY", "")
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("baton runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A disconnected session `name` on Srv2 holding `1..3`.
    pub fn prepare(&self, name: &str) {
        let (ok, _, err) = self.baton(&format!(
            "Invoke-Command -ComputerName Srv2 -Credential {} -InDisconnectedSession -SessionName {name} -ScriptBlock {{ 1..3 }}",
            TECH.0
        ));
        assert!(ok, "{err}");
    }

    /// Stops the relay and the lab.
    pub fn stop(self, rt: &tokio::runtime::Runtime) {
        let RelayedSrv2 { relay, lab, .. } = self;
        drop(relay);
        rt.block_on(lab.stop());
    }
}

/// The requests Srv2 saw during one flow, split where the output came.
#[derive(Debug)]
pub struct Flow {
    /// Every request's action, in order.
    pub actions: Vec<String>,
    /// How many requests went up to the command's Receive that brought
    /// the output (Connect spends none of the pool's Receives, so it is the
    /// first Receive with a CommandId).
    pub to_output: usize,
    /// A session-level Receive came after the output: the keep-alive of a
    /// session that sat idle before the flow handed it back.
    pub keep_alive: bool,
    /// The requests after the output, the keep-alive left out: the
    /// hand-back (release the command, disconnect the session).
    pub hand_back: Vec<String>,
}

impl Flow {
    pub fn of(log: &[baton::lab::service::WireRequest]) -> Flow {
        let actions: Vec<String> = log.iter().map(|r| format!("{:?}", r.action)).collect();
        let pool_receive =
            |i: usize| actions[i].starts_with("Receive") && log[i].command_id.is_none();
        let to_output = (0..log.len())
            .find(|&i| actions[i].starts_with("Receive") && log[i].command_id.is_some())
            .map_or(log.len(), |i| i + 1);
        let keep_alive = (to_output..log.len()).any(pool_receive);
        let hand_back = (to_output..log.len())
            .filter(|&i| !pool_receive(i))
            .map(|i| actions[i].clone())
            .collect();
        Flow {
            actions,
            to_output,
            keep_alive,
            hand_back,
        }
    }
}
