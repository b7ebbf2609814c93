//! The whole pipeline, event in -> request out.
use super::*;
use crate::json::parse;

const NOW_MS: u64 = 1_764_331_200_000;
const CLOCK: Clock = Clock {
    now_ms: NOW_MS,
    entropy: [7; 16],
};

fn tag(config: &str) -> Tag {
    Tag::new(&parse(config).expect("config"))
}

fn build(t: &Tag, event: &str, request: &str) -> BuildOutput<'static> {
    t.build(
        &parse(event).expect("event"),
        &parse(request).expect("request"),
        CLOCK,
    )
    .into_owned()
}

const CONFIG: &str =
    r#"{"pixelId": "1234567890", "accessToken": "EAAB-secret", "testEventCode": "TEST42"}"#;

const PURCHASE: &str = r#"{
  "event_name": "purchase", "client_id": "555.666", "user_id": "U-42",
  "ip_override": "10.0.0.1, 81.2.69.9", "user_agent": "Mozilla/5.0 Test",
  "page_location": "https://www.shop.example.com/thanks?fbclid=IwAR-Click_1",
  "page_referrer": "https://www.shop.example.com/cart",
  "value": "129.90", "currency": "usd", "transaction_id": "T-1001", "event_id": "evt-1",
  "items": [{"item_id": "SKU-1", "item_name": "Shoe", "quantity": 2, "price": 50},
            {"item_id": "SKU-2", "price": "29.90"}],
  "user_data": {"email_address": " Jane.Doe@Example.com ", "phone_number": "+1 (650) 555-1212",
    "address": {"first_name": "Jane", "last_name": "Doe", "city": "San Francisco", "region": "California",
                "postal_code": "94103", "country": "US"}},
  "x-fb-ud-ge": "female", "x-fb-ud-db": "1990-02-14"
}"#;

#[test]
fn a_ga4_purchase_becomes_a_meta_request() {
    let t = tag(CONFIG);
    let out = build(
        &t,
        PURCHASE,
        r#"{"cookies": {"_fbp": "fb.1.1700000000000.123456"}}"#,
    );
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    assert_eq!(out.requests.len(), 1);
    let req = &out.requests[0];
    assert_eq!(
        req.url,
        "https://graph.facebook.com/v24.0/1234567890/events"
    );
    let body = parse(&req.body).expect("body is JSON");
    assert_eq!(
        body.get("access_token").and_then(Value::as_str),
        Some("EAAB-secret")
    );
    assert_eq!(
        body.get("test_event_code").and_then(Value::as_str),
        Some("TEST42")
    );
    let e = &body.get("data").and_then(Value::as_array).expect("data")[0];
    let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
    assert_eq!(s("event_name").as_deref(), Some("Purchase"));
    assert_eq!(
        e.get("event_time"),
        Some(&Value::Number("1764331200".into()))
    );
    assert_eq!(s("event_id").as_deref(), Some("evt-1"));
    assert_eq!(s("action_source").as_deref(), Some("website"));
    let ud = e.get("user_data").expect("user_data");
    let first = |k: &str| {
        ud.get(k)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    assert_eq!(
        first("em"),
        Some(crate::hash::sha256_hex(b"jane.doe@example.com"))
    );
    assert_eq!(first("ph"), Some(crate::hash::sha256_hex(b"16505551212")));
    assert_eq!(first("ct"), Some(crate::hash::sha256_hex(b"sanfrancisco")));
    assert_eq!(first("st"), Some(crate::hash::sha256_hex(b"ca")));
    assert_eq!(first("ge"), Some(crate::hash::sha256_hex(b"f")));
    assert_eq!(first("db"), Some(crate::hash::sha256_hex(b"19900214")));
    assert_eq!(first("external_id"), Some(crate::hash::sha256_hex(b"u-42")));
    assert_eq!(
        ud.get("client_ip_address").and_then(Value::as_str),
        Some("81.2.69.9")
    );
    assert_eq!(
        ud.get("client_user_agent").and_then(Value::as_str),
        Some("Mozilla/5.0 Test")
    );
    assert_eq!(
        ud.get("fbc").and_then(Value::as_str),
        Some("fb.1.1764331200000.IwAR-Click_1")
    );
    assert_eq!(
        ud.get("fbp").and_then(Value::as_str),
        Some("fb.1.1700000000000.123456")
    );
    let cd = e.get("custom_data").expect("custom_data");
    assert_eq!(
        cd.to_json(),
        r#"{"value":129.90,"currency":"USD","order_id":"T-1001","content_ids":["SKU-1","SKU-2"],"contents":[{"id":"SKU-1","quantity":2,"item_price":50,"title":"Shoe"},{"id":"SKU-2","quantity":1,"item_price":29.90}],"content_type":"product","num_items":3}"#
    );
    // No plaintext PII anywhere in what leaves.
    for plain in [
        "Jane",
        "jane",
        "Doe",
        "650",
        "San Francisco",
        "94103",
        "female",
        "1990",
        "U-42",
    ] {
        assert!(!req.body.contains(plain), "{plain} leaked");
    }
    // Cookies to set: the very values in the payload.
    let names: Vec<_> = out
        .cookies
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("_fbc", "fb.1.1764331200000.IwAR-Click_1"),
            ("_fbp", "fb.1.1700000000000.123456")
        ]
    );
    assert_eq!(out.cookies[0].domain.as_deref(), Some("example.com"));
}

