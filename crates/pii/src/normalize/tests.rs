//! Table tests: one row per rule, Meta's documentation examples, and the research vectors.
use super::*;

const CTX: Context = Context { current_year: 2026 };

fn hashed(field: Field, raw: &str) -> Option<(String, String)> {
    normalize_and_hash(field, raw, CTX)
        .ok()
        .map(|h| (h.normalized, h.hash))
}

#[test]
fn meta_documentation_examples() {
    let rows = [
        (
            Field::Email,
            "John_Smith@gmail.com",
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f",
        ),
        (
            Field::Phone,
            "16505551212",
            "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176",
        ),
        (
            Field::FirstName,
            "Mary",
            "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec",
        ),
        (
            Field::FirstName,
            "정",
            "8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14",
        ),
        (
            Field::FirstName,
            "Valéry",
            "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c",
        ),
        (
            Field::DateOfBirth,
            "2/16/1997",
            "01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c",
        ),
        (
            Field::Country,
            "United States",
            "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621",
        ),
    ];
    for (field, input, hash) in rows {
        assert_eq!(
            hashed(field, input).map(|h| h.1).as_deref(),
            Some(hash),
            "{field:?} {input}"
        );
    }
}

/// `tests/fixtures/capi_test_vectors.json` (from the project's research). Three vectors follow
/// the research's proposed "docs" rules rather than Meta's builder; for those we assert the
/// builder's behaviour, which is the contract (see the README's normalization notes).
#[test]
fn research_vectors() {
    let text = include_str!("../../../../tests/fixtures/capi_test_vectors.json");
    let parsed = crate::json::parse(text).expect("fixture parses");
    let vectors = parsed.as_array().unwrap_or_default();
    assert!(vectors.len() >= 37);
    let text_of = |v: &crate::json::Json, k: &str| {
        v.get(k)
            .and_then(crate::json::Json::as_str)
            .map(str::to_string)
    };
    for v in vectors {
        let field = Field::from_key(&text_of(v, "field").unwrap_or_default()).expect("known field");
        let input = &text_of(v, "input").unwrap_or_default();
        let input = input.as_str();
        let got = hashed(field, input);
        let expected = match (field, input) {
            // Builder: no phone length check.
            (Field::Phone, "123") => Some(("123".into(), sha256_hex(b"123"))),
            // Builder: internal spaces kept in zips.
            (Field::Zip, "M1 1AE") => Some(("m1 1ae".into(), sha256_hex(b"m1 1ae"))),
            // We emit the digest without the builder's appendix.
            (_, i) if i.len() > 64 && i.get(..64).is_some_and(is_hex_digest) => {
                let hex = i[..64].to_string();
                Some((hex.clone(), hex))
            }
            _ => text_of(v, "normalized").map(|n| (n, text_of(v, "sha256").unwrap_or_default())),
        };
        assert_eq!(got, expected, "{} {:?}", field.key(), input);
    }
}

#[test]
fn every_field_has_a_rule() {
    let rows: &[(Field, &str, Option<&str>)] = &[
        (
            Field::Email,
            " JOHN@EXAMPLE.COM\u{3000}",
            Some("john@example.com"),
        ),
        (Field::Email, "not-an-email", None),
        (Field::Phone, "+44 (0)20 7946 0958", Some("4402079460958")),
        (Field::FirstName, "  Zoë ", Some("zoë")),
        (Field::LastName, "García-Márquez", Some("garcíamárquez")),
        (Field::LastName, "Ἀθηνᾶ", Some("ἀθηνᾶ")),
        (Field::Gender, "Woman", Some("f")),
        (Field::DateOfBirth, "1990-02-14", Some("19900214")),
        (Field::City, "Saint-Étienne", Some("sainttienne")),
        (Field::State, "British Columbia", Some("bc")),
        (Field::Zip, " 94025-1234 ", Some("94025")),
        (Field::Country, "Deutschland", Some("de")),
        (Field::ExternalId, "ABC 123", Some("abc123")),
    ];
    for (field, input, normalized) in rows {
        let got = normalize(*field, input, CTX).ok();
        assert_eq!(got.as_deref(), *normalized, "{} {input:?}", field.key());
    }
}

#[test]
fn prehashed_values_pass_through_lowercased() {
    let upper = "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9";
    let lower = upper.to_ascii_lowercase();
    for field in Field::ALL {
        let h = normalize_and_hash(field, &format!(" {upper}\n"), CTX).expect("passes");
        assert!(h.prehashed);
        assert_eq!(h.hash, lower);
    }
    let md5 = "0CC175B9C0F1B6A831C399E269772661";
    assert_eq!(
        hashed(Field::Phone, md5).map(|h| h.1),
        Some(md5.to_ascii_lowercase())
    );
    for appendix in ["AQQCAQIB", "BA", "Bg", "ééééàààà"] {
        let h = hashed(Field::Email, &format!("{upper}.{appendix}")).expect("appendix form");
        assert_eq!(h.1, lower, "{appendix}");
    }
    // Not an appendix: wrong token length, or a non-hex head.
    assert!(hashed(Field::Email, &format!("{upper}.ABC")).is_none());
    assert_eq!(
        hashed(Field::ExternalId, &format!("{lower}.abc")).map(|h| h.0),
        Some(format!("{lower}.abc"))
    );
}

#[test]
fn lists_drop_and_dedupe_in_order() {
    let values = ["b@x.com", "bad", "A@X.COM", " b@x.com ", "a@x.com", ""];
    let r = normalize_list(Field::Email, values, CTX);
    assert_eq!(
        r.hashes,
        vec![sha256_hex(b"b@x.com"), sha256_hex(b"a@x.com")]
    );
    assert_eq!(
        r.dropped,
        vec![(1, DropReason::InvalidEmail), (5, DropReason::Empty)]
    );
}

#[test]
fn keys_round_trip() {
    for f in Field::ALL {
        assert_eq!(Field::from_key(f.key()), Some(f));
    }
    assert_eq!(Field::from_key("email"), None);
    assert!(!PLAIN_KEYS.iter().any(|k| Field::from_key(k).is_some()));
}

#[test]
fn the_plain_match_keys_are_the_customer_information_ones() {
    assert_eq!(
        PLAIN_MATCH_KEYS,
        [
            "client_ip_address",
            "client_user_agent",
            "fbc",
            "fbp",
            "subscription_id",
            "fb_login_id",
            "lead_id",
            "anon_id",
            "madid",
        ]
    );
    assert_eq!(PLAIN_KEYS.get(PLAIN_MATCH_KEYS.len()), Some(&"page_id"));
}
