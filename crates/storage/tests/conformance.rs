//! One behaviour suite for every Destination backend: the local folder always, and
//! S3 against the real test server (Ceph radosgw) that tests/s3/start-radosgw.sh
//! starts. When DBACKUP_TEST_S3_REQUIRED=1 (as in CI) a missing server fails the
//! tests instead of skipping them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use dbackup_storage::{
    Destination, LocalFolder, ObjectKey, S3Credentials, S3Destination, S3Settings, StorageError,
};

fn key(s: &str) -> ObjectKey {
    ObjectKey::new(s).unwrap()
}

/// Deterministic, poorly compressible bytes.
fn data(len: usize, seed: u64) -> Bytes {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

async fn conformance(dest: &dyn Destination) {
    // Empty to start with.
    assert!(dest.list("").await.unwrap().is_empty());
    assert!(dest.head(&key("job/missing")).await.unwrap().is_none());
    assert!(matches!(
        dest.get(&key("job/missing")).await,
        Err(StorageError::NotFound { .. })
    ));

    // put / get / head / range
    let body = data(100_000, 1);
    dest.put(&key("job/a.dbk"), body.clone()).await.unwrap();
    assert_eq!(dest.get(&key("job/a.dbk")).await.unwrap(), body);
    assert_eq!(
        dest.head(&key("job/a.dbk")).await.unwrap().unwrap().size,
        100_000
    );
    assert_eq!(
        dest.get_range(&key("job/a.dbk"), 10, 20).await.unwrap(),
        body.slice(10..20)
    );
    // Overwrite replaces.
    dest.put(&key("job/a.dbk"), Bytes::from_static(b"v2"))
        .await
        .unwrap();
    assert_eq!(
        dest.get(&key("job/a.dbk")).await.unwrap(),
        Bytes::from_static(b"v2")
    );

    // Streamed upload in uneven chunks, larger than one part: nothing visible until complete.
    let big = data(12 * 1024 * 1024 + 12345, 2);
    let mut upload = dest.start_upload(&key("job/big.dbk"), None).await.unwrap();
    for chunk in big.chunks(777_777) {
        upload.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    assert!(dest.head(&key("job/big.dbk")).await.unwrap().is_none());
    let info = upload.complete().await.unwrap();
    assert_eq!(info.size, big.len() as u64);
    assert_eq!(dest.get(&key("job/big.dbk")).await.unwrap(), big);

    // An aborted upload leaves nothing behind.
    let mut upload = dest
        .start_upload(&key("job/aborted.dbk"), None)
        .await
        .unwrap();
    upload.write(data(11 * 1024 * 1024, 3)).await.unwrap();
    upload.abort().await.unwrap();
    assert!(dest.head(&key("job/aborted.dbk")).await.unwrap().is_none());

    // An empty upload is a real, empty object.
    let upload = dest.start_upload(&key("other/empty"), None).await.unwrap();
    assert_eq!(upload.complete().await.unwrap().size, 0);

    // Listing: sorted, prefix-filtered, without temp files.
    let all: Vec<String> = dest
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.to_string())
        .collect();
    assert_eq!(all, ["job/a.dbk", "job/big.dbk", "other/empty"]);
    let job: Vec<String> = dest
        .list("job/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.to_string())
        .collect();
    assert_eq!(job, ["job/a.dbk", "job/big.dbk"]);

    // Delete, and deleting again is fine.
    for k in ["job/a.dbk", "job/big.dbk", "other/empty"] {
        dest.delete(&key(k)).await.unwrap();
        dest.delete(&key(k)).await.unwrap();
    }
    assert!(dest.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn local_folder_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance(&LocalFolder::new(dir.path())).await;
    // Nothing left over: no temp files from the aborted upload.
    let leftovers: Vec<_> = walk(dir.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An aborted first backup of a job leaves not even its folders; others stay.
    let dest = LocalFolder::new(dir.path());
    std::fs::create_dir_all(dir.path().join("kept")).unwrap();
    let upload = dest
        .start_upload(&key("fresh/nested/x.dbk"), None)
        .await
        .unwrap();
    assert!(dir.path().join("fresh/nested").is_dir());
    upload.abort().await.unwrap();
    assert!(!dir.path().join("fresh").exists());
    assert!(dir.path().join("kept").is_dir() && dir.path().is_dir());
}

#[tokio::test]
async fn a_local_backup_never_replaces_another_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dest = LocalFolder::new(dir.path());
    let name = key("job/job_2026-12-06T10-00-00Z.dbk");
    let mut first = dest.start_upload(&name, None).await.unwrap();
    first
        .write(Bytes::from_static(b"the good backup"))
        .await
        .unwrap();
    // A second writer of the same name (another computer, a clock that repeats a
    // second) finishes after the first: it must not replace it.
    let mut second = dest.start_upload(&name, None).await.unwrap();
    second.write(Bytes::from_static(b"another")).await.unwrap();
    first.complete().await.unwrap();
    let err = second.complete().await.unwrap_err();
    assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("never replaces"), "{err}");
    let path = dir.path().join("job/job_2026-12-06T10-00-00Z.dbk");
    assert_eq!(std::fs::read(&path).unwrap(), b"the good backup");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600,
        "backups hold databases: this user's alone"
    );
    assert_eq!(walk(dir.path()), [path], "no temp file left");
    // A manifest is rewritten in place when its lock changes.
    let manifest = key("job/job_2026-12-06T10-00-00Z.dbk.meta.json");
    dest.put(&manifest, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    dest.put(&manifest, Bytes::from_static(b"{\"locked\":true}"))
        .await
        .unwrap();
    assert_eq!(
        dest.get(&manifest).await.unwrap(),
        Bytes::from_static(b"{\"locked\":true}")
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

struct TestServer {
    endpoint: String,
    access_key: String,
    secret_key: String,
}

fn test_server() -> Option<TestServer> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    match (
        var("DBACKUP_TEST_S3_ENDPOINT"),
        var("DBACKUP_TEST_S3_ACCESS_KEY"),
        var("DBACKUP_TEST_S3_SECRET_KEY"),
    ) {
        (Some(endpoint), Some(access_key), Some(secret_key)) => Some(TestServer {
            endpoint,
            access_key,
            secret_key,
        }),
        _ if var("DBACKUP_TEST_S3_REQUIRED").as_deref() == Some("1") => panic!(
            "DBACKUP_TEST_S3_REQUIRED=1 but DBACKUP_TEST_S3_ENDPOINT/ACCESS_KEY/SECRET_KEY are not set: \
             start the server with `eval \"$(tests/s3/start-radosgw.sh)\"`"
        ),
        _ => {
            eprintln!("SKIPPED: no S3 test server (run tests/s3/start-radosgw.sh, or scripts/test)");
            None
        }
    }
}

fn settings(server: &TestServer, bucket: &str, prefix: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(server.endpoint.clone()),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        prefix: prefix.into(),
        force_path_style: true,
        credentials: S3Credentials::keys(&server.access_key, &server.secret_key),
        storage_class: None,
        part_size: 5 * 1024 * 1024,
        equal_parts: false,
        parts_in_flight: 2,
        sse: None,
        accelerate: false,
        answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
    }
}

async fn fresh_bucket(server: &TestServer, name: &str) -> String {
    let bucket = format!("{name}-{}", uuid_like());
    let dest = S3Destination::new(settings(server, &bucket, ""));
    dest.client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    bucket
}

fn uuid_like() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", t, std::process::id())
}

#[tokio::test]
async fn s3_conforms_with_a_prefix() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "conf").await;
    let dest = S3Destination::new(settings(&server, &bucket, "backups/laptop/"));
    conformance(&dest).await;
    // The prefix is honoured: an object outside it is invisible to the destination.
    let root = S3Destination::new(settings(&server, &bucket, ""));
    root.put(&key("outside"), Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert!(dest.list("").await.unwrap().is_empty());
    dest.put(&key("inside"), Bytes::from_static(b"y"))
        .await
        .unwrap();
    let keys: Vec<String> = root
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.to_string())
        .collect();
    assert_eq!(keys, ["backups/laptop/inside", "outside"]);
    // The aborted multipart upload left no incomplete upload behind.
    let uploads = root
        .client()
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty(), "{:?}", uploads.uploads());
}