#[test]
fn an_invalid_event_yields_no_request_and_says_why() {
    let t = tag(CONFIG);
    let out = build(&t, r#"{"event_name": "purchase", "value": 5}"#, "{}");
    assert_eq!(out.status, Status::Invalid);
    assert!(out.requests.is_empty());
    let codes: Vec<_> = out.report.errors.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        vec![
            "website.event_source_url_missing",
            "website.client_user_agent_missing",
            "purchase.currency_missing",
        ]
    );
}

#[test]
fn consent_denied_sends_nothing_and_sets_no_cookie() {
    let t = tag(r#"{"pixelId": "1", "accessToken": "t", "consent": {"requireAdStorage": true}}"#);
    let out = build(
        &t,
        r#"{"event_name": "page_view", "x-ga-gcs": "G100", "page_location": "https://x.com/?fbclid=A"}"#,
        "{}",
    );
    assert_eq!(out.status, Status::Skipped);
    assert_eq!(out.skipped.as_ref().map(|s| s.code), Some("consent.denied"));
    assert!(out.requests.is_empty() && out.cookies.is_empty());
}

#[test]
fn pii_off_sends_no_hashed_identifier() {
    let t = tag(r#"{"pixelId": "1", "accessToken": "t", "sendPii": false}"#);
    let out = build(&t, PURCHASE, "{}");
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let ud = out
        .event
        .as_ref()
        .and_then(|e| e.get("user_data"))
        .expect("user_data");
    let keys: Vec<_> = ud
        .as_object()
        .unwrap_or_default()
        .iter()
        .map(|(k, _)| &**k)
        .collect();
    assert_eq!(
        keys,
        vec!["client_user_agent", "client_ip_address", "fbc", "fbp"]
    );
}

#[test]
fn ldu_multi_pixel_app_secret_and_gateway() {
    let t = tag(
        r#"{"pixelId": [{"pixelId": "1", "accessToken": "a"}, {"pixelId": "2", "accessToken": "b"}],
        "ldu": {"enabled": true, "country": 1, "state": 1000}, "appSecret": "s",
        "graphBaseUrl": "http://127.0.0.1:9999/capi/", "graphApiVersion": "v25.0", "partnerAgent": "acme"}"#,
    );
    let out = build(&t, PURCHASE, "{}");
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let urls: Vec<_> = out.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "http://127.0.0.1:9999/capi/v25.0/1/events",
            "http://127.0.0.1:9999/capi/v25.0/2/events"
        ]
    );
    let body = &out.requests[1].body;
    assert!(body.contains(r#""data_processing_options":["LDU"],"data_processing_options_country":1,"data_processing_options_state":1000"#));
    assert!(body.contains(r#""partner_agent":"acme","access_token":"b","appsecret_proof":""#));
}

#[test]
fn bad_config_reports_and_builds_nothing() {
    let t = tag(r#"{"pixelId": 12.5, "actionSource": 3}"#);
    let out = build(&t, PURCHASE, "{}");
    assert_eq!(out.status, Status::Invalid);
    let fields: Vec<_> = out.report.errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"pixelId")
            && fields.contains(&"accessToken")
            && fields.contains(&"actionSource"),
        "{fields:?}"
    );
    // PURCHASE carries an fbclid and no _fbp: a valid config would set both cookies.
    assert!(out.cookies.is_empty(), "{:?}", out.cookies);
    let request = parse("{}").expect("request");
    let event = parse(PURCHASE).expect("event");
    assert!(t.cookies(&event, &request, CLOCK).is_empty());
    assert_eq!(tag(CONFIG).cookies(&event, &request, CLOCK).len(), 2);
}

/// A shop on a platform's domain (the Public Suffix List's private section), with PII in its
/// URLs: the cookies live on the shop's own host, Meta gets the URLs without the PII, and the
/// fbclid of the page URL still makes the fbc.
#[test]
fn a_platform_hosted_shop_gets_its_own_cookie_domain_and_clean_urls() {
    let t = tag(CONFIG);
    let event = r#"{"event_name": "page_view", "user_agent": "UA", "ip_override": "81.2.69.9",
        "page_location": "https://checkout.myshop.myshopify.com/thanks?email=jane%40x.com&fbclid=IwAR-1&first_name=Jane#done",
        "page_referrer": "https://myshop.myshopify.com/cart?u=jane@x.com&step=2"}"#;
    let out = build(&t, event, "{}");
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let body = &out.requests[0].body;
    let parsed = parse(body).expect("body");
    let e = &parsed.get("data").and_then(Value::as_array).expect("data")[0];
    assert_eq!(
        e.get("event_source_url").and_then(Value::as_str),
        Some("https://checkout.myshop.myshopify.com/thanks?fbclid=IwAR-1#done")
    );
    assert_eq!(
        e.get("referrer_url").and_then(Value::as_str),
        Some("https://myshop.myshopify.com/cart?step=2")
    );
    assert!(!body.contains("jane") && !body.contains("Jane"), "{body}");
    assert!(out.report.has("event.url_pii_removed"));
    // myshop.myshopify.com: 3 labels, subdomain index 2.
    let fbc = e
        .get("user_data")
        .and_then(|u| u.get("fbc"))
        .and_then(Value::as_str);
    assert_eq!(fbc, Some("fb.2.1764331200000.IwAR-1"));
    let domains: Vec<_> = out.cookies.iter().map(|c| c.domain.as_deref()).collect();
    assert_eq!(domains, vec![Some("myshop.myshopify.com"); 2]);
    // The platform's own host is a public suffix: host-only cookies.
    let on_suffix = build(
        &t,
        r#"{"event_name": "page_view", "page_location": "https://myshopify.com/"}"#,
        "{}",
    );
    assert!(on_suffix.cookies.iter().all(|c| c.domain.is_none()) && !on_suffix.cookies.is_empty());
}

#[test]
fn event_time_in_ms_and_generated_event_id() {
    let t = tag(CONFIG);
    let event = r#"{"event_name": "generate_lead", "event_time": 1764331100123, "user_data": {"email_address": "a@b.co"}, "x-fb-sed-action_source": "email"}"#;
    let out = build(&t, event, "{}");
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let e = out.event.expect("event");
    assert_eq!(
        e.get("event_time"),
        Some(&Value::Number("1764331100".into()))
    );
    assert_eq!(e.get("event_name").and_then(Value::as_str), Some("Lead"));
    assert_eq!(
        e.get("event_id").and_then(Value::as_str),
        Some(CLOCK.uuid().as_str())
    );
}

#[test]
fn non_object_inputs_are_reported() {
    let t = tag(CONFIG);
    let not_an_object = Value::Array(vec![]);
    let out = t.build(&not_an_object, &Value::Null, CLOCK);
    assert_eq!(out.status, Status::Invalid);
    assert_eq!(out.report.errors[0].code, "event.not_an_object");
}

#[test]
fn wire_format_puts_each_body_on_its_own_line() {
    let t = tag(
        r#"{"pixelId": [{"pixelId": "1", "accessToken": "a"}, {"pixelId": "2", "accessToken": "b"}]}"#,
    );
    let out = build(&t, PURCHASE, "{}");
    let mut wire = String::new();
    out.write_wire(&mut wire, "trace-1", |logs| {
        logs.push_str("[{\"level\":\"INFO\"}]")
    });
    let lines: Vec<&str> = wire.split('\n').collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], out.requests[0].body);
    assert_eq!(lines[2], out.requests[1].body);
    // The head holds by position what the whole result holds by name (bodies aside).
    let head = parse(lines[0]).expect("head");
    let at = |i: usize| head.as_array().and_then(|a| a.get(i)).cloned();
    let whole = out.to_json();
    let field = |k: &str| whole.get(k).cloned();
    assert_eq!(head.as_array().map(<[Value]>::len), Some(8));
    assert_eq!(at(0), field("status"));
    // Requests by their pixel's index into the tag's request heads, read once per tag.
    let mut heads_text = String::new();
    json::write_array(
        &crate::request::request_heads(t.config()),
        &mut heads_text,
        HttpRequest::write_row,
    );
    let heads = parse(&heads_text).expect("request heads");
    let requests = at(1).unwrap_or(Value::Null);
    let whole_requests = whole.get("requests").and_then(Value::as_array);
    assert_eq!(
        requests.to_json(),
        "[0,1]",
        "both pixels, in the config's order"
    );
    for (i, r) in whole_requests.unwrap_or_default().iter().enumerate() {
        let index = requests
            .as_array()
            .and_then(|a| a.get(i))
            .and_then(|v| match v {
                Value::Number(n) => n.parse::<usize>().ok(),
                _ => None,
            })
            .unwrap_or(usize::MAX);
        let row = heads
            .as_array()
            .and_then(|a| a.get(index))
            .and_then(Value::as_array)
            .unwrap_or_default();
        let names = ["pixelId", "url", "method", "headers"];
        assert_eq!(row.len(), names.len());
        for (name, v) in names.iter().zip(row) {
            assert_eq!(r.get(name), Some(v), "{name}");
        }
    }
    let report = field("report").unwrap_or(Value::Null);
    let names = ["valid", "errors", "warnings"];
    let row = at(2).unwrap_or(Value::Null);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            row.as_array().and_then(|a| a.get(i)),
            report.get(name),
            "{name}"
        );
    }
    let cookies = field("cookies").unwrap_or(Value::Null);
    assert_eq!(
        cookies.as_array().map(<[Value]>::len),
        Some(2),
        "fbc and a new fbp"
    );
    let names = [
        "name", "value", "maxAge", "domain", "path", "secure", "httpOnly", "sameSite", "header",
    ];
    for (i, c) in cookies.as_array().unwrap_or_default().iter().enumerate() {
        let row = at(3)
            .and_then(|a| a.as_array().and_then(|a| a.get(i)).cloned())
            .unwrap_or(Value::Null);
        let row = row.as_array().unwrap_or_default();
        assert_eq!(row.len(), names.len());
        for (name, v) in names.iter().zip(row) {
            assert_eq!(c.get(name), Some(v), "{name}");
        }
    }
    assert_eq!(at(4), Some(Value::Null), "not skipped");
    assert_eq!(at(5), Some(Value::Null), "no identity");
    assert_eq!(at(6), Some(Value::str("trace-1")));
    assert_eq!(
        at(7).map(|l| l.to_json()),
        Some("[{\"level\":\"INFO\"}]".into())
    );
}

