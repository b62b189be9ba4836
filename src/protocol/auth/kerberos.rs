//! Kerberos for WinRM, sans-IO: where the KDC of a realm is (krb5.conf text
//! and DNS SRV answers, both parsed here; the transport reads the files and
//! sends the queries), what the security package asks the KDC
//! ([`KdcRequest`]), and how the transport answers ([`KdcExchange`]).
//!
//! The Kerberos client itself is the `sspi` crate's: its context yields each
//! AS/TGS request as a network request; [`super::client::ClientAuthenticator`]
//! hands it to a [`KdcExchange`] and resumes the context with the reply.

use std::future::Future;
use std::pin::Pin;

use crate::protocol::ProtocolError;

/// The default KDC port (RFC 4120 §7.2.3).
pub const KDC_PORT: u16 = 88;
/// The largest KDC reply accepted (Windows' default MaxTokenSize is 48000).
pub const MAX_KDC_REPLY: usize = 64 * 1024;

/// How a KDC is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdcProtocol {
    /// TCP with a 4-byte big-endian length prefix (RFC 4120 §7.2.2).
    Tcp,
    /// One datagram each way (RFC 4120 §7.2.1).
    Udp,
}

/// One KDC address: protocol, host name or IP literal, and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcAddress {
    pub protocol: KdcProtocol,
    pub host: String,
    pub port: u16,
}

impl KdcAddress {
    /// Parses a krb5.conf `kdc` value: `host`, `host:port`, `[v6]:port`,
    /// optionally prefixed with `tcp/` or `udp/` (MIT krb5.conf syntax). A
    /// bare value means TCP here: WinRM tickets with a PAC rarely fit a
    /// datagram.
    pub fn parse(value: &str) -> Result<Self, ProtocolError> {
        let bad = || ProtocolError::InvalidValue {
            what: "KDC address".into(),
            value: value.chars().take(100).collect(),
        };
        let v = value.trim();
        let (protocol, rest) = if let Some(r) = v.strip_prefix("tcp/") {
            (KdcProtocol::Tcp, r)
        } else if let Some(r) = v.strip_prefix("udp/") {
            (KdcProtocol::Udp, r)
        } else {
            (KdcProtocol::Tcp, v)
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, tail) = r.split_once(']').ok_or_else(bad)?;
            let port = match tail.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if tail.is_empty() => KDC_PORT,
                None => return Err(bad()),
            };
            (h, port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, p.parse().map_err(|_| bad())?),
                Some(_) => (rest, KDC_PORT),
                None => (rest, KDC_PORT),
            }
        };
        // The host goes into the URL the security package reads: anything
        // but a host name or an IPv6 literal would be rewritten there
        // (percent-encoded, or cut at `@`, `?`, `#`) and so reach another KDC.
        let literal = rest.starts_with('[') || host.contains(':');
        let valid = if literal {
            is_ipv6_literal(host)
        } else {
            is_host_name(host)
        };
        if !valid || port == 0 {
            return Err(bad());
        }
        Ok(KdcAddress {
            protocol,
            host: host.to_owned(),
            port,
        })
    }

    /// The URL form sspi takes (`tcp://host:port`).
    pub fn url(&self) -> String {
        let scheme = match self.protocol {
            KdcProtocol::Tcp => "tcp",
            KdcProtocol::Udp => "udp",
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for KdcAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}

/// One message for the KDC, as the security package produced it.
#[derive(Clone)]
pub struct KdcRequest {
    /// Where to send it.
    pub kdc: KdcAddress,
    /// For TCP the length-prefixed message; for UDP the bare message.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for KdcRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdcRequest")
            .field("kdc", &self.kdc)
            .field("len", &self.data.len())
            .finish()
    }
}

/// The future of one KDC exchange: the reply with its 4-byte big-endian
/// length prefix (also for UDP), or a message saying why the KDC could not
/// be reached.
pub type KdcReply<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send + 'a>>;

/// Sends KDC requests for the Kerberos client (the transport's part).
pub trait KdcExchange: Send {
    /// Sends `request` and returns the KDC's reply.
    fn exchange(&mut self, request: KdcRequest) -> KdcReply<'_>;
}

/// A [`KdcExchange`] for contexts that never talk to a KDC (NTLM, Basic):
/// any request is an error.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKdc;

