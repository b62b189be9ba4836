//! The sessions this user held open or handed over, kept in Baton's data
//! folder (`held.json`: computer, session, InstanceId, account, when; no
//! secret) so that after an outage the console can say what became of each
//! and reconnect them. Written atomically (a temporary file, then rename),
//! readable by the user alone. Every change is made under the file's lock
//! (`held.json.lock`): the record is read, changed and written by one
//! process at a time, so a console and a `baton shell` running side by
//! side never lose each other's records.

use std::path::{Path, PathBuf};

use crate::model::hand_over::HeldRecord;

/// The file at one path.
#[derive(Clone, Debug)]
pub struct HeldFile {
    path: PathBuf,
}

/// The most records kept (a fleet's worth); the oldest go first.
pub const MAX_RECORDS: usize = 10_000;

impl HeldFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HeldFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records; a missing file is none, a damaged one an error naming it.
    pub fn load(&self) -> Result<Vec<HeldRecord>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) if bytes.len() > 64 << 20 => Err(format!(
                "{} is larger than 64 MiB; it was not read",
                self.path.display()
            )),
            Ok(bytes) => {
                parse(&bytes).map_err(|e| format!("{} cannot be read: {e}", self.path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(format!("{}: {e}", self.path.display())),
        }
    }

    /// Changes the records under the file's lock: reads what is on disk
    /// now (other Baton processes may have written since), applies
    /// `change`, and writes the result when `change` says it changed
    /// something.
    pub fn update(&self, change: impl FnOnce(&mut Vec<HeldRecord>) -> bool) -> Result<(), String> {
        let _lock = self.lock()?;
        let mut records = self.load()?;
        if change(&mut records) {
            self.write(&records)?;
        }
        Ok(())
    }

    /// The advisory lock beside the file; the OS drops it when the process
    /// ends, however it ends.
    fn lock(&self) -> Result<std::fs::File, String> {
        let mut path = self.path.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("{}: cannot lock: {e}", path.display()))?;
        Ok(file)
    }

    /// Replaces the file with `records` (the newest [`MAX_RECORDS`]), under
    /// the file's lock.
    pub fn save(&self, records: &[HeldRecord]) -> Result<(), String> {
        let _lock = self.lock()?;
        self.write(records)
    }

    fn write(&self, records: &[HeldRecord]) -> Result<(), String> {
        let text = render(records)?;
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let written = o.open(&tmp).and_then(|mut f| {
            use std::io::Write;
            f.write_all(&text)?;
            f.sync_all()
        });
        written
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// The records of a held.json's bytes.
pub fn parse(bytes: &[u8]) -> Result<Vec<HeldRecord>, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// The bytes of a held.json holding the newest [`MAX_RECORDS`] of `records`.
pub fn render(records: &[HeldRecord]) -> Result<Vec<u8>, String> {
    let keep = &records[records.len().saturating_sub(MAX_RECORDS)..];
    serde_json::to_vec_pretty(keep).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn records_round_trip_and_a_damaged_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = HeldFile::new(dir.path().join("data/held.json"));
        assert!(f.load().unwrap().is_empty(), "missing = none");
        let r = HeldRecord {
            computer: "Srv1".into(),
            session: "ITTask".into(),
            instance_id: uuid::Uuid::from_u128(7),
            account: "Domain01\\User01".into(),
            since: Utc.with_ymd_and_hms(2026, 12, 7, 6, 0, 0).unwrap(),
            handed_over: true,
        };
        f.save(std::slice::from_ref(&r)).unwrap();
        assert_eq!(f.load().unwrap(), [r]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(f.path(), b"{not json").unwrap();
        assert!(f.load().unwrap_err().contains("held.json cannot be read"));
    }

    /// Two processes (two handles on one path) changing the records from
    /// many threads at once: every change is kept, none overwritten.
    #[test]
    fn concurrent_writers_keep_each_others_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("held.json");
        let threads: Vec<_> = (0..8u128)
            .map(|t| {
                let f = HeldFile::new(&path);
                std::thread::spawn(move || {
                    for i in 0..10u128 {
                        f.update(|records| {
                            records.push(HeldRecord {
                                computer: format!("Srv{t}"),
                                session: format!("S{i}"),
                                instance_id: uuid::Uuid::from_u128(t * 100 + i),
                                account: "Domain01\\User01".into(),
                                since: Utc::now(),
                                handed_over: false,
                            });
                            true
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let records = HeldFile::new(&path).load().unwrap();
        assert_eq!(records.len(), 80, "no change lost");
        // A change that says it changed nothing writes nothing.
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        HeldFile::new(&path).update(|_| false).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
    }
}
