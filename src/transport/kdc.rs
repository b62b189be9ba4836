//! The Kerberos client's network side: finding the KDC of a realm
//! (`KRB5_CONFIG`/krb5.conf `[realms]`, then DNS SRV `_kerberos._tcp.REALM`)
//! and carrying AS/TGS messages to it over TCP (or UDP when krb5.conf says
//! `udp/`). The parsing and the Kerberos logic are sans-IO in
//! [`crate::protocol::auth::kerberos`].

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::TransportError;
use crate::protocol::ProtocolError;
use crate::protocol::auth::Mechanism;
use crate::protocol::auth::kerberos::{
    self, KdcAddress, KdcExchange, KdcProtocol, KdcReply, KdcRequest, Krb5Conf, MAX_KDC_REPLY,
};

/// The longest one KDC exchange may take (Negotiate falls back to NTLM after
/// it), whatever the request timeout.
const MAX_KDC_WAIT: Duration = Duration::from_secs(15);

/// How long one DNS query may take before the next nameserver is asked.
const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the Kerberos client's settings come from on one operating system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerberosPlaces {
    /// The krb5.conf (krb5.ini) files in effect, in order; missing ones are
    /// skipped.
    pub config_files: Vec<PathBuf>,
    /// The realm when neither the user name nor the files name one
    /// (Windows: the logged-on user's `USERDNSDOMAIN`).
    pub default_realm: Option<String>,
    /// Whether DNS SRV records are asked for when the files leave
    /// `dns_lookup_kdc` unset: on Windows, where domain controllers are
    /// always found through DNS, yes.
    pub dns_by_default: bool,
    /// Where the DNS servers are listed.
    pub nameservers: Nameservers,
}

/// Where the DNS servers that answer SRV queries are listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nameservers {
    /// A resolv.conf file (Linux, the BSDs, macOS).
    ResolvConf(PathBuf),
    /// The system's network adapters (Windows).
    System,
}

/// Where the Kerberos settings are on the operating system `os`
/// (`std::env::consts::OS`), with `env` the environment: one function for
/// every platform's rules, so each is tested anywhere.
///
/// - `KRB5_CONFIG` (`;`-separated on Windows, `:` elsewhere) names the
///   files on every platform, as MIT Kerberos reads it.
/// - Windows: MIT Kerberos for Windows' `%ProgramData%\MIT\Kerberos5\krb5.ini`,
///   then `%windir%\krb5.ini`; the realm from `USERDNSDOMAIN`; DNS servers
///   from the network adapters, asked by default.
/// - macOS: `/Library/Preferences/edu.mit.Kerberos`, then `/etc/krb5.conf`.
/// - Linux and the BSDs: `/etc/krb5.conf`, then `/usr/local/etc/krb5.conf`.
pub fn kerberos_places(os: &str, env: impl Fn(&str) -> Option<OsString>) -> KerberosPlaces {
    let windows = os == "windows";
    let separator = if windows { ';' } else { ':' };
    let listed: Option<Vec<PathBuf>> = env("KRB5_CONFIG").map(|v| {
        v.to_string_lossy()
            .split(separator)
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .collect()
    });
    let set = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let defaults = match os {
        "windows" => {
            let mut files = Vec::new();
            if let Some(data) = set("ProgramData") {
                files.push(data.join("MIT").join("Kerberos5").join("krb5.ini"));
            }
            if let Some(windir) = set("windir").or_else(|| set("SystemRoot")) {
                files.push(windir.join("krb5.ini"));
            }
            files
        }
        "macos" => vec![
            PathBuf::from("/Library/Preferences/edu.mit.Kerberos"),
            PathBuf::from("/etc/krb5.conf"),
        ],
        _ => vec![
            PathBuf::from("/etc/krb5.conf"),
            PathBuf::from("/usr/local/etc/krb5.conf"),
        ],
    };
    KerberosPlaces {
        config_files: listed.unwrap_or(defaults),
        default_realm: if windows {
            env("USERDNSDOMAIN")
                .map(|v| v.to_string_lossy().trim().to_ascii_uppercase())
                .filter(|v| !v.is_empty())
        } else {
            None
        },
        dns_by_default: windows,
        nameservers: if windows {
            Nameservers::System
        } else {
            Nameservers::ResolvConf(PathBuf::from("/etc/resolv.conf"))
        },
    }
}

/// [`kerberos_places`] for this computer.
pub fn places() -> KerberosPlaces {
    kerberos_places(std::env::consts::OS, |name| std::env::var_os(name))
}

