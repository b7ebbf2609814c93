//! Identity resolution: the tag's Omni Identity client (`../shared/docs/omni-identity-api.md`).
//! Decisions only, no I/O: what to ask the identity service, what its answers mean, and how they
//! enrich the event data the tag then builds from. JS only fetches.
//!
//! Per event (`Tag::identity_calls`, `Tag::build_with`):
//! 1. `identity_calls` -> the resolve call (`count_prev_visits: true`) and, with `useJournal`,
//!    the journal call (the same body without `count_prev_visits`); or the reason no call is
//!    made (the API needs an anonymous_id or an email). Events the tag skips (consent) never
//!    get here, and a fresh cached answer (`Cache`) spares the calls;
//! 2. JS POSTs every call in parallel with `IdentityConfig::timeout_ms` as its deadline and
//!    hands each answer to `parse_answer(status, body)` (`status` 0: no answer at all);
//! 3. `resolve` -> a `Resolution`: the uuid, the journal, and why calls failed. What it adds to
//!    the Meta event is `crate::enrichment`'s business. Failed answers add nothing: identity
//!    resolution never stops an event.
//!
//! Trust: every call says where the event came from (`trust`, `source_trust`): `browser` for a
//! GA4 hit the container took on `/g/collect` (anyone can send one, with anyone's email),
//! `server` for anything else the host hands the tag. It also carries the event's `user_id`.
//! The service weighs links by them (identity/README.md): a browser hit cannot merge persons or
//! read back another visitor's PII.
//!
//! Privacy: the identity service receives the email and phone in plaintext, as the event
//! carries them. That is the Omni Identity API's design (the service normalizes and matches on
//! them itself; a hash could not be stitched across identifiers), and they go only to the
//! configured endpoint, authenticated with the bearer token (use https). Hashed values
//! (`user_data.sha256_*`) are not sent: the service cannot match them. Nothing here logs.
use crate::event_data::{EventData, RequestContext};
use crate::hash::sha256_hex;
use crate::json::{self, Json, Key, Value};
use crate::model::http::Outgoing;
pub use crate::model::identity::{
    AnonymousIdSource, FillField, IdentityConfig, DEFAULT_ANONYMOUS_ID_SOURCE, DEFAULT_PLATFORM,
    DEFAULT_TIMEOUT_MS, MAX_CACHE_TTL_MS, MAX_TIMEOUT_MS,
};
use crate::number::whole;

/// Why no call is made: the API requires an anonymous_id or an email.
pub const NO_IDENTIFIER: &str =
    "neither an anonymous id nor an email is available (the identity API needs one of them)";

/// Where the email is read from (plaintext only: the service matches on it).
const EMAIL_PATHS: &[&str] = &["user_data.email_address", "user_data.email", "email"];
/// Where the phone is read from (plaintext only).
const PHONE_PATHS: &[&str] = &["user_data.phone_number", "user_data.phone", "phone"];
/// How many answers the cache keeps at most (per tag instance).
pub const CACHE_MAX_ENTRIES: usize = 10_000;

use crate::url;
use crate::user_data::scalar_text;

#[cfg(test)]
mod tests;

/// One POST for JS to make: `{endpoint}/identifier`, `content-type` and `authorization`
/// (Bearer) headers, a JSON body.
pub type IdentityCall = Outgoing;

/// What the host's fetch of one call came to, as JSON: `{"kind": "response", "status": n,
/// "body": text}`, or `{"kind": "timeout" | "network"}` (no answer).
pub fn answer_from_json(v: &Json) -> IdentityAnswer {
    let status = v
        .get("status")
        .and_then(|s| match s {
            Value::Number(n) => whole(n).filter(|w| !w.negative && !w.has_fraction),
            _ => None,
        })
        .and_then(|w| u16::try_from(w.value).ok());
    let is_response = v.get("kind").and_then(Value::as_str) == Some("response");
    match status.filter(|s| is_response && *s > 0) {
        Some(status) => parse_answer(status, v.get("body").and_then(Value::as_str).unwrap_or("")),
        None => parse_answer(0, ""),
    }
}

