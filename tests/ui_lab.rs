//! The console with a real worker against the lab endpoint in process: the
//! hand-over as a helpdesk user clicks it, by accessible label.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::bridge::CredentialChoice;
use baton::model::{ConnectionSpec, Credential};
use baton::protocol::wsman::shell::ShellState;
use baton::store::activity::ActivityLog;
use baton::ui::{BatonApp, ComputerNode, GroupNode};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const ONE: &str = "Disconnected · None";
const TECH: &str = "Domain01\\User01";
const TECH_PW: &str = "Tech-P@ss1";

use crate::common::InProcessLab as Lab;

fn lab() -> Lab {
    lab_at(20.0)
}

/// The demo lab in process, its clock `time_scale` times faster than real
/// time (the seeded job runs 1.5 s per line otherwise).
fn lab_at(time_scale: f64) -> Lab {
    Lab::demo(true, time_scale)
}

fn lab_node(name: &str, cred: &CredentialChoice) -> ComputerNode {
    ComputerNode {
        name: name.into(),
        spec: ConnectionSpec::for_computer(name),
        credential: cred.clone(),
        proxy_credential: None,
    }
}

fn lab_inventory(user: &str, password: &str) -> Vec<GroupNode> {
    let cred = CredentialChoice::Once(Credential::new(user, password));
    vec![GroupNode {
        name: "Lab".into(),
        computers: ["Srv1", "Srv2", "Srv30"]
            .iter()
            .map(|n| lab_node(n, &cred))
            .collect(),
    }]
}

fn console(lab: &Lab, user: &str, password: &str) -> Harness<'static, BatonApp> {
    console_over(lab, lab_inventory(user, password))
}

/// A console with its own real worker (another client of the lab).
fn console_over(lab: &Lab, inventory: Vec<GroupNode>) -> Harness<'static, BatonApp> {
    console_built(lab, inventory, |app| app)
}

/// A console that keeps its Activity pane in `log` (its worker appends to it).
fn console_with(
    lab: &Lab,
    inventory: Vec<GroupNode>,
    log: Option<ActivityLog>,
) -> Harness<'static, BatonApp> {
    let config = baton::worker::WorkerConfig {
        activity: log.clone(),
        ..baton::worker::WorkerConfig::default()
    };
    console_on(lab.worker_configured(config), inventory, |app| match log {
        Some(log) => app.with_activity_history(log.history()),
        None => app,
    })
}

/// A console with its own real worker, set up further by `configure`.
fn console_built(
    lab: &Lab,
    inventory: Vec<GroupNode>,
    configure: impl FnOnce(BatonApp) -> BatonApp,
) -> Harness<'static, BatonApp> {
    console_on(lab.worker(), inventory, configure)
}

fn console_on(
    worker: baton::bridge::WorkerHandle,
    inventory: Vec<GroupNode>,
    configure: impl FnOnce(BatonApp) -> BatonApp,
) -> Harness<'static, BatonApp> {
    let app = configure(BatonApp::new(worker, inventory, Box::new(chrono::Utc::now)));
    Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app)
}

/// Steps frames until `label` (a substring) is shown, or fails after `secs`.
fn wait_for(h: &mut Harness<'static, BatonApp>, label: &str, secs: u64) {
    wait_until(h, secs, &format!("{label:?} shown"), |h| {
        h.query_all_by_label_contains(label).next().is_some()
    });
}

