//! The WinRM encrypted message body ([MS-WSMV] §2.2.9.1): a MIME-like
//! `multipart/encrypted` envelope around a sealed SOAP message, in both
//! directions.
//!
//! The framing is independent of the security mechanism: it talks to a
//! [`SealingContext`] that seals a plaintext into (signature/token header,
//! ciphertext) and back, so it can be tested without any NTLM state.
//!
//! Layout of one part (`\t` = TAB, lines end CRLF):
//! ```text
//! --Encrypted Boundary
//! \tContent-Type: application/HTTP-SPNEGO-session-encrypted
//! \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<n>
//! --Encrypted Boundary
//! \tContent-Type: application/octet-stream
//! <u32 LE header length><header><ciphertext>
//! ```
//! followed by `--Encrypted Boundary--\r\n` after the last part.
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv

use crate::protocol::ProtocolError;

/// The boundary every Windows and pypsrp sender uses.
pub const DEFAULT_BOUNDARY: &str = "Encrypted Boundary";
/// The plaintext chunk size of CredSSP `multipart/x-multi-encrypted` bodies
/// ([MS-WSMV] §2.2.9.1.3).
pub const CREDSSP_CHUNK: usize = 16 * 1024;
/// The largest number of parts accepted in one body.
pub const MAX_PARTS: usize = 4096;
/// The largest security header (signature/token) accepted in one part.
pub const MAX_HEADER_LEN: usize = 64 * 1024;

const OCTET_STREAM_LINE: &[u8] = b"\tContent-Type: application/octet-stream\r\n";

/// The per-message protection of an authenticated connection, seen from one
/// side: seals outgoing plaintext and unseals incoming messages. Each call
/// advances the mechanism's sequence state.
pub trait SealingContext {
    /// Seals `plaintext` into its security header and ciphertext.
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError>;
    /// Verifies and decrypts one message given its security header and
    /// ciphertext.
    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError>;
}

/// One sealed message: security header, ciphertext and the padding length the
/// mechanism added (0 for NTLM), which counts in `Length=`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub header: Vec<u8>,
    pub data: Vec<u8>,
    pub padding: usize,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("header_len", &self.header.len())
            .field("data_len", &self.data.len())
            .field("padding", &self.padding)
            .finish()
    }
}

/// The session-encryption protocol named in the body and Content-Type
/// ([MS-WSMV] §2.2.9.1.1-§2.2.9.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealProtocol {
    /// `application/HTTP-SPNEGO-session-encrypted` (Negotiate and raw NTLM).
    Spnego,
    /// `application/HTTP-Kerberos-session-encrypted`.
    Kerberos,
    /// `application/HTTP-CredSSP-session-encrypted`.
    CredSsp,
}

impl SealProtocol {
    /// The protocol string, e.g. `application/HTTP-SPNEGO-session-encrypted`.
    pub fn as_str(self) -> &'static str {
        match self {
            SealProtocol::Spnego => "application/HTTP-SPNEGO-session-encrypted",
            SealProtocol::Kerberos => "application/HTTP-Kerberos-session-encrypted",
            SealProtocol::CredSsp => "application/HTTP-CredSSP-session-encrypted",
        }
    }

    /// Parses a protocol string (case-insensitively).
    pub fn parse(s: &str) -> Result<Self, ProtocolError> {
        [
            SealProtocol::Spnego,
            SealProtocol::Kerberos,
            SealProtocol::CredSsp,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| ProtocolError::InvalidValue {
            what: "encrypted body protocol".into(),
            value: s.chars().take(100).collect(),
        })
    }
}

/// What a `multipart/encrypted` Content-Type header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedContentType {
    pub protocol: SealProtocol,
    pub boundary: String,
    /// `multipart/x-multi-encrypted` (CredSSP, several 16 KiB parts).
    pub multi: bool,
}

