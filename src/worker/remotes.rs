//! Who signs in where: the credential of each computer (given, saved,
//! the current user's) and one client session per computer and user.

use super::*;

impl Worker {
    pub(super) fn credential(&self, computer: &ComputerRef) -> Result<Credential, UserError> {
        match &computer.credential {
            CredentialChoice::Once(c) => Ok(c.clone()),
            CredentialChoice::Saved { entry_id, user } if entry_id.is_empty() => Err(plain_error(
                format!("No password for {user}"),
                format!(
                    "the profile of {} names {user}, but no password for it is saved",
                    computer.name
                ),
                Some("Give the password when Baton asks, or save it: baton credential add."),
            )),
            CredentialChoice::Saved { entry_id, user } => self.saved_credential(entry_id, user),
            // -CertificateThumbprint: the client certificate is the credential.
            CredentialChoice::Implicit
                if computer
                    .spec
                    .certificate_thumbprint
                    .as_deref()
                    .is_some_and(|t| !t.trim().is_empty()) =>
            {
                Ok(Credential::new("certificate".to_owned(), ""))
            }
            CredentialChoice::Implicit => Err(plain_error(
                format!("No credential for {}", computer.name),
                "the lab endpoint has no Kerberos realm, so it cannot sign in the current user",
                Some(
                    "Give a user name and password (-Credential DOMAIN\\user), or save one for this computer.",
                ),
            )),
        }
    }

    /// A credential from the saved credential store.
    pub(super) fn saved_credential(
        &self,
        entry_id: &str,
        user: &str,
    ) -> Result<Credential, UserError> {
        let store = self.config.credentials.as_ref().ok_or_else(|| {
            plain_error(
                format!("No password for {user}"),
                "no credential store is available",
                Some("Enter the password for this action."),
            )
        })?;
        let stored = store.get(entry_id).map_err(|e| {
            plain_error(
                format!("The saved credential of {user} cannot be read"),
                e.to_string(),
                Some("Save the credential again, or enter the password for this action."),
            )
        })?;
        Ok(Credential::new(stored.user.clone(), stored.secret.expose()))
    }

    /// The proxy credential of `computer`, looked up as its user credential.
    pub(super) fn proxy_credential(
        &self,
        computer: &ComputerRef,
    ) -> Result<Option<Credential>, UserError> {
        match &computer.proxy_credential {
            None | Some(CredentialChoice::Implicit) => Ok(None),
            Some(CredentialChoice::Once(c)) => Ok(Some(c.clone())),
            Some(CredentialChoice::Saved { entry_id, user }) => {
                self.saved_credential(entry_id, user).map(Some)
            }
        }
    }

    /// Whether `computer` is reached as the current user (no credential
    /// given and no client certificate).
    pub(super) fn as_current_user(computer: &ComputerRef) -> bool {
        matches!(computer.credential, CredentialChoice::Implicit)
            && computer
                .spec
                .certificate_thumbprint
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
    }

    pub(super) fn remote(&self, computer: &ComputerRef) -> Result<Arc<Remote>, UserError> {
        if Self::as_current_user(computer)
            && !self.config.in_process.contains_key(&key(&computer.name))
        {
            return self.remote_as_current_user(computer);
        }
        let cred = self.credential(computer)?;
        let proxy = self.proxy_credential(computer)?;
        // One client session per computer, user and proxy user.
        let mut who = cred.user.to_ascii_lowercase();
        if let Some(p) = &proxy {
            who.push('\n');
            who.push_str(&p.user.to_ascii_lowercase());
        }
        let k = (key(&computer.name), who);
        // A computer whose connection changed since (a profile edited to
        // another port or address, a lab started again elsewhere) gets a
        // client session for the new one; sessions held through the old
        // one keep it.
        if let Some(r) = lock(&self.remotes).get(&k)
            && r.spec == computer.spec
        {
            return Ok(r.clone());
        }
        let session_id = Uuid::new_v4();
        let r = match self.config.in_process.get(&key(&computer.name)) {
            Some(lab) => Remote::in_process(
                &computer.name,
                computer.spec.clone(),
                lab.service.clone(),
                &lab.users,
                &cred,
                session_id,
            ),
            None => Remote::http_with(
                &computer.name,
                computer.spec.clone(),
                &cred,
                session_id,
                &crate::worker::remote::HttpExtras {
                    proxy_credential: proxy,
                    ..crate::worker::remote::HttpExtras::from_env()
                },
            ),
        }
        .map_err(|e| user_error(format!("Cannot connect to {}", computer.name), &e))?;
        let r = Arc::new(r);
        lock(&self.remotes).insert(k, r.clone());
        Ok(r)
    }

    /// A remote signed in with the current user's Kerberos tickets (one
    /// client session per computer and principal, as for a credential).
    pub(super) fn remote_as_current_user(
        &self,
        computer: &ComputerRef,
    ) -> Result<Arc<Remote>, UserError> {
        let proxy = self.proxy_credential(computer)?;
        let r = Remote::http_as_current_user(
            &computer.name,
            computer.spec.clone(),
            Uuid::new_v4(),
            &crate::worker::remote::HttpExtras {
                proxy_credential: proxy.clone(),
                ..crate::worker::remote::HttpExtras::from_env()
            },
        )
        .map_err(|e| user_error(format!("Cannot connect to {}", computer.name), &e))?;
        let mut who = r.user.to_ascii_lowercase();
        if let Some(p) = &proxy {
            who.push('\n');
            who.push_str(&p.user.to_ascii_lowercase());
        }
        let k = (key(&computer.name), who);
        let mut remotes = lock(&self.remotes);
        let r = remotes.entry(k).or_insert_with(|| Arc::new(r)).clone();
        Ok(r)
    }
}

impl Worker {
    /// Closes the idle connections of the client session made for
    /// `computer` with the credential it names ([`Remote::release_idle`]).
    /// The key is made as [`Worker::remote`] makes it, from the user names
    /// the reference carries (no credential store is asked); a computer
    /// reached as the current user, or whose saved credential names another
    /// user, keeps its connections.
    pub(super) fn release_idle(&self, computer: &ComputerRef) {
        let user_of = |c: &CredentialChoice| match c {
            CredentialChoice::Once(c) => Some(c.user.clone()),
            CredentialChoice::Saved { user, .. } => Some(user.clone()),
            CredentialChoice::Implicit => None,
        };
        let Some(user) = user_of(&computer.credential) else {
            return;
        };
        let mut who = user.to_ascii_lowercase();
        if let Some(p) = computer.proxy_credential.as_ref().and_then(user_of) {
            who.push('\n');
            who.push_str(&p.to_ascii_lowercase());
        }
        let remote = lock(&self.remotes)
            .get(&(key(&computer.name), who))
            .cloned();
        if let Some(r) = remote {
            r.release_idle();
        }
    }
}
