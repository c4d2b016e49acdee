//! `dbackup`: DBackup without a window, for servers, cron, scripts and recovery.
//! Every command is an engine call; the desktop app uses the same engine and the same
//! state database, so both see the same destinations.

mod args;
mod commands;
mod config;
mod jobs;
mod keys;
mod location;
mod output;
mod progress;
mod sources;

use std::process::ExitCode;

use clap::Parser;
use dbackup_engine::{AppPaths, Engine, EngineError, ErrorCode, Keyring, NewLocalDestination};

use args::{Cli, Command, DestinationCommand, KeyCommand, KeyringCommand};
use output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    match run(cli.command, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.error(&e),
    }
}

pub(crate) fn open_engine() -> Result<Engine, EngineError> {
    let engine = Engine::open(AppPaths::from_env()?, Keyring::system())?;
    // A run whose process died (kill -9, power cut) is marked before anything reads
    // the history, so no run looks as if it were still going.
    if let Err(e) = engine.recover_interrupted_runs(jiff::Timestamp::now()) {
        eprintln!("dbackup: warning: cannot check for interrupted runs: {e}");
    }
    Ok(engine)
}

fn run(command: Command, out: &Output) -> Result<(), EngineError> {
    match command {
        Command::Status => {
            let overview = open_engine()?.overview()?;
            out.value(&overview, || {
                let mut text = format!(
                    "DBackup {}\nstate:  {}\nlogs:   {}\n",
                    overview.version, overview.database_path, overview.log_dir
                );
                text.push_str(&output::destinations_table(&overview.destinations));
                text
            });
        }
        Command::Destination(DestinationCommand::List) => {
            let list = open_engine()?.list_destinations()?;
            out.value(&list, || output::destinations_table(&list));
        }
        Command::Destination(DestinationCommand::AddLocal { name, path }) => {
            let path = match std::path::absolute(&path) {
                Ok(p) => p.display().to_string(),
                Err(_) => path,
            };
            let added = open_engine()?.add_local_destination(
                NewLocalDestination { name, path },
                jiff::Timestamp::now(),
            )?;
            out.value(&added, || format!("added {} ({})\n", added.name, added.id));
        }
        Command::Destination(DestinationCommand::AddS3 {
            name,
            provider,
            bucket,
            region,
            prefix,
            endpoint,
            path_style,
            account_id,
            access_key_id,
            secret_env,
            default_credentials,
            profile,
            storage_class,
            sse,
            kms_key_id,
            transfer_acceleration,
            allow_plain_http,
        }) => {
            use dbackup_engine::s3_destination::{
                CredentialSource, NewS3Destination, S3Provider, SseMode,
            };
            let secret_access_key = if default_credentials {
                String::new()
            } else {
                secret_from_env(&secret_env)?
            };
            let added = open_engine()?.add_s3_destination(
                NewS3Destination {
                    name,
                    provider: match provider {
                        args::ProviderArg::Aws => S3Provider::Aws,
                        args::ProviderArg::R2 => S3Provider::R2,
                        args::ProviderArg::Custom => S3Provider::Custom,
                    },
                    region,
                    bucket,
                    prefix,
                    endpoint,
                    path_style,
                    account_id,
                    jurisdiction: None,
                    access_key_id: access_key_id.unwrap_or_default(),
                    secret_access_key,
                    credentials: if default_credentials {
                        CredentialSource::DefaultChain
                    } else {
                        CredentialSource::AccessKey
                    },
                    profile,
                    storage_class,
                    sse: match sse {
                        args::SseArg::BucketDefault => SseMode::BucketDefault,
                        args::SseArg::S3 => SseMode::S3Managed,
                        args::SseArg::Kms => SseMode::Kms,
                    },
                    kms_key_id,
                    transfer_acceleration,
                    allow_plain_http,
                },
                jiff::Timestamp::now(),
            )?;
            for notice in &added.notices {
                eprintln!("dbackup: note: {notice}");
            }
            out.value(&added, || {
                format!(
                    "added {} ({}), {}\n",
                    added.destination.name, added.destination.id, added.destination.location
                )
            });
        }
        Command::Destination(DestinationCommand::Test { destination }) => {
            let engine = open_engine()?;
            let id = resolve_destination(&engine, &destination)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| EngineError::Internal {
                    detail: e.to_string(),
                })?;
            let report = rt.block_on(engine.test_destination(&id, jiff::Timestamp::now()))?;
            out.value(&report, || output::probe_report(&report));
            if !report.all_ok() {
                return Err(EngineError::TestFailed {
                    destination,
                    failed: report.failed_actions(),
                });
            }
        }
        Command::Destination(DestinationCommand::Remove { destination }) => {
            let engine = open_engine()?;
            let id = resolve_destination(&engine, &destination)?;
            engine.remove_destination(&id)?;
            out.value(&serde_json::json!({ "removed": id }), || {
                format!("removed {destination}; the backups stored there were left in place\n")
            });
        }
        Command::Destination(DestinationCommand::SetSecret {
            destination,
            secret_env,
        }) => {
            let engine = open_engine()?;
            let id = resolve_destination(&engine, &destination)?;
            let secret = secret_from_env(&secret_env)?;
            engine.set_destination_secret(&id, &dbackup_engine::Secret::from(secret))?;
            out.value(&serde_json::json!({ "destination": id }), || {
                format!(
                    "stored the secret access key of {destination} in the OS keyring\n  test it with: dbackup destination test '{destination}'\n"
                )
            });
        }
        Command::Config(command) => config::run(command, out)?,
        Command::Source(command) => sources::run(command, out)?,
        Command::Backup(command) => match command.action {
            Some(action) => jobs::backup_action(action, out)?,
            None => commands::backup(command.args, out)?,
        },
        Command::Job(command) => jobs::job(command, out)?,
        Command::History(args) => jobs::history(args, out)?,
        Command::Retention(command) => jobs::retention_command(command, out)?,
        Command::Daemon => jobs::daemon(out)?,
        Command::Rescan { destination } => jobs::rescan(&destination, out)?,
        Command::Restore(args) => commands::restore(args, out)?,
        Command::Verify(args) => commands::verify(args, out)?,
        Command::Inspect(args) => commands::inspect(args, out)?,
        Command::Key(KeyCommand::Generate { name, output }) => {
            commands::generate_key(&name, &output, out)?
        }
        Command::Key(KeyCommand::Create { name }) => {
            let profile = open_engine()?.create_key_profile(&name, jiff::Timestamp::now())?;
            out.value(&profile, || {
                format!(
                    "created key profile {} (key id {}) in the OS keyring.\nExport its recovery kit now and keep it offline: dbackup key export {} --output {}.kit\n",
                    profile.name, profile.key_id, profile.name, profile.name
                )
            });
        }
        Command::Key(KeyCommand::List) => {
            let profiles = open_engine()?.list_key_profiles()?;
            out.value(&profiles, || output::key_profiles_table(&profiles));
        }
        Command::Key(KeyCommand::Export { profile, output }) => {
            let engine = open_engine()?;
            let kit = engine.export_recovery_kit(&profile)?;
            commands::write_private(&output, kit.as_bytes())?;
            engine.recovery_kit_saved(&profile, jiff::Timestamp::now())?;
            out.value(&serde_json::json!({ "kit": output }), || {
                format!("wrote the recovery kit to {}\n", output.display())
            });
        }
        Command::Key(KeyCommand::Import { name, from }) => {
            let text = std::fs::read_to_string(&from).map_err(|e| {
                EngineError::invalid("from", format!("cannot read {}: {e}", from.display()))
            })?;
            let profile =
                open_engine()?.import_key_profile(&name, &text, jiff::Timestamp::now())?;
            out.value(&profile, || {
                format!(
                    "imported key {} as the profile {}\n",
                    profile.key_id, profile.name
                )
            });
        }
        Command::Keyring(KeyringCommand::Check) => {
            let keyring = Keyring::system();
            keyring.check()?;
            out.value(&serde_json::json!({ "keyring": "ok" }), || {
                "the OS keyring stores, returns and removes secrets: ok\n".to_owned()
            });
        }
    }
    Ok(())
}

