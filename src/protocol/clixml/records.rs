//! Typed views of the records PowerShell streams, both directions: parse
//! them from a [`PsValue`] and build them in the exact shape Windows sends
//! (the lab endpoint emits them). Shapes follow the messages recorded from
//! Windows PowerShell 5.1 ([MS-PSRP] §2.2.2.19-2.2.2.26, §2.2.3.15-2.2.3.16).

use super::ser::format_float;
use super::value::{Container, Primitive, PsObject, PsValue, parse_datetime};
use crate::protocol::ProtocolError;

const OBJECT: &str = "System.Object";
const ENUM_TAIL: [&str; 3] = ["System.Enum", "System.ValueType", "System.Object"];

fn enum_types(name: &str) -> Vec<String> {
    std::iter::once(name)
        .chain(ENUM_TAIL)
        .map(str::to_owned)
        .collect()
}

/// An enum object exactly as PowerShell serialises one.
pub fn enum_value(type_name: &str, name: &str, value: i32) -> PsValue {
    PsObject::enumeration(&enum_types(type_name), name, value).into()
}

fn text(v: Option<&PsValue>) -> Option<String> {
    v.and_then(PsValue::as_str).map(str::to_owned)
}

fn not_object(what: &str) -> ProtocolError {
    ProtocolError::Clixml(format!("{what} is not an object"))
}

/// `System.Management.Automation.ErrorCategory` names, by value.
pub const ERROR_CATEGORIES: [&str; 32] = [
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
];

/// The name of an ErrorCategory value (`NotSpecified` for unknown values).
pub fn error_category_name(value: i32) -> &'static str {
    usize::try_from(value)
        .ok()
        .and_then(|i| ERROR_CATEGORIES.get(i))
        .copied()
        .unwrap_or("NotSpecified")
}

/// An ErrorRecord's CategoryInfo (flattened as `ErrorCategory_*`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryInfo {
    /// ErrorCategory value (see [`ERROR_CATEGORIES`]).
    pub category: i32,
    /// Activity (usually the command name).
    pub activity: String,
    /// Reason (usually the exception type's short name).
    pub reason: String,
    /// Target name.
    pub target_name: String,
    /// Target type.
    pub target_type: String,
    /// The one-line summary, e.g. `NotSpecified: (:) [Write-Error], WriteErrorException`.
    pub message: String,
}

impl CategoryInfo {
    /// The summary line PowerShell computes for CategoryInfo.ToString().
    pub fn summary(&self) -> String {
        format!(
            "{}: ({}:{}) [{}], {}",
            error_category_name(self.category),
            self.target_name,
            self.target_type,
            self.activity,
            self.reason
        )
    }
}

/// The basic InvocationInfo fields a console shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvocationInfo {
    /// MyCommand (script text or command name).
    pub my_command: Option<String>,
    /// Script line number.
    pub script_line_number: i32,
    /// Offset in the line.
    pub offset_in_line: i32,
    /// History id.
    pub history_id: i64,
    /// Script name.
    pub script_name: String,
    /// The source line.
    pub line: String,
    /// `At line:1 char:55` plus the marked line.
    pub position_message: String,
    /// Invocation name.
    pub invocation_name: String,
    /// Pipeline length.
    pub pipeline_length: i32,
    /// Pipeline position.
    pub pipeline_position: i32,
}

impl InvocationInfo {
    /// Reads the `InvocationInfo` object of an ErrorRecord (adapted properties).
    pub fn from_object(v: &PsValue) -> Option<Self> {
        let o = v.as_object()?;
        Some(Self::read(|n| o.get(n)))
    }

    /// Reads the flattened `InvocationInfo_*` properties of a record.
    pub fn from_flattened(o: &PsObject) -> Self {
        let mut me = Self::read(|n| o.get(&format!("InvocationInfo_{n}")));
        me.my_command = text(o.get("CommandInfo_Name")).or(me.my_command);
        me
    }

