//! The tag's structured log records. Rust decides what is logged, at which level and with what
//! redaction; the JS shim only prints the records (and POSTs ERROR ones to an error monitor).
//!
//! A record is a JSON object, keys in this order:
//! `level` (`"DEBUG"` / `"INFO"` / `"ERROR"`), `type` (`"Request"`, `"Response"`, `"Error"`,
//! `"Message"`, `"Timing"`), `process` (the pipeline stage: `"Build"`, `"Identity"`,
//! `"Dispatch"`), `scope` (`"Omni Tag"`), `message`, `timestamp` (ISO-8601 UTC with
//! milliseconds), `traceId`, then `durationMs` (timing records) and `data` when there are some.
//! A record is kept when its level is at least the configured one (`LogLevel`: Debug < Info <
//! Error).
//!
//! What can never be in a record, at any level:
//! - **secrets**: every `data` value goes through `scrub` (secret keys, request bodies inside
//!   strings, `access_token=` query parameters); on top of that, the token and secret *values*
//!   registered with `Logger::with_secrets` are replaced by `"[redacted]"` wherever they appear
//!   in any string of a record (message, data, keys, trace id): the last line of defence;
//! - **plaintext PII**: `scrub` removes the values of raw PII keys, and keeps only hash-shaped
//!   values under Meta's hashed `user_data` keys (see `scrub` for the lists).
//!
//! Messages are stored as given (bar registered secrets): callers must never put a secret or a
//! PII value into a message; structured values belong in `data`, where they are scrubbed.
use crate::json::{self, decimal, push_padded, write_array, Json, Value};
use crate::model::config::LogLevel;
use std::borrow::Cow;
use std::rc::Rc;

#[cfg(test)]
mod tests;

/// The `scope` of every record.
pub const SCOPE: &str = "Omni Tag";

/// `process` values: the pipeline stages.
pub const PROCESS_BUILD: &str = "Build";
pub const PROCESS_IDENTITY: &str = "Identity";
pub const PROCESS_DISPATCH: &str = "Dispatch";

/// `type` values.
pub const TYPE_REQUEST: &str = "Request";
pub const TYPE_RESPONSE: &str = "Response";
pub const TYPE_ERROR: &str = "Error";
pub const TYPE_MESSAGE: &str = "Message";
pub const TYPE_TIMING: &str = "Timing";

/// What a secret value is replaced by.
pub const REDACTED: &str = "[redacted]";
/// What a plaintext PII value is replaced by.
pub const PLAINTEXT_REMOVED: &str = "[plaintext removed]";
/// What a string that looks like a broken request body with secrets or PII in it becomes.
pub const UNREADABLE_REDACTED: &str = "[unreadable body redacted]";
/// What a value nested deeper than `MAX_SCRUB_DEPTH` becomes.
pub const TOO_DEEP_REDACTED: &str = "[nested too deeply: redacted]";

/// `scrub` recursion limit (parsed JSON is at most 128 deep; bodies inside strings add to it).
const MAX_SCRUB_DEPTH: usize = 256;

/// Registered secrets shorter than this are ignored: they cannot be real tokens, and replacing
/// them would mangle every record (and `"[redacted]"` itself).
pub const MIN_SECRET_LEN: usize = 4;

/// The text of a level in a record.
pub fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "DEBUG",
        LogLevel::Info => "INFO",
        LogLevel::Error => "ERROR",
    }
}

/// Meta's hashed `user_data` keys (`em`, `ph`, ... `external_id`), in any case.
fn is_hashed_key(name: &str) -> bool {
    crate::normalize::Field::ALL
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f.key()))
}

// ---------------------------------------------------------------------------------------------
// Timestamps and trace ids

