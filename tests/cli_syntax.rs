//! The cmdlet-syntax command line: parsing, binding and formatting against
//! the reference pages in /work/shared/seeds (copied examples below).

use baton::cli::cmdlets::{
    Arg, AuthenticationMechanism, BindError, BoundCommand, CredentialArg, Invocation, InvokeTarget,
    OutputBufferingMode, RemoteTarget, ScriptSource, Selection, SessionFilterState,
    SessionOptionArg, SessionTarget, bind, bind_pipeline,
};
use baton::cli::format::{
    SessionRow, format_bind_error, format_list, format_parse_error, session_table,
};
use baton::cli::syntax::{
    Argument, Member, ParseError, PipelineElement, Statement, StrPart, Value, VarRef, parse,
    tokenize,
};
use proptest::prelude::*;

fn var(name: &str) -> Value {
    Value::Variable(VarRef::plain(name))
}

fn strs(v: &[&str]) -> Arg<Vec<String>> {
    Arg::Value(v.iter().map(|s| (*s).to_owned()).collect())
}

/// Parse one statement and bind every command of its pipeline.
fn bind_all(line: &str) -> Result<(Option<String>, Vec<BoundCommand>), Box<BindError>> {
    let stmts = parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
    assert_eq!(stmts.len(), 1, "{line}");
    let (var, pipeline) = match stmts.into_iter().next() {
        Some(Statement::Pipeline(p)) => (None, p),
        Some(Statement::Assignment { variable, pipeline }) => (Some(variable), pipeline),
        None => unreachable!(),
    };
    let bound = bind_pipeline(&pipeline)?.into_iter().flatten().collect();
    Ok((var, bound))
}

fn one(line: &str) -> BoundCommand {
    let (_, mut b) = bind_all(line).unwrap_or_else(|e| panic!("{line}: {}", e.message));
    assert_eq!(b.len(), 1, "{line}");
    b.remove(0)
}

fn bind_err(line: &str) -> Box<BindError> {
    match bind_all(line) {
        Err(e) => e,
        Ok(b) => panic!("{line} bound: {b:?}"),
    }
}

fn parse_err(line: &str) -> ParseError {
    match parse(line) {
        Err(e) => e,
        Ok(s) => panic!("{line} parsed: {s:?}"),
    }
}

// ---------------------------------------------------------------------------
// Examples from the reference pages.

#[test]
fn disconnect_by_name() {
    let b = one("Disconnect-PSSession -Name UpdateSession");
    assert_eq!(b.cmdlet, "Disconnect-PSSession");
    assert_eq!(b.parameter_set, "Name");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Name(strs(&["UpdateSession"])));
    assert_eq!(d.idle_timeout_sec, None);
    assert_eq!(d.output_buffering_mode, None);
    assert_eq!(d.throttle_limit, 32);
    assert!(!d.what_if);
    assert_eq!(d.confirm, None);
}

#[test]
fn get_then_disconnect_pipeline_over_two_lines() {
    let line = "Get-PSSession -ComputerName Server12 -Name ITTask |\n  Disconnect-PSSession -OutputBufferingMode Drop -IdleTimeoutSec 86400";
    let (_, b) = bind_all(line).expect("binds");
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].parameter_set, "ComputerName");
    let Invocation::GetPSSession(g) = &b[0].invocation else {
        panic!()
    };
    let remote = g.remote.as_ref().expect("remote query");
    assert_eq!(
        remote.target,
        RemoteTarget::ComputerName {
            names: strs(&["Server12"]),
            port: None,
            use_ssl: false,
            application_name: None
        }
    );
    assert_eq!(g.name, Some(strs(&["ITTask"])));
    assert_eq!(g.state, SessionFilterState::All);
    assert_eq!(b[1].parameter_set, "Session");
    let Invocation::DisconnectPSSession(d) = &b[1].invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Pipeline);
    assert_eq!(
        d.output_buffering_mode,
        Some(Arg::Value(OutputBufferingMode::Drop))
    );
    assert_eq!(d.idle_timeout_sec, Some(Arg::Value(86400)));
}

#[test]
fn new_pssession_with_computer_list_into_variable() {
    let (v, b) =
        bind_all("$s = New-PSSession -ComputerName Srv1, Srv2, Srv30 -Name ITTask").expect("binds");
    assert_eq!(v.as_deref(), Some("s"));
    let Invocation::NewPSSession(n) = &b[0].invocation else {
        panic!()
    };
    let c = n.connection.as_ref().expect("connection");
    assert_eq!(
        c.target,
        RemoteTarget::ComputerName {
            names: strs(&["Srv1", "Srv2", "Srv30"]),
            port: None,
            use_ssl: false,
            application_name: None
        }
    );
    assert_eq!(n.name, Some(strs(&["ITTask"])));
    assert_eq!(n.throttle_limit, 32);
}

#[test]
fn invoke_command_positional_session_and_file_path() {
    let b = one(r"Invoke-Command $s -FilePath \\Server01\Scripts\Get-PatchStatus.ps1");
    assert_eq!(b.parameter_set, "FilePathRunspace");
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert_eq!(i.target, InvokeTarget::Sessions(var("s")));
    assert_eq!(
        i.script,
        ScriptSource::FilePath(Arg::Value(r"\\Server01\Scripts\Get-PatchStatus.ps1".into()))
    );
}