impl KdcExchange for NoKdc {
    fn exchange(&mut self, request: KdcRequest) -> KdcReply<'_> {
        Box::pin(std::future::ready(Err(format!(
            "no KDC connection is available to reach {}",
            request.kdc
        ))))
    }
}

/// The parts of a krb5.conf that locate a KDC ([MIT krb5.conf]).
///
/// [MIT krb5.conf]: https://web.mit.edu/kerberos/krb5-latest/doc/admin/conf_files/krb5_conf.html
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Krb5Conf {
    /// `[libdefaults] default_realm`.
    pub default_realm: Option<String>,
    /// `[libdefaults] dns_lookup_kdc` (MIT's default is true).
    pub dns_lookup_kdc: Option<bool>,
    /// `[realms] REALM = { kdc = … }`, in file order.
    pub realms: Vec<(String, Vec<String>)>,
    /// `[domain_realm] .domain = REALM` / `host = REALM`, in file order.
    pub domain_realm: Vec<(String, String)>,
}

impl Krb5Conf {
    /// Parses krb5.conf text, merging into `self` (several files may be
    /// listed in `KRB5_CONFIG`; the first value of a relation wins).
    /// Unknown sections and relations are ignored; `include` lines are not
    /// followed.
    pub fn merge_text(&mut self, text: &str) {
        let mut section = String::new();
        let mut realm: Option<String> = None;
        let mut depth = 0usize;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if depth == 0 && line.starts_with('[') {
                section = line
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                realm = None;
                continue;
            }
            if line.starts_with('}') {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    realm = None;
                }
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            let value = value.trim();
            if value.starts_with('{') {
                // `name = {` opens a block; `name = { a = b }` opens and closes.
                let opens = value.matches('{').count();
                let closes = value.matches('}').count();
                if opens > closes {
                    depth += opens - closes;
                    if depth == 1 && section == "realms" {
                        realm = Some(name.to_owned());
                    }
                }
                continue;
            }
            let value = value.trim_end_matches('*').trim();
            match (section.as_str(), depth) {
                ("libdefaults", 0) => match name.to_ascii_lowercase().as_str() {
                    "default_realm" if self.default_realm.is_none() => {
                        self.default_realm = Some(value.to_owned());
                    }
                    "dns_lookup_kdc" | "dns_fallback" if self.dns_lookup_kdc.is_none() => {
                        self.dns_lookup_kdc = parse_bool(value);
                    }
                    _ => {}
                },
                ("realms", 1) if name.eq_ignore_ascii_case("kdc") => {
                    if let Some(r) = &realm {
                        match self.realms.iter_mut().find(|(n, _)| n == r) {
                            Some((_, kdcs)) => kdcs.push(value.to_owned()),
                            None => self.realms.push((r.clone(), vec![value.to_owned()])),
                        }
                    }
                }
                ("domain_realm", 0) => {
                    self.domain_realm
                        .push((name.to_ascii_lowercase(), value.to_owned()));
                }
                _ => {}
            }
        }
    }

    /// The KDCs configured for `realm` (exact, case-sensitive match, as MIT
    /// does); unparsable entries are skipped.
    pub fn kdcs(&self, realm: &str) -> Vec<KdcAddress> {
        self.realms
            .iter()
            .filter(|(r, _)| r == realm)
            .flat_map(|(_, k)| k.iter())
            .filter_map(|k| KdcAddress::parse(k).ok())
            .collect()
    }

    /// The realm `[domain_realm]` maps `host` to: an exact host entry, else
    /// the longest `.domain` suffix.
    pub fn realm_of_host(&self, host: &str) -> Option<&str> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some((_, r)) = self.domain_realm.iter().find(|(d, _)| *d == host) {
            return Some(r);
        }
        self.domain_realm
            .iter()
            .filter(|(d, _)| d.starts_with('.') && (host.ends_with(d.as_str()) || host == d[1..]))
            .max_by_key(|(d, _)| d.len())
            .map(|(_, r)| r.as_str())
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The realm of a user name: `user@realm.example` gives `REALM.EXAMPLE`;
/// `DOMAIN\user` gives the configured realm whose first label is `DOMAIN`
/// (a NetBIOS name), else `DOMAIN`; a bare `user` gives the default realm.
pub fn user_realm(user: &str, conf: &Krb5Conf) -> Option<String> {
    if let Some((_, suffix)) = user.rsplit_once('@') {
        let s = suffix.trim();
        return (!s.is_empty()).then(|| s.to_ascii_uppercase());
    }
    if let Some((domain, _)) = user.split_once('\\') {
        let d = domain.trim().to_ascii_uppercase();
        if d.is_empty() {
            return conf.default_realm.clone();
        }
        let configured = conf
            .realms
            .iter()
            .map(|(r, _)| r)
            .chain(conf.default_realm.iter())
            .find(|r| {
                r.split('.')
                    .next()
                    .is_some_and(|first| first.eq_ignore_ascii_case(&d))
            });
        return Some(configured.cloned().unwrap_or(d));
    }
    conf.default_realm.clone()
}

