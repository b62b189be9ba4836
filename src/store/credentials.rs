//! Credentials: secrets by entry id, in the OS keyring (service `baton`) or,
//! when no keyring is available or the user chose "use once without saving",
//! in process memory. Never in a file.
//!
//! Each credential is a keyring entry whose keyring "user" is the Baton entry
//! id (a UUID) and whose secret is the password. The user name that goes
//! with each id is kept in one more, non-secret keyring entry, the index
//! (`baton` / `baton-index`, JSON `{id: user}`), so that [`CredentialStore::list`]
//! works the same on every platform without reading a single secret.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The keyring service name of every Baton entry.
pub const SERVICE: &str = "baton";
/// The keyring "user" of the index entry (further pages: `baton-index-2`, ...).
pub const INDEX_USER: &str = "baton-index";
/// Largest index page, in UTF-16 code units (as the Windows Credential
/// Manager measures it: at most [`CREDENTIAL_BLOB_BYTES`] per secret),
/// with room to spare.
pub const INDEX_PAGE_LIMIT: usize = 1000;
/// The most bytes the Windows Credential Manager keeps in one secret
/// (`CRED_MAX_CREDENTIAL_BLOB_SIZE`, 5 × 512), counted in UTF-16.
pub const CREDENTIAL_BLOB_BYTES: usize = 2560;

/// The size of `text` as the Windows Credential Manager stores it: UTF-16,
/// two bytes per code unit (a character outside the Basic Multilingual
/// Plane, an emoji, takes four).
pub fn credential_blob_bytes(text: &str) -> usize {
    text.encode_utf16().count() * 2
}

/// Whether `text` fits in one Windows Credential Manager secret.
pub fn fits_credential_blob(text: &str) -> bool {
    credential_blob_bytes(text) <= CREDENTIAL_BLOB_BYTES
}
/// Most index pages read (bounds a damaged keyring).
const MAX_INDEX_PAGES: usize = 10_000;

/// A secret (password): the model's, zeroed on drop, `Debug` prints `<redacted>`.
pub use crate::model::Secret;

/// A listed credential: never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialInfo {
    pub id: String,
    pub user: String,
}

/// A credential read back: user name and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCredential {
    pub id: String,
    pub user: String,
    pub secret: Secret,
}

/// Which kind of store holds the secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The OS keyring: secrets survive restarts.
    OsKeyring,
    /// Process memory: secrets are forgotten when Baton exits.
    Memory,
}

/// Why the OS keyring cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnavailableReason {
    /// No D-Bus session bus to reach a Secret Service.
    NoSessionBus,
    /// A session bus, but no Secret Service provider on it.
    NoProvider,
    /// The keyring is locked and could not be unlocked.
    Locked,
    /// The keyring did not answer in time (typically: locked, and waiting
    /// for a password prompt nobody can answer).
    NoAnswer,
    /// Anything else the platform reported.
    Other,
}

/// The OS keyring is unavailable: the plain message the UI and CLI show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the OS keyring is unavailable ({}): passwords will be kept in memory for this session only and will not be saved; detail: {detail}",
    reason_text(*.reason)
)]
pub struct KeyringUnavailable {
    pub reason: UnavailableReason,
    /// The platform's own message.
    pub detail: String,
}

fn reason_text(r: UnavailableReason) -> &'static str {
    match r {
        UnavailableReason::NoSessionBus => "no D-Bus session bus",
        UnavailableReason::NoProvider => {
            "no Secret Service provider such as gnome-keyring or KWallet is running"
        }
        UnavailableReason::Locked => "the keyring is locked",
        UnavailableReason::NoAnswer => {
            "the keyring did not answer; it may be locked and waiting for its password"
        }
        UnavailableReason::Other => "the platform credential store failed",
    }
}

