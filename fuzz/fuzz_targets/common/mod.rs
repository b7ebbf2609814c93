//! What the fuzz targets share: a fixed clock, fixed configs, and the invariants every output
//! must keep (it re-parses as JSON; no panic reaches the host, which libFuzzer checks itself).
#![allow(dead_code)]

use omni_meta_capi::json::{self, Json};
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::Tag;

pub const CLOCK: Clock = Clock {
    now_ms: 1_764_331_200_000,
    entropy: [7; 16],
};
// Event Enhancement on and cookies not extended: the `_gtmeec` cookie of a fuzzed request is read.
pub const CONFIG: &str = r#"{"pixelId":"123","accessToken":"tok","logLevel":"DEBUG","eventEnhancement":true,"cookies":{"extend":false}}"#;
pub const MULTI_PIXEL: &str = r#"{"pixelId":[{"pixelId":"111","accessToken":"t1"},{"pixelId":"222","accessToken":"t2"}],"sendPii":false,"ipAnonymization":"truncate"}"#;
pub const IDENTITY_CONFIG: &str = r#"{"pixelId":"123","accessToken":"tok","identity":{"enabled":true,
    "endpoint":"https://id.example.com/api/v1","token":"id","useJournal":true,"cacheTtlMs":1000}}"#;
pub const EVENT: &str = r#"{"event_name":"page_view","client_id":"c","page_location":"https://s.com/",
    "user_agent":"UA"}"#;
pub const CONTAINER: &str = r#"{"tags": [{"pixelId": "1", "accessToken": "t"}], "allowedOrigins": "*",
    "eventTokens": ["fuzz-token-0123456789"], "eventSigningSecret": "s", "trustProxy": 2,
    "rateLimit": {"perMinute": 5, "burst": 2}, "metricsToken": "m", "dashboard": {"user": "u", "password": "p"}}"#;

pub fn tag(config: &str) -> Tag {
    Tag::new(&json::parse(config).expect("fixed config parses"))
}

/// Text that must be JSON (what goes back to the host or to Meta).
pub fn reparses(text: &str, what: &str) {
    if let Err(e) = json::parse(text) {
        panic!("{what}: does not re-parse ({}): {text}", e.describe());
    }
}

/// A build's result: JSON (as a value and as the wire's lines), no token in a URL, and bodies
/// that are JSON.
pub fn check_build(out: &omni_meta_capi::tag::BuildOutput, what: &str) {
    reparses(&out.to_json().to_json(), what);
    for line in out.to_wire().split('\n') {
        reparses(line, what);
    }
    for r in &out.requests {
        assert!(
            !r.url.contains("access_token") && !r.url.contains('?'),
            "{what}: {}",
            r.url
        );
        reparses(&r.body, what);
    }
}

/// The input split in two at the first NUL (the second part empty when there is none).
pub fn split2(text: &str) -> (&str, &str) {
    text.split_once('\0').unwrap_or((text, ""))
}

pub fn as_json(text: &str) -> Json {
    json::parse(text).unwrap_or(Json::Null)
}
