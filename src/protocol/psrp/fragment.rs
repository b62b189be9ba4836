//! PSRP fragments ([MS-PSRP] §2.2.4): the framing that carries PSRP messages
//! inside WSMan `creationXml`, `connectXml`, `connectResponseXml`,
//! `rsp:Arguments` and `rsp:Stream` payloads.
//!
//! Wire layout (all integers big-endian):
//!
//! ```text
//! u64 ObjectId | u64 FragmentId | u8 flags (bit0 S, bit1 E) | u32 BlobLength | Blob
//! ```
//!
//! A WSMan payload holds one or more fragments back to back; a fragment never
//! spans two payloads. Messages are split into fragments by a [`Fragmenter`]
//! and reassembled by a [`Defragmenter`].
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp

use std::borrow::Cow;
use std::collections::HashMap;

use crate::protocol::ProtocolError;
use crate::protocol::psrp::message::Message;

/// Size of the fixed fragment header: ObjectId + FragmentId + flags + BlobLength.
pub const FRAGMENT_HEADER_LEN: usize = 8 + 8 + 1 + 4;

/// Default `MaximumReceivedObjectSize` of a PowerShell session: 200 MiB.
pub const DEFAULT_MAX_OBJECT_SIZE: usize = 200 * 1024 * 1024;

/// Default bound on the number of partially received objects kept at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// Bytes of a WSMan Send envelope that are not payload, as pypsrp measures
/// them: its empty `rsp:Send` envelope (1405 bytes) plus 256 bytes of slack
/// for options and longer selectors [pypsrp:wsman.py _calc_envelope_size].
pub const ENVELOPE_OVERHEAD: usize = 1405 + 256;

const FLAG_START: u8 = 0x01;
const FLAG_END: u8 = 0x02;

/// One PSRP fragment ([MS-PSRP] §2.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Identifies the message this fragment belongs to; shared by all its fragments.
    pub object_id: u64,
    /// Position of this fragment within its message, 0 for the first.
    pub fragment_id: u64,
    /// S flag: this is the first fragment of the message.
    pub start: bool,
    /// E flag: this is the last fragment of the message.
    pub end: bool,
    /// The part of the message carried by this fragment.
    pub data: Vec<u8>,
}

impl Fragment {
    /// A fragment holding a whole message (S and E set, FragmentId 0).
    pub fn whole(object_id: u64, data: Vec<u8>) -> Self {
        Fragment {
            object_id,
            fragment_id: 0,
            start: true,
            end: true,
            data,
        }
    }

    /// Encoded length of this fragment (header plus blob).
    pub fn encoded_len(&self) -> usize {
        FRAGMENT_HEADER_LEN + self.data.len()
    }

