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
    let list =
        |c: Container, types: &[&str]| PsValue::from(PsObject::with_types(types).with_container(c));
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
fn type_name_refs_name_the_list_as_it_was_declared() {
    let names = |v: &PsValue| v.type_names().to_vec();
    // A TNRef inside the object still declaring the list, and in a later
    // object once the declaring one is complete.
    let v = de("<Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T><T>B</T></TN><MS>\
        <Obj N=\"in\" RefId=\"1\"><TNRef RefId=\"0\" /></Obj></MS></Obj>")
    .unwrap();
    assert_eq!(names(&v), ["A", "B"]);
    assert_eq!(names(v.get("in").unwrap()), ["A", "B"]);
    let vs = from_clixml_document(
        b"<Objs><Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN></Obj>\
        <Obj RefId=\"1\"><TNRef RefId=\"0\" /></Obj></Objs>",
    )
    .unwrap();
    assert_eq!(names(&vs[1]), ["A"]);
    // An object that declares a list and then takes other names (a second
    // TN, or a TNRef): later TNRefs still get the list as declared.
    let vs = from_clixml_document(
        b"<Objs><Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN><TN RefId=\"1\"><T>B</T></TN></Obj>\
        <Obj RefId=\"1\"><TNRef RefId=\"0\" /></Obj><Obj RefId=\"2\"><TNRef RefId=\"1\" /></Obj>\
        <Obj RefId=\"3\"><TN RefId=\"2\"><T>C</T></TN><TNRef RefId=\"0\" /></Obj>\
        <Obj RefId=\"4\"><TNRef RefId=\"2\" /></Obj></Objs>",
    )
    .unwrap();
    let got: Vec<Vec<String>> = vs.iter().map(names).collect();
    assert_eq!(got, [vec!["B"], vec!["A"], vec!["B"], vec!["A"], vec!["C"]]);
    // A RefId declared again names the newer list, also once its first
    // declarer completes.
    let vs = from_clixml_document(
        b"<Objs><Obj RefId=\"0\"><TN RefId=\"0\"><T>A</T></TN><MS>\
        <Obj N=\"in\" RefId=\"1\"><TN RefId=\"0\"><T>B</T></TN></Obj></MS></Obj>\
        <Obj RefId=\"2\"><TNRef RefId=\"0\" /></Obj></Objs>",
    )
    .unwrap();
    assert_eq!(names(&vs[1]), ["B"]);
}

#[test]
fn many_ref_ids_resolve_and_attributes_are_unique() {
    // More RefIds than the short list holds: every Ref and TNRef resolves.
    let n = 100;
    let mut doc = String::from("<Objs>");
    for i in 0..n {
        doc.push_str(&format!(
            "<Obj RefId=\"{i}\"><TN RefId=\"{i}\"><T>T{i}</T></TN><ToString>o{i}</ToString></Obj>"
        ));
    }
    for i in (0..n).rev() {
        doc.push_str(&format!(
            "<Ref RefId=\"{i}\" /><Obj RefId=\"{}\"><TNRef RefId=\"{i}\" /></Obj>",
            n + i
        ));
    }
    doc.push_str("</Objs>");
    let vs = from_clixml_document(doc.as_bytes()).unwrap();
    assert_eq!(vs.len(), 3 * n);
    for i in 0..n {
        let back = 3 * n - 2 - 2 * i;
        assert_eq!(vs[back], vs[i]);
        assert_eq!(vs[back + 1].type_names(), [format!("T{i}")]);
    }
    // XML's rule: an attribute at most once per element (also past the
    // first few).
    assert!(de("<S N=\"a\" N=\"b\">x</S>").is_err());
    assert!(de("<S a=\"1\" b=\"2\" c=\"3\" d=\"4\" e=\"5\" b=\"6\">x</S>").is_err());
    assert!(de("<S a=\"1\" b=\"2\" c=\"3\" d=\"4\" e=\"5\" e=\"6\">x</S>").is_err());
    assert_eq!(
        prim("<S a=\"1\" b=\"2\" c=\"3\" d=\"4\" e=\"5\" x:N=\"6\">x</S>"),
        Primitive::Str("x".into())
    );
    // Entities and escapes in names and text, CR LF read as LF.
    let v =
        de("<Obj RefId=\"0\"><MS><S N=\"a&amp;_x0042_\">1&lt;2\r\n_x0041_</S></MS></Obj>").unwrap();
    assert_eq!(v.get("a&B").and_then(PsValue::as_str), Some("1<2\nA"));
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
