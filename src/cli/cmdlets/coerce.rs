//! Coercion of bound values to parameter types (public so the executor can convert resolved variables).

use super::*;

// ---------------------------------------------------------------------------
// Coercion (public so the executor can convert resolved variables).

pub(super) fn cannot_convert(param: &str, v: &Value, type_name: &str, reason: &str) -> String {
    format!(
        "Cannot bind parameter '{param}'. Cannot convert value \"{}\" to type \"{type_name}\". Error: \"{reason}\"",
        v.display_text()
    )
}

pub(super) fn cannot_convert_type(param: &str, v: &Value, type_name: &str) -> String {
    let from = match v {
        Value::Int(_) => "System.Int32",
        Value::Double(_) => "System.Double",
        Value::Bool(_) => "System.Boolean",
        Value::ScriptBlock(_) => "System.Management.Automation.ScriptBlock",
        Value::Hashtable(_) => "System.Collections.Hashtable",
        Value::List(_) => "System.Object[]",
        _ => "System.String",
    };
    // PowerShell shows collections and hashtables by their type name.
    let shown = match v {
        Value::List(_) | Value::Hashtable(_) => from.to_owned(),
        other => other.display_text(),
    };
    format!(
        "Cannot bind parameter '{param}'. Cannot convert the \"{shown}\" value of type \"{from}\" to type \"{type_name}\"."
    )
}

pub(super) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        Value::Null => Some(String::new()),
        Value::ScriptBlock(s) => Some(s.clone()),
        _ => None,
    }
}

/// Convert a resolved value to `System.String`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_string(param: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::List(items) => Ok(items
            .iter()
            .map(Value::display_text)
            .collect::<Vec<_>>()
            .join(" ")),
        Value::Hashtable(_) => Err(cannot_convert_type(param, v, "System.String")),
        other => scalar_string(other).ok_or_else(|| cannot_convert_type(param, v, "System.String")),
    }
}

/// Convert a resolved value to `System.String[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_string_array(param: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_string(param, i)).collect(),
        other => Ok(vec![coerce_string(param, other)?]),
    }
}

/// Convert a resolved value to `System.Int32`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_int(param: &str, v: &Value) -> Result<i32, String> {
    let too_big = "Value was either too large or too small for an Int32.";
    match v {
        Value::Int(i) => {
            i32::try_from(*i).map_err(|_| cannot_convert(param, v, "System.Int32", too_big))
        }
        Value::Double(d) => {
            let r = d.round();
            if r >= f64::from(i32::MIN) && r <= f64::from(i32::MAX) {
                Ok(r as i32)
            } else {
                Err(cannot_convert(param, v, "System.Int32", too_big))
            }
        }
        Value::Bool(b) => Ok(i32::from(*b)),
        Value::String(s) => match super::super::syntax::parse_number(s.trim()) {
            Some(Value::Int(i)) => {
                i32::try_from(i).map_err(|_| cannot_convert(param, v, "System.Int32", too_big))
            }
            Some(Value::Double(_)) | None => Err(cannot_convert(
                param,
                v,
                "System.Int32",
                "Input string was not in a correct format.",
            )),
            Some(_) => Err(cannot_convert(
                param,
                v,
                "System.Int32",
                "Input string was not in a correct format.",
            )),
        },
        Value::List(items) if items.len() == 1 => coerce_int(param, &items[0]),
        _ => Err(cannot_convert_type(param, v, "System.Int32")),
    }
}

/// Convert a resolved value to `System.Int32[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_int_array(param: &str, v: &Value) -> Result<Vec<i32>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_int(param, i)).collect(),
        other => Ok(vec![coerce_int(param, other)?]),
    }
}

/// Convert a resolved value to `System.Guid`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_guid(param: &str, v: &Value) -> Result<Uuid, String> {
    let s = match v {
        Value::String(s) => s.trim(),
        _ => return Err(cannot_convert_type(param, v, "System.Guid")),
    };
    let braced = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .or_else(|| s.strip_prefix('(').and_then(|x| x.strip_suffix(')')))
        .unwrap_or(s);
    Uuid::try_parse(braced).map_err(|_| {
        cannot_convert(
            param,
            v,
            "System.Guid",
            "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
        )
    })
}