/// Steps frames until `cond` holds, or fails after `secs` saying `what`.
fn wait_until(
    h: &mut Harness<'static, BatonApp>,
    secs: u64,
    what: &str,
    mut cond: impl FnMut(&Harness<'static, BatonApp>) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        // Real events keep arriving: step frames rather than wait to settle.
        h.run_steps(2);
        if cond(h) {
            return;
        }
        assert!(Instant::now() < end, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Waits for a lab-side condition (the lab runs on its own threads).
fn wait_lab(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < end, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Clicks by label; a few frames follow (a dialog's first frame only sizes it).
fn click(h: &mut Harness<'static, BatonApp>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(4);
}

fn type_into(h: &mut Harness<'static, BatonApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(2);
    h.get_by_label(label).type_text(text);
    h.run_steps(4);
}

fn is_disabled(h: &Harness<'static, BatonApp>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

fn count(h: &Harness<'static, BatonApp>, label: &str) -> usize {
    h.query_all_by_label(label).count()
}

fn shown(h: &Harness<'static, BatonApp>, label_part: &str) -> bool {
    h.query_all_by_label_contains(label_part).next().is_some()
}

#[test]
fn technician_session_is_found_received_and_busy_for_the_next_client() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut manager = console(&lab, "Domain01\\User01", "Tech-P@ss1");

    // Refresh: the seeded sessions appear with PowerShell's State/Availability.
    click(&mut manager, "Refresh");
    wait_for(&mut manager, "3 computers, 4 sessions", 20);
    assert_eq!(
        manager.get_all_by_label("Disconnected · Busy").count(),
        2,
        "Srv2 and Srv30 ITTask are attached elsewhere"
    );
    click(&mut manager, "Session ITTask on Srv1");
    assert_eq!(
        manager.get_all_by_label(ONE).count(),
        2,
        "Srv1 ITTask and Srv30 Backups can be connected"
    );
    // IdleTimeout (set at disconnect) and MaxIdleTimeout are both 12 hours.
    assert_eq!(manager.get_all_by_label("43200000 ms (12h 0m)").count(), 2);

    // Receive output: connect with the technician's credentials and read what piled up.
    click(&mut manager, "Receive output");
    click(&mut manager, "Output");
    wait_for(&mut manager, "Patch 2 of 40: KB502 installed", 30);
    wait_for(&mut manager, "Opened · Available", 10);

    // A second console (another client) now sees the session Busy.
    let mut other = console(&lab, "Domain01\\User01", "Tech-P@ss1");
    click(&mut other, "Refresh");
    wait_for(&mut other, "3 computers, 4 sessions", 20);
    assert_eq!(other.get_all_by_label("Disconnected · Busy").count(), 3);

    // The manager's own account sees none of the technician's sessions.
    let mut own = console(&lab, "Domain01\\Manager01", "Mgr-P@ss1");
    click(&mut own, "Refresh");
    wait_for(&mut own, "3 computers, 0 sessions", 20);
    assert!(own.query_by_label_contains("Session ITTask").is_none());
}

#[test]
fn a_wrong_password_is_a_message_not_a_freeze() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut h = console(&lab, "Domain01\\User01", "not-the-password");
    click(&mut h, "Refresh");
    // Each computer's refusal is a notification (the tree's badge names the
    // computer too); what it says is read from the notifications, since a
    // stack of three may scroll the first out of view.
    wait_until(&mut h, 20, "three refusals", |h| {
        h.state().state.toasts().len() == 3
    });
    wait_for(&mut h, "Dismiss: Cannot connect to", 20);
    for t in h.state().state.toasts() {
        assert!(t.detail.contains("access is denied"), "{}", t.detail);
        assert!(
            t.advice
                .as_deref()
                .is_some_and(|a| a.contains("Check the user name and password")),
            "{:?}",
            t.advice
        );
    }
    // The UI keeps working: the filter still filters.
    let filter = h.get_by_label("Filter");
    assert!(!filter.accesskit_node().is_disabled());
    filter.focus();
    h.run_steps(2);
    h.get_by_label("Filter").type_text("Srv2");
    h.run_steps(2);
    assert!(h.query_by_label("Computer Srv1").is_none());
    h.get_by_label("Computer Srv2");
}

/// Runs `attempt` (which must not send anything to `computer`) and checks on
/// the lab side that no request arrived meanwhile. The console's own held
/// sessions keep one long-poll Receive outstanding that is re-issued every
/// 20 s; a window that happens to contain such a re-issue is tried again, so
/// a request the attempt itself sends fails every try.
fn nothing_sent(
    lab: &Lab,
    computer: &str,
    h: &mut Harness<'static, BatonApp>,
    mut attempt: impl FnMut(&mut Harness<'static, BatonApp>),
) {
    let svc = lab.service(computer).clone();
    for _ in 0..3 {
        let before = svc.requests();
        attempt(h);
        if svc.requests() == before {
            return;
        }
    }
    panic!("{computer} received requests during each of three attempts that must send nothing");
}

#[test]
fn helpdesk_reads_disconnects_and_a_second_console_receives_the_output() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let log = ActivityLog::new(dir.path().join("activity.jsonl")).with_operator("helpdesk1");
    let mut tech = console_with(&lab, lab_inventory(TECH, TECH_PW), Some(log.clone()));
    click(&mut tech, "Refresh");
    wait_for(&mut tech, "3 computers, 4 sessions", 30);

    // Select Srv1 → ITTask and read it: IdleTimeout, OutputBufferingMode, ConnectionInfo.
    click(&mut tech, "Computer Srv1");
    click(&mut tech, "Session ITTask on Srv1");
    tech.get_by_label("ITTask on Srv1");
    tech.get_by_label("IdleTimeout");
    // IdleTimeout (set at disconnect) and MaxIdleTimeout are both 12 hours.
    assert_eq!(count(&tech, "43200000 ms (12h 0m)"), 2);
    tech.get_by_label("OutputBufferingMode");
    tech.get_by_label("Block");
    tech.get_by_label("XpressCompression");
    click(&mut tech, "ConnectionInfo");
    tech.get_by_label("ConnectionInfo of Srv1");
    tech.get_by_label("http://Srv1:5985/wsman");
    tech.get_by_label(TECH);
    tech.get_by_label("OperationTimeout");
    assert_eq!(
        count(&tech, "180000 ms"),
        2,
        "OpenTimeout and OperationTimeout"
    );
    click(&mut tech, "Session");

    // Connect (as the technician, typing the password) so it can be disconnected.
    click(&mut tech, "Connect");
    assert_eq!(
        tech.get_by_label("User name").value().as_deref(),
        Some(TECH)
    );
    type_into(&mut tech, "Password", TECH_PW);
    click(&mut tech, "Connect session");
    wait_for(&mut tech, "Opened · Available", 30);
    let shell = lab.shell("Srv1", "ITTask").expect("Srv1 ITTask on the lab");
    assert_eq!(shell.state, Some(ShellState::Connected));
    let id = shell.shell_id.clone();

    // Out of range: the message is PowerShell's and nothing reaches the computer.
    click(&mut tech, "Disconnect…");
    tech.get_by_label_contains("Allowed: 60 … 43200 seconds");
    nothing_sent(&lab, "Srv1", &mut tech, |h| {
        if h.query_by_label("IdleTimeoutSec").is_none() {
            click(h, "Disconnect…");
        }
        type_into(h, "IdleTimeoutSec", "172800");
        h.get_by_label(
            "The session ITTask cannot be disconnected because the specified idle timeout value \
             172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or \
             less that the minimum allowed60(seconds).  Choose an idle time out value that is \
             within the allowed range and try again.",
        );
        assert!(is_disabled(h, "Confirm disconnect"));
        click(h, "Confirm disconnect");
        click(h, "Cancel");
    });
    assert!(
        tech.query_by_label("IdleTimeoutSec").is_none(),
        "dialog closed"
    );
    let shell = lab.shell("Srv1", "ITTask").unwrap();
    assert_eq!(
        (shell.state, shell.idle_timeout_ms, shell.shell_id),
        (Some(ShellState::Connected), Some(43_200_000), id.clone()),
        "the lab's shell is untouched"
    );
    tech.get_by_label("Opened · Available");

    // A valid value: Disconnected, with its countdown.
    click(&mut tech, "Disconnect…");
    type_into(&mut tech, "IdleTimeoutSec", "3600");
    tech.get_by_label_contains(
        "\"Disconnect-PSSession\" on target \"Name: ITTask, ComputerName: Srv1\": \
         State Opened -> Disconnected; IdleTimeout 43200 s -> 3600 s",
    );
    click(&mut tech, "Confirm disconnect");
    wait_until(&mut tech, 30, "Srv1 ITTask disconnected", |h| {
        h.query_all_by_label("Opened · Available").next().is_none() && count(h, ONE) == 2
    });
    wait_until(&mut tech, 10, "a countdown of about an hour", |h| {
        shown(h, "expires in 59m") || shown(h, "expires in 1h 0m")
    });
    tech.get_by_label("3600000 ms (1h 0m)");
    let shell = lab.shell("Srv1", "ITTask").unwrap();
    assert_eq!(
        (shell.state, shell.idle_timeout_ms),
        (Some(ShellState::Disconnected), Some(3_600_000))
    );
    click(&mut tech, "Activity");
    tech.get_by_label("Disconnect-PSSession");
    tech.get_by_label_contains("-IdleTimeoutSec 3600");

    // The audit trail is on disk (who, which session and computer, which
    // options, result), never with a password, and a restarted console shows it.
    let path = log.path().to_owned();
    wait_lab(30, "the disconnect in the activity file", || {
        std::fs::read_to_string(&path)
            .is_ok_and(|t| t.contains("-IdleTimeoutSec 3600") && t.contains("ok: Disconnected 1"))
    });
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"action\":\"Disconnect-PSSession\""))
        .expect("a Disconnect-PSSession line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["user"], TECH);
    assert_eq!(v["computer"], "Srv1");
    assert_eq!(v["session"], "ITTask");
    assert_eq!(v["result"], "ok");
    assert!(
        text.contains("\"user\":\"helpdesk1\""),
        "the console's own entries"
    );
    for secret in [TECH_PW, "Mgr-P@ss1", "Admin-P@ss1"] {
        assert!(!text.contains(secret), "a password in the activity file");
    }
    let mut restarted = console_with(&lab, lab_inventory(TECH, TECH_PW), Some(log.clone()));
    click(&mut restarted, "Activity");
    restarted.get_by_label_contains("-IdleTimeoutSec 3600");
    restarted.get_by_label("Connect-PSSession");
    drop(restarted);

    // A second console, with the technician's credentials typed in the
    // Connect dialog, connects and reads the output that piled up.
    let mut manager = console(&lab, TECH, TECH_PW);
    click(&mut manager, "Refresh");
    wait_for(&mut manager, "3 computers, 4 sessions", 30);
    click(&mut manager, "Session ITTask on Srv1");
    manager.get_by_label("3600000 ms (1h 0m)");
    click(&mut manager, "Connect");
    type_into(&mut manager, "Password", TECH_PW);
    click(&mut manager, "Connect session");
    wait_for(&mut manager, "Opened · Available", 30);
    click(&mut manager, "Receive output");
    wait_for(&mut manager, "Patch 40 of 40: KB5040 installed", 60);
    manager.get_by_label("Patch 1 of 40: KB501 installed");
    manager.get_by_label("WARNING: KB5010 needs a reboot");
    wait_for(
        &mut manager,
        "ERROR: Cannot find path 'C:\\Users\\User01\\Scripts\\PatchStatusOutput'",
        30,
    );
    let shell = lab.shell("Srv1", "ITTask").unwrap();
    assert_eq!(shell.shell_id, id, "the same session changed hands");
    assert_eq!(shell.state, Some(ShellState::Connected));

    // The first console now sees it held by another client.
    click(&mut tech, "Refresh");
    wait_until(
        &mut tech,
        30,
        "Srv1 ITTask Busy for the first console",
        |h| count(h, "Disconnected · Busy") == 3,
    );
}

/// Opens a session named `name` on `computer` through the New session dialog.
fn new_session(h: &mut Harness<'static, BatonApp>, computer: &str, name: &str) {
    click(h, &format!("Computer {computer}"));
    click(h, "New session…");
    type_into(h, "Name", name);
    click(h, "Create session");
    wait_for(h, &format!("Session {name} on {computer}"), 30);
}

#[test]
fn bulk_disconnect_with_a_whatif_preview_then_remove_and_expiry() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut h = console(&lab, TECH, TECH_PW);
    click(&mut h, "Refresh");
    wait_for(&mut h, "3 computers, 4 sessions", 30);
    let computers = ["Srv1", "Srv2", "Srv30"];
    for c in computers {
        new_session(&mut h, c, "Bulk");
    }
    wait_until(&mut h, 30, "three open sessions", |h| {
        count(h, "Opened · Available") == 3
    });
    for c in computers {
        assert_eq!(
            lab.shell(c, "Bulk").and_then(|s| s.state),
            Some(ShellState::Connected)
        );
    }

    // Select the three (click, then Ctrl+click) and preview.
    click(&mut h, "Session Bulk on Srv1");
    for c in ["Srv2", "Srv30"] {
        h.get_by_label(&format!("Session Bulk on {c}"))
            .click_modifiers(egui::Modifiers::COMMAND);
        h.run_steps(4);
    }
    click(&mut h, "Disconnect…");
    type_into(&mut h, "IdleTimeoutSec", "900");
    click(&mut h, "Drop");
    for c in computers {
        h.get_by_label_contains(&format!(
            "\"Disconnect-PSSession\" on target \"Name: Bulk, ComputerName: {c}\": State Opened \
             -> Disconnected; IdleTimeout 7200 s -> 900 s; OutputBufferingMode Block -> Drop"
        ));
        // The preview changed nothing.
        let s = lab.shell(c, "Bulk").unwrap();
        assert_eq!(
            (s.state, s.idle_timeout_ms),
            (Some(ShellState::Connected), Some(7_200_000))
        );
    }
    click(&mut h, "Confirm disconnect");
    // Done when the lab has all three disconnected and the console no longer
    // shows any of them Opened (either alone can be seen a moment early).
    wait_until(&mut h, 60, "the three disconnected", |h| {
        h.query_all_by_label("Opened · Available").next().is_none()
            && computers.iter().all(|c| {
                lab.shell(c, "Bulk")
                    .is_some_and(|s| s.state == Some(ShellState::Disconnected))
            })
    });
    for c in computers {
        let s = lab.shell(c, "Bulk").unwrap();
        assert_eq!(
            (s.state, s.idle_timeout_ms),
            (Some(ShellState::Disconnected), Some(900_000)),
            "{c}"
        );
    }
    click(&mut h, "Activity");
    wait_for(&mut h, "ok: Disconnected 3 of 3 session(s)", 30);
    assert_eq!(
        count(&h, "-IdleTimeoutSec 900 -OutputBufferingMode Drop"),
        3
    );

    // Remove two of them: confirmed, then gone here and on the computers.
    click(&mut h, "Session Bulk on Srv1");
    h.get_by_label("Session Bulk on Srv2")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run_steps(4);
    click(&mut h, "Remove…");
    h.get_by_label("Will remove: Bulk on Srv1 (Disconnected)");
    h.get_by_label("Will remove: Bulk on Srv2 (Disconnected)");
    assert!(
        lab.shell("Srv1", "Bulk").is_some(),
        "nothing before confirming"
    );
    click(&mut h, "Confirm remove");
    wait_until(&mut h, 30, "two sessions removed", |h| {
        h.query_by_label("Session Bulk on Srv1").is_none()
            && h.query_by_label("Session Bulk on Srv2").is_none()
    });
    assert!(lab.shell("Srv1", "Bulk").is_none());
    assert!(lab.shell("Srv2", "Bulk").is_none());
    wait_for(&mut h, "ok: Removed 2 of 2 session(s)", 30);
    h.get_by_label("Session Bulk on Srv30");

    // The third expires by itself: the lab's clock runs 20 times faster, so
    // the 60-second idle timeout set now runs out in about 3 s.
    click(&mut h, "Session Bulk on Srv30");
    click(&mut h, "Connect");
    click(&mut h, "Connect session");
    wait_for(&mut h, "Opened · Available", 30);
    click(&mut h, "Disconnect…");
    type_into(&mut h, "IdleTimeoutSec", "60");
    click(&mut h, "Confirm disconnect");
    wait_until(&mut h, 30, "Bulk on Srv30 disconnected", |h| {
        h.query_all_by_label("Opened · Available").next().is_none()
    });
    // The Session tab (the Activity grid has a Session column too).
    h.get_all_by_label("Session").next().unwrap().click();
    h.run_steps(4);
    h.get_by_label("60000 ms (1m 0s)");
    wait_lab(60, "the lab expires Bulk on Srv30", || {
        lab.shell("Srv30", "Bulk").is_none()
    });
    click(&mut h, "Refresh");
    wait_until(&mut h, 30, "Bulk on Srv30 gone after a refresh", |h| {
        h.query_by_label("Session Bulk on Srv30").is_none() && shown(h, "3 computers, 4 sessions")
    });
}

/// A computer reached over real HTTP at `url`.
fn remote_node(name: &str, url: String) -> ComputerNode {
    ComputerNode {
        name: name.into(),
        spec: ConnectionSpec {
            connection_uri: Some(url),
            ..ConnectionSpec::for_computer(name)
        },
        credential: CredentialChoice::Once(Credential::new(TECH, TECH_PW)),
        proxy_credential: None,
    }
}

#[test]
fn network_failures_are_messages_and_the_console_keeps_working() {
    let lab = lab();
    let _guard = lab.rt.enter();
    // Srv9: nothing listens on its port (connection refused). Srv10: a
    // listener that accepts and never answers (a hung computer).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_port = hung.local_addr().unwrap().port();
    let cred = CredentialChoice::Once(Credential::new(TECH, TECH_PW));
    let inventory = vec![
        GroupNode {
            name: "Lab".into(),
            computers: vec![lab_node("Srv1", &cred)],
        },
        GroupNode {
            name: "Branch".into(),
            computers: vec![
                remote_node("Srv9", format!("http://127.0.0.1:{closed}/wsman")),
                remote_node("Srv10", format!("http://127.0.0.1:{hung_port}/wsman")),
            ],
        },
    ];
    let mut h = console_over(&lab, inventory);
    click(&mut h, "Refresh");

    // Srv9's failure is a message with its cause and what to do.
    // (The tree's badge names Srv9's error at once; the notification's
    // area shows from the next frame, so wait for what only it says.)
    wait_for(
        &mut h,
        "What to do: Check that the computer is on, that WinRM listens",
        60,
    );
    assert!(shown(&h, "Dismiss: Cannot list the sessions of Srv9"));
    h.get_by_label("WinRMTransportError");
    // Srv1 answered meanwhile; Srv10 still hangs and the status bar says so.
    wait_for(&mut h, "Session ITTask on Srv1", 30);
    assert!(shown(&h, "Cancel Listing sessions on 3 computer(s)"));

    // The console keeps rendering and responding while Srv10 hangs: select
    // and read a session, filter the tree, test another computer.
    let frames_before = h.ctx.cumulative_pass_nr();
    click(&mut h, "Session ITTask on Srv1");
    h.get_by_label("ITTask on Srv1");
    assert_eq!(count(&h, "43200000 ms (12h 0m)"), 2);
    type_into(&mut h, "Filter", "srv1");
    assert!(h.query_by_label("Computer Srv9").is_none());
    click(&mut h, "Clear filter");
    h.get_by_label("Computer Srv9");
    click(&mut h, "Computer Srv1");
    click(&mut h, "Test connection");
    wait_for(&mut h, "Srv1 answers: WinRM is reachable", 30);
    assert!(h.ctx.cumulative_pass_nr() > frames_before + 10);
    assert!(
        shown(&h, "Cancel Listing sessions on 3 computer(s)"),
        "Srv10 still hangs"
    );

    // The hung refresh can be cancelled.
    h.get_by_label_contains("Cancel Listing sessions on 3 computer(s)")
        .click();
    h.run_steps(4);
    wait_until(&mut h, 30, "the refresh cancelled", |h| {
        !shown(h, "Cancel Listing sessions")
    });
    h.get_by_label("Cancelled");
    click(&mut h, "Activity");
    h.get_by_label_contains("cancelled before it finished");
    h.get_by_label_contains("failed: Cannot list the sessions of Srv9");
    drop(hung);
}

/// Closing the console while it holds sessions asks first. "Cancel" keeps
/// the window open and the sessions held; "Disconnect all and quit" hands
/// both back Disconnected/None in the lab, then lets the window close.
#[test]
fn closing_with_held_sessions_asks_and_hands_them_back() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut h = console(&lab, TECH, TECH_PW);
    click(&mut h, "Refresh");
    wait_for(&mut h, "3 computers, 4 sessions", 30);
    new_session(&mut h, "Srv1", "HeldA");
    new_session(&mut h, "Srv2", "HeldB");
    wait_until(&mut h, 30, "two open sessions", |h| {
        count(h, "Opened · Available") == 2
    });

    // The window's close button: the console holds the close and asks.
    assert!(!h.state_mut().close_requested());
    h.run_steps(4);
    assert!(shown(&h, "Quit Baton?"));
    assert!(shown(&h, "HeldA on Srv1") && shown(&h, "HeldB on Srv2"));
    click(&mut h, "Cancel");
    assert!(!shown(&h, "Quit Baton?"));
    assert!(!h.state().is_quitting());
    for (c, n) in [("Srv1", "HeldA"), ("Srv2", "HeldB")] {
        assert_eq!(
            lab.shell(c, n).and_then(|s| s.state),
            Some(ShellState::Connected),
            "Cancel keeps {n} held"
        );
    }

    // Again, and this time hand them back.
    assert!(!h.state_mut().close_requested());
    h.run_steps(4);
    click(&mut h, "Disconnect all and quit");
    wait_until(&mut h, 30, "the worker to stop", |h| {
        h.state().is_quitting() && h.state().state.held_sessions().is_empty()
    });
    wait_lab(30, "both sessions handed back", || {
        [("Srv1", "HeldA"), ("Srv2", "HeldB")]
            .iter()
            .all(|(c, n)| lab.shell(c, n).and_then(|s| s.state) == Some(ShellState::Disconnected))
    });
    // Disconnected by their holder, not taken over: nobody holds them (None).
    for (c, n) in [("Srv1", "HeldA"), ("Srv2", "HeldB")] {
        let s = lab.shell(c, n).unwrap();
        assert_eq!(s.state, Some(ShellState::Disconnected));
    }
    wait_until(&mut h, 30, "the worker to have stopped", |h| {
        h.state().has_stopped()
    });
    assert!(h.state_mut().close_requested(), "now the window may close");
}

/// A Busy session whose holder is gone: the Remove dialog says what the
/// server tells of the holder and offers "Remove anyway", which deletes the
/// session as its owner.
#[test]
fn a_busy_session_can_be_removed_anyway() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut h = console(&lab, TECH, TECH_PW);
    click(&mut h, "Refresh");
    wait_for(&mut h, "3 computers, 4 sessions", 30);
    click(&mut h, "Session ITTask on Srv2");
    click(&mut h, "Remove…");
    assert!(shown(&h, "is connected to another client (Busy)"));
    assert!(shown(&h, "Held by a client from "), "where the holder is");
    assert!(
        lab.shell("Srv2", "ITTask").is_some(),
        "nothing before choosing"
    );
    click(&mut h, "Remove anyway");
    wait_until(&mut h, 30, "the session removed", |h| {
        h.query_by_label("Session ITTask on Srv2").is_none()
    });
    assert!(lab.shell("Srv2", "ITTask").is_none());
    click(&mut h, "Activity");
    wait_for(&mut h, "ok: Removed 1 of 1 session(s)", 30);
    h.get_by_label("-Force");
}