/// Accepts an id or a (case-insensitive) name.
pub(crate) fn resolve_destination(engine: &Engine, wanted: &str) -> Result<String, EngineError> {
    let all = engine.list_destinations()?;
    all.iter()
        .find(|d| d.id == wanted)
        .or_else(|| all.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)))
        .map(|d| d.id.clone())
        .ok_or_else(|| EngineError::InvalidInput {
            field: "destination",
            message: format!(
                "no destination with the id or name {wanted:?}; `dbackup destination list` shows them"
            ),
        })
}

/// Exit codes, documented in `--help`.
pub fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::InvalidInput | ErrorCode::Conflict | ErrorCode::NotFound => 2,
        ErrorCode::Store => 3,
        ErrorCode::Keyring => 4,
        ErrorCode::Storage => 5,
        ErrorCode::WrongKey => 6,
        ErrorCode::Corrupt => 7,
        ErrorCode::Source => 8,
        ErrorCode::NeedsRestore => 9,
        ErrorCode::LocalDisk => 10,
        ErrorCode::NeedsUpdate => 11,
        ErrorCode::Cancelled => 130,
        ErrorCode::Internal => 1,
    }
}

/// A secret access key from the environment variable named on the command line
/// (never from an argument, which other users can see).
fn secret_from_env(var: &str) -> Result<String, EngineError> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            EngineError::invalid(
                "secretAccessKey",
                format!("set the secret access key in the environment variable {var}"),
            )
        })
}