#[test]
fn invoke_command_script_block_is_verbatim() {
    let b = one(r"Invoke-Command -Session $s {dir $home\Scripts\PatchStatusOutput.ps1}");
    assert_eq!(b.parameter_set, "Session");
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert_eq!(i.target, InvokeTarget::Sessions(var("s")));
    assert_eq!(
        i.script,
        ScriptSource::Block(r"dir $home\Scripts\PatchStatusOutput.ps1".into())
    );
    let b = one(r"Invoke-Command -Session $s {mkdir $home\Scripts\PatchStatusOutput}");
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert_eq!(
        i.script,
        ScriptSource::Block(r"mkdir $home\Scripts\PatchStatusOutput".into())
    );
}

#[test]
fn get_then_disconnect_name_first() {
    let (_, b) = bind_all("Get-PSSession -Name ITTask -ComputerName Srv1 | Disconnect-PSSession")
        .expect("binds");
    assert_eq!(b[0].parameter_set, "ComputerName");
    let Invocation::DisconnectPSSession(d) = &b[1].invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Pipeline);
}

#[test]
fn get_pssession_with_credential_user_name() {
    let b = one(r"Get-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\User01");
    let Invocation::GetPSSession(g) = b.invocation else {
        panic!()
    };
    let r = g.remote.expect("remote");
    assert_eq!(
        r.credential,
        Some(CredentialArg::UserName(r"Domain01\User01".into()))
    );
}

#[test]
fn connect_pssession_remote_by_name_with_credential() {
    let (v, b) = bind_all(
        r"$s = Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\User01",
    )
    .expect("binds");
    assert_eq!(v.as_deref(), Some("s"));
    assert_eq!(b[0].parameter_set, "ComputerName");
    let Invocation::ConnectPSSession(c) = &b[0].invocation else {
        panic!()
    };
    let Selection::Remote {
        connection,
        name,
        instance_id,
    } = &c.selection
    else {
        panic!()
    };
    assert_eq!(name, &Some(strs(&["ITTask"])));
    assert_eq!(instance_id, &None);
    assert_eq!(
        connection.credential,
        Some(CredentialArg::UserName(r"Domain01\User01".into()))
    );
}

#[test]
fn disconnect_session_variable() {
    let b = one("Disconnect-PSSession -Session $s");
    assert_eq!(b.parameter_set, "Session");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Sessions(var("s")));
}

#[test]
fn disconnect_positional_session_with_idle_timeout() {
    let b = one("Disconnect-PSSession $s -IdleTimeoutSec 43200");
    assert_eq!(b.parameter_set, "Session");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Sessions(var("s")));
    assert_eq!(d.idle_timeout_sec, Some(Arg::Value(43200)));
}

#[test]
fn disconnect_positional_int_goes_to_id() {
    let b = one("Disconnect-PSSession 1, 2");
    assert_eq!(b.parameter_set, "Id");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Id(Arg::Value(vec![1, 2])));
    let b = one("Disconnect-PSSession -Id 1..3");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Id(Arg::Value(vec![1, 2, 3])));
}

#[test]
fn new_pssession_option_idle_timeout() {
    let (v, b) = bind_all("$Timeout = New-PSSessionOption -IdleTimeout 172800000").expect("binds");
    assert_eq!(v.as_deref(), Some("Timeout"));
    let Invocation::NewPSSessionOption(o) = &b[0].invocation else {
        panic!()
    };
    assert_eq!(o.idle_timeout_ms, Some(172_800_000));
    assert_eq!(o.output_buffering_mode, None);
}

#[test]
fn new_pssession_prefix_computer_and_session_option_variable() {
    let b = one("New-PSSession -Computer Server01 -Name ITTask -SessionOption $Timeout");
    let Invocation::NewPSSession(n) = b.invocation else {
        panic!()
    };
    let c = n.connection.expect("connection");
    assert_eq!(
        c.target,
        RemoteTarget::ComputerName {
            names: strs(&["Server01"]),
            port: None,
            use_ssl: false,
            application_name: None
        }
    );
    assert_eq!(
        c.session_option,
        Some(SessionOptionArg::Deferred(var("Timeout")))
    );
}

#[test]
fn invoke_command_remote_then_format_list() {
    let (_, b) = bind_all(
        "Invoke-Command -ComputerName Server01 {Get-PSSessionConfiguration Microsoft.PowerShell} |\n Format-List -Property *",
    )
    .expect("binds");
    assert_eq!(b[0].parameter_set, "ComputerName");
    let Invocation::InvokeCommand(i) = &b[0].invocation else {
        panic!()
    };
    assert_eq!(
        i.script,
        ScriptSource::Block("Get-PSSessionConfiguration Microsoft.PowerShell".into())
    );
    let InvokeTarget::Remote(r) = &i.target else {
        panic!()
    };
    assert!(
        matches!(&r.target, RemoteTarget::ComputerName { names, .. } if *names == strs(&["Server01"]))
    );
    assert_eq!(
        b[1].invocation,
        Invocation::FormatList {
            property: Some(vec!["*".into()])
        }
    );
}

#[test]
fn member_access_expression_statement() {
    let stmts = parse("$s.Runspace.ConnectionInfo.IdleTimeout").expect("parses");
    assert_eq!(
        stmts,
        vec![Statement::Pipeline(baton::cli::syntax::Pipeline {
            elements: vec![PipelineElement::Expression(Value::Variable(VarRef {
                name: "s".into(),
                members: vec![
                    Member::Property("Runspace".into()),
                    Member::Property("ConnectionInfo".into()),
                    Member::Property("IdleTimeout".into())
                ],
            }))]
        })]
    );
}

