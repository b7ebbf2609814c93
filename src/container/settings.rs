//! The container config's trust and delivery keys: `eventTokens`, `eventSigningSecret`,
//! `eventAuth`, `trustProxy`, `rateLimit`, `queue`. Each is read with errors naming the key; the
//! environment (`EVENT_TOKENS`, `EVENT_SIGNING_SECRET`) adds to what the config says.
use super::{env_text, EventAuth, QueueSettings, Rate, ENV_EVENT_SIGNING_SECRET, ENV_EVENT_TOKENS};
use super::{limits, DEFAULT_QUEUE_MAX_EVENTS};
use crate::config::Reader;
use crate::delivery::{QueuePolicy, DAY_MS};
use crate::json::Json;

/// `trustProxy`: `true` (one proxy, e.g. a load balancer), a number of proxies, or `false`.
pub fn trust_proxy(r: &mut Reader) -> u32 {
    match r.raw("trustProxy") {
        Some(Json::Bool(b)) => u32::from(*b),
        Some(_) => r
            .ranged("trustProxy", 0, 10)
            .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
        None => 0,
    }
}

/// `eventTokens` (a list, or one comma-separated string) plus `EVENT_TOKENS`;
/// `eventSigningSecret` or `EVENT_SIGNING_SECRET`; `eventAuth: "none"` to open `/event`.
pub fn event_auth(r: &mut Reader, env: &Json) -> EventAuth {
    let mut tokens = Vec::new();
    match r.raw("eventTokens").cloned() {
        None => {}
        Some(Json::String(s)) => tokens.extend(split_list(&s)),
        Some(Json::Array(items)) if items.iter().all(|i| i.as_str().is_some()) => {
            tokens.extend(items.iter().filter_map(Json::as_str).flat_map(split_list));
        }
        Some(_) => {
            let message = "eventTokens must be a list of tokens (or one comma-separated string)";
            r.report()
                .error("config.invalid_type", "eventTokens", message);
        }
    }
    if let Some(list) = env_text(env, ENV_EVENT_TOKENS) {
        tokens.extend(split_list(&list));
    }
    tokens.dedup();
    if let Some(short) = tokens.iter().find(|t| t.len() < 16) {
        let message = format!(
            "an event token of {} characters is easy to guess: use 16 or more (e.g. openssl rand -hex 24)",
            short.len()
        );
        r.report()
            .warn("config.event_token_short", "eventTokens", message);
    }
    let signing_secret = r
        .string("eventSigningSecret")
        .or_else(|| env_text(env, ENV_EVENT_SIGNING_SECRET));
    let open = r.choice("eventAuth", &["required", "none"]) == Some("none");
    EventAuth::new(tokens, signing_secret, open)
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// `rateLimit`: `false` turns limits off; `{perMinute, burst}` for browsers (per client IP) and
/// `{backend: {perMinute, burst}}` for `/event` callers (per token).
pub fn rate_limits(r: &mut Reader) -> (Option<Rate>, Option<Rate>) {
    let defaults = (Some(limits::BROWSER_DEFAULT), Some(limits::BACKEND_DEFAULT));
    match r.raw("rateLimit") {
        None => return defaults,
        Some(Json::Bool(false)) => return (None, None),
        Some(Json::Bool(true)) => return defaults,
        _ => {}
    }
    let Some(pairs) = r.object("rateLimit") else {
        return defaults;
    };
    let mut inner = Reader::new(&pairs, "rateLimit.", r.report());
    inner.unknown_keys(&["perMinute", "burst", "backend"]);
    let browser = rate(&mut inner, limits::BROWSER_DEFAULT);
    let backend = match inner.object("backend") {
        Some(b) => {
            let mut nested = Reader::new(&b, "rateLimit.backend.", inner.report());
            nested.unknown_keys(&["perMinute", "burst"]);
            rate(&mut nested, limits::BACKEND_DEFAULT)
        }
        None => limits::BACKEND_DEFAULT,
    };
    (Some(browser), Some(backend))
}

fn rate(r: &mut Reader, default: Rate) -> Rate {
    Rate {
        per_minute: r
            .ranged("perMinute", 1, 100_000_000)
            .unwrap_or(default.per_minute),
        burst: r.ranged("burst", 1, 10_000_000).unwrap_or(default.burst),
    }
}

/// `queue: {path, maxEvents, baseDelayMs, maxDelayMs, maxAgeHours, synchronous}`.
pub fn queue_settings(r: &mut Reader) -> QueueSettings {
    let defaults = QueuePolicy::default();
    let mut settings = QueueSettings {
        path: None,
        max_events: DEFAULT_QUEUE_MAX_EVENTS,
        policy: defaults,
        synchronous: "normal",
    };
    let Some(pairs) = r.object("queue") else {
        return settings;
    };
    let mut q = Reader::new(&pairs, "queue.", r.report());
    q.unknown_keys(&[
        "path",
        "maxEvents",
        "baseDelayMs",
        "maxDelayMs",
        "maxAgeHours",
        "synchronous",
    ]);
    settings.path = q.string("path");
    settings.max_events = q
        .ranged("maxEvents", 1, 100_000_000)
        .unwrap_or(DEFAULT_QUEUE_MAX_EVENTS);
    settings.policy = QueuePolicy {
        base_delay_ms: q
            .ranged("baseDelayMs", 1, 3_600_000)
            .unwrap_or(defaults.base_delay_ms),
        max_delay_ms: q
            .ranged("maxDelayMs", 1, DAY_MS)
            .unwrap_or(defaults.max_delay_ms),
        max_age_ms: q
            .ranged("maxAgeHours", 1, 7 * 24)
            .map_or(defaults.max_age_ms, |h| h * 3_600_000),
    };
    settings.synchronous = q
        .choice("synchronous", &["normal", "full"])
        .unwrap_or("normal");
    settings
}
