//! The calls into `sspi` shared by the client and the acceptor: one context,
//! raw NTLM, raw Kerberos or SPNEGO, driven one token at a time, and its
//! message sealing. A Kerberos client step may need the KDC: sspi yields
//! each KDC message and the step hands it to a [`KdcExchange`].

use sspi::generator::GeneratorState;
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation,
    EncryptionFlags, Kerberos, KerberosConfig, Negotiate, NegotiateConfig, Ntlm, SecurityBuffer,
    SecurityBufferRef, SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
};

use super::kerberos::{KdcAddress, KdcExchange, KdcProtocol, KdcRequest, kerberos_error};
use super::sealing::{Sealed, SealingContext};
use crate::protocol::ProtocolError;

/// The size of an NTLM message signature ([MS-NLMP] §2.2.2.9.1).
pub(crate) const NTLM_SIGNATURE_LEN: usize = 16;

/// Converts an sspi error without leaking anything but its kind and text
/// (sspi messages carry no secrets).
pub(crate) fn sspi_err(context: &str, e: sspi::Error) -> ProtocolError {
    ProtocolError::Auth(format!("{context}: {:?}: {}", e.error_type, e.description))
}

/// Parses `DOMAIN\user`, `user@domain` or `user` into an sspi identity.
pub(crate) fn identity(user: &str, password: &str) -> Result<AuthIdentity, ProtocolError> {
    let username = Username::parse(user)
        .map_err(|_| ProtocolError::Auth("user name is not a valid logon name".into()))?;
    Ok(AuthIdentity {
        username,
        password: password.to_owned().into(),
    })
}

/// An sspi security context of one connection.
pub(crate) enum SspiContext {
    Ntlm {
        ctx: Box<Ntlm>,
        cred: Option<sspi::AuthIdentityBuffers>,
    },
    Negotiate {
        ctx: Box<Negotiate>,
        cred: Option<sspi::CredentialsBuffers>,
    },
    Kerberos {
        ctx: Box<Kerberos>,
        cred: Option<sspi::CredentialsBuffers>,
    },
}

fn client_flags() -> ClientRequestFlags {
    ClientRequestFlags::CONFIDENTIALITY
        | ClientRequestFlags::INTEGRITY
        | ClientRequestFlags::ALLOCATE_MEMORY
}

/// Kerberos needs the acceptor's AP-REP (mutual authentication) to learn
/// the acceptor's subkey and sequence number before sealing.
fn kerberos_client_flags() -> ClientRequestFlags {
    client_flags() | ClientRequestFlags::MUTUAL_AUTH
}

/// The size of the Kerberos wrap token header sspi writes in front of the
/// data (16-byte header, confounder, encrypted header, HMAC; RFC 4121 §4.2.6.2
/// with RRC 28), plus room for an EC filler.
const KERBEROS_TRAILER_MAX: usize = 60 + 64;

