//! MS-XCA LZ77+Huffman ([MS-XCA] §2.1 compression, §2.2 decompression) for
//! one WSMan compression block (at most 64 KiB of output, so one Huffman
//! table).
//!
//! Bit stream: 16-bit little-endian words read most-significant bit first,
//! with a 32-bit look-ahead window; the extra length bytes of long matches
//! are interleaved in the byte stream at the reader's cursor. Symbols 0..255
//! are literals; 256..511 are matches, `(sym - 256) & 15` the length nibble
//! and `(sym - 256) >> 4` the bit length of the offset.
//!
//! Why not the `xpress-huffman` crate (0.1.3): it agrees on the two
//! [MS-XCA] §3.2 examples, but it stops decoding as soon as its byte cursor
//! reaches the end of the input although up to 32 bits are still buffered,
//! so valid streams whose last symbols share the final words come back one
//! or more bytes short without an error (see the test
//! `xpress_huffman_crate_truncates_valid_streams`); it also accepts
//! incomplete Huffman codes and decodes garbage from them. This decoder
//! follows the [MS-XCA] §2.2.4 pseudo-code (decoding table of 2^15 entries
//! that must be filled exactly, ExtraBitCount refill rule) and stops at the
//! declared length.
//!
//! [MS-XCA]: https://learn.microsoft.com/openspecs/windows_protocols/ms-xca

use crate::protocol::ProtocolError;

/// Bytes of the code-length table in front of every Huffman block.
pub const TABLE_LEN: usize = 256;
const SYMBOLS: usize = 512;
const MAX_CODE_LEN: u8 = 15;
/// Output bytes covered by one Huffman table ([MS-XCA] §2.2.4).
pub const HUFFMAN_BLOCK: usize = 65536;
const MIN_MATCH: usize = 3;
const MAX_OFFSET: usize = 65535;

fn corrupt(what: &str) -> ProtocolError {
    ProtocolError::Compression(format!("lz77+huffman: {what}"))
}

/// Decodes an LZ77+Huffman stream that must produce exactly `out_len` bytes.
///
/// Strict: a truncated table or stream, an incomplete or over-subscribed
/// code, a match reaching before the output start or beyond `out_len` is an
/// error, never a panic. Output never exceeds `out_len`.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(HUFFMAN_BLOCK));
    let mut pos = 0usize;
    while out.len() < out_len {
        let table = input
            .get(pos..pos + TABLE_LEN)
            .ok_or_else(|| corrupt("truncated huffman table"))?;
        let (lengths, decode) = build_decoding_table(table)?;
        pos += TABLE_LEN;
        let mut reader = BitReader::new(input, pos)?;
        let block_end = out.len().saturating_add(HUFFMAN_BLOCK);
        while out.len() < out_len && out.len() < block_end {
            let symbol = decode[(reader.peek(15)) as usize];
            let len = lengths[symbol as usize];
            reader.consume(len)?;
            if symbol < 256 {
                out.push(symbol as u8);
                continue;
            }
            let s = symbol - 256;
            let offset_bits = (s >> 4) as u8;
            let mut length = (s & 15) as usize;
            if length == 15 {
                let b = reader.byte()? as usize;
                length = b;
                if b == 255 {
                    let mut w = reader.word()? as usize;
                    if w == 0 {
                        w = reader.dword()? as usize;
                    }
                    if w < 15 {
                        return Err(corrupt("extended match length below 15"));
                    }
                    length = w - 15;
                }
                length += 15;
            }
            length += MIN_MATCH;
            let offset = (1usize << offset_bits) + reader.peek(offset_bits) as usize;
            reader.consume(offset_bits)?;
            if offset > out.len() {
                return Err(corrupt("match offset before the start of the output"));
            }
            if out.len().saturating_add(length) > out_len {
                return Err(corrupt("match runs past the declared length"));
            }
            let from = out.len() - offset;
            for i in 0..length {
                let b = out[from + i];
                out.push(b);
            }
        }
        pos = reader.pos;
    }
    Ok(out)
}

