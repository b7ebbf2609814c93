//! The tag config: a GTM-template-like object with camelCase keys, read into typed settings.
//! Wrong types and bad values are errors naming the key; unknown keys are warnings (a typo must
//! not pass silently, and a newer config must not break an older tag).
use crate::dispatch::{MAX_ATTEMPTS, MAX_DELAY_CAP_MS, MAX_TIMEOUT_MS};
use crate::json::{Json, Key, Value};
use crate::model::identity::{
    AnonymousIdSource, FillField, IdentityConfig, MAX_CACHE_TTL_MS,
    MAX_TIMEOUT_MS as MAX_IDENTITY_TIMEOUT_MS,
};
use crate::report::Report;

// The types read here live in the model (`crate::model::config`), where every layer reads them.
pub use crate::model::config::*;

/// Keys this version understands; anything else is reported as unknown.
const KNOWN_KEYS: &[&str] = &[
    "pixelId",
    "accessToken",
    "testEventCode",
    "actionSource",
    "eventName",
    "customEventName",
    "eventId",
    "graphApiVersion",
    "graphBaseUrl",
    "userData",
    "customData",
    "productSchema",
    "ldu",
    "dataProcessingOptions",
    "dataProcessingOptionsCountry",
    "dataProcessingOptionsState",
    "consent",
    "sendPii",
    "ipAnonymization",
    "partnerAgent",
    "appSecret",
    "logLevel",
    "strict",
    "generateFbp",
    "cookieDomain",
    "cookieMaxAgeDays",
    "timeoutMs",
    "retry",
    "errorMonitor",
    "identity",
    "appsecretProof",
    "eventEnhancement",
    "cookies",
    "appData",
    "originalEventData",
];

/// Keys of `eventEnhancement`, `cookies`, `originalEventData` and a `pixelId` entry.
pub(crate) const EVENT_ENHANCEMENT_KEYS: &[&str] = &["enabled", "cookieName", "domain"];
pub(crate) const COOKIE_KEYS: &[&str] = &["httpOnly", "extend"];
pub(crate) const ORIGINAL_EVENT_KEYS: &[&str] =
    &["event_name", "event_time", "order_id", "event_id"];
pub(crate) const PIXEL_ENTRY_KEYS: &[&str] = &["pixelId", "accessToken", "appsecretProof"];

/// Keys of `identity`.
pub const IDENTITY_KEYS: &[&str] = &[
    "enabled",
    "endpoint",
    "token",
    "platform",
    "anonymousIdSource",
    "timeoutMs",
    "useJournal",
    "fillFromJournal",
    "cacheTtlMs",
];

