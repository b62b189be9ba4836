//! `Get-Help` and `Get-Command` text, built from the command table (names,
//! parameter sets, types, positions, aliases, enum values) and a short
//! description with an example for each cmdlet. The manual page
//! `baton-cmdlets.7` is generated from the same definitions.

use super::cmdlets::{self, CommandInfo, ParameterInfo};
use crate::pslang::wildcard_match_ci;

/// What the table cannot say of a cmdlet: what it is for, and examples.
struct About {
    name: &'static str,
    synopsis: &'static str,
    description: &'static str,
    /// (the line, what it does)
    examples: &'static [(&'static str, &'static str)],
}

const ABOUT: &[About] = &[
    About {
        name: "New-PSSession",
        synopsis: "Creates a persistent connection to a remote computer.",
        description: "Opens a PSSession on each computer named, with the profile's connection settings when the computer is saved. The session stays open for Invoke-Command, Disconnect-PSSession and Receive-PSSession until it is removed; when the shell ends, a session created here with nothing running is closed.",
        examples: &[
            (
                "$s = New-PSSession -ComputerName Srv1 -Credential Domain01\\User01 -Name ITTask",
                "Opens a session named ITTask on Srv1 and keeps it in $s.",
            ),
            (
                "New-PSSession -ComputerName Srv1, Srv2 -SessionOption (New-PSSessionOption -IdleTimeout 7200000)",
                "Opens one session on each computer with an idle timeout of two hours.",
            ),
        ],
    },
    About {
        name: "Get-PSSession",
        synopsis: "Gets the PSSessions of this shell, or of remote computers.",
        description: "Without -ComputerName, lists the sessions this shell knows. With -ComputerName or -ConnectionUri, asks each computer for the sessions of the user given, connected or disconnected, with their State and Availability.",
        examples: &[
            (
                "Get-PSSession -ComputerName Srv1 -Credential Domain01\\User01",
                "Lists the user's sessions on Srv1, from any client.",
            ),
            (
                "Get-PSSession -ComputerName Srv1 -State Disconnected",
                "Lists the sessions on Srv1 that someone can connect to.",
            ),
        ],
    },
    About {
        name: "Disconnect-PSSession",
        synopsis: "Disconnects from a session and leaves it running on the server.",
        description: "The session and any command in it go on running on the remote computer; anyone with its credentials can connect to it later. -IdleTimeoutSec says how long the server keeps it, and -OutputBufferingMode what happens when its output buffer fills (Block waits, Drop discards the oldest).",
        examples: &[(
            "Disconnect-PSSession -Name ITTask -IdleTimeoutSec 3600 -OutputBufferingMode Block",
            "Disconnects ITTask; the server keeps it for an hour.",
        )],
    },
    About {
        name: "Connect-PSSession",
        synopsis: "Reconnects to a disconnected session.",
        description: "Connects to sessions this shell disconnected, or, with -ComputerName, to someone's disconnected session on the server (the session must belong to the credentials given). Output produced meanwhile stays on the server until it is received.",
        examples: &[(
            "Connect-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
            "Connects to the technician's ITTask session on Srv1.",
        )],
    },
    About {
        name: "Receive-PSSession",
        synopsis: "Gets the output of commands that ran in a disconnected session.",
        description: "Connects to the session when needed and returns the output, errors, warnings and progress that piled up, then goes on with the command until it ends.",
        examples: &[(
            "Receive-PSSession -ComputerName Srv1 -Name ITTask -Credential Domain01\\User01",
            "Connects to ITTask on Srv1 and prints what its command wrote.",
        )],
    },
    About {
        name: "Invoke-Command",
        synopsis: "Runs commands on remote computers.",
        description: "Runs a script block in sessions (-Session) or on computers (-ComputerName, with a temporary session). -InDisconnectedSession starts the command and disconnects at once, so it runs on without this shell.",
        examples: &[
            (
                "Invoke-Command -Session $s { Get-Service WinRM }",
                "Runs the script block in the sessions in $s.",
            ),
            (
                "Invoke-Command -ComputerName Srv1 -InDisconnectedSession -SessionName Patch { Install-Updates }",
                "Starts a long job in a session named Patch and leaves it running.",
            ),
        ],
    },
    About {
        name: "Remove-PSSession",
        synopsis: "Closes sessions and frees their resources on the server.",
        description: "Closes the sessions given; a command running in one is stopped. -WhatIf shows what would be closed, -Confirm asks first.",
        examples: &[(
            "Get-PSSession -ComputerName Srv1 -Name Old* | Remove-PSSession",
            "Closes every session on Srv1 whose name starts with Old.",
        )],
    },
    About {
        name: "New-PSSessionOption",
        synopsis: "Creates an object with advanced options for a session.",
        description: "The options (idle timeout, output buffering, timeouts, proxy, certificate checks, culture) are given to New-PSSession, Connect-PSSession or Invoke-Command with -SessionOption.",
        examples: &[(
            "$o = New-PSSessionOption -IdleTimeout 3600000 -OutputBufferingMode Drop",
            "Options for sessions the server keeps for an hour when disconnected.",
        )],
    },
    About {
        name: "Get-PSSessionConfiguration",
        synopsis: "Gets a session configuration's settings and quotas on a remote computer.",
        description: "Runs on the remote computer through Invoke-Command: the configuration's MaxShellsPerUser, MaxIdleTimeoutms, IdleTimeoutms and other quotas.",
        examples: &[(
            "Invoke-Command -ComputerName Srv1 { Get-PSSessionConfiguration Microsoft.PowerShell }",
            "Shows the quotas of Windows PowerShell's default configuration on Srv1.",
        )],
    },
    About {
        name: "Test-WSMan",
        synopsis: "Tests whether the WinRM service runs on a computer.",
        description: "Without -Credential (and -Authentication), sends the anonymous Identify request, as PowerShell does, and shows the service's identity; with them, signs in and shows the product version too.",
        examples: &[(
            "Test-WSMan -ComputerName Srv1",
            "Shows Srv1's WS-Management identity.",
        )],
    },
    About {
        name: "Connect-WSMan",
        synopsis: "Connects to the WinRM service on a remote computer.",
        description: "Signs in to the computer's WinRM service and keeps the connection for later WSMan commands.",
        examples: &[(
            "Connect-WSMan -ComputerName Srv1 -Credential Domain01\\Admin",
            "Connects to Srv1's WinRM service as an administrator.",
        )],
    },
    About {
        name: "Disconnect-WSMan",
        synopsis: "Disconnects from the WinRM service on a remote computer.",
        description: "Closes a connection made with Connect-WSMan.",
        examples: &[(
            "Disconnect-WSMan -ComputerName Srv1",
            "Closes the connection to Srv1's WinRM service.",
        )],
    },
    About {
        name: "Format-List",
        synopsis: "Shows each object's properties, one per line.",
        description: "Shows the properties asked for, in the order given (wildcards allowed), or the object's default list.",
        examples: &[(
            "Get-PSSession -ComputerName Srv1 | Format-List Name, State, IdleTimeout",
            "Shows three properties of each session.",
        )],
    },
    About {
        name: "Format-Table",
        synopsis: "Shows objects as a table.",
        description: "Shows the properties asked for as columns, in the order given, or the object's default table.",
        examples: &[(
            "Get-PSSession -ComputerName Srv1 | Format-Table Name, State, Availability -AutoSize",
            "A table of the sessions on Srv1.",
        )],
    },
    About {
        name: "Get-Help",
        synopsis: "Shows help about a cmdlet.",
        description: "Shows a cmdlet's syntax, description and remarks; -Full adds every parameter and the examples, -Examples shows the examples, -Parameter one parameter. `<cmdlet> -?` is the same as Get-Help <cmdlet>.",
        examples: &[(
            "Get-Help Disconnect-PSSession -Parameter OutputBufferingMode",
            "Explains one parameter.",
        )],
    },
    About {
        name: "Get-Command",
        synopsis: "Lists the commands this shell supports.",
        description: "Lists the cmdlets, or those whose name, verb or noun matches (wildcards allowed); -Syntax shows their syntax.",
        examples: &[("Get-Command -Noun PSSession", "Lists the session cmdlets.")],
    },
];

