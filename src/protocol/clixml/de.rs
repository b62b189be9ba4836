//! Deserialising CLIXML ([MS-PSRP] §2.2.5) into [`PsValue`]s.
//!
//! A streaming reader (quick-xml events, no DOM) so large output streams
//! decode fast. Elements are matched by local name; the optional CLIXML
//! namespace and any prefix are accepted. DTDs are refused, nesting of
//! objects is bounded by [`MAX_DEPTH`], and every malformed input yields a
//! [`ProtocolError`], never a panic. Unknown elements inside an `<Obj>` are
//! skipped, so unknown types still decode as generic objects.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::escape::{unescape, unescape_owned};
use super::value::{Container, Primitive, PsObject, PsValue};
use crate::protocol::ProtocolError;

/// The deepest nesting of objects accepted (each object level is two or
/// more XML levels). PowerShell's own serialisation depth is small (1 for
/// remoting output, 2 for Export-Clixml by default); 128 keeps the recursive
/// reader well inside a 2 MiB thread stack even in debug builds.
pub const MAX_DEPTH: usize = 128;

fn err(msg: impl Into<String>) -> ProtocolError {
    ProtocolError::Clixml(msg.into())
}

/// Deserialises one value: a PSRP message body such as `<Obj RefId="0">…`
/// or `<S>a</S>`, optionally preceded by a UTF-8 BOM and an XML declaration.
/// An `<Objs>` document holding exactly one value is accepted too.
pub fn from_clixml(body: &[u8]) -> Result<PsValue, ProtocolError> {
    let mut values = parse(body, true)?;
    match values.len() {
        1 => Ok(values.remove(0)),
        n => Err(err(format!("expected one value, found {n}"))),
    }
}

/// Deserialises an `<Objs Version="1.1.0.1">` document (several values;
/// RefIds shared by the whole document), or a single bare value. A leading
/// `#< CLIXML` line (as PowerShell writes on stderr) is skipped.
pub fn from_clixml_document(doc: &[u8]) -> Result<Vec<PsValue>, ProtocolError> {
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    let doc = match doc.strip_prefix(b"#< CLIXML") {
        Some(rest) => rest,
        None => doc,
    };
    parse(doc, false)
}

fn parse(body: &[u8], single: bool) -> Result<Vec<PsValue>, ProtocolError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut de = De {
        r: Reader::from_reader(body),
        objs: HashMap::new(),
        tns: HashMap::new(),
        building: Vec::new(),
    };
    de.r.config_mut().check_end_names = true;
    let mut values = Vec::new();
    let mut seen_root = false;
    loop {
        match de.next_event(true)? {
            Ev::Eof => break,
            Ev::End => return Err(err("unbalanced end tag")),
            Ev::Start(s) | Ev::Empty(s) if seen_root => {
                let _ = s;
                return Err(err("content after the root element"));
            }
            Ev::Start(s) if local(&s) == b"Objs" => {
                seen_root = true;
                loop {
                    match de.next()? {
                        Ev::End => break,
                        Ev::Eof => return Err(err("truncated document inside <Objs>")),
                        Ev::Start(c) => {
                            if let Some((_, v)) = de.value(c, false, 0)? {
                                values.push(v);
                            }
                        }
                        Ev::Empty(c) => {
                            if let Some((_, v)) = de.value(c, true, 0)? {
                                values.push(v);
                            }
                        }
                    }
                }
            }
            Ev::Empty(s) if local(&s) == b"Objs" => seen_root = true,
            Ev::Start(s) => {
                seen_root = true;
                let name = String::from_utf8_lossy(local(&s)).into_owned();
                match de.value(s, false, 0)? {
                    Some((_, v)) => values.push(v),
                    None => return Err(err(format!("unknown element <{name}>"))),
                }
            }
            Ev::Empty(s) => {
                seen_root = true;
                let name = String::from_utf8_lossy(local(&s)).into_owned();
                match de.value(s, true, 0)? {
                    Some((_, v)) => values.push(v),
                    None => return Err(err(format!("unknown element <{name}>"))),
                }
            }
        }
    }
    if !seen_root && single {
        return Err(err("empty document"));
    }
    Ok(values)
}

