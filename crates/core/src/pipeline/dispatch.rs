//! Dispatch decisions: what one fetch to Meta's Conversions API came to, whether and when to try
//! again, and what the host is told. JS only fetches and sleeps; every decision is made here.
//!
//! Per request built by `request`:
//! 1. JS POSTs the body with `RetryPolicy::timeout_ms` as its deadline and reports an `Attempt`;
//! 2. `classify` turns it into an `Outcome`: accepted, rejected (never retried) or transient;
//! 3. on `Transient`, `next_delay_ms` says how long to sleep before the next try, or `None`
//!    to give up;
//! 4. `Outcome::to_json` is the result for the host; events that failed go back to the host (and
//!    into logs) only through `redact_request_body`.
//!
//! Classification rules (research: capi.md section 7), highest precedence first:
//! 1. a 2xx body with a whole `events_received` -> `Accepted`;
//! 2. a Meta error (`{"error": {...}}`, any HTTP status) whose `code` is in `NEVER_RETRY_CODES`
//!    (100 and 190 with any subcode, and the other codes the research lists as not retryable)
//!    -> `Rejected`, even when `is_transient` is true or the status is 5xx/429: these say the
//!    payload, token or permissions are wrong, and sending the same bytes again cannot succeed;
//! 3. a Meta error whose code is in `RETRY_CODES` (1, 2, 4, 17, 341, 368, 613, 80000..=80014)
//!    -> `Transient`, whatever `is_transient` and the status say (throttles come as 400/403);
//! 4. a Meta error with `is_transient: true` -> `Transient`;
//! 5. HTTP 5xx, 429 or 408 -> `Transient` (with or without a Meta error; `is_transient: false`
//!    does not veto a server error: only the codes of rule 2 do);
//! 6. timeouts and network errors -> `Transient`;
//! 7. everything else -> `Rejected`: 4xx with a Meta error, any other status without one, and a
//!    2xx that is not a success body (see `classify` for why that one is not retried).
use crate::json::{self, decimal, Json, Value};
use crate::logging::foreign_message;
use crate::number::whole;

pub mod retry_after;
#[cfg(test)]
mod tests;

pub use retry_after::{http_date_ms, retry_after_ms};

/// Most tries a config may ask for (counting the first).
pub const MAX_ATTEMPTS: u32 = 10;
/// Longest per-try timeout a config may ask for.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// The longest single wait `next_delay_ms` ever returns, whatever the policy or Retry-After say:
/// a tag runs inside a request (or a Worker's `waitUntil`, about 30 s), not a job queue.
pub const MAX_DELAY_CAP_MS: u64 = 60_000;

/// Meta error codes that are never retried, whatever `is_transient` or the HTTP status say:
/// 100 invalid parameter (all 28040xx CAPI payload errors), 190 access token, 102 session,
/// 10 and 200..=299 permissions (294 among them), 3 capability.
pub fn is_never_retry_code(code: i64) -> bool {
    matches!(code, 3 | 10 | 100 | 102 | 190 | 200..=299)
}

pub use crate::model::config::RetryPolicy;

/// Meta error codes that mean "wait and retry": 1 unknown, 2 service, 4 app throttled, 17 user
/// throttled, 341 application limit, 368 temporarily blocked, 613 rate limit, 80000..=80014
/// business-use-case throttles.
pub fn is_retry_code(code: i64) -> bool {
    matches!(code, 1 | 2 | 4 | 17 | 341 | 368 | 613 | 80_000..=80_014)
}

/// What JS reports after one fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Response {
        status: u16,
        body: String,
        /// The raw `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// No response within `RetryPolicy::timeout_ms`.
    Timeout,
    /// `fetch` rejected (DNS, connection reset, TLS, ...).
    NetworkError { message: String },
}