    fn read<'a>(get: impl Fn(&str) -> Option<&'a PsValue>) -> Self {
        let s = |n: &str| text(get(n)).unwrap_or_default();
        let i = |n: &str| get(n).and_then(PsValue::as_i32).unwrap_or(0);
        InvocationInfo {
            my_command: text(get("MyCommand")),
            script_line_number: i("ScriptLineNumber"),
            offset_in_line: i("OffsetInLine"),
            history_id: get("HistoryId").and_then(PsValue::as_i64).unwrap_or(0),
            script_name: s("ScriptName"),
            line: s("Line"),
            position_message: s("PositionMessage"),
            invocation_name: s("InvocationName"),
            pipeline_length: i("PipelineLength"),
            pipeline_position: i("PipelinePosition"),
        }
    }

    /// The `InvocationInfo` object as Windows PowerShell 5.1 serialises it.
    pub fn to_value(&self) -> PsValue {
        let dict_types = [
            "System.Collections.Generic.Dictionary`2[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089],[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
            OBJECT,
        ];
        let list_types = [
            "System.Collections.Generic.List`1[[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
            OBJECT,
        ];
        PsObject::with_types(&["System.Management.Automation.InvocationInfo", OBJECT])
            .with_to_string("System.Management.Automation.InvocationInfo")
            .with_prop("MyCommand", self.my_command.clone())
            .with_prop(
                "BoundParameters",
                PsObject::with_types(&dict_types).with_container(Container::Dictionary(vec![])),
            )
            .with_prop(
                "UnboundArguments",
                PsObject::with_types(&list_types).with_container(Container::List(vec![])),
            )
            .with_prop("ScriptLineNumber", self.script_line_number)
            .with_prop("OffsetInLine", self.offset_in_line)
            .with_prop("HistoryId", self.history_id)
            .with_prop("ScriptName", self.script_name.clone())
            .with_prop("Line", self.line.clone())
            .with_prop("PositionMessage", self.position_message.clone())
            .with_prop("PSScriptRoot", "")
            .with_prop("PSCommandPath", PsValue::NIL)
            .with_prop("InvocationName", self.invocation_name.clone())
            .with_prop("PipelineLength", self.pipeline_length)
            .with_prop("PipelinePosition", self.pipeline_position)
            .with_prop("ExpectingInput", false)
            .with_prop("CommandOrigin", "Internal")
            .with_prop("DisplayScriptPosition", PsValue::NIL)
            .into()
    }
}

/// An ErrorRecord ([MS-PSRP] §2.2.3.15), as sent in ERROR_RECORD messages,
/// in output (`writeErrorStream`), and as `ExceptionAsErrorRecord`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorRecord {
    /// The record's ToString (what PowerShell prints first).
    pub to_string: Option<String>,
    /// Exception.Message.
    pub message: String,
    /// The exception's type names, most derived first.
    pub exception_types: Vec<String>,
    /// The exception's ToString (type, message and stack).
    pub exception_to_string: Option<String>,
    /// FullyQualifiedErrorId.
    pub fully_qualified_error_id: String,
    /// CategoryInfo.
    pub category: CategoryInfo,
    /// TargetObject (Nil when absent).
    pub target_object: PsValue,
    /// ErrorDetails.Message, when set.
    pub error_details_message: Option<String>,
    /// ErrorDetails.RecommendedAction, when set.
    pub recommended_action: Option<String>,
    /// ScriptStackTrace, when sent.
    pub script_stack_trace: Option<String>,
    /// InvocationInfo basics, when sent.
    pub invocation_info: Option<InvocationInfo>,
    /// Whether the record was written into the output stream (merged).
    pub write_error_stream: bool,
}

/// The PowerShell ErrorRecord type name.
pub const ERROR_RECORD_TYPE: &str = "System.Management.Automation.ErrorRecord";