#[test]
fn indexing_variables() {
    let b = one("Disconnect-PSSession $s[0] -IdleTimeoutSec 60");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(
        d.target,
        SessionTarget::Sessions(Value::Variable(VarRef {
            name: "s".into(),
            members: vec![Member::Index(0)]
        }))
    );
    let b = one("Disconnect-PSSession -Name $s[-1].Name");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    let SessionTarget::Name(Arg::Deferred(Value::Variable(v))) = d.target else {
        panic!()
    };
    assert_eq!(
        v.members,
        vec![Member::Index(-1), Member::Property("Name".into())]
    );
    assert_eq!(v.to_string(), "$s[-1].Name");
    let e = parse_err("Disconnect-PSSession $s[0");
    assert_eq!(e.message, "Missing ']' after array index expression.");
}

#[test]
fn connect_pssession_seed_examples() {
    let b = one("Connect-PSSession -ComputerName Server01 -Name ITTask");
    assert_eq!(b.parameter_set, "ComputerName");
    let (_, b) = bind_all("Get-PSSession | Connect-PSSession").expect("binds");
    assert_eq!(b[0].parameter_set, "Name");
    assert_eq!(b[1].parameter_set, "Session");
    let Invocation::ConnectPSSession(c) = &b[1].invocation else {
        panic!()
    };
    assert_eq!(c.selection, Selection::Local(SessionTarget::Pipeline));
    let b = one("New-PSSession -ComputerName Server01 -Name ITTask -ConfigurationName ITTasks");
    let Invocation::NewPSSession(n) = b.invocation else {
        panic!()
    };
    assert_eq!(
        n.connection.expect("c").configuration_name,
        Some(Arg::Value("ITTasks".into()))
    );
    let b = one(
        r"Invoke-Command -Session $s -ScriptBlock {Start-Job -FilePath \\Server30\Scripts\Backup-SQLDatabase.ps1}",
    );
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert_eq!(
        i.script,
        ScriptSource::Block(
            r"Start-Job -FilePath \\Server30\Scripts\Backup-SQLDatabase.ps1".into()
        )
    );
    let b =
        one("Invoke-Command -Session $s -ScriptBlock {$BackupSpecs = Receive-Job -JobName Job2}");
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert_eq!(
        i.script,
        ScriptSource::Block("$BackupSpecs = Receive-Job -JobName Job2".into())
    );
}

#[test]
fn arithmetic_in_argument_mode_is_a_string_as_in_powershell() {
    // Connect-PSSession.md example 3 types `-IdleTimeoutSec 60*60*15`; in
    // argument mode PowerShell passes the string "60*60*15", which does not
    // convert to Int32. Parentheses make it an expression.
    let e = bind_err(
        "Disconnect-PSSession -Session $s -OutputBufferingMode Drop -IdleTimeoutSec 60*60*15",
    );
    assert_eq!(
        e.message,
        "Cannot bind parameter 'IdleTimeoutSec'. Cannot convert value \"60*60*15\" to type \"System.Int32\". Error: \"Input string was not in a correct format.\""
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand"
    );
    let b = one(
        "Disconnect-PSSession -Session $s -OutputBufferingMode Drop -IdleTimeoutSec (60*60*15)",
    );
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.idle_timeout_sec, Some(Arg::Value(54000)));
}

#[test]
fn disconnect_wsman_prefix() {
    let b = one("Disconnect-WSMan -computer server01");
    assert_eq!(
        b.invocation,
        Invocation::DisconnectWSMan {
            computer_name: Some(Arg::Value("server01".into()))
        }
    );
}

// ---------------------------------------------------------------------------
// Binding rules and errors.

#[test]
fn unknown_parameter() {
    let e = bind_err("Disconnect-PSSession -Foo 1");
    assert_eq!(
        e.message,
        "A parameter cannot be found that matches parameter name 'Foo'."
    );
    assert_eq!(
        e.fully_qualified_error_id,
        "NamedParameterNotFound,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand"
    );
    assert_eq!(e.offset, 21);
    let text = format_bind_error("Disconnect-PSSession -Foo 1", &e);
    assert_eq!(
        text,
        "Disconnect-PSSession : A parameter cannot be found that matches parameter name 'Foo'.\n\
         At line:1 char:22\n\
         + Disconnect-PSSession -Foo 1\n\
         +                      ~~~~\n    \
         + CategoryInfo          : InvalidArgument: (:) [Disconnect-PSSession], ParameterBindingException\n    \
         + FullyQualifiedErrorId : NamedParameterNotFound,Microsoft.PowerShell.Commands.DisconnectPSSessionCommand\n"
    );
}

#[test]
fn ambiguous_prefix_lists_matches() {
    let e = bind_err("Disconnect-PSSession -I 5");
    assert_eq!(
        e.message,
        "Parameter cannot be processed because the parameter name 'I' is ambiguous. Possible matches include: -IdleTimeoutSec -InstanceId -Id -InformationAction -InformationVariable."
    );
    assert_eq!(e.error_id, "AmbiguousParameter");
    // An exact name wins over longer names it prefixes.
    let b = one("Disconnect-PSSession -Id 5");
    assert_eq!(b.parameter_set, "Id");
    // Unique prefixes and aliases work, case-insensitively.
    let e = bind_err("Disconnect-PSSession -Name x -out Drop");
    assert_eq!(
        e.message,
        "Parameter cannot be processed because the parameter name 'out' is ambiguous. Possible matches include: -OutputBufferingMode -OutVariable -OutBuffer."
    );
    let b = one("disconnect-pssession -idle 60 -outp drop -na x -wi");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.idle_timeout_sec, Some(Arg::Value(60)));
    assert_eq!(
        d.output_buffering_mode,
        Some(Arg::Value(OutputBufferingMode::Drop))
    );
    assert!(d.what_if);
    let b = one("New-PSSession -Cn a -ea Stop");
    assert_eq!(b.parameter_set, "ComputerName");
    assert_eq!(
        b.common.get("ErrorAction"),
        Some(&Value::String("Stop".into()))
    );
    let e = bind_err("New-PSSession -Cn a -URI http://a/wsman");
    assert_eq!(e.error_id, "AmbiguousParameterSet");
}

