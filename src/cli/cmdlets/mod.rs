//! The command table and PowerShell-style parameter binding for the remoting
//! cmdlets.
//!
//! Binding follows PowerShell's parameter binder: named parameters first
//! (exact name or alias, else a unique prefix), then positional arguments in
//! position order among the parameter sets still possible, then pipeline
//! input by value, then parameter-set resolution (mandatory parameters,
//! default set). Error messages and error ids are PowerShell's.
//!
//! The result is a typed [`Invocation`]. Values that depend on variables,
//! sub-pipelines or pipeline input stay symbolic ([`Arg::Deferred`],
//! [`SessionTarget::Pipeline`]) for the executor, which can convert them after
//! resolving with the `coerce_*` functions.

use super::syntax::{Argument, CommandCall, PipelineElement, Value};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

mod build;
mod coerce;
mod describe;
mod table;
mod types;
use build::*;
pub use coerce::*;
pub use describe::*;
use table::*;
pub use types::*;

const ALL: &str = "__AllParameterSets";

/// An enum PowerShell converts from strings (case-insensitive names) or defined integers.
trait PsEnum: Sized + Copy + 'static {
    const TYPE_NAME: &'static str;
    const VARIANTS: &'static [(&'static str, i64, Self)];
}

macro_rules! ps_enum {
    ($t:ty, $name:expr, [$(($s:expr, $n:expr, $v:expr)),* $(,)?]) => {
        impl PsEnum for $t {
            const TYPE_NAME: &'static str = $name;
            const VARIANTS: &'static [(&'static str, i64, Self)] = &[$(($s, $n, $v)),*];
        }
    };
}

ps_enum!(
    OutputBufferingMode,
    "System.Management.Automation.Runspaces.OutputBufferingMode",
    [
        ("None", 0, OutputBufferingMode::None),
        ("Drop", 1, OutputBufferingMode::Drop),
        ("Block", 2, OutputBufferingMode::Block),
    ]
);
ps_enum!(
    AuthenticationMechanism,
    "System.Management.Automation.Runspaces.AuthenticationMechanism",
    [
        ("Default", 0, AuthenticationMechanism::Default),
        ("Basic", 1, AuthenticationMechanism::Basic),
        ("Negotiate", 2, AuthenticationMechanism::Negotiate),
        (
            "NegotiateWithImplicitCredential",
            3,
            AuthenticationMechanism::NegotiateWithImplicitCredential
        ),
        ("Credssp", 4, AuthenticationMechanism::Credssp),
        ("Digest", 5, AuthenticationMechanism::Digest),
        ("Kerberos", 6, AuthenticationMechanism::Kerberos),
    ]
);
ps_enum!(
    WsmanAuthentication,
    "Microsoft.WSMan.Management.AuthenticationMechanism",
    [
        ("None", 0, WsmanAuthentication::None),
        ("Default", 1, WsmanAuthentication::Default),
        ("Digest", 2, WsmanAuthentication::Digest),
        ("Negotiate", 4, WsmanAuthentication::Negotiate),
        ("Basic", 8, WsmanAuthentication::Basic),
        ("Kerberos", 16, WsmanAuthentication::Kerberos),
        (
            "ClientCertificate",
            32,
            WsmanAuthentication::ClientCertificate
        ),
        ("Credssp", 128, WsmanAuthentication::Credssp),
    ]
);
ps_enum!(
    SessionFilterState,
    "Microsoft.PowerShell.Commands.SessionFilterState",
    [
        ("All", 0, SessionFilterState::All),
        ("Opened", 1, SessionFilterState::Opened),
        ("Disconnected", 2, SessionFilterState::Disconnected),
        ("Closed", 3, SessionFilterState::Closed),
        ("Broken", 4, SessionFilterState::Broken),
    ]
);
ps_enum!(
    OutTarget,
    "Microsoft.PowerShell.Commands.OutTarget",
    [
        ("Default", 0, OutTarget::Default),
        ("Host", 1, OutTarget::Host),
        ("Job", 2, OutTarget::Job),
    ]
);
ps_enum!(
    ProxyAccessType,
    "System.Management.Automation.Remoting.ProxyAccessType",
    [
        ("None", 0, ProxyAccessType::None),
        ("IEConfig", 1, ProxyAccessType::IEConfig),
        ("WinHttpConfig", 2, ProxyAccessType::WinHttpConfig),
        ("AutoDetect", 4, ProxyAccessType::AutoDetect),
        ("NoProxyServer", 8, ProxyAccessType::NoProxyServer),
    ]
);