impl ErrorRecord {
    /// Reads an ErrorRecord object.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        let o = v.as_object().ok_or_else(|| not_object("error record"))?;
        let exception = o.get("Exception");
        let exc_obj = exception.and_then(PsValue::as_object);
        let message = exc_obj
            .and_then(|e| text(e.get("Message")))
            .or_else(|| text(exception))
            .or_else(|| o.to_string.clone())
            .unwrap_or_default();
        let s = |n: &str| text(o.get(n)).unwrap_or_default();
        Ok(ErrorRecord {
            to_string: o.to_string.clone(),
            message,
            exception_types: exc_obj.map(|e| e.type_names.clone()).unwrap_or_default(),
            exception_to_string: exc_obj.and_then(|e| e.to_string.clone()),
            fully_qualified_error_id: s("FullyQualifiedErrorId"),
            category: CategoryInfo {
                category: o
                    .get("ErrorCategory_Category")
                    .and_then(PsValue::as_i32)
                    .unwrap_or(0),
                activity: s("ErrorCategory_Activity"),
                reason: s("ErrorCategory_Reason"),
                target_name: s("ErrorCategory_TargetName"),
                target_type: s("ErrorCategory_TargetType"),
                message: s("ErrorCategory_Message"),
            },
            target_object: o.get("TargetObject").cloned().unwrap_or(PsValue::NIL),
            error_details_message: text(o.get("ErrorDetails_Message")),
            recommended_action: text(o.get("ErrorDetails_RecommendedAction")),
            script_stack_trace: text(o.get("ErrorDetails_ScriptStackTrace")),
            invocation_info: o
                .get("InvocationInfo")
                .and_then(InvocationInfo::from_object),
            write_error_stream: o
                .get("writeErrorStream")
                .and_then(PsValue::as_bool)
                .unwrap_or(false),
        })
    }

    /// Reads `ExceptionAsErrorRecord` of a PIPELINE_STATE or
    /// RUNSPACEPOOL_STATE message body, when present and not Nil.
    pub fn from_state_message(body: &PsValue) -> Option<Result<Self, ProtocolError>> {
        body.get("ExceptionAsErrorRecord")
            .filter(|v| !v.is_nil())
            .map(Self::from_value)
    }

    /// A simple record: an exception of `exception_type` (e.g.
    /// `System.Management.Automation.RuntimeException`) with `message`.
    pub fn new(exception_type: &str, message: &str, fully_qualified_error_id: &str) -> Self {
        let short = exception_type.rsplit('.').next().unwrap_or(exception_type);
        ErrorRecord {
            to_string: Some(message.to_owned()),
            message: message.to_owned(),
            exception_types: vec![
                exception_type.to_owned(),
                "System.SystemException".to_owned(),
                "System.Exception".to_owned(),
                OBJECT.to_owned(),
            ],
            exception_to_string: Some(format!("{exception_type}: {message}")),
            fully_qualified_error_id: fully_qualified_error_id.to_owned(),
            category: CategoryInfo {
                reason: short.to_owned(),
                ..CategoryInfo::default()
            },
            target_object: PsValue::NIL,
            ..ErrorRecord::default()
        }
    }

    /// What a console prints: the message (or ErrorDetails), the position,
    /// the category line and the FullyQualifiedErrorId.
    pub fn display(&self) -> String {
        let mut out = self
            .error_details_message
            .clone()
            .or_else(|| self.to_string.clone())
            .unwrap_or_else(|| self.message.clone());
        if let Some(pos) = self
            .invocation_info
            .as_ref()
            .map(|i| i.position_message.as_str())
            .filter(|p| !p.is_empty())
        {
            out = format!("{pos}\n{out}");
        }
        let category = if self.category.message.is_empty() {
            self.category.summary()
        } else {
            self.category.message.clone()
        };
        out.push_str(&format!(
            "\n    + CategoryInfo          : {category}\n    + FullyQualifiedErrorId : {}",
            self.fully_qualified_error_id
        ));
        out
    }

    /// The record in the exact shape Windows PowerShell 5.1 sends.
    pub fn to_value(&self) -> PsValue {
        let mut exception = PsObject::with_types(&self.exception_types);
        exception.to_string = self.exception_to_string.clone();
        let exception = exception
            .with_prop("Message", self.message.clone())
            .with_prop(
                "Data",
                PsObject::with_types(&["System.Collections.ListDictionaryInternal", OBJECT])
                    .with_container(Container::Dictionary(vec![])),
            )
            .with_prop("InnerException", PsValue::NIL)
            .with_prop("TargetSite", PsValue::NIL)
            .with_prop("StackTrace", PsValue::NIL)
            .with_prop("HelpLink", PsValue::NIL)
            .with_prop("Source", PsValue::NIL)
            .with_prop("HResult", -2146233087);
        let mut rec = PsObject::with_types(&[ERROR_RECORD_TYPE, OBJECT]);
        rec.to_string = Some(
            self.to_string
                .clone()
                .unwrap_or_else(|| self.message.clone()),
        );
        if self.write_error_stream {
            rec = rec.with_ms("writeErrorStream", true);
        }
        let category_message = if self.category.message.is_empty() {
            self.category.summary()
        } else {
            self.category.message.clone()
        };
        rec = rec
            .with_ms("Exception", exception)
            .with_ms("TargetObject", self.target_object.clone())
            .with_ms(
                "FullyQualifiedErrorId",
                self.fully_qualified_error_id.clone(),
            )
            .with_ms(
                "InvocationInfo",
                self.invocation_info
                    .as_ref()
                    .map_or(PsValue::NIL, InvocationInfo::to_value),
            )
            .with_ms("ErrorCategory_Category", self.category.category)
            .with_ms("ErrorCategory_Activity", self.category.activity.clone())
            .with_ms("ErrorCategory_Reason", self.category.reason.clone())
            .with_ms(
                "ErrorCategory_TargetName",
                self.category.target_name.clone(),
            )
            .with_ms(
                "ErrorCategory_TargetType",
                self.category.target_type.clone(),
            )
            .with_ms("ErrorCategory_Message", category_message);
        if let Some(m) = &self.error_details_message {
            rec = rec.with_ms("ErrorDetails_Message", m.clone());
            if let Some(a) = &self.recommended_action {
                rec = rec.with_ms("ErrorDetails_RecommendedAction", a.clone());
            }
        }
        rec = rec.with_ms("SerializeExtendedInfo", false);
        if let Some(st) = &self.script_stack_trace {
            rec = rec.with_ms("ErrorDetails_ScriptStackTrace", st.clone());
        }
        rec.into()
    }
}

