import NostrCore

/// Finding this host's public addresses for `publish-ip --detect`.
public enum AddressDetection {
    /// The global unicast addresses (IPAddress.isGlobalUnicast) of every
    /// up, non-loopback interface, IPv4 first, without duplicates.
    public static func interfaceAddresses() throws(PlatformError) -> [IPAddress] {
        var v4: [IPAddress] = []
        var v6: [IPAddress] = []
        for entry in try InterfaceAddress.all() where entry.isUp && !entry.isLoopback {
            guard let address = entry.address.withUnsafeBytes({ try? IPAddress(bytes: $0) }), address.isGlobalUnicast else { continue }
            if address.isIPv4 {
                if !v4.contains(address) { v4.append(address) }
            } else if !v6.contains(address) {
                v6.append(address)
            }
        }
        return v4 + v6
    }

    /// The address a STUN server sees this host's packets come from: an
    /// RFC 5389 Binding request over UDP, retransmitted as §7.2.1 says
    /// (RTO 500 ms, doubling) until an answer with our transaction id
    /// arrives or `timeoutMilliseconds` pass. Packets that are not a valid
    /// answer to our request are dropped.
    public static func stun(host: String, port: UInt16, timeoutMilliseconds: Int64) throws(PlatformError) -> IPAddress {
        let socket = try UDPSocket(host: host, port: port)
        defer { socket.close() }
        var transaction = [UInt8](repeating: 0, count: 12)
        do throws(NostrError) {
            try transaction.withMutableBytes { (p) throws(NostrError) in try Entropy.fill(p) }
        } catch {
            throw PlatformError(.io, path: "getrandom")
        }
        let request = STUN.bindingRequest(transactionID: transaction)
        var buffer = [UInt8](repeating: 0, count: 1500)
        let start = Clock.monotonicMilliseconds()
        let deadline = start + timeoutMilliseconds
        var rto: Int64 = 500
        var nextSend = start
        var poll = PollSet()
        while true {
            let now = Clock.monotonicMilliseconds()
            if now >= deadline {
                throw PlatformError(.timeout, path: "STUN server " + host + ":" + String(port))
            }
            if now >= nextSend {
                let sent: Result<Bool, PlatformError> = request.withUnsafeBytes { p in
                    Result { () throws(PlatformError) -> Bool in try socket.send(p) }
                }
                _ = try sent.get()
                nextSend = now + rto
                rto *= 2
            }
            poll.removeAll()
            poll.add(fd: socket.fd, interest: .read)
            _ = try poll.wait(timeoutMilliseconds: Int32(min(nextSend, deadline) - now))
            while true {
                let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                    Result { () throws(PlatformError) -> Int? in try socket.receive(into: p) }
                }
                guard let n = try result.get() else { break }
                let answer = buffer.withUnsafeBytes { p in
                    try? STUN.parseBindingResponse(UnsafeRawBufferPointer(rebasing: p[0..<n]), transactionID: transaction)
                }
                if let answer { return answer.address }
            }
        }
    }
}
