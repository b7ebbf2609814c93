//! Help with config mistakes, kept apart from the config reader: "did you mean" for unknown keys,
//! warnings for endpoints in clear text, `strict` (unknown keys become errors) and where a JSON
//! syntax error is (line and column).
use crate::json::ParseError;
use crate::report::Report;

/// The known key nearest to `key` (case-insensitive edit distance) when it is close enough to be
/// a typo: at most 2 edits, or a quarter of the key's length for long keys.
pub fn did_you_mean<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key.to_ascii_lowercase();
    let limit = 2.max(key.chars().count() / 4);
    known
        .iter()
        .map(|k| (strsim::levenshtein(&key, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Option names of Stape's and Meta's sGTM tags (top level) and what this tag calls them, so a
/// config carried over from either says where each setting went.
const PEER_NAMES: &[(&str, &str)] = &[
    ("enableEventEnhancement", "eventEnhancement"),
    ("useHttpOnlyCookie", "cookies.httpOnly"),
    ("extendCookies", "cookies.extend"),
    ("apiAccessToken", "accessToken"),
    ("testId", "testEventCode"),
    ("overrideCookieDomain", "cookieDomain"),
    ("overridenCookieDomain", "cookieDomain"),
    ("useAppSecretProof", "appsecretProof"),
    (
        "enableMultipixelSetup",
        "pixelId (a list of {pixelId, accessToken, appsecretProof})",
    ),
    (
        "pixelIdAndAccessTokenTable",
        "pixelId (a list of {pixelId, accessToken, appsecretProof})",
    ),
    ("inheritEventName", "eventName (absent: inherited)"),
    ("eventNameStandard", "eventName"),
    ("eventNameCustom", "customEventName"),
    ("itemIdKey", "productSchema.idField"),
    ("adStorageConsent", "consent.requireAdStorage"),
    ("userDataObject", "userData"),
    ("userDataList", "userData"),
    ("customDataObject", "customData"),
    ("customDataList", "customData"),
    ("appDataObject", "appData"),
    ("appDataList", "appData"),
    ("originalEventDataList", "originalEventData"),
    ("serverEventDataList", "the event's x-fb-sed-<field> keys"),
    ("logType", "logLevel"),
];

/// What this tag calls a peer tag's top-level option.
pub fn peer_name(key: &str) -> Option<&'static str> {
    PEER_NAMES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, ours)| *ours)
}

/// The message for an unknown key, with a suggestion when one is near (or when it is a peer
/// tag's name for an option).
pub fn unknown_key_message(path: &str, key: &str, known: &[&str]) -> String {
    if let Some(ours) = peer_name(key).filter(|_| path == key) {
        return format!(
            "unknown config key \"{path}\" is ignored; Stape's / Meta's tag option: here it is {ours}"
        );
    }
    match did_you_mean(key, known) {
        Some(k) => {
            let prefix = path.strip_suffix(key).unwrap_or_default();
            let suggested = format!("{prefix}{k}");
            format!("unknown config key \"{path}\" is ignored; did you mean \"{suggested}\"?")
        }
        None => format!("unknown config key \"{path}\" is ignored"),
    }
}

/// True for `http://` to anything but this machine: tokens and plaintext PII would travel in
/// clear.
pub fn cleartext(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    }
    .to_ascii_lowercase();
    !(host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback()))
}

/// A warning on `field` when `url` is a non-loopback `http://` URL.
pub fn warn_cleartext(report: &mut Report, field: &str, url: &str, carries: &str) {
    if cleartext(url) {
        let message = format!(
            "{field} is http:// to another machine: {carries} would travel in clear (use https://)"
        );
        report.warn("config.cleartext_endpoint", field, message);
    }
}

/// `strict`: unknown keys are errors, not warnings.
pub fn strict(report: &mut Report) {
    let (unknown, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut report.warnings)
        .into_iter()
        .partition(|i| i.code == "config.unknown_key");
    report.warnings = rest;
    for mut issue in unknown {
        issue.message.push_str(" (an error: strict is on)");
        report.errors.push(issue);
    }
}