#[test]
fn confirm_false_and_switch_values() {
    let b = one("Disconnect-PSSession -Name x -Confirm:$false -WhatIf:$true");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.confirm, Some(false));
    assert!(d.what_if);
    let b = one("Remove-PSSession -Name x -cf");
    let Invocation::RemovePSSession(r) = b.invocation else {
        panic!()
    };
    assert_eq!(r.confirm, Some(true));
}

#[test]
fn missing_mandatory() {
    let e = bind_err("Disconnect-PSSession");
    assert_eq!(
        e.message,
        "Cannot process command because of one or more missing mandatory parameters: Session."
    );
    assert_eq!(e.error_id, "MissingMandatoryParameter");
    let e = bind_err("Connect-PSSession -ThrottleLimit 3");
    assert_eq!(
        e.message,
        "Cannot process command because of one or more missing mandatory parameters: Name."
    );
}

#[test]
fn missing_argument() {
    let e = bind_err("Disconnect-PSSession -Name");
    assert_eq!(
        e.message,
        "Missing an argument for parameter 'Name'. Specify a parameter of type 'System.String[]' and try again."
    );
    let e = bind_err("Disconnect-PSSession -IdleTimeoutSec -Name x");
    assert_eq!(
        e.message,
        "Missing an argument for parameter 'IdleTimeoutSec'. Specify a parameter of type 'System.Int32' and try again."
    );
}

#[test]
fn parameter_set_cannot_be_resolved() {
    let e = bind_err("Disconnect-PSSession -Name a -Id 3");
    assert_eq!(
        e.message,
        "Parameter set cannot be resolved using the specified named parameters."
    );
    assert_eq!(e.error_id, "AmbiguousParameterSet");
    let e = bind_err("New-PSSession -ComputerName a -ConnectionUri http://x:5985/wsman");
    assert_eq!(e.error_id, "AmbiguousParameterSet");
}

#[test]
fn validate_range_and_conversions() {
    let e = bind_err("Disconnect-PSSession -Name x -IdleTimeoutSec -5");
    assert_eq!(
        e.message,
        "Cannot validate argument on parameter 'IdleTimeoutSec'. The -5 argument is less than the minimum allowed range of 0. Supply an argument that is greater than or equal to 0 and then try the command again."
    );
    assert_eq!(e.error_id, "ParameterArgumentValidationError");
    let e = bind_err("New-PSSession -ComputerName a -Port 70000");
    assert_eq!(
        e.message,
        "Cannot validate argument on parameter 'Port'. The 70000 argument is greater than the maximum allowed range of 65535. Supply an argument that is less than or equal to 65535 and then try the command again."
    );
    let e = bind_err("Disconnect-PSSession -Name x -IdleTimeoutSec 99999999999");
    assert_eq!(
        e.message,
        "Cannot bind parameter 'IdleTimeoutSec'. Cannot convert value \"99999999999\" to type \"System.Int32\". Error: \"Value was either too large or too small for an Int32.\""
    );
    let e = bind_err("Disconnect-PSSession -Name x -OutputBufferingMode Fast");
    assert_eq!(
        e.message,
        "Cannot bind parameter 'OutputBufferingMode'. Cannot convert value \"Fast\" to type \"System.Management.Automation.Runspaces.OutputBufferingMode\". Error: \"Unable to match the identifier name Fast to a valid enumerator name. Specify one of the following enumerator names and try again:\nNone, Drop, Block\""
    );
    let e = bind_err("Disconnect-PSSession -InstanceId nope");
    assert_eq!(
        e.message,
        "Cannot bind parameter 'InstanceId'. Cannot convert value \"nope\" to type \"System.Guid\". Error: \"Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).\""
    );
    let e = bind_err("Disconnect-PSSession -Session Srv1");
    assert_eq!(
        e.message,
        "Cannot bind parameter 'Session'. Cannot convert the \"Srv1\" value of type \"System.String\" to type \"System.Management.Automation.Runspaces.PSSession\u{5b}\u{5d}\"."
    );
    let e = bind_err("Get-PSSession -State Sleeping");
    assert!(
        e.message
            .contains("All, Opened, Disconnected, Closed, Broken"),
        "{}",
        e.message
    );
}

#[test]
fn kb_mb_gb_suffixes() {
    let b = one(
        "New-PSSessionOption -MaximumReceivedObjectSize 200MB -MaximumReceivedDataSizePerCommand 1gb -OpenTimeout 1KB",
    );
    let Invocation::NewPSSessionOption(o) = b.invocation else {
        panic!()
    };
    assert_eq!(o.maximum_received_object_size, Some(200 * 1024 * 1024));
    assert_eq!(o.maximum_received_data_size_per_command, Some(1 << 30));
    assert_eq!(o.open_timeout_ms, Some(1024));
}

#[test]
fn duplicate_parameter() {
    let e = bind_err("Disconnect-PSSession -Name a -Name b");
    assert_eq!(e.error_id, "ParameterAlreadyBound");
    assert!(e.message.starts_with(
        "Cannot bind parameter because parameter 'Name' is specified more than once."
    ));
}

