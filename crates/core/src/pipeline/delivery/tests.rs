use super::*;

const NOW: u64 = 1_795_875_760_000;

fn response(status: u16, body: &str, retry_after: Option<&str>) -> Attempt {
    Attempt::Response {
        status,
        body: body.into(),
        retry_after: retry_after.map(str::to_string),
    }
}

fn ok(n: usize) -> Attempt {
    response(
        200,
        &format!(r#"{{"events_received":{n},"fbtrace_id":"T"}}"#),
        None,
    )
}

fn sent(pixel: &str, indexes: &[usize], attempt: Attempt) -> Sent {
    Sent {
        pixel_id: pixel.into(),
        event_indexes: indexes.to_vec(),
        attempt,
    }
}

fn rows(n: usize) -> Vec<Row> {
    vec![
        Row {
            attempts: 0,
            received_at_ms: NOW - 1_000,
        };
        n
    ]
}

fn run(rows: &[Row], built: &[Built], sent: &[Sent]) -> Vec<Next> {
    let policy = QueuePolicy::default();
    settle(
        &policy,
        rows,
        built,
        sent,
        &outcomes(sent, NOW),
        NOW,
        u32::MAX / 2,
    )
}

#[test]
fn accepted_everywhere_is_delivered_and_builds_decide_the_rest() {
    let built = [
        Built::Ready,
        Built::Invalid(vec!["event.event_name_missing".into()]),
        Built::Skipped("consent.ad_storage_denied".into()),
        Built::Ready,
    ];
    let out = run(&rows(4), &built, &[sent("1", &[0, 3], ok(2))]);
    assert_eq!(out[0], Next::Delivered);
    assert_eq!(
        out[1],
        Next::Dead {
            reason: "invalid: event.event_name_missing".into()
        }
    );
    assert_eq!(
        out[2],
        Next::Skipped {
            reason: "consent.ad_storage_denied".into()
        }
    );
    assert_eq!(out[3], Next::Delivered);
}

#[test]
fn transient_failures_wait_in_the_queue_however_long_retry_after_says() {
    let day = response(503, "", Some("86400"));
    let out = run(&rows(1), &[Built::Ready], &[sent("1", &[0], day)]);
    assert_eq!(
        out,
        vec![Next::Retry {
            at_ms: NOW + DAY_MS
        }]
    );
    // An HTTP date two days ahead is honoured too.
    let date = response(429, "", Some("Sat, 02 Dec 2026 12:00:00 GMT"));
    let at = crate::dispatch::http_date_ms("Sat, 02 Dec 2026 12:00:00 GMT").unwrap_or(0);
    let out = run(&rows(1), &[Built::Ready], &[sent("1", &[0], date)]);
    assert_eq!(out, vec![Next::Retry { at_ms: at }]);
    // Without Retry-After: backoff, between half and all of base * 2^(tries - 1).
    let busy = response(503, "", None);
    let out = run(&rows(1), &[Built::Ready], &[sent("1", &[0], busy)]);
    let Next::Retry { at_ms } = out[0] else {
        panic!("{out:?}")
    };
    assert!((NOW + 500..=NOW + 1_000).contains(&at_ms), "{at_ms}");
}

#[test]
fn backoff_doubles_to_its_cap_and_never_spins() {
    let p = QueuePolicy::default();
    assert_eq!(backoff_ms(&p, 1, None, 0), 500);
    assert_eq!(backoff_ms(&p, 1, None, u32::MAX), 1_000);
    assert_eq!(backoff_ms(&p, 4, None, u32::MAX), 8_000);
    assert_eq!(backoff_ms(&p, 40, None, 0), 150_000);
    assert_eq!(backoff_ms(&p, 40, None, u32::MAX), 300_000);
    assert_eq!(backoff_ms(&p, u32::MAX, None, u32::MAX), 300_000);
    assert_eq!(backoff_ms(&p, 1, Some(7_000), 0), 7_000);
}

#[test]
fn a_timeout_or_a_short_count_is_retried_not_lost() {
    let out = run(
        &rows(2),
        &[Built::Ready, Built::Ready],
        &[sent("1", &[0, 1], Attempt::Timeout)],
    );
    assert!(
        out.iter().all(|n| matches!(n, Next::Retry { .. })),
        "{out:?}"
    );
    let out = run(
        &rows(2),
        &[Built::Ready, Built::Ready],
        &[sent("1", &[0, 1], ok(0))],
    );
    assert!(
        out.iter().all(|n| matches!(n, Next::Retry { .. })),
        "{out:?}"
    );
}

#[test]
fn permanent_rejections_are_dead_letters_with_meta_s_redacted_reason() {
    let body = r#"{"error":{"message":"Invalid OAuth access token.","code":190,"fbtrace_id":"T"}}"#;
    let out = run(
        &rows(2),
        &[Built::Ready, Built::Ready],
        &[sent("7", &[0, 1], response(400, body, None))],
    );
    let reason = "rejected by Meta (pixel 7): 190: Invalid OAuth access token.";
    assert_eq!(
        out,
        vec![
            Next::Dead {
                reason: reason.into()
            };
            2
        ]
    );
    let echo = r#"{"error":{"message":"Invalid parameter","code":100,"error_subcode":2804019,"error_user_title":"Bad email","error_user_msg":"jane.doe@example.com is not valid"}}"#;
    let out = run(
        &rows(1),
        &[Built::Ready],
        &[sent("7", &[0], response(400, echo, None))],
    );
    assert_eq!(
        out,
        vec![Next::Dead {
            reason: "rejected by Meta (pixel 7): 100/2804019: Bad email: [redacted] is not valid"
                .into()
        }]
    );
}

#[test]
fn a_payload_error_in_a_batch_splits_it_so_one_bad_event_cannot_sink_the_rest() {
    let bad = r#"{"error":{"message":"Invalid parameter","code":100,"error_subcode":2804003}}"#;
    let out = run(
        &rows(3),
        &[Built::Ready, Built::Ready, Built::Ready],
        &[sent("1", &[0, 1, 2], response(400, bad, None))],
    );
    assert_eq!(out, vec![Next::Split; 3]);
}

#[test]
fn every_pixel_must_accept_and_a_rejection_anywhere_wins() {
    let busy = response(503, "", None);
    let bad = r#"{"error":{"message":"no","code":190}}"#;
    let out = run(
        &rows(1),
        &[Built::Ready],
        &[sent("1", &[0], ok(1)), sent("2", &[0], busy)],
    );
    assert!(matches!(out[0], Next::Retry { .. }), "{out:?}");
    let busy = response(503, "", None);
    let out = run(
        &rows(1),
        &[Built::Ready],
        &[
            sent("1", &[0], busy),
            sent("2", &[0], response(400, bad, None)),
        ],
    );
    assert!(
        matches!(&out[0], Next::Dead { reason } if reason.contains("pixel 2")),
        "{out:?}"
    );
}

#[test]
fn nothing_waits_past_the_age_meta_accepts() {
    let old = Row {
        attempts: 30,
        received_at_ms: NOW - 7 * DAY_MS + 3_600_000 + 60_000,
    };
    let busy = response(503, "", None);
    let out = run(&[old], &[Built::Ready], &[sent("1", &[0], busy)]);
    assert!(
        matches!(&out[0], Next::Dead { reason } if reason.starts_with("too_old")),
        "{out:?}"
    );
}
