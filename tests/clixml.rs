//! CLIXML against real Windows data: every CLIXML message body in pypsrp's
//! recorded exchanges decodes, re-encodes and decodes to the same value, and
//! the records PowerShell streams read as expected.

use base64::Engine as _;
use baton::protocol::clixml::{from_clixml, to_clixml};
use baton::protocol::xml::Element;

use crate::common::pypsrp_transcripts;

/// Elements whose text is base64 PSRP fragments ([MS-PSRP] §2.2.4).
const PAYLOAD_ELEMENTS: &[&str] = &[
    "Stream",
    "Arguments",
    "creationXml",
    "connectXml",
    "connectResponseXml",
];

/// One PSRP message recovered from a single-fragment payload.
struct Message {
    where_: String,
    message_type: u32,
    body: Vec<u8>,
}

#[derive(Default)]
struct Extracted {
    messages: Vec<Message>,
    /// Fragments that are not whole messages (start/end flags not both set).
    partial_fragments: usize,
}

fn collect_payloads<'e>(el: &'e Element, out: &mut Vec<&'e Element>) {
    if PAYLOAD_ELEMENTS.contains(&el.name.as_str()) {
        out.push(el);
    }
    for c in el.elements() {
        collect_payloads(c, out);
    }
}

/// A minimal private extractor: fragments are 21-byte big-endian headers
/// (object id, fragment id, flags, length) + blob; a blob with both start
/// and end flags is a whole message: 40-byte header + UTF-8 CLIXML.
fn extract(where_: &str, soap: &str, out: &mut Extracted) {
    let env = Element::parse(soap.as_bytes()).unwrap_or_else(|e| panic!("{where_}: {e}"));
    let mut payloads = Vec::new();
    collect_payloads(&env, &mut payloads);
    for p in payloads {
        let text: String = p.text().chars().filter(|c| !c.is_whitespace()).collect();
        if text.is_empty() {
            continue;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap_or_else(|e| panic!("{where_}: {e}"));
        let mut off = 0;
        while off + 21 <= raw.len() {
            let flags = raw[off + 16];
            let len = u32::from_be_bytes(raw[off + 17..off + 21].try_into().unwrap()) as usize;
            let blob = &raw[off + 21..off + 21 + len];
            off += 21 + len;
            if flags & 3 != 3 {
                out.partial_fragments += 1;
                continue;
            }
            let message_type = u32::from_le_bytes(blob[4..8].try_into().unwrap());
            out.messages.push(Message {
                where_: format!("{where_} {}", p.name),
                message_type,
                body: blob[40..].to_vec(),
            });
        }
        assert_eq!(off, raw.len(), "{where_}: trailing fragment bytes");
    }
}

/// Whether an exchange belongs to a PowerShell shell (its request's
/// ResourceURI is under `http://schemas.microsoft.com/powershell/`), as
/// opposed to a WinRS cmd shell whose streams are plain bytes.
fn is_psrp_exchange(request: &str) -> bool {
    let env = Element::parse(request.as_bytes()).expect("request parses");
    env.find(NS_WSMAN, "ResourceURI").is_some_and(|r| {
        r.text()
            .starts_with("http://schemas.microsoft.com/powershell/")
    })
}

const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";

fn extract_transcript(t: &baton_transcript::Transcript) -> Extracted {
    let mut out = Extracted::default();
    for (i, m) in t.messages.iter().enumerate() {
        if !is_psrp_exchange(&m.request) {
            continue;
        }
        extract(&format!("{}#{i} request", t.name), &m.request, &mut out);
        if let Some(r) = &m.response {
            extract(&format!("{}#{i} response", t.name), r, &mut out);
        }
    }
    out
}

mod baton_transcript {
    pub use crate::common::Transcript;
}

fn body_text(m: &Message) -> &[u8] {
    m.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&m.body)
}

#[test]
fn every_recorded_clixml_body_round_trips() {
    let mut decoded = 0;
    let mut identical = 0;
    let mut empty = 0;
    let mut partial = 0;
    let mut different = Vec::new();
    for t in pypsrp_transcripts() {
        let ex = extract_transcript(&t);
        partial += ex.partial_fragments;
        for m in &ex.messages {
            let body = body_text(m);
            if body.is_empty() {
                // END_OF_PIPELINE_INPUT carries no data [MS-PSRP] §2.2.2.18.
                assert_eq!(m.message_type, 0x0004_1003, "{}", m.where_);
                empty += 1;
                continue;
            }
            let v = from_clixml(&m.body)
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", m.where_, String::from_utf8_lossy(body)));
            let again = to_clixml(&v);
            let v2 = from_clixml(again.as_bytes())
                .unwrap_or_else(|e| panic!("{}: re-read: {e}\n{again}", m.where_));
            assert_eq!(v, v2, "{}", m.where_);
            decoded += 1;
            if again.as_bytes() == body {
                identical += 1;
            } else {
                if std::env::var_os("CLIXML_SHOW_DIFF").is_some() {
                    eprintln!(
                        "{}\n  sent: {}\n  ours: {again}",
                        m.where_,
                        String::from_utf8_lossy(body)
                    );
                }
                different.push(m.where_.clone());
            }
        }
    }
    eprintln!(
        "clixml bodies: {decoded} decoded, {identical} byte-identical on re-serialisation, \
         {empty} empty, {partial} multi-fragment parts skipped"
    );
    for d in different
        .iter()
        .filter(|d| std::env::var_os("CLIXML_SHOW_DIFF").is_some() || d.contains("response"))
    {
        eprintln!("differs: {d}");
    }
    assert!(decoded > 500, "only {decoded} bodies decoded");
    // Everything Windows sent (responses) is reproduced byte for byte; only
    // pypsrp's own requests differ (attribute order, `<S />`).
    let from_windows: Vec<_> = different
        .iter()
        .filter(|d| d.contains("response"))
        .collect();
    assert!(
        from_windows.is_empty(),
        "not byte-identical: {from_windows:?}"
    );
}
