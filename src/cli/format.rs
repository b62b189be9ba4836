//! Console output in PowerShell's shapes: the PSSession table, Format-List,
//! error records (parser and runtime), and JSON lines.
//!
//! All functions return text; trailing spaces are trimmed from every line, and
//! every line ends with `\n`. The console adds the blank lines PowerShell
//! prints around tables and lists.

use super::cmdlets::BindError;
use super::syntax::ParseError;

/// One PSSession as the console shows it; the executor fills it from the
/// worker's session model.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionRow {
    /// Console-local session id.
    pub id: i32,
    /// Friendly name, e.g. `ITTask`.
    pub name: String,
    /// The RunspacePool id (a GUID string).
    pub instance_id: String,
    /// Computer the session runs on.
    pub computer_name: String,
    /// `Opened`, `Disconnected`, `Closed`, `Broken`, ...
    pub state: String,
    /// Session configuration, e.g. `Microsoft.PowerShell`.
    pub configuration_name: String,
    /// `Available`, `Busy`, `None`.
    pub availability: String,
    /// Idle timeout in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<i64>,
    /// `Block`, `Drop` or `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_buffering_mode: Option<String>,
    /// When the session was disconnected (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnected_on: Option<String>,
    /// When a disconnected session expires (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// `WSMan`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
}

/// Horizontal alignment of a table column (header, dashes and cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left (PowerShell right-aligns numbers).
    Right,
}

/// A table column: label, minimum width, alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Header label.
    pub label: &'static str,
    /// Minimum width (the column grows to fit the label and every value).
    pub width: usize,
    /// Alignment.
    pub align: Align,
}

/// The PSSession table view. Minimum widths are those of the reference
/// pages' tables (Id 2, Name 15, ComputerName 15, State 13,
/// ConfigurationName 21, Availability 12); a column grows when a value is
/// longer, so nothing is truncated.
const SESSION_COLUMNS: [Column; 6] = [
    Column {
        label: "Id",
        width: 2,
        align: Align::Right,
    },
    Column {
        label: "Name",
        width: 15,
        align: Align::Left,
    },
    Column {
        label: "ComputerName",
        width: 15,
        align: Align::Left,
    },
    Column {
        label: "State",
        width: 13,
        align: Align::Left,
    },
    Column {
        label: "ConfigurationName",
        width: 21,
        align: Align::Left,
    },
    Column {
        label: "Availability",
        width: 12,
        align: Align::Right,
    },
];

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = width.saturating_sub(char_len(s));
    match align {
        Align::Left => format!("{s}{}", " ".repeat(fill)),
        Align::Right => format!("{}{s}", " ".repeat(fill)),
    }
}

/// Single-line text for a table cell (newlines and tabs become spaces).
fn cell(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Format-Table for any objects: header, dashes under each label, then one
/// line per row; columns are separated by one space and sized to fit
/// (`-AutoSize` behaviour, with `width` as a floor). E.g. the job table of
/// the Connect-PSSession page: `Id Name State HasMoreData Location Command`.
#[must_use]
pub fn format_table(columns: &[Column], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    table(columns, rows)
}

/// Render rows as a table with the given columns.
fn table(columns: &[Column], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|v| char_len(v))
                .chain([c.width, char_len(c.label)])
                .max()
                .unwrap_or(c.width)
        })
        .collect();
    let render = |cells: &mut dyn Iterator<Item = (usize, String)>| -> String {
        let mut parts = Vec::new();
        for (i, text) in cells {
            let (w, a) = match (widths.get(i), columns.get(i)) {
                (Some(w), Some(c)) => (*w, c.align),
                _ => (0, Align::Left),
            };
            parts.push(pad(&text, w, a));
        }
        parts.join(" ")
    };
    let mut out = String::new();
    push_line(
        &mut out,
        &render(&mut columns.iter().map(|c| c.label.to_owned()).enumerate()),
    );
    push_line(
        &mut out,
        &render(
            &mut columns
                .iter()
                .map(|c| "-".repeat(char_len(c.label)))
                .enumerate(),
        ),
    );
    for r in rows {
        push_line(
            &mut out,
            &render(&mut r.iter().map(|c| cell(c)).enumerate()),
        );
    }
    out
}

