//! The JavaScript boundary, and the only module that knows about wasm-bindgen. Values cross as
//! JSON text: one `JSON.parse` on each side is cheaper than walking objects field by field, and
//! a batch crosses the boundary once.
use wasm_bindgen::prelude::*;

use std::cell::RefCell;

use crate::batch;
use crate::container::{Container, Incoming};
use crate::delivery;
use crate::dispatch::{decide_try, overall_status, redact_request_body, Attempt, Try};
use crate::doctor::{self, Answer, Check};
use crate::entropy::Entropy;
use crate::history::{self, Activity};
use crate::identity::{answer_from_json, Cache, IdentityAnswer};
use crate::json::{self, Json, Value};
use crate::jsonl;
use crate::logging::{resolve_trace_id, Logger};
use crate::metrics;
use crate::metrics::{exposition, Metrics};
use crate::monitor::Gate;
use crate::normalize::{normalize_and_hash, Context, Field};
use crate::observe::{self, Timings};
use crate::payload::Clock;
use crate::request::{request_heads, HttpRequest};
use crate::tag::{IdentityPlan, Tag, MAX_EVENT_BYTES};
use crate::user_data::{hash_records, scalar_text};
use crate::user_data_batch::{hash_record_json_into, hash_records_json_into};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Meta's builder checks birth years against the host's local calendar year, which the JS
/// side passes in (reading the clock is the host's business; js-sys would cost ~8 KB).
fn context(current_year: i32) -> Context {
    Context { current_year }
}

fn error(code: &str, message: String) -> String {
    let detail = Json::object([("code", Json::from(code)), ("message", Json::from(message))]);
    Json::object([("error", detail)]).to_json()
}

fn dropped_value(key: &str, reason: &str, message: &str) -> String {
    Json::object([
        ("field", Json::from(key)),
        ("normalized", Json::Null),
        ("hash", Json::Null),
        ("reason", Json::from(reason)),
        ("message", Json::from(message)),
    ])
    .to_json()
}

/// `{"field", "value"}` -> `{"field", "normalized", "hash"}` or with `"reason"` when dropped.
#[wasm_bindgen(js_name = normalizeJson)]
pub fn normalize_json(input: &str, current_year: i32) -> String {
    let v = match json::parse(input) {
        Ok(v) => v,
        Err(e) => return error("invalid_json", e.describe()),
    };
    let key = v.get("field").and_then(Json::as_str).unwrap_or_default();
    let Some(field) = Field::from_key(key) else {
        return dropped_value(
            key,
            "unknown_field",
            "field must be one of em, ph, fn, ln, ge, db, ct, st, zp, country, external_id",
        );
    };
    let Some(text) = v.get("value").and_then(scalar_text) else {
        return dropped_value(key, "not_text", "value must be a string or a number");
    };
    match normalize_and_hash(field, text, context(current_year)) {
        Ok(h) => Json::object([
            ("field", Json::from(key)),
            ("normalized", Json::from(h.normalized)),
            ("hash", Json::from(h.hash)),
        ])
        .to_json(),
        Err(r) => dropped_value(key, r.code(), r.message()),
    }
}

/// A JSON array of user_data records -> a JSON array of `{userData, dropped}`.
/// Offline-conversion rows (a JSON array of column -> value objects, from a CSV or JSON-lines
/// export) as event data, each with its event_id (see `crate::offline`); a JSON array in order.
#[wasm_bindgen(js_name = offlineEvents)]
pub fn offline_events(rows_json: &str) -> String {
    let rows = match json::parse(rows_json) {
        Ok(Json::Array(rows)) => rows,
        _ => Vec::new(),
    };
    Json::Array(rows.iter().map(crate::offline::row_event).collect()).to_json()
}

/// One batch of a bulk upload as `runBatch` (or, in a dry run, the builds) settled it:
/// `{outcomes, problems: [{first, last, message}], stop}` (see `crate::offline::settle`).
#[wasm_bindgen(js_name = bulkSettle)]
pub fn bulk_settle(result_json: &str, rows: u32) -> String {
    let result = json::parse_borrowed(result_json).unwrap_or(Value::Null);
    let rows = usize::try_from(rows).unwrap_or(0);
    crate::offline::settle(&result, rows).to_json().to_json()
}

/// The bulk upload's exit status (see `crate::offline::exit_code`).
#[wasm_bindgen(js_name = bulkExitCode)]
pub fn bulk_exit_code(stopped: bool, rejected: u32, invalid: u32) -> u8 {
    crate::offline::exit_code(stopped, u64::from(rejected), u64::from(invalid))
}

/// The hot calls' text in and out through two buffers in wasm memory that live from call to
/// call (`hashUserData`, `build`): the host encodes its JSON text straight into the input
/// (`TextEncoder.encodeInto`) and decodes the result from the output, where `&[u8]` arguments
/// and a `String` result would cost an allocation, a free and a copy each per call.
struct Io {
    /// Zero-filled to its length: the host writes at most that many bytes.
    input: Vec<u8>,
    output: String,
}

thread_local! {
    static IO: RefCell<Io> = const { RefCell::new(Io { input: Vec::new(), output: String::new() }) };
}

/// Buffers larger than this are given back after the call that needed them, not kept.
const IO_KEEP: usize = 1 << 20;

