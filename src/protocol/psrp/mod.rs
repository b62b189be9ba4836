//! PowerShell Remoting Protocol ([MS-PSRP]): fragments, messages, runspace pool and pipeline state machines, in the client and the server role.
//!
//! - [`fragment`]: the fragment framing of [MS-PSRP] §2.2.4, a [`Fragmenter`]
//!   sized to the WSMan envelope and a [`Defragmenter`].
//! - [`message`]: the message header of [MS-PSRP] §2.2.1 and every message type.
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp

pub mod fragment;
pub(crate) mod message;

pub use fragment::{Defragmenter, Fragment, Fragmenter, payload_budget};
pub use message::{Destination, Message, MessageType};
pub mod client;
pub mod messages;
pub mod server;
pub mod session_key;

pub use client::{ClientEvent, ClientPool, RecordKind};
pub use messages::{CreatePipeline, PipelineState, RunspacePoolState};
pub use server::{ServerEvent, ServerPool};
