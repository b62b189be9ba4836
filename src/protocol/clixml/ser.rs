//! Serialising [`PsValue`]s to CLIXML as PowerShell writes it
//! ([MS-PSRP] §2.2.5).
//!
//! Shapes follow PowerShell's serializer (and psrpcore): object RefIds count
//! from 0 per message, a type-name list is written once as `<TN RefId>` and
//! then referenced by `<TNRef RefId />`, an object reached twice (the same
//! `Arc`) is written once and then as `<Ref RefId />`, empty elements are
//! written `<Nil />`, booleans `true`/`false`, floats in .NET's shortest
//! round-trip form. Inside an `<Obj>` the order is TN, ToString, wrapped
//! value or container, Props, MS.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;

use super::escape::escape;
use super::value::{Container, Primitive, PsObject, PsValue};
use crate::protocol::xml::{escape_attr, escape_text};

/// The CLIXML namespace of `<Objs>` documents.
pub const CLIXML_NS: &str = "http://schemas.microsoft.com/powershell/2004/04";

/// Serialises one value as a PSRP message body (one element, no BOM).
pub fn to_clixml(value: &PsValue) -> String {
    let mut s = Serializer::default();
    s.value(None, value);
    s.out
}

/// Serialises one value, with `N="name"` on its element.
pub fn to_clixml_named(name: &str, value: &PsValue) -> String {
    let mut s = Serializer::default();
    s.value(Some(name), value);
    s.out
}

/// Serialises values as an `<Objs Version="1.1.0.1">` document (the form of
/// `Export-Clixml` and of `#< CLIXML` error streams); RefIds are shared by
/// the whole document.
pub fn to_clixml_document(values: &[PsValue]) -> String {
    let mut s = Serializer::default();
    s.out
        .push_str(&format!("<Objs Version=\"1.1.0.1\" xmlns=\"{CLIXML_NS}\">"));
    for v in values {
        s.value(None, v);
    }
    s.out.push_str("</Objs>");
    s.out
}

#[derive(Default)]
struct Serializer {
    out: String,
    next_obj: u32,
    objs: HashMap<*const PsObject, u32>,
    next_tn: u32,
    tns: HashMap<Vec<String>, u32>,
}

impl Serializer {
    fn open(&mut self, tag: &str, name: Option<&str>) {
        self.out.push('<');
        self.out.push_str(tag);
        if let Some(n) = name {
            self.out.push_str(" N=\"");
            self.out.push_str(&escape_attr(&escape(n)));
            self.out.push('"');
        }
    }