/// The wasm memory, for the host to read and write the buffers below.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The address of an input buffer of at least `room` bytes for the next call that reads it
/// (`hashUserDataRun`, `WasmTag.buildFromInput`). Memory may grow here: the host takes its view
/// of memory after this call.
#[wasm_bindgen(js_name = ioInput)]
pub fn io_input(room: usize) -> *mut u8 {
    IO.with(|io| {
        let io = &mut *io.borrow_mut();
        if io.output.capacity() > IO_KEEP {
            io.output = String::new();
        }
        if io.input.len() < room || io.input.len() > IO_KEEP.max(room) {
            io.input = vec![0; room];
        }
        io.input.as_mut_ptr()
    })
}

/// The address of the output buffer (valid until the next `ioInput`).
#[wasm_bindgen(js_name = ioOutput)]
pub fn io_output() -> *const u8 {
    IO.with(|io| io.borrow().output.as_ptr())
}

/// `work` over the input's first `len` bytes, writing the output (cleared first); returns the
/// output's length in bytes.
fn with_io(len: usize, work: impl FnOnce(&[u8], &mut String)) -> usize {
    IO.with(|io| {
        let io = &mut *io.borrow_mut();
        let input = &io.input[..len.min(io.input.len())];
        io.output.clear();
        work(input, &mut io.output);
        if io.input.len() > IO_KEEP {
            io.input = Vec::new();
        }
        io.output.len()
    })
}

/// Hash the JSON array of user_data records in the input buffer's first `len` bytes (UTF-8
/// written by the host's TextEncoder) into the output buffer; returns the output's length in
/// bytes (its address: `ioOutput`). The output is the JSON array of results, or `{"error"}`.
/// With `one`, the input is a single record and the output its result object.
#[wasm_bindgen(js_name = hashUserDataRun)]
pub fn hash_user_data_run(len: usize, current_year: i32, one: bool) -> usize {
    with_io(len, |input, out| {
        hash_user_data_into(input, current_year, one, out)
    })
}

/// `hashUserDataRun`'s work on bytes given here (the wasm tests call it without the buffers).
pub fn hash_user_data_text(input: &[u8], current_year: i32, one: bool) -> String {
    let mut out = String::new();
    hash_user_data_into(input, current_year, one, &mut out);
    out
}

fn hash_user_data_into(input: &[u8], current_year: i32, one: bool, out: &mut String) {
    let Ok(input) = std::str::from_utf8(input) else {
        *out = error("invalid_json", "the input is not UTF-8 text".into());
        return;
    };
    let ctx = context(current_year);
    // The usual case, written straight from the input text; the tree below only reports errors.
    let written = if one {
        hash_record_json_into(input, ctx, out)
    } else {
        hash_records_json_into(input, ctx, out)
    };
    if written {
        return;
    }
    *out = match json::parse(input) {
        Ok(record) if one => match hash_records(std::slice::from_ref(&record), ctx) {
            Json::Array(mut results) => results.pop().unwrap_or(Json::Null).to_json(),
            other => other.to_json(),
        },
        Ok(Json::Array(records)) => hash_records(&records, ctx).to_json(),
        Ok(_) => error(
            "invalid_input",
            "expected an array of user_data objects".into(),
        ),
        Err(e) => error("invalid_json", e.describe()),
    };
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
    #[wasm_bindgen(getter)]
    pub fn hashed(&self) -> u32 {
        self.inner.hashed
    }
    #[wasm_bindgen(getter)]
    pub fn dropped(&self) -> u32 {
        self.inner.dropped
    }
}

/// Whole lines of `{"field","value"}` JSON -> output lines; `first_line` numbers error lines.
#[wasm_bindgen(js_name = normalizeLines)]
pub fn normalize_lines(text: &str, first_line: u32, current_year: i32) -> LinesResult {
    LinesResult {
        inner: jsonl::normalize_lines(text, first_line, context(current_year)),
    }
}

/// A configured tag. Build one per config and reuse it for every event.
#[wasm_bindgen]
pub struct WasmTag {
    inner: Tag,
    /// Counters of this instance (see `metrics`); updated as the tag decides.
    metrics: RefCell<Metrics>,
    /// Identity answers kept for `identity.cacheTtlMs` (empty when that is 0).
    identity_cache: RefCell<Cache>,
    /// What of the ERROR records goes to the error monitor (`crate::monitor`).
    monitor_gate: RefCell<Gate>,
    /// Randomness stretched from the host's seed (see `crate::entropy`).
    entropy: RefCell<Entropy>,
    /// What happened since the host last drained it into the history store.
    activity: RefCell<Activity>,
    /// The config's log level and secrets, prepared once: each run forks its logger from it.
    log: Logger,
}

impl WasmTag {
    /// The logger of one run (`trace_id`, stamped `now_ms`).
    fn logger(&self, trace_id: &str, now_ms: u64) -> Logger {
        self.log.fork(trace_id, now_ms)
    }

    /// Update the counters (skipped, never a panic, if they are somehow in use).
    fn count(&self, update: impl FnOnce(&mut Metrics)) {
        if let Ok(mut m) = self.metrics.try_borrow_mut() {
            update(&mut m);
        }
    }

    /// The host's `entropy` when it gave any, else the next block of this tag's own stream.
    fn entropy_or_own(&self, host: &[u8]) -> [u8; 32] {
        if !host.is_empty() {
            // 32 bytes as given; any other length hashed, as `Entropy::new` treats a seed.
            return <[u8; 32]>::try_from(host).unwrap_or_else(|_| crate::hash::sha256(host));
        }
        match self.entropy.try_borrow_mut() {
            Ok(mut e) => e.next_block(),
            Err(_) => [0u8; 32],
        }
    }

