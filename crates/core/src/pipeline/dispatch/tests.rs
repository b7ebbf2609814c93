use super::*;
use crate::config::retry_policy_from_config;
use crate::json::parse;
use crate::report::Report;

/// 2015-10-21T07:28:00Z.
const OCT_21_2015_MS: u64 = 1_445_412_480_000;

fn response(status: u16, body: &str) -> Attempt {
    Attempt::Response {
        status,
        body: body.into(),
        retry_after: None,
    }
}

fn with_retry_after(status: u16, body: &str, header: &str) -> Attempt {
    Attempt::Response {
        status,
        body: body.into(),
        retry_after: Some(header.into()),
    }
}

fn error_body(code: i64, extra: &str) -> String {
    format!(
        r#"{{"error":{{"message":"m","type":"OAuthException","code":{code}{extra},"fbtrace_id":"T"}}}}"#
    )
}

/// "accepted", "rejected" or "transient".
fn kind(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Accepted { .. } => "accepted",
        Outcome::Rejected { .. } => "rejected",
        Outcome::Transient { .. } => "transient",
    }
}

fn error_of(outcome: &Outcome) -> Option<&MetaError> {
    match outcome {
        Outcome::Rejected { error, .. } => Some(error),
        Outcome::Transient { error, .. } => error.as_ref(),
        Outcome::Accepted { .. } => None,
    }
}

const REAL_2804003: &str = r#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003,"is_transient":false,"error_user_title":"Event Timestamp Too Old","error_user_msg":"The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.","fbtrace_id":"A1b2C3"}}"#;

