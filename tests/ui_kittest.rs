//! The console, headless: egui_kittest drives `BatonApp` through AccessKit
//! (by role and label) with a fake worker and a fixed clock. No network, no GPU.

use baton::bridge::{ActivityEntry, Command, CredentialChoice, Event, FakeWorker, WorkerHandle};
use baton::model::{
    Availability, ConfigurationQuotas, ErrorView, OutputBufferingMode, OutputItem, ProgressView,
    SessionInfo, SessionState, UserError,
};
use baton::store::activity::ActivityLog;
use baton::ui::{BatonApp, ComputerNode, GroupNode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn inventory() -> Vec<GroupNode> {
    vec![
        GroupNode {
            name: "Servers".into(),
            computers: vec![ComputerNode::new("Srv1"), ComputerNode::new("Srv2")],
        },
        GroupNode {
            name: "Lab".into(),
            computers: vec![ComputerNode::new("Srv30")],
        },
    ]
}

fn info(computer: &str, id: u32, state: SessionState, av: Availability) -> SessionInfo {
    SessionInfo::new(computer, "ITTask")
        .with_id(id)
        .with_state(state, av)
        .with_owner("Domain01\\User01")
}

struct Fx {
    h: Harness<'static, BatonApp>,
    worker: FakeWorker,
    /// Srv1 ITTask (Opened) and Srv2 ITTask (Disconnected, expires); Srv30 ITTask is Busy.
    s1: SessionInfo,
    s2: SessionInfo,
}

fn app() -> (Harness<'static, BatonApp>, FakeWorker) {
    let (handle, worker) = WorkerHandle::fake();
    (
        harness(BatonApp::new(handle, inventory(), Box::new(t0))),
        worker,
    )
}

/// A console window of 1500 × 950 around `app`.
fn harness(app: BatonApp) -> Harness<'static, BatonApp> {
    Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app)
}

fn listed(worker: &FakeWorker, computer: &str, sessions: Vec<SessionInfo>) {
    worker.push(Event::SessionsListed {
        op: 1,
        computer: computer.into(),
        sessions,
    });
}

