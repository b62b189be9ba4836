//! Certificate thumbprints as Windows shows and users type them: one home
//! for the transport (client certificates, channel bindings), the lab
//! (certificate mappings) and the profile editor.

/// The SHA-1 thumbprint of a DER certificate as Windows shows it: 40
/// upper-case hex digits.
pub fn thumbprint(cert_der: &[u8]) -> String {
    use sha1::Digest as _;
    sha1::Sha1::digest(cert_der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// Normalises a thumbprint as typed or pasted (spaces, colons, lower case,
/// the invisible mark the Windows certificate dialog copies); `None` when it
/// is not 40 hex digits.
pub fn normalize_thumbprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':' && *c != '\u{200e}')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_are_read_as_windows_shows_and_users_paste_them() {
        let t = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            normalize_thumbprint(&format!("\u{200e}{}", t.replace("01", "01 "))).as_deref(),
            Some("0123456789ABCDEF0123456789ABCDEF01234567")
        );
        assert_eq!(normalize_thumbprint("ab:cd"), None);
        assert_eq!(thumbprint(b"").len(), 40);
        assert_eq!(thumbprint(b""), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
    }
}
