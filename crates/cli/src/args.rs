use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected failure (a bug: please report it with what the command printed)
  2  bad input or usage: a wrong argument, an unknown or duplicate name
  3  the state database cannot be used (damaged, from a newer DBackup, read-only)
  4  the OS keyring is locked, missing or refused
  5  a destination (bucket or folder) failed
  6  wrong key or passphrase
  7  a backup is damaged or disagrees with its manifest
  8  the source failed (a dump tool, a file)
  9  the backup is in S3 Glacier: restore it first (`dbackup backup glacier-restore`)
  10 writing on this computer failed (a restore or download target): disk full, or
     not writable there
  11 made by a newer DBackup (a backup's format, a configuration file): update DBackup
  130 cancelled

Environment:
  DBACKUP_DATA_DIR  where the state database lives (default: the OS data folder,
                    ~/.local/share/dbackup on Linux); shared with the desktop app
  DBACKUP_LOG_DIR   where logs go (default: ~/.local/state/dbackup/logs on Linux)
  DBACKUP_KEYRING_SERVICE  the OS keyring service name (default: dbackup)

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
    /// What is backed up: PostgreSQL and MySQL/MariaDB servers, SQLite files, folders.
    #[command(subcommand)]
    Source(SourceCommand),
    /// The OS keyring, where passwords and keys are kept.
    #[command(subcommand)]
    Keyring(KeyringCommand),
    /// Encryption keys and recovery kits.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Back up a saved source, a file or standard input, compressed and encrypted, to one or
    /// more destinations; or list, lock and unlock stored backups.
    Backup(BackupCommand),
    /// Jobs: a source, its destinations, a schedule and retention.
    #[command(subcommand)]
    Job(JobCommand),
    /// Past and running runs of jobs, newest first.
    History(HistoryArgs),
    /// Which backups a job's retention keeps and deletes, and why.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Run the jobs' schedules until stopped (Ctrl-C or SIGTERM), for machines without the
    /// desktop app. Only one scheduler (this or the app) may run per state database.
    Daemon,
    /// Read the manifests on a saved destination into DBackup's catalog, so backups made
    /// elsewhere (or before this state was lost) are known here.
    Rescan {
        /// The destination's name or id.
        destination: String,
    },
    /// Restore a backup into a file, or into a source's database or folder. Needs only the
    /// destination and the key or passphrase.
    Restore(RestoreArgs),
    /// Download a backup, check every chunk and compare it with its manifest.
    Verify(VerifyArgs),
    /// Show what a backup is (its header and manifest); needs no key.
    Inspect(InspectArgs),
    /// Move the configuration (destinations, sources, jobs, preferences) to another
    /// computer, without secrets.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the configuration to a new JSON file. It holds no secret: secret access keys,
    /// database passwords and encryption keys stay in this computer's keyring.
    Export {
        /// The new file (default: "DBackup configuration DATE.json" in the home folder).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Add what a configuration file holds. Items whose names are taken here are left as
    /// they are, so importing twice is harmless. Prints what needs a secret typed.
    Import {
        /// The file `dbackup config export` (or the app) wrote.
        file: PathBuf,
        /// Only say what importing would do.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where backups are: a folder path, s3://BUCKET/PREFIX, or a saved destination's name.
/// For s3:// addresses the credentials come from AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY in the environment, else from the AWS default chain (AWS_PROFILE
/// and ~/.aws, SSO, the instance or container role).
#[derive(Debug, Clone, Args)]
pub struct S3Options {
    /// The S3-compatible endpoint (e.g. https://ACCOUNT.r2.cloudflarestorage.com); omit for Amazon S3.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The bucket's region (default: AWS_REGION, else us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Path-style addressing (implied by --endpoint).
    #[arg(long)]
    pub path_style: bool,
    /// Storage class for the data object (the manifest always uses STANDARD).
    #[arg(long)]
    pub storage_class: Option<String>,
    /// Server-side encryption of what a backup writes: bucket-default, s3 (AES256) or kms.
    #[arg(long, value_enum, default_value = "bucket-default")]
    pub sse: SseArg,
    /// With --sse kms: the KMS key (id, ARN or alias); omit for the account's default key.
    #[arg(long)]
    pub kms_key_id: Option<String>,
    /// Accept an http:// --endpoint beyond this computer and private networks (keys'
    /// signatures and every byte travel in clear).
    #[arg(long)]
    pub allow_plain_http: bool,
}

#[derive(Debug, Clone, Args)]
pub struct KeyOptions {
    /// A recovery kit, or a file holding the key as 64 hex characters. Repeat to offer
    /// several keys. Without this or a passphrase, the key profiles in the OS keyring are used.
    #[arg(long)]
    pub key_file: Vec<PathBuf>,
    /// The name of an environment variable holding the passphrase.
    #[arg(long, conflicts_with = "passphrase_file")]
    pub passphrase_env: Option<String>,
    /// A file holding the passphrase (its first line).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompressionArg {
    Zstd,
    None,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupCommand {
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    #[command(flatten)]
    pub args: BackupArgs,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Backups DBackup knows of (from its runs and rescans), newest first.
    List {
        /// Only those on this destination (name or id).
        #[arg(long)]
        destination: Option<String>,
        /// Only those of this job (name or id).
        #[arg(long)]
        job: Option<String>,
    },
    /// Lock a backup: retention never deletes it. The lock is kept in its manifest.
    Lock(LockArgs),
    /// Unlock a backup, so retention judges it again.
    Unlock(LockArgs),
    /// Restore a backup stored in S3 Glacier (GLACIER, DEEP_ARCHIVE) to a readable copy,
    /// so it can be downloaded, verified or restored; or, with --check, say how that goes.
    GlacierRestore(GlacierRestoreArgs),
    /// Ask S3 about every restore from Glacier asked for from this computer, and print
    /// those that became readable since the last check, each once; quiet otherwise, so
    /// cron mails only news.
    GlacierCheck,
}

#[derive(Debug, Args)]
pub struct GlacierRestoreArgs {
    /// The backup's name within the destination, e.g. orders/orders_2026-11-25T10-00-00Z.dbk.
    pub object: String,
    /// Where it is: a saved destination or s3://BUCKET/PREFIX.
    #[arg(long)]
    pub from: String,
    /// expedited (1-5 minutes; not for Deep Archive), standard (3-5 hours; 12 for Deep
    /// Archive) or bulk (5-12 hours; 48 for Deep Archive; the cheapest).
    #[arg(long, value_enum, default_value = "standard")]
    pub tier: TierArg,
    /// How many days the restored copy stays readable (S3 charges for it meanwhile).
    #[arg(long, default_value_t = dbackup_engine::glacier::DEFAULT_RESTORE_DAYS)]
    pub days: u32,
    /// Only report whether the backup can be read now; request nothing.
    #[arg(long, conflicts_with = "wait")]
    pub check: bool,
    /// Wait up to this many minutes for the copy to become readable, checking every
    /// minute; exit 0 once it is, 1 if it is not by then.
    #[arg(long, value_name = "MINUTES")]
    pub wait: Option<u64>,
    #[command(flatten)]
    pub s3: S3Options,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TierArg {
    Expedited,
    Standard,
    Bulk,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// The backup's name within the destination, e.g. orders/orders_2026-11-25T10-00-00Z.dbk.
    pub object: String,
    /// Where it is: a saved destination, a folder path or s3://BUCKET/PREFIX.
    #[arg(long)]
    pub from: String,
    /// S3 Object Lock: make the server itself refuse to delete it until this date
    /// (YYYY-MM-DD, through the end of that day UTC, or an RFC 3339 time). Needs a
    /// bucket created with Object Lock enabled.
    #[arg(long)]
    pub until: Option<String>,
    /// With --until: governance (removable with s3:BypassGovernanceRetention) or
    /// compliance (nobody can remove or shorten it, not even the account's root user).
    #[arg(long, value_enum, default_value = "governance", requires = "until")]
    pub mode: LockModeArg,
    #[command(flatten)]
    pub s3: S3Options,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LockModeArg {
    Governance,
    Compliance,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A saved source (its name or id): every database it covers, each as its own backup.
    #[arg(long, conflicts_with_all = ["file", "stdin"])]
    pub source: Option<String>,
    /// The file to back up.
    #[arg(long, required_unless_present_any = ["stdin", "source"], conflicts_with = "stdin")]
    pub file: Option<PathBuf>,
    /// Back up what arrives on standard input (e.g. `pg_dump ... | dbackup backup --stdin`).
    #[arg(long)]
    pub stdin: bool,
    /// Destination; repeat to store copies in several places.
    #[arg(long = "to", required = true)]
    pub to: Vec<String>,
    /// The job name: the folder and prefix of the backup's name (default: the source's or
    /// the file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Encrypt with this key profile from the OS keyring (name or key id).
    #[arg(long, conflicts_with_all = ["key_file", "passphrase_env", "passphrase_file"])]
    pub key: Option<String>,
    /// Store without encryption (not recommended: anyone with bucket access can read it).
    #[arg(long, conflicts_with_all = ["key", "key_file", "passphrase_env", "passphrase_file"])]
    pub no_encryption: bool,
    #[arg(long, value_enum, default_value = "zstd")]
    pub compression: CompressionArg,
    /// zstd level, 1 (fastest) to 19.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=19))]
    pub level: i32,
    #[command(flatten)]
    pub s3: S3Options,
    #[command(flatten)]
    pub keys: KeyOptions,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup's name within the destination, e.g. orders/orders_2026-11-25T10-00-00Z.dbk.
    pub object: String,
    /// Where the backup is.
    #[arg(long)]
    pub from: String,
    /// The file to restore into; with --into-source, the SQLite file or the folder to
    /// restore into instead of the source's own.
    #[arg(long, required_unless_present = "into_source")]
    pub output: Option<PathBuf>,
    /// Restore into this saved source's server (or file, or folder).
    #[arg(long)]
    pub into_source: Option<String>,
    /// With --into-source: the database to restore into (default: the backup's own). It is
    /// created when missing.
    #[arg(long, requires = "into_source")]
    pub database: Option<String>,
    /// PostgreSQL: drop the backup's objects in the target before recreating them.
    #[arg(long, requires = "into_source")]
    pub clean: bool,
    /// Afterwards compare the row count of every table with the database the backup was
    /// taken from, on the same source.
    #[arg(long, requires = "into_source")]
    pub check: bool,
    /// Replace the output file if it exists; restore into a database or folder that is
    /// not empty.
    #[arg(long)]
    pub overwrite: bool,
    /// Accept a backup that is not encrypted. Anyone who can write to the destination
    /// can plant such a backup, so only use this for a backup you know the origin of.
    #[arg(long)]
    pub allow_unencrypted: bool,
    #[command(flatten)]
    pub s3: S3Options,
    #[command(flatten)]
    pub keys: KeyOptions,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub object: String,
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub s3: S3Options,
    #[command(flatten)]
    pub keys: KeyOptions,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    pub object: String,
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub s3: S3Options,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key profile: a new random 256-bit key kept in the OS keyring.
    Create {
        /// A name for the key, e.g. "laptop".
        #[arg(long)]
        name: String,
    },
    /// List key profiles (names and key ids; never the keys).
    List,
    /// Write a key profile's recovery kit to a file (mode 0600), to keep offline.
    Export {
        /// The profile's name or key id.
        profile: String,
        /// Where to write the kit; refused if it exists.
        #[arg(long)]
        output: PathBuf,
    },
    /// Import a key from a recovery kit (or a file with 64 hex characters) into the OS keyring.
    Import {
        #[arg(long)]
        name: String,
        /// The kit or key file.
        #[arg(long)]
        from: PathBuf,
    },
    /// Create a new random key as a recovery kit file only, for machines without a keyring.
    Generate {
        /// A name for the key, e.g. "laptop".
        #[arg(long)]
        name: String,
        /// Where to write the kit; refused if it exists.
        #[arg(long)]
        output: PathBuf,
    },
}

// Parsed once per process: the size of the S3 variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
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
    /// Add an Amazon S3, Cloudflare R2 or S3-compatible bucket. The secret key is read
    /// from the environment variable named by --secret-env (never from an argument) and
    /// kept in the OS keyring.
    AddS3 {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "aws")]
        provider: ProviderArg,
        #[arg(long)]
        bucket: String,
        /// AWS region (e.g. us-east-1); for S3-compatible servers, the server's region.
        #[arg(long, default_value = "")]
        region: String,
        /// Folder within the bucket.
        #[arg(long, default_value = "")]
        prefix: String,
        /// S3-compatible servers: the URL.
        #[arg(long)]
        endpoint: Option<String>,
        /// S3-compatible servers: path-style addressing.
        #[arg(long)]
        path_style: bool,
        /// Cloudflare R2: the account ID.
        #[arg(long)]
        account_id: Option<String>,
        /// The access key id (its secret comes from --secret-env).
        #[arg(long, required_unless_present = "default_credentials")]
        access_key_id: Option<String>,
        /// The environment variable holding the secret access key.
        #[arg(long, default_value = "AWS_SECRET_ACCESS_KEY")]
        secret_env: String,
        /// Use the AWS default credential chain instead of an access key: environment,
        /// ~/.aws profiles (--profile), SSO, credential_process, the instance or
        /// container role. Nothing is stored in the keyring.
        #[arg(long, conflicts_with = "access_key_id")]
        default_credentials: bool,
        /// With --default-credentials: the profile of ~/.aws/config (default: AWS_PROFILE).
        #[arg(long, requires = "default_credentials")]
        profile: Option<String>,
        /// STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE.
        #[arg(long)]
        storage_class: Option<String>,
        /// Server-side encryption: bucket-default, s3 (AES256) or kms.
        #[arg(long, value_enum, default_value = "bucket-default")]
        sse: SseArg,
        #[arg(long)]
        kms_key_id: Option<String>,
        #[arg(long)]
        transfer_acceleration: bool,
        /// Accept an http:// endpoint beyond this computer and private networks. Keys'
        /// signatures and every byte then travel in clear; prefer https://.
        #[arg(long)]
        allow_plain_http: bool,
    },
    /// Test a saved destination: each action backups need, and the bucket's settings.
    Test {
        /// The destination's id or name.
        destination: String,
    },
    /// Store the secret access key of a saved S3 destination (after `dbackup config import`,
    /// or when the key was rotated); read from the environment variable --secret-env.
    SetSecret {
        /// The destination's id or name.
        destination: String,
        #[arg(long, default_value = "AWS_SECRET_ACCESS_KEY")]
        secret_env: String,
    },
    /// Stop using a destination. The backups stored there are left in place.
    Remove {
        /// The destination's id or name.
        destination: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct PasswordArgs {
    /// The environment variable holding the database password (never give it as an
    /// argument: other users can see arguments). Kept in the OS keyring.
    #[arg(long)]
    pub password_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// List sources.
    List,
    /// Add a PostgreSQL server: one database, or every database plus roles (globals).
    AddPostgres {
        #[arg(long)]
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 5432)]
        port: u16,
        #[arg(long)]
        user: String,
        /// The database; omit to back up every database and the roles.
        #[arg(long)]
        database: Option<String>,
        /// disable, allow, prefer, require, verify-ca or verify-full.
        #[arg(long, default_value = "prefer")]
        ssl_mode: String,
        /// Where pg_dump, pg_restore and psql are (default: on PATH).
        #[arg(long)]
        tools_dir: Option<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Add a MySQL or MariaDB server.
    AddMysql {
        #[arg(long)]
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 3306)]
        port: u16,
        #[arg(long)]
        user: String,
        /// A database; repeat for several; omit for every database.
        #[arg(long)]
        database: Vec<String>,
        /// Where mariadb-dump/mysqldump and mariadb/mysql are (default: on PATH).
        #[arg(long)]
        tools_dir: Option<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Add an SQLite database file (copied consistently while in use).
    AddSqlite {
        #[arg(long)]
        name: String,
        #[arg(long)]
        path: PathBuf,
    },
    /// Add a folder.
    AddFolder {
        #[arg(long)]
        name: String,
        #[arg(long)]
        path: PathBuf,
        /// Take only what matches this glob (relative to the folder); repeat for several.
        #[arg(long)]
        include: Vec<String>,
        /// Leave out what matches this glob, e.g. 'node_modules/**'; repeat for several.
        #[arg(long)]
        exclude: Vec<String>,
    },
    /// Test a source: tools found and recent enough, server reachable, password accepted,
    /// every database readable.
    Test {
        /// The source's id or name.
        source: String,
    },
    /// Store the password of a saved database source (after `dbackup config import`, or
    /// when the password changed).
    SetPassword {
        /// The source's id or name.
        source: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Stop using a source. Its backups are left in place.
    Remove {
        /// The source's id or name.
        source: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Check that the OS keyring can store, return and remove a secret.
    Check,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Aws,
    R2,
    Custom,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SseArg {
    BucketDefault,
    S3,
    Kms,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CatchUpArg {
    /// One run at start for times missed while the computer was off.
    Once,
    /// Record missed times as skipped.
    Skip,
}

/// A job's settings. For `job create`, --name, --source and --to are required; for
/// `job edit`, only what is given changes.
#[derive(Debug, Args)]
pub struct JobSpec {
    /// A unique name; also the folder its backups go in.
    #[arg(long)]
    pub name: Option<String>,
    /// The saved source to back up (name or id).
    #[arg(long)]
    pub source: Option<String>,
    /// A saved destination (name or id); repeat for copies in several places. With
    /// `edit`, replaces the job's destinations.
    #[arg(long = "to")]
    pub to: Vec<String>,
    /// A cron expression in local time: minute hour day-of-month month day-of-week.
    #[arg(long, conflicts_with_all = ["hourly", "daily", "weekly", "monthly", "manual"])]
    pub schedule: Option<String>,
    /// Every hour at this minute (0-59).
    #[arg(long, conflicts_with_all = ["daily", "weekly", "monthly", "manual"])]
    pub hourly: Option<u8>,
    /// Every day at HH:MM.
    #[arg(long, value_name = "HH:MM", conflicts_with_all = ["weekly", "monthly", "manual"])]
    pub daily: Option<String>,
    /// Every week, e.g. `sun@23:00`.
    #[arg(long, value_name = "DAY@HH:MM", conflicts_with_all = ["monthly", "manual"])]
    pub weekly: Option<String>,
    /// Every month on a day (1-28, or `last`), e.g. `1@04:00`.
    #[arg(long, value_name = "DAY@HH:MM", conflicts_with = "manual")]
    pub monthly: Option<String>,
    /// Only when run by hand.
    #[arg(long)]
    pub manual: bool,
    /// What to do about times missed while the computer was off.
    #[arg(long, value_enum)]
    pub catch_up: Option<CatchUpArg>,
    /// Encrypt with this key profile (name or key id).
    #[arg(long, conflicts_with = "no_encryption")]
    pub key: Option<String>,
    /// Store without encryption (not recommended: anyone with bucket access can read it).
    #[arg(long)]
    pub no_encryption: bool,
    #[arg(long, value_enum)]
    pub compression: Option<CompressionArg>,
    /// zstd level, 1 (fastest) to 19.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=19))]
    pub level: Option<i32>,
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// Notify when a run succeeds too (the desktop app; failures always notify).
    #[arg(long)]
    pub notify_success: Option<bool>,
}

/// Retention for every destination of the job: keep the last N, or GFS tiers.
#[derive(Debug, Args, Default)]
pub struct RetentionArgs {
    /// Keep the newest N backups.
    #[arg(long, conflicts_with_all = ["keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_all"])]
    pub keep_last: Option<u32>,
    /// GFS: the newest backup of each of N hours.
    #[arg(long)]
    pub keep_hourly: Option<u32>,
    /// GFS: ... of each of N days before those.
    #[arg(long)]
    pub keep_daily: Option<u32>,
    /// GFS: ... of each of N ISO weeks before those.
    #[arg(long)]
    pub keep_weekly: Option<u32>,
    /// GFS: ... of each of N months before those.
    #[arg(long)]
    pub keep_monthly: Option<u32>,
    /// GFS: ... of each of N years before those.
    #[arg(long)]
    pub keep_yearly: Option<u32>,
    /// Keep every backup (retention off).
    #[arg(long)]
    pub keep_all: bool,
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Jobs, with their schedule, last run and next time.
    List,
    /// Create a job, e.g.
    /// `dbackup job create --name orders --source orders-db --to s3-eu --daily 02:30 --key laptop --keep-daily 7 --keep-weekly 4`.
    Create(JobSpec),
    /// Change a job; what is not given stays. Its backups stay its own after a rename.
    Edit {
        /// The job's name or id.
        job: String,
        #[command(flatten)]
        spec: JobSpec,
    },
    /// A job's settings, its next five times and its last run.
    Show { job: String },
    /// Run a job now, in the foreground, with progress.
    Run { job: String },
    /// Cancel a running job (wherever it runs: the app, the daemon or another terminal).
    Cancel { job: String },
    /// Pause a job's schedule, or every schedule with --all.
    Pause {
        #[arg(required_unless_present = "all")]
        job: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Resume a job's schedule, or every schedule with --all.
    Resume {
        #[arg(required_unless_present = "all")]
        job: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Remove a job. Its history stays; its backups too, unless --delete-backups.
    Remove {
        job: String,
        /// Also delete every backup of the job the catalog knows (locked ones are kept).
        #[arg(long)]
        delete_backups: bool,
    },
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this job's runs (name or id).
    #[arg(long)]
    pub job: Option<String>,
    /// How many runs per page.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// The page after this run id (the `next` of the previous page).
    #[arg(long)]
    pub before: Option<String>,
    /// Show one run in full.
    #[arg(long, conflicts_with_all = ["job", "before"])]
    pub run: Option<String>,
    /// Remove runs older than the kept history; with N, first keep N days from now on.
    #[arg(long, value_name = "DAYS", num_args = 0..=1, default_missing_value = "0")]
    pub prune: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RetentionTarget {
    /// The job (name or id).
    #[arg(long)]
    pub job: String,
    /// Only this destination of the job (name or id).
    #[arg(long)]
    pub destination: Option<String>,
    /// Instead of the job's own retention, judge with these rules.
    #[command(flatten)]
    pub rule: RetentionArgs,
    /// Also judge the backups another computer made for this job (the id or tag the
    /// preview names), or `unrecorded` for backups made before DBackup recorded
    /// computers. By default only this computer's backups are judged.
    #[arg(long, value_name = "COMPUTER")]
    pub adopt: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// What would be kept and deleted, with the reason for each; deletes nothing.
    Preview(RetentionTarget),
    /// Delete what the preview lists as deleted.
    Apply(RetentionTarget),
}
