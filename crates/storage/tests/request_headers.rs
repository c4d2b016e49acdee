//! What the S3 client puts on the wire that the real test server cannot check: radosgw
//! here has no SSE backend, so the server-side encryption headers are checked against a
//! minimal local HTTP endpoint that records each request and answers like S3.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use dbackup_storage::probe::{Outcome, ProbeReport};
use dbackup_storage::{Destination, ObjectKey, S3Destination, S3Settings, ServerSideEncryption};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answers CreateMultipartUpload, UploadPart, CompleteMultipartUpload and PutObject.
async fn fake_s3() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: headers, then Content-Length bytes of body.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 65536];
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap().split(' ');
                    let (method, target) = (
                        first.next().unwrap().to_owned(),
                        first.next().unwrap().to_owned(),
                    );
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                        .collect();
                    let length: usize = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .map(|(_, v)| v.parse().unwrap())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 65536];
                        let n = socket.read(&mut chunk).await.unwrap();
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    buf.drain(..head_end + length);
                    let body = if method == "POST" && target.contains("uploads") {
                        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>"
                    } else if method == "POST" {
                        "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"e\"</ETag></CompleteMultipartUploadResult>"
                    } else {
                        ""
                    };
                    // The bucket "moved" lives in eu-west-1: requests signed for any other
                    // region get S3's redirect, which names the right one in a header.
                    let signed_elsewhere = headers.iter().any(|(n, v)| {
                        n.eq_ignore_ascii_case("authorization") && !v.contains("/eu-west-1/")
                    });
                    let moved = target.starts_with("/moved") && signed_elsewhere;
                    // The bucket "skewed" refuses every request as too far off in time and,
                    // unlike S3, sends no Date header the client could correct its clock by.
                    let skewed = target.starts_with("/skewed");
                    let is_head = method == "HEAD";
                    // The bucket "silent" takes requests and never answers, like a Ceph
                    // cluster holding writes back while an OSD is full.
                    // "movedsilent" redirects like "moved", then never answers in eu-west-1.
                    let silent = target.starts_with("/silent")
                        || (target.starts_with("/movedsilent") && !signed_elsewhere);
                    log.lock().unwrap().push(Seen {
                        method,
                        target,
                        headers,
                    });
                    if silent {
                        let mut rest = [0u8; 1024];
                        while socket.read(&mut rest).await.is_ok_and(|n| n > 0) {}
                        return;
                    }
                    let response = if skewed {
                        let error = "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>";
                        let error = if is_head { "" } else { error };
                        format!(
                            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{error}",
                            error.len()
                        )
                    } else if moved {
                        let error = "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Bucket>moved</Bucket></Error>";
                        let error = if is_head { "" } else { error };
                        format!(
                            "HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region: eu-west-1\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{error}",
                            error.len()
                        )
                    } else {
                        format!(
                            "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, seen)
}

fn settings(endpoint: String, sse: Option<ServerSideEncryption>) -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        bucket: "b".into(),
        prefix: String::new(),
        force_path_style: true,
        credentials: dbackup_storage::S3Credentials::keys("AKIDEXAMPLE", "secret"),
        storage_class: Some("STANDARD_IA".into()),
        part_size: 5 * 1024 * 1024,
        equal_parts: false,
        parts_in_flight: 2,
        sse,
        accelerate: false,
        answer_wait: dbackup_storage::DEFAULT_ANSWER_WAIT,
    }
}

#[tokio::test]
async fn the_chosen_encryption_applies_to_multipart_uploads_and_manifests_too() {
    let (endpoint, seen) = fake_s3().await;
    let kms = ServerSideEncryption::Kms {
        key_id: Some("arn:aws:kms:eu-west-1:111122223333:key/abc".into()),
    };
    let dest = S3Destination::new(settings(endpoint, Some(kms)));
    // Larger than one part: a multipart upload.
    let mut upload = dest
        .start_upload(&ObjectKey::new("job/big.dbk").unwrap(), None)
        .await
        .unwrap();
    upload
        .write(Bytes::from(vec![7u8; 6 * 1024 * 1024]))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    dest.put(
        &ObjectKey::new("job/big.dbk.meta.json").unwrap(),
        Bytes::from_static(b"{}"),
    )
    .await
    .unwrap();

    let seen = seen.lock().unwrap().clone();
    let create = seen
        .iter()
        .find(|s| s.method == "POST" && s.target.contains("uploads"))
        .expect("a CreateMultipartUpload request");
    assert_eq!(
        create.header("x-amz-server-side-encryption"),
        Some("aws:kms")
    );
    assert_eq!(
        create.header("x-amz-server-side-encryption-aws-kms-key-id"),
        Some("arn:aws:kms:eu-west-1:111122223333:key/abc")
    );
    assert_eq!(create.header("x-amz-storage-class"), Some("STANDARD_IA"));

    let manifest = seen
        .iter()
        .find(|s| s.method == "PUT" && s.target.contains("meta.json"))
        .expect("the manifest's PutObject");
    assert_eq!(
        manifest.header("x-amz-server-side-encryption"),
        Some("aws:kms")
    );
    assert_eq!(
        manifest.header("x-amz-storage-class"),
        None,
        "manifests stay in STANDARD so they can be read while the data is archived"
    );
}

