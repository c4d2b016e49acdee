//! Running the databases' own dump and client tools. Their stdout is the backup
//! stream; their stderr is kept (its tail) so a failure says what the tool said.
//! Secrets reach them through the environment or a 0600 file, never argv (`ps`
//! shows argv to every user on the machine).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::SourceError;

/// How much of a tool's stderr is kept for the error message.
const STDERR_TAIL: usize = 4096;

/// A tool found on PATH or in a configured directory.
#[derive(Debug, Clone)]
pub struct Tool {
    /// What people call it, for messages (e.g. `pg_dump`).
    pub name: String,
    pub path: PathBuf,
}

impl Tool {
    /// The first of `candidates` found in `dir` (when set) or on PATH. `install`
    /// says what to install when none is found.
    pub fn find(
        dir: Option<&Path>,
        candidates: &[&str],
        install: &str,
    ) -> Result<Tool, SourceError> {
        let search: Vec<PathBuf> = match dir {
            Some(dir) => vec![dir.to_path_buf()],
            None => std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
        };
        for name in candidates {
            for dir in &search {
                let path = dir.join(name);
                if is_executable(&path) {
                    return Ok(Tool {
                        name: (*name).to_owned(),
                        path,
                    });
                }
            }
        }
        Err(SourceError::ToolNotFound {
            tool: candidates.join(" or "),
            searched: match dir {
                Some(dir) => dir.display().to_string(),
                None => "PATH".into(),
            },
            install: install.to_owned(),
        })
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command.stdin(Stdio::null());
        command
    }

    /// `TOOL --version`, first line.
    pub fn version(&self) -> Result<String, SourceError> {
        let output = self.run(&mut self.command_with(["--version"]))?;
        Ok(output.lines().next().unwrap_or_default().trim().to_owned())
    }

    /// Whether `TOOL --help` lists `option` (whole words only: `--sandbox` is not
    /// `--sandboxed`). A tool whose help cannot be read lists nothing.
    pub fn help_mentions(&self, option: &str) -> bool {
        self.run(&mut self.command_with(["--help"]))
            .is_ok_and(|help| {
                help.split(|c: char| c.is_whitespace() || c == '=' || c == '[' || c == ',')
                    .any(|word| word == option)
            })
    }

    fn command_with<const N: usize>(&self, args: [&str; N]) -> Command {
        let mut command = self.command();
        command.args(args);
        command
    }

    /// Runs to completion and returns stdout; a non-zero exit is an error carrying
    /// the tail of stderr.
    pub fn run(&self, command: &mut Command) -> Result<String, SourceError> {
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| self.spawn_error(e))?;
        if !output.status.success() {
            return Err(self.failed(output.status, &tail_of(&output.stderr)));
        }
        String::from_utf8(output.stdout).map_err(|_| SourceError::ToolFailed {
            tool: self.name.clone(),
            status: "success".into(),
            stderr: "its output was not UTF-8 text".into(),
        })
    }

    /// Starts `command` with stdout as the stream to back up. `explain` turns the
    /// tool's failure into what the user needs to hear.
    pub fn spawn_dump(
        &self,
        command: &mut Command,
        keep_alive: Option<tempfile::TempPath>,
        explain: Explain,
    ) -> Result<DumpStream, SourceError> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let stdout = child.stdout.take();
        let stderr = Stderr::collect(&mut child);
        let Some(stdout) = stdout else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.spawn_error(io::Error::other("no stdout pipe")));
        };
        Ok(DumpStream {
            tool: self.clone(),
            child,
            stdout,
            stderr,
            done: false,
            explain,
            _keep_alive: keep_alive,
        })
    }

    /// Runs `command` with `input` on its stdin (a restore). Fails with the tool's
    /// stderr when it exits non-zero, or with the input's error when reading fails;
    /// on success returns the tail of its stderr (warnings worth showing).
    pub fn feed(&self, command: &mut Command, input: &mut dyn Read) -> Result<String, SourceError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let stderr = Stderr::collect(&mut child);
        let mut stdin = child.stdin.take();
        let copied = match stdin.as_mut() {
            Some(stdin) => copy_input(input, stdin),
            None => Err(CopyError::Write(io::Error::other("no stdin pipe"))),
        };
        if let Err(CopyError::Read(e)) = copied {
            // Killed while its stdin is still open: it must never see a clean end of
            // a cut-off input, or it would commit a partial restore.
            let _ = child.kill();
            let _ = child.wait();
            return Err(SourceError::RestoreInput {
                detail: e.to_string(),
            });
        }
        drop(stdin);
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        let tail = stderr.finish();
        if !status.success() {
            return Err(self.failed(status, &tail));
        }
        if let Err(CopyError::Write(e)) = copied {
            // Exited 0 without reading all of its input: not a complete restore.
            return Err(SourceError::ToolFailed {
                tool: self.name.clone(),
                status: "success".into(),
                stderr: format!("it stopped reading its input early ({e}); {tail}"),
            });
        }
        Ok(tail)
    }

    fn spawn_error(&self, e: io::Error) -> SourceError {
        SourceError::ToolStart {
            tool: self.name.clone(),
            path: self.path.clone(),
            source: e,
        }
    }

    fn failed(&self, status: ExitStatus, stderr: &str) -> SourceError {
        SourceError::ToolFailed {
            tool: self.name.clone(),
            status: describe(status),
            stderr: stderr.to_owned(),
        }
    }
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy_input(input: &mut dyn Read, out: &mut impl Write) -> Result<(), CopyError> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

