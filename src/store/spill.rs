//! The console's spill files: the whole output of each command, written as
//! it arrives, so the console keeps only the newest lines in memory and can
//! still save every line.
//!
//! One private folder per console (`output-<pid>-<n>`, mode 0700) in the
//! runtime directory (`$XDG_RUNTIME_DIR/baton`, else the system's temporary
//! folder), one file per command. One thread of its own writes them, in the
//! order the lines were handed over, and answers "Save output…" there too, so
//! a save sees every line handed over before it. A session's files go when
//! its output is forgotten, and the folder goes when the spill is dropped;
//! folders left by a process that died are removed by the next one.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use uuid::Uuid;

/// At most this many spill files are open at once (the others are reopened
/// to append when more output comes).
const MAX_OPEN: usize = 64;

/// What a finished save wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    /// The file written.
    pub path: PathBuf,
    /// Lines written (each item handed over counts as one).
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// The answer to a save: what it wrote, or why it failed (in words).
pub type SaveResult = Result<Saved, String>;

type Key = (Uuid, Uuid);

enum Job {
    Append {
        key: Key,
        lines: Vec<String>,
    },
    Save {
        key: Key,
        dest: PathBuf,
        reply: mpsc::Sender<SaveResult>,
    },
    Forget {
        instance_id: Uuid,
    },
}

/// The spill folder of this process and its writer thread.
pub struct OutputSpill {
    dir: PathBuf,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Bytes of lines handed over and not yet written.
    backlog: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for OutputSpill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSpill")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The folder that holds the processes' spill folders by default.
pub fn default_parent() -> PathBuf {
    directories::ProjectDirs::from("", "", "baton")
        .and_then(|d| d.runtime_dir().map(Path::to_path_buf))
        .unwrap_or_else(|| std::env::temp_dir().join(user_folder_name()))
}

fn user_folder_name() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let user: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("baton-{user}")
}

fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Removes the spill folders of processes that no longer run (Linux: by
/// `/proc`; elsewhere nothing is known to be dead, nothing is removed).
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("output-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && process_gone(pid) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn process_gone(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

fn file_name(key: Key) -> String {
    format!("{}-{}.txt", key.0, key.1)
}

impl OutputSpill {
    /// A spill folder for this process under `parent` (the default parent
    /// when `None`), and its writer thread.
    ///
    /// # Errors
    /// When the folder cannot be made or the thread cannot start.
    pub fn create(parent: Option<&Path>) -> io::Result<Self> {
        let parent = parent.map_or_else(default_parent, Path::to_path_buf);
        private_dir(&parent)?;
        remove_stale(&parent);
        // Two consoles in one process (tests) keep apart.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = parent.join(format!("output-{}-{n}", std::process::id()));
        private_dir(&dir)?;
        let (tx, rx) = mpsc::channel();
        let writer_dir = dir.clone();
        let backlog = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let written = std::sync::Arc::clone(&backlog);
        let writer = std::thread::Builder::new()
            .name("baton-output-spill".into())
            .spawn(move || Writer::new(writer_dir).run(&rx, &written))?;
        Ok(OutputSpill {
            dir,
            jobs: Some(tx),
            writer: Some(writer),
            backlog,
        })
    }

    /// This process's spill folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(job);
        }
    }

    /// Bytes of lines handed to [`OutputSpill::append`] that the writer has
    /// not written yet: the console takes no more output from the worker
    /// while this is large, so a fast command waits at the server instead of
    /// in memory here. Zero once the writer has stopped (it panicked): what
    /// it left unwritten will never be, and nobody should wait for it.
    pub fn backlog(&self) -> usize {
        if self
            .writer
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
        {
            return 0;
        }
        self.backlog.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Appends lines to a command's file (each ends with a line feed).
    pub fn append(&self, instance_id: Uuid, command_id: Uuid, lines: Vec<String>) {
        if !lines.is_empty() {
            self.backlog
                .fetch_add(lines_bytes(&lines), std::sync::atomic::Ordering::AcqRel);
            self.send(Job::Append {
                key: (instance_id, command_id),
                lines,
            });
        }
    }

    /// Copies everything handed over for a command so far to `dest`, written
    /// atomically (a temporary file beside it, then renamed). The answer
    /// arrives on the receiver once written.
    pub fn save(
        &self,
        instance_id: Uuid,
        command_id: Uuid,
        dest: PathBuf,
    ) -> mpsc::Receiver<SaveResult> {
        let (reply, rx) = mpsc::channel();
        if let Some(tx) = &self.jobs {
            let job = Job::Save {
                key: (instance_id, command_id),
                dest,
                reply,
            };
            if let Err(mpsc::SendError(Job::Save { reply, .. })) = tx.send(job) {
                let _ = reply.send(Err("the output spill has stopped".into()));
            }
        }
        rx
    }

    /// Removes the files of every command of a session.
    pub fn forget_session(&self, instance_id: Uuid) {
        self.send(Job::Forget { instance_id });
    }
}

impl Drop for OutputSpill {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn lines_bytes(lines: &[String]) -> usize {
    lines.iter().map(|l| l.len() + 1).sum()
}

/// The writer thread's state: open files and line counts.
struct Writer {
    dir: PathBuf,
    open: HashMap<Key, BufWriter<File>>,
    lines: HashMap<Key, u64>,
    /// The first failure, reported by the next save (the spill is incomplete).
    failed: HashMap<Key, String>,
}

impl Writer {
    fn new(dir: PathBuf) -> Self {
        Writer {
            dir,
            open: HashMap::new(),
            lines: HashMap::new(),
            failed: HashMap::new(),
        }
    }

    fn run(mut self, jobs: &mpsc::Receiver<Job>, backlog: &std::sync::atomic::AtomicUsize) {
        for job in jobs {
            match job {
                Job::Append { key, lines } => {
                    if let Err(e) = self.append(key, &lines) {
                        self.failed.entry(key).or_insert_with(|| e.to_string());
                    }
                    let n = lines_bytes(&lines);
                    drop(lines);
                    backlog.fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
                }
                Job::Save { key, dest, reply } => {
                    let _ = reply.send(self.save(key, &dest));
                }
                Job::Forget { instance_id } => self.forget(instance_id),
            }
        }
        for (_, mut f) in self.open.drain() {
            let _ = f.flush();
        }
    }

    fn path(&self, key: Key) -> PathBuf {
        self.dir.join(file_name(key))
    }

    fn append(&mut self, key: Key, lines: &[String]) -> io::Result<()> {
        if !self.open.contains_key(&key) {
            if self.open.len() >= MAX_OPEN
                && let Some(k) = self.open.keys().next().copied()
                && let Some(mut f) = self.open.remove(&k)
            {
                f.flush()?;
            }
            let mut options = fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let file = options.open(self.path(key))?;
            self.open
                .insert(key, BufWriter::with_capacity(256 * 1024, file));
        }
        let Some(f) = self.open.get_mut(&key) else {
            return Ok(());
        };
        for line in lines {
            f.write_all(line.as_bytes())?;
            f.write_all(b"\n")?;
        }
        *self.lines.entry(key).or_default() += lines.len() as u64;
        Ok(())
    }

    fn save(&mut self, key: Key, dest: &Path) -> SaveResult {
        if let Some(e) = self.failed.get(&key) {
            return Err(format!(
                "the output could not all be kept on disk while it arrived ({e}), so it cannot be saved whole"
            ));
        }
        if let Some(f) = self.open.get_mut(&key) {
            f.flush()
                .map_err(|e| format!("cannot write the spill file: {e}"))?;
        }
        let bytes = copy_atomically(&self.path(key), dest)
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        Ok(Saved {
            path: dest.to_path_buf(),
            lines: self.lines.get(&key).copied().unwrap_or(0),
            bytes,
        })
    }

    fn forget(&mut self, instance_id: Uuid) {
        self.open.retain(|k, _| k.0 != instance_id);
        self.lines.retain(|k, _| k.0 != instance_id);
        self.failed.retain(|k, _| k.0 != instance_id);
        let prefix = format!("{instance_id}-");
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                if e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix))
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Copies `from` (nothing when it does not exist) to a temporary file beside
/// `dest`, flushes it to disk and renames it over `dest`. Returns the bytes.
fn copy_atomically(from: &Path, dest: &Path) -> io::Result<u64> {
    let name = dest
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dest.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = copy_to(from, &tmp).and_then(|bytes| {
        fs::rename(&tmp, dest)?;
        Ok(bytes)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Copies `from` (nothing when it does not exist) to a new file `to`, on disk.
fn copy_to(from: &Path, to: &Path) -> io::Result<u64> {
    let mut out = File::create(to)?;
    let bytes = match File::open(from) {
        Ok(mut src) => io::copy(&mut src, &mut out)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    out.sync_all()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_every_line_in_order_and_forgets_a_session() {
        let parent = tempfile::tempdir().unwrap();
        let spill = OutputSpill::create(Some(parent.path())).unwrap();
        let (s, c) = (Uuid::new_v4(), Uuid::new_v4());
        for chunk in 0..3 {
            spill.append(s, c, (0..4).map(|i| format!("line {chunk}.{i}")).collect());
        }
        assert!(spill.backlog() <= 3 * 4 * "line 0.0\n".len());
        let dest = parent.path().join("saved.txt");
        let saved = spill.save(s, c, dest.clone()).recv().unwrap().unwrap();
        // Jobs run in order: once the save answered, every line was written
        // and nothing is left in the backlog.
        assert_eq!(spill.backlog(), 0);
        assert_eq!(saved.lines, 12);
        let text = fs::read_to_string(&dest).unwrap();
        let want: String = (0..3)
            .flat_map(|c| (0..4).map(move |i| format!("line {c}.{i}\n")))
            .collect();
        assert_eq!(text, want);
        assert_eq!(saved.bytes, want.len() as u64);
        assert!(spill.dir().join(file_name((s, c))).exists());
        spill.forget_session(s);
        // A save after forgetting is ordered after it: an empty file.
        let again = spill.save(s, c, dest.clone()).recv().unwrap().unwrap();
        assert_eq!(again.bytes, 0);
        assert!(!spill.dir().join(file_name((s, c))).exists());
        let dir = spill.dir().to_path_buf();
        drop(spill);
        assert!(!dir.exists(), "the folder goes with the spill");
    }

    #[test]
    fn many_commands_reopen_their_files() {
        let parent = tempfile::tempdir().unwrap();
        let spill = OutputSpill::create(Some(parent.path())).unwrap();
        let s = Uuid::new_v4();
        let cmds: Vec<Uuid> = (0..MAX_OPEN * 2 + 3).map(|_| Uuid::new_v4()).collect();
        for round in 0..2 {
            for c in &cmds {
                spill.append(s, *c, vec![format!("{round}")]);
            }
        }
        let dest = parent.path().join("one.txt");
        spill
            .save(s, cmds[0], dest.clone())
            .recv()
            .unwrap()
            .unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "0\n1\n");
    }
}
