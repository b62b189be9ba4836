//! The profile file: `profiles.toml` in the platform config directory (or
//! beside the executable in portable mode), with a `schema_version`.
//!
//! Guarantees:
//! - saving is atomic (temp file in the same directory, write, fsync, rename,
//!   fsync the directory), so a crash leaves the old or the new file, whole;
//! - before a save replaces a good file, that file is kept as
//!   `profiles.toml.bak`;
//! - a file that does not parse is never overwritten silently: loading gives
//!   an error naming the line and column, and saving over it is refused until
//!   the caller explicitly sets it aside ([`ProfileStore::set_aside_corrupt`]);
//! - older schema versions are migrated on load; newer ones are refused.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::profile::{
    AuthMechanism, Computer, ConnectionSettings, CredentialRef, Group, ProfileId, ProfileTree,
};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 2;
/// The profile file's name.
pub const FILE_NAME: &str = "profiles.toml";
/// The marker file that, beside the executable, turns on portable mode.
pub const PORTABLE_MARKER: &str = "baton.portable";
/// Largest profile file accepted (bytes).
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// An error reading, writing or merging profiles.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// The file is not valid TOML, or not a valid profile file.
    #[error("{message} at line {line}, column {column} of {origin}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A valid TOML file whose content is not a profile file (no position).
    #[error("invalid profile file {origin}: {message}")]
    Invalid { origin: String, message: String },
    /// The file was written by a newer Baton.
    #[error(
        "{origin} has schema version {found}, newer than this Baton understands (up to {supported}): update Baton; the file was left untouched"
    )]
    FutureVersion {
        origin: String,
        found: u32,
        supported: u32,
    },
    /// Saving would replace a file that does not load.
    #[error(
        "refusing to overwrite {path}, which does not load ({cause}); set it aside first or fix it"
    )]
    RefuseOverwriteCorrupt { path: PathBuf, cause: String },
    /// The configuration directory cannot be determined.
    #[error("no configuration directory for this user")]
    NoConfigDir,
    /// A group or computer id that is not in the tree.
    #[error("no group or computer with id {0}")]
    NotFound(ProfileId),
    /// The tree could not be serialised.
    #[error("cannot write profiles as toml: {0}")]
    Serialize(String),
    /// A change that was refused (the message says why); nothing was written.
    #[error("{0}")]
    Refused(String),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Where the profile file lives: beside the executable when `exe_dir`
/// holds a [`PORTABLE_MARKER`] file, else in `config_dir`.
pub fn profiles_path_for(exe_dir: Option<&Path>, config_dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = exe_dir
        && dir.join(PORTABLE_MARKER).is_file()
    {
        return Some(dir.join(FILE_NAME));
    }
    config_dir.map(|d| d.join(FILE_NAME))
}

/// The platform's profile path: portable mode if the marker is beside the
/// running executable, else the user's config directory (XDG on Linux,
/// `%APPDATA%\baton\config` on Windows, `~/Library/Application Support`).
pub fn default_profiles_path() -> Result<PathBuf, StoreError> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned));
    let dirs = directories::ProjectDirs::from("", "", "baton");
    profiles_path_for(
        exe_dir.as_deref(),
        dirs.as_ref().map(directories::ProjectDirs::config_dir),
    )
    .ok_or(StoreError::NoConfigDir)
}

/// What [`ProfileStore::load`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub tree: ProfileTree,
    /// The file's schema version when it was older and was migrated (the
    /// file itself is rewritten only at the next save).
    pub migrated_from: Option<u32>,
    /// False when there was no file yet (an empty tree is returned).
    pub existed: bool,
}