/// PowerShell's default table for PSSession objects
/// (`Id Name ComputerName State ConfigurationName Availability`).
/// Empty input gives empty output, as in PowerShell.
#[must_use]
pub fn session_table(rows: &[SessionRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.name.clone(),
                r.computer_name.clone(),
                r.state.clone(),
                r.configuration_name.clone(),
                r.availability.clone(),
            ]
        })
        .collect();
    table(&SESSION_COLUMNS, &cells)
}

/// Format-List for one object: `Name : Value`, names padded to the longest
/// name. Multi-line values continue under the value column.
#[must_use]
pub fn format_list(properties: &[(String, String)]) -> String {
    let width = properties
        .iter()
        .map(|(n, _)| char_len(n))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, value) in properties {
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        push_line(
            &mut out,
            &format!("{} : {first}", pad(name, width, Align::Left)),
        );
        for more in lines {
            push_line(&mut out, &format!("{}{more}", " ".repeat(width + 3)));
        }
    }
    out
}

/// Format-List for several objects, separated by one blank line.
#[must_use]
pub fn format_list_many(objects: &[Vec<(String, String)>]) -> String {
    objects
        .iter()
        .map(|o| format_list(o))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The properties of a PSSession in list order (for `| Format-List`).
#[must_use]
pub fn session_properties(row: &SessionRow) -> Vec<(String, String)> {
    let mut v = vec![
        ("Id".to_owned(), row.id.to_string()),
        ("Name".to_owned(), row.name.clone()),
        ("InstanceId".to_owned(), row.instance_id.clone()),
        ("ComputerName".to_owned(), row.computer_name.clone()),
        ("State".to_owned(), row.state.clone()),
        (
            "ConfigurationName".to_owned(),
            row.configuration_name.clone(),
        ),
        ("Availability".to_owned(), row.availability.clone()),
    ];
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    v.push((
        "IdleTimeout".to_owned(),
        row.idle_timeout.map(|t| t.to_string()).unwrap_or_default(),
    ));
    v.push((
        "OutputBufferingMode".to_owned(),
        opt(&row.output_buffering_mode),
    ));
    v.push(("DisconnectedOn".to_owned(), opt(&row.disconnected_on)));
    v.push(("ExpiresOn".to_owned(), opt(&row.expires_on)));
    if let Some(t) = &row.transport {
        v.push(("Transport".to_owned(), t.clone()));
    }
    v
}

/// One JSON document per session, one per line, with PowerShell's property names.
#[must_use]
pub fn sessions_json_lines(rows: &[SessionRow]) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&json_line(r));
    }
    out
}

/// Any serializable value as one JSON line (compact, ending with `\n`).
#[must_use]
pub fn json_line<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"error\":{}}}", serde_json::Value::String(e.to_string())));
    s.push('\n');
    s
}

/// `-WhatIf` output line for a ShouldProcess operation, e.g.
/// `What if: Performing the operation "Disconnect" on target "ITTask".`
#[must_use]
pub fn what_if_line(operation: &str, target: &str) -> String {
    format!("What if: Performing the operation \"{operation}\" on target \"{target}\".\n")
}

/// Text from a remote computer, made safe to print on a terminal: escape
/// and control sequences (CSI, OSC — which can write the clipboard or the
/// window title —, DCS and the like, 7-bit and 8-bit) and lone control
/// characters are removed, carriage returns included (they can hide text
/// by overwriting a line); newlines and tabs stay. Plain text comes back as
/// it is, without a copy.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters, then one final byte.
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: a string up to ST or BEL.
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if unsafe_char(c) => {}
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' if chars.peek() == Some(&'\\') => {
                chars.next();
                return;
            }
            _ => {}
        }
    }
}

/// The `-Confirm` prompt PowerShell's console host shows for a ShouldProcess
/// operation (CommandBaseStrings' InquireCaptionDefault,
/// ShouldProcessWarningFallback and ShouldProcessMessage; the host lays each
/// choice out as `[K] Label  `). Suspend is left out, as PowerShell leaves it
/// out where no nested prompt can be entered.
#[must_use]
pub fn confirm_prompt(operation: &str, target: &str) -> String {
    format!(
        "Confirm\nAre you sure you want to perform this action?\nPerforming the operation \"{operation}\" on target \"{target}\".\n[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is \"Y\"): "
    )
}