fn fixture() -> Fx {
    let (mut h, worker) = app();
    let s1 = info("Srv1", 1, SessionState::Opened, Availability::Available);
    let mut s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    s2.disconnected_on = Some(t0() - Duration::hours(1));
    s2.expires_on = Some(t0() + Duration::seconds(4_980));
    let s30 = info("Srv30", 3, SessionState::Disconnected, Availability::Busy);
    listed(&worker, "Srv1", vec![s1.clone()]);
    listed(&worker, "Srv2", vec![s2.clone()]);
    listed(&worker, "Srv30", vec![s30.clone()]);
    h.run();
    Fx { h, worker, s1, s2 }
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

fn is_disabled(h: &Harness<'static, BatonApp>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

#[test]
fn walkthrough_select_read_disconnect_connect_and_output() {
    let Fx {
        mut h,
        worker,
        s1,
        s2,
        ..
    } = fixture();

    // Select Srv1 -> ITTask and read it.
    click(&mut h, "Computer Srv1");
    click(&mut h, "Session ITTask on Srv1");
    h.get_by_label("Opened · Available");
    assert_eq!(h.get_all_by_label("Disconnected · Busy").count(), 1);
    h.get_by_label("IdleTimeout");
    h.get_by_label("7200000 ms (2h 0m)");
    h.get_by_label("OutputBufferingMode");
    h.get_by_label("Block");
    h.get_by_label(&s1.instance_id.to_string());
    click(&mut h, "ConnectionInfo");
    h.get_by_label("http://Srv1:5985/wsman");
    h.get_by_label("60000 ms"); // CancelTimeout, with its unit
    assert!(worker.commands().is_empty(), "reading sends nothing");

    // Disconnect with an out-of-range IdleTimeoutSec: refused before sending.
    click(&mut h, "Disconnect…");
    h.get_by_label_contains("Allowed: 60 … 43200 seconds");
    type_into(&mut h, "IdleTimeoutSec", "172800");
    h.get_by_label(
        "The session ITTask cannot be disconnected because the specified idle timeout value \
         172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or \
         less that the minimum allowed60(seconds).  Choose an idle time out value that is \
         within the allowed range and try again.",
    );
    assert!(is_disabled(&h, "Confirm disconnect"));
    click(&mut h, "Confirm disconnect");
    assert!(
        worker.commands().is_empty(),
        "nothing sent for an out-of-range value"
    );
    click(&mut h, "Cancel");
    assert!(
        h.query_by_label("IdleTimeoutSec").is_none(),
        "dialog closed"
    );

    // A valid value: exactly one Disconnect with the right fields.
    click(&mut h, "Disconnect…");
    type_into(&mut h, "IdleTimeoutSec", "3600");
    click(&mut h, "Drop");
    h.get_by_label_contains("IdleTimeout 7200 s -> 3600 s; OutputBufferingMode Block -> Drop");
    click(&mut h, "Confirm disconnect");
    let cmds = worker.commands();
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    match &cmds[0] {
        Command::Disconnect {
            sessions,
            idle_timeout_sec,
            output_buffering_mode,
            throttle_limit,
            ..
        } => {
            assert_eq!(sessions.len(), 1);
            assert_eq!(sessions[0].instance_id, s1.instance_id);
            assert_eq!(sessions[0].computer.name, "Srv1");
            assert_eq!(*idle_timeout_sec, Some(3600));
            assert_eq!(*output_buffering_mode, OutputBufferingMode::Drop);
            assert_eq!(*throttle_limit, 32);
        }
        other => panic!("expected Disconnect, got {other:?}"),
    }
    // The status bar shows it in flight, with a Cancel.
    h.get_by_label("Cancel Disconnect-PSSession ITTask on Srv1");

    // The worker reports the session disconnected: badge and countdown.
    let mut d1 = s1.clone();
    d1.state = SessionState::Disconnected;
    d1.availability = Availability::None;
    d1.idle_timeout_ms = Some(3_600_000);
    d1.output_buffering_mode = OutputBufferingMode::Drop;
    d1.disconnected_on = Some(t0());
    d1.expires_on = Some(t0() + Duration::hours(1));
    worker.push(Event::SessionChanged(d1));
    worker.push(Event::OpFinished {
        op: 1,
        message: "1 session disconnected".into(),
    });
    h.run();
    assert_eq!(
        h.get_all_by_label("Disconnected · None").count(),
        2,
        "Srv1's badge joins Srv2's"
    );
    assert!(h.query_by_label("Opened · Available").is_none());
    h.get_by_label("expires in 1h 0m");
    h.get_by_label("expires in 1h 23m");

    // Connect as the technician.
    click(&mut h, "Session ITTask on Srv2");
    click(&mut h, "Connect");
    click(&mut h, "Another user's name and password");
    type_into(&mut h, "User name", "Domain01\\User01");
    type_into(&mut h, "Password", "P@ssw0rd!");
    click(&mut h, "Connect session");
    let cmds = worker.commands();
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    match &cmds[0] {
        Command::Connect { session, .. } => {
            assert_eq!(session.instance_id, s2.instance_id);
            match &session.computer.credential {
                CredentialChoice::Once(c) => {
                    assert_eq!(c.user, "Domain01\\User01");
                    assert_eq!(c.password.expose(), "P@ssw0rd!");
                }
                other => panic!("expected a one-time credential, got {other:?}"),
            }
        }
        other => panic!("expected Connect, got {other:?}"),
    }
    assert!(h.query_by_label("Password").is_none(), "dialog closed");

    // Output piled up meanwhile: shown by stream.
    let cmd_id = Uuid::new_v4();
    worker.push(Event::Output {
        computer: "Srv2".into(),
        instance_id: s2.instance_id,
        command_id: cmd_id,
        items: vec![
            OutputItem::Output(baton::model::RemoteObject::text(
                "Backup of C:\\Data finished",
            )),
            OutputItem::Error(ErrorView {
                message: "Cannot find path 'C:\\Missing' because it does not exist.".into(),
                fully_qualified_error_id:
                    "PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand".into(),
                category:
                    "ObjectNotFound: (C:\\Missing:String) [Get-ChildItem], ItemNotFoundException"
                        .into(),
                target: Some("C:\\Missing".into()),
                script_stack_trace: None,
            }),
            OutputItem::Warning("disk D: is 95% full".into()),
            OutputItem::Verbose("copying 12 files".into()),
            OutputItem::Progress(ProgressView {
                activity_id: 1,
                activity: "Copying".into(),
                status: "12 of 40".into(),
                percent_complete: 30,
                ..ProgressView::default()
            }),
        ],
    });
    h.run();
    click(&mut h, "Output");
    h.get_by_label("Backup of C:\\Data finished");
    h.get_by_label("ERROR: Cannot find path 'C:\\Missing' because it does not exist.");
    h.get_by_label("WARNING: disk D: is 95% full");
    h.get_by_label("VERBOSE: copying 12 files");
    h.get_by_label("Progress Copying: 12 of 40");
    click(&mut h, "Error details");
    h.get_by_label("PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand");
}

#[test]
fn bulk_disconnect_previews_all_three_and_sends_one_command() {
    let (mut h, worker) = app();
    let ss: Vec<SessionInfo> = ["Srv1", "Srv2", "Srv30"]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            info(
                c,
                u32::try_from(i).unwrap() + 1,
                SessionState::Opened,
                Availability::Available,
            )
        })
        .collect();
    for s in &ss {
        listed(&worker, &s.computer_name, vec![s.clone()]);
    }
    h.run();
    click(&mut h, "Session ITTask on Srv1");
    for c in ["Srv2", "Srv30"] {
        h.get_by_label(&format!("Session ITTask on {c}"))
            .click_modifiers(Modifiers::COMMAND);
        h.run();
    }
    click(&mut h, "Disconnect…");
    for c in ["Srv1", "Srv2", "Srv30"] {
        h.get_by_label_contains(&format!(
            "\"Disconnect-PSSession\" on target \"Name: ITTask, ComputerName: {c}\""
        ));
    }
    type_into(&mut h, "ThrottleLimit", "0"); // "32" + "0" = 320
    click(&mut h, "Confirm disconnect");
    let cmds = worker.commands();
    assert_eq!(cmds.len(), 1, "one bulk command: {cmds:?}");
    let Command::Disconnect {
        sessions,
        throttle_limit,
        idle_timeout_sec,
        ..
    } = &cmds[0]
    else {
        panic!("expected Disconnect, got {:?}", cmds[0]);
    };
    let mut got: Vec<Uuid> = sessions.iter().map(|s| s.instance_id).collect();
    let mut want: Vec<Uuid> = ss.iter().map(|s| s.instance_id).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(*throttle_limit, 320);
    assert_eq!(*idle_timeout_sec, None);
    h.get_by_label("Cancel Disconnect-PSSession (3 sessions)");
}

#[test]
fn remove_asks_to_confirm_and_busy_sessions_are_explained() {
    let Fx {
        mut h, worker, s2, ..
    } = fixture();
    // Busy: Del opens the dialog, which explains, sends nothing by itself,
    // and offers "Remove anyway" (Remove-PSSession -Force).
    click(&mut h, "Session ITTask on Srv30");
    assert!(!is_disabled(&h, "Remove…"));
    assert!(is_disabled(&h, "Connect"));
    h.key_press(Key::Delete);
    h.run();
    h.get_by_label_contains("is connected to another client (Busy): ask its holder");
    h.get_by_label_contains("Held by a client from ");
    assert!(
        h.query_by_label("Confirm remove")
            .is_some_and(|b| b.accesskit_node().is_disabled())
    );
    assert!(worker.commands().is_empty());
    click(&mut h, "Remove anyway");
    let cmds = worker.commands();
    let [
        Command::Remove {
            sessions, force, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected one Remove, got {cmds:?}");
    };
    assert!(*force);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].name, "ITTask");
    // Enter on a Busy session: the Connect dialog refuses with the reason.
    h.key_press(Key::Enter);
    h.run();
    h.get_by_label_contains("This session is connected to another client (Busy)");
    assert!(is_disabled(&h, "Connect session"));
    click(&mut h, "Cancel");
    assert!(worker.commands().is_empty());

    // A disconnected one: Del -> confirm -> one Remove.
    click(&mut h, "Session ITTask on Srv2");
    h.key_press(Key::Delete);
    h.run();
    h.get_by_label("Will remove: ITTask on Srv2 (Disconnected)");
    assert!(worker.commands().is_empty(), "nothing before confirming");
    click(&mut h, "Confirm remove");
    let cmds = worker.commands();
    assert_eq!(cmds.len(), 1);
    let Command::Remove { sessions, .. } = &cmds[0] else {
        panic!("expected Remove, got {:?}", cmds[0]);
    };
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].instance_id, s2.instance_id);
}

