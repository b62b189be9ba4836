//! Command lookup, parameter binding and the cmdlets themselves.

use std::time::Duration;

use super::ast::{CmdArg, Command, FunctionDef, ParamDef};
use super::data::{self, FsEntry};
use super::interp::{Flow, Fut, R, Rt, Sink, Stage, format_op};
use super::value::{self, ScriptBlock, SecureText, Value};
use super::{ErrorCategory, ErrorInfo, HostCall, InformationRecord, JobEvent, ProgressRecord};

mod files;
mod methods;
mod objects;
mod output;
mod specs;
mod system;
pub(crate) use methods::*;
use objects::*;
use specs::*;

mod binding;
use binding::*;

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
            // `& -Name`: PowerShell looks up a command called `-Name`.
            Some(Arg::Named(n, _)) => Value::str(format!("-{n}")),
            // `&` or `.` alone: nothing to call.
            None => {
                let mut e = ErrorInfo::new(
                    format!("Missing expression after '{}' in pipeline element.", c.name),
                    "MissingExpression",
                    ErrorCategory::ParserError,
                    "System.Management.Automation.ParseException",
                );
                e.position = Some(pos);
                return Err(Flow::error(e));
            }
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

impl Cmdlet {
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
}