#[test]
fn positional_not_found_and_unknown_command() {
    let e = bind_err("Disconnect-PSSession -Name a extra");
    assert_eq!(
        e.message,
        "A positional parameter cannot be found that accepts argument 'extra'."
    );
    let e = bind_err("Get-Foo -Bar");
    assert!(
        e.message
            .starts_with("The term 'Get-Foo' is not recognized as the name of a cmdlet")
    );
    let text = format_bind_error("Get-Foo -Bar", &e);
    assert!(text.contains("    + CategoryInfo          : ObjectNotFound: (Get-Foo:String) [], CommandNotFoundException\n"), "{text}");
}

#[test]
fn pipeline_into_named_set_cannot_bind_input() {
    let e = bind_err("Get-PSSession | Disconnect-PSSession -Name x");
    assert_eq!(e.error_id, "InputObjectNotBound");
}

#[test]
fn session_option_inline_forms() {
    let b = one(
        "New-PSSession -ComputerName a -SessionOption @{IdleTimeout = 60000; OutputBufferingMode = 'Drop'}",
    );
    let Invocation::NewPSSession(n) = b.invocation else {
        panic!()
    };
    let Some(SessionOptionArg::Options(o)) = n.connection.expect("c").session_option else {
        panic!()
    };
    assert_eq!(o.idle_timeout_ms, Some(60000));
    assert_eq!(o.output_buffering_mode, Some(OutputBufferingMode::Drop));
    let b = one(
        "New-PSSession -ComputerName a -SessionOption (New-PSSessionOption -IdleTimeout 60000 -SkipCACheck)",
    );
    let Invocation::NewPSSession(n) = b.invocation else {
        panic!()
    };
    let Some(SessionOptionArg::Options(o)) = n.connection.expect("c").session_option else {
        panic!()
    };
    assert_eq!(o.idle_timeout_ms, Some(60000));
    assert!(o.skip_ca_check);
    let e = bind_err("New-PSSession -ComputerName a -SessionOption @{Bogus = 1}");
    assert!(
        e.message
            .contains("A parameter cannot be found that matches parameter name 'Bogus'."),
        "{}",
        e.message
    );
}

#[test]
fn connection_uri_alias_and_auth() {
    let b = one(
        "Connect-PSSession -URI https://srv1:5986/wsman -Name ITTask -Authentication negotiate -AllowRedirection",
    );
    assert_eq!(b.parameter_set, "ConnectionUri");
    let Invocation::ConnectPSSession(c) = b.invocation else {
        panic!()
    };
    let Selection::Remote { connection, .. } = c.selection else {
        panic!()
    };
    assert_eq!(
        connection.target,
        RemoteTarget::ConnectionUri {
            uris: strs(&["https://srv1:5986/wsman"]),
            allow_redirection: true
        }
    );
    assert_eq!(
        connection.authentication,
        Some(Arg::Value(AuthenticationMechanism::Negotiate))
    );
}

#[test]
fn invoke_command_disconnected_session() {
    let b = one(
        "icm -cn Srv1,Srv2 -InDisconnectedSession -SessionName Nightly -ScriptBlock { Get-Date } -ArgumentList 1, 'two'",
    );
    assert_eq!(b.cmdlet, "Invoke-Command");
    let Invocation::InvokeCommand(i) = b.invocation else {
        panic!()
    };
    assert!(i.in_disconnected_session);
    assert_eq!(i.session_name, Some(strs(&["Nightly"])));
    assert_eq!(i.script, ScriptSource::Block(" Get-Date ".into()));
    assert_eq!(
        i.argument_list,
        Some(Value::List(vec![
            Value::Int(1),
            Value::String("two".into())
        ]))
    );
}

#[test]
fn deferred_values_stay_symbolic() {
    let b = one("Disconnect-PSSession -Name $n -IdleTimeoutSec $t");
    let Invocation::DisconnectPSSession(d) = b.invocation else {
        panic!()
    };
    assert_eq!(d.target, SessionTarget::Name(Arg::Deferred(var("n"))));
    assert_eq!(d.idle_timeout_sec, Some(Arg::Deferred(var("t"))));
    let b = one("Get-PSSession -ComputerName \"srv$i\"");
    let Invocation::GetPSSession(g) = b.invocation else {
        panic!()
    };
    let RemoteTarget::ComputerName { names, .. } = g.remote.expect("r").target else {
        panic!()
    };
    assert_eq!(
        names,
        Arg::Deferred(Value::Expandable(vec![
            StrPart::Literal("srv".into()),
            StrPart::Variable(VarRef::plain("i"))
        ]))
    );
}

#[test]
fn remove_pssession_forms() {
    let (_, b) = bind_all("$s | Remove-PSSession").expect("binds");
    let Invocation::RemovePSSession(r) = &b[0].invocation else {
        panic!()
    };
    assert_eq!(r.target, SessionTarget::Pipeline);
    let b = one("Remove-PSSession 3");
    let Invocation::RemovePSSession(r) = b.invocation else {
        panic!()
    };
    assert_eq!(r.target, SessionTarget::Id(Arg::Value(vec![3])));
    let b = one("Remove-PSSession -ComputerName Srv1");
    let Invocation::RemovePSSession(r) = b.invocation else {
        panic!()
    };
    assert_eq!(r.target, SessionTarget::ComputerName(strs(&["Srv1"])));
}

