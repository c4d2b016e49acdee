//! A folder on a local disk or a mounted share (NAS). Objects are files under the
//! root; uploads are written to a hidden temp file beside their final name and renamed
//! only once complete and synced, so a crash never leaves a half file under a real name.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use crate::{Destination, ObjectInfo, ObjectKey, StorageError, Upload};

/// Temp files start with this, and listings skip them.
const PARTIAL_PREFIX: &str = ".dbackup-partial-";

#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        // ObjectKey guarantees no `..`, no absolute path: the join stays under root.
        self.root.join(key.as_str())
    }

    fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
        let path = path.to_path_buf();
        move |source| StorageError::Io {
            operation,
            path,
            source,
        }
    }

    fn not_found(&self, key: &ObjectKey) -> StorageError {
        StorageError::NotFound {
            destination: self.root.display().to_string(),
            key: key.to_string(),
        }
    }

    async fn open_temp(&self, key: &ObjectKey) -> Result<(tokio::fs::File, PathBuf), StorageError> {
        let target = self.path_of(key);
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(Self::io("create the folder", &dir))?;
        let temp = dir.join(format!("{PARTIAL_PREFIX}{}", uuid::Uuid::new_v4()));
        // A new file only: O_EXCL refuses an existing name, a symlink planted under
        // it included. Readable by this user alone: backups hold databases.
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .await
            .map_err(Self::io("create a file", &temp))?;
        Ok((file, temp))
    }
}

async fn finish(
    mut file: tokio::fs::File,
    temp: &Path,
    target: &Path,
    replace: bool,
    key: &ObjectKey,
    root: &Path,
) -> Result<u64, StorageError> {
    let io = |op| LocalFolder::io(op, temp);
    file.flush().await.map_err(io("write"))?;
    file.sync_all().await.map_err(io("sync"))?;
    let size = file.metadata().await.map_err(io("inspect"))?.len();
    drop(file);
    if replace {
        tokio::fs::rename(temp, target)
            .await
            .map_err(LocalFolder::io("rename into place", target))?;
        return Ok(size);
    }
    // A backup never replaces another: a hard link fails when the name is taken,
    // where a rename would silently replace it.
    match tokio::fs::hard_link(temp, target).await {
        Ok(()) => {
            let _ = tokio::fs::remove_file(temp).await;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(StorageError::AlreadyExists {
                destination: root.display().to_string(),
                key: key.to_string(),
            });
        }
        // Filesystems without hard links (FAT, some network shares): the check
        // below is the best they allow.
        Err(_) => {
            if tokio::fs::symlink_metadata(target).await.is_ok() {
                return Err(StorageError::AlreadyExists {
                    destination: root.display().to_string(),
                    key: key.to_string(),
                });
            }
            tokio::fs::rename(temp, target)
                .await
                .map_err(LocalFolder::io("rename into place", target))?;
        }
    }
    Ok(size)
}

#[async_trait]
impl Destination for LocalFolder {
    /// Writes a small object, replacing one of the same name (a manifest whose lock
    /// changed); backups themselves go through `start_upload`, which never replaces.
    async fn put(&self, key: &ObjectKey, body: Bytes) -> Result<(), StorageError> {
        let (file, temp) = self.open_temp(key).await?;
        let mut upload = LocalUpload {
            file: Some(file),
            root: self.root.clone(),
            temp,
            target: self.path_of(key),
            key: key.clone(),
            replace: true,
        };
        upload.write(body).await?;
        Box::new(upload).complete().await.map(|_| ())
    }

