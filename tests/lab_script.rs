//! The lab's PowerShell interpreter: language, cmdlets, streams, time and control.

use std::time::Duration;

use baton::lab::script::{
    ErrorCategory, ErrorInfo, HostCall, Job, JobEvent, JobOutcome, ScriptContext, SecureText,
    SessionConfiguration, SessionState, SharedSession, Value,
};
use chrono::DateTime;

fn ctx_with(session: SharedSession) -> ScriptContext {
    let clock = DateTime::parse_from_rfc3339("2026-11-22T09:30:00+01:00").expect("clock");
    ScriptContext::new("SRV01", "alice", clock, session)
}

fn ctx() -> ScriptContext {
    ctx_with(SessionState::shared("alice"))
}

/// Runs a job to completion, polling at each wake-up time; returns (time, event) pairs.
fn run_timed(job: &mut Job) -> Vec<(Duration, JobEvent)> {
    let mut out = Vec::new();
    let mut guard = 0;
    while !job.is_finished() {
        guard += 1;
        assert!(guard < 100_000, "job does not finish");
        let Some(t) = job.next_wakeup() else {
            panic!("job waits on a host call: {:?}", job.pending_host_call());
        };
        for e in job.poll(t, 100) {
            out.push((t, e));
        }
    }
    out
}

fn run_ctx(script: &str, ctx: ScriptContext) -> Vec<JobEvent> {
    let mut job = Job::start(script, ctx).unwrap_or_else(|e| panic!("parse error: {e}"));
    run_timed(&mut job).into_iter().map(|(_, e)| e).collect()
}

fn run(script: &str) -> Vec<JobEvent> {
    run_ctx(script, ctx())
}

fn outputs(events: &[JobEvent]) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Output(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn texts(events: &[JobEvent]) -> Vec<String> {
    outputs(events)
        .iter()
        .map(baton::lab::script::Value::to_ps_string)
        .collect()
}

fn errors(events: &[JobEvent]) -> Vec<ErrorInfo> {
    events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Error(i) => Some(i.clone()),
            _ => None,
        })
        .collect()
}

fn outcome(events: &[JobEvent]) -> JobOutcome {
    match events.last() {
        Some(JobEvent::Finished(o)) => o.clone(),
        other => panic!("last event is not Finished: {other:?}"),
    }
}

fn out_of(script: &str) -> Vec<String> {
    let ev = run(script);
    assert_eq!(outcome(&ev), JobOutcome::Completed, "{script}: {ev:?}");
    assert!(
        errors(&ev).is_empty(),
        "{script}: unexpected errors {:?}",
        errors(&ev)
    );
    texts(&ev)
}

#[test]
fn patch_status_pipeline_paces_with_the_passed_clock() {
    let script = r#"1..3 | ForEach-Object { Start-Sleep -Milliseconds 500; "Patch $_ of 3: KB50$_ installed" }"#;
    let mut job = Job::start(script, ctx()).expect("parses");
    // t=0: the first sleep starts, nothing is produced.
    assert!(job.poll(Duration::ZERO, 100).is_empty());
    assert_eq!(job.next_wakeup(), Some(Duration::from_millis(500)));
    // Polling again before the deadline changes nothing.
    assert!(job.poll(Duration::from_millis(499), 100).is_empty());
    let ev = job.poll(Duration::from_millis(500), 100);
    assert_eq!(
        ev,
        vec![JobEvent::Output(Value::str(
            "Patch 1 of 3: KB501 installed"
        ))]
    );
    assert_eq!(job.next_wakeup(), Some(Duration::from_secs(1)));
    let ev = job.poll(Duration::from_secs(1), 100);
    assert_eq!(
        ev,
        vec![JobEvent::Output(Value::str(
            "Patch 2 of 3: KB502 installed"
        ))]
    );
    let ev = job.poll(Duration::from_millis(1500), 100);
    assert_eq!(
        ev,
        vec![
            JobEvent::Output(Value::str("Patch 3 of 3: KB503 installed")),
            JobEvent::Finished(JobOutcome::Completed)
        ]
    );
    assert!(job.is_finished());
    assert_eq!(job.next_wakeup(), None);
    assert!(job.poll(Duration::from_secs(9), 100).is_empty());
}