#[test]
fn failures_become_messages_and_the_ui_keeps_working() {
    let Fx { mut h, worker, .. } = fixture();
    worker.push(Event::OpFailed {
        op: 9,
        error: UserError {
            summary: "Cannot connect ITTask on Srv30".into(),
            detail: "The WinRS shell instance is currently connected to a different client.".into(),
            advice: Some("Wait until the other client disconnects, then try again.".into()),
            error_id: Some("ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT".into()),
        },
    });
    h.run();
    h.get_by_label("Cannot connect ITTask on Srv30");
    h.get_by_label("The WinRS shell instance is currently connected to a different client.");
    h.get_by_label("What to do: Wait until the other client disconnects, then try again.");
    // Still responsive: the log has it, and the toast can be dismissed.
    click(&mut h, "Activity");
    h.get_by_label_contains("failed: Cannot connect ITTask on Srv30");
    click(&mut h, "Dismiss: Cannot connect ITTask on Srv30");
    assert!(
        h.query_by_label("What to do: Wait until the other client disconnects, then try again.")
            .is_none()
    );
    click(&mut h, "Computer Srv1");
    h.key_press(Key::F5);
    h.run();
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::ListSessions { .. }]
    ));
}

#[test]
fn filter_hides_non_matching_computers_even_in_collapsed_groups() {
    let Fx { mut h, .. } = fixture();
    click(&mut h, "Collapse Group Lab");
    assert!(h.query_by_label("Computer Srv30").is_none(), "collapsed");
    h.get_by_label("Computer Srv1");
    // Ctrl+F focuses the filter.
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run();
    h.get_by_label("Filter").type_text("srv30");
    h.run();
    h.get_by_label("Computer Srv30");
    h.get_by_label("Session ITTask on Srv30");
    assert!(h.query_by_label("Computer Srv1").is_none());
    assert!(h.query_by_label("Computer Srv2").is_none());
    assert!(h.query_by_label("Group Servers").is_none());
    // Esc in the filter box shows everything again (Lab stays collapsed).
    h.key_press(Key::Escape);
    h.run();
    h.get_by_label("Computer Srv1");
    assert!(h.query_by_label("Computer Srv30").is_none());
    // Double-click opens a collapsed group.
    // (egui tells a double-click by the time between clicks: give it one.)
    h.input_mut().time = Some(100.0);
    h.get_by_label("Group Lab").click();
    h.step();
    h.input_mut().time = Some(100.1);
    h.get_by_label("Group Lab").click();
    h.run();
    h.get_by_label("Computer Srv30");
}

#[test]
fn shift_click_selects_a_range_and_the_preview_says_what_stays() {
    let Fx { mut h, worker, .. } = fixture();
    click(&mut h, "Session ITTask on Srv1");
    h.get_by_label("Session ITTask on Srv30")
        .click_modifiers(Modifiers::SHIFT);
    h.run();
    click(&mut h, "Disconnect…");
    h.get_by_label_contains("target \"Name: ITTask, ComputerName: Srv1\"");
    h.get_by_label_contains("Not changed: ITTask on Srv2 — ITTask is Disconnected");
    h.get_by_label_contains(
        "Not changed: ITTask on Srv30 — ITTask is connected to another client (Busy)",
    );
    click(&mut h, "Confirm disconnect");
    let cmds = worker.commands();
    let [Command::Disconnect { sessions, .. }] = cmds.as_slice() else {
        panic!("expected one Disconnect, got {cmds:?}");
    };
    assert_eq!(sessions.len(), 1, "only the open session changes");
    assert_eq!(sessions[0].computer.name, "Srv1");
}

#[test]
fn keyboard_refresh_arrows_and_configuration() {
    let Fx { mut h, worker, .. } = fixture();
    h.key_press(Key::F5);
    h.run();
    let cmds = worker.commands();
    let [Command::ListSessions { computers, .. }] = cmds.as_slice() else {
        panic!("expected one ListSessions, got {cmds:?}");
    };
    let names: Vec<&str> = computers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Srv1", "Srv2", "Srv30"],
        "nothing selected: every computer"
    );

    // Arrows walk the tree: Servers -> Srv1 -> ITTask on Srv1.
    for _ in 0..3 {
        h.key_press(Key::ArrowDown);
        h.run();
    }
    h.get_by_label("7200000 ms (2h 0m)");
    assert!(!is_disabled(&h, "Disconnect…"));
    // Left goes up to the computer, Left again closes it, Right opens it.
    h.key_press(Key::ArrowLeft);
    h.run();
    assert_eq!(
        h.state().state.focus,
        Some(baton::ui::NodeKey::Computer("Srv1".into()))
    );
    h.key_press(Key::ArrowLeft);
    h.run();
    assert!(h.query_by_label("Session ITTask on Srv1").is_none());
    h.key_press(Key::ArrowRight);
    h.run();
    h.get_by_label("Session ITTask on Srv1");
    h.key_press(Key::ArrowDown);
    h.run();

    // Configuration: shown for the first time, it sends
    // Get-PSSessionConfiguration by itself, once; quotas show with units.
    click(&mut h, "Configuration");
    h.run();
    h.get_by_label_contains("Reading the quotas");
    let cmds = worker.commands();
    let [
        Command::GetConfiguration {
            computer,
            configuration_name,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected GetConfiguration, got {cmds:?}");
    };
    assert_eq!(computer.name, "Srv1");
    assert_eq!(configuration_name, "Microsoft.PowerShell");
    worker.push(Event::Configuration {
        op: 2,
        computer: "Srv1".into(),
        quotas: ConfigurationQuotas {
            name: "Microsoft.PowerShell".into(),
            properties: vec![
                ("IdleTimeoutms".into(), "7200000".into()),
                ("MaxIdleTimeoutms".into(), "43200000".into()),
                ("MaxShellsPerUser".into(), "25".into()),
            ],
        },
    });
    h.run();
    h.get_by_label("MaxIdleTimeoutms");
    h.get_by_label("43200000 ms (12h 0m)");
    h.get_by_label("25");
    // Shown again: the cached quotas, nothing sent; Reload asks again.
    click(&mut h, "Session");
    click(&mut h, "Configuration");
    assert!(worker.commands().is_empty());
    click(&mut h, "Reload");
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::GetConfiguration { .. }]
    ));
}

