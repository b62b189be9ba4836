//! The profile editor: every connection setting of one group or computer of
//! the profile file, each with its EFFECTIVE value and where that comes from
//! ("set here", "inherited from group Lab", "PowerShell default"), a way to
//! override it here and to clear the override again.
//!
//! Values are checked before anything is written (a bad port, a bad
//! connection URI, an IdleTimeout out of range each say what is wrong). Save
//! hands the node's new settings to a background thread that re-reads the
//! profile file, changes only this node and writes it atomically through
//! [`ProfileStore::update`]; the UI thread never waits for the disk.
//! A password typed for a credential goes to the OS keyring through the
//! app's [`KeyringWriter`]; the profile keeps only the user name and the
//! keyring entry's id.

use std::collections::HashSet;
use std::sync::mpsc;

use egui::{Id, RichText, Ui};
use zeroize::Zeroizing;

use super::state::NodeKey;
use crate::model::Credential;
use crate::model::profile::{
    AuthMechanism, ConnectionSettings, CredentialRef, EffectiveSettings, OutputBufferingMode,
    ProfileId, ProfileTree, ProxyAccessType, SettingSource,
};
use crate::store::profiles::{ProfileStore, StoreError};

/// Writes a password to the OS keyring under the given entry id. It must not
/// block the UI: hand the work to another thread.
pub type KeyringWriter = Box<dyn Fn(String, Credential)>;

/// The profile file and the tree last read from or written to it.
pub struct Profiles {
    store: ProfileStore,
    tree: ProfileTree,
    pending: Option<mpsc::Receiver<JobResult>>,
    /// The node ids before the import in flight (to tell what it added).
    import_before: Option<HashSet<ProfileId>>,
    /// Imported settings that lower security, waiting for the user to keep
    /// them or make them safe.
    lowered: Option<LoweredByImport>,
}

/// What an import brought in that lowers security.
#[derive(Clone, Debug)]
pub struct LoweredByImport {
    /// The nodes the import added (only these are changed to make it safe).
    added: HashSet<ProfileId>,
    /// The computers, each with what lowers its security.
    pub computers: Vec<crate::store::import::Lowered>,
}

/// What a background job on the profile file ends with: the tree as saved
/// and what an import reported, or why it failed.
type JobResult = Result<(ProfileTree, Vec<String>), String>;

impl Profiles {
    /// The profiles of `store`, whose content is `tree` (already loaded).
    pub fn new(store: ProfileStore, tree: ProfileTree) -> Self {
        Profiles {
            store,
            tree,
            pending: None,
            import_before: None,
            lowered: None,
        }
    }

    /// The tree as last loaded or saved.
    pub fn tree(&self) -> &ProfileTree {
        &self.tree
    }

    /// True while a save runs.
    pub fn saving(&self) -> bool {
        self.pending.is_some()
    }

    /// The group or computer a tree row shows: a computer by its name, a
    /// group by its path (`Datacenter/Web`; `Computers` is the root's own
    /// computers).
    pub fn locate(&self, key: &NodeKey) -> Option<ProfileId> {
        match key {
            NodeKey::Computer(name) => self.tree.find_by_name(name).first().map(|e| e.computer.id),
            NodeKey::Group(path) => {
                let mut cur = &self.tree.root;
                for part in path.split('/').filter(|p| !p.is_empty()) {
                    match cur.groups.iter().find(|g| g.name == part) {
                        Some(g) => cur = g,
                        None if path == "Computers" => return Some(self.tree.root.id),
                        None => return None,
                    }
                }
                Some(cur.id)
            }
            NodeKey::Session { .. } => None,
        }
    }

    /// Starts writing `edit` to the file in the background.
    fn start_save(&mut self, edit: NodeEdit) {
        self.start(move |store| {
            store
                .update(|tree| edit.apply(tree))
                .map(|t| (t, Vec::new()))
                .map_err(|e| e.to_string())
        });
    }

    /// Starts adding, renaming or removing a node in the background.
    pub fn start_tree_edit(&mut self, edit: super::profile_nodes::TreeEdit) {
        self.start(move |store| {
            let mut line = String::new();
            let tree = store
                .update(|tree| {
                    line = edit.apply(tree).map_err(|message| StoreError::Invalid {
                        origin: store.path().display().to_string(),
                        message,
                    })?;
                    Ok(())
                })
                .map_err(|e| match e {
                    StoreError::Invalid { message, .. } => message,
                    other => other.to_string(),
                })?;
            Ok((tree, vec![line]))
        });
    }

    /// The profile file.
    pub fn path(&self) -> &std::path::Path {
        self.store.path()
    }

    /// Imported settings that lower security, until the user answers
    /// ([`Profiles::keep_lowered`] or [`Profiles::make_imported_safe`]).
    pub fn lowered_by_import(&self) -> Option<&LoweredByImport> {
        self.lowered.as_ref()
    }

    /// The user keeps the imported settings that lower security (logged).
    pub fn keep_lowered(&mut self) {
        if let Some(l) = self.lowered.take() {
            for c in &l.computers {
                tracing::warn!(
                    "kept imported settings that lower security: {}: {}",
                    c.path,
                    c.settings.join(", ")
                );
            }
        }
    }

