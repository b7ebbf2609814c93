//! The `normalize` command's work: JSON lines `{"field": "em", "value": "..."}` in, one JSON line
//! out per input line, in order. A malformed line yields an error line naming its line number and
//! processing goes on. The caller feeds whole lines in chunks, so input of any size streams.
use crate::json::{self, Json};
use crate::normalize::{normalize_and_hash, normalize_list, Context, Field, PLAIN_KEYS};
use crate::user_data::scalar_text;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct LinesOutput {
    /// One JSON object per non-blank input line, each followed by `\n`.
    pub output: String,
    /// Lines consumed (blank ones included), so the caller can number the next chunk.
    pub lines: u32,
    /// Lines that were malformed or named an unknown field.
    pub errors: u32,
    /// Lines whose value (or at least one list item) was hashed.
    pub hashed: u32,
    /// Lines whose value was dropped entirely.
    pub dropped: u32,
}

pub fn normalize_lines(text: &str, first_line: u32, ctx: Context) -> LinesOutput {
    let mut out = LinesOutput::default();
    for (i, line) in text.lines().enumerate() {
        out.lines += 1;
        if line.trim().is_empty() {
            continue;
        }
        let number = first_line.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        let record = match one_line(line, ctx) {
            Ok(v) => {
                match v.get("hash") {
                    Some(Json::String(_)) => out.hashed += 1,
                    Some(Json::Array(h)) if !h.is_empty() => out.hashed += 1,
                    _ if v.get("note").is_none() => out.dropped += 1,
                    _ => {}
                }
                v
            }
            Err(message) => {
                out.errors += 1;
                Json::object([("line", Json::from(number)), ("error", Json::from(message))])
            }
        };
        record.write(&mut out.output);
        out.output.push('\n');
    }
    out
}

fn one_line(line: &str, ctx: Context) -> Result<Json, String> {
    let parsed = json::parse(line).map_err(|e| format!("malformed JSON: {}", e.describe()))?;
    if parsed.as_object().is_none() {
        return Err("expected an object {\"field\", \"value\"}".into());
    }
    let field = parsed
        .get("field")
        .and_then(Json::as_str)
        .ok_or("missing string \"field\"")?;
    let value = parsed.get("value").ok_or("missing \"value\"")?;
    if PLAIN_KEYS.contains(&field) {
        return Ok(plain(field, value));
    }
    let Some(f) = Field::from_key(field) else {
        return Err(format!(
            "unknown field \"{field}\": expected one of em, ph, fn, ln, ge, db, ct, st, zp, country, external_id"
        ));
    };
    match value {
        Json::Array(items) => list(f, value, items, ctx),
        _ => {
            let text = scalar_text(value)
                .ok_or("\"value\" must be a string, a number or a list of them")?;
            Ok(single(f, value, text, ctx))
        }
    }
}

fn single(field: Field, value: &Json, text: &str, ctx: Context) -> Json {
    let mut m = Json::object([("field", Json::from(field.key())), ("value", value.clone())]);
    match normalize_and_hash(field, text, ctx) {
        Ok(h) => {
            m.set("normalized", Json::from(h.normalized));
            m.set("hash", Json::from(h.hash));
        }
        Err(reason) => {
            m.set("normalized", Json::Null);
            m.set("hash", Json::Null);
            m.set("reason", Json::from(reason.code()));
            m.set("message", Json::from(reason.message()));
        }
    }
    m
}

/// A list value: each item normalized and hashed, duplicates and dropped items left out.
fn list(field: Field, value: &Json, items: &[Json], ctx: Context) -> Result<Json, String> {
    let texts: Option<Vec<&str>> = items.iter().map(scalar_text).collect();
    let texts = texts.ok_or("every list item must be a string or a number")?;
    let r = normalize_list(field, texts, ctx);
    let dropped: Vec<Json> = r
        .dropped
        .iter()
        .map(|(index, reason)| {
            Json::object([
                ("index", Json::from(*index)),
                ("reason", Json::from(reason.code())),
            ])
        })
        .collect();
    Ok(Json::object([
        ("field", Json::from(field.key())),
        ("value", value.clone()),
        ("hash", Json::from(r.hashes)),
        ("dropped", Json::Array(dropped)),
    ]))
}

/// Keys Meta takes in plain text are echoed, never hashed.
fn plain(field: &str, value: &Json) -> Json {
    Json::object([
        ("field", Json::from(field)),
        ("value", value.clone()),
        ("normalized", value.clone()),
        ("hash", Json::Null),
        ("note", Json::from("sent in plain text, never hashed")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Context = Context { current_year: 2026 };

    #[test]
    fn one_output_line_per_input_line_with_errors_numbered() {
        let input = "{\"field\":\"em\",\"value\":\" John@Example.com \"}\n\n{oops\n{\"field\":\"zz\",\"value\":\"x\"}\n{\"field\":\"ph\",\"value\":\"000\"}\n{\"field\":\"fbp\",\"value\":\"fb.1.2.3\"}\n{\"field\":\"em\",\"value\":[\"a@b.co\",\"A@B.CO\",\"x\"]}";
        let out = normalize_lines(input, 10, CTX);
        assert_eq!(out.lines, 7);
        assert_eq!(out.errors, 2);
        assert_eq!((out.hashed, out.dropped), (2, 1));
        let rows: Vec<Json> = out
            .output
            .lines()
            .filter_map(|l| json::parse(l).ok())
            .collect();
        assert_eq!(rows.len(), 6);
        let get = |i: usize, k: &str| rows[i].get(k).cloned().unwrap_or(Json::Null);
        assert_eq!(get(0, "normalized"), Json::from("john@example.com"));
        assert_eq!(get(0, "hash").as_str().map(str::len), Some(64));
        assert_eq!(get(1, "line"), Json::from(12u32));
        assert!(get(1, "error")
            .as_str()
            .unwrap_or_default()
            .starts_with("malformed JSON"));
        assert_eq!(get(2, "line"), Json::from(13u32));
        assert_eq!(get(3, "reason"), Json::from("no_digits"));
        assert_eq!(get(4, "hash"), Json::Null);
        assert_eq!(get(5, "hash").as_array().map(<[Json]>::len), Some(1));
        assert_eq!(
            get(5, "dropped")
                .as_array()
                .and_then(|d| d[0].get("index"))
                .cloned(),
            Some(Json::from(2u32))
        );
    }
}
