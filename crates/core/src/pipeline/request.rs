//! The HTTP request Meta receives: `POST {graphBaseUrl}/{version}/{pixelId}/events` with a JSON
//! body. The access token (and `appsecret_proof`) travel in the body, never in the URL, so no
//! proxy or access log ever records them.
use crate::hash::hmac_sha256_hex;
use crate::json::Value;
use crate::model::config::{Pixel, TagConfig};
pub use crate::model::http::{HttpRequest, Outgoing};

/// Sent when the config names no partner agent, so Meta can attribute the integration.
pub const DEFAULT_PARTNER_AGENT: &str = concat!("omni-meta-capi-", env!("CARGO_PKG_VERSION"));

/// One request per pixel, each carrying all `events`.
pub fn build_requests(
    config: &TagConfig,
    events: &[&Value<'_>],
    test_event_code: Option<&str>,
) -> Vec<HttpRequest> {
    // The `data` array is written once, straight into text (no body tree), into room for a
    // usual event (a growing string would be copied a few times on the way) and the fields
    // after it; the last pixel's body is that text, the others copy it.
    // (Capped: a large batch grows its string as usual, without reserving megabytes up front.)
    let room = EVENT_BYTES.saturating_mul(events.len()).min(64 * 1024) + BODY_TAIL_BYTES;
    let mut data = String::with_capacity(room);
    data.push_str("{\"data\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        event.write(&mut data);
    }
    data.push(']');
    let mut requests = Vec::with_capacity(config.pixels.len());
    if let Some((last, others)) = config.pixels.split_last() {
        for (index, pixel) in others.iter().enumerate() {
            let mut body = String::with_capacity(data.len() + BODY_TAIL_BYTES);
            body.push_str(&data);
            requests.push(one(config, index, pixel, body, test_event_code));
        }
        requests.push(one(config, others.len(), last, data, test_event_code));
    }
    requests
}

/// Room for one usual event's JSON (a Purchase with five items is ~2 KB).
const EVENT_BYTES: usize = 3 * 1024;

/// Room for the fields after `data` (test code, partner agent, token, proof).
const BODY_TAIL_BYTES: usize = 512;

/// Meta's request headers (the same for every request).
const JSON_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("accept", "application/json"),
];

/// One pixel's request: `body` holds the `data` array; the fields after it are added here.
fn one(
    config: &TagConfig,
    index: usize,
    pixel: &Pixel,
    mut body: String,
    test_event_code: Option<&str>,
) -> HttpRequest {
    let mut field = |key: &str, value: &str| {
        body.push_str(",\"");
        body.push_str(key);
        body.push_str("\":");
        crate::json::write_string(value, &mut body);
    };
    if let Some(code) = test_event_code {
        field("test_event_code", code);
    }
    let agent = config
        .partner_agent
        .as_deref()
        .unwrap_or(DEFAULT_PARTNER_AGENT);
    field("partner_agent", agent);
    field("access_token", &pixel.access_token);
    // A precomputed proof for this pixel's token wins; else one from the app secret.
    if let Some(proof) = &pixel.appsecret_proof {
        field("appsecret_proof", proof);
    } else if let Some(secret) = &config.app_secret {
        field(
            "appsecret_proof",
            &hmac_sha256_hex(secret.as_bytes(), pixel.access_token.as_bytes()),
        );
    }
    body.push('}');
    HttpRequest {
        body,
        ..request_head(config, index, pixel)
    }
}

/// The request to Meta for `pixel`, the `index`-th of the tag's, without its body: all of it
/// but the body comes from the config alone.
fn request_head(config: &TagConfig, index: usize, pixel: &Pixel) -> HttpRequest {
    HttpRequest {
        pixel: index,
        pixel_id: pixel.id.clone(),
        url: format!(
            "{}/{}/{}/events",
            config.graph_base_url, config.graph_api_version, pixel.id
        ),
        method: "POST",
        headers: JSON_HEADERS,
        body: String::new(),
    }
}

/// Every pixel's request without a body, in the config's order: what a wire result's request
/// indexes name (the host reads them once per tag, not once per build).
pub fn request_heads(config: &TagConfig) -> Vec<HttpRequest> {
    config
        .pixels
        .iter()
        .enumerate()
        .map(|(index, pixel)| request_head(config, index, pixel))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_in_body_proof_and_one_request_per_pixel() {
        let config = TagConfig {
            pixels: vec![
                Pixel {
                    id: "111".into(),
                    access_token: "tok1".into(),
                    appsecret_proof: None,
                },
                Pixel {
                    id: "222".into(),
                    access_token: "tok2".into(),
                    appsecret_proof: None,
                },
            ],
            app_secret: Some("secret".into()),
            ..TagConfig::default()
        };
        let reqs = build_requests(
            &config,
            &[&Value::object([("event_name", Value::str("X"))])],
            Some("TEST1"),
        );
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].url, "https://graph.facebook.com/v24.0/111/events");
        assert!(!reqs[0].url.contains("tok1"));
        let proof = hmac_sha256_hex(b"secret", b"tok1");
        let expected = format!(
            r#"{{"data":[{{"event_name":"X"}}],"test_event_code":"TEST1","partner_agent":"{DEFAULT_PARTNER_AGENT}","access_token":"tok1","appsecret_proof":"{proof}"}}"#
        );
        assert_eq!(reqs[0].body, expected);
        assert!(reqs[1].body.contains(r#""access_token":"tok2""#));
        // Each request names its pixel by index, and its head is the one read once per tag.
        let heads = request_heads(&config);
        for (i, r) in reqs.iter().enumerate() {
            assert_eq!(r.pixel, i);
            let head = &heads[i];
            assert_eq!(
                (&head.pixel_id, &head.url, head.method, head.headers),
                (&r.pixel_id, &r.url, r.method, r.headers)
            );
            assert!(head.body.is_empty());
        }
        assert_eq!(heads[1].pixel_id, "222");
    }
}
