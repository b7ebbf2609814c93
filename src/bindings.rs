//! The JavaScript boundary, and the only module that knows about wasm-bindgen. Values cross as
//! JSON text: one `JSON.parse` on each side is cheaper than walking objects field by field, and
//! a batch crosses the boundary once.
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::jsonl;
use crate::normalize::{normalize_and_hash, Context, Field};
use crate::user_data::{hash_user_data, scalar_text, HashedUserData};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Meta's builder checks birth years against the local calendar year, so do we.
fn context() -> Context {
    let year = js_sys::Date::new_0().get_full_year();
    Context {
        current_year: i32::try_from(year).unwrap_or(i32::MAX),
    }
}

fn parse(json_text: &str) -> Result<Value, String> {
    serde_json::from_str(json_text).map_err(|e| format!("input is not valid JSON: {e}"))
}

fn error(code: &str, message: String) -> String {
    json!({ "error": { "code": code, "message": message } }).to_string()
}

/// `{"field", "value"}` -> `{"field", "normalized", "hash"}` or with `"reason"` when dropped.
#[wasm_bindgen(js_name = normalizeJson)]
pub fn normalize_json(input: &str) -> String {
    let v = match parse(input) {
        Ok(v) => v,
        Err(e) => return error("invalid_json", e),
    };
    let key = v.get("field").and_then(Value::as_str).unwrap_or_default();
    let Some(field) = Field::from_key(key) else {
        return json!({ "field": key, "normalized": null, "hash": null, "reason": "unknown_field",
            "message": "field must be one of em, ph, fn, ln, ge, db, ct, st, zp, country, external_id" })
        .to_string();
    };
    let Some(text) = v.get("value").and_then(scalar_text) else {
        return json!({ "field": key, "normalized": null, "hash": null, "reason": "not_text",
            "message": "value must be a string or a number" })
        .to_string();
    };
    match normalize_and_hash(field, &text, context()) {
        Ok(h) => json!({ "field": key, "normalized": h.normalized, "hash": h.hash }),
        Err(r) => json!({ "field": key, "normalized": null, "hash": null, "reason": r.code(), "message": r.message() }),
    }
    .to_string()
}

fn user_data_json(h: HashedUserData) -> Value {
    let dropped: Vec<Value> = h
        .dropped
        .iter()
        .map(|d| json!({ "field": d.field, "index": d.index, "reason": d.reason }))
        .collect();
    json!({ "userData": h.data, "dropped": dropped })
}

/// A JSON array of user_data records -> a JSON array of `{userData, dropped}`.
#[wasm_bindgen(js_name = hashUserDataJson)]
pub fn hash_user_data_json(input: &str) -> String {
    let records = match parse(input) {
        Ok(Value::Array(records)) => records,
        Ok(_) => {
            return error(
                "invalid_input",
                "expected an array of user_data objects".into(),
            )
        }
        Err(e) => return error("invalid_json", e),
    };
    let ctx = context();
    let out: Vec<Value> = records
        .iter()
        .map(|r| match r.as_object() {
            Some(obj) => user_data_json(hash_user_data(obj, ctx)),
            None => json!({ "userData": {}, "dropped": [], "error": "record is not an object" }),
        })
        .collect();
    Value::Array(out).to_string()
}

/// Result of one chunk of the `normalize` command's JSON lines.
#[wasm_bindgen]
pub struct LinesResult {
    inner: jsonl::LinesOutput,
}

#[wasm_bindgen]
impl LinesResult {
    #[wasm_bindgen(getter)]
    pub fn output(&self) -> String {
        self.inner.output.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn lines(&self) -> u32 {
        self.inner.lines
    }
    #[wasm_bindgen(getter)]
    pub fn errors(&self) -> u32 {
        self.inner.errors
    }
}

/// Whole lines of `{"field","value"}` JSON -> output lines; `first_line` numbers error lines.
#[wasm_bindgen(js_name = normalizeLines)]
pub fn normalize_lines(text: &str, first_line: u32) -> LinesResult {
    LinesResult {
        inner: jsonl::normalize_lines(text, first_line, context()),
    }
}
