//! From protocol values and errors to the model the UI and CLI show: done
//! once, here.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::remote::RemoteError;
use crate::model::connection::SHELL_URI_PREFIX;
use crate::model::{
    Availability, ErrorView, OutputBufferingMode, OutputItem, ProgressView, RemoteCommand,
    RemoteObject, RemoteValue, ServerShellState, SessionInfo, SessionState, ShellDetails,
    UserError,
};
use crate::protocol::clixml::PsValue;
use crate::protocol::clixml::records::{
    self, ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord, ProgressType,
};
use crate::protocol::psrp::client::{ClientEvent, RecordKind};
use crate::protocol::wsman::fault::codes;
use crate::protocol::wsman::shell::{BufferMode, CommandInfo, CommandState, ShellInfo, ShellState};
use crate::transport::TransportError;

/// `ConfigurationName` as PowerShell shows it: the shell URI without its prefix.
pub fn configuration_name(resource_uri: Option<&str>) -> String {
    match resource_uri {
        Some(u)
            if u.len() > SHELL_URI_PREFIX.len()
                && u[..SHELL_URI_PREFIX.len()].eq_ignore_ascii_case(SHELL_URI_PREFIX) =>
        {
            u[SHELL_URI_PREFIX.len()..].to_owned()
        }
        Some(u) => u.to_owned(),
        None => "Microsoft.PowerShell".into(),
    }
}

/// The model's buffering mode.
pub fn buffer_mode(b: Option<BufferMode>) -> OutputBufferingMode {
    match b {
        Some(BufferMode::Block) => OutputBufferingMode::Block,
        Some(BufferMode::Drop) => OutputBufferingMode::Drop,
        None => OutputBufferingMode::None,
    }
}

/// The wire's buffering mode (None = leave the server's).
pub fn wire_buffer_mode(b: OutputBufferingMode) -> Option<BufferMode> {
    match b {
        OutputBufferingMode::Block => Some(BufferMode::Block),
        OutputBufferingMode::Drop => Some(BufferMode::Drop),
        OutputBufferingMode::None => None,
    }
}

fn duration_text(ms: Option<u64>) -> Option<String> {
    ms.map(crate::protocol::wsman::duration::format_dhms)
}

/// A shell found by enumeration (or held here) as a PSSession.
///
/// `held` is Some(opened) when this console holds the session: then State is
/// Opened or Disconnected from our side. Otherwise PowerShell's rule for
/// reconstructed sessions applies: State is Disconnected, and Availability
/// is Busy when the server says the shell is Connected (someone is attached),
/// None when it can be connected.
pub fn session_info(
    local_id: u32,
    computer: &str,
    shell: &ShellInfo,
    commands: &[CommandInfo],
    held: Option<bool>,
    protocol_version: Option<String>,
    now: DateTime<Utc>,
) -> SessionInfo {
    let instance_id = Uuid::parse_str(&shell.shell_id).unwrap_or_default();
    let server_state = shell.state.as_ref().map(|s| match s {
        ShellState::Connected => ServerShellState::Connected,
        _ => ServerShellState::Disconnected,
    });
    let (state, availability) = match held {
        Some(true) => (SessionState::Opened, Availability::Available),
        Some(false) => (
            SessionState::Disconnected,
            if server_state == Some(ServerShellState::Connected) {
                Availability::Busy
            } else {
                Availability::None
            },
        ),
        None => (
            SessionState::Disconnected,
            if server_state == Some(ServerShellState::Connected) {
                Availability::Busy
            } else {
                Availability::None
            },
        ),
    };
    // PowerShell: DisconnectedOn = now − ShellInactivity, ExpiresOn = that + IdleTimeout,
    // when the server says Disconnected and the idle timeout exceeds the inactivity.
    let (disconnected_on, expires_on) = match (
        server_state,
        shell.shell_inactivity_ms,
        shell.idle_timeout_ms,
    ) {
        (Some(ServerShellState::Disconnected), Some(inactive), Some(idle)) if idle > inactive => {
            let on = now - TimeDelta::milliseconds(i64::try_from(inactive).unwrap_or(0));
            (
                Some(on),
                Some(on + TimeDelta::milliseconds(i64::try_from(idle).unwrap_or(0))),
            )
        }
        _ => (None, None),
    };
    SessionInfo {
        id: local_id,
        name: shell.name.clone().unwrap_or_default(),
        instance_id,
        computer_name: computer.to_owned(),
        state,
        configuration_name: configuration_name(shell.resource_uri.as_deref()),
        availability,
        idle_timeout_ms: shell.idle_timeout_ms,
        max_idle_timeout_ms: shell.max_idle_timeout_ms,
        output_buffering_mode: buffer_mode(shell.buffer_mode),
        disconnected_on,
        expires_on,
        details: ShellDetails {
            owner: shell.owner.clone(),
            client_ip: shell.client_ip.clone(),
            process_id: shell.process_id,
            server_state,
            shell_run_time: duration_text(shell.shell_run_time_ms),
            shell_inactivity: duration_text(shell.shell_inactivity_ms),
            shell_inactivity_ms: shell.shell_inactivity_ms,
            memory_used: shell.memory_used.clone(),
            child_processes: shell.child_processes,
            compression_mode: shell.compression_mode.clone(),
            profile_loaded: shell.profile_loaded,
            encoding: shell.encoding.clone(),
            locale: shell.locale.clone(),
            data_locale: shell.data_locale.clone(),
            resource_uri: shell.resource_uri.clone(),
            unread: shell.unread.clone(),
        },
        commands: commands
            .iter()
            .filter_map(|c| {
                Some(RemoteCommand {
                    command_id: Uuid::parse_str(&c.command_id).ok()?,
                    command_line: c.command_line.clone(),
                    state: match c.state {
                        CommandState::Done => "Done".into(),
                        CommandState::Pending => "Pending".into(),
                        CommandState::Running => "Running".into(),
                        CommandState::Other(ref s) => s.clone(),
                    },
                })
            })
            .collect(),
        protocol_version,
    }
}

