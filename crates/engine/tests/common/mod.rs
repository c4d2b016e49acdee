//! What the engine's integration tests share: an engine on a fresh state directory with
//! its own keyring service, so tests never touch a user's entries or each other's.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use dbackup_engine::{AppPaths, Engine, Keyring};

/// A keyring service of this test process named `tag`; `None` (the test skips) when
/// there is no usable keyring, unless the run promised one with DBACKUP_TEST_KEYRING=1.
pub fn test_keyring(tag: &str) -> Option<Keyring> {
    let keyring = Keyring::new(format!("dbackup-test-{tag}-{}", std::process::id()));
    match keyring.check() {
        Ok(()) => Some(keyring),
        Err(e) => {
            assert!(
                std::env::var("DBACKUP_TEST_KEYRING").as_deref() != Ok("1"),
                "DBACKUP_TEST_KEYRING=1 but the keyring is unusable: {e}"
            );
            eprintln!("SKIPPED: no usable OS keyring here ({e})");
            None
        }
    }
}

/// An engine with its state under `dir/tag` and the keyring service `tag`.
pub fn engine_with_keyring(dir: &std::path::Path, tag: &str) -> Option<Engine> {
    let keyring = test_keyring(tag)?;
    let dir = dir.join(tag);
    Some(Engine::open(AppPaths::new(dir.join("data"), dir.join("logs")), keyring).unwrap())
}
