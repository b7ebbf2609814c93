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