    /// Clears, in the background, the settings that lower security on the
    /// nodes the last import added (the user's own nodes stay as they are).
    pub fn make_imported_safe(&mut self) {
        let Some(l) = self.lowered.take() else {
            return;
        };
        self.start(move |store| {
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = crate::store::import::make_imported_safe(tree, &l.added);
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        });
    }

    /// Starts importing the file `path` into the group `node` in the background.
    fn start_import(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.import_before = Some(self.tree.node_ids());
        self.start(move |store| {
            let bytes = crate::store::import::read_import_file(&path)?;
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = crate::store::import::import_into(
                        tree,
                        Some(node),
                        &path,
                        &bytes,
                        None,
                        "Imported",
                    )
                    .map_err(|message| StoreError::Invalid {
                        origin: path.display().to_string(),
                        message,
                    })?;
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        });
    }

    /// Starts writing the group `node` (with the settings it inherits) as a
    /// Baton profile file at `path`, atomically; the root exports the whole
    /// tree. No secret is in it: profiles only name keyring entries.
    fn start_export(&mut self, node: ProfileId, path: std::path::PathBuf) {
        self.start(move |store| {
            let tree = store.load().map_err(|e| e.to_string())?.tree;
            let text =
                crate::store::profiles::export(&tree, Some(node)).map_err(|e| e.to_string())?;
            crate::store::profiles::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok((
                tree,
                vec![format!(
                    "Exported to {} ({} bytes, no passwords)",
                    path.display(),
                    text.len()
                )],
            ))
        });
    }

    /// Runs `job` on the profile file on a background thread.
    fn start<F>(&mut self, job: F)
    where
        F: FnOnce(&ProfileStore) -> JobResult + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let store = self.store.clone();
        // Logs of the save go where this thread's logs go.
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let spawned = std::thread::Builder::new()
            .name("baton-profile-save".into())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let _ = tx.send(job(&store));
                });
            });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => {
                let (tx, rx) = mpsc::channel();
                let _ = tx.send(Err(format!("the save could not start: {e}")));
                self.pending = Some(rx);
            }
        }
    }

    /// The result of the save or import in flight, once it has finished:
    /// what an import reported, line by line.
    pub fn poll(&mut self) -> Option<Result<Vec<String>, String>> {
        let rx = self.pending.as_ref()?;
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => return None,
            Err(mpsc::TryRecvError::Disconnected) => Err("the save stopped unexpectedly".into()),
        };
        self.pending = None;
        // Logged here, on the UI thread, with the UI's log context.
        match &result {
            Ok(_) => tracing::info!(path = %self.store.path().display(), "profile saved"),
            Err(e) => tracing::warn!(path = %self.store.path().display(), "profile not saved: {e}"),
        }
        let before = self.import_before.take();
        Some(result.map(|(tree, lines)| {
            if let Some(before) = before {
                let added: HashSet<ProfileId> =
                    tree.node_ids().difference(&before).copied().collect();
                let computers = crate::store::import::lowered_by_import(&tree, &added);
                if !computers.is_empty() {
                    self.lowered = Some(LoweredByImport { added, computers });
                }
            }
            self.tree = tree;
            lines
        }))
    }
}

/// One node's new settings and description.
struct NodeEdit {
    node: ProfileId,
    settings: ConnectionSettings,
    description: Option<String>,
}

impl NodeEdit {
    fn apply(&self, tree: &mut ProfileTree) -> Result<(), StoreError> {
        if let Some(c) = tree.root.find_computer_mut(self.node) {
            c.settings = self.settings.clone();
            c.description = self.description.clone();
            return Ok(());
        }
        let g = tree
            .root
            .find_group_mut(self.node)
            .ok_or(StoreError::NotFound(self.node))?;
        g.settings = self.settings.clone();
        g.description = self.description.clone();
        Ok(())
    }
}

/// How a setting is edited.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    Bool,
    Choice(&'static [&'static str]),
    Credential,
}

/// Reads and writes one setting of [`ConnectionSettings`] as text.
struct FieldDef {
    /// The PowerShell name, also the row's label.
    name: &'static str,
    kind: Kind,
    hint: &'static str,
    get: fn(&ConnectionSettings) -> Option<String>,
    set: fn(&mut ConnectionSettings, &str) -> Result<(), String>,
    clear: fn(&mut ConnectionSettings),
}

const AUTH: &[&str] = &[
    "Default",
    "Basic",
    "Negotiate",
    "NegotiateWithImplicitCredential",
    "Kerberos",
    "Credssp",
    "Digest",
];
const PROXY_AUTH: &[&str] = &["Basic", "Digest", "Negotiate"];
const BUFFERING: &[&str] = &["None", "Block", "Drop"];
const PROXY_ACCESS: &[&str] = &[
    "None",
    "IEConfig",
    "WinHttpConfig",
    "AutoDetect",
    "NoProxyServer",
];

/// PowerShell's largest timeout or size (an Int32).
const INT32_MAX: u64 = 2_147_483_647;
/// The shortest IdleTimeout PowerShell accepts (ms).
const MIN_IDLE_TIMEOUT_MS: i64 = 60_000;