impl EncryptedContentType {
    /// Formats the header value, e.g.
    /// `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`.
    pub fn to_header(&self) -> String {
        format!(
            "{};protocol=\"{}\";boundary=\"{}\"",
            if self.multi {
                "multipart/x-multi-encrypted"
            } else {
                "multipart/encrypted"
            },
            self.protocol.as_str(),
            self.boundary
        )
    }
}

/// Whether a Content-Type value announces an encrypted WinRM body.
pub fn is_encrypted_content_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("multipart/encrypted")
        || media.eq_ignore_ascii_case("multipart/x-multi-encrypted")
}

/// Parses `multipart/encrypted;protocol="…";boundary="…"` ([MS-WSMV]
/// §2.2.9.1.1.1). Parameter names are case-insensitive; quotes are optional.
pub fn parse_content_type(content_type: &str) -> Result<EncryptedContentType, ProtocolError> {
    let mut params = content_type.split(';');
    let media = params.next().unwrap_or("").trim();
    let multi = if media.eq_ignore_ascii_case("multipart/encrypted") {
        false
    } else if media.eq_ignore_ascii_case("multipart/x-multi-encrypted") {
        true
    } else {
        return Err(ProtocolError::Unexpected {
            expected: "multipart/encrypted content type".into(),
            found: media.chars().take(100).collect(),
        });
    };
    let mut protocol = None;
    let mut boundary = None;
    for p in params {
        let Some((name, value)) = p.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        match name.trim().to_ascii_lowercase().as_str() {
            "protocol" => protocol = Some(SealProtocol::parse(value)?),
            "boundary" => boundary = Some(value.to_owned()),
            _ => {}
        }
    }
    let protocol = protocol
        .ok_or_else(|| ProtocolError::Missing("protocol parameter of content type".into()))?;
    let boundary = boundary
        .ok_or_else(|| ProtocolError::Missing("boundary parameter of content type".into()))?;
    if boundary.is_empty() || boundary.len() > 200 || boundary.contains(['\r', '\n']) {
        return Err(ProtocolError::InvalidValue {
            what: "multipart boundary".into(),
            value: boundary.chars().take(100).collect(),
        });
    }
    Ok(EncryptedContentType {
        protocol,
        boundary,
        multi,
    })
}

/// Seals a SOAP message into a WinRM encrypted body; returns the body and
/// its Content-Type header value. CredSSP bodies over 16 KiB are split into
/// 16 KiB chunks under `multipart/x-multi-encrypted` ([MS-WSMV] §2.2.9.1.3).
pub fn wrap_body(
    ctx: &mut dyn SealingContext,
    protocol: SealProtocol,
    plaintext: &[u8],
) -> Result<(Vec<u8>, String), ProtocolError> {
    let multi = protocol == SealProtocol::CredSsp && plaintext.len() > CREDSSP_CHUNK;
    let mut body = Vec::with_capacity(plaintext.len() + 256);
    if multi {
        for chunk in plaintext.chunks(CREDSSP_CHUNK) {
            write_part(ctx, protocol, DEFAULT_BOUNDARY, chunk, &mut body)?;
        }
    } else {
        write_part(ctx, protocol, DEFAULT_BOUNDARY, plaintext, &mut body)?;
    }
    body.extend_from_slice(format!("--{DEFAULT_BOUNDARY}--\r\n").as_bytes());
    let ct = EncryptedContentType {
        protocol,
        boundary: DEFAULT_BOUNDARY.into(),
        multi,
    };
    Ok((body, ct.to_header()))
}

fn write_part(
    ctx: &mut dyn SealingContext,
    protocol: SealProtocol,
    boundary: &str,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), ProtocolError> {
    let sealed = ctx.seal(plaintext)?;
    let header_len = u32::try_from(sealed.header.len())
        .map_err(|_| ProtocolError::Limit("security header longer than 4 GiB".into()))?;
    let length = plaintext.len().saturating_add(sealed.padding);
    out.extend_from_slice(
        format!(
            "--{boundary}\r\n\tContent-Type: {}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={length}\r\n--{boundary}\r\n",
            protocol.as_str()
        )
        .as_bytes(),
    );
    out.extend_from_slice(OCTET_STREAM_LINE);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&sealed.header);
    out.extend_from_slice(&sealed.data);
    Ok(())
}

