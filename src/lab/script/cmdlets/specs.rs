//! Every cmdlet's parameters, as the binder reads them: a table.

use super::*;

/// A parameter of a command.
pub(super) struct Spec {
    pub(super) name: &'static str,
    pub(super) aliases: &'static [&'static str],
    pub(super) switch: bool,
    pub(super) position: Option<u8>,
    /// Takes all remaining positional arguments (as an array).
    pub(super) remaining: bool,
}

pub(super) const fn p(name: &'static str, position: Option<u8>) -> Spec {
    Spec {
        name,
        aliases: &[],
        switch: false,
        position,
        remaining: false,
    }
}

pub(super) const fn pa(
    name: &'static str,
    aliases: &'static [&'static str],
    position: Option<u8>,
) -> Spec {
    Spec {
        name,
        aliases,
        switch: false,
        position,
        remaining: false,
    }
}

pub(super) const fn sw(name: &'static str) -> Spec {
    Spec {
        name,
        aliases: &[],
        switch: true,
        position: None,
        remaining: false,
    }
}

pub(super) const fn rest(name: &'static str, aliases: &'static [&'static str]) -> Spec {
    Spec {
        name,
        aliases,
        switch: false,
        position: Some(0),
        remaining: true,
    }
}

pub(super) const COMMON: &[Spec] = &[
    Spec {
        name: "Verbose",
        aliases: &["vb"],
        switch: true,
        position: None,
        remaining: false,
    },
    Spec {
        name: "Debug",
        aliases: &["db"],
        switch: true,
        position: None,
        remaining: false,
    },
    pa("ErrorAction", &["ea"], None),
    pa("WarningAction", &["wa"], None),
    pa("InformationAction", &["infa"], None),
    pa("ErrorVariable", &["ev"], None),
    pa("WarningVariable", &["wv"], None),
    pa("InformationVariable", &["iv"], None),
    pa("OutVariable", &["ov"], None),
    pa("OutBuffer", &["ob"], None),
    pa("PipelineVariable", &["pv"], None),
];

#[expect(clippy::too_many_lines, reason = "a table: every cmdlet's parameters")]
pub(super) fn specs(kind: Kind) -> Vec<Spec> {
    match kind {
        Kind::WriteOutput => vec![rest("InputObject", &[]), sw("NoEnumerate")],
        Kind::WriteHost => vec![
            rest("Object", &["Msg", "Message"]),
            sw("NoNewline"),
            p("Separator", None),
            p("ForegroundColor", None),
            p("BackgroundColor", None),
        ],
        Kind::WriteError => vec![
            pa("Message", &["Msg"], Some(0)),
            p("Category", None),
            p("ErrorId", None),
            p("TargetObject", None),
            p("RecommendedAction", None),
            p("CategoryActivity", None),
            p("CategoryReason", None),
            p("CategoryTargetName", None),
            p("CategoryTargetType", None),
            p("Exception", None),
            p("ErrorRecord", None),
        ],
        Kind::WriteWarning | Kind::WriteVerbose | Kind::WriteDebug => {
            vec![pa("Message", &["Msg"], Some(0))]
        }
        Kind::WriteInformation => vec![
            pa("MessageData", &["Msg", "Message"], Some(0)),
            pa("Tags", &[], Some(1)),
        ],
        Kind::WriteProgress => vec![
            p("Activity", Some(0)),
            p("Status", Some(1)),
            p("Id", Some(2)),
            p("PercentComplete", None),
            p("SecondsRemaining", None),
            p("CurrentOperation", None),
            p("ParentId", None),
            sw("Completed"),
            p("SourceId", None),
        ],
        Kind::StartSleep => vec![
            pa("Seconds", &["s"], Some(0)),
            pa("Milliseconds", &["ms"], None),
        ],
        Kind::GetDate => vec![
            pa("Date", &["LastWriteTime"], Some(0)),
            p("Format", None),
            p("UFormat", None),
            p("DisplayHint", None),
        ],
        Kind::ForEachObject => vec![
            rest("Process", &[]),
            p("Begin", None),
            p("End", None),
            p("MemberName", None),
            p("InputObject", None),
            p("RemainingScripts", None),
        ],
        Kind::WhereObject => vec![
            p("FilterScript", None),
            p("Property", None),
            p("Value", Some(1)),
            p("InputObject", None),
            sw("EQ"),
            sw("NE"),
            sw("GT"),
            sw("LT"),
            sw("GE"),
            sw("LE"),
            sw("Like"),
            sw("NotLike"),
            sw("Match"),
            sw("NotMatch"),
            sw("Contains"),
            sw("NotContains"),
            sw("In"),
            sw("NotIn"),
            sw("CEQ"),
            sw("CNE"),
            sw("CLike"),
            sw("CMatch"),
            sw("Is"),
            sw("IsNot"),
            Spec {
                name: "Positional0",
                aliases: &[],
                switch: false,
                position: Some(0),
                remaining: false,
            },
        ],
        Kind::SelectObject => vec![
            p("Property", Some(0)),
            p("First", None),
            p("Last", None),
            p("Skip", None),
            p("ExpandProperty", None),
            sw("Unique"),
            p("ExcludeProperty", None),
            p("Index", None),
            p("InputObject", None),
        ],
        Kind::SortObject => vec![
            p("Property", Some(0)),
            sw("Descending"),
            sw("Unique"),
            sw("CaseSensitive"),
            p("InputObject", None),
        ],
        Kind::MeasureObject => vec![
            p("Property", Some(0)),
            sw("Sum"),
            sw("Average"),
            sw("Maximum"),
            sw("Minimum"),
            sw("Line"),
            sw("Word"),
            sw("Character"),
            p("InputObject", None),
        ],
        Kind::GetProcess => vec![
            pa("Name", &["ProcessName"], Some(0)),
            pa("Id", &["PID"], None),
            sw("IncludeUserName"),
            pa("ComputerName", &["Cn"], None),
        ],
        Kind::GetService => vec![
            pa("Name", &["ServiceName"], Some(0)),
            p("DisplayName", None),
            p("Exclude", None),
            p("Include", None),
            pa("ComputerName", &["Cn"], None),
        ],
        Kind::GetPSSessionConfiguration => vec![p("Name", Some(0)), sw("Force")],
        Kind::ReadHost => vec![p("Prompt", Some(0)), sw("AsSecureString")],
        Kind::ConvertToSecureString => vec![p("String", Some(0)), sw("AsPlainText"), sw("Force")],
        Kind::ConvertFromSecureString => vec![p("SecureString", Some(0)), sw("AsPlainText")],
        Kind::GetChildItem => vec![
            pa("Path", &["LiteralPath", "PSPath", "LP"], Some(0)),
            p("Filter", Some(1)),
            sw("Recurse"),
            sw("Force"),
            sw("Name"),
            sw("File"),
            sw("Directory"),
            p("Include", None),
            p("Exclude", None),
            p("Depth", None),
        ],
        Kind::NewItem | Kind::Mkdir => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            p("Name", None),
            pa("ItemType", &["Type"], None),
            pa("Value", &["Target"], None),
            sw("Force"),
        ],
        Kind::TestPath => vec![
            pa("Path", &["LiteralPath", "PSPath", "LP"], Some(0)),
            pa("PathType", &["Type"], None),
            sw("IsValid"),
        ],
        Kind::GetContent => vec![
            pa("Path", &["LiteralPath", "PSPath", "FullName"], Some(0)),
            pa("TotalCount", &["First", "Head"], None),
            pa("Tail", &["Last"], None),
            sw("Raw"),
            p("Encoding", None),
        ],
        Kind::SetContent | Kind::AddContent => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            p("Value", Some(1)),
            sw("Force"),
            p("Encoding", None),
            sw("NoNewline"),
            sw("PassThru"),
        ],
        Kind::RemoveItem => vec![
            pa("Path", &["LiteralPath", "PSPath", "FullName"], Some(0)),
            sw("Recurse"),
            sw("Force"),
            p("Filter", None),
        ],
        Kind::GetLocation => vec![],
        Kind::SetLocation => vec![
            pa("Path", &["LiteralPath", "PSPath"], Some(0)),
            sw("PassThru"),
        ],
        Kind::GetVariable => vec![
            p("Name", Some(0)),
            sw("ValueOnly"),
            p("Scope", None),
            p("Exclude", None),
            p("Include", None),
        ],
        Kind::SetVariable => vec![
            p("Name", Some(0)),
            p("Value", Some(1)),
            p("Scope", None),
            sw("PassThru"),
            p("Option", None),
            p("Description", None),
        ],
        Kind::OutNull => vec![p("InputObject", None)],
        Kind::OutDefault => vec![p("InputObject", None), sw("Paging"), sw("Transcript")],
        Kind::OutString => vec![sw("Stream"), p("Width", None), p("InputObject", None)],
        Kind::Hostname | Kind::Whoami => vec![rest("Arguments", &[])],
        Kind::Invoke => vec![rest("Arguments", &[])],
    }
}
