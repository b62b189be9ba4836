//! `batonw`: how the console is started from the Start menu or Explorer on
//! Windows without a console window beside it.
//!
//! `baton.exe` is a console program, so that `baton -c`, `baton shell` and
//! `baton lab` behave in a terminal as any command-line tool does (the
//! prompt waits for them, Ctrl+C reaches them, their output is piped).
//! Started by a double click, Windows would give it a console window of its
//! own, whose closing kills Baton. `batonw.exe` is a GUI-subsystem program
//! that starts the `baton.exe` beside it with the same arguments and no
//! console window (`CREATE_NO_WINDOW`), then exits; the installer's
//! shortcut points at it. Elsewhere it simply becomes `baton`.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let name = if cfg!(windows) { "baton.exe" } else { "baton" };
    let baton = match std::env::current_exe() {
        Ok(me) => me.with_file_name(name),
        Err(e) => return failed(&format!("cannot find where batonw is: {e}")),
    };
    let mut command = Command::new(&baton);
    command.args(std::env::args_os().skip(1));
    run(command, &baton)
}

#[cfg(windows)]
fn run(mut command: Command, baton: &std::path::Path) -> ExitCode {
    use std::os::windows::process::CommandExt as _;
    /// The child gets no console window (Win32 process creation flag).
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    command.creation_flags(CREATE_NO_WINDOW);
    match command.spawn() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => failed(&format!("{} cannot be started: {e}", baton.display())),
    }
}

#[cfg(unix)]
fn run(mut command: Command, baton: &std::path::Path) -> ExitCode {
    use std::os::unix::process::CommandExt as _;
    // Only returns when the exec failed.
    let e = command.exec();
    failed(&format!("{} cannot be started: {e}", baton.display()))
}

#[cfg(not(any(windows, unix)))]
fn run(mut command: Command, baton: &std::path::Path) -> ExitCode {
    match command.status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => failed(&format!("{} cannot be started: {e}", baton.display())),
    }
}

/// Says what went wrong where a person sees it: a message box (a
/// GUI-subsystem program has no terminal), and standard error.
fn failed(message: &str) -> ExitCode {
    eprintln!("batonw: {message}");
    let _ = rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("Baton")
        .set_description(format!("Baton could not start: {message}"))
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
    ExitCode::FAILURE
}
