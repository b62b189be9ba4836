//! Importers of foreign connection lists: a plain host list, mRemoteNG's
//! `confCons.xml`, RDCMan's `.rdg`, Royal TS's RoyalJSON and Devolutions
//! Remote Desktop Manager's `.rdm` export.
//!
//! Every importer returns a new [`Group`] plus a report of what it skipped
//! and why; it never touches the existing tree. Merge the group with
//! [`crate::store::profiles::merge_into`], which works on a copy, so a
//! failure never loses the existing tree. XML is read with
//! [`crate::protocol::xml::Element::parse`], which refuses any DTD: files that
//! declare one (the XXE vector of CVE-2020-0765 in RDCMan) are refused whole.
//! Saved passwords are never imported into a profile file.

pub mod hostlist;
pub mod mremoteng;
pub mod rdcman;
pub mod rdm;
pub mod royaljson;

use crate::model::profile::Group;

/// Largest foreign file accepted (bytes).
pub const MAX_IMPORT_SIZE: usize = 32 * 1024 * 1024;
/// Most computers one import may produce.
pub const MAX_IMPORT_COMPUTERS: usize = 100_000;

/// An import that produced nothing: the file is refused or unreadable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is refused for safety (a DTD, full-file encryption, size).
    #[error("refused {origin}: {reason}")]
    Refused { origin: String, reason: String },
    /// The file is not what it claims to be.
    #[error("cannot read {origin}: {reason}")]
    Malformed { origin: String, reason: String },
}

/// One thing not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// What it was (`line 7`, `SSH connection "web01"`).
    pub item: String,
    pub reason: String,
}

/// What an import did besides the computers it produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Items not imported.
    pub skipped: Vec<Skipped>,
    /// Saved passwords found and NOT transferred (names only).
    pub passwords_not_transferred: Vec<String>,
    /// Anything else the user should know.
    pub warnings: Vec<String>,
}

impl ImportReport {
    pub(crate) fn skip(&mut self, item: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            item: item.into(),
            reason: reason.into(),
        });
    }
}

/// An import's result: a group to merge, and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub group: Group,
    pub report: ImportReport,
}

/// Parses XML from a foreign file: refuses DTDs (no entity of any kind is
/// expanded, nothing external is fetched) and oversized files.
pub(crate) fn parse_foreign_xml(
    bytes: &[u8],
    origin: &str,
) -> Result<crate::protocol::xml::Element, ImportError> {
    if bytes.len() > MAX_IMPORT_SIZE {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: format!("larger than {MAX_IMPORT_SIZE} bytes"),
        });
    }
    if contains(bytes, b"<!DOCTYPE") || contains(bytes, b"<!ENTITY") {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: "the file declares a DTD (<!DOCTYPE or <!ENTITY): Baton never reads DTDs, \
                     which can expand entities or fetch external files (XXE); none of \
                     mRemoteNG, RDCMan or Remote Desktop Manager writes one, so this file \
                     was altered"
                .to_owned(),
        });
    }
    crate::protocol::xml::Element::parse(bytes).map_err(|e| ImportError::Malformed {
        origin: origin.to_owned(),
        reason: e.to_string(),
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
