use super::*;
use crate::json::Value;

const CLOCK: Clock = Clock {
    now_ms: 1_795_875_760_000,
    entropy: [3; 16],
};

fn j(text: &str) -> Json {
    json::parse(text).expect("test JSON parses")
}

const CONFIG: &str = r#"{"tags": [{"name": "main", "pixelId": "111", "accessToken": "tok"},
    {"pixelId": "222", "accessToken": "tok2"}], "allowedOrigins": ["https://www.shop.com"],
    "eventTokens": ["test-token-0123456789"]}"#;

/// The credentials `/event` needs with `CONFIG`.
const AUTH: &[(&str, &str)] = &[("authorization", "Bearer test-token-0123456789")];

fn container(config: &str) -> Container {
    Container::new(&j(config), &Json::Null)
}

fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Incoming {
    Incoming {
        method: method.into(),
        url: url.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
        body_too_large: false,
        remote_address: Some("89.160.20.7".into()),
    }
}

fn header<'a>(r: &'a Response, name: &str) -> Vec<&'a str> {
    r.headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn code(r: &Response) -> String {
    j(&r.body)
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

const HIT: &str = "https://sgtm.shop.com/g/collect?v=2&tid=G-1&cid=555.111&en=page_view&dl=https%3A%2F%2Fwww.shop.com%2F%3Ffbclid%3DCLICK1";

#[test]
fn routes_methods_and_answers() {
    let c = container(CONFIG);
    let cases: &[(&str, &str, u16, &str)] = &[
        ("GET", "https://x.com/healthz", 200, ""),
        ("POST", "https://x.com/healthz", 405, "method_not_allowed"),
        ("GET", "https://x.com/nope", 404, "not_found"),
        ("GET", "https://x.com/event", 405, "method_not_allowed"),
        ("PUT", HIT, 405, "method_not_allowed"),
        ("GET", "https://x.com/metrics", 200, ""),
        ("OPTIONS", "https://x.com/event", 204, ""),
        (
            "OPTIONS",
            "https://x.com/metrics",
            405,
            "method_not_allowed",
        ),
        ("HEAD", "https://x.com/healthz", 200, ""),
        ("HEAD", "https://x.com/event", 405, "method_not_allowed"),
        ("GET", "https://x.com/g/collect?v=2&cid=1", 400, "no_event"),
    ];
    for (method, url, status, error_code) in cases {
        let out = c.handle(&request(method, url, &[], ""), CLOCK);
        assert_eq!(out.response.status, *status, "{method} {url}");
        if !error_code.is_empty() {
            assert_eq!(code(&out.response), *error_code, "{method} {url}");
        }
        assert_ne!(out.work, Work::Run, "{method} {url}");
    }
    let healthz = c.handle(&request("GET", "https://x.com/healthz", &[], ""), CLOCK);
    assert_eq!(healthz.response.body, "ok");
    let wrong = c.handle(&request("DELETE", "https://x.com/event", &[], ""), CLOCK);
    assert_eq!(header(&wrong.response, "allow"), vec!["POST, OPTIONS"]);
    let prefixed = c.handle(
        &request("GET", &HIT.replace("/g/", "/data/g/"), &[], ""),
        CLOCK,
    );
    assert_eq!(
        prefixed.response.status, 204,
        "any prefix before /g/collect"
    );
}

#[test]
fn a_hit_is_answered_with_cookies_and_handed_to_the_tags() {
    let c = container(CONFIG);
    let headers = [
        ("user-agent", "Mozilla/5.0 Test"),
        ("cookie", "_ga=GA1.1.5; _fbp=fb.1.1.999"),
        ("cf-connecting-ip", "81.2.69.9"),
        ("x-forwarded-for", "10.9.9.9"),
        ("origin", "https://www.shop.com"),
    ];
    let out = c.handle(&request("POST", HIT, &headers, ""), CLOCK);
    assert_eq!(out.response.status, 204);
    assert_eq!(out.work, Work::Run);
    assert_eq!(out.events.len(), 1);
    assert_eq!(
        out.events[0].get("event_name").and_then(Json::as_str),
        Some("page_view")
    );
    let cookies = header(&out.response, "set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies[0].starts_with("_fbc=fb.1.1795875760000.CLICK1;"),
        "{cookies:?}"
    );
    assert!(
        cookies[1].starts_with("_fbp=fb.1.1.999;"),
        "the visitor's fbp is kept"
    );
    assert_eq!(
        header(&out.response, "access-control-allow-origin"),
        vec!["https://www.shop.com"]
    );
    assert_eq!(
        header(&out.response, "access-control-allow-credentials"),
        vec!["true"]
    );
    // The tags get the same cookies, the client IP from the socket (a header claiming another
    // is not believed without trustProxy), and the UA.
    let ctx = RequestContext::from_json(&out.request);
    assert_eq!(ctx.cookie("_fbc"), Some("fb.1.1795875760000.CLICK1"));
    assert_eq!(ctx.cookie("_fbp"), Some("fb.1.1.999"));
    assert_eq!(ctx.cookie("_ga"), Some("GA1.1.5"));
    assert_eq!(ctx.header("x-forwarded-for"), None);
    assert_eq!(ctx.header("cf-connecting-ip"), None);
    assert_eq!(ctx.header("user-agent"), Some("Mozilla/5.0 Test"));
    assert_eq!(ctx.remote_address.as_deref(), Some("89.160.20.7"));
    // Built again by a tag from that context, the fbp and fbc are the same.
    let tag = Tag::new(&j(r#"{"pixelId": "1", "accessToken": "t"}"#));
    let later = Clock {
        now_ms: CLOCK.now_ms + 5_000,
        entropy: [9; 16],
    };
    let rebuilt = tag.build(&out.events[0], &out.request, later);
    let ud = rebuilt
        .event
        .as_ref()
        .and_then(|e| e.get("user_data"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        ud.get("fbc").and_then(Value::as_str),
        Some("fb.1.1795875760000.CLICK1")
    );
    assert_eq!(ud.get("fbp").and_then(Value::as_str), Some("fb.1.1.999"));
}

#[test]
fn a_new_visitor_gets_a_generated_fbp_that_the_tags_reuse() {
    let c = container(CONFIG);
    let out = c.handle(&request("GET", HIT, &[], ""), CLOCK);
    let ctx = RequestContext::from_json(&out.request);
    let fbp = ctx.cookie("_fbp").expect("generated fbp in the context");
    assert!(header(&out.response, "set-cookie")
        .iter()
        .any(|c| c.starts_with(&format!("_fbp={fbp};"))));
}

#[test]
fn cors_origins() {
    let c = container(CONFIG);
    let foreign = c.handle(
        &request("POST", HIT, &[("origin", "https://evil.example")], ""),
        CLOCK,
    );
    assert_eq!(
        (foreign.response.status, code(&foreign.response).as_str()),
        (403, "origin_not_allowed")
    );
    assert!(foreign.events.is_empty());
    let preflight = c.handle(
        &request("OPTIONS", HIT, &[("origin", "https://WWW.shop.com")], ""),
        CLOCK,
    );
    assert_eq!(preflight.response.status, 204);
    assert_eq!(
        header(&preflight.response, "access-control-allow-methods"),
        vec!["GET, POST, HEAD, OPTIONS"]
    );
    let none = c.handle(&request("GET", HIT, &[], ""), CLOCK);
    assert!(header(&none.response, "access-control-allow-origin").is_empty());
    let any =
        container(r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "allowedOrigins": "*"}"#);
    let out = any.handle(
        &request("GET", HIT, &[("origin", "https://a.b")], ""),
        CLOCK,
    );
    assert_eq!(
        header(&out.response, "access-control-allow-origin"),
        vec!["https://a.b"]
    );
}

#[test]
fn batches_keep_the_good_events() {
    let c = container(CONFIG);
    let body = "en=page_view\nep.x=1\nen=scroll&epn.percent=90";
    let out = c.handle(
        &request("POST", "https://x.com/g/collect?v=2&cid=1", &[], body),
        CLOCK,
    );
    assert_eq!(out.response.status, 204);
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert_eq!(out.problems, vec!["line 2: no event name (en)".to_string()]);

    let events = r#"[{"event_name": "purchase"}, 7, {"event_name": "lead"}]"#;
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, events), CLOCK);
    assert_eq!(out.response.status, 202);
    assert_eq!(
        out.response.body,
        r#"{"received":2,"eventIds":["6aa1e8fd-f79e-49dc-b504-f9515a25c846","3930409b-ee2b-4c8c-9ddc-eac86eb603d6"],"problems":["event #1 is not an object"]}"#
    );
    let wrapped = c.handle(
        &request(
            "POST",
            "https://x.com/event",
            AUTH,
            r#"{"events": [{"event_name": "a"}]}"#,
        ),
        CLOCK,
    );
    assert_eq!(wrapped.events.len(), 1);
    let one = c.handle(
        &request(
            "POST",
            "https://x.com/event",
            AUTH,
            r#"{"event_name": "a", "events": 1}"#,
        ),
        CLOCK,
    );
    assert_eq!(
        one.events.len(),
        1,
        "an event that happens to have an events key"
    );
}

#[test]
fn bad_requests_are_4xx_with_a_message() {
    let c = container(CONFIG);
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        (
            "POST",
            "https://x.com/event",
            "{not json",
            400,
            "invalid_body",
        ),
        ("POST", "https://x.com/event", "42", 400, "invalid_body"),
        ("POST", "https://x.com/event", "[]", 400, "no_event"),
        (
            "POST",
            "https://x.com/event",
            r#"{"events": "x"}"#,
            400,
            "invalid_body",
        ),
        (
            "POST",
            "https://x.com/g/collect?v=2",
            "\n\n",
            400,
            "no_event",
        ),
        (
            "POST",
            "https://x.com/g/collect?en=%FF",
            "",
            400,
            "no_event",
        ),
    ];
    for (method, url, body, status, error_code) in cases {
        let out = c.handle(&request(method, url, AUTH, body), CLOCK);
        assert_eq!(
            (out.response.status, code(&out.response)),
            (*status, error_code.to_string()),
            "{url} {body}"
        );
        assert!(out.events.is_empty());
    }
    let mut big = request("POST", HIT, &[], "");
    big.body_too_large = true;
    let out = c.handle(&big, CLOCK);
    assert_eq!(
        (out.response.status, code(&out.response).as_str()),
        (413, "body_too_large")
    );
    let broken = container(r#"{"tags": [{"pixelId": "1"}]}"#);
    let out = broken.handle(&request("GET", HIT, &[], ""), CLOCK);
    assert_eq!(
        (out.response.status, code(&out.response).as_str()),
        (503, "config_invalid")
    );
    assert_eq!(
        broken
            .handle(&request("GET", "https://x.com/healthz", &[], ""), CLOCK)
            .response
            .status,
        200
    );
}

#[test]
fn metrics_route_and_its_token() {
    let c = Container::new(&j(CONFIG), &j(r#"{"METRICS_TOKEN": "m-secret"}"#));
    let denied = c.handle(&request("GET", "https://x.com/metrics", &[], ""), CLOCK);
    assert_eq!(denied.response.status, 401);
    let auth = [("authorization", "Bearer m-secret")];
    let text = c.handle(&request("GET", "https://x.com/metrics", &auth, ""), CLOCK);
    assert_eq!(text.work, Work::Metrics { json: false });
    let json = c.handle(
        &request("GET", "https://x.com/metrics?format=json", &auth, ""),
        CLOCK,
    );
    assert_eq!(json.work, Work::Metrics { json: true });
}

#[test]
fn config_tags_secrets_and_errors() {
    let c = Container::new(
        &j(
            r#"{"tags": [{"name": "a", "pixelId": "1", "identity": {"enabled": true, "endpoint": "https://id.x.com/api/v1"}},
                        {"pixelId": [{"pixelId": "7", "accessToken": "x"}, {"pixelId": "8", "accessToken": "y"}]}],
              "maxBodyBytes": 2048, "batchWindowMs": 250}"#,
        ),
        &j(
            r#"{"META_ACCESS_TOKEN": "env-token", "IDENTITY_TOKEN": "env-id", "ALLOWED_ORIGINS": "https://a.com, https://b.com/"}"#,
        ),
    );
    assert!(c.report().is_valid(), "{:?}", c.report());
    let names: Vec<&str> = c.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["a", "7+8"]);
    assert_eq!(
        c.tags[0].config.get("accessToken").and_then(Json::as_str),
        Some("env-token")
    );
    assert_eq!(
        c.tags[0]
            .config
            .get("identity")
            .and_then(|i| i.get("token"))
            .and_then(Json::as_str),
        Some("env-id")
    );
    assert_eq!(
        c.tags[0].config.get("name"),
        None,
        "name is the container's, not the tag's"
    );
    assert_eq!((c.max_body_bytes, c.batch_window_ms), (2048, 250));
    assert_eq!(
        c.allowed_origins,
        Origins::List(vec!["https://a.com".into(), "https://b.com".into()])
    );

    let single = container(
        r#"{"pixelId": "5", "accessToken": "t", "allowedOrigins": "x", "eventTokens": "a-long-enough-token-1"}"#,
    );
    assert_eq!(single.tags.len(), 1);
    assert_eq!(single.tags[0].name, "5");
    assert_eq!(
        single.report().pairs(),
        vec![("config.invalid_value", "allowedOrigins")],
        "a tag config with container keys beside: both read"
    );
    assert_eq!(single.tags[0].config.get("eventTokens"), None);
    assert_eq!(
        single.auth.tokens,
        vec!["a-long-enough-token-1".to_string()]
    );

    let cases: &[(&str, &[(&str, &str)])] = &[
        ("{}", &[("config.missing", "tags")]),
        ("[]", &[("config.invalid_type", "config")]),
        (r#"{"tags": {}}"#, &[("config.invalid_type", "tags")]),
        (r#"{"tags": [1]}"#, &[("config.invalid_type", "tags[0]")]),
        (
            r#"{"tags": [{"name": "x", "pixelId": "1", "accessToken": "t"}, {"name": "x", "pixelId": "2", "accessToken": "t"}]}"#,
            &[("config.invalid_value", "tags[1].name")],
        ),
        (
            r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "allowedOrigins": ["https://ok.com", "ftp://x", "https://a.com/path"]}"#,
            &[
                ("config.invalid_value", "allowedOrigins"),
                ("config.invalid_value", "allowedOrigins"),
            ],
        ),
        (
            r#"{"tags": [{"pixelId": "1"}]}"#,
            &[("config.missing", "tags[0].accessToken")],
        ),
        (
            r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "maxBodyBytes": 1, "colour": 1}"#,
            &[
                ("config.invalid_value", "maxBodyBytes"),
                ("config.unknown_key", "colour"),
            ],
        ),
    ];
    for (config, want) in cases {
        assert_eq!(
            container(config).report().pairs(),
            want.to_vec(),
            "{config}"
        );
    }
}

#[test]
fn handled_to_json_shape() {
    let c = container(CONFIG);
    let out = c.handle(
        &request(
            "POST",
            "https://x.com/event",
            AUTH,
            r#"{"event_name": "a"}"#,
        ),
        CLOCK,
    );
    let v = out.to_json();
    assert_eq!(v.get("work").and_then(Json::as_str), Some("run"));
    let status = v
        .get("response")
        .and_then(|r| r.get("status"))
        .map(Json::to_json);
    assert_eq!(status.as_deref(), Some("202"));
    let headers = v
        .get("response")
        .and_then(|r| r.get("headers"))
        .and_then(Json::as_array)
        .unwrap_or_default();
    assert!(headers
        .iter()
        .all(|h| h.as_array().is_some_and(|p| p.len() == 2)));
}

#[test]
fn dashboard_behind_basic_auth() {
    let off = container(CONFIG);
    let out = off.handle(&request("GET", "https://x.com/dashboard", &[], ""), CLOCK);
    assert_eq!(
        (out.response.status, code(&out.response).as_str()),
        (404, "dashboard_disabled")
    );
    let c = Container::new(&j(CONFIG), &j(r#"{"DASHBOARD_TOKEN": "dash-secret"}"#));
    let unauth = c.handle(&request("GET", "https://x.com/dashboard", &[], ""), CLOCK);
    assert_eq!(unauth.response.status, 401);
    assert_eq!(
        header(&unauth.response, "www-authenticate"),
        vec!["Basic realm=\"omni-meta-capi dashboard\", charset=\"UTF-8\""]
    );
    // "admin:dash-secret" and "admin:wrong"
    let good = [("authorization", "Basic YWRtaW46ZGFzaC1zZWNyZXQ=")];
    let bad = [("authorization", "Basic YWRtaW46d3Jvbmc=")];
    assert_eq!(
        c.handle(&request("GET", "https://x.com/dashboard", &bad, ""), CLOCK)
            .response
            .status,
        401
    );
    let page = c.handle(&request("GET", "https://x.com/dashboard", &good, ""), CLOCK);
    assert_eq!(page.work, Work::Dashboard { data: false });
    assert_eq!(
        header(&page.response, "content-type"),
        vec!["text/html; charset=utf-8"]
    );
    assert_eq!(header(&page.response, "x-frame-options"), vec!["DENY"]);
    let data = c.handle(
        &request("GET", "https://x.com/dashboard/data", &good, ""),
        CLOCK,
    );
    assert_eq!(data.work, Work::Dashboard { data: true });
    assert_eq!(
        c.handle(
            &request("POST", "https://x.com/dashboard", &good, ""),
            CLOCK
        )
        .response
        .status,
        405
    );
}

#[test]
fn basic_auth_and_secrets() {
    assert_eq!(
        basic_password("Basic YTpiOmM=").as_deref(),
        Some("b:c"),
        "the password may hold ':'"
    );
    assert_eq!(basic_password("Bearer x"), None);
    assert!(secret_matches("abc", "abc"));
    assert!(
        !secret_matches("abc", "abd")
            && !secret_matches("ab", "abc")
            && !secret_matches("abcd", "abc")
    );
}

fn answer(status: u16, body: &str) -> Option<Answer> {
    Some(Answer {
        attempt: crate::dispatch::Attempt::Response {
            status,
            body: body.into(),
            retry_after: None,
        },
        date: None,
    })
}

#[test]
fn readyz_probes_judges_and_caches() {
    let c = container(
        r#"{"tags": [{"name": "a", "pixelId": "1", "accessToken": "t1",
                      "identity": {"enabled": true, "endpoint": "http://127.0.0.1:7/api/v1", "token": "it"}},
                     {"name": "b", "pixelId": "2", "accessToken": "t2"}], "readyCacheMs": 1000}"#,
    );
    let routed = c.handle(&request("GET", "https://x.com/readyz", &[], ""), CLOCK);
    assert_eq!(routed.work, Work::Ready);
    let checks = c.ready_checks();
    let names: Vec<(usize, &str)> = checks.iter().map(|(i, c)| (*i, c.name.as_str())).collect();
    assert_eq!(
        names,
        vec![
            (0, "token (pixel 1)"),
            (0, "identity"),
            (1, "token (pixel 2)")
        ]
    );
    assert_eq!(c.ready_cached(CLOCK.now_ms), None);
    let ok_pixel = |id: &str| answer(200, &format!(r#"{{"id": "{id}", "name": "P"}}"#));
    let missing = r#"{"success": false, "error": {"code": "MISSING_IDENTIFIER"}}"#;
    let healthy = c.ready_response(
        &[ok_pixel("1"), answer(400, missing), ok_pixel("2")],
        CLOCK.now_ms,
        true,
    );
    assert_eq!(healthy.status, 200, "{}", healthy.body);
    assert!(healthy.body.starts_with(r#"{"ready":true,"checkedAt":"2026-11-28T14:22:40.000Z","tags":[{"name":"a","ready":true,"#), "{}", healthy.body);
    // Cached for readyCacheMs: the same answer, no probe.
    assert_eq!(c.ready_cached(CLOCK.now_ms + 999), Some(healthy.clone()));
    assert_eq!(c.ready_cached(CLOCK.now_ms + 1000), None);
    let expired = r#"{"error": {"code": 190, "error_subcode": 463, "message": "expired"}}"#;
    let sick = c.ready_response(
        &[ok_pixel("1"), answer(401, "{}"), answer(400, expired)],
        CLOCK.now_ms + 2000,
        true,
    );
    assert_eq!(sick.status, 503);
    let body = j(&sick.body);
    let tags = body
        .get("tags")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let ready: Vec<bool> = tags
        .iter()
        .map(|t| t.get("ready") == Some(&Json::Bool(true)))
        .collect();
    assert_eq!(ready, vec![false, false]);
    assert!(
        sick.body.contains("the identity service refuses the token")
            && sick.body.contains("the access token has expired")
    );
    assert!(
        !sick.body.contains("Bearer") && !sick.body.contains("\"t1\""),
        "no token in the answer"
    );
    let broken = container(r#"{"tags": [{"pixelId": "1"}]}"#);
    assert_eq!(broken.ready_cached(0).map(|r| r.status), Some(503));
}

#[test]
fn cookies_keep_the_site_domain_only_when_the_container_is_inside_it() {
    let c = container(CONFIG);
    let domain_of = |host: &str| {
        let out = c.handle(&request("GET", HIT, &[("host", host)], ""), CLOCK);
        let cookies = header(&out.response, "set-cookie").join(" | ");
        cookies
            .split("; ")
            .find_map(|p| p.strip_prefix("Domain="))
            .map(str::to_string)
    };
    assert_eq!(
        domain_of("sgtm.shop.com").as_deref(),
        Some("shop.com"),
        "a subdomain of the site: first-party for the whole site"
    );
    assert_eq!(domain_of("SHOP.com:443").as_deref(), Some("shop.com"));
    assert_eq!(
        domain_of("omni.workers.dev"),
        None,
        "elsewhere: host-only, or the browser would drop it"
    );
    assert_eq!(domain_of("127.0.0.1:8080"), None);
    assert_eq!(domain_of("notshop.com"), None);
    assert!(in_domain("a.b.shop.com", "shop.com") && in_domain("shop.com", ".shop.com"));
    assert!(!in_domain("xshop.com", "shop.com") && !in_domain("com", "shop.com"));
}

/// The cookie domain comes from the Public Suffix List (a shop on a platform's domain keeps
/// its own host), and a container whose tag config is broken sets no cookie at all.
#[test]
fn cookie_domains_follow_the_public_suffix_list_and_a_broken_tag_sets_none() {
    let hit = "https://x/g/collect?v=2&tid=G-1&cid=555.111&en=page_view&dl=https%3A%2F%2Fmyshop.myshopify.com%2F%3Ffbclid%3DCLICK1";
    let c = container(r#"{"tags": [{"pixelId": "111", "accessToken": "tok"}]}"#);
    let out = c.handle(
        &request("GET", hit, &[("host", "myshop.myshopify.com")], ""),
        CLOCK,
    );
    let cookies = header(&out.response, "set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("; Domain=myshop.myshopify.com;")
                || c.ends_with("; Domain=myshop.myshopify.com")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("_fbc=fb.2.")),
        "{cookies:?}"
    );
    let broken = container(r#"{"tags": [{"pixelId": 12.5, "accessToken": "tok"}]}"#);
    let out = broken.handle(
        &request("GET", hit, &[("host", "myshop.myshopify.com")], ""),
        CLOCK,
    );
    assert!(header(&out.response, "set-cookie").is_empty());
}

#[test]
fn a_container_from_environment_variables_alone() {
    let env = j(
        r#"{"META_PIXEL_ID": "777", "META_ACCESS_TOKEN": "env-token", "IDENTITY_ENDPOINT": "https://id.example.com/api/v1",
        "IDENTITY_TOKEN": "id-token", "ALLOWED_ORIGINS": "https://www.shop.com"}"#,
    );
    let c = Container::new(&Json::Null, &env);
    assert!(c.report().is_valid(), "{:?}", c.report());
    assert_eq!(c.tags.len(), 1);
    assert_eq!(
        c.tags[0].config.to_json(),
        r#"{"pixelId":"777","identity":{"enabled":true,"endpoint":"https://id.example.com/api/v1","token":"id-token"},"accessToken":"env-token"}"#
    );
    assert_eq!(
        c.allowed_origins,
        Origins::List(vec!["https://www.shop.com".into()])
    );
    let none = Container::new(&Json::Null, &Json::Null);
    assert_eq!(
        none.report().pairs(),
        vec![("config.invalid_type", "config")]
    );
    // A config that says identity is off stays off; one with its own endpoint keeps it.
    let off = Container::new(
        &j(r#"{"pixelId": "1", "accessToken": "t", "identity": {"enabled": false}}"#),
        &env,
    );
    assert_eq!(
        off.tags[0]
            .config
            .get("identity")
            .map(Json::to_json)
            .as_deref(),
        Some(r#"{"enabled":false,"endpoint":"https://id.example.com/api/v1","token":"id-token"}"#)
    );
}

const PURCHASE: &str = r#"{"event_name": "purchase", "value": 999999, "currency": "USD",
    "ip_override": "8.8.8.8", "user_agent": "Forged/1.0", "page_location": "https://www.shop.com/"}"#;

#[test]
fn event_needs_a_token_or_a_signature() {
    let c = container(CONFIG);
    let post = |headers: &[(&str, &str)], body: &str| {
        c.handle(
            &request("POST", "https://x.com/event", headers, body),
            CLOCK,
        )
    };
    let none = post(&[], PURCHASE);
    assert_eq!(
        (none.response.status, code(&none.response)),
        (401, "unauthorized".into())
    );
    assert_eq!(none.work, Work::None, "nothing is sent");
    assert_eq!(header(&none.response, "www-authenticate"), vec!["Bearer"]);
    let wrong = post(
        &[("authorization", "Bearer test-token-0123456788")],
        PURCHASE,
    );
    assert_eq!(wrong.response.status, 401);
    let lower = post(
        &[("authorization", "bearer test-token-0123456789")],
        PURCHASE,
    );
    assert_eq!((lower.response.status, lower.work), (202, Work::Run));
    // An authenticated backend may relay its visitor's IP and user agent.
    assert_eq!(
        lower.events[0].get("ip_override").and_then(Json::as_str),
        Some("8.8.8.8")
    );

    // Closed without credentials configured; open only when the config says so, with a warning.
    let closed = container(r#"{"tags": [{"pixelId": "1", "accessToken": "t"}]}"#);
    let out = closed.handle(
        &request("POST", "https://x.com/event", AUTH, PURCHASE),
        CLOCK,
    );
    assert_eq!(out.response.status, 401);
    assert!(
        out.response.body.contains("eventTokens"),
        "says how: {}",
        out.response.body
    );
    let open =
        container(r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "eventAuth": "none"}"#);
    assert_eq!(open.report().warnings[0].code, "config.event_auth_none");
    let out = open.handle(
        &request("POST", "https://x.com/event", &[], PURCHASE),
        CLOCK,
    );
    assert_eq!(out.response.status, 202);
    // ... but an anonymous caller cannot say who the visitor is.
    assert_eq!(out.events[0].get("ip_override"), None);
    assert_eq!(out.events[0].get("user_agent"), None);

    // Tokens and the signing secret from the environment, added to the config's.
    let env = j(
        r#"{"EVENT_TOKENS": "env-token-aaaaaaaaaa, env-token-bbbbbbbbbb", "EVENT_SIGNING_SECRET": "whsec-1"}"#,
    );
    let c = Container::new(&j(CONFIG), &env);
    assert_eq!(c.auth.tokens.len(), 3);
    let t = CLOCK.now_ms / 1000;
    let v1 = crate::hash::hmac_sha256_hex(b"whsec-1", format!("{t}.{PURCHASE}").as_bytes());
    let sig = format!("t={t},v1={v1}");
    let signed = || {
        let headers = [("x-omni-signature", sig.as_str())];
        let out = c.handle(
            &request("POST", "https://x.com/event", &headers, PURCHASE),
            CLOCK,
        );
        out.response.status
    };
    assert_eq!(signed(), 202);
    assert_eq!(signed(), 401, "the same signature again: a replay");
}

#[test]
fn browser_hits_never_set_the_ip_or_user_agent() {
    let c = container(CONFIG);
    let hit = format!(
        "{HIT}&ep.ip_override=8.8.8.8&ep.user_agent=Forged&ep.x-fb-ud-client_ip_address=9.9.9.9"
    );
    let out = c.handle(
        &request("GET", &hit, &[("x-forwarded-for", "8.8.4.4")], ""),
        CLOCK,
    );
    assert_eq!(out.response.status, 204);
    for key in ["ip_override", "user_agent", "x-fb-ud-client_ip_address"] {
        assert_eq!(out.events[0].get(key), None, "{key}");
    }
    let ctx = RequestContext::from_json(&out.request);
    assert_eq!(
        ctx.remote_address.as_deref(),
        Some("89.160.20.7"),
        "the socket, not the header"
    );
}

#[test]
fn trust_proxy_reads_the_address_the_proxy_saw() {
    let one = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"trustProxy\": true, \"allowedOrigins\"",
    ));
    let xff = [("x-forwarded-for", "1.1.1.1, 81.2.69.9")];
    let out = one.handle(&request("GET", HIT, &xff, ""), CLOCK);
    let ctx = RequestContext::from_json(&out.request);
    assert_eq!(
        ctx.remote_address.as_deref(),
        Some("81.2.69.9"),
        "the right-most: what our proxy appended"
    );
    let two = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"trustProxy\": 2, \"allowedOrigins\"",
    ));
    let out = two.handle(&request("GET", HIT, &xff, ""), CLOCK);
    let ctx = RequestContext::from_json(&out.request);
    assert_eq!(ctx.remote_address.as_deref(), Some("1.1.1.1"));
}

#[test]
fn every_event_gets_its_final_id_and_time_at_ingestion() {
    let c = container(CONFIG);
    let body = r#"[{"event_name": "a"}, {"event_name": "b", "event_id": "order-7", "event_time": 1795875000}]"#;
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, body), CLOCK);
    let id0 = out.events[0]
        .get("event_id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    assert_eq!(id0.len(), 36, "a UUID: {id0}");
    assert_eq!(
        out.events[0].get("event_time").map(Json::to_json),
        Some("1795875760".into())
    );
    assert_eq!(
        out.events[1].get("event_id").and_then(Json::as_str),
        Some("order-7")
    );
    assert_eq!(
        out.events[1].get("event_time").map(Json::to_json),
        Some("1795875000".into())
    );
    assert_eq!(
        out.ids,
        vec![(id0.clone(), "a".into()), ("order-7".into(), "b".into())]
    );
    // Built by a tag later, the event keeps them.
    let tag = Tag::new(&j(r#"{"pixelId": "1", "accessToken": "t"}"#));
    let later = Clock {
        now_ms: CLOCK.now_ms + 3_600_000,
        entropy: [1; 16],
    };
    let built = tag.build_with(&out.events[0], &out.request, later, None, None);
    let event = built.event.unwrap_or(Value::Null);
    assert_eq!(
        event.get("event_id").and_then(Value::as_str),
        Some(id0.as_str())
    );
    assert_eq!(
        event.get("event_time").map(Value::to_json),
        Some("1795875760".into())
    );
}

#[test]
fn rate_limits_per_client_in_events() {
    let c = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"rateLimit\": {\"perMinute\": 60, \"burst\": 3, \"backend\": {\"perMinute\": 60, \"burst\": 5}}, \"allowedOrigins\"",
    ));
    let from = |ip: &str| {
        let mut r = request("GET", HIT, &[], "");
        r.remote_address = Some(ip.into());
        c.handle(&r, CLOCK)
    };
    for _ in 0..3 {
        assert_eq!(from("89.160.20.1").response.status, 204);
    }
    let limited = from("89.160.20.1").response;
    assert_eq!(
        (limited.status, code(&limited)),
        (429, "rate_limited".into())
    );
    assert_eq!(header(&limited, "retry-after"), vec!["1"]);
    assert_eq!(
        from("89.160.20.2").response.status,
        204,
        "another visitor is not starved"
    );
    // A backend's POST costs one token per event.
    let six: String = format!("[{}]", [r#"{"event_name":"x"}"#; 6].join(","));
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, &six), CLOCK);
    assert_eq!(
        out.response.status, 202,
        "more than the burst passes on a full bucket"
    );
    let out = c.handle(
        &request("POST", "https://x.com/event", AUTH, r#"{"event_name":"x"}"#),
        CLOCK,
    );
    assert_eq!(out.response.status, 429);
    let off = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"rateLimit\": false, \"allowedOrigins\"",
    ));
    assert!((0..300).all(|_| off
        .handle(&request("GET", HIT, &[], ""), CLOCK)
        .response
        .status
        == 204));
}

#[test]
fn backpressure_past_the_backlog_the_host_reports() {
    let c = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"maxInFlight\": 10, \"allowedOrigins\"",
    ));
    assert_eq!(
        c.handle_at(&request("GET", HIT, &[], ""), CLOCK, 9)
            .response
            .status,
        204
    );
    let full = c
        .handle_at(&request("GET", HIT, &[], ""), CLOCK, 10)
        .response;
    assert_eq!((full.status, code(&full)), (503, "overloaded".into()));
    assert_eq!(header(&full, "retry-after"), vec!["5"]);
    let queued = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"queue\": {\"path\": \"q.db\", \"maxEvents\": 100}, \"allowedOrigins\"",
    ));
    assert_eq!(
        queued
            .handle_at(&request("GET", HIT, &[], ""), CLOCK, 50)
            .response
            .status,
        204
    );
    assert_eq!(
        queued
            .handle_at(&request("GET", HIT, &[], ""), CLOCK, 100)
            .response
            .status,
        503
    );
}

