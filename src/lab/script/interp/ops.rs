//! PowerShell's operators and conversions: arithmetic, comparison, -f formatting, casts, indexing, and the errors they raise.

use super::*;

/// Nothing → `$null`, one item → the item, more → an array.
pub(crate) fn collapse(mut items: Vec<Value>) -> Value {
    match items.len() {
        0 => Value::Null,
        1 => items.pop().unwrap_or(Value::Null),
        _ => Value::Array(items),
    }
}

/// An ErrorRecord as a value (`$Error` entries, `$_` in scripts).
pub(crate) fn error_value(e: &ErrorInfo) -> Value {
    Value::Object {
        type_names: vec![
            "System.Management.Automation.ErrorRecord".into(),
            "System.Object".into(),
        ],
        props: vec![
            (
                "Exception".into(),
                Value::Object {
                    type_names: vec![
                        e.exception_type.clone(),
                        "System.Exception".into(),
                        "System.Object".into(),
                    ],
                    props: vec![("Message".into(), Value::str(e.message.clone()))],
                    to_string: Some(format!("{}: {}", e.exception_type, e.message)),
                },
            ),
            ("TargetObject".into(), e.target.clone()),
            (
                "CategoryInfo".into(),
                Value::Object {
                    type_names: vec![
                        "System.Management.Automation.ErrorCategoryInfo".into(),
                        "System.Object".into(),
                    ],
                    props: vec![
                        (
                            "Category".into(),
                            Value::enumeration(
                                "System.Management.Automation.ErrorCategory",
                                &e.category.name(),
                                e.category.code().into(),
                            ),
                        ),
                        ("Activity".into(), Value::str(e.activity.clone())),
                        ("Reason".into(), Value::str(e.reason())),
                        ("TargetName".into(), Value::str(e.target_name())),
                        ("TargetType".into(), Value::str(e.target_type())),
                    ],
                    to_string: Some(e.category_info()),
                },
            ),
            (
                "FullyQualifiedErrorId".into(),
                Value::str(e.fully_qualified_error_id.clone()),
            ),
        ],
        to_string: Some(e.message.clone()),
    }
}

/// Whether `catch [t]` handles an error with this exception type.
pub(super) fn catches_type(t: &str, e: &ErrorInfo) -> bool {
    let t = t.trim();
    let full = e.exception_type.as_str();
    let short = full.rsplit('.').next().unwrap_or(full);
    let tl = t.to_ascii_lowercase();
    let tl = tl.trim_start_matches("system.");
    tl == "exception"
        || full.eq_ignore_ascii_case(t)
        || short.eq_ignore_ascii_case(t)
        || ((tl == "management.automation.runtimeexception" || tl == "runtimeexception")
            && full.starts_with("System.Management.Automation."))
        || ((tl == "io.ioexception" || tl == "ioexception") && full.starts_with("System.IO."))
}

pub(super) fn throw_error(value: Value, pos: Pos) -> ErrorInfo {
    let message = match &value {
        Value::Null => "ScriptHalted".to_string(),
        other => other.to_ps_string(),
    };
    let mut e = ErrorInfo::new(
        message.clone(),
        message,
        ErrorCategory::OperationStopped,
        "System.Management.Automation.RuntimeException",
    );
    e.target = value;
    if e.target == Value::Null {
        e.fully_qualified_error_id = "ScriptHalted".into();
    }
    e.position = Some((pos.line, pos.column));
    e
}

pub(super) fn not_assignable() -> ErrorInfo {
    ErrorInfo::new(
        "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments, such as a variable or a property.",
        "InvalidLeftHandSide",
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    )
}

pub(crate) fn invalid_cast(v: &Value, ty: &str) -> ErrorInfo {
    let mut e = ErrorInfo::new(
        format!(
            "Cannot convert value \"{}\" to type \"{ty}\". Error: \"Input string was not in a correct format.\"",
            v.to_ps_string()
        ),
        "InvalidCastFromStringToInteger",
        ErrorCategory::InvalidArgument,
        "System.Management.Automation.RuntimeException",
    );
    e.target = v.clone();
    e
}

pub(super) fn runtime_error(message: String, id: &str) -> Flow {
    Flow::error(ErrorInfo::new(
        message,
        id,
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    ))
}

