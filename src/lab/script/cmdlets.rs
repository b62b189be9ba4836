//! Command lookup, parameter binding and the cmdlets themselves.

use std::time::Duration;

use super::ast::{CmdArg, Command, FunctionDef, ParamDef};
use super::data::{self, FsEntry};
use super::interp::{Flow, Fut, R, Rt, Sink, Stage, format_op};
use super::value::{self, ScriptBlock, SecureText, Value};
use super::{ErrorCategory, ErrorInfo, HostCall, InformationRecord, JobEvent, ProgressRecord};

/// The cmdlets and native commands the lab knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    WriteOutput,
    WriteHost,
    WriteError,
    WriteWarning,
    WriteVerbose,
    WriteDebug,
    WriteInformation,
    WriteProgress,
    StartSleep,
    GetDate,
    ForEachObject,
    WhereObject,
    SelectObject,
    SortObject,
    MeasureObject,
    GetProcess,
    GetService,
    GetPSSessionConfiguration,
    ReadHost,
    ConvertToSecureString,
    ConvertFromSecureString,
    GetChildItem,
    NewItem,
    Mkdir,
    TestPath,
    GetContent,
    SetContent,
    AddContent,
    RemoveItem,
    GetLocation,
    SetLocation,
    GetVariable,
    SetVariable,
    OutNull,
    OutDefault,
    OutString,
    Hostname,
    Whoami,
    Invoke,
}

/// Cmdlet name (as PowerShell reports it), its class for error ids, and its kind.
const COMMANDS: &[(&str, &str, Kind)] = &[
    ("Write-Output", "WriteOutputCommand", Kind::WriteOutput),
    ("Write-Host", "WriteHostCommand", Kind::WriteHost),
    ("Write-Error", "WriteErrorCommand", Kind::WriteError),
    ("Write-Warning", "WriteWarningCommand", Kind::WriteWarning),
    ("Write-Verbose", "WriteVerboseCommand", Kind::WriteVerbose),
    ("Write-Debug", "WriteDebugCommand", Kind::WriteDebug),
    (
        "Write-Information",
        "WriteInformationCommand",
        Kind::WriteInformation,
    ),
    (
        "Write-Progress",
        "WriteProgressCommand",
        Kind::WriteProgress,
    ),
    ("Start-Sleep", "StartSleepCommand", Kind::StartSleep),
    ("Get-Date", "GetDateCommand", Kind::GetDate),
    (
        "ForEach-Object",
        "ForEachObjectCommand",
        Kind::ForEachObject,
    ),
    ("Where-Object", "WhereObjectCommand", Kind::WhereObject),
    ("Select-Object", "SelectObjectCommand", Kind::SelectObject),
    ("Sort-Object", "SortObjectCommand", Kind::SortObject),
    (
        "Measure-Object",
        "MeasureObjectCommand",
        Kind::MeasureObject,
    ),
    ("Get-Process", "GetProcessCommand", Kind::GetProcess),
    ("Get-Service", "GetServiceCommand", Kind::GetService),
    (
        "Get-PSSessionConfiguration",
        "GetPSSessionConfigurationCommand",
        Kind::GetPSSessionConfiguration,
    ),
    ("Read-Host", "ReadHostCommand", Kind::ReadHost),
    (
        "ConvertTo-SecureString",
        "ConvertToSecureStringCommand",
        Kind::ConvertToSecureString,
    ),
    (
        "ConvertFrom-SecureString",
        "ConvertFromSecureStringCommand",
        Kind::ConvertFromSecureString,
    ),
    ("Get-ChildItem", "GetChildItemCommand", Kind::GetChildItem),
    ("New-Item", "NewItemCommand", Kind::NewItem),
    ("mkdir", "NewItemCommand", Kind::Mkdir),
    ("Test-Path", "TestPathCommand", Kind::TestPath),
    ("Get-Content", "GetContentCommand", Kind::GetContent),
    ("Set-Content", "SetContentCommand", Kind::SetContent),
    ("Add-Content", "AddContentCommand", Kind::AddContent),
    ("Remove-Item", "RemoveItemCommand", Kind::RemoveItem),
    ("Get-Location", "GetLocationCommand", Kind::GetLocation),
    ("Set-Location", "SetLocationCommand", Kind::SetLocation),
    ("Get-Variable", "GetVariableCommand", Kind::GetVariable),
    ("Set-Variable", "SetVariableCommand", Kind::SetVariable),
    ("Out-Null", "OutNullCommand", Kind::OutNull),
    ("Out-Default", "OutDefaultCommand", Kind::OutDefault),
    ("Out-Host", "OutHostCommand", Kind::OutDefault),
    ("Out-String", "OutStringCommand", Kind::OutString),
    ("hostname", "", Kind::Hostname),
    ("whoami", "", Kind::Whoami),
];

const ALIASES: &[(&str, &str)] = &[
    ("echo", "Write-Output"),
    ("write", "Write-Output"),
    ("sleep", "Start-Sleep"),
    ("%", "ForEach-Object"),
    ("foreach", "ForEach-Object"),
    ("?", "Where-Object"),
    ("where", "Where-Object"),
    ("select", "Select-Object"),
    ("sort", "Sort-Object"),
    ("measure", "Measure-Object"),
    ("gps", "Get-Process"),
    ("ps", "Get-Process"),
    ("gsv", "Get-Service"),
    ("dir", "Get-ChildItem"),
    ("ls", "Get-ChildItem"),
    ("gci", "Get-ChildItem"),
    ("ni", "New-Item"),
    ("md", "mkdir"),
    ("gc", "Get-Content"),
    ("cat", "Get-Content"),
    ("type", "Get-Content"),
    ("sc", "Set-Content"),
    ("ac", "Add-Content"),
    ("rm", "Remove-Item"),
    ("del", "Remove-Item"),
    ("erase", "Remove-Item"),
    ("ri", "Remove-Item"),
    ("rmdir", "Remove-Item"),
    ("rd", "Remove-Item"),
    ("pwd", "Get-Location"),
    ("gl", "Get-Location"),
    ("cd", "Set-Location"),
    ("chdir", "Set-Location"),
    ("sl", "Set-Location"),
    ("gv", "Get-Variable"),
    ("set", "Set-Variable"),
    ("sv", "Set-Variable"),
    ("hostname.exe", "hostname"),
    ("whoami.exe", "whoami"),
];

/// A parameter of a command.
struct Spec {
    name: &'static str,
    aliases: &'static [&'static str],
    switch: bool,
    position: Option<u8>,
    /// Takes all remaining positional arguments (as an array).
    remaining: bool,
}

const fn p(name: &'static str, position: Option<u8>) -> Spec {
    Spec {
        name,
        aliases: &[],
        switch: false,
        position,
        remaining: false,
    }
}
const fn pa(name: &'static str, aliases: &'static [&'static str], position: Option<u8>) -> Spec {
    Spec {
        name,
        aliases,
        switch: false,
        position,
        remaining: false,
    }
}
const fn sw(name: &'static str) -> Spec {
    Spec {
        name,
        aliases: &[],
        switch: true,
        position: None,
        remaining: false,
    }
}
const fn rest(name: &'static str, aliases: &'static [&'static str]) -> Spec {
    Spec {
        name,
        aliases,
        switch: false,
        position: Some(0),
        remaining: true,
    }
}

const COMMON: &[Spec] = &[
    Spec {
        name: "Verbose",
        aliases: &["vb"],
        switch: true,
        position: None,
        remaining: false,
    },
    Spec {
        name: "Debug",
        aliases: &["db"],
        switch: true,
        position: None,
        remaining: false,
    },
    pa("ErrorAction", &["ea"], None),
    pa("WarningAction", &["wa"], None),
    pa("InformationAction", &["infa"], None),
    pa("ErrorVariable", &["ev"], None),
    pa("WarningVariable", &["wv"], None),
    pa("InformationVariable", &["iv"], None),
    pa("OutVariable", &["ov"], None),
    pa("OutBuffer", &["ob"], None),
    pa("PipelineVariable", &["pv"], None),
];

#[expect(clippy::too_many_lines, reason = "a table: every cmdlet's parameters")]
fn specs(kind: Kind) -> Vec<Spec> {
    match kind {
        Kind::WriteOutput => vec![rest("InputObject", &[]), sw("NoEnumerate")],
        Kind::WriteHost => vec![
            rest("Object", &["Msg", "Message"]),
            sw("NoNewline"),
            p("Separator", None),
            p("ForegroundColor", None),
            p("BackgroundColor", None),
        ],
        Kind::WriteError => vec![
            pa("Message", &["Msg"], Some(0)),
            p("Category", None),
            p("ErrorId", None),
            p("TargetObject", None),
            p("RecommendedAction", None),
            p("CategoryActivity", None),
            p("CategoryReason", None),
            p("CategoryTargetName", None),
            p("CategoryTargetType", None),
            p("Exception", None),
            p("ErrorRecord", None),
        ],
        Kind::WriteWarning | Kind::WriteVerbose | Kind::WriteDebug => {
            vec![pa("Message", &["Msg"], Some(0))]
        }
        Kind::WriteInformation => vec![
            pa("MessageData", &["Msg", "Message"], Some(0)),
            pa("Tags", &[], Some(1)),
        ],
        Kind::WriteProgress => vec![
            p("Activity", Some(0)),
            p("Status", Some(1)),
            p("Id", Some(2)),
            p("PercentComplete", None),
            p("SecondsRemaining", None),
            p("CurrentOperation", None),
            p("ParentId", None),
            sw("Completed"),
            p("SourceId", None),
        ],
        Kind::StartSleep => vec![
            pa("Seconds", &["s"], Some(0)),
            pa("Milliseconds", &["ms"], None),
        ],
        Kind::GetDate => vec![
            pa("Date", &["LastWriteTime"], Some(0)),
            p("Format", None),
            p("UFormat", None),
            p("DisplayHint", None),
        ],
        Kind::ForEachObject => vec![
            rest("Process", &[]),
            p("Begin", None),
            p("End", None),
            p("MemberName", None),
            p("InputObject", None),
            p("RemainingScripts", None),
        ],
        Kind::WhereObject => vec![
            p("FilterScript", None),
            p("Property", None),
            p("Value", Some(1)),
            p("InputObject", None),
            sw("EQ"),
            sw("NE"),
            sw("GT"),
            sw("LT"),
            sw("GE"),
            sw("LE"),
            sw("Like"),
            sw("NotLike"),
            sw("Match"),
            sw("NotMatch"),
            sw("Contains"),
            sw("NotContains"),
            sw("In"),
            sw("NotIn"),
            sw("CEQ"),
            sw("CNE"),
            sw("CLike"),
            sw("CMatch"),
            sw("Is"),
            sw("IsNot"),
            Spec {
                name: "Positional0",
                aliases: &[],
                switch: false,
                position: Some(0),
                remaining: false,
            },
        ],
        Kind::SelectObject => vec![
            p("Property", Some(0)),
            p("First", None),
            p("Last", None),
            p("Skip", None),
            p("ExpandProperty", None),
            sw("Unique"),
            p("ExcludeProperty", None),
            p("Index", None),
            p("InputObject", None),
        ],
        Kind::SortObject => vec![
            p("Property", Some(0)),
            sw("Descending"),
            sw("Unique"),
            sw("CaseSensitive"),
            p("InputObject", None),
        ],
        Kind::MeasureObject => vec![
            p("Property", Some(0)),
            sw("Sum"),
            sw("Average"),
            sw("Maximum"),
            sw("Minimum"),
            sw("Line"),
            sw("Word"),
            sw("Character"),
            p("InputObject", None),
        ],
        Kind::GetProcess => vec![
            pa("Name", &["ProcessName"], Some(0)),
            pa("Id", &["PID"], None),
            sw("IncludeUserName"),
            pa("ComputerName", &["Cn"], None),
        ],
        Kind::GetService => vec![
            pa("Name", &["ServiceName"], Some(0)),
            p("DisplayName", None),
            p("Exclude", None),
            p("Include", None),
            pa("ComputerName", &["Cn"], None),
        ],
        Kind::GetPSSessionConfiguration => vec![p("Name", Some(0)), sw("Force")],
        Kind::ReadHost => vec![p("Prompt", Some(0)), sw("AsSecureString")],
        Kind::ConvertToSecureString => vec![p("String", Some(0)), sw("AsPlainText"), sw("Force")],
        Kind::ConvertFromSecureString => vec![p("SecureString", Some(0)), sw("AsPlainText")],
        Kind::GetChildItem => vec![
            pa("Path", &["LiteralPath", "PSPath", "LP"], Some(0)),
            p("Filter", Some(1)),
            sw("Recurse"),
            sw("Force"),
            sw("Name"),
            sw("File"),
            sw("Directory"),
            p("Include", None),
            p("Exclude", None),
            p("Depth", None),
        ],
        Kind::NewItem | Kind::Mkdir => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            p("Name", None),
            pa("ItemType", &["Type"], None),
            pa("Value", &["Target"], None),
            sw("Force"),
        ],
        Kind::TestPath => vec![
            pa("Path", &["LiteralPath", "PSPath", "LP"], Some(0)),
            pa("PathType", &["Type"], None),
            sw("IsValid"),
        ],
        Kind::GetContent => vec![
            pa("Path", &["LiteralPath", "PSPath", "FullName"], Some(0)),
            pa("TotalCount", &["First", "Head"], None),
            pa("Tail", &["Last"], None),
            sw("Raw"),
            p("Encoding", None),
        ],
        Kind::SetContent | Kind::AddContent => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            p("Value", Some(1)),
            sw("Force"),
            p("Encoding", None),
            sw("NoNewline"),
            sw("PassThru"),
        ],
        Kind::RemoveItem => vec![
            pa("Path", &["LiteralPath", "PSPath", "FullName"], Some(0)),
            sw("Recurse"),
            sw("Force"),
            p("Filter", None),
        ],
        Kind::GetLocation => vec![],
        Kind::SetLocation => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            sw("PassThru"),
        ],
        Kind::GetVariable => vec![
            p("Name", Some(0)),
            sw("ValueOnly"),
            p("Scope", None),
            p("Exclude", None),
            p("Include", None),
        ],
        Kind::SetVariable => vec![
            p("Name", Some(0)),
            p("Value", Some(1)),
            p("Scope", None),
            sw("PassThru"),
            p("Option", None),
            p("Description", None),
        ],
        Kind::OutNull => vec![p("InputObject", None)],
        Kind::OutDefault => vec![p("InputObject", None), sw("Paging"), sw("Transcript")],
        Kind::OutString => vec![sw("Stream"), p("Width", None), p("InputObject", None)],
        Kind::Hostname | Kind::Whoami => vec![rest("Arguments", &[])],
        Kind::Invoke => vec![rest("Arguments", &[])],
    }
}

