//! The client address: the peer, or the first untrusted address of `X-Forwarded-For` when the
//! peer is a trusted proxy (API.md "Client address").

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// Resolves the client address from the peer and the trusted proxies.
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(xff) = forwarded_for else {
        return Some(peer);
    };
    // Walk from the nearest hop back; the first address we do not trust is the client.
    let hops: Vec<IpAddr> = xff
        .split(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    for ip in hops.iter().rev() {
        if !is_trusted(ip) {
            return Some(*ip);
        }
    }
    hops.first().copied().or(Some(peer))
}

/// The client address of a service request.
pub fn of_service_request(req: &ServiceRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    of_request(req.request(), trusted)
}

/// The client address of a request.
pub fn of_request(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let xff = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    resolve(req.peer_addr().map(|a| a.ip()), xff, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_peer_is_the_client() {
        let p: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(resolve(Some(p), Some("1.2.3.4"), &[]), Some(p));
    }

    #[test]
    fn trusted_proxy_forwards_the_first_untrusted_hop() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let got = resolve(Some(peer), Some("6.6.6.6, 203.0.113.7, 10.1.1.1"), &trusted);
        assert_eq!(got, Some("203.0.113.7".parse().unwrap()));
    }
}
