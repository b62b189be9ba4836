//! The audit trail on disk: an append-only JSON-lines file (one
//! [`ActivityEntry`] per line), rotated to `<file>.1` when it reaches its size
//! limit, reloaded when the console starts.
//!
//! The console thread never touches the file after start-up: entries go to a
//! writer thread through a channel, and its failures come back as messages.
//! Entries hold user names, computers, sessions, options and results, never a
//! password: the worker never puts one in an entry.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::bridge::ActivityEntry;

/// The size at which the file is rotated (1 MiB, a few thousand entries).
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;

/// What was read back at start-up.
#[derive(Debug, Default)]
pub struct LoadedActivity {
    /// The entries, oldest first (the rotated file's, then the current one's).
    pub entries: Vec<ActivityEntry>,
    /// Lines that could not be read, with the first one's position and error.
    pub problem: Option<String>,
}

/// The activity file at one path.
#[derive(Clone, Debug)]
pub struct ActivityLog {
    path: PathBuf,
    max_bytes: u64,
    operator: String,
}

impl ActivityLog {
    /// The file at `path`, rotated at [`DEFAULT_MAX_BYTES`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ActivityLog {
            path: path.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            operator: String::new(),
        }
    }

    /// Rotates at `max_bytes` instead (at least 1 KiB).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes.max(1024);
        self
    }

    /// The local account running the console, written as "who" on the
    /// console's own entries (an action's outcome).
    pub fn with_operator(mut self, operator: impl Into<String>) -> Self {
        self.operator = operator.into();
        self
    }

    /// The local account running the console.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rotated (older) file: `<file>.1`.
    pub fn rotated_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".1");
        PathBuf::from(name)
    }

    /// Reads the rotated and the current file. A missing file is empty;
    /// unreadable lines are skipped and reported in [`LoadedActivity::problem`];
    /// a file that cannot be read at all is an error (with its path).
    pub fn load(&self) -> Result<LoadedActivity, String> {
        let mut loaded = LoadedActivity::default();
        let mut bad = 0usize;
        let mut first_bad: Option<String> = None;
        for path in [self.rotated_path(), self.path.clone()] {
            // A file far over the limit (not written by Baton) is read from its tail.
            let text = match read_tail(&path, self.max_bytes.saturating_mul(4)) {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(e) => {
                    return Err(format!(
                        "The activity file {} cannot be read: {e}",
                        path.display()
                    ));
                }
            };
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<ActivityEntry>(line) {
                    Ok(e) => loaded.entries.push(e),
                    Err(e) => {
                        bad += 1;
                        first_bad.get_or_insert_with(|| {
                            format!("{} line {}: {e}", path.display(), n + 1)
                        });
                    }
                }
            }
        }
        if let Some(first) = first_bad {
            loaded.problem = Some(format!(
                "{bad} line(s) of the activity file could not be read and were skipped (first: {first})"
            ));
        }
        Ok(loaded)
    }

    /// Appends one entry, rotating first when the file would pass its limit.
    pub fn append(&self, entry: &ActivityEntry) -> Result<(), String> {
        let mut line = serde_json::to_string(entry)
            .map_err(|e| format!("an activity entry could not be encoded: {e}"))?;
        line.push('\n');
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let size = match fs::metadata(&self.path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            fs::rename(&self.path, self.rotated_path())
                .map_err(|e| format!("{} could not be rotated: {e}", self.path.display()))?;
        }
        let mut f = open_append(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.flush())
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Only the user reads what they did on which computer.
        o.mode(0o600);
    }
    o.open(path)
}