/// Which stream an [`InformationalRecord`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InformationalKind {
    /// WARNING_RECORD / WarningRecord.
    Warning,
    /// VERBOSE_RECORD / VerboseRecord.
    Verbose,
    /// DEBUG_RECORD / DebugRecord.
    Debug,
}

impl InformationalKind {
    fn type_name(self) -> &'static str {
        match self {
            InformationalKind::Warning => "System.Management.Automation.WarningRecord",
            InformationalKind::Verbose => "System.Management.Automation.VerboseRecord",
            InformationalKind::Debug => "System.Management.Automation.DebugRecord",
        }
    }

    fn stream_flag(self) -> &'static str {
        match self {
            InformationalKind::Warning => "WriteWarningStream",
            InformationalKind::Verbose => "WriteVerboseStream",
            InformationalKind::Debug => "WriteDebugStream",
        }
    }
}

/// A warning, verbose or debug record ([MS-PSRP] §2.2.3.16).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationalRecord {
    /// The stream, from the type names (None when the object has none).
    pub kind: Option<InformationalKind>,
    /// InformationalRecord_Message.
    pub message: String,
    /// Whether invocation info was serialised with the record.
    pub serialize_invocation_info: bool,
    /// The flattened InvocationInfo, when serialised.
    pub invocation_info: Option<InvocationInfo>,
    /// Whether the record was written into the output stream (merged).
    pub in_output_stream: bool,
}

impl InformationalRecord {
    /// Reads a warning/verbose/debug record.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        let o = v
            .as_object()
            .ok_or_else(|| not_object("informational record"))?;
        let kind = [
            InformationalKind::Warning,
            InformationalKind::Verbose,
            InformationalKind::Debug,
        ]
        .into_iter()
        .find(|k| o.is_type(k.type_name()));
        let message = text(o.get("InformationalRecord_Message"))
            .or_else(|| o.to_string.clone())
            .ok_or_else(|| ProtocolError::Missing("InformationalRecord_Message".into()))?;
        let serialize = o
            .get("InformationalRecord_SerializeInvocationInfo")
            .and_then(PsValue::as_bool)
            .unwrap_or(false);
        let in_output_stream = kind.is_some_and(|k| {
            o.get(k.stream_flag())
                .and_then(PsValue::as_bool)
                .unwrap_or(false)
        });
        Ok(InformationalRecord {
            kind,
            message,
            serialize_invocation_info: serialize,
            invocation_info: serialize.then(|| InvocationInfo::from_flattened(o)),
            in_output_stream,
        })
    }

    /// A record without invocation info.
    pub fn new(kind: InformationalKind, message: &str) -> Self {
        InformationalRecord {
            kind: Some(kind),
            message: message.to_owned(),
            serialize_invocation_info: false,
            invocation_info: None,
            in_output_stream: false,
        }
    }

    /// The record as Windows sends it (invocation info not serialised).
    pub fn to_value(&self) -> PsValue {
        let kind = self.kind.unwrap_or(InformationalKind::Verbose);
        let mut o = PsObject::with_types(&[
            kind.type_name(),
            "System.Management.Automation.InformationalRecord",
            OBJECT,
        ])
        .with_to_string(self.message.clone());
        if self.in_output_stream {
            o = o.with_ms(kind.stream_flag(), true);
        }
        o.with_ms("InformationalRecord_Message", self.message.clone())
            .with_ms("InformationalRecord_SerializeInvocationInfo", false)
            .into()
    }
}

