//! PowerShell values as the lab's interpreter sees them, with PowerShell's
//! conversion rules (to string, to number, to bool) and comparisons.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::ast::Block;

/// A value flowing through a pipeline. The lead serializes these to CLIXML.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `$null` (CLIXML `Nil`).
    #[default]
    Null,
    /// `System.Boolean`.
    Bool(bool),
    /// Integers (`System.Int32` when it fits, else `System.Int64`).
    Int(i64),
    /// `System.Double`.
    Double(f64),
    /// `System.String`.
    String(String),
    /// `System.DateTime` in the emulated computer's local offset.
    DateTime(DateTime<FixedOffset>),
    /// An array (`System.Object[]`).
    Array(Vec<Value>),
    /// A (PowerShell or .NET) object: type names (most derived first), properties in order,
    /// and its `ToString()` when it differs from the first type name.
    Object {
        /// Type names, most derived first (CLIXML `TN`).
        type_names: Vec<String>,
        /// Properties in display order (CLIXML `Props`/`MS`).
        props: Vec<(String, Value)>,
        /// `ToString()`; `None` means the first type name.
        to_string: Option<String>,
    },
    /// An enumeration value such as `ServiceControllerStatus.Running` (CLIXML: `Obj` with
    /// `TN`, `ToString` = name and an `I32` = value).
    Enum {
        /// Type names, most derived first (e.g. `System.ServiceProcess.ServiceControllerStatus`,
        /// `System.Enum`, `System.ValueType`, `System.Object`).
        type_names: Vec<String>,
        /// The member name (its `ToString()`).
        name: String,
        /// The numeric value.
        value: i64,
    },
    /// A script block (CLIXML `SBK`).
    ScriptBlock(ScriptBlock),
    /// A hashtable with keys in insertion order (keys compare case-insensitively).
    Hashtable(Vec<(String, Value)>),
    /// `System.Security.SecureString` (CLIXML `SS`, encrypted with the
    /// session key on the wire): its text is never shown.
    SecureString(SecureText),
}

/// The text of a SecureString, wiped when dropped and never printed.
#[derive(Clone, PartialEq, Default)]
pub struct SecureText(zeroize::Zeroizing<String>);

impl SecureText {
    /// A SecureString holding `text`.
    pub fn new(text: impl Into<String>) -> Self {
        SecureText(zeroize::Zeroizing::new(text.into()))
    }

    /// The text, for the session-key encryption and `ConvertFrom-SecureString -AsPlainText`.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// `SecureString.Length`: UTF-16 code units, as .NET counts them.
    pub fn length(&self) -> i64 {
        self.0.encode_utf16().count() as i64
    }
}

impl fmt::Debug for SecureText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecureText(..)")
    }
}

/// A script block value: its text, and the parsed body when it was written in a script.
#[derive(Clone)]
pub struct ScriptBlock {
    /// The text between the braces.
    pub text: String,
    pub(crate) ast: Option<Arc<Block>>,
}

impl ScriptBlock {
    /// A script block from text (parsed when invoked).
    pub fn new(text: impl Into<String>) -> Self {
        ScriptBlock {
            text: text.into(),
            ast: None,
        }
    }
}

impl fmt::Debug for ScriptBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScriptBlock({:?})", self.text)
    }
}

impl PartialEq for ScriptBlock {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// Type names of a `PSCustomObject`.
pub const PSCUSTOMOBJECT: &[&str] = &[
    "System.Management.Automation.PSCustomObject",
    "System.Object",
];

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object with the given type names and properties, `ToString()` = first type name.
    pub fn object(type_names: &[&str], props: Vec<(String, Value)>) -> Value {
        Value::Object {
            type_names: type_names
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            props,
            to_string: None,
        }
    }

    /// A `PSCustomObject` with the given properties.
    pub fn custom(props: Vec<(String, Value)>) -> Value {
        Value::object(PSCUSTOMOBJECT, props)
    }

    /// An enumeration value.
    pub fn enumeration(type_name: &str, name: &str, value: i64) -> Value {
        Value::Enum {
            type_names: vec![
                type_name.to_string(),
                "System.Enum".to_string(),
                "System.ValueType".to_string(),
                "System.Object".to_string(),
            ],
            name: name.to_string(),
            value,
        }
    }

