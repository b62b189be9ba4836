//! The lab endpoint: an emulated Windows WinRM service built on the protocol
//! layer in the server role.
//!
//! [`start`] runs every computer of a [`LabConfig`] as its own loopback
//! listener; [`build`] makes the same computers without sockets, for
//! in-process use.

pub mod computer;
pub mod config;
pub(crate) mod convert;
pub mod listener;
pub mod script;
pub mod service;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

pub use config::LabConfig;

use crate::protocol::auth::server::UserTable;
use crate::protocol::compression::CompressionMode;
use crate::protocol::psrp::client::ClientPool;
use crate::protocol::psrp::messages::{CreatePipeline, InitRunspacePool};
use crate::protocol::wsman::shell::BufferMode;
use computer::Computer;
use listener::{ListenerHandle, ListenerSettings};
use service::{LabClock, LabService};

/// Where the lab's computers listen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ports {
    /// The addresses and ports of the lab file (e.g. 127.0.0.11:5985).
    Configured,
    /// 127.0.0.1 with a free port each (tests, or when 5985 is taken).
    Ephemeral,
}

/// One emulated computer of a lab, built.
pub struct LabComputer {
    pub name: String,
    pub service: Arc<LabService>,
}

/// The lab's computers and user table, without sockets.
pub struct BuiltLab {
    pub computers: Vec<LabComputer>,
    pub users: UserTable,
    pub config: LabConfig,
}

/// Builds the computers of `config` and seeds their sessions.
pub fn build(config: &LabConfig) -> Result<BuiltLab, String> {
    let clock = LabClock::new(config.time_scale);
    let epoch: DateTime<FixedOffset> = Utc::now().fixed_offset();
    let configurations: Vec<_> = config
        .configurations
        .iter()
        .map(config::ConfigurationConfig::to_session_configuration)
        .collect();
    let mut users = UserTable::new();
    for u in &config.users {
        users
            .add(&u.name, u.password.clone())
            .map_err(|e| format!("user {}: {e}", u.name))?;
    }
    let admins: Vec<String> = config
        .users
        .iter()
        .filter(|u| u.admin)
        .map(|u| u.name.clone())
        .collect();
    // Each computer's seeded sessions, found by name once (a fleet has
    // thousands of computers).
    let mut seeded: std::collections::HashMap<String, Vec<&config::SeedSession>> =
        std::collections::HashMap::new();
    for s in &config.sessions {
        seeded
            .entry(s.computer.to_ascii_lowercase())
            .or_default()
            .push(s);
    }
    let mut computers = Vec::with_capacity(config.computers.len());
    for c in &config.computers {
        let mut computer = Computer::new(&c.name, configurations.clone(), epoch);
        computer.administrators = admins.clone();
        computer.output_buffer_bytes = config.output_buffer_bytes;
        computer.keep_alive_window_ms = config.keep_alive_window_ms;
        computer.command_reconnect = config.command_reconnect;
        computer.protocol_version = c.protocol_version.clone();
        for s in seeded
            .get(&c.name.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            seed(&mut computer, s, clock.now())
                .map_err(|e| format!("session {} on {}: {e}", s.name, c.name))?;
        }
        let mut service = LabService::new(computer, clock.clone());
        service.max_envelope_bytes = c.max_envelope_size_kb as usize * 1024;
        computers.push(LabComputer {
            name: c.name.clone(),
            service: Arc::new(service),
        });
    }
    Ok(BuiltLab {
        computers,
        users,
        config: config.clone(),
    })
}

