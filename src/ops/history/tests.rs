use super::*;
use crate::dispatch::{classify, Attempt};
use crate::json::parse;

const NOW: u64 = 1_795_875_760_000;

fn body(events: &[(&str, &str)]) -> String {
    let data: Vec<String> = events
        .iter()
        .map(|(name, user_data)| format!(r#"{{"event_name":"{name}","user_data":{user_data}}}"#))
        .collect();
    format!(r#"{{"data":[{}]}}"#, data.join(","))
}

fn outcome(status: u16, body: &str) -> Outcome {
    classify(
        &Attempt::Response {
            status,
            body: body.into(),
            retry_after: None,
        },
        NOW,
    )
}

/// Drain `a` as the store would keep it (rows only).
fn stored(a: &mut Activity, tag: &str) -> (Vec<Row>, Json) {
    let d = a.drain(tag, NOW);
    (rows_from_json(d.get("rows")), d)
}

#[test]
fn sent_events_read_names_and_carried_keys_only() {
    let b = body(&[
        (
            "Purchase",
            r#"{"em":["a"],"ph":[],"fbp":"fb.1.1.1","zp":"","client_ip_address":"1.2.3.4","x":"y"}"#,
        ),
        ("Lead", "null"),
    ]);
    let events = sent_events(&b);
    assert_eq!(events[0].name, "Purchase");
    assert_eq!(events[0].keys, ["em", "fbp", "client_ip_address"]);
    assert!(events[1].keys.is_empty());
    assert!(sent_events("not json").is_empty());
    assert!(sent_events(r#"{"data": 3}"#).is_empty());
}

#[test]
fn activity_counts_per_pixel_event_and_key_at_both_resolutions_then_forgets() {
    let mut a = Activity::default();
    a.on_received("Purchase", false, NOW);
    a.on_received("Purchase", true, NOW);
    let ok = outcome(200, r#"{"events_received":2,"fbtrace_id":"TRACE1"}"#);
    let events = sent_events(&body(&[
        ("Purchase", r#"{"em":["a"],"fbp":"f"}"#),
        ("Purchase", r#"{"fbp":"f"}"#),
    ]));
    a.on_final("111", "accepted", &events, Some(&ok), NOW, &[]);
    let (rows, drained) = stored(&mut a, "shop");
    let n = |res: char, pixel: &str, metric: &str| -> u64 {
        rows.iter()
            .filter(|r| r.res == res && r.pixel == pixel && r.metric == metric)
            .map(|r| r.n)
            .sum()
    };
    for res in ['m', 'h'] {
        assert_eq!(n(res, "111", "accepted"), 2);
        assert_eq!(n(res, "111", "matched"), 2);
        assert_eq!(n(res, "111", "key:fbp"), 2);
        assert_eq!(n(res, "111", "key:em"), 1);
        assert_eq!(n(res, "", "received"), 2);
        assert_eq!(n(res, "", "id_page"), 1);
        assert_eq!(n(res, "", "id_generated"), 1);
    }
    assert!(rows.iter().all(|r| r.tag == "shop"));
    let hour = rows.iter().find(|r| r.res == 'h').map(|r| r.at);
    assert_eq!(hour, Some(NOW - NOW % HOUR_MS));
    let text = drained.to_json();
    assert!(text.contains(r#""fbtraceId":"TRACE1""#) && text.contains(r#""tag":"shop""#));
    assert!(text.contains(r#"["shop","event","#) && !text.contains(r#""error"]"#));
    assert!(a.is_empty());
    assert_eq!(
        a.drain("shop", NOW)
            .get("rows")
            .map(Json::to_json)
            .as_deref(),
        Some("[]")
    );
}

#[test]
fn a_rejection_keeps_metas_redacted_texts_in_recent_events() {
    let mut a = Activity::default();
    let rejected = outcome(
        400,
        r#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003,
            "error_user_title":"Event time too old","error_user_msg":"token SECRETTOKEN1234 for jane.doe@example.com is old","fbtrace_id":"TRACE2"}}"#,
    );
    let events = sent_events(&body(&[("Purchase", r#"{"em":["h"]}"#)]));
    a.on_final(
        "222",
        "rejected",
        &events,
        Some(&rejected),
        NOW,
        &["SECRETTOKEN1234".into()],
    );
    let (_, drained) = stored(&mut a, "t");
    let recent = drained
        .get("recent")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let e = &recent[0];
    assert_eq!(e.get("status").and_then(Json::as_str), Some("rejected"));
    assert_eq!(e.get("fbtraceId").and_then(Json::as_str), Some("TRACE2"));
    let error = e.get("error").map(Json::to_json).unwrap_or_default();
    assert!(error.contains(r#""code":"100/2804003""#), "{error}");
    assert!(error.contains(r#""title":"Event time too old""#), "{error}");
    assert!(
        !error.contains("SECRETTOKEN1234") && !error.contains("jane.doe@example.com"),
        "{error}"
    );
    // Recent events are bounded.
    for _ in 0..(RECENT_KEPT + 5) {
        a.on_final("222", "failed", &events, None, NOW, &[]);
    }
    let (_, drained) = stored(&mut a, "t");
    assert_eq!(
        drained
            .get("recent")
            .and_then(Json::as_array)
            .map(<[Json]>::len),
        Some(RECENT_KEPT)
    );
    let last = drained.get("last").map(Json::to_json).unwrap_or_default();
    assert!(last.contains(r#"["t","error","#), "{last}");
}

/// Two pixels, three event names, two tags: every figure of the view from known rows.
#[test]
fn views_add_up_per_event_pixel_and_tag_with_emq() {
    let mut rows = Vec::new();
    for (tag, pixel) in [("a", "111"), ("b", "222")] {
        let mut act = Activity::default();
        let ok = outcome(200, r#"{"events_received":1}"#);
        for (name, ud, n) in [
            ("Purchase", r#"{"em":["x"],"ph":["y"],"fbp":"f"}"#, 3),
            (
                "PageView",
                r#"{"fbp":"f","client_ip_address":"1.1.1.1","client_user_agent":"ua"}"#,
                5,
            ),
        ] {
            for _ in 0..n {
                act.on_final(
                    pixel,
                    "accepted",
                    &sent_events(&body(&[(name, ud)])),
                    Some(&ok),
                    NOW,
                    &[],
                );
            }
        }
        act.on_final(
            pixel,
            "rejected",
            &sent_events(&body(&[("Lead", "{}")])),
            None,
            NOW - 2 * MINUTE_MS,
            &[],
        );
        rows.extend(rows_from_json(act.drain(tag, NOW).get("rows")));
    }
    let mut c = Activity::default();
    for i in 0..18 {
        c.on_received(["Purchase", "PageView", "Lead"][i % 3], i % 2 == 0, NOW);
    }
    rows.extend(rows_from_json(c.drain("", NOW).get("rows")));

    let all = view(&rows, None, range(Some("1h")), NOW).to_json();
    assert!(
        all.contains(r#""totals":{"received":18,"accepted":16,"rejected":2,"failed":0"#),
        "{all}"
    );
    assert!(
        all.contains(r#""sent":18"#) && all.contains(r#""errorRate":0.1111"#),
        "{all}"
    );
    assert!(
        all.contains(r#""dedup":{"fromPage":9,"generated":9}"#),
        "{all}"
    );
    let only_a = view(&rows, Some("a"), range(Some("1h")), NOW);
    let pixels = only_a.get("byPixel").map(Json::to_json).unwrap_or_default();
    assert!(
        pixels.contains(r#""accepted":8,"rejected":1"#) && !pixels.contains("222"),
        "{pixels}"
    );
    // Events per name: 60 one-minute bins, the last holding this minute's.
    let by_event = only_a
        .get("byEvent")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let names: Vec<&str> = by_event
        .iter()
        .filter_map(|e| e.get("event")?.as_str())
        .collect();
    assert_eq!(names, ["Lead", "PageView", "Purchase"]);
    let purchase = by_event[2].to_json();
    assert!(
        purchase.contains(r#""accepted":3"#) && purchase.contains(r#""received":6"#),
        "{purchase}"
    );
    let series = by_event[2]
        .get("series")
        .and_then(Json::as_array)
        .unwrap_or_default();
    assert_eq!(series.len(), 60);
    assert_eq!(series.last().map(Json::to_json).as_deref(), Some("3"));
    let lead = by_event[0]
        .get("series")
        .and_then(Json::as_array)
        .unwrap_or_default();
    assert_eq!(
        lead[57].to_json(),
        "1",
        "the rejection 2 minutes ago is in its own bin"
    );
    // EMQ per pixel and event: Purchase em+ph+fbp = 25+15+8 = 4.8; PageView fbp+ip+ua = 2.0.
    let emq = only_a.get("emq").map(Json::to_json).unwrap_or_default();
    assert!(emq.contains(r#""score":4.8,"band":"ok""#), "{emq}");
    assert!(emq.contains(r#""score":2.0,"band":"poor""#), "{emq}");
    assert!(emq.contains(r#""pixel":"111","event":"Purchase""#), "{emq}");
    // Lead was never accepted: no estimate.
    assert!(!emq.contains(r#""event":"Lead""#));
}

#[test]
fn ranges_pick_rows_and_bins() {
    assert_eq!(range(Some("7d")).res, 'h');
    assert_eq!(range(Some("nonsense")).name, "24h");
    assert_eq!(range(None).name, "24h");
    let q = range(Some("24h")).query(NOW).to_json();
    assert!(q.starts_with(r#"{"res":"m","from":"#));
    let v = view(&[], None, range(Some("7d")), NOW);
    assert_eq!(
        v.get("chart").and_then(Json::as_array).map(<[Json]>::len),
        Some(28)
    );
    assert!(v.get("errorRate").is_some_and(Json::is_null));
}

#[test]
fn malformed_store_rows_and_input_never_panic() {
    let junk =
        parse(r#"[["m"], ["m", -1, "t", "p", "e", "accepted", 1], [1,2,3,4,5,6,7], "x", null]"#)
            .expect("json");
    assert!(rows_from_json(Some(&junk)).is_empty());
    let d = dashboard(
        &parse(r#"{"now": "x", "tags": [{"no": "name"}, 3], "recent": 5, "last": [[1]]}"#)
            .expect("json"),
        &[],
    );
    assert!(d.to_json().contains(r#""tags":[]"#));
    let d = dashboard(&Json::Null, &[]);
    assert!(d.get("views").is_some());
}

#[test]
fn the_dashboard_joins_tags_last_times_and_recent_newest_first() {
    let input = parse(&format!(
        r#"{{"now": {NOW}, "range": "1h",
            "tags": [{{"name": "a", "testMode": true, "identity": false}}, {{"name": "b", "identity": true}}],
            "last": [["a", "event", {NOW}], ["a", "error", {}]],
            "recent": [{{"atMs": 1, "event": "old"}}, {{"atMs": 5, "event": "new"}}]}}"#,
        NOW - MINUTE_MS
    ))
    .expect("json");
    let d = dashboard(&input, &[]).to_json();
    assert!(d.contains(r#""identityInUse":true"#), "{d}");
    assert!(
        d.contains(r#""name":"a","testMode":true,"identity":false,"lastEventAt":"2026-"#),
        "{d}"
    );
    assert!(
        d.contains(r#""name":"b","identity":true,"lastEventAt":null,"lastErrorAt":null"#),
        "{d}"
    );
    assert!(d.find(r#""event":"new""#) < d.find(r#""event":"old""#));
    assert!(d.contains(r#""views":{"":{"range":"1h""#) && d.contains(r#""b":{"range":"1h""#));
}

/// A queued batch's one try: the accepted request's events count as accepted with their keys,
/// the rejected one's as rejected with Meta's code; an event still to retry counts nothing yet.
#[test]
fn a_settled_queue_batch_counts_each_final_event_once() {
    use crate::delivery;
    let accepted = body(&[("Purchase", r#"{"em":["a"]}"#), ("PageView", "{}")]);
    let rejected = body(&[("Lead", "{}")]);
    let input = Json::object([
        (
            "rows",
            parse(&r#"[{"attempts":0,"receivedAt":AT,"eventName":"purchase"},{"attempts":0,"receivedAt":AT},{"attempts":0,"receivedAt":AT},{"attempts":0,"receivedAt":AT}]"#.replace("AT", &NOW.to_string()))
                .expect("rows"),
        ),
        (
            "events",
            parse(r#"[{"status":"ready"},{"status":"ready"},{"status":"ready"},{"status":"ready"}]"#).expect("events"),
        ),
        (
            "requests",
            Json::Array(vec![
                Json::object([("pixelId", Json::from("1")), ("eventIndexes", parse("[0,1]").expect("i")), ("body", Json::from(accepted))]),
                Json::object([("pixelId", Json::from("1")), ("eventIndexes", parse("[2]").expect("i")), ("body", Json::from(rejected))]),
                Json::object([("pixelId", Json::from("1")), ("eventIndexes", parse("[3]").expect("i")), ("body", Json::from(body(&[("X", "{}")])))]),
            ]),
        ),
        (
            "tries",
            parse(r#"[{"kind":"response","status":200,"body":"{\"events_received\":2}"},
                      {"kind":"response","status":400,"body":"{\"error\":{\"code\":190,\"message\":\"bad token\"}}"},
                      {"kind":"response","status":503,"body":"down"}]"#)
                .expect("tries"),
        ),
    ]);
    let batch = delivery::Batch::from_json(&input);
    let (outcomes, next) = batch.settle(NOW, 0);
    let mut a = Activity::default();
    on_settled(&mut a, &input, &batch, &outcomes, &next, NOW, &[]);
    let (rows, drained) = stored(&mut a, "q");
    let n = |event: &str, metric: &str| -> u64 {
        rows.iter()
            .filter(|r| r.res == 'h' && r.event == event && r.metric == metric)
            .map(|r| r.n)
            .sum()
    };
    assert_eq!((n("Purchase", "accepted"), n("Purchase", "key:em")), (1, 1));
    assert_eq!(n("PageView", "accepted"), 1);
    assert_eq!(n("Lead", "rejected"), 1);
    assert_eq!(
        n("X", "failed") + n("X", "accepted"),
        0,
        "to be retried: nothing final yet"
    );
    let recent = drained.get("recent").map(Json::to_json).unwrap_or_default();
    assert!(recent.contains(r#""code":"190""#), "{recent}");
}

#[test]
fn huge_counts_from_a_store_saturate_instead_of_panicking() {
    let max = u64::MAX.to_string();
    let rows = parse(&format!(
        r#"[["m", {NOW}, "t", "1", "Purchase", "accepted", {max}], ["m", {NOW}, "t", "1", "Purchase", "accepted", {max}],
            ["m", {NOW}, "t", "1", "Purchase", "rejected", {max}], ["m", {NOW}, "t", "1", "Purchase", "matched", {max}],
            ["m", {NOW}, "t", "1", "Purchase", "key:em", {max}], ["m", {max}, "t", "1", "Purchase", "failed", 1]]"#
    ))
    .expect("json");
    let rows = rows_from_json(Some(&rows));
    let v = view(&rows, None, range(Some("1h")), NOW).to_json();
    assert!(
        v.contains(r#""errorRate":1.0000"#)
            && v.contains(r#""emq":[{"events":18446744073709551615"#),
        "{v}"
    );
    let (alerts, _) = {
        let mut report = crate::report::Report::default();
        let list = parse(
            r#"[{"when": {"errorRate": 0.5, "minutes": 5}, "webhook": "https://h.example/"}]"#,
        )
        .expect("json");
        (crate::alerts::parse(Some(&list), &mut report), report)
    };
    assert_eq!(crate::alerts::due(&alerts, &rows, &[], NOW).len(), 1);
}