    /// Update the history's pending activity (skipped, never a panic, if in use).
    fn record(&self, update: impl FnOnce(&mut Activity)) {
        if let Ok(mut a) = self.activity.try_borrow_mut() {
            update(&mut a);
        }
    }

    /// An event that was not built (invalid or skipped) into the history, under its name.
    fn record_not_built(
        &self,
        out: &crate::tag::BuildOutput,
        input: Option<&Value<'_>>,
        now_ms: u64,
    ) {
        if out.status == crate::tag::Status::Ready {
            return;
        }
        let status = out.status.name();
        let incoming = input
            .and_then(|e| e.get("event_name"))
            .and_then(Value::as_str);
        let name = crate::payload::meta_event_name(self.inner.config(), incoming);
        let name = name.or(incoming).unwrap_or_default();
        self.record(|a| a.on_not_built(name, status, now_ms));
    }

    /// The deadline JS gives each identity call (0 when identity is off).
    fn identity_timeout_ms(&self) -> u64 {
        let identity = self.inner.config().identity.as_ref();
        identity.map_or(0, |c| c.timeout_ms)
    }

    fn plan(&self, event: &Json, request: &Json, now_ms: f64) -> IdentityPlan {
        let cache = self.identity_cache.try_borrow().ok();
        self.inner
            .identity_calls(event, request, cache.as_deref(), clamp_ms(now_ms))
    }
}

fn plan_json(plan: &IdentityPlan) -> Json {
    let (name, calls) = match plan {
        IdentityPlan::Nothing => ("none", Vec::new()),
        IdentityPlan::NoIdentifier => ("no_identifier", Vec::new()),
        IdentityPlan::Cached => ("cached", Vec::new()),
        IdentityPlan::Calls(calls) => ("calls", calls.iter().map(|c| c.to_json()).collect()),
    };
    Json::object([("plan", Json::from(name)), ("calls", Json::Array(calls))])
}

/// A JSON array of fetch results (see `identity::answer_from_json`); anything else is none.
fn answers_from_json(text: &str) -> Vec<IdentityAnswer> {
    match json::parse(text) {
        Ok(Json::Array(items)) => items.iter().map(answer_from_json).collect(),
        _ => Vec::new(),
    }
}

#[wasm_bindgen]
impl WasmTag {
    /// From config JSON text and 32 random bytes of the host (the seed of every event id,
    /// generated `_fbp` and trace id of this tag; see `crate::entropy`). Never fails: problems
    /// are in `configReport`.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, seed: Option<Vec<u8>>) -> WasmTag {
        let inner = Tag::from_text(config_json);
        WasmTag {
            log: observe::logger(inner.config(), "", 0),
            inner,
            metrics: RefCell::new(Metrics::default()),
            identity_cache: RefCell::new(Cache::default()),
            monitor_gate: RefCell::new(Gate::default()),
            entropy: RefCell::new(Entropy::new(seed.as_deref().unwrap_or_default())),
            activity: RefCell::new(Activity::default()),
        }
    }

    /// `{valid, errors, warnings}` for the config.
    #[wasm_bindgen(js_name = configReport)]
    pub fn config_report(&self) -> String {
        self.inner.config_report().to_json().to_json()
    }

    /// What to ask the identity service before `build`: `{"plan": "calls" | "cached" |
    /// "no_identifier" | "none", "calls": [{url, method, headers, body}], "timeoutMs": n}`. The
    /// host POSTs the calls in parallel, each with that deadline, and hands `build` what each
    /// came to (`answersJson`), in call order.
    #[wasm_bindgen(js_name = identityCalls)]
    pub fn identity_calls(&self, event_json: &str, request_json: &str, now_ms: f64) -> String {
        let event = json::parse(event_json).unwrap_or(Json::Null);
        let request = json::parse(request_json).unwrap_or(Json::Null);
        let mut out = plan_json(&self.plan(&event, &request, now_ms));
        out.set("timeoutMs", Json::from(self.identity_timeout_ms()));
        out.to_json()
    }

    /// `identityCalls` for each event of a batch: `{"events": [{plan, calls}], "timeoutMs": n}`.
    #[wasm_bindgen(js_name = identityCallsBatch)]
    pub fn identity_calls_batch(
        &self,
        events_json: &str,
        request_json: &str,
        now_ms: f64,
    ) -> String {
        let events = match json::parse(events_json) {
            Ok(Json::Array(events)) => events,
            _ => Vec::new(),
        };
        let request = json::parse(request_json).unwrap_or(Json::Null);
        let contexts = batch::Contexts::of(&request, events.len());
        let plans = events
            .iter()
            .enumerate()
            .map(|(i, e)| plan_json(&self.plan(e, contexts.get(i), now_ms)))
            .collect();
        Json::object([
            ("events", Json::Array(plans)),
            ("timeoutMs", Json::from(self.identity_timeout_ms())),
        ])
        .to_json()
    }

    /// One event: its result head by position on the first line (`BuildOutput::write_wire`;
    /// js/api.mjs `resultOf` names it), then each request's body on its own line. `now_ms` is
    /// the host's clock; `trace_id` the host's own trace id, if it has one; `answers_json` what
    /// the `identityCalls` fetches came to (a JSON array in call order).
    ///
    /// Event and request are UTF-8 JSON text, one after the other in the input buffer
    /// (`ioInput`: the host encodes them straight into wasm memory); the result goes to the
    /// output buffer (`ioOutput`), and its length in bytes is returned. The tag draws event ids,
    /// generated fbp values and the trace id from its own entropy stream.
    #[wasm_bindgen(js_name = buildFromInput)]
    pub fn build_from_input(
        &self,
        event_len: usize,
        request_len: usize,
        now_ms: f64,
        trace_id: Option<String>,
        answers_json: Option<String>,
    ) -> usize {
        with_io(event_len.saturating_add(request_len), |input, out| {
            let (event, request) = input.split_at(event_len.min(input.len()));
            self.build_into(event, request, now_ms, &[], trace_id, answers_json, out);
        })
    }

    /// `build_batch` over the input buffer (events and request context as UTF-8 JSON text, one
    /// after the other, as for `buildFromInput`); the result goes to the output buffer and its
    /// length in bytes is returned.
    #[wasm_bindgen(js_name = buildBatchFromInput)]
    pub fn build_batch_from_input(
        &self,
        events_len: usize,
        request_len: usize,
        now_ms: f64,
        trace_id: Option<String>,
        answers_json: Option<String>,
    ) -> usize {
        with_io(events_len.saturating_add(request_len), |input, out| {
            let (events, request) = input.split_at(events_len.min(input.len()));
            out.push_str(&self.build_batch(events, request, now_ms, &[], trace_id, answers_json));
        })
    }
}

