//! `hashUserData` for a whole batch: a JSON array of user_data records in, the JSON array of
//! `{"userData", "dropped"}` results out, written straight from the input text. No JSON tree,
//! one normalization buffer for every value, hashes hex-encoded on the stack: a record of the
//! usual shape costs no allocation beyond the output's growth.
//!
//! The output is byte for byte what `hash_user_data` + `HashedUserData::into_json` give (the
//! tests below compare both on odd inputs). Records this walk does not handle itself (a key
//! given twice, object values, nested lists, plain keys holding lists) are re-read as a tree and
//! go through `hash_user_data`; input that is not a JSON array gives `None`, and the caller
//! reports it from `json::parse`.
use std::borrow::Cow;
use std::cell::RefCell;

use crate::hash::HashQueue;
use crate::json::{push_decimal, write_string, Cursor, ParseError, Value};
use crate::normalize::{
    hash_value, prepare_value, Context, DropReason, Field, Prepared, PLAIN_KEYS,
};
use crate::user_data::{hash_user_data, not_an_object_json};

/// Results for the records in `input` as a JSON array, or `None` when `input` is not a JSON array.
pub fn hash_records_json(input: &str, ctx: Context) -> Option<String> {
    let mut out = String::new();
    hash_records_json_into(input, ctx, &mut out).then_some(out)
}

/// `hash_records_json` into a caller's buffer (cleared first), so that a caller hashing one
/// record per call reuses one output buffer; false (and `out`'s content unspecified) when
/// `input` is not a JSON array.
pub fn hash_records_json_into(input: &str, ctx: Context, out: &mut String) -> bool {
    with_batch(input, ctx, out, Batch::walk)
}

/// One record (any JSON value, as one element of `hash_records_json`'s array) to its result
/// object, into `out` (cleared first): the single-record call without wrapping the record in
/// an array and unwrapping the result. False when `input` is not JSON.
pub fn hash_record_json_into(input: &str, ctx: Context, out: &mut String) -> bool {
    with_batch(input, ctx, out, |batch, input| {
        let mut c = Cursor::new(input);
        batch.record(&mut c).is_ok() && c.at_end()
    })
}

fn with_batch<'a>(
    input: &'a str,
    ctx: Context,
    out: &mut String,
    walk: impl FnOnce(&mut Batch<'a>, &'a str) -> bool,
) -> bool {
    out.clear();
    // Results are ~3x the input (a 64-digit hash per value).
    out.reserve(input.len().saturating_mul(3).saturating_add(16));
    // The scratch buffers outlive the call (one record per call is a common use): taken here,
    // given back below.
    let spare = SPARE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
    let mut batch = Batch {
        ctx,
        out: std::mem::take(out),
        dropped: spare.dropped,
        scratch: spare.scratch,
        items: Vec::new(),
        queue: spare.queue,
    };
    let ok = walk(&mut batch, input);
    *out = batch.out;
    SPARE.with(|spare| {
        *spare.borrow_mut() = Spare {
            dropped: batch.dropped,
            scratch: batch.scratch,
            queue: batch.queue,
        }
    });
    ok
}

/// `Batch`'s buffers between calls.
#[derive(Default)]
struct Spare {
    dropped: String,
    scratch: String,
    queue: HashQueue,
}

thread_local! {
    static SPARE: RefCell<Spare> = RefCell::new(Spare::default());
}

/// What a queued hash's place in `out` holds until it is hashed (64 bytes, as a hash).
const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl<'a> Batch<'a> {
    /// The array of records into `out`; false when `input` is not one.
    fn walk(&mut self, input: &'a str) -> bool {
        let mut c = Cursor::new(input);
        if !c.eat(b'[') {
            return false;
        }
        self.out.push('[');
        if !c.eat(b']') {
            loop {
                if self.record(&mut c).is_err() {
                    return false;
                }
                if c.eat(b']') {
                    break;
                }
                if !c.eat(b',') {
                    return false;
                }
                self.out.push(',');
            }
        }
        self.out.push(']');
        c.at_end()
    }
}

/// A record's key, by what happens to its value.
enum Key {
    Hashed(Field),
    /// Index in `PLAIN_KEYS`.
    Plain(usize),
    Unknown,
}

