//! Normalization: the text through every field's normalizer (a hash is 64 lowercase hex, or 32
//! for a pre-hashed MD5 where Meta takes it), and as lines of the `normalize` command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_meta_capi::jsonl::normalize_lines;
use omni_meta_capi::normalize::{normalize_and_hash, Context, Field};

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = Context { current_year: 2026 };
    for field in Field::ALL {
        if let Ok(h) = normalize_and_hash(field, &text, ctx) {
            let ok = is_lower_hex(&h.hash, 64) || (h.prehashed && is_lower_hex(&h.hash, 32));
            assert!(ok, "{field:?}: bad hash {:?}", h.hash);
        }
    }
    let out = normalize_lines(&text, 1, ctx);
    for line in out.output.lines() {
        assert!(
            omni_meta_capi::json::parse(line).is_ok(),
            "output line: {line}"
        );
    }
});
