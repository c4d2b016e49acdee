use super::*;
use crate::runs::{RunStatus, Trigger};
use crate::schedule::{CatchUp, Schedule};
use crate::test_bench::{ts, Bench, INSTALLATION};
use crate::transfer::progress::ProgressReporter;
use tokio_util::sync::CancellationToken;

async fn run(bench: &Bench, job: &str, now: &str) -> crate::runs::RunView {
    let (progress, _rx) = ProgressReporter::new(None);
    bench
        .engine
        .run_job(
            job,
            Trigger::Manual,
            ts(now),
            &progress,
            &CancellationToken::new(),
        )
        .await
        .unwrap()
}

/// A bench with one manual job `name`, no retention.
fn manual_job(name: &str) -> (Bench, String) {
    let bench = Bench::new();
    let job = bench.job(
        name,
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-01T00:00:00Z",
    );
    (bench, job)
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_last_one_with_a_lock_leaves_exactly_the_locked_and_the_newest() {
    let bench = Bench::new();
    let job = bench.job_with(
        "notes",
        Schedule::Manual,
        CatchUp::Once,
        Retention::Last { count: 1 },
        "2026-11-01T00:00:00Z",
    );
    // Things retention must never touch: another job's backup, a file of the user's,
    // and data without a manifest (an upload that did not finish).
    let other = bench.job(
        "other",
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-01T00:00:00Z",
    );
    run(&bench, &other, "2026-11-20T00:00:00Z").await;
    std::fs::write(bench.store_dir.join("readme.txt"), b"mine").unwrap();
    std::fs::create_dir_all(bench.store_dir.join("notes")).unwrap();
    std::fs::write(
        bench.store_dir.join("notes/notes_2020-01-01T00-00-00Z.dbk"),
        b"x",
    )
    .unwrap();

    let first = run(&bench, &job, "2026-11-23T10:00:00Z").await;
    assert_eq!(first.status, RunStatus::Success, "{:?}", first.error);
    let first_object = first.outcome.destinations[0].objects[0].clone();
    let (_, destination) = bench
        .engine
        .open_destination(&bench.destination_id)
        .unwrap();
    bench
        .engine
        .set_backup_lock(
            &destination,
            Some(&bench.destination_id),
            &ObjectKey::new(first_object.clone()).unwrap(),
            true,
            ts("2026-11-23T11:00:00Z"),
        )
        .await
        .unwrap();
    let second = run(&bench, &job, "2026-11-24T10:00:00Z").await;
    let retention = second.outcome.destinations[0].retention.clone().unwrap();
    assert!(
        retention.deleted.is_empty(),
        "the locked one does not count: {retention:?}"
    );
    let third = run(&bench, &job, "2026-11-25T10:00:00Z").await;
    let retention = third.outcome.destinations[0].retention.clone().unwrap();
    assert_eq!(
        retention.deleted,
        ["notes/notes_2026-11-24T10-00-00Z_be0c4a11.dbk"]
    );
    assert_eq!(retention.error, None);

    assert_eq!(
        bench.stored(),
        [
            "notes_2020-01-01T00-00-00Z.dbk",
            "notes_2026-11-23T10-00-00Z_be0c4a11.dbk",
            "notes_2026-11-23T10-00-00Z_be0c4a11.dbk.meta.json",
            "notes_2026-11-25T10-00-00Z_be0c4a11.dbk",
            "notes_2026-11-25T10-00-00Z_be0c4a11.dbk.meta.json",
            "other_2026-11-20T00-00-00Z_be0c4a11.dbk",
            "other_2026-11-20T00-00-00Z_be0c4a11.dbk.meta.json",
            "readme.txt",
        ]
    );
    let known: Vec<(String, bool)> = bench
        .engine
        .list_backups(None, Some(&job))
        .unwrap()
        .into_iter()
        .map(|b| (b.object, b.locked))
        .collect();
    assert_eq!(
        known,
        [
            (
                "notes/notes_2026-11-25T10-00-00Z_be0c4a11.dbk".to_owned(),
                false
            ),
            (
                "notes/notes_2026-11-23T10-00-00Z_be0c4a11.dbk".to_owned(),
                true
            ),
        ]
    );

    // The preview says why, and agrees with what is left.
    let preview = bench
        .engine
        .retention_preview(&job, None, None, &[], ts("2026-11-25T12:00:00Z"))
        .await
        .unwrap();
    let reasons: Vec<(&str, bool, &str)> = preview[0]
        .decisions
        .iter()
        .map(|d| (d.object.as_str(), d.keep, d.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "notes/notes_2026-11-25T10-00-00Z_be0c4a11.dbk",
                true,
                "last 1 of 1"
            ),
            (
                "notes/notes_2026-11-23T10-00-00Z_be0c4a11.dbk",
                true,
                "locked"
            ),
        ]
    );

    // A new computer: an empty state that only knows the destination sees them again.
    let fresh = Bench::new();
    let (_, dest) = (
        (),
        fresh
            .engine
            .add_local_destination(
                crate::NewLocalDestination {
                    name: "old disk".into(),
                    path: bench.store_dir.display().to_string(),
                },
                ts("2026-11-26T00:00:00Z"),
            )
            .unwrap(),
    );
    let report = fresh
        .engine
        .rescan(&dest.id, ts("2026-11-26T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(report.backups, 3);
    assert_eq!(report.jobs, ["notes", "other"]);
    assert_eq!(
        report.without_manifest,
        ["notes/notes_2020-01-01T00-00-00Z.dbk", "readme.txt"]
    );
    let locked: Vec<String> = fresh
        .engine
        .list_backups(Some(&dest.id), None)
        .unwrap()
        .into_iter()
        .filter(|b| b.locked)
        .map(|b| b.object)
        .collect();
    assert_eq!(locked, ["notes/notes_2026-11-23T10-00-00Z_be0c4a11.dbk"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_job_still_owns_its_older_backups() {
    let bench = Bench::new();
    let job = bench.job_with(
        "notes",
        Schedule::Manual,
        CatchUp::Once,
        Retention::Last { count: 1 },
        "2026-11-01T00:00:00Z",
    );
    run(&bench, &job, "2026-11-23T10:00:00Z").await;
    let view = bench
        .engine
        .job_view(&job, ts("2026-11-24T00:00:00Z"))
        .unwrap();
    let mut input = crate::jobs::JobInput {
        name: "journal".into(),
        source_id: view.source_id.clone(),
        targets: vec![crate::jobs::JobTarget {
            destination_id: bench.destination_id.clone(),
            retention: Retention::Last { count: 1 },
        }],
        schedule: Schedule::Manual,
        catch_up: CatchUp::Once,
        compression: Default::default(),
        level: 3,
        key_profile_id: None,
        notify_on_failure: true,
        notify_on_success: false,
        enabled: true,
    };
    bench
        .engine
        .update_job(&job, input.clone(), ts("2026-11-24T00:00:00Z"))
        .unwrap();
    let renamed = run(&bench, &job, "2026-11-25T10:00:00Z").await;
    // The old name's backup was this job's: keep-last 1 removed it.
    assert_eq!(
        renamed.outcome.destinations[0]
            .retention
            .clone()
            .unwrap()
            .deleted,
        ["notes/notes_2026-11-23T10-00-00Z_be0c4a11.dbk"]
    );
    assert_eq!(
        bench.stored(),
        [
            "journal_2026-11-25T10-00-00Z_be0c4a11.dbk",
            "journal_2026-11-25T10-00-00Z_be0c4a11.dbk.meta.json"
        ]
    );
    input.targets.clear();
    assert!(bench
        .engine
        .update_job(&job, input, ts("2026-11-25T11:00:00Z"))
        .is_err());
}

/// A real destination with faults: reads that fail (retention must then delete
/// nothing), or one object the server refuses to delete (as a legal hold would).
#[derive(Debug)]
struct Faulty {
    inner: Arc<dyn Destination>,
    reads_fail: bool,
    refused: Option<String>,
}

impl Faulty {
    fn refusal(operation: String, code: &str, message: &str) -> dbackup_storage::StorageError {
        dbackup_storage::StorageError::Service {
            destination: "test".into(),
            operation,
            code: code.into(),
            message: message.into(),
        }
    }
}

#[async_trait::async_trait]
impl Destination for Faulty {
    async fn put(
        &self,
        key: &ObjectKey,
        body: bytes::Bytes,
    ) -> Result<(), dbackup_storage::StorageError> {
        self.inner.put(key, body).await
    }
    async fn start_upload(
        &self,
        key: &ObjectKey,
        size_hint: Option<u64>,
    ) -> Result<Box<dyn dbackup_storage::Upload>, dbackup_storage::StorageError> {
        self.inner.start_upload(key, size_hint).await
    }
    async fn get(&self, key: &ObjectKey) -> Result<bytes::Bytes, dbackup_storage::StorageError> {
        if self.reads_fail {
            return Err(Self::refusal(
                format!("get {key}"),
                "InternalError",
                "the test server failed",
            ));
        }
        self.inner.get(key).await
    }
    async fn get_range(
        &self,
        key: &ObjectKey,
        start: u64,
        end: u64,
    ) -> Result<bytes::Bytes, dbackup_storage::StorageError> {
        self.inner.get_range(key, start, end).await
    }
    async fn head(
        &self,
        key: &ObjectKey,
    ) -> Result<Option<ObjectInfo>, dbackup_storage::StorageError> {
        self.inner.head(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, dbackup_storage::StorageError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &ObjectKey) -> Result<(), dbackup_storage::StorageError> {
        if self.refused.as_deref() == Some(key.as_str()) {
            return Err(Self::refusal(
                format!("delete {key}"),
                "AccessDenied",
                "object is under legal hold",
            ));
        }
        self.inner.delete(key).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_listing_judges_nothing() {
    let (bench, job) = manual_job("notes");
    run(&bench, &job, "2026-11-23T10:00:00Z").await;
    let (_, real) = bench
        .engine
        .open_destination(&bench.destination_id)
        .unwrap();
    let failing: Arc<dyn Destination> = Arc::new(Faulty {
        inner: real.clone(),
        reads_fail: true,
        refused: None,
    });
    let err = survey(&failing).await.unwrap_err();
    assert!(err.to_string().contains("the test server failed"), "{err}");
    // And an empty destination is simply empty.
    let empty_dir = tempfile::tempdir().unwrap();
    let empty: Arc<dyn Destination> = Arc::new(dbackup_storage::LocalFolder::new(empty_dir.path()));
    let (found, bare) = survey(&empty).await.unwrap();
    assert!(found.is_empty() && bare.is_empty());
    assert_eq!(survey(&real).await.unwrap().0.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_within_one_second_keep_both_backups() {
    let (bench, job) = manual_job("notes");
    run(&bench, &job, "2026-11-23T10:00:00.100Z").await;
    let second = run(&bench, &job, "2026-11-23T10:00:00.900Z").await;
    assert_eq!(
        second.outcome.destinations[0].objects,
        ["notes/notes_2026-11-23T10-00-00Z_be0c4a11-2.dbk"]
    );
    assert_eq!(
        bench.stored(),
        [
            "notes_2026-11-23T10-00-00Z_be0c4a11-2.dbk",
            "notes_2026-11-23T10-00-00Z_be0c4a11-2.dbk.meta.json",
            "notes_2026-11-23T10-00-00Z_be0c4a11.dbk",
            "notes_2026-11-23T10-00-00Z_be0c4a11.dbk.meta.json",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_job_keeps_its_backups_unless_asked_and_never_the_locked_ones() {
    let bench = Bench::new();
    let created = "2026-11-01T00:00:00Z";
    let kept = bench.job("kept", Schedule::Manual, CatchUp::Once, created);
    let gone = bench.job("gone", Schedule::Manual, CatchUp::Once, created);
    let kept_run = run(&bench, &kept, "2026-11-20T00:00:00Z").await;
    let locked = run(&bench, &gone, "2026-11-21T00:00:00Z").await;
    let plain = run(&bench, &gone, "2026-11-22T00:00:00Z").await;
    let object = |r: &crate::runs::RunView| r.outcome.destinations[0].objects[0].clone();
    let locked_object = object(&locked);
    bench
        .engine
        .lock_stored_backup(
            &bench.destination_id,
            &locked_object,
            true,
            ts("2026-11-23T00:00:00Z"),
        )
        .await
        .unwrap();
    let now = ts("2026-11-24T00:00:00Z");

    // By default the backups stay, in the catalog and on disk.
    let report = bench
        .engine
        .remove_job_with_backups(&kept, false, now)
        .await
        .unwrap();
    assert_eq!(report, JobRemoved::default());
    assert!(bench.store_dir.join(object(&kept_run)).exists());
    assert_eq!(
        bench.engine.list_backups(None, Some(&kept)).unwrap().len(),
        1
    );

    let report = bench
        .engine
        .remove_job_with_backups(&gone, true, now)
        .await
        .unwrap();
    assert_eq!(report.deleted_backups, 1);
    assert_eq!(report.kept_locked, vec![locked_object.clone()]);
    assert!(!bench.store_dir.join(object(&plain)).exists());
    assert!(bench.store_dir.join(&locked_object).exists());
    assert!(bench.engine.find_job("gone").is_err());
    // The other job's backup was not touched.
    assert!(bench.store_dir.join(object(&kept_run)).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_backups_are_listed_apart() {
    let (bench, job) = manual_job("notes");
    let backup = run(&bench, &job, "2026-11-20T00:00:00Z").await;
    std::fs::write(bench.store_dir.join("readme.txt"), b"mine").unwrap();
    std::fs::create_dir_all(bench.store_dir.join("notes")).unwrap();
    // Data without a manifest: an upload that never finished, or another tool's file.
    std::fs::write(bench.store_dir.join("notes/stray.dbk"), b"x").unwrap();
    let others = bench
        .engine
        .other_files(&bench.destination_id)
        .await
        .unwrap();
    let keys: Vec<&str> = others.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["notes/stray.dbk", "readme.txt"]);
    assert_eq!(others[1].size, 4);
    let object = &backup.outcome.destinations[0].objects[0];
    assert!(!keys.contains(&object.as_str()));
}

#[test]
fn the_server_column_keeps_the_version_number_only() {
    let label = |m: serde_json::Value| super::engine_label(&m);
    assert_eq!(
        label(
            serde_json::json!({"dbEngine": "PostgreSQL", "dbVersion": "15.18 (Debian 15.18-0+deb12u1)"})
        ),
        Some("PostgreSQL 15.18".to_owned())
    );
    assert_eq!(
        label(serde_json::json!({"dbEngine": "MariaDB", "dbVersion": ""})),
        Some("MariaDB".to_owned())
    );
    assert_eq!(label(serde_json::json!({"sourceKind": "folder"})), None);
}

/// Another computer that imported the same configuration (same job ids).
const OTHER_COMPUTER: &str = "c0ffee00aaaa4bbbbccccddddeeeeffff";

/// Stores a backup of `database` for `job` as `installation` made it at `at` (a
/// server source makes one per database per run), its manifest signed with this
/// computer's key (unsigned for `installation: None`, as older versions wrote them).
async fn store_backup(
    bench: &Bench,
    job: &str,
    database: Option<&str>,
    installation: Option<&str>,
    at: &str,
) -> String {
    let key = installation.and_then(|_| {
        bench
            .engine
            .signing_key(&dbackup_archive::EncryptionSetting::None)
    });
    store_signed(
        bench,
        job,
        database,
        installation,
        at,
        dbackup_archive::EncryptionSetting::None,
        key,
    )
    .await
}

/// As [`store_backup`], with the encryption and signing key given.
async fn store_signed(
    bench: &Bench,
    job: &str,
    database: Option<&str>,
    installation: Option<&str>,
    at: &str,
    encryption: dbackup_archive::EncryptionSetting,
    manifest_key: Option<crate::manifest::auth::ManifestKey>,
) -> String {
    let (name, destination) = bench
        .engine
        .open_destination(&bench.destination_id)
        .unwrap();
    let mut metadata = dbackup_archive::ArchiveMetadata::new(ts(at));
    metadata.job_id = Some(job.to_owned());
    metadata.job_name = Some("notes".into());
    metadata.source_kind = Some("postgres".into());
    metadata.database = database.map(str::to_owned);
    let object = crate::source_run::object_name("notes", database, installation, ts(at)).unwrap();
    let (progress, _rx) = ProgressReporter::new(None);
    let report = crate::backup::run_backup(
        std::io::Cursor::new(b"a dump".to_vec()),
        crate::backup::BackupPlan {
            object,
            settings: dbackup_archive::WriterSettings::new(encryption, metadata),
            destinations: vec![crate::backup::NamedDestination { name, destination }],
            trigger: "manual".into(),
            installation_id: installation.map(str::to_owned),
            manifest_key,
            size_hint: None,
        },
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    report.object
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn keep_last(bench: &Bench, count: u32) -> String {
    bench.job_with(
        "notes",
        Schedule::Manual,
        CatchUp::Once,
        Retention::Last { count },
        "2026-11-01T00:00:00Z",
    )
}

/// One backup of this computer's on each of [`DAYS`], oldest first.
async fn one_a_day(bench: &Bench, job: &str) -> Vec<String> {
    let mut made = Vec::new();
    for day in DAYS {
        made.push(store_backup(bench, job, None, Some(INSTALLATION), day).await);
    }
    made
}

const DAYS: [&str; 3] = [
    "2026-11-20T00:00:00Z",
    "2026-11-21T00:00:00Z",
    "2026-11-22T00:00:00Z",
];

#[tokio::test(flavor = "multi_thread")]
async fn retention_judges_each_database_on_its_own() {
    let bench = Bench::new();
    let job = keep_last(&bench, 2);
    let mut made = Vec::new();
    for day in DAYS {
        for db in ["shop", "crm"] {
            made.push(store_backup(&bench, &job, Some(db), Some(INSTALLATION), day).await);
        }
    }
    let now = ts("2026-11-23T00:00:00Z");
    let preview = bench
        .engine
        .retention_preview(&job, None, None, &[], now)
        .await
        .unwrap();
    let series: Vec<(&str, bool)> = preview[0]
        .decisions
        .iter()
        .map(|d| (d.series.as_str(), d.keep))
        .collect();
    assert_eq!(
        series,
        [
            ("database crm, from this computer", true),
            ("database crm, from this computer", true),
            ("database crm, from this computer", false),
            ("database shop, from this computer", true),
            ("database shop, from this computer", true),
            ("database shop, from this computer", false),
        ]
    );
    // Keep-last 2 keeps two of each database, not the newest run's two backups.
    let reports = bench
        .engine
        .apply_retention(&job, None, None, &[], now)
        .await
        .unwrap();
    assert_eq!(
        sorted(reports[0].1.deleted.clone()),
        sorted(made[..2].to_vec())
    );
    assert_eq!(reports[0].1.kept, 4);
    for object in &made[2..] {
        assert!(bench.store_dir.join(object).exists(), "{object}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_judges_only_the_series_it_added_to() {
    let bench = Bench::new();
    let job = keep_last(&bench, 1);
    let mut shop = Vec::new();
    let mut crm = Vec::new();
    for day in DAYS {
        shop.push(store_backup(&bench, &job, Some("shop"), Some(INSTALLATION), day).await);
        crm.push(store_backup(&bench, &job, Some("crm"), Some(INSTALLATION), day).await);
    }
    // A run in which crm failed stored only shop's newest backup.
    let newest = [shop[2].clone()];
    let loaded = bench.engine.load_job(&job).unwrap();
    let report = bench
        .engine
        .apply_retention_to(
            &loaded,
            &bench.destination_id,
            RetentionPass {
                retention: Retention::Last { count: 1 },
                now: ts("2026-11-23T00:00:00Z"),
                run_id: None,
                which: Judge::SeriesOf(&newest),
                just_stored: &newest,
            },
        )
        .await
        .unwrap();
    assert_eq!(sorted(report.deleted), sorted(shop[..2].to_vec()));
    for object in &crm {
        assert!(bench.store_dir.join(object).exists(), "{object}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_this_computers_backups_are_judged_unless_another_is_adopted() {
    let bench = Bench::new();
    let job = keep_last(&bench, 1);
    // Encrypted with a key both computers hold: either can check the other's manifests.
    let profile = bench
        .engine
        .create_key_profile("shared", ts("2026-11-01T00:00:00Z"))
        .unwrap();
    let key = bench.engine.key_profile_key(&profile.id).unwrap();
    let signed = |installation: Option<&'static str>, day: &'static str| {
        let key = key.clone();
        let bench = &bench;
        let job = job.clone();
        async move {
            let signing = crate::manifest::auth::ManifestKey::for_archive_key(&key);
            store_signed(
                bench,
                &job,
                None,
                installation,
                day,
                dbackup_archive::EncryptionSetting::KeyProfile(key),
                Some(signing),
            )
            .await
        }
    };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut unrecorded = Vec::new();
    for day in &DAYS[..2] {
        ours.push(signed(Some(INSTALLATION), day).await);
        theirs.push(signed(Some(OTHER_COMPUTER), day).await);
        unrecorded.push(signed(None, day).await);
    }
    // Same job, same second, two computers: two objects.
    assert_ne!(ours[0], theirs[0]);
    let now = ts("2026-11-23T00:00:00Z");
    let preview = bench
        .engine
        .retention_preview(&job, None, None, &[], now)
        .await
        .unwrap();
    let deleted: Vec<&str> = preview[0]
        .decisions
        .iter()
        .filter(|d| !d.keep)
        .map(|d| d.object.as_str())
        .collect();
    assert_eq!(deleted, [ours[0].as_str()]);
    let reason = |object: &str| {
        preview[0]
            .decisions
            .iter()
            .find(|d| d.object == object)
            .map(|d| (d.series.clone(), d.reason.clone()))
            .unwrap()
    };
    let (series, why) = reason(&theirs[0]);
    assert_eq!(series, "postgres, from computer c0ffee00");
    assert!(why.contains("--adopt c0ffee00"), "{why}");
    let (_, why) = reason(&unrecorded[0]);
    assert!(why.contains("--adopt unrecorded"), "{why}");

    let applied = bench
        .engine
        .apply_retention(&job, None, None, &[], now)
        .await
        .unwrap();
    assert_eq!(applied[0].1.deleted, [ours[0].clone()]);
    // Adopting the other computer's series judges it (on its own).
    let applied = bench
        .engine
        .apply_retention(&job, None, None, &["c0ffee00".to_owned()], now)
        .await
        .unwrap();
    assert_eq!(applied[0].1.deleted, [theirs[0].clone()]);
    let applied = bench
        .engine
        .apply_retention(&job, None, None, &[ADOPT_UNRECORDED.to_owned()], now)
        .await
        .unwrap();
    assert_eq!(applied[0].1.deleted, [unrecorded[0].clone()]);
    for object in [&ours[1], &theirs[1], &unrecorded[1]] {
        assert!(bench.store_dir.join(object).exists(), "{object}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn older_backups_this_computers_runs_stored_are_still_its_own() {
    let bench = Bench::new();
    let job = keep_last(&bench, 1);
    // Made before manifests recorded an installation: the catalog remembers the run.
    let mut legacy = Vec::new();
    for day in &DAYS[..2] {
        let object = store_backup(&bench, &job, None, None, day).await;
        let (_, destination) = bench
            .engine
            .open_destination(&bench.destination_id)
            .unwrap();
        let key = ObjectKey::new(object.clone()).unwrap();
        let manifest = Manifest::parse(
            &destination
                .get(&Manifest::key_for(&key).unwrap())
                .await
                .unwrap(),
        )
        .unwrap();
        let record = catalog_record(
            &bench.destination_id,
            &object,
            &manifest,
            manifest.stored_size,
            Some("an-old-run"),
            ts(day),
        );
        bench.engine.store().upsert_backup(&record).unwrap();
        legacy.push(object);
    }
    let applied = bench
        .engine
        .apply_retention(&job, None, None, &[], ts("2026-11-23T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(applied[0].1.deleted, [legacy[0].clone()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_deletion_does_not_stop_the_others_and_each_is_reported() {
    let bench = Bench::new();
    let job = keep_last(&bench, 1);
    let made = one_a_day(&bench, &job).await;
    let (_, real) = bench
        .engine
        .open_destination(&bench.destination_id)
        .unwrap();
    // Newest first: the refused one is judged before the other old one.
    let refusing: Arc<dyn Destination> = Arc::new(Faulty {
        inner: real,
        reads_fail: false,
        refused: Some(made[1].clone()),
    });
    let loaded = bench.engine.load_job(&job).unwrap();
    let report = bench
        .engine
        .apply_retention_on(
            &loaded,
            &bench.destination_id,
            &refusing,
            RetentionPass {
                retention: Retention::Last { count: 1 },
                now: ts("2026-11-23T00:00:00Z"),
                run_id: None,
                which: Judge::All { adopt: &[] },
                just_stored: &[],
            },
        )
        .await
        .unwrap();
    assert_eq!(report.deleted, [made[0].clone()]);
    assert_eq!(report.kept, 2);
    let error = report.error.unwrap();
    assert!(
        error.contains(&made[1]) && error.contains("legal hold"),
        "{error}"
    );
    assert!(bench.store_dir.join(&made[1]).exists());
    assert!(!bench.store_dir.join(&made[0]).exists());
}

#[test]
fn two_jobs_cannot_share_a_folder() {
    let bench = Bench::new();
    let orders = bench.job(
        "Orders DB",
        Schedule::Manual,
        CatchUp::Once,
        "2026-11-01T00:00:00Z",
    );
    for clash in ["Orders-DB", "orders db", "Orders/DB."] {
        let mut input = crate::jobs::JobInput {
            name: clash.into(),
            source_id: bench.source_id.clone(),
            targets: vec![crate::jobs::JobTarget {
                destination_id: bench.destination_id.clone(),
                retention: Retention::None,
            }],
            schedule: Schedule::Manual,
            catch_up: CatchUp::Once,
            compression: Default::default(),
            level: 3,
            key_profile_id: None,
            notify_on_failure: true,
            notify_on_success: false,
            enabled: true,
        };
        let err = bench
            .engine
            .create_job(input.clone(), ts("2026-11-02T00:00:00Z"))
            .unwrap_err();
        assert_eq!(err.field(), Some("name"), "{clash}: {err}");
        assert!(
            err.to_string()
                .contains("already keeps its backups in the folder"),
            "{err}"
        );
        // The job itself may take a name of its own folder.
        input.name = clash.into();
        bench
            .engine
            .update_job(&orders, input, ts("2026-11-02T00:00:00Z"))
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_stored_nothing_is_failed_not_partial() {
    let (bench, job) = manual_job("notes");
    // The only destination takes the upload and refuses it at the end (a name taken
    // meanwhile): the archive was made, nothing was stored.
    std::fs::create_dir_all(
        bench
            .store_dir
            .join("notes/notes_2026-11-23T10-00-00Z_be0c4a11.dbk/taken"),
    )
    .unwrap();
    let failed = run(&bench, &job, "2026-11-23T10:00:00Z").await;
    assert_eq!(failed.status, RunStatus::Failed, "{failed:?}");
    assert_eq!(failed.bytes_out, 0, "nothing was stored");
    assert!(!failed.outcome.destinations[0].stored);
    assert!(failed.error.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_manifest_keeps_its_backup_and_costs_no_other() {
    let bench = Bench::new();
    let job = keep_last(&bench, 1);
    let made = one_a_day(&bench, &job).await;
    let (_, destination) = bench
        .engine
        .open_destination(&bench.destination_id)
        .unwrap();
    // The oldest is locked through DBackup (its manifest re-signed)...
    bench
        .engine
        .set_backup_lock(
            &destination,
            Some(&bench.destination_id),
            &ObjectKey::new(made[0].clone()).unwrap(),
            true,
            ts("2026-11-22T12:00:00Z"),
        )
        .await
        .unwrap();
    // ...then someone with write access unlocks it, and makes the newest look old.
    let forge = |object: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let path = bench.store_dir.join(format!("{object}.meta.json"));
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        change(&mut manifest);
        std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    };
    forge(&made[0], &|m| m["locked"] = false.into());
    forge(&made[2], &|m| {
        m["createdAt"] = "2026-10-01T00:00:00Z".into()
    });

    let now = ts("2026-11-23T00:00:00Z");
    let preview = bench
        .engine
        .retention_preview(&job, None, None, &[], now)
        .await
        .unwrap();
    for forged in [&made[0], &made[2]] {
        let d = preview[0]
            .decisions
            .iter()
            .find(|d| &d.object == forged)
            .unwrap();
        assert!(d.keep && d.reason.contains("does not check"), "{d:?}");
    }
    let applied = bench
        .engine
        .apply_retention(&job, None, None, &[], now)
        .await
        .unwrap();
    // Only the genuine middle one was judged: it is the last 1 of its series, kept.
    assert!(applied[0].1.deleted.is_empty(), "{:?}", applied[0].1);
    for object in &made {
        assert!(bench.store_dir.join(object).exists(), "{object}");
    }
    // Locking a forged manifest does not sign it: it stays unchecked.
    bench
        .engine
        .set_backup_lock(
            &destination,
            Some(&bench.destination_id),
            &ObjectKey::new(made[2].clone()).unwrap(),
            true,
            now,
        )
        .await
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bench.store_dir.join(format!("{}.meta.json", made[2]))).unwrap(),
    )
    .unwrap();
    assert!(manifest.get("auth").is_none(), "{manifest}");
}