impl SspiContext {
    /// A client context for raw NTLM or SPNEGO-with-NTLM.
    pub(crate) fn new_client(
        negotiate: bool,
        identity: &AuthIdentity,
        workstation: &str,
    ) -> Result<Self, ProtocolError> {
        let ntlm_config = sspi::ntlm::NtlmConfig::new(workstation.to_owned());
        if negotiate {
            let config = NegotiateConfig::new(
                Box::new(ntlm_config),
                Some("!kerberos,!pku2u,ntlm".to_owned()),
                workstation.to_owned(),
            );
            let mut ctx =
                Box::new(Negotiate::new_client(config).map_err(|e| sspi_err("negotiate", e))?);
            let creds = sspi::Credentials::AuthIdentity(identity.clone());
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&creds)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Negotiate {
                ctx,
                cred: handle.credentials_handle,
            })
        } else {
            let mut ctx = Box::new(Ntlm::with_config(ntlm_config));
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(identity)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Ntlm {
                ctx,
                cred: handle.credentials_handle,
            })
        }
    }

    /// A client context for Kerberos with the given KDC: raw Kerberos, or
    /// SPNEGO preferring Kerberos and falling back to NTLM when the KDC cannot
    /// be reached or does not know the user.
    pub(crate) fn new_kerberos_client(
        negotiate: bool,
        identity: &AuthIdentity,
        workstation: &str,
        kdc: &KdcAddress,
    ) -> Result<Self, ProtocolError> {
        let config = KerberosConfig::new_with_kdc_url(&kdc.url(), workstation.to_owned());
        let creds = sspi::Credentials::AuthIdentity(identity.clone());
        if negotiate {
            let config = NegotiateConfig::new(
                Box::new(config),
                Some("kerberos,!pku2u,ntlm".to_owned()),
                workstation.to_owned(),
            );
            let mut ctx =
                Box::new(Negotiate::new_client(config).map_err(|e| sspi_err("negotiate", e))?);
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&creds)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Negotiate {
                ctx,
                cred: handle.credentials_handle,
            })
        } else {
            let mut ctx = Box::new(
                Kerberos::new_client_from_config(config).map_err(|e| sspi_err("kerberos", e))?,
            );
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Outbound)
                .with_auth_data(&creds)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Kerberos {
                ctx,
                cred: handle.credentials_handle,
            })
        }
    }

    /// Whether the established mechanism is NTLM (16-byte signatures).
    fn is_ntlm(&self) -> bool {
        match self {
            SspiContext::Ntlm { .. } => true,
            SspiContext::Kerberos { .. } => false,
            SspiContext::Negotiate { ctx, .. } => ctx.negotiated_protocol().is_ntlm(),
        }
    }

    /// Whether the context is (so far) Kerberos, raw or inside SPNEGO.
    pub(crate) fn is_kerberos(&self) -> bool {
        match self {
            SspiContext::Ntlm { .. } => false,
            SspiContext::Kerberos { .. } => true,
            SspiContext::Negotiate { ctx, .. } => ctx.negotiated_protocol().is_kerberos(),
        }
    }

    /// A server context: raw NTLM (no candidates yet) or SPNEGO with the
    /// given candidate identities.
    pub(crate) fn new_server(
        negotiate: bool,
        candidates: Vec<AuthIdentity>,
    ) -> Result<Self, ProtocolError> {
        if negotiate {
            let config = NegotiateConfig::new(
                Box::new(sspi::ntlm::NtlmConfig::default()),
                Some("!kerberos,!pku2u,ntlm".to_owned()),
                String::new(),
            );
            let mut ctx = Box::new(
                Negotiate::new_server(config, candidates).map_err(|e| sspi_err("negotiate", e))?,
            );
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Negotiate {
                ctx,
                cred: handle.credentials_handle,
            })
        } else {
            let mut ctx = Box::new(Ntlm::new());
            let handle = ctx
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .execute(&mut *ctx)
                .map_err(|e| sspi_err("credentials", e))?;
            Ok(SspiContext::Ntlm {
                ctx,
                cred: handle.credentials_handle,
            })
        }
    }

    async fn initialize_unguarded(
        &mut self,
        input: Option<&[u8]>,
        channel_bindings: Option<&[u8]>,
        target: &str,
        kdc: &mut dyn KdcExchange,
    ) -> Result<(SecurityStatus, Vec<u8>), ProtocolError> {
        let kerberos = self.is_kerberos();
        let mut inbuf = Vec::new();
        // sspi's Kerberos client reads its input buffers (channel bindings)
        // already on the first call, so it always gets a list.
        if input.is_some() || kerberos {
            inbuf.push(SecurityBuffer::new(
                input.unwrap_or_default().to_vec(),
                BufferType::Token,
            ));
            if let Some(cb) = channel_bindings {
                inbuf.push(SecurityBuffer::new(
                    cb.to_vec(),
                    BufferType::ChannelBindings,
                ));
            }
        }
        let flags = if kerberos {
            kerberos_client_flags()
        } else {
            client_flags()
        };
        let has_input = !inbuf.is_empty();
        let mut out = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let err = |e: sspi::Error| {
            if kerberos {
                kerberos_error(&e)
            } else {
                sspi_err("authentication step", e)
            }
        };
        macro_rules! step {
            ($ctx:expr, $cred:expr) => {{
                let mut builder = $ctx
                    .initialize_security_context()
                    .with_credentials_handle($cred)
                    .with_context_requirements(flags)
                    .with_target_data_representation(DataRepresentation::Native)
                    .with_target_name(target)
                    .with_output(&mut out);
                if has_input {
                    builder = builder.with_input(&mut inbuf);
                }
                let result = {
                    let mut generator = $ctx
                        .initialize_security_context_impl(&mut builder)
                        .map_err(err)?;
                    let mut state = guarded_step(|| generator.start())?;
                    loop {
                        match state {
                            GeneratorState::Suspended(request) => {
                                let reply = match kdc_request(&request) {
                                    Ok(r) => kdc.exchange(r).await.map_err(|m| {
                                        sspi::Error::new(
                                            sspi::ErrorKind::NoAuthenticatingAuthority,
                                            m,
                                        )
                                    }),
                                    Err(e) => Err(e),
                                };
                                state = guarded_step(|| generator.resume(reply))?;
                            }
                            GeneratorState::Completed(r) => break r.map_err(err)?,
                        }
                    }
                };
                if matches!(
                    result.status,
                    SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
                ) {
                    $ctx.complete_auth_token(&mut out)
                        .map_err(|e| sspi_err("authentication completion", e))?;
                }
                result.status
            }};
        }
        let status = match self {
            SspiContext::Ntlm { ctx, cred } => step!(ctx, cred),
            SspiContext::Negotiate { ctx, cred } => step!(ctx, cred),
            SspiContext::Kerberos { ctx, cred } => step!(ctx, cred),
        };
        let token = out.into_iter().next().map(|b| b.buffer).unwrap_or_default();
        Ok((status, token))
    }

    fn accept_unguarded(
        &mut self,
        input: &[u8],
    ) -> Result<(SecurityStatus, Vec<u8>), ProtocolError> {
        let mut inbuf = vec![SecurityBuffer::new(input.to_vec(), BufferType::Token)];
        let mut out = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        macro_rules! step {
            ($ctx:expr, $cred:expr) => {{
                let builder = $ctx
                    .accept_security_context()
                    .with_credentials_handle($cred)
                    .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
                    .with_target_data_representation(DataRepresentation::Native)
                    .with_input(&mut inbuf)
                    .with_output(&mut out);
                $ctx.accept_security_context_impl(builder)
                    .map_err(|e| sspi_err("authentication step", e))?
                    .resolve_to_result()
                    .map_err(|e| sspi_err("authentication step", e))?
                    .status
            }};
        }
        let status = match self {
            SspiContext::Ntlm { ctx, cred } => step!(ctx, cred),
            SspiContext::Negotiate { ctx, cred } => step!(ctx, cred),
            SspiContext::Kerberos { .. } => return Err(not_an_acceptor()),
        };
        let token = out.into_iter().next().map(|b| b.buffer).unwrap_or_default();
        Ok((status, token))
    }

    fn complete_unguarded(&mut self) -> Result<(), ProtocolError> {
        let r = match self {
            SspiContext::Ntlm { ctx, .. } => ctx.complete_auth_token(&mut []),
            SspiContext::Negotiate { ctx, .. } => ctx.complete_auth_token(&mut []),
            SspiContext::Kerberos { .. } => return Err(not_an_acceptor()),
        };
        r.map(|_| ())
            .map_err(|e| sspi_err("authentication completion", e))
    }

    fn set_candidate_unguarded(&mut self, identity: AuthIdentity) -> Result<(), ProtocolError> {
        use sspi::SspiEx as _;
        match self {
            SspiContext::Ntlm { ctx, .. } => ctx
                .custom_set_auth_identity(identity)
                .map_err(|e| sspi_err("credentials", e)),
            SspiContext::Negotiate { ctx, .. } => ctx
                .custom_set_auth_identity(sspi::Credentials::AuthIdentity(identity))
                .map_err(|e| sspi_err("credentials", e)),
            SspiContext::Kerberos { .. } => Err(not_an_acceptor()),
        }
    }
}

