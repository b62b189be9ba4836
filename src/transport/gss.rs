//! The current user's credentials (`-Authentication NegotiateWithImplicitCredential`,
//! or no `-Credential`) through the system's GSSAPI library: MIT Kerberos'
//! `libgssapi_krb5.so.2` (or Heimdal's `libgssapi.so.3`), which finds the
//! user's tickets in the credential cache that `kinit` or a domain logon
//! (SSSD, winbind) filled.
//!
//! sspi, which does Baton's password logons, cannot start from a ticket
//! cache, so this path hands the whole context to GSSAPI: the security
//! context (SPNEGO or raw Kerberos, with TLS channel bindings over HTTPS)
//! and the WinRM sealing (`gss_wrap_iov` with a header, as Windows lays the
//! Kerberos wrap token out). The library is loaded when first needed, so
//! Baton starts, and every other mechanism works, where it is missing.
//!
//! GSSAPI contacts the KDC itself (blocking) inside `gss_init_sec_context`;
//! the session layer runs each step on tokio's blocking pool.
//!
//! This is the crate's one module with `unsafe` code (the C calls); every
//! block says why it is sound.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::OnceLock;

use libloading::Library;

use crate::protocol::ProtocolError;
use crate::protocol::auth::sealing::{Sealed, SealingContext};

type OmUint32 = u32;
type GssName = *mut c_void;
type GssCred = *mut c_void;
type GssCtx = *mut c_void;

#[repr(C)]
struct GssBuffer {
    length: usize,
    value: *mut c_void,
}

impl GssBuffer {
    fn empty() -> Self {
        GssBuffer {
            length: 0,
            value: std::ptr::null_mut(),
        }
    }

    /// A buffer GSSAPI reads (never writes) from `bytes`.
    fn borrowed(bytes: &[u8]) -> Self {
        GssBuffer {
            length: bytes.len(),
            value: bytes.as_ptr() as *mut c_void,
        }
    }

    fn bytes(&self) -> &[u8] {
        if self.value.is_null() || self.length == 0 {
            &[]
        } else {
            // SAFETY: GSSAPI filled (value, length) and owns it until released.
            unsafe { std::slice::from_raw_parts(self.value as *const u8, self.length) }
        }
    }
}

#[repr(C)]
struct GssOid {
    length: OmUint32,
    elements: *mut c_void,
}

#[repr(C)]
struct GssChannelBindings {
    initiator_addrtype: OmUint32,
    initiator_address: GssBuffer,
    acceptor_addrtype: OmUint32,
    acceptor_address: GssBuffer,
    application_data: GssBuffer,
}

#[repr(C)]
struct GssIov {
    kind: OmUint32,
    buffer: GssBuffer,
}

const GSS_S_CONTINUE_NEEDED: OmUint32 = 1;
const GSS_C_GSS_CODE: i32 = 1;
const GSS_C_MECH_CODE: i32 = 2;
const GSS_C_INITIATE: i32 = 1;
const GSS_C_INDEFINITE: OmUint32 = 0xffff_ffff;
const GSS_C_MUTUAL_FLAG: OmUint32 = 2;
const GSS_C_REPLAY_FLAG: OmUint32 = 4;
const GSS_C_SEQUENCE_FLAG: OmUint32 = 8;
const GSS_C_CONF_FLAG: OmUint32 = 16;
const GSS_C_INTEG_FLAG: OmUint32 = 32;
const GSS_IOV_BUFFER_TYPE_DATA: OmUint32 = 1;
const GSS_IOV_BUFFER_TYPE_HEADER: OmUint32 = 2;
const GSS_IOV_BUFFER_TYPE_PADDING: OmUint32 = 9;
const GSS_IOV_BUFFER_FLAG_ALLOCATE: OmUint32 = 0x0001_0000;

/// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4 (RFC 2744).
const NT_HOSTBASED_SERVICE: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];
/// The Kerberos 5 mechanism, 1.2.840.113554.1.2.2 (RFC 1964).
const MECH_KRB5: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// SPNEGO, 1.3.6.1.5.5.2 (RFC 4178).
const MECH_SPNEGO: [u8; 6] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

fn is_error(major: OmUint32) -> bool {
    major & 0xffff_0000 != 0
}

type ImportName =
    unsafe extern "C" fn(*mut OmUint32, *mut GssBuffer, *mut GssOid, *mut GssName) -> OmUint32;
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    GssCred,
    *mut GssCtx,
    GssName,
    *mut GssOid,
    OmUint32,
    OmUint32,
    *mut GssChannelBindings,
    *mut GssBuffer,
    *mut *mut GssOid,
    *mut GssBuffer,
    *mut OmUint32,
    *mut OmUint32,
) -> OmUint32;
type AcquireCred = unsafe extern "C" fn(
    *mut OmUint32,
    GssName,
    OmUint32,
    *mut c_void,
    i32,
    *mut GssCred,
    *mut *mut c_void,
    *mut OmUint32,
) -> OmUint32;
type InquireCred = unsafe extern "C" fn(
    *mut OmUint32,
    GssCred,
    *mut GssName,
    *mut OmUint32,
    *mut i32,
    *mut *mut c_void,
) -> OmUint32;
type DisplayName =
    unsafe extern "C" fn(*mut OmUint32, GssName, *mut GssBuffer, *mut *mut GssOid) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut GssName) -> OmUint32;
type ReleaseCred = unsafe extern "C" fn(*mut OmUint32, *mut GssCred) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut GssBuffer) -> OmUint32;
type DeleteSecContext =
    unsafe extern "C" fn(*mut OmUint32, *mut GssCtx, *mut GssBuffer) -> OmUint32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    i32,
    *mut GssOid,
    *mut OmUint32,
    *mut GssBuffer,
) -> OmUint32;
type WrapIov = unsafe extern "C" fn(
    *mut OmUint32,
    GssCtx,
    i32,
    OmUint32,
    *mut i32,
    *mut GssIov,
    i32,
) -> OmUint32;
type UnwrapIov = unsafe extern "C" fn(
    *mut OmUint32,
    GssCtx,
    *mut i32,
    *mut OmUint32,
    *mut GssIov,
    i32,
) -> OmUint32;
type ReleaseIovBuffer = unsafe extern "C" fn(*mut OmUint32, *mut GssIov, i32) -> OmUint32;
type Unwrap = unsafe extern "C" fn(
    *mut OmUint32,
    GssCtx,
    *mut GssBuffer,
    *mut GssBuffer,
    *mut i32,
    *mut OmUint32,
) -> OmUint32;

/// The GSSAPI entry points Baton uses (RFC 2744 and the IOV wrap calls),
/// resolved once from the system library.
struct Api {
    _lib: Library,
    import_name: ImportName,
    init_sec_context: InitSecContext,
    acquire_cred: AcquireCred,
    inquire_cred: InquireCred,
    display_name: DisplayName,
    release_name: ReleaseName,
    release_cred: ReleaseCred,
    release_buffer: ReleaseBuffer,
    delete_sec_context: DeleteSecContext,
    display_status: DisplayStatus,
    wrap_iov: WrapIov,
    unwrap_iov: UnwrapIov,
    release_iov_buffer: ReleaseIovBuffer,
    unwrap: Unwrap,
}

/// The libraries tried, in order: MIT's, then Heimdal's.
const LIBRARIES: [&str; 3] = ["libgssapi_krb5.so.2", "libgssapi_krb5.so", "libgssapi.so.3"];

fn api() -> Result<&'static Api, ProtocolError> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load)
        .as_ref()
        .map_err(|e| ProtocolError::Auth(e.clone()))
}

