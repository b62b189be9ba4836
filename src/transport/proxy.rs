//! HTTP proxies, as `New-PSSessionOption -ProxyAccessType/-ProxyAuthentication
//! /-ProxyCredential` configure them.
//!
//! An HTTPS endpoint is reached through an HTTP `CONNECT` tunnel: the proxy
//! only relays bytes, and TLS, the WinRM authentication and its sealing keys
//! stay end to end on that one tunnelled connection. A plain HTTP endpoint is
//! reached by sending each request to the proxy in absolute form
//! (`POST http://host:5985/wsman HTTP/1.1`), on one proxy connection per
//! authenticated WinRM connection.
//!
//! Where the settings come from (`ProxyAccessType`):
//! - `None`: no proxy settings; Baton connects directly.
//! - `IEConfig`, `WinHttpConfig`, `AutoDetect`: the system's proxy. Baton
//!   reads it from the environment on every platform: `HTTPS_PROXY` for
//!   https endpoints, `HTTP_PROXY` for http ones, and `NO_PROXY` for the
//!   hosts reached directly (lower-case names are read first). Internet
//!   Explorer, WinHTTP and WPAD settings are not read.
//! - `NoProxyServer`: never a proxy, whatever the environment says.
//!
//! Proxy authentication: Basic (sent with the first request, and with every
//! request in absolute form) or Negotiate (SPNEGO, or NTLM when the proxy only
//! offers that, authenticated once per proxy connection). Digest is refused.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use super::TransportError;
use super::http::Endpoint;
use crate::protocol::auth::client::{ClientAuthenticator, ClientStep};
use crate::protocol::auth::{self, Credentials, Mechanism};

/// Where proxy settings come from (`-ProxyAccessType`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyMode {
    /// `None`: no proxy settings; connect directly.
    #[default]
    None,
    /// `IEConfig`, `WinHttpConfig` or `AutoDetect`: the system's proxy, read
    /// from the environment (captured in [`SystemProxy`]).
    System(SystemProxy),
    /// `NoProxyServer`: never use a proxy.
    NoProxyServer,
}

/// The environment's proxy variables, captured once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SystemProxy {
    /// `HTTPS_PROXY`: the proxy for https endpoints.
    pub https: Option<String>,
    /// `HTTP_PROXY`: the proxy for http endpoints.
    pub http: Option<String>,
    /// `NO_PROXY`: comma-separated hosts (`host`, `.domain`, `*`, `host:port`)
    /// reached directly.
    pub no_proxy: Option<String>,
}

impl std::fmt::Debug for SystemProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<String>| v.as_deref().map(without_userinfo);
        f.debug_struct("SystemProxy")
            .field("https", &show(&self.https))
            .field("http", &show(&self.http))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// A proxy URL with any `user:password@` replaced, for messages and logs.
fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}<credential>@{host}"),
        None => url.to_owned(),
    }
}

impl SystemProxy {
    /// The variables of this process's environment (lower-case names first,
    /// as curl reads them; empty values count as unset).
    pub fn from_env() -> Self {
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        SystemProxy {
            https: var(["https_proxy", "HTTPS_PROXY"]),
            http: var(["http_proxy", "HTTP_PROXY"]),
            no_proxy: var(["no_proxy", "NO_PROXY"]),
        }
    }

    /// The proxy for `target`, or `None` when it is reached directly.
    pub fn proxy_for(&self, target: &Endpoint) -> Result<Option<ProxyServer>, TransportError> {
        let url = if target.https {
            &self.https
        } else {
            &self.http
        };
        let Some(url) = url else { return Ok(None) };
        if let Some(list) = &self.no_proxy
            && bypasses(list, &target.host, target.port)
        {
            return Ok(None);
        }
        ProxyServer::parse(url).map(Some)
    }
}