/// The profile file at one path.
#[derive(Clone, Debug)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// A store at an explicit path (tests, `--profiles`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ProfileStore { path: path.into() }
    }

    /// The store at [`default_profiles_path`].
    pub fn open_default() -> Result<Self, StoreError> {
        default_profiles_path().map(Self::new)
    }

    /// The profile file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backup of the last good file.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".bak")
    }

    /// Reads the file; a missing file is an empty tree.
    pub fn load(&self) -> Result<Loaded, StoreError> {
        match read_bounded(&self.path)? {
            None => Ok(Loaded {
                tree: ProfileTree::default(),
                migrated_from: None,
                existed: false,
            }),
            Some(text) => {
                let (tree, migrated_from) =
                    parse_profiles(&text, &self.path.display().to_string())?;
                Ok(Loaded {
                    tree,
                    migrated_from,
                    existed: true,
                })
            }
        }
    }

    /// Reads the backup file (to offer "restore the last good file").
    pub fn load_backup(&self) -> Result<Option<ProfileTree>, StoreError> {
        let bak = self.backup_path();
        match read_bounded(&bak)? {
            None => Ok(None),
            Some(text) => Ok(Some(parse_profiles(&text, &bak.display().to_string())?.0)),
        }
    }

    /// Writes the tree atomically, first keeping the current file (if it
    /// loads) as the backup. Refuses to replace a file that does not load.
    /// Holds the file's lock while it writes ([`ProfileStore::update`]).
    pub fn save(&self, tree: &ProfileTree) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        self.save_locked(tree)
    }

    /// The advisory lock every writer of this profile file holds across its
    /// load, change and save (`profiles.toml.lock` beside it; the OS drops
    /// it when the process ends, however it ends). Concurrent `baton
    /// profile add`, the console and `baton lab` then never lose each
    /// other's changes.
    fn lock(&self) -> Result<fs::File, StoreError> {
        let path = self.lock_path();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        }
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(io_err("open", &path))?;
        file.lock().map_err(io_err("lock", &path))?;
        Ok(file)
    }

    /// The lock file beside the profile file.
    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    fn save_locked(&self, tree: &ProfileTree) -> Result<(), StoreError> {
        let text = to_toml(tree)?;
        // What is written must load again: the new text is read back before
        // it replaces the file, so no save leaves a file that fails later.
        parse_profiles(&text, &self.path.display().to_string()).map_err(|e| {
            StoreError::Refused(format!(
                "the profiles were not saved: the new file would not load again ({e})"
            ))
        })?;
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        }
        if let Some(current) = read_bounded(&self.path)? {
            match parse_profiles(&current, &self.path.display().to_string()) {
                Ok(_) => {
                    let bak = self.backup_path();
                    write_atomic(&bak, current.as_bytes()).map_err(io_err("write", &bak))?;
                }
                Err(e) => {
                    return Err(StoreError::RefuseOverwriteCorrupt {
                        path: self.path.clone(),
                        cause: e.to_string(),
                    });
                }
            }
        }
        write_atomic(&self.path, text.as_bytes()).map_err(io_err("write", &self.path))?;
        remove_stale_temps(&self.path);
        remove_stale_temps(&self.backup_path());
        Ok(())
    }

    /// Reads the file as it is now, applies `change` to its tree and saves
    /// the result atomically (with the backup, as [`ProfileStore::save`]);
    /// returns the saved tree. The file's lock is held from the read to the
    /// write, so changes made by others (another process, another window)
    /// are kept, never overwritten. On error nothing is written.
    pub fn update<F>(&self, change: F) -> Result<ProfileTree, StoreError>
    where
        F: FnOnce(&mut ProfileTree) -> Result<(), StoreError>,
    {
        let _lock = self.lock()?;
        let mut tree = self.load()?.tree;
        change(&mut tree)?;
        self.save_locked(&tree)?;
        Ok(tree)
    }

    /// Renames a file that does not load to `profiles.toml.corrupt-N` (kept
    /// for the user), so that the next save starts afresh. Returns the new
    /// name.
    pub fn set_aside_corrupt(&self) -> Result<PathBuf, StoreError> {
        for n in 1..1000 {
            let target = sibling(&self.path, &format!(".corrupt-{n}"));
            if !target.exists() {
                fs::rename(&self.path, &target).map_err(io_err("rename", &self.path))?;
                return Ok(target);
            }
        }
        Err(StoreError::Io {
            action: "set aside",
            path: self.path.clone(),
            source: io::Error::other("too many set-aside files"),
        })
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn read_bounded(path: &Path) -> Result<Option<String>, StoreError> {
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", path)(e)),
        Ok(m) if m.len() > MAX_FILE_SIZE => {
            return Err(StoreError::Invalid {
                origin: path.display().to_string(),
                message: format!("larger than {MAX_FILE_SIZE} bytes"),
            });
        }
        Ok(_) => {}
    }
    let bytes = fs::read(path).map_err(io_err("read", path))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| StoreError::Invalid {
            origin: path.display().to_string(),
            message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, written and fsynced, renamed over `path`, then the directory
/// fsynced so the rename itself is durable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Readable by the user alone: 0600, or the file's own mode when
            // that is stricter still (0400 stays 0400).
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            let kept = fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o600);
            options.mode(if kept == 0 { 0o600 } else { kept });
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files that a killed writer left beside `path` (those
/// [`write_atomic`] names `.<name>.tmp-<pid>-<random>`): on Linux those of
/// processes that no longer run, elsewhere those older than ten minutes.
/// Best effort: errors are ignored.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let fname = e.file_name();
        let fname = fname.to_string_lossy();
        let Some(rest) = fname.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let stale = if cfg!(target_os = "linux") {
            !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_mins(10))
        };
        if stale {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows cannot open a directory as a file without extra flags; NTFS
    // journals the rename (MoveFileEx) itself.
    Ok(())
}

/// The current file shape.
#[derive(Serialize, Deserialize)]
struct FileV2 {
    schema_version: u32,
    #[serde(flatten)]
    tree: ProfileTree,
}

/// Serialises a tree as the current file format.
pub fn to_toml(tree: &ProfileTree) -> Result<String, StoreError> {
    let file = FileV2 {
        schema_version: SCHEMA_VERSION,
        tree: tree.clone(),
    };
    let body = toml::to_string_pretty(&file).map_err(|e| StoreError::Serialize(e.to_string()))?;
    Ok(format!(
        "# Baton connection profiles. Secrets are never stored here: only user names\n# and ids of OS-keyring entries.\n{body}"
    ))
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> StoreError {
    match e.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            StoreError::Parse {
                origin: origin.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        }
        None => StoreError::Invalid {
            origin: origin.to_owned(),
            message: e.message().trim().to_owned(),
        },
    }
}

/// Parses a profile file of any known schema version, migrating older ones.
/// Returns the tree and, if migrated, the original version. `origin` names
/// the file in errors.
pub fn parse_profiles(text: &str, origin: &str) -> Result<(ProfileTree, Option<u32>), StoreError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, origin, &e))?;
    let version = match table.get("schema_version") {
        None => {
            return Err(StoreError::Invalid {
                origin: origin.to_owned(),
                message: "no schema_version: not a Baton profile file".to_owned(),
            });
        }
        Some(toml::Value::Integer(v)) => u32::try_from(*v).map_err(|_| StoreError::Invalid {
            origin: origin.to_owned(),
            message: format!("invalid schema_version {v}"),
        })?,
        Some(other) => {
            return Err(StoreError::Invalid {
                origin: origin.to_owned(),
                message: format!(
                    "schema_version must be an integer, not {}",
                    other.type_str()
                ),
            });
        }
    };
    if version > SCHEMA_VERSION {
        return Err(StoreError::FutureVersion {
            origin: origin.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        let file: FileV2 = toml::from_str(text).map_err(|e| {
            // Node settings are flattened, which loses toml's spans: find
            // the offending key ourselves.
            locate_error(text, origin).unwrap_or_else(|| toml_error(text, origin, &e))
        })?;
        let mut tree = file.tree;
        dedupe_ids(&mut tree.root, &mut std::collections::HashSet::new());
        check_depth(&tree, origin)?;
        return Ok((tree, None));
    }
    let tree = migrate(version, table).map_err(|message| StoreError::Invalid {
        origin: origin.to_owned(),
        message,
    })?;
    check_depth(&tree, origin)?;
    Ok((tree, Some(version)))
}

/// A file edited by hand past the depth Baton keeps is refused as the
/// editor and the importers refuse it.
fn check_depth(tree: &ProfileTree, origin: &str) -> Result<(), StoreError> {
    crate::model::profile::check_group_depth(tree.root.depth().saturating_sub(1)).map_err(
        |message| StoreError::Invalid {
            origin: origin.to_owned(),
            message,
        },
    )
}

/// One key of a node, checked alone.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Probe {
    #[serde(default)]
    id: Option<ProfileId>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(flatten)]
    settings: ConnectionSettings,
}