fn about(name: &str) -> Option<&'static About> {
    ABOUT.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The short type name PowerShell's help shows (`String[]`, `SwitchParameter`).
fn short_type(p: &ParameterInfo) -> String {
    let t = p.type_name.rsplit('.').next().unwrap_or(p.type_name);
    t.to_owned()
}

/// One syntax line per parameter set, as `Get-Command -Syntax` prints them.
pub fn syntax(info: &CommandInfo) -> Vec<String> {
    let sets: Vec<&str> = if info.parameter_sets == [cmdlets::ALL_PARAMETER_SETS] {
        vec![cmdlets::ALL_PARAMETER_SETS]
    } else {
        info.parameter_sets.to_vec()
    };
    sets.iter()
        .map(|set| {
            let mut params: Vec<(&ParameterInfo, &cmdlets::ParameterSetEntry)> = info
                .parameters
                .iter()
                .filter(|p| !p.common)
                .filter_map(|p| p.in_set(set).map(|e| (p, e)))
                .collect();
            // Positional first (by position), then the rest in table order.
            params.sort_by_key(|(_, e)| e.position.map_or(u16::MAX, u16::from));
            let mut line = info.name.to_owned();
            for (p, e) in params {
                let name = if e.position.is_some() {
                    format!("[-{}]", p.name)
                } else {
                    format!("-{}", p.name)
                };
                let part = if p.switch {
                    format!("-{}", p.name)
                } else {
                    format!("{name} <{}>", short_type(p))
                };
                line.push(' ');
                if e.mandatory {
                    line.push_str(&part);
                } else {
                    line.push_str(&format!("[{part}]"));
                }
            }
            line.push_str(" [<CommonParameters>]");
            line
        })
        .collect()
}

