//! Xpress (MS-XCA LZ77+Huffman) compression of shell stream data, with the block framing of [MS-WSMV].
//!
//! [MS-WSMV]: https://learn.microsoft.com/openspecs/windows_protocols/ms-wsmv
