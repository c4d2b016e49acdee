//! The engine against a real state file (keyring-free paths only; see keyring.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dbackup_engine::{AppPaths, Engine, ErrorCode, Keyring, NewLocalDestination};
use jiff::Timestamp;

fn engine(dir: &std::path::Path) -> Engine {
    let paths = AppPaths::new(dir.join("data"), dir.join("logs"));
    Engine::open(paths, Keyring::new("dbackup-test-unused")).unwrap()
}

#[test]
fn overview_starts_empty_and_lists_added_destinations() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let overview = engine.overview().unwrap();
    assert!(overview.destinations.is_empty());
    assert!(overview.database_path.ends_with("data/dbackup.sqlite"));
    assert!(dir.path().join("data/dbackup.sqlite").exists());

    let nas = dir.path().join("nas");
    std::fs::create_dir(&nas).unwrap();
    let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
    let added = engine
        .add_local_destination(
            NewLocalDestination {
                name: " NAS ".into(),
                path: nas.display().to_string(),
            },
            now,
        )
        .unwrap();
    assert_eq!(added.name, "NAS");
    assert_eq!(added.created_at, "2026-11-25T10:00:00Z");
    assert_eq!(added.location, nas.display().to_string());

    // A second engine on the same file (the CLI beside the app) sees it.
    drop(engine);
    let again = self::engine(dir.path());
    assert_eq!(again.overview().unwrap().destinations, vec![added.clone()]);

    let dup = again
        .add_local_destination(
            NewLocalDestination {
                name: "nas".into(),
                path: nas.display().to_string(),
            },
            now,
        )
        .unwrap_err();
    assert_eq!(dup.code(), ErrorCode::Conflict);

    again.remove_destination(&added.id).unwrap();
    assert!(again.list_destinations().unwrap().is_empty());
    let gone = again.remove_destination(&added.id).unwrap_err();
    assert_eq!(gone.code(), ErrorCode::NotFound);
}

#[test]
fn invalid_input_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let err = engine
        .add_local_destination(
            NewLocalDestination {
                name: "x".into(),
                path: "not/absolute".into(),
            },
            Timestamp::UNIX_EPOCH,
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().starts_with("path:"), "{err}");
    assert!(engine.list_destinations().unwrap().is_empty());
}
