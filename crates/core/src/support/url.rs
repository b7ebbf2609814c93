//! Just enough URL handling for a tag: the host of a page URL and raw query parameters. Query
//! values are returned exactly as they appear (Meta wants `fbclid` verbatim, case kept).

/// The lowercase host of an absolute http(s) URL, without port or user info.
pub fn host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map(|(_, r)| r)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The first value of query parameter `name`, undecoded. `None` when absent or empty.
pub fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Percent-decode one `application/x-www-form-urlencoded` component (a query parameter's name
/// or value): `+` is a space, `%XX` is the byte `XX`. `None` when a `%` is not followed by two
/// hex digits or when the bytes are not UTF-8.
pub fn decode_component(raw: &str) -> Option<String> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(raw.to_string());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&h| hex_digit(h))?;
                let lo = bytes.get(i + 2).and_then(|&l| hex_digit(l))?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Common two-label public suffixes. Without a full public-suffix list, these are the ones a
/// "drop the first label" guess would get wrong most often (a cookie set on `co.uk` is refused
/// by browsers, and the subdomain index would be off by one).
const SECOND_LEVEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "ne.jp",
    "co.kr", "co.za", "co.in", "com.br", "com.mx", "com.ar", "com.tr", "com.cn", "com.tw",
    "com.hk", "com.sg", "com.my", "co.id", "co.il", "com.pl", "com.ua", "co.th",
];

/// The registrable domain (eTLD+1) of a host: its last two labels, or three when the last two
/// are a known second-level suffix. IP addresses and single labels are returned as they are.
pub fn registrable_domain(host: &str) -> String {
    if crate::ip::parse(host).is_some() {
        return host.to_string();
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let last_two = labels[n.saturating_sub(2)..].join(".");
    let keep = if n >= 3 && SECOND_LEVEL_SUFFIXES.contains(&last_two.as_str()) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(keep)..].join(".")
}

/// Meta's subdomain index: labels of the registrable domain minus one (`example.com` -> 1,
/// `example.co.uk` -> 2). IP hosts and `localhost` give 0; an unknown page gives 1, as Meta's
/// docs advise for values built on a server.
pub fn subdomain_index(page_host: Option<&str>) -> u32 {
    let Some(host) = page_host else { return 1 };
    if crate::ip::parse(host).is_some() {
        return 0;
    }
    let labels = registrable_domain(host).split('.').count();
    u32::try_from(labels.saturating_sub(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host("https://Shop.Example.com:8443/a?b#c").as_deref(),
            Some("shop.example.com")
        );
        assert_eq!(
            host("http://user:pw@example.com/").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host("http://[2001:db8::1]:80/").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(host("/relative"), None);
        assert_eq!(host("https://"), None);
    }

    #[test]
    fn query_params_are_raw() {
        let url = "https://x.com/p?a=1&fbclid=IwAR2F4-dbP0l7Mn1%3D&b#fbclid=no";
        assert_eq!(query_param(url, "fbclid"), Some("IwAR2F4-dbP0l7Mn1%3D"));
        assert_eq!(query_param(url, "b"), None);
        assert_eq!(query_param("https://x.com/", "fbclid"), None);
    }

    #[test]
    fn components_percent_decode() {
        assert_eq!(decode_component("plain").as_deref(), Some("plain"));
        assert_eq!(decode_component("").as_deref(), Some(""));
        assert_eq!(decode_component("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(
            decode_component("https%3A%2F%2Fx.com%2F%3Fa%3D1").as_deref(),
            Some("https://x.com/?a=1")
        );
        assert_eq!(decode_component("%C3%A9%c3%a9").as_deref(), Some("éé"));
        assert_eq!(decode_component("%2B").as_deref(), Some("+"));
        assert_eq!(decode_component("é").as_deref(), Some("é"));
        // Broken escapes and bytes that are not UTF-8.
        for bad in [
            "%",
            "%2",
            "a%ZZ",
            "%G0",
            "%FF",
            "%C3",
            "%C3%28",
            "%ED%A0%80",
        ] {
            assert_eq!(decode_component(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn subdomain_indexes_follow_meta() {
        assert_eq!(subdomain_index(Some("example.com")), 1);
        assert_eq!(subdomain_index(Some("www.example.com")), 1);
        assert_eq!(subdomain_index(Some("shop.example.co.uk")), 2);
        assert_eq!(subdomain_index(Some("localhost")), 0);
        assert_eq!(subdomain_index(Some("127.0.0.1")), 0);
        assert_eq!(subdomain_index(None), 1);
        assert_eq!(subdomain_index(Some("example.co.uk")), 2);
        assert_eq!(registrable_domain("www.example.com"), "example.com");
        assert_eq!(registrable_domain("example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("localhost"), "localhost");
    }
}