/// The anonymous id of this event, from the configured source.
pub fn anonymous_id(cfg: &IdentityConfig, ev: &EventData, req: &RequestContext) -> Option<String> {
    match &cfg.anonymous_id_source {
        AnonymousIdSource::Event(path) => first_value(ev, &[path.as_str()]),
        AnonymousIdSource::Cookie(name) => {
            let value = req.cookie(name)?.trim();
            (!value.is_empty()).then(|| value.to_string())
        }
    }
}

/// The identifiers of one event the identity API matches on, as the event carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identifiers {
    pub anonymous_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fbclid: Option<String>,
    pub gaclid: Option<String>,
    /// The site's logged-in user id (`user_id` in the event).
    pub user_id: Option<String>,
    /// `source_trust` of the request that brought the event.
    pub trust: &'static str,
}

/// `trust` for the identity service: what the container decided (`browser` for GA4 hits and
/// unauthenticated `/event` calls, `server` for authenticated backends); without a container's
/// word, `browser` when the request URL is a `/g/collect` hit, else `server` (a library user's
/// own server code).
pub fn source_trust(req: &RequestContext) -> &'static str {
    match req.trust.as_deref() {
        Some("browser") => return "browser",
        Some("server") => return "server",
        _ => {}
    }
    let url = req.url.as_deref().unwrap_or_default();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if path.trim_end_matches('/').ends_with("/g/collect") {
        "browser"
    } else {
        "server"
    }
}

impl Identifiers {
    /// `Err` when neither an anonymous id nor an email is available (the API needs one).
    pub fn of(
        cfg: &IdentityConfig,
        ev: &EventData,
        req: &RequestContext,
    ) -> Result<Identifiers, &'static str> {
        let page = page_url(ev);
        let ids = Identifiers {
            anonymous_id: anonymous_id(cfg, ev, req),
            email: first_value(ev, EMAIL_PATHS),
            phone: first_value(ev, PHONE_PATHS),
            fbclid: click_id(ev, req, page.as_deref(), "fbclid"),
            gaclid: click_id(ev, req, page.as_deref(), "gclid"),
            user_id: first_value(ev, &["user_id"]),
            trust: source_trust(req),
        };
        if ids.anonymous_id.is_none() && ids.email.is_none() {
            return Err(NO_IDENTIFIER);
        }
        Ok(ids)
    }

    /// In the API's body order and names.
    fn fields(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("anonymous_id", self.anonymous_id.as_deref()),
            ("email", self.email.as_deref()),
            ("phone", self.phone.as_deref()),
            ("fbclid", self.fbclid.as_deref()),
            ("gaclid", self.gaclid.as_deref()),
            ("user_id", self.user_id.as_deref()),
            ("trust", Some(self.trust).filter(|t| !t.is_empty())),
        ]
    }

    /// The cache key: a digest of all the identifiers and the trust, so an event that brings a new one (the
    /// sign-up's email) is asked about rather than answered from the cache, and no plaintext
    /// email sits in the cache's keys.
    pub fn cache_key(&self) -> String {
        let mut text = String::new();
        for (name, value) in self.fields() {
            text.push_str(name);
            text.push('=');
            text.push_str(value.unwrap_or_default());
            text.push('\u{1f}');
        }
        sha256_hex(text.as_bytes())
    }
}

/// The calls for one event: the resolve call, then (with `useJournal`) the journal call. `Err`
/// when neither an anonymous id nor an email is available. `meta_event_name` is the Meta event
/// name the tag maps to, the `valuation_properties.action` (else the event's `event_name`).
pub fn identity_calls(
    cfg: &IdentityConfig,
    ev: &EventData,
    req: &RequestContext,
    meta_event_name: Option<&str>,
) -> Result<Vec<IdentityCall>, &'static str> {
    let ids = Identifiers::of(cfg, ev, req)?;
    let vp = valuation_properties(ev, page_url(ev), meta_event_name);
    let body = |count_prev_visits: bool| {
        let mut pairs: Vec<(Key, Json)> =
            vec![("platform".into(), Json::from(cfg.platform.as_str()))];
        if count_prev_visits {
            pairs.push(("count_prev_visits".into(), Value::Bool(true)));
        }
        for (key, value) in ids.fields() {
            if let Some(value) = value {
                pairs.push((Key::from(key), Json::from(value)));
            }
        }
        if let Some(vp) = &vp {
            pairs.push(("valuation_properties".into(), vp.clone()));
        }
        Value::Object(pairs).to_json()
    };
    // A queued event's later try was counted (and journaled) on its first: asked again, it only
    // resolves, so an outage does not turn one visit into several.
    let mut calls = vec![call(cfg, body(!req.redelivery))];
    if cfg.use_journal {
        calls.push(call(cfg, body(false)));
    }
    Ok(calls)
}