/// A Graph API error object, field by field (every field optional: bodies vary).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaError {
    pub message: Option<String>,
    /// `type`, e.g. `OAuthException`; `omni.*` for errors this module makes up (see `classify`).
    pub error_type: Option<String>,
    pub code: Option<i64>,
    pub error_subcode: Option<i64>,
    pub error_user_title: Option<String>,
    pub error_user_msg: Option<String>,
    pub fbtrace_id: Option<String>,
    pub is_transient: Option<bool>,
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Meta took the batch. `events_received` is Meta's count; the caller knows how many it sent.
    Accepted {
        events_received: u64,
        fbtrace_id: Option<String>,
        messages: Vec<String>,
    },
    /// Sending the same request again cannot succeed: do not retry; return the events.
    Rejected { http_status: u16, error: MetaError },
    /// Worth another try (see `next_delay_ms`). `reason` is for people and logs.
    Transient {
        reason: String,
        error: Option<MetaError>,
        retry_after_ms: Option<u64>,
        /// Meta may have the events all the same: the request was sent and the answer lost (a
        /// timeout, a connection dropped after sending) or Meta counted fewer events than sent.
        /// A retry sends the same `event_id`s, which Meta deduplicates.
        maybe_delivered: bool,
    },
}

/// `error.type` of the error made up for a 2xx response that is not a success body.
pub const UNEXPECTED_SUCCESS_BODY: &str = "omni.unexpected_response";
/// `error.type` of the error made up for a non-2xx response without a Meta error in its body.
pub const HTTP_ERROR_WITHOUT_BODY: &str = "omni.http_error";

/// Classify one attempt. `now_ms` (Unix milliseconds) turns a Retry-After date into a delay.
///
/// A 2xx whose body is not JSON or has no whole `events_received` is `Rejected` (with an
/// `omni.unexpected_response` error), not retried: Meta answers an invalid payload with a 4xx
/// and an overloaded server with a 5xx, so a 2xx without Meta's success shape comes from
/// something else answering — a proxy or a wrong `graphBaseUrl`, a captive portal, an API change
/// — which answers the same way the next time; retrying only burns the budget and hides a
/// configuration problem. And if Meta did take the events and only the body got mangled, a
/// retry would send them twice: `event_id` deduplication is documented for pixel/server pairs
/// within 48 hours, not promised for every server duplicate. Rejected events go back to the
/// host, which can see the error and send them again on purpose.
pub fn classify(attempt: &Attempt, now_ms: u64) -> Outcome {
    match attempt {
        Attempt::Timeout => Outcome::Transient {
            reason: "timeout".into(),
            error: None,
            retry_after_ms: None,
            maybe_delivered: true,
        },
        Attempt::NetworkError { message } => {
            let mut reason = String::from("network error");
            let message = message.trim();
            if !message.is_empty() {
                reason.push_str(": ");
                reason.push_str(message);
            }
            Outcome::Transient {
                maybe_delivered: !failed_before_sending(&reason),
                reason,
                error: None,
                retry_after_ms: None,
            }
        }
        Attempt::Response {
            status,
            body,
            retry_after,
        } => {
            let retry_after = retry_after
                .as_deref()
                .and_then(|h| retry_after_ms(h, now_ms));
            response(*status, body, retry_after)
        }
    }
}

/// `classify` for a request that carried `sent` events: a success that counts fewer
/// (`events_received` below `sent`) is not an acceptance but a transient failure that may have
/// delivered some of them (retried with the same `event_id`s). `sent` 0 skips the check.
pub fn classify_sent(attempt: &Attempt, now_ms: u64, sent: u64) -> Outcome {
    match classify(attempt, now_ms) {
        Outcome::Accepted {
            events_received, ..
        } if events_received < sent => {
            let mut reason = String::from("Meta received ");
            reason.push_str(&decimal(events_received));
            reason.push_str(" of ");
            reason.push_str(&decimal(sent));
            reason.push_str(" events");
            Outcome::Transient {
                reason,
                error: None,
                retry_after_ms: None,
                maybe_delivered: true,
            }
        }
        outcome => outcome,
    }
}

/// Connection failures that happen before a byte of the request left (refused, no route, no
/// such host, TLS): Meta cannot have the events. Node's fetch names them by their error code.
fn failed_before_sending(reason: &str) -> bool {
    const BEFORE: [&str; 8] = [
        "ECONNREFUSED",
        "ENOTFOUND",
        "EAI_AGAIN",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "UND_ERR_CONNECT_TIMEOUT",
        "ERR_TLS",
        "CERT_",
    ];
    BEFORE.iter().any(|code| reason.contains(code))
}