/// The krb5.conf files in effect here (see [`kerberos_places`]).
pub fn krb5_config_paths() -> Vec<PathBuf> {
    places().config_files
}

/// Reads and merges the krb5.conf files in effect (missing files are
/// skipped), then the platform's defaults for what they leave unset.
///
/// The merged result is kept for the process and read again only when one of
/// the files changes (appears, goes, or changes size or modification time):
/// a sweep of many computers asks once per connection.
pub fn load_krb5_conf() -> Krb5Conf {
    type Stamp = Vec<Option<(u64, Option<std::time::SystemTime>)>>;
    static LOADED: std::sync::Mutex<Option<(Vec<PathBuf>, Stamp, Krb5Conf)>> =
        std::sync::Mutex::new(None);
    let places = places();
    let stamp: Stamp = places
        .config_files
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.len(), m.modified().ok()))
        })
        .collect();
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((files, seen, conf)) = loaded.as_ref()
        && *files == places.config_files
        && *seen == stamp
        && stamp
            .iter()
            .flatten()
            .all(|(_, modified)| modified.is_some())
    {
        let mut conf = conf.clone();
        apply_platform_defaults(&mut conf, &places);
        return conf;
    }
    let conf = read_krb5_conf(&places);
    *loaded = Some((places.config_files.clone(), stamp, conf.clone()));
    drop(loaded);
    let mut conf = conf;
    apply_platform_defaults(&mut conf, &places);
    conf
}

/// The krb5.conf files of `places`, read and merged (missing files skipped).
fn read_krb5_conf(places: &KerberosPlaces) -> Krb5Conf {
    let mut conf = Krb5Conf::default();
    for p in &places.config_files {
        if let Ok(text) = std::fs::read_to_string(p) {
            conf.merge_text(&text);
        }
    }
    conf
}

/// Fills in what the files left unset from the platform's rules.
pub fn apply_platform_defaults(conf: &mut Krb5Conf, places: &KerberosPlaces) {
    if conf.default_realm.is_none() {
        conf.default_realm.clone_from(&places.default_realm);
    }
    if conf.dns_lookup_kdc.is_none() && places.dns_by_default {
        conf.dns_lookup_kdc = Some(true);
    }
}

/// The DNS servers to ask, at most three, from where `places` says.
pub fn nameservers(places: &KerberosPlaces) -> Vec<SocketAddr> {
    let listed: Vec<std::net::IpAddr> = match &places.nameservers {
        Nameservers::ResolvConf(path) => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            kerberos::resolv_conf_nameservers(&text)
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect()
        }
        Nameservers::System => system_nameservers(),
    };
    listed
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 53))
        .take(3)
        .collect()
}

/// The DNS servers of the network adapters that are up (Windows).
#[cfg(windows)]
fn system_nameservers() -> Vec<std::net::IpAddr> {
    let Ok(adapters) = ipconfig::get_adapters() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for a in adapters
        .iter()
        .filter(|a| a.oper_status() == ipconfig::OperStatus::IfOperStatusUp)
    {
        for ip in a.dns_servers() {
            if !found.contains(ip) {
                found.push(*ip);
            }
        }
    }
    found
}

#[cfg(not(windows))]
fn system_nameservers() -> Vec<std::net::IpAddr> {
    Vec::new()
}

/// Where the KDCs of a user's realm are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedKdc {
    /// The realm (upper case as configured).
    pub realm: String,
    /// Its KDCs, preferred first (never empty).
    pub kdcs: Vec<KdcAddress>,
}

/// Finds the KDCs for `user`'s realm: krb5.conf `[realms]` first, then (when
/// `dns` allows it and the realm is a DNS name) the SRV records
/// `_kerberos._tcp.REALM` and `_kerberos._udp.REALM`.
///
/// `dns`: `None` follows krb5.conf's `dns_lookup_kdc` (default true);
/// `Some(false)` never asks DNS; `Some(true)` asks unless krb5.conf says false.
pub async fn locate_kdc(user: &str, dns: Option<bool>) -> Result<LocatedKdc, String> {
    let conf = load_krb5_conf();
    locate_kdc_with(&conf, user, dns).await
}

/// [`locate_kdc`] with an already loaded configuration.
pub async fn locate_kdc_with(
    conf: &Krb5Conf,
    user: &str,
    dns: Option<bool>,
) -> Result<LocatedKdc, String> {
    // The nameservers are read only where DNS may be asked.
    let servers = if dns == Some(false) || conf.dns_lookup_kdc == Some(false) {
        Vec::new()
    } else {
        nameservers(&places())
    };
    locate_kdc_via(conf, user, dns, &servers).await
}

