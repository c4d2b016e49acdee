//! Secrets (S3 secret keys, database passwords, encryption keys) live only in the OS
//! keyring. Everything else refers to them by account name.

use std::sync::mpsc;
use std::time::Duration;

pub use secrecy::{ExposeSecret, SecretString};

/// A secret value. Its `Debug` prints `[REDACTED]` and its memory is zeroed on drop,
/// so it cannot leak through logs or error messages by accident.
pub type Secret = SecretString;

/// The Secret Service may block on an unlock prompt nobody will answer (a headless
/// session, a screen that is locked): give up instead of hanging a backup forever.
const KEYRING_DEADLINE: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("the OS keyring is locked or not running ({detail}). DBackup keeps passwords and keys only there. Unlock it (on Linux: log in to a desktop session, or run `gnome-keyring-daemon --unlock` in this session) and try again")]
    Unavailable { detail: String },
    #[error("the OS keyring did not answer within {} s; it may be waiting for an unlock prompt. Unlock it and try again", KEYRING_DEADLINE.as_secs())]
    TimedOut,
    #[error("no secret named {account:?} in the OS keyring; it was removed outside DBackup. Enter it again in the settings of what uses it")]
    NotFound { account: String },
    #[error("the OS keyring refused the secret {account:?}: {detail}")]
    Rejected { account: String, detail: String },
}

/// The OS keyring under one service name (`dbackup` for real use; tests pick their own
/// so they never touch a user's entries).
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Keyring {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    /// The keyring the app and the CLI share: service `dbackup`, or the one named by
    /// `DBACKUP_KEYRING_SERVICE` (tests use their own so they never touch real entries).
    pub fn system() -> Self {
        match std::env::var("DBACKUP_KEYRING_SERVICE") {
            Ok(service) if !service.is_empty() => Self::new(service),
            _ => Self::new("dbackup"),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn set(&self, account: &str, secret: &Secret) -> Result<(), KeyringError> {
        let value = secret.expose_secret().to_owned();
        let value = SecretString::from(value);
        self.call(account, move |entry| {
            entry.set_password(value.expose_secret())
        })
    }

    pub fn get(&self, account: &str) -> Result<Secret, KeyringError> {
        self.call(account, |entry| {
            entry.get_password().map(SecretString::from)
        })
    }

    /// Removes the secret; returns whether there was one.
    pub fn delete(&self, account: &str) -> Result<bool, KeyringError> {
        match self.call(account, |entry| entry.delete_credential()) {
            Ok(()) => Ok(true),
            Err(KeyringError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Puts an account back as it was before a change that could not be completed:
    /// `previous` stored again, or the account removed when there was none. A failure
    /// is logged (the change itself already failed and is what gets reported).
    pub(crate) fn restore(&self, account: &str, previous: Option<&Secret>) {
        let restored = match previous {
            Some(old) => self.set(account, old),
            None => self.delete(account).map(|_| ()),
        };
        if let Err(e) = restored {
            tracing::warn!(account, "cannot put the previous secret back: {e}");
        }
    }

    /// Proves the keyring can store, return and remove a secret.
    pub fn check(&self) -> Result<(), KeyringError> {
        let account = format!("probe/{}", uuid::Uuid::new_v4());
        let probe = Secret::from(uuid::Uuid::new_v4().to_string());
        self.set(&account, &probe)?;
        let read = self.get(&account);
        self.delete(&account)?;
        if read?.expose_secret() != probe.expose_secret() {
            return Err(KeyringError::Rejected {
                account,
                detail: "the value read back differs from the value stored".into(),
            });
        }
        Ok(())
    }

    fn call<T: Send + 'static>(
        &self,
        account: &str,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, KeyringError> {
        let service = self.service.clone();
        let owned_account = account.to_owned();
        let (tx, rx) = mpsc::sync_channel(1);
        // A thread per call: a Secret Service stuck on a prompt must not wedge the
        // caller, and a stuck thread is the lesser evil (it ends when the prompt does).
        std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                let result =
                    keyring::Entry::new(&service, &owned_account).and_then(|entry| op(&entry));
                let _ = tx.send(result);
            })
            .map_err(|e| KeyringError::Unavailable {
                detail: format!("cannot start a thread: {e}"),
            })?;
        match rx.recv_timeout(KEYRING_DEADLINE) {
            Ok(result) => result.map_err(|e| map_error(account, e)),
            Err(_) => Err(KeyringError::TimedOut),
        }
    }
}

fn map_error(account: &str, e: keyring::Error) -> KeyringError {
    use keyring::Error as K;
    match e {
        K::NoEntry => KeyringError::NotFound {
            account: account.to_owned(),
        },
        K::NoStorageAccess(inner) | K::PlatformFailure(inner) => KeyringError::Unavailable {
            detail: inner.to_string(),
        },
        other => KeyringError::Rejected {
            account: account.to_owned(),
            detail: other.to_string(),
        },
    }
}