fn classify(key: &str) -> Key {
    if let Some(field) = Field::from_key(key) {
        Key::Hashed(field)
    } else if let Some(i) = PLAIN_KEYS.iter().position(|k| *k == key) {
        Key::Plain(i)
    } else {
        Key::Unknown
    }
}

/// Buffers reused across the records of one batch.
struct Batch<'a> {
    ctx: Context,
    out: String,
    /// The current record's `dropped` entries, written after its `userData`.
    dropped: String,
    /// Normalized text of the current value.
    scratch: String,
    /// The current hashed key's values: their text, `None` for a non-scalar.
    items: Vec<Option<Cow<'a, str>>>,
    /// The current record's short normalized texts of single-value fields, hashed together
    /// at its end (`HashQueue`: four per SIMD pass), tagged with where their hash goes in `out`
    /// (a `PLACEHOLDER`).
    queue: HashQueue,
}

impl<'a> Batch<'a> {
    /// One record (the cursor is before it); on `Err` the input is not JSON.
    #[inline(never)]
    fn record(&mut self, c: &mut Cursor<'a>) -> Result<(), ParseError> {
        let start = c.pos();
        let out_start = self.out.len();
        if c.peek() == Some(b'{') {
            if self.fast_record(c)? {
                return Ok(());
            }
            self.out.truncate(out_start);
            c.rewind(start);
        }
        // The general path: the record as a tree, depth 1 as `json::parse` counts it.
        let result = match c.value(1)? {
            Value::Object(pairs) => hash_user_data(&pairs, self.ctx).into_json(),
            _ => not_an_object_json(),
        };
        result.write(&mut self.out);
        Ok(())
    }

    /// An object record of the usual shape, written out; `Ok(false)` when the shape is not one
    /// this walk handles (the caller rewinds and takes the general path).
    fn fast_record(&mut self, c: &mut Cursor<'a>) -> Result<bool, ParseError> {
        c.eat(b'{');
        self.out.push_str("{\"userData\":{");
        self.dropped.clear();
        self.queue.clear();
        let mut seen_hashed = 0u32;
        let mut seen_plain = 0u32;
        let mut fields = 0usize;
        if !c.eat(b'}') {
            loop {
                if c.peek() != Some(b'"') {
                    return Ok(false);
                }
                let key = c.string()?;
                if !c.eat(b':') {
                    return Ok(false);
                }
                let handled = match classify(&key) {
                    Key::Hashed(field) => {
                        let bit = 1 << field as u32;
                        if seen_hashed & bit != 0 {
                            return Ok(false);
                        }
                        seen_hashed |= bit;
                        self.hashed_key(c, field, &mut fields)?
                    }
                    Key::Plain(i) => {
                        let bit = 1 << i;
                        if seen_plain & bit != 0 {
                            return Ok(false);
                        }
                        seen_plain |= bit;
                        self.plain_key(c, &key, &mut fields)?
                    }
                    Key::Unknown => {
                        if !c.value(2)?.is_null() {
                            self.drop_entry(&key, 0, "unknown_key");
                        }
                        true
                    }
                };
                if !handled {
                    return Ok(false);
                }
                if c.eat(b'}') {
                    break;
                }
                if !c.eat(b',') {
                    return Ok(false);
                }
            }
        }
        self.write_queued();
        self.out.push_str("},\"dropped\":[");
        self.out.push_str(&self.dropped);
        self.out.push_str("]}");
        Ok(true)
    }

    /// Hash the record's queued texts into their places in `out`.
    fn write_queued(&mut self) {
        let Batch { queue, out, .. } = self;
        queue.hash_all(|at, hex| out.replace_range(at..at + PLACEHOLDER.len(), hex));
    }

