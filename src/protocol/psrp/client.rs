//! The client role of a runspace pool ([MS-PSRP] §3.1): what a PSSession is
//! on the wire, seen from Baton.
//!
//! Sans-IO. The worker moves bytes between this state machine and WSMan
//! operations:
//!
//! ```text
//! Create(creationXml = creation_payload())      ─┐
//! Receive(pool) → handle_stream(…) …            ─┴─ until PoolState(Opened)
//! Command(Arguments = create_pipeline()[0]), Send(rest…)
//! Receive(CommandId) → handle_stream(…)          until PipelineState(terminal)
//! Connect(connectXml = connect_payload()) → handle_connect_response(…)
//! ```
//!
//! Every message from the server, pool or pipeline, goes through
//! [`ClientPool::handle_stream`]; ObjectIds are shared across the pool and its
//! pipelines, so one defragmenter serves them all.

use std::collections::HashMap;

use uuid::Uuid;

use super::fragment::{Defragmenter, Fragmenter, payload_budget};
use super::message::{self, Destination, MESSAGE_HEADER_LEN, Message, MessageType};
use super::messages::{
    self, ConnectRunspacePool, CreatePipeline, HostCall, HostResponse, InitRunspacePool,
    PipelineState, RunspacePoolState, SessionCapability, body_value,
};
use super::session_key::{self, ExchangeKey, SessionKey};
use crate::protocol::clixml::{self, Primitive, PsValue};
use crate::protocol::error::ProtocolError;

/// Which informational stream a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Error,
    Warning,
    Verbose,
    Debug,
    Information,
    Progress,
}

/// What a message from the server means to the client.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientEvent {
    /// The server's SESSION_CAPABILITY (and so the negotiated version).
    ServerCapability(SessionCapability),
    /// The runspace pool changed state (Opened, Broken, Closed…).
    PoolState {
        state: RunspacePoolState,
        error: Option<PsValue>,
    },
    /// APPLICATION_PRIVATE_DATA: the server's PSVersionTable.
    PrivateData(Vec<(String, String)>),
    /// RUNSPACEPOOL_INIT_DATA after a Connect.
    InitData { min: i32, max: i32 },
    /// An output object of a pipeline.
    Output { pid: Uuid, value: PsValue },
    /// An error, warning, verbose, debug, information or progress record.
    Record {
        pid: Uuid,
        kind: RecordKind,
        value: PsValue,
    },
    /// A pipeline changed state.
    PipelineState {
        pid: Uuid,
        state: PipelineState,
        error: Option<PsValue>,
    },
    /// The server calls a host method (pid is nil for pool host calls).
    HostCall { pid: Uuid, call: HostCall },
    /// PUBLIC_KEY_REQUEST: the server has a SecureString to send and asks
    /// for the client's exchange key ([`ClientPool::start_key_exchange`]).
    PublicKeyRequested,
    /// ENCRYPTED_SESSION_KEY arrived and was unwrapped: SecureStrings can
    /// now be sent ([`ClientPool::secure_string`]).
    SessionKeyReady,
    /// Anything else (USER_EVENT, RUNSPACE_AVAILABILITY…), kept.
    Other {
        pid: Uuid,
        message_type: MessageType,
        value: PsValue,
    },
}

/// A runspace pool in the client role.
#[derive(Debug)]
pub struct ClientPool {
    rpid: Uuid,
    state: RunspacePoolState,
    ours: SessionCapability,
    server: Option<SessionCapability>,
    fragmenter: Fragmenter,
    defragmenter: Defragmenter,
    ps_version_table: Vec<(String, String)>,
    pipelines: HashMap<Uuid, PipelineState>,
    /// The exchange key sent in PUBLIC_KEY, until the server answers.
    exchange: Option<ExchangeKey>,
    /// The session key SecureStrings are encrypted with.
    session_key: Option<SessionKey>,
}