/// An error from a credential store. Messages never contain secrets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// No credential with this id.
    #[error("no saved credential with id {0}")]
    NotFound(String),
    /// An id that is empty, too long, or the reserved index name.
    #[error("invalid credential id {0:?}")]
    InvalidId(String),
    /// The keyring cannot be reached.
    #[error(transparent)]
    Unavailable(#[from] KeyringUnavailable),
    /// The keyring failed otherwise.
    #[error("keyring error: {0}")]
    Platform(String),
    /// A secret longer than the keyring keeps (the Windows Credential
    /// Manager: 2,560 bytes of UTF-16).
    #[error(
        "the password is {0} bytes in UTF-16; the Windows Credential Manager keeps at most 2560"
    )]
    TooLong(usize),
}

/// Secrets by entry id.
pub trait CredentialStore: Send + Sync + fmt::Debug {
    /// Where the secrets live.
    fn kind(&self) -> StoreKind;
    /// The credential `id`.
    fn get(&self, id: &str) -> Result<StoredCredential, CredentialError>;
    /// Creates or replaces the credential `id`.
    fn set(&self, id: &str, user: &str, secret: &Secret) -> Result<(), CredentialError>;
    /// Changes the user name and/or the secret of an existing credential.
    fn update(
        &self,
        id: &str,
        user: Option<&str>,
        secret: Option<&Secret>,
    ) -> Result<(), CredentialError>;
    /// Removes the credential `id`.
    fn delete(&self, id: &str) -> Result<(), CredentialError>;
    /// Every credential's id and user name (never a secret), sorted by id.
    fn list(&self) -> Result<Vec<CredentialInfo>, CredentialError>;
}

/// A fresh entry id for a new credential.
pub fn new_entry_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn check_id(id: &str) -> Result<(), CredentialError> {
    if id.is_empty()
        || id.len() > 128
        || id.starts_with(INDEX_USER)
        || id.chars().any(char::is_control)
    {
        return Err(CredentialError::InvalidId(id.to_owned()));
    }
    Ok(())
}

/// Secrets in process memory only: for "use once without saving" and for
/// sessions without a keyring.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<MemoryMap>,
}

type MemoryMap = BTreeMap<String, (String, Secret)>;

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.lock().map_or(0, |m| m.len());
        f.debug_struct("MemoryStore").field("entries", &n).finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> Result<std::sync::MutexGuard<'_, MemoryMap>, CredentialError> {
        self.entries
            .lock()
            .map_err(|_| CredentialError::Platform("memory store poisoned".to_owned()))
    }
}

impl CredentialStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn get(&self, id: &str) -> Result<StoredCredential, CredentialError> {
        check_id(id)?;
        let map = self.map()?;
        let (user, secret) = map
            .get(id)
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))?;
        Ok(StoredCredential {
            id: id.to_owned(),
            user: user.clone(),
            secret: secret.clone(),
        })
    }

    fn set(&self, id: &str, user: &str, secret: &Secret) -> Result<(), CredentialError> {
        check_id(id)?;
        self.map()?
            .insert(id.to_owned(), (user.to_owned(), secret.clone()));
        Ok(())
    }

    fn update(
        &self,
        id: &str,
        user: Option<&str>,
        secret: Option<&Secret>,
    ) -> Result<(), CredentialError> {
        check_id(id)?;
        let mut map = self.map()?;
        let entry = map
            .get_mut(id)
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))?;
        if let Some(u) = user {
            entry.0 = u.to_owned();
        }
        if let Some(s) = secret {
            entry.1 = s.clone();
        }
        Ok(())
    }

    fn delete(&self, id: &str) -> Result<(), CredentialError> {
        check_id(id)?;
        self.map()?
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))
    }

    fn list(&self) -> Result<Vec<CredentialInfo>, CredentialError> {
        Ok(self
            .map()?
            .iter()
            .map(|(id, (user, _))| CredentialInfo {
                id: id.clone(),
                user: user.clone(),
            })
            .collect())
    }
}

/// The OS keyring through `keyring-core`: Secret Service on Linux, the
/// Windows Credential Manager, the macOS keychain.
pub struct OsKeyringStore {
    store: Arc<keyring_core::CredentialStore>,
    /// Serialises index read-modify-write within this process.
    index_lock: Mutex<()>,
    page_limit: usize,
}