/// The file's text, or its last `limit` bytes from a line start; `None` when missing.
fn read_tail(path: &Path, limit: u64) -> io::Result<Option<String>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let cut = len > limit;
    if cut {
        f.seek(SeekFrom::Start(len - limit))?;
    }
    let mut bytes = Vec::new();
    f.take(limit).read_to_end(&mut bytes)?;
    if cut {
        // Drop the partial first line.
        let start = bytes.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.drain(..start);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Writes entries on its own thread so the console never waits on the disk.
pub struct ActivityRecorder {
    entries: mpsc::Sender<ActivityEntry>,
    errors: mpsc::Receiver<String>,
}

impl ActivityRecorder {
    /// Starts the writer thread for `log`.
    pub fn start(log: ActivityLog) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<ActivityEntry>();
        let (etx, erx) = mpsc::channel();
        std::thread::Builder::new()
            .name("baton-activity".into())
            .spawn(move || {
                let mut reported = false;
                while let Ok(entry) = rx.recv() {
                    match log.append(&entry) {
                        Ok(()) => reported = false,
                        // One message per run of failures, not one per entry.
                        Err(e) if !reported => {
                            reported = true;
                            if etx.send(e).is_err() {
                                return;
                            }
                        }
                        Err(_) => {}
                    }
                }
            })?;
        Ok(ActivityRecorder {
            entries: tx,
            errors: erx,
        })
    }

    /// Queues an entry for the file.
    pub fn record(&self, entry: ActivityEntry) {
        let _ = self.entries.send(entry);
    }

    /// Failures of the writer since the last call.
    pub fn take_errors(&self) -> Vec<String> {
        self.errors.try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn entry(i: usize) -> ActivityEntry {
        ActivityEntry {
            time: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
            user: "Domain01\\User01".into(),
            computer: "Srv1".into(),
            session: Some(format!("ITTask{i}")),
            action: "Disconnect-PSSession".into(),
            options: "-IdleTimeoutSec 3600".into(),
            result: "ok".into(),
        }
    }

    #[test]
    fn appends_reloads_and_rotates_at_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path().join("sub/activity.jsonl")).with_max_bytes(2048);
        assert!(log.load().unwrap().entries.is_empty(), "missing = empty");
        for i in 0..40 {
            log.append(&entry(i)).unwrap();
        }
        let cur = fs::metadata(log.path()).unwrap().len();
        let old = fs::metadata(log.rotated_path()).unwrap().len();
        assert!(cur <= 2048 && old <= 2048, "{cur} {old}");
        let loaded = log.load().unwrap();
        assert!(loaded.problem.is_none());
        let names: Vec<_> = loaded
            .entries
            .iter()
            .filter_map(|e| e.session.clone())
            .collect();
        assert_eq!(names.last().map(String::as_str), Some("ITTask39"));
        assert!(names.len() < 40, "the oldest rotated away");
        assert!(
            names.windows(2).all(|w| {
                let n = |s: &str| s.trim_start_matches("ITTask").parse::<usize>().unwrap();
                n(&w[1]) == n(&w[0]) + 1
            }),
            "oldest first, none lost between the two files: {names:?}"
        );
    }

    #[test]
    fn corrupt_lines_are_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path().join("activity.jsonl"));
        log.append(&entry(1)).unwrap();
        let mut f = open_append(log.path()).unwrap();
        f.write_all(b"{not json\n\xff\xfe garbage\n").unwrap();
        log.append(&entry(2)).unwrap();
        let loaded = log.load().unwrap();
        assert_eq!(loaded.entries.len(), 2);
        let p = loaded.problem.unwrap();
        assert!(
            p.starts_with("2 line(s) of the activity file could not be read"),
            "{p}"
        );
        assert!(p.contains("activity.jsonl line 2"), "{p}");
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: unreadable as a file.
        let path = dir.path().join("activity.jsonl");
        fs::create_dir(&path).unwrap();
        let log = ActivityLog::new(&path);
        let e = log.load().unwrap_err();
        assert!(e.starts_with("The activity file"), "{e}");
        assert!(e.contains("activity.jsonl"), "{e}");
        assert!(log.append(&entry(1)).is_err());
    }

    #[test]
    fn the_recorder_writes_on_its_thread_and_reports_failures_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path().join("a.jsonl"));
        let rec = ActivityRecorder::start(log.clone()).unwrap();
        rec.record(entry(1));
        let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while log.load().unwrap().entries.is_empty() {
            assert!(std::time::Instant::now() < end, "not written");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let bad = dir.path().join("dir.jsonl");
        fs::create_dir(&bad).unwrap();
        let rec = ActivityRecorder::start(ActivityLog::new(&bad)).unwrap();
        rec.record(entry(1));
        rec.record(entry(2));
        let mut errors = Vec::new();
        while errors.is_empty() {
            assert!(std::time::Instant::now() < end, "no error reported");
            errors = rec.take_errors();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        errors.extend(rec.take_errors());
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