/// The fields of a PowerShell error record, for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorView {
    /// The command that failed (`Disconnect-PSSession`), or empty for parser errors.
    pub command: String,
    /// The message.
    pub message: String,
    /// The category, e.g. `InvalidArgument`, `InvalidOperation`, `ParserError`.
    pub category: String,
    /// The target shown in parentheses, e.g. `ITTask:PSSession` or empty.
    pub target: String,
    /// The reason (exception type), e.g. `ParameterBindingException`.
    pub reason: String,
    /// The FullyQualifiedErrorId.
    pub fully_qualified_error_id: String,
}

/// Render an error record like the PowerShell 5.1 console
/// (`Cmd : message`, optional position block, `CategoryInfo`, `FullyQualifiedErrorId`).
/// `position` is the source line(s) and the character offset of the error.
#[must_use]
pub fn format_error(e: &ErrorView, position: Option<(&str, usize)>) -> String {
    let mut out = String::new();
    if e.command.is_empty() {
        if let Some(pos) = position {
            out.push_str(&position_block(pos.0, pos.1));
        }
        push_line(&mut out, &e.message);
    } else {
        push_line(&mut out, &format!("{} : {}", e.command, e.message));
        if let Some(pos) = position {
            out.push_str(&position_block(pos.0, pos.1));
        }
    }
    push_line(
        &mut out,
        &format!(
            "    + CategoryInfo          : {}: ({}) [{}], {}",
            e.category, e.target, e.command, e.reason
        ),
    );
    push_line(
        &mut out,
        &format!(
            "    + FullyQualifiedErrorId : {}",
            e.fully_qualified_error_id
        ),
    );
    out
}

/// `At line:L char:C`, the offending line, and a `~` marker under the token.
fn position_block(source: &str, offset: usize) -> String {
    let mut line_no = 1;
    let mut line_start = 0;
    for (i, c) in source.chars().enumerate() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line_no += 1;
            line_start = i + 1;
        }
    }
    let line: String = source
        .chars()
        .skip(line_start)
        .take_while(|c| *c != '\n' && *c != '\r')
        .collect();
    let col = offset.saturating_sub(line_start);
    let token_len = line
        .chars()
        .skip(col)
        .take_while(|c| !c.is_whitespace())
        .count()
        .max(1);
    let mut out = String::new();
    push_line(&mut out, &format!("At line:{line_no} char:{}", col + 1));
    push_line(&mut out, &format!("+ {line}"));
    push_line(
        &mut out,
        &format!("+ {}{}", " ".repeat(col), "~".repeat(token_len)),
    );
    out
}

/// A parser error as PowerShell shows it.
#[must_use]
pub fn format_parse_error(source: &str, e: &ParseError) -> String {
    format_error(
        &ErrorView {
            command: String::new(),
            message: e.message.clone(),
            category: "ParserError".into(),
            target: ":".into(),
            reason: "ParentContainsErrorRecordException".into(),
            fully_qualified_error_id: e.error_id.into(),
        },
        Some((source, e.offset)),
    )
}

