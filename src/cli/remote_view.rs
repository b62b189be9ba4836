//! Remote output objects as the PowerShell console shows them, and as JSON.
//!
//! Text: a type with a default view in PowerShell's format data (Process,
//! Service, PSSessionConfiguration, files and folders) is shown with that
//! view's columns; another object with up to four properties is a table
//! row, with more a list; consecutive objects of one type share one table
//! header, as PowerShell's formatter groups them. Text, numbers and
//! objects without properties print as their text.
//!
//! JSON: each object is one line, with PowerShell's property names and
//! JSON's types, nested objects to [`JSON_DEPTH`] levels (deeper ones by
//! their text), as `ConvertTo-Json -Depth 2 -Compress` writes them; enum
//! values are their numbers, as ConvertTo-Json writes them.

use std::io::Write;

use crate::model::{RemoteObject, RemoteValue};

/// How deep `--json` writes nested objects (ConvertTo-Json's default, 2).
pub const JSON_DEPTH: usize = 2;

/// The widest a table column gets; longer cells are cut with `…`.
const MAX_COLUMN: usize = 40;

/// A type's default view in PowerShell's format data: how its columns are
/// labelled and which property (or computation) fills each.
struct TypeView {
    /// The types it applies to; the first names the table.
    type_names: &'static [&'static str],
    list: bool,
    columns: &'static [(&'static str, Cell)],
}