fn parameter_text(p: &ParameterInfo) -> String {
    let mut s = format!("    -{} <{}>\n", p.name, short_type(p));
    if !p.values.is_empty() {
        s.push_str(&format!(
            "        Accepted values: {}\n",
            p.values.join(", ")
        ));
    }
    if let Some((lo, hi)) = p.range {
        s.push_str(&format!("        Range: {lo} to {hi}\n"));
    }
    let required = p.sets.iter().any(|e| e.mandatory);
    let position = p
        .sets
        .iter()
        .find_map(|e| e.position)
        .map_or_else(|| "named".to_owned(), |n| n.to_string());
    let pipeline = p.sets.iter().any(|e| e.pipeline);
    s.push_str(&format!(
        "        Required?                    {required}\n"
    ));
    s.push_str(&format!(
        "        Position?                    {position}\n"
    ));
    s.push_str(&format!(
        "        Accept pipeline input?       {pipeline}\n"
    ));
    if !p.aliases.is_empty() {
        s.push_str(&format!(
            "        Aliases                      {}\n",
            p.aliases.join(", ")
        ));
    }
    s.push('\n');
    s
}

fn examples_text(a: &About) -> String {
    let mut s = String::new();
    for (n, (code, what)) in a.examples.iter().enumerate() {
        s.push_str(&format!(
            "    -------------------------- Example {} --------------------------\n\n    PS> {code}\n\n    {what}\n\n",
            n + 1
        ));
    }
    s
}

/// What `Get-Help` shows when no cmdlet is named.
pub const HELP_INTRO: &str = "TOPIC\n    Baton shell help\n\nSHORT DESCRIPTION\n    Get-Help <cmdlet> shows a cmdlet's syntax and what it does; Get-Help <cmdlet> -Full adds\n    its parameters and examples, and <cmdlet> -? is the same as Get-Help <cmdlet>.\n    Get-Command lists the cmdlets this shell supports.\n";

/// What `Get-Help <name>` shows in `view`; None when no cmdlet has that name.
pub fn help(name: &str, view: &HelpPart) -> Option<String> {
    let info = cmdlets::describe(name)?;
    let a = about(info.name);
    let mut s = String::new();
    if let HelpPart::Examples = view {
        s.push_str(&format!(
            "\nNAME\n    {}\n\nSYNOPSIS\n    {}\n\n",
            info.name,
            a.map_or("", |a| a.synopsis)
        ));
        s.push_str("EXAMPLES\n");
        s.push_str(&a.map(examples_text).unwrap_or_default());
        return Some(s);
    }
    if let HelpPart::Parameters(patterns) = view {
        for p in info
            .parameters
            .iter()
            .filter(|p| patterns.iter().any(|pat| wildcard_match_ci(pat, p.name)))
        {
            s.push_str(&parameter_text(p));
        }
        return Some(s);
    }
    s.push_str(&format!("\nNAME\n    {}\n\n", info.name));
    if let Some(a) = a {
        s.push_str(&format!("SYNOPSIS\n    {}\n\n", a.synopsis));
    }
    s.push_str("SYNTAX\n");
    for line in syntax(&info) {
        s.push_str(&format!("    {line}\n\n"));
    }
    if let Some(a) = a {
        s.push_str(&format!("DESCRIPTION\n    {}\n\n", a.description));
    }
    if !info.aliases.is_empty() {
        s.push_str(&format!("ALIASES\n    {}\n\n", info.aliases.join(", ")));
    }
    if let HelpPart::Full = view {
        s.push_str("PARAMETERS\n");
        for p in info.parameters.iter().filter(|p| !p.common) {
            s.push_str(&parameter_text(p));
        }
        s.push_str("    <CommonParameters>\n        Verbose, Debug, ErrorAction, WarningAction, InformationAction, ErrorVariable,\n        WarningVariable, InformationVariable, OutVariable, OutBuffer and PipelineVariable.\n\n");
        if let Some(a) = a {
            s.push_str("EXAMPLES\n");
            s.push_str(&examples_text(a));
        }
    } else {
        s.push_str(&format!(
            "REMARKS\n    To see the examples, type: \"Get-Help {0} -Examples\".\n    For the parameters and examples, type: \"Get-Help {0} -Full\".\n\n",
            info.name
        ));
    }
    Some(s)
}

