//! The tag: a parsed config, and `build_with` — the pipeline for one event. Layers in order:
//! payload construction (with the privacy rules) -> identity resolution -> validation ->
//! enrichment -> the request, which dispatch (`crate::dispatch` and the JS shim) sends.
//! Identity resolution's I/O happens between two calls: `identity_calls` says what the host
//! must ask the identity service, and `build_with` takes the answers.
use crate::config::{parse_config, TagConfig};
use crate::enrichment::{self, Enrichment};
use crate::event_data::{EventData, RequestContext};
use crate::identity::{self, Cache, Identifiers, IdentityAnswer, IdentityCall, Resolution};
use crate::json::{
    self, push_decimal, write_string, ArrayWriter, Json, ObjectWriter, Record, RecordWriter, Value,
};
use crate::normalize::Context;
use crate::payload;
use crate::payload::{build_event, meta_event_name, Clock, SetCookie};
use crate::privacy::{consent_block, strip_hashed_identifiers};
use crate::report::{Issue, Report};
use crate::request::{build_requests, HttpRequest};
use crate::validate::{validate_event, validate_event_count};

/// The JSON text one event may take (a 10,000-item order is under 1 MB): the parse, the build
/// and their memory stay bounded whatever a caller sends.
pub const MAX_EVENT_BYTES: usize = 2 * 1024 * 1024;

pub struct Tag {
    config: TagConfig,
    config_report: Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Requests were built and can be sent.
    Ready,
    /// The input (config or event) is invalid: nothing to send; the report says why.
    Invalid,
    /// Deliberately not sent (consent); `skipped` says why.
    Skipped,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::Invalid => "invalid",
            Status::Skipped => "skipped",
        }
    }
}

/// One event's result. `'a`: the Meta event borrows the event data's text (see `Built`);
/// `into_owned` detaches it.
pub struct BuildOutput<'a> {
    pub status: Status,
    pub requests: Vec<HttpRequest>,
    pub report: Report,
    pub cookies: Vec<SetCookie>,
    pub skipped: Option<Issue>,
    /// The Meta server event (hashed), when one was built.
    pub event: Option<Value<'a>>,
    /// What identity resolution did, when the config enables it and the event got that far.
    pub identity: Option<IdentityOutcome>,
}

/// The result's `identity`: how it went, and which `user_data` keys it filled.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityOutcome {
    pub resolution: Resolution,
    pub filled: Vec<&'static str>,
}

impl IdentityOutcome {
    /// `{status, filled, uuid?, previousVisits?, failures}` (no journal: it holds plaintext),
    /// appended to `out`.
    pub fn write_json(&self, out: &mut String) {
        let r = &self.resolution;
        let mut o = ObjectWriter::new(out);
        o.str("status", r.status)
            .array("filled", &self.filled, |k, out| write_string(k, out));
        if let Some(uuid) = &r.uuid {
            o.str("uuid", uuid);
        }
        if let Some(n) = r.previous_visits {
            o.num("previousVisits", n);
        }
        o.array("failures", &r.failures, |f, out| write_string(f, out));
        o.end();
    }

    /// The same as a value (for log records).
    pub fn to_json(&self) -> Json {
        let mut text = String::new();
        self.write_json(&mut text);
        json::parse(&text).unwrap_or(Value::Null)
    }
}

/// What the host must do for identity resolution before `build_with`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityPlan {
    /// Identity is off, or the event never gets that far (consent, not an object): nothing.
    Nothing,
    /// Nothing to ask with (`identity::NO_IDENTIFIER`).
    NoIdentifier,
    /// A fresh cached answer will be used.
    Cached,
    /// POST these, in parallel, each with the identity timeout; hand the answers in call order.
    Calls(Vec<IdentityCall>),
}

