//! SQLite through its online backup API: a consistent snapshot even while other
//! connections write, never a plain file copy of a live database (which can catch a
//! half-applied transaction or miss the WAL).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::SourceError;

/// Pages copied per step; between steps other writers may proceed.
const PAGES_PER_STEP: std::ffi::c_int = 1024;
/// How long to keep retrying while the source is locked before giving up.
const BUSY_DEADLINE: Duration = Duration::from_secs(60);

/// Opens the database read-only and reads its schema: proves it is an SQLite database
/// this user can read. Returns the SQLite library version.
pub fn check(source: &Path) -> Result<String, SourceError> {
    open_readable(source)?;
    Ok(rusqlite::version().to_owned())
}

fn open_readable(source: &Path) -> Result<Connection, SourceError> {
    let unreadable = |e: rusqlite::Error| SourceError::SqliteUnreadable {
        path: source.to_path_buf(),
        detail: e.to_string(),
    };
    if !source.is_file() {
        return Err(SourceError::SqliteUnreadable {
            path: source.to_path_buf(),
            detail: "no such file".into(),
        });
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(unreadable)?;
    // Reading the schema proves it is a database before we create anything.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(unreadable)?;
    Ok(conn)
}

/// Copies the live database at `source` into a new file at `snapshot`, consistent as
/// of one moment. Returns the SQLite version that read it (for the manifest).
pub fn snapshot(source: &Path, snapshot: &Path) -> Result<String, SourceError> {
    let src = open_readable(source)?;
    let mut dst = Connection::open(snapshot).map_err(|e| SourceError::SqliteCopy {
        path: snapshot.to_path_buf(),
        detail: e.to_string(),
    })?;
    copy(&src, &mut dst, source)?;
    Ok(rusqlite::version().to_owned())
}

/// Restores `snapshot` (a complete, checked copy) to `target`. Refuses an existing
/// target unless `overwrite`. A new target is written beside it and renamed into place
/// once complete. An existing one is replaced through SQLite itself (the online backup
/// API, in one step under SQLite's locks): a file renamed over a live database would
/// leave its `-wal` behind to be replayed onto the restored pages, and connections
/// still open would keep writing to the old file. On failure the target is as it was.
pub fn restore(snapshot: &Path, target: &Path, overwrite: bool) -> Result<(), SourceError> {
    let src =
        Connection::open_with_flags(snapshot, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            SourceError::SqliteUnreadable {
                path: snapshot.to_path_buf(),
                detail: e.to_string(),
            }
        })?;
    check_integrity(&src, snapshot)?;
    if target.exists() {
        if !overwrite {
            return Err(SourceError::TargetExists {
                target: target.to_path_buf(),
            });
        }
        return replace_live(&src, snapshot, target);
    }
    // A journal without its database belongs to a database that is gone; SQLite would
    // replay it onto the new file.
    for suffix in ["-wal", "-journal"] {
        let orphan = PathBuf::from(format!("{}{suffix}", target.display()));
        if orphan.exists() {
            return Err(SourceError::Invalid {
                field: "path",
                problem: format!(
                    "{} exists without its database; SQLite would apply it to the restored one. Move it away (it is of no use without the database), then restore again",
                    orphan.display()
                ),
            });
        }
    }
    let temp = temp_beside(target);
    let result = (|| {
        let mut dst = Connection::open(&temp).map_err(|e| SourceError::SqliteCopy {
            path: temp.clone(),
            detail: e.to_string(),
        })?;
        copy(&src, &mut dst, snapshot)?;
        dst.execute_batch("PRAGMA journal_mode = DELETE;")
            .map_err(|e| SourceError::SqliteCopy {
                path: temp.clone(),
                detail: e.to_string(),
            })?;
        drop(dst);
        std::fs::rename(&temp, target).map_err(|source| SourceError::Io {
            action: "moving the restored database to",
            path: target.to_path_buf(),
            source,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A restore copy that SQLite finds damaged is never applied.
fn check_integrity(conn: &Connection, path: &Path) -> Result<(), SourceError> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| SourceError::SqliteUnreadable {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if verdict != "ok" {
        return Err(SourceError::SqliteUnreadable {
            path: path.to_path_buf(),
            detail: format!("the restored copy fails SQLite's check: {verdict}"),
        });
    }
    Ok(())
}

/// Replaces the content of the live database at `target` with `src`'s, in one
/// backup step: SQLite takes the write lock, writes through its own journal or WAL,
/// and rolls back on failure.
fn replace_live(src: &Connection, snapshot: &Path, target: &Path) -> Result<(), SourceError> {
    let failed = |e: rusqlite::Error| SourceError::SqliteCopy {
        path: target.to_path_buf(),
        detail: e.to_string(),
    };
    let mut dst = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| SourceError::SqliteUnreadable {
        path: target.to_path_buf(),
        detail: e.to_string(),
    })?;
    // Other programs may hold it for a moment: wait as a backup does, not forever.
    dst.busy_timeout(BUSY_DEADLINE).map_err(failed)?;
    let backup = Backup::new(src, &mut dst).map_err(failed)?;
    match backup.step(-1).map_err(failed)? {
        StepResult::Done => {}
        StepResult::Busy | StepResult::Locked => {
            return Err(SourceError::SqliteBusy {
                path: target.to_path_buf(),
            })
        }
        _ => {
            return Err(SourceError::SqliteCopy {
                path: snapshot.to_path_buf(),
                detail: "the copy did not finish in one step".into(),
            })
        }
    }
    drop(backup);
    check_integrity(&dst, target)
}

fn temp_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "database".into());
    target.with_file_name(format!(".{name}.dbackup-restore"))
}

fn copy(src: &Connection, dst: &mut Connection, source_path: &Path) -> Result<(), SourceError> {
    let failed = |e: rusqlite::Error| SourceError::SqliteCopy {
        path: source_path.to_path_buf(),
        detail: e.to_string(),
    };
    let backup = Backup::new(src, dst).map_err(failed)?;
    let started = std::time::Instant::now();
    loop {
        match backup.step(PAGES_PER_STEP).map_err(failed)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => {
                if started.elapsed() > BUSY_DEADLINE {
                    return Err(SourceError::SqliteBusy {
                        path: source_path.to_path_buf(),
                    });
                }
                // Yield to the writer holding the lock; the step retries from where it was.
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(path: &Path, rows: i64) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, amount REAL);
             CREATE INDEX t_name ON t(name);
             CREATE VIEW v AS SELECT id, name FROM t WHERE amount > 0;",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for i in 0..rows {
            tx.execute(
                "INSERT INTO t (name, data, amount) VALUES (?1, ?2, ?3)",
                rusqlite::params![format!("ünïcode {i}"), vec![i as u8; 300], i as f64 / 3.0],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        conn
    }

    fn dump(path: &Path) -> Vec<(i64, String, Vec<u8>, f64)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT id, name, data, amount FROM t ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn snapshot_while_another_connection_writes_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let writer = seed(&live, 5000);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let live2 = live.clone();
        // Each writer transaction inserts two rows, so a consistent snapshot has an even
        // number of rows beyond the seed.
        let handle = std::thread::spawn(move || {
            let conn = Connection::open(&live2).unwrap();
            conn.busy_timeout(Duration::from_secs(5)).unwrap();
            let mut n = 0;
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) && n < 2000 {
                let tx = conn.unchecked_transaction().unwrap();
                tx.execute("INSERT INTO t (name, amount) VALUES ('a', 1)", [])
                    .unwrap();
                tx.execute("INSERT INTO t (name, amount) VALUES ('b', 1)", [])
                    .unwrap();
                tx.commit().unwrap();
                n += 1;
            }
        });
        let snap = dir.path().join("snap.db");
        let version = snapshot(&live, &snap).unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        handle.join().unwrap();
        drop(writer);
        assert!(version.starts_with('3'));
        let rows = dump(&snap);
        assert!(rows.len() >= 5000);
        assert_eq!(
            (rows.len() - 5000) % 2,
            0,
            "snapshot caught half a transaction"
        );
        let check: String = Connection::open(&snap)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn restore_round_trips_schema_and_rows_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        drop(seed(&live, 100));
        let snap = dir.path().join("snap.db");
        snapshot(&live, &snap).unwrap();
        let target = dir.path().join("restored.db");
        restore(&snap, &target, false).unwrap();
        assert_eq!(dump(&target), dump(&live));
        let views: i64 = Connection::open(&target)
            .unwrap()
            .query_row("SELECT count(*) FROM v", [], |r| r.get(0))
            .unwrap();
        assert_eq!(views, 99);

        let before = std::fs::read(&target).unwrap();
        let err = restore(&snap, &target, false).unwrap_err();
        assert!(matches!(err, SourceError::TargetExists { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), before);
        restore(&snap, &target, true).unwrap();
        assert_eq!(dump(&target), dump(&live));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let bogus = dir.path().join("notes.txt");
        std::fs::write(&bogus, "just text, not a database at all".repeat(100)).unwrap();
        let snap = dir.path().join("snap.db");
        let err = snapshot(&bogus, &snap).unwrap_err();
        assert!(matches!(err, SourceError::SqliteUnreadable { .. }), "{err}");
        assert!(!snap.exists());
        let err = snapshot(&dir.path().join("missing.db"), &snap).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[test]
    fn a_failed_restore_leaves_the_existing_target_intact() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("keep.db");
        drop(seed(&target, 10));
        let before = dump(&target);
        let bogus = dir.path().join("bogus.db");
        std::fs::write(&bogus, "garbage".repeat(1000)).unwrap();
        assert!(restore(&bogus, &target, true).is_err());
        assert_eq!(dump(&target), before);
        assert!(!dir.path().join(".keep.db.dbackup-restore").exists());
    }

    #[test]
    fn restoring_over_a_live_database_replaces_it_whole_and_its_wal_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("backup.db");
        drop(seed(&backup, 100));
        let snap = dir.path().join("snap.db");
        snapshot(&backup, &snap).unwrap();

        // The live database: WAL mode, newer rows still only in its -wal (a program
        // holds it open, or died before a checkpoint).
        let target = dir.path().join("app.db");
        let live = seed(&target, 10);
        live.execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             INSERT INTO t (name, amount) SELECT 'only in the wal', 1 FROM t;",
        )
        .unwrap();
        let wal = dir.path().join("app.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);

        restore(&snap, &target, true).unwrap();
        // The connection still open sees the restored content, and so does a new one.
        let count = |c: &Connection| -> i64 {
            c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&live), 100);
        drop(live);
        let fresh = Connection::open(&target).unwrap();
        assert_eq!(count(&fresh), 100);
        let check: String = fresh
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        assert_eq!(dump(&target), dump(&backup));
    }

    #[test]
    fn a_journal_left_without_its_database_is_not_applied_to_the_restored_one() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("backup.db");
        drop(seed(&backup, 5));
        let snap = dir.path().join("snap.db");
        snapshot(&backup, &snap).unwrap();
        let target = dir.path().join("gone.db");
        std::fs::write(dir.path().join("gone.db-wal"), b"a stale log").unwrap();
        let err = restore(&snap, &target, false).unwrap_err();
        assert!(
            err.to_string()
                .contains("gone.db-wal exists without its database"),
            "{err}"
        );
        assert!(!target.exists());
    }
}
