//! One HTTP/1.1 connection over TCP or TLS, owned outright.
//!
//! NTLM/Negotiate authentication and its sealing keys belong to one TCP
//! connection, so Baton never lets a pool open connections behind its back:
//! each [`HttpConnection`] is one socket driven by hyper's
//! `client::conn::http1`, which reports a lost connection as an error instead
//! of silently dialling a new one. The caller (the authenticated session in
//! [`super::session`]) then re-authenticates on a fresh connection.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use super::TransportError;
use super::proxy::{ProxyRoute, ProxySettings};
use super::redirect::RedirectPolicy;
use super::tls::TlsOptions;
use crate::protocol::http::{HttpRequest, HttpResponse};

/// Where to connect: parsed from a WS-Management URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, e.g. `/wsman`.
    pub path: String,
}

impl Endpoint {
    /// Parses `http(s)://host[:port]/path`. The port defaults to 80/443 as in
    /// PowerShell's `-ConnectionUri`.
    pub fn parse(url: &str) -> Result<Endpoint, TransportError> {
        let bad = |why: &str| TransportError::InvalidUri(format!("{url}: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/wsman"),
        };
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        if authority.contains('@') {
            return Err(bad(
                "user information in the URI is not supported; use -Credential",
            ));
        }
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let (h, after) = stripped.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("junk after the IPv6 address")),
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            Some(p) => match p.parse::<u16>() {
                Ok(0) => return Err(bad("the port must be from 1 to 65535")),
                Ok(n) => n,
                Err(_) => return Err(bad("invalid port")),
            },
            None if https => 443,
            None => 80,
        };
        // The one host rule: nothing else reaches a socket, a TLS name or a
        // proxy's CONNECT line.
        // That rule trims what a user typed; in a URL a space or line break
        // around the host is refused, so none reaches the Host header.
        let checked = crate::model::connection::check_host(&host).map_err(|why| bad(&why))?;
        if checked != host {
            return Err(bad("the host has spaces or line breaks around it"));
        }
        if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("the path holds spaces or control characters"));
        }
        Ok(Endpoint {
            https,
            host,
            port,
            path: path.to_owned(),
        })
    }

    /// `Host` header value.
    pub fn host_header(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }

    /// `host:port` with the port always present (a `CONNECT` target).
    pub fn host_header_with_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The URL again, normalised.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            if self.https { "https" } else { "http" },
            self.host_header(),
            self.path
        )
    }
}

/// Limits and timeouts for one connection.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    /// The largest response body accepted.
    pub max_response_bytes: usize,
    pub tls: TlsOptions,
    /// The proxy to go through, if any ([`super::proxy`]).
    pub proxy: ProxySettings,
    /// Whether the authenticated connection follows HTTP redirects.
    pub redirect: RedirectPolicy,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(30),
            max_response_bytes: 64 << 20,
            tls: TlsOptions::default(),
            proxy: ProxySettings::default(),
            redirect: RedirectPolicy::default(),
        }
    }
}

/// Test-WSMan's anonymous Identify: one POST on a connection of its own,
/// with `WSMANIDENTIFY: unauthenticated` and no credentials ([MS-WSMV]
/// §3.1.4.1.23); the status and body.
pub async fn identify_unauthenticated(
    endpoint: &Endpoint,
    options: &ConnectOptions,
    xml: &[u8],
    timeout: Duration,
) -> Result<(u16, Vec<u8>), TransportError> {
    let mut conn = HttpConnection::connect(endpoint, options).await?;
    let mut req = HttpRequest::post(&endpoint.path, xml.to_vec());
    req.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
    req.set_header("WSMANIDENTIFY", "unauthenticated");
    let resp = conn.send(req, timeout).await?;
    Ok((resp.status, resp.body))
}

/// One HTTP/1.1 connection. Requests are strictly sequential.
pub struct HttpConnection {
    endpoint: Endpoint,
    sender: http1::SendRequest<Full<Bytes>>,
    max_response_bytes: usize,
    peer_certificate: Option<CertificateDer<'static>>,
    /// Cookies the server set (`MS-WSMAN` affinity), sent back on this connection.
    cookies: Vec<(String, String)>,
    /// The proxy this connection goes through, if any.
    proxy: Option<ProxyRoute>,
    /// Requests go to a proxy in absolute form (plain HTTP through a proxy).
    absolute_form: bool,
    /// `Proxy-Authorization` sent with every request (Basic, absolute form).
    proxy_authorization: Option<zeroize::Zeroizing<String>>,
    /// The last response said the connection closes after it (`Connection:
    /// close`, or HTTP/1.0 without keep-alive), as some proxies do.
    closing: bool,
}

