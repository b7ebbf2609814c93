//! GA4 hits (`/g/collect`): query and body of any shape become events that are JSON.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::collect::parse_hit;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (query, body) = split2(&text);
    for (q, b) in [(query, body), (&*text, &*text)] {
        let parsed = parse_hit(q, b);
        for event in &parsed.events {
            reparses(&event.to_json(), "hit event");
        }
    }
});
