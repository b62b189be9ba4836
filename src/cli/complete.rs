//! Tab completion for `baton shell`, as PowerShell's console offers it: the
//! word under the cursor is completed from what the command table and the
//! shell know. Pure: the line, the cursor and the known words in, the
//! candidates out.

use super::cmdlets::{self, CommandInfo};

/// What the shell knows beyond the command table.
#[derive(Clone, Debug, Default)]
pub struct KnownWords {
    /// Variable names, without `$`.
    pub variables: Vec<String>,
    /// Sessions of this shell: (Name, Id).
    pub sessions: Vec<(String, u32)>,
    /// Computer names from the saved profiles.
    pub computers: Vec<String>,
}

/// Commands the shell runs besides the cmdlets of the table.
const SHELL_WORDS: [&str; 3] = ["Get-Command", "Get-Help", "exit"];

/// Completes the word that ends at byte `pos` of `line`: the start of that
/// word and the candidates that replace it (sorted as PowerShell lists
/// them: the table's order for parameters, alphabetical otherwise).
pub fn complete(line: &str, pos: usize, known: &KnownWords) -> (usize, Vec<String>) {
    let pos = floor_boundary(line, pos.min(line.len()));
    let before = &line[..pos];
    let start = word_start(before);
    let word = &before[start..];
    let element = element_words(&before[..start]);
    if let Some(name) = word.strip_prefix('$') {
        return (start, variables(name, known));
    }
    let Some(command) = element.first() else {
        return (start, command_names(word));
    };
    let info = cmdlets::describe(command);
    if let Some(typed) = word.strip_prefix('-') {
        let Some(info) = info else {
            return (start, Vec::new());
        };
        let mut out: Vec<String> = info
            .parameters_matching(typed)
            .into_iter()
            .map(|p| format!("-{}", p.name))
            .collect();
        out.dedup();
        return (start, out);
    }
    let Some(info) = info else {
        return (start, Vec::new());
    };
    (start, values(&info, &element, word, known))
}

/// The candidates for a parameter's value (the word after `-Name`, or a
/// positional argument).
fn values(info: &CommandInfo, element: &[&str], word: &str, known: &KnownWords) -> Vec<String> {
    let param = match element.last() {
        Some(prev) if prev.starts_with('-') && element.len() > 1 => {
            let typed = prev.trim_start_matches('-');
            match info.parameters_matching(typed).as_slice() {
                [p] if !p.switch => Some(*p),
                _ => None,
            }
        }
        // The first positional argument: the parameter at position 0 (of
        // the default set, else of the first set that has one).
        _ if element.len() == 1 => info
            .parameters
            .iter()
            .find(|p| {
                p.in_set(info.default_set)
                    .is_some_and(|s| s.position == Some(0))
            })
            .or_else(|| {
                info.parameters
                    .iter()
                    .find(|p| p.sets.iter().any(|s| s.position == Some(0)))
            }),
        _ => None,
    };
    let Some(param) = param else {
        return Vec::new();
    };
    let words: Vec<String> = if !param.values.is_empty() {
        param.values.iter().map(|v| (*v).to_owned()).collect()
    } else if param.is_named("ComputerName") {
        known.computers.clone()
    } else if param.is_named("Name") && is_session_command(info.name) {
        known.sessions.iter().map(|(n, _)| n.clone()).collect()
    } else if param.is_named("Id") && is_session_command(info.name) {
        known
            .sessions
            .iter()
            .map(|(_, id)| id.to_string())
            .collect()
    } else if param.type_name.contains("PSSession[]") || param.type_name.contains("PSCredential") {
        // A session or credential is passed in a variable.
        return variables(word.trim_start_matches('$'), known);
    } else {
        Vec::new()
    };
    sorted_matching(words, word)
}

fn is_session_command(name: &str) -> bool {
    name.ends_with("-PSSession") || name == "Invoke-Command"
}

fn variables(prefix: &str, known: &KnownWords) -> Vec<String> {
    sorted_matching(known.variables.clone(), prefix)
        .into_iter()
        .map(|v| format!("${v}"))
        .collect()
}

fn command_names(prefix: &str) -> Vec<String> {
    let names = cmdlets::commands()
        .into_iter()
        .map(|c| c.name.to_owned())
        .chain(SHELL_WORDS.iter().map(|w| (*w).to_owned()))
        .collect();
    sorted_matching(names, prefix)
}