impl ClientPool {
    /// A pool with id `rpid` (= ShellId = PSSession InstanceId) whose
    /// requests fit envelopes of `max_envelope_size` bytes.
    pub fn new(rpid: Uuid, max_envelope_size: usize) -> Result<Self, ProtocolError> {
        Ok(ClientPool {
            rpid,
            state: RunspacePoolState::BeforeOpen,
            ours: SessionCapability::default(),
            server: None,
            fragmenter: Fragmenter::new(payload_budget(max_envelope_size))?,
            defragmenter: Defragmenter::new(),
            ps_version_table: Vec::new(),
            pipelines: HashMap::new(),
            exchange: None,
            session_key: None,
        })
    }

    /// Limits the size of one received object (`MaximumReceivedObjectSize`).
    pub fn set_max_received_object_size(&mut self, bytes: usize) {
        self.defragmenter =
            Defragmenter::with_limits(bytes, super::fragment::DEFAULT_MAX_IN_FLIGHT);
    }

    /// Changes the envelope budget (after learning the server's limits).
    pub fn set_max_envelope_size(&mut self, max_envelope_size: usize) -> Result<(), ProtocolError> {
        self.fragmenter
            .set_max_payload(payload_budget(max_envelope_size))
    }

    /// The pool id.
    pub fn rpid(&self) -> Uuid {
        self.rpid
    }

    /// The current state.
    pub fn state(&self) -> RunspacePoolState {
        self.state
    }

    /// Sets the state for transitions that are client decisions
    /// (Disconnected after a DisconnectResponse, Closed after Delete).
    pub fn set_state(&mut self, state: RunspacePoolState) {
        self.state = state;
    }

    /// The version both sides speak: the lower of ours and the server's.
    pub fn protocol_version(&self) -> String {
        match &self.server {
            Some(s) => {
                messages::negotiate_version(&self.ours.protocol_version, &s.protocol_version)
            }
            None => self.ours.protocol_version.clone(),
        }
    }

    /// Disconnect/Reconnect/Connect exist from protocol 2.2 on ([MS-PSRP] §3.1.4.9).
    pub fn supports_disconnect(&self) -> bool {
        messages::version_cmp(&self.protocol_version(), "2.2").is_ge()
    }

    /// The server's PSVersionTable, once APPLICATION_PRIVATE_DATA arrived.
    pub fn ps_version_table(&self) -> &[(String, String)] {
        &self.ps_version_table
    }

    /// The state of a pipeline this pool knows.
    pub fn pipeline_state(&self, pid: Uuid) -> Option<PipelineState> {
        self.pipelines.get(&pid).copied()
    }

    fn message(&self, message_type: MessageType, pid: Uuid, value: &PsValue) -> Vec<u8> {
        let xml = clixml::to_clixml(value);
        Message::from_clixml(Destination::Server, message_type, self.rpid, pid, &xml).encode()
    }

    /// The `creationXml` bytes of Create: SESSION_CAPABILITY + INIT_RUNSPACEPOOL
    /// ([MS-PSRP] §3.1.5.3.1). The caller base64-encodes them.
    pub fn creation_payload(&mut self, init: &InitRunspacePool) -> Result<Vec<u8>, ProtocolError> {
        let cap = self.message(
            MessageType::SessionCapability,
            Uuid::nil(),
            &self.ours.to_value(),
        );
        let init = self.message(MessageType::InitRunspacePool, Uuid::nil(), &init.to_value());
        self.state = RunspacePoolState::Opening;
        single_payload(self.fragmenter.pack(&[&cap, &init])?, "creationXml")
    }

    /// The `connectXml` bytes of Connect: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL,
    /// each a single fragment ([MS-PSRP] §3.1.5.3.14). Object ids restart at 1
    /// because the server expects a blank client.
    pub fn connect_payload(&mut self) -> Result<Vec<u8>, ProtocolError> {
        self.fragmenter.reset_object_ids();
        self.defragmenter.clear();
        let cap = self.message(
            MessageType::SessionCapability,
            Uuid::nil(),
            &self.ours.to_value(),
        );
        // PowerShell sends 1/1 for PSSessions; the server refuses a mismatch.
        let connect = ConnectRunspacePool {
            min_max: Some((1, 1)),
        };
        let conn = self.message(
            MessageType::ConnectRunspacePool,
            Uuid::nil(),
            &connect.to_value(),
        );
        self.state = RunspacePoolState::Connecting;
        single_payload(self.fragmenter.pack(&[&cap, &conn])?, "connectXml")
    }

