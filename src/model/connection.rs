//! How to reach a computer: PowerShell's `WSManConnectionInfo`, resolved
//! (defaults applied, profile inheritance done), plus credentials.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::session::OutputBufferingMode;

/// `-Authentication`, with PowerShell's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AuthMechanism {
    /// Negotiate, as on Windows.
    #[default]
    Default,
    Basic,
    Negotiate,
    NegotiateWithImplicitCredential,
    Kerberos,
    Credssp,
    Digest,
}

impl AuthMechanism {
    /// PowerShell's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMechanism::Default => "Default",
            AuthMechanism::Basic => "Basic",
            AuthMechanism::Negotiate => "Negotiate",
            AuthMechanism::NegotiateWithImplicitCredential => "NegotiateWithImplicitCredential",
            AuthMechanism::Kerberos => "Kerberos",
            AuthMechanism::Credssp => "Credssp",
            AuthMechanism::Digest => "Digest",
        }
    }

    /// Parses PowerShell's spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        [
            AuthMechanism::Default,
            AuthMechanism::Basic,
            AuthMechanism::Negotiate,
            AuthMechanism::NegotiateWithImplicitCredential,
            AuthMechanism::Kerberos,
            AuthMechanism::Credssp,
            AuthMechanism::Digest,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// `ProxyAccessType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ProxyAccessType {
    #[default]
    None,
    IEConfig,
    WinHttpConfig,
    AutoDetect,
    NoProxyServer,
}

impl ProxyAccessType {
    /// PowerShell's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyAccessType::None => "None",
            ProxyAccessType::IEConfig => "IEConfig",
            ProxyAccessType::WinHttpConfig => "WinHttpConfig",
            ProxyAccessType::AutoDetect => "AutoDetect",
            ProxyAccessType::NoProxyServer => "NoProxyServer",
        }
    }
}

/// A password held in memory: zeroed on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(Zeroizing::new(s.into()))
    }

    /// The secret itself: only for the authenticator.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

/// A user name and password (`-Credential DOMAIN\user`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credential {
    /// `DOMAIN\user`, `user@domain` or `user`.
    pub user: String,
    pub password: Secret,
}

impl Credential {
    /// A credential from a user name and password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            user: user.into(),
            password: Secret::new(password),
        }
    }

    /// (domain, user) from `DOMAIN\user` or `user@domain`.
    pub fn split_domain(&self) -> (Option<&str>, &str) {
        if let Some((d, u)) = self.user.split_once('\\') {
            (Some(d), u)
        } else if let Some((u, d)) = self.user.split_once('@') {
            (Some(d), u)
        } else {
            (None, self.user.as_str())
        }
    }
}

/// The resolved connection to one computer: every `ConnectionInfo` field of
/// the Disconnect-PSSession reference page, with PowerShell's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionSpec {
    /// Host name or address that is dialled.
    pub computer_name: String,
    /// `http` or `https`.
    pub scheme: String,
    pub port: u16,
    /// `wsman` (no leading slash).
    pub app_name: String,
    /// A full URI given by the user (`-ConnectionUri`); overrides scheme/host/port/app.
    pub connection_uri: Option<String>,
    /// `ConfigurationName` (`Microsoft.PowerShell`), or a full shell URI.
    pub configuration_name: String,
    pub authentication: AuthMechanism,
    pub certificate_thumbprint: Option<String>,
    pub maximum_connection_redirection_count: u32,
    pub allow_redirection: bool,
    pub maximum_received_data_size_per_command: Option<u64>,
    pub maximum_received_object_size: Option<u64>,
    pub use_compression: bool,
    pub no_machine_profile: bool,
    pub proxy_access_type: ProxyAccessType,
    pub proxy_authentication: AuthMechanism,
    /// User name of the proxy credential (its secret is in the keyring).
    pub proxy_user: Option<String>,
    pub skip_ca_check: bool,
    pub skip_cn_check: bool,
    pub skip_revocation_check: bool,
    pub no_encryption: bool,
    pub use_utf16: bool,
    pub output_buffering_mode: OutputBufferingMode,
    pub include_port_in_spn: bool,
    pub culture: String,
    pub ui_culture: String,
    /// Milliseconds.
    pub open_timeout_ms: u64,
    pub cancel_timeout_ms: u64,
    pub operation_timeout_ms: u64,
    /// Milliseconds; `None` = the server's default (PowerShell shows -1).
    pub idle_timeout_ms: Option<u64>,
    /// Basic over plain HTTP, which Windows refuses unless AllowUnencrypted is set.
    pub allow_unencrypted: bool,
}