fn number(name: &str, text: &str, max: u64) -> Result<u64, String> {
    let t = text.trim();
    let n: u64 = t
        .parse()
        .map_err(|_| format!("{name} must be a whole number, not {t:?}"))?;
    if n > max {
        return Err(format!("{name} must be at most {max}, not {n}"));
    }
    Ok(n)
}

fn port(text: &str) -> Result<u16, String> {
    let t = text.trim();
    match t.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(u16::try_from(p).unwrap_or(u16::MAX)),
        Ok(p) => Err(format!("Port must be from 1 to 65535, not {p}")),
        Err(_) => Err(format!("Port must be a number from 1 to 65535, not {t:?}")),
    }
}

fn idle_timeout(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let n: i64 = t.parse().map_err(|_| {
        format!("IdleTimeout must be a number of milliseconds (or -1 for the server's default), not {t:?}")
    })?;
    let max = i64::try_from(INT32_MAX).unwrap_or(i64::MAX);
    if n == -1 || (MIN_IDLE_TIMEOUT_MS..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "IdleTimeout must be -1 (the server's default) or from {MIN_IDLE_TIMEOUT_MS} to {max} ms, not {n}"
        ))
    }
}

/// Checks a host name or address (ComputerName).
pub(super) fn check_host(text: &str) -> Result<String, String> {
    host(text)
}

fn host(text: &str) -> Result<String, String> {
    crate::model::connection::check_host(text)
        .map_err(|why| format!("ComputerName {why} (use ConnectionUri for a URL)"))
}

/// Checks an `http(s)://host[:port][/path]` URI.
fn connection_uri(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bad = |why: &str| format!("ConnectionUri {t:?} is not valid: {why}");
    let (scheme, rest) = t
        .split_once("://")
        .ok_or_else(|| bad("it must start with http:// or https://"))?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad("the scheme must be http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("user names do not belong in the URI (use Credential)"));
    }
    let (h, p) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address needs its closing ]"))?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if h.is_empty() {
        return Err(bad("no host"));
    }
    if !h
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(bad("the host has characters a host name cannot have"));
    }
    if let Some(p) = p {
        port(p).map_err(|e| bad(&e))?;
    }
    if t.chars().any(char::is_whitespace) {
        return Err(bad("it contains spaces"));
    }
    Ok(t.to_owned())
}

fn text(name: &str, t: &str) -> Result<String, String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(format!(
            "{name} cannot be empty (clear the override to inherit)"
        ));
    }
    Ok(t.to_owned())
}

fn culture(name: &str, t: &str) -> Result<String, String> {
    let t = t.trim();
    if t.is_empty() || t.len() > 85 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "{name} must be a culture name such as en-US, not {t:?}"
        ));
    }
    Ok(t.to_owned())
}

fn thumbprint(t: &str) -> Result<String, String> {
    crate::model::certificate::normalize_thumbprint(t).ok_or_else(|| {
        format!(
            "CertificateThumbprint must be 40 hexadecimal digits (a SHA-1 thumbprint), not {t:?}"
        )
    })
}

fn boolean(name: &str, t: &str) -> Result<bool, String> {
    match t {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{name} must be true or false, not {other:?}")),
    }
}

fn choice<T>(name: &str, t: &str, parse: fn(&str) -> Option<T>) -> Result<T, String> {
    parse(t).ok_or_else(|| format!("{name}: unknown value {t:?}"))
}

fn proxy_access(s: &str) -> Option<ProxyAccessType> {
    [
        ProxyAccessType::None,
        ProxyAccessType::IEConfig,
        ProxyAccessType::WinHttpConfig,
        ProxyAccessType::AutoDetect,
        ProxyAccessType::NoProxyServer,
    ]
    .into_iter()
    .find(|p| p.as_str().eq_ignore_ascii_case(s))
}

macro_rules! field {
    ($field:ident, $name:literal, $kind:expr, $hint:literal, |$s:ident| $get:expr, |$t:ident| $parse:expr) => {
        FieldDef {
            name: $name,
            kind: $kind,
            hint: $hint,
            get: |$s: &ConnectionSettings| $s.$field.as_ref().map($get),
            set: |s: &mut ConnectionSettings, $t: &str| {
                s.$field = Some($parse?);
                Ok(())
            },
            clear: |s: &mut ConnectionSettings| s.$field = None,
        }
    };
}

fn to_s<T: ToString>(v: &T) -> String {
    v.to_string()
}

