//! Doctor: the probes' answers of any shape (a JSON array of attempts with `date`) become
//! verdicts, JSON and text, under a fixed config and under the input as the config.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::dispatch::Attempt;
use omni_meta_capi::doctor::{judge, plan, result_json, result_text, Answer};
use omni_meta_capi::json::Json;
use omni_meta_capi::tag::Tag;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (answers, config) = split2(&text);
    let answers: Vec<Option<Answer>> = as_json(answers)
        .as_array()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (!a.is_null()).then(|| Answer {
                attempt: Attempt::from_json(a),
                date: a.get("date").and_then(Json::as_str).map(str::to_string),
            })
        })
        .collect();
    for t in [tag(IDENTITY_CONFIG), Tag::new(&as_json(config))] {
        let checks = plan(&t, CLOCK);
        let verdicts = judge(&t, &checks, &answers, CLOCK.now_ms);
        reparses(&result_json(&verdicts).to_json(), "verdicts");
        let _ = result_text(&verdicts);
    }
});