#[test]
fn x_fb_sed_fields_pass_through_and_nonstandard_event_names_warn() {
    let t = tag(r#"{"pixelId": "1", "accessToken": "t", "eventName": "Purchased"}"#);
    let event = r#"{"event_name": "purchase", "page_location": "https://x.com/", "user_agent": "UA",
        "user_data": {"email_address": "a@b.co"}, "x-fb-sed-customer_segmentation": "new_customer_to_business"}"#;
    let out = build(&t, event, "{}");
    let e = out.event.expect("event");
    assert_eq!(
        e.get("event_name").and_then(Value::as_str),
        Some("Purchased")
    );
    assert_eq!(
        e.get("customer_segmentation").and_then(Value::as_str),
        Some("new_customer_to_business")
    );
    assert!(out.report.has("config.event_name_not_standard"));
}

// ---- identity resolution and enrichment in the pipeline ----

const IDENTITY_CONFIG: &str = r#"{"pixelId": "1", "accessToken": "t", "consent": {"requireAdStorage": true, "whenMissing": "send"},
    "identity": {"enabled": true,
    "endpoint": "https://id.example.com/api/v1", "token": "id-token", "useJournal": true, "cacheTtlMs": 60000}}"#;

const ANONYMOUS_VIEW: &str = r#"{"event_name": "page_view", "client_id": "c-1",
    "page_location": "https://shop.com/p", "user_agent": "UA", "ip_override": "81.2.69.9"}"#;