#[test]
fn fleet_table_lists_every_session_and_sorts() {
    let Fx { mut h, .. } = fixture();
    click(&mut h, "Fleet");
    for c in ["Srv1", "Srv2", "Srv30"] {
        h.get_by_label(&format!("Fleet row ITTask on {c}"));
    }
    assert_eq!(
        h.get_all_by_label("Domain01\\User01").count(),
        3,
        "Owner column"
    );
    click(&mut h, "Sort by ExpiresOn");
    click(&mut h, "Sort by ExpiresOn");
    // Descending by ExpiresOn: Srv2 (the only one expiring) first.
    let first = h
        .get_all_by_label_contains("Fleet row ITTask on")
        .next()
        .unwrap()
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert_eq!(first, "Fleet row ITTask on Srv2");
    click(&mut h, "Fleet row ITTask on Srv30");
    click(&mut h, "Session");
    h.get_by_label("ITTask on Srv30");
}

#[test]
fn ten_thousand_sessions_on_a_thousand_computers_render() {
    let (handle, worker) = WorkerHandle::fake();
    let groups: Vec<GroupNode> = (0..10)
        .map(|g| GroupNode {
            name: format!("Site{g}"),
            computers: (0..100)
                .map(|c| ComputerNode::new(&format!("Srv{g}-{c:03}")))
                .collect(),
        })
        .collect();
    let app = BatonApp::new(handle, groups, Box::new(t0));
    let mut h = harness(app);
    for g in 0..10 {
        for c in 0..100 {
            let computer = format!("Srv{g}-{c:03}");
            let sessions = (0..10)
                .map(|i| {
                    let mut s = info(&computer, i, SessionState::Disconnected, Availability::None);
                    s.name = format!("Job{i}");
                    s.expires_on = Some(t0() + Duration::minutes(i64::from(i)));
                    s
                })
                .collect();
            listed(&worker, &computer, sessions);
        }
    }
    h.run();
    assert_eq!(h.state().state.all_sessions(None).len(), 10_000);
    // The arrow keys walk far down the tree and it scrolls along.
    click(&mut h, "Group Site0");
    assert!(
        h.query_by_label("Session Job4 on Srv0-004").is_none(),
        "below the fold"
    );
    for _ in 0..50 {
        h.key_press(Key::ArrowDown);
        h.run();
    }
    h.get_by_label("Session Job4 on Srv0-004");
    assert_eq!(
        h.state().state.focus,
        Some(baton::ui::NodeKey::Session {
            computer: "Srv0-004".into(),
            instance_id: h.state().state.sessions_of("Srv0-004")[4].instance_id,
        })
    );
    h.get_by_label("1000 computers, 10000 sessions");
    click(&mut h, "Fleet");
    h.get_by_label("Fleet: 10000 sessions on every computer");
}