/// The words that start with `prefix` (ignoring case), sorted, once each;
/// a word with a space is quoted.
fn sorted_matching(words: Vec<String>, prefix: &str) -> Vec<String> {
    let lower = prefix.trim_start_matches(['\'', '"']).to_ascii_lowercase();
    let mut out: Vec<String> = words
        .into_iter()
        .filter(|w| w.to_ascii_lowercase().starts_with(&lower))
        .map(|w| {
            if w.contains(char::is_whitespace) {
                format!("'{}'", w.replace('\'', "''"))
            } else {
                w
            }
        })
        .collect();
    out.sort_by_key(|w| w.to_ascii_lowercase());
    out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    out
}

/// Where the word before the cursor starts: after the last blank or
/// punctuation that ends a word, outside quotes.
fn word_start(before: &str) -> usize {
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in before.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '\'' || c == '"') && i == start => quote = Some(c),
            None if c.is_whitespace() || "|;(){},=".contains(c) => start = i + c.len_utf8(),
            None => {}
        }
    }
    start
}

/// The words of the pipeline element the cursor is in, before the word
/// being completed.
fn element_words(before: &str) -> Vec<&str> {
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in before.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if "|;({".contains(c) => start = i + 1,
            None => {}
        }
    }
    before[start..].split_whitespace().collect()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownWords {
        KnownWords {
            variables: vec!["s".into(), "sessions".into(), "opt".into()],
            sessions: vec![("ITTask".into(), 1), ("Backups".into(), 2)],
            computers: vec!["Srv1".into(), "Srv2".into(), "Web 01".into()],
        }
    }

    fn at_end(line: &str) -> (usize, Vec<String>) {
        complete(line, line.len(), &known())
    }

    #[test]
    fn cmdlet_names_complete_at_the_start_of_each_pipeline_element() {
        // The first candidate is the one Tab puts in; both share the prefix.
        assert_eq!(at_end("Get-PSS").1[0], "Get-PSSession");
        let (_, all) = at_end("get-ps");
        assert_eq!(all, ["Get-PSSession", "Get-PSSessionConfiguration"]);
        let (start, c) = at_end("$s | Remove-P");
        assert_eq!((start, c), (5, vec!["Remove-PSSession".to_owned()]));
        assert_eq!(at_end("Get-He").1, ["Get-Help"]);
        assert!(at_end("Nothing-Like").1.is_empty());
    }

    #[test]
    fn parameters_complete_by_the_binders_prefix_rule() {
        assert_eq!(
            at_end("Get-PSSession -Comp"),
            (14, vec!["-ComputerName".to_owned()])
        );
        // An alias prefix finds its parameter; an exact alias finds only it.
        assert_eq!(at_end("Get-PSSession -cn").1, ["-ComputerName"]);
        let (_, c) = at_end("Disconnect-PSSession -O");
        assert_eq!(c, ["-OutputBufferingMode", "-OutVariable", "-OutBuffer"]);
        // Common parameters too.
        assert_eq!(at_end("Test-WSMan -ErrorA").1, ["-ErrorAction"]);
        assert!(at_end("Unknown-Thing -Comp").1.is_empty());
    }

    #[test]
    fn values_complete_from_enums_profiles_sessions_and_variables() {
        assert_eq!(
            at_end("Disconnect-PSSession -OutputBufferingMode b").1,
            ["Block"]
        );
        assert_eq!(
            at_end("New-PSSession -Authentication n").1,
            ["Negotiate", "NegotiateWithImplicitCredential"]
        );
        assert_eq!(at_end("Get-PSSession -ComputerName s").1, ["Srv1", "Srv2"]);
        // A positional ComputerName, and a name with a space quoted.
        assert_eq!(at_end("Get-PSSession w").1, ["'Web 01'"]);
        assert_eq!(at_end("Connect-PSSession -Name it").1, ["ITTask"]);
        assert_eq!(at_end("Receive-PSSession -Id ").1, ["1", "2"]);
        assert_eq!(at_end("Invoke-Command -Session $se").1, ["$sessions"]);
        assert_eq!(
            at_end("Invoke-Command -Session ").1,
            ["$opt", "$s", "$sessions"]
        );
        assert_eq!(at_end("$o").1, ["$opt"]);
    }

    #[test]
    fn the_cursor_in_the_middle_completes_the_word_before_it() {
        let line = "Get-PSS -ComputerName Srv1";
        assert_eq!(complete(line, 7, &known()).1[0], "Get-PSSession");
        // A position inside a multi-byte character is taken at its start.
        let line = "Get-PSSession -ComputerName é";
        let (start, c) = complete(line, line.len() - 1, &known());
        assert_eq!((start, c.len()), (line.len() - 2, 3));
    }
}
