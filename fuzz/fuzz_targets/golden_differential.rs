//! Differential: a golden case (one line of tests/golden/inputs.jsonl) built by the core must
//! give the recorded bytes (tests/golden/expected.jsonl); a mutated case has no recording, so
//! it is built two ways that must agree: alone and as a one-event batch give the same server
//! event in the body.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::batch::{build_batch, event_clock, Contexts};
use omni_meta_capi::golden::Case;
use omni_meta_capi::json::{self, Json};
use std::collections::HashMap;
use std::sync::OnceLock;

const INPUTS: &str = include_str!("../../tests/golden/inputs.jsonl");
const EXPECTED: &str = include_str!("../../tests/golden/expected.jsonl");

/// Recorded output by input line.
fn recorded() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| INPUTS.lines().zip(EXPECTED.lines()).collect())
}

/// The first body's `data[0]` (the server event), as JSON text.
fn first_event(body: &str) -> Option<String> {
    let v = json::parse(body).ok()?;
    Some(v.get("data")?.as_array()?.first()?.to_json())
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let line = line.trim_end_matches('\n');
    let Some(case) = Case::from_line(line) else {
        return;
    };
    let actual = case.record();
    if let Some(expected) = recorded().get(line) {
        assert_eq!(&actual, expected, "golden case {} differs", case.name);
        return;
    }
    if case.batch {
        return;
    }
    let t = omni_meta_capi::tag::Tag::from_text(&case.config);
    let Ok(event) = json::parse(&case.event) else {
        return;
    };
    let request = json::parse(&case.request).unwrap_or(Json::Null);
    // A batch gives its event #0 the clock `event_clock(clock, 0)`: built alone with that
    // clock, the same server event must come out.
    let alone = t.build(&event, &request, event_clock(case.clock, 0));
    let batch = build_batch(
        &t,
        std::slice::from_ref(&event),
        Contexts::Shared(&request),
        case.clock,
        &[],
        None,
    );
    check_build(&alone, "golden mutant");
    let a = alone.requests.first().and_then(|r| first_event(&r.body));
    let b = batch
        .requests
        .first()
        .and_then(|r| first_event(&r.request.body));
    assert_eq!(a, b, "alone and as a batch differ");
});
