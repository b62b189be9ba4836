//! Every connection setting the editor shows: how it is edited, checked and written (a table).

use super::*;

/// How a setting is edited.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Text,
    Number,
    Bool,
    Choice(&'static [&'static str]),
    Credential,
}

/// Reads and writes one setting of [`ConnectionSettings`] as text.
pub(super) struct FieldDef {
    /// The PowerShell name, also the row's label.
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) hint: &'static str,
    pub(super) get: fn(&ConnectionSettings) -> Option<String>,
    pub(super) set: fn(&mut ConnectionSettings, &str) -> Result<(), String>,
    pub(super) clear: fn(&mut ConnectionSettings),
}

pub(super) const AUTH: &[&str] = &[
    "Default",
    "Basic",
    "Negotiate",
    "NegotiateWithImplicitCredential",
    "Kerberos",
    "Credssp",
    "Digest",
];
pub(super) const PROXY_AUTH: &[&str] = &["Basic", "Digest", "Negotiate"];
pub(super) const BUFFERING: &[&str] = &["None", "Block", "Drop"];
pub(super) const PROXY_ACCESS: &[&str] = &[
    "None",
    "IEConfig",
    "WinHttpConfig",
    "AutoDetect",
    "NoProxyServer",
];

/// PowerShell's largest timeout or size (an Int32).
pub(super) const INT32_MAX: u64 = 2_147_483_647;
/// The shortest IdleTimeout PowerShell accepts (ms).
pub(super) const MIN_IDLE_TIMEOUT_MS: i64 = 60_000;

pub(super) fn number(name: &str, text: &str, max: u64) -> Result<u64, String> {
    let t = text.trim();
    let n: u64 = t
        .parse()
        .map_err(|_| format!("{name} must be a whole number, not {t:?}"))?;
    if n > max {
        return Err(format!("{name} must be at most {max}, not {n}"));
    }
    Ok(n)
}

pub(super) fn port(text: &str) -> Result<u16, String> {
    let t = text.trim();
    match t.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(u16::try_from(p).unwrap_or(u16::MAX)),
        Ok(p) => Err(format!("Port must be from 1 to 65535, not {p}")),
        Err(_) => Err(format!("Port must be a number from 1 to 65535, not {t:?}")),
    }
}

pub(super) fn idle_timeout(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let n: i64 = t.parse().map_err(|_| {
        format!("IdleTimeout must be a number of milliseconds (or -1 for the server's default), not {t:?}")
    })?;
    let max = i64::try_from(INT32_MAX).unwrap_or(i64::MAX);
    if n == -1 || (MIN_IDLE_TIMEOUT_MS..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "IdleTimeout must be -1 (the server's default) or from {MIN_IDLE_TIMEOUT_MS} to {max} ms, not {n}"
        ))
    }
}

pub(super) fn host(text: &str) -> Result<String, String> {
    crate::model::connection::check_host(text)
        .map_err(|why| format!("ComputerName {why} (use ConnectionUri for a URL)"))
}

/// Checks an `http(s)://host[:port][/path]` URI.
pub(super) fn connection_uri(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bad = |why: &str| format!("ConnectionUri {t:?} is not valid: {why}");
    let (scheme, rest) = t
        .split_once("://")
        .ok_or_else(|| bad("it must start with http:// or https://"))?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad("the scheme must be http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("user names do not belong in the URI (use Credential)"));
    }
    let (h, p) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address needs its closing ]"))?;
            (h, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if h.is_empty() {
        return Err(bad("no host"));
    }
    if !h
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(bad("the host has characters a host name cannot have"));
    }
    if let Some(p) = p {
        port(p).map_err(|e| bad(&e))?;
    }
    if t.chars().any(char::is_whitespace) {
        return Err(bad("it contains spaces"));
    }
    Ok(t.to_owned())
}

pub(super) fn text(name: &str, t: &str) -> Result<String, String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(format!(
            "{name} cannot be empty (clear the override to inherit)"
        ));
    }
    Ok(t.to_owned())
}