#[tokio::test]
async fn s3_storage_class_applies_to_uploads() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "class").await;
    let mut s = settings(&server, &bucket, "");
    s.storage_class = Some("STANDARD_IA".into());
    let dest = S3Destination::new(s);
    let upload = dest.start_upload(&key("a"), None).await.unwrap();
    upload.complete().await.unwrap();
    let info = dest.head(&key("a")).await.unwrap().unwrap();
    assert_eq!(info.storage_class.as_deref(), Some("STANDARD_IA"));
}

#[tokio::test]
async fn s3_errors_are_mapped_to_what_users_can_act_on() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "errs").await;

    let mut wrong_secret = settings(&server, &bucket, "");
    wrong_secret.credentials = S3Credentials::keys(&server.access_key, "not-the-secret");
    let err = S3Destination::new(wrong_secret).list("").await.unwrap_err();
    assert!(
        matches!(err, StorageError::SignatureDoesNotMatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Secret Access Key is wrong"));
    assert!(!err.to_string().contains("not-the-secret"));

    let mut unknown_key = settings(&server, &bucket, "");
    unknown_key.credentials = S3Credentials::keys("AKIANOSUCHKEY0000000", &server.secret_key);
    let err = S3Destination::new(unknown_key).list("").await.unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidAccessKeyId { .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("The AWS Access Key Id you provided does not exist"));
    // With the page's three remedies.
    for remedy in [
        "Regenerate the access key",
        "leading or trailing spaces",
        "the key is active (not disabled)",
    ] {
        assert!(
            err.to_string().contains(remedy),
            "{remedy:?} missing from {err}"
        );
    }

    let missing = settings(&server, "no-such-bucket-dbackup", "");
    let err = S3Destination::new(missing).list("").await.unwrap_err();
    assert!(matches!(err, StorageError::NoSuchBucket { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("The specified bucket does not exist"));
    // With the page's three checks: the name, the region, the account.
    for check in [
        "it is case-sensitive",
        "the region",
        "the bucket belongs to this account",
    ] {
        assert!(
            err.to_string().contains(check),
            "{check:?} missing from {err}"
        );
    }

    // Keys are sent trimmed: pasted spaces do not break authentication.
    let mut spaced = settings(&server, &bucket, "");
    spaced.credentials =
        S3Credentials::keys(format!("  {}  ", server.access_key), &server.secret_key);
    S3Destination::new(spaced).list("").await.unwrap();
}

#[tokio::test]
async fn unreachable_endpoint_says_so() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer {
        endpoint: format!("http://127.0.0.1:{port}"),
        access_key: "x".into(),
        secret_key: "y".into(),
    };
    let err = S3Destination::new(settings(&server, "bucket", ""))
        .list("")
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn s3_connection_test_reports_each_action_and_the_bucket() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "probe").await;
    let dest = S3Destination::new(settings(&server, &bucket, "team/db/"));
    // An upload left by a "crash": started, never completed.
    let started = dest
        .client()
        .create_multipart_upload()
        .bucket(&bucket)
        .key("team/db/crashed.dbk")
        .send()
        .await
        .unwrap();
    assert!(started.upload_id().is_some());

    let now = jiff::Timestamp::now();
    let report = dest.probe(now).await;
    assert!(report.all_ok(), "{report:#?}");
    assert!(report.answered);
    let actions: Vec<_> = report.actions.iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        [
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:DeleteObject"
        ]
    );
    assert_eq!(report.versioning.as_deref(), Some("Disabled"));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("versioning is off")),
        "{:?}",
        report.warnings
    );
    assert!(report
        .iam_policy
        .contains(&format!("arn:aws:s3:::{bucket}/team/db/*")));
    // A fresh incomplete upload is not stale yet; the probe left no object behind.
    assert_eq!(report.stale_uploads_aborted, 0);
    assert!(dest.list("").await.unwrap().is_empty());
    // A day and a bit later it is, and it is aborted.
    let later = now + jiff::SignedDuration::from_hours(25);
    assert_eq!(dest.abort_stale_uploads(later).await.unwrap(), 1);
    let left = dest
        .client()
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(left.uploads().is_empty());

    // Another user with no rights on this bucket: every action denied, by name.
    let (Ok(access2), Ok(secret2)) = (
        std::env::var("DBACKUP_TEST_S3_USER2_ACCESS_KEY"),
        std::env::var("DBACKUP_TEST_S3_USER2_SECRET_KEY"),
    ) else {
        panic!("the test server should export DBACKUP_TEST_S3_USER2_ACCESS_KEY/SECRET_KEY");
    };
    let mut other = settings(&server, &bucket, "team/db/");
    other.credentials = S3Credentials::keys(access2, secret2);
    let report = S3Destination::new(other).probe(now).await;
    assert!(!report.all_ok());
    let put = &report.actions[0];
    assert_eq!(
        put.outcome,
        dbackup_storage::probe::Outcome::Denied,
        "{report:#?}"
    );
    assert!(
        put.detail.as_deref().unwrap().contains("s3:PutObject"),
        "{put:?}"
    );
    assert_eq!(
        report.actions[1].outcome,
        dbackup_storage::probe::Outcome::Skipped
    );
    assert_eq!(
        report.actions[2].outcome,
        dbackup_storage::probe::Outcome::Denied
    );
}

