//! Property tests where coverage-guided fuzzing is awkward: structured
//! inputs of 10–100 KB, nesting near every limit, run through the same
//! surfaces (and invariants) as the fuzz targets (`baton::fuzzing`): the
//! importers (entries bounded, every host checked, the tree saves and
//! loads back equal) and CLIXML rendering (output bounded per input byte,
//! no escape sequence reaches the terminal).

use proptest::prelude::*;

fn run(surface: &str, data: &[u8]) {
    (baton::fuzzing::surface(surface).expect("a surface").run)(data);
}

/// An mRemoteNG file of `per_level` connections at each of `depth` nested
/// containers (Baton keeps 32 levels of groups).
fn mremoteng(depth: usize, per_level: usize, name_len: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<mrng:Connections xmlns:mrng=\"http://mremoteng.org\" Name=\"Connections\" ConfVersion=\"2.6\">\n",
    );
    for level in 0..depth {
        xml.push_str(&format!("<Node Name=\"G{level}\" Type=\"Container\">\n"));
        for i in 0..per_level {
            let name = format!("s{level}x{i}{}", "a".repeat(name_len));
            xml.push_str(&format!(
                "<Node Name=\"{name}\" Type=\"Connection\" Hostname=\"{name}.corp.example\" Protocol=\"PowerShell\" Port=\"5985\" Descr=\"{}\"/>\n",
                "d".repeat(name_len)
            ));
        }
    }
    xml.push_str(&"</Node>\n".repeat(depth));
    xml.push_str("</mrng:Connections>\n");
    xml
}

/// CLIXML of one object with `props` properties, nested `depth` levels.
fn clixml(depth: usize, props: usize, text_len: usize) -> String {
    let mut s = String::new();
    for d in 0..depth {
        s.push_str(&format!(
            "<Obj RefId=\"{d}\" N=\"Level{d}\"><TN RefId=\"{d}\"><T>Deserialized.Fuzz.Level{d}</T><T>System.Object</T></TN><Props>"
        ));
        for p in 0..props {
            s.push_str(&format!(
                "<S N=\"P{p}\">{}</S><I32 N=\"N{p}\">{p}</I32>",
                "v".repeat(text_len)
            ));
        }
    }
    for _ in 0..depth {
        s.push_str("</Props></Obj>");
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn large_and_deep_mremoteng_files_import_within_their_invariants(
        depth in 1usize..=34, per_level in 1usize..=40, name_len in 1usize..=40,
    ) {
        let xml = mremoteng(depth, per_level, name_len);
        prop_assume!(xml.len() >= 10_000 && xml.len() <= 100_000);
        run("import_mremoteng", xml.as_bytes());
        // Deeper than Baton keeps is refused whole, never cut.
        let mut tree = baton::model::profile::ProfileTree::default();
        let before = tree.clone();
        let result = baton::store::import::import_into(
            &mut tree, None, std::path::Path::new("confCons.xml"), xml.as_bytes(), Some("mremoteng"), "Imported",
        );
        // The import becomes one group of the tree: its containers add to
        // that level, and the whole stays within the 32 levels kept.
        prop_assert_eq!(result.is_ok(), depth < 32, "depth {}", depth);
        if result.is_err() {
            prop_assert_eq!(tree, before, "refused whole");
        }
    }

    #[test]
    fn large_host_lists_import_within_their_invariants(
        lines in 500usize..=4000, ports in proptest::bool::ANY, utf16 in proptest::bool::ANY,
    ) {
        let mut text = String::new();
        for i in 0..lines {
            if ports { text.push_str(&format!("srv{i:05}.corp.example:5986\r\n")); }
            else { text.push_str(&format!("srv{i:05}.corp.example\n")); }
        }
        let bytes: Vec<u8> = if utf16 {
            let mut b = vec![0xff, 0xfe];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        } else {
            text.into_bytes()
        };
        prop_assume!(bytes.len() >= 10_000);
        run("import_hostlist", &bytes);
    }

    #[test]
    fn large_and_deep_clixml_renders_within_its_bounds(
        depth in 1usize..=127, props in 1usize..=60, text_len in 1usize..=200, kind in 0u8..7,
    ) {
        let body = clixml(depth, props, text_len);
        prop_assume!(body.len() >= 10_000 && body.len() <= 100_000);
        let mut input = vec![kind];
        input.extend_from_slice(body.as_bytes());
        run("clixml_render", &input);
    }
}