/// Canonical names of every command this command line knows.
#[must_use]
pub fn command_names() -> Vec<&'static str> {
    CMDLETS.iter().map(|c| c.name).collect()
}

/// The canonical name of a command typed as `name` (case-insensitive, aliases
/// and the `Microsoft.PowerShell.Core\` module qualifier accepted).
#[must_use]
pub fn resolve_command_name(name: &str) -> Option<&'static str> {
    find_cmdlet(name).map(|c| c.name)
}

fn find_cmdlet(name: &str) -> Option<&'static CmdletDef> {
    let bare = name.rsplit('\\').next().unwrap_or(name);
    CMDLETS.iter().copied().find(|c| {
        c.name.eq_ignore_ascii_case(bare) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(bare))
    })
}

// ---------------------------------------------------------------------------
// Errors.

fn err(
    cmd: &CmdletDef,
    id: &str,
    category: &str,
    exception: &str,
    message: String,
    offset: usize,
) -> Box<BindError> {
    Box::new(BindError {
        command: cmd.name.to_owned(),
        message,
        error_id: id.to_owned(),
        fully_qualified_error_id: format!("{id},{}", cmd.class),
        category: category.to_owned(),
        target: String::new(),
        exception: exception.to_owned(),
        offset,
    })
}

fn binding_err(cmd: &CmdletDef, id: &str, message: String, offset: usize) -> Box<BindError> {
    err(
        cmd,
        id,
        "InvalidArgument",
        "ParameterBindingException",
        message,
        offset,
    )
}

// ---------------------------------------------------------------------------
// Binding.

struct BoundParam {
    def: &'static ParamDef,
    value: Value,
    offset: usize,
}

struct Bound {
    cmd: &'static CmdletDef,
    set: &'static str,
    params: Vec<BoundParam>,
    pipeline_param: Option<&'static str>,
    common: CommonParameters,
    offset: usize,
}

fn param_in_set(def: &ParamDef, set: &str) -> Option<SetSpec> {
    def.sets
        .iter()
        .find(|s| s.set == set || s.set == ALL)
        .copied()
}

fn resolve_param(
    cmd: &'static CmdletDef,
    typed: &str,
    offset: usize,
) -> Result<&'static ParamDef, Box<BindError>> {
    let all = cmd.params.iter().chain(COMMON.iter());
    for def in all.clone() {
        if def.name.eq_ignore_ascii_case(typed)
            || def.aliases.iter().any(|a| a.eq_ignore_ascii_case(typed))
        {
            return Ok(def);
        }
    }
    let lower = typed.to_ascii_lowercase();
    let mut matches: Vec<&'static ParamDef> = Vec::new();
    for def in all {
        let hit = def.name.to_ascii_lowercase().starts_with(&lower)
            || def
                .aliases
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with(&lower));
        if hit && !matches.iter().any(|m| std::ptr::eq(*m, def)) {
            matches.push(def);
        }
    }
    match matches.len() {
        0 => Err(binding_err(
            cmd,
            "NamedParameterNotFound",
            format!("A parameter cannot be found that matches parameter name '{typed}'."),
            offset,
        )),
        1 => Ok(matches[0]),
        _ => {
            let list: Vec<String> = matches.iter().map(|m| format!("-{}", m.name)).collect();
            Err(binding_err(
                cmd,
                "AmbiguousParameter",
                format!(
                    "Parameter cannot be processed because the parameter name '{typed}' is ambiguous. Possible matches include: {}.",
                    list.join(" ")
                ),
                offset,
            ))
        }
    }
}

fn is_common(def: &ParamDef) -> bool {
    COMMON.iter().any(|c| std::ptr::eq(c, def))
}