#[test]
fn context_menu_run_receive_prompt_cancel_and_new_session() {
    let Fx {
        mut h,
        worker,
        s1,
        s2,
    } = fixture();

    // Right-click: the same actions as the toolbar.
    h.get_by_label("Session ITTask on Srv1").click_secondary();
    h.run();
    assert_eq!(
        h.get_all_by_label("Run command…").count(),
        2,
        "toolbar + menu"
    );
    h.get_all_by_label("Run command…").last().unwrap().click();
    h.run();
    type_into(&mut h, "Script", "Start-Sleep 3600; Get-ChildItem C:\\Data");
    click(&mut h, "Start in disconnected session");
    let cmds = worker.commands();
    let [
        Command::Invoke {
            session,
            script,
            in_disconnected_session,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected one Invoke, got {cmds:?}");
    };
    assert_eq!(session.instance_id, s1.instance_id);
    assert_eq!(script, "Start-Sleep 3600; Get-ChildItem C:\\Data");
    assert!(*in_disconnected_session);

    // Run command does not apply to a disconnected session; Receive does.
    click(&mut h, "Session ITTask on Srv2");
    assert!(is_disabled(&h, "Run command…"));
    click(&mut h, "Receive output");
    let cmds = worker.commands();
    let [Command::Receive { op, session }] = cmds.as_slice() else {
        panic!("expected one Receive, got {cmds:?}");
    };
    assert_eq!(session.instance_id, s2.instance_id);
    let receive_op = *op;
    h.get_by_label_contains("No output received from ITTask yet");

    // The worker's command asks for input: answer it.
    let command_id = Uuid::new_v4();
    worker.push(Event::PromptRequested {
        computer: "Srv2".into(),
        instance_id: s2.instance_id,
        command_id,
        prompt: "Share name".into(),
        secure: false,
    });
    h.run();
    h.get_by_label("Share name");
    type_into(&mut h, "Answer", "\\\\nas\\backup");
    click(&mut h, "Send answer");
    let cmds = worker.commands();
    let [
        Command::AnswerPrompt {
            command_id: cid,
            answer,
            session,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected one AnswerPrompt, got {cmds:?}");
    };
    assert_eq!((*cid, answer.as_str()), (command_id, "\\\\nas\\backup"));
    assert_eq!(session.instance_id, s2.instance_id);
    h.get_by_label("> Share name \\\\nas\\backup");

    // Cancel the Receive still in flight.
    click(&mut h, "Cancel Receive-PSSession ITTask on Srv2");
    let cmds = worker.commands();
    assert!(
        matches!(cmds.as_slice(), [Command::Cancel { op }] if *op == receive_op),
        "{cmds:?}"
    );
    h.get_by_label_contains("cancelling");

    // New session on Srv2: too short an IdleTimeout is refused, then created.
    click(&mut h, "Computer Srv2");
    click(&mut h, "New session…");
    type_into(&mut h, "Name", "Nightly");
    type_into(&mut h, "IdleTimeout (ms)", "30000");
    h.get_by_label_contains("below the minimum of 60000 ms");
    assert!(is_disabled(&h, "Create session"));
    type_into(&mut h, "IdleTimeout (ms)", "0");
    click(&mut h, "Block");
    click(&mut h, "Create session");
    let cmds = worker.commands();
    let [
        Command::NewSession {
            computer,
            name,
            idle_timeout_ms,
            output_buffering_mode,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected one NewSession, got {cmds:?}");
    };
    assert_eq!(computer.name, "Srv2");
    assert_eq!(name.as_deref(), Some("Nightly"));
    assert_eq!(*idle_timeout_ms, Some(300_000));
    assert_eq!(*output_buffering_mode, OutputBufferingMode::Block);

    // Test connection on a group tests each of its computers.
    click(&mut h, "Group Servers");
    click(&mut h, "Test connection");
    let names: Vec<String> = worker
        .commands()
        .into_iter()
        .map(|c| match c {
            Command::TestConnection { computer, .. } => computer.name,
            other => panic!("expected TestConnection, got {other:?}"),
        })
        .collect();
    assert_eq!(names, ["Srv1", "Srv2"]);
    worker.push(Event::ComputerIdentified {
        op: 50,
        computer: "Srv1".into(),
        product_vendor: "Microsoft Corporation".into(),
        product_version: "OS: 10.0.20348 SP: 0.0 Stack: 3.0".into(),
        protocol_version: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd".into(),
    });
    h.run();
    h.get_by_label("Srv1 answers: WinRM is reachable");
}

#[test]
fn connect_with_a_saved_credential_or_saving_a_new_one() {
    let (handle, worker) = WorkerHandle::fake();
    let app = BatonApp::new(handle, inventory(), Box::new(t0))
        .with_saved_credentials(vec![(
            "baton/Domain01\\Admin".into(),
            "Domain01\\Admin".into(),
        )])
        .with_keyring();
    // What the console asked the worker to keep in the keyring.
    let saved = |commands: &[Command]| -> Vec<(String, String)> {
        commands
            .iter()
            .filter_map(|c| match c {
                Command::SaveCredential {
                    entry: None,
                    credential,
                    ..
                } => Some((
                    credential.user.clone(),
                    credential.password.expose().to_owned(),
                )),
                _ => None,
            })
            .collect()
    };
    let mut h = harness(app);
    let s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    listed(&worker, "Srv2", vec![s2.clone()]);
    h.run();

    click(&mut h, "Session ITTask on Srv2");
    h.key_press(Key::Enter);
    h.run();
    click(&mut h, "A saved credential");
    click(&mut h, "Connect session");
    let cmds = worker.commands();
    let [Command::Connect { session, .. }] = cmds.as_slice() else {
        panic!("expected Connect, got {cmds:?}");
    };
    assert_eq!(
        session.computer.credential,
        CredentialChoice::Saved {
            entry_id: "baton/Domain01\\Admin".into(),
            user: "Domain01\\Admin".into()
        }
    );
    assert!(saved(&cmds).is_empty());

    click(&mut h, "Connect");
    click(&mut h, "Another user's name and password");
    type_into(&mut h, "User name", "Domain01\\User01");
    type_into(&mut h, "Password", "S3cret!");
    assert!(
        !h.get_by_label("Password")
            .value()
            .unwrap_or_default()
            .is_empty(),
        "the field holds the typed (masked) password"
    );
    click(&mut h, "Save in keyring");
    click(&mut h, "Connect session");
    let cmds = worker.commands();
    assert_eq!(
        saved(&cmds),
        [("Domain01\\User01".to_owned(), "S3cret!".to_owned())]
    );
    assert!(cmds.iter().any(|c| matches!(
        c,
        Command::Connect { session, .. }
            if matches!(&session.computer.credential, CredentialChoice::Once(c) if c.user == "Domain01\\User01")
    )));
    // A fresh dialog never shows the last password.
    click(&mut h, "Connect");
    click(&mut h, "Another user's name and password");
    assert_eq!(h.get_by_label("Password").value().unwrap_or_default(), "");
}

#[test]
fn connection_info_marks_unsafe_settings() {
    let (handle, _worker) = WorkerHandle::fake();
    let mut c = ComputerNode::new("Srv9");
    c.spec.scheme = "https".into();
    c.spec.port = 5986;
    c.spec.skip_ca_check = true;
    c.credential = CredentialChoice::Saved {
        entry_id: "baton/Domain01\\Admin".into(),
        user: "Domain01\\Admin".into(),
    };
    let groups = vec![GroupNode {
        name: "DMZ".into(),
        computers: vec![c, ComputerNode::new("Srv10")],
    }];
    let app = BatonApp::new(handle, groups, Box::new(t0));
    let mut h = harness(app);
    h.run();
    click(&mut h, "Computer Srv9");
    click(&mut h, "ConnectionInfo");
    h.get_by_label("https://Srv9:5986/wsman");
    h.get_by_label("Domain01\\Admin");
    h.get_by_label_contains("Warning: unsafe settings: SkipCACheck");
    assert_eq!(h.get_all_by_label("(!) unsafe").count(), 1);
    click(&mut h, "Computer Srv10");
    assert!(h.query_by_label("(!) unsafe").is_none());
    h.get_by_label("http://Srv10:5985/wsman");
}

fn logged_app(log: &ActivityLog) -> (Harness<'static, BatonApp>, FakeWorker) {
    let (handle, worker) = WorkerHandle::fake();
    let app = BatonApp::new(handle, inventory(), Box::new(t0)).with_activity_history(log.history());
    let h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui, app: &mut BatonApp| app.frame(ui), app);
    (h, worker)
}

/// The commands sent since the last call, split into the entries handed to
/// the worker for the activity file and the other commands.
fn sent(worker: &FakeWorker) -> (Vec<ActivityEntry>, Vec<Command>) {
    let mut entries = Vec::new();
    let mut others = Vec::new();
    for c in worker.commands() {
        match c {
            Command::RecordActivity { entries: e } => entries.extend(e),
            other => others.push(other),
        }
    }
    (entries, others)
}

/// The console reads the history it was given, and hands every new entry
/// (the worker's and its own) to the worker, which owns the file; the file
/// itself is covered with a real worker in `worker_contract` and `ui_lab`.
#[test]
fn activity_history_is_shown_new_entries_go_to_the_worker_and_damage_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let log = ActivityLog::new(dir.path().join("baton/activity.jsonl")).with_operator("helpdesk1");
    let (mut h, worker) = logged_app(&log);
    h.run();
    click(&mut h, "Activity");
    h.get_by_label("No activity yet.");
    // A worker entry (who, session, computer, options, result) and the
    // console's own entry for the action it ended.
    let disconnect = ActivityEntry {
        time: t0(),
        user: "Domain01\\User01".into(),
        computer: "Srv1".into(),
        session: Some("ITTask".into()),
        action: "Disconnect-PSSession".into(),
        options: "-IdleTimeoutSec 3600 -OutputBufferingMode Drop".into(),
        result: "ok".into(),
    };
    worker.push(Event::Activity(disconnect.clone()));
    h.key_press(Key::F5);
    h.run();
    let (mut entries, cmds) = sent(&worker);
    let [Command::ListSessions { op, .. }] = cmds.as_slice() else {
        panic!("expected ListSessions, got {cmds:?}");
    };
    worker.push(Event::OpFinished {
        op: *op,
        message: "Listed sessions on 3 of 3 computer(s)".into(),
    });
    h.run();
    h.get_by_label("-IdleTimeoutSec 3600 -OutputBufferingMode Drop");
    entries.extend(sent(&worker).0);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0], disconnect);
    assert_eq!(entries[1].user, "helpdesk1");
    assert_eq!(
        entries[1].result,
        "ok: Listed sessions on 3 of 3 computer(s)"
    );
    // Nothing new: nothing more is sent.
    h.run();
    assert!(sent(&worker).0.is_empty());
    // The worker could not write: one message, and the console goes on.
    worker.push(Event::ActivityNotSaved {
        error: "/full/disk/activity.jsonl: No space left on device".into(),
    });
    h.run();
    h.get_by_label("Activity is not being saved");
    h.get_by_label_contains("No space left on device");
    drop(h);

    // The next start shows what the file holds.
    for e in &entries {
        log.append(e).unwrap();
    }
    let (mut h, _worker) = logged_app(&log);
    h.run();
    click(&mut h, "Activity");
    h.get_by_label("-IdleTimeoutSec 3600 -OutputBufferingMode Drop");
    h.get_by_label("ok: Listed sessions on 3 of 3 computer(s)");
    h.get_by_label("helpdesk1");
    drop(h);

    // A damaged line: the rest is shown, the damage is a message, the
    // console works and keeps recording.
    std::fs::OpenOptions::new()
        .append(true)
        .open(log.path())
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"time\": garbage\n"))
        .unwrap();
    let (mut h, worker) = logged_app(&log);
    h.run();
    h.get_by_label("Part of the activity history could not be read");
    h.get_by_label_contains("1 line(s) of the activity file could not be read and were skipped");
    click(&mut h, "Activity");
    h.get_by_label("-IdleTimeoutSec 3600 -OutputBufferingMode Drop");
    click(
        &mut h,
        "Dismiss: Part of the activity history could not be read",
    );
    h.key_press(Key::F5);
    h.run();
    assert!(matches!(
        sent(&worker).1.as_slice(),
        [Command::ListSessions { .. }]
    ));
    worker.push(Event::OpFailed {
        op: 1,
        error: UserError {
            summary: "Cannot list the sessions of Srv9".into(),
            detail: "connection refused".into(),
            advice: None,
            error_id: None,
        },
    });
    h.run();
    let (entries, _) = sent(&worker);
    assert!(
        entries.iter().any(|e| e
            .result
            .contains("failed: Cannot list the sessions of Srv9")),
        "{entries:?}"
    );

    // A file that cannot be read at all (a folder in its place): a message,
    // and the console still works.
    let blocked = dir.path().join("blocked.jsonl");
    std::fs::create_dir(&blocked).unwrap();
    let (mut h, worker) = logged_app(&ActivityLog::new(&blocked));
    h.run();
    h.get_by_label("The activity history could not be read");
    h.get_by_label_contains("blocked.jsonl cannot be read");
    click(&mut h, "Computer Srv1");
    h.key_press(Key::F5);
    h.run();
    assert_eq!(sent(&worker).1.len(), 1);
}