impl WasmTag {
    /// Many events of one incoming request: `{status, requests: [{..., eventIndexes}], events:
    /// [{index, status, report, skipped?}], traceId, logs}` on the first line, then one body per
    /// line (at most 1,000 events per request, one request per pixel and chunk). A non-empty
    /// `entropy` replaces the tag's own stream for this call (`buildBatchFromInput` passes none).
    pub fn build_batch(
        &self,
        events_json: &[u8],
        request_json: &[u8],
        now_ms: f64,
        entropy: &[u8],
        trace_id: Option<String>,
        answers_json: Option<String>,
    ) -> String {
        let events_json = utf8(events_json);
        let request_json = utf8(request_json);
        let (clock, trace) = run_start(now_ms, &self.entropy_or_own(entropy), trace_id);
        let mut log = self.logger(&trace, clock.now_ms);
        let events = match json::parse_borrowed(events_json) {
            Ok(Value::Array(events)) => events,
            _ => {
                log.error("Build", "Error", "runBatch needs an array of events", None);
                let head = Json::object([
                    ("status", Json::from("invalid")),
                    ("requests", Json::Array(Vec::new())),
                    ("events", Json::Array(Vec::new())),
                    ("traceId", Json::from(trace)),
                    ("logs", log.into_json()),
                ]);
                return head.to_json();
            }
        };
        let request = json::parse(request_json).unwrap_or(Json::Null);
        // Per event: null (nothing fetched) or its answers.
        let answers: Vec<Option<Vec<IdentityAnswer>>> = match answers_json.map(|a| json::parse(&a))
        {
            Some(Ok(Json::Array(per_event))) => per_event
                .iter()
                .map(|a| {
                    a.as_array()
                        .map(|items| items.iter().map(answer_from_json).collect())
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut cache = self.identity_cache.try_borrow_mut().ok();
        let contexts = batch::Contexts::of(&request, events.len());
        let out = batch::build_batch(
            &self.inner,
            &events,
            contexts,
            clock,
            &answers,
            cache.as_deref_mut(),
        );
        self.count(|m| out.events.iter().for_each(|e| m.on_build(e, clock.now_ms)));
        for (e, input) in out.events.iter().zip(&events) {
            self.record_not_built(e, Some(input), clock.now_ms);
        }
        observe::log_batch(&mut log, &out);
        out.to_wire_with(|o| {
            o.str("traceId", &trace);
            log.write_records(o.key("logs"));
        })
    }

    /// `buildFromInput` over bytes given here (native benches and tests); a non-empty `entropy`
    /// replaces the tag's own stream for this call.
    pub fn build(
        &self,
        event_json: &[u8],
        request_json: &[u8],
        now_ms: f64,
        entropy: &[u8],
        trace_id: Option<String>,
        answers_json: Option<String>,
    ) -> String {
        let mut out = String::new();
        self.build_into(
            event_json,
            request_json,
            now_ms,
            entropy,
            trace_id,
            answers_json,
            &mut out,
        );
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn build_into(
        &self,
        event_json: &[u8],
        request_json: &[u8],
        now_ms: f64,
        entropy: &[u8],
        trace_id: Option<String>,
        answers_json: Option<String>,
        wire: &mut String,
    ) {
        let event_json = utf8(event_json);
        let request_json = utf8(request_json);
        let (clock, trace) = run_start(now_ms, &self.entropy_or_own(entropy), trace_id);
        let answers = answers_json.as_deref().map(answers_from_json);
        // Too large or unreadable: `build_text` reports it.
        let within = event_json.len() <= MAX_EVENT_BYTES;
        // Read in place: the event's text is borrowed for the build, not copied into a tree.
        let event = within
            .then(|| json::parse_borrowed(event_json).ok())
            .flatten();
        let out = match &event {
            Some(event) => {
                let request = json::parse_borrowed(request_json).unwrap_or(Value::Null);
                let mut cache = self.identity_cache.try_borrow_mut().ok();
                let cache = cache.as_deref_mut();
                self.inner
                    .build_with(event, &request, clock, answers.as_deref(), cache)
            }
            None => self.inner.build_text(event_json, request_json, clock),
        };
        self.count(|m| m.on_build(&out, clock.now_ms));
        self.record_not_built(&out, event.as_ref(), clock.now_ms);
        let mut log = self.logger(&trace, clock.now_ms);
        observe::log_build(&mut log, &out);
        out.write_wire(wire, &trace, |logs| log.write_records(logs));
    }
}

#[wasm_bindgen]
impl WasmTag {
    /// The per-try timeout JS gives `fetch`, in ms.
    #[wasm_bindgen(js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.inner.config().retry.timeout_ms as f64
    }

    /// After try number `attempt_number` (1 = the first) of a request of `events` events:
    /// `{"final": "accepted" | "rejected" | "unconfirmed" | "failed" | null, "retryInMs": n |
    /// null, "unconfirmed": bool, "outcome": {...}, "logs"}`. `attempt_json` is what the fetch
    /// came to (see `dispatch::Attempt::from_json`); `random` feeds the backoff jitter;
    /// `earlier_unconfirmed` whether an earlier try may have reached Meta (the previous
    /// decision's `unconfirmed`); `body` the request body, read only when the events did not get
    /// through, to name them (event_id, event_name) in the ERROR record.
    // Scalars cross the wasm boundary cheaply; a JSON object for these would cost a parse per try.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        attempt_json: &str,
        attempt_number: u32,
        now_ms: f64,
        random: u32,
        pixel_id: &str,
        trace_id: &str,
        events: u32,
        earlier_unconfirmed: bool,
        body: Option<String>,
    ) -> String {
        let attempt = Attempt::from_json(&json::parse(attempt_json).unwrap_or(Json::Null));
        let config = self.inner.config();
        let tried = Try {
            number: attempt_number,
            sent: u64::from(events),
            earlier_unconfirmed,
        };
        let d = decide_try(&config.retry, &attempt, tried, clamp_ms(now_ms), random);
        let secrets = observe::secrets(config);
        self.count(|m| m.on_decision(&d, pixel_id, u64::from(events), clamp_ms(now_ms), &secrets));
        if let (Some(state), Some(body)) = (d.final_state(), body.as_deref()) {
            let sent = history::sent_events(body);
            let now = clamp_ms(now_ms);
            self.record(|a| a.on_final(pixel_id, state, &sent, Some(&d.outcome), now, &secrets));
        }
        let mut log = self.logger(trace_id, clamp_ms(now_ms));
        let undelivered = match d.final_state() {
            Some("accepted") | None => Vec::new(),
            Some(_) => body
                .as_deref()
                .map(observe::events_of_body)
                .unwrap_or_default(),
        };
        observe::log_decision(&mut log, pixel_id, attempt_number, &d, &undelivered);
        let mut out = d.to_json();
        out.set("logs", log.into_json());
        out.to_json()
    }

    /// After one try of a queued batch's requests (see `crate::delivery`): `input_json` is
    /// `delivery::Batch` (rows, the batch build's events, the requests, what each try came to,
    /// the queue policy). `{"rows": [{"action": "delivered" | "retry" | "split" | "dead" |
    /// "skipped", "retryAt"?, "reason"?}], "logs"}`, one per row, in order.
    pub fn settle(&self, input_json: &str, now_ms: f64, random: u32, trace_id: &str) -> String {
        let now = clamp_ms(now_ms);
        let input = json::parse(input_json).unwrap_or(Json::Null);
        let batch = delivery::Batch::from_json(&input);
        let (outcomes, next) = batch.settle(now, random);
        let secrets = observe::secrets(self.inner.config());
        self.count(|m| metrics::count_settled(m, &batch, &outcomes, &next, now, &secrets));
        self.record(|a| history::on_settled(a, &input, &batch, &outcomes, &next, now, &secrets));
        let mut log = self.logger(trace_id, now);
        observe::log_settle(&mut log, &batch, &outcomes, &next);
        Json::object([
            (
                "rows",
                Json::Array(next.iter().map(delivery::Next::to_json).collect()),
            ),
            ("logs", log.into_json()),
        ])
        .to_json()
    }

    /// The body to POST to the error monitor for an ERROR record (JSON text), or `undefined`
    /// when this kind of error was posted `errorMonitor.maxPerMinute` times this minute already
    /// (the next post says how many were held back).
    #[wasm_bindgen(js_name = monitorBody)]
    pub fn monitor_body(&self, record_json: &str, now_ms: f64) -> Option<String> {
        let per_minute = self.inner.config().error_monitor.as_ref()?.max_per_minute;
        let record = json::parse(record_json).ok()?;
        let mut gate = self.monitor_gate.try_borrow_mut().ok()?;
        gate.admit(&record, clamp_ms(now_ms), per_minute)
    }

    /// Every pixel's request but its body, `[[pixelId, url, method, headers], ...]` in the
    /// config's order: a single build's result names its requests by index into this list
    /// (`BuildOutput::write_wire`), read once per tag.
    #[wasm_bindgen(js_name = requestHeads)]
    pub fn request_heads(&self) -> String {
        let heads = request_heads(self.inner.config());
        let mut out = String::new();
        json::write_array(&heads, &mut out, HttpRequest::write_row);
        out
    }

    /// `{endpoint, token}` of the config's error monitor, or `null`.
    #[wasm_bindgen(js_name = errorMonitor)]
    pub fn error_monitor(&self) -> String {
        let monitor = self.inner.config().error_monitor.as_ref().map(|m| {
            Json::object([
                ("endpoint", Json::from(m.endpoint.as_str())),
                ("token", Json::from(m.token.clone())),
            ])
        });
        Json::from(monitor).to_json()
    }

    /// This instance's counters as JSON (see `crate::metrics`); `perMinute` ends at `now_ms`.
    pub fn metrics(&self, now_ms: f64) -> String {
        self.metrics
            .try_borrow()
            .map(|m| m.to_json(clamp_ms(now_ms)).to_json())
            .unwrap_or_default()
    }

    /// The same counters in Prometheus text format.
    #[wasm_bindgen(js_name = metricsPrometheus)]
    pub fn metrics_prometheus(&self) -> String {
        self.metrics
            .try_borrow()
            .map(|m| m.to_prometheus())
            .unwrap_or_default()
    }

    /// What happened since the last call, for the history store (see `crate::history`):
    /// `{rows, recent, last, prune}`, labelled with the container's name for this tag.
    #[wasm_bindgen(js_name = drainActivity)]
    pub fn drain_activity(&self, tag_name: &str, now_ms: f64) -> String {
        self.activity
            .try_borrow_mut()
            .map(|mut a| a.drain(tag_name, clamp_ms(now_ms)).to_json())
            .unwrap_or_default()
    }

    /// `{pixels, testMode, identity}` for the dashboard (no secret, no test code).
    pub fn info(&self) -> String {
        let c = self.inner.config();
        let pixels: Vec<String> = c.pixels.iter().map(|p| p.id.clone()).collect();
        Json::object([
            ("pixels", Json::from(pixels)),
            ("testMode", Json::Bool(c.test_event_code.is_some())),
            ("identity", Json::Bool(c.identity.is_some())),
        ])
        .to_json()
    }

    /// INFO records of the run's timings (measured by the host) and its final status;
    /// `identity_ms` negative when no identity call was made.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = timingLogs)]
    pub fn timing_logs(
        &self,
        trace_id: &str,
        status: &str,
        build_ms: f64,
        identity_ms: f64,
        dispatch_ms: f64,
        total_ms: f64,
        now_ms: f64,
    ) -> String {
        let mut log = self.logger(trace_id, clamp_ms(now_ms));
        let timings = Timings {
            build_ms: clamp_ms(build_ms),
            identity_ms: (identity_ms >= 0.0).then(|| clamp_ms(identity_ms)),
            dispatch_ms: clamp_ms(dispatch_ms),
            total_ms: clamp_ms(total_ms),
        };
        let sent = !matches!(status, "invalid" | "skipped");
        self.count(|m| m.on_timings(&timings, sent));
        observe::log_timings(&mut log, status, timings);
        log.into_json().to_json()
    }
}

/// A server container (see `crate::container`): routes, GA4 hits, CORS and cookies decided here;
/// the host reads bodies, answers and runs the tags.
#[wasm_bindgen]
pub struct WasmContainer {
    inner: Container,
    /// Events received since the host last drained them into the history store.
    activity: RefCell<Activity>,
}

#[wasm_bindgen]
impl WasmContainer {
    /// From the container config JSON and the environment (an object of strings: secrets).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, env_json: &str) -> WasmContainer {
        let env = json::parse(env_json).unwrap_or(Json::Null);
        let parsed = json::parse(config_json);
        let mut inner = Container::new(parsed.as_ref().unwrap_or(&Json::Null), &env);
        // Say why text was unreadable rather than "must be an object" (empty text: no config).
        if let Err(e) = &parsed {
            if !config_json.trim().is_empty() {
                inner.config_unreadable(crate::hints::json_error(config_json, e));
            }
        }
        WasmContainer {
            inner,
            activity: RefCell::new(Activity::default()),
        }
    }

    /// The host keeps accepted events in a queue whose messages take at most `bytes` (Cloudflare
    /// Queues: 128 KB): larger events are refused at ingestion (413). 0: no limit.
    #[wasm_bindgen(js_name = setQueueMessageBytes)]
    pub fn set_queue_message_bytes(&mut self, bytes: f64) {
        // `as` saturates (and NaN is 0): any number the host passes is a usable limit or none.
        self.inner.queue_message_bytes = (bytes >= 1.0).then_some(bytes as usize);
    }

    /// `{valid, errors, warnings}` of the container config (its tags' included).
    pub fn report(&self) -> String {
        self.inner.report().to_json().to_json()
    }

    /// `[{name, config}]`: the tags to create (secrets from the environment filled in).
    pub fn tags(&self) -> String {
        let tags = self.inner.tags.iter().map(|t| {
            Json::object([
                ("name", Json::from(t.name.as_str())),
                ("config", t.config.clone()),
            ])
        });
        Json::Array(tags.collect()).to_json()
    }

    /// How long the host may hold events to send many requests' events together (0: never).
    #[wasm_bindgen(js_name = batchWindowMs)]
    pub fn batch_window_ms(&self) -> f64 {
        self.inner.batch_window_ms as f64
    }

    /// How many body bytes the host reads at most (more: `bodyTooLarge`).
    #[wasm_bindgen(js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes as f64
    }