/// How well a literal value fits a parameter type (higher is better; 0 = not at all).
fn affinity(ty: Ty, v: &Value) -> u8 {
    let dynamic = matches!(
        v,
        Value::Variable(_) | Value::SubPipeline(_) | Value::SubExpression(_)
    );
    match ty {
        Ty::Sessions => {
            if dynamic {
                4
            } else if let Value::List(items) = v {
                if items.iter().all(|i| affinity(Ty::Sessions, i) > 0) {
                    4
                } else {
                    0
                }
            } else {
                0
            }
        }
        Ty::ScriptBlock => match v {
            Value::ScriptBlock(_) => 4,
            _ if dynamic => 2,
            _ => 0,
        },
        Ty::Int32 | Ty::Int32Array => match v {
            Value::Int(_) => 3,
            Value::List(items) if items.iter().all(|i| matches!(i, Value::Int(_))) => 3,
            _ if dynamic => 1,
            _ => 0,
        },
        Ty::ObjectArray | Ty::Object => 1,
        _ => match v {
            Value::ScriptBlock(_) => 0,
            Value::String(_) | Value::Expandable(_) => 3,
            Value::List(_) | Value::Int(_) => 2,
            _ if dynamic => 1,
            _ => 1,
        },
    }
}

/// Bind one command call. `has_pipeline_input` is true when the command is
/// not first in its pipeline (or follows an expression).
///
/// # Errors
/// [`BindError`] with PowerShell's message for unknown commands or
/// parameters, ambiguous names, missing or unconvertible arguments,
/// validation failures and unresolvable parameter sets.
pub fn bind(call: &CommandCall, has_pipeline_input: bool) -> Result<BoundCommand, Box<BindError>> {
    let Some(cmd) = find_cmdlet(&call.name) else {
        return Err(Box::new(BindError {
            command: call.name.clone(),
            message: format!(
                "The term '{}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
                call.name
            ),
            error_id: "CommandNotFoundException".into(),
            fully_qualified_error_id: "CommandNotFoundException".into(),
            category: "ObjectNotFound".into(),
            target: format!("{}:String", call.name),
            exception: "CommandNotFoundException".into(),
            offset: call.offset,
        }));
    };
    // `<cmdlet> -?` is `Get-Help <cmdlet>`, whatever else is on the line.
    if call
        .args
        .iter()
        .any(|a| matches!(a, Argument::Parameter { name, .. } if name == "?"))
    {
        return Ok(BoundCommand {
            cmdlet: GET_HELP.name,
            parameter_set: GET_HELP.default_set,
            invocation: Invocation::GetHelp {
                name: Some(Arg::Value(cmd.name.to_owned())),
                view: HelpView::Summary,
            },
            common: CommonParameters::default(),
        });
    }
    let bound = bind_generic(cmd, call, has_pipeline_input)?;
    let invocation = build(&bound)?;
    Ok(BoundCommand {
        cmdlet: cmd.name,
        parameter_set: bound.set,
        invocation,
        common: bound.common,
    })
}

/// Bind every command of a pipeline (the first element may be an expression).
///
/// # Errors
/// The first binding error in pipeline order.
pub fn bind_pipeline(
    pipeline: &super::syntax::Pipeline,
) -> Result<Vec<Option<BoundCommand>>, Box<BindError>> {
    let mut out = Vec::new();
    for (i, el) in pipeline.elements.iter().enumerate() {
        match el {
            PipelineElement::Command(c) => out.push(Some(bind(c, i > 0)?)),
            PipelineElement::Expression(_) => out.push(None),
        }
    }
    Ok(out)
}

