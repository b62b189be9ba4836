//! The value model shared by the whole project: what a CLIXML element means.
//!
//! A [`PsValue`] is either a [`Primitive`] (one per CLIXML primitive tag,
//! [MS-PSRP] §2.2.5.1) or a complex [`PsObject`] ([MS-PSRP] §2.2.5.2).
//! Objects are reference counted: a `<Ref RefId>` back-reference shares the
//! earlier object, and serialising a shared object writes a `<Ref>` again.
//! Texts whose exact form matters for lossless round trips (DateTime,
//! TimeSpan, Decimal, Version) are kept verbatim, with parse helpers.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta};
use uuid::Uuid;

/// One CLIXML primitive value ([MS-PSRP] §2.2.5.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Primitive {
    /// `S`: string.
    Str(String),
    /// `C`: a UTF-16 code unit.
    Char(u16),
    /// `B`: boolean.
    Bool(bool),
    /// `DT`: DateTime, the exact text (ISO 8601, 7 fraction digits, offset).
    DateTime(String),
    /// `TS`: TimeSpan as an xs:duration text (`PT9.0269026S`).
    Duration(String),
    /// `By`: unsigned byte.
    U8(u8),
    /// `SB`: signed byte.
    I8(i8),
    /// `U16`.
    U16(u16),
    /// `I16`.
    I16(i16),
    /// `U32`.
    U32(u32),
    /// `I32`.
    I32(i32),
    /// `U64`.
    U64(u64),
    /// `I64`.
    I64(i64),
    /// `Sg`: single-precision float.
    F32(f32),
    /// `Db`: double-precision float.
    F64(f64),
    /// `D`: decimal, the exact text.
    Decimal(String),
    /// `BA`: byte array.
    Bytes(Vec<u8>),
    /// `G`: GUID.
    Guid(Uuid),
    /// `URI`.
    Uri(String),
    /// `Nil`: null.
    Nil,
    /// `Version`: the exact text (`2.3`, `1.1.0.1`).
    Version(String),
    /// `XD`: an XML document, as text.
    XmlDoc(String),
    /// `SBK`: script block text.
    ScriptBlock(String),
    /// `SS`: secure string ciphertext (not decrypted here).
    SecureString(Vec<u8>),
}

impl Primitive {
    /// The CLIXML tag of this primitive.
    pub fn tag(&self) -> &'static str {
        match self {
            Primitive::Str(_) => "S",
            Primitive::Char(_) => "C",
            Primitive::Bool(_) => "B",
            Primitive::DateTime(_) => "DT",
            Primitive::Duration(_) => "TS",
            Primitive::U8(_) => "By",
            Primitive::I8(_) => "SB",
            Primitive::U16(_) => "U16",
            Primitive::I16(_) => "I16",
            Primitive::U32(_) => "U32",
            Primitive::I32(_) => "I32",
            Primitive::U64(_) => "U64",
            Primitive::I64(_) => "I64",
            Primitive::F32(_) => "Sg",
            Primitive::F64(_) => "Db",
            Primitive::Decimal(_) => "D",
            Primitive::Bytes(_) => "BA",
            Primitive::Guid(_) => "G",
            Primitive::Uri(_) => "URI",
            Primitive::Nil => "Nil",
            Primitive::Version(_) => "Version",
            Primitive::XmlDoc(_) => "XD",
            Primitive::ScriptBlock(_) => "SBK",
            Primitive::SecureString(_) => "SS",
        }
    }

    /// The value as an i64 when it is an integer type that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Primitive::U8(v) => Some(v.into()),
            Primitive::I8(v) => Some(v.into()),
            Primitive::U16(v) => Some(v.into()),
            Primitive::I16(v) => Some(v.into()),
            Primitive::U32(v) => Some(v.into()),
            Primitive::I32(v) => Some(v.into()),
            Primitive::U64(v) => i64::try_from(v).ok(),
            Primitive::I64(v) => Some(v),
            _ => None,
        }
    }

    /// The text of string-like primitives (S, URI, XD, SBK, Version, DT, TS, D).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Primitive::Str(s)
            | Primitive::Uri(s)
            | Primitive::XmlDoc(s)
            | Primitive::ScriptBlock(s)
            | Primitive::Version(s)
            | Primitive::DateTime(s)
            | Primitive::Duration(s)
            | Primitive::Decimal(s) => Some(s),
            _ => None,
        }
    }
}