#[test]
fn admin_routes_never_get_cors_headers() {
    let c = container(&CONFIG.replace(
        "\"allowedOrigins\": [\"https://www.shop.com\"]",
        "\"allowedOrigins\": \"*\"",
    ));
    for path in ["/metrics", "/readyz", "/dashboard", "/healthz"] {
        let url = format!("https://x.com{path}");
        let out = c.handle(
            &request("GET", &url, &[("origin", "https://evil.example")], ""),
            CLOCK,
        );
        assert!(
            out.response
                .headers
                .iter()
                .all(|(k, _)| !k.starts_with("access-control")),
            "{path}: {:?}",
            out.response.headers
        );
    }
}

#[test]
fn metrics_token_any_scheme_case() {
    let c = container(&CONFIG.replace(
        "\"allowedOrigins\"",
        "\"metricsToken\": \"m-token-123456\", \"allowedOrigins\"",
    ));
    let get = |h: &[(&str, &str)]| {
        c.handle(&request("GET", "https://x.com/metrics", h, ""), CLOCK)
            .response
            .status
    };
    assert_eq!(get(&[]), 401);
    assert_eq!(get(&[("authorization", "Bearer m-token-12345")]), 401);
    assert_eq!(get(&[("authorization", "bearer m-token-123456")]), 200);
}