fn not_an_acceptor() -> ProtocolError {
    ProtocolError::Auth("a kerberos client context cannot accept".into())
}

/// Runs one step of an sspi generator, turning a panic into an error (see
/// [`guarded`]).
fn guarded_step<T>(f: impl FnOnce() -> T) -> Result<T, ProtocolError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        ProtocolError::Auth(
            "malformed authentication token (the security package failed on it)".into(),
        )
    })
}

/// The KDC message sspi asks to send, in our terms.
fn kdc_request(request: &sspi::generator::NetworkRequest) -> sspi::Result<KdcRequest> {
    let protocol = match request.protocol {
        sspi::NetworkProtocol::Tcp => KdcProtocol::Tcp,
        sspi::NetworkProtocol::Udp => KdcProtocol::Udp,
        other => {
            return Err(sspi::Error::new(
                sspi::ErrorKind::NoAuthenticatingAuthority,
                format!("KDC transport {other:?} is not supported (only tcp and udp)"),
            ));
        }
    };
    let host = request.url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(sspi::Error::new(
            sspi::ErrorKind::NoAuthenticatingAuthority,
            "the KDC address has no host",
        ));
    }
    Ok(KdcRequest {
        kdc: KdcAddress {
            protocol,
            host: host.to_owned(),
            port: request.url.port().unwrap_or(super::kerberos::KDC_PORT),
        },
        data: request.data.clone(),
    })
}

/// Runs an sspi call, turning a panic inside sspi or its ASN.1 parsers
/// (picky-krb 0.13 unwraps on some malformed SPNEGO tokens) into an error.
/// The caller drops the context after any error.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, ProtocolError>) -> Result<T, ProtocolError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(ProtocolError::Auth(
            "malformed authentication token (the security package failed on it)".into(),
        ))
    })
}

impl SspiContext {
    /// One client step: consumes the server token (none on the first call)
    /// and returns the status and the token to send (possibly empty).
    /// A Kerberos step sends its KDC messages through `kdc`.
    pub(crate) async fn initialize(
        &mut self,
        input: Option<&[u8]>,
        channel_bindings: Option<&[u8]>,
        target: &str,
        kdc: &mut dyn KdcExchange,
    ) -> Result<(SecurityStatus, Vec<u8>), ProtocolError> {
        self.initialize_unguarded(input, channel_bindings, target, kdc)
            .await
    }

