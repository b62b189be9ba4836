use super::invoke::configuration_query;
use super::*;
use crate::bridge::FakeWorker;

fn shell() -> (Shell, FakeWorker) {
    let (h, fake) = WorkerHandle::fake();
    let mut sh = Shell::new(
        h,
        ProfileTree::default(),
        Passwords::Given(vec![("Domain01\\User01".into(), "pw".into())]),
    );
    // Nothing answers: bound every wait.
    sh.silence_limit = Duration::from_millis(50);
    (sh, fake)
}

fn opened(sh: &mut Shell, name: &str, computer: &str, max_ms: Option<u64>) -> Uuid {
    let id = Uuid::new_v4();
    let mut info =
        SessionInfo::new(computer, name).with_id(u32::try_from(sh.repo.len() + 1).unwrap_or(0));
    info.instance_id = id;
    info.max_idle_timeout_ms = max_ms;
    sh.repo.push(LocalSession {
        info,
        computer: ComputerRef::new(
            computer,
            ConnectionSpec::for_computer(computer),
            CredentialChoice::Implicit,
        ),
    });
    id
}

fn run(sh: &mut Shell, line: &str) -> (bool, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let ok = sh.run_line(line, &mut out, &mut err);
    (
        ok,
        String::from_utf8(out).unwrap_or_default(),
        String::from_utf8(err).unwrap_or_default(),
    )
}

#[test]
fn what_if_and_invalid_idle_timeouts_send_nothing() {
    let (mut sh, fake) = shell();
    opened(&mut sh, "ITTask", "Srv1", Some(43_200_000));
    let (ok, out, _) = run(&mut sh, "Disconnect-PSSession -Name ITTask -WhatIf");
    assert!(ok);
    assert_eq!(
        out,
        "What if: Performing the operation \"Disconnect-PSSession\" on target \"Name: ITTask, ComputerName: Srv1\".\n"
    );
    let (ok, _, err) = run(
        &mut sh,
        "Disconnect-PSSession -Name ITTask -IdleTimeoutSec 86400",
    );
    assert!(!ok && err.contains("86400(seconds)"), "{err}");
    let (ok, _, _) = run(&mut sh, "Remove-PSSession -Name IT* -WhatIf");
    assert!(ok);
    assert!(fake.commands().is_empty());
    // Each statement is bound when reached: the first one runs.
    let (ok, out, err) = run(
        &mut sh,
        "Remove-PSSession -Name ITTask -WhatIf; Get-PSSession -Bogus",
    );
    assert!(!ok);
    assert!(out.starts_with("What if: "), "{out}");
    assert!(err.contains("'Bogus'"), "{err}");
}