/// Builds the 2^15-entry decoding table of [MS-XCA] §2.2.4: canonical codes
/// ordered by (length, symbol). The code must fill the table exactly.
fn build_decoding_table(table: &[u8]) -> Result<([u8; SYMBOLS], Vec<u16>), ProtocolError> {
    let mut lengths = [0u8; SYMBOLS];
    for (i, b) in table.iter().enumerate().take(TABLE_LEN) {
        lengths[2 * i] = b & 0x0F;
        lengths[2 * i + 1] = b >> 4;
    }
    let mut decode = vec![0u16; 1 << 15];
    let mut next = 0usize;
    for bit_len in 1..=MAX_CODE_LEN {
        for (symbol, _) in lengths.iter().enumerate().filter(|(_, l)| **l == bit_len) {
            let count = 1usize << (MAX_CODE_LEN - bit_len);
            let slots = decode
                .get_mut(next..next + count)
                .ok_or_else(|| corrupt("over-subscribed huffman code"))?;
            slots.fill(symbol as u16);
            next += count;
        }
    }
    if next != 1 << 15 {
        return Err(corrupt("incomplete huffman code"));
    }
    Ok((lengths, decode))
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    bits: u32,
    /// Valid bits beyond the 16 the window always holds ([MS-XCA] ExtraBitCount).
    extra: i32,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8], pos: usize) -> Result<Self, ProtocolError> {
        let mut r = BitReader {
            data,
            pos,
            bits: 0,
            extra: 16,
        };
        let hi = r.word()?;
        let lo = r.word()?;
        r.bits = (hi << 16) | lo;
        Ok(r)
    }

    fn word(&mut self) -> Result<u32, ProtocolError> {
        let w = self
            .data
            .get(self.pos..self.pos + 2)
            .ok_or_else(|| corrupt("truncated bit stream"))?;
        self.pos += 2;
        Ok(u32::from(u16::from_le_bytes([w[0], w[1]])))
    }

    fn dword(&mut self) -> Result<u32, ProtocolError> {
        let w = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| corrupt("truncated match length"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    }

    fn byte(&mut self) -> Result<u8, ProtocolError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| corrupt("truncated match length"))?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` (≤ 16) bits, not consumed.
    fn peek(&self, n: u8) -> u32 {
        if n == 0 {
            0
        } else {
            self.bits >> (32 - u32::from(n))
        }
    }

    fn consume(&mut self, n: u8) -> Result<(), ProtocolError> {
        if n == 0 {
            return Ok(());
        }
        self.bits = self.bits.checked_shl(u32::from(n)).unwrap_or(0);
        self.extra -= i32::from(n);
        if self.extra < 0 {
            let w = self.word()?;
            self.bits |= w << (-self.extra) as u32;
            self.extra += 16;
        }
        Ok(())
    }
}

/// Compresses one block of at most 64 KiB with LZ77+Huffman ([MS-XCA] §2.1):
/// greedy LZ77 matching (hash chains), a length-limited canonical Huffman
/// code, and an end-of-stream symbol.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let tokens = lz77(input);
    let mut freq = [0u32; SYMBOLS];
    for t in &tokens {
        freq[t.symbol() as usize] += 1;
    }
    freq[256] += 1; // end of stream
    let lengths = code_lengths(&freq);
    let codes = canonical_codes(&lengths);

    let mut out = Vec::with_capacity(TABLE_LEN + input.len() / 2 + 8);
    for pair in lengths.chunks(2) {
        out.push(pair[0] | (pair[1] << 4));
    }
    let mut w = BitWriter::new(out);
    for t in &tokens {
        let sym = t.symbol() as usize;
        w.bits(u32::from(codes[sym]), lengths[sym]);
        if let Token::Match { length, offset } = *t {
            let l = length - MIN_MATCH;
            if l >= 15 {
                if l - 15 < 255 {
                    w.raw(&[(l - 15) as u8]);
                } else {
                    w.raw(&[255]);
                    if l <= 0xFFFF {
                        w.raw(&(l as u16).to_le_bytes());
                    } else {
                        w.raw(&[0, 0]);
                        w.raw(&(l as u32).to_le_bytes());
                    }
                }
            }
            let obits = log2(offset);
            w.bits((offset - (1 << obits)) as u32, obits);
        }
    }
    w.bits(u32::from(codes[256]), lengths[256]);
    w.finish()
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Literal(u8),
    Match { length: usize, offset: usize },
}

impl Token {
    fn symbol(&self) -> u16 {
        match *self {
            Token::Literal(b) => u16::from(b),
            Token::Match { length, offset } => {
                let l = (length - MIN_MATCH).min(15) as u16;
                256 + l + 16 * u16::from(log2(offset))
            }
        }
    }
}

fn log2(v: usize) -> u8 {
    (usize::BITS - 1 - v.leading_zeros()) as u8
}

fn lz77(input: &[u8]) -> Vec<Token> {
    const HASH_BITS: u32 = 14;
    const CHAIN: usize = 32;
    let mut head = vec![usize::MAX; 1 << HASH_BITS];
    let mut prev = vec![usize::MAX; input.len()];
    let hash = |i: usize| -> usize {
        let v = u32::from(input[i]) | u32::from(input[i + 1]) << 8 | u32::from(input[i + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let mut best_len = 0;
        let mut best_off = 0;
        if i + MIN_MATCH <= input.len() {
            let h = hash(i);
            let mut cand = head[h];
            let mut steps = 0;
            while cand != usize::MAX && steps < CHAIN && i - cand <= MAX_OFFSET {
                let max = input.len() - i;
                let mut l = 0;
                while l < max && input[cand + l] == input[i + l] {
                    l += 1;
                }
                if l > best_len {
                    best_len = l;
                    best_off = i - cand;
                }
                cand = prev[cand];
                steps += 1;
            }
        }
        let advance = if best_len >= MIN_MATCH {
            tokens.push(Token::Match {
                length: best_len,
                offset: best_off,
            });
            best_len
        } else {
            tokens.push(Token::Literal(input[i]));
            1
        };
        for (j, link) in prev.iter_mut().enumerate().skip(i).take(advance) {
            if j + MIN_MATCH <= input.len() {
                let h = hash(j);
                *link = head[h];
                head[h] = j;
            }
        }
        i += advance;
    }
    tokens
}

/// Huffman code lengths limited to 15 bits; every used symbol gets a code
/// and the code is complete (at least two symbols are always coded).
fn code_lengths(freq: &[u32; SYMBOLS]) -> [u8; SYMBOLS] {
    let mut f: Vec<u64> = freq.iter().map(|&x| u64::from(x)).collect();
    if f.iter().filter(|&&x| x > 0).count() < 2 {
        // A complete code needs two leaves; add a harmless literal.
        let spare = usize::from(f[0] != 0);
        f[spare] = 1;
    }
    loop {
        let lengths = huffman_lengths(&f);
        if lengths.iter().all(|&l| l <= MAX_CODE_LEN) {
            return lengths;
        }
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

fn huffman_lengths(freq: &[u64]) -> [u8; SYMBOLS] {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    // Nodes: leaves 0..SYMBOLS, internal nodes after; parent links give depths.
    let mut parent: Vec<usize> = vec![usize::MAX; SYMBOLS];
    let mut heap = BinaryHeap::new();
    for (s, &w) in freq.iter().enumerate() {
        if w > 0 {
            heap.push(Reverse((w, s)));
        }
    }
    while heap.len() > 1 {
        let (Some(Reverse((wa, a))), Some(Reverse((wb, b)))) = (heap.pop(), heap.pop()) else {
            break;
        };
        let n = parent.len();
        parent.push(usize::MAX);
        parent[a] = n;
        parent[b] = n;
        heap.push(Reverse((wa + wb, n)));
    }
    let mut lengths = [0u8; SYMBOLS];
    for (s, len) in lengths.iter_mut().enumerate() {
        if freq[s] == 0 {
            continue;
        }
        let mut d = 0u32;
        let mut n = s;
        while parent[n] != usize::MAX {
            n = parent[n];
            d += 1;
        }
        *len = d.min(255) as u8;
    }
    lengths
}

fn canonical_codes(lengths: &[u8; SYMBOLS]) -> [u16; SYMBOLS] {
    let mut codes = [0u16; SYMBOLS];
    let mut code: u32 = 0;
    let mut prev_len = 0u8;
    for bit_len in 1..=MAX_CODE_LEN {
        for s in 0..SYMBOLS {
            if lengths[s] == bit_len {
                code <<= bit_len - prev_len;
                prev_len = bit_len;
                codes[s] = code as u16;
                code += 1;
            }
        }
    }
    codes
}

/// Writes 16-bit words MSB first. Like the reader, it keeps two word slots
/// reserved ahead; raw bytes go at the end of the output, which is where the
/// reader's cursor stands when it needs them.
struct BitWriter {
    out: Vec<u8>,
    slot: usize,
    next_slot: usize,
    word: u32,
    used: u8,
}

impl BitWriter {
    fn new(mut out: Vec<u8>) -> Self {
        let slot = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
        BitWriter {
            out,
            slot,
            next_slot: slot + 2,
            word: 0,
            used: 0,
        }
    }

    fn bits(&mut self, value: u32, n: u8) {
        for i in (0..n).rev() {
            if self.used == 16 {
                self.flush_word();
            }
            self.word = (self.word << 1) | ((value >> i) & 1);
            self.used += 1;
        }
    }

    fn flush_word(&mut self) {
        let w = (self.word as u16).to_le_bytes();
        self.out[self.slot] = w[0];
        self.out[self.slot + 1] = w[1];
        self.slot = self.next_slot;
        self.next_slot = self.out.len();
        self.out.extend_from_slice(&[0, 0]);
        self.word = 0;
        self.used = 0;
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn finish(mut self) -> Vec<u8> {
        let w = ((self.word << (16 - u32::from(self.used))) as u16).to_le_bytes();
        self.out[self.slot] = w[0];
        self.out[self.slot + 1] = w[1];
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_and_long_runs() {
        let mut data = Vec::new();
        for i in 0..3000u32 {
            data.extend_from_slice(format!("line {} of the output\r\n", i % 17).as_bytes());
        }
        data.extend(std::iter::repeat_n(b'x', 70_000));
        for chunk in data.chunks(HUFFMAN_BLOCK) {
            let c = compress(chunk);
            assert!(c.len() < chunk.len());
            assert_eq!(decompress(&c, chunk.len()).unwrap(), chunk);
        }
    }

    #[test]
    fn incomplete_code_is_an_error() {
        let mut table = vec![0u8; TABLE_LEN];
        table[0] = 0x01; // one symbol of length 1: half the code space
        table.extend_from_slice(&[0; 8]);
        assert!(decompress(&table, 10).is_err());
    }
}
