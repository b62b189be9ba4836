use super::*;
use crate::model::ErrorView;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn session(computer: &str, name: &str, state: SessionState, av: Availability) -> SessionInfo {
    SessionInfo::new(computer, name).with_state(state, av)
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

fn state() -> AppState {
    let mut st = AppState::new();
    st.set_inventory(inventory());
    st
}

#[test]
fn sessions_listed_replaces_a_computers_sessions() {
    let mut st = state();
    let a = session(
        "Srv1",
        "ITTask",
        SessionState::Disconnected,
        Availability::None,
    );
    let b = session(
        "Srv1",
        "Other",
        SessionState::Disconnected,
        Availability::Busy,
    );
    st.apply(
        Event::SessionsListed {
            op: 1,
            computer: "srv1".into(),
            sessions: vec![a.clone(), b.clone()],
        },
        now(),
    );
    assert_eq!(
        st.sessions_of("Srv1").len(),
        2,
        "case-insensitive computer names"
    );
    st.apply(
        Event::SessionsListed {
            op: 2,
            computer: "Srv1".into(),
            sessions: vec![b.clone()],
        },
        now(),
    );
    assert_eq!(st.sessions_of("Srv1"), &[b]);
}

#[test]
fn session_changed_upserts_and_gone_removes_and_logs() {
    let mut st = state();
    let mut a = session(
        "Srv2",
        "ITTask",
        SessionState::Opened,
        Availability::Available,
    );
    st.apply(Event::SessionChanged(a.clone()), now());
    st.select(
        NodeKey::Session {
            computer: "Srv2".into(),
            instance_id: a.instance_id,
        },
        false,
    );
    a.state = SessionState::Disconnected;
    a.availability = Availability::None;
    st.apply(Event::SessionChanged(a.clone()), now());
    assert_eq!(st.sessions_of("Srv2").len(), 1);
    assert_eq!(st.sessions_of("Srv2")[0].state, SessionState::Disconnected);
    st.apply(
        Event::SessionGone {
            computer: "Srv2".into(),
            instance_id: a.instance_id,
            reason: "removed".into(),
        },
        now(),
    );
    assert!(st.sessions_of("Srv2").is_empty());
    assert!(
        st.selection.is_empty(),
        "selection of a gone session is dropped"
    );
    assert_eq!(st.focus, Some(NodeKey::Computer("Srv2".into())));
    let last = st.activity().back().unwrap();
    assert_eq!(last.session.as_deref(), Some("ITTask"));
    assert_eq!(last.result, "removed");
}

#[test]
fn unknown_computers_land_in_the_discovered_group() {
    let mut st = state();
    let s = session("Srv99", "X", SessionState::Disconnected, Availability::None);
    st.apply(Event::SessionChanged(s), now());
    let g = st.groups().last().unwrap();
    assert_eq!(g.name, DISCOVERED_GROUP);
    assert_eq!(g.computers[0].name, "Srv99");
    assert_eq!(st.sessions_of("Srv99").len(), 1);
}

#[test]
fn output_progress_and_finish_fold_per_command() {
    let mut st = state();
    let (sid, cid) = (Uuid::new_v4(), Uuid::new_v4());
    let prog = |pct, completed| {
        OutputItem::Progress(ProgressView {
            activity_id: 1,
            activity: "Copy".into(),
            percent_complete: pct,
            completed,
            ..ProgressView::default()
        })
    };
    st.apply(
        Event::Output {
            computer: "Srv1".into(),
            instance_id: sid,
            command_id: cid,
            items: vec![
                OutputItem::Output(crate::model::RemoteObject::text("a")),
                OutputItem::Error(ErrorView {
                    message: "boom".into(),
                    ..ErrorView::default()
                }),
                prog(10, false),
            ],
        },
        now(),
    );
    st.apply(
        Event::Output {
            computer: "Srv1".into(),
            instance_id: sid,
            command_id: cid,
            items: vec![prog(50, false)],
        },
        now(),
    );
    let out = &st.output("Srv1", sid).unwrap().commands[0];
    assert_eq!(out.items.len(), 2);
    assert_eq!(
        out.progress[&1].percent_complete, 50,
        "progress replaces by activity"
    );
    st.apply(
        Event::CommandFinished {
            computer: "Srv1".into(),
            instance_id: sid,
            command_id: cid,
            state: "Completed".into(),
        },
        now(),
    );
    let out = &st.output("Srv1", sid).unwrap().commands[0];
    assert!(out.progress.is_empty());
    assert_eq!(out.finished.as_deref(), Some("Completed"));
}

#[test]
fn ops_flow_into_status_toasts_and_log() {
    let mut st = state();
    st.note_sent(7, "Disconnect-PSSession ITTask", 3, now());
    assert!(!st.pending().next().unwrap().started_by_worker);
    st.apply(
        Event::OpStarted {
            op: 7,
            what: "Disconnect-PSSession ITTask on Srv1".into(),
        },
        now(),
    );
    st.apply(
        Event::OpProgress {
            op: 7,
            done: 1,
            total: 3,
            message: "Srv1".into(),
        },
        now(),
    );
    let p = st.pending().next().unwrap();
    assert_eq!((p.done, p.total, p.started_by_worker), (1, 3, true));
    let err = UserError {
        summary: "Cannot disconnect ITTask on Srv2".into(),
        detail: "access denied".into(),
        advice: Some("Use the owner's credentials.".into()),
        error_id: None,
    };
    st.apply(
        Event::PartFailed {
            op: 7,
            computer: "Srv2".into(),
            error: err.clone(),
        },
        now(),
    );
    assert_eq!(
        st.pending().count(),
        1,
        "a bulk action continues after a part fails"
    );
    assert_eq!(st.toasts().len(), 1, "a few failed parts show as they come");
    assert_eq!(st.computer_error("srv2"), Some(&err), "on its computer");
    st.apply(
        Event::OpFinished {
            op: 7,
            message: "2 of 3 disconnected".into(),
        },
        now(),
    );
    assert_eq!(st.pending().count(), 0);
    assert_eq!(st.toasts().len(), 1, "no sum of one");
    assert_eq!(st.toasts()[0].summary, "Cannot disconnect ITTask on Srv2");
    assert_eq!(
        st.toasts()[0].advice.as_deref(),
        Some("Use the owner's credentials.")
    );
    assert_eq!(st.toasts()[0].kind, ToastKind::Error);
    let log: Vec<_> = st.activity().iter().map(|e| e.result.clone()).collect();
    assert!(log[0].starts_with("failed: Cannot disconnect"), "{log:?}");
    assert_eq!(log[1], "ok: 2 of 3 disconnected");
    // A single action's failure ends it.
    st.note_sent(8, "Connect", 1, now());
    st.apply(Event::OpFailed { op: 8, error: err }, now());
    assert_eq!(st.pending().count(), 0);
    let id = st.toasts()[0].id;
    st.dismiss_toast(id);
    assert_eq!(st.toasts().len(), 1);
}

#[test]
fn bulk_ops_end_with_their_one_terminal_event() {
    let mut st = state();
    let err = |what: &str| UserError {
        summary: format!("Cannot list the sessions of {what}"),
        detail: "connection refused".into(),
        advice: None,
        error_id: None,
    };
    // A part fails: the other parts are still running.
    st.note_sent(1, "Get-PSSession on 3 computers", 3, now());
    st.apply(
        Event::PartFailed {
            op: 1,
            computer: "Srv9".into(),
            error: err("Srv9"),
        },
        now(),
    );
    assert_eq!(st.pending().count(), 1, "two parts still running");
    assert_eq!(st.toasts().len(), 1, "the part's failure is shown");
    // Every part fails: the terminal failure ends it with one message for
    // all of them; progress alone never does.
    st.note_sent(2, "Get-PSSession on 2 computers", 2, now());
    for (i, c) in ["Srv9", "Srv10"].into_iter().enumerate() {
        st.apply(
            Event::PartFailed {
                op: 2,
                computer: c.into(),
                error: err(c),
            },
            now(),
        );
        st.apply(
            Event::OpProgress {
                op: 2,
                done: i + 1,
                total: 2,
                message: String::new(),
            },
            now(),
        );
    }
    assert!(st.pending().any(|p| p.op == 2), "no guess from progress");
    st.apply(
        Event::OpFailed {
            op: 2,
            error: err("Listed sessions on 0 of 2 computer(s)"),
        },
        now(),
    );
    assert!(st.pending().all(|p| p.op != 2), "all parts failed");
    assert_eq!(
        st.toasts().len(),
        3,
        "no second toast for what each part said"
    );
    // Cancelled: OpCancelled ends it, logged, with a note, not an error.
    st.note_cancelling(1);
    st.apply(Event::OpCancelled { op: 1 }, now());
    assert_eq!(st.pending().count(), 0);
    assert_eq!(st.toasts().last().unwrap().kind, ToastKind::Info);
    assert_eq!(
        st.activity().back().unwrap().result,
        "cancelled before it finished"
    );
}

#[test]
fn configuration_identity_activity_and_prompts() {
    let mut st = state();
    st.apply(
        Event::Configuration {
            op: 1,
            computer: "Srv1".into(),
            quotas: ConfigurationQuotas {
                name: "Microsoft.PowerShell".into(),
                properties: vec![("MaxIdleTimeoutms".into(), "43200000".into())],
            },
        },
        now(),
    );
    let mut s = session(
        "Srv1",
        "ITTask",
        SessionState::Opened,
        Availability::Available,
    );
    s.max_idle_timeout_ms = None;
    assert_eq!(st.max_idle_timeout_sec("Srv1", &s), Some(43_200));
    st.apply(
        Event::ComputerIdentified {
            op: 2,
            computer: "Srv1".into(),
            product_vendor: "Microsoft Corporation".into(),
            product_version: "OS: 0.0.0 SP: 0.0 Stack: 3.0".into(),
            protocol_version: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd".into(),
        },
        now(),
    );
    assert_eq!(
        st.identity("Srv1").unwrap().product_vendor,
        "Microsoft Corporation"
    );
    assert_eq!(st.toasts()[0].kind, ToastKind::Info);
    st.expire_toasts(now() + chrono::Duration::seconds(60), 8);
    assert!(st.toasts().is_empty());
    st.apply(
        Event::Activity(ActivityEntry {
            time: now(),
            user: "Domain01\\User01".into(),
            computer: "Srv1".into(),
            session: Some("ITTask".into()),
            action: "Disconnect-PSSession".into(),
            options: "-IdleTimeoutSec 3600".into(),
            result: "ok".into(),
        }),
        now(),
    );
    assert_eq!(st.activity().len(), 1);
    let (sid, cid) = (Uuid::new_v4(), Uuid::new_v4());
    st.apply(
        Event::PromptRequested {
            computer: "Srv1".into(),
            instance_id: sid,
            command_id: cid,
            prompt: "Password".into(),
            secure: true,
        },
        now(),
    );
    assert_eq!(st.current_prompt().unwrap().prompt, "Password");
    let p = st.answered_prompt("hunter2").unwrap();
    assert_eq!(p.command_id, cid);
    let items = &st.output("Srv1", sid).unwrap().commands[0].items;
    assert_eq!(items[0], OutputItem::HostPrompt("Password ********".into()));
    assert!(st.current_prompt().is_none());
}

#[test]
fn filter_searches_collapsed_groups_and_hides_the_rest() {
    let mut st = state();
    let a = session(
        "Srv30",
        "ITTask",
        SessionState::Disconnected,
        Availability::None,
    );
    st.apply(Event::SessionChanged(a), now());
    st.set_expanded(&NodeKey::Group("Lab".into()), false);
    let names = |st: &AppState| -> Vec<String> {
        st.tree_rows()
            .iter()
            .map(|r| match r.kind {
                RowKind::Group(g) => g.name.clone(),
                RowKind::Computer(c) => c.name.clone(),
                RowKind::Session(_, s) => s.name.clone(),
            })
            .collect()
    };
    assert_eq!(names(&st), ["Servers", "Srv1", "Srv2", "Lab"]);
    st.filter = "srv3".into();
    assert_eq!(names(&st), ["Lab", "Srv30", "ITTask"]);
    st.filter = "ittask".into();
    assert_eq!(names(&st), ["Lab", "Srv30", "ITTask"]);
    st.filter = "servers".into();
    assert_eq!(names(&st), ["Servers", "Srv1", "Srv2"]);
    st.filter = "nothing".into();
    assert!(names(&st).is_empty());
}

#[test]
fn cursor_moves_and_actions_explain_why_not() {
    let mut st = state();
    let busy = session(
        "Srv1",
        "ITTask",
        SessionState::Disconnected,
        Availability::Busy,
    );
    let disc = session(
        "Srv1",
        "Night",
        SessionState::Disconnected,
        Availability::None,
    );
    st.apply(Event::SessionChanged(busy.clone()), now());
    st.apply(Event::SessionChanged(disc.clone()), now());
    st.move_cursor(1);
    assert_eq!(st.focus, Some(NodeKey::Group("Servers".into())));
    st.move_cursor(2);
    let key = st.focus.clone().unwrap();
    assert_eq!(
        key,
        NodeKey::Session {
            computer: "Srv1".into(),
            instance_id: busy.instance_id
        }
    );
    let why = st.can(Action::Connect).unwrap_err();
    assert!(why.contains("connected to another client (Busy)"), "{why}");
    assert!(
        st.can(Action::Remove).is_ok(),
        "a Busy session's Remove dialog offers Remove anyway"
    );
    assert!(st.can(Action::Disconnect).is_err());
    st.move_cursor(1);
    assert!(st.can(Action::Connect).is_ok());
    assert!(st.can(Action::RunCommand).is_err());
    assert!(st.can(Action::NewSession).is_ok());
    st.move_cursor(-100);
    assert_eq!(st.focus, Some(NodeKey::Group("Servers".into())));
    assert_eq!(
        st.selected_computers().len(),
        2,
        "a group covers its computers"
    );
    assert!(st.can(Action::NewSession).is_err());
}

#[test]
fn shift_range_generation_and_case_insensitive_matching() {
    let mut st = state();
    let g0 = st.generation();
    let a = session("Srv1", "A", SessionState::Opened, Availability::Available);
    let b = session("Srv2", "B", SessionState::Opened, Availability::Available);
    st.apply(Event::SessionChanged(a.clone()), now());
    st.apply(Event::SessionChanged(b.clone()), now());
    assert!(st.generation() > g0);
    st.select(
        NodeKey::Session {
            computer: "Srv1".into(),
            instance_id: a.instance_id,
        },
        false,
    );
    st.select_range(NodeKey::Session {
        computer: "Srv2".into(),
        instance_id: b.instance_id,
    });
    // A, Srv2, B
    assert_eq!(st.selection.len(), 3);
    assert_eq!(st.selected_sessions().len(), 2);
    assert!(contains_ci("Srv30-ITTask", "ittask"));
    assert!(!contains_ci("Srv30", "srv4"));
    assert!(contains_ci("ÉTÉ", "été"));
    assert_eq!(cmp_ci("srv1", "SRV1"), std::cmp::Ordering::Equal);
    assert_eq!(cmp_ci("a", "B"), std::cmp::Ordering::Less);
}

#[test]
fn parents_of_nodes() {
    let st = state();
    assert_eq!(
        st.parent_of(&NodeKey::Computer("srv30".into())),
        Some(NodeKey::Group("Lab".into()))
    );
    let id = Uuid::new_v4();
    assert_eq!(
        st.parent_of(&NodeKey::Session {
            computer: "Srv1".into(),
            instance_id: id
        }),
        Some(NodeKey::Computer("Srv1".into()))
    );
    assert_eq!(st.parent_of(&NodeKey::Group("Lab".into())), None);
}

#[test]
fn durations_read_as_words() {
    assert_eq!(human_duration(5_000), "1h 23m");
    assert_eq!(human_duration(42), "42s");
    assert_eq!(human_duration(200_000), "2d 7h");
    assert_eq!(ms_human(7_200_000), "7200000 ms (2h 0m)");
    let t = now();
    assert_eq!(
        countdown(t + chrono::Duration::seconds(4_980), t),
        "expires in 1h 23m"
    );
    assert_eq!(
        countdown(t - chrono::Duration::seconds(300), t),
        "expired 5m 0s ago"
    );
}

#[test]
fn command_lines_are_elided_at_a_word_boundary() {
    assert_eq!(first_line_elided("Get-Process", 80), "Get-Process");
    assert_eq!(
        first_line_elided("Write-Output 'a'; Write-Error 'b'; Start-Sleep 10", 30),
        "Write-Output 'a'; Write-Error…"
    );
    assert_eq!(
        first_line_elided("1..10 | % {\n  $_ }", 80),
        "1..10 | % { …"
    );
    // A first word longer than the limit is cut inside it.
    assert_eq!(
        first_line_elided(&"x".repeat(100), 10),
        format!("{}…", "x".repeat(10))
    );
}

/// A thousand computers failing for one cause make one message that says
/// so, grouped by cause; each computer keeps its own error until it answers.
#[test]
fn fleet_failures_are_one_message_grouped_by_cause() {
    let mut st = state();
    st.note_sent(1, "Get-PSSession on 1000 computers", 1000, now());
    for i in 0..1000 {
        let name = format!("F{i:05}");
        let detail = if i % 10 == 0 {
            format!("{name} refused the connection")
        } else {
            "the current user has no Kerberos ticket".into()
        };
        st.apply(
            Event::PartFailed {
                op: 1,
                computer: name.clone(),
                error: UserError {
                    summary: format!("Cannot list the sessions of {name}"),
                    detail,
                    advice: Some("Give a credential for group Lab.".into()),
                    error_id: None,
                },
            },
            now(),
        );
    }
    st.apply(
        Event::OpFailed {
            op: 1,
            error: UserError {
                summary: "Listed sessions on 0 of 1000 computer(s)".into(),
                ..UserError::default()
            },
        },
        now(),
    );
    assert_eq!(
        st.toasts().len(),
        1,
        "the first few part toasts are replaced"
    );
    let t = &st.toasts()[0];
    assert_eq!(
        t.summary,
        "Get-PSSession on 1000 computers: 1,000 of 1,000 failed, for 2 reasons"
    );
    assert!(
        t.detail
            .starts_with("900 × the current user has no Kerberos ticket (F00001 and 899 more)\n100 × the computer refused the connection (F00000 and 99 more)"),
        "{}",
        t.detail
    );
    assert_eq!(
        t.advice.as_deref(),
        Some("Give a credential for group Lab.")
    );
    assert!(
        st.computer_error("F00010")
            .is_some_and(|e| e.detail.contains("refused"))
    );
    assert_eq!(st.activity().len(), 1001, "each failure is in Activity");
}