    /// The .NET type name PowerShell reports for this value (`$x.GetType().FullName`).
    pub fn type_name(&self) -> String {
        match self {
            Value::Null => "System.Object".into(),
            Value::Bool(_) => "System.Boolean".into(),
            Value::Int(i) => {
                if i32::try_from(*i).is_ok() {
                    "System.Int32".into()
                } else {
                    "System.Int64".into()
                }
            }
            Value::Double(_) => "System.Double".into(),
            Value::String(_) => "System.String".into(),
            Value::DateTime(_) => "System.DateTime".into(),
            Value::Array(_) => "System.Object[]".into(),
            Value::Object { type_names, .. } | Value::Enum { type_names, .. } => type_names
                .first()
                .cloned()
                .unwrap_or_else(|| "System.Object".into()),
            Value::ScriptBlock(_) => "System.Management.Automation.ScriptBlock".into(),
            Value::Hashtable(_) => "System.Collections.Hashtable".into(),
            Value::SecureString(_) => "System.Security.SecureString".into(),
        }
    }

    /// A property by name (case-insensitive), following PowerShell's rules for the
    /// built-in types (`Length` of strings, `Count` of arrays, hashtable keys, date parts).
    pub fn property(&self, name: &str) -> Option<Value> {
        let lname = name.to_ascii_lowercase();
        match self {
            Value::Object { props, .. } => props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone()),
            Value::Hashtable(entries) => {
                if let Some((_, v)) = entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    return Some(v.clone());
                }
                match lname.as_str() {
                    "count" => Some(Value::Int(entries.len() as i64)),
                    "keys" => Some(Value::Array(
                        entries.iter().map(|(k, _)| Value::str(k.clone())).collect(),
                    )),
                    "values" => Some(Value::Array(
                        entries.iter().map(|(_, v)| v.clone()).collect(),
                    )),
                    _ => None,
                }
            }
            Value::String(s) => match lname.as_str() {
                "length" => Some(Value::Int(s.encode_utf16().count() as i64)),
                _ => None,
            },
            Value::SecureString(s) => match lname.as_str() {
                "length" => Some(Value::Int(s.length())),
                _ => None,
            },
            Value::Array(items) => match lname.as_str() {
                "count" | "length" => Some(Value::Int(items.len() as i64)),
                _ => {
                    // Member enumeration: the property of every element that has it.
                    let vals: Vec<Value> = items
                        .iter()
                        .filter_map(|i| i.property(name))
                        .flat_map(|v| match v {
                            Value::Array(inner) => inner,
                            other => vec![other],
                        })
                        .collect();
                    if vals.is_empty() {
                        None
                    } else {
                        Some(Value::Array(vals))
                    }
                }
            },
            Value::DateTime(d) => Some(match lname.as_str() {
                "year" => Value::Int(d.year().into()),
                "month" => Value::Int(d.month().into()),
                "day" => Value::Int(d.day().into()),
                "hour" => Value::Int(d.hour().into()),
                "minute" => Value::Int(d.minute().into()),
                "second" => Value::Int(d.second().into()),
                "millisecond" => Value::Int((d.nanosecond() / 1_000_000).into()),
                "dayofweek" => Value::enumeration(
                    "System.DayOfWeek",
                    day_name(d.weekday()),
                    d.weekday().num_days_from_sunday().into(),
                ),
                "dayofyear" => Value::Int(d.ordinal().into()),
                "date" => {
                    let midnight = d
                        .with_hour(0)
                        .and_then(|x| x.with_minute(0))
                        .and_then(|x| x.with_second(0))
                        .and_then(|x| x.with_nanosecond(0))
                        .unwrap_or(*d);
                    Value::DateTime(midnight)
                }
                "ticks" => Value::Int(datetime_ticks(d)),
                "kind" => Value::enumeration("System.DateTimeKind", "Local", 2),
                _ => return None,
            }),
            Value::Enum { name: n, value, .. } => match lname.as_str() {
                "value__" => Some(Value::Int(*value)),
                "name" => Some(Value::str(n.clone())),
                _ => None,
            },
            Value::ScriptBlock(sb) => match lname.as_str() {
                "ast" | "text" => Some(Value::str(sb.text.clone())),
                _ => None,
            },
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Double(_) => None,
        }
    }

    /// PowerShell's `.Count` of anything: 0 for `$null`, the length of arrays, 1 otherwise.
    pub fn count(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Array(a) => a.len(),
            _ => 1,
        }
    }

    /// The value enumerated as PowerShell enumerates pipeline input.
    pub fn into_items(self) -> Vec<Value> {
        match self {
            Value::Array(items) => items,
            other => vec![other],
        }
    }

    /// PowerShell truthiness (`if ($x)`).
    pub fn is_true(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Double(d) => *d != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => match a.len() {
                0 => false,
                1 => a.first().is_some_and(Value::is_true),
                _ => true,
            },
            Value::Enum { value, .. } => *value != 0,
            _ => true,
        }
    }

    /// `ToString()` as PowerShell displays a value on its own (current culture en-US).
    pub fn display(&self) -> String {
        match self {
            Value::DateTime(d) => format_datetime(d, "G"),
            other => other.to_ps_string(),
        }
    }

    /// PowerShell's conversion to string (string expansion, `[string]`, `-join`):
    /// invariant culture, arrays joined by spaces, custom objects as `@{a=1; b=2}`.
    pub fn to_ps_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => format_double(*d),
            Value::String(s) => s.clone(),
            Value::DateTime(d) => d.format("%m/%d/%Y %H:%M:%S").to_string(),
            Value::Array(items) => items
                .iter()
                .map(Value::to_ps_string)
                .collect::<Vec<_>>()
                .join(" "),
            Value::Object {
                type_names,
                props,
                to_string,
            } => {
                if let Some(s) = to_string {
                    return s.clone();
                }
                let is_custom = type_names
                    .iter()
                    .any(|t| t == "System.Management.Automation.PSCustomObject");
                if is_custom {
                    let inner: Vec<String> = props
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.to_ps_string()))
                        .collect();
                    format!("@{{{}}}", inner.join("; "))
                } else {
                    type_names
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "System.Object".into())
                }
            }
            Value::Enum { name, .. } => name.clone(),
            Value::ScriptBlock(sb) => sb.text.clone(),
            Value::Hashtable(_) => "System.Collections.Hashtable".into(),
            Value::SecureString(_) => "System.Security.SecureString".into(),
        }
    }

    /// Conversion to a number, as PowerShell converts operands (`"5"` → 5, `$true` → 1).
    pub fn to_number(&self) -> Option<Value> {
        match self {
            Value::Null => Some(Value::Int(0)),
            Value::Bool(b) => Some(Value::Int(i64::from(*b))),
            Value::Int(_) | Value::Double(_) => Some(self.clone()),
            Value::Enum { value, .. } => Some(Value::Int(*value)),
            Value::String(s) => parse_number_str(s),
            Value::Array(a) if a.len() == 1 => a.first().and_then(Value::to_number),
            _ => None,
        }
    }

    /// Conversion to i64 (doubles round half to even, like .NET).
    pub fn to_int(&self) -> Option<i64> {
        match self.to_number()? {
            Value::Int(i) => Some(i),
            Value::Double(d) => {
                if !d.is_finite() || d.abs() > 9.2e18 {
                    None
                } else {
                    Some(d.round_ties_even() as i64)
                }
            }
            _ => None,
        }
    }

    /// Conversion to f64.
    pub fn to_f64(&self) -> Option<f64> {
        match self.to_number()? {
            Value::Int(i) => Some(i as f64),
            Value::Double(d) => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

fn day_name(d: chrono::Weekday) -> &'static str {
    match d {
        chrono::Weekday::Mon => "Monday",
        chrono::Weekday::Tue => "Tuesday",
        chrono::Weekday::Wed => "Wednesday",
        chrono::Weekday::Thu => "Thursday",
        chrono::Weekday::Fri => "Friday",
        chrono::Weekday::Sat => "Saturday",
        chrono::Weekday::Sun => "Sunday",
    }
}

/// .NET ticks (100 ns since 0001-01-01) of the local wall-clock time.
fn datetime_ticks(d: &DateTime<FixedOffset>) -> i64 {
    let naive = d.naive_local();
    let epoch = chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|x| x.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let delta = naive - epoch;
    delta.num_microseconds().map_or(0, |m| m * 10)
}

/// Parses a numeric string the way PowerShell converts strings to numbers.
pub(crate) fn parse_number_str(s: &str) -> Option<Value> {
    let t = s.trim();
    if t.is_empty() {
        return Some(Value::Int(0));
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = i64::from_str_radix(hex, 16).ok()?;
        return Some(Value::Int(if neg { -v } else { v }));
    }
    if body.chars().all(|c| c.is_ascii_digit())
        && let Ok(v) = body.parse::<i64>()
    {
        return Some(Value::Int(if neg { -v } else { v }));
    }
    if body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    {
        let v: f64 = body.parse().ok()?;
        return Some(Value::Double(if neg { -v } else { v }));
    }
    None
}

/// Formats a double the way PowerShell prints it (shortest round-trip, `E+` exponents).
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return "0".into();
    }
    let a = d.abs();
    if !(1e-5..1e15).contains(&a) {
        let s = format!("{d:E}");
        // Rust: 1E20, 1.5E-7; .NET: 1E+20, 1.5E-07.
        if let Some((m, e)) = s.split_once('E') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(rest) => ('-', rest),
                None => ('+', e),
            };
            return format!("{m}E{sign}{digits:0>2}");
        }
        return s;
    }
    let s = format!("{d}");
    s
}

