//! Identity resolution: the tag's Omni Identity client (`../shared/docs/omni-identity-api.md`).
//! Decisions only, no I/O: what to ask the identity service, what its answers mean, and how they
//! enrich the event data the tag then builds from. JS only fetches.
//!
//! Per event (the wiring into `tag` and `bindings` comes later):
//! 1. `identity_calls` -> the resolve call (`count_prev_visits: true`) and, with `useJournal`,
//!    the journal call (the same body without `count_prev_visits`); or the reason no call is
//!    made (the API needs an anonymous_id or an email). Events the tag skips (consent) should
//!    not get here;
//! 2. JS POSTs every call in parallel with `IdentityConfig::timeout_ms` as its deadline and
//!    hands each answer to `parse_answer(status, body)` (`status` 0: no answer at all);
//! 3. `enrich(event, answers, &journal_fill(cfg, request))` -> the event data to build from:
//!    the resolved uuid as an extra `external_id`, and identifiers missing from the event
//!    filled from the newest journal entries that have them. Failed answers change nothing:
//!    identity resolution never stops an event.
//!
//! Privacy: the identity service receives the email and phone in plaintext, as the event
//! carries them. That is the Omni Identity API's design (the service normalizes and matches on
//! them itself; a hash could not be stitched across identifiers), and they go only to the
//! configured endpoint, authenticated with the bearer token (use https). Hashed values
//! (`user_data.sha256_*`) are not sent: the service cannot match them. Nothing here logs.
use std::fmt;

use crate::event_data::{EventData, RequestContext};
use crate::json::{self, Json};
use crate::number::whole;
use crate::url;
use crate::user_data::scalar_text;

#[cfg(test)]
mod tests;

/// `identity.platform` when unset: the body's `platform`.
pub const DEFAULT_PLATFORM: &str = "omni-meta-capi";
/// `identity.anonymousIdSource` when unset: GA4's `client_id` in the event data.
pub const DEFAULT_ANONYMOUS_ID_SOURCE: &str = "client_id";
/// `identity.timeoutMs` when unset: the identity call runs before Meta's, so it must be short.
pub const DEFAULT_TIMEOUT_MS: u64 = 800;
pub const MAX_TIMEOUT_MS: u64 = 10_000;
/// `identity.cacheTtlMs` upper bound (a day). 0, the default, means no cache.
pub const MAX_CACHE_TTL_MS: u64 = 86_400_000;

/// Why no call is made: the API requires an anonymous_id or an email.
pub const NO_IDENTIFIER: &str =
    "neither an anonymous id nor an email is available (the identity API needs one of them)";

/// Where the email is read from (plaintext only: the service matches on it).
const EMAIL_PATHS: &[&str] = &["user_data.email_address", "user_data.email", "email"];
/// Where the phone is read from (plaintext only).
const PHONE_PATHS: &[&str] = &["user_data.phone_number", "user_data.phone", "phone"];
/// Everything the tag would send as `em`: when any has a value, the event carries an email.
const EMAIL_CARRIED: &[&str] = &[
    "user_data.sha256_email_address",
    "user_data.email_address",
    "user_data.email",
    "email",
    "x-fb-ud-em",
];
/// Everything the tag would send as `ph`.
const PHONE_CARRIED: &[&str] = &[
    "user_data.sha256_phone_number",
    "user_data.phone_number",
    "user_data.phone",
    "phone",
    "x-fb-ud-ph",
];
/// Event keys of a click the tag already has (`fbclid`, or a stored fbc it would keep).
const CLICK_CARRIED: &[&str] = &["fbclid", "x-fb-ck-fbc", "_fbc", "fbc", "x-fb-ud-fbc"];
/// Where the tag's user_data mapping reads `external_id` from.
const EXTERNAL_ID_PATHS: &[&str] = &["user_id", "user_data.external_id", "external_id"];

/// An identifier `enrich` may take from the journal when the event lacks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillField {
    /// -> `user_data.email_address`
    Email,
    /// -> `user_data.phone_number`
    Phone,
    /// -> top-level `fbclid` (the tag builds `fbc` from it)
    Fbclid,
}

