//! The server role of a runspace pool ([MS-PSRP] §3.2), used by the lab
//! endpoint: it reads what clients send in Create, Command, Send and Connect,
//! and queues what the server sends back per stream (the pool's, and one per
//! pipeline) until a Receive takes it.
//!
//! Outgoing messages are queued whole and cut into fragments only when a
//! Receive takes them, so a Receive never carries more than its envelope
//! allows and the buffer size of a disconnected session is known in bytes
//! (for OutputBufferingMode Block and Drop).

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

use super::fragment::{Defragmenter, FRAGMENT_HEADER_LEN, Fragment};
use super::message::{Destination, Message, MessageType};
use super::messages::{
    self, ConnectRunspacePool, CreatePipeline, HostCall, HostResponse, InitRunspacePool,
    PipelineState, RunspacePoolState, SessionCapability, body_value,
};
use super::session_key::{self, SessionKey};
use crate::protocol::clixml::{self, PsValue};
use crate::protocol::error::ProtocolError;
use rsa::rand_core::CryptoRng;

/// What a client message means to the server.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerEvent {
    /// The pool was created with these settings.
    Init(InitRunspacePool),
    /// A pipeline is complete and can start.
    CreatePipeline { pid: Uuid, pipeline: CreatePipeline },
    /// An input object for a pipeline.
    Input { pid: Uuid, value: PsValue },
    /// No more input for a pipeline.
    EndOfInput { pid: Uuid },
    /// The answer to a host call.
    HostResponse { pid: Uuid, response: HostResponse },
    /// PUBLIC_KEY: the client's exchange key, to answer with
    /// [`ServerPool::accept_public_key`].
    PublicKey { blob: Vec<u8> },
    /// Anything else the client sent (SET_MAX_RUNSPACES, …).
    Other {
        pid: Uuid,
        message_type: MessageType,
        value: PsValue,
    },
}

#[derive(Debug)]
struct Queued {
    object_id: u64,
    data: Vec<u8>,
    /// Bytes of `data` already sent.
    sent: usize,
    next_fragment: u64,
}

/// A runspace pool in the server role.
#[derive(Debug)]
pub struct ServerPool {
    rpid: Uuid,
    state: RunspacePoolState,
    client: Option<SessionCapability>,
    ours: SessionCapability,
    min_runspaces: i32,
    max_runspaces: i32,
    ps_version_table: Vec<(String, PsValue)>,
    incoming: Defragmenter,
    next_object_id: u64,
    /// Outgoing queues: `None` = the pool's stream, `Some(pid)` = a pipeline's.
    queues: HashMap<Option<Uuid>, VecDeque<Queued>>,
    /// The session key SecureStrings are encrypted with, once exchanged.
    session_key: Option<SessionKey>,
    /// PUBLIC_KEY_REQUEST was sent and not answered yet.
    key_requested: bool,
}

impl ServerPool {
    /// A pool created by `Create` with `creation_payload` (the decoded
    /// `creationXml`): reads SESSION_CAPABILITY + INIT_RUNSPACEPOOL and queues
    /// the answer Windows gives on the pool stream: SESSION_CAPABILITY,
    /// APPLICATION_PRIVATE_DATA, RUNSPACEPOOL_STATE Opened.
    pub fn create(
        rpid: Uuid,
        creation_payload: &[u8],
        ps_version_table: Vec<(String, PsValue)>,
    ) -> Result<(ServerPool, InitRunspacePool), ProtocolError> {
        Self::create_as(
            rpid,
            creation_payload,
            ps_version_table,
            SessionCapability::default(),
        )
    }