/// Bound parameters of one command.
pub(crate) struct Bound {
    values: Vec<(&'static str, Value)>,
}

impl Bound {
    fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(Value::is_true)
    }
    fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(Value::to_ps_string)
    }
    fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.clone()
                .into_items()
                .iter()
                .map(Value::to_ps_string)
                .collect()
        })
    }
}

/// The identity of a running command, for error records.
#[derive(Clone)]
pub(crate) struct CmdInfo {
    name: &'static str,
    class: &'static str,
    pos: (usize, usize),
}

impl CmdInfo {
    fn fqid(&self, id: &str) -> String {
        if self.class.is_empty() {
            id.to_string()
        } else {
            format!("{id},Microsoft.PowerShell.Commands.{}", self.class)
        }
    }

    fn error(
        &self,
        message: impl Into<String>,
        id: &str,
        category: ErrorCategory,
        exception: &str,
        target: Value,
    ) -> ErrorInfo {
        let mut e = ErrorInfo::new(message, self.fqid(id), category, exception);
        e.target = target;
        e.activity = self.name.to_string();
        e.command_name = Some(self.name.to_string());
        e.position = Some(self.pos);
        e
    }
}

fn lookup(name: &str) -> Option<(&'static str, &'static str, Kind)> {
    let resolved = ALIASES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(name))
        .map_or(name, |(_, t)| *t);
    let bare = resolved
        .strip_prefix("Microsoft.PowerShell.Utility\\")
        .or_else(|| resolved.strip_prefix("Microsoft.PowerShell.Management\\"))
        .or_else(|| resolved.strip_prefix("Microsoft.PowerShell.Core\\"))
        .unwrap_or(resolved);
    COMMANDS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(bare))
        .map(|(n, c, k)| (*n, *c, *k))
}

/// The error for an unknown command, exactly as PowerShell words it.
pub(crate) fn command_not_found(name: &str, pos: (usize, usize)) -> ErrorInfo {
    let mut e = ErrorInfo::new(
        format!(
            "The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
        ),
        "CommandNotFoundException",
        ErrorCategory::ObjectNotFound,
        "System.Management.Automation.CommandNotFoundException",
    );
    e.target = Value::str(name);
    e.position = Some(pos);
    e
}

enum Arg {
    Named(String, Option<Value>),
    Pos(Value),
}

fn bind(info: &CmdInfo, kind: Kind, args: Vec<Arg>) -> R<Bound> {
    let specs = specs(kind);
    let all: Vec<&Spec> = specs.iter().chain(COMMON.iter()).collect();
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    let mut positional: Vec<Value> = Vec::new();
    let mut it = args.into_iter().peekable();
    let binding_error = |msg: String, id: &str, target: Value| -> Flow {
        let mut e = info.error(
            msg,
            id,
            ErrorCategory::InvalidArgument,
            "System.Management.Automation.ParameterBindingException",
            target,
        );
        e.activity = info.name.to_string();
        Flow::error(e)
    };
    while let Some(a) = it.next() {
        match a {
            Arg::Pos(v) => positional.push(v),
            Arg::Named(name, colon_value) => {
                let exact: Vec<&&Spec> = all
                    .iter()
                    .filter(|s| {
                        s.name.eq_ignore_ascii_case(&name)
                            || s.aliases.iter().any(|x| x.eq_ignore_ascii_case(&name))
                    })
                    .collect();
                let matches: Vec<&&Spec> = if exact.is_empty() {
                    all.iter()
                        .filter(|s| {
                            s.name.len() >= name.len()
                                && s.name
                                    .get(..name.len())
                                    .is_some_and(|pfx| pfx.eq_ignore_ascii_case(&name))
                                && s.name != "Positional0"
                        })
                        .collect()
                } else {
                    exact
                };
                let spec = match matches.as_slice() {
                    [one] => **one,
                    [] => {
                        return Err(binding_error(
                            format!(
                                "A parameter cannot be found that matches parameter name '{name}'."
                            ),
                            "NamedParameterNotFound",
                            Value::Null,
                        ));
                    }
                    many => {
                        let list: Vec<String> =
                            many.iter().map(|s| format!("-{}", s.name)).collect();
                        return Err(binding_error(
                            format!(
                                "Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.",
                                list.join(" ")
                            ),
                            "AmbiguousParameter",
                            Value::Null,
                        ));
                    }
                };
                if values.iter().any(|(k, _)| *k == spec.name) {
                    return Err(binding_error(
                        format!(
                            "Cannot bind parameter because parameter '{}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\".",
                            spec.name
                        ),
                        "ParameterAlreadyBound",
                        Value::Null,
                    ));
                }
                let v = if spec.switch {
                    colon_value.map_or(Value::Bool(true), |v| Value::Bool(v.is_true()))
                } else if let Some(v) = colon_value {
                    v
                } else if matches!(it.peek(), Some(Arg::Pos(_))) {
                    match it.next() {
                        Some(Arg::Pos(v)) => v,
                        _ => Value::Null,
                    }
                } else {
                    return Err(binding_error(
                        format!(
                            "Missing an argument for parameter '{}'. Specify a parameter of type 'System.Object' and try again.",
                            spec.name
                        ),
                        "MissingArgument",
                        Value::Null,
                    ));
                };
                values.push((spec.name, v));
            }
        }
    }
    // Positional arguments, in position order, skipping bound parameters.
    let mut by_pos: Vec<&Spec> = specs.iter().filter(|s| s.position.is_some()).collect();
    by_pos.sort_by_key(|s| s.position);
    let mut queue = positional.into_iter();
    for spec in by_pos {
        if values.iter().any(|(k, _)| *k == spec.name) {
            continue;
        }
        if spec.remaining {
            let restv: Vec<Value> = queue.by_ref().collect();
            match restv.len() {
                0 => {}
                1 => values.push((spec.name, restv.into_iter().next().unwrap_or(Value::Null))),
                _ => values.push((spec.name, Value::Array(restv))),
            }
            continue;
        }
        match queue.next() {
            Some(v) => values.push((spec.name, v)),
            None => break,
        }
    }
    if let Some(extra) = queue.next() {
        return Err(binding_error(
            format!(
                "A positional parameter cannot be found that accepts argument '{}'.",
                extra.to_ps_string()
            ),
            "PositionalParameterNotFound",
            extra,
        ));
    }
    Ok(Bound { values })
}

/// Builds the stage for a command: looks it up, evaluates and binds its arguments.
pub(crate) async fn build(rt: &Rt, c: &Command) -> R<Box<dyn Stage>> {
    let pos = (c.pos.line, c.pos.column);
    let mut args = Vec::new();
    for a in &c.args {
        match a {
            CmdArg::Param { name, value } => {
                let v = match value {
                    Some(e) => Some(rt.eval(e).await?),
                    None => None,
                };
                args.push(Arg::Named(name.clone(), v));
            }
            CmdArg::Value(e) => args.push(Arg::Pos(rt.eval(e).await?)),
        }
    }
    let (name, class, kind) = if c.name == "&" || c.name == "." {
        let target = match args.first() {
            Some(Arg::Pos(v)) => v.clone(),
            _ => Value::Null,
        };
        match target {
            Value::ScriptBlock(sb) => {
                args.remove(0);
                let ast = match &sb.ast {
                    Some(a) => a.clone(),
                    None => std::sync::Arc::new(
                        super::parser::parse_script(&sb.text)
                            .map_err(|e| Flow::error(ErrorInfo::from_parse_error(&e)))?,
                    ),
                };
                if !ast.params.is_empty() || ast.has_named_blocks() {
                    // `& { param($a, $b) … } 1 2`: its arguments bind to the
                    // param block as a function's do, in a scope of its own.
                    let def = std::sync::Arc::new(FunctionDef {
                        name: String::new(),
                        params: ast.params.clone(),
                        body: (*ast).clone(),
                    });
                    let locals = bind_function(&def, args, pos)?;
                    return Ok(Box::new(FunctionStage {
                        token: rt.next_token(),
                        def,
                        locals,
                        input: Vec::new(),
                        first: false,
                    }));
                }
                let info = CmdInfo {
                    name: "",
                    class: "",
                    pos,
                };
                let rest: Vec<Value> = args
                    .into_iter()
                    .map(|a| match a {
                        Arg::Pos(v) => v,
                        Arg::Named(n, _) => Value::str(format!("-{n}")),
                    })
                    .collect();
                return Ok(Box::new(Cmdlet::new(
                    rt,
                    info,
                    Kind::Invoke,
                    Bound {
                        values: vec![("Arguments", Value::Array(rest))],
                    },
                    State::Invoke {
                        block: sb,
                        input: Vec::new(),
                        ran: false,
                    },
                )));
            }
            other => {
                let name = other.to_ps_string();
                args.remove(0);
                match lookup(&name) {
                    Some(x) => x,
                    None => return Err(Flow::error(command_not_found(&name, pos))),
                }
            }
        }
    } else {
        let func = {
            let sess = rt.session();
            sess.functions
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&c.name))
                .cloned()
        };
        if let Some(def) = func {
            let locals = bind_function(&def, args, pos)?;
            return Ok(Box::new(FunctionStage {
                token: rt.next_token(),
                def,
                locals,
                input: Vec::new(),
                first: false,
            }));
        }
        match lookup(&c.name) {
            Some(x) => x,
            None => return Err(Flow::error(command_not_found(&c.name, pos))),
        }
    };
    let info = CmdInfo { name, class, pos };
    let bound = bind(&info, kind, args)?;
    let state = init_state(rt, &info, kind, &bound)?;
    Ok(Box::new(Cmdlet::new(rt, info, kind, bound, state)))
}

