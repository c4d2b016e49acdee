//! The window's preferences, kept in the state database beside the jobs. How long run
//! history is kept is its own setting (see runs).

use serde::{Deserialize, Serialize};

use crate::{Engine, EngineError};

const KEY: &str = "app";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follows the desktop's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct AppSettings {
    pub theme: Theme,
    /// Closing the window keeps DBackup in the tray, so schedules keep running.
    pub close_to_tray: bool,
    /// Start (in the tray, without the window) when the user logs in.
    pub start_at_login: bool,
    /// Whether new jobs notify on success; failures always notify unless a job mutes them.
    pub notify_success_by_default: bool,
    /// Notify when retention deletes backups after a run.
    pub notify_retention: bool,
    /// Days of run history to keep.
    pub history_days: u32,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            theme: Theme::System,
            close_to_tray: true,
            start_at_login: false,
            notify_success_by_default: false,
            notify_retention: false,
            history_days: crate::runs::DEFAULT_HISTORY_DAYS,
        }
    }
}

impl Engine {
    pub fn app_settings(&self) -> Result<AppSettings, EngineError> {
        let stored = self.store().setting(KEY)?;
        let mut settings: AppSettings = stored
            // A setting written by a newer version with fields this one does not know, or
            // a damaged one, falls back to the defaults rather than blocking the app.
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        settings.history_days = self.history_days()?;
        Ok(settings)
    }

    pub fn set_app_settings(&self, settings: &AppSettings) -> Result<AppSettings, EngineError> {
        self.set_history_days(settings.history_days)?;
        let value = serde_json::to_value(settings).map_err(|e| EngineError::Internal {
            detail: format!("cannot encode the settings: {e}"),
        })?;
        self.store().set_setting(KEY, &value)?;
        self.app_settings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bench::Bench;

    #[test]
    fn settings_start_from_defaults_and_round_trip() {
        let bench = Bench::new();
        let engine = &bench.engine;
        let defaults = engine.app_settings().unwrap();
        assert!(
            defaults.close_to_tray,
            "closing the window must not stop schedules by default"
        );
        assert_eq!(defaults.theme, Theme::System);

        let wanted = AppSettings {
            theme: Theme::Dark,
            close_to_tray: false,
            start_at_login: true,
            notify_success_by_default: true,
            notify_retention: true,
            history_days: 30,
        };
        assert_eq!(engine.set_app_settings(&wanted).unwrap(), wanted);
        assert_eq!(engine.app_settings().unwrap(), wanted);
        assert_eq!(engine.history_days().unwrap(), 30);

        let zero = AppSettings {
            history_days: 0,
            ..wanted
        };
        assert!(
            engine.set_app_settings(&zero).is_err(),
            "0 days of history is refused"
        );
    }
}