pub(super) fn culture(name: &str, t: &str) -> Result<String, String> {
    let t = t.trim();
    if t.is_empty() || t.len() > 85 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "{name} must be a culture name such as en-US, not {t:?}"
        ));
    }
    Ok(t.to_owned())
}

pub(super) fn thumbprint(t: &str) -> Result<String, String> {
    crate::model::certificate::normalize_thumbprint(t).ok_or_else(|| {
        format!(
            "CertificateThumbprint must be 40 hexadecimal digits (a SHA-1 thumbprint), not {t:?}"
        )
    })
}

pub(super) fn boolean(name: &str, t: &str) -> Result<bool, String> {
    match t {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{name} must be true or false, not {other:?}")),
    }
}

pub(super) fn choice<T>(name: &str, t: &str, parse: fn(&str) -> Option<T>) -> Result<T, String> {
    parse(t).ok_or_else(|| format!("{name}: unknown value {t:?}"))
}

pub(super) fn proxy_access(s: &str) -> Option<ProxyAccessType> {
    [
        ProxyAccessType::None,
        ProxyAccessType::IEConfig,
        ProxyAccessType::WinHttpConfig,
        ProxyAccessType::AutoDetect,
        ProxyAccessType::NoProxyServer,
    ]
    .into_iter()
    .find(|p| p.as_str().eq_ignore_ascii_case(s))
}

macro_rules! field {
    ($field:ident, $name:literal, $kind:expr, $hint:literal, |$s:ident| $get:expr, |$t:ident| $parse:expr) => {
        FieldDef {
            name: $name,
            kind: $kind,
            hint: $hint,
            get: |$s: &ConnectionSettings| $s.$field.as_ref().map($get),
            set: |s: &mut ConnectionSettings, $t: &str| {
                s.$field = Some($parse?);
                Ok(())
            },
            clear: |s: &mut ConnectionSettings| s.$field = None,
        }
    };
}

pub(super) fn to_s<T: ToString>(v: &T) -> String {
    v.to_string()
}