/// True when the `NO_PROXY` list names `host` (or its domain, or `*`).
pub fn bypasses(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    no_proxy.split([',', ' ']).any(|entry| {
        let entry = entry.trim();
        if entry.is_empty() {
            return false;
        }
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('[');
        let (name, entry_port) = match entry.rsplit_once(':') {
            // An IPv6 address without brackets has several colons.
            Some((n, p)) if !n.contains(':') || n.ends_with(']') => {
                (n.trim_end_matches(']'), p.parse::<u16>().ok())
            }
            _ => (entry.trim_end_matches(']'), None),
        };
        if entry_port.is_some_and(|p| p != port) {
            return false;
        }
        let name = name
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        !name.is_empty() && (host == name || host.ends_with(&format!(".{name}")))
    })
}

/// An HTTP proxy server.
#[derive(Clone)]
pub struct ProxyServer {
    pub host: String,
    pub port: u16,
    /// `user:password@` of the proxy URL, used when no proxy credential is given.
    pub credentials: Option<Credentials>,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "user",
                &self
                    .credentials
                    .as_ref()
                    .map(super::super::protocol::auth::Credentials::user),
            )
            .finish()
    }
}

impl ProxyServer {
    /// A proxy at `host:port`.
    pub fn new(host: &str, port: u16) -> Self {
        ProxyServer {
            host: host.to_owned(),
            port,
            credentials: None,
        }
    }

    /// Parses `[http://][user:password@]host[:port][/]` (port 1080 when
    /// absent, as curl assumes). Proxies spoken to over TLS or SOCKS are
    /// refused by name.
    pub fn parse(url: &str) -> Result<ProxyServer, TransportError> {
        let shown = without_userinfo(url.trim());
        let bad = |why: &str| TransportError::Proxy {
            proxy: shown.clone(),
            reason: why.to_owned(),
        };
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) => {
                if !scheme.eq_ignore_ascii_case("http") {
                    return Err(bad(&format!(
                        "{scheme}:// proxies are not supported; give an http:// proxy"
                    )));
                }
                rest
            }
            None => url,
        };
        let authority = rest.split('/').next().unwrap_or("");
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            let (h, after) = stripped.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("junk after the IPv6 address")),
            };
            (h, port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        // The one host rule, as for the computers: the proxy's name is
        // dialled and shown in messages.
        match crate::model::connection::check_host(host) {
            Ok(checked) if checked == host => {}
            Ok(_) => return Err(bad("the host has spaces around it")),
            Err(why) => return Err(bad(&why)),
        }
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad("invalid port"))?,
            None => 1080,
        };
        let credentials = match userinfo {
            Some(u) => {
                let (user, password) = u.split_once(':').unwrap_or((u, ""));
                let user = percent_decode(user).ok_or_else(|| bad("invalid %-escape"))?;
                let password = Zeroizing::new(
                    percent_decode(password).ok_or_else(|| bad("invalid %-escape"))?,
                );
                Some(Credentials::new(&user, password.as_str()).map_err(|e| bad(&e.to_string()))?)
            }
            None => None,
        };
        Ok(ProxyServer {
            host: host.to_owned(),
            port,
            credentials,
        })
    }

    /// `host:port` for messages.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `-ProxyAuthentication`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProxyAuthScheme {
    /// `Proxy-Authorization: Basic`.
    Basic,
    /// SPNEGO (or NTLM when the proxy offers only that), once per connection.
    #[default]
    Negotiate,
}

/// The proxy settings of a connection.
#[derive(Clone, Debug, Default)]
pub struct ProxySettings {
    pub mode: ProxyMode,
    pub auth: ProxyAuthScheme,
    /// `-ProxyCredential`; when absent, the proxy URL's `user:password@`.
    pub credentials: Option<Credentials>,
    /// Computer name NTLM reports to the proxy.
    pub workstation: String,
}

/// The proxy one connection goes through.
#[derive(Clone, Debug)]
pub struct ProxyRoute {
    pub server: ProxyServer,
    pub auth: ProxyAuthScheme,
    pub credentials: Option<Credentials>,
    pub workstation: String,
}

impl ProxySettings {
    /// No proxy.
    pub fn direct() -> Self {
        ProxySettings::default()
    }

