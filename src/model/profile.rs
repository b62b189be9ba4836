//! Connection profiles: a tree of nested groups and computers, each node
//! carrying optional connection settings that its children inherit unless
//! they override them.
//!
//! The settings are those of PowerShell's `WSManConnectionInfo` and
//! `New-PSSessionOption`; every one is `Option<T>` at every node, `None`
//! meaning "inherit from the parent, or PowerShell's default at the root".
//! [`ProfileTree::effective`] resolves them and says, for each, where the
//! value came from, so the UI can show "5986 (from group Datacenter)".
//!
//! Plain data: no I/O. Secrets never appear here, only [`CredentialRef`]s
//! (a user name and the id of an OS-keyring entry).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::connection::{AuthMechanism, ProxyAccessType};
pub use super::session::OutputBufferingMode;

/// Stable identity of a group or computer (a UUID, written as text).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileId(pub uuid::Uuid);

impl ProfileId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        ProfileId(uuid::Uuid::new_v4())
    }

    /// Parses the hyphenated text form.
    pub fn parse(s: &str) -> Option<Self> {
        uuid::Uuid::parse_str(s.trim()).ok().map(ProfileId)
    }
}

impl Default for ProfileId {
    fn default() -> Self {
        Self::new_random()
    }
}

impl fmt::Debug for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProfileId({})", self.0)
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl Serialize for ProfileId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ProfileId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProfileId::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid id {s:?}: expected a uuid")))
    }
}

/// A reference to a saved credential: the user name (`DOMAIN\user`,
/// `user@realm` or `user`) and, when a secret is saved, the id of its
/// OS-keyring entry. Never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRef {
    /// The user name shown and sent.
    pub user: String,
    /// The keyring entry holding the secret; `None`: ask when connecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// Where an effective setting came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingSource {
    /// PowerShell's default (no node sets it).
    Default,
    /// Derived from other effective settings (e.g. the port from the scheme,
    /// the host from the display name); the text says how.
    Derived(String),
    /// Set on this node: its id and its path of names from the root
    /// (`Datacenter/Web/Srv1`).
    Node { id: ProfileId, path: String },
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::Default => f.write_str("default"),
            SettingSource::Derived(how) => write!(f, "derived: {how}"),
            SettingSource::Node { path, .. } if path.is_empty() => f.write_str("root"),
            SettingSource::Node { path, .. } => f.write_str(path),
        }
    }
}

/// One resolved setting: its value (`None`: not set and no default, e.g.
/// no certificate thumbprint) and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Effective<T> {
    pub value: Option<T>,
    pub source: SettingSource,
}

/// One row of [`EffectiveSettings::rows`], for display.
#[derive(Clone, Debug, PartialEq)]
pub struct EffectiveRow {
    /// The PowerShell property name (`Port`, `OpenTimeout`, ...).
    pub name: &'static str,
    /// The value as text (`""` when none).
    pub value: String,
    pub source: SettingSource,
}

/// A setting's value as display text.
pub trait SettingText {
    /// Text for the UI.
    fn setting_text(&self) -> String;
}

