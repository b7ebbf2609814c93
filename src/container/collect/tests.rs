use super::*;
use crate::json::parse;

/// SHA-256 of "16505551212": hex and unpadded base64url.
const PHONE_HEX: &str = "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176";
const PHONE_B64URL: &str = "4yPsYmMZypTui_8uTIfPYTvm6hmRntE2QSThaAerMXY";
/// SHA-256 of "jane.doe@example.com": hex and unpadded base64url.
const EMAIL_HEX: &str = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d";
const EMAIL_B64URL: &str = "huC55WwXzE0SOH4ZSbhQU_vnO8POWhGIcTqdMAzGEz0";

/// The one event of a hit that must give exactly one event and no problem.
fn one_event(query: &str, body: &str) -> Json {
    let parsed = parse_hit(query, body);
    assert_eq!(parsed.problems, vec![], "{query:?} {body:?}");
    assert_eq!(parsed.events.len(), 1, "{query:?} {body:?}");
    parsed.events.into_iter().next().unwrap()
}

fn messages(parsed: &Parsed) -> Vec<(usize, String)> {
    parsed
        .problems
        .iter()
        .map(|p| (p.line, p.message.clone()))
        .collect()
}

#[test]
fn a_realistic_get_hit_becomes_common_event_data() {
    let query = "v=2&tid=G-ABC123&gtm=45je&_p=1700000000000&cid=555.111&ul=en-us&sr=1920x1080\
        &dl=https%3A%2F%2Fshop.example.com%2Fp%3Ffbclid%3DAbC&dr=https%3A%2F%2Fl.facebook.com%2F\
        &dt=Trail%20Runner&sid=1700000000&sct=3&en=view_item&_et=1200&cu=USD&epn.value=99.95\
        &ep.item_list=summer&pr1=idSKU-1~nmTrail%20Runner~pr99.95~qt1~brOmni~caShoes~k0size~v0XL\
        &gcs=G111&gcd=13t3t3t3t5l1";
    let expected = concat!(
        r#"{"event_name":"view_item","#,
        r#""x-ga-protocol_version":"2","x-ga-measurement_id":"G-ABC123","#,
        r#""x-ga-gtm_version":"45je","x-ga-page_id":"1700000000000","#,
        r#""client_id":"555.111","language":"en-us","screen_resolution":"1920x1080","#,
        r#""page_location":"https://shop.example.com/p?fbclid=AbC","#,
        r#""page_referrer":"https://l.facebook.com/","page_title":"Trail Runner","#,
        r#""ga_session_id":"1700000000","ga_session_number":3,"engagement_time_msec":1200,"#,
        r#""currency":"USD","value":99.95,"item_list":"summer","#,
        r#""items":[{"item_id":"SKU-1","item_name":"Trail Runner","price":99.95,"quantity":1,"#,
        r#""item_brand":"Omni","item_category":"Shoes","size":"XL"}],"#,
        r#""x-ga-gcs":"G111","#,
        r#""consent_state":{"ad_storage":"granted","analytics_storage":"granted","#,
        r#""ad_user_data":"granted","ad_personalization":"granted"},"#,
        r#""x-ga-gcd":"13t3t3t3t5l1"}"#
    );
    // The same hit as a GET and as a POST with a blank body.
    assert_eq!(one_event(query, "").to_json(), expected);
    assert_eq!(one_event(query, " \r\n\n").to_json(), expected);
    // It is valid JSON that the tag can read back.
    assert_eq!(parse(expected).unwrap(), one_event(query, ""));
}

#[test]
fn a_batched_post_gives_one_event_per_line_with_shared_parameters() {
    let query = "v=2&tid=G-1&cid=1.2&dl=https%3A%2F%2Fx.com%2F&dt=Home&ep.shared=yes";
    let body = "en=page_view&_et=10\n\nep.only=here&_et=5\r\nen=add_to_cart&dt=Cart&epn.value=5&ep.shared=no\n";
    let parsed = parse_hit(query, body);
    assert_eq!(
        messages(&parsed),
        vec![(3, "line 3: no event name (en)".to_string())]
    );
    let texts: Vec<String> = parsed.events.iter().map(Json::to_json).collect();
    assert_eq!(
        texts,
        vec![
            concat!(
                r#"{"event_name":"page_view","x-ga-protocol_version":"2","x-ga-measurement_id":"G-1","#,
                r#""client_id":"1.2","page_location":"https://x.com/","page_title":"Home","#,
                r#""shared":"yes","engagement_time_msec":10}"#
            )
            .to_string(),
            concat!(
                r#"{"event_name":"add_to_cart","x-ga-protocol_version":"2","x-ga-measurement_id":"G-1","#,
                r#""client_id":"1.2","page_location":"https://x.com/","page_title":"Cart","#,
                r#""shared":"no","value":5}"#
            )
            .to_string(),
        ]
    );
}

