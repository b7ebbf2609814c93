use super::*;
use crate::dispatch::{decide, Attempt, RetryPolicy};
use crate::identity::Resolution;
use crate::json::parse;
use crate::payload::Clock;
use crate::tag::Tag;

const NOW: u64 = 1_795_875_760_000;

fn response(status: u16, body: &str) -> Attempt {
    Attempt::Response {
        status,
        body: body.into(),
        retry_after: None,
    }
}

fn decision(attempt: &Attempt, try_number: u32) -> Decision {
    decide(&RetryPolicy::default(), attempt, try_number, 0, 0)
}

/// A tag's build of `event` (JSON text).
fn built(event: &str) -> BuildOutput<'static> {
    let tag = Tag::new(
        &parse(r#"{"pixelId": "1", "accessToken": "t", "consent": {"requireAdStorage": true}}"#)
            .expect("config"),
    );
    let clock = Clock {
        now_ms: NOW,
        entropy: [1; 16],
    };
    tag.build(&parse(event).expect("event"), &Json::Null, clock)
        .into_owned()
}

const GOOD: &str = r#"{"event_name": "page_view", "page_location": "https://x.com/", "user_agent": "UA",
    "ip_override": "81.2.69.9", "user_data": {"email_address": "a@b.co"}, "consent_state": {"ad_storage": "granted"}}"#;

