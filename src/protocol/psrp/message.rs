//! PSRP messages ([MS-PSRP] §2.2.1): the 40-byte header (destination,
//! message type, RunspacePool id, pipeline id) followed by the message data,
//! which is UTF-8 CLIXML for every type except END_OF_PIPELINE_INPUT (empty).
//!
//! Integers are little-endian; the two GUIDs use the .NET byte order
//! (Data1..Data3 little-endian), i.e. `Uuid::to_bytes_le`.
//!
//! Byte-order mark: Windows writes a UTF-8 BOM (EF BB BF) in front of the
//! CLIXML of the messages it sends (every server message in pypsrp's
//! recordings of real Windows servers starts with it), while pypsrp's client
//! messages carry no BOM and Windows accepts them. [`Message::from_clixml`]
//! mirrors both: a message to the client (server role, as Windows sends it)
//! gets the BOM, a message to the server (client role, as pypsrp sends it)
//! does not. [`Message::clixml`] strips a BOM when present.
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp

use uuid::Uuid;

use crate::protocol::ProtocolError;

/// Length of the fixed message header.
pub const MESSAGE_HEADER_LEN: usize = 4 + 4 + 16 + 16;

/// The UTF-8 byte-order mark Windows puts in front of CLIXML.
pub const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Who a message is for ([MS-PSRP] §2.2.1 Destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// 0x00000001: sent by the server to the client.
    Client,
    /// 0x00000002: sent by the client to the server.
    Server,
}

impl Destination {
    /// The wire value.
    pub fn to_u32(self) -> u32 {
        match self {
            Destination::Client => 1,
            Destination::Server => 2,
        }
    }

    /// Parses the wire value; only 1 and 2 are defined.
    pub fn from_u32(value: u32) -> Result<Self, ProtocolError> {
        match value {
            1 => Ok(Destination::Client),
            2 => Ok(Destination::Server),
            other => Err(ProtocolError::InvalidValue {
                what: "psrp message destination".into(),
                value: format!("0x{other:08X}"),
            }),
        }
    }
}

macro_rules! message_types {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, )*) => {
        /// PSRP message type ([MS-PSRP] §2.2.1 MessageType). Values this
        /// implementation does not know are kept in [`MessageType::Unknown`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MessageType {
            $( $(#[$doc])* $name, )*
            /// A value not defined by [MS-PSRP] §2.2.1; kept as is.
            Unknown(u32),
        }

        impl MessageType {
            /// Every type defined by [MS-PSRP] §2.2.1.
            pub const ALL: &'static [MessageType] = &[ $( MessageType::$name, )* ];

            /// The wire value.
            pub fn to_u32(self) -> u32 {
                match self {
                    $( MessageType::$name => $value, )*
                    MessageType::Unknown(v) => v,
                }
            }

            /// Maps a wire value; unknown values become [`MessageType::Unknown`].
            pub fn from_u32(value: u32) -> Self {
                match value {
                    $( $value => MessageType::$name, )*
                    other => MessageType::Unknown(other),
                }
            }

            /// The name used by [MS-PSRP] (e.g. `SESSION_CAPABILITY`).
            pub fn name(self) -> &'static str {
                match self {
                    $( MessageType::$name => stringify!($name), )*
                    MessageType::Unknown(_) => "UNKNOWN",
                }
            }
        }
    };
}