/// Formats a date with a .NET format string (standard `d D t T g G f F s u o`, or custom
/// `yyyy MM dd HH hh mm ss fff tt dddd MMMM ...` with quoted literals), en-US culture.
pub fn format_datetime(d: &DateTime<FixedOffset>, fmt: &str) -> String {
    let custom = match fmt {
        "d" => "M/d/yyyy",
        "D" => "dddd, MMMM d, yyyy",
        "t" => "h:mm tt",
        "T" => "h:mm:ss tt",
        "g" => "M/d/yyyy h:mm tt",
        "G" => "M/d/yyyy h:mm:ss tt",
        "f" => "dddd, MMMM d, yyyy h:mm tt",
        "F" => "dddd, MMMM d, yyyy h:mm:ss tt",
        "s" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        "u" => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        "o" | "O" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffffzzz",
        "M" | "m" => "MMMM d",
        "Y" | "y" => "MMMM yyyy",
        other => other,
    };
    let chars: Vec<char> = custom.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        match c {
            'y' => {
                let y = d.year();
                if n <= 2 {
                    out.push_str(&format!("{:0w$}", y % 100, w = n));
                } else {
                    out.push_str(&format!("{y:0n$}"));
                }
            }
            'M' => match n {
                1 | 2 => out.push_str(&format!("{:0w$}", d.month(), w = n)),
                3 => out.push_str(&month_name(d.month())[..3]),
                _ => out.push_str(month_name(d.month())),
            },
            'd' => match n {
                1 | 2 => out.push_str(&format!("{:0w$}", d.day(), w = n)),
                3 => out.push_str(&day_name(d.weekday())[..3]),
                _ => out.push_str(day_name(d.weekday())),
            },
            'H' => out.push_str(&format!("{:0w$}", d.hour(), w = n.min(2))),
            'h' => {
                let h = d.hour() % 12;
                let h = if h == 0 { 12 } else { h };
                out.push_str(&format!("{:0w$}", h, w = n.min(2)));
            }
            'm' => out.push_str(&format!("{:0w$}", d.minute(), w = n.min(2))),
            's' => out.push_str(&format!("{:0w$}", d.second(), w = n.min(2))),
            'f' | 'F' => {
                let frac = format!("{:09}", d.nanosecond() % 1_000_000_000);
                let digits: String = frac.chars().take(n.min(7)).collect();
                if c == 'F' {
                    out.push_str(digits.trim_end_matches('0'));
                } else {
                    out.push_str(&digits);
                }
            }
            't' => {
                let ampm = if d.hour() < 12 { "AM" } else { "PM" };
                if n == 1 {
                    out.push_str(&ampm[..1]);
                } else {
                    out.push_str(ampm);
                }
            }
            'z' => {
                let secs = d.offset().local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                let a = secs.abs();
                match n {
                    1 => out.push_str(&format!("{sign}{}", a / 3600)),
                    2 => out.push_str(&format!("{sign}{:02}", a / 3600)),
                    _ => out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)),
                }
            }
            'K' => {
                let secs = d.offset().local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                let a = secs.abs();
                out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
            }
            '\'' | '"' => {
                // Quoted literal.
                let mut j = i + 1;
                while let Some(&q) = chars.get(j) {
                    if q == c {
                        break;
                    }
                    out.push(q);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
                continue;
            }
            other => {
                for _ in 0..n {
                    out.push(other);
                }
            }
        }
        i += n;
    }
    out
}