/// An InformationRecord ([MS-PSRP] §2.2.2.26, protocol 2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct InformationRecord {
    /// MessageData: any value (a string, or a HostInformationMessage).
    pub message_data: PsValue,
    /// Source (e.g. `Write-Information`, `Write-Host`).
    pub source: String,
    /// TimeGenerated, the exact DT text.
    pub time_generated: String,
    /// Tags.
    pub tags: Vec<String>,
    /// User (`DOMAIN\user`).
    pub user: String,
    /// Computer name.
    pub computer: String,
    /// Process id.
    pub process_id: u32,
    /// Native thread id.
    pub native_thread_id: u32,
    /// Managed thread id.
    pub managed_thread_id: u32,
}

impl InformationRecord {
    /// Reads an information record (MS in INFORMATION_RECORD, Props in output).
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        let o = v
            .as_object()
            .ok_or_else(|| not_object("information record"))?;
        let u = |n: &str| {
            o.get(n)
                .and_then(PsValue::as_i64)
                .and_then(|x| u32::try_from(x).ok())
                .unwrap_or(0)
        };
        let tags = o
            .get("Tags")
            .and_then(PsValue::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(InformationRecord {
            message_data: o
                .get("MessageData")
                .cloned()
                .ok_or_else(|| ProtocolError::Missing("MessageData".into()))?,
            source: text(o.get("Source")).unwrap_or_default(),
            time_generated: text(o.get("TimeGenerated")).unwrap_or_default(),
            tags,
            user: text(o.get("User")).unwrap_or_default(),
            computer: text(o.get("Computer")).unwrap_or_default(),
            process_id: u("ProcessId"),
            native_thread_id: u("NativeThreadId"),
            managed_thread_id: u("ManagedThreadId"),
        })
    }

    /// The message text as a console shows it.
    pub fn message(&self) -> String {
        display(&self.message_data)
    }

    /// The INFORMATION_RECORD message body as Windows sends it.
    pub fn to_value(&self) -> PsValue {
        let tags = PsObject::with_types(&[
            "System.Collections.Generic.List`1[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
            OBJECT,
        ])
        .with_container(Container::List(
            self.tags.iter().map(|t| PsValue::str(t.clone())).collect(),
        ));
        PsObject::new()
            .with_ms("MessageData", self.message_data.clone())
            .with_ms("Source", self.source.clone())
            .with_ms(
                "TimeGenerated",
                PsValue::Primitive(Primitive::DateTime(self.time_generated.clone())),
            )
            .with_ms("Tags", tags)
            .with_ms("User", self.user.clone())
            .with_ms("Computer", self.computer.clone())
            .with_ms("ProcessId", Primitive::U32(self.process_id))
            .with_ms("NativeThreadId", Primitive::U32(self.native_thread_id))
            .with_ms("ManagedThreadId", Primitive::U32(self.managed_thread_id))
            .into()
    }
}

/// ProgressRecordType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressType {
    /// 0: in progress.
    Processing,
    /// 1: done; the bar disappears.
    Completed,
}

/// A ProgressRecord ([MS-PSRP] §2.2.2.25).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRecord {
    /// Activity.
    pub activity: String,
    /// ActivityId.
    pub activity_id: i32,
    /// StatusDescription.
    pub status_description: String,
    /// CurrentOperation (Nil when None).
    pub current_operation: Option<String>,
    /// ParentActivityId (-1 for none).
    pub parent_activity_id: i32,
    /// PercentComplete (-1 for unknown).
    pub percent_complete: i32,
    /// SecondsRemaining (-1 for unknown).
    pub seconds_remaining: i32,
    /// Processing or Completed.
    pub record_type: ProgressType,
}

impl ProgressRecord {
    /// Reads a PROGRESS_RECORD body.
    pub fn from_value(v: &PsValue) -> Result<Self, ProtocolError> {
        let o = v.as_object().ok_or_else(|| not_object("progress record"))?;
        let i = |n: &str, d: i32| o.get(n).and_then(PsValue::as_i32).unwrap_or(d);
        let record_type = match o.get("Type").and_then(PsValue::as_i32) {
            Some(1) => ProgressType::Completed,
            _ => match o.get("Type").and_then(PsValue::enum_name) {
                Some("Completed") => ProgressType::Completed,
                _ => ProgressType::Processing,
            },
        };
        Ok(ProgressRecord {
            activity: text(o.get("Activity"))
                .ok_or_else(|| ProtocolError::Missing("progress Activity".into()))?,
            activity_id: i("ActivityId", 0),
            status_description: text(o.get("StatusDescription")).unwrap_or_default(),
            current_operation: text(o.get("CurrentOperation")),
            parent_activity_id: i("ParentActivityId", -1),
            percent_complete: i("PercentComplete", -1),
            seconds_remaining: i("SecondsRemaining", -1),
            record_type,
        })
    }