impl FillField {
    pub const ALL: [FillField; 3] = [FillField::Email, FillField::Phone, FillField::Fbclid];
    /// The config names, in `ALL` order.
    pub const NAMES: [&'static str; 3] = ["email", "phone", "fbclid"];

    pub fn name(self) -> &'static str {
        match self {
            FillField::Email => "email",
            FillField::Phone => "phone",
            FillField::Fbclid => "fbclid",
        }
    }

    /// From a config name, case-insensitively.
    pub fn from_name(name: &str) -> Option<FillField> {
        FillField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The `Enrichment::filled` label.
    fn label(self) -> &'static str {
        match self {
            FillField::Email => "email(journal)",
            FillField::Phone => "phone(journal)",
            FillField::Fbclid => "fbclid(journal)",
        }
    }
}

/// Where the anonymous id comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnonymousIdSource {
    /// A key (or dotted path) in the event data, e.g. `client_id`.
    Event(String),
    /// A cookie of the incoming request (`cookie:<name>`).
    Cookie(String),
}

impl AnonymousIdSource {
    /// `"cookie:<name>"` or an event key path. The error says what is wrong.
    pub fn parse(text: &str) -> Result<AnonymousIdSource, &'static str> {
        let text = text.trim();
        let cookie = text
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("cookie:"))
            .and_then(|_| text.get(7..));
        match cookie.map(str::trim) {
            Some("") => Err("needs a cookie name after \"cookie:\""),
            Some(name) if name.contains(|c: char| c.is_whitespace() || c == ';' || c == '=') => {
                Err("has a cookie name with whitespace, ';' or '='")
            }
            Some(name) => Ok(AnonymousIdSource::Cookie(name.to_string())),
            None if text.is_empty() => Err("is empty"),
            None => Ok(AnonymousIdSource::Event(text.to_string())),
        }
    }
}

/// `identity` in the tag config (read by `config::parse_config`; `None` there unless enabled).
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// The API base URL (typically ending in `/api/v1`), without trailing slash.
    pub endpoint: String,
    /// Sent as `Authorization: Bearer <token>`; never in a URL, a body or a reason.
    pub token: String,
    pub platform: String,
    pub anonymous_id_source: AnonymousIdSource,
    /// Per-call deadline JS gives `fetch`.
    pub timeout_ms: u64,
    /// Also retrieve the journal, to fill identifiers the event lacks.
    pub use_journal: bool,
    pub fill_from_journal: Vec<FillField>,
    /// How long an answer may be reused for the same anonymous id; 0 = no cache.
    pub cache_ttl_ms: u64,
}

impl IdentityConfig {
    /// A config with every optional setting at its default.
    pub fn new(endpoint: impl Into<String>, token: impl Into<String>) -> IdentityConfig {
        IdentityConfig {
            endpoint: endpoint.into(),
            token: token.into(),
            platform: DEFAULT_PLATFORM.into(),
            anonymous_id_source: AnonymousIdSource::Event(DEFAULT_ANONYMOUS_ID_SOURCE.into()),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            use_journal: false,
            fill_from_journal: FillField::ALL.to_vec(),
            cache_ttl_ms: 0,
        }
    }
}

/// Debug without the token.
impl fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &"<redacted>")
            .field("platform", &self.platform)
            .field("anonymous_id_source", &self.anonymous_id_source)
            .field("timeout_ms", &self.timeout_ms)
            .field("use_journal", &self.use_journal)
            .field("fill_from_journal", &self.fill_from_journal)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .finish()
    }
}