/// An ErrorRecord as the output pane shows it.
pub fn error_view(v: &PsValue) -> ErrorView {
    match ErrorRecord::from_value(v) {
        Ok(r) => ErrorView {
            message: r
                .error_details_message
                .clone()
                .unwrap_or_else(|| r.message.clone()),
            fully_qualified_error_id: r.fully_qualified_error_id.clone(),
            category: r.category.summary(),
            target: r.target_object.as_str().map(str::to_owned),
            script_stack_trace: r.script_stack_trace.clone(),
        },
        Err(_) => ErrorView {
            message: records::display(v),
            ..ErrorView::default()
        },
    }
}

/// How deep a remote object is kept as data (the console's display depth).
const VALUE_DEPTH: usize = 4;
/// How many values one output object keeps as data; the rest is its text.
const VALUE_BUDGET: usize = 20_000;

/// A remote value as data: primitives in JSON's terms, containers and
/// objects to [`VALUE_DEPTH`] levels and [`VALUE_BUDGET`] values, deeper or
/// further ones by their text.
pub fn remote_value(v: &PsValue) -> RemoteValue {
    let mut budget = VALUE_BUDGET;
    value_at(v, 0, &mut budget)
}

fn value_at(v: &PsValue, depth: usize, budget: &mut usize) -> RemoteValue {
    use crate::protocol::clixml::{Container, Primitive};
    if *budget == 0 {
        return RemoteValue::Truncated(String::new());
    }
    *budget -= 1;
    let o = match v {
        PsValue::Primitive(p) => {
            return match p {
                Primitive::Nil => RemoteValue::Null,
                Primitive::Bool(b) => RemoteValue::Bool(*b),
                Primitive::U8(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::I8(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::U16(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::I16(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::U32(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::I32(x) => RemoteValue::Int(i64::from(*x)),
                Primitive::I64(x) => RemoteValue::Int(*x),
                Primitive::U64(x) => RemoteValue::UInt(*x),
                Primitive::F32(x) => RemoteValue::Float(f64::from(*x)),
                Primitive::F64(x) => RemoteValue::Float(*x),
                Primitive::DateTime(t) => RemoteValue::Text(t.clone()),
                other => RemoteValue::Text(records::display(&PsValue::Primitive(other.clone()))),
            };
        }
        PsValue::Object(o) => o,
    };
    if depth >= VALUE_DEPTH {
        // One line, within a small budget: shared `<Ref>`s can put the same
        // large value at thousands of places past the depth kept.
        return RemoteValue::Truncated(records::display_line(v));
    }
    match &o.container {
        Some(Container::Dictionary(entries)) => {
            return RemoteValue::Dictionary(
                entries
                    .iter()
                    .map(|(k, val)| (records::display(k), value_at(val, depth + 1, budget)))
                    .collect(),
            );
        }
        Some(c) => {
            return RemoteValue::List(
                c.items()
                    .unwrap_or(&[])
                    .iter()
                    .map(|i| value_at(i, depth + 1, budget))
                    .collect(),
            );
        }
        None => {}
    }
    let properties: Vec<(String, RemoteValue)> = o
        .adapted
        .iter()
        .chain(o.extended.iter())
        .map(|(n, val)| (n.clone(), value_at(val, depth + 1, budget)))
        .collect();
    match (&o.value, properties.is_empty()) {
        // An enum: its number, and its name (the ToString).
        (Some(PsValue::Primitive(p)), true) if o.type_names.iter().any(|t| t == "System.Enum") => {
            let n = match value_at(&PsValue::Primitive(p.clone()), depth, budget) {
                RemoteValue::Int(i) => i,
                _ => 0,
            };
            RemoteValue::Enum {
                value: n,
                name: o.to_string.clone().unwrap_or_else(|| n.to_string()),
            }
        }
        // A primitive with notes only its type adds: the primitive.
        (Some(inner), true) => value_at(inner, depth, budget),
        _ => RemoteValue::Object {
            type_names: o.type_names.clone(),
            to_string: o.to_string.clone(),
            properties,
        },
    }
}

/// One message of a pipeline as an output item (None for the ones that are
/// not output: states, host calls, pool messages).
pub fn output_item(e: &ClientEvent) -> Option<OutputItem> {
    match e {
        ClientEvent::Output { value, .. } => Some(OutputItem::Output(RemoteObject {
            text: records::display(value),
            value: remote_value(value),
        })),
        ClientEvent::Record { kind, value, .. } => Some(match kind {
            RecordKind::Error => OutputItem::Error(error_view(value)),
            RecordKind::Warning => OutputItem::Warning(informational(value)),
            RecordKind::Verbose => OutputItem::Verbose(informational(value)),
            RecordKind::Debug => OutputItem::Debug(informational(value)),
            RecordKind::Information => OutputItem::Information(
                InformationRecord::from_value(value)
                    .map_or_else(|_| records::display(value), |r| r.message()),
            ),
            RecordKind::Progress => OutputItem::Progress(match ProgressRecord::from_value(value) {
                Ok(p) => ProgressView {
                    activity_id: p.activity_id,
                    parent_activity_id: p.parent_activity_id,
                    activity: p.activity,
                    status: p.status_description,
                    current_operation: p.current_operation,
                    percent_complete: p.percent_complete,
                    seconds_remaining: p.seconds_remaining,
                    completed: p.record_type == ProgressType::Completed,
                },
                Err(_) => ProgressView {
                    activity: records::display(value),
                    percent_complete: -1,
                    ..ProgressView::default()
                },
            }),
        }),
        ClientEvent::PipelineState { error: Some(e), .. } => Some(OutputItem::Error(error_view(e))),
        _ => None,
    }
}

fn informational(v: &PsValue) -> String {
    InformationalRecord::from_value(v).map_or_else(|_| records::display(v), |r| r.message)
}

/// A remote failure as a person reads it: what failed, why, what to do.
pub fn user_error(summary: String, e: &RemoteError) -> UserError {
    let (detail, advice, error_id) = match e {
        RemoteError::Transport(t) => {
            let advice = match t {
                TransportError::AccessDenied(_) => Some(
                    "Check the user name and password; the user must be allowed by the session configuration (Remote Management Users or Administrators).".to_owned(),
                ),
                TransportError::Connect { .. } | TransportError::ConnectTimeout { .. } => Some(
                    "Check that the computer is on, that WinRM listens (Enable-PSRemoting; port 5985 for HTTP, 5986 for HTTPS) and that no firewall blocks it.".to_owned(),
                ),
                _ => None,
            };
            (
                t.to_string(),
                advice,
                Some("WinRMTransportError".to_owned()),
            )
        }
        RemoteError::Fault(f) => {
            let advice = match f.wsman_code {
                Some(codes::SHELL_CONNECTED_TO_DIFFERENT_CLIENT) => Some(
                    "The session is connected to another client (Availability Busy). Ask its user to disconnect it (Disconnect-PSSession), then connect.".to_owned(),
                ),
                Some(codes::INVALID_SELECTORS) => Some(
                    "The session no longer exists on the server (removed, or its idle timeout expired). Refresh the list.".to_owned(),
                ),
                Some(codes::IDLETIMEOUT_OUTOFBOUNDS) => Some(
                    "Choose an idle timeout between 60 seconds and the session configuration's MaxIdleTimeoutms.".to_owned(),
                ),
                Some(codes::ACCESS_DENIED | codes::HRESULT_ACCESS_DENIED) => Some(
                    "Use the credentials of the session's owner, or an administrator of that computer.".to_owned(),
                ),
                Some(codes::QUOTA_MAX_SHELLS_PPQ | codes::QUOTA_MAX_SHELLS) => Some(
                    "Remove sessions you no longer need (disconnected ones count too), or raise MaxShellsPerUser.".to_owned(),
                ),
                _ => None,
            };
            let id = f
                .code_name()
                .map(str::to_owned)
                .or(f.wsman_code.map(|c| c.to_string()));
            (f.to_string(), advice, id)
        }
        RemoteError::Protocol(p) => (
            p.to_string(),
            None,
            Some("PSRemotingDataStructureException".into()),
        ),
        RemoteError::Refused(r) => (r.clone(), None, None),
    };
    UserError {
        summary,
        detail,
        advice,
        error_id,
    }
}

/// An error with no remote cause.
pub fn plain_error(
    summary: impl Into<String>,
    detail: impl Into<String>,
    advice: Option<&str>,
) -> UserError {
    UserError {
        summary: summary.into(),
        detail: detail.into(),
        advice: advice.map(str::to_owned),
        error_id: None,
    }
}

/// A value for a remote script, as CLIXML: integers as Int32 when they fit
/// (Int64 otherwise), strings, arrays, and property bags as
/// PSCustomObjects, as PowerShell serialises them.
pub fn script_value(v: &crate::model::ScriptValue) -> crate::protocol::clixml::PsValue {
    use crate::model::ScriptValue;
    use crate::protocol::clixml::{Container, PsObject, PsValue};
    match v {
        ScriptValue::Null => PsValue::NIL,
        ScriptValue::Int(i) => i32::try_from(*i).map_or(PsValue::from(*i), PsValue::from),
        ScriptValue::String(s) => PsValue::str(s.clone()),
        ScriptValue::Record(r) => {
            let mut obj = PsObject::with_types(&[
                "System.Management.Automation.PSCustomObject",
                "System.Object",
            ]);
            for (k, v) in r {
                obj = obj.with_ms(k.clone(), PsValue::str(v.clone()));
            }
            PsValue::from(obj)
        }
        ScriptValue::List(items) => PsValue::from(
            PsObject::new()
                .with_container(Container::List(items.iter().map(script_value).collect())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_refs_past_the_depth_kept_cost_one_line_each() {
        // Found by fuzzing: eight levels of twenty `<Ref>`s to one object
        // (4 KB of CLIXML) rendered a full view at every place past the
        // depth kept, for minutes.
        fn level(depth: usize, next_id: &mut usize) -> (String, usize) {
            let id = *next_id;
            *next_id += 1;
            if depth == 8 {
                return (
                    format!("<Obj RefId=\"{id}\"><MS><S N=\"leaf\">x</S></MS></Obj>"),
                    id,
                );
            }
            let (inner, inner_id) = level(depth + 1, next_id);
            let mut props = inner.replacen("<Obj RefId", "<Obj N=\"p0\" RefId", 1);
            for i in 1..20 {
                props.push_str(&format!("<Ref N=\"p{i}\" RefId=\"{inner_id}\" />"));
            }
            (format!("<Obj RefId=\"{id}\"><MS>{props}</MS></Obj>"), id)
        }
        let (doc, _) = level(0, &mut 0);
        let v = crate::protocol::clixml::from_clixml(doc.as_bytes()).unwrap();
        let RemoteValue::Object { properties, .. } = remote_value(&v) else {
            panic!("an object");
        };
        assert_eq!(properties.len(), 20);
    }

    #[test]
    fn reconstructed_sessions_follow_powershell_rules() {
        let shell = ShellInfo {
            shell_id: "B6631D8E-65A0-49F2-9053-A1B156C95777".into(),
            name: Some("ITTask".into()),
            resource_uri: Some("http://schemas.microsoft.com/powershell/ITTasks".into()),
            state: Some(ShellState::Disconnected),
            idle_timeout_ms: Some(7_200_000),
            shell_inactivity_ms: Some(60_000),
            ..ShellInfo::default()
        };
        let now = Utc::now();
        let s = session_info(3, "Srv1", &shell, &[], None, None, now);
        assert_eq!(
            (s.state, s.availability),
            (SessionState::Disconnected, Availability::None)
        );
        assert_eq!(s.configuration_name, "ITTasks");
        assert_eq!(
            s.expires_on.unwrap() - s.disconnected_on.unwrap(),
            TimeDelta::hours(2)
        );
        let busy = ShellInfo {
            state: Some(ShellState::Connected),
            ..shell
        };
        assert_eq!(
            session_info(3, "Srv1", &busy, &[], None, None, now).availability,
            Availability::Busy
        );
    }
}
