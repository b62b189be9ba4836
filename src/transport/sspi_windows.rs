//! The current user's credentials on Windows (`-Authentication
//! NegotiateWithImplicitCredential`, or no `-Credential`) through the
//! system's SSPI: Negotiate (Kerberos, or NTLM where Kerberos cannot be
//! used) with the logged-on user's credentials, as Windows PowerShell signs
//! in, with no password typed.
//!
//! It has the same interface as the GSSAPI module it replaces on Windows
//! (`transport::gss` is this file there): [`GssClient`] steps the security
//! context (`InitializeSecurityContextW`, with TLS channel bindings over
//! HTTPS) and seals WinRM messages (`EncryptMessage` with a token, data and
//! padding buffer, the layout the Windows WinRM client sends;
//! `DecryptMessage` of the token and the data).
//!
//! SSPI contacts the domain controller itself (blocking) inside
//! `InitializeSecurityContextW`; the session layer runs each step on
//! tokio's blocking pool.
//!
//! With the GSSAPI module, the crate's only `unsafe` code (the system
//! calls); every block says why it is sound. Written against Microsoft's
//! documentation of these calls and compiled for Windows from Linux; not
//! yet run on Windows (see the README's Platforms).

#![allow(unsafe_code)]

use windows::Win32::Security::Authentication::Identity::{
    AcquireCredentialsHandleW, DecryptMessage, DeleteSecurityContext, EncryptMessage,
    FreeContextBuffer, FreeCredentialsHandle, GetUserNameExW, ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_CONFIDENTIALITY, ISC_REQ_INTEGRITY, ISC_REQ_MUTUAL_AUTH, ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT, InitializeSecurityContextW, NameSamCompatible, NameUserPrincipal,
    QueryContextAttributesW, SEC_CHANNEL_BINDINGS, SECBUFFER_CHANNEL_BINDINGS, SECBUFFER_DATA,
    SECBUFFER_PADDING, SECBUFFER_TOKEN, SECBUFFER_VERSION, SECPKG_ATTR_SIZES, SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP, SecBuffer, SecBufferDesc, SecPkgContext_Sizes,
};
use windows::Win32::Security::Credentials::SecHandle;
use windows::core::{HRESULT, PWSTR, w};

use crate::protocol::ProtocolError;
use crate::protocol::auth::sealing::{Sealed, SealingContext};

/// `SEC_I_CONTINUE_NEEDED`: the context needs another round.
const CONTINUE_NEEDED: HRESULT = HRESULT(0x0009_0312);
/// `SEC_I_COMPLETE_NEEDED` and `SEC_I_COMPLETE_AND_CONTINUE`: only for
/// packages that need `CompleteAuthToken` (not Negotiate or Kerberos).
const COMPLETE_NEEDED: HRESULT = HRESULT(0x0009_0313);
const COMPLETE_AND_CONTINUE: HRESULT = HRESULT(0x0009_0314);

/// The principal of the logged-on user (`user@REALM`, else `DOMAIN\user`),
/// or why there is none.
pub fn current_principal() -> Result<String, ProtocolError> {
    for format in [NameUserPrincipal, NameSamCompatible] {
        let mut len: u32 = 0;
        // SAFETY: a first call with no buffer asks for the length only.
        let _ = unsafe { GetUserNameExW(format, None, &raw mut len) };
        if len == 0 {
            continue;
        }
        let mut buf = vec![0u16; len as usize + 1];
        // SAFETY: `buf` holds `len` UTF-16 units, as the call was told.
        let ok = unsafe { GetUserNameExW(format, Some(PWSTR(buf.as_mut_ptr())), &raw mut len) };
        if ok {
            buf.truncate(len as usize);
            let name = String::from_utf16_lossy(&buf);
            if !name.is_empty() {
                return Ok(name);
            }
        }
    }
    Err(no_credentials(
        "Windows names no logged-on domain user for this process",
    ))
}

fn no_credentials(detail: &str) -> ProtocolError {
    ProtocolError::Auth(format!(
        "the current user has no domain credentials ({detail}); sign in to the domain, or give -Credential"
    ))
}

fn failed(what: &str, code: HRESULT) -> ProtocolError {
    let message = windows::core::Error::from_hresult(code).message();
    ProtocolError::Auth(format!("SSPI {what}: {message} ({:#010x})", code.0))
}

/// `error` with what to do about it.
fn advised(error: ProtocolError, advice: &str) -> ProtocolError {
    match error {
        ProtocolError::Auth(text) => ProtocolError::Auth(format!("{text}; {advice}")),
        other => other,
    }
}

/// A buffer of `kind` over `bytes`, which SSPI reads or writes in place.
fn buffer(kind: u32, bytes: &mut [u8]) -> SecBuffer {
    SecBuffer {
        cbBuffer: bytes.len() as u32,
        BufferType: kind,
        pvBuffer: bytes.as_mut_ptr().cast(),
    }
}