/// Walks the spanned document and checks each key of each node on its own,
/// returning the first bad one with its line and column.
fn locate_error(text: &str, origin: &str) -> Option<StoreError> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    locate_in(text, origin, doc.get_ref(), doc.span(), Level::Root)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Group,
    Computer,
}

fn locate_in(
    text: &str,
    origin: &str,
    table: &toml::de::DeTable<'_>,
    span: std::ops::Range<usize>,
    level: Level,
) -> Option<StoreError> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        StoreError::Parse {
            origin: origin.to_owned(),
            line,
            column,
            message,
        }
    };
    if level == Level::Computer && !table.keys().any(|k| k.get_ref().as_ref() == "name") {
        return Some(at(span.start, "missing field `name`".to_owned()));
    }
    for (key, value) in table {
        let k = key.get_ref().as_ref();
        if level == Level::Root && k == "schema_version" {
            continue;
        }
        if level != Level::Computer && (k == "groups" || k == "computers") {
            let child = if k == "groups" {
                Level::Group
            } else {
                Level::Computer
            };
            let toml::de::DeValue::Array(items) = value.get_ref() else {
                return Some(at(
                    key.span().start,
                    format!("`{k}` must be an array of tables"),
                ));
            };
            for item in items {
                let toml::de::DeValue::Table(t) = item.get_ref() else {
                    return Some(at(
                        item.span().start,
                        format!("each of `{k}` must be a table"),
                    ));
                };
                if let Some(e) = locate_in(text, origin, t, item.span(), child) {
                    return Some(e);
                }
            }
            continue;
        }
        let slice = text.get(value.span())?;
        let mini = format!("{} = {slice}", toml::Value::String(k.to_owned()));
        if let Err(e) = toml::from_str::<Probe>(&mini) {
            return Some(at(
                value.span().start,
                format!("`{k}`: {}", e.message().trim()),
            ));
        }
    }
    None
}

