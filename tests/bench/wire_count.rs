//! A loopback relay that counts what crosses it, on the wire: TCP
//! connections, HTTP requests (round trips, the empty-bodied handshake legs
//! included) and authentication handshakes (each NTLM/Negotiate handshake is
//! answered by exactly one 401 carrying a challenge token; the 401 offering
//! the schemes to an anonymous first request is not one).
//!
//! Shared by the hand-over benchmark (`tests/bench/handover.rs`) and its
//! test (`tests/handover.rs`). Bytes are passed on untouched as they come;
//! a copy is framed by its HTTP headers (Content-Length) to count messages.

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