/// The container part of an object ([MS-PSRP] §2.2.5.2.6).
#[derive(Debug, Clone, PartialEq)]
pub enum Container {
    /// `LST`: a list (IList).
    List(Vec<PsValue>),
    /// `IE`: any other enumerable.
    Enumerable(Vec<PsValue>),
    /// `STK`: a stack, top first.
    Stack(Vec<PsValue>),
    /// `QUE`: a queue, head first.
    Queue(Vec<PsValue>),
    /// `DCT`: a dictionary; keys may be any value, order kept.
    Dictionary(Vec<(PsValue, PsValue)>),
}

impl Container {
    /// The CLIXML tag of this container.
    pub fn tag(&self) -> &'static str {
        match self {
            Container::List(_) => "LST",
            Container::Enumerable(_) => "IE",
            Container::Stack(_) => "STK",
            Container::Queue(_) => "QUE",
            Container::Dictionary(_) => "DCT",
        }
    }

    /// The items of a list-like container (None for dictionaries).
    pub fn items(&self) -> Option<&[PsValue]> {
        match self {
            Container::List(v)
            | Container::Enumerable(v)
            | Container::Stack(v)
            | Container::Queue(v) => Some(v),
            Container::Dictionary(_) => None,
        }
    }
}

/// A complex object ([MS-PSRP] §2.2.5.2): `<Obj>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PsObject {
    /// Type names, most derived first (`TN`/`TNRef`); may be empty.
    pub type_names: Vec<String>,
    /// The `ToString` text, when sent.
    pub to_string: Option<String>,
    /// A wrapped value: the primitive of an enum or extended primitive
    /// (`<ToString>Completed</ToString><I32>1</I32>`), or a base object
    /// written as a nested `<Obj>`/`<Ref>` directly inside this one.
    pub value: Option<PsValue>,
    /// A container (`LST`, `IE`, `STK`, `QUE`, `DCT`).
    pub container: Option<Container>,
    /// Adapted properties (`Props`), in order.
    pub adapted: Vec<(String, PsValue)>,
    /// Extended properties (`MS`), in order.
    pub extended: Vec<(String, PsValue)>,
}

/// A CLIXML value: a primitive or a (shared) complex object.
#[derive(Debug, Clone, PartialEq)]
pub enum PsValue {
    /// A primitive element.
    Primitive(Primitive),
    /// An `<Obj>` (or a `<Ref>` to one).
    Object(Arc<PsObject>),
}

impl Default for PsValue {
    /// `<Nil />`.
    fn default() -> Self {
        PsValue::NIL
    }
}

impl From<Primitive> for PsValue {
    fn from(p: Primitive) -> Self {
        PsValue::Primitive(p)
    }
}

impl From<PsObject> for PsValue {
    fn from(o: PsObject) -> Self {
        PsValue::Object(Arc::new(o))
    }
}

impl From<&str> for PsValue {
    fn from(s: &str) -> Self {
        PsValue::Primitive(Primitive::Str(s.to_owned()))
    }
}

impl From<String> for PsValue {
    fn from(s: String) -> Self {
        PsValue::Primitive(Primitive::Str(s))
    }
}

impl From<bool> for PsValue {
    fn from(b: bool) -> Self {
        PsValue::Primitive(Primitive::Bool(b))
    }
}

impl From<i32> for PsValue {
    fn from(v: i32) -> Self {
        PsValue::Primitive(Primitive::I32(v))
    }
}

impl From<i64> for PsValue {
    fn from(v: i64) -> Self {
        PsValue::Primitive(Primitive::I64(v))
    }
}

impl From<Uuid> for PsValue {
    fn from(v: Uuid) -> Self {
        PsValue::Primitive(Primitive::Guid(v))
    }
}

impl<T: Into<PsValue>> From<Option<T>> for PsValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(PsValue::NIL, Into::into)
    }
}