/// Every setting of the profile model, in the order of `ConnectionSettings`.
static FIELDS: &[FieldDef] = &[
    field!(
        host,
        "ComputerName",
        Kind::Text,
        "host name or address",
        |s| String::clone,
        |t| host(t)
    ),
    field!(port, "Port", Kind::Number, "1-65535", |s| to_s, |t| port(t)),
    field!(use_ssl, "UseSSL", Kind::Bool, "", |s| to_s, |t| boolean(
        "UseSSL", t
    )),
    field!(
        application_name,
        "ApplicationName",
        Kind::Text,
        "wsman",
        |s| String::clone,
        |t| text("ApplicationName", t)
    ),
    field!(
        configuration_name,
        "ConfigurationName",
        Kind::Text,
        "Microsoft.PowerShell",
        |s| String::clone,
        |t| text("ConfigurationName", t)
    ),
    field!(
        connection_uri,
        "ConnectionUri",
        Kind::Text,
        "https://host:5986/wsman",
        |s| String::clone,
        |t| connection_uri(t)
    ),
    field!(
        authentication,
        "Authentication",
        Kind::Choice(AUTH),
        "",
        |s| |a: &AuthMechanism| a.as_str().to_owned(),
        |t| choice("Authentication", t, AuthMechanism::parse)
    ),
    field!(
        certificate_thumbprint,
        "CertificateThumbprint",
        Kind::Text,
        "40 hex digits",
        |s| String::clone,
        |t| thumbprint(t)
    ),
    FieldDef {
        name: "Credential",
        kind: Kind::Credential,
        hint: "DOMAIN\\user",
        get: |s| s.credential.as_ref().map(|c| c.user.clone()),
        set: |_, _| Ok(()),
        clear: |s| s.credential = None,
    },
    field!(
        idle_timeout_ms,
        "IdleTimeout",
        Kind::Number,
        "ms, or -1",
        |s| to_s,
        |t| idle_timeout(t)
    ),
    field!(
        output_buffering_mode,
        "OutputBufferingMode",
        Kind::Choice(BUFFERING),
        "",
        |s| |m: &OutputBufferingMode| m.as_str().to_owned(),
        |t| choice("OutputBufferingMode", t, OutputBufferingMode::parse)
    ),
    field!(
        open_timeout_ms,
        "OpenTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("OpenTimeout", t, INT32_MAX)
    ),
    field!(
        operation_timeout_ms,
        "OperationTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("OperationTimeout", t, INT32_MAX)
    ),
    field!(
        cancel_timeout_ms,
        "CancelTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("CancelTimeout", t, INT32_MAX)
    ),
    field!(
        allow_redirection,
        "AllowRedirection",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("AllowRedirection", t)
    ),
    field!(
        maximum_connection_redirection_count,
        "MaximumConnectionRedirectionCount",
        Kind::Number,
        "",
        |s| to_s,
        |t| number("MaximumConnectionRedirectionCount", t, INT32_MAX)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    ),
    field!(
        maximum_received_data_size_per_command,
        "MaximumReceivedDataSizePerCommand",
        Kind::Number,
        "bytes",
        |s| to_s,
        |t| number("MaximumReceivedDataSizePerCommand", t, INT32_MAX)
    ),
    field!(
        maximum_received_object_size,
        "MaximumReceivedObjectSize",
        Kind::Number,
        "bytes",
        |s| to_s,
        |t| number("MaximumReceivedObjectSize", t, INT32_MAX)
    ),
    field!(
        no_compression,
        "NoCompression",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoCompression", t)
    ),
    field!(
        no_machine_profile,
        "NoMachineProfile",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoMachineProfile", t)
    ),
    field!(
        use_utf16,
        "UseUTF16",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("UseUTF16", t)
    ),
    field!(
        culture,
        "Culture",
        Kind::Text,
        "en-US",
        |s| String::clone,
        |t| culture("Culture", t)
    ),
    field!(
        ui_culture,
        "UICulture",
        Kind::Text,
        "en-US",
        |s| String::clone,
        |t| culture("UICulture", t)
    ),
    field!(
        include_port_in_spn,
        "IncludePortInSPN",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("IncludePortInSPN", t)
    ),
    field!(
        proxy_access_type,
        "ProxyAccessType",
        Kind::Choice(PROXY_ACCESS),
        "",
        |s| |p: &ProxyAccessType| p.as_str().to_owned(),
        |t| choice("ProxyAccessType", t, proxy_access)
    ),
    field!(
        proxy_authentication,
        "ProxyAuthentication",
        Kind::Choice(PROXY_AUTH),
        "",
        |s| |a: &AuthMechanism| a.as_str().to_owned(),
        |t| choice("ProxyAuthentication", t, AuthMechanism::parse)
    ),
    FieldDef {
        name: "ProxyCredential",
        kind: Kind::Credential,
        hint: "DOMAIN\\user",
        get: |s| s.proxy_credential.as_ref().map(|c| c.user.clone()),
        set: |_, _| Ok(()),
        clear: |s| s.proxy_credential = None,
    },
    field!(
        skip_ca_check,
        "SkipCACheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipCACheck", t)
    ),
    field!(
        skip_cn_check,
        "SkipCNCheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipCNCheck", t)
    ),
    field!(
        skip_revocation_check,
        "SkipRevocationCheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipRevocationCheck", t)
    ),
    field!(
        no_encryption,
        "NoEncryption",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoEncryption", t)
    ),
    field!(
        allow_unencrypted,
        "AllowUnencrypted",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("AllowUnencrypted", t)
    ),
    field!(
        throttle_limit,
        "ThrottleLimit",
        Kind::Number,
        "0 = 32",
        |s| to_s,
        |t| number("ThrottleLimit", t, INT32_MAX).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    ),
];

/// What "Password" means for a credential row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PasswordChoice {
    /// Ask when connecting (no keyring entry).
    Ask,
    /// An existing keyring entry (its id).
    Saved(String),
    /// Typed now: saved in the keyring on Save.
    New,
}

/// One row's edit state.
struct Row {
    def: &'static FieldDef,
    overridden: bool,
    text: String,
    secret: PasswordChoice,
    password: Zeroizing<String>,
}