/// Named arguments (`-Name value`, `-Switch`, `-Name:value`) and common
/// parameters; positional values are kept, in order, for later.
#[allow(clippy::type_complexity)]
fn bind_named(
    cmd: &'static CmdletDef,
    call: &CommandCall,
) -> Result<(Vec<BoundParam>, Vec<(Value, usize)>, CommonParameters), Box<BindError>> {
    let mut named: Vec<BoundParam> = Vec::new();
    let mut positional: Vec<(Value, usize)> = Vec::new();
    let mut common = CommonParameters::new();
    let mut i = 0;
    while let Some(arg) = call.args.get(i) {
        i += 1;
        match arg {
            Argument::Value { value, offset } => positional.push((value.clone(), *offset)),
            Argument::Parameter {
                name,
                value,
                offset,
            } => {
                let def = resolve_param(cmd, name, *offset)?;
                let v = if def.ty == Ty::Switch {
                    value.clone().unwrap_or(Value::Bool(true))
                } else if let Some(v) = value {
                    v.clone()
                } else {
                    match call.args.get(i) {
                        Some(Argument::Value { value, .. }) => {
                            i += 1;
                            value.clone()
                        }
                        _ => {
                            return Err(binding_err(
                                cmd,
                                "MissingArgument",
                                format!(
                                    "Missing an argument for parameter '{}'. Specify a parameter of type '{}' and try again.",
                                    def.name,
                                    def.ty.type_name()
                                ),
                                *offset,
                            ));
                        }
                    }
                };
                if is_common(def) {
                    if common.contains_key(def.name) {
                        return Err(already_bound(cmd, def.name, *offset));
                    }
                    common.insert(def.name.to_owned(), v);
                    continue;
                }
                if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                    return Err(already_bound(cmd, def.name, *offset));
                }
                named.push(BoundParam {
                    def,
                    value: v,
                    offset: *offset,
                });
            }
        }
    }
    Ok((named, positional, common))
}

/// Positional arguments, in order: each to the unbound parameter at the
/// lowest position of the candidate sets, by type affinity, then the
/// default set; the candidates narrow as parameters bind.
fn bind_positional(
    cmd: &'static CmdletDef,
    positional: Vec<(Value, usize)>,
    named: &mut Vec<BoundParam>,
    candidates: &mut Vec<&'static str>,
) -> Result<(), Box<BindError>> {
    for (value, offset) in positional {
        // Unbound parameters with a position in some candidate set.
        let mut slots: Vec<(u8, &'static ParamDef, &'static str)> = Vec::new();
        for def in cmd.params {
            if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                continue;
            }
            for set in candidates.iter() {
                if let Some(spec) = param_in_set(def, set)
                    && let Some(pos) = spec.position
                {
                    slots.push((pos, def, set));
                }
            }
        }
        let Some(min_pos) = slots.iter().map(|s| s.0).min() else {
            return Err(binding_err(
                cmd,
                "PositionalParameterNotFound",
                format!(
                    "A positional parameter cannot be found that accepts argument '{}'.",
                    value.display_text()
                ),
                offset,
            ));
        };
        // Among the params at the lowest position, pick by type affinity, then default set.
        let mut best: Option<(u8, bool, &'static ParamDef)> = None;
        for (pos, def, set) in &slots {
            if *pos != min_pos {
                continue;
            }
            let score = affinity(def.ty, &value);
            let is_default = *set == cmd.default_set;
            let better = match best {
                None => true,
                Some((bs, bd, _)) => score > bs || (score == bs && is_default && !bd),
            };
            if better {
                best = Some((score, is_default, def));
            }
        }
        let Some((_, _, def)) = best else {
            return Err(ambiguous_set(cmd, offset));
        };
        named.push(BoundParam { def, value, offset });
        candidates.retain(|set| param_in_set(def, set).is_some());
    }
    Ok(())
}

/// Pipeline input by value: the first unbound parameter that takes it in a
/// candidate set (the candidates narrow to its sets); None without input.
fn bind_pipeline_input(
    cmd: &'static CmdletDef,
    call: &CommandCall,
    has_pipeline_input: bool,
    named: &[BoundParam],
    candidates: &mut Vec<&'static str>,
) -> Result<Option<&'static str>, Box<BindError>> {
    if has_pipeline_input {
        let mut target: Option<&'static ParamDef> = None;
        for def in cmd.params {
            if named.iter().any(|b| std::ptr::eq(b.def, def)) {
                continue;
            }
            if candidates
                .iter()
                .any(|set| param_in_set(def, set).is_some_and(|s| s.pipeline))
            {
                target = Some(def);
                break;
            }
        }
        match target {
            Some(def) => {
                let narrowed: Vec<&'static str> = candidates
                    .iter()
                    .copied()
                    .filter(|set| param_in_set(def, set).is_some_and(|s| s.pipeline))
                    .collect();
                if !narrowed.is_empty() {
                    *candidates = narrowed;
                }
                Ok(Some(def.name))
            }
            None => Err(err(
                    cmd,
                    "InputObjectNotBound",
                    "InvalidArgument",
                    "ParameterBindingException",
                    "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.".into(),
                    call.offset,
                )),
        }
    } else {
        Ok(None)
    }
}