pub(super) fn index(o: &Value, i: &Value) -> Value {
    match (o, i) {
        (Value::Hashtable(entries), key) => {
            let k = key.to_ps_string();
            entries
                .iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(&k))
                .map_or(Value::Null, |(_, v)| v.clone())
        }
        (_, Value::Array(idxs)) => Value::Array(idxs.iter().map(|x| index(o, x)).collect()),
        (Value::Array(items), idx) => {
            let len = items.len() as i64;
            let Some(k) = idx.to_int() else {
                return Value::Null;
            };
            let k = if k < 0 { k + len } else { k };
            usize::try_from(k)
                .ok()
                .and_then(|k| items.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        }
        (Value::String(s), idx) => {
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let Some(k) = idx.to_int() else {
                return Value::Null;
            };
            let k = if k < 0 { k + len } else { k };
            usize::try_from(k)
                .ok()
                .and_then(|k| chars.get(k))
                .map_or(Value::Null, |c| Value::String(c.to_string()))
        }
        (Value::Null, _) => Value::Null,
        (other, idx) => {
            if idx.to_int() == Some(0) || idx.to_int() == Some(-1) {
                other.clone()
            } else {
                Value::Null
            }
        }
    }
}

pub(super) fn is_type(v: &Value, t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    match v {
        Value::Null => false,
        Value::Bool(_) => matches!(t, "bool" | "boolean" | "object" | "valuetype"),
        Value::Int(i) => match t {
            "int" | "int32" => i32::try_from(*i).is_ok(),
            "long" | "int64" | "valuetype" | "object" => true,
            _ => false,
        },
        Value::Double(_) => matches!(t, "double" | "valuetype" | "object"),
        Value::String(_) => matches!(t, "string" | "object"),
        Value::SecureString(_) => matches!(t, "security.securestring" | "securestring" | "object"),
        Value::DateTime(_) => matches!(t, "datetime" | "valuetype" | "object"),
        Value::Array(_) => matches!(t, "array" | "object[]" | "object"),
        Value::Hashtable(_) => matches!(t, "hashtable" | "collections.hashtable" | "object"),
        Value::ScriptBlock(_) => matches!(
            t,
            "scriptblock" | "management.automation.scriptblock" | "object"
        ),
        Value::Object { type_names, .. } | Value::Enum { type_names, .. } => {
            t == "object"
                || type_names.iter().any(|n| {
                    let n = n.to_ascii_lowercase();
                    n.trim_start_matches("system.") == t || n.rsplit('.').next() == Some(t)
                })
                || (t == "pscustomobject"
                    && type_names.iter().any(|n| n.ends_with("PSCustomObject")))
        }
    }
}

