//! SOAP envelopes: building client requests with every header PowerShell and
//! pypsrp send ([MS-WSMV] §3.1.4.1), reading responses (Action and RelatesTo
//! checked, faults turned into [`ProtocolError::Fault`]), and writing
//! envelopes in the exact shape Windows uses (for the lab endpoint).

use uuid::Uuid;

use super::action::{Action, is_fault_action};
use super::duration;
use super::fault::WsmanFault;
use super::namespaces::*;
use crate::protocol::error::ProtocolError;
use crate::protocol::xml::{Element, Node, escape_attr};

/// A source of GUIDs for MessageIDs (and anything else a caller wants ids
/// for). Tests inject a deterministic one; [`RandomIds`] is the default.
pub trait IdSource {
    /// The next id.
    fn next_id(&mut self) -> Uuid;
}

impl<F: FnMut() -> Uuid> IdSource for F {
    fn next_id(&mut self) -> Uuid {
        self()
    }
}

/// Random (v4) ids.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&mut self) -> Uuid {
        Uuid::new_v4()
    }
}

/// `uuid:XXXXXXXX-…` in upper case, the MessageID/SessionId form.
pub fn uuid_urn(id: Uuid) -> String {
    format!("uuid:{}", upper(id))
}

/// A GUID in upper case (ShellId, CommandId: WinRM is case-sensitive).
pub fn upper(id: Uuid) -> String {
    id.hyphenated().to_string().to_uppercase()
}

/// Client settings carried by every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// Endpoint URL, also sent as `wsa:To` (e.g. `https://host:5986/wsman`).
    pub endpoint: String,
    /// `wsmv:SessionId`: one per client session, constant for all messages.
    pub session_id: Uuid,
    /// `wsman:MaxEnvelopeSize` in bytes.
    pub max_envelope_size: u32,
    /// `wsman:OperationTimeout` in milliseconds.
    pub operation_timeout_ms: u64,
    /// `wsman:Locale xml:lang` (UI culture).
    pub locale: String,
    /// `wsmv:DataLocale xml:lang` (formatting culture).
    pub data_locale: String,
}

impl RequestContext {
    /// pypsrp's defaults: 153600-byte envelopes (safe for every Windows
    /// version), `PT20S`, en-US.
    pub fn new(endpoint: impl Into<String>, session_id: Uuid) -> Self {
        RequestContext {
            endpoint: endpoint.into(),
            session_id,
            max_envelope_size: 153_600,
            operation_timeout_ms: 20_000,
            locale: "en-US".into(),
            data_locale: "en-US".into(),
        }
    }

    /// The largest response this client accepts: the envelope size it
    /// promised, with head-room for UTF-8 and the server's own rounding.
    pub fn response_limit(&self) -> usize {
        (self.max_envelope_size as usize)
            .saturating_mul(2)
            .max(1024 * 1024)
    }
}

/// A `wsman:Option` of the OptionSet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsmanOption {
    /// The option name, e.g. `protocolversion`.
    pub name: String,
    /// The option value.
    pub value: String,
    /// `MustComply="true"` when set.
    pub must_comply: bool,
}

impl WsmanOption {
    /// An option without MustComply.
    pub fn new(name: &str, value: &str) -> Self {
        WsmanOption {
            name: name.into(),
            value: value.into(),
            must_comply: false,
        }
    }

    /// An option with `MustComply="true"`.
    pub fn must_comply(name: &str, value: &str) -> Self {
        WsmanOption {
            must_comply: true,
            ..WsmanOption::new(name, value)
        }
    }
}

/// Everything that varies between requests: action, resource, selectors,
/// options, extra headers and the body content.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// The operation.
    pub action: Action,
    /// The ResourceURI (session configuration).
    pub resource_uri: String,
    /// `wsman:SelectorSet` entries (name, value), e.g. `("ShellId", …)`.
    pub selectors: Vec<(String, String)>,
    /// `wsman:OptionSet` entries.
    pub options: Vec<WsmanOption>,
    /// Further header elements (e.g. `rsp:CompressionType`).
    pub extra_headers: Vec<Element>,
    /// The children of `s:Body` (none: `<s:Body/>`).
    pub body: Option<Element>,
    /// Overrides [`RequestContext::operation_timeout_ms`].
    pub operation_timeout_ms: Option<u64>,
}

impl RequestSpec {
    /// A request with no selectors, options or body.
    pub fn new(action: Action, resource_uri: &str) -> Self {
        RequestSpec {
            action,
            resource_uri: resource_uri.into(),
            selectors: Vec::new(),
            options: Vec::new(),
            extra_headers: Vec::new(),
            body: None,
            operation_timeout_ms: None,
        }
    }

