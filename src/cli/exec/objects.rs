//! Objects as the console shows them: tables, lists, properties,
//! ConnectionInfo, and values for remote scripts.

use super::*;

impl Shell {
    pub(super) fn render(&self, objs: &[Obj], out: &mut dyn Write) {
        let mut text = String::new();
        let mut i = 0;
        while i < objs.len() {
            match &objs[i] {
                Obj::Session(_) => {
                    let mut rows = Vec::new();
                    while let Some(Obj::Session(s)) = objs.get(i) {
                        rows.push(session_row(s));
                        i += 1;
                    }
                    if self.json {
                        text.push_str(&format::sessions_json_lines(&rows));
                    } else {
                        text.push('\n');
                        text.push_str(&format::session_table(&rows));
                        text.push('\n');
                    }
                    continue;
                }
                Obj::Record(r) => {
                    if self.json {
                        text.push_str(&format::json_line(&typed_json(r)));
                    } else {
                        text.push('\n');
                        text.push_str(&format::format_list(r));
                        text.push('\n');
                    }
                }
                Obj::Options(o) => {
                    if self.json {
                        text.push_str(&format::json_line(&typed_json(&options_properties(o))));
                    } else {
                        text.push('\n');
                        text.push_str(&format::format_list(&options_properties(o)));
                        text.push('\n');
                    }
                }
                Obj::Text(s) => {
                    if self.json {
                        text.push_str(&format::json_line(s));
                    } else {
                        text.push_str(s);
                        text.push('\n');
                    }
                }
                Obj::Int(n) => {
                    if self.json {
                        text.push_str(&format::json_line(n));
                    } else {
                        text.push_str(&format!("{n}\n"));
                    }
                }
                Obj::Formatted(s) => text.push_str(s),
            }
            i += 1;
        }
        // Names, states and properties come from remote computers.
        let _ = out.write_all(format::terminal_safe(&text).as_bytes());
    }
}

/// Updates a known session with a fresher report, keeping what the report lacks.
pub(super) fn state_matches(f: SessionFilterState, s: SessionState) -> bool {
    match f {
        SessionFilterState::All => true,
        SessionFilterState::Opened => s == SessionState::Opened,
        SessionFilterState::Disconnected => s == SessionState::Disconnected,
        SessionFilterState::Closed => s == SessionState::Closed,
        SessionFilterState::Broken => s == SessionState::Broken,
    }
}

pub(super) fn session_row(s: &LocalSession) -> SessionRow {
    let i = &s.info;
    SessionRow {
        id: i32::try_from(i.id).unwrap_or(i32::MAX),
        name: i.name.clone(),
        instance_id: i.instance_id.to_string(),
        computer_name: i.computer_name.clone(),
        state: i.state.to_string(),
        configuration_name: i.configuration_name.clone(),
        availability: i.availability.to_string(),
        idle_timeout: Some(
            i.idle_timeout_ms
                .and_then(|v| i64::try_from(v).ok())
                .unwrap_or(-1),
        ),
        output_buffering_mode: Some(i.output_buffering_mode.to_string()),
        disconnected_on: i.disconnected_on.map(|d| d.to_rfc3339()),
        expires_on: i.expires_on.map(|d| d.to_rfc3339()),
        transport: Some("WSMan".into()),
    }
}