/// `[type]value`.
#[allow(clippy::result_large_err)]
pub(crate) fn cast(v: &Value, ty: &str) -> Result<Value, ErrorInfo> {
    let t = ty.to_ascii_lowercase();
    let t = t.trim_start_matches("system.");
    let num_err = || invalid_cast(v, &format!("System.{}", ty.trim_start_matches("System.")));
    match t {
        "int" | "int32" | "long" | "int64" | "byte" | "uint32" | "int16" => {
            let i = v.to_int().ok_or_else(num_err)?;
            if matches!(t, "int" | "int32") && i32::try_from(i).is_err() {
                return Err(num_err());
            }
            Ok(Value::Int(i))
        }
        "double" | "float" | "single" | "decimal" => {
            v.to_f64().map(Value::Double).ok_or_else(num_err)
        }
        "string" => Ok(Value::String(v.to_ps_string())),
        "bool" | "boolean" | "switch" => Ok(Value::Bool(v.is_true())),
        "array" | "object[]" | "string[]" | "int[]" => {
            let items = match v {
                Value::Null => Vec::new(),
                other => other.clone().into_items(),
            };
            Ok(Value::Array(match t {
                "string[]" => items
                    .into_iter()
                    .map(|i| Value::String(i.to_ps_string()))
                    .collect(),
                "int[]" => items
                    .iter()
                    .map(|i| {
                        i.to_int()
                            .map(Value::Int)
                            .ok_or_else(|| invalid_cast(i, "System.Int32"))
                    })
                    .collect::<Result<_, _>>()?,
                _ => items,
            }))
        }
        "pscustomobject" | "psobject" | "management.automation.pscustomobject" => match v {
            Value::Hashtable(entries) => Ok(Value::custom(entries.clone())),
            other => Ok(other.clone()),
        },
        "hashtable" | "collections.hashtable" | "ordered" => match v {
            Value::Hashtable(_) => Ok(v.clone()),
            _ => Err(ErrorInfo::new(
                format!(
                    "Cannot convert the \"{}\" value of type \"{}\" to type \"System.Collections.Hashtable\".",
                    v.to_ps_string(),
                    v.type_name()
                ),
                "ConvertToFinalInvalidCastException",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.RuntimeException",
            )),
        },
        "datetime" => match v {
            Value::DateTime(_) => Ok(v.clone()),
            other => {
                let offset = chrono::Utc.fix();
                value::parse_date(&other.to_ps_string(), &offset)
                    .map(Value::DateTime)
                    .ok_or_else(|| {
                        let mut e = ErrorInfo::new(
                            format!("Cannot convert value \"{}\" to type \"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"", other.to_ps_string()),
                            "InvalidCastParseTargetInvocationWithFormatProvider",
                            ErrorCategory::InvalidArgument,
                            "System.Management.Automation.RuntimeException",
                        );
                        e.target = other.clone();
                        e
                    })
            }
        },
        "void" => Ok(Value::Null),
        "scriptblock" | "management.automation.scriptblock" => Ok(Value::ScriptBlock(
            value::ScriptBlock::new(v.to_ps_string()),
        )),
        "object" => Ok(v.clone()),
        _ => Err(ErrorInfo::new(
            format!("Unable to find type [{ty}]."),
            "TypeNotFound",
            ErrorCategory::InvalidOperation,
            "System.Management.Automation.RuntimeException",
        )),
    }
}

use chrono::Offset;

pub(super) fn unary(op: UnOp, v: Value) -> R<Value> {
    match op {
        UnOp::Not => Ok(Value::Bool(!v.is_true())),
        UnOp::Neg => match v.to_number() {
            Some(Value::Int(i)) => Ok(i
                .checked_neg()
                .map(Value::Int)
                .unwrap_or(Value::Double(-(i as f64)))),
            Some(Value::Double(d)) => Ok(Value::Double(-d)),
            _ => Err(Flow::error(invalid_cast(&v, "System.Int32"))),
        },
        UnOp::Plus => v
            .to_number()
            .ok_or_else(|| Flow::error(invalid_cast(&v, "System.Int32"))),
        UnOp::Join => Ok(Value::String(match v {
            Value::Array(items) => items.iter().map(Value::to_ps_string).collect(),
            other => other.to_ps_string(),
        })),
        UnOp::Split => Ok(Value::Array(
            v.to_ps_string()
                .split_whitespace()
                .map(Value::str)
                .collect(),
        )),
    }
}

pub(super) fn divide_by_zero() -> Flow {
    Flow::error(ErrorInfo::new(
        "Attempted to divide by zero.",
        "RuntimeException",
        ErrorCategory::NotSpecified,
        "System.Management.Automation.RuntimeException",
    ))
}

pub(super) fn op_error(op: &str, a: &Value) -> Flow {
    let mut e = ErrorInfo::new(
        format!(
            "Method invocation failed because [{}] does not contain a method named '{op}'.",
            a.type_name()
        ),
        "MethodNotFound",
        ErrorCategory::InvalidOperation,
        "System.Management.Automation.RuntimeException",
    );
    e.target = Value::Null;
    Flow::error(e)
}

pub(super) fn arith(op: BinOp, a: &Value, b: &Value) -> R<Value> {
    let an = a
        .to_number()
        .ok_or_else(|| Flow::error(invalid_cast(a, "System.Int32")))?;
    let bn = b
        .to_number()
        .ok_or_else(|| Flow::error(invalid_cast(b, "System.Int32")))?;
    match (an, bn) {
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Div => {
                    if y == 0 {
                        return Err(divide_by_zero());
                    }
                    if x % y == 0 {
                        x.checked_div(y)
                    } else {
                        return Ok(Value::Double(x as f64 / y as f64));
                    }
                }
                BinOp::Rem => {
                    if y == 0 {
                        return Err(divide_by_zero());
                    }
                    x.checked_rem(y)
                }
                _ => None,
            };
            match r {
                Some(v) => Ok(Value::Int(v)),
                None => arith_f(op, x as f64, y as f64),
            }
        }
        (x, y) => {
            let xf = x.to_f64().unwrap_or(0.0);
            let yf = y.to_f64().unwrap_or(0.0);
            arith_f(op, xf, yf)
        }
    }
}