#[test]
fn receive_and_wsman_cmdlets() {
    let b = one("Receive-PSSession -ComputerName Srv1 -Name ITTask -OutTarget Job -JobName J1");
    assert_eq!(b.parameter_set, "ComputerSessionName");
    let Invocation::ReceivePSSession(r) = b.invocation else {
        panic!()
    };
    assert!(matches!(r.selection, Selection::Remote { .. }));
    let b = one(
        "Test-WSMan srv1 -Port 5986 -UseSSL -Authentication Kerberos -Credential user@corp.example",
    );
    let Invocation::TestWSMan(t) = b.invocation else {
        panic!()
    };
    assert_eq!(t.computer_name, Some(Arg::Value("srv1".into())));
    assert_eq!(t.port, Some(Arg::Value(5986)));
    assert_eq!(
        t.credential,
        Some(CredentialArg::UserName("user@corp.example".into()))
    );
    let b = one("Get-PSSessionConfiguration Microsoft.PowerShell");
    let Invocation::GetPSSessionConfiguration(g) = b.invocation else {
        panic!()
    };
    assert_eq!(g.name, Some(strs(&["Microsoft.PowerShell"])));
    let b = one("Get-PSSession -State Disconnected");
    let Invocation::GetPSSession(g) = b.invocation else {
        panic!()
    };
    assert_eq!(g.state, SessionFilterState::Disconnected);
    assert!(g.remote.is_none());
}

#[test]
fn common_parameters_are_accepted() {
    let b = one("Get-PSSession -Verbose -ErrorAction Stop");
    assert_eq!(b.common.get("Verbose"), Some(&Value::Bool(true)));
    assert_eq!(
        b.common.get("ErrorAction"),
        Some(&Value::String("Stop".into()))
    );
}

// ---------------------------------------------------------------------------
// Syntax.