fn load() -> Result<Api, String> {
    if cfg!(target_os = "macos") || cfg!(windows) {
        return Err("signing in as the current user is not available on this platform yet: give -Credential (a user name and password)".into());
    }
    let mut tried = Vec::new();
    for name in LIBRARIES {
        // SAFETY: loading a system GSSAPI library runs its initialisers,
        // which is what linking against it would do.
        match unsafe { Library::new(name) } {
            Ok(lib) => return resolve(lib).map_err(|e| format!("{name}: {e}")),
            Err(e) => tried.push(format!("{name}: {e}")),
        }
    }
    Err(format!(
        "signing in as the current user needs the system's Kerberos GSSAPI library, which was not found ({}); install it (Debian: libgssapi-krb5-2) or give -Credential",
        tried.join("; ")
    ))
}

fn resolve(lib: Library) -> Result<Api, libloading::Error> {
    // SAFETY: each symbol is looked up by its GSSAPI name and
    // given that function's C signature.
    unsafe {
        Ok(Api {
            import_name: *lib.get(b"gss_import_name\0")?,
            init_sec_context: *lib.get(b"gss_init_sec_context\0")?,
            acquire_cred: *lib.get(b"gss_acquire_cred\0")?,
            inquire_cred: *lib.get(b"gss_inquire_cred\0")?,
            display_name: *lib.get(b"gss_display_name\0")?,
            release_name: *lib.get(b"gss_release_name\0")?,
            release_cred: *lib.get(b"gss_release_cred\0")?,
            release_buffer: *lib.get(b"gss_release_buffer\0")?,
            delete_sec_context: *lib.get(b"gss_delete_sec_context\0")?,
            display_status: *lib.get(b"gss_display_status\0")?,
            wrap_iov: *lib.get(b"gss_wrap_iov\0")?,
            unwrap_iov: *lib.get(b"gss_unwrap_iov\0")?,
            release_iov_buffer: *lib.get(b"gss_release_iov_buffer\0")?,
            unwrap: *lib.get(b"gss_unwrap\0")?,
            _lib: lib,
        })
    }
}

fn oid(bytes: &[u8]) -> GssOid {
    GssOid {
        length: bytes.len() as OmUint32,
        elements: bytes.as_ptr() as *mut c_void,
    }
}

/// GSSAPI's own text for a failed call: the routine error, then the
/// mechanism's (e.g. "No Kerberos credentials available (default cache:
/// FILE:/tmp/krb5cc_1000)").
fn status_text(api: &Api, major: OmUint32, minor: OmUint32) -> String {
    status_texts(api, &[(major, GSS_C_GSS_CODE), (minor, GSS_C_MECH_CODE)])
}

/// The mechanism's own text when there is one (it names the cause, e.g.
/// the cache it looked in), else the routine error's.
fn mech_text(api: &Api, major: OmUint32, minor: OmUint32) -> String {
    if minor != 0 {
        let t = status_texts(api, &[(minor, GSS_C_MECH_CODE)]);
        if !t.starts_with("GSSAPI status") {
            return t;
        }
    }
    status_text(api, major, minor)
}

fn status_texts(api: &Api, codes: &[(OmUint32, i32)]) -> String {
    let mut parts = Vec::new();
    for &(code, kind) in codes {
        if code == 0 {
            continue;
        }
        let mut context: OmUint32 = 0;
        for _ in 0..8 {
            let mut m = 0;
            let mut buf = GssBuffer::empty();
            // SAFETY: a plain status lookup; the buffer is released below.
            let r = unsafe {
                (api.display_status)(
                    &raw mut m,
                    code,
                    kind,
                    std::ptr::null_mut(),
                    &raw mut context,
                    &raw mut buf,
                )
            };
            if is_error(r) {
                break;
            }
            let text = String::from_utf8_lossy(buf.bytes()).trim().to_owned();
            // SAFETY: releasing the buffer GSSAPI allocated above.
            unsafe { (api.release_buffer)(&raw mut m, &raw mut buf) };
            if !text.is_empty() && !parts.contains(&text) {
                parts.push(text);
            }
            if context == 0 {
                break;
            }
        }
    }
    if parts.is_empty() {
        let codes: Vec<String> = codes.iter().map(|(c, _)| format!("{c:#x}")).collect();
        format!("GSSAPI status {}", codes.join("/"))
    } else {
        parts.join(": ")
    }
}