#[tokio::test]
async fn s3_listing_follows_continuation_tokens_past_1000_keys() {
    use futures::StreamExt;
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "many").await;
    let dest = S3Destination::new(settings(&server, &bucket, "p/"));
    let total = 1234;
    let puts = futures::stream::iter(0..total)
        .map(|i| {
            let dest = &dest;
            async move {
                dest.put(&key(&format!("job/b{i:05}.dbk")), Bytes::from_static(b"x"))
                    .await
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert!(puts.iter().all(Result::is_ok));
    let listed = dest.list("job/").await.unwrap();
    assert_eq!(listed.len(), total);
    assert_eq!(listed[0].key.as_str(), "job/b00000.dbk");
    assert_eq!(
        listed[total - 1].key.as_str(),
        format!("job/b{:05}.dbk", total - 1)
    );
}

/// A TCP proxy in front of the S3 server that resets the first `resets` connections
/// once they have carried `after` bytes towards the server, as a flaky network does in
/// the middle of an upload. Returns its address and the count of resets done.
async fn resetting_proxy(
    upstream: std::net::SocketAddr,
    resets: usize,
    after: usize,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let done = std::sync::Arc::new(AtomicUsize::new(0));
    let count = done.clone();
    tokio::spawn(async move {
        let mut accepted = 0usize;
        while let Ok((mut client, _)) = listener.accept().await {
            accepted += 1;
            let reset_this = accepted <= resets;
            let done = done.clone();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if !reset_this {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    return;
                }
                let (mut server_read, mut server_write) = server.split();
                let (mut client_read, mut client_write) = client.split();
                let upward = async {
                    let mut sent = 0;
                    let mut buf = vec![0u8; 64 * 1024];
                    while sent < after {
                        let n = client_read.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        server_write.write_all(&buf[..n]).await?;
                        sent += n;
                    }
                    Ok::<_, std::io::Error>(sent >= after)
                };
                let reset = tokio::select! {
                    r = upward => r.unwrap_or(false),
                    _ = tokio::io::copy(&mut server_read, &mut client_write) => false,
                };
                if reset {
                    // RST instead of FIN: the client sees "connection reset by peer".
                    let _ = client.set_zero_linger();
                    done.fetch_add(1, Ordering::SeqCst);
                }
                drop(client);
            });
        }
    });
    (addr, count)
}