/// [`locate_kdc_with`] asking the given DNS servers (instead of
/// the platform's, see [`nameservers`]) for SRV records.
pub async fn locate_kdc_via(
    conf: &Krb5Conf,
    user: &str,
    dns: Option<bool>,
    nameservers: &[SocketAddr],
) -> Result<LocatedKdc, String> {
    let realm = kerberos::user_realm(user, conf).ok_or_else(|| {
        "the user name names no realm (use user@REALM) and krb5.conf has no default_realm"
            .to_owned()
    })?;
    let kdcs = conf.kdcs(&realm);
    if !kdcs.is_empty() {
        return Ok(LocatedKdc { realm, kdcs });
    }
    let use_dns = match (dns, conf.dns_lookup_kdc) {
        (Some(false), _) | (_, Some(false)) => false,
        (Some(true) | None, _) => true,
    };
    let mut tried_dns = false;
    if use_dns && kerberos::realm_is_dns_name(&realm) {
        tried_dns = true;
        let mut kdcs = Vec::new();
        for (proto, label) in [(KdcProtocol::Tcp, "_tcp"), (KdcProtocol::Udp, "_udp")] {
            let name = format!("_kerberos.{label}.{realm}");
            if let Ok(records) = srv_lookup(nameservers, &name).await {
                kdcs.extend(records.into_iter().map(|r| KdcAddress {
                    protocol: proto,
                    host: r.target,
                    port: r.port,
                }));
            }
            if !kdcs.is_empty() {
                break;
            }
        }
        if !kdcs.is_empty() {
            return Ok(LocatedKdc { realm, kdcs });
        }
    }
    Err(format!(
        "no KDC found for realm {realm}: krb5.conf ({}) has no [realms] {realm} kdc entry{}",
        krb5_config_paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":"),
        if tried_dns {
            format!(" and DNS has no _kerberos._tcp.{realm} SRV record")
        } else {
            String::new()
        }
    ))
}

/// What a connection's handshake needs for Kerberos: the KDC to give the
/// authenticator (none for mechanisms without Kerberos, or for Negotiate when
/// no KDC is configured, which then uses NTLM) and the link to carry KDC
/// messages. Kerberos without a KDC is an error naming where it looked.
///
/// `known`: the realm and KDCs to use instead of looking them up.
pub async fn prepare(
    mechanism: Mechanism,
    user: &str,
    timeout: Duration,
    known: Option<&LocatedKdc>,
) -> Result<(Option<(String, KdcAddress)>, NetworkKdc), TransportError> {
    let link = NetworkKdc::new(timeout.min(MAX_KDC_WAIT));
    if let Some(found) = known {
        return Ok(match mechanism {
            Mechanism::Kerberos | Mechanism::Negotiate => use_kdcs(found.clone(), link),
            Mechanism::Basic | Mechanism::Ntlm | Mechanism::CredSsp | Mechanism::Certificate => {
                (None, link)
            }
        });
    }
    match mechanism {
        Mechanism::Kerberos => {
            let found = locate_kdc(user, None).await.map_err(TransportError::Auth)?;
            Ok(use_kdcs(found, link))
        }
        // Negotiate tries Kerberos only for a user name that names its realm
        // or domain (a bare name would pick krb5.conf's default realm, which
        // on a stock Debian is ATHENA.MIT.EDU), and asks DNS only where
        // krb5.conf turns dns_lookup_kdc on: a connection to a computer
        // outside any realm must not wait on DNS or on someone else's KDC.
        Mechanism::Negotiate if !user.contains(['@', '\\']) => Ok((None, link)),
        Mechanism::Negotiate => {
            if let Ok(found) = locate_kdc(user, Some(false)).await {
                Ok(use_kdcs(found, link))
            } else {
                let conf = load_krb5_conf();
                match conf.dns_lookup_kdc {
                    Some(true) => match locate_kdc_with(&conf, user, Some(true)).await {
                        Ok(found) => Ok(use_kdcs(found, link)),
                        Err(_) => Ok((None, link)),
                    },
                    _ => Ok((None, link)),
                }
            }
        }
        Mechanism::Basic | Mechanism::Ntlm | Mechanism::CredSsp | Mechanism::Certificate => {
            Ok((None, link))
        }
    }
}

/// The first KDC of `found` for the authenticator, and the link that falls
/// back to the others.
fn use_kdcs(found: LocatedKdc, link: NetworkKdc) -> (Option<(String, KdcAddress)>, NetworkKdc) {
    let first = found
        .kdcs
        .first()
        .cloned()
        .map(|k| (found.realm.clone(), k));
    (first, link.with_alternates(found.kdcs))
}

