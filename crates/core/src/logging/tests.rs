use super::*;
use crate::json::parse;

/// sha256("jane.doe@example.com") and md5("jane.doe@example.com").
const SHA: &str = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d";
const MD5: &str = "0cba00ca3da1b283a57287bcceb17e35";

fn j(text: &str) -> Json {
    parse(text).expect("test JSON parses")
}

fn levels(logger: &Logger) -> Vec<String> {
    logger
        .records()
        .iter()
        .map(|r| {
            r.get("level")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

#[test]
fn level_filtering() {
    let cases: [(LogLevel, &[&str]); 3] = [
        (LogLevel::Debug, &["DEBUG", "INFO", "ERROR", "INFO"]),
        (LogLevel::Info, &["INFO", "ERROR", "INFO"]),
        (LogLevel::Error, &["ERROR"]),
    ];
    for (config, expected) in cases {
        let mut log = Logger::new(config, "t");
        log.debug(PROCESS_BUILD, TYPE_MESSAGE, "d", Some(j(r#"{"a":1}"#)));
        log.info(PROCESS_IDENTITY, TYPE_MESSAGE, "i", None);
        log.error(PROCESS_DISPATCH, TYPE_ERROR, "e", None);
        log.timing(PROCESS_DISPATCH, 42);
        assert_eq!(levels(&log), expected, "{config:?}");
        assert_eq!(log.enabled(LogLevel::Debug), config == LogLevel::Debug);
        assert!(log.enabled(LogLevel::Error));
    }
}

#[test]
fn record_shape_and_timing() {
    let mut log = Logger::new(LogLevel::Debug, "abc").with_now(1_709_251_199_999);
    log.info(PROCESS_BUILD, TYPE_REQUEST, "built", Some(j(r#"{"n":1}"#)));
    log.set_now(0);
    log.timing(PROCESS_DISPATCH, 1234);
    log.error(PROCESS_DISPATCH, TYPE_ERROR, "x", None);
    assert_eq!(
        log.into_json().to_json(),
        concat!(
            r#"[{"level":"INFO","type":"Request","process":"Build","scope":"Omni Tag","#,
            r#""message":"built","timestamp":"2024-02-29T23:59:59.999Z","traceId":"abc","#,
            r#""data":{"n":1}},"#,
            r#"{"level":"INFO","type":"Timing","process":"Dispatch","scope":"Omni Tag","#,
            r#""message":"Dispatch took 1234 ms","timestamp":"1970-01-01T00:00:00.000Z","#,
            r#""traceId":"abc","durationMs":1234},"#,
            r#"{"level":"ERROR","type":"Error","process":"Dispatch","scope":"Omni Tag","#,
            r#""message":"x","timestamp":"1970-01-01T00:00:00.000Z","traceId":"abc"}]"#,
        )
    );
}

#[test]
fn timestamps() {
    let cases = [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (1_709_251_200_000, "2024-03-01T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_445_412_480_000, "2015-10-21T07:28:00.000Z"),
        (1_234_567_890_123, "2009-02-13T23:31:30.123Z"),
        (4_107_455_999_999, "2100-02-27T23:59:59.999Z"),
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
        (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
    ];
    for (ms, expected) in cases {
        assert_eq!(iso_timestamp(ms), expected, "{ms}");
    }
    // No panic and a well-formed stamp at the very end of the range.
    assert!(iso_timestamp(u64::MAX).ends_with(".615Z"));
}

#[test]
fn iso_timestamps_parse_back() {
    for ms in [
        0,
        951_782_400_000,
        1_709_251_199_999,
        1_764_331_200_123,
        253_402_300_799_999,
    ] {
        assert_eq!(parse_iso_ms(&iso_timestamp(ms)), Some(ms), "{ms}");
    }
    let cases = [
        ("2026-11-28 14:22:40", Some(1_795_875_760_000)),
        ("2026-11-28T14:22:40.5+00:00", Some(1_795_875_760_500)),
        (" 2026-11-28T14:22:40.123456z ", Some(1_795_875_760_123)),
        ("2026-11-28T14:22:40+01:00", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-11-28T14:22:40.Z", None),
        ("1969-12-31T23:59:59Z", None),
        ("2026-11-28", None),
        ("２026-11-28T14:22:40Z", None),
        ("", None),
    ];
    for (text, want) in cases {
        assert_eq!(parse_iso_ms(text), want, "{text}");
    }
}

#[test]
fn trace_ids() {
    assert_eq!(new_trace_id(&[0; 16]), "0".repeat(32));
    let entropy = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];
    let id = new_trace_id(&entropy);
    assert_eq!(id, "0123456789abcdeffedcba9876543210");
    assert!(id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));

    let fresh = "0123456789abcdeffedcba9876543210";
    let cases = [
        (None, fresh),
        (Some("req-42:abc_DEF.1"), "req-42:abc_DEF.1"),
        (
            Some("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        (Some(""), fresh),
        (Some("has space"), fresh),
        (Some("quote\"x"), fresh),
        (Some("line\nbreak"), fresh),
        (Some(&"a".repeat(65)), fresh),
    ];
    for (host, expected) in cases {
        assert_eq!(resolve_trace_id(host, &entropy), expected, "{host:?}");
    }
}

#[test]
fn secret_keys_are_redacted_at_any_depth() {
    let input = j(r#"{
        "access_token": "T1",
        "a": {"b": [{"ACCESS_TOKEN": "T2", "keep": "x"}, {"appsecret_proof": "P"}]},
        "pixels": [{"pixelId": "1", "accessToken": "T3", "appSecret": "S"}],
        "headers": {"Authorization": "Bearer T4", "content-type": "application/json"},
        "token": {"nested": "T5"},
        "Token": null,
        "app_secret": 5
    }"#);
    let expected = j(r#"{
        "access_token": "[redacted]",
        "a": {"b": [{"ACCESS_TOKEN": "[redacted]", "keep": "x"}, {"appsecret_proof": "[redacted]"}]},
        "pixels": [{"pixelId": "1", "accessToken": "[redacted]", "appSecret": "[redacted]"}],
        "headers": {"Authorization": "[redacted]", "content-type": "application/json"},
        "token": "[redacted]",
        "Token": "[redacted]",
        "app_secret": "[redacted]"
    }"#);
    assert_eq!(scrub(&input), expected);
    assert_eq!(scrub(&expected), expected, "idempotent");
}

#[test]
fn stringified_request_bodies_are_scrubbed_and_reserialized() {
    let body = format!(
        r#"{{"data":[{{"event_name":"Purchase","user_data":{{"em":["{SHA}"],"fn":"jane"}}}}],"access_token":"EAAB123","appsecret_proof":"{SHA}"}}"#
    );
    let input = Json::object([
        (
            "request",
            Json::object([("body", Json::from(body.as_str()))]),
        ),
        ("list", Json::from(r#" [{"token":"T"}]"#)),
        ("text", Json::from("{not json")),
        ("broken", Json::from(r#"{"access_token":"EAAB123"#)),
    ]);
    let out = scrub(&input);
    let scrubbed_body = out
        .get("request")
        .and_then(|r| r.get("body"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert_eq!(
        scrubbed_body,
        format!(
            r#"{{"data":[{{"event_name":"Purchase","user_data":{{"em":["{SHA}"],"fn":"[plaintext removed]"}}}}],"access_token":"[redacted]","appsecret_proof":"[redacted]"}}"#
        )
    );
    assert_eq!(
        out.get("list"),
        Some(&Json::from(r#"[{"token":"[redacted]"}]"#))
    );
    assert_eq!(out.get("text"), Some(&Json::from("{not json")));
    assert_eq!(out.get("broken"), Some(&Json::from(UNREADABLE_REDACTED)));
    assert_eq!(scrub(&out), out, "idempotent");
}

#[test]
fn secret_query_parameters_are_redacted() {
    let cases = [
        (
            "https://graph.facebook.com/v21.0/1/events?access_token=EAAB&x=1",
            "https://graph.facebook.com/v21.0/1/events?access_token=[redacted]&x=1",
        ),
        (
            "a ACCESS_TOKEN=EAAB appsecret_proof=abc#f",
            "a ACCESS_TOKEN=[redacted] appsecret_proof=[redacted]#f",
        ),
        ("access_token=", "access_token="),
        (
            "ünïcode access_token=tök€n",
            "ünïcode access_token=[redacted]",
        ),
        ("no secrets here", "no secrets here"),
    ];
    for (input, expected) in cases {
        assert_eq!(scrub(&Json::from(input)), Json::from(expected), "{input}");
    }
}

#[test]
fn urls_in_logs_lose_their_pii_parameters() {
    let record = parse(
        r#"{"event": {"page_location": "https://s.com/p?email=jane%40x.com&sku=1", "page_referrer": "https://s.com/?u=jane@x.com"},
        "note": "GET https://s.com/c?first_name=Jane&access_token=EAAB1234 failed", "plain": "name=Jane? no URL"}"#,
    )
    .expect("json");
    let out = scrub(&record);
    let text = out.to_json();
    assert!(
        !text.contains("jane") && !text.contains("Jane\"") && !text.contains("first_name"),
        "{text}"
    );
    let event = out.get("event").expect("event");
    assert_eq!(
        event.get("page_location"),
        Some(&Json::from("https://s.com/p?sku=1"))
    );
    assert_eq!(
        event.get("page_referrer"),
        Some(&Json::from("https://s.com/"))
    );
    assert_eq!(
        out.get("note"),
        Some(&Json::from(
            "GET https://s.com/c?access_token=[redacted] failed"
        ))
    );
    assert_eq!(
        out.get("plain"),
        Some(&Json::from("name=Jane? no URL")),
        "not a URL: as it is"
    );
    assert_eq!(scrub(&out), out, "idempotent");
}

#[test]
fn plaintext_under_user_data_is_removed_and_hashes_stay() {
    let input = j(&format!(
        r#"{{"user_data": {{
            "em": ["jane.doe@example.com", "{SHA}", "{}"],
            "fn": "jane",
            "ln": "{MD5}",
            "ph": 16505551212,
            "ct": "{SHA}.AQQCAQIB",
            "st": "{SHA}.BA",
            "zp": "{SHA}.ABC",
            "country": "us",
            "ge": null,
            "db": {{"y": 1980}},
            "external_id": ["user-1", "{MD5}"],
            "client_ip_address": "81.2.69.7",
            "fbp": "fb.1.1596403881668.1116446470",
            "address": {{"country": "US", "city": "Menlo Park"}}
        }},
        "em": "not under user_data",
        "userData": {{"em": "jane.doe@example.com"}}
        }}"#,
        SHA.to_ascii_uppercase()
    ));
    let removed = PLAINTEXT_REMOVED;
    let expected = j(&format!(
        r#"{{"user_data": {{
            "em": ["{removed}", "{SHA}", "{removed}"],
            "fn": "{removed}",
            "ln": "{MD5}",
            "ph": "{removed}",
            "ct": "{SHA}.AQQCAQIB",
            "st": "{SHA}.BA",
            "zp": "{removed}",
            "country": "{removed}",
            "ge": null,
            "db": "{removed}",
            "external_id": ["{removed}", "{MD5}"],
            "client_ip_address": "81.2.69.7",
            "fbp": "fb.1.1596403881668.1116446470",
            "address": {{"country": "{removed}", "city": "{removed}"}}
        }},
        "em": "not under user_data",
        "userData": {{"em": "{removed}"}}
        }}"#
    ));
    assert_eq!(scrub(&input), expected);
}

#[test]
fn hash_shapes() {
    let cases = [
        (SHA, true),
        (MD5, true),
        (&*format!("{SHA}.AQQCAQIB"), true),
        (&*format!("{SHA}.Bg"), true),
        (&*format!("{MD5}.BQ"), true),
        (&*SHA.to_ascii_uppercase(), false),
        (&SHA[..63], false),
        (&*format!("{SHA}0"), false),
        (&*format!("{SHA}."), false),
        (&*format!("{SHA}.ABC"), false),
        (&*format!("{SHA}.john@x.c"), false),
        ("jane.doe@example.com", false),
        ("", false),
    ];
    for (value, expected) in cases {
        assert_eq!(is_hash_shaped(value), expected, "{value}");
    }
}

#[test]
fn raw_ga4_user_data_keys_are_removed() {
    let input = j(&format!(
        r#"{{"event_name": "purchase",
            "user_data": {{
                "email_address": "jane.doe@example.com",
                "phone_number": "+16505551212",
                "sha256_email_address": "{SHA}",
                "sha256_phone_number": "+16505551212",
                "address": [{{"first_name": "Jane", "last_name": "Doe", "street": "1 Hacker Way",
                              "city": "Menlo Park", "region": "CA", "postal_code": "94025",
                              "country": "US"}}]
            }},
            "x-fb-ud-em": "jane.doe@example.com",
            "x-fb-ud-ph": "{SHA}",
            "form": {{"Email": "jane.doe@example.com", "phone": "555", "first_name": null}}
        }}"#
    ));
    let r = PLAINTEXT_REMOVED;
    let expected = j(&format!(
        r#"{{"event_name": "purchase",
            "user_data": {{
                "email_address": "{r}",
                "phone_number": "{r}",
                "sha256_email_address": "{SHA}",
                "sha256_phone_number": "{r}",
                "address": [{{"first_name": "{r}", "last_name": "{r}", "street": "{r}",
                              "city": "{r}", "region": "{r}", "postal_code": "{r}",
                              "country": "{r}"}}]
            }},
            "x-fb-ud-em": "{r}",
            "x-fb-ud-ph": "{SHA}",
            "form": {{"Email": "{r}", "phone": "{r}", "first_name": null}}
        }}"#
    ));
    assert_eq!(scrub(&input), expected);
}

#[test]
fn pii_keys_in_any_spelling_are_removed() {
    // The peers' flat and camel-case keys, and forms a backend may post: all spellings of the
    // same PII name lose their value; lookalikes that are not PII stay.
    let input = j(
        r#"{"firstName": "Jane", "LastName": "Doe", "nameFirst": "Jane",
        "emailAddress": "jane.doe@example.com", "Phone-Number": "+16505551212",
        "zip": "94025", "zipCode": "94025", "dateOfBirth": "19900412", "dob": "19900412",
        "gender": "f", "state": "failed", "country": "US", "event_name": "purchase",
        "item_name": "Trail Runner"}"#,
    );
    let r = PLAINTEXT_REMOVED;
    let expected = j(&format!(
        r#"{{"firstName": "{r}", "LastName": "{r}", "nameFirst": "{r}",
        "emailAddress": "{r}", "Phone-Number": "{r}",
        "zip": "{r}", "zipCode": "{r}", "dateOfBirth": "{r}", "dob": "{r}",
        "gender": "{r}", "state": "failed", "country": "US", "event_name": "purchase",
        "item_name": "Trail Runner"}}"#
    ));
    assert_eq!(scrub(&input), expected);
}

#[test]
fn registered_secrets_are_redacted_everywhere() {
    let mut log = Logger::new(LogLevel::Debug, "trace").with_secrets(vec![
        "EAABsecret".into(),
        String::new(),
        "ab".into(),
        "q\"uo".into(),
    ]);
    log.add_secret("EAABsecretLonger");
    log.error(
        PROCESS_DISPATCH,
        TYPE_ERROR,
        "token EAABsecretLonger and EAABsecret were refused",
        Some(Json::object([
            ("note", Json::from("prefix EAABsecret suffix")),
            ("body", Json::from(r#"{"nested":"q\"uo EAABsecret"}"#)),
            ("EAABsecret", Json::from("as a key")),
        ])),
    );
    let text = log.into_json().to_json();
    assert!(!text.contains("EAABsecret"), "{text}");
    assert!(
        !text.contains("q\\\"uo") && !text.contains("q\\\\\\\"uo"),
        "{text}"
    );
    assert!(
        text.contains(r#""message":"token [redacted] and [redacted] were refused""#),
        "{text}"
    );
    // Secrets shorter than MIN_SECRET_LEN are ignored (they would mangle every record).
    assert!(text.contains("\"level\":\"ERROR\""), "{text}");
}

#[test]
fn error_monitor_body_is_the_scrubbed_record() {
    let mut log = Logger::new(LogLevel::Info, "t").with_secrets(vec!["EAABsecret".into()]);
    log.info(PROCESS_BUILD, TYPE_MESSAGE, "fine", None);
    log.error(
        PROCESS_DISPATCH,
        TYPE_RESPONSE,
        "Meta refused the request",
        Some(j(
            r#"{"status":400,"access_token":"EAABsecret","user_data":{"em":"a@b.c"}}"#,
        )),
    );
    let bodies = log.error_monitor_bodies();
    assert_eq!(bodies.len(), 1);
    let body = bodies.first().cloned().unwrap_or_default();
    assert!(body.starts_with(r#"{"level":"ERROR","type":"Response","process":"Dispatch""#));
    assert!(body.ends_with(
        r#""data":{"status":400,"access_token":"[redacted]","user_data":{"em":"[plaintext removed]"}}}"#
    ));
    // A record that never went through a logger is scrubbed too.
    assert_eq!(
        error_monitor_body(&j(
            r#"{"level":"ERROR","data":{"token":"x","email":"a@b.c"}}"#
        )),
        r#"{"level":"ERROR","data":{"token":"[redacted]","email":"[plaintext removed]"}}"#
    );
}

#[test]
fn deep_values_are_bounded() {
    let mut value = Json::from("jane.doe@example.com");
    for _ in 0..1000 {
        value = Value::Array(vec![value]);
    }
    let value = Json::object([("email", Value::Null), ("deep", value)]);
    let text = scrub(&value).to_json();
    assert!(text.contains(TOO_DEEP_REDACTED));
    assert!(!text.contains("jane.doe"));
}

/// Secrets registered with the logger (they may appear anywhere, messages included).
const REGISTERED: [&str; 3] = [
    "EAAGm0PX4ZCpsBAKZAregistered",
    "appSecretValue0123456789XYZ",
    "proofValue-with-dash_and_more",
];
/// Secrets never registered: they only appear where scrub must find them by key or parameter.
const UNREGISTERED: [&str; 2] = ["EAAunregisteredTokenZZZ", "unregisteredAppSecretQQQ"];
/// Plaintext PII: only ever placed where scrub must find it (never in messages).
const PII: [&str; 8] = [
    "jane.doe@example.com",
    "+1 (650) 555-1212",
    "Janet",
    "Doeson",
    "1600 Amphitheatre Pkwy",
    "Mountain View",
    "José",
    "SW1A 1AA",
];

/// xorshift64: a fixed, dependency-free stream for the property test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

fn random_case(rng: &mut Rng, key: &str) -> String {
    key.chars()
        .map(|c| {
            if rng.below(3) == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// One value holding a secret or PII in a place `scrub` (or secret registration) must cover.
fn leaky_value(rng: &mut Rng) -> Json {
    let pii = rng.pick(&PII);
    let registered = rng.pick(&REGISTERED);
    let any_secret = if rng.below(2) == 0 {
        registered
    } else {
        rng.pick(&UNREGISTERED)
    };
    let secret_keys = [
        "access_token",
        "appsecret_proof",
        "accessToken",
        "appSecret",
        "token",
        "authorization",
    ];
    let hashed_keys = crate::normalize::Field::ALL.map(crate::normalize::Field::key);
    match rng.below(9) {
        0 => Json::object([(
            {
                let key = rng.pick(&secret_keys);
                random_case(rng, key)
            },
            Json::from(any_secret),
        )]),
        1 => Json::object([(
            {
                let key = rng.pick(&PLAINTEXT_KEYS);
                random_case(rng, key)
            },
            Json::from(pii),
        )]),
        2 => {
            let key = rng.pick(&hashed_keys);
            let value = if rng.below(2) == 0 {
                Json::from(pii)
            } else {
                Value::Array(vec![Json::from(SHA), Json::from(pii)])
            };
            let inner = Value::Object(vec![(key.to_string().into(), value)]);
            let wrapper = if rng.below(2) == 0 {
                "user_data"
            } else {
                "userData"
            };
            Value::Object(vec![(wrapper.to_string().into(), inner)])
        }
        3 => {
            // A stringified request body with both kinds of leak.
            let body = Json::object([
                (
                    "data",
                    Value::Array(vec![Json::object([(
                        "user_data",
                        Value::Object(vec![(
                            rng.pick(&hashed_keys).to_string().into(),
                            Json::from(pii),
                        )]),
                    )])]),
                ),
                ("access_token", Json::from(any_secret)),
            ]);
            Json::object([("body", Json::from(body.to_json()))])
        }
        4 => Json::object([(
            "url",
            Json::from(
                [
                    "https://graph.facebook.com/v21.0/1/events?access_token=",
                    any_secret,
                    "&x=1",
                ]
                .concat(),
            ),
        )]),
        5 => Json::object([(
            "note",
            Json::from(["free text ", registered, " here"].concat()),
        )]),
        6 => Json::object([(
            ["sha256_", rng.pick(&PLAINTEXT_KEYS)].concat(),
            Json::from(pii),
        )]),
        7 => Json::object([(
            ["x-fb-ud-", rng.pick(&hashed_keys)].concat(),
            Json::from(pii),
        )]),
        _ => Json::object([(
            "user_data",
            Json::object([(
                "address",
                Value::Array(vec![Json::object([
                    ("first_name", Json::from(pii)),
                    ("country", Json::from(pii)),
                ])]),
            )]),
        )]),
    }
}

/// Buries `value` under a few neutral objects and arrays.
fn wrap(rng: &mut Rng, mut value: Json) -> Json {
    for _ in 0..rng.below(5) {
        value = match rng.below(3) {
            0 => Value::Array(vec![Json::from("x"), value]),
            1 => Value::Object(vec![
                (
                    rng.pick(&["event", "payload", "items", "meta"])
                        .to_string()
                        .into(),
                    value,
                ),
                ("keep".to_string().into(), Json::from(SHA)),
            ]),
            _ => Json::from(value.to_json()),
        };
    }
    value
}

#[test]
fn no_secret_or_plaintext_pii_at_any_level() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let configs = [LogLevel::Debug, LogLevel::Info, LogLevel::Error];
    let mut emitted = 0;
    let mut redactions = 0;
    for run in 0..300 {
        let config = configs.get(run % 3).copied().unwrap_or(LogLevel::Debug);
        let mut log = Logger::new(config, "trace-1")
            .with_secrets(REGISTERED.iter().map(|s| s.to_string()).collect())
            .with_now(1_709_251_199_999);
        for _ in 0..20 {
            let fields: Vec<(crate::json::Key, Json)> = (0..1 + rng.below(3))
                .map(|i| {
                    (
                        ["f", &decimal(u64::try_from(i).unwrap_or(0))]
                            .concat()
                            .into(),
                        {
                            let value = leaky_value(&mut rng);
                            wrap(&mut rng, value)
                        },
                    )
                })
                .collect();
            let data = Some(Value::Object(fields)).filter(|_| rng.below(6) != 0);
            let message = ["call with ", rng.pick(&REGISTERED), " failed"].concat();
            let process = rng.pick(&[PROCESS_BUILD, PROCESS_IDENTITY, PROCESS_DISPATCH]);
            let kind = rng.pick(&[TYPE_REQUEST, TYPE_RESPONSE, TYPE_ERROR, TYPE_MESSAGE]);
            match rng.below(4) {
                0 => log.debug(process, kind, &message, data),
                1 => log.info(process, kind, &message, data),
                2 => log.error(process, kind, &message, data),
                _ => log.timing(process, rng.next() % 10_000),
            }
        }
        let bodies = log.error_monitor_bodies().concat();
        emitted += log.records().len();
        let text = log.into_json().to_json();
        redactions +=
            text.matches("[redacted]").count() + text.matches("[plaintext removed]").count();
        for leak in REGISTERED.iter().chain(&UNREGISTERED).chain(&PII) {
            assert!(!text.contains(leak), "{leak} leaked in run {run}: {text}");
            assert!(
                !bodies.contains(leak),
                "{leak} leaked in error bodies, run {run}"
            );
        }
    }
    // Not vacuous: records were kept and redactions happened.
    assert!(emitted > 2000, "{emitted}");
    assert!(redactions > 2000, "{redactions}");
}

#[test]
fn contact_details_in_foreign_messages_are_redacted() {
    let cases = [
        (
            "email jane.doe@example.com is not valid",
            "email [redacted] is not valid",
        ),
        (
            "phone +1 (650) 555-1212 unknown.",
            "phone [redacted] unknown.",
        ),
        ("call 650.555.1212, please", "call [redacted], please"),
        (
            "HTTP 401 UNAUTHORIZED: bad token",
            "HTTP 401 UNAUTHORIZED: bad token",
        ),
        (
            "(#100) code 190/463 at 15:07:15",
            "(#100) code 190/463 at 15:07:15",
        ),
        ("", ""),
    ];
    for (text, want) in cases {
        assert_eq!(redact_contact_details(text), want, "{text}");
    }
}

#[test]
fn contains_agrees_with_str_contains() {
    let long = "ab".repeat(200) + "EAAB-token";
    let texts = [
        "",
        "a",
        "token",
        "xxEAAB-tokyy",
        "EAAB-tok",
        "ééEAAB",
        long.as_str(),
    ];
    let parts = ["a", "tok", "EAAB-tok", "ba", "zz", "é", "EAAB-token", ""];
    for t in texts {
        for p in parts {
            assert_eq!(contains(t, p), t.contains(p), "{t:?} {p:?}");
        }
    }
}
