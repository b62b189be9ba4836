//! Deserialising CLIXML ([MS-PSRP] §2.2.5) into [`PsValue`]s.
//!
//! A streaming reader (quick-xml events, no DOM) so large output streams
//! decode fast. Elements are matched by local name; the optional CLIXML
//! namespace and any prefix are accepted. DTDs are refused, nesting of
//! objects is bounded by [`MAX_DEPTH`], and every malformed input yields a
//! [`ProtocolError`], never a panic. Unknown elements inside an `<Obj>` are
//! skipped, so unknown types still decode as generic objects.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use quick_xml::Reader;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};

use super::escape::unescape_into_owned;
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
    let mut first = None;
    let mut n = 0usize;
    parse(body, true, |v| {
        n += 1;
        if first.is_none() {
            first = Some(v);
        }
    })?;
    match (n, first) {
        (1, Some(v)) => Ok(v),
        (n, _) => Err(err(format!("expected one value, found {n}"))),
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
    let mut values = Vec::new();
    parse(doc, false, |v| values.push(v))?;
    Ok(values)
}

fn parse(body: &[u8], single: bool, mut sink: impl FnMut(PsValue)) -> Result<(), ProtocolError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut de = De {
        r: Reader::from_reader(body),
        objs: RefMap::default(),
        tns: RefMap::default(),
        building: Vec::new(),
    };
    de.r.config_mut().check_end_names = true;
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
                                sink(v);
                            }
                        }
                        Ev::Empty(c) => {
                            if let Some((_, v)) = de.value(c, true, 0)? {
                                sink(v);
                            }
                        }
                    }
                }
            }
            Ev::Empty(s) if local(&s) == b"Objs" => seen_root = true,
            Ev::Start(s) => {
                seen_root = true;
                sink(de.root_value(s, false)?);
            }
            Ev::Empty(s) => {
                seen_root = true;
                sink(de.root_value(s, true)?);
            }
        }
    }
    if !seen_root && single {
        return Err(err("empty document"));
    }
    Ok(())
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
    objs: RefMap<Arc<PsObject>>,
    /// Type-name lists by TN RefId ([MS-PSRP] §2.2.5.2.3): where they are,
    /// so that a list is copied only when a `<TNRef>` uses it.
    tns: RefMap<TypeNames>,
    /// Objects being read, innermost last.
    building: Vec<Building>,
}

/// Values by RefId within one document: a few kept inline and searched in
/// order (a PowerShell message holds a few RefIds, and this costs no
/// allocation), a hash map past that, so that a document with many stays
/// linear.
struct RefMap<V> {
    small: [Option<(u64, V)>; 4],
    large: HashMap<u64, V>,
}

impl<V> Default for RefMap<V> {
    fn default() -> Self {
        RefMap {
            small: [None, None, None, None],
            large: HashMap::new(),
        }
    }
}

impl<V> RefMap<V> {
    fn get(&self, id: &u64) -> Option<&V> {
        if self.large.is_empty() {
            self.small
                .iter()
                .flatten()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v)
        } else {
            self.large.get(id)
        }
    }

    fn get_mut(&mut self, id: &u64) -> Option<&mut V> {
        if self.large.is_empty() {
            self.small
                .iter_mut()
                .flatten()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v)
        } else {
            self.large.get_mut(id)
        }
    }

    fn insert(&mut self, id: u64, value: V) {
        if self.large.is_empty() {
            if let Some(slot) = self.small.iter_mut().flatten().find(|(k, _)| *k == id) {
                slot.1 = value;
                return;
            }
            if let Some(free) = self.small.iter_mut().find(|s| s.is_none()) {
                *free = Some((id, value));
                return;
            }
            self.large
                .extend(self.small.iter_mut().filter_map(Option::take));
        }
        self.large.insert(id, value);
    }
}

/// An object being read.
struct Building {
    /// Its RefId.
    ref_id: Option<u64>,
    obj: PsObject,
    /// The RefId of the `<TN>` it declared, while its type names are that list.
    tn: Option<u64>,
}

/// Where the type names of a `<TN RefId>` are.
enum TypeNames {
    /// On the object at this index of [`De::building`].
    Building(usize),
    /// On a completed object.
    Done(Arc<PsObject>),
    /// Copied, because the object that declared them changed its type names.
    Copied(Vec<String>),
}

