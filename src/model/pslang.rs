//! PowerShell language helpers shared by the command line, the worker and
//! the lab's interpreter: one wildcard matcher (`-like`, `-Name` filters).

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

/// [`wildcard_match`] without regard to case, as cmdlet name filters match.
pub fn wildcard_match_ci(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

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
