//! A `user_data` record as Meta wants it: hashed keys normalized and hashed into lists, plain keys
//! (IP, user agent, fbc, fbp, ...) passed through untouched, anything else reported.
use crate::json::{Json, Value};
use crate::normalize::{hash_value, Context, Field, PLAIN_KEYS};
use std::borrow::Cow;

/// A value that was not sent, and why (field key, position in its list, stable reason code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub field: String,
    pub index: usize,
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HashedUserData<'a> {
    /// A JSON object, keys in input order; plain values (user agent, IP) borrow the record's.
    pub data: Value<'a>,
    pub dropped: Vec<Dropped>,
}

impl<'a> HashedUserData<'a> {
    /// `{"userData": {...}, "dropped": [{"field", "index", "reason"}]}`: one result of
    /// `hashUserData` as the JS API returns it.
    pub fn into_json(self) -> Value<'a> {
        let dropped: Vec<Value<'a>> = self
            .dropped
            .into_iter()
            .map(|d| {
                Value::object([
                    ("field", Value::from(d.field)),
                    ("index", Value::from(d.index)),
                    ("reason", Value::str(d.reason)),
                ])
            })
            .collect();
        Value::object([("userData", self.data), ("dropped", Value::Array(dropped))])
    }
}

/// Each record's `{userData, dropped}` (a record that is not an object gets
/// `not_an_object_json`), through the tree: what a batch answers, and the reference the tree-free
/// batch path (`user_data_batch`) must match byte for byte.
pub fn hash_records(records: &[Json], ctx: Context) -> Json {
    Json::Array(
        records
            .iter()
            .map(|r| match r.as_object() {
                Some(pairs) => hash_user_data(pairs, ctx).into_json(),
                None => not_an_object_json(),
            })
            .collect(),
    )
}

/// The result for a batch entry that is not an object.
pub fn not_an_object_json() -> Json {
    Json::object([
        ("userData", Json::Object(Vec::new())),
        ("dropped", Json::Array(Vec::new())),
        ("error", Json::from("record is not an object")),
    ])
}

/// The text of a scalar JSON value, as a tag sees it: strings as they are, numbers as written
/// (GA4 data often carries zips and phones as numbers). Anything else has no text.
pub fn scalar_text<'v>(v: &'v Value<'_>) -> Option<&'v str> {
    match v {
        Value::String(s) | Value::Number(s) => Some(s),
        _ => None,
    }
}

/// Hash one record (a JSON object's pairs, borrowed from the event or not). `null` values count
/// as absent. The hashes are the result's own text; plain values are the record's (a borrowed
/// one stays borrowed).
pub fn hash_user_data<'a>(
    record: &[(Cow<'_, str>, Value<'a>)],
    ctx: Context,
) -> HashedUserData<'a> {
    let mut out = HashedUserData {
        data: Value::Object(Vec::with_capacity(record.len())),
        dropped: Vec::new(),
    };
    // One buffer for every value's normalized text.
    let mut scratch = String::new();
    for (key, value) in record {
        if value.is_null() {
            continue;
        }
        if let Some(field) = Field::from_key(key) {
            hash_key(field, value, ctx, &mut scratch, &mut out);
        } else if let Some(plain) = PLAIN_KEYS.iter().find(|k| **k == key) {
            out.data.set(*plain, value.clone());
        } else {
            out.dropped.push(Dropped {
                field: key.to_string(),
                index: 0,
                reason: "unknown_key",
            });
        }
    }
    out
}

fn hash_key(
    field: Field,
    value: &Value<'_>,
    ctx: Context,
    scratch: &mut String,
    out: &mut HashedUserData,
) {
    // A scalar or a list of scalars; non-scalars are reported and keep their position.
    let values = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    for (index, v) in values.iter().enumerate() {
        if scalar_text(v).is_none() {
            out.dropped.push(Dropped {
                field: field.key().into(),
                index,
                reason: "not_text",
            });
        }
    }
    // Each text normalized and hashed into the list Meta gets (duplicates once), written
    // straight as JSON strings.
    let mut hashes: Vec<Json> = Vec::with_capacity(values.len());
    for (index, text) in values.iter().enumerate() {
        let Some(text) = scalar_text(text) else {
            continue;
        };
        match hash_value(field, text, ctx, scratch) {
            Ok(h) if hashes.iter().any(|seen| seen.as_str() == Some(h.as_str())) => {}
            Ok(h) => hashes.push(Json::from(h.as_str())),
            Err(reason) => out.dropped.push(Dropped {
                field: field.key().into(),
                index,
                reason: reason.code(),
            }),
        }
    }
    if !hashes.is_empty() {
        out.data.set(field.key(), Value::Array(hashes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    const CTX: Context = Context { current_year: 2026 };

    #[test]
    fn hashes_hashed_keys_and_keeps_plain_keys() {
        let record = parse(
            r#"{"em": [" A@B.com ", "a@b.com", "nope"], "ph": 16505551212, "ge": {"x": 1},
                "fbp": "fb.1.1596403881668.1116446470", "zz": "?", "ct": null}"#,
        )
        .expect("parses");
        let out = hash_user_data(record.as_object().unwrap_or_default(), CTX);
        assert_eq!(
            out.data
                .get("em")
                .and_then(Json::as_array)
                .map(<[Json]>::len),
            Some(1)
        );
        let ph = crate::hash::sha256_hex(b"16505551212");
        assert_eq!(out.data.get("ph"), Some(&Json::from(vec![ph])));
        assert_eq!(
            out.data.get("fbp").and_then(Json::as_str),
            Some("fb.1.1596403881668.1116446470")
        );
        assert!(out.data.get("ge").is_none() && out.data.get("ct").is_none());
        let reasons: Vec<_> = out
            .dropped
            .iter()
            .map(|d| (d.field.as_str(), d.index, d.reason))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("em", 2, "invalid_email"),
                ("ge", 0, "not_text"),
                ("zz", 0, "unknown_key")
            ]
        );
    }
}
