//! The golden corpus (tests/golden): build inputs recorded with what the core built from them
//! before the typed rewrite. `tests/golden.rs` proves the core still builds the same bytes, and
//! the fuzz target `golden_differential` runs the same comparison on the corpus while it
//! mutates. Not used by the wasm exports (link-time optimization drops it from the module).
use crate::batch::{build_batch, Contexts};
use crate::json::{self, Json, Value};
use crate::payload::Clock;
use crate::tag::{BuildOutput, Tag};

/// One recorded input: config, event (or array of events) and request context as JSON text.
pub struct Case {
    pub name: String,
    pub batch: bool,
    pub config: String,
    pub event: String,
    pub request: String,
    pub clock: Clock,
}

fn text_field(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The clock: `nowMs`, and the first 16 bytes of the hex `entropy`.
fn clock_of(v: &Json) -> Option<Clock> {
    let now_ms = match v.get("nowMs")? {
        Value::Number(n) => n.parse().ok()?,
        _ => return None,
    };
    let hex = v.get("entropy").and_then(Value::as_str)?;
    let mut entropy = [0u8; 16];
    for (i, b) in entropy.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(Clock { now_ms, entropy })
}

impl Case {
    /// One line of `inputs.jsonl` (None when it is not a case).
    pub fn from_line(line: &str) -> Option<Case> {
        let v = json::parse(line).ok()?;
        Some(Case {
            name: text_field(&v, "name")?,
            batch: v.get("kind").and_then(Value::as_str) == Some("batch"),
            config: text_field(&v, "config")?,
            event: text_field(&v, "event")?,
            request: text_field(&v, "request")?,
            clock: clock_of(&v)?,
        })
    }

    /// What the core builds from it: `{name, status, requests: [{url, body}], events: [{status,
    /// errors, warnings}]}` as one line of JSON text (bodies byte for byte, as strings).
    pub fn record(&self) -> String {
        let tag = Tag::from_text(&self.config);
        let (status, requests, events) = if self.batch {
            let events = json::parse(&self.event).unwrap_or(Value::Null);
            let list = events.as_array().unwrap_or_default();
            let request = json::parse(&self.request).unwrap_or(Value::Null);
            let out = build_batch(
                &tag,
                list,
                Contexts::of(&request, list.len()),
                self.clock,
                &[],
                None,
            );
            let requests = out.requests.iter().map(|r| request_json(&r.request));
            let status = if out.requests.is_empty() {
                "none"
            } else {
                "ready"
            };
            (
                status,
                requests.collect(),
                out.events.iter().map(event_json).collect(),
            )
        } else {
            let out = tag.build_text(&self.event, &self.request, self.clock);
            let requests = out.requests.iter().map(request_json).collect();
            (out.status.name(), requests, vec![event_json(&out)])
        };
        Json::object([
            ("name", Json::from(self.name.as_str())),
            ("status", Json::from(status)),
            ("requests", Value::Array(requests)),
            ("events", Value::Array(events)),
        ])
        .to_json()
    }
}

fn request_json(r: &crate::request::HttpRequest) -> Json {
    Json::object([
        ("url", Json::from(r.url.as_str())),
        ("body", Json::from(r.body.as_str())),
    ])
}

fn event_json(out: &BuildOutput) -> Json {
    let codes = |issues: &[crate::report::Issue]| {
        Value::Array(issues.iter().map(|i| Json::from(i.code)).collect())
    };
    Json::object([
        ("status", Json::from(out.status.name())),
        ("errors", codes(&out.report.errors)),
        ("warnings", codes(&out.report.warnings)),
    ])
}
