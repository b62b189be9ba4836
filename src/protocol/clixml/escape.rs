//! The `_xHHHH_` string escaping of CLIXML ([MS-PSRP] §2.2.5.3.2).
//!
//! XML 1.0 cannot carry most control characters, so PowerShell replaces
//! every UTF-16 code unit that XML (or the serializer) cannot transport with
//! `_x` + four upper-case hex digits + `_`. A literal `_x` (either case of the
//! `x`) is protected by escaping its underscore as `_x005F_`. This escaping is
//! applied to string values, `ToString`, type names and property names; XML
//! entity escaping (`&lt;` …) is a separate layer on top.

use std::borrow::Cow;

/// Whether a character must be written as `_xHHHH_` units.
///
/// [MS-PSRP] §2.2.5.3.2: C0 and C1 control characters and characters outside
/// the Basic Multilingual Plane (written as their two surrogate units). The
/// non-characters U+FFFE/U+FFFF are not allowed by XML 1.0 either.
fn needs_escape(c: char) -> bool {
    let u = c as u32;
    u <= 0x1F || (0x7F..=0x9F).contains(&u) || u > 0xFFFF || u == 0xFFFE || u == 0xFFFF
}

fn push_unit(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str("_x");
    for shift in [12u16, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xF)]));
    }
    out.push('_');
}

/// Escapes a string for CLIXML ([MS-PSRP] §2.2.5.3.2). Returns the input
/// unchanged (borrowed) when nothing needs escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let clean = !s.chars().any(needs_escape)
        && !bytes
            .windows(2)
            .any(|w| w[0] == b'_' && (w[1] == b'x' || w[1] == b'X'));
    if clean {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' && matches!(chars.peek(), Some('x' | 'X')) {
            // A literal "_x" would read as the start of an escape: protect
            // the underscore (psrpcore applies this case-insensitively).
            push_unit(&mut out, 0x5F);
        } else if needs_escape(c) {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                push_unit(&mut out, *unit);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn hex_unit(b: &[u8]) -> Option<u16> {
    let mut v: u16 = 0;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u16::from(d);
    }
    Some(v)
}

/// Reverses [`escape`]: every `_xHHHH_` (hex in either case) becomes that
/// UTF-16 unit; consecutive units are decoded as UTF-16, a lone surrogate
/// becomes U+FFFD. Text that only looks similar (`_x12_`) is kept as is.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !has_escape_start(s) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut units: Vec<u16> = Vec::new();
    let mut i = 0;
    let mut literal_start = 0;
    while i < bytes.len() {
        let unit = if bytes[i] == b'_'
            && bytes.get(i + 1) == Some(&b'x')
            && bytes.get(i + 6) == Some(&b'_')
        {
            bytes.get(i + 2..i + 6).and_then(hex_unit)
        } else {
            None
        };
        match unit {
            Some(u) => {
                if literal_start < i {
                    flush_units(&mut out, &mut units);
                    out.push_str(&s[literal_start..i]);
                }
                units.push(u);
                i += 7;
                literal_start = i;
            }
            None => i += 1,
        }
    }
    if literal_start < bytes.len() {
        flush_units(&mut out, &mut units);
        out.push_str(&s[literal_start..]);
    }
    flush_units(&mut out, &mut units);
    Cow::Owned(out)
}

/// Whether `s` holds `_x`, which every escape starts with (a byte scan:
/// faster than a substring search on the short strings CLIXML is made of).
fn has_escape_start(s: &str) -> bool {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == b'_') {
        if b.get(from + i + 1) == Some(&b'x') {
            return true;
        }
        from += i + 1;
    }
    false
}

/// [`unescape`] into an owned string: the text itself (no second copy when
/// it is already owned) when it holds no escape.
pub fn unescape_into_owned(s: Cow<'_, str>) -> String {
    if has_escape_start(&s) {
        unescape(&s).into_owned()
    } else {
        s.into_owned()
    }
}

fn flush_units(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.extend(char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or('\u{FFFD}')));
    units.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_from_pypsrp() {
        let cases = [
            (
                "0123456789abcdefghijklmnopqrstuvwxyz_",
                "0123456789abcdefghijklmnopqrstuvwxyz_",
            ),
            (
                "actual_x000A_string\nnewline",
                "actual_x005F_x000A_string_x000A_newline",
            ),
            ("treble clef \u{1D11E}", "treble clef _xD834__xDD1E_"),
        ];
        for (plain, escaped) in cases {
            assert_eq!(escape(plain), escaped);
            assert_eq!(unescape(escaped), plain);
        }
    }

    #[test]
    fn controls_c1_and_case_insensitive_x() {
        assert_eq!(escape("a\tb\r\n"), "a_x0009_b_x000D__x000A_");
        assert_eq!(
            escape("\u{0}\u{7F}\u{9F}\u{A0}"),
            "_x0000__x007F__x009F_\u{A0}"
        );
        assert_eq!(escape("_X1"), "_x005F_X1");
        assert_eq!(escape("a_b_"), "a_b_");
        assert_eq!(escape("\u{FFFF}"), "_xFFFF_");
        assert!(matches!(escape("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn unescape_pairs_lone_surrogates_and_near_misses() {
        assert_eq!(unescape("_xd834__xdd1e_"), "\u{1D11E}");
        assert_eq!(unescape("a_xD834_b"), "a\u{FFFD}b");
        assert_eq!(unescape("_xDD1E__xD834_"), "\u{FFFD}\u{FFFD}");
        assert_eq!(unescape("_x12_ _xZZZZ_ _x0041"), "_x12_ _xZZZZ_ _x0041");
        assert_eq!(unescape("_x0041__x0042_"), "AB");
        assert_eq!(unescape("é_x0041_é"), "éAé");
        // Capital X is not an escape marker when decoding.
        assert_eq!(unescape("_X0041_"), "_X0041_");
    }
}
