//! The server container, every route: the first byte picks the method and route, the rest is
//! the query, the credentials, cookies, forwarded addresses and the body.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::container::{Container, Incoming};

const ROUTES: [(&str, &str); 12] = [
    ("POST", "/g/collect?"),
    ("GET", "/data/g/collect?v=2&"),
    ("POST", "/event?"),
    ("GET", "/healthz?"),
    ("GET", "/metrics?"),
    ("GET", "/metrics?format=json&"),
    ("GET", "/readyz?"),
    ("GET", "/dashboard?"),
    ("GET", "/dashboard/data?"),
    ("OPTIONS", "/event?"),
    ("PUT", "/g/collect?"),
    ("GET", "/nowhere?"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (method, path) = ROUTES[usize::from(first) % ROUTES.len()];
    let text = String::from_utf8_lossy(rest);
    let (head, body) = split2(&text);
    let container = Container::new(&as_json(CONTAINER), &omni_meta_capi::json::Json::Null);
    let incoming = Incoming {
        method: method.into(),
        url: format!("https://c.example.com{path}{head}"),
        headers: vec![
            ("cookie".into(), head.to_string()),
            ("origin".into(), "https://x.com".into()),
            ("authorization".into(), head.to_string()),
            ("x-omni-signature".into(), head.to_string()),
            ("x-forwarded-for".into(), head.to_string()),
        ],
        body: body.to_string(),
        body_too_large: first & 0x80 != 0 && first & 0x40 != 0,
        remote_address: Some(head.to_string()),
    };
    for backlog in [0, u64::from(first) * 1000] {
        let handled = container.handle_at(&incoming, CLOCK, backlog);
        assert!((200..600).contains(&handled.response.status));
        reparses(&handled.to_json().to_json(), "container answer");
    }
});