pub(super) fn arith_f(op: BinOp, x: f64, y: f64) -> R<Value> {
    Ok(Value::Double(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return Err(divide_by_zero());
            }
            x / y
        }
        BinOp::Rem => {
            if y == 0.0 {
                return Err(divide_by_zero());
            }
            x % y
        }
        _ => {
            return Err(runtime_error(
                "unsupported operator".into(),
                "RuntimeException",
            ));
        }
    }))
}

/// Binary operators (except `-match`, which also sets `$Matches`).
#[expect(
    clippy::too_many_lines,
    reason = "a table: PowerShell's binary operators"
)]
pub(crate) fn binary(op: BinOp, a: Value, b: Value) -> R<Value> {
    match op {
        BinOp::Add => match (&a, &b) {
            (Value::String(s), _) => {
                let tail = b.to_ps_string();
                if s.len().saturating_add(tail.len()) > MAX_STRING {
                    return Err(runtime_error(
                        "The string is too long for the lab endpoint.".into(),
                        "StringTooLong",
                    ));
                }
                Ok(Value::String(format!("{s}{tail}")))
            }
            (Value::Array(items), _) => {
                let mut out = items.clone();
                match b {
                    Value::Array(more) => out.extend(more),
                    other => out.push(other),
                }
                if out.len() > MAX_ARRAY {
                    return Err(runtime_error(
                        format!(
                            "The lab endpoint does not build arrays of more than {MAX_ARRAY} elements."
                        ),
                        "ArrayTooLarge",
                    ));
                }
                Ok(Value::Array(out))
            }
            (Value::Hashtable(x), Value::Hashtable(y)) => {
                let mut out = x.clone();
                for (k, v) in y {
                    if out.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)) {
                        return Err(runtime_error(
                            format!(
                                "Item has already been added. Key in dictionary: '{k}'  Key being added: '{k}'"
                            ),
                            "System.ArgumentException",
                        ));
                    }
                    out.push((k.clone(), v.clone()));
                }
                Ok(Value::Hashtable(out))
            }
            (Value::DateTime(_) | Value::Object { .. } | Value::Hashtable(_), _) => {
                Err(op_error("op_Addition", &a))
            }
            (Value::Null, _) => match b {
                Value::Null => Ok(Value::Null),
                other => Ok(other),
            },
            _ => arith(op, &a, &b),
        },
        BinOp::Mul => match (&a, &b) {
            (Value::String(s), _) => {
                let n = b
                    .to_int()
                    .ok_or_else(|| Flow::error(invalid_cast(&b, "System.Int32")))?;
                let n = usize::try_from(n).unwrap_or(0);
                if s.len().saturating_mul(n) > MAX_STRING {
                    return Err(runtime_error(
                        "The string is too long for the lab endpoint.".into(),
                        "StringTooLong",
                    ));
                }
                Ok(Value::String(s.repeat(n)))
            }
            (Value::Array(items), _) => {
                let n = usize::try_from(b.to_int().unwrap_or(0)).unwrap_or(0);
                if items.len().saturating_mul(n) > MAX_ARRAY {
                    return Err(runtime_error(
                        format!(
                            "The lab endpoint does not build arrays of more than {MAX_ARRAY} elements."
                        ),
                        "ArrayTooLarge",
                    ));
                }
                let mut out = Vec::new();
                for _ in 0..n {
                    out.extend(items.iter().cloned());
                }
                Ok(Value::Array(out))
            }
            _ => arith(op, &a, &b),
        },
        BinOp::Sub | BinOp::Div | BinOp::Rem => match (&a, &b) {
            (Value::DateTime(x), Value::DateTime(y)) if op == BinOp::Sub => Ok(timespan(*x - *y)),
            (Value::Null, _) if op == BinOp::Sub => arith(op, &Value::Int(0), &b),
            _ => arith(op, &a, &b),
        },
        BinOp::And => Ok(Value::Bool(a.is_true() && b.is_true())),
        BinOp::Or => Ok(Value::Bool(a.is_true() || b.is_true())),
        BinOp::Xor => Ok(Value::Bool(a.is_true() != b.is_true())),
        BinOp::Format => Ok(Value::String(format_op(&a.to_ps_string(), &b.into_items()))),
        BinOp::Join => {
            let sep = b.to_ps_string();
            Ok(Value::String(
                a.into_items()
                    .iter()
                    .map(Value::to_ps_string)
                    .collect::<Vec<_>>()
                    .join(&sep),
            ))
        }
        BinOp::Split => {
            let pattern = b.to_ps_string();
            let re = regex::RegexBuilder::new(&pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    runtime_error(
                        format!("The regular expression pattern {pattern} is not valid: {e}"),
                        "InvalidRegularExpression",
                    )
                })?;
            let mut out = Vec::new();
            for item in a.into_items() {
                for part in re.split(&item.to_ps_string()) {
                    out.push(Value::str(part));
                }
            }
            Ok(Value::Array(out))
        }
        BinOp::Replace { case } => {
            let (pattern, replacement) = match b {
                Value::Array(items) => {
                    let p = items.first().map(Value::to_ps_string).unwrap_or_default();
                    let r = items.get(1).map(Value::to_ps_string).unwrap_or_default();
                    (p, r)
                }
                other => (other.to_ps_string(), String::new()),
            };
            let re = regex::RegexBuilder::new(&pattern)
                .case_insensitive(!case)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    runtime_error(
                        format!("The regular expression pattern {pattern} is not valid: {e}"),
                        "InvalidRegularExpression",
                    )
                })?;
            // .NET uses $1 like the regex crate, but ${name} is spelled the same too.
            let apply =
                |s: &str| Value::String(re.replace_all(s, replacement.as_str()).into_owned());
            Ok(match a {
                Value::Array(items) => {
                    Value::Array(items.iter().map(|i| apply(&i.to_ps_string())).collect())
                }
                other => apply(&other.to_ps_string()),
            })
        }
        BinOp::Cmp { op, case, negate } => Ok(compare_op(op, case, negate, a, b)),
        BinOp::Is { negate } => Ok(Value::Bool(is_type(&a, &b.to_ps_string()) != negate)),
        BinOp::As => Ok(cast(&a, &b.to_ps_string()).unwrap_or(Value::Null)),
    }
}