/// The state of the last save.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Idle,
    Saving,
    Saved(String),
    Failed(String),
}

/// What the editor wants after a frame.
#[must_use]
pub enum EditorOutcome {
    /// Stay open.
    Open,
    /// Closed.
    Close,
}

/// The editor of one group's or computer's settings.
pub struct ProfileEditor {
    node: ProfileId,
    title: String,
    description: String,
    rows: Vec<Row>,
    /// The tree the effective values are computed from.
    base: ProfileTree,
    preview: Option<EffectiveSettings>,
    errors: Vec<String>,
    status: Status,
    is_group: bool,
    import_path: String,
    export_path: String,
    /// A native file dialog in flight: which field it fills, and its answer.
    browsing: Option<(Browse, mpsc::Receiver<Option<std::path::PathBuf>>)>,
}

impl ProfileEditor {
    /// Opens the editor on the group or computer `node` of `tree`.
    pub fn open(tree: &ProfileTree, node: ProfileId) -> Option<Self> {
        let (title, settings, description) = if let Some(c) = tree.computer(node) {
            (
                format!("Computer {}", c.name),
                c.settings.clone(),
                c.description.clone(),
            )
        } else {
            let g = tree.group(node)?;
            let name = if g.id == tree.root.id {
                "(all profiles)".to_owned()
            } else {
                g.name.clone()
            };
            (
                format!("Group {name}"),
                g.settings.clone(),
                g.description.clone(),
            )
        };
        let rows = FIELDS
            .iter()
            .map(|def| {
                let cred = match def.name {
                    "Credential" => settings.credential.as_ref(),
                    "ProxyCredential" => settings.proxy_credential.as_ref(),
                    _ => None,
                };
                let value = (def.get)(&settings);
                Row {
                    def,
                    overridden: value.is_some(),
                    text: value.unwrap_or_default(),
                    secret: match cred.and_then(|c| c.entry.clone()) {
                        Some(e) => PasswordChoice::Saved(e),
                        None => PasswordChoice::Ask,
                    },
                    password: Zeroizing::new(String::new()),
                }
            })
            .collect();
        let mut ed = ProfileEditor {
            node,
            title,
            description: description.unwrap_or_default(),
            rows,
            base: tree.clone(),
            preview: None,
            errors: Vec::new(),
            status: Status::Idle,
            is_group: tree.computer(node).is_none(),
            import_path: String::new(),
            export_path: String::new(),
            browsing: None,
        };
        ed.refresh();
        Some(ed)
    }

    /// Builds the node's settings from the rows: the settings and every
    /// validation error. New passwords are returned with their rows' users.
    fn collect(&self) -> (ConnectionSettings, Vec<String>) {
        let mut s = self.original_settings();
        let mut errors = Vec::new();
        for row in &self.rows {
            (row.def.clear)(&mut s);
            if !row.overridden {
                continue;
            }
            if let Kind::Credential = row.def.kind {
                let user = row.text.trim();
                if user.is_empty() {
                    errors.push(format!(
                        "{}: give a user name (DOMAIN\\user or user@domain), or clear the override",
                        row.def.name
                    ));
                    continue;
                }
                if row.secret == PasswordChoice::New && row.password.is_empty() {
                    errors.push(format!(
                        "{}: type the password to save in the keyring, or choose to be asked",
                        row.def.name
                    ));
                }
                let entry = match &row.secret {
                    PasswordChoice::Saved(e) => Some(e.clone()),
                    // A placeholder until Save creates the keyring entry.
                    PasswordChoice::New | PasswordChoice::Ask => None,
                };
                let r = CredentialRef {
                    user: user.to_owned(),
                    entry,
                };
                if row.def.name == "Credential" {
                    s.credential = Some(r);
                } else {
                    s.proxy_credential = Some(r);
                }
                continue;
            }
            if let Err(e) = (row.def.set)(&mut s, &row.text) {
                errors.push(e);
            }
        }
        (s, errors)
    }

    fn original_settings(&self) -> ConnectionSettings {
        self.base
            .computer(self.node)
            .map(|c| c.settings.clone())
            .or_else(|| self.base.group(self.node).map(|g| g.settings.clone()))
            .unwrap_or_default()
    }

    /// Recomputes the effective values and the errors after an edit.
    fn refresh(&mut self) {
        let (settings, errors) = self.collect();
        self.errors = errors;
        let mut tree = self.base.clone();
        if let Some(c) = tree.root.find_computer_mut(self.node) {
            c.settings = settings;
        } else if let Some(g) = tree.root.find_group_mut(self.node) {
            g.settings = settings;
        }
        self.preview = tree.effective(self.node);
    }

    /// Where a value comes from, in words.
    fn source_text(&self, source: &SettingSource) -> String {
        match source {
            SettingSource::Node { id, .. } if *id == self.node => "set here".to_owned(),
            SettingSource::Node { path, .. } if path.is_empty() => {
                "inherited from the profile root".to_owned()
            }
            SettingSource::Node { path, .. } => format!("inherited from group {path}"),
            SettingSource::Default => "PowerShell default".to_owned(),
            SettingSource::Derived(how) => format!("derived: {how}"),
        }
    }

