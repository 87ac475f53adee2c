/// Who may use the DNS server's upstream (issue 16 item 5: no open
/// forwarder). A server that forwards any query from anyone is an open
/// resolver: a reflector for amplification attacks on third parties
/// (RFC 5358 §1–4 asks for recursion to be offered to the intended
/// clients only) and a way into the upstream's answers from outside.
///
/// - Only sources within `allowed` are forwarded to, plus loopback always
///   (`AddressScope.loopback`, IPv4-mapped forms included): by default the
///   networks of the interfaces the server listens on (the DNS server
///   works them out), and the `--allow-from` prefixes.
/// - Only queries with RD set (RFC 1035 §4.1.1: recursion desired; a
///   query without it asks this server for what it holds itself, and
///   for a name outside `nostr.` that is nothing): REFUSED otherwise
///   (`NostrZoneResponder`).
/// - Others get REFUSED (RFC 1035 §4.1.1 RCODE 5; RFC 8499 §3).
public struct ForwardPolicy: Sendable {
    public var allowed: [AddressPrefix]

    public init(allowed: [AddressPrefix] = []) {
        self.allowed = allowed
    }

    /// Whether queries from `source` may be forwarded.
    public func allows(_ source: IPAddress) -> Bool {
        if AddressScope(source) == .loopback { return true }
        for p in allowed where p.contains(source) { return true }
        // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
        if case .v6(let hi, let lo) = source, hi == 0, lo >> 32 == 0xFFFF {
            let v4 = IPAddress.v4(UInt32(truncatingIfNeeded: lo))
            for p in allowed where p.contains(v4) { return true }
        }
        return false
    }
}