#[test]
fn quoting() {
    let stmts =
        parse(r#"Get-PSSession -Name 'it''s', "a`tb`"c", "x""y", 'ITTask*'"#).expect("parses");
    let Statement::Pipeline(p) = &stmts[0] else {
        panic!()
    };
    let PipelineElement::Command(c) = &p.elements[0] else {
        panic!()
    };
    assert_eq!(
        c.args[1],
        Argument::Value {
            value: Value::List(vec![
                Value::String("it's".into()),
                Value::String("a\tb\"c".into()),
                Value::String("x\"y".into()),
                Value::String("ITTask*".into()),
            ]),
            offset: 20
        }
    );
}

#[test]
fn script_block_edge_cases() {
    let cases = [
        (r#"Invoke-Command -Session $s { "}" }"#, r#" "}" "#),
        (r"Invoke-Command -Session $s { '}{' }", r" '}{' "),
        (
            "Invoke-Command -Session $s { if ($true) { @{a=1} } else { 2 } }",
            " if ($true) { @{a=1} } else { 2 } ",
        ),
        (
            "Invoke-Command -Session $s { # } comment\n 1 }",
            " # } comment\n 1 ",
        ),
        ("Invoke-Command -Session $s { <# } #> 1 }", " <# } #> 1 "),
        (
            "Invoke-Command -Session $s { \"$( '}' )\" }",
            " \"$( '}' )\" ",
        ),
        ("Invoke-Command -Session $s { `} }", " `} "),
        ("Invoke-Command -Session $s { @'\n}\n'@ }", " @'\n}\n'@ "),
    ];
    for (line, inner) in cases {
        let b = one(line);
        let Invocation::InvokeCommand(i) = b.invocation else {
            panic!()
        };
        assert_eq!(i.script, ScriptSource::Block(inner.into()), "{line}");
    }
}

#[test]
fn parser_errors() {
    let e = parse_err("Invoke-Command -Session $s {dir");
    assert_eq!(
        e.message,
        "Missing closing '}' in statement block or type definition."
    );
    assert_eq!(e.error_id, "MissingEndCurlyBrace");
    assert_eq!(e.offset, 27);
    assert_eq!(
        format_parse_error("Invoke-Command -Session $s {dir", &e),
        "At line:1 char:28\n\
         + Invoke-Command -Session $s {dir\n\
         +                            ~~~~\n\
         Missing closing '}' in statement block or type definition.\n    \
         + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\n    \
         + FullyQualifiedErrorId : MissingEndCurlyBrace\n"
    );
    let e = parse_err("Get-PSSession -Name \"abc");
    assert_eq!(e.message, "The string is missing the terminator: \".");
    assert_eq!(e.error_id, "TerminatorExpectedAtEndOfString");
    let e = parse_err("Get-PSSession -Name 'abc");
    assert_eq!(e.message, "The string is missing the terminator: '.");
    let e = parse_err("Get-PSSession -Name a)");
    assert_eq!(
        e.message,
        "Unexpected token ')' in expression or statement."
    );
    let e = parse_err("$a $b");
    assert_eq!(
        e.message,
        "Unexpected token '$b' in expression or statement."
    );
    let e = parse_err("Get-PSSession |");
    assert_eq!(e.message, "An empty pipe element is not allowed.");
    let e = parse_err("Get-PSSession | $s");
    assert_eq!(
        e.message,
        "Expressions are only allowed as the first element of a pipeline."
    );
    let e = parse_err("Get-PSSession -ComputerName a,");
    assert_eq!(e.message, "Missing argument in parameter list.");
    let e = parse_err("$x =");
    assert_eq!(
        e.message,
        "You must provide a value expression following the '=' operator."
    );
    let e = parse_err("New-PSSession -SessionOption (New-PSSessionOption -IdleTimeout 5");
    assert_eq!(e.message, "Missing closing ')' in expression.");
    let e = parse_err("Get-PSSession <# open");
    assert_eq!(
        e.message,
        "The terminator '#>' is missing from the multiline comment."
    );
    let e = parse_err("New-PSSession -SessionOption @{IdleTimeout 5}");
    assert_eq!(e.message, "Missing '=' operator after key in hash literal.");
    let e = parse_err("New-PSSession -SessionOption @{IdleTimeout = 5");
    assert_eq!(e.message, "The hash literal was incomplete.");
}

#[test]
fn statements_comments_and_continuations() {
    let stmts = parse("Get-PSSession # all of them\n$s = Get-PSSession -Name a; Disconnect-PSSession `\n -Session $s").expect("parses");
    assert_eq!(stmts.len(), 3);
    let Statement::Pipeline(p) = &stmts[2] else {
        panic!()
    };
    let PipelineElement::Command(c) = &p.elements[0] else {
        panic!()
    };
    assert_eq!(c.args.len(), 2);
}

#[test]
fn argument_mode_words() {
    let stmts = parse(r"X Domain01\User01 ITTask* 5 0x10 -3 1.5 2kb $null $true a$b 1..3 --% ")
        .expect("parses");
    let Statement::Pipeline(p) = &stmts[0] else {
        panic!()
    };
    let PipelineElement::Command(c) = &p.elements[0] else {
        panic!()
    };
    let vals: Vec<&Value> = c
        .args
        .iter()
        .filter_map(|a| match a {
            Argument::Value { value, .. } => Some(value),
            Argument::Parameter { .. } => None,
        })
        .collect();
    assert_eq!(vals[0], &Value::String(r"Domain01\User01".into()));
    assert_eq!(vals[1], &Value::String("ITTask*".into()));
    assert_eq!(vals[2], &Value::Int(5));
    assert_eq!(vals[3], &Value::Int(16));
    assert_eq!(vals[4], &Value::Int(-3));
    assert_eq!(vals[5], &Value::Double(1.5));
    assert_eq!(vals[6], &Value::Int(2048));
    assert_eq!(vals[7], &Value::Null);
    assert_eq!(vals[8], &Value::Bool(true));
    assert_eq!(
        vals[9],
        &Value::Expandable(vec![
            StrPart::Literal("a".into()),
            StrPart::Variable(VarRef::plain("b"))
        ])
    );
    assert_eq!(
        vals[10],
        &Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
    );
}

#[test]
fn expressions_and_arrays() {
    let stmts =
        parse("$x = @(1, 2) ; $y = 1,2 + 3; $z = (2 * 3) + 1; $w = 'a' + 'b'").expect("parses");
    let vals: Vec<Value> = stmts
        .into_iter()
        .map(|s| match s {
            Statement::Assignment { pipeline, .. } => match pipeline.elements.into_iter().next() {
                Some(PipelineElement::Expression(v)) => v,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(vals[0], Value::List(vec![Value::Int(1), Value::Int(2)]));
    assert_eq!(
        vals[1],
        Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
    );
    assert_eq!(vals[2], Value::Int(7));
    assert_eq!(vals[3], Value::String("ab".into()));
}

#[test]
fn tokenizer_output() {
    let toks: Vec<_> = tokenize("Get-PSSession -Name:'a' | Disconnect-PSSession {x}")
        .expect("tokens")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    use baton::cli::syntax::Token;
    assert_eq!(
        toks,
        vec![
            Token::Word("Get-PSSession".into()),
            Token::Parameter {
                name: "Name".into(),
                colon: true
            },
            Token::Literal(Value::String("a".into())),
            Token::Punct("|"),
            Token::Word("Disconnect-PSSession".into()),
            Token::ScriptBlock("x".into()),
        ]
    );
}

// ---------------------------------------------------------------------------
// Formatting against the reference pages.

fn seed_table(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

fn r(id: i32, name: &str, cn: &str, state: &str, conf: &str, avail: &str) -> SessionRow {
    SessionRow {
        id,
        name: name.into(),
        computer_name: cn.into(),
        state: state.into(),
        configuration_name: conf.into(),
        availability: avail.into(),
        ..SessionRow::default()
    }
}

#[test]
fn table_matches_disconnect_pssession_example_3() {
    // Disconnect-PSSession.fr.md, example 3, second table (verbatim).
    let expected = seed_table(&[
        "Id Name            ComputerName    State         ConfigurationName     Availability",
        "-- ----            ------------    -----         -----------------     ------------",
        " 1 ITTask          Srv1            Disconnected  Microsoft.PowerShell          None",
        " 2 ITTask          Srv2            Opened        Microsoft.PowerShell     Available",
        " 3 ITTask          Srv30           Opened        Microsoft.PowerShell     Available",
    ]);
    let got = session_table(&[
        r(
            1,
            "ITTask",
            "Srv1",
            "Disconnected",
            "Microsoft.PowerShell",
            "None",
        ),
        r(
            2,
            "ITTask",
            "Srv2",
            "Opened",
            "Microsoft.PowerShell",
            "Available",
        ),
        r(
            3,
            "ITTask",
            "Srv30",
            "Opened",
            "Microsoft.PowerShell",
            "Available",
        ),
    ]);
    assert_eq!(got, expected);
}

#[test]
fn table_matches_disconnect_pssession_example_4() {
    let expected = seed_table(&[
        "Id Name            ComputerName    State         ConfigurationName     Availability",
        "-- ----            ------------    -----         -----------------     ------------",
        " 4 ITTask          Server01        Disconnected  Microsoft.PowerShell          None",
    ]);
    let got = session_table(&[r(
        4,
        "ITTask",
        "Server01",
        "Disconnected",
        "Microsoft.PowerShell",
        "None",
    )]);
    assert_eq!(got, expected);
}

#[test]
fn table_matches_disconnect_pssession_example_1_and_2() {
    // Examples 1 and 2 print the Id left-aligned ("1  UpdateSession"), unlike
    // examples 3 and 4 and PowerShell's PSSession view (Id is right-aligned);
    // every other column matches character for character.
    let expected = seed_table(&[
        "Id Name            ComputerName    State         ConfigurationName     Availability",
        "-- ----            ------------    -----         -----------------     ------------",
        " 1 UpdateSession   Server01        Disconnected  Microsoft.PowerShell          None",
    ]);
    let page =
        "1  UpdateSession   Server01        Disconnected  Microsoft.PowerShell          None";
    assert_eq!(&expected.lines().nth(2).expect("row")[2..], &page[2..]);
    let got = session_table(&[r(
        1,
        "UpdateSession",
        "Server01",
        "Disconnected",
        "Microsoft.PowerShell",
        "None",
    )]);
    assert_eq!(got, expected);
    let expected2 = seed_table(&[
        "Id Name            ComputerName    State         ConfigurationName     Availability",
        "-- ----            ------------    -----         -----------------     ------------",
        " 1 ITTask          Server12        Disconnected  ITTasks                       None",
    ]);
    let got = session_table(&[r(
        1,
        "ITTask",
        "Server12",
        "Disconnected",
        "ITTasks",
        "None",
    )]);
    assert_eq!(got, expected2);
}

#[test]
fn format_list_matches_connection_info_example() {
    let props: Vec<(String, String)> = [
        ("ConnectionUri", "http://Server01/wsman"),
        ("ComputerName", "Server01"),
        ("Credential", ""),
        ("MaximumConnectionRedirectionCount", "5"),
        ("IdleTimeout", "172800000"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let expected = seed_table(&[
        "ConnectionUri                     : http://Server01/wsman",
        "ComputerName                      : Server01",
        "Credential                        :",
        "MaximumConnectionRedirectionCount : 5",
        "IdleTimeout                       : 172800000",
    ]);
    assert_eq!(format_list(&props), expected);
}

// ---------------------------------------------------------------------------
// Robustness.

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn tokenizer_and_parser_never_panic(s in "\\PC{0,80}") {
        let _ = tokenize(&s);
        if let Ok(stmts) = parse(&s) {
            for st in stmts {
                let p = match st { Statement::Pipeline(p) => p, Statement::Assignment { pipeline, .. } => pipeline };
                let _ = bind_pipeline(&p);
            }
        }
    }

    #[test]
    fn syntax_heavy_input_never_panics(s in "[-${}()@'\"`;|,.=#<> a-zA-Z0-9\\n]{0,60}") {
        let _ = tokenize(&s);
        if let Ok(stmts) = parse(&s) {
            for st in stmts {
                let p = match st { Statement::Pipeline(p) => p, Statement::Assignment { pipeline, .. } => pipeline };
                for el in &p.elements {
                    if let PipelineElement::Command(c) = el {
                        let _ = bind(c, false);
                    }
                }
            }
        }
    }

    #[test]
    fn script_block_text_round_trips(body in "[a-z $;|()]{0,30}") {
        let line = format!("Invoke-Command -Session $s {{{body}}}");
        let b = one(&line);
        let Invocation::InvokeCommand(i) = b.invocation else { panic!() };
        prop_assert_eq!(i.script, ScriptSource::Block(body));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("X {}1{}", "(".repeat(500), ")".repeat(500));
    let e = parse_err(&deep);
    assert_eq!(e.error_id, "NestingTooDeep");
    let deep = format!("X {}", "@{a=".repeat(500));
    assert!(parse(&deep).is_err());
    let minus = format!("$x = {}5", "-".repeat(100_000));
    assert!(parse(&minus).is_ok());
}

/// An operator, a pipe or a comma at the end of a line leaves it unfinished
/// (the shell asks for more, as PowerShell does); the same text inside a
/// finished line is an error with PowerShell's id.
#[test]
fn trailing_operators_continue_the_line() {
    for (line, id) in [
        ("$a = 1 +", "ExpectedValueExpression"),
        ("$a = 2 *", "ExpectedValueExpression"),
        ("$a = 1 -", "ExpectedValueExpression"),
        ("$a = 1,", "MissingExpressionAfterToken"),
        ("Get-PSSession |", "EmptyPipeElement"),
        ("$h = @{", "IncompleteHashLiteral"),
    ] {
        let e = baton::cli::syntax::parse(line).expect_err(line);
        assert_eq!(e.error_id, id, "{line}");
        assert!(e.is_incomplete_input(line), "{line} should go on");
        let more = format!("{line}\n");
        assert!(
            baton::cli::syntax::parse(&more)
                .expect_err(line)
                .is_incomplete_input(&more),
            "{line} then Enter should go on"
        );
    }
    assert_eq!(
        baton::cli::syntax::parse("$a = 1 +\n  2").unwrap(),
        baton::cli::syntax::parse("$a = 3").unwrap()
    );
    let e = baton::cli::syntax::parse("$a = (1 + )").unwrap_err();
    assert_eq!(e.error_id, "ExpectedValueExpression");
    assert!(!e.is_incomplete_input("$a = (1 + )"));
    assert_eq!(
        e.message,
        "You must provide a value expression following the '+' operator."
    );
}