/// Whether a realm could have DNS SRV records: it must look like a DNS
/// domain (at least two labels of letters, digits and hyphens).
pub fn realm_is_dns_name(realm: &str) -> bool {
    let labels: Vec<&str> = realm.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && realm.len() <= 253
}

// ---------------------------------------------------------------------------
// DNS SRV (RFC 2782, RFC 1035 wire format), for `_kerberos._tcp.REALM`
// ---------------------------------------------------------------------------

/// Whether `s` is a DNS host name or an IPv4 address: letters, digits,
/// `-`, `_` (SRV owner names) and dots, at most 253 characters.
pub fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `s` looks like an IPv6 address (hex digits, colons, an
/// embedded IPv4 part), as written between brackets.
fn is_ipv6_literal(s: &str) -> bool {
    s.contains(':')
        && s.len() <= 45
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
}

/// One SRV answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// A DNS query (recursion desired) for the SRV records of `name`.
pub fn srv_query(id: u16, name: &str) -> Result<Vec<u8>, ProtocolError> {
    let mut q = Vec::with_capacity(18 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| ProtocolError::InvalidValue {
                what: "DNS name".into(),
                value: name.chars().take(100).collect(),
            })?;
        q.push(len);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&[0, 33, 0, 1]); // QTYPE SRV, QCLASS IN
    Ok(q)
}

fn dns_err(what: &str) -> ProtocolError {
    ProtocolError::InvalidValue {
        what: "DNS reply".into(),
        value: what.to_owned(),
    }
}

/// Reads a (possibly compressed) name at `pos`; returns it and the position
/// after it in the original sequence.
fn read_name(msg: &[u8], mut pos: usize) -> Result<(String, usize), ProtocolError> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *msg
            .get(pos)
            .ok_or_else(|| dns_err("name runs past the end"))?;
        match len {
            0 => {
                let after = end.unwrap_or(pos + 1);
                return Ok((labels.join("."), after));
            }
            l if l & 0xc0 == 0xc0 => {
                let lo = *msg.get(pos + 1).ok_or_else(|| dns_err("bad pointer"))?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                pos = (usize::from(l & 0x3f) << 8) | usize::from(lo);
            }
            l if l & 0xc0 == 0 => {
                let l = usize::from(l);
                let label = msg
                    .get(pos + 1..pos + 1 + l)
                    .ok_or_else(|| dns_err("label runs past the end"))?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                pos += 1 + l;
            }
            _ => return Err(dns_err("unknown label type")),
        }
    }
    Err(dns_err("name too long or looping"))
}

fn u16_at(msg: &[u8], pos: usize) -> Result<u16, ProtocolError> {
    msg.get(pos..pos + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| dns_err("truncated"))
}