/// The UTC calendar date (year, month 1-12, day 1-31) of a Unix millisecond timestamp, by
/// Howard Hinnant's civil-from-days (no date library in the wasm). Valid for all u64 input.
pub fn civil_date(ms: u64) -> (i64, i64, i64) {
    let days = i64::try_from(ms / 86_400_000).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since the Unix epoch of a proleptic Gregorian date (Hinnant's days-from-civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Milliseconds since the Unix epoch of a UTC timestamp as `toISOString` (or SQLite) writes
/// it: `2024-02-29T23:59:59.999Z`, the fraction optional, `T` or a space, `Z`, `+00:00` or no
/// zone. `None` for anything else or a time before 1970.
pub fn parse_iso_ms(text: &str) -> Option<u64> {
    let b = text.trim().as_bytes();
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let shape = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let in_range = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if !in_range {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        millis = fraction[..digits.min(3)]
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(3)
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        rest = &fraction[digits..];
    }
    if !matches!(rest, b"" | b"Z" | b"z" | b"+00:00") {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(seconds * 1000 + millis).ok()
}

/// `now_ms` (milliseconds since the Unix epoch) as ISO-8601 UTC with milliseconds, as JS's
/// `Date.prototype.toISOString` writes it: `2024-02-29T23:59:59.999Z`; years after 9999 as
/// `+YYYYYY` (e.g. `+275760-09-13T00:00:00.000Z`).
pub fn iso_timestamp(now_ms: u64) -> String {
    const MS_PER_DAY: u64 = 86_400_000;
    let (year, month, day) = civil_date(now_ms);

    let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
    let ms = now_ms % MS_PER_DAY;
    let mut out = String::with_capacity(27);
    if year > 9999 {
        out.push('+');
        push_padded(unsigned(year), 6, &mut out);
    } else {
        push_padded(unsigned(year), 4, &mut out);
    }
    out.push('-');
    push_padded(unsigned(month), 2, &mut out);
    out.push('-');
    push_padded(unsigned(day), 2, &mut out);
    out.push('T');
    push_padded(ms / 3_600_000, 2, &mut out);
    out.push(':');
    push_padded(ms / 60_000 % 60, 2, &mut out);
    out.push(':');
    push_padded(ms / 1000 % 60, 2, &mut out);
    out.push('.');
    push_padded(ms % 1000, 3, &mut out);
    out.push('Z');
    out
}

/// A trace id for one event run: the 16 bytes of entropy as 32 lowercase hex characters (the
/// W3C trace-context format, so a host can pass it on in a `traceparent` header).
pub fn new_trace_id(entropy: &[u8; 16]) -> String {
    crate::hash::hex(entropy)
}

/// The trace id of a run: the host's when it gave a usable one, else `new_trace_id(entropy)`.
/// Accepted from the host: a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`: its trace id,
/// lowercased), or 1 to 64 characters of `[A-Za-z0-9._:-]` (kept as given). Anything else (empty,
/// too long, spaces, quotes, control characters) is ignored, so a trace id cannot inject text.
pub fn resolve_trace_id(host: Option<&str>, entropy: &[u8; 16]) -> String {
    let Some(host) = host.map(str::trim) else {
        return new_trace_id(entropy);
    };
    let parts: Vec<&str> = host.split('-').collect();
    if let [version, trace, parent, flags] = parts.as_slice() {
        let hex_len = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if hex_len(version, 2) && hex_len(trace, 32) && hex_len(parent, 16) && hex_len(flags, 2) {
            return trace.to_ascii_lowercase();
        }
    }
    let safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-');
    if !host.is_empty() && host.len() <= 64 && host.bytes().all(safe) {
        return host.to_string();
    }
    new_trace_id(entropy)
}

// ---------------------------------------------------------------------------------------------
// Scrubbing

/// A key as the scrubber compares it: lowercased, `_` and `-` removed (`access_token`,
/// `accessToken` and `Access-Token` alike).
fn folded(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Keys whose values are secrets, compared `folded`: `access_token`, `accessToken`,
/// `appsecret_proof`, `appSecret` / `app_secret`, `authorization`, `proxy-authorization`,
/// `x-api-key` / `api_key`, and any key ending in `token`, `secret` or `password` (`token`,
/// `refresh_token`, `client_secret`, ...).
fn is_secret_key(folded: &str) -> bool {
    const EXACT: [&str; 5] = [
        "appsecretproof",
        "authorization",
        "proxyauthorization",
        "apikey",
        "xapikey",
    ];
    EXACT.contains(&folded)
        || folded.ends_with("token")
        || folded.ends_with("secret")
        || folded.ends_with("password")
}

/// Raw (unhashed) PII keys, compared `folded`: GA4's and sGTM's names, the peers' flat and
/// camel-case spellings (`email_address`, `emailAddress`, `firstName`, `nameFirst`, `zip`,
/// `date_of_birth`, ...) and tags' configs. Their values are removed wherever they are.
/// `sha256_*` keys are hashes and are kept when hash-shaped. (`state` is not here: dispatch
/// records use it for a delivery's state; `region` is the sGTM name.)
pub const PLAINTEXT_KEYS: [&str; 19] = [
    "email",
    "emailaddress",
    "phone",
    "phonenumber",
    "firstname",
    "namefirst",
    "lastname",
    "namelast",
    "street",
    "city",
    "region",
    "postalcode",
    "zip",
    "zipcode",
    "postcode",
    "dateofbirth",
    "birthdate",
    "dob",
    "gender",
];

/// Lowercased substrings that make an unparseable `{...` string look like a body worth hiding.
const SENSITIVE_WORDS: [&str; 14] = [
    "token",
    "secret",
    "authorization",
    "password",
    "user_data",
    "userdata",
    "email",
    "phone",
    "first_name",
    "last_name",
    "\"em\"",
    "\"ph\"",
    "\"fn\"",
    "\"ln\"",
];

/// Query / form parameters whose values are secrets inside any string (`...?access_token=X&`).
const SECRET_PARAMS: [&str; 2] = ["access_token=", "appsecret_proof="];

enum KeyKind {
    Secret,
    Plaintext,
    Hashed,
    UserData,
    Other,
}

fn key_kind(key: &str, in_user_data: bool) -> KeyKind {
    let folded = folded(key);
    if is_secret_key(&folded) {
        return KeyKind::Secret;
    }
    if folded == "userdata" {
        return KeyKind::UserData;
    }
    if PLAINTEXT_KEYS.contains(&folded.as_str()) {
        return KeyKind::Plaintext;
    }
    let prefixed = |prefix: &str| {
        key.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    // sGTM's `x-fb-ud-<key>` event keys carry the same identifiers, usually in plaintext.
    let hashed_suffix = key
        .get("x-fb-ud-".len()..)
        .filter(|_| prefixed("x-fb-ud-"))
        .is_some_and(is_hashed_key);
    if prefixed("sha256_") || hashed_suffix || (in_user_data && is_hashed_key(key)) {
        return KeyKind::Hashed;
    }
    KeyKind::Other
}

/// A SHA-256 (64) or MD5 (32) digest in lowercase hex, optionally with Meta's param-builder
/// appendix: `<hex>.<token>` where the token is one of the 2-character language tokens or 8
/// characters of `[A-Za-z0-9_-]`.
pub fn is_hash_shaped(value: &str) -> bool {
    const TOKENS: [&str; 6] = ["AQ", "Ag", "Aw", "BA", "BQ", "Bg"];
    let (hex, appendix) = match value.split_once('.') {
        Some((hex, appendix)) => (hex, Some(appendix)),
        None => (value, None),
    };
    let hex_ok =
        matches!(hex.len(), 32 | 64) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let appendix_ok = appendix.is_none_or(|a| {
        TOKENS.contains(&a)
            || (a.len() == 8
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))
    });
    hex_ok && appendix_ok
}

/// A copy of `value` that is safe to log at any level:
/// - secret keys (`is_secret_key`: `access_token`, `appsecret_proof`, `accessToken`,
///   `appSecret`, `token`, `authorization`, ..., case-insensitive, at any depth): the value
///   becomes `"[redacted]"`;
/// - raw PII keys (`PLAINTEXT_KEYS`, in any case and with or without `_`/`-`, at any depth):
///   the value becomes `"[plaintext removed]"` (`null` stays `null`);
/// - Meta's hashed keys (`normalize::Field`) anywhere under a `user_data` / `userData` object, and
///   `sha256_*` and `x-fb-ud-<hashed key>` keys anywhere: strings that are not `is_hash_shaped`
///   (and numbers, booleans, objects) become `"[plaintext removed]"`, in lists too; hashes stay;
/// - a string that starts with `{` or `[` and parses as JSON (a request or response body) is
///   scrubbed the same way and written back as JSON text (also one that starts with `"` and
///   parses: a body stringified twice); one that starts with `{` but does not
///   parse and mentions a secret or PII word becomes `"[unreadable body redacted]"`;
/// - `access_token=` / `appsecret_proof=` parameters in any other string (URLs, form bodies)
///   get `[redacted]` as their value;
/// - in a string holding a URL (`://`), query parameters carrying an email, phone or name are
///   removed (`url::without_pii`).
///
/// Everything else is kept as is (key order, number text). Idempotent.
pub fn scrub(value: &Json) -> Json {
    scrub_value(value, false, 0)
}

fn scrub_value(value: &Json, in_user_data: bool, depth: usize) -> Json {
    if depth > MAX_SCRUB_DEPTH {
        return Json::from(TOO_DEEP_REDACTED);
    }
    match value {
        Value::Object(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), scrub_entry(k, v, in_user_data, depth + 1)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| scrub_value(v, in_user_data, depth + 1))
                .collect(),
        ),
        Value::String(s) => scrub_string(s, in_user_data, depth),
        other => other.clone(),
    }
}

fn scrub_entry(key: &str, value: &Json, in_user_data: bool, depth: usize) -> Json {
    match key_kind(key, in_user_data) {
        KeyKind::Secret => Json::from(REDACTED),
        KeyKind::Plaintext if value.is_null() => Value::Null,
        KeyKind::Plaintext => Json::from(PLAINTEXT_REMOVED),
        KeyKind::Hashed => keep_hashes(value, depth),
        KeyKind::UserData => scrub_value(value, true, depth),
        KeyKind::Other => scrub_value(value, in_user_data, depth),
    }
}

/// The value of a hashed key: hash-shaped strings (in lists too) and `null` stay.
fn keep_hashes(value: &Json, depth: usize) -> Json {
    match value {
        Value::Null => Value::Null,
        Value::String(s) if is_hash_shaped(s) => value.clone(),
        Value::Array(items) if depth <= MAX_SCRUB_DEPTH => {
            Value::Array(items.iter().map(|v| keep_hashes(v, depth + 1)).collect())
        }
        _ => Json::from(PLAINTEXT_REMOVED),
    }
}

fn scrub_string(s: &str, in_user_data: bool, depth: usize) -> Json {
    let start = s.trim_start();
    if start.starts_with(['{', '[', '"']) {
        if let Ok(parsed) = json::parse(s) {
            return Json::from(scrub_value(&parsed, in_user_data, depth + 1).to_json());
        }
        if start.starts_with('{') {
            let lower = s.to_ascii_lowercase();
            if SENSITIVE_WORDS.iter().any(|w| lower.contains(w)) {
                return Json::from(UNREADABLE_REDACTED);
            }
        }
    }
    // URLs (a page_location, a gtag hit's `dl`, a URL inside a message): without the query
    // parameters that carry an email, phone or name, as Meta gets them.
    if s.contains("://") {
        return Json::from(redact_secret_params(&crate::url::without_pii(s)));
    }
    Json::from(redact_secret_params(s))
}

/// `text` with every secret (4 characters or more) replaced by `[redacted]`.
pub fn redact_secrets(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret.as_str(), "[redacted]");
    }
    text
}

