//! The check a PostgreSQL roles script (`pg_dumpall --globals-only`) passes before
//! psql sees it. psql runs meta-commands (`\!`, `\o |`, `\copy ... program`, `\i`)
//! wherever they appear outside quotes, and SQL such as `COPY ... PROGRAM` runs
//! programs on the server: a script planted in a bucket would run them as the user
//! restoring it. So only what pg_dumpall writes for globals gets through: comments,
//! `SET`, roles, role memberships, tablespaces, their comments and security labels,
//! and the `\restrict`/`\unrestrict` lines of current pg_dumpall versions.

use crate::SourceError;

/// Statements pg_dumpall --globals-only writes (with --clean, the DROPs too), by their
/// leading words, upper-cased.
const ALLOWED: &[&[&str]] = &[
    &["SET"],
    &["CREATE", "ROLE"],
    &["ALTER", "ROLE"],
    &["DROP", "ROLE"],
    &["GRANT"],
    &["REVOKE"],
    &["CREATE", "TABLESPACE"],
    &["ALTER", "TABLESPACE"],
    &["DROP", "TABLESPACE"],
    &["COMMENT", "ON", "ROLE"],
    &["COMMENT", "ON", "TABLESPACE"],
    &["SECURITY", "LABEL"],
];

/// Where the scanner is.
#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    /// `'...'`; `escapes` for `E'...'`, where a backslash escapes the next character.
    Quoted {
        escapes: bool,
    },
    Identifier,
    LineComment,
    /// Nesting depth: PostgreSQL block comments nest.
    BlockComment(u32),
}

