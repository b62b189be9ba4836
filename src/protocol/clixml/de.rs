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
mod tests;
