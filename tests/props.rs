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
            any::<i64>().prop_map(|n| Json::Number(n.to_string().into())),
            "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,2})?"
                .prop_map(|n| Json::Number(n.into())),
            any::<String>().prop_map(Json::from),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((any::<String>(), inner), 0..6).prop_map(|pairs| {
                    Json::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v): (String, Json)| (k.into(), v))
                            .collect(),
                    )
                }),
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

mod tag_props {
    use omni_meta_capi::json::{parse, Json};
    use omni_meta_capi::payload::Clock;
    use omni_meta_capi::tag::Tag;
    use proptest::prelude::*;

    const CLOCK: Clock = Clock {
        now_ms: 1_764_331_200_000,
        entropy: [3; 16],
    };

    fn any_json() -> impl Strategy<Value = Json> {
        let key = prop_oneof![
            Just("event_name".to_string()),
            Just("user_data".to_string()),
            Just("items".to_string()),
            Just("value".to_string()),
            Just("currency".to_string()),
            Just("address".to_string()),
            Just("email_address".to_string()),
            Just("pixelId".to_string()),
            Just("accessToken".to_string()),
            Just("x-fb-ud-em".to_string()),
            Just("x-fb-cd-value".to_string()),
            Just("event_time".to_string()),
            Just("ip_override".to_string()),
            Just("page_location".to_string()),
            Just("consent".to_string()),
            Just("ldu".to_string()),
            Just("productSchema".to_string()),
            Just("cookies".to_string()),
            "[a-z_]{1,8}",
        ];
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            "-?[0-9]{1,15}(\\.[0-9]{1,3})?".prop_map(|n| Json::Number(n.into())),
            any::<String>().prop_map(Json::from),
            Just(Json::from("https://x.com/?fbclid=AbC")),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|pairs| Json::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v): (String, Json)| (k.into(), v))
                        .collect()
                )),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        #[test]
        fn any_json_as_config_event_or_request_never_panics(config in any_json(), event in any_json(), request in any_json()) {
            let tag = Tag::new(&config);
            let out = tag.build(&event, &request, CLOCK);
            prop_assert!(parse(&out.to_json().to_json()).is_ok());
            let good = Tag::new(&parse(r#"{"pixelId": "1", "accessToken": "t"}"#).expect("config"));
            let out = good.build(&event, &request, CLOCK);
            prop_assert!(parse(&out.to_json().to_json()).is_ok());
        }

        #[test]
        fn request_bodies_never_carry_plaintext_pii(
            user in "[a-z]{8,12}",
            domain in "[a-z]{7,9}",
            first in "[A-Z][a-z]{5,9}",
            last in "[A-Z][a-z]{5,9}",
            phone in "[2-9][0-9]{9}",
            city in "[A-Z][a-z]{6,10}",
        ) {
            let email = format!("{user}@{domain}.com");
            let event = format!(r#"{{"event_name": "purchase", "value": 1, "currency": "EUR", "page_location": "https://shop.example.com/",
                "user_agent": "UA", "user_id": "{user}{phone}",
                "user_data": {{"email_address": "{email}", "phone_number": "+1 {phone}",
                  "address": [{{"first_name": "{first}", "last_name": "{last}", "city": "{city}"}}]}},
                "x-fb-ud-fn": "{first}"}}"#);
            let tag = Tag::new(&parse(r#"{"pixelId": "1", "accessToken": "t"}"#).expect("config"));
            let event = parse(&event).expect("event");
            let out = tag.build(&event, &Json::Null, CLOCK);
            prop_assert_eq!(out.requests.len(), 1);
            let body = out.requests[0].body.to_ascii_lowercase();
            for plain in [email.as_str(), user.as_str(), phone.as_str(), &first.to_ascii_lowercase(), &last.to_ascii_lowercase(), &city.to_ascii_lowercase()] {
                prop_assert!(!body.contains(plain), "{} leaked", plain);
            }
        }
    }
}

/// The batch path (`user_data_batch::hash_records_json`, JSON text straight to JSON text) gives
/// the same bytes as the tree path (`hash_user_data` per parsed record) for any batch of records
/// with any mix of key kinds, repeated keys, value shapes and escapes; non-arrays and broken
/// text are left to the caller.
mod batch_props {
    use omni_meta_capi::json::{parse, Json};
    use omni_meta_capi::normalize::Context;
    use omni_meta_capi::user_data::hash_records;
    use omni_meta_capi::user_data_batch::hash_records_json;
    use proptest::prelude::*;

    const CTX: Context = Context { current_year: 2026 };

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "em",
                "ph",
                "fn",
                "ln",
                "ge",
                "db",
                "ct",
                "st",
                "zp",
                "country",
                "external_id",
                "fbp",
                "client_ip_address",
                "lead_id",
                "zz",
                "q\"k",
            ])
            .prop_map(String::from),
            any::<String>(),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            super::messy(),
            prop::sample::select(vec![
                " A@B.com ",
                "a@b.com",
                "+1 (650) 555-1212",
                "ΟΔΥΣΣΕΑΣ",
                "F",
                "2/16/1997",
                "São Paulo",
                "California",
                "94025-1234",
                "United States",
                "Constructor",
                "",
            ])
            .prop_map(String::from),
        ]
    }

    fn value() -> impl Strategy<Value = Json> {
        let scalar = prop_oneof![
            4 => text().prop_map(Json::from),
            1 => Just(Json::Null),
            1 => any::<bool>().prop_map(Json::Bool),
            1 => "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,3})?([eE][+-]?[0-9])?".prop_map(|n| Json::Number(n.into())),
        ];
        scalar.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::vec((key(), inner), 0..3).prop_map(|pairs| Json::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v): (String, Json)| (k.into(), v))
                        .collect()
                )),
            ]
        })
    }

    fn batch() -> impl Strategy<Value = Json> {
        let record = prop_oneof![
            8 => prop::collection::vec((key(), value()), 0..8).prop_map(|pairs| Json::Object(pairs.into_iter().map(|(k, v): (String, Json)| (k.into(), v)).collect())),
            1 => value(),
        ];
        prop::collection::vec(record, 0..6).prop_map(Json::Array)
    }

    fn by_tree(records: &[Json]) -> String {
        hash_records(records, CTX).to_json()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn batch_path_writes_what_the_tree_path_writes(batch in batch(), spaced in any::<bool>()) {
            let mut text = batch.to_json();
            if spaced {
                // Spaces between tokens (inside strings they only change the data, which both
                // paths read from the same text).
                text = format!(" {} ", text.replace(',', " , ").replace(':', " : "));
            }
            let Json::Array(records) = parse(&text).expect("valid JSON") else { unreachable!() };
            prop_assert_eq!(hash_records_json(&text, CTX), Some(by_tree(&records)));
        }

        #[test]
        fn broken_text_is_left_to_the_caller(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,40}") {
            let fast = hash_records_json(&text, CTX);
            match parse(&text) {
                Ok(Json::Array(records)) => prop_assert_eq!(fast, Some(by_tree(&records))),
                _ => prop_assert_eq!(fast, None),
            }
        }
    }
}
