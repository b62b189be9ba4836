//! The `baton` executable: the console (default), the cmdlet-syntax command
//! line (`-c`, `shell`), and the lab endpoint (`lab`).

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use baton::app;
use baton::bridge::WorkerHandle;
use baton::lab::{LabConfig, Ports};
use baton::worker::{self, WorkerConfig};

/// What happens to held sessions when a `baton -c` line, `baton shell` or the
/// console ends, and Baton's `Remove-PSSession -Force`.
const EXIT_HELP: &str = "\
When baton ends (the -c line is done, the shell reads end of input or exit, or it gets SIGTERM, SIGHUP or a second Ctrl+C), it hands back every session it holds: a session it created with nothing running in it is closed, as PowerShell closes the sessions of a host that exits; a session it connected to (Connect-PSSession, Receive-PSSession), or one with a command still running, is disconnected with its IdleTimeout and OutputBufferingMode, so the work goes on and anyone with its credentials can connect to it. One line per session says which, on standard error.

Remove-PSSession -Force (a Baton extension, not PowerShell's): deletes a session that another client holds (Availability Busy) as its owner. Use it when that client is gone (it crashed, was killed, or its computer was lost) and the session would otherwise stay Busy until the server notices; whatever runs in the session stops. Without -Force, a Busy session is refused.";

/// A console for PowerShell remote sessions on Windows computers.
#[derive(Parser, Debug)]
#[command(name = "baton", version, about, after_long_help = EXIT_HELP)]
struct Cli {
    /// Print each result object as JSON, one document per line.
    #[arg(long, global = true)]
    json: bool,
    /// Run one line of PowerShell cmdlet syntax and exit.
    #[arg(short = 'c', value_name = "LINE")]
    command: Option<String>,
    /// Open the console on the lab endpoint's demo computers, whatever the profiles.
    #[arg(long)]
    demo: bool,
    /// How the console draws its window: glow (OpenGL 2+), wgpu (Vulkan or OpenGL ES on Linux, Direct3D 12 on Windows, also over Remote Desktop and without a GPU driver, Metal on macOS), or auto: glow, and wgpu when no OpenGL context can be made. Default: the BATON_RENDERER environment variable, else auto.
    #[arg(long, value_name = "RENDERER", value_parser = ["auto", "glow", "wgpu"], hide_possible_values = true)]
    renderer: Option<String>,
    #[command(subcommand)]
    mode: Option<Mode>,
}

#[derive(Subcommand, Debug)]
enum ProfileCmd {
    /// List the saved computers with their effective connection.
    List,
    /// Add a computer.
    Add {
        /// The name you type (`-ComputerName NAME`) and see.
        name: String,
        /// Group path, e.g. `Datacenter/Web` (created when missing).
        #[arg(long)]
        group: Option<String>,
        /// Host name or address (default: the name).
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        /// HTTPS (port 5986 unless --port).
        #[arg(long)]
        use_ssl: bool,
        /// Session configuration (default Microsoft.PowerShell).
        #[arg(long)]
        configuration: Option<String>,
        /// Default, Basic, Negotiate, Kerberos, …
        #[arg(long)]
        authentication: Option<String>,
        /// The user to connect as, DOMAIN\user (save its password with `baton credential add`).
        #[arg(long)]
        user: Option<String>,
    },
    /// Remove every computer with this name.
    Remove { name: String },
    /// Import computers: a Baton export, mRemoteNG confCons.xml, RDCMan .rdg, Remote Desktop Manager .rdm, Royal TS RoyalJSON, or a host list.
    Import {
        file: PathBuf,
        /// baton, mremoteng, rdcman, rdm, royaljson or hosts (guessed from the extension and content when absent).
        #[arg(long)]
        format: Option<String>,
        /// Group name for imports that have none (host lists, RoyalJSON).
        #[arg(long)]
        group: Option<String>,
    },
    /// Export the whole tree, or one group, to a file.
    Export {
        file: PathBuf,
        #[arg(long)]
        group: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum CredentialCmd {
    /// Save a password in the OS keyring (read from a prompt or from standard input, never an argument).
    Add {
        /// DOMAIN\user or user@domain.
        user: String,
        /// Use it for this computer of the profiles.
        #[arg(long)]
        computer: Option<String>,
    },
    /// Remove a saved credential, by entry id or user name.
    Remove { which: String },
    /// List saved credentials (user names and entry ids only).
    List,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Manage connection profiles.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Manage saved credentials.
    #[command(subcommand)]
    Credential(CredentialCmd),
    /// Read cmdlet lines from standard input, keeping sessions and variables like a PowerShell console.
    #[command(after_long_help = EXIT_HELP)]
    Shell,
    /// Run the lab endpoint: emulated Windows computers on loopback.
    Lab {
        /// A lab file (TOML); default: the built-in demo (Srv1, Srv2, Srv30).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Users file: lines `DOMAIN\name:password` (replaces the lab file's users).
        #[arg(long, value_name = "FILE")]
        users: Option<PathBuf>,
        /// Add a user, `DOMAIN\name:password` (repeatable).
        #[arg(long, value_name = "DOMAIN\\NAME:PASSWORD")]
        user: Vec<String>,
        /// Listen on 127.0.0.1 with free ports instead of the lab file's addresses.
        #[arg(long)]
        ephemeral_ports: bool,
        /// Accept Basic authentication (off by default, as on Windows).
        #[arg(long)]
        basic: bool,
        /// Accept unencrypted HTTP bodies (AllowUnencrypted; off by default, as on Windows).
        #[arg(long)]
        allow_unencrypted: bool,
        /// Listen with HTTPS and a self-signed certificate (clients need SkipCACheck or to trust it).
        #[arg(long)]
        https: bool,
        /// Accept CredSSP on every computer (Enable-WSManCredSSP -Role Server; off by default, as on Windows).
        #[arg(long)]
        credssp: bool,
        /// Run the lab clock this many times faster (idle timeouts in seconds).
        #[arg(long, value_name = "FACTOR")]
        time_scale: Option<f64>,
        /// Do not write the lab's computers into the profile file.
        #[arg(long)]
        no_profiles: bool,
        /// Bind the lab file's addresses even when they are not loopback. The
        /// lab's passwords are public: anyone who reaches these addresses can
        /// sign in.
        #[arg(long)]
        allow_remote: bool,
    },
}

/// Diagnostic logs go to stderr only when `BATON_LOG` asks for them
/// (`BATON_LOG=warn`, `BATON_LOG=baton::wire=trace`): what a user must know
/// reaches them as messages, never as raw log lines.
fn init_tracing() {
    let Some(wanted) = std::env::var_os("BATON_LOG") else {
        return;
    };
    let filter = match tracing_subscriber::EnvFilter::try_from_env("BATON_LOG") {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "baton: BATON_LOG={} is not a log filter ({e}); no logs are written.",
                wanted.to_string_lossy()
            );
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let times = app::StartupTimes::from_env();
    times.mark("main entered");
    init_tracing();
    let cli = Cli::parse_from(launch_args(std::env::args_os()));
    match cli.mode {
        Some(Mode::Lab {
            config,
            users,
            user,
            ephemeral_ports,
            basic,
            allow_unencrypted,
            https,
            credssp,
            time_scale,
            no_profiles,
            allow_remote,
        }) => lab_mode(
            config,
            users,
            user,
            ephemeral_ports,
            (basic, allow_unencrypted, https, credssp, allow_remote),
            time_scale,
            no_profiles,
        ),
        Some(Mode::Profile(cmd)) => profile_mode(cmd),
        Some(Mode::Credential(cmd)) => credential_mode(cmd),
        Some(Mode::Shell) => ExitCode::from(exit(command_line(cli.json, None, true))),
        None if cli.command.is_some() => {
            ExitCode::from(exit(command_line(cli.json, cli.command, false)))
        }
        None => match renderer_choice(cli.renderer.as_deref()) {
            Ok(renderer) => gui(cli.demo, renderer, times),
            Err(e) => {
                eprintln!("baton: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// `baton -c` and `baton shell`: the profiles, the credential store and
/// the worker, composed here as for the console, then the command line.
fn command_line(json: bool, command: Option<String>, shell: bool) -> i32 {
    let mut stderr = std::io::stderr();
    let tree = baton::cli::exec::load_profiles(
        baton::cli::exec::profiles_path(std::env::var_os("BATON_PROFILES")),
        &mut stderr,
    );
    let chosen = baton::store::credentials::choose_store();
    let saved = chosen
        .store
        .list()
        .map(|l| l.into_iter().map(|c| (c.id, c.user)).collect())
        .unwrap_or_default();
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    let config = WorkerConfig {
        credentials: Some(chosen.store.clone()),
        // The sessions a `baton shell` holds or hands over are kept as the
        // console's are, so the console's Reconnect… after an outage (or
        // after this process was killed) lists them too.
        held: app::held_file(),
        ..WorkerConfig::default()
    };
    let thread = match worker::spawn(side, config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("baton: the background worker cannot start: {e}");
            return 1;
        }
    };
    let code = baton::cli::run_cli(handle, tree, saved, json, command, shell);
    let _ = thread.join();
    code
}

fn report(r: Result<String, String>) -> ExitCode {
    match r {
        Ok(msg) => {
            if !msg.is_empty() {
                println!("{msg}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("baton: {e}");
            ExitCode::from(1)
        }
    }
}

fn profile_mode(cmd: ProfileCmd) -> ExitCode {
    use baton::cli::admin;
    let store = match app::profile_store() {
        Ok(s) => s,
        Err(e) => return report(Err(e.to_string())),
    };
    report(match cmd {
        ProfileCmd::List => {
            admin::profile_list(&store, &mut std::io::stdout()).map(|()| String::new())
        }
        ProfileCmd::Add {
            name,
            group,
            host,
            port,
            use_ssl,
            configuration,
            authentication,
            user,
        } => admin::profile_add(
            &store,
            &admin::NewComputer {
                name,
                group,
                host,
                port,
                use_ssl,
                configuration,
                authentication,
                user,
            },
        ),
        ProfileCmd::Remove { name } => admin::profile_remove(&store, &name),
        ProfileCmd::Import {
            file,
            format,
            group,
        } => admin::profile_import(&store, &file, format.as_deref(), group.as_deref()),
        ProfileCmd::Export { file, group } => {
            admin::profile_export(&store, &file, group.as_deref())
        }
    })
}

fn credential_mode(cmd: CredentialCmd) -> ExitCode {
    use baton::cli::admin;
    let chosen = baton::store::credentials::choose_store();
    if let Some(u) = &chosen.unavailable {
        eprintln!("baton: {u}");
        if !matches!(cmd, CredentialCmd::List) {
            return report(Err(
                "nothing was saved: without an OS keyring Baton keeps passwords in memory only, never in a file".into(),
            ));
        }
    }
    let store = chosen.store.as_ref();
    report(match cmd {
        CredentialCmd::List => {
            admin::credential_list(store, &mut std::io::stdout()).map(|()| String::new())
        }
        CredentialCmd::Remove { which } => admin::credential_remove(store, &which),
        CredentialCmd::Add { user, computer } => {
            match admin::read_secret(&format!("Password for {user}")) {
                Ok(secret) => match app::profile_store() {
                    Ok(profiles) => {
                        admin::credential_add(store, &profiles, &user, &secret, computer.as_deref())
                    }
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e),
            }
        }
    })
}

fn exit(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

#[allow(clippy::too_many_arguments)]
fn lab_mode(
    config: Option<PathBuf>,
    users: Option<PathBuf>,
    user: Vec<String>,
    ephemeral: bool,
    (basic, allow_unencrypted, https, credssp, allow_remote): (bool, bool, bool, bool, bool),
    time_scale: Option<f64>,
    no_profiles: bool,
) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("baton lab: {msg}");
        ExitCode::from(2)
    };
    let mut cfg = match config {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => match LabConfig::from_toml(&text) {
                Ok(c) => c,
                Err(e) => return fail(format!("{}: {e}", path.display())),
            },
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        },
        None => LabConfig::demo(),
    };
    let mut extra = Vec::new();
    if let Some(path) = users {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                cfg.users.clear();
                extra.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                        .map(str::to_owned),
                );
            }
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        }
    }
    if !user.is_empty() {
        eprintln!(
            "baton lab: a password given with --user is on the command line, where other users of this computer can read it (ps); put lab users in a file instead (--users FILE)"
        );
    }
    extra.extend(user);
    for u in extra {
        let Some((name, password)) = u.split_once(':') else {
            return fail(format!("user {u:?} must be written DOMAIN\\name:password"));
        };
        if !name.contains('\\') || password.is_empty() {
            return fail(format!(
                "user {name:?} must be written DOMAIN\\name:password"
            ));
        }
        cfg.users.push(baton::lab::config::UserConfig {
            name: name.to_owned(),
            password: password.to_owned(),
            admin: false,
            role: String::new(),
        });
    }
    if allow_remote {
        cfg.allow_remote = true;
        eprintln!(
            "baton lab: --allow-remote: the lab's computers listen beyond loopback, and the lab's passwords are public; anyone who reaches them can sign in"
        );
    }
    cfg.basic |= basic;
    cfg.allow_unencrypted |= allow_unencrypted;
    cfg.https |= https;
    if credssp {
        for c in &mut cfg.computers {
            c.credssp = true;
        }
    }
    if let Some(t) = time_scale {
        if !(t.is_finite() && t > 0.0) {
            return fail("--time-scale must be a positive number".into());
        }
        cfg.time_scale = t;
    }
    let profiles = if no_profiles {
        None
    } else {
        match app::profile_store() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "baton lab: the profile file is not available ({e}); continuing without it"
                );
                None
            }
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(e.to_string()),
    };
    let ports = if ephemeral {
        Ports::Ephemeral
    } else {
        Ports::Configured
    };
    match rt.block_on(app::run_lab(cfg, ports, profiles)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// `--renderer`, else `BATON_RENDERER`, else auto.
fn renderer_choice(arg: Option<&str>) -> Result<app::RendererChoice, String> {
    let from_env = std::env::var("BATON_RENDERER")
        .ok()
        .filter(|v| !v.is_empty());
    match arg.map(str::to_owned).or(from_env) {
        None => Ok(app::RendererChoice::Auto),
        Some(name) => app::RendererChoice::from_name(&name).ok_or_else(|| {
            format!("BATON_RENDERER={name} is not a renderer; use auto, glow or wgpu")
        }),
    }
}

fn gui(demo: bool, renderer: app::RendererChoice, times: app::StartupTimes) -> ExitCode {
    times.mark("arguments parsed");
    let (tree, profile_error) = app::load_profiles();
    times.mark("profiles loaded");
    if let Some(e) = &profile_error {
        eprintln!("baton: the profile file could not be read ({e}); it was left untouched");
    }
    let inventory = app::inventory(&tree);
    // What the window does not need in order to appear starts on threads of
    // its own while the window and its drawing context are made: the demo
    // lab (first run, or --demo), the keyring's probe and the activity file.
    // The console is built from them before its first frame.
    let lab = (demo || inventory.is_empty()).then(|| {
        std::thread::spawn(move || {
            let lab = start_demo_lab();
            times.mark("demo lab up (its thread)");
            lab
        })
    });
    let keyring = std::thread::spawn(move || {
        let chosen = baton::store::credentials::choose_store();
        let saved: Vec<(String, String)> = chosen
            .store
            .list()
            .map(|l| l.into_iter().map(|c| (c.id, c.user)).collect())
            .unwrap_or_default();
        times.mark("keyring answered (thread)");
        let activity = app::activity_log();
        let history = activity
            .as_ref()
            .map(baton::store::activity::ActivityLog::history);
        (chosen, saved, activity, history)
    });
    let ctx = egui::Context::default();
    let terminate = terminate_flag(&ctx);
    // The worker's thread and the demo lab, kept until the window is gone.
    let running: Rc<RefCell<Option<Running>>> = Rc::default();
    let keep = Rc::clone(&running);
    let waker_ctx = ctx.clone();
    let make = move || {
        let mut inventory = inventory;
        let mut lab_accounts = Vec::new();
        let demo_lab = match lab.map(std::thread::JoinHandle::join) {
            Some(Ok(Ok(demo))) => {
                inventory = app::demo_inventory(&demo.running);
                lab_accounts.clone_from(&demo.accounts);
                Some(demo)
            }
            Some(Ok(Err(e))) => {
                eprintln!("baton: the demo lab could not start: {e}");
                None
            }
            Some(Err(_)) => {
                eprintln!("baton: the demo lab could not start");
                None
            }
            None => None,
        };
        times.mark("demo lab started");
        let (chosen, saved, activity, history) = keyring
            .join()
            .map_err(|_| "the keyring probe failed".to_owned())?;
        if let Some(u) = &chosen.unavailable {
            eprintln!("baton: {u}");
        }
        times.mark("keyring probed");
        let (handle, side) = WorkerHandle::pair(baton::ui::waker_for(&waker_ctx));
        let config = WorkerConfig {
            credentials: Some(Arc::clone(&chosen.store)),
            // The worker appends the Activity pane's entries to its file.
            activity,
            // …and keeps the sessions held or handed over, for Reconnect….
            held: app::held_file(),
            // The worker runs the profile editor's saves, imports and exports.
            profiles: if profile_error.is_none() {
                app::profile_store().ok()
            } else {
                None
            },
            ..WorkerConfig::default()
        };
        let worker_thread = worker::spawn(side, config)
            .map_err(|e| format!("the background worker could not start: {e}"))?;
        *keep.borrow_mut() = Some((worker_thread, demo_lab));
        // Open on the truth: list every computer's sessions at once.
        let computers: Vec<_> = inventory
            .iter()
            .flat_map(|g| {
                g.computers
                    .iter()
                    .map(baton::ui::ComputerNode::computer_ref)
            })
            .collect();
        if !computers.is_empty() {
            handle.send(baton::bridge::Command::ListSessions {
                op: handle.next_op(),
                computers,
                names: Vec::new(),
                throttle_limit: 32,
            });
        }
        times.mark("worker started");
        let options = baton::ui::RunOptions {
            terminate: Some(terminate),
            activity: history,
            saved_credentials: saved,
            // Passwords go to the keyring through the worker (SaveCredential).
            keyring: true,
            lab_accounts,
            profiles: if profile_error.is_none() {
                app::profile_store().ok().map(|s| (s, tree))
            } else {
                None
            },
        };
        Ok(app::ConsoleParts {
            handle,
            inventory,
            options,
        })
    };
    let shown = app::run_console(Box::new(make), ctx, renderer, times);
    // The window is gone and with it the worker's command channel: the
    // worker writes the last activity entries and ends; the demo lab stops
    // after it.
    if let Some((worker_thread, _lab)) = running.borrow_mut().take() {
        join_for(worker_thread, Duration::from_secs(10));
    }
    match shown {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton: the window could not open: {e}");
            eprintln!("{}", app::no_window_hint());
            ExitCode::from(1)
        }
    }
}

/// The console's worker thread and the demo lab it may talk to.
type Running = (std::thread::JoinHandle<()>, Option<DemoLab>);

/// The demo lab, in process but over real loopback HTTP with NTLM, exactly
/// as a Windows server, with its runtime and its accounts for the banner.
struct DemoLab {
    running: baton::lab::RunningLab,
    accounts: Vec<(String, String, String)>,
    _rt: tokio::runtime::Runtime,
}

fn start_demo_lab() -> Result<DemoLab, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("baton-lab")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let config = LabConfig::demo();
    let running = rt.block_on(baton::lab::start(&config, Ports::Ephemeral))?;
    let accounts = config
        .users
        .into_iter()
        .map(|u| (u.name, u.role, u.password))
        .collect();
    Ok(DemoLab {
        running,
        accounts,
        _rt: rt,
    })
}

/// The command line without what a desktop adds to it: macOS's Finder may
/// start an app with `-psn_0_NNN` (its process serial number), which is no
/// option of Baton's and must not stop it from starting.
fn launch_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    args.into_iter()
        .filter(|a| !a.to_string_lossy().starts_with("-psn_"))
        .collect()
}

/// Waits for `thread` to end, at most `limit` (a window system that keeps
/// the app alive must not keep the process from exiting).
fn join_for(thread: std::thread::JoinHandle<()>, limit: Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = thread.join();
        let _ = tx.send(());
    });
    if rx.recv_timeout(limit).is_ok() {
        let _ = waiter.join();
    }
}