#[tokio::test]
async fn uploads_survive_connections_reset_mid_upload() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "resets").await;
    let upstream = server
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the test endpoint is http://IP:PORT");
    // Every connection that carries a part gets cut after 1 MiB, for the first three.
    let (proxy, resets) = resetting_proxy(upstream, 3, 1024 * 1024).await;
    let mut flaky = settings(&server, &bucket, "flaky/");
    flaky.endpoint = Some(format!("http://{proxy}"));
    let dest = S3Destination::new(flaky);

    let big = data(16 * 1024 * 1024 + 4321, 9);
    let mut upload = dest.start_upload(&key("job/big.dbk"), None).await.unwrap();
    for chunk in big.chunks(1024 * 1024) {
        upload.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    upload.complete().await.unwrap();
    let small = data(2 * 1024 * 1024, 10);
    dest.put(&key("job/small.dbk"), small.clone())
        .await
        .unwrap();

    assert!(
        resets.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the proxy never reset a connection, so nothing was tested"
    );
    // Read back around the proxy: the objects are whole.
    let direct = S3Destination::new(settings(&server, &bucket, "flaky/"));
    assert_eq!(direct.get(&key("job/big.dbk")).await.unwrap(), big);
    assert_eq!(direct.get(&key("job/small.dbk")).await.unwrap(), small);
}

