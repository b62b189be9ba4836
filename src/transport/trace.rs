//! A trace of the HTTP exchanges, at `trace` level under the target
//! [`TARGET`] (`BATON_LOG=baton::wire=trace`): method, URL, status, headers
//! and the SOAP body (after unsealing), with secrets taken out.
//!
//! Redacted: the token or credential of `Authorization`,
//! `Proxy-Authorization`, `WWW-Authenticate` and `Proxy-Authenticate` (the
//! scheme name stays), cookies, the content of CLIXML `<SS>` SecureStrings
//! and of any element whose name contains `Password`. The base64 PSRP data
//! of `creationXml`, `connectXml`, `connectResponseXml`, `rsp:Stream` and
//! `rsp:Arguments` is shown decoded (each message's type, pipeline and
//! CLIXML, redacted the same way) instead of as base64; data that does not
//! decode as whole PSRP messages (Xpress-compressed streams, partial
//! fragments) is shown as its size only. Sealed bodies are logged as their
//! size; their plaintext is logged by the authenticated connection after
//! unsealing.

use base64::Engine as _;
use tracing::Level;

use crate::protocol::psrp::fragment::Fragment;
use crate::protocol::psrp::message::Message;

/// The tracing target of the wire trace.
pub const TARGET: &str = "baton::wire";

/// Bodies longer than this are cut in the trace.
const MAX_LOGGED_BODY: usize = 256 << 10;

/// True when the wire trace is on (so callers can skip formatting).
pub fn enabled() -> bool {
    tracing::enabled!(target: TARGET, Level::TRACE)
}

/// A header value as it may appear in the trace.
pub fn redact_header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "authorization" | "proxy-authorization" | "www-authenticate" | "proxy-authenticate" => {
            // Keep each scheme name, drop tokens and credentials. Challenges
            // may be listed in one value, separated by commas.
            let schemes: Vec<&str> = value
                .split(',')
                .filter_map(|part| {
                    let word = part.split_whitespace().next()?;
                    // `realm="x"` continuation parts are not schemes.
                    (!word.contains('=')).then_some(word)
                })
                .collect();
            let shown: Vec<String> = schemes
                .iter()
                .map(|s| {
                    if value.trim().eq_ignore_ascii_case(s) {
                        (*s).to_owned()
                    } else {
                        format!("{s} <redacted>")
                    }
                })
                .collect();
            if shown.is_empty() {
                "<redacted>".into()
            } else {
                shown.join(", ")
            }
        }
        "cookie" | "set-cookie" => "<redacted>".into(),
        _ => value.to_owned(),
    }
}

fn headers_text<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in headers {
        out.push_str("\n  ");
        out.push_str(k);
        out.push_str(": ");
        out.push_str(&redact_header(k, v));
    }
    out
}

/// A body as it may appear in the trace: SOAP/XML with SecureStrings and
/// passwords removed; anything else as its size.
pub fn redact_body(content_type: Option<&str>, body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".into();
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let xmlish = ct.contains("xml") || (ct.is_empty() && body.first() == Some(&b'<'));
    if !xmlish {
        return format!(
            "({} bytes of {})",
            body.len(),
            content_type.unwrap_or("data")
        );
    }
    let text = String::from_utf8_lossy(body);
    let mut redacted = redact_xml(&text);
    if redacted.len() > MAX_LOGGED_BODY {
        let mut cut = MAX_LOGGED_BODY;
        while !redacted.is_char_boundary(cut) {
            cut -= 1;
        }
        let more = redacted.len() - cut;
        redacted.truncate(cut);
        redacted.push_str(&format!("…({more} more bytes)"));
    }
    redacted
}

/// Elements whose text is base64 PSRP data.
const PSRP_ELEMENTS: [&str; 5] = [
    "creationXml",
    "connectXml",
    "connectResponseXml",
    "Stream",
    "Arguments",
];

/// Base64 PSRP data as the trace shows it: each whole message decoded and
/// redacted, anything else as its size.
fn describe_psrp(b64: &str) -> String {
    let compact: String = b64.split_whitespace().collect();
    if compact.is_empty() {
        return String::new();
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) else {
        return format!("(base64 of {} characters, not shown)", compact.len());
    };
    let Ok(fragments) = Fragment::decode_all(&bytes) else {
        return format!(
            "({} bytes that are not PSRP fragments, not shown)",
            bytes.len()
        );
    };
    let mut out = String::new();
    for f in fragments {
        if !(f.start && f.end) {
            out.push_str(&format!(
                "[PSRP object {} fragment {}: {} bytes, not shown]",
                f.object_id,
                f.fragment_id,
                f.data.len()
            ));
            continue;
        }
        match Message::decode(&f.data) {
            Ok(m) => {
                let text = String::from_utf8_lossy(&m.data);
                let text = text.trim_start_matches('\u{feff}');
                out.push_str(&format!(
                    "[PSRP {} pid={}] {}",
                    m.message_type.name(),
                    m.pid,
                    redact_xml(text)
                ));
            }
            Err(_) => out.push_str(&format!(
                "[PSRP object {}: {} bytes that are not a PSRP message, not shown]",
                f.object_id,
                f.data.len()
            )),
        }
    }
    out
}