    /// [`ServerPool::create`] for a server that announces `ours` (an older
    /// protocol version, say).
    pub fn create_as(
        rpid: Uuid,
        creation_payload: &[u8],
        ps_version_table: Vec<(String, PsValue)>,
        ours: SessionCapability,
    ) -> Result<(ServerPool, InitRunspacePool), ProtocolError> {
        let mut pool = ServerPool {
            rpid,
            state: RunspacePoolState::Opening,
            client: None,
            ours,
            min_runspaces: 1,
            max_runspaces: 1,
            ps_version_table,
            incoming: Defragmenter::new(),
            next_object_id: 1,
            queues: HashMap::new(),
            session_key: None,
            key_requested: false,
        };
        let mut init = None;
        for raw in pool.incoming.push_payload(creation_payload)? {
            let msg = Message::decode_owned(raw)?;
            let value = body_value(&msg.data)?;
            match msg.message_type {
                MessageType::SessionCapability => {
                    pool.client = Some(SessionCapability::from_value(&value)?);
                }
                MessageType::InitRunspacePool => init = Some(InitRunspacePool::from_value(&value)?),
                // [MS-PSRP] §3.1.5.3.1: only these two messages may be in creationXml.
                other => {
                    return Err(ProtocolError::Psrp(format!(
                        "creationXml may only carry SESSION_CAPABILITY and INIT_RUNSPACEPOOL, not {}",
                        other.name()
                    )));
                }
            }
        }
        let init =
            init.ok_or_else(|| ProtocolError::Psrp("creationXml has no INIT_RUNSPACEPOOL".into()))?;
        if pool.client.is_none() {
            return Err(ProtocolError::Psrp(
                "creationXml has no SESSION_CAPABILITY".into(),
            ));
        }
        pool.min_runspaces = init.min_runspaces;
        pool.max_runspaces = init.max_runspaces;
        // Windows sends its SESSION_CAPABILITY with a nil RPID after Create.
        pool.queue_with_rpid(
            None,
            Uuid::nil(),
            MessageType::SessionCapability,
            &pool.ours.to_value(),
        );
        let apd = messages::application_private_data(pool.ps_version_table.clone());
        pool.queue(None, MessageType::ApplicationPrivateData, &apd);
        pool.queue(
            None,
            MessageType::RunspacePoolState,
            &messages::runspace_pool_state(RunspacePoolState::Opened, None),
        );
        pool.state = RunspacePoolState::Opened;
        Ok((pool, init))
    }

    /// The pool id.
    pub fn rpid(&self) -> Uuid {
        self.rpid
    }