/// Binds a function call's arguments to its parameters (unbound ones get their defaults
/// when the function starts). Extra positional arguments go to `$args`.
fn bind_function(
    def: &FunctionDef,
    args: Vec<Arg>,
    pos: (usize, usize),
) -> R<Vec<(String, Value)>> {
    let err = |msg: String, id: &str| -> Flow {
        let mut e = ErrorInfo::new(
            msg,
            format!("{id},{}", def.name),
            ErrorCategory::InvalidArgument,
            "System.Management.Automation.ParameterBindingException",
        );
        e.activity = def.name.clone();
        e.command_name = Some(def.name.clone());
        e.position = Some(pos);
        Flow::error(e)
    };
    let mut locals: Vec<(String, Value)> = Vec::new();
    let mut positional = Vec::new();
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        match a {
            Arg::Pos(v) => positional.push(v),
            Arg::Named(name, colon) => {
                let exact: Vec<&ParamDef> = def
                    .params
                    .iter()
                    .filter(|p| p.name.eq_ignore_ascii_case(&name))
                    .collect();
                let matches: Vec<&ParamDef> = if exact.is_empty() {
                    def.params
                        .iter()
                        .filter(|p| {
                            p.name.len() >= name.len()
                                && p.name
                                    .get(..name.len())
                                    .is_some_and(|x| x.eq_ignore_ascii_case(&name))
                        })
                        .collect()
                } else {
                    exact
                };
                let p = match matches.as_slice() {
                    [one] => *one,
                    [] => {
                        if COMMON.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
                            if !COMMON
                                .iter()
                                .any(|c| c.switch && c.name.eq_ignore_ascii_case(&name))
                                && colon.is_none()
                            {
                                it.next();
                            }
                            continue;
                        }
                        return Err(err(
                            format!(
                                "A parameter cannot be found that matches parameter name '{name}'."
                            ),
                            "NamedParameterNotFound",
                        ));
                    }
                    many => {
                        let list: Vec<String> =
                            many.iter().map(|p| format!("-{}", p.name)).collect();
                        return Err(err(
                            format!(
                                "Parameter cannot be processed because the parameter name '{name}' is ambiguous. Possible matches include: {}.",
                                list.join(" ")
                            ),
                            "AmbiguousParameter",
                        ));
                    }
                };
                let v = if p.is_switch() {
                    colon.map_or(Value::Bool(true), |v| Value::Bool(v.is_true()))
                } else if let Some(v) = colon {
                    v
                } else if matches!(it.peek(), Some(Arg::Pos(_))) {
                    match it.next() {
                        Some(Arg::Pos(v)) => v,
                        _ => Value::Null,
                    }
                } else {
                    return Err(err(
                        format!(
                            "Missing an argument for parameter '{}'. Specify a parameter of type '{}' and try again.",
                            p.name,
                            p.ty.clone().unwrap_or_else(|| "System.Object".into())
                        ),
                        "MissingArgument",
                    ));
                };
                locals.push((p.name.clone(), v));
            }
        }
    }
    let mut extra = Vec::new();
    let mut queue = positional.into_iter();
    for p in &def.params {
        if p.is_switch() || locals.iter().any(|(k, _)| k.eq_ignore_ascii_case(&p.name)) {
            continue;
        }
        match queue.next() {
            Some(v) => locals.push((p.name.clone(), v)),
            None => break,
        }
    }
    extra.extend(queue);
    // Typed parameters convert their arguments.
    for (k, v) in &mut locals {
        if let Some(ty) = def
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(k))
            .and_then(|p| p.ty.clone())
        {
            if def
                .params
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(k) && p.is_switch())
            {
                continue;
            }
            match super::interp::cast(v, &ty) {
                Ok(c) => *v = c,
                Err(e) if e.fully_qualified_error_id == "TypeNotFound" => {}
                Err(e) => {
                    return Err(err(
                        format!(
                            "Cannot process argument transformation on parameter '{k}'. {}",
                            e.message
                        ),
                        "ParameterArgumentTransformationError",
                    ));
                }
            }
        }
    }
    locals.push(("args".into(), Value::Array(extra)));
    Ok(locals)
}

/// A call to a script function: collects pipeline input (`$input`), runs the body at the end.
struct FunctionStage {
    token: u64,
    def: std::sync::Arc<FunctionDef>,
    locals: Vec<(String, Value)>,
    input: Vec<Value>,
    /// First in its pipeline (nothing flows into it).
    first: bool,
}

impl Stage for FunctionStage {
    fn token(&self) -> u64 {
        self.token
    }

    fn process<'a>(
        &'a mut self,
        rt: &'a Rt,
        input: Option<Value>,
        _out: &'a mut dyn Sink,
    ) -> Fut<'a, R<()>> {
        Box::pin(async move {
            match input {
                Some(v) => {
                    if self.input.len() >= super::interp::MAX_ARRAY {
                        return Err(Flow::error(rt.too_large()));
                    }
                    self.input.push(v);
                }
                None => self.first = true,
            }
            Ok(())
        })
    }

    fn end<'a>(&'a mut self, rt: &'a Rt, out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async move {
            let mut locals = std::mem::take(&mut self.locals);
            let items = std::mem::take(&mut self.input);
            locals.push(("input".into(), Value::Array(items.clone())));
            let def = self.def.clone();
            let items = (!self.first).then_some(items);
            rt.call_function(&def, locals, items, out).await
        })
    }
}

/// Per-command running state.
enum State {
    None,
    ForEach {
        begin: Option<ScriptBlock>,
        process: Vec<ScriptBlock>,
        end: Option<ScriptBlock>,
        member: Option<String>,
    },
    Where {
        filter: Option<ScriptBlock>,
        property: Option<String>,
        op: Option<&'static str>,
        value: Value,
    },
    Select {
        seen: usize,
        skipped: usize,
        last: std::collections::VecDeque<Value>,
        uniq: Vec<Value>,
    },
    Buffer(Vec<Value>),
    Measure {
        count: i64,
        values: Vec<f64>,
        missing_prop: bool,
    },
    /// `& { … }`: a script block run as a command. Without named blocks its
    /// body is an end block: with upstream input it runs once, at the end,
    /// with `$input` holding what came in; first in a pipeline it runs at once.
    Invoke {
        block: ScriptBlock,
        input: Vec<Value>,
        ran: bool,
    },
    Content(Vec<String>),
}

fn as_block(v: &Value) -> Option<ScriptBlock> {
    match v {
        Value::ScriptBlock(sb) => Some(sb.clone()),
        _ => None,
    }
}

const WHERE_OPS: &[&str] = &[
    "EQ",
    "NE",
    "GT",
    "LT",
    "GE",
    "LE",
    "Like",
    "NotLike",
    "Match",
    "NotMatch",
    "Contains",
    "NotContains",
    "In",
    "NotIn",
    "CEQ",
    "CNE",
    "CLike",
    "CMatch",
    "Is",
    "IsNot",
];

fn init_state(_rt: &Rt, info: &CmdInfo, kind: Kind, b: &Bound) -> R<State> {
    Ok(match kind {
        Kind::ForEachObject => {
            let mut blocks: Vec<ScriptBlock> = Vec::new();
            let mut member = None;
            if let Some(v) = b.get("Process") {
                for item in v.clone().into_items() {
                    match as_block(&item) {
                        Some(sb) => blocks.push(sb),
                        None => {
                            if blocks.is_empty() && member.is_none() {
                                member = Some(item.to_ps_string());
                            }
                        }
                    }
                }
            }
            if let Some(m) = b.string("MemberName") {
                member = Some(m);
            }
            let mut begin = b.get("Begin").and_then(as_block);
            let mut end = b.get("End").and_then(as_block);
            let process = if blocks.len() >= 2 && begin.is_none() && end.is_none() {
                // { begin } { process } [{ end }]
                let mut it = blocks.into_iter();
                begin = it.next();
                let mut restb: Vec<ScriptBlock> = it.collect();
                if restb.len() >= 2 {
                    end = restb.pop();
                }
                restb
            } else {
                blocks
            };
            State::ForEach {
                begin,
                process,
                end,
                member,
            }
        }
        Kind::WhereObject => {
            let op = WHERE_OPS.iter().copied().find(|o| b.flag(o));
            let p0 = b.get("Positional0").cloned();
            let filter = b
                .get("FilterScript")
                .and_then(as_block)
                .or_else(|| p0.as_ref().and_then(as_block));
            let property = b.string("Property").or_else(|| {
                if filter.is_none() {
                    p0.as_ref().map(Value::to_ps_string)
                } else {
                    None
                }
            });
            if filter.is_none() && property.is_none() {
                return Err(Flow::error(info.error(
                    "Cannot process command because of one or more missing mandatory parameters: FilterScript.",
                    "MissingMandatoryParameter",
                    ErrorCategory::InvalidArgument,
                    "System.Management.Automation.ParameterBindingException",
                    Value::Null,
                )));
            }
            let value = match b.get("Value") {
                Some(v) => v.clone(),
                None if b.get("Property").is_some() && filter.is_none() => {
                    p0.clone().unwrap_or(Value::Bool(true))
                }
                None => Value::Bool(true),
            };
            State::Where {
                filter,
                property,
                op,
                value,
            }
        }
        Kind::SelectObject => State::Select {
            seen: 0,
            skipped: 0,
            last: Default::default(),
            uniq: Vec::new(),
        },
        Kind::SortObject | Kind::OutString => State::Buffer(Vec::new()),
        Kind::MeasureObject => State::Measure {
            count: 0,
            values: Vec::new(),
            missing_prop: false,
        },
        Kind::SetContent | Kind::AddContent => State::Content(Vec::new()),
        _ => State::None,
    })
}

struct Cmdlet {
    token: u64,
    info: CmdInfo,
    kind: Kind,
    b: Bound,
    state: State,
    verbose: bool,
    debug: bool,
    error_action: Option<String>,
    warning_action: Option<String>,
    information_action: Option<String>,
}

impl Cmdlet {
    fn new(rt: &Rt, info: CmdInfo, kind: Kind, b: Bound, state: State) -> Cmdlet {
        let verbose = match b.get("Verbose") {
            Some(v) => v.is_true(),
            None => rt.preference("VerbosePreference") == "continue",
        };
        let debug = match b.get("Debug") {
            Some(v) => v.is_true(),
            None => matches!(
                rt.preference("DebugPreference").as_str(),
                "continue" | "inquire"
            ),
        };
        let error_action = b.string("ErrorAction");
        let warning_action = b.string("WarningAction");
        let information_action = b.string("InformationAction");
        Cmdlet {
            token: rt.next_token(),
            info,
            kind,
            b,
            state,
            verbose,
            debug,
            error_action,
            warning_action,
            information_action,
        }
    }

    async fn error(&self, rt: &Rt, e: ErrorInfo) -> R<()> {
        rt.write_error(e, self.error_action.as_deref()).await
    }

    fn stop_upstream(&self) -> Flow {
        Flow::StopUpstream(self.token)
    }
}

impl Stage for Cmdlet {
    fn token(&self) -> u64 {
        self.token
    }

    fn begin<'a>(&'a mut self, rt: &'a Rt, out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async move {
            if let State::ForEach {
                begin: Some(sb), ..
            } = &self.state
            {
                let sb = sb.clone();
                rt.invoke_block(&sb, None, out).await?;
            }
            Ok(())
        })
    }

    fn process<'a>(
        &'a mut self,
        rt: &'a Rt,
        input: Option<Value>,
        out: &'a mut dyn Sink,
    ) -> Fut<'a, R<()>> {
        match self.kind {
            Kind::ForEachObject | Kind::WhereObject | Kind::Invoke => {
                Box::pin(self.process_blocks(rt, input, out))
            }
            _ => Box::pin(self.process_impl(rt, input, out)),
        }
    }

    fn end<'a>(&'a mut self, rt: &'a Rt, out: &'a mut dyn Sink) -> Fut<'a, R<()>> {
        Box::pin(async move { self.end_impl(rt, out).await })
    }
}

fn info_record(rt: &Rt, message_data: Value, tags: Vec<String>, source: &str) -> InformationRecord {
    InformationRecord {
        message_data,
        tags,
        source: source.to_string(),
        time_generated: rt.wall_clock(),
        user: format!("{}\\{}", rt.ctx.user_domain, rt.ctx.user_name),
        computer: rt.ctx.computer_name.clone(),
        process_id: rt.ctx.process_id,
    }
}

fn prop_of(v: &Value, name: &str) -> Value {
    v.property(name).unwrap_or(Value::Null)
}

/// A property selector: a name (wildcards allowed) or a calculated property.
enum Selector {
    Name(String),
    Calc(String, Option<ScriptBlock>, String),
}