    /// The route to `target`: `None` to connect directly.
    pub fn route(&self, target: &Endpoint) -> Result<Option<ProxyRoute>, TransportError> {
        let server = match &self.mode {
            ProxyMode::None | ProxyMode::NoProxyServer => return Ok(None),
            ProxyMode::System(system) => match system.proxy_for(target)? {
                Some(s) => s,
                None => return Ok(None),
            },
        };
        let credentials = self
            .credentials
            .clone()
            .or_else(|| server.credentials.clone());
        Ok(Some(ProxyRoute {
            server,
            auth: self.auth,
            credentials,
            workstation: if self.workstation.is_empty() {
                "BATON".into()
            } else {
                self.workstation.clone()
            },
        }))
    }
}

/// A connection to the proxy, ready to carry the WinRM connection.
pub(crate) struct ProxiedStream {
    pub stream: TcpStream,
    /// For absolute-form requests with Basic: the `Proxy-Authorization` sent
    /// with every request.
    pub per_request_authorization: Option<Zeroizing<String>>,
}

/// Dials the proxy of `route` and prepares it for `target`: a `CONNECT`
/// tunnel for https (authenticated as the proxy demands), or, for http, a
/// connection that carries absolute-form requests (authenticated first when
/// Negotiate is configured).
pub(crate) async fn open(
    route: &ProxyRoute,
    target: &Endpoint,
    timeout: Duration,
) -> Result<ProxiedStream, TransportError> {
    let server = &route.server;
    let mut stream = tokio::time::timeout(
        timeout,
        TcpStream::connect((server.host.as_str(), server.port)),
    )
    .await
    .map_err(|_| TransportError::Proxy {
        proxy: server.authority(),
        reason: format!("the proxy server did not answer within {timeout:?}"),
    })?
    .map_err(|e| TransportError::Proxy {
        proxy: server.authority(),
        reason: format!("cannot connect to the proxy server: {e}"),
    })?;
    let _ = stream.set_nodelay(true);
    let basic = match (&route.auth, &route.credentials) {
        (ProxyAuthScheme::Basic, Some(c)) => Some(auth::basic_authorization(c)),
        _ => None,
    };
    let authority = target.host_header_with_port();
    if target.https {
        let request = |authorization: Option<&str>| {
            let mut r = format!(
                "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nProxy-Connection: Keep-Alive\r\nUser-Agent: Baton/{}\r\n",
                env!("CARGO_PKG_VERSION")
            );
            if let Some(a) = authorization {
                r.push_str(&format!("Proxy-Authorization: {a}\r\n"));
            }
            r.push_str("\r\n");
            Zeroizing::new(r)
        };
        let head = authenticate(&mut stream, route, basic.clone(), true, request, timeout).await?;
        if !(200..300).contains(&head.status) {
            return Err(TransportError::Proxy {
                proxy: server.authority(),
                reason: format!(
                    "the proxy server refused to open a tunnel to {authority}: HTTP {} {}",
                    head.status, head.reason
                ),
            });
        }
        tracing::debug!(
            target: "baton::wire",
            "CONNECT tunnel to {authority} through {} open",
            server.authority()
        );
        return Ok(ProxiedStream {
            stream,
            per_request_authorization: None,
        });
    }
    if route.auth == ProxyAuthScheme::Negotiate && route.credentials.is_some() {
        // Authenticate this proxy connection with an empty request to the
        // target before hyper takes the socket over.
        let url = target.url();
        let host = target.host_header();
        let request = |authorization: Option<&str>| {
            let mut r = format!(
                "POST {url} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nProxy-Connection: Keep-Alive\r\nConnection: Keep-Alive\r\nUser-Agent: Baton/{}\r\n",
                env!("CARGO_PKG_VERSION")
            );
            if let Some(a) = authorization {
                r.push_str(&format!("Proxy-Authorization: {a}\r\n"));
            }
            r.push_str("\r\n");
            Zeroizing::new(r)
        };
        let head = authenticate(&mut stream, route, None, false, request, timeout).await?;
        // The authentication belongs to this proxy connection: it must say
        // it stays open (tinyproxy, for one, closes silently).
        if head.closes || !head.keep_alive {
            return Err(TransportError::Proxy {
                proxy: server.authority(),
                reason: "the proxy server closes its connection after each request, so a Negotiate proxy authentication cannot carry over to the next one; use an https endpoint (tunnelled) or -ProxyAuthentication Basic".into(),
            });
        }
    }
    Ok(ProxiedStream {
        stream,
        per_request_authorization: basic,
    })
}

