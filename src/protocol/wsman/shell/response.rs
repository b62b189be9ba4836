//! The answers to those operations, parsed and checked against the request they answer.

use super::*;

// --------------------------------------------------------------- responses

pub(super) fn body_child<'a>(
    body: &'a Element,
    ns: &str,
    name: &str,
) -> Result<&'a Element, ProtocolError> {
    body.child(ns, name)
        .ok_or_else(|| ProtocolError::Missing(format!("{{{ns}}}{name} in s:Body")))
}

/// CreateResponse: ResourceCreated and, except on WSMan 2.0, `rsp:Shell`.
pub fn parse_create_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<CreateResponse, ProtocolError> {
    let r = parse_response(req, bytes)?;
    let rc = ResourceCreated::from_element(body_child(&r.body, NS_TRANSFER, "ResourceCreated")?)?;
    let shell = r
        .body
        .child(NS_SHELL, "Shell")
        .map(ShellInfo::from_element)
        .transpose()?;
    Ok(CreateResponse {
        resource_created: rc,
        shell,
    })
}

/// GetResponse of a shell: `rsp:Shell`.
pub fn parse_get_shell_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ShellInfo, ProtocolError> {
    let r = parse_response(req, bytes)?;
    ShellInfo::from_element(body_child(&r.body, NS_SHELL, "Shell")?)
}

/// GetResponse of the configuration: `cfg:Config`.
pub fn parse_get_config_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ConfigInfo, ProtocolError> {
    let r = parse_response(req, bytes)?;
    ConfigInfo::from_element(body_child(&r.body, NS_CONFIG, "Config")?)
}

/// EnumerateResponse (optimized: `w:Items`, `w:EndOfSequence`).
pub fn parse_enumerate_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<EnumerationPage, ProtocolError> {
    let r = parse_response(req, bytes)?;
    EnumerationPage::from_element(body_child(&r.body, NS_ENUMERATION, "EnumerateResponse")?)
}

/// PullResponse (`n:Items`, `n:EndOfSequence`).
pub fn parse_pull_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<EnumerationPage, ProtocolError> {
    let r = parse_response(req, bytes)?;
    EnumerationPage::from_element(body_child(&r.body, NS_ENUMERATION, "PullResponse")?)
}

/// CommandResponse: the CommandId.
pub fn parse_command_response(req: &BuiltRequest, bytes: &[u8]) -> Result<String, ProtocolError> {
    let r = parse_response(req, bytes)?;
    let id = body_child(&r.body, NS_SHELL, "CommandResponse")?
        .child_text(NS_SHELL, "CommandId")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProtocolError::Missing("rsp:CommandId in rsp:CommandResponse".into()))?;
    Ok(id)
}

/// ReceiveResponse: streams (decoded) and CommandState.
pub fn parse_receive_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ReceiveResult, ProtocolError> {
    let r = parse_response(req, bytes)?;
    ReceiveResult::from_element(body_child(&r.body, NS_SHELL, "ReceiveResponse")?)
}

/// ConnectResponse (pool: streams + connectResponseXml; command: empty).
pub fn parse_connect_response(
    req: &BuiltRequest,
    bytes: &[u8],
) -> Result<ConnectResponse, ProtocolError> {
    let r = parse_response(req, bytes)?;
    match r.body.child(NS_SHELL, "ConnectResponse") {
        Some(el) => ConnectResponse::from_element(el),
        None => Ok(ConnectResponse::default()),
    }
}

/// Responses with nothing to read (Send, Signal, Delete, Disconnect,
/// Reconnect, Release): Action, RelatesTo and faults are checked.
pub fn parse_empty_response(req: &BuiltRequest, bytes: &[u8]) -> Result<(), ProtocolError> {
    parse_response(req, bytes).map(|_| ())
}

/// IdentifyResponse (no WS-Addressing headers to check; faults still
/// become [`ProtocolError::Fault`]).
pub fn parse_identify_response(bytes: &[u8]) -> Result<IdentifyInfo, ProtocolError> {
    let env = parse_envelope(bytes, 1024 * 1024)?;
    if let Some(f) = super::super::fault::WsmanFault::from_envelope(&env) {
        return Err(ProtocolError::Fault(Box::new(f?)));
    }
    let body = env.require(NS_SOAP, "Body")?;
    let el = body_child(body, NS_WSMID, "IdentifyResponse")?;
    let text = |n: &str| {
        el.child_text(NS_WSMID, n)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    Ok(IdentifyInfo {
        protocol_version: text("ProtocolVersion"),
        product_vendor: text("ProductVendor"),
        product_version: text("ProductVersion"),
        security_profiles: el
            .child(NS_WSMID, "SecurityProfiles")
            .map(|sp| {
                sp.children_named(NS_WSMID, "SecurityProfileName")
                    .map(|p| p.text().trim().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
    })
}