/// Convert a resolved value to `System.Guid[]`.
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_guid_array(param: &str, v: &Value) -> Result<Vec<Uuid>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_guid(param, i)).collect(),
        other => Ok(vec![coerce_guid(param, other)?]),
    }
}

/// Convert a resolved value to `System.Uri` (must be absolute).
///
/// # Errors
/// PowerShell's conversion message.
pub fn coerce_uri(param: &str, v: &Value) -> Result<String, String> {
    let s = coerce_string(param, v)?;
    let ok = s.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !rest.is_empty()
    });
    if ok {
        Ok(s)
    } else {
        Err(cannot_convert(
            param,
            v,
            "System.Uri",
            "Invalid URI: The format of the URI could not be determined.",
        ))
    }
}

pub(super) fn coerce_uri_array(param: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items.iter().map(|i| coerce_uri(param, i)).collect(),
        other => Ok(vec![coerce_uri(param, other)?]),
    }
}

pub(super) fn coerce_enum<E: PsEnum>(param: &str, v: &Value) -> Result<E, String> {
    let names = || {
        E::VARIANTS
            .iter()
            .map(|(n, _, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some((_, _, e)) = E::VARIANTS.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(t)) {
                return Ok(*e);
            }
            if let Ok(n) = t.parse::<i64>()
                && let Some((_, _, e)) = E::VARIANTS.iter().find(|(_, k, _)| *k == n) {
                    return Ok(*e);
                }
            Err(cannot_convert(
                param,
                v,
                E::TYPE_NAME,
                &format!(
                    "Unable to match the identifier name {t} to a valid enumerator name. Specify one of the following enumerator names and try again:\n{}",
                    names()
                ),
            ))
        }
        Value::Int(n) => E::VARIANTS
            .iter()
            .find(|(_, k, _)| k == n)
            .map(|(_, _, e)| *e)
            .ok_or_else(|| {
                cannot_convert(
                    param,
                    v,
                    E::TYPE_NAME,
                    &format!(
                        "Unable to match the identifier name {n} to a valid enumerator name. Specify one of the following enumerator names and try again:\n{}",
                        names()
                    ),
                )
            }),
        _ => Err(cannot_convert_type(param, v, E::TYPE_NAME)),
    }
}

/// Convert a resolved value to `OutputBufferingMode`.
///
/// # Errors
/// PowerShell's enum conversion message.
pub fn coerce_output_buffering_mode(param: &str, v: &Value) -> Result<OutputBufferingMode, String> {
    coerce_enum(param, v)
}

/// Convert a resolved value to `AuthenticationMechanism`.
///
/// # Errors
/// PowerShell's enum conversion message.
pub fn coerce_authentication(param: &str, v: &Value) -> Result<AuthenticationMechanism, String> {
    coerce_enum(param, v)
}

/// Converts to `Microsoft.WSMan.Management.AuthenticationMechanism`.
pub fn coerce_wsman_authentication(param: &str, v: &Value) -> Result<WsmanAuthentication, String> {
    coerce_enum(param, v)
}

pub(super) fn coerce_switch(param: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        Value::Null => Ok(false),
        _ => Err(format!(
            "Cannot process argument transformation on parameter '{param}'. Cannot convert value \"{}\" to type \"System.Management.Automation.SwitchParameter\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
            v.display_text()
        )),
    }
}

/// Interpret a `-Credential` argument (user name now, or deferred).
///
/// # Errors
/// PowerShell's conversion message for values that cannot be a credential.
pub fn coerce_credential(param: &str, v: &Value) -> Result<CredentialArg, String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(CredentialArg::UserName(s.clone())),
        Value::Variable(_)
        | Value::SubPipeline(_)
        | Value::SubExpression(_)
        | Value::Expandable(_) => Ok(CredentialArg::Deferred(v.clone())),
        Value::Null => Err(format!(
            "Cannot bind argument to parameter '{param}' because it is null."
        )),
        _ => Err(cannot_convert_type(param, v, Ty::Credential.type_name())),
    }
}