impl fmt::Debug for OsKeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OsKeyringStore")
            .field("vendor", &self.store.vendor())
            .finish()
    }
}

fn classify(e: &keyring_core::Error) -> UnavailableReason {
    let text = format!("{e} {e:?}");
    match e {
        keyring_core::Error::NoStorageAccess(_) => UnavailableReason::Locked,
        _ if text.contains("ServiceUnknown")
            || text.contains("org.freedesktop.secrets")
            || text.contains("was not provided") =>
        {
            UnavailableReason::NoProvider
        }
        _ if text.contains("Locked") || text.contains("locked") => UnavailableReason::Locked,
        _ if cfg!(target_os = "linux")
            && (text.contains("Address")
                || text.contains("address")
                || text.contains("No such file")
                || text.contains("Connection refused")
                || text.contains("DBUS")
                || text.contains("session bus")) =>
        {
            UnavailableReason::NoSessionBus
        }
        _ => UnavailableReason::Other,
    }
}

fn unavailable(e: &keyring_core::Error) -> KeyringUnavailable {
    KeyringUnavailable {
        reason: classify(e),
        detail: e.to_string(),
    }
}

fn platform(e: keyring_core::Error) -> CredentialError {
    match e {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::NoDefaultStore => {
            CredentialError::Unavailable(unavailable(&e))
        }
        other => CredentialError::Platform(other.to_string()),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(windows)]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(s)
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no OS keyring on this platform".to_owned(),
    ))
}

impl OsKeyringStore {
    /// Connects to the platform keyring and checks that it answers (reads
    /// the index entry). Any failure is a [`KeyringUnavailable`].
    pub fn open() -> Result<Self, KeyringUnavailable> {
        let store = platform_store().map_err(|e| unavailable(&e))?;
        let s = OsKeyringStore {
            store,
            index_lock: Mutex::new(()),
            page_limit: INDEX_PAGE_LIMIT,
        };
        // Probe reading AND writing: a locked or missing collection answers
        // reads of absent items but blocks (on an unlock prompt) on writes,
        // so a first run creates the (empty, non-secret) index now.
        let to_unavailable = |e: CredentialError| match e {
            CredentialError::Unavailable(u) => u,
            other => KeyringUnavailable {
                reason: UnavailableReason::Other,
                detail: other.to_string(),
            },
        };
        if s.read_index_opt().map_err(to_unavailable)?.is_none() {
            s.write_index(&BTreeMap::new()).map_err(to_unavailable)?;
        }
        Ok(s)
    }

    fn entry(&self, user: &str, label: &str) -> Result<keyring_core::Entry, CredentialError> {
        let mut mods = std::collections::HashMap::new();
        if cfg!(target_os = "linux") {
            mods.insert("label", label);
        }
        let mods = if mods.is_empty() { None } else { Some(&mods) };
        self.store.build(SERVICE, user, mods).map_err(platform)
    }

    fn read_index(&self) -> Result<BTreeMap<String, String>, CredentialError> {
        Ok(self.read_index_opt()?.unwrap_or_default())
    }

    /// Sets the largest index page (UTF-16 code units) written from now on; the
    /// index is split over as many entries as needed.
    #[must_use]
    pub fn with_index_page_limit(mut self, chars: usize) -> Self {
        self.page_limit = chars.max(64);
        self
    }

    fn page_user(n: usize) -> String {
        if n == 0 {
            INDEX_USER.to_owned()
        } else {
            format!("{INDEX_USER}-{}", n + 1)
        }
    }