/// Reads typed values out of one config object, recording type errors against their key path.
pub struct Reader<'a> {
    obj: &'a [(Key, Json)],
    prefix: &'a str,
    pub report: &'a mut Report,
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Reader<'a> {
    /// Keys of `obj` are reported as `<prefix><key>` (e.g. prefix `identity.`).
    pub fn new(obj: &'a [(Key, Json)], prefix: &'a str, report: &'a mut Report) -> Reader<'a> {
        Reader {
            obj,
            prefix,
            report,
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The value of `key`; `null` counts as absent (GTM variables that resolve to nothing).
    pub fn raw(&self, key: &str) -> Option<&Json> {
        self.obj
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn wrong_type(&mut self, key: &str, want: &str, got: &Json) {
        let path = self.path(key);
        let message = format!("{path} must be {want} (got {})", type_name(got));
        self.report.error("config.invalid_type", path, message);
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            other => {
                let other = other.clone();
                self.wrong_type(key, "a string", &other);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.raw(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                let other = other.clone();
                self.wrong_type(key, "a boolean", &other);
                default
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<i64> {
        let v = self.raw(key)?.clone();
        let parsed = match &v {
            Value::Number(n) | Value::String(n) => n.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(key, "an integer", &v);
        }
        parsed
    }

    /// A whole number in `min..=max`: a JSON number or numeric text, exponent allowed ("6e4").
    pub fn ranged(&mut self, key: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.raw(key)?.clone();
        let text = match &v {
            Value::String(s) if s.trim().is_empty() => return None,
            Value::Number(t) | Value::String(t) => t.trim().to_string(),
            other => {
                self.wrong_type(key, "an integer", other);
                return None;
            }
        };
        let Some(w) = crate::number::whole(&text).filter(|w| !w.has_fraction) else {
            let path = self.path(key);
            let message = format!("{path} must be an integer (got \"{text}\")");
            self.report.error("config.invalid_type", path, message);
            return None;
        };
        if (w.negative && w.value != 0) || w.value < min || w.value > max {
            let path = self.path(key);
            let message = format!("{path} must be between {min} and {max} (got {text})");
            self.report.error("config.invalid_value", path, message);
            return None;
        }
        Some(w.value)
    }

    pub fn object(&mut self, key: &str) -> Option<Vec<(Key, Json)>> {
        match self.raw(key)? {
            Value::Object(pairs) => Some(pairs.clone()),
            other => {
                let other = other.clone();
                self.wrong_type(key, "an object", &other);
                None
            }
        }
    }

    /// One of `allowed` (compared case-insensitively), else an error listing them.
    pub fn choice(&mut self, key: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let value = self.string(key)?;
        let found = allowed
            .iter()
            .copied()
            .find(|a| a.eq_ignore_ascii_case(&value));
        if found.is_none() {
            let path = self.path(key);
            let message = format!(
                "{path} must be one of {} (got \"{value}\")",
                allowed.join(", ")
            );
            self.report.error("config.invalid_value", path, message);
        }
        found
    }

    /// A list of `allowed` values (case-insensitive, duplicates dropped): a list of strings or
    /// one comma-separated string; blank items are skipped. Anything else is an error.
    fn choices(&mut self, key: &str, allowed: &[&'static str]) -> Option<Vec<&'static str>> {
        let v = self.raw(key)?.clone();
        let items: Vec<&str> = match &v {
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.split(',').collect(),
            Value::Array(items) if items.iter().all(|i| i.as_str().is_some()) => {
                items.iter().filter_map(Value::as_str).collect()
            }
            other => {
                self.wrong_type(key, "a list of strings or a comma-separated string", other);
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            match allowed
                .iter()
                .copied()
                .find(|a| a.eq_ignore_ascii_case(item))
            {
                Some(a) if !out.contains(&a) => out.push(a),
                Some(_) => {}
                None => {
                    let path = self.path(key);
                    let message = format!(
                        "{path} may only list {} (got \"{item}\")",
                        allowed.join(", ")
                    );
                    self.report.error("config.invalid_value", path, message);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// The report the reader writes to (for readers of nested values).
    pub fn report(&mut self) -> &mut Report {
        self.report
    }

    pub fn unknown_keys(&mut self, known: &[&str]) {
        for (k, _) in self.obj {
            if !known.contains(&&**k) {
                let path = self.path(k);
                let message = crate::hints::unknown_key_message(&path, k, known);
                self.report.warn("config.unknown_key", path, message);
            }
        }
    }
}

/// Read a config value. Always returns a config (defaults where input was unusable) and the
/// report of what was wrong; a config with errors must not be used to send.
pub fn parse_config(input: &Json) -> (TagConfig, Report) {
    let mut report = Report::default();
    let mut config = TagConfig::default();
    let Some(obj) = input.as_object() else {
        report.error(
            "config.invalid_type",
            "config",
            format!("the config must be an object (got {})", type_name(input)),
        );
        return (config, report);
    };
    let mut r = Reader {
        obj,
        prefix: "",
        report: &mut report,
    };
    r.unknown_keys(KNOWN_KEYS);
    config.pixels = pixels(&mut r);
    config.test_event_code = r.string("testEventCode");
    if let Some(source) = r.choice("actionSource", &ACTION_SOURCES) {
        config.action_source = source.into();
    }
    config.event_name = r.string("eventName");
    config.custom_event_name = r.string("customEventName");
    config.event_id = r.string("eventId");
    if let Some(v) = r.string("graphApiVersion") {
        config.graph_api_version = graph_version(&v, r.report);
    }
    if let Some(url) = r.string("graphBaseUrl") {
        config.graph_base_url = base_url(&url, r.report);
    }
    config.user_data = r.object("userData").unwrap_or_default();
    config.custom_data = r.object("customData").unwrap_or_default();
    if let Some(schema) = r.object("productSchema") {
        config.product_schema = product_schema(&schema, r.report);
    }
    config.data_processing = data_processing(&mut r);
    if let Some(consent) = r.object("consent") {
        config.consent = consent_settings(&consent, r.report);
    }
    config.send_pii = r.boolean("sendPii", true);
    config.ip_handling = match r.choice("ipAnonymization", &["none", "truncate", "remove"]) {
        Some("truncate") => IpHandling::Truncate,
        Some("remove") => IpHandling::Remove,
        _ => IpHandling::Keep,
    };
    config.partner_agent = r.string("partnerAgent");
    config.app_secret = r.string("appSecret");
    config.log_level = match r.choice("logLevel", &["DEBUG", "INFO", "ERROR"]) {
        Some("DEBUG") => LogLevel::Debug,
        Some("ERROR") => LogLevel::Error,
        _ => LogLevel::Info,
    };
    config.generate_fbp = r.boolean("generateFbp", true);
    config.cookie_domain = cookie_domain(r.string("cookieDomain"));
    if let Some(days) = r.integer("cookieMaxAgeDays") {
        match u32::try_from(days) {
            Ok(d) if (1..=400).contains(&d) => config.cookie_max_age_days = d,
            _ => r.report.error(
                "config.invalid_value",
                "cookieMaxAgeDays",
                "cookieMaxAgeDays must be between 1 and 400 (browsers cap cookies at 400 days)",
            ),
        }
    }
    if let Some(options) = r.object("cookies") {
        config.cookies = cookie_options(&options, r.report);
    }
    config.event_enhancement = event_enhancement(&mut r);
    config.app_data = r.object("appData").unwrap_or_default();
    if let Some(original) = r.object("originalEventData") {
        config.original_event_data = original_event_data(&original, r.report);
    }
    config.retry = retry_policy_from_config(obj, &mut report);
    let mut r = Reader {
        obj,
        prefix: "",
        report: &mut report,
    };
    if let Some(monitor) = r.object("errorMonitor") {
        config.error_monitor = error_monitor(&monitor, r.report);
    }
    if let Some(identity) = r.object("identity") {
        config.identity = identity_settings(&identity, r.report);
    }
    let strict = r.boolean("strict", false);
    check_endpoints(&config, &mut report);
    if strict {
        crate::hints::strict(&mut report);
    }
    (config, report)
}

/// Endpoints in clear text: the token goes to Graph and the monitor, plaintext PII to identity.
fn check_endpoints(config: &TagConfig, report: &mut Report) {
    use crate::hints::warn_cleartext;
    warn_cleartext(
        report,
        "graphBaseUrl",
        &config.graph_base_url,
        "the access token and the events",
    );
    if let Some(identity) = &config.identity {
        warn_cleartext(
            report,
            "identity.endpoint",
            &identity.endpoint,
            "the token and plaintext email and phone",
        );
    }
    if let Some(monitor) = &config.error_monitor {
        warn_cleartext(
            report,
            "errorMonitor.endpoint",
            &monitor.endpoint,
            "its token and error records",
        );
    }
}

/// `pixelId` + `accessToken`, or `pixelId` as a list of `{pixelId, accessToken}` (multi-pixel;
/// entries without their own token use the top-level `accessToken`).
fn pixels(r: &mut Reader) -> Vec<Pixel> {
    let token = r.string("accessToken");
    let top_proof = r.string("appsecretProof");
    let mut out = Vec::new();
    match r.raw("pixelId").cloned() {
        None => r
            .report
            .error("config.missing", "pixelId", "pixelId is required"),
        Some(Value::Array(entries)) => {
            for (i, entry) in entries.iter().enumerate() {
                let prefix = format!("pixelId[{i}].");
                let Some(obj) = entry.as_object() else {
                    let message =
                        format!("pixelId[{i}] must be an object {{pixelId, accessToken}}");
                    r.report
                        .error("config.invalid_type", format!("pixelId[{i}]"), message);
                    continue;
                };
                let mut inner = Reader {
                    obj,
                    prefix: &prefix,
                    report: r.report,
                };
                inner.unknown_keys(PIXEL_ENTRY_KEYS);
                let id = inner.string("pixelId");
                let own_token = inner.string("accessToken");
                let own_proof = inner.string("appsecretProof");
                // The top-level proof belongs to the top-level token.
                let proof = match &own_token {
                    Some(_) => own_proof,
                    None => own_proof.or(top_proof.clone()),
                };
                let proof = checked_proof(proof, &prefix, r.report);
                let mut found = pixel(id, own_token.or(token.clone()), &prefix, r.report);
                if let Some(p) = &mut found {
                    p.appsecret_proof = proof;
                }
                out.extend(found);
            }
            if entries.is_empty() {
                r.report
                    .error("config.missing", "pixelId", "pixelId lists no pixels");
            }
        }
        Some(_) => {
            let id = r.string("pixelId");
            let proof = checked_proof(top_proof, "", r.report);
            let mut found = pixel(id, token, "", r.report);
            if let Some(p) = &mut found {
                p.appsecret_proof = proof;
            }
            out.extend(found);
        }
    }
    out
}

/// An `appsecretProof` is HMAC-SHA256 in hex: 64 hex digits (lowercased). The message never
/// shows the value: it is a secret.
fn checked_proof(proof: Option<String>, prefix: &str, report: &mut Report) -> Option<String> {
    let proof = proof?;
    if proof.len() == 64 && proof.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(proof.to_ascii_lowercase());
    }
    report.error(
        "config.invalid_value",
        format!("{prefix}appsecretProof"),
        "appsecretProof must be the 64 hex digits of HMAC-SHA256(app secret, access token)",
    );
    None
}

fn pixel(
    id: Option<String>,
    token: Option<String>,
    prefix: &str,
    report: &mut Report,
) -> Option<Pixel> {
    let id_path = format!("{prefix}pixelId");
    let id = match id {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => Some(id),
        Some(_) => {
            report.error(
                "config.invalid_value",
                id_path,
                "pixelId must be the numeric pixel (dataset) ID",
            );
            None
        }
        None => {
            report.error("config.missing", id_path, "pixelId is required");
            None
        }
    };
    if token.is_none() {
        report.error(
            "config.missing",
            format!("{prefix}accessToken"),
            "accessToken is required",
        );
    }
    Some(Pixel {
        id: id?,
        access_token: token?,
        appsecret_proof: None,
    })
}

/// A cookie name a `Set-Cookie` header can carry (RFC 6265 token).
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `cookieDomain`'s values: "auto", "none" (host-only) or a domain.
fn cookie_domain(value: Option<String>) -> CookieDomain {
    match value {
        None => CookieDomain::Auto,
        Some(d) if d.eq_ignore_ascii_case("auto") => CookieDomain::Auto,
        Some(d) if d.eq_ignore_ascii_case("none") => CookieDomain::Host,
        Some(d) => CookieDomain::Explicit(d.trim_start_matches('.').to_ascii_lowercase()),
    }
}

fn cookie_options(obj: &[(Key, Json)], report: &mut Report) -> CookieOptions {
    let mut r = Reader::new(obj, "cookies.", report);
    r.unknown_keys(COOKIE_KEYS);
    let defaults = CookieOptions::default();
    CookieOptions {
        http_only: r.boolean("httpOnly", defaults.http_only),
        extend: r.boolean("extend", defaults.extend),
    }
}

/// `eventEnhancement`: `true`, or `{enabled, cookieName, domain}` (an object means enabled
/// unless `enabled: false`).
fn event_enhancement(r: &mut Reader) -> Option<EventEnhancement> {
    let obj = match r.raw("eventEnhancement")? {
        Value::Object(_) => r.object("eventEnhancement")?,
        _ => {
            return r
                .boolean("eventEnhancement", false)
                .then(|| EventEnhancement {
                    cookie_name: DEFAULT_EVENT_ENHANCEMENT_COOKIE.into(),
                    domain: None,
                })
        }
    };
    let mut inner = Reader::new(&obj, "eventEnhancement.", r.report);
    inner.unknown_keys(EVENT_ENHANCEMENT_KEYS);
    let enabled = inner.boolean("enabled", true);
    let name = inner
        .string("cookieName")
        .unwrap_or_else(|| DEFAULT_EVENT_ENHANCEMENT_COOKIE.into());
    let domain = inner.string("domain").map(|d| cookie_domain(Some(d)));
    if !is_cookie_name(&name) {
        inner.report.error(
            "config.invalid_value",
            "eventEnhancement.cookieName",
            "eventEnhancement.cookieName must be a cookie name (letters, digits, _ - . and the like; at most 64)",
        );
        return None;
    }
    if ["_fbp", "_fbc"].contains(&name.as_str()) {
        inner.report.error(
            "config.invalid_value",
            "eventEnhancement.cookieName",
            "eventEnhancement.cookieName must not be _fbp or _fbc",
        );
        return None;
    }
    enabled.then_some(EventEnhancement {
        cookie_name: name,
        domain,
    })
}

/// `originalEventData`: `{event_name, event_time, order_id?, event_id?}` for `AppendValue`.
fn original_event_data(obj: &[(Key, Json)], report: &mut Report) -> Vec<(Key, Json)> {
    let mut r = Reader::new(obj, "originalEventData.", report);
    r.unknown_keys(ORIGINAL_EVENT_KEYS);
    obj.iter()
        .filter(|(k, v)| ORIGINAL_EVENT_KEYS.contains(&&**k) && !v.is_null())
        .cloned()
        .collect()
}

fn graph_version(v: &str, report: &mut Report) -> String {
    let digits = v.strip_prefix('v').unwrap_or("");
    let ok = digits.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    });
    if ok {
        v.to_string()
    } else {
        report.error(
            "config.invalid_value",
            "graphApiVersion",
            format!("graphApiVersion must look like \"v24.0\" (got \"{v}\")"),
        );
        DEFAULT_GRAPH_VERSION.into()
    }
}

fn base_url(url: &str, report: &mut Report) -> String {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => trimmed.to_string(),
        _ => {
            report.error(
                "config.invalid_value",
                "graphBaseUrl",
                "graphBaseUrl must be an http(s) URL without query or fragment",
            );
            DEFAULT_GRAPH_BASE_URL.into()
        }
    }
}

fn product_schema(obj: &[(Key, Json)], report: &mut Report) -> ProductSchema {
    let mut r = Reader {
        obj,
        prefix: "productSchema.",
        report,
    };
    r.unknown_keys(&[
        "type",
        "arrayVariable",
        "idField",
        "quantityField",
        "priceField",
    ]);
    let mut schema = ProductSchema::default();
    if r.choice("type", &["omni", "custom"]) == Some("custom") {
        schema.array_variable = r.string("arrayVariable").unwrap_or(schema.array_variable);
        schema.id_field = r.string("idField").unwrap_or(schema.id_field);
        schema.quantity_field = r.string("quantityField").unwrap_or(schema.quantity_field);
        schema.price_field = r.string("priceField").unwrap_or(schema.price_field);
    }
    schema
}

/// LDU (`ldu: {enabled, country, state}`) and the raw `dataProcessingOptions*` keys, merged:
/// the raw keys win when both are given.
fn data_processing(r: &mut Reader) -> DataProcessing {
    let mut dp = DataProcessing::default();
    if let Some(ldu) = r.object("ldu") {
        let mut l = Reader {
            obj: &ldu,
            prefix: "ldu.",
            report: r.report,
        };
        l.unknown_keys(&["enabled", "country", "state"]);
        if l.boolean("enabled", false) {
            dp.options = Some(vec!["LDU".into()]);
            dp.country = Some(l.integer("country").unwrap_or(0));
            dp.state = Some(l.integer("state").unwrap_or(0));
        }
    }
    match r.raw("dataProcessingOptions").cloned() {
        None => {}
        Some(Value::Array(items)) if items.iter().all(|i| i.as_str().is_some()) => {
            let texts = items.iter().filter_map(Value::as_str);
            dp.options = Some(texts.map(|t| t.trim().to_string()).collect());
        }
        Some(Value::String(s)) => {
            dp.options = Some(
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
        Some(other) => r.wrong_type(
            "dataProcessingOptions",
            "an array of strings or a comma-separated string",
            &other,
        ),
    }
    dp.country = r.integer("dataProcessingOptionsCountry").or(dp.country);
    dp.state = r.integer("dataProcessingOptionsState").or(dp.state);
    dp
}

fn error_monitor(obj: &[(Key, Json)], report: &mut Report) -> Option<ErrorMonitor> {
    let mut r = Reader {
        obj,
        prefix: "errorMonitor.",
        report,
    };
    r.unknown_keys(&["endpoint", "token", "maxPerMinute"]);
    let token = r.string("token");
    let max_per_minute = r
        .ranged("maxPerMinute", 1, 10_000)
        .unwrap_or(DEFAULT_MONITOR_PER_MINUTE);
    let Some(endpoint) = r.string("endpoint") else {
        r.report.error(
            "config.missing",
            "errorMonitor.endpoint",
            "errorMonitor needs an endpoint URL",
        );
        return None;
    };
    let ok = (endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        && !endpoint.contains(char::is_whitespace);
    if !ok {
        r.report.error(
            "config.invalid_value",
            "errorMonitor.endpoint",
            "errorMonitor.endpoint must be an http(s) URL",
        );
        return None;
    }
    Some(ErrorMonitor {
        endpoint,
        token,
        max_per_minute,
    })
}

/// `identity: {enabled, endpoint, token, platform, anonymousIdSource, timeoutMs, useJournal,
/// fillFromJournal, cacheTtlMs}`. Unknown keys always warn; the rest is read only when enabled
/// (as `ldu`), and then `endpoint` and `token` are required.
fn identity_settings(obj: &[(Key, Json)], report: &mut Report) -> Option<IdentityConfig> {
    let mut r = Reader {
        obj,
        prefix: "identity.",
        report,
    };
    r.unknown_keys(IDENTITY_KEYS);
    if !r.boolean("enabled", false) {
        return None;
    }
    let mut cfg = IdentityConfig::new("", "");
    if let Some(platform) = r.string("platform") {
        cfg.platform = platform;
    }
    if let Some(source) = r.string("anonymousIdSource") {
        match AnonymousIdSource::parse(&source) {
            Ok(source) => cfg.anonymous_id_source = source,
            Err(why) => r.report.error(
                "config.invalid_value",
                "identity.anonymousIdSource",
                format!(
                    "identity.anonymousIdSource {why} (an event key path, or \"cookie:<name>\")"
                ),
            ),
        }
    }
    if let Some(ms) = r.ranged("timeoutMs", 1, MAX_IDENTITY_TIMEOUT_MS) {
        cfg.timeout_ms = ms;
    }
    cfg.use_journal = r.boolean("useJournal", false);
    if let Some(names) = r.choices("fillFromJournal", &FillField::NAMES) {
        cfg.fill_from_journal = names.into_iter().filter_map(FillField::from_name).collect();
    }
    if let Some(ms) = r.ranged("cacheTtlMs", 0, MAX_CACHE_TTL_MS) {
        cfg.cache_ttl_ms = ms;
    }
    let endpoint = identity_endpoint(r.string("endpoint"), r.report);
    let token = r.string("token");
    match &token {
        None => r.report.error(
            "config.missing",
            "identity.token",
            "identity needs a token (sent as Authorization: Bearer <token>)",
        ),
        // Never echo the token.
        Some(t) if !t.bytes().all(|b| b.is_ascii_graphic()) => r.report.error(
            "config.invalid_value",
            "identity.token",
            "identity.token must be printable ASCII without spaces (it goes into a header)",
        ),
        Some(_) => {}
    }
    cfg.endpoint = endpoint?;
    cfg.token = token.filter(|t| t.bytes().all(|b| b.is_ascii_graphic()))?;
    Some(cfg)
}

/// An http(s) URL without query, fragment or whitespace; trailing slashes removed. A path not
/// ending in `/api/v1` is only a warning (a proxy may mount the API elsewhere).
fn identity_endpoint(url: Option<String>, report: &mut Report) -> Option<String> {
    let Some(url) = url else {
        report.error(
            "config.missing",
            "identity.endpoint",
            "identity needs an endpoint (the API base URL, e.g. https://identity.example.com/api/v1)",
        );
        return None;
    };
    let trimmed = url.trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let ok = host.is_some_and(|h| {
        !h.is_empty()
            && !h.starts_with('/')
            && !h.contains(['?', '#'])
            && !h.contains(char::is_whitespace)
    });
    if !ok {
        report.error(
            "config.invalid_value",
            "identity.endpoint",
            "identity.endpoint must be an http(s) URL without query or fragment",
        );
        return None;
    }
    if !trimmed.ends_with("/api/v1") {
        report.warn(
            "config.identity_endpoint_path",
            "identity.endpoint",
            "identity.endpoint usually ends in /api/v1 (calls go to {endpoint}/identifier)",
        );
    }
    Some(trimmed.to_string())
}

/// `timeoutMs` and `retry: {attempts, baseDelayMs, maxDelayMs}`. Ranges: `timeoutMs`
/// 1..=60000, `retry.attempts` 1..=10, the delays 0..=60000 with `baseDelayMs <= maxDelayMs`.
/// Unusable values keep their defaults.
pub fn retry_policy_from_config(obj: &[(Key, Json)], report: &mut Report) -> RetryPolicy {
    let mut policy = RetryPolicy::default();
    let mut r = Reader {
        obj,
        prefix: "",
        report,
    };
    if let Some(ms) = r.ranged("timeoutMs", 1, MAX_TIMEOUT_MS) {
        policy.timeout_ms = ms;
    }
    let Some(retry) = r.object("retry") else {
        return policy;
    };
    let mut r = Reader {
        obj: &retry,
        prefix: "retry.",
        report,
    };
    r.unknown_keys(&["attempts", "baseDelayMs", "maxDelayMs"]);
    if let Some(n) = r.ranged("attempts", 1, u64::from(MAX_ATTEMPTS)) {
        policy.attempts = u32::try_from(n).unwrap_or(MAX_ATTEMPTS);
    }
    let base = r
        .ranged("baseDelayMs", 0, MAX_DELAY_CAP_MS)
        .unwrap_or(policy.base_delay_ms);
    let max = r
        .ranged("maxDelayMs", 0, MAX_DELAY_CAP_MS)
        .unwrap_or(policy.max_delay_ms);
    if base <= max {
        policy.base_delay_ms = base;
        policy.max_delay_ms = max;
    } else {
        let message =
            format!("retry.baseDelayMs ({base}) must not exceed retry.maxDelayMs ({max})");
        r.report
            .error("config.invalid_value", "retry.baseDelayMs", message);
    }
    policy
}

fn consent_settings(obj: &[(Key, Json)], report: &mut Report) -> Consent {
    let mut r = Reader {
        obj,
        prefix: "consent.",
        report,
    };
    r.unknown_keys(&["requireAdStorage", "requireAdUserData", "whenMissing"]);
    Consent {
        require_ad_storage: r.boolean("requireAdStorage", false),
        require_ad_user_data: r.boolean("requireAdUserData", false),
        when_missing: match r.choice("whenMissing", &["send", "skip"]) {
            Some("send") => WhenConsentMissing::Send,
            _ => WhenConsentMissing::Skip,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn read(text: &str) -> (TagConfig, Report) {
        parse_config(&parse(text).expect("test JSON parses"))
    }

    #[test]
    fn parity_keys_are_read_and_checked() {
        let (c, r) = read(
            r#"{"pixelId": "1", "accessToken": "t", "eventEnhancement": {"cookieName": "_ee", "domain": "none"},
            "cookies": {"httpOnly": "true", "extend": false}, "appData": {"vendor_id": "v"},
            "originalEventData": {"event_name": "Purchase", "order_id": "o-1", "value": 3}}"#,
        );
        assert_eq!(
            c.event_enhancement,
            Some(EventEnhancement {
                cookie_name: "_ee".into(),
                domain: Some(CookieDomain::Host),
            })
        );
        assert_eq!(
            c.cookies,
            CookieOptions {
                http_only: true,
                extend: false
            }
        );
        assert_eq!(c.app_data.len(), 1);
        let keys: Vec<&str> = c.original_event_data.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["event_name", "order_id"]);
        assert_eq!(r.warnings[0].field, "originalEventData.value");
        assert!(r.is_valid(), "{r:?}");

        let (c, _) = read(r#"{"pixelId": "1", "accessToken": "t", "eventEnhancement": true}"#);
        assert_eq!(
            c.event_enhancement.map(|e| e.cookie_name),
            Some("_gtmeec".into())
        );
        let (c, _) =
            read(r#"{"pixelId": "1", "accessToken": "t", "eventEnhancement": {"enabled": false}}"#);
        assert_eq!(c.event_enhancement, None);
        for name in ["_fbp", "a b", "x;y"] {
            let text = format!(
                r#"{{"pixelId": "1", "accessToken": "t", "eventEnhancement": {{"cookieName": "{name}"}}}}"#
            );
            let (_, r) = read(&text);
            assert_eq!(r.errors[0].field, "eventEnhancement.cookieName", "{name}");
        }
        let (_, r) = read(r#"{"pixelId": "1", "accessToken": "t", "cookies": {"httpOnli": true}}"#);
        assert!(r.warnings[0]
            .message
            .ends_with("did you mean \"cookies.httpOnly\"?"));
    }

    #[test]
    fn appsecret_proofs_go_with_their_tokens() {
        let p = "ab".repeat(32);
        let text = format!(
            r#"{{"accessToken": "top", "appsecretProof": "{up}",
            "pixelId": [{{"pixelId": "1"}}, {{"pixelId": "2", "accessToken": "own"}}]}}"#,
            up = p.to_uppercase()
        );
        let (c, r) = read(&text);
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(c.pixels[0].appsecret_proof.as_deref(), Some(p.as_str()));
        // Its own token: the top-level proof (of another token) does not apply.
        assert_eq!(c.pixels[1].appsecret_proof, None);
        let (_, r) = read(r#"{"pixelId": "1", "accessToken": "t", "appsecretProof": "abc123"}"#);
        assert_eq!(r.errors[0].field, "appsecretProof");
        assert!(!r.errors[0].message.contains("abc123"));
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let (c, r) = read(r#"{"pixelId": "123", "accessToken": "tok"}"#);
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(
            c.pixels,
            vec![Pixel {
                id: "123".into(),
                access_token: "tok".into(),
                appsecret_proof: None,
            }]
        );
        assert_eq!(c.action_source, "website");
        assert_eq!(c.graph_api_version, "v24.0");
        assert_eq!(c.graph_base_url, "https://graph.facebook.com");
        assert_eq!(c.product_schema, ProductSchema::default());
        assert!(c.send_pii && c.generate_fbp);
    }

    #[test]
    fn wrong_types_name_the_key_and_unknown_keys_warn() {
        let (_, r) = read(
            r#"{"pixelId": "123", "accessToken": "t", "sendPii": "yes", "userData": [1],
            "productSchema": {"type": "custom", "idField": true, "colour": 1}, "pixelIdd": 1}"#,
        );
        let errors: Vec<_> = r
            .errors
            .iter()
            .map(|i| (i.code, i.field.as_str()))
            .collect();
        assert_eq!(
            errors,
            vec![
                ("config.invalid_type", "userData"),
                ("config.invalid_type", "productSchema.idField"),
                ("config.invalid_type", "sendPii"),
            ]
        );
        let warnings: Vec<_> = r.warnings.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(warnings, vec!["pixelIdd", "productSchema.colour"]);
        assert_eq!(r.errors.len(), 3);
        assert!(r
            .errors
            .iter()
            .any(|e| e.message == "sendPii must be a boolean (got a string)"));
        assert_eq!(r.warnings.len(), 2);
    }

    #[test]
    fn missing_pixel_and_token_are_errors() {
        let (_, r) = read("{}");
        assert_eq!(r.pairs(), vec![("config.missing", "pixelId")]);
        let (_, r) = read(r#"{"pixelId": "123"}"#);
        assert_eq!(r.pairs(), vec![("config.missing", "accessToken")]);
        let (_, r) = read(r#"{"pixelId": "abc", "accessToken": "t"}"#);
        assert_eq!(r.pairs(), vec![("config.invalid_value", "pixelId")]);
        let (_, r) = read(r#"{"pixelId": 12.5}"#);
        assert_eq!(
            r.pairs(),
            vec![
                ("config.invalid_value", "pixelId"),
                ("config.missing", "accessToken")
            ]
        );
        let (_, r) = read(r#"{"pixelId": "abc", "accessToken": "t"}"#);
        assert_eq!(r.pairs(), vec![("config.invalid_value", "pixelId")]);
        let (_, r) = read("[]");
        assert_eq!(r.pairs(), vec![("config.invalid_type", "config")]);
    }

    #[test]
    fn multi_pixel_with_shared_and_own_tokens() {
        let (c, r) = read(
            r#"{"accessToken": "shared", "pixelId": [{"pixelId": "1"}, {"pixelId": "2", "accessToken": "own"}, "x"]}"#,
        );
        assert_eq!(c.pixels.len(), 2);
        assert_eq!(c.pixels[0].access_token, "shared");
        assert_eq!(c.pixels[1].access_token, "own");
        assert_eq!(r.pairs(), vec![("config.invalid_type", "pixelId[2]")]);
    }

    #[test]
    fn values_are_validated() {
        let (_, r) = read(
            r#"{"pixelId": "1", "accessToken": "t", "actionSource": "web", "graphApiVersion": "24",
            "graphBaseUrl": "ftp://x", "logLevel": "trace", "cookieMaxAgeDays": 1000}"#,
        );
        let fields: Vec<_> = r.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "actionSource",
                "graphApiVersion",
                "graphBaseUrl",
                "logLevel",
                "cookieMaxAgeDays"
            ]
        );
        assert!(r.errors.iter().all(|e| e.code == "config.invalid_value"));
    }

    #[test]
    fn ldu_and_raw_data_processing_options() {
        let (c, _) = read(
            r#"{"pixelId": "1", "accessToken": "t", "ldu": {"enabled": true, "country": 1, "state": 1000}}"#,
        );
        assert_eq!(
            c.data_processing,
            DataProcessing {
                options: Some(vec!["LDU".into()]),
                country: Some(1),
                state: Some(1000)
            }
        );
        let (c, _) = read(
            r#"{"pixelId": "1", "accessToken": "t", "dataProcessingOptions": "LDU", "dataProcessingOptionsCountry": "0"}"#,
        );
        assert_eq!(
            c.data_processing,
            DataProcessing {
                options: Some(vec!["LDU".into()]),
                country: Some(0),
                state: None
            }
        );
    }

    #[test]
    fn consent_ip_and_cookie_settings() {
        let (c, r) = read(
            r#"{"pixelId": "1", "accessToken": "t", "consent": {"requireAdStorage": true, "whenMissing": "send"},
            "ipAnonymization": "truncate", "cookieDomain": ".Example.com", "logLevel": "debug", "graphBaseUrl": "http://127.0.0.1:8080/"}"#,
        );
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(
            c.consent,
            Consent {
                require_ad_storage: true,
                require_ad_user_data: false,
                when_missing: WhenConsentMissing::Send
            }
        );
        assert_eq!(c.ip_handling, IpHandling::Truncate);
        assert_eq!(
            c.cookie_domain,
            CookieDomain::Explicit("example.com".into())
        );
        assert_eq!(c.log_level, LogLevel::Debug);
        assert_eq!(c.graph_base_url, "http://127.0.0.1:8080");
    }
}