    async fn start_upload(
        &self,
        key: &ObjectKey,
        _size_hint: Option<u64>,
    ) -> Result<Box<dyn Upload>, StorageError> {
        let (file, temp) = self.open_temp(key).await?;
        Ok(Box::new(LocalUpload {
            file: Some(file),
            root: self.root.clone(),
            temp,
            target: self.path_of(key),
            key: key.clone(),
            replace: false,
        }))
    }

    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError> {
        let path = self.path_of(key);
        match tokio::fs::read(&path).await {
            Ok(data) => Ok(Bytes::from(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.not_found(key)),
            Err(e) => Err(Self::io("read", &path)(e)),
        }
    }

    async fn get_range(
        &self,
        key: &ObjectKey,
        start: u64,
        end: u64,
    ) -> Result<Bytes, StorageError> {
        let path = self.path_of(key);
        let len = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX);
        // One blocking call reading straight into the returned buffer: tokio's
        // file reads would copy through a buffer of their own per read in flight.
        let read = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                use std::io::{Read, Seek};
                let mut file = std::fs::File::open(&path).map_err(|e| ("open", e))?;
                file.seek(std::io::SeekFrom::Start(start))
                    .map_err(|e| ("seek", e))?;
                let mut buf = Vec::with_capacity(len);
                file.take(len as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| ("read", e))?;
                Ok::<_, (&'static str, std::io::Error)>(buf)
            })
            .await
        };
        match read {
            Ok(Ok(buf)) => Ok(Bytes::from(buf)),
            Ok(Err(("open", e))) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(self.not_found(key))
            }
            Ok(Err((operation, e))) => Err(Self::io(operation, &path)(e)),
            Err(join) => Err(Self::io("read", &path)(std::io::Error::other(join))),
        }
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError> {
        let path = self.path_of(key);
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => Ok(Some(info(key.clone(), &meta))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::io("inspect", &path)(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let walk = tokio::task::spawn_blocking(move || walk(&root, &prefix));
        match walk.await {
            Ok(result) => result,
            Err(join) => Err(StorageError::Io {
                operation: "list",
                path: self.root.clone(),
                source: std::io::Error::other(join.to_string()),
            }),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let path = self.path_of(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::io("delete", &path)(e)),
        }
    }

    async fn set_retention(
        &self,
        _key: &ObjectKey,
        _retention: &crate::ObjectRetention,
    ) -> Result<(), StorageError> {
        Err(StorageError::ObjectLockUnavailable {
            destination: format!("the folder {}", self.root.display()),
        })
    }
}

fn info(key: ObjectKey, meta: &std::fs::Metadata) -> ObjectInfo {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok());
    ObjectInfo {
        key,
        size: meta.len(),
        modified,
        storage_class: None,
    }
}

/// Every regular file under root whose relative key starts with `prefix`. Symlinks are
/// not followed: a link inside a backup folder must not make us list outside it.
fn walk(root: &Path, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir != root => continue,
            Err(e) => return Err(LocalFolder::io("list", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(LocalFolder::io("list", &dir))?;
            let path = entry.path();
            let file_type = entry.file_type().map_err(LocalFolder::io("list", &path))?;
            let Some(rel) = path.strip_prefix(root).ok().and_then(|r| r.to_str()) else {
                continue; // not valid UTF-8: cannot be one of our keys
            };
            let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
            if file_type.is_dir() {
                // Only descend where keys under it can still match the prefix.
                let dir_key = format!("{rel}/");
                if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                    stack.push(path);
                }
            } else if file_type.is_file()
                && rel.starts_with(prefix)
                && !entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(PARTIAL_PREFIX)
            {
                let meta = entry
                    .metadata()
                    .map_err(LocalFolder::io("inspect", &path))?;
                if let Ok(key) = ObjectKey::new(rel) {
                    out.push(info(key, &meta));
                }
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

struct LocalUpload {
    file: Option<tokio::fs::File>,
    /// The destination's folder, which abort never removes.
    root: PathBuf,
    temp: PathBuf,
    target: PathBuf,
    key: ObjectKey,
    /// Whether an object of the same name may be replaced (manifests only).
    replace: bool,
}

#[async_trait]
impl Upload for LocalUpload {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        let file = self.file.as_mut().ok_or_else(|| StorageError::Aborted {
            key: self.key.to_string(),
        })?;
        file.write_all(&chunk)
            .await
            .map_err(LocalFolder::io("write", &self.temp))
    }

    async fn complete(mut self: Box<Self>) -> Result<ObjectInfo, StorageError> {
        let file = self.file.take().ok_or_else(|| StorageError::Aborted {
            key: self.key.to_string(),
        })?;
        let result = finish(
            file,
            &self.temp,
            &self.target,
            self.replace,
            &self.key,
            &self.root,
        )
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&self.temp).await;
        }
        let size = result?;
        Ok(ObjectInfo {
            key: self.key.clone(),
            size,
            modified: Some(jiff::Timestamp::now()),
            storage_class: None,
        })
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StorageError> {
        self.file.take();
        match tokio::fs::remove_file(&self.temp).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LocalFolder::io("remove the partial upload", &self.temp)(e)),
        }
        // The folders made for this upload go too when nothing else is in them, so a
        // failed first backup of a job leaves no trace. remove_dir refuses non-empty ones.
        let mut dir = self.temp.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if tokio::fs::remove_dir(d).await.is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        // Dropped without complete/abort (a cancelled task): don't leave the temp file.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
