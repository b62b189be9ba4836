//! Surfaces a server or a client on the network controls.

use super::Surface;
use crate::protocol::compression::{self, CompressionMode, huffman};

pub(super) const SURFACES: &[Surface] = &[Surface {
    name: "xpress",
    what: "Xpress LZ77+Huffman blocks of shell stream data",
    run: xpress,
}];

/// Xpress: the output never exceeds the declared size, and what Baton
/// compresses decodes back to itself.
fn xpress(data: &[u8]) {
    let Some((&limit_byte, rest)) = data.split_first() else {
        return;
    };
    let max_len = usize::from(limit_byte) * 1024;
    if let Ok(out) = compression::decompress_stream(rest, max_len) {
        assert!(out.len() <= max_len, "{} bytes out, limit {max_len}", out.len());
    }
    if let Ok(out) = huffman::decompress(rest, max_len) {
        assert!(out.len() <= max_len);
    }
    let stream = compression::compress_stream(rest);
    let back = CompressionMode::XpressCompression
        .decode(&stream, rest.len())
        .expect("what Baton compresses decodes");
    assert_eq!(back, rest);
}
