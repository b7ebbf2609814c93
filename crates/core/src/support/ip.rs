//! `client_ip_address`: the first public address of a comma-separated list (as in
//! `X-Forwarded-For` or sGTM's `ip_override`), IPv6 preferred as Meta advises; optionally
//! truncated or removed for privacy. Parsing and formatting are done here rather than with
//! `std::net`, whose parser and formatter cost ~7 KB of wasm.
use crate::json::decimal;
use crate::model::config::IpHandling;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ip {
    V4([u8; 4]),
    V6([u16; 8]),
}

impl Ip {
    pub fn is_ipv6(&self) -> bool {
        matches!(self, Ip::V6(_))
    }

    /// Canonical text (RFC 5952 for IPv6: lowercase, longest zero run as `::`).
    pub fn text(&self) -> String {
        match self {
            Ip::V4(o) => o
                .iter()
                .map(|b| decimal(u64::from(*b)))
                .collect::<Vec<_>>()
                .join("."),
            Ip::V6(g) => v6_text(g),
        }
    }
}

fn v6_text(g: &[u16; 8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |n: u16| {
        let s: String = [n >> 12, (n >> 8) & 15, (n >> 4) & 15, n & 15]
            .iter()
            .map(|d| char::from(HEX[usize::from(*d)]))
            .collect();
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    };
    // Longest run of two or more zero groups (the first one on a tie).
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &v) in g.iter().enumerate() {
        run = if v == 0 {
            (if run.1 == 0 { i } else { run.0 }, run.1 + 1)
        } else {
            (0, 0)
        };
        if run.1 > best.1 {
            best = run;
        }
    }
    // IPv4-mapped addresses keep their dotted tail (as std and browsers print them).
    if g[..5] == [0; 5] && g[5] == 0xffff {
        let [a, b] = g[6].to_be_bytes();
        let [c, d] = g[7].to_be_bytes();
        return format!("::ffff:{}", Ip::V4([a, b, c, d]).text());
    }
    if best.1 < 2 {
        return g.iter().map(|n| hex(*n)).collect::<Vec<_>>().join(":");
    }
    let head: Vec<String> = g[..best.0].iter().map(|n| hex(*n)).collect();
    let tail: Vec<String> = g[best.0 + best.1..].iter().map(|n| hex(*n)).collect();
    format!("{}::{}", head.join(":"), tail.join(":"))
}

fn parse_v4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for slot in &mut out {
        let p = parts.next()?;
        // No signs, no leading zeros (ambiguous octal), at most 3 digits.
        if p.is_empty()
            || p.len() > 3
            || !p.bytes().all(|b| b.is_ascii_digit())
            || (p.len() > 1 && p.starts_with('0'))
        {
            return None;
        }
        *slot = u8::try_from(p.bytes().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))).ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn parse_groups(s: &str) -> Option<Vec<u16>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(':')
        .map(|g| {
            let ok = !g.is_empty() && g.len() <= 4 && g.bytes().all(|b| b.is_ascii_hexdigit());
            ok.then(|| {
                g.bytes().fold(0u16, |n, d| {
                    n * 16 + char::from(d).to_digit(16).map_or(0, |v| v as u16)
                })
            })
        })
        .collect()
}

