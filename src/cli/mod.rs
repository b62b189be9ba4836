//! The `baton` command line: cmdlet-syntax lines, tables and JSON.
//!
//! Its front half does no I/O: [`syntax`] parses a line of PowerShell,
//! [`cmdlets`] binds each command to its cmdlet's parameter sets with
//! PowerShell's validation and error texts, and [`format`] renders results
//! like the PowerShell console does; [`parse_line`] chains the first two for
//! one input line; [`complete`] completes the word under the cursor.
//! [`exec`] runs bound lines against the worker (reading
//! script files, prompting on the terminal), [`signals`] watches Ctrl+C,
//! SIGTERM and SIGHUP, and [`admin`] is `baton profile` and `baton
//! credential`.

pub mod admin;
pub mod cmdlets;
pub mod complete;
pub mod exec;
pub mod format;
pub mod help;
pub mod progress;
pub mod remote_view;
pub mod signals;
pub mod syntax;

pub use exec::{Passwords, ProgressMode, Shell, run_cli};

use cmdlets::{BindError, BoundCommand};
use syntax::{ParseError, PipelineElement, Statement, Value};

/// One statement of a line, parsed and bound.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BoundStatement {
    /// `Some("s")` for `$s = ...`: store the output instead of displaying it.
    pub assign_to: Option<String>,
    /// A leading expression whose value feeds the pipeline (`$s | Remove-PSSession`),
    /// or the whole statement when there is no command (`$s.Runspace.ConnectionInfo`).
    pub input: Option<Value>,
    /// The bound commands in pipeline order (possibly empty).
    pub commands: Vec<BoundCommand>,
}

/// A line that could not be parsed or bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// A syntax error (nothing was run).
    Parse(ParseError),
    /// A command could not be bound (PowerShell reports these when the command is reached).
    Bind(Box<BindError>),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Parse(e) => e.fmt(f),
            LineError::Bind(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LineError {}

/// Parse and bind every statement of `line`.
///
/// Sub-pipelines inside arguments (e.g. `-Session (Get-PSSession -Name x)`)
/// stay unbound [`Value::SubPipeline`]s; bind them with [`cmdlets::bind`] when
/// resolving. PowerShell binds each statement only when it runs, so an
/// executor that wants exact PowerShell behaviour for multi-statement lines
/// can parse with [`syntax::parse`] and bind statement by statement with
/// [`bind_statement`].
///
/// # Errors
/// The parse error, or the first binding error.
pub fn parse_line(line: &str) -> Result<Vec<BoundStatement>, LineError> {
    let stmts = syntax::parse(line).map_err(LineError::Parse)?;
    stmts
        .iter()
        .map(|s| bind_statement(s).map_err(LineError::Bind))
        .collect()
}

/// Bind one parsed statement.
///
/// # Errors
/// The first binding error in pipeline order.
pub fn bind_statement(stmt: &Statement) -> Result<BoundStatement, Box<BindError>> {
    let (assign_to, pipeline) = match stmt {
        Statement::Pipeline(p) => (None, p),
        Statement::Assignment { variable, pipeline } => (Some(variable.clone()), pipeline),
    };
    let input = match pipeline.elements.first() {
        Some(PipelineElement::Expression(v)) => Some(v.clone()),
        _ => None,
    };
    let commands = cmdlets::bind_pipeline(pipeline)?
        .into_iter()
        .flatten()
        .collect();
    Ok(BoundStatement {
        assign_to,
        input,
        commands,
    })
}

/// Render a [`LineError`] the way the PowerShell console shows it.
#[must_use]
pub fn render_line_error(line: &str, e: &LineError) -> String {
    match e {
        LineError::Parse(p) => format::format_parse_error(line, p),
        LineError::Bind(b) => format::format_bind_error(line, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_line_binds_each_statement() {
        let got = parse_line("$s = Get-PSSession -Name a; $s | Remove-PSSession").expect("ok");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].assign_to.as_deref(), Some("s"));
        assert_eq!(got[0].commands[0].cmdlet, "Get-PSSession");
        assert_eq!(
            got[1].input,
            Some(Value::Variable(syntax::VarRef::plain("s")))
        );
        assert_eq!(got[1].commands[0].cmdlet, "Remove-PSSession");
    }

    #[test]
    fn line_errors_render() {
        let line = "Get-PSSession -Bogus";
        let e = parse_line(line).expect_err("bad parameter");
        let text = render_line_error(line, &e);
        assert!(text.starts_with("Get-PSSession : A parameter cannot be found that matches parameter name 'Bogus'.\nAt line:1 char:15\n"), "{text}");
        let line = "Get-PSSession {";
        let e = parse_line(line).expect_err("open brace");
        assert!(matches!(&e, LineError::Parse(p) if p.is_incomplete_input(line)));
    }
}