pub(super) fn connection_info(s: &LocalSession) -> Vec<(String, String)> {
    let spec = &s.computer.spec;
    let user = match &s.computer.credential {
        CredentialChoice::Implicit => String::new(),
        CredentialChoice::Saved { user, .. } => user.clone(),
        CredentialChoice::Once(c) => c.user.clone(),
    };
    vec![
        ("ConnectionUri".into(), spec.url()),
        ("ComputerName".into(), spec.computer_name.clone()),
        ("Scheme".into(), spec.scheme.clone()),
        ("Port".into(), spec.port.to_string()),
        ("AppName".into(), format!("/{}", spec.app_name)),
        ("Credential".into(), user),
        ("ShellUri".into(), spec.shell_uri()),
        (
            "AuthenticationMechanism".into(),
            spec.authentication.as_str().into(),
        ),
        (
            "CertificateThumbprint".into(),
            spec.certificate_thumbprint.clone().unwrap_or_default(),
        ),
        (
            "MaximumConnectionRedirectionCount".into(),
            spec.maximum_connection_redirection_count.to_string(),
        ),
        (
            "MaximumReceivedDataSizePerCommand".into(),
            spec.maximum_received_data_size_per_command
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        (
            "MaximumReceivedObjectSize".into(),
            spec.maximum_received_object_size
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("UseCompression".into(), tf(spec.use_compression)),
        ("NoMachineProfile".into(), tf(spec.no_machine_profile)),
        (
            "ProxyAccessType".into(),
            spec.proxy_access_type.as_str().into(),
        ),
        (
            "ProxyAuthentication".into(),
            spec.proxy_authentication.as_str().into(),
        ),
        (
            "ProxyCredential".into(),
            spec.proxy_user.clone().unwrap_or_default(),
        ),
        ("SkipCACheck".into(), tf(spec.skip_ca_check)),
        ("SkipCNCheck".into(), tf(spec.skip_cn_check)),
        ("SkipRevocationCheck".into(), tf(spec.skip_revocation_check)),
        ("NoEncryption".into(), tf(spec.no_encryption)),
        ("UseUTF16".into(), tf(spec.use_utf16)),
        (
            "OutputBufferingMode".into(),
            s.info.output_buffering_mode.to_string(),
        ),
        ("IncludePortInSPN".into(), tf(spec.include_port_in_spn)),
        ("Culture".into(), spec.culture.clone()),
        ("UICulture".into(), spec.ui_culture.clone()),
        ("OpenTimeout".into(), spec.open_timeout_ms.to_string()),
        ("CancelTimeout".into(), spec.cancel_timeout_ms.to_string()),
        (
            "OperationTimeout".into(),
            spec.operation_timeout_ms.to_string(),
        ),
        (
            "IdleTimeout".into(),
            s.info
                .idle_timeout_ms
                .map_or_else(|| "-1".into(), |v| v.to_string()),
        ),
    ]
}

/// A property bag as a JSON object, each value in JSON's type: `True` and
/// `False` as booleans, whole numbers as numbers, an empty value as null,
/// the rest as text (the names are PowerShell's, as the list view shows).
pub(super) fn typed_json(pairs: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value as J;
    pairs
        .iter()
        .map(|(k, v)| {
            let value = match v.as_str() {
                "" => J::Null,
                "True" => J::Bool(true),
                "False" => J::Bool(false),
                t => match t.parse::<i64>() {
                    Ok(n) if n.to_string() == t => J::from(n),
                    _ => J::String(t.to_owned()),
                },
            };
            (k.clone(), value)
        })
        .collect()
}

/// One property of an object (`$s.Name`, `$s.Runspace.ConnectionInfo.IdleTimeout`).
pub(super) fn property(o: &Obj, name: &str) -> Option<Obj> {
    let n = name.to_ascii_lowercase();
    match o {
        Obj::Session(s) => {
            let row = session_row(s);
            if n == "runspace" {
                let mut r = vec![
                    ("ConnectionInfo".into(), String::new()),
                    ("InstanceId".into(), row.instance_id.clone()),
                    ("RunspaceStateInfo".into(), row.state.clone()),
                    ("RunspaceAvailability".into(), row.availability.clone()),
                ];
                r.extend(
                    connection_info(s)
                        .into_iter()
                        .map(|(k, v)| (format!("ConnectionInfo.{k}"), v)),
                );
                return Some(Obj::Record(r));
            }
            if n == "connectioninfo" {
                return Some(Obj::Record(connection_info(s)));
            }
            if n == "id" {
                return Some(Obj::Int(i64::from(row.id)));
            }
            format::session_properties(&row)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v.parse::<i64>() {
                    Ok(i) if n == "idletimeout" => Obj::Int(i),
                    _ => Obj::Text(v),
                })
        }
        Obj::Record(r) => {
            if n == "connectioninfo" {
                let sub: Vec<(String, String)> = r
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("ConnectionInfo.")
                            .map(|k| (k.to_owned(), v.clone()))
                    })
                    .collect();
                if !sub.is_empty() {
                    return Some(Obj::Record(sub));
                }
            }
            r.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v.parse::<i64>() {
                    Ok(i) => Obj::Int(i),
                    Err(_) => Obj::Text(v.clone()),
                })
        }
        Obj::Options(opts) => options_properties(opts)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Obj::Text(v)),
        Obj::Text(s) if n == "length" => Some(Obj::Int(s.chars().count() as i64)),
        _ => None,
    }
}