fn selectors(v: Option<&Value>) -> Vec<Selector> {
    let Some(v) = v else { return Vec::new() };
    v.clone()
        .into_items()
        .into_iter()
        .map(|item| match &item {
            Value::Hashtable(entries) => {
                let get = |keys: &[&str]| {
                    entries
                        .iter()
                        .find(|(k, _)| keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
                        .map(|(_, v)| v.clone())
                };
                let expr = get(&["Expression", "E"]);
                let name = get(&["Name", "N", "Label", "L"]).map_or_else(
                    || expr.as_ref().map(Value::to_ps_string).unwrap_or_default(),
                    |n| n.to_ps_string(),
                );
                match expr {
                    Some(Value::ScriptBlock(sb)) => Selector::Calc(name, Some(sb), String::new()),
                    Some(other) => Selector::Calc(name, None, other.to_ps_string()),
                    None => Selector::Calc(name, None, String::new()),
                }
            }
            Value::ScriptBlock(sb) => {
                Selector::Calc(sb.text.trim().to_string(), Some(sb.clone()), String::new())
            }
            other => Selector::Name(other.to_ps_string()),
        })
        .collect()
}

async fn select_value(rt: &Rt, sel: &Selector, item: &Value) -> R<Value> {
    match sel {
        Selector::Name(n) => Ok(prop_of(item, n)),
        Selector::Calc(_, Some(sb), _) => rt.invoke_block_value(sb, Some(item.clone())).await,
        Selector::Calc(_, None, prop) => Ok(prop_of(item, prop)),
    }
}

fn property_names(v: &Value) -> Vec<String> {
    match v {
        Value::Object { props, .. } => props.iter().map(|(k, _)| k.clone()).collect(),
        Value::Hashtable(_) => vec!["Keys".into(), "Values".into(), "Count".into()],
        Value::String(_) => vec!["Length".into()],
        _ => Vec::new(),
    }
}

fn sort_key_cmp(a: &[Value], b: &[Value], descending: bool, case: bool) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = value::compare(x, y, case).unwrap_or(std::cmp::Ordering::Equal);
        if o != std::cmp::Ordering::Equal {
            return if descending { o.reverse() } else { o };
        }
    }
    std::cmp::Ordering::Equal
}

impl Cmdlet {
    /// `ConvertTo-SecureString -AsPlainText` and `ConvertFrom-SecureString
    /// -AsPlainText` (PowerShell 7). The DPAPI forms, which need the
    /// computer's user keys, are refused with the error Windows gives when
    /// the text is not such a string.
    async fn secure_string(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        let to = self.kind == Kind::ConvertToSecureString;
        let name = if to { "String" } else { "SecureString" };
        let Some(v) = self.b.get(name).cloned().or(input) else {
            return Ok(());
        };
        if !self.b.flag("AsPlainText") {
            return Err(Flow::error(self.info.error(
                "The lab keeps no DPAPI keys: use -AsPlainText.",
                "ImportSecureString",
                ErrorCategory::InvalidArgument,
                "System.Security.Cryptography.CryptographicException",
                Value::Null,
            )));
        }
        let result = match (to, v) {
            (true, v) => Value::SecureString(SecureText::new(v.to_ps_string())),
            (false, Value::SecureString(t)) => Value::String(t.reveal().to_owned()),
            (false, other) => {
                return Err(Flow::error(self.info.error(
                    format!(
                        "Cannot bind parameter 'SecureString'. Cannot convert the \"{}\" value of type \"{}\" to type \"System.Security.SecureString\".",
                        other.to_ps_string(),
                        other.type_name()
                    ),
                    "CannotConvertArgumentNoMessage",
                    ErrorCategory::InvalidArgument,
                    "System.Management.Automation.ParameterBindingException",
                    other,
                )));
            }
        };
        out.write(rt, result).await
    }

    async fn process_impl(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        rt.tick().await;
        match self.kind {
            Kind::WriteOutput => {
                match (self.b.get("InputObject").cloned(), input) {
                    (Some(v), _) => {
                        if self.b.flag("NoEnumerate") {
                            out.write(rt, v).await?;
                        } else {
                            for item in v.into_items() {
                                out.write(rt, item).await?;
                            }
                        }
                    }
                    (None, Some(v)) => out.write(rt, v).await?,
                    (None, None) => {}
                }
                Ok(())
            }
            Kind::WriteHost => self.process_write_host(rt, input).await,
            Kind::WriteError => self.process_write_error(rt, input).await,
            Kind::WriteWarning | Kind::WriteVerbose | Kind::WriteDebug => {
                self.process_write_warning(rt, input).await
            }
            Kind::WriteInformation => self.process_write_information(rt, input).await,
            Kind::WriteProgress => self.process_write_progress(rt).await,
            Kind::StartSleep => self.process_start_sleep(rt, input).await,
            Kind::GetDate => self.process_get_date(rt, input, out).await,
            Kind::ForEachObject | Kind::WhereObject | Kind::Invoke => {
                Box::pin(self.process_blocks(rt, input, out)).await
            }
            Kind::SelectObject => self.select_process(rt, input, out).await,
            Kind::SortObject | Kind::OutString => {
                if let (State::Buffer(buf), Some(v)) = (&mut self.state, input) {
                    if buf.len() >= super::interp::MAX_ARRAY {
                        return Err(Flow::error(rt.too_large()));
                    }
                    buf.push(v);
                }
                Ok(())
            }
            Kind::MeasureObject => self.process_measure_object(input).await,
            Kind::GetProcess => self.get_process(rt, out).await,
            Kind::GetService => self.get_service(rt, out).await,
            Kind::GetPSSessionConfiguration => {
                self.process_get_p_s_session_configuration(rt, out).await
            }
            Kind::ReadHost => self.process_read_host(rt, out).await,
            Kind::ConvertToSecureString | Kind::ConvertFromSecureString => {
                self.secure_string(rt, input, out).await
            }
            Kind::GetChildItem => self.get_child_item(rt, input, out).await,
            Kind::NewItem | Kind::Mkdir => self.new_item(rt, input, out).await,
            Kind::TestPath => self.process_test_path(rt, input, out).await,
            Kind::GetContent => self.process_get_content(rt, input, out).await,
            Kind::SetContent | Kind::AddContent => {
                if let (State::Content(buf), Some(v)) = (&mut self.state, input)
                    && buf.len() < super::interp::MAX_ARRAY
                {
                    buf.push(v.to_ps_string());
                }
                Ok(())
            }
            Kind::RemoveItem => self.process_remove_item(rt, input).await,
            Kind::GetLocation => {
                let v = rt.get_var("PWD");
                out.write(rt, v).await
            }
            Kind::SetLocation => self.process_set_location(rt, input, out).await,
            Kind::GetVariable => self.process_get_variable(rt, out).await,
            Kind::SetVariable => self.process_set_variable(rt, input, out).await,
            Kind::OutNull => Ok(()),
            // The lab leaves formatting to the client: objects pass through unchanged.
            Kind::OutDefault => match input {
                Some(v) => out.write(rt, v).await,
                None => Ok(()),
            },
            Kind::Hostname => {
                out.write(rt, Value::String(rt.ctx.computer_name.to_ascii_uppercase()))
                    .await
            }
            Kind::Whoami => {
                out.write(
                    rt,
                    Value::String(
                        format!("{}\\{}", rt.ctx.user_domain, rt.ctx.user_name).to_lowercase(),
                    ),
                )
                .await
            }
        }
    }

    /// What WriteHost does with each input object.
    async fn process_write_host(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let obj = self
            .b
            .get("Object")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        let sep = self.b.string("Separator").unwrap_or_else(|| " ".into());
        let message = match &obj {
            Value::Array(items) => items
                .iter()
                .map(Value::to_ps_string)
                .collect::<Vec<_>>()
                .join(&sep),
            other => other.to_ps_string(),
        };
        if self
            .information_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Ignore"))
        {
            return Ok(());
        }
        let color = |name: &str| -> Value {
            match self.b.string(name) {
                Some(c) => Value::enumeration("System.ConsoleColor", &c, console_color(&c)),
                None => Value::Null,
            }
        };
        let data = Value::Object {
            type_names: vec![
                "System.Management.Automation.HostInformationMessage".into(),
                "System.Object".into(),
            ],
            props: vec![
                ("Message".into(), Value::str(message.clone())),
                ("ForegroundColor".into(), color("ForegroundColor")),
                ("BackgroundColor".into(), color("BackgroundColor")),
                ("NoNewLine".into(), Value::Bool(self.b.flag("NoNewline"))),
            ],
            to_string: Some(message),
        };
        let rec = info_record(rt, data, vec!["PSHOST".into()], "Write-Host");
        rt.emit(JobEvent::Information(rec)).await;
        Ok(())
    }

    /// What WriteError does with each input object.
    async fn process_write_error(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let message = self
            .b
            .string("Message")
            .or_else(|| input.as_ref().map(Value::to_ps_string))
            .unwrap_or_default();
        let category = self
            .b
            .string("Category")
            .and_then(|c| ErrorCategory::from_name(&c))
            .unwrap_or(ErrorCategory::NotSpecified);
        let id = self
            .b
            .string("ErrorId")
            .unwrap_or_else(|| "Microsoft.PowerShell.Commands.WriteErrorException".into());
        let mut e = ErrorInfo::new(
            message,
            id,
            category,
            "Microsoft.PowerShell.Commands.WriteErrorException",
        );
        e.target = self.b.get("TargetObject").cloned().unwrap_or(Value::Null);
        e.activity = self
            .b
            .string("CategoryActivity")
            .unwrap_or_else(|| "Write-Error".into());
        e.command_name = Some("Write-Error".into());
        e.position = Some(self.info.pos);
        self.error(rt, e).await
    }

    /// What WriteWarning, WriteVerbose, WriteDebug do with each input object.
    async fn process_write_warning(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let message = self
            .b
            .string("Message")
            .or_else(|| input.as_ref().map(Value::to_ps_string))
            .unwrap_or_default();
        match self.kind {
            Kind::WriteWarning => {
                let pref = match &self.warning_action {
                    Some(a) => a.to_ascii_lowercase(),
                    None => rt.preference("WarningPreference"),
                };
                match pref.as_str() {
                    "silentlycontinue" | "ignore" => {}
                    "stop" => {
                        let e = self.info.error(
                            format!("The running command stopped because the preference variable \"WarningPreference\" or common parameter is set to Stop: {message}"),
                            "ActionPreferenceStop",
                            ErrorCategory::OperationStopped,
                            "System.Management.Automation.ActionPreferenceStopException",
                            Value::Null,
                        );
                        rt.emit(JobEvent::Warning(message)).await;
                        return Err(Flow::Terminate(Box::new(e)));
                    }
                    _ => rt.emit(JobEvent::Warning(message)).await,
                }
            }
            Kind::WriteVerbose => {
                if self.verbose {
                    rt.emit(JobEvent::Verbose(message)).await;
                }
            }
            _ => {
                if self.debug {
                    rt.emit(JobEvent::Debug(message)).await;
                }
            }
        }
        Ok(())
    }

    /// What WriteInformation does with each input object.
    async fn process_write_information(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let data = self
            .b
            .get("MessageData")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        if self
            .information_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Ignore"))
        {
            return Ok(());
        }
        let tags = self.b.strings("Tags").unwrap_or_default();
        let rec = info_record(rt, data, tags, "Write-Information");
        rt.emit(JobEvent::Information(rec)).await;
        Ok(())
    }

    /// What WriteProgress does with each input object.
    async fn process_write_progress(&mut self, rt: &Rt) -> R<()> {
        if rt.preference("ProgressPreference") == "silentlycontinue"
            || rt.preference("ProgressPreference") == "ignore"
        {
            return Ok(());
        }
        let Some(activity) = self.b.string("Activity").or_else(|| {
            if self.b.flag("Completed") {
                Some(String::new())
            } else {
                None
            }
        }) else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Activity.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        let int = |name: &str, default: i32| -> i32 {
            self.b
                .get(name)
                .and_then(Value::to_int)
                .and_then(|i| i32::try_from(i).ok())
                .unwrap_or(default)
        };
        let percent = int("PercentComplete", -1);
        if !(-1..=100).contains(&percent) {
            return Err(Flow::error(self.info.error(
                format!("Cannot validate argument on parameter 'PercentComplete'. The {percent} argument is greater than the maximum allowed range of 100. Supply an argument that is less than or equal to 100 and then try the command again."),
                "ParameterArgumentValidationError",
                ErrorCategory::InvalidData,
                "System.Management.Automation.ParameterBindingValidationException",
                Value::Null,
            )));
        }
        let rec = ProgressRecord {
            activity,
            status: self
                .b
                .string("Status")
                .unwrap_or_else(|| "Processing".into()),
            percent,
            activity_id: int("Id", 0),
            parent_id: int("ParentId", -1),
            completed: self.b.flag("Completed"),
            current_operation: self.b.string("CurrentOperation"),
            seconds_remaining: int("SecondsRemaining", -1),
        };
        rt.emit(JobEvent::Progress(rec)).await;
        Ok(())
    }

