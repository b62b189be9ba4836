//! What the command table says of each cmdlet, for the readers that are
//! not the binder: `Get-Help`, `Get-Command` and Tab completion. It reads
//! the same table the binder binds with, so help, completion and binding
//! never disagree.

use super::*;

/// One parameter set a parameter belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterSetEntry {
    /// The set's name (`__AllParameterSets` for every set).
    pub set: &'static str,
    pub mandatory: bool,
    /// Its position when given without a name.
    pub position: Option<u8>,
    /// It takes pipeline input.
    pub pipeline: bool,
}

/// One parameter of a cmdlet.
#[derive(Clone, Debug)]
pub struct ParameterInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The .NET type PowerShell declares (`System.String[]`, …).
    pub type_name: &'static str,
    /// A switch: given without a value.
    pub switch: bool,
    /// The values an enum parameter takes, in PowerShell's spelling.
    pub values: Vec<&'static str>,
    /// The allowed range (ValidateRange), when there is one.
    pub range: Option<(i64, i64)>,
    /// A common parameter (`-Verbose`, `-ErrorAction`, …).
    pub common: bool,
    pub sets: Vec<ParameterSetEntry>,
}

impl ParameterInfo {
    /// Whether the binder would take `-typed` as this parameter by its
    /// prefix rule (the name or an alias starts with it, ignoring case).
    pub fn matches_prefix(&self, typed: &str) -> bool {
        let lower = typed.to_ascii_lowercase();
        self.name.to_ascii_lowercase().starts_with(&lower)
            || self
                .aliases
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with(&lower))
    }

    /// Whether this is the parameter `-typed` names exactly (name or alias).
    pub fn is_named(&self, typed: &str) -> bool {
        self.name.eq_ignore_ascii_case(typed)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(typed))
    }

    /// Whether the parameter is in `set` (or in every set).
    pub fn in_set(&self, set: &str) -> Option<&ParameterSetEntry> {
        self.sets.iter().find(|s| s.set == set || s.set == ALL)
    }
}

/// One cmdlet as the command line knows it.
#[derive(Clone, Debug)]
pub struct CommandInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// Its parameter sets; `__AllParameterSets` when it has one.
    pub parameter_sets: &'static [&'static str],
    pub default_set: &'static str,
    /// Its own parameters, then the common parameters.
    pub parameters: Vec<ParameterInfo>,
}

impl CommandInfo {
    /// The parameters `-typed` could stand for, by the binder's rule: the
    /// one named exactly, else every one whose name or alias starts with it.
    pub fn parameters_matching(&self, typed: &str) -> Vec<&ParameterInfo> {
        if let Some(exact) = self.parameters.iter().find(|p| p.is_named(typed)) {
            return vec![exact];
        }
        self.parameters
            .iter()
            .filter(|p| p.matches_prefix(typed))
            .collect()
    }
}

/// The values of an enum type, in PowerShell's spelling; empty for others.
fn values_of(ty: Ty) -> Vec<&'static str> {
    fn names<E: PsEnum>() -> Vec<&'static str> {
        E::VARIANTS.iter().map(|(n, _, _)| *n).collect()
    }
    match ty {
        Ty::EnumObm => names::<OutputBufferingMode>(),
        Ty::EnumAuth => names::<AuthenticationMechanism>(),
        Ty::EnumWsmanAuth => names::<WsmanAuthentication>(),
        Ty::EnumState => names::<SessionFilterState>(),
        Ty::EnumOutTarget => names::<OutTarget>(),
        Ty::EnumProxy => names::<ProxyAccessType>(),
        Ty::ActionPreference => vec![
            "SilentlyContinue",
            "Stop",
            "Continue",
            "Inquire",
            "Ignore",
            "Suspend",
            "Break",
        ],
        _ => Vec::new(),
    }
}

fn parameter(def: &'static ParamDef, common: bool) -> ParameterInfo {
    ParameterInfo {
        name: def.name,
        aliases: def.aliases,
        type_name: def.ty.type_name(),
        switch: def.ty == Ty::Switch,
        values: values_of(def.ty),
        range: def.range,
        common,
        sets: def
            .sets
            .iter()
            .map(|s| ParameterSetEntry {
                set: s.set,
                mandatory: s.mandatory,
                position: s.position,
                pipeline: s.pipeline,
            })
            .collect(),
    }
}

fn info(cmd: &'static CmdletDef) -> CommandInfo {
    CommandInfo {
        name: cmd.name,
        aliases: cmd.aliases,
        parameter_sets: cmd.sets,
        default_set: cmd.default_set,
        parameters: cmd
            .params
            .iter()
            .map(|d| parameter(d, false))
            .chain(COMMON.iter().map(|d| parameter(d, true)))
            .collect(),
    }
}

/// The cmdlet typed as `name` (an alias or a module-qualified name too).
pub fn describe(name: &str) -> Option<CommandInfo> {
    find_cmdlet(name).map(info)
}

/// Every cmdlet the command line supports, in the table's order.
pub fn commands() -> Vec<CommandInfo> {
    CMDLETS.iter().copied().map(info).collect()
}

/// The name of the set that holds every parameter.
pub const ALL_PARAMETER_SETS: &str = ALL;