    /// Handles `connectResponseXml`: SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA.
    /// The pool is then Opened ([MS-PSRP] §3.1.4.10).
    pub fn handle_connect_response(
        &mut self,
        payload: &[u8],
    ) -> Result<Vec<ClientEvent>, ProtocolError> {
        let events = self.handle_stream(payload)?;
        if !events
            .iter()
            .any(|e| matches!(e, ClientEvent::ServerCapability(_)))
        {
            return Err(ProtocolError::Psrp(
                "the connect response carried no SESSION_CAPABILITY".into(),
            ));
        }
        self.state = RunspacePoolState::Opened;
        Ok(events)
    }

    /// Handles the bytes of one `rsp:Stream` (or `connectResponseXml`) and
    /// returns what the completed messages mean.
    pub fn handle_stream(&mut self, payload: &[u8]) -> Result<Vec<ClientEvent>, ProtocolError> {
        let mut out = Vec::new();
        for raw in self.defragmenter.push_payload_borrowed(payload)? {
            let (destination, message_type, _, pid) = message::decode_header(&raw)?;
            if destination != Destination::Client {
                return Err(ProtocolError::Psrp(format!(
                    "a {} message addressed to the server arrived at the client",
                    message_type.name()
                )));
            }
            let data = raw.get(MESSAGE_HEADER_LEN..).unwrap_or_default();
            out.push(self.interpret(message_type, pid, data)?);
        }
        Ok(out)
    }

    fn interpret(
        &mut self,
        message_type: MessageType,
        pid: Uuid,
        data: &[u8],
    ) -> Result<ClientEvent, ProtocolError> {
        let value = body_value(data)?;
        Ok(match message_type {
            MessageType::SessionCapability => {
                let cap = SessionCapability::from_value(&value)?;
                self.server = Some(cap.clone());
                ClientEvent::ServerCapability(cap)
            }
            MessageType::RunspacePoolState => {
                let (state, error) = messages::parse_runspace_pool_state(&value)?;
                self.state = state;
                ClientEvent::PoolState { state, error }
            }
            MessageType::ApplicationPrivateData => {
                self.ps_version_table = messages::parse_ps_version_table(&value);
                if self.state == RunspacePoolState::Connecting {
                    self.state = RunspacePoolState::Opened;
                }
                ClientEvent::PrivateData(self.ps_version_table.clone())
            }
            MessageType::RunspacePoolInitData => {
                let init = ConnectRunspacePool::from_value(&value)?;
                let (min, max) = init.min_max.unwrap_or((1, 1));
                ClientEvent::InitData { min, max }
            }
            MessageType::PipelineOutput => ClientEvent::Output { pid, value },
            MessageType::ErrorRecord => record(pid, RecordKind::Error, value),
            MessageType::WarningRecord => record(pid, RecordKind::Warning, value),
            MessageType::VerboseRecord => record(pid, RecordKind::Verbose, value),
            MessageType::DebugRecord => record(pid, RecordKind::Debug, value),
            MessageType::InformationRecord => record(pid, RecordKind::Information, value),
            MessageType::ProgressRecord => record(pid, RecordKind::Progress, value),
            MessageType::PipelineState => {
                let (state, error) = messages::parse_pipeline_state(&value)?;
                self.pipelines.insert(pid, state);
                ClientEvent::PipelineState { pid, state, error }
            }
            MessageType::PublicKeyRequest => ClientEvent::PublicKeyRequested,
            MessageType::EncryptedSessionKey => {
                let Some(exchange) = self.exchange.take() else {
                    return Err(ProtocolError::Psrp(
                        "the server sent a session key this client did not ask for".into(),
                    ));
                };
                let blob = session_key::encrypted_session_key_from_message(&value)?;
                self.session_key = Some(exchange.unwrap_session_key(&blob)?);
                ClientEvent::SessionKeyReady
            }
            MessageType::PipelineHostCall | MessageType::RunspacePoolHostCall => {
                ClientEvent::HostCall {
                    pid,
                    call: HostCall::from_value(&value)?,
                }
            }
            message_type => ClientEvent::Other {
                pid,
                message_type,
                value,
            },
        })
    }

