//! Between the lab's script values and CLIXML values, in the shapes Windows
//! PowerShell serialises them.

use crate::protocol::clixml::records::{
    CategoryInfo, ErrorRecord, InformationRecord, InformationalKind, InformationalRecord,
    ProgressRecord, ProgressType,
};
use crate::protocol::clixml::{Container, Primitive, PsObject, PsValue};

use super::script::{self, ErrorInfo, SecureText, Value};
use crate::protocol::psrp::session_key::SessionKey;

/// A script value as PowerShell serialises it for the client.
pub fn to_ps(value: &Value) -> PsValue {
    to_ps_keyed(value, None)
}

/// True when `value` holds a SecureString, which needs the session key.
pub fn holds_secure_string(value: &Value) -> bool {
    match value {
        Value::SecureString(_) => true,
        Value::Array(items) => items.iter().any(holds_secure_string),
        Value::Object { props, .. } => props.iter().any(|(_, v)| holds_secure_string(v)),
        Value::Hashtable(entries) => entries.iter().any(|(_, v)| holds_secure_string(v)),
        _ => false,
    }
}

/// [`to_ps`] with the session key: SecureStrings become `<SS>` encrypted
/// with it. Without a key a SecureString goes as an empty
/// `System.Security.SecureString` object (its text never leaves).
pub fn to_ps_keyed(value: &Value, key: Option<&SessionKey>) -> PsValue {
    let to_ps = |v: &Value| to_ps_keyed(v, key);
    match value {
        Value::SecureString(text) => match key {
            Some(k) => PsValue::Primitive(Primitive::SecureString(k.encrypt(text.reveal()))),
            None => PsObject::with_types(&["System.Security.SecureString", "System.Object"])
                .with_to_string("System.Security.SecureString")
                .into(),
        },
        Value::Null => PsValue::NIL,
        Value::Bool(b) => PsValue::from(*b),
        Value::Int(i) => match i32::try_from(*i) {
            Ok(v) => PsValue::from(v),
            Err(_) => PsValue::from(*i),
        },
        Value::Double(d) => PsValue::Primitive(Primitive::F64(*d)),
        Value::String(s) => PsValue::str(s.clone()),
        Value::DateTime(dt) => PsValue::Primitive(Primitive::DateTime(
            crate::protocol::clixml::value::format_datetime(dt),
        )),
        Value::Array(items) => {
            PsObject::with_types(&["System.Object[]", "System.Array", "System.Object"])
                .with_container(Container::List(items.iter().map(&to_ps).collect()))
                .into()
        }
        Value::Object {
            type_names, props, ..
        } => {
            // The value's ToString follows PowerShell's rules (its own text, or the type name).
            let mut o = PsObject::with_types(type_names).with_to_string(value.to_ps_string());
            for (k, v) in props {
                o = o.with_prop(k.clone(), to_ps(v));
            }
            o.into()
        }
        Value::Enum {
            type_names,
            name,
            value,
        } => PsObject::enumeration(type_names, name, i32::try_from(*value).unwrap_or(0)).into(),
        Value::ScriptBlock(sb) => PsValue::Primitive(Primitive::ScriptBlock(sb.text.clone())),
        Value::Hashtable(entries) => {
            PsObject::with_types(&["System.Collections.Hashtable", "System.Object"])
                .with_container(Container::Dictionary(
                    entries
                        .iter()
                        .map(|(k, v)| (PsValue::str(k.clone()), to_ps(v)))
                        .collect(),
                ))
                .into()
        }
    }
}

/// A CLIXML value sent by a client (arguments, input, host answers) as a
/// script value. A SecureString (`<SS>`) is decrypted with the session key;
/// one that arrives before a key was exchanged, or that the key does not
/// decrypt, is refused, as Windows refuses it.
pub fn from_ps(value: &PsValue, key: Option<&SessionKey>) -> Result<Value, String> {
    let from_ps = |v: &PsValue| from_ps(v, key);
    if let Some(list) = value.as_list() {
        return Ok(Value::Array(
            list.iter().map(from_ps).collect::<Result<_, _>>()?,
        ));
    }
    if let Some(dict) = value.as_dict() {
        return Ok(Value::Hashtable(
            dict.iter()
                .map(|(k, v)| {
                    Ok((
                        k.as_str().map(str::to_owned).unwrap_or_default(),
                        from_ps(v)?,
                    ))
                })
                .collect::<Result<_, String>>()?,
        ));
    }
    if let Some(obj) = value.as_object()
        && obj.value.is_none()
    {
        return Ok(Value::Object {
            type_names: obj.type_names.clone(),
            props: obj
                .properties()
                .map(|(k, v)| Ok((k.to_owned(), from_ps(v)?)))
                .collect::<Result<_, String>>()?,
            to_string: obj.to_string.clone(),
        });
    }
    Ok(match value.primitive() {
        None | Some(Primitive::Nil) => Value::Null,
        Some(Primitive::Bool(b)) => Value::Bool(*b),
        Some(Primitive::Str(s)) => Value::String(s.clone()),
        Some(Primitive::F32(f)) => Value::Double(f64::from(*f)),
        Some(Primitive::F64(f)) => Value::Double(*f),
        Some(Primitive::SecureString(data)) => {
            let key = key.ok_or(
                "a SecureString arrived before the session key was exchanged (PUBLIC_KEY)",
            )?;
            let text = key.decrypt(data).map_err(|e| e.to_string())?;
            Value::SecureString(SecureText::new(text.as_str()))
        }
        Some(p) => match p.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::String(p.as_str().map(str::to_owned).unwrap_or_default()),
        },
    })
}

/// An error of a script as the ErrorRecord Windows sends.
pub fn error_record(e: &ErrorInfo) -> PsValue {
    let mut r = ErrorRecord::new(&e.exception_type, &e.message, &e.fully_qualified_error_id);
    r.category = CategoryInfo {
        category: e.category.code(),
        activity: e.activity.clone(),
        reason: e.reason().to_owned(),
        target_name: e.target_name(),
        target_type: e.target_type(),
        message: String::new(),
    };
    r.category.message = r.category.summary();
    r.target_object = to_ps(&e.target);
    r.to_value()
}

/// A warning, verbose or debug message as its record.
pub fn informational(kind: InformationalKind, message: &str) -> PsValue {
    InformationalRecord::new(kind, message).to_value()
}

/// A progress record.
pub fn progress(p: &script::ProgressRecord) -> PsValue {
    ProgressRecord {
        activity: p.activity.clone(),
        activity_id: p.activity_id,
        status_description: p.status.clone(),
        current_operation: p.current_operation.clone(),
        parent_activity_id: p.parent_id,
        percent_complete: p.percent,
        seconds_remaining: p.seconds_remaining,
        record_type: if p.completed {
            ProgressType::Completed
        } else {
            ProgressType::Processing
        },
    }
    .to_value()
}

/// An information record (Write-Information, Write-Host).
pub fn information(i: &script::InformationRecord) -> PsValue {
    InformationRecord {
        message_data: to_ps(&i.message_data),
        source: i.source.clone(),
        time_generated: crate::protocol::clixml::value::format_datetime(&i.time_generated),
        tags: i.tags.clone(),
        user: i.user.clone(),
        computer: i.computer.clone(),
        process_id: i.process_id,
        native_thread_id: 1,
        managed_thread_id: 1,
    }
    .to_value()
}
