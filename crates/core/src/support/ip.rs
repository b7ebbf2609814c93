//! `client_ip_address`: the first public address of a comma-separated list (as in
//! `X-Forwarded-For` or sGTM's `ip_override`), IPv6 preferred as Meta advises; optionally
//! truncated or removed for privacy. Parsing and formatting are done here rather than with
//! `std::net`, whose parser and formatter cost ~7 KB of wasm.
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

    /// Canonical text (RFC 5952 for IPv6: lowercase, longest zero run as `::`), written into
    /// one string (every build formats its client IP).
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(39);
        match self {
            Ip::V4(o) => push_v4(&mut out, o),
            Ip::V6(g) => push_v6(&mut out, g),
        }
        out
    }
}

fn push_v4(out: &mut String, octets: &[u8; 4]) {
    for (i, &b) in octets.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if b >= 100 {
            out.push(char::from(b'0' + b / 100));
        }
        if b >= 10 {
            out.push(char::from(b'0' + b / 10 % 10));
        }
        out.push(char::from(b'0' + b % 10));
    }
}

/// Groups in lowercase hex without leading zeros, `:` between them.
fn push_groups(out: &mut String, groups: &[u16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &n) in groups.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let d = (n >> shift) & 15;
            if d != 0 || started || shift == 0 {
                out.push(char::from(HEX[usize::from(d)]));
                started = true;
            }
        }
    }
}

fn push_v6(out: &mut String, g: &[u16; 8]) {
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
        out.push_str("::ffff:");
        push_v4(out, &[a, b, c, d]);
        return;
    }
    if best.1 < 2 {
        push_groups(out, g);
        return;
    }
    push_groups(out, &g[..best.0]);
    out.push_str("::");
    push_groups(out, &g[best.0 + best.1..]);
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

/// One row of an IANA special-purpose address registry: the prefix (an address as a number),
/// its length, and whether the registry calls it globally reachable.
type Row = (u128, u8, bool);

/// The IANA IPv4 Special-Purpose Address Registry, one entry per row, plus multicast (224/4,
/// from the IPv4 Multicast Address Space registry: never a client's address). `false` = not
/// sent to Meta.
const V4_ROWS: &[Row] = &[
    (0x0000_0000, 8, false),  // 0.0.0.0/8 "This network"
    (0x0000_0000, 32, false), // 0.0.0.0/32 "This host on this network"
    (0x0a00_0000, 8, false),  // 10.0.0.0/8 Private-Use
    (0x6440_0000, 10, false), // 100.64.0.0/10 Shared Address Space (carrier-grade NAT)
    (0x7f00_0000, 8, false),  // 127.0.0.0/8 Loopback
    (0xa9fe_0000, 16, false), // 169.254.0.0/16 Link Local
    (0xac10_0000, 12, false), // 172.16.0.0/12 Private-Use
    (0xc000_0000, 24, false), // 192.0.0.0/24 IETF Protocol Assignments
    (0xc000_0000, 29, false), // 192.0.0.0/29 IPv4 Service Continuity Prefix
    (0xc000_0008, 32, false), // 192.0.0.8/32 IPv4 dummy address
    (0xc000_0009, 32, true),  // 192.0.0.9/32 Port Control Protocol Anycast
    (0xc000_000a, 32, true),  // 192.0.0.10/32 Traversal Using Relays around NAT Anycast
    (0xc000_00aa, 32, false), // 192.0.0.170/32 NAT64/DNS64 Discovery
    (0xc000_00ab, 32, false), // 192.0.0.171/32 NAT64/DNS64 Discovery
    (0xc000_0200, 24, false), // 192.0.2.0/24 Documentation (TEST-NET-1)
    (0xc01f_c400, 24, true),  // 192.31.196.0/24 AS112-v4
    (0xc034_c100, 24, true),  // 192.52.193.0/24 AMT
    (0xc058_6300, 24, false), // 192.88.99.0/24 Deprecated (6to4 Relay Anycast)
    (0xc0a8_0000, 16, false), // 192.168.0.0/16 Private-Use
    (0xc0af_3000, 24, true),  // 192.175.48.0/24 Direct Delegation AS112 Service
    (0xc612_0000, 15, false), // 198.18.0.0/15 Benchmarking
    (0xc633_6400, 24, false), // 198.51.100.0/24 Documentation (TEST-NET-2)
    (0xcb00_7100, 24, false), // 203.0.113.0/24 Documentation (TEST-NET-3)
    (0xe000_0000, 4, false),  // 224.0.0.0/4 Multicast
    (0xf000_0000, 4, false),  // 240.0.0.0/4 Reserved
    (0xffff_ffff, 32, false), // 255.255.255.255/32 Limited Broadcast
];