#[test]
fn the_request_context_says_who_vouches_for_the_events() {
    let trust = |out: &Handled| {
        RequestContext::from_json(&out.request)
            .trust
            .map(|t| t.into_owned())
    };
    let c = container(CONFIG);
    let hit = c.handle(&request("GET", HIT, &[], ""), CLOCK);
    assert_eq!(trust(&hit).as_deref(), Some("browser"));
    let backend = c.handle(
        &request("POST", "https://x.com/event", AUTH, PURCHASE),
        CLOCK,
    );
    assert_eq!(trust(&backend).as_deref(), Some("server"));
    let open =
        container(r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "eventAuth": "none"}"#);
    let anonymous = open.handle(
        &request("POST", "https://x.com/event", &[], PURCHASE),
        CLOCK,
    );
    assert_eq!(
        trust(&anonymous).as_deref(),
        Some("browser"),
        "nobody vouches for it"
    );
    let ctx = RequestContext::from_json(&anonymous.request);
    assert_eq!(crate::identity::source_trust(&ctx), "browser");
}

#[test]
fn the_request_context_never_carries_the_callers_credentials() {
    let c = container(CONFIG);
    let headers = [
        ("authorization", "Bearer test-token-0123456789"),
        ("x-omni-signature", "t=1,v1=abc"),
        ("user-agent", "UA-kept"),
    ];
    let out = c.handle(
        &request("POST", "https://x.com/event", &headers, PURCHASE),
        CLOCK,
    );
    let text = out.request.to_json();
    assert!(text.contains("UA-kept"), "{text}");
    assert!(!text.contains("test-token-0123456789"), "{text}");
    assert!(!text.contains("x-omni-signature"), "{text}");
}