#[test]
fn start_sleep_forms() {
    let mut job = Job::start(
        "Start-Sleep 2; 'a'; sleep -s 0.5; 'b'; Start-Sleep -Milliseconds 250; 'c'",
        ctx(),
    )
    .expect("parses");
    let timed = run_timed(&mut job);
    let at: Vec<(u64, String)> = timed
        .iter()
        .filter_map(|(t, e)| match e {
            JobEvent::Output(v) => Some((t.as_millis() as u64, v.to_ps_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        at,
        vec![(2000, "a".into()), (2500, "b".into()), (2750, "c".into())]
    );
}

#[test]
fn get_patch_status_script_combines_streams() {
    let script = r#"
$patches = 'KB5001', 'KB5002', 'KB5003'
$i = 0
foreach ($kb in $patches) {
    $i++
    Write-Progress -Activity "Installing updates" -Status "Installing $kb" -PercentComplete ($i * 100 / $patches.Count) -Id 1
    if ($kb -eq 'KB5002') {
        Write-Warning "$kb requires a reboot"
    }
    if ($kb -like '*3') {
        Write-Error "Failed to install $kb" -ErrorId PatchFailed -Category InvalidResult -TargetObject $kb
        continue
    }
    Write-Output "$kb installed"
}
Write-Progress -Activity "Installing updates" -Completed -Id 1
"done: $i"
"#;
    let ev = run(script);
    assert_eq!(outcome(&ev), JobOutcome::Completed);
    assert_eq!(
        texts(&ev),
        vec!["KB5001 installed", "KB5002 installed", "done: 3"]
    );
    let progress: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            JobEvent::Progress(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 4);
    assert_eq!(progress[0].activity, "Installing updates");
    assert_eq!(progress[0].status, "Installing KB5001");
    assert_eq!(progress[0].percent, 33);
    assert_eq!(progress[0].activity_id, 1);
    assert_eq!(progress[0].parent_id, -1);
    assert!(!progress[0].completed);
    assert_eq!(progress[2].percent, 100);
    assert!(progress[3].completed);
    assert_eq!(progress[3].status, "Processing");
    assert!(ev.contains(&JobEvent::Warning("KB5002 requires a reboot".into())));
    let errs = errors(&ev);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].message, "Failed to install KB5003");
    assert_eq!(errs[0].fully_qualified_error_id, "PatchFailed");
    assert_eq!(errs[0].category, ErrorCategory::InvalidResult);
    assert_eq!(errs[0].target, Value::str("KB5003"));
    assert_eq!(
        errs[0].exception_type,
        "Microsoft.PowerShell.Commands.WriteErrorException"
    );
    // Order: the warning for KB5002 comes after KB5001's output.
    let pos = |pred: &dyn Fn(&JobEvent) -> bool| ev.iter().position(pred).expect("present");
    assert!(
        pos(&|e| *e == JobEvent::Output(Value::str("KB5001 installed")))
            < pos(&|e| matches!(e, JobEvent::Warning(_)))
    );
}

#[test]
fn write_error_default_record() {
    let ev = run("Write-Error 'boom'; 'after'");
    let errs = errors(&ev);
    assert_eq!(errs[0].message, "boom");
    assert_eq!(
        errs[0].fully_qualified_error_id,
        "Microsoft.PowerShell.Commands.WriteErrorException"
    );
    assert_eq!(errs[0].category, ErrorCategory::NotSpecified);
    assert_eq!(
        errs[0].category_info(),
        "NotSpecified: (:) [Write-Error], WriteErrorException"
    );
    assert_eq!(texts(&ev), vec!["after"]);
    assert_eq!(outcome(&ev), JobOutcome::Completed);
}

#[test]
fn lazy_ranges_finish_with_select_first() {
    assert_eq!(
        out_of("1..1000000000 | Select-Object -First 3"),
        vec!["1", "2", "3"]
    );
    assert_eq!(
        out_of("1..1000000000 | ForEach-Object { $_ * 2 } | Select-Object -First 2"),
        vec!["2", "4"]
    );
    assert_eq!(
        out_of("foreach ($i in 1..1000000000) { if ($i -gt 2) { break }; $i }"),
        vec!["1", "2"]
    );
    // Materialising a huge range is refused with an error, not an allocation.
    let ev = run("$x = 1..1000000000; 'next'");
    assert_eq!(errors(&ev)[0].fully_qualified_error_id, "ArrayTooLarge");
    assert_eq!(texts(&ev), vec!["next"]);
}

#[test]
fn poll_is_bounded_and_only_advances_when_polled() {
    let mut job = Job::start("1..1000000000", ctx()).expect("parses");
    let ev = job.poll(Duration::ZERO, 10);
    assert_eq!(ev.len(), 10);
    assert_eq!(
        texts(&ev),
        (1..=10).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    // Not polled: nothing happens. Polled again: it continues where it stopped.
    assert_eq!(job.next_wakeup(), Some(Duration::ZERO));
    let ev = job.poll(Duration::ZERO, 3);
    assert_eq!(texts(&ev), vec!["11", "12", "13"]);
    job.stop();
    let ev = job.poll(Duration::ZERO, 3);
    assert_eq!(ev, vec![JobEvent::Finished(JobOutcome::Stopped)]);
    assert!(job.is_finished());
    // A loop that produces nothing still yields within a poll.
    let mut job = Job::start("while ($true) { }", ctx()).expect("parses");
    for _ in 0..3 {
        assert!(job.poll(Duration::ZERO, 10).is_empty());
        assert_eq!(job.next_wakeup(), Some(Duration::ZERO));
    }
    job.stop();
    assert_eq!(
        job.poll(Duration::ZERO, 10),
        vec![JobEvent::Finished(JobOutcome::Stopped)]
    );
}

#[test]
fn a_step_limit_ends_an_endless_script_with_an_error() {
    let mut job = Job::start("while(1){}", ctx())
        .expect("parses")
        .with_step_limit(50_000);
    let events = run_timed(&mut job);
    assert!(job.steps_spent() <= 50_000, "{}", job.steps_spent());
    match events.last() {
        Some((_, JobEvent::Finished(JobOutcome::Failed(e)))) => {
            assert_eq!(e.fully_qualified_error_id, "ScriptStepLimitExceeded");
            assert_eq!(e.category, ErrorCategory::LimitsExceeded);
        }
        other => panic!("not a failure: {other:?}"),
    }
    // A script within its limit is not affected.
    let mut job = Job::start("1..3", ctx())
        .expect("parses")
        .with_step_limit(50_000);
    let events: Vec<_> = run_timed(&mut job).into_iter().map(|(_, e)| e).collect();
    assert_eq!(texts(&events), ["1", "2", "3"]);
    assert_eq!(outcome(&events), JobOutcome::Completed);
}

#[test]
fn a_call_operator_without_a_command_is_an_error() {
    // Found by fuzzing: `.` alone panicked the interpreter (`&` alone is a
    // parse error).
    let events = run(".");
    let errs = errors(&events);
    assert_eq!(errs.len(), 1, "{events:?}");
    assert_eq!(errs[0].fully_qualified_error_id, "MissingExpression");
    let errs = errors(&run(". -Name"));
    assert_eq!(errs[0].fully_qualified_error_id, "CommandNotFoundException");
}

#[test]
fn stop_while_sleeping() {
    let mut job = Job::start("'a'; Start-Sleep 60; 'b'", ctx()).expect("parses");
    assert_eq!(texts(&job.poll(Duration::ZERO, 100)), vec!["a"]);
    assert_eq!(job.next_wakeup(), Some(Duration::from_mins(1)));
    job.stop();
    assert_eq!(job.next_wakeup(), Some(Duration::ZERO));
    assert_eq!(
        job.poll(Duration::from_secs(1), 100),
        vec![JobEvent::Finished(JobOutcome::Stopped)]
    );
}

#[test]
fn read_host_pauses_until_answered() {
    let mut job = Job::start(
        "$name = Read-Host -Prompt 'Server name'; \"Patching $name\"",
        ctx(),
    )
    .expect("parses");
    let ev = job.poll(Duration::ZERO, 100);
    assert_eq!(
        ev,
        vec![JobEvent::HostCall(HostCall::ReadHost {
            prompt: Some("Server name".into()),
            as_secure: false
        })]
    );
    assert_eq!(job.next_wakeup(), None);
    assert!(job.poll(Duration::from_secs(5), 100).is_empty());
    assert!(job.pending_host_call().is_some());
    assert!(job.answer_host_call(Value::str("SRV42")));
    assert!(!job.answer_host_call(Value::str("again")));
    let ev = job.poll(Duration::from_secs(6), 100);
    assert_eq!(
        ev,
        vec![
            JobEvent::Output(Value::str("Patching SRV42")),
            JobEvent::Finished(JobOutcome::Completed)
        ]
    );

    let mut job = Job::start(
        "$p = Read-Host -AsSecureString; $p.GetType().FullName",
        ctx(),
    )
    .expect("parses");
    let ev = job.poll(Duration::ZERO, 100);
    assert_eq!(
        ev,
        vec![JobEvent::HostCall(HostCall::ReadHost {
            prompt: None,
            as_secure: true
        })]
    );
    job.answer_host_call(Value::SecureString(SecureText::new("secret")));
    let ev = job.poll(Duration::ZERO, 100);
    assert_eq!(texts(&ev), vec!["System.Security.SecureString"]);

    // Text in place of a SecureString is refused, as the session key was
    // not used.
    let mut job = Job::start("$p = Read-Host -AsSecureString; 'after'", ctx()).expect("parses");
    job.poll(Duration::ZERO, 100);
    job.answer_host_call(Value::str("secret"));
    let ev = job.poll(Duration::ZERO, 100);
    let errs = errors(&ev);
    assert_eq!(errs.len(), 1, "{ev:?}");
    assert!(
        errs[0].message.contains("instead of a SecureString"),
        "{errs:?}"
    );
}

#[test]
fn unknown_command_error_is_exact() {
    let ev = run("Get-Patchez -All; 'still running'");
    let errs = errors(&ev);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].message,
        "The term 'Get-Patchez' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
    );
    assert_eq!(errs[0].fully_qualified_error_id, "CommandNotFoundException");
    assert_eq!(errs[0].category, ErrorCategory::ObjectNotFound);
    assert_eq!(errs[0].target, Value::str("Get-Patchez"));
    assert_eq!(
        errs[0].exception_type,
        "System.Management.Automation.CommandNotFoundException"
    );
    assert_eq!(errs[0].position, Some((1, 1)));
    assert_eq!(texts(&ev), vec!["still running"]);
    assert_eq!(outcome(&ev), JobOutcome::Completed);
}