/// A failed first authentication step as a transport error: a refused
/// logon ("access denied: …", e.g. the KDC's KDC_ERR_PREAUTH_FAILED) is
/// [`TransportError::AccessDenied`].
pub fn auth_error(e: ProtocolError, user: &str) -> TransportError {
    let text = e.to_string();
    if text.contains("access denied") {
        TransportError::AccessDenied(format!("{user}: {text}"))
    } else {
        TransportError::Auth(text)
    }
}

/// Asks the nameservers in turn for the SRV records of `name`.
async fn srv_lookup(
    nameservers: &[SocketAddr],
    name: &str,
) -> Result<Vec<kerberos::SrvRecord>, String> {
    let mut last = "no nameserver in /etc/resolv.conf".to_owned();
    for &addr in nameservers {
        let id: u16 = rand_id();
        let query = kerberos::srv_query(id, name).map_err(|e| e.to_string())?;
        let bind: SocketAddr = if addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let attempt = async {
            let sock = tokio::net::UdpSocket::bind(bind)
                .await
                .map_err(|e| e.to_string())?;
            sock.connect(addr).await.map_err(|e| e.to_string())?;
            sock.send(&query).await.map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; 4096];
            loop {
                let n = sock.recv(&mut buf).await.map_err(|e| e.to_string())?;
                // A reply to another id is ignored (spoofing or a late answer).
                if let Ok(r) = kerberos::parse_srv_reply(buf.get(..n).unwrap_or_default(), id) {
                    return Ok::<_, String>(r);
                }
            }
        };
        match tokio::time::timeout(DNS_TIMEOUT, attempt).await {
            Ok(Ok(records)) => return Ok(records),
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no answer within {DNS_TIMEOUT:?}"),
        }
    }
    Err(last)
}

/// A DNS query id nobody on the path can guess (std's `RandomState` keys
/// come from the operating system's random source).
fn rand_id() -> u16 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() & 0xffff) as u16
}

/// Carries KDC messages over the network, with a deadline per exchange. When
/// the KDC sspi asks for cannot be reached, the other KDCs of the realm are
/// tried in order.
#[derive(Debug, Clone)]
pub struct NetworkKdc {
    timeout: Duration,
    alternates: Vec<KdcAddress>,
}

impl NetworkKdc {
    /// A KDC link whose every exchange (connect, send, receive) must finish
    /// within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        NetworkKdc {
            timeout,
            alternates: Vec::new(),
        }
    }

    /// Other KDCs of the same realm, tried when the first cannot be reached.
    pub fn with_alternates(mut self, kdcs: Vec<KdcAddress>) -> Self {
        self.alternates = kdcs;
        self
    }

    async fn send(&self, kdc: &KdcAddress, data: &[u8]) -> Result<Vec<u8>, String> {
        let work = async {
            match kdc.protocol {
                KdcProtocol::Tcp => tcp_exchange(kdc, data).await,
                KdcProtocol::Udp => udp_exchange(kdc, data).await,
            }
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r.map_err(|e| format!("KDC {kdc}: {e}")),
            Err(_) => Err(format!(
                "KDC {kdc} did not answer within {:?}",
                self.timeout
            )),
        }
    }
}

impl KdcExchange for NetworkKdc {
    fn exchange(&mut self, request: KdcRequest) -> KdcReply<'_> {
        Box::pin(async move {
            let first = self.send(&request.kdc, &request.data).await;
            let Err(mut error) = first else {
                return first;
            };
            for alt in &self.alternates {
                if *alt == request.kdc {
                    continue;
                }
                // sspi framed the message for the first KDC's protocol.
                let data: Vec<u8> = match (request.kdc.protocol, alt.protocol) {
                    (KdcProtocol::Tcp, KdcProtocol::Udp) => {
                        request.data.get(4..).unwrap_or_default().to_vec()
                    }
                    (KdcProtocol::Udp, KdcProtocol::Tcp) => {
                        let mut d = (request.data.len() as u32).to_be_bytes().to_vec();
                        d.extend_from_slice(&request.data);
                        d
                    }
                    _ => request.data.clone(),
                };
                match self.send(alt, &data).await {
                    Ok(r) => return Ok(r),
                    Err(e) => error = format!("{error}; {e}"),
                }
            }
            Err(error)
        })
    }
}