/// Creates a seeded session as its owner's client would, then leaves it in
/// the state the lab file asks for.
fn seed(computer: &mut Computer, s: &config::SeedSession, now: u64) -> Result<(), String> {
    let id = Uuid::new_v4();
    let session = Uuid::new_v4();
    let mut pool = ClientPool::new(id, 512_000).map_err(|e| e.to_string())?;
    let payload = pool
        .creation_payload(&InitRunspacePool::default())
        .map_err(|e| e.to_string())?;
    let uri = format!(
        "http://schemas.microsoft.com/powershell/{}",
        s.configuration
    );
    computer
        .create(
            now,
            &s.owner,
            session,
            &s.client_ip,
            &uri,
            id,
            Some(s.name.clone()),
            None,
            s.compression,
            false,
            "en-US",
            "en-US",
            &payload,
            None,
        )
        .map_err(|e| format!("{e:?}"))?;
    // Read the pool's opening messages, as the owner's client did.
    let opened = computer
        .receive(now, &s.owner, session, id, None, 1 << 20)
        .map_err(|e| format!("{e:?}"))?;
    // The owner's client speaks the shell's compression, as Windows does.
    let mode = if s.compression {
        CompressionMode::XpressCompression
    } else {
        CompressionMode::NoCompression
    };
    for f in opened.fragments {
        let f = mode.decode(&f, 1 << 24).map_err(|e| e.to_string())?;
        pool.handle_stream(&f).map_err(|e| e.to_string())?;
    }
    if let Some(script) = &s.script {
        let pid = Uuid::new_v4();
        let payloads = pool
            .create_pipeline(pid, &CreatePipeline::script(script))
            .map_err(|e| e.to_string())?;
        let line: String = script.trim().chars().take(255).collect();
        computer
            .command(now, &s.owner, session, id, pid, &line, &payloads[0])
            .map_err(|e| format!("{e:?}"))?;
        for p in &payloads[1..] {
            computer
                .send(now, &s.owner, session, id, &mode.encode(p))
                .map_err(|e| format!("{e:?}"))?;
        }
    }
    match s.state.as_str() {
        "disconnected" => {
            let buffer = match s.buffer_mode.as_deref() {
                Some(b) if b.eq_ignore_ascii_case("drop") => Some(BufferMode::Drop),
                Some(_) => Some(BufferMode::Block),
                None => None,
            };
            computer
                .disconnect(
                    now,
                    &s.owner,
                    session,
                    id,
                    s.idle_timeout_sec.map(|t| t * 1000),
                    buffer,
                )
                .map_err(|e| format!("{e:?}"))?;
        }
        // Another client keeps a Receive outstanding: Busy for everyone else.
        "busy" => computer.receive_pending(id, true, now),
        _ => {}
    }
    Ok(())
}

/// A lab whose computers listen on loopback.
pub struct RunningLab {
    pub built: BuiltLab,
    /// (computer name, URL) in the lab file's order.
    pub endpoints: Vec<(String, String)>,
    /// What did not go as the lab file says (an address this machine
    /// cannot bind, served on 127.0.0.1 instead), to tell the user.
    pub notices: Vec<String>,
    listeners: Vec<ListenerHandle>,
    ticker: tokio::task::JoinHandle<()>,
}

impl RunningLab {
    /// Stops every listener.
    pub async fn stop(self) {
        self.ticker.abort();
        for l in self.listeners {
            l.stop().await;
        }
    }

    /// The connections a computer's listener accepted, by computer name.
    pub fn connections(&self, name: &str) -> Option<Arc<listener::ConnectionCount>> {
        self.built
            .computers
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
            .and_then(|i| self.listeners.get(i))
            .map(|l| l.connections.clone())
    }

    /// The service of a computer, by name.
    pub fn service(&self, name: &str) -> Option<&Arc<LabService>> {
        self.built
            .computers
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| &c.service)
    }
}

/// Builds `config` and starts one listener per computer.
pub async fn start(config: &LabConfig, ports: Ports) -> Result<RunningLab, String> {
    let built = build(config)?;
    let common = ListenerSettings {
        users: built.users.clone(),
        allow_basic: config.basic,
        allow_unencrypted: config.allow_unencrypted,
        ..ListenerSettings::default()
    };
    let mut listeners = Vec::new();
    let mut endpoints = Vec::new();
    let mut notices = Vec::new();
    for (c, computer) in config.computers.iter().zip(&built.computers) {
        let settings = computer_settings(&common, c)?;
        let addr: SocketAddr = match ports {
            Ports::Configured => format!("{}:{}", c.address, c.port)
                .parse()
                .map_err(|_| format!("{}: {}:{} is not an address", c.name, c.address, c.port))?,
            Ports::Ephemeral => "127.0.0.1:0".parse().map_err(|_| "loopback".to_string())?,
        };
        // The lab's accounts and passwords are published: it serves this
        // computer only, unless told otherwise.
        if !addr.ip().is_loopback() && !config.allow_remote {
            return Err(format!(
                "{}: {} is not a loopback address; the lab's passwords are public, so it binds only loopback addresses (127.0.0.0/8, ::1). Pass --allow-remote to serve other computers anyway.",
                c.name,
                addr.ip()
            ));
        }
        let handle = match listen(config, c, addr, settings.clone(), &computer.service).await {
            Ok(h) => h,
            // The lab file's address is not on this machine (macOS has only
            // 127.0.0.1 on lo0), or its port is taken (http.sys, where
            // WinRM runs): serve on 127.0.0.1 with a free port, and say so.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::AddrInUse
                ) =>
            {
                let fallback: SocketAddr = ([127, 0, 0, 1], 0).into();
                let h = listen(config, c, fallback, settings, &computer.service)
                    .await
                    .map_err(|e| format!("{} cannot listen on {fallback}: {e}", c.name))?;
                notices.push(fallback_notice(&c.name, addr, &e, h.local_addr));
                h
            }
            Err(e) => return Err(format!("{} cannot listen on {addr}: {e}", c.name)),
        };
        let scheme = if config.https { "https" } else { "http" };
        endpoints.push((
            c.name.clone(),
            format!("{scheme}://{}/wsman", handle.local_addr),
        ));
        listeners.push(handle);
    }
    let ticker = service::spawn_ticker(
        built.computers.iter().map(|c| c.service.clone()).collect(),
        Duration::from_millis(50),
    );
    Ok(RunningLab {
        built,
        endpoints,
        notices,
        listeners,
        ticker,
    })
}