    /// Lays out the editor for one frame.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        profiles: &mut Profiles,
        saved_credentials: &[(String, String)],
        keyring: Option<&KeyringWriter>,
    ) -> EditorOutcome {
        let mut outcome = EditorOutcome::Open;
        let id = Id::unique("baton_profile_editor");
        // Anchored at the top (not centred): rows do not move when the
        // editor's height changes as overrides open and close.
        let area = egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, [0.0, 24.0]);
        let modal = egui::Modal::new(id).area(area).show(ctx, |ui| {
            // A fixed width: the text does not re-wrap as rows change.
            ui.set_width(880.0);
            outcome = self.ui(ui, profiles, saved_credentials, keyring);
        });
        if profiles.saving() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        match outcome {
            EditorOutcome::Open if modal.should_close() => EditorOutcome::Close,
            other => other,
        }
    }

    /// Reports the end of a save or import started here.
    pub fn saved(&mut self, result: Result<Vec<String>, String>, profiles: &Profiles) {
        match result {
            Ok(lines) => {
                self.base = profiles.tree().clone();
                for row in &mut self.rows {
                    row.password = Zeroizing::new(String::new());
                    if let Kind::Credential = row.def.kind {
                        let s = self.base.computer(self.node).map_or_else(
                            || self.base.group(self.node).map(|g| &g.settings),
                            |c| Some(&c.settings),
                        );
                        let entry = s.and_then(|s| match row.def.name {
                            "Credential" => s.credential.as_ref(),
                            _ => s.proxy_credential.as_ref(),
                        });
                        row.secret = match entry.and_then(|c| c.entry.clone()) {
                            Some(e) => PasswordChoice::Saved(e),
                            None => PasswordChoice::Ask,
                        };
                    }
                }
                // An export leaves the profile file as it was: say only where
                // the export went.
                let exported = lines.first().is_some_and(|l| l.starts_with("Exported to "));
                let mut msg = if exported {
                    String::new()
                } else {
                    format!("Saved to {}", profiles.store.path().display())
                };
                for l in lines {
                    if msg.is_empty() {
                        msg.push_str(&l);
                        continue;
                    }
                    msg.push('\n');
                    msg.push_str(&l);
                }
                self.status = Status::Saved(msg);
                self.refresh();
            }
            Err(e) => self.status = Status::Failed(e),
        }
    }

    fn ui(
        &mut self,
        ui: &mut Ui,
        profiles: &mut Profiles,
        saved_credentials: &[(String, String)],
        keyring: Option<&KeyringWriter>,
    ) -> EditorOutcome {
        ui.heading(format!("Edit profile: {}", self.title));
        ui.label(
            "Each setting shows the value a connection uses and where it comes from. Override \
             a setting to set it here; clear the override to inherit it again from the groups \
             above (or PowerShell's default).",
        );
        let mut changed = false;
        ui.horizontal(|ui| {
            let l = ui.label("Description");
            changed |= ui
                .add(egui::TextEdit::singleline(&mut self.description).desired_width(400.0))
                .labelled_by(l.id)
                .changed();
        });
        ui.separator();
        let preview = self.preview.as_ref().map(EffectiveSettings::rows);
        egui::ScrollArea::vertical()
            .id_salt("profile_editor_rows")
            .max_height(480.0)
            .show(ui, |ui| {
                for i in 0..self.rows.len() {
                    let eff = preview
                        .as_ref()
                        .and_then(|p| p.iter().find(|r| r.name == self.rows[i].def.name))
                        .map(|r| (r.value.clone(), self.source_text(&r.source)));
                    // One row per setting, laid out on its own (no grid
                    // sizing from the previous frame).
                    ui.horizontal(|ui| {
                        changed |= self.row_ui(ui, i, eff, saved_credentials);
                    });
                }
            });
        if changed {
            self.status = Status::Idle;
            self.refresh();
        }
        ui.separator();
        for e in &self.errors {
            super::dialogs::error_text(ui, e);
        }
        match &self.status {
            Status::Idle => {}
            Status::Saving => {
                ui.label("Saving…");
            }
            Status::Saved(msg) => {
                ui.label(msg);
            }
            Status::Failed(e) => super::dialogs::error_text(ui, &format!("Not saved: {e}")),
        }
        if self.is_group {
            ui.horizontal(|ui| {
                let l = ui.label("Import file");
                ui.add(
                    egui::TextEdit::singleline(&mut self.import_path)
                        .hint_text(".rdm, .rdg, confCons.xml, RoyalJSON, Baton .toml or a host list")
                        .desired_width(420.0),
                )
                .labelled_by(l.id);
                let can = !self.import_path.trim().is_empty() && !profiles.saving();
                if ui
                    .add_enabled(can, egui::Button::new("Import into this group"))
                    .on_hover_text(
                        "Adds the file's computers and groups here; saved passwords are never imported",
                    )
                    .clicked()
                {
                    profiles.start_import(self.node, self.import_path.trim().into());
                    self.status = Status::Saving;
                }
                if ui
                    .add_enabled(self.browsing.is_none(), egui::Button::new("Choose file to import…"))
                    .clicked()
                {
                    self.browsing = Some((Browse::Import, open_file_dialog(Browse::Import)));
                }
            });
            ui.horizontal(|ui| {
                let l = ui.label("Export file");
                ui.add(
                    egui::TextEdit::singleline(&mut self.export_path)
                        .hint_text("a Baton .toml file: this group and what it inherits")
                        .desired_width(420.0),
                )
                .labelled_by(l.id);
                let can = !self.export_path.trim().is_empty() && !profiles.saving();
                if ui
                    .add_enabled(can, egui::Button::new("Export this group"))
                    .on_hover_text(
                        "Writes this group's computers and settings; passwords stay in the keyring",
                    )
                    .clicked()
                {
                    profiles.start_export(self.node, self.export_path.trim().into());
                    self.status = Status::Saving;
                }
                if ui
                    .add_enabled(
                        self.browsing.is_none(),
                        egui::Button::new("Choose export file…"),
                    )
                    .clicked()
                {
                    self.browsing = Some((Browse::Export, open_file_dialog(Browse::Export)));
                }
            });
            if let Some((which, rx)) = &self.browsing {
                match rx.try_recv() {
                    Ok(picked) => {
                        if let Some(path) = picked {
                            let text = path.display().to_string();
                            match which {
                                Browse::Import => self.import_path = text,
                                Browse::Export => self.export_path = text,
                            }
                        }
                        self.browsing = None;
                    }
                    Err(mpsc::TryRecvError::Empty) => {
                        ui.label("Waiting for the file dialog…");
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(200));
                    }
                    Err(mpsc::TryRecvError::Disconnected) => self.browsing = None,
                }
            }
        }
        let mut outcome = EditorOutcome::Open;
        ui.horizontal(|ui| {
            let can_save = self.errors.is_empty() && !profiles.saving();
            let save = ui
                .add_enabled(can_save, egui::Button::new("Save"))
                .on_hover_text("Write this node's settings to the profile file")
                .on_disabled_hover_text("Fix the errors above first");
            if save.clicked() {
                self.save(profiles, keyring);
            }
            if ui.button("Close").clicked() {
                outcome = EditorOutcome::Close;
            }
        });
        outcome
    }

    /// One row: name, effective value and source, override controls.
    fn row_ui(
        &mut self,
        ui: &mut Ui,
        i: usize,
        eff: Option<(String, String)>,
        saved_credentials: &[(String, String)],
    ) -> bool {
        let mut changed = false;
        let (value, source) = eff.unwrap_or_default();
        let Some(row) = self.rows.get_mut(i) else {
            return false;
        };
        let name = row.def.name;
        let label = ui
            .allocate_ui_with_layout(
                egui::vec2(300.0, ui.spacing().interact_size.y),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_width(300.0);
                    ui.label(RichText::new(name).strong())
                },
            )
            .inner;
        if row.overridden {
            let stacked = matches!(row.def.kind, Kind::Credential);
            let cell = |ui: &mut Ui| {
                let c = edit_value(ui, row, label.id, saved_credentials);
                ui.label(RichText::new("set here").small().weak());
                c
            };
            changed |= if stacked {
                ui.vertical(cell).inner
            } else {
                ui.horizontal(cell).inner
            };
            let clear = ui
                .button("Clear override")
                .accessible_name(format!("Clear {name} override"))
                .on_hover_text("Inherit this setting again");
            if clear.clicked() {
                row.overridden = false;
                row.password = Zeroizing::new(String::new());
                changed = true;
            }
        } else {
            let shown = if value.is_empty() {
                "(none)".to_owned()
            } else {
                value.clone()
            };
            ui.label(format!("{shown} · {source}"));
            let over = ui
                .button("Override")
                .accessible_name(format!("Override {name}"))
                .on_hover_text("Set this setting here, starting from the value in effect");
            if over.clicked() {
                row.overridden = true;
                row.text = match row.def.kind {
                    // The user name, without "(saved)"/"(ask)".
                    Kind::Credential => value
                        .rsplit_once(" (")
                        .map_or(value.clone(), |(u, _)| u.to_owned()),
                    _ => value,
                };
                if let Kind::Credential = row.def.kind {
                    let inherited = self.preview.as_ref().and_then(|p| match name {
                        "Credential" => p.credential.value.as_ref(),
                        _ => p.proxy_credential.value.as_ref(),
                    });
                    row.secret = match inherited.and_then(|c| c.entry.clone()) {
                        Some(e) => PasswordChoice::Saved(e),
                        None => PasswordChoice::Ask,
                    };
                }
                if let Kind::Choice(options) = row.def.kind
                    && !options.contains(&row.text.as_str())
                {
                    row.text = options.first().copied().unwrap_or_default().to_owned();
                }
                if let Kind::Bool = row.def.kind
                    && row.text != "true"
                {
                    row.text = "false".to_owned();
                }
                changed = true;
            }
        }
        changed
    }

    fn save(&mut self, profiles: &mut Profiles, keyring: Option<&KeyringWriter>) {
        let (mut settings, errors) = self.collect();
        if !errors.is_empty() {
            self.errors = errors;
            return;
        }
        // New passwords go to the keyring first; the profile names the entry.
        for row in &mut self.rows {
            if !(row.overridden && row.secret == PasswordChoice::New) {
                continue;
            }
            let Some(writer) = keyring else {
                self.status = Status::Failed(
                    "no keyring is available in this console: choose to be asked for the password"
                        .into(),
                );
                return;
            };
            let entry = crate::store::credentials::new_entry_id();
            let user = row.text.trim().to_owned();
            writer(
                entry.clone(),
                Credential::new(user.clone(), row.password.as_str()),
            );
            tracing::info!(user = %user, entry = %entry, "credential handed to the keyring");
            row.password = Zeroizing::new(String::new());
            row.secret = PasswordChoice::Saved(entry.clone());
            let r = Some(CredentialRef {
                user,
                entry: Some(entry),
            });
            if row.def.name == "Credential" {
                settings.credential = r;
            } else {
                settings.proxy_credential = r;
            }
        }
        let description = Some(self.description.trim().to_owned()).filter(|d| !d.is_empty());
        profiles.start_save(NodeEdit {
            node: self.node,
            settings,
            description,
        });
        self.status = Status::Saving;
    }
}