    /// The pool's state.
    pub fn state(&self) -> RunspacePoolState {
        self.state
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> String {
        match &self.client {
            Some(c) => {
                messages::negotiate_version(&self.ours.protocol_version, &c.protocol_version)
            }
            None => self.ours.protocol_version.clone(),
        }
    }

    /// Handles `connectXml` from a new client ([MS-PSRP] §3.2.5.3.14, the
    /// checks PowerShell's server makes) and returns the `connectResponseXml`
    /// payload (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA). Queues
    /// APPLICATION_PRIVATE_DATA on the pool stream, as Windows does.
    pub fn connect(&mut self, connect_payload: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        const INVALID: &str = "The server cannot process the connect operation because the following information is not found or not valid: Client Capability information and Connect RunspacePool information.";
        // The client starts over with object id 1.
        let mut incoming = Defragmenter::new();
        let messages = incoming
            .push_payload(connect_payload)
            .map_err(|_| ProtocolError::Psrp(INVALID.into()))?;
        if messages.len() != 2 || incoming.in_flight() != 0 {
            return Err(ProtocolError::Psrp(INVALID.into()));
        }
        let cap = Message::decode(&messages[0]).map_err(|_| ProtocolError::Psrp(INVALID.into()))?;
        let conn =
            Message::decode(&messages[1]).map_err(|_| ProtocolError::Psrp(INVALID.into()))?;
        if cap.message_type != MessageType::SessionCapability
            || conn.message_type != MessageType::ConnectRunspacePool
        {
            return Err(ProtocolError::Psrp(INVALID.into()));
        }
        let capability = SessionCapability::from_value(&body_value(&cap.data)?)
            .map_err(|_| ProtocolError::Psrp(INVALID.into()))?;
        if conn.rpid != self.rpid && !conn.rpid.is_nil() {
            return Err(ProtocolError::Psrp(INVALID.into()));
        }
        let request = ConnectRunspacePool::from_value(&body_value(&conn.data)?)?;
        if let Some((min, max)) = request.min_max
            && (min, max) != (self.min_runspaces, self.max_runspaces)
        {
            return Err(ProtocolError::Psrp(format!(
                "The runspace pool properties (MinRunspaces {min}, MaxRunspaces {max}) of the connect request do not match those of the session (MinRunspaces {}, MaxRunspaces {}).",
                self.min_runspaces, self.max_runspaces
            )));
        }
        self.client = Some(capability);
        self.incoming = incoming;
        let mut out = Vec::new();
        for (t, v) in [
            (MessageType::SessionCapability, self.ours.to_value()),
            (
                MessageType::RunspacePoolInitData,
                messages::runspace_pool_init_data(self.min_runspaces, self.max_runspaces),
            ),
        ] {
            let data = self.encode(self.rpid, Uuid::nil(), t, &v);
            let id = self.take_object_id();
            Fragment::whole(id, data).encode_into(&mut out)?;
        }
        let apd = messages::application_private_data(self.ps_version_table.clone());
        self.queue(None, MessageType::ApplicationPrivateData, &apd);
        self.state = RunspacePoolState::Opened;
        Ok(out)
    }

    /// Handles client data: `rsp:Arguments` of a Command, or a Send on
    /// `stdin`/`pr`. Returns the messages completed by it.
    pub fn handle_input(&mut self, payload: &[u8]) -> Result<Vec<ServerEvent>, ProtocolError> {
        let mut out = Vec::new();
        for raw in self.incoming.push_payload(payload)? {
            let msg = Message::decode_owned(raw)?;
            if msg.destination != Destination::Server {
                return Err(ProtocolError::Psrp(format!(
                    "a {} message addressed to the client arrived at the server",
                    msg.message_type.name()
                )));
            }
            let pid = msg.pid;
            let value = body_value(&msg.data)?;
            out.push(match msg.message_type {
                MessageType::CreatePipeline => ServerEvent::CreatePipeline {
                    pid,
                    pipeline: CreatePipeline::from_value(&value)?,
                },
                MessageType::PipelineInput => ServerEvent::Input { pid, value },
                MessageType::EndOfPipelineInput => ServerEvent::EndOfInput { pid },
                MessageType::PublicKey => ServerEvent::PublicKey {
                    blob: session_key::public_key_from_message(&value)?,
                },
                MessageType::PipelineHostResponse | MessageType::RunspacePoolHostResponse => {
                    ServerEvent::HostResponse {
                        pid,
                        response: HostResponse::from_value(&value)?,
                    }
                }
                message_type => ServerEvent::Other {
                    pid,
                    message_type,
                    value,
                },
            });
        }
        Ok(out)
    }

    fn take_object_id(&mut self) -> u64 {
        let id = self.next_object_id;
        self.next_object_id += 1;
        id
    }

    fn encode(&self, rpid: Uuid, pid: Uuid, t: MessageType, value: &PsValue) -> Vec<u8> {
        let xml = clixml::to_clixml(value);
        Message::from_clixml(Destination::Client, t, rpid, pid, &xml).encode()
    }

    fn queue_with_rpid(&mut self, pid: Option<Uuid>, rpid: Uuid, t: MessageType, value: &PsValue) {
        let data = self.encode(rpid, pid.unwrap_or_default(), t, value);
        let object_id = self.take_object_id();
        self.queues.entry(pid).or_default().push_back(Queued {
            object_id,
            data,
            sent: 0,
            next_fragment: 0,
        });
    }

    /// Queues a message for the client on the pool stream (`pid` None) or a
    /// pipeline's stream.
    pub fn queue(&mut self, pid: Option<Uuid>, t: MessageType, value: &PsValue) {
        self.queue_with_rpid(pid, self.rpid, t, value);
    }

    /// Answers PUBLIC_KEY: a new session key, encrypted to the client's
    /// key, queued as ENCRYPTED_SESSION_KEY on the pool's stream
    /// ([MS-PSRP] §3.2.4.4).
    pub fn accept_public_key<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        blob: &[u8],
    ) -> Result<(), ProtocolError> {
        let key = SessionKey::generate(rng);
        let wrapped = session_key::wrap_session_key(rng, blob, &key)?;
        self.queue(
            None,
            MessageType::EncryptedSessionKey,
            &session_key::encrypted_session_key_message(&wrapped),
        );
        self.session_key = Some(key);
        self.key_requested = false;
        Ok(())
    }

    /// The session key, once exchanged.
    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// Asks the client for its exchange key (PUBLIC_KEY_REQUEST), once, when
    /// a SecureString is to be sent and no session key is known yet.
    pub fn request_public_key(&mut self) {
        if self.session_key.is_none() && !self.key_requested {
            self.key_requested = true;
            self.queue(None, MessageType::PublicKeyRequest, &PsValue::str(""));
        }
    }

    /// Queues PIPELINE_OUTPUT.
    pub fn output(&mut self, pid: Uuid, value: &PsValue) {
        self.queue(Some(pid), MessageType::PipelineOutput, value);
    }

    /// Queues PIPELINE_STATE.
    pub fn pipeline_state(&mut self, pid: Uuid, state: PipelineState, error: Option<PsValue>) {
        self.queue(
            Some(pid),
            MessageType::PipelineState,
            &messages::pipeline_state(state, error),
        );
    }