#[tokio::test]
async fn sse_s3_is_sent_as_aes256_and_bucket_default_sends_nothing() {
    let (endpoint, seen) = fake_s3().await;
    let dest = S3Destination::new(settings(
        endpoint.clone(),
        Some(ServerSideEncryption::S3Managed),
    ));
    dest.put(&ObjectKey::new("a").unwrap(), Bytes::from_static(b"x"))
        .await
        .unwrap();
    let plain = S3Destination::new(settings(endpoint, None));
    plain
        .put(&ObjectKey::new("b").unwrap(), Bytes::from_static(b"x"))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[0].header("x-amz-server-side-encryption"),
        Some("AES256")
    );
    assert_eq!(seen[1].header("x-amz-server-side-encryption"), None);
}

#[tokio::test]
async fn a_bucket_in_another_region_is_named_and_the_connection_test_follows_it() {
    let (endpoint, seen) = fake_s3().await;
    let mut moved = settings(endpoint, None);
    moved.bucket = "moved".into();
    let err = S3Destination::new(moved.clone())
        .put(&ObjectKey::new("a").unwrap(), Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, dbackup_storage::StorageError::WrongRegion { ref actual, .. } if actual.as_deref() == Some("eu-west-1")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "is not in us-east-1 but in eu-west-1: set the destination's region to eu-west-1"
        ),
        "{err}"
    );

    let report = S3Destination::new(moved)
        .probe(jiff::Timestamp::now())
        .await;
    assert_eq!(report.bucket_region.as_deref(), Some("eu-west-1"));
    assert!(
        report
            .region_mismatch
            .as_deref()
            .unwrap()
            .contains("set the region to eu-west-1"),
        "{report:#?}"
    );
    // After the redirect, the checks ran against the bucket's own region.
    let seen = seen.lock().unwrap().clone();
    let put = seen
        .iter()
        .rev()
        .find(|s| s.method == "PUT" && s.target.contains(".dbackup-probe-"))
        .expect("the probe's PutObject");
    assert!(put
        .header("authorization")
        .unwrap()
        .contains("/eu-west-1/s3/"));
    assert_eq!(
        report.actions[0].outcome,
        dbackup_storage::probe::Outcome::Ok,
        "{report:#?}"
    );
}

