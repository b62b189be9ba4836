//! Binding a command's arguments to its parameters (named, by prefix, positional), and script functions called as commands.

use super::*;

pub(super) enum Arg {
    Named(String, Option<Value>),
    Pos(Value),
}

pub(super) fn bind(info: &CmdInfo, kind: Kind, args: Vec<Arg>) -> R<Bound> {
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

/// Binds a function call's arguments to its parameters (unbound ones get their defaults
/// when the function starts). Extra positional arguments go to `$args`.
pub(super) fn bind_function(
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
            match super::super::interp::cast(v, &ty) {
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
pub(super) struct FunctionStage {
    pub(super) token: u64,
    pub(super) def: std::sync::Arc<FunctionDef>,
    pub(super) locals: Vec<(String, Value)>,
    pub(super) input: Vec<Value>,
    /// First in its pipeline (nothing flows into it).
    pub(super) first: bool,
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
                    if self.input.len() >= super::super::interp::MAX_ARRAY {
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
