//! What a lab contains: computers, users, session configurations and seeded
//! sessions. Read from a TOML file, or the built-in demo scenario.

use serde::Deserialize;

use super::script::SessionConfiguration;

/// The built-in demo scenario (see `assets/lab/demo.toml`).
pub const DEMO_TOML: &str = include_str!("../../assets/lab/demo.toml");

/// A lab: the whole emulated environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabConfig {
    /// Lab time runs this many times faster than real time (idle timeouts of
    /// hours can then be tested in seconds).
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Bytes of output a command may buffer while nobody receives it.
    #[serde(default = "default_buffer")]
    pub output_buffer_bytes: usize,
    /// Lab milliseconds an attached client may go without a Receive
    /// outstanding before its shell is Disconnected (Windows: about a
    /// minute; a longer window shows a server that holds on to a vanished
    /// client).
    #[serde(default = "default_keep_alive")]
    pub keep_alive_window_ms: u64,
    /// Whether a command-level `rsp:Reconnect CommandId` is served. No
    /// recorded Windows exchange shows one; off, the lab answers it with a
    /// fault, as a server that supports only `Connect CommandId` would.
    #[serde(default = "yes")]
    pub command_reconnect: bool,
    /// Bind addresses other than loopback (`baton lab --allow-remote`). Off:
    /// the lab's published passwords never reach the network.
    #[serde(default)]
    pub allow_remote: bool,
    /// `Auth\Basic` on every computer (off, as on Windows).
    #[serde(default)]
    pub basic: bool,
    /// `Service\AllowUnencrypted` on every computer (off, as on Windows).
    #[serde(default)]
    pub allow_unencrypted: bool,
    /// HTTPS listeners with a self-signed certificate generated at start.
    #[serde(default)]
    pub https: bool,
    pub users: Vec<UserConfig>,
    /// May be left out when a `[fleet]` gives the computers.
    #[serde(default)]
    pub computers: Vec<ComputerConfig>,
    pub configurations: Vec<ConfigurationConfig>,
    #[serde(default)]
    pub sessions: Vec<SeedSession>,
    /// Many computers alike (`[fleet]`): added to `computers`, with their
    /// sessions added to `sessions`, when the file is read.
    #[serde(default)]
    pub fleet: Option<FleetConfig>,
}

/// A fleet of computers alike, for listing at scale: `count` computers named
/// `<prefix>1` … `<prefix><count>` (numbers zero-padded to one width), each
/// on its own loopback address from `first_address` on (127.1.0.1,
/// 127.1.0.2, … on Linux, where all of 127.0.0.0/8 is loopback and needs no
/// root), each holding the `sessions` listed (a `[[fleet.sessions]]` is a
/// `[[sessions]]` without `computer`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    pub count: u32,
    #[serde(default = "fleet_prefix")]
    pub prefix: String,
    #[serde(default = "fleet_first_address")]
    pub first_address: String,
    #[serde(default = "http_port")]
    pub port: u16,
    #[serde(default)]
    pub sessions: Vec<SeedSession>,
}

fn fleet_prefix() -> String {
    "Fleet".into()
}

fn fleet_first_address() -> String {
    "127.1.0.1".into()
}

/// The most computers a fleet may have (each is a listener with its own
/// address; 127.0.0.0/8 holds about 16 million).
pub const MAX_FLEET: u32 = 100_000;