/// The descriptor of `buffers` (which must outlive the call it is given to).
fn descriptor(buffers: &mut [SecBuffer]) -> SecBufferDesc {
    SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: buffers.len() as u32,
        pBuffers: buffers.as_mut_ptr(),
    }
}

/// An SSPI initiator context on the logged-on user's credentials.
pub struct GssClient {
    credentials: SecHandle,
    context: Option<SecHandle>,
    /// `HTTP/host`, as UTF-16 with its terminating zero.
    target: Vec<u16>,
    /// `tls-server-end-point` application data over HTTPS.
    channel_bindings: Option<Vec<u8>>,
    complete: bool,
    /// The trailer and block sizes of the established context.
    sizes: Option<SecPkgContext_Sizes>,
}

// SAFETY: SSPI handles are not tied to the thread that made them; the
// session layer moves the client between tokio's threads but never shares
// it.
unsafe impl Send for GssClient {}

impl std::fmt::Debug for GssClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GssClient")
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

impl GssClient {
    /// A context for the WinRM service's SPN `HTTP/host`: Negotiate when
    /// `spnego` (HTTP scheme Negotiate), else Kerberos.
    pub fn new(host: &str, spnego: bool) -> Result<Self, ProtocolError> {
        let package = if spnego {
            w!("Negotiate")
        } else {
            w!("Kerberos")
        };
        let mut credentials = SecHandle::default();
        let mut expiry = 0i64;
        // SAFETY: no principal and no auth data select the logged-on
        // user's credentials; the handle is written into a local.
        unsafe {
            AcquireCredentialsHandleW(
                None,
                package,
                SECPKG_CRED_OUTBOUND,
                None,
                None,
                None,
                None,
                &raw mut credentials,
                Some(&raw mut expiry),
            )
        }
        .map_err(|e| no_credentials(&e.message()))?;
        let target: Vec<u16> = format!("HTTP/{host}")
            .encode_utf16()
            .chain(std::iter::once(0))
            .collect();
        Ok(GssClient {
            credentials,
            context: None,
            target,
            channel_bindings: None,
            complete: false,
            sizes: None,
        })
    }

    /// Binds the context to the TLS channel (RFC 5929 application data).
    pub fn with_channel_bindings(mut self, application_data: Vec<u8>) -> Self {
        self.channel_bindings = Some(application_data);
        self
    }

    /// Whether the context is established.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// One `InitializeSecurityContextW` step: the token to send, if any.
    /// Blocks while SSPI asks the domain controller for a service ticket.
    pub fn step(&mut self, input: Option<&[u8]>) -> Result<Option<Vec<u8>>, ProtocolError> {
        // Input: the server's token, and the channel bindings (a
        // SEC_CHANNEL_BINDINGS header followed by its application data).
        let mut token_in = input.map(<[u8]>::to_vec).unwrap_or_default();
        let mut bindings = self.channel_bindings.as_ref().map(|app| {
            let header = std::mem::size_of::<SEC_CHANNEL_BINDINGS>();
            let mut bytes = vec![0u8; header + app.len()];
            let cb = SEC_CHANNEL_BINDINGS {
                cbApplicationDataLength: app.len() as u32,
                dwApplicationDataOffset: header as u32,
                ..SEC_CHANNEL_BINDINGS::default()
            };
            // SAFETY: `bytes` has room for the header; an unaligned write
            // of a plain-data struct.
            unsafe {
                std::ptr::write_unaligned(bytes.as_mut_ptr().cast::<SEC_CHANNEL_BINDINGS>(), cb);
            }
            bytes[header..].copy_from_slice(app);
            bytes
        });
        let mut in_buffers = Vec::new();
        if input.is_some() {
            in_buffers.push(buffer(SECBUFFER_TOKEN, &mut token_in));
        }
        if let Some(b) = bindings.as_mut() {
            in_buffers.push(buffer(SECBUFFER_CHANNEL_BINDINGS, b));
        }
        let in_desc = descriptor(&mut in_buffers);
        let mut out_buffer = SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: std::ptr::null_mut(),
        };
        let mut out_desc = SecBufferDesc {
            ulVersion: SECBUFFER_VERSION,
            cBuffers: 1,
            pBuffers: &raw mut out_buffer,
        };
        let flags = ISC_REQ_ALLOCATE_MEMORY
            | ISC_REQ_CONFIDENTIALITY
            | ISC_REQ_INTEGRITY
            | ISC_REQ_MUTUAL_AUTH
            | ISC_REQ_REPLAY_DETECT
            | ISC_REQ_SEQUENCE_DETECT;
        let mut new_context = self.context.unwrap_or_default();
        let mut attributes = 0u32;
        let mut expiry = 0i64;
        let previous = self.context;
        // SAFETY: every buffer and descriptor is a live local for the
        // call; the target name is zero-terminated; SSPI allocates the
        // output token (ISC_REQ_ALLOCATE_MEMORY), freed below.
        let status = unsafe {
            InitializeSecurityContextW(
                Some(&raw const self.credentials),
                previous.as_ref().map(std::ptr::from_ref),
                Some(self.target.as_ptr()),
                flags,
                0,
                SECURITY_NATIVE_DREP,
                (!in_buffers.is_empty()).then_some(&raw const in_desc),
                0,
                Some(&raw mut new_context),
                Some(&raw mut out_desc),
                &raw mut attributes,
                Some(&raw mut expiry),
            )
        };
        let token = if out_buffer.pvBuffer.is_null() || out_buffer.cbBuffer == 0 {
            Vec::new()
        } else {
            // SAFETY: SSPI wrote `cbBuffer` bytes at `pvBuffer`.
            let bytes = unsafe {
                std::slice::from_raw_parts(
                    out_buffer.pvBuffer.cast::<u8>(),
                    out_buffer.cbBuffer as usize,
                )
            }
            .to_vec();
            // SAFETY: the token SSPI allocated for us, freed once.
            let _ = unsafe { FreeContextBuffer(out_buffer.pvBuffer) };
            bytes
        };
        if status.is_err() {
            return Err(advised(
                failed("InitializeSecurityContext", status),
                "signing in as yourself needs the computer's name as the domain knows it (its DNS name, for the SPN HTTP/<name>) and a domain logon; otherwise give -Credential",
            ));
        }
        if status == COMPLETE_NEEDED || status == COMPLETE_AND_CONTINUE {
            return Err(ProtocolError::Auth(
                "SSPI asked for CompleteAuthToken, which Negotiate and Kerberos never need".into(),
            ));
        }
        self.context = Some(new_context);
        self.complete = status != CONTINUE_NEEDED;
        if self.complete {
            let mut sizes = SecPkgContext_Sizes::default();
            // SAFETY: the established context, and a buffer of the type
            // SECPKG_ATTR_SIZES writes.
            unsafe {
                QueryContextAttributesW(
                    &raw const new_context,
                    SECPKG_ATTR_SIZES,
                    (&raw mut sizes).cast(),
                )
            }
            .map_err(|e| failed("QueryContextAttributes", e.code()))?;
            self.sizes = Some(sizes);
        }
        Ok((!token.is_empty()).then_some(token))
    }

    fn established(&self) -> Result<(SecHandle, SecPkgContext_Sizes), ProtocolError> {
        match (self.context, self.sizes) {
            (Some(c), Some(s)) if self.complete => Ok((c, s)),
            _ => Err(ProtocolError::Auth(
                "the security context is not established yet".into(),
            )),
        }
    }
}

