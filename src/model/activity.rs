//! The audit trail's vocabulary: one entry per action.

use chrono::{DateTime, Utc};

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