    /// Appends the wire form of this fragment to `out`.
    ///
    /// Fails only if the blob is longer than a u32 can describe.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let len = u32::try_from(self.data.len()).map_err(|_| {
            ProtocolError::Limit(format!(
                "psrp fragment blob of {} bytes exceeds u32",
                self.data.len()
            ))
        })?;
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.object_id.to_be_bytes());
        out.extend_from_slice(&self.fragment_id.to_be_bytes());
        let mut flags = 0u8;
        if self.start {
            flags |= FLAG_START;
        }
        if self.end {
            flags |= FLAG_END;
        }
        out.push(flags);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// The wire form of this fragment.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Decodes the fragment at the start of `input`; returns it and the
    /// number of bytes it occupied. A truncated header or blob is an error.
    pub fn decode(input: &[u8]) -> Result<(Fragment, usize), ProtocolError> {
        let (f, used) = Fragment::decode_borrowed(input)?;
        Ok((
            Fragment {
                object_id: f.object_id,
                fragment_id: f.fragment_id,
                start: f.start,
                end: f.end,
                data: f.data.to_vec(),
            },
            used,
        ))
    }

    /// [`Fragment::decode`] with the blob borrowed from `input`.
    fn decode_borrowed(input: &[u8]) -> Result<(FragmentRef<'_>, usize), ProtocolError> {
        let header = input.get(..FRAGMENT_HEADER_LEN).ok_or_else(|| {
            ProtocolError::Psrp(format!(
                "truncated fragment header: {} of {FRAGMENT_HEADER_LEN} bytes",
                input.len()
            ))
        })?;
        let (oid, rest) = header.split_at(8);
        let (fid, rest) = rest.split_at(8);
        let (flags, len) = rest.split_at(1);
        let object_id = u64::from_be_bytes(to_array(oid)?);
        let fragment_id = u64::from_be_bytes(to_array(fid)?);
        let flags = flags.first().copied().unwrap_or(0);
        let blob_len = u32::from_be_bytes(to_array(len)?) as usize;
        let end_at = FRAGMENT_HEADER_LEN
            .checked_add(blob_len)
            .ok_or_else(|| ProtocolError::Psrp("fragment length overflows".into()))?;
        let data = input.get(FRAGMENT_HEADER_LEN..end_at).ok_or_else(|| {
            ProtocolError::Psrp(format!(
                "truncated fragment blob: object {object_id} fragment {fragment_id} declares {blob_len} bytes, {} present",
                input.len() - FRAGMENT_HEADER_LEN
            ))
        })?;
        Ok((
            FragmentRef {
                object_id,
                fragment_id,
                start: flags & FLAG_START != 0,
                end: flags & FLAG_END != 0,
                data,
            },
            end_at,
        ))
    }

    /// Decodes a payload holding one or more fragments back to back. An
    /// empty payload, a truncated header or a truncated blob is an error.
    pub fn decode_all(input: &[u8]) -> Result<Vec<Fragment>, ProtocolError> {
        if input.is_empty() {
            return Err(ProtocolError::Psrp("empty fragment payload".into()));
        }
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let (fragment, used) = Fragment::decode(rest)?;
            out.push(fragment);
            rest = rest.get(used..).unwrap_or_default();
        }
        Ok(out)
    }

    /// Encodes several fragments back to back (one WSMan payload).
    pub fn encode_all(fragments: &[Fragment]) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::with_capacity(fragments.iter().map(Fragment::encoded_len).sum());
        for f in fragments {
            f.encode_into(&mut out)?;
        }
        Ok(out)
    }
}

/// A decoded fragment whose blob is still in the payload.
struct FragmentRef<'a> {
    object_id: u64,
    fragment_id: u64,
    start: bool,
    end: bool,
    data: &'a [u8],
}

fn to_array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], ProtocolError> {
    bytes
        .try_into()
        .map_err(|_| ProtocolError::Psrp("truncated fragment header".into()))
}

/// PSRP payload bytes that fit in one WSMan envelope of `max_envelope_size`
/// bytes once base64-encoded, computed like pypsrp does: subtract the
/// envelope overhead ([`ENVELOPE_OVERHEAD`]), then undo the 4/3 base64
/// inflation. Returns 0 when the envelope is too small to carry anything.
/// The result includes the fragment headers (use it as a [`Fragmenter`] budget).
pub fn payload_budget(max_envelope_size: usize) -> usize {
    max_envelope_size.saturating_sub(ENVELOPE_OVERHEAD) / 4 * 3
        + (max_envelope_size.saturating_sub(ENVELOPE_OVERHEAD) % 4) * 3 / 4
}

/// Splits whole PSRP messages into fragments and packs them into WSMan
/// payloads of at most `max_payload` bytes each (fragment headers included).
///
/// FragmentIds are numbered consecutively from 0 and fragments are emitted
/// in order; a payload holds as many fragments as fit, in the order the
/// messages were generated ([MS-PSRP] §3.1.5.1.1). ObjectIds start at 1 and
/// increase by one per message in this direction; [`Fragmenter::reset_object_ids`]
/// restarts them at 1, which a client does when it Connects to a disconnected
/// pool (the server then treats it as a blank runspace pool
/// [psrpcore:_server.py connect()]).
#[derive(Debug, Clone)]
pub struct Fragmenter {
    max_payload: usize,
    next_object_id: u64,
}

impl Fragmenter {
    /// A fragmenter whose WSMan payloads hold at most `max_payload` bytes.
    /// The budget must leave room for a header and at least one data byte.
    pub fn new(max_payload: usize) -> Result<Self, ProtocolError> {
        check_budget(max_payload)?;
        Ok(Fragmenter {
            max_payload,
            next_object_id: 1,
        })
    }

    /// A fragmenter sized for envelopes of `max_envelope_size` bytes
    /// (see [`payload_budget`]).
    pub fn for_envelope(max_envelope_size: usize) -> Result<Self, ProtocolError> {
        Fragmenter::new(payload_budget(max_envelope_size))
    }