impl<'a> De<'a> {
    /// A root element that is not `<Objs>`: it must be a CLIXML value.
    fn root_value(&mut self, s: BytesStart<'a>, empty: bool) -> Result<PsValue, ProtocolError> {
        // A tag borrowed from the input costs nothing to keep for the error.
        let tag = s.clone();
        match self.value(s, empty, 0)? {
            Some((_, v)) => Ok(v),
            None => Err(err(format!(
                "unknown element <{}>",
                String::from_utf8_lossy(local(&tag))
            ))),
        }
    }

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
        // XML's unique-attribute rule, checked here without quick-xml's
        // per-element allocation: CLIXML elements carry one or two.
        let mut seen: [&[u8]; 4] = [&[]; 4];
        let mut more: Vec<&[u8]> = Vec::new();
        let mut attributes = s.attributes();
        attributes.with_checks(false);
        for (count, a) in attributes.enumerate() {
            let a = a.map_err(|e| self.xml_err(e))?;
            let key = a.key.into_inner();
            if seen[..count.min(seen.len())].contains(&key) || more.contains(&key) {
                return Err(self.xml_err(format!(
                    "duplicate attribute {}",
                    String::from_utf8_lossy(key)
                )));
            }
            match seen.get_mut(count) {
                Some(slot) => *slot = key,
                None => more.push(key),
            }
            match a.key.local_name().into_inner() {
                b"N" => out.name = Some(unescape_into_owned(self.attr_value(&a)?)),
                b"RefId" => {
                    let v = self.attr_value(&a)?;
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

    /// An attribute's value, entities resolved; borrowed when it has none.
    fn attr_value<'x>(&self, a: &Attribute<'x>) -> Result<Cow<'x, str>, ProtocolError> {
        match &a.value {
            Cow::Borrowed(raw) if !raw.contains(&b'&') => std::str::from_utf8(raw)
                .map(Cow::Borrowed)
                .map_err(|e| self.xml_err(e)),
            _ => a.unescape_value().map_err(|e| self.xml_err(e)),
        }
    }

    /// Reads the character content of a leaf element up to its end tag,
    /// borrowed from the input when it is one run of text without a
    /// reference or a carriage return (the usual case).
    fn text(&mut self, empty: bool) -> Result<Cow<'a, str>, ProtocolError> {
        let mut out = Cow::Borrowed("");
        if empty {
            return Ok(out);
        }
        loop {
            match self.r.read_event().map_err(|e| self.xml_err(e))? {
                Event::Text(t) => {
                    push_normalised(&mut out, t.decode().map_err(|e| self.xml_err(e))?);
                }
                Event::CData(t) => {
                    push_normalised(&mut out, t.decode().map_err(|e| self.xml_err(e))?);
                }
                Event::GeneralRef(r) => {
                    if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => out.to_mut().push(c),
                            _ => return Err(self.xml_err("invalid character reference")),
                        }
                    } else {
                        let name = r.decode().map_err(|e| self.xml_err(e))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(v) => out.to_mut().push_str(v),
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

    /// The text of a string-like leaf (`S`, `ToString`, `T`…), `_xHHHH_`
    /// escapes decoded, as an owned string (one allocation when there is
    /// no escape).
    fn string(&mut self, empty: bool) -> Result<String, ProtocolError> {
        Ok(unescape_into_owned(self.text(empty)?))
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
        if let Some(Building { obj: o, .. }) =
            self.building.iter().rev().find(|b| b.ref_id == Some(id))
        {
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
            b"S" => Primitive::Str(self.string(empty)?),
            b"URI" => Primitive::Uri(self.string(empty)?),
            b"XD" => Primitive::XmlDoc(self.string(empty)?),
            b"SBK" => Primitive::ScriptBlock(self.string(empty)?),
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
            .map(|b| &mut b.obj)
            .ok_or_else(|| err("internal: no object being read"))
    }

    /// Gives the object being read new type names; a `<TN>` list that was
    /// its names is copied first for the `<TNRef>`s still to come.
    fn set_type_names(
        &mut self,
        names: Vec<String>,
        declared: Option<u64>,
    ) -> Result<(), ProtocolError> {
        let at = self
            .building
            .len()
            .checked_sub(1)
            .ok_or_else(|| err("internal: no object being read"))?;
        let top = &mut self.building[at];
        if let Some(id) = top.tn.take()
            && let Some(entry) = self.tns.get_mut(&id)
            && matches!(entry, TypeNames::Building(i) if *i == at)
        {
            *entry = TypeNames::Copied(top.obj.type_names.clone());
        }
        top.obj.type_names = names;
        if let Some(id) = declared {
            top.tn = Some(id);
            self.tns.insert(id, TypeNames::Building(at));
        }
        Ok(())
    }

    /// A copy of the type names of `<TN RefId="id">`.
    fn type_names_of(&self, id: u64) -> Result<Vec<String>, ProtocolError> {
        let names = match self.tns.get(&id) {
            Some(TypeNames::Building(i)) => self.building.get(*i).map(|b| &b.obj.type_names),
            Some(TypeNames::Done(o)) => Some(&o.type_names),
            Some(TypeNames::Copied(names)) => Some(names),
            None => None,
        };
        names
            .cloned()
            .ok_or_else(|| err(format!("unknown TNRef RefId {id}")))
    }

    /// Reads the content of an `<Obj>` ([MS-PSRP] §2.2.5.2).
    fn object(
        &mut self,
        ref_id: Option<u64>,
        empty: bool,
        depth: usize,
    ) -> Result<Arc<PsObject>, ProtocolError> {
        self.building.push(Building {
            ref_id,
            obj: PsObject::default(),
            tn: None,
        });
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
        let done = self
            .building
            .pop()
            .ok_or_else(|| err("internal: no object being read"))?;
        let obj = Arc::new(done.obj);
        if let Some(id) = done.tn
            && let Some(entry) = self.tns.get_mut(&id)
            && matches!(entry, TypeNames::Building(i) if *i == self.building.len())
        {
            *entry = TypeNames::Done(obj.clone());
        }
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
                let names = self.type_names_of(id)?;
                self.set_type_names(names, None)
            }
            b"ToString" => {
                let t = self.string(empty)?;
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
                        names.push(self.string(false)?);
                    }
                    Ev::Empty(t) if local(&t) == b"T" => names.push(String::new()),
                    Ev::Start(t) => self.skip(&t, false)?,
                    Ev::Empty(_) => {}
                }
            }
        }
        self.set_type_names(names, a.ref_id)
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
/// The first run of plain text is kept borrowed.
fn push_normalised<'a>(out: &mut Cow<'a, str>, s: Cow<'a, str>) {
    if !s.contains('\r') {
        if out.is_empty() {
            *out = s;
        } else {
            out.to_mut().push_str(&s);
        }
        return;
    }
    let out = out.to_mut();
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

/// The string without surrounding whitespace, as an owned string.
fn trimmed(s: Cow<'_, str>) -> String {
    let t = s.trim();
    if t.len() == s.len() {
        s.into_owned()
    } else {
        t.to_owned()
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