#[tokio::test]
async fn s3_connection_test_reads_versioning_and_lifecycle_rules() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleRule,
        LifecycleRuleFilter, Transition, TransitionStorageClass, VersioningConfiguration,
    };
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "lifecycle").await;
    let dest = S3Destination::new(settings(&server, &bucket, "team/db/"));
    let client = dest.client();
    client
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rule = |id: &str, prefix: &str, class: TransitionStorageClass| {
        LifecycleRule::builder()
            .id(id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .transitions(Transition::builder().days(30).storage_class(class).build())
            .build()
            .unwrap()
    };
    client
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                // Over the destination's prefix, to Glacier: warned about.
                .rules(rule(
                    "archive-team",
                    "team/",
                    TransitionStorageClass::Glacier,
                ))
                // Elsewhere in the bucket: none of DBackup's business.
                .rules(rule(
                    "archive-logs",
                    "logs/",
                    TransitionStorageClass::Glacier,
                ))
                // Over the prefix but to Standard-IA: restores stay instant.
                .rules(rule(
                    "cheaper",
                    "team/db/",
                    TransitionStorageClass::StandardIa,
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let report = dest.probe(jiff::Timestamp::now()).await;
    assert!(report.all_ok(), "{report:#?}");
    assert_eq!(report.versioning.as_deref(), Some("Enabled"));
    assert_eq!(report.mfa_delete.as_deref(), Some("Disabled"));
    assert!(
        !report.warnings.iter().any(|w| w.contains("versioning")),
        "{:?}",
        report.warnings
    );
    let lifecycle: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("lifecycle rule"))
        .collect();
    assert_eq!(lifecycle.len(), 1, "{:?}", report.warnings);
    assert!(lifecycle[0].contains("\"archive-team\""), "{lifecycle:?}");

    // Versioning turned off again (Suspended): old versions stay, new ones are not kept.
    client
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert_eq!(report.versioning.as_deref(), Some("Suspended"));
    assert!(
        report.warnings.iter().any(|w| w.contains("versioning")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn s3_connection_test_names_a_denying_bucket_policy() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "policy").await;
    let dest = S3Destination::new(settings(&server, &bucket, "team/db/"));
    let client = dest.client();
    // A bucket policy that denies writes under the prefix, to everyone.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/team/*"),
        }],
    });
    client
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    let put = &report.actions[0];
    assert_eq!(
        put.outcome,
        dbackup_storage::probe::Outcome::Denied,
        "{report:#?}"
    );
    let detail = put.detail.as_deref().unwrap();
    for remedy in [
        "allows s3:PutObject",
        "no bucket policy denies it",
        "the access key is active",
        "the region matches",
    ] {
        assert!(detail.contains(remedy), "{remedy:?} missing from {detail}");
    }
    // Reading is not denied: only the write is named.
    assert_eq!(
        report.actions[2].outcome,
        dbackup_storage::probe::Outcome::Ok,
        "{report:#?}"
    );
}

