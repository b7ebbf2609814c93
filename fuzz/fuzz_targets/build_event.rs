//! Fuzz the whole tag pipeline over arbitrary JSON: the input is used as the event, as the
//! request context and as the config, and every output must serialize to JSON that re-parses and
//! never carry the access token in a URL. The raw text also goes through every normalizer, and is
//! the identity service's answer to a tag with identity on (answer parsing and enrichment), and
//! as a GA4 hit and a request body to the server container (with the text as its credentials,
//! signature and forwarded addresses), as a queued batch to settle after a try, and as a record
//! for the error monitor's gate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_meta_capi::collect::parse_hit;
use omni_meta_capi::container::{Container, Incoming};
use omni_meta_capi::delivery::{outcomes, settle, Batch};
use omni_meta_capi::monitor::Gate;
use omni_meta_capi::identity::{parse_answer, Cache};
use omni_meta_capi::json::{self, Json};
use omni_meta_capi::normalize::{normalize_and_hash, Context, Field};
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::Tag;

const CLOCK: Clock = Clock {
    now_ms: 1_764_331_200_000,
    entropy: [7; 16],
};
const CONFIG: &str = r#"{"pixelId":"123","accessToken":"tok"}"#;
const IDENTITY_CONFIG: &str = r#"{"pixelId":"123","accessToken":"tok","identity":{"enabled":true,
    "endpoint":"https://id.example.com/api/v1","token":"id","useJournal":true,"cacheTtlMs":1000}}"#;
const EVENT: &str = r#"{"event_name":"page_view","client_id":"c","page_location":"https://s.com/",
    "user_agent":"UA"}"#;

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check(tag: &Tag, event: &Json, request: &Json, what: &str) {
    let output = tag.build(event, request, CLOCK);
    let text = output.to_json().to_json();
    if let Err(e) = json::parse(&text) {
        panic!(
            "{what}: output does not re-parse ({}): {text}",
            e.describe()
        );
    }
    for req in &output.requests {
        assert!(
            !req.url.contains("access_token"),
            "{what}: access token in the URL: {}",
            req.url
        );
        assert!(
            !req.url.contains('?'),
            "{what}: URL has a query: {}",
            req.url
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    let ctx = Context {
        current_year: CLOCK.year(),
    };
    for field in Field::ALL {
        if let Ok(h) = normalize_and_hash(field, &text, ctx) {
            let ok = if h.prehashed {
                is_lower_hex(&h.hash, 64) || is_lower_hex(&h.hash, 32)
            } else {
                is_lower_hex(&h.hash, 64)
            };
            assert!(
                ok,
                "{field:?}: bad hash {:?} (prehashed: {})",
                h.hash, h.prehashed
            );
        }
    }

    // The raw text as a hit's query and body, and as the container's request.
    let parsed = parse_hit(&text, &text);
    for event in &parsed.events {
        assert!(json::parse(&event.to_json()).is_ok(), "hit event does not re-parse");
    }
    let container = Container::new(
        &json::parse(
            r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "allowedOrigins": "*",
            "eventTokens": ["fuzz-token-0123456789"], "eventSigningSecret": "s", "trustProxy": 2,
            "rateLimit": {"perMinute": 5, "burst": 2}}"#,
        )
        .expect("container config parses"),
        &Json::Null,
    );
    for (method, path) in [("POST", "/g/collect?"), ("POST", "/event?"), ("GET", "/data/g/collect?v=2&")] {
        let incoming = Incoming {
            method: method.into(),
            url: format!("https://c.example.com{path}{text}"),
            headers: vec![
                ("cookie".into(), text.to_string()),
                ("origin".into(), "https://x.com".into()),
                ("authorization".into(), text.to_string()),
                ("x-omni-signature".into(), text.to_string()),
                ("x-forwarded-for".into(), text.to_string()),
            ],
            body: text.to_string(),
            body_too_large: false,
            remote_address: None,
        };
        let handled = container.handle(&incoming, CLOCK);
        assert!((200..600).contains(&handled.response.status));
        assert!(json::parse(&handled.to_json().to_json()).is_ok());
    }

    // The raw text as both identity answers: whatever the service says, the event still builds.
    let identity = Tag::new(&json::parse(IDENTITY_CONFIG).expect("identity config parses"));
    let event = json::parse(EVENT).expect("event parses");
    let answers = [parse_answer(200, &text), parse_answer(200, &text)];
    let mut cache = Cache::default();
    let out = identity.build_with(&event, &Json::Null, CLOCK, Some(&answers), Some(&mut cache));
    assert!(out.report.is_valid(), "identity answer broke the event: {:?}", out.report);
    assert!(json::parse(&out.to_json().to_json()).is_ok());

    let Ok(fuzzed) = json::parse(&text) else {
        return;
    };

    // The input as a queued batch after a try: one decision per row, each re-parsing.
    let batch = Batch::from_json(&fuzzed);
    let tried = outcomes(&batch.sent, CLOCK.now_ms);
    let next = settle(&batch.policy, &batch.rows, &batch.built, &batch.sent, &tried, CLOCK.now_ms, 7);
    assert_eq!(next.len(), batch.rows.len());
    for n in &next {
        assert!(json::parse(&n.to_json().to_json()).is_ok());
    }
    // ... and as an ERROR record for the monitor's gate.
    let mut gate = Gate::default();
    for _ in 0..3 {
        if let Some(body) = gate.admit(&fuzzed, CLOCK.now_ms, 2) {
            assert!(json::parse(&body).is_ok());
        }
    }
    let fixed = Tag::new(&json::parse(CONFIG).expect("fixed config parses"));
    let from_input = Tag::new(&fuzzed);
    for (tag, name) in [(&fixed, "fixed config"), (&from_input, "fuzzed config")] {
        check(tag, &fuzzed, &Json::Null, name);
        check(tag, &fuzzed, &fuzzed, name);
    }
});
