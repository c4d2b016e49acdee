#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::runs::{RunStatus, Trigger};
use crate::schedule::{CatchUp, Schedule};
use crate::test_bench::{ts, Bench};

async fn backed_up(bench: &Bench) -> String {
    let job = bench.job(
        "notes",
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-01T00:00:00Z",
    );
    let (progress, _rx) = ProgressReporter::new(None);
    let run = bench
        .engine
        .run_job(
            &job,
            Trigger::Manual,
            ts("2026-11-23T10:00:00Z"),
            &progress,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    run.outcome.destinations[0].objects[0].clone()
}

async fn wait(ops: &Operations, id: &str) -> OperationView {
    tokio::time::timeout(std::time::Duration::from_secs(60), ops.finished(id))
        .await
        .expect("the operation did not finish within a minute")
        .expect("the operation is known")
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_and_both_downloads_report_and_write_whole_files() {
    let bench = Bench::new();
    let object = backed_up(&bench).await;
    let ops = Operations::new(bench.engine.clone());

    let verified = wait(
        &ops,
        &ops.start_verify(&bench.destination_id, &object).unwrap(),
    )
    .await;
    assert_eq!(
        verified.state,
        OperationState::Succeeded,
        "{:?}",
        verified.error
    );
    let summary = verified.summary.unwrap();
    assert!(summary.contains("matches its manifest"), "{summary}");
    // Not encrypted: no claim of authenticity.
    assert!(
        summary.contains("not encrypted") && !summary.contains("authentic ("),
        "{summary}"
    );

    let out = tempfile::tempdir().unwrap();
    let plain = out.path().join("notes.tar");
    // Not encrypted: anyone who can write to the folder could have made it, so its
    // data is only taken out by the user's explicit choice.
    let refused = wait(
        &ops,
        &ops.start_download(&bench.destination_id, &object, &plain, true, false)
            .unwrap(),
    )
    .await;
    assert_eq!(refused.state, OperationState::Failed);
    let error = refused.error.unwrap();
    assert_eq!(error.code, crate::ErrorCode::InvalidInput);
    assert!(
        error.message.contains("is not encrypted"),
        "{}",
        error.message
    );
    assert!(!plain.exists());
    let id = ops
        .start_download(&bench.destination_id, &object, &plain, true, true)
        .unwrap();
    let done = wait(&ops, &id).await;
    assert_eq!(done.state, OperationState::Succeeded, "{:?}", done.error);
    let tar = std::fs::read(&plain).unwrap();
    assert!(
        tar.windows(30)
            .any(|w| w == b"hello from the scheduler tests"),
        "the decrypted download holds the folder's file"
    );

    let raw = out.path().join("notes.dbk");
    let done = wait(
        &ops,
        &ops.start_download(&bench.destination_id, &object, &raw, false, false)
            .unwrap(),
    )
    .await;
    assert_eq!(done.state, OperationState::Succeeded, "{:?}", done.error);
    assert_eq!(
        std::fs::read(&raw).unwrap(),
        std::fs::read(bench.store_dir.join(&object)).unwrap(),
        "as stored means byte for byte"
    );

    // A copy "as stored" is checked too: a changed byte is caught, nothing is saved.
    let stored = bench.store_dir.join(&object);
    let good = std::fs::read(&stored).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(&stored, &bad).unwrap();
    let damaged = out.path().join("damaged.dbk");
    let failed = wait(
        &ops,
        &ops.start_download(&bench.destination_id, &object, &damaged, false, false)
            .unwrap(),
    )
    .await;
    assert_eq!(failed.state, OperationState::Failed);
    let error = failed.error.unwrap();
    assert_eq!(error.code, crate::ErrorCode::Corrupt, "{}", error.message);
    assert!(error.message.contains("SHA-256"), "{}", error.message);
    assert!(!damaged.exists());
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        2,
        "no partial file left"
    );
    std::fs::write(&stored, &good).unwrap();
    ops.dismiss(&failed.id);

    // An existing file is never overwritten, and nothing starts.
    let again = ops.start_download(&bench.destination_id, &object, &raw, false, false);
    assert!(again.unwrap_err().to_string().contains("already exists"));
    let kinds: Vec<OperationKind> = ops.list().iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OperationKind::Download,
            OperationKind::Download,
            OperationKind::Download,
            OperationKind::Verify
        ],
        "newest first"
    );
    ops.dismiss(&id);
    assert_eq!(ops.list().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_backup_fails_verification_and_names_the_problem() {
    let bench = Bench::new();
    let object = backed_up(&bench).await;
    let path = bench.store_dir.join(&object);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    let ops = Operations::new(bench.engine.clone());
    let done = wait(
        &ops,
        &ops.start_verify(&bench.destination_id, &object).unwrap(),
    )
    .await;
    assert_eq!(done.state, OperationState::Failed);
    let error = done.error.unwrap();
    assert_eq!(error.code, crate::ErrorCode::Corrupt, "{}", error.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_into_a_folder_source_puts_the_files_back() {
    let bench = Bench::new();
    let object = backed_up(&bench).await;
    let ops = Operations::new(bench.engine.clone());
    let out = tempfile::tempdir().unwrap();
    let into = out.path().join("restored");
    std::fs::create_dir(&into).unwrap();
    let request = RestoreRequest {
        source_id: bench.source_id.clone(),
        path: Some(into.display().to_string()),
        ..Default::default()
    };
    // checked_target refuses an existing path; a folder restore goes into a new one.
    assert!(ops
        .start_restore(&bench.destination_id, &object, request.clone())
        .is_err());
    let fresh = out.path().join("fresh");
    let request = RestoreRequest {
        path: Some(fresh.display().to_string()),
        ..request
    };
    // Unencrypted: refused until the user accepts it, and nothing is written.
    let refused = wait(
        &ops,
        &ops.start_restore(&bench.destination_id, &object, request.clone())
            .unwrap(),
    )
    .await;
    assert_eq!(refused.state, OperationState::Failed);
    assert!(
        refused.error.unwrap().message.contains("is not encrypted"),
        "refused"
    );
    assert!(!fresh.exists());
    let request = RestoreRequest {
        allow_unencrypted: true,
        ..request
    };
    let done = wait(
        &ops,
        &ops.start_restore(&bench.destination_id, &object, request)
            .unwrap(),
    )
    .await;
    assert_eq!(done.state, OperationState::Succeeded, "{:?}", done.error);
    assert_eq!(
        std::fs::read_to_string(fresh.join("notes.txt")).unwrap(),
        "hello from the scheduler tests\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_by_hand_refuses_locked_backups_and_removes_both_files() {
    let bench = Bench::new();
    let object = backed_up(&bench).await;
    let now = ts("2026-11-24T00:00:00Z");
    bench
        .engine
        .lock_stored_backup(&bench.destination_id, &object, true, now)
        .await
        .unwrap();
    let refused = bench
        .engine
        .delete_stored_backup(&bench.destination_id, &object, now)
        .await;
    assert!(refused.unwrap_err().to_string().contains("is locked"));
    assert!(
        bench.store_dir.join(&object).exists(),
        "a refused delete touches nothing"
    );

    bench
        .engine
        .lock_stored_backup(&bench.destination_id, &object, false, now)
        .await
        .unwrap();
    bench
        .engine
        .delete_stored_backup(&bench.destination_id, &object, now)
        .await
        .unwrap();
    assert!(!bench.store_dir.join(&object).exists());
    assert!(!bench.store_dir.join(format!("{object}.meta.json")).exists());
    assert!(bench
        .engine
        .list_backups(Some(&bench.destination_id), None)
        .unwrap()
        .is_empty());
    let gone = bench
        .engine
        .delete_stored_backup(&bench.destination_id, &object, now)
        .await;
    assert!(gone.unwrap_err().to_string().contains("no backup"));
}