/// Gives a fresh id to any node whose id was already seen (hand-edited
/// files with copied blocks), so ids stay unique.
/// Gives every group and computer of `g` an id not in `seen` (nor used
/// twice inside `g`), keeping the ids that are free.
pub(crate) fn dedupe_ids(g: &mut Group, seen: &mut std::collections::HashSet<ProfileId>) {
    if !seen.insert(g.id) {
        g.id = ProfileId::new_random();
    }
    for c in &mut g.computers {
        if !seen.insert(c.id) {
            c.id = ProfileId::new_random();
        }
    }
    for sub in &mut g.groups {
        dedupe_ids(sub, seen);
    }
}

/// Migrates a parsed file of an older schema `version` to the current tree.
///
/// Steps run one version at a time; each is a function of the TOML document.
/// Version 1 was a flat list:
///
/// ```toml
/// schema_version = 1
/// [[profiles]]
/// name = "Srv1"
/// host = "srv1.corp.local"
/// port = 5986
/// use_ssl = true
/// auth = "Kerberos"
/// user = "CORP\\admin"
/// credential_id = "…"
/// group = "Datacenter/Web"
/// ```
pub fn migrate(version: u32, table: toml::Table) -> Result<ProfileTree, String> {
    match version {
        1 => migrate_v1(table),
        0 => Err("schema version 0 was never written by Baton".to_owned()),
        v => Err(format!("no migration from schema version {v}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    #[allow(dead_code)]
    schema_version: u32,
    #[serde(default)]
    profiles: Vec<ProfileV1>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileV1 {
    name: String,
    #[serde(default)]
    id: Option<ProfileId>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    use_ssl: Option<bool>,
    #[serde(default)]
    auth: Option<AuthMechanism>,
    #[serde(default)]
    configuration: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    credential_id: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

fn migrate_v1(table: toml::Table) -> Result<ProfileTree, String> {
    let file: FileV1 = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| format!("schema version 1: {}", e.message().trim()))?;
    let mut tree = ProfileTree::default();
    for p in file.profiles {
        let mut c = Computer::new(&p.name);
        if let Some(id) = p.id {
            c.id = id;
        }
        c.settings = ConnectionSettings {
            host: p.host,
            port: p.port,
            use_ssl: p.use_ssl,
            authentication: p.auth,
            configuration_name: p.configuration,
            credential: p.user.map(|user| CredentialRef {
                user,
                entry: p.credential_id,
            }),
            ..ConnectionSettings::default()
        };
        let mut group = &mut tree.root;
        for part in p.group.as_deref().unwrap_or("").split('/') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let idx = if let Some(i) = group.groups.iter().position(|g| g.name == part) {
                i
            } else {
                group.groups.push(Group::new(part));
                group.groups.len() - 1
            };
            group = &mut group.groups[idx];
        }
        group.computers.push(c);
    }
    dedupe_ids(&mut tree.root, &mut std::collections::HashSet::new());
    Ok(tree)
}

/// Exports the whole tree (`group: None`) or one group as a Baton profile
/// file. A group export carries the settings it inherits from its ancestors
/// in its root, so it is self-contained.
pub fn export(tree: &ProfileTree, group: Option<ProfileId>) -> Result<String, StoreError> {
    let Some(id) = group else {
        return to_toml(tree);
    };
    let mut chain = Vec::new();
    if !ancestors(&tree.root, id, &mut chain) {
        return Err(StoreError::NotFound(id));
    }
    let mut inherited = ConnectionSettings::default();
    let mut picked = None;
    for (i, g) in chain.iter().enumerate() {
        if i + 1 == chain.len() {
            picked = Some((*g).clone());
        } else {
            inherited.overlay(&g.settings);
        }
    }
    let picked = picked.ok_or(StoreError::NotFound(id))?;
    let mut root = Group::new("");
    root.settings = inherited;
    if picked.id == tree.root.id {
        root = picked;
    } else {
        root.groups.push(picked);
    }
    to_toml(&ProfileTree { root })
}

fn ancestors<'a>(g: &'a Group, id: ProfileId, out: &mut Vec<&'a Group>) -> bool {
    out.push(g);
    if g.id == id {
        return true;
    }
    for sub in &g.groups {
        if ancestors(sub, id, out) {
            return true;
        }
    }
    out.pop();
    false
}

/// What to do when an imported computer matches an existing one (same id
/// anywhere, or same name in the same group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeMode {
    /// Keep the existing computer; report the incoming one as skipped.
    KeepExisting,
    /// Replace the existing computer's settings and description (it keeps
    /// its id and place).
    Replace,
    /// Add the incoming one as a copy with a fresh id and a `(2)` suffix.
    AddCopy,
}

/// The outcome of [`merge_into`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub added_groups: usize,
    pub added_computers: usize,
    pub replaced_computers: usize,
    /// Computers not imported, with why.
    pub skipped: Vec<String>,
}