/// One POST for JS to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityCall {
    /// `{endpoint}/identifier`
    pub url: String,
    /// `content-type` and `authorization` (Bearer).
    pub headers: Vec<(&'static str, String)>,
    /// JSON text.
    pub body: String,
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

/// The calls for one event: the resolve call, then (with `useJournal`) the journal call. `Err`
/// when neither an anonymous id nor an email is available. `meta_event_name` is the Meta event
/// name the tag maps to, the `valuation_properties.action` (else the event's `event_name`).
pub fn identity_calls(
    cfg: &IdentityConfig,
    ev: &EventData,
    req: &RequestContext,
    meta_event_name: Option<&str>,
) -> Result<Vec<IdentityCall>, &'static str> {
    let anonymous_id = anonymous_id(cfg, ev, req);
    let email = first_value(ev, EMAIL_PATHS);
    if anonymous_id.is_none() && email.is_none() {
        return Err(NO_IDENTIFIER);
    }
    let page = page_url(ev);
    let fields = [
        ("anonymous_id", anonymous_id),
        ("email", email),
        ("phone", first_value(ev, PHONE_PATHS)),
        ("fbclid", click_id(ev, req, page.as_deref(), "fbclid")),
        ("gaclid", click_id(ev, req, page.as_deref(), "gclid")),
    ];
    let vp = valuation_properties(ev, page, meta_event_name);
    let body = |count_prev_visits: bool| {
        let mut pairs = vec![("platform".to_string(), Json::from(cfg.platform.as_str()))];
        if count_prev_visits {
            pairs.push(("count_prev_visits".into(), Json::Bool(true)));
        }
        for (key, value) in &fields {
            if let Some(value) = value {
                pairs.push((key.to_string(), Json::from(value.as_str())));
            }
        }
        if let Some(vp) = &vp {
            pairs.push(("valuation_properties".into(), vp.clone()));
        }
        Json::Object(pairs).to_json()
    };
    let mut calls = vec![call(cfg, body(true))];
    if cfg.use_journal {
        calls.push(call(cfg, body(false)));
    }
    Ok(calls)
}

fn call(cfg: &IdentityConfig, body: String) -> IdentityCall {
    IdentityCall {
        url: format!("{}/identifier", cfg.endpoint),
        headers: vec![
            ("content-type", "application/json".into()),
            ("authorization", format!("Bearer {}", cfg.token)),
        ],
        body,
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
    let mut properties = Json::Object(Vec::new());
    // `value` keeps its JSON form (a number keeps its text).
    if let Some(value) = ev
        .get("value")
        .filter(|v| scalar_text(v).is_some_and(|t| !t.trim().is_empty()))
    {
        properties.set("value", value.clone());
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
    let mut vp = Json::Object(Vec::new());
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
        Json::Array(items) => items.iter().find_map(text_of),
        v => text_of(v),
    })
}

fn text_of(v: &Json) -> Option<String> {
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
    fn field(&self, f: FillField) -> Option<&str> {
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
    let success = root.get("success") == Some(&Json::Bool(true));
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
        None | Some(Json::Null) => None,
        Some(Json::Array(items)) => Some(items.iter().filter_map(journal_entry).collect()),
        Some(_) => return Err("a data.journal list"),
    };
    let count_prev_visits = match data.get("count_prev_visits") {
        Some(Json::Number(n)) => whole(n)
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
    if let Some(message) = error.and_then(|e| e.get("message")).and_then(Json::as_str) {
        let line: String = message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        let line = line.trim();
        if !line.is_empty() {
            reason.push_str(": ");
            reason.push_str(line);
        }
    }
    reason
}

/// What `enrich` made of the answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Enrichment {
    /// The sGTM event data to build from.
    pub event: Json,
    /// What was added, e.g. `external_id(uuid)`, `email(journal)`.
    pub filled: Vec<&'static str>,
    /// The resolved uuid (the first successful answer's).
    pub uuid: Option<String>,
}

/// The fill list for this request: the config's, without `fbclid` when the request already
/// carries a click (an `_fbc` cookie, or `fbclid` in its URL or Referer): the tag would replace
/// that fresher click with the journal's.
pub fn journal_fill(cfg: &IdentityConfig, req: &RequestContext) -> Vec<FillField> {
    let request_click = req.cookie("_fbc").is_some() || url_click_id(req, None, "fbclid").is_some();
    cfg.fill_from_journal
        .iter()
        .copied()
        .filter(|f| !(request_click && *f == FillField::Fbclid))
        .collect()
}

