//! The client address (API.md "Client address"): the peer, or — when the peer is one of
//! `GGZY_TRUSTED_PROXIES` — the rightmost untrusted hop of `X-Forwarded-For`, read across
//! **every** header line in order (RFC 9110 §5.3: several lines of a field are one
//! comma-separated list). Everything left of that hop was written by the client and may be
//! spoofed; what our trusted proxies appended (on the right) is what they saw (issue 13,
//! finding 6: only the first line was read, so a client sending its own header line chose its
//! address).

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// One `X-Forwarded-For` entry as an address: a bare IPv4/IPv6 address, `ip:port`,
/// `[v6]` or `[v6]:port`, in canonical form (an IPv4-mapped IPv6 address is its IPv4 address,
/// so one client is one throttle key).
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })?;
    Some(ip.to_canonical())
}

/// Resolves the client address from the peer, the `X-Forwarded-For` lines (in the order they
/// arrived) and the trusted proxies. Walking from the nearest hop back, the first address we do
/// not trust is the client. An entry that is not an address stops the walk at the proxy that
/// reported it: the hop it stands for cannot be told, so the client is taken to be that proxy
/// rather than anything further left (which the client wrote).
pub fn resolve<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return Some(nearest);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    // every hop is one of ours: the leftmost is the closest to the client we know of
    Some(nearest)
}

/// The client address of a service request.
pub fn of_service_request(req: &ServiceRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    of_request(req.request(), trusted)
}

/// The client address of a request.
pub fn of_request(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    // every line, in order; a line that is not visible ASCII cannot be read and counts as a
    // hop that is not an address (the walk stops there)
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    resolve(req.peer_addr().map(|a| a.ip()), lines, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies() -> Vec<IpNet> {
        vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn untrusted_peer_is_the_client() {
        let p: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(resolve(Some(p), ["1.2.3.4"], &[]), Some(p));
    }

    #[test]
    fn trusted_proxy_forwards_the_rightmost_untrusted_hop() {
        let peer = ip("127.0.0.1");
        let got = resolve(peer, ["6.6.6.6, 203.0.113.7, 10.1.1.1"], &proxies());
        assert_eq!(got, ip("203.0.113.7"));
    }

    #[test]
    fn every_header_line_is_read_in_order() {
        // the client sent its own line first; the proxy appended the real address in a second
        // line: the real one wins
        let peer = ip("127.0.0.1");
        let got = resolve(peer, ["198.51.100.77", "203.0.113.7"], &proxies());
        assert_eq!(got, ip("203.0.113.7"));
        let got = resolve(
            peer,
            ["1.1.1.1, 2.2.2.2", "203.0.113.7, 10.0.0.2"],
            &proxies(),
        );
        assert_eq!(got, ip("203.0.113.7"));
    }

    #[test]
    fn a_hop_that_is_no_address_stops_the_walk() {
        let peer = ip("127.0.0.1");
        // "unknown" where the client should be: the proxy that wrote it is the client, not the
        // spoofable entry left of it
        let got = resolve(peer, ["198.51.100.77, unknown, 10.0.0.5"], &proxies());
        assert_eq!(got, ip("10.0.0.5"));
        let got = resolve(peer, ["garbage"], &proxies());
        assert_eq!(got, ip("127.0.0.1"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_one_address() {
        let peer = ip("127.0.0.1");
        assert_eq!(
            resolve(peer, ["203.0.113.7:5555"], &proxies()),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(peer, ["[2001:db8::1]:443"], &proxies()),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolve(peer, ["::ffff:203.0.113.7"], &proxies()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn all_hops_trusted_gives_the_leftmost() {
        let peer = ip("127.0.0.1");
        assert_eq!(
            resolve(peer, ["10.0.0.3, 10.0.0.4"], &proxies()),
            ip("10.0.0.3")
        );
        assert_eq!(
            resolve(peer, Vec::<&str>::new(), &proxies()),
            ip("127.0.0.1")
        );
    }
}