/// `a:b:c:d:...` as a number, for the table below.
const fn v6(g: [u16; 8]) -> u128 {
    let mut n = 0u128;
    let mut i = 0;
    while i < 8 {
        n = n << 16 | g[i] as u128;
        i += 1;
    }
    n
}

/// The IANA IPv6 Special-Purpose Address Registry, one entry per row. `::ffff:0:0/96` and
/// `64:ff9b::/96` hold an IPv4 address, judged as such (see [`unwrap_v4`]). Teredo and 6to4,
/// "N/A" in the registry, are real clients' addresses and stay public.
const V6_ROWS: &[Row] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0]), 128, false), // ::/128 Unspecified
    (v6([0, 0, 0, 0, 0, 0, 0, 1]), 128, false), // ::1/128 Loopback
    (v6([0, 0, 0, 0, 0, 0xffff, 0, 0]), 96, false), // ::ffff:0:0/96 IPv4-mapped
    (v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96, true), // 64:ff9b::/96 IPv4-IPv6 Translation
    (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48, false), // 64:ff9b:1::/48 Local-Use Translation
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0]), 64, false), // 100::/64 Discard-Only
    (v6([0x100, 0, 0, 1, 0, 0, 0, 0]), 64, false), // 100:0:0:1::/64 Dummy IPv6 Prefix
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23, false), // 2001::/23 IETF Protocol Assignments
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32, true), // 2001::/32 TEREDO
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 1]), 128, true), // 2001:1::1/128 PCP Anycast
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 2]), 128, true), // 2001:1::2/128 TURN Anycast
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 3]), 128, true), // 2001:1::3/128 DNS-SD SRP Anycast
    (v6([0x2001, 2, 0, 0, 0, 0, 0, 0]), 48, false), // 2001:2::/48 Benchmarking
    (v6([0x2001, 3, 0, 0, 0, 0, 0, 0]), 32, true), // 2001:3::/32 AMT
    (v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0]), 48, true), // 2001:4:112::/48 AS112-v6
    (v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0]), 28, false), // 2001:10::/28 Deprecated (ORCHID)
    (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0]), 28, true), // 2001:20::/28 ORCHIDv2
    (v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0]), 28, true), // 2001:30::/28 Drone Remote ID
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32, false), // 2001:db8::/32 Documentation
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16, true), // 2002::/16 6to4
    (v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0]), 48, true), // 2620:4f:8000::/48 AS112 Service
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20, false), // 3fff::/20 Documentation
    (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]), 16, false), // 5f00::/16 Segment Routing (SRv6) SIDs
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7, false), // fc00::/7 Unique-Local
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10, false), // fe80::/10 Link-Local Unicast
];