fn response(status: u16, body: &str, retry_after_ms: Option<u64>) -> Outcome {
    let parsed = json::parse(body).ok();
    let success = (200..300).contains(&status);
    if success {
        if let Some(accepted) = parsed.as_ref().and_then(accepted) {
            return accepted;
        }
    }
    if let Some(error) = parsed.as_ref().and_then(meta_error) {
        return if error_is_transient(status, &error) {
            Outcome::Transient {
                reason: error_reason(status, &error),
                error: Some(error),
                retry_after_ms,
                maybe_delivered: false,
            }
        } else {
            Outcome::Rejected {
                http_status: status,
                error,
            }
        };
    }
    if !success && status_is_transient(status) {
        return Outcome::Transient {
            reason: http(status),
            error: None,
            retry_after_ms,
            // A gateway that timed out waiting for Meta may have passed the request on.
            maybe_delivered: status == 504,
        };
    }
    let (error_type, what) = if success {
        (UNEXPECTED_SUCCESS_BODY, ", not Meta's success body")
    } else {
        (HTTP_ERROR_WITHOUT_BODY, " without a Meta error")
    };
    let mut message = http(status);
    message.push_str(what);
    message.push_str(": ");
    message.push_str(&body_excerpt(body));
    Outcome::Rejected {
        http_status: status,
        error: MetaError {
            message: Some(message),
            error_type: Some(error_type.into()),
            ..MetaError::default()
        },
    }
}

fn http(status: u16) -> String {
    let mut s = String::from("HTTP ");
    s.push_str(&decimal(u64::from(status)));
    s
}

/// Server errors, rate limiting and request timeouts.
fn status_is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// Rules 2 to 5 of the module documentation.
fn error_is_transient(status: u16, error: &MetaError) -> bool {
    match error.code {
        Some(code) if is_never_retry_code(code) => false,
        Some(code) if is_retry_code(code) => true,
        _ => error.is_transient == Some(true) || status_is_transient(status),
    }
}

/// "HTTP 400, Meta error 4/2446079: (#4) Application request limit reached".
fn error_reason(status: u16, error: &MetaError) -> String {
    let mut reason = http(status);
    if let Some(code) = error.code {
        reason.push_str(", Meta error ");
        reason.push_str(&signed(code));
        if let Some(sub) = error.error_subcode {
            reason.push('/');
            reason.push_str(&signed(sub));
        }
    } else {
        reason.push_str(", Meta error");
    }
    if error.is_transient == Some(true) {
        reason.push_str(" (is_transient)");
    }
    if let Some(message) = error.message.as_deref().filter(|m| !m.is_empty()) {
        reason.push_str(": ");
        reason.push_str(message);
    }
    reason
}

/// At most this many characters of an unexpected body go into an error message.
const EXCERPT_CHARS: usize = 160;

/// The start of an unexpected body, for the error message. A body that names the secrets (an
/// echo service behind a wrong `graphBaseUrl` returns the request, token included) is not
/// quoted at all.
fn body_excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "empty body".into();
    }
    if body.contains("access_token") || body.contains("appsecret_proof") {
        return "body not shown: it contains the request's secrets".into();
    }
    match body.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => {
            let mut s = body.get(..cut).unwrap_or_default().to_string();
            s.push_str("...");
            s
        }
        None => body.to_string(),
    }
}