impl PsValue {
    /// `<Nil />`.
    pub const NIL: PsValue = PsValue::Primitive(Primitive::Nil);

    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        PsValue::Primitive(Primitive::Str(s.into()))
    }

    /// A `Version` value from its text (`2.3`).
    pub fn version(s: impl Into<String>) -> Self {
        PsValue::Primitive(Primitive::Version(s.into()))
    }

    /// The primitive, if this is one.
    pub fn as_primitive(&self) -> Option<&Primitive> {
        match self {
            PsValue::Primitive(p) => Some(p),
            PsValue::Object(_) => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&PsObject> {
        match self {
            PsValue::Object(o) => Some(o),
            PsValue::Primitive(_) => None,
        }
    }

    /// The primitive itself, or the primitive an object wraps.
    pub fn primitive(&self) -> Option<&Primitive> {
        match self {
            PsValue::Primitive(p) => Some(p),
            PsValue::Object(o) => match o.value.as_ref()? {
                PsValue::Primitive(p) => Some(p),
                PsValue::Object(inner) => match inner.value.as_ref()? {
                    PsValue::Primitive(p) => Some(p),
                    PsValue::Object(_) => None,
                },
            },
        }
    }

    /// Whether this is `<Nil />`.
    pub fn is_nil(&self) -> bool {
        matches!(self, PsValue::Primitive(Primitive::Nil))
    }

    /// A property by name (extended first, then adapted) when this is an object.
    pub fn get(&self, name: &str) -> Option<&PsValue> {
        self.as_object().and_then(|o| o.get(name))
    }

    /// Follows a path of property names.
    pub fn path(&self, names: &[&str]) -> Option<&PsValue> {
        let mut cur = self;
        for n in names {
            cur = cur.get(n)?;
        }
        Some(cur)
    }

    /// String-like text (see [`Primitive::as_str`]), also inside a wrapping object.
    pub fn as_str(&self) -> Option<&str> {
        self.primitive().and_then(Primitive::as_str)
    }

    /// An integer value (any integer tag that fits i64), also inside an enum object.
    pub fn as_i64(&self) -> Option<i64> {
        self.primitive().and_then(Primitive::as_i64)
    }

    /// An integer value that fits i32 (also enum values).
    pub fn as_i32(&self) -> Option<i32> {
        self.as_i64().and_then(|v| i32::try_from(v).ok())
    }

    /// A boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.primitive() {
            Some(Primitive::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// A float (`Sg`/`Db`) as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match self.primitive() {
            Some(Primitive::F64(v)) => Some(*v),
            Some(Primitive::F32(v)) => Some(f64::from(*v)),
            _ => None,
        }
    }

    /// A GUID.
    pub fn as_guid(&self) -> Option<Uuid> {
        match self.primitive() {
            Some(Primitive::Guid(g)) => Some(*g),
            _ => None,
        }
    }

    /// Bytes of a `BA`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self.primitive() {
            Some(Primitive::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// A `DT` parsed to a chrono date-time (see [`parse_datetime`]).
    pub fn as_datetime(&self) -> Option<DateTime<FixedOffset>> {
        match self.primitive() {
            Some(Primitive::DateTime(s)) => parse_datetime(s),
            _ => None,
        }
    }

    /// A `TS` parsed to a signed duration (see [`parse_duration`]).
    pub fn as_duration(&self) -> Option<TimeDelta> {
        match self.primitive() {
            Some(Primitive::Duration(s)) => parse_duration(s),
            _ => None,
        }
    }

    /// The value of an enum object (`<ToString>Completed</ToString><I32>1</I32>`)
    /// or a plain integer.
    pub fn enum_value(&self) -> Option<i64> {
        self.as_i64()
    }

    /// The enum name (the object's ToString), if this is an object with one.
    pub fn enum_name(&self) -> Option<&str> {
        self.as_object().and_then(|o| o.to_string.as_deref())
    }

    /// The items of a list-like container object.
    pub fn as_list(&self) -> Option<&[PsValue]> {
        self.as_object()
            .and_then(|o| o.container.as_ref())
            .and_then(Container::items)
    }

    /// The entries of a dictionary object.
    pub fn as_dict(&self) -> Option<&[(PsValue, PsValue)]> {
        match self.as_object().and_then(|o| o.container.as_ref()) {
            Some(Container::Dictionary(d)) => Some(d),
            _ => None,
        }
    }

    /// The value for a string key in a dictionary object.
    pub fn dict_get(&self, key: &str) -> Option<&PsValue> {
        self.as_dict()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The object's type names (empty for primitives).
    pub fn type_names(&self) -> &[String] {
        self.as_object().map_or(&[], |o| &o.type_names)
    }
}

impl PsObject {
    /// An empty object with no type names.
    pub fn new() -> Self {
        Self::default()
    }

    /// An object with these type names (most derived first).
    pub fn with_types<S: AsRef<str>>(types: &[S]) -> Self {
        PsObject {
            type_names: types.iter().map(|t| t.as_ref().to_owned()).collect(),
            ..Self::default()
        }
    }

    /// An enum object as PowerShell sends it: type names, ToString = name,
    /// wrapped `I32` value.
    pub fn enumeration<S: AsRef<str>>(types: &[S], name: &str, value: i32) -> Self {
        Self::with_types(types)
            .with_to_string(name)
            .with_value(value)
    }

    /// Sets the ToString text.
    pub fn with_to_string(mut self, s: impl Into<String>) -> Self {
        self.to_string = Some(s.into());
        self
    }

    /// Sets the wrapped value (a primitive for enums and extended primitives).
    pub fn with_value(mut self, v: impl Into<PsValue>) -> Self {
        self.value = Some(v.into());
        self
    }

    /// Sets the container.
    pub fn with_container(mut self, c: Container) -> Self {
        self.container = Some(c);
        self
    }

    /// Appends an extended (`MS`) property.
    pub fn with_ms(mut self, name: impl Into<String>, value: impl Into<PsValue>) -> Self {
        self.extended.push((name.into(), value.into()));
        self
    }

    /// Appends an adapted (`Props`) property.
    pub fn with_prop(mut self, name: impl Into<String>, value: impl Into<PsValue>) -> Self {
        self.adapted.push((name.into(), value.into()));
        self
    }

    /// A property by name: extended (`MS`) first, then adapted (`Props`).
    pub fn get(&self, name: &str) -> Option<&PsValue> {
        self.extended
            .iter()
            .chain(self.adapted.iter())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// All properties: extended then adapted.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &PsValue)> {
        self.extended
            .iter()
            .chain(self.adapted.iter())
            .map(|(n, v)| (n.as_str(), v))
    }

    /// Whether the first type name (ignoring a `Deserialized.` prefix) is `name`
    /// or any type name equals it.
    pub fn is_type(&self, name: &str) -> bool {
        self.type_names
            .iter()
            .any(|t| t == name || t.strip_prefix("Deserialized.") == Some(name))
    }
}

/// Parses a CLIXML `DT` text. Text without an offset (DateTimeKind
/// Unspecified) is taken as UTC.
pub fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.and_utc().fixed_offset())
}