    /// Queues a host call on a pipeline's stream.
    pub fn host_call(&mut self, pid: Uuid, call: &HostCall) {
        self.queue(Some(pid), MessageType::PipelineHostCall, &call.to_value());
    }

    /// Bytes queued on a stream and not yet taken.
    pub fn buffered(&self, pid: Option<Uuid>) -> usize {
        self.queues
            .get(&pid)
            .map_or(0, |q| q.iter().map(|m| m.data.len() - m.sent).sum())
    }

    /// Messages queued on a stream and not yet taken in full.
    pub fn buffered_messages(&self, pid: Option<Uuid>) -> usize {
        self.queues.get(&pid).map_or(0, VecDeque::len)
    }

    /// Drops the oldest whole messages of a stream that have not started to
    /// be sent, keeping at most `keep_bytes` (OutputBufferingMode Drop), and
    /// never dropping PIPELINE_STATE. Returns how many messages were dropped.
    pub fn drop_oldest(&mut self, pid: Option<Uuid>, keep_bytes: usize) -> usize {
        let Some(q) = self.queues.get_mut(&pid) else {
            return 0;
        };
        let mut total: usize = q.iter().map(|m| m.data.len() - m.sent).sum();
        let mut dropped = 0;
        let mut i = 0;
        while total > keep_bytes && i < q.len() {
            let is_state = Message::decode(&q[i].data)
                .is_ok_and(|m| m.message_type == MessageType::PipelineState);
            if q[i].sent == 0 && !is_state {
                let m = q.remove(i).expect("index checked");
                total -= m.data.len();
                dropped += 1;
            } else {
                i += 1;
            }
        }
        dropped
    }

    /// Takes queued data of a stream as fragments, at most `budget` bytes in
    /// all (fragment headers included). Each element is one encoded fragment,
    /// which Windows sends in its own `rsp:Stream` element. Empty when nothing
    /// is queued.
    pub fn take(&mut self, pid: Option<Uuid>, budget: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut used = 0usize;
        let Some(q) = self.queues.get_mut(&pid) else {
            return out;
        };
        while let Some(front) = q.front_mut() {
            let room = budget.saturating_sub(used);
            if room <= FRAGMENT_HEADER_LEN {
                break;
            }
            let remaining = front.data.len() - front.sent;
            let n = remaining.min(room - FRAGMENT_HEADER_LEN);
            let fragment = Fragment {
                object_id: front.object_id,
                fragment_id: front.next_fragment,
                start: front.sent == 0,
                end: n == remaining,
                data: front.data[front.sent..front.sent + n].to_vec(),
            };
            let mut bytes = Vec::with_capacity(n + FRAGMENT_HEADER_LEN);
            // Encoding a fragment we built within the limits cannot fail.
            if fragment.encode_into(&mut bytes).is_err() {
                break;
            }
            used += bytes.len();
            out.push(bytes);
            front.sent += n;
            front.next_fragment += 1;
            if front.sent == front.data.len() {
                q.pop_front();
            }
        }
        out
    }

    /// Forgets a pipeline's queue (after the command is terminated).
    pub fn forget(&mut self, pid: Uuid) {
        self.queues.remove(&Some(pid));
    }

    /// Marks the pool closed.
    pub fn close(&mut self) {
        self.state = RunspacePoolState::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::{ClientEvent, ClientPool, RecordKind};
    use super::*;
    use crate::protocol::clixml::PsValue;

    fn pump(
        client: &mut ClientPool,
        server: &mut ServerPool,
        pid: Option<Uuid>,
        budget: usize,
    ) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        for fragment in server.take(pid, budget) {
            events.extend(client.handle_stream(&fragment).unwrap());
        }
        events
    }

    fn version_table() -> Vec<(String, PsValue)> {
        vec![
            ("PSVersion".into(), PsValue::version("5.1.17763.1971")),
            ("PSRemotingProtocolVersion".into(), PsValue::version("2.3")),
        ]
    }

