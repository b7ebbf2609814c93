use super::*;
use crate::config::parse_config;
use crate::json::parse;
use crate::report::Report;

const SCHEMA_TEXT: &str = include_str!("../../../../../schema/tag-config.schema.json");

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
        .and_then(Value::as_object)
        .expect("properties");
    let mut names: Vec<&str> = props.iter().map(|(k, _)| &**k).collect();
    let mut known = crate::config::IDENTITY_KEYS.to_vec();
    names.sort_unstable();
    known.sort_unstable();
    assert_eq!(names, known);
    let base = format!("{{{ON}}}");
    let (unset, _) = read_identity(&base);
    for (key, prop) in props {
        assert!(
            prop.get("description")
                .and_then(Value::as_str)
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
        inner.set(key.clone(), default.clone());
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
    j(call.body.as_deref().unwrap_or_default())
}

#[test]
fn calls_table() {
    let page = "https://shop.com/p?fbclid=FB.1&gclid=G-1";
    let both = format!(
        r#"{{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"42","email":"a@b.co","phone":"+1 650 555 1212","fbclid":"FB.1","gaclid":"G-1","trust":"server","valuation_properties":{{"action":"Purchase","properties":{{"value":129.90,"currency":"EUR","transaction_id":"T1","page":"{page}"}}}}}}"#
    );
    let cases: Vec<CallCase> = vec![
        (
            "anonymous only",
            r#"{"client_id": "123.456"}"#,
            None,
            Ok(vec![
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"123.456","trust":"server"}"#,
            ]),
        ),
        (
            "email only (first list item)",
            r#"{"user_data": {"email_address": [" A@B.co ", "c@d.co"]}}"#,
            None,
            Ok(vec![
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"email":"A@B.co","trust":"server"}"#,
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
                r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"c","fbclid":"EV","trust":"server","valuation_properties":{"action":"page_view"}}"#,
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
        .map(|calls| {
            calls
                .iter()
                .map(|c| c.body.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        });
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
        assert!(!call
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("secret-token"));
    }
    let resolve = body_of(&calls[0]);
    let journal = body_of(&calls[1]);
    assert_eq!(resolve.get("count_prev_visits"), Some(&Value::Bool(true)));
    assert_eq!(journal.get("count_prev_visits"), None);
    let mut without = resolve.clone();
    if let Value::Object(pairs) = &mut without {
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
    // A queued event's later try resolves without counting (or journaling) the visit again.
    let again = RequestContext {
        redelivery: true,
        ..RequestContext::default()
    };
    let retry = identity_calls(&c, &EventData::new(&v), &again, Some("Lead")).expect("calls");
    assert_eq!(body_of(&retry[0]).get("count_prev_visits"), None);
}

#[test]
fn cookie_source_and_request_click_ids() {
    let mut c = cfg();
    c.anonymous_id_source = AnonymousIdSource::parse("cookie:_ga").expect("source");
    let req_json = j(
        r#"{"url": "https://shop.com/?gclid=REQ", "headers": {"cookie": "_ga=GA1.1.5.6; other=1", "referer": "https://x.com/?fbclid=REF"}}"#,
    );
    let req = RequestContext::from_json(&req_json);
    let v = j(r#"{"client_id": "ignored"}"#);
    let ev = EventData::new(&v);
    let calls = identity_calls(&c, &ev, &req, None).expect("calls");
    assert_eq!(
        calls[0].body.as_deref().unwrap_or_default(),
        r#"{"platform":"omni-meta-capi","count_prev_visits":true,"anonymous_id":"GA1.1.5.6","fbclid":"REF","gaclid":"REQ","trust":"server"}"#
    );
    assert_eq!(
        identity_calls(&c, &ev, &RequestContext::default(), None),
        Err(NO_IDENTIFIER),
        "no cookie, no email"
    );
}

#[test]
fn cache_keys_change_with_any_identifier() {
    let c = cfg();
    let key = |event: &str| {
        let v = j(event);
        Identifiers::of(&c, &EventData::new(&v), &RequestContext::default()).map(|i| i.cache_key())
    };
    let anonymous = key(r#"{"client_id": "c", "page_location": "https://s.com/a"}"#);
    assert_eq!(
        anonymous,
        key(r#"{"client_id": "c", "page_location": "https://s.com/b", "value": 3}"#),
        "pages and values are not identifiers"
    );
    let others = [
        key(r#"{"client_id": "c", "email": "a@b.co"}"#),
        key(r#"{"client_id": "c", "phone": "1"}"#),
        key(r#"{"client_id": "c", "fbclid": "F"}"#),
        key(r#"{"client_id": "c", "gclid": "G"}"#),
        key(r#"{"client_id": "d"}"#),
        key(r#"{"email": "c"}"#),
    ];
    for (i, other) in others.iter().enumerate() {
        assert_ne!(&anonymous, other, "#{i}");
    }
    let digest = anonymous.expect("key");
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "a digest, not the id"
    );
    assert_eq!(key("{}"), Err(NO_IDENTIFIER));
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

// ---- resolution and cache ----

fn ok(uuid: &str, journal: Option<Vec<JournalEntry>>) -> IdentityAnswer {
    IdentityAnswer::Ok(IdentityResult {
        uuid: uuid.into(),
        email: None,
        count_prev_visits: Some(4),
        journal,
    })
}

fn failed(reason: &str) -> IdentityAnswer {
    IdentityAnswer::Failed {
        reason: reason.into(),
    }
}

fn entry(email: &str) -> JournalEntry {
    JournalEntry {
        email: Some(email.into()),
        ..JournalEntry::default()
    }
}

#[test]
fn resolve_statuses() {
    let c = cfg();
    let ids = Identifiers {
        anonymous_id: Some("a".into()),
        ..Identifiers::default()
    };
    let run = |answers: Option<&[IdentityAnswer]>| resolve(&c, Ok(&ids), answers, None, 0);

    let both = [
        ok("U", None),
        ok("U", Some(vec![entry("new@x.co"), entry("old@x.co")])),
    ];
    let r = run(Some(&both));
    assert_eq!(
        (r.status, r.uuid.as_deref(), r.previous_visits),
        ("resolved", Some("U"), Some(4))
    );
    assert_eq!(r.journal.len(), 2);
    assert_eq!(
        r.journal[0].email.as_deref(),
        Some("new@x.co"),
        "newest first"
    );
    assert!(r.failures.is_empty());

    let r = run(Some(&[ok("U", None), failed("HTTP 503")]));
    assert_eq!(
        (r.status, r.failures.clone()),
        ("resolved", vec!["HTTP 503".to_string()])
    );

    let r = run(Some(&[
        failed("HTTP 401 UNAUTHORIZED"),
        failed("no answer"),
    ]));
    assert_eq!((r.status, r.uuid), ("failed", None));
    assert_eq!(r.failures.len(), 2);

    assert_eq!(run(None).status, "not_requested");
    assert_eq!(
        resolve(&c, Err(NO_IDENTIFIER), Some(&both), None, 0).status,
        "no_identifier"
    );
}

#[test]
fn cache_reuses_full_successes_until_they_expire() {
    let mut c = cfg();
    c.cache_ttl_ms = 1_000;
    let ids = Identifiers {
        anonymous_id: Some("a".into()),
        ..Identifiers::default()
    };
    let mut cache = Cache::default();
    let partial = [ok("U", None), failed("HTTP 500")];
    resolve(&c, Ok(&ids), Some(&partial), Some(&mut cache), 0);
    assert!(cache.is_empty(), "a partial answer is not cached");
    resolve(&c, Ok(&ids), Some(&[ok("U", None)]), Some(&mut cache), 0);
    assert_eq!(cache.len(), 1);
    let r = resolve(&c, Ok(&ids), None, Some(&mut cache), 999);
    assert_eq!((r.status, r.uuid.as_deref()), ("cached", Some("U")));
    let r = resolve(&c, Ok(&ids), None, Some(&mut cache), 1_000);
    assert_eq!(r.status, "not_requested", "expired");
    // A TTL of 0 means no cache at all.
    c.cache_ttl_ms = 0;
    let mut empty = Cache::default();
    resolve(&c, Ok(&ids), Some(&[ok("U", None)]), Some(&mut empty), 0);
    assert!(empty.is_empty());
}

#[test]
fn cache_is_bounded() {
    let mut cache = Cache::default();
    let results = vec![IdentityResult {
        uuid: "U".into(),
        email: None,
        count_prev_visits: None,
        journal: None,
    }];
    for i in 0..CACHE_MAX_ENTRIES {
        cache.put(format!("k{i}"), results.clone(), 0, 100 + i as u64);
    }
    assert_eq!(cache.len(), CACHE_MAX_ENTRIES);
    // Full of live answers: the one closest to expiry (k0) makes room.
    cache.put("new".into(), results.clone(), 0, 50_000);
    assert_eq!(cache.len(), CACHE_MAX_ENTRIES);
    assert!(!cache.contains("k0", 0) && cache.contains("k1", 0) && cache.contains("new", 0));
    // Expired answers go first, all of them.
    cache.put("later".into(), results.clone(), 20_000, 1_000);
    assert_eq!(cache.len(), 2);
    // Replacing a key never evicts another.
    cache.put("later".into(), results, 20_000, 5_000);
    assert_eq!(cache.len(), 2);
}

#[test]
fn an_echoed_email_or_phone_never_reaches_the_reason() {
    let body = r#"{"success": false, "error": {"code": "INVALID_PARAMETER", "message": "email jane@x.co and phone +1 650 555 1212 rejected"}}"#;
    assert_eq!(
        reason(&parse_answer(400, body)),
        "HTTP 400 INVALID_PARAMETER: email [redacted] and phone [redacted] rejected"
    );
}

#[test]
fn trust_is_browser_only_for_collect_hits_and_user_id_is_sent() {
    let c = cfg();
    let v = j(r#"{"client_id": "c1", "user_id": " site-7 "}"#);
    let ev = EventData::new(&v);
    let body = |url: &str| {
        let req_json = j(&format!(r#"{{"url": "{url}"}}"#));
        let req = RequestContext::from_json(&req_json);
        body_of(&identity_calls(&c, &ev, &req, None).expect("calls")[0])
    };
    for (url, want) in [
        ("https://t.example.com/g/collect?v=2&en=x", "browser"),
        ("https://t.example.com/metrics/g/collect", "browser"),
        ("https://t.example.com/event", "server"),
        ("https://t.example.com/event?x=/g/collect", "server"),
        ("", "server"),
    ] {
        let b = body(url);
        assert_eq!(b.get("trust").and_then(Value::as_str), Some(want), "{url}");
        assert_eq!(b.get("user_id").and_then(Value::as_str), Some("site-7"));
    }
    let ids = |url: &str| {
        let req_json = j(&format!(r#"{{"url": "{url}"}}"#));
        let req = RequestContext::from_json(&req_json);
        Identifiers::of(&c, &ev, &req).expect("ids").cache_key()
    };
    assert_ne!(
        ids("/g/collect"),
        ids("/event"),
        "a browser hit's answer is never reused for a server event"
    );
}
