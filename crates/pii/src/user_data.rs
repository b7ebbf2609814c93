//! A `user_data` record as Meta wants it: hashed keys normalized and hashed into lists, plain keys
//! (IP, user agent, fbc, fbp, ...) passed through untouched, anything else reported.
use crate::hash::HashQueue;
use crate::json::{Json, Value};
use crate::normalize::{hash_value, prepare_value, Context, Field, Prepared, PLAIN_KEYS};
use std::borrow::Cow;
use std::cell::RefCell;

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
    // The queue's buffers outlive the call (no allocation per record once they have grown).
    let mut queue = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
    queue.clear();
    for (key, value) in record {
        if value.is_null() {
            continue;
        }
        if let Some(field) = Field::from_key(key) {
            hash_key(field, value, ctx, &mut scratch, &mut queue, &mut out);
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
    write_queued(&queue, &mut out.data);
    QUEUE.with(|q| *q.borrow_mut() = queue);
    out
}

thread_local! {
    static QUEUE: RefCell<HashQueue> = RefCell::new(HashQueue::default());
}

/// Set `key`'s list in `data`; its position there. A value queued for the same key before
/// (the key given twice: the last one counts) is forgotten.
fn set_list(
    data: &mut Value<'_>,
    queue: &mut HashQueue,
    key: &'static str,
    list: Vec<Json>,
) -> usize {
    data.set(key, Value::Array(list));
    let Value::Object(pairs) = data else { return 0 };
    let at = pairs.iter().position(|(k, _)| k == key).unwrap_or(0);
    queue.forget(at);
    at
}

/// Each queued value's hash into its field's list (`hash_key` left an empty string there).
fn write_queued(queue: &HashQueue, data: &mut Value<'_>) {
    let Value::Object(pairs) = data else { return };
    queue.hash_all(|at, hex| {
        if let Some((_, Value::Array(items))) = pairs.get_mut(at) {
            if let [Value::String(text)] = items.as_mut_slice() {
                *text = hex.to_string().into();
            }
        }
    });
}

fn hash_key(
    field: Field,
    value: &Value<'_>,
    ctx: Context,
    scratch: &mut String,
    queue: &mut HashQueue,
    out: &mut HashedUserData<'_>,
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
    // A single text (the usual case) needs no duplicate check: a short one is queued, its list
    // holding an empty string until `write_queued`.
    if let [single] = values {
        if let Some(text) = scalar_text(single) {
            match prepare_value(field, text, ctx, scratch) {
                Ok(Prepared::Short) => {
                    let list = vec![Json::from(String::new())];
                    let at = set_list(&mut out.data, queue, field.key(), list);
                    queue.push(scratch.as_bytes(), at);
                }
                Ok(Prepared::Hash(h)) => {
                    let list = vec![Json::from(h.as_str())];
                    set_list(&mut out.data, queue, field.key(), list);
                }
                Err(reason) => out.dropped.push(Dropped {
                    field: field.key().into(),
                    index: 0,
                    reason: reason.code(),
                }),
            }
            return;
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
        set_list(&mut out.data, queue, field.key(), hashes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::normalize::normalize_and_hash;

    const CTX: Context = Context { current_year: 2026 };

    /// Each field's hash one at a time (no queue), for the queued path to match.
    fn one_by_one(field: &str, raw: &str) -> Json {
        let field = Field::from_key(field).unwrap_or(Field::Email);
        let hash = normalize_and_hash(field, raw, CTX).map(|h| h.hash);
        Json::from(vec![hash.unwrap_or_default()])
    }

    #[test]
    fn queued_hashes_land_in_their_fields() {
        // 1 to 9 short single values (every group size and remainder of the four-lane queue),
        // with codes (cached), a pre-hashed value and a long text between them.
        let fields = [
            ("em", "Jane.Doe@Example.com"),
            ("ph", "+1 (415) 555-0134"),
            ("st", "CA"),
            ("fn", "Jane"),
            ("ln", "Doe"),
            (
                "external_id",
                "62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F",
            ),
            ("ct", "San Francisco"),
            ("zp", "94105"),
            ("country", "US"),
            ("db", "19900412"),
            ("ge", "f"),
        ];
        let long = (
            "ct",
            "A city whose name is longer than one block of SHA-256 input text",
        );
        for n in 1..=fields.len() {
            let mut pairs: Vec<(&str, &str)> = fields[..n].to_vec();
            if n == 4 {
                pairs.push(long);
            }
            let record: Vec<_> = pairs
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Value::from(*v)))
                .collect();
            let out = hash_user_data(&record, CTX);
            assert!(out.dropped.is_empty(), "{n}");
            let Value::Object(got) = &out.data else {
                panic!("{n}")
            };
            let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_ref()).collect();
            let mut expected_keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
            expected_keys.dedup();
            assert_eq!(keys, expected_keys, "{n}");
            for (key, raw) in pairs.iter().rev().filter(|(k, _)| *k != "ct").chain(
                // The last "ct" given is the one sent.
                pairs.iter().rev().find(|(k, _)| *k == "ct"),
            ) {
                assert_eq!(out.data.get(key), Some(&one_by_one(key, raw)), "{n} {key}");
            }
        }
    }

    #[test]
    fn a_key_given_twice_keeps_the_last_value() {
        for input in [
            r#"{"em":"a@b.com","em":"c@d.com"}"#,
            r#"{"em":"a@b.com","em":["c@d.com","c@d.com"]}"#,
            r#"{"em":["a@b.com","x@y.com"],"em":"c@d.com"}"#,
            r#"{"em":"c@d.com","em":"nope"}"#,
        ] {
            let record = parse(input).expect("parses");
            let out = hash_user_data(record.as_object().unwrap_or_default(), CTX);
            assert_eq!(
                out.data.get("em"),
                Some(&one_by_one("em", "c@d.com")),
                "{input}"
            );
        }
    }

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
