//! Parity with the two most used sGTM Meta tags (issue 13): each scenario of Stape's
//! `facebook-tag` and Meta's `ConversionsAPI-Tag-for-GoogleTagManager` unit tests that exercises
//! a capability, translated into our config and event data, with the request body we send.
//! Where we deliberately differ (Meta's rules over the peer's habit), the test says so.
#![cfg(not(target_arch = "wasm32"))]

use omni_meta_capi::hash::sha256_hex;
use omni_meta_capi::json::{parse, Json, Record};
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::{BuildOutput, Status, Tag};

const NOW_MS: u64 = 1_747_945_830_000;
const NOW_S: u64 = NOW_MS / 1000;
const CLOCK: Clock = Clock {
    now_ms: NOW_MS,
    entropy: [9; 16],
};
const UA: &str = "Mozilla/5.0 (Test)";

fn h(plain: &str) -> String {
    sha256_hex(plain.as_bytes())
}

fn build(config: &str, event: &str, request: &str) -> BuildOutput<'static> {
    let tag = Tag::new(&parse(config).expect("config"));
    tag.build(
        &parse(event).expect("event"),
        &parse(request).expect("request"),
        CLOCK,
    )
    .into_owned()
}

/// The one event of the first request body.
fn sent(out: &BuildOutput) -> Json {
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let body = parse(&out.requests[0].body).expect("body");
    body.get("data")
        .and_then(|d| d.as_array())
        .and_then(|d| d.first())
        .cloned()
        .expect("one event")
}

fn text(v: &Json, path: &str) -> String {
    let mut node = v;
    for part in path.split('.') {
        node = node
            .get(part)
            .unwrap_or_else(|| panic!("{path} in {}", v.to_json()));
    }
    node.to_json()
}

fn cookie<'a>(out: &'a BuildOutput, name: &str) -> Option<&'a omni_meta_capi::payload::SetCookie> {
    out.cookies.iter().find(|c| c.name == name)
}

const META_CONFIG: &str = r#"{"pixelId": "123", "accessToken": "abc", "testEventCode": "test123", "actionSource": "email"}"#;