fn call(cfg: &IdentityConfig, body: String) -> IdentityCall {
    Outgoing {
        url: format!("{}/identifier", cfg.endpoint),
        method: "POST",
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {}", cfg.token)),
        ],
        body: Some(body),
    }
}

/// `{action, properties: {value, currency, transaction_id, page}}` with the keys present;
/// `None` when nothing is.
fn valuation_properties(
    ev: &EventData,
    page: Option<String>,
    meta_event_name: Option<&str>,
) -> Option<Json> {
    let action = meta_event_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| ev.text("event_name"));
    let mut properties = Value::Object(Vec::new());
    // `value` keeps its JSON form (a number keeps its text).
    if let Some(value) = ev
        .get("value")
        .filter(|v| scalar_text(v).is_some_and(|t| !t.trim().is_empty()))
    {
        properties.set("value", value.to_owned_json());
    }
    for (key, value) in [
        ("currency", ev.text("currency")),
        ("transaction_id", ev.text("transaction_id")),
        ("page", page),
    ] {
        if let Some(value) = value {
            properties.set(key, Json::from(value));
        }
    }
    let has_properties = properties.as_object().is_some_and(|p| !p.is_empty());
    if action.is_none() && !has_properties {
        return None;
    }
    let mut vp = Value::Object(Vec::new());
    if let Some(action) = action {
        vp.set("action", Json::from(action));
    }
    if has_properties {
        vp.set("properties", properties);
    }
    Some(vp)
}

/// The page URL as the tag reads it.
fn page_url(ev: &EventData) -> Option<String> {
    ev.first_text(&["x-fb-sed-event_source_url", "page_location"])
}

/// A click id (`fbclid`, `gclid`): the page URL's query, the request URL's, the Referer's, then
/// the event key of that name (the order the tag reads `fbclid` in); verbatim.
fn click_id(
    ev: &EventData,
    req: &RequestContext,
    page: Option<&str>,
    name: &str,
) -> Option<String> {
    url_click_id(req, page, name)
        .map(str::to_string)
        .or_else(|| ev.text(name))
}

fn url_click_id<'a>(req: &'a RequestContext, page: Option<&'a str>, name: &str) -> Option<&'a str> {
    [page, req.url.as_deref(), req.header("referer")]
        .into_iter()
        .flatten()
        .find_map(|u| url::query_param(u, name))
}

/// The trimmed text of the first path with a value: a scalar, or the first of a list.
fn first_value(ev: &EventData, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| match ev.get(p)? {
        Value::Array(items) => items.iter().find_map(text_of),
        v => text_of(v),
    })
}

fn text_of(v: &Value<'_>) -> Option<String> {
    let t = scalar_text(v)?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// One journal entry (`data.journal[]`): the payload of an earlier request, as sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalEntry {
    pub anonymous_id: Option<String>,
    pub platform: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fbclid: Option<String>,
    pub gaclid: Option<String>,
    pub valuation_properties: Option<Json>,
    pub created_at: Option<String>,
}