/// Unseals a WinRM encrypted body given its Content-Type header value; the
/// boundary is taken from the header. Every part's decrypted length must
/// equal its `OriginalContent` `Length=` ([MS-WSMV] §2.2.9.1.1.1). A space
/// between `--` and the boundary is tolerated ([MS-WSMV] §4.5 shows it).
pub fn unwrap_body(
    ctx: &mut dyn SealingContext,
    body: &[u8],
    content_type: &str,
) -> Result<Vec<u8>, ProtocolError> {
    let ct = parse_content_type(content_type)?;
    unwrap_body_with(ctx, body, &ct)
}

/// [`unwrap_body`] with an already parsed Content-Type.
pub fn unwrap_body_with(
    ctx: &mut dyn SealingContext,
    body: &[u8],
    ct: &EncryptedContentType,
) -> Result<Vec<u8>, ProtocolError> {
    let boundary = ct.boundary.as_bytes();
    let mut pos = match find_delimiter(body, 0, boundary) {
        Some(d) if d.start == 0 && !d.closing => d.end,
        _ => return Err(err("body does not start with the boundary")),
    };
    let mut out = Vec::new();
    let mut parts = 0usize;
    loop {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(ProtocolError::Limit(format!(
                "more than {MAX_PARTS} encrypted parts"
            )));
        }
        // Part headers up to the second delimiter.
        let d = find_delimiter(body, pos, boundary)
            .ok_or_else(|| err("missing boundary after the part headers"))?;
        if d.closing {
            return Err(err("closing boundary where the data part was expected"));
        }
        let headers = body.get(pos..d.start).unwrap_or_default();
        let (protocol, expected_len) = parse_part_headers(headers)?;
        if protocol != ct.protocol {
            return Err(ProtocolError::Unexpected {
                expected: ct.protocol.as_str().into(),
                found: protocol.as_str().into(),
            });
        }
        let rest = body.get(d.end..).unwrap_or_default();
        let rest = rest
            .strip_prefix(OCTET_STREAM_LINE)
            .ok_or_else(|| err("data part lacks its application/octet-stream header"))?;
        let data_start = body.len() - rest.len();
        let prefix: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| err("data part shorter than its length prefix"))?;
        let header_len = u32::from_le_bytes(prefix) as usize;
        if header_len > MAX_HEADER_LEN {
            return Err(err("security header length prefix too large"));
        }
        let header_end = data_start
            .checked_add(4 + header_len)
            .filter(|&e| e <= body.len())
            .ok_or_else(|| err("security header length prefix beyond the body"))?;
        let header = body.get(data_start + 4..header_end).unwrap_or_default();
        // The ciphertext is at least as long as the plaintext for every
        // mechanism (stream ciphers, TLS records), so the next delimiter is
        // looked for from there; this keeps ciphertext that happens to hold
        // the boundary text from being split.
        let search_from = header_end
            .checked_add(expected_len)
            .filter(|&s| s <= body.len())
            .unwrap_or(header_end);
        let next = find_delimiter(body, search_from, boundary)
            .or_else(|| find_delimiter(body, header_end, boundary))
            .ok_or_else(|| err("missing closing boundary"))?;
        let ciphertext = body.get(header_end..next.start).unwrap_or_default();
        let plain = ctx.unseal(header, ciphertext)?;
        // [MS-WSMV] §2.2.9.1.1.1: Length is the length of the original message.
        if plain.len() != expected_len {
            return Err(ProtocolError::Auth(format!(
                "decrypted length {} does not match the announced length {expected_len}",
                plain.len()
            )));
        }
        out.extend_from_slice(&plain);
        pos = next.end;
        let at_end = next.closing || pos >= body.len();
        if at_end {
            if !ct.multi && parts > 1 {
                return Err(err("several parts in a multipart/encrypted body"));
            }
            return Ok(out);
        }
    }
}

