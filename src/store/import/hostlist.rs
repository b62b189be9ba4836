//! A plain host list: one host per line, `#` starts a comment, blank lines
//! are ignored, and bracket ranges expand: `srv[01-15]` gives srv01..srv15
//! (the width of the first bound is kept), `srv[1-3].corp.local` gives
//! srv1.corp.local..srv3.corp.local. Several ranges in one name multiply.
//! An optional `:port` suffix sets the computer's port.

use super::{ImportError, ImportReport, Imported, MAX_IMPORT_COMPUTERS, MAX_IMPORT_SIZE};
use crate::model::profile::{Computer, Group};

/// Most names one line may expand to.
pub const MAX_EXPANSION_PER_LINE: usize = 10_000;

/// Expands the bracket ranges of one name. Errors say what is wrong.
pub fn expand_ranges(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        if pattern.contains(']') {
            return Err("']' without '['".to_owned());
        }
        return Ok(vec![pattern.to_owned()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| i + open)
        .ok_or_else(|| "'[' without ']'".to_owned())?;
    let prefix = &pattern[..open];
    let inner = &pattern[open + 1..close];
    let rest = &pattern[close + 1..];
    if prefix.contains(']') {
        return Err("']' without '['".to_owned());
    }
    let (lo, hi) = inner
        .split_once('-')
        .ok_or_else(|| format!("range [{inner}] is not [first-last]"))?;
    let (lo, hi) = (lo.trim(), hi.trim());
    if lo.is_empty()
        || hi.is_empty()
        || !lo.bytes().all(|b| b.is_ascii_digit())
        || !hi.bytes().all(|b| b.is_ascii_digit())
        || lo.len() > 9
        || hi.len() > 9
    {
        return Err(format!(
            "range [{inner}] must be two numbers of at most 9 digits"
        ));
    }
    let a: u64 = lo.parse().map_err(|_| format!("bad number {lo}"))?;
    let b: u64 = hi.parse().map_err(|_| format!("bad number {hi}"))?;
    if a > b {
        return Err(format!("range [{inner}] goes backwards"));
    }
    if b - a >= MAX_EXPANSION_PER_LINE as u64 {
        return Err(format!(
            "range [{inner}] expands to more than {MAX_EXPANSION_PER_LINE} names"
        ));
    }
    let width = if lo.len() > 1 && lo.starts_with('0') {
        lo.len()
    } else {
        0
    };
    let tails = expand_ranges(rest)?;
    let count = ((b - a + 1) as usize).saturating_mul(tails.len());
    if count > MAX_EXPANSION_PER_LINE {
        return Err(format!(
            "the ranges expand to more than {MAX_EXPANSION_PER_LINE} names"
        ));
    }
    let mut out = Vec::with_capacity(count);
    for n in a..=b {
        for t in &tails {
            out.push(format!("{prefix}{n:0width$}{t}"));
        }
    }
    Ok(out)
}

/// Checks a host name or address ([`crate::model::connection::check_host`]).
pub fn valid_host(h: &str) -> bool {
    crate::model::connection::check_host(h).is_ok()
}

/// Parses a host list into a group named `group_name`.
pub fn import_host_list(
    text: &str,
    group_name: &str,
    origin: &str,
) -> Result<Imported, ImportError> {
    if text.len() > MAX_IMPORT_SIZE {
        return Err(ImportError::Refused {
            origin: origin.to_owned(),
            reason: format!("larger than {MAX_IMPORT_SIZE} bytes"),
        });
    }
    let mut report = ImportReport::default();
    let mut group = Group::new(group_name);
    let mut seen = std::collections::HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.split_whitespace().count() > 1 {
            report.skip(
                format!("line {line_no}"),
                format!("{line:?}: one host per line (found spaces)"),
            );
            continue;
        }
        let (name_part, port) = split_port(line);
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => {
                    report.skip(
                        format!("line {line_no}"),
                        format!("{line:?}: bad port {p:?}"),
                    );
                    continue;
                }
            },
        };
        let literal_v6 = name_part.starts_with('[') && valid_host(name_part);
        let expanded = if literal_v6 {
            Ok(vec![name_part.to_owned()])
        } else {
            expand_ranges(name_part)
        };
        let names = match expanded {
            Ok(n) => n,
            Err(why) => {
                report.skip(format!("line {line_no}"), format!("{line:?}: {why}"));
                continue;
            }
        };
        for name in names {
            if !valid_host(&name) {
                report.skip(
                    format!("line {line_no}"),
                    format!("{name:?} is not a host name"),
                );
                continue;
            }
            if !seen.insert((name.to_ascii_lowercase(), port)) {
                report.skip(format!("line {line_no}"), format!("{name} listed twice"));
                continue;
            }
            if group.computers.len() >= MAX_IMPORT_COMPUTERS {
                return Err(ImportError::Refused {
                    origin: origin.to_owned(),
                    reason: format!("more than {MAX_IMPORT_COMPUTERS} computers"),
                });
            }
            let mut c = Computer::new(&name);
            c.settings.port = port;
            group.computers.push(c);
        }
    }
    Ok(Imported { group, report })
}

fn split_port(line: &str) -> (&str, Option<&str>) {
    if line.starts_with('[') {
        // [v6]:port
        if let Some(end) = line.find(']')
            && let Some(p) = line[end + 1..].strip_prefix(':')
        {
            return (&line[..=end], Some(p));
        }
        return (line, None);
    }
    match line.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (line, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_keep_width() {
        let v = expand_ranges("srv[01-15]").unwrap();
        assert_eq!(v.len(), 15);
        assert_eq!(v[0], "srv01");
        assert_eq!(v[14], "srv15");
        assert_eq!(
            expand_ranges("srv[1-3].corp.local").unwrap(),
            vec!["srv1.corp.local", "srv2.corp.local", "srv3.corp.local"]
        );
        assert_eq!(expand_ranges("r[1-2]n[8-9]").unwrap().len(), 4);
        assert!(expand_ranges("srv[3-1]").is_err());
        assert!(expand_ranges("srv[1-").is_err());
        assert!(expand_ranges("srv[0-99999]").is_err());
        assert!(expand_ranges("srv[a-b]").is_err());
    }
}
