//! The normalizer running as wasm inside headless Chromium (`wasm-pack test --headless --chrome`):
//! the research vectors (Meta's documentation examples among them), through the core and through the
//! JSON bindings the npm package uses.
#![cfg(target_arch = "wasm32")]

use omni_meta_capi::bindings::{hash_user_data_text, normalize_json};
use omni_meta_capi::json::{parse, write_string, Json};
use omni_meta_capi::normalize::{normalize_and_hash, Context, Field};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CTX: Context = Context { current_year: 2026 };

#[wasm_bindgen_test]
fn research_vectors_in_the_browser() {
    let parsed = parse(include_str!("fixtures/capi_test_vectors.json")).expect("fixture parses");
    let vectors = parsed.as_array().unwrap_or_default();
    assert!(vectors.len() >= 37);
    let mut checked = 0;
    for v in vectors {
        let text = |k: &str| v.get(k).and_then(Json::as_str);
        let (Some(key), Some(input)) = (text("field"), text("input")) else {
            continue;
        };
        // Builder quirks and the appendix form are covered by the native table tests.
        if ["123", "M1 1AE"].contains(&input) || input.contains('.') && input.len() > 64 {
            continue;
        }
        let field = Field::from_key(key).expect("known field");
        let got = normalize_and_hash(field, input, CTX).ok().map(|h| h.hash);
        assert_eq!(got.as_deref(), text("sha256"), "{key} {input}");
        checked += 1;
    }
    assert!(checked >= 30);
}

#[wasm_bindgen_test]
fn json_bindings_in_the_browser() {
    let one = parse(&normalize_json(
        r#"{"field":"ct","value":"São Paulo"}"#,
        2026,
    ))
    .expect("json out");
    assert_eq!(
        one.get("normalized").and_then(Json::as_str),
        Some("sopaulo")
    );

    let out = hash_user_data_text(
        br#"[{"em":"A@B.co","country":"Deutschland","fbp":"fb.1.1.1"}, 7]"#,
        2026,
        false,
    );
    let batch = parse(&out).expect("json out");
    let records = batch.as_array().unwrap_or_default();
    let user_data = records[0].get("userData").expect("userData");
    let country = user_data
        .get("country")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let de = "959a45d44e6fcf58361ed004681556fe50129f2109e817dec098c00c9e5d2578";
    assert_eq!(country[0].as_str(), Some(de));
    assert_eq!(
        user_data.get("fbp").and_then(Json::as_str),
        Some("fb.1.1.1")
    );
    assert_eq!(
        records[1].get("error").and_then(Json::as_str),
        Some("record is not an object")
    );

    // The records arrive as UTF-8 bytes: anything else is reported, not read.
    let not_utf8 = parse(&hash_user_data_text(&[b'[', 0xff, b']'], 2026, false)).expect("json out");
    assert_eq!(
        not_utf8
            .get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("invalid_json")
    );

    let bad = parse(&normalize_json("{", 2026)).expect("json out");
    let code = bad
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Json::as_str);
    assert_eq!(code, Some("invalid_json"));
}

/// The four-lane SHA-256 (wasm SIMD here) against sha2 (`hash::sha256`, one message at a time)
/// at every one-block length, four different lengths and contents per call.
#[wasm_bindgen_test]
fn four_lane_sha256_matches_sha2_in_the_browser() {
    use omni_meta_capi::hash::sha256;
    use omni_meta_capi_pii::sha256_block::{digest_four, ONE_BLOCK_MAX};
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    };
    for len in 0..=ONE_BLOCK_MAX {
        for _ in 0..4 {
            let lens = [
                len,
                (len * 7 + 3) % 56,
                (len + 28) % 56,
                ONE_BLOCK_MAX - len,
            ];
            let ms = lens.map(&mut random);
            let got = digest_four([&ms[0], &ms[1], &ms[2], &ms[3]]);
            for (lane, m) in ms.iter().enumerate() {
                assert_eq!(got[lane], sha256(m), "lane {lane}, length {}", m.len());
            }
        }
    }
}

/// JSON strings are scanned eight bytes at a time (json.rs `first_escape`), here in wasm's own
/// word arithmetic: every byte that needs escaping, at every position of strings around the
/// word size, with two-byte characters beside it, is escaped as a byte-by-byte writer does and
/// parses back.
#[wasm_bindgen_test]
fn json_string_scan_in_wasm_finds_every_special_byte() {
    fn escaped_byte_by_byte(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    // Plain text with a two-byte character, so bytes >= 0x80 pass the unsigned compare.
    let plain: Vec<char> = "abcdefghijklmnopqrstuvwxyzé0123456789".chars().collect();
    let mut checked = 0;
    for len in 0..40 {
        let base: Vec<char> = plain.iter().cycle().skip(len).take(len).copied().collect();
        for at in 0..=len {
            for special in (0u8..0x20).chain([b'"', b'\\']) {
                let mut chars = base.clone();
                chars.insert(at, char::from(special));
                let s: String = chars.into_iter().collect();
                let mut written = String::new();
                write_string(&s, &mut written);
                assert_eq!(written, escaped_byte_by_byte(&s), "length {len}, at {at}");
                let back = parse(&written).expect("parses");
                assert_eq!(back.as_str(), Some(s.as_str()), "length {len}, at {at}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (1..=40).sum::<usize>() * 34);
}
