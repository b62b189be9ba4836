//! The hand-over note: what one person gives the next so they can find a
//! disconnected session and connect to it, and what "Find session…" reads
//! back (a whole note, the `Connect-PSSession` line, or a bare InstanceId).
//! No password is ever part of it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::OutputBufferingMode;

/// One session handed over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandOverNote {
    pub computer: String,
    pub session: String,
    pub instance_id: Uuid,
    /// The account the session belongs to (`Domain01\User01`).
    pub account: String,
    /// When the server removes it if nobody connects.
    pub expires: Option<DateTime<Utc>>,
    pub mode: OutputBufferingMode,
}

/// A session this user held open in Baton, or handed over, kept across
/// runs so that after an outage (the network, or Baton itself, went away)
/// the console can say what became of each and reconnect it. No secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldRecord {
    pub computer: String,
    pub session: String,
    pub instance_id: Uuid,
    /// The account it belongs to.
    pub account: String,
    /// When this console last took hold of it or let it go.
    pub since: DateTime<Utc>,
    /// Disconnected by this console (handed over), rather than held open.
    pub handed_over: bool,
}

/// The first line of every note, to tell a note from other text.
pub const NOTE_TITLE: &str = "Baton hand-over";

/// Quotes a value for a PowerShell command line when it needs it.
fn ps_arg(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.\\".contains(c))
    {
        v.to_owned()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

impl HandOverNote {
    /// The `Connect-PSSession` line the receiver runs (or pastes into Find session…).
    pub fn connect_line(&self) -> String {
        format!(
            "Connect-PSSession -ComputerName {} -Name {} -Credential {}",
            ps_arg(&self.computer),
            ps_arg(&self.session),
            ps_arg(&self.account)
        )
    }

    /// The note as text to copy.
    pub fn text(&self) -> String {
        let expires = self.expires.map_or_else(
            || "when the server's idle timeout runs out".to_owned(),
            |t| format!("{} UTC, if nobody connects", t.format("%Y-%m-%d %H:%M")),
        );
        format!(
            "{NOTE_TITLE}\nComputer: {}\nSession: {}\nInstanceId: {}\nAccount: {}\nExpires: {expires}\nOutputBufferingMode: {}\n{}\n",
            self.computer,
            self.session,
            self.instance_id,
            self.account,
            self.mode,
            self.connect_line()
        )
    }
}

/// What pasted text says about the session to find.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionClue {
    pub instance_id: Option<Uuid>,
    pub computer: Option<String>,
    pub session: Option<String>,
    pub account: Option<String>,
}

impl SessionClue {
    /// True when nothing in the text names a session.
    pub fn is_empty(&self) -> bool {
        self.instance_id.is_none() && self.session.is_none()
    }
}

/// Reads a note, a `Connect-PSSession`/`Receive-PSSession` line, or a bare
/// InstanceId (the first GUID in the text).
pub fn read_clue(text: &str) -> SessionClue {
    let mut clue = SessionClue::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim();
            // A line of a note is its field alone: its value is not also
            // read as a command line (an account named `x -InstanceId …`
            // must not replace the note's InstanceId).
            match key.trim().to_ascii_lowercase().as_str() {
                "computer" => {
                    clue.computer = Some(value.to_owned());
                    continue;
                }
                "session" => {
                    clue.session = Some(value.to_owned());
                    continue;
                }
                "account" => {
                    clue.account = Some(value.to_owned());
                    continue;
                }
                "instanceid" => {
                    clue.instance_id = Uuid::parse_str(value).ok();
                    continue;
                }
                _ => {}
            }
        }
        read_command_line(line, &mut clue);
    }
    if clue.instance_id.is_none() {
        clue.instance_id = first_guid(text);
    }
    clue
}

/// `-ComputerName`, `-Name`, `-InstanceId` and `-Credential` of a cmdlet line.
fn read_command_line(line: &str, clue: &mut SessionClue) {
    let words = split_words(line);
    let mut i = 0;
    while i + 1 < words.len() {
        let w = words[i].to_ascii_lowercase();
        let v = &words[i + 1];
        match w.as_str() {
            "-computername" | "-cn" => clue.computer = Some(v.clone()),
            "-name" => clue.session = Some(v.clone()),
            "-credential" => clue.account = Some(v.clone()),
            "-instanceid" => clue.instance_id = Uuid::parse_str(v).ok().or(clue.instance_id),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
}

/// Words of a command line, with PowerShell's single and double quotes.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    // A word has begun, even when it is empty so far (`''` is a word).
    let mut started = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                if chars.peek() == Some(&q) {
                    cur.push(q);
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                started = true;
            }
            None if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            None => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(cur);
    }
    words
}

fn first_guid(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).find_map(|i| {
        let candidate = text.get(i..i + 36)?;
        let shaped = candidate.bytes().enumerate().all(|(j, b)| match j {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
        if shaped {
            Uuid::parse_str(candidate).ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn note() -> HandOverNote {
        HandOverNote {
            computer: "Srv1".into(),
            session: "ITTask".into(),
            instance_id: Uuid::parse_str("5e11a598-0a53-4f7b-9b9e-3c8d2f1a7e01").unwrap(),
            account: "Domain01\\User01".into(),
            expires: Some(Utc.with_ymd_and_hms(2026, 12, 8, 8, 0, 0).unwrap()),
            mode: OutputBufferingMode::Block,
        }
    }

    #[test]
    fn a_note_reads_back_whole_as_a_line_or_as_a_bare_instance_id() {
        let n = note();
        let text = n.text();
        assert!(text.starts_with("Baton hand-over\nComputer: Srv1\nSession: ITTask\n"));
        assert!(text.contains("Expires: 2026-12-08 08:00 UTC, if nobody connects"));
        assert!(text.ends_with(
            "Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01\n"
        ));
        assert!(!text.to_lowercase().contains("password"));
        let full = SessionClue {
            instance_id: Some(n.instance_id),
            computer: Some("Srv1".into()),
            session: Some("ITTask".into()),
            account: Some("Domain01\\User01".into()),
        };
        assert_eq!(read_clue(&text), full);
        let line = read_clue(&n.connect_line());
        assert_eq!(
            (
                line.computer.as_deref(),
                line.session.as_deref(),
                line.instance_id
            ),
            (Some("Srv1"), Some("ITTask"), None)
        );
        let bare = read_clue("  see 5E11A598-0A53-4F7B-9B9E-3C8D2F1A7E01 please");
        assert_eq!(bare.instance_id, Some(n.instance_id));
        assert!(read_clue("nothing here").is_empty());
    }

    #[test]
    fn names_with_spaces_and_quotes_are_quoted_and_read_back() {
        let mut n = note();
        n.session = "Patch run's".into();
        let line = n.connect_line();
        assert!(line.contains("-Name 'Patch run''s'"), "{line}");
        assert_eq!(read_clue(&line).session.as_deref(), Some("Patch run's"));
    }

    #[test]
    fn fields_read_back_as_written_whatever_they_hold() {
        // An empty name is the word '' on the line, not a missing word.
        let mut n = note();
        n.computer = String::new();
        let clue = read_clue(&n.text());
        assert_eq!(clue.computer.as_deref(), Some(""));
        assert_eq!(clue.session.as_deref(), Some("ITTask"));
        // A field of the note is not read again as a command line.
        let mut n = note();
        n.account = "x -InstanceId 00000000-0000-0000-0000-000000000001".into();
        let clue = read_clue(&n.text());
        assert_eq!(clue.instance_id, Some(n.instance_id));
        assert_eq!(clue.account.as_deref(), Some(n.account.as_str()));
    }
}