    /// One incoming request: `{response: {status, headers: [[name, value]], body}, work: "none" |
    /// "run" | "metrics" | "metrics-json" | ..., events, request, problems, ids: [[event_id,
    /// event_name]]}`. `headers_json`: a JSON array of `[name, value]`; `backlog` the events the
    /// host holds now (queued or in flight), for backpressure.
    #[allow(clippy::too_many_arguments)]
    pub fn handle(
        &self,
        method: &str,
        url: &str,
        headers_json: &str,
        body: &str,
        body_too_large: bool,
        remote_address: Option<String>,
        now_ms: f64,
        entropy: &[u8],
        backlog: f64,
    ) -> String {
        let headers = match json::parse(headers_json) {
            Ok(Json::Array(items)) => items
                .iter()
                .filter_map(|pair| {
                    let pair = pair.as_array()?;
                    let name = pair.first()?.as_str()?.to_ascii_lowercase();
                    Some((name, pair.get(1)?.as_str()?.to_string()))
                })
                .collect(),
            _ => Vec::new(),
        };
        let incoming = Incoming {
            method: method.to_string(),
            url: url.to_string(),
            headers,
            body: body.to_string(),
            body_too_large,
            remote_address,
        };
        let (clock, _) = run_start(now_ms, entropy, None);
        let handled = self.inner.handle_at(&incoming, clock, clamp_ms(backlog));
        if let Ok(mut a) = self.activity.try_borrow_mut() {
            for ((_, name), generated) in handled.ids.iter().zip(&handled.generated) {
                a.on_received(&self.inner.meta_name(name), *generated, clock.now_ms);
            }
        }
        handled.to_json().to_json()
    }