macro_rules! setting_text_display {
    ($($t:ty),*) => {$(
        impl SettingText for $t {
            fn setting_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
setting_text_display!(String, bool, u16, u32, u64, i64);

macro_rules! setting_text_debug {
    ($($t:ty),*) => {$(
        impl SettingText for $t {
            fn setting_text(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}
setting_text_debug!(AuthMechanism, OutputBufferingMode, ProxyAccessType);

impl SettingText for CredentialRef {
    fn setting_text(&self) -> String {
        match &self.entry {
            Some(_) => format!("{} (saved)", self.user),
            None => format!("{} (ask)", self.user),
        }
    }
}

macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty = $default:expr, $ps:literal; )*) => {
        /// Connection settings of one node; `None` inherits.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        pub struct ConnectionSettings {
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        /// Every setting resolved for one node, with its source.
        #[derive(Clone, Debug, PartialEq)]
        pub struct EffectiveSettings {
            $(
                $(#[doc = $doc])*
                pub $field: Effective<$ty>,
            )*
        }

        impl ConnectionSettings {
            /// True when no setting is set here.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_none())*
            }

            /// Sets in `self` every setting that `other` sets (`other` wins).
            pub fn overlay(&mut self, other: &ConnectionSettings) {
                $(
                    if other.$field.is_some() {
                        self.$field = other.$field.clone();
                    }
                )*
            }

            /// The PowerShell names of the settings set here.
            pub fn set_names(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(
                    if self.$field.is_some() {
                        v.push($ps);
                    }
                )*
                v
            }
        }

        impl EffectiveSettings {
            /// Resolves along `chain` (root first, the node itself last):
            /// the deepest node that sets a value wins, else the default.
            pub fn resolve(chain: &[(ProfileId, String, &ConnectionSettings)]) -> Self {
                EffectiveSettings {
                    $(
                        $field: chain
                            .iter()
                            .rev()
                            .find_map(|(id, path, s)| {
                                s.$field.clone().map(|v| Effective {
                                    value: Some(v),
                                    source: SettingSource::Node { id: *id, path: path.clone() },
                                })
                            })
                            .unwrap_or(Effective {
                                value: $default,
                                source: SettingSource::Default,
                            }),
                    )*
                }
            }

            /// All settings as display rows, in declaration order.
            pub fn rows(&self) -> Vec<EffectiveRow> {
                vec![
                    $(
                        EffectiveRow {
                            name: $ps,
                            value: self
                                .$field
                                .value
                                .as_ref()
                                .map(SettingText::setting_text)
                                .unwrap_or_default(),
                            source: self.$field.source.clone(),
                        },
                    )*
                ]
            }
        }
    };
}

impl ConnectionSettings {
    /// Clears here every setting that lowers security (see
    /// `ConnectionSpec::security_lowerings`): SkipCACheck, SkipCNCheck,
    /// SkipRevocationCheck, NoEncryption, AllowUnencrypted, AllowRedirection,
    /// CredSSP, and Basic when `basic_travels_readable` (over HTTP). The
    /// node then inherits PowerShell's defaults. Returns what was cleared.
    pub fn clear_security_lowerings(&mut self, basic_travels_readable: bool) -> Vec<&'static str> {
        let mut cleared = Vec::new();
        let flags: [(&mut Option<bool>, &'static str); 6] = [
            (&mut self.skip_ca_check, "SkipCACheck"),
            (&mut self.skip_cn_check, "SkipCNCheck"),
            (&mut self.skip_revocation_check, "SkipRevocationCheck"),
            (&mut self.no_encryption, "NoEncryption"),
            (&mut self.allow_unencrypted, "AllowUnencrypted"),
            (&mut self.allow_redirection, "AllowRedirection"),
        ];
        for (flag, name) in flags {
            if *flag == Some(true) {
                *flag = None;
                cleared.push(name);
            }
        }
        match self.authentication {
            Some(AuthMechanism::Credssp) => {
                self.authentication = None;
                cleared.push("CredSSP");
            }
            Some(AuthMechanism::Basic) if basic_travels_readable => {
                self.authentication = None;
                cleared.push("Basic");
            }
            _ => {}
        }
        cleared
    }
}

/// The deepest group path Baton keeps (`A/B/…`, this many names): deeper
/// trees are refused on import and on `profile add`, with a clear error,
/// rather than failing every later load.
pub const MAX_GROUP_DEPTH: usize = 32;

/// Checks a group path of `segments` names against [`MAX_GROUP_DEPTH`].
pub fn check_group_depth(segments: usize) -> Result<(), String> {
    if segments > MAX_GROUP_DEPTH {
        return Err(format!(
            "a group path {segments} levels deep; Baton keeps at most {MAX_GROUP_DEPTH} levels of groups"
        ));
    }
    Ok(())
}

/// PowerShell's default `OpenTimeout`/`OperationTimeout`, in ms.
pub const DEFAULT_OPEN_TIMEOUT_MS: u64 = 180_000;
/// PowerShell's default `CancelTimeout`, in ms.
pub const DEFAULT_CANCEL_TIMEOUT_MS: u64 = 60_000;
/// PowerShell's default `MaximumReceivedObjectSize`: 200 MiB.
pub const DEFAULT_MAX_RECEIVED_OBJECT_SIZE: u64 = 200 * 1024 * 1024;
/// `IdleTimeout` value meaning "the session configuration's default".
pub const IDLE_TIMEOUT_SERVER_DEFAULT: i64 = -1;
/// WinRM's HTTP port.
pub const WSMAN_HTTP_PORT: u16 = 5985;
/// WinRM's HTTPS port.
pub const WSMAN_HTTPS_PORT: u16 = 5986;

settings! {
    /// `-ComputerName`: the host name or address. Defaults to the
    /// computer's display name.
    host: String = None, "ComputerName";
    /// `-Port`; defaults to 5985 (HTTP) or 5986 (HTTPS).
    port: u16 = None, "Port";
    /// `-UseSSL` (`Scheme` https).
    use_ssl: bool = Some(false), "UseSSL";
    /// `-ApplicationName` (`AppName`).
    application_name: String = Some("wsman".to_owned()), "ApplicationName";
    /// `-ConfigurationName` (the shell URI's last segment).
    configuration_name: String = Some("Microsoft.PowerShell".to_owned()), "ConfigurationName";
    /// `-ConnectionUri`: overrides host, port, scheme and application name.
    connection_uri: String = None, "ConnectionUri";
    /// `-Authentication`.
    authentication: AuthMechanism = Some(AuthMechanism::Default), "Authentication";
    /// `-CertificateThumbprint` (client certificate authentication).
    certificate_thumbprint: String = None, "CertificateThumbprint";
    /// The credential (user name + keyring entry), inherited like the rest.
    credential: CredentialRef = None, "Credential";
    /// `IdleTimeout` in ms; -1 uses the session configuration's default.
    idle_timeout_ms: i64 = Some(IDLE_TIMEOUT_SERVER_DEFAULT), "IdleTimeout";
    /// `-OutputBufferingMode`; `None` uses the session configuration's.
    output_buffering_mode: OutputBufferingMode = Some(OutputBufferingMode::None), "OutputBufferingMode";
    /// `OpenTimeout` in ms.
    open_timeout_ms: u64 = Some(DEFAULT_OPEN_TIMEOUT_MS), "OpenTimeout";
    /// `OperationTimeout` in ms.
    operation_timeout_ms: u64 = Some(DEFAULT_OPEN_TIMEOUT_MS), "OperationTimeout";
    /// `CancelTimeout` in ms.
    cancel_timeout_ms: u64 = Some(DEFAULT_CANCEL_TIMEOUT_MS), "CancelTimeout";
    /// `-AllowRedirection`.
    allow_redirection: bool = Some(false), "AllowRedirection";
    /// `MaximumConnectionRedirectionCount`.
    maximum_connection_redirection_count: u32 = Some(5), "MaximumConnectionRedirectionCount";
    /// `MaximumReceivedDataSizePerCommand` in bytes; none: unlimited.
    maximum_received_data_size_per_command: u64 = None, "MaximumReceivedDataSizePerCommand";
    /// `MaximumReceivedObjectSize` in bytes.
    maximum_received_object_size: u64 = Some(DEFAULT_MAX_RECEIVED_OBJECT_SIZE), "MaximumReceivedObjectSize";
    /// `-NoCompression`.
    no_compression: bool = Some(false), "NoCompression";
    /// `-NoMachineProfile`.
    no_machine_profile: bool = Some(false), "NoMachineProfile";
    /// `-UseUTF16`.
    use_utf16: bool = Some(false), "UseUTF16";
    /// `-Culture`; none: the local culture.
    culture: String = None, "Culture";
    /// `-UICulture`; none: the local UI culture.
    ui_culture: String = None, "UICulture";
    /// `-IncludePortInSPN`.
    include_port_in_spn: bool = Some(false), "IncludePortInSPN";
    /// `-ProxyAccessType`.
    proxy_access_type: ProxyAccessType = Some(ProxyAccessType::None), "ProxyAccessType";
    /// `-ProxyAuthentication` (Basic, Digest or Negotiate).
    proxy_authentication: AuthMechanism = Some(AuthMechanism::Negotiate), "ProxyAuthentication";
    /// `-ProxyCredential`.
    proxy_credential: CredentialRef = None, "ProxyCredential";
    /// `-SkipCACheck`.
    skip_ca_check: bool = Some(false), "SkipCACheck";
    /// `-SkipCNCheck`.
    skip_cn_check: bool = Some(false), "SkipCNCheck";
    /// `-SkipRevocationCheck`.
    skip_revocation_check: bool = Some(false), "SkipRevocationCheck";
    /// `-NoEncryption`.
    no_encryption: bool = Some(false), "NoEncryption";
    /// Allow unencrypted traffic (Basic over HTTP, lab use only).
    allow_unencrypted: bool = Some(false), "AllowUnencrypted";
    /// `-ThrottleLimit`.
    throttle_limit: u32 = Some(32), "ThrottleLimit";
}

impl EffectiveSettings {
    /// The port in effect: explicit, or derived from the scheme.
    pub fn port_or_default(&self) -> u16 {
        match self.port.value {
            Some(p) => p,
            None if self.use_ssl.value == Some(true) => WSMAN_HTTPS_PORT,
            None => WSMAN_HTTP_PORT,
        }
    }
}

/// A computer: a named connection target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Computer {
    /// Stable id.
    #[serde(default)]
    pub id: ProfileId,
    /// Display name, also usable as a `-ComputerName` alias.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Settings set on this computer.
    #[serde(flatten)]
    pub settings: ConnectionSettings,
}

impl Computer {
    /// A computer with a fresh id and no settings of its own.
    pub fn new(name: &str) -> Self {
        Computer {
            id: ProfileId::new_random(),
            name: name.to_owned(),
            description: None,
            settings: ConnectionSettings::default(),
        }
    }
}

/// A group of computers and groups, with settings its children inherit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Stable id.
    #[serde(default)]
    pub id: ProfileId,
    /// Name (empty for the root).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Settings set on this group.
    #[serde(flatten)]
    pub settings: ConnectionSettings,
    /// Sub-groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// Computers directly in this group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computers: Vec<Computer>,
}

impl Group {
    /// The subgroup reached by the names in `path` (matched without regard
    /// to case), created along the way where missing.
    /// How many levels of groups this group holds (1: no subgroups),
    /// counted without recursion, so no input can exhaust the stack here.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((g, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(g.groups.iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    pub fn subgroup_mut<S: AsRef<str>>(&mut self, path: impl IntoIterator<Item = S>) -> &mut Group {
        let mut cur = self;
        for part in path {
            let part = part.as_ref();
            let idx = if let Some(i) = cur
                .groups
                .iter()
                .position(|g| g.name.eq_ignore_ascii_case(part))
            {
                i
            } else {
                cur.groups.push(Group::new(part));
                cur.groups.len() - 1
            };
            cur = &mut cur.groups[idx];
        }
        cur
    }

    /// An empty group with a fresh id.
    pub fn new(name: &str) -> Self {
        Group {
            id: ProfileId::new_random(),
            name: name.to_owned(),
            description: None,
            settings: ConnectionSettings::default(),
            groups: Vec::new(),
            computers: Vec::new(),
        }
    }

    /// Builder: adds a sub-group.
    #[must_use]
    pub fn with_group(mut self, g: Group) -> Self {
        self.groups.push(g);
        self
    }

    /// Builder: adds a computer.
    #[must_use]
    pub fn with_computer(mut self, c: Computer) -> Self {
        self.computers.push(c);
        self
    }

    /// Number of computers in this group and below.
    pub fn computer_count(&self) -> usize {
        self.computers.len() + self.groups.iter().map(Group::computer_count).sum::<usize>()
    }

    /// Every credential reference set in this group and below.
    pub fn credential_refs(&self) -> Vec<&CredentialRef> {
        let mut out = Vec::new();
        self.collect_creds(&mut out);
        out
    }

    fn collect_creds<'a>(&'a self, out: &mut Vec<&'a CredentialRef>) {
        out.extend(self.settings.credential.iter());
        out.extend(self.settings.proxy_credential.iter());
        for c in &self.computers {
            out.extend(c.settings.credential.iter());
            out.extend(c.settings.proxy_credential.iter());
        }
        for g in &self.groups {
            g.collect_creds(out);
        }
    }

    /// The group with this id, here or below.
    pub fn find_group(&self, id: ProfileId) -> Option<&Group> {
        if self.id == id {
            return Some(self);
        }
        self.groups.iter().find_map(|g| g.find_group(id))
    }

    /// The group with this id, mutably.
    pub fn find_group_mut(&mut self, id: ProfileId) -> Option<&mut Group> {
        if self.id == id {
            return Some(self);
        }
        self.groups.iter_mut().find_map(|g| g.find_group_mut(id))
    }

    /// The computer with this id, here or below.
    pub fn find_computer(&self, id: ProfileId) -> Option<&Computer> {
        self.computers
            .iter()
            .find(|c| c.id == id)
            .or_else(|| self.groups.iter().find_map(|g| g.find_computer(id)))
    }

    /// The computer with this id, mutably.
    pub fn find_computer_mut(&mut self, id: ProfileId) -> Option<&mut Computer> {
        if let Some(i) = self.computers.iter().position(|c| c.id == id) {
            return self.computers.get_mut(i);
        }
        self.groups.iter_mut().find_map(|g| g.find_computer_mut(id))
    }

    /// Removes the group or computer with this id (not `self`); true if found.
    pub fn remove(&mut self, id: ProfileId) -> bool {
        let before = self.groups.len() + self.computers.len();
        self.groups.retain(|g| g.id != id);
        self.computers.retain(|c| c.id != id);
        if self.groups.len() + self.computers.len() != before {
            return true;
        }
        self.groups.iter_mut().any(|g| g.remove(id))
    }

    /// Gives every node here and below a fresh id (for pasted copies).
    pub fn renew_ids(&mut self) {
        self.id = ProfileId::new_random();
        for c in &mut self.computers {
            c.id = ProfileId::new_random();
        }
        for g in &mut self.groups {
            g.renew_ids();
        }
    }

    /// Chain of (id, path, settings) from `self` down to the node `id`.
    fn chain_to<'a>(
        &'a self,
        id: ProfileId,
        prefix: &str,
        out: &mut Vec<(ProfileId, String, &'a ConnectionSettings)>,
    ) -> Option<NodeKind<'a>> {
        let path = join_path(prefix, &self.name);
        out.push((self.id, path.clone(), &self.settings));
        if self.id == id {
            return Some(NodeKind::Group);
        }
        if let Some(c) = self.computers.iter().find(|c| c.id == id) {
            out.push((c.id, join_path(&path, &c.name), &c.settings));
            return Some(NodeKind::Computer(c));
        }
        for g in &self.groups {
            let len = out.len();
            if let Some(found) = g.chain_to(id, &path, out) {
                return Some(found);
            }
            out.truncate(len);
        }
        out.pop();
        None
    }
}

