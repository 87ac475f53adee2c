import NostrCore

/// The HTTPS client of `nostr-dns fetch` (the Design article, "Trust
/// anchored in the npub"): one GET to one address of an npub name over TLS
/// that accepts only the keys the npub vouches for (`NameTrust`), in a
/// poll loop of its own that ends with the response or the deadline.
public enum HTTPSFetch {
    public enum Outcome {
        case response(HTTPResponse)
        /// Not connected, or lost before the key was checked: try the next address.
        case unreachable(String)
        /// Fail closed: the key was wrong, or the server broke HTTP.
        case refused(String)
    }

    /// One connection to `address`: TCP, TLS 1.2 accepting only the keys
    /// `trust` pins (`TLSClientConfig(pinnedKeysOnly:)`), one GET of
    /// `url` (RFC 9112), its response within `limits`, all within
    /// `timeoutMilliseconds`. `verified` is called once the server's key
    /// matched a pin, with the peer (`ADDR:PORT`) and the key's SPKI SHA-256.
    /// Throws only when poll(2) fails.
    public static func exchange(
        _ url: HTTPSURL, address: IPAddress, tls: TLSClientConfig, trust: NameTrust, limits: HTTPLimits,
        timeoutMilliseconds: Int64, verified onVerified: (_ peer: String, _ key: Bytes32) -> Void
    ) throws(PlatformError) -> Outcome {
        let peer = address.isIPv4 ? address.text + ":" + String(url.port) : "[" + address.text + "]:" + String(url.port)
        let stream: StreamConnection
        do throws(PlatformError) {
            stream = try StreamConnection(host: address.text, port: url.port, tls: tls, serverName: url.host, pins: trust.pins)
        } catch {
            return .unreachable(error.message)
        }
        defer { stream.close() }
        let request = Array(
            ("GET " + url.target + " HTTP/1.1\r\nHost: " + url.authority + "\r\nUser-Agent: nostr-dns/"
                + NostrDNSVersion.string + "\r\nAccept: */*\r\nConnection: close\r\n\r\n").utf8)
        var sent = 0
        var verified = false
        var parser = HTTPResponseParser(limits: limits)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = Clock.monotonicMilliseconds() + timeoutMilliseconds
        var poll = PollSet()
        while true {
            do throws(PlatformError) {
                if try stream.advance() {
                    if !verified {
                        verified = true
                        if let k = stream.peerKeySHA256 { onVerified(peer, k) }
                    }
                    while sent < request.count {
                        let start = sent
                        let result: Result<Int, PlatformError> = request.withUnsafeBytes { p in
                            Result { () throws(PlatformError) -> Int in try stream.write(UnsafeRawBufferPointer(rebasing: p[start...])) }
                        }
                        let n = try result.get()
                        if n == 0 { break }
                        sent += n
                    }
                    while true {
                        let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                            Result { () throws(PlatformError) -> Int? in try stream.read(into: p) }
                        }
                        guard let n = try result.get() else { break }
                        do throws(NostrError) {
                            if n == 0 {
                                try parser.finish()
                            } else {
                                _ = try buffer.withBytes { (p) throws(NostrError) in
                                    try parser.feed(UnsafeRawBufferPointer(rebasing: p[0..<n]))
                                }
                            }
                        } catch {
                            return .refused("bad HTTP response from " + peer + ": " + error.reason)
                        }
                        if let response = parser.response { return .response(response) }
                    }
                }
            } catch {
                if error.code == .tls && !verified && stream.peerKeySHA256 != nil {
                    return .refused(trust.refusal(serverKey: stream.peerKeySHA256, peer: peer, host: url.host))
                }
                if verified {
                    return .refused(error.message)
                }
                return .unreachable(error.message)
            }
            let now = Clock.monotonicMilliseconds()
            if now >= deadline {
                let e = stream.timeoutError()
                return verified ? .refused(e.message) : .unreachable(e.message)
            }
            poll.removeAll()
            var interest = stream.interest
            if stream.isEstablished && sent < request.count { interest.insert(.write) }
            poll.add(fd: stream.fd, interest: interest)
            _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: deadline))
        }
    }
}