impl HttpConnection {
    /// Dials `endpoint` (TLS when https), through the proxy the options
    /// choose for it, and performs the HTTP/1.1 handshake.
    pub async fn connect(
        endpoint: &Endpoint,
        options: &ConnectOptions,
    ) -> Result<HttpConnection, TransportError> {
        let route = options.proxy.route(endpoint)?;
        let mut proxy_authorization = None;
        let tcp = if let Some(route) = &route {
            let proxied = super::proxy::open(route, endpoint, options.connect_timeout).await?;
            proxy_authorization = proxied.per_request_authorization;
            proxied.stream
        } else {
            let addr = (endpoint.host.as_str(), endpoint.port);
            let tcp = tokio::time::timeout(options.connect_timeout, TcpStream::connect(addr))
                .await
                .map_err(|_| TransportError::ConnectTimeout {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    after: options.connect_timeout,
                })?
                .map_err(|e| TransportError::Connect {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    reason: e.to_string(),
                })?;
            let _ = tcp.set_nodelay(true);
            tcp
        };
        let (sender, peer_certificate) = if endpoint.https {
            let config = super::tls::client_config(&options.tls)?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let name = ServerName::try_from(endpoint.host.clone()).map_err(|_| {
                TransportError::InvalidUri(format!(
                    "{} is not a valid TLS server name",
                    endpoint.host
                ))
            })?;
            let tls = tokio::time::timeout(options.connect_timeout, connector.connect(name, tcp))
                .await
                .map_err(|_| TransportError::ConnectTimeout {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    after: options.connect_timeout,
                })?
                .map_err(|e| super::tls::describe_tls_error(&endpoint.host, &e))?;
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.clone().into_owned());
            (handshake(TokioIo::new(tls)).await?, cert)
        } else {
            (handshake(TokioIo::new(tcp)).await?, None)
        };
        Ok(HttpConnection {
            endpoint: endpoint.clone(),
            sender,
            max_response_bytes: options.max_response_bytes,
            peer_certificate,
            cookies: Vec::new(),
            absolute_form: route.is_some() && !endpoint.https,
            proxy: route,
            proxy_authorization,
            closing: false,
        })
    }

    /// The server's TLS certificate (for channel bindings), when https.
    pub fn peer_certificate(&self) -> Option<&CertificateDer<'static>> {
        self.peer_certificate.as_ref()
    }

    /// The endpoint this connection goes to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// True once the server or the network closed the connection.
    pub fn is_closed(&self) -> bool {
        self.closing || self.sender.is_closed()
    }

    /// True when this connection goes through a proxy.
    pub fn via_proxy(&self) -> bool {
        self.proxy.is_some()
    }

    /// Sends one request and reads the whole response, within `timeout`.
    /// `Content-Length` is always sent (WinRM rejects chunked bodies,
    /// [MS-WSMV] §3.1.4.1.31.8); `Accept-Encoding: identity` keeps IIS-hosted
    /// endpoints from compressing.
    pub async fn send(
        &mut self,
        mut request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        if self.is_closed() {
            return Err(TransportError::ConnectionClosedBeforeSend);
        }
        self.sender
            .ready()
            .await
            .map_err(|_| TransportError::ConnectionClosedBeforeSend)?;
        let target = if self.absolute_form {
            format!("http://{}{}", self.endpoint.host_header(), request.path)
        } else {
            request.path.clone()
        };
        let body = Bytes::from(std::mem::take(&mut request.body));
        let req = self.build_request(&request, &target, body.clone())?;
        let url = if self.absolute_form {
            target.clone()
        } else {
            format!(
                "{}://{}{}",
                if self.endpoint.https { "https" } else { "http" },
                self.endpoint.host_header(),
                request.path
            )
        };
        if super::trace::enabled() {
            let ct = req
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            super::trace::log_request(
                req.method().as_str(),
                &url,
                req.headers()
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("<binary>"))),
                ct,
                &body,
            );
        }
        let max = self.max_response_bytes;
        let fut = async {
            let resp = self.sender.try_send_request(req).await.map_err(|mut e| {
                // A request hyper hands back was never written: the
                // connection closed first (proxies may close silently
                // after each answer), and sending it again is safe.
                if e.take_message().is_some() {
                    TransportError::ConnectionClosedBeforeSend
                } else {
                    classify_hyper_error(e.error())
                }
            })?;
            let (parts, body) = resp.into_parts();
            let connection_says = |want: &str| {
                ["connection", "proxy-connection"].iter().any(|name| {
                    parts.headers.get_all(*name).iter().any(|v| {
                        v.to_str().is_ok_and(|v| {
                            v.split(',').any(|t| t.trim().eq_ignore_ascii_case(want))
                        })
                    })
                })
            };
            // A proxy carrying absolute-form requests may close silently
            // after any answer (tinyproxy does): such a connection is reused
            // only when the proxy says it keeps it alive.
            let closing = connection_says("close")
                || ((parts.version == hyper::Version::HTTP_10 || self.absolute_form)
                    && !connection_says("keep-alive"));
            let body = Limited::new(body, max)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        TransportError::ResponseTooLarge(max)
                    } else {
                        TransportError::ConnectionClosed
                    }
                })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok::<_, TransportError>((
                HttpResponse {
                    status: parts.status.as_u16(),
                    headers,
                    body: body.to_vec(),
                },
                closing,
            ))
        };
        let (resp, closing) = tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| TransportError::ReadTimeout(timeout))??;
        self.closing = closing;
        super::trace::log_response(
            &url,
            resp.status,
            resp.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            resp.header("content-type"),
            &resp.body,
        );
        if resp.status == 407
            && let Some(route) = &self.proxy
        {
            let offered: Vec<String> = resp
                .headers_named("proxy-authenticate")
                .map(str::to_owned)
                .collect();
            return Err(super::proxy::proxy_auth_error(
                route,
                407,
                &offered,
                self.proxy_authorization.is_some(),
            ));
        }
        self.remember_cookies(&resp);
        Ok(resp)
    }

    /// The request as it goes on this connection: Host, Content-Length,
    /// identity encoding and keep-alive, the caller's headers, a User-Agent,
    /// the cookies the service set and the proxy's authorization.
    fn build_request(
        &self,
        request: &HttpRequest,
        target: &str,
        body: Bytes,
    ) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(target)
            .header(hyper::header::HOST, self.endpoint.host_header())
            .header(hyper::header::CONTENT_LENGTH, body.len())
            .header(hyper::header::ACCEPT_ENCODING, "identity")
            .header(hyper::header::CONNECTION, "Keep-Alive");
        let has_user_agent = request.header("user-agent").is_some();
        for (k, v) in &request.headers {
            if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("host") {
                continue;
            }
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !has_user_agent {
            builder = builder.header(
                hyper::header::USER_AGENT,
                concat!("Baton/", env!("CARGO_PKG_VERSION")),
            );
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            builder = builder.header(hyper::header::COOKIE, c.join("; "));
        }
        if let Some(a) = &self.proxy_authorization {
            builder = builder.header(hyper::header::PROXY_AUTHORIZATION, a.as_str());
        }
        builder
            .body(Full::new(body))
            .map_err(|e| TransportError::Http(e.to_string()))
    }

    /// Keeps the cookies a response sets, for the requests that follow
    /// (a load balancer's affinity cookie).
    fn remember_cookies(&mut self, resp: &HttpResponse) {
        for v in resp.headers_named("set-cookie") {
            if let Some((kv, _)) = v.split_once(';').or(Some((v, "")))
                && let Some((k, val)) = kv.split_once('=')
            {
                let k = k.trim().to_owned();
                self.cookies.retain(|(n, _)| *n != k);
                self.cookies.push((k, val.trim().to_owned()));
            }
        }
    }
}

