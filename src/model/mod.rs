//! Shared plain-data vocabulary of the UI, the CLI and the worker: sessions in
//! PowerShell's terms, connection settings, output items and user-facing errors.

pub(crate) mod activity;
pub mod certificate;
pub(crate) mod connection;
pub mod hand_over;
pub mod profile;
pub mod profile_edit;
pub(crate) mod rules;
pub(crate) mod session;

pub use activity::ActivityEntry;
pub use connection::{AuthMechanism, ConnectionSpec, Credential, ProxyAccessType, Secret};
pub use session::{
    Availability, ConfigurationQuotas, ErrorView, OutputBufferingMode, OutputItem, ProgressView,
    RemoteCommand, RemoteObject, RemoteValue, ScriptValue, ServerShellState, SessionInfo,
    SessionState, ShellDetails, UserError,
};