/// A flag set on SIGTERM, SIGHUP or Ctrl+C in the terminal that started it
/// (the session manager logging out, a `kill`): the console then hands its
/// sessions back and closes, as when its window is closed, without asking.
fn terminate_flag(ctx: &egui::Context) -> Arc<std::sync::atomic::AtomicBool> {
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (f, ctx) = (flag.clone(), ctx.clone());
    baton::cli::signals::watch(move |_| {
        f.store(true, std::sync::atomic::Ordering::SeqCst);
        ctx.request_repaint();
    });
    flag
}

/// The manual pages in `installer/linux/man/` are generated from this clap
/// definition; this test fails when they drift from it. Regenerate them with
/// `BATON_WRITE_MAN=1 cargo test --bin baton man_pages`.
#[cfg(test)]
mod man_pages {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use clap::CommandFactory;

    const METAINFO: &str = "installer/linux/org.batonconsole.Baton.metainfo.xml";

    /// The newest `<release version=… date=…>` of the AppStream metadata.
    fn newest_release(metainfo: &str) -> (String, String) {
        let start = metainfo.find("<release ").expect("a <release> element");
        let tag = &metainfo[start..];
        let tag = &tag[..tag.find('>').expect("end of <release>")];
        let attr = |name: &str| {
            let at = tag.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
            tag[at..at + tag[at..].find('"').expect("closing quote")].to_owned()
        };
        (attr("version"), attr("date"))
    }