/// Another service's message made fit for a log line, a result or the dashboard: secrets and
/// contact details redacted, control characters as spaces, at most `max_chars`, trimmed.
pub fn foreign_message(message: &str, max_chars: usize, secrets: &[String]) -> String {
    let text = redact_contact_details(&redact_secrets(message, secrets));
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect();
    line.trim().to_string()
}

/// A message from another service (Meta, the identity service) with what looks like contact
/// details replaced by `[redacted]`: a word holding `@` (an email), and a run of digits, spaces,
/// `+ - ( ) .` holding 7 or more digits (a phone). Such a service may echo what it was sent, and
/// its message goes into logs, results and the dashboard.
pub fn redact_contact_details(text: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let words: Vec<&str> = text.split(' ').collect();
    let no_emails: Vec<&str> = words
        .iter()
        .map(|w| if w.contains('@') { REDACTED } else { w })
        .collect();
    let text = no_emails.join(" ");
    let in_number = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '+' || c == '(') {
        out.push_str(&rest[..start]);
        let span_len = rest[start..]
            .find(|c: char| !in_number(c))
            .unwrap_or(rest.len() - start);
        let span = &rest[start..start + span_len];
        if span.chars().filter(char::is_ascii_digit).count() >= 7 {
            // Keep the separator a sentence had after the number.
            let kept = span.len() - span.trim_end_matches([' ', '.', ')']).len();
            out.push_str(REDACTED);
            out.push_str(&span[span.len() - kept..]);
        } else {
            out.push_str(span);
        }
        rest = &rest[start + span_len..];
    }
    out.push_str(rest);
    out
}