message_types! {
    /// SESSION_CAPABILITY (both directions).
    SessionCapability = 0x0001_0002,
    /// INIT_RUNSPACEPOOL (client to server).
    InitRunspacePool = 0x0001_0004,
    /// PUBLIC_KEY (client to server).
    PublicKey = 0x0001_0005,
    /// ENCRYPTED_SESSION_KEY (server to client).
    EncryptedSessionKey = 0x0001_0006,
    /// PUBLIC_KEY_REQUEST (server to client).
    PublicKeyRequest = 0x0001_0007,
    /// CONNECT_RUNSPACEPOOL (client to server).
    ConnectRunspacePool = 0x0001_0008,
    /// SET_MAX_RUNSPACES (client to server).
    SetMaxRunspaces = 0x0002_1002,
    /// SET_MIN_RUNSPACES (client to server).
    SetMinRunspaces = 0x0002_1003,
    /// RUNSPACE_AVAILABILITY (server to client).
    RunspaceAvailability = 0x0002_1004,
    /// RUNSPACEPOOL_STATE (server to client).
    RunspacePoolState = 0x0002_1005,
    /// CREATE_PIPELINE (client to server).
    CreatePipeline = 0x0002_1006,
    /// GET_AVAILABLE_RUNSPACES (client to server).
    GetAvailableRunspaces = 0x0002_1007,
    /// USER_EVENT (server to client).
    UserEvent = 0x0002_1008,
    /// APPLICATION_PRIVATE_DATA (server to client).
    ApplicationPrivateData = 0x0002_1009,
    /// GET_COMMAND_METADATA (client to server).
    GetCommandMetadata = 0x0002_100A,
    /// RUNSPACEPOOL_INIT_DATA (server to client).
    RunspacePoolInitData = 0x0002_100B,
    /// RESET_RUNSPACE_STATE (client to server, protocol 2.3).
    ResetRunspaceState = 0x0002_100C,
    /// RUNSPACEPOOL_HOST_CALL (server to client).
    RunspacePoolHostCall = 0x0002_1100,
    /// RUNSPACEPOOL_HOST_RESPONSE (client to server).
    RunspacePoolHostResponse = 0x0002_1101,
    /// PIPELINE_INPUT (client to server).
    PipelineInput = 0x0004_1002,
    /// END_OF_PIPELINE_INPUT (client to server, empty data).
    EndOfPipelineInput = 0x0004_1003,
    /// PIPELINE_OUTPUT (server to client).
    PipelineOutput = 0x0004_1004,
    /// ERROR_RECORD (server to client).
    ErrorRecord = 0x0004_1005,
    /// PIPELINE_STATE (server to client).
    PipelineState = 0x0004_1006,
    /// DEBUG_RECORD (server to client).
    DebugRecord = 0x0004_1007,
    /// VERBOSE_RECORD (server to client).
    VerboseRecord = 0x0004_1008,
    /// WARNING_RECORD (server to client).
    WarningRecord = 0x0004_1009,
    /// PROGRESS_RECORD (server to client).
    ProgressRecord = 0x0004_1010,
    /// INFORMATION_RECORD (server to client, protocol 2.3).
    InformationRecord = 0x0004_1011,
    /// PIPELINE_HOST_CALL (server to client).
    PipelineHostCall = 0x0004_1100,
    /// PIPELINE_HOST_RESPONSE (client to server).
    PipelineHostResponse = 0x0004_1101,
}

impl MessageType {
    /// Whether the type is one [MS-PSRP] §2.2.1 defines.
    pub fn is_known(self) -> bool {
        !matches!(self, MessageType::Unknown(_))
    }
}

/// One PSRP message ([MS-PSRP] §2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who the message is for.
    pub destination: Destination,
    /// What the message is.
    pub message_type: MessageType,
    /// The RunspacePool id (equal to the WSMan ShellId).
    pub rpid: Uuid,
    /// The pipeline id (equal to the WSMan CommandId), nil for pool messages.
    pub pid: Uuid,
    /// The message data as sent (CLIXML, possibly with a leading BOM).
    pub data: Vec<u8>,
}

impl Message {
    /// A message carrying `clixml`, with the BOM convention of the sending
    /// role: server-to-client messages get the UTF-8 BOM (as Windows writes
    /// them), client-to-server messages none (as pypsrp writes them). An
    /// empty `clixml` stays empty (END_OF_PIPELINE_INPUT).
    pub fn from_clixml(
        destination: Destination,
        message_type: MessageType,
        rpid: Uuid,
        pid: Uuid,
        clixml: &str,
    ) -> Self {
        let mut data = Vec::with_capacity(clixml.len() + UTF8_BOM.len());
        if destination == Destination::Client && !clixml.is_empty() {
            data.extend_from_slice(&UTF8_BOM);
        }
        data.extend_from_slice(clixml.as_bytes());
        Message {
            destination,
            message_type,
            rpid,
            pid,
            data,
        }
    }

    /// The data without a leading UTF-8 BOM.
    pub fn body(&self) -> &[u8] {
        strip_bom(&self.data)
    }

    /// The data as CLIXML text: BOM stripped, UTF-8 checked.
    pub fn clixml(&self) -> Result<&str, ProtocolError> {
        std::str::from_utf8(self.body()).map_err(|e| ProtocolError::InvalidValue {
            what: format!("utf-8 in {} message", self.message_type.name()),
            value: e.to_string(),
        })
    }

    /// Whether the data starts with a UTF-8 BOM.
    pub fn has_bom(&self) -> bool {
        self.data.starts_with(&UTF8_BOM)
    }

    /// Encoded length (header plus data).
    pub fn encoded_len(&self) -> usize {
        MESSAGE_HEADER_LEN + self.data.len()
    }

