//! The identity service's answers: whatever it says (any status, any body), the event builds.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::identity::{answer_from_json, parse_answer, Cache};

fuzz_target!(|data: &[u8]| {
    let Some((&status, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let identity = tag(IDENTITY_CONFIG);
    let event = as_json(EVENT);
    let status = [200, 201, 400, 401, 404, 429, 500, 503][usize::from(status) % 8];
    let answers = [
        parse_answer(status, &text),
        answer_from_json(&as_json(&text)),
    ];
    let mut cache = Cache::default();
    let out = identity.build_with(
        &event,
        &omni_meta_capi::json::Json::Null,
        CLOCK,
        Some(&answers),
        Some(&mut cache),
    );
    assert!(
        out.report.is_valid(),
        "identity answer broke the event: {:?}",
        out.report
    );
    check_build(&out, "identity build");
});