#[derive(Clone, Copy)]
enum Cell {
    Property(&'static str),
    /// A byte count shown in KiB.
    KiB(&'static str),
    /// CPU seconds with two decimals.
    Seconds(&'static str),
}

const VIEWS: &[TypeView] = &[
    TypeView {
        type_names: &["System.Diagnostics.Process"],
        list: false,
        columns: &[
            ("Handles", Cell::Property("HandleCount")),
            ("NPM(K)", Cell::KiB("NonpagedSystemMemorySize64")),
            ("PM(K)", Cell::KiB("PagedMemorySize64")),
            ("WS(K)", Cell::KiB("WorkingSet64")),
            ("CPU(s)", Cell::Seconds("CPU")),
            ("Id", Cell::Property("Id")),
            ("SI", Cell::Property("SessionId")),
            ("ProcessName", Cell::Property("ProcessName")),
        ],
    },
    TypeView {
        type_names: &["System.ServiceProcess.ServiceController"],
        list: false,
        columns: &[
            ("Status", Cell::Property("Status")),
            ("Name", Cell::Property("Name")),
            ("DisplayName", Cell::Property("DisplayName")),
        ],
    },
    TypeView {
        type_names: &[
            "Microsoft.PowerShell.Commands.PSSessionConfigurationCommands#PSSessionConfiguration",
        ],
        list: true,
        columns: &[
            ("Name", Cell::Property("Name")),
            ("PSVersion", Cell::Property("PSVersion")),
            ("StartupScript", Cell::Property("StartupScript")),
            ("RunAsUser", Cell::Property("RunAsUser")),
            ("Permission", Cell::Property("Permission")),
        ],
    },
    TypeView {
        type_names: &["System.IO.FileInfo", "System.IO.DirectoryInfo"],
        list: false,
        columns: &[
            ("Mode", Cell::Property("Mode")),
            ("LastWriteTime", Cell::Property("LastWriteTime")),
            ("Length", Cell::Property("Length")),
            ("Name", Cell::Property("Name")),
        ],
    },
];

/// How one object is shown.
#[derive(Debug, PartialEq)]
pub enum View {
    /// Its text, as it is.
    Text(String),
    /// A row of a table: the table's key (its type and columns), the
    /// column labels and the row's cells.
    Row {
        key: String,
        labels: Vec<String>,
        cells: Vec<String>,
    },
    /// A list of `Name : Value` lines.
    List(Vec<(String, String)>),
}

fn bare(type_name: &str) -> &str {
    type_name.strip_prefix("Deserialized.").unwrap_or(type_name)
}

fn property<'a>(props: &'a [(String, RemoteValue)], name: &str) -> Option<&'a RemoteValue> {
    props
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn cell(props: &[(String, RemoteValue)], c: Cell) -> String {
    let number = |v: &RemoteValue| match v {
        RemoteValue::Int(i) => Some(*i as f64),
        RemoteValue::UInt(u) => Some(*u as f64),
        RemoteValue::Float(f) => Some(*f),
        _ => None,
    };
    match c {
        Cell::Property(p) => property(props, p)
            .map(RemoteValue::cell_text)
            .unwrap_or_default(),
        Cell::KiB(p) => property(props, p)
            .and_then(number)
            .map(|n| format!("{}", (n / 1024.0).round() as i64))
            .unwrap_or_default(),
        Cell::Seconds(p) => property(props, p)
            .and_then(number)
            .map(|n| format!("{n:.2}"))
            .unwrap_or_default(),
    }
}

/// How PowerShell's console would show `obj`.
pub fn view(obj: &RemoteObject) -> View {
    let RemoteValue::Object {
        type_names,
        properties,
        ..
    } = &obj.value
    else {
        return View::Text(obj.text.clone());
    };
    if properties.is_empty() {
        return View::Text(obj.text.clone());
    }
    if let Some(v) = VIEWS
        .iter()
        .find(|v| type_names.iter().any(|t| v.type_names.contains(&bare(t))))
    {
        let pairs: Vec<(String, String)> = v
            .columns
            .iter()
            .map(|(label, c)| ((*label).to_owned(), cell(properties, *c)))
            .collect();
        if v.list {
            return View::List(pairs);
        }
        let (labels, cells) = pairs.into_iter().unzip();
        return View::Row {
            key: v.type_names[0].to_owned(),
            labels,
            cells,
        };
    }
    let pairs: Vec<(String, String)> = properties
        .iter()
        .map(|(n, v)| (n.clone(), v.cell_text()))
        .collect();
    if pairs.len() > 4 {
        return View::List(pairs);
    }
    let labels: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
    View::Row {
        key: format!(
            "{}|{}",
            type_names.first().map_or("", |t| bare(t)),
            labels.join(",")
        ),
        labels,
        cells: pairs.into_iter().map(|(_, v)| v).collect(),
    }
}

/// Writes views one after another, as PowerShell's formatter does: rows of
/// one table under one header, a blank line between different shapes.
#[derive(Debug, Default)]
pub struct ViewWriter {
    /// The table being written: its key and column widths.
    table: Option<(String, Vec<usize>)>,
}

fn fit(text: &str, width: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = one_line.chars().count();
    if n > width {
        let mut cut: String = one_line.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{one_line}{}", " ".repeat(width - n))
    }
}

impl ViewWriter {
    /// Ends the current table (a new command's output starts apart).
    pub fn reset(&mut self) {
        self.table = None;
    }

    /// Writes one object as [`view`] shows it; an object that is only text
    /// is written from where it is, without a copy (outputs of many MB).
    pub fn write_object(&mut self, obj: &RemoteObject, out: &mut dyn Write) -> std::io::Result<()> {
        match &obj.value {
            RemoteValue::Object { properties, .. } if !properties.is_empty() => {
                self.write(view(obj), out)
            }
            _ => {
                self.table = None;
                writeln!(out, "{}", crate::cli::format::terminal_safe(&obj.text))
            }
        }
    }

    /// Writes one object's view.
    pub fn write(&mut self, view: View, out: &mut dyn Write) -> std::io::Result<()> {
        let safe = |s: &str| crate::cli::format::terminal_safe(s).into_owned();
        match view {
            View::Text(t) => {
                self.table = None;
                writeln!(out, "{}", crate::cli::format::terminal_safe(&t))
            }
            View::List(pairs) => {
                self.table = None;
                // Property names come from the remote computer too.
                let pairs: Vec<(String, String)> = pairs
                    .into_iter()
                    .map(|(n, v)| {
                        let one_line = safe(&n)
                            .chars()
                            .map(|c| if c.is_control() { ' ' } else { c })
                            .collect();
                        (one_line, safe(&v))
                    })
                    .collect();
                let w = pairs
                    .iter()
                    .map(|(n, _)| n.chars().count())
                    .max()
                    .unwrap_or(0);
                let mut text = String::from("\n");
                for (n, v) in pairs {
                    text.push_str(&format!("{n:w$} : {v}\n"));
                }
                out.write_all(text.as_bytes())
            }
            View::Row { key, labels, cells } => {
                let cells: Vec<String> = cells.iter().map(|c| safe(c)).collect();
                let same = self.table.as_ref().is_some_and(|(k, _)| *k == key);
                if !same {
                    let widths: Vec<usize> = labels
                        .iter()
                        .zip(&cells)
                        .map(|(l, c)| l.chars().count().max(c.chars().count()).min(MAX_COLUMN))
                        .collect();
                    let header: Vec<String> = labels
                        .iter()
                        .zip(&widths)
                        .map(|(l, w)| fit(l, *w))
                        .collect();
                    let rule: Vec<String> = labels
                        .iter()
                        .zip(&widths)
                        .map(|(l, w)| fit(&"-".repeat(l.chars().count()), *w))
                        .collect();
                    writeln!(
                        out,
                        "\n{}\n{}",
                        header.join(" ").trim_end(),
                        rule.join(" ").trim_end()
                    )?;
                    self.table = Some((key, widths));
                }
                let widths = self
                    .table
                    .as_ref()
                    .map(|(_, w)| w.clone())
                    .unwrap_or_default();
                let row: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| fit(c, *w)).collect();
                writeln!(out, "{}", row.join(" ").trim_end())
            }
        }
    }
}

/// `obj` as one JSON value (see the module's notes).
pub fn json(obj: &RemoteObject) -> serde_json::Value {
    json_at(&obj.value, 0)
}

fn json_at(v: &RemoteValue, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        RemoteValue::Null => J::Null,
        RemoteValue::Bool(b) => J::Bool(*b),
        RemoteValue::Int(i) | RemoteValue::Enum { value: i, .. } => J::from(*i),
        RemoteValue::UInt(u) => J::from(*u),
        RemoteValue::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        RemoteValue::Text(t) | RemoteValue::Truncated(t) => J::String(t.clone()),
        RemoteValue::List(items) => {
            if depth >= JSON_DEPTH {
                J::String(v.cell_text())
            } else {
                J::Array(items.iter().map(|i| json_at(i, depth + 1)).collect())
            }
        }
        RemoteValue::Dictionary(entries) => {
            if depth >= JSON_DEPTH {
                J::String(v.cell_text())
            } else {
                J::Object(
                    entries
                        .iter()
                        .map(|(k, val)| (k.clone(), json_at(val, depth + 1)))
                        .collect(),
                )
            }
        }
        RemoteValue::Object { properties, .. } => {
            if depth >= JSON_DEPTH {
                J::String(v.cell_text())
            } else {
                J::Object(
                    properties
                        .iter()
                        .map(|(k, val)| (k.clone(), json_at(val, depth + 1)))
                        .collect(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(type_name: &str, props: Vec<(&str, RemoteValue)>) -> RemoteObject {
        RemoteObject {
            text: format!("{type_name} (text)"),
            value: RemoteValue::Object {
                type_names: vec![
                    format!("Deserialized.{type_name}"),
                    "Deserialized.System.Object".into(),
                ],
                to_string: Some(format!("{type_name} (text)")),
                properties: props.into_iter().map(|(n, v)| (n.to_owned(), v)).collect(),
            },
        }
    }

    fn process(name: &str, id: i64) -> RemoteObject {
        object(
            "System.Diagnostics.Process",
            vec![
                ("Id", RemoteValue::Int(id)),
                ("ProcessName", RemoteValue::Text(name.into())),
                ("HandleCount", RemoteValue::Int(523)),
                ("WorkingSet64", RemoteValue::Int(8 * 1024 * 1024)),
                ("PagedMemorySize64", RemoteValue::Int(2 * 1024 * 1024)),
                ("NonpagedSystemMemorySize64", RemoteValue::Int(20 * 1024)),
                ("CPU", RemoteValue::Float(1.234_56)),
                ("SessionId", RemoteValue::Int(0)),
            ],
        )
    }

    fn written(objects: &[RemoteObject]) -> String {
        let mut w = ViewWriter::default();
        let mut out = Vec::new();
        for o in objects {
            w.write(view(o), &mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    /// A property name is the remote computer's text too: no escape
    /// sequence in it reaches the terminal (found by fuzzing clixml_render).
    #[test]
    fn list_labels_are_made_terminal_safe() {
        let mut out = Vec::new();
        ViewWriter::default()
            .write(
                View::List(vec![
                    ("Comma\u{1b}[31mnd".into(), "v".into()),
                    ("Line\nBreak".into(), "w".into()),
                ]),
                &mut out,
            )
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("Command    : v"), "{text:?}");
        assert!(text.contains("Line Break : w"), "{text:?}");
    }

    #[test]
    fn processes_share_one_table_in_powershells_columns() {
        let text = written(&[process("csrss", 424), process("lsass", 612)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "Handles NPM(K) PM(K) WS(K) CPU(s) Id  SI ProcessName"
        );
        assert_eq!(lines[3], "523     20     2048  8192  1.23   424 0  csrss");
        assert_eq!(lines.len(), 5, "one header for both: {text}");
    }

    #[test]
    fn small_objects_are_rows_large_ones_lists_and_text_stays_text() {
        let small = object(
            "Selected.System.Management.ManagementObject",
            vec![
                ("Name", RemoteValue::Text("C:".into())),
                ("Free", RemoteValue::Int(5)),
            ],
        );
        let mut props = Vec::new();
        for n in ["A", "B", "C", "D", "E"] {
            props.push((n, RemoteValue::Bool(true)));
        }
        let large = object("Custom", props);
        let text = written(&[small.clone(), small, large, RemoteObject::text("done")]);
        assert!(
            text.starts_with("\nName Free\n---- ----\nC:   5\nC:   5\n\nA : True\n"),
            "{text}"
        );
        assert!(text.ends_with("E : True\ndone\n"), "{text}");
    }

    #[test]
    fn json_keeps_types_and_stops_at_depth_two() {
        let deep = RemoteValue::Object {
            type_names: vec!["Inner".into()],
            to_string: Some("inner text".into()),
            properties: vec![("X".into(), RemoteValue::Int(1))],
        };
        let mid = RemoteValue::Object {
            type_names: vec!["Mid".into()],
            to_string: None,
            properties: vec![("Deep".into(), deep)],
        };
        let mut o = process("csrss", 424);
        if let RemoteValue::Object { properties, .. } = &mut o.value {
            properties.push(("Mid".into(), mid));
            properties.push(("Responding".into(), RemoteValue::Bool(true)));
            properties.push((
                "PriorityClass".into(),
                RemoteValue::Enum {
                    value: 32,
                    name: "Normal".into(),
                },
            ));
        }
        let j = json(&o);
        assert_eq!(j["Id"], 424);
        assert_eq!(j["ProcessName"], "csrss");
        assert_eq!(j["Responding"], true);
        assert_eq!(j["PriorityClass"], 32);
        assert_eq!(j["Mid"]["Deep"], "inner text");
        assert_eq!(json(&RemoteObject::text("1")), "1");
    }
}
