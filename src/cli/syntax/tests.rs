use super::*;

#[test]
fn numbers() {
    assert_eq!(parse_number("10"), Some(Value::Int(10)));
    assert_eq!(parse_number("10KB"), Some(Value::Int(10240)));
    assert_eq!(parse_number("0x1f"), Some(Value::Int(31)));
    assert_eq!(parse_number("-2mb"), Some(Value::Int(-2 * 1024 * 1024)));
    assert_eq!(parse_number("1.5kb"), Some(Value::Double(1536.0)));
    assert_eq!(parse_number("1e3"), Some(Value::Double(1000.0)));
    assert_eq!(parse_number("60*60"), None);
    assert_eq!(parse_number("kb"), None);
    assert_eq!(parse_number("0x"), None);
    assert_eq!(
        parse_number("99999999999999999999"),
        Some(Value::Double(1e20))
    );
}

#[test]
fn line_and_column_count_characters() {
    let src = "Get-PSSession\n  -Name 'é\u{1F600}";
    let e = parse(src).expect_err("unterminated");
    assert_eq!((e.line, e.column), (2, 9));
    assert!(e.is_incomplete_input(src));
}

#[test]
fn incomplete_input_detection() {
    for src in [
        "Get-PSSession |",
        "Invoke-Command {",
        "$x = (1",
        "$x =",
        "X a,",
    ] {
        let e = parse(src).expect_err(src);
        assert!(e.is_incomplete_input(src), "{src}: {e:?}");
    }
    for src in ["Get-PSSession | | X", "X )"] {
        let e = parse(src).expect_err(src);
        assert!(!e.is_incomplete_input(src), "{src}: {e:?}");
    }
}

#[test]
fn huge_ranges_are_not_expanded() {
    assert_eq!(
        parse("X 1..1000000").map(|s| s.len()),
        Ok(1),
        "argument-mode oversized range stays a string"
    );
    let e = parse("$x = 1..1000000").expect_err("too big");
    assert_eq!(e.error_id, "RangeTooBig");
    // Many ranges on one line: bounded in all, not only one by one.
    let ten = ["(1..99999)"; 10].join(" + ");
    assert!(
        parse(&format!("$x = {ten}")).is_ok(),
        "a million elements in all"
    );
    let Err(e) = parse(&format!("$x = {ten} + (1..20)")) else {
        panic!("past the total, and accepted");
    };
    assert_eq!(e.error_id, "RangeTooBig");
    assert!(e.message.contains("in all"), "{}", e.message);
}