/// Merges the children of `incoming` into the group `target` (`None`: the
/// root). Groups with the same name (case-insensitive) merge recursively;
/// a group's settings are filled where unset (or overwritten with
/// [`MergeMode::Replace`]). The settings of `incoming` itself are pushed down
/// onto its children, so existing nodes never change behaviour by accident.
///
/// Works on a copy: on error `tree` is unchanged.
pub fn merge_into(
    tree: &mut ProfileTree,
    target: Option<ProfileId>,
    incoming: &Group,
    mode: MergeMode,
) -> Result<MergeReport, StoreError> {
    let mut work = tree.clone();
    let mut report = MergeReport::default();
    let mut incoming = incoming.clone();
    push_down(&mut incoming);
    let target_id = target.unwrap_or(work.root.id);
    let mut existing_ids = std::collections::HashSet::new();
    collect_ids(&work.root, &mut existing_ids);
    if work.root.find_group(target_id).is_none() {
        return Err(StoreError::NotFound(target_id));
    }
    merge_group(
        &mut work,
        target_id,
        incoming,
        mode,
        &mut existing_ids,
        &mut report,
    )?;
    *tree = work;
    Ok(report)
}

fn push_down(g: &mut Group) {
    if g.settings.is_empty() {
        return;
    }
    let base = std::mem::take(&mut g.settings);
    for c in &mut g.computers {
        let mut s = base.clone();
        s.overlay(&c.settings);
        c.settings = s;
    }
    for sub in &mut g.groups {
        let mut s = base.clone();
        s.overlay(&sub.settings);
        sub.settings = s;
    }
}

fn collect_ids(g: &Group, out: &mut std::collections::HashSet<ProfileId>) {
    out.insert(g.id);
    for c in &g.computers {
        out.insert(c.id);
    }
    for s in &g.groups {
        collect_ids(s, out);
    }
}