fn err(msg: &str) -> ProtocolError {
    ProtocolError::Auth(format!("malformed encrypted body: {msg}"))
}

struct Delimiter {
    start: usize,
    end: usize,
    closing: bool,
}

/// Finds `--[spaces]<boundary>[--]\r\n` at or after `from`.
fn find_delimiter(body: &[u8], from: usize, boundary: &[u8]) -> Option<Delimiter> {
    let mut i = from;
    while let Some(off) = body.get(i..)?.windows(2).position(|w| w == b"--") {
        let start = i + off;
        let mut j = start + 2;
        while matches!(body.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if body.get(j..)?.starts_with(boundary) {
            let after = j + boundary.len();
            let tail = body.get(after..).unwrap_or_default();
            if tail.starts_with(b"--\r\n") {
                return Some(Delimiter {
                    start,
                    end: after + 4,
                    closing: true,
                });
            }
            if tail.starts_with(b"\r\n") {
                return Some(Delimiter {
                    start,
                    end: after + 2,
                    closing: false,
                });
            }
            if tail == b"--" {
                return Some(Delimiter {
                    start,
                    end: after + 2,
                    closing: true,
                });
            }
        }
        i = start + 1;
    }
    None
}

/// Reads `Content-Type: <protocol>` and `OriginalContent: …;Length=<n>` from
/// the first part's headers.
fn parse_part_headers(headers: &[u8]) -> Result<(SealProtocol, usize), ProtocolError> {
    let text = std::str::from_utf8(headers).map_err(|_| err("part headers are not text"))?;
    let mut protocol = None;
    let mut length = None;
    for line in text.split("\r\n") {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(err("part header line without a colon"));
        };
        if name.trim().eq_ignore_ascii_case("Content-Type") {
            protocol = Some(SealProtocol::parse(value)?);
        } else if name.trim().eq_ignore_ascii_case("OriginalContent") {
            for param in value.split(';') {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("Length")
                {
                    let v = v.trim();
                    length = Some(
                        v.parse::<usize>()
                            .map_err(|_| ProtocolError::InvalidValue {
                                what: "OriginalContent Length".into(),
                                value: v.chars().take(40).collect(),
                            })?,
                    );
                }
            }
        }
    }
    let protocol = protocol.ok_or_else(|| ProtocolError::Missing("part Content-Type".into()))?;
    let length = length.ok_or_else(|| ProtocolError::Missing("OriginalContent Length".into()))?;
    Ok((protocol, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mock of pypsrp's tests/tests_pypsrp/test_encryption.py.
    struct Mock {
        padding: bool,
    }

    impl SealingContext for Mock {
        fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
            let mut data = plaintext.to_vec();
            data.extend_from_slice(b"-encrypted");
            Ok(Sealed {
                header: b"reallylongheader".to_vec(),
                data,
                padding: usize::from(self.padding),
            })
        }
        fn unseal(&mut self, _header: &[u8], data: &[u8]) -> Result<Vec<u8>, ProtocolError> {
            Ok(data
                .get(..data.len().saturating_sub(10))
                .unwrap_or_default()
                .to_vec())
        }
    }

    #[test]
    fn find_delimiter_variants() {
        let b = b"x-- Encrypted Boundary--\r\n";
        let d = find_delimiter(b, 0, b"Encrypted Boundary").unwrap();
        assert_eq!((d.start, d.end, d.closing), (1, b.len(), true));
        assert!(find_delimiter(b"--Encrypted Boundar\r\n", 0, b"Encrypted Boundary").is_none());
    }

    #[test]
    fn content_type_round_trip() {
        let ct = EncryptedContentType {
            protocol: SealProtocol::Kerberos,
            boundary: "B".into(),
            multi: false,
        };
        assert_eq!(parse_content_type(&ct.to_header()).unwrap(), ct);
        let mut m = Mock { padding: false };
        assert!(unwrap_body(&mut m, b"", "application/soap+xml").is_err());
    }
}