    /// Builder: adds the `ShellId` selector.
    #[must_use]
    pub fn shell(mut self, shell_id: &str) -> Self {
        self.selectors.push(("ShellId".into(), shell_id.into()));
        self
    }

    /// Builder: sets the body element.
    #[must_use]
    pub fn body(mut self, body: Element) -> Self {
        self.body = Some(body);
        self
    }

    /// Builder: adds an option.
    #[must_use]
    pub fn option(mut self, o: WsmanOption) -> Self {
        self.options.push(o);
        self
    }
}

/// A request ready to send, with what its response must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRequest {
    /// The action (None for Identify, which has no WS-Addressing headers).
    pub action: Option<Action>,
    /// `uuid:…` of `wsa:MessageID` (empty for Identify).
    pub message_id: String,
    /// The envelope document.
    pub xml: String,
    /// Largest response accepted (see [`RequestContext::response_limit`]).
    pub response_limit: usize,
}

impl BuiltRequest {
    /// The envelope as bytes (UTF-8).
    pub fn bytes(&self) -> &[u8] {
        self.xml.as_bytes()
    }
}

fn must_understand(el: Element, value: bool) -> Element {
    el.with_attr_ns(
        NS_SOAP,
        "mustUnderstand",
        if value { "true" } else { "false" },
    )
}

/// `wsman:SelectorSet` with `wsman:Selector Name=…` children.
pub fn selector_set(selectors: &[(String, String)]) -> Element {
    let mut set = Element::new(NS_WSMAN, "SelectorSet");
    for (n, v) in selectors {
        set.push(
            Element::new(NS_WSMAN, "Selector")
                .with_attr("Name", n.clone())
                .with_text(v.clone()),
        );
    }
    set
}

/// Builds a request envelope in pypsrp's header order: Action, DataLocale,
/// Locale, MaxEnvelopeSize, MessageID, OperationTimeout, ReplyTo,
/// ResourceURI, SessionId, To, OptionSet, SelectorSet, then extra headers.
pub fn build_request(
    ctx: &RequestContext,
    ids: &mut dyn IdSource,
    spec: &RequestSpec,
) -> BuiltRequest {
    let message_id = uuid_urn(ids.next_id());
    let mut header = Element::new(NS_SOAP, "Header");
    header.push(must_understand(
        Element::new(NS_ADDRESSING, "Action").with_text(spec.action.uri()),
        true,
    ));
    // [MS-WSMV] §3.1.4.1.8-9: Locale/DataLocale MUST NOT be mustUnderstand=true
    // for a service to accept them everywhere.
    header.push(must_understand(
        Element::new(NS_WSMV, "DataLocale").with_attr_ns(NS_XML, "lang", ctx.data_locale.clone()),
        false,
    ));
    header.push(must_understand(
        Element::new(NS_WSMAN, "Locale").with_attr_ns(NS_XML, "lang", ctx.locale.clone()),
        false,
    ));
    header.push(must_understand(
        Element::new(NS_WSMAN, "MaxEnvelopeSize").with_text(ctx.max_envelope_size.to_string()),
        true,
    ));
    header.push(Element::new(NS_ADDRESSING, "MessageID").with_text(message_id.clone()));
    header.push(
        Element::new(NS_WSMAN, "OperationTimeout").with_text(duration::format_seconds(
            spec.operation_timeout_ms
                .unwrap_or(ctx.operation_timeout_ms),
        )),
    );
    header.push(
        Element::new(NS_ADDRESSING, "ReplyTo").with_child(must_understand(
            Element::new(NS_ADDRESSING, "Address").with_text(ADDRESS_ANONYMOUS),
            true,
        )),
    );
    header.push(must_understand(
        Element::new(NS_WSMAN, "ResourceURI").with_text(spec.resource_uri.clone()),
        true,
    ));
    header.push(must_understand(
        Element::new(NS_WSMV, "SessionId").with_text(uuid_urn(ctx.session_id)),
        false,
    ));
    header.push(Element::new(NS_ADDRESSING, "To").with_text(ctx.endpoint.clone()));
    if !spec.options.is_empty() {
        let mut set = must_understand(Element::new(NS_WSMAN, "OptionSet"), true);
        for o in &spec.options {
            let mut el = Element::new(NS_WSMAN, "Option");
            if o.must_comply {
                el.set_attr("MustComply", "true");
            }
            el.set_attr("Name", o.name.clone());
            set.push(el.with_text(o.value.clone()));
        }
        header.push(set);
    }
    if !spec.selectors.is_empty() {
        header.push(selector_set(&spec.selectors));
    }
    for h in &spec.extra_headers {
        header.push(h.clone());
    }
    let mut body = Element::new(NS_SOAP, "Body");
    if let Some(b) = &spec.body {
        body.push(b.clone());
    }
    let env = Element::new(NS_SOAP, "Envelope")
        .with_child(header)
        .with_child(body);
    BuiltRequest {
        action: Some(spec.action),
        message_id,
        xml: env.to_xml(CLIENT_PREFIXES),
        response_limit: ctx.response_limit(),
    }
}

