use super::*;
use crate::protocol::clixml::{from_clixml, to_clixml};

#[test]
fn progress_record_exact_shape() {
    let body = "<Obj RefId=\"0\"><MS><S N=\"Activity\">Preparing modules for first use.</S><I32 N=\"ActivityId\">0</I32><S N=\"StatusDescription\"> </S><Nil N=\"CurrentOperation\" /><I32 N=\"ParentActivityId\">-1</I32><I32 N=\"PercentComplete\">-1</I32><Obj N=\"Type\" RefId=\"1\"><TN RefId=\"0\"><T>System.Management.Automation.ProgressRecordType</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Completed</ToString><I32>1</I32></Obj><I32 N=\"SecondsRemaining\">-1</I32></MS></Obj>";
    let rec = ProgressRecord::from_value(&from_clixml(body.as_bytes()).unwrap()).unwrap();
    assert_eq!(rec.activity, "Preparing modules for first use.");
    assert_eq!(rec.record_type, ProgressType::Completed);
    assert_eq!(rec.current_operation, None);
    assert_eq!(to_clixml(&rec.to_value()), body);
}

#[test]
fn error_record_builds_and_reads_back() {
    let mut rec = ErrorRecord::new(
        "System.Management.Automation.RuntimeException",
        "boom",
        "RuntimeException",
    );
    rec.script_stack_trace = Some("at <ScriptBlock>, <No file>: line 1".into());
    let v = rec.to_value();
    let back = ErrorRecord::from_value(&v).unwrap();
    assert_eq!(back, rec.clone().with_category_message());
    let xml = to_clixml(&v);
    assert!(
        xml.contains("<S N=\"ErrorCategory_Message\">NotSpecified: (:) [], RuntimeException</S>")
    );
    assert!(xml.contains("&lt;ScriptBlock&gt;"));
    assert!(back.display().starts_with("boom\n    + CategoryInfo"));
}

impl ErrorRecord {
    fn with_category_message(mut self) -> Self {
        self.category.message = self.category.summary();
        self
    }
}

#[test]
fn display_forms() {
    assert_eq!(display(&PsValue::from(true)), "True");
    assert_eq!(display(&PsValue::NIL), "");
    let o = PsValue::from(PsObject::new().with_ms("Name", "a").with_ms("LongName", 1));
    assert_eq!(display(&o), "Name     : a\nLongName : 1");
    let list =
        PsValue::from(PsObject::new().with_container(Container::List(vec![1.into(), "x".into()])));
    assert_eq!(display(&list), "1\nx");
    let d = primitive_dictionary(vec![("k".into(), list)]);
    assert_eq!(display(&d), "Name Value\n---- -----\nk    {1, x}");
    let ts = PsValue::Primitive(Primitive::Duration("P1DT2H3M4.5S".into()));
    assert_eq!(display(&ts), "1.02:03:04.5000000");
    let dt = PsValue::Primitive(Primitive::DateTime(
        "2018-06-13T23:46:27.9270288+00:00".into(),
    ));
    assert_eq!(display(&dt), "Wednesday, June 13, 2018 11:46:27 PM");
}

#[test]
fn version_table_round_trip() {
    let t = PsVersionTable {
        ps_version: Some("5.1.14393.2248".into()),
        ps_edition: Some("Desktop".into()),
        compatible_versions: vec!["1.0".into(), "2.0".into()],
        clr_version: Some("4.0.30319.42000".into()),
        build_version: Some("10.0.14393.2248".into()),
        wsman_stack_version: Some("3.0".into()),
        ps_remoting_protocol_version: Some("2.3".into()),
        serialization_version: Some("1.1.0.1".into()),
    };
    let v = t.to_application_private_data();
    assert_eq!(PsVersionTable::from_application_private_data(&v), Some(t));
    assert!(PsVersionTable::from_application_private_data(&PsValue::NIL).is_none());
}