#[test]
fn a_shared_event_name_applies_to_every_line_and_lines_override_it() {
    let parsed = parse_hit("en=page_view&cid=7", "_et=1\nen=scroll\n&&\nx=1");
    assert_eq!(parsed.problems, vec![]);
    let names: Vec<&str> = parsed
        .events
        .iter()
        .map(|e| e.get("event_name").and_then(Json::as_str).unwrap())
        .collect();
    assert_eq!(names, ["page_view", "scroll", "page_view", "page_view"]);
    assert!(parsed
        .events
        .iter()
        .all(|e| e.get("client_id") == Some(&Json::from("7"))));
}

#[test]
fn a_query_without_an_event_name_is_a_problem_on_line_0() {
    let parsed = parse_hit("v=2&cid=1", "");
    assert_eq!(parsed.events, vec![]);
    assert_eq!(
        messages(&parsed),
        vec![(0, "query string: no event name (en)".to_string())]
    );
    // An empty name counts as missing.
    assert_eq!(parse_hit("en=", "").events, vec![]);
    assert_eq!(parse_hit("en", "").problems.len(), 1);
}

#[test]
fn repeated_parameters_keep_the_last_value_and_flags_are_empty() {
    let event = one_event("en=a&dt=one&en=b&dt=two&ep.flag&up.f", "");
    assert_eq!(
        event.to_json(),
        r#"{"event_name":"b","page_title":"two","flag":"","user_properties":{"f":""}}"#
    );
}

#[test]
fn protocol_parameters_beat_event_parameters_of_the_same_name() {
    let event = one_event(
        "ep.currency=EUR&cu=USD&ep.event_name=x&en=purchase&ep.items=no&pr1=idA&epn.page_title=1&dt=T",
        "",
    );
    assert_eq!(
        event.to_json(),
        concat!(
            r#"{"event_name":"purchase","currency":"USD","items":[{"item_id":"A"}],"#,
            r#""page_title":"T"}"#
        )
    );
    // Between two event parameters the later one wins.
    let event = one_event("en=e&ep.v=text&epn.v=2", "");
    assert_eq!(event.get("v"), Some(&Json::Number("2".into())));
}

#[test]
fn unknown_protocol_parameters_stay_out() {
    let event = one_event(
        "en=e&_ss=1&_fv=2&_nsi=1&uaa=x86&frm=0&tfd=123&prx=1&npa=0&dma=1&ir=1",
        "",
    );
    assert_eq!(
        event.to_json(),
        r#"{"event_name":"e","x-ga-npa":"0","x-ga-dma":"1","x-ga-ir":"1"}"#
    );
}

#[test]
fn user_properties_are_nested_with_numbers() {
    let event = one_event("en=e&up.tier=gold&ep.a=1&upn.ltv=12.5&up.tier=silver", "");
    assert_eq!(
        event.to_json(),
        r#"{"event_name":"e","user_properties":{"tier":"silver","ltv":12.5},"a":"1"}"#
    );
}