/// A response envelope whose Action and RelatesTo were checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseEnvelope {
    /// The response Action URI.
    pub action: String,
    /// `wsa:MessageID` (`uuid:…`).
    pub message_id: Option<String>,
    /// `wsa:RelatesTo`.
    pub relates_to: Option<String>,
    /// `s:Body`.
    pub body: Element,
    /// The whole envelope.
    pub envelope: Element,
}

/// Parses an envelope and checks it is SOAP 1.2 with Header and Body,
/// refusing input larger than `limit` bytes.
pub fn parse_envelope(bytes: &[u8], limit: usize) -> Result<Element, ProtocolError> {
    if bytes.len() > limit {
        return Err(ProtocolError::Limit(format!(
            "envelope of {} bytes exceeds {limit}",
            bytes.len()
        )));
    }
    let env = Element::parse(bytes)?;
    if !env.is(NS_SOAP, "Envelope") {
        return Err(ProtocolError::Unexpected {
            expected: format!("{{{NS_SOAP}}}Envelope"),
            found: env.qualified_name(),
        });
    }
    env.require(NS_SOAP, "Body")?;
    Ok(env)
}

/// Reads the response to `req`: a fault becomes [`ProtocolError::Fault`];
/// otherwise the Action must be `req`'s response action and `wsa:RelatesTo`
/// must equal its MessageID ([MS-WSMV] §3.1.4.1.3 / WS-Addressing).
pub fn parse_response(req: &BuiltRequest, bytes: &[u8]) -> Result<ResponseEnvelope, ProtocolError> {
    let env = parse_envelope(bytes, req.response_limit)?;
    let header = env.require(NS_SOAP, "Header")?;
    let action = header
        .child_text(NS_ADDRESSING, "Action")
        .map(|a| a.trim().to_owned())
        .ok_or_else(|| ProtocolError::Missing("wsa:Action in the response header".into()))?;
    let relates_to = header
        .child_text(NS_ADDRESSING, "RelatesTo")
        .map(|a| a.trim().to_owned());
    let message_id = header
        .child_text(NS_ADDRESSING, "MessageID")
        .map(|a| a.trim().to_owned());
    if relates_to.as_deref() != Some(req.message_id.as_str()) {
        return Err(ProtocolError::Wsman(format!(
            "response relates to {:?}, not to request {}",
            relates_to.as_deref().unwrap_or("nothing"),
            req.message_id
        )));
    }
    if let Some(fault) = WsmanFault::from_envelope(&env) {
        return Err(ProtocolError::Fault(Box::new(fault?)));
    }
    if is_fault_action(&action) {
        return Err(ProtocolError::Wsman(
            "fault action without an s:Fault body".into(),
        ));
    }
    let expected = req.action.map(Action::response_uri).unwrap_or_default();
    if action != expected {
        return Err(ProtocolError::Unexpected {
            expected: format!("action {expected}"),
            found: action,
        });
    }
    let body = env.require(NS_SOAP, "Body")?.clone();
    Ok(ResponseEnvelope {
        action,
        message_id,
        relates_to,
        body,
        envelope: env,
    })
}

/// Ids and trace data of a server response header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseIds {
    /// The request's `wsa:MessageID`, echoed as `a:RelatesTo`.
    pub relates_to: String,
    /// This response's MessageID (`uuid:…`).
    pub message_id: String,
    /// `p:ActivityId` (Windows' trace id; omitted when None).
    pub activity_id: Option<String>,
}

impl ResponseIds {
    /// Fresh ids from `ids` for a response to `relates_to`.
    pub fn new(relates_to: &str, ids: &mut dyn IdSource) -> Self {
        ResponseIds {
            relates_to: relates_to.into(),
            message_id: uuid_urn(ids.next_id()),
            activity_id: Some(upper(ids.next_id())),
        }
    }
}

