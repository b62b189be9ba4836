//! Words for the console: durations, countdowns, why an action is refused, and the inventory of the profile tree.

use super::*;

/// The whole text of an item as the Output pane shows it and "Save
/// output…" writes it (an error with its category and id, as PowerShell's
/// console prints them); `None` for progress, which is not output.
pub fn item_text(item: &OutputItem) -> Option<String> {
    Some(match item {
        OutputItem::Output(o) => o.text.clone(),
        OutputItem::Error(e) => {
            let mut t = format!("ERROR: {}", e.message);
            if !e.category.is_empty() {
                t.push_str(&format!("\n    + CategoryInfo          : {}", e.category));
            }
            if !e.fully_qualified_error_id.is_empty() {
                t.push_str(&format!(
                    "\n    + FullyQualifiedErrorId : {}",
                    e.fully_qualified_error_id
                ));
            }
            t
        }
        OutputItem::Warning(t) => format!("WARNING: {t}"),
        OutputItem::Verbose(t) => format!("VERBOSE: {t}"),
        OutputItem::Debug(t) => format!("DEBUG: {t}"),
        OutputItem::Information(t) => t.clone(),
        OutputItem::HostPrompt(t) => format!("> {t}"),
        OutputItem::Progress(_) => return None,
    })
}

/// A copy of `text` cut to [`MAX_ITEM_BYTES`] (at a character boundary),
/// saying how long it was (in bytes); the whole text when it fits.
pub fn cut_copy(text: &str) -> String {
    if text.len() <= MAX_ITEM_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_ITEM_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // Bytes, not characters: counting them would read the whole text.
    format!(
        "{} … ({} bytes in all: Save output… writes it whole)",
        &text[..end],
        thousands(text.len())
    )
}

fn cut_text(text: &mut String) {
    if text.len() > MAX_ITEM_BYTES {
        *text = cut_copy(text);
    }
}

/// `n` with a comma every three digits (`12,345`).
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The item as kept in memory: long texts cut, an output object's data
/// dropped (the pane shows its text only).
fn shrink(mut item: OutputItem) -> OutputItem {
    match &mut item {
        OutputItem::Output(o) => {
            cut_text(&mut o.text);
            o.value = crate::model::RemoteValue::Null;
        }
        OutputItem::Error(e) => {
            for t in [
                &mut e.message,
                &mut e.category,
                &mut e.fully_qualified_error_id,
            ] {
                cut_text(t);
            }
            for t in [e.target.as_mut(), e.script_stack_trace.as_mut()]
                .into_iter()
                .flatten()
            {
                cut_text(t);
            }
        }
        OutputItem::Warning(t)
        | OutputItem::Verbose(t)
        | OutputItem::Debug(t)
        | OutputItem::Information(t)
        | OutputItem::HostPrompt(t) => cut_text(t),
        OutputItem::Progress(_) => {}
    }
    item
}

/// Keeps `item` (cut to size) as the newest of `out`, dropping the oldest
/// beyond the budgets, and returns its whole text for the spill file.
pub(super) fn push_item(out: &mut CommandOutput, item: OutputItem) -> Option<String> {
    match item {
        // The common case: the object's text moves to the spill, a copy stays.
        OutputItem::Output(o) => {
            let kept = cut_copy(&o.text);
            keep(
                out,
                OutputItem::Output(crate::model::RemoteObject {
                    text: kept,
                    value: crate::model::RemoteValue::Null,
                }),
            );
            Some(o.text)
        }
        other => {
            let whole = item_text(&other);
            keep(out, shrink(other));
            whole
        }
    }
}

fn keep(out: &mut CommandOutput, item: OutputItem) {
    out.kept_bytes += item.text_bytes();
    out.items.push_back(item);
    while out.items.len() > MAX_ITEMS_PER_COMMAND
        || (out.kept_bytes > MAX_BYTES_PER_COMMAND && out.items.len() > 1)
    {
        if let Some(old) = out.items.pop_front() {
            out.kept_bytes -= old.text_bytes();
            out.dropped += 1;
        }
    }
}

/// Queues an item's whole text for its command's spill file.
pub(super) fn spill_line(
    spill: &mut Vec<SpillLines>,
    instance_id: Uuid,
    command_id: Uuid,
    whole: Option<String>,
) {
    let Some(line) = whole else {
        return;
    };
    match spill.last_mut() {
        Some(last) if last.instance_id == instance_id && last.command_id == command_id => {
            last.lines.push(line);
        }
        _ => spill.push(SpillLines {
            instance_id,
            command_id,
            lines: vec![line],
        }),
    }
}

