//! The profile editor, headless: open it from the tree's context menu on a
//! computer in a group, read inherited values and their sources, override
//! and clear, save through the atomic profile store and read the file back;
//! and no password reaches the profile file, an export or the log when
//! credentials and profiles are saved through the UI.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton::bridge::{Command, Event, WorkerHandle};
use baton::model::profile::{Computer, CredentialRef, Group, ProfileTree};
use baton::model::{Availability, SessionInfo, SessionState};
use baton::store::credentials::{CredentialStore, MemoryStore, Secret, new_entry_id};
use baton::store::profiles::ProfileStore;
use baton::ui::BatonApp;
use chrono::{DateTime, TimeZone, Utc};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// Group Lab (Port 15985, the technician's user name) with Srv1 and Srv2.
fn lab_tree() -> ProfileTree {
    let mut lab = Group::new("Lab");
    lab.settings.port = Some(15985);
    lab.settings.credential = Some(CredentialRef {
        user: "Domain01\\User01".into(),
        entry: None,
    });
    let mut srv1 = Computer::new("Srv1");
    srv1.settings.host = Some("127.0.0.11".into());
    let mut srv2 = Computer::new("Srv2");
    srv2.settings.host = Some("127.0.0.12".into());
    lab.computers.push(srv1);
    lab.computers.push(srv2);
    let mut tree = ProfileTree::default();
    tree.root.groups.push(lab);
    tree
}

fn harness(app: BatonApp) -> Harness<'static, BatonApp> {
    Harness::builder()
        .with_size([1500.0, 1100.0])
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app)
}

/// The worker as these tests need it: a thread that runs the console's
/// profile jobs on `store` and keeps its passwords in `keyring`, as the
/// worker does, and passes every other command on to the test (which
/// answers with [`Relay::push`]).
struct Relay {
    others: std::sync::mpsc::Receiver<Command>,
    events: baton::bridge::EventSender,
}

impl Relay {
    /// Every other command the console has sent so far.
    fn commands(&self) -> Vec<Command> {
        self.others.try_iter().collect()
    }

    /// Pushes an event as the worker would.
    fn push(&self, event: Event) {
        self.events.send(event);
    }
}

fn relay(store: &ProfileStore, keyring: Arc<MemoryStore>) -> (WorkerHandle, Relay) {
    let (handle, side) = WorkerHandle::pair(Arc::new(|| {}));
    let (tx, others) = std::sync::mpsc::channel();
    let events = side.sender();
    let store = store.clone();
    // Logs of the jobs go where the test's logs go.
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    std::thread::spawn(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            while let Ok(command) = side.commands.recv() {
                match command {
                    Command::EditProfiles { op, job } => {
                        match baton::store::profile_jobs::run(&store, &job) {
                            Ok((tree, lines)) => {
                                tracing::info!("profile saved");
                                side.send(Event::ProfilesChanged {
                                    op,
                                    tree: Box::new(tree),
                                    lines,
                                });
                                side.send(Event::OpFinished {
                                    op,
                                    message: "saved".into(),
                                });
                            }
                            Err(e) => {
                                side.send(Event::OpFailed {
                                    op,
                                    error: baton::model::UserError {
                                        summary: "Not saved".into(),
                                        detail: e,
                                        advice: None,
                                        error_id: None,
                                    },
                                });
                            }
                        }
                    }
                    Command::SaveCredential {
                        op,
                        entry,
                        credential,
                    } => {
                        let id = entry.unwrap_or_else(new_entry_id);
                        tracing::info!(user = %credential.user, entry = %id, "writing a keyring entry");
                        keyring
                            .set(
                                &id,
                                &credential.user,
                                &Secret::new(credential.password.expose()),
                            )
                            .unwrap();
                        side.send(Event::CredentialSaved {
                            op,
                            entry: id,
                            user: credential.user.clone(),
                        });
                        side.send(Event::OpFinished {
                            op,
                            message: "saved".into(),
                        });
                    }
                    other => {
                        let _ = tx.send(other);
                    }
                }
            }
        });
    });
    (handle, Relay { others, events })
}