/// A JSON syntax error with its line and column (1-based, columns in characters).
pub fn json_error(text: &str, e: &ParseError) -> String {
    let before = text.get(..e.offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{} at line {line}, column {column}", e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_keys_case_insensitively() {
        let known = ["graphBaseUrl", "testEventCode", "pixelId", "accessToken"];
        assert_eq!(did_you_mean("graphBaseURL", &known), Some("graphBaseUrl"));
        assert_eq!(did_you_mean("testEventcode", &known), Some("testEventCode"));
        assert_eq!(did_you_mean("pixelIdd", &known), Some("pixelId"));
        assert_eq!(did_you_mean("acessToken", &known), Some("accessToken"));
        assert_eq!(did_you_mean("colour", &known), None);
        assert_eq!(did_you_mean("", &known), None);
    }

    #[test]
    fn peer_option_names_say_where_they_went() {
        let m = unknown_key_message(
            "enableEventEnhancement",
            "enableEventEnhancement",
            &["eventEnhancement"],
        );
        assert!(m.ends_with("here it is eventEnhancement"), "{m}");
        let m = unknown_key_message("useHttpOnlyCookie", "useHttpOnlyCookie", &[]);
        assert!(m.ends_with("here it is cookies.httpOnly"), "{m}");
        let m = unknown_key_message("cookies.extendCookies", "extendCookies", &["extend"]);
        assert!(!m.contains("peer") && !m.contains("Stape"), "{m}");
        assert_eq!(
            did_you_mean("appSecretProof", &["appSecret", "appsecretProof"]),
            Some("appsecretProof")
        );
    }

    #[test]
    fn message_keeps_the_path_prefix() {
        let m = unknown_key_message("identity.endpiont", "endpiont", &["endpoint", "token"]);
        assert!(m.ends_with("did you mean \"identity.endpoint\"?"), "{m}");
    }

    #[test]
    fn cleartext_is_http_off_this_machine() {
        assert!(cleartext("http://graph.example.com"));
        assert!(cleartext("http://10.0.0.5:8080/x"));
        assert!(cleartext("http://user@example.com"));
        assert!(!cleartext("https://graph.facebook.com"));
        assert!(!cleartext("http://127.0.0.1:9000"));
        assert!(!cleartext("http://localhost:9000/api/v1"));
        assert!(!cleartext("http://[::1]:9000"));
        assert!(cleartext("http://127.0.0.1.evil.com"));
    }

    #[test]
    fn strict_turns_unknown_keys_into_errors() {
        let mut r = Report::default();
        r.warn(
            "config.unknown_key",
            "x",
            "unknown config key \"x\" is ignored",
        );
        r.warn("config.other", "y", "other");
        strict(&mut r);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.errors[0].field, "x");
    }

    #[test]
    fn json_error_has_line_and_column() {
        let text = "{\n  \"a\": 1,\n  \"b\": x\n}";
        let e = crate::json::parse(text).unwrap_err();
        assert_eq!(
            json_error(text, &e).split(" at ").nth(1),
            Some("line 3, column 8")
        );
    }

    #[test]
    fn the_config_reader_uses_them() {
        let text = r#"{"pixelId": "1", "accessToken": "t", "graphBaseURL": "http://127.0.0.1:1",
            "testEventcode": "T1", "graphBaseUrl": "http://graph.example.com"}"#;
        let (_, r) = crate::config::parse_config(&crate::json::parse(text).unwrap());
        let messages: Vec<_> = r.warnings.iter().map(|i| i.message.as_str()).collect();
        assert!(
            messages[0].ends_with("did you mean \"graphBaseUrl\"?"),
            "{messages:?}"
        );
        assert!(
            messages[1].ends_with("did you mean \"testEventCode\"?"),
            "{messages:?}"
        );
        assert_eq!(r.warnings[2].code, "config.cleartext_endpoint");
        assert!(r.is_valid());
        let strict = text.replacen('{', r#"{"strict": true, "#, 1);
        let (_, r) = crate::config::parse_config(&crate::json::parse(&strict).unwrap());
        assert_eq!(r.errors.len(), 2, "{r:?}");
        assert_eq!(r.warnings.len(), 1);
    }
}
