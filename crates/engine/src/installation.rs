//! This installation's id. Every manifest records it, so that retention judges only
//! the backups this computer made (a configuration imported on a second computer keeps
//! its jobs' ids, and each computer would otherwise delete the other's history), and
//! object names carry a short tag of it, so two computers never write the same name.

use dbackup_store::Store;

use crate::EngineError;

const KEY: &str = "installation";

/// The id recorded in this state database, created on first use. A copied state
/// database carries it along: a copy is the same installation.
pub(crate) fn load_or_create(store: &Store) -> Result<String, EngineError> {
    if let Some(id) = store
        .setting(KEY)?
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|id| !id.is_empty())
    {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    store.set_setting(KEY, &serde_json::Value::String(id.clone()))?;
    Ok(id)
}

/// The part of an installation id that goes into object names: long enough that two
/// computers backing up the same job in the same second do not collide.
pub fn name_tag(installation_id: &str) -> String {
    installation_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect()
}

/// How lists and previews name an installation.
pub fn label(installation_id: &str) -> String {
    format!("computer {}", name_tag(installation_id))
}