/// The error for a 407 answer: no credential, or a refused one.
pub(crate) fn proxy_auth_error(
    route: &ProxyRoute,
    status: u16,
    offered: &[String],
    credential_sent: bool,
) -> TransportError {
    let schemes: Vec<&str> = offered
        .iter()
        .filter_map(|c| c.split_whitespace().next())
        .collect();
    let offered = if schemes.is_empty() {
        String::new()
    } else {
        format!("; it offers {}", schemes.join(", "))
    };
    let detail = match (&route.credentials, credential_sent) {
        (Some(c), true) => format!(
            "the proxy credential of {} ({:?} authentication){offered}",
            c.user(),
            route.auth
        ),
        _ => format!(
            "the request because it requires a proxy credential{offered}; give -ProxyCredential (or user:password in the proxy URL) and -ProxyAuthentication"
        ),
    };
    TransportError::ProxyAuthentication {
        proxy: route.server.authority(),
        status,
        detail,
    }
}

/// Runs requests built by `request` until the proxy answers something other
/// than 407, authenticating as `route` says. Returns that answer's head.
async fn authenticate(
    stream: &mut TcpStream,
    route: &ProxyRoute,
    mut authorization: Option<Zeroizing<String>>,
    connect: bool,
    request: impl Fn(Option<&str>) -> Zeroizing<String>,
    timeout: Duration,
) -> Result<Head, TransportError> {
    let mut authenticator: Option<ClientAuthenticator> = None;
    for _ in 0..8 {
        let req = request(authorization.as_deref().map(String::as_str));
        let head = exchange(stream, route, req.as_bytes(), connect, timeout).await?;
        // The answer to a CONNECT is the proxy's own: a 401 there is the
        // proxy refusing the credential (tinyproxy before 1.11.2 does so).
        if head.status != 407 && !(connect && head.status == 401) {
            return Ok(head);
        }
        let mut offered = head.all("proxy-authenticate");
        if head.status == 401 {
            offered.extend(head.all("www-authenticate"));
        }
        let (ProxyAuthScheme::Negotiate, Some(credentials)) = (route.auth, &route.credentials)
        else {
            return Err(proxy_auth_error(
                route,
                head.status,
                &offered,
                authorization.is_some(),
            ));
        };
        let next = match authenticator.as_mut() {
            None => {
                let offers = |s: &str| {
                    offered.iter().any(|c| {
                        c.split_whitespace()
                            .next()
                            .is_some_and(|x| x.eq_ignore_ascii_case(s))
                    })
                };
                let mechanism = if offers("Negotiate") {
                    Mechanism::Negotiate
                } else if offers("NTLM") {
                    Mechanism::Ntlm
                } else {
                    return Err(TransportError::ProxyAuthentication {
                        proxy: route.server.authority(),
                        status: head.status,
                        detail: format!(
                            "Negotiate authentication: it offers only {}; use -ProxyAuthentication Basic",
                            offered.join(", ")
                        ),
                    });
                };
                let mut a = ClientAuthenticator::new(
                    mechanism,
                    credentials.clone(),
                    &route.server.host,
                    &route.workstation,
                );
                let first = a.start().map_err(|e| TransportError::ProxyAuthentication {
                    proxy: route.server.authority(),
                    status: head.status,
                    detail: e.to_string(),
                })?;
                authenticator = Some(a);
                first
            }
            Some(a) => match a.on_response(401, offered.iter().map(String::as_str)) {
                Ok(ClientStep::Send(h)) => Zeroizing::new(h),
                Ok(ClientStep::Done) | Err(_) => {
                    return Err(proxy_auth_error(route, head.status, &offered, true));
                }
            },
        };
        if head.closes {
            return Err(TransportError::Proxy {
                proxy: route.server.authority(),
                reason: "the proxy server closed the connection in the middle of its Negotiate authentication".into(),
            });
        }
        authorization = Some(next);
    }
    Err(TransportError::Proxy {
        proxy: route.server.authority(),
        reason: "the proxy authentication handshake did not finish".into(),
    })
}

