//! The audit trail on disk: an append-only JSON-lines file (one
//! [`ActivityEntry`] per line), rotated to `<file>.1` when it reaches its size
//! limit, reloaded when the console starts.
//!
//! The console never touches the file: the composition root reads it back
//! at start ([`ActivityLog::history`]), and the worker appends what the
//! console records (`Command::RecordActivity`) through an [`ActivityWriter`]
//! it owns, reporting failures as events. Entries hold user names, computers,
//! sessions, options and results, never a password: nothing puts one in an
//! entry.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::model::ActivityEntry;

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
        let mut texts = Vec::new();
        for path in [self.rotated_path(), self.path.clone()] {
            // A file far over the limit (not written by Baton) is read from its tail.
            match read_tail(&path, self.max_bytes.saturating_mul(4)) {
                Ok(Some(t)) => texts.push((path.display().to_string(), t)),
                Ok(None) => {}
                Err(e) => {
                    return Err(format!(
                        "The activity file {} cannot be read: {e}",
                        path.display()
                    ));
                }
            }
        }
        Ok(read_history(
            texts
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        ))
    }

    /// Appends one entry, rotating first when the file would pass its limit.
    pub fn append(&self, entry: &ActivityEntry) -> Result<(), String> {
        let line = entry_line(entry)?;
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

/// One entry as the line appended to the file (JSON, then a line feed).
pub fn entry_line(entry: &ActivityEntry) -> Result<String, String> {
    let mut line = serde_json::to_string(entry)
        .map_err(|e| format!("an activity entry could not be encoded: {e}"))?;
    line.push('\n');
    Ok(line)
}

/// Reads the entries of activity files' texts, oldest file first, each
/// named (`name`) in the report of lines that could not be read: one
/// [`ActivityEntry`] per JSON line, blank lines ignored, unreadable lines
/// skipped and counted in [`LoadedActivity::problem`].
pub fn read_history<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> LoadedActivity {
    let mut loaded = LoadedActivity::default();
    let mut bad = 0usize;
    let mut first_bad: Option<String> = None;
    for (name, text) in files {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<ActivityEntry>(line) {
                Ok(e) => loaded.entries.push(e),
                Err(e) => {
                    bad += 1;
                    first_bad.get_or_insert_with(|| format!("{name} line {}: {e}", n + 1));
                }
            }
        }
    }
    if let Some(first) = first_bad {
        loaded.problem = Some(format!(
            "{bad} line(s) of the activity file could not be read and were skipped (first: {first})"
        ));
    }
    loaded
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

/// What the console shows at start: who is running it, where the file is,
/// and what the file held (or why it could not be read).
#[derive(Debug)]
pub struct ActivityHistory {
    /// The local account running the console (see [`ActivityLog::with_operator`]).
    pub operator: String,
    /// The current file, named in messages.
    pub path: PathBuf,
    /// The entries read back, or why the file could not be read.
    pub loaded: Result<LoadedActivity, String>,
}

impl ActivityLog {
    /// Reads the file back for the console ([`ActivityLog::load`] with the
    /// operator and path the console names in its messages).
    pub fn history(&self) -> ActivityHistory {
        ActivityHistory {
            operator: self.operator.clone(),
            path: self.path.clone(),
            loaded: self.load(),
        }
    }
}

/// Appends entries on a thread of its own, so neither the console nor the
/// worker's tasks wait on the disk. The worker owns it; failures go to the
/// `on_error` callback, once per run of failures (not once per entry).
/// Dropping it writes what is queued, then waits for the thread to end.
pub struct ActivityWriter {
    entries: Option<mpsc::Sender<ActivityEntry>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ActivityWriter {
    /// Starts the writer thread for `log`.
    pub fn start(log: ActivityLog, on_error: impl Fn(String) + Send + 'static) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<ActivityEntry>();
        let thread = std::thread::Builder::new()
            .name("baton-activity".into())
            .spawn(move || {
                let mut reported = false;
                while let Ok(entry) = rx.recv() {
                    match log.append(&entry) {
                        Ok(()) => reported = false,
                        Err(e) if !reported => {
                            reported = true;
                            on_error(e);
                        }
                        Err(_) => {}
                    }
                }
            })?;
        Ok(ActivityWriter {
            entries: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues an entry for the file.
    pub fn record(&self, entry: ActivityEntry) {
        if let Some(tx) = &self.entries {
            let _ = tx.send(entry);
        }
    }
}

impl Drop for ActivityWriter {
    fn drop(&mut self) {
        // Closing the channel ends the thread once the queue is written.
        self.entries = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
    fn the_writer_writes_on_its_thread_reports_failures_once_and_drains_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path().join("a.jsonl"));
        let rec =
            ActivityWriter::start(log.clone(), |e| panic!("unexpected failure: {e}")).unwrap();
        for i in 0..50 {
            rec.record(entry(i));
        }
        // Dropped at once: everything queued is on disk when drop returns.
        drop(rec);
        assert_eq!(log.load().unwrap().entries.len(), 50);

        let bad = dir.path().join("dir.jsonl");
        fs::create_dir(&bad).unwrap();
        let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = errors.clone();
        let rec = ActivityWriter::start(ActivityLog::new(&bad), move |e| {
            seen.lock().unwrap().push(e);
        })
        .unwrap();
        rec.record(entry(1));
        rec.record(entry(2));
        drop(rec);
        let errors = errors.lock().unwrap();
        assert_eq!(
            errors.len(),
            1,
            "one message per run of failures: {errors:?}"
        );
        assert!(errors[0].contains("dir.jsonl"), "{errors:?}");
    }
}