/// Meta's success body: `{"events_received": 1, "messages": [], "fbtrace_id": "..."}`.
fn accepted(body: &Json) -> Option<Outcome> {
    let events_received = unsigned(body.get("events_received")?)?;
    let messages = match body.get("messages") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|m| match m {
                Value::String(s) => s.to_string(),
                other => other.to_json(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(Outcome::Accepted {
        events_received,
        fbtrace_id: text(body.get("fbtrace_id")),
        messages,
    })
}

/// `{"error": {...}}` read field by field; `{"error": "text"}` (proxies) as just a message.
/// Meta's texts are made fit for logs here, once, where they enter: Meta echoes what it was sent
/// ("Invalid email jane@x.com"), so contact details are redacted and each is one bounded line.
pub fn meta_error(body: &Json) -> Option<MetaError> {
    match body.get("error")? {
        e @ Value::Object(_) => Some(MetaError {
            message: foreign_text(e.get("message")),
            error_type: text(e.get("type")),
            code: integer(e.get("code")),
            error_subcode: integer(e.get("error_subcode")),
            error_user_title: foreign_text(e.get("error_user_title")),
            error_user_msg: foreign_text(e.get("error_user_msg")),
            fbtrace_id: text(e.get("fbtrace_id")),
            is_transient: match e.get("is_transient") {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
                _ => None,
            },
        }),
        Value::String(s) => Some(MetaError {
            message: Some(foreign_message(s, MAX_FOREIGN_CHARS, &[])),
            ..MetaError::default()
        }),
        _ => None,
    }
}

/// The longest text of Meta's kept in an error (Meta's own are a sentence or two).
const MAX_FOREIGN_CHARS: usize = 500;

fn text(v: Option<&Json>) -> Option<String> {
    v?.as_str().map(str::to_string)
}

fn foreign_text(v: Option<&Json>) -> Option<String> {
    text(v).map(|t| foreign_message(&t, MAX_FOREIGN_CHARS, &[]))
}

/// A whole number written as a JSON number or numeric string ("2.0" and "2e0" count; "2.5",
/// out-of-range values and anything else do not).
fn whole_text(v: &Json) -> Option<(bool, u64)> {
    let t = match v {
        Value::Number(t) | Value::String(t) => t,
        _ => return None,
    };
    let w = whole(t).filter(|w| !w.has_fraction && w.value != u64::MAX)?;
    Some((w.negative && w.value != 0, w.value))
}

fn integer(v: Option<&Json>) -> Option<i64> {
    let (negative, value) = whole_text(v?)?;
    let value = i128::from(value);
    i64::try_from(if negative { -value } else { value }).ok()
}

fn unsigned(v: &Json) -> Option<u64> {
    match whole_text(v)? {
        (false, n) => Some(n),
        (true, _) => None,
    }
}

/// Decimal text of a signed integer (codes are never negative in practice; this cannot panic).
fn signed(n: i64) -> String {
    if n < 0 {
        let mut s = String::from("-");
        s.push_str(&decimal(n.unsigned_abs()));
        s
    } else {
        decimal(n.unsigned_abs())
    }
}

fn signed_json(n: Option<i64>) -> Json {
    n.map_or(Value::Null, |n| Value::Number(signed(n).into()))
}

impl MetaError {
    /// `{message, type, code, error_subcode, error_user_title, error_user_msg, fbtrace_id,
    /// is_transient}`, Meta's own key names, `null` where absent (the shape is always the same).
    pub fn to_json(&self) -> Json {
        Json::object([
            ("message", Json::from(self.message.as_deref())),
            ("type", Json::from(self.error_type.as_deref())),
            ("code", signed_json(self.code)),
            ("error_subcode", signed_json(self.error_subcode)),
            (
                "error_user_title",
                Json::from(self.error_user_title.as_deref()),
            ),
            ("error_user_msg", Json::from(self.error_user_msg.as_deref())),
            ("fbtrace_id", Json::from(self.fbtrace_id.as_deref())),
            ("is_transient", Json::from(self.is_transient)),
        ])
    }
}

impl Outcome {
    /// `{"status": "accepted", "events_received", "fbtrace_id", "messages"}`,
    /// `{"status": "rejected", "httpStatus", "error"}` or
    /// `{"status": "transient", "reason", "retryAfterMs", "maybeDelivered", "error"?}` (`error` only when Meta sent
    /// one; `retryAfterMs` is `null` without a usable Retry-After).
    pub fn to_json(&self) -> Json {
        match self {
            Outcome::Accepted {
                events_received,
                fbtrace_id,
                messages,
            } => Json::object([
                ("status", Json::from("accepted")),
                ("events_received", Json::from(*events_received)),
                ("fbtrace_id", Json::from(fbtrace_id.as_deref())),
                (
                    "messages",
                    Value::Array(messages.iter().map(|m| Json::from(m.as_str())).collect()),
                ),
            ]),
            Outcome::Rejected { http_status, error } => Json::object([
                ("status", Json::from("rejected")),
                ("httpStatus", Json::from(u64::from(*http_status))),
                ("error", error.to_json()),
            ]),
            Outcome::Transient {
                reason,
                error,
                retry_after_ms,
                maybe_delivered,
            } => {
                let mut out = Json::object([
                    ("status", Json::from("transient")),
                    ("reason", Json::from(reason.as_str())),
                    ("retryAfterMs", Json::from(*retry_after_ms)),
                    ("maybeDelivered", Value::Bool(*maybe_delivered)),
                ]);
                if let Some(error) = error {
                    out.set("error", error.to_json());
                }
                out
            }
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Outcome::Transient { .. })
    }
}

/// How long to wait before the next try, or `None` to stop.
///
/// `attempt_number` is the number of tries made so far (1 = after the first; 0 is read as 1).
/// `None` once `attempt_number >= policy.attempts`. Otherwise full-jitter exponential backoff:
/// a uniform pick (by `random`, from JS) in `0..=min(base_delay_ms * 2^(attempt_number - 1),
/// ceiling)`, where the ceiling is `min(max_delay_ms, MAX_DELAY_CAP_MS)` — but never less than
/// `retry_after_ms` (waiting less than the server asked only earns another refusal).
///
/// A Retry-After above the ceiling gives `None`, not a longer wait: the ceiling is the longest
/// the host agreed to hold a request open for one wait, and retrying sooner than asked is
/// pointless, so the events go back to the host now (as a transient failure it may re-send
/// later) instead of after a wait that outlives the request. Raise `retry.maxDelayMs` (up to
/// 60 s) to honour longer Retry-After values.
pub fn next_delay_ms(
    policy: &RetryPolicy,
    attempt_number: u32,
    retry_after_ms: Option<u64>,
    random: u32,
) -> Option<u64> {
    let tried = attempt_number.max(1);
    if tried >= policy.attempts {
        return None;
    }
    let ceiling = policy.max_delay_ms.min(MAX_DELAY_CAP_MS);
    let floor = retry_after_ms.unwrap_or(0);
    if floor > ceiling {
        return None;
    }
    let factor = 1u64.checked_shl(tried - 1).unwrap_or(u64::MAX);
    let backoff = policy.base_delay_ms.saturating_mul(factor).min(ceiling);
    let jittered = u128::from(backoff) * u128::from(random) / u128::from(u32::MAX);
    let jittered = u64::try_from(jittered).unwrap_or(backoff);
    Some(jittered.max(floor))
}

/// The request body with every `access_token` and `appsecret_proof` value (at any depth, every
/// duplicate) replaced by `"[redacted]"`, for returning failed events to the host and for logs.
/// Everything else is written back as parsed: key order and number text are kept, so a body this
/// crate built comes back byte-identical but for the secrets (other JSON loses its whitespace and
/// gets canonical string escapes). A body that is not JSON cannot be redacted reliably and is
/// replaced whole by `"[unreadable body redacted]"`.
pub fn redact_request_body(body: &str) -> String {
    match json::parse(body) {
        Ok(mut value) => {
            redact(&mut value);
            value.to_json()
        }
        Err(_) => "[unreadable body redacted]".into(),
    }
}

/// Keys whose values never leave in a returned body or a log line.
const SECRET_KEYS: [&str; 2] = ["access_token", "appsecret_proof"];

/// Recursion is bounded by the parser's nesting limit.
fn redact(value: &mut Json) {
    match value {
        Value::Object(pairs) => {
            for (key, v) in pairs {
                if SECRET_KEYS.contains(&&**key) {
                    *v = Json::from("[redacted]");
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

impl Attempt {
    /// What JS reports after one fetch: `{"kind": "response", "status", "body", "retryAfter"?}`,
    /// `{"kind": "timeout"}` or `{"kind": "network", "message"}`. Anything else is read as a
    /// network error (a broken host shim must not look like success).
    pub fn from_json(v: &Json) -> Attempt {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match v.get("kind").and_then(Value::as_str) {
            Some("response") => {
                let status = v.get("status").and_then(|s| match s {
                    Value::Number(n) => n.parse::<u16>().ok(),
                    _ => None,
                });
                match status {
                    Some(status) => Attempt::Response {
                        status,
                        body: text("body").unwrap_or_default(),
                        retry_after: text("retryAfter"),
                    },
                    None => Attempt::NetworkError {
                        message: "response without a status".into(),
                    },
                }
            }
            Some("timeout") => Attempt::Timeout,
            _ => Attempt::NetworkError {
                message: text("message").unwrap_or_else(|| "network error".into()),
            },
        }
    }
}

/// What to do after one try: stop with a final state, or wait and try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// `Some(ms)`: sleep, then try again.
    pub retry_in_ms: Option<u64>,
    /// This try or an earlier one of the same request may have reached Meta (see
    /// `Outcome::Transient::maybe_delivered`): giving up is then `unconfirmed`, not `failed`.
    pub unconfirmed: bool,
}

impl Decision {
    /// The final state when there is no retry: accepted, rejected, or — transient, but out of
    /// tries or told to wait longer than the policy allows — unconfirmed (Meta may have the
    /// events) or failed (it cannot have them).
    pub fn final_state(&self) -> Option<&'static str> {
        if self.retry_in_ms.is_some() {
            return None;
        }
        Some(match self.outcome {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Transient { .. } if self.unconfirmed => "unconfirmed",
            Outcome::Transient { .. } => "failed",
        })
    }

    pub fn to_json(&self) -> Json {
        Json::object([
            ("final", Json::from(self.final_state())),
            ("retryInMs", Json::from(self.retry_in_ms)),
            ("outcome", self.outcome.to_json()),
            ("unconfirmed", Value::Bool(self.unconfirmed)),
        ])
    }
}

/// Classify try number `attempt_number` (1 = the first) and decide what comes next.
pub fn decide(
    policy: &RetryPolicy,
    attempt: &Attempt,
    attempt_number: u32,
    now_ms: u64,
    random: u32,
) -> Decision {
    let first = Try {
        number: attempt_number,
        sent: 0,
        earlier_unconfirmed: false,
    };
    decide_try(policy, attempt, first, now_ms, random)
}

/// Which try of a request this was, for `decide_try`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Try {
    /// 1 = the first.
    pub number: u32,
    /// Events in the request (0: do not check Meta's `events_received` against it).
    pub sent: u64,
    /// An earlier try of the same request may have reached Meta.
    pub earlier_unconfirmed: bool,
}

/// `decide` with what the host knows of the request: how many events it carried and whether
/// an earlier try may already have reached Meta.
pub fn decide_try(
    policy: &RetryPolicy,
    attempt: &Attempt,
    tried: Try,
    now_ms: u64,
    random: u32,
) -> Decision {
    let outcome = classify_sent(attempt, now_ms, tried.sent);
    let (retry_in_ms, maybe) = match &outcome {
        Outcome::Transient {
            retry_after_ms,
            maybe_delivered,
            ..
        } => (
            next_delay_ms(policy, tried.number, *retry_after_ms, random),
            *maybe_delivered,
        ),
        _ => (None, false),
    };
    Decision {
        outcome,
        retry_in_ms,
        unconfirmed: maybe || tried.earlier_unconfirmed,
    }
}

/// One status for a run over several pixels: accepted only when every pixel accepted; failed
/// when any request ran out of tries without reaching Meta, else unconfirmed when one may have
/// reached it; rejected otherwise.
pub fn overall_status<'a>(finals: impl IntoIterator<Item = &'a str>) -> &'static str {
    let mut status = "accepted";
    for f in finals {
        match f {
            "accepted" => {}
            "failed" => return "failed",
            "unconfirmed" => status = "unconfirmed",
            _ if status == "accepted" => status = "rejected",
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod decide_tests {
    use super::*;

    fn attempt(text: &str) -> Attempt {
        Attempt::from_json(&json::parse(text).unwrap_or(Value::Null))
    }

    #[test]
    fn decisions_over_a_sequence_of_tries() {
        let policy = RetryPolicy::default();
        let ok = r#"{"kind":"response","status":200,"body":"{\"events_received\":1,\"messages\":[],\"fbtrace_id\":\"A\"}"}"#;
        let d = decide(&policy, &attempt(ok), 1, 0, 7);
        assert_eq!((d.final_state(), d.retry_in_ms), (Some("accepted"), None));

        let busy = r#"{"kind":"response","status":503,"body":"<html>"}"#;
        let d = decide(&policy, &attempt(busy), 1, 0, 7);
        assert_eq!(d.final_state(), None);
        assert!(d.retry_in_ms.is_some_and(|ms| ms <= 200));
        let d = decide(&policy, &attempt(busy), 3, 0, 7);
        assert_eq!((d.final_state(), d.retry_in_ms), (Some("failed"), None));

        let bad = r#"{"kind":"response","status":400,"body":"{\"error\":{\"code\":100,\"error_subcode\":2804003}}"}"#;
        assert_eq!(
            decide(&policy, &attempt(bad), 1, 0, 7).final_state(),
            Some("rejected")
        );

        let slow = r#"{"kind":"response","status":429,"body":"","retryAfter":"2"}"#;
        assert_eq!(
            decide(&policy, &attempt(slow), 1, 0, 7).retry_in_ms,
            Some(2000)
        );
        assert!(decide(&policy, &attempt(r#"{"kind":"timeout"}"#), 1, 0, 7)
            .retry_in_ms
            .is_some());
        assert!(decide(&policy, &attempt("nonsense"), 1, 0, 7)
            .retry_in_ms
            .is_some());
        assert!(matches!(
            attempt(r#"{"kind":"response"}"#),
            Attempt::NetworkError { .. }
        ));
    }

    #[test]
    fn overall_status_of_several_pixels() {
        assert_eq!(overall_status(["accepted", "accepted"]), "accepted");
        assert_eq!(overall_status(["accepted", "rejected"]), "rejected");
        assert_eq!(overall_status(["rejected", "failed", "accepted"]), "failed");
        assert_eq!(overall_status(["rejected", "unconfirmed"]), "unconfirmed");
        assert_eq!(overall_status(["unconfirmed", "rejected"]), "unconfirmed");
    }

    #[test]
    fn what_meta_may_have_is_unconfirmed_not_failed() {
        let policy = RetryPolicy::default();
        let last = |sent, earlier_unconfirmed| Try {
            number: 3,
            sent,
            earlier_unconfirmed,
        };
        let busy = attempt(r#"{"kind":"response","status":503,"body":""}"#);
        let d = decide_try(&policy, &busy, last(1, false), 0, 7);
        assert_eq!(d.final_state(), Some("failed"));
        // A timeout two tries ago may have delivered: the 503 now does not make it "failed".
        let d = decide_try(&policy, &busy, last(1, true), 0, 7);
        assert_eq!(d.final_state(), Some("unconfirmed"));
        let d = decide_try(&policy, &Attempt::Timeout, last(1, false), 0, 7);
        assert_eq!(d.final_state(), Some("unconfirmed"));
        let refused = attempt(r#"{"kind":"network","message":"fetch failed: ECONNREFUSED"}"#);
        let d = decide_try(&policy, &refused, last(1, false), 0, 7);
        assert_eq!(d.final_state(), Some("failed"));
        let reset = attempt(
            r#"{"kind":"network","message":"fetch failed: UND_ERR_SOCKET other side closed"}"#,
        );
        let d = decide_try(&policy, &reset, last(1, false), 0, 7);
        assert_eq!(d.final_state(), Some("unconfirmed"));
    }

    #[test]
    fn fewer_events_received_than_sent_is_not_accepted() {
        let policy = RetryPolicy::default();
        let zero = attempt(
            r#"{"kind":"response","status":200,"body":"{\"events_received\":0,\"fbtrace_id\":\"A\"}"}"#,
        );
        let first = Try {
            number: 1,
            sent: 2,
            earlier_unconfirmed: false,
        };
        let d = decide_try(&policy, &zero, first, 0, 7);
        assert_eq!(d.final_state(), None, "retried");
        assert!(matches!(
            &d.outcome,
            Outcome::Transient { reason, maybe_delivered: true, .. } if reason == "Meta received 0 of 2 events"
        ));
        let d = decide_try(&policy, &zero, Try { number: 3, ..first }, 0, 7);
        assert_eq!(d.final_state(), Some("unconfirmed"));
        let d = decide_try(&policy, &zero, Try { sent: 0, ..first }, 0, 7);
        assert_eq!(
            d.final_state(),
            Some("accepted"),
            "sent 0: no count to check"
        );
    }

    #[test]
    fn contact_details_echoed_by_meta_are_redacted_where_they_enter() {
        let body = r#"{"error":{"message":"Invalid email jane.doe@example.com or phone +1 415 555 0134","code":100,"error_user_msg":"Bad jane.doe@example.com"}}"#;
        let out = classify(
            &Attempt::Response {
                status: 400,
                body: body.into(),
                retry_after: None,
            },
            0,
        );
        let text = out.to_json().to_json();
        assert!(!text.contains("jane.doe"), "{text}");
        assert!(!text.contains("555 0134"), "{text}");
        assert!(text.contains("Invalid email [redacted]"), "{text}");
    }

    #[test]
    fn decision_json_shape() {
        let d = decide(&RetryPolicy::default(), &Attempt::Timeout, 5, 0, 0);
        let j = d.to_json().to_json();
        assert!(
            j.starts_with(
                r#"{"final":"unconfirmed","retryInMs":null,"outcome":{"status":"transient""#
            ),
            "{j}"
        );
    }
}