impl<'a> BuildOutput<'a> {
    /// The result for the JS boundary (`buildFromInput`): its head on the first line, then each
    /// request body on a line of its own. Bodies are JSON text already; framing them spares
    /// escaping them into a string and parsing them back. Neither part can contain a raw
    /// newline (the writer escapes them). The head is a record by position, not an object:
    /// `[status, requests, report, cookies, skipped, identity, traceId, logs]`, with each
    /// request as its pixel's index (`HttpRequest::pixel`: the rest of a request but its body
    /// comes from the config, and the host reads it once per tag from `request::request_heads`),
    /// the report as `[valid, errors, warnings]` and each cookie as `[name, value, maxAge,
    /// domain, path, secure, httpOnly, sameSite, header]`; `skipped` and `identity` are objects
    /// or null. The host (js/api.mjs `resultOf`) names the positions back. Measured in Node:
    /// V8's JSON.parse of a page_view's head as an object took 2.3 µs, by position with the
    /// naming 1.0 µs; each request's url, method and headers object ~0.5-0.9 µs more than its
    /// index (a whole page_view build is ~12 µs).
    pub fn write_wire(&self, out: &mut String, trace_id: &str, logs: impl FnOnce(&mut String)) {
        let bodies: usize = self.requests.iter().map(|r| r.body.len() + 1).sum();
        out.reserve(WIRE_HEAD_BYTES + bodies);
        let mut head = ArrayWriter::new(out);
        head.str("status", self.status.name())
            .list("requests", &self.requests, |r, out| {
                push_decimal(r.pixel as u64, out)
            });
        self.report.write_row(head.field("report"));
        head.list("cookies", &self.cookies, SetCookie::write_row);
        match &self.skipped {
            Some(s) => s.write_json(head.field("skipped")),
            None => {
                head.null("skipped");
            }
        }
        match &self.identity {
            Some(identity) => identity.write_json(head.field("identity")),
            None => {
                head.null("identity");
            }
        }
        head.str("traceId", trace_id);
        logs(head.field("logs"));
        head.end();
        for r in &self.requests {
            out.push('\n');
            out.push_str(&r.body);
        }
    }

    /// `write_wire` without a trace id or log records, as a new text (tests, benches).
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        self.write_wire(&mut out, "", |logs| logs.push_str("[]"));
        out
    }

    /// The same result with the Meta event copied out of the event data's text.
    pub fn into_owned(self) -> BuildOutput<'static> {
        BuildOutput {
            status: self.status,
            requests: self.requests,
            report: self.report,
            cookies: self.cookies,
            skipped: self.skipped,
            event: self.event.map(Value::into_owned),
            identity: self.identity,
        }
    }

    fn invalid(report: Report) -> Self {
        BuildOutput {
            status: Status::Invalid,
            requests: Vec::new(),
            report,
            cookies: Vec::new(),
            skipped: None,
            event: None,
            identity: None,
        }
    }

    /// The whole result as a value, request bodies included.
    pub fn to_json(&self) -> Json {
        let mut text = String::new();
        let mut o = ObjectWriter::new(&mut text);
        self.write_fields(
            &mut o,
            Some(|r, o| {
                r.write_head(o);
                o.str("body", &r.body);
            }),
        );
        o.end();
        json::parse(&text).unwrap_or(Value::Null)
    }

    /// The result's fields into an object being written: `status`, then `requests` (each
    /// written by `request`) and `cookies` unless `request` is `None` (a batch's per-event
    /// entry), `report`, `skipped?`, `identity?`.
    pub fn write_fields(
        &self,
        o: &mut ObjectWriter,
        request: Option<fn(&HttpRequest, &mut ObjectWriter)>,
    ) {
        o.str("status", self.status.name());
        if let Some(request) = request {
            o.array("requests", &self.requests, |r, out| {
                let mut ro = ObjectWriter::new(out);
                request(r, &mut ro);
                ro.end();
            });
        }
        self.report.write_json(o.key("report"));
        if request.is_some() {
            o.array("cookies", &self.cookies, SetCookie::write_json);
        }
        if let Some(s) = &self.skipped {
            s.write_json(o.key("skipped"));
        }
        if let Some(identity) = &self.identity {
            identity.write_json(o.key("identity"));
        }
    }
}

/// Room for a result's first line (status, report, cookies, trace id, an INFO log record).
const WIRE_HEAD_BYTES: usize = 1536;

impl Tag {
    pub fn new(config: &Json) -> Tag {
        let (config, config_report) = parse_config(config);
        Tag {
            config,
            config_report,
        }
    }