    /// The per-payload byte budget.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Changes the per-payload budget, e.g. after the server's
    /// SESSION_CAPABILITY allowed larger envelopes.
    pub fn set_max_payload(&mut self, max_payload: usize) -> Result<(), ProtocolError> {
        check_budget(max_payload)?;
        self.max_payload = max_payload;
        Ok(())
    }

    /// The ObjectId the next message will get.
    pub fn next_object_id(&self) -> u64 {
        self.next_object_id
    }

    /// Restarts ObjectIds at 1 (for a Connect to a disconnected pool).
    pub fn reset_object_ids(&mut self) {
        self.next_object_id = 1;
    }

    fn take_object_id(&mut self) -> u64 {
        let id = self.next_object_id;
        self.next_object_id = self.next_object_id.wrapping_add(1).max(1);
        id
    }

    /// Splits one message into fragments whose encoded size each fits the budget.
    pub fn fragment(&mut self, message: &[u8]) -> Vec<Fragment> {
        let object_id = self.take_object_id();
        let chunk = self.max_payload - FRAGMENT_HEADER_LEN;
        split(object_id, message, chunk, chunk)
    }

    /// Fragments several messages and packs them into as few payloads as the
    /// budget allows: small messages share a payload, a large message is
    /// split across payloads. Each returned payload is the bytes of one
    /// `rsp:Stream`/`rsp:Arguments`/`creationXml` element before base64.
    pub fn pack(&mut self, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        let mut current: Vec<u8> = Vec::new();
        for message in messages {
            let object_id = self.take_object_id();
            let room = self.max_payload - current.len();
            let first = room.saturating_sub(FRAGMENT_HEADER_LEN);
            let chunk = self.max_payload - FRAGMENT_HEADER_LEN;
            let fragments = split(object_id, message, first, chunk);
            for fragment in fragments {
                if current.len() + fragment.encoded_len() > self.max_payload {
                    payloads.push(std::mem::take(&mut current));
                }
                fragment.encode_into(&mut current)?;
            }
        }
        if !current.is_empty() {
            payloads.push(current);
        }
        Ok(payloads)
    }
}

impl Fragmenter {
    /// Encodes and packs whole messages (see [`Fragmenter::pack`]).
    pub fn pack_messages(&mut self, messages: &[Message]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let encoded: Vec<Vec<u8>> = messages.iter().map(Message::encode).collect();
        let refs: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
        self.pack(&refs)
    }
}

fn check_budget(max_payload: usize) -> Result<(), ProtocolError> {
    if max_payload <= FRAGMENT_HEADER_LEN {
        return Err(ProtocolError::Limit(format!(
            "psrp payload budget of {max_payload} bytes cannot hold a fragment"
        )));
    }
    Ok(())
}

/// Splits `message` into fragments: the first carries at most `first` bytes
/// (0 means "start a fresh payload", i.e. `chunk`), the rest `chunk` bytes.
fn split(object_id: u64, message: &[u8], first: usize, chunk: usize) -> Vec<Fragment> {
    let first = if first == 0 { chunk } else { first };
    let mut fragments = Vec::new();
    let mut rest = message;
    let mut fragment_id = 0u64;
    loop {
        let take = if fragment_id == 0 { first } else { chunk }.min(rest.len());
        let (data, tail) = rest.split_at(take);
        rest = tail;
        fragments.push(Fragment {
            object_id,
            fragment_id,
            start: fragment_id == 0,
            end: rest.is_empty(),
            data: data.to_vec(),
        });
        if rest.is_empty() {
            return fragments;
        }
        fragment_id += 1;
    }
}

#[derive(Debug)]
struct Partial {
    next_fragment_id: u64,
    data: Vec<u8>,
}

/// Reassembles PSRP messages from fragments, keyed by ObjectId; objects may
/// interleave. Enforces FragmentId continuity (a start fragment has id 0, no
/// gaps, no duplicates), a maximum object size and a maximum number of
/// objects in flight. The state persists across payloads, so a message
/// spanning several Receive responses is completed by the later ones.
#[derive(Debug)]
pub struct Defragmenter {
    max_object_size: usize,
    max_in_flight: usize,
    partial: HashMap<u64, Partial>,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter::new()
    }
}

impl Defragmenter {
    /// A defragmenter with the default limits (200 MiB per object, 64 objects in flight).
    pub fn new() -> Self {
        Defragmenter::with_limits(DEFAULT_MAX_OBJECT_SIZE, DEFAULT_MAX_IN_FLIGHT)
    }