    /// Events received since the last call, for the history store (`crate::history`).
    #[wasm_bindgen(js_name = drainActivity)]
    pub fn drain_activity(&self, now_ms: f64) -> String {
        self.activity
            .try_borrow_mut()
            .map(|mut a| a.drain("", clamp_ms(now_ms)).to_json())
            .unwrap_or_default()
    }

    /// `{path}`: where a Node host keeps the history (`history.path`, else the queue's file).
    #[wasm_bindgen(js_name = historySettings)]
    pub fn history_settings(&self) -> String {
        let path = self
            .inner
            .history_path
            .as_deref()
            .or(self.inner.queue.path.as_deref());
        Json::object([
            ("path", Json::from(path)),
            ("alerts", Json::from(self.inner.alerts.len())),
        ])
        .to_json()
    }

    /// The store rows a dashboard request needs: `[{res, from}]` for the `range` of its URL.
    #[wasm_bindgen(js_name = dashboardQuery)]
    pub fn dashboard_query(&self, url: &str, now_ms: f64) -> String {
        let range = history::range(crate::url::query_param(url, "range"));
        Json::object([
            ("range", Json::from(range.name)),
            ("queries", Json::Array(vec![range.query(clamp_ms(now_ms))])),
        ])
        .to_json()
    }

    /// The dashboard's data from what the host gathered (see `history::dashboard`).
    #[wasm_bindgen(js_name = dashboardData)]
    pub fn dashboard_data(&self, input_json: &str) -> String {
        let input = json::parse(input_json).unwrap_or(Json::Null);
        history::dashboard(&input, &self.inner.alerts).to_json()
    }

