use std::fmt;

use crate::StorageError;

/// A validated object key relative to a destination's root: `/`-separated, no empty,
/// `.` or `..` segments, no leading slash, so it can never escape the root folder or
/// path prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(key: impl Into<String>) -> Result<Self, StorageError> {
        let key = key.into();
        let bad = |why: &str| StorageError::InvalidKey {
            key: key.clone(),
            reason: why.to_owned(),
        };
        if key.is_empty() {
            return Err(bad("it is empty"));
        }
        if key.len() > 900 {
            return Err(bad("it is longer than 900 bytes"));
        }
        if key.chars().any(|c| c.is_control() || c == '\\') {
            return Err(bad("it contains a control character or a backslash"));
        }
        if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(bad("it has an empty, `.` or `..` path segment"));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_normal_keys_and_rejects_escapes() {
        assert!(ObjectKey::new("job/job_2026-11-25T10-00-00Z.dbk").is_ok());
        assert!(ObjectKey::new("ünïcode name/x").is_ok());
        for bad in [
            "", "/abs", "a//b", "a/../b", "..", "a/.", "trail/", "a\\b", "a\nb",
        ] {
            assert!(ObjectKey::new(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
