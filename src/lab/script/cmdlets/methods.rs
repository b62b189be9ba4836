//! The .NET methods and static members the lab knows: a table.

use super::*;

pub(super) fn method_missing(v: &Value, name: &str) -> Flow {
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

pub(super) fn arg_str(args: &[Value], i: usize) -> String {
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
                super::super::interp::format_number(&v, &f.to_ps_string())
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
