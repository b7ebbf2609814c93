use super::*;
use crate::json::parse;

const NOW: u64 = 1_795_875_760_000;

fn alerts(text: &str) -> (Vec<Alert>, Report) {
    let mut report = Report::default();
    let v = parse(text).expect("json");
    (super::parse(Some(&v), &mut report), report)
}

fn row(res: char, ago_ms: u64, tag: &str, event: &str, metric: &str, n: u64) -> Row {
    let at = NOW - ago_ms;
    let size = if res == 'm' { MINUTE_MS } else { HOUR_MS };
    Row {
        res,
        at: at - at % size,
        tag: tag.into(),
        pixel: "1".into(),
        event: event.into(),
        metric: metric.into(),
        n,
    }
}

#[test]
fn config_forms_and_their_problems() {
    let (list, report) = alerts(
        r#"[{"when": {"errorRate": 0.1, "minutes": 15}, "webhook": "https://hooks.example/a"},
            {"when": {"silent": "Purchase", "hours": 6, "tag": "shop"}, "webhook": "https://hooks.example/b"},
            {"when": {"errorRate": 2, "minutes": 15}, "webhook": "https://hooks.example/c"},
            {"when": {"silent": "Purchase"}, "webhook": "https://hooks.example/d"},
            {"when": {"errorRate": 0.5, "minutes": 5}, "webhook": "ftp://nope"},
            {"when": {"whatever": 1, "hours": 1}, "webhook": "https://hooks.example/e"},
            "nonsense"]"#,
    );
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].when,
        When::ErrorRate {
            rate: 1000,
            min_events: 10
        }
    );
    assert_eq!(list[1].window_ms, 6 * HOUR_MS);
    assert_eq!(list[1].tag.as_deref(), Some("shop"));
    assert_eq!(
        list[0].describe(),
        "error rate at or above 10% over 15 minute(s) (at least 10 events)"
    );
    assert_eq!(
        list[1].describe(),
        "no Purchase accepted by Meta for 6 hour(s) (tag shop)"
    );
    let fields: Vec<&str> = report.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "alerts[2]",
            "alerts[3]",
            "alerts[4]",
            "alerts[5]",
            "alerts[6]"
        ]
    );
    let (none, report) = alerts(r#"{"when": 1}"#);
    assert!(none.is_empty() && !report.is_valid());
}

#[test]
fn error_rate_fires_at_the_threshold_with_enough_events_once_per_window() {
    let (list, _) = alerts(
        r#"[{"when": {"errorRate": 0.25, "minutes": 15, "minEvents": 8}, "webhook": "https://h.example/x"}]"#,
    );
    // 2 of 8 in the window failed: 25%, fires.
    let rows = vec![
        row('m', 60_000, "t", "Purchase", "accepted", 6),
        row('m', 120_000, "t", "Lead", "rejected", 1),
        row('m', 120_000, "t", "Lead", "failed", 1),
        // Outside the window, and hour rows: not counted.
        row('m', 20 * MINUTE_MS, "t", "Lead", "failed", 50),
        row('h', 0, "t", "Lead", "failed", 50),
    ];
    let fired = due(&list, &rows, &[], NOW);
    assert_eq!(fired.len(), 1);
    let (id, webhook, body) = &fired[0];
    assert_eq!(
        (id.as_str(), webhook.as_str()),
        ("alerts[0]", "https://h.example/x")
    );
    assert!(
        body.contains(r#""sent":8"#) && body.contains(r#""errors":2"#),
        "{body}"
    );
    assert!(body.contains(r#""errorRate":0.2500"#), "{body}");
    // Posted 10 minutes ago: not again within its 15-minute window; after it, again.
    let posted = vec![("alerts[0]".to_string(), NOW - 10 * MINUTE_MS)];
    assert!(due(&list, &rows, &posted, NOW).is_empty());
    let posted = vec![("alerts[0]".to_string(), NOW - 15 * MINUTE_MS)];
    assert_eq!(due(&list, &rows, &posted, NOW).len(), 1);
    // One error fewer: 1 of 7 sent, under both the rate and minEvents.
    assert!(due(&list, &rows[..2], &[], NOW).is_empty());
}

#[test]
fn silent_fires_when_no_event_of_that_name_was_accepted() {
    let (list, _) = alerts(
        r#"[{"when": {"silent": "Purchase", "hours": 2}, "webhook": "https://h.example/s"}]"#,
    );
    let lead = vec![row('m', 60_000, "t", "Lead", "accepted", 5)];
    let rejected = vec![row('m', 60_000, "t", "Purchase", "rejected", 5)];
    let old = vec![row('m', 3 * HOUR_MS, "t", "Purchase", "accepted", 5)];
    let recent = vec![row('m', 90 * MINUTE_MS, "t", "Purchase", "accepted", 1)];
    assert_eq!(due(&list, &lead, &[], NOW).len(), 1);
    assert_eq!(due(&list, &rejected, &[], NOW).len(), 1);
    assert_eq!(due(&list, &old, &[], NOW).len(), 1);
    assert!(due(&list, &recent, &[], NOW).is_empty());
    let body = &due(&list, &lead, &[], NOW)[0].2;
    assert!(body.contains(r#""kind":"silent""#) && body.contains(r#""accepted":0"#));
}

#[test]
fn long_windows_read_hour_rows_and_queries_say_so() {
    let (list, _) = alerts(
        r#"[{"when": {"silent": "Purchase", "hours": 48}, "webhook": "https://h.example/s"},
            {"when": {"errorRate": 0.5, "minutes": 30}, "webhook": "https://h.example/e"}]"#,
    );
    let q = queries(&list, NOW).to_json();
    assert!(
        q.contains(r#"{"res":"h","from":"#) && q.contains(r#"{"res":"m","from":"#),
        "{q}"
    );
    let rows = vec![row('h', 30 * HOUR_MS, "t", "Purchase", "accepted", 1)];
    assert!(due(&list[..1], &rows, &[], NOW).is_empty());
    assert_eq!(queries(&[], NOW).to_json(), "[]");
}

#[test]
fn a_tag_scoped_alert_reads_only_its_tag() {
    let (list, _) = alerts(
        r#"[{"when": {"silent": "Purchase", "hours": 1, "tag": "b"}, "webhook": "https://h.example/s"}]"#,
    );
    let rows = vec![row('m', 60_000, "a", "Purchase", "accepted", 3)];
    assert_eq!(due(&list, &rows, &[], NOW).len(), 1);
}

#[test]
fn numbers_are_read_as_plain_decimals() {
    assert_eq!(ten_thousandths("0.25"), Some(2_500));
    assert_eq!(ten_thousandths("6"), Some(60_000));
    assert_eq!(ten_thousandths("0.123456"), Some(1_234));
    for bad in ["-1", "1e-1", ".5", "5.", "", "99999999999"] {
        assert_eq!(ten_thousandths(bad), None, "{bad}");
    }
    assert_eq!(
        (percent(1_250), percent(1_000), percent(5)),
        ("12.5".into(), "10".into(), "0.05".into())
    );
    let (list, report) = alerts(
        r#"[{"when": {"errorRate": 1e-1, "minutes": 5}, "webhook": "https://h.example/x"},
            {"when": {"silent": "Lead", "hours": 0.5}, "webhook": "https://h.example/y"},
            {"when": {"errorRate": 0.1, "minutes": "5"}, "webhook": "https://h.example/z"}]"#,
    );
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].window_ms, 30 * MINUTE_MS);
    let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages[0].contains("errorRate must be a plain decimal"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("minutes must be a number"),
        "{messages:?}"
    );
}
