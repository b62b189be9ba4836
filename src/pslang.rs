//! PowerShell's language, the parts every layer shares: the wildcard
//! matcher (`-like`, `-Name` filters), `TimeSpan` text, the lexical tables
//! (backtick escapes, the quote and dash characters PowerShell accepts), the
//! parser limits, and the one parse error type with PowerShell's error ids
//! and messages. Both parsers (the command line's binder in
//! `cli::syntax`, the lab's interpreter in `lab::script::parser`) use these.
//!
//! A leaf: it uses no other module of the crate, and any may use it.

use std::fmt;

/// The longest source either parser reads, in characters.
pub const MAX_SOURCE_CHARS: usize = 1 << 20;

/// How deep brackets, blocks and sub-expressions may nest in either parser
/// (both recurse; this keeps them far from the stack's end).
pub const MAX_NESTING: usize = 100;

/// The character a backtick escape stands for (`` `n `` is a line feed).
pub fn backtick_escape(c: char) -> char {
    match c {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'e' => '\u{1b}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        other => other,
    }
}

/// A single quote as PowerShell reads one (typographic quotes included).
pub fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}')
}

/// A double quote as PowerShell reads one (typographic quotes included).
pub fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{201e}')
}

/// A dash as PowerShell reads one before a parameter or operator (en, em
/// and horizontal bar included).
pub fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}' | '\u{2015}')
}

/// `TimeSpan.ToString()`: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(d: chrono::TimeDelta) -> String {
    let neg = d < chrono::TimeDelta::zero();
    let d = d.abs();
    let secs = d.num_seconds();
    let ticks = d.subsec_nanos() / 100;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if secs >= 86_400 {
        out.push_str(&format!("{}.", secs / 86_400));
    }
    out.push_str(&format!(
        "{:02}:{:02}:{:02}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    ));
    if ticks > 0 {
        out.push_str(&format!(".{ticks:07}"));
    }
    out
}

/// A milliseconds count as `TimeSpan.ToString()` prints it.
pub fn format_timespan_ms(ms: i64) -> String {
    format_timespan(chrono::TimeDelta::milliseconds(ms))
}

/// A parse error as PowerShell reports it: its message, its error id (the
/// `FullyQualifiedErrorId`) and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The message exactly as PowerShell words it.
    pub message: String,
    /// PowerShell's error id, e.g. `MissingEndCurlyBrace`.
    pub error_id: &'static str,
    /// 0-based character offset in the source.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl ParseError {
    /// An error at character `offset`; its line and column are filled in
    /// by [`ParseError::located`] (or by a parser that tracks lines).
    pub fn new(error_id: &'static str, message: impl Into<String>, offset: usize) -> Self {
        ParseError {
            message: message.into(),
            error_id,
            offset,
            line: 0,
            column: 0,
        }
    }

    /// The error with its 1-based line and column in `source`.
    #[must_use]
    pub fn located(mut self, source: &str) -> Self {
        let (mut line, mut column) = (1, 1);
        for c in source.chars().take(self.offset) {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        self.line = line;
        self.column = column;
        self
    }

    /// Brackets, blocks or sub-expressions nested deeper than [`MAX_NESTING`].
    pub fn too_deep(offset: usize) -> Self {
        Self::new(
            "NestingTooDeep",
            format!("The expression is nested too deeply (more than {MAX_NESTING} levels)."),
            offset,
        )
    }

    /// A source longer than [`MAX_SOURCE_CHARS`].
    pub fn too_long() -> Self {
        Self::new(
            "ScriptTooLong",
            format!("The input is longer than {MAX_SOURCE_CHARS} characters."),
            MAX_SOURCE_CHARS,
        )
    }

    /// True when the input merely stopped too early (an open string, brace,
    /// parenthesis, hash literal, comment, or a trailing `|`, `,` or `=`), so
    /// an interactive shell should read a continuation line (`>> `) as the
    /// PowerShell console does.
    #[must_use]
    pub fn is_incomplete_input(&self, source: &str) -> bool {
        match self.error_id {
            "TerminatorExpectedAtEndOfString"
            | "MissingEndCurlyBrace"
            | "MissingEndParenthesisInExpression"
            | "MissingEndParenthesisInSubexpression"
            | "IncompleteHashLiteral"
            | "MissingTerminatorMultiLineComment"
            | "IncompleteDollarVariableReference" => true,
            "EmptyPipeElement"
            | "MissingArgument"
            | "MissingExpressionAfterToken"
            | "ExpectedValueExpression"
            | "MissingStatementInHashLiteral" => {
                source.chars().skip(self.offset).all(char::is_whitespace)
            }
            _ => false,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "At line:{} char:{}\n{}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// PowerShell's wildcard match (`*`, `?`, `[abc]`, `[a-z]`, backtick
/// escapes), iterative: linear in practice, quadratic at worst (it
/// backtracks only to the last `*`), where a recursive matcher is
/// exponential on `*a*a*a…`.
pub fn wildcard_match(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if case_sensitive {
            s.chars().collect()
        } else {
            s.chars().flat_map(char::to_lowercase).collect()
        }
    };
    let p = norm(pattern);
    let t = norm(text);
    // Iterative matcher with backtracking on the last '*'.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => match_class(&p, pi, t.get(ti).copied()),
            Some('`') => match p.get(pi + 1) {
                Some(&c) if Some(&c) == t.get(ti) => Some(pi + 2),
                _ => None,
            },
            Some(&c) if Some(&c) == t.get(ti) => Some(pi + 1),
            _ => None,
        };
        match step {
            Some(next) => {
                pi = next;
                ti += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

fn match_class(p: &[char], start: usize, c: Option<char>) -> Option<usize> {
    let c = c?;
    let mut i = start + 1;
    let mut matched = false;
    while let Some(&pc) = p.get(i) {
        if pc == ']' {
            return if matched { Some(i + 1) } else { None };
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            let hi = p.get(i + 2).copied().unwrap_or(pc);
            if pc <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if pc == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Whether `pattern` has a wildcard character (`*`, `?` or `[`) that a
/// backtick does not escape: a name without one is looked up exactly, and
/// not finding it is an error (as `Get-Service NoSuch` is).
pub fn has_wildcard(pattern: &str) -> bool {
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '`' => escaped = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// [`wildcard_match`] without regard to case, as cmdlet name filters match.
pub fn wildcard_match_ci(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_characters_are_found_unless_escaped() {
        assert!(has_wildcard("Srv*") && has_wildcard("Srv?") && has_wildcard("Srv[12]"));
        assert!(!has_wildcard("Srv1") && !has_wildcard("Srv`*"));
    }

    #[test]
    fn wildcards_follow_powershell() {
        assert!(wildcard_match_ci("IT*", "ITTask"));
        assert!(wildcard_match_ci("it?ask", "ITTask"));
        assert!(wildcard_match_ci("[a-j]*", "ITTask"));
        assert!(!wildcard_match_ci("Back*", "ITTask"));
        assert!(wildcard_match_ci("*", ""));
        assert!(wildcard_match_ci("a`*b", "a*b"));
        assert!(!wildcard_match_ci("a`*b", "axb"));
        assert!(!wildcard_match("IT*", "itTask", true));
    }

    #[test]
    fn many_stars_do_not_explode() {
        let pattern = "*a".repeat(40) + "b";
        let text = "a".repeat(200);
        assert!(!wildcard_match_ci(&pattern, &text));
    }
}