    /// CREATE_PIPELINE for a new pipeline `pid` (= CommandId). The first
    /// payload goes in the Command's `rsp:Arguments`, the rest, if the message
    /// does not fit one envelope, in Sends on `stdin` ([MS-PSRP] §3.1.5.3.3).
    pub fn create_pipeline(
        &mut self,
        pid: Uuid,
        pipeline: &CreatePipeline,
    ) -> Result<Vec<Vec<u8>>, ProtocolError> {
        if self.state != RunspacePoolState::Opened {
            return Err(ProtocolError::Psrp(format!(
                "cannot start a command: the runspace pool is {:?}, not Opened",
                self.state
            )));
        }
        let msg = self.message(
            MessageType::CreatePipeline,
            pid,
            &pipeline.to_value(&self.protocol_version()),
        );
        self.pipelines.insert(pid, PipelineState::Running);
        self.fragmenter.pack(&[&msg])
    }

    /// True once the session key is known.
    pub fn has_session_key(&self) -> bool {
        self.session_key.is_some()
    }

    /// True while a PUBLIC_KEY waits for the server's answer.
    pub fn key_exchange_pending(&self) -> bool {
        self.exchange.is_some()
    }

    /// PUBLIC_KEY with `key`'s public half, sent on the pool's `stdin`
    /// ([MS-PSRP] §3.1.4.4). The answer, ENCRYPTED_SESSION_KEY, comes on the
    /// pool's stream and gives [`ClientEvent::SessionKeyReady`].
    pub fn start_key_exchange(&mut self, key: ExchangeKey) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let msg = self.message(
            MessageType::PublicKey,
            Uuid::nil(),
            &session_key::public_key_message(&key.public_key_blob()),
        );
        self.exchange = Some(key);
        self.fragmenter.pack(&[&msg])
    }

    /// `text` as a SecureString (`<SS>`), encrypted with the session key.
    pub fn secure_string(&self, text: &str) -> Result<PsValue, ProtocolError> {
        let key = self.session_key.as_ref().ok_or_else(|| {
            ProtocolError::Psrp(
                "no session key: exchange keys before sending a SecureString".into(),
            )
        })?;
        Ok(PsValue::Primitive(Primitive::SecureString(
            key.encrypt(text),
        )))
    }

    /// A host method answer, sent with Send on stream `pr`.
    pub fn host_response(
        &mut self,
        pid: Uuid,
        response: &HostResponse,
    ) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let t = if pid.is_nil() {
            MessageType::RunspacePoolHostResponse
        } else {
            MessageType::PipelineHostResponse
        };
        let msg = self.message(t, pid, &response.to_value());
        self.fragmenter.pack(&[&msg])
    }

    /// PIPELINE_INPUT objects followed by END_OF_PIPELINE_INPUT, sent on `stdin`.
    pub fn pipeline_input(
        &mut self,
        pid: Uuid,
        values: &[PsValue],
        end: bool,
    ) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut msgs: Vec<Vec<u8>> = values
            .iter()
            .map(|v| self.message(MessageType::PipelineInput, pid, v))
            .collect();
        if end {
            msgs.push(
                Message::from_clixml(
                    Destination::Server,
                    MessageType::EndOfPipelineInput,
                    self.rpid,
                    pid,
                    "",
                )
                .encode(),
            );
        }
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        self.fragmenter.pack(&refs)
    }
}

fn record(pid: Uuid, kind: RecordKind, value: PsValue) -> ClientEvent {
    ClientEvent::Record { pid, kind, value }
}

fn single_payload(mut payloads: Vec<Vec<u8>>, what: &str) -> Result<Vec<u8>, ProtocolError> {
    if payloads.len() != 1 {
        return Err(ProtocolError::Psrp(format!(
            "{what} must fit one envelope; the envelope size is too small"
        )));
    }
    Ok(payloads.remove(0))
}
