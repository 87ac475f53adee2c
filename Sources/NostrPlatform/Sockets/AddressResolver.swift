import CPlatform

/// Host name and IP literal resolution with getaddrinfo(3) (AF_UNSPEC).
///
/// getaddrinfo blocks while it asks the DNS servers of /etc/resolv.conf (up
/// to their timeout); it is called once per connection, before the
/// connection's non-blocking life starts. In a static glibc binary (the
/// cross build) it reads /etc/hosts and asks DNS, which glibc 2.34 and later
/// build in; other NSS modules (mdns, systemd-resolved's, LDAP) are not
/// loaded (GNU ld warns about this when linking statically; ld.lld does not).
enum AddressResolver {
    struct Result {
        var addresses: [SocketAddress]
        /// True when the host was an IP literal (no DNS query was made).
        var isLiteral: Bool
    }

    /// The host without IPv6 brackets: "[::1]" -> "::1".
    static func bareHost(_ host: String) -> String {
        let bytes = Array(host.utf8)
        if bytes.count >= 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") {
            return String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self)
        }
        return host
    }

    /// "host:port", with brackets around an IPv6 literal ("[::1]:443").
    static func hostPort(_ host: String, _ port: UInt16) -> String {
        let bare = bareHost(host)
        if bare.utf8.contains(UInt8(ascii: ":")) { return "[" + bare + "]:" + String(port) }
        return bare + ":" + String(port)
    }

    /// Every address of `host` in getaddrinfo's order (RFC 6724 sorting by
    /// glibc). An IP literal, IPv6 with or without brackets and with an
    /// optional "%zone", is parsed without a DNS query (AI_NUMERICHOST).
    static func resolve(_ host: String, port: UInt16, datagram: Bool) throws(PlatformError) -> Result {
        let bare = bareHost(host)
        guard !bare.isEmpty else {
            throw PlatformError(.resolve, path: host, detail: "empty host name")
        }
        if let literal = try? lookup(bare, port: port, datagram: datagram, numericOnly: true) {
            return Result(addresses: literal, isLiteral: true)
        }
        return Result(addresses: try lookup(bare, port: port, datagram: datagram, numericOnly: false), isLiteral: false)
    }

    /// Whether `host` (without brackets) is an IP literal as getaddrinfo
    /// reads one (AI_NUMERICHOST: no DNS query, never blocks).
    static func isLiteral(_ host: String) -> Bool {
        !host.isEmpty && (try? lookup(host, port: 0, datagram: false, numericOnly: true)) != nil
    }

    private static func lookup(_ host: String, port: UInt16, datagram: Bool, numericOnly: Bool) throws(PlatformError) -> [SocketAddress] {
        var list: UnsafeMutablePointer<addrinfo>? = nil
        var systemErrno: Int32 = 0
        let rc = host.withCString { h in
            String(port).withCString { p in
                nd_getaddrinfo(h, p, datagram ? 1 : 0, numericOnly ? 1 : 0, &list, &systemErrno)
            }
        }
        guard rc == 0 else {
            var detail = ""
            if let text = gai_strerror(rc) { detail = String(cString: text) }
            if systemErrno != 0 { detail += ": " + PlatformError.describe(errno: systemErrno) }
            throw PlatformError(.resolve, errno: systemErrno, path: host, detail: detail)
        }
        defer { freeaddrinfo(list) }
        var out: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let sa = entry.pointee.ai_addr,
                let address = SocketAddress(copying: UnsafeRawPointer(sa), length: Int(entry.pointee.ai_addrlen))
            {
                out.append(address)
            }
            cursor = entry.pointee.ai_next
        }
        guard !out.isEmpty else {
            throw PlatformError(.resolve, path: host, detail: "no IPv4 or IPv6 address")
        }
        return out
    }
}