    /// The wire form: header then data exactly as stored.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.destination.to_u32().to_le_bytes());
        out.extend_from_slice(&self.message_type.to_u32().to_le_bytes());
        out.extend_from_slice(&self.rpid.to_bytes_le());
        out.extend_from_slice(&self.pid.to_bytes_le());
        out.extend_from_slice(&self.data);
        out
    }

    /// Parses a whole message (as reassembled by the defragmenter). The
    /// data is kept as sent, BOM included; use [`Message::clixml`] for text.
    pub fn decode(input: &[u8]) -> Result<Message, ProtocolError> {
        let (destination, message_type, rpid, pid) = decode_header(input)?;
        Ok(Message {
            destination,
            message_type,
            rpid,
            pid,
            data: input[MESSAGE_HEADER_LEN..].to_vec(),
        })
    }

    /// [`Message::decode`] taking the reassembled bytes: the data is moved
    /// out of them rather than copied.
    pub fn decode_owned(mut input: Vec<u8>) -> Result<Message, ProtocolError> {
        let (destination, message_type, rpid, pid) = decode_header(&input)?;
        input.drain(..MESSAGE_HEADER_LEN);
        Ok(Message {
            destination,
            message_type,
            rpid,
            pid,
            data: input,
        })
    }
}

/// The header fields of a whole message; an input shorter than the header
/// or a destination other than 1 and 2 is an error.
pub(crate) fn decode_header(
    input: &[u8],
) -> Result<(Destination, MessageType, Uuid, Uuid), ProtocolError> {
    if input.len() < MESSAGE_HEADER_LEN {
        return Err(ProtocolError::Psrp(format!(
            "message of {} bytes is shorter than the {MESSAGE_HEADER_LEN}-byte header",
            input.len()
        )));
    }
    let (header, _) = input.split_at(MESSAGE_HEADER_LEN);
    let (dest, rest) = header.split_at(4);
    let (mtype, rest) = rest.split_at(4);
    let (rpid, pid) = rest.split_at(16);
    Ok((
        Destination::from_u32(u32::from_le_bytes(array(dest)?))?,
        MessageType::from_u32(u32::from_le_bytes(array(mtype)?)),
        Uuid::from_bytes_le(array(rpid)?),
        Uuid::from_bytes_le(array(pid)?),
    ))
}

/// `data` without a leading UTF-8 BOM.
pub fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(&UTF8_BOM[..]).unwrap_or(data)
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], ProtocolError> {
    bytes
        .try_into()
        .map_err(|_| ProtocolError::Psrp("truncated message header".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_uses_dotnet_byte_order() {
        let rpid = Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").unwrap();
        let m = Message::from_clixml(
            Destination::Server,
            MessageType::SessionCapability,
            rpid,
            Uuid::nil(),
            "<S />",
        );
        let bytes = m.encode();
        assert_eq!(&bytes[0..4], &[2, 0, 0, 0]);
        assert_eq!(&bytes[4..8], &[0x02, 0x00, 0x01, 0x00]);
        assert_eq!(
            &bytes[8..24],
            &[
                0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        assert_eq!(&bytes[40..], b"<S />");
        assert_eq!(Message::decode(&bytes).unwrap(), m);
        assert_eq!(Message::decode_owned(bytes).unwrap(), m);
    }

    #[test]
    fn server_role_writes_bom_and_decode_strips_it() {
        let m = Message::from_clixml(
            Destination::Client,
            MessageType::PipelineOutput,
            Uuid::nil(),
            Uuid::nil(),
            "<S>a</S>",
        );
        assert!(m.has_bom());
        let back = Message::decode(&m.encode()).unwrap();
        assert_eq!(back.clixml().unwrap(), "<S>a</S>");
    }

    #[test]
    fn unknown_type_is_kept() {
        assert_eq!(
            MessageType::from_u32(0x0009_9999),
            MessageType::Unknown(0x0009_9999)
        );
        assert_eq!(MessageType::Unknown(5).to_u32(), 5);
        for t in MessageType::ALL {
            assert_eq!(MessageType::from_u32(t.to_u32()), *t);
        }
        assert_eq!(MessageType::ALL.len(), 31);
    }

    #[test]
    fn bad_destination_and_short_input_are_errors() {
        assert!(Message::decode(&[0u8; 39]).is_err());
        assert!(Message::decode_owned(vec![0u8; 39]).is_err());
        let mut bytes = vec![0u8; 40];
        bytes[0] = 3;
        assert!(Message::decode(&bytes).is_err());
        assert!(Message::decode_owned(bytes).is_err());
    }
}