impl JournalEntry {
    pub fn field(&self, f: FillField) -> Option<&str> {
        match f {
            FillField::Email => self.email.as_deref(),
            FillField::Phone => self.phone.as_deref(),
            FillField::Fbclid => self.fbclid.as_deref(),
        }
    }
}

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityResult {
    /// The resolved, stable person id.
    pub uuid: String,
    /// `data.email` (resolve mode; the service may answer "").
    pub email: Option<String>,
    /// `data.count_prev_visits` (resolve mode).
    pub count_prev_visits: Option<u64>,
    /// `data.journal`, newest first (journal mode); `None` in resolve mode.
    pub journal: Option<Vec<JournalEntry>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IdentityAnswer {
    Ok(IdentityResult),
    /// For logs: the HTTP status and the API's error code; never the token.
    Failed {
        reason: String,
    },
}

fn failed(reason: String) -> IdentityAnswer {
    IdentityAnswer::Failed { reason }
}

/// Read one answer, either mode. `status` 0 means no answer (timeout or network error).
pub fn parse_answer(status: u16, body: &str) -> IdentityAnswer {
    if status == 0 {
        return failed("no answer (timeout or network error)".into());
    }
    let Some(root) = json::parse(body).ok().filter(|v| v.as_object().is_some()) else {
        return failed(format!("HTTP {status}: the body is not a JSON object"));
    };
    let success = root.get("success") == Some(&Value::Bool(true));
    if !(200..300).contains(&status) || !success {
        return failed(error_reason(status, &root));
    }
    match result(&root) {
        Ok(r) => IdentityAnswer::Ok(r),
        Err(what) => failed(format!("HTTP {status}: success without {what}")),
    }
}

fn result(root: &Json) -> Result<IdentityResult, &'static str> {
    let data = root.get("data").filter(|d| d.as_object().is_some());
    let data = data.ok_or("a data object")?;
    let uuid = data.get("uuid").and_then(string).ok_or("data.uuid")?;
    let journal = match data.get("journal") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.iter().filter_map(journal_entry).collect()),
        Some(_) => return Err("a data.journal list"),
    };
    let count_prev_visits = match data.get("count_prev_visits") {
        Some(Value::Number(n)) => whole(n)
            .filter(|w| !w.negative && !w.has_fraction)
            .map(|w| w.value),
        _ => None,
    };
    Ok(IdentityResult {
        uuid,
        email: data.get("email").and_then(string),
        count_prev_visits,
        journal,
    })
}

fn journal_entry(v: &Json) -> Option<JournalEntry> {
    v.as_object()?;
    let text = |key: &str| v.get(key).and_then(string);
    Some(JournalEntry {
        anonymous_id: text("anonymous_id"),
        platform: text("platform"),
        email: text("email"),
        phone: text("phone"),
        fbclid: text("fbclid"),
        gaclid: text("gaclid"),
        valuation_properties: v
            .get("valuation_properties")
            .filter(|p| p.as_object().is_some())
            .cloned(),
        created_at: text("created_at"),
    })
}

/// A non-blank string, trimmed.
fn string(v: &Json) -> Option<String> {
    let t = v.as_str()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `HTTP 401 UNAUTHORIZED: invalid bearer token`. The code is kept only when it looks like one;
/// the message is cut to one short line.
fn error_reason(status: u16, root: &Json) -> String {
    let error = root.get("error");
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(|c| scalar_text(c))
        .map(str::trim)
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        });
    let mut reason = format!("HTTP {status}");
    if (200..300).contains(&status) {
        reason.push_str(" success:false");
    }
    match code {
        Some(code) => {
            reason.push(' ');
            reason.push_str(code);
        }
        None => reason.push_str(" without an error code"),
    }
    if let Some(message) = error.and_then(|e| e.get("message")).and_then(Value::as_str) {
        // The service may echo the email or phone it was sent: never into a log line.
        let line = crate::logging::foreign_message(message, 200, &[]);
        if !line.is_empty() {
            reason.push_str(": ");
            reason.push_str(&line);
        }
    }
    reason
}

/// What identity resolution came to for one event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolution {
    /// How: `resolved` (answered now), `cached`, `failed` (every call failed), `no_identifier`,
    /// `not_requested` (a plain build: nobody asked the service).
    pub status: &'static str,
    /// The resolved person id (the first successful answer's).
    pub uuid: Option<String>,
    pub previous_visits: Option<u64>,
    /// Every journal entry of the answers, newest first.
    pub journal: Vec<JournalEntry>,
    /// Why calls failed, one reason per failed call (for the ERROR log).
    pub failures: Vec<String>,
    /// Calls made for this event (0 when cached or not asked).
    pub calls: usize,
}