/// Every setting of the profile model, in the order of `ConnectionSettings`.
pub(super) static FIELDS: &[FieldDef] = &[
    field!(
        host,
        "ComputerName",
        Kind::Text,
        "host name or address",
        |s| String::clone,
        |t| host(t)
    ),
    field!(port, "Port", Kind::Number, "1-65535", |s| to_s, |t| port(t)),
    field!(use_ssl, "UseSSL", Kind::Bool, "", |s| to_s, |t| boolean(
        "UseSSL", t
    )),
    field!(
        application_name,
        "ApplicationName",
        Kind::Text,
        "wsman",
        |s| String::clone,
        |t| text("ApplicationName", t)
    ),
    field!(
        configuration_name,
        "ConfigurationName",
        Kind::Text,
        "Microsoft.PowerShell",
        |s| String::clone,
        |t| text("ConfigurationName", t)
    ),
    field!(
        connection_uri,
        "ConnectionUri",
        Kind::Text,
        "https://host:5986/wsman",
        |s| String::clone,
        |t| connection_uri(t)
    ),
    field!(
        authentication,
        "Authentication",
        Kind::Choice(AUTH),
        "",
        |s| |a: &AuthMechanism| a.as_str().to_owned(),
        |t| choice("Authentication", t, AuthMechanism::parse)
    ),
    field!(
        certificate_thumbprint,
        "CertificateThumbprint",
        Kind::Text,
        "40 hex digits",
        |s| String::clone,
        |t| thumbprint(t)
    ),
    FieldDef {
        name: "Credential",
        kind: Kind::Credential,
        hint: "DOMAIN\\user",
        get: |s| s.credential.as_ref().map(|c| c.user.clone()),
        set: |_, _| Ok(()),
        clear: |s| s.credential = None,
    },
    field!(
        idle_timeout_ms,
        "IdleTimeout",
        Kind::Number,
        "ms, or -1",
        |s| to_s,
        |t| idle_timeout(t)
    ),
    field!(
        output_buffering_mode,
        "OutputBufferingMode",
        Kind::Choice(BUFFERING),
        "",
        |s| |m: &OutputBufferingMode| m.as_str().to_owned(),
        |t| choice("OutputBufferingMode", t, OutputBufferingMode::parse)
    ),
    field!(
        open_timeout_ms,
        "OpenTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("OpenTimeout", t, INT32_MAX)
    ),
    field!(
        operation_timeout_ms,
        "OperationTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("OperationTimeout", t, INT32_MAX)
    ),
    field!(
        cancel_timeout_ms,
        "CancelTimeout",
        Kind::Number,
        "ms",
        |s| to_s,
        |t| number("CancelTimeout", t, INT32_MAX)
    ),
    field!(
        allow_redirection,
        "AllowRedirection",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("AllowRedirection", t)
    ),
    field!(
        maximum_connection_redirection_count,
        "MaximumConnectionRedirectionCount",
        Kind::Number,
        "",
        |s| to_s,
        |t| number("MaximumConnectionRedirectionCount", t, INT32_MAX)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    ),
    field!(
        maximum_received_data_size_per_command,
        "MaximumReceivedDataSizePerCommand",
        Kind::Number,
        "bytes",
        |s| to_s,
        |t| number("MaximumReceivedDataSizePerCommand", t, INT32_MAX)
    ),
    field!(
        maximum_received_object_size,
        "MaximumReceivedObjectSize",
        Kind::Number,
        "bytes",
        |s| to_s,
        |t| number("MaximumReceivedObjectSize", t, INT32_MAX)
    ),
    field!(
        no_compression,
        "NoCompression",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoCompression", t)
    ),
    field!(
        no_machine_profile,
        "NoMachineProfile",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoMachineProfile", t)
    ),
    field!(
        use_utf16,
        "UseUTF16",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("UseUTF16", t)
    ),
    field!(
        culture,
        "Culture",
        Kind::Text,
        "en-US",
        |s| String::clone,
        |t| culture("Culture", t)
    ),
    field!(
        ui_culture,
        "UICulture",
        Kind::Text,
        "en-US",
        |s| String::clone,
        |t| culture("UICulture", t)
    ),
    field!(
        include_port_in_spn,
        "IncludePortInSPN",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("IncludePortInSPN", t)
    ),
    field!(
        proxy_access_type,
        "ProxyAccessType",
        Kind::Choice(PROXY_ACCESS),
        "",
        |s| |p: &ProxyAccessType| p.as_str().to_owned(),
        |t| choice("ProxyAccessType", t, proxy_access)
    ),
    field!(
        proxy_authentication,
        "ProxyAuthentication",
        Kind::Choice(PROXY_AUTH),
        "",
        |s| |a: &AuthMechanism| a.as_str().to_owned(),
        |t| choice("ProxyAuthentication", t, AuthMechanism::parse)
    ),
    FieldDef {
        name: "ProxyCredential",
        kind: Kind::Credential,
        hint: "DOMAIN\\user",
        get: |s| s.proxy_credential.as_ref().map(|c| c.user.clone()),
        set: |_, _| Ok(()),
        clear: |s| s.proxy_credential = None,
    },
    field!(
        skip_ca_check,
        "SkipCACheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipCACheck", t)
    ),
    field!(
        skip_cn_check,
        "SkipCNCheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipCNCheck", t)
    ),
    field!(
        skip_revocation_check,
        "SkipRevocationCheck",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("SkipRevocationCheck", t)
    ),
    field!(
        no_encryption,
        "NoEncryption",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("NoEncryption", t)
    ),
    field!(
        allow_unencrypted,
        "AllowUnencrypted",
        Kind::Bool,
        "",
        |s| to_s,
        |t| boolean("AllowUnencrypted", t)
    ),
    field!(
        throttle_limit,
        "ThrottleLimit",
        Kind::Number,
        "0 = 32",
        |s| to_s,
        |t| number("ThrottleLimit", t, INT32_MAX).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    ),
];