/// The structural events the deserializer cares about.
enum Ev<'a> {
    Start(BytesStart<'a>),
    Empty(BytesStart<'a>),
    End,
    Eof,
}

fn local<'s>(s: &'s BytesStart<'_>) -> &'s [u8] {
    let name = s.name().into_inner();
    match name.iter().position(|b| *b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

struct Attrs {
    name: Option<String>,
    ref_id: Option<u64>,
}

struct De<'a> {
    r: Reader<&'a [u8]>,
    /// Completed objects by RefId ([MS-PSRP] §2.2.5.2.2 scope: one message).
    objs: HashMap<u64, Arc<PsObject>>,
    /// Type-name lists by TN RefId ([MS-PSRP] §2.2.5.2.3).
    tns: HashMap<u64, Vec<String>>,
    /// Objects being read, innermost last, with their RefIds.
    building: Vec<(Option<u64>, PsObject)>,
}

impl<'a> De<'a> {
    fn xml_err(&self, e: impl std::fmt::Display) -> ProtocolError {
        ProtocolError::Xml(format!("{e} (at byte {})", self.r.buffer_position()))
    }

    /// Next structural event; text outside leaves must be whitespace and is
    /// ignored, as are comments, processing instructions and declarations.
    fn next(&mut self) -> Result<Ev<'a>, ProtocolError> {
        self.next_event(false)
    }

    /// Like [`De::next`]; at the top level (`top`), text other than
    /// whitespace is an error.
    fn next_event(&mut self, top: bool) -> Result<Ev<'a>, ProtocolError> {
        loop {
            match self.r.read_event().map_err(|e| self.xml_err(e))? {
                Event::Text(t) if top && !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(err("text outside the root element"));
                }
                Event::GeneralRef(_) | Event::CData(_) if top => {
                    return Err(err("text outside the root element"));
                }
                Event::Start(s) => return Ok(Ev::Start(s)),
                Event::Empty(s) => return Ok(Ev::Empty(s)),
                Event::End(_) => return Ok(Ev::End),
                Event::Eof => return Ok(Ev::Eof),
                Event::DocType(_) => {
                    return Err(ProtocolError::Xml(
                        "document type declarations are not accepted".into(),
                    ));
                }
                Event::Text(_)
                | Event::CData(_)
                | Event::GeneralRef(_)
                | Event::Comment(_)
                | Event::PI(_)
                | Event::Decl(_) => {}
            }
        }
    }

    fn attrs(&self, s: &BytesStart<'_>) -> Result<Attrs, ProtocolError> {
        let mut out = Attrs {
            name: None,
            ref_id: None,
        };
        for a in s.attributes() {
            let a = a.map_err(|e| self.xml_err(e))?;
            match a.key.local_name().into_inner() {
                b"N" => {
                    let v = a.unescape_value().map_err(|e| self.xml_err(e))?;
                    out.name = Some(unescape(&v).into_owned());
                }
                b"RefId" => {
                    let v = a.unescape_value().map_err(|e| self.xml_err(e))?;
                    out.ref_id =
                        Some(v.trim().parse().map_err(|_| ProtocolError::InvalidValue {
                            what: "clixml RefId".into(),
                            value: v.into_owned(),
                        })?);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Reads the character content of a leaf element up to its end tag.
    fn text(&mut self, empty: bool) -> Result<String, ProtocolError> {
        let mut out = String::new();
        if empty {
            return Ok(out);
        }
        loop {
            match self.r.read_event().map_err(|e| self.xml_err(e))? {
                Event::Text(t) => {
                    push_normalised(&mut out, &t.decode().map_err(|e| self.xml_err(e))?);
                }
                Event::CData(t) => {
                    push_normalised(&mut out, &t.decode().map_err(|e| self.xml_err(e))?);
                }
                Event::GeneralRef(r) => {
                    if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => out.push(c),
                            _ => return Err(self.xml_err("invalid character reference")),
                        }
                    } else {
                        let name = r.decode().map_err(|e| self.xml_err(e))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(v) => out.push_str(v),
                            None => return Err(self.xml_err(format!("unknown entity &{name};"))),
                        }
                    }
                }
                Event::End(_) => return Ok(out),
                Event::Start(_) | Event::Empty(_) => {
                    return Err(err("unexpected element inside a primitive value"));
                }
                Event::Eof => return Err(err("truncated primitive value")),
                Event::DocType(_) => {
                    return Err(ProtocolError::Xml(
                        "document type declarations are not accepted".into(),
                    ));
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            }
        }
    }

    fn skip(&mut self, s: &BytesStart<'_>, empty: bool) -> Result<(), ProtocolError> {
        if !empty {
            let end = s.to_end().into_owned();
            self.r
                .read_to_end(end.name())
                .map_err(|e| self.xml_err(e))?;
        }
        Ok(())
    }

    /// Reads one value element. `None` when the tag is not a CLIXML value
    /// (the element is skipped).
    fn value(
        &mut self,
        s: BytesStart<'a>,
        empty: bool,
        depth: usize,
    ) -> Result<Option<(Option<String>, PsValue)>, ProtocolError> {
        let attrs = self.attrs(&s)?;
        let tag = local(&s);
        let v = match tag {
            b"Obj" => {
                if depth >= MAX_DEPTH {
                    return Err(ProtocolError::Limit(format!(
                        "clixml objects nested deeper than {MAX_DEPTH}"
                    )));
                }
                PsValue::Object(self.object(attrs.ref_id, empty, depth + 1)?)
            }
            b"Ref" => {
                self.skip(&s, empty)?;
                let id = attrs.ref_id.ok_or_else(|| err("<Ref> without RefId"))?;
                PsValue::Object(self.resolve_ref(id)?)
            }
            _ => {
                if let Some(p) = self.primitive(tag, &s, empty)? {
                    PsValue::Primitive(p)
                } else {
                    self.skip(&s, empty)?;
                    return Ok(None);
                }
            }
        };
        Ok(Some((attrs.name, v)))
    }

    fn resolve_ref(&self, id: u64) -> Result<Arc<PsObject>, ProtocolError> {
        if let Some(o) = self.objs.get(&id) {
            return Ok(o.clone());
        }
        // A reference to an object still being read (a cycle): PowerShell
        // only writes these for self-referencing objects; give a shallow
        // copy (type names, ToString, value) rather than failing.
        if let Some((_, o)) = self.building.iter().rev().find(|(r, _)| *r == Some(id)) {
            return Ok(Arc::new(PsObject {
                type_names: o.type_names.clone(),
                to_string: o.to_string.clone(),
                value: o.value.clone(),
                ..PsObject::default()
            }));
        }
        Err(err(format!("unknown RefId {id}")))
    }

    #[inline(never)]
    fn primitive(
        &mut self,
        tag: &[u8],
        s: &BytesStart<'_>,
        empty: bool,
    ) -> Result<Option<Primitive>, ProtocolError> {
        let _ = s;
        let p = match tag {
            b"S" => Primitive::Str(unescape_owned(self.text(empty)?)),
            b"URI" => Primitive::Uri(unescape_owned(self.text(empty)?)),
            b"XD" => Primitive::XmlDoc(unescape_owned(self.text(empty)?)),
            b"SBK" => Primitive::ScriptBlock(unescape_owned(self.text(empty)?)),
            b"Nil" => {
                self.text(empty)?;
                Primitive::Nil
            }
            b"C" => Primitive::Char(num(&self.text(empty)?, "C")?),
            b"B" => {
                let t = self.text(empty)?;
                match t.trim() {
                    "true" | "1" => Primitive::Bool(true),
                    "false" | "0" => Primitive::Bool(false),
                    _ => return Err(invalid("B", &t)),
                }
            }
            b"DT" => Primitive::DateTime(trimmed(self.text(empty)?)),
            b"TS" => Primitive::Duration(trimmed(self.text(empty)?)),
            b"Version" => Primitive::Version(trimmed(self.text(empty)?)),
            b"By" => Primitive::U8(num(&self.text(empty)?, "By")?),
            b"SB" => Primitive::I8(num(&self.text(empty)?, "SB")?),
            b"U16" => Primitive::U16(num(&self.text(empty)?, "U16")?),
            b"I16" => Primitive::I16(num(&self.text(empty)?, "I16")?),
            b"U32" => Primitive::U32(num(&self.text(empty)?, "U32")?),
            b"I32" => Primitive::I32(num(&self.text(empty)?, "I32")?),
            b"U64" => Primitive::U64(num(&self.text(empty)?, "U64")?),
            b"I64" => Primitive::I64(num(&self.text(empty)?, "I64")?),
            b"Sg" => Primitive::F32(float(&self.text(empty)?, "Sg")? as f32),
            b"Db" => Primitive::F64(float(&self.text(empty)?, "Db")?),
            b"D" => {
                let t = self.text(empty)?;
                let t = t.trim();
                if !is_decimal(t) {
                    return Err(invalid("D", t));
                }
                Primitive::Decimal(t.to_owned())
            }
            b"BA" => Primitive::Bytes(b64(&self.text(empty)?, "BA")?),
            b"SS" => Primitive::SecureString(b64(&self.text(empty)?, "SS")?),
            b"G" => {
                let t = self.text(empty)?;
                Primitive::Guid(uuid::Uuid::parse_str(t.trim()).map_err(|_| invalid("G", &t))?)
            }
            _ => return Ok(None),
        };
        Ok(Some(p))
    }

    fn top(&mut self) -> Result<&mut PsObject, ProtocolError> {
        self.building
            .last_mut()
            .map(|(_, o)| o)
            .ok_or_else(|| err("internal: no object being read"))
    }

    /// Reads the content of an `<Obj>` ([MS-PSRP] §2.2.5.2).
    fn object(
        &mut self,
        ref_id: Option<u64>,
        empty: bool,
        depth: usize,
    ) -> Result<Arc<PsObject>, ProtocolError> {
        self.building.push((ref_id, PsObject::default()));
        if !empty {
            loop {
                let (s, child_empty) = match self.next()? {
                    Ev::End => break,
                    Ev::Eof => return Err(err("truncated <Obj>")),
                    Ev::Start(s) => (s, false),
                    Ev::Empty(s) => (s, true),
                };
                self.object_child(s, child_empty, depth)?;
            }
        }
        let (_, obj) = self
            .building
            .pop()
            .ok_or_else(|| err("internal: no object being read"))?;
        let obj = Arc::new(obj);
        if let Some(id) = ref_id {
            self.objs.insert(id, obj.clone());
        }
        Ok(obj)
    }

    /// One child element of an `<Obj>`.
    #[inline(never)]
    fn object_child(
        &mut self,
        s: BytesStart<'a>,
        empty: bool,
        depth: usize,
    ) -> Result<(), ProtocolError> {
        match local(&s) {
            b"TN" => self.type_names(&s, empty),
            b"TNRef" => {
                let a = self.attrs(&s)?;
                self.skip(&s, empty)?;
                let id = a.ref_id.ok_or_else(|| err("<TNRef> without RefId"))?;
                let names = self
                    .tns
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err(format!("unknown TNRef RefId {id}")))?;
                self.top()?.type_names = names;
                Ok(())
            }
            b"ToString" => {
                let t = unescape_owned(self.text(empty)?);
                self.top()?.to_string = Some(t);
                Ok(())
            }
            b"Props" | b"MS" => {
                if !empty {
                    self.properties(local(&s) == b"MS", depth)?;
                }
                Ok(())
            }
            b"LST" | b"IE" | b"STK" | b"QUE" | b"DCT" => self.container(&s, empty, depth),
            _ => {
                // A primitive (enum value), a nested base <Obj>/<Ref>, or
                // unknown content (skipped by `value`). PowerShell writes one;
                // should there be more (pypsrp "property sets"), the first is
                // kept and the others are read (RefIds stay known) and dropped.
                if let Some((_, v)) = self.value(s, empty, depth)? {
                    let top = self.top()?;
                    if top.value.is_none() {
                        top.value = Some(v);
                    }
                }
                Ok(())
            }
        }
    }

    /// `<TN RefId><T>…</T>…</TN>` ([MS-PSRP] §2.2.5.2.3).
    #[inline(never)]
    fn type_names(&mut self, s: &BytesStart<'_>, empty: bool) -> Result<(), ProtocolError> {
        let a = self.attrs(s)?;
        let mut names = Vec::new();
        if !empty {
            loop {
                match self.next()? {
                    Ev::End => break,
                    Ev::Eof => return Err(err("truncated <TN>")),
                    Ev::Start(t) if local(&t) == b"T" => {
                        names.push(unescape_owned(self.text(false)?));
                    }
                    Ev::Empty(t) if local(&t) == b"T" => names.push(String::new()),
                    Ev::Start(t) => self.skip(&t, false)?,
                    Ev::Empty(_) => {}
                }
            }
        }
        if let Some(id) = a.ref_id {
            self.tns.insert(id, names.clone());
        }
        self.top()?.type_names = names;
        Ok(())
    }

    /// `LST`/`IE`/`STK`/`QUE`/`DCT` ([MS-PSRP] §2.2.5.2.6).
    #[inline(never)]
    fn container(
        &mut self,
        s: &BytesStart<'_>,
        empty: bool,
        depth: usize,
    ) -> Result<(), ProtocolError> {
        let c = match local(s) {
            b"DCT" => Container::Dictionary(if empty { Vec::new() } else { self.dict(depth)? }),
            kind => {
                let kind = kind.to_vec();
                let items = if empty {
                    Vec::new()
                } else {
                    self.items(depth)?
                };
                match kind.as_slice() {
                    b"LST" => Container::List(items),
                    b"IE" => Container::Enumerable(items),
                    b"STK" => Container::Stack(items),
                    _ => Container::Queue(items),
                }
            }
        };
        self.top()?.container = Some(c);
        Ok(())
    }

    fn properties(&mut self, extended: bool, depth: usize) -> Result<(), ProtocolError> {
        loop {
            let item = match self.next()? {
                Ev::End => return Ok(()),
                Ev::Eof => return Err(err("truncated property bag")),
                Ev::Start(s) => self.value(s, false, depth)?,
                Ev::Empty(s) => self.value(s, true, depth)?,
            };
            if let Some((name, v)) = item {
                let name = name.unwrap_or_default();
                let top = self.top()?;
                if extended {
                    top.extended.push((name, v));
                } else {
                    top.adapted.push((name, v));
                }
            }
        }
    }

    fn items(&mut self, depth: usize) -> Result<Vec<PsValue>, ProtocolError> {
        let mut out = Vec::new();
        loop {
            let item = match self.next()? {
                Ev::End => return Ok(out),
                Ev::Eof => return Err(err("truncated collection")),
                Ev::Start(s) => self.value(s, false, depth)?,
                Ev::Empty(s) => self.value(s, true, depth)?,
            };
            if let Some((_, v)) = item {
                out.push(v);
            }
        }
    }

    /// `<DCT><En><… N="Key"/><… N="Value"/></En>…</DCT>` ([MS-PSRP] §2.2.5.2.6.4).
    fn dict(&mut self, depth: usize) -> Result<Vec<(PsValue, PsValue)>, ProtocolError> {
        let mut out = Vec::new();
        loop {
            let (en, empty) = match self.next()? {
                Ev::End => return Ok(out),
                Ev::Eof => return Err(err("truncated <DCT>")),
                Ev::Start(s) => (s, false),
                Ev::Empty(s) => (s, true),
            };
            if local(&en) != b"En" {
                self.skip(&en, empty)?;
                continue;
            }
            if empty {
                return Err(err("dictionary entry without a Key"));
            }
            let mut key = None;
            let mut value = None;
            loop {
                let item = match self.next()? {
                    Ev::End => break,
                    Ev::Eof => return Err(err("truncated <En>")),
                    Ev::Start(s) => self.value(s, false, depth)?,
                    Ev::Empty(s) => self.value(s, true, depth)?,
                };
                match item {
                    Some((Some(n), v)) if n == "Key" => key = Some(v),
                    Some((Some(n), v)) if n == "Value" => value = Some(v),
                    _ => {}
                }
            }
            let key = key.ok_or_else(|| err("dictionary entry without a Key"))?;
            out.push((key, value.unwrap_or(PsValue::NIL)));
        }
    }
}