/// The editing widget of an overridden row.
fn edit_value(
    ui: &mut Ui,
    row: &mut Row,
    label: Id,
    saved_credentials: &[(String, String)],
) -> bool {
    let name = row.def.name;
    let mut changed = false;
    match row.def.kind {
        Kind::Text | Kind::Number => {
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut row.text)
                        .hint_text(row.def.hint)
                        .desired_width(320.0),
                )
                .labelled_by(label)
                .changed();
        }
        Kind::Bool => {
            let mut b = row.text == "true";
            if ui
                .checkbox(&mut b, "")
                .accessible_name(format!("{name} on"))
                .changed()
            {
                row.text = b.to_string();
                changed = true;
            }
        }
        Kind::Choice(options) => {
            egui::ComboBox::from_id_salt(("profile_choice", name))
                .selected_text(row.text.clone())
                .show_ui(ui, |ui| {
                    for o in options {
                        changed |= ui
                            .selectable_value(&mut row.text, (*o).to_owned(), *o)
                            .changed();
                    }
                });
        }
        Kind::Credential => {
            ui.horizontal(|ui| {
                ui.label("User");
                changed |= ui
                    .add(
                        egui::TextEdit::singleline(&mut row.text)
                            .hint_text(row.def.hint)
                            .desired_width(200.0),
                    )
                    .accessible_name(format!("{name} user"))
                    .changed();
            });
            ui.horizontal(|ui| {
                changed |= ui
                    .radio_value(&mut row.secret, PasswordChoice::Ask, "Ask when connecting")
                    .accessible_name(format!("{name}: ask when connecting"))
                    .changed();
                for (entry, user) in saved_credentials {
                    let r = ui
                        .radio(row.secret == PasswordChoice::Saved(entry.clone()), user)
                        .accessible_name(format!("{name}: saved credential {user}"));
                    if r.clicked() {
                        row.secret = PasswordChoice::Saved(entry.clone());
                        row.text = user.clone();
                        changed = true;
                    }
                }
                changed |= ui
                    .radio_value(&mut row.secret, PasswordChoice::New, "Save a password")
                    .accessible_name(format!("{name}: save a password in the keyring"))
                    .changed();
            });
            if let PasswordChoice::Saved(e) = &row.secret
                && !saved_credentials.iter().any(|(id, _)| id == e)
            {
                ui.label(RichText::new(format!("keyring entry {e}")).small().weak());
            }
            if row.secret == PasswordChoice::New {
                ui.horizontal(|ui| {
                    ui.label("Password");
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut *row.password)
                                .password(true)
                                .desired_width(200.0),
                        )
                        .accessible_name(format!("{name} password"))
                        .changed();
                });
            }
        }
    }
    changed
}

