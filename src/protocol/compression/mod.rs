//! Xpress (MS-XCA LZ77+Huffman) compression of shell stream data, with the block framing of [MS-WSMV].
//!
//! A shell created with `<rsp:CompressionType>xpress</rsp:CompressionType>`
//! (what Windows PowerShell clients send by default; Enumerate then shows
//! `CompressionMode=XpressCompression`) carries compressed `rsp:Stream` data
//! in Send and ReceiveResponse [MS-WSMV §3.1.4.1.31.6, §3.2.4.1.19].
//! Framing per product-behaviour note <134> of [MS-WSMV]:
//!
//! - the data is processed in chunks of at most 64 KiB;
//! - each block starts with 4 bytes: original length − 1 and compressed
//!   length − 1 (the note gives no widths; two little-endian u16 is inferred:
//!   64 KiB − 1 fills a u16 exactly);
//! - chunks under 266 bytes, and chunks that do not shrink, are stored as
//!   is, with both lengths equal, and read back as is;
//! - other chunks are LZ77+Huffman ([MS-XCA] §2.1-2.2) compressed.
//!
//! The LZ77+Huffman codec is our own ([`huffman`]); see that module and the
//! tests for why the `xpress-huffman` crate is not used to decode.
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv
//! [MS-XCA]: https://learn.microsoft.com/openspecs/windows_protocols/ms-xca

pub mod huffman;

use crate::protocol::ProtocolError;

/// Largest chunk of original data in one block.
pub const MAX_CHUNK: usize = 65536;
/// Chunks shorter than this are always stored ([MS-WSMV] <134>).
pub const MIN_COMPRESSED_CHUNK: usize = 266;
/// Size of a block header.
pub const BLOCK_HEADER_LEN: usize = 4;

/// Compression of a shell's stream data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressionMode {
    /// Stream data is sent as is.
    #[default]
    NoCompression,
    /// Stream data uses the Xpress block framing ("xpress").
    XpressCompression,
}

impl CompressionMode {
    /// Parses the `CompressionMode` of a shell from Enumerate/Get
    /// (`NoCompression`/`XpressCompression`) or the value of the Create
    /// header `rsp:CompressionType` (`xpress`), case-insensitively.
    pub fn parse(value: &str) -> Result<Self, ProtocolError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "nocompression" => Ok(CompressionMode::NoCompression),
            "xpresscompression" | "xpress" => Ok(CompressionMode::XpressCompression),
            _ => Err(ProtocolError::InvalidValue {
                what: "compression mode".into(),
                value: value.into(),
            }),
        }
    }

    /// The name Enumerate/Get report (`NoCompression`, `XpressCompression`).
    pub fn as_str(self) -> &'static str {
        match self {
            CompressionMode::NoCompression => "NoCompression",
            CompressionMode::XpressCompression => "XpressCompression",
        }
    }

    /// The `rsp:CompressionType` header value to request this mode at Create
    /// (`None`: send no header).
    pub fn create_header_value(self) -> Option<&'static str> {
        match self {
            CompressionMode::NoCompression => None,
            CompressionMode::XpressCompression => Some("xpress"),
        }
    }

    /// Encodes outgoing stream data for this mode.
    pub fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            CompressionMode::NoCompression => data.to_vec(),
            CompressionMode::XpressCompression => compress_stream(data),
        }
    }

    /// Decodes incoming stream data for this mode, producing at most `max_len` bytes.
    pub fn decode(self, data: &[u8], max_len: usize) -> Result<Vec<u8>, ProtocolError> {
        match self {
            CompressionMode::NoCompression => {
                if data.len() > max_len {
                    return Err(limit(max_len));
                }
                Ok(data.to_vec())
            }
            CompressionMode::XpressCompression => decompress_stream(data, max_len),
        }
    }
}

fn limit(max_len: usize) -> ProtocolError {
    ProtocolError::Limit(format!("decompressed stream data exceeds {max_len} bytes"))
}

/// Compresses stream data into Xpress blocks: chunks of 64 KiB, each
/// LZ77+Huffman compressed when at least 266 bytes long and smaller once
/// compressed, stored otherwise.
pub fn compress_stream(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / MAX_CHUNK * 4 + 4);
    for chunk in data.chunks(MAX_CHUNK) {
        let packed = if chunk.len() >= MIN_COMPRESSED_CHUNK {
            Some(huffman::compress(chunk)).filter(|c| c.len() < chunk.len())
        } else {
            None
        };
        let payload = packed.as_deref().unwrap_or(chunk);
        push_block(&mut out, chunk.len(), payload);
    }
    out
}