/// SIGTERM to the console (its terminate flag): no question, the held
/// session is handed back Disconnected and the worker stops.
#[test]
fn sigterm_to_the_console_hands_its_sessions_back() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut h = console_built(&lab, lab_inventory(TECH, TECH_PW), |app| {
        app.with_terminate_flag(flag.clone())
    });
    click(&mut h, "Refresh");
    wait_for(&mut h, "3 computers, 4 sessions", 30);
    new_session(&mut h, "Srv1", "Termed");
    assert_eq!(
        lab.shell("Srv1", "Termed").and_then(|s| s.state),
        Some(ShellState::Connected)
    );
    // And someone's disconnected session, connected to from here.
    click(&mut h, "Session ITTask on Srv1");
    click(&mut h, "Connect");
    click(&mut h, "Connect session");
    wait_until(&mut h, 30, "ITTask connected here", |_| {
        lab.shell("Srv1", "ITTask").and_then(|s| s.state) == Some(ShellState::Connected)
    });
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    wait_until(&mut h, 30, "the worker to stop", |h| {
        h.state().has_stopped()
    });
    assert!(!shown(&h, "Quit Baton?"), "SIGTERM does not ask");
    // As PowerShell's host would: the session created here with nothing
    // running is closed; the one connected to is handed back.
    assert!(lab.shell("Srv1", "Termed").is_none());
    assert_eq!(
        lab.shell("Srv1", "ITTask").and_then(|s| s.state),
        Some(ShellState::Disconnected)
    );
    // Each outcome is in the audit trail (Activity).
    let trail: Vec<(String, Option<String>, String, String)> = h
        .state()
        .state
        .activity()
        .iter()
        .filter(|e| e.options == "(on exit)")
        .map(|e| {
            (
                e.action.clone(),
                e.session.clone(),
                e.computer.clone(),
                e.result.clone(),
            )
        })
        .collect();
    for (action, session) in [
        ("Disconnect-PSSession", "ITTask"),
        ("Remove-PSSession", "Termed"),
    ] {
        assert!(
            trail.iter().any(|(a, s, c, r)| a == action
                && s.as_deref() == Some(session)
                && c == "Srv1"
                && r == "ok"),
            "{trail:?}"
        );
    }
}