impl Default for ConnectionSpec {
    fn default() -> Self {
        ConnectionSpec {
            computer_name: "localhost".into(),
            scheme: "http".into(),
            port: 5985,
            app_name: "wsman".into(),
            connection_uri: None,
            configuration_name: "Microsoft.PowerShell".into(),
            authentication: AuthMechanism::Default,
            certificate_thumbprint: None,
            maximum_connection_redirection_count: 5,
            allow_redirection: false,
            maximum_received_data_size_per_command: None,
            maximum_received_object_size: Some(200 << 20),
            use_compression: true,
            no_machine_profile: false,
            proxy_access_type: ProxyAccessType::None,
            proxy_authentication: AuthMechanism::Negotiate,
            proxy_user: None,
            skip_ca_check: false,
            skip_cn_check: false,
            skip_revocation_check: false,
            no_encryption: false,
            use_utf16: false,
            output_buffering_mode: OutputBufferingMode::None,
            include_port_in_spn: false,
            culture: "en-US".into(),
            ui_culture: "en-US".into(),
            open_timeout_ms: 180_000,
            cancel_timeout_ms: 60_000,
            operation_timeout_ms: 180_000,
            idle_timeout_ms: None,
            allow_unencrypted: false,
        }
    }
}

/// The PowerShell shell URI prefix of session configurations.
pub const SHELL_URI_PREFIX: &str = "http://schemas.microsoft.com/powershell/";

impl ConnectionSpec {
    /// A connection to `computer` with PowerShell's defaults.
    pub fn for_computer(computer: &str) -> Self {
        ConnectionSpec {
            computer_name: computer.to_owned(),
            ..ConnectionSpec::default()
        }
    }

    /// The endpoint URL, e.g. `http://Srv1:5985/wsman`.
    pub fn url(&self) -> String {
        if let Some(uri) = &self.connection_uri {
            return uri.clone();
        }
        let host = if self.computer_name.contains(':') && !self.computer_name.starts_with('[') {
            format!("[{}]", self.computer_name)
        } else {
            self.computer_name.clone()
        };
        format!(
            "{}://{}:{}/{}",
            self.scheme,
            host,
            self.port,
            self.app_name.trim_start_matches('/')
        )
    }

    /// `ShellUri`: the configuration name as a resource URI.
    pub fn shell_uri(&self) -> String {
        if self.configuration_name.contains("://") {
            self.configuration_name.clone()
        } else {
            format!("{SHELL_URI_PREFIX}{}", self.configuration_name)
        }
    }

    /// True when a setting weakens security (shown as unsafe in the UI).
    pub fn unsafe_settings(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.skip_ca_check {
            v.push("SkipCACheck");
        }
        if self.skip_cn_check {
            v.push("SkipCNCheck");
        }
        if self.skip_revocation_check {
            v.push("SkipRevocationCheck");
        }
        if self.no_encryption {
            v.push("NoEncryption");
        }
        if self.allow_unencrypted {
            v.push("AllowUnencrypted");
        }
        v
    }