/// `s` with the value of every `access_token=` / `appsecret_proof=` parameter (any case)
/// replaced by `[redacted]`; the value ends at `&`, `#`, whitespace, a quote, `<`, `>`, `;` or
/// `,`.
fn redact_secret_params(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    if !SECRET_PARAMS.iter().any(|p| lower.contains(p)) {
        return s.to_string();
    }
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0; // bytes of `s` already written to `out`
    let mut i = 0;
    while i < bytes.len() {
        let param = SECRET_PARAMS
            .iter()
            .find(|p| bytes.get(i..i + p.len()) == Some(p.as_bytes()));
        let Some(param) = param else {
            i += 1;
            continue;
        };
        // ASCII positions in the lowercased copy are char boundaries of `s` too.
        let value_start = i + param.len();
        let value_len = bytes
            .get(value_start..)
            .unwrap_or_default()
            .iter()
            .position(|b| {
                b.is_ascii_whitespace()
                    || matches!(b, b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b';' | b',')
            })
            .unwrap_or(bytes.len().saturating_sub(value_start));
        out.push_str(s.get(copied..value_start).unwrap_or_default());
        if value_len > 0 {
            out.push_str(REDACTED);
        }
        copied = value_start + value_len;
        i = copied;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    out
}

/// The body POSTed to an error monitor for an ERROR record: the record itself, scrubbed again,
/// as compact JSON text. (The host sends only ERROR records; see `Logger::error_monitor_bodies`.)
pub fn error_monitor_body(record: &Json) -> String {
    scrub(record).to_json()
}

// ---------------------------------------------------------------------------------------------
// The logger

/// The records of one event run, filtered by level and scrubbed as they are made.
#[derive(Clone, Debug)]
pub struct Logger {
    level: LogLevel,
    trace_id: String,
    records: Vec<Json>,
    /// Registered secret values, longest first, each with its JSON-escaped forms (as it appears
    /// inside a serialized body held in a string, once or twice over). Shared by the loggers
    /// `fork` makes: a tag prepares its secrets once, not on every run.
    secrets: Rc<Vec<Vec<String>>>,
    /// The time stamped on the next records.
    now_ms: u64,
}

impl Logger {
    /// A logger keeping records at `level` and above. The clock is 0 until `set_now`.
    pub fn new(level: LogLevel, trace_id: impl Into<String>) -> Logger {
        Logger {
            level,
            trace_id: trace_id.into(),
            records: Vec::new(),
            secrets: Rc::default(),
            now_ms: 0,
        }
    }

    /// A logger for another run: the same level and secrets, its own trace id and clock, no
    /// records.
    pub fn fork(&self, trace_id: impl Into<String>, now_ms: u64) -> Logger {
        Logger {
            level: self.level,
            trace_id: trace_id.into(),
            records: Vec::new(),
            secrets: Rc::clone(&self.secrets),
            now_ms,
        }
    }

    /// Registers token and secret values (access tokens, app secrets, appsecret proofs) that are
    /// replaced by `"[redacted]"` wherever they appear in any string of a record. Empty values
    /// and values shorter than `MIN_SECRET_LEN` are ignored.
    pub fn with_secrets(mut self, secrets: Vec<String>) -> Logger {
        for secret in secrets {
            self.add_secret(&secret);
        }
        self
    }

    /// Registers one secret value (see `with_secrets`).
    pub fn add_secret(&mut self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN
            || self
                .secrets
                .iter()
                .any(|f| f.first().map(String::as_str) == Some(secret))
        {
            return;
        }
        let mut forms = vec![secret.to_string()];
        for _ in 0..3 {
            let last = forms.last().cloned().unwrap_or_default();
            let quoted = Json::from(last.as_str()).to_json();
            let escaped = quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default()
                .to_string();
            if escaped == last {
                break;
            }
            forms.push(escaped);
        }
        let secrets = Rc::make_mut(&mut self.secrets);
        secrets.push(forms);
        // Longest first, so a secret containing another is replaced whole.
        crate::sort::by_key(secrets, |f| {
            core::cmp::Reverse(f.first().map_or(0, String::len))
        });
    }

    /// The clock for the next records (milliseconds since the Unix epoch, from the host).
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    pub fn with_now(mut self, now_ms: u64) -> Logger {
        self.now_ms = now_ms;
        self
    }

    pub fn level(&self) -> LogLevel {
        self.level
    }

    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// Whether a record at `level` is kept (so callers can skip building costly `data`).
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.level
    }

    pub fn debug(&mut self, process: &str, kind: &str, message: &str, data: Option<Json>) {
        self.log(LogLevel::Debug, process, kind, message, data);
    }

    /// A DEBUG record whose message and data are built only when DEBUG records are kept: at
    /// INFO a build pays nothing for them (no copy of the event, no report rendering).
    pub fn debug_with(
        &mut self,
        process: &str,
        kind: &str,
        record: impl FnOnce() -> (String, Option<Json>),
    ) {
        if self.enabled(LogLevel::Debug) {
            let (message, data) = record();
            self.log(LogLevel::Debug, process, kind, &message, data);
        }
    }

    pub fn info(&mut self, process: &str, kind: &str, message: &str, data: Option<Json>) {
        self.log(LogLevel::Info, process, kind, message, data);
    }

    pub fn error(&mut self, process: &str, kind: &str, message: &str, data: Option<Json>) {
        self.log(LogLevel::Error, process, kind, message, data);
    }

    /// An INFO record of type `Timing`: `<process> took <n> ms`, with `durationMs`.
    pub fn timing(&mut self, process: &str, duration_ms: u64) {
        if !self.enabled(LogLevel::Info) {
            return;
        }
        let digits = decimal(duration_ms);
        let message = [process, " took ", &digits, " ms"].concat();
        let mut record = self.record(LogLevel::Info, process, TYPE_TIMING, &message);
        record.set("durationMs", Value::Number(digits.into()));
        self.push(record);
    }

    /// A record at `level` (kept when `enabled(level)`); `data` is scrubbed before it is stored.
    pub fn log(
        &mut self,
        level: LogLevel,
        process: &str,
        kind: &str,
        message: &str,
        data: Option<Json>,
    ) {
        if !self.enabled(level) {
            return;
        }
        let mut record = self.record(level, process, kind, message);
        if let Some(data) = data {
            record.set("data", scrub(&data));
        }
        self.push(record);
    }

    fn record(&self, level: LogLevel, process: &str, kind: &str, message: &str) -> Json {
        Json::object([
            ("level", Value::String(Cow::Borrowed(level_name(level)))),
            ("type", Json::from(kind)),
            ("process", Json::from(process)),
            ("scope", Value::String(Cow::Borrowed(SCOPE))),
            ("message", Json::from(message)),
            ("timestamp", Json::from(iso_timestamp(self.now_ms))),
            ("traceId", Json::from(self.trace_id.as_str())),
        ])
    }

    /// Keep `record`, every registered secret replaced in the fields that carry text from
    /// elsewhere (the message, the data, the host's trace id); the rest of a record is the
    /// logger's own names and the time.
    fn push(&mut self, mut record: Json) {
        if let (false, Value::Object(fields)) = (self.secrets.is_empty(), &mut record) {
            for (key, value) in fields {
                if matches!(&**key, "message" | "data" | "traceId") {
                    redact_values(value, &self.secrets);
                }
            }
        }
        self.records.push(record);
    }

    pub fn records(&self) -> &[Json] {
        &self.records
    }

    /// The bodies to POST to an error monitor: one per ERROR record (see `error_monitor_body`).
    pub fn error_monitor_bodies(&self) -> Vec<String> {
        self.records
            .iter()
            .filter(|r| r.get("level").and_then(Value::as_str) == Some(level_name(LogLevel::Error)))
            .map(error_monitor_body)
            .collect()
    }

    /// The records as a JSON array, oldest first, appended to `out`.
    pub fn write_records(&self, out: &mut String) {
        write_array(&self.records, out, |r, out| r.write(out));
    }

    /// The records as a JSON array, oldest first.
    pub fn into_json(self) -> Json {
        Value::Array(self.records)
    }
}