    /// The store rows the alerts need: `[{res, from}]` (empty without alerts).
    #[wasm_bindgen(js_name = alertQueries)]
    pub fn alert_queries(&self, now_ms: f64) -> String {
        crate::alerts::queries(&self.inner.alerts, clamp_ms(now_ms)).to_json()
    }

    /// The alert posts due: `[{id, webhook, body, windowMs}]` from the store's `{rows, posted:
    /// [[id, at]]}`. The host claims each in the store (once per window across instances), then
    /// POSTs `body`.
    #[wasm_bindgen(js_name = alertsDue)]
    pub fn alerts_due(&self, input_json: &str, now_ms: f64) -> String {
        let input = json::parse(input_json).unwrap_or(Json::Null);
        let rows = history::rows_from_json(input.get("rows"));
        let posted: Vec<(String, u64)> = input
            .get("posted")
            .and_then(Json::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| {
                let p = p.as_array()?;
                Some((p.first()?.as_str()?.to_string(), history::uint(p.get(1))?))
            })
            .collect();
        let alerts = &self.inner.alerts;
        let due = crate::alerts::due(alerts, &rows, &posted, clamp_ms(now_ms));
        let out = due.into_iter().map(|(id, webhook, body)| {
            let window = alerts
                .iter()
                .enumerate()
                .find(|(i, _)| format!("alerts[{i}]") == id)
                .map_or(0, |(_, a)| a.window_ms);
            Json::object([
                ("id", Json::from(id)),
                ("webhook", Json::from(webhook)),
                ("body", Json::from(body)),
                ("windowMs", Json::from(window)),
            ])
        });
        Json::Array(out.collect()).to_json()
    }

    /// `/readyz`, step 1: `{"response": {...}}` when no probe is needed (cached, or a broken
    /// config), else `{"probes": [{url, method, headers, body?}], "timeoutMs"}` to send.
    #[wasm_bindgen(js_name = readyProbes)]
    pub fn ready_probes(&self, now_ms: f64) -> String {
        if let Some(response) = self.inner.ready_cached(clamp_ms(now_ms)) {
            return Json::object([("response", response.to_json())]).to_json();
        }
        let probes = self
            .inner
            .ready_checks()
            .iter()
            .map(|(_, c)| c.probe.as_ref().map_or(Json::Null, |p| p.to_json()))
            .collect();
        Json::object([
            ("probes", Json::Array(probes)),
            ("timeoutMs", Json::from(READY_PROBE_TIMEOUT_MS)),
        ])
        .to_json()
    }

    /// `/readyz`, step 2: the response from what each probe came to (as `WasmDoctor::judge`).
    /// `durable`: the host keeps accepted events in a durable queue.
    #[wasm_bindgen(js_name = readyResponse)]
    pub fn ready_response(&self, answers_json: &str, now_ms: f64, durable: bool) -> String {
        let answers = answers_from(answers_json);
        let response = self
            .inner
            .ready_response(&answers, clamp_ms(now_ms), durable);
        response.to_json().to_json()
    }