    /// The settings of this connection that lower its security, in words,
    /// for import reports and warnings: Basic over HTTP, AllowUnencrypted,
    /// NoEncryption, SkipCACheck, SkipCNCheck, SkipRevocationCheck, CredSSP,
    /// AllowRedirection. Empty for a connection with PowerShell's defaults.
    pub fn security_lowerings(&self) -> Vec<&'static str> {
        let https = self.scheme.eq_ignore_ascii_case("https")
            || self
                .connection_uri
                .as_deref()
                .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
        let mut v = Vec::new();
        if self.authentication == AuthMechanism::Basic && !https {
            v.push("Basic authentication over HTTP (the password travels readable)");
        }
        v.extend(self.unsafe_settings());
        if self.authentication == AuthMechanism::Credssp {
            v.push("CredSSP (delegates your password to the server)");
        }
        if self.allow_redirection {
            v.push("AllowRedirection");
        }
        v
    }

    /// Every `ConnectionInfo` field as PowerShell lists it (`$s.Runspace.ConnectionInfo`),
    /// with the value as text and its unit. `credential_user` fills `Credential`.
    pub fn fields(&self, credential_user: Option<&str>) -> Vec<ConnectionField> {
        let ms = |v: u64| v.to_string();
        let b = |v: bool| if v { "True" } else { "False" }.to_string();
        let unsafe_flag = |v: bool| v;
        let (port, scheme) = (self.port.to_string(), self.scheme.clone());
        vec![
            ConnectionField::new("ConnectionUri", self.url(), ""),
            ConnectionField::new("ComputerName", self.computer_name.clone(), ""),
            ConnectionField::new("Scheme", scheme, ""),
            ConnectionField::new("Port", port, ""),
            ConnectionField::new(
                "AppName",
                format!("/{}", self.app_name.trim_start_matches('/')),
                "",
            ),
            ConnectionField::new("Credential", credential_user.unwrap_or("").to_owned(), ""),
            ConnectionField::new("ShellUri", self.shell_uri(), ""),
            ConnectionField::new(
                "AuthenticationMechanism",
                self.authentication.as_str().into(),
                "",
            ),
            ConnectionField::new(
                "CertificateThumbprint",
                self.certificate_thumbprint.clone().unwrap_or_default(),
                "",
            ),
            ConnectionField::new(
                "MaximumConnectionRedirectionCount",
                self.maximum_connection_redirection_count.to_string(),
                "",
            ),
            ConnectionField::new(
                "MaximumReceivedDataSizePerCommand",
                self.maximum_received_data_size_per_command
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                "bytes",
            ),
            ConnectionField::new(
                "MaximumReceivedObjectSize",
                self.maximum_received_object_size
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                "bytes",
            ),
            ConnectionField::new("UseCompression", b(self.use_compression), ""),
            ConnectionField::new("NoMachineProfile", b(self.no_machine_profile), ""),
            ConnectionField::new(
                "ProxyAccessType",
                self.proxy_access_type.as_str().into(),
                "",
            ),
            ConnectionField::new(
                "ProxyAuthentication",
                self.proxy_authentication.as_str().into(),
                "",
            ),
            ConnectionField::new(
                "ProxyCredential",
                self.proxy_user.clone().unwrap_or_default(),
                "",
            ),
            ConnectionField::new("SkipCACheck", b(self.skip_ca_check), "")
                .unsafe_if(unsafe_flag(self.skip_ca_check)),
            ConnectionField::new("SkipCNCheck", b(self.skip_cn_check), "")
                .unsafe_if(self.skip_cn_check),
            ConnectionField::new("SkipRevocationCheck", b(self.skip_revocation_check), "")
                .unsafe_if(self.skip_revocation_check),
            ConnectionField::new("NoEncryption", b(self.no_encryption), "")
                .unsafe_if(self.no_encryption),
            ConnectionField::new("UseUTF16", b(self.use_utf16), ""),
            ConnectionField::new(
                "OutputBufferingMode",
                self.output_buffering_mode.as_str().into(),
                "",
            ),
            ConnectionField::new("IncludePortInSPN", b(self.include_port_in_spn), ""),
            ConnectionField::new("Culture", self.culture.clone(), ""),
            ConnectionField::new("UICulture", self.ui_culture.clone(), ""),
            ConnectionField::new("OpenTimeout", ms(self.open_timeout_ms), "ms"),
            ConnectionField::new("CancelTimeout", ms(self.cancel_timeout_ms), "ms"),
            ConnectionField::new("OperationTimeout", ms(self.operation_timeout_ms), "ms"),
            ConnectionField::new(
                "IdleTimeout",
                self.idle_timeout_ms
                    .map_or_else(|| "-1".into(), |v| v.to_string()),
                "ms",
            ),
        ]
    }
}

/// One `ConnectionInfo` field for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionField {
    pub name: &'static str,
    pub value: String,
    /// `ms`, `bytes` or empty.
    pub unit: &'static str,
    /// The value weakens security.
    pub is_unsafe: bool,
}

