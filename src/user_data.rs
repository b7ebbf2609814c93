//! A `user_data` record as Meta wants it: hashed keys normalized and hashed into lists, plain keys
//! (IP, user agent, fbc, fbp, ...) passed through untouched, anything else reported.
use serde_json::{Map, Value};

use crate::normalize::{normalize_list, Context, Field, PLAIN_KEYS};

/// A value that was not sent, and why (field key, position in its list, stable reason code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub field: String,
    pub index: usize,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HashedUserData {
    pub data: Map<String, Value>,
    pub dropped: Vec<Dropped>,
}

/// The text of a scalar JSON value, as a tag sees it: strings as they are, numbers in decimal
/// (GA4 data often carries zips and phones as numbers). Anything else has no text.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The values of one key: a scalar or an array of scalars. Non-scalars become `None` entries,
/// so positions stay true in reports.
fn values_of(v: &Value) -> Vec<Option<String>> {
    match v {
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    }
}

/// Hash one record. `Null` values count as absent.
pub fn hash_user_data(record: &Map<String, Value>, ctx: Context) -> HashedUserData {
    let mut out = HashedUserData::default();
    for (key, value) in record {
        if value.is_null() {
            continue;
        }
        if let Some(field) = Field::from_key(key) {
            hash_key(field, value, ctx, &mut out);
        } else if PLAIN_KEYS.contains(&key.as_str()) {
            out.data.insert(key.clone(), value.clone());
        } else {
            out.dropped.push(Dropped {
                field: key.clone(),
                index: 0,
                reason: "unknown_key",
            });
        }
    }
    out
}

fn hash_key(field: Field, value: &Value, ctx: Context, out: &mut HashedUserData) {
    let values = values_of(value);
    for (index, v) in values.iter().enumerate() {
        if v.is_none() {
            out.dropped.push(Dropped {
                field: field.key().into(),
                index,
                reason: "not_text",
            });
        }
    }
    let texts = values.iter().map(|v| v.as_deref().unwrap_or(""));
    let list = normalize_list(field, texts, ctx);
    for (index, reason) in list.dropped {
        if values.get(index).is_some_and(Option::is_some) {
            out.dropped.push(Dropped {
                field: field.key().into(),
                index,
                reason: reason.code(),
            });
        }
    }
    if !list.hashes.is_empty() {
        let hashes = list.hashes.into_iter().map(Value::String).collect();
        out.data.insert(field.key().into(), Value::Array(hashes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CTX: Context = Context { current_year: 2026 };

    #[test]
    fn hashes_hashed_keys_and_keeps_plain_keys() {
        let record = json!({
            "em": [" A@B.com ", "a@b.com", "nope"],
            "ph": 16505551212u64,
            "ge": {"x": 1},
            "fbp": "fb.1.1596403881668.1116446470",
            "zz": "?",
            "ct": null
        });
        let out = hash_user_data(record.as_object().expect("object"), CTX);
        assert_eq!(out.data["em"].as_array().map(Vec::len), Some(1));
        assert_eq!(out.data["ph"][0], crate::hash::sha256_hex(b"16505551212"));
        assert_eq!(out.data["fbp"], "fb.1.1596403881668.1116446470");
        assert!(!out.data.contains_key("ge") && !out.data.contains_key("ct"));
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