    /// What StartSleep does with each input object.
    async fn process_start_sleep(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let ms: f64 = if let Some(v) = self.b.get("Milliseconds") {
            v.to_f64()
                .ok_or_else(|| Flow::error(super::interp::invalid_cast(v, "System.Int32")))?
        } else if let Some(v) = self.b.get("Seconds").cloned().or(input) {
            v.to_f64()
                .ok_or_else(|| Flow::error(super::interp::invalid_cast(&v, "System.Double")))?
                * 1000.0
        } else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Seconds.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        if ms < 0.0 || !ms.is_finite() {
            return Err(Flow::error(self.info.error(
                format!("Cannot validate argument on parameter 'Seconds'. The {} argument is less than the minimum allowed range of 0. Supply an argument that is greater than or equal to 0 and then try the command again.", value::format_double(ms / 1000.0)),
                "ParameterArgumentValidationError",
                ErrorCategory::InvalidData,
                "System.Management.Automation.ParameterBindingValidationException",
                Value::Null,
            )));
        }
        let ms = ms.min(1e12);
        rt.sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
        Ok(())
    }

    /// What GetDate does with each input object.
    async fn process_get_date(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let date = match self.b.get("Date").cloned().or(input) {
            Some(Value::DateTime(d)) => d,
            Some(other) => match value::parse_date(&other.to_ps_string(), rt.ctx.clock.offset()) {
                Some(d) => d,
                None => {
                    return Err(Flow::error(self.info.error(
                        format!("Cannot bind parameter 'Date'. Cannot convert value \"{}\" to type \"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"", other.to_ps_string()),
                        "CannotConvertArgumentNoMessage",
                        ErrorCategory::InvalidArgument,
                        "System.Management.Automation.ParameterBindingException",
                        Value::Null,
                    )))
                }
            },
            None => rt.wall_clock(),
        };
        match self.b.string("Format") {
            Some(f) => {
                out.write(rt, Value::String(value::format_datetime(&date, &f)))
                    .await
            }
            None => out.write(rt, Value::DateTime(date)).await,
        }
    }

    /// What MeasureObject does with each input object.
    async fn process_measure_object(&mut self, input: Option<Value>) -> R<()> {
        let Some(item) = input else { return Ok(()) };
        let prop = self.b.string("Property");
        let State::Measure {
            count,
            values,
            missing_prop,
        } = &mut self.state
        else {
            return Ok(());
        };
        let v = match &prop {
            Some(p) => {
                if let Some(v) = item.property(p) {
                    v
                } else {
                    *missing_prop = true;
                    return Ok(());
                }
            }
            None => item,
        };
        *count += 1;
        if let Some(f) = v.to_f64()
            && values.len() < super::interp::MAX_ARRAY
        {
            values.push(f);
        }
        Ok(())
    }

    /// What GetPSSessionConfiguration does with each input object.
    async fn process_get_p_s_session_configuration(
        &mut self,
        rt: &Rt,
        out: &mut dyn Sink,
    ) -> R<()> {
        let names = self.b.strings("Name");
        let configs = rt.ctx.session_configurations.clone();
        match names {
            None => {
                for c in configs {
                    out.write(rt, c.to_value()).await?;
                }
            }
            Some(names) => {
                for n in names {
                    let found: Vec<_> = configs
                        .iter()
                        .filter(|c| value::wildcard_match(&n, &c.name, false))
                        .collect();
                    if found.is_empty() && !n.contains(['*', '?']) {
                        self.error(
                            rt,
                            self.info.error(
                                format!("No session configuration matches criteria \"{n}\"."),
                                "Microsoft.PowerShell.Commands.GetPSSessionConfigurationCommand",
                                ErrorCategory::ObjectNotFound,
                                "System.Management.Automation.RuntimeException",
                                Value::str(n.clone()),
                            ),
                        )
                        .await?;
                    }
                    for c in found {
                        out.write(rt, c.to_value()).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// What ReadHost does with each input object.
    async fn process_read_host(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let prompt = self.b.string("Prompt");
        let secure = self.b.flag("AsSecureString");
        let answer = rt
            .host_call(HostCall::ReadHost {
                prompt,
                as_secure: secure,
            })
            .await;
        let v = match answer {
            Value::SecureString(t) => Value::SecureString(t),
            other if secure => {
                // PowerShell's host answers with a SecureString under
                // the session key; text in its place is refused.
                return Err(Flow::error(self.info.error(
                    format!(
                        "Read-Host -AsSecureString was answered with a {} instead of a SecureString encrypted with the session key.",
                        other.type_name()
                    ),
                    "SecureStringExpected",
                    ErrorCategory::InvalidResult,
                    "System.Management.Automation.PSInvalidCastException",
                    Value::Null,
                )));
            }
            other => Value::String(other.to_ps_string()),
        };
        out.write(rt, v).await
    }

    /// What TestPath does with each input object.
    async fn process_test_path(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        let want = self.b.string("PathType").map(|s| s.to_ascii_lowercase());
        for p in paths {
            let exists = match self.resolve(rt, &p) {
                Ok(full) => {
                    let s = rt.session();
                    match s.fs.get(&full) {
                        Some(e) => match want.as_deref() {
                            Some("container") => e.is_dir,
                            Some("leaf") => !e.is_dir,
                            _ => true,
                        },
                        None => false,
                    }
                }
                Err(_) => false,
            };
            out.write(rt, Value::Bool(exists)).await?;
        }
        Ok(())
    }

    /// What GetContent does with each input object.
    async fn process_get_content(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let content = {
                let s = rt.session();
                s.fs.get(&full).map(|e| (e.is_dir, e.content.clone()))
            };
            match content {
                None => self.error(rt, self.not_found(&full)).await?,
                Some((true, _)) => {
                    self.error(rt, self.info.error(
                        format!("Unable to get content because it is a directory: '{full}'. Please use 'Get-ChildItem' instead."),
                        "GetContentReaderUnauthorizedAccessError",
                        ErrorCategory::PermissionDenied,
                        "System.UnauthorizedAccessException",
                        Value::str(full.clone()),
                    )).await?;
                }
                Some((false, text)) => {
                    if self.b.flag("Raw") {
                        out.write(rt, Value::String(text)).await?;
                        continue;
                    }
                    let mut lines: Vec<&str> =
                        text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
                    if lines.last() == Some(&"") {
                        lines.pop();
                    }
                    if let Some(n) = self.b.get("TotalCount").and_then(Value::to_int) {
                        lines.truncate(usize::try_from(n).unwrap_or(0));
                    }
                    if let Some(n) = self.b.get("Tail").and_then(Value::to_int) {
                        let n = usize::try_from(n).unwrap_or(0);
                        let skip = lines.len().saturating_sub(n);
                        lines.drain(..skip);
                    }
                    for l in lines {
                        out.write(rt, Value::str(l)).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// What RemoveItem does with each input object.
    async fn process_remove_item(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let state = {
                let s = rt.session();
                s.fs.get(&full)
                    .map(|e| (e.is_dir, !s.fs.children(&full).is_empty()))
            };
            match state {
                None => self.error(rt, self.not_found(&full)).await?,
                Some((true, true)) if !self.b.flag("Recurse") => {
                    self.error(rt, self.info.error(
                        format!("The item at {full} has children and the Recurse parameter was not specified. If you continue, all children will be removed with the item. Are you sure you want to continue?"),
                        "RemoveItemNotRecursive",
                        ErrorCategory::InvalidOperation,
                        "System.Management.Automation.PSInvalidOperationException",
                        Value::str(full.clone()),
                    )).await?;
                }
                Some(_) => rt.session().fs.remove_tree(&full),
            }
        }
        Ok(())
    }

    /// What SetLocation does with each input object.
    async fn process_set_location(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let target = self
            .b
            .string("Path")
            .or_else(|| input.map(|v| path_of_input(&v)))
            .unwrap_or_else(|| "~".into());
        let full = match self.resolve(rt, &target) {
            Ok(f) => f,
            Err(e) => return Err(Flow::error(e)),
        };
        let is_dir = rt.session().fs.get(&full).map(|e| e.is_dir);
        match is_dir {
            Some(true) => {
                rt.session().location = full;
                if self.b.flag("PassThru") {
                    let v = rt.get_var("PWD");
                    out.write(rt, v).await?;
                }
                Ok(())
            }
            _ => Err(Flow::error(self.not_found(&full))),
        }
    }

    /// What GetVariable does with each input object.
    async fn process_get_variable(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let names = self.b.strings("Name").unwrap_or_else(|| vec!["*".into()]);
        for n in names {
            let found: Vec<(String, Value)> = {
                let s = rt.session();
                s.vars
                    .iter()
                    .filter(|(k, _)| value::wildcard_match(&n, k, false) && k != "_")
                    .cloned()
                    .collect()
            };
            if found.is_empty() && !n.contains(['*', '?']) {
                self.error(
                    rt,
                    self.info.error(
                        format!("Cannot find a variable with the name '{n}'."),
                        "VariableNotFound",
                        ErrorCategory::ObjectNotFound,
                        "System.Management.Automation.ItemNotFoundException",
                        Value::str(n.clone()),
                    ),
                )
                .await?;
                continue;
            }
            let mut found = found;
            found.sort_by_key(|a| a.0.to_lowercase());
            for (k, v) in found {
                if self.b.flag("ValueOnly") {
                    out.write(rt, v).await?;
                } else {
                    out.write(rt, variable_object(&k, v)).await?;
                }
            }
        }
        Ok(())
    }

    /// What SetVariable does with each input object.
    async fn process_set_variable(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let Some(names) = self.b.strings("Name") else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Name.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        let v = self
            .b
            .get("Value")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        for n in names {
            rt.set_var(&n, v.clone())?;
            if self.b.flag("PassThru") {
                out.write(rt, variable_object(&n, v.clone())).await?;
            }
        }
        Ok(())
    }

    /// The commands that run script blocks, kept apart so that the stack frame of each
    /// nesting level stays small.
    async fn process_blocks(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        match self.kind {
            Kind::ForEachObject => {
                let State::ForEach {
                    process, member, ..
                } = &self.state
                else {
                    return Ok(());
                };
                let process = process.clone();
                let member = member.clone();
                let item = input.clone();
                if let Some(m) = member {
                    if let Some(v) = item {
                        match v.property(&m) {
                            Some(p) => {
                                for x in p.into_items() {
                                    out.write(rt, x).await?;
                                }
                            }
                            None => {
                                if let Ok(r) = call_method(rt, v, &m, Vec::new()) {
                                    out.write(rt, r).await?;
                                }
                            }
                        }
                    }
                    return Ok(());
                }
                for sb in &process {
                    rt.invoke_block(sb, Some(item.clone().unwrap_or(Value::Null)), out)
                        .await?;
                }
                Ok(())
            }
            Kind::WhereObject => {
                let Some(item) = input else { return Ok(()) };
                let State::Where {
                    filter,
                    property,
                    op,
                    value,
                } = &self.state
                else {
                    return Ok(());
                };
                let keep = match (filter, property) {
                    (Some(sb), _) => {
                        let sb = sb.clone();
                        rt.invoke_block_value(&sb, Some(item.clone()))
                            .await?
                            .is_true()
                    }
                    (None, Some(prop)) => {
                        let pv = prop_of(&item, prop);
                        match op {
                            None => pv.is_true(),
                            Some(o) => where_compare(o, &pv, value),
                        }
                    }
                    (None, None) => false,
                };
                if keep {
                    out.write(rt, item).await?;
                }
                Ok(())
            }
            Kind::Invoke => {
                let State::Invoke {
                    block,
                    input: collected,
                    ran,
                } = &mut self.state
                else {
                    return Ok(());
                };
                if let Some(v) = input {
                    if collected.len() >= super::interp::MAX_ARRAY {
                        return Err(Flow::error(rt.too_large()));
                    }
                    collected.push(v);
                    Ok(())
                } else {
                    *ran = true;
                    let sb = block.clone();
                    self.run_invoke(rt, &sb, Vec::new(), out).await
                }
            }
            _ => Ok(()),
        }
    }

    /// Runs an invoked script block with `$args` and `$input` set.
    async fn run_invoke(
        &self,
        rt: &Rt,
        sb: &ScriptBlock,
        input: Vec<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let args = self
            .b
            .get("Arguments")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        rt.set_var("args", args)?;
        rt.set_var("input", Value::Array(input))?;
        rt.invoke_block(sb, None, out).await
    }

    async fn end_impl(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        if let State::Invoke {
            block,
            input,
            ran: ran @ false,
        } = &mut self.state
        {
            *ran = true;
            let sb = block.clone();
            let items = std::mem::take(input);
            return self.run_invoke(rt, &sb, items, out).await;
        }
        match self.kind {
            Kind::ForEachObject => {
                if let State::ForEach { end: Some(sb), .. } = &self.state {
                    let sb = sb.clone();
                    rt.invoke_block(&sb, None, out).await?;
                }
                Ok(())
            }
            Kind::SelectObject => {
                let State::Select { last, .. } = &mut self.state else {
                    return Ok(());
                };
                let items: Vec<Value> = last.drain(..).collect();
                for item in items {
                    let v = self.select_shape(rt, item).await?;
                    for x in v {
                        out.write(rt, x).await?;
                    }
                }
                Ok(())
            }
            Kind::SortObject => self.end_sort_object(rt, out).await,
            Kind::OutString => self.end_out_string(rt, out).await,
            Kind::MeasureObject => self.end_measure_object(rt, out).await,
            Kind::SetContent | Kind::AddContent => self.end_set_content(rt).await,
            _ => Ok(()),
        }
    }

    /// What SortObject does at the end of the input.
    async fn end_sort_object(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Buffer(buf) = &mut self.state else {
            return Ok(());
        };
        let items = std::mem::take(buf);
        let sels = selectors(self.b.get("Property"));
        let mut keyed: Vec<(Vec<Value>, Value)> = Vec::with_capacity(items.len());
        for item in items {
            rt.tick().await;
            let key = if sels.is_empty() {
                vec![item.clone()]
            } else {
                let mut k = Vec::new();
                for s in &sels {
                    k.push(select_value(rt, s, &item).await?);
                }
                k
            };
            keyed.push((key, item));
        }
        let desc = self.b.flag("Descending");
        let case = self.b.flag("CaseSensitive");
        keyed.sort_by(|a, b| sort_key_cmp(&a.0, &b.0, desc, case));
        if self.b.flag("Unique") {
            keyed.dedup_by(|a, b| {
                sort_key_cmp(&a.0, &b.0, false, case) == std::cmp::Ordering::Equal
            });
        }
        for (_, item) in keyed {
            out.write(rt, item).await?;
        }
        Ok(())
    }

    /// What OutString does at the end of the input.
    async fn end_out_string(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Buffer(buf) = &mut self.state else {
            return Ok(());
        };
        let items = std::mem::take(buf);
        if self.b.flag("Stream") {
            for i in items {
                out.write(rt, Value::String(i.display())).await?;
            }
        } else {
            let mut text: String = items
                .iter()
                .map(|i| format!("{}\r\n", i.display()))
                .collect();
            if text.is_empty() {
                text = String::new();
            }
            out.write(rt, Value::String(text)).await?;
        }
        Ok(())
    }

    /// What MeasureObject does at the end of the input.
    async fn end_measure_object(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Measure {
            count,
            values,
            missing_prop,
        } = &self.state
        else {
            return Ok(());
        };
        let prop = self.b.string("Property");
        if *missing_prop
            && *count == 0
            && let Some(p) = &prop
        {
            self.error(
                rt,
                self.info.error(
                    format!("The property \"{p}\" cannot be found in the input for any objects."),
                    "GenericMeasurePropertyNotFound",
                    ErrorCategory::InvalidArgument,
                    "System.Management.Automation.PSArgumentException",
                    Value::Null,
                ),
            )
            .await?;
            return Ok(());
        }
        let sum: f64 = values.iter().sum();
        let opt = |flag: &str, v: Value| if self.b.flag(flag) { v } else { Value::Null };
        let num = Value::Double;
        let max = values
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let min = values
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
        let avg = if values.is_empty() {
            Value::Null
        } else {
            Value::Double(sum / values.len() as f64)
        };
        let obj = Value::Object {
            type_names: vec![
                "Microsoft.PowerShell.Commands.GenericMeasureInfo".into(),
                "Microsoft.PowerShell.Commands.MeasureInfo".into(),
                "System.Object".into(),
            ],
            props: vec![
                ("Count".into(), Value::Int(*count)),
                ("Average".into(), opt("Average", avg)),
                ("Sum".into(), opt("Sum", num(sum))),
                (
                    "Maximum".into(),
                    opt("Maximum", max.map_or(Value::Null, num)),
                ),
                (
                    "Minimum".into(),
                    opt("Minimum", min.map_or(Value::Null, num)),
                ),
                ("Property".into(), prop.map_or(Value::Null, Value::String)),
            ],
            to_string: None,
        };
        out.write(rt, obj).await
    }

    /// What SetContent, AddContent do at the end of the input.
    async fn end_set_content(&mut self, rt: &Rt) -> R<()> {
        let State::Content(piped) = &self.state else {
            return Ok(());
        };
        let lines: Vec<String> = match self.b.get("Value") {
            Some(v) => v
                .clone()
                .into_items()
                .iter()
                .map(Value::to_ps_string)
                .collect(),
            None => piped.clone(),
        };
        let paths = self.b.strings("Path").unwrap_or_default();
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let mut text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
            if self.b.flag("NoNewline") {
                text = lines.concat();
            }
            let now = rt.wall_clock();
            let parent = data::parent_of(&full).unwrap_or_default();
            let result = {
                let mut s = rt.session();
                let parent_ok = s.fs.get(&parent).is_some_and(|e| e.is_dir);
                match s.fs.get_mut(&full) {
                    Some(e) if e.is_dir => Err(1),
                    Some(e) => {
                        if self.kind == Kind::AddContent {
                            e.content.push_str(&text);
                        } else {
                            e.content = text;
                        }
                        e.created = Some(now);
                        Ok(())
                    }
                    None if !parent_ok => Err(2),
                    None => {
                        if s.fs.insert(FsEntry {
                            path: full.clone(),
                            is_dir: false,
                            content: text,
                            created: Some(now),
                        }) {
                            Ok(())
                        } else {
                            Err(3)
                        }
                    }
                }
            };
            match result {
                Ok(()) => {}
                Err(1) => {
                    self.error(
                        rt,
                        self.info.error(
                            format!("Access to the path '{full}' is denied."),
                            "GetContentWriterUnauthorizedAccessError",
                            ErrorCategory::PermissionDenied,
                            "System.UnauthorizedAccessException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                }
                Err(2) => {
                    self.error(
                        rt,
                        self.info.error(
                            format!("Could not find a part of the path '{full}'."),
                            "GetContentWriterDirectoryNotFoundError",
                            ErrorCategory::ObjectNotFound,
                            "System.IO.DirectoryNotFoundException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                }
                Err(_) => self.error(rt, fs_full(&self.info, &full)).await?,
            }
        }
        Ok(())
    }

    async fn select_process(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        let Some(item) = input else { return Ok(()) };
        let first = self
            .b
            .get("First")
            .and_then(Value::to_int)
            .map(|n| usize::try_from(n).unwrap_or(0));
        let last = self
            .b
            .get("Last")
            .and_then(Value::to_int)
            .map(|n| usize::try_from(n).unwrap_or(0));
        let skip = self
            .b
            .get("Skip")
            .and_then(Value::to_int)
            .map_or(0, |n| usize::try_from(n).unwrap_or(0));
        let unique = self.b.flag("Unique");
        let State::Select {
            seen,
            skipped,
            last: buf,
            uniq,
        } = &mut self.state
        else {
            return Ok(());
        };
        if first == Some(0) && last.is_none() {
            return Err(Flow::StopUpstream(self.token));
        }
        if *skipped < skip {
            *skipped += 1;
            return Ok(());
        }
        if unique {
            if uniq.iter().any(|u| value::equals(u, &item, true)) {
                return Ok(());
            }
            if uniq.len() < super::interp::MAX_ARRAY {
                uniq.push(item.clone());
            }
        }
        if let Some(n) = last
            && first.is_none()
        {
            buf.push_back(item);
            if buf.len() > n {
                buf.pop_front();
            }
            return Ok(());
        }
        *seen += 1;
        let count = *seen;
        let shaped = self.select_shape(rt, item).await?;
        for x in shaped {
            out.write(rt, x).await?;
        }
        if let Some(n) = first
            && count >= n
        {
            return Err(self.stop_upstream());
        }
        Ok(())
    }

    /// Applies -Property / -ExpandProperty to one item.
    async fn select_shape(&self, rt: &Rt, item: Value) -> R<Vec<Value>> {
        if let Some(exp) = self.b.string("ExpandProperty") {
            return if let Some(v) = item.property(&exp) {
                Ok(match v {
                    Value::Array(items) => items,
                    other => vec![other],
                })
            } else {
                self.error(
                    rt,
                    self.info.error(
                        format!("Property \"{exp}\" cannot be found."),
                        "ExpandPropertyNotFound",
                        ErrorCategory::InvalidArgument,
                        "System.Management.Automation.PSArgumentException",
                        item,
                    ),
                )
                .await?;
                Ok(Vec::new())
            };
        }
        let sels = selectors(self.b.get("Property"));
        if sels.is_empty() {
            return Ok(vec![item]);
        }
        let mut props: Vec<(String, Value)> = Vec::new();
        for s in &sels {
            match s {
                Selector::Name(n) if n.contains(['*', '?']) => {
                    for k in property_names(&item) {
                        if value::wildcard_match(n, &k, false)
                            && !props.iter().any(|(x, _)| x.eq_ignore_ascii_case(&k))
                        {
                            let v = prop_of(&item, &k);
                            props.push((k, v));
                        }
                    }
                }
                Selector::Name(n) => {
                    let name = property_names(&item)
                        .into_iter()
                        .find(|k| k.eq_ignore_ascii_case(n))
                        .unwrap_or_else(|| n.clone());
                    props.push((name, prop_of(&item, n)));
                }
                Selector::Calc(name, _, _) => {
                    let v = select_value(rt, s, &item).await?;
                    props.push((name.clone(), v));
                }
            }
        }
        let base = item.type_name();
        Ok(vec![Value::Object {
            type_names: vec![
                format!("Selected.{base}"),
                "System.Management.Automation.PSCustomObject".into(),
                "System.Object".into(),
            ],
            props,
            to_string: None,
        }])
    }

    async fn get_process(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let all = data::processes(&rt.ctx.computer_name, rt.ctx.process_id);
        if let Some(ids) = self.b.get("Id").cloned() {
            for id in ids.into_items() {
                let n = id.to_int().unwrap_or(-1);
                match all
                    .iter()
                    .find(|p| p.property("Id").and_then(|i| i.to_int()) == Some(n))
                {
                    Some(p) => out.write(rt, p.clone()).await?,
                    None => {
                        self.error(
                            rt,
                            self.info.error(
                                format!("Cannot find a process with the process identifier {n}."),
                                "NoProcessFoundForGivenId",
                                ErrorCategory::ObjectNotFound,
                                "Microsoft.PowerShell.Commands.ProcessCommandException",
                                Value::Int(n),
                            ),
                        )
                        .await?;
                    }
                }
            }
            return Ok(());
        }
        match self.b.strings("Name") {
            None => {
                for p in all {
                    out.write(rt, p).await?;
                }
            }
            Some(names) => {
                for n in names {
                    let found: Vec<&Value> = all
                        .iter()
                        .filter(|p| {
                            value::wildcard_match(
                                &n,
                                &prop_of(p, "ProcessName").to_ps_string(),
                                false,
                            )
                        })
                        .collect();
                    if found.is_empty() && !n.contains(['*', '?']) {
                        self.error(rt, self.info.error(
                            format!("Cannot find a process with the name \"{n}\". Verify the process name and call the cmdlet again."),
                            "NoProcessFoundForGivenName",
                            ErrorCategory::ObjectNotFound,
                            "Microsoft.PowerShell.Commands.ProcessCommandException",
                            Value::str(n.clone()),
                        )).await?;
                    }
                    for p in found {
                        out.write(rt, p.clone()).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn get_service(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let all = data::services(&rt.ctx.computer_name);
        let (key, names) = match (self.b.strings("Name"), self.b.strings("DisplayName")) {
            (Some(n), _) => ("Name", n),
            (None, Some(d)) => ("DisplayName", d),
            (None, None) => ("Name", vec!["*".to_string()]),
        };
        for n in names {
            let found: Vec<&Value> = all
                .iter()
                .filter(|s| {
                    value::wildcard_match(&n, &prop_of(s, key).to_ps_string(), false)
                        || (key == "Name"
                            && value::wildcard_match(
                                &n,
                                &prop_of(s, "DisplayName").to_ps_string(),
                                false,
                            )
                            && !n.contains(['*', '?']))
                })
                .collect();
            if found.is_empty() && !n.contains(['*', '?']) {
                let msg = if key == "Name" {
                    format!("Cannot find any service with service name '{n}'.")
                } else {
                    format!("Cannot find any service with display name '{n}'.")
                };
                let id = if key == "Name" {
                    "NoServiceFoundForGivenName"
                } else {
                    "NoServiceFoundForGivenDisplayName"
                };
                self.error(
                    rt,
                    self.info.error(
                        msg,
                        id,
                        ErrorCategory::ObjectNotFound,
                        "Microsoft.PowerShell.Commands.ServiceCommandException",
                        Value::str(n.clone()),
                    ),
                )
                .await?;
            }
            for s in found {
                out.write(rt, s.clone()).await?;
            }
        }
        Ok(())
    }

    // The error is consumed at once by the caller; boxing it buys nothing.
    #[allow(clippy::result_large_err)]
    fn resolve(&self, rt: &Rt, path: &str) -> Result<String, ErrorInfo> {
        let (loc, home) = {
            let s = rt.session();
            (
                s.location.clone(),
                format!(r"C:\Users\{}", rt.ctx.user_name),
            )
        };
        data::resolve_path(&loc, &home, path).map_err(|drive| {
            self.info.error(
                format!("Cannot find drive. A drive with the name '{drive}' does not exist."),
                "DriveNotFound",
                ErrorCategory::ObjectNotFound,
                "System.Management.Automation.DriveNotFoundException",
                Value::str(drive.clone()),
            )
        })
    }

    fn not_found(&self, full: &str) -> ErrorInfo {
        self.info.error(
            format!("Cannot find path '{full}' because it does not exist."),
            "PathNotFound",
            ErrorCategory::ObjectNotFound,
            "System.Management.Automation.ItemNotFoundException",
            Value::str(full),
        )
    }

    async fn get_child_item(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => vec![input.map_or_else(|| ".".into(), |v| path_of_input(&v))],
        };
        let filter = self.b.string("Filter");
        let recurse = self.b.flag("Recurse");
        let names_only = self.b.flag("Name");
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            // Wildcards in the last segment filter the parent's children.
            let leaf = data::leaf_of(&full).to_string();
            let (dir, pattern) = if leaf.contains(['*', '?']) {
                (
                    data::parent_of(&full).unwrap_or_else(|| "C:\\".into()),
                    Some(leaf),
                )
            } else {
                (full.clone(), None)
            };
            let entry = rt.session().fs.get(&dir).cloned();
            let Some(entry) = entry else {
                self.error(rt, self.not_found(&dir)).await?;
                continue;
            };
            if !entry.is_dir {
                let v = if names_only {
                    Value::str(data::leaf_of(&entry.path))
                } else {
                    fs_item(rt, &entry)
                };
                out.write(rt, v).await?;
                continue;
            }
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                let children: Vec<FsEntry> =
                    rt.session().fs.children(&d).into_iter().cloned().collect();
                let mut subdirs = Vec::new();
                for c in children {
                    rt.tick().await;
                    let name = data::leaf_of(&c.path).to_string();
                    let pat_ok = pattern
                        .as_ref()
                        .is_none_or(|pt| value::wildcard_match(pt, &name, false));
                    let filter_ok = filter
                        .as_ref()
                        .is_none_or(|f| value::wildcard_match(f, &name, false));
                    let kind_ok = !(self.b.flag("File") && c.is_dir)
                        && (!self.b.flag("Directory") || c.is_dir);
                    if c.is_dir && recurse {
                        subdirs.push(c.path.clone());
                    }
                    if pat_ok && filter_ok && kind_ok {
                        let v = if names_only {
                            let rel = c
                                .path
                                .get(dir.trim_end_matches('\\').len() + 1..)
                                .unwrap_or(&name)
                                .to_string();
                            Value::String(rel)
                        } else {
                            fs_item(rt, &c)
                        };
                        out.write(rt, v).await?;
                    }
                }
                subdirs.reverse();
                stack.extend(subdirs);
            }
        }
        Ok(())
    }

    async fn new_item(&mut self, rt: &Rt, input: Option<Value>, out: &mut dyn Sink) -> R<()> {
        let mut paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        if paths.is_empty() {
            paths.push(".".into());
        }
        let item_type = if self.kind == Kind::Mkdir {
            Some("directory".to_string())
        } else {
            self.b.string("ItemType").map(|t| t.to_ascii_lowercase())
        };
        let is_dir = match item_type.as_deref() {
            Some("directory" | "dir" | "container") => true,
            Some("file") | None => false,
            Some(other) => {
                return Err(Flow::error(self.info.error(
                    format!("The type is not a known type for the file system. Only \"file\" and \"directory\" can be specified. ({other})"),
                    "Argument",
                    ErrorCategory::InvalidArgument,
                    "System.ArgumentException",
                    Value::Null,
                )))
            }
        };
        let force = self.b.flag("Force");
        let content = self
            .b
            .get("Value")
            .map(Value::to_ps_string)
            .unwrap_or_default();
        for p in paths {
            let p = match self.b.string("Name") {
                Some(n) => format!("{p}\\{n}"),
                None => p,
            };
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let now = rt.wall_clock();
            let existing = rt.session().fs.get(&full).cloned();
            if let Some(e) = existing {
                if e.is_dir && is_dir {
                    if force {
                        out.write(rt, fs_item(rt, &e)).await?;
                    } else {
                        self.error(
                            rt,
                            self.info.error(
                                format!("An item with the specified name {full} already exists."),
                                "DirectoryExist",
                                ErrorCategory::ResourceExists,
                                "System.IO.IOException",
                                Value::str(full.clone()),
                            ),
                        )
                        .await?;
                    }
                    continue;
                }
                if !force || e.is_dir != is_dir {
                    self.error(
                        rt,
                        self.info.error(
                            format!("The file '{full}' already exists."),
                            "NewItemIOError",
                            ErrorCategory::WriteError,
                            "System.IO.IOException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                    continue;
                }
            }
            // Directories get their parents created; files need an existing parent
            // unless -Force.
            let mut missing = Vec::new();
            let mut cur = data::parent_of(&full);
            while let Some(c) = cur {
                if rt.session().fs.get(&c).is_some() {
                    break;
                }
                missing.push(c.clone());
                cur = data::parent_of(&c);
            }
            if !missing.is_empty() && !is_dir && !force {
                self.error(
                    rt,
                    self.info.error(
                        format!("Could not find a part of the path '{full}'."),
                        "NewItemIOError",
                        ErrorCategory::WriteError,
                        "System.IO.DirectoryNotFoundException",
                        Value::str(full.clone()),
                    ),
                )
                .await?;
                continue;
            }
            let created = {
                let mut s = rt.session();
                let mut ok = true;
                for m in missing.iter().rev() {
                    ok &= s.fs.insert(FsEntry {
                        path: m.clone(),
                        is_dir: true,
                        content: String::new(),
                        created: Some(now),
                    });
                }
                s.fs.remove_tree(&full);
                let entry = FsEntry {
                    path: full.clone(),
                    is_dir,
                    content: content.clone(),
                    created: Some(now),
                };
                ok &= s.fs.insert(entry.clone());
                if ok { Some(entry) } else { None }
            };
            match created {
                Some(entry) => out.write(rt, fs_item(rt, &entry)).await?,
                None => self.error(rt, fs_full(&self.info, &full)).await?,
            }
        }
        Ok(())
    }
}

fn fs_full(info: &CmdInfo, full: &str) -> ErrorInfo {
    info.error(
        "There is not enough space on the disk.",
        "NewItemIOError",
        ErrorCategory::WriteError,
        "System.IO.IOException",
        Value::str(full),
    )
}

/// A path from pipeline input: a string, or an item's FullName / PSPath.
fn path_of_input(v: &Value) -> String {
    match v {
        Value::Object { .. } => v
            .property("FullName")
            .or_else(|| v.property("Path"))
            .map_or_else(|| v.to_ps_string(), |p| p.to_ps_string()),
        other => other.to_ps_string(),
    }
}

fn variable_object(name: &str, v: Value) -> Value {
    Value::Object {
        type_names: vec![
            "System.Management.Automation.PSVariable".into(),
            "System.Object".into(),
        ],
        props: vec![
            ("Name".into(), Value::str(name)),
            ("Value".into(), v),
            ("Description".into(), Value::str("")),
            (
                "Options".into(),
                Value::enumeration("System.Management.Automation.ScopedItemOptions", "None", 0),
            ),
            (
                "Visibility".into(),
                Value::enumeration(
                    "System.Management.Automation.SessionStateEntryVisibility",
                    "Public",
                    0,
                ),
            ),
        ],
        to_string: Some(name.to_string()),
    }
}

/// A FileInfo / DirectoryInfo object for a file-system entry.
fn fs_item(rt: &Rt, e: &FsEntry) -> Value {
    let name = data::leaf_of(&e.path).to_string();
    let parent = data::parent_of(&e.path).unwrap_or_default();
    let time = e.created.unwrap_or_else(|| {
        // The image's own entries date from its installation, a fixed time before the clock.
        rt.ctx.clock - chrono::Duration::days(120)
    });
    let dt = Value::DateTime(time);
    let (ext, base) = if e.is_dir {
        (String::new(), name.clone())
    } else {
        match name.rfind('.') {
            Some(i) if i > 0 => (
                name.get(i..).unwrap_or("").to_string(),
                name.get(..i).unwrap_or("").to_string(),
            ),
            _ => (String::new(), name.clone()),
        }
    };
    let mut props: Vec<(String, Value)> = vec![
        (
            "PSPath".into(),
            Value::String(format!("Microsoft.PowerShell.Core\\FileSystem::{}", e.path)),
        ),
        (
            "PSParentPath".into(),
            Value::String(format!("Microsoft.PowerShell.Core\\FileSystem::{parent}")),
        ),
        ("PSChildName".into(), Value::str(name.clone())),
        ("PSIsContainer".into(), Value::Bool(e.is_dir)),
        (
            "Mode".into(),
            Value::str(if e.is_dir { "d-----" } else { "-a----" }),
        ),
        ("BaseName".into(), Value::str(base)),
        ("Name".into(), Value::str(name.clone())),
        ("FullName".into(), Value::str(e.path.clone())),
        ("Extension".into(), Value::str(ext)),
        ("Exists".into(), Value::Bool(true)),
        ("CreationTime".into(), dt.clone()),
        ("LastWriteTime".into(), dt.clone()),
        ("LastAccessTime".into(), dt),
        (
            "Attributes".into(),
            if e.is_dir {
                Value::enumeration("System.IO.FileAttributes", "Directory", 16)
            } else {
                Value::enumeration("System.IO.FileAttributes", "Archive", 32)
            },
        ),
    ];
    if !e.is_dir {
        props.push(("Length".into(), Value::Int(e.content.len() as i64)));
        props.push(("DirectoryName".into(), Value::str(parent)));
        props.push(("IsReadOnly".into(), Value::Bool(false)));
    }
    let types: &[&str] = if e.is_dir {
        &[
            "System.IO.DirectoryInfo",
            "System.IO.FileSystemInfo",
            "System.MarshalByRefObject",
            "System.Object",
        ]
    } else {
        &[
            "System.IO.FileInfo",
            "System.IO.FileSystemInfo",
            "System.MarshalByRefObject",
            "System.Object",
        ]
    };
    Value::Object {
        type_names: types.iter().map(std::string::ToString::to_string).collect(),
        props,
        to_string: Some(name),
    }
}

fn console_color(name: &str) -> i64 {
    const COLORS: [&str; 16] = [
        "Black",
        "DarkBlue",
        "DarkGreen",
        "DarkCyan",
        "DarkRed",
        "DarkMagenta",
        "DarkYellow",
        "Gray",
        "DarkGray",
        "Blue",
        "Green",
        "Cyan",
        "Red",
        "Magenta",
        "Yellow",
        "White",
    ];
    COLORS
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .map_or(-1, |i| i as i64)
}

fn where_compare(op: &str, left: &Value, right: &Value) -> bool {
    use std::cmp::Ordering::*;
    let case = op.starts_with('C') && op != "Contains";
    match op {
        "EQ" | "CEQ" => value::equals(left, right, case),
        "NE" | "CNE" => !value::equals(left, right, case),
        "GT" => value::compare(left, right, false) == Some(Greater),
        "LT" => value::compare(left, right, false) == Some(Less),
        "GE" => matches!(value::compare(left, right, false), Some(Greater | Equal)),
        "LE" => matches!(value::compare(left, right, false), Some(Less | Equal)),
        "Like" | "CLike" => {
            value::wildcard_match(&right.to_ps_string(), &left.to_ps_string(), case)
        }
        "NotLike" => !value::wildcard_match(&right.to_ps_string(), &left.to_ps_string(), false),
        "Match" | "CMatch" | "NotMatch" => {
            let re = regex::RegexBuilder::new(&right.to_ps_string())
                .case_insensitive(op != "CMatch")
                .size_limit(1 << 20)
                .build();
            match re {
                Ok(re) => re.is_match(&left.to_ps_string()) != (op == "NotMatch"),
                Err(_) => false,
            }
        }
        "Contains" => left
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, right, false)),
        "NotContains" => !left
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, right, false)),
        "In" => right
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, left, false)),
        "NotIn" => !right
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, left, false)),
        _ => false,
    }
}

fn method_missing(v: &Value, name: &str) -> Flow {
    let mut e = ErrorInfo::new(
        format!(
            "Method invocation failed because [{}] does not contain a method named '{name}'.",
            v.type_name()
        ),
        "MethodNotFound",
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    );
    e.target = Value::Null;
    Flow::error(e)
}

fn arg_str(args: &[Value], i: usize) -> String {
    args.get(i).map(Value::to_ps_string).unwrap_or_default()
}

/// Instance methods on values (`$s.ToUpper()`, `$d.AddDays(1)`, `$x.ToString()`).
#[expect(
    clippy::too_many_lines,
    reason = "a table: the .NET methods the lab knows"
)]
pub(crate) fn call_method(_rt: &Rt, v: Value, name: &str, args: Vec<Value>) -> R<Value> {
    let lname = name.to_ascii_lowercase();
    if lname == "tostring" {
        return Ok(Value::String(match (&v, args.first()) {
            (Value::DateTime(d), Some(f)) => value::format_datetime(d, &f.to_ps_string()),
            (Value::Int(_) | Value::Double(_), Some(f)) => {
                super::interp::format_number(&v, &f.to_ps_string())
            }
            (Value::DateTime(_), None) => v.display(),
            _ => v.to_ps_string(),
        }));
    }
    if lname == "gettype" {
        let t = v.type_name();
        let short = t.rsplit('.').next().unwrap_or(&t).to_string();
        return Ok(Value::Object {
            type_names: vec![
                "System.RuntimeType".into(),
                "System.Type".into(),
                "System.Object".into(),
            ],
            props: vec![
                ("Name".into(), Value::str(short)),
                ("FullName".into(), Value::str(t.clone())),
            ],
            to_string: Some(t),
        });
    }
    if lname == "equals" {
        return Ok(Value::Bool(
            args.first().is_some_and(|a| value::equals(&v, a, false)),
        ));
    }
    match &v {
        Value::String(s) => {
            let r = match lname.as_str() {
                "toupper" | "toupperinvariant" => Value::String(s.to_uppercase()),
                "tolower" | "tolowerinvariant" => Value::String(s.to_lowercase()),
                "trim" => Value::String(match args.first() {
                    Some(c) => s.trim_matches(|x| c.to_ps_string().contains(x)).to_string(),
                    None => s.trim().to_string(),
                }),
                "trimstart" => Value::String(s.trim_start().to_string()),
                "trimend" => Value::String(match args.first() {
                    Some(c) => s
                        .trim_end_matches(|x| c.to_ps_string().contains(x))
                        .to_string(),
                    None => s.trim_end().to_string(),
                }),
                "contains" => Value::Bool(s.contains(&arg_str(&args, 0))),
                "startswith" => Value::Bool(s.starts_with(&arg_str(&args, 0))),
                "endswith" => Value::Bool(s.ends_with(&arg_str(&args, 0))),
                "indexof" => Value::Int(
                    s.find(&arg_str(&args, 0))
                        .map_or(-1, |i| s[..i].chars().count() as i64),
                ),
                "replace" => Value::String(s.replace(&arg_str(&args, 0), &arg_str(&args, 1))),
                "split" => {
                    let seps = arg_str(&args, 0);
                    let parts: Vec<Value> = if seps.is_empty() {
                        s.split(char::is_whitespace).map(Value::str).collect()
                    } else {
                        s.split(|c| seps.contains(c)).map(Value::str).collect()
                    };
                    Value::Array(parts)
                }
                "substring" => {
                    let chars: Vec<char> = s.chars().collect();
                    let start = args.first().and_then(Value::to_int).unwrap_or(0);
                    let len = args.get(1).and_then(Value::to_int);
                    let Some(start) = usize::try_from(start).ok().filter(|x| *x <= chars.len())
                    else {
                        return Err(Flow::error(ErrorInfo::new(
                            "Exception calling \"Substring\" with \"1\" argument(s): \"startIndex cannot be larger than length of string.\"",
                            "ArgumentOutOfRangeException",
                            ErrorCategory::NotSpecified,
                            "System.Management.Automation.MethodInvocationException",
                        )));
                    };
                    let end = match len {
                        Some(l) => match usize::try_from(l)
                            .ok()
                            .and_then(|l| start.checked_add(l))
                            .filter(|e| *e <= chars.len())
                        {
                            Some(e) => e,
                            None => {
                                return Err(Flow::error(ErrorInfo::new(
                                    "Exception calling \"Substring\" with \"2\" argument(s): \"Index and length must refer to a location within the string.\"",
                                    "ArgumentOutOfRangeException",
                                    ErrorCategory::NotSpecified,
                                    "System.Management.Automation.MethodInvocationException",
                                )));
                            }
                        },
                        None => chars.len(),
                    };
                    Value::String(
                        chars
                            .get(start..end)
                            .map(|c| c.iter().collect())
                            .unwrap_or_default(),
                    )
                }
                "padleft" | "padright" => {
                    let w = usize::try_from(args.first().and_then(Value::to_int).unwrap_or(0))
                        .unwrap_or(0)
                        .min(1 << 16);
                    let n = s.chars().count();
                    let pad = " ".repeat(w.saturating_sub(n));
                    Value::String(if lname == "padleft" {
                        format!("{pad}{s}")
                    } else {
                        format!("{s}{pad}")
                    })
                }
                _ => return Err(method_missing(&v, name)),
            };
            Ok(r)
        }
        Value::DateTime(d) => {
            let n = args.first().and_then(Value::to_f64).unwrap_or(0.0);
            let add = |ms: f64| -> R<Value> {
                let delta = chrono::Duration::milliseconds(ms.clamp(-1e15, 1e15) as i64);
                Ok(Value::DateTime(d.checked_add_signed(delta).unwrap_or(*d)))
            };
            match lname.as_str() {
                "adddays" => add(n * 86_400_000.0),
                "addhours" => add(n * 3_600_000.0),
                "addminutes" => add(n * 60_000.0),
                "addseconds" => add(n * 1000.0),
                "addmilliseconds" => add(n),
                "touniversaltime" => Ok(Value::DateTime(
                    d.with_timezone(&chrono::Utc).fixed_offset(),
                )),
                "toshortdatestring" => Ok(Value::String(value::format_datetime(d, "d"))),
                "tolongdatestring" => Ok(Value::String(value::format_datetime(d, "D"))),
                "toshorttimestring" => Ok(Value::String(value::format_datetime(d, "t"))),
                _ => Err(method_missing(&v, name)),
            }
        }
        Value::Array(items) => match lname.as_str() {
            "contains" => {
                Ok(Value::Bool(args.first().is_some_and(|a| {
                    items.iter().any(|i| value::equals(i, a, true))
                })))
            }
            "indexof" => Ok(Value::Int(
                args.first()
                    .and_then(|a| items.iter().position(|i| value::equals(i, a, true)))
                    .map_or(-1, |i| i as i64),
            )),
            _ => {
                // Method enumeration over the elements.
                let mut out = Vec::new();
                for i in items {
                    out.push(call_method(_rt, i.clone(), name, args.clone())?);
                }
                Ok(Value::Array(out))
            }
        },
        Value::Hashtable(entries) => match lname.as_str() {
            "containskey" => Ok(Value::Bool(
                entries
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case(&arg_str(&args, 0))),
            )),
            _ => Err(method_missing(&v, name)),
        },
        _ => Err(method_missing(&v, name)),
    }
}

/// `[type]::Member`.
pub(crate) fn static_member(rt: &Rt, ty: &str, name: &str) -> R<Value> {
    let t = ty.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    let n = name.to_ascii_lowercase();
    match (t, n.as_str()) {
        ("datetime", "now") => Ok(Value::DateTime(rt.wall_clock())),
        ("datetime", "today") => Ok(Value::DateTime(rt.wall_clock())
            .property("Date")
            .unwrap_or(Value::Null)),
        ("datetime", "utcnow") => Ok(Value::DateTime(
            rt.wall_clock().with_timezone(&chrono::Utc).fixed_offset(),
        )),
        ("environment", "machinename") => {
            Ok(Value::String(rt.ctx.computer_name.to_ascii_uppercase()))
        }
        ("environment", "username") => Ok(Value::String(rt.ctx.user_name.clone())),
        ("environment", "newline") => Ok(Value::str("\r\n")),
        ("math", "pi") => Ok(Value::Double(std::f64::consts::PI)),
        ("int" | "int32", "maxvalue") => Ok(Value::Int(i32::MAX.into())),
        ("string", "empty") => Ok(Value::str("")),
        _ => Err(Flow::error(ErrorInfo::new(
            format!(
                "The static member '{name}' of type [{ty}] is not available in the lab endpoint."
            ),
            "PropertyNotFound",
            ErrorCategory::InvalidOperation,
            "System.Management.Automation.RuntimeException",
        ))),
    }
}

/// `[type]::Method(args)`.
pub(crate) fn static_method(ty: &str, name: &str, args: Vec<Value>) -> R<Value> {
    let t = ty.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    let n = name.to_ascii_lowercase();
    let f = |i: usize| args.get(i).and_then(Value::to_f64).unwrap_or(0.0);
    let num = |x: f64| Value::Double(x);
    match (t, n.as_str()) {
        ("math", "round") => {
            let digits = args
                .get(1)
                .and_then(Value::to_int)
                .unwrap_or(0)
                .clamp(0, 15) as i32;
            let m = 10f64.powi(digits);
            Ok(num((f(0) * m).round_ties_even() / m))
        }
        ("math", "floor") => Ok(num(f(0).floor())),
        ("math", "ceiling") => Ok(num(f(0).ceil())),
        ("math", "abs") => Ok(match args.first().and_then(Value::to_number) {
            Some(Value::Int(i)) => Value::Int(i.saturating_abs()),
            _ => num(f(0).abs()),
        }),
        ("math", "sqrt") => Ok(num(f(0).sqrt())),
        ("math", "pow") => Ok(num(f(0).powf(f(1)))),
        ("math", "max") => Ok(if f(0) >= f(1) {
            args.first().cloned().unwrap_or(Value::Null)
        } else {
            args.get(1).cloned().unwrap_or(Value::Null)
        }),
        ("math", "min") => Ok(if f(0) <= f(1) {
            args.first().cloned().unwrap_or(Value::Null)
        } else {
            args.get(1).cloned().unwrap_or(Value::Null)
        }),
        ("string", "isnullorempty") => Ok(Value::Bool(
            args.first().is_none_or(|v| v.to_ps_string().is_empty()),
        )),
        ("string", "join") => {
            let sep = arg_str(&args, 0);
            let items: Vec<String> = args
                .iter()
                .skip(1)
                .flat_map(|v| v.clone().into_items())
                .map(|v| v.to_ps_string())
                .collect();
            Ok(Value::String(items.join(&sep)))
        }
        ("string", "format") => {
            let fmt = arg_str(&args, 0);
            let rest: Vec<Value> = args.iter().skip(1).cloned().collect();
            Ok(Value::String(format_op(&fmt, &rest)))
        }
        _ => Err(Flow::error(ErrorInfo::new(
            format!(
                "Method invocation failed because [{ty}] does not contain a method named '{name}'."
            ),
            "MethodNotFound",
            ErrorCategory::InvalidOperation,
            "System.Management.Automation.RuntimeException",
        ))),
    }
}