/// Replaces the content of `<SS>` and `<…Password…>` elements with
/// `<redacted>`, and base64 PSRP data with its decoded, redacted messages.
pub fn redact_xml(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let (before, tag_and_after) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = tag_and_after.find('>') else {
            out.push_str(tag_and_after);
            return out;
        };
        let tag = &tag_and_after[..=close];
        out.push_str(tag);
        rest = &tag_and_after[close + 1..];
        let inner = tag.trim_start_matches('<').trim_end_matches('>');
        if inner.starts_with('/') || inner.starts_with('?') || inner.starts_with('!') {
            continue;
        }
        if inner.ends_with('/') {
            continue;
        }
        let name = inner.split_whitespace().next().unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let secret = local == "SS" || local.to_ascii_lowercase().contains("password");
        let psrp = PSRP_ELEMENTS.contains(&local);
        if !secret && !psrp {
            continue;
        }
        let end_tag = format!("</{name}>");
        if psrp {
            let (content, after) = match rest.find(&end_tag) {
                Some(end) => (&rest[..end], &rest[end..]),
                None => (rest, ""),
            };
            out.push_str(&describe_psrp(content));
            rest = after;
            continue;
        }
        if let Some(end) = rest.find(&end_tag) {
            out.push_str("<redacted>");
            rest = &rest[end..];
        } else {
            out.push_str("<redacted>");
            rest = "";
        }
    }
    out.push_str(rest);
    out
}

/// One request sent with hyper.
pub fn log_request<'a>(
    method: &str,
    url: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    content_type: Option<&str>,
    body: &[u8],
) {
    if !enabled() {
        return;
    }
    tracing::trace!(
        target: TARGET,
        "> {method} {url}{}\n{}",
        headers_text(headers),
        redact_body(content_type, body)
    );
}

/// One response read with hyper.
pub fn log_response<'a>(
    url: &str,
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    content_type: Option<&str>,
    body: &[u8],
) {
    if !enabled() {
        return;
    }
    tracing::trace!(
        target: TARGET,
        "< {status} from {url}{}\n{}",
        headers_text(headers),
        redact_body(content_type, body)
    );
}

/// The plaintext SOAP of a sealed request or response.
pub fn log_unsealed(direction: &str, url: &str, soap: &[u8]) {
    if !enabled() {
        return;
    }
    tracing::trace!(
        target: TARGET,
        "{direction} {url} (sealed; plaintext)\n{}",
        redact_body(Some("application/soap+xml"), soap)
    );
}

/// A request written by hand to a proxy (CONNECT, or an authentication leg).
pub fn log_raw_request(proxy: &str, request: &[u8]) {
    if !enabled() {
        return;
    }
    let text = String::from_utf8_lossy(request);
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
        .collect();
    tracing::trace!(
        target: TARGET,
        "> {first} (to proxy {proxy}){}",
        headers_text(headers)
    );
}

/// An answer read by hand from a proxy.
pub fn log_raw_response(proxy: &str, status: u16, reason: &str, headers: &[(String, String)]) {
    if !enabled() {
        return;
    }
    tracing::trace!(
        target: TARGET,
        "< {status} {reason} (from proxy {proxy}){}",
        headers_text(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_schemes_and_lose_tokens() {
        assert_eq!(
            redact_header("Authorization", "Basic dXNlcjpwYXNz"),
            "Basic <redacted>"
        );
        assert_eq!(
            redact_header("WWW-Authenticate", "Negotiate, Basic realm=\"WSMAN\""),
            "Negotiate <redacted>, Basic <redacted>"
        );
        assert_eq!(redact_header("www-authenticate", "Negotiate"), "Negotiate");
        assert_eq!(
            redact_header("Proxy-Authorization", "NTLM TlRMTVNTUAABAAAA"),
            "NTLM <redacted>"
        );
        assert_eq!(redact_header("Set-Cookie", "MS-WSMAN=abc"), "<redacted>");
        assert_eq!(redact_header("Content-Length", "12"), "12");
    }

    #[test]
    fn xml_loses_secure_strings_and_passwords() {
        let xml = "<Obj><SS N=\"pw\">AAECAw==</SS><S>visible</S><a:Password>hunter2</a:Password><Password/></Obj>";
        let r = redact_xml(xml);
        assert!(!r.contains("AAECAw=="), "{r}");
        assert!(!r.contains("hunter2"), "{r}");
        assert!(r.contains("<S>visible</S>"), "{r}");
        assert!(r.contains("<SS N=\"pw\"><redacted></SS>"), "{r}");
        assert_eq!(redact_xml("<SS>open"), "<SS><redacted>");
        assert_eq!(redact_xml("a < b"), "a < b");
        assert_eq!(
            redact_body(Some("application/octet-stream"), b"abc"),
            "(3 bytes of application/octet-stream)"
        );
    }

    #[test]
    fn psrp_payloads_are_decoded_and_redacted() {
        use crate::protocol::psrp::message::{Destination, MessageType};
        let clixml = "<Obj RefId=\"0\"><MS><SS N=\"Password\">c2VjcmV0LXNlY3VyZQ==</SS><S N=\"User\">u1</S></MS></Obj>";
        let m = Message::from_clixml(
            Destination::Server,
            MessageType::CreatePipeline,
            uuid::Uuid::nil(),
            uuid::Uuid::nil(),
            clixml,
        );
        let payload = Fragment::whole(7, m.encode()).encode().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
        let xml =
            format!("<rsp:CommandLine><rsp:Arguments>{b64}</rsp:Arguments></rsp:CommandLine>");
        let r = redact_xml(&xml);
        assert!(!r.contains(&b64), "{r}");
        assert!(!r.contains("c2VjcmV0LXNlY3VyZQ=="), "{r}");
        assert!(r.contains("[PSRP CreatePipeline pid="), "{r}");
        assert!(r.contains("<S N=\"User\">u1</S>"), "{r}");
        assert!(redact_xml("<rsp:Stream>AAAA</rsp:Stream>").contains("not PSRP fragments"));
        assert!(redact_xml("<rsp:Stream>!!</rsp:Stream>").contains("not shown"));
    }
}