// Meta: "on sending action source from Client, Tag overrides the preset configuration", and the
// common event schema with x-fb-ud-* (plaintext there, hashed here), x-fb-ud-fb-login-id,
// x-fb-ck-*, x-fb-cd-* and data_processing_options from the event.
#[test]
fn meta_event_model_keys() {
    let event = format!(
        r#"{{"event_name": "Test1", "event_time": "{t}", "event_id": "e-1",
        "action_source": "website", "page_location": "https://www.example.com/p",
        "page_referrer": "https://www.facebook.com", "ip_override": "1.2.3.4", "user_agent": "{UA}",
        "test_event_code": "test123",
        "x-fb-ud-em": "test@example.com", "x-fb-ud-ph": "123456789", "x-fb-ud-fn": "foo",
        "x-fb-ud-ln": "bar", "x-fb-ud-ge": "m", "x-fb-ud-db": "19910526", "x-fb-ud-ct": "menlopark",
        "x-fb-ud-st": "ca", "x-fb-ud-zp": "12345", "x-fb-ud-country": "us",
        "x-fb-ud-external_id": "user123", "x-fb-ud-subscription_id": "abc123",
        "x-fb-ud-fb-login-id": 123456789,
        "x-fb-ck-fbp": "fb.1.1747945000000.1234567890", "x-fb-ck-fbc": "fb.1.1747945000000.AbCdEf",
        "currency": "USD", "value": "123", "search_term": "query123", "transaction_id": "order_123",
        "x-fb-cd-status": "subscribed", "x-fb-cd-content_category": "testCategory",
        "x-fb-cd-content_name": "Foo", "x-fb-cd-content_type": "product",
        "x-fb-cd-contents": "[{{\"id\": \"123\", \"quantity\": 2}}, {{\"id\": \"456\", \"quantity\": 2}}]",
        "x-fb-cd-num_items": "4", "x-fb-cd-predicted_ltv": "10000",
        "x-fb-cd-delivery_category": "home_delivery",
        "data_processing_options": ["LDU"], "data_processing_options_country": 1,
        "data_processing_options_state": 1000}}"#,
        t = NOW_S - 60
    );
    let out = build(META_CONFIG, &event, "{}");
    let e = sent(&out);
    let expected = format!(
        r#"{{"event_name":"Test1","event_time":{t},"event_id":"e-1","event_source_url":"https://www.example.com/p","referrer_url":"https://www.facebook.com","action_source":"website","user_data":{{"client_user_agent":"{UA}","em":["{em}"],"ph":["{ph}"],"fn":["{fn_}"],"ln":["{ln}"],"ge":["{ge}"],"db":["{db}"],"ct":["{ct}"],"st":["{st}"],"zp":["{zp}"],"country":["{country}"],"external_id":["{ext}"],"subscription_id":"abc123","fb_login_id":123456789,"client_ip_address":"1.2.3.4","fbc":"fb.1.1747945000000.AbCdEf","fbp":"fb.1.1747945000000.1234567890"}},"custom_data":{{"value":123,"currency":"USD","order_id":"order_123","content_name":"Foo","content_category":"testCategory","search_string":"query123","status":"subscribed","delivery_category":"home_delivery","predicted_ltv":10000,"content_type":"product","contents":[{{"id":"123","quantity":2}},{{"id":"456","quantity":2}}],"num_items":4}},"data_processing_options":["LDU"],"data_processing_options_country":1,"data_processing_options_state":1000}}"#,
        t = NOW_S - 60,
        em = h("test@example.com"),
        ph = h("123456789"),
        fn_ = h("foo"),
        ln = h("bar"),
        ge = h("m"),
        db = h("19910526"),
        ct = h("menlopark"),
        st = h("ca"),
        zp = h("12345"),
        country = h("us"),
        ext = h("user123"),
    );
    assert_eq!(e.to_json(), expected);
    assert!(out.requests[0]
        .body
        .contains(r#""test_event_code":"test123""#));
}

// Meta: "When parameters are undefined skip parsing": user_data.fb_login_id is read (plain).
#[test]
fn meta_user_data_fb_login_id_and_address() {
    let event = format!(
        r#"{{"event_name": "purchase", "page_location": "https://example.com/", "user_agent": "{UA}",
        "value": 1, "currency": "USD",
        "user_data": {{"phone_number": "1234567890", "fb_login_id": 123456789,
          "address": {{"first_name": "John", "city": "menlopark", "region": "ca",
                       "postal_code": "94025", "country": "usa"}}}}}}"#
    );
    let e = sent(&build(META_CONFIG, &event, "{}"));
    assert_eq!(text(&e, "user_data.fb_login_id"), "123456789");
    assert_eq!(
        text(&e, "user_data.ph"),
        format!(r#"["{}"]"#, h("1234567890"))
    );
    assert_eq!(text(&e, "user_data.fn"), format!(r#"["{}"]"#, h("john")));
    // Meta's param builder normalization (Meta's tag would hash "usa" as is).
    assert_eq!(text(&e, "user_data.country"), format!(r#"["{}"]"#, h("us")));
    assert_eq!(text(&e, "action_source"), r#""email""#);
}

// Meta: items -> contents `{id: item_id || item_name, item_price, quantity}`; custom_properties
// (object or JSON text) are merged into custom_data.
#[test]
fn meta_items_item_name_and_custom_properties() {
    let event = format!(
        r#"{{"event_name": "add_to_cart", "page_location": "https://example.com/", "user_agent": "{UA}",
        "ip_override": "1.2.3.4",
        "items": [{{"item_id": "A1", "price": 10, "quantity": 2}}, {{"item_name": "Gift card", "price": 5}}],
        "custom_properties": "{{\"membership\": \"gold\", \"predicted_ltv\": \"99.5\"}}"}}"#
    );
    let e = sent(&build(META_CONFIG, &event, "{}"));
    assert_eq!(
        text(&e, "custom_data"),
        r#"{"content_ids":["A1","Gift card"],"contents":[{"id":"A1","quantity":2,"item_price":10},{"id":"Gift card","quantity":1,"item_price":5,"title":"Gift card"}],"content_type":"product","num_items":3,"membership":"gold","predicted_ltv":99.5}"#
    );
    assert_eq!(text(&e, "event_name"), r#""AddToCart""#);
    // An object works as well; the event's own standard keys win over it.
    let event = event.replace(
        r#""custom_properties": "{\"membership\": \"gold\", \"predicted_ltv\": \"99.5\"}""#,
        r#""custom_properties": {"membership": "silver", "num_items": 100}"#,
    );
    let e = sent(&build(META_CONFIG, &event, "{}"));
    assert_eq!(text(&e, "custom_data.membership"), r#""silver""#);
    assert_eq!(text(&e, "custom_data.num_items"), "3");
}

// Meta: "Set Meta cookies (fbp / fbc) if 'extendCookies' is ticked" / "Do not set ...";
// Stape: `useHttpOnlyCookie`.
#[test]
fn cookie_options_extend_and_http_only() {
    let event = format!(
        r#"{{"event_name": "page_view", "page_location": "https://www.example.com/?fbclid=NEW", "user_agent": "{UA}"}}"#
    );
    let request =
        r#"{"cookies": {"_fbp": "fb.1.1747000000000.42", "_fbc": "fb.1.1747000000000.OLD"}}"#;
    let base = r#"{"pixelId": "123", "accessToken": "abc""#;
    // extend (default): both are set again; the new click replaces the old fbc.
    let out = build(&format!("{base}}}"), &event, request);
    let names: Vec<&str> = out.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_fbc", "_fbp"]);
    // extend: false: the unchanged _fbp is not set again; the changed _fbc is.
    let out = build(
        &format!(r#"{base}, "cookies": {{"extend": false}}}}"#),
        &event,
        request,
    );
    let names: Vec<&str> = out.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_fbc"]);
    let e = sent(&out);
    assert_eq!(text(&e, "user_data.fbp"), r#""fb.1.1747000000000.42""#);
    // httpOnly: the attribute on both.
    let out = build(
        &format!(r#"{base}, "cookies": {{"httpOnly": true}}}}"#),
        &event,
        "{}",
    );
    for c in &out.cookies {
        assert!(
            c.header().ends_with("; Secure; SameSite=Lax; HttpOnly"),
            "{}",
            c.header()
        );
        let mut text = String::new();
        c.write_json(&mut text);
        assert!(text.contains(r#""httpOnly":true"#), "{text}");
    }
    let out = build(&format!("{base}}}"), &event, "{}");
    assert!(out.cookies.iter().all(|c| !c.header().contains("HttpOnly")));
}

const EE_CONFIG: &str = r#"{"pixelId": "123", "accessToken": "abc", "actionSource": "website", "eventEnhancement": true}"#;

// Meta: "Set Event Enhancement Cookie (gtmeec) if `enableEventEnhancement` is ticked": the very
// cookie value Meta's test expects for foo@bar.com / 1234567890.
#[test]
fn event_enhancement_sets_the_peers_cookie() {
    let event = format!(
        r#"{{"event_name": "purchase", "value": 5, "currency": "USD", "page_location": "https://shop.example.com/t",
        "user_agent": "{UA}", "user_data": {{"email_address": "foo@bar.com", "phone_number": "1234567890"}}}}"#
    );
    let out = build(EE_CONFIG, &event, "{}");
    let c = cookie(&out, "_gtmeec").expect("_gtmeec set");
    assert_eq!(c.value, "eyJlbSI6IjBjN2U2YTQwNTg2MmU0MDJlYjc2YTcwZjhhMjZmYzczMmQwN2MzMjkzMWU5ZmFlOWFiMTU4MjkxMWQyZThhM2IiLCJwaCI6ImM3NzVlN2I3NTdlZGU2MzBjZDBhYTExMTNiZDEwMjY2MWFiMzg4MjljYTUyYTY0MjJhYjc4Mjg2MmYyNjg2NDYifQ==");
    assert_eq!(
        c.header(),
        format!("_gtmeec={}; Max-Age=7776000; Path=/; Domain=example.com; Secure; SameSite=Strict; HttpOnly", c.value)
    );
    // Do not set it when not enabled.
    let out = build(&EE_CONFIG.replace("true", "false"), &event, "{}");
    assert!(cookie(&out, "_gtmeec").is_none());
}

// Meta: "Parse gtmeec Cookie and Enrich Event When `enableEventEnhancement` is ticked".
#[test]
fn event_enhancement_fills_from_the_cookie_and_the_event_wins() {
    const STORED: &str = "eyJlbSI6ImVlMjc4OTQzZGU4NGU1ZDYyNDM1NzhlZTFhMTA1N2JjY2UwZTUwZGFhZDk3NTVmNDVkZmE2NGI2MGIxM2JjNWQiLCJwaCI6ImM3NzVlN2I3NTdlZGU2MzBjZDBhYTExMTNiZDEwMjY2MWFiMzg4MjljYTUyYTY0MjJhYjc4Mjg2MmYyNjg2NDYifQ==";
    let event = format!(
        r#"{{"event_name": "purchase", "value": 5, "currency": "USD", "page_location": "https://shop.example.com/t",
        "user_agent": "{UA}", "user_data": {{}}}}"#
    );
    let request = format!(r#"{{"cookies": {{"_gtmeec": "{STORED}"}}}}"#);
    let out = build(EE_CONFIG, &event, &request);
    let e = sent(&out);
    assert_eq!(
        text(&e, "user_data.em"),
        r#"["ee278943de84e5d6243578ee1a1057bcce0e50daad9755f45dfa64b60b13bc5d"]"#
    );
    assert_eq!(
        text(&e, "user_data.ph"),
        r#"["c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646"]"#
    );
    assert_eq!(
        cookie(&out, "_gtmeec").map(|c| c.value.as_str()),
        Some(STORED)
    );
    // The event's own email wins; the stored phone still fills.
    let own = event.replace(r#""user_data": {}"#, r#""email": "own@example.com""#);
    let e = sent(&build(EE_CONFIG, &own, &request));
    assert_eq!(
        text(&e, "user_data.em"),
        format!(r#"["{}"]"#, h("own@example.com"))
    );
    assert!(text(&e, "user_data.ph").contains("c775e7b7"));
    // With cookies.extend false the unchanged cookie is not set again.
    let no_extend = EE_CONFIG.replace(
        r#""eventEnhancement""#,
        r#""cookies": {"extend": false}, "eventEnhancement""#,
    );
    assert!(cookie(&build(&no_extend, &event, &request), "_gtmeec").is_none());
}

#[test]
fn event_enhancement_respects_consent_pii_off_and_bad_cookies() {
    let event = format!(
        r#"{{"event_name": "page_view", "page_location": "https://shop.example.com/t", "user_agent": "{UA}",
        "ip_override": "1.2.3.4", "email": "a@example.com", "consent_state": {{"ad_storage": "denied"}}}}"#
    );
    let stored = omni_meta_capi::base64::encode(format!(r#"{{"ph": "{}"}}"#, h("1")).as_bytes());
    let request = format!(r#"{{"cookies": {{"_gtmeec": "{stored}"}}}}"#);
    // ad_storage denied: nothing stored, nothing read.
    let out = build(EE_CONFIG, &event, &request);
    assert!(cookie(&out, "_gtmeec").is_none());
    assert!(sent(&out)
        .get("user_data")
        .and_then(|u| u.get("ph"))
        .is_none());
    // sendPii false: nothing stored.
    let granted = event.replace("denied", "granted");
    let pii_off = EE_CONFIG.replace(
        r#""eventEnhancement""#,
        r#""sendPii": false, "eventEnhancement""#,
    );
    assert!(cookie(&build(&pii_off, &granted, &request), "_gtmeec").is_none());
    // A malformed cookie is ignored with a warning, the event still goes.
    let out = build(
        EE_CONFIG,
        &granted,
        r#"{"cookies": {"_gtmeec": "!!not base64!!"}}"#,
    );
    assert!(out.report.has("event_enhancement.cookie_unreadable"));
    assert_eq!(out.status, Status::Ready);
    // A custom cookie name and domain.
    let named = EE_CONFIG.replace(
        r#""eventEnhancement": true"#,
        r#""eventEnhancement": {"cookieName": "_ee", "domain": "none"}"#,
    );
    let out = build(&named, &granted, "{}");
    let c = cookie(&out, "_ee").expect("_ee");
    assert_eq!(c.domain, None);
    assert!(cookie(&out, "_gtmeec").is_none());
}

// Stape: "[Action Source = App] Request is sent successfully when using Event Data as source".
#[test]
fn stape_app_event_from_event_data() {
    let config =
        r#"{"pixelId": "123", "accessToken": "abc", "actionSource": "app", "generateFbp": false}"#;
    let event = r#"{"event_name": "test", "madid": "38400000-8cf0-11bd-b23e-10b96e40000d",
      "app_data": {"advertiser_tracking_enabled": 1, "application_tracking_enabled": 0,
        "extinfo": ["a2", "app_id", "app_version", "Version app_version", "os_version", "device_model", "language", "", "", "", "", "", "", "", "", ""],
        "campaign_ids": "expected-campaign_ids", "install_referrer": "expected-install_referrer",
        "installer_package": "expected-installer_package", "url_schemes": ["foobar", "abcdef"],
        "vendor_id": "expected-vendor_id", "windows_attribution_id": "expected-windows_attribution_id"}}"#;
    let e = sent(&build(config, event, "{}"));
    assert_eq!(
        text(&e, "app_data"),
        r#"{"advertiser_tracking_enabled":1,"application_tracking_enabled":0,"extinfo":["a2","app_id","app_version","Version app_version","os_version","device_model","language","","","","","","","","",""],"campaign_ids":"expected-campaign_ids","install_referrer":"expected-install_referrer","installer_package":"expected-installer_package","url_schemes":["foobar","abcdef"],"vendor_id":"expected-vendor_id","windows_attribution_id":"expected-windows_attribution_id"}"#
    );
    // No website-only requirement (no event_source_url, no user agent).
    assert!(e.get("event_source_url").is_none());
}

// Stape: "... when using UI data as source" (our `appData`): the flags as Meta's 0/1 numbers
// (Stape forwards the table's strings), and x-fb-sed-app_data per event.
#[test]
fn stape_app_event_from_config_and_the_default_extinfo() {
    let config = r#"{"pixelId": "123", "accessToken": "abc", "actionSource": "app",
      "appData": {"advertiser_tracking_enabled": "1", "application_tracking_enabled": "0", "vendor_id": "v"}}"#;
    let event = r#"{"event_name": "purchase", "value": 3, "currency": "EUR", "anon_id": "anon-1",
      "x-ga-platform": "ios", "app_id": "com.example", "app_version": "1.2", "x-ga-os_version": "17.4",
      "x-ga-device_model": "iPhone15,2", "language": "de-de",
      "x-fb-sed-app_data": {"campaign_ids": "c-1"}}"#;
    let e = sent(&build(config, event, "{}"));
    assert_eq!(
        text(&e, "app_data"),
        r#"{"advertiser_tracking_enabled":1,"application_tracking_enabled":0,"extinfo":["i2","com.example","1.2","Version 1.2","17.4","iPhone15,2","de-de","","","","","","","","",""],"campaign_ids":"c-1","vendor_id":"v"}"#
    );
    // Stape's "object empty, list empty" scenario sends extinfo of 16 blanks; Meta requires
    // extinfo[0] and extinfo[4], so here the event is invalid and says why.
    let out = build(
        config,
        r#"{"event_name": "purchase", "value": 3, "currency": "EUR", "anon_id": "a"}"#,
        "{}",
    );
    assert_eq!(out.status, Status::Invalid);
    assert!(out.report.has("app.extinfo_version_invalid"));
    assert!(out.report.has("app.extinfo_os_version_missing"));
}

// Stape: "[Event = AppendValue] Request is sent successfully" with originalEventDataList. Stape
// removes action_source; Meta documents it as required on every server event, so we keep it.
#[test]
fn stape_append_value_with_original_event_data() {
    let config = r#"{"pixelId": "123", "accessToken": "abc", "eventName": "AppendValue",
      "userData": {"em": "test@example.com", "ph": "16505551212"},
      "customData": {"currency": "BRL", "net_revenue": 123},
      "originalEventData": {"event_name": "Purchase", "event_time": 1747900000, "order_id": "foobar123", "event_id": "1747945830"}}"#;
    let event = format!(
        r#"{{"page_location": "https://example.com/", "user_agent": "{UA}", "event_id": "av-1"}}"#
    );
    let out = build(config, &event, "{}");
    assert!(!out.report.has("config.event_name_not_standard"));
    let e = sent(&out);
    assert_eq!(text(&e, "event_name"), r#""AppendValue""#);
    assert_eq!(
        text(&e, "original_event_data"),
        r#"{"event_name":"Purchase","event_time":1747900000,"order_id":"foobar123","event_id":"1747945830"}"#
    );
    assert_eq!(
        text(&e, "custom_data"),
        r#"{"currency":"BRL","net_revenue":123}"#
    );
    // Per event, key by key over the config.
    let per_event = event.replace(
        r#""event_id": "av-1""#,
        r#""event_id": "av-2", "original_event_data": {"order_id": "other-9"}"#,
    );
    let e = sent(&build(config, &per_event, "{}"));
    assert_eq!(text(&e, "original_event_data.order_id"), r#""other-9""#);
    assert_eq!(text(&e, "original_event_data.event_name"), r#""Purchase""#);
    // The config's original event data is for AppendValue only.
    let other = config.replace(r#""eventName": "AppendValue","#, r#""eventName": "Lead","#);
    assert!(sent(&build(&other, &event, "{}"))
        .get("original_event_data")
        .is_none());
}

// Stape: "[App Secret Proof] App Secret Proof is handled and sent successfully", per pixel.
#[test]
fn stape_precomputed_appsecret_proof_per_pixel() {
    let p1 = "a".repeat(64);
    let p2 = "B".repeat(64);
    let config = format!(
        r#"{{"pixelId": [{{"pixelId": "111"}}, {{"pixelId": "222", "accessToken": "tok2", "appsecretProof": "{p2}"}},
          {{"pixelId": "333", "accessToken": "tok3"}}],
          "accessToken": "tok1", "appsecretProof": "{p1}", "appSecret": "s3cret"}}"#
    );
    let event = format!(
        r#"{{"event_name": "page_view", "page_location": "https://example.com/", "user_agent": "{UA}", "ip_override": "1.2.3.4"}}"#
    );
    let out = build(&config, &event, "{}");
    assert_eq!(out.status, Status::Ready, "{:?}", out.report);
    let proof = |i: usize| {
        parse(&out.requests[i].body).ok().and_then(|b| {
            b.get("appsecret_proof")
                .and_then(Json::as_str)
                .map(str::to_string)
        })
    };
    assert_eq!(proof(0), Some(p1.clone()));
    assert_eq!(proof(1), Some(p2.to_ascii_lowercase()));
    // No precomputed proof for tok3: computed from the app secret.
    assert_eq!(
        proof(2),
        Some(omni_meta_capi::hash::hmac_sha256_hex(b"s3cret", b"tok3"))
    );
    // Not 64 hex digits: a config error that does not show the value.
    let bad = config.replace(&p2, "not-a-proof-SECRETISH");
    let out = build(&bad, &event, "{}");
    assert_eq!(out.status, Status::Invalid);
    let err = out
        .report
        .errors
        .iter()
        .find(|e| e.field == "pixelId[1].appsecretProof")
        .expect("error");
    assert!(!err.message.contains("SECRETISH"));
}

// Stape: items from `ecommerce.items` (webhooks), value from the UA keys, gtm4wp event names.
#[test]
fn stape_ecommerce_items_ua_value_and_gtm4wp_names() {
    let event = format!(
        r#"{{"event_name": "gtm4wp.orderCompletedEEC", "page_location": "https://example.com/", "user_agent": "{UA}",
        "ip_override": "1.2.3.4", "currency": "EUR", "x-ga-mp1-tr": "42.50",
        "ecommerce": {{"items": [{{"item_id": "W-1", "quantity": 3, "price": 14.16}}]}}}}"#
    );
    let e = sent(&build(META_CONFIG, &event, "{}"));
    assert_eq!(text(&e, "event_name"), r#""Purchase""#);
    assert_eq!(
        text(&e, "custom_data"),
        r#"{"value":42.50,"currency":"EUR","content_ids":["W-1"],"contents":[{"id":"W-1","quantity":3,"item_price":14.16}],"content_type":"product","num_items":3}"#
    );
    for (name, meta) in [
        ("gtm4wp.addProductToCartEEC", "AddToCart"),
        ("gtm4wp.productClickEEC", "ViewContent"),
        ("gtm4wp.checkoutOptionEEC", "InitiateCheckout"),
        ("gtm4wp.checkoutStepEEC", "AddPaymentInfo"),
    ] {
        let e = sent(&build(
            META_CONFIG,
            &event.replace("gtm4wp.orderCompletedEEC", name),
            "{}",
        ));
        assert_eq!(text(&e, "event_name"), format!(r#""{meta}""#));
    }
    // `value` beats the UA keys; x-ga-mp1-ev beats x-ga-mp1-tr.
    let both = event.replace(
        r#""x-ga-mp1-tr": "42.50""#,
        r#""x-ga-mp1-tr": "42.50", "x-ga-mp1-ev": "7", "value": 9"#,
    );
    assert_eq!(
        text(&sent(&build(META_CONFIG, &both, "{}")), "custom_data.value"),
        "9"
    );
}

// Stape's flat user keys.
#[test]
fn stape_flat_user_keys() {
    let event = format!(
        r#"{{"event_name": "generate_lead", "page_location": "https://example.com/", "user_agent": "{UA}",
        "FirstName": "Ann", "nameLast": "Lee", "countryCode": "DE", "db": "1990-01-02", "userId": "u-7",
        "subscriptionId": "sub-1", "leadId": "123456789012345", "anon_id": "anon-2"}}"#
    );
    let e = sent(&build(META_CONFIG, &event, "{}"));
    assert_eq!(text(&e, "user_data.fn"), format!(r#"["{}"]"#, h("ann")));
    assert_eq!(text(&e, "user_data.ln"), format!(r#"["{}"]"#, h("lee")));
    assert_eq!(text(&e, "user_data.country"), format!(r#"["{}"]"#, h("de")));
    assert_eq!(
        text(&e, "user_data.db"),
        format!(r#"["{}"]"#, h("19900102"))
    );
    assert_eq!(
        text(&e, "user_data.external_id"),
        format!(r#"["{}"]"#, h("u-7"))
    );
    assert_eq!(text(&e, "user_data.subscription_id"), r#""sub-1""#);
    assert_eq!(text(&e, "user_data.lead_id"), r#""123456789012345""#);
    assert_eq!(text(&e, "user_data.anon_id"), r#""anon-2""#);
}