#[test]
fn items_are_sorted_by_number_and_fields_mapped() {
    let event = one_event(
        "en=purchase\
         &pr10=idC~lp3~pr1e2\
         &pr2=idB~nmB%20name~c2x~c3y~c4z~c5w~vaRed~prfree~qt2~ds0.5~cpSAVE~lnList~liL1~afStore\
          ~loLoc~cnBanner~csTop~piP1~pnSummer~zzodd~k1color~v1blue~k2lonely~v3alone~~a~xy\
         &pr1=idA~qt01",
        "",
    );
    assert_eq!(
        event.get("items").unwrap().to_json(),
        concat!(
            r#"[{"item_id":"A","quantity":"01"},"#,
            r#"{"item_id":"B","item_name":"B name","item_category2":"x","item_category3":"y","#,
            r#""item_category4":"z","item_category5":"w","item_variant":"Red","price":"free","#,
            r#""quantity":2,"discount":0.5,"coupon":"SAVE","item_list_name":"List","#,
            r#""item_list_id":"L1","affiliation":"Store","location_id":"Loc","#,
            r#""creative_name":"Banner","creative_slot":"Top","promotion_id":"P1","#,
            r#""promotion_name":"Summer","zz":"odd","color":"blue","xy":"","k2":"lonely","v3":"alone"},"#,
            r#"{"item_id":"C","index":3,"price":1e2}]"#
        )
    );
    // Item values are percent-decoded as a whole before splitting on '~'.
    let event = one_event("en=e&pr1=id1%7Enm%C3%A9t%C3%A9", "");
    assert_eq!(
        event.get("items").unwrap().to_json(),
        r#"[{"item_id":"1","item_name":"été"}]"#
    );
    // Standard fields beat custom parameters of the same name.
    let event = one_event("en=e&pr1=k0item_id~v0custom~idreal", "");
    assert_eq!(
        event.get("items").unwrap().to_json(),
        r#"[{"item_id":"real"}]"#
    );
}

#[test]
fn item_numbers_out_of_range_are_problems_and_empty_items_are_left_out() {
    let parsed = parse_hit("en=e&pr0=idA&pr201=idB&pr01=idC&pr200=idD&pr3=~~~&pr4=", "");
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(
        parsed.events[0].get("items").unwrap().to_json(),
        r#"[{"item_id":"D"}]"#
    );
    let lines: Vec<String> = parsed.problems.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        lines,
        [
            "query string: parameter \"pr0\" is not an item number from pr1 to pr200; skipped",
            "query string: parameter \"pr201\" is not an item number from pr1 to pr200; skipped",
            "query string: parameter \"pr01\" is not an item number from pr1 to pr200; skipped",
        ]
    );
    // No usable item: no `items` key at all.
    assert_eq!(one_event("en=e&pr1=~~~", "").get("items"), None);
}