/// A binding error as PowerShell shows it.
#[must_use]
pub fn format_bind_error(source: &str, e: &BindError) -> String {
    let activity = if e.exception == "CommandNotFoundException" {
        String::new()
    } else {
        e.command.clone()
    };
    let view = ErrorView {
        command: e.command.clone(),
        message: e.message.clone(),
        category: e.category.clone(),
        target: if e.target.is_empty() {
            ":".into()
        } else {
            e.target.clone()
        },
        reason: e.exception.clone(),
        fully_qualified_error_id: e.fully_qualified_error_id.clone(),
    };
    let mut text = format_error(&view, Some((source, e.offset)));
    if activity.is_empty() {
        // CommandNotFound: PowerShell prints `name : message` and `[]` as activity.
        text = text.replace(
            &format!("[{}], CommandNotFoundException", e.command),
            "[], CommandNotFoundException",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, name: &str, cn: &str, state: &str, conf: &str, avail: &str) -> SessionRow {
        SessionRow {
            id,
            name: name.into(),
            computer_name: cn.into(),
            state: state.into(),
            configuration_name: conf.into(),
            availability: avail.into(),
            ..SessionRow::default()
        }
    }

    #[test]
    fn long_values_widen_columns() {
        let t = session_table(&[row(
            123,
            "AVeryLongSessionName01",
            "srv",
            "Opened",
            "Microsoft.PowerShell",
            "Available",
        )]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            " Id Name                   ComputerName    State         ConfigurationName     Availability"
        );
        assert_eq!(
            lines[2],
            "123 AVeryLongSessionName01 srv             Opened        Microsoft.PowerShell     Available"
        );
    }

    #[test]
    fn idle_timeout_error_matches_reference_page() {
        // Disconnect-PSSession.fr.md example 4, with the console's line wrapping undone.
        let page = "Disconnect-PSSession : The session ITTask cannot be disconnected because the specified\n\
idle timeout value 172800(seconds) is either greater than the server maximum allowed\n\
43200 (seconds) or less that the minimum allowed60(seconds).  Choose an idle time out\n\
value that is within the allowed range and try again.";
        let got = format!(
            "Disconnect-PSSession : {}",
            crate::model::rules::idle_timeout_out_of_range("ITTask", 172_800, Some(43_200))
        );
        assert_eq!(got, page.replace('\n', " "));
    }

    #[test]
    fn what_if_and_confirm() {
        assert_eq!(
            what_if_line("Disconnect", "ITTask"),
            "What if: Performing the operation \"Disconnect\" on target \"ITTask\".\n"
        );
        assert!(confirm_prompt("Remove", "s1").starts_with("Confirm\nAre you sure"));
    }

    #[test]
    fn generic_table_autosizes() {
        let cols = [
            Column {
                label: "Id",
                width: 0,
                align: Align::Right,
            },
            Column {
                label: "Name",
                width: 0,
                align: Align::Left,
            },
            Column {
                label: "HasMoreData",
                width: 0,
                align: Align::Left,
            },
        ];
        let t = format_table(&cols, &[vec!["2".into(), "Job2".into(), "True".into()]]);
        assert_eq!(
            t,
            "Id Name HasMoreData\n-- ---- -----------\n 2 Job2 True\n"
        );
        assert_eq!(format_table(&cols, &[]), "");
    }

    #[test]
    fn empty_table_is_empty() {
        assert_eq!(session_table(&[]), "");
    }

    #[test]
    fn list_aligns_names() {
        let l = format_list(&[
            ("A".into(), "1".into()),
            ("Longer".into(), String::new()),
            ("B".into(), "x\ny".into()),
        ]);
        assert_eq!(l, "A      : 1\nLonger :\nB      : x\n         y\n");
    }

    #[test]
    fn json_uses_powershell_names() {
        let mut r = row(
            1,
            "ITTask",
            "Srv1",
            "Disconnected",
            "Microsoft.PowerShell",
            "None",
        );
        r.idle_timeout = Some(7_200_000);
        let j = sessions_json_lines(&[r]);
        assert_eq!(
            j,
            "{\"Id\":1,\"Name\":\"ITTask\",\"InstanceId\":\"\",\"ComputerName\":\"Srv1\",\"State\":\"Disconnected\",\"ConfigurationName\":\"Microsoft.PowerShell\",\"Availability\":\"None\",\"IdleTimeout\":7200000}\n"
        );
    }

    #[test]
    fn remote_text_is_made_safe_for_a_terminal() {
        assert!(matches!(
            terminal_safe("plain\ttext\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        // OSC 52 (write the clipboard), with BEL or ST.
        assert_eq!(terminal_safe("a\u{1b}]52;c;ZXZpbA==\u{7}b"), "ab");
        assert_eq!(terminal_safe("a\u{1b}]0;title\u{1b}\\b"), "ab");
        // Colours, cursor movement, 8-bit CSI, hiding by carriage return.
        assert_eq!(terminal_safe("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(terminal_safe("x\u{1b}[2Ay"), "xy");
        assert_eq!(terminal_safe("x\u{9b}8my"), "xy");
        assert_eq!(terminal_safe("shown\rhidden"), "shownhidden");
        assert_eq!(terminal_safe("bell\u{7}\u{8}\u{7f}"), "bell");
        assert_eq!(terminal_safe("unterminated\u{1b}]52;c;"), "unterminated");
    }
}