    /// Writes `<tag N=..>text</tag>`; PowerShell writes empty strings as
    /// `<S></S>` too (only `<Nil />` is self-closing).
    fn leaf(&mut self, tag: &str, name: Option<&str>, text: &str) {
        self.open(tag, name);
        self.out.push('>');
        self.out.push_str(&escape_text(text));
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    fn value(&mut self, name: Option<&str>, v: &PsValue) {
        match v {
            PsValue::Primitive(p) => self.primitive(name, p),
            PsValue::Object(o) => {
                let key = std::sync::Arc::as_ptr(o);
                if let Some(id) = self.objs.get(&key).copied() {
                    self.open("Ref", name);
                    let _ = write!(self.out, " RefId=\"{id}\" />");
                } else {
                    self.object(name, o, key);
                }
            }
        }
    }

    fn primitive(&mut self, name: Option<&str>, p: &Primitive) {
        let tag = p.tag();
        match p {
            Primitive::Str(s)
            | Primitive::Uri(s)
            | Primitive::XmlDoc(s)
            | Primitive::ScriptBlock(s) => self.leaf(tag, name, &escape(s)),
            Primitive::DateTime(s)
            | Primitive::Duration(s)
            | Primitive::Decimal(s)
            | Primitive::Version(s) => self.leaf(tag, name, s),
            Primitive::Char(c) => self.leaf(tag, name, &c.to_string()),
            Primitive::Bool(b) => self.leaf(tag, name, if *b { "true" } else { "false" }),
            Primitive::U8(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::I8(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::U16(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::I16(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::U32(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::I32(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::U64(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::I64(v) => self.leaf(tag, name, &v.to_string()),
            Primitive::F32(v) => self.leaf(tag, name, &format_float(f64::from(*v), true)),
            Primitive::F64(v) => self.leaf(tag, name, &format_float(*v, false)),
            Primitive::Bytes(b) | Primitive::SecureString(b) => {
                let text = base64::engine::general_purpose::STANDARD.encode(b);
                self.leaf(tag, name, &text);
            }
            Primitive::Guid(g) => self.leaf(tag, name, &g.hyphenated().to_string()),
            Primitive::Nil => {
                self.open(tag, name);
                self.out.push_str(" />");
            }
        }
    }

    fn object(&mut self, name: Option<&str>, o: &PsObject, key: *const PsObject) {
        let id = self.next_obj;
        self.next_obj += 1;
        self.objs.insert(key, id);
        self.open("Obj", name);
        let _ = write!(self.out, " RefId=\"{id}\">");
        if !o.type_names.is_empty() {
            if let Some(tn) = self.tns.get(&o.type_names).copied() {
                let _ = write!(self.out, "<TNRef RefId=\"{tn}\" />");
            } else {
                let tn = self.next_tn;
                self.next_tn += 1;
                self.tns.insert(o.type_names.clone(), tn);
                let _ = write!(self.out, "<TN RefId=\"{tn}\">");
                for t in &o.type_names {
                    self.leaf("T", None, &escape(t));
                }
                self.out.push_str("</TN>");
            }
        }
        if let Some(ts) = &o.to_string {
            self.leaf("ToString", None, &escape(ts));
        }
        if let Some(v) = &o.value {
            self.value(None, v);
        }
        if let Some(c) = &o.container {
            let tag = c.tag();
            let is_empty = match c {
                Container::Dictionary(d) => d.is_empty(),
                other => other.items().is_none_or(<[PsValue]>::is_empty),
            };
            if is_empty {
                let _ = write!(self.out, "<{tag} />");
            } else {
                let _ = write!(self.out, "<{tag}>");
            }
            match c {
                Container::List(items)
                | Container::Enumerable(items)
                | Container::Stack(items)
                | Container::Queue(items) => {
                    for item in items {
                        self.value(None, item);
                    }
                }
                Container::Dictionary(entries) => {
                    for (k, v) in entries {
                        self.out.push_str("<En>");
                        self.value(Some("Key"), k);
                        self.value(Some("Value"), v);
                        self.out.push_str("</En>");
                    }
                }
            }
            if !is_empty {
                let _ = write!(self.out, "</{tag}>");
            }
        }
        for (tag, props) in [("Props", &o.adapted), ("MS", &o.extended)] {
            if props.is_empty() {
                continue;
            }
            let _ = write!(self.out, "<{tag}>");
            for (n, v) in props {
                self.value(Some(n), v);
            }
            let _ = write!(self.out, "</{tag}>");
        }
        self.out.push_str("</Obj>");
    }
}

/// Formats a float as .NET's round-trip ("R") form, as XmlConvert writes it:
/// shortest digits that read back exactly, scientific (`1E+15`, `1E-05`)
/// when the decimal exponent is at least 15 (7 for single) or below -4;
/// `INF`, `-INF`, `NaN`.
pub fn format_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits from Rust's formatter, in scientific form.
    let sci = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let limit = if single { 7 } else { 15 };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp >= limit || exp < -4 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "E{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::clixml::value::PsObject;
    use std::sync::Arc;

    #[test]
    fn float_forms() {
        let cases = [
            (1.5, "1.5"),
            (1e15, "1E+15"),
            (1e14, "100000000000000"),
            (0.0001, "0.0001"),
            (0.00001, "1E-05"),
            (-2.25, "-2.25"),
            (123456789012345678.0, "1.2345678901234568E+17"),
            (1e-300, "1E-300"),
            (f64::INFINITY, "INF"),
            (f64::NEG_INFINITY, "-INF"),
            (f64::NAN, "NaN"),
            (0.1, "0.1"),
            (-0.0, "-0"),
        ];
        for (v, s) in cases {
            assert_eq!(format_float(v, false), s, "{v}");
        }
        assert_eq!(format_float(f64::from(1e7f32), true), "1E+07");
        assert_eq!(format_float(f64::from(1234567f32), true), "1234567");
        assert_eq!(format_float(f64::from(0.1f32), true), "0.1");
    }

    #[test]
    fn session_capability_bytes() {
        let v = PsValue::from(
            PsObject::new()
                .with_ms("protocolversion", PsValue::version("2.3"))
                .with_ms("PSVersion", PsValue::version("2.0"))
                .with_ms("SerializationVersion", PsValue::version("1.1.0.1")),
        );
        assert_eq!(
            to_clixml(&v),
            "<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version>\
             <Version N=\"PSVersion\">2.0</Version>\
             <Version N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>"
        );
    }

    #[test]
    fn primitives_nil_and_escaping() {
        assert_eq!(to_clixml(&PsValue::str("")), "<S></S>");
        assert_eq!(to_clixml(&PsValue::NIL), "<Nil />");
        assert_eq!(
            to_clixml_named("a<b", &PsValue::NIL),
            "<Nil N=\"a&lt;b\" />"
        );
        assert_eq!(to_clixml(&PsValue::str("a&b\n")), "<S>a&amp;b_x000A_</S>");
        assert_eq!(to_clixml(&true.into()), "<B>true</B>");
        assert_eq!(
            to_clixml(&Primitive::Bytes(vec![1, 2, 3]).into()),
            "<BA>AQID</BA>"
        );
        assert_eq!(
            to_clixml(&Primitive::Guid(uuid::Uuid::nil()).into()),
            "<G>00000000-0000-0000-0000-000000000000</G>"
        );
        assert_eq!(to_clixml(&Primitive::Char(97).into()), "<C>97</C>");
    }

    #[test]
    fn type_names_and_shared_objects_use_refs() {
        let types = [
            "System.Management.Automation.PSThreadOptions",
            "System.Enum",
        ];
        let a = PsValue::from(PsObject::enumeration(&types, "Default", 0));
        let b = PsValue::from(PsObject::enumeration(&types, "UseNewThread", 1));
        let list =
            PsValue::from(PsObject::new().with_container(Container::List(vec![a.clone(), b, a])));
        assert_eq!(
            to_clixml(&list),
            "<Obj RefId=\"0\"><LST>\
             <Obj RefId=\"1\"><TN RefId=\"0\"><T>System.Management.Automation.PSThreadOptions</T><T>System.Enum</T></TN><ToString>Default</ToString><I32>0</I32></Obj>\
             <Obj RefId=\"2\"><TNRef RefId=\"0\" /><ToString>UseNewThread</ToString><I32>1</I32></Obj>\
             <Ref RefId=\"1\" /></LST></Obj>"
        );
        let shared = Arc::new(PsObject::new());
        let dict = PsValue::from(PsObject::new().with_container(Container::Dictionary(vec![(
            PsValue::str("k"),
            PsValue::Object(shared),
        )])));
        assert_eq!(
            to_clixml(&dict),
            "<Obj RefId=\"0\"><DCT><En><S N=\"Key\">k</S><Obj N=\"Value\" RefId=\"1\"></Obj></En></DCT></Obj>"
        );
    }
}