fn parse_v6(s: &str) -> Option<[u16; 8]> {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`) counts as two groups.
    let (s, v4_tail) = match s.rfind(':') {
        Some(i) if s[i + 1..].contains('.') => {
            let o = parse_v4(&s[i + 1..])?;
            let tail = [
                u16::from_be_bytes([o[0], o[1]]),
                u16::from_be_bytes([o[2], o[3]]),
            ];
            // Keep the colon when it belongs to a "::".
            let head = if s[..i].ends_with(':') {
                &s[..=i]
            } else {
                &s[..i]
            };
            (head, Some(tail))
        }
        _ => (s, None),
    };
    let mut groups = match s.split_once("::") {
        Some((head, tail)) => {
            let (h, t) = (parse_groups(head)?, parse_groups(tail)?);
            let fixed = h.len() + t.len() + if v4_tail.is_some() { 2 } else { 0 };
            if fixed > 7 {
                return None;
            }
            let mut g = h;
            g.extend(std::iter::repeat_n(0, 8 - fixed));
            g.extend(t);
            g
        }
        None => parse_groups(s)?,
    };
    groups.extend(v4_tail.into_iter().flatten());
    <[u16; 8]>::try_from(groups).ok()
}

/// Parse one list entry: tolerates spaces, `[v6]:port`, `v4:port`.
pub fn parse(entry: &str) -> Option<Ip> {
    let e = entry.trim();
    if let Some(rest) = e.strip_prefix('[') {
        return parse_v6(rest.split(']').next()?).map(Ip::V6);
    }
    if let Some(v4) = parse_v4(e) {
        return Some(Ip::V4(v4));
    }
    if e.contains("::") || e.matches(':').count() > 1 {
        return parse_v6(e).map(Ip::V6);
    }
    let (host, port) = e.rsplit_once(':')?;
    port.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
    parse_v4(host).map(Ip::V4)
}

/// Public: not in the ranges Meta's builder treats as private (10/8, 172.16/12, 192.168/16,
/// 127/8, 169.254/16, ::1, fe80::/10, fc00::/7), nor unspecified.
pub fn is_public(ip: &Ip) -> bool {
    match ip {
        Ip::V4([a, b, ..]) => !matches!(
            (a, b),
            (10, _) | (127, _) | (0, _) | (192, 168) | (169, 254) | (172, 16..=31)
        ),
        Ip::V6(g) => {
            let loopback_or_unspecified = g[..7].iter().all(|&x| x == 0) && g[7] <= 1;
            !(loopback_or_unspecified || (g[0] & 0xffc0) == 0xfe80 || (g[0] & 0xfe00) == 0xfc00)
        }
    }
}

/// The address to send from a list: the first public IPv6, else the first public IPv4.
pub fn pick(list: &str) -> Option<Ip> {
    let ips: Vec<Ip> = list
        .split(',')
        .filter_map(parse)
        .filter(is_public)
        .collect();
    ips.iter()
        .find(|ip| ip.is_ipv6())
        .or_else(|| ips.first())
        .copied()
}

/// Apply the configured privacy handling.
pub fn anonymize(ip: Ip, handling: IpHandling) -> Option<Ip> {
    match handling {
        IpHandling::Keep => Some(ip),
        IpHandling::Remove => None,
        IpHandling::Truncate => Some(match ip {
            Ip::V4([a, b, c, _]) => Ip::V4([a, b, c, 0]),
            Ip::V6(g) => Ip::V6([g[0], g[1], g[2], 0, 0, 0, 0, 0]),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick_str(list: &str) -> Option<String> {
        pick(list).map(|ip| ip.text())
    }

    #[test]
    fn first_public_ipv6_preferred() {
        assert_eq!(
            pick_str("10.0.0.1, 203.0.113.9, 2001:db8::1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            pick_str(" 192.168.1.1 ,198.51.100.7:443").as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(
            pick_str("[2606:4700::1]:8080").as_deref(),
            Some("2606:4700::1")
        );
        assert_eq!(
            pick_str("127.0.0.1, fe80::1, fd00::1, ::1, ::, 172.20.1.1"),
            None
        );
        assert_eq!(pick_str("not an ip"), None);
    }

    #[test]
    fn agrees_with_std_net_on_parsing_and_formatting() {
        let cases = [
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "::",
            "::1",
            "2001:db8::1",
            "2001:0DB8:0000:0000:0000:ff00:0042:8329",
            "1:0:0:2:0:0:0:3",
            "1::2:3:4:5:6:7",
            "1:2:3:4:5:6:7::",
            "::ffff:192.0.2.128",
            "64:ff9b::1.2.3.4",
            "1:2:3:4:5:6:7:8:9",
            ":::",
            "1:::2",
            "12345::1",
            "g::1",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "fe80::1%eth0",
            "",
            "1.2.3.04",
        ];
        for c in cases {
            let ours = parse(c).map(|ip| ip.text());
            let std = c.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string());
            assert_eq!(ours, std, "{c}");
        }
    }

    #[test]
    fn truncation_and_removal() {
        let v4 = parse("203.0.113.9").expect("ip");
        let v6 = parse("2001:db8:1234:5678::1").expect("ip");
        assert_eq!(
            anonymize(v4, IpHandling::Truncate)
                .map(|i| i.text())
                .as_deref(),
            Some("203.0.113.0")
        );
        assert_eq!(
            anonymize(v6, IpHandling::Truncate)
                .map(|i| i.text())
                .as_deref(),
            Some("2001:db8:1234::")
        );
        assert_eq!(anonymize(v4, IpHandling::Remove), None);
        assert_eq!(anonymize(v4, IpHandling::Keep), Some(v4));
    }
}
