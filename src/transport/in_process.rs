//! The in-process transport: requests go straight to a WS-Management
//! service in this process (the lab endpoint without sockets, for tests and
//! the demo), after the caller's credential is checked against the
//! service's users as its listener would.

use std::sync::Arc;
use std::time::Duration;

use super::TransportError;
use crate::model::Credential;
use crate::protocol::auth::UserTable;
use crate::protocol::http::{Caller, HttpRequest, WsmanService};

/// A signed-in caller of one in-process service.
#[derive(Clone)]
pub struct InProcessLink {
    service: Arc<dyn WsmanService>,
    caller: Caller,
}

impl InProcessLink {
    /// Signs `credential` in against `users` (as the listener's Basic check
    /// does); `name` is the computer's, for the refusal.
    pub fn sign_in(
        name: &str,
        service: Arc<dyn WsmanService>,
        users: &UserTable,
        credential: &Credential,
    ) -> Result<InProcessLink, TransportError> {
        use base64::Engine as _;
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                credential.user,
                credential.password.expose()
            ))
        );
        let Some(user) = users.check_basic(&header) else {
            return Err(TransportError::AccessDenied(format!(
                "{} was refused by {name}",
                credential.user
            )));
        };
        Ok(InProcessLink {
            service,
            caller: Caller {
                user: user.qualified(),
                client_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            },
        })
    }

    /// A caller that has not signed in (Test-WSMan's anonymous Identify).
    pub fn anonymous(service: Arc<dyn WsmanService>) -> InProcessLink {
        InProcessLink {
            service,
            caller: Caller {
                user: String::new(),
                client_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            },
        }
    }

    /// Posts an unauthenticated Identify (`WSMANIDENTIFY: unauthenticated`).
    pub async fn identify_unauthenticated(
        &self,
        xml: &[u8],
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), TransportError> {
        let mut req = HttpRequest::post("/wsman", xml.to_vec());
        req.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
        req.set_header("WSMANIDENTIFY", "unauthenticated");
        let resp = tokio::time::timeout(timeout, self.service.handle(self.caller.clone(), req))
            .await
            .map_err(|_| TransportError::ReadTimeout(timeout))?;
        Ok((resp.status, resp.body))
    }

    /// The user the service knows the caller as (`DOMAIN\name`).
    pub fn user(&self) -> &str {
        &self.caller.user
    }

    /// Posts one SOAP request; the HTTP status and body, or a timeout.
    pub async fn post(
        &self,
        xml: &[u8],
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), TransportError> {
        let mut req = HttpRequest::post("/wsman", xml.to_vec());
        req.set_header("Content-Type", "application/soap+xml;charset=UTF-8");
        let resp = tokio::time::timeout(timeout, self.service.handle(self.caller.clone(), req))
            .await
            .map_err(|_| TransportError::ReadTimeout(timeout))?;
        Ok((resp.status, resp.body))
    }
}