fn merge_group(
    tree: &mut ProfileTree,
    target_id: ProfileId,
    incoming: Group,
    mode: MergeMode,
    ids: &mut std::collections::HashSet<ProfileId>,
    report: &mut MergeReport,
) -> Result<(), StoreError> {
    for c in incoming.computers {
        merge_computer(tree, target_id, c, mode, ids, report)?;
    }
    for sub in incoming.groups {
        let target = tree
            .root
            .find_group_mut(target_id)
            .ok_or(StoreError::NotFound(target_id))?;
        let existing = target
            .groups
            .iter_mut()
            .find(|g| g.name.eq_ignore_ascii_case(&sub.name));
        let next = if let Some(g) = existing {
            if mode == MergeMode::Replace {
                g.settings.overlay(&sub.settings);
            } else {
                let mut s = sub.settings.clone();
                s.overlay(&g.settings);
                g.settings = s;
            }
            if g.description.is_none() {
                g.description = sub.description.clone();
            }
            g.id
        } else {
            let mut fresh = Group::new(&sub.name);
            if !ids.contains(&sub.id) {
                fresh.id = sub.id;
            }
            ids.insert(fresh.id);
            fresh.description = sub.description.clone();
            fresh.settings = sub.settings.clone();
            let id = fresh.id;
            target.groups.push(fresh);
            report.added_groups += 1;
            id
        };
        let children = Group {
            settings: ConnectionSettings::default(),
            ..sub
        };
        merge_group(tree, next, children, mode, ids, report)?;
    }
    Ok(())
}

fn merge_computer(
    tree: &mut ProfileTree,
    target_id: ProfileId,
    mut c: Computer,
    mode: MergeMode,
    ids: &mut std::collections::HashSet<ProfileId>,
    report: &mut MergeReport,
) -> Result<(), StoreError> {
    // Every import goes through here: one check of the host, whatever the
    // file format (a host with a line break would reach a proxy's CONNECT).
    if let Some(h) = &c.settings.host {
        match crate::model::connection::check_host(h) {
            Ok(clean) => c.settings.host = Some(clean),
            Err(why) => {
                report.skipped.push(format!(
                    "{}: {why}",
                    crate::model::connection::check_host(&c.name)
                        .unwrap_or_else(|_| "a computer".into())
                ));
                return Ok(());
            }
        }
    } else if let Err(why) = crate::model::connection::check_host(&c.name) {
        report
            .skipped
            .push(format!("a computer without a host: {why}"));
        return Ok(());
    }
    let target = tree
        .root
        .find_group(target_id)
        .ok_or(StoreError::NotFound(target_id))?;
    let by_name = target
        .computers
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(&c.name))
        .map(|e| e.id);
    let existing = if tree.root.find_computer(c.id).is_some() {
        Some(c.id)
    } else {
        by_name
    };
    match (existing, mode) {
        (Some(_), MergeMode::KeepExisting) => {
            report.skipped.push(format!(
                "{}: already present (kept the existing one)",
                c.name
            ));
        }
        (Some(id), MergeMode::Replace) => {
            if let Some(e) = tree.root.find_computer_mut(id) {
                e.settings = c.settings;
                e.description = c.description;
                report.replaced_computers += 1;
            }
        }
        (Some(_), MergeMode::AddCopy) | (None, _) => {
            if ids.contains(&c.id) {
                c.id = ProfileId::new_random();
            }
            let target = tree
                .root
                .find_group_mut(target_id)
                .ok_or(StoreError::NotFound(target_id))?;
            if existing.is_some() {
                let base = c.name.clone();
                let mut n = 2;
                while target
                    .computers
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(&c.name))
                {
                    c.name = format!("{base} ({n})");
                    n += 1;
                }
            }
            ids.insert(c.id);
            target.computers.push(c);
            report.added_computers += 1;
        }
    }
    Ok(())
}

/// Parses a Baton export (any known schema version) and merges it into
/// `tree` under `target`. On any error `tree` is unchanged.
pub fn import_baton(
    tree: &mut ProfileTree,
    target: Option<ProfileId>,
    text: &str,
    origin: &str,
    mode: MergeMode,
) -> Result<MergeReport, StoreError> {
    let (incoming, _) = parse_profiles(text, origin)?;
    merge_into(tree, target, &incoming.root, mode)
}

#[cfg(test)]
mod tests;
