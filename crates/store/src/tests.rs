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

mod jobs_and_runs {
    use super::*;

    fn store_with_job() -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .insert_destination(&new_local("d1", "NAS"), t("2026-01-01T00:00:00Z"))
            .unwrap();
        store
            .insert_source(
                &NewSource {
                    id: "s1".into(),
                    name: "orders db".into(),
                    kind: SourceKind::Postgres,
                    config: serde_json::json!({}),
                },
                t("2026-01-01T00:00:00Z"),
            )
            .unwrap();
        store
            .insert_job(
                &NewJob {
                    id: "j1".into(),
                    name: "orders".into(),
                    source_id: "s1".into(),
                    config: serde_json::json!({"schedule": null}),
                    enabled: true,
                    destinations: vec![JobDestination {
                        destination_id: "d1".into(),
                        retention: serde_json::json!({"mode": "none"}),
                    }],
                },
                t("2026-01-01T00:00:00Z"),
            )
            .unwrap();
        store
    }

    fn end(status: &'static str, at: &str) -> RunEnd {
        RunEnd {
            status,
            finished_at: t(at),
            bytes_in: 10,
            bytes_out: 5,
            outcome: serde_json::json!({}),
            error_code: None,
            error_message: None,
        }
    }

    #[test]
    fn a_job_keeps_its_destinations_in_order_and_updates_replace_them() {
        let store = store_with_job();
        store
            .insert_destination(&new_local("d2", "USB"), t("2026-01-01T00:00:00Z"))
            .unwrap();
        let mut job = NewJob {
            id: "j1".into(),
            name: "orders renamed".into(),
            source_id: "s1".into(),
            config: serde_json::json!({}),
            enabled: true,
            destinations: vec![
                JobDestination {
                    destination_id: "d2".into(),
                    retention: serde_json::json!({"mode": "last", "count": 3}),
                },
                JobDestination {
                    destination_id: "d1".into(),
                    retention: serde_json::json!({"mode": "none"}),
                },
            ],
        };
        let updated = store.update_job(&job, t("2026-02-01T00:00:00Z")).unwrap();
        assert_eq!(updated.name, "orders renamed");
        let ids: Vec<_> = updated
            .destinations
            .iter()
            .map(|d| d.destination_id.as_str())
            .collect();
        assert_eq!(ids, ["d2", "d1"]);
        job.destinations[0].destination_id = "nope".into();
        let err = store
            .update_job(&job, t("2026-02-01T00:00:00Z"))
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "destination",
                    ..
                }
            ),
            "{err}"
        );
        // The failed update changed nothing.
        assert_eq!(store.job("j1").unwrap().destinations.len(), 2);
    }

    #[test]
    fn a_destination_or_source_in_use_cannot_be_removed_and_says_by_whom() {
        let store = store_with_job();
        let err = store.delete_destination("d1").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"NAS\" is used by the job(s) orders"),
            "{err}"
        );
        let err = store.delete_source("s1").unwrap_err();
        assert!(err.to_string().contains("orders"), "{err}");
        store.delete_job("j1").unwrap();
        store.delete_destination("d1").unwrap();
        store.delete_source("s1").unwrap();
    }

    #[test]
    fn a_job_has_at_most_one_running_run() {
        let store = store_with_job();
        store
            .begin_run("r1", "j1", "orders", "manual", t("2026-01-02T00:00:00Z"))
            .unwrap();
        let err = store
            .begin_run("r2", "j1", "orders", "schedule", t("2026-01-02T00:01:00Z"))
            .unwrap_err();
        assert!(matches!(err, StoreError::JobRunning { .. }), "{err}");
        assert!(store
            .finish_run("r1", &end("success", "2026-01-02T00:02:00Z"))
            .unwrap());
        // Finishing twice (or a run marked interrupted meanwhile) changes nothing.
        assert!(!store
            .finish_run("r1", &end("failed", "2026-01-02T00:03:00Z"))
            .unwrap());
        assert_eq!(store.run("r1").unwrap().status, "success");
        store
            .begin_run("r2", "j1", "orders", "schedule", t("2026-01-02T00:04:00Z"))
            .unwrap();
        assert!(store.request_cancel("r2").unwrap());
        assert!(store.cancel_requested("r2").unwrap());
        assert!(!store.request_cancel("r1").unwrap());
    }

    #[test]
    fn history_pages_newest_first_and_prunes_by_age() {
        let store = store_with_job();
        for day in 1..=9 {
            let at = format!("2026-03-0{day}T00:00:00Z");
            store
                .insert_finished_run(
                    &format!("r{day}"),
                    "j1",
                    "orders",
                    "schedule",
                    t(&at),
                    &end("success", &at),
                )
                .unwrap();
        }
        let page1 = store
            .list_runs(&RunQuery {
                job_id: Some("j1".into()),
                before: None,
                limit: 4,
            })
            .unwrap();
        let ids: Vec<_> = page1.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r9", "r8", "r7", "r6"]);
        let last = page1.last().unwrap();
        let page2 = store
            .list_runs(&RunQuery {
                job_id: None,
                before: Some((last.started_at, last.id.clone())),
                limit: 4,
            })
            .unwrap();
        let ids: Vec<_> = page2.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r5", "r4", "r3", "r2"]);
        assert_eq!(store.prune_runs(t("2026-03-05T00:00:00Z")).unwrap(), 4);
        assert_eq!(
            store
                .list_runs(&RunQuery {
                    limit: 100,
                    ..Default::default()
                })
                .unwrap()
                .len(),
            5
        );
        // The history outlives the job.
        store.delete_job("j1").unwrap();
        assert_eq!(store.run("r9").unwrap().job_id, None);
    }
}

