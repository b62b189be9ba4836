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

#[test]
fn a_file_deeper_than_the_group_limit_is_refused() {
    use crate::model::profile::{Group, MAX_GROUP_DEPTH};
    let chain = |levels: usize| {
        let mut tree = ProfileTree::default();
        let path: Vec<String> = (0..levels).map(|i| format!("G{i}")).collect();
        let _: &mut Group = tree.root.subgroup_mut(&path);
        to_toml(&tree).unwrap()
    };
    assert!(parse_profiles(&chain(MAX_GROUP_DEPTH), "ok.toml").is_ok());
    let e = parse_profiles(&chain(MAX_GROUP_DEPTH + 1), "deep.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("deep.toml") && e.contains("levels of groups"),
        "{e}"
    );
}