/// An object as it travels to a remote pipeline (PIPELINE_INPUT): numbers
/// as Int32 when they fit, text as strings, property bags as
/// PSCustomObjects, anything else as its text.
pub(super) fn obj_to_ps(o: &Obj) -> ScriptValue {
    match o {
        Obj::Int(i) => ScriptValue::Int(*i),
        Obj::Text(s) | Obj::Formatted(s) => ScriptValue::String(s.clone()),
        Obj::Record(r) => ScriptValue::Record(r.clone()),
        other => ScriptValue::String(obj_text(other)),
    }
}

pub(super) fn obj_text(o: &Obj) -> String {
    match o {
        Obj::Text(s) | Obj::Formatted(s) => s.clone(),
        Obj::Int(i) => i.to_string(),
        Obj::Session(_) => "[PSSession]".into(),
        Obj::Options(_) => "System.Management.Automation.Remoting.PSSessionOption".into(),
        Obj::Record(r) => format!(
            "@{{{}}}",
            r.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

pub(super) fn obj_properties(o: &Obj) -> Vec<(String, String)> {
    match o {
        Obj::Session(s) => format::session_properties(&session_row(s)),
        Obj::Record(r) => r.clone(),
        Obj::Options(o) => options_properties(o),
        Obj::Text(s) => vec![("Length".into(), s.chars().count().to_string())],
        Obj::Int(_) | Obj::Formatted(_) => Vec::new(),
    }
}

pub(super) fn select(
    props: Vec<(String, String)>,
    wanted: Option<&[String]>,
) -> Vec<(String, String)> {
    match wanted {
        None => props,
        // In the order asked for, as Format-List and Format-Table show them;
        // a wildcard brings its matches in the object's own order, once.
        Some(w) => {
            let mut chosen: Vec<(String, String)> = Vec::new();
            for p in w {
                for (k, v) in &props {
                    if wildcard_match(p, k) && !chosen.iter().any(|(c, _)| c == k) {
                        chosen.push((k.clone(), v.clone()));
                    }
                }
            }
            chosen
        }
    }
}

pub(super) fn format_list_objs(input: &[Obj], property: Option<&[String]>) -> Vec<Obj> {
    let lists: Vec<Vec<(String, String)>> = input
        .iter()
        .map(|o| select(obj_properties(o), property))
        .collect();
    if lists.is_empty() {
        return Vec::new();
    }
    vec![Obj::Formatted(format!(
        "\n{}\n",
        format::format_list_many(&lists)
    ))]
}

pub(super) fn format_table_objs(input: &[Obj], property: Option<&[String]>) -> Vec<Obj> {
    if property.is_none() && input.iter().all(|o| matches!(o, Obj::Session(_))) {
        let rows: Vec<SessionRow> = input
            .iter()
            .filter_map(|o| match o {
                Obj::Session(s) => Some(session_row(s)),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return Vec::new();
        }
        return vec![Obj::Formatted(format!(
            "\n{}\n",
            format::session_table(&rows)
        ))];
    }
    let lists: Vec<Vec<(String, String)>> = input
        .iter()
        .map(|o| select(obj_properties(o), property))
        .collect();
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    let labels: Vec<String> = first.iter().map(|(k, _)| k.clone()).collect();
    let rows: Vec<Vec<String>> = lists
        .iter()
        .map(|l| l.iter().map(|(_, v)| v.clone()).collect())
        .collect();
    vec![Obj::Formatted(format!(
        "\n{}\n",
        plain_table(&labels, &rows)
    ))]
}

/// Format-Table for property bags: header, dashes, rows; columns sized to fit.
pub(super) fn plain_table(labels: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|v| v.chars().count())
                .chain(std::iter::once(l.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let mut s = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count())))
            })
            .collect::<Vec<_>>()
            .join(" ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(labels.to_vec());
    out.push_str(&line(
        labels
            .iter()
            .map(|l| "-".repeat(l.chars().count()))
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

pub(super) fn to_sessions(command: &str, objs: Vec<Obj>) -> Result<Vec<LocalSession>, CmdError> {
    let mut res = Vec::new();
    for o in objs {
        match o {
            Obj::Session(s) => res.push(*s),
            other => {
                return Err(bind_error(
                    command,
                    format!(
                        "Cannot bind parameter 'Session'. Cannot convert the \"{}\" value of type \"System.String\" to type \"System.Management.Automation.Runspaces.PSSession\".",
                        obj_text(&other)
                    ),
                ));
            }
        }
    }
    Ok(res)
}