/// A profile that names a user with no saved password (no keyring, or
/// never saved): Refresh asks for that user's password once for every
/// computer of the group, then signs in as that user, never as someone
/// else; the password is kept for the console session; Cancel sends nothing.
#[test]
fn a_profile_user_without_a_saved_password_is_asked_for_once_then_used() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let ask = CredentialChoice::Saved {
        entry_id: String::new(),
        user: TECH.into(),
    };
    let inventory = vec![GroupNode {
        name: "Lab".into(),
        computers: ["Srv1", "Srv2", "Srv30"]
            .iter()
            .map(|n| lab_node(n, &ask))
            .collect(),
    }];
    let mut h = console_over(&lab, inventory.clone());
    click(&mut h, "Refresh");
    h.get_by_label(&format!("Password for {TECH}"));
    h.get_by_label_contains("The profile signs in to 3 computers as");
    // Escape: nothing is sent, and the console says so.
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    assert!(h.query_by_label(&format!("Password for {TECH}")).is_none());
    assert!(shown(&h, "Not sent: Get-PSSession"));
    // Again, with the password: Enter signs in, on every computer at once.
    click(&mut h, "Refresh");
    type_into(&mut h, "Password", TECH_PW);
    h.key_press(egui::Key::Enter);
    h.run_steps(4);
    wait_for(&mut h, "3 computers, 4 sessions", 30);
    // Kept for the session: the next Refresh asks nothing.
    click(&mut h, "Refresh");
    assert!(h.query_by_label(&format!("Password for {TECH}")).is_none());
    // A wrong password is the server's refusal, not a silent other identity.
    let mut h = console_over(&lab, inventory);
    click(&mut h, "Refresh");
    type_into(&mut h, "Password", "not-the-password");
    h.key_press(egui::Key::Enter);
    h.run_steps(4);
    wait_until(&mut h, 30, "the refusals", |h| {
        h.state().state.toasts().len() == 3
    });
    for t in h.state().state.toasts() {
        assert!(
            t.detail.contains(&format!("{TECH} was refused")),
            "the user it tried is named: {}",
            t.detail
        );
    }
}