pub(super) fn timespan(d: chrono::TimeDelta) -> Value {
    let ms = d.num_milliseconds();
    Value::Object {
        type_names: vec![
            "System.TimeSpan".into(),
            "System.ValueType".into(),
            "System.Object".into(),
        ],
        props: vec![
            ("Days".into(), Value::Int(ms / 86_400_000)),
            ("Hours".into(), Value::Int((ms / 3_600_000) % 24)),
            ("Minutes".into(), Value::Int((ms / 60_000) % 60)),
            ("Seconds".into(), Value::Int((ms / 1000) % 60)),
            ("Milliseconds".into(), Value::Int(ms % 1000)),
            ("Ticks".into(), Value::Int(ms.saturating_mul(10_000))),
            ("TotalDays".into(), Value::Double(ms as f64 / 86_400_000.0)),
            ("TotalHours".into(), Value::Double(ms as f64 / 3_600_000.0)),
            ("TotalMinutes".into(), Value::Double(ms as f64 / 60_000.0)),
            ("TotalSeconds".into(), Value::Double(ms as f64 / 1000.0)),
            ("TotalMilliseconds".into(), Value::Double(ms as f64)),
        ],
        to_string: Some(crate::pslang::format_timespan_ms(ms)),
    }
}

pub(super) fn compare_op(op: CmpOp, case: bool, negate: bool, a: Value, b: Value) -> Value {
    use std::cmp::Ordering::*;
    let scalar = |x: &Value, y: &Value| -> bool {
        let r = match op {
            CmpOp::Eq => value::equals(x, y, case),
            CmpOp::Gt => value::compare(x, y, case) == Some(Greater),
            CmpOp::Lt => value::compare(x, y, case) == Some(Less),
            CmpOp::Ge => matches!(value::compare(x, y, case), Some(Greater | Equal)),
            CmpOp::Le => matches!(value::compare(x, y, case), Some(Less | Equal)),
            CmpOp::Like => value::wildcard_match(&y.to_ps_string(), &x.to_ps_string(), case),
            CmpOp::Match | CmpOp::Contains | CmpOp::In => false,
        };
        r != negate
    };
    match op {
        CmpOp::Contains => {
            let found = a
                .clone()
                .into_items()
                .iter()
                .any(|i| value::equals(i, &b, case));
            Value::Bool(found != negate)
        }
        CmpOp::In => {
            let found = b
                .clone()
                .into_items()
                .iter()
                .any(|i| value::equals(i, &a, case));
            Value::Bool(found != negate)
        }
        _ => match &a {
            Value::Array(items) => {
                Value::Array(items.iter().filter(|i| scalar(i, &b)).cloned().collect())
            }
            _ => Value::Bool(scalar(&a, &b)),
        },
    }
}