/// Parses the reply to [`srv_query`] with the same `id`: the SRV records,
/// best first (lowest priority, then highest weight). NXDOMAIN or no answer
/// gives an empty list; a target of `.` means "no service" (RFC 2782).
pub fn parse_srv_reply(msg: &[u8], id: u16) -> Result<Vec<SrvRecord>, ProtocolError> {
    if u16_at(msg, 0)? != id {
        return Err(dns_err("answer to another query"));
    }
    let flags = u16_at(msg, 2)?;
    if flags & 0x8000 == 0 {
        return Err(dns_err("not a response"));
    }
    let rcode = flags & 0x000f;
    if rcode == 3 {
        return Ok(Vec::new());
    }
    if rcode != 0 {
        return Err(dns_err(&format!("server failure (rcode {rcode})")));
    }
    let qd = u16_at(msg, 4)?;
    let an = u16_at(msg, 6)?;
    let mut pos = 12;
    for _ in 0..qd {
        let (_, p) = read_name(msg, pos)?;
        pos = p + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        let (_, p) = read_name(msg, pos)?;
        let rtype = u16_at(msg, p)?;
        let rdlen = usize::from(u16_at(msg, p + 8)?);
        let rdata = p + 10;
        if rdata + rdlen > msg.len() {
            return Err(dns_err("record runs past the end"));
        }
        if rtype == 33 && rdlen >= 7 {
            let (target, _) = read_name(msg, rdata + 6)?;
            if !target.is_empty() && !is_host_name(&target) {
                return Err(dns_err("SRV target is not a host name"));
            }
            if !target.is_empty() {
                out.push(SrvRecord {
                    priority: u16_at(msg, rdata)?,
                    weight: u16_at(msg, rdata + 2)?,
                    port: u16_at(msg, rdata + 4)?,
                    target,
                });
            }
        }
        pos = rdata + rdlen;
    }
    out.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.weight.cmp(&a.weight)));
    Ok(out)
}

/// The first nameserver lines of resolv.conf text.
pub fn resolv_conf_nameservers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver"))
                .then(|| w.next().map(str::to_owned))
                .flatten()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Turns an sspi error from a Kerberos context into a message a person can