/// Appends character data with XML 1.0 end-of-line handling (`\r\n` and a
/// lone `\r` read as `\n`); unlike XML 1.1 rules, U+0085 and U+2028 stay.
fn push_normalised(out: &mut String, s: &str) {
    if !s.contains('\r') {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

/// The string without surrounding whitespace, reusing it when there is none.
fn trimmed(s: String) -> String {
    if s.trim().len() == s.len() {
        s
    } else {
        s.trim().to_owned()
    }
}

fn invalid(tag: &str, text: &str) -> ProtocolError {
    let mut value = text.to_owned();
    if value.len() > 64 {
        let mut cut = 64;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value.truncate(cut);
    }
    ProtocolError::InvalidValue {
        what: format!("clixml <{tag}>"),
        value,
    }
}

fn num<T: std::str::FromStr>(text: &str, tag: &str) -> Result<T, ProtocolError> {
    text.trim().parse().map_err(|_| invalid(tag, text))
}

fn float(text: &str, tag: &str) -> Result<f64, ProtocolError> {
    match text.trim() {
        "INF" | "Infinity" => Ok(f64::INFINITY),
        "-INF" | "-Infinity" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        t if t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            t.parse().map_err(|_| invalid(tag, text))
        }
        _ => Err(invalid(tag, text)),
    }
}

fn is_decimal(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let (frac, exp) = match frac.split_once(['e', 'E']) {
        Some((f, e)) => (f, Some(e)),
        None => (frac, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() || !frac.is_empty())
        && digits(int)
        && digits(frac)
        && exp.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        })
}