/// The `-f` operator: `{index[,alignment][:format]}`.
pub(crate) fn format_op(fmt: &str, args: &[Value]) -> String {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '{' && chars.get(i + 1) == Some(&'{') {
            out.push('{');
            i += 2;
            continue;
        }
        if c == '}' && chars.get(i + 1) == Some(&'}') {
            out.push('}');
            i += 2;
            continue;
        }
        if c == '{' {
            let mut j = i + 1;
            let mut spec = String::new();
            while let Some(&d) = chars.get(j) {
                if d == '}' {
                    break;
                }
                spec.push(d);
                j += 1;
            }
            if chars.get(j) != Some(&'}') {
                out.push(c);
                i += 1;
                continue;
            }
            let (head, format) = match spec.split_once(':') {
                Some((h, f)) => (h.to_string(), Some(f.to_string())),
                None => (spec.clone(), None),
            };
            let (idx, align) = match head.split_once(',') {
                Some((x, a)) => (x.trim().to_string(), a.trim().parse::<i64>().ok()),
                None => (head.trim().to_string(), None),
            };
            let arg = idx
                .parse::<usize>()
                .ok()
                .and_then(|k| args.get(k))
                .cloned()
                .unwrap_or(Value::Null);
            let mut text = match (&arg, format.as_deref()) {
                (Value::DateTime(d), Some(f)) => value::format_datetime(d, f),
                (_, Some(f)) => format_number(&arg, f),
                _ => arg.to_ps_string(),
            };
            if let Some(a) = align {
                let w = usize::try_from(a.unsigned_abs()).unwrap_or(0).min(1024);
                let len = text.chars().count();
                if len < w {
                    let pad = " ".repeat(w - len);
                    text = if a < 0 {
                        format!("{text}{pad}")
                    } else {
                        format!("{pad}{text}")
                    };
                }
            }
            out.push_str(&text);
            i = j + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Standard numeric formats: N, F, D, P, X (en-US).
pub(crate) fn format_number(v: &Value, f: &str) -> String {
    let kind = f.chars().next().unwrap_or('G').to_ascii_uppercase();
    let prec: Option<usize> = f
        .get(1..)
        .and_then(|p| p.parse().ok())
        .map(|p: usize| p.min(30));
    let Some(x) = v.to_f64() else {
        return v.to_ps_string();
    };
    // .NET rounds half away from zero when formatting.
    let away = |x: f64, p: usize| -> f64 {
        let m = 10f64.powi(i32::try_from(p).unwrap_or(0));
        let r = (x * m).round() / m;
        if r.is_finite() { r } else { x }
    };
    let x = match kind {
        'N' | 'F' => away(x, prec.unwrap_or(2)),
        'P' => away(x * 100.0, prec.unwrap_or(2)) / 100.0,
        _ => x,
    };
    match kind {
        'N' => group_thousands(&format!("{:.*}", prec.unwrap_or(2), x)),
        'F' => format!("{:.*}", prec.unwrap_or(2), x),
        'P' => format!("{:.*} %", prec.unwrap_or(2), x * 100.0),
        'D' => format!("{:0w$}", x as i64, w = prec.unwrap_or(1)),
        'X' => format!("{:0w$X}", x as i64, w = prec.unwrap_or(1)),
        _ => v.to_ps_string(),
    }
}

pub(super) fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}