/// A server response envelope as Windows writes it: `s:Envelope
/// xml:lang="en-US"`, header `a:Action`, `a:MessageID`, `p:ActivityId`,
/// `a:To` anonymous, `a:RelatesTo`, and `body_children` inside `s:Body`.
/// `root_prefixes` are declared on the envelope (Windows declares a fixed
/// set per response type), `redeclare` lists elements (namespace, local
/// name) that declare their own prefix again (`rsp:Shell`, `f:WSManFault`).
pub fn build_server_envelope(
    ids: &ResponseIds,
    action: &str,
    body_children: Vec<Element>,
    root_prefixes: &[&str],
    redeclare: &[(&str, &str)],
) -> String {
    let mut header = Element::new(NS_SOAP, "Header")
        .with_child(Element::new(NS_ADDRESSING, "Action").with_text(action))
        .with_child(Element::new(NS_ADDRESSING, "MessageID").with_text(ids.message_id.clone()));
    if let Some(a) = &ids.activity_id {
        header.push(Element::new(NS_WSMV, "ActivityId").with_text(a.clone()));
    }
    header.push(Element::new(NS_ADDRESSING, "To").with_text(ADDRESS_ANONYMOUS));
    header.push(Element::new(NS_ADDRESSING, "RelatesTo").with_text(ids.relates_to.clone()));
    let mut body = Element::new(NS_SOAP, "Body");
    for c in body_children {
        body.push(c);
    }
    let env = Element::new(NS_SOAP, "Envelope")
        .with_attr_ns(NS_XML, "lang", "en-US")
        .with_child(header)
        .with_child(body);
    write_windows(&env, root_prefixes, redeclare)
}

/// Serialises `el` with Windows' prefixes ([`SERVER_PREFIXES`]): the
/// prefixes named in `root_prefixes` are declared on the root, any other
/// prefix where first used, elements matching `redeclare` declare their own
/// prefix again, and namespaces without a prefix become a default
/// namespace (`creationXml xmlns="…"`). `<s:Body></s:Body>` is written with
/// an end tag like Windows does; other empty elements are self-closed.
pub fn write_windows(el: &Element, root_prefixes: &[&str], redeclare: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(2048);
    let in_scope: Vec<&str> = root_prefixes.to_vec();
    write_el(el, &in_scope, None, redeclare, true, &mut out);
    out
}

fn prefix_of(ns: &str) -> Option<&'static str> {
    SERVER_PREFIXES
        .iter()
        .find(|(_, u)| *u == ns)
        .map(|(p, _)| *p)
}

