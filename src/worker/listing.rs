//! The latest listing of each computer's sessions, kept for a short while
//! so that resolving a name, connecting and receiving cost one Enumerate of
//! the shells (and one of each shell's commands) between them rather than
//! one each.
//!
//! A listing is only a hint: whoever uses it must cope with a server that
//! has moved on (the shell gone, or taken by another client, since it was
//! listed) by asking again once.

use std::time::{Duration, Instant};

use super::*;
use crate::protocol::wsman::shell::CommandInfo;

/// How long a listing stands in for a new Enumerate. Long enough for one
/// command line or one click after a Refresh; anything older is asked
/// again.
pub(super) const LISTING_FRESH: Duration = Duration::from_secs(30);

/// What one Enumerate (and the commands enumerated with it) said.
pub(super) struct Listing {
    at: Instant,
    shells: Vec<ShellInfo>,
    /// The commands of the shells whose commands were enumerated too.
    commands: HashMap<Uuid, Vec<CommandInfo>>,
}

/// Which client session a listing was made by: the computer and the user
/// (another user sees other shells).
fn listing_key(computer: &str, user: &str) -> (String, String) {
    (key(computer), user.to_ascii_lowercase())
}

impl Worker {
    /// Keeps what an Enumerate of `computer`'s shells said, as `user`.
    pub(super) fn keep_listing(
        &self,
        computer: &str,
        user: &str,
        shells: Vec<ShellInfo>,
        commands: HashMap<Uuid, Vec<CommandInfo>>,
    ) {
        let mut listings = lock(&self.listings);
        // Listings too old to stand in for an Enumerate are dropped.
        listings.retain(|_, l| l.at.elapsed() <= LISTING_FRESH);
        listings.insert(
            listing_key(computer, user),
            Listing {
                at: Instant::now(),
                shells,
                commands,
            },
        );
    }

    /// The shell `id` as a fresh listing shows it, if there is one.
    pub(super) fn listed_shell(&self, computer: &str, user: &str, id: Uuid) -> Option<ShellInfo> {
        let listings = lock(&self.listings);
        let l = listings.get(&listing_key(computer, user))?;
        if l.at.elapsed() > LISTING_FRESH {
            return None;
        }
        l.shells
            .iter()
            .find(|s| Uuid::parse_str(&s.shell_id).ok() == Some(id))
            .cloned()
    }

    /// The commands of shell `id` as a fresh listing shows them, taken out
    /// of it: once received from, they change (each is released).
    pub(super) fn take_listed_commands(
        &self,
        computer: &str,
        user: &str,
        id: Uuid,
    ) -> Option<Vec<CommandInfo>> {
        let mut listings = lock(&self.listings);
        let l = listings.get_mut(&listing_key(computer, user))?;
        if l.at.elapsed() > LISTING_FRESH {
            return None;
        }
        l.commands.remove(&id)
    }

    /// Forgets the listed commands of shell `id`: they no longer tell what
    /// it holds (a command was started in it here, or it was reconnected).
    pub(super) fn forget_listed_commands(&self, computer: &str, user: &str, id: Uuid) {
        if let Some(l) = lock(&self.listings).get_mut(&listing_key(computer, user)) {
            l.commands.remove(&id);
        }
    }

    /// The shell `id`, asked of the server (one Enumerate), which is then
    /// the listing the next steps use.
    pub(super) async fn find_shell(
        &self,
        computer: &str,
        remote: &Remote,
        id: Uuid,
    ) -> Result<Option<ShellInfo>, RemoteError> {
        let shells = remote.enumerate_shells().await?;
        let found = shells
            .iter()
            .find(|s| Uuid::parse_str(&s.shell_id).ok() == Some(id))
            .cloned();
        self.keep_listing(computer, &remote.user, shells, HashMap::new());
        Ok(found)
    }
}
