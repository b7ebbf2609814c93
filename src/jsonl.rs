//! The `normalize` command's work: JSON lines `{"field": "em", "value": "..."}` in, one JSON line
//! out per input line, in order. A malformed line yields an error line naming its line number and
//! processing goes on. The caller feeds whole lines in chunks, so input of any size streams.
use serde_json::{json, Map, Value};

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
            Ok(v) => v,
            Err(message) => {
                out.errors += 1;
                json!({ "line": number, "error": message })
            }
        };
        out.output.push_str(&record.to_string());
        out.output.push('\n');
    }
    out
}

fn one_line(line: &str, ctx: Context) -> Result<Value, String> {
    let parsed: Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let obj = parsed
        .as_object()
        .ok_or("expected an object {\"field\", \"value\"}")?;
    let field = obj
        .get("field")
        .and_then(Value::as_str)
        .ok_or("missing string \"field\"")?;
    let value = obj.get("value").ok_or("missing \"value\"")?;
    if PLAIN_KEYS.contains(&field) {
        return Ok(plain(field, value));
    }
    let Some(f) = Field::from_key(field) else {
        return Err(format!("unknown field {field:?}: expected one of em, ph, fn, ln, ge, db, ct, st, zp, country, external_id"));
    };
    match value {
        Value::Array(items) => list(f, value, items, ctx),
        _ => {
            let text = scalar_text(value)
                .ok_or("\"value\" must be a string, a number or a list of them")?;
            Ok(single(f, value, &text, ctx))
        }
    }
}

fn single(field: Field, value: &Value, text: &str, ctx: Context) -> Value {
    let mut m = Map::new();
    m.insert("field".into(), field.key().into());
    m.insert("value".into(), value.clone());
    match normalize_and_hash(field, text, ctx) {
        Ok(h) => {
            m.insert("normalized".into(), h.normalized.into());
            m.insert("hash".into(), h.hash.into());
        }
        Err(reason) => {
            m.insert("normalized".into(), Value::Null);
            m.insert("hash".into(), Value::Null);
            m.insert("reason".into(), reason.code().into());
            m.insert("message".into(), reason.message().into());
        }
    }
    Value::Object(m)
}

fn list(field: Field, value: &Value, items: &[Value], ctx: Context) -> Result<Value, String> {
    let texts: Option<Vec<String>> = items.iter().map(scalar_text).collect();
    let texts = texts.ok_or("every list item must be a string or a number")?;
    let r = normalize_list(field, texts.iter().map(String::as_str), ctx);
    let dropped: Vec<Value> = r
        .dropped
        .iter()
        .map(|(index, reason)| json!({ "index": index, "reason": reason.code() }))
        .collect();
    Ok(json!({ "field": field.key(), "value": value, "hash": r.hashes, "dropped": dropped }))
}

/// Keys Meta takes in plain text are echoed, never hashed.
fn plain(field: &str, value: &Value) -> Value {
    json!({ "field": field, "value": value, "normalized": value, "hash": null, "note": "sent in plain text, never hashed" })
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
        let rows: Vec<Value> = out
            .output
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0]["normalized"], "john@example.com");
        assert_eq!(rows[0]["hash"].as_str().map(str::len), Some(64));
        assert_eq!(rows[1]["line"], 12);
        assert!(rows[1]["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("malformed JSON"));
        assert_eq!(rows[2]["line"], 13);
        assert_eq!(rows[3]["reason"], "no_digits");
        assert_eq!(rows[4]["hash"], Value::Null);
        assert_eq!(rows[5]["hash"].as_array().map(Vec::len), Some(1));
        assert_eq!(rows[5]["dropped"][0]["index"], 2);
    }
}