/// `hay` contains `needle_lower` (already lower case), ignoring case,
/// without allocating for ASCII text.
pub fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle_lower.is_ascii() {
        let n = needle_lower.len();
        hay.len() >= n
            && hay
                .as_bytes()
                .windows(n)
                .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// Compares two names ignoring case, without allocating.
pub fn cmp_ci(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Why a session cannot be disconnected from here, or `None` when it can.
pub fn disconnect_blocker(s: &SessionInfo) -> Option<String> {
    if s.state == SessionState::Opened {
        if s.supports_disconnect() {
            None
        } else {
            Some(format!(
                "{} cannot be disconnected: its computer runs a PowerShell remoting protocol \
                 older than 2.2 (Windows PowerShell 2.0).",
                s.name
            ))
        }
    } else if s.availability == Availability::Busy {
        Some(format!(
            "{} is connected to another client (Busy): only that client can disconnect it.",
            s.name
        ))
    } else {
        Some(format!(
            "{} is {}: only sessions open in this console (State Opened) can be disconnected.",
            s.name, s.state
        ))
    }
}

/// Why this console cannot connect to a session, or `None` when it can.
pub fn connect_blocker(s: &SessionInfo) -> Option<String> {
    match (s.state, s.availability) {
        (SessionState::Opened, _) => Some(format!("{} is already open in this console.", s.name)),
        (_, Availability::Busy) => Some(busy_connect_reason(&s.name)),
        (SessionState::Disconnected, _) => None,
        (state, _) => Some(format!(
            "{} is {state}: only disconnected sessions can be connected.",
            s.name
        )),
    }
}

/// Why a session cannot be removed from here, or `None` when it can.
pub fn remove_blocker(s: &SessionInfo) -> Option<String> {
    if s.availability == Availability::Busy && s.state != SessionState::Opened {
        Some(busy_remove_reason(&s.name))
    } else if s.state == SessionState::Closed {
        Some(format!("{} is already closed.", s.name))
    } else {
        None
    }
}

/// The first line of `text`, at most `max` characters: cut at the last word
/// boundary before the limit, with "…" when anything was left out.
pub fn first_line_elided(text: &str, max: usize) -> String {
    let first = text.trim().lines().next().unwrap_or("").trim_end();
    let more_lines = text.trim().lines().nth(1).is_some();
    if first.chars().count() <= max {
        return if more_lines {
            format!("{first} …")
        } else {
            first.to_owned()
        };
    }
    let cut: String = first.chars().take(max).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => cut[..i].trim_end().to_owned(),
        _ => cut,
    };
    format!("{at_word}…")
}

/// A duration in words: `2d 3h`, `1h 23m`, `5m 10s`, `42s`.
pub fn human_duration(total_secs: i64) -> String {
    let s = total_secs.max(0);
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// `7200000 ms (2h 0m)`.
pub fn ms_human(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    format!("{ms} ms ({})", human_duration(secs))
}

/// `expires in 1h 23m`, or `expired 5m 0s ago`.
pub fn countdown(expires_on: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (expires_on - now).num_seconds();
    if secs >= 0 {
        format!("expires in {}", human_duration(secs))
    } else {
        format!("expired {} ago", human_duration(-secs))
    }
}

/// The console's tree: one group per profile group path.
pub fn inventory(tree: &crate::model::profile::ProfileTree) -> Vec<GroupNode> {
    let mut groups: BTreeMap<String, Vec<ComputerNode>> = BTreeMap::new();
    for c in crate::store::resolve::all(tree) {
        // A user with no saved password stays that user: the console asks
        // for the password, never signs in as someone else unasked.
        let credential = match &c.credential {
            Some(crate::model::profile::CredentialRef { user, entry }) if !user.is_empty() => {
                CredentialChoice::Saved {
                    entry_id: entry.clone().unwrap_or_default(),
                    user: user.clone(),
                }
            }
            _ => CredentialChoice::Implicit,
        };
        let group = if c.group_path.is_empty() {
            "Computers".to_owned()
        } else {
            c.group_path.clone()
        };
        // A proxy password is only ever a keyring entry; without one the
        // worker asks for it (or reports that it is missing) when it connects.
        let proxy_credential = match &c.proxy_credential {
            Some(crate::model::profile::CredentialRef {
                user,
                entry: Some(id),
            }) => Some(CredentialChoice::Saved {
                entry_id: id.clone(),
                user: user.clone(),
            }),
            _ => None,
        };
        groups.entry(group).or_default().push(ComputerNode {
            name: c.name,
            spec: c.spec,
            credential,
            proxy_credential,
        });
    }
    groups
        .into_iter()
        .map(|(name, computers)| GroupNode { name, computers })
        .collect()
}