/// One computer's listener on `addr`, over HTTPS when the lab says so.
async fn listen(
    config: &LabConfig,
    c: &config::ComputerConfig,
    addr: SocketAddr,
    settings: ListenerSettings,
    service: &Arc<service::LabService>,
) -> std::io::Result<ListenerHandle> {
    if config.https {
        let names = vec![
            "localhost".to_owned(),
            addr.ip().to_string(),
            c.name.clone(),
        ];
        let made = if settings.certificate_issuers.is_empty() {
            tls::self_signed(&names)
        } else {
            tls::self_signed_with_client_certificates(&names, &settings.certificate_issuers)
        };
        let (tls, _cert) = made.map_err(std::io::Error::other)?;
        listener::serve_https(addr, settings, service.clone(), tls).await
    } else {
        listener::serve_http(addr, settings, service.clone()).await
    }
}

/// What the lab says when it serves a computer elsewhere than its file says.
pub fn fallback_notice(
    name: &str,
    wanted: SocketAddr,
    why: &std::io::Error,
    got: SocketAddr,
) -> String {
    let hint = if why.kind() == std::io::ErrorKind::AddrInUse {
        format!(
            " Another program listens there (on Windows, the WinRM service's http.sys when WinRM is enabled); set another port for {name} in the lab file to keep one."
        )
    } else if cfg!(target_os = "macos") {
        format!(
            " On macOS only 127.0.0.1 is on the loopback interface; `sudo ifconfig lo0 alias {}` adds the lab's address until the next restart.",
            wanted.ip()
        )
    } else {
        String::new()
    };
    format!("{name}: {wanted} cannot be used ({why}); serving on {got} instead.{hint}")
}

/// The listener settings of one computer: the lab's, with its CredSSP
/// switch and client-certificate mappings (their CAs read from PEM files).
fn computer_settings(
    common: &ListenerSettings,
    c: &config::ComputerConfig,
) -> Result<ListenerSettings, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut issuers = Vec::new();
    for path in &c.certificate_authorities {
        let data = std::fs::read(path)
            .map_err(|e| format!("{}: cannot read the CA certificate {path}: {e}", c.name))?;
        let before = issuers.len();
        for cert in CertificateDer::pem_slice_iter(&data) {
            issuers.push(
                cert.map_err(|_| format!("{}: {path} is not a PEM certificate file", c.name))?,
            );
        }
        if issuers.len() == before {
            return Err(format!("{}: {path} holds no PEM certificate", c.name));
        }
    }
    let mappings = c
        .certificate_mappings
        .iter()
        .map(|m| tls::CertificateMapping {
            subject: m.subject.clone(),
            issuer_thumbprint: crate::model::certificate::normalize_thumbprint(
                &m.issuer_thumbprint,
            )
            .unwrap_or_else(|| m.issuer_thumbprint.clone()),
            user: m.user.clone(),
        })
        .collect();
    Ok(ListenerSettings {
        allow_credssp: c.credssp,
        // The envelope, plus what sealing adds around it.
        max_request_bytes: c.max_envelope_size_kb as usize * 1024 + 64 * 1024,
        certificate_mappings: mappings,
        certificate_issuers: issuers,
        ..common.clone()
    })
}