fn join_path(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{name}"),
    }
}

enum NodeKind<'a> {
    Group,
    Computer(&'a Computer),
}

/// A computer found by name or id, with the path of its group.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputerEntry<'a> {
    /// Names from the root to the computer's group (`Datacenter/Web`).
    pub group_path: String,
    pub computer: &'a Computer,
}

/// The whole profile tree: a nameless root group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileTree {
    /// The root: its settings are the defaults for everything.
    #[serde(flatten)]
    pub root: Group,
}

impl Default for ProfileTree {
    fn default() -> Self {
        ProfileTree {
            root: Group::new(""),
        }
    }
}

impl ProfileTree {
    /// Resolves every setting for the group or computer `id`; `None` if
    /// there is no such node.
    pub fn effective(&self, id: ProfileId) -> Option<EffectiveSettings> {
        let mut chain = Vec::new();
        let node = self.root.chain_to(id, "", &mut chain)?;
        let mut eff = EffectiveSettings::resolve(&chain);
        if eff.port.value.is_none() {
            let scheme = if eff.use_ssl.value == Some(true) {
                "https"
            } else {
                "http"
            };
            eff.port = Effective {
                value: Some(eff.port_or_default()),
                source: SettingSource::Derived(format!("WinRM {scheme} port")),
            };
        }
        if let (None, NodeKind::Computer(c)) = (&eff.host.value, node) {
            eff.host = Effective {
                value: Some(c.name.clone()),
                source: SettingSource::Derived("the display name".to_owned()),
            };
        }
        Some(eff)
    }

