//! Transports: real HTTP(S) with one authenticated TCP connection per security
//! context, and an in-process transport to the lab endpoint.

// The current user's credentials: the system's GSSAPI library, or on
// Windows its SSPI (the same interface).
#[cfg(not(windows))]
pub mod gss;
#[cfg(windows)]
#[path = "sspi_windows.rs"]
pub mod gss;
pub mod http;
pub(crate) mod in_process;
pub mod kdc;
pub mod proxy;
pub(crate) mod redirect;
pub mod session;
pub mod tls;
pub(crate) mod trace;

use std::time::Duration;

/// A failure to carry a request to a WinRM service and back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the address is not valid: {0}")]
    InvalidUri(String),
    #[error("cannot connect to {host} on port {port}: {reason}")]
    Connect {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("no answer from {host} on port {port} within {after:?}")]
    ConnectTimeout {
        host: String,
        port: u16,
        after: Duration,
    },
    #[error("the server did not answer within {0:?}")]
    ReadTimeout(Duration),
    #[error("the server closed the connection")]
    ConnectionClosed,
    /// The connection was found closed before the request was written, so
    /// the request is safe to send again on a new connection.
    #[error("the server closed the connection before the request was sent")]
    ConnectionClosedBeforeSend,
    #[error("the response was larger than {0} bytes")]
    ResponseTooLarge(usize),
    /// HTTP 413: the request was larger than the service's MaxEnvelopeSizekb
    /// (the client's ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS).
    #[error(
        "the request was larger than the service's MaxEnvelopeSizekb (HTTP 413): the WS-Management service was notified that the request size exceeded the configured MaxEnvelopeSize quota"
    )]
    RequestTooLarge,
    #[error("{0}")]
    Tls(String),
    #[error("http: {0}")]
    Http(String),
    #[error("access is denied: {0}")]
    AccessDenied(String),
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The proxy server could not be reached or would not carry the request.
    #[error("proxy server {proxy}: {reason}")]
    Proxy { proxy: String, reason: String },
    /// The proxy server demanded or refused proxy authentication: 407 Proxy
    /// Authentication Required (or 401 to a `CONNECT`, which tinyproxy
    /// before 1.11.2 answers to a wrong proxy credential).
    #[error("the proxy server {proxy} refused {detail} (HTTP {status} {})", if *status == 407 { "Proxy Authentication Required" } else { "Unauthorized" })]
    ProxyAuthentication {
        proxy: String,
        status: u16,
        detail: String,
    },
    /// The WinRM service redirected and the redirect may not be followed.
    #[error("{0}")]
    Redirect(String),
    /// A client quota (`MaximumReceivedDataSizePerCommand`,
    /// `MaximumReceivedObjectSize`) was exceeded; PowerShell's text.
    #[error("{0}")]
    Quota(String),
}

/// This computer's NTLM workstation name ([`workstation_name`] of the
/// process environment and `/etc/hostname`).
pub fn workstation() -> String {
    let etc_hostname = || std::fs::read_to_string("/etc/hostname").ok();
    workstation_name(|v| std::env::var(v).ok(), etc_hostname)
}

/// The NTLM workstation name: Windows' `COMPUTERNAME`, else `HOSTNAME`,
/// else the system's host name file (Linux, the BSDs), else `BATON`; the
/// first label only (no domain), upper case, at most 15 characters (a
/// NetBIOS name). The environment comes in as `var`, the file as `file`.
pub fn workstation_name(
    var: impl Fn(&str) -> Option<String>,
    file: impl Fn() -> Option<String>,
) -> String {
    let name = ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|v| var(v))
        .or_else(file)
        .map(|h| h.trim().split('.').next().unwrap_or("").to_owned())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or_else(|| "BATON".into());
    name.chars().take(15).collect::<String>().to_uppercase()
}