#[test]
fn classification_table() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let code = |c: i64| error_body(c, "");
    let cases: Vec<(&str, Attempt, &str)> = vec![
        (
            "success",
            response(
                200,
                r#"{"events_received":2,"messages":[],"fbtrace_id":"AbC"}"#,
            ),
            "accepted",
        ),
        ("real 2804003", response(400, REAL_2804003), "rejected"),
        (
            "190/463 expired token",
            response(400, &error_body(190, r#","error_subcode":463"#)),
            "rejected",
        ),
        (
            "190 on a 500",
            response(500, &error_body(190, "")),
            "rejected",
        ),
        (
            "100/33 unknown object",
            response(
                400,
                r#"{"error":{"message":"Unsupported post request. Object with ID '1' does not exist","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"x"}}"#,
            ),
            "rejected",
        ),
        ("code 1", response(500, &code(1)), "transient"),
        ("code 1 on a 400", response(400, &code(1)), "transient"),
        ("code 2", response(400, &code(2)), "transient"),
        ("code 4", response(400, &code(4)), "transient"),
        (
            "code 17/2446079",
            response(400, &error_body(17, r#","error_subcode":2446079"#)),
            "transient",
        ),
        ("code 341", response(400, &code(341)), "transient"),
        (
            "code 613/1487742",
            response(400, &error_body(613, r#","error_subcode":1487742"#)),
            "transient",
        ),
        ("code 80003", response(400, &code(80003)), "transient"),
        ("code 80000", response(400, &code(80000)), "transient"),
        ("code 80014", response(400, &code(80014)), "transient"),
        ("code 80015", response(400, &code(80015)), "rejected"),
        ("code 368", response(403, &code(368)), "transient"),
        (
            "retry code beats is_transient false",
            response(400, &error_body(4, r#","is_transient":false"#)),
            "transient",
        ),
        (
            "is_transient true on code 100",
            response(400, &error_body(100, r#","is_transient":true"#)),
            "rejected",
        ),
        (
            "is_transient true, 100 on a 503",
            response(503, &error_body(100, r#","is_transient":true"#)),
            "rejected",
        ),
        (
            "code 100 on a 429",
            response(429, &error_body(100, "")),
            "rejected",
        ),
        (
            "is_transient true on an unknown code",
            response(400, &error_body(12345, r#","is_transient":true"#)),
            "transient",
        ),
        (
            "unknown code on a 400",
            response(400, &error_body(12345, "")),
            "rejected",
        ),
        (
            "unknown code on a 500 with is_transient false",
            response(500, &error_body(12345, r#","is_transient":false"#)),
            "transient",
        ),
        ("permissions 200", response(500, &code(200)), "rejected"),
        ("permissions 10", response(400, &code(10)), "rejected"),
        ("5xx HTML body", response(502, html), "transient"),
        ("5xx empty body", response(503, ""), "transient"),
        ("429 no body", response(429, ""), "transient"),
        ("408", response(408, "timeout"), "transient"),
        ("404 HTML", response(404, "<h1>Not Found</h1>"), "rejected"),
        ("301", response(301, ""), "rejected"),
        ("timeout", Attempt::Timeout, "transient"),
        (
            "network error",
            Attempt::NetworkError {
                message: "fetch failed".into(),
            },
            "transient",
        ),
        ("non-JSON 2xx", response(200, "OK"), "rejected"),
        (
            "2xx JSON without events_received",
            response(200, "{}"),
            "rejected",
        ),
        (
            "2xx negative events_received",
            response(200, r#"{"events_received":-1}"#),
            "rejected",
        ),
        (
            "2xx fractional events_received",
            response(200, r#"{"events_received":1.5}"#),
            "rejected",
        ),
        (
            "2xx carrying a Meta error",
            response(200, &error_body(100, "")),
            "rejected",
        ),
        (
            "2xx carrying a transient Meta error",
            response(200, &code(2)),
            "transient",
        ),
        (
            "string error from a proxy on a 400",
            response(400, r#"{"error":"bad gateway config"}"#),
            "rejected",
        ),
        (
            "string error from a proxy on a 502",
            response(502, r#"{"error":"upstream down"}"#),
            "transient",
        ),
    ];
    for (name, attempt, want) in &cases {
        let got = classify(attempt, OCT_21_2015_MS);
        assert_eq!(kind(&got), *want, "{name}: {got:?}");
    }
}

#[test]
fn success_body_is_read() {
    let out = classify(
        &response(
            200,
            r#"{"events_received":1,"messages":["note",7],"fbtrace_id":"AbC"}"#,
        ),
        0,
    );
    assert_eq!(
        out,
        Outcome::Accepted {
            events_received: 1,
            fbtrace_id: Some("AbC".into()),
            messages: vec!["note".into(), "7".into()],
        }
    );
    // Only events_received is required.
    let out = classify(&response(201, r#"{"events_received":"3"}"#), 0);
    assert_eq!(
        out,
        Outcome::Accepted {
            events_received: 3,
            fbtrace_id: None,
            messages: vec![],
        }
    );
}

#[test]
fn meta_error_is_read_field_by_field() {
    let out = classify(&response(400, REAL_2804003), 0);
    assert_eq!(
        out,
        Outcome::Rejected {
            http_status: 400,
            error: MetaError {
                message: Some("Invalid parameter".into()),
                error_type: Some("OAuthException".into()),
                code: Some(100),
                error_subcode: Some(2_804_003),
                error_user_title: Some("Event Timestamp Too Old".into()),
                error_user_msg: Some("The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.".into()),
                fbtrace_id: Some("A1b2C3".into()),
                is_transient: Some(false),
            }
        }
    );
    // Wrong-typed fields are absent, not errors.
    let out = classify(
        &response(
            400,
            r#"{"error":{"message":5,"code":"4","error_subcode":1.5,"is_transient":"true","fbtrace_id":null}}"#,
        ),
        0,
    );
    assert_eq!(
        error_of(&out),
        Some(&MetaError {
            code: Some(4),
            is_transient: Some(true),
            ..MetaError::default()
        })
    );
}

#[test]
fn transient_reasons_name_the_cause() {
    let reason = |a: &Attempt| match classify(a, 0) {
        Outcome::Transient { reason, .. } => reason,
        other => panic!("not transient: {other:?}"),
    };
    assert_eq!(reason(&Attempt::Timeout), "timeout");
    assert_eq!(
        reason(&Attempt::NetworkError {
            message: " ECONNRESET ".into()
        }),
        "network error: ECONNRESET"
    );
    assert_eq!(
        reason(&Attempt::NetworkError {
            message: String::new()
        }),
        "network error"
    );
    assert_eq!(reason(&response(503, "<html>")), "HTTP 503");
    assert_eq!(
        reason(&response(
            400,
            r#"{"error":{"message":"(#4) Application request limit reached","code":4,"error_subcode":2446079}}"#
        )),
        "HTTP 400, Meta error 4/2446079: (#4) Application request limit reached"
    );
    assert_eq!(
        reason(&response(
            400,
            r#"{"error":{"message":"Try later","code":999,"is_transient":true}}"#
        )),
        "HTTP 400, Meta error 999 (is_transient): Try later"
    );
}

#[test]
fn synthetic_errors_for_unexpected_bodies() {
    let out = classify(&response(200, "OK"), 0);
    assert_eq!(
        out,
        Outcome::Rejected {
            http_status: 200,
            error: MetaError {
                message: Some("HTTP 200, not Meta's success body: OK".into()),
                error_type: Some(UNEXPECTED_SUCCESS_BODY.into()),
                ..MetaError::default()
            }
        }
    );
    let out = classify(&response(404, "  "), 0);
    assert_eq!(
        error_of(&out).and_then(|e| e.message.as_deref()),
        Some("HTTP 404 without a Meta error: empty body")
    );
    assert_eq!(
        error_of(&out).and_then(|e| e.error_type.as_deref()),
        Some(HTTP_ERROR_WITHOUT_BODY)
    );
    // Long bodies are cut (on a character boundary), echoed secrets never quoted.
    let long = "é".repeat(500);
    let out = classify(&response(200, &long), 0);
    let message = error_of(&out)
        .and_then(|e| e.message.clone())
        .unwrap_or_default();
    assert!(message.ends_with("..."), "{message}");
    assert_eq!(message.chars().filter(|c| *c == 'é').count(), 160);
    let echo = r#"{"json":{"data":[],"access_token":"EAAsecret"}}"#;
    let out = classify(&response(200, echo), 0);
    let message = error_of(&out)
        .and_then(|e| e.message.clone())
        .unwrap_or_default();
    assert!(!message.contains("EAAsecret"), "{message}");
}

#[test]
fn retry_after_seconds_and_dates() {
    let after = |a: &Attempt| match classify(a, OCT_21_2015_MS) {
        Outcome::Transient { retry_after_ms, .. } => retry_after_ms,
        other => panic!("not transient: {other:?}"),
    };
    assert_eq!(after(&with_retry_after(429, "", "7")), Some(7000));
    assert_eq!(after(&with_retry_after(429, "", " 0 ")), Some(0));
    assert_eq!(
        after(&with_retry_after(429, "", "Wed, 21 Oct 2015 07:28:30 GMT")),
        Some(30_000)
    );
    assert_eq!(
        after(&with_retry_after(503, "", "Wed, 21 Oct 2015 07:27:00 GMT")),
        Some(0),
        "a date in the past means now"
    );
    assert_eq!(
        after(&with_retry_after(400, &error_body(4, ""), "2")),
        Some(2000),
        "Retry-After also rides on throttling errors"
    );
    assert_eq!(after(&with_retry_after(429, "", "soon")), None);
    assert_eq!(after(&with_retry_after(429, "", "-5")), None);
    assert_eq!(after(&with_retry_after(429, "", "1.5")), None);
    assert_eq!(after(&response(429, "")), None);
    assert_eq!(
        retry_after_ms("99999999999999999999999", 0),
        Some(u64::MAX),
        "huge values saturate"
    );
}

#[test]
fn http_dates_in_all_three_forms() {
    assert_eq!(
        http_date_ms("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(OCT_21_2015_MS)
    );
    assert_eq!(
        http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        http_date_ms("Sun Nov  6 08:49:37 1994"),
        Some(784_111_777_000)
    );
    assert_eq!(
        http_date_ms("thu, 29 feb 2024 23:59:59 gmt"),
        Some(1_709_251_199_000)
    );
    assert_eq!(
        http_date_ms("Wed, 01 Mar 2000 00:00:00 GMT"),
        Some(951_868_800_000)
    );
    assert_eq!(http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    for bad in [
        "",
        "GMT",
        "Wed, 21 Oct 2015",
        "Wed, 21 Oct 2015 07:28 GMT",
        "Wed, 21 Foo 2015 07:28:00 GMT",
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "Thu, 29 Feb 2023 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:00:00 GMT",
        "Wed, 21 Oct 2015 07:60:00 GMT",
        "Wed, 21 Oct 2015 07:28:00 CET",
        "Wed, 21 Oct 2015 07:28:00 +0100",
        "Wed, 21 Oct 1969 07:28:00 GMT",
        "Wed, 21 Oct 215 07:28:00 GMT",
        "Wed, 21 Oct 2015 2016 07:28:00 GMT",
        "Wed, 21 Oct Nov 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 07:28:00 07:28:00 GMT",
        "2015-10-21T07:28:00Z",
        "Wed, 21 Oct 2015 07:28:00:00 GMT",
        "Wed, 21 Oct 2015 7:28:00 GMT",
        "Wed, 21 Oct 2015 07:28:0é GMT",
    ] {
        assert_eq!(http_date_ms(bad), None, "{bad}");
    }
}

#[test]
fn backoff_stays_within_bounds_for_any_random() {
    let policy = RetryPolicy::default();
    let randoms = (0..=u32::MAX)
        .step_by(9_973_331)
        .chain([0, 1, u32::MAX - 1, u32::MAX]);
    for random in randoms {
        for attempt in 1..policy.attempts {
            let cap = (policy.base_delay_ms << (attempt - 1)).min(policy.max_delay_ms);
            let d = next_delay_ms(&policy, attempt, None, random);
            assert!(d.is_some_and(|d| d <= cap), "{attempt} {random} {d:?}");
            for ra in [0, 1, 150, 1000, 4999, 5000] {
                let d = next_delay_ms(&policy, attempt, Some(ra), random);
                assert!(
                    d.is_some_and(|d| d >= ra && d <= policy.max_delay_ms),
                    "{attempt} {random} {ra} {d:?}"
                );
            }
        }
        assert_eq!(next_delay_ms(&policy, policy.attempts, None, random), None);
        assert_eq!(
            next_delay_ms(&policy, policy.attempts + 5, Some(0), random),
            None
        );
    }
}

#[test]
fn backoff_is_exponential_capped_and_full_jitter() {
    let policy = RetryPolicy {
        attempts: 10,
        base_delay_ms: 100,
        max_delay_ms: 1000,
        timeout_ms: 1500,
    };
    let top: Vec<_> = (1..10)
        .map(|a| next_delay_ms(&policy, a, None, u32::MAX))
        .collect();
    assert_eq!(
        top,
        [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000].map(Some)
    );
    assert_eq!(next_delay_ms(&policy, 10, None, u32::MAX), None);
    assert_eq!(next_delay_ms(&policy, 3, None, 0), Some(0));
    assert_eq!(next_delay_ms(&policy, 3, None, u32::MAX / 2), Some(199));
    assert_eq!(
        next_delay_ms(&policy, 0, None, u32::MAX),
        Some(100),
        "0 counts as 1"
    );
    // Retry-After is a floor, and one beyond the ceiling means give up.
    assert_eq!(next_delay_ms(&policy, 1, Some(700), 0), Some(700));
    assert_eq!(next_delay_ms(&policy, 1, Some(1000), 0), Some(1000));
    assert_eq!(next_delay_ms(&policy, 1, Some(1001), u32::MAX), None);
    // The absolute cap holds even for hand-built policies; nothing overflows.
    let wild = RetryPolicy {
        attempts: u32::MAX,
        base_delay_ms: u64::MAX,
        max_delay_ms: u64::MAX,
        timeout_ms: 0,
    };
    for attempt in [1, 2, 63, 64, 65, 1000, u32::MAX - 1] {
        let d = next_delay_ms(&wild, attempt, None, u32::MAX);
        assert_eq!(d, Some(MAX_DELAY_CAP_MS), "{attempt}");
    }
    assert_eq!(next_delay_ms(&wild, 1, Some(MAX_DELAY_CAP_MS + 1), 0), None);
    let never = RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    };
    assert_eq!(next_delay_ms(&never, 1, None, 5), None);
    let zero = RetryPolicy {
        attempts: 0,
        ..RetryPolicy::default()
    };
    assert_eq!(next_delay_ms(&zero, 0, None, 5), None);
}

fn read_policy(text: &str) -> (RetryPolicy, Report) {
    let value = parse(text).expect("test JSON parses");
    let mut report = Report::default();
    let policy = retry_policy_from_config(value.as_object().unwrap_or_default(), &mut report);
    (policy, report)
}

#[test]
fn config_defaults() {
    let (p, r) = read_policy(r#"{"pixelId": "1", "accessToken": "t"}"#);
    assert_eq!(p, RetryPolicy::default());
    assert_eq!(
        p,
        RetryPolicy {
            attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 5000,
            timeout_ms: 1500
        }
    );
    assert_eq!(r, Report::default());
    let (p, r) = read_policy(r#"{"timeoutMs": null, "retry": null}"#);
    assert_eq!(p, RetryPolicy::default());
    assert!(r.is_valid());
    let (p, r) = read_policy(r#"{"retry": {}}"#);
    assert_eq!(p, RetryPolicy::default());
    assert!(r.is_valid());
}

#[test]
fn config_values_are_read() {
    let (p, r) = read_policy(
        r#"{"timeoutMs": 2500, "retry": {"attempts": "5", "baseDelayMs": 0, "maxDelayMs": 6e4}}"#,
    );
    assert_eq!(r, Report::default());
    assert_eq!(
        p,
        RetryPolicy {
            attempts: 5,
            base_delay_ms: 0,
            max_delay_ms: 60_000,
            timeout_ms: 2500
        }
    );
    let (p, r) = read_policy(r#"{"timeoutMs": "1", "retry": {"attempts": 1.0}}"#);
    assert!(r.is_valid());
    assert_eq!((p.timeout_ms, p.attempts), (1, 1));
    let (p, r) = read_policy(r#"{"timeoutMs": 60000, "retry": {"attempts": 10}}"#);
    assert!(r.is_valid());
    assert_eq!((p.timeout_ms, p.attempts), (60_000, 10));
    // The last of duplicate keys wins, as in JSON.parse.
    let (p, _) = read_policy(r#"{"retry": {"attempts": 2, "attempts": 4}}"#);
    assert_eq!(p.attempts, 4);
}

#[test]
fn config_wrong_types_name_the_key() {
    let (p, r) = read_policy(
        r#"{"timeoutMs": true, "retry": {"attempts": "three", "baseDelayMs": [1], "maxDelayMs": 1.5}}"#,
    );
    assert_eq!(p, RetryPolicy::default());
    assert_eq!(
        r.pairs(),
        vec![
            ("config.invalid_type", "timeoutMs"),
            ("config.invalid_type", "retry.attempts"),
            ("config.invalid_type", "retry.baseDelayMs"),
            ("config.invalid_type", "retry.maxDelayMs"),
        ]
    );
    let messages: Vec<_> = r.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "timeoutMs must be an integer (got a boolean)",
            "retry.attempts must be an integer (got \"three\")",
            "retry.baseDelayMs must be an integer (got an array)",
            "retry.maxDelayMs must be an integer (got \"1.5\")",
        ]
    );
    let (p, r) = read_policy(r#"{"retry": 3}"#);
    assert_eq!(p, RetryPolicy::default());
    assert_eq!(r.pairs(), vec![("config.invalid_type", "retry")]);
    assert_eq!(
        r.errors[0].message,
        "retry must be an object (got a number)"
    );
}

#[test]
fn config_out_of_range_values() {
    for (text, field) in [
        (r#"{"timeoutMs": 0}"#, "timeoutMs"),
        (r#"{"timeoutMs": 60001}"#, "timeoutMs"),
        (r#"{"timeoutMs": -5}"#, "timeoutMs"),
        (r#"{"timeoutMs": 1e30}"#, "timeoutMs"),
        (r#"{"retry": {"attempts": 0}}"#, "retry.attempts"),
        (r#"{"retry": {"attempts": 11}}"#, "retry.attempts"),
        (r#"{"retry": {"attempts": -1}}"#, "retry.attempts"),
        (r#"{"retry": {"baseDelayMs": 60001}}"#, "retry.baseDelayMs"),
        (r#"{"retry": {"maxDelayMs": 99999999}}"#, "retry.maxDelayMs"),
        (r#"{"retry": {"baseDelayMs": 6000}}"#, "retry.baseDelayMs"),
        (
            r#"{"retry": {"baseDelayMs": 300, "maxDelayMs": 100}}"#,
            "retry.baseDelayMs",
        ),
    ] {
        let (p, r) = read_policy(text);
        assert_eq!(r.pairs(), vec![("config.invalid_value", field)], "{text}");
        assert_eq!(p, RetryPolicy::default(), "{text}");
    }
    let (_, r) = read_policy(r#"{"retry": {"attempts": 11}}"#);
    assert_eq!(
        r.errors[0].message,
        "retry.attempts must be between 1 and 10 (got 11)"
    );
    let (_, r) = read_policy(r#"{"retry": {"baseDelayMs": 300, "maxDelayMs": 100}}"#);
    assert_eq!(
        r.errors[0].message,
        "retry.baseDelayMs (300) must not exceed retry.maxDelayMs (100)"
    );
}

#[test]
fn config_unknown_retry_keys_warn() {
    let (p, r) = read_policy(r#"{"retry": {"attempt": 5, "attempts": 2}}"#);
    assert!(r.is_valid());
    assert_eq!(p.attempts, 2);
    assert_eq!(r.pairs(), vec![("config.unknown_key", "retry.attempt")]);
}

#[test]
fn outcome_json_shapes() {
    let accepted = Outcome::Accepted {
        events_received: 2,
        fbtrace_id: Some("AbC".into()),
        messages: vec!["m\"1".into()],
    };
    assert_eq!(
        accepted.to_json().to_json(),
        r#"{"status":"accepted","events_received":2,"fbtrace_id":"AbC","messages":["m\"1"]}"#
    );
    let rejected = classify(&response(400, REAL_2804003), 0);
    assert_eq!(
        rejected.to_json().to_json(),
        r#"{"status":"rejected","httpStatus":400,"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003,"error_user_title":"Event Timestamp Too Old","error_user_msg":"The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.","fbtrace_id":"A1b2C3","is_transient":false}}"#
    );
    assert_eq!(
        classify(&Attempt::Timeout, 0).to_json().to_json(),
        r#"{"status":"transient","reason":"timeout","retryAfterMs":null,"maybeDelivered":true}"#
    );
    let throttled = classify(&with_retry_after(429, r#"{"error":{"code":4}}"#, "3"), 0);
    assert_eq!(
        throttled.to_json().to_json(),
        r#"{"status":"transient","reason":"HTTP 429, Meta error 4","retryAfterMs":3000,"maybeDelivered":false,"error":{"message":null,"type":null,"code":4,"error_subcode":null,"error_user_title":null,"error_user_msg":null,"fbtrace_id":null,"is_transient":null}}"#
    );
    // Negative codes (never seen) are written, not a panic; extremes round-trip.
    let odd = Outcome::Rejected {
        http_status: 400,
        error: MetaError {
            code: Some(i64::MIN),
            error_subcode: Some(-7),
            ..MetaError::default()
        },
    };
    let json = odd.to_json();
    let error = json.get("error");
    assert_eq!(
        error.and_then(|e| e.get("code")),
        Some(&Value::Number("-9223372036854775808".into()))
    );
    assert_eq!(
        error.and_then(|e| e.get("error_subcode")),
        Some(&Value::Number("-7".into()))
    );
    assert!(parse(&json.to_json()).is_ok());
    let negative = classify(&response(400, r#"{"error":{"code":-4}}"#), 0);
    assert_eq!(error_of(&negative).and_then(|e| e.code), Some(-4));
    assert!(!negative.is_transient());
}

#[test]
fn redaction_removes_secrets_and_keeps_the_rest() {
    let body = r#"{"data":[{"event_name":"Purchase","custom_data":{"value":129.90,"currency":"USD"}}],"test_event_code":"TEST1","partner_agent":"omni","access_token":"EAAtoken","appsecret_proof":"abc123"}"#;
    assert_eq!(
        redact_request_body(body),
        r#"{"data":[{"event_name":"Purchase","custom_data":{"value":129.90,"currency":"USD"}}],"test_event_code":"TEST1","partner_agent":"omni","access_token":"[redacted]","appsecret_proof":"[redacted]"}"#
    );
    // Nested and duplicated keys, any value type.
    let body = r#"{"access_token":"a","x":{"access_token":["b"],"y":[{"appsecret_proof":1}]},"access_token":"c"}"#;
    let out = redact_request_body(body);
    assert_eq!(
        out,
        r#"{"access_token":"[redacted]","x":{"access_token":"[redacted]","y":[{"appsecret_proof":"[redacted]"}]},"access_token":"[redacted]"}"#
    );
    for secret in ["\"a\"", "\"b\"", "\"c\"", ":1"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    // Whitespace goes; values stay.
    assert_eq!(
        redact_request_body("{ \"data\" : [ 1e3 , null ] , \"access_token\" : \"t\" }"),
        r#"{"data":[1e3,null],"access_token":"[redacted]"}"#
    );
    // A body without secrets is unchanged.
    let plain = r#"{"data":[],"partner_agent":"x\u0001"}"#;
    assert_eq!(redact_request_body(plain), plain);
    for bad in [
        "access_token=EAAtoken&data=[]",
        "",
        r#"{"access_token":"t""#,
    ] {
        assert_eq!(redact_request_body(bad), "[unreadable body redacted]");
    }
}

#[test]
fn a_real_request_body_redacts_to_itself_but_the_secrets() {
    use crate::model::config::{Pixel, TagConfig};
    use crate::request::build_requests;
    let config = TagConfig {
        pixels: vec![Pixel {
            id: "1".into(),
            access_token: "EAAsecret".into(),
            appsecret_proof: None,
        }],
        app_secret: Some("shh".into()),
        ..TagConfig::default()
    };
    let event =
        parse(r#"{"event_name":"Lead","user_data":{"em":["é\n\"x"]}}"#).expect("test JSON parses");
    let requests = build_requests(&config, &[&event], Some("T"));
    let body = requests.first().map(|r| r.body.clone()).unwrap_or_default();
    let redacted = redact_request_body(&body);
    assert!(!redacted.contains("EAAsecret"));
    let proof = crate::hash::hmac_sha256_hex(b"shh", b"EAAsecret");
    assert!(body.contains(&proof) && !redacted.contains(&proof));
    let restored = redacted
        .replace(
            r#""access_token":"[redacted]""#,
            r#""access_token":"EAAsecret""#,
        )
        .replace(
            r#""appsecret_proof":"[redacted]""#,
            &format!(r#""appsecret_proof":"{proof}""#),
        );
    assert_eq!(restored, body);
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn classify_never_panics(status in any::<u16>(), body in ".{0,200}", header in ".{0,40}", now in any::<u64>()) {
            let attempt = Attempt::Response { status, body, retry_after: Some(header) };
            let out = classify(&attempt, now);
            prop_assert!(parse(&out.to_json().to_json()).is_ok());
        }

        #[test]
        fn meta_errors_never_panic(code in any::<i64>(), sub in any::<i64>(), transient in any::<bool>(), status in 100u16..600) {
            let body = format!(r#"{{"error":{{"code":{code},"error_subcode":{sub},"is_transient":{transient}}}}}"#);
            let out = classify(&response(status, &body), 0);
            if is_never_retry_code(code) {
                prop_assert_eq!(kind(&out), "rejected");
            }
            if is_retry_code(code) {
                prop_assert_eq!(kind(&out), "transient");
            }
            prop_assert_eq!(error_of(&out).and_then(|e| e.code), Some(code));
        }

        #[test]
        fn delays_are_bounded(attempts in 0u32..20, attempt in 0u32..25, base in 0u64..100_000, max in 0u64..100_000, ra in proptest::option::of(0u64..100_000), random in any::<u32>()) {
            let policy = RetryPolicy { attempts, base_delay_ms: base, max_delay_ms: max, timeout_ms: 1 };
            match next_delay_ms(&policy, attempt, ra, random) {
                Some(d) => {
                    prop_assert!(attempt.max(1) < attempts);
                    prop_assert!(d <= max.min(MAX_DELAY_CAP_MS));
                    prop_assert!(d >= ra.unwrap_or(0));
                }
                None => prop_assert!(attempt.max(1) >= attempts || ra.unwrap_or(0) > max.min(MAX_DELAY_CAP_MS)),
            }
        }

        #[test]
        fn http_dates_never_panic(text in "[A-Za-z0-9 ,:-]{0,40}") {
            let _ = http_date_ms(&text);
            let _ = retry_after_ms(&text, 0);
        }

        #[test]
        fn redaction_never_panics(body in ".{0,200}") {
            let _ = redact_request_body(&body);
        }
    }
}