    /// From config JSON text; unreadable text is a config error like any other.
    pub fn from_text(text: &str) -> Tag {
        match json::parse(text) {
            Ok(v) => Tag::new(&v),
            Err(e) => {
                let mut tag = Tag::new(&Value::Object(Vec::new()));
                tag.config_report = Report::default();
                let message = format!(
                    "the config is not valid JSON: {}",
                    crate::hints::json_error(text, &e)
                );
                tag.config_report
                    .error("config.invalid_json", "config", message);
                tag
            }
        }
    }

    /// An event text longer than `MAX_EVENT_BYTES`: invalid, reported without reading it.
    pub fn too_large(&self, event: &str) -> Option<BuildOutput<'static>> {
        if event.len() <= MAX_EVENT_BYTES {
            return None;
        }
        let mut report = self.config_report.clone();
        let message = format!(
            "the event is {} bytes of JSON: at most {MAX_EVENT_BYTES} are accepted",
            event.len()
        );
        report.error("event.too_large", "event", message);
        Some(BuildOutput::invalid(report))
    }

    /// `build` from JSON text (the wasm boundary). Unreadable event text is reported; unreadable
    /// request context is ignored (it is optional).
    pub fn build_text(&self, event: &str, request: &str, clock: Clock) -> BuildOutput<'static> {
        if let Some(out) = self.too_large(event) {
            return out;
        }
        // Read in place: the texts are borrowed for the build, not copied into trees.
        match json::parse_borrowed(event) {
            Ok(event) => {
                let request = json::parse_borrowed(request).unwrap_or(Value::Null);
                self.build(&event, &request, clock).into_owned()
            }
            Err(e) => {
                let mut report = self.config_report.clone();
                let message = format!("the event is not valid JSON: {}", e.describe());
                report.error("event.invalid_json", "event", message);
                BuildOutput::invalid(report)
            }
        }
    }

    pub fn config(&self) -> &TagConfig {
        &self.config
    }

    pub fn config_report(&self) -> &Report {
        &self.config_report
    }

    /// What to ask the identity service for this event (see `IdentityPlan`).
    pub fn identity_calls(
        &self,
        event: &Value<'_>,
        request: &Value<'_>,
        cache: Option<&Cache>,
        now_ms: u64,
    ) -> IdentityPlan {
        let Some(cfg) = &self.config.identity else {
            return IdentityPlan::Nothing;
        };
        let ev = EventData::new(event);
        if event.as_object().is_none() || consent_block(&self.config.consent, &ev).is_some() {
            return IdentityPlan::Nothing;
        }
        let req = RequestContext::from_json(request);
        let Ok(ids) = Identifiers::of(cfg, &ev, &req) else {
            return IdentityPlan::NoIdentifier;
        };
        let cached =
            cfg.cache_ttl_ms > 0 && cache.is_some_and(|c| c.contains(&ids.cache_key(), now_ms));
        if cached {
            return IdentityPlan::Cached;
        }
        let incoming = ev.text("event_name");
        let name = meta_event_name(&self.config, incoming.as_deref());
        match identity::identity_calls(cfg, &ev, &req, name) {
            Ok(calls) => IdentityPlan::Calls(calls),
            Err(_) => IdentityPlan::NoIdentifier,
        }
    }

    /// The `_fbc`/`_fbp` cookies `build` would set for this event (none when the config is
    /// invalid, consent blocks it or it is not an object).
    pub fn cookies(&self, event: &Value<'_>, request: &Value<'_>, clock: Clock) -> Vec<SetCookie> {
        let ev = EventData::new(event);
        // A broken config sends nothing, so it sets no cookie either (nor may the container).
        if !self.config_report.is_valid()
            || event.as_object().is_none()
            || consent_block(&self.config.consent, &ev).is_some()
        {
            return Vec::new();
        }
        payload::cookies(
            &self.config,
            &ev,
            &RequestContext::from_json(request),
            clock,
        )
    }

    /// `build_with` without identity answers or a cache.
    pub fn build<'a>(
        &'a self,
        event: &'a Value<'a>,
        request: &Value<'_>,
        clock: Clock,
    ) -> BuildOutput<'a> {
        self.build_with(event, request, clock, None, None)
    }

    /// Build the request(s) for one sGTM event. `answers`: what the identity service answered to
    /// `identity_calls`, in call order (`None` when nothing was fetched: then `cache` may have
    /// an answer). Never panics; every problem is in the report.
    pub fn build_with<'a>(
        &'a self,
        event: &'a Value<'a>,
        request: &Value<'_>,
        clock: Clock,
        answers: Option<&[IdentityAnswer]>,
        cache: Option<&mut Cache>,
    ) -> BuildOutput<'a> {
        let mut out = self.build_unsent(event, request, clock, answers, cache);
        // 5. The request(s), for dispatch.
        if let (Status::Ready, Some(meta_event)) = (out.status, &out.event) {
            let test_code = EventData::new(event)
                .text("test_event_code")
                .or_else(|| self.config.test_event_code.clone());
            out.requests = build_requests(&self.config, &[meta_event], test_code.as_deref());
        }
        out
    }

    /// `build_with` up to the request: the Meta event, status, report, cookies and identity
    /// outcome, without the request body (a batch writes one body for many events).
    pub fn build_unsent<'a>(
        &'a self,
        event: &'a Value<'a>,
        request: &Value<'_>,
        clock: Clock,
        answers: Option<&[IdentityAnswer]>,
        cache: Option<&mut Cache>,
    ) -> BuildOutput<'a> {
        let mut report = self.config_report.clone();
        let mut out = BuildOutput::invalid(Report::default());
        if event.as_object().is_none() {
            report.error(
                "event.not_an_object",
                "event",
                "event data must be an object",
            );
            out.report = report;
            return out;
        }
        let ev = EventData::new(event);
        // Consent first: with consent denied nothing is built, not even cookies, and nobody
        // is asked about the visitor.
        if let Some(block) = consent_block(&self.config.consent, &ev) {
            out.status = Status::Skipped;
            out.skipped = Some(block);
            out.report = report;
            return out;
        }
        let req = RequestContext::from_json(request);

        // 1. Payload construction, with the privacy rules.
        let built = build_event(&self.config, &ev, &req, clock, &mut report);
        let mut meta_event = built.event;
        if !self.config.send_pii {
            if let Value::Object(pairs) = &mut meta_event {
                if let Some((_, ud)) = pairs.iter_mut().find(|(k, _)| k == "user_data") {
                    strip_hashed_identifiers(ud);
                }
            }
        }

        // 2. Identity resolution: the answers, and what they would add.
        let resolution = self.config.identity.as_ref().map(|cfg| {
            let ids = Identifiers::of(cfg, &ev, &req);
            identity::resolve(
                cfg,
                ids.as_ref().map_err(|e| *e),
                answers,
                cache,
                clock.now_ms,
            )
        });
        let enrichment = match (&self.config.identity, &resolution) {
            (Some(cfg), Some(resolution)) => {
                let settings = enrichment::Settings {
                    fill: &cfg.fill_from_journal,
                    send_pii: self.config.send_pii,
                    ctx: Context {
                        current_year: clock.year(),
                    },
                    now_ms: clock.now_ms,
                };
                Enrichment::plan(resolution, &meta_event, &settings)
            }
            _ => Enrichment::default(),
        };

        // 3. Validation of what will be sent (the matching keys enrichment adds count).
        validate_event(&meta_event, &enrichment.keys(), clock.now_s(), &mut report);
        validate_event_count(1, &mut report);

        // 4. Enrichment.
        let filled = enrichment.apply(&mut meta_event);
        out.identity = resolution.map(|resolution| IdentityOutcome { resolution, filled });

        // Cookies only from a valid config: a broken one builds nothing (and its cookie
        // settings, such as cookieDomain, cannot be trusted either).
        if self.config_report.is_valid() {
            out.cookies = built.cookies;
        }
        if report.is_valid() {
            out.status = Status::Ready;
        }
        out.event = Some(meta_event);
        out.report = report;
        out
    }
}

#[cfg(test)]
mod tests;
