//! HTTP redirection of a WinRM connection, as PowerShell allows it:
//! `-AllowRedirection` on New-PSSession/Connect-PSSession, and at most
//! `MaximumConnectionRedirectionCount` hops (`New-PSSessionOption
//! -MaximumRedirection`, default 5; 0 follows none).
//!
//! A 301, 302, 303, 307 or 308 answer with a `Location` moves the connection
//! to the new URI: a new socket, a new authentication there, and the same
//! request sent again. Without `AllowRedirection` the answer is an error
//! with PowerShell's text.

use super::TransportError;
use super::http::Endpoint;

/// Whether and how far redirects are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// `-AllowRedirection`.
    pub allow: bool,
    /// `MaximumConnectionRedirectionCount`.
    pub max: u32,
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy {
            allow: false,
            max: 5,
        }
    }
}

/// True for the statuses that carry a redirect.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The message PowerShell gives when the WinRM service redirects and the
/// redirect is not allowed (WinRM's status message followed by PowerShell's
/// `URIRedirectionReported` text), with the reported location.
pub fn not_allowed_message(status: u16, location: &str) -> String {
    format!(
        "The WinRM client received an HTTP status code of {status} from the remote WS-Management service. To automatically connect to the redirected URI, verify the \"MaximumConnectionRedirectionCount\" property of the session preference variable \"PSSessionOption\", and use the \"AllowRedirection\" parameter on the cmdlet. Redirect location reported: {location}."
    )
}

/// Decides what a redirect answer leads to: the endpoint to go to, or the
/// error. `followed` is how many redirects this connection already took.
pub fn next_endpoint(
    policy: RedirectPolicy,
    followed: u32,
    current: &Endpoint,
    status: u16,
    location: Option<&str>,
) -> Result<Endpoint, TransportError> {
    let Some(location) = location.map(str::trim).filter(|l| !l.is_empty()) else {
        return Err(TransportError::Redirect(format!(
            "The WinRM client received an HTTP status code of {status} from the remote WS-Management service, without a Location to go to."
        )));
    };
    if !policy.allow {
        return Err(TransportError::Redirect(not_allowed_message(
            status, location,
        )));
    }
    if followed >= policy.max {
        return Err(TransportError::Redirect(format!(
            "The WinRM client received an HTTP status code of {status} from the remote WS-Management service after {followed} redirections, which is the MaximumConnectionRedirectionCount of this session. Redirect location reported: {location}."
        )));
    }
    let target = if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!(
            "{}://{}{location}",
            if current.https { "https" } else { "http" },
            current.host_header()
        )
    } else {
        return Err(TransportError::Redirect(format!(
            "The destination \"{}\" requested the connection to be redirected to \"{location}\". However \"{location}\" is not a well formatted URI.",
            current.url()
        )));
    };
    let next = Endpoint::parse(&target).map_err(|_| {
        TransportError::Redirect(format!(
            "The destination \"{}\" requested the connection to be redirected to \"{location}\". However \"{location}\" is not a well formatted URI.",
            current.url()
        ))
    })?;
    // HTTPS is never given up: whatever the authentication, a redirect from
    // https to http would send the next request (and its credentials) where
    // the server's certificate no longer vouches for it.
    if current.https && !next.https {
        return Err(TransportError::Redirect(format!(
            "The destination \"{}\" requested the connection to be redirected to \"{}\", which is not HTTPS. A redirect never leaves HTTPS; the redirect was refused. Connect to the new address yourself if you trust it.",
            current.url(),
            next.url()
        )));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_only_when_allowed_and_within_the_count() {
        let here = Endpoint::parse("http://srv1:5985/wsman").unwrap();
        let refused = next_endpoint(
            RedirectPolicy::default(),
            0,
            &here,
            302,
            Some("http://srv2:5985/wsman"),
        )
        .unwrap_err()
        .to_string();
        assert!(refused.contains("HTTP status code of 302"), "{refused}");
        assert!(refused.contains("\"AllowRedirection\""), "{refused}");
        let allow = RedirectPolicy {
            allow: true,
            max: 2,
        };
        let e = next_endpoint(allow, 0, &here, 307, Some("http://srv2:5985/wsman")).unwrap();
        assert_eq!(e.host, "srv2");
        let e = next_endpoint(allow, 1, &here, 301, Some("/other")).unwrap();
        assert_eq!(e.url(), "http://srv1:5985/other");
        assert!(next_endpoint(allow, 2, &here, 302, Some("http://srv3/wsman")).is_err());
        assert!(next_endpoint(allow, 0, &here, 302, None).is_err());
        assert!(next_endpoint(allow, 0, &here, 302, Some("ftp://x/")).is_err());
        assert!(next_endpoint(allow, 0, &here, 302, Some("relative")).is_err());
    }

    #[test]
    fn https_is_never_given_up() {
        let allow = RedirectPolicy {
            allow: true,
            max: 5,
        };
        let secure = Endpoint::parse("https://srv1:5986/wsman").unwrap();
        let refused = next_endpoint(allow, 0, &secure, 302, Some("http://srv2:5985/wsman"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("never leaves HTTPS"), "{refused}");
        let e = next_endpoint(allow, 0, &secure, 302, Some("https://srv2:5986/wsman")).unwrap();
        assert!(e.https);
        // A relative Location stays on HTTPS.
        assert!(
            next_endpoint(allow, 0, &secure, 307, Some("/other"))
                .unwrap()
                .https
        );
        // From HTTP, going to HTTPS is fine.
        let plain = Endpoint::parse("http://srv1:5985/wsman").unwrap();
        assert!(
            next_endpoint(allow, 0, &plain, 302, Some("https://srv1:5986/wsman"))
                .unwrap()
                .https
        );
    }
}
