use super::*;
use crate::config::parse_config;
use crate::json::parse;
use crate::report::Report;

const SCHEMA_TEXT: &str = include_str!("../../schema/tag-config.schema.json");

fn j(text: &str) -> Json {
    parse(text).expect("test JSON parses")
}

fn cfg() -> IdentityConfig {
    IdentityConfig::new("https://id.example.com/api/v1", "secret-token")
}

fn read_identity(identity: &str) -> (Option<IdentityConfig>, Report) {
    let text = format!(r#"{{"pixelId": "1", "accessToken": "t", "identity": {identity}}}"#);
    let (c, r) = parse_config(&j(&text));
    (c.identity, r)
}

const ON: &str =
    r#""enabled": true, "endpoint": "https://id.example.com/api/v1/", "token": "secret-token""#;

// ---- config ----

#[test]
fn config_defaults() {
    let (c, r) = parse_config(&j(r#"{"pixelId": "1", "accessToken": "t"}"#));
    assert!(r.is_valid());
    assert_eq!(c.identity, None);
    for off in [
        "null",
        "{}",
        r#"{"enabled": false, "endpoint": "bad", "timeoutMs": -1}"#,
    ] {
        let (id, r) = read_identity(off);
        assert_eq!(id, None, "{off}");
        assert_eq!(r.pairs(), vec![], "{off}");
    }
    let (id, r) = read_identity(&format!("{{{ON}}}"));
    assert!(r.is_valid() && r.warnings.is_empty(), "{r:?}");
    assert_eq!(id, Some(cfg()), "trailing slash removed, the rest defaults");
    let id = id.expect("enabled");
    assert_eq!(id.platform, "omni-meta-capi");
    assert_eq!(
        id.anonymous_id_source,
        AnonymousIdSource::Event("client_id".into())
    );
    assert_eq!(
        (id.timeout_ms, id.cache_ttl_ms, id.use_journal),
        (800, 0, false)
    );
    assert_eq!(id.fill_from_journal, FillField::ALL.to_vec());
    assert!(
        !format!("{id:?}").contains("secret-token"),
        "Debug hides the token"
    );
}

#[test]
fn config_values() {
    let (id, r) = read_identity(&format!(
        r#"{{{ON}, "platform": "shop", "anonymousIdSource": " Cookie: _ga ", "timeoutMs": "1500",
        "useJournal": "true", "fillFromJournal": ["EMAIL", "fbclid", "email"], "cacheTtlMs": 60000}}"#
    ));
    assert!(r.is_valid(), "{r:?}");
    let id = id.expect("enabled");
    assert_eq!(id.platform, "shop");
    assert_eq!(
        id.anonymous_id_source,
        AnonymousIdSource::Cookie("_ga".into())
    );
    assert_eq!(
        (id.timeout_ms, id.cache_ttl_ms, id.use_journal),
        (1500, 60000, true)
    );
    assert_eq!(
        id.fill_from_journal,
        vec![FillField::Email, FillField::Fbclid]
    );
    let (id, _) = read_identity(&format!(r#"{{{ON}, "fillFromJournal": "phone, email"}}"#));
    assert_eq!(
        id.map(|i| i.fill_from_journal),
        Some(vec![FillField::Phone, FillField::Email])
    );
    let (id, _) = read_identity(&format!(r#"{{{ON}, "fillFromJournal": []}}"#));
    assert_eq!(id.map(|i| i.fill_from_journal), Some(vec![]));
}

#[test]
fn config_errors_name_the_key() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            r#"{"enabled": true}"#,
            &[
                ("config.missing", "identity.endpoint"),
                ("config.missing", "identity.token"),
            ],
        ),
        (
            r#"{"enabled": true, "endpoint": "ftp://x/api/v1", "token": "t"}"#,
            &[("config.invalid_value", "identity.endpoint")],
        ),
        (
            r#"{"enabled": true, "endpoint": "https://x.com/api/v1?a", "token": "t"}"#,
            &[("config.invalid_value", "identity.endpoint")],
        ),
        (
            r#"{"enabled": true, "endpoint": "https://x.com/api/v1", "token": "a b"}"#,
            &[("config.invalid_value", "identity.token")],
        ),
        (
            r#"{"enabled": "yes", "endpoint": "https://x.com/api/v1", "token": "t"}"#,
            &[("config.invalid_type", "identity.enabled")],
        ),
        (
            r#"{"enabled": true, "endpoint": "https://x.com/", "token": "t"}"#,
            &[("config.identity_endpoint_path", "identity.endpoint")],
        ),
    ];
    for (identity, want) in cases {
        let (_, r) = read_identity(identity);
        assert_eq!(r.pairs(), want.to_vec(), "{identity}");
    }
    let value_cases: &[(&str, &str, &str)] = &[
        (
            r#""timeoutMs": 0"#,
            "identity.timeoutMs",
            "config.invalid_value",
        ),
        (
            r#""timeoutMs": 10001"#,
            "identity.timeoutMs",
            "config.invalid_value",
        ),
        (
            r#""timeoutMs": "soon""#,
            "identity.timeoutMs",
            "config.invalid_type",
        ),
        (
            r#""cacheTtlMs": 86400001"#,
            "identity.cacheTtlMs",
            "config.invalid_value",
        ),
        (
            r#""fillFromJournal": ["email", "name"]"#,
            "identity.fillFromJournal",
            "config.invalid_value",
        ),
        (
            r#""fillFromJournal": [1]"#,
            "identity.fillFromJournal",
            "config.invalid_type",
        ),
        (
            r#""fillFromJournal": true"#,
            "identity.fillFromJournal",
            "config.invalid_type",
        ),
        (
            r#""anonymousIdSource": "cookie:""#,
            "identity.anonymousIdSource",
            "config.invalid_value",
        ),
        (
            r#""anonymousIdSource": "cookie:a b""#,
            "identity.anonymousIdSource",
            "config.invalid_value",
        ),
        (
            r#""useJournal": 1"#,
            "identity.useJournal",
            "config.invalid_type",
        ),
        (
            r#""platform": {}"#,
            "identity.platform",
            "config.invalid_type",
        ),
        (r#""colour": 1"#, "identity.colour", "config.unknown_key"),
    ];
    for (extra, field, code) in value_cases {
        let (id, r) = read_identity(&format!("{{{ON}, {extra}}}"));
        assert_eq!(r.pairs(), vec![(*code, *field)], "{extra}");
        // A bad optional value keeps its default; the config is still read.
        assert!(id.is_some(), "{extra}");
    }
    // Unknown keys warn even when disabled; the message never carries the token.
    let (_, r) = read_identity(r#"{"enabled": false, "tokn": "x"}"#);
    assert_eq!(r.pairs(), vec![("config.unknown_key", "identity.tokn")]);
    let (_, r) = read_identity(
        r#"{"enabled": true, "endpoint": "https://x.com/api/v1", "token": "sec ret"}"#,
    );
    assert!(r.errors.iter().all(|e| !e.message.contains("sec ret")));
}

/// `$defs/identity` of the published schema: the reader's keys, and its stated defaults are the
/// reader's (tests/config_schema.rs covers the top level).
#[test]
fn schema_matches_the_reader() {
    let schema = j(SCHEMA_TEXT);
    let def = schema
        .get("$defs")
        .and_then(|d| d.get("identity"))
        .expect("$defs/identity");
    let props = def
        .get("properties")
        .and_then(Json::as_object)
        .expect("properties");
    let mut names: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
    let mut known = crate::config::IDENTITY_KEYS.to_vec();
    names.sort_unstable();
    known.sort_unstable();
    assert_eq!(names, known);
    let base = format!("{{{ON}}}");
    let (unset, _) = read_identity(&base);
    for (key, prop) in props {
        assert!(
            prop.get("description")
                .and_then(Json::as_str)
                .is_some_and(|d| d.len() > 20),
            "identity.{key} is described"
        );
        let Some(default) = prop.get("default") else {
            continue;
        };
        // The switch itself is checked within an empty object.
        let (base, unset) = if key == "enabled" {
            ("{}".to_string(), None)
        } else {
            (base.clone(), unset.clone())
        };
        let mut inner = j(&base);
        inner.set(key, default.clone());
        let (set, r) = read_identity(&inner.to_json());
        assert!(r.is_valid() && r.warnings.is_empty(), "{key}: {r:?}");
        assert_eq!(
            set, unset,
            "identity.{key}: stated default is not the reader's"
        );
    }
}

// ---- calls ----

/// (name, event, Meta event name, the call bodies or why there are none)
type CallCase<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Result<Vec<&'a str>, &'a str>,
);

fn body_of(call: &IdentityCall) -> Json {
    j(&call.body)
}

#[test]
fn calls_table() {
    let page = "https://shop.com/p?fbclid=FB.1&gclid=G-1";
    let both = format!(
        r#"{{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"42","email":"a@b.co","phone":"+1 650 555 1212","fbclid":"FB.1","gaclid":"G-1","valuation_properties":{{"action":"Purchase","properties":{{"value":129.90,"currency":"EUR","transaction_id":"T1","page":"{page}"}}}}}}"#
    );
    let cases: Vec<CallCase> = vec![
        (
            "anonymous only",
            r#"{"client_id": "123.456"}"#,
            None,
            Ok(vec![
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"123.456"}"#,
            ]),
        ),
        (
            "email only (first list item)",
            r#"{"user_data": {"email_address": [" A@B.co ", "c@d.co"]}}"#,
            None,
            Ok(vec![
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"email":"A@B.co"}"#,
            ]),
        ),
        (
            "both, phone, click ids from page_location, valuation properties",
            r#"{"client_id": 42, "email": "a@b.co", "user_data": {"phone_number": "+1 650 555 1212"},
                "page_location": "https://shop.com/p?fbclid=FB.1&gclid=G-1", "event_name": "purchase",
                "value": 129.90, "currency": "EUR", "transaction_id": "T1"}"#,
            Some("Purchase"),
            Ok(vec![both.as_str()]),
        ),
        (
            "action from event_name; event fbclid",
            r#"{"client_id": "c", "event_name": "page_view", "fbclid": "EV"}"#,
            None,
            Ok(vec![
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"c","fbclid":"EV","valuation_properties":{"action":"page_view"}}"#,
            ]),
        ),
        (
            "neither",
            r#"{"user_data": {"sha256_email_address": "abc"}, "phone": "1", "client_id": " "}"#,
            None,
            Err(NO_IDENTIFIER),
        ),
    ];
    for (name, event, meta_name, want) in cases {
        let v = j(event);
        let got = identity_calls(
            &cfg(),
            &EventData::new(&v),
            &RequestContext::default(),
            meta_name,
        )
        .map(|calls| calls.iter().map(|c| c.body.clone()).collect::<Vec<_>>());
        let want = want.map(|bodies| bodies.iter().map(|b| b.to_string()).collect::<Vec<_>>());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn call_url_headers_and_journal_call() {
    let mut c = cfg();
    c.use_journal = true;
    let v = j(r#"{"client_id": "c", "email": "a@b.co", "value": "10"}"#);
    let calls = identity_calls(
        &c,
        &EventData::new(&v),
        &RequestContext::default(),
        Some("Lead"),
    )
    .expect("calls");
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.url, "https://id.example.com/api/v1/identifier");
        assert_eq!(
            call.headers,
            vec![
                ("content-type", "application/json".to_string()),
                ("authorization", "Bearer secret-token".to_string()),
            ]
        );
        assert!(!call.body.contains("secret-token"));
    }
    let resolve = body_of(&calls[0]);
    let journal = body_of(&calls[1]);
    assert_eq!(resolve.get("count_prev_visits"), Some(&Json::Bool(true)));
    assert_eq!(journal.get("count_prev_visits"), None);
    let mut without = resolve.clone();
    if let Json::Object(pairs) = &mut without {
        pairs.retain(|(k, _)| k != "count_prev_visits");
    }
    assert_eq!(
        without, journal,
        "the journal call is the same body without count_prev_visits"
    );
    assert_eq!(
        journal
            .get("valuation_properties")
            .map(Json::to_json)
            .as_deref(),
        Some(r#"{"action":"Lead","properties":{"value":"10"}}"#)
    );
}

#[test]
fn cookie_source_and_request_click_ids() {
    let mut c = cfg();
    c.anonymous_id_source = AnonymousIdSource::parse("cookie:_ga").expect("source");
    let req = RequestContext::from_json(&j(
        r#"{"url": "https://shop.com/?gclid=REQ", "headers": {"cookie": "_ga=GA1.1.5.6; other=1", "referer": "https://x.com/?fbclid=REF"}}"#,
    ));
    let v = j(r#"{"client_id": "ignored"}"#);
    let ev = EventData::new(&v);
    let calls = identity_calls(&c, &ev, &req, None).expect("calls");
    assert_eq!(
        calls[0].body,
        r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"GA1.1.5.6","fbclid":"REF","gaclid":"REQ"}"#
    );
    assert_eq!(
        identity_calls(&c, &ev, &RequestContext::default(), None),
        Err(NO_IDENTIFIER),
        "no cookie, no email"
    );
    // cache_key: the anonymous id, only when a cache is configured.
    assert_eq!(cache_key(&c, &ev, &req), None);
    c.cache_ttl_ms = 1000;
    assert_eq!(cache_key(&c, &ev, &req).as_deref(), Some("GA1.1.5.6"));
    assert_eq!(cache_key(&c, &ev, &RequestContext::default()), None);
}

// ---- answers ----

fn reason(a: &IdentityAnswer) -> &str {
    match a {
        IdentityAnswer::Failed { reason } => reason,
        IdentityAnswer::Ok(_) => "ok",
    }
}

#[test]
fn parse_answer_table() {
    let cases: &[(u16, &str, &str)] = &[
        (
            401,
            r#"{"success": false, "error": {"message": "invalid bearer token", "code": "UNAUTHORIZED"}}"#,
            "HTTP 401 UNAUTHORIZED: invalid bearer token",
        ),
        (
            500,
            "<html><body>500 Internal Server Error</body></html>",
            "HTTP 500: the body is not a JSON object",
        ),
        (
            200,
            r#"{"success": true, "data": {"uuid": "#,
            "HTTP 200: the body is not a JSON object",
        ),
        (200, "[1]", "HTTP 200: the body is not a JSON object"),
        (
            200,
            r#"{"success": false, "error": {"code": "MISSING_IDENTIFIER", "message": "one of\nanonymous_id or email is required"}}"#,
            "HTTP 200 success:false MISSING_IDENTIFIER: one of anonymous_id or email is required",
        ),
        (
            503,
            r#"{"status": "error", "message": "database unavailable"}"#,
            "HTTP 503 without an error code",
        ),
        (
            400,
            r#"{"success": false, "error": {"code": "<script>", "message": ""}}"#,
            "HTTP 400 without an error code",
        ),
        (
            200,
            r#"{"success": true, "data": {"uuid": ""}}"#,
            "HTTP 200: success without data.uuid",
        ),
        (
            200,
            r#"{"success": true}"#,
            "HTTP 200: success without a data object",
        ),
        (
            200,
            r#"{"success": true, "data": {"uuid": "u", "journal": {}}}"#,
            "HTTP 200: success without a data.journal list",
        ),
        (0, "", "no answer (timeout or network error)"),
    ];
    for (status, body, want) in cases {
        assert_eq!(
            reason(&parse_answer(*status, body)),
            *want,
            "{status} {body}"
        );
    }
}

#[test]
fn parse_answer_success_both_modes() {
    let resolve = parse_answer(
        200,
        r#"{"success": true, "data": {"uuid": "2bdb5eba-a84e-473b-9f83-e7cb0d4236af", "email": "", "count_prev_visits": 3}}"#,
    );
    assert_eq!(
        resolve,
        IdentityAnswer::Ok(IdentityResult {
            uuid: "2bdb5eba-a84e-473b-9f83-e7cb0d4236af".into(),
            email: None,
            count_prev_visits: Some(3),
            journal: None,
        })
    );
    let journal = parse_answer(
        200,
        r#"{"success": true, "data": {"uuid": "u1", "journal": [
            {"anonymous_id": "a2", "platform": "web", "email": "new@x.co", "phone": "+1 2",
             "valuation_properties": {"action": "Lead"}, "created_at": "2025-01-30T10:02:15.000000Z"},
            "not an entry",
            {"anonymous_id": "a1", "fbclid": "FB", "email": null}]}}"#,
    );
    let IdentityAnswer::Ok(r) = journal else {
        panic!("journal answer parses: {journal:?}");
    };
    assert_eq!(r.uuid, "u1");
    assert_eq!(r.count_prev_visits, None);
    let entries = r.journal.expect("journal mode");
    assert_eq!(
        entries,
        vec![
            JournalEntry {
                anonymous_id: Some("a2".into()),
                platform: Some("web".into()),
                email: Some("new@x.co".into()),
                phone: Some("+1 2".into()),
                valuation_properties: Some(j(r#"{"action": "Lead"}"#)),
                created_at: Some("2025-01-30T10:02:15.000000Z".into()),
                ..JournalEntry::default()
            },
            JournalEntry {
                anonymous_id: Some("a1".into()),
                fbclid: Some("FB".into()),
                ..JournalEntry::default()
            },
        ]
    );
}

// ---- enrich ----

/// (name, event, answers, fill, the enriched event, `filled`)
type EnrichCase<'a> = (
    &'a str,
    &'a str,
    Vec<IdentityAnswer>,
    &'a [FillField],
    &'a str,
    Vec<&'a str>,
);

