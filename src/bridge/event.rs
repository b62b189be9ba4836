use uuid::Uuid;

use super::OpId;
use crate::model::{ActivityEntry, ConfigurationQuotas, OutputItem, SessionInfo, UserError};

/// A fact the worker reports.
// Events are moved once through a channel; boxing the large variants would
// only add noise at every construction site.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Event {
    /// An action started; `what` is shown in the status bar.
    OpStarted { op: OpId, what: String },
    /// Progress of a bulk action.
    OpProgress {
        op: OpId,
        done: usize,
        total: usize,
        message: String,
    },
    /// An action ended well (a bulk action: at least one part succeeded,
    /// or it had no parts). Terminal: nothing more is reported for `op`.
    OpFinished { op: OpId, message: String },
    /// An action failed (a bulk action: every part failed, each reported
    /// by its own `PartFailed` first). Terminal.
    OpFailed { op: OpId, error: UserError },
    /// An action was cancelled before it finished (Cancel, or the worker
    /// stopping). Terminal.
    OpCancelled { op: OpId },
    /// One part of an action failed (one computer of a bulk action, one
    /// command of a Receive); the action goes on and ends with its own
    /// terminal event.
    PartFailed {
        op: OpId,
        /// The computer the part was for.
        computer: String,
        error: UserError,
    },
    /// The profile file as an `EditProfiles` job left it, and what the job
    /// reports (an import's report, an export's destination).
    ProfilesChanged {
        op: OpId,
        tree: Box<crate::model::profile::ProfileTree>,
        lines: Vec<String>,
    },
    /// A password is in the OS keyring, under `entry`, for `user`.
    CredentialSaved {
        op: OpId,
        entry: String,
        user: String,
    },
    /// The sessions of one computer (a full refresh of that computer).
    SessionsListed {
        op: OpId,
        computer: String,
        sessions: Vec<SessionInfo>,
    },
    /// One session changed (created, state, availability, timeouts…).
    SessionChanged(SessionInfo),
    /// A session no longer exists (removed, expired).
    SessionGone {
        computer: String,
        instance_id: Uuid,
        reason: String,
    },
    /// Output of a command of a session.
    Output {
        computer: String,
        instance_id: Uuid,
        command_id: Uuid,
        items: Vec<OutputItem>,
    },
    /// A command ended (`Completed`, `Failed`, `Stopped`).
    CommandFinished {
        computer: String,
        instance_id: Uuid,
        command_id: Uuid,
        state: String,
    },
    /// The remote side asks for input.
    PromptRequested {
        computer: String,
        instance_id: Uuid,
        command_id: Uuid,
        prompt: String,
        secure: bool,
    },
    /// `Test-WSMan` result.
    ComputerIdentified {
        op: OpId,
        computer: String,
        product_vendor: String,
        product_version: String,
        protocol_version: String,
    },
    /// A session configuration's quotas.
    Configuration {
        op: OpId,
        computer: String,
        quotas: ConfigurationQuotas,
    },
    /// Something the user should hear of during an action that is not a
    /// failure (a connection redirected): PowerShell's WARNING line.
    Warning {
        op: OpId,
        computer: String,
        message: String,
    },
    /// The sessions this user held open or handed over when Baton last ran
    /// (sent once, at start, when there are any): what to reconnect after
    /// an outage.
    PreviouslyHeld(Vec<crate::model::hand_over::HeldRecord>),
    /// An audit-trail entry.
    Activity(ActivityEntry),
    /// The activity file could not be written (once per run of failures).
    ActivityNotSaved { error: String },
    /// A session this process held was handed back as the worker stopped.
    SessionReleased {
        computer: String,
        instance_id: Uuid,
        name: String,
        outcome: ReleaseOutcome,
    },
    /// The worker has stopped: every held session was released. Last event.
    Stopped,
}

/// What became of a held session when the worker stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum ReleaseOutcome {
    /// Closed (deleted on the server).
    Closed,
    /// Disconnected: still on the server, with this idle timeout and output
    /// buffering mode, for the next person to connect to.
    Disconnected {
        idle_timeout_ms: Option<u64>,
        output_buffering_mode: crate::model::OutputBufferingMode,
        /// A command was still running in it.
        running: bool,
    },
    /// The server refused or did not answer.
    Failed(UserError),
}

impl Event {
    /// Whether this event ends its action (exactly one per action).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Event::OpFinished { .. } | Event::OpFailed { .. } | Event::OpCancelled { .. }
        )
    }
}

impl Event {
    /// The action this event reports on, if any.
    pub fn op(&self) -> Option<OpId> {
        match self {
            Event::OpStarted { op, .. }
            | Event::OpProgress { op, .. }
            | Event::OpFinished { op, .. }
            | Event::OpFailed { op, .. }
            | Event::OpCancelled { op }
            | Event::PartFailed { op, .. }
            | Event::Warning { op, .. }
            | Event::SessionsListed { op, .. }
            | Event::CredentialSaved { op, .. }
            | Event::ProfilesChanged { op, .. }
            | Event::ComputerIdentified { op, .. }
            | Event::Configuration { op, .. } => Some(*op),
            _ => None,
        }
    }
}