/// Formats a date-time as .NET's round-trip (`o`) text with 7 fraction digits.
pub fn format_datetime(dt: &DateTime<FixedOffset>) -> String {
    let frac = dt.timestamp_subsec_nanos() / 100;
    let offset = dt.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{}.{frac:07}{sign}{:02}:{:02}",
        dt.format("%Y-%m-%dT%H:%M:%S"),
        off / 3600,
        (off % 3600) / 60
    )
}

/// Parses an xs:duration (`PT9.0269026S`, `-P1DT2H`, `P3Y` …) to a signed
/// duration. Years and months are taken as 365 and 30 days (PowerShell
/// never sends them for TimeSpan).
pub fn parse_duration(s: &str) -> Option<TimeDelta> {
    let s = s.trim();
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: i128 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            'T' if !in_time && num.is_empty() => in_time = true,
            '0'..='9' | '.' => num.push(c),
            unit => {
                if num.is_empty() {
                    return None;
                }
                let seconds_per: i128 = match (unit, in_time) {
                    ('Y', false) => 365 * 86_400,
                    ('M', false) => 30 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                let (int_part, frac_part) = match num.split_once('.') {
                    Some((i, f)) if unit == 'S' => (i, f),
                    Some(_) => return None,
                    None => (num.as_str(), ""),
                };
                if int_part.is_empty() && frac_part.is_empty() {
                    return None;
                }
                let int: i128 = if int_part.is_empty() {
                    0
                } else {
                    int_part.parse().ok()?
                };
                let mut frac_nanos: i128 = 0;
                for (i, d) in frac_part.chars().enumerate() {
                    let d = i128::from(d.to_digit(10)?);
                    if i < 9 {
                        frac_nanos += d * 10i128.pow(8 - i as u32);
                    }
                }
                total_nanos = total_nanos
                    .checked_add(int.checked_mul(seconds_per)?.checked_mul(1_000_000_000)?)?
                    .checked_add(frac_nanos)?;
                num.clear();
                any = true;
            }
        }
    }
    if !num.is_empty() || !any {
        return None;
    }
    if neg {
        total_nanos = -total_nanos;
    }
    let secs = i64::try_from(total_nanos.div_euclid(1_000_000_000)).ok()?;
    let nanos = u32::try_from(total_nanos.rem_euclid(1_000_000_000)).ok()?;
    TimeDelta::new(secs, nanos)
}

