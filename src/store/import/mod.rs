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

use std::path::Path;

use crate::model::profile::{Group, ProfileId, ProfileTree};
use crate::store::profiles::{MergeMode, import_baton, merge_into};

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

/// Reads a file to import, never more than [`MAX_IMPORT_SIZE`] bytes: the
/// limit is checked while reading, so a file that lies about its size (a
/// pipe, `/dev/zero`) is refused as soon as it passes the limit, before
/// memory runs out. One reader for the command line and the console.
pub fn read_import_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > MAX_IMPORT_SIZE {
        return Err(format!(
            "{} is larger than {MAX_IMPORT_SIZE} bytes, more than any profile export; nothing was imported",
            path.display()
        ));
    }
    Ok(bytes)
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

/// A file's text, whatever Windows tools saved it as: UTF-8 (with or
/// without its BOM), or UTF-16 — Windows PowerShell 5.1's `Out-File` and
/// `>` write UTF-16LE with a BOM, and some tools write it without one,
/// which shows as a zero in every other byte of plain ASCII text.
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    fn utf16(bytes: &[u8], little: bool) -> std::borrow::Cow<'static, str> {
        let units = bytes.chunks_exact(2).map(|p| {
            if little {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        std::borrow::Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    }
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ if bytes.len() >= 4 && bytes.len().is_multiple_of(2) => {
            // Without a BOM: ASCII text in UTF-16 has a zero in every other byte.
            let pairs = bytes.len() / 2;
            let zero_odd = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
            let zero_even = bytes.iter().step_by(2).filter(|b| **b == 0).count();
            if zero_odd * 10 >= pairs * 9 && zero_even == 0 {
                utf16(bytes, true)
            } else if zero_even * 10 >= pairs * 9 && zero_odd == 0 {
                utf16(bytes, false)
            } else {
                String::from_utf8_lossy(bytes)
            }
        }
        _ => String::from_utf8_lossy(bytes),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Guesses the format of a file to import from its extension, then its
/// content: `baton`, `mremoteng`, `rdcman`, `rdm`, `royaljson` or `hosts`.
pub fn detect_format(file: &Path, bytes: &[u8]) -> &'static str {
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "rdm" => return "rdm",
        "rdg" => return "rdcman",
        "toml" => return "baton",
        "json" => return "royaljson",
        _ => {}
    }
    let text = decode_text(bytes);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    // RDM entries are elements (<ConnectionType>), mRemoteNG's are attributes.
    if t.contains("<RDMExport")
        || t.contains("<ArrayOfConnection")
        || t.contains("<ConnectionType>")
    {
        "rdm"
    } else if t.contains("<mrng:Connections") || t.contains("<Connections") {
        "mremoteng"
    } else if t.contains("<RDCMan") {
        "rdcman"
    } else if t.starts_with('{') || t.starts_with('[') {
        "royaljson"
    } else if t.contains("schema_version") {
        "baton"
    } else {
        "hosts"
    }
}