/// Dialogs behave like dialogs: Escape cancels without sending anything,
/// and Enter in the Connect dialog's password field submits it.
#[test]
fn enter_submits_the_connect_dialog_and_escape_cancels_it() {
    let (mut h, worker) = app();
    let s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    listed(&worker, "Srv2", vec![s2]);
    h.run();
    click(&mut h, "Session ITTask on Srv2");
    click(&mut h, "Connect");
    h.get_by_label("Connect session");
    h.key_press(Key::Escape);
    h.run();
    assert!(
        h.query_by_label("Connect session").is_none(),
        "Escape closes the dialog"
    );
    assert!(worker.commands().is_empty(), "nothing was sent");

    click(&mut h, "Connect");
    click(&mut h, "Another user's name and password");
    type_into(&mut h, "User name", "Domain01\\User01");
    type_into(&mut h, "Password", "Tech-P@ss1");
    h.key_press(Key::Enter);
    h.run();
    let cmds = worker.commands();
    assert!(
        matches!(cmds.as_slice(), [Command::Connect { session, .. }]
            if matches!(&session.computer.credential, CredentialChoice::Once(c) if c.user == "Domain01\\User01")),
        "{cmds:?}"
    );
    assert!(
        h.query_by_label("Connect session").is_none(),
        "the dialog closed"
    );
}

