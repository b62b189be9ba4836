//! The signals that end a Baton process: Ctrl+C (SIGINT), SIGTERM and
//! SIGHUP, watched on a thread of their own. Neither the command line nor
//! the console exits on the spot: each hands its sessions back first.

/// Which signal arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl+C (SIGINT).
    Interrupt,
    /// SIGTERM: a `kill`, a service manager, a logout.
    Terminate,
    /// SIGHUP: the terminal went away.
    HangUp,
}

impl Signal {
    /// The exit code of a process this signal ended (128 + its number).
    pub fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
            Signal::HangUp => 129,
        }
    }
}

/// Calls `on_signal` for every Ctrl+C, SIGTERM and SIGHUP (SIGTERM and
/// SIGHUP on Unix only), from a thread of its own.
pub fn watch(on_signal: impl Fn(Signal) + Send + 'static) {
    let _ = std::thread::Builder::new()
        .name("baton-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(wait_for_signals(on_signal));
        });
}

#[cfg(unix)]
async fn wait_for_signals(on_signal: impl Fn(Signal)) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        while tokio::signal::ctrl_c().await.is_ok() {
            on_signal(Signal::Interrupt);
        }
        return;
    };
    loop {
        let got = tokio::select! {
            r = tokio::signal::ctrl_c() => match r {
                Ok(()) => Signal::Interrupt,
                Err(_) => return,
            },
            _ = term.recv() => Signal::Terminate,
            _ = hup.recv() => Signal::HangUp,
        };
        on_signal(got);
    }
}

#[cfg(not(unix))]
async fn wait_for_signals(on_signal: impl Fn(Signal)) {
    while tokio::signal::ctrl_c().await.is_ok() {
        on_signal(Signal::Interrupt);
    }
}