#[test]
fn errors_inside_script_blocks() {
    let ev = run(
        "1..3 | ForEach-Object { if ($_ -eq 2) { Write-Error \"bad $_\" }; 10 / ($_ - 3); \"after $_\" }",
    );
    let errs = errors(&ev);
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].message, "bad 2");
    assert_eq!(errs[1].message, "Attempted to divide by zero.");
    assert_eq!(errs[1].fully_qualified_error_id, "RuntimeException");
    assert_eq!(
        texts(&ev),
        vec!["-5", "after 1", "-10", "after 2", "after 3"]
    );
    assert_eq!(outcome(&ev), JobOutcome::Completed);

    // throw and -ErrorAction Stop terminate the pipeline.
    let ev = run("'a'; 1..3 | ForEach-Object { if ($_ -eq 2) { throw 'stop here' }; $_ }; 'never'");
    assert_eq!(texts(&ev), vec!["a", "1"]);
    match outcome(&ev) {
        JobOutcome::Failed(e) => {
            assert_eq!(e.message, "stop here");
            assert_eq!(e.fully_qualified_error_id, "stop here");
            assert_eq!(e.category, ErrorCategory::OperationStopped);
        }
        other => panic!("{other:?}"),
    }
    let ev = run("Get-ChildItem C:\\nope -ErrorAction Stop; 'never'");
    assert!(texts(&ev).is_empty());
    assert!(
        matches!(outcome(&ev), JobOutcome::Failed(e) if e.fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand")
    );
    let ev = run("$ErrorActionPreference = 'Stop'; Write-Error 'x'; 'never'");
    assert!(matches!(outcome(&ev), JobOutcome::Failed(e) if e.message == "x"));
    let ev = run(
        "Write-Error 'quiet' -ErrorAction SilentlyContinue; $Error.Count; $Error[0].Exception.Message",
    );
    assert_eq!(texts(&ev), vec!["1", "quiet"]);
}

#[test]
fn parse_errors_have_positions() {
    let e = Job::start(
        "Get-Service |\n  Where-Object { $_.Status -eq 'Running'",
        ctx(),
    )
    .unwrap_err();
    assert_eq!(e.error_id, "MissingEndCurlyBrace");
    assert_eq!(
        e.message,
        "Missing closing '}' in statement block or type definition."
    );
    assert_eq!(e.line, 2);
    let e = Job::start("$x = \"abc", ctx()).unwrap_err();
    assert_eq!(e.error_id, "TerminatorExpectedAtEndOfString");
    assert_eq!((e.line, e.column), (1, 6));
    let e = Job::start("if ($x) 'a'", ctx()).unwrap_err();
    assert_eq!(e.error_id, "MissingStatementBlock");
    assert_eq!((e.line, e.column), (1, 9));
    let info = ErrorInfo::from_parse_error(&e);
    assert_eq!(info.category, ErrorCategory::ParserError);
    assert_eq!(
        info.exception_type,
        "System.Management.Automation.ParseException"
    );
    assert_eq!(
        e.to_string(),
        "At line:1 char:9\nMissing statement block after if ( condition )."
    );
}

#[test]
fn expressions_and_operators() {
    assert_eq!(
        out_of("1 + 2 * 3; (1 + 2) * 3; 7 / 2; 7 % 3; -5 + 2"),
        vec!["7", "9", "3.5", "1", "-3"]
    );
    assert_eq!(
        out_of("'ab' + 1; 1 + '2'; 'x' * 3"),
        vec!["ab1", "3", "xxx"]
    );
    assert_eq!(
        out_of("5 -gt 3; 'abc' -eq 'ABC'; 'abc' -ceq 'ABC'; 3 -le 3; 2 -ne 2; 'a' -lt 'b'"),
        vec!["True", "True", "False", "True", "False", "True"]
    );
    assert_eq!(
        out_of("'svchost' -like 'svc*'; 'KB5001' -match '^KB(\\d+)$'; $Matches[1]"),
        vec!["True", "True", "5001"]
    );
    assert_eq!(
        out_of("(1,2,3,4 -gt 2) -join ','; 1,2,3 -contains 2; 4 -in 1,2,3"),
        vec!["3,4", "True", "False"]
    );
    assert_eq!(
        out_of("$true -and $false; $true -or $false; -not $true; !$false"),
        vec!["False", "True", "False", "True"]
    );
    assert_eq!(
        out_of("'{0} of {1:N1}' -f 3, 4.25; 'a-b-c' -replace '-', '+'; ('a,b' -split ',').Count"),
        vec!["3 of 4.3", "a+b+c", "2"]
    );
    assert_eq!(
        out_of(
            "$a = @(1, 2); $a += 3; $a.Count; $a[-1]; @().Count; ,5 | ForEach-Object { $_.Count }"
        ),
        vec!["3", "3", "0", "1"]
    );
    assert_eq!(
        out_of(
            "$s = 'Hello'; $s.Length; $s.ToUpper(); \"$($s.Length * 2) chars\"; \"`$s is $s`t!\""
        ),
        vec!["5", "HELLO", "10 chars", "$s is Hello\t!"]
    );
    assert_eq!(
        out_of("$h = @{ Name = 'srv'; Count = 2 }; $h.Name; $h['Count'] + 1; $h.Keys -join ','"),
        vec!["srv", "3", "Name,Count"]
    );
    assert_eq!(
        out_of(
            "$o = [pscustomobject]@{ A = 1; B = 'x' }; $o.B; \"$o\"; [int]'42' + 1; [string]3.5"
        ),
        vec!["x", "@{A=1; B=x}", "43", "3.5"]
    );
    assert_eq!(
        out_of("$x = 5; if ($x -gt 10) { 'big' } elseif ($x -gt 3) { 'medium' } else { 'small' }"),
        vec!["medium"]
    );
    assert_eq!(
        out_of("$i = 0; while ($i -lt 3) { $i++ }; $i; for ($j = 0; $j -lt 2; $j++) { \"j$j\" }"),
        vec!["3", "j0", "j1"]
    );
    assert_eq!(
        out_of("$n = $null; $n -eq $null; \"[$n]\"; 10..8 -join ' '"),
        vec!["True", "[]", "10 9 8"]
    );
    assert_eq!(
        out_of("[math]::Round(2.567, 2); (Get-Date).Year; $PSVersionTable.PSVersion.Major"),
        vec!["2.57", "2026", "5"]
    );
    assert_eq!(
        out_of("& { 'in block' } ; $sb = { \"x$_\" }; 3 | ForEach-Object $sb"),
        vec!["in block", "x3"]
    );
}