/// act on: a refused password reads as a logon failure ("access denied"),
/// an unreachable KDC names the KDC problem.
pub(crate) fn kerberos_error(e: &sspi::Error) -> ProtocolError {
    use sspi::ErrorKind as K;
    let d = &e.description;
    // sspi's texts for KDC_ERR_PREAUTH_FAILED (24), KDC_ERR_KEY_EXPIRED (23),
    // KDC_ERR_C_PRINCIPAL_UNKNOWN (6), KDC_ERR_CLIENT_REVOKED (18) and
    // KDC_ERR_S_PRINCIPAL_UNKNOWN (7) (sspi 0.23 utils.rs), or MIT's e-text.
    let text = if d.contains("pre-authentication information was invalid")
        || d.contains("PREAUTH_FAILED")
    {
        format!("access denied: logon failure: the KDC refused the user name or password ({d})")
    } else if d.contains("password has expired") {
        format!("access denied: logon failure: the password has expired ({d})")
    } else if d.contains("client not found in Kerberos database") || d.contains("CLIENT_NOT_FOUND")
    {
        format!("access denied: logon failure: the KDC does not know this user ({d})")
    } else if d.contains("credentials have been revoked") {
        format!("access denied: logon failure: the account is disabled or locked out ({d})")
    } else if d.contains("server not found in Kerberos database") || d.contains("SERVER_NOT_FOUND")
    {
        format!(
            "the KDC has no service principal for this computer (HTTP/<host>); use the name registered in the realm ({d})"
        )
    } else if matches!(e.error_type, K::NoAuthenticatingAuthority) {
        format!("kerberos: no KDC could be reached: {d}")
    } else if matches!(e.error_type, K::TimeSkew) {
        format!("kerberos: the clocks of this computer and the KDC differ too much ({d})")
    } else {
        format!("kerberos: {:?}: {d}", e.error_type)
    };
    ProtocolError::Auth(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdc_addresses() {
        let a = KdcAddress::parse("kdc.example.com").unwrap();
        assert_eq!(
            (a.protocol, a.host.as_str(), a.port),
            (KdcProtocol::Tcp, "kdc.example.com", 88)
        );
        let a = KdcAddress::parse("udp/10.0.0.1:750").unwrap();
        assert_eq!((a.protocol, a.port), (KdcProtocol::Udp, 750));
        let a = KdcAddress::parse("[::1]:8888").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("::1", 8888));
        assert_eq!(a.url(), "tcp://[::1]:8888");
        assert!(KdcAddress::parse("host:notaport").is_err());
        assert!(KdcAddress::parse("").is_err());
        assert!(KdcAddress::parse("a b:88").is_err());
        // Found by fuzzing: hosts the KDC URL would rewrite.
        for rewritten in [
            "\u{e9}kdc",
            "user@kdc",
            "kdc?x",
            "kdc#x",
            "[fe80::1%eth0]",
            "[kdc]",
        ] {
            assert!(KdcAddress::parse(rewritten).is_err(), "{rewritten}");
        }
        assert_eq!(KdcAddress::parse("fd00::1").unwrap().host, "fd00::1");
    }

    const CONF: &str = r"
# comment
[libdefaults]
    default_realm = EXAMPLE.COM
    dns_lookup_kdc = false
[realms]
    EXAMPLE.COM = {
        kdc = kdc1.example.com:88
        kdc = tcp/kdc2.example.com
        admin_server = kdc1.example.com
        v4_name_convert = {
            host = { rcmd = host }
        }
    }
    CORP.TEST = {
        kdc = 127.0.0.1:6088
    }
[domain_realm]
    .example.com = EXAMPLE.COM
    .dev.example.com = DEV.EXAMPLE.COM
    special.example.com = CORP.TEST
";

    #[test]
    fn krb5_conf_sections() {
        let mut c = Krb5Conf::default();
        c.merge_text(CONF);
        assert_eq!(c.default_realm.as_deref(), Some("EXAMPLE.COM"));
        assert_eq!(c.dns_lookup_kdc, Some(false));
        let k = c.kdcs("EXAMPLE.COM");
        assert_eq!(k.len(), 2);
        assert_eq!(k[1].host, "kdc2.example.com");
        assert_eq!(c.kdcs("CORP.TEST")[0].port, 6088);
        assert!(c.kdcs("corp.test").is_empty());
        assert_eq!(
            c.realm_of_host("a.dev.example.com"),
            Some("DEV.EXAMPLE.COM")
        );
        assert_eq!(c.realm_of_host("special.example.com"), Some("CORP.TEST"));
        assert_eq!(c.realm_of_host("www.example.com"), Some("EXAMPLE.COM"));
        assert_eq!(c.realm_of_host("other.org"), None);
        // a second file does not override the first's default realm
        c.merge_text("[libdefaults]\ndefault_realm = OTHER\n");
        assert_eq!(c.default_realm.as_deref(), Some("EXAMPLE.COM"));
    }

    #[test]
    fn realms_of_users() {
        let mut c = Krb5Conf::default();
        c.merge_text(CONF);
        assert_eq!(
            user_realm("bob@corp.test", &c).as_deref(),
            Some("CORP.TEST")
        );
        assert_eq!(user_realm("CORP\\bob", &c).as_deref(), Some("CORP.TEST"));
        assert_eq!(user_realm("NOPE\\bob", &c).as_deref(), Some("NOPE"));
        assert_eq!(user_realm("bob", &c).as_deref(), Some("EXAMPLE.COM"));
        assert!(realm_is_dns_name("EXAMPLE.COM"));
        assert!(!realm_is_dns_name("DOMAIN01"));
        assert!(!realm_is_dns_name("A..B"));
    }

    #[test]
    fn srv_round_trip() {
        let q = srv_query(0x1234, "_kerberos._tcp.EXAMPLE.COM").unwrap();
        assert_eq!(&q[12..22], b"\x09_kerberos");
        // A reply: the question, then two answers pointing back at it.
        let mut r = q.clone();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 2;
        for (prio, weight, port, target) in [(10u16, 5u16, 88u16, "kdc2"), (0, 0, 8888, "kdc1")] {
            r.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60]);
            let mut rdata = Vec::new();
            rdata.extend_from_slice(&prio.to_be_bytes());
            rdata.extend_from_slice(&weight.to_be_bytes());
            rdata.extend_from_slice(&port.to_be_bytes());
            rdata.push(target.len() as u8);
            rdata.extend_from_slice(target.as_bytes());
            rdata.extend_from_slice(&[0xc0, 27]); // "EXAMPLE.COM" in the question
            r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            r.extend_from_slice(&rdata);
        }
        let recs = parse_srv_reply(&r, 0x1234).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].port, 8888);
        assert!(recs[0].target.starts_with("kdc1."), "{:?}", recs[0]);
        assert!(parse_srv_reply(&r, 0x9999).is_err());
        // NXDOMAIN
        let mut nx = q.clone();
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert!(parse_srv_reply(&nx, 0x1234).unwrap().is_empty());
        // truncated garbage never panics
        for n in 0..r.len() {
            let _ = parse_srv_reply(&r[..n], 0x1234);
        }
    }

    #[test]
    fn nameservers() {
        let t = "# x\nnameserver 10.0.0.2\nsearch a\nnameserver ::1\n";
        assert_eq!(resolv_conf_nameservers(t), vec!["10.0.0.2", "::1"]);
    }
}