    /// The PROGRESS_RECORD body as Windows sends it.
    pub fn to_value(&self) -> PsValue {
        let (name, value) = match self.record_type {
            ProgressType::Processing => ("Processing", 0),
            ProgressType::Completed => ("Completed", 1),
        };
        PsObject::new()
            .with_ms("Activity", self.activity.clone())
            .with_ms("ActivityId", self.activity_id)
            .with_ms("StatusDescription", self.status_description.clone())
            .with_ms("CurrentOperation", self.current_operation.clone())
            .with_ms("ParentActivityId", self.parent_activity_id)
            .with_ms("PercentComplete", self.percent_complete)
            .with_ms(
                "Type",
                enum_value(
                    "System.Management.Automation.ProgressRecordType",
                    name,
                    value,
                ),
            )
            .with_ms("SecondsRemaining", self.seconds_remaining)
            .into()
    }
}

/// The type names of a PSPrimitiveDictionary.
pub const PRIMITIVE_DICTIONARY_TYPES: [&str; 3] = [
    "System.Management.Automation.PSPrimitiveDictionary",
    "System.Collections.Hashtable",
    OBJECT,
];

/// A PSPrimitiveDictionary with string keys, in order.
pub fn primitive_dictionary(entries: Vec<(String, PsValue)>) -> PsValue {
    PsObject::with_types(&PRIMITIVE_DICTIONARY_TYPES)
        .with_container(Container::Dictionary(
            entries
                .into_iter()
                .map(|(k, v)| (PsValue::str(k), v))
                .collect(),
        ))
        .into()
}

/// `$PSVersionTable` of the remote end, from APPLICATION_PRIVATE_DATA.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PsVersionTable {
    /// PSVersion (`5.1.14393.2248`).
    pub ps_version: Option<String>,
    /// PSEdition (`Desktop`, `Core`).
    pub ps_edition: Option<String>,
    /// PSCompatibleVersions.
    pub compatible_versions: Vec<String>,
    /// CLRVersion (absent on PowerShell 7).
    pub clr_version: Option<String>,
    /// BuildVersion.
    pub build_version: Option<String>,
    /// WSManStackVersion.
    pub wsman_stack_version: Option<String>,
    /// PSRemotingProtocolVersion.
    pub ps_remoting_protocol_version: Option<String>,
    /// SerializationVersion.
    pub serialization_version: Option<String>,
}

impl PsVersionTable {
    /// Reads the table from an APPLICATION_PRIVATE_DATA body
    /// (`ApplicationPrivateData` → `PSVersionTable`). `None` when absent.
    pub fn from_application_private_data(body: &PsValue) -> Option<Self> {
        let table = body
            .get("ApplicationPrivateData")?
            .dict_get("PSVersionTable")?;
        let s = |k: &str| {
            table
                .dict_get(k)
                .and_then(PsValue::as_str)
                .map(str::to_owned)
        };
        Some(PsVersionTable {
            ps_version: s("PSVersion"),
            ps_edition: s("PSEdition"),
            compatible_versions: table
                .dict_get("PSCompatibleVersions")
                .and_then(PsValue::as_list)
                .map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            clr_version: s("CLRVersion"),
            build_version: s("BuildVersion"),
            wsman_stack_version: s("WSManStackVersion"),
            ps_remoting_protocol_version: s("PSRemotingProtocolVersion"),
            serialization_version: s("SerializationVersion"),
        })
    }