    /// A defragmenter with explicit limits (`max_in_flight` is at least 1).
    pub fn with_limits(max_object_size: usize, max_in_flight: usize) -> Self {
        Defragmenter {
            max_object_size,
            max_in_flight: max_in_flight.max(1),
            partial: HashMap::new(),
        }
    }

    /// Number of partially received objects.
    pub fn in_flight(&self) -> usize {
        self.partial.len()
    }

    /// Forgets every partially received object.
    pub fn clear(&mut self) {
        self.partial.clear();
    }

    /// Adds one fragment; returns the whole message when this fragment completes it.
    /// On error the offending object's partial data is dropped.
    pub fn push(&mut self, fragment: Fragment) -> Result<Option<Vec<u8>>, ProtocolError> {
        let Fragment {
            object_id,
            fragment_id,
            start,
            end,
            data,
        } = fragment;
        if start {
            // [MS-PSRP] §3.1.5.1.1: FragmentIds MUST begin with 0.
            if fragment_id != 0 {
                self.partial.remove(&object_id);
                return Err(ProtocolError::Psrp(format!(
                    "start fragment of object {object_id} has fragment id {fragment_id}, expected 0"
                )));
            }
            if self.partial.remove(&object_id).is_some() {
                return Err(ProtocolError::Psrp(format!(
                    "duplicate start fragment for object {object_id}"
                )));
            }
            if data.len() > self.max_object_size {
                return Err(self.too_large(object_id, data.len()));
            }
            if end {
                return Ok(Some(data));
            }
            if self.partial.len() >= self.max_in_flight {
                return Err(ProtocolError::Limit(format!(
                    "more than {} psrp objects in flight",
                    self.max_in_flight
                )));
            }
            self.partial.insert(
                object_id,
                Partial {
                    next_fragment_id: 1,
                    data,
                },
            );
            return Ok(None);
        }
        let Some(mut partial) = self.partial.remove(&object_id) else {
            return Err(ProtocolError::Psrp(format!(
                "fragment {fragment_id} of object {object_id} without a start fragment"
            )));
        };
        // [MS-PSRP] §3.1.5.1.1: FragmentIds MUST be consecutive and ascending;
        // §3.1.5.1.2: a receiver that sees otherwise MUST give up on the object.
        if fragment_id != partial.next_fragment_id {
            return Err(ProtocolError::Psrp(format!(
                "object {object_id}: fragment id {fragment_id}, expected {}",
                partial.next_fragment_id
            )));
        }
        let total = partial.data.len().saturating_add(data.len());
        if total > self.max_object_size {
            return Err(self.too_large(object_id, total));
        }
        partial.data.extend_from_slice(&data);
        if end {
            return Ok(Some(partial.data));
        }
        partial.next_fragment_id = partial.next_fragment_id.saturating_add(1);
        self.partial.insert(object_id, partial);
        Ok(None)
    }

    /// Decodes a WSMan payload (fragments back to back) and returns the
    /// messages it completes, in completion order.
    pub fn push_payload(&mut self, payload: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        Ok(self
            .push_payload_borrowed(payload)?
            .into_iter()
            .map(Cow::into_owned)
            .collect())
    }