fn app_on(store: &ProfileStore, keyring: Arc<MemoryStore>) -> (BatonApp, Relay) {
    let tree = store.load().unwrap().tree;
    let (handle, worker) = relay(store, keyring);
    let app = BatonApp::new(handle, baton::app::inventory(&tree), Box::new(t0))
        .with_profiles(store.clone(), tree)
        .with_keyring();
    (app, worker)
}

/// A console on a fresh profile file holding [`lab_tree`], after its first
/// frames; the temporary directory lives as long as the returned guard.
fn lab_console() -> (
    tempfile::TempDir,
    ProfileStore,
    Harness<'static, BatonApp>,
    Relay,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    store.save(&lab_tree()).unwrap();
    let (app, worker) = app_on(&store, Arc::new(MemoryStore::new()));
    let mut h = harness(app);
    h.run();
    (dir, store, h, worker)
}

fn click(h: &mut Harness<'static, BatonApp>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

fn type_into(h: &mut Harness<'static, BatonApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Empties a focused single-line field.
fn clear_field(h: &mut Harness<'static, BatonApp>, label: &str, len: usize) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press(Key::End);
    for _ in 0..len {
        h.key_press(Key::Backspace);
    }
    h.run();
}

fn open_editor(h: &mut Harness<'static, BatonApp>, node: &str) {
    h.get_by_label(node).click_secondary();
    h.run();
    click(h, "Edit profile…");
    h.get_by_label_contains("Edit profile:");
}

/// Clicks Save and waits (frame by frame) until the background save ends.
fn save(h: &mut Harness<'static, BatonApp>) {
    click(h, "Save");
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        h.step();
        if h.query_by_label_contains("Saved to").is_some() {
            break;
        }
        if let Some(n) = h.query_by_label_contains("Not saved") {
            panic!("{:?}", n.accesskit_node().label());
        }
        assert!(Instant::now() < deadline, "the save never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
}

fn srv1(store: &ProfileStore) -> Computer {
    store
        .load()
        .unwrap()
        .tree
        .find_by_name("Srv1")
        .first()
        .unwrap()
        .computer
        .clone()
}

#[test]
fn editor_shows_inherited_values_overrides_saves_and_clears() {
    let (_dir, store, mut h, _worker) = lab_console();

    open_editor(&mut h, "Computer Srv1");
    h.get_by_label("Edit profile: Computer Srv1");
    // Effective values and where they come from.
    h.get_by_label("15985 · inherited from group Lab");
    h.get_by_label("Domain01\\User01 (ask) · inherited from group Lab");
    assert_eq!(
        h.get_all_by_label("set here").count(),
        1,
        "ComputerName is set on Srv1"
    );
    h.get_by_label("Microsoft.PowerShell · PowerShell default");
    h.get_by_label("wsman · PowerShell default");

    // Override the port: a bad value is refused with a specific message.
    click(&mut h, "Override Port");
    assert_eq!(h.get_all_by_label("set here").count(), 2);
    type_into(&mut h, "Port", "0");
    h.get_by_label_contains("Port must be from 1 to 65535, not 159850");
    assert!(h.get_by_label("Save").accesskit_node().is_disabled());
    clear_field(&mut h, "Port", 6);
    type_into(&mut h, "Port", "5986");
    assert!(h.query_by_label_contains("Port must be").is_none());

    // A bad connection URI and an IdleTimeout out of range, each named.
    click(&mut h, "Override ConnectionUri");
    type_into(&mut h, "ConnectionUri", "srv1:5986");
    h.get_by_label_contains("ConnectionUri \"srv1:5986\" is not valid: it must start with http://");
    click(&mut h, "Clear ConnectionUri override");
    click(&mut h, "Override IdleTimeout");
    type_into(&mut h, "IdleTimeout", "0");
    h.get_by_label_contains("IdleTimeout must be -1 (the server's default) or from 60000");
    clear_field(&mut h, "IdleTimeout", 4);
    type_into(&mut h, "IdleTimeout", "7200000");
    assert!(!h.get_by_label("Save").accesskit_node().is_disabled());

    save(&mut h);
    let c = srv1(&store);
    assert_eq!(c.settings.port, Some(5986));
    assert_eq!(c.settings.idle_timeout_ms, Some(7_200_000));
    assert_eq!(c.settings.connection_uri, None);
    assert_eq!(c.settings.host.as_deref(), Some("127.0.0.11"));
    let tree = store.load().unwrap().tree;
    assert_eq!(
        tree.root.groups[0].settings.port,
        Some(15985),
        "the group is untouched"
    );
    assert!(
        store.backup_path().exists(),
        "saved through the atomic store"
    );
    // The console's tree follows the file.
    assert_eq!(h.state().state.computer("Srv1").unwrap().spec.port, 5986);

    // Clear the override: the inherited value and its source come back.
    click(&mut h, "Clear Port override");
    h.get_by_label("15985 · inherited from group Lab");
    save(&mut h);
    assert_eq!(srv1(&store).settings.port, None);
    assert_eq!(srv1(&store).settings.idle_timeout_ms, Some(7_200_000));
    assert_eq!(h.state().state.computer("Srv1").unwrap().spec.port, 15985);

    // The group's own values are "set here" in its editor.
    click(&mut h, "Close");
    assert!(h.query_by_label_contains("Edit profile:").is_none());
    open_editor(&mut h, "Group Lab");
    assert_eq!(
        h.get_all_by_label("set here").count(),
        2,
        "Port and Credential"
    );
    click(&mut h, "Override UseSSL");
    click(&mut h, "UseSSL on");
    save(&mut h);
    let tree = store.load().unwrap().tree;
    assert_eq!(tree.root.groups[0].settings.use_ssl, Some(true));
    click(&mut h, "Close");
    open_editor(&mut h, "Computer Srv2");
    h.get_by_label("true · inherited from group Lab");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn session(computer: &str) -> SessionInfo {
    SessionInfo::new(computer, "ITTask").with_state(SessionState::Disconnected, Availability::None)
}

const SECRETS_CHILD_ENV: &str = "BATON_TEST_UI_SECRETS_CHILD";

/// Runs `ui_secrets_child` alone in its own process: tracing decides once per
/// call site whether anyone listens, so a log captured while other tests run
/// on other threads can miss events; alone, the capture is complete.
#[test]
fn no_password_in_profile_file_export_or_log_after_saving_through_the_ui() {
    let mut child = crate::common::child_test("ui_profiles::ui_secrets_child");
    child.env(SECRETS_CHILD_ENV, "1");
    crate::common::child_stdout(child, String::new);
}

/// Helper run by `no_password_in_profile_file_export_or_log_after_saving_through_the_ui`.
#[test]
#[ignore = "helper process for no_password_in_profile_file_export_or_log_after_saving_through_the_ui"]
fn ui_secrets_child() {
    assert_eq!(std::env::var(SECRETS_CHILD_ENV).as_deref(), Ok("1"));
    const CONNECT_PASSWORD: &str = "Conn3ct-Pw-4e1d9";
    const EDITOR_PASSWORD: &str = "Ed1tor-Pw-7c2b5";
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(dir.path().join("profiles.toml"));
    store.save(&lab_tree()).unwrap();
    let creds = Arc::new(MemoryStore::new());

    tracing::subscriber::with_default(subscriber, || {
        // Other tests run in parallel threads without a subscriber: make
        // tracing re-ask every live subscriber (this one included) about
        // callsites it may have cached as uninteresting meanwhile.
        tracing::callsite::rebuild_interest_cache();
        let (app, worker) = app_on(&store, Arc::clone(&creds));
        // The relay keeps passwords in `creds` a moment after they are sent.
        let saved = |h: &mut Harness<'static, BatonApp>, n: usize| {
            let deadline = Instant::now() + Duration::from_secs(30);
            while creds.list().unwrap().len() < n {
                assert!(
                    Instant::now() < deadline,
                    "the keyring never got {n} entries"
                );
                h.step();
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let mut h = harness(app);
        worker.push(Event::SessionsListed {
            op: 1,
            computer: "Srv2".into(),
            sessions: vec![session("Srv2")],
        });
        h.run();

        // The Connect dialog's "Save in keyring".
        click(&mut h, "Session ITTask on Srv2");
        h.key_press(Key::Enter);
        h.run();
        click(&mut h, "Another user's name and password");
        type_into(&mut h, "User name", "Domain01\\Admin");
        type_into(&mut h, "Password", CONNECT_PASSWORD);
        click(&mut h, "Save in keyring");
        click(&mut h, "Connect session");
        saved(&mut h, 1);
        assert_eq!(creds.list().unwrap().len(), 1);
        // The relay passes the Connect on a moment after the password.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut others = Vec::new();
        while !others.iter().any(|c| matches!(c, Command::Connect { .. })) {
            assert!(
                Instant::now() < deadline,
                "the Connect never went to the worker beside the password: {others:?}"
            );
            others.extend(worker.commands());
            std::thread::sleep(Duration::from_millis(5));
        }

        // The editor: a credential with a password saved in the keyring.
        open_editor(&mut h, "Computer Srv1");
        click(&mut h, "Override Credential");
        click(&mut h, "Credential: save a password in the keyring");
        h.get_by_label_contains("Credential: type the password");
        type_into(&mut h, "Credential password", EDITOR_PASSWORD);
        tracing::callsite::rebuild_interest_cache();
        save(&mut h);
        saved(&mut h, 2);
        click(&mut h, "Close");
    });

    // The keyring holds both passwords; the profile names the editor's entry.
    let listed = creds.list().unwrap();
    assert_eq!(listed.len(), 2);
    let c = srv1(&store);
    let cred = c.settings.credential.expect("Srv1 has its own credential");
    assert_eq!(cred.user, "Domain01\\User01");
    let entry = cred.entry.expect("the profile names the keyring entry");
    assert_eq!(creds.get(&entry).unwrap().secret.expose(), EDITOR_PASSWORD);

    let export = dir.path().join("export.toml");
    baton::cli::admin::profile_export(&store, &export, None).unwrap();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("profile saved"), "the log was captured: {log}");
    assert!(
        log.contains("writing a keyring entry") && log.contains(&entry),
        "{log}"
    );
    let files = [
        std::fs::read_to_string(store.path()).unwrap(),
        std::fs::read_to_string(store.backup_path()).unwrap(),
        std::fs::read_to_string(&export).unwrap(),
    ];
    assert!(files[0].contains(&entry) && files[2].contains(&entry));
    for pw in [CONNECT_PASSWORD, EDITOR_PASSWORD] {
        for (name, text) in ["profile file", "backup", "export"].iter().zip(&files) {
            assert!(!text.contains(pw), "a password leaked into the {name}");
        }
        assert!(!log.contains(pw), "a password leaked into the log");
    }
}

#[test]
fn a_group_editor_imports_an_rdm_export_into_its_group() {
    let (_dir, store, mut h, _worker) = lab_console();
    open_editor(&mut h, "Group Lab");
    let rdm = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/store/export.rdm");
    type_into(&mut h, "Import file", rdm.to_str().unwrap());
    click(&mut h, "Import into this group");
    let deadline = Instant::now() + Duration::from_mins(1);
    while h.query_by_label_contains("Saved to").is_none() {
        assert!(h.query_by_label_contains("Not saved").is_none());
        assert!(Instant::now() < deadline, "the import never finished");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
    h.get_by_label_contains("4 computer(s) added");
    h.get_by_label_contains("passwords not transferred");
    let tree = store.load().unwrap().tree;
    let web01 = tree.find_by_name("Web01");
    assert_eq!(web01[0].group_path, "Lab/Imported/Datacenter/Web");
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(!text.contains("UFMtRW50cnktQ2lwaGVydGV4dC00Mg=="));
    click(&mut h, "Close");
    h.get_by_label("Computer Web01");
}

/// The profile file changes under an open editor (another `baton profile
/// add` runs): the console's save changes only its node in the file as it
/// is now, so the other writer's computer stays.
#[test]
fn a_console_save_merges_with_what_another_writer_added_meanwhile() {
    let (_dir, store, mut h, _worker) = lab_console();
    open_editor(&mut h, "Computer Srv1");
    // Another process adds a computer while the editor is open.
    store
        .update(|tree| {
            tree.root
                .groups
                .push(Group::new("Elsewhere").with_computer(Computer::new("Added01")));
            Ok(())
        })
        .unwrap();
    click(&mut h, "Override Port");
    clear_field(&mut h, "Port", 5);
    type_into(&mut h, "Port", "5986");
    save(&mut h);
    let tree = store.load().unwrap().tree;
    assert_eq!(
        tree.find_by_name("Added01").len(),
        1,
        "the other writer's change was lost"
    );
    assert_eq!(srv1(&store).settings.port, Some(5986));
    // The console's tree follows the file, the other computer included.
    click(&mut h, "Close");
    h.get_by_label("Computer Added01");
}

/// A shared Baton export that turns on Basic over HTTP, AllowUnencrypted and
/// SkipCACheck, imported through a group's editor: the console asks before
/// keeping those settings. "Make them safe" clears them on what the import
/// added; "Keep these settings" keeps them.
#[test]
fn an_import_that_lowers_security_is_questioned_before_it_is_kept() {
    const SHARED: &str = r#"schema_version = 2

[[groups]]
id = "00000000-0000-4000-8000-000000000010"
name = "Shared"
skip_ca_check = true
use_ssl = true

[[groups.computers]]
id = "00000000-0000-4000-8000-000000000100"
name = "Legacy"
use_ssl = false
authentication = "Basic"
allow_unencrypted = true

[[groups.computers]]
id = "00000000-0000-4000-8000-000000000101"
name = "Modern"
"#;
    for make_safe in [true, false] {
        let (dir, store, mut h, _worker) = lab_console();
        let file = dir.path().join("shared.toml");
        std::fs::write(&file, SHARED).unwrap();
        open_editor(&mut h, "Group Lab");
        type_into(&mut h, "Import file", file.to_str().unwrap());
        click(&mut h, "Import into this group");
        wait_for_text(&mut h, "Imported settings lower security");
        // The question lists each computer on a line of its own.
        h.get_by_label(
            "Lab/Shared/Legacy: Basic authentication over HTTP (the password travels readable), SkipCACheck, AllowUnencrypted",
        );
        h.get_by_label("Lab/Shared/Modern: SkipCACheck");
        // Imported as it was until the user answers.
        let tree = store.load().unwrap().tree;
        let legacy = tree.find_by_name("Legacy")[0].computer.clone();
        assert_eq!(legacy.settings.allow_unencrypted, Some(true));
        if make_safe {
            click(&mut h, "Make them safe");
            wait_for_text(&mut h, "made safe: Lab/Shared/Legacy");
            let tree = store.load().unwrap().tree;
            let legacy = tree.find_by_name("Legacy")[0].computer.clone();
            assert_eq!(legacy.settings.authentication, None);
            assert_eq!(legacy.settings.allow_unencrypted, None);
            assert_eq!(
                legacy.settings.use_ssl,
                Some(false),
                "not a security setting"
            );
            let shared = tree.find_by_name("Modern")[0].group_path.clone();
            assert_eq!(shared, "Lab/Shared");
            let eff = tree
                .effective(tree.find_by_name("Modern")[0].computer.id)
                .unwrap();
            assert_eq!(eff.skip_ca_check.value, Some(false));
        } else {
            click(&mut h, "Keep these settings");
            h.run();
            assert!(
                h.query_by_label_contains("Imported settings lower security")
                    .is_none()
            );
            let tree = store.load().unwrap().tree;
            let legacy = tree.find_by_name("Legacy")[0].computer.clone();
            assert_eq!(legacy.settings.allow_unencrypted, Some(true));
            assert_eq!(
                legacy.settings.authentication,
                Some(baton::model::AuthMechanism::Basic)
            );
        }
    }
}

/// A group's editor exports the group (with what it inherits) to a file the
/// import reads back; the file names keyring entries, never a password.
#[test]
fn a_group_editor_exports_its_group_to_a_file() {
    let (dir, store, mut h, _worker) = lab_console();
    open_editor(&mut h, "Group Lab");
    h.get_by_label("Choose export file…");
    h.get_by_label("Choose file to import…");
    let out = dir.path().join("lab-export.toml");
    type_into(&mut h, "Export file", out.to_str().unwrap());
    click(&mut h, "Export this group");
    let deadline = Instant::now() + Duration::from_mins(1);
    while h.query_by_label_contains("Exported to").is_none() {
        assert!(h.query_by_label_contains("Not saved").is_none());
        assert!(Instant::now() < deadline, "the export never finished");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        h.query_by_label_contains("Saved to").is_none(),
        "an export does not claim to have saved the profile file"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let (exported, _) = baton::store::profiles::parse_profiles(&text, "export").unwrap();
    let srv1 = exported.find_by_name("Srv1");
    assert_eq!(srv1.len(), 1, "{text}");
    assert_eq!(srv1[0].group_path, "Lab");
    assert_eq!(exported.find_by_name("Srv2").len(), 1, "{text}");
    assert!(
        text.contains("Domain01"),
        "the credential reference is exported: {text}"
    );
    let saved = std::fs::read_to_string(store.path()).unwrap();
    assert!(
        saved.contains("Srv1"),
        "the profile file is unchanged by an export"
    );
}

/// Steps frames until a label containing `text` shows (a background job on
/// the profile file ends a few frames later); fails on "Not changed: …"
/// unless that is what is awaited.
fn wait_for_text(h: &mut Harness<'static, BatonApp>, text: &str) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        h.step();
        if h.query_all_by_label_contains(text).next().is_some() {
            break;
        }
        if !text.starts_with("Not changed")
            && let Some(n) = h.query_all_by_label_contains("Not changed").next()
        {
            panic!("{:?}", n.accesskit_node().label());
        }
        assert!(Instant::now() < deadline, "{text:?} never showed");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
}

fn change_node(h: &mut Harness<'static, BatonApp>, row: &str, item: &str) {
    h.get_by_label(row).click_secondary();
    h.run();
    click(h, item);
}

/// The tree's context menu adds, renames and removes computers and groups
/// of the profile file, the way a helpdesk user keeps the computers they
/// look after: each change is checked (a duplicate name is refused and said
/// so), written atomically, shown in the tree and reported.
#[test]
fn computers_and_groups_are_added_renamed_and_removed_from_the_tree() {
    let (_dir, store, mut h, _worker) = lab_console();

    // Add a computer to group Lab, with its host.
    change_node(&mut h, "Group Lab", "Add computer…");
    h.get_by_label("Add a computer to group Lab");
    type_into(&mut h, "Name", "Srv9");
    type_into(&mut h, "Host", "srv9.corp.example");
    click(&mut h, "Add");
    wait_for_text(&mut h, "Added computer Srv9 to group Lab");
    h.get_by_label("Computer Srv9");
    let tree = store.load().unwrap().tree;
    let added = tree.find_by_name("Srv9");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].group_path, "Lab");
    assert_eq!(
        added[0].computer.settings.host.as_deref(),
        Some("srv9.corp.example")
    );

    // A second computer of the same name is refused, and nothing is written.
    change_node(&mut h, "Group Lab", "Add computer…");
    type_into(&mut h, "Name", "srv1");
    click(&mut h, "Add");
    wait_for_text(
        &mut h,
        "Not changed: a computer named srv1 already exists in group Lab",
    );
    click(&mut h, "Cancel");
    assert_eq!(store.load().unwrap().tree.root.computer_count(), 3);

    // Rename it, then a group.
    change_node(&mut h, "Computer Srv9", "Rename…");
    clear_field(&mut h, "Name", 4);
    type_into(&mut h, "Name", "Web9");
    click(&mut h, "Rename");
    wait_for_text(&mut h, "Renamed computer Srv9 to Web9");
    h.get_by_label("Computer Web9");
    assert!(store.load().unwrap().tree.find_by_name("Srv9").is_empty());
    change_node(&mut h, "Group Lab", "New group…");
    type_into(&mut h, "Name", "Web");
    click(&mut h, "Add");
    wait_for_text(&mut h, "Added group Web to group Lab");
    let tree = store.load().unwrap().tree;
    assert_eq!(tree.root.groups[0].groups[0].name, "Web");

    // Remove the computer: gone from the file and the tree.
    change_node(&mut h, "Computer Web9", "Remove from profiles…");
    h.get_by_label_contains("Sessions on the servers are not touched");
    click(&mut h, "Remove");
    wait_for_text(&mut h, "Removed computer Web9");
    assert!(h.query_by_label("Computer Web9").is_none());
    let tree = store.load().unwrap().tree;
    assert!(tree.find_by_name("Web9").is_empty());
    assert_eq!(tree.root.computer_count(), 2, "Srv1 and Srv2 stay");
}