/// A fresh store with the local destination "a" that the catalog rows below belong to.
fn store_with_nas() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
    store
        .insert_destination(&new_local("a", "NAS"), t("2026-01-01T00:00:00Z"))
        .unwrap();
    (dir, store)
}

fn backup(object: &str, class: Option<&str>, seen: &str) -> BackupRecord {
    BackupRecord {
        destination_id: "a".into(),
        object: object.into(),
        job_id: None,
        job_name: Some("orders".into()),
        run_id: None,
        created_at: t("2026-01-01T00:00:00Z"),
        stored_size: 10,
        locked: false,
        manifest: serde_json::json!({}),
        seen_at: t(seen),
        storage_class: class.map(str::to_owned),
    }
}

#[test]
fn storage_class_survives_a_refresh_that_does_not_know_it() {
    let (_dir, store) = store_with_nas();
    let seen = "2026-01-02T00:00:00Z";
    store
        .upsert_backup(&backup("o/1.dbk", Some("GLACIER"), seen))
        .unwrap();
    store.upsert_backup(&backup("o/1.dbk", None, seen)).unwrap();
    let all = store.list_backups(Some("a"), None).unwrap();
    assert_eq!(all[0].storage_class.as_deref(), Some("GLACIER"));
    assert_eq!(store.backup("a", "o/1.dbk").unwrap().as_ref(), all.first());
    assert_eq!(store.backup("a", "o/none.dbk").unwrap(), None);
    store
        .set_backup_storage_class("a", "o/1.dbk", "DEEP_ARCHIVE")
        .unwrap();
    let all = store.list_backups(Some("a"), None).unwrap();
    assert_eq!(all[0].storage_class.as_deref(), Some("DEEP_ARCHIVE"));
}