#[tokio::test]
async fn s3_connection_test_reads_block_public_access() {
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    // This radosgw does not report Block Public Access; moto keeps it as S3 does.
    let Some(server) = moto_server() else { return };
    let bucket = fresh_bucket(&server, "public-access").await;
    let dest = S3Destination::new(settings(&server, &bucket, "db/"));
    let client = dest.client();
    let block = |all: bool| {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(all)
            .restrict_public_buckets(true)
            .build()
    };
    client
        .put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(block(true))
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert!(report.all_ok(), "{report:#?}");
    assert_eq!(report.public_access_blocked, Some(true));
    assert!(!report.warnings.iter().any(|w| w.contains("public access")));
    client
        .put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(block(false))
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert_eq!(report.public_access_blocked, Some(false));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("public access is not fully blocked")),
        "{:?}",
        report.warnings
    );
}

/// The moto server (`tests/s3/start-moto.sh`): S3 features this radosgw lacks.
fn moto_server() -> Option<TestServer> {
    match std::env::var("DBACKUP_TEST_MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Some(TestServer {
            endpoint,
            access_key: "moto-access-key".into(),
            secret_key: "moto-secret-key".into(),
        }),
        _ => {
            assert!(
                std::env::var("DBACKUP_TEST_MOTO_REQUIRED").as_deref() != Ok("1"),
                "DBACKUP_TEST_MOTO_REQUIRED=1 but DBACKUP_TEST_MOTO_ENDPOINT is not set"
            );
            eprintln!("SKIPPED: no moto server (tests/s3/start-moto.sh)");
            None
        }
    }
}

#[tokio::test]
async fn s3_connection_test_reads_the_bucket_default_encryption() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    // radosgw here has no SSE backend; moto keeps the bucket's configuration.
    let Some(server) = moto_server() else { return };
    let bucket = fresh_bucket(&server, "default-sse").await;
    let dest = S3Destination::new(settings(&server, &bucket, "db/"));
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert!(report.all_ok(), "{report:#?}");
    assert_eq!(report.default_encryption, None);
    dest.client()
        .put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert_eq!(
        report.default_encryption.as_deref(),
        Some("AES256"),
        "{report:#?}"
    );
}