fn ok(uuid: &str, journal: Option<Vec<JournalEntry>>) -> IdentityAnswer {
    IdentityAnswer::Ok(IdentityResult {
        uuid: uuid.into(),
        email: None,
        count_prev_visits: Some(1),
        journal,
    })
}

fn entry(email: Option<&str>, phone: Option<&str>, fbclid: Option<&str>) -> JournalEntry {
    JournalEntry {
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        fbclid: fbclid.map(Into::into),
        ..JournalEntry::default()
    }
}

/// Newest first: the newest has only a phone, the next an email and a click, the oldest all.
fn journal() -> Vec<JournalEntry> {
    vec![
        entry(None, Some("+1 650 555 1212"), None),
        entry(Some("new@x.co"), None, Some("FBNEW")),
        entry(Some("old@x.co"), Some("+1 000"), Some("FBOLD")),
    ]
}

#[test]
fn enrich_table() {
    let all = FillField::ALL;
    let answers = vec![ok("U", None), ok("U", Some(journal()))];
    let failed = IdentityAnswer::Failed {
        reason: "HTTP 500".into(),
    };
    let cases: Vec<EnrichCase> = vec![
        (
            "uuid appended to an existing external_id; newest values filled",
            r#"{"external_id": "site-7"}"#,
            answers.clone(),
            &all,
            r#"{"external_id":["site-7","U"],"user_data":{"email_address":"new@x.co","phone_number":"+1 650 555 1212"},"fbclid":"FBNEW"}"#,
            vec![
                "external_id(uuid)",
                "email(journal)",
                "phone(journal)",
                "fbclid(journal)",
            ],
        ),
        (
            "list external_id extended; the event's own email and click win",
            r#"{"external_id": ["a", "b"], "user_data": {"email_address": "mine@x.co"},
                "page_location": "https://s.com/?fbclid=MINE"}"#,
            answers.clone(),
            &all,
            r#"{"external_id":["a","b","U"],"user_data":{"email_address":"mine@x.co","phone_number":"+1 650 555 1212"},"page_location":"https://s.com/?fbclid=MINE"}"#,
            vec!["external_id(uuid)", "phone(journal)"],
        ),
        (
            "hashed email, x-fb-ud-ph and a stored fbc count as present",
            r#"{"user_data": {"sha256_email_address": "h"}, "x-fb-ud-ph": "1", "x-fb-ck-fbc": "fb.1.2.X"}"#,
            answers.clone(),
            &all,
            r#"{"user_data":{"sha256_email_address":"h"},"x-fb-ud-ph":"1","x-fb-ck-fbc":"fb.1.2.X","external_id":"U"}"#,
            vec!["external_id(uuid)"],
        ),
        (
            "fill list respected",
            r#"{}"#,
            answers.clone(),
            &[FillField::Email],
            r#"{"external_id":"U","user_data":{"email_address":"new@x.co"}}"#,
            vec!["external_id(uuid)", "email(journal)"],
        ),
        (
            "no duplicate uuid (already the user_id, case aside)",
            r#"{"user_id": "u", "external_id": "x"}"#,
            answers.clone(),
            &[],
            r#"{"user_id":"u","external_id":"x"}"#,
            vec![],
        ),
        (
            "no duplicate uuid (already in external_id)",
            r#"{"external_id": ["x", "U"]}"#,
            answers.clone(),
            &[],
            r#"{"external_id":["x","U"]}"#,
            vec![],
        ),
        (
            "failed answers change nothing",
            r#"{"client_id": "c"}"#,
            vec![failed.clone(), failed.clone()],
            &all,
            r#"{"client_id":"c"}"#,
            vec![],
        ),
        (
            "a failed journal call still leaves the uuid",
            r#"{"user_data": null, "external_id": ""}"#,
            vec![ok("U", None), failed],
            &all,
            r#"{"user_data":null,"external_id":"U"}"#,
            vec!["external_id(uuid)"],
        ),
        (
            "flat user_data keys are set where the tag reads them",
            r#"{"user_data.email_address": "", "user_data": "junk"}"#,
            vec![ok("U", Some(journal()))],
            &[FillField::Email, FillField::Phone],
            r#"{"user_data.email_address":"new@x.co","user_data":"junk","external_id":"U","user_data.phone_number":"+1 650 555 1212"}"#,
            vec!["external_id(uuid)", "email(journal)", "phone(journal)"],
        ),
    ];
    for (name, event, answers, fill, want, filled) in cases {
        let out = enrich(&j(event), &answers, fill);
        assert_eq!(out.event.to_json(), want, "{name}");
        assert_eq!(out.filled, filled, "{name}");
        let ok = answers.iter().any(|a| matches!(a, IdentityAnswer::Ok(_)));
        assert_eq!(out.uuid.as_deref(), ok.then_some("U"), "{name}");
    }
    // Not an object: unchanged.
    let out = enrich(&Json::Null, &[ok("U", Some(journal()))], &FillField::ALL);
    assert_eq!((out.event, out.filled), (Json::Null, vec![]));
}

