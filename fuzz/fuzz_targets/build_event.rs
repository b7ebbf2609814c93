//! One event through the whole pipeline: the input as the event (under a fixed config and
//! under itself as the config), as the request context, and as raw JSON text.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::tag::Tag;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fixed = tag(CONFIG);
    check_build(&fixed.build_text(&text, &text, CLOCK), "event text");
    let fuzzed = as_json(&text);
    let from_input = Tag::new(&fuzzed);
    for (t, name) in [(&fixed, "fixed config"), (&from_input, "fuzzed config")] {
        check_build(
            &t.build(&fuzzed, &omni_meta_capi::json::Json::Null, CLOCK),
            name,
        );
        check_build(&t.build(&fuzzed, &fuzzed, CLOCK), name);
    }
});