    fn read_page(&self, n: usize) -> Result<Option<BTreeMap<String, String>>, CredentialError> {
        let entry = self.entry(&Self::page_user(n), "Baton credential index (no secrets)")?;
        match entry.get_password() {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                CredentialError::Platform(format!("the Baton credential index is damaged: {e}"))
            }),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) if classify(&e) != UnavailableReason::Other => {
                Err(CredentialError::Unavailable(unavailable(&e)))
            }
            Err(e) => Err(platform(e)),
        }
    }

    fn read_index_opt(&self) -> Result<Option<BTreeMap<String, String>>, CredentialError> {
        let Some(mut index) = self.read_page(0)? else {
            return Ok(None);
        };
        for n in 1..MAX_INDEX_PAGES {
            match self.read_page(n)? {
                Some(page) => index.extend(page),
                None => break,
            }
        }
        Ok(Some(index))
    }

    fn write_index(&self, index: &BTreeMap<String, String>) -> Result<(), CredentialError> {
        let encode = |page: &BTreeMap<String, String>| {
            serde_json::to_string(page)
                .map_err(|e| CredentialError::Platform(format!("cannot encode the index: {e}")))
        };
        let mut pages: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
        for (id, user) in index {
            let mut candidate = pages.last().cloned().unwrap_or_default();
            candidate.insert(id.clone(), user.clone());
            let fits = encode(&candidate)?.encode_utf16().count() <= self.page_limit;
            match pages.last_mut() {
                Some(last) if fits || last.is_empty() => *last = candidate,
                _ => pages.push(BTreeMap::from([(id.clone(), user.clone())])),
            }
        }
        for (n, page) in pages.iter().enumerate() {
            let entry = self.entry(&Self::page_user(n), "Baton credential index (no secrets)")?;
            entry.set_password(&encode(page)?).map_err(platform)?;
        }
        // Remove pages a longer index used before.
        for n in pages.len()..MAX_INDEX_PAGES {
            let entry = self.entry(&Self::page_user(n), "Baton credential index (no secrets)")?;
            match entry.delete_credential() {
                Ok(()) => {}
                Err(keyring_core::Error::NoEntry) => break,
                Err(e) => return Err(platform(e)),
            }
        }
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, CredentialError> {
        self.index_lock
            .lock()
            .map_err(|_| CredentialError::Platform("keyring index lock poisoned".to_owned()))
    }
}

impl CredentialStore for OsKeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::OsKeyring
    }

    fn get(&self, id: &str) -> Result<StoredCredential, CredentialError> {
        check_id(id)?;
        let user = self
            .read_index()?
            .get(id)
            .cloned()
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))?;
        let entry = self.entry(id, &format!("Baton: {user}"))?;
        match entry.get_password() {
            Ok(p) => Ok(StoredCredential {
                id: id.to_owned(),
                user,
                secret: Secret::new(p),
            }),
            Err(keyring_core::Error::NoEntry) => Err(CredentialError::NotFound(id.to_owned())),
            Err(e) => Err(platform(e)),
        }
    }

    fn set(&self, id: &str, user: &str, secret: &Secret) -> Result<(), CredentialError> {
        check_id(id)?;
        let _guard = self.lock()?;
        // Checked on every platform, so a profile saved here works on Windows.
        if !fits_credential_blob(secret.expose()) {
            return Err(CredentialError::TooLong(credential_blob_bytes(
                secret.expose(),
            )));
        }
        let entry = self.entry(id, &format!("Baton: {user}"))?;
        entry.set_password(secret.expose()).map_err(platform)?;
        let mut index = self.read_index()?;
        index.insert(id.to_owned(), user.to_owned());
        self.write_index(&index)
    }

    fn update(
        &self,
        id: &str,
        user: Option<&str>,
        secret: Option<&Secret>,
    ) -> Result<(), CredentialError> {
        check_id(id)?;
        let _guard = self.lock()?;
        let mut index = self.read_index()?;
        let current = index
            .get(id)
            .cloned()
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))?;
        let new_user = user.unwrap_or(&current).to_owned();
        if let Some(s) = secret {
            let entry = self.entry(id, &format!("Baton: {new_user}"))?;
            entry.set_password(s.expose()).map_err(platform)?;
        }
        if new_user != current {
            index.insert(id.to_owned(), new_user);
            self.write_index(&index)?;
        }
        Ok(())
    }

    fn delete(&self, id: &str) -> Result<(), CredentialError> {
        check_id(id)?;
        let _guard = self.lock()?;
        let mut index = self.read_index()?;
        let in_index = index.remove(id).is_some();
        let entry = self.entry(id, "Baton")?;
        let deleted = match entry.delete_credential() {
            Ok(()) => true,
            Err(keyring_core::Error::NoEntry) => false,
            Err(e) => return Err(platform(e)),
        };
        if in_index {
            self.write_index(&index)?;
        }
        if in_index || deleted {
            Ok(())
        } else {
            Err(CredentialError::NotFound(id.to_owned()))
        }
    }

    fn list(&self) -> Result<Vec<CredentialInfo>, CredentialError> {
        Ok(self
            .read_index()?
            .into_iter()
            .map(|(id, user)| CredentialInfo { id, user })
            .collect())
    }
}

