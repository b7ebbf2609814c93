//! Meta's answers through the dispatch decision: any status, body, Retry-After and Date; the
//! decision is JSON and a retry delay is bounded by the policy.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::dispatch::retry_after::{http_date_ms, retry_after_ms};
use omni_meta_capi::dispatch::{decide_try, Attempt, Try};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (body, retry_after) = split2(&text);
    let _ = retry_after_ms(retry_after, CLOCK.now_ms);
    let _ = http_date_ms(retry_after);
    let status = [200, 400, 401, 403, 408, 429, 500, 502, 503, 504][usize::from(n) % 10];
    let mut attempt = omni_meta_capi::json::Json::object([
        ("kind", omni_meta_capi::json::Json::from("response")),
        ("status", omni_meta_capi::json::Json::from(status as u64)),
        ("body", omni_meta_capi::json::Json::from(body)),
        ("retryAfter", omni_meta_capi::json::Json::from(retry_after)),
    ]);
    let config = tag(CONFIG);
    for a in [
        Attempt::from_json(&attempt),
        Attempt::from_json(&as_json(&text)),
    ] {
        for number in [1, u32::from(n >> 4) + 1] {
            let tried = Try {
                number,
                sent: u64::from(n),
                earlier_unconfirmed: n & 1 == 1,
            };
            let d = decide_try(
                &config.config().retry,
                &a,
                tried,
                CLOCK.now_ms,
                u32::from(n) * 7919,
            );
            reparses(&d.to_json().to_json(), "decision");
        }
    }
    attempt.set("kind", omni_meta_capi::json::Json::from("network"));
    let _ = Attempt::from_json(&attempt);
});