/// A first-run user on the demo lab sees its accounts (user, role,
/// password) above the tree, and can dismiss them.
#[test]
fn the_demo_lab_names_its_accounts_until_dismissed() {
    let (handle, _worker) = WorkerHandle::fake();
    let app = BatonApp::new(handle, inventory(), Box::new(t0)).with_lab_accounts(vec![(
        "Domain01\\User01".into(),
        "technician".into(),
        "Tech-P@ss1".into(),
    )]);
    let mut h = harness(app);
    h.run();
    h.get_by_label("Domain01\\User01 (technician), password Tech-P@ss1;");
    click(&mut h, "Dismiss");
    assert!(h.query_by_label_contains("Tech-P@ss1").is_none());
}

/// The Session tab shows what fits the state: an open session has no
/// DisconnectedOn or expiry, a disconnected one has both, and fields the
/// server did not send are left out rather than shown as unknown.
#[test]
fn the_session_tab_shows_what_fits_the_state() {
    let (mut h, worker) = app();
    let mut s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    s2.disconnected_on = Some(t0());
    s2.expires_on = Some(t0() + chrono::Duration::hours(2));
    listed(&worker, "Srv2", vec![s2]);
    listed(
        &worker,
        "Srv1",
        vec![info(
            "Srv1",
            1,
            SessionState::Opened,
            Availability::Available,
        )],
    );
    h.run();
    click(&mut h, "Session ITTask on Srv1");
    h.get_by_label("Owner");
    assert!(h.query_by_label("DisconnectedOn").is_none());
    assert!(h.query_by_label("ExpiresOn").is_none());
    assert!(
        h.query_by_label("ClientIP").is_none(),
        "not sent, not shown"
    );
    assert!(h.query_by_label_contains("(unknown)").is_none());
    click(&mut h, "Session ITTask on Srv2");
    h.get_by_label("DisconnectedOn");
    h.get_by_label("ExpiresOn");
}

/// Refreshing 1,000 computers that all fail gives one notification that
/// sums the failures up by cause, not a thousand; each computer in the tree
/// shows its own error until it answers again.
#[test]
fn a_fleet_that_fails_everywhere_is_one_notification_and_a_badge_per_computer() {
    let (handle, worker) = WorkerHandle::fake();
    let computers: Vec<ComputerNode> = (0..1000)
        .map(|i| ComputerNode::new(&format!("F{i:05}")))
        .collect();
    let app = BatonApp::new(
        handle,
        vec![GroupNode {
            name: "Lab".into(),
            computers,
        }],
        Box::new(t0),
    );
    let mut h = harness(app);
    h.run();
    click(&mut h, "Refresh");
    let cmds = worker.commands();
    let [Command::ListSessions { op, computers, .. }] = cmds.as_slice() else {
        panic!("expected one ListSessions, got {cmds:?}");
    };
    assert_eq!(computers.len(), 1000);
    for c in computers {
        worker.push(Event::PartFailed {
            op: *op,
            computer: c.name.clone(),
            error: UserError {
                summary: format!("Cannot connect to {}", c.name),
                detail: "the current user has no Kerberos ticket".into(),
                advice: Some("Give a credential for group Lab.".into()),
                error_id: None,
            },
        });
    }
    worker.push(Event::OpFailed {
        op: *op,
        error: UserError {
            summary: "Listed sessions on 0 of 1000 computer(s)".into(),
            ..UserError::default()
        },
    });
    h.run();
    let summary = "Get-PSSession on 1000 computers: 1,000 of 1,000 failed. the current user has no Kerberos ticket";
    h.get_by_label(summary);
    assert_eq!(
        h.query_all_by_label_contains("Dismiss: ").count(),
        1,
        "one notification"
    );
    h.get_by_label_contains(
        "1,000 × the current user has no Kerberos ticket (F00000 and 999 more)",
    );
    // The computers show their error in the tree.
    if h.query_by_label("Expand Group Lab").is_some() {
        click(&mut h, "Expand Group Lab");
    }
    let badge = |h: &Harness<'static, BatonApp>, c: &str| {
        h.query_all_by_label_contains(&format!("Error on {c}: Cannot connect to {c}"))
            .count()
    };
    assert_eq!(badge(&h, "F00000"), 1);
    // A computer that answers loses its badge.
    worker.push(Event::SessionsListed {
        op: 9,
        computer: "F00000".into(),
        sessions: Vec::new(),
    });
    h.run();
    assert_eq!(badge(&h, "F00000"), 0);
    assert_eq!(badge(&h, "F00001"), 1);
}

/// The window and the taskbar show Baton's icon, not egui's.
#[test]
fn the_window_icon_is_batons() {
    let icon = baton::ui::window_icon().expect("the icon decodes");
    assert_eq!((icon.width, icon.height), (256, 256));
    assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    assert!(icon.rgba.chunks(4).any(|p| p[3] > 0), "not blank");
}

/// On a platform where Baton cannot sign the current user in, the console
/// does not offer it: Connect starts on another user's name and password,
/// and an action that would sign in as the current user is not sent, with why.
#[test]
fn without_single_sign_on_the_console_does_not_offer_it() {
    let (handle, worker) = WorkerHandle::fake();
    let app = BatonApp::new(handle, inventory(), Box::new(t0)).with_platform("macos");
    let mut h = harness(app);
    h.run();
    click(&mut h, "Refresh");
    assert!(worker.commands().is_empty(), "nothing sent");
    h.get_by_label("Dismiss: Not sent: Get-PSSession on 3 computers");
    h.get_by_label_contains("macOS's GSS.framework");
    // Connect: the current user is not offered.
    let s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    listed(&worker, "Srv2", vec![s2]);
    h.run();
    click(&mut h, "Session ITTask on Srv2");
    click(&mut h, "Connect");
    h.get_by_label("User name");
    assert!(
        h.get_by_label("Implicit (you, with single sign-on)")
            .accesskit_node()
            .is_disabled()
    );
}