/// The principal of the current user's default credentials (from the
/// credential cache), or why there are none.
pub fn current_principal() -> Result<String, ProtocolError> {
    let api = api()?;
    let mut minor = 0;
    let mut cred: GssCred = std::ptr::null_mut();
    // SAFETY: acquiring the default initiator credentials; released below.
    let major = unsafe {
        (api.acquire_cred)(
            &raw mut minor,
            std::ptr::null_mut(),
            GSS_C_INDEFINITE,
            std::ptr::null_mut(),
            GSS_C_INITIATE,
            &raw mut cred,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if is_error(major) {
        return Err(no_credentials(&mech_text(api, major, minor)));
    }
    let mut name: GssName = std::ptr::null_mut();
    // SAFETY: querying the credential just acquired.
    let major = unsafe {
        (api.inquire_cred)(
            &raw mut minor,
            cred,
            &raw mut name,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    let result = if is_error(major) {
        Err(no_credentials(&mech_text(api, major, minor)))
    } else {
        let mut buf = GssBuffer::empty();
        // SAFETY: displaying the name returned above; buffer released below.
        let major =
            unsafe { (api.display_name)(&raw mut minor, name, &raw mut buf, std::ptr::null_mut()) };
        let shown = String::from_utf8_lossy(buf.bytes()).into_owned();
        // SAFETY: releasing what GSSAPI allocated.
        unsafe {
            (api.release_buffer)(&raw mut minor, &raw mut buf);
            (api.release_name)(&raw mut minor, &raw mut name);
        }
        if is_error(major) {
            Err(no_credentials(&mech_text(api, major, minor)))
        } else {
            Ok(shown)
        }
    };
    // SAFETY: releasing the credential acquired above.
    unsafe { (api.release_cred)(&raw mut minor, &raw mut cred) };
    result
}

fn no_credentials(detail: &str) -> ProtocolError {
    ProtocolError::Auth(format!(
        "the current user has no Kerberos credentials ({detail}); sign in to the domain or run kinit, or give -Credential"
    ))
}

/// A GSSAPI initiator context on the current user's default credentials.
pub struct GssClient {
    api: &'static Api,
    ctx: GssCtx,
    name: GssName,
    spnego: bool,
    /// `tls-server-end-point` application data over HTTPS.
    channel_bindings: Option<Vec<u8>>,
    /// Whether the negotiated mechanism is Kerberos (unwrap with IOV).
    kerberos: bool,
    complete: bool,
}

// SAFETY: a GSSAPI context is not tied to the thread that created it; the
// session layer moves it between tokio's threads but never shares it.
unsafe impl Send for GssClient {}

impl std::fmt::Debug for GssClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GssClient")
            .field("spnego", &self.spnego)
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

impl GssClient {
    /// A context for `HTTP@host` (the WinRM service's SPN `HTTP/host`),
    /// SPNEGO when `spnego` (HTTP scheme Negotiate), else raw Kerberos.
    pub fn new(host: &str, spnego: bool) -> Result<Self, ProtocolError> {
        let api = api()?;
        let service = format!("HTTP@{host}");
        let mut buf = GssBuffer::borrowed(service.as_bytes());
        let mut nt = oid(&NT_HOSTBASED_SERVICE);
        let mut name: GssName = std::ptr::null_mut();
        let mut minor = 0;
        // SAFETY: importing a name from a buffer that outlives the call.
        let major =
            unsafe { (api.import_name)(&raw mut minor, &raw mut buf, &raw mut nt, &raw mut name) };
        if is_error(major) {
            return Err(ProtocolError::Auth(format!(
                "the service name {service}: {}",
                status_text(api, major, minor)
            )));
        }
        Ok(GssClient {
            api,
            ctx: std::ptr::null_mut(),
            name,
            spnego,
            channel_bindings: None,
            kerberos: !spnego,
            complete: false,
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

    /// One `gss_init_sec_context` step: the token to send, if any. Blocks
    /// while GSSAPI asks the KDC for a service ticket.
    pub fn step(&mut self, input: Option<&[u8]>) -> Result<Option<Vec<u8>>, ProtocolError> {
        let api = self.api;
        let mut mech = if self.spnego {
            oid(&MECH_SPNEGO)
        } else {
            oid(&MECH_KRB5)
        };
        let mut bindings = self
            .channel_bindings
            .as_ref()
            .map(|app| GssChannelBindings {
                initiator_addrtype: 0,
                initiator_address: GssBuffer::empty(),
                acceptor_addrtype: 0,
                acceptor_address: GssBuffer::empty(),
                application_data: GssBuffer::borrowed(app),
            });
        let bindings_ptr = bindings.as_mut().map_or(
            std::ptr::null_mut(),
            std::ptr::from_mut::<GssChannelBindings>,
        );
        let mut input_buf = input.map(GssBuffer::borrowed);
        let input_ptr = input_buf
            .as_mut()
            .map_or(std::ptr::null_mut(), std::ptr::from_mut::<GssBuffer>);
        let mut actual: *mut GssOid = std::ptr::null_mut();
        let mut out = GssBuffer::empty();
        let mut minor = 0;
        let flags = GSS_C_MUTUAL_FLAG
            | GSS_C_REPLAY_FLAG
            | GSS_C_SEQUENCE_FLAG
            | GSS_C_CONF_FLAG
            | GSS_C_INTEG_FLAG;
        // SAFETY: every pointer is to a live local or is null where GSSAPI
        // allows it; the context and name belong to this client.
        let major = unsafe {
            (api.init_sec_context)(
                &raw mut minor,
                std::ptr::null_mut(),
                &raw mut self.ctx,
                self.name,
                &raw mut mech,
                flags,
                0,
                bindings_ptr,
                input_ptr,
                &raw mut actual,
                &raw mut out,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        let token = out.bytes().to_vec();
        // SAFETY: releasing the output token GSSAPI allocated.
        unsafe { (api.release_buffer)(&mut 0, &raw mut out) };
        if is_error(major) {
            let text = status_text(api, major, minor);
            return Err(if text.contains("credentials") || text.contains("cache") {
                no_credentials(&mech_text(api, major, minor))
            } else {
                ProtocolError::Auth(format!("GSSAPI: {text}"))
            });
        }
        self.complete = major & GSS_S_CONTINUE_NEEDED == 0;
        if self.complete && !actual.is_null() {
            // SAFETY: GSSAPI returns a static OID for the mechanism.
            let a = unsafe { &*actual };
            let bytes = if a.elements.is_null() {
                &[][..]
            } else {
                // SAFETY: `length` bytes at `elements`, owned by GSSAPI.
                unsafe { std::slice::from_raw_parts(a.elements as *const u8, a.length as usize) }
            };
            self.kerberos = bytes == MECH_KRB5;
        }
        Ok((!token.is_empty()).then_some(token))
    }
}

impl SealingContext for GssClient {
    /// `gss_wrap_iov` with header, data and padding buffers: the header is
    /// the wrap token's leading part (for AES, 16-byte header, confounder,
    /// encrypted header copy and checksum, rotated), the data the ciphertext.
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        let api = self.api;
        let mut data = plaintext.to_vec();
        let mut iov = [
            GssIov {
                kind: GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE,
                buffer: GssBuffer::empty(),
            },
            GssIov {
                kind: GSS_IOV_BUFFER_TYPE_DATA,
                buffer: GssBuffer {
                    length: data.len(),
                    value: data.as_mut_ptr().cast::<c_void>(),
                },
            },
            GssIov {
                kind: GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE,
                buffer: GssBuffer::empty(),
            },
        ];
        let mut minor = 0;
        let mut conf = 0;
        // SAFETY: the data buffer is ours and encrypted in place; GSSAPI
        // allocates the header and padding, released below.
        let major = unsafe {
            (api.wrap_iov)(
                &raw mut minor,
                self.ctx,
                1,
                0,
                &raw mut conf,
                iov.as_mut_ptr(),
                3,
            )
        };
        let header = iov[0].buffer.bytes().to_vec();
        let padding = iov[2].buffer.bytes().to_vec();
        // SAFETY: releases only the buffers GSSAPI allocated (flagged).
        unsafe { (api.release_iov_buffer)(&mut 0, iov.as_mut_ptr(), 3) };
        if is_error(major) {
            return Err(ProtocolError::Auth(format!(
                "sealing a message: {}",
                status_text(api, major, minor)
            )));
        }
        if conf == 0 {
            return Err(ProtocolError::Auth(
                "the security context cannot encrypt messages".into(),
            ));
        }
        let padding_len = padding.len();
        data.extend_from_slice(&padding);
        Ok(Sealed {
            header,
            data,
            padding: padding_len,
        })
    }

    /// Kerberos: `gss_unwrap_iov` of the header and the ciphertext; other
    /// mechanisms (NTLM inside SPNEGO): `gss_unwrap` of the two joined.
    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let api = self.api;
        let mut minor = 0;
        let mut conf = 0;
        let mut qop = 0;
        if self.kerberos {
            let mut head = header.to_vec();
            let mut data = ciphertext.to_vec();
            let mut iov = [
                GssIov {
                    kind: GSS_IOV_BUFFER_TYPE_HEADER,
                    buffer: GssBuffer {
                        length: head.len(),
                        value: head.as_mut_ptr().cast::<c_void>(),
                    },
                },
                GssIov {
                    kind: GSS_IOV_BUFFER_TYPE_DATA,
                    buffer: GssBuffer {
                        length: data.len(),
                        value: data.as_mut_ptr().cast::<c_void>(),
                    },
                },
            ];
            // SAFETY: both buffers are ours; GSSAPI decrypts the data in place.
            let major = unsafe {
                (api.unwrap_iov)(
                    &raw mut minor,
                    self.ctx,
                    &raw mut conf,
                    &raw mut qop,
                    iov.as_mut_ptr(),
                    2,
                )
            };
            if is_error(major) {
                return Err(ProtocolError::Auth(format!(
                    "unsealing a message: {}",
                    status_text(api, major, minor)
                )));
            }
            // The data buffer may have shrunk (padding removed).
            let len = iov[1].buffer.length.min(data.len());
            data.truncate(len);
            return Ok(data);
        }
        let mut joined = header.to_vec();
        joined.extend_from_slice(ciphertext);
        let mut input = GssBuffer::borrowed(&joined);
        let mut out = GssBuffer::empty();
        // SAFETY: input outlives the call; the output is released below.
        let major = unsafe {
            (api.unwrap)(
                &raw mut minor,
                self.ctx,
                &raw mut input,
                &raw mut out,
                &raw mut conf,
                &raw mut qop,
            )
        };
        let plain = out.bytes().to_vec();
        // SAFETY: releasing the output GSSAPI allocated.
        unsafe { (api.release_buffer)(&mut 0, &raw mut out) };
        if is_error(major) {
            return Err(ProtocolError::Auth(format!(
                "unsealing a message: {}",
                status_text(api, major, minor)
            )));
        }
        Ok(plain)
    }
}

impl Drop for GssClient {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: releasing this client's own context and name.
        unsafe {
            if !self.ctx.is_null() {
                (self.api.delete_sec_context)(
                    &raw mut minor,
                    &raw mut self.ctx,
                    std::ptr::null_mut(),
                );
            }
            if !self.name.is_null() {
                (self.api.release_name)(&raw mut minor, &raw mut self.name);
            }
        }
    }
}
