use super::*;
use jiff::Timestamp;

fn new_local(id: &str, name: &str) -> NewDestination {
    NewDestination {
        id: id.into(),
        name: name.into(),
        kind: DestinationKind::Local,
        config: serde_json::json!({"path": "/mnt/nas"}),
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn creates_file_and_migrates_to_latest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dbackup.sqlite");
    let store = Store::open(&path).unwrap();
    assert!(path.exists());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn reopening_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbackup.sqlite");
    {
        let store = Store::open(&path).unwrap();
        store
            .insert_destination(&new_local("a", "NAS"), t("2026-01-02T03:04:05Z"))
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let all = store.list_destinations().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "NAS");
    assert_eq!(all[0].created_at, t("2026-01-02T03:04:05Z"));
    assert_eq!(all[0].config["path"], "/mnt/nas");
}

#[test]
fn refuses_a_newer_schema_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbackup.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("newer DBackup"), "{msg}");
    assert!(msg.contains("left untouched"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("dbackup.sqlite-wal").exists());
}

#[test]
fn refuses_a_file_that_is_not_sqlite_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbackup.sqlite");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("not a DBackup state database"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn refuses_a_truncated_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbackup.sqlite");
    {
        let store = Store::open(&path).unwrap();
        for i in 0..200 {
            store
                .insert_destination(
                    &new_local(&format!("id{i}"), &format!("n{i}")),
                    Timestamp::UNIX_EPOCH,
                )
                .unwrap();
        }
        store
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    // Keep the header (valid magic) but overwrite the schema page's content.
    let mut damaged = bytes.clone();
    for b in damaged.iter_mut().skip(100).take(3000) {
        *b = 0xA5;
    }
    std::fs::write(&path, &damaged).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
}

#[test]
fn duplicate_names_are_refused_case_insensitively() {
    let store = Store::open_in_memory().unwrap();
    store
        .insert_destination(&new_local("a", "NAS"), Timestamp::UNIX_EPOCH)
        .unwrap();
    let err = store
        .insert_destination(&new_local("b", "nas"), Timestamp::UNIX_EPOCH)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateName { ref name, .. } if name == "nas"),
        "{err:?}"
    );
    assert_eq!(store.list_destinations().unwrap().len(), 1);
}

#[test]
fn list_is_sorted_by_name_and_delete_removes() {
    let store = Store::open_in_memory().unwrap();
    for (id, name) in [("1", "zeta"), ("2", "Alpha"), ("3", "beta")] {
        store
            .insert_destination(&new_local(id, name), Timestamp::UNIX_EPOCH)
            .unwrap();
    }
    let names: Vec<_> = store
        .list_destinations()
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["Alpha", "beta", "zeta"]);
    store.delete_destination("2").unwrap();
    assert_eq!(store.list_destinations().unwrap().len(), 2);
    let err = store.delete_destination("2").unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
    assert!(matches!(
        store.destination("2").unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[test]
fn sources_are_stored_with_their_kind_and_names_stay_unique() {
    let store = Store::open_in_memory().unwrap();
    let new = |id: &str, name: &str, kind| NewSource {
        id: id.into(),
        name: name.into(),
        kind,
        config: serde_json::json!({"host": "db", "port": 5432}),
    };
    let pg = store
        .insert_source(
            &new("s1", "Orders", SourceKind::Postgres),
            t("2026-12-01T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(pg.kind, SourceKind::Postgres);
    assert_eq!(pg.config["port"], 5432);
    store
        .insert_source(
            &new("s2", "notes", SourceKind::Folder),
            t("2026-12-01T10:00:00Z"),
        )
        .unwrap();
    let err = store
        .insert_source(
            &new("s3", "ORDERS", SourceKind::Mysql),
            t("2026-12-01T10:00:00Z"),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateName { what: "source", .. }),
        "{err}"
    );
    let names: Vec<_> = store
        .list_sources()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["notes", "Orders"]);
    store.delete_source("s1").unwrap();
    assert!(matches!(
        store.source("s1"),
        Err(StoreError::NotFound { what: "source", .. })
    ));
    // A destination may share a source's name: they are different things.
    store
        .insert_destination(&new_local("d1", "notes"), t("2026-12-01T10:00:00Z"))
        .unwrap();
}
