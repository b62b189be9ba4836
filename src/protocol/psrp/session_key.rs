//! The PSRP session key: how a SecureString crosses the wire.
//!
//! [MS-PSRP] §3.1.4.4 and §3.2.4.4 (key exchange), §2.2.2.3 PUBLIC_KEY,
//! §2.2.2.4 ENCRYPTED_SESSION_KEY, §2.2.2.5 PUBLIC_KEY_REQUEST and
//! §2.2.5.1.24 (the `<SS>` element):
//!
//! 1. The client makes an RSA exchange key and sends its public half as a
//!    CAPI `PUBLICKEYBLOB` (PUBLIC_KEY, on the pool's `stdin`). The server
//!    asks for one with PUBLIC_KEY_REQUEST when it has a SecureString to send
//!    first.
//! 2. The server makes a 256-bit AES session key, encrypts it to that public
//!    key with PKCS#1 v1.5 and answers with a CAPI `SIMPLEBLOB`
//!    (ENCRYPTED_SESSION_KEY).
//! 3. Each SecureString is then its UTF-16LE text, PKCS#7 padded and
//!    encrypted with AES-256-CBC under the session key and an all-zero IV,
//!    base64 in `<SS>`.
//!
//! CAPI blobs store numbers little-endian; PKCS#1 is big-endian, hence the
//! byte reversals. Sans-IO: the caller passes the random source.

use aes::Aes256;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use rsa::rand_core::CryptoRng;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use zeroize::{Zeroize, Zeroizing};

use crate::protocol::clixml::{PsObject, PsValue};
use crate::protocol::error::ProtocolError;

/// The exchange key's size: what PowerShell and pypsrp use.
pub const EXCHANGE_KEY_BITS: usize = 2048;
/// The largest public key a server accepts from a client: bounds the work a
/// hostile client can ask for.
const MAX_PUBLIC_KEY_BITS: u32 = 4096;
const MIN_PUBLIC_KEY_BITS: u32 = 1024;
/// `BLOBHEADER` + `RSAPUBKEY`: PUBLICKEYBLOB, version 2, CALG_RSA_KEYX, "RSA1".
const PUBLICKEYBLOB_HEADER: [u8; 12] = [
    0x06, 0x02, 0x00, 0x00, 0x00, 0xA4, 0x00, 0x00, b'R', b'S', b'A', b'1',
];
/// `BLOBHEADER` + the wrapping key's ALG_ID: SIMPLEBLOB, version 2,
/// CALG_AES_256, wrapped with CALG_RSA_KEYX.
const SIMPLEBLOB_HEADER: [u8; 12] = [
    0x01, 0x02, 0x00, 0x00, 0x10, 0x66, 0x00, 0x00, 0x00, 0xA4, 0x00, 0x00,
];
/// A SecureString answer's limit (after decoding): far above any password,
/// far below what would strain memory.
const MAX_SECURE_STRING_BYTES: usize = 64 * 1024;

fn bad(what: impl Into<String>) -> ProtocolError {
    ProtocolError::Psrp(what.into())
}

/// The client's RSA exchange key (its private half stays in this process).
pub struct ExchangeKey {
    key: RsaPrivateKey,
}

impl std::fmt::Debug for ExchangeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExchangeKey(..)")
    }
}

impl ExchangeKey {
    /// A new 2048-bit key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Result<Self, ProtocolError> {
        RsaPrivateKey::new(rng, EXCHANGE_KEY_BITS)
            .map(|key| ExchangeKey { key })
            .map_err(|e| bad(format!("could not make the session exchange key: {e}")))
    }

    /// The public half as PUBLIC_KEY carries it (a CAPI PUBLICKEYBLOB).
    pub fn public_key_blob(&self) -> Vec<u8> {
        let bits = self.key.n().bits();
        let len = (bits as usize).div_ceil(8);
        let mut out = Vec::with_capacity(20 + len);
        out.extend_from_slice(&PUBLICKEYBLOB_HEADER);
        out.extend_from_slice(&bits.to_le_bytes());
        let e = self.key.e_bytes();
        let mut e_le = [0u8; 4];
        for (slot, b) in e_le.iter_mut().zip(e.iter().rev()) {
            *slot = *b;
        }
        out.extend_from_slice(&e_le);
        let n = self.key.n_bytes();
        out.extend(n.iter().rev());
        out.resize(20 + len, 0);
        out
    }

    /// The session key from the server's ENCRYPTED_SESSION_KEY blob. The
    /// key is used for this one decryption (a new one per exchange), so
    /// there is nothing for a timing attack to gather.
    pub fn unwrap_session_key(&self, blob: &[u8]) -> Result<SessionKey, ProtocolError> {
        let modulus = self.key.n_bytes().len();
        if blob.len() != SIMPLEBLOB_HEADER.len() + modulus {
            return Err(bad(format!(
                "the encrypted session key is {} bytes; a 2048-bit exchange key needs {}",
                blob.len(),
                SIMPLEBLOB_HEADER.len() + modulus
            )));
        }
        if blob[..SIMPLEBLOB_HEADER.len()] != SIMPLEBLOB_HEADER {
            return Err(bad(
                "the encrypted session key is not an AES-256 key wrapped with RSA",
            ));
        }
        let ciphertext: Vec<u8> = blob[SIMPLEBLOB_HEADER.len()..]
            .iter()
            .rev()
            .copied()
            .collect();
        let plain = Zeroizing::new(self.key.decrypt(Pkcs1v15Encrypt, &ciphertext).map_err(
            |_| bad("the encrypted session key does not decrypt with this client's key"),
        )?);
        let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| {
            bad(format!(
                "the session key is {} bytes, not 32 (AES-256)",
                plain.len()
            ))
        })?;
        Ok(SessionKey(Zeroizing::new(key)))
    }
}