/// The parameter set: among the candidates, those whose mandatory
/// parameters are all bound; the default set when several are, else the
/// one set with a bound mandatory parameter, else ambiguous.
fn resolve_set(
    cmd: &'static CmdletDef,
    call: &CommandCall,
    named: &[BoundParam],
    candidates: &[&'static str],
    pipeline_param: Option<&'static str>,
) -> Result<&'static str, Box<BindError>> {
    let is_bound = |def: &ParamDef| {
        named.iter().any(|b| std::ptr::eq(b.def, def)) || pipeline_param == Some(def.name)
    };
    let satisfied: Vec<&'static str> = candidates
        .iter()
        .copied()
        .filter(|set| {
            cmd.params
                .iter()
                .all(|def| param_in_set(def, set).is_none_or(|s| !s.mandatory || is_bound(def)))
        })
        .collect();
    let set = match satisfied.len() {
        0 => {
            let report_set = if candidates.contains(&cmd.default_set) {
                cmd.default_set
            } else {
                candidates.first().copied().unwrap_or(cmd.default_set)
            };
            let missing: Vec<&str> = cmd
                .params
                .iter()
                .filter(|def| {
                    param_in_set(def, report_set).is_some_and(|s| s.mandatory) && !is_bound(def)
                })
                .map(|def| def.name)
                .collect();
            return Err(binding_err(
                cmd,
                "MissingMandatoryParameter",
                format!(
                    "Cannot process command because of one or more missing mandatory parameters: {}.",
                    missing.join(" ")
                ),
                call.offset,
            ));
        }
        1 => satisfied[0],
        _ => {
            if satisfied.contains(&cmd.default_set) {
                cmd.default_set
            } else {
                // Prefer a set in which every bound parameter is mandatory-or-positional
                // only when exactly one set has no unbound mandatory parameters *and*
                // minimal size; otherwise it is ambiguous, as in PowerShell.
                let with_mandatory: Vec<&'static str> = satisfied
                    .iter()
                    .copied()
                    .filter(|set| {
                        cmd.params.iter().any(|def| {
                            param_in_set(def, set).is_some_and(|s| s.mandatory) && is_bound(def)
                        })
                    })
                    .collect();
                if with_mandatory.len() == 1 {
                    with_mandatory[0]
                } else {
                    return Err(ambiguous_set(cmd, call.offset));
                }
            }
        }
    };
    Ok(set)
}

fn bind_generic(
    cmd: &'static CmdletDef,
    call: &CommandCall,
    has_pipeline_input: bool,
) -> Result<Bound, Box<BindError>> {
    let (mut named, positional, common) = bind_named(cmd, call)?;
    // Candidate sets: those that contain every named parameter.
    let mut candidates: Vec<&'static str> = cmd
        .sets
        .iter()
        .copied()
        .filter(|set| named.iter().all(|b| param_in_set(b.def, set).is_some()))
        .collect();
    if candidates.is_empty() {
        return Err(ambiguous_set(cmd, call.offset));
    }
    bind_positional(cmd, positional, &mut named, &mut candidates)?;
    let pipeline_param =
        bind_pipeline_input(cmd, call, has_pipeline_input, &named, &mut candidates)?;
    let set = resolve_set(cmd, call, &named, &candidates, pipeline_param)?;

    // Validate values (conversion happens in `build`, ranges here).
    for b in &named {
        if let Some((lo, hi)) = b.def.range {
            check_range(cmd, b, lo, hi)?;
        }
    }

    Ok(Bound {
        cmd,
        set,
        params: named,
        pipeline_param,
        common,
        offset: call.offset,
    })
}

fn already_bound(cmd: &CmdletDef, name: &str, offset: usize) -> Box<BindError> {
    binding_err(
        cmd,
        "ParameterAlreadyBound",
        format!(
            "Cannot bind parameter because parameter '{name}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\"."
        ),
        offset,
    )
}