fn write_el(
    el: &Element,
    in_scope: &[&str],
    default_ns: Option<&str>,
    redeclare: &[(&str, &str)],
    root: bool,
    out: &mut String,
) {
    let mut scope: Vec<&str> = in_scope.to_vec();
    let mut decls: Vec<(String, String)> = Vec::new();
    let ns = el.ns.as_deref();
    let prefix = ns.and_then(prefix_of);
    let qname = match prefix {
        Some(p) => format!("{p}:{}", el.name),
        None => el.name.clone(),
    };
    if root {
        for p in in_scope {
            if let Some((_, u)) = SERVER_PREFIXES.iter().find(|(pp, _)| pp == p) {
                decls.push((format!("xmlns:{p}"), (*u).to_owned()));
            }
        }
    }
    let mut child_default = default_ns;
    match (ns, prefix) {
        (Some(uri), Some(p)) => {
            let again = !root && redeclare.iter().any(|(n, l)| *n == uri && *l == el.name);
            if again || !scope.contains(&p) {
                if !decls.iter().any(|(k, _)| *k == format!("xmlns:{p}")) {
                    decls.push((format!("xmlns:{p}"), uri.to_owned()));
                }
                scope.push(p);
            }
        }
        (mine, None) => {
            if mine != default_ns {
                decls.push(("xmlns".into(), mine.unwrap_or("").to_owned()));
                child_default = mine;
            }
        }
        (None, Some(_)) => {}
    }
    let mut attrs: Vec<(String, String)> = Vec::new();
    for a in &el.attrs {
        let name = match a.ns.as_deref() {
            None => a.name.clone(),
            Some(NS_XML) => format!("xml:{}", a.name),
            Some(ans) => match prefix_of(ans) {
                Some(p) => {
                    if !scope.contains(&p) {
                        decls.push((format!("xmlns:{p}"), ans.to_owned()));
                        scope.push(p);
                    }
                    format!("{p}:{}", a.name)
                }
                None => a.name.clone(),
            },
        };
        attrs.push((name, a.value.clone()));
    }
    out.push('<');
    out.push_str(&qname);
    // Windows writes xml:lang before the namespace declarations.
    for (k, v) in attrs.iter().filter(|(k, _)| k.starts_with("xml:")) {
        out.push_str(&format!(" {k}=\"{}\"", escape_attr(v)));
    }
    for (k, v) in &decls {
        out.push_str(&format!(" {k}=\"{}\"", escape_attr(v)));
    }
    for (k, v) in attrs.iter().filter(|(k, _)| !k.starts_with("xml:")) {
        out.push_str(&format!(" {k}=\"{}\"", escape_attr(v)));
    }
    if el.children.is_empty() && !(el.is(NS_SOAP, "Body") || keeps_end_tag(el)) {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in &el.children {
        match c {
            Node::Text(t) => escape_windows_text(t, out),
            Node::Element(e) => write_el(e, &scope, child_default, redeclare, false, out),
        }
    }
    out.push_str("</");
    out.push_str(&qname);
    out.push('>');
}

/// Character data as Windows escapes it: quotes and apostrophes too.
fn escape_windows_text(t: &str, out: &mut String) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Empty elements Windows writes with an end tag.
fn keeps_end_tag(el: &Element) -> bool {
    el.is(NS_ENUMERATION, "EnumerationContext")
        || (el.ns.as_deref() == Some(NS_SHELL)
            && matches!(
                el.name.as_str(),
                "CommandLine" | "Stream" | "ShellId" | "Name" | "Owner"
            ))
        || el.ns.as_deref() == Some(NS_CONFIG)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero_ids() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    #[test]
    fn request_has_every_header_and_checks_response() {
        let ctx = RequestContext::new("https://h:5986/wsman", Uuid::from_u128(0xAB));
        let mut ids = zero_ids();
        let spec = RequestSpec::new(Action::Delete, RESOURCE_POWERSHELL_DEFAULT).shell("S1");
        let req = build_request(&ctx, &mut ids, &spec);
        assert_eq!(req.message_id, "uuid:00000000-0000-0000-0000-000000000001");
        let env = Element::parse(req.bytes()).unwrap();
        let h = env.child(NS_SOAP, "Header").unwrap();
        assert_eq!(
            h.child(NS_ADDRESSING, "Action")
                .unwrap()
                .attr_ns(NS_SOAP, "mustUnderstand"),
            Some("true")
        );
        assert_eq!(
            h.child_text(NS_WSMV, "SessionId").unwrap(),
            "uuid:00000000-0000-0000-0000-0000000000AB"
        );
        assert_eq!(h.child_text(NS_WSMAN, "OperationTimeout").unwrap(), "PT20S");
        assert_eq!(
            h.child(NS_WSMAN, "Locale").unwrap().attr_ns(NS_XML, "lang"),
            Some("en-US")
        );
        let resp = build_server_envelope(
            &ResponseIds {
                relates_to: req.message_id.clone(),
                message_id: "uuid:X".into(),
                activity_id: None,
            },
            &Action::Delete.response_uri(),
            vec![],
            &["s", "a", "w", "p"],
            &[],
        );
        assert!(resp.contains("<s:Body></s:Body>"), "{resp}");
        parse_response(&req, resp.as_bytes()).unwrap();
        let other = resp.replace(&req.message_id, "uuid:other");
        assert!(matches!(
            parse_response(&req, other.as_bytes()),
            Err(ProtocolError::Wsman(_))
        ));
        let wrong = resp.replace("DeleteResponse", "CreateResponse");
        assert!(matches!(
            parse_response(&req, wrong.as_bytes()),
            Err(ProtocolError::Unexpected { .. })
        ));
    }

    #[test]
    fn windows_writer_redeclares() {
        let el = Element::new(NS_SOAP, "Envelope").with_child(
            Element::new(NS_SOAP, "Body").with_child(
                Element::new(NS_SHELL, "Shell")
                    .with_child(Element::new(NS_SHELL, "ShellId").with_text("A"))
                    .with_child(Element::new(NS_POWERSHELL, "creationXml").with_text("B")),
            ),
        );
        let xml = write_windows(&el, &["s", "rsp"], &[(NS_SHELL, "Shell")]);
        assert_eq!(
            xml,
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Body><rsp:Shell xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><rsp:ShellId>A</rsp:ShellId><creationXml xmlns=\"http://schemas.microsoft.com/powershell\">B</creationXml></rsp:Shell></s:Body></s:Envelope>"
        );
        assert_eq!(Element::parse(xml.as_bytes()).unwrap(), el);
    }
}
