//! Property tests: no input of any kind panics, and every output is 64 lowercase hex or nothing.
#![cfg(not(target_arch = "wasm32"))]

use omni_meta_capi::normalize::{normalize_and_hash, normalize_list, Context, Field};
use proptest::prelude::*;

const CTX: Context = Context { current_year: 2026 };

fn any_field() -> impl Strategy<Value = Field> {
    (0..Field::ALL.len()).prop_map(|i| Field::ALL[i])
}

/// Arbitrary strings, plus strings built from the pieces that stress normalizers.
fn messy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        Just(" ".to_string()),
        Just("\u{3000}\u{FEFF}\u{2028}".to_string()),
        Just("@".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just("ΣΑΣ".to_string()),
        Just("0".repeat(64)),
        "[0-9]{1,9}".prop_map(|s| s),
        "[a-fA-F0-9]{64}\\.[A-Za-z0-9]{8}".prop_map(|s| s),
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    ]
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn never_panics_and_hashes_are_lower_hex(field in any_field(), raw in messy()) {
        if let Ok(h) = normalize_and_hash(field, &raw, CTX) {
            // 32-hex MD5 digests pass through as they are; everything else is SHA-256.
            prop_assert!(is_lower_hex64(&h.hash) || (h.prehashed && h.hash.len() == 32), "{:?}", h);
            prop_assert!(!h.normalized.is_empty());
        }
    }

    #[test]
    fn lists_are_deduplicated(field in any_field(), raw in prop::collection::vec(messy(), 0..8)) {
        let doubled: Vec<&str> = raw.iter().chain(raw.iter()).map(String::as_str).collect();
        let r = normalize_list(field, doubled, CTX);
        let mut seen = std::collections::HashSet::new();
        prop_assert!(r.hashes.iter().all(|h| seen.insert(h.clone())));
    }
}
