use super::*;
use crate::json::parse;

const NOW: u64 = 1_795_875_760_000;
const CLOCK: Clock = Clock {
    now_ms: NOW,
    entropy: [5; 16],
};

fn tag(config: &str) -> Tag {
    Tag::from_text(config)
}

const FULL: &str = r#"{"pixelId": "123", "accessToken": "EAAB-secret", "testEventCode": "TEST1",
    "graphBaseUrl": "http://127.0.0.1:9", "errorMonitor": {"endpoint": "http://127.0.0.1:8/errors", "token": "mon"},
    "identity": {"enabled": true, "endpoint": "http://127.0.0.1:7/api/v1", "token": "id-secret"}}"#;

fn response(status: u16, body: &str, date: Option<&str>) -> Option<Answer> {
    Some(Answer {
        attempt: Attempt::Response {
            status,
            body: body.into(),
            retry_after: None,
        },
        date: date.map(str::to_string),
    })
}

/// `Date` header text of a time `offset_ms` from NOW (HTTP-date, whole seconds).
const DATE_NOW: &str = "Sat, 28 Nov 2026 14:22:40 GMT";

#[test]
fn plans_probes_with_tokens_only_in_headers() {
    let t = tag(FULL);
    let checks = plan(&t, CLOCK);
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "config",
            "token (pixel 123)",
            "test_event",
            "identity",
            "error_monitor"
        ]
    );
    let token = checks[1].probe.as_ref().expect("probe");
    assert_eq!(token.url, "http://127.0.0.1:9/v24.0/123?fields=id,name");
    assert_eq!(
        token.headers,
        vec![("authorization", "Bearer EAAB-secret".to_string())]
    );
    let test_event = checks[2].probe.as_ref().expect("probe");
    assert!(test_event.url.ends_with("/123/events"));
    let body = test_event.body.as_deref().unwrap_or_default();
    assert!(
        body.contains(r#""test_event_code":"TEST1""#)
            && body.contains(r#""event_name":"PageView""#),
        "{body}"
    );
    let identity = checks[3].probe.as_ref().expect("probe");
    assert_eq!(
        identity.body.as_deref(),
        Some(r#"{"platform":"omni-meta-capi"}"#)
    );
    for check in &checks {
        if let Some(p) = &check.probe {
            assert!(
                !p.url.contains("secret") && !p.url.contains("access_token"),
                "{}",
                p.url
            );
        }
    }
    // A bad config gets only the config check; no test code means no test event probe.
    assert_eq!(plan(&tag("{oops"), CLOCK).len(), 1);
    let plain = plan(&tag(r#"{"pixelId": "1", "accessToken": "t"}"#), CLOCK);
    assert_eq!(
        plain.iter().map(|c| c.probe.is_some()).collect::<Vec<_>>(),
        vec![false, true, false]
    );
}

#[test]
fn a_healthy_setup_passes() {
    let t = tag(FULL);
    let checks = plan(&t, CLOCK);
    let answers = vec![
        None,
        response(
            200,
            r#"{"id": "123", "name": "Shop pixel"}"#,
            Some(DATE_NOW),
        ),
        response(
            200,
            r#"{"events_received": 1, "messages": [], "fbtrace_id": "A"}"#,
            None,
        ),
        response(
            400,
            r#"{"success": false, "error": {"code": "MISSING_IDENTIFIER", "message": "x"}}"#,
            None,
        ),
        response(405, "", None),
    ];
    let verdicts = judge(&t, &checks, &answers, NOW + 2_000);
    let states: Vec<(&str, State)> = verdicts
        .iter()
        .map(|v| (v.name.as_str(), v.state))
        .collect();
    assert_eq!(
        states,
        vec![
            ("config", State::Pass),
            ("token (pixel 123)", State::Pass),
            ("test_event", State::Pass),
            ("identity", State::Pass),
            ("error_monitor", State::Pass),
            ("clock", State::Pass),
        ]
    );
    assert_eq!(
        verdicts[1].message,
        "the access token can read pixel 123 (Shop pixel)"
    );
    assert_eq!(verdicts[5].message, "local clock 2 s ahead of Meta's");
    let text = result_text(&verdicts);
    assert!(text.ends_with("all checks passed\n"), "{text}");
    assert_eq!(result_json(&verdicts).get("ok"), Some(&Json::Bool(true)));
}

#[test]
fn failures_say_why_and_how_to_fix() {
    let t = tag(FULL);
    let checks = plan(&t, CLOCK);
    let expired = r#"{"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463}}"#;
    let unknown = r#"{"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}"#;
    let cases: Vec<(Option<Answer>, &str, &str)> = vec![
        (response(400, expired, None), "the access token has expired (HTTP 400, code 190/463: Error validating access token: Session has expired; http://127.0.0.1:9)", "create a new token"),
        (response(400, unknown, None), "the pixel does not exist or this token cannot access it", "check pixelId"),
        (Some(Answer { attempt: Attempt::Timeout, date: None }), "Graph API unreachable (no answer in time", "check graphBaseUrl"),
        (response(200, r#"{"id": "999"}"#, None), "unexpected answer from the Graph API", "graphApiVersion"),
    ];
    for (answer, message, hint) in cases {
        let answers = vec![None, answer, None, None, None];
        let v = &judge(&t, &checks, &answers, NOW)[1];
        assert_eq!(v.state, State::Fail);
        assert!(v.message.starts_with(message), "{}", v.message);
        assert!(
            v.hint.as_deref().unwrap_or_default().contains(hint),
            "{:?}",
            v.hint
        );
        assert!(!v.message.contains("EAAB-secret"));
    }
    let refused = response(
        401,
        r#"{"success": false, "error": {"code": "UNAUTHORIZED"}}"#,
        None,
    );
    let down = Some(Answer {
        attempt: Attempt::NetworkError {
            message: "connect ECONNREFUSED".into(),
        },
        date: None,
    });
    let verdicts = judge(&t, &checks, &[None, None, None, refused, down], NOW);
    assert_eq!(
        verdicts[3].message,
        "the identity service refuses the token (HTTP 401)"
    );
    assert_eq!(
        verdicts[4].message,
        "the error monitor is unreachable (connect ECONNREFUSED)"
    );
    assert!(
        result_text(&verdicts).ends_with("4 check(s) failed\n"),
        "no answer is a failure too"
    );
}

#[test]
fn clock_skew_and_config_verdicts() {
    let cases = [
        (DATE_NOW, 30_000, State::Pass),
        (DATE_NOW, 120_000, State::Warn),
        (DATE_NOW, 900_000, State::Fail),
    ];
    for (date, offset, state) in cases {
        assert_eq!(
            clock_verdict(Some(date), NOW + offset).state,
            state,
            "{offset}"
        );
    }
    assert_eq!(
        clock_verdict(Some(DATE_NOW), NOW - 120_000).message,
        "local clock 120 s behind Meta's"
    );
    assert_eq!(clock_verdict(None, NOW).state, State::Skip);
    let bad = tag(r#"{"pixelId": "abc", "accessToken": 5}"#);
    let verdicts = judge(&bad, &plan(&bad, CLOCK), &[None], NOW);
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].state, State::Fail);
    assert_eq!(
        verdicts[0].message,
        "1 error(s): pixelId must be the numeric pixel (dataset) ID"
    );
    let broken = tag("{oops");
    let v = &judge(&broken, &plan(&broken, CLOCK), &[None], NOW)[0];
    assert!(v.message.contains("not valid JSON"), "{}", v.message);
    let json = parse(&result_json(std::slice::from_ref(v)).to_json()).expect("json");
    assert_eq!(json.get("ok"), Some(&Json::Bool(false)));
}

#[test]
fn a_token_echoed_by_meta_is_redacted() {
    let t = tag(FULL);
    let checks = plan(&t, CLOCK);
    let echo = r#"{"error": {"message": "Malformed access token EAAB-secret", "type": "OAuthException", "code": 190}}"#;
    let verdicts = judge(&t, &checks, &[None, response(400, echo, None)], NOW);
    assert!(
        verdicts[1]
            .message
            .contains("Malformed access token [redacted]"),
        "{}",
        verdicts[1].message
    );
    assert!(verdicts.iter().all(|v| !v.message.contains("EAAB-secret")));
}