impl ConnectionField {
    fn new(name: &'static str, value: String, unit: &'static str) -> Self {
        ConnectionField {
            name,
            value,
            unit,
            is_unsafe: false,
        }
    }

    fn unsafe_if(mut self, cond: bool) -> Self {
        self.is_unsafe = cond;
        self
    }
}

/// Checks a host name or address, the one rule for every way a host comes
/// in (importers, `baton profile add`, the profile editor, `-ComputerName`,
/// the transport): a DNS name of letters, digits, `-` and `_` in dot-separated
/// labels (none empty or starting with `-`; one trailing dot allowed), an
/// IPv4 address, or an IPv6 address (bare or in brackets). Nothing else gets
/// through, so a host can never smuggle spaces, control characters, line
/// breaks (header injection into a proxy's CONNECT) or URL syntax. Returns
/// the host as it should be used (trimmed), or why it is refused.
pub fn check_host(text: &str) -> Result<String, String> {
    let h = text.trim();
    let refuse = |why: &str| {
        let shown: String = h.chars().flat_map(char::escape_debug).take(80).collect();
        Err(format!("\"{shown}\" is not a host name or address: {why}"))
    };
    if h.is_empty() {
        return refuse("it is empty");
    }
    if h.len() > 253 {
        return refuse("it is longer than 253 characters");
    }
    let v6 = h
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(h);
    if v6.contains(':') {
        return match v6.parse::<core::net::Ipv6Addr>() {
            Ok(_) => Ok(h.to_owned()),
            Err(_) => refuse("it has a colon but is not an IPv6 address (give a port separately)"),
        };
    }
    let name = h.strip_suffix('.').unwrap_or(h);
    for label in name.split('.') {
        if label.is_empty() {
            return refuse("it has an empty label (two dots in a row)");
        }
        if label.len() > 63 {
            return refuse("a label is longer than 63 characters");
        }
        if label.starts_with('-') {
            return refuse("a label starts with a hyphen");
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return refuse(&format!(
                "{} is not allowed in a host name",
                if c.is_control() || c.is_whitespace() {
                    format!("the character {c:?}")
                } else {
                    format!("'{c}'")
                }
            ));
        }
    }
    Ok(h.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_fields_follow_powershell_defaults() {
        let c = ConnectionSpec::for_computer("Server01");
        assert_eq!(c.url(), "http://Server01:5985/wsman");
        assert_eq!(
            c.shell_uri(),
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
        );
        let f = c.fields(None);
        let names: Vec<_> = f.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), 30);
        assert_eq!(names[0], "ConnectionUri");
        assert_eq!(names[29], "IdleTimeout");
        assert_eq!(f[29].value, "-1");
        assert!(f.iter().all(|f| !f.is_unsafe));
        let v6 = ConnectionSpec::for_computer("::1");
        assert_eq!(v6.url(), "http://[::1]:5985/wsman");
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = Credential::new("Domain01\\User01", "P@ssw0rd!");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("P@ssw0rd!"), "{dbg}");
        assert_eq!(c.split_domain(), (Some("Domain01"), "User01"));
    }

    #[test]
    fn hosts_are_checked_by_one_rule() {
        for ok in [
            "web01",
            "web01.corp.example",
            "web01.corp.example.",
            "10.0.0.5",
            "fe80::1",
            "[fe80::1]",
            "srv_2",
        ] {
            assert_eq!(check_host(ok).as_deref(), Ok(ok), "{ok}");
        }
        assert_eq!(check_host("  web01 ").as_deref(), Ok("web01"));
        for bad in [
            "",
            "web01.corp&#13;",
            "web01.corp\r\nX-Injected: yes",
            "web 01",
            "http://web01",
            "web01:5985",
            "a..b",
            "-web",
            "web01/wsman",
        ] {
            assert!(check_host(bad).is_err(), "{bad:?} was accepted");
        }
        let e = check_host("web01.corp\r\nX-Injected: yes").unwrap_err();
        assert!(
            e.contains("\\r\\n") && !e.contains('\r'),
            "shown escaped: {e}"
        );
        let e = check_host("web01\u{7}bell").unwrap_err();
        assert!(e.contains("the character '\\u{7}'"), "{e}");
    }
}
