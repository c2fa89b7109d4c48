//! `?` placeholders: finding them outside string literals, quoted
//! identifiers and comments, checking their count, and rewriting them to
//! PostgreSQL's `$1..$n`.
//!
//! On PostgreSQL a NULL parameter is written into the SQL as the literal
//! `NULL` instead of being bound: a bound parameter carries a type (sqlx sends
//! one for every value), and a NULL typed as, say, BIGINT is rejected by a
//! TEXT column, while the untyped literal fits any column.

use std::borrow::Cow;

use super::{Dialect, SqlError, Value};

/// A statement ready to run: its SQL for the dialect and the parameters
/// still to bind, in order.
#[derive(Debug)]
pub struct Rewritten<'a> {
    pub sql: Cow<'a, str>,
    pub params: Vec<&'a Value>,
}

/// Checks that `sql` has one `?` per parameter and rewrites it for `dialect`.
pub fn rewrite<'a>(
    sql: &'a str,
    params: &'a [Value],
    dialect: Dialect,
) -> Result<Rewritten<'a>, SqlError> {
    let positions = placeholder_positions(sql, dialect);
    if positions.len() != params.len() {
        return Err(SqlError::InvalidStatement(format!(
            "the statement has {} `?` placeholders but {} parameters were given",
            positions.len(),
            params.len()
        )));
    }
    if dialect != Dialect::Postgres {
        return Ok(Rewritten {
            sql: Cow::Borrowed(sql),
            params: params.iter().collect(),
        });
    }
    let mut out = String::with_capacity(sql.len() + 2 * positions.len());
    let mut bound = Vec::with_capacity(params.len());
    let mut last = 0;
    for (&at, value) in positions.iter().zip(params) {
        out.push_str(&sql[last..at]);
        if matches!(value, Value::Null) {
            out.push_str("NULL");
        } else {
            bound.push(value);
            out.push('$');
            out.push_str(&bound.len().to_string());
        }
        last = at + 1;
    }
    out.push_str(&sql[last..]);
    Ok(Rewritten {
        sql: Cow::Owned(out),
        params: bound,
    })
}

/// Byte offsets of the `?` placeholders in `sql`.
pub fn placeholder_positions(sql: &str, dialect: Dialect) -> Vec<usize> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        i = match bytes[i] {
            b'?' => {
                found.push(i);
                i + 1
            }
            b'\'' => {
                let backslashes = dialect == Dialect::Mysql
                    || (i > 0
                        && bytes[i - 1].eq_ignore_ascii_case(&b'e')
                        && !word_before(bytes, i - 1));
                skip_quoted(bytes, i, b'\'', backslashes)
            }
            b'"' => skip_quoted(bytes, i, b'"', dialect == Dialect::Mysql),
            b'`' => skip_quoted(bytes, i, b'`', false),
            b'-' if bytes.get(i + 1) == Some(&b'-') => skip_line(bytes, i),
            b'#' if dialect == Dialect::Mysql => skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                skip_block_comment(bytes, i, dialect == Dialect::Postgres)
            }
            b'$' if dialect == Dialect::Postgres => skip_dollar_quoted(bytes, i),
            _ => i + 1,
        };
    }
    found
}

/// Whether the byte before `at` continues an identifier (so `xe'..'` is not
/// an escape string).
fn word_before(bytes: &[u8], at: usize) -> bool {
    at > 0 && is_ident_byte(bytes[at - 1])
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Skips a literal opened by `quote` at `start`; a doubled quote is an
/// escaped quote, and so is a backslash-escaped one when `backslashes`.
fn skip_quoted(bytes: &[u8], start: usize, quote: u8, backslashes: bool) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslashes => i += 2,
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| start + n + 1)
}

/// Skips a `/* */` comment; PostgreSQL's nest.
fn skip_block_comment(bytes: &[u8], start: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth = if nested { depth + 1 } else { 1 };
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Skips a PostgreSQL dollar-quoted string (`$$..$$`, `$tag$..$tag$`); a `$`
/// that does not open one (such as `$1`) is skipped alone.
fn skip_dollar_quoted(bytes: &[u8], start: usize) -> usize {
    if start > 0 && is_ident_byte(bytes[start - 1]) {
        return start + 1;
    }
    let tag_end = bytes[start + 1..]
        .iter()
        .position(|&b| !is_ident_byte(b))
        .map(|n| start + 1 + n);
    let Some(tag_end) = tag_end else {
        return start + 1;
    };
    let opens = bytes[tag_end] == b'$' && !bytes.get(start + 1).is_some_and(u8::is_ascii_digit);
    if !opens {
        return start + 1;
    }
    let tag = &bytes[start..=tag_end];
    let body = tag_end + 1;
    bytes[body..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map_or(bytes.len(), |n| body + n + tag.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str, params: &[Value]) -> String {
        rewrite(sql, params, Dialect::Postgres)
            .unwrap()
            .sql
            .into_owned()
    }

    #[test]
    fn numbers_placeholders_for_postgres() {
        let params = [Value::Integer(1), Value::Text("a".into())];
        assert_eq!(
            pg("SELECT * FROM t WHERE a = ? AND b = ?", &params),
            "SELECT * FROM t WHERE a = $1 AND b = $2"
        );
    }

    #[test]
    fn leaves_other_dialects_alone() {
        let params = [Value::Integer(1)];
        for dialect in [Dialect::Sqlite, Dialect::Mysql] {
            let p = rewrite("SELECT ?", &params, dialect).unwrap();
            assert_eq!(p.sql, "SELECT ?");
            assert_eq!(p.params.len(), 1);
        }
    }

    #[test]
    fn skips_strings_identifiers_and_comments() {
        let sql = "SELECT '?', 'it''s ?', \"col?\", E'\\'?' -- a ? here\n, ? /* ? /* ? */ ? */, $$ ? $$, $x$ ? $x$, ?";
        let params = [Value::Integer(1), Value::Integer(2)];
        assert_eq!(
            pg(sql, &params),
            "SELECT '?', 'it''s ?', \"col?\", E'\\'?' -- a ? here\n, $1 /* ? /* ? */ ? */, $$ ? $$, $x$ ? $x$, $2"
        );
    }

    #[test]
    fn mysql_backslashes_backticks_and_hash_comments() {
        let sql = "SELECT 'a\\'?', `c?`, ? # ?\n";
        assert_eq!(placeholder_positions(sql, Dialect::Mysql).len(), 1);
        // Standard strings do not treat a backslash as an escape.
        assert_eq!(
            placeholder_positions("SELECT 'a\\', ?", Dialect::Sqlite).len(),
            1
        );
    }

    #[test]
    fn nulls_become_literals_on_postgres() {
        let params = [Value::Integer(1), Value::Null, Value::Text("x".into())];
        let p = rewrite("INSERT INTO t VALUES (?, ?, ?)", &params, Dialect::Postgres).unwrap();
        assert_eq!(p.sql, "INSERT INTO t VALUES ($1, NULL, $2)");
        assert_eq!(p.params, vec![&params[0], &params[2]]);
    }

    #[test]
    fn checks_the_parameter_count() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let err = rewrite("SELECT ? + ?", &[Value::Integer(1)], dialect).unwrap_err();
            assert!(
                matches!(&err, SqlError::InvalidStatement(m) if m.contains("2 `?` placeholders but 1")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn unterminated_literals_do_not_panic() {
        for sql in ["'abc", "\"abc", "/* abc", "$tag$ abc", "$", "E'\\"] {
            assert!(
                placeholder_positions(sql, Dialect::Postgres).is_empty(),
                "{sql}"
            );
        }
    }
}