/// The answers the host fetched for `identity_calls` (call order), or `None` when it fetched
/// none; then a fresh cached answer is used. Fully successful answers are cached.
pub fn resolve(
    cfg: &IdentityConfig,
    ids: Result<&Identifiers, &'static str>,
    answers: Option<&[IdentityAnswer]>,
    cache: Option<&mut Cache>,
    now_ms: u64,
) -> Resolution {
    let Ok(ids) = ids else {
        return Resolution {
            status: "no_identifier",
            ..Resolution::default()
        };
    };
    let key = (cfg.cache_ttl_ms > 0).then(|| ids.cache_key());
    let Some(answers) = answers else {
        let cached = key
            .zip(cache)
            .and_then(|(k, c)| c.get(&k, now_ms).map(<[_]>::to_vec));
        return match cached {
            Some(results) => from_results("cached", &results, Vec::new()),
            None => Resolution {
                status: "not_requested",
                ..Resolution::default()
            },
        };
    };
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for answer in answers {
        match answer {
            IdentityAnswer::Ok(r) => results.push(r.clone()),
            IdentityAnswer::Failed { reason } => failures.push(reason.clone()),
        }
    }
    if results.is_empty() {
        return Resolution {
            status: "failed",
            failures,
            calls: answers.len(),
            ..Resolution::default()
        };
    }
    if let (Some(key), Some(cache), true) = (key, cache, failures.is_empty()) {
        cache.put(key, results.clone(), now_ms, cfg.cache_ttl_ms);
    }
    Resolution {
        calls: answers.len(),
        ..from_results("resolved", &results, failures)
    }
}

fn from_results(
    status: &'static str,
    results: &[IdentityResult],
    failures: Vec<String>,
) -> Resolution {
    Resolution {
        status,
        uuid: results.first().map(|r| r.uuid.clone()),
        previous_visits: results.iter().find_map(|r| r.count_prev_visits),
        journal: results
            .iter()
            .filter_map(|r| r.journal.as_ref())
            .flatten()
            .cloned()
            .collect(),
        failures,
        calls: 0,
    }
}

/// Answers kept per set of identifiers for `cacheTtlMs`, at most `CACHE_MAX_ENTRIES` of them.
/// Only fully successful answers are kept; a cached answer spares the calls, so that event's
/// visit is not counted or journaled by the service (the price of the saved round trip).
#[derive(Clone, Debug, Default)]
pub struct Cache {
    /// (key, expires at, the answers' results in call order), sorted by key: a sorted Vec
    /// costs a fraction of a BTreeMap's code in the wasm, and lookups stay logarithmic.
    entries: Vec<(String, u64, Vec<IdentityResult>)>,
}

impl Cache {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(k, _, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str, now_ms: u64) -> Option<&[IdentityResult]> {
        let (_, expires, results) = self.entries.get(self.find(key).ok()?)?;
        (*expires > now_ms).then_some(results.as_slice())
    }

    pub fn contains(&self, key: &str, now_ms: u64) -> bool {
        self.get(key, now_ms).is_some()
    }

    pub fn put(&mut self, key: String, results: Vec<IdentityResult>, now_ms: u64, ttl_ms: u64) {
        let expires = now_ms.saturating_add(ttl_ms);
        if let Ok(i) = self.find(&key) {
            self.entries[i] = (key, expires, results);
            return;
        }
        if self.entries.len() >= CACHE_MAX_ENTRIES {
            self.entries.retain(|(_, expires, _)| *expires > now_ms);
        }
        if self.entries.len() >= CACHE_MAX_ENTRIES {
            // Still full of live answers: the one closest to expiry makes room.
            let soonest = (0..self.entries.len()).min_by_key(|i| self.entries[*i].1);
            if let Some(i) = soonest {
                self.entries.remove(i);
            }
        }
        let at = self.find(&key).unwrap_or_else(|i| i);
        self.entries.insert(at, (key, expires, results));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