fn answers() -> Vec<crate::identity::IdentityAnswer> {
    let resolve = r#"{"success": true, "data": {"uuid": "P-1", "email": "jane@x.co", "count_prev_visits": 2}}"#;
    let journal = r#"{"success": true, "data": {"uuid": "P-1", "journal": [
        {"anonymous_id": "c-1", "email": "jane@x.co", "created_at": "2025-11-28T10:00:00.000Z"}]}}"#;
    vec![
        crate::identity::parse_answer(200, resolve),
        crate::identity::parse_answer(200, journal),
    ]
}

fn user_data_keys(out: &BuildOutput) -> Vec<String> {
    let ud = out.event.as_ref().and_then(|e| e.get("user_data"));
    let pairs = ud.and_then(Value::as_object).unwrap_or_default();
    pairs.iter().map(|(k, _)| k.to_string()).collect()
}

#[test]
fn identity_calls_then_the_answers_enrich_the_event() {
    let t = tag(IDENTITY_CONFIG);
    let event = parse(ANONYMOUS_VIEW).expect("event");
    let IdentityPlan::Calls(calls) = t.identity_calls(&event, &Value::Null, None, NOW_MS) else {
        panic!("calls expected");
    };
    assert_eq!(calls.len(), 2, "resolve + journal");
    assert!(
        calls[0]
            .body
            .as_deref()
            .unwrap_or_default()
            .contains(r#""action":"PageView""#),
        "{}",
        calls[0].body.as_deref().unwrap_or_default()
    );

    let mut cache = Cache::default();
    let out = t.build_with(
        &event,
        &Value::Null,
        CLOCK,
        Some(&answers()),
        Some(&mut cache),
    );
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let identity = out.identity.as_ref().expect("identity outcome");
    assert_eq!(
        identity.to_json().to_json(),
        r#"{"status":"resolved","filled":["external_id","em"],"uuid":"P-1","previousVisits":2,"failures":[]}"#
    );
    let body = &out.requests[0].body;
    let hash = crate::hash::sha256_hex;
    assert!(
        body.contains(&hash(b"p-1")) && body.contains(&hash(b"jane@x.co")),
        "{body}"
    );
    assert!(
        !body.contains("jane@x.co") && !body.contains("P-1"),
        "no plaintext: {body}"
    );

    // The same visitor again: the cache answers, no call is made.
    assert_eq!(
        t.identity_calls(&event, &Value::Null, Some(&cache), NOW_MS + 1),
        IdentityPlan::Cached
    );
    let again = t.build_with(&event, &Value::Null, CLOCK, None, Some(&mut cache));
    let identity = again.identity.expect("identity outcome");
    assert_eq!(
        (identity.resolution.status, identity.filled),
        ("cached", vec!["external_id", "em"])
    );
}

#[test]
fn identity_failures_never_stop_the_event() {
    let t = tag(IDENTITY_CONFIG);
    let event = parse(ANONYMOUS_VIEW).expect("event");
    let down = [
        crate::identity::parse_answer(0, ""),
        crate::identity::parse_answer(
            401,
            r#"{"success": false, "error": {"code": "UNAUTHORIZED", "message": "bad token"}}"#,
        ),
    ];
    let out = t.build_with(&event, &Value::Null, CLOCK, Some(&down), None);
    assert_eq!(out.status, Status::Ready);
    let identity = out.identity.as_ref().expect("identity outcome");
    assert_eq!(
        (identity.resolution.status, identity.filled.len()),
        ("failed", 0)
    );
    assert_eq!(
        identity.resolution.failures[1],
        "HTTP 401 UNAUTHORIZED: bad token"
    );
    let without = build(&tag(CONFIG), ANONYMOUS_VIEW, "null");
    assert_eq!(
        user_data_keys(&out),
        user_data_keys(&without),
        "sent as without identity"
    );
}

#[test]
fn identity_is_not_asked_for_skipped_or_broken_events_and_can_rescue_thin_ones() {
    let t = tag(IDENTITY_CONFIG);
    let denied =
        parse(r#"{"client_id": "c", "consent_state": {"ad_storage": false}}"#).expect("event");
    assert_eq!(
        t.identity_calls(&denied, &Value::Null, None, NOW_MS),
        IdentityPlan::Nothing
    );
    assert_eq!(
        t.identity_calls(&Value::Null, &Value::Null, None, NOW_MS),
        IdentityPlan::Nothing
    );
    let nobody = parse(r#"{"event_name": "page_view"}"#).expect("event");
    assert_eq!(
        t.identity_calls(&nobody, &Value::Null, None, NOW_MS),
        IdentityPlan::NoIdentifier
    );
    assert_eq!(
        tag(CONFIG).identity_calls(&nobody, &Value::Null, None, NOW_MS),
        IdentityPlan::Nothing
    );
    let out = t.build_with(&denied, &Value::Null, CLOCK, Some(&answers()), None);
    assert_eq!(
        (out.status, out.identity.is_none()),
        (Status::Skipped, true)
    );

    // A server-side lead with nothing to match on is invalid alone, valid with its uuid.
    let t = tag(&IDENTITY_CONFIG.replace(
        r#""accessToken": "t","#,
        r#""accessToken": "t", "generateFbp": false,"#,
    ));
    let thin = parse(r#"{"event_name": "generate_lead", "client_id": "c-1", "x-fb-sed-action_source": "system_generated"}"#).expect("event");
    let alone = t.build_with(&thin, &Value::Null, CLOCK, None, None);
    assert!(alone.report.has("user_data.insufficient_matching_keys"));
    let enriched = t.build_with(&thin, &Value::Null, CLOCK, Some(&answers()), None);
    assert_eq!(enriched.status, Status::Ready, "{:?}", enriched.report);
    assert_eq!(user_data_keys(&enriched), vec!["external_id", "em"]);
}

#[test]
fn cookies_alone_match_the_builds_cookies() {
    let t = tag(
        r#"{"pixelId": "1", "accessToken": "t", "consent": {"requireAdStorage": true, "whenMissing": "send"}}"#,
    );
    let cases = [
        (
            r#"{"event_name": "page_view", "page_location": "https://www.shop.co.uk/?fbclid=AbC"}"#,
            "{}",
        ),
        (
            r#"{"event_name": "page_view", "x-fb-sed-event_source_url": "https://a.b.example.com/"}"#,
            r#"{"cookies": "_fbp=fb.1.1.42"}"#,
        ),
        (
            r#"{"event_name": "page_view", "fbclid": "Z", "page_location": "https://x.com/"}"#,
            r#"{"cookies": {"_fbc": "fb.1.5.Z"}}"#,
        ),
        (r#"{"event_name": "page_view", "x-ga-gcs": "G100"}"#, "{}"),
    ];
    for (event, request) in cases {
        let (event, request) = (
            parse(event).expect("event"),
            parse(request).expect("request"),
        );
        assert_eq!(
            t.cookies(&event, &request, CLOCK),
            t.build(&event, &request, CLOCK).cookies,
            "{}",
            event.to_json()
        );
    }
    assert!(t.cookies(&Value::Null, &Value::Null, CLOCK).is_empty());
}

#[test]
fn an_event_past_the_bounds_is_invalid_with_a_clear_error() {
    let tag = Tag::from_text(r#"{"pixelId": "1", "accessToken": "t"}"#);
    let clock = Clock {
        now_ms: 1_764_331_200_000,
        entropy: [1; 16],
    };
    let items = |n: usize| {
        let list = vec![r#"{"item_id": "A", "price": 1}"#; n].join(",");
        format!(
            r#"{{"event_name": "purchase", "page_location": "https://s.com/", "user_agent": "UA",
            "value": 1, "currency": "USD", "items": [{list}]}}"#
        )
    };
    let at_bound = tag.build_text(&items(crate::payload::MAX_CONTENTS), "{}", clock);
    assert_eq!(at_bound.status, Status::Ready, "{:?}", at_bound.report);
    let past = tag.build_text(&items(crate::payload::MAX_CONTENTS + 1), "{}", clock);
    assert_eq!(past.status, Status::Invalid);
    assert!(past
        .report
        .errors
        .iter()
        .any(|e| e.code == "custom_data.too_many_contents"));

    let padding = " ".repeat(crate::tag::MAX_EVENT_BYTES);
    let huge = tag.build_text(
        &format!(r#"{{"event_name": "page_view"}}{padding}"#),
        "{}",
        clock,
    );
    assert_eq!(huge.status, Status::Invalid);
    assert_eq!(
        huge.report.errors.last().map(|e| e.code),
        Some("event.too_large")
    );
    assert!(huge
        .report
        .errors
        .last()
        .is_some_and(|e| e.message.contains("at most 2097152")));
}
