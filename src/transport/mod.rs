//! Transports: real HTTP(S) with one authenticated TCP connection per security
//! context, and an in-process transport to the lab endpoint.

pub mod http;
pub mod kdc;
pub mod session;
pub mod tls;

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
    #[error("the response was larger than {0} bytes")]
    ResponseTooLarge(usize),
    #[error("{0}")]
    Tls(String),
    #[error("http: {0}")]
    Http(String),
    #[error("access is denied: {0}")]
    AccessDenied(String),
    #[error("authentication failed: {0}")]
    Auth(String),
}