/// Replaces every registered secret form in every string and key of `value`. Records are
/// scrubbed first, so their depth is bounded by `MAX_SCRUB_DEPTH`.
fn redact_values(value: &mut Json, secrets: &[Vec<String>]) {
    match value {
        Value::String(s) => redact_in(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_values(v, secrets)),
        Value::Object(pairs) => {
            for (k, v) in pairs {
                redact_in(k, secrets);
                redact_values(v, secrets);
            }
        }
        _ => {}
    }
}

/// Whether `text` contains `part`: byte by byte from each occurrence of its first byte for the
/// short texts of a record (`str::contains` prepares a two-way search first, which costs more
/// than the search on a message), `str::contains` for long ones.
fn contains(text: &str, part: &str) -> bool {
    if text.len() > 256 {
        return text.contains(part);
    }
    let (text, part) = (text.as_bytes(), part.as_bytes());
    let Some((&first, _)) = part.split_first() else {
        return true;
    };
    text.len() >= part.len()
        && (0..=text.len() - part.len())
            .any(|i| text[i] == first && text.get(i..i + part.len()) == Some(part))
}

fn redact_in(s: &mut Cow<'static, str>, secrets: &[Vec<String>]) {
    for form in secrets.iter().flatten() {
        if contains(s, form) {
            *s = Cow::Owned(s.replace(form.as_str(), REDACTED));
        }
    }
}