/// What the most specific row containing `addr` says (`bits`: the address width), if any.
fn registry_says(rows: &[Row], bits: u32, addr: u128) -> Option<bool> {
    rows.iter()
        .filter(|(prefix, len, _)| {
            let shift = bits.saturating_sub(u32::from(*len));
            addr.checked_shr(shift).unwrap_or(0) == prefix.checked_shr(shift).unwrap_or(0)
        })
        .max_by_key(|(_, len, _)| *len)
        .map(|(_, _, global)| *global)
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped (`::ffff:10.0.0.1`, how dual-stack
/// sockets report IPv4 peers) and the well-known NAT64 prefix (`64:ff9b::/96`, an IPv4 client
/// seen through a translator). Judged and sent as that IPv4 address.
pub fn unwrap_v4(ip: Ip) -> Ip {
    match ip {
        Ip::V6(g) if g[..6] == [0, 0, 0, 0, 0, 0xffff] || g[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
            let [a, b] = g[6].to_be_bytes();
            let [c, d] = g[7].to_be_bytes();
            Ip::V4([a, b, c, d])
        }
        other => other,
    }
}

/// Public: an address a visitor can have on the Internet, by the IANA special-purpose
/// registries (the most specific row decides; "globally reachable" = public). IPv6 outside
/// 2000::/3, the only space IANA allocates as global unicast (the IPv6 Address Space
/// registry), is not public either: multicast ff00::/8, the reserved ::/8, ... An IPv4-mapped
/// or NAT64 address is judged as its IPv4 address.
pub fn is_public(ip: &Ip) -> bool {
    match unwrap_v4(*ip) {
        Ip::V4(o) => registry_says(V4_ROWS, 32, u128::from(u32::from_be_bytes(o))).unwrap_or(true),
        Ip::V6(g) => registry_says(V6_ROWS, 128, v6(g)).unwrap_or(g[0] & 0xe000 == 0x2000),
    }
}

/// The address to send from a list: the first public IPv6, else the first public IPv4
/// (IPv4-mapped and NAT64 addresses are IPv4 here).
pub fn pick(list: &str) -> Option<Ip> {
    // One pass, no list of candidates: the first public IPv6, else the first public address.
    let mut first = None;
    let public = list.split(',').filter_map(parse).map(unwrap_v4);
    for ip in public.filter(is_public) {
        if ip.is_ipv6() {
            return Some(ip);
        }
        first.get_or_insert(ip);
    }
    first
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
            pick_str("10.0.0.1, 81.2.69.9, 2a02:cf40::1").as_deref(),
            Some("2a02:cf40::1")
        );
        assert_eq!(
            pick_str(" 192.168.1.1 ,89.160.20.7:443").as_deref(),
            Some("89.160.20.7")
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

    fn public(addr: &str) -> bool {
        is_public(&parse(addr).unwrap_or_else(|| panic!("{addr} parses")))
    }

    /// One case per row of the IANA IPv4 Special-Purpose Address Registry (an address inside
    /// it, and the edges), written out by hand rather than derived from the table.
    #[test]
    fn ipv4_special_purpose_registry() {
        let cases: &[(&str, bool, &str)] = &[
            ("0.0.0.0", false, "0.0.0.0/32 this host"),
            ("0.1.2.3", false, "0.0.0.0/8 this network"),
            ("10.0.0.1", false, "10/8 private"),
            ("10.255.255.255", false, "10/8 private"),
            ("100.64.0.1", false, "100.64/10 carrier-grade NAT"),
            ("100.127.255.254", false, "100.64/10 carrier-grade NAT"),
            ("100.63.255.255", true, "just below 100.64/10"),
            ("100.128.0.1", true, "just above 100.64/10"),
            ("127.0.0.1", false, "127/8 loopback"),
            ("127.255.0.9", false, "127/8 loopback"),
            ("169.254.10.1", false, "169.254/16 link local"),
            ("172.16.0.1", false, "172.16/12 private"),
            ("172.31.255.255", false, "172.16/12 private"),
            ("172.32.0.1", true, "just above 172.16/12"),
            ("192.0.0.77", false, "192.0.0/24 IETF protocol assignments"),
            ("192.0.0.1", false, "192.0.0/29 service continuity"),
            ("192.0.0.8", false, "192.0.0.8 dummy"),
            (
                "192.0.0.9",
                true,
                "192.0.0.9 PCP anycast: globally reachable",
            ),
            (
                "192.0.0.10",
                true,
                "192.0.0.10 TURN anycast: globally reachable",
            ),
            ("192.0.0.170", false, "192.0.0.170 NAT64/DNS64 discovery"),
            ("192.0.0.171", false, "192.0.0.171 NAT64/DNS64 discovery"),
            ("192.0.2.1", false, "192.0.2/24 TEST-NET-1"),
            (
                "192.31.196.1",
                true,
                "192.31.196/24 AS112-v4: globally reachable",
            ),
            (
                "192.52.193.1",
                true,
                "192.52.193/24 AMT: globally reachable",
            ),
            (
                "192.88.99.1",
                false,
                "192.88.99/24 deprecated 6to4 relay anycast",
            ),
            ("192.168.1.1", false, "192.168/16 private"),
            (
                "192.175.48.1",
                true,
                "192.175.48/24 AS112: globally reachable",
            ),
            ("198.18.0.1", false, "198.18/15 benchmarking"),
            ("198.19.255.254", false, "198.18/15 benchmarking"),
            ("198.20.0.1", true, "just above 198.18/15"),
            ("198.51.100.7", false, "198.51.100/24 TEST-NET-2"),
            ("203.0.113.9", false, "203.0.113/24 TEST-NET-3"),
            ("224.0.0.1", false, "224/4 multicast"),
            ("239.255.255.250", false, "224/4 multicast"),
            ("240.0.0.1", false, "240/4 reserved"),
            ("255.255.255.255", false, "limited broadcast"),
            ("1.1.1.1", true, "ordinary public"),
            ("8.8.8.8", true, "ordinary public"),
            ("81.2.69.42", true, "ordinary public"),
            ("223.255.255.255", true, "last before multicast"),
        ];
        for (addr, want, row) in cases {
            assert_eq!(public(addr), *want, "{addr}: {row}");
        }
    }

    /// One case per row of the IANA IPv6 Special-Purpose Address Registry, and the space
    /// outside global unicast.
    #[test]
    fn ipv6_special_purpose_registry() {
        let cases: &[(&str, bool, &str)] = &[
            ("::", false, "::/128 unspecified"),
            ("::1", false, "::1/128 loopback"),
            (
                "::ffff:10.0.0.1",
                false,
                "::ffff:0:0/96 mapped, judged as 10.0.0.1",
            ),
            ("::ffff:100.64.1.1", false, "mapped carrier-grade NAT"),
            ("::ffff:81.2.69.42", true, "mapped public IPv4"),
            (
                "64:ff9b::81.2.69.42",
                true,
                "64:ff9b::/96 NAT64, judged as its IPv4",
            ),
            (
                "64:ff9b::192.168.0.1",
                false,
                "64:ff9b::/96 NAT64 of a private IPv4",
            ),
            (
                "64:ff9b:1::1",
                false,
                "64:ff9b:1::/48 local-use translation",
            ),
            ("100::1", false, "100::/64 discard-only"),
            ("100:0:0:1::1", false, "100:0:0:1::/64 dummy prefix"),
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                true,
                "2001::/32 Teredo: a real client",
            ),
            ("2001:1::1", true, "2001:1::1 PCP anycast"),
            ("2001:1::2", true, "2001:1::2 TURN anycast"),
            ("2001:1::3", true, "2001:1::3 DNS-SD SRP anycast"),
            ("2001:1::4", false, "2001::/23 IETF protocol assignments"),
            ("2001:2::1", false, "2001:2::/48 benchmarking"),
            ("2001:3::1", true, "2001:3::/32 AMT"),
            ("2001:4:112::1", true, "2001:4:112::/48 AS112-v6"),
            ("2001:4:113::1", false, "2001::/23 outside AS112-v6"),
            ("2001:10::1", false, "2001:10::/28 deprecated ORCHID"),
            ("2001:20::1", true, "2001:20::/28 ORCHIDv2"),
            ("2001:30::1", true, "2001:30::/28 drone remote ID"),
            ("2001:1ff:ffff::1", false, "end of 2001::/23"),
            ("2001:200::1", true, "just past 2001::/23 (WIDE)"),
            ("2001:db8::1", false, "2001:db8::/32 documentation"),
            ("2001:db8:ffff::1", false, "2001:db8::/32 documentation"),
            ("2002:c000:0204::1", true, "2002::/16 6to4: a real client"),
            ("2620:4f:8000::1", true, "2620:4f:8000::/48 AS112"),
            ("3fff::1", false, "3fff::/20 documentation"),
            ("3fff:fff::1", false, "3fff::/20 documentation"),
            ("5f00::1", false, "5f00::/16 SRv6 SIDs"),
            ("fc00::1", false, "fc00::/7 unique-local"),
            ("fd12:3456::1", false, "fc00::/7 unique-local"),
            ("fe80::1", false, "fe80::/10 link-local"),
            ("febf::1", false, "fe80::/10 link-local"),
            ("ff02::1", false, "ff00::/8 multicast: outside 2000::/3"),
            (
                "::10.0.0.1",
                false,
                "::/96 deprecated IPv4-compatible: outside 2000::/3",
            ),
            ("4000::1", false, "outside 2000::/3"),
            ("2606:4700::1", true, "ordinary global unicast"),
            ("2a02:cf40::1", true, "ordinary global unicast"),
            ("3ffe::1", true, "end of 2000::/3, outside 3fff::/20"),
        ];
        for (addr, want, row) in cases {
            assert_eq!(public(addr), *want, "{addr}: {row}");
        }
    }

    #[test]
    fn mapped_addresses_are_sent_as_ipv4() {
        assert_eq!(pick_str("::ffff:10.0.0.1"), None);
        assert_eq!(pick_str("::ffff:81.2.69.42").as_deref(), Some("81.2.69.42"));
        // A mapped address is IPv4: a real IPv6 later in the list is preferred to it.
        assert_eq!(
            pick_str("::ffff:81.2.69.42, 2a02:cf40::9").as_deref(),
            Some("2a02:cf40::9")
        );
        assert_eq!(
            pick_str("64:ff9b::5102:452a").as_deref(),
            Some("81.2.69.42")
        );
        assert_eq!(
            pick_str("100.64.0.1, 224.0.0.1, 255.255.255.255, 192.0.2.1, 81.2.69.1").as_deref(),
            Some("81.2.69.1")
        );
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
            "2a02:cf40::1",
            "2001:0DB8:0000:0000:0000:ff00:0042:8329",
            "1:0:0:2:0:0:0:3",
            "1::2:3:4:5:6:7",
            "1:2:3:4:5:6:7::",
            "::ffff:216.160.83.128",
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
        let v4 = parse("81.2.69.9").expect("ip");
        let v6 = parse("2a02:cf40:1234:5678::1").expect("ip");
        assert_eq!(
            anonymize(v4, IpHandling::Truncate)
                .map(|i| i.text())
                .as_deref(),
            Some("81.2.69.0")
        );
        assert_eq!(
            anonymize(v6, IpHandling::Truncate)
                .map(|i| i.text())
                .as_deref(),
            Some("2a02:cf40:1234::")
        );
        assert_eq!(anonymize(v4, IpHandling::Remove), None);
        assert_eq!(anonymize(v4, IpHandling::Keep), Some(v4));
    }
}

/// Formatting against std's `Display` on any address (zero groups made likely, so that every
/// shape of `::` run is met).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn text_agrees_with_std(
            v4 in any::<[u8; 4]>(),
            v6 in proptest::array::uniform8(prop_oneof![Just(0u16), Just(0xffff), any::<u16>()]),
        ) {
            prop_assert_eq!(Ip::V4(v4).text(), std::net::Ipv4Addr::from(v4).to_string());
            prop_assert_eq!(Ip::V6(v6).text(), std::net::Ipv6Addr::from(v6).to_string());
        }
    }
}