/// The status line and headers of one proxy answer.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: Vec<(String, String)>,
    /// The proxy closes the connection after this answer.
    pub(crate) closes: bool,
    /// The proxy said it keeps the connection open.
    pub(crate) keep_alive: bool,
}

impl Head {
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub(crate) fn first(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const MAX_HEAD: usize = 64 << 10;
const MAX_DRAINED_BODY: usize = 1 << 20;

/// Writes one request and reads the answer's head, then its body (none for a
/// successful CONNECT).
async fn exchange(
    stream: &mut TcpStream,
    route: &ProxyRoute,
    request: &[u8],
    connect: bool,
    timeout: Duration,
) -> Result<Head, TransportError> {
    let proxy = route.server.authority();
    let lost = |e: std::io::Error| TransportError::Proxy {
        proxy: proxy.clone(),
        reason: format!("the connection to the proxy server failed: {e}"),
    };
    let fut = async {
        super::trace::log_raw_request(&proxy, request);
        stream.write_all(request).await.map_err(lost)?;
        let mut buf = Vec::new();
        let end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            if buf.len() > MAX_HEAD {
                return Err(TransportError::Proxy {
                    proxy: proxy.clone(),
                    reason: "the proxy server's answer has oversized headers".into(),
                });
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.map_err(lost)?;
            if n == 0 {
                return Err(TransportError::Proxy {
                    proxy: proxy.clone(),
                    reason: "the proxy server closed the connection without an answer".into(),
                });
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        };
        let head =
            parse_head(buf.get(..end).unwrap_or(&[])).ok_or_else(|| TransportError::Proxy {
                proxy: proxy.clone(),
                reason: "the proxy server's answer is not HTTP/1.x".into(),
            })?;
        let leftover = buf.get(end + 4..).unwrap_or(&[]).to_vec();
        super::trace::log_raw_response(&proxy, head.status, &head.reason, &head.headers);
        if connect && (200..300).contains(&head.status) {
            if !leftover.is_empty() {
                return Err(TransportError::Proxy {
                    proxy: proxy.clone(),
                    reason: "the proxy server sent data before the tunnel was used".into(),
                });
            }
            return Ok(head);
        }
        drain_body(stream, &head, leftover).await.map_err(lost)?;
        Ok(head)
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| TransportError::Proxy {
            proxy: route.server.authority(),
            reason: format!("the proxy server did not answer within {timeout:?}"),
        })?
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads an answer's status line and headers (the bytes before the blank
/// line); None when it is not HTTP/1.x.
pub(crate) fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse::<u16>().ok()?;
    let reason = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    for line in lines {
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let mut head = Head {
        status,
        reason,
        headers,
        closes: version == "HTTP/1.0",
        keep_alive: false,
    };
    for name in ["connection", "proxy-connection"] {
        if let Some(v) = head.first(name) {
            if v.eq_ignore_ascii_case("close") {
                head.closes = true;
            } else if v.eq_ignore_ascii_case("keep-alive") {
                head.closes = false;
                head.keep_alive = true;
            }
        }
    }
    Some(head)
}

/// Reads and discards an answer's body (Content-Length or chunked). A body
/// of neither kind runs to the end of the connection, which then closes.
async fn drain_body(
    stream: &mut TcpStream,
    head: &Head,
    mut have: Vec<u8>,
) -> Result<(), std::io::Error> {
    let too_big = || std::io::Error::other("the proxy server's answer is too large");
    let mut chunk = [0u8; 4096];
    let chunked = head
        .first("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        // Read until the terminating zero-size chunk and its blank line.
        loop {
            if find(&have, b"\r\n0\r\n\r\n").is_some() || have.starts_with(b"0\r\n\r\n") {
                return Ok(());
            }
            if have.len() > MAX_DRAINED_BODY {
                return Err(too_big());
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            have.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        }
    }
    let Some(len) = head
        .first("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return Ok(());
    };
    if len > MAX_DRAINED_BODY {
        return Err(too_big());
    }
    while have.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls() {
        let p = ProxyServer::parse("http://proxy.corp:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        assert!(p.credentials.is_none());
        let p = ProxyServer::parse("10.0.0.1").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("10.0.0.1", 1080));
        let p = ProxyServer::parse("http://CORP%5Cuser:p%40ss@[::1]:8080").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 8080));
        let c = p.credentials.unwrap();
        assert_eq!((c.user(), c.password()), ("CORP\\user", "p@ss"));
        for bad in [
            "https://p:443",
            "socks5://p:1080",
            "http://:80",
            "http://p:x",
            // Found by fuzzing: a host that is no host, junk after [v6].
            ":1]:80",
            "http://[::1]junk:8080",
            "http://pro xy:8080",
        ] {
            let e = ProxyServer::parse(bad).unwrap_err();
            assert!(matches!(e, TransportError::Proxy { .. }), "{bad}: {e}");
        }
        let e = ProxyServer::parse("https://u:secret@p").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        let dbg = format!(
            "{:?}",
            SystemProxy {
                https: Some("http://u:secret@p:1".into()),
                ..SystemProxy::default()
            }
        );
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn no_proxy_matches_hosts_domains_and_ports() {
        assert!(bypasses(
            "localhost,.corp.example",
            "srv1.corp.example",
            5985
        ));
        assert!(bypasses("corp.example", "srv1.CORP.example", 5985));
        assert!(bypasses("corp.example", "corp.example", 5985));
        assert!(!bypasses("corp.example", "notcorp.example", 5985));
        assert!(bypasses("*", "anything", 1));
        assert!(bypasses("srv1:5986", "srv1", 5986));
        assert!(!bypasses("srv1:5986", "srv1", 5985));
        assert!(bypasses("127.0.0.1, ::1", "::1", 5985));
        assert!(bypasses("[::1]:5985", "[::1]", 5985));
        assert!(!bypasses("", "srv1", 5985));
    }

    #[test]
    fn system_proxy_picks_by_scheme_and_honours_no_proxy() {
        let sys = SystemProxy {
            https: Some("http://tunnel:3128".into()),
            http: Some("http://plain:8080".into()),
            no_proxy: Some(".lab".into()),
        };
        let https = Endpoint::parse("https://srv1.corp:5986/wsman").unwrap();
        let http = Endpoint::parse("http://srv1.corp:5985/wsman").unwrap();
        let lab = Endpoint::parse("http://srv1.lab:5985/wsman").unwrap();
        assert_eq!(sys.proxy_for(&https).unwrap().unwrap().host, "tunnel");
        assert_eq!(sys.proxy_for(&http).unwrap().unwrap().port, 8080);
        assert!(sys.proxy_for(&lab).unwrap().is_none());
        let settings = ProxySettings {
            mode: ProxyMode::NoProxyServer,
            ..ProxySettings::default()
        };
        assert!(settings.route(&https).unwrap().is_none());
        let settings = ProxySettings {
            mode: ProxyMode::System(sys),
            ..ProxySettings::default()
        };
        assert!(settings.route(&https).unwrap().is_some());
    }

    #[test]
    fn parses_proxy_answers() {
        let h = parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"tinyproxy\"\r\nConnection: close").unwrap();
        assert_eq!(h.status, 407);
        assert!(h.closes);
        assert_eq!(h.all("proxy-authenticate"), ["Basic realm=\"tinyproxy\""]);
        let h = parse_head(b"HTTP/1.0 200 Connection established").unwrap();
        assert_eq!((h.status, h.closes), (200, true));
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_none());
    }
}