    /// One acceptor step; for raw NTLM the AUTHENTICATE step stops at
    /// `CompleteNeeded` so the caller can pick the user's credentials.
    pub(crate) fn accept(
        &mut self,
        input: &[u8],
    ) -> Result<(SecurityStatus, Vec<u8>), ProtocolError> {
        if !well_formed_token(input) {
            return Err(ProtocolError::Auth("malformed authentication token".into()));
        }
        guarded(|| self.accept_unguarded(input))
    }

    /// Finishes a raw NTLM acceptor context after its candidate is set.
    pub(crate) fn complete(&mut self) -> Result<(), ProtocolError> {
        guarded(|| self.complete_unguarded())
    }

    /// Sets the one identity a raw NTLM acceptor verifies against.
    pub(crate) fn set_candidate(&mut self, identity: AuthIdentity) -> Result<(), ProtocolError> {
        guarded(|| self.set_candidate_unguarded(identity))
    }
}

/// Raw NTLM tokens go to sspi's own bounds-checked reader; anything else must
/// be a well-formed DER tree (every constructed value exactly filled by its
/// children) before sspi's SPNEGO parser sees it.
fn well_formed_token(token: &[u8]) -> bool {
    token.starts_with(b"NTLMSSP\0") || der_tree_ok(token, 0, token.len(), 0)
}

fn der_tree_ok(buf: &[u8], mut pos: usize, end: usize, depth: usize) -> bool {
    if depth > 12 {
        return false;
    }
    while pos < end {
        let Some((tag, start, stop)) = super::der_tlv(buf, pos) else {
            return false;
        };
        if stop > end || (tag & 0x20 != 0 && !der_tree_ok(buf, start, stop, depth + 1)) {
            return false;
        }
        pos = stop;
    }
    pos == end
}

impl SealingContext for SspiContext {
    fn seal(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        guarded(|| self.seal_unguarded(plaintext))
    }

    fn unseal(&mut self, header: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        guarded(|| self.unseal_unguarded(header, ciphertext))
    }
}

impl SspiContext {
    fn seal_unguarded(&mut self, plaintext: &[u8]) -> Result<Sealed, ProtocolError> {
        let header_room = if self.is_ntlm() {
            NTLM_SIGNATURE_LEN
        } else {
            KERBEROS_TRAILER_MAX
        };
        let mut token = vec![0u8; header_room];
        let mut data = plaintext.to_vec();
        let (header_len, data_len) = {
            let mut bufs = [
                SecurityBufferRef::token_buf(&mut token),
                SecurityBufferRef::data_buf(&mut data),
            ];
            let r = match self {
                SspiContext::Ntlm { ctx, .. } => {
                    ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                }
                SspiContext::Negotiate { ctx, .. } => {
                    ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                }
                SspiContext::Kerberos { ctx, .. } => {
                    ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                }
            };
            r.map_err(|e| sspi_err("seal", e))?;
            let [t, d] = &bufs;
            (t.data().len(), d.data().len())
        };
        token.truncate(header_len);
        data.truncate(data_len);
        Ok(Sealed {
            header: token,
            data,
            padding: 0,
        })
    }

    fn unseal_unguarded(
        &mut self,
        header: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, ProtocolError> {
        // [MS-NLMP] §2.2.2.9.1: an NTLMSSP_MESSAGE_SIGNATURE is 16 bytes.
        if self.is_ntlm() && header.len() != NTLM_SIGNATURE_LEN {
            return Err(ProtocolError::Auth(format!(
                "message signature is {} bytes, expected {NTLM_SIGNATURE_LEN}",
                header.len()
            )));
        }
        // A Kerberos wrap token header is 16 bytes at least (RFC 4121 §4.2.6.2).
        if !self.is_ntlm() && header.len() < 16 {
            return Err(ProtocolError::Auth(format!(
                "kerberos wrap token header is only {} bytes",
                header.len()
            )));
        }
        let mut token = header.to_vec();
        let mut data = ciphertext.to_vec();
        let data_len = {
            let mut bufs = [
                SecurityBufferRef::token_buf(&mut token),
                SecurityBufferRef::data_buf(&mut data),
            ];
            let r = match self {
                SspiContext::Ntlm { ctx, .. } => ctx.decrypt_message(&mut bufs),
                SspiContext::Negotiate { ctx, .. } => ctx.decrypt_message(&mut bufs),
                SspiContext::Kerberos { ctx, .. } => ctx.decrypt_message(&mut bufs),
            };
            r.map_err(|e| sspi_err("message rejected", e))?;
            bufs[1].data().len()
        };
        data.truncate(data_len);
        Ok(data)
    }
}
