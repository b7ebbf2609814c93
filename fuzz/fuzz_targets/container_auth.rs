//! /event credentials: Bearer tokens and signatures of any shape, against tokens and a secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_meta_capi::container::auth::{secret_matches, EventAuth};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let authorization = parts.next().unwrap_or_default();
    let signature = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let auth = EventAuth::new(
        vec!["fuzz-token-0123456789".into()],
        Some("s".into()),
        false,
    );
    for now in [0, 1_764_331_200_000, u64::MAX] {
        let _ = auth.check(Some(authorization), Some(signature), body, now);
        let _ = auth.check(Some(authorization), None, body, now);
    }
    let closed = EventAuth::new(Vec::new(), None, false);
    assert!(closed
        .check(Some(authorization), Some(signature), body, 0)
        .is_err());
    assert_eq!(secret_matches(authorization, authorization), true);
});
