//! Action URIs of every WS-Management operation used here, and of their
//! responses ([MS-WSMV] §3.1.4.x).

use crate::protocol::error::ProtocolError;

/// Action of WS-Management faults (`w:` subcodes).
pub const FAULT_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
/// Action of WS-Addressing faults (`a:` subcodes, e.g. InvalidMessageInformationHeader).
pub const FAULT_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault";

/// A WS-Management operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// WS-Transfer Get: a shell's state or the service configuration.
    Get,
    /// WS-Transfer Put (not used by shells).
    Put,
    /// WS-Transfer Create: open a shell.
    Create,
    /// WS-Transfer Delete: close a shell.
    Delete,
    /// WS-Enumeration Enumerate: list shells or commands.
    Enumerate,
    /// WS-Enumeration Pull: the next page of an enumeration.
    Pull,
    /// WS-Enumeration Release: drop an enumeration context.
    Release,
    /// Start a command (pipeline) in a shell.
    Command,
    /// Send input to a shell or command.
    Send,
    /// Receive output (long poll).
    Receive,
    /// Signal a command (stop, terminate).
    Signal,
    /// Disconnect a shell from this client.
    Disconnect,
    /// Reconnect a shell this client session disconnected.
    Reconnect,
    /// Connect to a disconnected shell or command from a new client.
    Connect,
}

const TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/";
const ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/";
const SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/";

impl Action {
    /// Every action.
    pub const ALL: [Action; 14] = [
        Action::Get,
        Action::Put,
        Action::Create,
        Action::Delete,
        Action::Enumerate,
        Action::Pull,
        Action::Release,
        Action::Command,
        Action::Send,
        Action::Receive,
        Action::Signal,
        Action::Disconnect,
        Action::Reconnect,
        Action::Connect,
    ];

    /// The operation's local name, e.g. `Create`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Get => "Get",
            Action::Put => "Put",
            Action::Create => "Create",
            Action::Delete => "Delete",
            Action::Enumerate => "Enumerate",
            Action::Pull => "Pull",
            Action::Release => "Release",
            Action::Command => "Command",
            Action::Send => "Send",
            Action::Receive => "Receive",
            Action::Signal => "Signal",
            Action::Disconnect => "Disconnect",
            Action::Reconnect => "Reconnect",
            Action::Connect => "Connect",
        }
    }

    fn base(self) -> &'static str {
        match self {
            Action::Get | Action::Put | Action::Create | Action::Delete => TRANSFER,
            Action::Enumerate | Action::Pull | Action::Release => ENUMERATION,
            _ => SHELL,
        }
    }

    /// The request Action URI.
    pub fn uri(self) -> String {
        format!("{}{}", self.base(), self.name())
    }

    /// The response Action URI (`…Response`).
    pub fn response_uri(self) -> String {
        format!("{}{}Response", self.base(), self.name())
    }

    /// The action of a request Action URI.
    pub fn from_uri(uri: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.uri() == uri)
    }

    /// The action whose response Action URI this is.
    pub fn from_response_uri(uri: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.response_uri() == uri)
    }

    /// Parses a request Action URI, or errors naming it.
    pub fn parse(uri: &str) -> Result<Action, ProtocolError> {
        Action::from_uri(uri.trim()).ok_or_else(|| ProtocolError::InvalidValue {
            what: "ws-management action".into(),
            value: uri.into(),
        })
    }
}

/// True for either fault action.
pub fn is_fault_action(uri: &str) -> bool {
    uri == FAULT_WSMAN || uri == FAULT_ADDRESSING
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        assert_eq!(
            Action::Create.uri(),
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
        );
        assert_eq!(
            Action::Pull.response_uri(),
            "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse"
        );
        assert_eq!(
            Action::Signal.uri(),
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
        );
        for a in Action::ALL {
            assert_eq!(Action::from_uri(&a.uri()), Some(a));
            assert_eq!(Action::from_response_uri(&a.response_uri()), Some(a));
            assert_eq!(Action::from_uri(&a.response_uri()), None);
        }
        assert!(Action::parse("urn:nope").is_err());
        assert!(is_fault_action(FAULT_ADDRESSING));
    }
}
