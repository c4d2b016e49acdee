#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A real engine on a temporary state, for the engine's own tests.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::jobs::{JobInput, JobTarget};
use crate::retention::Retention;
use crate::schedule::{CatchUp, Schedule};
use crate::sources::{FolderSettings, NewSource, SourceSettings};
use crate::{AppPaths, Engine, Keyring, NewLocalDestination};

/// The installation id of every bench: its tag, `be0c4a11`, is in the object names.
pub const INSTALLATION: &str = "be0c4a11e5e14c7c9d8f00112233aabb";

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A real engine on a temporary state, with a folder source and a local destination.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub store_dir: std::path::PathBuf,
    pub engine: Arc<Engine>,
    pub source_id: String,
    pub destination_id: String,
}

impl Bench {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let source = dir.path().join("source");
        let store_dir = dir.path().join("backups");
        std::fs::create_dir_all(&source).unwrap();
        std::fs::create_dir_all(&store_dir).unwrap();
        std::fs::write(
            source.join("notes.txt"),
            b"hello from the scheduler tests\n",
        )
        .unwrap();
        let engine = Engine::open(
            AppPaths::new(data.clone(), data.join("logs")),
            // Folder source, local destination: the only secrets are this bench's own
            // manifest and key-profile keys, in a keyring service of its own (tests run
            // in parallel).
            Keyring::new(format!(
                "dbackup-engine-tests-{}",
                uuid::Uuid::new_v4().simple()
            )),
        )
        .unwrap()
        .with_time_zone(TimeZone::get("Europe/Berlin").unwrap())
        .with_installation_id(INSTALLATION);
        let t0 = ts("2026-03-01T00:00:00Z");
        let source_id = engine
            .add_source(
                NewSource {
                    name: "notes".into(),
                    settings: SourceSettings::Folder(FolderSettings {
                        root: source,
                        include: vec![],
                        exclude: vec![],
                    }),
                    password: None,
                },
                t0,
            )
            .unwrap()
            .id;
        let destination_id = engine
            .add_local_destination(
                NewLocalDestination {
                    name: "disk".into(),
                    path: store_dir.display().to_string(),
                },
                t0,
            )
            .unwrap()
            .id;
        Self {
            _dir: dir,
            store_dir,
            engine: Arc::new(engine),
            source_id,
            destination_id,
        }
    }

    pub fn job(&self, name: &str, schedule: Schedule, catch_up: CatchUp, created: &str) -> String {
        self.job_with(name, schedule, catch_up, Retention::None, created)
    }

    pub fn job_with(
        &self,
        name: &str,
        schedule: Schedule,
        catch_up: CatchUp,
        retention: Retention,
        created: &str,
    ) -> String {
        self.engine
            .create_job(
                JobInput {
                    name: name.into(),
                    source_id: self.source_id.clone(),
                    targets: vec![JobTarget {
                        destination_id: self.destination_id.clone(),
                        retention,
                    }],
                    schedule,
                    catch_up,
                    compression: Default::default(),
                    level: 3,
                    key_profile_id: None,
                    notify_on_failure: true,
                    notify_on_success: false,
                    enabled: true,
                },
                ts(created),
            )
            .unwrap()
            .id
    }

    pub fn runs(&self, job_id: &str) -> Vec<crate::runs::RunView> {
        let mut runs = self.engine.history(Some(job_id), None, 500).unwrap().runs;
        runs.reverse();
        runs
    }

    pub fn stored(&self) -> Vec<String> {
        let mut names = Vec::new();
        for entry in walk(&self.store_dir) {
            names.push(entry);
        }
        names.sort();
        names
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out
}