impl FleetConfig {
    /// The computers and their sessions, in order.
    fn expand(&self) -> Result<(Vec<ComputerConfig>, Vec<SeedSession>), LabConfigError> {
        if self.count == 0 || self.count > MAX_FLEET {
            return Err(LabConfigError(format!(
                "fleet count {} is outside 1 to {MAX_FLEET}",
                self.count
            )));
        }
        let first: std::net::Ipv4Addr = self.first_address.parse().map_err(|_| {
            LabConfigError(format!(
                "fleet first_address {:?} is not an IPv4 address",
                self.first_address
            ))
        })?;
        let start = u32::from(first);
        let last = start
            .checked_add(self.count - 1)
            .map(std::net::Ipv4Addr::from);
        if !first.is_loopback() || !last.is_some_and(|a| a.is_loopback()) {
            return Err(LabConfigError(format!(
                "fleet: {} computers from {first} do not all fit in 127.0.0.0/8",
                self.count
            )));
        }
        if let Some(s) = self.sessions.iter().find(|s| !s.computer.is_empty()) {
            return Err(LabConfigError(format!(
                "fleet session {} names a computer; every computer of the fleet holds it",
                s.name
            )));
        }
        let width = self.count.to_string().len();
        let mut computers = Vec::with_capacity(self.count as usize);
        let mut sessions = Vec::with_capacity(self.count as usize * self.sessions.len());
        for i in 0..self.count {
            let name = format!("{}{:0width$}", self.prefix, i + 1);
            for s in &self.sessions {
                sessions.push(SeedSession {
                    computer: name.clone(),
                    ..s.clone()
                });
            }
            computers.push(ComputerConfig {
                name,
                address: std::net::Ipv4Addr::from(start + i).to_string(),
                port: self.port,
                credssp: false,
                certificate_mappings: Vec::new(),
                certificate_authorities: Vec::new(),
                max_envelope_size_kb: max_envelope_size_kb(),
                protocol_version: psrp_protocol_version(),
            });
        }
        Ok((computers, sessions))
    }
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

fn default_keep_alive() -> u64 {
    super::computer::AUTO_DISCONNECT_MS
}

fn default_buffer() -> usize {
    super::computer::DEFAULT_OUTPUT_BUFFER_BYTES
}

/// A user account of the lab's domain.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// `DOMAIN\name`.
    pub name: String,
    pub password: String,
    /// Administrators see and may use every user's shells.
    #[serde(default)]
    pub admin: bool,
    /// A word for the README and `baton lab`'s listing (technician, manager…).
    #[serde(default)]
    pub role: String,
}

/// One emulated computer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputerConfig {
    pub name: String,
    /// A loopback address (127.0.0.0/8 on Linux gives each computer its own).
    #[serde(default = "loopback")]
    pub address: String,
    #[serde(default = "http_port")]
    pub port: u16,
    /// `Service\Auth\CredSSP` (off, as on Windows until
    /// `Enable-WSManCredSSP -Role Server`).
    #[serde(default)]
    pub credssp: bool,
    /// `WSMan:\localhost\ClientCertificate`: client certificates that log
    /// on as a user (HTTPS labs only; `Service\Auth\Certificate` is on when
    /// there is one).
    #[serde(default)]
    pub certificate_mappings: Vec<CertificateMappingConfig>,
    /// PEM files of the CA certificates that issue the mapped client
    /// certificates (the TLS listener asks for certificates they issued).
    #[serde(default)]
    pub certificate_authorities: Vec<String>,
    /// `MaxEnvelopeSizekb`: the largest SOAP envelope the service takes
    /// (500 on Windows Server 2012 and later, 150 on 2008 R2; an
    /// administrator may lower it to 32). Larger requests get HTTP 413.
    #[serde(default = "max_envelope_size_kb")]
    pub max_envelope_size_kb: u32,
    /// The PSRP protocol version its SESSION_CAPABILITY announces: 2.3
    /// (Windows PowerShell 5.1), or 2.1 for a Windows Server 2008 R2.
    #[serde(default = "psrp_protocol_version")]
    pub protocol_version: String,
}

/// One client-certificate mapping of a computer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateMappingConfig {
    /// The certificate's UPN, e-mail or DNS name, or its subject common name.
    pub subject: String,
    /// SHA-1 thumbprint of the issuing CA certificate (40 hex digits).
    pub issuer_thumbprint: String,
    /// The lab user it logs on as (`DOMAIN\name`).
    pub user: String,
}