#[test]
fn enriched_event_feeds_the_tag() {
    let event = j(
        r#"{"event_name": "page_view", "user_id": "site-7", "client_id": "c",
        "page_location": "https://shop.com/", "user_agent": "UA"}"#,
    );
    let out = enrich(&event, &[ok("U", Some(journal()))], &FillField::ALL);
    let tag = crate::tag::Tag::new(&j(r#"{"pixelId": "1", "accessToken": "t"}"#));
    let clock = crate::payload::Clock {
        now_ms: 1_700_000_000_000,
        entropy: [7; 16],
    };
    let built = tag.build(&out.event, &Json::Null, clock);
    assert!(built.report.is_valid(), "{:?}", built.report);
    let ud = built
        .event
        .as_ref()
        .and_then(|e| e.get("user_data"))
        .expect("user_data");
    let count = |k: &str| ud.get(k).and_then(Json::as_array).map_or(0, <[Json]>::len);
    assert_eq!((count("em"), count("ph"), count("external_id")), (1, 1, 2));
    assert_eq!(
        ud.get("fbc").and_then(Json::as_str),
        Some("fb.1.1700000000000.FBNEW")
    );
}

#[test]
fn journal_fill_drops_fbclid_when_the_request_has_a_click() {
    let mut c = cfg();
    c.use_journal = true;
    let none = RequestContext::default();
    assert_eq!(journal_fill(&c, &none), FillField::ALL.to_vec());
    for req in [
        r#"{"cookies": {"_fbc": "fb.1.2.X"}}"#,
        r#"{"url": "https://s.com/?fbclid=R"}"#,
        r#"{"headers": {"referer": "https://s.com/?fbclid=R"}}"#,
    ] {
        let req = RequestContext::from_json(&j(req));
        assert_eq!(
            journal_fill(&c, &req),
            vec![FillField::Email, FillField::Phone]
        );
    }
}