/// The server's side: `session_key` encrypted to the client's PUBLIC_KEY
/// blob, as ENCRYPTED_SESSION_KEY carries it (a CAPI SIMPLEBLOB).
pub fn wrap_session_key<R: CryptoRng + ?Sized>(
    rng: &mut R,
    public_key_blob: &[u8],
    session_key: &SessionKey,
) -> Result<Vec<u8>, ProtocolError> {
    if public_key_blob.len() < 20 || public_key_blob[..12] != PUBLICKEYBLOB_HEADER {
        return Err(bad(
            "the client's public key is not an RSA key exchange PUBLICKEYBLOB",
        ));
    }
    let word = |at: usize| {
        u32::from_le_bytes([
            public_key_blob[at],
            public_key_blob[at + 1],
            public_key_blob[at + 2],
            public_key_blob[at + 3],
        ])
    };
    let bits = word(12);
    let exponent = word(16);
    if !(MIN_PUBLIC_KEY_BITS..=MAX_PUBLIC_KEY_BITS).contains(&bits) || bits % 8 != 0 {
        return Err(bad(format!(
            "the client's public key has {bits} bits; {MIN_PUBLIC_KEY_BITS} to {MAX_PUBLIC_KEY_BITS} in whole bytes are accepted"
        )));
    }
    let modulus = &public_key_blob[20..];
    if modulus.len() != bits as usize / 8 {
        return Err(bad(format!(
            "the client's {bits}-bit public key carries a {}-byte modulus",
            modulus.len()
        )));
    }
    let n_be: Vec<u8> = modulus.iter().rev().copied().collect();
    let n = BoxedUint::from_be_slice(&n_be, bits)
        .map_err(|_| bad("the client's public key modulus does not fit its size"))?;
    let e = BoxedUint::from_be_slice(&exponent.to_be_bytes(), 64)
        .map_err(|_| bad("the client's public key exponent is invalid"))?;
    let public = RsaPublicKey::new(n, e).map_err(|e| {
        bad(format!(
            "the client's public key is not a valid RSA key: {e}"
        ))
    })?;
    let wrapped = public
        .encrypt(rng, Pkcs1v15Encrypt, &session_key.0[..])
        .map_err(|e| bad(format!("the session key could not be encrypted: {e}")))?;
    let mut out = Vec::with_capacity(SIMPLEBLOB_HEADER.len() + wrapped.len());
    out.extend_from_slice(&SIMPLEBLOB_HEADER);
    out.extend(wrapped.iter().rev());
    Ok(out)
}

/// The AES-256 session key that SecureStrings are encrypted with.
#[derive(Clone)]
pub struct SessionKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl PartialEq for SessionKey {
    fn eq(&self, other: &Self) -> bool {
        // Compared in tests only; no secret-dependent early exit anyway.
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
    }
}

impl SessionKey {
    /// A new random key (the server's side).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut key[..]);
        SessionKey(key)
    }

    /// A key from its bytes (tests and peers).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SessionKey(Zeroizing::new(bytes))
    }

    /// `text` as the bytes of an `<SS>` element.
    pub fn encrypt(&self, text: &str) -> Vec<u8> {
        let mut plain: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let out = cbc::Encryptor::<Aes256>::new(&(*self.0).into(), &[0u8; 16].into())
            .encrypt_padded_vec::<Pkcs7>(&plain);
        plain.zeroize();
        out
    }

    /// The text of an `<SS>` element's bytes.
    pub fn decrypt(&self, data: &[u8]) -> Result<Zeroizing<String>, ProtocolError> {
        if data.len() > MAX_SECURE_STRING_BYTES {
            return Err(bad(format!(
                "a SecureString of {} bytes is over the limit of {MAX_SECURE_STRING_BYTES}",
                data.len()
            )));
        }
        let plain = Zeroizing::new(
            cbc::Decryptor::<Aes256>::new(&(*self.0).into(), &[0u8; 16].into())
                .decrypt_padded_vec::<Pkcs7>(data)
                .map_err(|_| bad("a SecureString does not decrypt with the session key"))?,
        );
        if plain.len() % 2 != 0 {
            return Err(bad("a SecureString is not UTF-16 text"));
        }
        let units: Zeroizing<Vec<u16>> = Zeroizing::new(
            plain
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        );
        String::from_utf16(&units)
            .map(Zeroizing::new)
            .map_err(|_| bad("a SecureString is not UTF-16 text"))
    }
}