/// "Try the hand-over" on the demo lab walks the seed scenario: connect to
/// ITTask on Srv1 as the technician, read its output, hand it over, then
/// find it as the next person; each step is a button, and says when done.
#[test]
fn the_walkthrough_does_the_seed_scenario_step_by_step() {
    let (handle, worker) = WorkerHandle::fake();
    let app = BatonApp::new(handle, inventory(), Box::new(t0)).with_lab_accounts(vec![(
        "Domain01\\User01".into(),
        "technician".into(),
        "Tech-P@ss1".into(),
    )]);
    let mut h = harness(app);
    let s1 = info("Srv1", 1, SessionState::Disconnected, Availability::None);
    listed(&worker, "Srv1", vec![s1.clone()]);
    h.run();
    click(&mut h, "Try the hand-over");
    click(&mut h, "Connect as Domain01\\User01");
    let cmds = worker.commands();
    let [Command::Connect { session, .. }] = cmds.as_slice() else {
        panic!("expected Connect, got {cmds:?}");
    };
    assert!(
        matches!(&session.computer.credential, CredentialChoice::Once(c) if c.user == "Domain01\\User01")
    );
    assert!(h.query_by_label("done").is_none());
    let mut opened = s1.clone();
    opened.state = SessionState::Opened;
    opened.availability = Availability::Available;
    worker.push(Event::SessionChanged(opened));
    h.run();
    assert_eq!(h.get_all_by_label("done").count(), 1);

    click(&mut h, "Read its output");
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::Receive { .. }]
    ));
    worker.push(Event::Output {
        computer: "Srv1".into(),
        instance_id: s1.instance_id,
        command_id: Uuid::new_v4(),
        items: vec![OutputItem::Output(baton::model::RemoteObject::text(
            "Patch 1 of 40",
        ))],
    });
    h.run();
    assert_eq!(h.get_all_by_label("done").count(), 2);

    click(&mut h, "Hand it over…");
    click(&mut h, "Disconnect and hand over");
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::Disconnect { .. }]
    ));
    let mut handed = s1.clone();
    handed.state = SessionState::Disconnected;
    worker.push(Event::SessionChanged(handed));
    h.run();
    assert_eq!(h.get_all_by_label("done").count(), 3);
    click(&mut h, "Find it as the next person…");
    h.get_by_label("Note, line or InstanceId");
}

/// Every toolbar action has a key, named in its tooltip: the whole console
/// works without the mouse.
#[test]
fn every_action_has_a_shortcut_named_in_its_tooltip() {
    use baton::ui::Action;
    let mut keys = std::collections::HashSet::new();
    for a in Action::ALL {
        let (key, ctrl, label) = a.shortcut();
        assert!(keys.insert((key, ctrl)), "{label} is used twice");
        assert!(a.tooltip_with_shortcut().ends_with(&format!(" — {label}")));
    }
    let Fx { mut h, worker, .. } = fixture();
    let ctrl = |h: &mut Harness<'static, BatonApp>, key: Key| {
        h.key_press_modifiers(Modifiers::COMMAND, key);
        h.run();
    };
    click(&mut h, "Session ITTask on Srv1");
    ctrl(&mut h, Key::H);
    h.get_by_label("Disconnect and hand over");
    h.key_press(Key::Escape);
    h.run();
    ctrl(&mut h, Key::D);
    h.get_by_label("Confirm disconnect");
    h.key_press(Key::Escape);
    h.run();
    ctrl(&mut h, Key::E);
    h.get_by_label("Script");
    h.key_press(Key::Escape);
    h.run();
    ctrl(&mut h, Key::G);
    h.get_by_label("Note, line or InstanceId");
    h.key_press(Key::Escape);
    h.run();
    click(&mut h, "Computer Srv1");
    ctrl(&mut h, Key::N);
    h.get_by_label("Create session");
    h.key_press(Key::Escape);
    h.run();
    assert!(worker.commands().is_empty(), "dialogs only so far");
    ctrl(&mut h, Key::T);
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::TestConnection { .. }]
    ));
    click(&mut h, "Session ITTask on Srv2");
    ctrl(&mut h, Key::R);
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::Receive { .. }]
    ));
}

/// After an outage: the sessions held before are listed with what each is
/// now (can be connected, Busy with "Remove anyway", gone), and one button
/// connects the ones that can be.
#[test]
fn reconnect_after_an_outage_lists_what_became_of_each_session() {
    use baton::model::hand_over::HeldRecord;
    let (mut h, worker) = app();
    let s2 = info("Srv2", 2, SessionState::Disconnected, Availability::None);
    let s30 = info("Srv30", 3, SessionState::Disconnected, Availability::Busy);
    let record = |c: &str, id: Uuid, handed_over: bool| HeldRecord {
        computer: c.into(),
        session: "ITTask".into(),
        instance_id: id,
        account: "Domain01\\User01".into(),
        since: t0(),
        handed_over,
    };
    worker.push(Event::PreviouslyHeld(vec![
        record("Srv2", s2.instance_id, true),
        record("Srv30", s30.instance_id, false),
        record("Srv1", Uuid::new_v4(), false),
    ]));
    listed(&worker, "Srv1", Vec::new());
    listed(&worker, "Srv2", vec![s2.clone()]);
    listed(&worker, "Srv30", vec![s30.clone()]);
    h.run();
    h.get_by_label_contains("When Baton last ran you held or handed over 3 session(s)");
    click(&mut h, "Reconnect…");
    h.get_by_label("Disconnected: can be connected");
    h.get_by_label("Busy: another client holds it");
    h.get_by_label_contains("Gone: its idle timeout ran out");
    click(&mut h, "Reconnect 1");
    let cmds = worker.commands();
    let [
        Command::ConnectMany {
            sessions,
            throttle_limit: 32,
            ..
        },
    ] = cmds.as_slice()
    else {
        panic!("expected one ConnectMany at PowerShell's ThrottleLimit, got {cmds:?}");
    };
    let [session] = sessions.as_slice() else {
        panic!("only the one that can be connected: {sessions:?}");
    };
    assert_eq!(
        (session.computer.name.as_str(), session.instance_id),
        ("Srv2", s2.instance_id)
    );
    // Busy: removed anyway, as its owner, only when asked.
    click(&mut h, "Reconnect…");
    click(&mut h, "Remove ITTask anyway");
    assert!(matches!(
        worker.commands().as_slice(),
        [Command::Remove { force: true, .. }]
    ));
    click(&mut h, "Dismiss the sessions held before");
    assert!(h.query_by_label("Reconnect…").is_none());
}