    /// A scalar's text as `scalar_text` sees it (strings, numbers as written; `None` for
    /// true, false and null). The outer `None`: the next value is not a scalar.
    fn scalar(c: &mut Cursor<'a>) -> Result<Option<Option<Cow<'a, str>>>, ParseError> {
        Ok(match c.peek() {
            Some(b'"') => Some(Some(c.string()?)),
            Some(b'-' | b'0'..=b'9') => Some(Some(Cow::Borrowed(c.number()?))),
            Some(b't' | b'f' | b'n') => {
                c.value(3)?;
                Some(None)
            }
            _ => None,
        })
    }

    /// A hashed key's value: a scalar or a list of scalars, normalized and hashed; dropped
    /// values reported (non-text ones first, as `hash_user_data` does).
    fn hashed_key(
        &mut self,
        c: &mut Cursor<'a>,
        field: Field,
        fields: &mut usize,
    ) -> Result<bool, ParseError> {
        self.items.clear();
        // A single value (the usual case) needs no list.
        let mut one: [Option<Cow<'a, str>>; 1] = [None];
        let mut is_list = false;
        match c.peek() {
            Some(b'n') => {
                c.value(2)?; // null: absent
                return Ok(true);
            }
            Some(b'[') => {
                is_list = true;
                c.eat(b'[');
                if !c.eat(b']') {
                    loop {
                        match Self::scalar(c)? {
                            Some(text) => self.items.push(text),
                            None => return Ok(false),
                        }
                        if c.eat(b']') {
                            break;
                        }
                        if !c.eat(b',') {
                            return Ok(false);
                        }
                    }
                }
            }
            Some(b'{') => return Ok(false),
            _ => match Self::scalar(c)? {
                Some(text) => one[0] = text,
                None => return Ok(false),
            },
        }
        let key = field.key();
        let list = std::mem::take(&mut self.items);
        let items: &[Option<Cow<'a, str>>] = if is_list { &list } else { &one };
        for (index, item) in items.iter().enumerate() {
            if item.is_none() {
                self.drop_entry(key, index, "not_text");
            }
        }
        let mut list_start = None;
        for (index, item) in items.iter().enumerate() {
            let Some(raw) = item else { continue };
            // A single text (the usual case) needs no duplicate check: a short one is queued.
            let prepared = if items.len() == 1 {
                prepare_value(field, raw, self.ctx, &mut self.scratch)
            } else {
                hash_value(field, raw, self.ctx, &mut self.scratch).map(Prepared::Hash)
            };
            let hash = match prepared {
                Ok(Prepared::Short) => {
                    self.open_list(key, fields);
                    self.out.push('"');
                    self.queue.push(self.scratch.as_bytes(), self.out.len());
                    self.out.push_str(PLACEHOLDER);
                    self.out.push_str("\"]");
                    break;
                }
                Ok(Prepared::Hash(hash)) => Ok(hash),
                Err(reason) => Err(reason),
            };
            match hash {
                Ok(hash) => {
                    let hash = hash.as_str();
                    match list_start {
                        None => {
                            self.open_list(key, fields);
                            list_start = Some(self.out.len());
                        }
                        Some(start) => {
                            if listed(&self.out[start..], hash) {
                                continue;
                            }
                            self.out.push(',');
                        }
                    }
                    self.out.push('"');
                    self.out.push_str(hash);
                    self.out.push('"');
                }
                Err(reason) => self.drop_entry(key, index, DropReason::code(reason)),
            }
        }
        if list_start.is_some() {
            self.out.push(']');
        }
        self.items = list;
        Ok(true)
    }

    /// `"key":[`, after a comma when fields came before.
    fn open_list(&mut self, key: &str, fields: &mut usize) {
        if *fields > 0 {
            self.out.push(',');
        }
        *fields += 1;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":[");
    }

    /// A plain key's scalar value, copied as `Json::write` writes it.
    #[inline(never)]
    fn plain_key(
        &mut self,
        c: &mut Cursor<'a>,
        key: &str,
        fields: &mut usize,
    ) -> Result<bool, ParseError> {
        // Strings (nearly always) are copied from the input; other scalars via the tree.
        let (text, other) = match c.peek() {
            Some(b'[' | b'{') => return Ok(false),
            Some(b'"') => (Some(c.string()?), Value::Null),
            _ => match c.value(2)? {
                Value::Null => return Ok(true),
                other => (None, other),
            },
        };
        if *fields > 0 {
            self.out.push(',');
        }
        *fields += 1;
        write_string(key, &mut self.out);
        self.out.push(':');
        match text {
            Some(text) => write_string(&text, &mut self.out),
            None => other.write(&mut self.out),
        }
        Ok(true)
    }

    fn drop_entry(&mut self, field: &str, index: usize, reason: &str) {
        if !self.dropped.is_empty() {
            self.dropped.push(',');
        }
        self.dropped.push_str("{\"field\":");
        write_string(field, &mut self.dropped);
        self.dropped.push_str(",\"index\":");
        push_decimal(index as u64, &mut self.dropped);
        self.dropped.push_str(",\"reason\":\"");
        self.dropped.push_str(reason);
        self.dropped.push_str("\"}");
    }
}

/// True when `hash` is already in a written list (`"h1","h2"`: entries are quoted hex, so a
/// quoted match is a whole entry).
fn listed(list: &str, hash: &str) -> bool {
    list.split(',')
        .any(|entry| entry.len() == hash.len() + 2 && &entry[1..entry.len() - 1] == hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::user_data::hash_records;

    const CTX: Context = Context { current_year: 2026 };

    /// What the tree path gives for the same input (the reference).
    fn by_tree(input: &str) -> Option<String> {
        match parse(input).ok()? {
            crate::json::Json::Array(records) => Some(hash_records(&records, CTX).to_json()),
            _ => None,
        }
    }

    #[test]
    fn same_bytes_as_the_tree_path() {
        let cases = [
            r#"[{"em":" A@B.com ","ph":"+1 (650) 555-1212","fn":"Mary","ln":"ΟΔΥΣΣΕΑΣ","ge":"F",
                "db":"2/16/1997","ct":"São Paulo","st":"California","zp":"94025-1234",
                "country":"United States","external_id":" U 42 "}]"#,
            r#"[{"em":["a@b.com","A@B.COM ","nope",1,true,null],"ph":16505551212,"fbp":"fb.1.2.3"}]"#,
            r#"[{"em":"a@b.com","em":"c@d.com"},{"fbp":"x","fbp":"y"},{"em":"x","em":null}]"#,
            r#"[{"zz":1,"zz":null,"q\"k":{"a":[1]},"em":{"x":1},"ph":[[1]],"ge":[]}]"#,
            r#"[1,"x",null,[],{}, {"client_ip_address":["1.2.3.4"]},{"lead_id":1.5e3,"madid":true}]"#,
            r#" [ { "em" : [ "a@b.com" , 2 ] , "fbp" : "a\"b\\c\u0001" } , { } ] "#,
            r#"[{"em":"\u0041@b.com","fn":"\ud83d\ude00x","ln":"\ud800","db":[false,"1990-01-02"]}]"#,
            r#"[{"ct":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","st":" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.BA"}]"#,
            r#"[{"ph":["1","01","001"],"zp":"ΣΑΣ","external_id":"AΣ B","country":"\u212aorea"}]"#,
            "[]",
            "[{}]",
        ];
        for input in cases {
            let fast = hash_records_json(input, CTX);
            assert!(fast.is_some(), "{input}");
            assert_eq!(fast, by_tree(input), "{input}");
            // Each record alone gives its element of the array's result.
            let Ok(crate::json::Json::Array(records)) = parse(input) else {
                panic!("{input}")
            };
            let Some(crate::json::Json::Array(results)) =
                by_tree(input).and_then(|t| parse(&t).ok())
            else {
                panic!("{input}")
            };
            for (record, result) in records.iter().zip(&results) {
                let mut one = String::new();
                assert!(hash_record_json_into(&record.to_json(), CTX, &mut one));
                assert_eq!(one, result.to_json(), "{input}");
            }
        }
    }

    #[test]
    fn not_an_array_or_not_json_is_left_to_the_caller() {
        for input in [
            "{}",
            "[",
            "[{\"em\":\"a\"}] x",
            "[{\"em\":\"a\",}]",
            "",
            "[1,]",
            "\"x\"",
        ] {
            assert_eq!(hash_records_json(input, CTX), None, "{input}");
        }
        for input in ["", "{", "{} x", "[1,]", "{\"em\":\"a\",}"] {
            assert!(
                !hash_record_json_into(input, CTX, &mut String::new()),
                "{input}"
            );
        }
        let deep = format!("[{{\"a\":{}{}}}]", "[".repeat(200), "]".repeat(200));
        assert_eq!(hash_records_json(&deep, CTX), None);
        assert!(parse(&deep).is_err());
    }
}
