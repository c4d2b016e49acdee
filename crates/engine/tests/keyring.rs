//! Against the real OS keyring (gnome-keyring inside dbus-run-session in CI).
//! `DBACKUP_TEST_KEYRING=1` says one is expected; then a missing keyring fails the test
//! instead of skipping it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dbackup_engine::secrets::ExposeSecret;
use dbackup_engine::{Keyring, Secret};

fn keyring_expected() -> bool {
    std::env::var("DBACKUP_TEST_KEYRING").as_deref() == Ok("1")
}

/// The tests share one service name (and `check` one account in it): run them one at a
/// time. Concurrent create/delete of the same item has crashed gnome-keyring-daemon in CI,
/// which then fails every later keyring test in the session.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn test_keyring() -> Option<Keyring> {
    let keyring = Keyring::new(format!("dbackup-test-{}", std::process::id()));
    match keyring.check() {
        Ok(()) => Some(keyring),
        Err(e) if !keyring_expected() => {
            eprintln!("SKIPPED: no usable OS keyring here ({e}); set DBACKUP_TEST_KEYRING=1 to require one");
            None
        }
        Err(e) => panic!("DBACKUP_TEST_KEYRING=1 but the keyring is unusable: {e}"),
    }
}

#[test]
fn stores_reads_replaces_and_deletes_a_secret() {
    let _serial = serial();
    let Some(keyring) = test_keyring() else {
        return;
    };
    let account = "destination/test/secret-access-key";
    keyring
        .set(account, &Secret::from("first secret ünïcode".to_owned()))
        .unwrap();
    assert_eq!(
        keyring.get(account).unwrap().expose_secret(),
        "first secret ünïcode"
    );
    keyring
        .set(account, &Secret::from("second".to_owned()))
        .unwrap();
    assert_eq!(keyring.get(account).unwrap().expose_secret(), "second");
    assert!(keyring.delete(account).unwrap());
    assert!(!keyring.delete(account).unwrap());
    let err = keyring.get(account).unwrap_err();
    assert!(err.to_string().contains("no secret named"), "{err}");
}

#[test]
fn services_are_isolated() {
    let _serial = serial();
    let Some(a) = test_keyring() else { return };
    let b = Keyring::new(format!("{}-other", a.service()));
    a.set("shared-name", &Secret::from("a".to_owned())).unwrap();
    assert!(b.get("shared-name").is_err());
    a.delete("shared-name").unwrap();
}

#[test]
fn secret_debug_prints_nothing() {
    let s = Secret::from("hunter2".to_owned());
    assert!(!format!("{s:?}").contains("hunter2"));
}
