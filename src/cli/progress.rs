//! Progress records of remote commands, as the PowerShell console shows
//! them: one bar per activity on stderr, redrawn in place, gone when the
//! activity completes or its command ends. With `--json`, each record is a
//! JSON object on stderr instead (stdout stays pure JSON).

use std::collections::BTreeMap;
use std::io::Write;

use uuid::Uuid;

use crate::model::ProgressView;

/// The bars being shown, by command and activity.
#[derive(Debug, Default)]
pub struct ProgressBars {
    bars: BTreeMap<(Uuid, i32), ProgressView>,
    /// Lines of the block now on the terminal.
    drawn: usize,
    /// The terminal's width in columns.
    width: usize,
}

impl ProgressBars {
    /// Bars for a terminal `width` columns wide (at least 20).
    pub fn new(width: usize) -> Self {
        ProgressBars {
            width: width.max(20),
            ..ProgressBars::default()
        }
    }

    /// Takes one record: a completed one removes its bar.
    pub fn update(&mut self, command_id: Uuid, p: &ProgressView) {
        let key = (command_id, p.activity_id);
        if p.completed {
            self.bars.remove(&key);
        } else {
            self.bars.insert(key, p.clone());
        }
    }

    /// Drops the bars of a command that ended.
    pub fn command_ended(&mut self, command_id: Uuid) {
        self.bars.retain(|(c, _), _| *c != command_id);
    }

    /// Drops every bar.
    pub fn clear_all(&mut self) {
        self.bars.clear();
    }

    /// The block's lines: `Activity [ooooo     ] 50% Status`, cut to the width.
    pub fn lines(&self) -> Vec<String> {
        self.bars
            .values()
            .map(|p| bar_line(p, self.width))
            .collect()
    }

    /// Removes the block from the terminal, leaving the cursor where it began.
    pub fn erase(&mut self, err: &mut dyn Write) {
        if self.drawn == 0 {
            return;
        }
        let mut s = String::from("\r\x1b[2K");
        for _ in 1..self.drawn {
            s.push_str("\x1b[1A\x1b[2K");
        }
        self.drawn = 0;
        let _ = err.write_all(s.as_bytes());
        let _ = err.flush();
    }

    /// Draws the block (after erasing what was drawn before).
    pub fn draw(&mut self, err: &mut dyn Write) {
        self.erase(err);
        let lines = self.lines();
        if lines.is_empty() {
            return;
        }
        let block: Vec<String> = lines.iter().map(|l| format!("\x1b[2K{l}")).collect();
        let _ = err.write_all(block.join("\n").as_bytes());
        let _ = err.flush();
        self.drawn = lines.len();
    }
}

/// One bar's line, within `width` columns.
pub fn bar_line(p: &ProgressView, width: usize) -> String {
    let safe = |s: &str| crate::cli::format::terminal_safe(s).replace('\n', " ");
    let mut line = safe(&p.activity);
    if p.percent_complete >= 0 {
        let pct = p.percent_complete.clamp(0, 100) as usize;
        const CELLS: usize = 30;
        let filled = pct * CELLS / 100;
        line.push_str(&format!(
            " [{}{}] {pct}%",
            "o".repeat(filled),
            " ".repeat(CELLS - filled)
        ));
    }
    let status = safe(&p.status);
    if !status.is_empty() {
        line.push(' ');
        line.push_str(&status);
    }
    if p.seconds_remaining >= 0 {
        line.push_str(&format!(" ({} s left)", p.seconds_remaining));
    }
    if let Some(op) = &p.current_operation
        && !op.is_empty()
    {
        line.push_str(" — ");
        line.push_str(&safe(op));
    }
    // One terminal line: never wrap (the block is redrawn by line count).
    let max = width.saturating_sub(1);
    if line.chars().count() > max {
        line = line.chars().take(max.saturating_sub(1)).collect();
        line.push('…');
    }
    line
}

/// A progress record as one JSON line, with PowerShell's ProgressRecord
/// property names.
pub fn json_record(computer: &str, p: &ProgressView) -> String {
    let v = serde_json::json!({
        "Progress": {
            "ActivityId": p.activity_id,
            "ParentActivityId": p.parent_activity_id,
            "Activity": p.activity,
            "StatusDescription": p.status,
            "CurrentOperation": p.current_operation,
            "PercentComplete": p.percent_complete,
            "SecondsRemaining": p.seconds_remaining,
            "RecordType": if p.completed { "Completed" } else { "Processing" },
            "PSComputerName": computer,
        }
    });
    format!("{v}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i32, pct: i32, completed: bool) -> ProgressView {
        ProgressView {
            activity_id: id,
            parent_activity_id: -1,
            activity: format!("Copying {id}"),
            status: "file.txt".into(),
            current_operation: None,
            percent_complete: pct,
            seconds_remaining: -1,
            completed,
        }
    }

    #[test]
    fn a_bar_per_activity_redrawn_in_place_and_erased_when_done() {
        let cmd = Uuid::from_u128(1);
        let mut bars = ProgressBars::new(80);
        let mut term = Vec::new();
        bars.update(cmd, &record(1, 50, false));
        bars.draw(&mut term);
        assert_eq!(
            bars.lines(),
            ["Copying 1 [ooooooooooooooo               ] 50% file.txt"]
        );
        bars.update(cmd, &record(2, -1, false));
        bars.draw(&mut term);
        assert_eq!(bars.lines()[1], "Copying 2 file.txt");
        // The second draw erased the one-line block first.
        let text = String::from_utf8(term.clone()).unwrap();
        assert_eq!(text.matches("\r\x1b[2K").count(), 1, "{text:?}");
        bars.update(cmd, &record(1, 100, true));
        bars.command_ended(cmd);
        bars.draw(&mut term);
        let text = String::from_utf8(term).unwrap();
        // Erasing two lines moves up once.
        assert!(text.ends_with("\r\x1b[2K\x1b[1A\x1b[2K"), "{text:?}");
        assert!(bars.lines().is_empty());
    }

    #[test]
    fn a_line_never_wraps_and_hostile_text_is_made_safe() {
        let mut p = record(1, 5, false);
        p.status = "x".repeat(500) + "\x1b]52;c;AAAA\x07";
        let line = bar_line(&p, 60);
        assert_eq!(line.chars().count(), 59);
        assert!(!line.contains('\x1b'));
    }

    #[test]
    fn json_records_use_powershells_names() {
        let v: serde_json::Value =
            serde_json::from_str(&json_record("Srv1", &record(3, 5, false))).unwrap();
        assert_eq!(v["Progress"]["Activity"], "Copying 3");
        assert_eq!(v["Progress"]["PercentComplete"], 5);
        assert_eq!(v["Progress"]["RecordType"], "Processing");
        assert_eq!(v["Progress"]["PSComputerName"], "Srv1");
    }
}
