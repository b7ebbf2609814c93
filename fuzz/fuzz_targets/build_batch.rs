//! Batches and multi-pixel: the input as an array of events (or per-event contexts), built into
//! at most 1,000 events per request and one request per pixel.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::batch::{build_batch, Contexts};
use omni_meta_capi::json::Json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (events, contexts) = split2(&text);
    let events = as_json(events);
    let contexts = as_json(contexts);
    let list = events.as_array().unwrap_or_default();
    for config in [CONFIG, MULTI_PIXEL] {
        let t = tag(config);
        let out = build_batch(
            &t,
            list,
            Contexts::of(&contexts, list.len()),
            CLOCK,
            &[],
            None,
        );
        assert_eq!(out.events.len(), list.len());
        for r in &out.requests {
            assert!(!r.event_indexes.is_empty() && r.event_indexes.len() <= 1000);
            reparses(&r.request.body, "batch body");
        }
        let wire = out.to_wire();
        reparses(wire.split('\n').next().unwrap_or_default(), "batch head");
        let _ = Json::Null;
    }
});
