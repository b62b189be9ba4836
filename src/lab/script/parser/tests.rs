use super::*;

fn p(s: &str) -> Block {
    match parse_script(s) {
        Ok(b) => b,
        Err(e) => panic!("parse failed for {s:?}: {e:?}"),
    }
}

#[test]
fn parses_the_patch_pipeline() {
    let b = p(
        "1..5 | ForEach-Object { Start-Sleep -Milliseconds 200; \"Patch $_ of 5: KB50$_ installed\" }",
    );
    assert_eq!(b.statements.len(), 1);
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    assert_eq!(pl.elements.len(), 2);
    assert!(matches!(&pl.elements[0], PipeElem::Expr(Expr::Range(..))));
    let PipeElem::Command(c) = &pl.elements[1] else {
        panic!()
    };
    assert_eq!(c.name, "ForEach-Object");
    assert!(matches!(&c.args[0], CmdArg::Value(Expr::ScriptBlock(..))));
}

#[test]
fn argument_mode_tokens() {
    let b = p(r"dir $home\Scripts\PatchStatusOutput.ps1 -Force");
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    let PipeElem::Command(c) = &pl.elements[0] else {
        panic!()
    };
    assert_eq!(c.name, "dir");
    match &c.args[0] {
        CmdArg::Value(Expr::Expandable(parts)) => {
            assert_eq!(parts[0], StrPart::Expr(Expr::Var("home".into())));
            assert_eq!(
                parts[1],
                StrPart::Lit(r"\Scripts\PatchStatusOutput.ps1".into())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.args[1],
        CmdArg::Param {
            name: "Force".into(),
            value: None
        }
    );
    let b = p("Select-Object -Property Name, Id -First 3 -Verbose:$false");
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    let PipeElem::Command(c) = &pl.elements[0] else {
        panic!()
    };
    assert!(matches!(&c.args[1], CmdArg::Value(Expr::List(l)) if l.len() == 2));
    assert_eq!(c.args[3], CmdArg::Value(Expr::Const(Value::Int(3))));
    assert!(matches!(
        &c.args[4],
        CmdArg::Param {
            value: Some(Expr::Var(_)),
            ..
        }
    ));
}

#[test]
fn precedence() {
    let b = p("$x = 1 + 2 * 3 -eq 7 -and $true");
    let Stmt::Assign { value, .. } = &b.statements[0] else {
        panic!()
    };
    let Stmt::Pipeline(pl) = value.as_ref() else {
        panic!()
    };
    assert!(matches!(
        &pl.elements[0],
        PipeElem::Expr(Expr::Binary(BinOp::And, ..))
    ));
    let b = p("-1..3");
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    match &pl.elements[0] {
        PipeElem::Expr(Expr::Range(a, _)) => assert_eq!(**a, Expr::Const(Value::Int(-1))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_have_positions() {
    let e = parse_script("if ($x) {\n  'a'\n").unwrap_err();
    assert_eq!(e.error_id, "MissingEndCurlyBrace");
    assert_eq!(
        e.message,
        "Missing closing '}' in statement block or type definition."
    );
    assert_eq!(e.line, 3);
    let e = parse_script("'abc").unwrap_err();
    assert_eq!(e.error_id, "TerminatorExpectedAtEndOfString");
    assert_eq!((e.line, e.column), (1, 1));
    let e = parse_script("Get-Process |").unwrap_err();
    assert_eq!(e.error_id, "EmptyPipeElement");
    let e = parse_script("$a = 1 +").unwrap_err();
    assert_eq!(e.error_id, "ExpectedValueExpression");
    let e = parse_script("1..3 | )").unwrap_err();
    assert_eq!(e.error_id, "EmptyPipeElement");
    let e = parse_script("'a' 'b'").unwrap_err();
    assert_eq!(e.error_id, "UnexpectedToken");
    assert_eq!(e.column, 5);
}

#[test]
fn strings() {
    let b = p(r#""a `"q`" $($x + 1) ${y}z""#);
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    let PipeElem::Expr(Expr::Expandable(parts)) = &pl.elements[0] else {
        panic!()
    };
    assert_eq!(parts[0], StrPart::Lit("a \"q\" ".into()));
    assert!(matches!(parts[1], StrPart::Expr(Expr::SubExpression(_))));
    assert_eq!(parts[3], StrPart::Expr(Expr::Var("y".into())));
    let b = p("'it''s'");
    let Stmt::Pipeline(pl) = &b.statements[0] else {
        panic!()
    };
    assert_eq!(
        pl.elements[0],
        PipeElem::Expr(Expr::Const(Value::str("it's")))
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let s = "(".repeat(10_000);
    assert!(parse_script(&s).is_err());
    let s = "-".repeat(10_000) + "1";
    assert!(parse_script(&s).is_err());
}