/// The hand-over, in the console: the technician connects to ITTask, hands
/// it over (kept one hour, Block) and gets a note without a password; the
/// manager's console, signed in as the manager, finds the session from the
/// pasted note (asking the technician's password, which the note names the
/// account of), and from a bare InstanceId, ready for Connect and Receive.
#[test]
fn hand_over_dialog_note_and_find_session_from_the_note() {
    let lab = lab();
    let _guard = lab.rt.enter();
    let mut tech = console(&lab, TECH, TECH_PW);
    click(&mut tech, "Refresh");
    wait_for(&mut tech, "3 computers, 4 sessions", 30);
    click(&mut tech, "Computer Srv1");
    click(&mut tech, "Session ITTask on Srv1");
    // Hand over is for a session open here.
    assert!(is_disabled(&tech, "Hand over…"));
    click(&mut tech, "Connect");
    type_into(&mut tech, "Password", TECH_PW);
    click(&mut tech, "Connect session");
    wait_for(&mut tech, "Opened · Available", 30);

    click(&mut tech, "Hand over…");
    // (The pointer first leaves the toolbar, whose tooltip covers the
    // dialog's first row.)
    click(&mut tech, "4 hours");
    click(&mut tech, "1 hour");
    assert!(shown(&tech, "Expires: "), "the note says until when");
    // Block by default, with the trade-off said.
    tech.get_by_label_contains("Block: when the output buffer is full, the command pauses");
    let id = lab.shell("Srv1", "ITTask").unwrap().shell_id;
    let note_line = format!("InstanceId: {}", id.to_lowercase());
    assert!(shown(&tech, &note_line), "the note names the InstanceId");
    assert!(shown(
        &tech,
        "Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01"
    ));
    click(&mut tech, "Disconnect and hand over");
    wait_until(&mut tech, 30, "ITTask handed over", |h| {
        h.query_all_by_label("Opened · Available").next().is_none()
    });
    assert!(shown(&tech, "Hand-over note copied to the clipboard"));
    let shell = lab.shell("Srv1", "ITTask").unwrap();
    assert_eq!(shell.state, Some(ShellState::Disconnected));
    assert_eq!(shell.idle_timeout_ms, Some(3_600_000), "kept one hour");
    let note = format!(
        "Baton hand-over\nComputer: Srv1\nSession: ITTask\nInstanceId: {}\nAccount: {TECH}\n",
        id.to_lowercase()
    );

    // The manager pastes the note: the technician's account is asked for
    // once, and the session is found and selected.
    let mut mgr = console(&lab, "Domain01\\Manager01", "Mgr-P@ss1");
    click(&mut mgr, "Find session…");
    type_into(&mut mgr, "Note, line or InstanceId", &note);
    mgr.get_by_label_contains("Looks for ITTask");
    click(&mut mgr, "Find");
    mgr.get_by_label(&format!("Password for {TECH}"));
    type_into(&mut mgr, "Password", TECH_PW);
    mgr.key_press(egui::Key::Enter);
    mgr.run_steps(4);
    wait_for(&mut mgr, "Found ITTask on Srv1", 30);
    assert_eq!(
        mgr.state().state.focus,
        Some(baton::ui::NodeKey::Session {
            computer: "Srv1".into(),
            instance_id: uuid::Uuid::parse_str(&id).unwrap(),
        })
    );
    assert!(!is_disabled(&mgr, "Connect"), "ready for Connect");

    // A bare InstanceId finds it too, among the sessions now known.
    let mut again = console(&lab, TECH, TECH_PW);
    click(&mut again, "Refresh");
    wait_for(&mut again, "3 computers, 4 sessions", 30);
    click(&mut again, "Find session…");
    type_into(&mut again, "Note, line or InstanceId", &id);
    click(&mut again, "Find");
    wait_for(&mut again, "Found ITTask on Srv1", 30);
}