#[test]
fn disconnect_sends_the_options_and_throttle_limit() {
    let (mut sh, fake) = shell();
    let a = opened(&mut sh, "ITTask", "Srv1", Some(43_200_000));
    let b = opened(&mut sh, "ITTask", "Srv2", Some(43_200_000));
    let (ok, _, err) = run(
        &mut sh,
        "Get-PSSession -Name ITTask | Disconnect-PSSession -IdleTimeoutSec 43200 -OutputBufferingMode Drop -ThrottleLimit 1",
    );
    // Nobody answers, so the line fails after the silence limit.
    assert!(!ok && err.contains("reported nothing"), "{err}");
    let cmds = fake.commands();
    match cmds.first() {
        Some(Command::Disconnect {
            sessions,
            idle_timeout_sec,
            output_buffering_mode,
            throttle_limit,
            ..
        }) => {
            let ids: Vec<Uuid> = sessions.iter().map(|s| s.instance_id).collect();
            assert_eq!(ids, [a, b]);
            assert_eq!(*idle_timeout_sec, Some(43_200));
            assert_eq!(*output_buffering_mode, OutputBufferingMode::Drop);
            assert_eq!(*throttle_limit, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(cmds.get(1), Some(Command::Cancel { .. })));
}

#[test]
fn remote_listing_carries_names_credentials_and_throttle_limit() {
    let (mut sh, fake) = shell();
    let (ok, _, _) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1, Srv2, Srv30 -Name IT* -Credential Domain01\\User01 -ThrottleLimit 1",
    );
    assert!(!ok);
    match fake.commands().first() {
        Some(Command::ListSessions {
            computers,
            names,
            throttle_limit,
            ..
        }) => {
            let n: Vec<&str> = computers.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(n, ["Srv1", "Srv2", "Srv30"]);
            assert_eq!(names, &["IT*".to_owned()]);
            assert_eq!(*throttle_limit, 1);
            assert!(computers.iter().all(|c| matches!(
                &c.credential,
                CredentialChoice::Once(cr) if cr.user == "Domain01\\User01"
            )));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn session_options_become_connection_settings() {
    let (mut sh, fake) = shell();
    run(
        &mut sh,
        "$o = New-PSSessionOption -IdleTimeout 600000 -SkipCACheck -OperationTimeout 5000",
    );
    run(
        &mut sh,
        "New-PSSession -ComputerName Srv1 -Port 15985 -UseSSL -ConfigurationName ITTasks -SessionOption $o -Credential Domain01\\User01 -Name Job",
    );
    match fake.commands().first() {
        Some(Command::NewSession {
            computer,
            name,
            idle_timeout_ms,
            ..
        }) => {
            assert_eq!(computer.spec.url(), "https://Srv1:15985/wsman");
            assert_eq!(computer.spec.configuration_name, "ITTasks");
            assert!(computer.spec.skip_ca_check);
            assert_eq!(computer.spec.operation_timeout_ms, 5000);
            assert_eq!(name.as_deref(), Some("Job"));
            assert_eq!(*idle_timeout_ms, Some(600_000));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_session_idle_timeout_above_the_maximum_is_refused_without_idle_timeout_sec() {
    // Example 4: the session was created with New-PSSessionOption -IdleTimeout 172800000.
    let (mut sh, fake) = shell();
    opened(&mut sh, "ITTask", "Server01", Some(43_200_000));
    if let Some(s) = sh.repo.first_mut() {
        s.info.idle_timeout_ms = Some(172_800_000);
    }
    let (ok, out, err) = run(&mut sh, "Disconnect-PSSession -Name ITTask");
    assert!(!ok && out.is_empty());
    assert!(err.starts_with("Disconnect-PSSession : The session ITTask cannot be disconnected because the specified idle timeout value 172800(seconds) is either greater than the server maximum allowed 43200 (seconds) or less that the minimum allowed60(seconds).  Choose an idle time out value that is within the allowed range and try again.\n"), "{err}");
    assert!(fake.commands().is_empty());
}

/// The credential of the first computer of the listing sent last.
fn credential_of(fake: &FakeWorker) -> Option<CredentialChoice> {
    match fake.commands().first() {
        Some(Command::ListSessions { computers, .. }) => {
            computers.first().map(|c| c.credential.clone())
        }
        _ => None,
    }
}

#[test]
fn saved_profile_credentials_are_used_for_their_user_only() {
    use crate::model::profile::{Computer, CredentialRef, Group};
    let (h, fake) = WorkerHandle::fake();
    let mut srv1 = Computer::new("Srv1");
    srv1.settings.credential = Some(CredentialRef {
        user: "Domain01\\User01".into(),
        entry: Some("entry-1".into()),
    });
    let mut root = Group::new("");
    root.computers.push(srv1);
    let mut sh = Shell::new(
        h,
        ProfileTree { root },
        Passwords::Given(vec![("Domain01\\Manager01".into(), "pw".into())]),
    );
    sh.silence_limit = Duration::from_millis(20);
    run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Credential domain01\\user01",
    );
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Saved { entry_id, .. }) if entry_id == "entry-1"
    ));
    run(&mut sh, "Get-PSSession -ComputerName Srv1");
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Saved { .. })
    ));
    run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Credential Domain01\\Manager01",
    );
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Once(c)) if c.user == "Domain01\\Manager01"
    ));
    run(&mut sh, "Get-PSSession -ComputerName Srv2");
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Implicit)
    ));
}