/// Encodes stream data as stored (uncompressed) Xpress blocks only; valid
/// for any decoder of the framing, as both lengths are equal in every block.
pub fn store_stream(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / MAX_CHUNK * 4 + 4);
    for chunk in data.chunks(MAX_CHUNK) {
        push_block(&mut out, chunk.len(), chunk);
    }
    out
}

fn push_block(out: &mut Vec<u8>, original: usize, payload: &[u8]) {
    // Both lengths are 1..=65536 here, so the u16 arithmetic cannot wrap.
    out.extend_from_slice(&((original - 1) as u16).to_le_bytes());
    out.extend_from_slice(&((payload.len() - 1) as u16).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Decodes a whole sequence of Xpress blocks. Truncated or corrupt blocks
/// are errors; producing more than `max_len` bytes is a `Limit` error
/// (checked before any block is expanded, so a bomb costs nothing).
pub fn decompress_stream(data: &[u8], max_len: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut d = Decompressor::new(max_len);
    let out = d.push(data)?;
    d.finish()?;
    Ok(out)
}

/// Streaming decoder of Xpress blocks: accepts data in pieces (e.g. several
/// `rsp:Stream` elements) and keeps an incomplete trailing block for the
/// next piece.
#[derive(Debug, Clone)]
pub struct Decompressor {
    pending: Vec<u8>,
    produced: usize,
    max_len: usize,
}

impl Decompressor {
    /// A decoder that refuses to produce more than `max_len` bytes in total.
    pub fn new(max_len: usize) -> Self {
        Decompressor {
            pending: Vec::new(),
            produced: 0,
            max_len,
        }
    }

    /// Total bytes produced so far.
    pub fn produced(&self) -> usize {
        self.produced
    }

    /// Whether no partial block is buffered.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// Feeds more data; returns the bytes of every block it completes.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        let mut at = 0usize;
        while let Some(header) = self.pending.get(at..at + BLOCK_HEADER_LEN) {
            let original = usize::from(u16::from_le_bytes([header[0], header[1]])) + 1;
            let packed = usize::from(u16::from_le_bytes([header[2], header[3]])) + 1;
            let start = at + BLOCK_HEADER_LEN;
            let Some(payload) = self.pending.get(start..start + packed) else {
                break;
            };
            if self.produced.saturating_add(original) > self.max_len {
                self.pending.clear();
                return Err(limit(self.max_len));
            }
            match packed.cmp(&original) {
                std::cmp::Ordering::Equal => out.extend_from_slice(payload),
                std::cmp::Ordering::Greater => {
                    self.pending.clear();
                    return Err(ProtocolError::Compression(format!(
                        "block of {original} bytes has a larger compressed length {packed}"
                    )));
                }
                std::cmp::Ordering::Less => match huffman::decompress(payload, original) {
                    Ok(block) => out.extend_from_slice(&block),
                    Err(e) => {
                        self.pending.clear();
                        return Err(e);
                    }
                },
            }
            self.produced += original;
            at = start + packed;
        }
        self.pending.drain(..at);
        Ok(out)
    }

    /// Checks that no partial block is left over.
    pub fn finish(&self) -> Result<(), ProtocolError> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::Compression(format!(
                "truncated block: {} bytes left over",
                self.pending.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_chunks_are_stored_with_equal_lengths() {
        let out = compress_stream(b"hello");
        assert_eq!(&out[..4], &[4, 0, 4, 0]);
        assert_eq!(&out[4..], b"hello");
        assert_eq!(decompress_stream(&out, 100).unwrap(), b"hello");
    }

    #[test]
    fn bomb_is_refused_before_expansion() {
        let data = vec![b'a'; 200_000];
        let packed = compress_stream(&data);
        assert!(packed.len() < 2_000);
        assert!(matches!(
            decompress_stream(&packed, 100_000),
            Err(ProtocolError::Limit(_))
        ));
        assert_eq!(decompress_stream(&packed, 200_000).unwrap(), data);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(
            CompressionMode::parse("XpressCompression").unwrap(),
            CompressionMode::XpressCompression
        );
        assert_eq!(
            CompressionMode::parse("xpress").unwrap(),
            CompressionMode::XpressCompression
        );
        assert_eq!(
            CompressionMode::parse("NoCompression").unwrap(),
            CompressionMode::NoCompression
        );
        assert!(CompressionMode::parse("gzip").is_err());
    }
}
