use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected failure (a bug: please report it with the log)
  2  bad input or usage: a wrong argument, an unknown or duplicate name
  3  the state database cannot be used (damaged, from a newer DBackup, read-only)
  4  the OS keyring is locked, missing or refused
  5  a destination (bucket or folder) failed

Environment:
  DBACKUP_DATA_DIR  where the state database lives (default: the OS data folder,
                    ~/.local/share/dbackup on Linux); shared with the desktop app
  DBACKUP_LOG_DIR   where logs go (default: ~/.local/state/dbackup/logs on Linux)

With --json, results are printed as JSON on stdout, and errors as
{\"error\": {\"code\": ..., \"message\": ...}} on stdout too (the message also goes to stderr).";

/// Back up databases and folders to S3 and S3-compatible storage, compressed and encrypted.
#[derive(Debug, Parser)]
#[command(name = "dbackup", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where DBackup keeps its state, and what it knows.
    Status,
    /// Places backups are stored.
    #[command(subcommand)]
    Destination(DestinationCommand),
    /// The OS keyring, where passwords and keys are kept.
    #[command(subcommand)]
    Keyring(KeyringCommand),
}

#[derive(Debug, Subcommand)]
pub enum DestinationCommand {
    /// List destinations.
    List,
    /// Add a folder on a local disk or a mounted share (NAS) as a destination.
    AddLocal {
        /// A unique name, e.g. "NAS".
        #[arg(long)]
        name: String,
        /// The folder; it must exist.
        #[arg(long)]
        path: String,
    },
    /// Stop using a destination. The backups stored there are left in place.
    Remove {
        /// The destination's id or name.
        destination: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Check that the OS keyring can store, return and remove a secret.
    Check,
}