/// `-Credential LAB\tech` finds the password saved for that user
/// (`baton credential add`) before BATON_PASSWORD and the prompt, even
/// when no profile names it.
#[test]
fn a_password_saved_for_the_user_comes_first() {
    let (h, fake) = WorkerHandle::fake();
    let mut sh = Shell::new(
        h,
        ProfileTree::default(),
        Passwords::Given(vec![("LAB\\other".into(), "pw".into())]),
    );
    sh.set_saved_credentials(vec![("entry-7".into(), "LAB\\tech".into())]);
    sh.silence_limit = Duration::from_millis(20);
    run(
        &mut sh,
        "Get-PSSession -ComputerName Srv9 -Credential lab\\TECH",
    );
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Saved { entry_id, user }) if entry_id == "entry-7" && user == "lab\\TECH"
    ));
    // Another user: the given password, as before.
    run(
        &mut sh,
        "Get-PSSession -ComputerName Srv9 -Credential LAB\\other",
    );
    assert!(matches!(
        credential_of(&fake),
        Some(CredentialChoice::Once(c)) if c.user == "LAB\\other"
    ));
    // Nothing saved and no password: a clear error, nothing sent.
    let (ok, _, err) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv9 -Credential LAB\\nobody",
    );
    assert!(!ok);
    assert!(err.contains("No password for LAB\\nobody"), "{err}");
    assert!(fake.commands().is_empty());
}

#[test]
fn ctrl_c_cancels_the_action_being_waited_on() {
    let (mut sh, fake) = shell();
    sh.silence_limit = Duration::from_mins(10);
    let flag = Arc::new(AtomicBool::new(true));
    sh.set_interrupt_flag(flag.clone());
    let (ok, _, _) = run(
        &mut sh,
        "Get-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
    );
    assert!(!ok);
    assert!(!flag.load(Ordering::SeqCst));
    let cmds = fake.commands();
    let listed = match cmds.first() {
        Some(Command::ListSessions { op, .. }) => *op,
        other => panic!("{other:?}"),
    };
    assert!(matches!(cmds.get(1), Some(Command::Cancel { op }) if *op == listed));
}

#[test]
fn uri_hosts_and_timespans() {
    assert_eq!(uri_host("http://srv1:5985/wsman").as_deref(), Some("srv1"));
    assert_eq!(uri_host("https://[::1]:5986/wsman").as_deref(), Some("::1"));
    assert_eq!(ms_span(Some(172_800_000), 0), "2.00:00:00");
    assert_eq!(ms_span(None, 180_000), "00:03:00");
    assert_eq!(
        configuration_query("Get-PSSessionConfiguration Microsoft.PowerShell").as_deref(),
        Some("Microsoft.PowerShell")
    );
    assert_eq!(configuration_query("Get-Process"), None);
}

/// A remote Read-Host asks labelled with its computer, so it cannot pass
/// for Baton's own password prompt, and without escape sequences.
#[test]
fn remote_prompts_say_where_they_come_from() {
    assert_eq!(
        remote_prompt("Srv1", "Password for user Domain01\\User01\u{1b}[8m"),
        "[Srv1] Read-Host: Password for user Domain01\\User01: "
    );
}

/// Format-List and Format-Table keep the properties in the order asked for.
#[test]
fn selected_properties_keep_the_order_asked_for() {
    let props = vec![
        ("IdleTimeoutms".to_owned(), "1".to_owned()),
        ("Name".to_owned(), "Microsoft.PowerShell".to_owned()),
        ("MaxIdleTimeoutms".to_owned(), "2".to_owned()),
    ];
    let wanted = [
        "Name".to_owned(),
        "MaxIdle*".to_owned(),
        "IdleTimeoutms".to_owned(),
    ];
    let names: Vec<String> = select(props, Some(&wanted))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names, ["Name", "MaxIdleTimeoutms", "IdleTimeoutms"]);
}

/// A message and its hint are two sentences.
#[test]
fn a_message_and_its_hint_are_two_sentences() {
    let e = UserError {
        summary: "Cannot connect".into(),
        detail: "the certificate of srv was refused only for a test lab".into(),
        advice: Some("Fix the certificate.".into()),
        error_id: None,
    };
    assert_eq!(
        CmdError::from_user("New-PSSession", "", &e).message,
        "the certificate of srv was refused only for a test lab. Fix the certificate."
    );
}