    #[test]
    fn client_and_server_open_run_and_connect() {
        let rpid = Uuid::new_v4();
        let mut client = ClientPool::new(rpid, 512_000).unwrap();
        let creation = client
            .creation_payload(&InitRunspacePool::default())
            .unwrap();
        let (mut server, init) = ServerPool::create(rpid, &creation, version_table()).unwrap();
        assert_eq!(init.max_runspaces, 1);
        let events = pump(&mut client, &mut server, None, 100_000);
        assert!(matches!(events[0], ClientEvent::ServerCapability(_)));
        assert!(matches!(
            events.last(),
            Some(ClientEvent::PoolState {
                state: RunspacePoolState::Opened,
                ..
            })
        ));
        assert_eq!(client.ps_version_table()[0].1, "5.1.17763.1971");

        let pid = Uuid::new_v4();
        let payloads = client
            .create_pipeline(pid, &CreatePipeline::script("1..3"))
            .unwrap();
        let mut created = None;
        for p in payloads {
            for e in server.handle_input(&p).unwrap() {
                if let ServerEvent::CreatePipeline { pid: p, pipeline } = e {
                    created = Some((p, pipeline));
                }
            }
        }
        let (spid, pipeline) = created.unwrap();
        assert_eq!((spid, pipeline.commands[0].cmd.as_str()), (pid, "1..3"));
        for i in 1..=3 {
            server.output(pid, &PsValue::from(i));
        }
        server.queue(
            Some(pid),
            MessageType::WarningRecord,
            &PsValue::str("careful"),
        );
        server.pipeline_state(pid, PipelineState::Completed, None);
        // A tiny budget forces every message into several fragments.
        let mut events = Vec::new();
        loop {
            let chunk = pump(&mut client, &mut server, Some(pid), 40);
            if chunk.is_empty() && server.buffered(Some(pid)) == 0 {
                break;
            }
            events.extend(chunk);
        }
        let outputs: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Output { value, .. } => value.as_i32(),
                _ => None,
            })
            .collect();
        assert_eq!(outputs, vec![1, 2, 3]);
        assert!(events.iter().any(|e| matches!(
            e,
            ClientEvent::Record {
                kind: RecordKind::Warning,
                ..
            }
        )));
        assert_eq!(client.pipeline_state(pid), Some(PipelineState::Completed));

        // A second client connects to the same pool.
        let mut other = ClientPool::new(rpid, 512_000).unwrap();
        let connect = other.connect_payload().unwrap();
        let response = server.connect(&connect).unwrap();
        let events = other.handle_connect_response(&response).unwrap();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ClientEvent::InitData { min: 1, max: 1 }))
        );
        let events = pump(&mut other, &mut server, None, 100_000);
        assert!(matches!(events[0], ClientEvent::PrivateData(_)));
        assert_eq!(other.state(), RunspacePoolState::Opened);
    }

    #[test]
    fn connect_refuses_malformed_or_mismatched_requests() {
        let rpid = Uuid::new_v4();
        let mut client = ClientPool::new(rpid, 512_000).unwrap();
        let creation = client
            .creation_payload(&InitRunspacePool {
                min_runspaces: 1,
                max_runspaces: 2,
                application_arguments: None,
            })
            .unwrap();
        let (mut server, _) = ServerPool::create(rpid, &creation, version_table()).unwrap();
        assert!(server.connect(b"junk").is_err());
        let mut other = ClientPool::new(rpid, 512_000).unwrap();
        let err = server
            .connect(&other.connect_payload().unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("do not match"), "{err}");
    }

    #[test]
    fn drop_mode_discards_oldest_output_but_keeps_state() {
        let rpid = Uuid::new_v4();
        let mut client = ClientPool::new(rpid, 512_000).unwrap();
        let creation = client
            .creation_payload(&InitRunspacePool::default())
            .unwrap();
        let (mut server, _) = ServerPool::create(rpid, &creation, version_table()).unwrap();
        let pid = Uuid::new_v4();
        for i in 0..100 {
            server.output(pid, &PsValue::from(i));
        }
        server.pipeline_state(pid, PipelineState::Completed, None);
        let before = server.buffered(Some(pid));
        let dropped = server.drop_oldest(Some(pid), before / 2);
        assert!(dropped > 0 && server.buffered(Some(pid)) <= before / 2);
        pump(&mut client, &mut server, None, 100_000);
        let events = pump(&mut client, &mut server, Some(pid), 1_000_000);
        let first = events.iter().find_map(|e| match e {
            ClientEvent::Output { value, .. } => value.as_i32(),
            _ => None,
        });
        assert!(first.unwrap() > 0, "the oldest outputs were dropped");
        assert!(matches!(
            events.last(),
            Some(ClientEvent::PipelineState {
                state: PipelineState::Completed,
                ..
            })
        ));
    }
}
