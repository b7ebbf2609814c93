//! What the tag says about a run, per stage: the log records of building, of each try of each
//! request, and the run's timings. Records go through `logging::Logger`, which scrubs tokens,
//! the app secret and plaintext PII at every level.
use crate::delivery::{self, Next};
use crate::dispatch::{Decision, Outcome};
use crate::json::{decimal, Json};
use crate::logging::{
    Logger, PROCESS_BUILD, PROCESS_DISPATCH, PROCESS_IDENTITY, TYPE_ERROR, TYPE_MESSAGE,
    TYPE_REQUEST, TYPE_RESPONSE,
};
use crate::model::config::TagConfig;
use crate::tag::{BuildOutput, IdentityOutcome, Status};

/// Every secret of the config: access tokens, the app secret, the identity and monitor tokens.
pub fn secrets(config: &TagConfig) -> Vec<String> {
    let mut secrets: Vec<String> = config
        .pixels
        .iter()
        .map(|p| p.access_token.clone())
        .collect();
    secrets.extend(config.app_secret.clone());
    secrets.extend(
        config
            .pixels
            .iter()
            .filter_map(|p| p.appsecret_proof.clone()),
    );
    secrets.extend(config.identity.as_ref().map(|i| i.token.clone()));
    secrets.extend(config.error_monitor.as_ref().and_then(|m| m.token.clone()));
    secrets
}

/// A logger at the config's level that also knows the config's secrets (last line of defence).
pub fn logger(config: &TagConfig, trace_id: &str, now_ms: u64) -> Logger {
    Logger::new(config.log_level, trace_id)
        .with_secrets(secrets(config))
        .with_now(now_ms)
}

/// Build stage: DEBUG the report and the final (hashed) payload; INFO what was built, ERROR
/// when the input was invalid.
pub fn log_build(log: &mut Logger, out: &BuildOutput) {
    if let Some(identity) = &out.identity {
        log_identity(log, identity, None);
    }
    log.debug_with(PROCESS_BUILD, TYPE_MESSAGE, || {
        ("validation report".into(), Some(out.report.to_json()))
    });
    if let Some(event) = &out.event {
        log.debug_with(PROCESS_BUILD, TYPE_REQUEST, || {
            (
                "Meta server event (hashed)".into(),
                Some(event.to_owned_json()),
            )
        });
    }
    match out.status {
        // What the result itself says (ready, n requests): DEBUG, not a line per event at
        // INFO (the sends' outcomes are INFO records of their own).
        Status::Ready => log.debug_with(PROCESS_BUILD, TYPE_MESSAGE, || {
            let n = decimal(out.requests.len() as u64);
            (format!("event built: {n} request(s)"), None)
        }),
        Status::Skipped => {
            let why = out.skipped.as_ref().map_or("", |s| s.code);
            log.info(
                PROCESS_BUILD,
                TYPE_MESSAGE,
                &format!("event not sent: {why}"),
                None,
            );
        }
        Status::Invalid => {
            let codes: Vec<&str> = out.report.errors.iter().map(|e| e.code).collect();
            let message = format!("event invalid, not sent: {}", codes.join(", "));
            log.error(
                PROCESS_BUILD,
                TYPE_ERROR,
                &message,
                Some(out.report.to_json()),
            );
        }
    }
}

/// Identity stage: ERROR for each failed call (the event goes on without enrichment); DEBUG how
/// it went and which `user_data` keys identity filled (never the uuid or the journal).
pub fn log_identity(log: &mut Logger, identity: &IdentityOutcome, event_index: Option<usize>) {
    let r = &identity.resolution;
    let which = event_index.map_or(String::new(), |i| format!("event #{}: ", decimal(i as u64)));
    for reason in &r.failures {
        let message =
            format!("{which}identity resolution failed ({reason}): the event is sent without it");
        log.error(PROCESS_IDENTITY, TYPE_ERROR, &message, None);
    }
    log.debug_with(PROCESS_IDENTITY, TYPE_MESSAGE, || {
        let filled = if identity.filled.is_empty() {
            "nothing".to_string()
        } else {
            identity.filled.join(", ")
        };
        let mut data = Json::object([
            ("status", Json::from(r.status)),
            (
                "filled",
                Json::Array(identity.filled.iter().map(|k| Json::from(*k)).collect()),
            ),
        ]);
        if let Some(n) = r.previous_visits {
            data.set("previousVisits", Json::from(n));
        }
        let message = format!("{which}identity {}: filled {filled}", r.status);
        (message, Some(data))
    });
}