#[test]
fn hashed_user_provided_data_is_hex_in_user_data() {
    let upper = EMAIL_HEX.to_ascii_uppercase();
    let event = one_event(
        &format!("en=sign_up&em=tv.1~em.{upper}~ph.{PHONE_B64URL}&cid=1"),
        "",
    );
    assert_eq!(
        event.to_json(),
        format!(
            r#"{{"event_name":"sign_up","user_data":{{"sha256_email_address":"{EMAIL_HEX}","sha256_phone_number":"{PHONE_HEX}"}},"client_id":"1"}}"#
        )
    );
    // Base64url for the email, hex for the phone.
    let event = one_event(
        &format!("en=e&em=tv.1~ph.{PHONE_HEX}~em.{EMAIL_B64URL}"),
        "",
    );
    assert_eq!(
        event.get("user_data").unwrap().to_json(),
        format!(r#"{{"sha256_phone_number":"{PHONE_HEX}","sha256_email_address":"{EMAIL_HEX}"}}"#)
    );
}

#[test]
fn plaintext_user_provided_data_is_kept_as_plaintext() {
    let event = one_event(
        "en=generate_lead&em=tv.1~em.Jane.Doe%40Example.com~ph.%2B1%20650%20555%201212~fn.jane",
        "",
    );
    assert_eq!(
        event.get("user_data").unwrap().to_json(),
        r#"{"email_address":"Jane.Doe@Example.com","phone_number":"+1 650 555 1212"}"#
    );
    // Almost-hashes are plaintext: 63 hex digits, base64 with '+', 43 chars with non-zero
    // trailing bits ('1' at the end of a 32-byte digest).
    let almost = [
        &EMAIL_HEX[1..],
        "huC55WwXzE0SOH4ZSbhQU+vnO8POWhGIcTqdMAzGEz0",
        "huC55WwXzE0SOH4ZSbhQU_vnO8POWhGIcTqdMAzGEz1",
    ];
    for value in almost {
        let event = one_event(&format!("en=e&em=tv.1~em.{value}"), "");
        // '+' in an unencoded query value is a space.
        let expected = value.replace('+', " ");
        assert_eq!(
            event.get("user_data").unwrap().get("email_address"),
            Some(&Json::from(expected.as_str())),
            "{value}"
        );
    }
    // Nothing usable in `em`: no user_data.
    assert_eq!(
        one_event("en=e&em=tv.1~em.~xx.y~junk", "").get("user_data"),
        None
    );
    // The last value of a kind wins, whatever its form.
    let event = one_event(&format!("en=e&em=tv.1~em.a%40b.co~em.{EMAIL_HEX}"), "");
    assert_eq!(
        event.get("user_data").unwrap().to_json(),
        format!(r#"{{"sha256_email_address":"{EMAIL_HEX}"}}"#)
    );
}

#[test]
fn bad_numbers_are_problems_and_only_that_parameter_is_skipped() {
    let parsed = parse_hit(
        "en=purchase&epn.value=12%2C5&epn.tax=1.&epn.ok=-0.5e3&upn.ltv=01&sct=abc&ep.s=1&epn.=1",
        "",
    );
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(
        parsed.events[0].to_json(),
        r#"{"event_name":"purchase","ok":-0.5e3,"s":"1"}"#
    );
    assert_eq!(
        messages(&parsed),
        vec![
            (
                0,
                "query string: parameter \"epn.value\" is not a JSON number; skipped".into()
            ),
            (
                0,
                "query string: parameter \"epn.tax\" is not a JSON number; skipped".into()
            ),
            (
                0,
                "query string: parameter \"upn.ltv\" is not a JSON number; skipped".into()
            ),
            (
                0,
                "query string: parameter \"sct\" is not a JSON number; skipped".into()
            ),
            (
                0,
                "query string: parameter \"epn.\" has no name after its prefix; skipped".into()
            ),
        ]
    );
}

#[test]
fn json_number_grammar() {
    for good in [
        "0", "-0", "7", "129.9", "-1.25", "1e5", "1E+5", "2.5e-3", "10",
    ] {
        assert!(is_json_number(good), "{good:?}");
    }
    for bad in [
        "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "NaN", "Infinity", "0x10", "1,5", " 1", "1 ",
        "--1", "1.2.3", "١",
    ] {
        assert!(!is_json_number(bad), "{bad:?}");
    }
}

#[test]
fn bad_percent_encoding_is_a_problem_naming_the_parameter() {
    let parsed = parse_hit(
        "en=e&dl=%ZZ&dt=%FF&cid=1&%FF=1",
        "en=f&ep.x=%E2%82\nen=g&ok=%E2%82%AC",
    );
    assert_eq!(parsed.events.len(), 2);
    // The bad parameters are missing, the rest is there.
    for event in &parsed.events {
        assert_eq!(event.get("client_id"), Some(&Json::from("1")));
        assert_eq!(event.get("page_location"), None);
        assert_eq!(event.get("page_title"), None);
        assert_eq!(event.get("x"), None);
    }
    assert_eq!(
        messages(&parsed),
        vec![
            (
                0,
                "query string: the value of parameter \"dl\" is not valid percent-encoded UTF-8; skipped"
                    .into()
            ),
            (
                0,
                "query string: the value of parameter \"dt\" is not valid percent-encoded UTF-8; skipped"
                    .into()
            ),
            (
                0,
                "query string: parameter name \"%FF\" is not valid percent-encoded UTF-8; skipped"
                    .into()
            ),
            (
                1,
                "line 1: the value of parameter \"ep.x\" is not valid percent-encoded UTF-8; skipped"
                    .into()
            ),
        ]
    );
    // Long undecodable names are cut short in the message.
    let long = format!("%ZZ{}", "a".repeat(1000));
    let parsed = parse_hit(&format!("en=e&{long}=1"), "");
    assert_eq!(parsed.problems.len(), 1);
    assert!(parsed.problems[0].message.len() < 200);
}

#[test]
fn more_than_the_maximum_lines_are_refused_with_one_problem() {
    let body: String = (0..MAX_EVENTS_PER_HIT + 5)
        .map(|i| format!("en=e{i}\n"))
        .collect();
    let parsed = parse_hit("cid=1", &body);
    assert_eq!(parsed.events.len(), MAX_EVENTS_PER_HIT);
    assert_eq!(
        parsed.events.last().unwrap().get("event_name"),
        Some(&Json::from(format!("e{}", MAX_EVENTS_PER_HIT - 1)))
    );
    assert_eq!(
        messages(&parsed),
        vec![(
            MAX_EVENTS_PER_HIT + 1,
            format!(
                "line {}: more than {MAX_EVENTS_PER_HIT} events in one hit; 5 line(s) from here on ignored",
                MAX_EVENTS_PER_HIT + 1
            )
        )]
    );
    // Exactly the maximum: no problem. Blank lines do not count.
    let body: String = (0..MAX_EVENTS_PER_HIT)
        .map(|i| format!("en=e{i}\n\n"))
        .collect();
    let parsed = parse_hit("", &body);
    assert_eq!(parsed.events.len(), MAX_EVENTS_PER_HIT);
    assert_eq!(parsed.problems, vec![]);
}

#[test]
fn parameters_beyond_the_cap_are_ignored_with_one_problem() {
    let many: String = (0..MAX_PARAMS_PER_SOURCE + 10)
        .map(|i| format!("ep.p{i}=x&"))
        .collect();
    let parsed = parse_hit(&format!("en=first&{many}"), "");
    assert_eq!(parsed.events.len(), 1);
    let keys = parsed.events[0].as_object().map_or(0, <[_]>::len);
    assert_eq!(
        keys, MAX_PARAMS_PER_SOURCE,
        "event_name + the first 999 parameters"
    );
    assert_eq!(
        messages(&parsed),
        vec![(
            0,
            format!(
                "query string: more than {MAX_PARAMS_PER_SOURCE} parameters; the rest are ignored"
            )
        )]
    );
}

/// The `consent_state` of `en=e&<params>` as JSON text, or None when there is none; the raw
/// `x-ga-gcs` / `x-ga-gcd` are always kept.
fn consent(params: &str) -> Option<String> {
    let event = one_event(&format!("en=e&{params}"), "");
    for (name, key) in [("gcs=", "x-ga-gcs"), ("gcd=", "x-ga-gcd")] {
        for param in params.split('&') {
            if let Some(raw) = param.strip_prefix(name) {
                assert_eq!(event.get(key), Some(&Json::from(raw)), "{params}");
            }
        }
    }
    event.get("consent_state").map(Json::to_json)
}

#[test]
fn consent_from_gcd_and_gcs() {
    const G: &str = "granted";
    const D: &str = "denied";
    let state = |signals: &[(&str, &str)]| {
        let pairs: Vec<(Key, Json)> = signals
            .iter()
            .map(|(k, v)| (Key::from(k.to_string()), Json::from(*v)))
            .collect();
        Some(Json::Object(pairs).to_json())
    };
    let all = |v: &str| {
        state(&[
            ("ad_storage", v),
            ("analytics_storage", v),
            ("ad_user_data", v),
            ("ad_personalization", v),
        ])
    };
    let table: Vec<(&str, Option<String>)> = vec![
        ("gcd=11p1p1p1p5", all(D)),
        ("gcd=13r3r3r3r5l1", all(G)),
        ("gcd=13t3t3t3t5l1", all(G)),
        ("gcd=13v3v3v3v5", all(G)),
        ("gcd=13q3q3q3q5", all(D)),
        (
            "gcd=13q3n3m3v5",
            state(&[
                ("ad_storage", D),
                ("analytics_storage", G),
                ("ad_user_data", D),
                ("ad_personalization", G),
            ]),
        ),
        (
            "gcd=13u3t3l3l1",
            state(&[("ad_storage", D), ("analytics_storage", G)]),
        ),
        ("gcd=13l3l3l3l1", None),
        // Only ad_user_data set.
        ("gcd=13l3l3p3l1", state(&[("ad_user_data", D)])),
        // gcs alone: G1<ad_storage><analytics_storage>.
        (
            "gcs=G100",
            state(&[("ad_storage", D), ("analytics_storage", D)]),
        ),
        (
            "gcs=G110",
            state(&[("ad_storage", G), ("analytics_storage", D)]),
        ),
        (
            "gcs=G101",
            state(&[("ad_storage", D), ("analytics_storage", G)]),
        ),
        // gcd beats gcs, signal by signal, in either order.
        (
            "gcs=G111&gcd=13p3p3l3l1",
            state(&[("ad_storage", D), ("analytics_storage", D)]),
        ),
        (
            "gcd=13p3p3l3l1&gcs=G111",
            state(&[("ad_storage", D), ("analytics_storage", D)]),
        ),
        (
            "gcs=G100&gcd=13l3t3t3l1",
            state(&[
                ("ad_storage", D),
                ("analytics_storage", G),
                ("ad_user_data", G),
            ]),
        ),
        // A malformed gcd leaves gcs alone.
        (
            "gcs=G111&gcd=13t3t",
            state(&[("ad_storage", G), ("analytics_storage", G)]),
        ),
        // Malformed values: not decoded, no problem.
        ("gcd=13t3t", None),
        ("gcd=1xt3t3", None),
        ("gcd=13tt", None),
        ("gcd=133t", None),
        ("gcd=13", None),
        ("gcd=", None),
        ("gcd=G111", None),
        ("gcd=13é3", None),
        ("gcs=G1", None),
        ("gcs=G102", None),
        ("gcs=G2 11", None),
        ("gcs=G1111", None),
        ("gcs=g111", None),
    ];
    for (params, expected) in table {
        assert_eq!(consent(params), expected, "{params}");
    }
}

#[test]
fn consent_state_sits_where_its_first_parameter_is() {
    let event = one_event("en=e&gcd=13t3t3t3t5&cid=1", "");
    let keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| &**k)
        .collect();
    assert_eq!(
        keys,
        ["event_name", "x-ga-gcd", "consent_state", "client_id"]
    );
}

/// A deterministic stream of fragments that look like parts of hits.
fn junk(seed: u64, len: usize) -> String {
    const PIECES: &[&str] = &[
        "pr1=",
        "pr200=",
        "pr999999999999999999999=",
        "ep.",
        "epn.",
        "up.",
        "upn.",
        "em=tv.1~em.",
        "~ph.",
        "gcd=13",
        "gcs=G1",
        "%",
        "%F",
        "%FF",
        "%C3%A9",
        "%E2%82",
        "&",
        "&",
        "=",
        "=",
        "~",
        "~",
        "\n",
        "\r\n",
        "en=",
        "k0",
        "v0",
        "id",
        "pr",
        "qt",
        "lp",
        "é",
        "😀",
        "a",
        "1",
        "9",
        ".",
        "-",
        "+",
        "0",
        "e",
        " ",
        "\u{0}",
        "\"",
        "\\",
        "t",
        "p",
        "l",
    ];
    let mut state = seed;
    let mut out = String::with_capacity(len + 32);
    while out.len() < len {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let i = usize::try_from(state >> 33).unwrap() % PIECES.len();
        out.push_str(PIECES[i]);
    }
    out
}

fn check_output(query: &str, body: &str) {
    let parsed = parse_hit(query, body);
    assert!(parsed.events.len() <= MAX_EVENTS_PER_HIT);
    for event in &parsed.events {
        let pairs = event.as_object().unwrap();
        assert_eq!(pairs.first().map(|(k, _)| &**k), Some("event_name"));
        assert_eq!(&parse(&event.to_json()).unwrap(), event);
    }
    for p in &parsed.problems {
        assert!(p.message.len() < 1000, "{:?}", p.message);
    }
}

#[test]
fn junk_never_panics() {
    for (query, body) in [
        ("", ""),
        ("&&&", ""),
        ("", "&&&"),
        ("=", "="),
        ("pr1=~~~", ""),
        ("en=e&pr1=~~~", "pr1=~~~"),
        ("pr999999999999999999999=x", ""),
        ("en=e&pr999999999999999999999=x", ""),
        ("en=e&pr1=i", ""),
        ("en=e&pr1=%", ""),
        ("en=e&em=", ""),
        ("en=e&em=~~.~em~ph.", ""),
        ("en=e&gcd=%C3%A9%C3%A9", ""),
        ("en=e&gcs=%C3%A9%C3%A9", ""),
        ("en=e&pr1=%C3%A9~%C3%A9%C3%A9~k%C3%A9x~v%C3%A9y", ""),
        ("%", "%"),
        ("\n", "\n\n\n"),
    ] {
        check_output(query, body);
    }
    assert_eq!(parse_hit("", ""), parse_hit("&&&", "\n \n"));
    assert_eq!(parse_hit("", "").problems.len(), 1);
    for seed in 0..8 {
        let body = junk(seed, 100 * 1024);
        assert!(body.len() >= 100 * 1024);
        check_output(&junk(seed + 100, 2000), &body);
        check_output("", &body);
        check_output(&body, "");
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn any_text_parses_without_panicking(query in ".{0,200}", body in ".{0,400}") {
            check_output(&query, &body);
        }

        #[test]
        fn hit_like_text_parses_without_panicking(
            query in "([a-z_.]{1,5}(=[a-zA-Z0-9~.%+]{0,12})?&){0,12}",
            body in "([a-z0-9_.]{1,5}(=[a-zA-Z0-9~.%+]{0,12})?[&\n]){0,30}",
        ) {
            check_output(&query, &body);
        }
    }
}