    /// The APPLICATION_PRIVATE_DATA body as Windows sends it.
    pub fn to_application_private_data(&self) -> PsValue {
        let mut entries: Vec<(String, PsValue)> = Vec::new();
        if let Some(v) = &self.ps_version {
            entries.push(("PSVersion".into(), PsValue::version(v.clone())));
        }
        if let Some(v) = &self.ps_edition {
            entries.push(("PSEdition".into(), PsValue::str(v.clone())));
        }
        if !self.compatible_versions.is_empty() {
            let list = PsObject::with_types(&["System.Version[]", "System.Array", OBJECT])
                .with_container(Container::List(
                    self.compatible_versions
                        .iter()
                        .map(|v| PsValue::version(v.clone()))
                        .collect(),
                ));
            entries.push(("PSCompatibleVersions".into(), list.into()));
        }
        for (k, v) in [
            ("CLRVersion", &self.clr_version),
            ("BuildVersion", &self.build_version),
            ("WSManStackVersion", &self.wsman_stack_version),
            (
                "PSRemotingProtocolVersion",
                &self.ps_remoting_protocol_version,
            ),
            ("SerializationVersion", &self.serialization_version),
        ] {
            if let Some(v) = v {
                entries.push((k.to_owned(), PsValue::version(v.clone())));
            }
        }
        let table = primitive_dictionary(entries);
        PsObject::new()
            .with_ms(
                "ApplicationPrivateData",
                primitive_dictionary(vec![("PSVersionTable".into(), table)]),
            )
            .into()
    }
}

const DISPLAY_DEPTH: usize = 4;

/// Renders a value as a PowerShell console would print it: primitives as
/// their text, lists one item per line, dictionaries as a Name/Value table,
/// error records with their category and error id lines, other objects by
/// their ToString when they have one, else as a property list.
pub fn display(v: &PsValue) -> String {
    if let Some(o) = v.as_object()
        && o.is_type(ERROR_RECORD_TYPE)
        && let Ok(rec) = ErrorRecord::from_value(v)
    {
        return rec.display();
    }
    let mut budget = Budget::default();
    let text = render(v, 0, &mut budget);
    budget.finish(text)
}

/// The first line of [`display`], rendered within a small budget of its
/// own: for callers that show one line each of many nested values, which
/// `<Ref>`s can make the same large value thousands of times over.
pub fn display_line(v: &PsValue) -> String {
    if let Some(o) = v.as_object()
        && o.is_type(ERROR_RECORD_TYPE)
        && let Ok(rec) = ErrorRecord::from_value(v)
    {
        return rec.display().lines().next().unwrap_or("").to_owned();
    }
    let mut budget = Budget {
        nodes: LINE_NODES,
        bytes: LINE_BYTES,
        cut: false,
    };
    render(v, 0, &mut budget)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The budget of one [`display_line`].
const LINE_NODES: usize = 256;
const LINE_BYTES: usize = 4096;

/// Renders an object's properties as PowerShell's list view (`Name : Value`).
pub fn display_properties(v: &PsValue) -> String {
    let mut budget = Budget::default();
    let text = properties_view(v, &mut budget);
    budget.finish(text)
}

/// The most values one rendering visits, and the most bytes of text it
/// takes from them. Objects that share `<Ref>`s are stored once, but a
/// rendering walks every path to them: N-way sharing at four levels is N⁴
/// values from a few kilobytes. Past the budget the rest is cut, and said.
const RENDER_NODES: usize = 100_000;
const RENDER_BYTES: usize = 1 << 20;

/// What one rendering may still spend.
struct Budget {
    nodes: usize,
    bytes: usize,
    cut: bool,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            nodes: RENDER_NODES,
            bytes: RENDER_BYTES,
            cut: false,
        }
    }
}

impl Budget {
    /// Takes one value; false once the budget is spent.
    fn visit(&mut self) -> bool {
        if self.nodes == 0 || self.bytes == 0 {
            self.cut = true;
            return false;
        }
        self.nodes -= 1;
        true
    }

    fn spend(&mut self, text: String) -> String {
        self.bytes = self.bytes.saturating_sub(text.len());
        text
    }

    fn finish(&self, mut text: String) -> String {
        if self.cut {
            text.push_str(&format!(
                "\n… (truncated: the object is larger than Baton shows, {RENDER_NODES} values or {RENDER_BYTES} bytes)"
            ));
        }
        text
    }
}