async fn tcp_exchange(kdc: &KdcAddress, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = tokio::net::TcpStream::connect((kdc.host.as_str(), kdc.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    stream
        .write_all(data)
        .await
        .map_err(|e| format!("send failed: {e}"))?;
    let mut len = [0u8; 4];
    stream
        .read_exact(&mut len)
        .await
        .map_err(|e| format!("no reply: {e}"))?;
    let n = u32::from_be_bytes(len) as usize;
    if n > MAX_KDC_REPLY {
        return Err(format!("reply of {n} bytes is too large"));
    }
    let mut out = Vec::with_capacity(n + 4);
    out.extend_from_slice(&len);
    out.resize(n + 4, 0);
    stream
        .read_exact(out.get_mut(4..).unwrap_or_default())
        .await
        .map_err(|e| format!("reply cut short: {e}"))?;
    Ok(out)
}

async fn udp_exchange(kdc: &KdcAddress, data: &[u8]) -> Result<Vec<u8>, String> {
    let target = tokio::net::lookup_host((kdc.host.as_str(), kdc.port))
        .await
        .map_err(|e| format!("cannot resolve: {e}"))?
        .next()
        .ok_or_else(|| "the host name has no address".to_owned())?;
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot open a socket: {e}"))?;
    sock.connect(target)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    sock.send(data)
        .await
        .map_err(|e| format!("send failed: {e}"))?;
    let mut buf = vec![0u8; MAX_KDC_REPLY];
    let n = sock
        .recv(&mut buf)
        .await
        .map_err(|e| format!("no reply: {e}"))?;
    let mut out = (n as u32).to_be_bytes().to_vec();
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn windows_reads_krb5_ini_the_users_domain_and_the_adapters_dns() {
        let env = env_of(&[
            ("ProgramData", r"C:\ProgramData"),
            ("windir", r"C:\Windows"),
            ("USERDNSDOMAIN", "corp.contoso.com"),
        ]);
        let p = kerberos_places("windows", env);
        assert_eq!(
            p.config_files,
            [
                PathBuf::from(r"C:\ProgramData")
                    .join("MIT")
                    .join("Kerberos5")
                    .join("krb5.ini"),
                PathBuf::from(r"C:\Windows").join("krb5.ini"),
            ]
        );
        assert_eq!(p.default_realm.as_deref(), Some("CORP.CONTOSO.COM"));
        assert!(p.dns_by_default);
        assert_eq!(p.nameservers, Nameservers::System);
        // Without a krb5.ini, the domain's KDCs are found through DNS.
        let mut conf = Krb5Conf::default();
        apply_platform_defaults(&mut conf, &p);
        assert_eq!(conf.default_realm.as_deref(), Some("CORP.CONTOSO.COM"));
        assert_eq!(conf.dns_lookup_kdc, Some(true));
        // What a krb5.ini says wins over the platform's defaults.
        let mut conf = Krb5Conf::default();
        conf.merge_text("[libdefaults]\n default_realm = LAB.TEST\n dns_lookup_kdc = false\n");
        apply_platform_defaults(&mut conf, &p);
        assert_eq!(conf.default_realm.as_deref(), Some("LAB.TEST"));
        assert_eq!(conf.dns_lookup_kdc, Some(false));
        // KRB5_CONFIG is `;`-separated there (a `:` is part of a drive).
        let p = kerberos_places(
            "windows",
            env_of(&[("KRB5_CONFIG", r"C:\krb\a.ini;D:\b.ini")]),
        );
        assert_eq!(
            p.config_files,
            [PathBuf::from(r"C:\krb\a.ini"), PathBuf::from(r"D:\b.ini")]
        );
        assert_eq!(p.default_realm, None, "no USERDNSDOMAIN: not in a domain");
    }

    #[test]
    fn unix_and_macos_read_their_own_places() {
        let p = kerberos_places("linux", env_of(&[("USERDNSDOMAIN", "IGNORED")]));
        assert_eq!(
            p.config_files,
            [
                PathBuf::from("/etc/krb5.conf"),
                PathBuf::from("/usr/local/etc/krb5.conf")
            ]
        );
        assert_eq!(p.default_realm, None);
        assert!(
            !p.dns_by_default,
            "Linux asks DNS only where krb5.conf says so"
        );
        assert_eq!(
            p.nameservers,
            Nameservers::ResolvConf("/etc/resolv.conf".into())
        );
        let p = kerberos_places("macos", env_of(&[]));
        assert_eq!(
            p.config_files[0],
            PathBuf::from("/Library/Preferences/edu.mit.Kerberos")
        );
        let p = kerberos_places("linux", env_of(&[("KRB5_CONFIG", "/a.conf:/b.conf")]));
        assert_eq!(
            p.config_files,
            [PathBuf::from("/a.conf"), PathBuf::from("/b.conf")]
        );
    }
}