    /// [`Defragmenter::push_payload`] without copying what needs no
    /// reassembly: a message carried whole by one fragment is borrowed from
    /// `payload`. The same checks, in the same order, with the same errors.
    pub fn push_payload_borrowed<'p>(
        &mut self,
        payload: &'p [u8],
    ) -> Result<Vec<Cow<'p, [u8]>>, ProtocolError> {
        if payload.is_empty() {
            return Err(ProtocolError::Psrp("empty fragment payload".into()));
        }
        // The whole payload's framing first, so that a bad one changes nothing.
        let mut rest = payload;
        while !rest.is_empty() {
            let (_, used) = Fragment::decode_borrowed(rest)?;
            rest = rest.get(used..).unwrap_or_default();
        }
        let mut done = Vec::new();
        let mut rest = payload;
        while !rest.is_empty() {
            let (f, used) = Fragment::decode_borrowed(rest)?;
            rest = rest.get(used..).unwrap_or_default();
            // What `push` would hand back unchanged, without touching state.
            let whole = f.start
                && f.end
                && f.fragment_id == 0
                && f.data.len() <= self.max_object_size
                && !self.partial.contains_key(&f.object_id);
            if whole {
                done.push(Cow::Borrowed(f.data));
            } else if let Some(message) = self.push(Fragment {
                object_id: f.object_id,
                fragment_id: f.fragment_id,
                start: f.start,
                end: f.end,
                data: f.data.to_vec(),
            })? {
                done.push(Cow::Owned(message));
            }
        }
        Ok(done)
    }

    /// Like [`Defragmenter::push_payload`], decoding each completed message.
    pub fn push_payload_messages(&mut self, payload: &[u8]) -> Result<Vec<Message>, ProtocolError> {
        self.push_payload(payload)?
            .into_iter()
            .map(Message::decode_owned)
            .collect()
    }

    fn too_large(&self, object_id: u64, size: usize) -> ProtocolError {
        ProtocolError::Limit(format!(
            "psrp object {object_id} of {size} bytes exceeds the maximum of {} bytes",
            self.max_object_size
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_big_endian() {
        let f = Fragment {
            object_id: 0x0102,
            fragment_id: 3,
            start: true,
            end: false,
            data: b"ab".to_vec(),
        };
        let bytes = f.encode().unwrap();
        assert_eq!(
            bytes,
            [
                0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 2, b'a', b'b'
            ]
        );
        assert_eq!(Fragment::decode(&bytes).unwrap(), (f, 23));
    }

    #[test]
    fn budget_matches_pypsrp() {
        // Values computed by pypsrp 0.9.1's WSMan._calc_envelope_size.
        assert_eq!(payload_budget(153_600), 113_954);
        assert_eq!(payload_budget(512_000), 382_754);
        assert_eq!(payload_budget(32_768), 23_330);
        assert_eq!(payload_budget(8_192), 4_898);
        assert_eq!(payload_budget(100), 0);
    }

    #[test]
    fn small_messages_share_a_payload() {
        let mut f = Fragmenter::new(200).unwrap();
        let payloads = f.pack(&[b"aaaa", b"bbbb"]).unwrap();
        assert_eq!(payloads.len(), 1);
        let frags = Fragment::decode_all(&payloads[0]).unwrap();
        assert_eq!(frags.len(), 2);
        assert_eq!((frags[0].object_id, frags[1].object_id), (1, 2));
        assert!(frags.iter().all(|x| x.start && x.end));
    }

    #[test]
    fn large_message_spans_payloads() {
        let mut f = Fragmenter::new(FRAGMENT_HEADER_LEN + 10).unwrap();
        let msg = vec![7u8; 35];
        let payloads = f.pack(&[&msg]).unwrap();
        assert_eq!(payloads.len(), 4);
        assert!(payloads.iter().all(|p| p.len() <= FRAGMENT_HEADER_LEN + 10));
        let mut d = Defragmenter::new();
        let mut out = Vec::new();
        for p in &payloads {
            out.extend(d.push_payload(p).unwrap());
        }
        assert_eq!(out, vec![msg]);
        assert_eq!(d.in_flight(), 0);
    }

    #[test]
    fn messages_round_trip_through_payloads() {
        use crate::protocol::psrp::message::{Destination, MessageType};
        let m = Message::from_clixml(
            Destination::Server,
            MessageType::SessionCapability,
            uuid::Uuid::from_u128(7),
            uuid::Uuid::nil(),
            "<Obj RefId=\"0\"><MS /></Obj>",
        );
        let mut f = Fragmenter::new(40).unwrap();
        let payloads = f.pack_messages(std::slice::from_ref(&m)).unwrap();
        assert!(payloads.len() > 1);
        let mut d = Defragmenter::new();
        let mut out = Vec::new();
        for p in &payloads {
            out.extend(d.push_payload_messages(p).unwrap());
        }
        assert_eq!(out, vec![m]);
    }

    #[test]
    fn reset_restarts_at_one() {
        let mut f = Fragmenter::new(100).unwrap();
        f.fragment(b"x");
        f.fragment(b"y");
        assert_eq!(f.next_object_id(), 3);
        f.reset_object_ids();
        assert_eq!(f.fragment(b"z")[0].object_id, 1);
    }

    #[test]
    fn budget_too_small_is_an_error() {
        assert!(Fragmenter::new(FRAGMENT_HEADER_LEN).is_err());
        assert!(Fragmenter::for_envelope(1000).is_err());
    }
}
