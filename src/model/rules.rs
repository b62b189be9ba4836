//! Session rules and their PowerShell texts, in one place: the console uses
//! them to disable a button and explain why, the worker to refuse before
//! anything is sent, the command line to print PowerShell's error.

use super::UserError;

/// The smallest idle timeout PowerShell and WinRM accept, in seconds.
pub const MIN_IDLE_TIMEOUT_SEC: u64 = 60;

/// PowerShell's text for a `-IdleTimeoutSec` outside 60 s … the server's
/// maximum (DisconnectPSSession's ValidateIdleTimeout,
/// `CannotDisconnectSessionWithInvalidIdleTimeout`), odd spacing and "less
/// that" included, as the Disconnect-PSSession reference page shows it.
pub fn idle_timeout_out_of_range(session: &str, value_sec: u64, max_sec: Option<u64>) -> String {
    let max = max_sec.map_or_else(|| "(unknown)".to_owned(), |m| m.to_string());
    format!(
        "The session {session} cannot be disconnected because the specified idle timeout value {value_sec}(seconds) is either greater than the server maximum allowed {max} (seconds) or less that the minimum allowed{MIN_IDLE_TIMEOUT_SEC}(seconds).  Choose an idle time out value that is within the allowed range and try again."
    )
}

/// PowerShell's check of `Disconnect-PSSession -IdleTimeoutSec` against the
/// session's MaxIdleTimeout (when known), made before anything is sent.
pub fn check_disconnect_idle_timeout(
    session: &str,
    value_sec: u64,
    max_ms: Option<u64>,
) -> Result<(), UserError> {
    let max_sec = max_ms.map(|m| m / 1000);
    if value_sec < MIN_IDLE_TIMEOUT_SEC || max_sec.is_some_and(|m| value_sec > m) {
        return Err(UserError {
            summary: format!("The session {session} cannot be disconnected"),
            detail: idle_timeout_out_of_range(session, value_sec, max_sec),
            advice: None,
            error_id: Some("CannotDisconnectSessionWithInvalidIdleTimeout".into()),
        });
    }
    Ok(())
}

/// PowerShell's check of a session option's IdleTimeout (milliseconds),
/// made by New-PSSession and Invoke-Command before anything is sent
/// (PSRemotingBaseCmdlet): -1 (the server's default) or at least 60 s.
/// New-PSSessionOption itself takes any value from -1 up. The error is
/// `InvalidIdleTimeoutOption`'s text, two spaces and all.
pub fn check_option_idle_timeout(ms: i64) -> Result<(), String> {
    let min_ms = i64::try_from(MIN_IDLE_TIMEOUT_SEC * 1000).unwrap_or(i64::MAX);
    if ms == -1 || ms >= min_ms {
        return Ok(());
    }
    Err(format!(
        "The specified IdleTimeout session option {} (seconds) is not a valid period.  Specify an IdleTimeout value that is greater than or equal to the minimum allowed {MIN_IDLE_TIMEOUT_SEC} (seconds).",
        ms / 1000
    ))
}

/// Why a Busy session (connected to another client) cannot be connected,
/// in PowerShell's words; `holder` says what the server tells of that client
/// (`; held from 10.0.0.5, idle for 30 s`), or is empty.
pub fn busy_connect_refusal(session: &str, holder: &str) -> String {
    format!(
        "Cannot connect PSSession \"{session}\", either because it is not in the Disconnected state, or it is not available for connection. The session is connected to another client (Availability Busy{holder})."
    )
}

/// What to do about a Busy session one cannot connect to.
pub const BUSY_CONNECT_ADVICE: &str = "Ask the user who holds it to disconnect it (Disconnect-PSSession), then connect. If that client is gone, Remove-PSSession -Force deletes the session as its owner.";

/// Why a Busy session is not removed without `-Force`.
pub fn busy_remove_refusal(session: &str, holder: &str) -> String {
    format!(
        "The session {session} is connected to another client (Availability Busy{holder}) and was not removed."
    )
}

/// What to do about a Busy session one wants removed.
pub const BUSY_REMOVE_ADVICE: &str = "Ask the user who holds it to disconnect or remove it. If that client is gone (it crashed or was killed), Remove-PSSession -Force deletes the session as its owner; anything running in it stops.";

/// Whether signing in as the current user (Kerberos single sign-on, no
/// password typed) is built into Baton for the operating system `os`
/// (`std::env::consts::OS`): through the system's GSSAPI on Linux and the
/// BSDs, through SSPI on Windows; not yet through macOS's GSS.framework.
/// The error says so, and what to give instead.
pub fn single_sign_on(os: &str) -> Result<(), String> {
    match os {
        "linux" | "freebsd" | "openbsd" | "netbsd" | "windows" => Ok(()),
        "macos" => Err("Signing in as yourself (Kerberos through macOS's GSS.framework) is not built into Baton for macOS yet: give a user name and password (-Credential DOMAIN\\user, or a credential in the profile).".into()),
        other => Err(format!("Signing in as yourself is not built into Baton for {other}: give a user name and password (-Credential DOMAIN\\user, or a credential in the profile).")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_sign_on_is_offered_only_where_it_is_built() {
        assert!(single_sign_on("linux").is_ok());
        assert!(single_sign_on("windows").is_ok(), "through SSPI");
        let macos = single_sign_on("macos").unwrap_err();
        assert!(
            macos.contains("GSS.framework") && macos.contains("-Credential DOMAIN\\user"),
            "{macos}"
        );
        assert!(single_sign_on("haiku").unwrap_err().contains("for haiku"));
    }

    #[test]
    fn idle_timeouts_are_checked_in_powershells_words() {
        let e = check_disconnect_idle_timeout("ITTask", 86_400, Some(43_200_000)).unwrap_err();
        assert_eq!(
            e.detail,
            "The session ITTask cannot be disconnected because the specified idle timeout value 86400(seconds) is either greater than the server maximum allowed 43200 (seconds) or less that the minimum allowed60(seconds).  Choose an idle time out value that is within the allowed range and try again."
        );
        assert!(check_disconnect_idle_timeout("ITTask", 59, None).is_err());
        assert!(check_disconnect_idle_timeout("ITTask", 43_200, Some(43_200_000)).is_ok());
        assert!(check_option_idle_timeout(-1).is_ok());
        assert!(check_option_idle_timeout(60_000).is_ok());
        assert!(check_option_idle_timeout(30_000).unwrap_err().starts_with(
            "The specified IdleTimeout session option 30 (seconds) is not a valid period.  "
        ));
    }
}
