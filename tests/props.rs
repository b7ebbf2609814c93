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

mod json_props {
    use omni_meta_capi::json::{parse, Json};
    use proptest::prelude::*;

    fn any_json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(|n| Json::Number(n.to_string())),
            "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,2})?".prop_map(Json::Number),
            any::<String>().prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((any::<String>(), inner), 0..6).prop_map(Json::Object),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_json_like_text(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,40}") {
            let _ = parse(&text);
        }

        #[test]
        fn written_json_parses_back_to_the_same_value(v in any_json()) {
            prop_assert_eq!(parse(&v.to_json()), Ok(v));
        }
    }
}