/// What `Get-Help` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpPart {
    Summary,
    Full,
    Examples,
    Parameters(Vec<String>),
}

/// The commands `Get-Command` lists: by name, verb and noun patterns.
pub fn matching_commands(
    names: Option<&[String]>,
    verbs: Option<&[String]>,
    nouns: Option<&[String]>,
) -> Vec<CommandInfo> {
    let any = |pats: Option<&[String]>, text: &str| {
        pats.is_none_or(|ps| ps.iter().any(|p| wildcard_match_ci(p, text)))
    };
    cmdlets::commands()
        .into_iter()
        .filter(|c| {
            any(names, c.name)
                || names.is_some_and(|ns| {
                    ns.iter()
                        .any(|n| c.aliases.iter().any(|a| a.eq_ignore_ascii_case(n)))
                })
        })
        .filter(|c| {
            let (verb, noun) = c.name.split_once('-').unwrap_or((c.name, ""));
            any(verbs, verb) && any(nouns, noun)
        })
        .collect()
}

/// The manual page `baton-cmdlets.7`: every cmdlet's help in full, in roff.
pub fn man_page(date: &str) -> String {
    let escape = |t: &str| {
        t.replace('\\', "\\\\")
            .replace('-', "\\-")
            .lines()
            .map(|l| {
                if l.starts_with(['.', '\'']) {
                    format!("\\&{l}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut s = format!(
        ".TH baton-cmdlets 7 \"{date}\" \"baton {}\" \"Baton Manual\"\n.SH NAME\nbaton\\-cmdlets \\- the PowerShell cmdlets of baton \\-c and baton shell\n.SH DESCRIPTION\nThe same text as Get\\-Help <cmdlet> \\-Full in baton shell.\n",
        env!("CARGO_PKG_VERSION")
    );
    for c in cmdlets::commands() {
        s.push_str(&format!(".SH {}\n.nf\n", escape(c.name)));
        s.push_str(&escape(
            help(c.name, &HelpPart::Full).unwrap_or_default().trim(),
        ));
        s.push_str("\n.fi\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cmdlet_has_a_synopsis_a_description_and_an_example() {
        for c in cmdlets::commands() {
            let a = about(c.name).unwrap_or_else(|| panic!("no help text for {}", c.name));
            assert!(!a.synopsis.is_empty() && !a.description.is_empty());
            assert!(!a.examples.is_empty(), "{} has no example", c.name);
            // Each example binds: it is a line the shell accepts.
            for (code, _) in a.examples {
                super::super::parse_line(code)
                    .unwrap_or_else(|e| panic!("{}'s example {code:?} does not bind: {e}", c.name));
            }
        }
        assert_eq!(
            ABOUT.len(),
            cmdlets::commands().len(),
            "help for a cmdlet that is not there"
        );
    }

    #[test]
    fn syntax_lines_follow_the_parameter_sets() {
        let info = cmdlets::describe("Disconnect-PSSession").unwrap();
        let lines = syntax(&info);
        assert_eq!(lines.len(), info.parameter_sets.len());
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Disconnect-PSSession [-Session] <PSSession[]>")),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| l.ends_with("[<CommonParameters>]")));
        let text = help(
            "Disconnect-PSSession",
            &HelpPart::Parameters(vec!["Output*".into()]),
        )
        .unwrap();
        assert!(
            text.contains("Accepted values: None, Drop, Block"),
            "{text}"
        );
        assert!(help("No-Such", &HelpPart::Summary).is_none());
    }

    #[test]
    fn get_command_matches_names_verbs_and_nouns() {
        let names = |v: Vec<CommandInfo>| v.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names(matching_commands(None, Some(&["Connect".into()]), None)),
            ["Connect-PSSession", "Connect-WSMan"]
        );
        assert_eq!(
            names(matching_commands(Some(&["*-WSMan".into()]), None, None)),
            ["Test-WSMan", "Connect-WSMan", "Disconnect-WSMan"]
        );
        assert_eq!(
            names(matching_commands(Some(&["gcm".into()]), None, None)),
            ["Get-Command"]
        );
    }
}