fn properties_view(v: &PsValue, b: &mut Budget) -> String {
    let Some(o) = v.as_object() else {
        return render(v, 0, b);
    };
    let width = o
        .properties()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    o.properties()
        .map(|(n, v)| format!("{n:width$} : {}", inline(v, 1, b)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn primitive_text(p: &Primitive) -> String {
    match p {
        Primitive::Str(s)
        | Primitive::Uri(s)
        | Primitive::XmlDoc(s)
        | Primitive::ScriptBlock(s)
        | Primitive::Version(s)
        | Primitive::Decimal(s) => s.clone(),
        Primitive::Char(c) => char::from_u32(u32::from(*c))
            .unwrap_or('\u{FFFD}')
            .to_string(),
        Primitive::Bool(b) => if *b { "True" } else { "False" }.into(),
        Primitive::DateTime(s) => parse_datetime(s).map_or_else(
            || s.clone(),
            |d| d.format("%A, %B %-d, %Y %-I:%M:%S %p").to_string(),
        ),
        Primitive::Duration(s) => super::value::parse_duration(s)
            .map_or_else(|| s.clone(), crate::pslang::format_timespan),
        Primitive::U8(x) => x.to_string(),
        Primitive::I8(x) => x.to_string(),
        Primitive::U16(x) => x.to_string(),
        Primitive::I16(x) => x.to_string(),
        Primitive::U32(x) => x.to_string(),
        Primitive::I32(x) => x.to_string(),
        Primitive::U64(x) => x.to_string(),
        Primitive::I64(x) => x.to_string(),
        Primitive::F32(x) => format_float(f64::from(*x), true),
        Primitive::F64(x) => format_float(*x, false),
        Primitive::Bytes(b) => b.iter().map(u8::to_string).collect::<Vec<_>>().join("\n"),
        Primitive::Guid(g) => g.hyphenated().to_string(),
        Primitive::Nil => String::new(),
        Primitive::SecureString(_) => "System.Security.SecureString".into(),
    }
}

fn render(v: &PsValue, depth: usize, b: &mut Budget) -> String {
    if !b.visit() {
        return "…".into();
    }
    let o = match v {
        PsValue::Primitive(p) => return b.spend(primitive_text(p)),
        PsValue::Object(o) => o,
    };
    if depth >= DISPLAY_DEPTH {
        return inline(v, depth, b);
    }
    match &o.container {
        Some(Container::Dictionary(entries)) => {
            let rows: Vec<(String, String)> = entries
                .iter()
                .map(|(k, v)| (inline(k, depth + 1, b), inline(v, depth + 1, b)))
                .collect();
            let w = rows
                .iter()
                .map(|(k, _)| k.chars().count())
                .chain([4])
                .max()
                .unwrap_or(4);
            let mut out = format!("{:w$} Value\n{:w$} -----", "Name", "----");
            for (k, v) in rows {
                out.push_str(&format!("\n{k:w$} {v}"));
            }
            return out;
        }
        Some(c) => {
            return c
                .items()
                .unwrap_or(&[])
                .iter()
                .map(|i| render(i, depth + 1, b))
                .collect::<Vec<_>>()
                .join("\n");
        }
        None => {}
    }
    if let Some(ts) = &o.to_string {
        return b.spend(ts.clone());
    }
    if o.extended.is_empty() && o.adapted.is_empty() {
        return o
            .value
            .as_ref()
            .map(|x| render(x, depth + 1, b))
            .unwrap_or_default();
    }
    properties_view(v, b)
}

/// A one-line form for nested values, like PowerShell's `{a, b}` and
/// `@{x=1}` renderings inside tables and lists.
fn inline(v: &PsValue, depth: usize, b: &mut Budget) -> String {
    if !b.visit() {
        return "…".into();
    }
    let o = match v {
        PsValue::Primitive(p) => return b.spend(primitive_text(p).replace('\n', " ")),
        PsValue::Object(o) => o,
    };
    if let Some(ts) = &o.to_string {
        return b.spend(ts.clone());
    }
    if depth >= DISPLAY_DEPTH {
        return "...".into();
    }
    if let Some(items) = o.container.as_ref().and_then(Container::items) {
        let parts: Vec<String> = items.iter().map(|i| inline(i, depth + 1, b)).collect();
        return format!("{{{}}}", parts.join(", "));
    }
    if let Some(Container::Dictionary(d)) = &o.container {
        let parts: Vec<String> = d
            .iter()
            .map(|(k, v)| format!("{}={}", inline(k, depth + 1, b), inline(v, depth + 1, b)))
            .collect();
        return format!("@{{{}}}", parts.join("; "));
    }
    if let Some(x) = &o.value {
        return inline(x, depth + 1, b);
    }
    let parts: Vec<String> = o
        .properties()
        .map(|(n, v)| format!("{n}={}", inline(v, depth + 1, b)))
        .collect();
    format!("@{{{}}}", parts.join("; "))
}

#[cfg(test)]
mod tests;
