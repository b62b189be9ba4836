//! From saved profiles to the connection the worker dials: PowerShell's
//! `-ComputerName Srv1` looks up a profile named `Srv1` first (its host,
//! port, scheme, authentication and configuration), and falls back to the
//! name as a host.

use crate::model::ConnectionSpec;
use crate::model::profile::{CredentialRef, EffectiveSettings, ProfileTree};

/// A computer as found in the profiles.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedComputer {
    /// The name shown and typed (the profile's name, or the host).
    pub name: String,
    /// The profile group path, empty when not from a profile.
    pub group_path: String,
    pub spec: ConnectionSpec,
    /// The credential the profile names (user and keyring entry), if any.
    pub credential: Option<CredentialRef>,
    /// The proxy credential the profile names (user and keyring entry), if
    /// any; its user is also `spec.proxy_user`.
    pub proxy_credential: Option<CredentialRef>,
}

/// The resolved connection settings of profile settings.
pub fn spec_from(name: &str, eff: &EffectiveSettings) -> ConnectionSpec {
    let d = ConnectionSpec::default();
    let use_ssl = eff.use_ssl.value.unwrap_or(false);
    ConnectionSpec {
        computer_name: eff.host.value.clone().unwrap_or_else(|| name.to_owned()),
        scheme: if use_ssl { "https" } else { "http" }.into(),
        port: eff.port_or_default(),
        app_name: eff.application_name.value.clone().unwrap_or(d.app_name),
        connection_uri: eff.connection_uri.value.clone(),
        configuration_name: eff
            .configuration_name
            .value
            .clone()
            .unwrap_or(d.configuration_name),
        authentication: eff.authentication.value.unwrap_or_default(),
        certificate_thumbprint: eff.certificate_thumbprint.value.clone(),
        maximum_connection_redirection_count: eff
            .maximum_connection_redirection_count
            .value
            .unwrap_or(d.maximum_connection_redirection_count),
        allow_redirection: eff.allow_redirection.value.unwrap_or(false),
        maximum_received_data_size_per_command: eff.maximum_received_data_size_per_command.value,
        maximum_received_object_size: eff
            .maximum_received_object_size
            .value
            .or(d.maximum_received_object_size),
        use_compression: !eff.no_compression.value.unwrap_or(false),
        no_machine_profile: eff.no_machine_profile.value.unwrap_or(false),
        proxy_access_type: eff.proxy_access_type.value.unwrap_or_default(),
        proxy_authentication: eff
            .proxy_authentication
            .value
            .unwrap_or(d.proxy_authentication),
        proxy_user: eff.proxy_credential.value.as_ref().map(|c| c.user.clone()),
        skip_ca_check: eff.skip_ca_check.value.unwrap_or(false),
        skip_cn_check: eff.skip_cn_check.value.unwrap_or(false),
        skip_revocation_check: eff.skip_revocation_check.value.unwrap_or(false),
        no_encryption: eff.no_encryption.value.unwrap_or(false),
        use_utf16: d.use_utf16,
        output_buffering_mode: eff.output_buffering_mode.value.unwrap_or_default(),
        include_port_in_spn: eff.include_port_in_spn.value.unwrap_or(false),
        culture: eff.culture.value.clone().unwrap_or(d.culture),
        ui_culture: eff.ui_culture.value.clone().unwrap_or(d.ui_culture),
        open_timeout_ms: eff.open_timeout_ms.value.unwrap_or(d.open_timeout_ms),
        cancel_timeout_ms: eff.cancel_timeout_ms.value.unwrap_or(d.cancel_timeout_ms),
        operation_timeout_ms: eff
            .operation_timeout_ms
            .value
            .unwrap_or(d.operation_timeout_ms),
        idle_timeout_ms: eff
            .idle_timeout_ms
            .value
            .filter(|v| *v >= 0)
            .and_then(|v| u64::try_from(v).ok()),
        allow_unencrypted: eff.allow_unencrypted.value.unwrap_or(false),
    }
}

/// Every computer of the tree, resolved.
pub fn all(tree: &ProfileTree) -> Vec<ResolvedComputer> {
    tree.computers()
        .into_iter()
        .filter_map(|e| {
            let eff = tree.effective(e.computer.id)?;
            Some(ResolvedComputer {
                name: e.computer.name.clone(),
                group_path: e.group_path.clone(),
                spec: spec_from(&e.computer.name, &eff),
                credential: eff.credential.value.clone(),
                proxy_credential: eff.proxy_credential.value.clone(),
            })
        })
        .collect()
}

/// `-ComputerName name`: a profile with that name (the first one), else the
/// name as a host with PowerShell's defaults.
pub fn computer(tree: &ProfileTree, name: &str) -> ResolvedComputer {
    if let Some(e) = tree.find_by_name(name).into_iter().next()
        && let Some(eff) = tree.effective(e.computer.id)
    {
        return ResolvedComputer {
            name: e.computer.name.clone(),
            group_path: e.group_path.clone(),
            spec: spec_from(&e.computer.name, &eff),
            credential: eff.credential.value.clone(),
            proxy_credential: eff.proxy_credential.value.clone(),
        };
    }
    ResolvedComputer {
        name: name.to_owned(),
        group_path: String::new(),
        spec: ConnectionSpec::for_computer(name),
        credential: None,
        proxy_credential: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::{Computer, Group};

    #[test]
    fn profiles_resolve_with_inheritance_and_unknown_names_fall_back_to_hosts() {
        let mut lab = Group::new("Lab");
        lab.settings.port = Some(15985);
        lab.settings.configuration_name = Some("ITTasks".into());
        let mut srv1 = Computer::new("Srv1");
        srv1.settings.host = Some("127.0.0.11".into());
        lab.computers.push(srv1);
        let mut root = Group::new("");
        root.groups.push(lab);
        let tree = ProfileTree { root };
        let r = computer(&tree, "srv1");
        assert_eq!(r.name, "Srv1");
        assert_eq!(r.spec.url(), "http://127.0.0.11:15985/wsman");
        assert_eq!(r.spec.configuration_name, "ITTasks");
        let other = computer(&tree, "Server01");
        assert_eq!(other.spec.url(), "http://Server01:5985/wsman");
        assert_eq!(all(&tree).len(), 1);
    }

    #[test]
    fn a_profile_proxy_credential_names_its_user_and_keyring_entry() {
        let mut srv = Computer::new("Srv1");
        srv.settings.proxy_credential = Some(CredentialRef {
            user: "Corp\\ProxyUser".into(),
            entry: Some("proxy-entry".into()),
        });
        let mut root = Group::new("");
        root.computers.push(srv);
        let tree = ProfileTree { root };
        let r = computer(&tree, "Srv1");
        assert_eq!(r.spec.proxy_user.as_deref(), Some("Corp\\ProxyUser"));
        let p = r.proxy_credential.expect("the proxy credential");
        assert_eq!(p.entry.as_deref(), Some("proxy-entry"));
        assert!(computer(&tree, "Other").proxy_credential.is_none());
    }
}