fn b64(text: &str, tag: &str) -> Result<Vec<u8>, ProtocolError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| ProtocolError::Base64(format!("clixml <{tag}>")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::clixml::ser::{to_clixml, to_clixml_document};
    use crate::protocol::clixml::value::{format_datetime, format_duration};
    use proptest::prelude::*;

    fn de(s: &str) -> Result<PsValue, ProtocolError> {
        from_clixml(s.as_bytes())
    }

    fn prim(s: &str) -> Primitive {
        match de(s).unwrap() {
            PsValue::Primitive(p) => p,
            other => panic!("not a primitive: {other:?}"),
        }
    }

    #[test]
    fn every_primitive_tag() {
        let guid = "792e5b37-4505-47ef-b7d2-8711bb7affa8";
        let cases: Vec<(&str, Primitive)> = vec![
            ("<S>a&lt;b_x000A_</S>", Primitive::Str("a<b\n".into())),
            ("<S />", Primitive::Str(String::new())),
            ("<S></S>", Primitive::Str(String::new())),
            ("<S> </S>", Primitive::Str(" ".into())),
            ("<C>97</C>", Primitive::Char(97)),
            ("<B>true</B>", Primitive::Bool(true)),
            ("<B>false</B>", Primitive::Bool(false)),
            (
                "<DT>2008-04-11T10:42:32.2731993-07:00</DT>",
                Primitive::DateTime("2008-04-11T10:42:32.2731993-07:00".into()),
            ),
            (
                "<TS>PT9.0269026S</TS>",
                Primitive::Duration("PT9.0269026S".into()),
            ),
            ("<By>255</By>", Primitive::U8(255)),
            ("<SB>-128</SB>", Primitive::I8(-128)),
            ("<U16>65535</U16>", Primitive::U16(65535)),
            ("<I16>-32768</I16>", Primitive::I16(-32768)),
            ("<U32>4294967295</U32>", Primitive::U32(u32::MAX)),
            ("<I32>-2147483648</I32>", Primitive::I32(i32::MIN)),
            ("<U64>18446744073709551615</U64>", Primitive::U64(u64::MAX)),
            ("<I64>-9223372036854775808</I64>", Primitive::I64(i64::MIN)),
            ("<Sg>12.34</Sg>", Primitive::F32(12.34)),
            ("<Db>1E+15</Db>", Primitive::F64(1e15)),
            ("<Db>-INF</Db>", Primitive::F64(f64::NEG_INFINITY)),
            ("<D>-12.3400</D>", Primitive::Decimal("-12.3400".into())),
            ("<BA>AQID</BA>", Primitive::Bytes(vec![1, 2, 3])),
            (
                &format!("<G>{guid}</G>").leak()[..],
                Primitive::Guid(uuid::Uuid::parse_str(guid).unwrap()),
            ),
            (
                "<URI>http://localhost/a_x0020_b</URI>",
                Primitive::Uri("http://localhost/a b".into()),
            ),
            ("<Nil />", Primitive::Nil),
            (
                "<Version>6.2.9200.0</Version>",
                Primitive::Version("6.2.9200.0".into()),
            ),
            (
                "<XD>&lt;a&gt;x&lt;/a&gt;</XD>",
                Primitive::XmlDoc("<a>x</a>".into()),
            ),
            (
                "<SBK>Get-Date_x000A_</SBK>",
                Primitive::ScriptBlock("Get-Date\n".into()),
            ),
            ("<SS>AAEC</SS>", Primitive::SecureString(vec![0, 1, 2])),
        ];
        for (xml, expected) in cases {
            let got = prim(xml);
            assert_eq!(got, expected, "{xml}");
            // and back: re-serialised text reads to the same primitive.
            let again = to_clixml(&PsValue::Primitive(got));
            assert_eq!(prim(&again), expected, "{xml} -> {again}");
        }
        // XML 1.0 line ends; U+2028 and U+0085 are kept (not XML 1.1 rules).
        assert_eq!(
            prim("<S>a\r\nb\rc\u{2028}\u{85}&#xD;</S>"),
            Primitive::Str("a\nb\nc\u{2028}\u{85}\r".into())
        );
        let nan = prim("<Db>NaN</Db>");
        assert!(matches!(nan, Primitive::F64(v) if v.is_nan()));
    }

    #[test]
    fn bom_namespace_prefix_and_declaration() {
        let body = "\u{FEFF}<?xml version=\"1.0\"?><Obj RefId=\"0\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>";
        let v = de(body).unwrap();
        assert_eq!(v.get("RunspaceState").and_then(PsValue::as_i32), Some(2));
        let prefixed = "<ps:Obj xmlns:ps=\"http://schemas.microsoft.com/powershell/2004/04\" RefId=\"0\"><ps:MS><ps:S N=\"a\">b</ps:S></ps:MS></ps:Obj>";
        assert_eq!(
            de(prefixed).unwrap().get("a").and_then(PsValue::as_str),
            Some("b")
        );
    }

    #[test]
    fn objs_document_shares_refs() {
        let doc = "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n<Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN><ToString>x</ToString></Obj>\r\n<Ref RefId=\"0\" /><Obj RefId=\"1\"><TNRef RefId=\"0\" /></Obj><S>s</S></Objs>";
        let vs = from_clixml_document(doc.as_bytes()).unwrap();
        assert_eq!(vs.len(), 4);
        assert_eq!(vs[0], vs[1]);
        assert_eq!(vs[2].type_names(), ["A".to_owned()]);
        assert_eq!(vs[3].as_str(), Some("s"));
        let with_marker = format!("#< CLIXML\r\n{doc}");
        assert_eq!(from_clixml_document(with_marker.as_bytes()).unwrap(), vs);
        let written = to_clixml_document(&vs);
        assert!(written.starts_with("<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj RefId=\"0\">"));
        assert_eq!(from_clixml_document(written.as_bytes()).unwrap(), vs);
        assert!(from_clixml(b"<S>a</S><S>b</S>").is_err());
    }

    #[test]
    fn objects_containers_refs_and_unknown_content() {
        let xml = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>Outer</T><T>System.Object</T></TN><ToString>outer_x005F_x</ToString>\
            <Unknown a=\"1\"><Deep><Obj RefId=\"77\" /></Deep></Unknown>\
            <Obj RefId=\"1\"><TNRef RefId=\"0\" /><Props><S N=\"P\">p</S></Props></Obj>\
            <Props><Ref N=\"Base\" RefId=\"1\" /><Whatever N=\"skip\">x</Whatever></Props>\
            <MS><Obj N=\"L\" RefId=\"2\"><IE><I32>1</I32><Nil /></IE></Obj>\
            <Obj N=\"Q\" RefId=\"3\"><QUE><S>q</S></QUE></Obj><Obj N=\"K\" RefId=\"4\"><STK /></Obj>\
            <Obj N=\"D\" RefId=\"5\"><DCT><En><I32 N=\"Key\">1</I32><Ref N=\"Value\" RefId=\"2\" /></En><En><S N=\"Key\">n</S></En></DCT></Obj>\
            <Obj N=\"E\" RefId=\"6\"><TN RefId=\"1\"><T>Color</T><T>System.Enum</T></TN><ToString>Red</ToString><I32>2</I32></Obj>\
            <Ref N=\"Self\" RefId=\"0\" /></MS></Obj>";
        let v = de(xml).unwrap();
        let o = v.as_object().unwrap();
        assert_eq!(o.type_names, ["Outer", "System.Object"]);
        assert_eq!(o.to_string.as_deref(), Some("outer_x"));
        assert_eq!(
            o.value
                .as_ref()
                .and_then(|b| b.get("P"))
                .and_then(PsValue::as_str),
            Some("p")
        );
        assert_eq!(v.get("Base"), o.value.as_ref());
        assert!(v.get("skip").is_none());
        assert!(matches!(
            v.get("L").and_then(|l| l.as_object()).and_then(|l| l.container.as_ref()),
            Some(Container::Enumerable(items)) if items.len() == 2
        ));
        assert_eq!(
            v.get("Q").and_then(PsValue::as_list).map(<[PsValue]>::len),
            Some(1)
        );
        assert_eq!(
            v.get("K").and_then(PsValue::as_list).map(<[PsValue]>::len),
            Some(0)
        );
        let d = v.get("D").and_then(PsValue::as_dict).unwrap();
        assert_eq!(d[0].0.as_i32(), Some(1));
        assert_eq!(Some(&d[0].1), v.get("L"));
        assert!(d[1].1.is_nil());
        assert_eq!(v.get("E").and_then(PsValue::as_i32), Some(2));
        assert_eq!(v.get("E").and_then(PsValue::enum_name), Some("Red"));
        // A reference to the object being read gives a shallow copy.
        let me = v.get("Self").and_then(PsValue::as_object).unwrap();
        assert_eq!(me.to_string.as_deref(), Some("outer_x"));
        assert!(me.extended.is_empty());
        // Re-serialising shares the referenced objects again.
        let out = to_clixml(&v);
        assert!(out.contains("<Ref N=\"Base\" RefId=\"1\" />"), "{out}");
        assert_eq!(de(&out).unwrap(), v);
    }

    #[test]
    fn pypsrp_serializer_vectors() {
        // Containers as pypsrp's tests expect them (test_serializer.py).
        let list = |c: Container, types: &[&str]| {
            PsValue::from(PsObject::with_types(types).with_container(c))
        };
        let items = || vec![PsValue::str("0"), PsValue::str("1"), PsValue::str("2")];
        let cases = [
            (
                list(
                    Container::Queue(items()),
                    &["System.Collections.Queue", "System.Object"],
                ),
                "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Queue</T><T>System.Object</T></TN><QUE><S>0</S><S>1</S><S>2</S></QUE></Obj>",
            ),
            (
                list(
                    Container::Stack(items().into_iter().rev().collect()),
                    &["System.Collections.Stack", "System.Object"],
                ),
                "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Stack</T><T>System.Object</T></TN><STK><S>2</S><S>1</S><S>0</S></STK></Obj>",
            ),
            (
                list(
                    Container::List(items()),
                    &["System.Object[]", "System.Array", "System.Object"],
                ),
                "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST><S>0</S><S>1</S><S>2</S></LST></Obj>",
            ),
            (
                list(
                    Container::Enumerable(items()),
                    &["System.Object[]", "System.Array", "System.Object"],
                ),
                "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><IE><S>0</S><S>1</S><S>2</S></IE></Obj>",
            ),
            (
                PsObject::new().with_ms("key", "value").into(),
                "<Obj RefId=\"0\"><MS><S N=\"key\">value</S></MS></Obj>",
            ),
            (PsValue::from(1), "<I32>1</I32>"),
            (Primitive::F32(10.0323).into(), "<Sg>10.0323</Sg>"),
            (Primitive::U32(1).into(), "<U32>1</U32>"),
            (Primitive::Bytes(b"abc".to_vec()).into(), "<BA>YWJj</BA>"),
        ];
        for (v, xml) in cases {
            assert_eq!(to_clixml(&v), xml);
            assert_eq!(de(xml).unwrap(), v, "{xml}");
        }
        // Pretty-printed input (whitespace between elements).
        let pretty = "<Obj N=\"Value\" RefId=\"14\">\n    <MS>\n        <S N=\"T\">System.Management.Automation.Host.Size</S>\n        <Obj N=\"V\" RefId=\"15\">\n            <MS>\n                <I32 N=\"height\">50</I32>\n                <I32 N=\"width\">60</I32>\n            </MS>\n        </Obj>\n    </MS>\n</Obj>";
        let v = de(pretty).unwrap();
        assert_eq!(v.path(&["V", "width"]).and_then(PsValue::as_i32), Some(60));
        assert_eq!(
            v.get("T").and_then(PsValue::as_str),
            Some("System.Management.Automation.Host.Size")
        );
        // Exchange's self-referencing ADObjectId (pypsrp
        // test_deserialize_circular_reference), and pypsrp's own form with
        // two "property set" values.
        let circular = "<Obj N=\"DomainId\" RefId=\"44\">\n    <TN RefId=\"6\">\n        <T>Microsoft.Exchange.Data.Directory.ADObjectId</T>\n        <T>Microsoft.Exchange.Data.ObjectId</T>\n        <T>System.Object</T>\n    </TN>\n    <ToString>com</ToString>\n    <Props>\n        <Nil N=\"OrgHierarchyToIgnore\"/>\n        <I32 N=\"Depth\">0</I32>\n        <Ref N=\"DomainId\" RefId=\"44\"/>\n        <S N=\"Name\">com</S>\n    </Props>\n</Obj>";
        let v = de(circular).unwrap();
        assert_eq!(v.enum_name(), Some("com"));
        let inner = v.get("DomainId").unwrap();
        assert_eq!(inner.enum_name(), Some("com"));
        assert_eq!(inner.type_names(), v.type_names());
        assert_eq!(v.type_names().len(), 3);
        let sets = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN><ToString>com</ToString><S>abc</S><Ref RefId=\"0\" /><Props><Ref N=\"DomainId\" RefId=\"0\" /></Props></Obj>";
        let v = de(sets).unwrap();
        assert_eq!(v.as_str(), Some("abc"));
        assert_eq!(v.get("DomainId").and_then(PsValue::as_str), Some("abc"));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let bad = [
            "",
            "   ",
            "text",
            "<Foo />",
            "<S>a",
            "<S>a</I32>",
            "<Obj RefId=\"0\"><MS>",
            "<Obj RefId=\"0\"><MS><S N=\"a\">x</S></Obj>",
            "<I32>abc</I32>",
            "<I32>99999999999</I32>",
            "<By>256</By>",
            "<SB>-129</SB>",
            "<U64>-1</U64>",
            "<C>70000</C>",
            "<B>yes</B>",
            "<Db>1.2.3</Db>",
            "<Sg>one</Sg>",
            "<D>1e</D>",
            "<D>abc</D>",
            "<G>not-a-guid</G>",
            "<BA>!!!!</BA>",
            "<SS>abc</SS>",
            "<Ref RefId=\"9\" />",
            "<Ref />",
            "<Obj RefId=\"x\" />",
            "<Obj RefId=\"0\"><TNRef RefId=\"3\" /></Obj>",
            "<Obj RefId=\"0\"><DCT><En><S N=\"Value\">v</S></En></DCT></Obj>",
            "<S><S>a</S></S>",
            "<!DOCTYPE S [<!ENTITY a \"b\">]><S>&a;</S>",
            "<S>&unknown;</S>",
            "<S>&#xFFFFFFFF;</S>",
            "<S>a</S><S>b</S>",
            "<S>a</S>junk",
            "junk<S>a</S>",
            "&amp;<S>a</S>",
        ];
        for b in bad {
            assert!(de(b).is_err(), "accepted: {b:?}");
        }
        // Invalid UTF-8.
        assert!(from_clixml(b"<S>\xFF\xFE</S>").is_err());
        // Whitespace and comments around the root are fine.
        assert!(de("\r\n <!-- c --><S>a</S>\r\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_a_limit_error() {
        let n = 10_000;
        let deep_obj = "<Obj RefId=\"0\"><MS><Obj N=\"a\" RefId=\"1\">".repeat(n);
        assert!(matches!(de(&deep_obj), Err(ProtocolError::Limit(_))));
        let deep_lst = "<Obj RefId=\"0\"><LST>".repeat(n);
        assert!(matches!(de(&deep_lst), Err(ProtocolError::Limit(_))));
        let deep_value = "<Obj RefId=\"0\">".repeat(n);
        assert!(matches!(de(&deep_value), Err(ProtocolError::Limit(_))));
        // Unknown elements nest without recursion and are skipped.
        let deep_unknown = format!(
            "<Obj RefId=\"0\">{}{}<ToString>ok</ToString></Obj>",
            "<X>".repeat(n),
            "</X>".repeat(n)
        );
        assert_eq!(de(&deep_unknown).unwrap().enum_name(), Some("ok"));
        // Exactly at the limit is fine.
        let ok = format!(
            "{}{}",
            "<Obj RefId=\"0\"><MS><Obj N=\"a\" RefId=\"1\">".repeat(MAX_DEPTH / 2),
            "</Obj></MS></Obj>".repeat(MAX_DEPTH / 2)
        );
        assert!(de(&ok).is_ok());
    }

    #[test]
    fn every_truncation_of_a_real_message_fails_cleanly() {
        let body = "<Obj RefId=\"0\"><MS><S N=\"Activity\">Preparing modules for first use.</S><I32 N=\"ActivityId\">0</I32><Nil N=\"CurrentOperation\" /><Obj N=\"Type\" RefId=\"1\"><TN RefId=\"0\"><T>System.Management.Automation.ProgressRecordType</T><T>System.Enum</T></TN><ToString>Completed</ToString><I32>1</I32></Obj><Obj N=\"D\" RefId=\"2\"><DCT><En><S N=\"Key\">k</S><Ref N=\"Value\" RefId=\"1\" /></En></DCT></Obj></MS></Obj>";
        assert!(de(body).is_ok());
        for cut in 0..body.len() {
            assert!(de(&body[..cut]).is_err(), "prefix {cut} accepted");
        }
    }

    fn arb_string() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(
                prop_oneof![
                    Just('_'),
                    Just('x'),
                    Just('X'),
                    Just('0'),
                    Just('\u{0}'),
                    Just('\r'),
                    Just('\u{85}'),
                    Just('\u{FFFF}'),
                    Just('\u{1D11E}'),
                    Just('<'),
                    Just('&'),
                    Just(' '),
                    any::<char>()
                ],
                0..24
            )
            .prop_map(|v| v.into_iter().collect()),
        ]
    }

    fn arb_primitive() -> impl Strategy<Value = Primitive> {
        prop_oneof![
            arb_string().prop_map(Primitive::Str),
            any::<u16>().prop_map(Primitive::Char),
            any::<bool>().prop_map(Primitive::Bool),
            (0i64..4_000_000_000, 0u32..10_000_000, -720i32..720).prop_map(|(s, t, off)| {
                let off = chrono::FixedOffset::east_opt(off * 60).unwrap();
                let dt = chrono::DateTime::from_timestamp(s, t * 100)
                    .unwrap()
                    .with_timezone(&off);
                Primitive::DateTime(format_datetime(&dt))
            }),
            (any::<i32>(), 0u32..1_000_000_000).prop_map(|(s, n)| Primitive::Duration(
                format_duration(chrono::TimeDelta::new(i64::from(s), n / 100 * 100).unwrap())
            )),
            any::<u8>().prop_map(Primitive::U8),
            any::<i8>().prop_map(Primitive::I8),
            any::<u16>().prop_map(Primitive::U16),
            any::<i16>().prop_map(Primitive::I16),
            any::<u32>().prop_map(Primitive::U32),
            any::<i32>().prop_map(Primitive::I32),
            any::<u64>().prop_map(Primitive::U64),
            any::<i64>().prop_map(Primitive::I64),
            any::<f32>()
                .prop_filter("NaN is not equal to itself", |v| !v.is_nan())
                .prop_map(Primitive::F32),
            any::<f64>()
                .prop_filter("NaN is not equal to itself", |v| !v.is_nan())
                .prop_map(Primitive::F64),
            "-?[0-9]{1,12}(\\.[0-9]{1,6})?".prop_map(Primitive::Decimal),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Primitive::Bytes),
            any::<u128>().prop_map(|v| Primitive::Guid(uuid::Uuid::from_u128(v))),
            arb_string().prop_map(Primitive::Uri),
            Just(Primitive::Nil),
            "[0-9]{1,4}(\\.[0-9]{1,5}){1,3}".prop_map(Primitive::Version),
            arb_string().prop_map(Primitive::XmlDoc),
            arb_string().prop_map(Primitive::ScriptBlock),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Primitive::SecureString),
        ]
    }

    fn arb_value() -> impl Strategy<Value = PsValue> {
        let leaf = arb_primitive().prop_map(PsValue::Primitive);
        leaf.prop_recursive(4, 48, 6, |inner| {
            let props = || proptest::collection::vec((arb_string(), inner.clone()), 0..4);
            let items = proptest::collection::vec(inner.clone(), 0..4);
            let container = prop_oneof![
                items.clone().prop_map(Container::List),
                items.clone().prop_map(Container::Enumerable),
                items.clone().prop_map(Container::Stack),
                items.prop_map(Container::Queue),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3)
                    .prop_map(Container::Dictionary),
            ];
            (
                proptest::collection::vec(
                    prop_oneof![Just("System.Object".to_owned()), arb_string()],
                    0..3,
                ),
                proptest::option::of(arb_string()),
                proptest::option::of(inner.clone()),
                proptest::option::of(container),
                props(),
                props(),
            )
                .prop_map(
                    |(type_names, to_string, value, container, adapted, extended)| {
                        PsValue::from(PsObject {
                            type_names,
                            to_string,
                            value,
                            container,
                            adapted,
                            extended,
                        })
                    },
                )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn values_round_trip(v in arb_value()) {
            let xml = to_clixml(&v);
            let back = from_clixml(xml.as_bytes());
            prop_assert_eq!(back.as_ref(), Ok(&v), "{}", xml);
        }

        #[test]
        fn strings_round_trip_through_escaping(s in arb_string()) {
            use crate::protocol::clixml::escape::{escape, unescape};
            let e = escape(&s);
            prop_assert!(e.chars().all(|c| !c.is_control() && (c as u32) <= 0xFFFD));
            prop_assert_eq!(unescape(&e), s.as_str());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = from_clixml(&bytes);
            let _ = from_clixml_document(&bytes);
        }

        #[test]
        fn mutated_messages_never_panic(cut in 0usize..400, byte in any::<u8>()) {
            let body = b"<Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN><ToString>t</ToString><I32>1</I32><MS><Ref N=\"r\" RefId=\"0\" /><Obj N=\"d\" RefId=\"1\"><TNRef RefId=\"0\" /><DCT><En><S N=\"Key\">k</S><BA N=\"Value\">AQID</BA></En></DCT></Obj></MS></Obj>";
            let mut m = body.to_vec();
            let i = cut % m.len();
            m[i] = byte;
            let _ = from_clixml(&m);
        }
    }
}
