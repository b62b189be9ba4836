//! CLIXML: the PowerShell object serialisation format carried in PSRP messages ([MS-PSRP] §2.2.5).
//!
//! [`from_clixml`] reads a message body into a [`PsValue`], [`to_clixml`]
//! writes one back in the exact form PowerShell uses; [`records`] gives typed
//! views of the records PowerShell streams (errors, progress, information…).
//!
//! [MS-PSRP]: https://learn.microsoft.com/openspecs/windows_protocols/ms-psrp

pub mod de;
pub(crate) mod escape;
pub mod records;

pub mod ser;
pub(crate) mod value;

pub use de::{from_clixml, from_clixml_document};
pub use ser::{CLIXML_NS, to_clixml, to_clixml_document, to_clixml_named};
pub use value::{Container, Primitive, PsObject, PsValue};
