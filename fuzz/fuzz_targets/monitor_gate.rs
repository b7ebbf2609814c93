//! The error monitor's gate: any record, many times over several minutes; at most the limit
//! of posts per kind and minute, each JSON.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::monitor::Gate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let record = as_json(&text);
    let mut gate = Gate::default();
    for minute in 0..3u64 {
        let mut posted = 0;
        for i in 0..4u64 {
            if let Some(body) = gate.admit(&record, CLOCK.now_ms + minute * 60_000 + i, 2) {
                reparses(&body, "monitor body");
                posted += 1;
            }
        }
        assert!(posted <= 2, "{posted} posts in a minute");
    }
});
