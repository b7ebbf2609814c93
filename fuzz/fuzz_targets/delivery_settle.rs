//! The durable queue: any JSON as a batch after one try (`delivery::Batch::from_json`), settled
//! into one decision per row.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::delivery::{outcomes, settle, Batch};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let batch = Batch::from_json(&as_json(&text));
    for now in [0, CLOCK.now_ms] {
        let tried = outcomes(&batch.sent, now);
        let next = settle(
            &batch.policy,
            &batch.rows,
            &batch.built,
            &batch.sent,
            &tried,
            now,
            7,
        );
        assert_eq!(next.len(), batch.rows.len());
        for n in &next {
            reparses(&n.to_json().to_json(), "settled row");
        }
    }
});