impl SealingContext for GssClient {
    /// `EncryptMessage` of a token (the trailer: the message's security
    /// header), the data (encrypted in place) and a padding buffer.
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        let (context, sizes) = self.established()?;
        let mut header = vec![0u8; sizes.cbSecurityTrailer as usize];
        let mut data = plaintext.to_vec();
        let mut padding = vec![0u8; sizes.cbBlockSize as usize];
        let mut buffers = [
            buffer(SECBUFFER_TOKEN, &mut header),
            buffer(SECBUFFER_DATA, &mut data),
            buffer(SECBUFFER_PADDING, &mut padding),
        ];
        let desc = descriptor(&mut buffers);
        // SAFETY: the three buffers are ours and sized as the context's
        // sizes ask; SSPI encrypts in place and shrinks the lengths.
        let status = unsafe { EncryptMessage(&raw const context, 0, &raw const desc, 0) };
        if status.is_err() {
            return Err(failed("EncryptMessage", status));
        }
        header.truncate(buffers[0].cbBuffer as usize);
        data.truncate(buffers[1].cbBuffer as usize);
        let padding_len = (buffers[2].cbBuffer as usize).min(padding.len());
        data.extend_from_slice(&padding[..padding_len]);
        Ok(Sealed {
            header,
            data,
            padding: padding_len,
        })
    }

    /// `DecryptMessage` of the security header (token) and the ciphertext
    /// (data, decrypted in place).
    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let (context, _) = self.established()?;
        let mut head = header.to_vec();
        let mut data = ciphertext.to_vec();
        let mut buffers = [
            buffer(SECBUFFER_TOKEN, &mut head),
            buffer(SECBUFFER_DATA, &mut data),
        ];
        let desc = descriptor(&mut buffers);
        let mut qop = 0u32;
        // SAFETY: both buffers are ours; SSPI decrypts the data in place.
        let status =
            unsafe { DecryptMessage(&raw const context, &raw const desc, 0, Some(&raw mut qop)) };
        if status.is_err() {
            return Err(failed("DecryptMessage", status));
        }
        data.truncate((buffers[1].cbBuffer as usize).min(data.len()));
        Ok(data)
    }
}

impl Drop for GssClient {
    fn drop(&mut self) {
        // SAFETY: releasing this client's own context and credentials, once.
        unsafe {
            if let Some(c) = self.context.take() {
                let _ = DeleteSecurityContext(&raw const c);
            }
            let _ = FreeCredentialsHandle(&raw const self.credentials);
        }
    }
}