    /// Every page clap_mangen writes for the command and its visible subcommands.
    fn render(date: &str) -> BTreeMap<String, String> {
        fn walk(cmd: &clap::Command, date: &str, pages: &mut BTreeMap<String, String>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                walk(sub, date, pages);
            }
            let man = clap_mangen::Man::new(cmd.clone())
                .date(date)
                .source(format!("baton {}", env!("CARGO_PKG_VERSION")))
                .manual("User Commands");
            let mut text = Vec::new();
            man.render(&mut text).expect("render a page");
            pages.insert(
                man.get_filename(),
                String::from_utf8(text).expect("UTF-8 page"),
            );
        }
        let mut cmd = super::Cli::command().disable_help_subcommand(true);
        cmd.build();
        let mut pages = BTreeMap::new();
        walk(&cmd, date, &mut pages);
        // The cmdlets' reference, from the same text as Get-Help.
        pages.insert(
            "baton-cmdlets.7".to_owned(),
            baton::cli::help::man_page(date),
        );
        pages
    }

    fn pages_in(dir: &Path) -> BTreeMap<String, String> {
        let mut pages = BTreeMap::new();
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|x| x == "1" || x == "7") {
                let name = path
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path).expect("man page text");
                pages.insert(name, text);
            }
        }
        pages
    }

    #[test]
    fn metainfo_names_this_release() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let metainfo = std::fs::read_to_string(root.join(METAINFO)).expect("metainfo");
        let (version, date) = newest_release(&metainfo);
        assert_eq!(
            version,
            env!("CARGO_PKG_VERSION"),
            "the newest <release> of {METAINFO} is not the crate's version"
        );
        assert!(
            date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
            "release date {date:?} is not YYYY-MM-DD"
        );
    }

    #[test]
    fn man_pages_match_the_cli() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let committed_dir = root.join("installer/linux/man");
        let metainfo = std::fs::read_to_string(root.join(METAINFO)).expect("metainfo");
        let (_, date) = newest_release(&metainfo);
        let generated = render(&date);
        for page in [
            "baton.1",
            "baton-shell.1",
            "baton-lab.1",
            "baton-profile-add.1",
            "baton-credential-add.1",
        ] {
            assert!(
                generated.contains_key(page),
                "no {page} in {:?}",
                generated.keys()
            );
        }
        let top = &generated["baton.1"];
        for option in [
            "\\-c",
            "\\-\\-json",
            "\\-\\-demo",
            "\\-\\-version",
            "baton\\-lab(1)",
        ] {
            assert!(top.contains(option), "baton.1 does not mention {option}");
        }
        if std::env::var_os("BATON_WRITE_MAN").is_some() {
            std::fs::create_dir_all(&committed_dir).expect("man directory");
            for old in pages_in(&committed_dir).keys() {
                std::fs::remove_file(committed_dir.join(old)).expect("remove an old page");
            }
            for (name, text) in &generated {
                std::fs::write(committed_dir.join(name), text).expect("write a page");
            }
        }
        // Git for Windows would check the pages out with CRLF and this
        // comparison would fail: .gitattributes keeps them as committed.
        let attributes =
            std::fs::read_to_string(root.join(".gitattributes")).expect(".gitattributes");
        assert!(
            attributes
                .lines()
                .any(|l| l.trim() == "installer/linux/man/* text eol=lf"),
            ".gitattributes must keep the man pages' line ends"
        );
        let committed = pages_in(&committed_dir);
        assert_eq!(
            committed.keys().collect::<Vec<_>>(),
            generated.keys().collect::<Vec<_>>(),
            "installer/linux/man/ has other pages than the CLI; regenerate them with BATON_WRITE_MAN=1 cargo test --bin baton man_pages"
        );
        for (name, text) in &generated {
            assert!(
                committed.get(name) == Some(text),
                "installer/linux/man/{name} differs from the CLI; regenerate it with BATON_WRITE_MAN=1 cargo test --bin baton man_pages"
            );
        }
    }
}

#[cfg(test)]
mod launch {
    use clap::Parser;

    #[test]
    fn a_finder_process_serial_number_is_ignored() {
        let args = super::launch_args(["baton", "-psn_0_12345", "--demo"].map(Into::into));
        assert_eq!(args.len(), 2);
        let cli = super::Cli::try_parse_from(args).expect("parses");
        assert!(cli.demo);
        // Anything else unknown is still refused.
        assert!(super::Cli::try_parse_from(["baton", "-x"]).is_err());
    }
}

#[cfg(test)]
mod lab_flags {
    use clap::Parser;

    #[test]
    fn lab_credssp_flag_parses_and_defaults_off() {
        let credssp = |args: &[&str]| match super::Cli::try_parse_from(args) {
            Ok(super::Cli {
                mode: Some(super::Mode::Lab { credssp, .. }),
                ..
            }) => credssp,
            _ => panic!("not the lab mode: {args:?}"),
        };
        assert!(credssp(&["baton", "lab", "--credssp", "--ephemeral-ports"]));
        assert!(!credssp(&["baton", "lab"]));
    }
}