fn ambiguous_set(cmd: &CmdletDef, offset: usize) -> Box<BindError> {
    binding_err(
        cmd,
        "AmbiguousParameterSet",
        "Parameter set cannot be resolved using the specified named parameters.".into(),
        offset,
    )
}

fn check_range(cmd: &CmdletDef, b: &BoundParam, lo: i64, hi: i64) -> Result<(), Box<BindError>> {
    let items: Vec<&Value> = match &b.value {
        Value::List(l) => l.iter().collect(),
        v => vec![v],
    };
    for v in items {
        let n = match v {
            Value::Int(n) => *n,
            _ => continue,
        };
        let msg = if n < lo {
            format!(
                "Cannot validate argument on parameter '{}'. The {n} argument is less than the minimum allowed range of {lo}. Supply an argument that is greater than or equal to {lo} and then try the command again.",
                b.def.name
            )
        } else if n > hi {
            // Values beyond Int32 fail conversion first, as in PowerShell.
            if n > I32MAX {
                continue;
            }
            format!(
                "Cannot validate argument on parameter '{}'. The {n} argument is greater than the maximum allowed range of {hi}. Supply an argument that is less than or equal to {hi} and then try the command again.",
                b.def.name
            )
        } else {
            continue;
        };
        return Err(err(
            cmd,
            "ParameterArgumentValidationError",
            "InvalidData",
            "ParameterBindingValidationException",
            msg,
            b.offset,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::syntax::{Statement, parse};

    fn bind_line(line: &str) -> Result<Vec<BoundCommand>, Box<BindError>> {
        let stmts = parse(line).expect("parses");
        let mut out = Vec::new();
        for s in stmts {
            let p = match s {
                Statement::Pipeline(p) => p,
                Statement::Assignment { pipeline, .. } => pipeline,
            };
            for b in bind_pipeline(&p)?.into_iter().flatten() {
                out.push(b);
            }
        }
        Ok(out)
    }

    #[test]
    fn every_table_param_resolves_to_itself() {
        for cmd in CMDLETS {
            for def in cmd.params {
                let got = resolve_param(cmd, def.name, 0).expect("exact name");
                assert!(std::ptr::eq(got, def), "{} -{}", cmd.name, def.name);
                for a in def.aliases {
                    let got = resolve_param(cmd, a, 0).expect("alias");
                    assert!(std::ptr::eq(got, def), "{} -{a}", cmd.name);
                }
                for spec in def.sets {
                    assert!(
                        spec.set == ALL || cmd.sets.contains(&spec.set),
                        "{} -{} names unknown set {}",
                        cmd.name,
                        def.name,
                        spec.set
                    );
                }
            }
            assert!(cmd.sets.contains(&cmd.default_set), "{}", cmd.name);
        }
    }

    #[test]
    fn throttle_limit_zero_means_32() {
        let b = bind_line("Disconnect-PSSession -Name x -ThrottleLimit 0").expect("binds");
        match &b[0].invocation {
            Invocation::DisconnectPSSession(d) => assert_eq!(d.throttle_limit, 32),
            other => panic!("{other:?}"),
        }
        let b = bind_line("Disconnect-PSSession -Name x -ThrottleLimit 5").expect("binds");
        match &b[0].invocation {
            Invocation::DisconnectPSSession(d) => assert_eq!(d.throttle_limit, 5),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn enum_conversion_accepts_numbers_and_any_case() {
        assert_eq!(
            coerce_output_buffering_mode("X", &Value::String("drop".into())),
            Ok(OutputBufferingMode::Drop)
        );
        assert_eq!(
            coerce_output_buffering_mode("X", &Value::Int(2)),
            Ok(OutputBufferingMode::Block)
        );
        assert!(coerce_output_buffering_mode("X", &Value::Int(7)).is_err());
    }

    #[test]
    fn guid_forms() {
        let g = "6c5e9f2a-1b2c-4d3e-8f90-a1b2c3d4e5f6";
        for form in [g.to_owned(), format!("{{{g}}}"), g.to_uppercase()] {
            assert!(coerce_guid("InstanceId", &Value::String(form)).is_ok());
        }
    }
}