fn month_name(m: u32) -> &'static str {
    match m {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        _ => "December",
    }
}

pub use crate::pslang::wildcard_match;

/// PowerShell's comparison of two scalars: the left operand's type decides the conversion.
/// Returns `None` when the values cannot be compared.
pub fn compare(left: &Value, right: &Value, case_sensitive: bool) -> Option<Ordering> {
    match (left, right) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) => Some(Ordering::Less),
        (_, Value::Null) => Some(Ordering::Greater),
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(_) | Value::Double(_) | Value::Enum { .. }, _)
            if !matches!(left, Value::Enum { .. }) || right.to_number().is_some() =>
        {
            let a = left.to_f64()?;
            let b = right.to_f64()?;
            a.partial_cmp(&b)
        }
        (Value::Bool(a), _) => Some(a.cmp(&right.is_true())),
        (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::String(s)) => {
            let b = parse_date(s, a.offset())?;
            Some(a.cmp(&b))
        }
        _ => {
            let a = left.to_ps_string();
            let b = right.to_ps_string();
            Some(if case_sensitive {
                a.cmp(&b)
            } else {
                a.to_lowercase().cmp(&b.to_lowercase())
            })
        }
    }
}

/// Equality as `-eq` sees it.
pub fn equals(left: &Value, right: &Value, case_sensitive: bool) -> bool {
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Int(_) | Value::Double(_), _) => match (left.to_f64(), right.to_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        (Value::Bool(a), _) => *a == right.is_true(),
        (Value::Object { .. }, Value::Object { .. })
        | (Value::Hashtable(_), Value::Hashtable(_)) => left == right,
        _ => compare(left, right, case_sensitive) == Some(Ordering::Equal),
    }
}

