//! The line editor `baton shell` reads a terminal with: arrows, Home/End,
//! history (Up, Ctrl+R) kept in a file, Tab completion and multi-line input
//! where the parser says the line goes on, as PSReadLine gives PowerShell.
//!
//! It runs on a thread of its own and reads one line when asked, so the
//! main thread keeps watching for signals while the user types, and the
//! terminal is free for a running line's prompts (Read-Host, passwords).
//! The terminal's mode is saved when the editor starts and put back when it
//! is dropped, so a signal that ends the shell mid-line leaves no raw
//! terminal behind.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use crate::cli::complete::{KnownWords, complete};

/// The most lines history keeps (PSReadLine's MaximumHistoryCount).
pub const HISTORY_SIZE: usize = 4096;

/// What one read gave.
pub(super) enum Input {
    /// A whole input: one line, or several when the parser said it went on.
    Line(String),
    /// Ctrl+C: the line being typed is dropped.
    Interrupted,
    /// Ctrl+D on an empty line, or the terminal is gone.
    End,
}

/// Whether a line stays out of history: one the user marks by starting it
/// with a space (as shells do), or one that seems to carry a secret (the
/// words PSReadLine keeps out of its history file).
pub fn keep_out_of_history(line: &str) -> bool {
    const SENSITIVE: [&str; 5] = ["password", "asplaintext", "token", "apikey", "secret"];
    let lower = line.to_ascii_lowercase();
    line.starts_with(' ') || line.trim().is_empty() || SENSITIVE.iter().any(|w| lower.contains(w))
}

struct ShellHelper {
    words: Arc<Mutex<KnownWords>>,
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let words = self
            .words
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(complete(line, pos, &words))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        Ok(match crate::cli::syntax::parse(input) {
            Err(e) if e.is_incomplete_input(input) => ValidationResult::Incomplete,
            // A wrong line is run, so its error is printed as PowerShell prints it.
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Helper for ShellHelper {}

/// The editor's thread and the terminal mode to put back.
pub(super) struct LineEditor {
    want: Option<Sender<String>>,
    lines: Receiver<Input>,
    #[cfg(unix)]
    saved_mode: Option<nix::sys::termios::Termios>,
}

impl LineEditor {
    /// Starts the editor, with history in `history` (created 0600 when
    /// written) and completion from `words`.
    pub(super) fn start(
        history: Option<PathBuf>,
        words: Arc<Mutex<KnownWords>>,
    ) -> Result<LineEditor, String> {
        #[cfg(unix)]
        let saved_mode = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
        let config = Config::builder()
            .history_ignore_space(true)
            .history_ignore_dups(true)
            .map_err(|e| e.to_string())?
            .max_history_size(HISTORY_SIZE)
            .map_err(|e| e.to_string())?
            .completion_type(CompletionType::Circular)
            .auto_add_history(false)
            .build();
        let mut editor: Editor<ShellHelper, DefaultHistory> =
            Editor::with_config(config).map_err(|e| e.to_string())?;
        editor.set_helper(Some(ShellHelper { words }));
        if let Some(path) = &history
            && path.exists()
            && let Err(e) = editor.load_history(path)
        {
            eprintln!(
                "baton: the history file {} could not be read ({e}); starting with an empty history.",
                path.display()
            );
        }
        let (want_tx, want_rx) = mpsc::channel::<String>();
        let (tx, rx) = mpsc::channel::<Input>();
        std::thread::Builder::new()
            .name("baton-line-editor".into())
            .spawn(move || serve(&mut editor, history.as_ref(), &want_rx, &tx))
            .map_err(|e| e.to_string())?;
        Ok(LineEditor {
            want: Some(want_tx),
            lines: rx,
            #[cfg(unix)]
            saved_mode,
        })
    }

    /// Asks for one input after `prompt`; false when the editor is gone.
    pub(super) fn request(&self, prompt: &str) -> bool {
        self.want
            .as_ref()
            .is_some_and(|w| w.send(prompt.to_owned()).is_ok())
    }

    /// The input asked for, when it has come within `timeout`.
    pub(super) fn wait(&self, timeout: Duration) -> Result<Input, RecvTimeoutError> {
        self.lines.recv_timeout(timeout)
    }
}

impl Drop for LineEditor {
    fn drop(&mut self) {
        self.want = None;
        // Put the terminal back as it was, in case the editor still has it
        // raw (the shell ends on a signal while a line is being typed).
        #[cfg(unix)]
        if let Some(mode) = &self.saved_mode {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                mode,
            );
        }
    }
}

fn serve(
    editor: &mut Editor<ShellHelper, DefaultHistory>,
    history: Option<&PathBuf>,
    want: &Receiver<String>,
    tx: &Sender<Input>,
) {
    let mut history_failed = false;
    while let Ok(prompt) = want.recv() {
        let got = match editor.readline(&prompt) {
            Ok(line) => {
                if !keep_out_of_history(&line) && editor.add_history_entry(line.as_str()).is_ok() {
                    save_history(editor, history, &mut history_failed);
                }
                Input::Line(line)
            }
            Err(ReadlineError::Interrupted) => Input::Interrupted,
            Err(_) => Input::End,
        };
        let end = matches!(got, Input::End);
        if tx.send(got).is_err() || end {
            return;
        }
    }
}

/// Appends the new line to the history file (rustyline creates it 0600);
/// a file that cannot be written is said once, and the shell goes on.
fn save_history(
    editor: &mut Editor<ShellHelper, DefaultHistory>,
    path: Option<&PathBuf>,
    failed: &mut bool,
) {
    let Some(path) = path else {
        return;
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(dir);
    }
    let written = editor.append_history(path);
    if let Err(e) = written
        && !*failed
    {
        *failed = true;
        eprintln!(
            "baton: the history file {} cannot be written ({e}); history is kept for this shell only.",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_marked_or_carrying_secrets_stay_out_of_history() {
        assert!(keep_out_of_history(" Get-PSSession"));
        assert!(keep_out_of_history("   "));
        assert!(keep_out_of_history(
            "$p = ConvertTo-SecureString 'x' -AsPlainText -Force"
        ));
        assert!(keep_out_of_history("$env:BATON_PASSWORD = 'x'"));
        assert!(!keep_out_of_history("Get-PSSession -ComputerName Srv1"));
    }
}
