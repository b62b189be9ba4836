//! Plain HTTP request and response values, handed between the sans-IO
//! protocol layer and the transport (or the lab endpoint) that performs them.

/// An HTTP request: always a `POST` to the WS-Management path for WinRM, but
/// kept general for the lab's error paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, e.g. `/wsman`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn find_all<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl HttpRequest {
    /// A `POST` to `path` with a body.
    pub fn post(path: &str, body: Vec<u8>) -> Self {
        HttpRequest {
            method: "POST".into(),
            path: path.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// The first header with this name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Every header with this name, case-insensitively.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        find_all(&self.headers, name)
    }

    /// Sets a header, replacing any with the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
    }
}

impl HttpResponse {
    /// A response with a status and body.
    pub fn new(status: u16, body: Vec<u8>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// The first header with this name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Every header with this name, case-insensitively.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        find_all(&self.headers, name)
    }

    /// Sets a header, replacing any with the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
    }
}

// ---------------------------------------------------------------------
// The service side: what answers a WS-Management request. The lab's
// listener calls it after authenticating a connection; the in-process
// transport calls it directly. Plain values and a future: no I/O here.

/// Who sent a request, once authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// `DOMAIN\name` as the user table spells it; empty for the
    /// unauthenticated Identify.
    pub user: String,
    pub client_ip: core::net::IpAddr,
}

/// The WS-Management service behind the listener.
pub trait WsmanService: Send + Sync + 'static {
    /// Handles one SOAP request (plaintext) and returns the HTTP status and
    /// SOAP response (plaintext).
    fn handle<'a>(
        &'a self,
        caller: Caller,
        request: HttpRequest,
    ) -> core::pin::Pin<Box<dyn core::future::Future<Output = HttpResponse> + Send + 'a>>;
}