/// Which path field a native file dialog fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Browse {
    Import,
    Export,
}

/// Opens the platform's file dialog (rfd) without blocking the frame: the
/// dialog is created here, on the UI thread (macOS wants that), and its
/// answer is awaited on a helper thread. `None` arrives when the user
/// cancels or no dialog service is available (on Linux, the XDG desktop
/// portal); the path can always be typed instead.
fn open_file_dialog(which: Browse) -> mpsc::Receiver<Option<std::path::PathBuf>> {
    let (tx, rx) = mpsc::channel();
    let dialog = rfd::AsyncFileDialog::new();
    type Pending =
        std::pin::Pin<Box<dyn std::future::Future<Output = Option<rfd::FileHandle>> + Send>>;
    let pending: Pending = match which {
        Browse::Import => Box::pin(
            dialog
                .set_title("Import connections")
                .add_filter(
                    "Connection files",
                    &["rdm", "rdg", "xml", "json", "toml", "txt"],
                )
                .add_filter("All files", &["*"])
                .pick_file(),
        ),
        Browse::Export => Box::pin(
            dialog
                .set_title("Export profiles")
                .set_file_name("baton-profiles.toml")
                .add_filter("Baton profiles", &["toml"])
                .save_file(),
        ),
    };
    let spawned = std::thread::Builder::new()
        .name("baton-file-dialog".into())
        .spawn(move || {
            let picked = pollster::block_on(pending).map(|h| h.path().to_path_buf());
            let _ = tx.send(picked);
        });
    if spawned.is_err() {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(None);
        return rx;
    }
    rx
}

#[cfg(test)]
mod tests;