#[test]
fn counts_outcomes_reasons_and_matching_keys() {
    let mut m = Metrics::default();
    m.on_build(&built(GOOD), NOW);
    m.on_build(
        &built(r#"{"event_name": "page_view", "consent_state": {"ad_storage": "denied"}}"#),
        NOW,
    );
    m.on_build(
        &built(
            r#"{"page_location": "https://x.com/", "consent_state": {"ad_storage": "granted"}}"#,
        ),
        NOW,
    );
    assert_eq!(
        (m.events_built, m.events_skipped, m.events_invalid),
        (1, 1, 1)
    );
    let reasons: Vec<&str> = m
        .skipped_by_reason
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(reasons, vec!["consent.denied", "event.event_name_missing"]);
    assert_eq!(m.match_events, 1);
    let present: Vec<&str> = MATCH_KEYS
        .iter()
        .zip(m.match_keys)
        .filter(|(_, n)| *n == 1)
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(
        present,
        vec!["em", "fbp", "client_ip_address", "client_user_agent"]
    );
    let json = m.to_json(NOW).to_json();
    assert!(
        json.starts_with(r#"{"eventsReceived":3,"eventsBuilt":1,"#),
        "{json}"
    );
    assert!(
        json.contains(r#""matchKeys":{"events":1,"em":1,"ph":0,"#),
        "{json}"
    );
}

#[test]
fn counts_tries_errors_with_messages_and_minutes() {
    let mut m = Metrics::default();
    let secrets = vec!["EAAB-secret".to_string()];
    m.on_decision(&decision(&response(503, "down"), 1), "7", 5, NOW, &secrets);
    m.on_decision(
        &decision(&response(200, r#"{"events_received":5}"#), 2),
        "7",
        5,
        NOW,
        &secrets,
    );
    let rejected = r#"{"error":{"code":190,"message":"Invalid OAuth token EAAB-secret\nexpired"}}"#;
    m.on_decision(
        &decision(&response(400, rejected), 1),
        "8",
        2,
        NOW + 60_000,
        &secrets,
    );
    m.on_decision(
        &decision(&Attempt::Timeout, 3),
        "7",
        1,
        NOW + 60_000,
        &secrets,
    );
    assert_eq!(
        m.events_by_pixel,
        vec![
            ("7".to_string(), [5, 0, 0, 1]),
            ("8".to_string(), [0, 2, 0, 0])
        ],
        "per pixel: accepted, rejected, failed, unconfirmed (a timeout: Meta may have it)"
    );
    let text = m.to_prometheus();
    assert!(
        text.contains("omni_meta_capi_pixel_events_total{pixel=\"8\",outcome=\"rejected\"} 2\n"),
        "{text}"
    );
    assert!(m.to_json(NOW).to_json().contains(
        r#""eventsByPixel":{"7":{"accepted":5,"rejected":0,"failed":0,"unconfirmed":1},"8":"#
    ));
    assert_eq!(
        (
            m.events_accepted,
            m.events_rejected,
            m.events_unconfirmed,
            m.requests,
            m.tries,
            m.retries
        ),
        (5, 2, 1, 3, 4, 1)
    );
    let errors: Vec<(&str, u64)> = m
        .errors_by_code
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(errors, vec![("HTTP 503", 1), ("190", 1), ("timeout", 1)]);
    assert_eq!(
        m.error_messages,
        vec![(
            "190".to_string(),
            "Invalid OAuth token [redacted] expired".to_string()
        )]
    );
    let minutes: Vec<(u64, u64, u64, u64)> = m
        .minutes
        .iter()
        .map(|x| (x.accepted, x.rejected, x.failed, x.unconfirmed))
        .collect();
    assert_eq!(minutes, vec![(5, 0, 0, 0), (0, 2, 0, 1)]);
    // The JSON window: 30 minutes ending now, quiet ones as zeros, old ones gone.
    let json = m.to_json(NOW + 60_000);
    let per_minute = json
        .get("perMinute")
        .and_then(Json::as_array)
        .unwrap_or_default();
    assert_eq!(per_minute.len(), MINUTES_KEPT as usize);
    let last = per_minute.last().map(Json::to_json).unwrap_or_default();
    assert_eq!(
        last,
        r#"{"minute":"2026-11-28T14:23:00.000Z","received":0,"accepted":0,"rejected":2,"failed":0,"unconfirmed":1}"#
    );
    let later = m.to_json(NOW + 31 * 60_000);
    let window = later
        .get("perMinute")
        .map(Json::to_json)
        .unwrap_or_default();
    assert!(
        !window.contains(r#""accepted":5"#),
        "a minute older than the window is out"
    );
    m.on_decision(
        &decision(&response(200, r#"{"events_received":1}"#), 1),
        "7",
        1,
        NOW + 40 * 60_000,
        &[],
    );
    assert_eq!(
        m.minutes.len(),
        1,
        "old minutes are dropped as new ones come"
    );
}

#[test]
fn identity_counts() {
    let mut m = Metrics::default();
    let mut out = built(GOOD);
    let outcome = |status, calls, failures: usize, filled: Vec<&'static str>| IdentityOutcome {
        resolution: Resolution {
            status,
            calls,
            failures: vec!["HTTP 500".to_string(); failures],
            ..Resolution::default()
        },
        filled,
    };
    for identity in [
        outcome("resolved", 2, 0, vec!["external_id", "em"]),
        outcome("resolved", 2, 1, vec!["external_id"]),
        outcome("failed", 2, 2, vec![]),
        outcome("cached", 0, 0, vec!["external_id"]),
    ] {
        out.identity = Some(identity);
        m.on_build(&out, NOW);
    }
    assert_eq!(
        (
            m.identity_calls,
            m.identity_call_failures,
            m.identity_enriched
        ),
        (6, 3, 3)
    );
    let json = m.to_json(NOW).to_json();
    assert!(
        json.contains(r#""identityCalls":6,"identityCallFailures":3,"identityEnriched":3,"#)
            && json.contains(r#""identityByStatus":{"resolved":2,"failed":1,"cached":1}"#),
        "{json}"
    );
    let text = m.to_prometheus();
    assert!(text.contains("omni_meta_capi_identity_events_total{status=\"resolved\"} 2\n"));
    assert!(text.contains("omni_meta_capi_identity_calls_total 6\n"));
    assert!(text.contains("omni_meta_capi_identity_enriched_events_total 3\n"));
}

#[test]
fn histograms_and_percentiles() {
    let mut h = Histogram::new(CALL_BUCKETS_MS);
    assert_eq!(h.quantile(500), None);
    for ms in [3, 7, 7, 40, 40, 40, 40, 90, 300, 99_999] {
        h.observe(ms);
    }
    assert_eq!(
        (h.quantile(500), h.quantile(900), h.quantile(990)),
        (Some(50), Some(500), Some(10_000))
    );
    let mut m = Metrics::default();
    m.on_timings(
        &Timings {
            build_ms: 1,
            identity_ms: Some(30),
            dispatch_ms: 700,
            total_ms: 731,
        },
        true,
    );
    m.on_timings(
        &Timings {
            build_ms: 3,
            identity_ms: None,
            dispatch_ms: 20,
            total_ms: 23,
        },
        true,
    );
    let unsent = Timings {
        build_ms: 0,
        identity_ms: None,
        dispatch_ms: 0,
        total_ms: 0,
    };
    m.on_timings(&unsent, false);
    let json = m.to_json(NOW);
    let latency = json.get("latencyMs").map(Json::to_json).unwrap_or_default();
    assert_eq!(
        latency,
        r#"{"build":{"count":3,"p50":1,"p90":5,"p99":5},"identity":{"count":1,"p50":50,"p90":50,"p99":50},"dispatch":{"count":2,"p50":25,"p90":1000,"p99":1000}}"#
    );
    let text = m.to_prometheus();
    assert!(text.contains("omni_meta_capi_dispatch_duration_ms_bucket{le=\"25\"} 1\n"));
    assert!(text.contains("omni_meta_capi_dispatch_duration_ms_bucket{le=\"+Inf\"} 2\n"));
    assert!(text.contains("omni_meta_capi_dispatch_duration_ms_sum 720\n"));
    assert!(
        text.contains("omni_meta_capi_build_duration_ms_count 3\n"),
        "unsent runs count for build only"
    );
    assert!(text.contains("omni_meta_capi_identity_duration_ms_count 1\n"));
}

#[test]
fn several_tags_in_one_exposition_and_json_round_trip() {
    let mut a = Metrics::default();
    a.on_build(&built(GOOD), NOW);
    a.on_decision(&decision(&response(503, "down"), 1), "1", 1, NOW, &[]);
    a.on_decision(
        &decision(&response(200, r#"{"events_received":1}"#), 2),
        "1",
        1,
        NOW,
        &[],
    );
    a.on_timings(
        &Timings {
            build_ms: 2,
            identity_ms: Some(12),
            dispatch_ms: 120,
            total_ms: 134,
        },
        true,
    );
    let mut b = Metrics::default();
    b.on_build(
        &built(r#"{"event_name": "x", "consent_state": {"ad_storage": "denied"}}"#),
        NOW,
    );
    let back = Metrics::from_json(&a.to_json(NOW));
    assert_eq!(
        back.to_prometheus(),
        a.to_prometheus(),
        "to_json -> from_json keeps every exported count"
    );
    assert_eq!(Metrics::from_json(&Json::Null), Metrics::default());

    let text = exposition(&[(Some("main"), &a), (Some("ads \"2\""), &b)]);
    assert_eq!(
        text.matches("# TYPE omni_meta_capi_events_total counter")
            .count(),
        1
    );
    assert!(text.contains("omni_meta_capi_events_total{tag=\"main\",outcome=\"built\"} 1\n"));
    assert!(
        text.contains("omni_meta_capi_events_total{tag=\"ads \\\"2\\\"\",outcome=\"skipped\"} 1\n")
    );
    assert!(text.contains("omni_meta_capi_events_not_built_total{tag=\"ads \\\"2\\\"\",reason=\"consent.denied\"} 1\n"));
    assert!(text.contains("omni_meta_capi_errors_total{tag=\"main\",code=\"HTTP 503\"} 1\n"));
    assert!(text.contains("omni_meta_capi_match_keys_total{tag=\"main\",key=\"em\"} 1\n"));
    assert!(
        text.contains("omni_meta_capi_dispatch_duration_ms_bucket{tag=\"main\",le=\"250\"} 1\n")
    );
    // Each family's samples stay together: no HELP line between a family's tags.
    let events: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("omni_meta_capi_events_total"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(events.len(), 14);
    assert_eq!(events[13] - events[0], 13, "contiguous");
}

#[test]
fn label_values_escape_backslash_quote_and_newline() {
    assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    let m = Metrics::default();
    let text = exposition(&[(Some("shop\nus \\ \"eu\""), &m)]);
    // Every line is a comment or a sample: the newline in the name did not split one.
    assert!(text
        .lines()
        .all(|l| l.starts_with("# ") || l.starts_with("omni_meta_capi_")));
    assert!(text.contains("omni_meta_capi_requests_total{tag=\"shop\\nus \\\\ \\\"eu\\\"\"} 0\n"));
}