fn loopback() -> String {
    "127.0.0.1".into()
}

fn http_port() -> u16 {
    5985
}

fn max_envelope_size_kb() -> u32 {
    500
}

fn psrp_protocol_version() -> String {
    crate::protocol::psrp::messages::PROTOCOL_VERSION.into()
}

/// A session configuration (`Get-PSSessionConfiguration`), with its quotas.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigurationConfig {
    pub name: String,
    #[serde(default = "idle")]
    pub idle_timeout_ms: i64,
    #[serde(default = "max_idle")]
    pub max_idle_timeout_ms: i64,
    #[serde(default = "block")]
    pub output_buffering_mode: String,
    #[serde(default = "shells_per_user")]
    pub max_shells_per_user: i64,
    #[serde(default = "users")]
    pub max_concurrent_users: i64,
    /// Who may connect: `Everyone AccessAllowed`, or users/groups by name.
    #[serde(default = "everyone")]
    pub permission: String,
}

fn idle() -> i64 {
    7_200_000
}
fn max_idle() -> i64 {
    2_147_483_647
}
fn block() -> String {
    "Block".into()
}
fn shells_per_user() -> i64 {
    25
}
fn users() -> i64 {
    5
}
fn everyone() -> String {
    r"BUILTIN\Administrators AccessAllowed, BUILTIN\Remote Management Users AccessAllowed".into()
}

impl ConfigurationConfig {
    /// As the lab's script interpreter and computer see it.
    pub fn to_session_configuration(&self) -> SessionConfiguration {
        SessionConfiguration {
            name: self.name.clone(),
            permission: self.permission.clone(),
            idle_timeout_ms: self.idle_timeout_ms,
            max_idle_timeout_ms: self.max_idle_timeout_ms,
            output_buffering_mode: self.output_buffering_mode.clone(),
            max_shells_per_user: self.max_shells_per_user,
            max_concurrent_users: self.max_concurrent_users,
            max_shells: self.max_shells_per_user.max(25),
            resource_uri: format!("http://schemas.microsoft.com/powershell/{}", self.name),
            ..SessionConfiguration::default()
        }
    }
}

/// A session that exists when the lab starts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSession {
    /// Left out in `[[fleet.sessions]]` (every computer of the fleet).
    #[serde(default)]
    pub computer: String,
    pub owner: String,
    pub name: String,
    #[serde(default = "default_configuration")]
    pub configuration: String,
    /// A pipeline started in the session, if any.
    #[serde(default)]
    pub script: Option<String>,
    /// `disconnected` (connectable, Availability None), `busy` (attached to
    /// another client), or `connected` (attached, and detached after a minute
    /// without a Receive, as on Windows).
    #[serde(default = "disconnected")]
    pub state: String,
    #[serde(default)]
    pub idle_timeout_sec: Option<u64>,
    #[serde(default)]
    pub buffer_mode: Option<String>,
    /// The address the session was created from (ClientIP).
    #[serde(default = "client_ip")]
    pub client_ip: String,
    /// Created as Windows PowerShell creates shells: with
    /// `rsp:CompressionType xpress`, so its stream data is Xpress
    /// compressed (`CompressionMode=XpressCompression`).
    #[serde(default)]
    pub compression: bool,
}

fn default_configuration() -> String {
    "Microsoft.PowerShell".into()
}
fn disconnected() -> String {
    "disconnected".into()
}
fn client_ip() -> String {
    "10.0.0.21".into()
}

/// A clear error for a lab file that does not load.
#[derive(Debug, thiserror::Error)]
#[error("the lab file is not valid: {0}")]
pub struct LabConfigError(pub String);