/// Parses the date formats a user is likely to type (`2026-11-22`, `2026-11-22 10:30`,
/// `11/22/2026`, ISO 8601 with offset).
pub fn parse_date(s: &str, offset: &FixedOffset) -> Option<DateTime<FixedOffset>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    let naive_formats = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ];
    for f in naive_formats {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return n.and_local_timezone(*offset).single();
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(n) = chrono::NaiveDate::parse_from_str(t, f) {
            return n.and_hms_opt(0, 0, 0)?.and_local_timezone(*offset).single();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_rules() {
        assert!(wildcard_match("svc*", "SvcHost", false));
        assert!(!wildcard_match("svc*", "SvcHost", true));
        assert!(wildcard_match("*host", "svchost", false));
        assert!(wildcard_match("w?nrm", "WinRM", false));
        assert!(wildcard_match("[a-c]x", "bx", false));
        assert!(!wildcard_match("[a-c]x", "dx", false));
        assert!(wildcard_match("a*b*c", "aXXbYYc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYY", false));
        assert!(wildcard_match("*", "", false));
    }

    #[test]
    fn strings_and_numbers() {
        assert_eq!(Value::Double(0.5).to_ps_string(), "0.5");
        assert_eq!(Value::Double(1e20).to_ps_string(), "1E+20");
        assert_eq!(Value::Double(3.0).to_ps_string(), "3");
        assert_eq!(
            Value::Array(vec![Value::Int(1), Value::str("a")]).to_ps_string(),
            "1 a"
        );
        assert_eq!(
            Value::custom(vec![("a".into(), Value::Int(1)), ("b".into(), Value::Null)])
                .to_ps_string(),
            "@{a=1; b=}"
        );
        assert_eq!(parse_number_str(" 42 "), Some(Value::Int(42)));
        assert_eq!(parse_number_str("0x10"), Some(Value::Int(16)));
        assert_eq!(parse_number_str("1.5"), Some(Value::Double(1.5)));
        assert_eq!(parse_number_str("abc"), None);
    }

    #[test]
    fn date_formats() {
        let d = DateTime::parse_from_rfc3339("2026-11-22T21:05:09.123+01:00").unwrap();
        assert_eq!(
            format_datetime(&d, "yyyy-MM-dd HH:mm:ss.fff"),
            "2026-11-22 21:05:09.123"
        );
        assert_eq!(format_datetime(&d, "G"), "11/22/2026 9:05:09 PM");
        assert_eq!(format_datetime(&d, "dddd, MMMM d"), "Sunday, November 22");
        assert_eq!(
            format_datetime(&d, "o"),
            "2026-11-22T21:05:09.1230000+01:00"
        );
        assert_eq!(Value::DateTime(d).to_ps_string(), "11/22/2026 21:05:09");
    }

    #[test]
    fn comparisons() {
        assert!(equals(&Value::Int(5), &Value::str("5"), false));
        assert!(equals(&Value::str("ABC"), &Value::str("abc"), false));
        assert!(!equals(&Value::str("ABC"), &Value::str("abc"), true));
        assert_eq!(
            compare(&Value::str("10"), &Value::Int(9), false),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&Value::Int(10), &Value::str("9"), false),
            Some(Ordering::Greater)
        );
        let running = Value::enumeration(
            "System.ServiceProcess.ServiceControllerStatus",
            "Running",
            4,
        );
        assert!(equals(&running, &Value::str("running"), false));
        assert!(equals(&running, &Value::Int(4), false));
    }
}