async fn handshake<I>(io: I) -> Result<http1::SendRequest<Full<Bytes>>, TransportError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = http1::Builder::new()
        .handshake(io)
        .await
        .map_err(|e| TransportError::Http(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("http connection ended: {e}");
        }
    });
    Ok(sender)
}

fn classify_hyper_error(e: &hyper::Error) -> TransportError {
    if let Some(refused) = super::tls::certificate_alert_in(e, "the server") {
        refused
    } else if e.is_canceled() || e.is_closed() || e.is_incomplete_message() {
        TransportError::ConnectionClosed
    } else {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        if msg.contains("reset") || msg.contains("broken pipe") || msg.contains("closed") {
            TransportError::ConnectionClosed
        } else {
            TransportError::Http(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints_like_powershell() {
        let e = Endpoint::parse("http://Srv1:5985/wsman").unwrap();
        assert_eq!(
            (e.https, e.host.as_str(), e.port, e.path.as_str()),
            (false, "Srv1", 5985, "/wsman")
        );
        let e = Endpoint::parse("https://server01/wsman?PSVersion=7.4").unwrap();
        assert_eq!(
            (e.https, e.port, e.path.as_str()),
            (true, 443, "/wsman?PSVersion=7.4")
        );
        let e = Endpoint::parse("http://[::1]:5985/wsman").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 5985));
        assert_eq!(e.host_header(), "[::1]:5985");
        assert_eq!(Endpoint::parse("http://h").unwrap().path, "/wsman");
        let e = Endpoint::parse("http://srv1:0/wsman")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the port must be from 1 to 65535"), "{e}");
        // The host rule trims what a user typed; a URL with spaces or line
        // breaks around its host is refused instead.
        for bad in [
            "http://srv1\r\n:5985/wsman",
            "http:// srv1/wsman",
            "http://[ ::1]/",
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains("spaces or line breaks"), "{bad:?}: {e}");
        }
        for bad in [
            "ftp://h/",
            "h:5985",
            "http://",
            "http://u:p@h/",
            "http://h:99999/",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