fn tail_of(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&bytes[start..]).trim().to_owned()
}

/// The tail of a child's stderr, read on a thread so the child never blocks on a
/// full stderr pipe while we read its stdout.
struct Stderr {
    tail: Arc<Mutex<VecDeque<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Stderr {
    fn collect(child: &mut Child) -> Stderr {
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
        let reader = child.stderr.take().map(|mut pipe| {
            let tail = tail.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    tail.extend(&buf[..n]);
                    let excess = tail.len().saturating_sub(STDERR_TAIL);
                    tail.drain(..excess);
                }
            })
        });
        Stderr { tail, reader }
    }

    /// Waits for the child's stderr to close and returns its tail.
    fn finish(mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let bytes: Vec<u8> = tail.iter().copied().collect();
        tail_of(&bytes)
    }
}

/// Maps a tool's failure to a specific error (authentication, permission, ...).
pub type Explain = Box<dyn Fn(SourceError) -> SourceError + Send>;

/// A dump tool's stdout. At the end of the stream the tool's exit status is checked:
/// a tool that failed half-way turns into a read error, so the pipeline aborts the
/// upload instead of storing a truncated dump.
pub struct DumpStream {
    tool: Tool,
    child: Child,
    stdout: ChildStdout,
    stderr: Stderr,
    done: bool,
    explain: Explain,
    // The 0600 option file holding the password; removed when the stream is dropped.
    _keep_alive: Option<tempfile::TempPath>,
}

impl std::fmt::Debug for DumpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DumpStream")
            .field("tool", &self.tool.name)
            .finish()
    }
}

impl Read for DumpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.stdout.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        self.done = true;
        let status = self.child.wait()?;
        let stderr = std::mem::replace(
            &mut self.stderr,
            Stderr {
                tail: Arc::default(),
                reader: None,
            },
        )
        .finish();
        if status.success() {
            Ok(0)
        } else {
            Err(io::Error::other((self.explain)(
                self.tool.failed(status, &stderr),
            )))
        }
    }
}