impl LabConfig {
    /// Parses a lab file.
    pub fn from_toml(text: &str) -> Result<LabConfig, LabConfigError> {
        let mut cfg: LabConfig = toml::from_str(text).map_err(|e| LabConfigError(e.to_string()))?;
        if let Some(fleet) = &cfg.fleet {
            let (computers, sessions) = fleet.expand()?;
            cfg.computers.extend(computers);
            cfg.sessions.extend(sessions);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The built-in demo: Srv1, Srv2 and Srv30 with the technician's ITTask
    /// sessions of the Disconnect-PSSession reference page.
    pub fn demo() -> LabConfig {
        // The demo file is part of the binary and tested; it always parses.
        LabConfig::from_toml(DEMO_TOML).unwrap_or_else(|e| panic!("built-in demo lab: {e}"))
    }

    fn validate(&self) -> Result<(), LabConfigError> {
        if self.computers.is_empty() {
            return Err(LabConfigError("it has no computers".into()));
        }
        if self.configurations.is_empty() {
            return Err(LabConfigError("it has no session configurations".into()));
        }
        for u in &self.users {
            if !u.name.contains('\\') || u.password.is_empty() {
                return Err(LabConfigError(format!(
                    "user {:?} must be written DOMAIN\\name and have a password",
                    u.name
                )));
            }
        }
        for c in &self.computers {
            if !matches!(c.protocol_version.as_str(), "2.1" | "2.2" | "2.3") {
                return Err(LabConfigError(format!(
                    "computer {}: protocol_version {:?} is not one Windows speaks (2.1, 2.2 or 2.3)",
                    c.name, c.protocol_version
                )));
            }
            if !(32..=8192).contains(&c.max_envelope_size_kb) {
                return Err(LabConfigError(format!(
                    "computer {}: max_envelope_size_kb {} is outside 32 to 8192 (Windows' MaxEnvelopeSizekb)",
                    c.name, c.max_envelope_size_kb
                )));
            }
            if !c.certificate_mappings.is_empty() && !self.https {
                return Err(LabConfigError(format!(
                    "computer {} has certificate mappings: they need https = true",
                    c.name
                )));
            }
            if !c.certificate_mappings.is_empty() && c.certificate_authorities.is_empty() {
                return Err(LabConfigError(format!(
                    "computer {} has certificate mappings but no certificate_authorities (the PEM files of their issuers)",
                    c.name
                )));
            }
            for m in &c.certificate_mappings {
                if crate::model::certificate::normalize_thumbprint(&m.issuer_thumbprint).is_none() {
                    return Err(LabConfigError(format!(
                        "computer {}: the mapping of {} has issuer_thumbprint {:?}; give the CA's SHA-1 thumbprint (40 hex digits)",
                        c.name, m.subject, m.issuer_thumbprint
                    )));
                }
                if !self
                    .users
                    .iter()
                    .any(|u| u.name.eq_ignore_ascii_case(&m.user))
                {
                    return Err(LabConfigError(format!(
                        "computer {}: the mapping of {} names an unknown user {}",
                        c.name, m.subject, m.user
                    )));
                }
            }
        }
        // Sets, not scans: a fleet has thousands of computers and sessions.
        let computers: std::collections::HashSet<String> = self
            .computers
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        let users: std::collections::HashSet<String> = self
            .users
            .iter()
            .map(|u| u.name.to_ascii_lowercase())
            .collect();
        for s in &self.sessions {
            if !computers.contains(&s.computer.to_ascii_lowercase()) {
                return Err(LabConfigError(format!(
                    "session {} names an unknown computer {}",
                    s.name, s.computer
                )));
            }
            if !users.contains(&s.owner.to_ascii_lowercase()) {
                return Err(LabConfigError(format!(
                    "session {} names an unknown owner {}",
                    s.name, s.owner
                )));
            }
            if !["disconnected", "busy", "connected"].contains(&s.state.as_str()) {
                return Err(LabConfigError(format!(
                    "session {} has state {:?}; use disconnected, busy or connected",
                    s.name, s.state
                )));
            }
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(LabConfigError(
                "time_scale must be a positive number".into(),
            ));
        }
        Ok(())
    }
}
