use super::*;

#[test]
fn line_column_counts_from_one() {
    assert_eq!(line_column("a\nbc\nd", 0), (1, 1));
    assert_eq!(line_column("a\nbc\nd", 3), (2, 2));
    assert_eq!(line_column("a\nbc\nd", 99), (3, 2));
}

#[test]
fn future_version_is_refused() {
    let e = parse_profiles("schema_version = 99\n", "x").unwrap_err();
    assert!(
        matches!(e, StoreError::FutureVersion { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("newer"));
}

#[test]
fn missing_version_is_refused() {
    let e = parse_profiles("[[groups]]\nname = \"a\"\n", "x").unwrap_err();
    assert!(e.to_string().contains("schema_version"), "{e}");
}