#[test]
fn events_too_large_for_the_hosts_queue_are_refused_at_ingestion() {
    let mut c = container(CONFIG);
    let big = format!(
        r#"{{"event_name": "purchase", "event_id": "big-1", "note": "{}"}}"#,
        "x".repeat(3_000)
    );
    // Without a queue limit (Node's outbox, memory) the event is taken.
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, &big), CLOCK);
    assert_eq!(out.response.status, 202);

    c.queue_message_bytes = Some(3_000);
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, &big), CLOCK);
    assert_eq!(out.response.status, 413, "{}", out.response.body);
    assert_eq!(code(&out.response), "event_too_large");
    assert!(out.events.is_empty());
    let problems = j(&out.response.body).get("problems").cloned();
    let text = problems.map(|p| p.to_json()).unwrap_or_default();
    assert!(text.contains(r#"with event_id \"big-1\""#), "{text}");
    assert!(text.contains("the queue takes at most 3000"), "{text}");

    // In a batch, the event that fits is taken and the other reported.
    let batch = format!(r#"[{{"event_name": "lead"}}, {big}]"#);
    let out = c.handle(&request("POST", "https://x.com/event", AUTH, &batch), CLOCK);
    assert_eq!(out.response.status, 202, "{}", out.response.body);
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].get("event_name"), Some(&Json::from("lead")));
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(out.problems[0].contains("big-1"), "{:?}", out.problems);
}