/// Batch build: INFO how many events became how many requests; ERROR for the events left out.
pub fn log_batch(log: &mut Logger, out: &crate::batch::BatchOutput) {
    for (i, e) in out.events.iter().enumerate() {
        if let Some(identity) = &e.identity {
            log_identity(log, identity, Some(i));
        }
    }
    let invalid: Vec<String> = out
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.status == Status::Invalid)
        .map(|(i, e)| {
            let codes: Vec<&str> = e.report.errors.iter().map(|x| x.code).collect();
            format!("#{} {}", decimal(i as u64), codes.join("+"))
        })
        .collect();
    let message = format!(
        "batch built: {} event(s) into {} request(s)",
        decimal(out.events.len() as u64),
        decimal(out.requests.len() as u64)
    );
    log.info(PROCESS_BUILD, TYPE_MESSAGE, &message, None);
    if !invalid.is_empty() {
        let message = format!(
            "{} invalid event(s) left out: {}",
            decimal(invalid.len() as u64),
            invalid.join(", ")
        );
        log.error(PROCESS_BUILD, TYPE_ERROR, &message, None);
    }
}

/// The events of a Meta request body (`{"data": [...]}`), in order; none if it does not parse.
pub fn body_data(body: &str) -> Vec<Json> {
    let parsed = crate::json::parse(body).unwrap_or(Json::Null);
    match parsed.get("data") {
        Some(Json::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// The events of a request body this crate built, as `{event_id, event_name}`: what an
/// operator needs to find or replay events that did not get through (no PII: neither is).
pub fn events_of_body(body: &str) -> Vec<Json> {
    body_data(body)
        .iter()
        .map(|e| {
            let field = |k: &str| Json::from(e.get(k).and_then(Json::as_str));
            Json::object([
                ("event_id", field("event_id")),
                ("event_name", field("event_name")),
            ])
        })
        .collect()
}

/// One try of one pixel's request: DEBUG Meta's answer; INFO a retry or the acceptance; ERROR
/// a rejection or giving up, naming the `undelivered` events (see `events_of_body`).
pub fn log_decision(
    log: &mut Logger,
    pixel_id: &str,
    attempt: u32,
    d: &Decision,
    undelivered: &[Json],
) {
    let outcome = d.outcome.to_json();
    let n = decimal(u64::from(attempt));
    log.debug_with(PROCESS_DISPATCH, TYPE_RESPONSE, || {
        let message = format!("pixel {pixel_id}, try {n}: answer");
        (message, Some(outcome.clone()))
    });
    match (d.final_state(), d.retry_in_ms) {
        (None, Some(ms)) => {
            let message = format!(
                "pixel {pixel_id}, try {n}: transient failure, retrying in {} ms",
                decimal(ms)
            );
            log.info(PROCESS_DISPATCH, TYPE_MESSAGE, &message, None);
        }
        (Some("accepted"), _) => {
            log.info(
                PROCESS_DISPATCH,
                TYPE_RESPONSE,
                &format!("pixel {pixel_id}: accepted after {n} try(s)"),
                None,
            );
        }
        (Some(state), _) => {
            let message = format!("pixel {pixel_id}: {state} after {n} try(s)");
            let data = Json::object([
                ("pixel", Json::from(pixel_id)),
                ("state", Json::from(state)),
                ("attempts", Json::from(u64::from(attempt))),
                ("outcome", outcome),
                ("events", Json::Array(undelivered.to_vec())),
            ]);
            log.error(PROCESS_DISPATCH, TYPE_ERROR, &message, Some(data));
        }
        (None, None) => {}
    }
}

/// One try of a queued batch (`crate::delivery`): DEBUG each request's answer, INFO the tally,
/// and an ERROR per dead-letter reason naming the events (event_id, event_name, attempts) an
/// operator can look up and retry (`omni-meta-capi queue list`).
pub fn log_settle(log: &mut Logger, batch: &delivery::Batch, outcomes: &[Outcome], next: &[Next]) {
    for (sent, outcome) in batch.sent.iter().zip(outcomes) {
        log.debug_with(PROCESS_DISPATCH, TYPE_RESPONSE, || {
            let message = format!("pixel {}: answer to a queued batch", sent.pixel_id);
            (message, Some(outcome.to_json()))
        });
    }
    let count = |f: fn(&Next) -> bool| decimal(next.iter().filter(|n| f(n)).count() as u64);
    let message = format!(
        "queued batch: {} delivered, {} to retry, {} split, {} dead-lettered, {} skipped",
        count(|n| matches!(n, Next::Delivered)),
        count(|n| matches!(n, Next::Retry { .. })),
        count(|n| matches!(n, Next::Split)),
        count(|n| matches!(n, Next::Dead { .. })),
        count(|n| matches!(n, Next::Skipped { .. })),
    );
    log.info(PROCESS_DISPATCH, TYPE_MESSAGE, &message, None);
    let mut reasons: Vec<&str> = Vec::new();
    for n in next {
        if let Next::Dead { reason } = n {
            if !reasons.contains(&reason.as_str()) {
                reasons.push(reason);
            }
        }
    }
    for reason in reasons {
        let events: Vec<Json> = next
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n, Next::Dead { reason: r } if r == reason))
            .map(|(i, _)| {
                let (id, name) = batch.names.get(i).cloned().unwrap_or_default();
                let attempts = batch.rows.get(i).map_or(0, |r| r.attempts) + 1;
                Json::object([
                    ("event_id", Json::from(id)),
                    ("event_name", Json::from(name)),
                    ("attempts", Json::from(u64::from(attempts))),
                ])
            })
            .collect();
        let message = format!(
            "{} event(s) dead-lettered: {reason}",
            decimal(events.len() as u64)
        );
        let data = Json::object([
            ("reason", Json::from(reason)),
            ("events", Json::Array(events)),
        ]);
        log.error(PROCESS_DISPATCH, TYPE_ERROR, &message, Some(data));
    }
}

// How long each stage took: counted by `crate::metrics`, logged here.
pub use crate::metrics::Timings;

/// The run's execution time and each stage's.
pub fn log_timings(log: &mut Logger, status: &str, t: Timings) {
    log.timing(PROCESS_BUILD, t.build_ms);
    if let Some(ms) = t.identity_ms {
        log.timing(PROCESS_IDENTITY, ms);
    }
    log.timing(PROCESS_DISPATCH, t.dispatch_ms);
    let mut data = Json::object([
        ("status", Json::from(status)),
        ("buildMs", Json::from(t.build_ms)),
        ("dispatchMs", Json::from(t.dispatch_ms)),
        ("totalMs", Json::from(t.total_ms)),
    ]);
    if let Some(ms) = t.identity_ms {
        data.set("identityMs", Json::from(ms));
    }
    let total_ms = t.total_ms;
    log.info(
        PROCESS_DISPATCH,
        TYPE_MESSAGE,
        &format!("run {status} in {} ms", decimal(total_ms)),
        Some(data),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{decide, Attempt, RetryPolicy};
    use crate::json::parse;
    use crate::model::config::LogLevel;
    use crate::payload::Clock;
    use crate::tag::Tag;

    const SECRET_CONFIG: &str = r#"{"pixelId": "1", "accessToken": "EAAB-very-secret", "appSecret": "app-secret-42", "logLevel": "DEBUG"}"#;
    const EVENT: &str = r#"{"event_name": "purchase", "value": 1, "currency": "EUR", "page_location": "https://x.com/",
        "user_agent": "UA", "user_data": {"email_address": "jane.doe@example.com", "phone_number": "+1 415 555 0134",
        "address": {"first_name": "Janette", "city": "Springfield"}}}"#;

    #[test]
    fn no_level_shows_tokens_secrets_or_plaintext_pii() {
        for level in ["DEBUG", "INFO", "ERROR"] {
            let config = SECRET_CONFIG.replace("DEBUG", level);
            let tag = Tag::new(&parse(&config).expect("config"));
            let clock = Clock {
                now_ms: 1_764_331_200_000,
                entropy: [1; 16],
            };
            let event = parse(EVENT).expect("event");
            let out = tag.build(&event, &Json::Null, clock);
            let mut log = logger(tag.config(), "trace-1", clock.now_ms);
            log_build(&mut log, &out);
            let rejected = Attempt::Response {
                status: 400,
                body: r#"{"error":{"message":"bad token EAAB-very-secret","code":190}}"#.into(),
                retry_after: None,
            };
            let d = decide(&RetryPolicy::default(), &rejected, 1, clock.now_ms, 0);
            log_decision(&mut log, "1", 1, &d, &[]);
            let timings = Timings {
                build_ms: 1,
                identity_ms: Some(2),
                dispatch_ms: 3,
                total_ms: 6,
            };
            log_timings(&mut log, "rejected", timings);
            let text = log.into_json().to_json();
            for secret in [
                "EAAB-very-secret",
                "app-secret-42",
                "jane.doe",
                "example.com\"",
                "415",
                "Janette",
                "Springfield",
            ] {
                assert!(!text.contains(secret), "{level}: {secret} in {text}");
            }
            assert!(text.contains("\"traceId\":\"trace-1\""));
            assert_eq!(text.contains("\"level\":\"DEBUG\""), level == "DEBUG");
            assert!(
                text.contains("\"level\":\"ERROR\""),
                "{level}: the rejection is an error"
            );
        }
    }

    #[test]
    fn levels_and_messages() {
        let tag = Tag::new(&parse(SECRET_CONFIG).expect("config"));
        assert_eq!(tag.config().log_level, LogLevel::Debug);
        let mut log = logger(tag.config(), "t", 0);
        let retry = decide(&RetryPolicy::default(), &Attempt::Timeout, 1, 0, 0);
        log_decision(&mut log, "1", 1, &retry, &[]);
        let text = log.into_json().to_json();
        assert!(text.contains("transient failure, retrying in"), "{text}");
    }
}
