use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::OpId;
use crate::model::{ConfigurationQuotas, OutputItem, SessionInfo, UserError};

/// One line of the audit trail: who did what to which session, with which
/// options, and how it ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActivityEntry {
    pub time: DateTime<Utc>,
    /// The user the action authenticated as.
    pub user: String,
    pub computer: String,
    pub session: Option<String>,
    /// `Disconnect-PSSession`, …
    pub action: String,
    /// `-IdleTimeoutSec 86400 -OutputBufferingMode Drop`, …
    pub options: String,
    /// `ok` or the error.
    pub result: String,
}

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
    /// An action ended well.
    OpFinished { op: OpId, message: String },
    /// An action (or part of a bulk action) failed.
    OpFailed { op: OpId, error: UserError },
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
    /// An audit-trail entry.
    Activity(ActivityEntry),
}

impl Event {
    /// The action this event reports on, if any.
    pub fn op(&self) -> Option<OpId> {
        match self {
            Event::OpStarted { op, .. }
            | Event::OpProgress { op, .. }
            | Event::OpFinished { op, .. }
            | Event::OpFailed { op, .. }
            | Event::SessionsListed { op, .. }
            | Event::ComputerIdentified { op, .. }
            | Event::Configuration { op, .. } => Some(*op),
            _ => None,
        }
    }
}