/// Reconnect after an outage, in the console with a real worker: the held
/// list the last run left names three sessions of Srv1; the lab stops
/// (the console starts and cannot reach it) and starts again on the same
/// address; then Reconnect… shows each as the server has it now
/// (Disconnected: connected on request; Busy in another client: removed
/// on request as its owner; expired: gone) and acts on each.
#[test]
fn reconnect_after_the_lab_stops_and_restarts() {
    use baton::bridge::{Command, Event};
    use baton::lab::listener::{self, ListenerSettings};
    use baton::model::hand_over::HeldRecord;
    let lab = lab_at(60.0);
    let _guard = lab.rt.enter();
    let srv1 = lab.service("Srv1");
    let settings = ListenerSettings {
        users: lab.built.users.clone(),
        allow_basic: false,
        allow_unencrypted: false,
        ..ListenerSettings::default()
    };
    let up = lab
        .rt
        .block_on(listener::serve_http(
            "127.0.0.1:0".parse().unwrap(),
            settings.clone(),
            srv1.clone(),
        ))
        .unwrap();
    let addr = up.local_addr;
    let url = format!("http://{addr}/wsman");

    // Another client holds a session of the technician's open: Busy to us.
    let other = lab.worker();
    let op = other.next_op();
    other.send(Command::NewSession {
        op,
        computer: baton::bridge::ComputerRef::new(
            "Srv1",
            ConnectionSpec::for_computer("Srv1"),
            CredentialChoice::Once(Credential::new(TECH, TECH_PW)),
        ),
        name: Some("Elsewhere".into()),
        idle_timeout_ms: None,
        output_buffering_mode: baton::model::OutputBufferingMode::None,
    });
    loop {
        match other.recv_timeout(Duration::from_secs(30)) {
            Some(Event::OpFinished { op: o, .. }) if o == op => break,
            Some(Event::OpFailed { error, .. }) => panic!("{error:?}"),
            None => panic!("the other client's session did not open"),
            _ => {}
        }
    }

    // What the last run left: ITTask (seeded, Disconnected), Elsewhere, and
    // one that has expired since.
    let dir = tempfile::tempdir().unwrap();
    let held = baton::store::held::HeldFile::new(dir.path().join("held.json"));
    let record = |name: &str, id| HeldRecord {
        computer: "Srv1".into(),
        session: name.into(),
        instance_id: id,
        account: TECH.into(),
        since: chrono::Utc::now(),
        handed_over: true,
    };
    let id_of =
        |name: &str| uuid::Uuid::parse_str(&lab.shell("Srv1", name).expect(name).shell_id).unwrap();
    held.save(&[
        record("ITTask", id_of("ITTask")),
        record("Elsewhere", id_of("Elsewhere")),
        record("Expired", uuid::Uuid::new_v4()),
    ])
    .unwrap();

    // The lab goes away; the console starts meanwhile.
    lab.rt.block_on(up.stop());
    // Its worker reaches Srv1 over the socket only (not in process).
    let (worker, side) = baton::bridge::WorkerHandle::pair(Arc::new(|| {}));
    baton::worker::spawn(
        side,
        baton::worker::WorkerConfig {
            held: Some(held.clone()),
            ..baton::worker::WorkerConfig::default()
        },
    )
    .unwrap();
    let inventory = vec![GroupNode {
        name: "Lab".into(),
        computers: vec![remote_node("Srv1", url)],
    }];
    let mut h = console_on(worker, inventory, |app| app);
    wait_for(
        &mut h,
        "When Baton last ran you held or handed over 3 session(s)",
        30,
    );
    click(&mut h, "Reconnect…");
    assert_eq!(count(&h, "Not known yet: its computer has not answered"), 3);
    click(&mut h, "Close");
    click(&mut h, "Refresh");
    wait_for(&mut h, "What to do: Check that the computer is on", 60);

    // It comes back on the same address.
    let up = lab
        .rt
        .block_on(listener::serve_http(addr, settings, srv1.clone()))
        .unwrap();
    click(&mut h, "Refresh");
    wait_for(&mut h, "Session ITTask on Srv1", 60);
    click(&mut h, "Reconnect…");
    h.get_by_label("Disconnected: can be connected");
    h.get_by_label("Busy: another client holds it");
    h.get_by_label_contains("Gone: its idle timeout ran out");

    // Disconnected: connected again, at the dialog's ThrottleLimit.
    click(&mut h, "Reconnect 1");
    wait_lab(60, "ITTask connected to this console", || {
        lab.shell("Srv1", "ITTask")
            .is_some_and(|s| s.state == Some(ShellState::Connected))
    });
    // Busy elsewhere: removed as its owner, only when asked.
    click(&mut h, "Reconnect…");
    // (The console hears of it a moment after the lab.)
    wait_for(&mut h, "Open in this console", 30);
    click(&mut h, "Remove Elsewhere anyway");
    wait_lab(60, "Elsewhere removed", || {
        lab.shell("Srv1", "Elsewhere").is_none()
    });
    // Gone: forgotten once Srv1 was listed without it.
    let kept = held.load().unwrap();
    assert!(
        kept.iter().all(|r| r.session != "Expired"),
        "the expired one is forgotten: {kept:?}"
    );
    lab.rt.block_on(up.stop());
}
