//! WS-Management SOAP faults ([MS-WSMV] §2.2.4.x, §3.1.4.1.x): the typed error a
//! Windows WinRM service returns in an HTTP 500 body.

use std::fmt;

/// A SOAP fault, keeping every part PowerShell and pypsrp read: the SOAP code
/// and subcode, the reason text, the `WSManFault` code (decimal, often an
/// HRESULT such as 2150858793) and message, the machine, an optional
/// `ProviderFault` and `FaultDetail` URI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WsmanFault {
    /// `s:Code/s:Value`, e.g. `s:Receiver` (namespace-qualified value as text).
    pub code: String,
    /// `s:Subcode/s:Value`, e.g. `w:TimedOut`; resolved to its local name.
    pub subcode: Option<String>,
    /// `s:Reason/s:Text`.
    pub reason: Option<String>,
    /// `s:Detail/w:FaultDetail`, e.g. `…/faultDetail/UnexpectedSelectors`.
    pub detail: Option<String>,
    /// `f:WSManFault/@Code`, decimal.
    pub wsman_code: Option<u32>,
    /// `f:WSManFault/@Machine`.
    pub machine: Option<String>,
    /// `f:WSManFault/f:Message` text (without the provider fault).
    pub message: Option<String>,
    /// `f:ProviderFault` text, with its provider name.
    pub provider_fault: Option<String>,
}

impl WsmanFault {
    /// The best human-readable text: the WSManFault message, else the reason.
    pub fn text(&self) -> &str {
        self.message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .or(self.reason.as_deref())
            .unwrap_or("the WS-Management service returned a fault with no message")
    }
}

impl fmt::Display for WsmanFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().trim())?;
        if let Some(code) = self.wsman_code {
            write!(f, " (code {code}")?;
            if let Some(sub) = &self.subcode {
                write!(f, ", {sub}")?;
            }
            f.write_str(")")?;
        } else if let Some(sub) = &self.subcode {
            write!(f, " ({sub})")?;
        }
        Ok(())
    }
}