/// PUBLIC_KEY's body.
pub fn public_key_message(blob: &[u8]) -> PsValue {
    PsObject::new()
        .with_ms("PublicKey", PsValue::str(b64(blob)))
        .into()
}

/// ENCRYPTED_SESSION_KEY's body.
pub fn encrypted_session_key_message(blob: &[u8]) -> PsValue {
    PsObject::new()
        .with_ms("EncryptedSessionKey", PsValue::str(b64(blob)))
        .into()
}

/// The blob of a PUBLIC_KEY body.
pub fn public_key_from_message(value: &PsValue) -> Result<Vec<u8>, ProtocolError> {
    blob_of(value, "PublicKey", "PUBLIC_KEY")
}

/// The blob of an ENCRYPTED_SESSION_KEY body.
pub fn encrypted_session_key_from_message(value: &PsValue) -> Result<Vec<u8>, ProtocolError> {
    blob_of(value, "EncryptedSessionKey", "ENCRYPTED_SESSION_KEY")
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn blob_of(value: &PsValue, name: &str, message: &str) -> Result<Vec<u8>, ProtocolError> {
    use base64::Engine as _;
    let text = value
        .get(name)
        .and_then(PsValue::as_str)
        .ok_or_else(|| bad(format!("{message} has no {name}")))?;
    if text.len() > 16 * 1024 {
        return Err(bad(format!(
            "{message}'s {name} is {} characters long",
            text.len()
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| bad(format!("{message}'s {name} is not base64")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> impl CryptoRng {
        rsa::rand_core::UnwrapErr(getrandom::SysRng)
    }

    #[test]
    fn the_exchange_round_trips_and_rejects_what_does_not_fit() {
        let mut r = rng();
        let client = ExchangeKey::generate(&mut r).unwrap();
        let blob = client.public_key_blob();
        assert_eq!(blob.len(), 20 + 256);
        assert_eq!(
            &blob[..16],
            b"\x06\x02\x00\x00\x00\xa4\x00\x00RSA1\x00\x08\x00\x00"
        );
        assert_eq!(
            &blob[16..20],
            &[1, 0, 1, 0],
            "exponent 65537, little-endian"
        );
        let server = SessionKey::generate(&mut r);
        let wrapped = wrap_session_key(&mut r, &blob, &server).unwrap();
        assert_eq!(wrapped.len(), 12 + 256);
        assert_eq!(client.unwrap_session_key(&wrapped).unwrap(), server);

        // A blob for another key, a cut blob and a wrong header are refused.
        let other = ExchangeKey::generate(&mut r).unwrap();
        assert!(other.unwrap_session_key(&wrapped).is_err());
        assert!(client.unwrap_session_key(&wrapped[..200]).is_err());
        let mut odd = wrapped.clone();
        odd[4] = 0x0E; // CALG_AES_128
        assert!(client.unwrap_session_key(&odd).is_err());
        // A hostile client's key sizes are bounded.
        let mut huge = blob[..20].to_vec();
        huge[12..16].copy_from_slice(&65536u32.to_le_bytes());
        huge.extend(std::iter::repeat_n(0xFF, 8192));
        assert!(wrap_session_key(&mut r, &huge, &server).is_err());
        assert!(wrap_session_key(&mut r, &blob[..100], &server).is_err());
    }

    #[test]
    fn secure_strings_are_utf16_aes_cbc_with_a_zero_iv() {
        let key = SessionKey::from_bytes([7; 32]);
        let ct = key.encrypt("P@ss wörd");
        assert_eq!(ct.len(), 32, "18 bytes of UTF-16 pad to two blocks");
        assert_eq!(key.decrypt(&ct).unwrap().as_str(), "P@ss wörd");
        // The same text gives the same bytes: no IV, as PowerShell does it.
        assert_eq!(key.encrypt("P@ss wörd"), ct);
        assert!(SessionKey::from_bytes([8; 32]).decrypt(&ct).is_err());
        assert!(key.decrypt(&ct[..31]).is_err());
        assert_eq!(key.decrypt(&key.encrypt("")).unwrap().as_str(), "");
    }

    #[test]
    fn messages_carry_the_blobs_in_base64() {
        let v = public_key_message(&[1, 2, 3]);
        assert_eq!(public_key_from_message(&v).unwrap(), vec![1, 2, 3]);
        let v = encrypted_session_key_message(&[4, 5]);
        assert_eq!(encrypted_session_key_from_message(&v).unwrap(), vec![4, 5]);
        assert!(public_key_from_message(&v).is_err());
    }
}