/// The event with the uuid as an extra `external_id` and the `fill` identifiers it lacks taken
/// from the newest journal entries that have them. What the event carries always wins; failed
/// answers change nothing; an event that is not an object is returned as it is.
pub fn enrich(event: &Json, answers: &[IdentityAnswer], fill: &[FillField]) -> Enrichment {
    let results: Vec<&IdentityResult> = answers
        .iter()
        .filter_map(|a| match a {
            IdentityAnswer::Ok(r) => Some(r),
            IdentityAnswer::Failed { .. } => None,
        })
        .collect();
    let uuid = results.first().map(|r| r.uuid.clone());
    let mut out = Enrichment {
        event: event.clone(),
        filled: Vec::new(),
        uuid,
    };
    if event.as_object().is_none() {
        return out;
    }
    let ev = EventData::new(event);
    if let Some(uuid) = &out.uuid {
        if add_external_id(&mut out.event, &ev, uuid) {
            out.filled.push("external_id(uuid)");
        }
    }
    // Entries in answer order, each journal newest first.
    let journal: Vec<&JournalEntry> = results
        .iter()
        .filter_map(|r| r.journal.as_ref())
        .flatten()
        .collect();
    for field in FillField::ALL {
        if !fill.contains(&field) || carries(&ev, field) {
            continue;
        }
        let Some(value) = journal.iter().find_map(|e| e.field(field)) else {
            continue;
        };
        let value = Json::from(value);
        match field {
            FillField::Email => set_user_data(&mut out.event, "email_address", value),
            FillField::Phone => set_user_data(&mut out.event, "phone_number", value),
            FillField::Fbclid => set_last(&mut out.event, "fbclid", value),
        }
        out.filled.push(field.label());
    }
    out
}

/// Whether the event has this identifier in any form the tag would send.
fn carries(ev: &EventData, field: FillField) -> bool {
    match field {
        FillField::Email => first_value(ev, EMAIL_CARRIED).is_some(),
        FillField::Phone => first_value(ev, PHONE_CARRIED).is_some(),
        FillField::Fbclid => {
            first_value(ev, CLICK_CARRIED).is_some()
                || page_url(ev).is_some_and(|u| url::query_param(&u, "fbclid").is_some())
        }
    }
}

/// Top-level `external_id` gains the uuid (a list when it already has a value), unless the uuid
/// is already among the tag's external id sources. Returns whether it was added.
fn add_external_id(event: &mut Json, ev: &EventData, uuid: &str) -> bool {
    let present = EXTERNAL_ID_PATHS.iter().any(|p| match ev.get(p) {
        Some(Json::Array(items)) => items.iter().any(|i| same_id(i, uuid)),
        Some(v) => same_id(v, uuid),
        None => false,
    });
    if present {
        return false;
    }
    let value = match ev.get("external_id") {
        Some(Json::Array(items)) => {
            let mut items = items.clone();
            items.push(Json::from(uuid));
            Json::Array(items)
        }
        Some(v) if text_of(v).is_some() => Json::Array(vec![v.clone(), Json::from(uuid)]),
        _ => Json::from(uuid),
    };
    set_last(event, "external_id", value);
    true
}

fn same_id(v: &Json, uuid: &str) -> bool {
    text_of(v).is_some_and(|t| t.eq_ignore_ascii_case(uuid))
}

/// Set `key` where `Json::get` and `EventData` read it: the last pair of that name, else a new one.
fn set_last(event: &mut Json, key: &str, value: Json) {
    if let Json::Object(pairs) = event {
        match pairs.iter_mut().rev().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key.to_string(), value)),
        }
    }
}

/// Set `user_data.<key>` where the tag reads it: a flat `user_data.<key>` key when the event has
/// one (it is read first), else inside the `user_data` object (created when absent or null),
/// else (a `user_data` that is not an object) as a flat key.
fn set_user_data(event: &mut Json, key: &str, value: Json) {
    let flat = format!("user_data.{key}");
    let Json::Object(pairs) = event else {
        return;
    };
    let has_flat = pairs.iter().any(|(k, _)| *k == flat);
    let nested = pairs.iter_mut().rev().find(|(k, _)| k == "user_data");
    match nested.map(|(_, v)| v) {
        _ if has_flat => {}
        Some(user_data @ Json::Object(_)) => return set_last(user_data, key, value),
        Some(user_data @ Json::Null) => {
            *user_data = Json::object([(key, value)]);
            return;
        }
        Some(_) => {}
        None => return pairs.push(("user_data".into(), Json::object([(key, value)]))),
    }
    set_last(event, &flat, value);
}

/// The key under which an answer may be cached: the anonymous id. `None` when caching is off
/// (`cacheTtlMs` 0) or the event has no anonymous id.
pub fn cache_key(cfg: &IdentityConfig, ev: &EventData, req: &RequestContext) -> Option<String> {
    if cfg.cache_ttl_ms == 0 {
        return None;
    }
    anonymous_id(cfg, ev, req)
}