/// Runs a command of the test setup; panics with its stderr when it fails.
fn setup_command(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/setup --test installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn s3_connection_test_reports_mfa_delete() {
    use aws_sdk_s3::types::{BucketVersioningStatus, MfaDelete, VersioningConfiguration};
    let Some(server) = test_server() else { return };
    let Ok(rgw_dir) = std::env::var("DBACKUP_TEST_RGW_DIR") else {
        eprintln!("SKIPPED: not the radosgw of tests/s3/start-radosgw.sh");
        return;
    };
    // Like S3's root account, a radosgw user with a TOTP device (RFC 6238's test seed)
    // can turn MFA Delete on, with a code from oathtool.
    let conf = format!("{rgw_dir}/ceph.conf");
    let id = uuid_like();
    let (uid, serial) = (format!("mfa-{id}"), format!("dbackup-mfa-{id}"));
    let seed = "3132333435363738393031323334353637383930";
    let user = TestServer {
        endpoint: server.endpoint.clone(),
        access_key: format!("MFA{id}"),
        secret_key: "secret-of-the-mfa-test-user".into(),
    };
    setup_command(
        "radosgw-admin",
        &[
            "-c",
            &conf,
            "user",
            "create",
            &format!("--uid={uid}"),
            "--display-name=DBackup MFA Delete test",
            &format!("--access-key={}", user.access_key),
            &format!("--secret-key={}", user.secret_key),
        ],
    );
    setup_command(
        "radosgw-admin",
        &[
            "-c",
            &conf,
            "mfa",
            "create",
            &format!("--uid={uid}"),
            &format!("--totp-serial={serial}"),
            &format!("--totp-seed={seed}"),
            "--totp-seed-type=hex",
        ],
    );
    let bucket = fresh_bucket(&user, "mfa-delete").await;
    let dest = S3Destination::new(settings(&user, &bucket, "db/"));
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert_eq!(
        report.mfa_delete.as_deref(),
        Some("Disabled"),
        "{report:#?}"
    );

    let code = setup_command("oathtool", &["--totp", seed]);
    dest.client()
        .put_bucket_versioning()
        .bucket(&bucket)
        .mfa(format!("{serial} {code}"))
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDelete::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let report = dest.probe(jiff::Timestamp::now()).await;
    assert_eq!(report.versioning.as_deref(), Some("Enabled"));
    assert_eq!(report.mfa_delete.as_deref(), Some("Enabled"), "{report:#?}");
}

#[tokio::test]
async fn a_user_granted_only_the_pages_policy_works_in_the_prefix_and_nowhere_else() {
    let Some(server) = test_server() else { return };
    let (Ok(access2), Ok(secret2)) = (
        std::env::var("DBACKUP_TEST_S3_USER2_ACCESS_KEY"),
        std::env::var("DBACKUP_TEST_S3_USER2_SECRET_KEY"),
    ) else {
        panic!("the test server should export DBACKUP_TEST_S3_USER2_ACCESS_KEY/SECRET_KEY");
    };
    let bucket = fresh_bucket(&server, "scoped").await;
    let prefix = "laptop/db/";
    // The policy Test connection shows, granted to user2 (radosgw has no IAM users
    // policies here, so it is the bucket policy, with user2 as the principal).
    let mut policy: serde_json::Value =
        serde_json::from_str(&dbackup_storage::probe::iam_policy(&bucket, prefix)).unwrap();
    for statement in policy["Statement"].as_array_mut().unwrap() {
        statement["Principal"] = serde_json::json!({"AWS": ["arn:aws:iam:::user/user2"]});
    }
    S3Destination::new(settings(&server, &bucket, ""))
        .client()
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();

    let mut scoped = settings(&server, &bucket, prefix);
    scoped.credentials = S3Credentials::keys(&access2, &secret2);
    let report = S3Destination::new(scoped.clone())
        .probe(jiff::Timestamp::now())
        .await;
    assert!(report.all_ok(), "{report:#?}");
    let inside = S3Destination::new(scoped);
    inside.put(&key("a.dbk"), data(1000, 1)).await.unwrap();

    // The same user outside the prefix: refused, and said so.
    let mut outside = settings(&server, &bucket, "elsewhere/");
    outside.credentials = S3Credentials::keys(&access2, &secret2);
    let err = S3Destination::new(outside)
        .put(&key("a.dbk"), data(1000, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::AccessDenied { .. }), "{err:?}");
    assert!(err.to_string().contains("s3:PutObject"), "{err}");
}

#[tokio::test]
async fn s3_aborts_only_the_incomplete_uploads_it_owns_and_says_what_they_held() {
    let Some(server) = test_server() else { return };
    let bucket = fresh_bucket(&server, "sweep").await;
    let dest = S3Destination::new(settings(&server, &bucket, "team/"));
    // Uploads left by killed runs: one of ours, one of another computer's, one of
    // another job's. Each holds one 5 MiB part.
    let mut started = Vec::new();
    for name in [
        "orders/orders_2026-12-06T10-00-00Z_aaaa1111.dbk",
        "orders/orders_2026-12-06T10-00-00Z_bbbb2222.dbk",
        "other/other_2026-12-06T10-00-00Z_aaaa1111.dbk",
    ] {
        let mut upload = dest.start_upload(&key(name), None).await.unwrap();
        upload
            .write(Bytes::from(vec![7u8; 6 * 1024 * 1024]))
            .await
            .unwrap();
        // Dropped without complete or abort, as a killed process leaves it.
        started.push(upload);
    }
    let in_bucket = || async {
        dest.client()
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .uploads()
            .iter()
            .filter_map(|u| u.key().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    // The parts are sent in the background: wait (bounded) until each upload exists.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while in_bucket().await.len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the uploads did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let freed = dest
        .abort_incomplete_uploads("orders/", "_aaaa1111")
        .await
        .unwrap();
    assert_eq!(freed.uploads, 1);
    let mut left = in_bucket().await;
    left.sort();
    assert_eq!(
        left,
        [
            "team/orders/orders_2026-12-06T10-00-00Z_bbbb2222.dbk",
            "team/other/other_2026-12-06T10-00-00Z_aaaa1111.dbk"
        ],
        "another computer's and another job's uploads are left alone"
    );
    drop(started);
}
