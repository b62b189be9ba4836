//! The one error type of the sans-IO protocol layer.
//!
//! Messages are lowercase, without a final period, and never contain secrets.
//! Each protocol area has its own variant carrying a specific message; callers
//! (the worker, the lab) turn these into user-facing errors once.

/// An error from parsing or producing protocol data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// XML that is not well-formed, or that uses what we refuse (a DTD).
    #[error("malformed xml: {0}")]
    Xml(String),
    /// A required element or attribute is absent.
    #[error("missing {0}")]
    Missing(String),
    /// An element that is not the one the protocol expects here.
    #[error("unexpected {found}, expected {expected}")]
    Unexpected { expected: String, found: String },
    /// A value that does not parse as its type.
    #[error("invalid {what}: {value:?}")]
    InvalidValue { what: String, value: String },
    /// A SOAP fault returned by a WS-Management service.
    #[error("{0}")]
    Fault(Box<crate::protocol::wsman::fault::WsmanFault>),
    /// WS-Management envelope or operation error other than a fault.
    #[error("ws-management: {0}")]
    Wsman(String),
    /// PowerShell Remoting Protocol framing or message error.
    #[error("psrp: {0}")]
    Psrp(String),
    /// CLIXML (de)serialisation error.
    #[error("clixml: {0}")]
    Clixml(String),
    /// Base64 that does not decode.
    #[error("invalid base64 in {0}")]
    Base64(String),
    /// Xpress compression framing or data error.
    #[error("compression: {0}")]
    Compression(String),
    /// Authentication or message sealing error.
    #[error("authentication: {0}")]
    Auth(String),
    /// Input larger or deeper than a configured limit.
    #[error("limit exceeded: {0}")]
    Limit(String),
}