    /// Every computer with its group path, depth first.
    pub fn computers(&self) -> Vec<ComputerEntry<'_>> {
        fn walk<'a>(g: &'a Group, prefix: &str, out: &mut Vec<ComputerEntry<'a>>) {
            let path = join_path(prefix, &g.name);
            for c in &g.computers {
                out.push(ComputerEntry {
                    group_path: path.clone(),
                    computer: c,
                });
            }
            for sub in &g.groups {
                walk(sub, &path, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out);
        out
    }

    /// The computers whose display name equals `name` (case-insensitive,
    /// as PowerShell compares computer names): how `-ComputerName Srv1`
    /// finds a profile. Several matches mean the alias is ambiguous.
    pub fn find_by_name(&self, name: &str) -> Vec<ComputerEntry<'_>> {
        self.computers()
            .into_iter()
            .filter(|e| e.computer.name.eq_ignore_ascii_case(name))
            .collect()
    }

    /// Every group and computer id, the root's too.
    pub fn node_ids(&self) -> std::collections::HashSet<ProfileId> {
        let mut out = std::collections::HashSet::new();
        let mut stack = vec![&self.root];
        while let Some(g) = stack.pop() {
            out.insert(g.id);
            out.extend(g.computers.iter().map(|c| c.id));
            stack.extend(g.groups.iter());
        }
        out
    }

    /// The ids of the nodes whose settings `id` inherits, the root first and
    /// `id` itself last; empty when there is no such node.
    pub fn chain_ids(&self, id: ProfileId) -> Vec<ProfileId> {
        let mut chain = Vec::new();
        if self.root.chain_to(id, "", &mut chain).is_none() {
            return Vec::new();
        }
        let mut ids: Vec<ProfileId> = chain.iter().map(|(id, _, _)| *id).collect();
        if ids.last() != Some(&id) {
            ids.push(id);
        }
        ids
    }

    /// The settings of the group or computer `id`, to change.
    pub fn settings_mut(&mut self, id: ProfileId) -> Option<&mut ConnectionSettings> {
        if self.root.find_computer(id).is_some() {
            return self.root.find_computer_mut(id).map(|c| &mut c.settings);
        }
        self.root.find_group_mut(id).map(|g| &mut g.settings)
    }

    /// The computer with this id.
    pub fn computer(&self, id: ProfileId) -> Option<&Computer> {
        self.root.find_computer(id)
    }

    /// The group with this id.
    pub fn group(&self, id: ProfileId) -> Option<&Group> {
        self.root.find_group(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (ProfileTree, ProfileId, ProfileId) {
        let mut srv = Computer::new("Srv1");
        srv.settings.configuration_name = Some("JEA".into());
        let srv_id = srv.id;
        let mut dc = Group::new("Datacenter");
        dc.settings.use_ssl = Some(true);
        dc.settings.credential = Some(CredentialRef {
            user: "CORP\\admin".into(),
            entry: Some("e1".into()),
        });
        let dc_id = dc.id;
        let mut web = Group::new("Web");
        web.settings.open_timeout_ms = Some(5000);
        web.computers.push(srv);
        dc.groups.push(web);
        let mut tree = ProfileTree::default();
        tree.root.settings.authentication = Some(AuthMechanism::Kerberos);
        tree.root.groups.push(dc);
        (tree, srv_id, dc_id)
    }

    #[test]
    fn inheritance_and_sources() {
        let (tree, srv, dc) = sample();
        let e = tree.effective(srv).unwrap();
        assert_eq!(e.use_ssl.value, Some(true));
        assert_eq!(
            e.use_ssl.source,
            SettingSource::Node {
                id: dc,
                path: "Datacenter".into()
            }
        );
        assert_eq!(e.port.value, Some(5986));
        assert!(matches!(e.port.source, SettingSource::Derived(_)));
        assert_eq!(e.host.value.as_deref(), Some("Srv1"));
        assert_eq!(e.open_timeout_ms.value, Some(5000));
        assert_eq!(e.open_timeout_ms.source.to_string(), "Datacenter/Web");
        assert_eq!(
            e.configuration_name.source.to_string(),
            "Datacenter/Web/Srv1"
        );
        assert_eq!(e.authentication.value, Some(AuthMechanism::Kerberos));
        assert_eq!(e.authentication.source.to_string(), "root");
        assert_eq!(e.cancel_timeout_ms.value, Some(60_000));
        assert_eq!(e.cancel_timeout_ms.source, SettingSource::Default);
        assert_eq!(e.maximum_received_object_size.value, Some(209_715_200));
        assert_eq!(e.credential.value.as_ref().unwrap().user, "CORP\\admin");
        assert_eq!(e.rows().len(), 33);
        assert!(tree.effective(ProfileId::new_random()).is_none());
    }

    #[test]
    fn alias_lookup_is_case_insensitive() {
        let (tree, srv, _) = sample();
        let found = tree.find_by_name("srv1");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].computer.id, srv);
        assert_eq!(found[0].group_path, "Datacenter/Web");
    }

    #[test]
    fn remove_and_find() {
        let (mut tree, srv, dc) = sample();
        assert!(tree.computer(srv).is_some());
        assert!(tree.root.remove(srv));
        assert!(tree.computer(srv).is_none());
        assert!(tree.root.remove(dc));
        assert!(tree.root.groups.is_empty());
    }
}