#[test]
fn write_streams_and_preferences() {
    let ev = run(
        "Write-Verbose 'hidden'; Write-Verbose 'shown' -Verbose; $VerbosePreference = 'Continue'; Write-Verbose 'pref'",
    );
    let verbose: Vec<_> = ev
        .iter()
        .filter_map(|e| {
            if let JobEvent::Verbose(m) = e {
                Some(m.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(verbose, vec!["shown", "pref"]);
    let ev = run("Write-Debug 'hidden'; Write-Debug 'shown' -Debug");
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, JobEvent::Debug(m) if m == "shown"))
            .count(),
        1
    );
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, JobEvent::Debug(_)))
            .count(),
        1
    );
    let ev = run("Write-Warning 'w1'; Write-Warning 'w2' -WarningAction SilentlyContinue");
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, JobEvent::Warning(_)))
            .count(),
        1
    );
    let ev = run(
        "Write-Host 'Hello' 'World' -ForegroundColor Green; Write-Information 'note' -Tags a, b; echo out; write out2",
    );
    let infos: Vec<_> = ev
        .iter()
        .filter_map(|e| {
            if let JobEvent::Information(i) = e {
                Some(i.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0].tags, vec!["PSHOST"]);
    assert_eq!(infos[0].text(), "Hello World");
    assert_eq!(
        infos[0].message_data.type_name(),
        "System.Management.Automation.HostInformationMessage"
    );
    assert_eq!(
        infos[0]
            .message_data
            .property("ForegroundColor")
            .map(|c| c.to_ps_string()),
        Some("Green".into())
    );
    assert_eq!(infos[0].computer, "SRV01");
    assert_eq!(infos[1].tags, vec!["a", "b"]);
    assert_eq!(infos[1].message_data, Value::str("note"));
    assert_eq!(texts(&ev), vec!["out", "out2"]);
}

#[test]
fn get_date_uses_the_callers_clock() {
    let mut job = Job::start("Get-Date -Format 'yyyy-MM-dd HH:mm:ss'; Start-Sleep 90; Get-Date -Format 'HH:mm:ss'; (Get-Date).GetType().FullName", ctx()).expect("parses");
    let t = texts(
        &run_timed(&mut job)
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        t,
        vec!["2026-11-22 09:30:00", "09:31:30", "System.DateTime"]
    );
    let ev = run("Get-Date");
    match &outputs(&ev)[0] {
        Value::DateTime(d) => assert_eq!(d.to_rfc3339(), "2026-11-22T09:30:00+01:00"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn foreach_where_select_sort_measure() {
    assert_eq!(
        out_of("1..5 | % { $_ * $_ } | ? { $_ -gt 4 }"),
        vec!["9", "16", "25"]
    );
    assert_eq!(
        out_of("1..3 | ForEach-Object -Begin { 'start' } -Process { $_ } -End { 'end' }"),
        vec!["start", "1", "2", "3", "end"]
    );
    assert_eq!(
        out_of("1..3 | ForEach-Object { 'b' } { $_ } { 'e' }"),
        vec!["b", "1", "2", "3", "e"]
    );
    assert_eq!(
        out_of("$sum = 0; 1..4 | ForEach-Object { $sum += $_ }; $sum"),
        vec!["10"]
    );
    assert_eq!(
        out_of("3, 1, 2 | Sort-Object; 3, 1, 2 | Sort-Object -Descending | Select-Object -First 1"),
        vec!["1", "2", "3", "3"]
    );
    assert_eq!(
        out_of("1..10 | Select-Object -Last 2; 1..5 | Select-Object -Skip 3"),
        vec!["9", "10", "4", "5"]
    );
    assert_eq!(
        out_of("'b','a','b' | Select-Object -Unique"),
        vec!["b", "a"]
    );
    let ev = run("1..4 | Measure-Object -Sum -Average -Maximum -Minimum");
    let m = &outputs(&ev)[0];
    assert_eq!(
        m.type_name(),
        "Microsoft.PowerShell.Commands.GenericMeasureInfo"
    );
    assert_eq!(m.property("Count"), Some(Value::Int(4)));
    assert_eq!(m.property("Sum"), Some(Value::Double(10.0)));
    assert_eq!(m.property("Average"), Some(Value::Double(2.5)));
    assert_eq!(m.property("Maximum"), Some(Value::Double(4.0)));
    assert_eq!(m.property("Minimum"), Some(Value::Double(1.0)));
    assert_eq!(
        out_of(
            "(1..7 | Measure-Object).Count; (Get-Process | Measure-Object -Property WS -Sum).Sum -gt 0"
        ),
        vec!["7", "True"]
    );
    // Where-Object simple forms.
    assert_eq!(
        out_of("Get-Service | Where-Object Name -EQ 'WinRM' | ForEach-Object Name"),
        vec!["WinRM"]
    );
    assert_eq!(
        out_of(
            "Get-Service | Where-Object -Property Name -Like 'Win*' | Select-Object -ExpandProperty Name"
        ),
        vec!["WinDefend", "Winmgmt", "WinRM"]
    );
    // Select-Object -Property with calculated properties.
    let ev = run(
        "Get-Process -Name lsass | Select-Object -Property Name, @{ Name = 'WSMB'; Expression = { [math]::Round($_.WS / 1MB, 1) } }",
    );
    let o = &outputs(&ev)[0];
    assert_eq!(o.type_name(), "Selected.System.Diagnostics.Process");
    assert_eq!(o.property("Name"), Some(Value::str("lsass")));
    assert!(matches!(o.property("WSMB"), Some(Value::Double(_))));
    // Sort by property.
    let ev = run(
        "Get-Process | Sort-Object -Property WS -Descending | Select-Object -First 3 -ExpandProperty WS",
    );
    let ws: Vec<i64> = outputs(&ev).iter().filter_map(Value::to_int).collect();
    assert_eq!(ws.len(), 3);
    assert!(ws[0] >= ws[1] && ws[1] >= ws[2]);
}

#[test]
fn get_process_and_get_service_objects() {
    let ev = run("Get-Process");
    let procs = outputs(&ev);
    assert!(procs.len() > 20);
    let p = &procs[0];
    match p {
        Value::Object {
            type_names,
            to_string,
            ..
        } => {
            assert_eq!(type_names[0], "System.Diagnostics.Process");
            assert_eq!(
                to_string.as_deref(),
                Some(
                    format!(
                        "System.Diagnostics.Process ({})",
                        p.property("Name").expect("name").to_ps_string()
                    )
                    .as_str()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    for prop in ["Name", "Id", "CPU", "WS", "Handles", "ProcessName"] {
        assert!(p.property(prop).is_some(), "{prop}");
    }
    // Deterministic per computer name.
    assert_eq!(outputs(&run("Get-Process")), procs);
    let other = {
        let clock = DateTime::parse_from_rfc3339("2026-11-22T09:30:00+01:00").expect("clock");
        outputs(&run_ctx(
            "Get-Process",
            ScriptContext::new("SRV02", "alice", clock, SessionState::shared("alice")),
        ))
    };
    assert_ne!(other, procs);
    assert_eq!(
        out_of(
            "(Get-Process -Name svchost).Count -gt 1; Get-Process -Id $PID | ForEach-Object ProcessName"
        ),
        vec!["True", "wsmprovhost"]
    );
    let ev = run("Get-Process -Name nosuch");
    let e = &errors(&ev)[0];
    assert_eq!(
        e.message,
        "Cannot find a process with the name \"nosuch\". Verify the process name and call the cmdlet again."
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "NoProcessFoundForGivenName,Microsoft.PowerShell.Commands.GetProcessCommand"
    );

    let ev = run("Get-Service -Name WinRM");
    let s = &outputs(&ev)[0];
    assert_eq!(s.type_name(), "System.ServiceProcess.ServiceController");
    assert_eq!(s.to_ps_string(), "System.ServiceProcess.ServiceController");
    assert_eq!(
        s.property("DisplayName"),
        Some(Value::str("Windows Remote Management (WS-Management)"))
    );
    assert_eq!(
        s.property("Status").map(|v| v.to_ps_string()),
        Some("Running".into())
    );
    assert_eq!(
        s.property("StartType").map(|v| v.to_ps_string()),
        Some("Automatic".into())
    );
    assert_eq!(
        out_of("(Get-Service | Where-Object { $_.Status -eq 'Running' }).Count -gt 5"),
        vec!["True"]
    );
    let ev = run("Get-Service nosuch");
    assert_eq!(
        errors(&ev)[0].message,
        "Cannot find any service with service name 'nosuch'."
    );
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand"
    );
}

#[test]
fn session_configuration_from_context() {
    let mut c = ctx();
    c.session_configurations = vec![
        SessionConfiguration {
            max_idle_timeout_ms: 43_200_000,
            ..Default::default()
        },
        SessionConfiguration {
            name: "JEA.Helpdesk".into(),
            run_as_user: "CONTOSO\\svc".into(),
            ..Default::default()
        },
    ];
    let ev = run_ctx("Get-PSSessionConfiguration Microsoft.PowerShell", c.clone());
    let o = &outputs(&ev)[0];
    assert_eq!(
        o.type_name(),
        "Microsoft.PowerShell.Commands.PSSessionConfigurationCommands#PSSessionConfiguration"
    );
    assert_eq!(o.property("MaxIdleTimeoutms"), Some(Value::str("43200000")));
    assert_eq!(o.property("IdleTimeoutms"), Some(Value::str("7200000")));
    assert_eq!(o.property("OutputBufferingMode"), Some(Value::str("Block")));
    assert_eq!(
        o.property("Uri"),
        Some(Value::str(
            "http://schemas.microsoft.com/powershell/microsoft.powershell"
        ))
    );
    for prop in [
        "Name",
        "PSVersion",
        "StartupScript",
        "RunAsUser",
        "Permission",
        "MaxShellsPerUser",
        "MaxConcurrentUsers",
        "MaxShells",
        "MaxMemoryPerShellMB",
        "MaxProcessesPerShell",
        "MaxConcurrentCommandsPerShell",
        "ResourceUri",
        "SecurityDescriptorSddl",
    ] {
        assert!(o.property(prop).is_some(), "{prop}");
    }
    assert_eq!(
        texts(&run_ctx(
            "Get-PSSessionConfiguration | ForEach-Object Name",
            c.clone()
        )),
        vec!["microsoft.powershell", "JEA.Helpdesk"]
    );
    assert_eq!(
        texts(&run_ctx("(Get-PSSessionConfiguration JEA*).RunAsUser", c)),
        vec!["CONTOSO\\svc"]
    );
}

#[test]
fn environment_and_identity() {
    assert_eq!(
        out_of(
            "$env:COMPUTERNAME; $env:USERNAME; hostname; whoami; $home; $PSVersionTable.PSEdition"
        ),
        vec![
            "SRV01",
            "alice",
            "SRV01",
            "srv01\\alice",
            "C:\\Users\\alice",
            "Desktop"
        ]
    );
    assert_eq!(
        out_of("$env:PATCH_RING = 'pilot'; \"ring=$env:PATCH_RING\""),
        vec!["ring=pilot"]
    );
}

#[test]
fn file_system_hand_over_scenario() {
    let session = SessionState::shared("alice");
    let ev = run_ctx(
        r"dir $home\Scripts\PatchStatusOutput.ps1",
        ctx_with(session.clone()),
    );
    let e = &errors(&ev)[0];
    assert_eq!(
        e.message,
        r"Cannot find path 'C:\Users\alice\Scripts\PatchStatusOutput.ps1' because it does not exist."
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand"
    );
    assert_eq!(e.category, ErrorCategory::ObjectNotFound);
    assert_eq!(
        e.exception_type,
        "System.Management.Automation.ItemNotFoundException"
    );
    assert_eq!(
        e.target,
        Value::str(r"C:\Users\alice\Scripts\PatchStatusOutput.ps1")
    );
    assert_eq!(
        e.category_info(),
        r"ObjectNotFound: (C:\Users\alice\Scripts\PatchStatusOutput.ps1:String) [Get-ChildItem], ItemNotFoundException"
    );

    let ev = run_ctx(
        r"mkdir $home\Scripts\PatchStatusOutput",
        ctx_with(session.clone()),
    );
    assert!(errors(&ev).is_empty());
    let d = &outputs(&ev)[0];
    assert_eq!(d.type_name(), "System.IO.DirectoryInfo");
    assert_eq!(
        d.property("FullName"),
        Some(Value::str(r"C:\Users\alice\Scripts\PatchStatusOutput"))
    );
    assert_eq!(d.property("Mode"), Some(Value::str("d-----")));

    // The session remembers: a later pipeline sees the directory; creating it again fails.
    let ev = run_ctx(
        r"Test-Path $home\Scripts\PatchStatusOutput; (dir $home\Scripts).Name; mkdir $home\Scripts\PatchStatusOutput",
        ctx_with(session.clone()),
    );
    assert_eq!(texts(&ev), vec!["True", "PatchStatusOutput"]);
    let e = &errors(&ev)[0];
    assert_eq!(
        e.message,
        r"An item with the specified name C:\Users\alice\Scripts\PatchStatusOutput already exists."
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand"
    );
    assert_eq!(e.category, ErrorCategory::ResourceExists);

    let ev = run_ctx(
        "Set-Content -Path ~\\Scripts\\log.txt -Value 'line1', 'line2'; Get-Content ~/Scripts/log.txt; New-Item -ItemType File -Path C:\\Temp\\x\\y.txt",
        ctx_with(session.clone()),
    );
    assert_eq!(texts(&ev), vec!["line1", "line2"]);
    assert_eq!(
        errors(&ev)[0].message,
        r"Could not find a part of the path 'C:\Temp\x\y.txt'."
    );
    assert_eq!(
        texts(&run_ctx(
            "cd ~\\Scripts; (Get-Location).Path; Get-ChildItem -Name; Remove-Item log.txt; Test-Path log.txt",
            ctx_with(session)
        )),
        vec![
            r"C:\Users\alice\Scripts",
            "PatchStatusOutput",
            "log.txt",
            "False"
        ]
    );
    let ev = run("dir HKLM:\\Software");
    assert_eq!(
        errors(&ev)[0].message,
        "Cannot find drive. A drive with the name 'HKLM' does not exist."
    );
}

#[test]
fn variables_persist_per_runspace() {
    let session = SessionState::shared("alice");
    assert!(
        texts(&run_ctx(
            "$ring = 'pilot'; Set-Variable -Name count -Value 3",
            ctx_with(session.clone())
        ))
        .is_empty()
    );
    assert_eq!(
        texts(&run_ctx(
            "$ring; $count; Get-Variable -Name ring -ValueOnly; (Get-Variable count).Value",
            ctx_with(session.clone())
        )),
        vec!["pilot", "3", "pilot", "3"]
    );
    assert_eq!(
        session.lock().expect("lock").variable("ring"),
        Some(Value::str("pilot"))
    );
    // Another runspace does not see them.
    let ev = run("$ring; Get-Variable ring");
    assert!(texts(&ev).iter().all(std::string::String::is_empty));
    assert_eq!(
        errors(&ev)[0].message,
        "Cannot find a variable with the name 'ring'."
    );
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand"
    );
}

#[test]
fn parameter_binding_errors() {
    let ev = run("Start-Sleep -Fortnight 2");
    let e = &errors(&ev)[0];
    assert_eq!(
        e.message,
        "A parameter cannot be found that matches parameter name 'Fortnight'."
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "NamedParameterNotFound,Microsoft.PowerShell.Commands.StartSleepCommand"
    );
    assert_eq!(e.category, ErrorCategory::InvalidArgument);
    let ev = run("Get-Date -Format");
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "MissingArgument,Microsoft.PowerShell.Commands.GetDateCommand"
    );
    // Unique prefixes work.
    assert_eq!(out_of("Get-Date -Form 'yyyy'"), vec!["2026"]);
}

#[test]
fn output_values_keep_their_types() {
    let ev = run("1; 2.5; 'x'; $true; $null; @(1, 'a'); @{ k = 1 }; { 1 + 1 }");
    let o = outputs(&ev);
    assert_eq!(o[0], Value::Int(1));
    assert_eq!(o[1], Value::Double(2.5));
    assert_eq!(o[2], Value::str("x"));
    assert_eq!(o[3], Value::Bool(true));
    assert_eq!(o[4], Value::Null);
    assert_eq!(o[5], Value::Int(1));
    assert_eq!(o[6], Value::str("a"));
    assert_eq!(o[7], Value::Hashtable(vec![("k".into(), Value::Int(1))]));
    match &o[8] {
        Value::ScriptBlock(sb) => assert_eq!(sb.text, " 1 + 1 "),
        other => panic!("{other:?}"),
    }
}

mod parser_props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn parser_never_panics(s in "\\PC{0,200}") {
            let _ = Job::start(&s, ctx());
        }

        #[test]
        fn parser_never_panics_on_powershellish_text(s in proptest::collection::vec(prop_oneof![
            Just("$"), Just("("), Just(")"), Just("{"), Just("}"), Just("@"), Just("'"), Just("\""), Just("`"), Just("|"),
            Just(";"), Just("\n"), Just(" "), Just("-eq"), Just("-"), Just(".."), Just(","), Just("["), Just("]"), Just("::"),
            Just("if"), Just("foreach"), Just("in"), Just("else"), Just("1"), Just("x"), Just("Get-Date"), Just("="), Just("+"),
            Just("#"), Just("<#"), Just("#>"), Just("@\"\n"), Just("\n\"@"), Just("$("), Just("%"), Just("."), Just(":"),
        ], 0..60)) {
            let text: String = s.concat();
            let _ = Job::start(&text, ctx());
        }

        #[test]
        fn running_arbitrary_small_scripts_never_panics(s in proptest::collection::vec(prop_oneof![
            Just("1"), Just("'a'"), Just(" + "), Just(" * "), Just(" -eq "), Just(" | "), Just("$x"), Just("$x = "), Just("; "),
            Just("@(1,2)"), Just("(2)"), Just("[int]"), Just(".Count"), Just("% { $_ }"), Just("Select-Object -First 1"), Just("1..3"),
        ], 0..12)) {
            let text: String = s.concat();
            if let Ok(mut job) = Job::start(&text, ctx()) {
                for _ in 0..50 {
                    if job.is_finished() { break; }
                    let t = job.next_wakeup().unwrap_or(Duration::ZERO);
                    let _ = job.poll(t, 100);
                }
            }
        }
    }
}

#[test]
fn runaway_recursion_is_bounded() {
    let ev = run("$sb = { & $sb }; & $sb; 'never'");
    match outcome(&ev) {
        JobOutcome::Failed(e) => {
            assert_eq!(e.message, "The script failed due to call depth overflow.");
            assert_eq!(e.fully_qualified_error_id, "CallDepthOverflow");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn runaway_strings_are_bounded() {
    let ev = run("$s = 'ab'; foreach ($i in 1..30) { $s += $s }; $s.Length -le 16MB");
    assert!(matches!(outcome(&ev), JobOutcome::Completed));
    assert_eq!(errors(&ev)[0].fully_qualified_error_id, "StringTooLong");
    assert_eq!(texts(&ev), vec!["True"]);
}

#[test]
fn deep_parentheses_run() {
    let depth = 20;
    let script = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(out_of(&script), vec!["1"]);
}

#[test]
fn deep_foreach_nesting_runs() {
    let script = format!("{}'in'{}", "1 | % { ".repeat(12), " }".repeat(12));
    assert_eq!(out_of(&script), vec!["in"]);
}

#[test]
fn create_pipeline_commands() {
    use baton::lab::script::PipelineCommand;
    let cmds = vec![
        PipelineCommand {
            name: "Get-Service".into(),
            is_script: false,
            args: vec![(Some("Name".into()), Value::str("Win*"))],
        },
        PipelineCommand {
            name: "Select-Object".into(),
            is_script: false,
            args: vec![(Some("-ExpandProperty".into()), Value::str("Name"))],
        },
    ];
    let mut job = Job::start_commands(&cmds, ctx()).expect("builds");
    let ev: Vec<JobEvent> = run_timed(&mut job).into_iter().map(|(_, e)| e).collect();
    assert_eq!(texts(&ev), vec!["WinDefend", "Winmgmt", "WinRM"]);
    let cmds = vec![
        PipelineCommand {
            name: "1..3 | % { Start-Sleep -Milliseconds 10; $_ }".into(),
            is_script: true,
            args: vec![],
        },
        PipelineCommand {
            name: "Out-Default".into(),
            is_script: false,
            args: vec![],
        },
    ];
    let mut job = Job::start_commands(&cmds, ctx()).expect("builds");
    let timed = run_timed(&mut job);
    let at: Vec<u128> = timed
        .iter()
        .filter(|(_, e)| matches!(e, JobEvent::Output(_)))
        .map(|(t, _)| t.as_millis())
        .collect();
    assert_eq!(at, vec![10, 20, 30]);
    let cmds = vec![PipelineCommand {
        name: "Get-Nothing".into(),
        is_script: false,
        args: vec![],
    }];
    let ev: Vec<JobEvent> = run_timed(&mut Job::start_commands(&cmds, ctx()).expect("builds"))
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "CommandNotFoundException"
    );
    assert!(
        Job::start_commands(
            &[PipelineCommand {
                name: "'open".into(),
                is_script: true,
                args: vec![]
            }],
            ctx()
        )
        .is_err()
    );
}

#[test]
fn jobs_and_sessions_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<Job>();
    assert_send_sync::<SharedSession>();
    assert_send_sync::<ScriptContext>();
    // A job started on one thread finishes on another.
    let mut job = Job::start("Start-Sleep -Milliseconds 5; 'moved'", ctx()).expect("parses");
    assert!(job.poll(Duration::ZERO, 10).is_empty());
    let ev = std::thread::spawn(move || job.poll(Duration::from_millis(5), 10))
        .join()
        .expect("thread");
    assert_eq!(texts(&ev), vec!["moved"]);
}

#[test]
fn get_child_item_lists_and_recurses() {
    let session = SessionState::shared("alice");
    let script = r"New-Item -ItemType Directory C:\Data\Logs | Out-Null; Set-Content C:\Data\Logs\a.log 'x'; Set-Content C:\Data\b.txt 'yy'
Get-ChildItem C:\Data | ForEach-Object { $_.Mode + ' ' + $_.Name }
(Get-ChildItem C:\Data -Recurse -File).FullName
(Get-ChildItem C:\Data\*.txt).Length
Get-ChildItem C:\Data -Recurse -Name";
    assert_eq!(
        texts(&run_ctx(script, ctx_with(session))),
        // Like PowerShell: a directory's own items first, then each subdirectory's.
        vec![
            "d----- Logs",
            "-a---- b.txt",
            r"C:\Data\b.txt",
            r"C:\Data\Logs\a.log",
            "4",
            "Logs",
            "b.txt",
            r"Logs\a.log",
        ]
    );
}

#[test]
fn try_catch_finally() {
    assert_eq!(
        out_of(
            "try { 'a'; throw 'oops'; 'never' } catch { \"caught: $($_.Exception.Message)\" } finally { 'cleanup' }; 'next'"
        ),
        vec!["a", "caught: oops", "cleanup", "next"]
    );
    assert_eq!(
        out_of(
            r"try { Get-ChildItem C:\nope -ErrorAction Stop } catch [System.Management.Automation.ItemNotFoundException] { 'not found: ' + $_.TargetObject } catch { 'other' }"
        ),
        vec![r"not found: C:\nope"]
    );
    assert_eq!(
        out_of("try { 1 / 0 } catch { $_.FullyQualifiedErrorId }"),
        vec!["RuntimeException"]
    );
    assert_eq!(
        out_of(
            "try { Get-Nope } catch [System.Management.Automation.CommandNotFoundException] { 'cnf' }"
        ),
        vec!["cnf"]
    );
    // Non-terminating errors are not caught.
    let ev = run("try { Write-Error 'soft'; 'after' } catch { 'caught' }");
    assert_eq!(texts(&ev), vec!["after"]);
    assert_eq!(errors(&ev)[0].message, "soft");
    // An unmatched catch lets the error terminate the pipeline; finally still runs.
    let ev =
        run("try { throw 'x' } catch [System.IO.IOException] { 'io' } finally { 'fin' }; 'never'");
    assert_eq!(texts(&ev), vec!["fin"]);
    assert!(matches!(outcome(&ev), JobOutcome::Failed(e) if e.message == "x"));
    let e = Job::start("try { 1 }", ctx()).unwrap_err();
    assert_eq!(e.error_id, "MissingCatchOrFinally");
}

#[test]
fn functions_with_parameters_and_scopes() {
    let script = r#"
function Get-PatchStatus {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$ComputerName,
        [int]$Count = 2,
        [switch]$Detailed
    )
    $local = "only here"
    foreach ($i in 1..$Count) {
        if ($Detailed) { "${ComputerName}: KB50$i (detailed)" } else { "${ComputerName}: KB50$i" }
    }
}
function Add($a, $b) { return $a + $b; 'never' }
Get-PatchStatus -ComputerName SRV01
Get-PatchStatus SRV02 1 -Detailed
Add 2 3
"[$local]"
function Sum { ($input | Measure-Object -Sum).Sum }
1..4 | Sum
"#;
    assert_eq!(
        out_of(script),
        vec![
            "SRV01: KB501",
            "SRV01: KB502",
            "SRV02: KB501 (detailed)",
            "5",
            "[]",
            "10"
        ]
    );
    // Functions persist in the runspace; unknown parameters are reported like PowerShell.
    let session = SessionState::shared("alice");
    run_ctx(
        "function Hello($Name = 'world') { \"hello $Name\" }",
        ctx_with(session.clone()),
    );
    let ev = run_ctx("Hello; Hello -Name you; Hello -Bogus 1", ctx_with(session));
    assert_eq!(texts(&ev), vec!["hello world", "hello you"]);
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "NamedParameterNotFound,Hello"
    );
    let ev = run("function F([int]$n) { $n }; F abc");
    assert_eq!(
        errors(&ev)[0].fully_qualified_error_id,
        "ParameterArgumentTransformationError,F"
    );
}

/// Pipeline input (PIPELINE_INPUT objects) flows into the first command; a
/// script block run as a command sees it as `$input`, once, at its end (it
/// has no named blocks), and still runs when the input is empty.
#[test]
fn pipeline_input_reaches_scripts_as_dollar_input() {
    use baton::lab::script::PipelineCommand;
    let script = |text: &str| {
        vec![PipelineCommand {
            name: text.into(),
            is_script: true,
            args: vec![],
        }]
    };
    let run_with = |cmds: &[PipelineCommand], input: Vec<Value>| {
        let mut job = Job::start_commands_with_input(cmds, Some(input), ctx()).expect("builds");
        let ev: Vec<JobEvent> = run_timed(&mut job).into_iter().map(|(_, e)| e).collect();
        assert_eq!(outcome(&ev), JobOutcome::Completed, "{ev:?}");
        texts(&ev)
    };
    let ints = || vec![Value::Int(1), Value::Int(2), Value::Int(3)];
    assert_eq!(
        run_with(&script("$input | ForEach-Object { $_ * 10 }"), ints()),
        ["10", "20", "30"]
    );
    assert_eq!(
        run_with(&script("\"got $(@($input).Count)\"; 'once'"), ints()),
        ["got 3", "once"]
    );
    assert_eq!(
        run_with(
            &script("function Sum { ($input | Measure-Object -Sum).Sum }; $input | Sum"),
            ints()
        ),
        ["6"]
    );
    assert_eq!(
        run_with(&script("\"got $(@($input).Count)\""), Vec::new()),
        ["got 0"]
    );
    // A command (not a script) takes the input by value.
    let cmds = vec![PipelineCommand {
        name: "Select-Object".into(),
        is_script: false,
        args: vec![(Some("-Last".into()), Value::Int(1))],
    }];
    assert_eq!(run_with(&cmds, ints()), ["3"]);
    // Inside a script, a piped script block also gets `$input`.
    assert_eq!(
        out_of("1..3 | & { $input | Measure-Object | ForEach-Object { $_.Count } }"),
        ["3"]
    );
}

/// A script block opened by a `param(...)` block binds its arguments like a
/// function (`Invoke-Command -ArgumentList` sends them as the script's
/// positional arguments); extra ones go to `$args`; a leading cast is not a
/// param block.
#[test]
fn script_block_param_blocks_bind_arguments() {
    assert_eq!(out_of("& { param($a, $b = 2) $a + $b } 40"), ["42"]);
    assert_eq!(out_of("& { param([int]$n) 1..$n } 3"), ["1", "2", "3"]);
    assert_eq!(
        out_of("& {\n  [CmdletBinding()]\n  param($x)\n  \"x=$x\"\n} -x 5"),
        ["x=5"]
    );
    assert_eq!(out_of("& { param($a) \"$a/$args\" } 1 2 3"), ["1/2 3"]);
    assert_eq!(out_of("[int]'5' + 1"), ["6"]);
    assert_eq!(out_of("& { \"plain: $args\" } a b"), ["plain: a b"]);
    // The parameters live in the block's own scope.
    assert_eq!(
        out_of("& { param($inner) $inner } 1; \"[$inner]\""),
        ["1", "[]"]
    );
    // Through CREATE_PIPELINE: positional Args of the script command.
    use baton::lab::script::PipelineCommand;
    let cmds = vec![PipelineCommand {
        name: "param($name, $count) 1..$count | ForEach-Object { \"$name $_\" }".into(),
        is_script: true,
        args: vec![(None, Value::str("Srv1")), (None, Value::Int(2))],
    }];
    let mut job = Job::start_commands(&cmds, ctx()).expect("builds");
    let ev: Vec<JobEvent> = run_timed(&mut job).into_iter().map(|(_, e)| e).collect();
    assert_eq!(texts(&ev), ["Srv1 1", "Srv1 2"]);
}

/// Named begin/process/end blocks in functions and script blocks; the
/// process block runs once per input object with `$_` and the
/// `[Parameter(ValueFromPipeline)]` parameter bound, or once when nothing
/// flows in.
#[test]
fn named_blocks_and_value_from_pipeline() {
    assert_eq!(
        out_of(
            "function Double { param([Parameter(ValueFromPipeline)][int]$n) process { $n * 2 } }\n1..3 | Double"
        ),
        ["2", "4", "6"]
    );
    assert_eq!(
        out_of("1..2 | & { begin { 'start' } process { \"item $_\" } end { 'done' } }"),
        ["start", "item 1", "item 2", "done"]
    );
    assert_eq!(out_of("& { process { \"once [$_]\" } }"), ["once []"]);
    assert_eq!(
        out_of(
            "function Count-It {\n  begin { $c = 0 }\n  process { $c = $c + 1 }\n  end { \"counted $c\" }\n}\n'a','b','c' | Count-It"
        ),
        ["counted 3"]
    );
    let e = Job::start("& { process { 1 } end 2 }", ctx()).unwrap_err();
    assert_eq!(e.error_id, "MissingNamedStatementBlock");
    // Through CREATE_PIPELINE with pipeline input.
    use baton::lab::script::PipelineCommand;
    let cmds = vec![PipelineCommand {
        name: "param([Parameter(ValueFromPipeline = $true)]$x) process { \"got $x\" }".into(),
        is_script: true,
        args: vec![],
    }];
    let mut job =
        Job::start_commands_with_input(&cmds, Some(vec![Value::Int(1), Value::Int(2)]), ctx())
            .expect("builds");
    let ev: Vec<JobEvent> = run_timed(&mut job).into_iter().map(|(_, e)| e).collect();
    assert_eq!(texts(&ev), ["got 1", "got 2"]);
}

/// A lab file's address this machine does not have (macOS's loopback has
/// only 127.0.0.1), or a port another program holds (http.sys on Windows):
/// the computer is served on 127.0.0.1 with a free port, and the lab says so.
#[test]
fn the_lab_falls_back_to_127_0_0_1_when_its_address_cannot_be_bound() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();
        let mut config = baton::lab::LabConfig::demo();
        config.allow_remote = true;
        config.computers.truncate(2);
        // TEST-NET-1 (RFC 5737): never an address of this machine.
        config.computers[0].address = "192.0.2.7".into();
        config.computers[0].port = 5985;
        config.computers[1].address = "127.0.0.1".into();
        config.computers[1].port = taken_port;
        let running = baton::lab::start(&config, baton::lab::Ports::Configured)
            .await
            .expect("the lab starts anyway");
        assert_eq!(running.notices.len(), 2, "{:?}", running.notices);
        assert!(
            running.notices[0].starts_with("Srv1: 192.0.2.7:5985 cannot be used (")
                && running.notices[0].contains("serving on 127.0.0.1:"),
            "{}",
            running.notices[0]
        );
        assert!(
            running.notices[1].contains("Another program listens there"),
            "{}",
            running.notices[1]
        );
        for (_, url) in &running.endpoints {
            assert!(url.starts_with("http://127.0.0.1:"), "{url}");
            assert!(!url.ends_with(&format!(":{taken_port}/wsman")), "{url}");
        }
        // Served: the first computer answers where the lab says it is.
        let url = &running.endpoints[0].1;
        let addr = url.trim_start_matches("http://").trim_end_matches("/wsman");
        assert!(std::net::TcpStream::connect(addr).is_ok(), "{addr}");
        drop(taken);
        running.stop().await;
    });
}