#[tokio::test]
async fn a_clock_too_far_off_is_named_with_what_to_do() {
    let (endpoint, seen) = fake_s3().await;
    let mut s = settings(endpoint, None);
    s.bucket = "skewed".into();
    let err = S3Destination::new(s).list("").await.unwrap_err();
    assert!(
        matches!(err, dbackup_storage::StorageError::ClockSkew { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("RequestTimeTooSkewed"), "{err}");
    assert!(err.to_string().contains("Set the clock right"), "{err}");
    assert!(
        !seen.lock().unwrap().is_empty(),
        "the request reached the endpoint"
    );
}

/// The URI Amazon S3 would be sent a ListObjectsV2 to: the request is captured just
/// before it leaves, then pointed at a closed local port (this machine has no internet).
async fn aws_uri_of_a_listing(accelerate: bool) -> String {
    let mut s = settings("http://unused".into(), None);
    s.endpoint = None;
    s.force_path_style = false;
    s.bucket = "team-backups".into();
    s.accelerate = accelerate;
    let dest = S3Destination::new(s);
    let seen = Arc::new(Mutex::new(None::<String>));
    let capture = seen.clone();
    let _refused = dest
        .client()
        .list_objects_v2()
        .bucket("team-backups")
        .customize()
        // One try: the refused connection is the expected end.
        .config_override(
            aws_sdk_s3::config::Config::builder()
                .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()),
        )
        .mutate_request(move |req| {
            capture
                .lock()
                .unwrap()
                .get_or_insert_with(|| req.uri().to_string());
            req.set_uri("http://127.0.0.1:9/").unwrap();
        })
        .send()
        .await;
    let uri = seen.lock().unwrap().clone();
    uri.expect("the request was built")
}

#[tokio::test]
async fn transfer_acceleration_sends_requests_to_the_accelerate_endpoint() {
    let accelerated = aws_uri_of_a_listing(true).await;
    assert!(
        accelerated.starts_with("https://team-backups.s3-accelerate.amazonaws.com/"),
        "{accelerated}"
    );
    let plain = aws_uri_of_a_listing(false).await;
    assert!(!plain.contains("s3-accelerate"), "{plain}");
    assert!(plain.starts_with("https://team-backups.s3."), "{plain}");
}

/// A server that takes requests but never answers fails the upload, after the SDK's
/// retries, instead of holding the backup forever: both through the client's own
/// timeout (starting a multipart upload) and a request's own (a PUT with data).
#[tokio::test]
async fn a_server_that_never_answers_fails_the_upload_in_bounded_time() {
    let (endpoint, seen) = fake_s3().await;
    let mut settings = settings(endpoint, None);
    settings.bucket = "silent".into();
    settings.answer_wait = std::time::Duration::from_millis(300);
    let dest = S3Destination::new(settings);
    let key = ObjectKey::new("job/a.dbk").unwrap();
    let bound = std::time::Duration::from_secs(150);

    let put = tokio::time::timeout(bound, dest.put(&key, Bytes::from_static(b"{}")))
        .await
        .expect("the PUT gives up by itself");
    // More than a part: the multipart upload starts, and is never answered.
    let mut upload = dest.start_upload(&key, None).await.unwrap();
    let wrote = tokio::time::timeout(bound, upload.write(Bytes::from(vec![7u8; 6 << 20])))
        .await
        .expect("starting the multipart upload gives up by itself");
    for err in [put.unwrap_err(), wrote.unwrap_err()] {
        assert!(
            matches!(err, dbackup_storage::StorageError::NoAnswer { .. })
                && err.to_string().contains("did not answer in time"),
            "{err}"
        );
    }
    // Each was tried more than once before giving up.
    let seen = seen.lock().unwrap();
    assert!(seen.iter().filter(|s| s.method == "PUT").count() > 1);
    assert!(seen.iter().filter(|s| s.method == "POST").count() > 1);
}

/// Runs a connection test with a 0.4 s wait against `bucket` on a local endpoint, while
/// a backup's requests there would wait the default 5 minutes; bounded by a minute.
async fn probe_quickly(bucket: &str) -> (ProbeReport, Vec<Seen>) {
    let (endpoint, seen) = fake_s3().await;
    let mut settings = settings(endpoint, None);
    settings.bucket = bucket.into();
    assert_eq!(settings.answer_wait, dbackup_storage::DEFAULT_ANSWER_WAIT);
    let dest = S3Destination::new(settings);
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        dest.probe_within(
            jiff::Timestamp::now(),
            std::time::Duration::from_millis(400),
        ),
    )
    .await
    .expect("the connection test gives up by itself");
    let seen = seen.lock().unwrap().clone();
    (report, seen)
}

/// "Test connection" against a server that takes requests and never answers says so
/// after its own short wait, not after the minutes (and six tries) a backup's requests
/// may wait, and sends nothing more once the first request went unanswered.
#[tokio::test]
async fn a_connection_test_of_a_silent_server_gives_up_after_its_own_wait() {
    let (report, seen) = probe_quickly("silent").await;

    assert!(!report.all_ok());
    assert!(!report.answered);
    for check in &report.actions {
        if check.action == "s3:ListBucket" {
            assert_eq!(check.outcome, Outcome::Failed);
            let detail = check.detail.as_deref().unwrap();
            assert!(
                detail.contains("took the connection but did not answer within 0.4 s, twice"),
                "{detail}"
            );
        } else {
            assert_eq!(check.outcome, Outcome::Skipped, "{check:?}");
        }
    }
    assert_eq!(
        seen.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(),
        ["HEAD", "HEAD"]
    );
}

/// A connection test that follows a bucket's redirect to its region keeps its own short
/// wait and single retry there too.
#[tokio::test]
async fn a_connection_test_keeps_its_wait_after_following_a_redirect() {
    let (report, seen) = probe_quickly("movedsilent").await;

    assert!(!report.answered);
    assert_eq!(
        report
            .region_mismatch
            .as_deref()
            .map(|m| m.contains("eu-west-1")),
        Some(true)
    );
    let list = report
        .actions
        .iter()
        .find(|a| a.action == "s3:ListBucket")
        .unwrap();
    assert_eq!(list.outcome, Outcome::Failed);
    let in_region = seen
        .iter()
        .filter(|s| {
            s.header("authorization")
                .is_some_and(|a| a.contains("/eu-west-1/"))
        })
        .count();
    assert_eq!(in_region, 2, "{seen:#?}");
}