#[test]
fn glacier_restores_are_kept_until_forgotten_and_go_with_their_backup() {
    let (_dir, store) = store_with_nas();
    let seen = "2026-01-02T00:00:00Z";
    for o in ["o/1.dbk", "o/2.dbk"] {
        store
            .upsert_backup(&backup(o, Some("GLACIER"), seen))
            .unwrap();
    }
    let mut restore = GlacierRestoreRecord {
        destination_id: "a".into(),
        object: "o/1.dbk".into(),
        tier: "Bulk".into(),
        days: 7,
        requested_at: t("2026-01-03T00:00:00Z"),
        ready_until: None,
        ready_at: None,
    };
    store.record_glacier_restore(&restore).unwrap();
    restore.ready_until = Some(t("2026-01-10T00:00:00Z"));
    restore.ready_at = Some(t("2026-01-03T05:00:00Z"));
    store.record_glacier_restore(&restore).unwrap();
    store
        .record_glacier_restore(&GlacierRestoreRecord {
            object: "o/2.dbk".into(),
            ..restore.clone()
        })
        .unwrap();
    assert_eq!(store.glacier_restores().unwrap()[0], restore);

    // A restore of an object the catalog does not know is refused.
    let unknown = GlacierRestoreRecord {
        object: "o/none.dbk".into(),
        ..restore.clone()
    };
    assert!(store.record_glacier_restore(&unknown).is_err());

    store.remove_glacier_restore("a", "o/1.dbk").unwrap();
    assert_eq!(store.glacier_restores().unwrap().len(), 1);
    // The backup leaving the catalog takes its restore along.
    store.remove_backup("a", "o/2.dbk").unwrap();
    assert!(store.glacier_restores().unwrap().is_empty());
}

#[test]
fn a_destination_is_renamed_and_reconfigured_but_names_stay_unique() {
    let (_dir, store) = store_with_nas();
    store
        .insert_destination(&new_local("b", "Offsite"), t("2026-01-01T00:00:00Z"))
        .unwrap();
    let updated = store
        .update_destination(
            "a",
            "Office NAS",
            &serde_json::json!({"path": "/mnt/office"}),
            t("2026-01-05T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(updated.name, "Office NAS");
    assert_eq!(updated.config["path"], "/mnt/office");
    assert_eq!(updated.kind, DestinationKind::Local);
    assert_eq!(updated.created_at, t("2026-01-01T00:00:00Z"));
    assert_eq!(updated.updated_at, t("2026-01-05T00:00:00Z"));
    let clash = store
        .update_destination("a", "offsite", &updated.config, t("2026-01-06T00:00:00Z"))
        .unwrap_err();
    assert!(matches!(clash, StoreError::DuplicateName { .. }), "{clash}");
    assert!(matches!(
        store.update_destination("zz", "x", &updated.config, t("2026-01-06T00:00:00Z")),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn the_last_verify_verdict_is_kept_per_backup_and_goes_with_it() {
    let (_dir, store) = store_with_nas();
    let seen = "2026-01-02T00:00:00Z";
    for o in ["o/1.dbk", "o/2.dbk"] {
        store.upsert_backup(&backup(o, None, seen)).unwrap();
    }
    assert!(store.backup_checks(None).unwrap().is_empty());
    assert!(store
        .record_backup_check("a", "o/1.dbk", t("2026-01-03T00:00:00Z"), None)
        .unwrap());
    assert!(store
        .record_backup_check(
            "a",
            "o/1.dbk",
            t("2026-01-04T00:00:00Z"),
            Some("chunk 2 failed")
        )
        .unwrap());
    assert!(store
        .record_backup_check("a", "o/2.dbk", t("2026-01-04T00:00:00Z"), None)
        .unwrap());
    // Not in the catalog: nothing recorded, no error.
    assert!(!store
        .record_backup_check("a", "o/none.dbk", t("2026-01-04T00:00:00Z"), None)
        .unwrap());
    let mut checks = store.backup_checks(Some("a")).unwrap();
    checks.sort_by(|x, y| x.object.cmp(&y.object));
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].problem.as_deref(), Some("chunk 2 failed"));
    assert_eq!(checks[0].checked_at, t("2026-01-04T00:00:00Z"));
    assert!(store.backup_checks(Some("b")).unwrap().is_empty());

    // A refresh of the catalog row keeps the verdict; removing the backup drops it.
    store
        .upsert_backup(&backup("o/1.dbk", None, "2026-01-05T00:00:00Z"))
        .unwrap();
    assert_eq!(store.backup_checks(None).unwrap().len(), 2);
    store.remove_backup("a", "o/1.dbk").unwrap();
    let left = store.backup_checks(None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].object, "o/2.dbk");
}