/// Formats a signed duration as PowerShell writes a TimeSpan
/// (`PT1H2M3.5S`, `P1DT…`, `PT0S`), 100 ns resolution (the tests' check
/// of [`parse_duration`]).
#[cfg(test)]
pub fn format_duration(d: TimeDelta) -> String {
    let neg = d < TimeDelta::zero();
    let d = d.abs();
    let ticks = i128::from(d.num_seconds()) * 10_000_000 + i128::from(d.subsec_nanos() / 100);
    let days = ticks / (86_400 * 10_000_000);
    let rem = ticks % (86_400 * 10_000_000);
    let hours = rem / (3600 * 10_000_000);
    let minutes = (rem / (60 * 10_000_000)) % 60;
    let secs = (rem / 10_000_000) % 60;
    let frac = rem % 10_000_000;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('P');
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    out.push('T');
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if frac > 0 {
        let f = format!("{frac:07}");
        out.push_str(&format!("{secs}.{}S", f.trim_end_matches('0')));
    } else if secs > 0 || (days == 0 && hours == 0 && minutes == 0) {
        out.push_str(&format!("{secs}S"));
    }
    if out.ends_with('T') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_parse_and_format() {
        let dt = parse_datetime("2008-04-11T10:42:32.2731993-07:00").unwrap();
        assert_eq!(dt.timestamp_subsec_nanos(), 273_199_300);
        assert_eq!(format_datetime(&dt), "2008-04-11T10:42:32.2731993-07:00");
        let z = parse_datetime("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(format_datetime(&z), "2020-01-01T00:00:00.0000000+00:00");
        let naive = parse_datetime("2020-01-01T01:02:03.5").unwrap();
        assert_eq!(naive.timestamp_subsec_nanos(), 500_000_000);
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn duration_parse_and_format() {
        let d = parse_duration("PT9.0269026S").unwrap();
        assert_eq!(d, TimeDelta::new(9, 26_902_600).unwrap());
        assert_eq!(format_duration(d), "PT9.0269026S");
        let d = parse_duration("-P1DT2H3M4S").unwrap();
        assert_eq!(d.num_seconds(), -(86_400 + 7200 + 180 + 4));
        assert_eq!(format_duration(d), "-P1DT2H3M4S");
        assert_eq!(format_duration(TimeDelta::zero()), "PT0S");
        assert_eq!(format_duration(TimeDelta::days(2)), "P2D");
        assert_eq!(parse_duration("P2D"), Some(TimeDelta::days(2)));
        for bad in ["", "P", "PT", "T1S", "P1H", "PT1.5M", "PTS", "P1", "PT1x"] {
            assert!(parse_duration(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn accessors_and_builders() {
        let e = PsObject::enumeration(
            &[
                "System.Management.Automation.PSInvocationState",
                "System.Enum",
            ],
            "Completed",
            4,
        );
        let v = PsValue::from(PsObject::new().with_ms("State", e).with_prop("Name", "x"));
        assert_eq!(v.get("State").and_then(PsValue::as_i32), Some(4));
        assert_eq!(
            v.get("State").and_then(PsValue::enum_name),
            Some("Completed")
        );
        assert_eq!(v.get("Name").and_then(PsValue::as_str), Some("x"));
        assert!(v.get("Missing").is_none());
        assert_eq!(PsValue::from(true).as_bool(), Some(true));
        assert!(PsValue::from(None::<&str>).is_nil());
        assert_eq!(Primitive::U64(u64::MAX).as_i64(), None);
    }
}