/// Imports `bytes`, read from `file`, into the group `target` of `tree`
/// (`None`: the root). `format` is `baton`, `mremoteng`, `rdcman`, `rdm`,
/// `royaljson` or `hosts` (see [`detect_format`] when None); a foreign
/// import becomes one group named after the file's own name or
/// `group_name`. Returns what happened, line by line (skipped items,
/// passwords not transferred, warnings). On error `tree` is unchanged.
pub fn import_into(
    tree: &mut ProfileTree,
    target: Option<ProfileId>,
    file: &Path,
    bytes: &[u8],
    format: Option<&str>,
    group_name: &str,
) -> Result<Vec<String>, String> {
    let origin = file.display().to_string();
    let before = tree.node_ids();
    let text = decode_text(bytes);
    let format = format.map_or_else(
        || detect_format(file, bytes).to_owned(),
        str::to_ascii_lowercase,
    );
    let mut lines = Vec::new();
    let report: Option<ImportReport>;
    match format.as_str() {
        "baton" => {
            let snapshot = tree.clone();
            let r = import_baton(tree, target, &text, &origin, MergeMode::KeepExisting)
                .map_err(|e| e.to_string())?;
            if let Err(why) =
                crate::model::profile::check_group_depth(tree.root.depth().saturating_sub(1))
            {
                *tree = snapshot;
                return Err(format!("{origin}: {why}; nothing was imported"));
            }
            lines.push(format!(
                "{} group(s) and {} computer(s) added",
                r.added_groups, r.added_computers
            ));
            lines.extend(r.skipped.iter().map(|s| format!("skipped: {s}")));
            report = None;
        }
        other => {
            let imported = match other {
                "mremoteng" => mremoteng::import_mremoteng(bytes, &origin),
                "rdcman" => rdcman::import_rdcman(bytes, &origin),
                "rdm" => rdm::import_rdm(bytes, group_name, &origin),
                "royaljson" => royaljson::import_royal_json(bytes, group_name, &origin),
                "hosts" => hostlist::import_host_list(&text, group_name, &origin),
                _ => {
                    return Err(format!(
                        "unknown format {other:?}; use baton, mremoteng, rdcman, rdm, royaljson or hosts"
                    ));
                }
            }
            .map_err(|e| e.to_string())?;
            // Nested containers (an mRemoteNG or RDCMan file, up to the XML
            // depth limit) deeper than Baton keeps are refused whole.
            crate::model::profile::check_group_depth(imported.group.depth())
                .map_err(|why| format!("{origin}: {why}; nothing was imported"))?;
            // The import becomes one group of the tree (merged with a group of the same name).
            let mut group = imported.group;
            if group.name.trim().is_empty() {
                group.name = group_name.to_owned();
            }
            // Ids the file repeats (two connections with one Id), or that
            // the tree already uses, are made new: a profile file holds
            // each id once.
            crate::store::profiles::dedupe_ids(&mut group, &mut tree.node_ids());
            let mut outer = Group::new("");
            outer.groups.push(group);
            let snapshot = tree.clone();
            let r = merge_into(tree, target, &outer, MergeMode::KeepExisting)
                .map_err(|e| e.to_string())?;
            // Placed in the tree (under its own group, and under `target`),
            // the import must still fit the depth the profile file keeps.
            if let Err(why) =
                crate::model::profile::check_group_depth(tree.root.depth().saturating_sub(1))
            {
                *tree = snapshot;
                return Err(format!("{origin}: {why}; nothing was imported"));
            }
            lines.push(format!(
                "{} group(s) and {} computer(s) added",
                r.added_groups, r.added_computers
            ));
            lines.extend(r.skipped.iter().map(|s| format!("skipped: {s}")));
            report = Some(imported.report);
        }
    }
    if let Some(r) = report {
        lines.extend(
            r.skipped
                .iter()
                .map(|s| format!("skipped: {}: {}", s.item, s.reason)),
        );
        if !r.passwords_not_transferred.is_empty() {
            lines.push(format!(
                "passwords not transferred (add them with `baton credential add`): {}",
                r.passwords_not_transferred.join(", ")
            ));
        }
        lines.extend(r.warnings.iter().map(|w| format!("warning: {w}")));
    }
    // Settings that lower security came in with the file: say so, computer
    // by computer, so nobody sends a password in clear unknowingly.
    let added: std::collections::HashSet<ProfileId> =
        tree.node_ids().difference(&before).copied().collect();
    for l in lowered_by_import(tree, &added) {
        lines.push(format!(
            "lowers security: {}: {} (review it with `baton profile list` before connecting)",
            l.path,
            l.settings.join(", ")
        ));
    }
    Ok(lines)
}

/// An imported computer whose settings lower its security.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    pub id: ProfileId,
    /// `Group/Sub/Computer`.
    pub path: String,
    /// In words, as `ConnectionSpec::security_lowerings` says them.
    pub settings: Vec<&'static str>,
}

/// The computers among `added` (the ids an import added to `tree`) whose
/// effective settings lower security.
pub fn lowered_by_import(
    tree: &ProfileTree,
    added: &std::collections::HashSet<ProfileId>,
) -> Vec<Lowered> {
    let mut out = Vec::new();
    for e in tree.computers() {
        if !added.contains(&e.computer.id) {
            continue;
        }
        let Some(eff) = tree.effective(e.computer.id) else {
            continue;
        };
        let settings =
            crate::store::resolve::spec_from(&e.computer.name, &eff).security_lowerings();
        if !settings.is_empty() {
            let path = if e.group_path.is_empty() {
                e.computer.name.clone()
            } else {
                format!("{}/{}", e.group_path, e.computer.name)
            };
            out.push(Lowered {
                id: e.computer.id,
                path,
                settings,
            });
        }
    }
    out
}

/// Clears, on the nodes an import added (`added`), every setting that
/// lowers the security of a computer it added; the user's own groups are
/// left as they are. Returns one line per computer that changed.
pub fn make_imported_safe(
    tree: &mut ProfileTree,
    added: &std::collections::HashSet<ProfileId>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for l in lowered_by_import(tree, added) {
        let https = tree.effective(l.id).is_some_and(|eff| {
            let spec = crate::store::resolve::spec_from(&l.path, &eff);
            spec.url().to_ascii_lowercase().starts_with("https://")
        });
        let mut cleared = Vec::new();
        for id in tree.chain_ids(l.id) {
            if !added.contains(&id) {
                continue;
            }
            if let Some(s) = tree.settings_mut(id) {
                for name in s.clear_security_lowerings(!https) {
                    if !cleared.contains(&name) {
                        cleared.push(name);
                    }
                }
            }
        }
        if !cleared.is_empty() {
            lines.push(format!(
                "made safe: {}: {} cleared (PowerShell's defaults apply)",
                l.path,
                cleared.join(", ")
            ));
        }
    }
    lines
}