/// The store chosen at start-up, and why the OS keyring was not used.
#[derive(Debug, Clone)]
pub struct ChosenStore {
    pub store: Arc<dyn CredentialStore>,
    /// Set when the OS keyring is unavailable and secrets are in memory for
    /// this session only: show [`KeyringUnavailable`]'s message to the user.
    pub unavailable: Option<KeyringUnavailable>,
}

/// How long [`choose_store`] waits for the OS keyring to answer.
pub const KEYRING_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Tries the OS keyring; if it is unavailable, says why and falls back to
/// memory for this session. Never falls back to a file. Waits at most
/// [`KEYRING_PROBE_TIMEOUT`] (an unlock prompt may be showing).
pub fn choose_store() -> ChosenStore {
    choose_store_within(KEYRING_PROBE_TIMEOUT)
}

/// [`choose_store`] with an explicit limit on how long the keyring may take
/// to answer. The probe runs on its own thread: a keyring that never
/// answers (locked, with a prompt nobody sees) is reported as
/// [`UnavailableReason::NoAnswer`] instead of blocking the caller.
pub fn choose_store_within(limit: std::time::Duration) -> ChosenStore {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("baton-keyring-probe".to_owned())
        .spawn(move || {
            let _ = tx.send(OsKeyringStore::open());
        });
    let outcome = match spawned {
        Err(e) => Err(KeyringUnavailable {
            reason: UnavailableReason::Other,
            detail: format!("cannot start the keyring probe: {e}"),
        }),
        Ok(_) => match rx.recv_timeout(limit) {
            Ok(r) => r,
            Err(_) => Err(KeyringUnavailable {
                reason: UnavailableReason::NoAnswer,
                detail: format!("no answer within {} s", limit.as_secs()),
            }),
        },
    };
    match outcome {
        Ok(s) => ChosenStore {
            store: Arc::new(s),
            unavailable: None,
        },
        Err(why) => {
            tracing::warn!("{why}");
            ChosenStore {
                store: Arc::new(MemoryStore::new()),
                unavailable: Some(why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        let c = StoredCredential {
            id: "a".into(),
            user: "u".into(),
            secret: s,
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn memory_store_round_trip() {
        let m = MemoryStore::new();
        let id = new_entry_id();
        assert_eq!(m.get(&id), Err(CredentialError::NotFound(id.clone())));
        m.set(&id, "CORP\\a", &Secret::from("p1")).unwrap();
        assert_eq!(m.get(&id).unwrap().secret.expose(), "p1");
        m.update(&id, Some("CORP\\b"), None).unwrap();
        let got = m.get(&id).unwrap();
        assert_eq!((got.user.as_str(), got.secret.expose()), ("CORP\\b", "p1"));
        m.update(&id, None, Some(&Secret::from("p2"))).unwrap();
        assert_eq!(m.get(&id).unwrap().secret.expose(), "p2");
        assert_eq!(
            m.list().unwrap(),
            vec![CredentialInfo {
                id: id.clone(),
                user: "CORP\\b".into()
            }]
        );
        m.delete(&id).unwrap();
        assert!(m.list().unwrap().is_empty());
        assert!(matches!(m.delete(&id), Err(CredentialError::NotFound(_))));
        assert!(matches!(
            m.set(INDEX_USER, "x", &Secret::from("y")),
            Err(CredentialError::InvalidId(_))
        ));
    }
}