/// Passes a roles script when every statement is one pg_dumpall writes for globals
/// and the only meta-commands are `\restrict`/`\unrestrict` on lines of their own.
pub fn check(script: &str) -> Result<(), SourceError> {
    let refuse = |line: usize, what: String| SourceError::UnsafeScript { line, what };
    let mut state = State::Code;
    let mut statement = String::new();
    let mut statement_line = 1;
    let mut line = 1;
    let mut at_line_start = true;
    let mut chars = script.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        match state {
            State::Code => match c {
                '\\' => {
                    let rest = &script[i..];
                    let end = rest.find('\n').unwrap_or(rest.len());
                    let command_line = rest[..end].trim_end();
                    if at_line_start && statement.trim().is_empty() && is_restrict(command_line) {
                        // Skip the rest of the line: the key is not SQL.
                        while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                            chars.next();
                        }
                        continue;
                    }
                    let name: String = rest
                        .chars()
                        .take(1)
                        .chain(
                            rest.chars()
                                .skip(1)
                                .take_while(|c| c.is_alphanumeric() || *c == '!'),
                        )
                        .collect();
                    return Err(refuse(line, format!("the psql meta-command {name}")));
                }
                '\'' => {
                    let escapes = statement
                        .chars()
                        .last()
                        .is_some_and(|p| p == 'E' || p == 'e')
                        && !statement
                            .chars()
                            .rev()
                            .nth(1)
                            .is_some_and(|p| p.is_alphanumeric() || p == '_');
                    statement.push(c);
                    state = State::Quoted { escapes };
                }
                '"' => {
                    statement.push(c);
                    state = State::Identifier;
                }
                '-' if next == Some('-') => state = State::LineComment,
                '/' if next == Some('*') => {
                    chars.next();
                    state = State::BlockComment(1);
                }
                '$' if statement.ends_with(|p: char| !p.is_alphanumeric() && p != '_')
                    || statement.is_empty() =>
                {
                    // Dollar quoting is not in pg_dumpall's globals; refusing it keeps
                    // the scanner simple and exact.
                    return Err(refuse(line, "a dollar-quoted string".into()));
                }
                ';' => {
                    check_statement(&statement, statement_line)?;
                    statement.clear();
                }
                _ => {
                    if statement.trim().is_empty() && !c.is_whitespace() {
                        statement_line = line;
                    }
                    statement.push(c);
                }
            },
            State::Quoted { escapes } => {
                statement.push(c);
                if escapes && c == '\\' {
                    if let Some((_, n)) = chars.next() {
                        statement.push(n);
                        if n == '\n' {
                            line += 1;
                        }
                    }
                } else if c == '\'' {
                    if next == Some('\'') {
                        chars.next();
                        statement.push('\'');
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::Identifier => {
                statement.push(c);
                if c == '"' {
                    if next == Some('"') {
                        chars.next();
                        statement.push('"');
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(depth) => {
                if c == '*' && next == Some('/') {
                    chars.next();
                    state = if depth == 1 {
                        State::Code
                    } else {
                        State::BlockComment(depth - 1)
                    };
                } else if c == '/' && next == Some('*') {
                    chars.next();
                    state = State::BlockComment(depth + 1);
                }
            }
        }
        if c == '\n' {
            line += 1;
            at_line_start = true;
            if state == State::Code && !statement.is_empty() {
                statement.push(' ');
            }
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
    }
    match state {
        State::Code | State::LineComment => {}
        _ => return Err(refuse(line, "an unterminated string or comment".into())),
    }
    if !statement.trim().is_empty() {
        return Err(refuse(
            statement_line,
            "a statement without its closing semicolon".into(),
        ));
    }
    Ok(())
}

/// `\restrict KEY` or `\unrestrict KEY`, as pg_dumpall writes them (the key is
/// alphanumeric).
fn is_restrict(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!(words.next(), Some("\\restrict" | "\\unrestrict"))
        && words
            .next()
            .is_some_and(|key| key.chars().all(|c| c.is_ascii_alphanumeric()))
        && words.next().is_none()
}

fn check_statement(statement: &str, line: usize) -> Result<(), SourceError> {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(3)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words.is_empty() {
        return Ok(());
    }
    let allowed = ALLOWED.iter().any(|prefix| {
        prefix.len() <= words.len() && prefix.iter().zip(&words).all(|(a, w)| a == w)
    });
    if allowed {
        return Ok(());
    }
    let start: String = statement.trim().chars().take(40).collect();
    Err(SourceError::UnsafeScript {
        line,
        what: format!("the statement \"{start}\""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What pg_dumpall 15.18 --globals-only writes, with a password and a comment.
    const GENUINE: &str = r#"\restrict 3fQyZ0abc9

--
-- PostgreSQL database cluster dump
--

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE app;
ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi';
CREATE ROLE "Odd ""name""";
COMMENT ON ROLE app IS E'it''s the app\'s role; \\! not a command';

--
-- Role memberships
--

GRANT app TO "Odd ""name""" GRANTED BY postgres;

/* a block /* nested */ comment */
CREATE TABLESPACE fast OWNER app LOCATION '/srv/fast';

--
-- PostgreSQL database cluster dump complete
--

\unrestrict 3fQyZ0abc9
"#;

    fn refused(script: &str) -> String {
        check(script).unwrap_err().to_string()
    }

    #[test]
    fn what_pg_dumpall_writes_for_globals_passes() {
        check(GENUINE).unwrap();
        check("").unwrap();
    }

    #[test]
    fn meta_commands_that_reach_the_shell_or_files_are_refused() {
        for (script, named) in [
            ("\\! touch /tmp/owned\n", "\\!"),
            ("CREATE ROLE x;\n\\o |sh\n", "\\o"),
            ("SET a = 1; \\! id\n", "\\!"),
            ("\\copy t from program 'id'\n", "\\copy"),
            ("\\i /etc/passwd\n", "\\i"),
            ("CREATE ROLE x \\gexec\n", "\\gexec"),
            ("\\restrict abc; \\! id\n", "\\restrict"),
        ] {
            let err = refused(script);
            assert!(err.contains(named), "{script:?}: {err}");
            assert!(err.contains("was not run"), "{err}");
        }
    }

    #[test]
    fn statements_pg_dumpall_never_writes_for_globals_are_refused() {
        for script in [
            "COPY t FROM PROGRAM 'id';",
            "CREATE ROLE x; DROP DATABASE shop;",
            "DO $$ BEGIN PERFORM 1; END $$;",
            "SELECT pg_read_file('/etc/passwd');",
            "CREATE ROLE x",
            "CREATE ROLE x; 'unterminated",
        ] {
            refused(script);
        }
        assert!(refused("SET a = 1;\nCREATE ROLE b;\nCOPY t TO PROGRAM 'x';").contains("line 3"));
    }

    #[test]
    fn quoting_cannot_hide_a_meta_command() {
        // Ends the string with a doubled quote inside: the backslash is outside.
        refused("ALTER ROLE x PASSWORD 'a'''; \\! id\n");
        // A standard string: the backslash is literal and does not escape the quote.
        refused("ALTER ROLE x PASSWORD 'a\\'; \\! id\n");
        // An identifier that looks like it ends early.
        refused("GRANT \"a\"\"\" TO b; \\! id\n");
        // Inside quotes or comments, backslashes are data.
        check("ALTER ROLE x PASSWORD '\\! not run'; -- \\! comment\n").unwrap();
    }
}
