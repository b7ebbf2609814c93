//! `client_ip_address`: the first public address of a comma-separated list (as in
//! `X-Forwarded-For` or sGTM's `ip_override`), IPv6 preferred as Meta advises; optionally
//! truncated or removed for privacy.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::IpHandling;

/// Parse one list entry: tolerates spaces, `[v6]:port`, `v4:port`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = e.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<Ipv6Addr>()
            .ok()
            .map(IpAddr::V6);
    }
    let (host, port) = e.rsplit_once(':')?;
    port.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// Public: not private, loopback, link-local, unspecified or documentation-only... the ranges
/// Meta's builder treats as private (10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, ::1,
/// fe80::/10, fc00::/7), plus the unspecified addresses.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xffc0) == 0xfe80
                || (first & 0xfe00) == 0xfc00)
        }
    }
}

/// The address to send from a list, and whether any entry was unusable (for a warning).
pub fn pick(list: &str) -> Option<IpAddr> {
    let ips: Vec<IpAddr> = list
        .split(',')
        .filter_map(parse_entry)
        .filter(is_public)
        .collect();
    ips.iter()
        .find(|ip| ip.is_ipv6())
        .or_else(|| ips.first())
        .copied()
}

/// Apply the configured privacy handling.
pub fn anonymize(ip: IpAddr, handling: IpHandling) -> Option<IpAddr> {
    match handling {
        IpHandling::Keep => Some(ip),
        IpHandling::Remove => None,
        IpHandling::Truncate => Some(match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick_str(list: &str) -> Option<String> {
        pick(list).map(|ip| ip.to_string())
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
        assert_eq!(pick_str("127.0.0.1, fe80::1, fd00::1, ::1"), None);
        assert_eq!(pick_str("not an ip"), None);
    }

    #[test]
    fn truncation_and_removal() {
        let v4: IpAddr = "203.0.113.9".parse().expect("ip");
        let v6: IpAddr = "2001:db8:1234:5678::1".parse().expect("ip");
        assert_eq!(
            anonymize(v4, IpHandling::Truncate)
                .map(|i| i.to_string())
                .as_deref(),
            Some("203.0.113.0")
        );
        assert_eq!(
            anonymize(v6, IpHandling::Truncate)
                .map(|i| i.to_string())
                .as_deref(),
            Some("2001:db8:1234::")
        );
        assert_eq!(anonymize(v4, IpHandling::Remove), None);
        assert_eq!(anonymize(v4, IpHandling::Keep), Some(v4));
    }
}