impl Drop for DumpStream {
    fn drop(&mut self) {
        if !self.done {
            // Cancelled or failed downstream: stop the tool rather than leave it
            // writing into a pipe nobody reads.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An environment for a child: the variables to set, kept out of argv.
#[derive(Default)]
pub struct ChildEnv {
    vars: Vec<(String, OsString)>,
}

impl ChildEnv {
    pub fn set(&mut self, name: &str, value: impl Into<OsString>) {
        self.vars.push((name.to_owned(), value.into()));
    }

    pub fn apply(&self, command: &mut Command) {
        for (name, value) in &self.vars {
            command.env(name, value);
        }
    }
}

/// Host, port and user of a database server: present before anything connects.
pub(crate) fn validate_server(
    host: &str,
    port: u16,
    user: &str,
    default_port: &str,
) -> Result<(), SourceError> {
    if host.trim().is_empty() {
        return Err(invalid(
            "host",
            "enter the server's host name or IP address",
        ));
    }
    if port == 0 {
        return Err(invalid(
            "port",
            &format!("enter a port between 1 and 65535 (the default is {default_port})"),
        ));
    }
    if user.trim().is_empty() {
        return Err(invalid("user", "enter the user to connect as"));
    }
    Ok(())
}

pub(crate) fn invalid(field: &'static str, problem: &str) -> SourceError {
    SourceError::Invalid {
        field,
        problem: problem.to_owned(),
    }
}

/// The last non-empty line of a tool's stderr: usually the error itself.
pub(crate) fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn sh() -> Tool {
        Tool::find(None, &["sh"], "a POSIX shell").unwrap()
    }

    #[test]
    fn a_tool_that_fails_half_way_turns_into_a_read_error_with_its_stderr() {
        let tool = sh();
        let mut cmd = tool.command();
        cmd.args([
            "-c",
            "printf partial; echo 'pg_dump: error: connection lost' >&2; exit 3",
        ]);
        let mut stream = tool.spawn_dump(&mut cmd, None, Box::new(|e| e)).unwrap();
        let mut out = Vec::new();
        let err = stream.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, b"partial");
        let message = err.to_string();
        assert!(message.contains("exit status 3"), "{message}");
        assert!(message.contains("connection lost"), "{message}");
    }

    #[test]
    fn a_tool_that_succeeds_ends_the_stream_cleanly() {
        let tool = sh();
        let mut cmd = tool.command();
        cmd.args(["-c", "head -c 300000 /dev/zero; echo noise >&2"]);
        let mut stream = tool.spawn_dump(&mut cmd, None, Box::new(|e| e)).unwrap();
        let mut out = Vec::new();
        stream.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 300_000);
    }

    #[test]
    fn a_missing_tool_names_what_to_install() {
        let err = Tool::find(None, &["no-such-dump-tool"], "apt-get install x").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("no-such-dump-tool"), "{message}");
        assert!(message.contains("apt-get install x"), "{message}");
    }

    #[test]
    fn feeding_a_tool_that_rejects_its_input_reports_its_stderr() {
        let tool = sh();
        let mut cmd = tool.command();
        cmd.args([
            "-c",
            "head -c 10 >/dev/null; echo 'ERROR 1064: syntax' >&2; exit 1",
        ]);
        let mut input: &[u8] = &[b'x'; 1_000_000];
        let err = tool.feed(&mut cmd, &mut input).unwrap_err().to_string();
        assert!(err.contains("ERROR 1064"), "{err}");
    }

    #[test]
    fn a_cut_off_input_kills_the_tool_before_it_sees_the_end() {
        struct CutOff(usize);
        impl Read for CutOff {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("stream cut off"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let tool = sh();
        let dir = tempfile::tempdir().unwrap();
        let committed = dir.path().join("committed");
        let mut cmd = tool.command();
        // Like pg_restore --single-transaction: commits only after a clean end of input.
        cmd.arg("-c")
            .arg(format!("cat >/dev/null && touch '{}'", committed.display()));
        let err = tool.feed(&mut cmd, &mut CutOff(5)).unwrap_err().to_string();
        assert!(err.contains("stream cut off"), "{err}");
        assert!(!committed.exists(), "the tool saw a clean end of input");
    }

    #[test]
    fn feeding_passes_every_byte() {
        let tool = sh();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut cmd = tool.command();
        cmd.arg("-c").arg(format!("cat > '{}'", out.display()));
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        tool.feed(&mut cmd, &mut data.as_slice()).unwrap();
        assert_eq!(std::fs::read(out).unwrap(), data);
    }
}