    /// The container config's `queue`: `{path, maxEvents, synchronous, policy: {baseDelayMs,
    /// maxDelayMs, maxAgeMs}}` (`path` null when the config names none).
    #[wasm_bindgen(js_name = queueSettings)]
    pub fn queue_settings(&self) -> String {
        let q = &self.inner.queue;
        Json::object([
            ("path", Json::from(q.path.as_deref())),
            ("maxEvents", Json::from(q.max_events)),
            ("synchronous", Json::from(q.synchronous)),
            (
                "policy",
                Json::object([
                    ("baseDelayMs", Json::from(q.policy.base_delay_ms)),
                    ("maxDelayMs", Json::from(q.policy.max_delay_ms)),
                    ("maxAgeMs", Json::from(q.policy.max_age_ms)),
                ]),
            ),
        ])
        .to_json()
    }
}

/// How long a `/readyz` probe may take: a health check must answer fast.
const READY_PROBE_TIMEOUT_MS: u64 = 3000;

/// Probe answers: a JSON array of `null` or an attempt (as `decide` takes it) plus `date`.
fn answers_from(answers_json: &str) -> Vec<Option<Answer>> {
    match json::parse(answers_json) {
        Ok(Json::Array(items)) => items
            .iter()
            .map(|a| {
                (!a.is_null()).then(|| Answer {
                    attempt: Attempt::from_json(a),
                    date: a.get("date").and_then(Json::as_str).map(str::to_string),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Health checks of a tag config (`omni-meta-capi doctor`): the probes to send, then verdicts.
#[wasm_bindgen]
pub struct WasmDoctor {
    tag: Tag,
    checks: Vec<Check>,
}

#[wasm_bindgen]
impl WasmDoctor {
    /// From the config JSON text (unreadable text is the `config` check's failure).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, now_ms: f64, entropy: &[u8]) -> WasmDoctor {
        let tag = Tag::from_text(config_json);
        let (clock, _) = run_start(now_ms, entropy, None);
        let checks = doctor::plan(&tag, clock);
        WasmDoctor { tag, checks }
    }

    /// A JSON array, one entry per check: `{url, method, headers, body?}` to send, or `null`.
    pub fn probes(&self) -> String {
        let probes = self
            .checks
            .iter()
            .map(|c| c.probe.as_ref().map_or(Json::Null, |p| p.to_json()));
        Json::Array(probes.collect()).to_json()
    }

    /// `{ok, checks: [{check, status, message, hint}], text}` from what each probe came to (a
    /// JSON array in probe order: `null`, or an attempt as `decide` takes it plus `date`).
    pub fn judge(&self, answers_json: &str, now_ms: f64) -> String {
        let answers = answers_from(answers_json);
        let verdicts = doctor::judge(&self.tag, &self.checks, &answers, clamp_ms(now_ms));
        let mut out = doctor::result_json(&verdicts);
        out.set("text", Json::from(doctor::result_text(&verdicts)));
        out.to_json()
    }
}

/// The counters of several tags (`[{name, metrics}]`, each `metrics` as `WasmTag::metrics`
/// returns it) in one Prometheus text exposition, labelled `tag="<name>"`.
#[wasm_bindgen(js_name = metricsExposition)]
pub fn metrics_exposition(tags_json: &str) -> String {
    let tags: Vec<(String, Metrics)> = match json::parse(tags_json) {
        Ok(Json::Array(items)) => items
            .iter()
            .map(|t| {
                let name = t.get("name").and_then(Json::as_str).unwrap_or_default();
                let metrics = Metrics::from_json(t.get("metrics").unwrap_or(&Json::Null));
                (name.to_string(), metrics)
            })
            .collect(),
        _ => Vec::new(),
    };
    let refs: Vec<(Option<&str>, &Metrics)> =
        tags.iter().map(|(n, m)| (Some(n.as_str()), m)).collect();
    exposition(&refs)
}

/// The status of a run from the final state of each pixel's request (a JSON array of strings).
#[wasm_bindgen(js_name = overallStatus)]
pub fn overall_status_json(finals_json: &str) -> String {
    let finals = json::parse(finals_json).unwrap_or(Json::Null);
    let items = finals.as_array().unwrap_or_default();
    overall_status(items.iter().map(|f| f.as_str().unwrap_or("failed"))).to_string()
}

/// A request body with `access_token` and `appsecret_proof` redacted (for failed events handed
/// back to the host, and for logs).
#[wasm_bindgen(js_name = redactBody)]
pub fn redact_body(body: &str) -> String {
    redact_request_body(body)
}

/// The clock of a run and its trace id (the host's, or one from the second 16 bytes of
/// entropy, so it never echoes the generated event_id made from the first 16).
fn run_start(now_ms: f64, entropy: &[u8], trace_id: Option<String>) -> (Clock, String) {
    let clock = Clock {
        now_ms: clamp_ms(now_ms),
        entropy: entropy16(entropy),
    };
    let trace_entropy = entropy16(entropy.get(16..).unwrap_or_default());
    (clock, resolve_trace_id(trace_id.as_deref(), &trace_entropy))
}

/// A JS millisecond timestamp as u64 (NaN and negatives become 0).
fn clamp_ms(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// Input bytes as text; bytes that are not UTF-8 (never from `TextEncoder`) read as nothing,
/// which the JSON parser reports like any unreadable input.
fn utf8(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn entropy16(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}
